#!/usr/bin/perl
# STORY-004, as counts only: every ping succeeds in both modes and the client counts every
# call. Speeds are printed for information and never asserted (machines differ).
use strict;
use warnings;
use Test::More;
use FindBin;
use lib "$FindBin::Bin/lib", "$FindBin::Bin/..";
use CBTestSuite qw(start_suite);
use CPANBridge;
use Time::HiRes qw(time);

start_suite();
$CPANBridge::FALLBACK_ENABLED = 0;

sub benchmark_mode {
    my ($name, $daemon_mode, $n) = @_;
    local $CPANBridge::DAEMON_MODE = $daemon_mode;
    my $bridge = CPANBridge->new;
    my ($ok, $modes) = (0, 0);
    my $t = time;
    for (1 .. $n) {
        my $r = $bridge->call_python('test', 'ping', {});
        $ok++ if $r->{success};
        $modes++ if $bridge->mode eq ($daemon_mode ? 'daemon' : 'process');
    }
    my $d = time - $t;
    diag sprintf '%s: %d/%d successful in %.3fs (%.1f ops/sec)', $name, $ok, $n, $d, $n / $d;
    is($ok, $n, "$name: all $n pings succeeded");
    is($modes, $n, "$name: all answered in the expected mode");
    my $st = $bridge->get_performance_stats->{'test.ping'};
    is($st->{call_count}, $n, "$name: call_count is $n");
    ok(defined $st->{last_duration} && $st->{last_duration} >= 0, "$name: last_duration recorded");
    $bridge->clear_performance_stats;
    is_deeply($bridge->get_performance_stats, {}, "$name: stats cleared");
    return $n / $d;
}

my $process = benchmark_mode('Process Mode', 0, 100);
my $daemon  = benchmark_mode('Daemon Mode', 1, 1000);
diag sprintf 'Performance improvement: %.1fx faster', $daemon / $process;

# The router counts the same calls: requests_processed grows by exactly what we sent.
my $b = CPANBridge->new;
my $before = $b->call('system', 'stats', {})->{result}{requests_processed};
$b->call('test', 'ping', {}) for 1 .. 50;
my $after = $b->call('system', 'stats', {})->{result}{requests_processed};
is($after - $before, 51, 'the router counted 50 pings and one stats call');

# test.counter counts this session's calls exactly.
my $c = CPANBridge->new;
is($c->call('test', 'counter', {})->{result}{value}, $_, "counter $_") for 1 .. 5;

done_testing;
