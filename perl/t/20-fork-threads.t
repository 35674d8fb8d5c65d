#!/usr/bin/perl
# A forked child or a new ithread that inherits a CPANBridge object gets its own session and
# connection on its first call: test.counter starts from 1 there, while the parent's goes on.
use strict;
use warnings;
use Config;
use Test::More;
use FindBin;
use lib "$FindBin::Bin/lib", "$FindBin::Bin/..";
BEGIN { if ($Config{useithreads}) { require threads; threads->import } }
use CBTestSuite qw(start_suite);
use CPANBridge;

start_suite();
$CPANBridge::FALLBACK_ENABLED = 0;

my $b = CPANBridge->new;
is($b->call('test', 'counter', {})->{result}{value}, 1, 'parent counter 1');
is($b->call('test', 'counter', {})->{result}{value}, 2, 'parent counter 2');
my $token = $b->session_token;
like($token, qr/\A[0-9a-f]{32}\z/, 'the token is 32 lowercase hex digits');

# --- fork ---------------------------------------------------------------------------
pipe my $rd, my $wr or die "pipe: $!";
my $pid = fork // die "fork: $!";
if (!$pid) {
    close $rd;
    my @v = map { $b->call('test', 'counter', {})->{result}{value} // 'undef' } 1 .. 3;
    print {$wr} join(',', @v, $b->session_token, $b->mode), "\n";
    close $wr;
    require POSIX;
    POSIX::_exit(0);    # no END blocks or destructors of the parent's objects in the child
}
close $wr;
my $line = <$rd>;
waitpid $pid, 0;
chomp $line;
my ($c1, $c2, $c3, $child_token, $child_mode) = split /,/, $line;
is("$c1,$c2,$c3", '1,2,3', 'forked child: its own counter starts from 1');
isnt($child_token, $token, 'forked child: a different session token');
is($child_mode, 'daemon', 'forked child: daemon mode');
is($b->call('test', 'counter', {})->{result}{value}, 3, "parent's counter goes on (3)");
is($b->session_token, $token, "parent's token unchanged");

# The child exiting normally (destructors run) does not end the parent's session either.
$pid = fork // die;
if (!$pid) { $b->call('test', 'ping', {}); exit 0 }
waitpid $pid, 0;
is($b->call('test', 'counter', {})->{result}{value}, 4, "parent's session survives a child's normal exit");

# --- ithreads -------------------------------------------------------------------------
SKIP: {
    skip 'this perl has no ithreads', 5 unless $Config{useithreads};
    my $t = threads->create(sub {
        my @v = map { $b->call('test', 'counter', {})->{result}{value} } 1 .. 2;
        return join ',', @v, $b->session_token;
    });
    my ($t1, $t2, $t_token) = split /,/, $t->join;
    is("$t1,$t2", '1,2', 'thread: its own counter starts from 1');
    isnt($t_token, $token, 'thread: a different session token');
    is($b->call('test', 'counter', {})->{result}{value}, 5, "parent's counter goes on (5)");

    # An object made inside a thread works there, and two threads do not share a session.
    my @tokens = map { $_->join } map { threads->create(sub { $b->call('test', 'ping', {}); $b->session_token }) } 1 .. 2;
    isnt($tokens[0], $tokens[1], 'two threads: two sessions');
    is($b->call('test', 'counter', {})->{result}{value}, 6, "parent's counter still goes on (6)");
}

done_testing;
