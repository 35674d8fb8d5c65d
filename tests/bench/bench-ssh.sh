#!/bin/bash
# SPDX-License-Identifier: MIT
# SFTP benchmark (issue 9): a 100 MB file put and got over loopback through the bridge (one
# session: connect once, then the transfer) against OpenSSH's sftp client doing the same, all
# pinned to CPU 0, medians of alternating runs; target: the bridge at least half the client's
# rate each way. Needs root (tests/ssh/sshd.sh makes its users). Prints; asserts nothing.
# Usage: tests/bench/bench-ssh.sh [BUILD_DIR] [MB] [REPS]
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-build}" && pwd)
mb=${2:-100}
reps=${3:-3}
pin="taskset -c 0"
dir=$(mktemp -d /tmp/cb-bench-ssh.XXXXXX)
sshd=

holder=
cleanup() {
    [ -z "$holder" ] || kill "$holder" 2>/dev/null || true
    "$build/cpan-bridge-dev" stop --runtime-dir "$dir/suite" >/dev/null 2>&1 || true
    [ -z "$sshd" ] || "$repo/tests/ssh/sshd.sh" stop "$sshd" || true
    rm -rf "$dir"
}
trap cleanup EXIT

declare -A s
while IFS='=' read -r k v; do s[$k]=$v; done < <("$repo/tests/ssh/sshd.sh" start) || true
if [ -z "${s[SSHD_PORT]:-}" ]; then
    echo "bench-ssh: skipped (no sshd, or not root)"
    exit 0
fi
sshd=${s[SSHD_DIR]}
chmod 755 "$dir"
head -c "$((mb * 1024 * 1024))" /dev/urandom >"$dir/big"
chmod 644 "$dir/big"
printf '[test]\nmax_sleep_ms = 3600000\n' >"$dir/extra.conf"
export $($pin "$build/cpan-bridge-dev" start --runtime-dir "$dir/suite" --config "$dir/extra.conf" |
         grep '^CPAN_BRIDGE_')
token=$(head -c16 /dev/urandom | od -An -tx1 | tr -d ' \n')
client() { $pin "$build/cpan-bridge-client" --socket "$CPAN_BRIDGE_SOCKET" --session "$token" --timeout-ms 600000 "$@"; }
# A call of the session kept in flight (in another family) keeps the session, and its SSH
# connection, alive between the separate client runs below.
client call test sleep '{"ms": 3600000}' >/dev/null 2>&1 &
holder=$!
sleep 0.3
now() { date +%s.%N; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

client call sftp connect "{\"hostname\": \"${s[SSHD_HOST]}\", \"port\": ${s[SSHD_PORT]},
    \"username\": \"${s[SFTP_KEY_USER]}\", \"key_file\": \"${s[SFTP_KEY_FILE]}\",
    \"known_hosts\": \"${s[SSHD_KNOWN_HOSTS]}\"}" >/dev/null
sftp_cmd() {
    echo "$1" | $pin sftp -q -b - -P "${s[SSHD_PORT]}" -i "${s[SFTP_KEY_FILE]}" \
        -o UserKnownHostsFile="${s[SSHD_KNOWN_HOSTS]}" -o StrictHostKeyChecking=yes \
        "${s[SFTP_KEY_USER]}@${s[SSHD_HOST]}" >/dev/null
}
timed() { local t0; t0=$(now); "$@" >/dev/null; echo "$(now) - $t0" | bc -l; }

bp=() bg=() op=() og=()
for _ in $(seq "$reps"); do
    bp+=("$(timed client call sftp put "{\"local_file\": \"$dir/big\", \"remote_file\": \"big.bridge\"}" | tail -1)")
    op+=("$(timed sftp_cmd "put $dir/big big.openssh" | tail -1)")
    bg+=("$(timed client call sftp get "{\"remote_file\": \"big.bridge\", \"local_file\": \"$dir/back.bridge\"}" | tail -1)")
    og+=("$(timed sftp_cmd "get big.openssh $dir/back.openssh" | tail -1)")
done
cmp -s "$dir/big" "$dir/back.bridge" || { echo "bench-ssh: the bridge's copy differs"; exit 1; }
rate() { echo "$mb / $1" | bc -l; }
for way in put get; do
    if [ "$way" = put ]; then b=$(printf '%s\n' "${bp[@]}" | median); o=$(printf '%s\n' "${op[@]}" | median)
    else b=$(printf '%s\n' "${bg[@]}" | median); o=$(printf '%s\n' "${og[@]}" | median); fi
    printf 'sftp %s %d MB, pinned: bridge %.0f MB/s, OpenSSH sftp %.0f MB/s: %.2f of the client (target >= 0.50)\n' \
        "$way" "$mb" "$(rate "$b")" "$(rate "$o")" "$(echo "$o / $b" | bc -l)"
done
