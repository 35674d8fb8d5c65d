/* SPDX-License-Identifier: MIT */
/* [access] resolved to uids and gids once, so that checking a caller never waits on NSS. */
#include "services/router/router-internal.h"

#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>

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

/* "@name" entries are groups, the others users. */
static int split_principals(char *const *all, char ***ret_users, char ***ret_groups)
{
    size_t n = cb_strv_length(all), nu = 0, ng = 0;
    char **users = calloc(n + 1, sizeof *users);
    char **groups = calloc(n + 1, sizeof *groups);

    if (!users || !groups) {
        free(users);
        free(groups);
        return -ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        if (all[i][0] == '@') {
            groups[ng++] = strdup(all[i] + 1);
        } else {
            users[nu++] = strdup(all[i]);
        }
    }
    *ret_users = users;
    *ret_groups = groups;
    return 0;
}

static int load_module_rule(struct router_module_access *m, const struct cb_module_rule *rule)
{
    char **users = NULL, **groups = NULL;
    int r;

    r = split_principals(rule->principals, &users, &groups);
    if (r < 0) {
        return r;
    }
    m->module = strdup(rule->module);
    r = m->module ? resolve_users(users, &m->uids, &m->n_uids) : -ENOMEM;
    if (r >= 0) {
        r = resolve_groups(groups, &m->gids, &m->n_gids);
    }
    cb_strv_free(users);
    cb_strv_free(groups);
    return r;
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
    if (r >= 0 && c->n_module_rules > 0) {
        a->modules = calloc(c->n_module_rules, sizeof *a->modules);
        r = a->modules ? 0 : -ENOMEM;
    }
    for (size_t i = 0; r >= 0 && i < c->n_module_rules; i++) {
        a->n_modules++;
        r = load_module_rule(&a->modules[i], &c->module_rules[i]);
    }
    return r;
}

void router_access_free(struct router_access *a)
{
    for (size_t i = 0; i < a->n_modules; i++) {
        free(a->modules[i].module);
        free(a->modules[i].uids);
        free(a->modules[i].gids);
    }
    free(a->modules);
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

static bool id_listed(const uid_t *ids, size_t n, uid_t id)
{
    for (size_t i = 0; i < n; i++) {
        if (ids[i] == id) {
            return true;
        }
    }
    return false;
}

bool router_access_module_allowed(const struct router_access *a,
                                  const char *module,
                                  uid_t uid,
                                  const gid_t *groups,
                                  size_t n_groups)
{
    for (size_t i = 0; i < a->n_modules; i++) {
        const struct router_module_access *m = &a->modules[i];

        if (strcmp(m->module, module) != 0) {
            continue;
        }
        if (uid == 0 || id_listed(m->uids, m->n_uids, uid)) {
            return true;
        }
        for (size_t g = 0; g < n_groups; g++) {
            if (id_listed(m->gids, m->n_gids, groups[g])) {
                return true;
            }
        }
        return false;
    }
    return true; /* no rule: open to every allowed caller */
}
