#!/usr/bin/perl
# Channels (DESIGN.md "Channels"): the router authorizes a connection, then hands it to the
# caller's instance, which answers it directly and validates, limits and counts as the
# router would. Calls on a channel outlive a router restart; an instance's death is seen as
# the router would report it; the router's counters still see every call.
use strict;
use warnings;
use Test::More;
use FindBin;
use lib "$FindBin::Bin/lib", "$FindBin::Bin/..";
use CBTestSuite qw(start_suite launcher_status);
use CPANBridge;
use JSON::PP;
use POSIX ();
use Time::HiRes qw(sleep);

my $suite = start_suite(config => "[limits]\nframe_stall_timeout_ms = 500\n");
$CPANBridge::FALLBACK_ENABLED = 0;
my $json  = JSON::PP->new->utf8->canonical;
my $admin = CPANBridge->new(channels => 0);
sub stats { return $admin->call('system', 'stats', {})->{result} }

sub instance_pids {
    my ($family) = @_;
    my $st = launcher_status($suite) // {};
    return map { $_->{pid} } grep { $_->{family} eq $family && $_->{pid} } @{ $st->{instances} || [] };
}
sub core_pids { return instance_pids('core') }

# ---- a channel is opened once per family and object, and carries the calls --------------
my $before = stats();
my $b = CPANBridge->new;
is($b->call('test', 'counter', {})->{result}{value}, 1, 'first call on a channel');
is($b->call('datetime_helper', 'now', {})->{success} ? 1 : 0, 1, 'another module of the family');
is($b->call('test', 'counter', {})->{result}{value}, 2, 'the session is the channel\'s');
is($b->mode, 'daemon', 'mode says daemon');
ok(ref $b->{chan_of}{test} && $b->{chan_of}{test} == $b->{chan_of}{datetime_helper},
   'one channel serves the whole family');
my $alias = $b->call('test', 'stats', {});
ok($alias->{success} && defined $alias->{result}{requests_processed},
   'test.stats, which the router answers, is sent there from a channel object') or diag explain $alias;
my $mid = stats();
is($mid->{channels_opened} - $before->{channels_opened}, 1, 'the router handed over one connection');
cmp_ok($admin->call('system', 'metrics', {})->{result}{connection_summary}{open_channels}, '>=', 1,
       'system.metrics counts the open channel');
is($mid->{requests_processed} - $before->{requests_processed}, 5,
   'the router counted the three channel calls, test.stats and one stats call, not the hand-over');

# ---- counted still after a quiet spell ----------------------------------------------------
# The router closes an idle connection to an instance after a while, but not one whose
# instance serves channels: it would hear nothing more of their calls.
{
    sleep 3;
    my $n0 = stats()->{requests_processed};
    $b->call('test', 'ping', {}) for 1 .. 5;
    is(stats()->{requests_processed} - $n0, 6, 'after 3 s of quiet, channel calls are still counted');
}

# ---- a hand-over queued behind a status poll ----------------------------------------------
# The instance answers a poll sent before a channel reached it with "no channels"; that
# answer must not make the router believe there are none, or it would not wait for the
# next report and the channel's calls would be missing from the count. The xml instance
# has no other channel open here; stopped for longer than the router's second between
# polls, it gets a poll before the hand-over.
{
    ok(CPANBridge->new->call('xml_helper', 'escape_xml', { value => '<' })->{success}, 'the xml instance runs');
    sleep 1.5;    # a report with no channel open
    my $n0 = stats()->{requests_processed};
    my @xml = instance_pids('xml');
    ok(@xml && kill('STOP', @xml), 'the xml instance stopped for a moment');
    sleep 1.5;    # the router's periodic poll waits on it now
    my $caller = fork // die "fork: $!";
    if (!$caller) {    # its channel's hand-over goes out behind that poll
        my $c = CPANBridge->new;
        my $ok = grep { $c->call('xml_helper', 'escape_xml', { value => '<' })->{success} } 1 .. 100;
        POSIX::_exit($ok == 100 ? 0 : 1);
    }
    sleep 0.3;
    kill 'CONT', @xml;
    waitpid $caller, 0;
    is($?, 0, '100 calls on a channel handed over behind a poll');
    is(stats()->{requests_processed} - $n0, 101, 'all of them counted, with the stats call before');
}

# ---- the router killed: the channel does not even notice ---------------------------------
my $router = launcher_status($suite)->{router}{pid};
ok($router && kill('KILL', $router), "kill -9 of the router (pid $router)");
my $r = $b->call('test', 'counter', {});
is($r->{result}{value}, 3, 'the next call on the channel continues the same session') or diag explain $r;
for (1 .. 100) { my $p = launcher_status($suite)->{router}{pid} // 0; last if $p && $p != $router; sleep 0.05 }

# ---- the instance killed: its channel is reopened through the router ----------------------
my @pids = core_pids();
ok(@pids && kill('KILL', @pids), 'kill -9 of the core instance while the channel is idle');
sleep 0.2;
$r = $b->call('test', 'counter', {});
ok($r->{success}, 'a non-idempotent call after the instance died: sent on a new channel') or diag explain $r;
is($r->{result}{value}, 1, '... to the new instance, whose session starts afresh');

# ---- many channels opened at once: each gets its own connection and session ----------------
# Twelve clients open their first channel to a family together, while the router is still
# having its instance started: the router hands the connections over in one go, and each
# must reach the instance with its own adopt frame, or a client's calls would meet another's
# session. Once for each of two families not used so far.
CPANBridge::_json();    # loaded once, not by each child
for my $case ([ crypto => hash => { data => 'x' } ], [ xml_helper => escape_xml => { value => '<x>' } ]) {
    my ($module, $function, $params) = @$case;
    my @kids;
    pipe(my $go_r, my $go_w) or die "pipe: $!";    # closed by the parent: all start at once
    for my $k (1 .. 12) {
        pipe(my $r, my $w) or die "pipe: $!";
        my $pid = fork // die "fork: $!";
        if (!$pid) {
            close $r;
            close $go_w;
            my $c = CPANBridge->new;
            sysread $go_r, my $nothing, 1;
            my @v = map { my $x = $c->call($module, $function, $params);
                          $x->{success} ? 'ok' : "$x->{error_code} $x->{error}" } 1 .. 3;
            print $w join(',', @v);
            close $w;
            POSIX::_exit(0);
        }
        close $w;
        push @kids, [ $pid, $r ];
    }
    close $go_w;
    my $right = 0;
    for my $k (@kids) {
        my ($pid, $r) = @$k;
        my $got = do { local $/; <$r> } // '';
        waitpid $pid, 0;
        $right++ if $got eq 'ok,ok,ok';
        note "a client got: $got" if $got ne 'ok,ok,ok';
    }
    is($right, 12, "$module: 12 clients opening their channels at once are each served in their own session");
}

# ---- a channel's session ends with the object -------------------------------------------
{
    my $h = CPANBridge->new;
    ok($h->call('test', 'hold', {})->{success}, 'a handle made on a channel');
    my $held = stats()->{resource_status}{active_handles} // stats()->{resource_status}{handles};
    undef $h;
    my $left;
    for (1 .. 50) { $left = stats()->{resource_status}; last if ($left->{active_handles} // 0) < ($held // 1); sleep 0.05 }
    cmp_ok($left->{active_handles} // 0, '<', $held // 1, 'closing the object ends its session and handle')
        or diag explain $left;
}

# ---- CHANNELS = 0: the router relays, as before ------------------------------------------
{
    my $n0 = stats()->{channels_opened};
    local $CPANBridge::CHANNELS = 0;
    my $relay = CPANBridge->new;
    ok($relay->call('test', 'ping', {})->{success}, 'with $CPANBridge::CHANNELS = 0 the call is relayed');
    is(stats()->{channels_opened}, $n0, '... and no channel is opened');
}

# ---- what the instance refuses on a channel, as the router would -------------------------
my $token = 'ab' x 16;
my $s = CBTestSuite::frame_call($suite->{socket}, $json->encode({ id => 1, module => 'system',
    function => 'channel', params => { module => 'test' }, session => $token }), 1);
my $open = $json->decode(CBTestSuite::read_frame($s));
ok($open->{success}, 'a raw system.channel is answered by the instance') or diag explain $open;
is($open->{result}{family}, 'core', '... naming its family');
isnt($open->{result}{pid}, launcher_status($suite)->{router}{pid}, '... from the instance, not the router');
sub on_channel {
    my ($req) = @_;
    my $text = $json->encode($req);
    syswrite $s, pack('N', length $text) . $text;
    return $json->decode(CBTestSuite::read_frame($s));
}
my $ev0 = stats()->{security_events};
my @refusals = (
    [ { id => 2, module => 'database', function => 'disconnect', params => {} }, 'E_INVALID_PARAM', qr/family db/ ],
    [ { id => 3, module => 'system', function => 'ping' }, 'E_INVALID_PARAM', qr/router/ ],
    [ { id => 4, module => 'test', function => 'ping', session => 'cd' x 16 }, 'E_INVALID_PARAM', qr/holds session/ ],
    [ { id => 5, module => 'test', function => 'ping', peer => { uid => 0 } }, 'E_INVALID_PARAM', qr/reserved/ ],
    [ { id => 6, module => 'test', function => 'nosuch' }, 'E_UNKNOWN_FUNCTION', qr/nosuch/ ],
    [ { id => 7, module => 'test', function => 'ping', params => { q => "1' OR '1'='1" } }, 'E_SECURITY', qr/q/ ],
    [ { id => 8, module => 'test', function => 'release', params => { handle_id => 'test-h-' . ($< + 1) . '-aaaaaaaa-1' } },
      'E_HANDLE', qr/another user/ ],
);
for my $case (@refusals) {
    my ($req, $code, $why) = @$case;
    my $a = on_channel($req);
    is($a->{id}, $req->{id}, "request $req->{id}: answered with its id");
    is($a->{error_code}, $code, "request $req->{id}: $code");
    like($a->{error} // '', $why, "request $req->{id}: says why");
}
my $ok = on_channel({ id => 9, module => 'test', function => 'echo', params => { v => "\x{65e5}\x{672c}" } });
ok($ok->{success}, 'the channel still serves after its refusals');
is(stats()->{security_events} - $ev0, 3, 'the injection, the unknown function and the foreign handle are security events');
# A frame left half sent on a channel is answered E_PROTOCOL after frame_stall_timeout_ms.
syswrite $s, "\0\0\0\x40{\"id\":10,";
sleep 1;
my $stalled = $json->decode(CBTestSuite::read_frame($s) // '{}');
is($stalled->{error_code}, 'E_PROTOCOL', 'a stalled frame on a channel: E_PROTOCOL');
like($stalled->{error} // '', qr/stalled/, '  saying it stalled');
is(CBTestSuite::read_frame($s), undef, '  and the channel is closed');
close $s;

# ---- system.cleanup reaches an idle channel, which the router no longer holds ---------------
{
    my $x = CPANBridge->new;
    is($x->call('test', 'counter', {})->{result}{value}, 1, 'a session on a channel');
    my $sock = $x->{chan_of}{test}{sock};
    sleep 1.2;
    my $clean = $admin->call('system', 'cleanup', { idle_seconds => 1, session => $x->session_token });
    ok($clean->{success} && $clean->{result}{instances_asked} >= 1,
       'system.cleanup asks the instances that serve channels') or diag explain $clean;
    my $closed = 0;
    for (1 .. 50) { last if ($closed = CPANBridge::_peer_closed($sock)); sleep 0.05 }
    ok($closed, '  and the idle channel of that session is closed');
    my $r = $x->call('test', 'counter', {});
    is($r->{result}{value}, 1, '  its session ended with it: the next call starts afresh') or diag explain $r;
}

done_testing;
