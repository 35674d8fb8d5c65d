/* SPDX-License-Identifier: MIT */
/*
 * The floor for bench-db.sh: the same inserts made directly with libpq. "roundtrips" runs N
 * prepared INSERTs with one round trip each; "pipeline" sends N in libpq's pipeline mode and
 * one sync. Prints "seconds=<s>". Usage: pq-direct CONNINFO roundtrips|pipeline N
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int check(PGresult *res, const char *what)
{
    ExecStatusType st = PQresultStatus(res);
    int ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_PIPELINE_SYNC;

    if (!ok) {
        fprintf(stderr, "pq-direct: %s: %s", what, PQresultErrorMessage(res));
    }
    PQclear(res);
    return ok ? 0 : -1;
}

static int roundtrips(PGconn *pg, int n)
{
    for (int i = 0; i < n; i++) {
        char a[16];
        const char *values[2] = { a, "x" };

        snprintf(a, sizeof a, "%d", i);
        if (check(PQexecPrepared(pg, "ins", 2, values, NULL, NULL, 0), "insert") < 0) {
            return -1;
        }
    }
    return 0;
}

static int pipeline(PGconn *pg, int n)
{
    PGresult *res;

    if (PQenterPipelineMode(pg) != 1) {
        return -1;
    }
    for (int i = 0; i < n; i++) {
        char a[16];
        const char *values[2] = { a, "x" };

        snprintf(a, sizeof a, "%d", i);
        if (PQsendQueryPrepared(pg, "ins", 2, values, NULL, NULL, 0) != 1) {
            return -1;
        }
    }
    if (PQpipelineSync(pg) != 1) {
        return -1;
    }
    for (int i = 0; i < n; i++) {
        if (check(PQgetResult(pg), "insert") < 0) {
            return -1;
        }
        while ((res = PQgetResult(pg))) {
            PQclear(res);
        }
    }
    if (check(PQgetResult(pg), "sync") < 0) {
        return -1;
    }
    return PQexitPipelineMode(pg) == 1 ? 0 : -1;
}

int main(int argc, char **argv)
{
    PGconn *pg;
    double t0, t1;
    int n, r;

    if (argc != 4) {
        fprintf(stderr, "usage: pq-direct CONNINFO roundtrips|pipeline N\n");
        return 2;
    }
    n = atoi(argv[3]);
    pg = PQconnectdb(argv[1]);
    if (PQstatus(pg) != CONNECTION_OK) {
        fprintf(stderr, "pq-direct: %s", PQerrorMessage(pg));
        return 1;
    }
    if (check(PQprepare(pg, "ins", "INSERT INTO bench (a, b) VALUES ($1, $2)", 0, NULL),
              "prepare") < 0) {
        return 1;
    }
    t0 = now();
    r = strcmp(argv[2], "pipeline") == 0 ? pipeline(pg, n) : roundtrips(pg, n);
    t1 = now();
    PQfinish(pg);
    if (r < 0) {
        return 1;
    }
    printf("seconds=%.6f\n", t1 - t0);
    return 0;
}
