#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/rpm/install-test.sh: the built RPMs installed into a real systemd, booted for the
# test only, as tests/systemd/boot.sh does for `make install`.
#
#   install-test.sh RPM...      install them, boot, run tests/rpm/inside-rpm.sh inside
#   install-test.sh --probe     say whether this machine can run it; exit 0, or 77 with
#                               "SKIPPED (reason)" on stdout
#
# It reuses boot.sh's functions (workdir, unit path, notify listener, readiness, running the
# checks inside, teardown and the left-behind check) by reading boot.sh without its last
# line, `main "$@"`; only staging and the namespaces' PID 1 differ. Instead of `make install`, ns-init-rpm.sh
# runs `rpm -i --nodeps --nosignature` on the throwaway overlay of / before systemd starts,
# so %pre and %post run for real: sysusers creates the users, systemctl applies the preset
# (offline, as in an image build), tmpfiles creates /run/cpan-bridge. The checks, `rpm -e`
# included, then run inside the booted system (inside-rpm.sh).
#
# The last line printed is "N passed, M failed"; the exit status is 0 only if M is 0.
# Environment: as boot.sh (BOOT_TIMEOUT, INSIDE_TIMEOUT, KEEP=1).
set -euo pipefail

RPM_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SYSTEMD_TESTS=$(cd "$RPM_HERE/../systemd" && pwd)

# boot.sh's definitions, not its main. Its HERE and REPO come out right from here too:
# BASH_SOURCE[0] is this script, two levels below the tree like boot.sh.
boot_src=$(sed '/^main "\$@"$/d' "$SYSTEMD_TESTS/boot.sh")
eval "$boot_src"
unset boot_src
for f in why_not make_workdir build_unit_path start_notify_listener boot wait_ready run_inside \
    teardown cgroup2_root log pass fail; do
    declare -F "$f" >/dev/null || {
        echo "install-test.sh: tests/systemd/boot.sh has no function $f any more" >&2
        exit 2
    }
done
# boot.sh's boot() reads these: ns-init-rpm.sh, which installs the RPMs, is the namespaces'
# PID 1.
# shellcheck disable=SC2034
REPO=$(cd "$RPM_HERE/../.." && pwd)
# shellcheck disable=SC2034
NS_INIT_SCRIPT=$RPM_HERE/ns-init-rpm.sh
# shellcheck disable=SC2034
CG_NAME=cpan-bridge-rpm-test
RPMS=()

why_not_rpm() {
    local why c
    why=$(why_not)
    [ -z "$why" ] || { echo "$why"; return; }
    for c in rpm rpm2cpio cpio perl runuser; do
        command -v "$c" >/dev/null || { echo "no $c"; return; }
    done
}

# The RPMs, and from them the unit files boot.sh's build_unit_path links into systemd's
# unit path (links to /usr/lib/systemd/system/NAME, which rpm -i fills inside the overlay).
stage_rpms() {
    local r
    mkdir -p "$W/rpms" "$W/dest"
    for r in "${RPMS[@]}"; do
        cp "$r" "$W/rpms/"
        (cd "$W/dest" && rpm2cpio "$r" | cpio -idm --quiet './usr/lib/systemd/system/*' 2>/dev/null) || true
    done
    rpm -qp --nosignature --qf '%{NAME}\n' "$W"/rpms/*.rpm >"$W/packages.list"
    rpm -qlp --nosignature "$W"/rpms/*.rpm | sort -u >"$W/files.list"
    if ! ls "$W"/dest/usr/lib/systemd/system/*.socket >/dev/null 2>&1; then
        fail "the RPMs hold no socket units"
        return 1
    fi
    pass "staged ${#RPMS[@]} RPMs: $(tr '\n' ' ' <"$W/packages.list")"
}

rpm_main() {
    local why
    why=$(why_not_rpm)
    if [ "${1:-}" = --probe ]; then
        [ -z "$why" ] && exit 0
        echo "SKIPPED (needs root, rpm, util-linux, socat, dbus, polkitd, overlayfs, a writable" \
            "cgroup2 tree and permission to create namespaces; here: $why)"
        exit 77
    fi
    if [ -n "$why" ]; then
        echo "install-test.sh: cannot run: $why" >&2
        exit 2
    fi
    [ $# -gt 0 ] || { echo "usage: install-test.sh RPM..." >&2; exit 2; }
    for r in "$@"; do
        [ -f "$r" ] || { echo "install-test.sh: no such RPM: $r" >&2; exit 2; }
        RPMS+=("$(cd "$(dirname "$r")" && pwd)/$(basename "$r")")
    done

    trap teardown EXIT
    trap 'INTERRUPTED=1; exit 130' INT TERM
    make_workdir
    stage_rpms || exit 1
    build_unit_path
    start_notify_listener || exit 1
    boot || exit 1
    wait_ready || exit 1
    run_inside /bin/bash "$RPM_HERE/inside-rpm.sh"
}

rpm_main "$@"
