/* SPDX-License-Identifier: MIT */
/*
 * The PostgreSQL driver: dbi:Pg:dbname=..;host=..;port=.. through libpq. The instance runs
 * as the user, so with no password libpq uses the user's own ~/.pgpass, peer or Kerberos
 * (GSSAPI) authentication. A dropped connection is reopened before the next call only when
 * no transaction was open; otherwise that call fails saying the transaction was lost.
 */
#include "services/db/db-pq-internal.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/cb-log.h"

/* DBD::Pg's DSN names for libpq's keywords. */
static const char *libpq_keyword(const char *key)
{
    if (strcasecmp(key, "database") == 0 || strcasecmp(key, "db") == 0 ||
        strcasecmp(key, "dbname") == 0) {
        return "dbname";
    }
    if (strcasecmp(key, "username") == 0) {
        return "user";
    }
    return key;
}

struct conninfo {
    const char *keys[48];
    const char *values[48];
    size_t n;
};

static void conninfo_set(struct conninfo *ci, const char *key, const char *value)
{
    for (size_t i = 0; i < ci->n; i++) {
        if (strcmp(ci->keys[i], key) == 0) {
            ci->values[i] = value;
            return;
        }
    }
    if (ci->n + 1 < CB_ELEMENTSOF(ci->keys)) {
        ci->keys[ci->n] = key;
        ci->values[ci->n++] = value;
    }
}

static void conninfo_build(struct conninfo *ci,
                           const struct db_dsn *dsn,
                           const char *user,
                           const char *password,
                           const char *auth_mode)
{
    for (size_t i = 0; i < dsn->n; i++) {
        conninfo_set(ci, libpq_keyword(dsn->keys[i]), dsn->values[i]);
    }
    if (user && *user) {
        conninfo_set(ci, "user", user);
    }
    /* Kerberos means the ticket, never a password; an empty one means ~/.pgpass or peer. */
    if (password && *password && strcmp(auth_mode, "kerberos") != 0) {
        conninfo_set(ci, "password", password);
    }
    if (strcmp(auth_mode, "kerberos") == 0) {
        conninfo_set(ci, "gssencmode", "prefer");
    }
    conninfo_set(ci, "client_encoding", "UTF8");
    conninfo_set(ci, "fallback_application_name", "cpan-bridge");
    ci->keys[ci->n] = NULL;
    ci->values[ci->n] = NULL;
}

static int connect_error(PGconn *pg, struct cb_error *err)
{
    char *msg = strdup(pg ? PQerrorMessage(pg) : "out of memory");
    size_t n = msg ? strlen(msg) : 0;
    int r;

    while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' ')) {
        msg[--n] = '\0';
    }
    /* libpq's text names the host and user, never the password. */
    r = cb_error_set_backend(err, "08001", msg ? msg : "", "cannot connect to PostgreSQL: %s",
                             msg ? msg : "");
    free(msg);
    return r;
}

static int pq_open(struct db_conn *c,
                   const struct db_dsn *dsn,
                   const char *user,
                   const char *password,
                   struct cb_error *err)
{
    struct conninfo ci = { .n = 0 };
    struct pq_conn *pc;
    PGconn *pg;
    int r;

    conninfo_build(&ci, dsn, user, password, c->auth_mode);
    pg = PQconnectdbParams(ci.keys, ci.values, 0);
    if (!pg || PQstatus(pg) != CONNECTION_OK) {
        r = connect_error(pg, err);
        PQfinish(pg);
        return r;
    }
    pc = calloc(1, sizeof *pc);
    if (!pc || !(pc->type_names = cb_hashmap_new())) {
        free(pc);
        PQfinish(pg);
        return cb_error_set(err, CB_E_INTERNAL, "out of memory");
    }
    pc->pg = pg;
    pc->cancel = PQgetCancel(pg);
    pc->last_status = PQtransactionStatus(pg);
    c->drv_conn = pc;
    return 0;
}

/* The cancel key changes with each backend, and the loop thread may be reading it. */
static void swap_cancel(struct db_conn *c, PGcancel *fresh)
{
    struct pq_conn *pc = pq_of(c);
    PGcancel *old;

    pthread_mutex_lock(&c->cancel_lock);
    old = pc->cancel;
    pc->cancel = fresh;
    pthread_mutex_unlock(&c->cancel_lock);
    PQfreeCancel(old);
}

static void pq_cancel(struct db_conn *c)
{
    struct pq_conn *pc = pq_of(c);
    char why[256];

    pthread_mutex_lock(&c->cancel_lock);
    if (pc->cancel && !PQcancel(pc->cancel, why, sizeof why)) {
        cb_log_warning("Could not cancel the statement running on connection '%s': %s", c->id, why);
    }
    pthread_mutex_unlock(&c->cancel_lock);
}

static void pq_close(struct db_conn *c)
{
    struct pq_conn *pc = pq_of(c);
    size_t state = 0;
    const char *key;
    void *value;

    /* Ending the session ends the backend's transaction: PostgreSQL rolls it back. */
    swap_cancel(c, NULL);
    PQfinish(pc->pg);
    for (size_t i = 0; i < pc->n_garbage; i++) {
        free(pc->garbage[i]);
    }
    free(pc->garbage);
    while (cb_hashmap_iterate(pc->type_names, &state, &key, &value)) {
        free(value);
    }
    cb_hashmap_free(pc->type_names);
    free(pc);
    c->drv_conn = NULL;
}

static const char *pq_server_version(struct db_conn *c)
{
    const char *v = PQparameterStatus(pq_of(c)->pg, "server_version");

    return v ? v : "";
}

bool pq_dropped_while_idle(PGconn *pg)
{
    struct pollfd p = { .fd = PQsocket(pg), .events = POLLIN };
    PGnotify *note;

    if (PQstatus(pg) != CONNECTION_OK || p.fd < 0) {
        return true;
    }
    /* A terminated backend sends its FATAL message, then EOF: read until neither is left. */
    for (int i = 0; i < 4 && poll(&p, 1, 0) > 0; i++) {
        if (PQconsumeInput(pg) != 1) {
            return true;
        }
        while ((note = PQnotifies(pg))) {
            PQfreemem(note);
        }
    }
    return PQstatus(pg) != CONNECTION_OK;
}

static int pq_check(struct db_conn *c, struct cb_error *err)
{
    struct pq_conn *pc = pq_of(c);
    PGTransactionStatusType was = pc->last_status;

    if (!pq_dropped_while_idle(pc->pg)) {
        return 0;
    }
    pq_forget_server_state(c);
    /* A write is never replayed: a lost transaction is reported, and the next call reopens. */
    if (was == PQTRANS_INTRANS || was == PQTRANS_INERROR || was == PQTRANS_ACTIVE) {
        pc->last_status = PQTRANS_IDLE;
        return cb_error_set_backend(
                err, "08006", "the connection to the server was lost",
                "the connection to PostgreSQL was lost while a transaction was open: the server rolled it back and nothing of it was committed; the next call reconnects");
    }
    swap_cancel(c, NULL);
    PQreset(pc->pg);
    if (PQstatus(pc->pg) != CONNECTION_OK) {
        return connect_error(pc->pg, err);
    }
    swap_cancel(c, PQgetCancel(pc->pg));
    pc->last_status = PQtransactionStatus(pc->pg);
    cb_log_info("PostgreSQL connection '%s' was dropped by the server and has been reopened",
                c->id);
    return 0;
}

static int pq_ping(struct db_conn *c, bool *ret_alive)
{
    PGconn *pg = pq_of(c)->pg;
    PGresult *res;

    if (pq_dropped_while_idle(pg)) {
        *ret_alive = false;
        return 0;
    }
    /* The empty query answers even inside a failed transaction. */
    res = PQexec(pg, "");
    *ret_alive = PQresultStatus(res) == PGRES_EMPTY_QUERY && PQstatus(pg) == CONNECTION_OK;
    PQclear(res);
    return 0;
}

static bool pq_in_transaction(struct db_conn *c)
{
    PGTransactionStatusType st = PQtransactionStatus(pq_of(c)->pg);

    return st == PQTRANS_INTRANS || st == PQTRANS_INERROR;
}

static int pq_transaction(struct db_conn *c, const char *verb, bool *ret_done, struct cb_error *err)
{
    struct pq_cmd cmd = { .kind = PQ_CMD_QUERY, .sql = verb };
    int r = 0;

    (void)pq_run(c, &cmd, 1);
    if (!pq_result_ok(cmd.res)) {
        r = pq_error(c, cmd.res, verb, err);
    } else {
        /* COMMIT of a failed transaction answers ROLLBACK. */
        *ret_done = strcmp(verb, "COMMIT") != 0 || strcmp(PQcmdStatus(cmd.res), "COMMIT") == 0;
    }
    pq_run_clear(&cmd, 1);
    return r;
}

const struct db_driver db_driver_pg = {
    .name = "Pg",
    .db_type = "postgresql",
    .open = pq_open,
    .close = pq_close,
    .server_version = pq_server_version,
    .check = pq_check,
    .ping = pq_ping,
    .in_transaction = pq_in_transaction,
    .transaction = pq_transaction,
    .prepare = pq_prepare,
    .execute = pq_execute,
    .fetch = pq_fetch,
    .drain = pq_drain,
    .stmt_free = pq_stmt_free,
    .execute_many = pq_execute_many,
    .cancel = pq_cancel,
    .execute_start = pq_execute_start,
    .execute_wait = pq_execute_wait,
    .list_tables_sql =
            "SELECT table_schema, table_name, CASE table_type WHEN 'VIEW' THEN 'view' ELSE 'table' END FROM information_schema.tables WHERE table_schema NOT IN ('pg_catalog', 'information_schema') AND ($1::text IS NULL OR table_schema = $1) ORDER BY 1, 2",
    .list_columns_sql =
            "SELECT column_name, data_type, is_nullable = 'YES', column_default, ordinal_position FROM information_schema.columns WHERE table_name = $1 AND table_schema = coalesce($2::text, current_schema()) ORDER BY ordinal_position",
};
