/* SPDX-License-Identifier: MIT */
/* cpan-bridgectl: JSON output that is safe on a terminal, and dotted-path field access. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/cb-buf.h"
#include "tools/cpan-bridgectl/ctl-internal.h"

int ctl_print_json(FILE *f, const json_t *v)
{
    const size_t flags = JSON_INDENT(2) | JSON_ENSURE_ASCII | JSON_ENCODE_ANY;
    CB_CLEANUP(cb_freep) char *text = json_dumps(v, flags);

    if (!text) {
        return -ENOMEM;
    }

    /*
     * JSON_ENSURE_ASCII escapes every byte above 0x7f and jansson always escapes C0 controls,
     * but DEL goes out raw. It can only occur inside a string, where \u007f means the same.
     */
    for (const char *p = text; *p; p++) {
        if (*p == 0x7f) {
            fputs("\\u007f", f);
        } else {
            fputc(*p, f);
        }
    }
    fputc('\n', f);
    return 0;
}

const json_t *ctl_get(const json_t *root, const char *path)
{
    const json_t *v = root;
    const char *p = path;

    while (v && *p) {
        const char *dot = strchr(p, '.');
        size_t n = dot ? (size_t)(dot - p) : strlen(p);

        if (!json_is_object(v)) {
            return NULL;
        }
        v = json_object_getn(v, p, n);
        p += n + (dot ? 1 : 0);
    }
    return json_is_null(v) ? NULL : v;
}

const json_t *ctl_first(const json_t *a, const json_t *b)
{
    if (a && !json_is_null(a)) {
        return a;
    }
    if (b && !json_is_null(b)) {
        return b;
    }
    return NULL;
}
