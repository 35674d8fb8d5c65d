/* SPDX-License-Identifier: MIT */
/*
 * DSNs: taking a DBI DSN apart, hiding its password, and the configuration's DSN aliases
 * (DESIGN.md "Configuration"). The aliases are read from the daemon's own configuration file
 * and its drop-ins, section [dsn_aliases], one `pattern = dsn` per line; a pattern may use
 * shell wildcards (dbi:Oracle:test*). [database] max_statements bounds each connection's
 * statements. common/cb-config skips both sections; this file reads them itself.
 */
#include "services/db/db-internal.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cb-log.h"

static char *strip(char *s)
{
    char *end;

    while (isspace((unsigned char)*s)) {
        s++;
    }
    end = s + strlen(s);
    while (end > s && isspace((unsigned char)end[-1])) {
        *--end = '\0';
    }
    return s;
}

void db_dsn_done(struct db_dsn *d)
{
    free(d->driver);
    for (size_t i = 0; i < d->n; i++) {
        free(d->keys[i]);
        free(d->values[i]);
    }
    free(d->keys);
    free(d->values);
    free(d->bare);
    *d = (struct db_dsn){ 0 };
}

static int dsn_add(struct db_dsn *d, const char *key, size_t klen, const char *value)
{
    char **k = reallocarray(d->keys, d->n + 1, sizeof *k);
    char **v;

    if (!k) {
        return -ENOMEM;
    }
    d->keys = k;
    v = reallocarray(d->values, d->n + 1, sizeof *v);
    if (!v) {
        return -ENOMEM;
    }
    d->values = v;
    d->keys[d->n] = strndup(key, klen);
    d->values[d->n] = strdup(value);
    if (!d->keys[d->n] || !d->values[d->n]) {
        free(d->keys[d->n]);
        free(d->values[d->n]);
        return -ENOMEM;
    }
    d->n++;
    return 0;
}

/* "k1=v1;k2=v2" (DBI's own separators; a value cannot hold ';'). */
static int dsn_parse_pairs(struct db_dsn *d, char *rest)
{
    char *save = NULL;

    for (char *part = strtok_r(rest, ";", &save); part; part = strtok_r(NULL, ";", &save)) {
        char *eq = strchr(part, '=');
        char *key;
        int r;

        if (!eq) {
            if (d->bare || !*strip(part)) {
                continue;
            }
            d->bare = strdup(strip(part));
            if (!d->bare) {
                return -ENOMEM;
            }
            continue;
        }
        *eq = '\0';
        key = strip(part);
        r = dsn_add(d, key, strlen(key), strip(eq + 1));
        if (r < 0) {
            return r;
        }
    }
    return 0;
}

int db_dsn_parse(const char *text, struct db_dsn *ret, struct cb_error *err)
{
    CB_CLEANUP(cb_freep) char *copy = strdup(text);
    struct db_dsn d = { 0 };
    char *driver, *rest;
    int r;

    if (!copy) {
        return cb_error_set(err, CB_E_INTERNAL, "out of memory");
    }
    if (strncasecmp(copy, "dbi:", 4) != 0 || !(rest = strchr(copy + 4, ':'))) {
        return cb_error_set(err, CB_E_INVALID_PARAM,
                            "parameter 'dsn' is not a DBI DSN (dbi:Driver:attributes)");
    }
    *rest++ = '\0';
    driver = copy + 4;
    d.driver = strdup(driver);
    r = d.driver ? dsn_parse_pairs(&d, rest) : -ENOMEM;
    if (r < 0) {
        db_dsn_done(&d);
        return cb_error_set(err, CB_E_INTERNAL, "out of memory");
    }
    *ret = d;
    return 0;
}

const char *db_dsn_get(const struct db_dsn *d, const char *key)
{
    for (size_t i = 0; i < d->n; i++) {
        if (strcasecmp(d->keys[i], key) == 0) {
            return d->values[i];
        }
    }
    return NULL;
}

char *db_dsn_shown(const char *dsn)
{
    char *out = malloc(strlen(dsn) + 1), *o = out;
    const char *p = dsn;

    if (!out) {
        return NULL;
    }
    while (*p) {
        const char *end = strchr(p, ';');
        size_t n = end ? (size_t)(end - p) + 1 : strlen(p);
        const char *k = p;

        while (k < p + n && isspace((unsigned char)*k)) {
            k++;
        }
        /* DBD::Pg accepts password= inside the DSN; it must never be shown. */
        if (strncasecmp(k, "password", 8) != 0 && strncasecmp(k, "pass=", 5) != 0) {
            memcpy(o, p, n);
            o += n;
        }
        p += n;
    }
    *o = '\0';
    return out;
}

struct alias_search {
    const char *dsn;
    char *found;
    unsigned max_statements;
};

static void apply_line(struct alias_search *a, const char *section, char *line)
{
    char *eq = strchr(line, '='), *key, *value;

    if (!eq) {
        return;
    }
    *eq = '\0';
    key = strip(line);
    value = strip(eq + 1);
    if (strcmp(section, "dsn_aliases") == 0 && a->dsn && fnmatch(key, a->dsn, 0) == 0) {
        /* The first matching line wins, as the more specific names come first. */
        if (!a->found) {
            a->found = strdup(value);
        }
    } else if (strcmp(section, "database") == 0 && strcmp(key, "max_statements") == 0) {
        unsigned long v = strtoul(value, NULL, 10);

        if (v >= 1 && v <= 100000) {
            a->max_statements = (unsigned)v;
        }
    }
}

static void read_file(struct alias_search *a, const char *path)
{
    char section[64] = "", *line = NULL;
    size_t cap = 0;
    FILE *f = fopen(path, "re");

    if (!f) {
        return;
    }
    while (getline(&line, &cap, f) >= 0) {
        char *s = strip(line);

        if (*s == '[') {
            char *close = strchr(s, ']');

            if (close) {
                *close = '\0';
                snprintf(section, sizeof section, "%s", strip(s + 1));
            }
        } else if (*s && *s != '#' && *s != ';') {
            apply_line(a, section, s);
        }
    }
    free(line);
    fclose(f);
}

static int name_cmp(const void *x, const void *y)
{
    return strcmp(*(char *const *)x, *(char *const *)y);
}

/* The file, then cpan-bridge.conf.d/NAME.conf in lexical order, as common/cb-config reads. */
static void read_config(struct alias_search *a, const char *path)
{
    CB_CLEANUP(cb_freep) char *dir = NULL;
    char **names = NULL;
    size_t n = 0;
    struct dirent *e;
    DIR *d;

    read_file(a, path);
    if (asprintf(&dir, "%s.d", path) < 0 || !(d = opendir(dir))) {
        return;
    }
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        char **grown;

        if (len < 6 || strcmp(e->d_name + len - 5, ".conf") != 0 || e->d_name[0] == '.') {
            continue;
        }
        grown = reallocarray(names, n + 1, sizeof *names);
        if (!grown) {
            break;
        }
        names = grown;
        names[n] = strdup(e->d_name);
        if (names[n]) {
            n++;
        }
    }
    closedir(d);
    qsort(names, n, sizeof *names, name_cmp);
    for (size_t i = 0; i < n; i++) {
        CB_CLEANUP(cb_freep) char *p = NULL;

        if (asprintf(&p, "%s/%s", dir, names[i]) >= 0) {
            read_file(a, p);
        }
        free(names[i]);
    }
    free(names);
}

static bool driver_known(const char *dsn)
{
    return strncasecmp(dsn, "dbi:Pg:", 7) == 0 || strncasecmp(dsn, "dbi:SQLite:", 11) == 0;
}

int db_dsn_resolve(const struct cb_config *config, const char *dsn, char **ret, struct cb_error *err)
{
    struct alias_search a = { .dsn = dsn };
    CB_CLEANUP(cb_freep) char *shown = NULL;
    struct db_dsn parsed = { 0 };
    int r;

    if (config && config->path) {
        read_config(&a, config->path);
    }
    if (a.found) {
        if (!driver_known(a.found)) {
            free(a.found);
            return cb_error_set(
                    err, CB_E_INTERNAL,
                    "the DSN alias for '%s' in [dsn_aliases] does not map it to dbi:Pg: or dbi:SQLite:",
                    dsn);
        }
        *ret = a.found;
        return 0;
    }
    if (driver_known(dsn)) {
        *ret = strdup(dsn);
        return *ret ? 0 : cb_error_set(err, CB_E_INTERNAL, "out of memory");
    }

    r = db_dsn_parse(dsn, &parsed, err);
    if (r < 0) {
        return r;
    }
    shown = db_dsn_shown(dsn);
    r = cb_error_set_backend(
            err, "NO_DRIVER", "no such driver",
            "there is no %s driver in cpan-bridge (only Pg and SQLite); map '%s' to a PostgreSQL or SQLite DSN in the configuration, section [dsn_aliases]: '%s = dbi:Pg:dbname=...'",
            parsed.driver, shown ? shown : "", shown ? shown : "");
    db_dsn_done(&parsed);
    return r;
}

unsigned db_config_max_statements(const struct cb_config *config)
{
    struct alias_search a = { .max_statements = DB_MAX_STATEMENTS };

    if (config && config->path) {
        read_config(&a, config->path);
    }
    return a.max_statements;
}
