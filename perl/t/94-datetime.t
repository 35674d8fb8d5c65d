#!/usr/bin/perl
# datetime_helper against DateTime itself (Debian's libdatetime-perl): now, format, parse,
# add and diff across time zones, month ends, leap years and DST changes, compared field by
# field; both modes; the session's TZ as the default zone.
use strict;
use warnings;
use Test::More;
use FindBin;
use lib "$FindBin::Bin/lib", "$FindBin::Bin/..";
use CBTestSuite qw(start_suite);
use CPANBridge;

plan skip_all => 'no DateTime (make deps installs libdatetime-perl)' unless eval { require DateTime; 1 };

$ENV{TZ} = 'Asia/Tokyo';    # sent as the session's zone
my $suite = start_suite();
$CPANBridge::FALLBACK_ENABLED = 0;
my $bridge = CPANBridge->new();

sub fields_of {
    my ($dt) = @_;
    (my $iso = $dt->strftime('%Y-%m-%dT%H:%M:%S%z')) =~ s/(\d\d)(\d\d)\z/$1:$2/;
    return { epoch => $dt->epoch, iso => $iso, year => $dt->year, month => $dt->month, day => $dt->day,
             hour => $dt->hour, minute => $dt->minute, second => $dt->second, nanosecond => $dt->nanosecond,
             day_of_week => $dt->day_of_week, day_of_year => $dt->day_of_year, week => scalar $dt->week_number,
             is_leap_year => $dt->is_leap_year ? 1 : 0, time_zone => $dt->time_zone->name, offset_seconds => $dt->offset };
}

sub same_fields {
    my ($got, $want, $what) = @_;
    my %g = %{ $got || {} };
    $g{is_leap_year} = $g{is_leap_year} ? 1 : 0 if exists $g{is_leap_year};
    is_deeply(\%g, $want, $what) or diag explain { got => $got, want => $want };
}

my @zones = qw(UTC Europe/Berlin America/New_York Asia/Kolkata Australia/Lord_Howe);
my @bases = ('2026-01-31T10:00:00', '2026-02-28T23:30:00', '2028-02-29T12:00:00', '2026-12-31T23:59:59',
             '2026-03-29T00:30:00', '2026-10-25T01:30:00', '2026-03-07T02:30:00', '2026-10-31T01:30:00',
             '2026-04-04T01:45:00');
my @adds = ({ days => 1 }, { hours => 24 }, { months => 1 }, { months => -1 }, { months => 1, end_of_month => 'limit' },
            { months => 1, end_of_month => 'preserve' }, { months => -1, end_of_month => 'wrap' }, { years => 1 },
            { weeks => 2, hours => 3 }, { minutes => -90 }, { months => 13, days => -3 }, { seconds => 86400 * 40 });

my ($cases, $errors) = (0, 0);
for my $zone (@zones) {
    for my $base (@bases) {
        my ($y, $mo, $d, $h, $mi, $s) = $base =~ /(\d+)-(\d+)-(\d+)T(\d+):(\d+):(\d+)/;
        my $dt = eval { DateTime->new(year => $y, month => $mo, day => $d, hour => $h, minute => $mi, second => $s, time_zone => $zone) };
        my $r = $bridge->call('datetime_helper', 'parse', { text => $base, time_zone => $zone });
        if (!$dt) {
            is($r->{error_code}, 'E_INVALID_PARAM', "$zone $base: a local time the clocks skip is refused, as DateTime does");
            next;
        }
        same_fields($r->{result}, fields_of($dt), "$zone $base: parse");
        for my $add (@adds) {
            my %a = %$add;
            my $eom = delete $a{end_of_month};
            my $want = eval { $dt->clone->add(%a, $eom ? (end_of_month => $eom) : ()) };
            my $got = $bridge->call('datetime_helper', 'add', { datetime => $dt->epoch, time_zone => $zone, %$add });
            my $what = "$zone $base + " . join(',', map { "$_=$add->{$_}" } sort keys %$add);
            $cases++;
            if ($want) {
                same_fields($got->{result}, fields_of($want), $what);
            } else {
                is($got->{error_code}, 'E_INVALID_PARAM', "$what: refused where DateTime dies");
                $errors++;
            }
        }
    }
}
note("$cases additions compared with DateTime, $errors of them refused by both");

# diff: DateTime's subtract_datetime, calendar units in the zone.
my @pairs = ([ '2026-01-31T10:00:00', '2026-03-01T09:00:00' ], [ '2026-03-28T12:00:00', '2026-03-30T11:30:00' ],
             [ '2026-03-28T03:00:00', '2026-03-29T03:30:00' ], [ '2026-10-25T03:00:00', '2026-10-24T01:00:00' ],
             [ '2026-12-31T23:59:59', '2026-01-01T00:00:00' ], [ '2024-02-29T00:00:00', '2028-02-28T23:59:58' ],
             [ '2026-10-24T03:00:00', '2026-10-25T02:59:59' ]);
for my $zone (qw(UTC Europe/Berlin America/New_York)) {
    for my $p (@pairs) {
        my ($from, $to) = map { my @f = /(\d+)-(\d+)-(\d+)T(\d+):(\d+):(\d+)/;
            DateTime->new(year => $f[0], month => $f[1], day => $f[2], hour => $f[3], minute => $f[4], second => $f[5], time_zone => $zone) } @$p;
        my %units;
        @units{qw(years months days hours minutes seconds)} = $to->subtract_datetime($from)->in_units(qw(years months days hours minutes seconds));
        my $r = $bridge->call('datetime_helper', 'diff', { from => $from->epoch, to => $to->epoch, time_zone => $zone });
        is_deeply($r->{result}{calendar}, \%units, "$zone diff $p->[0] .. $p->[1]") or diag explain $r;
        is($r->{result}{seconds}, $to->epoch - $from->epoch, "$zone diff $p->[0] .. $p->[1]: seconds");
    }
}

# format: the strftime codes DateTime and libc share, and DateTime's %N.
my $moment = DateTime->new(year => 2026, month => 7, day => 4, hour => 15, minute => 5, second => 9, nanosecond => 123456789, time_zone => 'Europe/Berlin');
for my $pattern ('%Y-%m-%d %H:%M:%S', '%a %A %b %B %d %e %j', '%u %w %y %I %p %M', '%Z %z', '%H:%M:%S.%3N', '%N', '100%% done %Y') {
    my $r = $bridge->call('datetime_helper', 'format', { datetime => '2026-07-04T15:05:09.123456789+02:00', pattern => $pattern, time_zone => 'Europe/Berlin' });
    is($r->{result}{formatted}, $moment->strftime($pattern), "format '$pattern'") or diag explain $r;
}

# parse: offsets, RFC 2822, strptime patterns; refusals.
my $r = $bridge->call('datetime_helper', 'parse', { text => '2026-12-03T08:35:12.25+05:30', time_zone => 'UTC' });
is($r->{result}{epoch}, DateTime->new(year => 2026, month => 12, day => 3, hour => 3, minute => 5, second => 12, time_zone => 'UTC')->epoch, 'an ISO offset');
is($r->{result}{nanosecond}, 250000000, 'fractional seconds');
$r = $bridge->call('datetime_helper', 'parse', { text => 'Thu, 03 Dec 2026 08:35:12 -0500' });
is($r->{result}{iso}, '2026-12-03T22:35:12+09:00', 'RFC 2822, shown in the session zone (Asia/Tokyo)');
$r = $bridge->call('datetime_helper', 'parse_date', { text => '03/12/2026 17:00', pattern => '%d/%m/%Y %H:%M', time_zone => 'America/New_York' });
is($r->{result}{offset_seconds}, -18000, 'a strptime pattern in a zone');
is($bridge->call('datetime_helper', 'parse', { text => 'yesterday' })->{error_code}, 'E_INVALID_PARAM', 'text that is no date');
is($bridge->call('datetime_helper', 'parse', { text => '2026-02-30' })->{error_code}, 'E_INVALID_PARAM', 'a day that does not exist');
is($bridge->call('datetime_helper', 'now', { time_zone => 'Mars/Olympus' })->{error_code}, 'E_INVALID_PARAM', 'an unknown zone');
like($bridge->call('datetime_helper', 'now', { time_zone => '../../etc/passwd' })->{error_code}, qr/\AE_(SECURITY|INVALID_PARAM)\z/, 'a path is no zone');
is($bridge->call('datetime_helper', 'now', { time_zone => 'zone.tab' })->{error_code}, 'E_INVALID_PARAM', 'a file of zoneinfo that is no zone');

# now, in the session's zone by default; both modes alike.
$r = $bridge->call('datetime_helper', 'now', {});
is($r->{result}{time_zone}, 'Asia/Tokyo', "the session's TZ is the default zone");
ok(abs($r->{result}{epoch} - time()) <= 2, 'now is now');
my $process = CPANBridge->new(daemon_mode => 0);
for my $case ([ 'add', { datetime => '2026-01-31T12:00:00', months => 1 } ], [ 'diff', { from => 0, to => 1e9 } ],
              [ 'format', { datetime => 1e9, pattern => '%c' } ], [ 'parse', { text => '2026-12-03' } ]) {
    is_deeply($process->call('datetime_helper', @$case), $bridge->call('datetime_helper', @$case), "$case->[0]: identical in both modes");
}
is($process->mode, 'process', 'process mode answered');

done_testing();
