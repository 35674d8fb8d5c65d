/* SPDX-License-Identifier: MIT */
/* Integration: the death of an instance or of the router, and what survives each. */
#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/integration/it-harness.h"

static json_t *result(json_t *resp)
{
    return json_object_get(resp, "result");
}

static char *hold(struct cb_client *c)
{
    json_t *resp = it_call(c, "test", "hold", NULL);
    char *id;

    ck_assert_msg(cb_client_response_ok(resp), "hold: %s", it_code(resp));
    id = strdup(json_string_value(json_object_get(result(resp), "handle_id")));
    json_decref(resp);
    return id;
}

static json_t *held(struct cb_client *c, const char *id, const char *function)
{
    char params[200];

    snprintf(params, sizeof params, "{\"handle_id\": \"%s\"}", id);
    return it_call(c, "test", function, params);
}

static pid_t wait_instance(void)
{
    pid_t pid = 0;

    for (int i = 0; i < 500 && pid == 0; i++) {
        pid = it_instance_pid(&it_current, "core");
        if (pid == 0) {
            usleep(10000);
        }
    }
    ck_assert_int_gt(pid, 0);
    return pid;
}

START_TEST(test_instance_killed_in_flight)
{
    struct cb_client *a = it_connect(&it_current);
    struct cb_client *b = it_connect(&it_current);
    char ta[33], tb[33];
    json_t *req, *resp = NULL;
    char *old;
    pid_t pid;

    it_token(ta);
    it_token(tb);
    cb_client_set_session(a, ta);
    cb_client_set_session(b, tb);
    old = hold(a);
    pid = wait_instance();

    req = json_pack("{s:i, s:s, s:s, s:{s:i}, s:s}", "id", 77, "module", "test", "function",
                    "sleep", "params", "ms", 8000, "session", ta);
    ck_assert_int_eq(cb_client_send(a, req), 0);
    json_decref(req);
    /* b's answer proves a's request went up first, on the same instance connection. */
    json_decref(it_call(b, "test", "ping", NULL));

    ck_assert_int_eq(kill(pid, SIGKILL), 0);
    ck_assert_int_eq(cb_client_recv(a, 20000, &resp), 0);
    ck_assert_int_eq(json_integer_value(json_object_get(resp, "id")), 77);
    ck_assert_str_eq(it_code(resp), "E_UNAVAILABLE");
    ck_assert(json_is_true(json_object_get(resp, "outcome_unknown")));
    ck_assert(json_is_false(json_object_get(resp, "retryable")));
    json_decref(resp);

    /* The launcher restarts it; the next call succeeds, with a fresh state. */
    resp = it_call(a, "test", "counter", NULL);
    ck_assert_msg(cb_client_response_ok(resp), "%s", it_code(resp));
    ck_assert_int_eq(json_integer_value(json_object_get(result(resp), "value")), 1);
    json_decref(resp);
    ck_assert_int_ne(wait_instance(), pid);

    resp = held(a, old, "release");
    ck_assert_str_eq(it_code(resp), "E_HANDLE");
    ck_assert_msg(strstr(json_string_value(json_object_get(resp, "error")), "restarted"), "%s",
                  json_string_value(json_object_get(resp, "error")));
    json_decref(resp);
    free(old);
    cb_client_free(a);
    cb_client_free(b);
}
END_TEST

static void router_restart_keeps_handle(int sig)
{
    struct cb_client *a = it_connect(&it_current);
    char token[33];
    struct cb_client *later;
    json_t *resp;
    char *id;
    pid_t router;

    it_token(token);
    cb_client_set_session(a, token);
    id = hold(a);
    router = it_router_pid(&it_current);
    ck_assert_int_gt(router, 0);

    ck_assert_int_eq(kill(router, sig), 0);
    cb_client_free(a);
    /* Made while the router is down or coming back: it waits in the socket's backlog. */
    later = it_connect(&it_current);
    cb_client_set_session(later, token);

    resp = held(later, id, "held");
    ck_assert_msg(cb_client_response_ok(resp), "%s", it_code(resp));
    ck_assert(json_is_true(json_object_get(result(resp), "exists")));
    json_decref(resp);
    ck_assert(it_wait_gone(router, 5000));
    ck_assert_int_ne(it_router_pid(&it_current), router);

    resp = held(later, id, "release");
    ck_assert(cb_client_response_ok(resp));
    json_decref(resp);
    free(id);
    cb_client_free(later);
}

START_TEST(test_router_killed_keeps_handles)
{
    router_restart_keeps_handle(SIGKILL);
}
END_TEST

START_TEST(test_router_stopped_keeps_handles)
{
    router_restart_keeps_handle(SIGTERM);
}
END_TEST

static Suite *faults_suite(void)
{
    Suite *s = suite_create("faults");
    TCase *tc = tcase_create("deaths");

    tcase_add_unchecked_fixture(tc, it_fixture_start, it_fixture_stop);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_instance_killed_in_flight);
    tcase_add_test(tc, test_router_killed_keeps_handles);
    tcase_add_test(tc, test_router_stopped_keeps_handles);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return it_run(faults_suite());
}
