#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/rpm/ns-init-rpm.sh: PID 1 of the RPM test's namespaces, until it becomes systemd.
#
#   ns-init-rpm.sh overlay WORK REPO   on the host's root: overlay of /, pivot_root into it
#   ns-init-rpm.sh root WORK REPO      on the overlay: private /run, cgroup2, read-only /sys,
#                                      rpm -i the packages, create test users, exec systemd
#
# The overlay, the API filesystems and systemd's start are tests/systemd/ns-init.sh's own
# functions (read without its final `case`); only the installation differs: the RPMs from
# WORK/rpms with rpm -i, so their scriptlets do what a real installation does.
set -euo pipefail

REPO=$3
eval "$(sed '/^case \$phase in$/,$d' "$REPO/tests/systemd/ns-init.sh")"
SELF=$REPO/tests/rpm/ns-init-rpm.sh

# shellcheck disable=SC2154 # phase is set by the header of ns-init.sh, read above
say() { echo "ns-init-rpm[$phase]: $*"; }

# Before systemd runs: SYSTEMD_OFFLINE=1 makes the scriptlets' systemctl edit the enablement
# symlinks itself, as in an image build (without it, it would look for a running systemd
# and, finding none, do nothing). The status goes to the checks; a failure does not stop the
# boot, so that the checks can say what is missing.
install_rpms() {
    local rc=0
    SYSTEMD_OFFLINE=1 rpm -i -v --nodeps --nosignature "$W"/rpms/*.rpm >"$W/rpm-install.log" 2>&1 || rc=$?
    say "rpm -i: exit $rc ($(wc -l <"$W/rpm-install.log") lines in rpm-install.log)"
    echo "CB_RPM_INSTALL_RC=$rc" >>"$W/inside.env"
}

# Two callers in the clients group, one outside it; all fresh, so in the instance uid range.
create_users() {
    local a=cbrpm-a b=cbrpm-b out=cbrpm-out
    useradd -m -U -s /bin/bash "$a"
    useradd -m -U -s /bin/bash "$b"
    useradd -M -U -s /bin/bash "$out"
    usermod -a -G cpanbridge-clients "$a" || say "no group cpanbridge-clients to add $a to"
    usermod -a -G cpanbridge-clients "$b" || say "no group cpanbridge-clients to add $b to"
    {
        echo "CB_USER_A=$a"
        echo "CB_USER_B=$b"
        echo "CB_USER_OUT=$out"
        echo "CB_PACKAGES_LIST=$W/packages.list"
        echo "CB_FILES_LIST=$W/files.list"
        echo "CB_RPM_LOG=$W/rpm-install.log"
    } >>"$W/inside.env"
    say "users: A=$(id "$a") B=$(id "$b") out=$(id "$out") router=$(id cpanbridge 2>&1)"
}

case $phase in
overlay)
    build_overlay
    enter_overlay
    exec /bin/bash "$SELF" root "$W" "$REPO"
    ;;
root)
    mount_api_filesystems
    assert_on_overlay
    : >"$W/inside.env"
    install_rpms
    create_users
    exec_systemd
    ;;
*)
    say "unknown phase"
    exit 2
    ;;
esac
