/* SPDX-License-Identifier: MIT */
/* database.execute_immediate (alias do_statement) and execute_many: whole jobs in one call. */
#include "services/db/db-internal.h"

#include <string.h>

/*
 * The statement for a one-call job: the connection's cached one for this text when its rows
 * are not being read, else a fresh one that ends with the call. The current statement stays.
 */
static struct db_stmt *job_statement(struct db_conn *c, const char *sql, bool *ret_temporary)
{
    struct db_stmt *s = cb_hashmap_get(c->by_sql, sql);

    *ret_temporary = false;
    if (s && !s->has_rows) {
        return s;
    }
    *ret_temporary = true;
    return db_stmt_new(c, sql, !s);
}

static void job_done(struct db_conn *c, struct db_stmt *s, bool temporary)
{
    db_stmt_drain(c, s);
    if (temporary && !s->cached) {
        db_stmt_end(c, s, "it served one execute_immediate or execute_many call");
    }
}

int db_immediate_answer(struct cb_call *call,
                        struct db_conn *c,
                        struct db_stmt *s,
                        bool temporary,
                        int r,
                        json_t **ret,
                        struct cb_error *err)
{
    int64_t max_rows = cb_json_get_int(call->params, "max_rows", 10000);
    CB_JSON_AUTO *rows = NULL;
    bool more = false;

    if (r >= 0 && s->columns) {
        r = db_fetch_rows(c, s, db_format_is_hash(call->params), CB_MAX(max_rows, 1), &rows, &more,
                          err);
    }
    if (r >= 0 && more) {
        r = cb_error_set(
                err, CB_E_TOO_LARGE,
                "the result has more than max_rows (%lld) rows; use execute_statement and fetch_row, or raise max_rows",
                (long long)max_rows);
    }
    if (r >= 0) {
        *ret = json_pack("{s:I, s:s}", "rows_affected",
                         (json_int_t)(s->type == DB_STMT_SELECT ? -1 : s->rows_affected),
                         "statement_type", db_stmt_type_to_string(s->type));
        if (s->columns) {
            json_object_set(*ret, "rows", rows);
            json_object_set(*ret, "column_info", s->columns);
        }
    }
    job_done(c, s, temporary);
    return r;
}

static int immediate(struct cb_call *call, struct db_conn *c, json_t **ret, struct cb_error *err)
{
    const char *sql = cb_json_get_string(call->params, "sql", "");
    struct db_stmt *s;
    bool temporary;
    int r;

    s = job_statement(c, sql, &temporary);
    if (!s) {
        return cb_error_set(err, CB_E_INTERNAL, "out of memory");
    }
    r = db_execute(c, s, json_object_get(call->params, "params"), err);
    return db_immediate_answer(call, c, s, temporary, r, ret, err);
}

int db_execute_immediate(struct cb_call *call, json_t **ret, struct cb_error *err)
{
    return db_with_conn(call, immediate, ret, err);
}

static int check_rows(const json_t *rows, struct cb_error *err)
{
    const json_t *row;
    size_t i;

    json_array_foreach(rows, i, row)
    {
        if (!json_is_array(row)) {
            return cb_error_set(err, CB_E_INVALID_PARAM,
                                "parameter 'rows' item %zu is not an array of values", i);
        }
    }
    return 0;
}

static int many(struct cb_call *call, struct db_conn *c, json_t **ret, struct cb_error *err)
{
    const char *sql = cb_json_get_string(call->params, "sql", "");
    json_t *rows = json_object_get(call->params, "rows");
    struct db_stmt *s;
    int64_t affected = 0;
    bool temporary;
    int r;

    r = check_rows(rows, err);
    if (r < 0) {
        return r;
    }
    s = job_statement(c, sql, &temporary);
    if (!s) {
        return cb_error_set(err, CB_E_INTERNAL, "out of memory");
    }
    r = db_autocommit_begin(c, err);
    if (r >= 0) {
        r = c->drv->execute_many(c, s, rows, &affected, err);
    }
    if (r < 0) {
        db_last_error_set(&s->error, err);
        db_last_error_set(&c->error, err);
    } else {
        *ret = json_pack("{s:I, s:I}", "rows_affected", (json_int_t)affected, "executions",
                         (json_int_t)json_array_size(rows));
    }
    job_done(c, s, temporary);
    return r;
}

int db_execute_many(struct cb_call *call, json_t **ret, struct cb_error *err)
{
    return db_with_conn(call, many, ret, err);
}
