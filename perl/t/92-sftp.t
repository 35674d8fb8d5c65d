#!/usr/bin/perl
# STORY-006 and the SFTP steps of STORY-012 against a real sshd on loopback
# (tests/ssh/sshd.sh: a throwaway host key, a user with a password and one with keys), with
# the single handshake proven from sshd's own log; every transferred file checked by sha256;
# host keys unknown, changed and accepted; wrong credentials; server refusals; a dropped
# session; both modes.
use strict;
use warnings;
use utf8;
use Test::More;
use File::Temp ();
use FindBin;
use lib "$FindBin::Bin/lib", "$FindBin::Bin/..";
use CBTestSuite qw(start_suite);
use CPANBridge;
use Digest::SHA;

my $script = "$FindBin::Bin/../../tests/ssh/sshd.sh";
my %s = map { /^(\w+)=(.*)$/ ? ($1 => $2) : () } `$script start`;
plan skip_all => 'no sshd, or not root (make deps installs openssh-server; the test makes users)'
    unless $? == 0 && $s{SSHD_PORT};
END { system($script, 'stop', $s{SSHD_DIR}) if $s{SSHD_DIR} }

my $suite = start_suite();
$CPANBridge::FALLBACK_ENABLED = 0;
my $tmp = File::Temp::tempdir('cb-sftp-XXXXXX', TMPDIR => 1, CLEANUP => 1);

sub sha_file { my $d = Digest::SHA->new(256); $d->addfile($_[0]); return $d->hexdigest }
sub connections { open(my $fh, '<', $s{SSHD_LOG}) or die $!; return scalar grep { /Connection from/ } <$fh> }
sub key_login {
    my (%extra) = @_;
    return { hostname => $s{SSHD_HOST}, port => $s{SSHD_PORT}, username => $s{SFTP_KEY_USER},
             key_file => $s{SFTP_KEY_FILE}, known_hosts => $s{SSHD_KNOWN_HOSTS}, %extra };
}

# STORY-006: one connect, then five uploads on the same SSH session.
my $bridge = CPANBridge->new();
my $before = connections();
my $r = $bridge->call_python('sftp', 'connect', key_login());
ok($r->{success}, 'STORY-006: connect with a key') or diag explain $r;
like($r->{result}{host_key_fingerprint} // '', qr/\ASHA256:[A-Za-z0-9+\/]{43}\z/, 'the host key fingerprint');
is($r->{result}{initial_dir}, $s{SFTP_KEY_HOME}, 'initial_dir is the login directory');
is($r->{result}{connection_type}, 'libssh2', 'connection_type');
my $session = $r->{result}{session_id};
for my $i (1 .. 5) {
    open(my $fh, '>', "$tmp/test$i.txt") or die $!;
    print $fh "test data $i\n" x (1000 * $i);
    close $fh;
    $r = $bridge->call_python('sftp', 'put', { local_file => "$tmp/test$i.txt", remote_file => "upload/remote_test$i.txt" });
    ok($r->{success}, "STORY-006: put $i") or diag explain $r;
    is($r->{result}{remote_file}, "$s{SFTP_KEY_HOME}/upload/remote_test$i.txt", "put $i: the absolute remote path");
    is(sha_file("$s{SFTP_KEY_HOME}/upload/remote_test$i.txt"), sha_file("$tmp/test$i.txt"),
       "put $i: the file on the server has the same sha256");
}
$r = $bridge->call('sftp', 'list_files', { remote_path => 'upload' });
is_deeply([ map { $_->{filename} } @{ $r->{result} || [] } ], [ map { "remote_test$_.txt" } 1 .. 5 ],
          'list_files: sorted, without . and ..');
is($r->{result}[0]{type}, 'file', 'list_files: type');
$r = $bridge->call('sftp', 'ls', { remote_dir => 'upload', wanted => '[24]\.txt$' });
is(scalar @{ $r->{result} || [] }, 2, 'ls with wanted');
is(connections() - $before, 1, 'sshd saw one connection for the connect and every operation after it');

# STORY-012: get, then rename into another directory.
$r = $bridge->call('sftp', 'get', { remote_file => 'upload/remote_test3.txt', local_file => "$tmp/back3.txt" });
ok($r->{success}, 'STORY-012: get') or diag explain $r;
is($r->{result}{bytes_transferred}, -s "$tmp/test3.txt", 'get: bytes_transferred');
is(sha_file("$tmp/back3.txt"), sha_file("$tmp/test3.txt"), 'get: the same sha256 as what was put');
$r = $bridge->call('sftp', 'mkdir', { remote_dir => 'processed/2026/12', parents => 1 });
ok($r->{success} && $r->{result}{created}, 'mkdir parents') or diag explain $r;
$r = $bridge->call('sftp', 'rename', { old_path => 'upload/remote_test3.txt', new_path => 'processed/2026/12/remote_test3.txt' });
ok($r->{success}, 'STORY-012: rename into another directory') or diag explain $r;
ok(-e "$s{SFTP_KEY_HOME}/processed/2026/12/remote_test3.txt" && !-e "$s{SFTP_KEY_HOME}/upload/remote_test3.txt",
   'rename: moved on the server');
$r = $bridge->call('sftp', 'rename', { old_name => 'upload/remote_test1.txt', new_name => 'upload/remote_test2.txt' });
is($r->{result} ? 'ok' : $r->{backend_error}{code}, 'FILE_ALREADY_EXISTS', 'rename over an existing file is refused');
$r = $bridge->call('sftp', 'rename', { old_path => 'upload/remote_test1.txt', new_path => 'upload/remote_test2.txt', overwrite => 1 });
ok($r->{success}, 'rename with overwrite') or diag explain $r;
is(sha_file("$s{SFTP_KEY_HOME}/upload/remote_test2.txt"), sha_file("$tmp/test1.txt"), 'overwrite: the new content');

# The session's directory, stat, exists, remove, rmdir, error.
$r = $bridge->call('sftp', 'setcwd', { remote_dir => 'upload' });
is($r->{result}{current_dir}, "$s{SFTP_KEY_HOME}/upload", 'setcwd');
is($bridge->call('sftp', 'cwd', {})->{result}{current_dir}, "$s{SFTP_KEY_HOME}/upload", 'cwd');
$r = $bridge->call('sftp', 'stat', { remote_path => 'remote_test4.txt' });
is($r->{result}{size}, -s "$tmp/test4.txt", 'stat: size, relative to the current directory');
ok(!$r->{result}{is_dir}, 'stat: not a directory');
ok($bridge->call('sftp', 'exists', { remote_path => '../processed' })->{result}{is_dir}, 'exists: a directory, with ..');
ok(!$bridge->call('sftp', 'exists', { remote_path => 'nothing.here' })->{result}{exists}, 'exists: false');
ok($bridge->call('sftp', 'remove', { remote_file => 'remote_test5.txt' })->{success}, 'remove');
$r = $bridge->call('sftp', 'get', { remote_file => 'remote_test5.txt', local_file => "$tmp/gone.txt" });
is($r->{backend_error}{code}, 'NO_SUCH_FILE', 'a missing remote file: NO_SUCH_FILE');
ok(!-e "$tmp/gone.txt", 'and no empty local file is left behind');
like($bridge->call('sftp', 'error', {})->{result}{error} // '', qr/NO_SUCH_FILE/, 'error: the last failure');
$r = $bridge->call('sftp', 'get', { remote_file => '../secret.txt', local_file => "$tmp/secret.txt" });
is($r->{backend_error}{code}, 'PERMISSION_DENIED', 'a file the user may not read: PERMISSION_DENIED');
ok($bridge->call('sftp', 'mkdir', { remote_dir => 'empty' })->{result}{created}, 'mkdir');
ok($bridge->call('sftp', 'rmdir', { remote_dir => 'empty' })->{success} && !-e "$s{SFTP_KEY_HOME}/upload/empty",
   'rmdir');
is($bridge->call('sftp', 'rmdir', { remote_dir => '../processed/2026' })->{error_code}, 'E_BACKEND',
   'rmdir of a directory that is not empty: the server refuses');

# Host keys: unknown, changed, accepted.
my $empty = "$tmp/empty_known_hosts";
open(my $fh, '>', $empty) or die $!;
close $fh;
$r = $bridge->call('sftp', 'connect', key_login(known_hosts => $empty));
is($r->{backend_error}{code}, 'HOSTKEY_UNKNOWN', 'an unknown host is refused by default');
# A known_hosts that cannot be read is not an unknown host: the caller hears what to fix.
# (Under a uid the file's mode refuses, access() says EACCES; root is refused only this way.)
$r = $bridge->call('sftp', 'connect', key_login(known_hosts => "$empty/known_hosts"));
is($r->{error_code}, 'E_INVALID_PARAM', 'a known_hosts file that cannot be read: E_INVALID_PARAM');
like($r->{error} // '', qr/cannot read the known_hosts file \Q$empty\E\/known_hosts: Not a directory/,
     '  naming the file and why') or diag explain $r;
$r = $bridge->call('sftp', 'connect', key_login(known_hosts => $s{SSHD_KNOWN_HOSTS_CHANGED}));
is($r->{backend_error}{code}, 'HOSTKEY_CHANGED', 'a changed host key is refused');
$r = $bridge->call('sftp', 'connect', key_login(known_hosts => $s{SSHD_KNOWN_HOSTS_CHANGED}, host_key_policy => 'accept-new'));
is($r->{backend_error}{code}, 'HOSTKEY_CHANGED', 'a changed host key is refused even with accept-new');
$r = $bridge->call('sftp', 'connect', key_login(known_hosts => $empty, host_key_policy => 'accept-new'));
ok($r->{success}, 'accept-new takes a host not yet known') or diag explain $r;
$r = $bridge->call('sftp', 'disconnect', {});
ok($r->{success} && $r->{result}{disconnected}, 'disconnect');
$r = $bridge->call('sftp', 'cwd', { session_id => $r->{result}{session_id} });
is($r->{error_code}, 'E_HANDLE', 'a disconnected session is gone');

# Credentials: a password, an RSA key with its passphrase, and wrong ones.
my %pw = (hostname => $s{SSHD_HOST}, port => $s{SSHD_PORT}, known_hosts => $s{SSHD_KNOWN_HOSTS},
          username => $s{SFTP_PW_USER});
$r = $bridge->call('sftp', 'connect', { %pw, password => $s{SFTP_PASSWORD} });
ok($r->{success}, 'password login') or diag explain $r;
$r = $bridge->call('sftp', 'connect', { %pw, password => 'not the password' });
is($r->{backend_error}{code}, 'AUTH_FAILED', 'a wrong password: AUTH_FAILED');
$r = $bridge->call('sftp', 'connect', key_login(key_file => $s{SFTP_PASS_KEY_FILE}, passphrase => $s{SFTP_RSA_PASSPHRASE}));
ok($r->{success}, 'a key with its passphrase') or diag explain $r;
$r = $bridge->call('sftp', 'connect', key_login(key_file => $s{SFTP_PASS_KEY_FILE}, passphrase => 'wrong'));
is($r->{backend_error}{code}, 'AUTH_FAILED', 'a wrong passphrase: AUTH_FAILED');
# libssh2 1.10 (Debian 12) signs with RSA keys as ssh-rsa, SHA-1, which this sshd refuses, as
# RHEL 9's does; 1.11 (EPEL 9) uses rsa-sha2. Either it works or the error says why.
$r = $bridge->call('sftp', 'connect', key_login(key_file => $s{SFTP_RSA_KEY_FILE}, passphrase => $s{SFTP_RSA_PASSPHRASE}));
ok($r->{success} || ($r->{error} // '') =~ /SHA-1/, 'an RSA key: logged in, or told why not') or diag explain $r;
$r = $bridge->call('sftp', 'connect', { hostname => $s{SSHD_HOST}, port => $s{SSHD_PORT}, username => $s{SFTP_KEY_USER},
                                         known_hosts => $s{SSHD_KNOWN_HOSTS}, more => [ '-i', $s{SFTP_KEY_FILE} ] });
ok($r->{success}, "the earlier daemon's more => ['-i', file]") or diag explain $r;

# A dropped session: a clear E_BACKEND, and a new connect works at once.
$r = $bridge->call('sftp', 'connect', key_login());
my $doomed = $r->{result}{session_id};
system("pkill -f 'sshd: $s{SFTP_KEY_USER}' >/dev/null 2>&1");
select(undef, undef, undef, 0.3);
$r = $bridge->call('sftp', 'list_files', { session_id => $doomed });
is($r->{error_code}, 'E_BACKEND', 'a dropped session: E_BACKEND') or diag explain $r;
ok(!$bridge->call('sftp', 'is_connected', { session_id => $doomed })->{result}{connected}, 'is_connected says false');
$r = $bridge->call('sftp', 'connect', key_login());
ok($r->{success}, 'a new connect works at once') or diag explain $r;

# Process mode: connect is rebuilt for each call, so single transfers work there too.
my $process = CPANBridge->new(daemon_mode => 0);
$r = $process->call('sftp', 'connect', key_login());
ok($r->{success}, 'process mode: connect') or diag explain $r;
$r = $process->call('sftp', 'put', { local_file => "$tmp/test2.txt", remote_file => 'from-process.txt' });
ok($r->{success}, 'process mode: put') or diag explain $r;
is($process->mode, 'process', 'process mode answered');
is(sha_file("$s{SFTP_KEY_HOME}/from-process.txt"), sha_file("$tmp/test2.txt"), 'process mode: the same sha256');
$r = $process->call('sftp', 'get', { remote_file => 'from-process.txt', local_file => "$tmp/back2.txt" });
is(sha_file("$tmp/back2.txt"), sha_file("$tmp/test2.txt"), 'process mode: get');

done_testing();
