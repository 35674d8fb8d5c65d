/* SPDX-License-Identifier: MIT */
/* The db family's handler table and per-session state. */
#include "services/db/db-internal.h"

#include <stdlib.h>

static void *db_session_new(void)
{
    struct db_session *s = calloc(1, sizeof *s);

    if (s) {
        pthread_mutex_init(&s->lock, NULL);
    }
    return s;
}

static void db_session_free(void *data)
{
    struct db_session *s = data;

    for (size_t i = 0; i < s->n_cached; i++) {
        free(s->cached[i].dsn);
        free(s->cached[i].username);
    }
    free(s->cached);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

/*
 * Nothing runs on the loop thread: even the cheap reads take a connection's lock, which a
 * long query on another session may hold.
 */
static const struct cb_handler db_handlers[] = {
    { "database", "connect", db_connect, false },
    { "database", "connect_cached", db_connect_cached, false },
    { "database", "disconnect", db_disconnect, false },
    { "database", "ping", db_ping, false },
    { "database", "prepare", db_prepare, false },
    { "database", "execute_statement", db_execute_statement, false },
    { "database", "fetch_row", db_fetch_row, false },
    { "database", "fetch_all", db_fetch_all, false },
    { "database", "finish_statement", db_finish_statement, false },
    { "database", "execute_immediate", db_execute_immediate, false },
    { "database", "execute_many", db_execute_many, false },
    { "database", "begin_transaction", db_begin_transaction, false },
    { "database", "commit", db_commit, false },
    { "database", "rollback", db_rollback, false },
    { "database", "get_connection_error", db_get_connection_error, false },
    { "database", "get_statement_error", db_get_statement_error, false },
    { "database", "list_tables", db_list_tables, false },
    { "database", "list_columns", db_list_columns, false },
};

/* A prepared statement's execution is one round trip: the loop waits for it, not a thread. */
static const struct cb_starter db_starters[] = {
    { "database", "execute_statement", db_execute_statement_start },
    { "database", "execute_immediate", db_execute_immediate_start },
};

const struct cb_family db_family = {
    .name = "db",
    .handlers = db_handlers,
    .n_handlers = CB_ELEMENTSOF(db_handlers),
    .starters = db_starters,
    .n_starters = CB_ELEMENTSOF(db_starters),
    .session_ops = { .data_new = db_session_new,
                     .data_free = db_session_free,
                     .cancel = db_session_cancel },
};
