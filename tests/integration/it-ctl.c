/* SPDX-License-Identifier: MIT */
/*
 * Integration: cpan-bridgectl against a real suite (its commands, exit status and output
 * formats) and against a fake router whose answers carry hostile strings and odd states.
 */
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/cb-frame.h"
#include "common/cb-macro.h"
#include "tests/integration/it-harness.h"

/* What one run of cpan-bridgectl gave. */
struct ctl_run {
    int status; /* exit status, or -1 when it did not exit normally */
    char *out;  /* stdout (and stderr when asked for), NUL-terminated */
    size_t len;
};

static void ctl_run_free(struct ctl_run *r)
{
    free(r->out);
    r->out = NULL;
}

/* Runs "cpan-bridgectl --socket SOCKET ARGS"; with_stderr folds stderr into out. */
static struct ctl_run run_ctl(const char *socket_path, const char *args, bool with_stderr)
{
    struct ctl_run r = { .status = -1 };
    char cmd[2048];
    FILE *p, *mem;
    char buf[4096];
    size_t n;
    int st;

    snprintf(cmd, sizeof cmd, "%s/cpan-bridgectl --socket '%s' %s %s", it_build_dir(), socket_path,
             args, with_stderr ? "2>&1" : "2>/dev/null");
    mem = open_memstream(&r.out, &r.len);
    ck_assert_ptr_nonnull(mem);
    p = popen(cmd, "r");
    ck_assert_msg(p, "cannot run '%s'", cmd);
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) {
        fwrite(buf, 1, n, mem);
    }
    st = pclose(p);
    fclose(mem);
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    return r;
}

/* No byte of the output may drive a terminal: only newline among the C0 controls, no DEL. */
static void assert_terminal_safe(const struct ctl_run *r, const char *what)
{
    for (size_t i = 0; i < r->len; i++) {
        unsigned char c = (unsigned char)r->out[i];

        ck_assert_msg(c == '\n' || (c >= 0x20 && c != 0x7f),
                      "%s: raw control byte 0x%02x at offset %zu in:\n%s", what, c, i, r->out);
    }
}

static json_t *parse_json_output(const struct ctl_run *r, const char *what)
{
    json_error_t e;
    json_t *v = json_loadb(r->out, r->len, 0, &e);

    ck_assert_msg(v, "%s: output is not JSON (%s): %s", what, e.text, r->out);
    return v;
}

static int exit_for_overall(const char *overall)
{
    if (strcmp(overall, "healthy") == 0) {
        return 0;
    }
    return strcmp(overall, "degraded") == 0 ? 1 : 2;
}

/* OpenMetrics text: metadata lines, samples "name{labels} value", "# EOF" last. */
static void assert_openmetrics(const char *text)
{
    static const char *const sample_re =
            "^[a-zA-Z_:][a-zA-Z0-9_:]*"
            "(\\{[a-zA-Z_][a-zA-Z0-9_]*=\"([^\"\\\\\n]|\\\\[n\"\\\\])*\""
            "(,[a-zA-Z_][a-zA-Z0-9_]*=\"([^\"\\\\\n]|\\\\[n\"\\\\])*\")*\\})?"
            " (-?[0-9]+(\\.[0-9]+)?([eE][-+]?[0-9]+)?|NaN|[-+]Inf)$";
    regex_t re;
    char *copy = strdup(text), *save = NULL, *line;
    const char *last = NULL;
    size_t samples = 0;

    ck_assert_int_eq(regcomp(&re, sample_re, REG_EXTENDED | REG_NOSUB), 0);
    for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        ck_assert_msg(!last || strcmp(last, "# EOF") != 0, "text after # EOF: %s", line);
        last = line;
        if (line[0] == '#') {
            ck_assert_msg(strncmp(line, "# TYPE ", 7) == 0 || strncmp(line, "# HELP ", 7) == 0 ||
                                  strncmp(line, "# UNIT ", 7) == 0 || strcmp(line, "# EOF") == 0,
                          "bad metadata line: %s", line);
            continue;
        }
        ck_assert_msg(regexec(&re, line, 0, NULL, 0) == 0, "bad sample line: '%s'", line);
        samples++;
    }
    ck_assert_msg(last && strcmp(last, "# EOF") == 0, "does not end with # EOF");
    ck_assert_msg(text[strlen(text) - 1] == '\n', "# EOF line has no newline");
    ck_assert_uint_gt(samples, 0);
    regfree(&re);
    free(copy);
}

/* ---- against a real suite ---- */

START_TEST(test_ping_answers)
{
    struct ctl_run r = run_ctl(it_current.socket, "ping", false);

    ck_assert_int_eq(r.status, 0);
    ck_assert_msg(strstr(r.out, "pong from cpan-bridge "), "%s", r.out);
    ctl_run_free(&r);
}
END_TEST

START_TEST(test_health_exit_matches_overall_status)
{
    struct ctl_run j = run_ctl(it_current.socket, "--json health", false);
    json_t *v = parse_json_output(&j, "health --json");
    const char *overall = json_string_value(json_object_get(v, "overall_status"));
    struct ctl_run h = run_ctl(it_current.socket, "health", false);

    ck_assert_msg(overall, "no overall_status: %s", j.out);
    ck_assert_int_eq(j.status, exit_for_overall(overall));
    ck_assert_int_eq(h.status, exit_for_overall(overall));
    ck_assert_msg(strstr(h.out, "daemon_running"), "%s", h.out);
    ck_assert_msg(strstr(h.out, "family_core"), "%s", h.out);
    json_decref(v);
    ctl_run_free(&j);
    ctl_run_free(&h);
}
END_TEST

START_TEST(test_status_table)
{
    struct ctl_run r = run_ctl(it_current.socket, "status", false);

    ck_assert_msg(r.status >= 0 && r.status <= 2, "status exit %d", r.status);
    ck_assert_msg(strstr(r.out, "cpan-bridge " CB_VERSION), "%s", r.out);
    ck_assert_msg(strstr(r.out, "FAMILY"), "%s", r.out);
    ck_assert_msg(strstr(r.out, "\ncore "), "%s", r.out);
    ck_assert_msg(strstr(r.out, "p95"), "%s", r.out);
    ck_assert_msg(strstr(r.out, "per second"), "%s", r.out);
    ck_assert_msg(strstr(r.out, "connections"), "%s", r.out);
    assert_terminal_safe(&r, "status");
    ctl_run_free(&r);
}
END_TEST

START_TEST(test_prometheus_text)
{
    struct cb_client *c = it_connect(&it_current);
    json_t *resp = it_call(c, "test", "ping", NULL);
    struct ctl_run r;

    json_decref(resp);
    cb_client_free(c);

    r = run_ctl(it_current.socket, "metrics --prometheus", false);
    ck_assert_int_eq(r.status, 0);
    assert_openmetrics(r.out);
    ck_assert_msg(strstr(r.out, "\ncpan_bridge_requests_total "), "%s", r.out);
    ck_assert_msg(strstr(r.out, "\ncpan_bridge_requests_failed_total "), "%s", r.out);
    ck_assert_msg(strstr(r.out, "# TYPE cpan_bridge_request_duration_seconds summary"), "%s",
                  r.out);
    ck_assert_msg(strstr(r.out, "cpan_bridge_request_duration_seconds{quantile=\"0.99\"} "), "%s",
                  r.out);
    ck_assert_msg(strstr(r.out, "{module=\"test\",function=\"ping\"}"), "%s", r.out);
    ck_assert_msg(strstr(r.out, "\ncpan_bridge_memory_bytes "), "%s", r.out);
    ck_assert_msg(strstr(r.out, "\ncpan_bridge_cpu_percent "), "%s", r.out);
    ck_assert_msg(strstr(r.out, "\ncpan_bridge_connections "), "%s", r.out);
    ck_assert_msg(strstr(r.out, "# TYPE cpan_bridge_security_events counter"), "%s", r.out);
    ctl_run_free(&r);
}
END_TEST

START_TEST(test_json_outputs_parse)
{
    static const char *const commands[] = { "--json status",  "--json health",
                                            "--json metrics", "metrics --json",
                                            "--json stats",   "--json sessions",
                                            "--json ping",    "catalogue --json test",
                                            "--json cleanup", "doctor --json" };

    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        struct ctl_run r = run_ctl(it_current.socket, commands[i], false);
        json_t *v = parse_json_output(&r, commands[i]);

        ck_assert_msg(r.status >= 0 && r.status <= 2, "%s: exit %d", commands[i], r.status);
        ck_assert_msg(json_is_object(v), "%s: not an object", commands[i]);
        json_decref(v);
        ctl_run_free(&r);
    }
}
END_TEST

START_TEST(test_catalogue_lists_test_ping)
{
    struct ctl_run r = run_ctl(it_current.socket, "catalogue", false);
    struct ctl_run j = run_ctl(it_current.socket, "--json catalogue test", false);
    json_t *v = parse_json_output(&j, "catalogue test");
    json_t *ping = json_object_get(
            json_object_get(json_object_get(json_object_get(v, "modules"), "test"), "functions"),
            "ping");

    ck_assert_int_eq(r.status, 0);
    ck_assert_msg(strstr(r.out, "test (family core)"), "%s", r.out);
    ck_assert_msg(strstr(r.out, "\n  ping "), "%s", r.out);
    ck_assert_msg(strstr(r.out, "IDEMPOTENT"), "%s", r.out);
    ck_assert_str_eq(json_string_value(json_object_get(ping, "mode")), "S");
    ck_assert(json_is_true(json_object_get(ping, "idempotent")));
    json_decref(v);
    ctl_run_free(&r);
    ctl_run_free(&j);
}
END_TEST

START_TEST(test_sessions_and_cleanup)
{
    struct ctl_run s = run_ctl(it_current.socket, "sessions", false);
    struct ctl_run c = run_ctl(it_current.socket, "cleanup --idle-seconds 3600", false);
    struct ctl_run bad = run_ctl(it_current.socket, "cleanup --idle-seconds -1", false);

    ck_assert_int_eq(s.status, 0);
    ck_assert_msg(strstr(s.out, "CONNECTION"), "%s", s.out);
    ck_assert_int_eq(c.status, 0);
    ck_assert_msg(strstr(c.out, "closed 0 connections"), "%s", c.out);
    ck_assert_int_eq(bad.status, 64);
    ctl_run_free(&s);
    ctl_run_free(&c);
    ctl_run_free(&bad);
}
END_TEST

START_TEST(test_doctor_on_suite_socket)
{
    char args[600];
    struct ctl_run r;

    snprintf(args, sizeof args, "doctor --config '%s/cpan-bridge.conf'", it_current.dir);
    r = run_ctl(it_current.socket, args, false);

    /* The suite's socket is in /tmp, which is worth a warning and no more. */
    ck_assert_msg(r.status == 1, "doctor exit %d:\n%s", r.status, r.out);
    ck_assert_msg(strstr(r.out, "ok    socket "), "%s", r.out);
    ck_assert_msg(strstr(r.out, "warn  socket-place"), "%s", r.out);
    ck_assert_msg(strstr(r.out, "accepts connections"), "%s", r.out);
    ck_assert_msg(strstr(r.out, "parses"), "%s", r.out);
    ck_assert_msg(strstr(r.out, "is allowed by [access]"), "%s", r.out);
    ctl_run_free(&r);
}
END_TEST

/* A socket file with nothing behind it: what a crashed router without RemoveOnStop leaves. */
static void make_stale_socket(const char *path)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

    ck_assert_int_ge(fd, 0);
    ck_assert_uint_lt(strlen(path), sizeof sa.sun_path);
    memcpy(sa.sun_path, path, strlen(path) + 1);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    close(fd);
}

START_TEST(test_stale_socket_found_and_unreachable)
{
    char path[300];
    struct ctl_run d, p;

    snprintf(path, sizeof path, "%s/stale.sock", it_current.dir);
    make_stale_socket(path);
    d = run_ctl(path, "doctor", false);
    p = run_ctl(path, "ping", false);

    ck_assert_msg(d.status == 2, "doctor exit %d:\n%s", d.status, d.out);
    ck_assert_msg(strstr(d.out, "fail  socket-listen") && strstr(d.out, "stale socket"), "%s",
                  d.out);
    ck_assert_int_eq(p.status, 3);
    unlink(path);
    ctl_run_free(&d);
    ctl_run_free(&p);
}
END_TEST

START_TEST(test_unreachable_exit_3)
{
    static const char *const commands[] = { "ping",  "status",   "health",  "metrics --prometheus",
                                            "stats", "sessions", "cleanup", "catalogue" };
    const char *nowhere = "/nonexistent/cpan-bridge.sock";
    struct ctl_run j = run_ctl(nowhere, "--json ping", false);
    json_t *v = parse_json_output(&j, "--json ping, unreachable");

    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        struct ctl_run r = run_ctl(nowhere, commands[i], true);

        ck_assert_msg(r.status == 3, "%s: exit %d", commands[i], r.status);
        ck_assert_msg(strstr(r.out, "cannot connect"), "%s: %s", commands[i], r.out);
        ctl_run_free(&r);
    }
    ck_assert_int_eq(j.status, 3);
    ck_assert(json_is_false(json_object_get(v, "success")));
    ck_assert_str_eq(json_string_value(json_object_get(v, "error_code")), "E_UNAVAILABLE");
    json_decref(v);
    ctl_run_free(&j);
}
END_TEST

START_TEST(test_hostile_module_name_escaped)
{
    struct cb_client *c = it_connect(&it_current);
    json_t *resp = it_call(c, "test", "ping", NULL);
    struct ctl_run stats, status;

    ck_assert(cb_client_response_ok(resp));
    json_decref(resp);
    resp = it_call(c, "bad\nmodule\x1b[31m", "ping", NULL);
    ck_assert_str_eq(it_code(resp), "E_UNKNOWN_MODULE");
    json_decref(resp);
    cb_client_free(c);

    stats = run_ctl(it_current.socket, "stats", true);
    status = run_ctl(it_current.socket, "status", true);
    assert_terminal_safe(&stats, "stats");
    assert_terminal_safe(&status, "status");
    ck_assert_msg(strstr(stats.out, "bad\\nmodule\\x1b[31m.ping"), "%s", stats.out);
    ck_assert_msg(strstr(status.out, "bad\\nmodule\\x1b[31m"), "%s", status.out);
    ctl_run_free(&stats);
    ctl_run_free(&status);
}
END_TEST

START_TEST(test_usage_and_version)
{
    struct ctl_run h = run_ctl(it_current.socket, "--help", false);
    struct ctl_run v = run_ctl(it_current.socket, "--version", false);
    struct ctl_run bad = run_ctl(it_current.socket, "frobnicate", false);

    ck_assert_int_eq(h.status, 0);
    ck_assert_msg(strstr(h.out, "doctor"), "%s", h.out);
    ck_assert_int_eq(v.status, 0);
    ck_assert_msg(strstr(v.out, "cpan-bridgectl " CB_VERSION), "%s", v.out);
    ck_assert_int_eq(bad.status, 64);
    ctl_run_free(&h);
    ctl_run_free(&v);
    ctl_run_free(&bad);
}
END_TEST

/* ---- against a fake router ---- */

/*
 * The fake answers system.<function> with fake_answers[function] as the result; a function
 * it has no answer for gets E_INTERNAL; with fake_hang_up it reads the request and closes.
 */
static json_t *fake_answers;
static bool fake_hang_up;
static char fake_dir[64], fake_socket[128];
static int fake_listen_fd = -1;
static pthread_t fake_thread;

static void fake_answer(int fd, const char *payload, size_t len)
{
    json_t *req = json_loadb(payload, len, JSON_ALLOW_NUL, NULL);
    const char *function = json_string_value(json_object_get(req, "function"));
    json_t *result = function ? json_object_get(fake_answers, function) : NULL;
    json_t *resp;
    char *text;

    if (result) {
        resp = json_pack("{s:O, s:b, s:O}", "id", json_object_get(req, "id"), "success", 1,
                         "result", result);
    } else {
        resp = json_pack("{s:O, s:b, s:s, s:s, s:b}", "id", json_object_get(req, "id"), "success",
                         0, "error", "no answer \x1b[2J here", "error_code", "E_INTERNAL",
                         "retryable", 0);
    }
    text = json_dumps(resp, JSON_COMPACT);
    (void)cb_frame_write_fd(fd, text, strlen(text));
    free(text);
    json_decref(resp);
    json_decref(req);
}

static void *fake_main(void *userdata CB_UNUSED)
{
    for (;;) {
        int fd = accept4(fake_listen_fd, NULL, NULL, SOCK_CLOEXEC);
        char *payload = NULL;
        size_t len = 0;

        if (fd < 0) {
            if (errno == EINTR) {
                continue;
            }
            return NULL; /* shut down */
        }
        while (cb_frame_read_fd(fd, CB_FRAME_DEFAULT_LIMIT, &payload, &len) == 1) {
            if (!fake_hang_up) {
                fake_answer(fd, payload, len);
            }
            free(payload);
            payload = NULL;
            if (fake_hang_up) {
                break;
            }
        }
        close(fd);
    }
}

/*
 * The directory of the fakes' sockets, made and removed by the parent process: a failed
 * assertion ends a forked test with _exit(), so a test cannot be trusted to clean up.
 */
static void fake_dir_create(void)
{
    snprintf(fake_dir, sizeof fake_dir, "/tmp/cb-ctl-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(fake_dir));
}

static void fake_dir_remove(void)
{
    char cmd[128];

    snprintf(cmd, sizeof cmd, "rm -rf '%s'", fake_dir);
    ck_assert_int_eq(system(cmd), 0);
}

static void fake_start(const char *answers_json)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    json_error_t e;

    fake_answers = json_loads(answers_json, JSON_ALLOW_NUL, &e);
    ck_assert_msg(fake_answers, "bad fake answers: %s at %d", e.text, e.position);
    snprintf(fake_socket, sizeof fake_socket, "%s/fake-%d.sock", fake_dir, (int)getpid());
    ck_assert_uint_lt(strlen(fake_socket), sizeof sa.sun_path);
    memcpy(sa.sun_path, fake_socket, strlen(fake_socket) + 1);

    fake_listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ck_assert_int_ge(fake_listen_fd, 0);
    ck_assert_int_eq(bind(fake_listen_fd, (struct sockaddr *)&sa, sizeof sa), 0);
    ck_assert_int_eq(listen(fake_listen_fd, 16), 0);
    ck_assert_int_eq(pthread_create(&fake_thread, NULL, fake_main, NULL), 0);
}

static void fake_stop(void)
{
    if (fake_listen_fd < 0) {
        return;
    }
    /* shutdown() wakes the thread blocked in accept(); close() alone would not. */
    (void)shutdown(fake_listen_fd, SHUT_RDWR);
    pthread_join(fake_thread, NULL);
    close(fake_listen_fd);
    fake_listen_fd = -1;
    (void)unlink(fake_socket);
    json_decref(fake_answers);
    fake_answers = NULL;
    fake_hang_up = false;
}

/* Every string a caller can choose carries ESC, BEL, CR, DEL, a C1 control or an RLO. */
static const char hostile_answers[] =
        "{\"info\": {\"version\": \"0.1.0\", \"mode\": \"daemon\", \"pid\": 42, \"uptime\": 90061,"
        "  \"socket_path\": \"/run/x\\u001b]0;title\\u0007.sock\","
        "  \"families\": [{\"name\": \"co\\u001bre\", \"modules\": [\"te\\u0085st\"],"
        "                  \"state\": \"running\", \"pid\": 7}]},"
        " \"health\": {\"timestamp\": \"t\", \"overall_status\": \"degraded\","
        "  \"checks\": {\"family_co\\u001bre\": {\"status\": \"warn\","
        "     \"message\": \"died \\u001b[2J\\r\", \"details\": {\"state\": \"failed\","
        "     \"memory_mb\": 12.5, \"restarts\": 3}}},"
        "  \"warnings\": [\"died \\u001b[2J\\r\"], \"errors\": []},"
        " \"metrics\": {\"daemon_info\": {\"version\": \"0.1.0\", \"uptime_seconds\": 5},"
        "  \"performance_metrics\": {\"total_requests\": 10, \"failed_requests\": 1,"
        "     \"error_rate\": 0.1, \"avg_response_time\": 0.002, \"p50_response_time\": 0.001,"
        "     \"p95_response_time\": 0.005, \"p99_response_time\": 0.009,"
        "     \"requests_per_second\": 0.5},"
        "  \"resource_status\": {\"memory_mb\": 10, \"cpu_percent\": 1.5,"
        "     \"processes\": [{\"name\": \"r\\u007fouter\", \"pid\": 42, \"memory_mb\": 10,"
        "                      \"cpu_percent\": 1.5}]},"
        "  \"connection_summary\": {\"active_connections\": 2, \"handles\": {\"d\\u001bb\": 1}}},"
        " \"performance\": {\"module_performance\": {\"total_modules\": 1, \"top_modules\": ["
        "     {\"module_function\": \"ev\\\"il\\\\mod.fn\\nx\\u001b\\u202e\", \"requests\": 4,"
        "      \"errors\": 1, \"error_rate\": 0.25, \"avg_time_ms\": 1, \"p95_time_ms\": 2}]},"
        "  \"recent_errors\": [{\"timestamp\": \"t\", \"module_function\": \"bad\\nmodule.x\","
        "     \"error_code\": \"E_UNKNOWN_MODULE\", \"error\": \"\\u001b[31mred\\u009b\","
        "     \"duration_ms\": 0.1}]},"
        " \"stats\": {\"security_metrics\": {\"total_events\": 1,"
        "     \"events_by_type\": {\"sql\\u001b\\\"inj\": 1}, \"events_by_severity\": {},"
        "     \"recent_events\": [{\"event_type\": \"unknown_module\", \"severity\": \"medium\","
        "        \"timestamp\": \"t\", \"module_function\": \"bad\\u0000nul.x\","
        "        \"reason\": \"r\\u001bc\", \"client_info\": {\"uid\": 1000, \"pid\": 5}}]}},"
        " \"connections\": {\"connections\": [{\"connection_id\": \"c\\u0007-1\", \"uid\": 1,"
        "     \"session\": \"s\\u001b[Aid\", \"status\": \"active\"}],"
        "   \"sessions\": [{\"session\": \"s\\u001b[Aid\", \"uid\": 1,"
        "     \"handles\": {\"x\\u001by\": 2}}]},"
        " \"cleanup\": {\"cleaned_connections\": 1, \"cleaned_sessions\": 1,"
        "   \"connections_details\": [{\"connection_id\": \"c\\u001b-9\", \"idle_time\": 400}],"
        "   \"handles_closed\": {\"t\\u001best\": 1}, \"remaining_connections\": 0},"
        " \"catalogue\": {\"modules\": {\"m\\u001bod\": {\"family\": \"f\\u0007\","
        "   \"functions\": {\"f\\u001bn\": {\"mode\": \"S\", \"idempotent\": true,"
        "     \"params\": {\"p\\u001b\": {\"type\": \"text\", \"required\": false,"
        "                                \"default\": \"d\\u001b\"}}}}}}},"
        " \"ping\": {\"message\": \"po\\u001bng\", \"version\": \"v\\u001b\", \"uptime\": 1}}";

static void fake_hostile_start(void)
{
    fake_start(hostile_answers);
}

START_TEST(test_fake_hostile_strings_escaped)
{
    static const char *const commands[] = { "status",        "health",      "metrics",   "stats",
                                            "sessions",      "cleanup",     "catalogue", "ping",
                                            "--json status", "--json stats" };

    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        struct ctl_run r = run_ctl(fake_socket, commands[i], true);

        assert_terminal_safe(&r, commands[i]);
        ck_assert_msg(!strstr(r.out, "\xe2\x80\xae"), "%s: raw RLO in %s", commands[i], r.out);
        ck_assert_msg(!strstr(r.out, "\xc2\x85") && !strstr(r.out, "\xc2\x9b"),
                      "%s: raw C1 control in %s", commands[i], r.out);
        ctl_run_free(&r);
    }
}
END_TEST

START_TEST(test_fake_values_shown_escaped)
{
    struct ctl_run st = run_ctl(fake_socket, "status", false);
    struct ctl_run se = run_ctl(fake_socket, "sessions", false);
    struct ctl_run s = run_ctl(fake_socket, "stats", false);

    ck_assert_int_eq(st.status, 1); /* degraded */
    ck_assert_msg(strstr(st.out, "co\\x1bre"), "%s", st.out);
    ck_assert_msg(strstr(st.out, "died \\x1b[2J\\r"), "%s", st.out);
    ck_assert_msg(strstr(st.out, "12.5 MiB"), "%s", st.out);
    ck_assert_msg(strstr(st.out, "\\x1b[31mred\\u009b"), "%s", st.out);
    ck_assert_msg(strstr(st.out, "1d 1h 1m 1s"), "%s", st.out);
    ck_assert_msg(strstr(se.out, "s\\x1b[Aid"), "%s", se.out);
    ck_assert_msg(strstr(s.out, "bad\\x00nul.x"), "%s", s.out);
    ctl_run_free(&st);
    ctl_run_free(&se);
    ctl_run_free(&s);
}
END_TEST

START_TEST(test_fake_prometheus_labels_escaped)
{
    struct ctl_run r = run_ctl(fake_socket, "metrics --prometheus", false);

    ck_assert_int_eq(r.status, 0);
    assert_openmetrics(r.out);
    assert_terminal_safe(&r, "metrics --prometheus");
    /* Quote, backslash and newline escaped as the format says; ESC and RLO as readable text. */
    ck_assert_msg(strstr(r.out,
                         "{module=\"ev\\\"il\\\\mod\",function=\"fn\\nx\\\\x1b\\\\u202e\"} 4"),
                  "%s", r.out);
    ck_assert_msg(strstr(r.out, "cpan_bridge_security_events_total{type=\"sql\\\\x1b\\\"inj\"} 1"),
                  "%s", r.out);
    ck_assert_msg(strstr(r.out, "cpan_bridge_memory_bytes 10485760\n"), "%s", r.out);
    ck_assert_msg(strstr(r.out, "process=\"r\\\\x7fouter\",pid=\"42\""), "%s", r.out);
    ctl_run_free(&r);
}
END_TEST

static const char *const overall_cases[][2] = { { "healthy", "0" },
                                                { "degraded", "1" },
                                                { "unhealthy", "2" },
                                                { "on fire", "2" } };

START_TEST(test_fake_exit_follows_overall_status)
{
    char answers[512];
    struct ctl_run h, s;

    snprintf(answers, sizeof answers,
             "{\"health\": {\"overall_status\": \"%s\", \"checks\": {}}, \"info\": {}}",
             overall_cases[_i][0]);
    fake_start(answers);
    h = run_ctl(fake_socket, "health", false);
    s = run_ctl(fake_socket, "status", false);

    ck_assert_int_eq(h.status, atoi(overall_cases[_i][1]));
    ck_assert_int_eq(s.status, atoi(overall_cases[_i][1]));
    ctl_run_free(&h);
    ctl_run_free(&s);
    fake_stop();
}
END_TEST

START_TEST(test_fake_missing_fields_print_dash)
{
    struct ctl_run st, pr, he;

    fake_start("{\"info\": {}, \"health\": {}, \"metrics\": {}, \"performance\": {}}");
    st = run_ctl(fake_socket, "status", false);
    pr = run_ctl(fake_socket, "metrics --prometheus", false);
    he = run_ctl(fake_socket, "health", false);

    /* No overall_status and no checks: nothing says the suite is well. */
    ck_assert_int_eq(st.status, 2);
    ck_assert_int_eq(he.status, 2);
    ck_assert_msg(strstr(st.out, "- total, - failed (-), - per second"), "%s", st.out);
    ck_assert_int_eq(pr.status, 0);
    assert_openmetrics(pr.out);
    ctl_run_free(&st);
    ctl_run_free(&pr);
    ctl_run_free(&he);
    fake_stop();
}
END_TEST

START_TEST(test_fake_refusal_and_hang_up)
{
    struct ctl_run refused, gone;

    fake_start("{}");
    refused = run_ctl(fake_socket, "stats", true);
    fake_hang_up = true;
    gone = run_ctl(fake_socket, "health", true);

    /* The router answered, with an error: unhealthy. It did not answer at all: unreachable. */
    ck_assert_int_eq(refused.status, 2);
    ck_assert_msg(strstr(refused.out, "E_INTERNAL: no answer \\x1b[2J here"), "%s", refused.out);
    assert_terminal_safe(&refused, "refused stats");
    ck_assert_int_eq(gone.status, 3);
    ctl_run_free(&refused);
    ctl_run_free(&gone);
    fake_stop();
}
END_TEST

static Suite *ctl_suite(void)
{
    Suite *s = suite_create("cpan-bridgectl");
    TCase *real = tcase_create("suite");
    TCase *hostile = tcase_create("hostile");
    TCase *fake = tcase_create("fake");

    tcase_add_unchecked_fixture(real, it_fixture_start, it_fixture_stop);
    tcase_set_timeout(real, 120);
    tcase_add_test(real, test_ping_answers);
    tcase_add_test(real, test_health_exit_matches_overall_status);
    tcase_add_test(real, test_status_table);
    tcase_add_test(real, test_prometheus_text);
    tcase_add_test(real, test_json_outputs_parse);
    tcase_add_test(real, test_catalogue_lists_test_ping);
    tcase_add_test(real, test_sessions_and_cleanup);
    tcase_add_test(real, test_doctor_on_suite_socket);
    tcase_add_test(real, test_stale_socket_found_and_unreachable);
    tcase_add_test(real, test_unreachable_exit_3);
    tcase_add_test(real, test_hostile_module_name_escaped);
    tcase_add_test(real, test_usage_and_version);
    suite_add_tcase(s, real);

    tcase_add_unchecked_fixture(hostile, fake_dir_create, fake_dir_remove);
    tcase_add_checked_fixture(hostile, fake_hostile_start, fake_stop);
    tcase_set_timeout(hostile, 60);
    tcase_add_test(hostile, test_fake_hostile_strings_escaped);
    tcase_add_test(hostile, test_fake_values_shown_escaped);
    tcase_add_test(hostile, test_fake_prometheus_labels_escaped);
    suite_add_tcase(s, hostile);

    /* The tests start their own fake; the teardown stops it if an assertion cut one short. */
    tcase_add_unchecked_fixture(fake, fake_dir_create, fake_dir_remove);
    tcase_add_checked_fixture(fake, NULL, fake_stop);
    tcase_set_timeout(fake, 60);
    tcase_add_loop_test(fake, test_fake_exit_follows_overall_status, 0,
                        sizeof overall_cases / sizeof overall_cases[0]);
    tcase_add_test(fake, test_fake_missing_fields_print_dash);
    tcase_add_test(fake, test_fake_refusal_and_hang_up);
    suite_add_tcase(s, fake);
    return s;
}

int main(void)
{
    return it_run(ctl_suite());
}
