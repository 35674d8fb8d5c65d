/* SPDX-License-Identifier: MIT */
/* Byte strings that are wiped when freed, and the encodings crypto's results use. */
#include "services/crypto/crypto-internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/cb-base64.h"
#include "common/cb-utf8.h"

void crypto_bytes_free(struct crypto_bytes *b)
{
    if (b->data) {
        explicit_bzero(b->data, b->len);
        free(b->data);
    }
    *b = (struct crypto_bytes){ 0 };
}

int crypto_bytes_set(struct crypto_bytes *b, const void *data, size_t len)
{
    uint8_t *copy = malloc(len ? len : 1);

    if (!copy) {
        return -ENOMEM;
    }
    if (len) {
        memcpy(copy, data, len);
    }
    crypto_bytes_free(b);
    b->data = copy;
    b->len = len;
    return 0;
}

char *crypto_hex(const uint8_t *data, size_t len)
{
    static const char digits[] = "0123456789abcdef";
    char *out = malloc(len * 2 + 1);

    if (!out) {
        return NULL;
    }
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[data[i] >> 4];
        out[2 * i + 1] = digits[data[i] & 15];
    }
    out[len * 2] = '\0';
    return out;
}

static int nibble(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

bool crypto_is_hex(const char *text, size_t len)
{
    if (len == 0 || len % 2) {
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        if (nibble(text[i]) < 0) {
            return false;
        }
    }
    return true;
}

int crypto_unhex(const char *text, size_t len, struct crypto_bytes *ret)
{
    struct crypto_bytes b = { 0 };

    if (len % 2 || (len && !crypto_is_hex(text, len))) {
        return -EINVAL;
    }
    b.data = malloc(len / 2 + 1);
    if (!b.data) {
        return -ENOMEM;
    }
    b.len = len / 2;
    for (size_t i = 0; i < b.len; i++) {
        b.data[i] = (uint8_t)(nibble(text[2 * i]) << 4 | nibble(text[2 * i + 1]));
    }
    crypto_bytes_free(ret);
    *ret = b;
    return 0;
}

char *crypto_encode(const char *encoding, const uint8_t *data, size_t len)
{
    return strcmp(encoding, "hex") == 0 ? crypto_hex(data, len) : cb_base64_encode(data, len);
}

int crypto_param_bytes(json_t *v, const char *param, struct crypto_bytes *ret, struct cb_error *err)
{
    void *bytes = NULL;
    size_t len = 0;
    int r;

    if (json_is_string(v)) {
        r = crypto_bytes_set(ret, json_string_value(v), json_string_length(v));
        return r < 0 ? cb_error_set(err, CB_E_INTERNAL, "out of memory") : 0;
    }
    if (cb_binary_bytes(v, &bytes, &len) < 0) {
        return cb_error_set(err, CB_E_INVALID_PARAM,
                            "parameter '%s' must be text or a {\"$base64\": ...} binary value",
                            param);
    }
    crypto_bytes_free(ret);
    ret->data = bytes;
    ret->len = len;
    return 0;
}

json_t *crypto_plain_value(const struct crypto_bytes *b)
{
    if (cb_utf8_valid(b->data, b->len)) {
        return json_stringn((const char *)b->data, b->len);
    }
    return cb_binary_new(b->data, b->len);
}
