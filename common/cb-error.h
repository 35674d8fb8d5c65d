/* SPDX-License-Identifier: MIT */
/* The wire error codes of DESIGN.md and the error object every handler fills in. */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "common/cb-macro.h"

enum cb_error_code {
    CB_E_PROTOCOL,
    CB_E_TOO_LARGE,
    CB_E_UNKNOWN_MODULE,
    CB_E_UNKNOWN_FUNCTION,
    CB_E_INVALID_PARAM,
    CB_E_SECURITY,
    CB_E_DENIED,
    CB_E_THROTTLED,
    CB_E_HANDLE,
    CB_E_UNAVAILABLE,
    CB_E_TIMEOUT,
    CB_E_BACKEND,
    CB_E_INTERNAL,
    _CB_E_MAX,
    _CB_E_INVALID = -EINVAL,
};

/* An answered failure. `message` is owned; `backend_error` ({code, message}) is owned or NULL. */
struct cb_error {
    enum cb_error_code code;
    char *message;
    json_t *backend_error;
    bool outcome_unknown;
    int64_t retry_after_ms; /* only with CB_E_THROTTLED; -1 when unset */
    bool set;
};

#define CB_ERROR_INIT                               \
    {                                               \
        .code = CB_E_INTERNAL, .retry_after_ms = -1 \
    }

/* "E_PROTOCOL" and back; from_string returns _CB_E_INVALID for any other word. */
const char *cb_error_code_to_string(enum cb_error_code code);
enum cb_error_code cb_error_code_from_string(const char *s);

/* DESIGN.md: retryable only when the request provably did not take effect. */
bool cb_error_code_retryable(enum cb_error_code code);

/* The negative errno that stands for a code inside C (E_INVALID_PARAM is -EINVAL, ...). */
int cb_error_code_to_errno(enum cb_error_code code);

/*
 * Fills in an error and returns the code's negative errno, so a handler can write
 * `return cb_error_set(err, CB_E_INVALID_PARAM, "...")`. A second call on an error that is
 * already set keeps the first (the innermost reason wins). NULL err is allowed.
 */
int cb_error_set(struct cb_error *err, enum cb_error_code code, const char *fmt, ...)
        CB_PRINTF(3, 4);

/* As cb_error_set, and also records the backend's own code and text. */
int cb_error_set_backend(struct cb_error *err,
                         const char *backend_code,
                         const char *backend_message,
                         const char *fmt,
                         ...) CB_PRINTF(4, 5);

/* Frees what the error owns and resets it to CB_ERROR_INIT. */
void cb_error_clear(struct cb_error *err);

/* Moves src into dst (dst cleared first); src is left reset. */
void cb_error_move(struct cb_error *dst, struct cb_error *src);
