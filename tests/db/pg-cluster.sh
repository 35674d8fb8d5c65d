#!/bin/bash
# SPDX-License-Identifier: MIT
# A throwaway PostgreSQL cluster for the database tests: unix socket only, in a temp dir,
# trust authentication, run as an unprivileged user (postgres when we are root).
#
#   tests/db/pg-cluster.sh start [DIR]   prints PGHOST=<socket dir> PGPORT=<port> PGUSER=<user>
#   tests/db/pg-cluster.sh stop DIR      stops the cluster and removes DIR
#
# The database "cbtest" and the role "testuser" exist after start. Nothing listens on TCP.
set -euo pipefail

pg_bin() {
    local d
    d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
    if [ -z "$d" ] && command -v pg_ctl >/dev/null; then
        d=$(dirname "$(command -v pg_ctl)")
    fi
    [ -n "$d" ] || { echo "pg-cluster: no PostgreSQL server binaries (install postgresql)" >&2; exit 77; }
    echo "$d"
}

# The server refuses to run as root; use postgres then, else ourselves.
run_as() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

pg_user() {
    if [ "$(id -u)" -eq 0 ]; then echo postgres; else id -un; fi
}

start() {
    local bin dir port user
    bin=$(pg_bin)
    dir=${1:-$(mktemp -d /tmp/cb-pg.XXXXXX)}
    mkdir -p "$dir"
    user=$(pg_user)
    [ "$(id -u)" -ne 0 ] || chown postgres: "$dir"
    chmod 0755 "$dir"
    # A port number only names the socket file; pick one from the directory's name.
    port=$(( 20000 + $(cksum <<<"$dir" | cut -d' ' -f1) % 20000 ))
    run_as "$bin/initdb" -D "$dir/data" -A trust -U "$user" --no-sync -E UTF8 --locale=C.UTF-8 \
        >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
    run_as "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
        -o "-c listen_addresses='' -k $dir -p $port -c fsync=off -c max_prepared_transactions=0" \
        start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
    run_as "$bin/createdb" -h "$dir" -p "$port" -U "$user" cbtest
    # The seed's stories log in as testuser; trust authentication ignores their password.
    run_as "$bin/createuser" -h "$dir" -p "$port" -U "$user" --superuser testuser
    echo "PGHOST=$dir"
    echo "PGPORT=$port"
    echo "PGUSER=$user"
}

stop() {
    local bin dir=$1
    bin=$(pg_bin)
    [ -d "$dir/data" ] && run_as "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
    case "$dir" in
        /tmp/*) rm -rf "$dir" ;;
        *) echo "pg-cluster: not removing $dir (outside /tmp)" >&2 ;;
    esac
}

case "${1:-}" in
    start) shift; start "$@" ;;
    stop) shift; stop "$1" ;;
    *) echo "usage: $0 start [DIR] | stop DIR" >&2; exit 2 ;;
esac
