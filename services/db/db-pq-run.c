/* SPDX-License-Identifier: MIT */
/*
 * One exchange with PostgreSQL: the commands a call needs, preceded by the housekeeping that
 * waited for a round trip (closing read cursors, deallocating finished statements), sent in
 * pipeline mode and read back in order. libpq before 14 has no pipeline mode; there the
 * same commands run one by one.
 */
#include "services/db/db-pq-internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cb-log.h"

bool pq_result_ok(const PGresult *res)
{
    ExecStatusType st = PQresultStatus(res);

    return res && (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_EMPTY_QUERY);
}

static char *trimmed(const char *s)
{
    char *t = strdup(s ? s : "");
    size_t n = t ? strlen(t) : 0;

    while (n > 0 && (t[n - 1] == '\n' || t[n - 1] == ' ')) {
        t[--n] = '\0';
    }
    return t;
}

int pq_error(struct db_conn *c, const PGresult *res, const char *what, struct cb_error *err)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    CB_CLEANUP(cb_freep) char *msg = NULL;

    if (res && PQresultStatus(res) == PGRES_PIPELINE_ABORTED) {
        return cb_error_set(err, CB_E_INTERNAL, "%s was skipped after an earlier failure", what);
    }
    /* No result or no SQLSTATE: the connection itself failed (class 08). */
    msg = trimmed(primary ? primary : PQerrorMessage(pq_of(c)->pg));
    if (!state) {
        state = PQstatus(pq_of(c)->pg) == CONNECTION_OK ? "XX000" : "08006";
    }
    return cb_error_set_backend(err, state, msg ? msg : "", "PostgreSQL refused %s: %s", what,
                                msg ? msg : "");
}

static int send_one(PGconn *pg, const struct pq_cmd *cmd)
{
    const struct pq_params *p = cmd->params;
    int n = p ? (int)p->n : 0;

    switch (cmd->kind) {
    case PQ_CMD_PREPARE:
        return PQsendPrepare(pg, cmd->name, cmd->sql, 0, NULL);
    case PQ_CMD_EXEC:
        return PQsendQueryPrepared(pg, cmd->name, n, p ? p->values : NULL, p ? p->lengths : NULL,
                                   p ? p->formats : NULL, 0);
    default:
        /* The extended protocol even for plain text: the simple one is refused in a pipeline. */
        return PQsendQueryParams(pg, cmd->sql, 0, NULL, NULL, NULL, NULL, 0);
    }
}

#ifdef LIBPQ_HAS_PIPELINING
static void run_pipelined(PGconn *pg, struct pq_cmd *cmds, size_t n)
{
    size_t sent = 0;

    if (PQenterPipelineMode(pg) != 1) {
        return;
    }
    for (; sent < n; sent++) {
        if (send_one(pg, &cmds[sent]) != 1) {
            break;
        }
        if ((cmds[sent].sync_after || sent + 1 == n) && PQpipelineSync(pg) != 1) {
            sent++;
            break;
        }
    }
    for (size_t i = 0; i < sent; i++) {
        PGresult *res = PQgetResult(pg), *extra;

        if (!res) {
            break; /* the connection failed */
        }
        cmds[i].res = res;
        /* Each command's results end with NULL; a sync point answers on its own. */
        while ((extra = PQgetResult(pg))) {
            PQclear(extra);
        }
        if (cmds[i].sync_after || i + 1 == n) {
            PGresult *sync = PQgetResult(pg);

            PQclear(sync);
        }
    }
    (void)PQexitPipelineMode(pg);
}
#endif

/* COMPAT(libpq<14): one round trip per command, skipping to the next sync after a failure. */
static void run_sequential(PGconn *pg, struct pq_cmd *cmds, size_t n)
{
    bool failed = false;

    for (size_t i = 0; i < n; i++) {
        if (!failed) {
            PGresult *res, *extra;

            if (send_one(pg, &cmds[i]) != 1) {
                return;
            }
            res = PQgetResult(pg);
            while ((extra = PQgetResult(pg))) {
                PQclear(extra);
            }
            cmds[i].res = res;
            failed = !pq_result_ok(res);
        }
        if (cmds[i].sync_after) {
            failed = false;
        }
    }
}

/* Cursors declared in a transaction die with its rollback, and survive its commit. */
static void track_transaction_end(struct db_conn *c, const char *tag)
{
    bool committed = strcmp(tag, "COMMIT") == 0;

    for (struct db_stmt *s = c->lru_head; s; s = s->lru_next) {
        struct pq_stmt *ps = s->drv;

        if (!ps || !ps->cur_in_txn) {
            continue;
        }
        ps->cur_in_txn = false;
        if (!committed) {
            ps->cur = PQ_CURSOR_NONE;
            s->has_rows = ps->res && ps->row < PQntuples(ps->res);
        }
    }
}

void pq_after_run(struct db_conn *c, struct pq_cmd *cmds, size_t n)
{
    struct pq_conn *pc = pq_of(c);

    for (size_t i = 0; i < n; i++) {
        const char *tag = cmds[i].res ? PQcmdStatus(cmds[i].res) : "";

        if (pq_result_ok(cmds[i].res) &&
            (strcmp(tag, "COMMIT") == 0 || strcmp(tag, "ROLLBACK") == 0)) {
            track_transaction_end(c, tag);
        }
    }
    if (PQstatus(pc->pg) == CONNECTION_OK) {
        pc->last_status = PQtransactionStatus(pc->pg);
    }
}

bool pq_housekeeping_waits(struct db_conn *c)
{
    if (pq_of(c)->n_garbage > 0) {
        return true;
    }
    for (struct db_stmt *s = c->lru_head; s; s = s->lru_next) {
        const struct pq_stmt *ps = s->drv;

        if (ps && ps->cur == PQ_CURSOR_DONE) {
            return true;
        }
    }
    return false;
}

/* Housekeeping that can ride along: never inside a failed transaction, where it would fail. */
static size_t housekeeping(struct db_conn *c, struct pq_cmd *out, char **texts, size_t max)
{
    struct pq_conn *pc = pq_of(c);
    size_t n = 0;

    if (PQtransactionStatus(pc->pg) == PQTRANS_INERROR) {
        return 0;
    }
    for (struct db_stmt *s = c->lru_head; s && n < max; s = s->lru_next) {
        struct pq_stmt *ps = s->drv;

        if (ps && ps->cur == PQ_CURSOR_DONE && asprintf(&texts[n], "CLOSE %s", ps->cursor) >= 0) {
            out[n] = (struct pq_cmd){ .kind = PQ_CMD_QUERY, .sql = texts[n], .sync_after = true };
            ps->cur = PQ_CURSOR_NONE;
            ps->cur_in_txn = false;
            n++;
        }
    }
    while (pc->n_garbage > 0 && n < max) {
        texts[n] = pc->garbage[--pc->n_garbage];
        out[n] = (struct pq_cmd){ .kind = PQ_CMD_QUERY, .sql = texts[n], .sync_after = true };
        n++;
    }
    return n;
}

int pq_run(struct db_conn *c, struct pq_cmd *cmds, size_t n)
{
    struct pq_conn *pc = pq_of(c);
    size_t room = 16 + n, k;
    struct pq_cmd *all = calloc(room, sizeof *all);
    char **texts = calloc(16, sizeof *texts);
    int r = 0;

    if (!all || !texts) {
        free(all);
        free(texts);
        return -ENOMEM;
    }
    k = housekeeping(c, all, texts, 16);
    memcpy(all + k, cmds, n * sizeof *cmds);
#ifdef LIBPQ_HAS_PIPELINING
    /* One command alone needs no pipeline: it is one round trip either way. */
    if (k + n == 1) {
        run_sequential(pc->pg, all, 1);
    } else {
        run_pipelined(pc->pg, all, k + n);
    }
#else
    run_sequential(pc->pg, all, k + n);
#endif
    pq_after_run(c, all, k + n);

    for (size_t i = 0; i < k; i++) {
        if (!pq_result_ok(all[i].res)) {
            cb_log_debug("PostgreSQL housekeeping '%s' failed, ignoring", all[i].sql);
        }
        PQclear(all[i].res);
        free(texts[i]);
    }
    for (size_t i = 0; i < n; i++) {
        cmds[i].res = all[k + i].res;
    }
    if (PQstatus(pc->pg) != CONNECTION_OK) {
        r = -EIO;
    }
    free(all);
    free(texts);
    return r;
}

void pq_run_clear(struct pq_cmd *cmds, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        PQclear(cmds[i].res);
        cmds[i].res = NULL;
    }
}

void pq_params_done(struct pq_params *p)
{
    for (size_t i = 0; p->owned && i < p->n; i++) {
        free(p->owned[i]);
    }
    free(p->owned);
    free(p->values);
    free(p->lengths);
    free(p->formats);
    *p = (struct pq_params){ 0 };
}

static int param_text(json_t *v, size_t i, struct pq_params *p, struct cb_error *err)
{
    void *bytes = NULL;
    size_t len = 0;

    if (json_is_null(v)) {
        return 0; /* values[i] stays NULL: SQL NULL */
    }
    if (json_is_string(v)) {
        if (memchr(json_string_value(v), '\0', json_string_length(v))) {
            return cb_error_set(
                    err, CB_E_INVALID_PARAM,
                    "parameter 'params' item %zu holds a NUL byte, which PostgreSQL text cannot; send it as binary",
                    i);
        }
        p->values[i] = json_string_value(v);
        return 0;
    }
    if (cb_is_binary(v)) {
        if (cb_binary_bytes(v, &bytes, &len) < 0) {
            return cb_error_set(err, CB_E_INVALID_PARAM,
                                "parameter 'params' item %zu is not valid base64", i);
        }
        /* Binary format: bytea's binary form is the bytes themselves. */
        p->owned[i] = bytes;
        p->lengths[i] = (int)len;
        p->formats[i] = 1;
    } else if (json_is_boolean(v)) {
        p->owned[i] = strdup(json_is_true(v) ? "true" : "false");
    } else if (json_is_integer(v)) {
        (void)asprintf(&p->owned[i], "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    } else if (json_is_real(v)) {
        (void)asprintf(&p->owned[i], "%.17g", json_real_value(v));
    } else {
        p->owned[i] = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    }
    if (!p->owned[i]) {
        return cb_error_set(err, CB_E_INTERNAL, "out of memory");
    }
    p->values[i] = p->owned[i];
    return 0;
}

int pq_params_build(json_t *values, struct pq_params *ret, struct cb_error *err)
{
    struct pq_params p = { .n = json_array_size(values) };
    json_t *v;
    size_t i;

    p.values = calloc(p.n + 1, sizeof *p.values);
    p.lengths = calloc(p.n + 1, sizeof *p.lengths);
    p.formats = calloc(p.n + 1, sizeof *p.formats);
    p.owned = calloc(p.n + 1, sizeof *p.owned);
    if (!p.values || !p.lengths || !p.formats || !p.owned) {
        pq_params_done(&p);
        return cb_error_set(err, CB_E_INTERNAL, "out of memory");
    }
    json_array_foreach(values, i, v)
    {
        int r = param_text(v, i, &p, err);

        if (r < 0) {
            pq_params_done(&p);
            return r;
        }
    }
    *ret = p;
    return 0;
}

/* After a reconnect nothing of ours exists on the server: prepare and declare afresh. */
void pq_forget_server_state(struct db_conn *c)
{
    struct pq_conn *pc = pq_of(c);

    pc->generation++;
    for (size_t i = 0; i < pc->n_garbage; i++) {
        free(pc->garbage[i]);
    }
    pc->n_garbage = 0;
    for (struct db_stmt *s = c->lru_head; s; s = s->lru_next) {
        struct pq_stmt *ps = s->drv;

        s->has_rows = false;
        if (ps) {
            ps->cur = PQ_CURSOR_NONE;
            ps->cur_in_txn = false;
            PQclear(ps->res);
            ps->res = NULL;
        }
    }
}
