/* SPDX-License-Identifier: MIT */
/* CBC with PKCS#7 padding: AES through GnuTLS, Blowfish through nettle. */
#include "services/crypto/crypto-internal.h"

#include <stdlib.h>
#include <string.h>

#include <gnutls/crypto.h>
#include <nettle/blowfish.h>
#include <nettle/cbc.h>

int crypto_bad_decrypt(struct cb_error *err)
{
    /* One answer for every way it can fail (padding, tag, length, key): no oracle. */
    return cb_error_set_backend(err, "BAD_DECRYPT", "bad decrypt",
                                "bad decrypt: the key is wrong or the data is damaged");
}

static gnutls_cipher_algorithm_t aes_cbc(size_t key_len)
{
    return key_len == 16   ? GNUTLS_CIPHER_AES_128_CBC
           : key_len == 24 ? GNUTLS_CIPHER_AES_192_CBC
                           : GNUTLS_CIPHER_AES_256_CBC;
}

/* In place over whole blocks; len is a multiple of the block size. */
static int run_blocks(const struct crypto_algo *a,
                      const uint8_t *key,
                      const uint8_t *iv,
                      uint8_t *buf,
                      size_t len,
                      bool encrypt,
                      struct cb_error *err)
{
    if (a->family == CRYPTO_AES) {
        gnutls_datum_t k = { .data = (unsigned char *)key, .size = (unsigned)a->key_len };
        gnutls_datum_t v = { .data = (unsigned char *)iv, .size = 16 };
        gnutls_cipher_hd_t h;
        int r;

        if (gnutls_cipher_init(&h, aes_cbc(a->key_len), &k, &v) < 0) {
            return cb_error_set(err, CB_E_BACKEND, "%s is not available here", a->name);
        }
        r = encrypt ? gnutls_cipher_encrypt(h, buf, len) : gnutls_cipher_decrypt(h, buf, len);
        gnutls_cipher_deinit(h);
        return r < 0 ? cb_error_set(err, CB_E_BACKEND, "%s failed", a->name) : 0;
    } else {
        struct blowfish_ctx ctx;
        uint8_t chain[BLOWFISH_BLOCK_SIZE];

        /* nettle refuses weak keys (and asserts if one is used anyway). */
        if (!blowfish_set_key(&ctx, a->key_len, key)) {
            explicit_bzero(&ctx, sizeof ctx);
            return cb_error_set_backend(
                    err, "WEAK_KEY", "weak Blowfish key",
                    "the derived Blowfish key is a weak key; use another passphrase or AES");
        }
        memcpy(chain, iv, sizeof chain);
        if (encrypt) {
            cbc_encrypt(&ctx, (nettle_cipher_func *)blowfish_encrypt, BLOWFISH_BLOCK_SIZE, chain,
                        len, buf, buf);
        } else {
            cbc_decrypt(&ctx, (nettle_cipher_func *)blowfish_decrypt, BLOWFISH_BLOCK_SIZE, chain,
                        len, buf, buf);
        }
        explicit_bzero(&ctx, sizeof ctx);
        explicit_bzero(chain, sizeof chain);
        return 0;
    }
}

int crypto_cbc_encrypt(const struct crypto_algo *a,
                       const uint8_t *key,
                       const uint8_t *iv,
                       const uint8_t *in,
                       size_t len,
                       struct crypto_bytes *ret,
                       struct cb_error *err)
{
    size_t pad = a->block_len - len % a->block_len, total = len + pad;
    uint8_t *buf = malloc(total);
    int r;

    if (!buf) {
        return cb_error_set(err, CB_E_INTERNAL, "out of memory");
    }
    memcpy(buf, in, len);
    memset(buf + len, (int)pad, pad);
    r = run_blocks(a, key, iv, buf, total, true, err);
    if (r < 0) {
        explicit_bzero(buf, total);
        free(buf);
        return r;
    }
    crypto_bytes_free(ret);
    *ret = (struct crypto_bytes){ .data = buf, .len = total };
    return 0;
}

int crypto_cbc_decrypt(const struct crypto_algo *a,
                       const uint8_t *key,
                       const uint8_t *iv,
                       const uint8_t *in,
                       size_t len,
                       struct crypto_bytes *ret,
                       struct cb_error *err)
{
    uint8_t *buf, pad, bad = 0;
    int r;

    if (len == 0 || len % a->block_len) {
        return crypto_bad_decrypt(err);
    }
    buf = malloc(len);
    if (!buf) {
        return cb_error_set(err, CB_E_INTERNAL, "out of memory");
    }
    memcpy(buf, in, len);
    r = run_blocks(a, key, iv, buf, len, false, err);
    if (r < 0) {
        free(buf);
        return r;
    }
    pad = buf[len - 1];
    bad |= (uint8_t)(pad == 0) | (uint8_t)(pad > a->block_len);
    /* Every padding byte is looked at, whatever the first wrong one. */
    for (size_t i = 0; i < a->block_len; i++) {
        uint8_t in_pad = (uint8_t)(i < pad);

        bad |= (uint8_t)(in_pad & (buf[len - 1 - i] != pad));
    }
    if (bad) {
        explicit_bzero(buf, len);
        free(buf);
        return crypto_bad_decrypt(err);
    }
    crypto_bytes_free(ret);
    *ret = (struct crypto_bytes){ .data = buf, .len = len - pad };
    return 0;
}
