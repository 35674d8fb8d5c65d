#!/usr/bin/perl
# xml_helper and xpath (family xml) against their references: XML::Simple 2.25 (Debian's
# libxml-simple-perl, parsing with XML::SAX::Expat) and XML::XPath (libxml-xpath-perl). Every
# file of tests/xml/corpus is read under many XMLin option sets, from a string and from a file;
# XMLout writes a set of data structures under its options; the escapes; the safety rules of
# API.md 8 (entity expansion, external entities, no network, malformed XML, the local-file
# rules); xpath queries compared node by node, node contexts, handles and their ends; both
# modes; the XML steps of STORY-012 and STORY-018.
use strict;
use warnings;
use utf8;
use Test::More;
use FindBin;
use lib "$FindBin::Bin/lib", "$FindBin::Bin/..";
use CBTestSuite qw(start_suite);
use CPANBridge;
use Cwd ();
use Encode ();
use File::Basename qw(basename);
use File::Temp ();
use JSON::PP ();
use Scalar::Util qw(looks_like_number);
use Time::HiRes qw(time);

plan skip_all => 'no XML::Simple with XML::SAX::Expat, or no XML::XPath '
    . '(Debian: libxml-simple-perl, libxml-sax-expat-perl, libxml-xpath-perl)'
    unless eval { require XML::Simple; require XML::SAX::Expat; require XML::XPath; 1 };

# Test names and diagnostics carry CJK and emoji.
binmode(Test::More->builder->$_, ':encoding(UTF-8)') for qw(output failure_output todo_output);

# Noise that is not ours: is_deeply recursing through the 50-level document, and XML::XPath's
# own "uninitialized" warnings when an ancestor step reaches the root node.
$SIG{__WARN__} = sub {
    return if $_[0] =~ /^Deep recursion on subroutine "Test::More::_deep_check"/ || $_[0] =~ m{/XML/XPath/\w+\.pm line};
    warn @_;
};

my $suite = start_suite();
$CPANBridge::FALLBACK_ENABLED = 0;
my $bridge = CPANBridge->new();
my $tmp    = File::Temp::tempdir('cb-xml-XXXXXX', TMPDIR => 1, CLEANUP => 1);

# ---- Helpers ------------------------------------------------------------------------------

# The reference parses as the installed XML::Simple does by default, named so that it cannot
# silently fall back to XML::SAX::PurePerl.
{ no warnings 'once'; $XML::Simple::PREFERRED_PARSER = 'XML::SAX::Expat'; }

my $json = JSON::PP->new->canonical->allow_nonref;

# Options and data as the daemon receives them: through JSON. The reference gets the same copy,
# so that both sides see the same strings, numbers and nulls.
sub via_json { return $json->decode($json->encode($_[0])) }
sub label    { return $json->encode($_[0]) }

sub read_text {
    my ($path) = @_;
    open(my $fh, '<:raw', $path) or die "$path: $!";
    local $/;
    my $bytes = <$fh>;
    return Encode::decode('UTF-8', $bytes, Encode::FB_CROAK);
}

sub write_file {
    my ($path, $text) = @_;
    open(my $fh, '>:raw', $path) or die "$path: $!";
    print $fh Encode::encode('UTF-8', $text);
    close $fh or die "$path: $!";
}

# The corpus: each file's name, absolute path and text. The text goes to both sides as
# characters (the bridge sends it as UTF-8; XMLin reads a character string as it reads the file).
my $corpus_dir = Cwd::abs_path("$FindBin::Bin/../../tests/xml/corpus") // die "no tests/xml/corpus\n";
my @corpus = map { { name => basename($_), path => $_, text => read_text($_) } } sort glob("$corpus_dir/*.xml");
die "the corpus in $corpus_dir is incomplete\n" unless @corpus >= 25;
my %corpus = map { $_->{name} => $_ } @corpus;

# Only the first failures are explained in full: without a daemon every call fails, and a
# thousand dumps would hide the first one.
my $explain_left = 30;
sub show {
    my ($what) = @_;
    return if $explain_left <= 0;
    diag explain $what;
    diag 'further failures are not explained' if --$explain_left == 0;
    return;
}

# XMLin's answer: (1, data) or (0, undef, error) where it dies. Its warnings (non-unique keys,
# say) are not ours to see.
sub reference_in {
    my ($source, $opts) = @_;
    local $SIG{__WARN__} = sub { };
    my $data = eval { XML::Simple::XMLin($source, %{ via_json($opts) }) };
    return $@ ? (0, undef, $@) : (1, $data);
}

sub reference_out {
    my ($data, $opts) = @_;
    local $SIG{__WARN__} = sub { };    # XMLout warns about undef values
    my $xml = eval { XML::Simple::XMLout(via_json($data), %{ via_json($opts) }) };
    return $@ ? (0, undef, $@) : (1, $xml);
}

# One bridge answer against the reference: the same result, or E_INVALID_PARAM where XML::Simple
# dies for the same input and options.
sub same_as_reference {
    my ($r, $ref, $what) = @_;
    my ($ok, $want, $err) = @$ref;
    if (!$ok) {
        is($r->{error_code}, 'E_INVALID_PARAM', "$what: refused, as XML::Simple dies")
            or show({ bridge => $r, xml_simple_died => $err });
    } elsif (!$r->{success}) {
        fail("$what: the bridge answers");
        show({ bridge => $r, xml_simple => $want });
    } else {
        is_deeply($r->{result}, $want, $what) or show({ bridge => $r->{result}, xml_simple => $want });
    }
    return;
}

sub error_is {
    my ($r, $code, $what) = @_;
    is($r->{error_code}, $code, $what) or show($r);
    return;
}

# XMLin option sets: each option alone, then combinations. Only JSON values (no Regexp). The
# last ones are refused by XML::Simple itself, so the bridge must refuse them too.
my @in_options = (
    {},
    { ForceArray => 1 },
    { ForceArray => [qw(item entry greeting job notify option)] },
    { ForceArray => 'item' },    # a plain string is only "true" to XML::Simple, not a name
    { KeyAttr => [] },
    { KeyAttr => ['id'] },
    { KeyAttr => 'id' },         # a string is a list of one
    { KeyAttr => { item => 'id' } },
    { KeyAttr => { item => '+id' } },
    { KeyAttr => { item => '-id' } },
    { KeyAttr => { item => 'id', host => 'name', table => 'id', column => 'id', file => 'name', job => '+name' } },
    { ForceContent => 1 },
    { ContentKey => 'text' },
    { ContentKey => '-content' },
    { KeepRoot => 1 },
    { NoAttr => 1 },
    { SuppressEmpty => 1 },
    { SuppressEmpty => '' },
    { SuppressEmpty => undef },    # JSON null: empty elements become undef, not "not given"
    { GroupTags => { searchpath => 'dir', servers => 'server', people => 'person' } },
    { NormaliseSpace => 1 },
    { NormaliseSpace => 2 },
    { NormalizeSpace => 2 },
    { ValueAttr => ['value'] },
    { ValueAttr => { param => 'value', colour => 'value' } },
    { VarAttr => 'name' },
    { Variables => { base => '/data', year => '2026', host => 'batch01' } },
    { VarAttr => 'name', Variables => { year => '2026', host => 'batch01' } },
    { NSExpand => 1 },
    { ForceArray => 1, KeyAttr => [] },
    { KeepRoot => 1, ForceArray => 1 },
    { KeepRoot => 1, NSExpand => 1 },
    { NoAttr => 1, KeyAttr => [] },
    { ForceContent => 1, ContentKey => 'value' },
    { ForceArray => 1, KeyAttr => ['name'], ContentKey => '-content' },
    { KeyAttr => { item => '-id' }, ContentKey => '-content' },
    { NormaliseSpace => 2, KeyAttr => ['name'] },
    { SuppressEmpty => '', ForceArray => 1 },
    { GroupTags => { searchpath => 'dir' }, ForceArray => ['dir'], KeyAttr => [] },
    { ValueAttr => ['value'], KeyAttr => { param => 'name' } },
    { NSExpand => 1, KeyAttr => [], ForceArray => 1 },
    { forcearray => ['job'], KEYATTR => { job => 'name' }, contentkey => 'body' },    # names are case-insensitive
    { Force_Array => 1, key_attr => ['id'], Suppress_Empty => '' },                     # and XML::Simple drops "_"
    { StrictMode => 1, ForceArray => ['item', 'job'], KeyAttr => { item => 'id', job => 'name' } },
    { StrictMode => 1, ForceArray => 1, KeyAttr => ['id'] },
    { StrictMode => 1 },                # XML::Simple: "No value specified for 'ForceArray'"
    { StrictMode => 1, ForceArray => 0 },   # and for 'KeyAttr'
    { StrictMode => 1, ForceArray => ['job'], KeyAttr => { item => 'id' } },   # "set in KeyAttr but not in ForceArray"
    { ForceArrays => 1 },               # XML::Simple: "Unrecognised option"
    { GroupTags => 'searchpath' },      # XML::Simple: "expected a hashref"
    { GroupTags => { dir => 'dir' } },  # XML::Simple: "Bad value in GroupTags"
    { Variables => ['base'] },          # XML::Simple: "expected a hashref"
);

# XMLout data: only structures whose text does not depend on Perl's hash order (XMLout sorts).
my @out_data = (
    [ 'nested hashes',    { server => { name => 'batch01', port => 8080, limits => { cpu => 4, memory => 2048 } }, env => 'prod' } ],
    [ 'array of hashes',  { job => [ { name => 'extract', timeout => 3600 }, { name => 'load', timeout => 7200, depends => 'extract' } ] } ],
    [ 'hash of hashes',   { user => { root => { uid => 0, shell => '/bin/sh' }, daemon => { uid => 1 } } } ],
    [ 'hash by id',       { item => { i1 => { price => '1.50' }, i2 => { price => '2.75', tag => [ 'new', 'sale' ] } } } ],
    [ 'escaping',         { title => q{Q&A <draft> "quoted" 'single'}, body => { content => 'a < b && c > d' } } ],
    [ 'unicode',          { greeting => 'こんにちは 🎉', city => { name => 'Zürich', note => 'À bientôt — ñandú' } } ],
    [ 'content keys',     { line => [ { qty => 2, content => 'Widget' }, { qty => 1, content => 'Gadget & case' } ], text => 'x' } ],
    [ 'empty hashes',     { debug => {}, opts => { list => [] } } ],
    [ 'undef values',     { a => undef, b => 'x', c => { d => undef } } ],
    [ 'list of scalars',  { dir => [ '/usr/lib', '/lib' ], name => 'ingest' } ],
    [ 'grouped list',     { name => 'ingest', dirs => [ '/usr/local/lib', '/usr/lib' ] } ],
    [ 'value attributes', { colour => 'blue', size => { value => 'XL', unit => 'none' }, param => { threads => { value => 8 }, mode => { value => 'fast' } } } ],
    [ 'one root key',     { config => { env => 'prod', job => [ { name => 'a', cmd => '/bin/a' }, { name => 'b', cmd => '/bin/b' } ] } } ],
    [ 'top-level array',  [ 'a', 'b', { c => 1 } ] ],
    [ 'a scalar',         'just text & more' ],
);

my @out_options = (
    {}, { RootName => 'config' }, { RootName => '' }, { RootName => undef },
    { XMLDecl => 1 }, { XMLDecl => '<?xml version="1.0" encoding="UTF-8"?>' },
    { NoAttr => 1 }, { KeyAttr => ['id'] }, { KeyAttr => [] },
    { KeyAttr => { user => 'uid' } }, { KeyAttr => { user => '+uid', item => 'sku' } }, { KeyAttr => { user => '-uid' } },
    { ContentKey => 'text' }, { ContentKey => '-content' },
    { SuppressEmpty => 1 }, { SuppressEmpty => '' }, { SuppressEmpty => undef },
    { NoEscape => 1 }, { NoIndent => 1 }, { AttrIndent => 1 },
    { GroupTags => { dirs => 'dir' } }, { ValueAttr => { colour => 'value', param => 'value' } }, { ValueAttr => ['value'] },
    { KeepRoot => 1 },
    { NoAttr => 1, RootName => 'data', XMLDecl => 1 }, { NoIndent => 1, KeyAttr => [], ContentKey => 'text' },
    { AttrIndent => 1, KeyAttr => { item => 'id' } }, { KeepRoot => 1, NoIndent => 1 }, { NoAttr => 1, SuppressEmpty => undef },
    { NumericEscape => 1 }, { NumericEscape => 2 }, { NumericEscape => 0 },
    { StrictMode => 1, KeyAttr => ['name'] },
    { StrictMode => 1 },                    # XML::Simple: "No value specified for 'KeyAttr'"
    { GroupTags => { dirs => 'dirs' } },    # XML::Simple: "Bad value in GroupTags"
);

# XML::XPath's nodes as the bridge describes them: the type and the string-value; the name of
# elements and attributes; the attributes of elements (xmlns declarations are namespace nodes
# in XPath, not attributes; XML::XPath leaves them out too).
sub xp_type {
    my $class = ref $_[0];
    return $class =~ /::Element/ ? 'element' : $class =~ /::Attribute/ ? 'attribute' : $class =~ /::Text/ ? 'text'
         : $class =~ /::Comment/ ? 'comment' : $class =~ /::PI/ ? 'pi' : $class =~ /::Namespace/ ? 'namespace' : $class;
}

sub their_node {
    my ($n) = @_;
    my %v = (type => xp_type($n), value => $n->string_value // '');
    $v{name} = $n->getName if $v{type} eq 'element' || $v{type} eq 'attribute';
    $v{attributes} = { map { ($_->getName => $_->string_value) } $n->getAttributes } if $v{type} eq 'element';
    return \%v;
}

sub our_node {
    my ($n) = @_;
    my $type = $n->{type} // '';
    my %v = (type => $n->{type}, value => $n->{value});
    $v{name} = $n->{name} if $type eq 'element' || $type eq 'attribute';
    $v{attributes} = $n->{attributes} if $type eq 'element';
    return \%v;
}

sub node_order { return join("\0", $_[0]{name} // '', $_[0]{value} // '') }

sub new_xpath {
    my ($c, $namespaces) = @_;
    my $xp = XML::XPath->new(xml => $c->{text});
    $xp->set_namespace($_, $namespaces->{$_}) for sort keys %{ $namespaces || {} };
    return $xp;
}

# One query in the bridge's document $doc (context $node_id) and in XML::XPath's $xp (context
# $ctx): find, findvalue, and for node-sets count and exists. Returns the bridge's find result.
# Options: namespaces, unordered (attribute order is implementation-defined in XPath 1.0),
# label, via (the bridge object, default $bridge), function (an alias of find).
sub compare_query {
    my ($doc, $node_id, $xp, $ctx, $query, %o) = @_;
    my $b = $o{via} // $bridge;
    my $what = ($o{label} // '') . " '$query'";
    my %p = (xpath => $query, document_id => $doc, defined $node_id ? (node_id => $node_id) : (),
             $o{namespaces} ? (namespaces => $o{namespaces}) : ());
    my $theirs = eval { $xp->find($query, $ctx) };
    die "XML::XPath cannot evaluate $query (a bad case in this test): $@" unless defined $theirs;
    my $r = $b->call('xpath', $o{function} // 'find', \%p);
    my $got = $r->{result} // {};
    if ($theirs->isa('XML::XPath::NodeSet')) {
        my @want = map { their_node($_) } $theirs->get_nodelist;
        my @have = map { our_node($_) } @{ $got->{nodes} // [] };
        if ($o{unordered}) {
            @want = sort { node_order($a) cmp node_order($b) } @want;
            @have = sort { node_order($a) cmp node_order($b) } @have;
        }
        is_deeply({ type => $got->{type}, size => $got->{size}, nodes => \@have },
                  { type => 'nodeset', size => scalar @want, nodes => \@want }, "$what: find")
            or show({ bridge => $r, xml_xpath => \@want });
        my $count = $b->call('xpath', 'count', \%p);
        is($count->{result}{count}, scalar @want, "$what: count") or show($count);
        my $exists = $b->call('xpath', 'exists', \%p);
        ok($exists->{success} && !!$exists->{result}{exists} == !!@want, "$what: exists is " . (@want ? 'true' : 'false'))
            or show($exists);
    } else {
        my $type = $theirs->isa('XML::XPath::Number') ? 'number' : $theirs->isa('XML::XPath::Boolean') ? 'boolean' : 'string';
        my $v = $got->{value};
        my $same = !defined $v || ref($v) && !JSON::PP::is_bool($v) ? 0
                 : $type eq 'number'  ? looks_like_number($v) && $v == $theirs->value
                 : $type eq 'boolean' ? (JSON::PP::is_bool($v) || $v =~ /\A[01]\z/) && ($v ? 1 : 0) == $theirs->value
                 : $v eq $theirs->value;
        ok(($got->{type} // '') eq $type && $same, "$what: the $type " . $theirs->to_literal->value)
            or show({ bridge => $r, xml_xpath => { type => $type, value => $theirs->to_literal->value } });
    }
    # findvalue as XML::XPath's findvalue gives it to a script: a node-set's string-values
    # concatenated (API.md 9), a number as Perl prints it, a boolean as 1 or 0 (its value, not
    # XPath's "true"/"false").
    my $fv = $b->call('xpath', 'findvalue', \%p);
    is($fv->{result}{value}, '' . $xp->findvalue($query, $ctx)->value, "$what: findvalue") or show($fv);
    return $got;
}

sub load_ok {
    my ($b, $fn, $params, $root, $what) = @_;
    my $r = $b->call('xpath', $fn, $params);
    ok($r->{success} && defined $r->{result}{document_id} && ($r->{result}{root_name} // '') eq $root,
       "$what: a document, root $root") or show($r);
    return $r->{result}{document_id};
}

# ---- xml_in: the corpus under every option set ---------------------------------------------

for my $opts (@in_options) {
    for my $c (@corpus) {
        my $r = $bridge->call('xml_helper', 'xml_in', { source => $c->{text}, options => $opts });
        same_as_reference($r, [ reference_in($c->{text}, $opts) ], "xml_in $c->{name} " . label($opts));
    }
}

# From a file, by absolute path, with source_type file and auto (anything not starting with "<").
for my $name (qw(01-attributes.xml 07-unicode.xml 13-batch-config.xml 16-variables.xml 24-batch-manifest.xml)) {
    my $c = $corpus{$name};
    for my $opts ({}, { ForceArray => 1 }, { KeepRoot => 1, KeyAttr => [] }, { VarAttr => 'name' }) {
        my $ref = [ reference_in($c->{path}, $opts) ];
        for my $type ('file', 'auto') {
            my $r = $bridge->call('xml_helper', 'xml_in', { source => $c->{path}, source_type => $type, options => $opts });
            same_as_reference($r, $ref, "xml_in file $name, source_type $type " . label($opts));
        }
    }
}

# Text with an explicit source_type string, and with blanks before the "<" (still XML to auto).
for my $name (qw(12-text-root.xml 13-batch-config.xml)) {
    my $c = $corpus{$name};
    same_as_reference($bridge->call('xml_helper', 'xml_in', { source => $c->{text}, source_type => 'string' }),
                      [ reference_in($c->{text}, {}) ], "xml_in $name, source_type string");
    same_as_reference($bridge->call('xml_helper', 'xml_in', { source => "  \n\t$c->{text}" }),
                      [ reference_in("  \n\t$c->{text}", {}) ], "xml_in $name after blanks, source_type auto");
}

# Cache and ParserOpts are accepted and change nothing; XMLin options outside API.md's list
# (SearchPath reads other directories) and unknown ones are refused by name.
for my $extra ({ Cache => 'memshare' }, { ParserOpts => [] }, { cache => ['storable'] }) {
    same_as_reference($bridge->call('xml_helper', 'xml_in', { source => $corpus{'13-batch-config.xml'}{text}, options => $extra }),
                      [ reference_in($corpus{'13-batch-config.xml'}{text}, {}) ], 'xml_in ' . label($extra) . ' is accepted and ignored');
}
for my $bad ('ForceArrays', 'SearchPath', 'DataHandler', 'Force-Array') {
    my $r = $bridge->call('xml_helper', 'xml_in', { source => '<a><b>1</b></a>', options => { $bad => [1] } });
    error_is($r, 'E_INVALID_PARAM', "xml_in option $bad: E_INVALID_PARAM");
    like($r->{error} // '', qr/\Q$bad\E/i, "xml_in option $bad: the error names it");
}
my $r = $bridge->call('xml_helper', 'xml_in', { source => '<a/>', bogus => 1 });
error_is($r, 'E_INVALID_PARAM', 'xml_in: an unknown parameter');
like($r->{error} // '', qr/bogus/, 'xml_in: the error names the parameter');
error_is($bridge->call('xml_helper', 'xml_in', { source => 'http://example.org/a.xml', source_type => 'url' }),
         'E_INVALID_PARAM', 'xml_in: source_type url was never implemented');

# ---- xml_out ---------------------------------------------------------------------------------

for my $d (@out_data) {
    my ($dname, $data) = @$d;
    for my $opts (@out_options) {
        my $r = $bridge->call('xml_helper', 'xml_out', { data => $data, options => $opts });
        same_as_reference($r, [ reference_out($data, $opts) ], "xml_out $dname " . label($opts));
    }
}

# NoSort: the order is Perl's hash order in XML::Simple, so only the content is compared.
{
    my ($ok, $sorted) = reference_out($out_data[0][1], {});
    my $r = $bridge->call('xml_helper', 'xml_out', { data => $out_data[0][1], options => { NoSort => 1 } });
    my $back = eval { local $SIG{__WARN__} = sub { }; XML::Simple::XMLin($r->{result} // '') };
    is_deeply($back, XML::Simple::XMLin($sorted), 'xml_out NoSort: the same content, in any order') or show($r);
}

# Round trips: what xml_out writes, xml_in (and XMLin) reads back as the same data.
for my $data ($out_data[0][1], $out_data[2][1], $out_data[5][1],
              { title => q{Q&A <x> "y" 'z'}, note => 'a > b & c' },
              { job => [ { cmd => 'a', t => 1 }, { cmd => 'b', t => 2 } ], host => { port => 22 } }) {
    my $xml = $bridge->call('xml_helper', 'xml_out', { data => $data })->{result} // '';
    my $back = $bridge->call('xml_helper', 'xml_in', { source => $xml });
    is_deeply($back->{result}, $data, 'round trip through xml_out and xml_in: ' . label($data)) or show($back);
    my $theirs = eval { XML::Simple::XMLin($xml) };
    is_deeply($theirs, $data, 'XMLin reads what xml_out wrote: ' . label($data)) or show({ xml => $xml, error => $@ });
}

for my $bad ('OutputFile', 'Handler', 'NSExpand') {
    my $r = $bridge->call('xml_helper', 'xml_out', { data => { a => 1 }, options => { $bad => 'x' } });
    error_is($r, 'E_INVALID_PARAM', "xml_out option $bad: E_INVALID_PARAM");
    like($r->{error} // '', qr/\Q$bad\E/i, "xml_out option $bad: the error names it");
}

# ---- escape_xml and unescape_xml -------------------------------------------------------------

my $simple = XML::Simple->new;
for my $s (q{a<b>&"c'}, 'plain text', 'Zürich & 東京 <🎉>', '&amp; already', '') {
    my $r = $bridge->call('xml_helper', 'escape_xml', { value => $s });
    is($r->{result}, $simple->escape_value($s), "escape_xml '$s' as XML::Simple's escape_value (' stays)") or show($r);
    my $u = $bridge->call('xml_helper', 'unescape_xml', { value => $r->{result} // '' });
    is($u->{result}, $s, "unescape_xml undoes escape_xml for '$s'") or show($u);
}
$r = $bridge->call('xml_helper', 'unescape_xml', { value => '&lt;&gt;&amp;&quot;&apos;&#65;&#x263A;' });
is($r->{result}, qq{<>&"'A☺}, 'unescape_xml: the five entities and decimal and hex character references') or show($r);
$r = $bridge->call('xml_helper', 'unescape_xml', { value => '&#x1F680; &#233;t&#xE9; &amp;lt;' });
is($r->{result}, '🚀 été &lt;', 'unescape_xml: beyond the BMP, and only one level') or show($r);

# ---- Safety -------------------------------------------------------------------------------

# Billion laughs: ten levels of ten references, a few GB if expanded. Refused, and quickly.
my $lol = qq{<?xml version="1.0"?>\n<!DOCTYPE lolz [\n  <!ENTITY lol0 "lol">\n}
        . join('', map { "  <!ENTITY lol$_ \"" . ('&lol' . ($_ - 1) . ';') x 10 . "\">\n" } 1 .. 9)
        . "]>\n<lolz>&lol9;</lolz>\n";
for my $case ([ 'xml_helper', 'xml_in', { source => $lol } ], [ 'xpath', 'load', { source => $lol } ]) {
    my $t = time;
    my $r = $bridge->call(@$case);
    like($r->{error_code} // 'success', qr/\AE_(INVALID_PARAM|TOO_LARGE)\z/, "$case->[0].$case->[1]: billion laughs refused")
        or show({ %$r, result => '(left out)' });
    cmp_ok(time - $t, '<', 10, "$case->[0].$case->[1]: billion laughs refused quickly");
}

# External entities are never loaded (XML::Simple itself would read /etc/passwd here): an
# error, or a result without the file's text; nor does an error message quote the file.
for my $doc ('<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>',
             '<!DOCTYPE r [<!ENTITY % p SYSTEM "file:///etc/passwd"> %p;]><r>x</r>',
             '<!DOCTYPE r SYSTEM "file:///etc/passwd"><r>x</r>') {
    for my $case ([ 'xml_in', 'xml_helper', 'xml_in', { source => $doc } ], [ 'xpath load', 'xpath', 'load', { source => $doc } ]) {
        my ($name, @call) = @$case;
        my $r = $bridge->call(@call);
        if ($r->{success} && $name eq 'xpath load') {
            $r = $bridge->call('xpath', 'findvalue', { xpath => '/', document_id => $r->{result}{document_id} });
        }
        unlike($json->encode($r), qr/root:[^:]*:0:0/, "$name of $doc: no /etc/passwd text") or show($r);
    }
}

# A DOCTYPE naming an external DTD (and an external entity) over http: no network (192.0.2.1 is
# TEST-NET-1 and never answers, so a fetch would hang); the document still parses.
for my $case ([ '<!DOCTYPE r SYSTEM "http://192.0.2.1/r.dtd"><r><a>1</a></r>', 1 ],
              [ '<!DOCTYPE r PUBLIC "-//Example//DTD R 1.0//EN" "http://192.0.2.1/r.dtd"><r><a>1</a></r>', 1 ],
              [ '<!DOCTYPE r [<!ENTITY x SYSTEM "http://192.0.2.1/x.txt">]><r><a>1</a><b>&x;</b></r>', 0 ]) {
    my ($doc, $must_parse) = @$case;
    my $t = time;
    my $r = $bridge->call('xml_helper', 'xml_in', { source => $doc });
    cmp_ok(time - $t, '<', 5, "$doc: answered without the network");
    if ($must_parse) {
        is_deeply($r->{result}, { a => '1' }, "$doc: parsed without its DTD") or show($r);
    } else {
        ok(!$r->{success} || ($r->{result}{a} // '') eq '1', "$doc: an error, or parsed without the entity") or show($r);
    }
}

# Malformed XML: E_INVALID_PARAM with the line and column.
for my $case ([ '<a><b></a>', 1 ], [ "<a>\n<b>\n</a>", 3 ], [ "<?xml version=\"1.0\"?>\n<r>\n  <x a=\"1\" a=\"2\"/>\n</r>", 3 ],
              [ "<r>\n&undefined;\n</r>", 2 ], [ '<r>text', 1 ], [ 'plain <not xml', 1 ]) {
    my ($doc, $line) = @$case;
    (my $shown = $doc) =~ s/\n/\\n/g;
    my $r = $bridge->call('xml_helper', 'xml_in', { source => $doc, source_type => 'string' });
    error_is($r, 'E_INVALID_PARAM', "malformed '$shown': E_INVALID_PARAM");
    like($r->{error} // '', qr/\bline $line\b/, "malformed '$shown': the error gives line $line");
    like($r->{error} // '', qr/\bcolumn \d+/, "malformed '$shown': the error gives a column");
}
$r = $bridge->call('xpath', 'load', { source => '<a><b></a>' });
error_is($r, 'E_INVALID_PARAM', 'xpath load of malformed XML: E_INVALID_PARAM');
like($r->{error} // '', qr/line \d+.*column \d+|column \d+.*line \d+/s, 'xpath load: the error gives line and column');

# The local-file rules: a relative path made absolute by the client (the daemon runs elsewhere);
# a missing file; a file the caller cannot read.
{
    my $c    = $corpus{'13-batch-config.xml'};
    my $want = [ reference_in($c->{path}, {}) ];
    my $cwd  = Cwd::getcwd();
    chdir $corpus_dir or die "$corpus_dir: $!";
    same_as_reference($bridge->call('xml_helper', 'xml_in', { source => $c->{name}, source_type => 'file' }), $want,
                      'xml_in: a relative path, source_type file');
    same_as_reference($bridge->call('xml_helper', 'xml_in', { source => "./$c->{name}" }), $want,
                      'xml_in: a relative ./path, source_type auto');
    load_ok($bridge, 'load_file', { filename => $c->{name} }, 'config', 'xpath load_file: a relative path');
    chdir $cwd or die "$cwd: $!";
}
for my $missing ("$tmp/none.xml", "$tmp/no/such/dir/x.xml") {
    error_is($bridge->call('xml_helper', 'xml_in', { source => $missing, source_type => 'file' }), 'E_INVALID_PARAM',
             "xml_in of a missing file ($missing): E_INVALID_PARAM");
    error_is($bridge->call('xml_helper', 'xml_in', { source => $missing }), 'E_INVALID_PARAM',
             "xml_in of a missing file, source_type auto: E_INVALID_PARAM");
}
error_is($bridge->call('xpath', 'load', { source => "$tmp/none.xml" }), 'E_INVALID_PARAM', 'xpath load of a missing file: E_INVALID_PARAM');
SKIP: {
    skip 'root reads any file: no unreadable file to try', 2 if $> == 0;
    my $locked = "$tmp/locked.xml";
    write_file($locked, '<secret>x</secret>');
    chmod 0000, $locked or die "$locked: $!";
    error_is($bridge->call('xml_helper', 'xml_in', { source => $locked, source_type => 'file' }), 'E_DENIED',
             'xml_in of an unreadable file: E_DENIED');
    error_is($bridge->call('xpath', 'load', { source => $locked }), 'E_DENIED', 'xpath load of an unreadable file: E_DENIED');
}

# ---- xpath: loading ------------------------------------------------------------------------

my $cfg = $corpus{'13-batch-config.xml'};
my %loaded;
$loaded{'load string'}      = load_ok($bridge, 'load', { source => $cfg->{text} }, 'config', 'load from a string');
$loaded{'load path'}        = load_ok($bridge, 'load', { source => $cfg->{path} }, 'config', 'load from a path');
$loaded{'load file'}        = load_ok($bridge, 'load', { source => $cfg->{path}, source_type => 'file' }, 'config', 'load, source_type file');
$loaded{'load_file'}        = load_ok($bridge, 'load_file', { filename => $cfg->{path} }, 'config', 'load_file {filename}');
$loaded{'load_xml_string'}  = load_ok($bridge, 'load_xml_string', { xml_string => $cfg->{text} }, 'config', 'load_xml_string {xml_string}');
$loaded{'new xml'}          = load_ok($bridge, 'new', { xml => $cfg->{text} }, 'config', 'new {xml}');
$loaded{'new filename'}     = load_ok($bridge, 'new', { filename => $cfg->{path} }, 'config', 'new {filename}');
for my $how (sort keys %loaded) {
    my $r = $bridge->call('xpath', 'count', { xpath => '//job', document_id => $loaded{$how} });
    is($r->{result}{count}, 2, "$how: the document answers") or show($r);
}
is(scalar(keys %{ { map { ($_ // 'undef') => 1 } values %loaded } }), scalar(keys %loaded), 'each load its own document id');
error_is($bridge->call('xpath', 'load_xml_string', { source => $cfg->{text}, xml_string => $cfg->{text} }), 'E_INVALID_PARAM',
         'a parameter together with its alias is refused');

# The current document is the last one loaded; passing an id does not change it.
my $items_doc = load_ok($bridge, 'load', { source => $corpus{'09-repeated.xml'}{path} }, 'catalog', 'load 09-repeated');
is($bridge->call('xpath', 'count', { xpath => '//item' })->{result}{count}, 3, 'no document_id: the current (last loaded) document');
is($bridge->call('xpath', 'count', { xpath => '//job', document_id => $loaded{'load path'} })->{result}{count}, 2, 'an explicit document_id');
is($bridge->call('xpath', 'count', { xpath => '//item' })->{result}{count}, 3, 'an explicit id left the current document as it was');

# ---- xpath: queries against XML::XPath ---------------------------------------------------

my @query_docs = (
    [ '13-batch-config.xml', undef, [
        '/config/job', '//notify', '//job[1]/command', '//job[last()]/@name', '//job[position() > 1]',
        "//job[\@name='load']/timeout", '//timeout/..', '//depends/ancestor::*', '//depends/ancestor::job',
        '//job[1]/following-sibling::*', '//logging/preceding-sibling::database', '//job/attribute::schedule',
        '//job/self::job', '//notify | //depends', '//job[@enabled=1]/@name', '//comment()', '/comment()',
        '//job[timeout > 5000]/@name', '//*[count(*) = 3]', '/config/job[2]/text()', '//job/command/text()', '//nosuch',
        '//*[@user]', 'string(//job/command)', 'count(//job)', "contains(//job[1]/command, 'extract')",
        "starts-with(//logging/\@file, '/var')", 'normalize-space(//command)', 'sum(//timeout)', 'sum(//timeout) div 2',
        'count(//job) > 1', 'boolean(//nosuch)', 'not(//job)', 'name(/*)', 'local-name(//job)', "translate('abc', 'b', 'B')",
        "concat(//job[1]/\@name, '-', //job[2]/\@name)", "substring-before(//logging/\@file, '/nightly')",
        'string(//nosuch)', 'floor(3.7)', 'string-length(//logging/@level)', q{//job[notify='dba@example.org']/@name},
      ], [ '//database/@*', '//job[1]/@*' ] ],
    [ '09-repeated.xml', undef, [
        '//item[@id="i2"]/price', '//item[tag]/@name', 'sum(//price)', '//item[price > 2]', '(//tag)[1]', '//tag[2]',
        '//item[last()]/tag[last()]', '//user[position() = 1]/@uid', 'count(//@id)', '//note[2]', '//item[2]/preceding-sibling::item',
        '//single/following::*', '//price[. = 10]/..',
      ], [ '//item/@*' ] ],
    [ '02-mixed-content.xml', undef, [ '/note/text()', '/note/time/@zone', '/note/*', 'string(/note)', 'normalize-space(/note)', '//b/text()' ], [] ],
    [ '14-whitespace.xml', undef, [ 'count(//text())', '/list/text()', '//entry[2]/text()', 'normalize-space(//entry[3])', 'string-length(//gap)' ], [] ],
    [ '06-cdata.xml', undef, [ '//mixed/text()', 'count(//text())', 'string(//body)', '//empty/text()', '//body' ], [] ],
    [ '05-entities.xml', undef, [ '//from', 'string(/report/@title)', '//charrefs', '//predefined/text()', '/report/@author' ], [] ],
    [ '07-unicode.xml', undef, [ '//greeting[@lang="ja"]', "//greeting[contains(., '世界')]/\@lang", '/*/@名前',
        "//city[\@name='Zürich']/\@country", '//greeting[last()]' ], [ '/*/@*', '//city/@*' ] ],
    [ '22-comments-pi.xml', undef, [ '//comment()', "/processing-instruction('xml-stylesheet')",
        '//para[1]', 'count(/comment())', '/doc/comment()' ], [] ],
    [ '10-deep-nesting.xml', undef, [ '//leaf', 'count(//level)', '//level[@depth = 30]/@depth', '//leaf/ancestor::level[@depth]/@depth',
        'count(//leaf/ancestor::*)' ], [] ],
    [ '03-ns-prefixed.xml', { i => 'urn:example:inventory', l => 'urn:example:location' }, [
        '//i:item', '//i:item/@i:sku', '//i:item[l:shelf = 1]/i:title', 'count(//i:*)', '//l:shelf', "//*[local-name()='title']",
        'name(//i:item[2]/*[2])', "namespace-uri(//l:shelf)" ], [ '//i:item/@*' ] ],
    [ '04-ns-default.xml', { f => 'urn:example:feed', m => 'urn:example:meta', o => 'urn:example:other' }, [
        '//f:entry/@id', '//f:entry/m:tag', '//o:footer', 'count(//f:*)', "//f:entry[\@id='e2']/f:title", '/f:feed/@*',
        "//*[local-name()='footer']", 'namespace-uri(/*)' ], [] ],
);
my %docs;    # corpus name => the bridge's document id
for my $q (@query_docs) {
    my ($name, $ns, $ordered, $unordered) = @$q;
    my $c = $corpus{$name};
    my $xp = new_xpath($c, $ns);
    $docs{$name} = load_ok($bridge, 'load', { source => $c->{text} }, $xp->findvalue('name(/*)')->value, "load $name");
    compare_query($docs{$name}, undef, $xp, undef, $_, label => $name, namespaces => $ns) for @$ordered;
    compare_query($docs{$name}, undef, $xp, undef, $_, label => $name, namespaces => $ns, unordered => 1) for @$unordered;
}

# XPath 1.0: a name without a prefix is in no namespace, so it does not match elements in a
# default namespace. XML::XPath matches them (a known deviation), so here the spec is the reference.
is($bridge->call('xpath', 'count', { xpath => '//entry', document_id => $docs{'04-ns-default.xml'} })->{result}{count}, 0,
   "XPath 1.0: '//entry' matches nothing in a default namespace (XML::XPath differs)");
is($bridge->call('xpath', 'count', { xpath => '//f:entry', document_id => $docs{'04-ns-default.xml'} })->{error_code},
   'E_INVALID_PARAM', 'a prefix that is not declared in namespaces: E_INVALID_PARAM');
error_is($bridge->call('xpath', 'find', { xpath => '//job[', document_id => $docs{'13-batch-config.xml'} }), 'E_INVALID_PARAM',
         'an XPath syntax error: E_INVALID_PARAM');
error_is($bridge->call('xpath', 'find', { xpath => 'nosuchfunction(1)', document_id => $docs{'13-batch-config.xml'} }),
         'E_INVALID_PARAM', 'an unknown XPath function: E_INVALID_PARAM');

# The find aliases answer as find does.
for my $alias ('findnodes', 'find_nodes') {
    my $xp = new_xpath($cfg);
    compare_query($docs{'13-batch-config.xml'}, undef, $xp, undef, '//job/@name', label => "alias $alias", function => $alias);
}

# Each node's path finds that node again.
for my $case ([ '13-batch-config.xml', '//job/* | //job/@name | //comment()' ], [ '09-repeated.xml', '//tag | //user/@uid' ],
              [ '02-mixed-content.xml', '/note/text() | //time' ]) {
    my ($name, $query) = @$case;
    my $nodes = $bridge->call('xpath', 'find', { xpath => $query, document_id => $docs{$name} })->{result}{nodes} // [];
    ok(@$nodes > 2, "$name '$query': nodes to find again");
    for my $n (@$nodes) {
        my $again = $bridge->call('xpath', 'find', { xpath => $n->{path} // '', document_id => $docs{$name} });
        is_deeply([ map { our_node($_) } @{ $again->{result}{nodes} // [] } ], [ our_node($n) ],
                  "$name: path " . ($n->{path} // 'undef') . " finds its node again") or show($again);
    }
}

# Queries relative to a node: node ids from an earlier find as the context.
{
    my $xp = new_xpath($cfg);
    my @their_jobs = $xp->findnodes('//job');
    my $jobs = $bridge->call('xpath', 'find', { xpath => '//job', document_id => $docs{'13-batch-config.xml'} })->{result}{nodes} // [];
    is(scalar @$jobs, 2, 'two job nodes to use as contexts');
    for my $i (0 .. $#their_jobs) {
        my $id = $jobs->[$i]{node_id};
        for my $query ('command', './/notify', '@name', '..', 'following-sibling::*[1]', 'preceding-sibling::*', 'count(*)',
                       'string(timeout)', 'timeout > 5000', '*[last()]', '.', 'ancestor-or-self::*') {
            compare_query($docs{'13-batch-config.xml'}, $id, $xp, $their_jobs[$i], $query, label => "job " . ($i + 1));
        }
        compare_query(undef, $id, $xp, $their_jobs[$i], 'command/text()', label => "job " . ($i + 1) . ', node_id only,',
                      function => 'find_in_node');
    }
    # An element's node as the context of an attribute query, then a node of a namespaced document.
    my $ns = { i => 'urn:example:inventory', l => 'urn:example:location' };
    my $nxp = new_xpath($corpus{'03-ns-prefixed.xml'}, $ns);
    my ($their_item) = $nxp->findnodes('//i:item[2]');
    my $item = $bridge->call('xpath', 'find', { xpath => '//i:item[2]', document_id => $docs{'03-ns-prefixed.xml'}, namespaces => $ns });
    my $item_id = $item->{result}{nodes}[0]{node_id};
    compare_query($docs{'03-ns-prefixed.xml'}, $item_id, $nxp, $their_item, $_, label => 'i:item[2]', namespaces => $ns)
        for 'i:title', '@l:aisle', 'string(l:shelf)', 'preceding-sibling::i:item/i:title';
}

# to_string: a node and the whole document, read back with XML::Simple.
{
    my $xp = new_xpath($cfg);
    my ($their_job) = $xp->findnodes('//job[2]');
    my $job = $bridge->call('xpath', 'find', { xpath => '//job[2]', document_id => $docs{'13-batch-config.xml'} })->{result}{nodes}[0] // {};
    my $r = $bridge->call('xpath', 'to_string', { node_id => $job->{node_id}, document_id => $docs{'13-batch-config.xml'} });
    my $xml = $r->{result}{xml} // '';
    like($xml, qr{<command>/opt/batch/bin/load</command>}, 'to_string of a node: its text') or show($r);
    is_deeply(eval { XML::Simple::XMLin($xml, KeepRoot => 1) }, XML::Simple::XMLin($their_job->toString, KeepRoot => 1),
              'to_string of a node: the same element as XML::XPath toString');
    $r = $bridge->call('xpath', 'to_string', { document_id => $docs{'13-batch-config.xml'} });
    $xml = $r->{result}{xml} // '';
    is_deeply(eval { XML::Simple::XMLin($xml, KeepRoot => 1) }, XML::Simple::XMLin($cfg->{text}, KeepRoot => 1),
              'to_string of the document: the same document') or show($r);
    my $u = $bridge->call('xpath', 'to_string', { document_id => $docs{'07-unicode.xml'} })->{result}{xml} // '';
    like($u, qr/こんにちは世界/, 'to_string keeps CJK as characters');
    is_deeply(eval { XML::Simple::XMLin($u) }, XML::Simple::XMLin($corpus{'07-unicode.xml'}{text}), 'to_string of the unicode document');
}

# Loading the same file twice, and again after it changed.
{
    my $file = "$tmp/changing.xml";
    write_file($file, "<r><v>one</v></r>\n");
    my $first  = load_ok($bridge, 'load', { source => $file }, 'r', 'load a file');
    my $second = load_ok($bridge, 'load', { source => $file }, 'r', 'load the same file again');
    for my $id ($first, $second) {
        is($bridge->call('xpath', 'findvalue', { xpath => '/r/v', document_id => $id })->{result}{value}, 'one', 'both loads answer');
    }
    my $mtime = (stat $file)[9];
    write_file($file, "<changed><v>two</v><w/></changed>\n");
    utime($mtime + 10, $mtime + 10, $file) or die "$file: $!";
    my $third = load_ok($bridge, 'load', { source => $file }, 'changed', 'load the file after it changed: the new root');
    is($bridge->call('xpath', 'findvalue', { xpath => '/changed/v', document_id => $third })->{result}{value}, 'two',
       'the changed file: the new content');
    is($bridge->call('xpath', 'findvalue', { xpath => '/r/v', document_id => $first })->{result}{value}, 'one',
       'the document loaded before stays as it was loaded');
    same_as_reference($bridge->call('xml_helper', 'xml_in', { source => $file }), [ reference_in($file, {}) ],
                      'xml_in of the changed file: the new content');
}

# Two sessions: each its own document for the same file; an id works across sessions of one uid.
{
    my ($b1, $b2) = (CPANBridge->new(), CPANBridge->new());
    my $d1 = load_ok($b1, 'load', { source => $cfg->{path} }, 'config', 'session 1 loads the file');
    my $d2 = load_ok($b2, 'load', { source => $cfg->{path} }, 'config', 'session 2 loads the same file');
    ok(defined $d1 && defined $d2 && $d1 ne $d2, 'two sessions, two document ids');
    is($b1->call('xpath', 'count', { xpath => '//job' })->{result}{count}, 2, 'session 1: its current document');
    is($b2->call('xpath', 'count', { xpath => '//notify' })->{result}{count}, 2, 'session 2: its current document');
    is($b2->call('xpath', 'count', { xpath => '//job', document_id => $d1 })->{result}{count}, 2, "session 2 uses session 1's id");
    is($b2->call('xpath', 'count', { xpath => '//notify' })->{result}{count}, 2, "that left session 2's current document as it was");
}

# close (alias dispose_document): closed, then the id and its nodes are E_HANDLE.
{
    my $node = $bridge->call('xpath', 'find', { xpath => '//job[1]', document_id => $loaded{'load string'} })->{result}{nodes}[0] // {};
    my $r = $bridge->call('xpath', 'close', { document_id => $loaded{'load string'} });
    ok($r->{success} && $r->{result}{closed} && ($r->{result}{document_id} // '') eq ($loaded{'load string'} // 'undef'),
       'close: closed true, with its document_id') or show($r);
    error_is($bridge->call('xpath', 'find', { xpath => '//job', document_id => $loaded{'load string'} }), 'E_HANDLE',
             'a closed document: E_HANDLE');
    error_is($bridge->call('xpath', 'find', { xpath => 'command', node_id => $node->{node_id} // 'none' }), 'E_HANDLE',
             "a node of a closed document: E_HANDLE");
    error_is($bridge->call('xpath', 'close', { document_id => $loaded{'load string'} }), 'E_HANDLE', 'closing it again: E_HANDLE');
    $r = $bridge->call('xpath', 'dispose_document', { document_id => $loaded{'load_xml_string'} });
    ok($r->{success} && $r->{result}{closed}, 'dispose_document: closed true') or show($r);
    error_is($bridge->call('xpath', 'count', { xpath => '//job', document_id => $loaded{'load_xml_string'} }), 'E_HANDLE',
             'a disposed document: E_HANDLE');
    error_is($bridge->call('xpath', 'find', { xpath => '//job', document_id => 'xml-d-no-such-document' }), 'E_HANDLE',
             'an unknown document id: E_HANDLE');
    # Closing the current document leaves no current one (API.md 1.3).
    my $cur = load_ok($bridge, 'load', { source => '<only/>' }, 'only', 'load a document to close');
    my $r2 = $bridge->call('xpath', 'close', {});
    is($r2->{result}{document_id}, $cur, 'close without an id closes the current document') or show($r2);
    error_is($bridge->call('xpath', 'count', { xpath => '/*' }), 'E_HANDLE', 'after closing the current document, none is current');
}

# ---- Process mode ----------------------------------------------------------------------------

my $process = CPANBridge->new(daemon_mode => 0);
for my $case ([ 'xml_in', { source => $corpus{'13-batch-config.xml'}{text} } ],
              [ 'xml_in', { source => $corpus{'07-unicode.xml'}{path}, options => { ForceArray => 1 } } ],
              [ 'xml_in', { source => $corpus{'09-repeated.xml'}{text}, options => { KeyAttr => { item => '-id' }, ContentKey => '-content' } } ],
              [ 'xml_in', { source => $corpus{'12-text-root.xml'}{text}, options => { KeepRoot => 1 } } ],
              [ 'xml_in', { source => '<a><b></a>' } ],
              [ 'xml_out', { data => $out_data[4][1], options => { RootName => 'doc', XMLDecl => 1 } } ],
              [ 'xml_out', { data => $out_data[5][1] } ],
              [ 'escape_xml', { value => q{a<b>&"c'} } ],
              [ 'unescape_xml', { value => '&lt;&#x263A;&amp;' } ]) {
    my ($fn, $p) = @$case;
    my $d = $bridge->call('xml_helper', $fn, $p);
    my $q = $process->call('xml_helper', $fn, $p);
    is($process->mode, 'process', "$fn: process mode answered");
    is_deeply($q, $d, "$fn " . label($p->{options} // {}) . ': identical in both modes') or show({ process => $q, daemon => $d });
}
# The answers in process mode are XML::Simple's too, not only the daemon's.
same_as_reference($process->call('xml_helper', 'xml_in', { source => $corpus{'24-batch-manifest.xml'}{text}, options => { NormaliseSpace => 2 } }),
                  [ reference_in($corpus{'24-batch-manifest.xml'}{text}, { NormaliseSpace => 2 }) ], 'process mode: xml_in as XMLin');
same_as_reference($process->call('xml_helper', 'xml_out', { data => $out_data[2][1], options => { KeyAttr => { user => 'uid' } } }),
                  [ reference_out($out_data[2][1], { KeyAttr => { user => 'uid' } }) ], 'process mode: xml_out as XMLout');

# xpath in process mode: the client replays load for each call and rebuilds node ids from paths.
{
    my $xp  = new_xpath($cfg);
    my $doc = load_ok($process, 'load', { source => $cfg->{path} }, 'config', 'process mode: load');
    is($process->mode, 'process', 'process mode: load answered in process mode');
    my $jobs = compare_query($doc, undef, $xp, undef, '//job', label => 'process mode', via => $process);
    my ($their_job) = $xp->findnodes('//job[2]');
    compare_query($doc, $jobs->{nodes}[1]{node_id}, $xp, $their_job, $_, label => 'process mode, job 2', via => $process)
        for 'command', '@name', 'count(notify)', '../database/@name';
    my $str = $process->call('xpath', 'to_string', { node_id => $jobs->{nodes}[1]{node_id} });
    like($str->{result}{xml} // '', qr{<depends>extract</depends>}, 'process mode: to_string of a node') or show($str);
    my $r = $process->call('xpath', 'close', { document_id => $doc });
    ok($r->{success} && $r->{result}{closed}, 'process mode: close') or show($r);
    error_is($process->call('xpath', 'count', { xpath => '//job', document_id => $doc }), 'E_HANDLE', 'process mode: a closed document is gone');
    is($process->mode, 'process', 'process mode throughout');
}

# ---- STORY-012's XML step: files parsed one after another, and again ------------------------

{
    my $t = time;
    my $template = $corpus{'24-batch-manifest.xml'}{text};
    for my $n (1 .. 10) {
        my $file = "$tmp/processing_$n.xml";
        (my $text = $template) =~ s/batch="2026-03-01"/batch="2026-03-${\ sprintf '%02d', $n}"/ or die 'template changed';
        write_file($file, $text);
        same_as_reference($bridge->call('xml_helper', 'xml_in', { source => $file, source_type => 'file' }),
                          [ reference_in($file, {}) ], "STORY-012: processing_$n.xml");
    }
    my $again = [ reference_in("$tmp/processing_1.xml", {}) ];
    same_as_reference($bridge->call('xml_helper', 'xml_in', { source => "$tmp/processing_1.xml", source_type => 'file' }),
                      $again, "STORY-012: processing_1.xml parsed again: $_") for 1 .. 3;
    my $d = time - $t;
    cmp_ok($d, '<', 60, 'STORY-012: ten files well within 60 s');
    diag sprintf 'STORY-012 (XML step): 13 files parsed in %.3fs', $d;
}

# ---- STORY-018's XML row: 20 calls in each mode, all successful; speeds printed only ---------

{
    my %ops;
    for my $daemon_mode (0, 1) {
        local $CPANBridge::DAEMON_MODE = $daemon_mode;
        my $b = CPANBridge->new();
        my ($ok, $t) = (0, time);
        for (1 .. 20) {
            my $r = $b->call_python('xml_helper', 'xml_in', { source => '<test>data</test>', source_type => 'string' });
            $ok++ if $r->{success} && ($r->{result} // '') eq 'data';
        }
        my $d = time - $t;
        my $name = $daemon_mode ? 'daemon' : 'process';
        $ops{$name} = 20 / ($d || 1e-6);
        is($ok, 20, "STORY-018 xml_helper.xml_in, $name mode: 20/20 with XMLin's answer 'data'");
        is($b->mode, $name, "STORY-018: $name mode answered");
        diag sprintf 'STORY-018 xml_helper.xml_in, %s mode: %d/20 in %.3fs (%.1f ops/sec)', $name, $ok, $d, $ops{$name};
    }
    diag sprintf 'STORY-018 xml_helper.xml_in: %.1fx faster in daemon mode', $ops{daemon} / $ops{process};
}

done_testing();
