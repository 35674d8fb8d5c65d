/* SPDX-License-Identifier: MIT */
/* excel.create_workbook, add_worksheet, add_format, update_format, set_properties, save and
 * discard. */
#include "services/office/office-internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cb-json.h"

#define OOM(err) cb_error_set(err, CB_E_INTERNAL, "out of memory")

int office_create_workbook(struct cb_call *call, json_t **ret, struct cb_error *err)
{
    const char *filename = cb_json_get_string(call->params, "filename", "");
    struct office_book *b;
    const char *id;
    int r;

    r = office_book_open(call, filename, cb_json_get_bool(call->params, "constant_memory", false),
                         cb_json_get_bool(call->params, "keep_leading_zeros", false), &b, err);
    if (r < 0) {
        return r;
    }
    r = cb_handle_create(call->registry, call->session, OFFICE_BOOK_KIND, OFFICE_BOOK_PREFIX, b,
                         office_book_free, &id, err);
    if (r < 0) {
        office_book_free(b);
        return r;
    }
    snprintf(b->id, sizeof b->id, "%s", id);
    *ret = json_pack("{s:s, s:s, s:s}", "workbook_id", id, "filename", filename, "library",
                     "libxlsxwriter");
    return *ret ? 0 : OOM(err);
}

int office_add_worksheet(struct cb_call *call, json_t **ret, struct cb_error *err)
{
    const char *name = cb_json_get_string(call->params, "sheet_name", NULL);
    struct office_sheet *s;
    struct office_ctx ctx;
    int r;

    r = office_begin(call, false, &ctx, err);
    if (r < 0) {
        return r;
    }
    r = office_sheet_add(ctx.book, name, &s, err);
    if (r >= 0) {
        *ret = json_pack("{s:s, s:s, s:i}", "worksheet_id", s->id, "sheet_name", s->name, "index",
                         (int)s->index);
        r = *ret ? 0 : OOM(err);
    }
    office_end(call, &ctx);
    return r;
}

int office_add_format(struct cb_call *call, json_t **ret, struct cb_error *err)
{
    json_t *props = json_object_get(call->params, "properties");
    struct office_format *grown, *f;
    struct office_ctx ctx;
    lxw_format *lf;
    int r;

    r = office_begin(call, false, &ctx, err);
    if (r < 0) {
        return r;
    }
    r = office_format_new(ctx.book, props, &lf, err);
    grown = r < 0 ? NULL : reallocarray(ctx.book->formats, ctx.book->n_formats + 1, sizeof *grown);
    if (r >= 0 && !grown) {
        r = OOM(err);
    }
    if (r >= 0) {
        ctx.book->formats = grown;
        f = &grown[ctx.book->n_formats];
        *f = (struct office_format){ .f = lf, .properties = json_deep_copy(props) };
        r = cb_child_id_make(ctx.book->id, OFFICE_BOOK_PREFIX, OFFICE_FMT_PREFIX,
                             ctx.book->n_formats + 1, f->id, sizeof f->id);
        if (r >= 0) {
            ctx.book->n_formats++;
            *ret = json_pack("{s:s, s:O}", "format_id", f->id, "properties", props);
            r = *ret ? 0 : OOM(err);
        } else {
            json_decref(f->properties);
            r = cb_error_set(err, CB_E_INTERNAL, "bad workbook id");
        }
    }
    office_end(call, &ctx);
    return r;
}

int office_update_format(struct cb_call *call, json_t **ret, struct cb_error *err)
{
    const char *property = cb_json_get_string(call->params, "property", "");
    json_t *value = json_object_get(call->params, "value");
    struct office_ctx ctx;
    int r;

    r = office_begin(call, false, &ctx, err);
    if (r < 0) {
        return r;
    }
    if (!ctx.format) {
        r = cb_error_set(err, CB_E_INVALID_PARAM, "parameter 'format_id' is required");
    } else {
        r = office_format_apply(ctx.format, property, value ? value : json_null(), err);
    }
    if (r >= 0) {
        *ret = json_pack("{s:s, s:s, s:O?}", "format_id",
                         cb_json_get_string(call->params, "format_id", ""), "property", property,
                         "value", value);
        r = *ret ? 0 : OOM(err);
    }
    office_end(call, &ctx);
    return r;
}

int office_set_properties(struct cb_call *call, json_t **ret, struct cb_error *err)
{
    static const char *const keys[] = { "title", "subject", "author", "company", "comments" };
    struct office_ctx ctx;
    lxw_doc_properties p = { 0 };
    json_t *given;
    int r;

    r = office_begin(call, false, &ctx, err);
    if (r < 0) {
        return r;
    }
    p.title = (char *)cb_json_get_string(call->params, "title", NULL);
    p.subject = (char *)cb_json_get_string(call->params, "subject", NULL);
    p.author = (char *)cb_json_get_string(call->params, "author", NULL);
    p.company = (char *)cb_json_get_string(call->params, "company", NULL);
    p.comments = (char *)cb_json_get_string(call->params, "comments", NULL);
    r = office_lxw_error(workbook_set_properties(ctx.book->wb, &p), "setting the properties", err);
    given = json_object();
    for (size_t i = 0; given && i < CB_ELEMENTSOF(keys); i++) {
        json_t *v = json_object_get(call->params, keys[i]);

        if (v) {
            json_object_set(given, keys[i], v);
        }
    }
    if (r >= 0) {
        *ret = given ? json_pack("{s:o}", "properties", given) : NULL;
        r = *ret ? 0 : OOM(err);
    } else {
        json_decref(given);
    }
    office_end(call, &ctx);
    return r;
}

int office_save_workbook(struct cb_call *call, json_t **ret, struct cb_error *err)
{
    struct office_ctx ctx;
    int64_t size = 0;
    size_t sheets;
    int r;

    r = office_begin(call, false, &ctx, err);
    if (r < 0) {
        return r;
    }
    sheets = ctx.book->n_sheets ? ctx.book->n_sheets : 1;
    r = office_book_save(ctx.book, &size, err);
    if (r >= 0) {
        *ret = json_pack("{s:s, s:s, s:i, s:I}", "filename", ctx.book->filename, "library",
                         "libxlsxwriter", "sheets", (int)sheets, "size", (json_int_t)size);
    }
    /* Saved or not, the workbook is done: libxlsxwriter cannot write it twice. */
    cb_handle_end(call->registry, ctx.handle,
                  r >= 0 ? "saved by excel.save_workbook" : "its save failed");
    return r >= 0 && !*ret ? OOM(err) : r;
}

int office_discard_workbook(struct cb_call *call, json_t **ret, struct cb_error *err)
{
    struct office_ctx ctx;
    int r;

    r = office_begin(call, false, &ctx, err);
    if (r < 0) {
        return r;
    }
    *ret = json_pack("{s:s, s:b}", "workbook_id", ctx.handle->id, "discarded", 1);
    cb_handle_end(call->registry, ctx.handle, "discarded by excel.discard_workbook");
    return *ret ? 0 : OOM(err);
}
