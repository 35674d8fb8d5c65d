/* SPDX-License-Identifier: MIT */
/* NULL-terminated string lists, as the configuration's list values use them. */
#include "common/cb-config.h"

#include <stdlib.h>
#include <string.h>

char **cb_strv_split(const char *s, const char *separators)
{
    size_t n = 0, cap = 4;
    char **v = calloc(cap + 1, sizeof *v);

    if (!v) {
        return NULL;
    }
    while (s && *s) {
        size_t skip = strspn(s, separators);
        size_t len;

        s += skip;
        len = strcspn(s, separators);
        if (len == 0) {
            break;
        }
        if (n == cap) {
            char **grown = realloc(v, (2 * cap + 1) * sizeof *v);

            if (!grown) {
                cb_strv_free(v);
                return NULL;
            }
            v = grown;
            cap *= 2;
        }
        v[n++] = strndup(s, len);
        v[n] = NULL;
        s += len;
    }
    return v;
}

void cb_strv_free(char **v)
{
    for (char **p = v; p && *p; p++) {
        free(*p);
    }
    free(v);
}

size_t cb_strv_length(char *const *v)
{
    size_t n = 0;

    while (v && v[n]) {
        n++;
    }
    return n;
}
