/* SPDX-License-Identifier: MIT */
/* cpan-bridgectl ping: whether the router answers, and the round trip as this client saw it. */
#include <time.h>

#include "common/cb-json.h"
#include "tools/cpan-bridgectl/ctl-internal.h"

static double now_seconds(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void print_pong(const json_t *result, double rtt_seconds)
{
    char up[CTL_FMT_LEN], rtt[CTL_FMT_LEN];
    CB_JSON_AUTO *rtt_value = json_real(rtt_seconds);

    ctl_print_value(stdout, json_object_get(result, "message"));
    fputs(" from cpan-bridge ", stdout);
    ctl_print_value(stdout, json_object_get(result, "version"));
    fputs(" (", stdout);
    ctl_print_value(stdout, json_object_get(result, "mode"));
    printf(" mode, up %s) in %s\n", ctl_fmt_uptime(json_object_get(result, "uptime"), up),
           ctl_fmt_seconds_as_ms(rtt_value, rtt));
}

int ctl_cmd_ping(struct ctl_options *o, int argc, char **argv)
{
    CB_CLEANUP(cb_client_freep) struct cb_client *c = NULL;
    CB_JSON_AUTO *response = NULL;
    double started, rtt;
    int status, r;

    if (ctl_parse_plain(o, argc, argv, &status) < 0) {
        return status;
    }
    if (ctl_connect(o, &c) < 0) {
        return CTL_EXIT_UNREACHABLE;
    }

    started = now_seconds();
    r = ctl_call(c, "ping", NULL, &response);
    rtt = now_seconds() - started;
    if (o->json) {
        ctl_print_json_outcome(r, response);
    }
    if (r < 0) {
        ctl_report_failure("ping", r, response);
    } else if (!o->json) {
        print_pong(ctl_result(response), rtt);
    }
    return ctl_exit_for_call(r);
}
