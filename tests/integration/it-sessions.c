/* SPDX-License-Identifier: MIT */
/* Integration: sessions run concurrently, a session runs in order, ids survive pipelining. */
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/integration/it-harness.h"

#define PIPE_CLIENTS  8
#define PIPE_REQUESTS 400
#define PIPE_DEPTH    32

static json_t *request(json_t *id,
                       const char *module,
                       const char *function,
                       json_t *params,
                       const char *session)
{
    json_t *r = json_pack("{s:o, s:s, s:s, s:o}", "id", id, "module", module, "function", function,
                          "params", params ? params : json_object());

    if (session) {
        json_object_set_new(r, "session", json_string(session));
    }
    return r;
}

static void send_request(struct cb_client *c, json_t *req)
{
    ck_assert_int_eq(cb_client_send(c, req), 0);
    json_decref(req);
}

static json_t *recv_one(struct cb_client *c, int timeout_ms)
{
    json_t *resp = NULL;
    int r = cb_client_recv(c, timeout_ms, &resp);

    ck_assert_msg(r == 0, "recv: %s", strerror(-r));
    return resp;
}

START_TEST(test_slow_session_does_not_delay_another)
{
    char slow[33], fast[33];
    struct cb_client *a = it_connect(&it_current);
    struct cb_client *b = it_connect(&it_current);
    json_t *resp;

    it_token(slow);
    it_token(fast);
    send_request(a,
                 request(json_integer(1), "test", "sleep", json_pack("{s:i}", "ms", 3000), slow));

    /* Behaviour, not timing: b's ping is answered while a's sleep is still unanswered. */
    send_request(b, request(json_integer(2), "test", "ping", NULL, fast));
    resp = recv_one(b, 10000);
    ck_assert(cb_client_response_ok(resp));
    json_decref(resp);
    ck_assert_int_eq(cb_client_recv(a, 0, &resp), -ETIMEDOUT);

    resp = recv_one(a, 10000);
    ck_assert(cb_client_response_ok(resp));
    ck_assert_int_eq(json_integer_value(json_object_get(resp, "id")), 1);
    json_decref(resp);
    cb_client_free(a);
    cb_client_free(b);
}
END_TEST

START_TEST(test_one_session_runs_in_order)
{
    struct cb_client *c = it_connect(&it_current);
    char token[33];
    json_t *resp;

    it_token(token);
    send_request(c,
                 request(json_integer(1), "test", "sleep", json_pack("{s:i}", "ms", 300), token));
    send_request(c, request(json_integer(2), "test", "counter", NULL, token));
    send_request(c, request(json_integer(3), "test", "counter", NULL, token));

    for (int want = 1; want <= 3; want++) {
        resp = recv_one(c, 10000);
        ck_assert_int_eq(json_integer_value(json_object_get(resp, "id")), want);
        if (want > 1) {
            json_t *v = json_object_get(json_object_get(resp, "result"), "value");

            ck_assert_int_eq(json_integer_value(v), want - 1);
        }
        json_decref(resp);
    }
    cb_client_free(c);
}
END_TEST

START_TEST(test_counter_is_per_session)
{
    struct cb_client *a = it_connect(&it_current);
    struct cb_client *b = it_connect(&it_current);
    char ta[33], tb[33];
    json_t *resp;

    it_token(ta);
    it_token(tb);
    cb_client_set_session(a, ta);
    cb_client_set_session(b, tb);
    for (int i = 1; i <= 3; i++) {
        resp = it_call(a, "test", "counter", NULL);
        ck_assert_int_eq(
                json_integer_value(json_object_get(json_object_get(resp, "result"), "value")), i);
        json_decref(resp);
    }
    resp = it_call(b, "test", "counter", NULL);
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(resp, "result"), "value")),
                     1);
    json_decref(resp);
    cb_client_free(a);
    cb_client_free(b);
}
END_TEST

static const char *hold(struct cb_client *c, json_t **keep)
{
    json_t *resp = it_call(c, "test", "hold", NULL);

    ck_assert(cb_client_response_ok(resp));
    *keep = resp;
    return json_string_value(json_object_get(json_object_get(resp, "result"), "handle_id"));
}

static bool held(struct cb_client *c, const char *id)
{
    char params[200];
    json_t *resp;
    bool exists;

    snprintf(params, sizeof params, "{\"handle_id\": \"%s\"}", id);
    resp = it_call(c, "test", "held", params);
    ck_assert(cb_client_response_ok(resp));
    exists = json_is_true(json_object_get(json_object_get(resp, "result"), "exists"));
    json_decref(resp);
    return exists;
}

START_TEST(test_handle_ends_with_its_session)
{
    struct cb_client *owner = it_connect(&it_current);
    struct cb_client *probe = it_connect(&it_current);
    json_t *keep;
    const char *id = hold(owner, &keep);
    bool gone = false;

    ck_assert(held(probe, id));
    cb_client_free(owner);

    /* The router tells the instance once the session's last connection closed. */
    for (int i = 0; i < 500 && !gone; i++) {
        gone = !held(probe, id);
        if (!gone) {
            usleep(10000);
        }
    }
    ck_assert_msg(gone, "handle %s outlived its session", id);
    json_decref(keep);
    cb_client_free(probe);
}
END_TEST

START_TEST(test_session_spans_connections)
{
    struct cb_client *first = it_connect(&it_current);
    struct cb_client *second = it_connect(&it_current);
    char token[33], params[200];
    json_t *keep, *resp;
    const char *id;

    it_token(token);
    cb_client_set_session(first, token);
    cb_client_set_session(second, token);
    id = hold(first, &keep);
    json_decref(it_call(second, "test", "ping", NULL)); /* second now holds the session too */
    cb_client_free(first);

    /* Another connection of the same session keeps it, and its handles, alive. */
    ck_assert(held(second, id));
    snprintf(params, sizeof params, "{\"handle_id\": \"%s\"}", id);
    resp = it_call(second, "test", "release", params);
    ck_assert_msg(cb_client_response_ok(resp), "%s", it_code(resp));
    ck_assert_str_eq(
            json_string_value(json_object_get(json_object_get(resp, "result"), "handle_id")), id);
    json_decref(resp);

    resp = it_call(second, "test", "release", params);
    ck_assert_str_eq(it_code(resp), "E_HANDLE");
    json_decref(resp);
    json_decref(keep);
    cb_client_free(second);
}
END_TEST

START_TEST(test_released_handle_says_why)
{
    struct cb_client *c = it_connect(&it_current);
    char params[200];
    json_t *keep, *resp;
    const char *id = hold(c, &keep);

    snprintf(params, sizeof params, "{\"handle_id\": \"%s\"}", id);
    resp = it_call(c, "test", "release", params);
    ck_assert(cb_client_response_ok(resp));
    json_decref(resp);
    resp = it_call(c, "test", "release", params);
    ck_assert_str_eq(it_code(resp), "E_HANDLE");
    ck_assert(strstr(json_string_value(json_object_get(resp, "error")), "released"));
    json_decref(resp);
    json_decref(keep);
    cb_client_free(c);
}
END_TEST

struct pipe_worker {
    int index;
    int errors;
};

static void *pipeline_client(void *userdata)
{
    struct pipe_worker *w = userdata;
    struct cb_client *c = NULL;
    int sent = 0, received = 0;

    if (cb_client_connect(it_current.socket, 10000, &c) < 0) {
        w->errors++;
        return NULL;
    }
    while (received < PIPE_REQUESTS) {
        while (sent < PIPE_REQUESTS && sent - received < PIPE_DEPTH) {
            char sid[32];
            /* Every other id is a string: both kinds must come back exactly. */
            json_t *id = sent % 2 ? json_integer(sent)
                                  : json_string((snprintf(sid, sizeof sid, "s-%d", sent), sid));
            json_t *req = request(id, "test", "echo",
                                  json_pack("{s:i, s:i}", "client", w->index, "seq", sent), NULL);

            if (cb_client_send(c, req) < 0) {
                w->errors++;
            }
            json_decref(req);
            sent++;
        }

        json_t *resp = NULL;
        if (cb_client_recv(c, 30000, &resp) < 0) {
            w->errors++;
            break;
        }
        json_t *r = json_object_get(resp, "result");
        int seq = (int)json_integer_value(json_object_get(r, "seq"));
        json_t *id = json_object_get(resp, "id");
        bool id_ok = seq % 2 ? json_is_integer(id) && json_integer_value(id) == seq
                             : json_is_string(id) && atoi(json_string_value(id) + 2) == seq;

        /* One session per connection, so answers come back in the order sent. */
        if (!id_ok || seq != received ||
            json_integer_value(json_object_get(r, "client")) != w->index) {
            w->errors++;
        }
        json_decref(resp);
        received++;
    }
    cb_client_free(c);
    return NULL;
}

START_TEST(test_ids_rewritten_under_pipelining)
{
    pthread_t threads[PIPE_CLIENTS];
    struct pipe_worker workers[PIPE_CLIENTS];

    for (int i = 0; i < PIPE_CLIENTS; i++) {
        workers[i] = (struct pipe_worker){ .index = i };
        ck_assert_int_eq(pthread_create(&threads[i], NULL, pipeline_client, &workers[i]), 0);
    }
    for (int i = 0; i < PIPE_CLIENTS; i++) {
        pthread_join(threads[i], NULL);
        ck_assert_msg(workers[i].errors == 0, "client %d saw %d wrong answers", i,
                      workers[i].errors);
    }
}
END_TEST

START_TEST(test_stats_count_requests)
{
    struct cb_client *c = it_connect(&it_current);
    json_t *before = it_call(c, "system", "stats", NULL), *after, *resp;
    json_int_t processed, failed, rejected;

    for (int i = 0; i < 10; i++) {
        json_decref(it_call(c, "test", "ping", NULL));
    }
    resp = it_call(c, "nonexistent", "function", NULL);
    json_decref(resp);
    resp = it_call(c, "test", "error", NULL);
    json_decref(resp);

    after = it_call(c, "test", "stats", NULL);
    processed = json_integer_value(
                        json_object_get(json_object_get(after, "result"), "requests_processed")) -
                json_integer_value(
                        json_object_get(json_object_get(before, "result"), "requests_processed"));
    failed = json_integer_value(
                     json_object_get(json_object_get(after, "result"), "requests_failed")) -
             json_integer_value(
                     json_object_get(json_object_get(before, "result"), "requests_failed"));
    rejected = json_integer_value(
                       json_object_get(json_object_get(after, "result"), "requests_rejected")) -
               json_integer_value(
                       json_object_get(json_object_get(before, "result"), "requests_rejected"));
    /* The first stats call counts once answered; the second is being answered. */
    ck_assert_int_eq(processed, 13);
    ck_assert_int_eq(failed, 2);
    ck_assert_int_eq(rejected, 1);
    json_decref(before);
    json_decref(after);
    cb_client_free(c);
}
END_TEST

START_TEST(test_timeout_ms_bounds_a_call)
{
    struct cb_client *c = it_connect(&it_current);
    json_t *req = json_pack("{s:i, s:s, s:s, s:{s:i}, s:i}", "id", 5, "module", "test", "function",
                            "sleep", "params", "ms", 3000, "timeout_ms", 200);
    json_t *resp = NULL;

    ck_assert_int_eq(cb_client_send(c, req), 0);
    json_decref(req);
    /* Answered well before the sleep ends: behaviour, the answer comes first. */
    ck_assert_int_eq(cb_client_recv(c, 2500, &resp), 0);
    ck_assert_int_eq(json_integer_value(json_object_get(resp, "id")), 5);
    ck_assert_str_eq(it_code(resp), "E_TIMEOUT");
    ck_assert(json_is_false(json_object_get(resp, "retryable")));
    json_decref(resp);

    /* The late answer is dropped; the session goes on. */
    resp = it_call(c, "test", "ping", NULL);
    ck_assert(cb_client_response_ok(resp));
    ck_assert_int_ne(json_integer_value(json_object_get(resp, "id")), 5);
    json_decref(resp);
    cb_client_free(c);
}
END_TEST

static Suite *sessions_suite(void)
{
    Suite *s = suite_create("sessions");
    TCase *tc = tcase_create("concurrency");

    tcase_add_unchecked_fixture(tc, it_fixture_start, it_fixture_stop);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_slow_session_does_not_delay_another);
    tcase_add_test(tc, test_one_session_runs_in_order);
    tcase_add_test(tc, test_counter_is_per_session);
    tcase_add_test(tc, test_handle_ends_with_its_session);
    tcase_add_test(tc, test_session_spans_connections);
    tcase_add_test(tc, test_released_handle_says_why);
    tcase_add_test(tc, test_ids_rewritten_under_pipelining);
    tcase_add_test(tc, test_stats_count_requests);
    tcase_add_test(tc, test_timeout_ms_bounds_a_call);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return it_run(sessions_suite());
}
