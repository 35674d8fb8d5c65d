#!/usr/bin/perl
# STORY-008 and STORY-014: malicious requests are blocked, legitimate ones pass, and the
# security metrics count what was blocked. The stories' http and database calls wait for those
# families; the probes through test.ping are the stories' own.
use strict;
use warnings;
use utf8;
use Test::More;
use FindBin;
use lib "$FindBin::Bin/lib", "$FindBin::Bin/..";
use CBTestSuite qw(start_suite);
use CPANBridge;

start_suite();
$CPANBridge::FALLBACK_ENABLED = 0;
my $bridge = CPANBridge->new;

my @legitimate = (
    { module => 'test', function => 'ping', params => {} },
    { module => 'test', function => 'ping', params => { name => "O'Brien", city => "l'Aquila" } },
    { module => 'test', function => 'ping', params => { note => 'Please select the best option from the menu and update the table' } },
    { module => 'test', function => 'ping', params => { path => 'C:\\dir\\file.txt', unix => '/home/user/report.xlsx' } },
    { module => 'test', function => 'ping', params => { price => '$5 or 10% off', phone => 'phone=555', maths => '1=1 is true' } },
    { module => 'test', function => 'ping', params => { mail => 'anne.o\'neil@example.com', cjk => '東京都', emoji => "\x{1F600}" } },
    { module => 'test', function => 'echo', params => { compare => 'a < b and c > d', tom => 'Tom & Jerry' } },
);
my @malicious = (
    [ 'SQL Injection', 'test', 'ping', { query => "SELECT * FROM users WHERE id=1 OR 1=1" }, 'E_SECURITY' ],
    [ 'XSS Attempt', 'test', 'ping', { data => "<script>alert('xss')</script>" }, 'E_SECURITY' ],
    [ 'Path Traversal', 'test', 'ping', { file => "../../../etc/passwd" }, 'E_SECURITY' ],
    [ 'Invalid Module', 'hacker_module', 'ping', {}, 'E_UNKNOWN_MODULE' ],
    [ 'Dangerous Function', 'test', 'eval', {}, 'E_UNKNOWN_FUNCTION' ],
    [ 'Stacked SQL', 'test', 'ping', { inject => "'; DROP TABLE users; --" }, 'E_SECURITY' ],
    [ 'Encoded XSS', 'test', 'ping', { xss => '%3Cscript%3Ealert(1)%3C%2Fscript%3E' }, 'E_SECURITY' ],
);

my $before = $bridge->call_python('system', 'stats', {})->{result};

# STORY-008: each kind once.
for my $t (@legitimate) {
    my $r = $bridge->call_python($t->{module}, $t->{function}, $t->{params});
    ok($r->{success}, "legitimate $t->{module}.$t->{function} passes") or diag explain $r;
}
for my $t (@malicious) {
    my ($name, $m, $f, $p, $code) = @$t;
    my $r = $bridge->call_python($m, $f, $p);
    ok(!$r->{success}, "$name: BLOCKED");
    is($r->{error_code}, $code, "$name: $code");
    for my $v (values %$p) {
        unlike($r->{error} // '', qr/\Q$v\E/, "$name: the refusal does not echo the value");
    }
}

# STORY-014: 500 requests mixed at random; every legitimate one passes, every malicious one
# is blocked, and the events match the blocked requests.
my ($legit_ok, $legit_n, $bad_blocked, $bad_n) = (0, 0, 0, 0);
srand(14);
for (1 .. 500) {
    if (rand() < 0.4) {
        my $t = $legitimate[ int rand @legitimate ];
        $legit_n++;
        $legit_ok++ if $bridge->call_python($t->{module}, $t->{function}, $t->{params})->{success};
    } else {
        my $t = $malicious[ int rand @malicious ];
        $bad_n++;
        $bad_blocked++ unless $bridge->call_python(@$t[1 .. 3])->{success};
    }
}
is($legit_ok, $legit_n, "STORY-014: all $legit_n legitimate requests passed");
is($bad_blocked, $bad_n, "STORY-014: all $bad_n malicious requests were blocked");

my $after = $bridge->call_python('system', 'stats', {})->{result};
my $blocked = @malicious + $bad_n;
is($after->{security_events} - $before->{security_events}, $blocked,
   'one security event for each blocked request');
is($after->{requests_rejected} - $before->{requests_rejected}, $blocked,
   'each blocked request was rejected by the router');
my $types = $after->{security_metrics}{events_by_type};
ok(($types->{sql_injection} // 0) >= 2 && ($types->{xss} // 0) >= 2 && ($types->{path_traversal} // 0) >= 1,
   'events are counted by type') or diag explain $types;
is($after->{security_metrics}{recent_events}[0]{severity} =~ /^(high|medium|low)$/ ? 1 : 0, 1,
   'recent events carry a severity');

done_testing;
