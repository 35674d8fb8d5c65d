/* SPDX-License-Identifier: MIT */
/* excel.write_workbook: a whole workbook in one call, so that process mode can write one. */
#include "services/office/office-internal.h"

#include <stdio.h>
#include <string.h>

#include "common/cb-base64.h"

#include "common/cb-json.h"

#define OOM(err) cb_error_set(err, CB_E_INTERNAL, "out of memory")

/* A cell is a value, or {value, type, format: add_format's properties}. */
static int sheet_cell(struct office_book *b,
                      struct office_sheet *s,
                      int64_t row,
                      int64_t col,
                      json_t *cell,
                      bool dry,
                      struct cb_error *err)
{
    json_t *props;
    lxw_format *f = NULL;
    int r, type;

    if (!json_is_object(cell) || cb_is_binary(cell)) {
        return office_write_cell(b, s, row, col, cell, OFFICE_AUTO, NULL, dry, NULL, err);
    }
    props = json_object_get(cell, "format");
    if (props && !json_is_object(props)) {
        return cb_error_set(err, CB_E_INVALID_PARAM,
                            "the format of the cell at row %lld, column %lld must be an object",
                            (long long)row, (long long)col);
    }
    if (props && !dry) {
        r = office_format_new(b, props, &f, err);
        if (r < 0) {
            return r;
        }
    }
    type = office_type_from_string(cb_json_get_string(cell, "type", "auto"));
    if (type < 0) {
        return cb_error_set(err, CB_E_INVALID_PARAM,
                            "the cell at row %lld, column %lld has an unknown type", (long long)row,
                            (long long)col);
    }
    return office_write_cell(b, s, row, col,
                             json_object_get(cell, "value") ? json_object_get(cell, "value")
                                                            : json_null(),
                             (enum office_type)type, f, dry, NULL, err);
}

static int one_sheet(struct office_book *b, json_t *spec, size_t i, bool dry, struct cb_error *err)
{
    const char *name = cb_json_get_string(spec, "name",
                                          cb_json_get_string(spec, "sheet_name", NULL));
    int64_t start_row = cb_json_get_int(spec, "start_row", 0),
            start_col = cb_json_get_int(spec, "start_col", 0);
    json_t *rows = json_object_get(spec, "rows"), *cells, *cell, *widths;
    struct office_sheet probe = { .last_row = -1 }, *s = &probe;
    size_t ri, ci;
    int r;

    if (!json_is_object(spec) || (rows && !json_is_array(rows))) {
        return cb_error_set(err, CB_E_INVALID_PARAM,
                            "parameter 'sheets': sheet %zu must be {name, rows: [[...], ...]}", i);
    }
    if (!dry) {
        r = office_sheet_add(b, name, &s, err);
        if (r < 0) {
            return r;
        }
    }
    json_array_foreach(rows, ri, cells)
    {
        if (!json_is_array(cells)) {
            return cb_error_set(err, CB_E_INVALID_PARAM,
                                "parameter 'sheets': row %zu of sheet %zu is not an array", ri, i);
        }
        json_array_foreach(cells, ci, cell)
        {
            r = sheet_cell(b, s, start_row + (int64_t)ri, start_col + (int64_t)ci, cell, dry, err);
            if (r < 0) {
                return r;
            }
        }
    }
    widths = json_object_get(spec, "column_widths");
    json_array_foreach(widths, ci, cell)
    {
        if (!json_is_number(cell)) {
            return cb_error_set(err, CB_E_INVALID_PARAM,
                                "parameter 'sheets': column_widths of sheet %zu must be numbers",
                                i);
        }
        if (!dry) {
            worksheet_set_column(s->ws, (lxw_col_t)(start_col + (int64_t)ci),
                                 (lxw_col_t)(start_col + (int64_t)ci), json_number_value(cell),
                                 NULL);
        }
    }
    return 0;
}

int office_write_workbook(struct cb_call *call, json_t **ret, struct cb_error *err)
{
    const char *filename = cb_json_get_string(call->params, "filename", "");
    json_t *sheets = json_object_get(call->params, "sheets"), *spec;
    struct office_book *b;
    int64_t size = 0;
    size_t i;
    int r;

    r = office_book_open(call, filename, cb_json_get_bool(call->params, "constant_memory", false),
                         cb_json_get_bool(call->params, "keep_leading_zeros", false), &b, err);
    if (r < 0) {
        return r;
    }
    snprintf(b->id, sizeof b->id, "%s-0-00000000-0", OFFICE_BOOK_PREFIX);
    /* Checked whole, then written: a bad cell anywhere writes no file at all. */
    for (int pass = 0; r >= 0 && pass < 2; pass++) {
        json_array_foreach(sheets, i, spec)
        {
            r = one_sheet(b, spec, i, pass == 0, err);
            if (r < 0) {
                break;
            }
        }
    }
    r = r < 0 ? r : office_book_save(b, &size, err);
    if (r >= 0) {
        *ret = json_pack("{s:s, s:s, s:i, s:I, s:I}", "filename", filename, "library",
                         "libxlsxwriter", "sheets", (int)(b->n_sheets ? b->n_sheets : 1),
                         "cells_written", (json_int_t)b->cells, "size", (json_int_t)size);
        r = *ret ? 0 : OOM(err);
    }
    office_book_free(b);
    return r;
}
