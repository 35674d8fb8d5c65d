/* SPDX-License-Identifier: MIT */
/* cpan-bridgectl: the blocks that status, metrics and stats print alike. */
#include <errno.h>
#include <string.h>

#include "common/cb-buf.h"
#include "tools/cpan-bridgectl/ctl-internal.h"

/* Labels are padded to one width so that the blocks line up under each other. */
#define LABEL "%-13s"

void ctl_print_latency(const json_t *perf)
{
    char avg[CTL_FMT_LEN], p50[CTL_FMT_LEN], p95[CTL_FMT_LEN], p99[CTL_FMT_LEN];

    printf(LABEL "avg %s, p50 %s, p95 %s, p99 %s\n", "latency",
           ctl_fmt_seconds_as_ms(ctl_get(perf, "avg_response_time"), avg),
           ctl_fmt_seconds_as_ms(ctl_get(perf, "p50_response_time"), p50),
           ctl_fmt_seconds_as_ms(ctl_get(perf, "p95_response_time"), p95),
           ctl_fmt_seconds_as_ms(ctl_get(perf, "p99_response_time"), p99));
}

void ctl_print_performance(const json_t *perf)
{
    char total[CTL_FMT_LEN], failed[CTL_FMT_LEN], rate[CTL_FMT_LEN], rps[CTL_FMT_LEN];

    printf(LABEL "%s total, %s failed (%s), %s per second\n", "requests",
           ctl_fmt_int(ctl_get(perf, "total_requests"), total),
           ctl_fmt_int(ctl_get(perf, "failed_requests"), failed),
           ctl_fmt_fraction(ctl_get(perf, "error_rate"), rate),
           ctl_fmt_num(ctl_get(perf, "requests_per_second"), 2, rps));
    ctl_print_latency(perf);
}

void ctl_print_recent_window(const json_t *recent)
{
    char n[CTL_FMT_LEN], rate[CTL_FMT_LEN], p95[CTL_FMT_LEN], p99[CTL_FMT_LEN];

    if (!recent) {
        return;
    }
    printf(LABEL "%s requests, %s failed, p95 %s, p99 %s\n", "last 60 s",
           ctl_fmt_int(ctl_get(recent, "requests"), n),
           ctl_fmt_fraction(ctl_get(recent, "error_rate"), rate),
           ctl_fmt_seconds_as_ms(ctl_get(recent, "p95_response_time"), p95),
           ctl_fmt_seconds_as_ms(ctl_get(recent, "p99_response_time"), p99));
}

void ctl_print_resources(const json_t *resources)
{
    char mem[CTL_FMT_LEN], peak_mem[CTL_FMT_LEN], cpu[CTL_FMT_LEN], peak_cpu[CTL_FMT_LEN];
    char rpm[CTL_FMT_LEN], inflight[CTL_FMT_LEN];

    printf(LABEL "memory %s (peak %s), cpu %s (peak %s)\n", "resources",
           ctl_fmt_mib(ctl_get(resources, "memory_mb"), mem),
           ctl_fmt_mib(ctl_get(resources, "peak_memory"), peak_mem),
           ctl_fmt_percent(ctl_get(resources, "cpu_percent"), cpu),
           ctl_fmt_percent(ctl_get(resources, "peak_cpu"), peak_cpu));
    printf(LABEL "%s requests in the last minute, %s in flight\n", "load",
           ctl_fmt_int(ctl_get(resources, "requests_per_minute"), rpm),
           ctl_fmt_int(ctl_get(resources, "concurrent_requests"), inflight));
}

void ctl_print_connection_summary(const json_t *summary)
{
    char active[CTL_FMT_LEN], total[CTL_FMT_LEN], stale[CTL_FMT_LEN], sessions[CTL_FMT_LEN];

    printf(LABEL "%s active, %s since start, %s stale; %s sessions\n", "connections",
           ctl_fmt_int(ctl_get(summary, "active_connections"), active),
           ctl_fmt_int(ctl_get(summary, "total_connections"), total),
           ctl_fmt_int(ctl_get(summary, "stale_connections"), stale),
           ctl_fmt_int(ctl_get(summary, "active_sessions"), sessions));
}

void ctl_print_recent_errors(const json_t *errors, size_t max)
{
    static const char *const headers[] = { "TIME", "FUNCTION", "CODE", ">MS", "ERROR", NULL };
    CB_CLEANUP(ctl_table_freep) struct ctl_table *t = ctl_table_new(headers);
    char ms[CTL_FMT_LEN];
    size_t i;
    const json_t *e;

    json_array_foreach(errors, i, e)
    {
        if (i >= max) {
            break;
        }
        ctl_table_add_value(t, json_object_get(e, "timestamp"));
        ctl_table_add_value(t, json_object_get(e, "module_function"));
        ctl_table_add_value(t, json_object_get(e, "error_code"));
        ctl_table_add(t, ctl_fmt_num(json_object_get(e, "duration_ms"), 1, ms));
        ctl_table_add_value(t, json_object_get(e, "error"));
    }
    if (ctl_table_rows(t) == 0) {
        return;
    }
    printf("\nrecent errors (newest first):\n");
    (void)ctl_table_print(t, stdout, 2);
}

void ctl_print_top_modules(const json_t *module_performance)
{
    static const char *const headers[] = { "FUNCTION", ">REQUESTS", ">ERRORS", ">ERROR RATE",
                                           ">AVG",     ">P95",      NULL };
    CB_CLEANUP(ctl_table_freep) struct ctl_table *t = ctl_table_new(headers);
    char buf[CTL_FMT_LEN];
    size_t i;
    const json_t *m;

    json_array_foreach(ctl_get(module_performance, "top_modules"), i, m)
    {
        ctl_table_add_value(t, json_object_get(m, "module_function"));
        ctl_table_add(t, ctl_fmt_int(json_object_get(m, "requests"), buf));
        ctl_table_add(t, ctl_fmt_int(json_object_get(m, "errors"), buf));
        ctl_table_add(t, ctl_fmt_fraction(json_object_get(m, "error_rate"), buf));
        ctl_table_add(t, ctl_fmt_ms(json_object_get(m, "avg_time_ms"), buf));
        ctl_table_add(t, ctl_fmt_ms(json_object_get(m, "p95_time_ms"), buf));
    }
    if (ctl_table_rows(t) == 0) {
        return;
    }
    printf("\nbusiest functions (%s in all):\n",
           ctl_fmt_int(ctl_get(module_performance, "total_modules"), buf));
    (void)ctl_table_print(t, stdout, 2);
}

/* Appends ", name value" (without the comma first). Returns 0 or -ENOMEM. */
static int append_count(struct cb_buf *out, const char *key, const json_t *n)
{
    CB_CLEANUP(cb_freep) char *name = ctl_escape(key, strlen(key));
    char value[CTL_FMT_LEN];

    if (!name) {
        return -ENOMEM;
    }
    ctl_fmt_int(n, value);
    if ((out->len && cb_buf_append(out, ", ", 2) < 0) ||
        cb_buf_append(out, name, strlen(name)) < 0 || cb_buf_append(out, " ", 1) < 0 ||
        cb_buf_append(out, value, strlen(value)) < 0) {
        return -ENOMEM;
    }
    return 0;
}

char *ctl_counts_text(const json_t *counts)
{
    struct cb_buf out = { 0 };
    const char *key;
    const json_t *n;
    int r = 0;

    json_object_foreach((json_t *)counts, key, n)
    {
        if (r >= 0) {
            r = append_count(&out, key, n);
        }
    }
    if (r >= 0 && out.len == 0) {
        r = cb_buf_append(&out, "-", 1);
    }
    return ctl_text_finish(&out, r);
}

void ctl_print_counts(const char *label, const json_t *counts)
{
    CB_CLEANUP(cb_freep) char *text = ctl_counts_text(counts);

    printf(LABEL "%s\n", label, text ? text : "?");
}
