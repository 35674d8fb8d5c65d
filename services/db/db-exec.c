/* SPDX-License-Identifier: MIT */
/* database.prepare, execute_statement, fetch_row, fetch_all and finish_statement. */
#include "services/db/db-internal.h"

#include <stdio.h>
#include <string.h>

int db_acquire_stmt(struct cb_call *call,
                    struct cb_handle **ret_h,
                    struct db_stmt **ret_s,
                    struct cb_error *err)
{
    const char *sid = cb_json_get_string(call->params, "statement_id", NULL);
    struct cb_handle *h;
    int r;

    r = db_acquire_conn(call, sid, &h, err);
    if (r < 0) {
        return r;
    }
    r = db_stmt_find(h->object, sid, ret_s, err);
    if (r < 0) {
        db_release_conn(call, h);
        return r;
    }
    *ret_h = h;
    return 0;
}

int db_prepare(struct cb_call *call, json_t **ret, struct cb_error *err)
{
    const char *sql = cb_json_get_string(call->params, "sql", "");
    struct cb_handle *h;
    struct db_conn *c;
    struct db_stmt *s;
    int r;

    r = db_acquire_conn(call, NULL, &h, err);
    if (r < 0) {
        return r;
    }
    c = h->object;
    r = db_conn_check(c, err);
    if (r >= 0) {
        s = db_stmt_new(c, sql, false);
        r = s ? c->drv->prepare(c, s, err) : cb_error_set(err, CB_E_INTERNAL, "out of memory");
        if (r < 0 && s) {
            db_last_error_set(&c->error, err);
            db_stmt_end(c, s, "its preparation failed");
        }
    }
    if (r >= 0) {
        snprintf(c->current, sizeof c->current, "%s", s->id);
        *ret = json_pack("{s:s, s:s, s:i}", "statement_id", s->id, "connection_id", c->id,
                         "param_count", s->param_count);
    }
    db_release_conn(call, h);
    return r;
}

int db_statement_for_sql(struct db_conn *c,
                         const char *sql,
                         struct db_stmt **ret,
                         struct cb_error *err)
{
    struct db_stmt *s = cb_hashmap_get(c->by_sql, sql);
    struct db_stmt *current = c->current[0] ? cb_hashmap_get(c->by_id, c->current) : NULL;

    /* API.md "Superseded statements": the current one's unread rows are discarded. */
    if (current && current != s && current->has_rows) {
        db_stmt_drain(c, current);
    }
    if (!s) {
        s = db_stmt_new(c, sql, true);
        if (!s) {
            return cb_error_set(err, CB_E_INTERNAL, "out of memory");
        }
    }
    snprintf(c->current, sizeof c->current, "%s", s->id);
    *ret = s;
    return 0;
}

int db_execute_statement(struct cb_call *call, json_t **ret, struct cb_error *err)
{
    const char *sql = cb_json_get_string(call->params, "sql", NULL);
    const char *sid = cb_json_get_string(call->params, "statement_id", NULL);
    json_t *params = json_object_get(call->params, "params");
    struct cb_handle *h;
    struct db_conn *c;
    struct db_stmt *s;
    int r;

    if (sql && sid) {
        return cb_error_set(err, CB_E_INVALID_PARAM,
                            "give parameter 'sql' or 'statement_id', not both");
    }
    r = sql ? db_acquire_conn(call, NULL, &h, err) : db_acquire_stmt(call, &h, &s, err);
    if (r < 0) {
        return r;
    }
    c = h->object;
    r = db_conn_check(c, err);
    if (r >= 0 && sql) {
        r = db_statement_for_sql(c, sql, &s, err);
    }
    if (r >= 0) {
        r = db_execute(c, s, params, err);
    }
    if (r >= 0) {
        *ret = db_execute_result(s);
    }
    db_release_conn(call, h);
    return r;
}

int db_fetch_row(struct cb_call *call, json_t **ret, struct cb_error *err)
{
    CB_JSON_AUTO *rows = NULL;
    struct cb_handle *h;
    struct db_stmt *s;
    bool more;
    int r;

    r = db_acquire_stmt(call, &h, &s, err);
    if (r < 0) {
        return r;
    }
    r = db_fetch_rows(s->conn, s, db_format_is_hash(call->params), 1, &rows, &more, err);
    db_release_conn(call, h);
    if (r < 0) {
        return r;
    }
    if (json_array_size(rows) == 0) {
        /* API.md 1.1 "end of data": a null result, and end_of_data says it in words. */
#ifdef CB_CALL_HAS_END_OF_DATA
        call->end_of_data = true;
#endif
        *ret = json_null();
        return 0;
    }
    *ret = json_incref(json_array_get(rows, 0));
    return 0;
}

int db_fetch_all(struct cb_call *call, json_t **ret, struct cb_error *err)
{
    int64_t max_rows = cb_json_get_int(call->params, "max_rows", 10000);
    json_t *rows = NULL;
    struct cb_handle *h;
    struct db_stmt *s;
    bool more = false;
    int r;

    if (max_rows < 1) {
        return cb_error_set(err, CB_E_INVALID_PARAM, "parameter 'max_rows' must be at least 1");
    }
    r = db_acquire_stmt(call, &h, &s, err);
    if (r < 0) {
        return r;
    }
    r = db_fetch_rows(s->conn, s, db_format_is_hash(call->params), max_rows, &rows, &more, err);
    db_release_conn(call, h);
    if (r < 0) {
        return r;
    }
    *ret = json_pack("{s:o, s:I, s:b}", "rows", rows, "row_count",
                     (json_int_t)json_array_size(rows), "more", more);
    return 0;
}

int db_finish_statement(struct cb_call *call, json_t **ret, struct cb_error *err)
{
    struct cb_handle *h;
    struct db_stmt *s;
    int r;

    r = db_acquire_stmt(call, &h, &s, err);
    if (r < 0) {
        return r;
    }
    *ret = json_pack("{s:s, s:b}", "statement_id", s->id, "finished", 1);
    db_stmt_end(s->conn, s, "finished by database.finish_statement");
    db_release_conn(call, h);
    return 0;
}
