#!/bin/bash
# SPDX-License-Identifier: MIT
# Runs bench-xml.pl (the xml family against XML::Simple and XML::XPath) against a suite
# started for it, everything pinned to CPU 0. Usage: tests/bench/bench-xml.sh [BUILD_DIR]
set -euo pipefail

build=$(cd "${1:-build}" && pwd)
dir=$(mktemp -d /tmp/cb-bench-xml.XXXXXX)
trap '"$build/cpan-bridge-dev" stop --runtime-dir "$dir/suite" >/dev/null 2>&1 || true; rm -rf "$dir"' EXIT

if ! perl -MXML::Simple -MXML::XPath -MXML::SAX::Expat -e 1 2>/dev/null; then
    echo "xml: skipped (no XML::Simple, XML::SAX::Expat or XML::XPath; make deps installs them)"
    exit 0
fi
export $(taskset -c 0 "$build/cpan-bridge-dev" start --runtime-dir "$dir/suite" | grep '^CPAN_BRIDGE_')
taskset -c 0 perl "$(dirname "$0")/bench-xml.pl"
