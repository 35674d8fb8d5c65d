#!/usr/bin/perl
# logging_helper against Log::Log4perl itself (Debian's liblog-log4perl-perl): the same
# configuration and the same calls, made from the same source lines, must write the same
# lines, compared one by one; levels, thresholds, additivity, layouts, Screen output,
# rotation, concurrent sessions on one file, the level calls, both modes.
use strict;
use warnings;
use utf8;
use Test::More;
use File::Temp ();
use FindBin;
use lib "$FindBin::Bin/lib", "$FindBin::Bin/..";
use CBTestSuite qw(start_suite);
use CPANBridge;

plan skip_all => 'no Log::Log4perl (make deps installs liblog-log4perl-perl)'
    unless eval { require Log::Log4perl; 1 };

my $suite = start_suite();
$CPANBridge::FALLBACK_ENABLED = 0;
my $tmp = File::Temp::tempdir('cb-log-XXXXXX', TMPDIR => 1, CLEANUP => 1);

sub slurp { open(my $fh, '<:raw', $_[0]) or return (); return <$fh> }

sub config_for {
    my ($file, $pattern) = @_;
    return <<"CFG";
# A comment, and a continued line below.
log4perl.rootLogger = INFO, F
log4perl.logger.Batch.Import = DEBUG, Errors
log4perl.logger.Batch.Quiet = ERROR
log4perl.additivity.Batch.Noisy = 0
log4perl.logger.Batch.Noisy = TRACE, Errors
log4perl.appender.F = Log::Log4perl::Appender::File
log4perl.appender.F.filename = $file
log4perl.appender.F.mode = write
log4perl.appender.F.layout = Log::Log4perl::Layout::PatternLayout
log4perl.appender.F.layout.ConversionPattern = \\
    $pattern
log4perl.appender.Errors = Log::Log4perl::Appender::File
log4perl.appender.Errors.filename = $file.errors
log4perl.appender.Errors.mode = write
log4perl.appender.Errors.Threshold = WARN
log4perl.appender.Errors.layout = SimpleLayout
CFG
}

# The events: category, level, message. Each is logged by both, from the same line of work().
my @events = (
    [ 'main', 'info', 'job started' ], [ 'main', 'debug', 'below the root level' ],
    [ 'Batch::Import', 'debug', 'row 1 read' ], [ 'Batch::Import', 'warn', 'row 2 has no date' ],
    [ 'Batch::Import::Rows', 'trace', 'too fine' ], [ 'Batch::Import::Rows', 'error', 'row 3 refused: Zürich ✓' ],
    [ 'Batch::Quiet', 'warn', 'not shown' ], [ 'Batch::Quiet', 'fatal', 'shown: fatal' ],
    [ 'Batch::Noisy', 'trace', 'noisy trace' ], [ 'Batch::Noisy', 'warn', 'noisy warning, not in the root file' ],
);

my $bridge = CPANBridge->new();
sub work {
    my ($l4p_file) = @_;
    my %ids;
    for my $e (@events) {
        my ($cat, $level, $msg) = @$e;
        $ids{$cat} //= $bridge->call('logging_helper', 'get_logger', { category => $cat })->{result}{logger_id};
        my $logger = Log::Log4perl->get_logger($cat);
        # Both on one line, so that %F, %L and %M name the same place.
        $logger->$level($msg); $bridge->call('logging_helper', "log_$level", { logger_id => $ids{$cat}, message => $msg, filename => __FILE__, line => __LINE__, package => (caller(0))[3] });
    }
}

binmode(STDERR, ':encoding(UTF-8)');
for my $pattern ('%-5p [%c] %F:%L %M - %m%n', '%p|%c{1}|%l|%m%n', '[%5.5p] %-12c %m (%L)%n', '%%d is no date here: %m%n') {
    my ($ours, $theirs) = ("$tmp/bridge.log", "$tmp/log4perl.log");
    (my $l4p = config_for($theirs, $pattern)) =~ s/(appender\.(F|Errors)\.mode = write)/$1\nlog4perl.appender.$2.utf8 = 1/g;
    Log::Log4perl->init(\$l4p);
    my $r = $bridge->call('logging_helper', 'init', { config => config_for($ours, $pattern) });
    ok($r->{success}, "init with '$pattern'") or diag explain $r;
    work();
    my @want = slurp($theirs);
    my @got  = slurp($ours);
    ok(scalar @want > 3, "Log4perl wrote " . scalar(@want) . " lines");
    is_deeply(\@got, \@want, "'$pattern': the same lines as Log4perl, in order");
    is_deeply([ slurp("$ours.errors") ], [ slurp("$theirs.errors") ],
              "'$pattern': the category appender with its threshold and SimpleLayout");
}

# %d: the session's zone, in Log4perl's date format.
{
    my $r = $bridge->call('logging_helper', 'init', { config => config_for("$tmp/dated.log", '%d{yyyy-MM-dd HH:mm:ss,SSS} %d{EEE MMM d} %m%n') });
    $bridge->call('logging_helper', 'get_logger', { category => 'main' });    # the current logger now
    $bridge->call('logging_helper', 'log_info', { message => 'dated' });
    my ($line) = slurp("$tmp/dated.log");
    like($line // '', qr/\A\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (Mon|Tue|Wed|Thu|Fri|Sat|Sun) [A-Z][a-z]{2} \d{1,2} dated\n\z/,
         '%d with a SimpleDateFormat pattern');
}

# Screen: the lines come back and the client prints them on the script's STDERR or STDOUT.
{
    my $r = $bridge->call('logging_helper', 'init', { config => <<'CFG' });
log4perl.rootLogger = DEBUG, Out, Err
log4perl.appender.Out = Log::Log4perl::Appender::Screen
log4perl.appender.Out.stderr = 0
log4perl.appender.Out.layout = PatternLayout
log4perl.appender.Out.layout.ConversionPattern = out: %m%n
log4perl.appender.Err = Log::Log4perl::Appender::Screen
log4perl.appender.Err.layout = SimpleLayout
CFG
    my ($out, $err) = ('', '');
    {
        local *STDOUT; local *STDERR;
        open(STDOUT, '>', \$out) or die; open(STDERR, '>', \$err) or die;
        $r = $bridge->call('logging_helper', 'log', { level => 'warning', message => 'on both' });
    }
    is_deeply($r->{result}{screen}, [ { stream => 'stdout', text => "out: on both\n" }, { stream => 'stderr', text => "WARN - on both\n" } ],
              'Screen lines come back with their stream');
    is($out, "out: on both\n", 'the client printed the stdout line on STDOUT');
    is($err, "WARN - on both\n", 'and the stderr line on STDERR');
    is($r->{result}{formatted}, "out: on both\n", 'formatted: the first appender\'s line');
}

# Rotation: a file moved away is opened again; two sessions writing at once never interleave.
{
    my $file = "$tmp/rotated.log";
    my $cfg = "log4perl.rootLogger = INFO, F\nlog4perl.appender.F = Log::Log4perl::Appender::File\n"
            . "log4perl.appender.F.filename = $file\nlog4perl.appender.F.layout = PatternLayout\n"
            . "log4perl.appender.F.layout.ConversionPattern = %m%n\n";
    $bridge->call('logging_helper', 'init', { config => $cfg });
    $bridge->call('logging_helper', 'log_info', { message => 'before rotation' });
    rename($file, "$file.1") or die $!;
    $bridge->call('logging_helper', 'log_info', { message => 'after rotation' });
    is_deeply([ slurp("$file.1") ], [ "before rotation\n" ], 'the rotated file keeps its lines');
    is_deeply([ slurp($file) ], [ "after rotation\n" ], 'the next line goes to a new file');

    my @kids;
    for my $k (1 .. 2) {
        my $pid = fork // die;
        if (!$pid) {
            my $b = CPANBridge->new();
            $b->call('logging_helper', 'init', { config => $cfg });
            $b->call('logging_helper', 'log_info', { message => "session $k line $_ " . ('x' x 300) }) for 1 .. 200;
            exit 0;
        }
        push @kids, $pid;
    }
    waitpid($_, 0) for @kids;
    my @lines = grep { /^session/ } slurp($file);
    is(scalar @lines, 400, 'two sessions wrote 400 lines');
    is(scalar(grep { /\Asession [12] line \d+ x{300}\n\z/ } @lines), 400, 'and not one of them interleaved');
}

# Levels, the earlier daemon's calls, logdie, before init, easy init.
{
    my $b = CPANBridge->new();
    my $r = $b->call('logging_helper', 'initialized', {});
    ok(!$r->{result}{initialized}, 'not initialized yet');
    my ($out) = ('');
    {
        local *STDOUT;
        open(STDOUT, '>', \$out) or die;
        $r = $b->call('logging_helper', 'log_info', { message => 'before init' });
    }
    like($out, qr{\A(Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d{4}/\d\d/\d\d \d\d:\d\d:\d\d\|before init\n\z}, "before init: the earlier daemon's sysout on STDOUT");
    $r = $b->call('logging_helper', 'init', { level => 'WARN' });
    ok($r->{success}, 'easy init');
    my $id = $b->call('logging_helper', 'init_logger', { category => 'main', level => 'DEBUG' })->{result}{logger_id};
    is_deeply($b->call('logging_helper', 'get_level', { logger_id => $id })->{result},
              { category => 'main', level => 'DEBUG', numeric_level => 10000 }, 'init_logger sets the level; numeric as Log4perl');
    ok($b->call('logging_helper', 'is_debug', {})->{result}{enabled}, 'is_debug');
    ok(!$b->call('logging_helper', 'is_trace', {})->{result}{enabled}, 'is_trace');
    $r = $b->call('logging_helper', 'set_level', { level => 'error' });
    is($r->{result}{numeric_level}, 40000, 'set_level');
    ok(!$b->call('logging_helper', 'is_enabled', { level => 'WARN' })->{result}{enabled}, 'is_enabled after set_level');
    $r = $b->call('logging_helper', 'log_message', { level => 'INFO', message => 'dropped' });
    ok($r->{success} && !$r->{result}{logged}, 'an event below the level is not logged');
    {
        local *STDERR; my $e = '';
        open(STDERR, '>', \$e) or die;
        $r = $b->call('logging_helper', 'logdie', { message => 'the end', filename => 'job.pl', line => 7, enhanced => 1 });
    }
    ok($r->{result}{should_exit}, 'logdie says should_exit');
    like($r->{result}{formatted}, qr/ job\.pl line:7: the end\n\z/, "enhanced: the earlier daemon's prefix");
    ok($b->call('logging_helper', 'cleanup_logger', {})->{result}{cleaned_up}, 'cleanup_logger');
    is($b->call('logging_helper', 'init', { config => "log4perl.rootLogger = LOUD, X\n" })->{error_code}, 'E_INVALID_PARAM', 'a bad level is refused');
    is($b->call('logging_helper', 'init', { config => "log4perl.rootLogger = INFO, Missing\n" })->{error_code}, 'E_INVALID_PARAM', 'an undefined appender is refused');
    is($b->call('logging_helper', 'init', { level => 'INFO', config => "x" })->{error_code}, 'E_INVALID_PARAM', 'two configurations at once are refused');
}

# Process mode writes the same lines (the configuration is rebuilt for each call).
{
    my @files;
    for my $mode (1, 0) {
        my $b = CPANBridge->new(daemon_mode => $mode);
        my $file = "$tmp/mode-$mode.log";
        my $cfg = "log4perl.rootLogger = DEBUG, F\nlog4perl.appender.F = Log::Log4perl::Appender::File\n"
                . "log4perl.appender.F.filename = $file\nlog4perl.appender.F.layout = PatternLayout\n"
                . "log4perl.appender.F.layout.ConversionPattern = %p %c %F:%L %m%n\n";
        ok($b->call('logging_helper', 'init', { config => $cfg })->{success}, 'init in ' . ($mode ? 'daemon' : 'process') . ' mode');
        my $id = $b->call('logging_helper', 'get_logger', { category => 'Batch' })->{result}{logger_id};
        $b->call('logging_helper', 'log_error', { logger_id => $id, message => "line $_", filename => 'x.pl', line => $_ }) for 1 .. 3;
        is($b->mode, $mode ? 'daemon' : 'process', 'answered in that mode');
        push @files, [ slurp($file) ];
    }
    is_deeply($files[1], $files[0], 'both modes write the same lines');
    is(scalar @{ $files[0] }, 3, 'three lines');
}

done_testing();
