#!/bin/bash
# SPDX-License-Identifier: MIT
# The policy module linked into a copy of the distribution's policy store (the host's store
# is never touched), then its key rules asserted with sesearch and seinfo, both ways: what
# each domain may do, and what it may not. Usage: tests/selinux/check-policy.sh BUILD_DIR
#
# Needs setools (sesearch, seinfo), semodule and an installed policy (selinux-policy-default
# on Debian, selinux-policy-targeted on RHEL); make deps installs them.
set -euo pipefail

build=$(cd "${1:-build}" && pwd)
pp=$build/selinux/cpanbridge.pp
passed=0
failed=0
store=$(mktemp -d /tmp/cb-selinux.XXXXXX)
trap 'rm -rf "$store"' EXIT

pass() { passed=$((passed + 1)); echo "ok: $*"; }
fail() { failed=$((failed + 1)); echo "FAILED: $*"; }

for tool in sesearch seinfo semodule; do
    command -v "$tool" >/dev/null || { echo "check-selinux: no $tool (make deps installs setools and policycoreutils)" >&2; exit 1; }
done
policy_name=$(sed -n 's/^SELINUXTYPE=//p' /etc/selinux/config 2>/dev/null || true)
policy_name=${policy_name:-default}
[ -d "/var/lib/selinux/$policy_name" ] || { echo "check-selinux: no installed policy store /var/lib/selinux/$policy_name" >&2; exit 1; }
[ -f "$pp" ] || { echo "check-selinux: no $pp (make selinux)" >&2; exit 1; }

# ---------------------------------------------------------------- link
mkdir -p "$store/var/lib" "$store/etc"
cp -a /var/lib/selinux "$store/var/lib/"
cp -a /etc/selinux "$store/etc/"
if semodule -n -p "$store" -i "$pp" >"$store/semodule.log" 2>&1; then
    pass "the module links into a copy of the $policy_name policy store"
else
    fail "semodule -i: $(grep -v 'not in password file' "$store/semodule.log" | tail -3)"
    exit 1
fi
policy=$(ls "$store/etc/selinux/$policy_name/policy/policy."* | sort -V | tail -1)
contexts=$store/etc/selinux/$policy_name/contexts/files/file_contexts

# exists TYPE: whether the linked policy has the type (refpolicy and RHEL's differ).
exists() { seinfo "$policy" -t "$1" 2>/dev/null | grep -q "^   $1\$"; }
# allowed WHAT sesearch-args...: some rule matches.
allowed() {
    local what=$1
    shift
    if [ -n "$(sesearch "$@" "$policy" 2>/dev/null)" ]; then pass "$what"; else fail "$what (sesearch $*: no rule)"; fi
}
# denied WHAT sesearch-args...: no rule matches, leaving out those under our boolean, which is
# off by default and checked on its own below.
denied() {
    local what=$1 out
    shift
    out=$(sesearch "$@" "$policy" 2>/dev/null | grep -v '\[ cpanbridge_net_connect_any_unreserved \]:True' || true)
    if [ -z "$out" ]; then pass "$what"; else fail "$what: $(echo "$out" | head -2 | tr '\n' ' ')"; fi
}

families="core db net ssh office xml crypto"

# ---------------------------------------------------------------- domains and labels
for d in router $families; do
    allowed "systemd starts cpan-bridge-$d into cpanbridge_${d}_t" \
        -T -s init_t -t "cpanbridge_${d}_exec_t" -c process
    if grep -qE "^/usr/libexec/cpan-bridge/cpan-bridge-$d[[:space:]].*cpanbridge_${d}_exec_t" "$contexts"; then
        pass "  /usr/libexec/cpan-bridge/cpan-bridge-$d is labelled cpanbridge_${d}_exec_t"
    else
        fail "  /usr/libexec/cpan-bridge/cpan-bridge-$d has no cpanbridge_${d}_exec_t label"
    fi
    allowed "  cpanbridge_${d}_t sends to journald" -A -s "cpanbridge_${d}_t" -t devlog_t -c sock_file -p write
done
if grep -qE '^/usr/libexec/cpan-bridge/cpan-bridge-exec[[:space:]].*:bin_t:' "$contexts"; then
    pass "cpan-bridge-exec is bin_t: process mode stays in the caller's domain"
else
    fail "cpan-bridge-exec is not labelled bin_t"
fi
denied "no transition out of a user's domain into a cpan-bridge domain on exec" \
    -T -s unconfined_t -t bin_t -c process -D cpanbridge_router_t
for path in /etc/cpan-bridge:cpanbridge_conf_t /run/cpan-bridge:cpanbridge_var_run_t; do
    if grep -qE "^${path%%:*}\(/\.\*\)\?[[:space:]].*${path#*:}" "$contexts"; then
        pass "${path%%:*} is labelled ${path#*:}"
    else
        fail "${path%%:*} is not labelled ${path#*:}"
    fi
done

# ---------------------------------------------------------------- who reaches the router
allowed "the router may connect to each family's instance sockets" \
    -A -s cpanbridge_router_t -t cpanbridge_db_t -c unix_stream_socket -p connectto
allowed "the router asks systemd to start instance units" \
    -A -s cpanbridge_router_t -t cpanbridge_unit_file_t -c service -p start
for src in unconfined_t unconfined_service_t system_cronjob_t cronjob_t unconfined_cronjob_t; do
    if ! exists "$src"; then
        echo "info: $src is not in this policy (RHEL 9 has it): not checked"
        continue
    fi
    allowed "$src (batch jobs) may connect to the router's socket" \
        -A -s "$src" -t cpanbridge_router_t -c unix_stream_socket -p connectto
    allowed "  and write the socket file" -A -s "$src" -t cpanbridge_var_run_t -c sock_file -p write
done
if exists user_t; then
    denied "a confined user_t does not reach the router (only through the interface)" \
        -A -s user_t -t cpanbridge_router_t -c unix_stream_socket -p connectto
fi
for d in $families; do
    allowed "cpanbridge_${d}_t takes over a client's connection from the router (channel)" \
        -A -s "cpanbridge_${d}_t" -t cpanbridge_router_t -c fd -p use
    allowed "  and reads its peer's credentials" \
        -A -s "cpanbridge_${d}_t" -t cpanbridge_router_t -c unix_stream_socket -p getopt
done
if exists user_t; then
    denied "a user's own process cannot use the router's descriptors" \
        -A -s user_t -t cpanbridge_router_t -c fd -p use
fi
for d in $families; do
    other=db
    [ "$d" != db ] || other=crypto
    denied "cpanbridge_${d}_t cannot connect to another family's instance (cpanbridge_${other}_t)" \
        -A -s "cpanbridge_${d}_t" -t "cpanbridge_${other}_t" -c unix_stream_socket -p connectto
done

# ---------------------------------------------------------------- network
allowed "db connects to PostgreSQL" -A -s cpanbridge_db_t -t postgresql_port_t -c tcp_socket -p name_connect
allowed "net connects to HTTP ports" -A -s cpanbridge_net_t -t http_port_t -c tcp_socket -p name_connect
allowed "net connects to HTTP proxy ports" -A -s cpanbridge_net_t -t http_cache_port_t -c tcp_socket -p name_connect
allowed "net connects to SMTP" -A -s cpanbridge_net_t -t smtp_port_t -c tcp_socket -p name_connect
allowed "ssh connects to SSH" -A -s cpanbridge_ssh_t -t ssh_port_t -c tcp_socket -p name_connect
denied "db does not connect to HTTP" -A -s cpanbridge_db_t -t http_port_t -c tcp_socket -p name_connect
denied "net does not connect to PostgreSQL" -A -s cpanbridge_net_t -t postgresql_port_t -c tcp_socket -p name_connect
denied "ssh does not connect to SMTP" -A -s cpanbridge_ssh_t -t smtp_port_t -c tcp_socket -p name_connect
for d in router core office xml crypto; do
    for port in http_port_t postgresql_port_t smtp_port_t ssh_port_t; do
        denied "cpanbridge_${d}_t does not connect to $port" \
            -A -s "cpanbridge_${d}_t" -t "$port" -c tcp_socket -p name_connect
    done
done
if seinfo "$policy" -b cpanbridge_net_connect_any_unreserved -x 2>/dev/null |
    grep -q 'bool cpanbridge_net_connect_any_unreserved false;'; then
    pass "the boolean cpanbridge_net_connect_any_unreserved exists and is off by default"
else
    fail "no boolean cpanbridge_net_connect_any_unreserved, or it is on by default"
fi
rule=$(sesearch -A -s cpanbridge_net_t -t unreserved_port_t -c tcp_socket -p name_connect -ds "$policy" || true)
if echo "$rule" | grep -q 'cpanbridge_net_connect_any_unreserved'; then
    pass "  net reaches other ports only under that boolean"
else
    fail "  net's rule for other ports is not under the boolean: ${rule:-none}"
fi

# ---------------------------------------------------------------- the user's files
for d in db net ssh office xml crypto; do
    allowed "cpanbridge_${d}_t reads the user's files" -A -s "cpanbridge_${d}_t" -t user_home_t -c file -p read
done
allowed "office writes workbooks in the user's home" -A -s cpanbridge_office_t -t user_home_t -c file -p create
allowed "office writes workbooks in /tmp" -A -s cpanbridge_office_t -t user_tmp_t -c file -p create
denied "the router reads no user files" -A -s cpanbridge_router_t -t user_home_t -c file -p read -ds
denied "no family writes the configuration" -A -s cpanbridge_family_domain -t cpanbridge_conf_t -c file -p write
denied "no family writes shadow passwords" -A -s cpanbridge_family_domain -t shadow_t -c file -p read
allowed "crypto reads the FIPS switch" -A -s cpanbridge_crypto_t -t sysctl_crypto_t -c file -p read

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
