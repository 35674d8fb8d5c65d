/* SPDX-License-Identifier: MIT */
/* database.get_connection_error, get_statement_error, list_tables and list_columns. */
#include "services/db/db-internal.h"

#include <string.h>

int db_get_connection_error(struct cb_call *call, json_t **ret, struct cb_error *err)
{
    struct cb_handle *h;
    struct db_conn *c;
    int r;

    r = db_acquire_conn(call, NULL, &h, err);
    if (r < 0) {
        return r;
    }
    c = h->object;
    *ret = db_last_error_json(&c->error);
    json_object_set_new(*ret, "connection_id", json_string(c->id));
    db_release_conn(call, h);
    return 0;
}

int db_get_statement_error(struct cb_call *call, json_t **ret, struct cb_error *err)
{
    const char *sid = cb_json_get_string(call->params, "statement_id", NULL);
    struct cb_handle *h;
    struct db_stmt *s;
    int r;

    r = db_acquire_conn(call, sid, &h, err);
    if (r < 0) {
        return r;
    }
    r = db_stmt_find(h->object, sid, &s, err);
    if (r >= 0) {
        *ret = db_last_error_json(&s->error);
        json_object_set_new(*ret, "statement_id", json_string(s->id));
    }
    db_release_conn(call, h);
    return r;
}

/* Runs one of the driver's catalogue queries and returns its rows as arrays. */
static int catalogue_query(struct db_conn *c,
                           const char *sql,
                           json_t *params,
                           json_t **ret_rows,
                           struct cb_error *err)
{
    struct db_stmt *s = cb_hashmap_get(c->by_sql, sql);
    bool more = false;
    int r;

    if (!s || s->has_rows) {
        s = db_stmt_new(c, sql, !s);
        if (!s) {
            return cb_error_set(err, CB_E_INTERNAL, "out of memory");
        }
    }
    r = db_execute(c, s, params, err);
    if (r >= 0) {
        r = db_fetch_rows(c, s, false, 1000000, ret_rows, &more, err);
    }
    db_stmt_drain(c, s);
    if (!s->cached) {
        db_stmt_end(c, s, "it served one catalogue query");
    }
    return r;
}

static json_t *text_or_null(json_t *v)
{
    return json_is_string(v) ? json_incref(v) : json_null();
}

static bool truthy(json_t *v)
{
    return json_is_true(v) || (json_is_integer(v) && json_integer_value(v) != 0);
}

static int tables(struct cb_call *call, struct db_conn *c, json_t **ret, struct cb_error *err)
{
    json_t *schema = json_object_get(call->params, "schema");
    CB_JSON_AUTO *params = json_pack("[O]", schema ? schema : json_null());
    CB_JSON_AUTO *rows = NULL;
    json_t *out = json_array(), *row;
    size_t i;
    int r;

    r = catalogue_query(c, c->drv->list_tables_sql, params, &rows, err);
    if (r < 0) {
        json_decref(out);
        return r;
    }
    json_array_foreach(rows, i, row)
    {
        json_array_append_new(
                out, json_pack("{s:o, s:O, s:O}", "schema", text_or_null(json_array_get(row, 0)),
                               "name", json_array_get(row, 1), "type", json_array_get(row, 2)));
    }
    *ret = json_pack("{s:o}", "tables", out);
    return 0;
}

int db_list_tables(struct cb_call *call, json_t **ret, struct cb_error *err)
{
    return db_with_conn(call, tables, ret, err);
}

static int columns(struct cb_call *call, struct db_conn *c, json_t **ret, struct cb_error *err)
{
    json_t *schema = json_object_get(call->params, "schema");
    CB_JSON_AUTO *params = json_pack("[O, O]", json_object_get(call->params, "table"),
                                     schema ? schema : json_null());
    CB_JSON_AUTO *rows = NULL;
    json_t *out = json_array(), *row;
    size_t i;
    int r;

    r = catalogue_query(c, c->drv->list_columns_sql, params, &rows, err);
    if (r < 0) {
        json_decref(out);
        return r;
    }
    json_array_foreach(rows, i, row)
    {
        json_array_append_new(out, json_pack("{s:O, s:O, s:b, s:o, s:O}", "name",
                                             json_array_get(row, 0), "type", json_array_get(row, 1),
                                             "nullable", truthy(json_array_get(row, 2)), "default",
                                             text_or_null(json_array_get(row, 3)), "position",
                                             json_array_get(row, 4)));
    }
    *ret = json_pack("{s:o}", "columns", out);
    return 0;
}

int db_list_columns(struct cb_call *call, json_t **ret, struct cb_error *err)
{
    return db_with_conn(call, columns, ret, err);
}
