#!/bin/bash
# SPDX-License-Identifier: MIT
# Runs cb-bench-excel (excel.write_rows against libxlsxwriter itself) against a suite started
# for it, everything pinned to CPU 0. Usage: tests/bench/bench-excel.sh [BUILD_DIR]
set -euo pipefail

build=$(cd "${1:-build}" && pwd)
dir=$(mktemp -d /tmp/cb-bench-excel.XXXXXX)
trap '"$build/cpan-bridge-dev" stop --runtime-dir "$dir/suite" >/dev/null 2>&1 || true; rm -rf "$dir"' EXIT

export $(taskset -c 0 "$build/cpan-bridge-dev" start --runtime-dir "$dir/suite" | grep '^CPAN_BRIDGE_')
taskset -c 0 "$build/cb-bench-excel" "$CPAN_BRIDGE_SOCKET" "$dir"
