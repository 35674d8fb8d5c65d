/* SPDX-License-Identifier: MIT */
/* One cell, typed as Excel::Writer::XLSX's write() types it, or as the caller says. */
#include "services/office/office-internal.h"

#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cb-base64.h"

/* Excel::Writer::XLSX's number rule: an optional sign, digits with at most one point (at
 * least one digit somewhere), an optional exponent. */
static bool looks_numeric(const char *s)
{
    const char *p = s;
    bool digits = false;

    if (*p == '+' || *p == '-') {
        p++;
    }
    while (*p >= '0' && *p <= '9') {
        p++, digits = true;
    }
    if (*p == '.') {
        p++;
        while (*p >= '0' && *p <= '9') {
            p++, digits = true;
        }
    }
    if (!digits) {
        return false;
    }
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-') {
            p++;
        }
        if (!(*p >= '0' && *p <= '9')) {
            return false;
        }
        while (*p >= '0' && *p <= '9') {
            p++;
        }
    }
    return *p == '\0';
}

static bool leading_zero(const char *s)
{
    if (*s == '+' || *s == '-') {
        s++;
    }
    return s[0] == '0' && s[1] >= '0' && s[1] <= '9';
}

static const char *const type_names[] = {
    [OFFICE_AUTO] = "auto",       [OFFICE_STRING] = "string", [OFFICE_NUMBER] = "number",
    [OFFICE_FORMULA] = "formula", [OFFICE_URL] = "url",       [OFFICE_DATE] = "date",
    [OFFICE_BOOLEAN] = "boolean", [OFFICE_BLANK] = "blank",
};

int office_type_from_string(const char *s)
{
    for (size_t i = 0; i < CB_ELEMENTSOF(type_names); i++) {
        if (strcmp(s, type_names[i]) == 0) {
            return (int)i;
        }
    }
    return -1;
}

const char *office_type_to_string(enum office_type t)
{
    return type_names[t];
}

static enum office_type auto_type(const struct office_book *b, json_t *v)
{
    const char *s;

    if (json_is_null(v)) {
        return OFFICE_BLANK;
    }
    if (json_is_boolean(v)) {
        return OFFICE_BOOLEAN;
    }
    if (json_is_number(v)) {
        return OFFICE_NUMBER;
    }
    s = json_string_value(v);
    if (looks_numeric(s) && !(b->keep_leading_zeros && leading_zero(s))) {
        return OFFICE_NUMBER;
    }
    if (s[0] == '=') {
        return OFFICE_FORMULA;
    }
    if (strncmp(s, "http://", 7) == 0 || strncmp(s, "https://", 8) == 0 ||
        strncmp(s, "ftp://", 6) == 0 || strncmp(s, "mailto:", 7) == 0) {
        return OFFICE_URL;
    }
    return OFFICE_STRING;
}

/* "2026-12-03" or "2026-12-03T08:35:12[.fff]" (a space for the T as well). */
static int parse_date(const char *s, lxw_datetime *dt, bool *ret_time)
{
    int n = 0;

    *dt = (lxw_datetime){ 0 };
    *ret_time = false;
    if (sscanf(s, "%4d-%2d-%2d%n", &dt->year, &dt->month, &dt->day, &n) != 3) {
        return -1;
    }
    if (s[n] == 'T' || s[n] == ' ') {
        double sec = 0;
        int m = 0;

        if (sscanf(s + n + 1, "%2d:%2d:%lf%n", &dt->hour, &dt->min, &sec, &m) != 3) {
            return -1;
        }
        dt->sec = sec;
        n += 1 + m;
        *ret_time = true;
    }
    if (s[n] != '\0' || dt->year < 1900 || dt->year > 9999 || dt->month < 1 || dt->month > 12 ||
        dt->day < 1 || dt->day > 31 || dt->hour > 23 || dt->min > 59 || dt->sec >= 60) {
        return -1;
    }
    return 0;
}

int office_check_limits(int64_t row, int64_t col, struct cb_error *err)
{
    if (row < 0 || row >= OFFICE_MAX_ROWS) {
        return cb_error_set(err, CB_E_INVALID_PARAM,
                            "row %lld is outside Excel's rows 0 to 1,048,575", (long long)row);
    }
    if (col < 0 || col >= OFFICE_MAX_COLS) {
        return cb_error_set(err, CB_E_INVALID_PARAM,
                            "column %lld is outside Excel's columns 0 to 16,383", (long long)col);
    }
    return 0;
}

int office_check_cell(const struct office_book *b,
                      const struct office_sheet *s,
                      int64_t row,
                      int64_t col,
                      struct cb_error *err)
{
    int r = office_check_limits(row, col, err);

    if (r >= 0 && b->constant_memory && row < s->last_row) {
        return cb_error_set(
                err, CB_E_INVALID_PARAM,
                "row %lld comes after row %lld in constant_memory mode, which writes rows in order",
                (long long)row, (long long)s->last_row);
    }
    return r;
}

static lxw_format *date_format(struct office_book *b, bool with_time)
{
    lxw_format **slot = with_time ? &b->datetime_format : &b->date_format;

    if (!*slot) {
        *slot = workbook_add_format(b->wb);
        if (*slot) {
            format_set_num_format(*slot, with_time ? "yyyy-mm-dd hh:mm:ss" : "yyyy-mm-dd");
        }
    }
    return *slot;
}

/* With dry set, every check is made and nothing written: a request is refused whole. */
#define WRITE(call) (dry ? LXW_NO_ERROR : (call))

static int write_typed(struct office_book *b,
                       struct office_sheet *s,
                       lxw_row_t row,
                       lxw_col_t col,
                       json_t *v,
                       enum office_type type,
                       lxw_format *f,
                       bool dry,
                       struct cb_error *err)
{
    const char *text = json_string_value(v);
    lxw_error e;

    if (text && json_string_length(v) > OFFICE_MAX_STRING && type != OFFICE_NUMBER) {
        return cb_error_set(
                err, CB_E_INVALID_PARAM,
                "the cell at row %u, column %u holds %zu bytes; Excel's limit is 32,767 characters",
                row, col, json_string_length(v));
    }
    if (type == OFFICE_BLANK) {
        e = WRITE(worksheet_write_blank(s->ws, row, col, f));
    } else if (type == OFFICE_BOOLEAN) {
        e = WRITE(worksheet_write_boolean(
                s->ws, row, col,
                json_is_true(v) || (json_is_number(v) && json_number_value(v) != 0) ||
                        (text && strcmp(text, "") && strcmp(text, "0")),
                f));
    } else if (type == OFFICE_NUMBER) {
        char *end = NULL;
        double d = json_is_number(v) ? json_number_value(v) : text ? strtod(text, &end) : 0;

        if (!json_is_number(v) && (!text || !looks_numeric(text))) {
            return cb_error_set(err, CB_E_INVALID_PARAM,
                                "the cell at row %u, column %u is not a number", row, col);
        }
        e = WRITE(worksheet_write_number(s->ws, row, col, d, f));
    } else if (type == OFFICE_FORMULA && text) {
        e = WRITE(worksheet_write_formula(s->ws, row, col, text, f));
    } else if (type == OFFICE_URL && text) {
        e = WRITE(worksheet_write_url(s->ws, row, col, text, f));
    } else if (type == OFFICE_DATE && text) {
        lxw_datetime dt;
        bool with_time;

        if (parse_date(text, &dt, &with_time) < 0) {
            return cb_error_set(
                    err, CB_E_INVALID_PARAM,
                    "the cell at row %u, column %u is not an ISO 8601 date (2026-12-03 or 2026-12-03T08:35:12)",
                    row, col);
        }
        e = WRITE(
                worksheet_write_datetime(s->ws, row, col, &dt, f ? f : date_format(b, with_time)));
    } else if (type == OFFICE_STRING && (text || json_is_number(v))) {
        char buf[64];

        if (!text) {
            snprintf(buf, sizeof buf, "%.17g", json_number_value(v));
            text = buf;
        }
        e = WRITE(worksheet_write_string(s->ws, row, col, text, f));
    } else {
        return cb_error_set(
                err, CB_E_INVALID_PARAM,
                "the cell at row %u, column %u cannot be written as %s (a cell is a string, a number, a boolean or null)",
                row, col, type_names[type]);
    }
    return office_lxw_error(e, "writing a cell", err);
}

int office_write_cell(struct office_book *b,
                      struct office_sheet *s,
                      int64_t row,
                      int64_t col,
                      json_t *value,
                      enum office_type type,
                      lxw_format *format,
                      bool dry,
                      enum office_type *ret_type,
                      struct cb_error *err)
{
    int r = office_check_cell(b, s, row, col, err);

    if (r < 0) {
        return r;
    }
    if (cb_is_binary(value) || json_is_object(value) || json_is_array(value)) {
        return cb_error_set(
                err, CB_E_INVALID_PARAM,
                "the cell at row %lld, column %lld is not a string, a number, a boolean or null",
                (long long)row, (long long)col);
    }
    /* What auto types a scalar as cannot fail, but for a string's length: checking needs no
     * more, and big batches are checked before they are written. */
    if (dry && type == OFFICE_AUTO) {
        return json_is_string(value) && json_string_length(value) > OFFICE_MAX_STRING
                       ? write_typed(b, s, (lxw_row_t)row, (lxw_col_t)col, value, OFFICE_STRING,
                                     format, true, err)
                       : 0;
    }
    if (type == OFFICE_AUTO) {
        type = auto_type(b, value);
    }
    r = write_typed(b, s, (lxw_row_t)row, (lxw_col_t)col, value, type, format, dry, err);
    if (r < 0 || dry) {
        return r;
    }
    if (row > s->last_row) {
        s->last_row = row;
    }
    b->cells++;
    if (ret_type) {
        *ret_type = type;
    }
    return 0;
}
