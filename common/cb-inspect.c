/* SPDX-License-Identifier: MIT */
/* Content inspection of free text: decoding, then the detectors of each kind in turn. */
#include "common/cb-inspect.h"

#include <stdlib.h>
#include <string.h>

#include "common/cb-inspect-internal.h"
#include "common/cb-macro.h"

/* Values up to this size are decoded on the stack; longer ones with escapes use the heap. */
#define DECODE_STACK_SIZE 4096
/* %2527 is two rounds; a third catches triple encoding. */
#define DECODE_ROUNDS 3

static const char *const kind_names[_CB_INSPECT_MAX] = {
    [CB_INSPECT_CLEAN] = "clean",
    [CB_INSPECT_SQL_INJECTION] = "sql_injection",
    [CB_INSPECT_XSS] = "xss",
    [CB_INSPECT_PATH_TRAVERSAL] = "path_traversal",
    [CB_INSPECT_COMMAND_INJECTION] = "command_injection",
    [CB_INSPECT_TEMPLATE_INJECTION] = "template_injection",
};

const char *cb_inspect_kind_to_string(enum cb_inspect_kind kind)
{
    if (kind < 0 || kind >= _CB_INSPECT_MAX) {
        return NULL;
    }
    return kind_names[kind];
}

#define M(c, bit) [(unsigned char)(c)] = CB_INSPECT_HAS_##bit

static const uint32_t byte_class[256] = {
    ['a' ... 'z'] = CB_INSPECT_HAS_ALPHA,
    ['A' ... 'Z'] = CB_INSPECT_HAS_ALPHA,
    ['0' ... '9'] = CB_INSPECT_HAS_DIGIT,
    M('\'', SQUOTE),
    M('"', DQUOTE),
    M('<', LT),
    M('>', GT),
    M(';', SEMI),
    M('|', PIPE),
    M('&', AMP),
    M('`', BTICK),
    M('$', DOLLAR),
    M('{', BRACE),
    M('#', HASH),
    M('.', DOT),
    M('/', SLASH),
    M('\\', BSLASH),
    M('%', PCT),
    M(':', COLON),
    M('=', EQ),
    M('(', PAREN),
    M('\n', NEWLINE),
    M('\r', NEWLINE),
    M('-', DASH),
    M(' ', SPACE),
    M('+', PLUS),
    M('@', AT),
    M('*', STAR),
    M(',', COMMA),
    M(0xC0, HIGH),
    M(0xC1, HIGH),
    M(0xE0, HIGH),
    M(0xE2, HIGH),
    M(0xEF, HIGH),
};

#undef M

uint32_t cb_inspect_scan_mask(const char *s, size_t len)
{
    uint32_t mask = 0;

    for (size_t i = 0; i < len; i++) {
        mask |= byte_class[(unsigned char)s[i]];
    }
    return mask;
}

static bool run_detectors(const char *s, size_t len, uint32_t mask, struct cb_inspect_finding *f)
{
    const struct cb_inspect_input in = { .s = s, .len = len, .mask = mask };

    return cb_inspect_sql(&in, f) || cb_inspect_html(&in, f) || cb_inspect_template(&in, f) ||
           cb_inspect_path(&in, f) || cb_inspect_shell(&in, f);
}

/* A value without blanks that has '+' may be form-encoded: "1+OR+1=1". */
static bool plus_is_space(uint32_t mask)
{
    return (mask & (CB_INSPECT_HAS_PCT | CB_INSPECT_HAS_PLUS)) && !(mask & CB_INSPECT_HAS_SPACE);
}

static bool needs_decoding(uint32_t mask)
{
    return (mask & (CB_INSPECT_HAS_PCT | CB_INSPECT_HAS_AMP | CB_INSPECT_HAS_BSLASH |
                    CB_INSPECT_HAS_HIGH)) ||
           plus_is_space(mask);
}

/* Decodes into buf until nothing changes; returns the decoded length, or 0 when the first
 * round changed nothing (the raw inspection already covered the value). */
static size_t decode_all(const char *s, size_t len, uint32_t mask, char *buf)
{
    bool changed = false;
    size_t n;

    n = cb_inspect_decode(s, len, buf, plus_is_space(mask), &changed);
    if (!changed) {
        return 0;
    }
    for (int round = 1; round < DECODE_ROUNDS; round++) {
        changed = false;
        n = cb_inspect_decode(buf, n, buf, false, &changed);
        if (!changed) {
            break;
        }
    }
    return n;
}

int cb_inspect_text(const char *s, size_t len, struct cb_inspect_finding *ret)
{
    struct cb_inspect_finding f = { .kind = CB_INSPECT_CLEAN };
    char stack_buf[DECODE_STACK_SIZE];
    CB_CLEANUP(cb_freep) char *heap_buf = NULL;
    char *buf = stack_buf;
    uint32_t mask;
    size_t n;

    if (!s && len > 0) {
        return -EINVAL;
    }

    mask = cb_inspect_scan_mask(s, len);
    if (run_detectors(s, len, mask, &f)) {
        goto found;
    }
    if (!needs_decoding(mask)) {
        goto clean;
    }

    if (len > sizeof stack_buf) {
        heap_buf = malloc(len);
        if (!heap_buf) {
            return -ENOMEM;
        }
        buf = heap_buf;
    }
    n = decode_all(s, len, mask, buf);
    if (n > 0 && run_detectors(buf, n, cb_inspect_scan_mask(buf, n), &f)) {
        f.decoded = true;
        goto found;
    }

clean:
    if (ret) {
        *ret = (struct cb_inspect_finding){ .kind = CB_INSPECT_CLEAN };
    }
    return 0;

found:
    if (ret) {
        *ret = f;
    }
    return 1;
}
