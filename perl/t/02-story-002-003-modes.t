#!/usr/bin/perl
# STORY-002 and STORY-003 for module test: process mode ($DAEMON_MODE = 0) and daemon mode
# give identical answers, with every JSON type, CJK, emoji, NUL bytes, control characters and
# an 8 MiB payload preserved exactly (mode, timestamp and uptime aside).
use strict;
use warnings;
use utf8;
use Test::More;
use FindBin;
use lib "$FindBin::Bin/lib", "$FindBin::Bin/..";
use CBTestSuite qw(start_suite);
use CPANBridge;
use JSON::PP ();

my $suite = start_suite();
$CPANBridge::FALLBACK_ENABLED = 0;    # each mode must really answer by itself
my $canon = JSON::PP->new->utf8->canonical->allow_nonref;

my %cases = (
    empty      => {},
    strings    => { a => 'plain', e => '', sp => '  padded  ', nl => "line1\nline2\ttab\r\n" },
    numbers    => { i => 42, neg => -7, zero => 0, f => 3.25, big => 9007199254740993,
                    small => 1e-300, str_num => '42', str_float => '3.10', lead => '007' },
    nulls      => { u => undef, list => [ undef, 1, undef ] },
    booleans   => { t => JSON::PP::true(), f => JSON::PP::false() },
    nested     => { a => [ 1, [ 2, [ 3, { deep => [ {}, [] ] } ] ] ], h => { x => { y => { z => 'end' } } } },
    cjk        => { ja => '日本語のテキスト', zh => '中文字符', ko => '한국어', key_日本 => '値' },
    emoji      => { e => '😀🎉👍🏽 family: 👨‍👩‍👧‍👦', flag => '🇫🇷', astral => "\x{1F4A9}" },
    nul_bytes  => { n => "a\0b\0\0c", only => "\0", ctl => join('', map { chr } 1 .. 31, 127) },
    unicode    => { latin1 => 'café naïve ß', combining => "e\x{301}", bidi => "\x{202E}abc",
                    bmp_edge => "\x{FFFD}\x{FFFF}", rtl => 'שלום مرحبا' },
    # Business text that uses SQL words; a whole SQL statement belongs in a `sql` parameter,
    # and in free text it is refused by content inspection (see 80-story-008-014-security.t).
    sql_like   => { q => "Select the best option; drop off at 5 -- ok?", path => 'C:\\dir\\file', phone => 'phone=555' },
    binary     => { bin => CPANBridge::binary(join '', map { chr } 0 .. 255) },
    arrays     => { many => [ 1 .. 1000 ], mixed => [ 1, 'two', 3.5, undef, [], {}, JSON::PP::true() ] },
    big        => { payload => ('0123456789abcdef' x (8 * 65536)) . '日本😀' },    # 8 MiB + a tail
);

# The fields that legitimately differ between modes.
sub strip_volatile {
    my ($r) = @_;
    my %c = %$r;
    if (ref $c{result} eq 'HASH') {
        my %res = %{ $c{result} };
        delete @res{qw(mode timestamp uptime)};
        $c{result} = \%res;
    }
    return \%c;
}

my $daemon  = CPANBridge->new(daemon_mode => 1);
my $process = CPANBridge->new(daemon_mode => 0);

for my $name (sort keys %cases) {
    my $params = $cases{$name};
    my $want   = $canon->encode($params);
    for my $f (qw(echo ping)) {
        my $d = $daemon->call('test', $f, $params);
        is($daemon->mode, 'daemon', "$name/$f: daemon mode answered");
        my $p = $process->call('test', $f, $params);
        is($process->mode, 'process', "$name/$f: process mode answered");
        ok($d->{success}, "$name/$f: success in daemon mode") or diag explain $d;
        ok($p->{success}, "$name/$f: success in process mode") or diag explain $p;
        # Canonical JSON compares values and types (number against string) exactly.
        ok($canon->encode(strip_volatile($d)) eq $canon->encode(strip_volatile($p)),
            "$name/$f: identical answers in both modes");
        my $echoed = $f eq 'echo' ? $d->{result} : $d->{result}{input};
        ok($canon->encode($echoed) eq $want, "$name/$f: the params came back exactly");
        is_deeply($echoed, $params, "$name/$f: deep equal to the input") unless $name eq 'big';
    }
}
is($daemon->call('test', 'ping', {})->{result}{mode}, 'daemon', 'ping says daemon');
is($process->call('test', 'ping', {})->{result}{mode}, 'process', 'ping says process');

# The big string really is 8 MiB and unchanged.
my $big = $daemon->call('test', 'echo', $cases{big})->{result}{payload};
is(length $big, 8 * 1024 * 1024 + 3, '8 MiB payload: length kept');
ok($big eq $cases{big}{payload}, '8 MiB payload: content kept');

# Numbers stay numbers and strings stay strings, seen through each JSON module installed.
my $nums = $daemon->call('test', 'echo', $cases{numbers})->{result};
is($canon->encode($nums->{str_num}), '"42"', 'a string of digits stays a string');
is($canon->encode($nums->{i}), '42', 'a number stays a number');

# Binary values.
my $bin = $daemon->call('test', 'echo', $cases{binary})->{result}{bin};
is(CPANBridge::unbinary($bin), join('', map { chr } 0 .. 255), 'binary marker round-trips all bytes');

# Errors are identical too.
for my $code (qw(E_BACKEND E_DENIED E_THROTTLED E_INTERNAL)) {
    my $d = $daemon->call('test', 'error', { code => $code, message => "boom 日本 \0" });
    my $p = $process->call('test', 'error', { code => $code, message => "boom 日本 \0" });
    ok(!$d->{success} && !$p->{success}, "test.error $code fails in both modes");
    is($d->{error_code}, $code, "... daemon code $code");
    is($canon->encode($d), $canon->encode($p), "... identical error answers");
}
for my $bad ([ 'test', 'nope' ], [ 'nomodule', 'ping' ]) {
    my $d = $daemon->call(@$bad, {});
    my $p = $process->call(@$bad, {});
    is($d->{error_code}, $p->{error_code}, "@$bad: same error code in both modes ($d->{error_code})");
}
my $d = $daemon->call('test', 'sleep', { ms => 'soon' });
my $p = $process->call('test', 'sleep', { ms => 'soon' });
is($d->{error_code}, 'E_INVALID_PARAM', 'bad param refused in daemon mode');
is($canon->encode($d), $canon->encode($p), 'bad param: identical answers');

# A byte string holding UTF-8 (a script without `use utf8`) is sent as the text it encodes.
my $bytes = "\xe6\x97\xa5\xe6\x9c\xac";    # 日本 as UTF-8 bytes
is($daemon->call('test', 'echo', { b => $bytes })->{result}{b}, '日本', 'UTF-8 bytes are not encoded twice');
is($process->call('test', 'echo', { b => $bytes })->{result}{b}, '日本', '... in process mode too');
ok(!utf8::is_utf8($bytes), "the caller's string is not changed");

# Every JSON module gives the same answers (each in its own perl, chosen by CPAN_BRIDGE_JSON).
my $script = 'use utf8; my $b = CPANBridge->new; '
    . 'my $r = $b->call("test", "echo", { x => "日本😀\0", n => 1.5, s => "1.5", u => undef, t => JSON::PP::true() }); '
    . 'print CPANBridge::json_backend(), " ", JSON::PP->new->utf8->canonical->encode($r)';
for my $m (qw(Cpanel::JSON::XS JSON::XS JSON::PP)) {
    (my $file = "$m.pm") =~ s{::}{/}g;
    next unless eval { require $file; 1 };
    local $ENV{CPAN_BRIDGE_JSON} = $m;
    open my $fh, '-|', $^X, "-I$FindBin::Bin/..", '-MJSON::PP', '-MCPANBridge', '-e', $script or die;
    my $out = do { local $/; <$fh> };
    close $fh;
    my ($used, $json) = split / /, $out, 2;
    is($used, $m, "$m is used when asked for");
    my $want = JSON::PP->new->utf8->canonical->encode({
        result  => { n => 1.5, s => '1.5', t => JSON::PP::true(), u => undef, x => "日本😀\0" },
        success => JSON::PP::true() });
    is($json, $want, "$m: text, numbers, strings, null and booleans kept");
}

done_testing;
