/* SPDX-License-Identifier: MIT */
/* Perl's \s on UTF-8 text, NormaliseSpace, and ${name} variables, as XML::Simple applies them. */
#include "services/xml/xml-text.h"

#include <stdlib.h>
#include <string.h>

/* XML::Simple matches \s on character strings, so Unicode's spaces count too. */
size_t xml_space_len(const char *p)
{
    const unsigned char *u = (const unsigned char *)p;

    switch (u[0]) {
    case ' ':
    case '\t':
    case '\n':
    case '\v':
    case '\f':
    case '\r':
        return 1;
    case 0xc2: /* U+0085, U+00A0 */
        return u[1] == 0x85 || u[1] == 0xa0 ? 2 : 0;
    case 0xe1: /* U+1680 */
        return u[1] == 0x9a && u[2] == 0x80 ? 3 : 0;
    case 0xe2: /* U+2000..U+200A, U+2028, U+2029, U+202F, U+205F */
        if (u[1] == 0x80 && (u[2] <= 0x8a || u[2] == 0xa8 || u[2] == 0xa9 || u[2] == 0xaf)) {
            return 3;
        }
        return u[1] == 0x81 && u[2] == 0x9f ? 3 : 0;
    case 0xe3: /* U+3000 */
        return u[1] == 0x80 && u[2] == 0x80 ? 3 : 0;
    default:
        return 0;
    }
}

bool xml_all_space(const char *s)
{
    size_t n;

    while (*s) {
        n = xml_space_len(s);
        if (!n) {
            return false;
        }
        s += n;
    }
    return true;
}

char *xml_normalise_space(const char *s)
{
    size_t len = strlen(s), o = 0, n;
    char *out = malloc(len + 1);
    const char *end = s + len;

    if (!out) {
        return NULL;
    }
    while (s < end && (n = xml_space_len(s))) {
        s += n;
    }
    while (s < end) {
        const char *run = s;
        unsigned count = 0;

        while (s < end && (n = xml_space_len(s))) {
            s += n;
            count++;
        }
        if (count == 0) {
            out[o++] = *s++;
        } else if (s == end) {
            break; /* trailing space goes */
        } else if (count == 1) {
            /* s/\s\s+/ /g leaves a lone space character as it was. */
            memcpy(out + o, run, (size_t)(s - run));
            o += (size_t)(s - run);
        } else {
            out[o++] = ' ';
        }
    }
    out[o] = '\0';
    return out;
}

static bool word_byte(unsigned char c, bool dots)
{
    /* Bytes of non-ASCII characters count as word characters, as letters mostly are. */
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c >= 0x80 || (dots && c == '.');
}

char *xml_expand_vars(const char *s, const json_t *vars, bool dots)
{
    size_t len = strlen(s), cap = len + 1, o = 0;
    char *out = malloc(cap);

    if (!out) {
        return NULL;
    }
    while (*s) {
        const char *name = s + 2, *e = name;
        const char *value = NULL;
        size_t vlen, take;

        while (s[0] == '$' && s[1] == '{' && word_byte((unsigned char)*e, dots)) {
            e++;
        }
        if (s[0] == '$' && s[1] == '{' && e > name && *e == '}') {
            char key[256];
            size_t klen = (size_t)(e - name);

            if (klen < sizeof key) {
                memcpy(key, name, klen);
                key[klen] = '\0';
                value = json_string_value(json_object_get(vars, key));
            }
        }
        /* An unknown variable stays as it was written. */
        take = value ? (size_t)(e + 1 - s) : 1;
        vlen = value ? strlen(value) : 1;
        if (o + vlen + 1 > cap) {
            char *bigger;

            cap = (o + vlen + 1) * 2;
            bigger = realloc(out, cap);
            if (!bigger) {
                free(out);
                return NULL;
            }
            out = bigger;
        }
        memcpy(out + o, value ? value : s, vlen);
        o += vlen;
        s += take;
    }
    out[o] = '\0';
    return out;
}
