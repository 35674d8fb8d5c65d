#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/systemd/inside.sh: the checks of cpan-bridge under a real systemd.
#
# Runs inside the namespaces boot.sh sets up (systemctl and journalctl talk to the test's
# own systemd there), as root, with CB_TEST_ENV naming the file of test users ns-init.sh
# wrote. Prints one "ok: ..." or "FAILED: ..." line per check (boot.sh counts them) and
# exits 1 if any failed. Lines starting with "    " or "info:" are details.
#
# Order matters: the router and every instance must still be inactive when the first call
# is made, so nothing before that step may start them.
set -uo pipefail

# shellcheck source=/dev/null
. "${CB_TEST_ENV:?run me through tests/systemd/boot.sh}"
PRESTART=${CB_TEST_PRESTART:-0}
SOCK=/run/cpan-bridge/cpan-bridge.sock
UNITDIR=/usr/lib/systemd/system
A_UID=$(id -u "$CB_USER_A")
B_UID=$(id -u "$CB_USER_B")
ROUTER_UID=$(id -u cpanbridge)
OUT=$(mktemp)
NFAILED=0
T0=$(date +%s.%N)
trap 'rm -f "$OUT"' EXIT

# ------------------------------------------------------------------------------ helpers
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }
ok() { echo "ok: $*"; }
failed() {
    echo "FAILED: $*"
    NFAILED=$((NFAILED + 1))
}
show_output() { sed 's/^/    | /' "$OUT" | tail -n "${1:-15}"; }
show_head() { sed 's/^/    | /' "$OUT" | head -n "${1:-15}"; }

# check DESCRIPTION COMMAND...: the command's exit status decides; its output is shown on failure.
check() {
    local what=$1
    shift
    if "$@" >"$OUT" 2>&1; then ok "$what"; else
        failed "$what"
        show_output
    fi
}

# is DESCRIPTION ACTUAL EXPECTED
is() {
    if [ "$2" = "$3" ]; then ok "$1: $2"; else failed "$1: got '$2', expected '$3'"; fi
}

# wait_until SECONDS COMMAND...: poll every 0.1 s; systemd's restarts and journald's writes
# happen shortly after the event that causes them, not at once.
wait_until() {
    local n=$(($1 * 10))
    shift
    while [ "$n" -gt 0 ]; do
        "$@" >/dev/null 2>&1 && return 0
        sleep 0.1
        n=$((n - 1))
    done
    return 1
}

prop() { systemctl show -P "$2" "$1"; }
state() { systemctl is-active "$1"; }
main_uid() { ps -o uid= -p "$(prop "$1" MainPID)" 2>/dev/null | tr -d ' '; }
restarted() { [ "$(prop "$1" MainPID)" != "$2" ] && [ "$(prop "$1" MainPID)" != 0 ] && [ "$(state "$1")" = active ]; }

# as USER COMMAND...: the way a login would run it, without PAM: the user's uid, primary
# group and supplementary groups from the user database, and a clean environment.
as() {
    local user=$1
    shift
    setpriv --reuid="$user" --regid="$(id -g "$user")" --init-groups \
        env -i PATH=/usr/bin:/bin HOME=/ LANG=C.UTF-8 "$@"
}

# call USER MODULE FUNCTION [PARAMS] [SOCKET]: one call through the C client, answer in $OUT.
call() {
    local user=$1 module=$2 function=$3 params=${4:-'{}'} socket=${5:-$SOCK}
    if [ "$user" = root ]; then
        "$CB_CLIENT" --socket "$socket" call "$module" "$function" "$params" >"$OUT" 2>&1
    else
        as "$user" "$CB_CLIENT" --socket "$socket" call "$module" "$function" "$params" >"$OUT" 2>&1
    fi
}

# call_ok DESCRIPTION USER MODULE FUNCTION: the call must succeed; the time includes any start.
call_ok() {
    local what=$1 t
    shift
    t=$(now)
    if call "$@"; then ok "$what, in $(since "$t")s: $(head -c 200 "$OUT")"; else
        failed "$what (exit $?)"
        show_output
    fi
}

# journal_entry FIELD=VALUE...: the newest entry of the router matching them, as JSON.
journal_entry() {
    journalctl -o json --no-pager -r -n 1 _SYSTEMD_UNIT=cpan-bridge.service "$@" 2>/dev/null
}
json_field() { grep -o "\"$1\":\"[^\"]*\"" | head -n 1 | cut -d'"' -f4; }
json_number() { grep -o "\"$1\": *[0-9]*" | head -n 1 | sed 's/.*: *//'; }

# prove_check AS USER TEST [NAME=VALUE...]: perl/t/TEST.t against this suite, as USER, or as
# root for USER (t/99 takes the user's ids itself) when AS is root; skipping it all fails.
prove_check() {
    local as_what=$1 user=$2 t=$3 repo
    shift 3
    repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
    local run=(env TMPDIR=/tmp CB_TEST_SOCKET="$SOCK" "$@" prove "$repo/perl/t/$t.t")
    if [ "$as_what" = root ]; then
        run=(env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 "${run[@]}")
    else
        run=(as "$user" "${run[@]}")
    fi
    if "${run[@]}" >"$OUT" 2>&1 && ! grep -q 'skipped' "$OUT"; then
        ok "perl/t/$t.t under systemd, as $user: $(grep -o 'Tests=[0-9]*' "$OUT")"
    else
        failed "perl/t/$t.t under systemd, as $user"
        show_head 40
    fi
}

# After a failure: the suite's recent journal, so that the log of the run shows why.
dump_journal() {
    echo "info: last journal lines of the suite's units:"
    journalctl --no-pager -o short-monotonic -n 60 -u cpan-bridge.socket -u cpan-bridge.service \
        -u 'cpan-bridge-core@*' -u polkit.service | sed 's/^/    /'
}

# ------------------------------------------------------------------------------ checks
# The unit's WatchdogSec=30 would make the SIGSTOP check wait half a minute. LimitCORE=0:
# the watchdog's SIGABRT would otherwise dump core through the host's kernel.core_pattern,
# which on a systemd host is systemd-coredump, outside these namespaces.
install_test_dropin() {
    local d=/run/systemd/system/cpan-bridge-core@.service.d
    mkdir -p "$d"
    printf '[Service]\nWatchdogSec=2\nLimitCORE=0\n' >"$d/50-test.conf"
    systemctl daemon-reload
    # WatchdogUSec shows only a running unit's value; check_notify checks it then.
    is "test drop-in for cpan-bridge-core@$A_UID.service" \
        "$(prop "cpan-bridge-core@$A_UID.service" DropInPaths)" "$d/50-test.conf"
}

# Every installed unit, as files, the templates included (verify instantiates them).
check_verify() {
    local units
    units=$(ls "$UNITDIR"/cpan-bridge*.socket "$UNITDIR"/cpan-bridge*.service "$UNITDIR"/cpan-bridge*.target)
    # shellcheck disable=SC2086
    if systemd-analyze verify $units >"$OUT" 2>&1 && [ ! -s "$OUT" ]; then
        ok "systemd-analyze verify: clean for $(echo $units | wc -w) units"
    else
        failed "systemd-analyze verify is not clean"
        show_output 30
    fi
}

# The exposure number of a unit; the thresholds are the lead's (CB_SECURITY_MAX_ROUTER,
# CB_SECURITY_MAX_INSTANCE), so without them this only reports. The items that still cost
# something are listed, heaviest first.
check_security() {
    local unit=$1 max=$2 level label
    if ! systemd-analyze security --offline=yes --no-pager "$unit" >"$OUT" 2>&1; then
        failed "systemd-analyze security --offline=yes $unit"
        show_output
        return
    fi
    level=$(sed -n 's/.*Overall exposure level for .*: \([0-9.]*\) \(.*\)/\1/p' "$OUT")
    label=$(sed -n 's/.*Overall exposure level for .*: [0-9.]* \([A-Z]*\).*/\1/p' "$OUT")
    if [ -z "$level" ]; then
        failed "systemd-analyze security $unit: no exposure level in its output"
    elif [ -n "$max" ] && awk -v l="$level" -v m="$max" 'BEGIN { exit !(l > m) }'; then
        failed "systemd-analyze security $unit: exposure $level $label, above $max"
    else
        ok "systemd-analyze security $unit: exposure $level $label${max:+ (at most $max)}"
    fi
    grep '✗' "$OUT" | awk '{ print $NF "\t" $0 }' | sort -rn | cut -f2- | head -n 8 |
        sed 's/^ */    /'
}

check_socket_alone() {
    is "cpan-bridge.socket before the test starts it" "$(state cpan-bridge.socket)" inactive
    check "systemctl start cpan-bridge.socket" systemctl start cpan-bridge.socket
    is "cpan-bridge.socket" "$(state cpan-bridge.socket)" active
    is "$SOCK" "$(stat -c '%F %a %U:%G' "$SOCK" 2>&1)" "socket 660 cpanbridge:cpanbridge-clients"
    is "cpan-bridge.service before the first call" "$(state cpan-bridge.service)" inactive
    is "cpan-bridge-core@$A_UID.socket before the first call" \
        "$(state "cpan-bridge-core@$A_UID.socket")" inactive
}

# The first call of a uid starts its instance: the router asks systemd (StartUnit through
# D-Bus, authorized by polkit) for cpan-bridge-core@UID.socket, systemd starts the service on
# the router's connection, as that uid.
check_instance() {
    local user=$1 uid=$2 unit=cpan-bridge-core@$2
    if [ "$PRESTART" = 1 ]; then
        echo "info: CB_TEST_PRESTART=1: starting $unit.socket as root (the router's StartUnit is NOT tested)"
        systemctl start "$unit.socket"
    fi
    call_ok "first call of $user (uid $uid): test.ping" "$user" test ping
    is "$unit.socket" "$(state "$unit.socket")" active
    is "/run/cpan-bridge/core/$uid.sock" "$(stat -c '%F %a %U' "/run/cpan-bridge/core/$uid.sock" 2>&1)" \
        "socket 600 cpanbridge"
    is "$unit.service" "$(state "$unit.service")" active
    is "$unit.service runs as uid" "$(main_uid "$unit.service")" "$uid"
}

check_router_started() {
    is "cpan-bridge.service after the first call" "$(state cpan-bridge.service)" active
    is "the router runs as cpanbridge, uid" "$(main_uid cpan-bridge.service)" "$ROUTER_UID"
    # polkitd is D-Bus activated: it runs only if someone asked it, and the router's StartUnit
    # as a non-root user is what does.
    [ "$PRESTART" = 1 ] ||
        is "polkit.service (activated by the router's StartUnit)" "$(state polkit.service)" active
}

check_second_user() {
    local pid_a
    pid_a=$(prop "cpan-bridge-core@$A_UID.service" MainPID)
    check_instance "$CB_USER_B" "$B_UID"
    is "$CB_USER_A's instance untouched by $CB_USER_B's call, MainPID" \
        "$(prop "cpan-bridge-core@$A_UID.service" MainPID)" "$pid_a"
}

# Type=notify units are active only after READY=1, so active+running proves it was sent.
check_notify() {
    local unit
    for unit in cpan-bridge.service "cpan-bridge-core@$A_UID.service"; do
        is "$unit Type/NotifyAccess/ActiveState/SubState" \
            "$(prop "$unit" Type)/$(prop "$unit" NotifyAccess)/$(state "$unit")/$(prop "$unit" SubState)" \
            notify/main/active/running
        if [ -n "$(prop "$unit" StatusText)" ]; then
            ok "$unit STATUS: $(prop "$unit" StatusText)"
        else
            failed "$unit has no StatusText (no STATUS= received)"
        fi
    done
    is "cpan-bridge-core@$A_UID.service WatchdogUSec (the test drop-in's)" \
        "$(prop "cpan-bridge-core@$A_UID.service" WatchdogUSec)" 2s
}

# Request logging is on (ns-init.sh's 50-test.conf): each request is one debug entry of
# the router, carrying the caller's uid.
check_journal() {
    local user=$1 uid=$2 entry
    if ! wait_until 5 test -n "$(journal_entry CPAN_BRIDGE_MODULE=test CPAN_BRIDGE_FUNCTION=ping \
        CPAN_BRIDGE_CLIENT_UID="$uid")"; then
        failed "journalctl -o json CPAN_BRIDGE_MODULE=test: no request entry for uid $uid"
        journalctl -o json --no-pager CPAN_BRIDGE_MODULE=test | tail -n 3 | sed 's/^/    | /'
        return
    fi
    entry=$(journal_entry CPAN_BRIDGE_MODULE=test CPAN_BRIDGE_FUNCTION=ping CPAN_BRIDGE_CLIENT_UID="$uid")
    ok "journalctl -o json CPAN_BRIDGE_MODULE=test: $user's request: $(echo "$entry" | json_field MESSAGE)"
    is "  its CPAN_BRIDGE_CLIENT_UID" "$(echo "$entry" | json_field CPAN_BRIDGE_CLIENT_UID)" "$uid"
    is "  its CPAN_BRIDGE_FUNCTION" "$(echo "$entry" | json_field CPAN_BRIDGE_FUNCTION)" ping
    is "  its PRIORITY (debug) and _UID (the router)" \
        "$(echo "$entry" | json_field PRIORITY)/$(echo "$entry" | json_field _UID)" "7/$ROUTER_UID"
    if [ -n "$(echo "$entry" | json_field CPAN_BRIDGE_REQUEST_ID)" ]; then
        ok "  its CPAN_BRIDGE_REQUEST_ID: $(echo "$entry" | json_field CPAN_BRIDGE_REQUEST_ID)"
    else
        failed "  the entry has no CPAN_BRIDGE_REQUEST_ID"
    fi
}

# Channels (DESIGN.md): the router hands the connection to systemd's instance, which answers
# it, logs each request to the journal itself (as its own unit and uid), and reports the
# calls back to the router's counters.
check_channel() {
    local user=$1 uid=$2 unit=cpan-bridge-core@$2.service before after entry
    before=$("$CB_CLIENT" --socket "$SOCK" call system stats '{}' | json_number channels_opened)
    if as "$user" "$CB_CLIENT" --socket "$SOCK" bench --channel --connections 1 --pipeline 1 \
        --requests 20 --module test --function ping >"$OUT" 2>&1 && grep -q ' errors=0 ' "$OUT"; then
        ok "$user: 20 calls on a channel: $(head -c 120 "$OUT")"
    else
        failed "$user: calls on a channel"
        show_output
        return
    fi
    after=$("$CB_CLIENT" --socket "$SOCK" call system stats '{}' | json_number channels_opened)
    is "  the router handed one connection over (channels_opened)" "$((after - before))" 1
    if wait_until 5 test -n "$(journalctl -o json --no-pager -r -n 1 _SYSTEMD_UNIT="$unit" \
        CPAN_BRIDGE_MODULE=test CPAN_BRIDGE_FUNCTION=ping 2>/dev/null)"; then
        entry=$(journalctl -o json --no-pager -r -n 1 _SYSTEMD_UNIT="$unit" CPAN_BRIDGE_MODULE=test \
            CPAN_BRIDGE_FUNCTION=ping)
        is "  journal: the instance logged the request, PRIORITY/_UID/CLIENT_UID" \
            "$(echo "$entry" | json_field PRIORITY)/$(echo "$entry" | json_field _UID)/$(echo "$entry" | json_field CPAN_BRIDGE_CLIENT_UID)" \
            "7/$uid/$uid"
    else
        failed "  journal: no request entry of $unit"
    fi
}

# The seed's stories, as the Perl tests tell them under cpan-bridge-dev, against this suite
# under the real systemd, as a user of the clients group: STORY-002 to 004, 008, 009, 014,
# 015 and 018's xml. CB_TEST_SOCKET makes CBTestSuite use the installed suite.
STORIES="02-story-002-003-modes 04-story-004-counts 60-story-009-015-monitoring
    80-story-008-014-security 96-xml"
check_stories() {
    local t
    for t in $STORIES; do
        prove_check user "$CB_USER_A" "$t"
    done
}

# STORY-012 under systemd: t/99's pipeline (SFTP, xml, xpath, HTTPS, PostgreSQL) against the
# servers started here on this namespace's loopback, through the user's own sandboxed units;
# then STORY-018's four calls in both modes (t/88) on the same servers.
# t/99 runs as root with the user's effective ids for its calls (CB_TEST_AS_USER); the SFTP
# key is copied where the user's instance may read it, as a user's own key would be.
check_story_012() {
    local repo servers dir conf unit=cpan-bridge-db@$A_UID.service
    local dropin=/etc/cpan-bridge/cpan-bridge.conf.d/60-story-012.conf
    repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
    dir=$(mktemp -d /tmp/cb-012.XXXXXX)
    chmod 0755 "$dir" # the user's instances reach the key in it
    servers=$dir/servers
    ip link set lo up
    if ! { "$repo/tests/ssh/sshd.sh" start && "$repo/tests/net/web-servers.sh" start &&
        "$repo/tests/db/pg-cluster.sh" start; } >"$servers" 2>"$dir/servers.log"; then
        failed "STORY-012 under systemd: the test servers did not start"
        sed 's/^/    | /' "$dir/servers.log" | tail -n 10
    else
        # shellcheck source=/dev/null
        . <(grep -E '^(SSHD_DIR|SSHD_KNOWN_HOSTS|SFTP_KEY_FILE|WEB_DIR|PGHOST|PGPORT)=' "$servers")
        install -d -m 0700 -o "$CB_USER_A" "$dir/key"
        install -m 0600 -o "$CB_USER_A" "$SFTP_KEY_FILE" "$dir/key/id"
        install -m 0644 -o "$CB_USER_A" "$SSHD_KNOWN_HOSTS" "$dir/key/known_hosts"
        printf 'SFTP_KEY_FILE=%s\nSSHD_KNOWN_HOSTS=%s\n' "$dir/key/id" "$dir/key/known_hosts" >>"$servers"
        conf=$(printf '[dsn_aliases]\ndbi:Oracle:testdb = dbi:Pg:dbname=cbtest;host=%s;port=%s\n' \
            "$PGHOST" "$PGPORT")
        printf '%s\n' "$conf" >"$dropin"
        systemctl reload cpan-bridge.service
        systemctl try-reload-or-restart "$unit"
        prove_check root "$CB_USER_A" 99-story-012-pipeline CB_TEST_CONFIG="$conf"$'\n' \
            CB_TEST_SERVERS="$servers" CB_TEST_AS_USER="$CB_USER_A"
        # STORY-018 on the same servers, as the user itself: process mode included.
        prove_check user "$CB_USER_A" 88-story-018-performance CB_TEST_CONFIG="$conf"$'\n' \
            CB_TEST_SERVERS="$servers"
        rm -f "$dropin"
        systemctl reload cpan-bridge.service
        systemctl try-reload-or-restart "$unit"
    fi
    [ -z "${PGHOST:-}" ] || "$repo/tests/db/pg-cluster.sh" stop "$PGHOST" >/dev/null 2>&1
    [ -z "${WEB_DIR:-}" ] || "$repo/tests/net/web-servers.sh" stop "$WEB_DIR" >/dev/null 2>&1
    [ -z "${SSHD_DIR:-}" ] || "$repo/tests/ssh/sshd.sh" stop "$SSHD_DIR" >/dev/null 2>&1
    rm -rf "$dir"
}

# STORY-013 under systemd: its limits go in as a drop-in, the router and the instance reload
# them, and t/97 runs its load, overload and recovery; no instance may restart meanwhile.
STORY_013_CONF='[limits]
max_connections_per_uid = 16
max_inflight_per_uid = 12
'
check_story_013() {
    local unit=cpan-bridge-core@$A_UID.service n0 dropin=/etc/cpan-bridge/cpan-bridge.conf.d/60-story-013.conf
    printf '%s' "$STORY_013_CONF" >"$dropin"
    systemctl reload cpan-bridge.service "$unit"
    n0=$(prop "$unit" NRestarts)
    prove_check user "$CB_USER_A" 97-story-013-load CB_TEST_CONFIG="$STORY_013_CONF"
    is "  $unit NRestarts during the load" "$(prop "$unit" NRestarts)" "$n0"
    rm -f "$dropin"
    systemctl reload cpan-bridge.service "$unit"
}

# STORY-017 with systemd holding the socket: kill -9 of the router. A channel opened before
# goes on as if nothing happened; a connection made meanwhile waits in the socket until
# systemd has restarted the router, and is answered. The client may not fall back.
check_router_kill9() {
    local repo pid n0 t dir result
    repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
    dir=$(mktemp -d) && chmod 777 "$dir"
    pid=$(prop cpan-bridge.service MainPID)
    n0=$(prop cpan-bridge.service NRestarts)
    as "$CB_USER_A" env PERL5LIB="$repo/perl" CPAN_BRIDGE_FALLBACK=0 perl -MCPANBridge -e '
        my ($ready, $killed) = @ARGV;
        my $b = CPANBridge->new;
        my $v1 = $b->call("test", "counter", {})->{result}{value} // "none";
        open(my $f, ">", $ready) or die; close $f;
        select undef, undef, undef, 0.05 until -e $killed;
        my $v2 = $b->call("test", "counter", {})->{result}{value} // "none";
        my $r = CPANBridge->new->call("test", "ping", {});
        print "$v1 $v2 ", ($r->{success} ? "answered" : "$r->{error_code}"), "\n";' \
        "$dir/ready" "$dir/killed" >"$dir/out" 2>&1 &
    local client=$!
    wait_until 10 test -e "$dir/ready"
    t=$(now)
    kill -KILL "$pid"
    touch "$dir/killed"
    wait "$client"
    result=$(tail -n 1 "$dir/out")
    is "kill -9 of the router (pid $pid): the channel's session, and a new connection" "$result" "1 2 answered"
    if wait_until 10 restarted cpan-bridge.service "$pid"; then
        ok "  systemd restarted the router as pid $(prop cpan-bridge.service MainPID) after $(since "$t")s"
    else
        failed "  the router was not restarted: $(state cpan-bridge.service)"
    fi
    is "  cpan-bridge.service NRestarts" "$(prop cpan-bridge.service NRestarts)" "$((n0 + 1))"
    rm -rf "$dir"
}

# STORY-017's faults as t/98 tells them, as a user against the installed suite: each of the
# seven families' instances killed in the middle of a call (a user may signal its own instance), a committed
# write surviving and an uncommitted one not, stalled and greedy connections, a slow call,
# and the disk full on a small tmpfs mounted here. systemd must have restarted each killed
# instance: once each, the db instance twice. The router's kill is check_router_kill9's.
STORY_017_CONF='[limits]
frame_stall_timeout_ms = 500
'
STORY_017_KILLS="core:1 db:2 crypto:1 xml:1 office:1 net:1 ssh:1"
check_story_017() {
    local full dropin=/etc/cpan-bridge/cpan-bridge.conf.d/60-story-017.conf k f
    local -A n0
    printf '%s' "$STORY_017_CONF" >"$dropin"
    systemctl reload cpan-bridge.service
    ip link set lo up # t/98's mute server, which the net and ssh instances wait on
    full=$(mktemp -d /tmp/cb-full.XXXXXX)
    if ! mount -t tmpfs -o size=256k,mode=1777 tmpfs "$full"; then
        failed "mount a 256 KiB tmpfs at $full for the disk-full case"
    fi
    for k in $STORY_017_KILLS; do
        f=${k%%:*}
        n0[$f]=$(prop "cpan-bridge-$f@$A_UID.service" NRestarts)
    done
    prove_check user "$CB_USER_A" 98-story-017-faults CB_TEST_CONFIG="$STORY_017_CONF" \
        CB_TEST_FULL_DIR="$full"
    for k in $STORY_017_KILLS; do
        f=${k%%:*}
        is "  cpan-bridge-$f@$A_UID.service NRestarts after its kills" \
            "$(prop "cpan-bridge-$f@$A_UID.service" NRestarts)" "$((n0[$f] + ${k##*:}))"
    done
    check "  the full tmpfs unmounts: nothing holds it open" umount "$full"
    rmdir "$full"
    rm -f "$dropin"
    systemctl reload cpan-bridge.service
}

# STORY-017, the whole suite stopped under systemd: a user's script falls back to process
# mode while the suite is down, and is back in daemon mode once the socket is started again.
check_suite_stopped() {
    local repo dir result
    repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
    dir=$(mktemp -d) && chmod 777 "$dir"
    as "$CB_USER_A" env PERL5LIB="$repo/perl" perl -MCPANBridge -e '
        my ($dir) = @ARGV;
        my $b = CPANBridge->new;
        my @seen;
        for my $step (qw(up stopped started)) {
            select undef, undef, undef, 0.05 until -e "$dir/$step";
            my $r = $b->call("test", "ping", {});
            push @seen, $r->{success} ? $b->mode : "failed:" . ($r->{error_code} // "?");
            open(my $f, ">", "$dir/$step.done") or die; close $f;
        }
        print "@seen\n";' "$dir" >"$dir/out" 2>"$dir/err" &
    local client=$!
    touch "$dir/up"
    wait_until 10 test -e "$dir/up.done"
    systemctl stop cpan-bridge.socket cpan-bridge.target
    touch "$dir/stopped"
    wait_until 20 test -e "$dir/stopped.done"
    systemctl start cpan-bridge.socket
    touch "$dir/started"
    wait "$client"
    result=$(tail -n 1 "$dir/out")
    is "the suite stopped and started: a script's calls before, during and after" "$result" \
        "daemon process daemon"
    [ "$result" = "daemon process daemon" ] || sed 's/^/    | /' "$dir/err" | tail -n 5
    rm -rf "$dir"
}

# kill -9: Restart=on-failure brings the instance back, and the router reaches the new one.
check_kill9() {
    local unit=cpan-bridge-core@$A_UID.service pid n0 t
    pid=$(prop "$unit" MainPID)
    n0=$(prop "$unit" NRestarts)
    t=$(now)
    kill -KILL "$pid"
    if wait_until 10 restarted "$unit" "$pid"; then
        ok "kill -9 of $unit (pid $pid): restarted as pid $(prop "$unit" MainPID) after $(since "$t")s"
    else
        failed "kill -9 of $unit (pid $pid): not restarted within 10s ($(state "$unit"))"
    fi
    is "$unit NRestarts" "$(prop "$unit" NRestarts)" $((n0 + 1))
    call_ok "the next call of $CB_USER_A after the restart" "$CB_USER_A" test ping
    is "$unit still runs as uid" "$(main_uid "$unit")" "$A_UID"
}

# SIGSTOP: the instance stops feeding the watchdog; systemd sends SIGABRT (with SIGCONT),
# records Result=watchdog and restarts it.
check_watchdog() {
    local unit=cpan-bridge-core@$A_UID.service pid t
    pid=$(prop "$unit" MainPID)
    t=$(now)
    kill -STOP "$pid"
    if wait_until 15 restarted "$unit" "$pid"; then
        ok "SIGSTOP of $unit (pid $pid): restarted as pid $(prop "$unit" MainPID) after $(since "$t")s"
    else
        failed "SIGSTOP of $unit (pid $pid): not restarted within 15s ($(state "$unit"))"
        kill -CONT "$pid" 2>/dev/null
    fi
    # journald may write systemd's line a moment after the restart is visible.
    if wait_until 5 sh -c "journalctl --no-pager -o cat -u '$unit' | grep -q \"Failed with result 'watchdog'\""; then
        ok "journal: $unit failed with result 'watchdog'"
    else
        failed "journal: no \"Failed with result 'watchdog'\" for $unit"
        journalctl --no-pager -o cat -u "$unit" | tail -n 8 | sed 's/^/    | /'
    fi
    call_ok "the next call of $CB_USER_A after the watchdog restart" "$CB_USER_A" test ping
}

# The router's socket is 0660 cpanbridge:cpanbridge-clients, the instances' 0600 cpanbridge:
# the kernel refuses everyone else at connect(), with EACCES (strerror: Permission denied).
check_refused_connect() {
    call "$CB_USER_OUT" system ping
    if [ $? = 2 ] && grep -q 'Permission denied' "$OUT"; then
        ok "$CB_USER_OUT (not in cpanbridge-clients) cannot connect: $(cat "$OUT")"
    else
        failed "$CB_USER_OUT (not in cpanbridge-clients) connecting to $SOCK"
        show_output
    fi
    call "$CB_USER_A" system ping '{}' "/run/cpan-bridge/core/$A_UID.sock"
    if [ $? = 2 ] && grep -q 'Permission denied' "$OUT"; then
        ok "$CB_USER_A cannot connect to its own instance's socket directly"
    else
        failed "$CB_USER_A connecting to /run/cpan-bridge/core/$A_UID.sock directly"
        show_output
    fi
}

# Root is outside the instance uid range: the router answers system.* itself, and refuses
# family calls with E_UNAVAILABLE (process mode serves root) without starting an instance.
check_root() {
    call_ok "root: system.ping through the router" root system ping
    if call root test ping; then
        failed "root: test.ping through the router succeeded, expected E_UNAVAILABLE"
        show_output
    elif grep -q E_UNAVAILABLE "$OUT"; then
        ok "root: test.ping through the router: $(head -c 200 "$OUT")"
    else
        failed "root: test.ping through the router: no E_UNAVAILABLE"
        show_output
    fi
    is "units cpan-bridge-core@0.* loaded" \
        "$(systemctl list-units --all --no-legend --plain 'cpan-bridge-core@0.*' | wc -l)" 0
}

check_stop() {
    check "systemctl stop cpan-bridge.socket" systemctl stop cpan-bridge.socket
    if [ -e "$SOCK" ]; then failed "$SOCK still exists after the stop"; else ok "$SOCK is gone"; fi
    is "cpan-bridge.service after the socket stopped (Requires=)" "$(state cpan-bridge.service)" inactive
}

main() {
    echo "info: users: A=$CB_USER_A ($A_UID), B=$CB_USER_B ($B_UID), out=$CB_USER_OUT," \
        "router cpanbridge ($ROUTER_UID); systemd $(systemctl --version | awk 'NR == 1 { print $2 }')"
    install_test_dropin
    check_verify
    check_security cpan-bridge.service "${CB_SECURITY_MAX_ROUTER:-}"
    check_security "cpan-bridge-core@$A_UID.service" "${CB_SECURITY_MAX_INSTANCE:-}"
    check_socket_alone
    check_instance "$CB_USER_A" "$A_UID"
    check_router_started
    check_second_user
    check_notify
    check_journal "$CB_USER_A" "$A_UID"
    check_journal "$CB_USER_B" "$B_UID"
    check_channel "$CB_USER_A" "$A_UID"
    check_stories
    check_story_012
    check_story_013
    check_router_kill9
    check_story_017
    check_suite_stopped
    check_kill9
    check_watchdog
    check_refused_connect
    check_root
    check_stop
    [ "$NFAILED" = 0 ] || dump_journal
    echo "info: checks took $(since "$T0")s, $NFAILED failed"
    [ "$NFAILED" = 0 ]
}

main
