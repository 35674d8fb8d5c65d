/* SPDX-License-Identifier: MIT */
/* Integration: per-uid limits answer E_THROTTLED naming the limit, with retry_after_ms. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/integration/it-harness.h"

static void assert_throttled(json_t *resp, const char *limit)
{
    const char *error = json_string_value(json_object_get(resp, "error"));

    ck_assert_str_eq(it_code(resp), "E_THROTTLED");
    ck_assert_msg(error && strstr(error, limit), "'%s' does not name %s", error, limit);
    ck_assert(json_is_true(json_object_get(resp, "retryable")));
    ck_assert_int_gt(json_integer_value(json_object_get(resp, "retry_after_ms")), 0);
}

START_TEST(test_connections_per_uid)
{
    struct cb_client *c[4];
    json_t *resp;
    char *payload;
    size_t len;

    for (int i = 0; i < 4; i++) {
        c[i] = it_connect(&it_current);
    }
    for (int i = 0; i < 3; i++) {
        resp = it_call(c[i], "test", "ping", NULL);
        ck_assert(cb_client_response_ok(resp));
        json_decref(resp);
    }
    /* The fourth connected, hears why on its first request, and is closed. */
    resp = it_call(c[3], "test", "ping", NULL);
    assert_throttled(resp, "max_connections_per_uid");
    json_decref(resp);
    ck_assert_int_eq(cb_client_recv_frame(c[3], 5000, &payload, &len), -EPIPE);
    cb_client_free(c[3]);

    cb_client_free(c[0]);
    usleep(100000); /* let the router see the close */
    c[0] = it_connect(&it_current);
    resp = it_call(c[0], "test", "ping", NULL);
    ck_assert(cb_client_response_ok(resp));
    json_decref(resp);
    for (int i = 0; i < 3; i++) {
        cb_client_free(c[i]);
    }
}
END_TEST

/* A connection refused at accept still answers later: the uid's record must outlive every
 * counted connection closing first (it was freed under the refused one: ASan saw it). */
START_TEST(test_refused_connection_outlives_the_counted_ones)
{
    struct cb_client *c[4];
    json_t *resp;

    usleep(100000); /* the previous test's connections are closed by now */
    for (int i = 0; i < 4; i++) {
        c[i] = it_connect(&it_current);
    }
    for (int i = 0; i < 3; i++) {
        resp = it_call(c[i], "test", "ping", NULL);
        ck_assert(cb_client_response_ok(resp));
        json_decref(resp);
        cb_client_free(c[i]);
    }
    usleep(100000); /* let the router see the closes */
    resp = it_call(c[3], "test", "ping", NULL);
    assert_throttled(resp, "max_connections_per_uid");
    json_decref(resp);
    cb_client_free(c[3]);
}
END_TEST

START_TEST(test_inflight_per_uid)
{
    struct cb_client *c = it_connect(&it_current);
    json_t *resp = NULL;
    int throttled = 0, ok = 0;

    for (int i = 0; i < 3; i++) {
        json_t *req = json_pack("{s:i, s:s, s:s, s:{s:i}}", "id", i, "module", "test", "function",
                                "sleep", "params", "ms", 500);

        ck_assert_int_eq(cb_client_send(c, req), 0);
        json_decref(req);
    }
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(cb_client_recv(c, 10000, &resp), 0);
        if (cb_client_response_ok(resp)) {
            ok++;
        } else {
            assert_throttled(resp, "max_inflight_per_uid");
            throttled++;
        }
        json_decref(resp);
    }
    ck_assert_int_eq(ok, 2);
    ck_assert_int_eq(throttled, 1);
    cb_client_free(c);
}
END_TEST

START_TEST(test_handles_per_uid)
{
    struct cb_client *c = it_connect(&it_current);
    json_t *resp;

    for (int i = 0; i < 2; i++) {
        resp = it_call(c, "test", "hold", NULL);
        ck_assert(cb_client_response_ok(resp));
        json_decref(resp);
    }
    resp = it_call(c, "test", "hold", NULL);
    assert_throttled(resp, "max_handles_per_uid");
    json_decref(resp);
    cb_client_free(c);
}
END_TEST

START_TEST(test_request_rate_per_uid)
{
    struct cb_client *c = it_connect(&it_current);
    int throttled = 0;
    int64_t wait = 0;

    /* A bucket of 5 that refills at 1 a second cannot answer 12 quick calls. */
    for (int i = 0; i < 12; i++) {
        json_t *resp = it_call(c, "test", "ping", NULL);

        if (!cb_client_response_ok(resp)) {
            assert_throttled(resp, "max_requests_per_second");
            wait = json_integer_value(json_object_get(resp, "retry_after_ms"));
            throttled++;
        }
        json_decref(resp);
    }
    ck_assert_int_ge(throttled, 5);

    /* Waiting as told is enough. */
    usleep((useconds_t)(wait + 50) * 1000);
    json_t *resp = it_call(c, "test", "ping", NULL);
    ck_assert(cb_client_response_ok(resp));
    json_decref(resp);
    cb_client_free(c);
}
END_TEST

static void start_narrow(void)
{
    setenv("CB_IT_EXTRA_CONFIG",
           "max_connections_per_uid = 3\nmax_inflight_per_uid = 2\nmax_handles_per_uid = 2\n", 1);
    it_fixture_start();
}

static void start_slow_rate(void)
{
    setenv("CB_IT_EXTRA_CONFIG", "max_requests_per_second = 1\nrequest_burst = 5\n", 1);
    it_fixture_start();
}

static Suite *limits_suite(void)
{
    Suite *s = suite_create("limits");
    TCase *narrow = tcase_create("narrow");
    TCase *rate = tcase_create("rate");

    tcase_add_unchecked_fixture(narrow, start_narrow, it_fixture_stop);
    tcase_set_timeout(narrow, 60);
    tcase_add_test(narrow, test_connections_per_uid);
    tcase_add_test(narrow, test_refused_connection_outlives_the_counted_ones);
    tcase_add_test(narrow, test_inflight_per_uid);
    tcase_add_test(narrow, test_handles_per_uid);
    suite_add_tcase(s, narrow);

    tcase_add_unchecked_fixture(rate, start_slow_rate, it_fixture_stop);
    tcase_set_timeout(rate, 60);
    tcase_add_test(rate, test_request_rate_per_uid);
    suite_add_tcase(s, rate);
    return s;
}

int main(void)
{
    return it_run(limits_suite());
}
