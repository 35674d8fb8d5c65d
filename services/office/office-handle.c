/* SPDX-License-Identifier: MIT */
/* The workbook a call works on, and the worksheet and format it names inside it. */
#include "services/office/office-internal.h"

#include <string.h>

#include "common/cb-json.h"

static int book_id_of(struct cb_call *call,
                      const char **ret,
                      char buf[OFFICE_ID_MAX],
                      struct cb_error *err)
{
    const char *book = cb_json_get_string(call->params, "workbook_id", NULL);
    const char *sheet = cb_json_get_string(call->params, "worksheet_id", NULL);
    const char *format = cb_json_get_string(call->params, "format_id", NULL);
    const char *child = sheet ? sheet : format;
    const char *prefix = sheet ? OFFICE_SHEET_PREFIX : OFFICE_FMT_PREFIX;

    *ret = book;
    if (!child) {
        return 0;
    }
    /* A worksheet or format id names its workbook; given both, they must agree. */
    if (cb_child_id_parent(child, prefix, OFFICE_BOOK_PREFIX, buf, OFFICE_ID_MAX) < 0) {
        return cb_error_set(err, CB_E_HANDLE, "'%s' is not a %s id", child,
                            sheet ? "worksheet" : "format");
    }
    if (book && strcmp(book, buf) != 0) {
        return cb_error_set(err, CB_E_INVALID_PARAM, "'%s' belongs to another workbook than '%s'",
                            child, book);
    }
    *ret = buf;
    return 0;
}

static int find_sheet(struct cb_call *call, struct office_ctx *ctx, struct cb_error *err)
{
    const char *id = cb_json_get_string(call->params, "worksheet_id", NULL);
    struct office_book *b = ctx->book;

    if (!id) {
        id = b->current_sheet;
        if (!*id) {
            return cb_error_set(err, CB_E_HANDLE,
                                "workbook '%s' has no worksheet; call excel.add_worksheet first",
                                b->id);
        }
    }
    for (size_t i = 0; i < b->n_sheets; i++) {
        if (strcmp(b->sheets[i].id, id) == 0) {
            ctx->sheet = &b->sheets[i];
            return 0;
        }
    }
    return cb_error_set(err, CB_E_HANDLE, "worksheet '%s' is not in workbook '%s'", id, b->id);
}

static int find_format(struct cb_call *call, struct office_ctx *ctx, struct cb_error *err)
{
    const char *id = cb_json_get_string(call->params, "format_id", NULL);
    struct office_book *b = ctx->book;

    if (!id) {
        return 0;
    }
    for (size_t i = 0; i < b->n_formats; i++) {
        if (strcmp(b->formats[i].id, id) == 0) {
            ctx->format = b->formats[i].f;
            return 0;
        }
    }
    return cb_error_set(err, CB_E_HANDLE, "format '%s' is not in workbook '%s'", id, b->id);
}

int office_begin(struct cb_call *call, bool want_sheet, struct office_ctx *ctx, struct cb_error *err)
{
    char buf[OFFICE_ID_MAX];
    struct cb_error inner = CB_ERROR_INIT;
    const char *book;
    int r;

    *ctx = (struct office_ctx){ 0 };
    r = book_id_of(call, &book, buf, err);
    if (r < 0) {
        return r;
    }
    r = cb_handle_acquire(call->registry, call->session, OFFICE_BOOK_KIND, book, &ctx->handle,
                          &inner);
    if (r < 0 && !book) {
        cb_error_clear(&inner);
        return cb_error_set(err, CB_E_HANDLE,
                            "no current workbook; call excel.create_workbook first");
    }
    if (r < 0) {
        cb_error_move(err, &inner);
        return r;
    }
    ctx->book = ctx->handle->object;
    r = want_sheet ? find_sheet(call, ctx, err) : 0;
    r = r < 0 ? r : find_format(call, ctx, err);
    if (r < 0) {
        office_end(call, ctx);
    }
    return r;
}

void office_end(struct cb_call *call, struct office_ctx *ctx)
{
    if (ctx->handle) {
        cb_handle_release(call->registry, ctx->handle);
    }
    *ctx = (struct office_ctx){ 0 };
}
