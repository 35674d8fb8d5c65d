/* SPDX-License-Identifier: MIT */
/*
 * Template injection: the delimiters of the common template languages ({{ }}, ${ }, #{ },
 * *{ }, %{ }, <% %>, {% %}) around an expression. A placeholder, a name or a dotted path
 * with filters ("{{name}}", "${AMOUNT}", "{{ user.first_name | upper }}"), is what a mail
 * merge uses and passes; an expression (an operator with a number, a call, an index, a
 * dunder, a ${x:...} lookup as in Log4j) is evaluated by the engine and is a finding.
 */
#include <stdint.h>
#include <string.h>

#include "common/cb-inspect-internal.h"
#include "common/cb-macro.h"

/* Expressions longer than this between delimiters are not looked for. */
#define EXPR_MAX 512

static bool is_operand_end(unsigned char c)
{
    return cb_inspect_is_digit(c) || c == '\'' || c == '"' || c == ')';
}

/* An operator with a number or literal on one side: 7*7, 7*'7', 10-3. */
static bool has_arithmetic(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        size_t l = i, r = i + 1;

        if (!strchr("*+-/%", s[i]) || s[i] == '\0') {
            continue;
        }
        while (l > 0 && s[l - 1] == ' ') {
            l--;
        }
        while (r < n && s[r] == ' ') {
            r++;
        }
        if (l == 0 || r >= n) {
            continue;
        }
        if (is_operand_end((unsigned char)s[l - 1]) || cb_inspect_is_digit((unsigned char)s[r]) ||
            s[r] == '\'' || s[r] == '"' || s[r] == '(') {
            return true;
        }
    }
    return false;
}

/* A call, a quoted index (['os']), a dunder, backticks or arithmetic; items[0] is a lookup. */
static bool is_expression(const char *s, size_t n)
{
    return memchr(s, '(', n) || memmem(s, n, "['", 2) || memmem(s, n, "[\"", 2) ||
           memmem(s, n, "__", 2) || memchr(s, '`', n) || has_arithmetic(s, n);
}

/* {{#with "s" as |x|}}: a block helper given a string literal (Handlebars' gadget chain);
 * {{#each items}} is a template loop. */
static bool is_block_literal(const char *s, size_t n)
{
    size_t i = 0;

    if (n < 2 || s[0] != '#') {
        return false;
    }
    for (i = 1; i < n && cb_inspect_is_alpha((unsigned char)s[i]); i++) {
    }
    while (i < n && s[i] == ' ') {
        i++;
    }
    return i < n && (s[i] == '"' || s[i] == '\'');
}

/* Velocity: #set($x = 7*7), #foreach($i in ...), #if($x.getClass()): '#', a word, '(' and a
 * '$' reference. */
static bool is_velocity_directive(const char *s, size_t n)
{
    size_t i = 0;

    while (i < n && i < 10 && cb_inspect_is_alpha((unsigned char)s[i])) {
        i++;
    }
    return i > 1 && i + 1 < n && s[i] == '(' && s[i + 1] == '$';
}

/* ${jndi:ldap://...}, ${env:X}, ${::-j}: a lookup; ${VAR:-default} is shell. */
static bool is_lookup(const char *s, size_t n)
{
    size_t i = 0;

    while (i < n && (cb_inspect_is_alpha((unsigned char)s[i]) || s[i] == '_')) {
        i++;
    }
    if (i >= n || s[i] != ':') {
        return false;
    }
    return i + 1 < n && !strchr("-=?+", s[i + 1]);
}

enum closer {
    CLOSE_BRACES,  /* }} */
    CLOSE_BRACE,   /* } */
    CLOSE_PERCENT, /* %> */
    CLOSE_STMT,    /* %} */
    CLOSE_ANGLE,   /* > */
    CLOSE_PAREN,   /* ) */
    CLOSERS_COUNT,
};

static const char *const closers[CLOSERS_COUNT] = { "}}", "}", "%>", "%}", ">", ")" };

/* Where each closing delimiter next occurs: searched again only once the scan has passed
 * it, so that a value of a million "{{" costs one pass, not a million. */
struct scan {
    const char *s;
    size_t len;
    size_t next[CLOSERS_COUNT]; /* SIZE_MAX: not searched yet */
};

/* The closing delimiter within EXPR_MAX bytes of i; returns its offset or 0. */
static size_t find_close(struct scan *sc, size_t i, enum closer c)
{
    if (sc->next[c] == SIZE_MAX || sc->next[c] < i) {
        const char *end = memmem(sc->s + i, sc->len - i, closers[c], strlen(closers[c]));

        sc->next[c] = end ? (size_t)(end - sc->s) : sc->len;
    }
    return sc->next[c] < sc->len && sc->next[c] - i <= EXPR_MAX ? sc->next[c] : 0;
}

static bool check_at(struct scan *sc, size_t i, const char **ret_reason)
{
    const char *s = sc->s;
    char c = s[i], d = s[i + 1];
    size_t body = i + 2, end;

    if (c == '{' && d == '{') {
        end = find_close(sc, body, CLOSE_BRACES);
        *ret_reason = "template expression inside {{ }}";
        return end &&
               (is_expression(s + body, end - body) || is_block_literal(s + body, end - body));
    }
    if (c == '@' && d == '(') {
        end = find_close(sc, body, CLOSE_PAREN);
        *ret_reason = "template expression inside @( )";
        return end && is_expression(s + body, end - body);
    }
    if (c == '#' && cb_inspect_is_alpha((unsigned char)d)) {
        *ret_reason = "template directive with an expression";
        return is_velocity_directive(s + i + 1, sc->len - i - 1);
    }
    if ((c == '$' || c == '#' || c == '*' || c == '%') && d == '{') {
        end = find_close(sc, body, CLOSE_BRACE);
        if (!end) {
            return false;
        }
        if (c == '$' && is_lookup(s + body, end - body)) {
            *ret_reason = "lookup expression inside ${ }";
            return true;
        }
        *ret_reason = "template expression inside ${ }, #{ } or similar";
        if (c == '%' && (memchr(s + body, '#', end - body) || memchr(s + body, '@', end - body))) {
            return true; /* OGNL: %{#context...} %{@java.lang...} */
        }
        return (body < end && s[body] == '{') || is_expression(s + body, end - body);
    }
    if (c == '<' && d == '%') {
        end = find_close(sc, body, CLOSE_PERCENT);
        *ret_reason = "server-side template code inside <% %>";
        return end && is_expression(s + body, end - body);
    }
    if (c == '{' && d == '%') {
        end = find_close(sc, body, CLOSE_STMT);
        *ret_reason = "template statement inside {% %}";
        return end &&
               (is_expression(s + body, end - body) || memmem(s + body, end - body, "import", 6));
    }
    if (c == '<' && d == '#' && i + 2 < sc->len && cb_inspect_is_alpha((unsigned char)s[i + 2])) {
        end = find_close(sc, body, CLOSE_ANGLE);
        *ret_reason = "template directive with an expression";
        return end &&
               (memchr(s + body, '(', end - body) || memmem(s + body, end - body, "?new", 4));
    }
    return false;
}

bool cb_inspect_template(const struct cb_inspect_input *in, struct cb_inspect_finding *f)
{
    const char *s = in->s;
    struct scan sc = { .s = s, .len = in->len };

    if (!(in->mask & (CB_INSPECT_HAS_BRACE | CB_INSPECT_HAS_LT | CB_INSPECT_HAS_PAREN))) {
        return false;
    }
    for (size_t c = 0; c < CLOSERS_COUNT; c++) {
        sc.next[c] = SIZE_MAX;
    }
    for (size_t i = 0; i + 2 < in->len; i++) {
        const char *reason = NULL;

        if (!strchr("{$#*%<@", s[i]) || s[i] == '\0') {
            continue;
        }
        if (check_at(&sc, i, &reason)) {
            *f = cb_inspect_found(CB_INSPECT_TEMPLATE_INJECTION, reason, i);
            return true;
        }
    }
    return false;
}
