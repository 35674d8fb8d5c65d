/* SPDX-License-Identifier: MIT */
/* Integration: an instance with no session state and no connection exits, and comes back. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/integration/it-harness.h"

START_TEST(test_idle_instance_exits_and_returns)
{
    struct cb_client *c = it_connect(&it_current);
    json_t *resp;
    pid_t first;

    json_decref(it_call(c, "test", "ping", NULL));
    first = it_instance_pid(&it_current, "core");
    ck_assert_int_gt(first, 0);
    cb_client_free(c); /* the session ends; the router lets go of the instance */

    ck_assert_msg(it_wait_gone(first, 15000), "the idle instance did not exit");

    c = it_connect(&it_current);
    resp = it_call(c, "test", "ping", NULL);
    ck_assert(cb_client_response_ok(resp));
    json_decref(resp);
    ck_assert_int_ne(it_instance_pid(&it_current, "core"), first);
    cb_client_free(c);
}
END_TEST

START_TEST(test_session_state_keeps_instance)
{
    struct cb_client *c = it_connect(&it_current);
    pid_t pid;

    /* A live session with a handle is state: the instance must stay. */
    json_decref(it_call(c, "test", "hold", NULL));
    pid = it_instance_pid(&it_current, "core");
    sleep(4);
    ck_assert_int_eq(it_instance_pid(&it_current, "core"), pid);
    json_t *resp = it_call(c, "test", "ping", NULL);
    ck_assert(cb_client_response_ok(resp));
    json_decref(resp);
    cb_client_free(c);
}
END_TEST

static Suite *idle_suite(void)
{
    Suite *s = suite_create("idle");
    TCase *tc = tcase_create("exit");

    tcase_add_unchecked_fixture(tc, it_fixture_start, it_fixture_stop);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_idle_instance_exits_and_returns);
    tcase_add_test(tc, test_session_state_keeps_instance);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    setenv("CB_IT_EXTRA_CONFIG", "[sessions]\ninstance_idle_exit_seconds = 1\n", 1);
    return it_run(idle_suite());
}
