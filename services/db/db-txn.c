/* SPDX-License-Identifier: MIT */
/* database.begin_transaction, commit and rollback (AutoCommit is on unless connect said). */
#include "services/db/db-internal.h"

#include <string.h>

int db_begin_transaction(struct cb_call *call, json_t **ret, struct cb_error *err)
{
    struct cb_handle *h;
    struct db_conn *c;
    bool done;
    int r;

    r = db_acquire_conn(call, NULL, &h, err);
    if (r < 0) {
        return r;
    }
    c = h->object;
    r = db_conn_check(c, err);
    /* Already in one (AutoCommit off, or a second begin): there is nothing more to open. */
    if (r >= 0 && !c->drv->in_transaction(c)) {
        r = c->drv->transaction(c, "BEGIN", &done, err);
    }
    if (r >= 0) {
        *ret = json_pack("{s:s, s:b}", "connection_id", c->id, "in_transaction", 1);
    } else {
        db_last_error_set(&c->error, err);
    }
    db_release_conn(call, h);
    return r;
}

/* COMMIT or ROLLBACK; *ret_ended is false when no transaction was open. */
static int end_transaction(struct db_conn *c,
                           const char *verb,
                           bool *ret_ended,
                           struct cb_error *err)
{
    bool done = true;
    int r;

    *ret_ended = false;
    if (!c->drv->in_transaction(c)) {
        return 0;
    }
    r = c->drv->transaction(c, verb, &done, err);
    if (r < 0) {
        return r;
    }
    if (!done) {
        return cb_error_set_backend(
                err, "25P02", "the transaction had failed and was rolled back",
                "COMMIT found the transaction failed by an earlier error: it was rolled back, nothing was committed");
    }
    *ret_ended = true;
    return db_autocommit_begin(c, err);
}

static int transaction_call(struct cb_call *call,
                            const char *verb,
                            const char *field,
                            json_t **ret,
                            struct cb_error *err)
{
    struct cb_handle *h;
    struct db_conn *c;
    bool ended = false;
    int r;

    r = db_acquire_conn(call, NULL, &h, err);
    if (r < 0) {
        return r;
    }
    c = h->object;
    r = db_conn_check(c, err);
    if (r >= 0) {
        r = end_transaction(c, verb, &ended, err);
    }
    if (r >= 0) {
        *ret = json_pack("{s:s, s:b, s:b}", "connection_id", c->id, "in_transaction",
                         c->drv->in_transaction(c) && c->autocommit, field, ended);
    } else {
        db_last_error_set(&c->error, err);
    }
    db_release_conn(call, h);
    return r;
}

int db_commit(struct cb_call *call, json_t **ret, struct cb_error *err)
{
    return transaction_call(call, "COMMIT", "committed", ret, err);
}

int db_rollback(struct cb_call *call, json_t **ret, struct cb_error *err)
{
    return transaction_call(call, "ROLLBACK", "rolled_back", ret, err);
}
