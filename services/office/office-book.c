/* SPDX-License-Identifier: MIT */
/* A workbook: its temporary file, its worksheets, and saving it over its target. */
#include "services/office/office-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cb-path.h"

#define OOM(err) cb_error_set(err, CB_E_INTERNAL, "out of memory")

int office_lxw_error(lxw_error e, const char *what, struct cb_error *err)
{
    switch (e) {
    case LXW_NO_ERROR:
        return 0;
    case LXW_ERROR_WORKSHEET_INDEX_OUT_OF_RANGE:
        return cb_error_set(err, CB_E_INVALID_PARAM,
                            "%s: the cell is outside Excel's 1,048,576 rows and 16,384 columns, or "
                            "comes before a row already written in constant_memory mode",
                            what);
    case LXW_ERROR_MAX_STRING_LENGTH_EXCEEDED:
        return cb_error_set(err, CB_E_INVALID_PARAM, "%s: a cell holds at most 32,767 characters",
                            what);
    case LXW_ERROR_MEMORY_MALLOC_FAILED:
        return OOM(err);
    default:
        return cb_error_set_backend(err, "LXW", lxw_strerror(e), "%s: %s", what, lxw_strerror(e));
    }
}

int office_book_open(struct cb_call *call,
                     const char *filename,
                     bool constant_memory,
                     bool keep_leading_zeros,
                     struct office_book **ret,
                     struct cb_error *err)
{
    struct office_book *b = calloc(1, sizeof *b);
    lxw_workbook_options opt = { .constant_memory = constant_memory, .use_zip64 = LXW_TRUE };
    int fd;

    if (!b) {
        return OOM(err);
    }
    b->constant_memory = constant_memory;
    b->keep_leading_zeros = keep_leading_zeros;
    b->mode = 0666 & ~cb_call_umask(call);
    b->filename = strdup(filename);
    if (!b->filename || asprintf(&b->tmpname, "%s.cb-XXXXXX", filename) < 0) {
        b->tmpname = NULL;
        office_book_free(b);
        return OOM(err);
    }
    /* The temporary file is made as the caller, where the path rules allow: a place the
     * caller may not write is refused now, not at save. */
    fd = mkostemp(b->tmpname, O_CLOEXEC);
    if (fd < 0) {
        int e = errno;

        free(b->tmpname);
        b->tmpname = NULL;
        office_book_free(b);
        return e == EACCES || e == EPERM
                       ? cb_error_set(
                                 err, CB_E_DENIED,
                                 "parameter 'filename': cannot write in the directory of '%s': %s",
                                 filename, strerror(e))
                       : cb_error_set(err, CB_E_INVALID_PARAM,
                                      "parameter 'filename': cannot create '%s': %s", filename,
                                      strerror(e));
    }
    close(fd);
    fd = cb_path_open(call->config, "filename", b->tmpname, O_RDWR | O_CLOEXEC, 0, err);
    if (fd < 0) {
        office_book_free(b);
        return fd;
    }
    close(fd);
    b->wb = workbook_new_opt(b->tmpname, &opt);
    if (!b->wb) {
        office_book_free(b);
        return OOM(err);
    }
    *ret = b;
    return 0;
}

int office_sheet_add(struct office_book *b,
                     const char *name,
                     struct office_sheet **ret,
                     struct cb_error *err)
{
    struct office_sheet *grown, *s;
    lxw_error e;

    if (name) {
        e = workbook_validate_sheet_name(b->wb, name);
        if (e != LXW_NO_ERROR) {
            return cb_error_set(
                    err, CB_E_INVALID_PARAM,
                    "sheet name '%s': %s (at most 31 characters, none of [ ] : * ? / \\, and not used twice)",
                    name, lxw_strerror(e));
        }
    }
    grown = reallocarray(b->sheets, b->n_sheets + 1, sizeof *grown);
    if (!grown) {
        return OOM(err);
    }
    b->sheets = grown;
    s = &b->sheets[b->n_sheets];
    *s = (struct office_sheet){ .index = (unsigned)b->n_sheets, .last_row = -1 };
    s->ws = workbook_add_worksheet(b->wb, name);
    if (!s->ws) {
        return cb_error_set(err, CB_E_INVALID_PARAM, "sheet name '%s' cannot be used",
                            name ? name : "");
    }
    snprintf(s->name, sizeof s->name, "%s", s->ws->name);
    if (cb_child_id_make(b->id, OFFICE_BOOK_PREFIX, OFFICE_SHEET_PREFIX, b->n_sheets + 1, s->id,
                         sizeof s->id) < 0) {
        return cb_error_set(err, CB_E_INTERNAL, "bad workbook id");
    }
    b->n_sheets++;
    snprintf(b->current_sheet, sizeof b->current_sheet, "%s", s->id);
    *ret = s;
    return 0;
}

int office_book_save(struct office_book *b, int64_t *ret_size, struct cb_error *err)
{
    struct stat st;
    lxw_error e;

    /* A workbook with no sheet is no file Excel opens: it gets the default one. */
    if (b->n_sheets == 0 && !workbook_add_worksheet(b->wb, NULL)) {
        return OOM(err);
    }
    errno = 0;
    e = workbook_close(b->wb);
    b->wb = NULL;
    if (e != LXW_NO_ERROR) {
        /* libxlsxwriter's text for a failed write is "Zip generic error": the system's
         * reason (a full disk, a quota) is what tells the user what to do. */
        int why = errno;

        return cb_error_set_backend(err, "LXW", lxw_strerror(e), "writing '%s' failed: %s%s%s%s",
                                    b->filename, lxw_strerror(e), why ? " (" : "",
                                    why ? strerror(why) : "", why ? ")" : "");
    }
    if (chmod(b->tmpname, b->mode) < 0 || rename(b->tmpname, b->filename) < 0) {
        int e2 = errno;

        return cb_error_set(err, e2 == EACCES || e2 == EPERM ? CB_E_DENIED : CB_E_BACKEND,
                            "saving '%s' failed: %s", b->filename, strerror(e2));
    }
    free(b->tmpname);
    b->tmpname = NULL;
    *ret_size = stat(b->filename, &st) == 0 ? (int64_t)st.st_size : 0;
    return 0;
}

void office_book_free(void *object)
{
    struct office_book *b = object;

    if (!b) {
        return;
    }
    if (b->wb) {
        /* libxlsxwriter frees a workbook only by writing it: into the temporary file, which
         * then goes. */
        (void)workbook_close(b->wb);
    }
    if (b->tmpname) {
        (void)unlink(b->tmpname);
    }
    for (size_t i = 0; i < b->n_formats; i++) {
        json_decref(b->formats[i].properties);
    }
    free(b->formats);
    free(b->sheets);
    free(b->filename);
    free(b->tmpname);
    free(b);
}
