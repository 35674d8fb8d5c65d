#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# Benchmark body: N calls of test.ping through CPANBridge, printing "calls_per_sec N mode M".
use strict;
use warnings;
use Time::HiRes qw(time);
use CPANBridge;

my $n = shift // 2000;
my $bridge = CPANBridge->new();
my $first = $bridge->call('test', 'ping', {});    # connect and warm up outside the timing
die "first call failed: $first->{error}\n" unless $first->{success};

my $t0 = time;
for (1 .. $n) {
    my $r = $bridge->call('test', 'ping', {});
    die "call failed: $r->{error}\n" unless $r->{success};
}
my $dt = time - $t0;
printf "calls_per_sec %.1f mode %s\n", $n / $dt, $bridge->mode;
