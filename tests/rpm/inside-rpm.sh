#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/rpm/inside-rpm.sh: the checks of the installed RPMs under a real systemd.
#
# Runs inside the namespaces install-test.sh boots, as root, after ns-init-rpm.sh installed
# the packages with rpm -i. Prints one "ok: ..." or "FAILED: ..." line per check (counted by
# boot.sh's run_inside) and exits 1 if any failed; "info:" and indented lines are details.
# Ends with `rpm -e` of everything and checks that nothing of it is left.
set -uo pipefail

# shellcheck source=/dev/null
. "${CB_TEST_ENV:?run me through tests/rpm/install-test.sh}"
SOCK=/run/cpan-bridge/cpan-bridge.sock
PERLDIR=/usr/share/perl5/vendor_perl
OUT=$(mktemp)
NFAILED=0
trap 'rm -f "$OUT"' EXIT
mapfile -t PKGS <"$CB_PACKAGES_LIST"

ok() { echo "ok: $*"; }
failed() {
    echo "FAILED: $*"
    NFAILED=$((NFAILED + 1))
}
check() {
    local what=$1
    shift
    if "$@" >"$OUT" 2>&1; then ok "$what"; else
        failed "$what"
        sed 's/^/    | /' "$OUT" | tail -n 15
    fi
}
is() {
    if [ "$2" = "$3" ]; then ok "$1: $2"; else failed "$1: got '$2', expected '$3'"; fi
}
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

# test.ping through the router with the installed client. Debian's perl does not search
# RHEL's vendor_perl directory, hence PERL5LIB; the check that the module came from there
# keeps it honest. Fallback is off, so that process mode cannot hide a router that fails.
perl_ping() {
    runuser -u "$1" -- env PERL5LIB=$PERLDIR CPAN_BRIDGE_FALLBACK=0 perl -MCPANBridge -e '
        my $b = CPANBridge->new;
        my $r = $b->call("test", "ping", { from => "rpm-test" });
        my $from = $INC{"CPANBridge.pm"};
        die "CPANBridge.pm loaded from $from\n" unless $from eq "'$PERLDIR'/CPANBridge.pm";
        die "test.ping: " . ($r->{error_code} // "?") . ": " . ($r->{error} // "") . "\n"
            unless $r->{success};
        die "answered in " . $b->mode . " mode\n" unless $b->mode eq "daemon";
        # The call went on a channel: systemd'"'"'s instance answered it, handed over by the router.
        my $s = $b->call("system", "stats", {})->{result} // {};
        die "no channel was opened\n" unless ($s->{channels_opened} // 0) > 0;
        die "the channel call was not counted\n" unless ($s->{requests_processed} // 0) >= 1;
        print "test.ping answered in daemon mode, on a channel\n";'
}

# ---------------------------------------------------------------- what rpm -i did
if [ "$CB_RPM_INSTALL_RC" = 0 ]; then ok "rpm -i --nodeps --nosignature of ${#PKGS[@]} packages"; else
    failed "rpm -i exited $CB_RPM_INSTALL_RC"
fi
sed 's/^/    | /' "$CB_RPM_LOG"
for p in "${PKGS[@]}"; do
    check "rpm -q $p" rpm -q "$p"
done
# rpm -V: every file as packaged, modes and %config included (--nodeps: dpkg, not rpm,
# provides libc and the rest).
check "rpm -V of every package" rpm -V --nodeps "${PKGS[@]}"

check "%pre (sysusers): user cpanbridge" getent passwd cpanbridge
check "%pre (sysusers): group cpanbridge-clients" getent group cpanbridge-clients
is "  cpanbridge's shell" "$(getent passwd cpanbridge | cut -d: -f7)" /usr/sbin/nologin
is "%post (tmpfiles): /run/cpan-bridge" "$(stat -c '%F %a %U:%G' /run/cpan-bridge 2>&1)" \
    "directory 755 root:root"
check "%post (preset): cpan-bridge.socket enabled in sockets.target.wants" \
    test -L /etc/systemd/system/sockets.target.wants/cpan-bridge.socket
is "/etc/cpan-bridge" "$(stat -c '%a %U:%G' /etc/cpan-bridge)" "755 root:root"
is "/etc/cpan-bridge/cpan-bridge.conf" "$(stat -c '%a %U:%G' /etc/cpan-bridge/cpan-bridge.conf)" \
    "644 root:root"

# ---------------------------------------------------------------- the systemd tests
# tests/systemd/inside.sh, the checks make check-systemd runs on `make install`, on what the
# RPMs installed: socket activation from nothing, instances per user, notify and watchdog,
# the journal's fields, kill -9 and restarts, refusals, the stop. It needs the untouched
# suite, so it runs first, and it ends with the socket stopped. The C test client comes
# from the tree the RPMs were built from (the RPMs do not ship it).
run_systemd_tests() {
    local client=$CB_REPO/${CB_BUILD_DIR:-build}/cpan-bridge-client
    if [ ! -x "$client" ]; then
        failed "the systemd tests need $client (make builds it)"
        return
    fi
    echo "info: tests/systemd/inside.sh on the RPM install"
    # As tests/systemd/ns-init.sh sets up for them: every request in the journal, which
    # their journal checks read back.
    mkdir -p /etc/cpan-bridge/cpan-bridge.conf.d
    printf '[logging]\nrequest_logging = all\n' >/etc/cpan-bridge/cpan-bridge.conf.d/50-test.conf
    CB_CLIENT=$client bash "$CB_REPO/tests/systemd/inside.sh" || NFAILED=$((NFAILED + 1))
    # Back to the freshly installed state for the checks below: the test drop-ins gone, no
    # unit of the suite running.
    rm -rf /run/systemd/system/cpan-bridge-core@.service.d /etc/cpan-bridge/cpan-bridge.conf.d/50-test.conf
    systemctl daemon-reload
    systemctl stop cpan-bridge.socket cpan-bridge.service 'cpan-bridge-*@*' >/dev/null 2>&1
    is "after the systemd tests: units of the suite still running" \
        "$(systemctl list-units --state=active --no-legend --plain 'cpan-bridge*' | grep -vc '\.socket ')" 0
}
run_systemd_tests

# ---------------------------------------------------------------- the suite, started
is "cpan-bridge.service before the first call" "$(systemctl is-active cpan-bridge.service)" inactive
check "systemctl start cpan-bridge.socket" systemctl start cpan-bridge.socket
is "cpan-bridge.socket" "$(systemctl is-active cpan-bridge.socket)" active
is "  $SOCK" "$(stat -c '%F %a %U:%G' "$SOCK" 2>&1)" "socket 660 cpanbridge:cpanbridge-clients"

A_UID=$(id -u "$CB_USER_A")
check "$CB_USER_A (clients group): test.ping with the installed perl-CPANBridge" perl_ping "$CB_USER_A"
sed 's/^/    | /' "$OUT"
is "cpan-bridge.service after the call (socket-activated)" "$(systemctl is-active cpan-bridge.service)" active
if wait_until 5 systemctl is-active --quiet "cpan-bridge-core@$A_UID.service"; then
    ok "cpan-bridge-core@$A_UID.service started by the router for the call"
else
    failed "cpan-bridge-core@$A_UID.service: $(systemctl is-active "cpan-bridge-core@$A_UID.service")"
    journalctl -b --no-pager -n 20 -u cpan-bridge.service | sed 's/^/    | /'
fi
is "  its user" "$(systemctl show -P User "cpan-bridge-core@$A_UID.service")" "$A_UID"
# One call per installed family, through the installed client in daemon mode: the instance
# must start under systemd, inside its unit's sandbox, and answer.
family_call() { # $1 user, $2 family, $3 module, $4 function, $5 params (Perl), $6 accepted error code
    runuser -u "$1" -- env PERL5LIB=$PERLDIR CPAN_BRIDGE_FALLBACK=0 perl -MCPANBridge -e '
        my ($module, $function, $params, $accept) = @ARGV;
        my $b = CPANBridge->new;
        my $r = $b->call($module, $function, eval $params);
        die "answered in " . $b->mode . " mode\n" unless $b->mode eq "daemon";
        die "$module.$function: " . ($r->{error_code} // "?") . ": " . ($r->{error} // "") . "\n"
            unless $r->{success} || ($accept && ($r->{error_code} // "") eq $accept);
        print "$module.$function answered\n";' "$3" "$4" "$5" "${6:-}"
}

family_smoke() { # $1 family, then family_call's module, function, params and accepted code
    local fam=$1
    shift
    rpm -q "cpan-bridge-$fam" >/dev/null 2>&1 || return 0
    check "cpan-bridge-$fam: $1.$2 in daemon mode" family_call "$CB_USER_A" "$fam" "$@"
    if wait_until 5 systemctl is-active --quiet "cpan-bridge-$fam@$A_UID.service"; then
        ok "  cpan-bridge-$fam@$A_UID.service started for the call, as uid $(systemctl show -P User "cpan-bridge-$fam@$A_UID.service")"
    else
        failed "  cpan-bridge-$fam@$A_UID.service: $(systemctl is-active "cpan-bridge-$fam@$A_UID.service")"
        journalctl -b --no-pager -n 20 -u "cpan-bridge-$fam@$A_UID.service" | sed 's/^/    | /'
    fi
}
family_smoke db database connect '{ dsn => "dbi:SQLite:dbname=:memory:" }'
family_smoke net email_helper validate_email '{ address => "ops@example.com" }'
family_smoke crypto crypto hash '{ data => "abc", algorithm => "sha256" }'
family_smoke office excel write_workbook '{ filename => "/tmp/cb-rpm-smoke.xlsx", sheets => [ { name => "S", rows => [ [ 1, "a" ] ] } ] }'
family_smoke ssh sftp connect '{ hostname => "127.0.0.1", port => 1, username => "nobody", password => "x", timeout => 5 }' E_BACKEND
# An XML file of the user's, read by the instance as that user inside its sandbox.
runuser -u "$CB_USER_A" -- sh -c 'printf "<job name=\"smoke\"><step>1</step></job>\n" >/tmp/cb-rpm-smoke.xml'
family_smoke xml xml_helper xml_in '{ source => "/tmp/cb-rpm-smoke.xml" }'
rm -f /tmp/cb-rpm-smoke.xlsx /tmp/cb-rpm-smoke.xml

if perl_ping "$CB_USER_OUT" >"$OUT" 2>&1; then
    failed "$CB_USER_OUT (not in the clients group): test.ping succeeded"
else
    ok "$CB_USER_OUT (not in the clients group) is refused: $(tail -n 1 "$OUT")"
fi

# ---------------------------------------------------------------- rpm -e
# A local change to the configuration must survive removal as .rpmsave (%config).
echo "# changed by the rpm test" >>/etc/cpan-bridge/cpan-bridge.conf
check "rpm -e of every package" rpm -e "${PKGS[@]}"
sed 's/^/    | /' "$OUT"
for u in cpan-bridge.socket cpan-bridge.service "cpan-bridge-core@$A_UID.socket" \
    "cpan-bridge-core@$A_UID.service"; do
    is "  after rpm -e: $u" "$(systemctl is-active "$u")" inactive
done
check "  %preun (disable): no sockets.target.wants/cpan-bridge.socket" \
    test ! -e /etc/systemd/system/sockets.target.wants/cpan-bridge.socket
# What systemd's own file trigger does on RHEL after a removal.
systemctl daemon-reload
is "  after rpm -e and daemon-reload: cpan-bridge units loaded" \
    "$(systemctl list-units --all --plain --no-legend 'cpan-bridge*' | wc -l)" 0
left=""
while read -r f; do
    [ -e "$f" ] || [ -L "$f" ] || continue
    case $f in
    # Directories shared with other packages (on RHEL filesystem, polkit, systemd and
    # selinux-policy own them; here dpkg does): rpm rightly leaves them.
    /usr/lib/.build-id | /usr/lib/.build-id/?? | /usr/share/selinux/devel/include/distributed) continue ;;
    # It still holds the .rpmsave checked below.
    /etc/cpan-bridge) continue ;;
    # systemd made the family socket directories (DirectoryMode=) and RemoveOnStop= removes
    # only the sockets, so rpm cannot remove the non-empty %ghost directory. Clean means no
    # socket or file left; /run is a tmpfs and nothing re-creates it once tmpfiles.d is gone.
    /run/cpan-bridge)
        if [ -n "$(find /run/cpan-bridge -mindepth 1 ! -type d)" ]; then left="$left $f"; fi
        echo "info: left in /run/cpan-bridge (empty directories only):" \
            "$(cd /run/cpan-bridge && find . -mindepth 1 | tr '\n' ' ')"
        continue
        ;;
    esac
    left="$left $f"
done <"$CB_FILES_LIST"
is "  after rpm -e: packaged paths still there" "${left:- none}" " none"
check "  the changed cpan-bridge.conf kept as cpan-bridge.conf.rpmsave" \
    test -f /etc/cpan-bridge/cpan-bridge.conf.rpmsave
if getent passwd cpanbridge >/dev/null; then
    echo "info: user cpanbridge stays after rpm -e (Fedora/RHEL never remove system users)"
fi

exit $((NFAILED > 0))
