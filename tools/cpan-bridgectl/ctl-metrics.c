/* SPDX-License-Identifier: MIT */
/* cpan-bridgectl metrics: system.metrics for people, as JSON, or as OpenMetrics text. */
#include <errno.h>
#include <stdio.h>

#include "common/cb-json.h"
#include "tools/cpan-bridgectl/ctl-internal.h"

#define OPT_PROMETHEUS 256

static void print_processes(const json_t *processes)
{
    static const char *const headers[] = { "PROCESS", ">PID", ">MEMORY", ">CPU", NULL };
    CB_CLEANUP(ctl_table_freep) struct ctl_table *t = ctl_table_new(headers);
    char buf[CTL_FMT_LEN];
    size_t i;
    const json_t *p;

    json_array_foreach(processes, i, p)
    {
        ctl_table_add_value(t, json_object_get(p, "name"));
        ctl_table_add(t, ctl_fmt_int(json_object_get(p, "pid"), buf));
        ctl_table_add(t, ctl_fmt_mib(json_object_get(p, "memory_mb"), buf));
        ctl_table_add(t, ctl_fmt_percent(json_object_get(p, "cpu_percent"), buf));
    }
    if (ctl_table_rows(t) > 0) {
        fputc('\n', stdout);
        (void)ctl_table_print(t, stdout, 2);
    }
}

static void print_strings(const char *label, const json_t *list)
{
    size_t i;
    const json_t *item;

    json_array_foreach(list, i, item)
    {
        printf("%-13s", i == 0 ? label : "");
        ctl_print_value(stdout, item);
        fputc('\n', stdout);
    }
}

static void print_security(const json_t *security, const json_t *modules)
{
    char events[CTL_FMT_LEN], failures[CTL_FMT_LEN], rejected[CTL_FMT_LEN], n[CTL_FMT_LEN];

    printf("%-13s%s events, %s validation failures, %s requests rejected\n", "security",
           ctl_fmt_int(ctl_get(security, "total_security_events"), events),
           ctl_fmt_int(ctl_get(security, "validation_failures"), failures),
           ctl_fmt_int(ctl_get(security, "requests_rejected"), rejected));
    printf("%-13s%s loaded\n", "modules", ctl_fmt_int(ctl_get(modules, "loaded_modules"), n));
}

static void print_metrics(const json_t *m, const json_t *performance)
{
    const json_t *resources = ctl_get(m, "resource_status");
    char up[CTL_FMT_LEN];

    fputs("cpan-bridge ", stdout);
    ctl_print_value(stdout, ctl_get(m, "daemon_info.version"));
    printf(", up %s, at ", ctl_fmt_uptime(ctl_get(m, "daemon_info.uptime_seconds"), up));
    ctl_print_value(stdout, ctl_get(m, "timestamp"));
    fputs("\n\n", stdout);

    ctl_print_performance(ctl_get(m, "performance_metrics"));
    ctl_print_resources(resources);
    ctl_print_counts("alerts", ctl_get(resources, "alerts"));
    print_strings("violations", ctl_get(resources, "violations"));
    print_strings("warnings", ctl_get(resources, "warnings"));
    ctl_print_connection_summary(ctl_get(m, "connection_summary"));
    ctl_print_counts("handles", ctl_get(m, "connection_summary.handles"));
    print_security(ctl_get(m, "security_summary"), ctl_get(m, "module_status"));
    print_processes(ctl_get(resources, "processes"));
    ctl_print_top_modules(ctl_get(performance, "module_performance"));
    ctl_print_recent_errors(ctl_get(performance, "recent_errors"), 10);
}

/* For people, system.performance adds the busiest functions and the recent errors. */
static int run_text(const struct ctl_options *o)
{
    CB_CLEANUP(cb_client_freep) struct cb_client *c = NULL;
    CB_JSON_AUTO *metrics = NULL;
    CB_JSON_AUTO *performance = NULL;
    int r;

    if (ctl_connect(o, &c) < 0) {
        return CTL_EXIT_UNREACHABLE;
    }
    r = ctl_call(c, "metrics", NULL, &metrics);
    if (r < 0) {
        ctl_report_failure("metrics", r, metrics);
        return ctl_exit_for_call(r);
    }
    r = ctl_call(c, "performance", NULL, &performance);
    if (r < 0) {
        ctl_report_failure("performance", r, performance);
    }
    print_metrics(ctl_result(metrics), ctl_result(performance));
    return CTL_EXIT_HEALTHY;
}

/*
 * --prometheus: metrics, performance (the per-function table) and stats (events by type).
 * A scrape should still get what there is when one of them has no answer.
 */
static int run_prometheus(const struct ctl_options *o)
{
    static const char *const functions[] = { "metrics", "performance", "stats" };
    CB_CLEANUP(cb_client_freep) struct cb_client *c = NULL;
    json_t *answers[CB_ELEMENTSOF(functions)] = { NULL };
    bool any = false;
    int status = CTL_EXIT_HEALTHY, r = 0;

    if (ctl_connect(o, &c) < 0) {
        return CTL_EXIT_UNREACHABLE;
    }
    for (size_t i = 0; i < CB_ELEMENTSOF(functions); i++) {
        r = ctl_call(c, functions[i], NULL, &answers[i]);
        if (r == 0) {
            any = true;
            continue;
        }
        ctl_report_failure(functions[i], r, answers[i]);
        if (r != -EREMOTEIO) {
            break;
        }
    }

    if (r < 0 && r != -EREMOTEIO) {
        status = CTL_EXIT_UNREACHABLE;
    } else if (!any) {
        status = CTL_EXIT_UNHEALTHY;
    } else if (ctl_prometheus_print(stdout, ctl_result(answers[0]), ctl_result(answers[1]),
                                    ctl_result(answers[2])) < 0) {
        fputs("cpan-bridgectl: out of memory\n", stderr);
        status = CTL_EXIT_UNHEALTHY;
    }

    for (size_t i = 0; i < CB_ELEMENTSOF(functions); i++) {
        json_decref(answers[i]);
    }
    return status;
}

int ctl_cmd_metrics(struct ctl_options *o, int argc, char **argv)
{
    static const struct option options[] = {
        { "prometheus", no_argument, NULL, OPT_PROMETHEUS },
        { "openmetrics", no_argument, NULL, OPT_PROMETHEUS },
        CTL_COMMON_OPTIONS,
    };
    const struct ctl_args a = { .argc = argc, .argv = argv, .options = options };
    bool prometheus = false;
    const char *arg = NULL;
    int c, status = 0;

    while ((c = ctl_next_option(o, &a, &arg, &status)) > 0) {
        prometheus = true;
    }
    if (c == CTL_OPT_EXIT) {
        return status;
    }
    if (optind < argc) {
        return ctl_usage_error("metrics takes no operand");
    }
    if (prometheus && o->json) {
        return ctl_usage_error("metrics: --json and --prometheus exclude each other");
    }

    if (prometheus) {
        return run_prometheus(o);
    }
    if (o->json) {
        return ctl_run_simple(o, "metrics", NULL, NULL);
    }
    return run_text(o);
}
