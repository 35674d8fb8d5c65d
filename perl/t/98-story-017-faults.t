#!/usr/bin/perl
# STORY-017 and the faults of issue 15, each one automated under cpan-bridge-dev:
# - kill -9 of the router while clients keep calling: their calls wait in the socket the
#   launcher holds, and none fails;
# - kill -9 of each family's instance (all seven) in the middle of a call: that call ends with
#   E_UNAVAILABLE and outcome_unknown, never a hang, and the next call succeeds;
# - a committed database write survives the instance's death, an uncommitted one does not;
# - the socket file removed: the client falls back, and returns when the suite is back;
# - a connection that stalls in the middle of a frame, or pipelines without reading, delays
#   nobody else, and the stalled one is closed;
# - one session's slow call delays no other session of the same user;
# - the disk full while a workbook is written (as root, on a small tmpfs): an error with its
#   code, and no file, whole or partial, left behind.
# Under a real systemd (CB_TEST_SOCKET, as a user: tests/systemd/inside.sh) the same, but for
# what only root may do there: inside.sh kills the router and stops the suite itself, and
# mounts the small tmpfs for the disk-full case (CB_TEST_FULL_DIR).
use strict;
use warnings;
use Test::More;
use FindBin;
use lib "$FindBin::Bin/lib", "$FindBin::Bin/..";
use CBTestSuite qw(start_suite stop_suite launcher_status instance_pids);
use CPANBridge;
use File::Temp qw(tempdir);
use IO::Socket::INET;
use IO::Socket::UNIX;
use JSON::PP;
use POSIX ();
use Time::HiRes qw(time sleep);

my $suite = start_suite(config => "[limits]\nframe_stall_timeout_ms = 500\n");
$CPANBridge::FALLBACK_ENABLED = 0;
my $dir = tempdir('cb-faults-XXXXXX', TMPDIR => 1, CLEANUP => 1);
my $json = JSON::PP->new->utf8->canonical;

# Runs code in a child; returns a sub that waits for it and gives its result (a hash).
sub in_child {
    my ($code) = @_;
    pipe(my $r, my $w) or die "pipe: $!";
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        close $r;
        my $res = eval { $code->() } // { died => "$@" };
        print $w $json->encode($res);
        close $w;
        POSIX::_exit(0);
    }
    close $w;
    return sub {
        local $/;
        my $text = <$r>;
        waitpid $pid, 0;
        return $json->decode($text || '{"died":"no answer"}');
    };
}

# ---- the router killed while clients call ------------------------------------------------
SKIP: {
    skip 'the router is not ours to kill here: tests/systemd/inside.sh does it as root', 8 if $suite->{existing};
    my $bridge = CPANBridge->new;
    ok($bridge->call('test', 'ping', {})->{success}, 'the suite answers');
    my @clients = map {
        my $n = $_;
        in_child(sub {
            my $b = CPANBridge->new;
            my ($ok, $i, %err) = (0, 0);
            # Calls for 2 s, across the kill at 0.5 s, whatever the machine's speed.
            my $until = time + 2;
            while (time < $until || $i < 150) {
                my $r = $b->call('test', 'ping', { client => $n, i => ++$i });
                if ($r->{success}) { $ok++ } else { $err{ $r->{error_code} // '?' }++ }
                # New connections too, not only the kept one: they wait in the listen queue.
                $b = CPANBridge->new if $i % 25 == 0;
            }
            return { ok => $ok, calls => $i, errors => \%err };
        });
    } 1 .. 4;
    sleep 0.5;
    my $router = launcher_status($suite)->{router}{pid};
    ok($router && kill('KILL', $router), "kill -9 of the router (pid $router) while 4 clients call");
    my ($ok, $calls) = (0, 0);
    for my $c (@clients) {
        my $res = $c->();
        $ok += $res->{ok} // 0;
        $calls += $res->{calls} // 0;
        is_deeply($res->{errors} // {}, {}, 'a client saw no error') or diag explain $res;
    }
    is($ok, $calls, "all $calls calls succeeded across the restart");
    $bridge->call('test', 'ping', {});
    my $again = launcher_status($suite)->{router}{pid} // 0;
    isnt($again, $router, "the launcher restarted the router (pid $again)");
}

# ---- each family's instance killed in the middle of a call ---------------------------------
# The slow call goes as a raw frame in the session of a client that set it up: the client's
# own retry of idempotent calls (API.md 1.4) would otherwise answer it again after the
# restart, and this is about what the suite answers for a call its instance died under.
my $db_file = "$dir/slow.db";
# A server that takes connections and never says a word: an HTTP or SSH client waits on it.
my $mute = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0, Listen => 16)
    or die "listen on 127.0.0.1: $!";
my $mute_port = $mute->sockport;
# [ family, module, function, params, setup calls... ]; the next call after the kill is the
# first setup call, which must succeed, or the case's `next` with the code it must get.
my %next = (
    # No SFTP session without a server: the instance that came back says there is none.
    ssh => [ [ sftp => cwd => {} ], 'E_HANDLE' ],
);
my @slow = (
    [ core   => test   => sleep   => { ms => 5000 } ],
    [ db     => database => execute_immediate => {
        sql => 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 300000000) '
             . 'SELECT count(*) FROM c' }, [ database => connect => { dsn => "dbi:SQLite:dbname=$db_file" } ] ],
    [ crypto => crypto => encrypt => { data => 'x', key => 'k', kdf => 'pbkdf2', iterations => 10000000 },
      [ crypto => hash => { data => 'warm' } ] ],
    [ xml    => xpath  => count   => { xpath => '//*[count(//*) > 0]' },
      [ xpath => load => { source => '<r>' . ('<i/>' x 20000) . '</r>' } ] ],
    # The slow part of a big workbook is its save: the rows go in first, by the setup.
    [ net    => http   => get     => { url => "http://127.0.0.1:$mute_port/never", timeout => 60 },
      [ email_helper => validate_email => { address => 'story017@example.com' } ] ],
    [ ssh    => sftp   => connect => { hostname => '127.0.0.1', port => $mute_port, username => 'nobody',
                                       password => 'x', timeout => 60 } ],
    [ office => excel  => save_workbook => {},
      [ excel => create_workbook => { filename => "$dir/big.xlsx" } ],
      [ excel => add_worksheet => { sheet_name => 'S' } ],
      map { my $b0 = $_ * 20000; [ excel => write_rows => { row => $b0,
          rows => [ map { [ $_, "row $_", $_ * 1.5, 'x' x 20 ] } $b0 .. $b0 + 19999 ] } ] } 0 .. 9 ],
);
# Whether r is the answer wanted: success, or that error code.
sub answered {
    my ($r, $want) = @_;
    return $want eq 'success' ? $r->{success} : ($r->{error_code} // '') eq $want;
}
# Whether the router has a call in flight (system.* is the router's own: it answers at once).
sub in_flight {
    my $m = CPANBridge->new->call('system', 'metrics', {})->{result} // {};
    return ($m->{resource_status}{concurrent_requests} // 0) > 0;
}
for my $case (@slow) {
    my ($family, $module, $function, $params, @setup) = @$case;
    my $b = CPANBridge->new;
    my ($next, $want) = @{ $next{$family} || [ $setup[0] || [ test => ping => {} ], 'success' ] };
    my @bad = grep { !$_->{success} } map { $b->call(@$_) } @setup ? @setup : ([ test => ping => {} ]);
    ok(!@bad, "$family: the instance runs and the session is set up") or diag explain \@bad;
    # A family with no setup of its own is started by its `next` call.
    ok(answered($b->call(@$next), $want), "$family: $next->[0].$next->[1] answers $want before the kill")
        if $next{$family};
    my $token = $b->session_token;
    my $frame = $json->encode({ id => 7, module => $module, function => $function, params => $params,
                                session => $token });
    my $wait = in_child(sub {
        my $t = time;
        my $text = CBTestSuite::frame_call($suite->{socket}, $frame);
        my $r = defined $text ? $json->decode($text) : { died => 'no answer' };
        $r->{seconds} = time - $t;
        return $r;
    });
    # Killed once the call is in flight, and given a moment to reach its instance.
    for (1 .. 100) { last if in_flight(); sleep 0.02 }
    sleep 0.2;
    my @pids = instance_pids($suite, $family);
    ok(@pids && kill('KILL', @pids), "kill -9 of the $family instance during $module.$function");
    my $r = $wait->();
    is($r->{error_code}, 'E_UNAVAILABLE', '  the call in flight: E_UNAVAILABLE') or diag explain $r;
    ok($r->{outcome_unknown}, '  with outcome_unknown');
    ok(!$r->{retryable}, '  not retryable');
    cmp_ok($r->{seconds} // 99, '<', 30, '  it ended, not hung');
    my $again = $b->call(@$next);
    ok(answered($again, $want), "  the next call to the $family family: $want") or diag explain $again;
    $b->call('excel', 'discard_workbook', {}) if $family eq 'office';
}
unlink "$dir/big.xlsx", "$dir/small.xlsx";

# ---- a committed write survives, an uncommitted one does not ------------------------------
{
    my $b = CPANBridge->new;
    my $dsn = "dbi:SQLite:dbname=$dir/ledger.db";
    my $conn = $b->call('database', 'connect', { dsn => $dsn })->{result}{connection_id};
    ok($conn, 'connect to a SQLite ledger');
    $b->call('database', 'execute_immediate', { sql => 'CREATE TABLE ledger (what TEXT)' });
    $b->call('database', 'begin_transaction', {});
    $b->call('database', 'execute_immediate', { sql => "INSERT INTO ledger VALUES ('committed')" });
    ok($b->call('database', 'commit', {})->{success}, 'one row committed');
    $b->call('database', 'begin_transaction', {});
    ok($b->call('database', 'execute_immediate', { sql => "INSERT INTO ledger VALUES ('uncommitted')" })->{success},
       'one row written in an open transaction');
    ok(kill('KILL', instance_pids($suite, 'db')), 'kill -9 of the db instance');
    # The session's current connection, not named: the client asks again by its id, so the
    # answer says what became of it.
    my $q = { sql => 'SELECT what FROM ledger' };
    my $r = $b->call('database', 'execute_immediate', $q);
    # A call sent before the router has seen the instance go may die with it (outcome unknown).
    $r = $b->call('database', 'execute_immediate', $q)
        if ($r->{error_code} // '') eq 'E_UNAVAILABLE' && $r->{outcome_unknown};
    is($r->{error_code}, 'E_HANDLE', 'the old connection is gone, and says so') or diag explain $r;
    like($r->{error} // '', qr/restarted/, '  saying the instance restarted') or diag $r->{error};
    my $c = CPANBridge->new;
    $c->call('database', 'connect', { dsn => $dsn });
    $r = $c->call('database', 'execute_immediate', { sql => 'SELECT what FROM ledger ORDER BY what' });
    is_deeply([ map { $_->{what} } @{ $r->{result}{rows} || [] } ], ['committed'],
              'after the crash: the committed row is there, the uncommitted one is not') or diag explain $r;
}

# ---- the socket file removed --------------------------------------------------------------
SKIP: {
    skip 'the socket is not ours to remove here: tests/systemd/inside.sh stops the suite as root', 6
        if $suite->{existing};
    local $CPANBridge::FALLBACK_ENABLED = 1;
    my @warnings;
    local $SIG{__WARN__} = sub { push @warnings, @_ };
    my $b = CPANBridge->new;
    ok($b->call('test', 'ping', {})->{success} && $b->mode eq 'daemon', 'daemon mode first');
    ok(unlink($suite->{socket}), 'the socket file removed');
    my $fresh = CPANBridge->new;
    my $r = $fresh->call('test', 'ping', { test => 'no_socket' });
    ok($r->{success}, 'a new client still gets its answer') or diag explain $r;
    is($fresh->mode, 'process', '  by falling back to process mode');
    ok(stop_suite($suite), 'the suite stopped');
    $suite = start_suite(dir => $suite->{dir}, config => "[limits]\nframe_stall_timeout_ms = 500\n");
    $r = $fresh->call('test', 'ping', { test => 'back' });
    ok($r->{success} && $fresh->mode eq 'daemon', 'the suite back: daemon mode again') or diag explain $r;
}

# ---- a stalled frame and a client that never reads delay nobody ---------------------------
{
    my $stalled = IO::Socket::UNIX->new(Peer => $suite->{socket}) or die "connect: $!";
    syswrite $stalled, "\0\0\0\x40{\"id\":1,";    # half a frame, then nothing
    my $greedy = IO::Socket::UNIX->new(Peer => $suite->{socket}) or die "connect: $!";
    my $req = '{"id":1,"module":"test","function":"echo","params":{"x":"' . ('y' x 60000) . '"}}';
    my $frame = pack('N', length $req) . $req;
    $greedy->blocking(0);
    my $sent = 0;
    for (1 .. 400) {    # pipelined, and its answers never read
        my $n = syswrite $greedy, $frame;
        last unless defined $n && $n == length $frame;
        $sent++;
    }
    note "the greedy client pipelined $sent requests of 60 KB without reading";
    my $b = CPANBridge->new;
    my ($ok, $worst) = (0, 0);
    for (1 .. 100) {
        my $t = time;
        $ok++ if $b->call('test', 'ping', {})->{success};
        $worst = time - $t if time - $t > $worst;
    }
    is($ok, 100, 'another client is served in full meanwhile');
    note sprintf('its slowest call took %.1f ms', $worst * 1000);
    sleep 1;    # past frame_stall_timeout_ms
    $stalled->blocking(1);
    my $got = '';
    1 while sysread($stalled, $got, 65536, length $got);
    like($got, qr/E_PROTOCOL/, 'the stalled connection was answered E_PROTOCOL') or diag $got;
    like($got, qr/stalled/, '  saying the frame stalled');
    close $greedy;
    ok(CPANBridge->new->call('test', 'ping', {})->{success}, 'and the suite answers as before');
}

# ---- a slow instance call delays no other session ----------------------------------------
{
    my $slow = CPANBridge->new;
    ok($slow->call('test', 'ping', {})->{success}, 'a session for a slow call');
    my $frame = $json->encode({ id => 9, module => 'test', function => 'sleep', params => { ms => 3000 },
                                session => $slow->session_token });
    my $wait = in_child(sub {
        my $text = CBTestSuite::frame_call($suite->{socket}, $frame);
        return { answer => $text, done => time };
    });
    sleep 0.3;
    my $other = CPANBridge->new;
    my $ok = 0;
    $ok += $other->call('test', 'echo', { n => $_ })->{success} ? 1 : 0 for 1 .. 50;
    my $finished = time;
    my $r = $wait->();
    is($ok, 50, 'another session of the same user is served while one call sleeps in the instance');
    cmp_ok($finished, '<', $r->{done}, '  all 50 calls were answered before the slow one');
    like($r->{answer} // '', qr/"success":true/, '  and the slow call still completed');
}

# ---- the disk full while a workbook is written ---------------------------------------------
SKIP: {
    my $full = $ENV{CB_TEST_FULL_DIR};
    unless ($full) {
        skip 'a small tmpfs needs root', 5 unless $> == 0;
        $full = "$dir/full";
        mkdir $full or die "$full: $!";
        skip "cannot mount a tmpfs here", 5
            if system("mount -t tmpfs -o size=256k,mode=1777 tmpfs $full 2>/dev/null") != 0;
    }
    my $b = CPANBridge->new;
    my $r = $b->call('excel', 'write_workbook', { filename => "$full/report.xlsx",
        sheets => [ { name => 'S', rows => [ map { [ $_, "text of row $_ " . ('z' x 40) ] } 1 .. 40000 ] } ] });
    ok(!$r->{success}, 'a workbook bigger than the disk fails') or diag explain $r;
    like($r->{error_code} // '', qr/\AE_(?:BACKEND|INTERNAL)\z/, "  with a code: $r->{error_code}");
    like($r->{error} // '', qr/No space left on device/, '  saying why') or diag $r->{error};
    opendir(my $dh, $full) or die "$full: $!";
    my @left = grep { !/^\.\.?\z/ } readdir $dh;
    closedir $dh;
    is_deeply(\@left, [], '  and no file, whole or partial, is left') or diag explain \@left;
    # Whoever mounted it unmounts it, and so checks that nothing holds it open.
    skip 'inside.sh unmounts its tmpfs', 1 if $ENV{CB_TEST_FULL_DIR};
    is(system("umount $full"), 0, '  and nothing holds the full disk open');
}

stop_suite($suite);
done_testing;
