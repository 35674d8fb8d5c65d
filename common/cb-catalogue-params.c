/* SPDX-License-Identifier: MIT */
/* Checking a call's parameters against its catalogue schema, with API.md 1.1's coercions. */
#include "common/cb-catalogue.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct param_check {
    const struct cb_function *function;
    const struct cb_param *param;
    struct cb_error *err;
};

static int param_error(const struct param_check *c, const char *what)
{
    return cb_error_set(c->err, CB_E_INVALID_PARAM, "parameter '%s' %s", c->param->name, what);
}

static bool has_nul(const json_t *s)
{
    return json_string_length(s) != strlen(json_string_value(s));
}

/* A decimal integer string: optional sign and digits only, as Perl prints integers. */
static bool parse_decimal_int(const char *s, int64_t *ret)
{
    char *end;
    long long v;

    if (!*s || strspn(s + (*s == '-' || *s == '+'), "0123456789") !=
                       strlen(s + (*s == '-' || *s == '+'))) {
        return false;
    }
    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno || *end) {
        return false;
    }
    *ret = v;
    return true;
}

static int coerce_int(const struct param_check *c, json_t *v, json_t **ret)
{
    int64_t n;

    if (json_is_integer(v)) {
        n = json_integer_value(v);
    } else if (json_is_real(v) && json_real_value(v) == floor(json_real_value(v)) &&
               fabs(json_real_value(v)) < 9.0e18) {
        n = (int64_t)json_real_value(v);
    } else if (json_is_string(v) && !has_nul(v) && parse_decimal_int(json_string_value(v), &n)) {
        /* Perl scalars do not say whether they are numbers: "42" is accepted as 42. */
    } else {
        return param_error(c, "must be an integer");
    }

    if (c->param->has_range && (n < c->param->min || n > c->param->max)) {
        return cb_error_set(c->err, CB_E_INVALID_PARAM, "parameter '%s' must be from %lld to %lld",
                            c->param->name, (long long)c->param->min, (long long)c->param->max);
    }
    *ret = json_integer(n);
    return 0;
}

static int coerce_num(const struct param_check *c, json_t *v, json_t **ret)
{
    char *end;
    double d;

    if (json_is_number(v)) {
        *ret = json_incref(v);
        return 0;
    }
    if (json_is_string(v) && !has_nul(v) && json_string_length(v) > 0) {
        errno = 0;
        d = strtod(json_string_value(v), &end);
        if (!errno && !*end && isfinite(d)) {
            *ret = json_real(d);
            return 0;
        }
    }
    return param_error(c, "must be a number");
}

static int coerce_bool(const struct param_check *c, json_t *v, json_t **ret)
{
    const char *s;

    if (json_is_boolean(v)) {
        *ret = json_incref(v);
        return 0;
    }
    if (json_is_integer(v) && (json_integer_value(v) == 0 || json_integer_value(v) == 1)) {
        *ret = json_boolean(json_integer_value(v) == 1);
        return 0;
    }
    if (json_is_string(v)) {
        s = json_string_value(v);
        if (strcmp(s, "1") == 0 || strcmp(s, "0") == 0 || strcmp(s, "") == 0) {
            *ret = json_boolean(strcmp(s, "1") == 0);
            return 0;
        }
    }
    return param_error(c, "must be a boolean (true, false, 1, 0, \"1\", \"0\" or \"\")");
}

static int coerce_text(const struct param_check *c, json_t *v, json_t **ret)
{
    char buf[64];

    if (json_is_string(v)) {
        *ret = json_incref(v);
        return 0;
    }
    if (json_is_integer(v)) {
        snprintf(buf, sizeof buf, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        *ret = json_string(buf);
        return 0;
    }
    if (json_is_real(v)) {
        snprintf(buf, sizeof buf, "%.17g", json_real_value(v));
        *ret = json_string(buf);
        return 0;
    }
    return param_error(c, "must be a string");
}

static int coerce_enum(const struct param_check *c, json_t *v, json_t **ret)
{
    const char *const *e;

    if (json_is_string(v) && !has_nul(v)) {
        for (e = c->param->enum_values; e && *e; e++) {
            if (strcasecmp(*e, json_string_value(v)) == 0) {
                *ret = json_string(*e);
                return 0;
            }
        }
    }
    return param_error(c, "is not one of the accepted words (see system.catalogue)");
}

static int coerce_code_string(const struct param_check *c, json_t *v, json_t **ret)
{
    if (!json_is_string(v)) {
        return param_error(c, "must be a string");
    }
    if (has_nul(v)) {
        return param_error(c, "must not contain NUL bytes");
    }
    *ret = json_incref(v);
    return 0;
}

/* API.md: "one address, a comma-separated list or an array" of them. */
static int coerce_addresses(const struct param_check *c, json_t *v, json_t **ret)
{
    json_t *item;
    size_t i;

    if (!json_is_array(v)) {
        return coerce_code_string(c, v, ret);
    }
    json_array_foreach(v, i, item)
    {
        if (!json_is_string(item) || has_nul(item)) {
            return param_error(c, "must be an address, a list of them or an array of strings");
        }
    }
    *ret = json_incref(v);
    return 0;
}

static int coerce_path(const struct param_check *c, json_t *v, json_t **ret)
{
    int r = coerce_code_string(c, v, ret);

    if (r < 0) {
        return r;
    }
    if (json_string_value(v)[0] != '/') {
        json_decref(*ret);
        return param_error(
                c, "must be an absolute path (the Perl client makes relative paths absolute)");
    }
    return 0;
}

static int coerce_handle(const struct param_check *c, json_t *v, json_t **ret)
{
    if (!json_is_string(v) || has_nul(v) || json_string_length(v) == 0 ||
        json_string_length(v) > 128) {
        return param_error(c, "must be a handle id string");
    }
    *ret = json_incref(v);
    return 0;
}

static int coerce_shape(const struct param_check *c, json_t *v, json_t **ret)
{
    switch (c->param->type) {
    case CB_TYPE_OBJ:
        if (!json_is_object(v)) {
            return param_error(c, "must be an object");
        }
        break;
    case CB_TYPE_ARR:
        if (!json_is_array(v)) {
            return param_error(c, "must be an array");
        }
        break;
    case CB_TYPE_BYTES:
        if (!json_is_string(v) && !(json_is_object(v) && json_object_get(v, "$base64"))) {
            return param_error(c, "must be a string or a {\"$base64\": ...} binary value");
        }
        break;
    case CB_TYPE_MOMENT:
        if (!json_is_string(v) && !json_is_number(v)) {
            return param_error(c, "must be an ISO 8601 string or epoch seconds");
        }
        break;
    default:
        break;
    }
    *ret = json_incref(v);
    return 0;
}

static int coerce_value(const struct param_check *c, json_t *v, json_t **ret)
{
    switch (c->param->type) {
    case CB_TYPE_INT:
        return coerce_int(c, v, ret);
    case CB_TYPE_NUM:
        return coerce_num(c, v, ret);
    case CB_TYPE_BOOL:
        return coerce_bool(c, v, ret);
    case CB_TYPE_TEXT:
    case CB_TYPE_SECRET:
        return coerce_text(c, v, ret);
    case CB_TYPE_ENUM:
        return coerce_enum(c, v, ret);
    case CB_TYPE_PATH:
        return coerce_path(c, v, ret);
    case CB_TYPE_HANDLE:
        return coerce_handle(c, v, ret);
    case CB_TYPE_EMAIL:
        return coerce_addresses(c, v, ret);
    case CB_TYPE_SQL:
    case CB_TYPE_XPATH:
    case CB_TYPE_REGEX:
    case CB_TYPE_MARKUP:
    case CB_TYPE_CONFIG:
    case CB_TYPE_DSN:
    case CB_TYPE_URL:
    case CB_TYPE_HOST:
    case CB_TYPE_RPATH:
        return coerce_code_string(c, v, ret);
    default:
        return coerce_shape(c, v, ret);
    }
}

static const struct cb_param *find_param(const struct cb_function *f, const char *name)
{
    for (size_t i = 0; i < f->n_params; i++) {
        const struct cb_param *p = &f->params[i];

        if (strcmp(p->name, name) == 0) {
            return p;
        }
        for (const char *const *a = p->aliases; a && *a; a++) {
            if (strcmp(*a, name) == 0) {
                return p;
            }
        }
    }
    return NULL;
}

static int take_given(const struct cb_function *f, json_t *params, json_t *out, struct cb_error *err)
{
    const char *key;
    json_t *v;

    json_object_foreach(params, key, v)
    {
        struct param_check c = { .function = f, .err = err };
        json_t *coerced = NULL;
        int r;

        c.param = find_param(f, key);
        if (!c.param) {
            return cb_error_set(err, CB_E_INVALID_PARAM, "unknown parameter '%s'", key);
        }
        if (json_object_get(out, c.param->name)) {
            return cb_error_set(err, CB_E_INVALID_PARAM,
                                "parameter '%s' is given twice (under its name and an alias)",
                                c.param->name);
        }
        if (json_is_null(v) && !c.param->required) {
            continue; /* API.md 1.1: null means "not given" */
        }

        r = coerce_value(&c, v, &coerced);
        if (r < 0) {
            return r;
        }
        json_object_set_new(out, c.param->name, coerced);
    }
    return 0;
}

static int fill_defaults(const struct cb_function *f, json_t *out, struct cb_error *err)
{
    for (size_t i = 0; i < f->n_params; i++) {
        const struct cb_param *p = &f->params[i];
        json_t *def;

        if (json_object_get(out, p->name)) {
            continue;
        }
        if (p->required) {
            return cb_error_set(err, CB_E_INVALID_PARAM, "missing required parameter '%s'",
                                p->name);
        }
        if (!p->default_json) {
            continue;
        }
        def = json_loads(p->default_json, JSON_DECODE_ANY, NULL);
        if (!def) {
            return cb_error_set(err, CB_E_INTERNAL, "catalogue default of '%s' does not parse",
                                p->name);
        }
        json_object_set_new(out, p->name, def);
    }
    return 0;
}

int cb_catalogue_check_params(const struct cb_function *function,
                              json_t *params,
                              json_t **ret_params,
                              struct cb_error *reterr)
{
    json_t *out;
    int r;

    if (function->open_params) {
        *ret_params = json_incref(params);
        return 0;
    }

    out = json_object();
    r = take_given(function, params, out, reterr);
    if (r >= 0) {
        r = fill_defaults(function, out, reterr);
    }
    if (r < 0) {
        json_decref(out);
        return r;
    }

    *ret_params = out;
    return 0;
}
