#!/usr/bin/perl
# The xml family's bounds: [xml] max_document_size for text and files, in both modes; the
# session's file cache kept within that budget; and the step limit of one XPath query.
use strict;
use warnings;
use Test::More;
use FindBin;
use lib "$FindBin::Bin/lib", "$FindBin::Bin/..";
use CBTestSuite qw(start_suite stop_suite);
use CPANBridge;
use File::Temp qw(tempdir);

my $suite = start_suite(config => "[xml]\nmax_document_size = 100\n");
$CPANBridge::FALLBACK_ENABLED = 0;
my $dir = tempdir('cb-xml-limits-XXXXXX', TMPDIR => 1, CLEANUP => 1);

sub write_file {
    my ($name, $text) = @_;
    open(my $fh, '>', "$dir/$name") or die "$dir/$name: $!";
    print $fh $text;
    close $fh or die "$dir/$name: $!";
    return "$dir/$name";
}

my $small = '<r>' . ('<i/>' x 10) . '</r>';                  # 47 bytes
my $large = '<r>' . ('<i/>' x 30) . '</r>';                  # 127 bytes
my $a = write_file('a.xml', '<a>' . ('x' x 50) . '</a>');     # 57 bytes each: two are over 100
my $b = write_file('b.xml', '<b>' . ('y' x 50) . '</b>');
my $big = write_file('big.xml', $large);

for my $mode (1, 0) {
    my $bridge = CPANBridge->new(daemon_mode => $mode);
    my $m = $mode ? 'daemon' : 'process';
    ok($bridge->call('xml_helper', 'xml_in', { source => $small })->{success}, "$m: a document within the limit");
    for my $case ([ 'text', $large ], [ 'file', $big ]) {
        for my $fn ([ 'xml_helper', 'xml_in' ], [ 'xpath', 'load' ]) {
            my $r = $bridge->call(@$fn, { source => $case->[1] });
            is($r->{error_code}, 'E_TOO_LARGE', "$m: $fn->[0].$fn->[1] of $case->[0] over max_document_size")
                or diag explain $r;
            like($r->{error} // '', qr/max_document_size \(100\)/, "$m: the error names the setting");
        }
    }
}

# The cache keeps what handles hold, and of the rest no more than the budget.
my $bridge = CPANBridge->new;
my $load = sub { $bridge->call('xpath', 'load', { source => $_[0] })->{result} // {} };
my $first = $load->($a);
ok(!$first->{cached}, 'a file is parsed on its first load');
my $again = $load->($a);
ok($again->{cached}, 'the same unchanged file, loaded again while open, is not parsed again');
$bridge->call('xpath', 'close', { document_id => $_ }) for $first->{document_id}, $again->{document_id};
ok($load->($a)->{cached}, 'after its handles closed, it is still kept (within the budget)');
$bridge->call('xpath', 'close', {});
my $other = $load->($b);
$bridge->call('xpath', 'close', {});
ok(!$other->{cached}, 'another file is parsed');
ok(!$load->($a)->{cached}, 'two unheld parses over the budget: the older one went');

# One query's steps are bounded: a quadratic expression on a bigger document is refused.
stop_suite($suite);
$suite = start_suite();
my $wide = CPANBridge->new;
ok($wide->call('xpath', 'load', { source => '<r>' . ('<i/>' x 20000) . '</r>' })->{success}, 'a document of 20000 elements');
my $r = $wide->call('xpath', 'count', { xpath => '//*[count(//*) > 0]' });
is($r->{error_code}, 'E_TOO_LARGE', 'a query of 400 million steps is refused') or diag explain $r;
like($r->{error} // '', qr/steps/, 'the error says why');
is($wide->call('xpath', 'count', { xpath => '/r/i' })->{result}{count}, 20000, 'the document still answers');

stop_suite($suite);
done_testing();
