/* SPDX-License-Identifier: MIT */
/*
 * The office family (module excel) on libxlsxwriter. A workbook is a top-level handle; its
 * worksheets and formats live inside it, named by child ids, so work on a workbook and its
 * parts is serialized by the workbook handle's lock. The file is written to a temporary name
 * beside its target and renamed over it at save: a discarded or abandoned workbook leaves
 * nothing, and a saved one appears whole.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <xlsxwriter.h>

#include "common/cb-family.h"

#define OFFICE_BOOK_KIND    "workbook"
#define OFFICE_SHEET_KIND   "worksheet"
#define OFFICE_FORMAT_KIND  "format"
#define OFFICE_BOOK_PREFIX  "xl-w"
#define OFFICE_SHEET_PREFIX "xl-s"
#define OFFICE_FMT_PREFIX   "xl-f"
#define OFFICE_ID_MAX       96

#define OFFICE_MAX_ROWS   1048576u
#define OFFICE_MAX_COLS   16384u
#define OFFICE_MAX_STRING 32767u

struct office_sheet {
    char id[OFFICE_ID_MAX];
    char name[32 * 4]; /* up to 31 characters of UTF-8 */
    lxw_worksheet *ws;
    unsigned index;
    int64_t last_row; /* constant_memory: rows must come in order */
};

struct office_format {
    char id[OFFICE_ID_MAX];
    lxw_format *f;
    json_t *properties;
};

struct office_book {
    char id[OFFICE_ID_MAX];
    lxw_workbook *wb;
    char *filename; /* the target */
    char *tmpname;  /* what libxlsxwriter writes; renamed at save */
    mode_t mode;    /* the file's mode, from the caller's umask */
    bool constant_memory;
    bool keep_leading_zeros;
    struct office_sheet *sheets;
    size_t n_sheets;
    struct office_format *formats;
    size_t n_formats;
    char current_sheet[OFFICE_ID_MAX];
    lxw_format *date_format, *datetime_format;
    uint64_t cells;
};

/* office-book.c */
int office_book_open(struct cb_call *call,
                     const char *filename,
                     bool constant_memory,
                     bool keep_leading_zeros,
                     struct office_book **ret,
                     struct cb_error *err);
/* Writes the file and renames it over its target; frees the book's libxlsxwriter state. */
int office_book_save(struct office_book *b, int64_t *ret_size, struct cb_error *err);
/* Frees a book; an unsaved one's temporary file is removed. */
void office_book_free(void *object);
int office_sheet_add(struct office_book *b,
                     const char *name,
                     struct office_sheet **ret,
                     struct cb_error *err);

/* office-cells.c */
enum office_type {
    OFFICE_AUTO,
    OFFICE_STRING,
    OFFICE_NUMBER,
    OFFICE_FORMULA,
    OFFICE_URL,
    OFFICE_DATE,
    OFFICE_BOOLEAN,
    OFFICE_BLANK,
};
/* "auto", "string", ... as API.md names them; -1 for another word. */
int office_type_from_string(const char *s);
const char *office_type_to_string(enum office_type t);

/* Writes one cell: `type` "auto" decides as Excel::Writer::XLSX's write() does. *ret_type
 * says what was written. With dry, only checks: a batch is checked whole before any of it
 * is written. */
int office_write_cell(struct office_book *b,
                      struct office_sheet *s,
                      int64_t row,
                      int64_t col,
                      json_t *value,
                      enum office_type type,
                      lxw_format *format,
                      bool dry,
                      enum office_type *ret_type,
                      struct cb_error *err);
/* A cell within Excel's limits; office_check_cell adds constant_memory's row order. */
int office_check_limits(int64_t row, int64_t col, struct cb_error *err);
int office_check_cell(const struct office_book *b,
                      const struct office_sheet *s,
                      int64_t row,
                      int64_t col,
                      struct cb_error *err);

/* office-format.c */
int office_format_apply(lxw_format *f, const char *property, json_t *value, struct cb_error *err);
int office_format_new(struct office_book *b,
                      json_t *properties,
                      lxw_format **ret,
                      struct cb_error *err);

/* office-handle.c: the workbook of a call, and the worksheet and format it names. */
struct office_ctx {
    struct cb_handle *handle;
    struct office_book *book;
    struct office_sheet *sheet; /* when asked for */
    lxw_format *format;         /* the call's format_id, or NULL */
};
int office_begin(struct cb_call *call,
                 bool want_sheet,
                 struct office_ctx *ctx,
                 struct cb_error *err);
void office_end(struct cb_call *call, struct office_ctx *ctx);
/* An error of libxlsxwriter as E_INVALID_PARAM (limits) or E_BACKEND. */
int office_lxw_error(lxw_error e, const char *what, struct cb_error *err);

/* Handlers. */
int office_create_workbook(struct cb_call *call, json_t **ret, struct cb_error *err);
int office_add_worksheet(struct cb_call *call, json_t **ret, struct cb_error *err);
int office_write_cell_fn(struct cb_call *call, json_t **ret, struct cb_error *err);
int office_write_row(struct cb_call *call, json_t **ret, struct cb_error *err);
int office_write_col(struct cb_call *call, json_t **ret, struct cb_error *err);
int office_write_rows(struct cb_call *call, json_t **ret, struct cb_error *err);
int office_add_format(struct cb_call *call, json_t **ret, struct cb_error *err);
int office_update_format(struct cb_call *call, json_t **ret, struct cb_error *err);
int office_set_column(struct cb_call *call, json_t **ret, struct cb_error *err);
int office_set_row(struct cb_call *call, json_t **ret, struct cb_error *err);
int office_merge_range(struct cb_call *call, json_t **ret, struct cb_error *err);
int office_freeze_panes(struct cb_call *call, json_t **ret, struct cb_error *err);
int office_autofilter(struct cb_call *call, json_t **ret, struct cb_error *err);
int office_set_properties(struct cb_call *call, json_t **ret, struct cb_error *err);
int office_save_workbook(struct cb_call *call, json_t **ret, struct cb_error *err);
int office_discard_workbook(struct cb_call *call, json_t **ret, struct cb_error *err);
int office_write_workbook(struct cb_call *call, json_t **ret, struct cb_error *err);

extern const struct cb_family office_family;
