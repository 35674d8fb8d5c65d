/* SPDX-License-Identifier: MIT */
/* JSON parsing and printing with the wire rules: duplicate keys refused, NUL allowed. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "common/cb-error.h"

struct cb_limits {
    size_t max_frame;  /* bytes, each way */
    size_t max_string; /* bytes of one string */
    size_t max_array;  /* items of one array */
    size_t max_depth;  /* nesting of objects and arrays */
    size_t max_params; /* keys of `params` */
};

#define CB_LIMITS_DEFAULT                                                                          \
    {                                                                                              \
        .max_frame = 16u * 1024u * 1024u, .max_string = 16u * 1024u * 1024u, .max_array = 1000000, \
        .max_depth = 64, .max_params = 1000                                                        \
    }

/*
 * Parses one JSON text (any type). Invalid UTF-8, duplicate keys, trailing bytes and
 * numbers beyond 64 bits are refused. On failure fills reterr with E_PROTOCOL and a message
 * naming the problem and its byte offset, and returns -EPROTO.
 */
int cb_json_parse(const char *buf, size_t len, json_t **ret, struct cb_error *reterr);

/*
 * Checks a value against the string, array and depth limits. Returns 0, or -E2BIG with
 * reterr set to E_TOO_LARGE naming the limit and where it was crossed (a JSON path).
 */
int cb_json_check_limits(const json_t *v, const struct cb_limits *limits, struct cb_error *reterr);

/* Compact UTF-8 text; NUL inside strings is written as \u0000. Returns malloc'ed bytes or NULL. */
char *cb_json_dump(const json_t *v, size_t *ret_len);

/* Typed getters that return a default when the key is missing or null. */
const char *cb_json_get_string(const json_t *obj, const char *key, const char *def);
int64_t cb_json_get_int(const json_t *obj, const char *key, int64_t def);
bool cb_json_get_bool(const json_t *obj, const char *key, bool def);

/* Whether two values are equal in type and content (numbers compared exactly). */
bool cb_json_equal(const json_t *a, const json_t *b);

static inline void cb_json_decrefp(json_t **p)
{
    json_decref(*p);
}

#define CB_JSON_AUTO CB_CLEANUP(cb_json_decrefp) json_t
