/* SPDX-License-Identifier: MIT */
/* The parameters encrypt, decrypt and new share: algorithm, key derivation, literal keys. */
#include "services/crypto/crypto-internal.h"

#include <string.h>

#include "common/cb-json.h"

int crypto_options(struct cb_call *call, struct crypto_cipher *ret, struct cb_error *err)
{
    json_t *p = call->params;
    /* new calls it cipher (alias algorithm); encrypt and decrypt the other way round. */
    const char *algorithm = cb_json_get_string(p, "cipher",
                                               cb_json_get_string(p, "algorithm", "AES"));
    const char *kdf = cb_json_get_string(p, "kdf", "md5");
    int64_t iterations = cb_json_get_int(p, "iterations", 10000);
    int r;

    r = crypto_algo_resolve(algorithm, cb_json_get_int(p, "keysize", 0), &ret->algo, err);
    if (r < 0) {
        return r;
    }
    ret->kdf = (struct crypto_kdf_spec){
        .kdf = strcmp(kdf, "pbkdf2") == 0   ? CRYPTO_KDF_PBKDF2
               : strcmp(kdf, "sha256") == 0 ? CRYPTO_KDF_SHA256
                                            : CRYPTO_KDF_MD5,
        .digest = cb_json_get_string(p, "digest", "sha256"),
        .iterations = (unsigned)iterations,
    };
    if (ret->algo.family == CRYPTO_BLOWFISH) {
        r = crypto_fips_check(call->config, "Blowfish", err);
    }
    return r;
}

int crypto_kdf_allowed(struct cb_call *call,
                       const struct crypto_kdf_spec *kdf,
                       struct cb_error *err)
{
    if (kdf->kdf == CRYPTO_KDF_MD5) {
        return crypto_fips_check(call->config, "the md5 key derivation (EVP_BytesToKey with MD5)",
                                 err);
    }
    if (kdf->kdf == CRYPTO_KDF_PBKDF2 && strcmp(kdf->digest, "md5") == 0) {
        return crypto_fips_check(call->config, "PBKDF2 with MD5", err);
    }
    return 0;
}

/* A literal key or IV: its bytes when they are `len` long, or the hex of `len` bytes. */
int crypto_literal(const struct crypto_bytes *given,
                   size_t len,
                   const char *what,
                   struct crypto_bytes *ret,
                   struct cb_error *err)
{
    if (given->len == len) {
        return crypto_bytes_set(ret, given->data, len) < 0
                       ? cb_error_set(err, CB_E_INTERNAL, "out of memory")
                       : 0;
    }
    if (given->len == 2 * len && crypto_unhex((const char *)given->data, given->len, ret) == 0) {
        return 0;
    }
    return cb_error_set(err, CB_E_INVALID_PARAM, "%s must be %zu bytes, or %zu hex digits", what,
                        len, 2 * len);
}
