/* SPDX-License-Identifier: MIT */
/*
 * database.execute_statement and execute_immediate (DBI's do) on the loop thread. A prepared
 * statement whose execution is one round trip (the common single INSERT or UPDATE of a batch
 * job) is sent from the loop, and
 * its answer read there when the server's socket has it: no worker thread takes part, which
 * saves the two hand-offs that cost most of such a call. Anything that needs more (a first
 * preparation, a reconnect, an implicit BEGIN, a cursor) takes the worker path, unchanged.
 * The session's queue stays held meanwhile, so its later calls wait as they would behind a
 * worker, and other sessions are not held up at all.
 */
#include "services/db/db-internal.h"

#include <errno.h>
#include <stdlib.h>

/* execute_statement's statement, if it is already there: nothing is made or prepared here. */
static int find_statement(struct cb_call *call,
                          struct cb_handle **ret_h,
                          struct db_stmt **ret_s,
                          struct cb_error *err)
{
    const char *sql = cb_json_get_string(call->params, "sql", NULL);
    const char *sid = cb_json_get_string(call->params, "statement_id", NULL);
    struct db_conn *c;
    int r;

    if (sql && sid) {
        return -EINVAL; /* the worker path says why */
    }
    if (!sql) {
        return db_acquire_stmt(call, ret_h, ret_s, err);
    }
    r = db_acquire_conn(call, NULL, ret_h, err);
    if (r < 0) {
        return r;
    }
    c = (*ret_h)->object;
    if (!cb_hashmap_get(c->by_sql, sql) || db_statement_for_sql(c, sql, ret_s, err) < 0) {
        db_release_conn(call, *ret_h);
        return -ENOENT;
    }
    return 0;
}

/* The loop is stopping: the execution ends now, blocking. */
static void wait_now(void *data)
{
    struct db_async *da = data;

    da->c->drv->execute_wait(da);
}

/* execute_immediate's: the connection's cached statement for the text, its rows all read.
 * The session's current statement stays what it was, as on the worker path. */
static int find_cached(struct cb_call *call,
                       struct cb_handle **ret_h,
                       struct db_stmt **ret_s,
                       struct cb_error *err)
{
    const char *sql = cb_json_get_string(call->params, "sql", "");
    struct db_stmt *s;
    int r;

    r = db_acquire_conn(call, NULL, ret_h, err);
    if (r < 0) {
        return r;
    }
    s = cb_hashmap_get(((struct db_conn *)(*ret_h)->object)->by_sql, sql);
    if (!s || s->has_rows) {
        db_release_conn(call, *ret_h);
        return -ENOENT;
    }
    *ret_s = s;
    return 0;
}

/* Whether s may run from the loop: prepared, and with no BEGIN to send first (AutoCommit off
 * outside a transaction), no values of the wrong count, and a driver that can. */
static bool may_start(struct db_conn *c, struct db_stmt *s, json_t *params)
{
    struct cb_error err = CB_ERROR_INIT;
    bool ok = c->drv->execute_start && s->prepared &&
              (c->autocommit || c->drv->in_transaction(c)) &&
              db_execute_before(c, s, params, &err) >= 0;

    cb_error_clear(&err); /* a wrong count of values: the worker path says so */
    return ok;
}

static int start(struct cb_call *call, struct cb_async *a, bool immediate)
{
    json_t *params = json_object_get(call->params, "params");
    struct cb_error err = CB_ERROR_INIT;
    struct db_async *da;
    struct cb_handle *h;
    struct db_stmt *s;
    struct db_conn *c;
    int r;

    r = immediate ? find_cached(call, &h, &s, &err) : find_statement(call, &h, &s, &err);
    cb_error_clear(&err);
    if (r < 0) {
        return 0;
    }
    c = h->object;
    da = may_start(c, s, params) ? calloc(1, sizeof *da) : NULL;
    if (da) {
        *da = (struct db_async){ .a = a,
                                 .call = call,
                                 .h = h,
                                 .c = c,
                                 .s = s,
                                 .immediate = immediate };
        cb_async_on_stop(a, wait_now, da);
        if (c->drv->execute_start(c, s, params, da) > 0) {
            return 1;
        }
    }
    free(da);
    db_release_conn(call, h);
    return 0;
}

int db_execute_statement_start(struct cb_call *call, struct cb_async *a)
{
    return start(call, a, false);
}

int db_execute_immediate_start(struct cb_call *call, struct cb_async *a)
{
    return start(call, a, true);
}

void db_async_done(struct db_async *da, int r, struct cb_error *err)
{
    json_t *result = NULL;

    r = db_execute_after(da->c, da->s, r, err);
    if (da->immediate) {
        /* Its rows, if any, are in memory: no cursor took this path. */
        r = db_immediate_answer(da->call, da->c, da->s, false, r, &result, err);
    } else if (r >= 0) {
        result = db_execute_result(da->s);
    }
    db_release_conn(da->call, da->h);
    cb_async_finish(da->a, r, result, err);
    free(da);
}
