/* SPDX-License-Identifier: MIT */
/* cpan-bridgectl sessions: system.connections as two tables, connections and sessions. */
#include "common/cb-json.h"
#include "tools/cpan-bridgectl/ctl-internal.h"

static void print_connection_table(const json_t *connections)
{
    static const char *const headers[] = { "CONNECTION", ">UID",  ">PID",   "SESSION", "STARTED",
                                           ">REQS",      ">IDLE", "STATUS", NULL };
    CB_CLEANUP(ctl_table_freep) struct ctl_table *t = ctl_table_new(headers);
    char buf[CTL_FMT_LEN];
    size_t i;
    const json_t *c;

    json_array_foreach(connections, i, c)
    {
        ctl_table_add_value(t, json_object_get(c, "connection_id"));
        ctl_table_add(t, ctl_fmt_int(json_object_get(c, "uid"), buf));
        ctl_table_add(t, ctl_fmt_int(json_object_get(c, "pid"), buf));
        ctl_table_add_value(t, json_object_get(c, "session"));
        ctl_table_add_value(t, json_object_get(c, "start_time"));
        ctl_table_add(t, ctl_fmt_int(json_object_get(c, "requests_count"), buf));
        ctl_table_add(t, ctl_fmt_uptime(json_object_get(c, "idle_time"), buf));
        ctl_table_add_value(t, json_object_get(c, "status"));
    }
    fputc('\n', stdout);
    if (ctl_table_rows(t) == 0) {
        printf("no connections\n");
        return;
    }
    (void)ctl_table_print(t, stdout, 0);
}

static void print_session_table(const json_t *sessions)
{
    static const char *const headers[] = { "SESSION", ">UID",    "LAST ACTIVITY",
                                           ">IDLE",   "HANDLES", NULL };
    CB_CLEANUP(ctl_table_freep) struct ctl_table *t = ctl_table_new(headers);
    char buf[CTL_FMT_LEN];
    size_t i;
    const json_t *s;

    json_array_foreach(sessions, i, s)
    {
        CB_CLEANUP(cb_freep) char *handles = ctl_counts_text(json_object_get(s, "handles"));

        ctl_table_add_value(t, json_object_get(s, "session"));
        ctl_table_add(t, ctl_fmt_int(json_object_get(s, "uid"), buf));
        ctl_table_add_value(t, json_object_get(s, "last_activity"));
        ctl_table_add(t, ctl_fmt_uptime(json_object_get(s, "idle_time"), buf));
        ctl_table_add(t, handles ? handles : "?");
    }
    fputc('\n', stdout);
    if (ctl_table_rows(t) == 0) {
        printf("no sessions\n");
        return;
    }
    (void)ctl_table_print(t, stdout, 0);
}

static void print_connections(const json_t *result)
{
    const json_t *limits = ctl_get(result, "connection_limits");
    char a[CTL_FMT_LEN], b[CTL_FMT_LEN], c[CTL_FMT_LEN];

    printf("%-13s%s active, %s stale, %s since start\n", "connections",
           ctl_fmt_int(ctl_get(result, "active_connections"), a),
           ctl_fmt_int(ctl_get(result, "stale_connections"), b),
           ctl_fmt_int(ctl_get(result, "total_connections"), c));
    printf("%-13s%s at once, %s per uid, stale after %s\n", "limits",
           ctl_fmt_int(ctl_get(limits, "max_concurrent"), a),
           ctl_fmt_int(ctl_get(limits, "max_per_uid"), b),
           ctl_fmt_uptime(ctl_get(limits, "stale_timeout"), c));
    print_connection_table(ctl_get(result, "connections"));
    print_session_table(ctl_get(result, "sessions"));
}

int ctl_cmd_sessions(struct ctl_options *o, int argc, char **argv)
{
    static const struct option options[] = {
        { "uid", required_argument, NULL, CTL_OPT_UID },
        { "session", required_argument, NULL, CTL_OPT_SESSION },
        CTL_COMMON_OPTIONS,
    };
    const struct ctl_args a = { .argc = argc, .argv = argv, .options = options };
    CB_JSON_AUTO *params = json_object();
    const char *arg = NULL;
    int c, status = 0;

    while ((c = ctl_next_option(o, &a, &arg, &status)) > 0) {
        if (ctl_parse_scope(c, arg, params) < 0) {
            return CTL_EXIT_USAGE;
        }
    }
    if (c == CTL_OPT_EXIT) {
        return status;
    }
    if (optind < argc) {
        return ctl_usage_error("sessions takes no operand");
    }
    return ctl_run_simple(o, "connections", CB_TAKE_PTR(params), print_connections);
}
