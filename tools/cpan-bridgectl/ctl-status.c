/* SPDX-License-Identifier: MIT */
/*
 * cpan-bridgectl status: one screen from system.info, health, metrics and performance
 * (system.stats stands in when metrics has no answer). The exit status is the health's.
 */
#include <errno.h>
#include <string.h>

#include "common/cb-json.h"
#include "tools/cpan-bridgectl/ctl-internal.h"

/* The answers status is made of; each NULL when that call failed. */
struct status_answers {
    json_t *info, *health, *metrics, *performance, *stats;
    int health_r; /* ctl_call()'s result for system.health */
};

static void answers_clear(struct status_answers *a)
{
    json_decref(a->info);
    json_decref(a->health);
    json_decref(a->metrics);
    json_decref(a->performance);
    json_decref(a->stats);
}

/*
 * One call whose refusal status can live with: it is reported and *ret_result is left as it
 * was (NULL). Returns 0, with the result as a new reference on success, or the transport
 * error, after which the connection is of no more use.
 */
static int fetch(struct cb_client *c, const char *function, json_t **ret_result)
{
    CB_JSON_AUTO *response = NULL;
    int r = ctl_call(c, function, NULL, &response);

    if (r < 0) {
        ctl_report_failure(function, r, response);
        return r == -EREMOTEIO ? 0 : r;
    }
    *ret_result = json_incref((json_t *)ctl_result(response));
    return 0;
}

static int fetch_all(struct cb_client *c, struct status_answers *a)
{
    CB_JSON_AUTO *response = NULL;
    int r;

    r = fetch(c, "info", &a->info);
    if (r < 0) {
        return r;
    }

    a->health_r = ctl_call(c, "health", NULL, &response);
    if (a->health_r < 0) {
        ctl_report_failure("health", a->health_r, response);
        if (a->health_r != -EREMOTEIO) {
            return a->health_r;
        }
    } else {
        a->health = json_incref((json_t *)ctl_result(response));
    }

    r = fetch(c, "metrics", &a->metrics);
    if (r >= 0) {
        r = fetch(c, "performance", &a->performance);
    }
    if (r < 0 || a->metrics) {
        return r;
    }
    return fetch(c, "stats", &a->stats);
}

static void print_header(const struct ctl_options *o, const json_t *info)
{
    char up[CTL_FMT_LEN], pid[CTL_FMT_LEN];

    fputs("cpan-bridge ", stdout);
    ctl_print_value(stdout, json_object_get(info, "version"));
    fputs(" (", stdout);
    ctl_print_value(stdout, json_object_get(info, "mode"));
    printf(" mode), pid %s, up %s\n", ctl_fmt_int(json_object_get(info, "pid"), pid),
           ctl_fmt_uptime(json_object_get(info, "uptime"), up));
    printf("%-13s", "socket");
    if (ctl_get(info, "socket_path")) {
        ctl_print_value(stdout, ctl_get(info, "socket_path"));
    } else {
        ctl_print_escaped(stdout, o->socket_path, strlen(o->socket_path));
    }
    fputc('\n', stdout);
}

static void print_reasons(const json_t *list)
{
    size_t i;
    const json_t *item;

    json_array_foreach(list, i, item)
    {
        printf("%-13s", "");
        ctl_print_value(stdout, item);
        fputc('\n', stdout);
    }
}

static void print_health_line(const struct status_answers *a)
{
    printf("%-13s", "health");
    if (!a->health) {
        printf("unknown (system.health did not answer)\n");
        return;
    }
    ctl_print_value(stdout, json_object_get(a->health, "overall_status"));
    fputc('\n', stdout);
    print_reasons(json_object_get(a->health, "errors"));
    print_reasons(json_object_get(a->health, "warnings"));
}

static void print_status(const struct ctl_options *o, const struct status_answers *a)
{
    const json_t *perf = ctl_first(ctl_get(a->metrics, "performance_metrics"),
                                   ctl_get(a->performance, "performance_metrics"));
    const json_t *resources = ctl_first(ctl_get(a->metrics, "resource_status"),
                                        ctl_get(a->stats, "resource_status"));

    perf = ctl_first(perf, ctl_get(a->stats, "performance_summary"));
    print_header(o, a->info);
    print_health_line(a);
    ctl_print_families(a->info, a->health);
    fputc('\n', stdout);
    ctl_print_performance(perf);
    ctl_print_recent_window(ctl_get(a->performance, "recent"));
    ctl_print_resources(resources);
    if (a->metrics) {
        ctl_print_connection_summary(ctl_get(a->metrics, "connection_summary"));
    } else {
        char active[CTL_FMT_LEN], total[CTL_FMT_LEN];

        printf("%-13s%s active, %s since start\n", "connections",
               ctl_fmt_int(ctl_get(a->info, "active_connections"), active),
               ctl_fmt_int(ctl_get(a->stats, "connections_total"), total));
    }
    ctl_print_recent_errors(ctl_get(a->performance, "recent_errors"), 5);
}

static void print_status_json(const struct status_answers *a)
{
    CB_JSON_AUTO *v = json_pack("{s:O?, s:O?, s:O?, s:O?, s:O?}", "info", a->info, "health",
                                a->health, "metrics", a->metrics, "performance", a->performance,
                                "stats", a->stats);

    if (v) {
        (void)ctl_print_json(stdout, v);
    }
}

int ctl_cmd_status(struct ctl_options *o, int argc, char **argv)
{
    CB_CLEANUP(cb_client_freep) struct cb_client *c = NULL;
    struct status_answers a = { .health_r = -EREMOTEIO };
    int status, r;

    if (ctl_parse_plain(o, argc, argv, &status) < 0) {
        return status;
    }
    if (ctl_connect(o, &c) < 0) {
        return CTL_EXIT_UNREACHABLE;
    }

    r = fetch_all(c, &a);
    if (r < 0) {
        if (o->json) {
            ctl_print_json_outcome(r, NULL);
        }
        answers_clear(&a);
        return CTL_EXIT_UNREACHABLE;
    }

    if (o->json) {
        print_status_json(&a);
    } else {
        print_status(o, &a);
    }
    status = a.health ? ctl_exit_for_health(a.health) : ctl_exit_for_call(a.health_r);
    answers_clear(&a);
    return status;
}
