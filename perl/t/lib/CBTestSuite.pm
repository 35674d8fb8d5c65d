package CBTestSuite;

# Test helper: starts a suite of our own with cpan-bridge-dev in a fresh runtime directory,
# points CPANBridge at it and stops it when the test ends. Also talks to the launcher's
# control socket (frames as on the client socket) to find the router and instance pids.
#
# With CB_TEST_SOCKET set, the tests run against a suite that is already there, such as the
# installed one under a real systemd (tests/systemd/stories.sh): start_suite then points
# CPANBridge at that socket and at CB_TEST_EXEC (default the installed cpan-bridge-exec), and
# nothing is started or stopped. Tests that need a configuration of their own are skipped
# there unless CB_TEST_CONFIG says the suite runs with it; launcher_status has nothing to say.

use strict;
use warnings;
use Cwd ();
use File::Temp ();
use FindBin ();
use Socket qw(AF_UNIX SOCK_STREAM pack_sockaddr_un);

our @EXPORT_OK = qw(build_dir start_suite stop_suite launcher_status instance_pids frame_call);
use Exporter 'import';

my @started;
my $owner = $$;    # only the test process itself stops its suites (not forked children)

# Absolute, once: a test that changes directory (to try relative paths) must still be able to
# stop its suite from END; with make's CB_BUILD_DIR=build it could not, and the suite ran on.
my $build_dir = do {
    my $d = $ENV{CB_BUILD_DIR} // "$FindBin::Bin/../../build";
    $d = Cwd::abs_path($d) // $d;
    $d;
};

sub build_dir {
    my $d = $build_dir;
    die "no build directory at $d (run make, or set CB_BUILD_DIR)\n" unless -x "$d/cpan-bridge-dev";
    return $d;
}

# Starts a suite; returns { dir, socket, exec, build }. Sets CPANBridge's variables if loaded.
# `config` is configuration text, written beside the runtime directory and passed with
# --config (so process mode, reading CPAN_BRIDGE_CONFIG, sees it too).
sub start_suite {
    my (%opt) = @_;
    return existing_suite(%opt) if $ENV{CB_TEST_SOCKET};
    my $build = build_dir();
    my $dir   = $opt{dir} // File::Temp::tempdir('cb-test-XXXXXX', TMPDIR => 1, CLEANUP => 1);
    my $config = '';
    if (defined $opt{config}) {
        my $file = "$dir.conf";
        open(my $fh, '>', $file) or die "$file: $!";
        print $fh $opt{config};
        close $fh or die "$file: $!";
        $config = " --config $file";
        $ENV{CPAN_BRIDGE_CONFIG} = $file;
    }
    my $out   = `$build/cpan-bridge-dev start --runtime-dir $dir$config 2>&1`;
    die "cpan-bridge-dev start failed: $out" if $?;
    my %v = $out =~ /^(CPAN_BRIDGE_\w+)=(.*)$/mg;
    my $suite = { dir => $dir, socket => $v{CPAN_BRIDGE_SOCKET}, exec => $v{CPAN_BRIDGE_EXEC},
                  build => $build };
    push @started, $dir unless grep { $_ eq $dir } @started;
    $ENV{CPAN_BRIDGE_SOCKET} = $suite->{socket};
    $ENV{CPAN_BRIDGE_EXEC}   = $suite->{exec};
    $CPANBridge::DAEMON_SOCKET = $suite->{socket};
    $CPANBridge::EXEC          = $suite->{exec};
    return $suite;
}

sub existing_suite {
    my (%opt) = @_;
    # A configuration of its own is there only when whoever runs the test put it in place
    # and says so (CB_TEST_CONFIG, the same text).
    if (defined $opt{config} && ($ENV{CB_TEST_CONFIG} // '') ne $opt{config}) {
        require Test::More;
        Test::More::plan(skip_all => 'needs a configuration of its own, not the running suite\'s');
    }
    my $suite = { dir => File::Temp::tempdir('cb-test-XXXXXX', TMPDIR => 1, CLEANUP => 1),
                  socket => $ENV{CB_TEST_SOCKET},
                  exec => $ENV{CB_TEST_EXEC} // '/usr/libexec/cpan-bridge/cpan-bridge-exec',
                  existing => 1 };
    $ENV{CPAN_BRIDGE_SOCKET} = $suite->{socket};
    $ENV{CPAN_BRIDGE_EXEC}   = $suite->{exec};
    $CPANBridge::DAEMON_SOCKET = $suite->{socket};
    $CPANBridge::EXEC          = $suite->{exec};
    return $suite;
}

sub stop_suite {
    my ($suite) = @_;
    return 1 if $suite->{existing};
    my $build = build_dir();
    system("$build/cpan-bridge-dev stop --runtime-dir $suite->{dir} >/dev/null 2>&1");
    return $? == 0;
}

# One request and answer on a unix socket, outside CPANBridge (raw JSON text in and out).
sub frame_call {
    my ($path, $json, $keep) = @_;
    socket(my $s, AF_UNIX, SOCK_STREAM, 0) or die "socket: $!";
    connect($s, pack_sockaddr_un($path)) or return undef;
    syswrite $s, pack('N', length $json) . $json;
    return $s if $keep;
    return read_frame($s);
}

sub read_frame {
    my ($s) = @_;
    my $buf = '';
    while (length $buf < 4) { sysread($s, $buf, 4 - length $buf, length $buf) or return undef }
    my $n = unpack 'N', $buf;
    $buf = '';
    while (length $buf < $n) { sysread($s, $buf, $n - length $buf, length $buf) or return undef }
    return $buf;
}

sub launcher_status {
    my ($suite) = @_;
    return undef if $suite->{existing};
    require JSON::PP;
    my $text = frame_call("$suite->{dir}/launcher.sock", '{"op":"status"}') // return undef;
    return JSON::PP->new->utf8->decode($text);
}

# The pids of a family's instances of this user: the launcher's, or under a real systemd the
# MainPID of cpan-bridge-FAMILY@UID.service (a user may read it, and signal its own instance).
sub instance_pids {
    my ($suite, $family) = @_;
    if ($suite->{existing}) {
        my $pid = `systemctl show -P MainPID cpan-bridge-$family\@$>.service 2>/dev/null` // '';
        chomp $pid;
        return $pid =~ /\A[1-9][0-9]*\z/ ? ($pid) : ();
    }
    my $st = launcher_status($suite) // {};
    return map { $_->{pid} } grep { $_->{family} eq $family && $_->{pid} } @{ $st->{instances} || [] };
}

# Sanitizer reports of the daemons land in the launcher's log; any one fails the test file.
# Under the sanitizers, every instrumented process of a test (daemons and the one-shot
# processes of process mode, whose stderr is the test's own) writes its reports into one
# directory, which END reads: a report anywhere fails the test file.
my $sanitizer_dir;
if ($ENV{ASAN_OPTIONS} && $ENV{ASAN_OPTIONS} !~ /log_path=/) {
    $sanitizer_dir = File::Temp::tempdir('cb-asan-XXXXXX', TMPDIR => 1, CLEANUP => 1);
    $ENV{ASAN_OPTIONS} .= ":log_path=$sanitizer_dir/asan";
    $ENV{UBSAN_OPTIONS} = ($ENV{UBSAN_OPTIONS} // '') . ":log_path=$sanitizer_dir/ubsan";
}

sub sanitizer_files {
    return () unless $sanitizer_dir;
    return grep { -s $_ } glob("$sanitizer_dir/*");
}

sub sanitizer_report {
    my ($dir) = @_;
    open(my $fh, '<', "$dir/launcher.log") or return undef;
    while (my $line = <$fh>) {
        return $line if $line =~ /AddressSanitizer|LeakSanitizer|runtime error:/;
    }
    return undef;
}

END {
    my $status = $?;
    return unless $$ == $owner;
    my $build = eval { build_dir() };
    for my $dir (@started) {
        system("$build/cpan-bridge-dev stop --runtime-dir $dir >/dev/null 2>&1") if $build;
        if (my $report = sanitizer_report($dir)) {
            print STDERR "# sanitizer report in $dir/launcher.log: $report";
            $status ||= 1;
        }
        unlink("$dir.conf");
    }
    for my $file (sanitizer_files()) {
        open(my $fh, '<', $file) or next;
        my @lines = grep { /ERROR|runtime error|SUMMARY|#[0-9] / } <$fh>;
        print STDERR "# sanitizer report in $file:\n", map { "#   $_" } @lines[0 .. ($#lines < 12 ? $#lines : 12)];
        $status ||= 1;
    }
    $? = $status;    # the test's own status, or failure after a sanitizer report
}

1;
