/* SPDX-License-Identifier: MIT */
/*
 * The router's validation of one request, as it runs for every call: JSON parsing, the
 * envelope, the catalogue check and content inspection, over a mix of requests built from
 * the project's corpora. Prints the median and tail cost per request; asserts nothing.
 * Usage: cb-bench-validate [REPO_DIR]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/cb-catalogue.h"
#include "common/cb-envelope.h"
#include "common/cb-json.h"
#include "common/cb-screen.h"

#define MAX_REQUESTS 8000
#define REPEAT       8

static uint64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int by_value(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return x < y ? -1 : x > y;
}

/* Each corpus line becomes the text of a realistic request: a ping with a few fields. */
static size_t load(const char *repo, const char *name, char **texts, size_t n, size_t max)
{
    char path[512], line[8192];
    FILE *f;

    snprintf(path, sizeof path, "%s/tests/corpus/%s", repo, name);
    f = fopen(path, "re");
    if (!f) {
        return n;
    }
    while (n < max && fgets(line, sizeof line, f)) {
        json_t *req;

        line[strcspn(line, "\n")] = '\0';
        if (!line[0] || line[0] == '#' || strncmp(line, "json:", 5) == 0) {
            continue;
        }
        req = json_pack("{s:I, s:s, s:s, s:s, s:{s:s, s:i, s:s, s:b}}", "id", (json_int_t)n,
                        "module", "test", "function", "ping", "session",
                        "0123456789abcdef0123456789abcdef", "params", "text", line, "row", (int)n,
                        "note", "nightly import", "flag", 1);
        texts[n++] = json_dumps(req, JSON_COMPACT);
        json_decref(req);
    }
    fclose(f);
    return n;
}

static uint64_t validate_one(const char *text, const struct cb_limits *limits)
{
    struct cb_error err = CB_ERROR_INIT;
    const struct cb_module *m;
    const struct cb_function *f;
    struct cb_request req;
    json_t *id = NULL, *params = NULL;
    uint64_t t0 = now_ns();

    if (cb_request_parse(text, strlen(text), CB_ORIGIN_CLIENT, limits, &req, &id, &err) >= 0) {
        if (cb_catalogue_resolve(req.module, req.function, &m, &f, &err) >= 0 &&
            cb_catalogue_check_params(f, req.params, &params, &err) >= 0) {
            (void)cb_screen_params(f, params, NULL, &err);
        }
        json_decref(params);
        cb_request_done(&req);
    }
    json_decref(id);
    cb_error_clear(&err);
    return now_ns() - t0;
}

int main(int argc, char **argv)
{
    const char *repo = argc > 1 ? argv[1] : ".";
    struct cb_limits limits = CB_LIMITS_DEFAULT;
    static char *texts[MAX_REQUESTS];
    static uint64_t took[MAX_REQUESTS * REPEAT];
    size_t n = 0, k = 0;

    n = load(repo, "benign.txt", texts, n, MAX_REQUESTS);
    n = load(repo, "attacks.txt", texts, n, MAX_REQUESTS);
    if (n == 0) {
        fprintf(stderr, "no corpus under %s/tests/corpus\n", repo);
        return 1;
    }
    for (int r = 0; r < REPEAT; r++) {
        for (size_t i = 0; i < n; i++) {
            took[k++] = validate_one(texts[i], &limits);
        }
    }
    qsort(took, k, sizeof took[0], by_value);
    printf("validation (parse, envelope, catalogue, inspection) of %zu requests x %d: median %.2f us, p90 %.2f us, p99 %.2f us (target: median <= 2 us)\n",
           n, REPEAT, took[k / 2] / 1000.0, took[k * 9 / 10] / 1000.0, took[k * 99 / 100] / 1000.0);
    for (size_t i = 0; i < n; i++) {
        free(texts[i]);
    }
    return 0;
}
