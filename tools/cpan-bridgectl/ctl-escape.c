/* SPDX-License-Identifier: MIT */
/*
 * cpan-bridgectl: output safety. Module names, error texts and session ids come from
 * requests, so a hostile caller chooses them; escaped, they cannot move the cursor, clear
 * the screen, retitle the terminal or reorder the text around them.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cb-buf.h"
#include "tools/cpan-bridgectl/ctl-internal.h"

/*
 * Length of the well-formed UTF-8 sequence at s (2 to 4 bytes) with its code point, or 0
 * when the bytes there are not one (overlong forms and surrogates included).
 */
static size_t utf8_sequence(const unsigned char *s, size_t left, uint32_t *ret_cp)
{
    static const uint32_t min_cp[5] = { 0, 0, 0x80, 0x800, 0x10000 };
    size_t n;
    uint32_t cp;

    if (s[0] >= 0xc2 && s[0] <= 0xdf) {
        n = 2;
        cp = s[0] & 0x1f;
    } else if (s[0] >= 0xe0 && s[0] <= 0xef) {
        n = 3;
        cp = s[0] & 0x0f;
    } else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
        n = 4;
        cp = s[0] & 0x07;
    } else {
        return 0;
    }
    if (left < n) {
        return 0;
    }

    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80) {
            return 0;
        }
        cp = (cp << 6) | (s[i] & 0x3f);
    }

    if (cp < min_cp[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
        return 0;
    }
    *ret_cp = cp;
    return n;
}

/* C1 controls act like ESC sequences on many terminals; the others reorder displayed text. */
static bool dangerous_code_point(uint32_t cp)
{
    return (cp >= 0x80 && cp <= 0x9f) || (cp >= 0x200e && cp <= 0x200f) ||
           (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0x061c;
}

static int escape_byte(struct cb_buf *out, unsigned char c)
{
    char hex[5];

    switch (c) {
    case '\n':
        return cb_buf_append(out, "\\n", 2);
    case '\t':
        return cb_buf_append(out, "\\t", 2);
    case '\r':
        return cb_buf_append(out, "\\r", 2);
    case '\\':
        return cb_buf_append(out, "\\\\", 2);
    default:
        break;
    }
    if (c >= 0x20 && c < 0x7f) {
        return cb_buf_append(out, (const char *)&c, 1);
    }
    snprintf(hex, sizeof hex, "\\x%02x", c);
    return cb_buf_append(out, hex, 4);
}

static int escape_into(struct cb_buf *out, const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    int r;

    while (i < len) {
        uint32_t cp = 0;
        size_t n = p[i] >= 0x80 ? utf8_sequence(p + i, len - i, &cp) : 0;

        if (n == 0) {
            r = escape_byte(out, p[i]);
            i++;
        } else if (dangerous_code_point(cp)) {
            char u[12];

            snprintf(u, sizeof u, "\\u%04x", (unsigned)cp);
            r = cb_buf_append(out, u, strlen(u));
            i += n;
        } else {
            r = cb_buf_append(out, s + i, n);
            i += n;
        }
        if (r < 0) {
            return r;
        }
    }
    return 0;
}

char *ctl_text_finish(struct cb_buf *out, int r)
{
    if (r < 0 || cb_buf_append(out, "", 1) < 0) {
        cb_buf_free(out);
        return NULL;
    }
    /* Nothing was consumed, so the storage is the whole NUL-terminated text. */
    return out->data;
}

char *ctl_escape(const char *s, size_t len)
{
    struct cb_buf out = { 0 };

    return ctl_text_finish(&out, escape_into(&out, s ? s : "", s ? len : 0));
}

char *ctl_value_text(const json_t *v)
{
    char buf[CTL_FMT_LEN];

    if (json_is_string(v)) {
        return ctl_escape(json_string_value(v), json_string_length(v));
    }
    if (json_is_integer(v)) {
        return strdup(ctl_fmt_int(v, buf));
    }
    if (json_is_real(v)) {
        return strdup(ctl_fmt_num(v, 3, buf));
    }
    if (json_is_boolean(v)) {
        return strdup(json_is_true(v) ? "yes" : "no");
    }
    if (json_is_array(v) || json_is_object(v)) {
        CB_CLEANUP(cb_freep) char *dump = json_dumps(v, JSON_COMPACT | JSON_ENSURE_ASCII);

        return dump ? ctl_escape(dump, strlen(dump)) : NULL;
    }
    return strdup("-");
}

void ctl_print_escaped(FILE *f, const char *s, size_t len)
{
    CB_CLEANUP(cb_freep) char *text = ctl_escape(s, len);

    fputs(text ? text : "?", f);
}

void ctl_print_value(FILE *f, const json_t *v)
{
    CB_CLEANUP(cb_freep) char *text = ctl_value_text(v);

    fputs(text ? text : "?", f);
}
