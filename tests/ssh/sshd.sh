#!/bin/bash
# SPDX-License-Identifier: MIT
# A throwaway OpenSSH server on loopback for the SFTP tests, with its own host key, password and
# public key authentication and the internal SFTP server. Password authentication needs real
# accounts, so it creates two test users, and therefore needs root.
#
#   tests/ssh/sshd.sh start [DIR]   prints SSHD_DIR= SSHD_HOST= SSHD_PORT= SSHD_KNOWN_HOSTS=
#                                   SSHD_KNOWN_HOSTS_CHANGED= SSHD_LOG= SFTP_PW_USER=
#                                   SFTP_PASSWORD= SFTP_KEY_USER= SFTP_KEY_FILE=
#                                   SFTP_PASS_KEY_FILE= SFTP_RSA_KEY_FILE= SFTP_RSA_PASSPHRASE=
#                                   SFTP_PW_HOME=
#                                   SFTP_KEY_HOME= (one KEY=VALUE a line)
#   tests/ssh/sshd.sh stop DIR      stops the server and its sessions, removes the users this run
#                                   created, and removes DIR
#
# SFTP_PW_USER logs in with SFTP_PASSWORD only. SFTP_KEY_USER has no usable password and logs in
# with SFTP_KEY_FILE (ed25519, no passphrase), SFTP_PASS_KEY_FILE (ed25519 encrypted with
# SFTP_RSA_PASSPHRASE) or SFTP_RSA_KEY_FILE (RSA 3072 in the old PEM format, encrypted with the
# same passphrase). SSHD_KNOWN_HOSTS holds the server's host key
# under "[127.0.0.1]:PORT"; SSHD_KNOWN_HOSTS_CHANGED holds another key under the same name, for
# the changed-host-key case. Each home has data/hello.txt ("hello from sftp\n") and secret.txt,
# which only root may read. SSHD_LOG (LogLevel VERBOSE) has a "Connection from" line per
# connection and an "Accepted password|publickey for USER" line per login; it is empty when start
# returns. The port is picked per run, so several runs can share a machine, but the user names
# are fixed: runs that overlap share the accounts, and the latest start sets the password.
set -euo pipefail

# Resolved, so that the library is found beside the real file also through a symlink.
HERE=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
# shellcheck source-path=SCRIPTDIR source=../net/servers-lib.sh
. "$HERE/../net/servers-lib.sh"

say() { echo "sshd: $*" >&2; }

SSHD=/usr/sbin/sshd
PW_USER=cbsftp-pw
KEY_USER=cbsftp-key
RSA_PASSPHRASE=key-pass-123

find_tools() {
    [ "$(id -u)" -eq 0 ] || { say "needs root (it creates the test users $PW_USER and $KEY_USER)"; exit 77; }
    # sshd refuses to re-exec itself for each connection unless started by its absolute path,
    # so the path is fixed rather than looked up.
    [ -x "$SSHD" ] || { say "no $SSHD (install openssh-server)"; exit 77; }
    local t
    for t in ssh-keygen ssh-keyscan; do
        command -v "$t" >/dev/null || { say "no $t binary (install openssh-client)"; exit 77; }
    done
    for t in useradd userdel usermod chpasswd; do
        command -v "$t" >/dev/null || { say "no $t binary (install passwd)"; exit 77; }
    done
}

# "pid starttime" of every process below $1, children before their own children, so that a
# session's processes can still be found after the listener that forked them is gone.
descendants() {
    local k
    for k in $(pgrep -P "$1" || true); do
        echo "$k $(start_time "$k")"
        descendants "$k"
    done
}

# The listener does not take its sessions with it when it goes, and a session left behind would
# keep its user's account busy for userdel.
stop_server() {
    local file=$1/sshd.run pid st kids=() k
    [ -s "$file" ] || return 0
    read -r pid st <"$file" || return 0
    alive "$pid" "$st" || return 0
    mapfile -t kids < <(descendants "$pid")
    kill -TERM "$pid" 2>/dev/null || true
    for k in "${kids[@]}"; do
        # shellcheck disable=SC2086 # "pid starttime", split on purpose
        alive $k && kill -TERM "${k% *}" 2>/dev/null
    done
    if ! gone_within "$pid" "$st" 50; then
        say "pid $pid ignored SIGTERM for 5 s, killing it"
        kill -KILL "$pid" 2>/dev/null || true
        gone_within "$pid" "$st" 20 || say "pid $pid is still there"
    fi
    for k in "${kids[@]}"; do
        # shellcheck disable=SC2086
        gone_within $k 20 && continue
        kill -KILL "${k% *}" 2>/dev/null || true
        # shellcheck disable=SC2086
        gone_within $k 20 || say "pid ${k% *} (session of $pid) is still there"
    done
    return 0
}

# Only the accounts named in DIR/users-created go: one that existed before this run may be
# someone's, or another run's that is still using it.
remove_users() {
    local file=$1/users-created u rc
    [ -s "$file" ] || return 0
    while read -r u; do
        if [ -z "$u" ] || ! getent passwd "$u" >/dev/null; then continue; fi
        rc=0
        userdel -r "$u" 2>"$1/userdel.log" || rc=$?
        # 8: a process of the user still runs, e.g. a session the test left open. userdel -r
        # also reports a missing mail spool, which is harmless, so its stderr is kept quiet.
        if [ "$rc" -eq 8 ]; then
            pkill -KILL -u "$u" || true
            sleep 0.2
            rc=0
            userdel -r "$u" 2>"$1/userdel.log" || rc=$?
        fi
        if [ "$rc" -ne 0 ]; then
            say "userdel -r $u failed ($rc):"
            cat "$1/userdel.log" >&2
        fi
    done <"$file"
    rm -f "$file"
}

stop_all() {
    stop_server "$1"
    remove_users "$1"
}

# Adds the user unless it exists, and records it only if this run was the one to add it.
make_user() {
    local u=$1 rc=0
    getent passwd "$u" >/dev/null && return 0
    useradd -m -s /bin/bash "$u" >"$SSHD_DIR/useradd.log" 2>&1 || rc=$?
    case "$rc" in
        0) echo "$u" >>"$SSHD_DIR/users-created" ;;
        # 9: the name was taken meanwhile, by a run starting at the same time.
        9) ;;
        *) FAIL_WHY="useradd $u failed ($rc)" FAIL_LOG=$SSHD_DIR/useradd.log; return 1 ;;
    esac
}

home_of() { getent passwd "$1" | cut -d: -f6; }

# Written afresh, also for an account that existed before, so that the tests can rely on the
# contents. A file is removed before it is written, so a symlink left in a home cannot turn
# root's write into a write elsewhere.
fill_home() {
    local u=$1 home g
    home=$(home_of "$u")
    g=$(id -gn "$u")
    [ -d "$home" ] || { FAIL_WHY="the home of $u ($home) does not exist"; return 1; }
    rm -f "$home/data/hello.txt" "$home/secret.txt"
    install -d -o "$u" -g "$g" -m 0755 "$home/data"
    printf 'hello from sftp\n' >"$home/data/hello.txt"
    chown "$u:$g" "$home/data/hello.txt"
    chmod 0644 "$home/data/hello.txt"
    (umask 077 && printf 'only root may read this\n' >"$home/secret.txt")
    chown root:root "$home/secret.txt"
}

make_keys() {
    local d=$1 f
    # ssh-keygen asks before overwriting, which a DIR used twice would otherwise run into.
    for f in hostkey other_hostkey client_ed25519 client_ed25519_pass client_rsa; do
        rm -f "$d/$f" "$d/$f.pub"
    done
    {
        ssh-keygen -q -t ed25519 -N '' -C cb-sshd-host -f "$d/hostkey" &&
        ssh-keygen -q -t ed25519 -N '' -C cb-sshd-other-host -f "$d/other_hostkey" &&
        ssh-keygen -q -t ed25519 -N '' -C cb-sshd-client -f "$d/client_ed25519" &&
        ssh-keygen -q -t ed25519 -N "$RSA_PASSPHRASE" -C cb-sshd-client-pass -f "$d/client_ed25519_pass" &&
        # PEM ("BEGIN RSA PRIVATE KEY" with a DEK-Info header) is the format that libssh2 reads
        # with any of its crypto backends, unlike OpenSSH's own encrypted format.
        ssh-keygen -q -t rsa -b 3072 -m PEM -N "$RSA_PASSPHRASE" -C cb-sshd-client-rsa -f "$d/client_rsa"
    } </dev/null >"$d/ssh-keygen.log" 2>&1
}

# A random port below Linux's default ephemeral range (32768-60999), so that the kernel's own
# choices for outgoing connections rarely hold it. Ports something listens on are skipped; one
# taken between the pick and sshd's bind makes launch try again.
pick_port() {
    local p used
    used=" $(tail -q -n +2 /proc/net/tcp /proc/net/tcp6 2>/dev/null |
        while read -r _ local _ st _; do [ "$st" = 0A ] && echo $((16#${local##*:})); done |
        tr '\n' ' ') "
    for _ in $(seq 50); do
        p=$((20000 + RANDOM % 12768))
        [[ $used == *" $p "* ]] || { echo "$p"; return 0; }
    done
    echo "$p"
}

write_config() {
    local d=$1 port=$2
    cat >"$d/sshd_config" <<CFG
Port $port
ListenAddress 127.0.0.1
HostKey $d/hostkey
PidFile $d/sshd.pid
# Only the test accounts: this server must never let anyone else in, root least of all.
AllowUsers $PW_USER $KEY_USER
PermitRootLogin no
AuthorizedKeysFile $d/ak/%u
PubkeyAuthentication yes
PasswordAuthentication yes
PermitEmptyPasswords no
KbdInteractiveAuthentication no
# Without PAM sshd checks /etc/shadow itself, and needs no PAM service configured for it.
UsePAM no
# DIR is under /tmp, which is world-writable; StrictModes would reject keys kept there.
StrictModes no
Subsystem sftp internal-sftp
LogLevel VERBOSE
# Tests open connections in bursts and several channels per connection; the defaults (10:30:100
# and 10) would refuse some of them at random, which would look like a client bug.
MaxStartups 100
MaxSessions 100
MaxAuthTries 10
LoginGraceTime 30
UseDNS no
PrintMotd no
X11Forwarding no
CFG
}

# 0: the port gave the host key we made; 1: sshd died; 2: no answer within 10 s.
# ssh-keyscan reads the banner and goes on through the key exchange, which proves that this is
# our sshd on the port, with our host key, and yields the known_hosts line as ssh would write it.
wait_banner() {
    local pid=$1 st=$2 port=$3 deadline
    deadline=$(($(now_us) + 10000000))
    while (($(now_us) < deadline)); do
        alive "$pid" "$st" || return 1
        if ssh-keyscan -T 2 -t ed25519 -p "$port" 127.0.0.1 >"$SSHD_DIR/keyscan.out" 2>"$SSHD_DIR/keyscan.log" &&
            [ "$(cut -d' ' -f3 "$SSHD_DIR/keyscan.out")" = "$(cut -d' ' -f2 "$SSHD_DIR/hostkey.pub")" ]; then
            return 0
        fi
        sleep 0.05
    done
    return 2
}

# Waits up to 2 s for the probe's connection to end, so that its lines are in the log before
# the log is emptied.
wait_no_sessions() {
    local i
    for ((i = 0; i < 20; i++)); do
        pgrep -P "$1" >/dev/null || return 0
        sleep 0.1
    done
    return 0
}

# sshd forks into the background before it binds, and writes the pid file only once it listens,
# so neither its exit status nor the pid file tells at once that the port was taken; its log does.
# 0: pid file written; 1: the port was in use; 2: neither within 10 s.
wait_pidfile() {
    local d=$1 deadline
    deadline=$(($(now_us) + 10000000))
    while (($(now_us) < deadline)); do
        [ -s "$d/sshd.pid" ] && return 0
        grep -q 'Address already in use' "$d/sshd.log" && return 1
        sleep 0.02
    done
    return 2
}

# Retried with a fresh port when the port was taken between pick_port and sshd's bind.
launch() {
    local d=$1 port rc pid st
    for _ in 1 2 3 4 5; do
        port=$(pick_port)
        write_config "$d" "$port"
        rm -f "$d/sshd.pid" "$d/sshd.run"
        : >"$d/sshd.log"
        rc=0
        # The configuration and the host key are checked before the fork, so their errors
        # come back here, with the reason in the log.
        "$SSHD" -f "$d/sshd_config" -E "$d/sshd.log" </dev/null || rc=$?
        [ "$rc" -eq 0 ] || { FAIL_WHY="sshd would not start ($rc)"; return 1; }
        rc=0
        wait_pidfile "$d" || rc=$?
        [ "$rc" -ne 1 ] || continue
        [ "$rc" -eq 0 ] || { FAIL_WHY="sshd wrote no pid file within 10 s"; return 1; }
        read -r pid <"$d/sshd.pid"
        record_pid "$d/sshd.run" "$pid"
        read -r pid st <"$d/sshd.run"
        rc=0
        wait_banner "$pid" "$st" "$port" || rc=$?
        case "$rc" in
            0) SSHD_PORT=$port; break ;;
            1) FAIL_WHY="sshd exited during start"; return 1 ;;
            *) FAIL_WHY="sshd on port $port did not answer with our host key within 10 s"
               cat "$d/keyscan.log" >&2; return 1 ;;
        esac
    done
    [ -n "${SSHD_PORT:-}" ] || { FAIL_WHY="every port tried was in use"; return 1; }
    wait_no_sessions "$pid"
}

start() {
    find_tools
    # Everything start runs goes to stderr; only the final KEY=VALUE lines reach stdout, so a
    # failed start prints nothing there, whichever command it was that talked.
    exec 3>&1 1>&2
    # Global, not local: the EXIT trap below may run after start's frame is gone.
    SSHD_DIR=${1:-$(mktemp -d /tmp/cb-sshd.XXXXXX)}
    mkdir -p "$SSHD_DIR"
    # The session processes run as the test users and must still reach the keys in ak/.
    chmod 0755 "$SSHD_DIR"
    SSHD_LOG=$SSHD_DIR/sshd.log
    FAIL_WHY="start failed" FAIL_LOG=$SSHD_LOG
    rm -f "$SSHD_DIR/users-created"
    # Whatever ends start early, set -e included, must not leave the server, users or DIR behind.
    trap 'rc=$?; [ $rc -eq 0 ] || { stop_all "$SSHD_DIR"; say "$FAIL_WHY";
          [ -z "$FAIL_LOG" ] || [ ! -s "$FAIL_LOG" ] || tail -n 20 "$FAIL_LOG" >&2;
          remove_dir "$SSHD_DIR"; }' EXIT
    # sshd's unprivileged pre-authentication child chroots there and sshd will not run without it.
    # Other runs may be using it, and the package's tmpfiles entry would make it anyway at boot,
    # so stop leaves it.
    [ -d /run/sshd ] || install -d -m 0755 /run/sshd

    if ! make_keys "$SSHD_DIR"; then
        FAIL_WHY="ssh-keygen could not make the keys" FAIL_LOG=$SSHD_DIR/ssh-keygen.log
        exit 1
    fi
    # Called bare, not with "|| exit": bash ignores set -e inside a function called that way, and
    # these rely on it. A failure ends start through the trap, with FAIL_WHY as the reason.
    make_user "$PW_USER"
    make_user "$KEY_USER"
    FAIL_WHY="could not set up the accounts"
    SFTP_PASSWORD=cb-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
    echo "$PW_USER:$SFTP_PASSWORD" | chpasswd
    # "*", not useradd's "!": without PAM, sshd takes a password field starting with "!" for a
    # locked account and refuses even public key logins to it.
    usermod -p '*' "$KEY_USER"
    FAIL_WHY="could not prepare the homes"
    fill_home "$PW_USER"
    fill_home "$KEY_USER"
    install -d -m 0755 "$SSHD_DIR/ak"
    cat "$SSHD_DIR/client_ed25519.pub" "$SSHD_DIR/client_ed25519_pass.pub" "$SSHD_DIR/client_rsa.pub" \
        >"$SSHD_DIR/ak/$KEY_USER"
    chmod 0644 "$SSHD_DIR/ak/$KEY_USER"

    launch "$SSHD_DIR"
    cp "$SSHD_DIR/keyscan.out" "$SSHD_DIR/known_hosts"
    echo "[127.0.0.1]:$SSHD_PORT $(cut -d' ' -f1-2 "$SSHD_DIR/other_hostkey.pub")" \
        >"$SSHD_DIR/known_hosts_changed"
    # The probe's lines; the tests' own connections start from an empty log. sshd opens the log
    # with O_APPEND, so it goes on writing at the new end.
    : >"$SSHD_LOG"
    trap - EXIT
    exec 1>&3 3>&-
    echo "SSHD_DIR=$SSHD_DIR"
    echo "SSHD_HOST=127.0.0.1"
    echo "SSHD_PORT=$SSHD_PORT"
    echo "SSHD_KNOWN_HOSTS=$SSHD_DIR/known_hosts"
    echo "SSHD_KNOWN_HOSTS_CHANGED=$SSHD_DIR/known_hosts_changed"
    echo "SSHD_LOG=$SSHD_LOG"
    echo "SFTP_PW_USER=$PW_USER"
    echo "SFTP_PASSWORD=$SFTP_PASSWORD"
    echo "SFTP_KEY_USER=$KEY_USER"
    echo "SFTP_KEY_FILE=$SSHD_DIR/client_ed25519"
    echo "SFTP_PASS_KEY_FILE=$SSHD_DIR/client_ed25519_pass"
    echo "SFTP_RSA_KEY_FILE=$SSHD_DIR/client_rsa"
    echo "SFTP_RSA_PASSPHRASE=$RSA_PASSPHRASE"
    echo "SFTP_PW_HOME=$(home_of "$PW_USER")"
    echo "SFTP_KEY_HOME=$(home_of "$KEY_USER")"
}

stop() {
    local dir=${1:?usage: $0 stop DIR}
    stop_all "$dir"
    remove_dir "$dir"
}

case "${1:-}" in
    start) shift; start "$@" ;;
    stop) shift; stop "$@" ;;
    *) echo "usage: $0 start [DIR] | stop DIR" >&2; exit 2 ;;
esac
