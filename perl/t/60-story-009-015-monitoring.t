#!/usr/bin/perl
# STORY-009 and STORY-015: the monitoring the stories read, with real, checked numbers. Their
# database and http calls wait for those families; here the workload is module test, some
# failures and an unknown module.
use strict;
use warnings;
use Test::More;
use FindBin;
use lib "$FindBin::Bin/lib", "$FindBin::Bin/..";
use CBTestSuite qw(start_suite);
use CPANBridge;

start_suite();
$CPANBridge::FALLBACK_ENABLED = 0;
my $bridge = CPANBridge->new;

sub result_of {
    my ($module, $function) = @_;
    my $r = $bridge->call_python($module, $function, {});
    ok($r->{success}, "$module.$function answers") or diag explain $r;
    return $r->{result} // {};
}

my $perf0 = result_of('system', 'performance');
my $before = $perf0->{performance_metrics};
my %top_before = map { ($_->{module_function} => $_) } @{ $perf0->{module_performance}{top_modules} || [] };

# STORY-009: activity, then every endpoint.
for (1 .. 50) {
    my $r = $bridge->call_python('test', 'ping', { activity_test => $_ });
    die "ping failed: $r->{error}" unless $r->{success};
}
my $health = result_of('system', 'health');
like($health->{overall_status}, qr/^(healthy|degraded)$/, 'health is healthy or degraded');
for my $check (qw(daemon_running socket_connectivity helper_modules memory_usage cpu_usage
                  performance family_core)) {
    like($health->{checks}{$check}{status} // '', qr/^(pass|warn|fail)$/, "check $check has a status");
    ok(length($health->{checks}{$check}{message} // ''), "check $check has a message");
}
is($health->{checks}{family_core}{details}{state}, 'running', 'the core family is running');

my $perf = result_of('system', 'performance')->{performance_metrics};
is($perf->{total_requests} - $before->{total_requests}, 52,
   '50 pings, the health call and the first performance call are counted');
ok($perf->{avg_response_time} > 0 && $perf->{avg_response_time} < 1, 'average response time is plausible');
ok($perf->{p50_response_time} <= $perf->{p95_response_time}, 'p50 <= p95');
ok($perf->{p95_response_time} <= $perf->{p99_response_time}, 'p95 <= p99');
ok($perf->{requests_per_second} > 0, 'requests per second over the last minute');
ok($perf->{error_rate} >= 0 && $perf->{error_rate} <= 1, 'error_rate is a fraction');

my $metrics = result_of('system', 'metrics');
my $res = $metrics->{resource_status};
ok($res->{memory_mb} > 0 && $res->{memory_mb} < 500, "memory is realistic ($res->{memory_mb} MB)");
ok($res->{cpu_percent} >= 0 && $res->{cpu_percent} < 400, "CPU is a rate, not nonsense ($res->{cpu_percent}%)");
ok($metrics->{connection_summary}{active_connections} >= 1, 'our connection is counted');

# STORY-015: failures are tracked, and the dashboard's fields are all there.
for (1 .. 5) {
    my $r = $bridge->call_python('nonexistent', 'function', {});
    is($r->{error_code}, 'E_UNKNOWN_MODULE', 'an unknown module is refused');
}
my $d = result_of('system', 'metrics');
like($d->{daemon_info}{version}, qr/^\d+\.\d+/, 'daemon version');
like($d->{daemon_info}{uptime_formatted}, qr/^\d+h \d+m \d+s$/, 'uptime formatted as "Xh Ym Zs"');
ok($d->{security_summary}{total_security_events} >= 5, 'the refusals are security events');
ok($d->{security_summary}{requests_rejected} >= 5, 'and rejected requests');
ok($d->{connection_summary}{total_connections} >= 1, 'total connections');

my $p = result_of('system', 'performance');
my %top = map { ($_->{module_function} => $_) } @{ $p->{module_performance}{top_modules} };
# Since the start of the router, which may have served others before (under systemd).
is(($top{'test.ping'}{requests} // 0) - ($top_before{'test.ping'}{requests} // 0), 50,
   'test.ping is in the module table with its 50 requests');
ok(exists $top{'other.unknown'}
       && $top{'other.unknown'}{errors} - ($top_before{'other.unknown'}{errors} // 0) == 5,
   'the unknown module calls are counted as errors');
ok(@{ $p->{recent_errors} } >= 5, 'recent errors are kept');
is($p->{recent_errors}[0]{error_code}, 'E_UNKNOWN_MODULE', 'newest error first, with its code');
ok(@{ $p->{history} } >= 1, 'the per-minute history has this minute');

my $h2 = result_of('system', 'health');
is($h2->{checks}{performance}{status}, 'pass', "callers' own mistakes never degrade health");

done_testing;
