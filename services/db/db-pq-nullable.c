/* SPDX-License-Identifier: MIT */
/*
 * Whether a result column may hold NULL, as DBI's NULLABLE reports it: a column read straight
 * from a table is nullable unless the table's column is NOT NULL. Anything else (an expression,
 * an aggregate, a column from the nullable side of an outer join) may be NULL. The catalogue is
 * asked once per statement, in one query for all its columns; re-executions keep the answer,
 * since a prepared statement's result shape cannot change under it.
 */
#include "services/db/db-pq-internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char nullability_sql[] =
        "SELECT k.i, a.attnotnull FROM unnest($1::oid[], $2::int2[]) WITH ORDINALITY AS "
        "k(rel, num, i) JOIN pg_catalog.pg_attribute a ON a.attrelid = k.rel AND "
        "a.attnum = k.num";

/* The previous execution's answers, when the statement was described before. */
static bool reuse_previous(const struct db_stmt *s, int n, bool *ret)
{
    json_t *cols = s->columns ? json_object_get(s->columns, "columns") : NULL;

    if (!cols || json_array_size(cols) != (size_t)n) {
        return false;
    }
    for (int i = 0; i < n; i++) {
        ret[i] = json_is_true(json_object_get(json_array_get(cols, (size_t)i), "nullable"));
    }
    return true;
}

/* "{a,b,c}" array literals of the table oids and column numbers; idx maps back to columns. */
static int table_columns(const PGresult *res, int n, char **ret_rels, char **ret_nums, int *idx)
{
    size_t cap = (size_t)n * 12 + 3;
    char *rels = malloc(cap), *nums = malloc(cap);
    size_t ro = 0, no = 0;
    int k = 0;

    if (!rels || !nums) {
        free(rels);
        free(nums);
        return -1;
    }
    rels[ro++] = '{';
    nums[no++] = '{';
    for (int i = 0; i < n; i++) {
        Oid rel = PQftable(res, i);
        int num = PQftablecol(res, i);

        if (rel == InvalidOid || num <= 0) {
            continue;
        }
        ro += (size_t)snprintf(rels + ro, cap - ro, "%s%u", k ? "," : "", (unsigned)rel);
        no += (size_t)snprintf(nums + no, cap - no, "%s%d", k ? "," : "", num);
        idx[k++] = i;
    }
    snprintf(rels + ro, cap - ro, "}");
    snprintf(nums + no, cap - no, "}");
    *ret_rels = rels;
    *ret_nums = nums;
    return k;
}

void pq_nullability(struct db_conn *c, struct db_stmt *s, const PGresult *res, bool *ret)
{
    int n = PQnfields(res), k;
    CB_CLEANUP(cb_freep) int *idx = NULL;
    CB_CLEANUP(cb_freep) char *rels = NULL;
    CB_CLEANUP(cb_freep) char *nums = NULL;
    const char *values[2];
    PGresult *q;

    for (int i = 0; i < n; i++) {
        ret[i] = true;
    }
    if (n == 0 || s->outer_join || reuse_previous(s, n, ret)) {
        return;
    }
    idx = calloc((size_t)n, sizeof *idx);
    if (!idx || (k = table_columns(res, n, &rels, &nums, idx)) <= 0) {
        return;
    }
    values[0] = rels;
    values[1] = nums;
    q = PQexecParams(pq_of(c)->pg, nullability_sql, 2, NULL, values, NULL, NULL, 0);
    /* Not knowing is not an error: every column then counts as nullable. */
    for (int r = 0; pq_result_ok(q) && r < PQntuples(q); r++) {
        long i = strtol(PQgetvalue(q, r, 0), NULL, 10);

        if (i >= 1 && i <= k && strcmp(PQgetvalue(q, r, 1), "t") == 0) {
            ret[idx[i - 1]] = false;
        }
    }
    PQclear(q);
}
