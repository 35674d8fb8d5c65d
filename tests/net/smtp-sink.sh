#!/bin/bash
# SPDX-License-Identifier: MIT
# A throwaway SMTP server on loopback for the mail tests: tests/net/smtp-sink.py (aiosmtpd) accepts
# every message and stores it in a Maildir, which tests/net/read-mail.py turns into JSON. It
# listens three times: plain (no TLS, no AUTH), STARTTLS with AUTH required, and implicit TLS
# (SMTPS) with AUTH required, with a certificate from a CA made for this run only.
#
#   tests/net/smtp-sink.sh start [DIR]   prints SMTP_DIR= SMTP_HOST= SMTP_PORT= MAILDIR=
#                                        SMTP_TLS_PORT= SMTPS_PORT= SMTP_CA_FILE= SMTP_USER=
#                                        SMTP_PASSWORD= SMTP_LOG= (one KEY=VALUE a line)
#   tests/net/smtp-sink.sh stop DIR      stops the server and removes DIR
#
# aiosmtpd adds X-Peer, X-MailFrom and X-RcptTo headers with the envelope to each stored message.
# A recipient whose local part starts with "refuse" gets 550. SMTP_LOG has a CONNECT line per
# connection and a SESSION line per finished session (formats in smtp-sink.py), so a test can
# prove from the server side how many connections it used and what each did; it is empty when
# start returns. The ports are picked per run, so several runs can share a machine.
set -euo pipefail

# Resolved, so that the library is found beside the real file also through a symlink.
HERE=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
# shellcheck source-path=SCRIPTDIR source=servers-lib.sh
. "$HERE/servers-lib.sh"

say() { echo "smtp-sink: $*" >&2; }

find_tools() {
    command -v openssl >/dev/null || { say "no openssl binary (install openssl)"; exit 77; }
    PY=$(find_python aiosmtpd) || { say "no python3 with aiosmtpd (install python3-aiosmtpd)"; exit 77; }
}

stop_server() {
    local file=$1/smtp.run pid st
    [ -s "$file" ] || return 0
    read -r pid st <"$file" || return 0
    alive "$pid" "$st" || return 0
    kill -TERM "$pid" 2>/dev/null || true
    if ! gone_within "$pid" "$st" 50; then
        say "pid $pid ignored SIGTERM for 5 s, killing it"
        kill -KILL "$pid" 2>/dev/null || true
        gone_within "$pid" "$st" 20 || say "pid $pid is still there"
    fi
    # Reaps it when start is the parent; after start has exited init does that, in its own time.
    wait "$pid" 2>/dev/null || true
}

# The server binds port 0 itself and writes what it got to DIR/ports once all three listeners
# accept connections, so no other process can take a port between choosing and binding it.
# 0: read into PORTS; 1: the process died; 2: no file within 10 s.
wait_ports() {
    local pid st deadline
    read -r pid st <"$SMTP_DIR/smtp.run"
    deadline=$(($(now_us) + 10000000))
    while (($(now_us) < deadline)); do
        if [ -s "$SMTP_DIR/ports" ]; then
            read -r -a PORTS <"$SMTP_DIR/ports"
            return 0
        fi
        alive "$pid" "$st" || return 1
        sleep 0.05
    done
    return 2
}

# Reading each 220 greeting, and on the TLS listeners verifying the certificate against ca.pem,
# shows that the SMTP side works, not only the sockets. Each probe ends with QUIT, and the
# server writes its log lines before answering that, so none are still to come afterwards.
probe() {
    "$PY" - "$SMTP_DIR/ca.pem" "${PORTS[@]}" <<'PY'
import smtplib, ssl, sys
ca, plain, starttls, smtps = sys.argv[1:]
ctx = ssl.create_default_context(cafile=ca)
# local_hostname: else smtplib asks DNS for this machine's name every time.
opts = dict(local_hostname="localhost", timeout=2)
with smtplib.SMTP("127.0.0.1", int(plain), **opts):
    pass
with smtplib.SMTP("127.0.0.1", int(starttls), **opts) as s:
    s.starttls(context=ctx)
with smtplib.SMTP_SSL("127.0.0.1", int(smtps), context=ctx, **opts):
    pass
PY
}

# 0: every listener greeted; 1: the process died; 2: not all of them within 10 s.
wait_greetings() {
    local pid st deadline
    read -r pid st <"$SMTP_DIR/smtp.run"
    deadline=$(($(now_us) + 10000000))
    while (($(now_us) < deadline)); do
        alive "$pid" "$st" || return 1
        probe >"$SMTP_DIR/probe.log" 2>&1 && return 0
        sleep 0.05
    done
    return 2
}

start() {
    local rc=0
    find_tools
    # Global, not local: the EXIT trap below may run after start's frame is gone.
    SMTP_DIR=${1:-$(mktemp -d /tmp/cb-smtp.XXXXXX)}
    mkdir -p "$SMTP_DIR"
    chmod 0755 "$SMTP_DIR"
    FAIL_WHY="start failed" FAIL_LOG=
    # Whatever ends start early, set -e included, must not leave the server or DIR behind.
    trap 'rc=$?; [ $rc -eq 0 ] || { stop_server "$SMTP_DIR"; say "$FAIL_WHY";
          [ -z "$FAIL_LOG" ] || tail -n 20 "$FAIL_LOG" >&2; remove_dir "$SMTP_DIR"; }' EXIT
    if ! make_certs "$SMTP_DIR" "cpan-bridge throwaway SMTP test CA"; then
        FAIL_WHY="openssl could not make the certificates" FAIL_LOG=$SMTP_DIR/openssl.log
        exit 1
    fi
    # A DIR given again must not offer the last run's ports before this run has bound its own.
    rm -f "$SMTP_DIR/ports"
    : >"$SMTP_DIR/smtp.log"
    : >"$SMTP_DIR/server.log"
    (cd "$SMTP_DIR" && PYTHONUNBUFFERED=1 exec "$PY" "$HERE/smtp-sink.py" "$SMTP_DIR") \
        </dev/null >>"$SMTP_DIR/server.log" 2>&1 &
    record_pid "$SMTP_DIR/smtp.run" $!
    FAIL_LOG=$SMTP_DIR/server.log
    wait_ports || rc=$?
    if [ "$rc" -ne 0 ]; then
        [ "$rc" -eq 1 ] && FAIL_WHY="smtp-sink.py exited during start" ||
            FAIL_WHY="smtp-sink.py wrote no ports within 10 s"
        exit 1
    fi
    wait_greetings || rc=$?
    if [ "$rc" -ne 0 ]; then
        if [ "$rc" -eq 1 ]; then
            FAIL_WHY="smtp-sink.py exited during start"
        else
            FAIL_WHY="not every listener greeted within 10 s (ports ${PORTS[*]})"
            FAIL_LOG=$SMTP_DIR/probe.log
        fi
        exit 1
    fi
    # The probes' lines; the tests' own connections start from an empty log.
    : >"$SMTP_DIR/smtp.log"
    trap - EXIT
    echo "SMTP_DIR=$SMTP_DIR"
    echo "SMTP_HOST=127.0.0.1"
    echo "SMTP_PORT=${PORTS[0]}"
    echo "MAILDIR=$SMTP_DIR/Maildir"
    echo "SMTP_TLS_PORT=${PORTS[1]}"
    echo "SMTPS_PORT=${PORTS[2]}"
    echo "SMTP_CA_FILE=$SMTP_DIR/ca.pem"
    echo "SMTP_USER=mailer"
    echo "SMTP_PASSWORD=pa55word"
    echo "SMTP_LOG=$SMTP_DIR/smtp.log"
}

stop() {
    local dir=${1:?usage: $0 stop DIR}
    stop_server "$dir"
    remove_dir "$dir"
}

case "${1:-}" in
    start) shift; start "$@" ;;
    stop) shift; stop "$@" ;;
    *) echo "usage: $0 start [DIR] | stop DIR" >&2; exit 2 ;;
esac
