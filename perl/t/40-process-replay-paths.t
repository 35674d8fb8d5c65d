#!/usr/bin/perl
# Process mode keeps nothing between runs: rebuildable (R) calls that made a handle are
# recorded and replayed ahead of a call that needs them, in the same cpan-bridge-exec run, and
# the script keeps seeing the first id. `path` parameters are made absolute. This uses a
# stand-in exec (t/bin/fake-exec) and a catalogue describing it, since module test has no R
# function yet.
use strict;
use warnings;
use Test::More;
use FindBin;
use File::Temp qw(tempdir);
use JSON::PP;
use lib "$FindBin::Bin/..";
use CPANBridge;

my $dir = tempdir('cb-replay-XXXXXX', TMPDIR => 1, CLEANUP => 1);
my $fn = sub { my (%f) = @_; return { aliases => [], open_params => JSON::PP::false, params => {},
    creates => undef, uses => [], ends => undef, mode => 'S', idempotent => JSON::PP::false,
    default_timeout_ms => 0, %f } };
my $catalogue = { api_version => 1, modules => { fake => { family => 'core', aliases => ['fake_alias'], functions => {
    open  => $fn->(mode => 'R', creates => 'thing', params => { name => { type => 'text', required => JSON::PP::false, default => undef, aliases => [] } }),
    use   => $fn->(uses => ['thing'], params => { thing_id => { type => 'handle', required => JSON::PP::false, default => undef, aliases => [] } }),
    close => $fn->(ends => 'thing', params => { thing_id => { type => 'handle', required => JSON::PP::false, default => undef, aliases => [] } }),
    echo  => $fn->(aliases => ['read_file'], params => {
        file   => { type => 'path', required => JSON::PP::false, default => undef, aliases => ['filename'] },
        note   => { type => 'text', required => JSON::PP::false, default => undef, aliases => [] } }),
} } } };
open my $fh, '>', "$dir/catalogue.json" or die;
print {$fh} JSON::PP->new->utf8->encode($catalogue);
close $fh;

$CPANBridge::CATALOGUE   = "$dir/catalogue.json";
$CPANBridge::EXEC        = "$FindBin::Bin/bin/fake-exec";
$CPANBridge::DAEMON_MODE = 0;
$ENV{FAKE_EXEC_LOG}      = "$dir/exec.log";

sub runs {    # the requests of each exec run so far
    open my $l, '<', "$dir/exec.log" or return [];
    my @runs;
    while (<$l>) { if (/^run /) { push @runs, [] } else { push @{ $runs[-1] }, decode_json($_) } }
    return \@runs;
}

my $b = CPANBridge->new;
my $r = $b->call('fake', 'open', { name => 'first' });
ok($r->{success}, 'open in process mode') or diag explain $r;
my $id = $r->{result}{thing_id};
like($id, qr/^thing-\d+-1$/, "first id $id");
is($b->mode, 'process', 'process mode');

$r = $b->call('fake', 'use', { thing_id => $id });
ok($r->{success}, 'use of the thing works in a later run: it was rebuilt') or diag explain $r;
is($r->{result}{thing_id}, $id, 'the answer shows the first id, not the fresh one');
my $run = runs()->[-1];
is(scalar @$run, 2, 'that run replayed open, then ran use');
is_deeply([ map { $_->{function} } @$run ], [qw(open use)], '... in order');
is_deeply($run->[0]{params}, { name => 'first' }, 'the replay carried the original params');
isnt($run->[1]{params}{thing_id}, $id, 'the id was mapped to the fresh one in the run');
like($run->[1]{params}{thing_id}, qr/^thing-\d+-1$/, '... which the same run made');

$r = $b->call('fake', 'use', {});
ok($r->{success}, 'use without an id: the current thing is rebuilt too');

$r = $b->call('fake', 'echo', { note => 'unrelated' });
is(scalar @{ runs()->[-1] }, 1, 'a call that needs no handle replays nothing');

# Closing ends the record: later calls replay nothing and the thing is gone.
$r = $b->call('fake', 'close', { thing_id => $id });
ok($r->{success}, 'close');
is_deeply($b->{precords}, [], 'no record left after close');
$r = $b->call('fake', 'use', { thing_id => $id });
is($r->{error_code}, 'E_HANDLE', 'the ended thing is not rebuilt');

# Two records, replayed together in creation order.
my $id1 = $b->call('fake', 'open', { name => 'a' })->{result}{thing_id};
my $id2 = $b->call('fake', 'open', { name => 'b' })->{result}{thing_id};
$r = $b->call('fake', 'use', { thing_id => $id1 });
ok($r->{success} && $r->{result}{thing_id} eq $id1, 'first of two things rebuilt and shown by its first id');
is_deeply([ map { $_->{params}{name} // $_->{function} } @{ runs()->[-1] } ], [qw(a b use)],
    'both recorded calls replayed in order');

# A forked child does not inherit the parent's records (a session is never shared).
my $pid = fork // die;
if (!$pid) { exit(@{ $b->{precords} } == 2 && $b->call('fake', 'echo', {})->{success} && !@{ $b->{precords} } ? 0 : 1) }
waitpid $pid, 0;
is($? >> 8, 0, 'forked child starts without the records');

# Paths: a relative `path` parameter (or its alias, or through a function alias) is made
# absolute against the working directory at the time of the call.
mkdir "$dir/work";
chdir "$dir/work" or die;
$r = $b->call('fake', 'echo', { file => 'data.csv', note => 'data.csv' });
is($r->{result}{file}, "$dir/work/data.csv", 'relative path made absolute');
is($r->{result}{note}, 'data.csv', 'a text parameter is left alone');
is($b->call('fake', 'echo', { file => './sub/x.txt' })->{result}{file}, "$dir/work/sub/x.txt", './ removed');
is($b->call('fake', 'echo', { file => '/abs/x' })->{result}{file}, '/abs/x', 'absolute path unchanged');
is($b->call('fake', 'echo', { filename => 'y' })->{result}{filename}, "$dir/work/y", 'parameter alias');
is($b->call('fake', 'read_file', { file => 'z' })->{result}{file}, "$dir/work/z", 'function alias');
is($b->call('fake_alias', 'echo', { file => 'w' })->{result}{file}, "$dir/work/w", 'module alias');
my %mine = (file => 'keep');
$b->call('fake', 'echo', \%mine);
is($mine{file}, 'keep', "the caller's hash is not changed");
chdir '/';

# A missing exec answers E_UNAVAILABLE, retryable, in the response shape.
$r = CPANBridge->new(exec => '/nonexistent/cpan-bridge-exec')->call('fake', 'echo', {});
is($r->{error_code}, 'E_UNAVAILABLE', 'missing exec: E_UNAVAILABLE');
ok($r->{retryable}, '... retryable');

done_testing;
