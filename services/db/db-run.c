/* SPDX-License-Identifier: MIT */
/* The steps the statement handlers share: running a statement, reading its rows. */
#include "services/db/db-internal.h"

#include <string.h>

int db_autocommit_begin(struct db_conn *c, struct cb_error *err)
{
    bool done;

    /* AutoCommit off, as DBI: a transaction is always open, begun before the first statement. */
    if (c->autocommit || c->drv->in_transaction(c)) {
        return 0;
    }
    return c->drv->transaction(c, "BEGIN", &done, err);
}

void db_stmt_drain(struct db_conn *c, struct db_stmt *s)
{
    json_decref(s->peeked);
    s->peeked = NULL;
    if (s->has_rows) {
        c->drv->drain(c, s);
        s->has_rows = false;
    }
}

int db_execute_before(struct db_conn *c, struct db_stmt *s, json_t *params, struct cb_error *err)
{
    size_t given = json_array_size(params);

    db_stmt_drain(c, s);
    if (s->prepared && given != (size_t)s->param_count) {
        return cb_error_set(
                err, CB_E_INVALID_PARAM,
                "parameter 'params' has %zu values, but the statement has %d placeholders", given,
                s->param_count);
    }
    return db_autocommit_begin(c, err);
}

int db_execute(struct db_conn *c, struct db_stmt *s, json_t *params, struct cb_error *err)
{
    int r = db_execute_before(c, s, params, err);

    if (r >= 0) {
        r = c->drv->execute(c, s, params, err);
    }
    return db_execute_after(c, s, r, err);
}

int db_execute_after(struct db_conn *c, struct db_stmt *s, int r, struct cb_error *err)
{
    db_stmt_touch(c, s);
    if (r < 0) {
        db_last_error_set(&s->error, err);
        db_last_error_set(&c->error, err);
        s->executed = false;
        return r;
    }
    db_last_error_clear(&s->error);
    s->executed = true;
    return 0;
}

json_t *db_execute_result(const struct db_stmt *s)
{
    json_t *info = s->type == DB_STMT_SELECT || s->columns ? s->columns : NULL;

    return json_pack("{s:s, s:s, s:s, s:I, s:O?}", "statement_id", s->id, "connection_id",
                     s->conn->id, "statement_type", db_stmt_type_to_string(s->type),
                     "rows_affected",
                     (json_int_t)(s->type == DB_STMT_SELECT ? -1 : s->rows_affected), "column_info",
                     info ? info : json_null());
}

static int fetch_one(struct db_conn *c, struct db_stmt *s, json_t **ret, struct cb_error *err)
{
    int r;

    if (s->peeked) {
        *ret = s->peeked;
        s->peeked = NULL;
        return 1;
    }
    if (!s->has_rows) {
        return 0;
    }
    r = c->drv->fetch(c, s, ret, err);
    if (r <= 0) {
        s->has_rows = false;
    }
    if (r < 0) {
        db_last_error_set(&s->error, err);
        db_last_error_set(&c->error, err);
    }
    return r;
}

int db_fetch_rows(struct db_conn *c,
                  struct db_stmt *s,
                  bool hash,
                  int64_t max_rows,
                  json_t **ret_rows,
                  bool *ret_more,
                  struct cb_error *err)
{
    CB_JSON_AUTO *rows = json_array();
    json_t *row = NULL;
    int r = 0;

    if (!s->executed) {
        return cb_error_set(
                err, CB_E_HANDLE,
                "statement '%s' has not been executed; call database.execute_statement first",
                s->id);
    }
    for (int64_t n = 0; n < max_rows; n++) {
        r = fetch_one(c, s, &row, err);
        if (r <= 0) {
            break;
        }
        json_array_append_new(rows, db_row_format(s, row, hash));
        json_decref(row);
    }
    if (r < 0) {
        return r;
    }
    /* Read one ahead, so that `more` is exact. */
    if (r > 0 && s->has_rows) {
        r = fetch_one(c, s, &row, err);
        if (r < 0) {
            return r;
        }
        s->peeked = r > 0 ? row : NULL;
    }
    *ret_more = s->peeked != NULL;
    db_stmt_touch(c, s);
    *ret_rows = CB_TAKE_PTR(rows);
    return 0;
}
