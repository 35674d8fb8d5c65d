#!/usr/bin/perl
# make load: CLIENTS processes (default 10) each make CALLS mixed calls (default 100,000)
# through one CPANBridge object, against a suite started for the run. Fails on any error;
# prints throughput and the clients' p50, p99 and maximum latency, and the suite's own.
# Usage: tests/load/load.pl BUILD_DIR [CLIENTS] [CALLS]
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin", "$FindBin::Bin/../../perl", "$FindBin::Bin/../../perl/t/lib";
use Time::HiRes qw(time);
use File::Temp qw(tempdir);
use POSIX ();

my ($build, $clients, $calls) = @ARGV;
$ENV{CB_BUILD_DIR} = $build // 'build';
$clients ||= 10;
$calls   ||= 100_000;
require CBTestSuite;
require CPANBridge;
require Workload;

my $suite = CBTestSuite::start_suite();
{ no warnings "once"; $CPANBridge::FALLBACK_ENABLED = 0; }
my $dir = tempdir('cb-load-XXXXXX', TMPDIR => 1, CLEANUP => 1);
print "load: $clients clients x $calls mixed calls (ping, echo 0 B to 1 MiB, SQLite, xml, xpath, crypto, excel, datetime)\n";

my $t0 = time;
my @kids;
for my $c (1 .. $clients) {
    pipe(my $r, my $w) or die "pipe: $!";
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        close $r;
        my $b = CPANBridge->new;
        my $ctx = { dir => $dir };
        my (%err, @lat);
        for my $i (1 .. $calls) {
            my $t = time;
            my ($ok, $code) = Workload::step($b, $ctx, $i + $c);
            push @lat, time - $t;
            $err{ $code // '?' }++ unless $ok;
        }
        Workload::finish($b, $ctx);
        print $w join(' ', scalar(keys %err) ? map { "$_=$err{$_}" } sort keys %err : 'none'), "\n";
        print $w pack('d*', @lat);
        close $w;
        POSIX::_exit(0);
    }
    close $w;
    push @kids, [ $pid, $r ];
}
my (@lat, %err);
for my $k (@kids) {
    my ($pid, $r) = @$k;
    my $line = <$r>;
    local $/;
    my $bin = <$r> // '';
    waitpid $pid, 0;
    chomp $line;
    for (split / /, $line) { my ($c, $n) = split /=/; $err{$c} += $n if defined $n }
    push @lat, unpack('d*', $bin);
}
my $wall = time - $t0;
@lat = sort { $a <=> $b } @lat;
my $pct = sub { $lat[ int(@lat * $_[0]) < @lat ? int(@lat * $_[0]) : $#lat ] * 1000 };
my $b = CPANBridge->new;
my $perf = $b->call('system', 'performance', {})->{result}{performance_metrics} // {};
printf "load: %d calls in %.1fs, %.0f calls/s; clients p50 %.2f ms, p99 %.2f ms, max %.1f ms; suite p99 %.2f ms\n",
    scalar @lat, $wall, @lat / $wall, $pct->(0.5), $pct->(0.99), $lat[-1] * 1000,
    ($perf->{p99_response_time} // 0) * 1000;
my $errors = 0;
$errors += $_ for values %err;
printf "load: %d errors%s\n", $errors, $errors ? ' (' . join(', ', map { "$_ $err{$_}" } sort keys %err) . ')' : '';
CBTestSuite::stop_suite($suite);
exit($errors || @lat != $clients * $calls ? 1 : 0);
