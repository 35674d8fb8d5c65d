/* SPDX-License-Identifier: MIT */
/*
 * PostgreSQL statements. Each is prepared once on the server under its own name. A SELECT
 * that a cursor can carry is prepared as DECLARE <cursor> NO SCROLL CURSOR WITH HOLD FOR ...,
 * executed together with its first FETCH in one round trip, and read PQ_FETCH_BATCH rows at a
 * time, so a million-row result never sits in memory and other statements can run between
 * fetches. WITH HOLD keeps the cursor past the implicit transaction of autocommit.
 */
#include "services/db/db-pq-internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int make_text(struct db_conn *c, struct db_stmt *s, struct pq_stmt *ps, struct cb_error *err)
{
    struct pq_conn *pc = pq_of(c);
    CB_CLEANUP(cb_freep) char *rewritten = NULL;
    uint64_t n = ++pc->next_name;

    if (db_sql_rewrite_placeholders(s->sql, &rewritten, &s->param_count) < 0) {
        return cb_error_set(err, CB_E_INTERNAL, "out of memory");
    }
    snprintf(ps->name, sizeof ps->name, "cb_s%" PRIu64, n);
    snprintf(ps->cursor, sizeof ps->cursor, "cb_c%" PRIu64, n);
    ps->use_cursor = s->type == DB_STMT_SELECT && db_sql_cursor_safe(s->sql);
    free(ps->text);
    ps->text = NULL;
    if (ps->use_cursor) {
        if (asprintf(&ps->text, "DECLARE %s NO SCROLL CURSOR WITH HOLD FOR %s", ps->cursor,
                     rewritten) < 0) {
            ps->text = NULL;
        }
    } else {
        ps->text = CB_TAKE_PTR(rewritten);
    }
    return ps->text ? 0 : cb_error_set(err, CB_E_INTERNAL, "out of memory");
}

static struct pq_stmt *stmt_state(struct db_stmt *s)
{
    if (!s->drv) {
        s->drv = calloc(1, sizeof(struct pq_stmt));
    }
    return s->drv;
}

bool pq_is_prepared(struct db_conn *c, struct db_stmt *s)
{
    struct pq_stmt *ps = s->drv;

    return s->prepared && ps && ps->generation == pq_of(c)->generation;
}

int pq_prepare(struct db_conn *c, struct db_stmt *s, struct cb_error *err)
{
    struct pq_stmt *ps = stmt_state(s);
    struct pq_cmd cmd;
    int r;

    if (!ps) {
        return cb_error_set(err, CB_E_INTERNAL, "out of memory");
    }
    r = make_text(c, s, ps, err);
    if (r < 0) {
        return r;
    }
    cmd = (struct pq_cmd){ .kind = PQ_CMD_PREPARE, .name = ps->name, .sql = ps->text };
    (void)pq_run(c, &cmd, 1);
    if (!pq_result_ok(cmd.res)) {
        r = pq_error(c, cmd.res, "the statement", err);
        pq_run_clear(&cmd, 1);
        return r;
    }
    pq_run_clear(&cmd, 1);
    ps->generation = pq_of(c)->generation;
    s->prepared = true;
    return 0;
}

static void take_batch(struct db_stmt *s, struct pq_stmt *ps, PGresult *res)
{
    PQclear(ps->res);
    ps->res = res;
    ps->row = 0;
    if (ps->cur == PQ_CURSOR_OPEN && PQntuples(res) < PQ_FETCH_BATCH) {
        ps->cur = PQ_CURSOR_DONE; /* read to its end; closed with the next exchange */
    }
    s->has_rows = PQntuples(res) > 0 || ps->cur == PQ_CURSOR_OPEN;
}

static int64_t affected(const struct db_stmt *s, const PGresult *res)
{
    const char *n = PQcmdTuples((PGresult *)res);

    if (s->type == DB_STMT_DDL || !n || !*n) {
        return 0;
    }
    return strtoll(n, NULL, 10);
}

int pq_read_answers(struct db_conn *c,
                    struct db_stmt *s,
                    struct pq_cmd *cmds,
                    size_t n,
                    bool in_txn,
                    struct cb_error *err)
{
    struct pq_stmt *ps = s->drv;
    PGresult *exec_res = cmds[n - (ps->use_cursor ? 2 : 1)].res;

    /* Prepared even when its execution then failed: it is not prepared a second time. */
    if (cmds[0].kind == PQ_CMD_PREPARE && pq_result_ok(cmds[0].res)) {
        ps->generation = pq_of(c)->generation;
        s->prepared = true;
    }
    for (size_t i = 0; i < n; i++) {
        if (!pq_result_ok(cmds[i].res)) {
            /* A DECLARE that worked before a failed FETCH is undone with its transaction,
             * unless a transaction of the caller's is open: then the cursor exists. */
            if (ps->use_cursor && i == n - 1 && pq_result_ok(exec_res) && in_txn) {
                ps->cur = PQ_CURSOR_DONE;
                ps->cur_in_txn = true;
            }
            return pq_error(c, cmds[i].res,
                            i == 0 && cmds[0].kind == PQ_CMD_PREPARE ? "the statement"
                                                                     : "the execution",
                            err);
        }
    }
    if (ps->use_cursor) {
        ps->cur = PQ_CURSOR_OPEN;
        ps->cur_in_txn = in_txn;
        pq_describe(c, s, cmds[n - 1].res);
        take_batch(s, ps, CB_TAKE_PTR(cmds[n - 1].res));
        s->rows_affected = -1;
        return 0;
    }
    s->rows_affected = affected(s, exec_res);
    if (PQresultStatus(exec_res) == PGRES_TUPLES_OK) {
        pq_describe(c, s, exec_res);
        take_batch(s, ps, CB_TAKE_PTR(cmds[n - 1].res));
    } else {
        json_decref(s->columns);
        s->columns = NULL;
        s->has_rows = false;
    }
    return 0;
}

int pq_execute(struct db_conn *c, struct db_stmt *s, json_t *params, struct cb_error *err)
{
    struct pq_stmt *ps = stmt_state(s);
    struct pq_params p = { 0 };
    struct pq_cmd cmds[3];
    char fetch[80];
    size_t n = 0;
    bool in_txn;
    int r;

    if (!ps) {
        return cb_error_set(err, CB_E_INTERNAL, "out of memory");
    }
    if (!pq_is_prepared(c, s)) {
        r = make_text(c, s, ps, err);
        if (r < 0) {
            return r;
        }
        /* Prepared in the same round trip as its first execution. */
        cmds[n++] = (struct pq_cmd){ .kind = PQ_CMD_PREPARE, .name = ps->name, .sql = ps->text };
    }
    if (json_array_size(params) != (size_t)s->param_count) {
        return cb_error_set(
                err, CB_E_INVALID_PARAM,
                "parameter 'params' has %zu values, but the statement has %d placeholders",
                json_array_size(params), s->param_count);
    }
    r = pq_params_build(params, &p, err);
    if (r < 0) {
        return r;
    }
    cmds[n++] = (struct pq_cmd){ .kind = PQ_CMD_EXEC, .name = ps->name, .params = &p };
    if (ps->use_cursor) {
        snprintf(fetch, sizeof fetch, "FETCH FORWARD %d FROM %s", PQ_FETCH_BATCH, ps->cursor);
        cmds[n++] = (struct pq_cmd){ .kind = PQ_CMD_QUERY, .sql = fetch };
    }
    in_txn = c->drv->in_transaction(c);
    (void)pq_run(c, cmds, n);
    r = pq_read_answers(c, s, cmds, n, in_txn, err);
    pq_run_clear(cmds, n);
    pq_params_done(&p);
    return r;
}

static int fetch_batch(struct db_conn *c, struct db_stmt *s, struct cb_error *err)
{
    struct pq_stmt *ps = s->drv;
    struct pq_cmd cmd;
    char fetch[80];
    int r;

    snprintf(fetch, sizeof fetch, "FETCH FORWARD %d FROM %s", PQ_FETCH_BATCH, ps->cursor);
    cmd = (struct pq_cmd){ .kind = PQ_CMD_QUERY, .sql = fetch };
    (void)pq_run(c, &cmd, 1);
    if (!pq_result_ok(cmd.res)) {
        r = pq_error(c, cmd.res, "reading the next rows", err);
        pq_run_clear(&cmd, 1);
        ps->cur = PQ_CURSOR_NONE;
        return r;
    }
    take_batch(s, ps, CB_TAKE_PTR(cmd.res));
    return 0;
}

int pq_fetch(struct db_conn *c, struct db_stmt *s, json_t **ret_row, struct cb_error *err)
{
    struct pq_stmt *ps = s->drv;
    int r;

    if (ps->res && ps->row >= PQntuples(ps->res) && ps->cur == PQ_CURSOR_OPEN) {
        r = fetch_batch(c, s, err);
        if (r < 0) {
            return r;
        }
    }
    if (!ps->res || ps->row >= PQntuples(ps->res)) {
        PQclear(ps->res);
        ps->res = NULL;
        return 0;
    }
    *ret_row = pq_row(ps->res, ps->row++);
    return 1;
}

void pq_drain(struct db_conn *c, struct db_stmt *s)
{
    struct pq_stmt *ps = s->drv;

    (void)c;
    if (!ps) {
        return;
    }
    PQclear(ps->res);
    ps->res = NULL;
    /* Closed with the next exchange, at no cost of its own. */
    if (ps->cur == PQ_CURSOR_OPEN) {
        ps->cur = PQ_CURSOR_DONE;
    }
}

void pq_stmt_free(struct db_conn *c, struct db_stmt *s)
{
    struct pq_stmt *ps = s->drv;
    struct pq_conn *pc = pq_of(c);
    char *text = NULL;

    if (pc && pc->pg && ps->cur != PQ_CURSOR_NONE && PQtransactionStatus(pc->pg) == PQTRANS_IDLE) {
        char close[48];

        snprintf(close, sizeof close, "CLOSE %s", ps->cursor);
        PQclear(PQexec(pc->pg, close));
    }
    /* DEALLOCATE waits for the next exchange; an evicted statement costs no round trip. */
    if (pc && pc->pg && pq_is_prepared(c, s) && asprintf(&text, "DEALLOCATE %s", ps->name) >= 0) {
        char **grown = reallocarray(pc->garbage, pc->n_garbage + 1, sizeof *grown);

        if (grown) {
            pc->garbage = grown;
            pc->garbage[pc->n_garbage++] = text;
        } else {
            free(text);
        }
    }
    PQclear(ps->res);
    free(ps->text);
    free(ps);
    s->drv = NULL;
}

static int many_chunk(struct db_conn *c,
                      struct pq_cmd *cmds,
                      struct pq_params *params,
                      size_t n,
                      bool last,
                      struct cb_error *err);

int pq_execute_many(struct db_conn *c,
                    struct db_stmt *s,
                    json_t *rows,
                    int64_t *ret_affected,
                    struct cb_error *err)
{
    size_t total = json_array_size(rows);
    struct pq_cmd *cmds = calloc(PQ_MANY_CHUNK + 1, sizeof *cmds);
    struct pq_params *params = calloc(PQ_MANY_CHUNK + 1, sizeof *params);
    struct pq_stmt *ps = stmt_state(s);
    int r = 0;

    if (!cmds || !params || !ps) {
        free(cmds);
        free(params);
        return cb_error_set(err, CB_E_INTERNAL, "out of memory");
    }
    if (!pq_is_prepared(c, s)) {
        r = pq_prepare(c, s, err);
    }
    for (size_t done = 0; r >= 0 && done < total; done += PQ_MANY_CHUNK) {
        size_t n = CB_MIN(total - done, (size_t)PQ_MANY_CHUNK);

        for (size_t i = 0; r >= 0 && i < n; i++) {
            json_t *row = json_array_get(rows, done + i);

            if (json_array_size(row) != (size_t)s->param_count) {
                r = cb_error_set(
                        err, CB_E_INVALID_PARAM,
                        "parameter 'rows' item %zu has %zu values, but the statement has %d placeholders",
                        done + i, json_array_size(row), s->param_count);
                break;
            }
            r = pq_params_build(row, &params[i], err);
            cmds[i] =
                    (struct pq_cmd){ .kind = PQ_CMD_EXEC, .name = ps->name, .params = &params[i] };
        }
        if (r >= 0) {
            r = many_chunk(c, cmds, params, n, done + n >= total, err);
        }
        for (size_t i = 0; i < n; i++) {
            if (r >= 0) {
                *ret_affected += affected(s, cmds[i].res);
            }
            pq_params_done(&params[i]);
        }
        pq_run_clear(cmds, n);
    }
    free(cmds);
    free(params);
    return r;
}

#ifdef LIBPQ_HAS_PIPELINING
/*
 * One chunk of a pipeline that spans the whole call: no sync point until the last chunk, so
 * outside a transaction every execution commits or none does, and reading each chunk's
 * answers before sending the next keeps both socket buffers from filling up.
 */
static int many_chunk(struct db_conn *c,
                      struct pq_cmd *cmds,
                      struct pq_params *params,
                      size_t n,
                      bool last,
                      struct cb_error *err)
{
    PGconn *pg = pq_of(c)->pg;
    int r = 0;

    (void)params;
    if (PQpipelineStatus(pg) == PQ_PIPELINE_OFF && PQenterPipelineMode(pg) != 1) {
        return pq_error(c, NULL, "pipeline mode", err);
    }
    for (size_t i = 0; i < n; i++) {
        const struct pq_params *p = cmds[i].params;

        if (PQsendQueryPrepared(pg, cmds[i].name, (int)p->n, p->values, p->lengths, p->formats,
                                0) != 1) {
            n = i;
            break;
        }
    }
    if (last ? PQpipelineSync(pg) != 1 : PQsendFlushRequest(pg) != 1 || PQflush(pg) != 0) {
        r = pq_error(c, NULL, "the executions", err);
    }
    for (size_t i = 0; i < n; i++) {
        PGresult *extra;

        cmds[i].res = PQgetResult(pg);
        while ((extra = PQgetResult(pg))) {
            PQclear(extra);
        }
        if (r >= 0 && !pq_result_ok(cmds[i].res)) {
            r = pq_error(c, cmds[i].res, "an execution of execute_many", err);
        }
    }
    if (last || r < 0) {
        if (!last) {
            (void)PQpipelineSync(pg);
        }
        PQclear(PQgetResult(pg)); /* the sync point */
        (void)PQexitPipelineMode(pg);
        if (PQstatus(pg) == CONNECTION_OK) {
            pq_of(c)->last_status = PQtransactionStatus(pg);
        }
    }
    return r;
}
#else
/* COMPAT(libpq<14): one round trip per execution. */
static int many_chunk(struct db_conn *c,
                      struct pq_cmd *cmds,
                      struct pq_params *params,
                      size_t n,
                      bool last,
                      struct cb_error *err)
{
    (void)params;
    (void)last;
    for (size_t i = 0; i < n; i++) {
        (void)pq_run(c, &cmds[i], 1);
        if (!pq_result_ok(cmds[i].res)) {
            return pq_error(c, cmds[i].res, "an execution of execute_many", err);
        }
    }
    return 0;
}
#endif
