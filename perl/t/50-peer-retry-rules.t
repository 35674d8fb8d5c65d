#!/usr/bin/perl
# The rules around delivery, with stand-in servers: SO_PEERCRED (a server of another uid gets
# nothing), EACCES is E_DENIED and never a fallback, a router's retryable E_UNAVAILABLE (what
# root gets where instances do not serve it) falls back to process mode, E_THROTTLED is retried,
# a lost answer is repeated only for idempotent calls, and session_env comes with the first
# request of each connection.
use strict;
use warnings;
use Test::More;
use FindBin;
use File::Temp qw(tempdir);
use JSON::PP;
use POSIX ();
use Socket qw(AF_UNIX SOCK_STREAM SOMAXCONN pack_sockaddr_un);
use lib "$FindBin::Bin/lib", "$FindBin::Bin/..";
use CBTestSuite qw(build_dir);
use CPANBridge;

# These rules are the client's against a stand-in router that answers everything itself:
# channels (t/21-channels.t) would be handed to no instance here.
$CPANBridge::CHANNELS = 0;

my $build = build_dir();
$CPANBridge::EXEC = "$build/cpan-bridge-exec";
my $dir = tempdir('cb-rules-XXXXXX', TMPDIR => 1, CLEANUP => 1);
chmod 0755, $dir;
my $json = JSON::PP->new->utf8->canonical;
my @servers;
END { local $?; kill "KILL", @servers if @servers; waitpid $_, 0 for @servers }

# A stand-in server: $answer->($request, $n) gives a response hash, or 'close' to hang up
# after reading the request. Every request is logged as a JSON line to "$path.log".
sub fake_server {
    my ($path, $answer, %opt) = @_;
    unlink $path;
    pipe my $ready_r, my $ready_w or die;
    my $pid = fork // die;
    if (!$pid) {
        close $ready_r;
        POSIX::setuid($opt{uid}) if defined $opt{uid};
        socket(my $l, AF_UNIX, SOCK_STREAM, 0) or die;
        bind($l, pack_sockaddr_un($path)) or die "bind: $!";
        chmod $opt{mode} // 0666, $path;
        listen($l, SOMAXCONN) or die;
        syswrite $ready_w, "1";
        open my $log, '>>', "$path.log" or die;
        $log->autoflush(1);
        my $n = 0;
        while (accept(my $c, $l)) {
            while (1) {
                my $req = CBTestSuite::read_frame($c);
                if (!defined $req) { print {$log} "eof\n"; last }
                print {$log} $req, "\n";
                my $r = $answer->($json->decode($req), ++$n);
                last if $r eq 'close';
                $r->{id} = $json->decode($req)->{id};
                my $out = $json->encode($r);
                syswrite $c, pack('N', length $out) . $out;
            }
        }
        POSIX::_exit(0);
    }
    close $ready_w;
    sysread $ready_r, my $x, 1;
    push @servers, $pid;
    return $pid;
}

sub logged {
    my ($path) = @_;
    open my $fh, '<', "$path.log" or return [];
    return [ map { chomp; $_ eq 'eof' ? 'eof' : $json->decode($_) } <$fh> ];
}

my $ok = sub { return { success => JSON::PP::true, result => { message => 'fake pong', mode => 'daemon' } } };

# --- a server of another uid is refused before anything is sent ------------------------
SKIP: {
    skip 'needs root to run a server as another uid', 4 unless $< == 0;
    mkdir "$dir/nobody";
    chmod 0777, "$dir/nobody";
    my $path = "$dir/nobody/other.sock";
    fake_server($path, $ok, uid => 65534);
    my $b = CPANBridge->new(socket => $path);
    my @w;
    local $SIG{__WARN__} = sub { push @w, @_ };
    my $r = $b->call('test', 'ping', {});
    is($r->{error_code}, 'E_DENIED', 'a server running as another uid: E_DENIED');
    like($r->{error}, qr/uid 65534/, '... naming its uid');
    select undef, undef, undef, 0.2;
    is_deeply([ grep { ref } @{ logged($path) } ], [], '... and it received nothing');
    is(scalar @w, 0, '... no fallback');
}

# --- EACCES is E_DENIED, never a fallback ------------------------------------------------
SKIP: {
    skip 'needs root to switch to another uid', 3 unless $< == 0;
    my $path = "$dir/private.sock";
    fake_server($path, $ok, mode => 0600);
    pipe my $rd, my $wr or die;
    my $pid = fork // die;
    if (!$pid) {
        close $rd;
        POSIX::setgid(65534);
        POSIX::setuid(65534);
        my $r = CPANBridge->new(socket => $path)->call('test', 'ping', {});
        print {$wr} $json->encode($r);
        close $wr;
        POSIX::_exit(0);
    }
    close $wr;
    my $r = $json->decode(do { local $/; <$rd> } || '{}');
    waitpid $pid, 0;
    is($r->{error_code}, 'E_DENIED', 'EACCES on connect: E_DENIED');
    like($r->{error}, qr/denied/i, '... with the reason');
    ok(!$r->{success}, '... and no process-mode answer instead');
}

# --- router answers retryable E_UNAVAILABLE (root outside the instance range) -----------
{
    my $path = "$dir/root.sock";
    fake_server($path, sub { { success => JSON::PP::false, error_code => 'E_UNAVAILABLE', retryable => JSON::PP::true,
        error => 'uid 0 is not served by instances: use process mode' } });
    my $b = CPANBridge->new(socket => $path);
    my @w;
    local $SIG{__WARN__} = sub { push @w, @_ };
    my $r = $b->call('test', 'ping', { x => 1 });
    ok($r->{success}, 'retryable E_UNAVAILABLE from the router: answered by process mode');
    is($b->mode, 'process', '... mode says process');
    is($r->{result}{mode}, 'process', '... really from cpan-bridge-exec');
    $b->call('test', 'ping', {}) for 1 .. 3;
    is(scalar @w, 1, '... said once on STDERR');
    like($w[0], qr/not served by instances/, '... with the router\'s reason');
    $r = $b->call('test', 'counter', {});
    is($r->{error_code}, 'E_HANDLE', 'a daemon-only call then fails with E_HANDLE, as process mode says');
}

# --- answered errors are final; throttling is retried ------------------------------------
{
    my $path = "$dir/errors.sock";
    fake_server($path, sub {
        my ($req, $n) = @_;
        return { success => JSON::PP::false, error_code => 'E_BACKEND', error => 'backend said no', retryable => JSON::PP::false }
            if $req->{params}{kind} eq 'backend';
        return { success => JSON::PP::false, error_code => 'E_THROTTLED', error => 'slow down', retryable => JSON::PP::true,
            retry_after_ms => 10 } if $req->{params}{kind} eq 'throttle' && $n <= 3;
        return $ok->();
    });
    my $b = CPANBridge->new(socket => $path);
    my $r = $b->call('test', 'ping', { kind => 'backend' });
    is($r->{error_code}, 'E_BACKEND', 'an answered error is returned');
    is($b->mode, 'daemon', '... by daemon mode, no fallback');
    is($b->get_performance_stats->{'test.ping'}{last_attempts}, 1, '... sent once');
    $r = $b->call('test', 'ping', { kind => 'throttle' });
    ok($r->{success}, 'E_THROTTLED is retried after retry_after_ms');
    is($b->get_performance_stats->{'test.ping'}{last_attempts}, 3, '... twice here');
    my $reqs = [ grep { ref } @{ logged($path) } ];
    ok($reqs->[0]{session_env}, 'the first request on the connection carries session_env');
    ok(!$reqs->[1]{session_env}, 'later ones do not');
    my $env = $reqs->[0]{session_env};
    is($env->{umask}, umask, 'session_env: umask as a number');
    ok(defined $env->{cwd} && $env->{cwd} =~ m{^/}, 'session_env: cwd');
    like($reqs->[0]{session}, qr/\A[0-9a-f]{32}\z/, 'session token sent');
    is($reqs->[0]{client_version}, $CPANBridge::VERSION, 'client_version sent');
    is_deeply([ sort keys %{ $reqs->[1] } ], [qw(client_version function id module params session timeout_ms)],
        'only the documented top-level fields are sent');
    is($reqs->[1]{timeout_ms}, 300_000, 'timeout_ms from $TIMEOUT');
}

# --- lost answers: repeated only when idempotent -----------------------------------------
{
    my $path = "$dir/lost.sock";
    fake_server($path, sub { 'close' });
    local $CPANBridge::RETRY_COUNT = 2;
    my $b = CPANBridge->new(socket => $path);
    my @w;
    local $SIG{__WARN__} = sub { push @w, @_ };
    my $r = $b->call('test', 'counter', {});
    is($r->{error_code}, 'E_UNAVAILABLE', 'non-idempotent call lost in flight: E_UNAVAILABLE');
    ok($r->{outcome_unknown}, '... outcome_unknown');
    ok(!$r->{retryable}, '... not retryable');
    is($b->get_performance_stats->{'test.counter'}{last_attempts}, 1, '... never repeated');
    is(scalar(grep { ref && $_->{function} eq 'counter' } @{ logged($path) }), 1, '... the server saw it once');
    is(scalar @w, 0, '... and it did not fall back');

    $r = $b->call('test', 'echo', { v => 1 });
    is($b->get_performance_stats->{'test.echo'}{last_attempts}, 3, 'idempotent call lost: repeated up to RETRY_COUNT');
    ok($r->{success}, '... then answered by process mode');
    is($b->mode, 'process', '... mode process');
}

# --- a kept connection closed by a restarted server is reopened without loss -------------
{
    my $path = "$dir/restart.sock";
    my $pid = fake_server($path, $ok);
    my $b = CPANBridge->new(socket => $path);
    ok($b->call('test', 'counter', {})->{success}, 'first call on a kept connection');
    kill 'KILL', $pid;
    waitpid $pid, 0;
    @servers = grep { $_ != $pid } @servers;
    fake_server($path, $ok);
    my $r = $b->call('test', 'counter', {});
    ok($r->{success}, 'non-idempotent call after the server restarted: sent again on a new connection');
    is($b->mode, 'daemon', '... in daemon mode');
}

# --- the request timeout -----------------------------------------------------------------
{
    my $path = "$dir/slow.sock";
    fake_server($path, sub { select undef, undef, undef, 4; $ok->() });
    my $b = CPANBridge->new(socket => $path, timeout => 0.5);
    my $r = $b->call('test', 'ping', {});
    is($r->{error_code}, 'E_TIMEOUT', 'no answer within the timeout: E_TIMEOUT');
    ok(!$r->{retryable}, '... not retryable');
}

done_testing;
