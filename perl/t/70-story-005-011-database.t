#!/usr/bin/perl
# STORY-005 and STORY-011 through CPANBridge, on both drivers. As DESIGN.md's "Seed stories on
# these machines" says, the stories' dbi:Oracle:test* DSNs are mapped by the suite's
# configuration: dbi:Oracle:testdb to a SQLite file, dbi:Oracle:testpgdb to a throwaway
# PostgreSQL cluster made by tests/db/pg-cluster.sh (skipped when no server is installed).
# The Oracle-only SQL (SYSDATE FROM DUAL, NUMBER, VARCHAR2) is written in each dialect.
use strict;
use warnings;
use Test::More;
use File::Temp ();
use FindBin;
use lib "$FindBin::Bin/lib", "$FindBin::Bin/..";
use CBTestSuite qw(start_suite stop_suite build_dir);
use CPANBridge;
use Time::HiRes qw(time);

my $cluster_script = "$FindBin::Bin/../../tests/db/pg-cluster.sh";
my %pg = map { /^(\w+)=(.*)$/ ? ($1 => $2) : () } `$cluster_script start 2>/dev/null`;
my $have_pg = $? == 0 && $pg{PGHOST};
END { system($cluster_script, 'stop', $pg{PGHOST}) if $pg{PGHOST} }

my $lite_dir = File::Temp::tempdir('cb-db-XXXXXX', TMPDIR => 1, CLEANUP => 1);
my $pg_dsn   = $have_pg ? "dbi:Pg:dbname=cbtest;host=$pg{PGHOST};port=$pg{PGPORT}" : 'dbi:Pg:dbname=none';
my $config   = "[dsn_aliases]\ndbi:Oracle:testpg* = $pg_dsn\n"
             . "dbi:Oracle:test* = dbi:SQLite:dbname=$lite_dir/story.db\n";

my $suite = start_suite(config => $config);
$CPANBridge::DAEMON_MODE      = 1;
$CPANBridge::FALLBACK_ENABLED = 0;

my @drivers = (
    { name => 'SQLite', dsn => 'dbi:Oracle:testdb', now => "SELECT datetime('now') AS now",
      create => 'CREATE TABLE test_performance (id INTEGER, name VARCHAR(100), created TEXT)',
      insert => "INSERT INTO test_performance (id, name, created) VALUES (?, ?, datetime('now'))" },
    { name => 'Pg', dsn => 'dbi:Oracle:testpgdb', now => 'SELECT now() AS now',
      create => 'CREATE TABLE test_performance (id INTEGER, name VARCHAR(100), created TIMESTAMP)',
      insert => 'INSERT INTO test_performance (id, name, created) VALUES (?, ?, now())' },
);

sub story005 {
    my ($d) = @_;
    my $bridge = CPANBridge->new();
    my $start  = time();
    my $result = $bridge->call_python('database', 'connect',
        { dsn => $d->{dsn}, username => 'testuser', password => 'testpass' });
    my $first_connect_time = time() - $start;
    ok($result->{success}, "$d->{name}: STORY-005 connects") or diag explain $result;
    my $conn = $result->{result}{connection_id};

    $start = time();
    my %seen;
    for (1 .. 10) {
        my $r = $bridge->call_python('database', 'execute_statement', { sql => $d->{now} });
        $seen{ $r->{result}{connection_id} // 'failed' }++;
    }
    my $operations_time = time() - $start;
    is_deeply([keys %seen], [$conn], "$d->{name}: the 10 statements reused the one connection");
    ok($operations_time / 10 < 0.050, sprintf("$d->{name}: %.1f ms per operation, under 50 ms",
                                            $operations_time * 100));
    note(sprintf("$d->{name}: first connection %.3fs, 10 operations %.3fs", $first_connect_time,
                 $operations_time));
    my $row = $bridge->call_python('database', 'fetch_row', {});
    ok(defined $row->{result}{now}, "$d->{name}: the current statement's row has 'now'");
}

sub story011 {
    my ($d) = @_;
    my $bridge     = CPANBridge->new();
    my $start_time = time();
    my $result = $bridge->call_python('database', 'connect',
        { dsn => $d->{dsn}, username => 'testuser', password => 'testpass' });
    ok($result->{success}, "$d->{name}: STORY-011 connects") or return diag explain $result;

    ok($bridge->call_python('database', 'begin_transaction', {})->{success}, "$d->{name}: begin");
    ok($bridge->call_python('database', 'execute_statement', { sql => $d->{create} })->{success},
       "$d->{name}: create table");
    my $p = $bridge->call_python('database', 'prepare', { sql => $d->{insert} });
    is($p->{result}{param_count}, 2, "$d->{name}: prepared with two placeholders");
    my $failed = 0;
    for my $i (1 .. 1000) {
        my $r = $bridge->call_python('database', 'execute_statement',
                                     { params => [$i, "Test Record $i"] });
        $failed++ unless $r->{success} && $r->{result}{rows_affected} == 1;
    }
    is($failed, 0, "$d->{name}: all 1000 inserts succeeded");
    $bridge->call_python('database', 'execute_statement',
                         { sql => 'SELECT COUNT(*) as record_count FROM test_performance' });
    my $count_result = $bridge->call_python('database', 'fetch_row', {});
    is($count_result->{result}{record_count}, 1000, "$d->{name}: Inserted 1000 records");
    my $c = $bridge->call_python('database', 'commit', {});
    ok($c->{success} && $c->{result}{committed}, "$d->{name}: committed");
    ok($bridge->call_python('database', 'execute_statement',
                            { sql => 'DROP TABLE test_performance' })->{success},
       "$d->{name}: cleanup");
    my $total_time = time() - $start_time;
    ok($total_time < 10, sprintf("$d->{name}: complete workflow %.3fs (%.1f ops/sec)",
                                 $total_time, 1002 / $total_time));

    # Past the last row: success, a null result and end_of_data (API.md 1.1).
    $bridge->call_python('database', 'execute_statement', { sql => 'SELECT 1 AS one' });
    $bridge->call_python('database', 'fetch_row', {});
    my $end = $bridge->call_python('database', 'fetch_row', {});
    ok($end->{success} && !defined $end->{result}, "$d->{name}: reading past the end is not an error");
}

for my $d (@drivers) {
    SKIP: {
        skip "no PostgreSQL server installed", 1 if $d->{name} eq 'Pg' && !$have_pg;
        story005($d);
        story011($d);
    }
}

done_testing();
