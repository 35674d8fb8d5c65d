/* SPDX-License-Identifier: MIT */
/* [access] resolved to uids and gids once, so that checking a caller never waits on NSS. */
#include "services/router/router-internal.h"

#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>

#include "common/cb-log.h"

static bool parse_id(const char *s, unsigned long *ret)
{
    char *end;

    if (!isdigit((unsigned char)*s)) {
        return false;
    }
    *ret = strtoul(s, &end, 10);
    return *end == '\0';
}

static int resolve_users(char *const *names, uid_t **ret, size_t *ret_n)
{
    size_t n = 0, cap = cb_strv_length(names);
    uid_t *ids = calloc(cap + 1, sizeof *ids);

    if (!ids) {
        return -ENOMEM;
    }
    for (; names && *names; names++) {
        struct passwd *pw;
        unsigned long id;

        if (parse_id(*names, &id)) {
            ids[n++] = (uid_t)id;
        } else if ((pw = getpwnam(*names))) {
            ids[n++] = pw->pw_uid;
        } else {
            cb_log_warning("[access] names user '%s', which does not exist, ignoring", *names);
        }
    }
    *ret = ids;
    *ret_n = n;
    return 0;
}

static int resolve_groups(char *const *names, gid_t **ret, size_t *ret_n)
{
    size_t n = 0, cap = cb_strv_length(names);
    gid_t *ids = calloc(cap + 1, sizeof *ids);

    if (!ids) {
        return -ENOMEM;
    }
    for (; names && *names; names++) {
        struct group *gr;
        unsigned long id;

        if (parse_id(*names, &id)) {
            ids[n++] = (gid_t)id;
        } else if ((gr = getgrnam(*names))) {
            ids[n++] = gr->gr_gid;
        } else {
            /* The default clients group may simply not be created yet (no package installed). */
            cb_log_debug("[access] names group '%s', which does not exist", *names);
        }
    }
    *ret = ids;
    *ret_n = n;
    return 0;
}

int router_access_load(struct router_access *a, const struct cb_config *c)
{
    int r;

    r = resolve_users(c->allowed_users, &a->uids, &a->n_uids);
    if (r >= 0) {
        r = resolve_groups(c->allowed_groups, &a->gids, &a->n_gids);
    }
    if (r >= 0) {
        r = resolve_users(c->administrators, &a->admins, &a->n_admins);
    }
    return r;
}

void router_access_free(struct router_access *a)
{
    free(a->uids);
    free(a->gids);
    free(a->admins);
    *a = (struct router_access){ 0 };
}

bool router_access_allowed(const struct router_access *a,
                           uid_t uid,
                           const gid_t *groups,
                           size_t n_groups)
{
    if (uid == 0) {
        return true;
    }
    for (size_t i = 0; i < a->n_uids; i++) {
        if (a->uids[i] == uid) {
            return true;
        }
    }
    for (size_t g = 0; g < n_groups; g++) {
        for (size_t i = 0; i < a->n_gids; i++) {
            if (a->gids[i] == groups[g]) {
                return true;
            }
        }
    }
    return false;
}

bool router_access_is_admin(const struct router_access *a, uid_t uid)
{
    if (uid == 0) {
        return true;
    }
    for (size_t i = 0; i < a->n_admins; i++) {
        if (a->admins[i] == uid) {
            return true;
        }
    }
    return false;
}
