/* SPDX-License-Identifier: MIT */
/* Error codes, their retry rule, and the error object handlers fill in. */
#include "common/cb-error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

struct code_info {
    const char *name;
    bool retryable;
    int err;
};

static const struct code_info code_table[_CB_E_MAX] = {
    [CB_E_PROTOCOL] = { "E_PROTOCOL", false, EPROTO },
    [CB_E_TOO_LARGE] = { "E_TOO_LARGE", false, E2BIG },
    [CB_E_UNKNOWN_MODULE] = { "E_UNKNOWN_MODULE", false, ENOENT },
    [CB_E_UNKNOWN_FUNCTION] = { "E_UNKNOWN_FUNCTION", false, ENOENT },
    [CB_E_INVALID_PARAM] = { "E_INVALID_PARAM", false, EINVAL },
    [CB_E_SECURITY] = { "E_SECURITY", false, EPERM },
    [CB_E_DENIED] = { "E_DENIED", false, EACCES },
    [CB_E_THROTTLED] = { "E_THROTTLED", true, EBUSY },
    [CB_E_HANDLE] = { "E_HANDLE", false, EBADF },
    [CB_E_UNAVAILABLE] = { "E_UNAVAILABLE", true, EAGAIN },
    [CB_E_TIMEOUT] = { "E_TIMEOUT", false, ETIMEDOUT },
    [CB_E_BACKEND] = { "E_BACKEND", false, EIO },
    [CB_E_INTERNAL] = { "E_INTERNAL", false, EFAULT },
};

const char *cb_error_code_to_string(enum cb_error_code code)
{
    if (code < 0 || code >= _CB_E_MAX) {
        return "E_INTERNAL";
    }
    return code_table[code].name;
}

enum cb_error_code cb_error_code_from_string(const char *s)
{
    if (!s) {
        return _CB_E_INVALID;
    }
    for (int i = 0; i < _CB_E_MAX; i++) {
        if (strcmp(code_table[i].name, s) == 0) {
            return (enum cb_error_code)i;
        }
    }
    return _CB_E_INVALID;
}

bool cb_error_code_retryable(enum cb_error_code code)
{
    return code >= 0 && code < _CB_E_MAX && code_table[code].retryable;
}

int cb_error_code_to_errno(enum cb_error_code code)
{
    if (code < 0 || code >= _CB_E_MAX) {
        return -EFAULT;
    }
    return -code_table[code].err;
}

static int error_vset(struct cb_error *err, enum cb_error_code code, const char *fmt, va_list ap)
        CB_PRINTF(3, 0);

static int error_vset(struct cb_error *err, enum cb_error_code code, const char *fmt, va_list ap)
{
    char *text = NULL;

    if (!err || err->set) {
        return cb_error_code_to_errno(err && err->set ? err->code : code);
    }

    if (vasprintf(&text, fmt, ap) < 0) {
        text = NULL;
    }
    err->code = code;
    err->message = text;
    err->set = true;
    return cb_error_code_to_errno(code);
}

int cb_error_set(struct cb_error *err, enum cb_error_code code, const char *fmt, ...)
{
    va_list ap;
    int r;

    va_start(ap, fmt);
    r = error_vset(err, code, fmt, ap);
    va_end(ap);
    return r;
}

int cb_error_set_backend(struct cb_error *err,
                         const char *backend_code,
                         const char *backend_message,
                         const char *fmt,
                         ...)
{
    va_list ap;
    int r;

    if (err && err->set) {
        return cb_error_code_to_errno(err->code);
    }

    va_start(ap, fmt);
    r = error_vset(err, CB_E_BACKEND, fmt, ap);
    va_end(ap);

    if (err) {
        err->backend_error = json_pack("{s:s?, s:s?}", "code", backend_code, "message",
                                       backend_message);
    }
    return r;
}

void cb_error_clear(struct cb_error *err)
{
    if (!err) {
        return;
    }
    free(err->message);
    json_decref(err->backend_error);
    *err = (struct cb_error)CB_ERROR_INIT;
}

void cb_error_move(struct cb_error *dst, struct cb_error *src)
{
    cb_error_clear(dst);
    *dst = *src;
    *src = (struct cb_error)CB_ERROR_INIT;
}
