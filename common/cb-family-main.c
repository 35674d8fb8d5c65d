/* SPDX-License-Identifier: MIT */
/* Command line of every family daemon: --oneshot, --config, --listen, --first-frame-fd. */
#include "common/cb-family-internal.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cb-log.h"

static void usage(const struct cb_family *family)
{
    printf("Usage: cpan-bridge-%s [--config FILE] [--listen PATH]... | --oneshot\n\n"
           "The %s family daemon of cpan-bridge. Normally started by systemd through\n"
           "cpan-bridge-%s@<uid>.socket, or by cpan-bridge-dev.\n\n"
           "  --config FILE   configuration (default $CPAN_BRIDGE_CONFIG, else %s)\n"
           "  --listen PATH   serve this Unix socket when no socket was passed\n"
           "  --oneshot       process mode: answer frames on stdin on stdout, then exit\n"
           "  --version       print the version\n",
           family->name, family->name, family->name, CB_CONFIG_DEFAULT_PATH);
}

static int parse_args(const struct cb_family *family,
                      int argc,
                      char **argv,
                      struct cb_family_options *o,
                      bool *oneshot)
{
    static const struct option options[] = {
        { "config", required_argument, NULL, 'c' },
        { "listen", required_argument, NULL, 'l' },
        { "oneshot", no_argument, NULL, 'o' },
        { "first-frame-fd", required_argument, NULL, 'f' },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' },
        {},
    };
    size_t n = 0;
    int c;

    while ((c = getopt_long(argc, argv, "c:l:ohV", options, NULL)) >= 0) {
        switch (c) {
        case 'c':
            o->config_path = optarg;
            break;
        case 'l':
            o->listen_paths = realloc(o->listen_paths, (n + 2) * sizeof(char *));
            o->listen_paths[n++] = optarg;
            o->listen_paths[n] = NULL;
            break;
        case 'o':
            *oneshot = true;
            break;
        case 'f':
            o->first_frame_fd = atoi(optarg);
            break;
        case 'h':
            usage(family);
            return 0;
        case 'V':
            printf("cpan-bridge %s\n", CB_VERSION);
            return 0;
        default:
            return -EINVAL;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "Unexpected argument '%s'; see --help\n", argv[optind]);
        return -EINVAL;
    }
    return 1;
}

int cb_family_main(const struct cb_family *family, int argc, char **argv)
{
    struct cb_family_options o = { .first_frame_fd = -1 };
    struct cb_config *config = NULL;
    char ident[64], *err = NULL;
    bool oneshot = false;
    int r;

    snprintf(ident, sizeof ident, "cpan-bridge-%s", family->name);
    cb_log_init(ident, family->name);

    r = parse_args(family, argc, argv, &o, &oneshot);
    if (r <= 0) {
        free(o.listen_paths);
        return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
    }

    r = cb_config_load(o.config_path, &config, &err);
    if (r < 0) {
        cb_log_error_errno(r, "Failed to load the configuration: %s", err ? err : "");
        free(err);
        free(o.listen_paths);
        return EXIT_FAILURE;
    }

    if (oneshot) {
        r = cb_family_run_oneshot(family, config, o.first_frame_fd);
        cb_config_free(config);
    } else {
        r = cb_family_run_daemon(family, config, &o);
    }

    free(o.listen_paths);
    return r;
}
