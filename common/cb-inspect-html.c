/* SPDX-License-Identifier: MIT */
/*
 * Cross-site scripting: the value is lexed as HTML (tags, attribute names and values) and
 * as the URLs and CSS inside it. Only constructs that execute are findings: a <script>
 * element, an event handler attribute, a javascript:/vbscript:/data:text/html URL, a CSS
 * expression() or binding, an element that loads other content (iframe src=, object data=,
 * base href=, meta http-equiv=...), and a quote that leaves a JavaScript string to call a
 * function. Markup that only formats (<b>, <Enter>) and comparisons ("a < b") pass.
 */
#include <string.h>

#include "common/cb-inspect-internal.h"
#include "common/cb-macro.h"

#define SCHEME_MAX       12
#define JS_CALL_SCAN_MAX 256

enum tag_class {
    TAG_OTHER,
    TAG_SCRIPT,
    TAG_STYLE,
    TAG_LOADER, /* loads or redirects to other content through an attribute */
    TAG_META,
    TAG_LINK,
};

static bool is_url_blank(unsigned char c)
{
    return c == '\t' || c == '\n' || c == '\r'; /* browsers drop these inside a scheme */
}

static bool in_list(const char *s, size_t n, const char *const *list, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        if (cb_inspect_word_eq(s, n, list[i])) {
            return true;
        }
    }
    return false;
}

static enum tag_class classify_tag(const char *s, size_t n)
{
    /* <link>, <form> and <meta> are everyday markup; their script URLs are found anyway,
     * and <meta> counts only as a refresh (check_attr). */
    static const char *const loaders[] = {
        "iframe", "frame", "frameset", "object", "embed", "applet", "base", "portal",
    };

    if (cb_inspect_word_eq(s, n, "script")) {
        return TAG_SCRIPT;
    }
    if (cb_inspect_word_eq(s, n, "style")) {
        return TAG_STYLE;
    }
    if (cb_inspect_word_eq(s, n, "meta")) {
        return TAG_META;
    }
    if (cb_inspect_word_eq(s, n, "link")) {
        return TAG_LINK;
    }
    return in_list(s, n, loaders, CB_ELEMENTSOF(loaders)) ? TAG_LOADER : TAG_OTHER;
}

static bool is_loader_attr(const char *s, size_t n)
{
    static const char *const attrs[] = {
        "src",    "data",       "href",       "action",  "code",       "codebase",
        "srcdoc", "http-equiv", "formaction", "classid", "xlink:href",
    };

    return in_list(s, n, attrs, CB_ELEMENTSOF(attrs));
}

static bool is_handler_name(const char *s, size_t n)
{
    if (n < 5 || cb_inspect_lower((unsigned char)s[0]) != 'o' ||
        cb_inspect_lower((unsigned char)s[1]) != 'n') {
        return false;
    }
    for (size_t i = 2; i < n; i++) {
        if (!cb_inspect_is_alpha((unsigned char)s[i])) {
            return false;
        }
    }
    return true;
}

/* After "javascript:" at s[i..): does JavaScript code follow, not prose ("JavaScript: The
 * Good Parts")? A call, an assignment, a template call, a comment, or a dotted name
 * right after the colon. */
static bool js_code_follows(const char *s, size_t len, size_t i)
{
    size_t start = i;
    bool dotted = false;

    while (i < len && (cb_inspect_is_space((unsigned char)s[i]) || s[i] == '\0')) {
        i++;
    }
    if (i + 1 < len && s[i] == '/' && (s[i + 1] == '/' || s[i + 1] == '*')) {
        return true;
    }
    if (i == start && i < len && strchr("([{!~'\"`+-", s[i]) && s[i] != '\0') {
        return true;
    }
    for (;;) {
        size_t word = i;

        while (i < len &&
               (cb_inspect_is_alnum((unsigned char)s[i]) || s[i] == '_' || s[i] == '$')) {
            i++;
        }
        if (i == word) {
            return false;
        }
        if (i + 1 < len && s[i] == '.' && cb_inspect_is_alpha((unsigned char)s[i + 1])) {
            dotted = true;
            i++;
            continue;
        }
        break;
    }
    if (i < len && (s[i] == '(' || s[i] == '`' || s[i] == '[' ||
                    (s[i] == '=' && (i + 1 >= len || s[i + 1] != '=')))) {
        return true;
    }
    return dotted && start < len && !cb_inspect_is_space((unsigned char)s[start]);
}

static bool data_mime_follows(const char *s, size_t len, size_t i)
{
    static const char *const mimes[] = {
        "text/html",       "image/svg+xml",          "application/xhtml+xml",
        "text/javascript", "application/javascript", "application/x-javascript",
        "text/xml",        "application/xml",        "text/ecmascript",
    };

    while (i < len && cb_inspect_is_space((unsigned char)s[i])) {
        i++;
    }
    for (size_t k = 0; k < CB_ELEMENTSOF(mimes); k++) {
        if (cb_inspect_starts(s, len, i, mimes[k])) {
            return true;
        }
    }
    return false;
}

enum scheme {
    SCHEME_NONE,
    SCHEME_SCRIPT, /* javascript, vbscript, livescript */
    SCHEME_DATA,
};

/* The scheme whose letters end just before the ':' at `colon` (tabs and newlines inside
 * are skipped as a browser does); *ret_start is where its letters begin. */
static enum scheme scheme_before(const char *s, size_t colon, size_t *ret_start)
{
    char word[SCHEME_MAX + 1];
    size_t n = 0, i = colon;

    while (i > 0 && n < SCHEME_MAX) {
        unsigned char c = (unsigned char)s[i - 1];

        if (is_url_blank(c)) {
            i--;
            continue;
        }
        if (!cb_inspect_is_alpha(c)) {
            break;
        }
        word[SCHEME_MAX - 1 - n++] = (char)cb_inspect_lower(c);
        i--;
    }
    if (n == 0 || (i > 0 && cb_inspect_is_alnum((unsigned char)s[i - 1]))) {
        return SCHEME_NONE;
    }
    *ret_start = i;
    word[SCHEME_MAX] = '\0';
    if (cb_inspect_word_eq(word + SCHEME_MAX - n, n, "javascript") ||
        cb_inspect_word_eq(word + SCHEME_MAX - n, n, "vbscript") ||
        cb_inspect_word_eq(word + SCHEME_MAX - n, n, "livescript")) {
        return SCHEME_SCRIPT;
    }
    return cb_inspect_word_eq(word + SCHEME_MAX - n, n, "data") ? SCHEME_DATA : SCHEME_NONE;
}

/* A script URL that starts at value[0..n) (an attribute value), after leading blanks. */
static bool value_is_script_url(const char *v, size_t n)
{
    size_t i = 0, start;
    const char *colon;

    while (i < n && (unsigned char)v[i] <= ' ') {
        i++;
    }
    colon = memchr(v + i, ':', n - i);
    if (!colon || (size_t)(colon - v) - i > SCHEME_MAX + 4) {
        return false;
    }
    switch (scheme_before(v, (size_t)(colon - v), &start)) {
    case SCHEME_SCRIPT:
        return start == i;
    case SCHEME_DATA:
        return start == i && data_mime_follows(v, n, (size_t)(colon - v) + 1);
    default:
        return false;
    }
}

/* Skips blanks and CSS comments. */
static size_t css_skip(const char *s, size_t len, size_t i)
{
    for (;;) {
        while (i < len && cb_inspect_is_space((unsigned char)s[i])) {
            i++;
        }
        if (i + 1 < len && s[i] == '/' && s[i + 1] == '*') {
            const char *end = memmem(s + i + 2, len - i - 2, "*/", 2);

            i = end ? (size_t)(end - s) + 2 : len;
            continue;
        }
        return i;
    }
}

/* "expression" at s[i..), with comments and backslashes between its letters, then '('. */
static bool css_expression_at(const char *s, size_t len, size_t i)
{
    static const char word[] = "expression";

    i = css_skip(s, len, i);
    for (size_t k = 0; word[k]; k++) {
        while (i < len && (s[i] == '\\' || (s[i] == '/' && i + 1 < len && s[i + 1] == '*'))) {
            i = s[i] == '\\' ? i + 1 : css_skip(s, len, i);
        }
        if (i >= len || cb_inspect_lower((unsigned char)s[i]) != (unsigned char)word[k]) {
            return false;
        }
        i++;
    }
    i = css_skip(s, len, i);
    if (i >= len || s[i] != '(') {
        return false;
    }
    /* expression(alert(1)), expression(document.cookie): script, not "expression(s)" */
    for (size_t end = CB_MIN(len, i + 256), depth = 0; i < end; i++) {
        if (s[i] == '(' && depth++ > 0) {
            return true;
        }
        if (s[i] == ')' && --depth == 0) {
            return false;
        }
        if (s[i] == '.' || s[i] == '=' || s[i] == '+') {
            return true;
        }
    }
    return true;
}

/* behavior: url(x.htc) and -moz-binding: url(...), with the ':' at `colon`. */
static bool css_binding_at(const char *s, size_t len, size_t colon)
{
    size_t i = colon, end;

    while (i > 0 && cb_inspect_is_space((unsigned char)s[i - 1])) {
        i--;
    }
    end = i;
    while (i > 0 && (cb_inspect_is_alpha((unsigned char)s[i - 1]) || s[i - 1] == '-')) {
        i--;
    }
    if (!cb_inspect_word_eq(s + i, end - i, "behavior") &&
        !cb_inspect_word_eq(s + i, end - i, "-moz-binding")) {
        return false;
    }
    i = css_skip(s, len, colon + 1);
    return cb_inspect_starts(s, len, i, "url(");
}

static bool css_is_dangerous(const char *s, size_t len)
{
    for (const char *c = memchr(s, ':', len); c;
         c = memchr(c + 1, ':', len - (size_t)(c - s) - 1)) {
        size_t at = (size_t)(c - s);

        if (css_expression_at(s, len, at + 1) || css_binding_at(s, len, at)) {
            return true;
        }
        if (at + 1 >= len) {
            break;
        }
    }
    return false;
}

struct attr {
    size_t name, name_len;
    size_t value, value_len;
    bool has_value;
};

/* One attribute at *pos inside a tag; false at the tag's end. */
static bool next_attr(const char *s, size_t len, size_t *pos, struct attr *a)
{
    size_t i = *pos;

    while (i < len && (cb_inspect_is_space((unsigned char)s[i]) || s[i] == '/')) {
        i++;
    }
    /* A '<' ends the tag for this scan, so that <scr<script>ipt> is seen, and so that each
     * byte is looked at by one tag only. */
    if (i >= len || s[i] == '>' || s[i] == '<') {
        *pos = i;
        return false;
    }
    *a = (struct attr){ .name = i };
    while (i < len && !cb_inspect_is_space((unsigned char)s[i]) && s[i] != '/' && s[i] != '>' &&
           s[i] != '=' && s[i] != '<') {
        i++;
    }
    a->name_len = i - a->name;
    if (a->name_len == 0) {
        i++; /* a stray '=' */
    }
    while (i < len && cb_inspect_is_space((unsigned char)s[i])) {
        i++;
    }
    if (i < len && s[i] == '=' && a->name_len > 0) {
        i++;
        while (i < len && cb_inspect_is_space((unsigned char)s[i])) {
            i++;
        }
        a->has_value = true;
        if (i < len && (s[i] == '"' || s[i] == '\'' || s[i] == '`')) {
            const char *end = memchr(s + i + 1, s[i], len - i - 1);

            a->value = i + 1;
            i = end ? (size_t)(end - s) + 1 : len;
            a->value_len = (end ? (size_t)(end - s) : len) - a->value;
        } else {
            a->value = i;
            while (i < len && !cb_inspect_is_space((unsigned char)s[i]) && s[i] != '>') {
                i++;
            }
            a->value_len = i - a->value;
        }
    }
    *pos = i;
    return true;
}

static bool check_attr(const char *s,
                       const struct attr *a,
                       enum tag_class tag,
                       struct cb_inspect_finding *f)
{
    const char *name = s + a->name, *value = s + a->value;

    if (!a->has_value) {
        return false;
    }
    if (is_handler_name(name, a->name_len)) {
        *f = cb_inspect_found(CB_INSPECT_XSS, "event handler attribute in an HTML tag", a->name);
        return true;
    }
    if (value_is_script_url(value, a->value_len)) {
        *f = cb_inspect_found(CB_INSPECT_XSS, "script URL in an HTML attribute", a->value);
        return true;
    }
    if (css_is_dangerous(value, a->value_len)) {
        *f = cb_inspect_found(CB_INSPECT_XSS, "CSS expression or binding in an attribute",
                              a->value);
        return true;
    }
    if (tag == TAG_META && cb_inspect_word_eq(name, a->name_len, "http-equiv") &&
        cb_inspect_starts(value, a->value_len, 0, "refresh")) {
        *f = cb_inspect_found(CB_INSPECT_XSS, "meta refresh redirects the page", a->name);
        return true;
    }
    if (tag == TAG_LINK && cb_inspect_word_eq(name, a->name_len, "rel") &&
        cb_inspect_starts(value, a->value_len, 0, "import")) {
        *f = cb_inspect_found(CB_INSPECT_XSS, "link imports an HTML document", a->name);
        return true;
    }
    if (tag == TAG_LOADER && is_loader_attr(name, a->name_len)) {
        *f = cb_inspect_found(CB_INSPECT_XSS, "element that loads active content", a->name);
        return true;
    }
    return false;
}

/* The tag opening at s[lt] ('<' then a letter); *ret_end is where scanning resumes. */
static bool check_tag(const char *s,
                      size_t len,
                      size_t lt,
                      size_t *ret_end,
                      struct cb_inspect_finding *f)
{
    size_t i = lt + 1, name = lt + 1;
    enum tag_class tag;
    struct attr a;

    while (i < len && !cb_inspect_is_space((unsigned char)s[i]) && s[i] != '/' && s[i] != '>' &&
           s[i] != '<') {
        i++;
    }
    tag = classify_tag(s + name, i - name);
    if (tag == TAG_SCRIPT) {
        *f = cb_inspect_found(CB_INSPECT_XSS, "script element", lt);
        return true;
    }
    while (next_attr(s, len, &i, &a)) {
        if (check_attr(s, &a, tag, f)) {
            return true;
        }
    }
    if (tag == TAG_STYLE && i < len) {
        const char *end = memmem(s + i, len - i, "</", 2);
        size_t body_len = (end ? (size_t)(end - s) : len) - i;

        if (css_is_dangerous(s + i, body_len) || memmem(s + i, body_len, "@import", 7)) {
            *f = cb_inspect_found(CB_INSPECT_XSS, "style element with script or imports", lt);
            return true;
        }
    }
    *ret_end = i;
    return false;
}

static bool scan_tags(const struct cb_inspect_input *in, struct cb_inspect_finding *f)
{
    const char *s = in->s;
    size_t i = 0;

    while (i < in->len) {
        const char *lt = memchr(s + i, '<', in->len - i);
        size_t at;

        if (!lt) {
            break;
        }
        at = (size_t)(lt - s);
        i = at + 1;
        if (i < in->len && cb_inspect_is_alpha((unsigned char)s[i])) {
            if (check_tag(s, in->len, at, &i, f)) {
                return true;
            }
        }
    }
    return false;
}

/* javascript: anywhere (as code), data:text/html, CSS expression() and bindings. */
static bool scan_colons(const struct cb_inspect_input *in, struct cb_inspect_finding *f)
{
    const char *s = in->s;
    size_t len = in->len;

    for (const char *c = memchr(s, ':', len); c;
         c = memchr(c + 1, ':', len - (size_t)(c - s) - 1)) {
        size_t at = (size_t)(c - s), start = 0;

        switch (scheme_before(s, at, &start)) {
        case SCHEME_SCRIPT:
            if (js_code_follows(s, len, at + 1)) {
                *f = cb_inspect_found(CB_INSPECT_XSS, "javascript: URL with code", start);
                return true;
            }
            break;
        case SCHEME_DATA:
            if (data_mime_follows(s, len, at + 1)) {
                *f = cb_inspect_found(CB_INSPECT_XSS, "data: URL with an HTML or script type",
                                      start);
                return true;
            }
            break;
        default:
            break;
        }
        if (css_expression_at(s, len, at + 1) || css_binding_at(s, len, at)) {
            *f = cb_inspect_found(CB_INSPECT_XSS, "CSS expression or binding", at);
            return true;
        }
        if (at + 1 >= len) {
            break;
        }
    }
    return false;
}

/* onerror=... outside a tag: after a quote that closes an attribute value, or with code as
 * its value (an unquoted attribute context). */
static bool scan_handlers(const struct cb_inspect_input *in, struct cb_inspect_finding *f)
{
    const char *s = in->s;
    size_t len = in->len;

    for (size_t i = 0; i + 4 < len; i++) {
        size_t end = i, v, back = i;
        bool after_quote;

        if (cb_inspect_lower((unsigned char)s[i]) != 'o' ||
            cb_inspect_lower((unsigned char)s[i + 1]) != 'n' ||
            (i > 0 && cb_inspect_is_alnum((unsigned char)s[i - 1]))) {
            continue;
        }
        while (end < len && cb_inspect_is_alpha((unsigned char)s[end])) {
            end++;
        }
        if (!is_handler_name(s + i, end - i)) {
            i = end;
            continue;
        }
        v = end;
        while (v < len && cb_inspect_is_space((unsigned char)s[v])) {
            v++;
        }
        if (v >= len || s[v] != '=') {
            i = end;
            continue;
        }
        while (back > 0 &&
               (cb_inspect_is_space((unsigned char)s[back - 1]) || s[back - 1] == '/')) {
            back--;
        }
        after_quote = back > 0 && (s[back - 1] == '"' || s[back - 1] == '\'');
        v++;
        while (v < len &&
               (cb_inspect_is_space((unsigned char)s[v]) || s[v] == '"' || s[v] == '\'')) {
            v++;
        }
        if (after_quote || js_code_follows(s, len, v)) {
            *f = cb_inspect_found(CB_INSPECT_XSS, "event handler attribute outside a tag", i);
            return true;
        }
        i = end;
    }
    return false;
}

/* '; alert(1)//  "-alert(1)-"  ');prompt(1);// : a quote leaves a JavaScript string and a
 * call follows, ended by a comment, a statement end or a quote that rebalances the string. */
static bool js_breakout_at(const char *s, size_t len, size_t q)
{
    size_t i = q + 1, ops = 0, depth = 0, word;

    for (; i < len && ops < 4; i++) {
        if (strchr(";-+*|&),}", s[i]) && s[i] != '\0') {
            ops++;
        } else if (!cb_inspect_is_space((unsigned char)s[i])) {
            break;
        }
    }
    if (ops == 0) {
        return false;
    }
    word = i;
    while (i < len && (cb_inspect_is_alnum((unsigned char)s[i]) || s[i] == '_' || s[i] == '.' ||
                       s[i] == '$')) {
        i++;
    }
    if (i - word < 2 || i >= len || (s[i] != '(' && s[i] != '`')) {
        return false;
    }
    for (size_t limit = CB_MIN(len, i + JS_CALL_SCAN_MAX); i < limit; i++) {
        if (s[i] == '(') {
            depth++;
        } else if (s[i] == ')' && --depth == 0) {
            break;
        } else if (s[i] == '`' && depth == 0) {
            const char *end = memchr(s + i + 1, '`', len - i - 1);

            i = end ? (size_t)(end - s) : len;
            break;
        }
    }
    if (i >= len) {
        return depth > 0;
    }
    for (i++; i < len && cb_inspect_is_space((unsigned char)s[i]); i++) {
    }
    if (i >= len) {
        return true;
    }
    if (s[i] == '/' && i + 1 < len && s[i + 1] == '/') {
        return true;
    }
    if (s[i] == ';' || s[i] == '<' || s[i] == '"' || s[i] == '\'') {
        return true;
    }
    if (s[i] == '-' || s[i] == '+' || s[i] == '*') {
        for (i++; i < len && cb_inspect_is_space((unsigned char)s[i]); i++) {
        }
        return i < len && (s[i] == '"' || s[i] == '\'');
    }
    return false;
}

static bool scan_js_strings(const struct cb_inspect_input *in, struct cb_inspect_finding *f)
{
    for (size_t i = 0; i < in->len; i++) {
        if ((in->s[i] == '\'' || in->s[i] == '"') && js_breakout_at(in->s, in->len, i)) {
            *f = cb_inspect_found(CB_INSPECT_XSS,
                                  "quote closes a JavaScript string and a call follows", i);
            return true;
        }
    }
    return false;
}

bool cb_inspect_html(const struct cb_inspect_input *in, struct cb_inspect_finding *f)
{
    uint32_t m = in->mask;

    if ((m & CB_INSPECT_HAS_LT) && scan_tags(in, f)) {
        return true;
    }
    if ((m & CB_INSPECT_HAS_COLON) && scan_colons(in, f)) {
        return true;
    }
    if ((m & CB_INSPECT_HAS_EQ) && scan_handlers(in, f)) {
        return true;
    }
    return (m & (CB_INSPECT_HAS_SQUOTE | CB_INSPECT_HAS_DQUOTE)) && (m & CB_INSPECT_HAS_PAREN) &&
           scan_js_strings(in, f);
}
