#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/rpm/check-rpm.sh (make check-rpm): the RPMs, built and checked, then installed.
#
#   1. make rpm: source and binary RPMs from this tree (rpm/build.mk), rpmlint included
#   2. what they hold: files, modes and owners, %config(noreplace), %ghost, the family
#      subpackages (exactly the families the tree builds), no cpan-bridge-dev
#   3. their scriptlets: what each runs, and `sh -n` on every one of them
#   4. rpmlint with tests/rpm/rpmlint.toml
#   5. tests/rpm/install-test.sh: rpm -i into a real systemd booted in namespaces, the
#      systemd tests (tests/systemd/inside.sh), a ping and one call per family through the
#      installed Perl client, rpm -e (as root only)
#
# Prints "ok: ..." / "FAILED: ..." lines and last "N passed, M failed"; exits 1 if M > 0.
# Where a part cannot run (no rpmbuild here, or not root for the install), it says why and
# that part is skipped; with nothing failed the exit status is then 0.
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
TOP=$REPO/_rpm
PASSED=0 FAILED=0
OUT=$(mktemp)
trap 'rm -f "$OUT"' EXIT

pass() { echo "ok: $*"; PASSED=$((PASSED + 1)); }
fail() { echo "FAILED: $*"; FAILED=$((FAILED + 1)); }
finish() {
    echo "$PASSED passed, $FAILED failed"
    [ "$FAILED" = 0 ]
    exit
}
check() {
    local what=$1
    shift
    if "$@" >"$OUT" 2>&1; then pass "$what"; else
        fail "$what"
        sed 's/^/    | /' "$OUT" | tail -n 20
    fi
}
# has_line DESCRIPTION FILE REGEX: FILE has a line matching REGEX (grep -E).
has_line() {
    if grep -Eq -- "$3" "$2"; then pass "$1"; else fail "$1 (no line matching /$3/)"; fi
}
lacks_line() {
    if grep -Eq -- "$3" "$2"; then fail "$1 (found: $(grep -E -- "$3" "$2" | head -n 1))"; else pass "$1"; fi
}

# ------------------------------------------------------------------ can it build here?
missing=""
for c in rpmbuild rpm rpmlint rpm2cpio cpio git; do
    command -v "$c" >/dev/null || missing="$missing $c"
done
if [ -n "$missing" ]; then
    echo "check-rpm: SKIPPED (no$missing; on Debian: apt-get install -y --no-install-recommends" \
        "rpm rpm2cpio cpio rpmlint debugedit selinux-policy-dev checkpolicy semodule-utils)"
    exit 0
fi

# The targets live in rpm/build.mk and selinux/build.mk; if the top Makefile does not include
# them (yet), they are added on the command line.
MAKE_ARGS=(-C "$REPO" --no-print-directory)
grep -q '^include rpm/build.mk' "$REPO/Makefile" ||
    MAKE_ARGS+=(-f Makefile -f selinux/build.mk -f rpm/build.mk)

# ------------------------------------------------------------------ 1. build
rm -rf "$TOP/RPMS" "$TOP/SRPMS"
mkdir -p "$TOP"
if make "${MAKE_ARGS[@]}" rpm >"$TOP/make-rpm.log" 2>&1; then
    pass "make rpm (rpmbuild -ba, then rpmlint): $(grep -c '^Wrote: ' "$TOP/make-rpm.log") packages written"
else
    fail "make rpm (log: $TOP/make-rpm.log)"
    grep -E 'error|Error|FAILED|^[a-z-]+\.(x86_64|noarch|src|spec).*: [EW]: ' "$TOP/make-rpm.log" | tail -n 25 | sed 's/^/    | /'
fi
VERSION=$(sed -n 's/^VERSION *:= *//p' "$REPO/Makefile")
mapfile -t BIN_RPMS < <(find "$TOP/RPMS" -name "*-$VERSION-*.rpm" 2>/dev/null | sort)
SRPM=$(find "$TOP/SRPMS" -name "cpan-bridge-$VERSION-*.src.rpm" 2>/dev/null | head -n 1)
[ ${#BIN_RPMS[@]} -gt 0 ] || finish
check "the source RPM exists and unpacks: $(basename "${SRPM:-none}")" \
    sh -c "rpm2cpio '$SRPM' | cpio -t --quiet | grep -qx 'cpan-bridge.spec'"

rpm_of() { # NAME: the binary RPM of that package
    local r
    for r in "${BIN_RPMS[@]}"; do
        [ "$(rpm -qp --nosignature --qf '%{NAME}' "$r" 2>/dev/null)" = "$1" ] && { echo "$r"; return; }
    done
}
MAIN=$(rpm_of cpan-bridge) PERLPKG=$(rpm_of perl-CPANBridge) SEPKG=$(rpm_of cpan-bridge-selinux)
for p in MAIN PERLPKG SEPKG; do
    [ -n "${!p}" ] && pass "built: $(basename "${!p}")" || fail "built: no package for $p"
done
[ -n "$MAIN" ] && [ -n "$PERLPKG" ] && [ -n "$SEPKG" ] || finish

# ------------------------------------------------------------------ 2. contents
LIST=$(mktemp)
trap 'rm -f "$OUT" "$LIST"' EXIT
rpm -qp --nosignature --qf '[%{FILEMODES:perms} %{FILEUSERNAME}:%{FILEGROUPNAME} (%{FILEFLAGS:fflags}) %{FILENAMES}\n]' \
    "$MAIN" >"$LIST"
for f in /usr/libexec/cpan-bridge/cpan-bridge-router /usr/libexec/cpan-bridge/cpan-bridge-core \
    /usr/libexec/cpan-bridge/cpan-bridge-exec /usr/bin/cpan-bridgectl; do
    has_line "cpan-bridge: $f, 0755 root" "$LIST" "^-rwxr-xr-x root:root \(\) $f\$"
done
for f in /usr/lib/systemd/system/cpan-bridge.socket /usr/lib/systemd/system/cpan-bridge.service \
    /usr/lib/systemd/system/cpan-bridge.target /usr/lib/systemd/system/cpan-bridge-core@.socket \
    /usr/lib/systemd/system/cpan-bridge-core@.service /usr/lib/sysusers.d/cpan-bridge.conf \
    /usr/lib/tmpfiles.d/cpan-bridge.conf /usr/share/polkit-1/rules.d/60-cpan-bridge.rules \
    /usr/lib/systemd/catalog/cpan-bridge.catalog /usr/share/cpan-bridge/catalogue.json; do
    has_line "cpan-bridge: $f, 0644 root" "$LIST" "^-rw-r--r-- root:root \(\) $f\$"
done
has_line "cpan-bridge: the man page of cpan-bridgectl" "$LIST" " /usr/share/man/man1/cpan-bridgectl\.1(\.gz|\.bz2)?\$"
has_line "cpan-bridge: %dir %attr(0755,root,root) /etc/cpan-bridge" "$LIST" '^drwxr-xr-x root:root \(\) /etc/cpan-bridge$'
has_line "cpan-bridge: %dir /etc/cpan-bridge/cpan-bridge.conf.d" "$LIST" '^drwxr-xr-x root:root \(\) /etc/cpan-bridge/cpan-bridge\.conf\.d$'
has_line "cpan-bridge: %config(noreplace) cpan-bridge.conf, 0644 root" "$LIST" '^-rw-r--r-- root:root \(cn\) /etc/cpan-bridge/cpan-bridge\.conf$'
has_line "cpan-bridge: %ghost /run/cpan-bridge, 0755 root" "$LIST" '^drwxr-xr-x root:root \(g\) /run/cpan-bridge$'
lacks_line "cpan-bridge: no cpan-bridge-dev (left out on purpose)" "$LIST" 'cpan-bridge-dev'
lacks_line "cpan-bridge: no Perl module (that is perl-CPANBridge)" "$LIST" '\.pm$'
rpm -qp --nosignature --requires "$MAIN" >"$OUT" 2>&1
has_line "cpan-bridge: Requires cpan-bridge-selinux if selinux-policy-targeted" "$OUT" \
    '^\(cpan-bridge-selinux = [^ ]+ if selinux-policy-targeted\)$'
has_line "cpan-bridge: automatic library dependency on libsystemd" "$OUT" '^libsystemd\.so\.0'

rpm -qplv --nosignature "$PERLPKG" >"$LIST"
has_line "perl-CPANBridge: /usr/share/perl5/vendor_perl/CPANBridge.pm" "$LIST" ' /usr/share/perl5/vendor_perl/CPANBridge\.pm$'
is_noarch() { [ "$(rpm -qp --nosignature --qf '%{ARCH}' "$1")" = noarch ]; }
check "perl-CPANBridge is noarch" is_noarch "$PERLPKG"
rpm -qplv --nosignature "$SEPKG" >"$LIST"
has_line "cpan-bridge-selinux: cpanbridge.pp.bz2" "$LIST" ' /usr/share/selinux/packages/targeted/cpanbridge\.pp\.bz2$'
check "cpan-bridge-selinux is noarch" is_noarch "$SEPKG"
check "cpan-bridge-selinux: the module decompresses" \
    sh -c "rpm2cpio '$SEPKG' | cpio -i --quiet --to-stdout ./usr/share/selinux/packages/targeted/cpanbridge.pp.bz2 | bzip2 -t"

# Families: a subpackage exactly for each family the tree has a daemon for.
for f in db net ssh office xml crypto; do
    r=$(rpm_of "cpan-bridge-$f")
    if [ -f "$REPO/services/$f/build.mk" ] && grep -q "^include services/$f/build.mk" "$REPO/Makefile"; then
        if [ -n "$r" ] && rpm -qlp --nosignature "$r" | grep -qx "/usr/libexec/cpan-bridge/cpan-bridge-$f"; then
            pass "cpan-bridge-$f: built, with its daemon"
        else
            fail "cpan-bridge-$f: the tree builds the family, but no package holds cpan-bridge-$f"
        fi
    elif [ -n "$r" ]; then
        fail "cpan-bridge-$f: built, but the tree does not build that family"
    else
        pass "cpan-bridge-$f: not built (the tree does not build it yet)"
    fi
done

# ------------------------------------------------------------------ 3. scriptlets
rpm -qp --nosignature --scripts "$MAIN" >"$OUT"
cp "$OUT" "$LIST"
has_line "%pre runs systemd-sysusers with the sysusers.d file" "$LIST" '^u cpanbridge '
has_line "%post applies the preset to the router's units" "$LIST" 'preset cpan-bridge\.socket cpan-bridge\.service'
has_line "%post runs tmpfiles for /run/cpan-bridge" "$LIST" 'systemd-tmpfiles --create /usr/lib/tmpfiles\.d/cpan-bridge\.conf'
has_line "%preun disables and stops every unit" "$LIST" 'disable --now cpan-bridge\.socket cpan-bridge\.service cpan-bridge\.target cpan-bridge-core@\.socket cpan-bridge-core@\.service'
has_line "%postun restarts the router on upgrade" "$LIST" 'try-restart cpan-bridge\.service'
lacks_line "%postun restarts no instance" "$LIST" 'try-restart .*cpan-bridge-core'
rpm -qp --nosignature --scripts "$SEPKG" >"$LIST"
has_line "cpan-bridge-selinux %post installs the module" "$LIST" 'semodule .*-i /usr/share/selinux/packages/targeted/cpanbridge\.pp\.bz2'
has_line "cpan-bridge-selinux %postun removes it (only on erase)" "$LIST" 'semodule .*-r cpanbridge'
for r in "${BIN_RPMS[@]}"; do
    for tag in PREIN POSTIN PREUN POSTUN POSTTRANS; do
        body=$(rpm -qp --nosignature --qf "%{$tag}" "$r")
        [ "$body" = "(none)" ] && continue
        if printf '%s\n' "$body" | sh -n 2>"$OUT"; then
            pass "sh -n: $(rpm -qp --nosignature --qf '%{NAME}' "$r") $tag"
        else
            fail "sh -n: $(rpm -qp --nosignature --qf '%{NAME}' "$r") $tag: $(head -n 1 "$OUT")"
        fi
    done
done

# ------------------------------------------------------------------ 4. rpmlint
check "rpmlint (filtered by tests/rpm/rpmlint.toml)" make "${MAKE_ARGS[@]}" rpmlint

# ------------------------------------------------------------------ 5. installed for real
why=$("$HERE/install-test.sh" --probe)
rc=$?
if [ "$rc" = 77 ]; then
    echo "check-rpm: the installation test is $why"
elif [ "$rc" != 0 ]; then
    fail "install-test.sh --probe exited $rc: $why"
else
    # The checks inside include the systemd tests (tests/systemd/inside.sh) now: more time.
    INSIDE_TIMEOUT=${INSIDE_TIMEOUT:-360} "$HERE/install-test.sh" "${BIN_RPMS[@]}" | tee "$OUT"
    last=$(tail -n 1 "$OUT")
    if [[ $last =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
        PASSED=$((PASSED + BASH_REMATCH[1]))
        FAILED=$((FAILED + BASH_REMATCH[2]))
    else
        fail "install-test.sh ended without its count: $last"
    fi
fi

finish
