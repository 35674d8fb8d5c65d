/* SPDX-License-Identifier: MIT */
/*
 * cpan-bridgectl doctor: what an operator checks by hand when clients cannot connect, done
 * without the router. Each finding is ok, warn or fail with a hint; the worst sets the exit.
 */
#include <stdarg.h>
#include <string.h>

#include "common/cb-json.h"
#include "tools/cpan-bridgectl/ctl-internal.h"

#define OPT_CONFIG   256
#define OPT_UNIT_DIR 257

static const char *const level_names[] = {
    [CTL_LEVEL_OK] = "ok",
    [CTL_LEVEL_WARN] = "warn",
    [CTL_LEVEL_FAIL] = "fail",
};

void ctl_doctor_report(struct ctl_doctor *d,
                       enum ctl_level level,
                       const char *check,
                       const char *format,
                       ...)
{
    CB_CLEANUP(cb_freep) char *shown = NULL;
    char message[1024];
    va_list ap;

    va_start(ap, format);
    vsnprintf(message, sizeof message, format, ap);
    va_end(ap);

    /* Paths and configuration errors come from outside; escaped, they are also valid UTF-8. */
    shown = ctl_escape(message, strlen(message));
    d->worst = CB_MAX(d->worst, level);
    if (d->json) {
        (void)json_array_append_new(d->findings,
                                    json_pack("{s:s, s:s, s:s}", "check", check, "level",
                                              level_names[level], "message", shown ? shown : "?"));
        return;
    }
    printf("%-5s %-16s %s\n", level_names[level], check, shown ? shown : "?");
}

void ctl_doctor_hint(struct ctl_doctor *d, const char *format, ...)
{
    CB_CLEANUP(cb_freep) char *shown = NULL;
    char hint[1024];
    va_list ap;
    json_t *last;

    va_start(ap, format);
    vsnprintf(hint, sizeof hint, format, ap);
    va_end(ap);

    shown = ctl_escape(hint, strlen(hint));
    if (d->json) {
        last = json_array_get(d->findings, json_array_size(d->findings) - 1);
        (void)json_object_set_new(last, "hint", json_string(shown ? shown : "?"));
        return;
    }
    printf("%-22s hint: %s\n", "", shown ? shown : "?");
}

/* Returns -1 when doctor should go on, else the exit status (after --help or a bad option). */
static int parse_doctor_options(struct ctl_options *o, int argc, char **argv, struct ctl_doctor *d)
{
    static const struct option options[] = {
        { "config", required_argument, NULL, OPT_CONFIG },
        { "unit-dir", required_argument, NULL, OPT_UNIT_DIR },
        CTL_COMMON_OPTIONS,
    };
    const struct ctl_args a = { .argc = argc, .argv = argv, .options = options };
    const char *arg = NULL;
    int c, status = 0;

    while ((c = ctl_next_option(o, &a, &arg, &status)) > 0) {
        if (c == OPT_CONFIG) {
            d->config_path = arg;
        } else {
            d->unit_dir = arg;
        }
    }
    if (c == CTL_OPT_EXIT) {
        return status;
    }
    if (optind < argc) {
        return ctl_usage_error("doctor takes no operand");
    }
    return -1;
}

int ctl_cmd_doctor(struct ctl_options *o, int argc, char **argv)
{
    struct ctl_doctor d = {
        .socket_path = o->socket_path,
        .unit_dir = CTL_UNIT_DIR_DEFAULT,
        .worst = CTL_LEVEL_OK,
    };
    CB_JSON_AUTO *findings = NULL;
    int status = parse_doctor_options(o, argc, argv, &d);

    if (status >= 0) {
        return status;
    }
    d.json = o->json;
    d.default_socket = strcmp(d.socket_path, CB_CLIENT_SOCKET_DEFAULT) == 0;
    if (d.json) {
        findings = d.findings = json_array();
    }

    ctl_doctor_check_socket(&d);
    ctl_doctor_check_units(&d);
    ctl_doctor_check_config_and_caller(&d);

    if (d.json) {
        CB_JSON_AUTO *out = json_pack("{s:s, s:O}", "worst", level_names[d.worst], "findings",
                                      findings);

        (void)ctl_print_json(stdout, out);
    }
    return d.worst == CTL_LEVEL_OK     ? CTL_EXIT_HEALTHY
           : d.worst == CTL_LEVEL_WARN ? CTL_EXIT_DEGRADED
                                       : CTL_EXIT_UNHEALTHY;
}
