#!/usr/bin/perl
# STORY-012 end to end, every family it uses against the real servers the tests start on
# loopback: 10 XML files fetched from an OpenSSH server (one SFTP session), parsed by
# xml_helper and xpath (parsed once each), posted to httpbin behind nginx over TLS (one kept
# connection, cookies kept), logged into PostgreSQL (or SQLite when no server is installed;
# one connection), and moved on the server. Then each side is asked what it saw: nginx's log
# of connections, sshd's log of sessions, pg_stat_activity's backends, the rows, the files.
#
# Under a real systemd (tests/systemd/inside.sh) the servers are started by inside.sh, which
# names them in CB_TEST_SERVERS (a file of KEY=VALUE lines), and the test runs as root with
# CB_TEST_AS_USER: it sets the servers' side up as root, then makes its calls with that user's
# uid and groups as its effective ones, so that the router sees the user and systemd starts
# the user's own sandboxed instances; what only root may read (the servers' logs, the SFTP
# user's home) it reads as root again.
use strict;
use warnings;
use utf8;
use Test::More;
use FindBin;
use lib "$FindBin::Bin/lib", "$FindBin::Bin/..";
use CBTestSuite qw(start_suite stop_suite);
use CPANBridge;
use File::Temp qw(tempdir);
use JSON::PP ();
use Encode ();
use Time::HiRes qw(time);

my $tests = "$FindBin::Bin/../../tests";
my %given;
if (my $file = $ENV{CB_TEST_SERVERS}) {
    open(my $fh, '<', $file) or BAIL_OUT("CB_TEST_SERVERS: $file: $!");
    %given = map { /^(\w+)=(.*)$/ ? ($1 => $2) : () } <$fh>;
}
my $as_user = $ENV{CB_TEST_AS_USER};
plan skip_all => 'CB_TEST_AS_USER needs root' if $as_user && $> != 0;
my %ssh = %given ? %given : map { /^(\w+)=(.*)$/ ? ($1 => $2) : () } `$tests/ssh/sshd.sh start 2>/dev/null`;
plan skip_all => 'no sshd, or not root (make deps installs openssh-server; the test makes users)'
    unless (%given || $? == 0) && $ssh{SSHD_PORT};
END { system("$tests/ssh/sshd.sh", 'stop', $ssh{SSHD_DIR}) if $ssh{SSHD_DIR} && !%given }
my %web = %given ? %given : map { /^(\w+)=(.*)$/ ? ($1 => $2) : () } `$tests/net/web-servers.sh start`;
plan skip_all => 'no nginx or httpbin (make deps installs them)' unless (%given || $? == 0) && $web{HTTPS_URL};
END { system("$tests/net/web-servers.sh", 'stop', $web{WEB_DIR}) if $web{WEB_DIR} && !%given }
my %pg = %given ? %given : map { /^(\w+)=(.*)$/ ? ($1 => $2) : () } `$tests/db/pg-cluster.sh start 2>/dev/null`;
my $have_pg = (%given || $? == 0) && $pg{PGHOST};
END { system("$tests/db/pg-cluster.sh", 'stop', $pg{PGHOST}) if $pg{PGHOST} && !%given }

# The user's uid, primary gid and groups, as a login would have them.
my ($user_uid, $user_gid, $user_groups) = (0, 0, '0');
if ($as_user) {
    ($user_uid, $user_gid) = (getpwnam $as_user)[2, 3];
    BAIL_OUT("no user $as_user") unless defined $user_uid;
    $user_groups = join ' ', $user_gid, split ' ', `id -G $as_user`;
}
# Effective ids only: the real uid stays root's, so that root's checks can come back.
sub become_user {
    return unless $as_user;
    $) = "$user_gid $user_groups";
    $> = $user_uid;
    BAIL_OUT("cannot take the effective uid of $as_user: $!") unless $> == $user_uid;
}
sub as_root {
    my ($code) = @_;
    return $code->() unless $as_user && $> != 0;
    $> = 0;
    $) = '0 0';
    my @r = $code->();
    become_user();
    return wantarray ? @r : $r[0];
}

my $local = tempdir('cb-pipeline-XXXXXX', TMPDIR => 1, CLEANUP => 1);
chown $user_uid, $user_gid, $local if $as_user;    # the user's instances write into it
# The seed's Oracle DSN, mapped the way a site maps it (the cluster's testuser is the seed's
# login; its trust authentication ignores the password).
my $target = $have_pg ? "dbi:Pg:dbname=cbtest;host=$pg{PGHOST};port=$pg{PGPORT}" : "dbi:SQLite:dbname=$local/log.db";
my $suite = start_suite(config => "[dsn_aliases]\ndbi:Oracle:testdb = $target\n");
$CPANBridge::FALLBACK_ENABLED = 0;
my $json = JSON::PP->new->utf8->canonical;
note $have_pg ? 'database: PostgreSQL' : 'database: SQLite (no PostgreSQL server here)';

# The input: 10 XML files on the server, written as its user.
my $home = $ssh{SFTP_KEY_HOME};
system('runuser', '-u', $ssh{SFTP_KEY_USER}, '--', 'mkdir', '-p', "$home/data/input", "$home/data/processed") == 0
    or BAIL_OUT('cannot make the input directories');
for my $n (1 .. 10) {
    my $xml = qq{<order id="$n" customer="Kunde $n Zürich">\n}
            . join('', map { qq{  <item sku="S$n-$_" qty="$_">Teil $_</item>\n} } 1 .. 3) . "</order>\n";
    open(my $fh, '|-', "runuser -u $ssh{SFTP_KEY_USER} -- tee $home/data/input/file_$n.xml >/dev/null") or die $!;
    binmode $fh, ':encoding(UTF-8)';
    print $fh $xml;
    close $fh;
}
system("true >$web{ACCESS_LOG}");
my $ssh_sessions = sub {
    as_root(sub { open(my $fh, '<', $ssh{SSHD_LOG}) or return 0; scalar grep { /Accepted publickey/ } <$fh> });
};
my $ssh_before = $ssh_sessions->();

become_user();
my $bridge = CPANBridge->new();
my $t0 = time;
my $r = $bridge->call_python('sftp', 'connect', { hostname => $ssh{SSHD_HOST}, port => $ssh{SSHD_PORT},
    username => $ssh{SFTP_KEY_USER}, key_file => $ssh{SFTP_KEY_FILE}, known_hosts => $ssh{SSHD_KNOWN_HOSTS} });
ok($r->{success}, 'sftp.connect') or diag explain $r;
$r = $bridge->call_python('database', 'connect', { dsn => 'dbi:Oracle:testdb', username => 'testuser', password => 'testpass' });
ok($r->{success}, 'database.connect to the mapped Oracle DSN') or diag explain $r;
my $backend = $have_pg ? $bridge->call('database', 'execute_immediate', { sql => 'SELECT pg_backend_pid() AS pid' })->{result}{rows}[0]{pid} : 0;
$bridge->call('database', 'execute_immediate', { sql => 'DROP TABLE IF EXISTS processing_log' });
ok($bridge->call('database', 'execute_immediate',
   { sql => 'CREATE TABLE processing_log (file_name TEXT, status TEXT, items INTEGER, total_qty INTEGER)' })->{success},
   'the log table');
$bridge->call('http', 'get', { url => "$web{HTTPS_URL}/cookies/set?pipeline=run1", ca_file => $web{CA_FILE} });

my $done = 0;
for my $n (1 .. 10) {
    my @steps;
    my $file = "$local/processing_$n.xml";
    push @steps, $bridge->call_python('sftp', 'get', { remote_file => "data/input/file_$n.xml", local_file => $file });
    my $in = $bridge->call_python('xml_helper', 'xml_in', { source => $file, source_type => 'file' });
    push @steps, $in;
    my $data = $in->{result} // {};
    my $doc = $bridge->call('xpath', 'load', { source => $file });
    push @steps, $doc;
    my $qty = $bridge->call('xpath', 'findvalue', { xpath => 'sum(/order/item/@qty)' })->{result}{value};
    my $post = $bridge->call_python('http', 'post', { url => "$web{HTTPS_URL}/post", json => $data,
        headers => { Authorization => 'Bearer token123' }, ca_file => $web{CA_FILE} });
    push @steps, $post;
    my $echo = eval { $json->decode(Encode::encode('UTF-8', $post->{result}{content})) } // {};
    push @steps, $bridge->call_python('database', 'execute_statement', {
        sql => 'INSERT INTO processing_log (file_name, status, items, total_qty) VALUES (?, ?, ?, ?)',
        params => [ "file_$n.xml", 'processed', scalar @{ $data->{item} || [] }, $qty ] });
    push @steps, $bridge->call_python('sftp', 'rename', { old_path => "data/input/file_$n.xml",
                                                         new_path => "data/processed/file_$n.xml" });
    $bridge->call('xpath', 'close', {});
    my @bad = grep { !$_->{success} } @steps;
    ok(!@bad, "file $n: fetched, parsed, posted, logged, moved") or diag explain \@bad;
    is_deeply($echo->{json}, $data, "file $n: httpbin received what XMLin gave") or diag explain $echo;
    is($echo->{headers}{Authorization}, 'Bearer token123', "file $n: with the header");
    is($data->{customer}, "Kunde $n Zürich", "file $n: Unicode survives SFTP, XML and HTTP");
    $done++ unless @bad;
}
my $elapsed = time - $t0;
is($done, 10, 'all 10 files processed');
cmp_ok($elapsed, '<', 60, 'STORY-012: within 60 s');
note sprintf('pipeline: 10 files in %.2fs (%.1f files/s)', $elapsed, 10 / $elapsed);

# What each side saw.
$r = $bridge->call('database', 'execute_immediate', { sql => 'SELECT count(*) AS n, sum(total_qty) AS q FROM processing_log' });
is($r->{result}{rows}[0]{n}, 10, 'the database has the 10 log rows');
is($r->{result}{rows}[0]{q}, 60, 'with the quantities xpath summed');
if ($have_pg) {
    is($bridge->call('database', 'execute_immediate', { sql => 'SELECT pg_backend_pid() AS pid' })->{result}{rows}[0]{pid},
       $backend, 'one PostgreSQL backend throughout (the connection persisted)');
}
is($ssh_sessions->() - $ssh_before, 1, 'one SSH session for all 40 SFTP operations (sshd log)');
my @processed = as_root(sub {
    opendir(my $dh, "$home/data/processed") or die $!;
    grep { /^file_\d+\.xml\z/ } readdir $dh;
});
is(scalar @processed, 10, 'the 10 files are in data/processed on the server');
my %conns;
as_root(sub {
    open(my $log, '<', $web{ACCESS_LOG}) or die $!;
    while (<$log>) { my ($c, undef, $method) = split; $conns{$c}++ if $method eq 'POST' }
});
is(scalar keys %conns, 1, 'the 10 POSTs shared one TLS connection (nginx log)') or diag explain \%conns;
$r = $bridge->call('http', 'get', { url => "$web{HTTPS_URL}/cookies", ca_file => $web{CA_FILE} });
like($r->{result}{content} // '', qr/"pipeline": ?"run1"/, 'the session kept its cookie across the pipeline');
my $health = $bridge->call_python('system', 'health', {});
like($health->{result}{overall_status} // '', qr/\A(?:healthy|degraded)\z/, 'health after the pipeline');
ok($bridge->call('sftp', 'disconnect', {})->{success}, 'sftp.disconnect');
ok($bridge->call('database', 'disconnect', {})->{success}, 'database.disconnect');

stop_suite($suite);
if ($as_user) { $> = 0; $) = '0 0'; }    # root again, for the cleanup of the END blocks
done_testing;
