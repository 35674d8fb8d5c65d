#!/usr/bin/perl
# STORY-010: the router goes away mid-run; calls keep succeeding by fallback, `mode` says
# process, and daemon mode comes back by itself. A non-idempotent call lost in flight is
# never repeated; a handle made in daemon mode never goes to process mode.
use strict;
use warnings;
use Test::More;
use FindBin;
use lib "$FindBin::Bin/lib", "$FindBin::Bin/..";
use CBTestSuite qw(start_suite stop_suite launcher_status frame_call);
use CPANBridge;

my $suite = start_suite();
$CPANBridge::DAEMON_TIMEOUT = 1;    # the wait for a daemon-only handle, kept short here

my @warnings;
$SIG{__WARN__} = sub { push @warnings, $_[0] };

my $b = CPANBridge->new;
my $r = $b->call_python('test', 'ping', { test => 'daemon_mode' });
ok($r->{success}, 'ping with the suite running');
is($b->mode, 'daemon', 'answered in daemon mode');
is($r->{result}{mode}, 'daemon', 'the answer says daemon');

# A handle made in daemon mode, to check that it never travels into process mode.
my $held = $b->call('test', 'hold', {});
ok($held->{success}, 'test.hold in daemon mode');
my $hid = $held->{result}{handle_id};

# --- the router is killed: the launcher holds the socket and restarts it -----------------
my $st = launcher_status($suite);
my $router_pid = $st->{router}{pid};
ok($router_pid, "router pid $router_pid from the launcher");
kill 'KILL', $router_pid;
$r = $b->call('test', 'ping', { test => 'after_router_kill' });
ok($r->{success}, 'ping after the router was killed (reconnects)') or diag explain $r;
is($b->mode, 'daemon', 'still daemon mode: the launcher restarted the router');
my $held_again = $b->call('test', 'held', { handle_id => $hid });
ok($held_again->{success} && $held_again->{result}{exists}, 'the daemon handle survived the router restart')
    or diag explain $held_again;

# --- the whole suite stops: fallback ----------------------------------------------------
ok(stop_suite($suite), 'suite stopped');
ok(!-e $suite->{socket}, 'socket removed');
@warnings = ();
$r = $b->call_python('test', 'ping', { test => 'fallback_mode' });
ok($r->{success}, 'ping succeeds by fallback') or diag explain $r;
is($b->mode, 'process', 'mode says process');
is($r->{result}{mode}, 'process', 'the answer came from process mode');
is_deeply($r->{result}{input}, { test => 'fallback_mode' }, 'same input echoed');
is(scalar @warnings, 1, 'one warning on falling back');
like($warnings[0] // '', qr/process mode/, 'the warning says process mode');
like($b->get_last_error // '', qr/process mode/, 'get_last_error tells about the fallback');
for (1 .. 5) {
    $r = $b->call('test', 'ping', {});
    ok($r->{success} && $b->mode eq 'process', "fallback call $_");
}
is(scalar @warnings, 1, 'still only one warning after more fallback calls');

# test.counter is daemon-only (D): process mode refuses it rather than inventing state.
$r = $b->call('test', 'counter', {});
ok(!$r->{success}, 'test.counter fails in process mode');
is($r->{error_code}, 'E_HANDLE', '... with E_HANDLE (needs daemon mode)');

# An answered error is never a reason to retry or fall back: same error, one attempt.
$r = $b->call('test', 'error', { code => 'E_BACKEND', message => 'boom' });
is($r->{error_code}, 'E_BACKEND', 'an answered error in process mode is returned as is');

# The daemon handle is never used in process mode.
$r = $b->call('test', 'held', { handle_id => $hid });
ok(!$r->{success}, 'a call naming a daemon-mode handle fails while the router is down');
is($r->{error_code}, 'E_UNAVAILABLE', '... with E_UNAVAILABLE');
ok($r->{retryable}, '... retryable');
like($r->{error}, qr/daemon mode/, '... saying the handle lives in daemon mode');

# Fallback off: the client answers E_UNAVAILABLE itself.
{
    local $CPANBridge::FALLBACK_ENABLED = 0;
    $r = $b->call('test', 'ping', {});
    ok(!$r->{success}, 'no fallback when FALLBACK_ENABLED = 0');
    is($r->{error_code}, 'E_UNAVAILABLE', '... E_UNAVAILABLE');
    ok($r->{retryable}, '... retryable');
}

# --- the suite comes back: daemon mode by itself ----------------------------------------
start_suite(dir => $suite->{dir});
$r = $b->call_python('test', 'ping', { test => 'daemon_restored' });
ok($r->{success}, 'ping after the suite is back');
is($b->mode, 'daemon', 'mode says daemon again');
is($r->{result}{mode}, 'daemon', 'the answer came from the daemon');
is($b->get_last_error, undef, 'no error noted');
$r = $b->call('test', 'counter', {});
ok($r->{success}, 'test.counter works again in daemon mode');

# --- a non-idempotent call lost in flight is not repeated ------------------------------
# A test.sleep of the same session, sent on a side connection, holds the session's queue in
# the core instance, so the counter call waits behind it; then the instance is killed.
my $token = $b->session_token;
my $side  = frame_call($suite->{socket},
    qq({"id":1,"module":"test","function":"sleep","params":{"ms":3000},"session":"$token"}), 1);
ok($side, 'side connection holds the session busy');
# Different connections are not ordered: give the router a moment to pass the sleep on first.
select undef, undef, undef, 0.3;
my $killer = fork // die "fork: $!";
if (!$killer) {
    select undef, undef, undef, 0.7;
    my $s = launcher_status($suite);
    kill 'KILL', $_->{pid} for grep { $_->{family} eq 'core' && $_->{pid} } @{ $s->{instances} || [] };
    require POSIX;
    POSIX::_exit(0);
}
$r = $b->call('test', 'counter', {});
waitpid $killer, 0;
ok(!$r->{success}, "the counter call in flight fails") or diag explain $r;
note "lost call: $r->{error}";
is($r->{error_code}, 'E_UNAVAILABLE', '... with E_UNAVAILABLE');
ok($r->{outcome_unknown}, '... and outcome_unknown');
ok(!$r->{retryable}, '... not retryable');
is($b->get_performance_stats->{'test.counter'}{last_attempts}, 1, 'it was sent once, not repeated');
is($b->mode, 'daemon', 'and not answered by process mode');

# An idempotent call would have been repeated; after the restart things work again.
my $ok = 0;
for (1 .. 50) {
    $r = $b->call('test', 'ping', {});
    if ($r->{success}) { $ok = 1; last }
    select undef, undef, undef, 0.1;
}
ok($ok, 'ping works after the instance restarted');

done_testing;
