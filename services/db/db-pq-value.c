/* SPDX-License-Identifier: MIT */
/*
 * PostgreSQL values out, as API.md section 4 gives them: integers and floats as numbers,
 * numeric as strings, booleans as 1 and 0 (as DBD::Pg), bytea as binary markers, everything
 * else (dates and times included) as the server's text. Results arrive in text format.
 */
#include "services/db/db-pq-internal.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    OID_BOOL = 16,
    OID_BYTEA = 17,
    OID_INT8 = 20,
    OID_INT2 = 21,
    OID_INT4 = 23,
    OID_OID = 26,
    OID_FLOAT4 = 700,
    OID_FLOAT8 = 701,
    OID_BPCHAR = 1042,
    OID_VARCHAR = 1043,
    OID_NUMERIC = 1700,
};

static const struct {
    Oid oid;
    const char *name;
} builtin_types[] = {
    { 16, "boolean" },
    { 17, "bytea" },
    { 18, "char" },
    { 19, "name" },
    { 20, "bigint" },
    { 21, "smallint" },
    { 23, "integer" },
    { 25, "text" },
    { 26, "oid" },
    { 114, "json" },
    { 142, "xml" },
    { 700, "real" },
    { 701, "double precision" },
    { 790, "money" },
    { 1042, "character" },
    { 1043, "character varying" },
    { 1082, "date" },
    { 1083, "time without time zone" },
    { 1114, "timestamp without time zone" },
    { 1184, "timestamp with time zone" },
    { 1186, "interval" },
    { 1266, "time with time zone" },
    { 1560, "bit" },
    { 1562, "bit varying" },
    { 1700, "numeric" },
    { 2950, "uuid" },
    { 3802, "jsonb" },
    { 869, "inet" },
    { 650, "cidr" },
    { 829, "macaddr" },
    { 705, "unknown" },
    { 2249, "record" },
};

json_t *pq_cell(const PGresult *res, int row, int col)
{
    const char *text = PQgetvalue(res, row, col);
    int len = PQgetlength(res, row, col);
    char *end;

    if (PQgetisnull(res, row, col)) {
        return json_null();
    }
    switch (PQftype(res, col)) {
    case OID_BOOL:
        return json_integer(text[0] == 't');
    case OID_INT2:
    case OID_INT4:
    case OID_INT8:
    case OID_OID:
        return json_integer((json_int_t)strtoll(text, NULL, 10));
    case OID_FLOAT4:
    case OID_FLOAT8: {
        double d = strtod(text, &end);

        /* NaN and Infinity have no JSON number: they stay the server's words. */
        return isfinite(d) && *end == '\0' ? json_real(d) : json_stringn(text, (size_t)len);
    }
    case OID_BYTEA: {
        size_t n = 0;
        unsigned char *bytes = PQunescapeBytea((const unsigned char *)text, &n);
        json_t *v = bytes ? cb_binary_new(bytes, n) : NULL;

        PQfreemem(bytes);
        return v ? v : json_null();
    }
    default: {
        json_t *v = json_stringn(text, (size_t)len);

        return v ? v : cb_binary_new(text, (size_t)len);
    }
    }
}

json_t *pq_row(const PGresult *res, int row)
{
    int n = PQnfields(res);
    json_t *out = json_array();

    for (int i = 0; i < n; i++) {
        json_array_append_new(out, pq_cell(res, row, i));
    }
    return out;
}

/* A type outside the table: asked of the server once, then remembered. */
static const char *type_name(struct db_conn *c, Oid oid)
{
    struct pq_conn *pc = pq_of(c);
    char key[16], *name;
    const char *values[1] = { key };
    PGresult *res;

    for (size_t i = 0; i < CB_ELEMENTSOF(builtin_types); i++) {
        if (builtin_types[i].oid == oid) {
            return builtin_types[i].name;
        }
    }
    snprintf(key, sizeof key, "%u", (unsigned)oid);
    name = cb_hashmap_get(pc->type_names, key);
    if (name) {
        return name;
    }
    res = PQexecParams(pc->pg, "SELECT format_type($1::oid, NULL)", 1, NULL, values, NULL, NULL, 0);
    name = strdup(pq_result_ok(res) && PQntuples(res) == 1 ? PQgetvalue(res, 0, 0) : "unknown");
    PQclear(res);
    if (name && cb_hashmap_put(pc->type_names, key, name) < 0) {
        free(name);
        return "unknown";
    }
    return name ? name : "unknown";
}

static void precision_scale(Oid oid, int mod, int *ret_precision, int *ret_scale)
{
    *ret_precision = -1;
    *ret_scale = -1;
    if (mod < 4) {
        return;
    }
    /* The typmod encodings of numeric(p,s) and character varying(n). */
    if (oid == OID_NUMERIC) {
        *ret_precision = ((mod - 4) >> 16) & 0xffff;
        *ret_scale = (mod - 4) & 0xffff;
    } else if (oid == OID_VARCHAR || oid == OID_BPCHAR) {
        *ret_precision = mod - 4;
    }
}

void pq_describe(struct db_conn *c, struct db_stmt *s, const PGresult *res)
{
    int n = PQnfields(res);
    json_t *info = db_column_info_new();
    CB_CLEANUP(cb_freep) bool *nullable = calloc((size_t)CB_MAX(n, 1), sizeof *nullable);

    if (nullable) {
        pq_nullability(c, s, res, nullable);
    }
    for (int i = 0; i < n; i++) {
        Oid oid = PQftype(res, i);
        int precision, scale;

        precision_scale(oid, PQfmod(res, i), &precision, &scale);
        db_column_info_add(info, PQfname(res, i), type_name(c, oid), !nullable || nullable[i],
                           precision, scale);
    }
    json_decref(s->columns);
    json_decref(s->names);
    s->columns = info;
    s->names = json_incref(json_object_get(info, "names"));
}
