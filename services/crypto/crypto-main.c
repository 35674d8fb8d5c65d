/* SPDX-License-Identifier: MIT */
/* cpan-bridge-crypto: the crypto family daemon (and its one-shot mode). */
#include <gnutls/gnutls.h>

#include "services/crypto/crypto-internal.h"

int main(int argc, char **argv)
{
    int r;

    /* Before any thread exists, as GnuTLS asks. */
    if (gnutls_global_init() < 0) {
        return 1;
    }
    r = cb_family_main(&crypto_family, argc, argv);
    gnutls_global_deinit();
    return r;
}
