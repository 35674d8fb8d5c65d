/* SPDX-License-Identifier: MIT */
/* crypto.hash, hmac, random_bytes, generate_key and compare. */
#include "services/crypto/crypto-internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/crypto.h>
#include <nettle/memops.h>

#include "common/cb-json.h"

#define OOM(err) cb_error_set(err, CB_E_INTERNAL, "out of memory")

struct digest_name {
    const char *name;
    gnutls_digest_algorithm_t digest;
    gnutls_mac_algorithm_t mac;
};

static const struct digest_name digests[] = {
    { "md5", GNUTLS_DIG_MD5, GNUTLS_MAC_MD5 },
    { "sha1", GNUTLS_DIG_SHA1, GNUTLS_MAC_SHA1 },
    { "sha224", GNUTLS_DIG_SHA224, GNUTLS_MAC_SHA224 },
    { "sha256", GNUTLS_DIG_SHA256, GNUTLS_MAC_SHA256 },
    { "sha384", GNUTLS_DIG_SHA384, GNUTLS_MAC_SHA384 },
    { "sha512", GNUTLS_DIG_SHA512, GNUTLS_MAC_SHA512 },
};

/* "SHA-256", "sha256" and "Sha256" are one digest. */
static const struct digest_name *find_digest(struct cb_call *call, struct cb_error *err)
{
    const char *given = cb_json_get_string(call->params, "algorithm", "sha256");
    char norm[16];
    size_t n = 0;

    for (const char *c = given; *c && n + 1 < sizeof norm; c++) {
        if (*c != '-' && *c != '_') {
            norm[n++] = (char)tolower((unsigned char)*c);
        }
    }
    norm[n] = '\0';
    for (size_t i = 0; i < CB_ELEMENTSOF(digests); i++) {
        if (strcmp(norm, digests[i].name) == 0) {
            if (digests[i].digest == GNUTLS_DIG_MD5 &&
                crypto_fips_check(call->config, "MD5", err) < 0) {
                return NULL;
            }
            return &digests[i];
        }
    }
    cb_error_set(err, CB_E_INVALID_PARAM,
                 "unknown algorithm '%s' (md5, sha1, sha224, sha256, sha384 or sha512)", given);
    return NULL;
}

static int result_with(json_t **ret,
                       const char *field,
                       const uint8_t *data,
                       size_t len,
                       const char *algorithm,
                       const char *encoding,
                       struct cb_error *err)
{
    char *text = crypto_encode(encoding, data, len);

    *ret = text ? json_pack("{s:s, s:s, s:s}", field, text, "algorithm", algorithm, "encoding",
                            encoding)
                : NULL;
    free(text);
    return *ret ? 0 : OOM(err);
}

int crypto_hash(struct cb_call *call, json_t **ret, struct cb_error *err)
{
    const char *encoding = cb_json_get_string(call->params, "encoding", "hex");
    const struct digest_name *d;
    struct crypto_bytes data = { 0 };
    uint8_t out[64];
    int r;

    d = find_digest(call, err);
    if (!d) {
        return -EINVAL;
    }
    r = crypto_param_bytes(json_object_get(call->params, "data"), "data", &data, err);
    if (r >= 0 && gnutls_hash_fast(d->digest, data.data, data.len, out) < 0) {
        r = cb_error_set(err, CB_E_DENIED, "%s is not available on this host", d->name);
    }
    if (r >= 0) {
        r = result_with(ret, "hash", out, gnutls_hash_get_len(d->digest), d->name, encoding, err);
    }
    crypto_bytes_free(&data);
    return r;
}

int crypto_hmac(struct cb_call *call, json_t **ret, struct cb_error *err)
{
    const char *encoding = cb_json_get_string(call->params, "encoding", "hex");
    json_t *key_param = json_object_get(call->params, "key");
    struct crypto_bytes data = { 0 }, key = { 0 };
    const struct digest_name *d;
    uint8_t out[64];
    int r;

    d = find_digest(call, err);
    if (!d) {
        return -EINVAL;
    }
    r = crypto_param_bytes(json_object_get(call->params, "data"), "data", &data, err);
    r = r < 0 ? r : crypto_param_bytes(key_param, "key", &key, err);
    explicit_bzero((char *)json_string_value(key_param), json_string_length(key_param));
    if (r >= 0 && gnutls_hmac_fast(d->mac, key.data, key.len, data.data, data.len, out) < 0) {
        r = cb_error_set(err, CB_E_DENIED, "HMAC-%s is not available on this host", d->name);
    }
    if (r >= 0) {
        r = result_with(ret, "hmac", out, gnutls_hmac_get_len(d->mac), d->name, encoding, err);
    }
    explicit_bzero(out, sizeof out);
    crypto_bytes_free(&data);
    crypto_bytes_free(&key);
    return r;
}

int crypto_random_bytes(struct cb_call *call, json_t **ret, struct cb_error *err)
{
    const char *encoding = cb_json_get_string(call->params, "encoding", "hex");
    size_t len = (size_t)cb_json_get_int(call->params, "length", 32);
    uint8_t *buf = malloc(len);
    char *text;
    int r = 0;

    if (!buf) {
        return OOM(err);
    }
    if (gnutls_rnd(GNUTLS_RND_RANDOM, buf, len) < 0) {
        r = cb_error_set(err, CB_E_INTERNAL, "the random number generator failed");
    }
    text = r < 0 ? NULL : crypto_encode(encoding, buf, len);
    if (r >= 0) {
        *ret = text ? json_pack("{s:s, s:I, s:s}", "random", text, "length", (json_int_t)len,
                                "encoding", encoding)
                    : NULL;
        r = *ret ? 0 : OOM(err);
    }
    free(text);
    explicit_bzero(buf, len);
    free(buf);
    return r;
}

int crypto_generate_key(struct cb_call *call, json_t **ret, struct cb_error *err)
{
    const char *encoding = cb_json_get_string(call->params, "encoding", "hex");
    struct crypto_algo a;
    uint8_t key[CRYPTO_MAX_KEY];
    char *text = NULL;
    int r;

    r = crypto_algo_resolve(cb_json_get_string(call->params, "algorithm", "AES"), 0, &a, err);
    if (r >= 0 && gnutls_rnd(GNUTLS_RND_KEY, key, a.key_len) < 0) {
        r = cb_error_set(err, CB_E_INTERNAL, "the random number generator failed");
    }
    if (r >= 0) {
        text = crypto_encode(encoding, key, a.key_len);
        *ret = text ? json_pack("{s:s, s:I, s:s, s:s}", "key", text, "length",
                                (json_int_t)a.key_len, "algorithm", a.name, "encoding", encoding)
                    : NULL;
        r = *ret ? 0 : OOM(err);
    }
    if (text) {
        explicit_bzero(text, strlen(text));
        free(text);
    }
    explicit_bzero(key, sizeof key);
    return r;
}

int crypto_compare(struct cb_call *call, json_t **ret, struct cb_error *err)
{
    json_t *a = json_object_get(call->params, "a"), *b = json_object_get(call->params, "b");
    size_t la = json_string_length(a), lb = json_string_length(b);
    /* Constant time in the contents; only the lengths, which differ visibly, end it early. */
    bool equal = la == lb && memeql_sec(json_string_value(a), json_string_value(b), la);

    explicit_bzero((char *)json_string_value(a), la);
    explicit_bzero((char *)json_string_value(b), lb);
    *ret = json_pack("{s:b}", "equal", equal);
    return *ret ? 0 : OOM(err);
}
