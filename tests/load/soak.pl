#!/usr/bin/perl
# make soak: the mixed workload of make load from CLIENTS processes for DURATION, while every
# SAMPLE seconds each daemon's resident memory, open descriptors and the suite's live handles
# and p99 latency go into a CSV. After the warm-up (the first quarter, at least one sample) it
# fails when a daemon's RSS grows faster than 1 MiB an hour (with a floor for the allocator's
# granularity in short runs: 512 KiB, 4 MiB for core and the router, which buffer the 1 MiB
# payloads), or when descriptors or handles grow at all.
# Usage: tests/load/soak.pl BUILD_DIR DURATION [CSV]   (DURATION: 30m, 2m, 24h, 90s)
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin", "$FindBin::Bin/../../perl", "$FindBin::Bin/../../perl/t/lib";
use Time::HiRes qw(time sleep);
use File::Temp qw(tempdir);
use POSIX ();

my ($build, $duration, $csv) = @ARGV;
$ENV{CB_BUILD_DIR} = $build // 'build';
my %unit = (s => 1, m => 60, h => 3600);
($duration // '30m') =~ /\A(\d+)([smh]?)\z/ or die "soak: DURATION is like 90s, 30m or 24h\n";
my $seconds = $1 * $unit{ $2 || 's' };
my $sample = $seconds >= 1200 ? 60 : $seconds >= 120 ? 10 : 5;
$csv //= "$build/soak.csv";
require CBTestSuite;
require CPANBridge;
require Workload;

my $suite = CBTestSuite::start_suite();
{ no warnings 'once'; $CPANBridge::FALLBACK_ENABLED = 0; }
my $dir = tempdir('cb-soak-XXXXXX', TMPDIR => 1, CLEANUP => 1);
my $clients = $ENV{CLIENTS} || 3;
print "soak: $clients clients for ${seconds}s, a sample every ${sample}s into $csv\n";

my $stop_at = time + $seconds;
my @kids;
for my $c (1 .. $clients) {
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        my $b = CPANBridge->new;
        my $ctx = { dir => $dir };
        my ($i, $errors, %codes) = (0, 0);
        while (time < $stop_at) {
            my ($ok, $code) = Workload::step($b, $ctx, ++$i + $c);
            $codes{ $code // '?' }++ unless $ok;
            $errors++ unless $ok;
            # A new object now and then: sessions end and their state must go with them.
            if ($i % 500 == 0) { Workload::finish($b, $ctx); $b = CPANBridge->new; $ctx = { dir => $dir } }
        }
        Workload::finish($b, $ctx);
        print STDERR "soak: client $c: $errors errors in $i calls (",
            join(', ', map { "$_ $codes{$_}" } sort keys %codes), ")\n" if $errors;
        POSIX::_exit($errors ? 1 : 0);
    }
    push @kids, $pid;
}

sub proc_rss_kb {
    open(my $fh, '<', "/proc/$_[0]/status") or return undef;
    while (my $line = <$fh>) { return $1 if $line =~ /^VmRSS:\s+(\d+)/ }
    return undef;
}
sub proc_fds { opendir(my $d, "/proc/$_[0]/fd") or return undef; return scalar grep { !/^\./ } readdir $d }

my $probe = CPANBridge->new;
my (%series, @handles);
open(my $out, '>', $csv) or die "$csv: $!";
print $out "seconds,process,pid,rss_kb,fds,handles,p99_ms\n";
my $t0 = time;
while (time < $stop_at) {
    sleep(($sample - (time - $t0) % $sample) || $sample);
    my $st = CBTestSuite::launcher_status($suite) // {};
    my $m = $probe->call('system', 'metrics', {})->{result} // {};
    my $h = $m->{connection_summary}{handles}{total} // 0;
    my $p99 = ($probe->call('system', 'performance', {})->{result}{recent}{p99_response_time} // 0) * 1000;
    my @procs = ([ 'router', $st->{router}{pid} ],
                 map { [ $_->{family}, $_->{pid} ] } grep { $_->{pid} } @{ $st->{instances} || [] });
    my $at = sprintf '%.0f', time - $t0;
    for my $p (@procs) {
        my ($name, $pid) = @$p;
        my ($rss, $fds) = (proc_rss_kb($pid), proc_fds($pid));
        next unless defined $rss;
        printf $out "%s,%s,%d,%d,%d,%d,%.2f\n", $at, $name, $pid, $rss, $fds // -1, $h, $p99;
        push @{ $series{"$name/$pid"} }, [ $at, $rss, $fds ];
    }
    push @handles, $h;
    printf "soak: %4ss  %s  handles %d  p99 %.1f ms\n", $at,
        join(' ', map { sprintf '%s %.1fM/%dfd', $_->[0], (proc_rss_kb($_->[1]) // 0) / 1024, proc_fds($_->[1]) // -1 } @procs),
        $h, $p99;
}
close $out;
my $failed_clients = 0;
for (@kids) { waitpid $_, 0; $failed_clients++ if $? }

# At rest, once every client's session has ended: the descriptors and handles left.
sleep 3;
my $st = CBTestSuite::launcher_status($suite) // {};
my %rest_fds = map { ("$_->[0]/$_->[1]" => proc_fds($_->[1])) }
    grep { $_->[1] } ([ 'router', $st->{router}{pid} ], map { [ $_->{family}, $_->{pid} ] } @{ $st->{instances} || [] });
my $rest_handles = $probe->call('system', 'metrics', {})->{result}{connection_summary}{handles}{total} // -1;

# Judgement after the warm-up (the first quarter). Under load RSS and descriptors move with
# the work in flight, so RSS compares the floors (the least of the samples) of the second and the last quarter, which
# transient buffers do not raise and a leak does, and at
# rest each daemon may hold no more descriptors than its fewest while busy.
sub median { my @v = sort { $a <=> $b } @_; return $v[ @v / 2 ] }
my $verdict = 0;
for my $key (sort keys %series) {
    my @s = @{ $series{$key} };
    next if @s < 4;
    my $q = int(@s / 4) || 1;
    my @early = @s[ $q .. 2 * $q - 1 ];
    my @late  = @s[ $#s - $q + 1 .. $#s ];
    my $hours = ($late[-1][0] - $early[0][0]) / 3600 || 1 / 3600;
    my $grew_kb = (sort { $a <=> $b } map { $_->[1] } @late)[0] - (sort { $a <=> $b } map { $_->[1] } @early)[0];
    # The floor allows for the allocator: core, which answers the channels' echoes, holds the
    # 1 MiB payloads of three clients in and out at once (the router, when it relays them),
    # and glibc's arenas settle over minutes, not seconds.
    my $floor_kb = $key =~ /^(?:router|core)/ ? 4096 : 512;
    my $allowed_kb = 1024 * $hours > $floor_kb ? 1024 * $hours : $floor_kb;
    my $busy_min = (sort { $a <=> $b } map { $_->[2] } @s[ $q .. $#s ])[0];
    my $rest = $rest_fds{$key};
    my $bad = $grew_kb > $allowed_kb || (defined $rest && $rest > $busy_min);
    printf "soak: %-14s RSS %+d KiB over %.2f h after warm-up (allowed %d); fds at rest %s, fewest busy %d: %s\n",
        $key, $grew_kb, $hours, $allowed_kb, $rest // 'gone', $busy_min, $bad ? 'GROWS' : 'steady';
    $verdict ||= $bad;
}
printf "soak: live handles at rest: %d\n", $rest_handles;
$verdict = 1 if $rest_handles != 0;
print "soak: $failed_clients client(s) saw errors\n" if $failed_clients;
CBTestSuite::stop_suite($suite);
print $verdict || $failed_clients ? "soak: FAILED\n" : "soak: steady\n";
exit($verdict || $failed_clients ? 1 : 0);
