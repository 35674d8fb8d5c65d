/* SPDX-License-Identifier: MIT */
/* crypto.new and crypto.cleanup_cipher: a key kept for a session, like a Crypt::CBC object. */
#include "services/crypto/crypto-internal.h"

#include <ctype.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cb-json.h"
#include "common/cb-path.h"

#define OOM(err)     cb_error_set(err, CB_E_INTERNAL, "out of memory")
#define KEY_FILE_MAX 4096

void crypto_cipher_free(void *object)
{
    struct crypto_cipher *c = object;

    if (!c) {
        return;
    }
    crypto_bytes_free(&c->key);
    crypto_bytes_free(&c->iv);
    free(c);
}

/* The key in a file, read as the user: its text without PEM armour lines and surrounding space. */
static int read_key_file(struct cb_call *call,
                         const char *path,
                         struct crypto_bytes *ret,
                         struct cb_error *err)
{
    uint8_t buf[KEY_FILE_MAX + 1];
    struct crypto_bytes kept = { 0 };
    ssize_t n, got = 0;
    size_t o = 0;
    int fd;

    fd = cb_path_open(call->config, "key_file", path, O_RDONLY | O_CLOEXEC, 0, err);
    if (fd < 0) {
        return fd;
    }
    while ((n = read(fd, buf + got, sizeof buf - (size_t)got)) > 0) {
        got += n;
        if ((size_t)got == sizeof buf) {
            break;
        }
    }
    close(fd);
    if (n < 0 || (size_t)got > KEY_FILE_MAX) {
        explicit_bzero(buf, sizeof buf);
        return cb_error_set(err, CB_E_INVALID_PARAM,
                            "parameter 'key_file': '%s' cannot be read or is over %d bytes", path,
                            KEY_FILE_MAX);
    }
    kept.data = malloc((size_t)got + 1);
    if (!kept.data) {
        explicit_bzero(buf, sizeof buf);
        return OOM(err);
    }
    for (size_t i = 0; i < (size_t)got;) {
        size_t end = i;

        while (end < (size_t)got && buf[end] != '\n') {
            end++;
        }
        if (!(end - i >= 5 && memcmp(buf + i, "-----", 5) == 0)) {
            memcpy(kept.data + o, buf + i, end - i);
            o += end - i;
        }
        i = end + 1;
    }
    explicit_bzero(buf, sizeof buf);
    while (o > 0 && isspace(kept.data[o - 1])) {
        o--;
    }
    kept.len = o;
    if (o == 0) {
        crypto_bytes_free(&kept);
        return cb_error_set(err, CB_E_INVALID_PARAM, "parameter 'key_file': '%s' holds no key",
                            path);
    }
    crypto_bytes_free(ret);
    *ret = kept;
    return 0;
}

static int cipher_key(struct cb_call *call, struct crypto_cipher *c, struct cb_error *err)
{
    json_t *key = json_object_get(call->params, "key");
    const char *file = cb_json_get_string(call->params, "key_file", NULL);
    int r;

    if (!key == !file) {
        return cb_error_set(err, CB_E_INVALID_PARAM, "give one of 'key' and 'key_file'");
    }
    if (file) {
        return read_key_file(call, file, &c->key, err);
    }
    r = crypto_param_bytes(key, "key", &c->key, err);
    explicit_bzero((char *)json_string_value(key), json_string_length(key));
    return r;
}

int crypto_new(struct cb_call *call, json_t **ret, struct cb_error *err)
{
    struct crypto_cipher *c = calloc(1, sizeof *c);
    json_t *iv = json_object_get(call->params, "iv");
    const char *id;
    int r;

    if (!c) {
        return OOM(err);
    }
    c->raw = strcmp(cb_json_get_string(call->params, "header", "salt"), "none") == 0;
    r = crypto_options(call, c, err);
    r = r < 0 ? r : cipher_key(call, c, err);
    if (r >= 0 && c->raw) {
        struct crypto_bytes given = { 0 }, literal = { 0 };

        /* Checked now, so that a bad key fails here rather than at the first encrypt. */
        r = iv ? crypto_param_bytes(iv, "iv", &given, err)
               : cb_error_set(err, CB_E_INVALID_PARAM,
                              "header none needs 'iv': Crypt::CBC's randomiv is not offered");
        r = r < 0 ? r : crypto_literal(&given, c->algo.block_len, "parameter 'iv'", &c->iv, err);
        r = r < 0 ? r
                  : crypto_literal(&c->key, c->algo.key_len, "the literal key of header none",
                                   &literal, err);
        if (r >= 0) {
            crypto_bytes_free(&c->key);
            c->key = literal;
            literal = (struct crypto_bytes){ 0 };
        }
        crypto_bytes_free(&given);
        crypto_bytes_free(&literal);
    } else if (r >= 0) {
        r = crypto_kdf_allowed(call, &c->kdf, err);
    }
    if (r >= 0) {
        r = cb_handle_create(call->registry, call->session, CRYPTO_CIPHER_KIND,
                             CRYPTO_CIPHER_PREFIX, c, crypto_cipher_free, &id, err);
    }
    if (r < 0) {
        crypto_cipher_free(c);
        return r;
    }
    *ret = json_pack("{s:s, s:s, s:I}", "cipher_id", id, "cipher", c->algo.name, "key_length",
                     (json_int_t)c->algo.key_len);
    return *ret ? 0 : OOM(err);
}

int crypto_cleanup_cipher(struct cb_call *call, json_t **ret, struct cb_error *err)
{
    const char *id = cb_json_get_string(call->params, "cipher_id", NULL);
    struct cb_error inner = CB_ERROR_INIT;
    struct cb_handle *h;
    int r;

    r = cb_handle_acquire(call->registry, call->session, CRYPTO_CIPHER_KIND, id, &h, &inner);
    if (r < 0 && !id) {
        cb_error_clear(&inner);
        return cb_error_set(err, CB_E_HANDLE, "no current cipher; call crypto.new first");
    }
    if (r < 0) {
        cb_error_move(err, &inner);
        return r;
    }
    *ret = json_pack("{s:s, s:b}", "cipher_id", h->id, "cleaned_up", 1);
    /* Ending the handle frees the cipher, which wipes its key. */
    cb_handle_end(call->registry, h, "cleaned up by crypto.cleanup_cipher");
    return *ret ? 0 : OOM(err);
}
