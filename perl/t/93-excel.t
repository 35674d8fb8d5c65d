#!/usr/bin/perl
# STORY-007 and the excel module, every file read back by an independent reader (openpyxl,
# Debian's python3-openpyxl, through tests/office/read-xlsx.py): values, types, sheet names and
# formats; Excel's limits refused whole; constant_memory with the instance's memory bounded;
# write_workbook identical in both modes.
use strict;
use warnings;
use utf8;
use Test::More;
use File::Temp ();
use FindBin;
use lib "$FindBin::Bin/lib", "$FindBin::Bin/..";
use CBTestSuite qw(start_suite);
use CPANBridge;
use JSON::PP ();

my $reader = "$FindBin::Bin/../../tests/office/read-xlsx.py";
plan skip_all => 'no python3-openpyxl (make deps installs it)'
    unless system('/usr/bin/python3', '-c', 'import openpyxl') == 0;

my $suite = start_suite();
$CPANBridge::FALLBACK_ENABLED = 0;
my $tmp = File::Temp::tempdir('cb-xlsx-XXXXXX', TMPDIR => 1, CLEANUP => 1);
my $json = JSON::PP->new->utf8;
my $bridge = CPANBridge->new();

sub read_xlsx { my $out = `/usr/bin/python3 $reader $_[0]`; return $? == 0 ? $json->decode($out) : undef }
sub cells { my ($doc, $i) = @_; return { map { $_->{ref} => $_ } @{ $doc->{sheets}[$i // 0]{cells} } } }
sub ok_call {
    my ($fn, $p, $what) = @_;
    my $r = $bridge->call('excel', $fn, $p);
    ok($r->{success}, $what // $fn) or diag explain $r;
    return $r->{result} // {};
}

# STORY-007: a workbook kept across 2000 calls.
my $file = "$tmp/test_performance.xlsx";
my $r = $bridge->call_python('excel', 'create_workbook', { filename => $file });
ok($r->{success}, 'STORY-007: create_workbook') or diag explain $r;
is($r->{result}{library}, 'libxlsxwriter', 'library');
$r = $bridge->call_python('excel', 'add_worksheet', { sheet_name => 'Performance Test' });
is($r->{result}{sheet_name}, 'Performance Test', 'add_worksheet');
my $failed = 0;
for my $row (0 .. 999) {
    $failed += !$bridge->call_python('excel', 'write_cell', { row => $row, col => 0, value => "Row $row" })->{success};
    $failed += !$bridge->call_python('excel', 'write_cell', { row => $row, col => 1, value => $row * 100 })->{success};
}
is($failed, 0, 'STORY-007: 2000 write_cell calls');
ok(!-e $file, 'nothing is written before save');
$r = $bridge->call_python('excel', 'save_workbook', {});
ok($r->{success} && $r->{result}{size} > 0, 'STORY-007: save_workbook') or diag explain $r;
my $doc = read_xlsx($file);
is($doc->{sheets}[0]{name}, 'Performance Test', 'read back: the sheet name');
my $c = cells($doc);
is($c->{A1000}{value}, 'Row 999', 'read back: the last text cell');
is($c->{B1000}{value}, 99900, 'read back: the last number');
is($c->{B1000}{type}, 'n', 'read back: numbers are numbers');
is(scalar @{ $doc->{sheets}[0]{cells} }, 2000, 'read back: 2000 cells');
$r = $bridge->call('excel', 'write_cell', { row => 0, col => 0, value => 'late' });
is($r->{error_code}, 'E_HANDLE', 'a saved workbook is gone');

# Types, formats and layout.
$file = "$tmp/types.xlsx";
ok_call('create_workbook', { filename => $file, keep_leading_zeros => 1 });
ok_call('add_worksheet', { sheet_name => 'Daten äöü 日本' });
my $bold = ok_call('add_format', { properties => { bold => 1, font_color => 'red', bg_color => '#FFFF00',
                                                  num_format => '0.00', align => 'center', text_wrap => 1,
                                                  font_name => 'Arial', font_size => 14 } })->{format_id};
ok_call('write_row', { row => 0, values => [ 'text', 42, '-1.5e3', '007', '=A2*2', 'https://example.com/x',
                                             'mailto:ops@example.com', undef, JSON::PP::true(), '' ] });
ok_call('write_cell', { row => 1, col => 0, value => 21 });
ok_call('write_cell', { row => 2, col => 0, value => '2026-12-03', type => 'date' });
ok_call('write_cell', { row => 2, col => 1, value => '2026-12-03T08:35:12', type => 'date' });
ok_call('write_cell', { row => 2, col => 2, value => '123', type => 'string' });
ok_call('write_cell', { row => 3, col => 0, value => 3.14159, format_id => $bold });
ok_call('write_col', { col => 5, row => 3, values => [ 'a', 'b', 'c' ] });
ok_call('set_column', { first_col => 0, last_col => 1, width => 25 });
ok_call('merge_range', { first_row => 7, first_col => 0, last_row => 7, last_col => 2, value => 'Merged 🎉' });
ok_call('freeze_panes', { row => 1 });
ok_call('autofilter', { first_row => 0, first_col => 0, last_row => 3, last_col => 4 });
ok_call('set_properties', { title => 'Monthly report', author => 'Batch job' });
ok_call('save_workbook', {});
$doc = read_xlsx($file);
$c = cells($doc);
is($doc->{sheets}[0]{name}, 'Daten äöü 日本', 'a Unicode sheet name');
is_deeply([ map { $c->{$_}{type} } qw(A1 B1 C1 D1 E1 F1 G1 I1) ], [qw(s n n s f s s b)],
          'automatic types: string, number, numeric string, leading zero kept, formula, URLs, boolean');
is($c->{C1}{value}, -1500, 'a numeric string is a number');
is($c->{D1}{value}, '007', 'keep_leading_zeros keeps "007" as text');
is($c->{F1}{hyperlink}, 'https://example.com/x', 'a URL is a hyperlink');
ok(!exists $c->{H1}, 'undef is a blank cell');
like($c->{A3}{value}, qr/\A2026-12-03/, 'a date');
is($c->{A3}{number_format}, 'yyyy-mm-dd', 'a date gets yyyy-mm-dd');
like($c->{B3}{value}, qr/\A2026-12-03T08:35:12/, 'a date and time');
is($c->{C3}{type}, 's', 'type string keeps "123" as text');
my $f = $c->{A4};
ok($f->{bold} && $f->{font_color} eq 'FF0000' && $f->{bg_color} eq 'FFFF00', 'the format: bold, red, yellow fill');
is($f->{number_format}, '0.00', 'the format: number format');
is($f->{align}, 'center', 'the format: alignment');
ok($f->{wrap}, 'the format: text wrap');
is($f->{font_name}, 'Arial', 'the format: font');
is($f->{font_size}, 14, 'the format: font size');
is($c->{F6}{value}, 'c', 'write_col goes down');
is($doc->{sheets}[0]{widths}{A}, 25.7109375, 'set_column width') or diag explain $doc->{sheets}[0]{widths};
is_deeply($doc->{sheets}[0]{merged}, ['A8:C8'], 'merge_range');
is($c->{A8}{value}, 'Merged 🎉', 'the merged value');
is($doc->{sheets}[0]{freeze}, 'A2', 'freeze_panes');
is($doc->{sheets}[0]{autofilter}, 'A1:E4', 'autofilter');
is($doc->{properties}{title}, 'Monthly report', 'set_properties');

# Excel's limits and bad input: refused with E_INVALID_PARAM, nothing written in part.
$file = "$tmp/limits.xlsx";
ok_call('create_workbook', { filename => $file });
ok_call('add_worksheet', { sheet_name => 'Limits' });
for my $bad ([ 'a 32,768-character string', { row => 0, col => 0, value => 'x' x 32768 } ],
             [ 'row 1,048,576', { row => 1048576, col => 0, value => 1 } ],
             [ 'column 16,384', { row => 0, col => 16384, value => 1 } ],
             [ 'a date that is no date', { row => 0, col => 0, value => '2026-13-45', type => 'date' } ],
             [ 'a nested value', { row => 0, col => 0, value => { a => 1 } } ]) {
    $r = $bridge->call('excel', 'write_cell', $bad->[1]);
    is($r->{error_code}, 'E_INVALID_PARAM', "$bad->[0] is refused") or diag explain $r;
}
ok_call('write_cell', { row => 0, col => 0, value => 'x' x 32767 }, 'exactly 32,767 characters are written');
$r = $bridge->call('excel', 'write_rows', { row => 1, rows => [ [ 'ok', 1 ], [ 'ok', 2 ], [ 'bad', { no => 1 } ] ] });
is($r->{error_code}, 'E_INVALID_PARAM', 'write_rows with one bad cell is refused');
for my $name ('x' x 32, 'a/b', 'Limits') {
    $r = $bridge->call('excel', 'add_worksheet', { sheet_name => $name });
    is($r->{error_code}, 'E_INVALID_PARAM', "sheet name '$name' is refused");
}
ok_call('save_workbook', {});
$c = cells(read_xlsx($file));
is(length($c->{A1}{value}), 32767, 'the long cell is whole');
ok(!exists $c->{A2} && !exists $c->{A3}, 'the refused write_rows wrote nothing');

# discard_workbook and session end leave no file.
ok_call('create_workbook', { filename => "$tmp/discarded.xlsx" });
ok_call('discard_workbook', {});
{
    my $b2 = CPANBridge->new();
    $b2->call('excel', 'create_workbook', { filename => "$tmp/abandoned.xlsx" });
}
select(undef, undef, undef, 0.5);
opendir(my $dh, $tmp) or die $!;
my @left = grep { /discarded|abandoned/ } readdir $dh;
is_deeply(\@left, [], 'a discarded or abandoned workbook leaves no file, not even a temporary one');

# constant_memory: 100,000 rows x 10 in order, the instance's memory bounded; out of order refused.
$file = "$tmp/big.xlsx";
ok_call('create_workbook', { filename => $file, constant_memory => 1 });
ok_call('add_worksheet', { sheet_name => 'Big' });
my $written = 0;
for my $chunk (0 .. 9) {
    my @rows = map { my $r = $chunk * 10000 + $_; [ $r, map { "c$_-$r" } 1 .. 9 ] } 0 .. 9999;
    $written += ok_call('write_rows', { row => $chunk * 10000, rows => \@rows }, "write_rows chunk $chunk")->{cells_written} // 0;
}
is($written, 1_000_000, 'a million cells');
$r = $bridge->call('excel', 'write_cell', { row => 5, col => 0, value => 'back' });
is($r->{error_code}, 'E_INVALID_PARAM', 'constant_memory: a row before the last one written is refused');
my ($pid) = `pgrep -f 'cpan-bridge-office --config $suite->{dir}'` =~ /(\d+)/;
my ($hwm) = $pid && `grep VmHWM /proc/$pid/status` =~ /(\d+)/;
SKIP: {
    # Under AddressSanitizer, memory is the sanitizer's: its shadow and quarantine, not ours.
    skip 'memory is not measured under AddressSanitizer', 1 if $ENV{ASAN_OPTIONS};
    ok($hwm && $hwm < 100 * 1024, "the instance's peak memory stayed under 100 MB ($hwm kB)");
}
ok_call('save_workbook', {});
my $big = $json->decode(`/usr/bin/python3 $reader --summary $file A1 J100000` || '{}');
is($big->{sheets}[0]{max_row}, 100000, 'read back: 100,000 rows');
is($big->{sheets}[0]{values}{A1}, 0, 'read back: the first cell');
is($big->{sheets}[0]{values}{J100000}, 'c9-99999', 'read back: the last cell');

# write_workbook: the same file in both modes, and relative file names.
my %wb = (sheets => [ { name => 'Summary', rows => [ [ 'Region', 'Total' ], [ 'Zürich', 1234.5 ],
                        [ { value => 'Bold', format => { bold => 1 } }, { value => '2026-01-31', type => 'date' } ] ],
                        column_widths => [ 20, 12 ] },
                      { name => 'Second', rows => [ [ '=Summary!B2*2' ] ] } ]);
my @docs;
for my $mode (1, 0) {
    my $b = CPANBridge->new(daemon_mode => $mode);
    my $name = "$tmp/one-call-$mode.xlsx";
    $r = $b->call('excel', 'write_workbook', { %wb, filename => $name });
    ok($r->{success}, 'write_workbook in ' . $b->mode . ' mode') or diag explain $r;
    is($r->{result}{sheets}, 2, 'two sheets');
    is($r->{result}{cells_written}, 7, 'seven cells');
    push @docs, read_xlsx($name);
}
is_deeply($docs[1], $docs[0], 'write_workbook: identical files in both modes');
is(cells($docs[0])->{A3}{bold} ? 1 : 0, 1, 'write_workbook: a cell format');
$r = CPANBridge->new(daemon_mode => 0)->call('excel', 'create_workbook', { filename => "$tmp/x.xlsx" });
is($r->{error_code}, 'E_HANDLE', 'process mode: step-by-step workbooks need daemon mode');

done_testing();
