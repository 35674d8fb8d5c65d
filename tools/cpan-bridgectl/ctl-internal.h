/* SPDX-License-Identifier: MIT */
/* cpan-bridgectl: what the command files share (options, calls, escaping, tables, numbers). */
#pragma once

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include <jansson.h>

#include "common/cb-macro.h"
#include "tests/client/cb-client.h"

/* Exit status: the router's health, then "unreachable"; usage errors stay out of that range. */
#define CTL_EXIT_HEALTHY     0
#define CTL_EXIT_DEGRADED    1
#define CTL_EXIT_UNHEALTHY   2
#define CTL_EXIT_UNREACHABLE 3
#define CTL_EXIT_USAGE       64

#define CTL_CONNECT_TIMEOUT_MS 5000
#define CTL_CALL_TIMEOUT_MS    15000

#define CTL_UNIT_DIR_DEFAULT "/usr/lib/systemd/system"

/* Room for one formatted number or duration ("-" when the field is missing). */
#define CTL_FMT_LEN 64

struct ctl_options {
    const char *socket_path; /* never NULL once main() has parsed the arguments */
    bool json;
};

/* One command: argv[0] is its name, the rest its own arguments. Returns the exit status. */
typedef int (*ctl_command_fn)(struct ctl_options *o, int argc, char **argv);

/* Prints a successful call's result for people (the --json path never reaches it). */
typedef void (*ctl_print_fn)(const json_t *result);

struct cb_buf;

/* ctl-args.c: option parsing shared by the commands. */

/*
 * Parses a decimal number from 0 to max. Prints the problem (naming `what`) and returns
 * -EINVAL when s is not one.
 */
int ctl_parse_uint(const char *s, const char *what, uint64_t max, uint64_t *ret);

/* Prints "cpan-bridgectl: MESSAGE" and the hint to see --help; returns CTL_EXIT_USAGE. */
int ctl_usage_error(const char *format, ...) CB_PRINTF(1, 2);

/* ctl-main.c: the usage text. */
void ctl_usage(FILE *f);

/* Every command's option table ends with these: --json, --help and the terminating entry. */
#define CTL_COMMON_OPTIONS                                                  \
    { "json", no_argument, NULL, 'j' }, { "help", no_argument, NULL, 'h' }, \
    {                                                                       \
        NULL, 0, NULL, 0                                                    \
    }

#define CTL_OPT_END  0
#define CTL_OPT_EXIT (-1)

/* A command's arguments (argv[0] is the command) and its long options. */
struct ctl_args {
    int argc;
    char **argv;
    const struct option *options;
};

/*
 * The next option of a command (getopt_long, long options only). Handles --json and --help
 * itself. Returns the option's val with its argument in *ret_arg, CTL_OPT_END when the
 * options are over (optind then indexes the first operand), or CTL_OPT_EXIT with *ret_exit
 * set after --help (0) or a bad option (CTL_EXIT_USAGE).
 */
int ctl_next_option(struct ctl_options *o,
                    const struct ctl_args *a,
                    const char **ret_arg,
                    int *ret_exit);

/* --uid N and --session S, shared by sessions and cleanup (long options only, so above 255). */
#define CTL_OPT_UID     256
#define CTL_OPT_SESSION 257

/* Puts --uid or --session (c) into params. Returns 0, or -EINVAL (printed) for a bad value. */
int ctl_parse_scope(int c, const char *arg, json_t *params);

/* A command without options of its own: --json and --help, then no operand. */
int ctl_parse_plain(struct ctl_options *o, int argc, char **argv, int *ret_exit);

/* ctl-call.c: talking to the router. */

/*
 * Connects to o->socket_path. On failure prints why (on stdout as a JSON error object too
 * with --json, so that scripts always read JSON) and returns the negative errno.
 */
int ctl_connect(const struct ctl_options *o, struct cb_client **ret);

/*
 * Calls system.<function> with params (stolen; NULL for none). Returns 0 with the whole
 * answer in *ret_response when it says success, -EREMOTEIO with the answer there when it
 * is a failure, or a transport error (nothing in *ret_response). Nothing is printed.
 */
int ctl_call(struct cb_client *c, const char *function, json_t *params, json_t **ret_response);

/* The result object of a successful answer, or NULL. Borrowed. */
const json_t *ctl_result(const json_t *response);

/*
 * Prints why a call failed on stderr: the router's error code and text (escaped), or the
 * transport error. `r` is what ctl_call() returned.
 */
void ctl_report_failure(const char *function, int r, const json_t *response);

/*
 * The exit status of a call that is not about health: 0 when it succeeded, 2 when the
 * router answered with an error, 3 when it did not answer at all.
 */
int ctl_exit_for_call(int r);

/*
 * What --json prints for a call: its result, the failure as the router sent it (without the
 * wire id), or an E_UNAVAILABLE object when there was no answer. `r` is ctl_call()'s result.
 */
void ctl_print_json_outcome(int r, const json_t *response);

/*
 * The whole of a simple command: connect, call system.<function>, print the result (as
 * JSON with --json, through `print` otherwise; NULL only with --json) or the failure.
 * Returns the exit status.
 */
int ctl_run_simple(const struct ctl_options *o,
                   const char *function,
                   json_t *params,
                   ctl_print_fn print);

/* The exit status for a health answer's overall_status (worst of its checks when missing). */
int ctl_exit_for_health(const json_t *health_result);

/* ctl-json.c: JSON output and field access. */

/*
 * Prints a value as indented JSON with every non-ASCII and control character escaped, so
 * that it parses as the same value and cannot move the terminal. Returns 0 or -ENOMEM.
 */
int ctl_print_json(FILE *f, const json_t *v);

/* The value at a dotted path ("performance_metrics.p50_response_time"), or NULL. Borrowed. */
const json_t *ctl_get(const json_t *root, const char *path);

/* The first of the candidates (each may be NULL) that is not missing or null. */
const json_t *ctl_first(const json_t *a, const json_t *b);

/* ctl-escape.c: output safety. */

/*
 * Writes bytes with control characters escaped: \n, \t, \r, \\ and \xNN for the other
 * C0 and C1 controls, DEL, invalid UTF-8 and the bidirectional overrides. Returns the text,
 * malloc'ed, or NULL on allocation failure.
 */
char *ctl_escape(const char *s, size_t len);

/*
 * Ends text built in a cb_buf from which nothing was consumed: NUL-terminates it and hands
 * the storage to the caller. When r < 0 (a step failed) or that fails, frees it: NULL.
 */
char *ctl_text_finish(struct cb_buf *out, int r);

/* Prints a JSON value for people: a string escaped, a number, true/false, or "-". */
void ctl_print_value(FILE *f, const json_t *v);

/* Prints raw bytes escaped. */
void ctl_print_escaped(FILE *f, const char *s, size_t len);

/* The escaped text of a JSON value as ctl_print_value() shows it; malloc'ed or NULL. */
char *ctl_value_text(const json_t *v);

/* ctl-format.c: numbers for people; each returns buf, holding "-" when v is not a number. */
const char *ctl_fmt_int(const json_t *v, char buf[CTL_FMT_LEN]);
const char *ctl_fmt_num(const json_t *v, int decimals, char buf[CTL_FMT_LEN]);
const char *ctl_fmt_seconds_as_ms(const json_t *seconds, char buf[CTL_FMT_LEN]);
const char *ctl_fmt_ms(const json_t *ms, char buf[CTL_FMT_LEN]);
const char *ctl_fmt_fraction(const json_t *fraction, char buf[CTL_FMT_LEN]);
const char *ctl_fmt_percent(const json_t *percent, char buf[CTL_FMT_LEN]);
const char *ctl_fmt_uptime(const json_t *seconds, char buf[CTL_FMT_LEN]);
const char *ctl_fmt_mib(const json_t *mib, char buf[CTL_FMT_LEN]);

/* A number as a double; false when v is not a number. */
bool ctl_number(const json_t *v, double *ret);

/* ctl-table.c: aligned columns. */
struct ctl_table;

/*
 * A table with these column headers (NULL-terminated). A header starting with '>' is
 * right-aligned (the '>' is not printed). Allocation failures are remembered and reported
 * by ctl_table_print(). Returns NULL on allocation failure.
 */
struct ctl_table *ctl_table_new(const char *const *headers);
struct ctl_table *ctl_table_free(struct ctl_table *t);

/* The next cell, filling rows left to right: text that is already safe to print. */
void ctl_table_add(struct ctl_table *t, const char *safe_text);

/* The next cell from a JSON value, escaped as ctl_print_value() shows it. */
void ctl_table_add_value(struct ctl_table *t, const json_t *v);

/* The next cell from text that came from outside, escaped. */
void ctl_table_add_text(struct ctl_table *t, const char *text);

size_t ctl_table_rows(const struct ctl_table *t);

/* Prints the headers and rows, each line indented by `indent` spaces. 0 or -ENOMEM. */
int ctl_table_print(const struct ctl_table *t, FILE *f, unsigned indent);

static inline void ctl_table_freep(struct ctl_table **t)
{
    ctl_table_free(*t);
}

/* The commands. */
int ctl_cmd_status(struct ctl_options *o, int argc, char **argv);
int ctl_cmd_health(struct ctl_options *o, int argc, char **argv);
int ctl_cmd_metrics(struct ctl_options *o, int argc, char **argv);
int ctl_cmd_stats(struct ctl_options *o, int argc, char **argv);
int ctl_cmd_sessions(struct ctl_options *o, int argc, char **argv);
int ctl_cmd_cleanup(struct ctl_options *o, int argc, char **argv);
int ctl_cmd_ping(struct ctl_options *o, int argc, char **argv);
int ctl_cmd_catalogue(struct ctl_options *o, int argc, char **argv);
int ctl_cmd_doctor(struct ctl_options *o, int argc, char **argv);

/* ctl-doctor*.c: local checks that need no router. */
enum ctl_level {
    CTL_LEVEL_OK,
    CTL_LEVEL_WARN,
    CTL_LEVEL_FAIL,
};

struct ctl_doctor {
    const char *socket_path;
    const char *config_path; /* NULL: $CPAN_BRIDGE_CONFIG, else the default file */
    const char *unit_dir;
    bool json;
    bool default_socket;  /* socket_path is the packaged one: its owner and mode are known */
    bool have_socket_gid; /* the socket exists and socket_gid is its group */
    gid_t socket_gid;
    json_t *findings; /* with --json, printed at the end */
    enum ctl_level worst;
};

/* Records one finding: printed at once, or kept for --json. The message is escaped. */
void ctl_doctor_report(struct ctl_doctor *d,
                       enum ctl_level level,
                       const char *check,
                       const char *format,
                       ...) CB_PRINTF(4, 5);

/* What to do about the finding just reported. */
void ctl_doctor_hint(struct ctl_doctor *d, const char *format, ...) CB_PRINTF(2, 3);

/* ctl-doctor-socket.c: the socket, its owner, mode and listener, and its directory. */
void ctl_doctor_check_socket(struct ctl_doctor *d);

/* ctl-doctor-host.c: unit files, the configuration, and whether [access] lets the caller in. */
void ctl_doctor_check_units(struct ctl_doctor *d);
void ctl_doctor_check_config_and_caller(struct ctl_doctor *d);

/*
 * ctl-prometheus.c: the OpenMetrics text of system.metrics, performance and stats results
 * (each may be NULL; what it would have given is left out), ending with "# EOF".
 * Returns 0 or -ENOMEM (nothing printed then).
 */
int ctl_prometheus_print(FILE *f,
                         const json_t *metrics,
                         const json_t *performance,
                         const json_t *stats);

/* ctl-sections.c: blocks that status, metrics and stats share; missing fields print "-". */
void ctl_print_performance(const json_t *perf); /* requests, then latency */
void ctl_print_latency(const json_t *perf);
void ctl_print_recent_window(const json_t *recent);
void ctl_print_resources(const json_t *resources);
void ctl_print_connection_summary(const json_t *summary);
void ctl_print_recent_errors(const json_t *errors, size_t max);
void ctl_print_top_modules(const json_t *module_performance);

/* "label   a 1, b 2": an object of numbers in the order the router sent it; "-" when empty. */
void ctl_print_counts(const char *label, const json_t *counts);

/* The same list as one escaped text ("database 2, sftp 1", "-" when empty); malloc'ed or NULL. */
char *ctl_counts_text(const json_t *counts);

/* ctl-families.c: the family table of status. */
void ctl_print_families(const json_t *info, const json_t *health);
