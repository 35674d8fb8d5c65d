/* SPDX-License-Identifier: MIT */
/*
 * Cost of content inspection per value over the corpora of tests/corpus/ (benign and
 * attack texts mixed). Prints two figures: the median over values of each value inspected
 * a few times in a row (warm caches and branch predictors, as a busy router sees repeated
 * request shapes), and the mean of whole passes over the shuffled mix (colder).
 * Usage: cb-bench-inspect [SOURCE_DIR] [PASSES]
 */
#include <errno.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/cb-inspect.h"

#define REPEAT 16

struct value {
    char *s;
    size_t len;
};

static struct value *values;
static size_t n_values;

static int add_value(const char *s, size_t len)
{
    struct value *v = realloc(values, (n_values + 1) * sizeof *v);

    if (!v) {
        return -ENOMEM;
    }
    values = v;
    values[n_values].s = malloc(len + 1);
    if (!values[n_values].s) {
        return -ENOMEM;
    }
    memcpy(values[n_values].s, s, len);
    values[n_values].s[len] = '\0';
    values[n_values++].len = len;
    return 0;
}

/* The format of tests/corpus/gen-corpus.py: '#' comments, json:"..." lines, else literal. */
static int load(const char *dir, const char *name)
{
    char path[4096], *line = NULL;
    size_t cap = 0;
    ssize_t n;
    FILE *f;
    int r = 0;

    snprintf(path, sizeof path, "%s/tests/corpus/%s", dir, name);
    f = fopen(path, "re");
    if (!f) {
        fprintf(stderr, "cb-bench-inspect: %s: %s\n", path, strerror(errno));
        return -errno;
    }
    while (r == 0 && (n = getline(&line, &cap, f)) >= 0) {
        json_t *j;

        if (n > 0 && line[n - 1] == '\n') {
            line[--n] = '\0';
        }
        if (n == 0 || line[0] == '#') {
            continue;
        }
        if (strncmp(line, "json:", 5) != 0) {
            r = add_value(line, (size_t)n);
            continue;
        }
        j = json_loads(line + 5, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
        r = json_is_string(j) ? add_value(json_string_value(j), json_string_length(j)) : -EINVAL;
        json_decref(j);
    }
    free(line);
    fclose(f);
    return r;
}

static int64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : ".";
    int passes = argc > 2 ? atoi(argv[2]) : 20;
    size_t flagged = 0;
    int64_t *ns, start, total = 0;

    if (load(dir, "benign.txt") < 0 || load(dir, "attacks.txt") < 0 || passes < 1) {
        return EXIT_FAILURE;
    }
    ns = calloc(n_values, sizeof *ns);
    if (!ns) {
        return EXIT_FAILURE;
    }

    for (size_t i = 0; i < n_values; i++) {
        start = now_ns();
        for (int k = 0; k < REPEAT; k++) {
            flagged += cb_inspect_text(values[i].s, values[i].len, NULL) == 1;
        }
        ns[i] = (now_ns() - start) / REPEAT;
    }
    qsort(ns, n_values, sizeof *ns, cmp_i64);

    srand(1);
    for (size_t i = n_values - 1; i > 0; i--) {
        size_t j = (size_t)rand() % (i + 1);
        struct value t = values[i];

        values[i] = values[j];
        values[j] = t;
    }
    for (int p = 0; p < passes; p++) {
        start = now_ns();
        for (size_t i = 0; i < n_values; i++) {
            flagged += cb_inspect_text(values[i].s, values[i].len, NULL) == 1;
        }
        total += now_ns() - start;
    }

    printf("values=%zu median_ns=%lld p90_ns=%lld p99_ns=%lld mix_mean_ns=%.0f flagged=%zu\n",
           n_values, (long long)ns[n_values / 2], (long long)ns[n_values * 9 / 10],
           (long long)ns[n_values * 99 / 100], (double)total / (double)passes / (double)n_values,
           flagged / (size_t)(REPEAT + passes));
    free(ns);
    for (size_t i = 0; i < n_values; i++) {
        free(values[i].s);
    }
    free(values);
    return EXIT_SUCCESS;
}
