/* SPDX-License-Identifier: MIT */
/* Integration: STATUS= lines, and watchdog pings that stop when the worker pool is stuck. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/integration/it-harness.h"

static json_t *instance_entry(json_t *status, const char *family)
{
    json_t *i;
    size_t k;

    json_array_foreach(json_object_get(status, "instances"), k, i)
    {
        if (strcmp(json_string_value(json_object_get(i, "family")), family) == 0) {
            return i;
        }
    }
    return NULL;
}

static char *instance_status_text(void)
{
    json_t *st = it_launcher_status(&it_current);
    const char *text = json_string_value(json_object_get(instance_entry(st, "core"), "status"));
    char *copy = strdup(text ? text : "");

    json_decref(st);
    return copy;
}

static long restarts(void)
{
    json_t *st = it_launcher_status(&it_current);
    long n = (long)json_integer_value(json_object_get(instance_entry(st, "core"), "restarts"));

    json_decref(st);
    return n;
}

START_TEST(test_status_line_follows_the_work)
{
    struct cb_client *c = it_connect(&it_current);
    char *before, *after = NULL;

    json_decref(it_call(c, "test", "ping", NULL));
    /* READY=1 came with a bare "Serving"; the first tick brings the counts. */
    before = instance_status_text();
    for (int i = 0; i < 300 && !strstr(before, "Serving core"); i++) {
        usleep(10000);
        free(before);
        before = instance_status_text();
    }
    ck_assert_msg(strstr(before, "Serving core"), "status '%s'", before);

    for (int i = 0; i < 5; i++) {
        json_decref(it_call(c, "test", "ping", NULL));
    }
    /* STATUS= is refreshed once a second, so the new count shows up on its own. */
    for (int i = 0; i < 300; i++) {
        free(after);
        after = instance_status_text();
        if (strcmp(after, before) != 0) {
            break;
        }
        usleep(10000);
    }
    ck_assert_msg(strcmp(after, before) != 0, "status stayed '%s'", before);
    free(before);
    free(after);
    cb_client_free(c);
}
END_TEST

START_TEST(test_busy_worker_keeps_watchdog_fed)
{
    struct cb_client *c = it_connect(&it_current);
    pid_t pid;
    long before;
    json_t *resp;

    json_decref(it_call(c, "test", "ping", NULL));
    pid = it_instance_pid(&it_current, "core");
    before = restarts();

    /* Three watchdog intervals of legitimate work, with the pool's other threads free. */
    resp = it_call(c, "test", "sleep", "{\"ms\": 3000}");
    ck_assert(cb_client_response_ok(resp));
    json_decref(resp);
    ck_assert_int_eq(it_instance_pid(&it_current, "core"), pid);
    ck_assert_int_eq(restarts(), before);
    cb_client_free(c);
}
END_TEST

START_TEST(test_stuck_pool_starves_watchdog)
{
    struct cb_client *a = it_connect(&it_current);
    struct cb_client *b = it_connect(&it_current);
    json_t *req, *resp = NULL;
    long before;
    pid_t pid;

    json_decref(it_call(a, "test", "ping", NULL));
    pid = it_instance_pid(&it_current, "core");
    before = restarts();

    /* The only worker sleeps; another session's call waits: nothing moves, so no pings. */
    req = json_pack("{s:i, s:s, s:s, s:{s:i}}", "id", 1, "module", "test", "function", "sleep",
                    "params", "ms", 9000);
    ck_assert_int_eq(cb_client_send(a, req), 0);
    json_decref(req);
    /* A call that needs a worker (a ping would be answered on the loop itself). */
    req = json_pack("{s:i, s:s, s:s, s:{s:i}}", "id", 2, "module", "test", "function", "sleep",
                    "params", "ms", 1);
    ck_assert_int_eq(cb_client_send(b, req), 0);
    json_decref(req);

    ck_assert_int_eq(cb_client_recv(a, 20000, &resp), 0);
    ck_assert_str_eq(it_code(resp), "E_UNAVAILABLE");
    ck_assert(json_is_true(json_object_get(resp, "outcome_unknown")));
    json_decref(resp);
    ck_assert(it_wait_gone(pid, 10000));
    for (int i = 0; i < 500 && restarts() == before; i++) {
        usleep(10000);
    }
    ck_assert_int_gt(restarts(), before);

    resp = it_call(a, "test", "ping", NULL);
    ck_assert(cb_client_response_ok(resp));
    json_decref(resp);
    cb_client_free(a);
    cb_client_free(b);
}
END_TEST

static void start_roomy(void)
{
    setenv("CB_IT_EXTRA_CONFIG", "", 1);
    it_fixture_start();
}

static void start_one_worker(void)
{
    setenv("CB_IT_EXTRA_CONFIG", "[workers]\nmin_threads = 1\nmax_threads = 1\nstall_seconds = 1",
           1);
    it_fixture_start();
}

static Suite *notify_suite(void)
{
    Suite *s = suite_create("notify");
    TCase *roomy = tcase_create("roomy");
    TCase *narrow = tcase_create("one-worker");

    /* A starved watchdog is timed against the work of a native-speed instance: make
     * check-valgrind leaves this case out (CK_EXCLUDE_TAGS=timing). */
    tcase_set_tags(narrow, "timing");

    tcase_add_unchecked_fixture(roomy, start_roomy, it_fixture_stop);
    tcase_set_timeout(roomy, 60);
    tcase_add_test(roomy, test_status_line_follows_the_work);
    tcase_add_test(roomy, test_busy_worker_keeps_watchdog_fed);
    suite_add_tcase(s, roomy);

    tcase_add_unchecked_fixture(narrow, start_one_worker, it_fixture_stop);
    tcase_set_timeout(narrow, 60);
    tcase_add_test(narrow, test_stuck_pool_starves_watchdog);
    suite_add_tcase(s, narrow);
    return s;
}

int main(void)
{
    setenv("CB_IT_WATCHDOG_SEC", "1", 1);
    return it_run(notify_suite());
}
