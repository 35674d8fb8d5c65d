#!/usr/bin/perl
# STORY-017's abusive client, from a second uid: while it opens hundreds of connections,
# leaves frames half sent, and pipelines large requests without reading its answers, the
# other user's calls are all answered, relayed and on channels alike. Its own excess is
# refused with E_THROTTLED naming the limit, and its stalled frames are closed E_PROTOCOL.
# Needs root, to become the second uid.
use strict;
use warnings;
use Test::More;
use FindBin;
use lib "$FindBin::Bin/lib", "$FindBin::Bin/..";
use CBTestSuite qw(start_suite);
use CPANBridge;
use IO::Socket::UNIX;
use POSIX ();

plan skip_all => 'needs root to run a client as a second uid' if $> != 0;

my $abuser = 4242;    # any uid: the router knows callers by SO_PEERCRED, not by name
my $suite = start_suite(config => "[access]\nallowed_users = root, $abuser\n"
    . "[limits]\nframe_stall_timeout_ms = 1000\nmax_connections_per_uid = 100\n");
$CPANBridge::FALLBACK_ENABLED = 0;
$CPANBridge::TIMEOUT = 5;    # "not delayed": a call held up behind the abuser would time out
# The second uid must reach the socket through the test's private directory.
chmod 0711, $suite->{dir} or die "chmod: $!";

# The abuser: a child that becomes uid 4242, opens its connections and holds them until
# told to stop, reporting what the router did to them.
pipe(my $from_abuser, my $to_parent) or die "pipe: $!";
pipe(my $from_parent, my $to_abuser) or die "pipe: $!";
my $pid = fork // die "fork: $!";
if (!$pid) {
    close $from_abuser;
    close $to_abuser;
    POSIX::setgid($abuser);
    POSIX::setuid($abuser) or POSIX::_exit(2);
    $SIG{PIPE} = 'IGNORE';    # the router closes what it refuses
    my (@half, @conns, $throttled);
    # Hundreds of connections: half a frame on the first 150, a whole request on the rest,
    # which are past max_connections_per_uid and hear so.
    my $ping = '{"id":1,"module":"system","function":"ping"}';
    for my $i (1 .. 300) {
        my $s = IO::Socket::UNIX->new(Peer => $suite->{socket}) or last;
        syswrite $s, $i <= 150 ? "\0\0\0\x40{\"id\":1," : pack('N', length $ping) . $ping;
        push @half, $s;
    }
    my $greedy = IO::Socket::UNIX->new(Peer => $suite->{socket});
    my $req = '{"id":1,"module":"system","function":"ping","params":{"x":"' . ('y' x 60000) . '"}}';
    my $sent = 0;
    if ($greedy) {
        $greedy->blocking(0);
        for (1 .. 400) {
            my $n = syswrite $greedy, pack('N', length $req) . $req;
            last unless defined $n && $n > 0;
            $sent++;
        }
    }
    syswrite $to_parent, "holding " . scalar(@half) . " $sent\n";
    <$from_parent>;    # the other user's calls are done
    # What the router answered the half frames: throttled past the limit, E_PROTOCOL after
    # the stall timeout for the others.
    my ($protocol, $refused) = (0, 0);
    for my $s (@half) {
        $s->blocking(1);
        my $got = '';
        1 while sysread($s, $got, 65536, length $got);
        $protocol++ if $got =~ /E_PROTOCOL/ && $got =~ /stalled/;
        $refused++ if $got =~ /E_THROTTLED/ && $got =~ /max_connections_per_uid/;
    }
    syswrite $to_parent, "answered $protocol $refused\n";
    POSIX::_exit(0);
}
close $to_parent;
close $from_parent;

my $line = <$from_abuser> // '';
my ($held, $pipelined) = $line =~ /^holding (\d+) (\d+)/;
ok(defined $held, 'the second uid opened its connections') or BAIL_OUT("abuser: $line");
note "uid $abuser holds $held connections with half a frame and pipelined $pipelined requests of 60 KB";

# The other user (root here, which the development launcher serves), relayed and on channels.
my $relayed = CPANBridge->new(channels => 0);
my $direct  = CPANBridge->new;
my ($ok_relayed, $ok_direct, $counter) = (0, 0, 0);
for (1 .. 100) {
    $ok_relayed++ if $relayed->call('test', 'ping', {})->{success};
    $ok_direct++  if $direct->call('test', 'ping', {})->{success};
    $counter = $relayed->call('test', 'counter', {})->{result}{value} // $counter;
}
is($ok_relayed, 100, 'the other user\'s relayed calls are all answered meanwhile');
is($ok_direct, 100, 'and so are its calls on a channel');
is($counter, 100, 'its session kept its state throughout');
my $conns = $relayed->call('system', 'connections', { uid => $abuser })->{result};
ok($conns, 'root may look at the second uid\'s connections');

sleep 2;    # past frame_stall_timeout_ms
syswrite $to_abuser, "done\n";
my ($protocol, $refused) = (<$from_abuser> // '') =~ /^answered (\d+) (\d+)/;
waitpid $pid, 0;
cmp_ok($refused // 0, '>', 0, 'connections past max_connections_per_uid were refused E_THROTTLED, naming it');
cmp_ok($protocol // 0, '>', 0, 'the stalled frames were answered E_PROTOCOL, saying they stalled');
is(($protocol // 0) + ($refused // 0), $held, 'every connection of the second uid got one of the two');
ok($relayed->call('test', 'ping', {})->{success}, 'and the suite answers as before');

done_testing;
