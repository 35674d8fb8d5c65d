/* SPDX-License-Identifier: MIT */
/*
 * The crypto family (module crypto) on GnuTLS, with nettle for Blowfish, which GnuTLS does
 * not offer. Everything here is a pure function of its parameters except cipher handles,
 * which keep a passphrase or key for a session; key material lives in memory that is wiped
 * when it is freed.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/cb-family.h"

#define CRYPTO_CIPHER_KIND   "cipher"
#define CRYPTO_CIPHER_PREFIX "cr-c"
#define CRYPTO_SALT_LEN      8
#define CRYPTO_GCM_NONCE_LEN 12
#define CRYPTO_GCM_TAG_LEN   16
#define CRYPTO_MAX_KEY       56
#define CRYPTO_MAX_BLOCK     16

/* A byte string that is wiped when freed. */
struct crypto_bytes {
    uint8_t *data;
    size_t len;
};
void crypto_bytes_free(struct crypto_bytes *b);
int crypto_bytes_set(struct crypto_bytes *b, const void *data, size_t len);

enum crypto_cipher_family {
    CRYPTO_AES,
    CRYPTO_BLOWFISH,
};

/* An algorithm as the caller named it, resolved. */
struct crypto_algo {
    enum crypto_cipher_family family;
    size_t key_len;   /* bytes */
    size_t block_len; /* 16 for AES, 8 for Blowfish */
    char name[32];    /* canonical: "AES-256-CBC", "BF-CBC" */
};

/* Resolves `algorithm` and `keysize` (0: the algorithm's default) as API.md section 10 says. */
int crypto_algo_resolve(const char *name,
                        int64_t keysize,
                        struct crypto_algo *ret,
                        struct cb_error *err);

enum crypto_kdf {
    CRYPTO_KDF_MD5,
    CRYPTO_KDF_SHA256,
    CRYPTO_KDF_PBKDF2,
};

struct crypto_kdf_spec {
    enum crypto_kdf kdf;
    const char *digest; /* pbkdf2: sha256, sha512, sha1 or md5 */
    unsigned iterations;
};

/* Derives key_len + iv_len bytes from a passphrase and salt (EVP_BytesToKey or PBKDF2). */
int crypto_derive(const struct crypto_kdf_spec *spec,
                  const struct crypto_bytes *passphrase,
                  const uint8_t *salt,
                  size_t salt_len,
                  uint8_t *out,
                  size_t out_len,
                  struct cb_error *err);

/* CBC with PKCS#7 padding. decrypt fails with the one uniform "bad decrypt" error. */
int crypto_cbc_encrypt(const struct crypto_algo *a,
                       const uint8_t *key,
                       const uint8_t *iv,
                       const uint8_t *in,
                       size_t len,
                       struct crypto_bytes *ret,
                       struct cb_error *err);
int crypto_cbc_decrypt(const struct crypto_algo *a,
                       const uint8_t *key,
                       const uint8_t *iv,
                       const uint8_t *in,
                       size_t len,
                       struct crypto_bytes *ret,
                       struct cb_error *err);

/* AES-256-GCM; ciphertext is followed by the 16-byte tag. */
int crypto_gcm_encrypt(const uint8_t key[32],
                       const uint8_t nonce[CRYPTO_GCM_NONCE_LEN],
                       const uint8_t *in,
                       size_t len,
                       struct crypto_bytes *ret,
                       struct cb_error *err);
int crypto_gcm_decrypt(const uint8_t key[32],
                       const uint8_t nonce[CRYPTO_GCM_NONCE_LEN],
                       const uint8_t *in,
                       size_t len,
                       struct crypto_bytes *ret,
                       struct cb_error *err);

/* The uniform failure of every decryption: no oracle says which check failed. */
int crypto_bad_decrypt(struct cb_error *err);

/* Whether FIPS rules apply ([crypto] fips = yes, or auto on a FIPS host), and the refusal
 * of an algorithm they forbid unless [crypto] allow_legacy is set. */
bool crypto_fips_active(const struct cb_config *config);
int crypto_fips_check(const struct cb_config *config, const char *what, struct cb_error *err);

/* Encodings of results and inputs. */
char *crypto_hex(const uint8_t *data, size_t len);
int crypto_unhex(const char *text, size_t len, struct crypto_bytes *ret);
bool crypto_is_hex(const char *text, size_t len);
/* Text in `encoding` (hex or base64) of bytes; malloc'ed. */
char *crypto_encode(const char *encoding, const uint8_t *data, size_t len);
/* The bytes of a bytes parameter: text as its UTF-8, a binary marker as its contents. */
int crypto_param_bytes(json_t *v, const char *param, struct crypto_bytes *ret, struct cb_error *err);
/* A decryption's plaintext: a string when it is UTF-8, else a binary marker. */
json_t *crypto_plain_value(const struct crypto_bytes *b);

/* A cipher handle's object: what new was given, kept for encrypt and decrypt. */
struct crypto_cipher {
    struct crypto_algo algo;
    struct crypto_kdf_spec kdf;
    struct crypto_bytes key; /* the passphrase (header salt) or the literal key (none) */
    struct crypto_bytes iv;  /* header none only */
    bool raw;
};
void crypto_cipher_free(void *object);

/* crypto-options.c: algorithm, keysize and kdf from the call's parameters (FIPS checked). */
int crypto_options(struct cb_call *call, struct crypto_cipher *ret, struct cb_error *err);
int crypto_kdf_allowed(struct cb_call *call,
                       const struct crypto_kdf_spec *kdf,
                       struct cb_error *err);
int crypto_literal(const struct crypto_bytes *given,
                   size_t len,
                   const char *what,
                   struct crypto_bytes *ret,
                   struct cb_error *err);

/* Handlers. */
int crypto_encrypt(struct cb_call *call, json_t **ret, struct cb_error *err);
int crypto_decrypt(struct cb_call *call, json_t **ret, struct cb_error *err);
int crypto_hash(struct cb_call *call, json_t **ret, struct cb_error *err);
int crypto_hmac(struct cb_call *call, json_t **ret, struct cb_error *err);
int crypto_random_bytes(struct cb_call *call, json_t **ret, struct cb_error *err);
int crypto_generate_key(struct cb_call *call, json_t **ret, struct cb_error *err);
int crypto_compare(struct cb_call *call, json_t **ret, struct cb_error *err);
int crypto_new(struct cb_call *call, json_t **ret, struct cb_error *err);
int crypto_cleanup_cipher(struct cb_call *call, json_t **ret, struct cb_error *err);

extern const struct cb_family crypto_family;
