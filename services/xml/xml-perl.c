/* SPDX-License-Identifier: MIT */
/* JSON values seen the way XML::Simple sees the Perl values the client sent. */
#include "services/xml/xml-internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

bool xml_is_scalar(const json_t *v)
{
    return !json_is_array(v) && !json_is_object(v);
}

const char *xml_perl_string(const json_t *v, char buf[64])
{
    double d;

    switch (json_typeof(v)) {
    case JSON_STRING:
        return json_string_value(v);
    case JSON_INTEGER:
        snprintf(buf, 64, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return buf;
    case JSON_REAL:
        /* Perl prints a number with 15 significant digits. */
        d = json_real_value(v);
        if (isnan(d)) {
            return "NaN";
        }
        if (isinf(d)) {
            return d > 0 ? "Inf" : "-Inf";
        }
        snprintf(buf, 64, "%.15g", d);
        return buf;
    case JSON_TRUE:
        return "1";
    case JSON_FALSE:
        return "0";
    case JSON_NULL:
        return "";
    default:
        return NULL;
    }
}

bool xml_perl_true(const json_t *v)
{
    const char *s;

    if (!v || json_is_null(v) || json_is_false(v)) {
        return false;
    }
    if (json_is_integer(v)) {
        return json_integer_value(v) != 0;
    }
    if (json_is_real(v)) {
        return json_real_value(v) != 0.0;
    }
    if (!json_is_string(v)) {
        return true; /* a reference */
    }
    s = json_string_value(v);
    return !(s[0] == '\0' || strcmp(s, "0") == 0);
}
