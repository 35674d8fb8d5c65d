/* SPDX-License-Identifier: MIT */
/* Walking a call's parameters for content inspection, and turning a finding into E_SECURITY. */
#include "common/cb-screen.h"

#include <stdio.h>
#include <string.h>

/* Every string at any depth of an open parameter's value; numbers and booleans are no text. */
static int screen_value(json_t *v, struct cb_inspect_finding *ret)
{
    const char *key;
    json_t *child;
    size_t i;
    int r;

    switch (json_typeof(v)) {
    case JSON_STRING:
        return cb_inspect_text(json_string_value(v), json_string_length(v), ret);
    case JSON_ARRAY:
        json_array_foreach(v, i, child)
        {
            r = screen_value(child, ret);
            if (r != 0) {
                return r;
            }
        }
        return 0;
    case JSON_OBJECT:
        json_object_foreach(v, key, child)
        {
            r = screen_value(child, ret);
            if (r != 0) {
                return r;
            }
        }
        return 0;
    default:
        return 0;
    }
}

static bool screened(const struct cb_function *f, const char *name)
{
    if (f->open_params) {
        return true;
    }
    for (size_t i = 0; i < f->n_params; i++) {
        if (strcmp(f->params[i].name, name) == 0) {
            return f->params[i].type == CB_TYPE_TEXT;
        }
    }
    return false;
}

int cb_screen_params(const struct cb_function *function,
                     json_t *params,
                     struct cb_screen_finding *ret,
                     struct cb_error *reterr)
{
    struct cb_screen_finding found = { .finding = { .kind = CB_INSPECT_CLEAN } };
    const char *key;
    json_t *v;
    int r;

    json_object_foreach(params, key, v)
    {
        if (!screened(function, key)) {
            continue;
        }
        r = screen_value(v, &found.finding);
        if (r < 0) {
            return cb_error_set(reterr, CB_E_INTERNAL, "parameter '%s' could not be inspected",
                                key);
        }
        if (r == 0) {
            continue;
        }
        snprintf(found.parameter, sizeof found.parameter, "%s", key);
        if (ret) {
            *ret = found;
        }
        return cb_error_set(reterr, CB_E_SECURITY, "parameter '%s' refused: %s (%s)", key,
                            cb_inspect_kind_to_string(found.finding.kind),
                            found.finding.reason ? found.finding.reason : "suspicious construct");
    }
    return 0;
}
