#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/systemd/ns-init.sh: PID 1 of the test namespaces, until it becomes systemd.
#
# boot.sh starts this inside fresh pid+mount+uts+ipc+net+cgroup namespaces (unshare has
# already made every mount private). It runs in two phases, each exec'ing the next:
#
#   ns-init.sh overlay WORK REPO   still on the host's root: build a throwaway overlay of /,
#                                  pivot_root into it
#   ns-init.sh root WORK REPO      now on the overlay: private /run, cgroup2, read-only /sys,
#                                  install cpan-bridge, create users, exec systemd
#
# WORK is boot.sh's work directory (staged install, unit path, logs), REPO the source tree.
# Both are bind-mounted into the overlay at their own paths. Nothing here may write to the
# host: every mount before pivot_root uses -n, because libmount would otherwise record it in
# /run/mount/utab, and /run is still the host's at that point.
set -euo pipefail

phase=$1 W=$2 REPO=$3
SELF=$REPO/tests/systemd/ns-init.sh

say() { echo "ns-init[$phase]: $*"; }

# ----------------------------------------------------------------------------- phase 1
# The lower layer is / without its submounts, the upper one a tmpfs, so every write the test
# makes (users in /etc/passwd, the installed suite, /var) vanishes with the mount namespace.
build_overlay() {
    local o=$W/ovl
    mkdir -p "$o"
    mount -n -t tmpfs -o mode=0755 tmpfs "$o"
    mkdir "$o/upper" "$o/work" "$o/root"
    mount -n -t overlay overlay -o "lowerdir=/,upperdir=$o/upper,workdir=$o/work" "$o/root"
    # The host's devices and sysfs; /sys is made read-only in phase 2.
    mount -n --rbind /dev "$o/root/dev"
    mount -n --rbind /sys "$o/root/sys"
    # WORK read-write (logs, the notify socket); REPO read-only, so that nothing run inside can
    # change the checkout. Both are bound even when / already shows them: they may live on
    # another filesystem, which the overlay's lower layer would not include.
    mkdir -p "$o/root$W" "$o/root$REPO"
    mount -n --bind "$W" "$o/root$W"
    mount -n --bind "$REPO" "$o/root$REPO"
    mount -n -o remount,bind,ro "$o/root$REPO"
}

# pivot_root, not chroot: in a chroot the kernel refuses unshare(CLONE_NEWUSER) (EPERM), so
# any unit with PrivateUsers= would fail with 217/USER; after pivot_root the overlay is the
# real root of this mount namespace.
enter_overlay() {
    local r=$W/ovl/root
    mkdir -p "$r/.oldroot"
    cd "$r"
    pivot_root . .oldroot
    cd /
    mount -n -t proc proc /proc # our pid namespace's /proc; umount needs mountinfo
    umount -n -l /.oldroot
    rmdir /.oldroot
}

# ----------------------------------------------------------------------------- phase 2
# What a container manager gives its payload: a private /run, a read-only /sys with a
# cgroup2 tree rooted at our cgroup (cgroupns), a read-only /proc/sys, a console that is
# not the host's.
mount_api_filesystems() {
    mount -n -t tmpfs -o mode=0755,size=64m tmpfs /run # first: later mounts write /run/mount
    mount -o remount,bind,ro /sys
    mount -t cgroup2 -o nsdelegate cgroup2 /sys/fs/cgroup
    mount --bind /proc/sys /proc/sys
    mount -o remount,bind,ro /proc/sys
    : >"$W/console.log"
    mount --bind "$W/console.log" /dev/console # systemd writes status lines there
    # journald: nothing on disk, and not the host's kernel log.
    mkdir -p /run/systemd/journald.conf.d
    printf '[Journal]\nStorage=volatile\nReadKMsg=no\n' >/run/systemd/journald.conf.d/50-test.conf
}

# Everything below writes to /etc and /usr: refuse unless / really is our overlay.
assert_on_overlay() {
    local fstype
    fstype=$(findmnt -n -o FSTYPE /)
    if [ "$fstype" != overlay ]; then
        say "refusing to install: / is $fstype, not the test overlay"
        exit 1
    fi
}

# The suite as `make install DESTDIR=` staged it, then what its package scriptlets would do:
# sysusers and tmpfiles for our own files only (systemd-tmpfiles-setup.service would clean
# /tmp and more, so it is never in the unit path). The polkit rule arrives here, before
# polkitd has ever started, so there is no reload to race with.
install_suite() {
    cp -a "$W/dest/." /
    systemd-sysusers /usr/lib/sysusers.d/cpan-bridge.conf
    systemd-tmpfiles --create /usr/lib/tmpfiles.d/cpan-bridge.conf
    # Every request at debug in the journal, so the checks can find them by field.
    mkdir -p /etc/cpan-bridge/cpan-bridge.conf.d
    printf '[logging]\nrequest_logging = all\n' >/etc/cpan-bridge/cpan-bridge.conf.d/50-test.conf
}

# Two callers in the instance uid range and one outsider. User A is uid 1000, whoever that is
# in the image (an existing account is fine: it proves a real user's instance); user B is made
# fresh by useradd, so a user created just before the boot is covered too.
create_users() {
    local a b out
    if a=$(getent passwd 1000 | cut -d: -f1) && [ -n "$a" ]; then
        :
    else
        a=cbtest-a
        useradd -u 1000 -m -U -s /bin/bash "$a"
    fi
    b=cbtest-b
    out=cbtest-out
    useradd -m -U -s /bin/bash "$b"
    useradd -M -U -s /bin/bash "$out"
    usermod -a -G cpanbridge-clients "$a"
    usermod -a -G cpanbridge-clients "$b"
    {
        echo "CB_USER_A=$a"
        echo "CB_USER_B=$b"
        echo "CB_USER_OUT=$out"
        echo "CB_CLIENT=/usr/local/libexec/cpan-bridge-test/cpan-bridge-client"
    } >"$W/inside.env"
    say "users: A=$(id "$a") B=$(id "$b") out=$(id "$out") router=$(id cpanbridge)"
}

# Only our unit directory (boot.sh's copies of the basic targets, journald, dbus, polkit,
# and links to the installed cpan-bridge units) and the runtime ones: the image's own units
# are never loaded, so no udev, networking or tmpfiles-setup runs. container= puts systemd in
# container mode (no securityfs, / not made shared).
exec_systemd() {
    export container=cpan-bridge-test
    export SYSTEMD_UNIT_PATH=$W/units:/run/systemd/system:/run/systemd/transient
    export SYSTEMD_GENERATOR_PATH=$W/empty SYSTEMD_ENVIRONMENT_GENERATOR_PATH=$W/empty
    exec /lib/systemd/systemd --system --log-target=journal --log-level=info \
        --unit=multi-user.target
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
    install_suite
    create_users
    exec_systemd
    ;;
*)
    say "unknown phase"
    exit 2
    ;;
esac
