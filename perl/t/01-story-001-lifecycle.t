#!/usr/bin/perl
# STORY-001: the suite starts, its socket appears, ping answers; SIGTERM and SIGINT to
# `cpan-bridge-dev run` stop it and remove the socket, with no process left behind, and it
# can start again at once.
use strict;
use warnings;
use Test::More;
use FindBin;
use File::Temp qw(tempdir);
use lib "$FindBin::Bin/lib", "$FindBin::Bin/..";
use CBTestSuite qw(build_dir launcher_status);
use CPANBridge;

my $build = build_dir();
my $dir   = tempdir('cb-story001-XXXXXX', TMPDIR => 1, CLEANUP => 1);
my $sock  = "$dir/cpan-bridge.sock";
$CPANBridge::DAEMON_SOCKET    = $sock;
$CPANBridge::EXEC             = "$build/cpan-bridge-exec";
$CPANBridge::FALLBACK_ENABLED = 0;    # a ping must really come from the daemon here

my $current;    # the launcher of the round in progress, stopped if the test dies
END { if ($current) { kill 'TERM', $current; waitpid $current, 0 } }

sub run_launcher {
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        open STDOUT, '>', '/dev/null';
        open STDERR, '>', "$dir/run.log";
        exec "$build/cpan-bridge-dev", 'run', '--runtime-dir', $dir or die "exec: $!";
    }
    return $pid;
}

# Processes whose command line names this runtime directory (the launcher's daemons).
sub suite_processes {
    my @found;
    for my $p (glob '/proc/[0-9]*') {
        open my $fh, '<', "$p/cmdline" or next;
        local $/;
        my $cmd = <$fh> // next;
        push @found, $p =~ s{/proc/}{}r if index($cmd, $dir) >= 0;
    }
    return @found;
}

sub zombies_of_mine {
    my @z;
    for my $p (glob '/proc/[0-9]*') {
        open my $fh, '<', "$p/stat" or next;
        my $stat = <$fh> // next;
        my ($state, $ppid) = $stat =~ /\) (\S) (\d+)/ or next;
        push @z, $p if $state eq 'Z' && $ppid == $$;
    }
    return @z;
}

sub wait_until {
    my ($what) = @_;
    for (1 .. 200) { return 1 if $what->(); select undef, undef, undef, 0.05 }
    return 0;
}

for my $signal (qw(TERM INT)) {
    $current = run_launcher();
    my $b = CPANBridge->new;
    ok(wait_until(sub { -S $sock && $b->call('test', 'ping', {})->{success} }),
        "SIG$signal round: the suite answers");
    ok(-S $sock, 'the socket exists and is a socket');
    my $r = $b->call_python('test', 'ping', {});
    ok($r->{success}, 'ping succeeds') or diag explain $r;
    is($r->{result}{message}, 'pong', 'pong');
    is($b->mode, 'daemon', 'in daemon mode');
    my $st = launcher_status({ dir => $dir });
    ok($st && $st->{router}{pid}, 'the launcher reports its router');
    ok(scalar(suite_processes()) >= 2, 'launcher and daemons are running');

    undef $b;    # our connection closes before the suite stops
    kill $signal, $current;
    is(waitpid($current, 0), $current, "the launcher exits on SIG$signal");
    is($? & 127, 0, 'not killed by the signal: it shut down by itself');
    is($? >> 8, 0, 'exit status 0');
    undef $current;
    ok(!-e $sock, 'the socket was removed');
    ok(wait_until(sub { !suite_processes() }), 'no process of the suite is left')
        or diag "left: @{[ suite_processes() ]}";
    is_deeply([ zombies_of_mine() ], [], 'no zombie children');
}

# An immediate restart works (the loop above also restarted at once after SIGTERM).
$current = run_launcher();
my $b = CPANBridge->new;
ok(wait_until(sub { $b->call('test', 'ping', {})->{success} }), 'restart at once: ping answers');
undef $b;
kill 'TERM', $current;
waitpid $current, 0;
undef $current;
ok(!-e $sock, 'socket removed again');

done_testing;
