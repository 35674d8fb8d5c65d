/* SPDX-License-Identifier: MIT */
/* Sliding-window, per-minute and per-function request metrics with fixed memory. */
#include "services/router/router-metrics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cb-catalogue.h"
#include "common/cb-time.h"

int router_metrics_init(struct router_metrics *m)
{
    size_t n_mods, k = 0;
    const struct cb_module *mods = cb_catalogue_modules(&n_mods);

    *m = (struct router_metrics){ 0 };
    for (size_t i = 0; i < n_mods; i++) {
        m->n_functions += mods[i].n_functions;
    }
    m->n_functions++; /* "other": names the catalogue does not know */
    m->functions = calloc(m->n_functions, sizeof *m->functions);
    if (!m->functions) {
        return -ENOMEM;
    }
    for (size_t i = 0; i < n_mods; i++) {
        for (size_t j = 0; j < mods[i].n_functions; j++, k++) {
            m->functions[k].module = mods[i].name;
            m->functions[k].function = mods[i].functions[j].name;
        }
    }
    m->minute_realtime_base = cb_now_realtime_usec() - cb_now_monotonic_usec();
    return 0;
}

void router_metrics_done(struct router_metrics *m)
{
    free(m->functions);
    m->functions = NULL;
}

bool router_metrics_own_error(int code)
{
    return code == CB_E_INTERNAL || code == CB_E_UNAVAILABLE || code == CB_E_TIMEOUT;
}

/* Catalogue names are the table's own pointers, so a pointer comparison finds the slot. */
static struct metrics_function *function_slot(struct router_metrics *m,
                                              const char *module,
                                              const char *function)
{
    for (size_t i = 0; module && i + 1 < m->n_functions; i++) {
        if (m->functions[i].module == module && m->functions[i].function == function) {
            return &m->functions[i];
        }
    }
    return &m->functions[m->n_functions - 1];
}

static struct metrics_slot *slot_for(struct metrics_slot *ring, size_t n, uint64_t stamp)
{
    struct metrics_slot *s = &ring[stamp % n];

    if (s->stamp != stamp) {
        *s = (struct metrics_slot){ .stamp = stamp };
    }
    return s;
}

static void count(struct metrics_slot *s,
                  const struct metrics_answer *a,
                  size_t bucket,
                  uint64_t n,
                  uint64_t usec_sum)
{
    s->requests += n;
    s->errors += a->code >= 0 ? n : 0;
    s->own_errors += router_metrics_own_error(a->code) ? n : 0;
    s->latency.buckets[bucket] += n;
    s->latency.count += n;
    s->latency.sum_usec += usec_sum;
}

void router_metrics_remember_error(struct router_metrics *m, const struct metrics_answer *a)
{
    struct metrics_error *e = &m->recent[m->next_error++ % METRICS_RECENT_ERRORS];

    e->realtime_usec = cb_now_realtime_usec();
    snprintf(e->module_function, sizeof e->module_function, "%s.%s", a->module ? a->module : "?",
             a->function ? a->function : "?");
    snprintf(e->code, sizeof e->code, "%s", cb_error_code_to_string(a->code));
    snprintf(e->error, sizeof e->error, "%s", a->error ? a->error : "");
    e->duration_ms = (double)a->usec / 1000.0;
}

void router_metrics_record_n(struct router_metrics *m,
                             const struct metrics_answer *a,
                             size_t bucket,
                             uint64_t n,
                             uint64_t usec_sum,
                             uint64_t now_usec)
{
    uint64_t second = now_usec / CB_USEC_PER_SEC;
    struct metrics_function *f = function_slot(m, a->module, a->function);

    count(slot_for(m->seconds, METRICS_WINDOW_SECONDS, second), a, bucket, n, usec_sum);
    count(slot_for(m->minutes, METRICS_HISTORY_MINUTES, second / 60), a, bucket, n, usec_sum);
    f->requests += n;
    f->errors += a->code >= 0 ? n : 0;
    f->latency.buckets[bucket] += n;
    f->latency.count += n;
    f->latency.sum_usec += usec_sum;
}

void router_metrics_record(struct router_metrics *m,
                           const struct metrics_answer *a,
                           uint64_t now_usec)
{
    router_metrics_record_n(m, a, router_histogram_bucket(a->usec), 1, a->usec, now_usec);
    if (a->code >= 0) {
        router_metrics_remember_error(m, a);
    }
}

void router_metrics_window(const struct router_metrics *m,
                           uint64_t now_usec,
                           struct metrics_slot *ret_sum)
{
    uint64_t now = now_usec / CB_USEC_PER_SEC;

    *ret_sum = (struct metrics_slot){ .stamp = now };
    for (size_t i = 0; i < METRICS_WINDOW_SECONDS; i++) {
        const struct metrics_slot *s = &m->seconds[i];

        if (s->requests == 0 || s->stamp + METRICS_WINDOW_SECONDS <= now) {
            continue;
        }
        ret_sum->requests += s->requests;
        ret_sum->errors += s->errors;
        ret_sum->own_errors += s->own_errors;
        router_histogram_merge(&ret_sum->latency, &s->latency);
    }
}

uint64_t router_metrics_window_requests(const struct router_metrics *m, uint64_t now_usec)
{
    struct metrics_slot sum;

    router_metrics_window(m, now_usec, &sum);
    return sum.requests;
}

static double avg_seconds(const struct router_histogram *h)
{
    return h->count ? (double)h->sum_usec / 1e6 / (double)h->count : 0.0;
}

json_t *router_metrics_recent_json(const struct router_metrics *m, uint64_t now_usec)
{
    struct metrics_slot w;

    router_metrics_window(m, now_usec, &w);
    return json_pack("{s:i, s:I, s:f, s:f, s:f, s:f}", "window_seconds", METRICS_WINDOW_SECONDS,
                     "requests", (json_int_t)w.requests, "error_rate",
                     w.requests ? (double)w.errors / (double)w.requests : 0.0, "avg_response_time",
                     avg_seconds(&w.latency), "p95_response_time",
                     router_histogram_quantile(&w.latency, 0.95), "p99_response_time",
                     router_histogram_quantile(&w.latency, 0.99));
}

static int by_requests(const void *a, const void *b)
{
    const struct metrics_function *x = *(const struct metrics_function *const *)a;
    const struct metrics_function *y = *(const struct metrics_function *const *)b;

    return x->requests < y->requests ? 1 : x->requests > y->requests ? -1 : 0;
}

json_t *router_metrics_modules_json(const struct router_metrics *m)
{
    const struct metrics_function **order = calloc(m->n_functions, sizeof *order);
    json_t *top = json_array();
    size_t used = 0;

    for (size_t i = 0; order && i < m->n_functions; i++) {
        if (m->functions[i].requests > 0) {
            order[used++] = &m->functions[i];
        }
    }
    if (order) {
        qsort(order, used, sizeof *order, by_requests);
    }
    for (size_t i = 0; i < used && i < 10; i++) {
        const struct metrics_function *f = order[i];
        char name[96];

        snprintf(name, sizeof name, "%s.%s", f->module ? f->module : "other",
                 f->function ? f->function : "unknown");
        json_array_append_new(
                top, json_pack("{s:s, s:I, s:I, s:f, s:f, s:f}", "module_function", name,
                               "requests", (json_int_t)f->requests, "errors", (json_int_t)f->errors,
                               "error_rate", (double)f->errors / (double)f->requests, "avg_time_ms",
                               avg_seconds(&f->latency) * 1000.0, "p95_time_ms",
                               router_histogram_quantile(&f->latency, 0.95) * 1000.0));
    }
    free(order);
    return json_pack("{s:o, s:I}", "top_modules", top, "total_modules", (json_int_t)used);
}

json_t *router_metrics_errors_json(const struct router_metrics *m)
{
    size_t n = m->next_error < METRICS_RECENT_ERRORS ? m->next_error : METRICS_RECENT_ERRORS;
    json_t *list = json_array();

    for (size_t i = 0; i < n; i++) {
        const struct metrics_error *e = &m->recent[(m->next_error - 1 - i) % METRICS_RECENT_ERRORS];
        char when[CB_ISO_TIME_MAX];

        json_array_append_new(list,
                              json_pack("{s:s, s:s, s:s, s:s, s:f}", "timestamp",
                                        cb_format_iso_time(e->realtime_usec, when, sizeof when),
                                        "module_function", e->module_function, "error_code",
                                        e->code, "error", e->error, "duration_ms", e->duration_ms));
    }
    return list;
}

json_t *router_metrics_history_json(const struct router_metrics *m, uint64_t now_usec)
{
    uint64_t minute = now_usec / CB_USEC_PER_SEC / 60;
    json_t *list = json_array();

    /* Oldest first, only minutes that saw requests. */
    for (uint64_t k = METRICS_HISTORY_MINUTES; k-- > 0;) {
        const struct metrics_slot *s;
        char when[CB_ISO_TIME_MAX];

        if (k > minute) {
            continue;
        }
        s = &m->minutes[(minute - k) % METRICS_HISTORY_MINUTES];
        if (s->stamp != minute - k || s->requests == 0) {
            continue;
        }
        cb_format_iso_time(m->minute_realtime_base + s->stamp * 60 * CB_USEC_PER_SEC, when,
                           sizeof when);
        json_array_append_new(list, json_pack("{s:s, s:I, s:I, s:f, s:f}", "minute", when,
                                              "requests", (json_int_t)s->requests, "errors",
                                              (json_int_t)s->errors, "avg_response_time",
                                              avg_seconds(&s->latency), "p95_response_time",
                                              router_histogram_quantile(&s->latency, 0.95)));
    }
    return list;
}
