/* SPDX-License-Identifier: MIT */
/* Integration: process mode (cpan-bridge-exec) answers as the daemon does. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "tests/integration/it-harness.h"

struct probe {
    const char *module;
    const char *function;
    const char *params;
};

/* Every stateless test function, good and bad input, and the stateless system ones. */
static const struct probe probes[] = {
    { "test", "ping", "{}" },
    { "test", "ping", "{\"activity_test\": 3, \"text\": \"\\u4e2d\\ud83d\\ude00\"}" },
    { "test", "echo", "{\"a\": [1, 2.5, null, true], \"nul\": \"x\\u0000y\", \"o\": {}}" },
    { "test", "echo", "{}" },
    { "test", "sleep", "{\"ms\": 1}" },
    { "test", "sleep", "{\"ms\": \"2\"}" },
    { "test", "sleep", "{\"ms\": -1}" },
    { "test", "sleep", "{\"ms\": 1, \"extra\": 1}" },
    { "test", "sleep", "{}" },
    { "test", "spin", "{\"ms\": 1}" },
    { "test", "error", "{}" },
    { "test", "error", "{\"code\": \"E_TIMEOUT\", \"message\": \"slow\"}" },
    { "test", "error", "{\"code\": \"E_UNAVAILABLE\"}" },
    { "test", "error", "{\"code\": \"NOT_A_CODE\"}" },
    { "test", "nope", "{}" },
    { "nope", "ping", "{}" },
    { "system", "catalogue", "{\"module\": \"test\"}" },
    { "system", "catalogue", "{\"module\": \"nope\"}" },
};

static const char *const varying[] = { "mode", "timestamp", "uptime", NULL };

static json_t *comparable(json_t *resp)
{
    json_t *r = json_object_get(resp, "result");

    for (const char *const *k = varying; *k && json_is_object(r); k++) {
        json_object_del(r, *k);
    }
    return resp;
}

START_TEST(test_oneshot_matches_daemon)
{
    struct cb_client *daemon = it_connect(&it_current);
    struct cb_client *process = NULL;

    ck_assert_int_eq(cb_client_spawn_exec(it_current.exec_path, &process), 0);
    for (size_t i = 0; i < sizeof probes / sizeof probes[0]; i++) {
        const struct probe *p = &probes[i];
        json_t *d = comparable(it_call(daemon, p->module, p->function, p->params));
        json_t *o = comparable(it_call(process, p->module, p->function, p->params));
        char *ds = json_dumps(d, JSON_SORT_KEYS | JSON_COMPACT);
        char *os = json_dumps(o, JSON_SORT_KEYS | JSON_COMPACT);

        ck_assert_msg(json_equal(d, o), "%s.%s %s:\n daemon  %s\n process %s", p->module,
                      p->function, p->params, ds, os);
        free(ds);
        free(os);
        json_decref(d);
        json_decref(o);
    }
    cb_client_free(process);
    cb_client_free(daemon);
}
END_TEST

START_TEST(test_oneshot_says_its_mode)
{
    struct cb_client *process = NULL;
    json_t *resp;

    ck_assert_int_eq(cb_client_spawn_exec(it_current.exec_path, &process), 0);
    resp = it_call(process, "test", "ping", NULL);
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(resp, "result"), "mode")),
                     "process");
    json_decref(resp);
    resp = it_call(process, "system", "info", NULL);
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(resp, "result"), "mode")),
                     "process");
    ck_assert_int_eq(json_array_size(json_object_get(json_object_get(resp, "result"), "families")),
                     0);
    json_decref(resp);
    cb_client_free(process);
}
END_TEST

START_TEST(test_oneshot_refuses_daemon_only)
{
    static const char *const daemon_only[] = { "hold", "counter" };
    struct cb_client *process = NULL;

    ck_assert_int_eq(cb_client_spawn_exec(it_current.exec_path, &process), 0);
    for (size_t i = 0; i < 2; i++) {
        json_t *resp = it_call(process, "test", daemon_only[i], NULL);

        ck_assert_str_eq(it_code(resp), "E_HANDLE");
        ck_assert(strstr(json_string_value(json_object_get(resp, "error")), "daemon mode"));
        json_decref(resp);
    }
    json_t *resp = it_call(process, "system", "stats", NULL);
    ck_assert_str_eq(it_code(resp), "E_UNAVAILABLE");
    json_decref(resp);
    cb_client_free(process);
}
END_TEST

START_TEST(test_oneshot_broken_frames)
{
    struct cb_client *process = NULL;
    static const unsigned char zero[4];
    json_t *resp = NULL;
    int status = -1;

    ck_assert_int_eq(cb_client_spawn_exec(it_current.exec_path, &process), 0);
    ck_assert_int_eq(cb_client_send_raw(process, zero, 4), 0);
    ck_assert_int_eq(cb_client_recv(process, 10000, &resp), 0);
    ck_assert_str_eq(it_code(resp), "E_PROTOCOL");
    json_decref(resp);

    /* The run goes on after a refusal that keeps the stream in step, and ends at EOF. */
    resp = it_call(process, "test", "ping", NULL);
    ck_assert(cb_client_response_ok(resp));
    json_decref(resp);
    ck_assert_int_eq(cb_client_wait_exit(process, 10000, &status), 0);
    ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    cb_client_free(process);
}
END_TEST

static Suite *oneshot_suite(void)
{
    Suite *s = suite_create("oneshot");
    TCase *tc = tcase_create("equivalence");

    tcase_add_unchecked_fixture(tc, it_fixture_start, it_fixture_stop);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_oneshot_matches_daemon);
    tcase_add_test(tc, test_oneshot_says_its_mode);
    tcase_add_test(tc, test_oneshot_refuses_daemon_only);
    tcase_add_test(tc, test_oneshot_broken_frames);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return it_run(oneshot_suite());
}
