#!/bin/bash
# SPDX-License-Identifier: MIT
# The demo: starts the suite with cpan-bridge-dev on its embedded defaults, shows each family
# at work, and stops it again. Usage: demo/demo.sh [BUILD_DIR]
set -euo pipefail

build=$(cd "${1:-build}" && pwd)
dir=$(mktemp -d /tmp/cpan-bridge-demo.XXXXXX)
net="$(cd "$(dirname "$0")/.." && pwd)/tests/net"
declare -A web smtp
cleanup() {
    "$build/cpan-bridge-dev" stop --runtime-dir "$dir" >/dev/null
    [ -z "${web[WEB_DIR]:-}" ] || "$net/web-servers.sh" stop "${web[WEB_DIR]}"
    [ -z "${smtp[SMTP_DIR]:-}" ] || "$net/smtp-sink.sh" stop "${smtp[SMTP_DIR]}"
    rm -rf "$dir"
}
trap cleanup EXIT

say() { printf '\n== %s\n' "$*"; }
call() { "$build/cpan-bridge-client" --socket "$CPAN_BRIDGE_SOCKET" call "$@"; }

say "Starting the suite with cpan-bridge-dev in $dir"
export $("$build/cpan-bridge-dev" start --runtime-dir "$dir")
echo "CPAN_BRIDGE_SOCKET=$CPAN_BRIDGE_SOCKET"
echo "CPAN_BRIDGE_EXEC=$CPAN_BRIDGE_EXEC"

say "test.ping through the router (the core family instance starts on this first call)"
call test ping '{"from": "demo"}'

say "test.echo keeps every value as it was: NUL, CJK, emoji, numbers, nesting"
call test echo '{"text": "a\u0000b \u4e2d\u6587 \ud83d\ude00", "n": 42, "x": 1.5, "list": [true, null]}'

say "A session ends when its client closes its last connection: each client here starts at 1"
token=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
for _ in 1 2 3; do
    "$build/cpan-bridge-client" --socket "$CPAN_BRIDGE_SOCKET" --session "$token" call test counter
done

say "Bad input gets a clear error with a code"
call nonexistent function || true
call test sleep '{"ms": "soon"}' || true

say "Process mode gives the same answers without any daemon (cpan-bridge-exec)"
"$build/cpan-bridge-client" --exec "$CPAN_BRIDGE_EXEC" call test echo '{"same": "answer"}'

# The net family's embedded default: web and mail servers on loopback, started for the demo
# (make deps installs them; without them the job leaves HTTP and mail out).
while IFS='=' read -r k v; do web[$k]=$v; done < <("$net/web-servers.sh" start 2>/dev/null || true)
while IFS='=' read -r k v; do smtp[$k]=$v; done < <("$net/smtp-sink.sh" start 2>/dev/null || true)
export CB_DEMO_HTTP=${web[HTTP_URL]:-} CB_DEMO_SMTP_PORT=${smtp[SMTP_PORT]:-}

say "A Perl job through CPANBridge.pm (demo/job.pl)"
PERL5LIB="$(cd "$(dirname "$0")/.." && pwd)/perl" perl "$(dirname "$0")/job.pl"

say "The same job in process mode (CPAN_BRIDGE_DAEMON=0): same answers, no daemon involved"
CPAN_BRIDGE_DAEMON=0 PERL5LIB="$(cd "$(dirname "$0")/.." && pwd)/perl" \
    perl "$(dirname "$0")/job.pl"

if [ -n "${smtp[MAILDIR]:-}" ]; then
    say "What the SMTP server received (read back by Python's email package)"
    /usr/bin/python3 "$net/read-mail.py" "${smtp[MAILDIR]}" |
        /usr/bin/python3 -c 'import json, sys
for line in sys.stdin:
    m = json.loads(line)
    parts = ", ".join((p["filename"] or p["content_type"]) for p in m["parts"])
    print("  %s -> %s: %s [%s]" % (m["from"], m["to"], m["subject"], parts))'
fi

say "Stopping the suite"
