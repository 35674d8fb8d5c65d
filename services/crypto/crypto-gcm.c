/* SPDX-License-Identifier: MIT */
/* AES-256-GCM through GnuTLS's AEAD interface: ciphertext followed by the 16-byte tag. */
#include "services/crypto/crypto-internal.h"

#include <stdlib.h>
#include <string.h>

#include <gnutls/crypto.h>

static int open_aead(const uint8_t key[32], gnutls_aead_cipher_hd_t *h, struct cb_error *err)
{
    gnutls_datum_t k = { .data = (unsigned char *)key, .size = 32 };

    if (gnutls_aead_cipher_init(h, GNUTLS_CIPHER_AES_256_GCM, &k) < 0) {
        return cb_error_set(err, CB_E_BACKEND, "AES-256-GCM is not available here");
    }
    return 0;
}

int crypto_gcm_encrypt(const uint8_t key[32],
                       const uint8_t nonce[CRYPTO_GCM_NONCE_LEN],
                       const uint8_t *in,
                       size_t len,
                       struct crypto_bytes *ret,
                       struct cb_error *err)
{
    size_t out_len = len + CRYPTO_GCM_TAG_LEN;
    uint8_t *out = malloc(out_len);
    gnutls_aead_cipher_hd_t h;
    int r;

    if (!out) {
        return cb_error_set(err, CB_E_INTERNAL, "out of memory");
    }
    r = open_aead(key, &h, err);
    if (r < 0) {
        free(out);
        return r;
    }
    r = gnutls_aead_cipher_encrypt(h, nonce, CRYPTO_GCM_NONCE_LEN, NULL, 0, CRYPTO_GCM_TAG_LEN, in,
                                   len, out, &out_len);
    gnutls_aead_cipher_deinit(h);
    if (r < 0) {
        free(out);
        return cb_error_set(err, CB_E_BACKEND, "AES-256-GCM encryption failed");
    }
    crypto_bytes_free(ret);
    *ret = (struct crypto_bytes){ .data = out, .len = out_len };
    return 0;
}

int crypto_gcm_decrypt(const uint8_t key[32],
                       const uint8_t nonce[CRYPTO_GCM_NONCE_LEN],
                       const uint8_t *in,
                       size_t len,
                       struct crypto_bytes *ret,
                       struct cb_error *err)
{
    size_t out_len = len;
    uint8_t *out;
    gnutls_aead_cipher_hd_t h;
    int r;

    if (len < CRYPTO_GCM_TAG_LEN) {
        return crypto_bad_decrypt(err);
    }
    out = malloc(len ? len : 1);
    if (!out) {
        return cb_error_set(err, CB_E_INTERNAL, "out of memory");
    }
    r = open_aead(key, &h, err);
    if (r < 0) {
        free(out);
        return r;
    }
    r = gnutls_aead_cipher_decrypt(h, nonce, CRYPTO_GCM_NONCE_LEN, NULL, 0, CRYPTO_GCM_TAG_LEN, in,
                                   len, out, &out_len);
    gnutls_aead_cipher_deinit(h);
    if (r < 0) {
        explicit_bzero(out, len);
        free(out);
        return crypto_bad_decrypt(err);
    }
    crypto_bytes_free(ret);
    *ret = (struct crypto_bytes){ .data = out, .len = out_len };
    return 0;
}
