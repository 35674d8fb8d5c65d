#!/usr/bin/perl
# STORY-018, the seed's four calls (test.ping, http.get of /json, database.connect to the
# seed's Oracle DSN, xml_helper.xml_in of a string), 20 each in process mode and 20 in
# daemon mode, after one call each that is not timed. What is asserted is behaviour: every call succeeds in each mode, each mode is
# the one that answered, and the answers are the same where they do not depend on the
# process. The speed-up of each is printed, not asserted (tests never judge wall-clock
# times on these shared machines; make bench measures it pinned).
#
# The web server is tests/net/web-servers.sh's nginx, or the one CB_TEST_SERVERS names
# (tests/systemd/inside.sh); the Oracle DSN is mapped to SQLite here, or by the running
# suite's configuration (CB_TEST_CONFIG).
use strict;
use warnings;
use Test::More;
use FindBin;
use lib "$FindBin::Bin/lib", "$FindBin::Bin/..";
use CBTestSuite qw(start_suite stop_suite);
use CPANBridge;
use File::Temp qw(tempdir);
use JSON::PP ();
use Time::HiRes qw(time);

my $tests = "$FindBin::Bin/../../tests";
my %web;
if (my $file = $ENV{CB_TEST_SERVERS}) {
    open(my $fh, '<', $file) or BAIL_OUT("CB_TEST_SERVERS: $file: $!");
    %web = map { /^(\w+)=(.*)$/ ? ($1 => $2) : () } <$fh>;
} else {
    %web = map { /^(\w+)=(.*)$/ ? ($1 => $2) : () } `$tests/net/web-servers.sh start 2>/dev/null`;
    plan skip_all => 'no nginx or httpbin (make deps installs them)' unless $? == 0 && $web{HTTP_URL};
}
END { system("$tests/net/web-servers.sh", 'stop', $web{WEB_DIR}) if $web{WEB_DIR} && !$ENV{CB_TEST_SERVERS} }

my $tmp = tempdir('cb-018-XXXXXX', TMPDIR => 1, CLEANUP => 1);
my $own = "[dsn_aliases]\ndbi:Oracle:test* = dbi:SQLite:dbname=$tmp/perf.db\n";
my $suite = start_suite(config => $ENV{CB_TEST_SOCKET} ? $ENV{CB_TEST_CONFIG} // $own : $own);
$CPANBridge::FALLBACK_ENABLED = 0;
my $canon = JSON::PP->new->canonical;

my @cases = (
    [ test => ping => {}, sub { $_[0]{message} } ],
    [ http => get => { url => "$web{HTTP_URL}/json" },
      sub { join ' ', $_[0]{status} // '?', $_[0]{content} // '' } ],
    [ database => connect => { dsn => 'dbi:Oracle:testdb', username => 'testuser', password => 'testpass' },
      sub { $_[0]{connection_id} ? 'connected' : 'no connection' } ],
    [ xml_helper => xml_in => { source => '<test>data</test>', source_type => 'string' },
      sub { $canon->encode($_[0]) } ],
);

for my $case (@cases) {
    my ($module, $function, $params, $what) = @$case;
    my (%seconds, %answers);
    for my $mode (qw(process daemon)) {
        my $bridge = CPANBridge->new(daemon_mode => $mode eq 'daemon' ? 1 : 0);
        my ($ok, %seen) = (0);
        # Not timed: the first call of daemon mode also starts the instance and its channel.
        $bridge->call_python($module, $function, $params);
        my $t = time;
        for (1 .. 20) {
            my $r = $bridge->call_python($module, $function, $params);
            if ($r->{success} && $bridge->mode eq $mode) {
                $ok++;
                $seen{ $what->($r->{result}) }++;
            } else {
                diag explain $r if $ok == $_ - 1;    # the first failure only
            }
        }
        $seconds{$mode} = time - $t;
        is($ok, 20, "$module.$function: 20 of 20 in $mode mode");
        $answers{$mode} = [ sort keys %seen ];
    }
    is_deeply($answers{daemon}, $answers{process}, "$module.$function: the same answers in both modes")
        or diag explain \%answers;
    is(scalar @{ $answers{daemon} }, 1, "$module.$function: one answer, the same for all 20 calls");
    note sprintf('STORY-018 %s.%s: process %.1f ops/s, daemon %.1f ops/s, %.1fx faster',
                 $module, $function, 20 / $seconds{process}, 20 / $seconds{daemon},
                 $seconds{process} / ($seconds{daemon} || 1e-6));
}

stop_suite($suite);
done_testing;
