/* SPDX-License-Identifier: MIT */
/*
 * crypto.encrypt and crypto.decrypt in the formats of API.md section 10: openssl ("Salted__",
 * salt, CBC), raw (literal key and IV), gcm (salt, nonce, AES-256-GCM) and, for reading only,
 * legacy (the earlier daemon's hex of IV and ciphertext).
 */
#include "services/crypto/crypto-internal.h"

#include <stdlib.h>
#include <string.h>

#include <gnutls/crypto.h>

#include "common/cb-base64.h"
#include "common/cb-json.h"

#define OOM(err) cb_error_set(err, CB_E_INTERNAL, "out of memory")

static const char salted[8] = { 'S', 'a', 'l', 't', 'e', 'd', '_', '_' };

/* Everything one operation needs, from the parameters or from a cipher handle. */
struct job {
    struct crypto_cipher c;
    const char *format;
    struct cb_handle *handle; /* the cipher used, released when done */
};

static void job_done(struct cb_call *call, struct job *j)
{
    crypto_bytes_free(&j->c.key);
    crypto_bytes_free(&j->c.iv);
    if (j->handle) {
        cb_handle_release(call->registry, j->handle);
    }
}

static int job_from_cipher(struct cb_call *call, struct job *j, struct cb_error *err)
{
    const char *id = cb_json_get_string(call->params, "cipher_id", NULL);
    struct crypto_cipher *c;
    struct cb_error inner = CB_ERROR_INIT;
    int r;

    r = cb_handle_acquire(call->registry, call->session, CRYPTO_CIPHER_KIND, id, &j->handle,
                          &inner);
    if (r < 0 && !id) {
        cb_error_clear(&inner);
        return cb_error_set(err, CB_E_INVALID_PARAM,
                            "parameter 'key' is required when no cipher was made by crypto.new");
    }
    if (r < 0) {
        cb_error_move(err, &inner);
        return r;
    }
    c = j->handle->object;
    j->c.algo = c->algo;
    j->c.kdf = c->kdf;
    j->c.raw = c->raw;
    j->format = c->raw ? "raw" : "openssl";
    if (crypto_bytes_set(&j->c.key, c->key.data, c->key.len) < 0 ||
        (c->raw && crypto_bytes_set(&j->c.iv, c->iv.data, c->iv.len) < 0)) {
        return OOM(err);
    }
    return 0;
}

static int job_from_params(struct cb_call *call, struct job *j, struct cb_error *err)
{
    json_t *key = json_object_get(call->params, "key");
    json_t *iv = json_object_get(call->params, "iv");
    int r;

    if (key && json_object_get(call->params, "cipher_id")) {
        return cb_error_set(err, CB_E_INVALID_PARAM,
                            "give 'key' or 'cipher_id', not both: the cipher has its own key");
    }
    if (!key) {
        return job_from_cipher(call, j, err);
    }
    r = crypto_options(call, &j->c, err);
    if (r < 0) {
        return r;
    }
    r = crypto_param_bytes(key, "key", &j->c.key, err);
    if (r >= 0 && iv) {
        r = crypto_param_bytes(iv, "iv", &j->c.iv, err);
    }
    /* The passphrase is in j->c.key now; the copy in the parameters goes. */
    explicit_bzero((char *)json_string_value(key), json_string_length(key));
    return r;
}

/* Key and IV of an openssl-format message, from the passphrase and the salt. */
static int derive_key_iv(struct cb_call *call,
                         const struct job *j,
                         const uint8_t *salt,
                         uint8_t *key_iv,
                         size_t n,
                         struct cb_error *err)
{
    int r = crypto_kdf_allowed(call, &j->c.kdf, err);

    return r < 0 ? r : crypto_derive(&j->c.kdf, &j->c.key, salt, CRYPTO_SALT_LEN, key_iv, n, err);
}

static int salt_of(struct cb_call *call, uint8_t salt[CRYPTO_SALT_LEN], struct cb_error *err)
{
    const char *given = cb_json_get_string(call->params, "salt", NULL);
    struct crypto_bytes b = { 0 };

    if (!given) {
        return gnutls_rnd(GNUTLS_RND_NONCE, salt, CRYPTO_SALT_LEN) < 0
                       ? cb_error_set(err, CB_E_INTERNAL, "no random numbers")
                       : 0;
    }
    if (strlen(given) != 2 * CRYPTO_SALT_LEN || crypto_unhex(given, strlen(given), &b) < 0) {
        return cb_error_set(err, CB_E_INVALID_PARAM, "parameter 'salt' must be 16 hex digits");
    }
    memcpy(salt, b.data, CRYPTO_SALT_LEN);
    crypto_bytes_free(&b);
    return 0;
}

static int encrypt_openssl(struct cb_call *call,
                           struct job *j,
                           const struct crypto_bytes *plain,
                           struct crypto_bytes *out,
                           struct cb_error *err)
{
    uint8_t salt[CRYPTO_SALT_LEN], key_iv[CRYPTO_MAX_KEY + CRYPTO_MAX_BLOCK];
    size_t kl = j->c.algo.key_len, bl = j->c.algo.block_len;
    struct crypto_bytes ct = { 0 };
    int r;

    r = salt_of(call, salt, err);
    r = r < 0 ? r : derive_key_iv(call, j, salt, key_iv, kl + bl, err);
    r = r < 0 ? r
              : crypto_cbc_encrypt(&j->c.algo, key_iv, key_iv + kl, plain->data, plain->len, &ct,
                                   err);
    explicit_bzero(key_iv, sizeof key_iv);
    if (r < 0) {
        return r;
    }
    out->len = sizeof salted + CRYPTO_SALT_LEN + ct.len;
    out->data = malloc(out->len);
    if (!out->data) {
        crypto_bytes_free(&ct);
        return OOM(err);
    }
    memcpy(out->data, salted, sizeof salted);
    memcpy(out->data + sizeof salted, salt, CRYPTO_SALT_LEN);
    memcpy(out->data + sizeof salted + CRYPTO_SALT_LEN, ct.data, ct.len);
    crypto_bytes_free(&ct);
    return 0;
}

static int literal_key_iv(struct job *j,
                          struct crypto_bytes *key,
                          struct crypto_bytes *iv,
                          struct cb_error *err)
{
    int r;

    if (!j->c.iv.data) {
        return cb_error_set(err, CB_E_INVALID_PARAM,
                            "format raw needs 'iv' (%zu bytes): there is no header to carry one",
                            j->c.algo.block_len);
    }
    r = crypto_literal(&j->c.key, j->c.algo.key_len, "the literal key of format raw", key, err);
    return r < 0 ? r : crypto_literal(&j->c.iv, j->c.algo.block_len, "parameter 'iv'", iv, err);
}

static int encrypt_raw(struct job *j,
                       const struct crypto_bytes *plain,
                       struct crypto_bytes *out,
                       struct cb_error *err)
{
    struct crypto_bytes key = { 0 }, iv = { 0 };
    int r = literal_key_iv(j, &key, &iv, err);

    r = r < 0 ? r
              : crypto_cbc_encrypt(&j->c.algo, key.data, iv.data, plain->data, plain->len, out,
                                   err);
    crypto_bytes_free(&key);
    crypto_bytes_free(&iv);
    return r;
}

static int gcm_key(struct cb_call *call,
                   struct job *j,
                   const uint8_t *salt,
                   uint8_t key[32],
                   struct cb_error *err)
{
    if (j->c.algo.family != CRYPTO_AES) {
        return cb_error_set(err, CB_E_INVALID_PARAM,
                            "format gcm is AES-256-GCM: %s has no gcm form", j->c.algo.name);
    }
    return derive_key_iv(call, j, salt, key, 32, err);
}

static int encrypt_gcm(struct cb_call *call,
                       struct job *j,
                       const struct crypto_bytes *plain,
                       struct crypto_bytes *out,
                       struct cb_error *err)
{
    uint8_t salt[CRYPTO_SALT_LEN], nonce[CRYPTO_GCM_NONCE_LEN], key[32];
    struct crypto_bytes ct = { 0 };
    int r;

    r = salt_of(call, salt, err);
    if (r >= 0 && gnutls_rnd(GNUTLS_RND_NONCE, nonce, sizeof nonce) < 0) {
        r = cb_error_set(err, CB_E_INTERNAL, "no random numbers");
    }
    r = r < 0 ? r : gcm_key(call, j, salt, key, err);
    r = r < 0 ? r : crypto_gcm_encrypt(key, nonce, plain->data, plain->len, &ct, err);
    explicit_bzero(key, sizeof key);
    if (r < 0) {
        return r;
    }
    out->len = sizeof salt + sizeof nonce + ct.len;
    out->data = malloc(out->len);
    if (!out->data) {
        crypto_bytes_free(&ct);
        return OOM(err);
    }
    memcpy(out->data, salt, sizeof salt);
    memcpy(out->data + sizeof salt, nonce, sizeof nonce);
    memcpy(out->data + sizeof salt + sizeof nonce, ct.data, ct.len);
    crypto_bytes_free(&ct);
    return 0;
}

static int plaintext_of(struct cb_call *call, struct crypto_bytes *ret, struct cb_error *err)
{
    json_t *data = json_object_get(call->params, "data");
    const char *hex = cb_json_get_string(call->params, "plaintext_hex", NULL);

    if (data && hex) {
        return cb_error_set(err, CB_E_INVALID_PARAM, "give 'data' or 'plaintext_hex', not both");
    }
    if (hex) {
        return crypto_unhex(hex, strlen(hex), ret) < 0
                       ? cb_error_set(
                                 err, CB_E_INVALID_PARAM,
                                 "parameter 'plaintext_hex' is not an even number of hex digits")
                       : 0;
    }
    if (!data) {
        return cb_error_set(err, CB_E_INVALID_PARAM, "parameter 'data' is required");
    }
    return crypto_param_bytes(data, "data", ret, err);
}

int crypto_encrypt(struct cb_call *call, json_t **ret, struct cb_error *err)
{
    const char *encoding = cb_json_get_string(call->params, "encoding", "base64");
    struct crypto_bytes plain = { 0 }, out = { 0 };
    struct job j = { .format = cb_json_get_string(call->params, "format", "openssl") };
    char *text = NULL;
    int r;

    r = plaintext_of(call, &plain, err);
    r = r < 0 ? r : job_from_params(call, &j, err);
    if (r >= 0 && j.handle) {
        /* A cipher decides its own format: header salt is openssl, none is raw. */
        j.format = j.c.raw ? "raw" : strcmp(j.format, "gcm") == 0 ? "gcm" : "openssl";
    }
    if (r >= 0) {
        r = strcmp(j.format, "raw") == 0   ? encrypt_raw(&j, &plain, &out, err)
            : strcmp(j.format, "gcm") == 0 ? encrypt_gcm(call, &j, &plain, &out, err)
                                           : encrypt_openssl(call, &j, &plain, &out, err);
    }
    if (r >= 0) {
        text = crypto_encode(encoding, out.data, out.len);
        *ret = text ? json_pack("{s:s, s:s, s:s, s:s}", "encrypted_data", text, "algorithm",
                                strcmp(j.format, "gcm") == 0 ? "AES-256-GCM" : j.c.algo.name,
                                "format", j.format, "encoding", encoding)
                    : NULL;
        r = *ret ? 0 : OOM(err);
    }
    free(text);
    crypto_bytes_free(&plain);
    crypto_bytes_free(&out);
    job_done(call, &j);
    return r;
}

/* The message's bytes: a binary marker's, or its text read as hex or base64. */
static int message_bytes(struct cb_call *call, struct crypto_bytes *ret, struct cb_error *err)
{
    json_t *v = json_object_get(call->params, "encrypted_data");
    const char *encoding = cb_json_get_string(call->params, "encoding", "auto");
    const char *text;
    size_t len;
    void *bytes;
    size_t n;

    if (cb_is_binary(v)) {
        return crypto_param_bytes(v, "encrypted_data", ret, err);
    }
    text = json_string_value(v);
    if (!text) {
        return cb_error_set(err, CB_E_INVALID_PARAM, "parameter 'encrypted_data' is required");
    }
    len = json_string_length(v);
    while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r' || text[len - 1] == ' ')) {
        len--;
    }
    if (strcmp(encoding, "hex") == 0 ||
        (strcmp(encoding, "auto") == 0 && crypto_is_hex(text, len))) {
        return crypto_unhex(text, len, ret) < 0
                       ? cb_error_set(err, CB_E_INVALID_PARAM,
                                      "parameter 'encrypted_data' is not hex")
                       : 0;
    }
    {
        /* openssl enc -a wraps base64 at 64 columns. */
        char *joined = malloc(len + 1), *o = joined;

        if (!joined) {
            return OOM(err);
        }
        for (size_t i = 0; i < len; i++) {
            if (text[i] != '\n' && text[i] != '\r') {
                *o++ = text[i];
            }
        }
        *o = '\0';
        if (cb_base64_decode(joined, &bytes, &n) < 0) {
            free(joined);
            return cb_error_set(err, CB_E_INVALID_PARAM,
                                "parameter 'encrypted_data' is neither hex nor base64");
        }
        free(joined);
    }
    crypto_bytes_free(ret);
    *ret = (struct crypto_bytes){ .data = bytes, .len = n };
    return 0;
}

static int decrypt_openssl(struct cb_call *call,
                           struct job *j,
                           const struct crypto_bytes *msg,
                           struct crypto_bytes *out,
                           struct cb_error *err)
{
    uint8_t key_iv[CRYPTO_MAX_KEY + CRYPTO_MAX_BLOCK];
    size_t kl = j->c.algo.key_len, bl = j->c.algo.block_len, head = sizeof salted + CRYPTO_SALT_LEN;
    int r;

    if (msg->len < head || memcmp(msg->data, salted, sizeof salted) != 0) {
        return crypto_bad_decrypt(err);
    }
    r = derive_key_iv(call, j, msg->data + sizeof salted, key_iv, kl + bl, err);
    r = r < 0 ? r
              : crypto_cbc_decrypt(&j->c.algo, key_iv, key_iv + kl, msg->data + head,
                                   msg->len - head, out, err);
    explicit_bzero(key_iv, sizeof key_iv);
    return r;
}

static int decrypt_raw(struct job *j,
                       const struct crypto_bytes *msg,
                       struct crypto_bytes *out,
                       struct cb_error *err)
{
    struct crypto_bytes key = { 0 }, iv = { 0 };
    int r = literal_key_iv(j, &key, &iv, err);

    r = r < 0 ? r
              : crypto_cbc_decrypt(&j->c.algo, key.data, iv.data, msg->data, msg->len, out, err);
    crypto_bytes_free(&key);
    crypto_bytes_free(&iv);
    return r;
}

static int decrypt_gcm(struct cb_call *call,
                       struct job *j,
                       const struct crypto_bytes *msg,
                       struct crypto_bytes *out,
                       struct cb_error *err)
{
    size_t head = CRYPTO_SALT_LEN + CRYPTO_GCM_NONCE_LEN;
    uint8_t key[32];
    int r;

    if (msg->len < head + CRYPTO_GCM_TAG_LEN) {
        return crypto_bad_decrypt(err);
    }
    r = gcm_key(call, j, msg->data, key, err);
    r = r < 0 ? r
              : crypto_gcm_decrypt(key, msg->data + CRYPTO_SALT_LEN, msg->data + head,
                                   msg->len - head, out, err);
    explicit_bzero(key, sizeof key);
    return r;
}

/* The earlier daemon's output: IV then ciphertext, under the literal key. */
static int decrypt_legacy(struct job *j,
                          const struct crypto_bytes *msg,
                          struct crypto_bytes *out,
                          struct cb_error *err)
{
    size_t bl = j->c.algo.block_len;
    struct crypto_bytes key = { 0 };
    int r;

    if (msg->len < 2 * bl) {
        return crypto_bad_decrypt(err);
    }
    r = crypto_literal(&j->c.key, j->c.algo.key_len, "the key of format legacy", &key, err);
    r = r < 0 ? r
              : crypto_cbc_decrypt(&j->c.algo, key.data, msg->data, msg->data + bl, msg->len - bl,
                                   out, err);
    crypto_bytes_free(&key);
    return r;
}

int crypto_decrypt(struct cb_call *call, json_t **ret, struct cb_error *err)
{
    struct crypto_bytes msg = { 0 }, plain = { 0 };
    struct job j = { .format = cb_json_get_string(call->params, "format", "auto") };
    json_t *value;
    int r;

    r = message_bytes(call, &msg, err);
    r = r < 0 ? r : job_from_params(call, &j, err);
    if (r >= 0 && strcmp(j.format, "auto") == 0) {
        j.format = msg.len >= sizeof salted && memcmp(msg.data, salted, sizeof salted) == 0
                           ? "openssl"
                   : j.c.iv.data ? "raw"
                                 : "legacy";
    }
    if (r >= 0) {
        r = strcmp(j.format, "openssl") == 0 ? decrypt_openssl(call, &j, &msg, &plain, err)
            : strcmp(j.format, "raw") == 0   ? decrypt_raw(&j, &msg, &plain, err)
            : strcmp(j.format, "gcm") == 0   ? decrypt_gcm(call, &j, &msg, &plain, err)
                                             : decrypt_legacy(&j, &msg, &plain, err);
    }
    if (r >= 0) {
        value = crypto_plain_value(&plain);
        *ret = value ? json_pack("{s:o, s:s, s:s}", "decrypted_data", value, "algorithm",
                                 strcmp(j.format, "gcm") == 0 ? "AES-256-GCM" : j.c.algo.name,
                                 "format", j.format)
                     : NULL;
        r = *ret ? 0 : OOM(err);
    }
    crypto_bytes_free(&msg);
    crypto_bytes_free(&plain);
    job_done(call, &j);
    return r;
}
