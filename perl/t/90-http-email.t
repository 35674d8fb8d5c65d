#!/usr/bin/perl
# The seed's http calls and email_helper through CPANBridge. As DESIGN.md's "Seed stories on
# these machines" says, https://httpbin.org/... maps to a loopback httpbin behind nginx with a
# CA made for the run (tests/net/web-servers.sh); the test rewrites those URLs, the product
# never does. Mail goes to a loopback SMTP sink (tests/net/smtp-sink.sh) and is read back from
# its Maildir by tests/net/read-mail.py, an independent reader (Python's email package).
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
use Digest::SHA qw(sha256_hex);
use Encode ();

my $net = "$FindBin::Bin/../../tests/net";
my %web = map { /^(\w+)=(.*)$/ ? ($1 => $2) : () } `$net/web-servers.sh start`;
plan skip_all => 'no nginx or httpbin (make deps installs them)' unless $? == 0 && $web{HTTP_URL};
END { system("$net/web-servers.sh", 'stop', $web{WEB_DIR}) if $web{WEB_DIR} }
my %smtp = map { /^(\w+)=(.*)$/ ? ($1 => $2) : () } `$net/smtp-sink.sh start`;
END { system("$net/smtp-sink.sh", 'stop', $smtp{SMTP_DIR}) if $smtp{SMTP_DIR} }

my $suite = start_suite();
$CPANBridge::FALLBACK_ENABLED = 0;
my $json = JSON::PP->new->utf8->canonical;

# The seed's internet URLs, pointed at the loopback servers, with the run's CA.
sub seed {
    my ($params) = @_;
    my %p = %$params;
    $p{url} =~ s{^https://(?:httpbin\.org|api\.processor\.com)}{$web{HTTPS_URL}};
    $p{url} =~ s{/submit\z}{/post};
    $p{ca_file} = $web{CA_FILE};
    return \%p;
}

sub echo_of {
    my ($r) = @_;
    return eval { $json->decode(Encode::encode('UTF-8', $r->{result}{content})) } // {};
}

my $bridge = CPANBridge->new();

# STORY-008, 014, 015, 016, 018: the health probe they all make.
my $r = $bridge->call_python('http', 'get', seed({ url => 'https://httpbin.org/json' }));
ok($r->{success}, 'http.get https://httpbin.org/json') or diag explain $r;
is($r->{result}{status_code}, 200, 'status 200');
ok($r->{result}{is_success}, 'is_success');
is($r->{result}{status_line}, '200 OK', 'status_line');
like($r->{result}{headers}{'content-type'}, qr{^application/json}, 'lower-case header names');
is(ref echo_of($r)->{slideshow}, 'HASH', 'the JSON document arrived whole');

# STORY-012: a JSON post with a bearer token.
my $data = { file => 'processing_1.xml', items => [ { id => 1, name => 'Zürich 日本 🎉' } ] };
$r = $bridge->call_python('http', 'post', seed({
    url => 'https://api.processor.com/submit', json => $data,
    headers => { Authorization => 'Bearer token123' } }));
ok($r->{success}, 'STORY-012 http.post') or diag explain $r;
my $echo = echo_of($r);
is_deeply($echo->{json}, $data, 'the JSON body arrived exactly, Unicode included');
is($echo->{headers}{Authorization}, 'Bearer token123', 'the header was sent');

# An HTTP error status is an answer, as LWP's is.
$r = $bridge->call('http', 'get', seed({ url => 'https://httpbin.org/status/404' }));
ok($r->{success} && $r->{result}{status_code} == 404 && !$r->{result}{is_success},
   '404 is a successful call carrying the status') or diag explain $r;
$r = $bridge->call('http', 'get', { url => 'https://127.0.0.1:1/' });
is($r->{error_code}, 'E_BACKEND', 'a refused connection is E_BACKEND');
$r = $bridge->call('http', 'get', seed({ url => 'https://httpbin.org/delay/3', timeout => 1 }));
is($r->{error_code}, 'E_TIMEOUT', 'a timeout is E_TIMEOUT');

# The session keeps its cookies across calls; another object has its own jar.
$bridge->call('http', 'get', seed({ url => 'https://httpbin.org/cookies/set?session_cookie=kept' }));
$r = $bridge->call('http', 'get', seed({ url => 'https://httpbin.org/cookies' }));
is(echo_of($r)->{cookies}{session_cookie}, 'kept', 'the cookie came back on the next call');
my $other = CPANBridge->new();
$r = $other->call('http', 'get', seed({ url => 'https://httpbin.org/cookies' }));
is_deeply(echo_of($r)->{cookies}, {}, 'another CPANBridge object has its own jar');

# Binary content arrives as bytes.
$r = $bridge->call('http', 'get', seed({ url => 'https://httpbin.org/bytes/4096?seed=3' }));
my $bytes = CPANBridge::unbinary($r->{result}{content});
is(length $bytes, 4096, 'binary content: 4096 bytes');
my $curl = `curl -s --cacert $web{CA_FILE} '$web{HTTPS_URL}/bytes/4096?seed=3'`;
is(sha256_hex($bytes), sha256_hex($curl), 'the same bytes curl(1) reads');

# A relative path in a multipart element is the script's own file, as with `path` params.
my $dir = File::Temp::tempdir('cb-http-XXXXXX', TMPDIR => 1, CLEANUP => 1);
chdir $dir or die "$dir: $!";
open(my $fh, '>:raw', 'upload.txt') or die $!;
print $fh "uploaded from a relative path\n";
close $fh;
$r = $bridge->call('http', 'post', seed({ url => 'https://httpbin.org/post',
    multipart => [ { name => 'doc', file => 'upload.txt' } ] }));
is(echo_of($r)->{files}{doc}, "uploaded from a relative path\n", 'a relative multipart file');

# Both modes give the same answers (the date header and the time taken aside).
for my $path ('/get?q=caf%C3%A9', '/status/500', '/json') {
    my @answers;
    for my $mode (1, 0) {
        my $b = CPANBridge->new(daemon_mode => $mode);
        my $a = $b->call('http', 'get', seed({ url => "https://httpbin.org$path" }));
        is($b->mode, $mode ? 'daemon' : 'process', "$path answered in " . $b->mode . ' mode');
        delete $a->{result}{elapsed};
        delete $a->{result}{headers}{date};
        push @answers, $a;
    }
    is_deeply($answers[1], $answers[0], "$path: identical in both modes");
}

# email_helper: a report mailed with a relative attachment, read back from the server's Maildir.
SKIP: {
    skip 'no aiosmtpd (make deps installs it)', 8 unless $smtp{SMTP_PORT};
    open(my $csv, '>:raw', 'report.csv') or die $!;
    print $csv "id,city\n1,Zürich\n";
    close $csv;
    my %mail = (from => 'Batch Job <job@example.com>', to => ['ops@example.com'],
                subject => 'Nightly report — 東京 ✓', body => "Attached.\nÄ line\n",
                attachments => [ { file => 'report.csv' } ],
                smtp_host => '127.0.0.1', smtp_port => $smtp{SMTP_PORT});
    my %ids;
    for my $mode (1, 0) {
        my $b = CPANBridge->new(daemon_mode => $mode);
        my $r = $b->call('email_helper', 'send_email', \%mail);
        ok($r->{success}, 'send_email in ' . $b->mode . ' mode') or diag explain $r;
        $ids{ $r->{result}{message_id} // '' } = $b->mode;
    }
    my @got = map { $json->decode($_) } `/usr/bin/python3 $net/read-mail.py $smtp{MAILDIR}`;
    my @ours = grep { $ids{ $_->{message_id} // '' } } @got;
    is(scalar @ours, 2, 'both messages arrived');
    for my $m (@ours) {
        my $mode = $ids{ $m->{message_id} };
        is($m->{subject}, $mail{subject}, "$mode: the subject decodes to what was sent");
        my ($att) = grep { ($_->{filename} // '') eq 'report.csv' } @{ $m->{parts} };
        my $want = do { open(my $fh, '<:raw', 'report.csv') or die $!; local $/; <$fh> };
        is($att && $att->{payload_sha256}, sha256_hex($want), "$mode: the attachment is the file");
    }
    my $r = $bridge->call('email_helper', 'validate_email', { address => 'not@valid@x' });
    ok($r->{success} && !$r->{result}{valid} && $r->{result}{reason}, 'validate_email says why');
}

done_testing();
