/* SPDX-License-Identifier: MIT */
/*
 * Request metrics for system.performance and friends: since start, over a sliding window of
 * the last 60 seconds, per minute for the last hour, and per module.function. Memory is fixed
 * at start, whatever the number of requests, functions or clients.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "services/router/router-stats.h"

#define METRICS_WINDOW_SECONDS  60
#define METRICS_HISTORY_MINUTES 60
#define METRICS_RECENT_ERRORS   10

struct metrics_slot {
    uint64_t stamp; /* the second (or minute) it counts, monotonic */
    uint64_t requests, errors, own_errors;
    struct router_histogram latency;
};

struct metrics_function {
    const char *module; /* NULL: requests that named no known function */
    const char *function;
    uint64_t requests, errors;
    struct router_histogram latency;
};

struct metrics_error {
    uint64_t realtime_usec;
    char module_function[96];
    char code[24];
    char error[160];
    double duration_ms;
};

struct router_metrics {
    struct metrics_slot seconds[METRICS_WINDOW_SECONDS];
    struct metrics_slot minutes[METRICS_HISTORY_MINUTES];
    uint64_t minute_realtime_base; /* realtime of monotonic minute 0, for the history's stamps */
    struct metrics_function *functions; /* one per catalogue function, then one for "other" */
    size_t n_functions;
    struct metrics_error recent[METRICS_RECENT_ERRORS];
    size_t next_error;
};

struct metrics_answer {
    const char *module; /* primary names, or NULL when the request named none known */
    const char *function;
    int code; /* -1 on success */
    uint64_t usec;
    const char *error; /* the error text, or NULL */
};

int router_metrics_init(struct router_metrics *m);
void router_metrics_done(struct router_metrics *m);

/* Counts one answer; a few increments, no allocation (it runs for every request). */
void router_metrics_record(struct router_metrics *m,
                           const struct metrics_answer *a,
                           uint64_t now_usec);

/* n answers of one latency bucket at once (an instance's report of its channels' calls),
 * and one error for the recent list; record_n keeps no error text. */
void router_metrics_record_n(struct router_metrics *m,
                             const struct metrics_answer *a,
                             size_t bucket,
                             uint64_t n,
                             uint64_t usec_sum,
                             uint64_t now_usec);
void router_metrics_remember_error(struct router_metrics *m, const struct metrics_answer *a);
/* The errors the suite itself caused (E_INTERNAL, E_UNAVAILABLE, E_TIMEOUT). */
bool router_metrics_own_error(int code);

/* API.md 3.1 performance: recent, module_performance, recent_errors, history. */
json_t *router_metrics_recent_json(const struct router_metrics *m, uint64_t now_usec);
json_t *router_metrics_modules_json(const struct router_metrics *m);
json_t *router_metrics_errors_json(const struct router_metrics *m);
json_t *router_metrics_history_json(const struct router_metrics *m, uint64_t now_usec);

/* Requests in the last 60 s, and the window's own error rate and p95 (for health). */
uint64_t router_metrics_window_requests(const struct router_metrics *m, uint64_t now_usec);
void router_metrics_window(const struct router_metrics *m,
                           uint64_t now_usec,
                           struct metrics_slot *ret_sum);
