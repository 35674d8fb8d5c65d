/* SPDX-License-Identifier: MIT */
/* Integration: SIGTERM and SIGINT end each daemon and the launcher cleanly, leaving no process. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/integration/it-harness.h"

struct scratch {
    char dir[64];
    char config[128];
    char socket[128];
};

static void scratch_make(struct scratch *s)
{
    FILE *f;

    snprintf(s->dir, sizeof s->dir, "/tmp/cb-sig-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(s->dir));
    snprintf(s->config, sizeof s->config, "%s/cpan-bridge.conf", s->dir);
    snprintf(s->socket, sizeof s->socket, "%s/cpan-bridge.sock", s->dir);
    f = fopen(s->config, "we");
    ck_assert_ptr_nonnull(f);
    fprintf(f, "[router]\nruntime_directory = %s\nsocket = %s\ninstance_uid_min = 0\n", s->dir,
            s->socket);
    fclose(f);
}

static void scratch_remove(struct scratch *s)
{
    char cmd[128];

    snprintf(cmd, sizeof cmd, "rm -rf '%s'", s->dir);
    ck_assert_int_eq(system(cmd), 0);
}

static pid_t spawn(const char *const argv[])
{
    pid_t pid = fork();

    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        sigset_t none;

        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        /* The daemons' own logs are noise in a test run unless asked for. */
        if (!getenv("CB_IT_VERBOSE") && !freopen("/dev/null", "w", stderr)) {
            _exit(126);
        }
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    return pid;
}

static void wait_socket(const char *path)
{
    struct cb_client *c = NULL;

    for (int i = 0; i < 1000; i++) {
        if (cb_client_connect(path, 1000, &c) == 0) {
            json_t *resp = NULL;

            ck_assert_int_eq(cb_client_call(c, "system", "ping", NULL, &resp), 0);
            ck_assert(cb_client_response_ok(resp));
            json_decref(resp);
            cb_client_free(c);
            return;
        }
        usleep(10000);
    }
    ck_abort_msg("nothing answered on %s", path);
}

static int stop_with(pid_t pid, int sig)
{
    int status = -1;

    ck_assert_int_eq(kill(pid, sig), 0);
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    return status;
}

static void router_own_socket(int sig)
{
    char bin[256];
    struct scratch s;

    scratch_make(&s);
    snprintf(bin, sizeof bin, "%s/cpan-bridge-router", it_build_dir());
    const char *argv[] = { bin, "--config", s.config, NULL };
    pid_t pid = spawn(argv);

    wait_socket(s.socket);
    int status = stop_with(pid, sig);

    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %d", status);
    /* A socket it bound itself is its own to remove. */
    ck_assert_int_eq(access(s.socket, F_OK), -1);
    scratch_remove(&s);
}

START_TEST(test_router_sigterm_removes_own_socket)
{
    router_own_socket(SIGTERM);
}
END_TEST

START_TEST(test_router_sigint_removes_own_socket)
{
    router_own_socket(SIGINT);
}
END_TEST

START_TEST(test_router_keeps_activated_socket)
{
    char bin[256], listen[160];
    struct scratch s;
    struct stat st;

    scratch_make(&s);
    snprintf(bin, sizeof bin, "%s/cpan-bridge-router", it_build_dir());
    snprintf(listen, sizeof listen, "%s/activated.sock", s.dir);
    const char *argv[] = {
        "/usr/bin/systemd-socket-activate", "-l", listen, bin, "--config", s.config, NULL
    };
    pid_t pid = spawn(argv);

    wait_socket(listen);
    int status = stop_with(pid, SIGTERM);

    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %d", status);
    /* The service manager owns a socket it passed: the router leaves it in place. */
    ck_assert_int_eq(stat(listen, &st), 0);
    ck_assert(S_ISSOCK(st.st_mode));
    ck_assert_int_eq(access(s.socket, F_OK), -1);
    scratch_remove(&s);
}
END_TEST

static void family_own_socket(int sig)
{
    char bin[256], listen[160];
    struct scratch s;
    struct cb_client *c = NULL;
    json_t *resp = NULL;

    scratch_make(&s);
    snprintf(bin, sizeof bin, "%s/cpan-bridge-core", it_build_dir());
    snprintf(listen, sizeof listen, "%s/core.sock", s.dir);
    const char *argv[] = { bin, "--config", s.config, "--listen", listen, NULL };
    pid_t pid = spawn(argv);

    for (int i = 0; i < 1000 && cb_client_connect(listen, 1000, &c) < 0; i++) {
        usleep(10000);
    }
    ck_assert_ptr_nonnull(c);
    ck_assert_int_eq(cb_client_call(c, "test", "ping", NULL, &resp), 0);
    ck_assert(cb_client_response_ok(resp));
    json_decref(resp);
    cb_client_free(c);

    int status = stop_with(pid, sig);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %d", status);
    ck_assert_int_eq(access(listen, F_OK), -1);
    scratch_remove(&s);
}

START_TEST(test_family_sigterm)
{
    family_own_socket(SIGTERM);
}
END_TEST

START_TEST(test_family_sigint)
{
    family_own_socket(SIGINT);
}
END_TEST

static bool process_exists(pid_t pid)
{
    return kill(pid, 0) == 0 || errno != ESRCH;
}

static void launcher_run(int sig)
{
    char bin[256];
    struct it_suite s = { 0 };
    struct cb_client *c;
    pid_t router, instance;

    snprintf(s.dir, sizeof s.dir, "/tmp/cb-run-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(s.dir));
    snprintf(s.socket, sizeof s.socket, "%s/cpan-bridge.sock", s.dir);
    snprintf(bin, sizeof bin, "%s/cpan-bridge-dev", it_build_dir());
    const char *argv[] = { bin, "run", "--runtime-dir", s.dir, NULL };

    /* Twice in a row on the same directory: the second run starts at once. */
    for (int round = 0; round < 2; round++) {
        pid_t pid = spawn(argv);

        wait_socket(s.socket);
        c = it_connect(&s);
        json_decref(it_call(c, "test", "ping", NULL));
        cb_client_free(c);
        router = it_router_pid(&s);
        instance = it_instance_pid(&s, "core");
        ck_assert_int_gt(router, 0);
        ck_assert_int_gt(instance, 0);

        int status = stop_with(pid, sig);
        ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %d", status);
        /* The launcher reaped its daemons before it exited: nothing is left, not even zombies. */
        ck_assert(!process_exists(router));
        ck_assert(!process_exists(instance));
        ck_assert_int_eq(access(s.socket, F_OK), -1);
    }
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", s.dir);
    ck_assert_int_eq(system(cmd), 0);
}

START_TEST(test_launcher_run_sigterm)
{
    launcher_run(SIGTERM);
}
END_TEST

START_TEST(test_launcher_run_sigint)
{
    launcher_run(SIGINT);
}
END_TEST

static Suite *signals_suite(void)
{
    Suite *s = suite_create("signals");
    TCase *tc = tcase_create("shutdown");

    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_router_sigterm_removes_own_socket);
    tcase_add_test(tc, test_router_sigint_removes_own_socket);
    tcase_add_test(tc, test_router_keeps_activated_socket);
    tcase_add_test(tc, test_family_sigterm);
    tcase_add_test(tc, test_family_sigint);
    tcase_add_test(tc, test_launcher_run_sigterm);
    tcase_add_test(tc, test_launcher_run_sigint);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return it_run(signals_suite());
}
