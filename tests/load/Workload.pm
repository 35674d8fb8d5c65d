# SPDX-License-Identifier: MIT
# The mixed workload of make load and make soak: one call at a time from one CPANBridge
# object, cycling through every family that runs on its embedded default (no server).
package Workload;
use strict;
use warnings;
use Time::HiRes qw(time);

my @payload_sizes = (0, 1, 100, 1024, 16 * 1024, 256 * 1024, 1024 * 1024);

# Returns (ok, error_code) for step $i of a client; $ctx keeps the client's state.
sub step {
    my ($b, $ctx, $i) = @_;
    my $kind = $i % 12;
    my $r;
    if ($kind <= 3) {
        $r = $b->call('test', 'ping', { i => $i });
    } elsif ($kind == 4) {
        my $n = $payload_sizes[ ($i / 12) % @payload_sizes ];
        $r = $b->call('test', 'echo', { payload => 'p' x $n });
        $r = { success => 0, error_code => 'E_MISMATCH' }
            if $r->{success} && length($r->{result}{payload} // '') != $n;
    } elsif ($kind == 5) {
        db_ready($b, $ctx);
        $r = $b->call('database', 'execute_immediate', { sql => 'INSERT INTO t VALUES (?, ?)', params => [ $i, "row $i" ] });
        if ($r->{success} && $i % 120 == 5) {
            $r = $b->call('database', 'execute_immediate', { sql => 'DELETE FROM t' });
        }
    } elsif ($kind == 6) {
        db_ready($b, $ctx);
        $r = $b->call('database', 'execute_immediate', { sql => 'SELECT count(*) AS n FROM t' });
    } elsif ($kind == 7) {
        $r = $b->call('xml_helper', 'xml_in', { source => qq{<job id="$i"><step name="a">1</step><step name="b">2</step></job>} });
    } elsif ($kind == 8) {
        my $d = $b->call('xpath', 'load', { source => qq{<r><i n="$i"/><i n="2"/></r>} });
        $r = $d->{success} ? $b->call('xpath', 'count', { xpath => '//i' }) : $d;
        $b->call('xpath', 'close', {}) if $d->{success};
    } elsif ($kind == 9) {
        my $e = $b->call('crypto', 'encrypt', { data => "secret $i", key => 'load test' });
        $r = $e->{success} ? $b->call('crypto', 'decrypt', { encrypted_data => $e->{result}{encrypted_data}, key => 'load test' }) : $e;
    } elsif ($kind == 10) {
        $r = $b->call('excel', 'write_workbook', { filename => "$ctx->{dir}/load-$$.xlsx",
            sheets => [ { name => 'S', rows => [ [ 'i', 'text' ], [ $i, "row $i" ] ] } ] });
    } else {
        $r = $b->call('datetime_helper', 'add', { datetime => '2026-01-31', months => $i % 13 });
    }
    return ($r->{success} ? 1 : 0, $r->{error_code});
}

# The client's SQLite connection, made on its first database step.
sub db_ready {
    my ($b, $ctx) = @_;
    return if $ctx->{db};
    my $c = $b->call('database', 'connect', { dsn => "dbi:SQLite:dbname=$ctx->{dir}/load-$$.db" });
    $b->call('database', 'execute_immediate', { sql => 'CREATE TABLE IF NOT EXISTS t (i INTEGER, s TEXT)' });
    $ctx->{db} = $c->{success} ? 1 : undef;
    return;
}

sub finish {
    my ($b, $ctx) = @_;
    $b->call('database', 'disconnect', {}) if $ctx->{db};
    unlink "$ctx->{dir}/load-$$.db", "$ctx->{dir}/load-$$.xlsx";
    return;
}

1;
