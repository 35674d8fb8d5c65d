#!/usr/bin/perl
# The client's own socket constants and sockaddr_un (it does not load Socket on x86_64 and
# aarch64 Linux, to keep one-call scripts fast) must be Socket's.
use strict;
use warnings;
use Test::More;
use FindBin;
use lib "$FindBin::Bin/..";
use CPANBridge;
use Socket ();

my $k = CPANBridge::_sock();
for my $name (qw(AF_UNIX PF_UNSPEC SOCK_STREAM SOCK_NONBLOCK SOL_SOCKET SO_PEERCRED
                 MSG_NOSIGNAL MSG_DONTWAIT MSG_PEEK)) {
    no strict 'refs';
    is($k->{$name}, &{"Socket::$name"}(), "$name is Socket's");
}
for my $path ('/run/cpan-bridge/cpan-bridge.sock', 'relative.sock', 'x' x 107) {
    my $mine = CPANBridge::_sockaddr_un($path);
    is(Socket::sockaddr_family($mine), Socket::AF_UNIX(), "sockaddr_un of a " . length($path) . "-byte path: AF_UNIX");
    is(Socket::unpack_sockaddr_un($mine), $path, '  and the path, as Socket reads it');
}
is(CPANBridge::_sockaddr_un('x' x 108), undef, 'a path too long for sun_path is refused');
is(CPANBridge::_sockaddr_un("a\0b"), undef, 'and one with a NUL');
SKIP: {
    require Config;
    my $common = $^O eq 'linux' && $Config::Config{archname} =~ /\A(?:x86_64|aarch64)-/;
    is(CPANBridge::_common_linux_abi() ? 1 : 0, $common ? 1 : 0,
       'the ELF header of perl tells the architecture as Config does');
    skip 'Socket is loaded on this architecture', 1 unless $common;
    my $script = 'use CPANBridge; $CPANBridge::FALLBACK_ENABLED = 0; '
        . 'CPANBridge->new(socket => "/nonexistent/cb.sock")->call("test", "ping", {}); '
        . 'print exists $INC{"Socket.pm"} ? "loaded" : "not loaded"';
    is(`$^X -I$FindBin::Bin/.. -e '$script'`, 'not loaded', 'a call does not load Socket');
    $script =~ s/Socket\.pm/Config.pm/;
    is(`$^X -I$FindBin::Bin/.. -e '$script'`, 'not loaded', 'nor Config');
}
done_testing;
