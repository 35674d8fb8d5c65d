#!/bin/bash
# SPDX-License-Identifier: MIT
# C-client benchmark: test.ping through the router and the core instance against a bare echo
# server with the same framing (the floor). Prints medians of alternating runs, pinned to one
# CPU and unpinned, and the CPU time per call of router plus instance against the echo
# server's. Usage: tests/bench/bench-c.sh [BUILD_DIR] [REPS] [CALLS]
set -euo pipefail

build=$(cd "${1:-build}" && pwd)
reps=${2:-5}
calls=${3:-20000}
dir=$(mktemp -d /tmp/cb-bench.XXXXXX)
echo_pid=

cleanup() {
    [ -n "$echo_pid" ] && kill "$echo_pid" 2>/dev/null && wait "$echo_pid" 2>/dev/null || true
    "$build/cpan-bridge-dev" stop --runtime-dir "$dir/suite" >/dev/null 2>&1 || true
    rm -rf "$dir"
}
trap cleanup EXIT

ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
field() { tr ' ' '\n' | sed -n "s/^$1=//p"; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

# $1: pin prefix, $2: socket, $3: extra bench args; prints "calls_per_sec p50_us"
run_bench() {
    $1 "$build/cpan-bridge-client" --socket "$2" bench --connections "${CONNS:-1}" --pipeline 1 \
        --requests "$calls" $3 | awk '{print}' > "$dir/out"
    echo "$(field calls_per_sec < "$dir/out") $(field p50_us < "$dir/out")"
}

start_servers() {
    $1 "$build/cb-echo-server" "$dir/echo.sock" & echo_pid=$!
    export $($1 "$build/cpan-bridge-dev" start --runtime-dir "$dir/suite")
    "$build/cpan-bridge-client" --socket "$CPAN_BRIDGE_SOCKET" call test ping >/dev/null
    router=$(pgrep -f "cpan-bridge-router --config $dir/suite/")
    core=$(pgrep -f "cpan-bridge-core --config $dir/suite/")
}

stop_servers() {
    kill "$echo_pid"; wait "$echo_pid" 2>/dev/null || true; echo_pid=
    "$build/cpan-bridge-dev" stop --runtime-dir "$dir/suite" >/dev/null
}

measure() { # $1 label, $2 pin prefix
    local e_cps=() d_cps=() e_p50=() d_p50=() e_cpu=() d_cpu=()
    start_servers "$2"
    for _ in $(seq "$reps"); do
        local t0 r
        t0=$(ticks "$echo_pid")
        read -r c p < <(run_bench "$2" "$dir/echo.sock" "")
        e_cps+=("$c"); e_p50+=("$p")
        e_cpu+=("$(( ($(ticks "$echo_pid") - t0) * 10000 ))")
        t0=$(( $(ticks "$router") + $(ticks "$core") ))
        read -r c p < <(run_bench "$2" "$CPAN_BRIDGE_SOCKET" "--module test --function ping")
        d_cps+=("$c"); d_p50+=("$p")
        d_cpu+=("$(( ($(ticks "$router") + $(ticks "$core") - t0) * 10000 ))")
    done
    stop_servers
    local ec dc ep dp eu du
    ec=$(printf '%s\n' "${e_cps[@]}" | median); dc=$(printf '%s\n' "${d_cps[@]}" | median)
    ep=$(printf '%s\n' "${e_p50[@]}" | median); dp=$(printf '%s\n' "${d_p50[@]}" | median)
    eu=$(printf '%s\n' "${e_cpu[@]}" | median); du=$(printf '%s\n' "${d_cpu[@]}" | median)
    printf '%-22s echo floor %8.0f calls/s p50 %4s us | router+core %8.0f calls/s p50 %4s us | ratio %.2f\n' \
        "$1" "$ec" "$ep" "$dc" "$dp" "$(echo "$dc / $ec" | bc -l)"
    printf '%-22s server CPU per call: echo %.1f us, router+core %.1f us | ratio %.2f\n' \
        "$1" "$(echo "$eu / $calls" | bc -l)" "$(echo "$du / $calls" | bc -l)" \
        "$(echo "$du / ($eu + 1)" | bc -l)"
}

echo "C client, test.ping, $reps alternating runs of $calls calls each, medians"
measure "pinned (taskset -c 0)" "taskset -c 0"
measure "unpinned" ""
CONNS=10 measure "10 clients, unpinned" ""
