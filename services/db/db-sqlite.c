/* SPDX-License-Identifier: MIT */
/*
 * The SQLite driver: dbi:SQLite:dbname=<absolute path or :memory:>. The file is checked with
 * the suite's path rules (opened as the user, no foreign symlinks, configured roots) and then
 * opened by SQLite without following a symlink. Statements step lazily, so a large result
 * never sits in memory, and several statements may be read at once.
 */
#include "services/db/db-internal.h"

#include <ctype.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <sqlite3.h>

#include "common/cb-path.h"

struct lite_stmt {
    sqlite3_stmt *st;
    bool pending;          /* the first row was stepped by execute and not yet returned */
    bool *numeric_as_text; /* per column: declared NUMERIC/DECIMAL, read as text */
};

static sqlite3 *db_of(struct db_conn *c)
{
    return c->drv_conn;
}

/* SQLite's own code and text, mapped at this boundary to E_BACKEND. */
static int lite_error(sqlite3 *db, int rc, const char *what, struct cb_error *err)
{
    char code[16];
    const char *msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    int ext = db ? sqlite3_extended_errcode(db) : rc;

    snprintf(code, sizeof code, "%d", ext);
    return cb_error_set_backend(err, code, msg, "SQLite refused %s: %s", what, msg);
}

static const char *dsn_file(const struct db_dsn *dsn)
{
    const char *f = db_dsn_get(dsn, "dbname");

    if (!f) {
        f = db_dsn_get(dsn, "database");
    }
    if (!f) {
        f = db_dsn_get(dsn, "db");
    }
    return f ? f : dsn->bare;
}

static int check_file(struct db_conn *c, const char *file, struct cb_error *err)
{
    int fd;

    if (file[0] != '/') {
        return cb_error_set(
                err, CB_E_INVALID_PARAM,
                "parameter 'dsn' names the SQLite file '%s', which is not an absolute path (or :memory:)",
                file);
    }
    /* Opened as the user with the suite's rules, creating it as DBD::SQLite would. */
    fd = cb_path_open(c->config, "dsn", file, O_RDWR | O_CREAT | O_CLOEXEC | O_NOCTTY, 0644, err);
    if (fd < 0) {
        return fd;
    }
    close(fd);
    return 0;
}

static int lite_open(struct db_conn *c,
                     const struct db_dsn *dsn,
                     const char *user,
                     const char *password,
                     struct cb_error *err)
{
    const char *file = dsn_file(dsn);
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX;
    sqlite3 *db = NULL;
    int r, rc;

    (void)user;
    (void)password; /* SQLite has no users: DBD::SQLite ignores both too */
    if (!file || !*file) {
        return cb_error_set(
                err, CB_E_INVALID_PARAM,
                "parameter 'dsn' names no SQLite database (dbi:SQLite:dbname=/path or :memory:)");
    }
    if (strcmp(file, ":memory:") != 0) {
        r = check_file(c, file, err);
        if (r < 0) {
            return r;
        }
        flags |= SQLITE_OPEN_NOFOLLOW;
    }
    rc = sqlite3_open_v2(file, &db, flags, NULL);
    if (rc != SQLITE_OK) {
        r = lite_error(db, rc, "to open the database", err);
        sqlite3_close_v2(db);
        return r;
    }
    sqlite3_extended_result_codes(db, 1);
    sqlite3_busy_timeout(db, 5000);
    c->drv_conn = db;
    return 0;
}

static void lite_close(struct db_conn *c)
{
    sqlite3 *db = db_of(c);

    if (!sqlite3_get_autocommit(db)) {
        (void)sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    }
    sqlite3_close_v2(db);
    c->drv_conn = NULL;
}

static const char *lite_server_version(struct db_conn *c)
{
    (void)c;
    return sqlite3_libversion();
}

static int lite_check(struct db_conn *c, struct cb_error *err)
{
    (void)c;
    (void)err;
    return 0; /* an embedded database does not drop */
}

static int lite_ping(struct db_conn *c, bool *ret_alive)
{
    *ret_alive = db_of(c) != NULL;
    return 0;
}

static bool lite_in_transaction(struct db_conn *c)
{
    return !sqlite3_get_autocommit(db_of(c));
}

static int lite_transaction(struct db_conn *c,
                            const char *verb,
                            bool *ret_done,
                            struct cb_error *err)
{
    int rc = sqlite3_exec(db_of(c), verb, NULL, NULL, NULL);

    *ret_done = true;
    if (rc != SQLITE_OK) {
        return lite_error(db_of(c), rc, verb, err);
    }
    return 0;
}

static bool only_space(const char *s)
{
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r' || *s == ';') {
        s++;
    }
    return !*s;
}

static int lite_prepare(struct db_conn *c, struct db_stmt *s, struct cb_error *err)
{
    struct lite_stmt *ls = calloc(1, sizeof *ls);
    const char *tail = NULL;
    int rc;

    if (!ls) {
        return cb_error_set(err, CB_E_INTERNAL, "out of memory");
    }
    rc = sqlite3_prepare_v3(db_of(c), s->sql, -1, SQLITE_PREPARE_PERSISTENT, &ls->st, &tail);
    if (rc != SQLITE_OK) {
        free(ls);
        return lite_error(db_of(c), rc, "the statement", err);
    }
    if (!ls->st || (tail && !only_space(tail))) {
        sqlite3_finalize(ls->st);
        free(ls);
        return cb_error_set(err, CB_E_INVALID_PARAM,
                            "parameter 'sql' must hold exactly one statement");
    }
    s->param_count = sqlite3_bind_parameter_count(ls->st);
    s->drv = ls;
    s->prepared = true;
    return 0;
}

static int bind_one(sqlite3_stmt *st, int i, json_t *v, struct cb_error *err)
{
    void *bytes = NULL;
    size_t len = 0;
    char *text;
    int rc;

    if (json_is_null(v)) {
        return sqlite3_bind_null(st, i);
    }
    if (json_is_boolean(v)) {
        return sqlite3_bind_int(st, i, json_is_true(v));
    }
    if (json_is_integer(v)) {
        return sqlite3_bind_int64(st, i, json_integer_value(v));
    }
    if (json_is_real(v)) {
        return sqlite3_bind_double(st, i, json_real_value(v));
    }
    if (json_is_string(v)) {
        return sqlite3_bind_text64(st, i, json_string_value(v), json_string_length(v),
                                   SQLITE_TRANSIENT, SQLITE_UTF8);
    }
    if (cb_is_binary(v)) {
        if (cb_binary_bytes(v, &bytes, &len) < 0) {
            return cb_error_set(err, CB_E_INVALID_PARAM,
                                "parameter 'params' item %d is not valid base64", i - 1);
        }
        return sqlite3_bind_blob64(st, i, bytes, len, free);
    }
    /* Arrays and objects bind as their JSON text (for JSON columns). */
    text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    rc = sqlite3_bind_text64(st, i, text ? text : "", text ? strlen(text) : 0, SQLITE_TRANSIENT,
                             SQLITE_UTF8);
    free(text);
    return rc;
}

static int bind_all(struct db_conn *c, sqlite3_stmt *st, json_t *params, struct cb_error *err)
{
    json_t *v;
    size_t i;

    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    json_array_foreach(params, i, v)
    {
        int rc = bind_one(st, (int)i + 1, v, err);

        if (rc < 0) {
            return rc;
        }
        if (rc != SQLITE_OK) {
            return lite_error(db_of(c), rc, "a bind value", err);
        }
    }
    return 0;
}

static bool decl_is_numeric(const char *decl)
{
    return decl && (strcasestr(decl, "numeric") || strcasestr(decl, "decimal"));
}

static const char *storage_name(int type)
{
    switch (type) {
    case SQLITE_INTEGER:
        return "integer";
    case SQLITE_FLOAT:
        return "real";
    case SQLITE_BLOB:
        return "blob";
    case SQLITE_NULL:
        return "null";
    default:
        return "text";
    }
}

static bool column_nullable(sqlite3 *db, sqlite3_stmt *st, int i)
{
    const char *dbname = sqlite3_column_database_name(st, i);
    const char *table = sqlite3_column_table_name(st, i);
    const char *origin = sqlite3_column_origin_name(st, i);
    int notnull = 0, pk = 0, autoinc = 0;

    if (!table || !origin) {
        return true;
    }
    if (sqlite3_table_column_metadata(db, dbname, table, origin, NULL, NULL, &notnull, &pk,
                                      &autoinc) != SQLITE_OK) {
        return true;
    }
    return !notnull;
}

/* Column information from the declared types, or the first row's storage classes. */
static void describe(struct db_conn *c, struct db_stmt *s, struct lite_stmt *ls, bool have_row)
{
    int n = sqlite3_column_count(ls->st);
    json_t *info = db_column_info_new();

    free(ls->numeric_as_text);
    ls->numeric_as_text = calloc((size_t)n + 1, sizeof(bool));
    for (int i = 0; i < n; i++) {
        const char *decl = sqlite3_column_decltype(ls->st, i);
        const char *name = sqlite3_column_name(ls->st, i);
        char type[64];

        if (decl) {
            snprintf(type, sizeof type, "%s", decl);
            for (char *p = type; *p; p++) {
                *p = (char)tolower((unsigned char)*p);
            }
        } else {
            snprintf(type, sizeof type, "%s",
                     have_row ? storage_name(sqlite3_column_type(ls->st, i)) : "null");
        }
        if (ls->numeric_as_text) {
            ls->numeric_as_text[i] = decl_is_numeric(decl);
        }
        db_column_info_add(info, name ? name : "", type,
                           s->outer_join || column_nullable(db_of(c), ls->st, i), -1, -1);
    }
    json_decref(s->columns);
    json_decref(s->names);
    s->columns = info;
    s->names = json_incref(json_object_get(info, "names"));
}

static json_t *cell(struct lite_stmt *ls, int i)
{
    sqlite3_stmt *st = ls->st;
    int type = sqlite3_column_type(st, i);

    if (type != SQLITE_NULL && ls->numeric_as_text && ls->numeric_as_text[i]) {
        /* numeric/decimal as strings, so no digit is lost (API.md section 4) */
        return json_stringn((const char *)sqlite3_column_text(st, i),
                            (size_t)sqlite3_column_bytes(st, i));
    }
    switch (type) {
    case SQLITE_INTEGER:
        return json_integer(sqlite3_column_int64(st, i));
    case SQLITE_FLOAT:
        return json_real(sqlite3_column_double(st, i));
    case SQLITE_BLOB:
        return cb_binary_new(sqlite3_column_blob(st, i), (size_t)sqlite3_column_bytes(st, i));
    case SQLITE_NULL:
        return json_null();
    default: {
        const char *t = (const char *)sqlite3_column_text(st, i);
        json_t *v = json_stringn(t ? t : "", (size_t)sqlite3_column_bytes(st, i));

        /* Text that is not UTF-8 travels as bytes rather than being refused. */
        return v ? v : cb_binary_new(t, (size_t)sqlite3_column_bytes(st, i));
    }
    }
}

static json_t *row_of(struct lite_stmt *ls)
{
    int n = sqlite3_column_count(ls->st);
    json_t *row = json_array();

    for (int i = 0; i < n; i++) {
        json_array_append_new(row, cell(ls, i));
    }
    return row;
}

static int lite_execute(struct db_conn *c, struct db_stmt *s, json_t *params, struct cb_error *err)
{
    struct lite_stmt *ls;
    int r, rc;

    if (!s->prepared) {
        r = lite_prepare(c, s, err);
        if (r < 0) {
            return r;
        }
        if (json_array_size(params) != (size_t)s->param_count) {
            return cb_error_set(
                    err, CB_E_INVALID_PARAM,
                    "parameter 'params' has %zu values, but the statement has %d placeholders",
                    json_array_size(params), s->param_count);
        }
    }
    ls = s->drv;
    r = bind_all(c, ls->st, params, err);
    if (r < 0) {
        return r;
    }
    rc = sqlite3_step(ls->st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        r = lite_error(db_of(c), rc, "the statement", err);
        sqlite3_reset(ls->st);
        return r;
    }
    s->rows_affected = s->type == DB_STMT_INSERT || s->type == DB_STMT_UPDATE ||
                                       s->type == DB_STMT_DELETE
                               ? sqlite3_changes64(db_of(c))
                               : 0;
    if (sqlite3_column_count(ls->st) > 0) {
        describe(c, s, ls, rc == SQLITE_ROW);
        ls->pending = rc == SQLITE_ROW;
        s->has_rows = rc == SQLITE_ROW;
    } else {
        json_decref(s->columns);
        s->columns = NULL;
        s->has_rows = false;
        sqlite3_reset(ls->st);
    }
    return 0;
}

static int lite_fetch(struct db_conn *c, struct db_stmt *s, json_t **ret_row, struct cb_error *err)
{
    struct lite_stmt *ls = s->drv;
    int rc;

    if (ls->pending) {
        ls->pending = false;
        *ret_row = row_of(ls);
        return 1;
    }
    rc = sqlite3_step(ls->st);
    if (rc == SQLITE_ROW) {
        *ret_row = row_of(ls);
        return 1;
    }
    sqlite3_reset(ls->st);
    if (rc == SQLITE_DONE) {
        return 0;
    }
    return lite_error(db_of(c), rc, "reading the next row", err);
}

static void lite_drain(struct db_conn *c, struct db_stmt *s)
{
    struct lite_stmt *ls = s->drv;

    (void)c;
    ls->pending = false;
    sqlite3_reset(ls->st);
}

static void lite_stmt_free(struct db_conn *c, struct db_stmt *s)
{
    struct lite_stmt *ls = s->drv;

    (void)c;
    sqlite3_finalize(ls->st);
    free(ls->numeric_as_text);
    free(ls);
    s->drv = NULL;
}

static int run_rows(struct db_conn *c,
                    struct db_stmt *s,
                    json_t *rows,
                    int64_t *ret_affected,
                    struct cb_error *err)
{
    struct lite_stmt *ls = s->drv;
    json_t *row;
    size_t i;

    json_array_foreach(rows, i, row)
    {
        int r, rc;

        if (json_array_size(row) != (size_t)s->param_count) {
            return cb_error_set(
                    err, CB_E_INVALID_PARAM,
                    "parameter 'rows' item %zu has %zu values, but the statement has %d placeholders",
                    i, json_array_size(row), s->param_count);
        }
        r = bind_all(c, ls->st, row, err);
        if (r < 0) {
            return r;
        }
        while ((rc = sqlite3_step(ls->st)) == SQLITE_ROW) {
        }
        if (rc != SQLITE_DONE) {
            r = lite_error(db_of(c), rc, "an execution of execute_many", err);
            sqlite3_reset(ls->st);
            return r;
        }
        *ret_affected += sqlite3_changes64(db_of(c));
    }
    sqlite3_reset(ls->st);
    return 0;
}

static int lite_execute_many(struct db_conn *c,
                             struct db_stmt *s,
                             json_t *rows,
                             int64_t *ret_affected,
                             struct cb_error *err)
{
    bool own = sqlite3_get_autocommit(db_of(c)), done;
    int r;

    if (!s->prepared) {
        r = lite_prepare(c, s, err);
        if (r < 0) {
            return r;
        }
    }
    /* One transaction when none is open: all the rows or none, and one journal sync. */
    if (own) {
        r = lite_transaction(c, "BEGIN", &done, err);
        if (r < 0) {
            return r;
        }
    }
    r = run_rows(c, s, rows, ret_affected, err);
    if (own) {
        if (r < 0) {
            (void)sqlite3_exec(db_of(c), "ROLLBACK", NULL, NULL, NULL);
            *ret_affected = 0;
        } else {
            r = lite_transaction(c, "COMMIT", &done, err);
        }
    }
    return r;
}

/* sqlite3_interrupt may be called from any thread while the connection is open. */
static void lite_cancel(struct db_conn *c)
{
    sqlite3_interrupt(db_of(c));
}

const struct db_driver db_driver_sqlite = {
    .name = "SQLite",
    .db_type = "sqlite",
    .open = lite_open,
    .close = lite_close,
    .server_version = lite_server_version,
    .check = lite_check,
    .ping = lite_ping,
    .in_transaction = lite_in_transaction,
    .transaction = lite_transaction,
    .prepare = lite_prepare,
    .execute = lite_execute,
    .fetch = lite_fetch,
    .drain = lite_drain,
    .stmt_free = lite_stmt_free,
    .execute_many = lite_execute_many,
    .list_tables_sql =
            "SELECT NULL, name, type FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND (?1 IS NULL OR ?1 = 'main') ORDER BY name",
    .list_columns_sql =
            "SELECT name, lower(type), \"notnull\" = 0, dflt_value, cid + 1 FROM pragma_table_info(?1, ?2) ORDER BY cid",
    .cancel = lite_cancel,
};
