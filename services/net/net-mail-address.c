/* SPDX-License-Identifier: MIT */
/* Mail addresses: RFC 5322 addr-spec syntax, address lists, and RFC 2047 header words. */
#include "services/net/net-internal.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/cb-base64.h"

/* RFC 5322 atext: letters, digits and these. */
static bool atext(unsigned char c)
{
    return isalnum(c) || strchr("!#$%&'*+-/=?^_`{|}~", c) || c >= 0x80;
}

static bool dot_atom(const char *s, size_t len)
{
    if (len == 0 || s[0] == '.' || s[len - 1] == '.') {
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '.' ? s[i + 1] == '.' : !atext((unsigned char)s[i])) {
            return false;
        }
    }
    return true;
}

static bool quoted_local(const char *s, size_t len)
{
    if (len < 2 || s[0] != '"' || s[len - 1] != '"') {
        return false;
    }
    for (size_t i = 1; i + 1 < len; i++) {
        unsigned char c = (unsigned char)s[i];

        if (c == '\\') {
            i++;
            if (i + 1 >= len) {
                return false;
            }
        } else if (c == '"' || c == '\r' || c == '\n' || c < 0x20) {
            return false;
        }
    }
    return true;
}

static bool domain_ok(const char *d, size_t len, const char **why)
{
    if (len > 0 && d[0] == '[') {
        /* A domain literal, [192.0.2.1] or [IPv6:...]. */
        if (d[len - 1] != ']') {
            *why = "the domain literal has no closing ']'";
            return false;
        }
        for (size_t i = 1; i + 1 < len; i++) {
            if (d[i] == '[' || d[i] == ']' || d[i] == '\\' || isspace((unsigned char)d[i])) {
                *why = "the domain literal holds a character it may not";
                return false;
            }
        }
        return true;
    }
    if (len > 253 || !dot_atom(d, len)) {
        *why = "the domain is not a dot-separated name";
        return false;
    }
    return true;
}

bool net_addr_spec_valid(const char *text, const char **ret_reason)
{
    const char *at = strrchr(text, '@');
    size_t local_len, len = strlen(text);
    const char *why = NULL;

    if (len == 0) {
        why = "the address is empty";
    } else if (!at) {
        why = "the address has no '@'";
    } else if ((local_len = (size_t)(at - text)) == 0) {
        why = "the part before '@' is empty";
    } else if (local_len > 64) {
        why = "the part before '@' is longer than 64 characters";
    } else if (len > 254) {
        why = "the address is longer than 254 characters";
    } else if (!dot_atom(text, local_len) && !quoted_local(text, local_len)) {
        why = "the part before '@' holds characters that need quoting";
    } else if (at[1] == '\0') {
        why = "the domain after '@' is empty";
    } else {
        (void)domain_ok(at + 1, strlen(at + 1), &why);
    }
    if (ret_reason) {
        *ret_reason = why;
    }
    return why == NULL;
}

static char *trimmed(const char *s, size_t len)
{
    while (len > 0 && isspace((unsigned char)*s)) {
        s++;
        len--;
    }
    while (len > 0 && isspace((unsigned char)s[len - 1])) {
        len--;
    }
    return strndup(s, len);
}

/* One "Name <addr>", "<addr>" or "addr" into out. */
static int parse_one(const char *s, size_t len, struct net_address *out)
{
    const char *lt = memchr(s, '<', len);
    char *name;

    *out = (struct net_address){ 0 };
    if (!lt) {
        out->addr = trimmed(s, len);
        return out->addr ? 0 : -ENOMEM;
    }
    const char *gt = memchr(lt, '>', len - (size_t)(lt - s));
    if (!gt) {
        return -EINVAL;
    }
    out->addr = trimmed(lt + 1, (size_t)(gt - lt - 1));
    name = trimmed(s, (size_t)(lt - s));
    if (!out->addr || !name) {
        free(name);
        return -ENOMEM;
    }
    /* A quoted display name loses its quotes; it is quoted again when written. */
    if (strlen(name) >= 2 && name[0] == '"' && name[strlen(name) - 1] == '"') {
        memmove(name, name + 1, strlen(name) - 2);
        name[strlen(name) - 2] = '\0';
    }
    if (*name) {
        out->display = name;
    } else {
        free(name);
    }
    return 0;
}

static int push(struct net_address **list, size_t *n, struct net_address a)
{
    struct net_address *grown = reallocarray(*list, *n + 1, sizeof *grown);

    if (!grown) {
        return -ENOMEM;
    }
    *list = grown;
    (*list)[(*n)++] = a;
    return 0;
}

/* Splits at commas outside quotes and angle brackets: "Doe, J" <j@x>, k@y is two. */
static int parse_text(const char *s, struct net_address **list, size_t *n)
{
    bool quoted = false;
    int angle = 0;
    const char *start = s;

    for (const char *p = s;; p++) {
        if (*p == '"' && (p == s || p[-1] != '\\')) {
            quoted = !quoted;
        } else if (!quoted && *p == '<') {
            angle++;
        } else if (!quoted && *p == '>' && angle > 0) {
            angle--;
        } else if (*p == '\0' || (!quoted && angle == 0 && *p == ',')) {
            struct net_address a;
            size_t len = (size_t)(p - start);
            int r;

            if (strspn(start, " \t") < len) {
                r = parse_one(start, len, &a);
                if (r < 0 || (r = push(list, n, a)) < 0) {
                    return r;
                }
            }
            if (*p == '\0') {
                return 0;
            }
            start = p + 1;
        }
    }
}

int net_address_list(json_t *v,
                     const char *param,
                     struct net_address **ret,
                     size_t *ret_n,
                     struct cb_error *err)
{
    struct net_address *list = NULL;
    size_t n = 0, i;
    json_t *item;
    int r = 0;

    if (json_is_string(v)) {
        r = parse_text(json_string_value(v), &list, &n);
    } else {
        json_array_foreach(v, i, item)
        {
            r = r < 0 ? r : parse_text(json_string_value(item), &list, &n);
        }
    }
    for (i = 0; r >= 0 && i < n; i++) {
        const char *why;

        if (!net_addr_spec_valid(list[i].addr, &why)) {
            r = cb_error_set(err, CB_E_INVALID_PARAM,
                             "parameter '%s': '%s' is not a mail address: %s", param, list[i].addr,
                             why);
        }
    }
    if (r == -EINVAL && !err->set) {
        r = cb_error_set(err, CB_E_INVALID_PARAM,
                         "parameter '%s': an address has '<' without its '>'", param);
    } else if (r == -ENOMEM) {
        r = cb_error_set(err, CB_E_INTERNAL, "out of memory");
    }
    if (r < 0) {
        net_address_list_free(list, n);
        return r;
    }
    *ret = list;
    *ret_n = n;
    return 0;
}

void net_address_list_free(struct net_address *list, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(list[i].display);
        free(list[i].addr);
    }
    free(list);
}

static bool plain_ascii(const char *s)
{
    for (; *s; s++) {
        if ((unsigned char)*s >= 0x80 || *s == '\r' || *s == '\n') {
            return false;
        }
    }
    return true;
}

/* Bytes of whole UTF-8 characters that fit in `max` bytes from s. */
static size_t utf8_prefix(const char *s, size_t max)
{
    size_t n = strlen(s) < max ? strlen(s) : max;

    while (n > 0 && n < strlen(s) && ((unsigned char)s[n] & 0xc0) == 0x80) {
        n--;
    }
    return n;
}

char *net_header_encode(const char *text)
{
    struct cb_buf out = { 0 };
    const char *p = text;

    if (plain_ascii(text)) {
        return strdup(text);
    }
    /* Words of at most 75 characters: 45 bytes make 60 of base64, plus 12 of framing. */
    while (*p) {
        size_t n = utf8_prefix(p, 45);
        char *b64 = cb_base64_encode(p, n);
        int r;

        if (!b64 || n == 0) {
            free(b64);
            cb_buf_free(&out);
            return NULL;
        }
        r = cb_buf_append(&out, out.len ? "\r\n =?UTF-8?B?" : "=?UTF-8?B?", out.len ? 13 : 10);
        r = r < 0 ? r : cb_buf_append(&out, b64, strlen(b64));
        r = r < 0 ? r : cb_buf_append(&out, "?=", 2);
        free(b64);
        if (r < 0) {
            cb_buf_free(&out);
            return NULL;
        }
        p += n;
    }
    if (cb_buf_append(&out, "", 1) < 0) {
        cb_buf_free(&out);
        return NULL;
    }
    return out.data;
}

char *net_address_header(const struct net_address *list, size_t n)
{
    struct cb_buf out = { 0 };
    int r = 0;

    for (size_t i = 0; r >= 0 && i < n; i++) {
        if (i > 0) {
            r = cb_buf_append(&out, ", ", 2);
        }
        if (r >= 0 && list[i].display) {
            char *name = plain_ascii(list[i].display) ? NULL : net_header_encode(list[i].display);

            if (name) {
                r = cb_buf_append(&out, name, strlen(name));
            } else {
                /* ASCII names are quoted, so a comma or a dot in them stays in the name. */
                r = cb_buf_append(&out, "\"", 1);
                for (const char *c = list[i].display; r >= 0 && *c; c++) {
                    r = (*c == '"' || *c == '\\') ? cb_buf_append(&out, "\\", 1) : 0;
                    r = r < 0 ? r : cb_buf_append(&out, c, 1);
                }
                r = r < 0 ? r : cb_buf_append(&out, "\"", 1);
            }
            free(name);
            r = r < 0 ? r : cb_buf_append(&out, " ", 1);
        }
        r = r < 0 ? r : cb_buf_append(&out, "<", 1);
        r = r < 0 ? r : cb_buf_append(&out, list[i].addr, strlen(list[i].addr));
        r = r < 0 ? r : cb_buf_append(&out, ">", 1);
    }
    if (r < 0 || cb_buf_append(&out, "", 1) < 0) {
        cb_buf_free(&out);
        return NULL;
    }
    return out.data;
}
