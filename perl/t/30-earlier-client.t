#!/usr/bin/perl
# Every variable, environment variable and method of the earlier client (2.00) exists;
# the obsolete ones are harmless no-ops; test_python_bridge and check_python_module work.
use strict;
use warnings;
use Test::More;
use FindBin;
use lib "$FindBin::Bin/lib", "$FindBin::Bin/..";
use CBTestSuite qw(start_suite);
use CPANBridge;

my $lib = "$FindBin::Bin/..";

# `use CPANBridge` itself loads no module (it must stay cheap for short scripts).
my $loaded = `$^X -I$lib -MCPANBridge -e 'print join " ", sort keys %INC'`;
is($loaded, 'CPANBridge.pm strict.pm warnings.pm', 'use CPANBridge loads only strict and warnings');

# Defaults, read in a clean environment.
my %clean = map { ($_ => $ENV{$_}) } grep { !/^CPAN_BRIDGE_/ } keys %ENV;
sub in_env {
    my ($env, $code) = @_;
    local %ENV = (%clean, %$env);
    open my $fh, '-|', $^X, "-I$lib", '-MCPANBridge', '-e', $code or die;
    local $/;
    my $out = <$fh>;
    close $fh;
    return $out;
}
my $vars = join ',', map { "\$CPANBridge::$_" }
    qw(DEBUG_LEVEL TIMEOUT MAX_JSON_SIZE RETRY_COUNT DAEMON_MODE FALLBACK_ENABLED DAEMON_SOCKET
       DAEMON_TIMEOUT DAEMON_STARTUP_TIMEOUT VERSION EXEC);
my $show = 'no warnings; print join "|", map { defined ? $_ : "undef" } (' . $vars
    . ', $CPANBridge::PYTHON_BRIDGE_SCRIPT, $CPANBridge::PYTHON_PATH, $CPANBridge::DAEMON_SCRIPT)';
is(in_env({}, $show),
    '0|300|10000000|3|1|1|/run/cpan-bridge/cpan-bridge.sock|5|10|3.00|/usr/libexec/cpan-bridge/cpan-bridge-exec|undef|undef|undef',
    'defaults (socket not in /tmp, timeout 300, connect timeout 5)');
is(in_env({ CPAN_BRIDGE_DAEMON => '0', CPAN_BRIDGE_FALLBACK => '0', CPAN_BRIDGE_SOCKET => '/x/y.sock',
            CPAN_BRIDGE_DAEMON_TIMEOUT => '2', CPAN_BRIDGE_STARTUP_TIMEOUT => '7',
            CPAN_BRIDGE_SCRIPT => '/opt/s.py', CPAN_BRIDGE_DAEMON_SCRIPT => '/opt/d.py',
            CPAN_BRIDGE_EXEC => '/opt/exec' }, $show),
    '0|300|10000000|3|0|0|/x/y.sock|2|7|3.00|/opt/exec|/opt/s.py|undef|/opt/d.py',
    'environment variables are read at load time ("0" disables)');
is(in_env({ CPAN_BRIDGE_SOCKET => '' }, 'print $CPANBridge::DAEMON_SOCKET'),
    '/run/cpan-bridge/cpan-bridge.sock', 'an empty CPAN_BRIDGE_SOCKET means the default');

my $suite = start_suite();

can_ok('CPANBridge', qw(new call_python call mode get_last_error get_last_python_output
    get_performance_stats clear_performance_stats set_debug set_timeout set_max_json_size
    set_retry_count set_python_bridge_script set_python_path test_python_bridge
    check_python_module DESTROY _safe_json_encode _safe_json_decode _debug binary unbinary));

my $b = CPANBridge->new(debug => 0, timeout => 30, max_json_size => 1000, retry_count => 1);
isa_ok($b, 'CPANBridge');
my $b2 = $b->new;
isa_ok($b2, 'CPANBridge', 'new called on an object');
is($b->test_python_bridge, 1, 'test_python_bridge is 1 when test.ping succeeds (fixed)');
is(CPANBridge->test_python_bridge, 1, '... also as a class method');
is($b->check_python_module('test'), 1, 'check_python_module: test is known');
is($b->check_python_module('system'), 1, 'check_python_module: system is known');
is($b->check_python_module('no_such_module'), 0, 'check_python_module: unknown module is 0');

# call_python returns the whole response now.
my $r = $b->call_python('test', 'ping', { a => 1 });
ok($r->{success}, 'success key present');
is($r->{result}{message}, 'pong', '$r->{result}{message}');
ok(!exists $r->{id}, 'the wire id is not returned');
is($b->get_last_error, undef, 'no last error after a success');
$r = $b->call('test', 'error', { code => 'E_BACKEND', message => 'nope' });
is($b->get_last_error, 'nope', 'get_last_error has the error text');

# Setters, on the object and on the class.
ok($b->set_timeout(12), 'set_timeout');
is($b->{timeout}, 12, '... on the object');
CPANBridge->set_timeout(301);
is($CPANBridge::TIMEOUT, 301, '... as a class method: the package variable');
CPANBridge->set_timeout(300);
ok($b->set_retry_count(2) && $b->set_max_json_size(50), 'set_retry_count, set_max_json_size');
{
    my @err;
    local *STDERR;
    open STDERR, '>', \my $buf;
    ok($b->set_debug(1), 'set_debug');
    is($CPANBridge::DEBUG_LEVEL, 1, 'set_debug also sets $DEBUG_LEVEL');
    $b->call('test', 'ping', {});
    like($buf, qr/^\[.+\] CPANBridge DEBUG \(.+\): /m, 'debug lines have the earlier prefix');
    like($buf, qr/over \$MAX_JSON_SIZE/, 'MAX_JSON_SIZE only gives a debug message');
    $b->set_debug(0);
}
ok($b->call('test', 'echo', { big => 'x' x 100 })->{success}, 'a request over max_json_size is still sent');

# Obsolete settings are harmless no-ops.
ok($b->set_python_bridge_script('/nonexistent/cpan_bridge.py'), 'set_python_bridge_script: no-op, no croak');
ok(CPANBridge->set_python_path('/nonexistent/python3'), 'set_python_path: no-op, no croak');
ok($b->call('test', 'ping', {})->{success}, 'calls unaffected by them');

# Performance stats.
$b->clear_performance_stats;
$b->call('test', 'ping', {}) for 1 .. 3;
my $st = $b->get_performance_stats;
is($st->{'test.ping'}{call_count}, 3, 'performance stats count calls per module.function');
ok(exists $st->{'test.ping'}{last_duration}, 'and record last_duration');

# Process-mode output.
{
    local $CPANBridge::DAEMON_MODE = 0;
    my $p = CPANBridge->new;
    $p->call('test', 'ping', {});
    like($p->get_last_python_output, qr/"message":"pong"/, 'get_last_python_output: the JSON that process mode printed');
}

# JSON helpers.
my $json = $b->_safe_json_encode({ x => "\x{65e5}", n => 1 });
ok(defined $json, '_safe_json_encode');
is_deeply($b->_safe_json_decode($json), { x => "\x{65e5}", n => 1 }, '_safe_json_decode round-trips');
is($b->_safe_json_decode('{not json'), undef, '_safe_json_decode of bad JSON is undef');
like($b->get_last_error, qr/JSON decode failed/, '... and says why');

# Binary helpers.
my $m = CPANBridge::binary("\0\x01\xff");
is_deeply($m, { '$base64' => 'AAH/' }, 'binary builds a $base64 marker');
is(CPANBridge::unbinary($m), "\0\x01\xff", 'unbinary opens it');
is(CPANBridge::unbinary("\x{e9}"), "\xc3\xa9", 'unbinary of text gives its UTF-8 bytes');
ok(!eval { CPANBridge::binary("\x{100}"); 1 }, 'binary refuses characters');

# Client-side failures have the response shape.
$r = $b->call_python(undef, 'ping', {});
is_deeply([ sort keys %$r ], [qw(error error_code retryable success)], 'client-side failure has the response shape');
ok(!eval { CPANBridge->call_python('test', 'ping'); 1 }, 'call_python as a class method croaks');

# DESTROY is safe to call and closes the session.
ok(eval { my $x = CPANBridge->new; $x->call('test', 'ping', {}); undef $x; 1 }, 'DESTROY');

# perldoc documents everything.
SKIP: {
    # What perldoc shows, rendered by the core Pod::Text (perldoc itself may not be installed).
    require Pod::Text;
    my $pod = '';
    my $parser = Pod::Text->new;
    $parser->output_string(\$pod);
    $parser->parse_file("$lib/CPANBridge.pm");
    skip 'no POD rendered', 3 unless length $pod;
    like($pod, qr/\$r->\{result\}\{connection_id\}/, 'POD: call_python returns the whole response');
    like($pod, qr/No-ops/i, 'POD: no-ops listed');
    for my $name (qw(PYTHON_BRIDGE_SCRIPT DEBUG_LEVEL TIMEOUT MAX_JSON_SIZE RETRY_COUNT PYTHON_PATH
                     DAEMON_MODE FALLBACK_ENABLED DAEMON_SOCKET DAEMON_TIMEOUT DAEMON_STARTUP_TIMEOUT
                     DAEMON_SCRIPT EXEC get_last_error get_last_python_output get_performance_stats
                     clear_performance_stats set_debug set_timeout set_max_json_size set_retry_count
                     set_python_bridge_script set_python_path test_python_bridge check_python_module
                     DESTROY _safe_json_encode _safe_json_decode _debug binary unbinary mode)) {
        like($pod, qr/\Q$name\E/, "POD mentions $name");
    }
}

done_testing;
