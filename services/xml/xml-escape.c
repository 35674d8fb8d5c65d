/* SPDX-License-Identifier: MIT */
/* xml_helper.escape_xml and unescape_xml, and the escaping XMLout shares with them. */
#include "services/xml/xml-internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cb-json.h"

/* The code point of the UTF-8 sequence at s (valid UTF-8: jansson checked it), and its length. */
static unsigned decode_utf8(const unsigned char *s, size_t *ret_len)
{
    if (s[0] < 0x80) {
        *ret_len = 1;
        return s[0];
    }
    if (s[0] < 0xe0) {
        *ret_len = 2;
        return ((s[0] & 0x1fu) << 6) | (s[1] & 0x3fu);
    }
    if (s[0] < 0xf0) {
        *ret_len = 3;
        return ((s[0] & 0x0fu) << 12) | ((s[1] & 0x3fu) << 6) | (s[2] & 0x3fu);
    }
    *ret_len = 4;
    return ((s[0] & 0x07u) << 18) | ((s[1] & 0x3fu) << 12) | ((s[2] & 0x3fu) << 6) | (s[3] & 0x3fu);
}

int xml_escape_append(struct cb_buf *b, const char *s, size_t len, int numeric)
{
    size_t i = 0, run = 0;

    while (i < len) {
        const char *rep = NULL;
        char num[16];
        size_t n = 1;
        unsigned cp;

        switch (s[i]) {
        case '&':
            rep = "&amp;";
            break;
        case '<':
            rep = "&lt;";
            break;
        case '>':
            rep = "&gt;";
            break;
        case '"':
            rep = "&quot;";
            break;
        default:
            if (numeric && (unsigned char)s[i] >= 0x80) {
                cp = decode_utf8((const unsigned char *)s + i, &n);
                /* NumericEscape 2: everything past ASCII; 1: past Latin-1. */
                if (cp > (numeric == 2 ? 0x7fu : 0xffu)) {
                    snprintf(num, sizeof num, "&#%u;", cp);
                    rep = num;
                }
            }
            break;
        }
        if (!rep) {
            i += n;
            continue;
        }
        if ((i > run && cb_buf_append(b, s + run, i - run) < 0) ||
            cb_buf_append(b, rep, strlen(rep)) < 0) {
            return -1;
        }
        i += n;
        run = i;
    }
    return i > run ? cb_buf_append(b, s + run, i - run) : 0;
}

static int value_text(struct cb_call *call, const char **ret, char buf[64], struct cb_error *err)
{
    json_t *v = json_object_get(call->params, "value");

    *ret = v ? xml_perl_string(v, buf) : "";
    if (!*ret) {
        return cb_error_set(err, CB_E_INVALID_PARAM,
                            "parameter 'value' must be a string or a number, not %s",
                            json_is_array(v) ? "an array" : "an object");
    }
    return 0;
}

int xml_escape(struct cb_call *call, json_t **ret, struct cb_error *err)
{
    struct cb_buf b = { 0 };
    const char *s;
    char buf[64];
    int r = value_text(call, &s, buf, err);

    if (r < 0) {
        return r;
    }
    if (xml_escape_append(&b, s, strlen(s), 0) < 0 || cb_buf_append(&b, "", 1) < 0) {
        cb_buf_free(&b);
        return cb_error_set(err, CB_E_INTERNAL, "out of memory");
    }
    *ret = json_string(b.data ? b.data : "");
    cb_buf_free(&b);
    return *ret ? 0 : cb_error_set(err, CB_E_INTERNAL, "out of memory");
}

static size_t encode_utf8(unsigned cp, char *out)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xc0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xe0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        out[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    out[0] = (char)(0xf0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
    out[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

/* The entity or character reference at s ("&...;"): its UTF-8 in out and the bytes it took,
 * or 0 when it is none of them (it is then kept as written). */
static size_t decode_reference(const char *s, char out[4], size_t *ret_out)
{
    static const struct {
        const char *name;
        char c;
    } named[] = { { "lt;", '<' },
                  { "gt;", '>' },
                  { "amp;", '&' },
                  { "quot;", '"' },
                  { "apos;", '\'' } };
    unsigned long cp;
    char *end;

    for (size_t i = 0; i < sizeof named / sizeof named[0]; i++) {
        size_t n = strlen(named[i].name);

        if (strncmp(s + 1, named[i].name, n) == 0) {
            out[0] = named[i].c;
            *ret_out = 1;
            return n + 1;
        }
    }
    if (s[1] != '#') {
        return 0;
    }
    if (s[2] == 'x' || s[2] == 'X') {
        if (!strchr("0123456789abcdefABCDEF", s[3]) || !s[3]) {
            return 0;
        }
        cp = strtoul(s + 3, &end, 16);
    } else {
        if (s[2] < '0' || s[2] > '9') {
            return 0;
        }
        cp = strtoul(s + 2, &end, 10);
    }
    /* Only what XML allows as a character: no NUL, no surrogates, nothing past Unicode. */
    if (*end != ';' || cp == 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
        return 0;
    }
    *ret_out = encode_utf8((unsigned)cp, out);
    return (size_t)(end + 1 - s);
}

int xml_unescape(struct cb_call *call, json_t **ret, struct cb_error *err)
{
    struct cb_buf b = { 0 };
    const char *s, *run;
    char buf[64];
    int r = value_text(call, &s, buf, err);

    if (r < 0) {
        return r;
    }
    for (run = s; *s;) {
        char out[4];
        size_t took, n = 0;

        if (*s != '&' || !(took = decode_reference(s, out, &n))) {
            s++;
            continue;
        }
        if ((s > run && cb_buf_append(&b, run, (size_t)(s - run)) < 0) ||
            cb_buf_append(&b, out, n) < 0) {
            cb_buf_free(&b);
            return cb_error_set(err, CB_E_INTERNAL, "out of memory");
        }
        s += took;
        run = s;
    }
    if ((s > run && cb_buf_append(&b, run, (size_t)(s - run)) < 0) ||
        cb_buf_append(&b, "", 1) < 0) {
        cb_buf_free(&b);
        return cb_error_set(err, CB_E_INTERNAL, "out of memory");
    }
    *ret = json_string(b.data);
    cb_buf_free(&b);
    return *ret ? 0 : cb_error_set(err, CB_E_INTERNAL, "out of memory");
}
