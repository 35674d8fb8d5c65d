/* SPDX-License-Identifier: MIT */
/* cpan-bridgectl: tables with aligned columns; every cell is escaped before it is stored. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tools/cpan-bridgectl/ctl-internal.h"

struct ctl_table {
    size_t n_columns;
    const char *const *headers;
    char **cells; /* row-major, n_cells of them */
    size_t n_cells, cap_cells;
    bool failed; /* an allocation failed: some cell is missing */
};

struct ctl_table *ctl_table_new(const char *const *headers)
{
    struct ctl_table *t = calloc(1, sizeof *t);

    if (!t) {
        return NULL;
    }
    t->headers = headers;
    while (headers[t->n_columns]) {
        t->n_columns++;
    }
    return t;
}

struct ctl_table *ctl_table_free(struct ctl_table *t)
{
    if (!t) {
        return NULL;
    }
    for (size_t i = 0; i < t->n_cells; i++) {
        free(t->cells[i]);
    }
    free(t->cells);
    free(t);
    return NULL;
}

/* Takes ownership of text, which may be NULL after a failed allocation. */
static void add_owned(struct ctl_table *t, char *text)
{
    if (!t) {
        free(text);
        return;
    }
    if (!text) {
        t->failed = true;
        return;
    }
    if (t->n_cells == t->cap_cells) {
        size_t cap = t->cap_cells ? t->cap_cells * 2 : 32;
        char **cells = realloc(t->cells, cap * sizeof *cells);

        if (!cells) {
            free(text);
            t->failed = true;
            return;
        }
        t->cells = cells;
        t->cap_cells = cap;
    }
    t->cells[t->n_cells++] = text;
}

void ctl_table_add(struct ctl_table *t, const char *safe_text)
{
    add_owned(t, strdup(safe_text ? safe_text : "-"));
}

void ctl_table_add_value(struct ctl_table *t, const json_t *v)
{
    add_owned(t, ctl_value_text(v));
}

void ctl_table_add_text(struct ctl_table *t, const char *text)
{
    add_owned(t, text ? ctl_escape(text, strlen(text)) : strdup("-"));
}

size_t ctl_table_rows(const struct ctl_table *t)
{
    return t && t->n_columns ? t->n_cells / t->n_columns : 0;
}

/* Columns as a terminal counts them: escaped text is UTF-8, one column per code point. */
static size_t display_width(const char *s)
{
    size_t w = 0;

    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p & 0xc0) != 0x80) {
            w++;
        }
    }
    return w;
}

static const char *header_text(const char *h)
{
    return h[0] == '>' ? h + 1 : h;
}

/* One line: cells padded to their column's width, right-aligned under a '>' header. */
static void print_row(const struct ctl_table *t,
                      FILE *f,
                      const char *const *row,
                      const size_t *widths)
{
    for (size_t c = 0; c < t->n_columns; c++) {
        size_t pad = widths[c] - display_width(row[c]);
        bool last = c + 1 == t->n_columns;

        if (t->headers[c][0] == '>') {
            fprintf(f, "%*s%s", (int)pad, "", row[c]);
        } else if (last) {
            fputs(row[c], f);
        } else {
            fprintf(f, "%s%*s", row[c], (int)pad, "");
        }
        fputs(last ? "\n" : "  ", f);
    }
}

int ctl_table_print(const struct ctl_table *t, FILE *f, unsigned indent)
{
    CB_CLEANUP(cb_freep) size_t *widths = NULL;
    CB_CLEANUP(cb_freep) const char **heads = NULL;
    size_t rows = ctl_table_rows(t);

    if (!t || t->failed) {
        return -ENOMEM;
    }
    widths = calloc(t->n_columns, sizeof *widths);
    heads = calloc(t->n_columns, sizeof *heads);
    if (!widths || !heads) {
        return -ENOMEM;
    }

    for (size_t c = 0; c < t->n_columns; c++) {
        heads[c] = header_text(t->headers[c]);
        widths[c] = display_width(heads[c]);
        for (size_t r = 0; r < rows; r++) {
            widths[c] = CB_MAX(widths[c], display_width(t->cells[r * t->n_columns + c]));
        }
    }

    fprintf(f, "%*s", (int)indent, "");
    print_row(t, f, heads, widths);
    for (size_t r = 0; r < rows; r++) {
        fprintf(f, "%*s", (int)indent, "");
        print_row(t, f, (const char *const *)t->cells + r * t->n_columns, widths);
    }
    return 0;
}
