/* SPDX-License-Identifier: MIT */
/* excel.write_cell, write_row, write_col and write_rows. */
#include "services/office/office-internal.h"

#include "common/cb-json.h"

#define OOM(err) cb_error_set(err, CB_E_INTERNAL, "out of memory")

int office_write_cell_fn(struct cb_call *call, json_t **ret, struct cb_error *err)
{
    int64_t row = cb_json_get_int(call->params, "row", 0),
            col = cb_json_get_int(call->params, "col", 0);
    int type = office_type_from_string(cb_json_get_string(call->params, "type", "auto"));
    enum office_type written = OFFICE_AUTO;
    json_t *value = json_object_get(call->params, "value");
    struct office_ctx ctx;
    int r;

    r = office_begin(call, true, &ctx, err);
    if (r < 0) {
        return r;
    }
    r = office_write_cell(ctx.book, ctx.sheet, row, col, value ? value : json_null(),
                          type < 0 ? OFFICE_AUTO : (enum office_type)type, ctx.format, false,
                          &written, err);
    if (r >= 0) {
        *ret = json_pack("{s:I, s:I, s:s}", "row", (json_int_t)row, "col", (json_int_t)col, "type",
                         office_type_to_string(written));
        r = *ret ? 0 : OOM(err);
    }
    office_end(call, &ctx);
    return r;
}

/* Cells along a row (drow 0, dcol 1) or a column (1, 0). */
static int write_line(struct office_ctx *ctx,
                      int64_t row,
                      int64_t col,
                      int64_t drow,
                      int64_t dcol,
                      json_t *values,
                      bool dry,
                      size_t *ret_n,
                      struct cb_error *err)
{
    json_t *v;
    size_t i;
    int r;

    json_array_foreach(values, i, v)
    {
        r = office_write_cell(ctx->book, ctx->sheet, row + drow * (int64_t)i,
                              col + dcol * (int64_t)i, v, OFFICE_AUTO, ctx->format, dry, NULL, err);
        if (r < 0) {
            return r;
        }
    }
    *ret_n = json_array_size(values);
    return 0;
}

static int line(struct cb_call *call, bool across, json_t **ret, struct cb_error *err)
{
    int64_t row = cb_json_get_int(call->params, "row", 0),
            col = cb_json_get_int(call->params, "col", 0);
    json_t *values = json_object_get(call->params, "values");
    struct office_ctx ctx;
    size_t n = 0;
    int r;

    r = office_begin(call, true, &ctx, err);
    if (r < 0) {
        return r;
    }
    /* Checked whole first: a request is written entirely or not at all. */
    r = write_line(&ctx, row, col, across ? 0 : 1, across ? 1 : 0, values, true, &n, err);
    r = r < 0 ? r
              : write_line(&ctx, row, col, across ? 0 : 1, across ? 1 : 0, values, false, &n, err);
    if (r >= 0) {
        *ret = json_pack("{s:I, s:I, s:I}", "row", (json_int_t)row, "col", (json_int_t)col,
                         "cells_written", (json_int_t)n);
        r = *ret ? 0 : OOM(err);
    }
    office_end(call, &ctx);
    return r;
}

int office_write_row(struct cb_call *call, json_t **ret, struct cb_error *err)
{
    return line(call, true, ret, err);
}

int office_write_col(struct cb_call *call, json_t **ret, struct cb_error *err)
{
    return line(call, false, ret, err);
}

int office_write_rows(struct cb_call *call, json_t **ret, struct cb_error *err)
{
    int64_t row = cb_json_get_int(call->params, "row", 0),
            col = cb_json_get_int(call->params, "col", 0);
    json_t *rows = json_object_get(call->params, "rows"), *cells;
    struct office_ctx ctx;
    size_t i, n, total = 0;
    int r;

    r = office_begin(call, true, &ctx, err);
    if (r < 0) {
        return r;
    }
    /* Two passes, the first only checking: a request is written entirely or not at all. */
    for (int pass = 0; r >= 0 && pass < 2; pass++) {
        total = 0;
        json_array_foreach(rows, i, cells)
        {
            if (!json_is_array(cells)) {
                r = cb_error_set(err, CB_E_INVALID_PARAM,
                                 "parameter 'rows': row %zu is not an array of cells", i);
                break;
            }
            r = write_line(&ctx, row + (int64_t)i, col, 0, 1, cells, pass == 0, &n, err);
            if (r < 0) {
                break;
            }
            total += n;
        }
    }
    if (r >= 0) {
        *ret = json_pack("{s:I, s:I, s:I, s:I}", "row", (json_int_t)row, "col", (json_int_t)col,
                         "rows_written", (json_int_t)json_array_size(rows), "cells_written",
                         (json_int_t)total);
        r = *ret ? 0 : OOM(err);
    }
    office_end(call, &ctx);
    return r;
}
