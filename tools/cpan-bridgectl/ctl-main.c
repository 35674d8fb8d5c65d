/* SPDX-License-Identifier: MIT */
/* cpan-bridgectl: the operator's view of a running cpan-bridge; parses arguments, dispatches. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/cpan-bridgectl/ctl-internal.h"

struct ctl_command {
    const char *name;
    ctl_command_fn run;
};

static const struct ctl_command commands[] = {
    { "status", ctl_cmd_status },     { "health", ctl_cmd_health },
    { "metrics", ctl_cmd_metrics },   { "stats", ctl_cmd_stats },
    { "sessions", ctl_cmd_sessions }, { "cleanup", ctl_cmd_cleanup },
    { "ping", ctl_cmd_ping },         { "catalogue", ctl_cmd_catalogue },
    { "catalog", ctl_cmd_catalogue }, { "doctor", ctl_cmd_doctor },
};

void ctl_usage(FILE *f)
{
    fprintf(f,
            "usage: cpan-bridgectl [--socket PATH] [--json] COMMAND [ARGS]\n"
            "\n"
            "Commands:\n"
            "  status                     router, families, requests, latency, connections\n"
            "  health                     every health check with its status and message\n"
            "  metrics [--prometheus]     metrics; --prometheus prints the OpenMetrics text\n"
            "  stats                      counters, security events, validation limits\n"
            "  sessions [--uid N] [--session S]\n"
            "                             client connections and sessions\n"
            "  cleanup [--idle-seconds N] [--uid N] [--session S]\n"
            "                             close idle connections and sessions (default 300 s)\n"
            "  ping                       whether the router answers, and how fast\n"
            "  catalogue [MODULE]         modules and functions, with mode and idempotency\n"
            "  doctor [--config FILE] [--unit-dir DIR]\n"
            "                             local checks of socket, units, configuration, access\n"
            "\n"
            "Options:\n"
            "  --socket PATH   the router's socket (default $CPAN_BRIDGE_SOCKET, else %s)\n"
            "  --json          print the answer as JSON\n"
            "  --help, --version\n"
            "\n"
            "Exit status: 0 healthy, 1 degraded, 2 unhealthy or the router refused the call,\n"
            "3 unreachable, 64 usage error. doctor: 0, 1 or 2 by its worst finding.\n",
            CB_CLIENT_SOCKET_DEFAULT);
}

static const struct ctl_command *find_command(const char *name)
{
    for (size_t i = 0; i < CB_ELEMENTSOF(commands); i++) {
        if (strcmp(commands[i].name, name) == 0) {
            return &commands[i];
        }
    }
    return NULL;
}

int main(int argc, char **argv)
{
    static const struct option options[] = {
        { "socket", required_argument, NULL, 's' },
        { "json", no_argument, NULL, 'j' },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' },
        { NULL, 0, NULL, 0 },
    };
    struct ctl_options o = { .socket_path = NULL, .json = false };
    const struct ctl_command *cmd;
    int c;

    /* "+": the options before COMMAND are ours, the ones after it belong to the command. */
    while ((c = getopt_long(argc, argv, "+", options, NULL)) != -1) {
        switch (c) {
        case 's':
            o.socket_path = optarg;
            break;
        case 'j':
            o.json = true;
            break;
        case 'h':
            ctl_usage(stdout);
            return EXIT_SUCCESS;
        case 'V':
            printf("cpan-bridgectl %s\n", CB_VERSION);
            return EXIT_SUCCESS;
        default:
            return ctl_usage_error("unknown option or missing value");
        }
    }

    if (optind >= argc) {
        return ctl_usage_error("no command given");
    }
    cmd = find_command(argv[optind]);
    if (!cmd) {
        return ctl_usage_error("unknown command '%s'", argv[optind]);
    }
    if (!o.socket_path) {
        o.socket_path = cb_client_default_socket();
    }

    argc -= optind;
    argv += optind;
    optind = 0; /* GNU getopt starts over, at argv[1], for the command's own options */
    return cmd->run(&o, argc, argv);
}
