/* SPDX-License-Identifier: MIT */
/*
 * The db family (module database): connections and statements over two drivers, PostgreSQL
 * (libpq) and SQLite, behind one small driver interface. A connection is a top-level handle;
 * its statements live inside it, so work on a connection and its statements is serialized by
 * the connection handle's lock.
 */
#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <systemd/sd-event.h>

#include "common/cb-base64.h"
#include "common/cb-family.h"
#include "common/cb-hashmap.h"

#define DB_CONN_KIND    "connection"
#define DB_STMT_KIND    "statement"
#define DB_CONN_PREFIX  "db-c"
#define DB_STMT_PREFIX  "db-s"
#define DB_ENDED_MEMORY 64
#define DB_ID_MAX       96

struct db_conn;
struct db_stmt;
struct db_async;

enum db_stmt_type {
    DB_STMT_SELECT,
    DB_STMT_INSERT,
    DB_STMT_UPDATE,
    DB_STMT_DELETE,
    DB_STMT_DDL,
    DB_STMT_OTHER,
};

/* A DSN taken apart: the driver and its key=value pairs, in order. */
struct db_dsn {
    char *driver; /* "Pg", "SQLite", "Oracle", ... */
    char **keys;
    char **values;
    size_t n;
    char *bare; /* "dbi:SQLite:/path" has no key: the text after the driver */
};

/* The last backend error of a connection or statement (DBI's err, errstr, state). */
struct db_last_error {
    char *err;
    char *errstr;
    char *state;
};

struct db_driver {
    const char *name;    /* "Pg" */
    const char *db_type; /* "postgresql" */

    /* Opens c->drv_conn. The password is used and forgotten. */
    int (*open)(struct db_conn *c,
                const struct db_dsn *dsn,
                const char *user,
                const char *password,
                struct cb_error *err);
    void (*close)(struct db_conn *c);
    const char *(*server_version)(struct db_conn *c);
    /* Before each call: notices a dropped connection and reopens it when no transaction was
     * open, or fails saying the transaction was lost. */
    int (*check)(struct db_conn *c, struct cb_error *err);
    int (*ping)(struct db_conn *c, bool *ret_alive);
    bool (*in_transaction)(struct db_conn *c);
    /* BEGIN, COMMIT or ROLLBACK. *ret_done is false when COMMIT found the transaction failed. */
    int (*transaction)(struct db_conn *c, const char *verb, bool *ret_done, struct cb_error *err);

    int (*prepare)(struct db_conn *c, struct db_stmt *s, struct cb_error *err);
    /* Runs s with params (an array); sets rows_affected, columns and has_rows. */
    int (*execute)(struct db_conn *c, struct db_stmt *s, json_t *params, struct cb_error *err);
    /* The next row as an array of values in *ret_row; returns 1, or 0 past the last row. */
    int (*fetch)(struct db_conn *c, struct db_stmt *s, json_t **ret_row, struct cb_error *err);
    /* Discards unread rows, keeping the prepared statement. */
    void (*drain)(struct db_conn *c, struct db_stmt *s);
    void (*stmt_free)(struct db_conn *c, struct db_stmt *s);
    int (*execute_many)(struct db_conn *c,
                        struct db_stmt *s,
                        json_t *rows,
                        int64_t *ret_affected,
                        struct cb_error *err);

    /* Stops what runs on c now, from another thread; c->cancel_lock guards the driver's
     * part of it against a reconnect. */
    void (*cancel)(struct db_conn *c);

    /* Optional: sends s with params without blocking, when nothing else must come first (a
     * reconnect, a preparation, housekeeping, a cursor). Returns 1 once sent, and calls
     * db_async_done from the loop thread when the answer is in; returns 0, having done
     * nothing, when the call must take the blocking path. */
    int (*execute_start)(struct db_conn *c, struct db_stmt *s, json_t *params, struct db_async *da);
    /* Blocks until a started execution is done, and calls db_async_done. */
    void (*execute_wait)(struct db_async *da);

    const char *list_tables_sql;  /* params: schema or NULL */
    const char *list_columns_sql; /* params: table, schema or NULL */
};

extern const struct db_driver db_driver_pg;
extern const struct db_driver db_driver_sqlite;

struct db_stmt {
    char id[DB_ID_MAX];
    struct db_conn *conn;
    char *sql; /* as the caller wrote it */
    enum db_stmt_type type;
    bool outer_join; /* LEFT, RIGHT, FULL or OUTER: a NOT NULL column may still read NULL */
    int param_count;
    bool cached; /* made by execute_statement with sql: found again by its text */
    bool prepared;
    bool executed;
    bool has_rows; /* an executed statement with rows possibly unread */
    int64_t rows_affected;
    json_t *columns; /* column_info of the last execution, or NULL */
    json_t *names;   /* the column names, an array (shared with columns) */
    json_t *peeked;  /* a row read ahead to learn whether more follow, or NULL */
    struct db_last_error error;
    struct db_stmt *lru_prev, *lru_next; /* most recently used first */
    void *drv;                           /* the driver's own state */
};

struct db_ended {
    char id[DB_ID_MAX];
    char *reason;
};

struct db_conn {
    const struct db_driver *drv;
    void *drv_conn;
    pthread_mutex_t cancel_lock; /* the driver's cancel state, read from the loop thread */
    char id[DB_ID_MAX];
    char *dsn_shown; /* the DSN as given, without any password, for messages */
    char *username;
    char *auth_mode;
    bool autocommit;
    unsigned max_statements;
    const struct cb_config *config; /* during open only: path rules for SQLite files */

    struct cb_hashmap *by_sql; /* cached statements by SQL text */
    struct cb_hashmap *by_id;
    struct db_stmt *lru_head, *lru_tail;
    size_t n_stmts;
    uint64_t next_stmt;
    char current[DB_ID_MAX]; /* the current statement, or "" */

    struct db_ended ended[DB_ENDED_MEMORY];
    size_t ended_next;
    struct db_last_error error;
};

/* Per-session state: connect_cached's memory of this session's connections. */
struct db_cached {
    char *dsn;
    char *username;
    char id[DB_ID_MAX];
};

struct db_session {
    struct db_cached *cached;
    size_t n_cached;
    /* The connection a call of this session works on now, for a cancel from the loop
     * thread when the client goes away; `lock` keeps it from being released meanwhile. */
    pthread_mutex_t lock;
    struct db_conn *running;
};

/* database.execute_statement begun on the loop thread (db-async.c): the connection stays
 * acquired, and the session's other calls wait, until db_async_done. */
struct db_async {
    struct cb_async *a;
    struct cb_call *call;
    struct cb_handle *h;
    struct db_conn *c;
    struct db_stmt *s;
    bool immediate;      /* execute_immediate: answered with the rows, as the worker does */
    sd_event_source *io; /* the driver's wait for the server */
    void *drv;           /* the driver's own state of the execution */
};

extern const struct cb_family db_family;

/* db-config.c */
int db_dsn_parse(const char *text, struct db_dsn *ret, struct cb_error *err);
void db_dsn_done(struct db_dsn *d);
const char *db_dsn_get(const struct db_dsn *d, const char *key);
/* The DSN with password=... removed, for messages and logs. Malloc'ed. */
char *db_dsn_shown(const char *dsn);
/* Resolves a DSN through the configured aliases; *ret is malloc'ed. */
int db_dsn_resolve(const struct cb_config *config,
                   const char *dsn,
                   char **ret,
                   struct cb_error *err);

/* db-sql.c */
enum db_stmt_type db_sql_classify(const char *sql);
const char *db_stmt_type_to_string(enum db_stmt_type t);
/* Whether a SELECT can be read through a cursor (no INTO, no FOR UPDATE and the like). */
bool db_sql_cursor_safe(const char *sql);
/* Rewrites ? placeholders as $1.. for PostgreSQL; *ret_count is the highest number used. */
int db_sql_rewrite_placeholders(const char *sql, char **ret, int *ret_count);
bool db_sql_is_transaction_control(const char *sql);
/* Whether a statement joins with LEFT, RIGHT, FULL or OUTER (NOT NULL columns may read NULL). */
bool db_sql_has_outer_join(const char *sql);

/* db-conn.c */
void db_conn_free(void *object);
struct db_stmt *db_stmt_new(struct db_conn *c, const char *sql, bool cached);
void db_stmt_end(struct db_conn *c, struct db_stmt *s, const char *reason);
void db_stmt_touch(struct db_conn *c, struct db_stmt *s);
int db_stmt_find(struct db_conn *c, const char *id, struct db_stmt **ret, struct cb_error *err);
/* Finishes least recently used statements without unread rows until one more fits. */
void db_conn_make_room(struct db_conn *c);
void db_conn_forget_rows(struct db_conn *c);
/* The connection id a statement id belongs to. */
int db_stmt_conn_id(const char *stmt_id, char ret[DB_ID_MAX]);

/* Acquires the connection named by params (connection_id, or the statement's, or current). */
int db_acquire_conn(struct cb_call *call,
                    const char *stmt_id,
                    struct cb_handle **ret,
                    struct cb_error *err);
/* Releases a connection db_acquire_conn gave. */
void db_release_conn(struct cb_call *call, struct cb_handle *h);
/* Ends (closes) a connection db_acquire_conn gave. */
void db_end_conn(struct cb_call *call, struct cb_handle *h, const char *reason);
/* The family's cancel hook (struct cb_session_ops). */
void db_session_cancel(void *data);
/* Runs fn on the call's connection once it is acquired and checked, then releases it. */
int db_with_conn(struct cb_call *call,
                 int (*fn)(struct cb_call *, struct db_conn *, json_t **, struct cb_error *),
                 json_t **ret,
                 struct cb_error *err);
/* Runs the driver's dropped-connection check, then records any error as the connection's. */
int db_conn_check(struct db_conn *c, struct cb_error *err);

/* db-error.c */
void db_last_error_set(struct db_last_error *e, const struct cb_error *err);
void db_last_error_clear(struct db_last_error *e);
json_t *db_last_error_json(const struct db_last_error *e);

/* db-value.c */
/* A row (array of values) as a hash by column name (the last of equal names wins), or as is. */
json_t *db_row_format(const struct db_stmt *s, json_t *row, bool hash);
/* column_info of API.md from parallel arrays the driver fills. */
json_t *db_column_info_new(void);
void db_column_info_add(json_t *info,
                        const char *name,
                        const char *type,
                        bool nullable,
                        int precision,
                        int scale);
/* Whether `format` asks for hashes. */
bool db_format_is_hash(const json_t *params);

/* db-run.c: the shared steps of the handlers. */
/* Discards a statement's unread rows (a superseded statement is kept for reuse). */
void db_stmt_drain(struct db_conn *c, struct db_stmt *s);
int db_execute(struct db_conn *c, struct db_stmt *s, json_t *params, struct cb_error *err);
/* db_execute in two halves, around the driver's execution, for one begun on the loop. */
int db_execute_before(struct db_conn *c, struct db_stmt *s, json_t *params, struct cb_error *err);
int db_execute_after(struct db_conn *c, struct db_stmt *s, int r, struct cb_error *err);
json_t *db_execute_result(const struct db_stmt *s);
int db_fetch_rows(struct db_conn *c,
                  struct db_stmt *s,
                  bool hash,
                  int64_t max_rows,
                  json_t **ret_rows,
                  bool *ret_more,
                  struct cb_error *err);
/* Starts the implicit transaction of an AutoCommit-off connection, when none is open. */
int db_autocommit_begin(struct db_conn *c, struct cb_error *err);

/* db-exec.c */
/* The connection and statement a call names; the caller releases the handle. */
int db_acquire_stmt(struct cb_call *call,
                    struct cb_handle **ret_h,
                    struct db_stmt **ret_s,
                    struct cb_error *err);
/* execute_statement with sql: the cached statement for this text, made current. */
int db_statement_for_sql(struct db_conn *c,
                         const char *sql,
                         struct db_stmt **ret,
                         struct cb_error *err);

/* db-bulk.c */
/* execute_immediate's answer once its statement s ran with r: its rows (up to max_rows), the
 * count and the type; a temporary s ends. */
int db_immediate_answer(struct cb_call *call,
                        struct db_conn *c,
                        struct db_stmt *s,
                        bool temporary,
                        int r,
                        json_t **ret,
                        struct cb_error *err);

/* db-async.c */
/* The starts of database.execute_statement and execute_immediate (struct cb_starter). */
int db_execute_statement_start(struct cb_call *call, struct cb_async *a);
int db_execute_immediate_start(struct cb_call *call, struct cb_async *a);
/* The driver's execution has ended with r (err when it failed): answers the call. */
void db_async_done(struct db_async *da, int r, struct cb_error *err);

/* Handlers. */
int db_connect(struct cb_call *call, json_t **ret, struct cb_error *err);
int db_connect_cached(struct cb_call *call, json_t **ret, struct cb_error *err);
int db_disconnect(struct cb_call *call, json_t **ret, struct cb_error *err);
int db_ping(struct cb_call *call, json_t **ret, struct cb_error *err);
int db_prepare(struct cb_call *call, json_t **ret, struct cb_error *err);
int db_execute_statement(struct cb_call *call, json_t **ret, struct cb_error *err);
int db_fetch_row(struct cb_call *call, json_t **ret, struct cb_error *err);
int db_fetch_all(struct cb_call *call, json_t **ret, struct cb_error *err);
int db_finish_statement(struct cb_call *call, json_t **ret, struct cb_error *err);
int db_execute_immediate(struct cb_call *call, json_t **ret, struct cb_error *err);
int db_execute_many(struct cb_call *call, json_t **ret, struct cb_error *err);
int db_begin_transaction(struct cb_call *call, json_t **ret, struct cb_error *err);
int db_commit(struct cb_call *call, json_t **ret, struct cb_error *err);
int db_rollback(struct cb_call *call, json_t **ret, struct cb_error *err);
int db_get_connection_error(struct cb_call *call, json_t **ret, struct cb_error *err);
int db_get_statement_error(struct cb_call *call, json_t **ret, struct cb_error *err);
int db_list_tables(struct cb_call *call, json_t **ret, struct cb_error *err);
int db_list_columns(struct cb_call *call, json_t **ret, struct cb_error *err);
