/* SPDX-License-Identifier: MIT */
/*
 * FIPS rules: on a FIPS host (or with [crypto] fips = yes) the algorithms FIPS 140 does not
 * approve, the MD5 key derivation and Blowfish, are refused unless [crypto] allow_legacy
 * lets them be used to read old data.
 */
#include "services/crypto/crypto-internal.h"

#include <stdio.h>
#include <string.h>

#include <gnutls/gnutls.h>

static bool host_fips(void)
{
    FILE *f = fopen("/proc/sys/crypto/fips_enabled", "re");
    int c = f ? fgetc(f) : EOF;

    if (f) {
        fclose(f);
    }
    return c == '1' || gnutls_fips140_mode_enabled() != 0;
}

bool crypto_fips_active(const struct cb_config *config)
{
    if (strcmp(config->crypto_fips, "yes") == 0) {
        return true;
    }
    return strcmp(config->crypto_fips, "auto") == 0 && host_fips();
}

int crypto_fips_check(const struct cb_config *config, const char *what, struct cb_error *err)
{
    if (config->crypto_allow_legacy || !crypto_fips_active(config)) {
        return 0;
    }
    return cb_error_set(
            err, CB_E_DENIED,
            "%s is not approved under FIPS 140, which this host enforces; use AES with kdf pbkdf2 (or set [crypto] allow_legacy = yes to read old data)",
            what);
}
