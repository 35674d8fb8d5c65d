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

print "A database on the embedded default, SQLite (the db family):\n";
my $db = "/tmp/cpan-bridge-demo-$$.db";
$r = show('database.connect dbi:SQLite', $bridge->call('database', 'connect', { dsn => "dbi:SQLite:dbname=$db" }));
if ($r->{success}) {
    show('create table', $bridge->call('database', 'execute_statement',
        { sql => 'CREATE TABLE orders (id INTEGER, customer TEXT, amount NUMERIC)' }));
    show('prepare an insert', $bridge->call('database', 'prepare',
        { sql => 'INSERT INTO orders (id, customer, amount) VALUES (?, ?, ?)' }));
    $bridge->call('database', 'execute_statement', { params => [ $_, "Kunde $_ Zürich", $_ * 10.5 ] }) for 1 .. 3;
    my $select = 'SELECT id, customer, amount FROM orders ORDER BY id';
    if ($bridge->mode eq 'daemon') {    # a cursor read row by row lives in the daemon
        show('select, then fetch_row', $bridge->call('database', 'execute_statement', { sql => $select }));
        while (my $row = $bridge->call('database', 'fetch_row', {})->{result}) {
            print "    $row->{id}  $row->{customer}  $row->{amount}\n";
        }
    } else {                            # one call that returns the rows works in both modes
        $r = show('execute_immediate', $bridge->call('database', 'execute_immediate', { sql => $select }));
        print "    $_->{id}  $_->{customer}  $_->{amount}\n" for @{ $r->{result}{rows} || [] };
    }
    show('disconnect', $bridge->call('database', 'disconnect', {}));
}
unlink $db;

if (my $web = $ENV{CB_DEMO_HTTP}) {
    print "HTTP and mail on loopback servers the demo started (the net family):\n";
    for my $n (1 .. 3) {
        $r = show("http.get $web/get", $bridge->call('http', 'get', { url => "$web/get", query => { n => $n } }));
        print "    $r->{result}{status_line}, $r->{result}{headers}{'content-type'}\n" if $r->{success};
    }
    $r = show('http.post a JSON body', $bridge->call('http', 'post',
        { url => "$web/post", json => { city => 'Zürich', emoji => "\x{1F600}" } }));
    print "    $r->{result}{status_line}\n" if $r->{success};
    $r = show('http.get a 404 is an answer, not a failure', $bridge->call('http', 'get', { url => "$web/status/404" }));
    print "    $r->{result}{status_line}, is_success ", ($r->{result}{is_success} ? 'true' : 'false'), "\n"
        if $r->{success};
    my $report = "/tmp/cpan-bridge-demo-$$.csv";
    open(my $fh, '>', $report) or die "$report: $!";
    print $fh "id,customer\n1,Kunde Zürich\n";
    close $fh;
    show('email_helper.send_email with an attachment', $bridge->call('email_helper', 'send_email', {
        from => 'Batch Job <job@example.com>', to => 'ops@example.com',
        subject => 'Nightly report — Zürich ✓', body => "The report is attached.\n",
        attachments => [ { file => $report } ],
        smtp_host => '127.0.0.1', smtp_port => $ENV{CB_DEMO_SMTP_PORT} }))
        if $ENV{CB_DEMO_SMTP_PORT};
    unlink $report;
}

print "Encryption that Crypt::CBC and openssl enc read (the crypto family):\n";
$r = show('crypto.encrypt (AES-256-CBC, Salted__)', $bridge->call('crypto', 'encrypt',
    { data => 'Kontonummer 12345, Zürich', key => 'demo passphrase', kdf => 'pbkdf2' }));
if ($r->{success}) {
    my $ct = $r->{result}{encrypted_data};
    print "    $ct\n";
    print "    openssl enc -d -aes-256-cbc -pbkdf2 -a -A -pass pass:'demo passphrase' reads it back\n";
    $r = show('crypto.decrypt', $bridge->call('crypto', 'decrypt',
        { encrypted_data => $ct, key => 'demo passphrase', kdf => 'pbkdf2' }));
    print "    $r->{result}{decrypted_data}\n" if $r->{success};
}
$r = show('crypto.hash sha256', $bridge->call('crypto', 'hash', { data => 'abc' }));
print "    $r->{result}{hash}\n" if $r->{success};
$r = show('a wrong passphrase', $bridge->call('crypto', 'decrypt',
    { encrypted_data => 'U2FsdGVkX18AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=', key => 'wrong' }));

print "A spreadsheet that any spreadsheet program opens (the office family):\n";
my $xlsx = "/tmp/cpan-bridge-demo-$$.xlsx";
if ($bridge->mode eq 'daemon') {    # a workbook built call by call lives in the daemon
    show('excel.create_workbook', $bridge->call('excel', 'create_workbook', { filename => $xlsx }));
    show('excel.add_worksheet', $bridge->call('excel', 'add_worksheet', { sheet_name => 'Orders' }));
    $r = $bridge->call('excel', 'add_format', { properties => { bold => 1, bg_color => '#DDEBF7' } });
    show('excel.write_row (a bold header)', $bridge->call('excel', 'write_row',
        { row => 0, values => [ 'Order', 'Customer', 'Amount', 'Date' ], format_id => $r->{result}{format_id} }));
    show('excel.write_rows', $bridge->call('excel', 'write_rows', { row => 1,
        rows => [ map { [ $_, "Kunde $_ Zürich", $_ * 10.5 ] } 1 .. 3 ] }));
    show('excel.write_cell (a date)', $bridge->call('excel', 'write_cell',
        { row => 1, col => 3, value => '2026-12-03', type => 'date' }));
    show('excel.set_column', $bridge->call('excel', 'set_column', { first_col => 1, width => 24 }));
    $r = show('excel.save_workbook', $bridge->call('excel', 'save_workbook', {}));
} else {                            # one call that builds the whole file works in both modes
    $r = show('excel.write_workbook', $bridge->call('excel', 'write_workbook', { filename => $xlsx,
        sheets => [ { name => 'Orders', rows => [ [ 'Order', 'Customer', 'Amount' ],
                                                  map { [ $_, "Kunde $_ Zürich", $_ * 10.5 ] } 1 .. 3 ] } ] }));
}
print "    $xlsx: $r->{result}{size} bytes\n" if $r->{success};
unlink $xlsx;

print "Dates as DateTime computes them (datetime_helper):\n";
$r = show('datetime_helper.add months => 1', $bridge->call('datetime_helper', 'add',
    { datetime => '2026-01-31', months => 1, end_of_month => 'limit', time_zone => 'Europe/Berlin' }));
print "    2026-01-31 + 1 month (limit) = $r->{result}{iso}\n" if $r->{success};
$r = show('datetime_helper.add days => 1 across DST', $bridge->call('datetime_helper', 'add',
    { datetime => '2026-03-28T12:00:00', days => 1, time_zone => 'Europe/Berlin' }));
print "    2026-03-28T12:00 + 1 day = $r->{result}{iso} (the clocks went forward: 23 hours later)\n"
    if $r->{success};

print "Logging as Log::Log4perl logs (logging_helper):\n";
my $log = "/tmp/cpan-bridge-demo-$$.log";
show('logging_helper.init (a File and a Screen appender)', $bridge->call('logging_helper', 'init', { config => <<"CFG" }));
log4perl.rootLogger = INFO, File, Screen
log4perl.appender.File = Log::Log4perl::Appender::File
log4perl.appender.File.filename = $log
log4perl.appender.File.layout = Log::Log4perl::Layout::PatternLayout
log4perl.appender.File.layout.ConversionPattern = %d %-5p [%c] %m%n
log4perl.appender.Screen = Log::Log4perl::Appender::Screen
log4perl.appender.Screen.stderr = 0
log4perl.appender.Screen.layout = Log::Log4perl::Layout::PatternLayout
log4perl.appender.Screen.layout.ConversionPattern =     screen: %p %m%n
CFG
$bridge->call('logging_helper', 'get_logger', { category => 'Demo::Job' });
show('logging_helper.log_warn', $bridge->call('logging_helper', 'log_warn', { message => 'Kunde 2 hat kein Datum' }));
show('logging_helper.log_debug (below INFO: not logged)', $bridge->call('logging_helper', 'log_debug', { message => 'hidden' }));
if (open(my $fh, '<:encoding(UTF-8)', $log)) {
    print "    $log: $_" while <$fh>;
}
unlink $log;

print "XML as XML::Simple and XML::XPath read it (the xml family):\n";
my $orders = <<'XML';
<orders date="2026-12-03">
  <order id="1"><customer>Kunde 1 Zürich</customer><amount>10.5</amount></order>
  <order id="2"><customer>Kunde 2 東京</customer><amount>21</amount></order>
</orders>
XML
$r = show('xml_helper.xml_in (folded by id)', $bridge->call('xml_helper', 'xml_in', { source => $orders }));
if ($r->{success}) {
    my $o = $r->{result}{order};
    print "    order $_: $o->{$_}{customer}, $o->{$_}{amount}\n" for sort keys %$o;
}
$r = show('xml_helper.xml_out', $bridge->call('xml_helper', 'xml_out',
    { data => { job => { name => 'nightly', step => [ 'extract', 'load' ] } }, options => { RootName => 'jobs' } }));
print map { "    $_\n" } split /\n/, $r->{result} if $r->{success};
$r = show('xpath.load', $bridge->call('xpath', 'load', { source => $orders }));
$r = show('xpath.findvalue sum(//amount)', $bridge->call('xpath', 'findvalue', { xpath => 'sum(//amount)' }));
print "    $r->{result}{value}\n" if $r->{success};
$r = show('xpath.find //order[amount > 20]', $bridge->call('xpath', 'find', { xpath => '//order[amount > 20]/customer' }));
print "    $_->{path}: $_->{value}\n" for @{ $r->{result}{nodes} || [] };
show('xpath.close', $bridge->call('xpath', 'close', {}));
my $laughs = '<!DOCTYPE l [<!ENTITY e0 "ha">'
    . join('', map { qq{<!ENTITY e$_ "} . ('&e' . ($_ - 1) . ';') x 10 . '">' } 1 .. 9) . ']><l>&e9;</l>';
show('a billion-laughs document is refused', $bridge->call('xml_helper', 'xml_in', { source => $laughs }));

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
