/* SPDX-License-Identifier: MIT */
/*
 * A prepared statement executed from the loop thread (db-async.c): sent in libpq's
 * non-blocking mode, its answer read as the server's socket becomes readable. Only the plain
 * case comes here: prepared on this connection, no cursor, no housekeeping waiting to ride
 * along, and the connection not dropped while idle. The answer goes through the same
 * pq_read_answers as the blocking path, so both give the same results and errors.
 */
#include "services/db/db-pq-internal.h"

#include <stdlib.h>

struct pq_async {
    struct pq_params params;
    struct pq_cmd cmd;
    bool in_txn;
};

static void finish(struct db_async *da)
{
    struct pq_async *pa = da->drv;
    struct cb_error err = CB_ERROR_INIT;
    PGconn *pg = pq_of(da->c)->pg;
    int r;

    da->io = sd_event_source_disable_unref(da->io);
    (void)PQsetnonblocking(pg, 0);
    pq_after_run(da->c, &pa->cmd, 1);
    r = pq_read_answers(da->c, da->s, &pa->cmd, 1, pa->in_txn, &err);
    pq_run_clear(&pa->cmd, 1);
    pq_params_done(&pa->params);
    free(pa);
    da->drv = NULL;
    db_async_done(da, r, &err);
}

/* Keeps the first result; the rest of a statement's results are only read to the end. */
static void take_result(struct pq_async *pa, PGresult *res)
{
    if (!pa->cmd.res) {
        pa->cmd.res = res;
    } else {
        PQclear(res);
    }
}

static int on_server(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
    struct db_async *da = userdata;
    PGconn *pg = pq_of(da->c)->pg;
    PGresult *res;

    (void)fd;
    if (revents & EPOLLOUT) {
        int f = PQflush(pg);

        if (f < 0) {
            finish(da); /* the connection failed: no result, and pq_error says so */
            return 0;
        }
        if (f == 0) {
            (void)sd_event_source_set_io_events(s, EPOLLIN);
        }
    }
    if (PQconsumeInput(pg) != 1) {
        finish(da);
        return 0;
    }
    while (!PQisBusy(pg)) {
        res = PQgetResult(pg);
        if (!res) {
            finish(da);
            return 0;
        }
        take_result(da->drv, res);
    }
    return 0;
}

int pq_execute_start(struct db_conn *c, struct db_stmt *s, json_t *params, struct db_async *da)
{
    struct pq_stmt *ps = s->drv;
    PGconn *pg = pq_of(c)->pg;
    struct cb_error err = CB_ERROR_INIT;
    struct pq_async *pa;
    int flushed;

    if (!ps || ps->use_cursor || !pq_is_prepared(c, s) || pq_housekeeping_waits(c) ||
        pq_dropped_while_idle(pg)) {
        return 0;
    }
    pa = calloc(1, sizeof *pa);
    if (!pa) {
        return 0;
    }
    if (pq_params_build(params, &pa->params, &err) < 0) {
        cb_error_clear(&err); /* the blocking path says what is wrong with them */
        free(pa);
        return 0;
    }
    pa->in_txn = c->drv->in_transaction(c);
    pa->cmd = (struct pq_cmd){ .kind = PQ_CMD_EXEC, .name = ps->name, .params = &pa->params };
    if (PQsetnonblocking(pg, 1) != 0 ||
        PQsendQueryPrepared(pg, ps->name, (int)pa->params.n, pa->params.values, pa->params.lengths,
                            pa->params.formats, 0) != 1) {
        /* Nothing was sent: the blocking path runs it, or reports the connection's state. */
        (void)PQsetnonblocking(pg, 0);
        pq_params_done(&pa->params);
        free(pa);
        return 0;
    }
    da->drv = pa;
    flushed = PQflush(pg);
    if (sd_event_add_io(cb_async_event(da->a), &da->io, PQsocket(pg),
                        EPOLLIN | (flushed == 1 ? EPOLLOUT : 0), on_server, da) < 0) {
        /* Sent, so it must be read: the answer is waited for here, at once. */
        pq_execute_wait(da);
        return 1;
    }
    return 1;
}

void pq_execute_wait(struct db_async *da)
{
    struct pq_async *pa = da->drv;
    PGconn *pg = pq_of(da->c)->pg;
    PGresult *res;

    da->io = sd_event_source_disable_unref(da->io);
    (void)PQsetnonblocking(pg, 0);
    while ((res = PQgetResult(pg))) {
        take_result(pa, res);
    }
    finish(da);
}
