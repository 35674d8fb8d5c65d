/* SPDX-License-Identifier: MIT */
/* excel.set_column, set_row, merge_range, freeze_panes and autofilter. */
#include "services/office/office-internal.h"

#include <stdio.h>
#include <string.h>

#include "common/cb-json.h"

#define OOM(err) cb_error_set(err, CB_E_INTERNAL, "out of memory")

/* "A", ..., "Z", "AA", ... for a 0-based column. */
static void column_name(int64_t col, char buf[8])
{
    char tmp[8];
    int n = 0;

    for (col++; col > 0 && n < 7; col = (col - 1) / 26) {
        tmp[n++] = (char)('A' + (col - 1) % 26);
    }
    for (int i = 0; i < n; i++) {
        buf[i] = tmp[n - 1 - i];
    }
    buf[n] = '\0';
}

static void range_name(int64_t fr, int64_t fc, int64_t lr, int64_t lc, char buf[64])
{
    char a[8], b[8];

    column_name(fc, a);
    column_name(lc, b);
    snprintf(buf, 64, "%s%lld:%s%lld", a, (long long)fr + 1, b, (long long)lr + 1);
}

struct range {
    int64_t fr, fc, lr, lc;
};

static int range_of(struct cb_call *call, struct range *r, struct cb_error *err)
{
    int x;

    r->fr = cb_json_get_int(call->params, "first_row", 0);
    r->fc = cb_json_get_int(call->params, "first_col", 0);
    r->lr = cb_json_get_int(call->params, "last_row", 0);
    r->lc = cb_json_get_int(call->params, "last_col", 0);
    if (r->lr < r->fr || r->lc < r->fc) {
        return cb_error_set(err, CB_E_INVALID_PARAM, "the range ends before it starts");
    }
    /* Layout calls are not cell writes: constant_memory's row order does not bind them. */
    x = office_check_limits(r->fr, r->fc, err);
    return x < 0 ? x : office_check_limits(r->lr, r->lc, err);
}

int office_set_column(struct cb_call *call, json_t **ret, struct cb_error *err)
{
    int64_t first = cb_json_get_int(call->params, "first_col", 0);
    int64_t last = cb_json_get_int(call->params, "last_col", first);
    double width = json_number_value(json_object_get(call->params, "width"));
    struct office_ctx ctx;
    int r;

    r = office_begin(call, true, &ctx, err);
    if (r < 0) {
        return r;
    }
    if (last < first || first < 0 || last >= OFFICE_MAX_COLS) {
        r = cb_error_set(err, CB_E_INVALID_PARAM,
                         "columns %lld to %lld are not a range of Excel's columns",
                         (long long)first, (long long)last);
    } else {
        r = office_lxw_error(worksheet_set_column(ctx.sheet->ws, (lxw_col_t)first, (lxw_col_t)last,
                                                  width, ctx.format),
                             "set_column", err);
    }
    if (r >= 0) {
        *ret = json_pack("{s:I, s:I, s:f}", "first_col", (json_int_t)first, "last_col",
                         (json_int_t)last, "width", width);
        r = *ret ? 0 : OOM(err);
    }
    office_end(call, &ctx);
    return r;
}

int office_set_row(struct cb_call *call, json_t **ret, struct cb_error *err)
{
    int64_t row = cb_json_get_int(call->params, "row", 0);
    double height = json_number_value(json_object_get(call->params, "height"));
    struct office_ctx ctx;
    int r;

    r = office_begin(call, true, &ctx, err);
    if (r < 0) {
        return r;
    }
    r = office_check_cell(ctx.book, ctx.sheet, row, 0, err);
    if (r >= 0) {
        r = office_lxw_error(worksheet_set_row(ctx.sheet->ws, (lxw_row_t)row, height, ctx.format),
                             "set_row", err);
    }
    if (r >= 0) {
        *ret = json_pack("{s:I, s:f}", "row", (json_int_t)row, "height", height);
        r = *ret ? 0 : OOM(err);
    }
    office_end(call, &ctx);
    return r;
}

int office_merge_range(struct cb_call *call, json_t **ret, struct cb_error *err)
{
    json_t *value = json_object_get(call->params, "value");
    struct office_ctx ctx;
    struct range g;
    char name[64];
    int r;

    r = office_begin(call, true, &ctx, err);
    if (r < 0) {
        return r;
    }
    r = range_of(call, &g, err);
    if (r >= 0 && g.fr == g.lr && g.fc == g.lc) {
        r = cb_error_set(err, CB_E_INVALID_PARAM, "a merged range needs more than one cell");
    }
    /* libxlsxwriter merges with a string; another value is written over the first cell. */
    if (r >= 0) {
        r = office_lxw_error(worksheet_merge_range(ctx.sheet->ws, (lxw_row_t)g.fr, (lxw_col_t)g.fc,
                                                   (lxw_row_t)g.lr, (lxw_col_t)g.lc, "",
                                                   ctx.format),
                             "merge_range", err);
    }
    if (r >= 0 && value && !json_is_null(value)) {
        r = office_write_cell(ctx.book, ctx.sheet, g.fr, g.fc, value, OFFICE_AUTO, ctx.format,
                              false, NULL, err);
    }
    if (r >= 0) {
        range_name(g.fr, g.fc, g.lr, g.lc, name);
        *ret = json_pack("{s:s}", "range", name);
        r = *ret ? 0 : OOM(err);
    }
    office_end(call, &ctx);
    return r;
}

int office_freeze_panes(struct cb_call *call, json_t **ret, struct cb_error *err)
{
    int64_t row = cb_json_get_int(call->params, "row", 0),
            col = cb_json_get_int(call->params, "col", 0);
    struct office_ctx ctx;
    int r;

    r = office_begin(call, true, &ctx, err);
    if (r < 0) {
        return r;
    }
    r = office_check_limits(row, col, err);
    if (r >= 0) {
        worksheet_freeze_panes(ctx.sheet->ws, (lxw_row_t)row, (lxw_col_t)col);
        *ret = json_pack("{s:I, s:I}", "row", (json_int_t)row, "col", (json_int_t)col);
        r = *ret ? 0 : OOM(err);
    }
    office_end(call, &ctx);
    return r;
}

int office_autofilter(struct cb_call *call, json_t **ret, struct cb_error *err)
{
    struct office_ctx ctx;
    struct range g;
    char name[64];
    int r;

    r = office_begin(call, true, &ctx, err);
    if (r < 0) {
        return r;
    }
    r = range_of(call, &g, err);
    if (r >= 0) {
        r = office_lxw_error(worksheet_autofilter(ctx.sheet->ws, (lxw_row_t)g.fr, (lxw_col_t)g.fc,
                                                  (lxw_row_t)g.lr, (lxw_col_t)g.lc),
                             "autofilter", err);
    }
    if (r >= 0) {
        range_name(g.fr, g.fc, g.lr, g.lc, name);
        *ret = json_pack("{s:s}", "range", name);
        r = *ret ? 0 : OOM(err);
    }
    office_end(call, &ctx);
    return r;
}
