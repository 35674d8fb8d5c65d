#!/bin/bash
# SPDX-License-Identifier: MIT
# Installs what building and testing cpan-bridge needs, with apt-get (Debian, Ubuntu) or dnf
# (RHEL, Fedora), and says what it installs. Packages already present are left alone.
set -euo pipefail

debian_packages=(
    gcc make pkg-config              # the toolchain
    libsystemd-dev libjansson-dev    # common/: sd-event, sd-daemon, sd-journal, jansson
    check                            # unit and integration tests
    libpq-dev libsqlite3-dev         # the db family
    postgresql sqlite3               # its tests: a throwaway cluster, and read-back
    libcurl4-openssl-dev             # the net family (OpenSSL's, as RHEL 9's curl is)
    nginx-light python3-httpbin      # its tests: HTTP and HTTPS on loopback
    python3-aiosmtpd openssl         # an SMTP sink, and the test's own CA
    libgnutls28-dev nettle-dev       # the crypto family
    libssh2-1-dev                    # the ssh family
    libxlsxwriter-dev python3-openpyxl   # the office family, and an independent reader for it
    openssh-server openssh-sftp-server openssh-client   # its tests and benchmark: a loopback sshd
    libcrypt-cbc-perl libcrypt-rijndael-perl libcrypt-blowfish-perl libcrypt-pbkdf2-perl  # Crypt::CBC
    libxml2-dev                      # the xml family
    libxml-simple-perl libxml-sax-expat-perl libxml-xpath-perl   # its references: XML::Simple, XML::XPath
    systemd                          # systemd-socket-activate, used by the activation tests
    clang-format                     # make format, make format-check
    clang libclang-rt-14-dev         # make fuzz: libFuzzer, ASan and UBSan
    valgrind                         # make check-valgrind
    perl libcpanel-json-xs-perl      # the Perl client and its fast JSON
    libdatetime-perl tzdata          # datetime_helper's reference, and the zones
    liblog-log4perl-perl             # logging_helper's reference
    socat dbus polkitd util-linux    # the tests under a real systemd (tests/systemd)
    rpm rpm2cpio cpio rpmlint debugedit bzip2            # make rpm, make check-rpm
    selinux-policy-dev checkpolicy semodule-utils        # make selinux
    selinux-policy-default setools policycoreutils       # make check-selinux: a policy store, sesearch
)

rpm_packages=(
    gcc make pkgconf-pkg-config
    systemd-devel jansson-devel
    check-devel
    libpq-devel sqlite-devel postgresql-server sqlite
    libcurl-devel nginx openssl
    gnutls-devel nettle-devel
    libssh2-devel openssh-server openssh-clients
    libxlsxwriter-devel python3-openpyxl
    libxml2-devel perl-XML-Simple perl-XML-SAX-Expat perl-XML-XPath
    systemd
    clang-tools-extra clang compiler-rt valgrind
    perl perl-Cpanel-JSON-XS
    perl-DateTime tzdata perl-Log-Log4perl
    socat polkit dbus-broker util-linux
    rpm-build rpmlint systemd-rpm-macros perl-podlators perl-generators bzip2
    selinux-policy-devel selinux-policy-targeted setools-console policycoreutils
)

missing_debian() {
    local p
    for p in "${debian_packages[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || echo "$p"
    done
}

missing_rpm() {
    local p
    for p in "${rpm_packages[@]}"; do
        rpm -q "$p" >/dev/null 2>&1 || echo "$p"
    done
}

if command -v apt-get >/dev/null; then
    mapfile -t want < <(missing_debian)
    if [ ${#want[@]} -eq 0 ]; then
        echo "deps: every package is installed already (${debian_packages[*]})"
        exit 0
    fi
    echo "deps: installing with apt-get: ${want[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${want[@]}"
elif command -v dnf >/dev/null; then
    mapfile -t want < <(missing_rpm)
    if [ ${#want[@]} -eq 0 ]; then
        echo "deps: every package is installed already (${rpm_packages[*]})"
        exit 0
    fi
    # check-devel lives in CodeReady Builder on RHEL 9 (crb on CentOS Stream and Alma).
    echo "deps: installing with dnf: ${want[*]}"
    dnf install -y "${want[@]}"
else
    echo "deps: neither apt-get nor dnf found; install these by hand: ${debian_packages[*]}" >&2
    exit 1
fi
