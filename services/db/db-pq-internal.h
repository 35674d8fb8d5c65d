/* SPDX-License-Identifier: MIT */
/*
 * The PostgreSQL driver's own state. Every exchange with the server goes through one runner
 * (db-pq-run.c) that sends a batch of commands in pipeline mode, one round trip for the lot,
 * with sync points that keep unrelated commands from failing together.
 */
#pragma once

#include <libpq-fe.h>

#include "services/db/db-internal.h"

#define PQ_FETCH_BATCH 1000 /* rows read from a cursor per round trip */
#define PQ_MANY_CHUNK  500  /* executions of execute_many sent before reading answers */

enum pq_cursor {
    PQ_CURSOR_NONE, /* no cursor on the server */
    PQ_CURSOR_OPEN, /* rows are left in it */
    PQ_CURSOR_DONE, /* read to the end or drained: exists until closed */
};

struct pq_conn {
    PGconn *pg;
    PGcancel *cancel; /* for the loop thread's cancel; swapped under cancel_lock */
    PGTransactionStatusType last_status; /* after the last exchange that worked */
    uint64_t generation;                 /* counts reconnects: prepared names die with one */
    uint64_t next_name;
    char **garbage; /* DEALLOCATE commands to send with the next exchange */
    size_t n_garbage;
    struct cb_hashmap *type_names; /* oid -> name, for types outside the built-in table */
};

struct pq_stmt {
    char name[32];   /* the server-side prepared statement */
    char cursor[32]; /* its cursor, when it reads through one */
    char *text;      /* what is prepared: the rewritten SQL, or DECLARE ... FOR it */
    bool use_cursor;
    uint64_t generation; /* prepared on this connection generation */
    enum pq_cursor cur;
    bool cur_in_txn; /* declared inside a transaction that has not committed yet */
    PGresult *res;   /* buffered rows: the whole result, or the last cursor batch */
    int row;         /* the next row of res */
};

enum pq_cmd_kind {
    PQ_CMD_PREPARE,
    PQ_CMD_EXEC,  /* a prepared statement */
    PQ_CMD_QUERY, /* text without parameters */
};

struct pq_params {
    size_t n;
    const char **values;
    int *lengths;
    int *formats;
    char **owned;
};

struct pq_cmd {
    enum pq_cmd_kind kind;
    const char *name;
    const char *sql;
    const struct pq_params *params;
    bool sync_after; /* a sync point follows: a failure does not reach past it */
    PGresult *res;   /* filled by the runner; NULL when the connection failed first */
};

static inline struct pq_conn *pq_of(struct db_conn *c)
{
    return c->drv_conn;
}

/* db-pq-run.c */
/* Sends cmds (pending closes and garbage first) and reads every answer. -EIO: connection. */
int pq_run(struct db_conn *c, struct pq_cmd *cmds, size_t n);
void pq_run_clear(struct pq_cmd *cmds, size_t n);
/* What a finished exchange changes: the transaction state, and cursors a COMMIT or ROLLBACK
 * kept or ended. */
void pq_after_run(struct db_conn *c, struct pq_cmd *cmds, size_t n);
/* Whether closes or deallocations wait to ride along with the next exchange. */
bool pq_housekeeping_waits(struct db_conn *c);
/* E_BACKEND from a failed result (SQLSTATE and the primary message), or the connection's. */
int pq_error(struct db_conn *c, const PGresult *res, const char *what, struct cb_error *err);
bool pq_result_ok(const PGresult *res);
int pq_params_build(json_t *values, struct pq_params *ret, struct cb_error *err);
void pq_params_done(struct pq_params *p);
void pq_forget_server_state(struct db_conn *c);

/* db-pq.c */
/* Whether the server has closed the connection while we were idle (a restart, a kill). */
bool pq_dropped_while_idle(PGconn *pg);

/* db-pq-async.c */
int pq_execute_start(struct db_conn *c, struct db_stmt *s, json_t *params, struct db_async *da);
void pq_execute_wait(struct db_async *da);

/* db-pq-nullable.c */
/* Fills ret[PQnfields(res)]: whether each column of s's result may be NULL. */
void pq_nullability(struct db_conn *c, struct db_stmt *s, const PGresult *res, bool *ret);

/* db-pq-value.c */
json_t *pq_cell(const PGresult *res, int row, int col);
json_t *pq_row(const PGresult *res, int row);
void pq_describe(struct db_conn *c, struct db_stmt *s, const PGresult *res);

/* db-pq-stmt.c */
/* Whether the server has this statement prepared (a reconnect forgets them all). */
bool pq_is_prepared(struct db_conn *c, struct db_stmt *s);
/* The answers of [PREPARE] EXEC [FETCH]: the first failure is the one to report. */
int pq_read_answers(struct db_conn *c,
                    struct db_stmt *s,
                    struct pq_cmd *cmds,
                    size_t n,
                    bool in_txn,
                    struct cb_error *err);
int pq_prepare(struct db_conn *c, struct db_stmt *s, struct cb_error *err);
int pq_execute(struct db_conn *c, struct db_stmt *s, json_t *params, struct cb_error *err);
int pq_fetch(struct db_conn *c, struct db_stmt *s, json_t **ret_row, struct cb_error *err);
void pq_drain(struct db_conn *c, struct db_stmt *s);
void pq_stmt_free(struct db_conn *c, struct db_stmt *s);
int pq_execute_many(struct db_conn *c,
                    struct db_stmt *s,
                    json_t *rows,
                    int64_t *ret_affected,
                    struct cb_error *err);
