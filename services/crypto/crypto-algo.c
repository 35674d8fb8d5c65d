/* SPDX-License-Identifier: MIT */
/* Cipher names as Crypt::CBC and openssl enc scripts write them (API.md section 10). */
#include "services/crypto/crypto-internal.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

struct name_rule {
    const char *name;
    enum crypto_cipher_family family;
    size_t key_len; /* 0: the family's default */
};

static const struct name_rule names[] = {
    { "AES", CRYPTO_AES, 32 },
    { "AES-256", CRYPTO_AES, 32 },
    { "AES256", CRYPTO_AES, 32 },
    { "AES-256-CBC", CRYPTO_AES, 32 },
    { "AES-192", CRYPTO_AES, 24 },
    { "AES192", CRYPTO_AES, 24 },
    { "AES-192-CBC", CRYPTO_AES, 24 },
    { "AES-128", CRYPTO_AES, 16 },
    { "AES128", CRYPTO_AES, 16 },
    { "AES-128-CBC", CRYPTO_AES, 16 },
    { "Rijndael", CRYPTO_AES, 32 },
    { "Crypt::Rijndael", CRYPTO_AES, 32 },
    { "Crypt::OpenSSL::AES", CRYPTO_AES, 32 },
    { "Crypt::Cipher::AES", CRYPTO_AES, 32 },
    /* Crypt::Blowfish's keysize is 56, the most Blowfish takes; openssl's bf-cbc uses 16. */
    { "Blowfish", CRYPTO_BLOWFISH, 56 },
    { "Crypt::Blowfish", CRYPTO_BLOWFISH, 56 },
    { "BF", CRYPTO_BLOWFISH, 56 },
    { "BF-CBC", CRYPTO_BLOWFISH, 16 },
};

static const char *const refused[] = {
    "DES", "3DES", "DES-EDE3", "Crypt::DES", "Crypt::DES_EDE3", "TripleDES"
};

int crypto_algo_resolve(const char *name,
                        int64_t keysize,
                        struct crypto_algo *ret,
                        struct cb_error *err)
{
    const struct name_rule *rule = NULL;

    for (size_t i = 0; i < CB_ELEMENTSOF(refused); i++) {
        if (strcasecmp(name, refused[i]) == 0) {
            return cb_error_set(err, CB_E_INVALID_PARAM,
                                "algorithm '%s' is not offered: DES and 3DES are broken; use AES",
                                name);
        }
    }
    for (size_t i = 0; i < CB_ELEMENTSOF(names); i++) {
        if (strcasecmp(name, names[i].name) == 0) {
            rule = &names[i];
            break;
        }
    }
    if (!rule) {
        return cb_error_set(
                err, CB_E_INVALID_PARAM,
                "unknown algorithm '%s' (AES, AES-128, AES-192, AES-256, Rijndael or Blowfish)",
                name);
    }
    *ret = (struct crypto_algo){ .family = rule->family, .key_len = rule->key_len };
    if (keysize > 0) {
        bool ok = rule->family == CRYPTO_AES ? keysize == 16 || keysize == 24 || keysize == 32
                                             : keysize >= 4 && keysize <= CRYPTO_MAX_KEY;

        if (!ok) {
            return cb_error_set(
                    err, CB_E_INVALID_PARAM,
                    "parameter 'keysize' %lld does not fit %s (AES: 16, 24 or 32; Blowfish: 4 to 56)",
                    (long long)keysize, name);
        }
        ret->key_len = (size_t)keysize;
    }
    if (rule->family == CRYPTO_AES) {
        ret->block_len = 16;
        snprintf(ret->name, sizeof ret->name, "AES-%zu-CBC", ret->key_len * 8);
    } else {
        ret->block_len = 8;
        snprintf(ret->name, sizeof ret->name, "BF-CBC");
    }
    return 0;
}
