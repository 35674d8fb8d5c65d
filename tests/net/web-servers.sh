#!/bin/bash
# SPDX-License-Identifier: MIT
# Throwaway web servers on loopback for the HTTP client tests: httpbin, and nginx in front of it
# for plain HTTP and for HTTPS with a CA made for this run only. nginx is there because httpbin's
# Flask dev server is no realistic peer for keep-alive and TLS; httpbin supplies the endpoints.
#
#   tests/net/web-servers.sh start [DIR]   prints WEB_DIR= HTTPBIN_URL= HTTP_URL= HTTPS_URL=
#                                          CA_FILE= ACCESS_LOG= (one KEY=VALUE a line)
#   tests/net/web-servers.sh stop DIR      stops both servers and removes DIR
#
# Each line of ACCESS_LOG is "$connection $connection_requests $request_method $request_uri
# $status $ssl_protocol" (nginx writes "-" for an empty field), so a test can prove from the
# server side that its requests shared one connection. The log is empty when start returns.
# Ports are picked per run, so several runs can share a machine.
set -euo pipefail

# Resolved, so that the library is found beside the real file also through a symlink.
HERE=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
# shellcheck source-path=SCRIPTDIR source=servers-lib.sh
. "$HERE/servers-lib.sh"

say() { echo "web-servers: $*" >&2; }

find_tools() {
    # An unprivileged user's PATH often lacks /usr/sbin, where Debian puts nginx.
    NGINX=$(command -v nginx || true)
    [ -n "$NGINX" ] || { [ -x /usr/sbin/nginx ] && NGINX=/usr/sbin/nginx; } || true
    [ -n "$NGINX" ] || { say "no nginx binary (install nginx-light or nginx)"; exit 77; }
    command -v openssl >/dev/null || { say "no openssl binary (install openssl)"; exit 77; }
    command -v curl >/dev/null || { say "no curl binary (install curl)"; exit 77; }
    PY=$(find_python httpbin) || { say "no python3 with httpbin (install python3-httpbin)"; exit 77; }
}

# Only start's own children can be reaped here; once start has exited they belong to init, which
# reaps them when it will (this sandbox's init polls every 2 s). A zombie holds no port or file.
reap() { wait "$1" 2>/dev/null || true; }

# nginx workers do not notice a master killed with SIGKILL and would keep the port, so their pids
# are taken before the master is signalled, for the case that SIGTERM was not enough.
stop_recorded() {
    local file=$1 pid st kids=() k
    [ -s "$file" ] || return 0
    read -r pid st <"$file" || return 0
    alive "$pid" "$st" || return 0
    for k in $(pgrep -P "$pid" || true); do kids+=("$k $(start_time "$k")"); done
    kill -TERM "$pid" 2>/dev/null || true
    if gone_within "$pid" "$st" 50; then
        reap "$pid"
        return 0
    fi
    say "pid $pid ignored SIGTERM for 5 s, killing it"
    kill -KILL "$pid" 2>/dev/null || true
    for k in "${kids[@]}"; do
        # shellcheck disable=SC2086 # "pid starttime", split on purpose
        alive $k && kill -KILL "${k% *}" 2>/dev/null
    done
    if gone_within "$pid" "$st" 20; then reap "$pid"; else say "pid $pid is still there"; fi
    for k in "${kids[@]}"; do
        # shellcheck disable=SC2086
        gone_within $k 20 || say "pid ${k% *} (child of $pid) is still there"
    done
    return 0
}

stop_all() {
    stop_recorded "$1/nginx.run"
    stop_recorded "$1/httpbin.run"
}

# Sockets held all at once give distinct ports the kernel believes free. They are closed before
# the servers bind, so another process may win one meanwhile: the launchers then retry.
free_ports() {
    "$PY" - "$1" <<'PY'
import socket, sys
held = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen()
    held.append(s)
print(" ".join(str(s.getsockname()[1]) for s in held))
PY
}

# 0: answered; 1: the process died; 2: no answer within 10 s.
wait_answer() {
    local file=$1 pid st deadline
    shift
    read -r pid st <"$file"
    deadline=$(($(now_us) + 10000000))
    while (($(now_us) < deadline)); do
        alive "$pid" "$st" || return 1
        curl -fsS -o /dev/null --max-time 2 "$@" 2>/dev/null && return 0
        sleep 0.05
    done
    return 2
}

write_nginx_conf() {
    local d=$1 hb=$2 http=$3 https=$4
    mkdir -p "$d/tmp"
    # No "user": started by root, the workers take the build's default (nobody on Debian, nginx
    # on RHEL), which exists wherever the package does; unprivileged, nginx cannot switch anyway.
    cat >"$d/nginx.conf" <<CFG
daemon off;
# With one worker \$connection is unique, which the access log's readers rely on.
worker_processes 1;
pid $d/nginx.pid;
error_log $d/error.log notice;
events { worker_connections 256; }
http {
    log_format cb '\$connection \$connection_requests \$request_method \$request_uri \$status \$ssl_protocol';
    access_log $d/access.log cb;
    client_body_temp_path $d/tmp/body;
    proxy_temp_path $d/tmp/proxy;
    fastcgi_temp_path $d/tmp/fastcgi;
    uwsgi_temp_path $d/tmp/uwsgi;
    scgi_temp_path $d/tmp/scgi;
    keepalive_requests 1000;
    keepalive_timeout 60s;
    client_max_body_size 64m;
    server {
        listen 127.0.0.1:$http;
        listen 127.0.0.1:$https ssl;
        server_name localhost;
        ssl_certificate $d/server.pem;
        ssl_certificate_key $d/server.key;
        ssl_protocols TLSv1.2 TLSv1.3;
        location / {
            proxy_pass http://127.0.0.1:$hb;
            proxy_http_version 1.1;
            # httpbin then echoes the Host and URL the client used, and hides the X-Forwarded-*.
            proxy_set_header Host \$http_host;
            proxy_set_header X-Forwarded-For \$remote_addr;
            proxy_set_header X-Forwarded-Proto \$scheme;
            # Else httpbin would echo the "Connection: close" nginx adds, not what the client sent.
            proxy_set_header Connection "";
            # /drip, /stream and the like must reach the client as httpbin sends them.
            proxy_buffering off;
        }
        # httpbin.org's /json, which the seed's stories fetch, is newer than Debian's httpbin:
        # nginx answers it with a document of the same shape.
        location = /json {
            default_type application/json;
            return 200 '{"slideshow": {"author": "Yours Truly", "date": "date of publication", "title": "Sample Slide Show", "slides": [{"title": "Wake up to WonderWidgets!", "type": "all"}, {"items": ["Why <em>WonderWidgets</em> are great", "Who <em>buys</em> WonderWidgets"], "title": "Overview", "type": "all"}]}}\n';
        }
        # start's own probes go here, so that the access log holds only the tests' requests.
        location = /.cb-ready {
            access_log off;
            proxy_pass http://127.0.0.1:$hb/get;
            proxy_http_version 1.1;
        }
    }
}
CFG
}

# Retried with fresh ports when a port was taken between free_ports and the bind.
launch_httpbin() {
    local d=$1 port rc
    for _ in 1 2 3; do
        read -r port _ <<<"$(free_ports 1)"
        : >"$d/httpbin.log"
        (cd "$d" && PYTHONUNBUFFERED=1 exec "$PY" -m httpbin.core --host 127.0.0.1 --port "$port") \
            </dev/null >>"$d/httpbin.log" 2>&1 &
        record_pid "$d/httpbin.run" $!
        rc=0
        wait_answer "$d/httpbin.run" "http://127.0.0.1:$port/get" || rc=$?
        if [ "$rc" -eq 0 ]; then
            HB_PORT=$port
            return 0
        fi
        stop_recorded "$d/httpbin.run"
        if [ "$rc" -ne 1 ] || ! grep -qi 'in use' "$d/httpbin.log"; then break; fi
    done
    FAIL_LOG=$d/httpbin.log
    [ "$rc" -eq 1 ] && FAIL_WHY="httpbin exited during start" || FAIL_WHY="httpbin did not answer within 10 s"
    return 1
}

launch_nginx() {
    local d=$1 http https rc
    for _ in 1 2 3; do
        read -r http https <<<"$(free_ports 2)"
        write_nginx_conf "$d" "$HB_PORT" "$http" "$https"
        : >"$d/error.log"
        # -e: before reading the config nginx would log to its built-in path, not ours. Its
        # stderr goes to the same file, so that one tail on failure shows every complaint.
        # shellcheck disable=SC2094
        "$NGINX" -e "$d/error.log" -c "$d/nginx.conf" -p "$d" </dev/null >>"$d/error.log" 2>&1 &
        record_pid "$d/nginx.run" $!
        rc=0
        wait_answer "$d/nginx.run" "http://127.0.0.1:$http/.cb-ready" || rc=$?
        [ "$rc" -ne 0 ] ||
            wait_answer "$d/nginx.run" --cacert "$d/ca.pem" "https://localhost:$https/.cb-ready" || rc=$?
        if [ "$rc" -eq 0 ]; then
            HTTP_PORT=$http HTTPS_PORT=$https
            return 0
        fi
        stop_recorded "$d/nginx.run"
        if [ "$rc" -ne 1 ] || ! grep -q 'Address already in use' "$d/error.log"; then break; fi
    done
    FAIL_LOG=$d/error.log
    [ "$rc" -eq 1 ] && FAIL_WHY="nginx exited during start" || FAIL_WHY="nginx did not answer within 10 s"
    return 1
}

start() {
    find_tools
    # Global, not local: the EXIT trap below may run after start's frame is gone.
    dir=${1:-$(mktemp -d /tmp/cb-web.XXXXXX)}
    mkdir -p "$dir"
    # Workers started by root run as another user and must still reach the files below.
    chmod 0755 "$dir"
    FAIL_WHY="start failed" FAIL_LOG=
    # Whatever ends start early, set -e included, must not leave servers or DIR behind.
    trap 'rc=$?; [ $rc -eq 0 ] || { stop_all "$dir"; say "$FAIL_WHY";
          [ -z "$FAIL_LOG" ] || tail -n 20 "$FAIL_LOG" >&2; remove_dir "$dir"; }' EXIT
    if ! make_certs "$dir" "cpan-bridge throwaway test CA"; then
        FAIL_WHY="openssl could not make the certificates" FAIL_LOG=$dir/openssl.log
        exit 1
    fi
    launch_httpbin "$dir" || exit 1
    launch_nginx "$dir" || exit 1
    trap - EXIT
    echo "WEB_DIR=$dir"
    echo "HTTPBIN_URL=http://127.0.0.1:$HB_PORT"
    echo "HTTP_URL=http://127.0.0.1:$HTTP_PORT"
    echo "HTTPS_URL=https://localhost:$HTTPS_PORT"
    echo "CA_FILE=$dir/ca.pem"
    echo "ACCESS_LOG=$dir/access.log"
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
