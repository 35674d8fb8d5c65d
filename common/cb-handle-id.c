/* SPDX-License-Identifier: MIT */
/* Ids of child handles (statements, worksheets, formats) that name their parent, and the
 * check that a request names only its own uid's handles. */
#include "common/cb-session.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "common/cb-catalogue.h"

int cb_child_id_make(const char *parent_id,
                     const char *parent_prefix,
                     const char *child_prefix,
                     uint64_t m,
                     char *ret,
                     size_t size)
{
    size_t pre = strlen(parent_prefix) + 1;
    const char *rest = parent_id + pre;
    const char *n = strrchr(parent_id, '-');

    if (strncmp(parent_id, parent_prefix, pre - 1) != 0 || parent_id[pre - 1] != '-' || !n ||
        n < rest) {
        return -EINVAL;
    }
    if ((size_t)snprintf(ret, size, "%s-%s-%.*s-%" PRIx64, child_prefix, n + 1, (int)(n - rest),
                         rest, m) >= size) {
        return -ENAMETOOLONG;
    }
    return 0;
}

int cb_child_id_parent(const char *child_id,
                       const char *child_prefix,
                       const char *parent_prefix,
                       char *ret,
                       size_t size)
{
    size_t pre = strlen(child_prefix) + 1;
    const char *n, *rest, *last;

    if (strncmp(child_id, child_prefix, pre - 1) != 0 || child_id[pre - 1] != '-') {
        return -EINVAL;
    }
    n = child_id + pre;
    rest = strchr(n, '-');
    last = strrchr(child_id, '-');
    if (!rest || !last || last <= rest) {
        return -EINVAL;
    }
    if ((size_t)snprintf(ret, size, "%s-%.*s-%.*s", parent_prefix, (int)(last - rest - 1), rest + 1,
                         (int)(rest - n), n) >= size) {
        return -ENAMETOOLONG;
    }
    return 0;
}

int cb_check_handles_owned(const struct cb_function *f,
                           json_t *params,
                           uid_t uid,
                           struct cb_error *reterr)
{
    for (size_t i = 0; i < f->n_params; i++) {
        json_t *v;
        uid_t owner;
        char boot[9];

        if (f->params[i].type != CB_TYPE_HANDLE) {
            continue;
        }
        v = json_object_get(params, f->params[i].name);
        if (json_is_string(v) && cb_handle_id_parse(json_string_value(v), &owner, boot) >= 0 &&
            owner != uid) {
            return cb_error_set(reterr, CB_E_HANDLE,
                                "parameter '%s' names a handle of another user", f->params[i].name);
        }
    }
    return 0;
}
