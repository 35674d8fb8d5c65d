/* SPDX-License-Identifier: MIT */
/* cpan-bridgectl stats: system.stats, the counters since start and the recent security events. */
#include <string.h>

#include "tools/cpan-bridgectl/ctl-internal.h"

static void print_counters(const json_t *s)
{
    char a[CTL_FMT_LEN], b[CTL_FMT_LEN], c[CTL_FMT_LEN], d[CTL_FMT_LEN];

    printf("%-13s%s processed, %s failed, %s rejected, %s validation failures\n", "requests",
           ctl_fmt_int(ctl_get(s, "requests_processed"), a),
           ctl_fmt_int(ctl_get(s, "requests_failed"), b),
           ctl_fmt_int(ctl_get(s, "requests_rejected"), c),
           ctl_fmt_int(ctl_get(s, "validation_failures"), d));
    printf("%-13s%s accepted, %s rejected, peak %s\n", "connections",
           ctl_fmt_int(ctl_get(s, "connections_total"), a),
           ctl_fmt_int(ctl_get(s, "connections_rejected"), b),
           ctl_fmt_int(ctl_get(s, "peak_connections"), c));
    printf("%-13s", "started");
    ctl_print_value(stdout, ctl_get(s, "start_time"));
    fputs(", last cleanup ", stdout);
    ctl_print_value(stdout, ctl_get(s, "last_cleanup"));
    fputc('\n', stdout);
}

static void print_events(const json_t *events)
{
    static const char *const headers[] = { "TIME", "TYPE", "SEVERITY", "FUNCTION", "PARAMETER",
                                           ">UID", ">PID", "REASON",   NULL };
    CB_CLEANUP(ctl_table_freep) struct ctl_table *t = ctl_table_new(headers);
    char buf[CTL_FMT_LEN];
    size_t i;
    const json_t *e;

    json_array_foreach(events, i, e)
    {
        ctl_table_add_value(t, json_object_get(e, "timestamp"));
        ctl_table_add_value(t, json_object_get(e, "event_type"));
        ctl_table_add_value(t, json_object_get(e, "severity"));
        ctl_table_add_value(t, json_object_get(e, "module_function"));
        ctl_table_add_value(t, json_object_get(e, "parameter"));
        ctl_table_add(t, ctl_fmt_int(ctl_get(e, "client_info.uid"), buf));
        ctl_table_add(t, ctl_fmt_int(ctl_get(e, "client_info.pid"), buf));
        ctl_table_add_value(t, json_object_get(e, "reason"));
    }
    if (ctl_table_rows(t) == 0) {
        return;
    }
    printf("\nrecent security events (newest first):\n");
    (void)ctl_table_print(t, stdout, 2);
}

static void print_validation(const json_t *v)
{
    char a[CTL_FMT_LEN], b[CTL_FMT_LEN], c[CTL_FMT_LEN], d[CTL_FMT_LEN], e[CTL_FMT_LEN];

    if (!v) {
        return;
    }
    printf("\n%-13sstrict ", "validation");
    ctl_print_value(stdout, ctl_get(v, "strict_mode"));
    printf(", request %s bytes, string %s bytes, array %s items, depth %s, %s params\n",
           ctl_fmt_int(ctl_get(v, "max_request_size"), a),
           ctl_fmt_int(ctl_get(v, "max_string_length"), b),
           ctl_fmt_int(ctl_get(v, "max_array_length"), c),
           ctl_fmt_int(ctl_get(v, "max_object_depth"), d),
           ctl_fmt_int(ctl_get(v, "max_param_count"), e));
}

static void print_stats(const json_t *s)
{
    const json_t *security = ctl_get(s, "security_metrics");
    char n[CTL_FMT_LEN];

    print_counters(s);
    ctl_print_latency(ctl_get(s, "performance_summary"));
    if (ctl_get(s, "resource_status")) {
        ctl_print_resources(ctl_get(s, "resource_status"));
    }

    printf("\n%-13s%s events\n", "security",
           ctl_fmt_int(ctl_first(ctl_get(security, "total_events"), ctl_get(s, "security_events")),
                       n));
    ctl_print_counts("by type", ctl_get(security, "events_by_type"));
    ctl_print_counts("by severity", ctl_get(security, "events_by_severity"));
    print_events(ctl_get(security, "recent_events"));
    print_validation(ctl_get(s, "validation_config"));
}

int ctl_cmd_stats(struct ctl_options *o, int argc, char **argv)
{
    int status;

    if (ctl_parse_plain(o, argc, argv, &status) < 0) {
        return status;
    }
    return ctl_run_simple(o, "stats", NULL, print_stats);
}
