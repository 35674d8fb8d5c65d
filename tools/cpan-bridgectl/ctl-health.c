/* SPDX-License-Identifier: MIT */
/* cpan-bridgectl health: system.health's checks; the exit status is its overall_status. */
#include <errno.h>

#include "common/cb-json.h"
#include "tools/cpan-bridgectl/ctl-internal.h"

static void print_checks(const json_t *checks)
{
    static const char *const headers[] = { "CHECK", "STATUS", "MESSAGE", NULL };
    CB_CLEANUP(ctl_table_freep) struct ctl_table *t = ctl_table_new(headers);
    const char *name;
    const json_t *check;

    json_object_foreach((json_t *)checks, name, check)
    {
        ctl_table_add_text(t, name);
        ctl_table_add_value(t, json_object_get(check, "status"));
        ctl_table_add_value(t, json_object_get(check, "message"));
    }
    if (ctl_table_rows(t) > 0) {
        (void)ctl_table_print(t, stdout, 0);
    }
}

static void print_list(const char *title, const json_t *list)
{
    size_t i;
    const json_t *item;

    if (json_array_size(list) == 0) {
        return;
    }
    printf("%s:\n", title);
    json_array_foreach(list, i, item)
    {
        fputs("  ", stdout);
        ctl_print_value(stdout, item);
        fputc('\n', stdout);
    }
}

static void print_health(const json_t *result)
{
    fputs("overall: ", stdout);
    ctl_print_value(stdout, json_object_get(result, "overall_status"));
    fputs(" (at ", stdout);
    ctl_print_value(stdout, json_object_get(result, "timestamp"));
    fputs(")\n\n", stdout);
    print_checks(json_object_get(result, "checks"));
    if (json_array_size(json_object_get(result, "warnings")) > 0 ||
        json_array_size(json_object_get(result, "errors")) > 0) {
        fputc('\n', stdout);
    }
    print_list("warnings", json_object_get(result, "warnings"));
    print_list("errors", json_object_get(result, "errors"));
}

int ctl_cmd_health(struct ctl_options *o, int argc, char **argv)
{
    CB_CLEANUP(cb_client_freep) struct cb_client *c = NULL;
    CB_JSON_AUTO *response = NULL;
    int status, r;

    if (ctl_parse_plain(o, argc, argv, &status) < 0) {
        return status;
    }
    if (ctl_connect(o, &c) < 0) {
        return CTL_EXIT_UNREACHABLE;
    }

    r = ctl_call(c, "health", NULL, &response);
    if (o->json) {
        ctl_print_json_outcome(r, response);
    }
    if (r < 0) {
        /* A router that answers but cannot report its health is not healthy. */
        ctl_report_failure("health", r, response);
        return ctl_exit_for_call(r);
    }
    if (!o->json) {
        print_health(ctl_result(response));
    }
    return ctl_exit_for_health(ctl_result(response));
}
