/* SPDX-License-Identifier: MIT */
/*
 * A fast parser for well-formed JSON, in front of jansson's: every request is parsed on the
 * router's hot path, where jansson's own lexer costs several microseconds. It builds the same
 * jansson values, and at the first thing it is not sure about (any error, a duplicate key,
 * NUL in a key, deep nesting, a number at the edge of its range) it gives up, so that jansson
 * parses the text again and gives its own answer, error messages included.
 */
#include "common/cb-json-internal.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define FAST_MAX_DEPTH 128
#define KEY_STACK      256

struct fast {
    const unsigned char *p;
    const unsigned char *end;
    unsigned depth;
};

static json_t *parse_value(struct fast *f);

static void skip_space(struct fast *f)
{
    while (f->p < f->end && (*f->p == ' ' || *f->p == '\n' || *f->p == '\r' || *f->p == '\t')) {
        f->p++;
    }
}

/* One UTF-8 sequence starting at p; returns its length, or 0 when invalid (RFC 3629). */
static size_t utf8_length(const unsigned char *p, const unsigned char *end)
{
    unsigned c = p[0];
    size_t n;
    uint32_t cp;

    if (c < 0xC2 || c > 0xF4) {
        return 0;
    }
    n = c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    if ((size_t)(end - p) < n) {
        return 0;
    }
    cp = c & (0x3F >> (n - 1));
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xC0) != 0x80) {
            return 0;
        }
        cp = cp << 6 | (p[i] & 0x3F);
    }
    /* Overlong forms, surrogates and code points past U+10FFFF are invalid. */
    if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF)) {
        return 0;
    }
    return n;
}

static int hex4(const unsigned char *p, uint32_t *ret)
{
    uint32_t v = 0;

    for (int i = 0; i < 4; i++) {
        unsigned c = p[i];

        v <<= 4;
        if (c >= '0' && c <= '9') {
            v |= c - '0';
        } else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f') {
            v |= (c | 0x20) - 'a' + 10;
        } else {
            return -1;
        }
    }
    *ret = v;
    return 0;
}

static size_t put_utf8(char *out, uint32_t cp)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | cp >> 6);
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | cp >> 12);
        out[1] = (char)(0x80 | (cp >> 6 & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | cp >> 18);
    out[1] = (char)(0x80 | (cp >> 12 & 0x3F));
    out[2] = (char)(0x80 | (cp >> 6 & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* A \u escape, with its surrogate pair; unpaired surrogates make jansson refuse: give up. */
static int unicode_escape(struct fast *f, char *out, size_t *ret_n)
{
    uint32_t cp, low;

    if (f->end - f->p < 5 || hex4(f->p + 1, &cp) < 0) {
        return -1;
    }
    f->p += 5;
    if (cp >= 0xDC00 && cp <= 0xDFFF) {
        return -1;
    }
    if (cp >= 0xD800 && cp <= 0xDBFF) {
        if (f->end - f->p < 6 || f->p[0] != '\\' || f->p[1] != 'u' || hex4(f->p + 2, &low) < 0 ||
            low < 0xDC00 || low > 0xDFFF) {
            return -1;
        }
        f->p += 6;
        cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
    }
    *ret_n = put_utf8(out, cp);
    return 0;
}

static int simple_escape(unsigned c, char *ret)
{
    static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
    const char *hit = c ? strchr(from, (int)c) : NULL;

    if (!hit) {
        return -1;
    }
    *ret = to[hit - from];
    return 0;
}

/* Decodes escapes of a string whose raw span is [start, f->p) into a new buffer. */
static char *decode_escaped(const unsigned char *start, size_t raw, size_t *ret_len)
{
    struct fast g = { .p = start, .end = start + raw };
    char *out = malloc(raw + 1);
    size_t n = 0, k;

    if (!out) {
        return NULL;
    }
    while (g.p < g.end) {
        if (*g.p != '\\') {
            out[n++] = (char)*g.p++;
            continue;
        }
        g.p++;
        if (*g.p == 'u') {
            if (unicode_escape(&g, out + n, &k) < 0) {
                free(out);
                return NULL;
            }
            n += k;
            continue;
        }
        if (simple_escape(*g.p, &out[n]) < 0) {
            free(out);
            return NULL;
        }
        n++;
        g.p++;
    }
    *ret_len = n;
    return out;
}

/* Scans a string after its opening quote. Sets the raw span and whether escapes occur. */
static int scan_string(struct fast *f,
                       const unsigned char **ret_start,
                       size_t *ret_raw,
                       bool *ret_escaped)
{
    const unsigned char *start = f->p;
    bool escaped = false;

    while (f->p < f->end) {
        unsigned c = *f->p;

        if (c == '"') {
            *ret_start = start;
            *ret_raw = (size_t)(f->p - start);
            *ret_escaped = escaped;
            f->p++;
            return 0;
        }
        if (c < 0x20) {
            return -1;
        }
        if (c == '\\') {
            if (f->end - f->p < 2) {
                return -1;
            }
            escaped = true;
            f->p += f->p[1] == 'u' ? 1 : 2; /* \u's digits are checked when decoding */
            continue;
        }
        if (c < 0x80) {
            f->p++;
            continue;
        }
        size_t n = utf8_length(f->p, f->end);

        if (n == 0) {
            return -1;
        }
        f->p += n;
    }
    return -1;
}

static json_t *parse_string(struct fast *f)
{
    const unsigned char *start;
    size_t raw, len;
    bool escaped;
    char *decoded;
    json_t *v;

    if (scan_string(f, &start, &raw, &escaped) < 0) {
        return NULL;
    }
    if (!escaped) {
        return json_stringn_nocheck((const char *)start, raw);
    }
    decoded = decode_escaped(start, raw, &len);
    if (!decoded) {
        return NULL;
    }
    v = json_stringn_nocheck(decoded, len);
    free(decoded);
    return v;
}

static bool is_digit(const struct fast *f)
{
    return f->p < f->end && *f->p >= '0' && *f->p <= '9';
}

static void skip_digits(struct fast *f)
{
    while (is_digit(f)) {
        f->p++;
    }
}

/* JSON's number grammar, strictly: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
static int scan_number(struct fast *f, bool *ret_real)
{
    bool real = false;

    if (f->p < f->end && *f->p == '-') {
        f->p++;
    }
    if (!is_digit(f)) {
        return -1;
    }
    if (*f->p == '0') {
        f->p++;
    } else {
        skip_digits(f);
    }
    if (f->p < f->end && *f->p == '.') {
        f->p++;
        if (!is_digit(f)) {
            return -1;
        }
        skip_digits(f);
        real = true;
    }
    if (f->p < f->end && (*f->p == 'e' || *f->p == 'E')) {
        f->p++;
        if (f->p < f->end && (*f->p == '+' || *f->p == '-')) {
            f->p++;
        }
        if (!is_digit(f)) {
            return -1;
        }
        skip_digits(f);
        real = true;
    }
    *ret_real = real;
    return 0;
}

/* Numbers as jansson reads them; one at the edge of its range is left to jansson. */
static json_t *parse_number(struct fast *f)
{
    const unsigned char *start = f->p;
    char buf[64], *end;
    bool real;
    size_t n;
    double d;

    if (scan_number(f, &real) < 0) {
        return NULL;
    }
    n = (size_t)(f->p - start);
    if (n >= sizeof buf || (!real && n >= 19)) {
        return NULL;
    }
    memcpy(buf, start, n);
    buf[n] = '\0';
    if (!real) {
        return json_integer(strtoll(buf, NULL, 10));
    }
    errno = 0;
    d = strtod(buf, &end);
    if (errno || *end) {
        return NULL;
    }
    return json_real(d);
}

static json_t *parse_word(struct fast *f, const char *word, json_t *value)
{
    size_t n = strlen(word);

    if ((size_t)(f->end - f->p) < n || memcmp(f->p, word, n) != 0) {
        return NULL;
    }
    f->p += n;
    return value;
}

static int parse_member(struct fast *f, json_t *o)
{
    const unsigned char *start;
    size_t raw, len;
    bool escaped;
    char *key;
    json_t *v;

    if (f->p >= f->end || *f->p != '"') {
        return -1;
    }
    f->p++;
    if (scan_string(f, &start, &raw, &escaped) < 0) {
        return -1;
    }
    key = escaped ? decode_escaped(start, raw, &len) : (char *)start;
    len = escaped ? len : raw;
    if (!key) {
        return -1;
    }
    skip_space(f);
    /* NUL in a key, or a key seen twice: jansson refuses them with its own words. */
    if (memchr(key, '\0', len) || json_object_getn(o, key, len) || f->p >= f->end || *f->p != ':') {
        if (escaped) {
            free(key);
        }
        return -1;
    }
    f->p++;
    v = parse_value(f);
    if (!v || json_object_setn_new_nocheck(o, key, len, v) < 0) {
        if (escaped) {
            free(key);
        }
        return -1;
    }
    if (escaped) {
        free(key);
    }
    return 0;
}

static json_t *parse_object(struct fast *f)
{
    json_t *o = json_object();

    skip_space(f);
    if (f->p < f->end && *f->p == '}') {
        f->p++;
        return o;
    }
    for (;;) {
        skip_space(f);
        if (parse_member(f, o) < 0) {
            break;
        }
        skip_space(f);
        if (f->p < f->end && *f->p == ',') {
            f->p++;
            continue;
        }
        if (f->p < f->end && *f->p == '}') {
            f->p++;
            return o;
        }
        break;
    }
    json_decref(o);
    return NULL;
}

static json_t *parse_array(struct fast *f)
{
    json_t *a = json_array(), *v;

    skip_space(f);
    if (f->p < f->end && *f->p == ']') {
        f->p++;
        return a;
    }
    for (;;) {
        v = parse_value(f);
        if (!v || json_array_append_new(a, v) < 0) {
            break;
        }
        skip_space(f);
        if (f->p < f->end && *f->p == ',') {
            f->p++;
            continue;
        }
        if (f->p < f->end && *f->p == ']') {
            f->p++;
            return a;
        }
        break;
    }
    json_decref(a);
    return NULL;
}

static json_t *parse_value(struct fast *f)
{
    json_t *v = NULL;

    skip_space(f);
    if (f->p >= f->end || f->depth >= FAST_MAX_DEPTH) {
        return NULL;
    }
    switch (*f->p) {
    case '{':
        f->p++;
        f->depth++;
        v = parse_object(f);
        f->depth--;
        return v;
    case '[':
        f->p++;
        f->depth++;
        v = parse_array(f);
        f->depth--;
        return v;
    case '"':
        f->p++;
        return parse_string(f);
    case 't':
        return parse_word(f, "true", json_true());
    case 'f':
        return parse_word(f, "false", json_false());
    case 'n':
        return parse_word(f, "null", json_null());
    default:
        return parse_number(f);
    }
}

json_t *cb_json_parse_fast(const char *buf, size_t len)
{
    struct fast f = { .p = (const unsigned char *)buf, .end = (const unsigned char *)buf + len };
    json_t *v = parse_value(&f);

    if (!v) {
        return NULL;
    }
    skip_space(&f);
    if (f.p != f.end) {
        json_decref(v);
        return NULL; /* trailing bytes: jansson says so */
    }
    return v;
}
