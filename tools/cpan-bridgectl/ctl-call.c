/* SPDX-License-Identifier: MIT */
/* cpan-bridgectl: connecting to the router, one system.* call, and what its outcome means. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/cb-json.h"
#include "tools/cpan-bridgectl/ctl-internal.h"

/* With --json even a failure is JSON, shaped as the Perl client's own E_UNAVAILABLE. */
static void print_json_unreachable(const char *what, int r)
{
    char text[600];
    CB_JSON_AUTO *v = NULL;

    snprintf(text, sizeof text, "%s: %s", what, strerror(-r));
    v = json_pack("{s:b, s:s, s:s, s:b}", "success", 0, "error", text, "error_code",
                  "E_UNAVAILABLE", "retryable", 1);
    if (v) {
        (void)ctl_print_json(stdout, v);
    }
}

int ctl_connect(const struct ctl_options *o, struct cb_client **ret)
{
    int r = cb_client_connect(o->socket_path, CTL_CONNECT_TIMEOUT_MS, ret);

    if (r >= 0) {
        cb_client_set_timeout(*ret, CTL_CALL_TIMEOUT_MS);
        return 0;
    }

    fputs("cpan-bridgectl: cannot connect to '", stderr);
    ctl_print_escaped(stderr, o->socket_path, strlen(o->socket_path));
    fprintf(stderr, "': %s\n", strerror(-r));
    if (o->json) {
        print_json_unreachable("cannot connect to the router", r);
    }
    return r;
}

int ctl_call(struct cb_client *c, const char *function, json_t *params, json_t **ret_response)
{
    json_t *response = NULL;
    int r = cb_client_call(c, "system", function, params, &response);

    if (r < 0) {
        return r;
    }
    *ret_response = response;
    return cb_client_response_ok(response) ? 0 : -EREMOTEIO;
}

const json_t *ctl_result(const json_t *response)
{
    if (!cb_client_response_ok(response)) {
        return NULL;
    }
    return json_object_get(response, "result");
}

void ctl_report_failure(const char *function, int r, const json_t *response)
{
    const json_t *error = json_object_get(response, "error");

    if (r != -EREMOTEIO) {
        fprintf(stderr, "cpan-bridgectl: system.%s: no answer: %s\n", function, strerror(-r));
        return;
    }
    fprintf(stderr, "cpan-bridgectl: system.%s failed: ", function);
    ctl_print_value(stderr, json_object_get(response, "error_code"));
    fputs(": ", stderr);
    ctl_print_value(stderr, error);
    fputc('\n', stderr);
}

int ctl_exit_for_call(int r)
{
    if (r >= 0) {
        return CTL_EXIT_HEALTHY;
    }
    return r == -EREMOTEIO ? CTL_EXIT_UNHEALTHY : CTL_EXIT_UNREACHABLE;
}

void ctl_print_json_outcome(int r, const json_t *response)
{
    CB_JSON_AUTO *failure = NULL;

    if (r == 0) {
        (void)ctl_print_json(stdout, ctl_result(response));
        return;
    }
    if (r == -EREMOTEIO) {
        failure = json_deep_copy(response);
        if (failure) {
            json_object_del(failure, "id");
            (void)ctl_print_json(stdout, failure);
        }
        return;
    }
    print_json_unreachable("no answer from the router", r);
}

int ctl_run_simple(const struct ctl_options *o,
                   const char *function,
                   json_t *params,
                   ctl_print_fn print)
{
    CB_CLEANUP(cb_client_freep) struct cb_client *c = NULL;
    CB_JSON_AUTO *response = NULL;
    int r;

    if (ctl_connect(o, &c) < 0) {
        json_decref(params);
        return CTL_EXIT_UNREACHABLE;
    }

    r = ctl_call(c, function, params, &response);
    if (o->json) {
        ctl_print_json_outcome(r, response);
    }
    if (r < 0) {
        ctl_report_failure(function, r, response);
    } else if (!o->json && print) {
        print(ctl_result(response));
    }
    return ctl_exit_for_call(r);
}

static int exit_for_checks(const json_t *checks)
{
    const char *name;
    const json_t *check;
    int worst = CTL_EXIT_HEALTHY;

    if (!json_is_object(checks) || json_object_size(checks) == 0) {
        return CTL_EXIT_UNHEALTHY;
    }
    json_object_foreach((json_t *)checks, name, check)
    {
        const char *status = cb_json_get_string(check, "status", "fail");

        if (strcmp(status, "fail") == 0) {
            worst = CTL_EXIT_UNHEALTHY;
        } else if (strcmp(status, "pass") != 0 && worst < CTL_EXIT_DEGRADED) {
            worst = CTL_EXIT_DEGRADED;
        }
    }
    return worst;
}

int ctl_exit_for_health(const json_t *health_result)
{
    const char *overall = cb_json_get_string(health_result, "overall_status", NULL);

    /* A router that cannot say how it is, or says it in words we do not know, is not healthy. */
    if (!overall) {
        return exit_for_checks(json_object_get(health_result, "checks"));
    }
    if (strcmp(overall, "healthy") == 0) {
        return CTL_EXIT_HEALTHY;
    }
    if (strcmp(overall, "degraded") == 0) {
        return CTL_EXIT_DEGRADED;
    }
    return CTL_EXIT_UNHEALTHY;
}
