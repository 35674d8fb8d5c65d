/* SPDX-License-Identifier: MIT */
/* Starting and stopping a suite with cpan-bridge-dev for integration tests. */
#include "tests/integration/it-harness.h"

#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

struct it_suite it_current;

const char *it_build_dir(void)
{
    const char *b = getenv("CB_BUILD_DIR");

    return b && *b ? b : "build";
}

static void run_launcher(struct it_suite *s, const char *verb, const char *config)
{
    const char *watchdog = getenv("CB_IT_WATCHDOG_SEC");
    char cmd[1024], line[400];
    FILE *p;
    int status;

    snprintf(cmd, sizeof cmd, "%s/cpan-bridge-dev %s --runtime-dir %s%s%s%s%s", it_build_dir(),
             verb, s->dir, config ? " --config " : "", config ? config : "",
             watchdog && config ? " --watchdog-sec " : "", watchdog && config ? watchdog : "");
    p = popen(cmd, "r");
    ck_assert_msg(p, "cannot run '%s'", cmd);
    while (fgets(line, sizeof line, p)) {
        line[strcspn(line, "\n")] = '\0';
        if (strncmp(line, "CPAN_BRIDGE_SOCKET=", 19) == 0) {
            snprintf(s->socket, sizeof s->socket, "%s", line + 19);
        } else if (strncmp(line, "CPAN_BRIDGE_EXEC=", 17) == 0) {
            snprintf(s->exec_path, sizeof s->exec_path, "%s", line + 17);
        }
    }
    status = pclose(p);
    ck_assert_msg(status == 0, "'%s' failed (status %d); see %s/launcher.log", cmd, status, s->dir);
}

void it_suite_start(struct it_suite *s, const char *extra_config)
{
    char config[300];

    memset(s, 0, sizeof *s);
    snprintf(s->dir, sizeof s->dir, "/tmp/cb-it-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(s->dir));
    /* As /run/cpan-bridge is: anyone may reach the socket, the router decides who is served. */
    ck_assert_int_eq(chmod(s->dir, 0755), 0);

    snprintf(config, sizeof config, "%s.conf", s->dir);
    FILE *f = fopen(config, "we");
    ck_assert_ptr_nonnull(f);
    /* Short stall and grace times keep the tests quick; limits small enough to cross. */
    fprintf(f, "[limits]\nframe_stall_timeout_ms = 500\n%s\n", extra_config ? extra_config : "");
    fclose(f);

    run_launcher(s, "start", config);
    ck_assert_str_ne(s->socket, "");
    ck_assert_str_ne(s->exec_path, "");
}

/* Sanitizer reports of the daemons land in the launcher's log; any one fails the run. */
static void assert_clean_log(const struct it_suite *s)
{
    static const char *const alarms[] = { "AddressSanitizer", "LeakSanitizer",
                                          "runtime error:", NULL };
    char path[300], line[1024];
    FILE *f;

    snprintf(path, sizeof path, "%s/launcher.log", s->dir);
    f = fopen(path, "re");
    if (!f) {
        return;
    }
    while (fgets(line, sizeof line, f)) {
        for (const char *const *a = alarms; *a; a++) {
            ck_assert_msg(!strstr(line, *a), "%s: %s", path, line);
        }
    }
    fclose(f);
}

void it_suite_stop(struct it_suite *s)
{
    char config[300], cmd[600];

    if (!s->dir[0]) {
        return;
    }
    run_launcher(s, "stop", NULL);
    assert_clean_log(s);
    ck_assert_msg(access(s->socket, F_OK) < 0, "socket %s left behind after stop", s->socket);
    snprintf(config, sizeof config, "%s.conf", s->dir);
    (void)unlink(config);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", s->dir);
    ck_assert_int_eq(system(cmd), 0);
    s->dir[0] = '\0';
}

void it_fixture_start(void)
{
    it_suite_start(&it_current, getenv("CB_IT_EXTRA_CONFIG"));
}

void it_fixture_stop(void)
{
    it_suite_stop(&it_current);
}

struct cb_client *it_connect(const struct it_suite *s)
{
    struct cb_client *c = NULL;
    int r = cb_client_connect(s->socket, 10000, &c);

    ck_assert_msg(r == 0, "connect to %s: %s", s->socket, strerror(-r));
    cb_client_set_timeout(c, 30000);
    return c;
}

json_t *it_call(struct cb_client *c, const char *module, const char *function, const char *params)
{
    json_error_t e;
    json_t *p = json_loads(params ? params : "{}", JSON_ALLOW_NUL, &e);
    json_t *resp = NULL;
    int r;

    ck_assert_msg(p, "bad test params: %s", e.text);
    r = cb_client_call(c, module, function, p, &resp);
    ck_assert_msg(r == 0, "%s.%s: transport error %s", module, function, strerror(-r));
    return resp;
}

json_t *it_launcher_status(const struct it_suite *s)
{
    char path[320];
    struct cb_client *c = NULL;
    json_t *req, *resp = NULL;

    snprintf(path, sizeof path, "%s/launcher.sock", s->dir);
    ck_assert_int_eq(cb_client_connect(path, 5000, &c), 0);
    req = json_pack("{s:s}", "op", "status");
    ck_assert_int_eq(cb_client_send(c, req), 0);
    ck_assert_int_eq(cb_client_recv(c, 5000, &resp), 0);
    json_decref(req);
    cb_client_free(c);
    return resp;
}

pid_t it_router_pid(const struct it_suite *s)
{
    json_t *st = it_launcher_status(s);
    json_t *pid = json_object_get(json_object_get(st, "router"), "pid");
    pid_t p = json_is_integer(pid) ? (pid_t)json_integer_value(pid) : 0;

    json_decref(st);
    return p;
}

pid_t it_instance_pid(const struct it_suite *s, const char *family)
{
    json_t *st = it_launcher_status(s);
    json_t *list = json_object_get(st, "instances"), *i;
    size_t k;
    pid_t p = 0;

    json_array_foreach(list, k, i)
    {
        json_t *pid = json_object_get(i, "pid");

        if (strcmp(json_string_value(json_object_get(i, "family")), family) == 0 &&
            json_is_integer(pid)) {
            p = (pid_t)json_integer_value(pid);
        }
    }
    json_decref(st);
    return p;
}

bool it_wait_gone(pid_t pid, int timeout_ms)
{
    for (int waited = 0; waited <= timeout_ms; waited += 10) {
        char path[64];

        snprintf(path, sizeof path, "/proc/%d", (int)pid);
        if (kill(pid, 0) < 0 && errno == ESRCH) {
            return true;
        }
        /* A zombie still answers kill(); its /proc status says so. */
        FILE *f = fopen(strcat(path, "/stat"), "re");
        if (f) {
            int dummy;
            char state = 0;

            if (fscanf(f, "%d %*s %c", &dummy, &state) == 2 && state == 'Z') {
                fclose(f);
                return true;
            }
            fclose(f);
        }
        usleep(10000);
    }
    return false;
}

void it_token(char buf[33])
{
    unsigned char b[16];

    ck_assert_int_eq(getrandom(b, sizeof b, 0), (int)sizeof b);
    for (int i = 0; i < 16; i++) {
        snprintf(buf + 2 * i, 3, "%02x", b[i]);
    }
}

const char *it_code(const json_t *response)
{
    const char *code = json_string_value(json_object_get(response, "error_code"));

    return code ? code : "";
}

/*
 * Under the sanitizers, every instrumented process the tests start (daemons, and the
 * one-shot processes of process mode, whose stderr is ours) reports into one directory; a
 * report there fails the run, whichever process wrote it.
 */
static char sanitizer_dir[64];

static void sanitizer_logs_start(void)
{
    const char *asan = getenv("ASAN_OPTIONS");
    char opts[1024];

    if (!getenv("CB_SANITIZE") || !asan || strstr(asan, "log_path=")) {
        return;
    }
    snprintf(sanitizer_dir, sizeof sanitizer_dir, "/tmp/cb-it-asan-XXXXXX");
    if (!mkdtemp(sanitizer_dir)) {
        sanitizer_dir[0] = '\0';
        return;
    }
    snprintf(opts, sizeof opts, "%s:log_path=%s/asan", asan, sanitizer_dir);
    setenv("ASAN_OPTIONS", opts, 1);
    snprintf(opts, sizeof opts, "%s:log_path=%s/ubsan",
             getenv("UBSAN_OPTIONS") ? getenv("UBSAN_OPTIONS") : "", sanitizer_dir);
    setenv("UBSAN_OPTIONS", opts, 1);
}

/* Returns how many reports there were, printing the start of each. */
static int sanitizer_logs_finish(void)
{
    char cmd[256], line[512];
    int reports = 0;
    FILE *p;

    if (!sanitizer_dir[0]) {
        return 0;
    }
    snprintf(
            cmd, sizeof cmd,
            "for f in %s/*; do [ -s \"$f\" ] && echo \"== $f\" && head -20 \"$f\"; done 2>/dev/null",
            sanitizer_dir);
    p = popen(cmd, "r");
    while (p && fgets(line, sizeof line, p)) {
        reports += strncmp(line, "== ", 3) == 0;
        fputs(line, stderr);
    }
    if (p) {
        pclose(p);
    }
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", sanitizer_dir);
    (void)system(cmd);
    return reports;
}

int it_run(Suite *suite)
{
    SRunner *sr;
    int failed;

    sanitizer_logs_start();
    sr = srunner_create(suite);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    failed += sanitizer_logs_finish();
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
