/* SPDX-License-Identifier: MIT */
/* cpan-bridgectl cleanup: system.cleanup, and what it closed. */
#include <errno.h>

#include "common/cb-json.h"
#include "tools/cpan-bridgectl/ctl-internal.h"

#define OPT_IDLE_SECONDS 258

static void print_cleanup(const json_t *result)
{
    static const char *const headers[] = { "CONNECTION", ">IDLE", NULL };
    CB_CLEANUP(ctl_table_freep) struct ctl_table *t = ctl_table_new(headers);
    CB_CLEANUP(cb_freep) char *handles = ctl_counts_text(ctl_get(result, "handles_closed"));
    char a[CTL_FMT_LEN], b[CTL_FMT_LEN], c[CTL_FMT_LEN];
    size_t i;
    const json_t *conn;

    printf("closed %s connections and %s sessions; %s remain\n",
           ctl_fmt_int(ctl_get(result, "cleaned_connections"), a),
           ctl_fmt_int(ctl_get(result, "cleaned_sessions"), b),
           ctl_fmt_int(ctl_get(result, "remaining_connections"), c));
    printf("handles closed: %s\n", handles ? handles : "?");

    json_array_foreach(ctl_get(result, "connections_details"), i, conn)
    {
        ctl_table_add_value(t, json_object_get(conn, "connection_id"));
        ctl_table_add(t, ctl_fmt_uptime(json_object_get(conn, "idle_time"), a));
    }
    if (ctl_table_rows(t) > 0) {
        fputc('\n', stdout);
        (void)ctl_table_print(t, stdout, 0);
    }
}

int ctl_cmd_cleanup(struct ctl_options *o, int argc, char **argv)
{
    static const struct option options[] = {
        { "idle-seconds", required_argument, NULL, OPT_IDLE_SECONDS },
        { "uid", required_argument, NULL, CTL_OPT_UID },
        { "session", required_argument, NULL, CTL_OPT_SESSION },
        CTL_COMMON_OPTIONS,
    };
    const struct ctl_args a = { .argc = argc, .argv = argv, .options = options };
    CB_JSON_AUTO *params = json_object();
    const char *arg = NULL;
    uint64_t idle;
    int c, status = 0;

    while ((c = ctl_next_option(o, &a, &arg, &status)) > 0) {
        if (c != OPT_IDLE_SECONDS) {
            if (ctl_parse_scope(c, arg, params) < 0) {
                return CTL_EXIT_USAGE;
            }
            continue;
        }
        if (ctl_parse_uint(arg, "--idle-seconds", INT32_MAX, &idle) < 0) {
            return CTL_EXIT_USAGE;
        }
        (void)json_object_set_new(params, "idle_seconds", json_integer((json_int_t)idle));
    }
    if (c == CTL_OPT_EXIT) {
        return status;
    }
    if (optind < argc) {
        return ctl_usage_error("cleanup takes no operand");
    }
    return ctl_run_simple(o, "cleanup", CB_TAKE_PTR(params), print_cleanup);
}
