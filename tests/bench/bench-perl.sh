#!/bin/bash
# SPDX-License-Identifier: MIT
# The Perl client's benchmark (issue 3): test.ping calls per second in daemon mode and in
# process mode, against the same client on a bare C echo server with the same framing (the
# floor); the CPU per call of router plus instance against the echo server's; 10 concurrent
# clients; and a whole one-call script against perl -e 1. Pinned to one CPU and unpinned,
# medians of alternating runs. Usage: tests/bench/bench-perl.sh [BUILD_DIR] [REPS]
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-build}" && pwd)
reps=${2:-5}
calls=${BENCH_CALLS:-3000}
dir=$(mktemp -d /tmp/cb-bench-perl.XXXXXX)
echo_pid=
export PERL5LIB="$repo/perl${PERL5LIB:+:$PERL5LIB}"

cleanup() {
    [ -n "$echo_pid" ] && kill "$echo_pid" 2>/dev/null && wait "$echo_pid" 2>/dev/null || true
    "$build/cpan-bridge-dev" stop --runtime-dir "$dir/suite" >/dev/null 2>&1 || true
    rm -rf "$dir"
}
trap cleanup EXIT

# CPU time of a process in ns, all its threads (schedstat: the clock ticks of /proc/PID/stat
# are 10 ms, a third of a run's whole cost for the echo server).
cpu_ns() { cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{s += $1} END {printf "%d\n", s}'; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
ratio() { echo "scale=2; $1 / $2" | bc -l; }

start_servers() { # $1: pin prefix
    $1 "$build/cb-echo-server" "$dir/echo.sock" & echo_pid=$!
    export $($1 "$build/cpan-bridge-dev" start --runtime-dir "$dir/suite")
    "$build/cpan-bridge-client" --socket "$CPAN_BRIDGE_SOCKET" call test ping >/dev/null
    router=$(pgrep -f "cpan-bridge-router --config $dir/suite/")
    core=$(pgrep -f "cpan-bridge-core --config $dir/suite/")
    suite_socket=$CPAN_BRIDGE_SOCKET
}

stop_servers() {
    kill "$echo_pid"; wait "$echo_pid" 2>/dev/null || true; echo_pid=
    "$build/cpan-bridge-dev" stop --runtime-dir "$dir/suite" >/dev/null
}

loop() { # $1 pin, $2 socket, $3 calls, $4 daemon (1/0): prints calls/s
    CPAN_BRIDGE_SOCKET=$2 CPAN_BRIDGE_DAEMON=$4 $1 perl "$repo/tests/bench/ping-loop.pl" "$3" |
        awk '{print $2}'
}

concurrent() { # $1 socket: aggregate calls/s of 10 clients
    local t0 t1 i
    t0=$(date +%s.%N)
    for i in $(seq 10); do
        CPAN_BRIDGE_SOCKET=$1 perl "$repo/tests/bench/ping-loop.pl" "$calls" >/dev/null &
    done
    wait
    t1=$(date +%s.%N)
    echo "10 * $calls / ($t1 - $t0)" | bc -l
}

measure() { # $1 label, $2 pin prefix
    local floor=() daemon=() process=() ecpu=() dcpu=() c t0
    start_servers "$2"
    for _ in $(seq "$reps"); do
        t0=$(cpu_ns "$echo_pid")
        floor+=("$(loop "$2" "$dir/echo.sock" "$calls" 1)")
        ecpu+=("$(( ($(cpu_ns "$echo_pid") - t0) / 1000 ))")
        t0=$(( $(cpu_ns "$router") + $(cpu_ns "$core") ))
        daemon+=("$(loop "$2" "$suite_socket" "$calls" 1)")
        dcpu+=("$(( ($(cpu_ns "$router") + $(cpu_ns "$core") - t0) / 1000 ))")
        process+=("$(loop "$2" "$suite_socket" 100 0)")
    done
    local f d p eu du
    f=$(printf '%s\n' "${floor[@]}" | median); d=$(printf '%s\n' "${daemon[@]}" | median)
    p=$(printf '%s\n' "${process[@]}" | median)
    eu=$(printf '%s\n' "${ecpu[@]}" | median); du=$(printf '%s\n' "${dcpu[@]}" | median)
    printf '%-10s floor (Perl on echo) %7.0f/s | daemon %7.0f/s (%.2f of floor) | process %5.0f/s = %.2f ms/call (daemon %.0fx)\n' \
        "$1" "$f" "$d" "$(ratio "$d" "$f")" "$p" "$(echo "1000 / $p" | bc -l)" "$(ratio "$d" "$p")"
    printf '%-10s CPU per call: echo server %.1f us, router+core %.1f us (%.2fx)\n' "$1" \
        "$(echo "$eu / ($calls + 1)" | bc -l)" "$(echo "$du / ($calls + 1)" | bc -l)" \
        "$(echo "$du / ($eu + 1)" | bc -l)"
    if [ -z "$2" ]; then
        local fc dc
        fc=$(concurrent "$dir/echo.sock"); dc=$(concurrent "$suite_socket")
        printf '%-10s 10 clients: floor %7.0f/s | daemon %7.0f/s (%.2f of floor)\n' "$1" "$fc" "$dc" \
            "$(ratio "$dc" "$fc")"
    fi
    stop_servers
}

one_call_script() {
    start_servers ""
    local script='use CPANBridge; my $r = CPANBridge->new->call("test", "ping", {}); exit($r->{success} ? 0 : 1)'
    CPAN_BRIDGE_SOCKET=$suite_socket hyperfine -N --warmup 10 --runs 60 --export-json "$dir/h.json" \
        "perl -e 1" "perl -I$repo/perl -e '$script'" >/dev/null 2>&1 || true
    if [ -s "$dir/h.json" ]; then
        perl -MJSON::PP -e 'my $j = decode_json(do { local $/; <STDIN> });
            my ($e, $s) = map { $_->{median} * 1000 } @{$j->{results}};
            printf "one-call script: %.1f ms against perl -e 1 %.1f ms (+%.1f ms)\n", $s, $e, $s - $e' \
            < "$dir/h.json"
    else
        echo "one-call script: hyperfine is not installed (apt-get install hyperfine)"
    fi
    stop_servers
}

echo "Perl client ($(perl -I"$repo/perl" -MCPANBridge -e 'print CPANBridge::json_backend()')), test.ping, medians of $reps alternating runs of $calls calls"
measure "pinned" "taskset -c 0"
measure "unpinned" ""
one_call_script
