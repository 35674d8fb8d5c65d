# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# What tests/net/web-servers.sh and tests/net/smtp-sink.sh share, kept in one place so that the
# pid checks and the test CA cannot drift apart between them. Sourced, never run: the caller sets
# its own shell options and defines say, so that messages carry the caller's name.

# The Debian packages are what these tests were written against; a python3 earlier on PATH
# (pyenv, a venv) usually lacks them, so it is only the fallback.
find_python() {
    local py
    for py in /usr/bin/python3 "$(command -v python3 || true)"; do
        if [ -z "$py" ] || [ ! -x "$py" ]; then continue; fi
        "$py" -c 'import importlib.util, sys; sys.exit(importlib.util.find_spec(sys.argv[1]) is None)' \
            "$1" 2>/dev/null && { echo "$py"; return 0; }
    done
    return 1
}

now_us() { echo "${EPOCHREALTIME/./}"; }

# Field 22 of /proc/PID/stat, counted after the parenthesised name, which may contain spaces.
start_time() { sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f20; }

# A recorded pid counts only while it still names the process we started: a stale DIR must not
# make stop signal whatever process has since been given that number.
alive() {
    local pid=$1 st=$2 rest
    rest=$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null) || return 1
    [ "${rest%% *}" != Z ] && [ "$(cut -d' ' -f20 <<<"$rest")" = "$st" ]
}

record_pid() { echo "$2 $(start_time "$2")" >"$1"; }

# Waits up to $3 tenths of a second for the process to go.
gone_within() {
    local i
    for ((i = 0; i < $3; i++)); do
        alive "$1" "$2" || return 0
        sleep 0.1
    done
    ! alive "$1" "$2"
}

remove_dir() {
    case "$1" in
        /tmp/?*) rm -rf "$1" ;;
        *) say "not removing $1 (outside /tmp)" ;;
    esac
}

# make_certs DIR CN: DIR/ca.pem, the CA named CN, and DIR/server.pem with DIR/server.key for
# localhost and 127.0.0.1. Each caller names its CA, so a certificate error says whose it was.
make_certs() {
    local d=$1 cn=$2
    # Its own config keeps the result independent of the system openssl.cnf and its defaults.
    cat >"$d/openssl.cnf" <<CNF
[req]
distinguished_name = dn
prompt = no
[dn]
CN = $cn
[ca_ext]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[server_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
CNF
    # P-256 keys take milliseconds where RSA keys take a good part of a second, for the same test.
    {
        openssl req -x509 -config "$d/openssl.cnf" -extensions ca_ext -days 7 -nodes \
            -newkey ec -pkeyopt ec_paramgen_curve:P-256 -keyout "$d/ca.key" -out "$d/ca.pem" &&
        openssl req -new -config "$d/openssl.cnf" -subj /CN=localhost -nodes \
            -newkey ec -pkeyopt ec_paramgen_curve:P-256 -keyout "$d/server.key" -out "$d/server.csr" &&
        openssl x509 -req -in "$d/server.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" \
            -CAcreateserial -CAserial "$d/ca.srl" -days 7 \
            -extfile "$d/openssl.cnf" -extensions server_ext -out "$d/server.pem"
    } >"$d/openssl.log" 2>&1
}
