#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# An example batch job: what a script written for CPAN modules does through cpan-bridge.
use strict;
use warnings;
use utf8;
use CPANBridge;

binmode STDOUT, ':encoding(UTF-8)';
my $bridge = CPANBridge->new();

sub show {
    my ($what, $r) = @_;
    if ($r->{success}) {
        printf "  %-44s ok (%s mode)\n", $what, $bridge->mode;
    } else {
        printf "  %-44s %s: %s\n", $what, $r->{error_code}, $r->{error};
    }
    return $r;
}

print "A job with one CPANBridge object: one connection, one session\n";
my $r = show('test.ping', $bridge->call_python('test', 'ping', { job => 'demo' }));
die "the suite does not answer: $r->{error}\n" unless $r->{success};
print "  answered by: $r->{result}{platform}, version $r->{result}{version}\n";

$r = show('test.echo keeps every value', $bridge->call('test', 'echo',
    { name => "O'Brien", city => 'Zürich', cjk => '中文', emoji => "\x{1F600}", n => 42 }));
print "  echoed: $r->{result}{name}, $r->{result}{city}, $r->{result}{cjk}, $r->{result}{n}\n";

print "A session's state lives while the job runs (daemon mode):\n";
for (1 .. 3) {
    $r = show('test.counter', $bridge->call('test', 'counter', {}));
    print "    value $r->{result}{value}\n" if $r->{success};
}
$r = show('test.hold (a handle, like a database connection)', $bridge->call('test', 'hold', {}));
if ($r->{success}) {
    my $id = $r->{result}{handle_id};
    $r = $bridge->call('test', 'held', { handle_id => $id });
    print "    test.held $id -> ", ($r->{result}{exists} ? 'exists' : 'gone'), "\n";
}

print "Bad input gets a clear error with a code:\n";
show('an unknown module', $bridge->call('hacker_module', 'ping', {}));
show('a wrong type', $bridge->call('test', 'sleep', { ms => 'soon' }));

print "The router's own view (system.health):\n";
$r = show('system.health', $bridge->call('system', 'health', {}));
exit 0 unless $r->{success};
print "  overall: $r->{result}{overall_status}\n";
for my $check (sort keys %{ $r->{result}{checks} }) {
    my $c = $r->{result}{checks}{$check};
    printf "  %-22s %-5s %s\n", $check, $c->{status}, $c->{message};
}
