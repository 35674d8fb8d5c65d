#!/usr/bin/perl
# The xml family against the Perl modules scripts used before: XML::Simple's XMLin (with
# Expat, its fastest parser) and XML::XPath, in the same process, on the same documents.
# Medians of 5 alternating runs; the caller pins everything to one CPU.
use strict;
use warnings;
use Time::HiRes qw(time);
use FindBin;
use lib "$FindBin::Bin/../../perl";
use CPANBridge;
use XML::Simple ();
use XML::XPath;

$XML::Simple::PREFERRED_PARSER = 'XML::SAX::Expat';
$CPANBridge::FALLBACK_ENABLED  = 0;
my $bridge = CPANBridge->new;

# A batch job's kind of document: records with attributes, text and a nested list.
sub export_doc {
    my ($n) = @_;
    return "<export date=\"2026-12-03\">\n" . join('', map {
        qq{  <record id="r$_" status="} . ($_ % 3 ? 'open' : 'closed') . qq{">\n}
        . qq{    <customer>Kunde $_ Zürich</customer>\n    <amount>} . ($_ * 1.25) . qq{</amount>\n}
        . qq{    <tags><tag>a$_</tag><tag>b$_</tag></tags>\n  </record>\n}
    } 1 .. $n) . "</export>\n";
}
my $doc = export_doc(2000);
# XML::XPath takes about 0.4 s a query on 2000 records: a smaller document keeps this short.
my $small = export_doc(300);
my @queries = map { "sum(//record[\@status='open'][position() <= $_]/amount)" } 1 .. 20;

sub median { my @s = sort { $a <=> $b } @_; return $s[ @s / 2 ] }

sub timed { my ($code) = @_; my $t = time; $code->(); return time - $t }

my %runs;
for (1 .. 5) {
    push @{ $runs{xmlin} }, timed(sub { XML::Simple::XMLin($doc) });
    push @{ $runs{bridge_in} }, timed(sub {
        my $r = $bridge->call('xml_helper', 'xml_in', { source => $doc });
        die "xml_in: $r->{error}\n" unless $r->{success};
    });
    push @{ $runs{xpath} }, timed(sub {
        my $xp = XML::XPath->new(xml => $small);
        $xp->findvalue($_) for @queries;
    });
    push @{ $runs{bridge_xpath} }, timed(sub {
        my $d = $bridge->call('xpath', 'load', { source => $small })->{result}{document_id};
        for (@queries) {
            my $r = $bridge->call('xpath', 'findvalue', { xpath => $_, document_id => $d });
            die "findvalue: $r->{error}\n" unless $r->{success};
        }
        $bridge->call('xpath', 'close', { document_id => $d });
    });
}
my %m = map { $_ => median(@{ $runs{$_} }) } keys %runs;
printf "xml: XMLin of %d KiB (2000 records), XML::Simple with Expat %.1f ms, bridge xml_in %.1f ms: %.1fx faster\n",
    length($doc) / 1024, $m{xmlin} * 1000, $m{bridge_in} * 1000, $m{xmlin} / $m{bridge_in};
printf "xml: parse %d KiB (300 records) once and %d findvalue queries, XML::XPath %.1f ms, bridge xpath %.1f ms: %.1fx faster\n",
    length($small) / 1024, scalar @queries, $m{xpath} * 1000, $m{bridge_xpath} * 1000, $m{xpath} / $m{bridge_xpath};
