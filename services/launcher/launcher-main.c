/* SPDX-License-Identifier: MIT */
/* cpan-bridge-dev: the command line of the development launcher. */
#include "launcher-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cb-log.h"

enum command {
    CMD_START,
    CMD_STOP,
    CMD_RUN
};

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: cpan-bridge-dev start|stop|run --runtime-dir DIR [OPTIONS]\n"
            "\n"
            "Plays systemd's part for cpan-bridge where systemd is not PID 1.\n"
            "\n"
            "  start   run the launcher in the background and wait until the suite answers;\n"
            "          prints CPAN_BRIDGE_SOCKET=... and CPAN_BRIDGE_EXEC=...\n"
            "  stop    stop the launcher of DIR and every daemon it started\n"
            "  run     run the launcher in the foreground until SIGTERM or SIGINT\n"
            "\n"
            "  --runtime-dir DIR   sockets, configuration, pid file and log (required)\n"
            "  --units DIR         unit files (default: BIN/../units, else %s)\n"
            "  --bin-dir DIR       the cpan-bridge binaries (default: this program's directory)\n"
            "  --config FILE       appended to the generated configuration (later keys win)\n"
            "  --watchdog-sec N    WATCHDOG_USEC given to the daemons, 0 for none (default %d)\n"
            "  --help, --version\n",
            "/usr/lib/systemd/system", LC_WATCHDOG_DEFAULT_SEC);
}

static int parse_command(const char *word, enum command *ret)
{
    static const char
            *const names[] = { [CMD_START] = "start", [CMD_STOP] = "stop", [CMD_RUN] = "run" };

    for (size_t i = 0; i < CB_ELEMENTSOF(names); i++) {
        if (strcmp(word, names[i]) == 0) {
            *ret = (enum command)i;
            return 0;
        }
    }
    fprintf(stderr, "cpan-bridge-dev: unknown command '%s' (start, stop or run)\n", word);
    return -EINVAL;
}

static int parse_watchdog(const char *s, uint64_t *ret)
{
    char *end;
    unsigned long long sec;

    errno = 0;
    sec = strtoull(s, &end, 10);
    if (errno || end == s || *end || s[0] == '-' || sec > UINT32_MAX) {
        fprintf(stderr, "cpan-bridge-dev: --watchdog-sec wants a number of seconds, not '%s'\n", s);
        return -EINVAL;
    }
    *ret = sec * CB_USEC_PER_SEC;
    return 0;
}

static int set_string(char **field, const char *value)
{
    free(*field);
    *field = strdup(value);
    return *field ? 0 : -ENOMEM;
}

/* Returns 0 to go on, 1 when --help or --version was answered, or -errno. */
static int parse_options(int argc, char **argv, struct lc_options *o)
{
    enum {
        OPT_RUNTIME = 0x100,
        OPT_UNITS,
        OPT_BIN,
        OPT_CONFIG,
        OPT_WATCHDOG,
        OPT_VERSION
    };
    static const struct option options[] = {
        { "runtime-dir", required_argument, NULL, OPT_RUNTIME },
        { "units", required_argument, NULL, OPT_UNITS },
        { "bin-dir", required_argument, NULL, OPT_BIN },
        { "config", required_argument, NULL, OPT_CONFIG },
        { "watchdog-sec", required_argument, NULL, OPT_WATCHDOG },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, OPT_VERSION },
        { 0 },
    };
    int c;
    int r = 0;

    while (r >= 0 && (c = getopt_long(argc, argv, "h", options, NULL)) >= 0) {
        switch (c) {
        case OPT_RUNTIME:
            r = set_string(&o->runtime_dir, optarg);
            break;
        case OPT_UNITS:
            r = set_string(&o->units_dir, optarg);
            break;
        case OPT_BIN:
            r = set_string(&o->bin_dir, optarg);
            break;
        case OPT_CONFIG:
            r = set_string(&o->config_file, optarg);
            break;
        case OPT_WATCHDOG:
            r = parse_watchdog(optarg, &o->watchdog_usec);
            break;
        case 'h':
            usage(stdout);
            return 1;
        case OPT_VERSION:
            printf("cpan-bridge-dev %s\n", CB_VERSION);
            return 1;
        default:
            usage(stderr);
            return -EINVAL;
        }
    }
    return r;
}

/* Daemons expect 0, 1 and 2 to be open; a launcher started with them closed would hand out
 * a socket as somebody's stdout. */
static void ensure_std_fds(void)
{
    int fd;

    do {
        fd = open("/dev/null", O_RDWR);
    } while (fd >= 0 && fd <= STDERR_FILENO);
    if (fd > STDERR_FILENO) {
        close(fd);
    }
}

static int dispatch(enum command cmd, struct lc_options *o)
{
    int r;

    if (cmd == CMD_STOP && o->runtime_dir && !lc_is_dir(o->runtime_dir)) {
        fprintf(stderr, "cpan-bridge-dev: no launcher is running for %s\n", o->runtime_dir);
        return 0;
    }
    r = lc_options_finish(o, cmd != CMD_STOP);
    if (r < 0) {
        return r;
    }
    switch (cmd) {
    case CMD_START:
        return lc_cmd_start(o);
    case CMD_STOP:
        return lc_cmd_stop(o);
    case CMD_RUN:
        return lc_run(o);
    }
    return -EINVAL;
}

int main(int argc, char **argv)
{
    struct lc_options o = { .watchdog_usec = LC_WATCHDOG_DEFAULT_SEC * CB_USEC_PER_SEC };
    enum command cmd;
    int r;

    ensure_std_fds();
    cb_log_init("cpan-bridge-dev", NULL);

    if (argc < 2 || argv[1][0] == '-') {
        r = parse_options(argc, argv, &o);
        if (r == 0) {
            usage(stderr);
        }
        lc_options_clear(&o);
        return r > 0 ? EXIT_SUCCESS : EXIT_FAILURE;
    }
    r = parse_command(argv[1], &cmd);
    if (r >= 0) {
        r = parse_options(argc - 1, argv + 1, &o);
    }
    if (r == 0) {
        r = dispatch(cmd, &o);
    }
    lc_options_clear(&o);
    return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
