/* SPDX-License-Identifier: MIT */
/*
 * Key and IV from a passphrase: OpenSSL's EVP_BytesToKey (one round of MD5 or SHA-256, what
 * Crypt::CBC and `openssl enc` without -pbkdf2 do), or PBKDF2-HMAC (`openssl enc -pbkdf2`).
 */
#include "services/crypto/crypto-internal.h"

#include <string.h>

#include <gnutls/crypto.h>

/* D_1 = H(pass || salt), D_i = H(D_{i-1} || pass || salt), until there is enough. */
static int bytes_to_key(gnutls_digest_algorithm_t md,
                        const struct crypto_bytes *pass,
                        const uint8_t *salt,
                        size_t salt_len,
                        uint8_t *out,
                        size_t out_len,
                        struct cb_error *err)
{
    uint8_t d[64];
    size_t d_len = gnutls_hash_get_len(md), done = 0;
    bool first = true;

    while (done < out_len) {
        gnutls_hash_hd_t h;
        size_t n;

        if (gnutls_hash_init(&h, md) < 0) {
            explicit_bzero(d, sizeof d);
            return cb_error_set(err, CB_E_DENIED,
                                "the digest of the key derivation is not available here (FIPS?)");
        }
        if (!first) {
            (void)gnutls_hash(h, d, d_len);
        }
        (void)gnutls_hash(h, pass->data, pass->len);
        (void)gnutls_hash(h, salt, salt_len);
        gnutls_hash_deinit(h, d);
        first = false;
        n = out_len - done < d_len ? out_len - done : d_len;
        memcpy(out + done, d, n);
        done += n;
    }
    explicit_bzero(d, sizeof d);
    return 0;
}

static gnutls_mac_algorithm_t pbkdf2_mac(const char *digest)
{
    if (strcmp(digest, "sha512") == 0) {
        return GNUTLS_MAC_SHA512;
    }
    if (strcmp(digest, "sha1") == 0) {
        return GNUTLS_MAC_SHA1;
    }
    if (strcmp(digest, "md5") == 0) {
        return GNUTLS_MAC_MD5;
    }
    return GNUTLS_MAC_SHA256;
}

int crypto_derive(const struct crypto_kdf_spec *spec,
                  const struct crypto_bytes *passphrase,
                  const uint8_t *salt,
                  size_t salt_len,
                  uint8_t *out,
                  size_t out_len,
                  struct cb_error *err)
{
    gnutls_datum_t key = { .data = passphrase->data, .size = (unsigned)passphrase->len };
    gnutls_datum_t s = { .data = (unsigned char *)salt, .size = (unsigned)salt_len };

    switch (spec->kdf) {
    case CRYPTO_KDF_MD5:
        return bytes_to_key(GNUTLS_DIG_MD5, passphrase, salt, salt_len, out, out_len, err);
    case CRYPTO_KDF_SHA256:
        return bytes_to_key(GNUTLS_DIG_SHA256, passphrase, salt, salt_len, out, out_len, err);
    case CRYPTO_KDF_PBKDF2:
        if (gnutls_pbkdf2(pbkdf2_mac(spec->digest), &key, &s, spec->iterations, out, out_len) < 0) {
            return cb_error_set(
                    err, CB_E_BACKEND,
                    "PBKDF2 with %s and %u iterations failed (an empty passphrase, or a digest FIPS forbids)",
                    spec->digest, spec->iterations);
        }
        return 0;
    }
    return cb_error_set(err, CB_E_INTERNAL, "unknown key derivation");
}
