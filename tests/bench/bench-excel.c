/* SPDX-License-Identifier: MIT */
/*
 * The excel benchmark (issue 10): N rows of 10 cells (a number and nine strings) into an
 * .xlsx through excel.write_rows (1000 rows a call, over the suite's socket) against the same
 * workbook written with libxlsxwriter directly, for N = 1k, 10k and 100k; medians of 3; prints
 * both times, their ratio (target <= 1.5 at every size) and the slope in microseconds per
 * row. Run pinned (make bench does). Usage: cb-bench-excel SOCKET DIR
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <xlsxwriter.h>

#include "tests/client/cb-client.h"

#define CHUNK 1000
#define NCOLS 10
#define REPS  3

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void cell_text(char *buf, size_t size, long row, int col)
{
    snprintf(buf, size, "r%ld-c%d text", row, col);
}

static double direct(const char *path, long rows)
{
    double t0 = now();
    lxw_workbook *wb = workbook_new(path);
    lxw_worksheet *ws = workbook_add_worksheet(wb, "Bench");
    char buf[64];

    for (long r = 0; r < rows; r++) {
        worksheet_write_number(ws, (lxw_row_t)r, 0, (double)r, NULL);
        for (int c = 1; c < NCOLS; c++) {
            cell_text(buf, sizeof buf, r, c);
            worksheet_write_string(ws, (lxw_row_t)r, (lxw_col_t)c, buf, NULL);
        }
    }
    workbook_close(wb);
    return now() - t0;
}

static json_t *call(struct cb_client *c, const char *function, json_t *params)
{
    json_t *resp = NULL;

    if (cb_client_call(c, "excel", function, params, &resp) < 0 || !cb_client_response_ok(resp)) {
        fprintf(stderr, "bench-excel: excel.%s failed\n", function);
        exit(1);
    }
    return resp;
}

static double bridge(const char *socket, const char *path, long rows)
{
    struct cb_client *c = NULL;
    double t0;
    char buf[64];

    if (cb_client_connect(socket, 5000, &c) < 0) {
        fprintf(stderr, "bench-excel: cannot connect to %s\n", socket);
        exit(1);
    }
    cb_client_set_timeout(c, 600000);
    t0 = now();
    json_decref(call(c, "create_workbook", json_pack("{s:s}", "filename", path)));
    json_decref(call(c, "add_worksheet", json_pack("{s:s}", "sheet_name", "Bench")));
    for (long start = 0; start < rows; start += CHUNK) {
        json_t *list = json_array();

        for (long r = start; r < start + CHUNK && r < rows; r++) {
            json_t *row = json_array();

            json_array_append_new(row, json_integer(r));
            for (int col = 1; col < NCOLS; col++) {
                cell_text(buf, sizeof buf, r, col);
                json_array_append_new(row, json_string(buf));
            }
            json_array_append_new(list, row);
        }
        json_decref(call(c, "write_rows",
                         json_pack("{s:I, s:o}", "row", (json_int_t)start, "rows", list)));
    }
    json_decref(call(c, "save_workbook", json_object()));
    t0 = now() - t0;
    cb_client_free(c);
    return t0;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    static const long sizes[] = { 1000, 10000, 100000 };
    double prev_d = 0, prev_b = 0;
    char path[512];

    if (argc != 3) {
        fprintf(stderr, "usage: %s SOCKET DIR\n", argv[0]);
        return 2;
    }
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        double d[REPS], b[REPS];

        /* Alternating, so that a noisy moment hurts both sides alike. */
        for (int k = 0; k < REPS; k++) {
            snprintf(path, sizeof path, "%s/direct.xlsx", argv[2]);
            d[k] = direct(path, sizes[i]);
            snprintf(path, sizeof path, "%s/bridge.xlsx", argv[2]);
            b[k] = bridge(argv[1], path, sizes[i]);
        }
        qsort(d, REPS, sizeof *d, cmp);
        qsort(b, REPS, sizeof *b, cmp);
        printf("excel write_rows %6ld rows x %d: libxlsxwriter %.3f s, bridge %.3f s: %.2fx (target <= 1.50)",
               sizes[i], NCOLS, d[REPS / 2], b[REPS / 2], b[REPS / 2] / d[REPS / 2]);
        if (i > 0) {
            printf("; slope %.2f us/row direct, %.2f us/row bridge",
                   (d[REPS / 2] - prev_d) / (double)(sizes[i] - sizes[i - 1]) * 1e6,
                   (b[REPS / 2] - prev_b) / (double)(sizes[i] - sizes[i - 1]) * 1e6);
        }
        printf("\n");
        prev_d = d[REPS / 2];
        prev_b = b[REPS / 2];
    }
    return 0;
}
