/* SPDX-License-Identifier: MIT */
/* Loading cpan-bridge.conf and its drop-ins into struct cb_config. */
#include "common/cb-config.h"

#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cb-config-internal.h"
#include "common/cb-log.h"

struct cb_config *cb_config_new_default(void)
{
    struct cb_config *c = calloc(1, sizeof *c);

    if (!c) {
        return NULL;
    }
    *c = (struct cb_config){
        .allowed_users = cb_strv_split("root", " ,"),
        .allowed_groups = cb_strv_split(CB_CLIENTS_GROUP, " ,"),
        .administrators = cb_strv_split("root", " ,"),
        .limits = CB_LIMITS_DEFAULT,
        .frame_stall_ms = 30000,
        .max_connections_per_uid = 256,
        .max_inflight_per_uid = 256,
        .max_requests_per_second = 50000,
        .request_burst = 100000,
        .max_buffered_per_uid = 64u * 1024u * 1024u,
        .max_handles_per_uid = 1024,
        .runtime_dir = strdup(CB_RUNTIME_DIR_DEFAULT),
        .socket_path = strdup(CB_RUNTIME_DIR_DEFAULT "/cpan-bridge.sock"),
        .activator = strdup("systemd"),
        .launcher_socket = NULL,
        .instance_uid_min = 1000,
        .instance_uid_max = 60000,
        .connect_timeout_ms = 10000,
        .grace_seconds = 600,
        .idle_exit_seconds = 60,
        .workers_min = 2,
        .workers_max = 64,
        .stall_seconds = 300,
        .request_log_sample = 0,
        .test_max_sleep_ms = 10000,
        .memory_warn_mb = 500,
        .memory_fail_mb = 1000,
        .cpu_warn_percent = 80,
        .cpu_fail_percent = 95,
        .requests_per_minute_warn = 3000000,
        .concurrent_warn = 200,
        .stale_seconds = 300,
        .db_max_statements = 256,
        .smtp_host = strdup("localhost"),
        .smtp_port = 25,
        .crypto_fips = strdup("auto"),
        .xml_max_document = 64ULL << 20,
    };
    return c;
}

struct cb_config *cb_config_free(struct cb_config *c)
{
    if (!c) {
        return NULL;
    }
    free(c->path);
    cb_strv_free(c->allowed_users);
    cb_strv_free(c->allowed_groups);
    cb_strv_free(c->administrators);
    free(c->runtime_dir);
    free(c->socket_path);
    free(c->activator);
    free(c->launcher_socket);
    cb_strv_free(c->path_roots);
    for (size_t i = 0; i < c->n_module_rules; i++) {
        free(c->module_rules[i].module);
        cb_strv_free(c->module_rules[i].principals);
    }
    free(c->module_rules);
    for (size_t i = 0; i < c->n_dsn_aliases; i++) {
        free(c->dsn_aliases[i].key);
        free(c->dsn_aliases[i].value);
    }
    free(c->dsn_aliases);
    free(c->smtp_host);
    free(c->crypto_fips);
    free(c->ssh_known_hosts);
    free(c);
    return NULL;
}

int cb_config_set_module_rule(struct cb_config *c, const char *module, const char *principals)
{
    struct cb_module_rule *grown;
    char **list = cb_strv_split(principals, " ,\t");

    if (!list) {
        return -ENOMEM;
    }
    for (size_t i = 0; i < c->n_module_rules; i++) {
        if (strcmp(c->module_rules[i].module, module) == 0) {
            cb_strv_free(c->module_rules[i].principals);
            c->module_rules[i].principals = list;
            return 0;
        }
    }
    grown = realloc(c->module_rules, (c->n_module_rules + 1) * sizeof *grown);
    if (!grown) {
        cb_strv_free(list);
        return -ENOMEM;
    }
    c->module_rules = grown;
    c->module_rules[c->n_module_rules] = (struct cb_module_rule){ .module = strdup(module),
                                                                  .principals = list };
    if (!c->module_rules[c->n_module_rules].module) {
        cb_strv_free(list);
        return -ENOMEM;
    }
    c->n_module_rules++;
    return 0;
}

int cb_config_add_dsn_alias(struct cb_config *c, const char *pattern, const char *dsn)
{
    struct cb_config_pair *grown;
    struct cb_config_pair p = { .key = strdup(pattern), .value = strdup(dsn) };

    if (!p.key || !p.value) {
        goto oom;
    }
    grown = reallocarray(c->dsn_aliases, c->n_dsn_aliases + 1, sizeof *grown);
    if (!grown) {
        goto oom;
    }
    c->dsn_aliases = grown;
    c->dsn_aliases[c->n_dsn_aliases++] = p;
    return 0;
oom:
    free(p.key);
    free(p.value);
    return -ENOMEM;
}

const char *cb_config_dsn_alias(const struct cb_config *c, const char *dsn)
{
    /* The first matching line wins, so the more specific names go first. */
    for (size_t i = 0; i < c->n_dsn_aliases; i++) {
        if (fnmatch(c->dsn_aliases[i].key, dsn, 0) == 0) {
            return c->dsn_aliases[i].value;
        }
    }
    return NULL;
}

const struct cb_module_rule *cb_config_module_rule(const struct cb_config *c, const char *module)
{
    for (size_t i = 0; i < c->n_module_rules; i++) {
        if (strcmp(c->module_rules[i].module, module) == 0) {
            return &c->module_rules[i];
        }
    }
    return NULL;
}

static int dropin_filter(const struct dirent *d)
{
    size_t n = strlen(d->d_name);

    return d->d_name[0] != '.' && n > 5 && strcmp(d->d_name + n - 5, ".conf") == 0;
}

static int load_dropins(struct cb_config *c, const char *path, char **reterr)
{
    struct dirent **entries = NULL;
    char *dir = NULL;
    int n, r = 0;

    /* cpan-bridge.conf -> cpan-bridge.conf.d/, read in lexical order so 50- overrides 10-. */
    if (asprintf(&dir, "%s.d", path) < 0) {
        return -ENOMEM;
    }
    n = scandir(dir, &entries, dropin_filter, alphasort);
    for (int i = 0; i < n; i++) {
        char *file = NULL;

        if (r >= 0 && asprintf(&file, "%s/%s", dir, entries[i]->d_name) >= 0) {
            r = cb_config_parse_file(c, file, reterr);
        }
        free(file);
        free(entries[i]);
    }
    free(entries);
    free(dir);
    return r;
}

static int finish(struct cb_config *c, char **reterr)
{
    if (c->instance_uid_min > c->instance_uid_max) {
        return asprintf(reterr, "[router] instance_uid_min is above instance_uid_max") < 0
                       ? -ENOMEM
                       : -EINVAL;
    }
    if (strcmp(c->crypto_fips, "auto") != 0 && strcmp(c->crypto_fips, "yes") != 0 &&
        strcmp(c->crypto_fips, "no") != 0) {
        return asprintf(reterr, "[crypto] fips must be auto, yes or no") < 0 ? -ENOMEM : -EINVAL;
    }
    if (c->workers_min == 0 || c->workers_min > c->workers_max) {
        return asprintf(reterr, "[workers] needs 1 <= min_threads <= max_threads") < 0 ? -ENOMEM
                                                                                       : -EINVAL;
    }
    return 0;
}

int cb_config_load(const char *path, struct cb_config **ret, char **reterr)
{
    struct cb_config *c;
    bool named = path != NULL;
    int r;

    *reterr = NULL;
    if (!path) {
        path = getenv("CPAN_BRIDGE_CONFIG");
        named = path && *path;
    }
    if (!path || !*path) {
        path = CB_CONFIG_DEFAULT_PATH;
    }

    c = cb_config_new_default();
    if (!c) {
        return -ENOMEM;
    }

    r = cb_config_parse_file(c, path, reterr);
    if (r == -ENOENT && !named) {
        r = 0; /* no file at all: every default works */
    } else if (r == -ENOENT) {
        free(*reterr);
        r = asprintf(reterr, "%s: configuration file not found", path) < 0 ? -ENOMEM : -ENOENT;
    } else if (r >= 0) {
        c->path = strdup(path);
    }
    if (r >= 0) {
        r = load_dropins(c, path, reterr);
    }
    if (r >= 0) {
        r = finish(c, reterr);
    }
    if (r < 0) {
        cb_config_free(c);
        return r;
    }

    *ret = c;
    return 0;
}

static bool name_in(char *const *list, const char *name)
{
    for (; list && *list; list++) {
        if (strcmp(*list, name) == 0) {
            return true;
        }
    }
    return false;
}

static bool uid_in(char *const *list, uid_t uid)
{
    char buf[32];
    struct passwd pw, *res = NULL;
    char pwbuf[4096];

    snprintf(buf, sizeof buf, "%u", (unsigned)uid);
    if (name_in(list, buf)) {
        return true;
    }
    if (getpwuid_r(uid, &pw, pwbuf, sizeof pwbuf, &res) == 0 && res) {
        return name_in(list, res->pw_name);
    }
    return false;
}

static bool gid_in(char *const *list, gid_t gid)
{
    char buf[32];
    struct group gr, *res = NULL;
    char grbuf[8192];

    snprintf(buf, sizeof buf, "%u", (unsigned)gid);
    if (name_in(list, buf)) {
        return true;
    }
    if (getgrgid_r(gid, &gr, grbuf, sizeof grbuf, &res) == 0 && res) {
        return name_in(list, res->gr_name);
    }
    return false;
}

bool cb_config_caller_allowed(const struct cb_config *c, uid_t uid, const gid_t *groups, size_t n)
{
    if (uid == 0 || uid_in(c->allowed_users, uid)) {
        return true;
    }
    for (size_t i = 0; i < n; i++) {
        if (gid_in(c->allowed_groups, groups[i])) {
            return true;
        }
    }
    return false;
}

bool cb_config_caller_is_admin(const struct cb_config *c, uid_t uid)
{
    return uid == 0 || uid_in(c->administrators, uid);
}
