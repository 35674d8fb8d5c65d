/* SPDX-License-Identifier: MIT */
/*
 * Connections and their statements: the statement table of each connection (by id, by SQL
 * text for execute_statement's reuse, least recently used order for the bound of API.md
 * section 4), and finding the connection a call names.
 */
#include "services/db/db-internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cb-log.h"

static void lru_unlink(struct db_conn *c, struct db_stmt *s)
{
    if (s->lru_prev) {
        s->lru_prev->lru_next = s->lru_next;
    } else {
        c->lru_head = s->lru_next;
    }
    if (s->lru_next) {
        s->lru_next->lru_prev = s->lru_prev;
    } else {
        c->lru_tail = s->lru_prev;
    }
    s->lru_prev = s->lru_next = NULL;
}

static void lru_push(struct db_conn *c, struct db_stmt *s)
{
    s->lru_next = c->lru_head;
    s->lru_prev = NULL;
    if (c->lru_head) {
        c->lru_head->lru_prev = s;
    }
    c->lru_head = s;
    if (!c->lru_tail) {
        c->lru_tail = s;
    }
}

void db_stmt_touch(struct db_conn *c, struct db_stmt *s)
{
    if (c->lru_head != s) {
        lru_unlink(c, s);
        lru_push(c, s);
    }
}

static void stmt_free(struct db_conn *c, struct db_stmt *s)
{
    if (c->drv && s->drv) {
        c->drv->stmt_free(c, s);
    }
    json_decref(s->columns);
    json_decref(s->names);
    json_decref(s->peeked);
    db_last_error_clear(&s->error);
    free(s->sql);
    free(s);
}

static void remember_ended(struct db_conn *c, const char *id, const char *reason)
{
    struct db_ended *e = &c->ended[c->ended_next++ % DB_ENDED_MEMORY];

    free(e->reason);
    snprintf(e->id, sizeof e->id, "%s", id);
    e->reason = strdup(reason);
}

void db_stmt_end(struct db_conn *c, struct db_stmt *s, const char *reason)
{
    (void)cb_hashmap_remove(c->by_id, s->id);
    if (s->cached && cb_hashmap_get(c->by_sql, s->sql) == s) {
        (void)cb_hashmap_remove(c->by_sql, s->sql);
    }
    lru_unlink(c, s);
    c->n_stmts--;
    if (strcmp(c->current, s->id) == 0) {
        c->current[0] = '\0';
    }
    remember_ended(c, s->id, reason);
    stmt_free(c, s);
}

void db_conn_make_room(struct db_conn *c)
{
    char reason[160];

    snprintf(
            reason, sizeof reason,
            "it was finished because its connection keeps at most %u statements ([database] max_statements) and it was the least recently used",
            c->max_statements);
    while (c->n_stmts >= c->max_statements) {
        struct db_stmt *victim = c->lru_tail;

        /* A statement with an open cursor is never evicted: its rows are still wanted. */
        while (victim && victim->has_rows) {
            victim = victim->lru_prev;
        }
        if (!victim) {
            return;
        }
        db_stmt_end(c, victim, reason);
    }
}

/* db-c-<uid>-<run>-<n> gives db-s-<n>-<uid>-<run>-<m>: a statement names its connection. */
static int stmt_id_make(const struct db_conn *c, uint64_t m, char ret[DB_ID_MAX])
{
    return cb_child_id_make(c->id, DB_CONN_PREFIX, DB_STMT_PREFIX, m, ret, DB_ID_MAX);
}

int db_stmt_conn_id(const char *stmt_id, char ret[DB_ID_MAX])
{
    return cb_child_id_parent(stmt_id, DB_STMT_PREFIX, DB_CONN_PREFIX, ret, DB_ID_MAX);
}

struct db_stmt *db_stmt_new(struct db_conn *c, const char *sql, bool cached)
{
    struct db_stmt *s;

    db_conn_make_room(c);
    s = calloc(1, sizeof *s);
    if (!s) {
        return NULL;
    }
    s->conn = c;
    s->sql = strdup(sql);
    s->type = db_sql_classify(sql);
    s->outer_join = db_sql_has_outer_join(sql);
    s->cached = cached;
    s->rows_affected = -1;
    if (!s->sql || stmt_id_make(c, ++c->next_stmt, s->id) < 0 ||
        cb_hashmap_put(c->by_id, s->id, s) < 0) {
        free(s->sql);
        free(s);
        return NULL;
    }
    if (cached && cb_hashmap_put(c->by_sql, s->sql, s) < 0) {
        (void)cb_hashmap_remove(c->by_id, s->id);
        free(s->sql);
        free(s);
        return NULL;
    }
    lru_push(c, s);
    c->n_stmts++;
    return s;
}

int db_stmt_find(struct db_conn *c, const char *id, struct db_stmt **ret, struct cb_error *err)
{
    struct db_stmt *s;

    if (!id) {
        if (!c->current[0]) {
            return cb_error_set(
                    err, CB_E_HANDLE,
                    "no current statement on connection '%s'; call database.prepare or execute_statement with sql first",
                    c->id);
        }
        id = c->current;
    }
    s = cb_hashmap_get(c->by_id, id);
    if (s) {
        *ret = s;
        return 0;
    }
    for (size_t i = 0; i < DB_ENDED_MEMORY; i++) {
        if (c->ended[i].reason && strcmp(c->ended[i].id, id) == 0) {
            return cb_error_set(err, CB_E_HANDLE, "statement '%s' has ended: %s", id,
                                c->ended[i].reason);
        }
    }
    return cb_error_set(err, CB_E_HANDLE, "unknown statement '%s' on connection '%s'", id, c->id);
}

void db_conn_forget_rows(struct db_conn *c)
{
    for (struct db_stmt *s = c->lru_head; s; s = s->lru_next) {
        s->has_rows = false;
    }
}

void db_conn_free(void *object)
{
    struct db_conn *c = object;

    if (!c) {
        return;
    }
    while (c->lru_head) {
        struct db_stmt *s = c->lru_head;

        lru_unlink(c, s);
        stmt_free(c, s);
    }
    /* Closing rolls back an open transaction: the server or SQLite discards it. */
    if (c->drv && c->drv_conn) {
        c->drv->close(c);
    }
    for (size_t i = 0; i < DB_ENDED_MEMORY; i++) {
        free(c->ended[i].reason);
    }
    cb_hashmap_free(c->by_sql);
    cb_hashmap_free(c->by_id);
    pthread_mutex_destroy(&c->cancel_lock);
    db_last_error_clear(&c->error);
    free(c->dsn_shown);
    free(c->username);
    free(c->auth_mode);
    free(c);
}

static void set_running(struct cb_call *call, struct db_conn *c)
{
    struct db_session *s = call->session->family_data;

    pthread_mutex_lock(&s->lock);
    s->running = c;
    pthread_mutex_unlock(&s->lock);
}

int db_acquire_conn(struct cb_call *call,
                    const char *stmt_id,
                    struct cb_handle **ret,
                    struct cb_error *err)
{
    const char *conn_id = cb_json_get_string(call->params, "connection_id", NULL);
    struct cb_error inner = CB_ERROR_INIT;
    char from_stmt[DB_ID_MAX];
    int r;

    if (stmt_id) {
        if (db_stmt_conn_id(stmt_id, from_stmt) < 0) {
            return cb_error_set(err, CB_E_HANDLE, "'%s' is not a statement id", stmt_id);
        }
        if (conn_id && strcmp(conn_id, from_stmt) != 0) {
            return cb_error_set(err, CB_E_INVALID_PARAM,
                                "statement '%s' belongs to another connection than '%s'", stmt_id,
                                conn_id);
        }
        conn_id = from_stmt;
    }
    r = cb_handle_acquire(call->registry, call->session, DB_CONN_KIND, conn_id, ret, &inner);
    if (r < 0 && !conn_id) {
        cb_error_clear(&inner);
        return cb_error_set(err, CB_E_HANDLE, "no current connection; call database.connect first");
    }
    if (r < 0) {
        cb_error_move(err, &inner);
        return r;
    }
    set_running(call, (*ret)->object);
    return 0;
}

void db_release_conn(struct cb_call *call, struct cb_handle *h)
{
    set_running(call, NULL);
    cb_handle_release(call->registry, h);
}

void db_end_conn(struct cb_call *call, struct cb_handle *h, const char *reason)
{
    set_running(call, NULL);
    cb_handle_end(call->registry, h, reason);
}

void db_session_cancel(void *data)
{
    struct db_session *s = data;

    pthread_mutex_lock(&s->lock);
    if (s->running && s->running->drv->cancel) {
        cb_log_info("Cancelling the statement running on connection '%s': its client has gone away",
                    s->running->id);
        s->running->drv->cancel(s->running);
    }
    pthread_mutex_unlock(&s->lock);
}

int db_conn_check(struct db_conn *c, struct cb_error *err)
{
    int r = c->drv->check(c, err);

    if (r < 0) {
        db_last_error_set(&c->error, err);
    }
    return r;
}

int db_with_conn(struct cb_call *call,
                 int (*fn)(struct cb_call *, struct db_conn *, json_t **, struct cb_error *),
                 json_t **ret,
                 struct cb_error *err)
{
    struct cb_handle *h;
    int r;

    r = db_acquire_conn(call, NULL, &h, err);
    if (r < 0) {
        return r;
    }
    r = db_conn_check(h->object, err);
    if (r >= 0) {
        r = fn(call, h->object, ret, err);
    }
    db_release_conn(call, h);
    return r;
}
