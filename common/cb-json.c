/* SPDX-License-Identifier: MIT */
/* JSON with the wire rules: duplicate keys refused, NUL in strings allowed, limits checked. */
#include "common/cb-json.h"

#include <stdio.h>
#include <string.h>

#include "common/cb-json-internal.h"

static const char *parse_problem(const json_error_t *e)
{
    switch (json_error_code(e)) {
    case json_error_invalid_utf8:
        return "invalid UTF-8";
    case json_error_duplicate_key:
        return "duplicate key";
    case json_error_numeric_overflow:
        return "number beyond 64 bits (send big integers as strings)";
    case json_error_null_byte_in_key:
        return "NUL byte in an object key";
    case json_error_stack_overflow:
        return "nesting too deep";
    case json_error_premature_end_of_input:
        return "JSON ends too early";
    case json_error_end_of_input_expected:
        return "bytes after the JSON value";
    default:
        return NULL;
    }
}

int cb_json_parse(const char *buf, size_t len, json_t **ret, struct cb_error *reterr)
{
    json_error_t e;
    const char *problem;
    json_t *v;

    /* The common case, well-formed text, takes the fast path; jansson decides the rest. */
    v = cb_json_parse_fast(buf, len);
    if (v) {
        *ret = v;
        return 0;
    }
    v = json_loadb(buf, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL | JSON_DECODE_ANY, &e);
    if (!v) {
        problem = parse_problem(&e);
        if (problem) {
            return cb_error_set(reterr, CB_E_PROTOCOL, "JSON does not parse: %s at byte %d",
                                problem, e.position);
        }
        return cb_error_set(reterr, CB_E_PROTOCOL, "JSON does not parse: %s at byte %d", e.text,
                            e.position);
    }

    *ret = v;
    return 0;
}

struct limit_walk {
    const struct cb_limits *limits;
    struct cb_error *err;
    char path[256];
};

static void path_push(char *path, size_t size, size_t *saved, const char *key, size_t index)
{
    size_t n = strlen(path);

    *saved = n;
    if (n >= size - 1) {
        return;
    }
    if (key) {
        snprintf(path + n, size - n, ".%s", key);
    } else {
        snprintf(path + n, size - n, "[%zu]", index);
    }
}

static int walk_limits(const json_t *v, size_t depth, struct limit_walk *w)
{
    const char *key;
    json_t *child;
    size_t i, saved;
    int r;

    switch (json_typeof(v)) {
    case JSON_STRING:
        if (json_string_length(v) > w->limits->max_string) {
            return cb_error_set(
                    w->err, CB_E_TOO_LARGE,
                    "string at '%s' is %zu bytes, over the limit of %zu (max_string_length)",
                    w->path[0] ? w->path : "$", json_string_length(v), w->limits->max_string);
        }
        return 0;
    case JSON_ARRAY:
    case JSON_OBJECT:
        if (depth + 1 > w->limits->max_depth) {
            return cb_error_set(
                    w->err, CB_E_TOO_LARGE,
                    "value at '%s' is nested deeper than the limit of %zu (max_object_depth)",
                    w->path[0] ? w->path : "$", w->limits->max_depth);
        }
        break;
    default:
        return 0;
    }

    if (json_is_array(v)) {
        if (json_array_size(v) > w->limits->max_array) {
            return cb_error_set(
                    w->err, CB_E_TOO_LARGE,
                    "array at '%s' has %zu items, over the limit of %zu (max_array_length)",
                    w->path[0] ? w->path : "$", json_array_size(v), w->limits->max_array);
        }
        json_array_foreach(v, i, child)
        {
            path_push(w->path, sizeof w->path, &saved, NULL, i);
            r = walk_limits(child, depth + 1, w);
            w->path[saved] = '\0';
            if (r < 0) {
                return r;
            }
        }
        return 0;
    }

    json_object_foreach((json_t *)v, key, child)
    {
        path_push(w->path, sizeof w->path, &saved, key, 0);
        r = walk_limits(child, depth + 1, w);
        w->path[saved] = '\0';
        if (r < 0) {
            return r;
        }
    }
    return 0;
}

/* The same walk without naming where: every request pays for it, so no printf here. */
static bool within_limits(const json_t *v, size_t depth, const struct cb_limits *l)
{
    const char *key;
    json_t *child;
    size_t i;

    switch (json_typeof(v)) {
    case JSON_STRING:
        return json_string_length(v) <= l->max_string;
    case JSON_ARRAY:
        if (depth + 1 > l->max_depth || json_array_size(v) > l->max_array) {
            return false;
        }
        json_array_foreach(v, i, child)
        {
            if (!within_limits(child, depth + 1, l)) {
                return false;
            }
        }
        return true;
    case JSON_OBJECT:
        if (depth + 1 > l->max_depth) {
            return false;
        }
        json_object_foreach((json_t *)v, key, child)
        {
            if (!within_limits(child, depth + 1, l)) {
                return false;
            }
        }
        return true;
    default:
        return true;
    }
}

int cb_json_check_limits(const json_t *v, const struct cb_limits *limits, struct cb_error *reterr)
{
    struct limit_walk w = { .limits = limits, .err = reterr };

    if (within_limits(v, 0, limits)) {
        return 0;
    }
    /* Over a limit: walk again, this time building the path the refusal names. */
    return walk_limits(v, 0, &w);
}

char *cb_json_dump(const json_t *v, size_t *ret_len)
{
    char *s;

    /* Precision 17 writes every double so that it reads back as the same double. */
    s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(17));
    if (s && ret_len) {
        /* NUL inside strings is escaped as \u0000, so the text has no raw NUL. */
        *ret_len = strlen(s);
    }
    return s;
}

const char *cb_json_get_string(const json_t *obj, const char *key, const char *def)
{
    json_t *v = json_object_get(obj, key);

    return json_is_string(v) ? json_string_value(v) : def;
}

int64_t cb_json_get_int(const json_t *obj, const char *key, int64_t def)
{
    json_t *v = json_object_get(obj, key);

    return json_is_integer(v) ? (int64_t)json_integer_value(v) : def;
}

bool cb_json_get_bool(const json_t *obj, const char *key, bool def)
{
    json_t *v = json_object_get(obj, key);

    return json_is_boolean(v) ? json_is_true(v) : def;
}

bool cb_json_equal(const json_t *a, const json_t *b)
{
    /* json_equal treats 1 and 1.0 as different types already; that is what we want. */
    return json_equal(a, b) == 1;
}
