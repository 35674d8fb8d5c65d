/* SPDX-License-Identifier: MIT */
/* cpan-bridgectl: parsing the options and numbers of the commands. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/cpan-bridgectl/ctl-internal.h"

int ctl_usage_error(const char *format, ...)
{
    va_list ap;

    fputs("cpan-bridgectl: ", stderr);
    va_start(ap, format);
    vfprintf(stderr, format, ap);
    va_end(ap);
    fputs("\nTry 'cpan-bridgectl --help'.\n", stderr);
    return CTL_EXIT_USAGE;
}

int ctl_parse_uint(const char *s, const char *what, uint64_t max, uint64_t *ret)
{
    unsigned long long v;
    char *end;

    errno = 0;
    v = strtoull(s, &end, 10);
    if (!*s || *end || errno != 0 || v > max || s[0] == '-' || s[0] == '+' || s[0] == ' ') {
        CB_CLEANUP(cb_freep) char *shown = ctl_escape(s, strlen(s));

        fprintf(stderr, "cpan-bridgectl: %s '%s' is not a number from 0 to %llu\n", what,
                shown ? shown : "?", (unsigned long long)max);
        return -EINVAL;
    }
    *ret = v;
    return 0;
}

int ctl_next_option(struct ctl_options *o,
                    const struct ctl_args *a,
                    const char **ret_arg,
                    int *ret_exit)
{
    int c;

    /* Long options only; the message of a bad one names the command, not getopt. */
    opterr = 0;
    for (;;) {
        c = getopt_long(a->argc, a->argv, "", a->options, NULL);
        if (c == -1) {
            return CTL_OPT_END;
        }
        if (c == 'j') {
            o->json = true;
            continue;
        }
        if (c == 'h') {
            ctl_usage(stdout);
            *ret_exit = 0;
            return CTL_OPT_EXIT;
        }
        if (c == '?' || c == ':') {
            *ret_exit = ctl_usage_error("%s: unknown option or missing value in '%s'", a->argv[0],
                                        a->argv[optind - 1]);
            return CTL_OPT_EXIT;
        }
        *ret_arg = optarg;
        return c;
    }
}

int ctl_parse_plain(struct ctl_options *o, int argc, char **argv, int *ret_exit)
{
    static const struct option options[] = { CTL_COMMON_OPTIONS };
    const char *arg = NULL;
    const struct ctl_args a = { .argc = argc, .argv = argv, .options = options };
    int c = ctl_next_option(o, &a, &arg, ret_exit);

    if (c == CTL_OPT_EXIT) {
        return -1;
    }
    if (c != CTL_OPT_END) {
        *ret_exit = ctl_usage_error("%s: unexpected option", argv[0]);
        return -1;
    }
    if (optind < argc) {
        *ret_exit = ctl_usage_error("%s takes no operand", argv[0]);
        return -1;
    }
    return 0;
}

int ctl_parse_scope(int c, const char *arg, json_t *params)
{
    uint64_t uid;

    if (c == CTL_OPT_UID) {
        /* (uid_t)-1 means "no uid" to the kernel, so it names nobody. */
        if (ctl_parse_uint(arg, "--uid", UINT32_MAX - 1, &uid) < 0) {
            return -EINVAL;
        }
        return json_object_set_new(params, "uid", json_integer((json_int_t)uid)) < 0 ? -ENOMEM : 0;
    }
    if (json_object_set_new(params, "session", json_string(arg)) < 0) {
        fprintf(stderr, "cpan-bridgectl: --session is not valid UTF-8\n");
        return -EINVAL;
    }
    return 0;
}
