/* SPDX-License-Identifier: MIT */
/* Binary values on the wire (API.md 1.1): {"$base64": "..."} in both directions. */
#include "common/cb-base64.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *cb_base64_encode(const void *data, size_t len)
{
    const unsigned char *in = data;
    char *out = malloc((len + 2) / 3 * 4 + 1), *o = out;
    size_t i;

    if (!out) {
        return NULL;
    }
    for (i = 0; i + 2 < len; i += 3) {
        *o++ = alphabet[in[i] >> 2];
        *o++ = alphabet[((in[i] & 3) << 4) | (in[i + 1] >> 4)];
        *o++ = alphabet[((in[i + 1] & 15) << 2) | (in[i + 2] >> 6)];
        *o++ = alphabet[in[i + 2] & 63];
    }
    if (i < len) {
        *o++ = alphabet[in[i] >> 2];
        if (i + 1 < len) {
            *o++ = alphabet[((in[i] & 3) << 4) | (in[i + 1] >> 4)];
            *o++ = alphabet[(in[i + 1] & 15) << 2];
        } else {
            *o++ = alphabet[(in[i] & 3) << 4];
            *o++ = '=';
        }
        *o++ = '=';
    }
    *o = '\0';
    return out;
}

static int sextet(char c)
{
    const char *p = c ? strchr(alphabet, c) : NULL;

    return p ? (int)(p - alphabet) : -1;
}

int cb_base64_decode(const char *text, void **ret, size_t *ret_len)
{
    size_t len = strlen(text), n = 0;
    unsigned char *out;
    unsigned acc = 0;
    int bits = 0;

    out = malloc(len / 4 * 3 + 3);
    if (!out) {
        return -ENOMEM;
    }
    for (size_t i = 0; i < len; i++) {
        int v;

        if (text[i] == '=') {
            break;
        }
        v = sextet(text[i]);
        if (v < 0) {
            free(out);
            return -EINVAL;
        }
        acc = (acc << 6) | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[n++] = (unsigned char)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    *ret = out;
    *ret_len = n;
    return 0;
}

json_t *cb_binary_new(const void *data, size_t len)
{
    char *text = cb_base64_encode(data, len);
    json_t *v;

    if (!text) {
        return NULL;
    }
    v = json_pack("{s:s}", "$base64", text);
    free(text);
    return v;
}

bool cb_is_binary(const json_t *v)
{
    return json_is_object(v) && json_object_size(v) == 1 &&
           json_is_string(json_object_get(v, "$base64"));
}

int cb_binary_bytes(const json_t *v, void **ret, size_t *ret_len)
{
    if (!cb_is_binary(v)) {
        return -EINVAL;
    }
    return cb_base64_decode(json_string_value(json_object_get(v, "$base64")), ret, ret_len);
}
