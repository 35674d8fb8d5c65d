#!/usr/bin/perl
# STORY-013: 10 client threads of 200 calls each with no error, the suite's p99 reported,
# memory and connections back where they were; then an overload far past the configured
# limits, answered with E_THROTTLED and never a crash, and service back to normal after it.
# The 10 x 100,000 mixed-call run is make load (tests/load/load.pl); this is its short form.
use strict;
use warnings;
use Config;
use Test::More;
use FindBin;
use lib "$FindBin::Bin/lib", "$FindBin::Bin/..";
use CBTestSuite qw(start_suite stop_suite launcher_status);
use CPANBridge;
use Time::HiRes qw(time);
BEGIN { if ($Config{useithreads}) { require threads; threads->import; require threads::shared; threads::shared->import } }

plan skip_all => 'this perl has no ithreads' unless $Config{useithreads};

# Limits that the 10 threads (and this one) stay within, and that 40 clients at once are far
# over.
my $suite = start_suite(config => "[limits]\nmax_connections_per_uid = 16\nmax_inflight_per_uid = 12\n");
$CPANBridge::FALLBACK_ENABLED = 0;
my $bridge = CPANBridge->new;
ok($bridge->call('test', 'ping', {})->{success}, 'the suite answers');
my $before = $bridge->call('system', 'metrics', {})->{result};

# A mixed worker: ping, echo with payloads up to 64 KiB, a counter of its own session.
sub worker {
    my ($id, $n) = @_;
    my $b = CPANBridge->new;
    my (%errors, $ok, @lat);
    for my $i (1 .. $n) {
        my $t = time;
        my $r = $i % 3 == 0 ? $b->call('test', 'echo', { payload => 'x' x (($i * 997) % 65536), i => $i })
              : $i % 3 == 1 ? $b->call('test', 'ping', { thread => $id, operation => $i })
              :               $b->call('test', 'counter', {});
        push @lat, time - $t;
        if ($r->{success}) { $ok++ } else { $errors{ $r->{error_code} // '?' }++ }
    }
    return [ $ok // 0, \%errors, \@lat ];
}

my $t0 = time;
my @threads = map { threads->create(\&worker, $_, 200) } 1 .. 10;
my ($ok, %errors, @lat) = (0);
for my $t (@threads) {
    my ($n, $e, $l) = @{ $t->join };
    $ok += $n;
    $errors{$_} += $e->{$_} for keys %$e;
    push @lat, @$l;
}
my $wall = time - $t0;
is($ok, 2000, '10 threads x 200 calls: every one succeeded') or diag explain \%errors;
@lat = sort { $a <=> $b } @lat;
note sprintf('STORY-013: %d calls in %.2fs (%.0f/s), client p50 %.2f ms, p99 %.2f ms',
             scalar @lat, $wall, @lat / $wall, $lat[ @lat / 2 ] * 1000, $lat[ int(@lat * 0.99) ] * 1000);

my $after = $bridge->call('system', 'metrics', {})->{result};
note sprintf('suite p99 %.2f ms; memory %.1f MB before, %.1f MB after',
             ($after->{performance_metrics}{p99_response_time} // 0) * 1000,
             $before->{resource_status}{memory_mb} // 0, $after->{resource_status}{memory_mb} // 0);
cmp_ok($after->{performance_metrics}{total_requests}, '>=', 2000, 'the router counted the calls');
is($after->{connection_summary}{active_connections}, 1, 'the threads closed their connections: only ours is open')
    or diag explain $after->{connection_summary};
my $health = $bridge->call('system', 'health', {})->{result};
like($health->{overall_status} // '', qr/\A(?:healthy|degraded)\z/, 'health after the load') or diag explain $health;

# Overload: 40 clients at once, each with a slow call, against 16 connections and 12 calls in
# flight. What is over a limit is refused at once with E_THROTTLED naming it; nothing else fails.
# The threads are made first and start together: making an ithread is slow (the more so
# under ASan), and the overload must be at once.
my $go :shared = 0;
my $slow = sub {
    sleep 0.01 until $go;
    my $b = CPANBridge->new;
    my $r = $b->call('test', 'sleep', { ms => 1000 });
    return $r->{success} ? 'ok' : ($r->{error_code} // '?') . ' ' . ($r->{error} // '');
};
my @over = map { threads->create($slow) } 1 .. 40;
$go = 1;
my %outcome;
for my $t (@over) {
    my $o = $t->join;
    my ($code) = split / /, $o;
    $outcome{$code}++;
    note "overload: $o" unless $code eq 'ok' || $code eq 'E_THROTTLED';
    like($o, qr/max_(?:connections|inflight)_per_uid/, 'a throttled call names its limit') if $code eq 'E_THROTTLED';
}
note 'overload outcomes: ' . join(', ', map { "$_ $outcome{$_}" } sort keys %outcome);
cmp_ok($outcome{E_THROTTLED} // 0, '>', 0, 'the overload was refused in part');
cmp_ok($outcome{ok} // 0, '>', 0, 'and served in part');
is(join(',', sort grep { $_ ne 'ok' && $_ ne 'E_THROTTLED' } keys %outcome), '', 'no other outcome');

# Recovery: once the overload is gone, every call succeeds again.
my $back = 0;
$back += $bridge->call('test', 'ping', { after => 'overload' })->{success} ? 1 : 0 for 1 .. 100;
is($back, 100, 'after the overload: 100 of 100 calls succeed');
my @again = map { threads->create(\&worker, $_, 50) } 1 .. 4;
my $again = 0;
$again += $_->join->[0] for @again;
is($again, 200, 'and 4 new clients are served in full');
SKIP: {
    skip 'restarts are counted by systemd here (tests/systemd/inside.sh)', 1 if $suite->{existing};
    my $st = launcher_status($suite);
    is(scalar(grep { ($_->{restarts} // 0) > 0 } @{ $st->{instances} || [] }), 0, 'no instance restarted')
        or diag explain $st;
}

stop_suite($suite);
done_testing;
