#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/systemd/boot.sh: cpan-bridge under a real systemd, booted for the test only.
#
#   boot.sh [COMMAND [ARG...]]    run COMMAND inside (default: tests/systemd/inside.sh)
#   boot.sh --probe               say whether this machine can run it; exit 0, or 77 with
#                                 "SKIPPED (reason)" on stdout
#
# What it does, as root: stages `make install DESTDIR=` of this tree, then boots the host's
# own systemd as PID 1 of new pid+mount+uts+ipc+net+cgroup namespaces, on a throwaway
# overlay of / entered with pivot_root (tests/systemd/ns-init.sh). Inside run journald,
# the system bus (dbus.socket) and polkitd (D-Bus activated), with the installed suite,
# its sysusers.d and tmpfiles.d applied, and three test users. COMMAND runs in there
# through nsenter; it prints "ok: ..." and "FAILED: ..." lines, which are counted. Then
# everything is torn down: the namespaces die with their PID 1, the cgroup and the work
# directory are removed, and that is checked too.
#
# The last line printed is "N passed, M failed"; the exit status is 0 only if M is 0.
# Host side effects while it runs: a cgroup under the cgroup2 tree and a directory in
# $TMPDIR. The host's /etc, /usr, /run and unit files are never written or loaded.
#
# Environment:
#   CB_BUILD_DIR    build directory relative to the tree (make's B=), default build
#   BOOT_TIMEOUT    seconds to wait for systemd's READY=1, default 30
#   INSIDE_TIMEOUT  seconds the inside command may take, default 120
#   KEEP=1          keep the work directory (logs, the overlay's upper layer is gone anyway)
#   CB_TEST_PRESTART=1  passed to inside.sh: start each instance socket as root before the
#                   first call, to diagnose the rest when the router's own StartUnit fails;
#                   the router's StartUnit is then not tested. make check-systemd never sets it
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
BUILD_DIR=${CB_BUILD_DIR:-build}
BOOT_TIMEOUT=${BOOT_TIMEOUT:-30}
INSIDE_TIMEOUT=${INSIDE_TIMEOUT:-120}
# What boot() runs as the namespaces' PID 1, and its cgroup; tests/rpm sets its own.
NS_INIT_SCRIPT=$HERE/ns-init.sh
CG_NAME=cpan-bridge-test
NEEDED_COMMANDS="unshare nsenter setpriv pivot_root findmnt socat useradd usermod make
    systemd-sysusers systemd-tmpfiles systemctl journalctl systemd-analyze
    /lib/systemd/systemd /usr/lib/polkit-1/polkitd"
# The units systemd needs to reach multi-user.target and shut down, plus the three
# services under the suite; copied from the host, never loaded from its unit path.
BASE_UNITS="sysinit.target basic.target sockets.target timers.target paths.target
    slices.target local-fs.target local-fs-pre.target swap.target shutdown.target
    umount.target final.target multi-user.target exit.target systemd-exit.service
    poweroff.target systemd-poweroff.service halt.target systemd-halt.service reboot.target
    systemd-reboot.service network.target network-pre.target nss-user-lookup.target
    systemd-journald.service systemd-journald.socket dbus.socket dbus.service polkit.service"

W="" CG="" ORIG_CG="" NS_INIT="" NS_PIDNS="" UNSHARE_PID="" LISTENER_PID="" INSIDE_PID="" FOLLOWER_PID=""
INTERACTIVE=0 INTERRUPTED=0
PASSED=0 FAILED=0
T0=$(date +%s.%N)

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }
log() { printf '[boot %6ss] %s\n' "$(since "$T0")" "$*"; }
pass() { echo "ok: $*"; PASSED=$((PASSED + 1)); }
fail() { echo "FAILED: $*"; FAILED=$((FAILED + 1)); }

# ------------------------------------------------------------------------ can it run here?
# Prints why not, or nothing. Each test is one a CI machine has been seen to miss.
cgroup2_root() {
    if [ "$(stat -fc %T /sys/fs/cgroup 2>/dev/null)" = cgroup2fs ]; then
        echo /sys/fs/cgroup
    elif [ "$(stat -fc %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ]; then
        echo /sys/fs/cgroup/unified # hybrid layout: v1 controllers, an empty v2 tree
    fi
}

why_not() {
    local c cg2 u
    [ "$(id -u)" = 0 ] || { echo "not running as root"; return; }
    for c in $NEEDED_COMMANDS; do
        command -v "$c" >/dev/null || { echo "no $c"; return; }
    done
    # dbus.service is dbus-daemon on Debian, an alias of dbus-broker.service on RHEL 9.
    command -v dbus-daemon >/dev/null || command -v dbus-broker >/dev/null ||
        { echo "no dbus-daemon or dbus-broker"; return; }
    for u in $BASE_UNITS; do
        [ -f "/lib/systemd/system/$u" ] || { echo "no /lib/systemd/system/$u"; return; }
    done
    [ -f /usr/share/polkit-1/actions/org.freedesktop.systemd1.policy ] ||
        { echo "no org.freedesktop.systemd1.policy for polkit"; return; }
    cg2=$(cgroup2_root)
    [ -n "$cg2" ] || { echo "no cgroup2 hierarchy mounted"; return; }
    if ! mkdir "$cg2/cpan-bridge-probe.$$" 2>/dev/null; then
        echo "cannot create a cgroup under $cg2"
        return
    fi
    rmdir "$cg2/cpan-bridge-probe.$$"
    grep -qw overlay /proc/filesystems || modprobe overlay 2>/dev/null ||
        { echo "no overlayfs in the kernel"; return; }
    unshare --pid --fork --mount --uts --ipc --net --cgroup true 2>/dev/null ||
        { echo "unshare of pid, mount, uts, ipc, net and cgroup namespaces refused"; return; }
}

# ------------------------------------------------------------------------------ setup
make_workdir() {
    W=$(mktemp -d "${TMPDIR:-/tmp}/cpan-bridge-systemd.XXXXXX")
    chmod 0755 "$W" # the test users run the staged client from inside it
    mkdir -p "$W/units" "$W/empty"
}

# `make install` into a staging tree, copied over the overlay's / by ns-init.sh. The C test
# client is staged too, so daemons and client come from the same build even if the tree
# is rebuilt while the test runs.
stage_suite() {
    if ! make -C "$REPO" --no-print-directory B="$BUILD_DIR" install DESTDIR="$W/dest" \
        >"$W/install.log" 2>&1; then
        tail -n 20 "$W/install.log"
        fail "make install DESTDIR=$W/dest"
        return 1
    fi
    install -D -m 0755 "$REPO/$BUILD_DIR/cpan-bridge-client" \
        "$W/dest/usr/local/libexec/cpan-bridge-test/cpan-bridge-client"
    pass "make install DESTDIR=<staging>: $(find "$W/dest" -type f | wc -l) files"
}

# The unit path systemd gets: copies of the base units, polkitd in debug mode, and a link for
# every unit `make install` put in /usr/lib/systemd/system, so the installed files themselves
# (as seen inside the overlay) are what systemd loads.
build_unit_path() {
    local u name
    for u in $BASE_UNITS; do
        cp "/lib/systemd/system/$u" "$W/units/"
    done
    ln -s multi-user.target "$W/units/default.target"
    mkdir -p "$W/units/sockets.target.wants" "$W/units/sysinit.target.wants"
    ln -s ../systemd-journald.socket ../dbus.socket "$W/units/sockets.target.wants/"
    ln -s ../systemd-journald.service "$W/units/sysinit.target.wants/"
    # The stock unit passes --no-debug, which sends rule loading to syslog only, and there is
    # no /dev/log in here: without it those lines reach the journal.
    mkdir -p "$W/units/polkit.service.d"
    printf '[Service]\nExecStart=\nExecStart=/usr/lib/polkit-1/polkitd\n' \
        >"$W/units/polkit.service.d/50-debug.conf"
    for u in "$W"/dest/usr/lib/systemd/system/*; do
        name=$(basename "$u")
        ln -s "/usr/lib/systemd/system/$name" "$W/units/$name"
    done
}

# systemd as PID 1 of a container sends READY=1 to $NOTIFY_SOCKET, as it would to nspawn.
start_notify_listener() {
    socat -u "UNIX-RECV:$W/notify.sock" "OPEN:$W/notify.log,creat,append" &
    LISTENER_PID=$!
    for _ in $(seq 100); do
        [ -S "$W/notify.sock" ] && return 0
        sleep 0.02
    done
    fail "notify socket listener did not start"
    return 1
}

# The namespaces' PID 1 starts in a cgroup of its own, which its cgroup namespace makes the
# root that systemd sees. unshare itself stays outside it, in our original cgroup.
boot() {
    local cg2
    cg2=$(cgroup2_root)
    ORIG_CG=$cg2$(sed -n 's/^0:://p' /proc/self/cgroup)
    CG=$cg2/$CG_NAME.$$
    mkdir "$CG"
    log "booting systemd $(systemctl --version | awk 'NR == 1 { print $2 }') (cgroup $CG, work $W)"
    NOTIFY_SOCKET=$W/notify.sock bash -c 'echo $$ >"$1/cgroup.procs" && shift &&
        exec unshare --pid --fork --kill-child --mount --mount-proc --uts --ipc --net --cgroup "$@"' \
        _ "$CG" /bin/bash "$NS_INIT_SCRIPT" overlay "$W" "$REPO" </dev/null >"$W/ns-init.log" 2>&1 &
    UNSHARE_PID=$!
    for _ in $(seq 250); do
        NS_INIT=$(pgrep -P "$UNSHARE_PID" || true)
        [ -n "$NS_INIT" ] && break
        sleep 0.02
    done
    if [ -z "$NS_INIT" ]; then
        cat "$W/ns-init.log"
        fail "the namespaces' PID 1 did not start"
        return 1
    fi
    NS_PIDNS=$(readlink "/proc/$NS_INIT/ns/pid")
    echo "$UNSHARE_PID" >"$ORIG_CG/cgroup.procs"
}

wait_ready() {
    local t state
    t=$(now)
    for _ in $(seq $((BOOT_TIMEOUT * 20))); do
        grep -q '^READY=1' "$W/notify.log" 2>/dev/null && break
        kill -0 "$UNSHARE_PID" 2>/dev/null || break
        sleep 0.05
    done
    if ! grep -q '^READY=1' "$W/notify.log" 2>/dev/null; then
        cat "$W/ns-init.log"
        fail "no READY=1 from systemd within ${BOOT_TIMEOUT}s"
        return 1
    fi
    state=$(timeout 20 nsenter -t "$NS_INIT" -a -r -w systemctl is-system-running --wait 2>/dev/null || true)
    grep '^ns-init' "$W/ns-init.log" | sed 's/^/    /'
    pass "systemd booted: READY=1 and '$state' after $(since "$t")s (PID 1 is $NS_INIT on the host)"
}

# The command runs in all namespaces of PID 1 and in its root and cwd (-r -w: without -r,
# systemctl would see the host's root, say "Running in chroot" and answer success), with a
# clean environment. Its ok:/FAILED: lines are its checks; a silent non-zero exit is a failure.
run_inside() {
    local rc ok bad
    local -a cmd=(nsenter -t "$NS_INIT" -a -r -w
        env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8
        HOME=/root TERM="${TERM:-dumb}" CB_TEST_ENV="$W/inside.env" CB_REPO="$REPO"
        CB_TEST_PRESTART="${CB_TEST_PRESTART:-0}" "$@")
    log "inside: $*"
    set +e
    if [ "$INTERACTIVE" = 1 ]; then
        # boot.sh bash, from a terminal: a shell in the booted system, for debugging.
        timeout --foreground "$INSIDE_TIMEOUT" "${cmd[@]}"
        rc=$?
        : >"$W/inside.log"
    else
        # In the background, so that a signal to us runs teardown at once instead of after
        # the command; its output is followed live and kept for counting.
        timeout "$INSIDE_TIMEOUT" "${cmd[@]}" </dev/null >"$W/inside.log" 2>&1 &
        INSIDE_PID=$!
        tail -s 0.1 --pid="$INSIDE_PID" -n +1 -f "$W/inside.log" &
        FOLLOWER_PID=$!
        wait "$INSIDE_PID"
        rc=$?
        INSIDE_PID=""
        wait "$FOLLOWER_PID"
        FOLLOWER_PID=""
    fi
    set -e
    ok=$(grep -c '^ok: ' "$W/inside.log" || true)
    bad=$(grep -c '^FAILED: ' "$W/inside.log" || true)
    PASSED=$((PASSED + ok))
    FAILED=$((FAILED + bad))
    if [ "$rc" != 0 ] && [ "$bad" = 0 ]; then
        [ "$rc" = 124 ] && rc="124 (timed out after ${INSIDE_TIMEOUT}s)"
        fail "inside command exited $rc"
    elif [ "$rc" = 0 ] && [ "$ok" = 0 ] && [ "$bad" = 0 ]; then
        pass "inside command exited 0"
    fi
    log "inside: done, exit $rc"
}

# ------------------------------------------------------------------------------ teardown
# Interrupted while the inside command runs: end it before systemd shuts down, in the right
# order. The command is nsenter's child; if nsenter died first, the kernel would hand the
# command to the host's init (the reaper of nsenter's pid namespace), not to our systemd,
# and systemd-shutdown would wait 10 s for that unreaped zombie. So the command is ended
# first and nsenter reaps it and exits; only if that fails is timeout's whole process group
# (it leads one: timeout, nsenter, the command) killed by its id.
stop_inside() {
    local enter
    [ -n "$FOLLOWER_PID" ] && kill "$FOLLOWER_PID" 2>/dev/null
    [ -n "$INSIDE_PID" ] || return 0
    for enter in $(pgrep -P "$INSIDE_PID"); do
        # shellcheck disable=SC2046
        kill -TERM $(pgrep -P "$enter") 2>/dev/null
    done
    for _ in $(seq 30); do
        kill -0 "$INSIDE_PID" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL -- "-$INSIDE_PID" 2>/dev/null
    wait "$INSIDE_PID" 2>/dev/null
    INSIDE_PID=""
}

# SIGRTMIN+4 asks systemd for poweroff.target, which stops every unit; in a container PID 1
# then simply exits. A signal rather than `nsenter systemctl exit`, so that no nsenter'd
# process can still be in there when systemd-shutdown kills what is left (see stop_inside).
# Killing PID 1 of a pid namespace kills everything in it: the fallback after 10 s.
stop_systemd() {
    [ -n "$NS_INIT" ] && kill -0 "$NS_INIT" 2>/dev/null || return 0
    kill -s SIGRTMIN+4 "$NS_INIT"
    for _ in $(seq 100); do
        kill -0 "$NS_INIT" 2>/dev/null || return 0
        sleep 0.1
    done
    log "systemd did not exit within 10s: SIGKILL"
    kill -KILL "$NS_INIT" 2>/dev/null || true
}

remove_cgroup() {
    [ -n "$CG" ] && [ -d "$CG" ] || return 0
    for _ in $(seq 50); do
        find "$CG" -depth -type d -exec rmdir {} \; 2>/dev/null || true
        [ -d "$CG" ] || return 0
        sleep 0.1 # a dying process may still be leaving it
    done
}

# Nothing of ours may survive: no process in our pid namespace, no cgroup, no mount that
# names the work directory (they were all in the private mount namespace).
left_behind() {
    local p what=""
    if [ -n "$NS_PIDNS" ]; then
        for p in /proc/[0-9]*; do
            [ "$(readlink "$p/ns/pid" 2>/dev/null)" = "$NS_PIDNS" ] && what="$what process ${p#/proc/}"
        done
    fi
    [ -n "$CG" ] && [ -d "$CG" ] && what="$what cgroup $CG"
    [ -n "$W" ] && grep -qF "$W" /proc/self/mountinfo && what="$what mounts under $W"
    echo "$what"
}

teardown() {
    local rest
    set +e
    trap - EXIT INT TERM
    [ "$INTERRUPTED" = 1 ] && fail "interrupted by a signal"
    stop_inside
    log "teardown: stopping systemd"
    stop_systemd
    [ -n "$UNSHARE_PID" ] && wait "$UNSHARE_PID" 2>/dev/null
    [ -n "$LISTENER_PID" ] && kill "$LISTENER_PID" 2>/dev/null && wait "$LISTENER_PID" 2>/dev/null
    remove_cgroup
    log "teardown: systemd gone"
    if [ -n "$W" ]; then
        rest=$(left_behind)
        if [ -n "$rest" ]; then fail "torn down, but left behind:$rest"; else pass "torn down, nothing left behind"; fi
        if [ "${KEEP:-0}" = 1 ]; then log "work directory kept: $W"; else rm -rf "$W"; fi
    fi
    log "total $(since "$T0")s"
    echo "$PASSED passed, $FAILED failed"
    # An explicit status: a bare exit in a trap would return the status from before the trap.
    if [ "$INTERRUPTED" = 1 ]; then
        exit 130
    elif [ "$FAILED" = 0 ] && [ "$PASSED" -gt 0 ]; then
        exit 0
    fi
    exit 1
}

main() {
    local why
    why=$(why_not)
    if [ "${1:-}" = --probe ]; then
        [ -z "$why" ] && exit 0
        echo "SKIPPED (needs root, util-linux, socat, dbus, polkitd, overlayfs, a writable" \
            "cgroup2 tree and permission to create namespaces; here: $why)"
        exit 77
    fi
    if [ -n "$why" ]; then
        echo "boot.sh: cannot run: $why" >&2
        exit 2
    fi
    if [ $# -gt 0 ]; then
        [ -t 0 ] && [ -t 1 ] && INTERACTIVE=1
    else
        set -- /bin/bash "$HERE/inside.sh"
    fi

    trap teardown EXIT
    trap 'INTERRUPTED=1; exit 130' INT TERM
    make_workdir
    stage_suite || exit 1
    build_unit_path
    start_notify_listener || exit 1
    boot || exit 1
    wait_ready || exit 1
    run_inside "$@"
}

main "$@"
