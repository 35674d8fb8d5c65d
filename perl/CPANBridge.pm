package CPANBridge;

# SPDX-License-Identifier: MIT
#
# The Perl client of cpan-bridge. Scripts call C services over one persistent Unix socket
# connection per object (daemon mode), or through cpan-bridge-exec, one process per call
# (process mode), with honest fallback between the two (docs/DESIGN.md "What survives what").
#
# Loading this file must stay cheap: most users' jobs are short scripts, and on the target
# machines every XS module costs milliseconds to load and every line of Perl costs compile
# time. So: `use CPANBridge` loads no module at all; the JSON module (and Socket, except on
# x86_64 and aarch64 Linux) is loaded by the first call, Time::HiRes by the second, Errno
# and Carp only on error paths; and the code that a plain daemon-mode call never runs
# (process mode, fallback, the catalogue, the earlier client's methods) is compiled from
# the string at the end of this file on first use.

use strict;
use warnings;

our $VERSION = '3.00';

# ---- Package variables of the earlier client (notes/earlier-daemon.md), all kept ----------

# Process-mode script of the Python implementation: a no-op now (kept for scripts that set it).
our $PYTHON_BRIDGE_SCRIPT = $ENV{CPAN_BRIDGE_SCRIPT};
our $DEBUG_LEVEL          = 0;
# Request timeout in seconds (0 = none). 300, not 60: long database work must not be cut off.
our $TIMEOUT = 300;
# Only triggers a debug message, as before: nothing is rejected on the client side.
our $MAX_JSON_SIZE = 10_000_000;
our $RETRY_COUNT   = 3;
# Interpreter of the Python implementation: a no-op now.
our $PYTHON_PATH;
our $DAEMON_MODE      = $ENV{CPAN_BRIDGE_DAEMON}   // 1;
our $FALLBACK_ENABLED = $ENV{CPAN_BRIDGE_FALLBACK} // 1;
# Calls go on a channel, the object's own connection to its instance, handed over by the router.
our $CHANNELS = $ENV{CPAN_BRIDGE_CHANNELS} // 1;
# Never /tmp: a fixed name in a world-writable directory can be taken by any local user.
our $DAEMON_SOCKET =
    (defined $ENV{CPAN_BRIDGE_SOCKET} && length $ENV{CPAN_BRIDGE_SOCKET})
    ? $ENV{CPAN_BRIDGE_SOCKET}
    : '/run/cpan-bridge/cpan-bridge.sock';
our $DAEMON_TIMEOUT = $ENV{CPAN_BRIDGE_DAEMON_TIMEOUT} // 5;
# The client never starts a daemon (systemd socket activation does): both are no-ops now.
our $DAEMON_STARTUP_TIMEOUT = $ENV{CPAN_BRIDGE_STARTUP_TIMEOUT} // 10;
our $DAEMON_SCRIPT          = $ENV{CPAN_BRIDGE_DAEMON_SCRIPT};

# ---- New settings -------------------------------------------------------------------------

our $EXEC =
    (defined $ENV{CPAN_BRIDGE_EXEC} && length $ENV{CPAN_BRIDGE_EXEC})
    ? $ENV{CPAN_BRIDGE_EXEC}
    : '/usr/libexec/cpan-bridge/cpan-bridge-exec';
our $CATALOGUE = $ENV{CPAN_BRIDGE_CATALOGUE};
# The JSON module to prefer (tests use it to check every backend); else the fastest installed.
our $JSON_MODULE = $ENV{CPAN_BRIDGE_JSON};
# Byte strings that hold valid UTF-8 are sent as the text they encode (see POD "Text").
our $UTF8_BYTES = 1;

# This file's directory, made absolute now (the script may chdir later).
my $DIR = __FILE__ =~ m{^(.*)/[^/]*\z}s ? $1 : '.';
$DIR = (readlink('/proc/self/cwd') // '.') . "/$DIR" unless substr($DIR, 0, 1) eq '/';

my ($JSON, $JSON_NAME);    # the codec, made on first use
my ($CAT, $CAT_SOURCE, $CAT_BUSY, $CAT_MISSED_AT);
my $THREAD_GEN = 0;        # differs in every ithread: see CLONE
my $CLIENT_VERSION = "$VERSION";
my $SEND_FLAGS;            # MSG_NOSIGNAL | MSG_DONTWAIT, once the socket constants are known
my ($HIRES, $CALLS) = (0, 0);
my $SERVICE_UID;

# Names of the subs compiled on first use (a declared sub is found by ->can and AUTOLOADed).
sub _errname; sub _text_copy; sub _walk_scalars; sub _map_ids; sub binary; sub unbinary;
sub _catalogue_files; sub _load_catalogue; sub _find_catalogue; sub _index_catalogue;
sub _function_info; sub _log_request; sub _exec_run; sub _family_binary; sub _child_stdio; sub _process_call;
sub _replay_plan; sub _id_of; sub _track_process; sub _track_daemon; sub _needs_daemon;
sub _idempotent; sub _with_current_ids; sub _peer_closed; sub _note_fallback; sub _slow_path; sub get_last_error; sub get_last_python_output;
sub get_performance_stats; sub clear_performance_stats; sub set_debug; sub set_timeout;
sub set_max_json_size; sub set_retry_count; sub set_python_bridge_script; sub set_python_path;
sub test_python_bridge; sub check_python_module; sub _safe_json_encode; sub _safe_json_decode;
sub json_backend;

# ---- Small helpers --------------------------------------------------------------------------

sub _croak { require Carp; goto &Carp::croak }

# Whole seconds until Time::HiRes is loaded (by the second call: a one-call script skips it).
sub _now { return $HIRES ? Time::HiRes::time() : time }

sub _fail {
    my ($code, $msg, %extra) = @_;
    my $retryable = ($code eq 'E_UNAVAILABLE' || $code eq 'E_THROTTLED') ? 1 : 0;
    $retryable = 0 if $extra{outcome_unknown};
    return { success => 0, error => $msg, error_code => $code, retryable => $retryable, %extra };
}

sub _json {
    return $JSON if $JSON;
    my @try = qw(Cpanel::JSON::XS JSON::XS JSON::PP);
    unshift @try, $JSON_MODULE if $JSON_MODULE;
    for my $m (@try) {
        (my $file = "$m.pm") =~ s{::}{/}g;
        next unless eval { require $file; 1 };
        # utf8: the wire carries UTF-8 bytes; Perl strings stay characters (never encoded twice).
        $JSON      = $m->new->utf8->allow_nonref;
        $JSON_NAME = $m;
        return $JSON;
    }
    _croak("CPANBridge: no JSON module could be loaded (JSON::PP is core Perl)");
}

sub _owner { return "$$:$THREAD_GEN" }

# Called by Perl in every new ithread: objects cloned into it must make their own session.
sub CLONE {
    $THREAD_GEN++;
    # JSON::XS objects are not documented as thread-safe: each thread makes its own codec.
    undef $JSON;
    return;
}

sub _new_token {
    if (open my $fh, '<:raw', '/dev/urandom') {
        my $n = sysread $fh, my $bytes, 16;
        close $fh;
        return unpack 'H32', $bytes if defined $n && $n == 16;
    }
    # No /dev/urandom (a chroot): mix what differs between processes, threads and calls.
    my $h = '';
    $h .= sprintf '%08x', (unpack('%32N*', join ',', _now(), $$, $THREAD_GEN, {} + 0, $_)
        ^ int(rand 2**32)) for 1 .. 4;
    return $h;
}

sub _cwd {
    my $d = readlink '/proc/self/cwd';
    if (!defined $d || $d =~ / \(deleted\)\z/) {
        require Cwd;
        $d = Cwd::getcwd();
    }
    return _as_text($d);
}

# A byte string that is valid UTF-8 becomes the text it encodes; anything else is left alone.
sub _as_text {
    my ($v) = @_;
    return $v if !defined $v || utf8::is_utf8($v);
    my $c = $v;    # a copy: stringifying the caller's number could turn it into a JSON string
    return $v unless $c =~ tr/\x80-\xff//;
    return utf8::decode($c) ? $c : $v;
}

# Does any byte string in this data need _as_text? (Scanned so that nothing is copied if not.)
sub _needs_text {
    my ($v, $depth) = @_;
    return 0 if $depth > 200;
    my $r = ref $v;
    if (!$r) {
        return 0 if !defined $v || utf8::is_utf8($v);
        my $c = $v;
        return $c =~ tr/\x80-\xff// ? 1 : 0;
    }
    if ($r eq 'HASH') {
        for my $k (keys %$v) {
            return 1 if !utf8::is_utf8($k) && $k =~ tr/\x80-\xff//;
            return 1 if _needs_text($v->{$k}, $depth + 1);
        }
    } elsif ($r eq 'ARRAY') {
        for (@$v) { return 1 if _needs_text($_, $depth + 1) }
    }
    return 0;
}

# ---- Objects --------------------------------------------------------------------------------

sub new {
    my ($class, %args) = @_;
    $class = ref($class) || $class;
    return bless {
        (map { ($_ => $args{$_}) }
            qw(debug timeout max_json_size retry_count socket exec daemon_mode fallback channels)),
        last_error  => undef,
        last_output => undef,
        perf        => {},
        mode        => undef,
        dhandles    => {},    # handle id => kind, for handles made in daemon mode
        dcurrent    => {},    # kind => current handle id (daemon mode)
        precords    => [],    # process mode: the calls that made live handles, oldest first
    }, $class;
}

sub _opt {
    my ($self, $key, $global) = @_;
    return ref $self && defined $self->{$key} ? $self->{$key} : $global;
}

sub _debug {
    my ($self, $msg, $level) = @_;
    my $debug = ref $self ? $self->_opt('debug', $DEBUG_LEVEL) : $DEBUG_LEVEL;
    return unless $debug && $debug >= ($level // 1);
    my $caller = (caller 1)[3] // 'main';
    print STDERR '[' . localtime() . "] CPANBridge DEBUG ($caller): $msg\n";
    return;
}

# A forked child or a new ithread must not share the parent's connection or session.
sub _check_owner {
    my ($self) = @_;
    my $owner = "$$:$THREAD_GEN";
    return if defined $self->{owner} && $self->{owner} eq $owner;
    if (defined $self->{owner}) {
        $self->_debug('new process or thread: new session and connection');
        # Only forget the inherited handles; closing our copies does not affect the parent's.
        delete $self->{sock};
        $self->{chan_of} = {};
        $self->{precords} = [];
        $self->{dcurrent} = {};
    }
    $self->{owner}   = $owner;
    $self->{session} = _new_token();
    return;
}

sub mode {
    my ($self) = @_;
    return $self->{mode} if defined $self->{mode};
    return $self->_opt('daemon_mode', $DAEMON_MODE) ? 'daemon' : 'process';
}

sub session_token {
    my ($self) = @_;
    $self->_check_owner;
    return $self->{session};
}

# ---- Outgoing parameters --------------------------------------------------------------------

# The params as they go on the wire: UTF-8 byte strings read as text, `path` params absolute.
# The caller's data is never changed; a copy is made only when something differs.
sub _outgoing_params {
    my ($self, $module, $function, $params) = @_;
    return $params unless ref $params eq 'HASH' && %$params;
    $params = _text_copy($params, 0) if $UTF8_BYTES && _needs_text($params, 0);
    my $info = $self->_function_info($module, $function) or return $params;
    my $copied;
    for my $p (@{ $info->{path_params} }) {
        my $abs = _absolute($params->{$p}) // next;
        $params = { %$params } unless $copied++;
        $params->{$p} = $abs;
    }
    # XML text or a file's path (xml_helper.xml_in, xpath.load): a path when it is not XML.
    for my $p (@{ $info->{markup_paths} || [] }) {
        my $v = $params->{$p};
        next if !defined $v || ref $v || ($params->{source_type} // '') eq 'string' || $v =~ /\A\s*(?:\x{feff}|\xef\xbb\xbf)?</;
        my $abs = _absolute($v) // next;
        $params = { %$params } unless $copied++;
        $params->{$p} = $abs;
    }
    # Paths inside the elements of an array (attachments => [{ file => 'report.csv' }]).
    for my $p (keys %{ $info->{item_paths} || {} }) {
        my $list = $params->{$p};
        next unless ref $list eq 'ARRAY';
        my $new;
        for my $i (0 .. $#$list) {
            next unless ref $list->[$i] eq 'HASH';
            for my $k (@{ $info->{item_paths}{$p} }) {
                my $abs = _absolute($list->[$i]{$k}) // next;
                $new //= [@$list];
                $new->[$i] = { %{ $list->[$i] } } if $new->[$i] == $list->[$i];
                $new->[$i]{$k} = $abs;
            }
        }
        next unless $new;
        $params = { %$params } unless $copied++;
        $params->{$p} = $new;
    }
    return $params;
}

# A relative path made absolute against the working directory; undef when nothing changes.
sub _absolute {
    my ($v) = @_;
    return undef if !defined $v || ref $v;
    my $s = _as_text($v);
    return undef if $s eq '' || substr($s, 0, 1) eq '/';
    $s =~ s{^(?:\./)+}{};
    my $cwd = _cwd();
    return $s eq '.' || $s eq '' ? $cwd : ($cwd eq '/' ? "/$s" : "$cwd/$s");
}

sub _session_env {
    my %env;
    for my $k (keys %ENV) {
        $env{$k} = _as_text($ENV{$k})
            if $k =~ /\A(?:TZ|LANG|LC_[A-Za-z_]+|http_proxy|https_proxy|HTTPS_PROXY|all_proxy|ALL_PROXY|no_proxy|NO_PROXY|KRB5CCNAME|KRB5_CONFIG)\z/;
    }
    $env{umask} = umask() + 0;
    $env{cwd}   = _cwd();
    return \%env;
}

# ---- Frames over a socket -------------------------------------------------------------------

# Waits until $fh is readable (or writable); false on timeout. $deadline undef = no limit.
sub _wait_fd {
    my ($fh, $write, $deadline) = @_;
    my $bits = '';
    vec($bits, fileno($fh), 1) = 1;
    for (;;) {
        my $left;
        if (defined $deadline) {
            $left = $deadline - _now();
            return 0 if $left <= 0;
        }
        my $b = $bits;
        my $n = $write ? select(undef, $b, undef, $left) : select($b, undef, undef, $left);
        return 1 if $n > 0;
        return 0 if $n == 0;
        my $err = $! + 0;
        next if _errname($err) eq 'EINTR';
        $! = $err;
        return 0;
    }
}

# Sends all of $$buf; returns (1) or (0, errno or 'timeout'). Partial writes and EINTR resume.
sub _send_all {
    my ($fh, $buf, $deadline) = @_;
    my ($off, $len) = (0, length $$buf);
    while ($off < $len) {
        my $n = send($fh, $off || $len > 1 << 20 ? substr($$buf, $off, 1 << 20) : $$buf, $SEND_FLAGS);
        if (defined $n) { $off += $n; next }
        my $err  = $! + 0;
        my $name = _errname($err);
        next if $name eq 'EINTR';
        if ($name eq 'EAGAIN' || $name eq 'EWOULDBLOCK') {
            next if _wait_fd($fh, 1, $deadline);
            return (0, 'timeout');
        }
        return (0, $err);
    }
    return (1);
}

# Reads one frame, keeping any extra bytes in $$rbuf. Returns ($payload) or (undef, why).
sub _read_frame {
    my ($fh, $rbuf, $deadline) = @_;
    for (;;) {
        if (length $$rbuf >= 4) {
            my $n = unpack 'N', $$rbuf;
            return (undef, 'a zero-length frame') if $n == 0;
            return (undef, "a frame of $n bytes") if $n > 1 << 30;
            if (length $$rbuf >= 4 + $n) {
                my $payload = substr $$rbuf, 4, $n;
                substr($$rbuf, 0, 4 + $n) = '';
                return ($payload);
            }
        }
        return (undef, 'timeout') unless _wait_fd($fh, 0, $deadline);
        my $want = length $$rbuf >= 4 ? 4 + unpack('N', $$rbuf) - length $$rbuf : 65536;
        $want = 65536 if $want < 65536;
        my $got = sysread $fh, $$rbuf, $want, length $$rbuf;
        return (undef, 'eof') if defined $got && $got == 0;
        next if defined $got;
        my $name = _errname($! + 0);
        next if $name eq 'EINTR' || $name eq 'EAGAIN' || $name eq 'EWOULDBLOCK';
        return (undef, $name);
    }
}

# ---- Daemon mode ----------------------------------------------------------------------------

# The socket constants. Loading Socket costs a one-call script several milliseconds here,
# more than all the rest of the client: on Linux's common ABI (x86_64, aarch64) its values are fixed,
# so they are written here, and t/22-sockets.t checks them against Socket. Elsewhere
# (ppc64le numbers SO_PEERCRED differently, for one) Socket is loaded.
my %SOCK;
my @SOCK_NAMES = qw(AF_UNIX PF_UNSPEC SOCK_STREAM SOCK_NONBLOCK SOL_SOCKET SO_PEERCRED
    MSG_NOSIGNAL MSG_DONTWAIT MSG_PEEK);
sub _sock {
    return \%SOCK if %SOCK;
    if (_common_linux_abi()) {
        %SOCK = (AF_UNIX => 1, PF_UNSPEC => 0, SOCK_STREAM => 1, SOCK_NONBLOCK => 04000,
            SOL_SOCKET => 1, SO_PEERCRED => 17, MSG_NOSIGNAL => 0x4000, MSG_DONTWAIT => 0x40,
            MSG_PEEK => 2);
    } else {
        require Socket;
        no strict 'refs';
        %SOCK = map { ($_ => eval { &{"Socket::$_"}() } // 0) } @SOCK_NAMES;
    }
    return \%SOCK;
}

# Whether this perl is a 64-bit little-endian x86_64 or aarch64 Linux program, read from its
# own ELF header: Config.pm, the usual way to ask, costs 2 ms to load.
sub _common_linux_abi {
    return 0 unless $^O eq 'linux' && open(my $fh, '<:raw', '/proc/self/exe');
    my $n = read($fh, my $head, 20);
    close $fh;
    return 0 unless $n && $n == 20 && substr($head, 0, 4) eq "\x7fELF";
    my ($class, $order, $machine) = unpack 'x4 C C x12 v', $head;
    return $class == 2 && $order == 1 && ($machine == 62 || $machine == 183);    # EM_X86_64, EM_AARCH64
}

# struct sockaddr_un for a path, as Socket::pack_sockaddr_un makes it; undef when too long.
sub _sockaddr_un {
    my ($path) = @_;
    return undef if !defined $path || length $path > 107 || index($path, "\0") >= 0;
    return pack 'S Z108', _sock()->{AF_UNIX}, $path;
}

# Connects to the router. Returns ('ok') or (state, why): 'not_delivered' or 'denied'.
# With $persist, a missing or refusing socket is tried again until the connect timeout.
sub _connect {
    my ($self, $persist, $conn) = @_;
    $conn //= $self;
    my $k = _sock();
    $SEND_FLAGS //= $k->{MSG_NOSIGNAL} | $k->{MSG_DONTWAIT};
    my $path     = $self->_opt('socket', $DAEMON_SOCKET);
    my $deadline = _now() + ($DAEMON_TIMEOUT || 0) + ($HIRES ? 0 : 1);
    my $addr     = _sockaddr_un($path);
    return ('not_delivered', "bad socket path '$path'") unless defined $addr;
    # Non-blocking: connect then never waits longer than the connect timeout (full backlog).
    my $type = $k->{SOCK_STREAM} | $k->{SOCK_NONBLOCK};
    for (;;) {
        socket(my $s, $k->{AF_UNIX}, $type, 0) or return ('not_delivered', "socket: $!");
        if (connect $s, $addr) {
            my ($ok, $why) = $self->_check_peer($s, $path);
            return ('denied', $why) unless $ok;
            @$conn{qw(sock rbuf fresh conn_owner)} = ($s, '', 1, "$$:$THREAD_GEN");
            return ('ok');
        }
        my $err  = $! + 0;
        my $name = _errname($err);
        $! = $err;
        my $why = "connect to $path: $!";
        # EACCES is the script's business (E_DENIED), never a reason to fall back.
        return ('denied', $why) if $name eq 'EACCES' || $name eq 'EPERM';
        my $busy = $name eq 'EAGAIN' || $name eq 'EWOULDBLOCK' || $name eq 'EINTR';
        return ('not_delivered', $why) unless $busy || $persist;
        return ('not_delivered', $why) if _now() >= $deadline;
        select undef, undef, undef, $busy ? 0.01 : 0.1;
    }
}

# Accepts only a router running as root, as the service user or as ourselves; else nothing
# is sent (a socket in the wrong hands would receive the script's requests, passwords too).
sub _check_peer {
    my ($self, $s, $path) = @_;
    my $cred = getsockopt $s, _sock()->{SOL_SOCKET}, _sock()->{SO_PEERCRED};
    return (0, "cannot read the credentials of the server at $path: $!")
        unless defined $cred && length $cred >= 12;
    my ($pid, $uid) = unpack 'lII', $cred;
    return (1) if $uid == 0 || $uid == $<;
    $SERVICE_UID //= (getpwnam 'cpanbridge')[2] // -1;
    return (1) if $uid == $SERVICE_UID;
    return (0, "refusing the server at $path: it runs as uid $uid (pid $pid), which is neither "
        . 'root, the service user cpanbridge nor this user');
}

sub _drop_conn {
    my ($self, $conn) = @_;
    $conn //= $self;
    close delete $conn->{sock} if $conn->{sock};
    $conn->{rbuf} = '';
    if ($conn != $self) {    # a channel: its modules go through the router until a new one opens
        my $of = $self->{chan_of};
        delete @$of{ grep { ref $of->{$_} && $of->{$_} == $conn } keys %$of };
    }
    return;
}

# The channel for $module: opened on its first call, then kept. undef means the router
# relays this call (no channel wanted, refused, or not reachable: the caller finds out why);
# (undef, answer) is a refusal that is this call's answer (E_THROTTLED, retried as such).
sub _channel {
    my ($self, $module, $function) = @_;
    return undef if $self->{router_answers} && $self->{router_answers}{"$module.$function"};
    my $of = $self->{chan_of} //= {};
    my $ch = $of->{$module};
    return $ch if $ch && $ch->{sock};
    return undef if defined $ch || $module eq 'system' || !$self->_opt('channels', $CHANNELS);
    $ch = {};
    my ($state) = $self->_connect(0, $ch);
    return undef if $state ne 'ok';
    my $timeout = $self->_opt('timeout', $TIMEOUT) || 0;
    my $json = ($JSON || _json())->encode({
        id             => 0,
        module         => 'system',
        function       => 'channel',
        params         => { module => $module },
        session        => $self->{session},
        session_env    => _session_env(),
        client_version => $CLIENT_VERSION,
    });
    my $frame    = pack('N', length $json) . $json;
    my $deadline = $timeout > 0 ? _now() + $timeout + 2 : undef;
    my ($sent)   = _send_all($ch->{sock}, \$frame, $deadline);
    my ($payload) = $sent ? _read_frame($ch->{sock}, \$ch->{rbuf}, $deadline) : ();
    my $r = defined $payload ? eval { ($JSON || _json())->decode($payload) } : undef;
    if (ref $r eq 'HASH' && $r->{success} && ref $r->{result} eq 'HASH') {
        $ch->{fresh}  = 0;
        $ch->{family} = $r->{result}{family};
        $of->{$_} = $ch for $module, @{ $r->{result}{modules} || [] };
        return $ch;
    }
    close $ch->{sock};
    return (undef, $r) if ref $r eq 'HASH' && ($r->{error_code} // '') eq 'E_THROTTLED';
    # Refused (root, an older router, a module the router answers): this object relays it.
    $of->{$module} = 0 if ref $r eq 'HASH';
    return undef;
}

# One attempt in daemon mode. Returns (state, response, why):
#   answered       the router's answer (any success or error)
#   not_delivered  nothing reached the router: connect failed, or the connection broke while
#                  the request was being written ('stale' when that was a kept connection,
#                  e.g. the router restarted while we were idle: reconnect and send again)
#   lost           the request was written whole and the connection broke before the answer
#   denied, timeout: a client-side answer is in the response
sub _daemon_call {
    my ($self, $module, $function, $params, $persist) = @_;
    my ($ch, $refusal) = $self->_channel($module, $function);
    return ('answered', $refusal) if $refusal;
    my $conn = $ch // $self;
    my $reused = $conn->{sock} ? 1 : 0;
    if (!$reused) {
        my ($state, $why) = $self->_connect($persist);
        return ('denied', _fail('E_DENIED', $why), $why) if $state eq 'denied';
        return ($state, undef, $why) if $state ne 'ok';
    }
    my $timeout = $self->_opt('timeout', $TIMEOUT) || 0;
    my $id      = ++$self->{next_id};
    my %req     = (
        id             => $id,
        module         => $module,
        function       => $function,
        params         => $params,
        session        => $self->{session},
        client_version => $CLIENT_VERSION,
    );
    $req{timeout_ms}  = int($timeout * 1000) if $timeout > 0;
    $req{session_env} = _session_env() if $conn->{fresh};
    my $json = eval { ($JSON || _json())->encode(\%req) };
    return ('answered', _fail('E_INVALID_PARAM', "cannot encode the request as JSON: $@"))
        unless defined $json;
    $self->_log_request($json) if $self->{debug} || $DEBUG_LEVEL || length $json > $MAX_JSON_SIZE;
    my $frame = pack('N', length $json) . $json;
    undef $json;
    # The client's deadline is a little after the server's, so that its E_TIMEOUT arrives.
    my $deadline = $timeout > 0 ? _now() + $timeout + 2 : undef;
    my ($sent, $err) = _send_all($conn->{sock}, \$frame, $deadline);
    $self->{attempts}++;
    return $self->_send_failed($conn, $id, $err, $reused, $timeout) unless $sent;
    $conn->{fresh} = 0;
    for (;;) {
        my ($payload, $why) = _read_frame($conn->{sock}, \$conn->{rbuf}, $deadline);
        if (!defined $payload) {
            # On timeout the connection (and session) stays: a late answer is skipped by its id.
            return ('timeout', _fail('E_TIMEOUT', "no answer within ${timeout}s (\$CPANBridge::TIMEOUT)"))
                if $why eq 'timeout';
            $self->_drop_conn($conn);
            return ('lost', undef, $conn == $self ? "connection lost before the answer ($why)"
                : "the $conn->{family} instance ended before answering ($why)");
        }
        my $r = $self->_decode_answer($payload, $id) or next;    # a late answer to another id
        if ($r->{relay} && $conn != $self) {
            # The router answers this one itself (test.stats is system.stats); nothing ran.
            $self->{router_answers}{"$module.$function"} = 1;
            return $self->_daemon_call($module, $function, $params, $persist);
        }
        # A refusal of the frame itself carries no id: the router closes the stream after it.
        # A value over a limit (an answer with our id) leaves the connection, and the session, as they were.
        $self->_drop_conn($conn) if !$r->{success} && !$self->{answer_had_id}
            && ($r->{error_code} // '') =~ /\AE_(?:TOO_LARGE|PROTOCOL)\z/;
        return ('answered', $r);
    }
}

sub _send_failed {
    my ($self, $conn, $id, $err, $reused, $timeout) = @_;
    # The router may have answered before closing (E_TOO_LARGE): read that first.
    my ($payload) = $err eq 'timeout' ? () : _read_frame($conn->{sock}, \$conn->{rbuf}, _now() + 1);
    my $r = defined $payload ? $self->_decode_answer($payload, $id) : undef;
    $self->_drop_conn($conn);
    return ('answered', $r) if $r;
    return ('timeout', _fail('E_TIMEOUT', "timed out after ${timeout}s sending the request"))
        if $err eq 'timeout';
    $! = $err;
    return ($reused ? 'stale' : 'not_delivered', undef, "connection lost while sending: $!");
}

# Decodes an answer; undef when it answers another request id.
sub _decode_answer {
    my ($self, $payload, $id) = @_;
    $self->_debug('answer: ' . substr($payload, 0, 200), 2) if $self->{debug} || $DEBUG_LEVEL;
    my $r = eval { ($JSON || _json())->decode($payload) };
    return _fail('E_PROTOCOL', "the server's answer is not valid JSON: $@") unless ref $r eq 'HASH';
    my $rid = delete $r->{id};
    return undef if defined $rid && !ref $rid && $rid ne $id;
    $self->{answer_had_id} = defined $rid;
    return $r;
}

# ---- Calls ----------------------------------------------------------------------------------

sub call_python {
    my ($self, $module, $function, $params) = @_;
    _croak('CPANBridge::call_python is an object method: CPANBridge->new->call_python(...)')
        unless ref $self;
    $self->_check_owner if !defined $self->{owner} || $self->{owner} ne "$$:$THREAD_GEN";
    # Time::HiRes from the second call on: a script that calls once does not pay for loading it.
    $HIRES = eval { require Time::HiRes; 1 } ? 1 : 0 if $CALLS++ == 1;
    my $t0 = _now();
    $params //= {};
    my $r;
    if (!defined $module || ref $module || !defined $function || ref $function) {
        $r = _fail('E_INVALID_PARAM', 'call_python needs a module name and a function name');
    } else {
        $self->{note} = undef;
        $r = $self->_dispatch($module, $function, $params);
    }
    my $key = ($module // '') . '.' . ($function // '');
    my $st  = $self->{perf}{$key} //= { call_count => 0 };
    $st->{call_count}++;
    $st->{last_duration} = _now() - $t0;
    $st->{last_attempts} = $self->{attempts};
    $st->{last_mode}     = $self->{mode};
    $self->{last_error} = $r->{success} ? $self->{note} : ($r->{error} // $r->{error_code} // 'failed');
    _print_screen($r->{result}{screen}) if ref $r->{result} eq 'HASH' && ref $r->{result}{screen} eq 'ARRAY';
    $self->_debug("$key: " . ($r->{success} ? 'ok' : "$r->{error_code}: $r->{error}") . " ($self->{mode})")
        if $self->{debug} || $DEBUG_LEVEL;
    return $r;
}

{ no warnings 'once'; *call = \&call_python; }

# logging_helper's Screen appenders: their lines are the script's, on its own STDOUT or STDERR.
sub _print_screen {
    my ($lines) = @_;
    for my $line (@$lines) {
        next unless ref $line eq 'HASH' && defined $line->{text};
        my $text = $line->{text};
        my $fh = ($line->{stream} // '') eq 'stdout' ? \*STDOUT : \*STDERR;
        # UTF-8 bytes, unless the handle encodes for itself (binmode :encoding(UTF-8)).
        utf8::encode($text) unless grep { /utf8|encoding/ } PerlIO::get_layers($fh);
        print {$fh} $text;
    }
    return;
}

sub _dispatch {
    my ($self, $module, $function, $params) = @_;
    my $out = $self->_outgoing_params($module, $function, $params);
    $self->{attempts} = 0;
    # Process mode when asked, and for a session with live process-mode handles until they end.
    return $self->_process_call($module, $function, $out)
        if !$self->_opt('daemon_mode', $DAEMON_MODE) || @{ $self->{precords} };
    my @got = $self->_daemon_call($module, $function, $out, 0);
    my ($state, $r) = @got;
    if ($state eq 'answered' && $r->{success}) {    # the common case, kept short
        $self->{mode} = 'daemon';
        $self->{fallback_warned} = 0;
        my $res = $r->{result};
        $self->_track_daemon($module, $function, $params, $r)
            if %{ $self->{dhandles} } || (ref $res eq 'HASH' && grep { /_id\z/ } keys %$res);
        return $r;
    }
    return $self->_slow_path($module, $function, $params, $out, @got);
}

sub DESTROY {
    my ($self) = @_;
    # Closing ends the session (the router closes its handles); only the owner may do that,
    # and a copy held by a forked child or another thread is simply forgotten.
    my %seen;
    for my $conn ($self, grep { ref $_ && !$seen{$_}++ } values %{ $self->{chan_of} || {} }) {
        close $conn->{sock} if $conn->{sock} && ($conn->{conn_owner} // '') eq "$$:$THREAD_GEN";
        delete $conn->{sock};
    }
    return;
}

# ---- Code compiled on first use -------------------------------------------------------------

our $AUTOLOAD;
my $COLD;

sub AUTOLOAD {
    my $name = $AUTOLOAD;
    $name =~ s/.*:://;
    return if $name eq 'DESTROY';
    _load_cold();
    no strict 'refs';
    _croak(qq{Can't locate object method "$name" via package "CPANBridge"})
        unless defined &{"CPANBridge::$name"};
    goto &{"CPANBridge::$name"};
}

sub _load_cold {
    return if $COLD++;
    # The file's lexicals that the deferred code uses: named here so that this sub captures
    # them and the string eval below can see them.
    my @shared = \($DIR, $JSON, $JSON_NAME, $CAT, $CAT_SOURCE, $CAT_BUSY, $CAT_MISSED_AT,
                   $THREAD_GEN, $CLIENT_VERSION, $SEND_FLAGS, $HIRES, $CALLS, $SERVICE_UID);
    my $code = _cold_code();
    local $@;
    eval "no warnings 'redefine';\n$code\n1" or die "CPANBridge: deferred code: $@";
    return;
}

# The deferred code (see the top of the file). It is plain Perl, compiled by _load_cold.
sub _cold_code {
    return <<'CPANBRIDGE_DEFERRED_CODE';
#line 563 "CPANBridge.pm (deferred code)"
# Result field that names a handle of each kind (API.md 1.3).
my %ID_FIELD = (
    connection   => 'connection_id',
    statement    => 'statement_id',
    sftp_session => 'session_id',
    session      => 'session_id',
    workbook     => 'workbook_id',
    worksheet    => 'worksheet_id',
    format       => 'format_id',
    document     => 'document_id',
    node         => 'node_id',
    cipher       => 'cipher_id',
    logger       => 'logger_id',
    test_handle  => 'handle_id',
);

# The symbolic name of an errno value, loading Errno only on these error paths.
sub _errname {
    my ($num) = @_;
    require Errno;
    for my $n (qw(ENOENT ECONNREFUSED EACCES EPERM EAGAIN EWOULDBLOCK EINTR EPIPE ECONNRESET
                  ENOTCONN ENOTSOCK ENAMETOOLONG ETIMEDOUT)) {
        my $c = Errno->can($n) or next;
        return $n if $num == $c->();
    }
    return "errno $num";
}

sub _text_copy {
    my ($v, $depth) = @_;
    my $r = ref $v;
    return _as_text($v) if !$r;
    return $v if $depth > 200;
    return { map { (_as_text($_) => _text_copy($v->{$_}, $depth + 1)) } keys %$v } if $r eq 'HASH';
    return [ map { _text_copy($_, $depth + 1) } @$v ] if $r eq 'ARRAY';
    return $v;
}

# Calls $cb on every plain scalar in $v (through copies, so that numbers stay numbers).
sub _walk_scalars {
    my ($v, $cb, $depth) = @_;
    $depth //= 0;
    return if $depth > 200;
    my $r = ref $v;
    if (!$r) {
        if (defined $v) { my $c = $v; $cb->($c) }
    } elsif ($r eq 'HASH') {
        _walk_scalars($_, $cb, $depth + 1) for values %$v;
    } elsif ($r eq 'ARRAY') {
        _walk_scalars($_, $cb, $depth + 1) for @$v;
    }
    return;
}

# A copy of $v with every string that is a key of %$map replaced by its value.
# Replaces handle ids by the map's (process mode's first ids and their rebuilt ones). A child
# id names its parent ("C-<n>-<uid>-<run>-<m>" inside "P-<uid>-<run>-<n>", DESIGN.md), so a
# node or statement id follows its rebuilt parent too.
sub _map_ids {
    my ($v, $map, $depth, $parents) = @_;
    $depth //= 0;
    $parents //= { map { (_parent_key($_), _parent_key($map->{$_})) }
                   grep { defined _parent_key($_) && defined _parent_key($map->{$_}) } keys %$map };
    my $r = ref $v;
    if (!$r) {
        return $v unless defined $v;
        my $c = $v;
        return $map->{$c} if exists $map->{$c};
        return $v unless %$parents && $c =~ /\A(.+)-([0-9a-f]+)-(\d+)-([0-9a-f]+)-([0-9a-f]+)\z/;
        my $to = $parents->{"$3-$4-$2"} // return $v;
        my ($uid, $run, $n) = split /-/, $to;
        return "$1-$n-$uid-$run-$5";
    }
    return $v if $depth > 200;
    return { map { ($_ => _map_ids($v->{$_}, $map, $depth + 1, $parents)) } keys %$v } if $r eq 'HASH';
    return [ map { _map_ids($_, $map, $depth + 1, $parents) } @$v ] if $r eq 'ARRAY';
    return $v;
}

# "P-<uid>-<run>-<n>" gives "<uid>-<run>-<n>": how a child id names it.
sub _parent_key {
    my ($id) = @_;
    return undef unless defined $id && !ref $id && $id =~ /-(\d+)-([0-9a-f]+)-([0-9a-f]+)\z/;
    return "$1-$2-$3";
}

# ---- Binary values ---------------------------------------------------------------------------

# Wraps bytes as the binary marker {"$base64": "..."} (API.md 1.1).
sub binary {
    my ($bytes) = @_;
    $bytes = '' unless defined $bytes;
    utf8::downgrade($bytes, 1) or _croak("CPANBridge::binary: the value holds characters, not bytes");
    require MIME::Base64;
    return { '$base64' => MIME::Base64::encode_base64($bytes, '') };
}

# Opens a binary marker into its bytes; text gives its UTF-8 bytes; undef stays undef.
sub unbinary {
    my ($v) = @_;
    return undef unless defined $v;
    if (ref $v eq 'HASH' && keys %$v == 1 && exists $v->{'$base64'}) {
        require MIME::Base64;
        return MIME::Base64::decode_base64($v->{'$base64'});
    }
    return $v if ref $v;
    my $c = "$v";
    utf8::encode($c);
    return $c;
}

# ---- The catalogue ---------------------------------------------------------------------------

sub _catalogue_files {
    my ($self) = @_;
    my $exec = $self->_opt('exec', $EXEC);
    my $exec_dir = $exec =~ m{^(.*)/[^/]*\z}s ? $1 : '.';
    return grep { defined && length }
        $CATALOGUE, "$DIR/catalogue.json", '/usr/share/cpan-bridge/catalogue.json',
        "$exec_dir/catalogue.json";
}

sub _load_catalogue {
    my ($self) = @_;
    return $CAT if $CAT;
    # Not found a moment ago: do not search again on every call.
    return undef if $CAT_BUSY || (defined $CAT_MISSED_AT && time - $CAT_MISSED_AT < 30);
    $CAT_BUSY = 1;
    my $cat = eval { $self->_find_catalogue };
    $CAT_BUSY = 0;
    $CAT_MISSED_AT = time unless $cat;
    return $CAT = $cat;
}

sub _find_catalogue {
    my ($self) = @_;
    my $doc;
    for my $f ($self->_catalogue_files) {
        next unless -f $f && open my $fh, '<:raw', $f;
        local $/;
        my $text = <$fh>;
        $doc = eval { _json()->decode($text) };
        if (ref $doc eq 'HASH') { $CAT_SOURCE = $f; last }
        $self->_debug("cannot read catalogue $f: " . ($@ || 'not an object'));
        undef $doc;
    }
    if (!$doc && $self->_opt('daemon_mode', $DAEMON_MODE)) {
        my ($state, $r) = $self->_daemon_call('system', 'catalogue', {}, 0);
        if ($state eq 'answered' && $r->{success}) { $doc = $r->{result}; $CAT_SOURCE = 'system.catalogue' }
    }
    if (!$doc) {
        my $exec = $self->_opt('exec', $EXEC);
        if (-x $exec && open my $fh, '-|', $exec, '--dump-catalogue') {
            local $/;
            my $text = <$fh>;
            close $fh;
            $doc = eval { _json()->decode($text) };
            $CAT_SOURCE = "$exec --dump-catalogue" if ref $doc eq 'HASH';
        }
    }
    return undef unless ref $doc eq 'HASH' && ref $doc->{modules} eq 'HASH';
    $self->_debug("catalogue from $CAT_SOURCE");
    return _index_catalogue($doc);
}

# Indexes modules and functions by every name and alias.
sub _index_catalogue {
    my ($doc) = @_;
    my (%mod, %fn);
    for my $m (keys %{ $doc->{modules} }) {
        my $md = $doc->{modules}{$m};
        $mod{$_} = $m for $m, @{ $md->{aliases} || [] };
    }
    for my $m (keys %{ $doc->{modules} }) {
        my $md = $doc->{modules}{$m};
        for my $f (keys %{ $md->{functions} || {} }) {
            my $fd = $md->{functions}{$f};
            my $real = $fd;
            my $family = $md->{family};
            if ($fd->{alias_of} && $fd->{alias_of} =~ /^([^.]+)\.(.+)\z/) {
                my $t = $doc->{modules}{$1};
                if ($t && $t->{functions}{$2}) { $real = $t->{functions}{$2}; $family = $t->{family} }
            }
            my $info = { %$real, family => $family, module => $m, function => $f };
            my (@paths, @markup_paths, %item_paths);
            for my $p (keys %{ $real->{params} || {} }) {
                my $pd = $real->{params}{$p};
                push @paths, $p, @{ $pd->{aliases} || [] } if ($pd->{type} // '') eq 'path';
                push @markup_paths, $p, @{ $pd->{aliases} || [] } if $pd->{path_unless_markup};
                next unless $pd->{item_paths};
                $item_paths{$_} = $pd->{item_paths} for $p, @{ $pd->{aliases} || [] };
            }
            $info->{path_params} = \@paths;
            $info->{markup_paths} = \@markup_paths;
            $info->{item_paths}  = \%item_paths;
            $fn{$m}{$_} = $info for $f, @{ $fd->{aliases} || [] };
        }
    }
    return { doc => $doc, mod => \%mod, fn => \%fn };
}

# What the catalogue says about module.function (undef when unknown or no catalogue).
sub _function_info {
    my ($self, $module, $function) = @_;
    my $cat = $self->_load_catalogue or return undef;
    my $m = $cat->{mod}{$module} // return undef;
    return $cat->{fn}{$m}{$function};
}

sub _log_request {
    my ($self, $json) = @_;
    my $max = $self->_opt('max_json_size', $MAX_JSON_SIZE);
    $self->_debug("request of " . length($json) . " bytes is over \$MAX_JSON_SIZE ($max)")
        if $max && length $json > $max;
    $self->_debug("request: $json", 3);
    return;
}

# Everything but a first answered success: retries, fallback and client-side answers, as
# DESIGN.md "What survives what" and API.md 1.4 say.
sub _slow_path {
    my ($self, $module, $function, $params, $out, @got) = @_;
    my $needs_daemon = $self->_needs_daemon($module, $function, $params);
    my $retries = $self->_opt('retry_count', $RETRY_COUNT) // 0;
    my ($attempt, $persisted, $asked_by_id) = (0, 0, 0);
    for (;; @got = $self->_daemon_call($module, $function, $out, $needs_daemon)) {
        my ($state, $r, $why) = @got;
        $self->{mode} = 'daemon';
        if ($state eq 'answered') {
            if ($r->{success}) {
                $self->{fallback_warned} = 0;
                $self->_track_daemon($module, $function, $params, $r);
                return $r;
            }
            my $code = $r->{error_code} // '';
            if ($code eq 'E_THROTTLED' && $attempt < $retries) {    # refused before delivery
                $attempt++;
                my $ms = $r->{retry_after_ms} // 100;
                select undef, undef, undef, ($ms > 5000 ? 5000 : $ms) / 1000;
                # A connection over max_connections_per_uid hears why and is then closed:
                # the retry needs a new one (the session's state is elsewhere, if anywhere).
                $self->_drop_conn if $self->{sock} && _peer_closed($self->{sock});
                next;
            }
            # The instance knows no current handle of a kind this session made one of: it
            # lost it (it restarted, the session expired, cleanup closed it). Asked by the id,
            # it says which. Nothing ran, so asking again takes no effect twice.
            if ($code eq 'E_HANDLE' && !$asked_by_id++ && ($r->{error} // '') =~ /\Ano current /
                && (my $by_id = $self->_with_current_ids($module, $function, $out))) {
                $out = $by_id;
                next;
            }
            if ($code eq 'E_UNAVAILABLE' && $r->{outcome_unknown}) {
                # Lost in flight (its instance died): only an idempotent call may be repeated.
                if ($attempt < $retries && $self->_idempotent($module, $function)) {
                    $attempt++;
                    select undef, undef, undef, 0.1 * $attempt;
                    next;
                }
                return $r;
            }
            # Anything else the router answered is the script's answer: never a fallback.
            return $r unless $code eq 'E_UNAVAILABLE' && $r->{retryable};
            # Refused before delivery (root, which instances never serve; a family that is
            # down): the request did not take effect, so it counts as not delivered.
            ($state, $why) = ('not_delivered', "the router answered: $r->{error}");
        }
        return $r if $state eq 'denied' || $state eq 'timeout';
        if ($state eq 'lost') {
            # Only an idempotent call may be repeated after a lost answer, here or below in
            # process mode; any other may or may not have taken effect.
            return _fail('E_UNAVAILABLE', "$module.$function may or may not have taken effect: $why",
                outcome_unknown => 1) unless $self->_idempotent($module, $function);
            if ($attempt < $retries) { $attempt++; next }
        }
        if ($state eq 'stale' && $attempt < $retries) { $attempt++; next }    # reconnect
        # Not delivered. A handle made in daemon mode never goes to process mode: keep trying
        # to connect for the connect timeout, then say so.
        if ($needs_daemon) {
            next unless $persisted++;
            return _fail('E_UNAVAILABLE', "$module.$function needs a handle made in daemon mode and "
                . "the router cannot be reached ($why); it is never run in process mode");
        }
        return _fail('E_UNAVAILABLE', "the cpan-bridge router cannot be reached ($why) and fallback is off")
            unless $self->_opt('fallback', $FALLBACK_ENABLED);
        $self->_note_fallback($why);
        return $self->_process_call($module, $function, $out);
    }
}

# The params with the id of this session's current daemon handle of each kind the function
# uses and does not name; undef when there is none to add.
sub _with_current_ids {
    my ($self, $module, $function, $params) = @_;
    my $info = $self->_function_info($module, $function) or return undef;
    my $defs = $info->{params} || {};
    my %named;
    _walk_scalars($params, sub { $named{ $_[0] } = 1 });
    my %add;
    for my $kind (@{ $info->{uses} || [] }) {
        my $id = $self->{dcurrent}{$kind} // next;
        next if $named{$id};
        my ($p) = grep { ($defs->{$_}{handle_kind} // '') eq $kind } sort keys %$defs;
        $add{$p} = $id if defined $p && !defined $params->{$p};
    }
    return %add ? { %$params, %add } : undef;
}

# Whether the other end has closed the connection (EOF waiting to be read), without blocking
# and without taking any byte.
sub _peer_closed {
    my ($sock) = @_;
    my $buf = '';
    my $got = recv($sock, $buf, 1, _sock()->{MSG_PEEK} | _sock()->{MSG_DONTWAIT});
    return defined $got && length $buf == 0;
}

sub _idempotent {
    my ($self, $module, $function) = @_;
    my $info = $self->_function_info($module, $function) or return 0;
    return $info->{idempotent} ? 1 : 0;
}

sub _note_fallback {
    my ($self, $why) = @_;
    my $exec = $self->_opt('exec', $EXEC);
    my $msg = "CPANBridge: daemon mode unavailable ($why); using process mode ($exec)";
    $self->{note} = $msg;
    warn "$msg\n" unless $self->{fallback_warned}++;
    return;
}

# ---- Process mode ----------------------------------------------------------------------------

# Runs @frames (hashes without ids) through one cpan-bridge-exec process, one frame at a time,
# each built by a callback from the answers so far. Returns (answers) or (undef, failure).
sub _exec_run {
    my ($self, $n_frames, $next, $module) = @_;
    my $exec = $self->_opt('exec', $EXEC);
    return (undef, _fail('E_UNAVAILABLE', "process mode is not available: $exec is not executable"))
        unless -x $exec;
    my @argv = $self->_family_binary($module, $exec);
    my $k = _sock();
    $SEND_FLAGS //= $k->{MSG_NOSIGNAL} | $k->{MSG_DONTWAIT};
    socketpair(my $mine, my $theirs, $k->{AF_UNIX}, $k->{SOCK_STREAM}, $k->{PF_UNSPEC})
        or return (undef, _fail('E_UNAVAILABLE', "socketpair: $!"));
    my $pid = fork;
    return (undef, _fail('E_UNAVAILABLE', "fork: $!")) unless defined $pid;
    if (!$pid) {
        close $mine;
        _child_stdio($theirs);
        { no warnings 'exec'; exec { $argv[0] } @argv; }
        print STDERR "CPANBridge: cannot run $argv[0]: $!\n";
        require POSIX;
        POSIX::_exit(127);
    }
    close $theirs;
    my $timeout  = $self->_opt('timeout', $TIMEOUT) || 0;
    my $deadline = $timeout > 0 ? _now() + $timeout : undef;
    my (@answers, @raw, $failure);
    my $rbuf = '';
    for my $i (1 .. $n_frames) {
        my $req = $next->(\@answers);
        if (ref $req eq 'ARRAY') { $failure = $req->[0]; last }    # the callback gave up
        $req->{id} = $i;
        $req->{client_version} = $CLIENT_VERSION;
        $req->{timeout_ms} = int($timeout * 1000) if $timeout > 0;
        my $json = eval { _json()->encode($req) };
        if (!defined $json) { $failure = _fail('E_INVALID_PARAM', "cannot encode the request as JSON: $@"); last }
        $self->_log_request($json);
        my $frame = pack('N', length $json) . $json;
        undef $json;
        my ($ok, $err) = _send_all($mine, \$frame, $deadline);
        shutdown $mine, 1 if $ok && $i == $n_frames;    # EOF: the one-shot run ends after this
        my ($payload, $why) = _read_frame($mine, \$rbuf, $deadline);
        if (!defined $payload) {
            $failure = $why eq 'timeout' || (!$ok && $err eq 'timeout')
                ? _fail('E_TIMEOUT', "cpan-bridge-exec gave no answer within ${timeout}s")
                : undef;
            last;
        }
        push @raw, $payload;
        my $r = $self->_decode_answer($payload, $i)
            // _fail('E_PROTOCOL', 'cpan-bridge-exec answered another request');
        push @answers, $r;
    }
    close $mine;
    kill 'KILL', $pid if $failure && $failure->{error_code} eq 'E_TIMEOUT';
    waitpid $pid, 0;
    my $status = $?;
    $self->{last_output} = join "\n", @raw;
    return (undef, $failure) if $failure;
    if (@answers < $n_frames) {
        my $how = $status & 127 ? 'killed by signal ' . ($status & 127) : 'exit status ' . ($status >> 8);
        return (undef, _fail('E_UNAVAILABLE', "cpan-bridge-exec ended without answering ($how)",
            outcome_unknown => 1));
    }
    return (\@answers);
}

# The family's own binary beside cpan-bridge-exec, in one-shot mode, when the catalogue says
# which it is: that saves the front's exec (about a millisecond) on every call. Otherwise
# the front, which looks the module up itself.
sub _family_binary {
    my ($self, $module, $exec) = @_;
    return ($exec) unless defined $module && $exec =~ m{^(.*)/[^/]*\z}s;
    my $dir = $1;
    my $cat = $self->_load_catalogue or return ($exec);
    my $name = $cat->{mod}{$module} // return ($exec);
    my $family = $cat->{doc}{modules}{$name}{family} // return ($exec);
    $family = 'core' if $family eq 'router';    # one-shot system.* is answered by core
    my $binary = "$dir/cpan-bridge-$family";
    return -x $binary ? ($binary, '--oneshot') : ($exec);
}

# In the child: the socket becomes stdin and stdout of cpan-bridge-exec.
sub _child_stdio {
    my ($s) = @_;
    # Perl keeps fd 0 and 1 when STDIN and STDOUT are open; if a script closed them, dup2 them.
    if (defined fileno(STDIN) && fileno(STDIN) == 0 && defined fileno(STDOUT) && fileno(STDOUT) == 1) {
        open STDIN,  '<&', $s or die "dup stdin: $!";
        open STDOUT, '>&', $s or die "dup stdout: $!";
        return;
    }
    require POSIX;
    POSIX::dup2(fileno($s), 0);
    POSIX::dup2(fileno($s), 1);
    return;
}

# Process mode, with the replay of rebuildable handles (API.md 1.4, mode R).
sub _process_call {
    my ($self, $module, $function, $params) = @_;
    $self->{mode} = 'process';
    my $info   = @{ $self->{precords} } ? $self->_function_info($module, $function) : undef;
    my @replay = $self->_replay_plan($info, $params);
    my (%map, $failed);
    my $i = 0;
    my ($answers, $failure) = $self->_exec_run(@replay + 1, sub {
        my ($got) = @_;
        if (@$got) {    # the answer to the last replayed call: note its fresh id
            my $rec = $replay[ @$got - 1 ];
            my $r   = $got->[-1];
            my $fresh = $r->{success} && ref $r->{result} eq 'HASH' ? $r->{result}{ $rec->{field} } : undef;
            return [ _fail('E_HANDLE', "could not rebuild handle $rec->{id} in process mode ("
                . ($r->{error} // 'no id in the answer') . ')') ] unless defined $fresh;
            $map{ $rec->{id} } = $fresh;
        }
        my $rec = $replay[ $i++ ];
        return { module => $rec->{module}, function => $rec->{function},
                 params => _map_ids($rec->{params}, \%map) } if $rec;
        return { module => $module, function => $function,
                 params => %map ? _map_ids($params, \%map) : $params };
    }, $module);
    return $failure if $failure;
    my $r = $answers->[-1];
    if (%map) {    # the script keeps seeing the first ids it was given
        my %back = reverse %map;
        $r = _map_ids($r, \%back);
    }
    $self->_track_process($module, $function, $params, $r, $info) if $r->{success};
    return $r;
}

# Which recorded calls must run ahead of this one: all of its family's, in order, when it
# names one of their handles or uses a kind they made (the current handle).
sub _replay_plan {
    my ($self, $info, $params) = @_;
    my @recs = @{ $self->{precords} } or return ();
    my %ids = map { ($_->{id} => 1) } @recs;
    my $needed = 0;
    _walk_scalars($params, sub { $needed = 1 if exists $ids{ $_[0] } });
    if (!$needed && $info) {
        my %kinds = map { ($_->{kind} => 1) } @recs;
        $needed = grep { $kinds{$_} } @{ $info->{uses} || [] };
    }
    return () unless $needed;
    my $family = $info ? $info->{family} : undef;
    return grep { !defined $family || $_->{family} eq $family } @recs;
}

sub _id_of {
    my ($kind, $result) = @_;
    return () unless ref $result eq 'HASH';
    my $field = $ID_FIELD{$kind} // "${kind}_id";
    return ($field, $result->{$field}) if defined $result->{$field} && !ref $result->{$field};
    my @ids = grep { /_id\z/ && defined $result->{$_} && !ref $result->{$_} } keys %$result;
    return @ids == 1 ? ($ids[0], $result->{ $ids[0] }) : ();
}

# Records process-mode calls that made a rebuildable handle; forgets ended ones.
sub _track_process {
    my ($self, $module, $function, $params, $r, $info) = @_;
    my $res = $r->{result};
    # Only a result with an id can have made a handle; only a live record can be ended.
    return unless (ref $res eq 'HASH' && grep { /_id\z/ } keys %$res) || @{ $self->{precords} };
    $info //= $self->_function_info($module, $function) or return;
    # A call with side effects is never replayed (API.md 1.4): of the statements that
    # execute_statement makes, only a select is recorded (API.md section 4).
    my $side_effects = ref $res eq 'HASH' && defined $res->{statement_type}
        && $res->{statement_type} ne 'select';
    if ($info->{creates} && ($info->{mode} // '') eq 'R' && !$side_effects) {
        my ($field, $id) = _id_of($info->{creates}, $r->{result});
        push @{ $self->{precords} }, {
            id => $id, field => $field, kind => $info->{creates}, family => $info->{family},
            module => $module, function => $function, params => $params,
        } if defined $id;
    }
    if (my $kind = $info->{ends}) {
        my %named;
        _walk_scalars($params, sub { $named{ $_[0] } = 1 });
        my @recs = @{ $self->{precords} };
        my ($gone) = grep { $named{ $_->{id} } } @recs;
        ($gone) = grep { $_->{kind} eq $kind } reverse @recs unless $gone;
        $self->{precords} = [ grep { $_ != $gone } @recs ] if $gone;
    }
    return;
}

# Daemon mode: remembers the handles made there, which never travel into process mode.
sub _track_daemon {
    my ($self, $module, $function, $params, $r) = @_;
    my $res = $r->{result};
    my $maybe = (ref $res eq 'HASH' && grep { /_id\z/ } keys %$res) || %{ $self->{dhandles} };
    return unless $maybe;
    my $info = $self->_function_info($module, $function) or return;
    if (my $kind = $info->{creates}) {
        my (undef, $id) = _id_of($kind, $res);
        if (defined $id) { $self->{dhandles}{$id} = $kind; $self->{dcurrent}{$kind} = $id }
    }
    if (my $kind = $info->{ends}) {
        my $gone;
        _walk_scalars($params, sub { $gone = $_[0] if ($self->{dhandles}{ $_[0] } // '') eq $kind });
        $gone //= $self->{dcurrent}{$kind};
        if (defined $gone) {
            delete $self->{dhandles}{$gone};
            delete $self->{dcurrent}{$kind} if ($self->{dcurrent}{$kind} // '') eq $gone;
        }
    }
    return;
}

# Does this call need a handle that lives in the daemon (named, or current of a kind it uses)?
sub _needs_daemon {
    my ($self, $module, $function, $params) = @_;
    return 0 unless %{ $self->{dhandles} };
    my $named = 0;
    _walk_scalars($params, sub { $named = 1 if exists $self->{dhandles}{ $_[0] } });
    return 1 if $named;
    my $info = $self->_function_info($module, $function) or return 0;
    return scalar grep { defined $self->{dcurrent}{$_} } @{ $info->{uses} || [] };
}

# ---- Methods of the earlier client -----------------------------------------------------------

sub get_last_error         { return $_[0]{last_error} }

sub get_last_python_output { return $_[0]{last_output} }

sub get_performance_stats {
    my ($self) = @_;
    return { map { ($_ => { %{ $self->{perf}{$_} } }) } keys %{ $self->{perf} } };
}

sub clear_performance_stats { $_[0]{perf} = {}; return 1 }

sub _setter {
    my ($key, $var) = @_;
    return sub {
        my ($self, $v) = @_;
        if (ref $self) { $self->{$key} = $v } else { $$var = $v }
        return 1;
    };
}

sub set_debug {
    my ($self, $level) = @_;
    $DEBUG_LEVEL = $level // 0;
    $self->{debug} = $DEBUG_LEVEL if ref $self;
    return 1;
}

{
    no warnings 'once';
    *set_timeout       = _setter('timeout',       \$TIMEOUT);
    *set_max_json_size = _setter('max_json_size', \$MAX_JSON_SIZE);
    *set_retry_count   = _setter('retry_count',   \$RETRY_COUNT);
}

# Python settings: kept so that scripts that call them run unchanged; they do nothing now.

# Python settings: kept so that scripts that call them run unchanged; they do nothing now.
sub set_python_bridge_script { $PYTHON_BRIDGE_SCRIPT = $_[1]; return 1 }

sub set_python_path          { $PYTHON_PATH          = $_[1]; return 1 }

sub test_python_bridge {
    my ($self) = @_;
    $self = $self->new unless ref $self;
    my $r = $self->call_python('test', 'ping', {});
    return $r->{success} ? 1 : 0;
}

sub check_python_module {
    my ($self, $name) = @_;
    return 0 unless defined $name;
    $self = $self->new unless ref $self;
    my $cat = $self->_load_catalogue or return 0;
    return exists $cat->{mod}{$name} ? 1 : 0;
}

sub _safe_json_encode {
    my ($self, $data) = @_;
    my $json = eval { _json()->encode($data) };
    $self->{last_error} = "JSON encode failed: $@" if !defined $json && ref $self;
    return $json;
}

sub _safe_json_decode {
    my ($self, $text) = @_;
    return undef unless defined $text;
    utf8::encode($text) if utf8::is_utf8($text);    # the codec reads UTF-8 bytes
    my $data = eval { _json()->decode($text) };
    $self->{last_error} = "JSON decode failed: $@" if $@ && ref $self;
    return $data;
}

# The JSON module in use (loading it if needed).
sub json_backend { _json(); return $JSON_NAME }
CPANBRIDGE_DEFERRED_CODE
}

1;

__END__

=encoding utf8

=head1 NAME

CPANBridge - call the cpan-bridge C services (databases, HTTP, SFTP, Excel, XML, crypto, ...) from Perl

=head1 SYNOPSIS

    use CPANBridge;

    my $bridge = CPANBridge->new();
    my $r = $bridge->call_python('database', 'connect', { dsn => 'dbi:Pg:dbname=app' });
    die "$r->{error_code}: $r->{error}" unless $r->{success};
    my $id = $r->{result}{connection_id};     # the whole response, not only the result

    my $same = $bridge->call('test', 'ping', { hello => 'world' });   # call == call_python
    print $bridge->mode, "\n";                # 'daemon' or 'process'

=head1 DESCRIPTION

cpan-bridge gives Perl jobs on hosts that may not install CPAN modules what those modules
gave, through a suite of small C services. This module is its client. It talks to the
router over one Unix socket (B<daemon mode>), or, when the router cannot be reached or
C<$CPANBridge::DAEMON_MODE> is 0, runs F<cpan-bridge-exec> once per call (B<process mode>).
See F<docs/DESIGN.md> and F<docs/API.md> for every module and function.

Loading the module is cheap, since most jobs are short scripts: C<use CPANBridge> loads no
other module. The JSON module is loaded by the first call (and the core Socket module,
except on x86_64 and aarch64 Linux, whose socket constants the client knows),
Time::HiRes by the second (so a script that calls once does not pay for it), and the code
that a plain daemon-mode call never needs (process mode, fallback, the catalogue, the earlier
client's methods) is compiled when first used.

=head1 METHODS

=head2 new(%options)

    my $bridge = CPANBridge->new(debug => 1, timeout => 600);
    my $other  = $bridge->new();              # callable on an object too

Options (each defaults to the package variable of the same meaning, read at call time):
C<debug> ($DEBUG_LEVEL), C<timeout> ($TIMEOUT), C<max_json_size> ($MAX_JSON_SIZE),
C<retry_count> ($RETRY_COUNT), C<socket> ($DAEMON_SOCKET), C<exec> ($EXEC),
C<daemon_mode> ($DAEMON_MODE), C<fallback> ($FALLBACK_ENABLED), C<channels> ($CHANNELS).

Each object is one B<session>: a random 128-bit token sent with every request, and one
persistent connection to the router, opened on the first call. Live state (database
connections, workbooks, ...) belongs to the session; it ends when the object is destroyed or
the script exits. A forked child or a new ithread that inherits an object gets a new token
and a new connection on its first call: it never shares the parent's session.

=head2 call_python($module, $function, \%params), call(...)

Returns the whole response as a hash reference, without the wire C<id>:

    { success => 1, result => {...} }
    { success => 0, error => 'text', error_code => 'E_...', retryable => 0,
      backend_error => {...}, retry_after_ms => N, outcome_unknown => 1 }

B<Changed from the earlier client:> on success it returned only the inner result. Code that
read C<< $r->{connection_id} >> must now read C<< $r->{result}{connection_id} >>.

Failures found by the client itself have the same shape, e.g. C<E_UNAVAILABLE> with
C<retryable> 1 when the router cannot be reached and fallback is off, C<E_DENIED> when the
socket refuses us (EACCES) or is served by an unexpected user, C<E_TIMEOUT> when no answer
came within C<$TIMEOUT> seconds.

C<path> parameters (by the catalogue) that are relative are made absolute against the
script's working directory, and so are the C<file> keys of C<attachments> and C<multipart>
elements. The session environment (TZ, LANG, LC_*, http_proxy, https_proxy, HTTPS_PROXY,
all_proxy, ALL_PROXY, no_proxy, NO_PROXY, KRB5CCNAME, KRB5_CONFIG, the umask and the working
directory) is sent
with the first request on each connection, so daemon mode answers as the script would.

=head2 mode

C<'daemon'> or C<'process'>: which mode answered the last call (before any call, the mode
that will be tried first).

=head2 session_token

The session's token (32 lowercase hex digits).

=head2 get_last_error

The error text of the last call, or the fallback notice when the last call was answered by
process mode after daemon mode failed; undef after a plain success.

=head2 get_last_python_output

The JSON text of the answers read from cpan-bridge-exec in the last process-mode call (one per
line when handles were replayed).

=head2 get_performance_stats, clear_performance_stats

C<get_performance_stats> returns C<< { "module.function" => { last_duration, call_count,
last_attempts, last_mode } } >>. C<last_duration> is in seconds (whole seconds for the first
call of a process, which runs before Time::HiRes is loaded); C<last_attempts> counts the
requests the last call wrote to the router, so a repeated request shows as 2 and one that was
never repeated as 1; C<last_mode> is the mode that answered it.

=head2 set_debug($n), set_timeout($s), set_max_json_size($n), set_retry_count($n)

On an object they set that object's option; as class methods they set the package variable.
C<set_debug> always sets C<$DEBUG_LEVEL> too, as before.

=head2 test_python_bridge

1 when C<test.ping> succeeds (the earlier client always returned 0 here), else 0.

=head2 check_python_module($name)

1 when C<$name> is a module (or module alias) of the catalogue, else 0.

=head2 set_python_bridge_script($path), set_python_path($path)

B<No-ops now> (there is no Python); they store the value in C<$PYTHON_BRIDGE_SCRIPT> or
C<$PYTHON_PATH> and return 1, and never croak, so that existing scripts run unchanged.

=head2 _safe_json_encode($data), _safe_json_decode($text), _debug($msg, $level)

Kept from the earlier client for its tests. Encode returns UTF-8 JSON bytes, or undef (the
reason in C<get_last_error>); decode takes JSON text or bytes and returns the data or undef.
C<_debug> prints C<[localtime] CPANBridge DEBUG (caller): msg> on STDERR when the debug level
is at least C<$level> (default 1).

=head2 DESTROY

Closes the object's connection, which ends its session (unless the object is a copy in a
forked child or another thread, which leaves the parent's connection alone).

=head1 FUNCTIONS

=head2 CPANBridge::binary($bytes), CPANBridge::unbinary($value)

C<binary> wraps bytes as C<< { '$base64' => '...' } >>, the form in which values that are not
text travel. C<unbinary> opens such a marker into bytes; a plain string gives its UTF-8 bytes;
undef stays undef.

=head2 CPANBridge::json_backend

The JSON module in use: Cpanel::JSON::XS if installed, else JSON::XS, else the core JSON::PP
(about 20 times slower and 18 ms to load; install one of the XS modules). C<$JSON_MODULE> or
C<CPAN_BRIDGE_JSON> names a preferred one.

=head1 PACKAGE VARIABLES

All can be changed at run time; environment variables are read when the module loads.

=over 4

=item $CPANBridge::DAEMON_MODE (default 1, env CPAN_BRIDGE_DAEMON)

1: use the router first. 0: process mode only.

=item $CPANBridge::FALLBACK_ENABLED (default 1, env CPAN_BRIDGE_FALLBACK)

1: when the router cannot take a request, answer it in process mode.

=item $CPANBridge::CHANNELS (default 1, env CPAN_BRIDGE_CHANNELS)

1: for each family it calls, the object asks the router once for a B<channel>: the router
checks the caller, then hands the connection to the caller's instance of that family,
which answers it directly from then on (about twice as fast as a relayed call, and
untouched by a router restart). 0: every call goes through the router. A refused channel
(root, an older router) means the router relays, with no message.

=item $CPANBridge::DAEMON_SOCKET (env CPAN_BRIDGE_SOCKET; empty means the default)

Default F</run/cpan-bridge/cpan-bridge.sock>. B<Changed:> the earlier default
F</tmp/cpan_bridge.sock> is gone, since any local user could create a fixed name in /tmp
first and receive everyone's requests. After connecting, the client checks the server's
credentials (SO_PEERCRED) and accepts only root, the service user C<cpanbridge> or its own
uid; otherwise the call fails with E_DENIED and nothing is sent.

=item $CPANBridge::DAEMON_TIMEOUT (default 5, env CPAN_BRIDGE_DAEMON_TIMEOUT)

Connect timeout in seconds (the earlier default was 30); also how long a call that needs a
daemon-mode handle keeps trying to reach the router.

=item $CPANBridge::TIMEOUT (default 300; the earlier default was 60)

Request timeout in seconds, for both modes; 0 means none. It is also sent as C<timeout_ms>.

=item $CPANBridge::RETRY_COUNT (default 3)

Bounds the retries, which happen only where the rules below allow.

=item $CPANBridge::MAX_JSON_SIZE (default 10_000_000)

As before, only a debug message when a request is larger; nothing is rejected (the router's
limit is 16 MiB a frame).

=item $CPANBridge::DEBUG_LEVEL (default 0)

>0 prints debug lines on STDERR, >1 also the first 200 characters of each answer, >2 each
request's JSON.

=item $CPANBridge::EXEC (env CPAN_BRIDGE_EXEC)

Process-mode program, default F</usr/libexec/cpan-bridge/cpan-bridge-exec>. When the
catalogue names the module's family and that family's daemon sits beside it
(F<cpan-bridge-core> and so on), the client runs that daemon in one-shot mode directly,
which saves the front's own start-up on every call; the answers are the same.

=item $CPANBridge::CATALOGUE (env CPAN_BRIDGE_CATALOGUE)

The catalogue document (parameter types, idempotency, process-mode classes). Searched in
order: this variable, F<catalogue.json> beside CPANBridge.pm,
F</usr/share/cpan-bridge/catalogue.json>, F<catalogue.json> beside C<$EXEC>; else
C<system.catalogue> from the router, else C<$EXEC --dump-catalogue>. It is loaded only when
needed (a call with parameters, a fallback decision, a handle).

=item $CPANBridge::UTF8_BYTES (default 1)

See L</Text>.

=item $CPANBridge::VERSION

3.00; sent as C<client_version>.

=item No-ops kept for existing scripts

C<$PYTHON_BRIDGE_SCRIPT> (env CPAN_BRIDGE_SCRIPT), C<$PYTHON_PATH>,
C<$DAEMON_SCRIPT> (env CPAN_BRIDGE_DAEMON_SCRIPT) and C<$DAEMON_STARTUP_TIMEOUT>
(default 10, env CPAN_BRIDGE_STARTUP_TIMEOUT): there is no Python interpreter or script any
more, and the client never starts a daemon (systemd socket activation does). C<new> no longer
croaks when no bridge script is found.

=back

=head1 FALLBACK AND RETRIES

The client retries or falls back to process mode only when a request was B<not delivered>:
the socket is missing (ENOENT) or refuses (ECONNREFUSED), the connection broke before the
request was fully written, or the router answered E_UNAVAILABLE with C<retryable> (root and
system accounts, which instances never serve, get that answer and use process mode). A call
that the catalogue marks B<idempotent> may also be repeated after a lost answer (its
connection broke after the request was written, or the router answered E_UNAVAILABLE with
C<outcome_unknown>), up to C<$RETRY_COUNT> times in daemon mode and then in process mode. It never
falls back after an answered error, and never on EACCES (E_DENIED, shown to the script).
E_THROTTLED is retried after C<retry_after_ms>. A kept connection that the router closed
while the script was idle (a router restart, which loses no handle) fails when the next
request is written, so that request was not delivered: it is sent again on a new connection
with the same session token, and the session carries on.

A non-idempotent call lost in flight (its instance died after the request was written) is
never repeated: it answers E_UNAVAILABLE with C<outcome_unknown> 1 and C<retryable> 0, since it
may or may not have taken effect.

When it falls back, the client warns once on STDERR (once per outage: after daemon mode has
answered again, a new outage is reported again) and puts the notice in C<get_last_error>. Every later call tries the socket again first (a failed connect costs
microseconds), so daemon mode comes back by itself once the router answers.

=head2 Handles and process mode

Process mode keeps nothing between runs. Calls of class D (daemon only) fail there with
E_HANDLE. Calls of class R that create a handle are recorded in the object (their parameters,
secrets included, stay in memory, never on disk) and replayed ahead of a later call that
names the handle or uses its kind, in the same cpan-bridge-exec run; the script keeps seeing
the first id it was given. A session with such handles stays in process mode until they end.

A handle made in daemon mode is never used in process mode: if the router is down, a call
that names it (or uses the current handle of its kind) keeps trying to connect for
C<$DAEMON_TIMEOUT> seconds, then answers E_UNAVAILABLE with C<retryable> 1.

=head1 Text

Perl character strings travel as UTF-8 and come back as character strings: any Unicode
(CJK, emoji), NUL bytes and control characters round-trip exactly, as do numbers (a number
stays a JSON number, a string a JSON string), undef (null), booleans (JSON::PP::Boolean,
which prints as 1 and 0) and nested data. A byte string (no UTF-8 flag, as in a script
without C<use utf8>) that holds valid UTF-8 is sent as the text it encodes, so that it is
never encoded twice; other byte strings are read as Latin-1, as Perl does. Set
C<$CPANBridge::UTF8_BYTES = 0> to send every byte string as Latin-1. Use C<binary()> for
bytes that are not text.

=head1 SEE ALSO

F<docs/DESIGN.md>, F<docs/API.md>, cpan-bridge-dev(1) for a suite without systemd.

=cut
