#!/bin/bash
# SPDX-License-Identifier: MIT
# Checks the installed units: systemd-analyze verify, and the exposure thresholds of
# systemd-analyze security (router at most 1.0, every family instance at most 2.0).
# Usage: tests/units/check-units.sh [BUILD_DIR]
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-build}
stage=$(mktemp -d /tmp/cb-units.XXXXXX)
trap 'rm -rf "$stage"' EXIT
failed=0

make -s -C "$repo" B="$build" install DESTDIR="$stage" >/dev/null

# verify resolves dependencies and ExecReload's /bin/kill inside the root it checks.
mkdir -p "$stage/bin" "$stage/usr/bin"
cp /bin/kill "$stage/bin/kill"
cp -n /lib/systemd/system/*.target "$stage/usr/lib/systemd/system/" 2>/dev/null || true
cp -n /lib/systemd/system/*.slice "$stage/usr/lib/systemd/system/" 2>/dev/null || true

units=(cpan-bridge.socket cpan-bridge.service cpan-bridge.target)
instances=()
for t in "$stage"/usr/lib/systemd/system/cpan-bridge-*@.service; do
    family=$(basename "$t" | sed 's/^cpan-bridge-\(.*\)@\.service$/\1/')
    units+=("cpan-bridge-$family@1000.socket" "cpan-bridge-$family@1000.service")
    instances+=("cpan-bridge-$family@1000.service")
done

for u in "${units[@]}"; do
    if out=$(systemd-analyze verify --root="$stage" "$u" 2>&1) && [ -z "$out" ]; then
        echo "ok: verify $u"
    else
        echo "FAILED: verify $u"; echo "$out" | sed 's/^/    /'; failed=1
    fi
done

check_exposure() { # unit, threshold in tenths
    local line
    line=$(systemd-analyze security --offline=yes --root="$stage" "$1" 2>&1 | grep 'Overall exposure')
    if systemd-analyze security --offline=yes --root="$stage" --threshold="$2" "$1" >/dev/null 2>&1; then
        echo "ok: ${line#→ } (limit $(($2 / 10)).$(($2 % 10)))"
    else
        echo "FAILED: ${line#→ } (limit $(($2 / 10)).$(($2 % 10)))"; failed=1
    fi
}

check_exposure cpan-bridge.service 10
for u in "${instances[@]}"; do
    check_exposure "$u" 20
done
exit $failed
