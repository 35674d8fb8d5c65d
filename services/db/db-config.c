/* SPDX-License-Identifier: MIT */
/*
 * DSNs: taking a DBI DSN apart, hiding its password, and mapping it through the
 * configuration's [dsn_aliases] (DESIGN.md "Configuration"), which common/cb-config reads
 * with the rest of the file, so a reload applies them and a bad file is refused whole.
 */
#include "services/db/db-internal.h"

#include <ctype.h>
#include <errno.h>
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
    const char *p = dsn, *driver_end;

    if (!out) {
        return NULL;
    }
    /* "dbi:Pg:" is not part of the first key: "dbi:Pg:password=x;dbname=y" must lose it too. */
    if (strncasecmp(p, "dbi:", 4) == 0 && (driver_end = strchr(p + 4, ':'))) {
        memcpy(o, p, (size_t)(driver_end + 1 - p));
        o += driver_end + 1 - p;
        p = driver_end + 1;
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

static bool driver_known(const char *dsn)
{
    return strncasecmp(dsn, "dbi:Pg:", 7) == 0 || strncasecmp(dsn, "dbi:SQLite:", 11) == 0;
}

int db_dsn_resolve(const struct cb_config *config, const char *dsn, char **ret, struct cb_error *err)
{
    const char *alias = config ? cb_config_dsn_alias(config, dsn) : NULL;
    CB_CLEANUP(cb_freep) char *shown = NULL;
    struct db_dsn parsed = { 0 };
    int r;

    if (alias) {
        if (!driver_known(alias)) {
            return cb_error_set(
                    err, CB_E_INTERNAL,
                    "the DSN alias for '%s' in [dsn_aliases] does not map it to dbi:Pg: or dbi:SQLite:",
                    dsn);
        }
        *ret = strdup(alias);
        return *ret ? 0 : cb_error_set(err, CB_E_INTERNAL, "out of memory");
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
