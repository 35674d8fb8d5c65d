/* SPDX-License-Identifier: MIT */
/* database.connect, connect_cached, disconnect and ping. */
#include "services/db/db-internal.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/cb-log.h"

static const struct db_driver *driver_for(const struct db_dsn *dsn)
{
    if (strcasecmp(dsn->driver, "Pg") == 0) {
        return &db_driver_pg;
    }
    if (strcasecmp(dsn->driver, "SQLite") == 0) {
        return &db_driver_sqlite;
    }
    return NULL;
}

/* DBI's AutoCommit attribute: on unless options says 0 or false. */
static bool option_autocommit(const json_t *params)
{
    json_t *v = json_object_get(json_object_get(params, "options"), "AutoCommit");

    if (json_is_boolean(v)) {
        return json_is_true(v);
    }
    if (json_is_integer(v)) {
        return json_integer_value(v) != 0;
    }
    if (json_is_string(v)) {
        const char *s = json_string_value(v);

        return !(strcmp(s, "0") == 0 || strcmp(s, "") == 0 || strcasecmp(s, "false") == 0);
    }
    return true;
}

/* The password leaves our memory as soon as the driver has it (API.md 1.2, type secret). */
static void wipe_password(json_t *params)
{
    json_t *pw = json_object_get(params, "password");

    if (json_is_string(pw)) {
        explicit_bzero((char *)json_string_value(pw), json_string_length(pw));
    }
}

static struct db_conn *conn_new(struct cb_call *call, const struct db_driver *drv, const char *dsn)
{
    struct db_conn *c = calloc(1, sizeof *c);

    if (!c) {
        return NULL;
    }
    c->drv = drv;
    pthread_mutex_init(&c->cancel_lock, NULL);
    c->dsn_shown = db_dsn_shown(dsn);
    c->username = strdup(cb_json_get_string(call->params, "username", ""));
    c->auth_mode = strdup(cb_json_get_string(call->params, "auth_mode", "auto"));
    c->autocommit = option_autocommit(call->params);
    c->max_statements = call->config->db_max_statements;
    c->by_sql = cb_hashmap_new();
    c->by_id = cb_hashmap_new();
    if (!c->dsn_shown || !c->username || !c->auth_mode || !c->by_sql || !c->by_id) {
        db_conn_free(c);
        return NULL;
    }
    return c;
}

static int open_conn(struct cb_call *call, struct db_conn **ret, struct cb_error *err)
{
    const char *given = cb_json_get_string(call->params, "dsn", "");
    const char *password = cb_json_get_string(call->params, "password", "");
    CB_CLEANUP(cb_freep) char *resolved = NULL;
    struct db_dsn dsn = { 0 };
    const struct db_driver *drv;
    struct db_conn *c;
    int r;

    r = db_dsn_resolve(call->config, given, &resolved, err);
    if (r < 0) {
        return r;
    }
    r = db_dsn_parse(resolved, &dsn, err);
    if (r < 0) {
        return r;
    }
    drv = driver_for(&dsn);
    c = drv ? conn_new(call, drv, given) : NULL;
    if (!c) {
        db_dsn_done(&dsn);
        return cb_error_set(err, CB_E_INTERNAL, "out of memory opening a connection");
    }
    c->config = call->config;
    r = drv->open(c, &dsn, c->username, password, err);
    c->config = NULL;
    db_dsn_done(&dsn);
    wipe_password(call->params);
    if (r < 0) {
        cb_log_info("database.connect to '%s' failed: %s", c->dsn_shown,
                    err->message ? err->message : "");
        db_conn_free(c);
        return r;
    }
    /* Autocommit off means a transaction is open from the start, as with DBI. */
    r = db_autocommit_begin(c, err);
    if (r < 0) {
        db_conn_free(c);
        return r;
    }
    *ret = c;
    return 0;
}

static json_t *connect_result(const struct db_conn *c)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:b, s:s}", "connection_id", c->id, "driver",
                     c->drv->name, "db_type", c->drv->db_type, "auth_mode", c->auth_mode,
                     "autocommit", c->autocommit, "server_version",
                     c->drv->server_version((struct db_conn *)c));
}

static int connect_new(struct cb_call *call, struct db_conn **ret, struct cb_error *err)
{
    struct db_conn *c = NULL;
    const char *id;
    int r;

    r = open_conn(call, &c, err);
    if (r < 0) {
        return r;
    }
    r = cb_handle_create(call->registry, call->session, DB_CONN_KIND, DB_CONN_PREFIX, c,
                         db_conn_free, &id, err);
    if (r < 0) {
        db_conn_free(c);
        return r;
    }
    snprintf(c->id, sizeof c->id, "%s", id);
    *ret = c;
    return 0;
}

int db_connect(struct cb_call *call, json_t **ret, struct cb_error *err)
{
    struct db_conn *c;
    int r;

    r = connect_new(call, &c, err);
    if (r < 0) {
        return r;
    }
    /* The handle is live and another session could use it by id: read it under its lock. */
    *ret = connect_result(c);
    return 0;
}

static struct db_cached *cached_find(struct cb_call *call)
{
    struct db_session *ds = call->session->family_data;
    const char *dsn = cb_json_get_string(call->params, "dsn", "");
    const char *user = cb_json_get_string(call->params, "username", "");

    for (size_t i = 0; ds && i < ds->n_cached; i++) {
        struct db_cached *e = &ds->cached[i];

        if (strcmp(e->dsn, dsn) == 0 && strcmp(e->username, user) == 0) {
            return e;
        }
    }
    return NULL;
}

static int cached_remember(struct cb_call *call, const struct db_conn *c)
{
    struct db_session *ds = call->session->family_data;
    struct db_cached *grown, *e;

    if (!ds) {
        return 0;
    }
    grown = reallocarray(ds->cached, ds->n_cached + 1, sizeof *grown);
    if (!grown) {
        return -ENOMEM;
    }
    ds->cached = grown;
    e = &ds->cached[ds->n_cached];
    e->dsn = strdup(cb_json_get_string(call->params, "dsn", ""));
    e->username = strdup(c->username);
    snprintf(e->id, sizeof e->id, "%s", c->id);
    if (!e->dsn || !e->username) {
        free(e->dsn);
        free(e->username);
        return -ENOMEM;
    }
    ds->n_cached++;
    return 0;
}

static int reuse_cached(struct cb_call *call, struct db_cached *e, json_t **ret)
{
    struct cb_error ignored = CB_ERROR_INIT;
    struct cb_handle *h;
    struct db_conn *c;
    bool alive = false;

    if (cb_handle_acquire(call->registry, call->session, DB_CONN_KIND, e->id, &h, &ignored) < 0) {
        cb_error_clear(&ignored);
        return -ENOENT;
    }
    c = h->object;
    if (c->drv->ping(c, &alive) < 0 || !alive) {
        cb_handle_release(call->registry, h);
        return -ENOENT;
    }
    /* DBI's connect_cached hands back the connection: later calls without an id use it. */
    cb_handle_make_current(call->registry, call->session, h);
    *ret = connect_result(c);
    json_object_set_new(*ret, "cached", json_true());
    cb_handle_release(call->registry, h);
    wipe_password(call->params);
    return 0;
}

int db_connect_cached(struct cb_call *call, json_t **ret, struct cb_error *err)
{
    struct db_cached *e = cached_find(call);
    struct db_conn *c;
    int r;

    if (e && reuse_cached(call, e, ret) == 0) {
        return 0;
    }
    r = connect_new(call, &c, err);
    if (r < 0) {
        return r;
    }
    if (e) {
        snprintf(e->id, sizeof e->id, "%s", c->id);
    } else if (cached_remember(call, c) < 0) {
        cb_log_warning("connect_cached could not remember connection '%s', ignoring", c->id);
    }
    *ret = connect_result(c);
    json_object_set_new(*ret, "cached", json_false());
    return 0;
}

int db_disconnect(struct cb_call *call, json_t **ret, struct cb_error *err)
{
    struct cb_handle *h;
    struct db_conn *c;
    int r;

    r = db_acquire_conn(call, NULL, &h, err);
    if (r < 0) {
        return r;
    }
    c = h->object;
    *ret = json_pack("{s:s, s:b}", "connection_id", c->id, "disconnected", 1);
    /* Ending the handle frees the connection, which rolls back what is open. */
    db_end_conn(call, h, "disconnected by database.disconnect");
    return 0;
}

int db_ping(struct cb_call *call, json_t **ret, struct cb_error *err)
{
    struct cb_handle *h;
    struct db_conn *c;
    bool alive = false;
    int r;

    r = db_acquire_conn(call, NULL, &h, err);
    if (r < 0) {
        return r;
    }
    c = h->object;
    r = c->drv->ping(c, &alive);
    *ret = json_pack("{s:s, s:b}", "connection_id", c->id, "alive", r >= 0 && alive);
    db_release_conn(call, h);
    return 0;
}
