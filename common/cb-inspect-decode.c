/* SPDX-License-Identifier: MIT */
/*
 * Decoding before lexing: %XX and %uXXXX, HTML entities, \xHH and \uXXXX, and the Unicode
 * forms that an interpreter or a best-fit conversion may turn into ASCII punctuation
 * (fullwidth and small forms, overlong UTF-8 from percent escapes, division slash).
 * Every encoding is longer than what it stands for, so one round never grows the text and
 * can run in place.
 */
#include <string.h>

#include "common/cb-inspect-internal.h"
#include "common/cb-macro.h"

struct named_entity {
    const char *name;
    char c;
};

/* The entities that spell the characters the detectors care about. */
static const struct named_entity named_entities[] = {
    { "lt", '<' },     { "gt", '>' },     { "quot", '"' },  { "apos", '\'' },    { "amp", '&' },
    { "sol", '/' },    { "bsol", '\\' },  { "colon", ':' }, { "semi", ';' },     { "lpar", '(' },
    { "rpar", ')' },   { "equals", '=' }, { "num", '#' },   { "period", '.' },   { "comma", ',' },
    { "excl", '!' },   { "quest", '?' },  { "Tab", '\t' },  { "NewLine", '\n' }, { "grave", '`' },
    { "lsqb", '[' },   { "rsqb", ']' },   { "lcub", '{' },  { "rcub", '}' },     { "dollar", '$' },
    { "percnt", '%' }, { "plus", '+' },   { "ast", '*' },   { "verbar", '|' },   { "vert", '|' },
    { "LT", '<' },     { "GT", '>' },     { "AMP", '&' },   { "QUOT", '"' },     { "hyphen", '-' },
    { "dash", '-' },
};

/* The ASCII character a code point is folded to, or 0 when it is left alone. */
static unsigned char lookalike(uint32_t cp)
{
    if (cp >= 0xFF01 && cp <= 0xFF5E) {
        return (unsigned char)(cp - 0xFEE0); /* fullwidth forms, NFKC */
    }
    switch (cp) {
    case 0xFE54:
        return ';';
    case 0xFE59:
        return '(';
    case 0xFE5A:
        return ')';
    case 0xFE5F:
        return '#';
    case 0xFE60:
        return '&';
    case 0xFE62:
        return '+';
    case 0xFE63:
        return '-';
    case 0xFE64:
        return '<';
    case 0xFE65:
        return '>';
    case 0xFE66:
        return '=';
    case 0xFE68:
        return '\\';
    case 0xFE69:
        return '$';
    case 0xFE6A:
        return '%';
    case 0xFE6B:
        return '@';
    case 0x2215: /* division slash */
        return '/';
    case 0x2216: /* set minus, used for backslash */
        return '\\';
    default:
        return 0;
    }
}

/*
 * Reads a UTF-8 sequence of up to 3 bytes at b[0..n) that a decoder might turn into ASCII:
 * an overlong form (C0 AF is '/') or a lookalike. Returns the bytes used, 0 for none.
 */
static size_t utf8_to_ascii(const unsigned char *b, size_t n, unsigned char *ret)
{
    uint32_t cp;

    if (n >= 2 && (b[0] == 0xC0 || b[0] == 0xC1) && (b[1] & 0xC0) == 0x80) {
        *ret = (unsigned char)(((b[0] & 0x1F) << 6) | (b[1] & 0x3F));
        return 2;
    }
    if (n < 3 || (b[0] & 0xF0) != 0xE0 || (b[1] & 0xC0) != 0x80 || (b[2] & 0xC0) != 0x80) {
        return 0;
    }
    cp = ((uint32_t)(b[0] & 0x0F) << 12) | ((uint32_t)(b[1] & 0x3F) << 6) | (b[2] & 0x3F);
    if (cp < 0x80) {
        *ret = (unsigned char)cp; /* E0 80 AF: overlong '/' */
        return 3;
    }
    *ret = lookalike(cp);
    return *ret ? 3 : 0;
}

/* Writes cp as UTF-8 (or its ASCII fold) at out; returns the bytes written, 0 if invalid. */
static size_t put_code_point(uint32_t cp, char *out)
{
    unsigned char a = cp < 0x80 ? (unsigned char)cp : lookalike(cp);

    if (cp < 0x80 || a) {
        out[0] = (char)a;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if ((cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) {
        return 0;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* n hex digits at s[0..) as a number, or -1. */
static long hex_n(const char *s, size_t avail, size_t n)
{
    long v = 0;

    if (avail < n) {
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        int d = cb_inspect_hex((unsigned char)s[i]);

        if (d < 0) {
            return -1;
        }
        v = v * 16 + d;
    }
    return v;
}

/* %XX (a run of them for a multi-byte sequence) or %uXXXX at s[0]; 0 when not an escape. */
static size_t decode_percent(const char *s, size_t avail, char *out, size_t *ret_out)
{
    unsigned char bytes[3];
    size_t nbytes = 0;
    unsigned char a;
    long v;

    if (avail >= 6 && (s[1] == 'u' || s[1] == 'U') && (v = hex_n(s + 2, avail - 2, 4)) >= 0) {
        *ret_out = put_code_point((uint32_t)v, out);
        return *ret_out ? 6 : 0;
    }
    v = hex_n(s + 1, avail - 1, 2);
    if (v < 0) {
        return 0;
    }
    if (v < 0x80) {
        out[0] = (char)v;
        *ret_out = 1;
        return 3;
    }
    /* Non-ASCII bytes are decoded only when the sequence folds to ASCII; other UTF-8 text
     * stays escaped, which keeps the decoded text valid. */
    while (nbytes < 3 && avail >= nbytes * 3 + 3 && s[nbytes * 3] == '%' &&
           (v = hex_n(s + nbytes * 3 + 1, avail - nbytes * 3 - 1, 2)) >= 0) {
        bytes[nbytes++] = (unsigned char)v;
    }
    nbytes = utf8_to_ascii(bytes, nbytes, &a);
    if (nbytes == 0) {
        return 0;
    }
    out[0] = (char)a;
    *ret_out = 1;
    return nbytes * 3;
}

/* &#NN; &#xHH; &name; at s[0]; 0 when not an entity. */
static size_t decode_entity(const char *s, size_t avail, char *out, size_t *ret_out)
{
    if (avail > 2 && s[1] == '#') {
        bool hex = avail > 3 && (s[2] == 'x' || s[2] == 'X');
        size_t start = hex ? 3 : 2, i = start;
        uint32_t cp = 0;

        for (; i < avail && i - start < 8; i++) {
            int d = hex ? cb_inspect_hex((unsigned char)s[i])
                        : (cb_inspect_is_digit((unsigned char)s[i]) ? s[i] - '0' : -1);

            if (d < 0) {
                break;
            }
            cp = cp * (hex ? 16 : 10) + (uint32_t)d;
        }
        if (i == start) {
            return 0;
        }
        if (i < avail && s[i] == ';') {
            i++;
        }
        *ret_out = put_code_point(cp, out);
        return *ret_out ? i : 0;
    }

    for (size_t k = 0; k < CB_ELEMENTSOF(named_entities); k++) {
        const char *name = named_entities[k].name;
        size_t n = strlen(name);

        if (avail < 1 + n || memcmp(s + 1, name, n) != 0) {
            continue;
        }
        if (avail > 1 + n && s[1 + n] == ';') {
            n++;
        } else if (!strchr("lgaqLGAQ", name[0]) || n > 4 ||
                   (avail > 1 + n && cb_inspect_is_alnum((unsigned char)s[1 + n]))) {
            continue; /* only lt, gt, amp and quot work without ';' */
        }
        out[0] = named_entities[k].c;
        *ret_out = 1;
        return 1 + n;
    }
    return 0;
}

/* \xHH (ASCII only) or \uXXXX at s[0]; 0 when not an escape. */
static size_t decode_backslash(const char *s, size_t avail, char *out, size_t *ret_out)
{
    long v;

    if (avail >= 4 && (s[1] == 'x' || s[1] == 'X') && (v = hex_n(s + 2, avail - 2, 2)) >= 0 &&
        v < 0x80) {
        out[0] = (char)v;
        *ret_out = 1;
        return 4;
    }
    if (avail >= 6 && s[1] == 'u' && (v = hex_n(s + 2, avail - 2, 4)) >= 0) {
        *ret_out = put_code_point((uint32_t)v, out);
        return *ret_out ? 6 : 0;
    }
    return 0;
}

size_t cb_inspect_decode(const char *src,
                         size_t len,
                         char *dst,
                         bool plus_is_space,
                         bool *ret_changed)
{
    size_t i = 0, o = 0;
    bool changed = false;

    while (i < len) {
        unsigned char c = (unsigned char)src[i];
        char tmp[4];
        size_t used = 0, produced = 0;
        unsigned char a = 0;

        if (c == '%') {
            used = decode_percent(src + i, len - i, tmp, &produced);
        } else if (c == '&') {
            used = decode_entity(src + i, len - i, tmp, &produced);
        } else if (c == '\\') {
            used = decode_backslash(src + i, len - i, tmp, &produced);
        } else if (c == '+' && plus_is_space) {
            tmp[0] = ' ';
            used = produced = 1;
        } else if (c >= 0xC0) {
            used = utf8_to_ascii((const unsigned char *)src + i, CB_MIN(len - i, 3), &a);
            tmp[0] = (char)a;
            produced = 1;
        }

        if (used == 0) {
            dst[o++] = src[i++];
            continue;
        }
        /* tmp first: in place, dst + o may overlap the escape just read. */
        memcpy(dst + o, tmp, produced);
        o += produced;
        i += used;
        changed = true;
    }
    *ret_changed = changed;
    return o;
}
