/* SPDX-License-Identifier: MIT */
/* Rows and column information in the shapes API.md section 4 gives them. */
#include "services/db/db-internal.h"

#include <string.h>

json_t *db_row_format(const struct db_stmt *s, json_t *row, bool hash)
{
    json_t *out;
    size_t i;
    json_t *v;

    if (!hash) {
        return json_incref(row);
    }
    out = json_object();
    if (!out) {
        return NULL;
    }
    /* As DBI's fetchrow_hashref: when two columns share a name, the last one wins. */
    json_array_foreach(row, i, v)
    {
        const char *name = json_string_value(json_array_get(s->names, i));

        json_object_set(out, name ? name : "", v);
    }
    return out;
}

json_t *db_column_info_new(void)
{
    return json_pack("{s:i, s:[], s:[], s:[]}", "count", 0, "names", "types", "columns");
}

void db_column_info_add(json_t *info,
                        const char *name,
                        const char *type,
                        bool nullable,
                        int precision,
                        int scale)
{
    json_t *col = json_pack("{s:s, s:s, s:b}", "name", name, "type", type, "nullable", nullable);

    json_object_set_new(col, "precision", precision >= 0 ? json_integer(precision) : json_null());
    json_object_set_new(col, "scale", scale >= 0 ? json_integer(scale) : json_null());
    json_array_append_new(json_object_get(info, "names"), json_string(name));
    json_array_append_new(json_object_get(info, "types"), json_string(type));
    json_array_append_new(json_object_get(info, "columns"), col);
    json_object_set_new(info, "count",
                        json_integer((json_int_t)json_array_size(json_object_get(info, "names"))));
}

bool db_format_is_hash(const json_t *params)
{
    const char *f = cb_json_get_string(params, "format", "hash");

    return strcmp(f, "array") != 0;
}
