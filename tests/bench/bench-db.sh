#!/bin/bash
# SPDX-License-Identifier: MIT
# Database benchmark (one run, pinned to CPU 0, against a throwaway PostgreSQL cluster):
#   1000 prepared INSERTs through the bridge, one call at a time (C client, no pipelining, on
#     a channel and relayed by the router; and as execute_immediate, DBI's do), against the same 1000 round trips made directly
#     with libpq (tests/bench/pq-direct.c); target: at most 1.5 times the direct time.
#   execute_many of 1000 rows against libpq's own pipeline mode; target: at least half its rate.
#   The floor of any bridge: test.ping on a channel (one round trip to the instance, the least
#     a call through another process costs) plus the direct round trip to PostgreSQL.
# Each time is the median of ROUNDS (default 5) runs taken in turn, so a burst of noise on this
# shared machine moves one run, not one side. Prints the times and the ratios; asserts nothing.
# Usage: tests/bench/bench-db.sh [BUILD_DIR] [N]
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-build}" && pwd)
n=${2:-1000}
pin="taskset -c 0"
dir=$(mktemp -d /tmp/cb-bench-db.XXXXXX)
pg=
holder=

cleanup() {
    [ -n "$holder" ] && kill "$holder" 2>/dev/null || true
    "$build/cpan-bridge-dev" stop --runtime-dir "$dir/suite" >/dev/null 2>&1 || true
    [ -n "$pg" ] && "$repo/tests/db/pg-cluster.sh" stop "$pg" || true
    rm -rf "$dir"
}
trap cleanup EXIT

cc -O2 -o "$dir/pq-direct" "$repo/tests/bench/pq-direct.c" $(pkg-config --cflags --libs libpq)

eval "$($pin "$repo/tests/db/pg-cluster.sh" start)"
pg=$PGHOST
conninfo="host=$PGHOST port=$PGPORT user=$PGUSER dbname=cbtest"
psql_() { $pin runuser -u "$PGUSER" -- psql -qAt -h "$PGHOST" -p "$PGPORT" -d cbtest -c "$1" 2>/dev/null ||
          psql -qAt -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" -d cbtest -c "$1"; }
psql_ "CREATE TABLE bench (a integer, b text)"

printf '[test]\nmax_sleep_ms = 600000\n' > "$dir/extra.conf"
export $($pin "$build/cpan-bridge-dev" start --runtime-dir "$dir/suite" --config "$dir/extra.conf" |
         grep '^CPAN_BRIDGE_')
token=$(head -c16 /dev/urandom | od -An -tx1 | tr -d ' \n')
client() { $pin "$build/cpan-bridge-client" --socket "$CPAN_BRIDGE_SOCKET" --session "$token" "$@"; }

# A call of the session that stays in flight keeps the session, and its database connection,
# alive between the separate client runs below.
client call test sleep '{"ms": 600000}' >/dev/null 2>&1 &
holder=$!
sleep 0.3

dsn="dbi:Pg:dbname=cbtest;host=$PGHOST;port=$PGPORT"
client call database connect "{\"dsn\": \"$dsn\", \"username\": \"$PGUSER\"}" >/dev/null
insert='INSERT INTO bench (a, b) VALUES (?, ?)'
client call database execute_statement "{\"sql\": \"$insert\", \"params\": [0, \"x\"]}" >/dev/null

field() { tr ' ' '\n' | sed -n "s/^$1=//p"; }

# Seconds for n calls, from the client's calls_per_sec.
inserts() { # $@: extra bench options (the function: execute_statement unless given)
    local fn=execute_statement
    [ "${1:-}" = --do ] && fn=execute_immediate && shift
    client bench --connections 1 --pipeline 1 --requests "$n" --module database "$@" \
        --function "$fn" --params "{\"sql\": \"$insert\", \"params\": [1, \"x\"]}" |
        field calls_per_sec | awk -v n="$n" '{printf "%.6f", n / $1}'
}
pings() { # a session of its own: the inserts' session has its holder's call in flight
    $pin "$build/cpan-bridge-client" --socket "$CPAN_BRIDGE_SOCKET" bench --channel --connections 1 --pipeline 1 --requests "$n" --module test --function ping |
        field calls_per_sec | awk -v n="$n" '{printf "%.6f", n / $1}'
}
median() { tr ' ' '\n' | grep . | sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }

rounds=${ROUNDS:-5}
relay_all="" bridge_all="" direct_all="" ping_all="" do_all=""
for _ in $(seq "$rounds"); do
    bridge_all="$bridge_all $(inserts --channel)"
    do_all="$do_all $(inserts --do --channel)"
    direct_all="$direct_all $($pin "$dir/pq-direct" "$conninfo" roundtrips "$n" | field seconds)"
    relay_all="$relay_all $(inserts)"
    ping_all="$ping_all $(pings)"
done
bridge_s=$(echo "$bridge_all" | median)
direct_s=$(echo "$direct_all" | median)
relay_s=$(echo "$relay_all" | median)
ping_s=$(echo "$ping_all" | median)
do_s=$(echo "$do_all" | median)
floor_s=$(awk -v a="$ping_s" -v b="$direct_s" 'BEGIN {printf "%.6f", a + b}')

rows=$(python3 -c "import json; print(json.dumps([[i, 'x'] for i in range($n)]))")
printf '{"sql": "%s", "rows": %s}' "$insert" "$rows" > "$dir/many.json"
many_rps=$(client bench --channel --connections 1 --pipeline 1 --requests 20 --module database \
    --function execute_many --params "$(cat "$dir/many.json")" | field calls_per_sec)
many_s=$(awk -v r="$many_rps" 'BEGIN {printf "%.6f", 1 / r}')
pipe_s=$($pin "$dir/pq-direct" "$conninfo" pipeline "$n" | field seconds)

ms() { awk -v s="$1" 'BEGIN {printf "%.2f", s * 1000}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
echo "db bench, pinned to CPU 0, $n rows, autocommit, fsync off, medians of $rounds rounds"
printf '  prepared inserts, one call each:  bridge %8.2f ms   libpq %8.2f ms   ratio %sx (target <= 1.5), on a channel\n' \
    "$(ms "$bridge_s")" "$(ms "$direct_s")" "$(ratio "$bridge_s" "$direct_s")"
printf '                                    relayed %7.2f ms                     ratio %sx\n' \
    "$(ms "$relay_s")" "$(ratio "$relay_s" "$direct_s")"
printf '                                    do      %7.2f ms                     ratio %sx (execute_immediate, on a channel)\n' \
    "$(ms "$do_s")" "$(ratio "$do_s" "$direct_s")"
printf '  the floor: test.ping on a channel %7.2f ms + libpq = %.2f ms   ratio %sx; the bridge is %sx its floor\n' \
    "$(ms "$ping_s")" "$(ms "$floor_s")" "$(ratio "$floor_s" "$direct_s")" "$(ratio "$bridge_s" "$floor_s")"
printf '  execute_many vs libpq pipeline:   bridge %8.2f ms   libpq %8.2f ms   rate %.2f of libpq (target >= 0.5)\n' \
    "$(awk -v s="$many_s" 'BEGIN {print s * 1000}')" "$(awk -v s="$pipe_s" 'BEGIN {print s * 1000}')" \
    "$(awk -v a="$many_s" -v b="$pipe_s" 'BEGIN {print b / a}')"
echo "  rows in the table: $(psql_ 'SELECT count(*) FROM bench')"
