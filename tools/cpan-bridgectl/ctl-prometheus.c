/* SPDX-License-Identifier: MIT */
/*
 * cpan-bridgectl metrics --prometheus: the OpenMetrics 1.0 text exposition format, for a
 * textfile collector or a scrape wrapper. Counters are families without the _total suffix,
 * whose samples carry it; the text ends with "# EOF".
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "common/cb-buf.h"
#include "tools/cpan-bridgectl/ctl-internal.h"

struct prom {
    struct cb_buf out;
    bool failed;
};

/* A metric family's metadata: its name (no _total), "counter", "gauge" or "summary", help. */
struct prom_family {
    const char *name;
    const char *type;
    const char *help;
};

static void prom_printf(struct prom *p, const char *format, ...) CB_PRINTF(2, 3);

static void prom_printf(struct prom *p, const char *format, ...)
{
    char line[1024];
    va_list ap;
    int n;

    va_start(ap, format);
    n = vsnprintf(line, sizeof line, format, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof line || cb_buf_append(&p->out, line, (size_t)n) < 0) {
        p->failed = true;
    }
}

static void prom_append(struct prom *p, const char *s)
{
    if (cb_buf_append(&p->out, s, strlen(s)) < 0) {
        p->failed = true;
    }
}

/* The shortest text that reads back as the same double; OpenMetrics spells infinity "+Inf". */
static void format_value(double v, char buf[CTL_FMT_LEN])
{
    if (v != v) {
        snprintf(buf, CTL_FMT_LEN, "NaN");
        return;
    }
    if (v > 1e308 || v < -1e308) {
        snprintf(buf, CTL_FMT_LEN, "%sInf", v > 0 ? "+" : "-");
        return;
    }
    snprintf(buf, CTL_FMT_LEN, "%.15g", v);
    if (strtod(buf, NULL) != v) {
        snprintf(buf, CTL_FMT_LEN, "%.17g", v);
    }
}

/*
 * A label value: the format escapes only backslash, double quote and newline. Any other
 * control character, invalid UTF-8 or bidirectional override is written as the text of
 * ctl_escape() ("\x1b"), with its backslash escaped, so the value stays readable and safe.
 */
static void prom_label_value(struct prom *p, const char *raw)
{
    CB_CLEANUP(cb_freep) char *escaped = ctl_escape(raw, strlen(raw));

    if (!escaped) {
        p->failed = true;
        return;
    }
    for (const char *s = escaped; *s; s++) {
        if (*s == '"') {
            prom_append(p, "\\\"");
        } else if (*s == '\\' && (s[1] == 'n' || s[1] == '\\')) {
            prom_printf(p, "\\%c", s[1]);
            s++;
        } else if (*s == '\\') {
            prom_append(p, "\\\\");
        } else {
            prom_printf(p, "%c", *s);
        }
    }
}

static void prom_family(struct prom *p, const char *name, const char *type, const char *help)
{
    prom_printf(p, "# TYPE %s %s\n", name, type);
    prom_printf(p, "# HELP %s %s\n", name, help);
}

/* One sample; labels is a NULL-terminated list of name, value pairs (values raw) or NULL. */
static void prom_sample(struct prom *p, const char *name, const char *const *labels, double v)
{
    char value[CTL_FMT_LEN];

    prom_append(p, name);
    for (size_t i = 0; labels && labels[i]; i += 2) {
        prom_printf(p, "%s%s=\"", i == 0 ? "{" : ",", labels[i]);
        prom_label_value(p, labels[i + 1]);
        prom_append(p, "\"");
    }
    if (labels && labels[0]) {
        prom_append(p, "}");
    }
    format_value(v, value);
    prom_printf(p, " %s\n", value);
}

/* A family of one unlabelled sample, read from a field of a result. */
struct prom_single {
    struct prom_family family;
    const char *path; /* ctl_get() path in the result it reads */
    double scale;     /* MiB to bytes, or 1 */
};

static const struct prom_single request_metrics[] = {
    { { "cpan_bridge_requests", "counter", "Requests answered since the router started." },
      "total_requests",
      1 },
    { { "cpan_bridge_requests_failed", "counter",
        "Requests answered with success false, whatever the code." },
      "failed_requests",
      1 },
    { { "cpan_bridge_requests_per_second", "gauge", "Requests per second, last 60 s." },
      "requests_per_second",
      1 },
    { { "cpan_bridge_uptime_seconds", "gauge", "Seconds since the router started." },
      "uptime_seconds",
      1 },
};

static const struct prom_single counter_metrics[] = {
    { { "cpan_bridge_requests_rejected", "counter",
        "Requests the router refused before any helper saw them." },
      "requests_rejected",
      1 },
    { { "cpan_bridge_validation_failures", "counter", "Requests refused by validation." },
      "validation_failures",
      1 },
    { { "cpan_bridge_connections_accepted", "counter", "Client connections accepted since start." },
      "connections_total",
      1 },
};

static const struct prom_single resource_metrics[] = {
    { { "cpan_bridge_memory_bytes", "gauge",
        "Resident memory of the router and the running family daemons." },
      "memory_mb",
      1024.0 * 1024.0 },
    { { "cpan_bridge_cpu_percent", "gauge",
        "CPU of the router and the running family daemons; 100 = one CPU." },
      "cpu_percent",
      1 },
    { { "cpan_bridge_concurrent_requests", "gauge", "Requests in flight now." },
      "concurrent_requests",
      1 },
};

static const struct prom_single connection_metrics[] = {
    { { "cpan_bridge_connections", "gauge", "Client connections open now." },
      "active_connections",
      1 },
    { { "cpan_bridge_connections_stale", "gauge",
        "Connections open and idle past the stale timeout." },
      "stale_connections",
      1 },
    { { "cpan_bridge_sessions", "gauge", "Sessions the router holds." }, "active_sessions", 1 },
};

/* Each metric of the table whose field the router sent; the others are left out. */
static void prom_singles(struct prom *p,
                         const struct prom_single *metrics,
                         size_t n,
                         const json_t *result)
{
    for (size_t i = 0; i < n; i++) {
        const struct prom_family *family = &metrics[i].family;
        char sample[160];
        double v;

        if (!ctl_number(ctl_get(result, metrics[i].path), &v)) {
            continue;
        }
        prom_family(p, family->name, family->type, family->help);
        snprintf(sample, sizeof sample, "%s%s", family->name,
                 strcmp(family->type, "counter") == 0 ? "_total" : "");
        prom_sample(p, sample, NULL, v * metrics[i].scale);
    }
}

static void prom_duration(struct prom *p, const json_t *perf)
{
    static const char *const quantiles[][2] = { { "0.5", "p50_response_time" },
                                                { "0.95", "p95_response_time" },
                                                { "0.99", "p99_response_time" } };
    const char *name = "cpan_bridge_request_duration_seconds";
    double v, avg, count;

    if (!perf) {
        return;
    }
    prom_family(p, name, "summary", "Time from reading a request to writing its answer.");
    prom_printf(p, "# UNIT %s seconds\n", name);
    for (size_t i = 0; i < CB_ELEMENTSOF(quantiles); i++) {
        const char *labels[] = { "quantile", quantiles[i][0], NULL };

        if (ctl_number(ctl_get(perf, quantiles[i][1]), &v)) {
            prom_sample(p, name, labels, v);
        }
    }
    if (ctl_number(ctl_get(perf, "total_requests"), &count)) {
        if (ctl_number(ctl_get(perf, "avg_response_time"), &avg)) {
            prom_sample(p, "cpan_bridge_request_duration_seconds_sum", NULL, avg * count);
        }
        prom_sample(p, "cpan_bridge_request_duration_seconds_count", NULL, count);
    }
}

/* performance's top_modules: at most ten functions, the busiest, by module and function. */
static void prom_functions(struct prom *p, const json_t *top)
{
    static const char *const fields[][4] = {
        { "cpan_bridge_function_requests", "counter", "requests", "Requests, by function." },
        { "cpan_bridge_function_errors", "counter", "errors", "Failed requests, by function." },
    };
    size_t i;
    const json_t *m;

    if (!json_is_array(top)) {
        return;
    }
    for (size_t f = 0; f < CB_ELEMENTSOF(fields); f++) {
        char sample[128];

        prom_family(p, fields[f][0], fields[f][1], fields[f][3]);
        snprintf(sample, sizeof sample, "%s_total", fields[f][0]);
        json_array_foreach(top, i, m)
        {
            const char *mf = json_string_value(json_object_get(m, "module_function"));
            CB_CLEANUP(cb_freep) char *module = strdup(mf ? mf : "");
            char *dot = module ? strchr(module, '.') : NULL;
            const char *labels[] = { "module", module, "function", dot ? dot + 1 : "", NULL };
            double v;

            if (!module) {
                p->failed = true;
                return;
            }
            if (dot) {
                *dot = '\0';
            }
            if (ctl_number(json_object_get(m, fields[f][2]), &v)) {
                prom_sample(p, sample, labels, v);
            }
        }
    }
}

static void prom_processes(struct prom *p, const json_t *processes)
{
    static const char *const fields[][3] = {
        { "cpan_bridge_process_memory_bytes", "memory_mb", "Resident memory of one process." },
        { "cpan_bridge_process_cpu_percent", "cpu_percent", "CPU of one process; 100 = one CPU." },
    };
    size_t i;
    const json_t *proc;

    if (json_array_size(processes) == 0) {
        return;
    }
    for (size_t f = 0; f < CB_ELEMENTSOF(fields); f++) {
        prom_family(p, fields[f][0], "gauge", fields[f][2]);
        json_array_foreach(processes, i, proc)
        {
            char pid[CTL_FMT_LEN];
            const char *name = json_string_value(json_object_get(proc, "name"));
            const char *labels[] = { "process", name ? name : "", "pid",
                                     ctl_fmt_int(json_object_get(proc, "pid"), pid), NULL };
            double v;

            if (ctl_number(json_object_get(proc, fields[f][1]), &v)) {
                prom_sample(p, fields[f][0], labels, f == 0 ? v * 1024 * 1024 : v);
            }
        }
    }
}

static void prom_security(struct prom *p, const json_t *security_metrics)
{
    const json_t *by_type = ctl_get(security_metrics, "events_by_type");
    const char *type;
    const json_t *n;

    if (!json_is_object(by_type)) {
        return;
    }
    prom_family(p, "cpan_bridge_security_events", "counter", "Security events, by type.");
    json_object_foreach((json_t *)by_type, type, n)
    {
        const char *labels[] = { "type", type, NULL };
        double v;

        if (ctl_number(n, &v)) {
            prom_sample(p, "cpan_bridge_security_events_total", labels, v);
        }
    }
}

int ctl_prometheus_print(FILE *f,
                         const json_t *metrics,
                         const json_t *performance,
                         const json_t *stats)
{
    struct prom p = { .out = { 0 } };
    const json_t *perf = ctl_first(ctl_get(metrics, "performance_metrics"),
                                   ctl_get(performance, "performance_metrics"));
    const json_t *counters = ctl_first(ctl_get(metrics, "system_stats"), stats);
    const json_t *resources = ctl_first(ctl_get(metrics, "resource_status"),
                                        ctl_get(stats, "resource_status"));

    perf = ctl_first(perf, ctl_get(stats, "performance_summary"));
    prom_family(&p, "cpan_bridge_up", "gauge", "1: the router answered this scrape.");
    prom_sample(&p, "cpan_bridge_up", NULL, 1);
    prom_singles(&p, request_metrics, CB_ELEMENTSOF(request_metrics), perf);
    prom_singles(&p, counter_metrics, CB_ELEMENTSOF(counter_metrics), counters);
    prom_duration(&p, perf);
    prom_functions(&p, ctl_get(performance, "module_performance.top_modules"));
    prom_singles(&p, resource_metrics, CB_ELEMENTSOF(resource_metrics), resources);
    prom_processes(&p, ctl_get(resources, "processes"));
    prom_singles(&p, connection_metrics, CB_ELEMENTSOF(connection_metrics),
                 ctl_get(metrics, "connection_summary"));
    prom_security(&p, ctl_get(stats, "security_metrics"));
    prom_append(&p, "# EOF\n");

    if (p.failed) {
        cb_buf_free(&p.out);
        return -ENOMEM;
    }
    fwrite(cb_buf_head(&p.out), 1, cb_buf_pending(&p.out), f);
    cb_buf_free(&p.out);
    return 0;
}
