/* SPDX-License-Identifier: MIT */
/* Unit tests of tests/client/cb-client.c against in-process fake servers and /bin/cat. */
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/cb-frame.h"
#include "common/cb-json.h"
#include "tests/client/cb-client.h"

#define CLIENT_TIMEOUT_S 15
#define TOKEN            "0123456789abcdef0123456789abcdef"

typedef void (*server_fn)(int fd);

static char tmpdir[64];
static char sock_path[100];
static int listen_fd = -1;
static pthread_t server_thread;
static server_fn server_script;

static void server_setup(void)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };

    snprintf(tmpdir, sizeof tmpdir, "/tmp/test-cb-client-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
    snprintf(sock_path, sizeof sock_path, "%s/s.sock", tmpdir);
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", sock_path);

    listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ck_assert_int_ge(listen_fd, 0);
    ck_assert_int_eq(bind(listen_fd, (struct sockaddr *)&sa, sizeof sa), 0);
    ck_assert_int_eq(listen(listen_fd, 4), 0);
    signal(SIGPIPE, SIG_IGN);
}

static void server_teardown(void)
{
    close(listen_fd);
    unlink(sock_path);
    rmdir(tmpdir);
}

static void *server_main(void *userdata)
{
    int fd = accept(listen_fd, NULL, NULL);

    (void)userdata;
    if (fd >= 0) {
        server_script(fd);
        close(fd);
    }
    return NULL;
}

static struct cb_client *start(server_fn script)
{
    struct cb_client *c = NULL;

    server_script = script;
    ck_assert_int_eq(pthread_create(&server_thread, NULL, server_main, NULL), 0);
    ck_assert_int_eq(cb_client_connect(sock_path, 2000, &c), 0);
    return c;
}

static void finish(struct cb_client *c)
{
    cb_client_free(c);
    ck_assert_int_eq(pthread_join(server_thread, NULL), 0);
}

/* Reads one request frame and answers it with the same id, or a changed one. */
static json_t *read_request(int fd)
{
    struct cb_error err = CB_ERROR_INIT;
    char *payload = NULL;
    json_t *v = NULL;
    size_t len;

    if (cb_frame_read_fd(fd, CB_FRAME_DEFAULT_LIMIT, &payload, &len) != 1) {
        return NULL;
    }
    (void)cb_json_parse(payload, len, &v, &err);
    cb_error_clear(&err);
    free(payload);
    return v;
}

static void answer(int fd, json_t *id, json_t *result)
{
    json_t *r = json_pack("{s:O, s:b, s:o}", "id", id, "success", 1, "result", result);
    size_t len;
    char *s = cb_json_dump(r, &len);

    (void)cb_frame_write_fd(fd, s, len);
    free(s);
    json_decref(r);
}

/* Answers each request with the request itself as the result, until EOF. */
static void script_mirror(int fd)
{
    json_t *req;

    while ((req = read_request(fd))) {
        answer(fd, json_object_get(req, "id"), json_incref(req));
        json_decref(req);
    }
}

static void script_wrong_id(int fd)
{
    json_t *req = read_request(fd);
    json_t *id = json_integer(999);

    answer(fd, id, json_object());
    json_decref(id);
    json_decref(req);
}

static void script_silent(int fd)
{
    char b;

    /* Holds the connection open until the client leaves. */
    while (read(fd, &b, 1) > 0) {
    }
}

static void script_close(int fd)
{
    (void)fd;
}

static void script_zero_then_frame(int fd)
{
    (void)cb_write_full(fd, "\0\0\0\0", 4);
    (void)cb_frame_write_fd(fd, "{\"n\":1}", 7);
    script_silent(fd);
}

static void script_over_limit(int fd)
{
    char h[4] = { 0x04, 0x00, 0x00, 0x01 }; /* 64 MiB + 1 */

    (void)cb_write_full(fd, h, sizeof h);
    script_silent(fd);
}

static void script_dribble(int fd)
{
    static const char frame[] = "\0\0\0\x0a{\"id\":\"x\"}";

    for (size_t i = 0; i < sizeof frame - 1; i++) {
        (void)cb_write_full(fd, frame + i, 1);
        usleep(1000);
    }
    script_silent(fd);
}

static void script_eof_mid_frame(int fd)
{
    (void)cb_write_full(fd, "\0\0\0\x10{\"id\"", 9);
}

/* Copies the raw bytes it receives into a frame of their own, after the client half-closes. */
static void script_collect_until_eof(int fd)
{
    char buf[256];
    size_t n = 0;
    ssize_t k;

    while (n < sizeof buf && (k = read(fd, buf + n, sizeof buf - n)) > 0) {
        n += (size_t)k;
    }
    (void)cb_frame_write_fd(fd, buf, n);
}

/*
 * Sends until a send fails, for up to 2 s. The kernel may release an exiting peer's stdout
 * before its stdin, so EOF can be seen a moment before writes start to fail.
 */
static int send_until_refused(struct cb_client *c, const json_t *req)
{
    int r = 0;

    for (int i = 0; i < 200 && r == 0; i++) {
        r = cb_client_send(c, req);
        if (r == 0) {
            usleep(10 * 1000);
        }
    }
    return r;
}

START_TEST(test_cb_client_call_round_trip)
{
    struct cb_client *c = start(script_mirror);
    json_t *resp = NULL, *req;

    ck_assert_uint_eq(cb_client_next_id(c), 1);
    ck_assert_int_eq(cb_client_call(c, "test", "ping", json_pack("{s:i}", "a", 1), &resp), 0);
    ck_assert(cb_client_response_ok(resp));
    req = json_object_get(resp, "result");
    ck_assert_int_eq(json_integer_value(json_object_get(req, "id")), 1);
    ck_assert_str_eq(json_string_value(json_object_get(req, "module")), "test");
    ck_assert_str_eq(json_string_value(json_object_get(req, "function")), "ping");
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(req, "params"), "a")), 1);
    ck_assert_ptr_null(json_object_get(req, "session"));
    json_decref(resp);

    ck_assert_uint_eq(cb_client_next_id(c), 2);
    ck_assert_int_eq(cb_client_call(c, "test", "echo", NULL, &resp), 0);
    req = json_object_get(resp, "result");
    ck_assert_int_eq(json_integer_value(json_object_get(req, "id")), 2);
    ck_assert_uint_eq(json_object_size(json_object_get(req, "params")), 0);
    json_decref(resp);
    finish(c);
}
END_TEST

START_TEST(test_cb_client_call_sends_session)
{
    struct cb_client *c = start(script_mirror);
    json_t *resp = NULL;

    ck_assert_int_eq(cb_client_set_session(c, TOKEN), 0);
    ck_assert_int_eq(cb_client_call(c, "test", "ping", NULL, &resp), 0);
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(resp, "result"), "session")),
                     TOKEN);
    json_decref(resp);

    ck_assert_int_eq(cb_client_set_session(c, NULL), 0);
    ck_assert_int_eq(cb_client_call(c, "test", "ping", NULL, &resp), 0);
    ck_assert_ptr_null(json_object_get(json_object_get(resp, "result"), "session"));
    json_decref(resp);
    finish(c);
}
END_TEST

START_TEST(test_cb_client_call_wrong_id)
{
    struct cb_client *c = start(script_wrong_id);
    json_t *resp = NULL;

    ck_assert_int_eq(cb_client_call(c, "test", "ping", NULL, &resp), -EPROTO);
    ck_assert_ptr_null(resp);
    finish(c);
}
END_TEST

START_TEST(test_cb_client_call_timeout)
{
    struct cb_client *c = start(script_silent);
    json_t *resp = NULL;

    cb_client_set_timeout(c, 100);
    ck_assert_int_eq(cb_client_call(c, "test", "sleep", NULL, &resp), -ETIMEDOUT);
    ck_assert_ptr_null(resp);
    finish(c);
}
END_TEST

START_TEST(test_cb_client_recv_eof)
{
    struct cb_client *c = start(script_close);
    json_t *resp = NULL;

    ck_assert_int_eq(cb_client_recv(c, 2000, &resp), -EPIPE);
    ck_assert_int_eq(cb_client_recv(c, 2000, &resp), -EPIPE);
    finish(c);
}
END_TEST

START_TEST(test_cb_client_recv_eof_mid_frame)
{
    struct cb_client *c = start(script_eof_mid_frame);
    json_t *resp = NULL;

    ck_assert_int_eq(cb_client_recv(c, 2000, &resp), -EPIPE);
    finish(c);
}
END_TEST

START_TEST(test_cb_client_recv_zero_length_then_frame)
{
    struct cb_client *c = start(script_zero_then_frame);
    json_t *resp = NULL;

    ck_assert_int_eq(cb_client_recv(c, 2000, &resp), -EBADMSG);
    ck_assert_int_eq(cb_client_recv(c, 2000, &resp), 0);
    ck_assert_int_eq(json_integer_value(json_object_get(resp, "n")), 1);
    json_decref(resp);
    finish(c);
}
END_TEST

START_TEST(test_cb_client_recv_over_limit)
{
    struct cb_client *c = start(script_over_limit);
    json_t *resp = NULL;

    ck_assert_int_eq(cb_client_recv(c, 2000, &resp), -E2BIG);
    /* The stream cannot be resynchronised, so it stays refused. */
    ck_assert_int_eq(cb_client_recv(c, 2000, &resp), -E2BIG);
    finish(c);
}
END_TEST

START_TEST(test_cb_client_recv_frame_in_pieces)
{
    struct cb_client *c = start(script_dribble);
    char *payload = NULL;
    size_t len = 0;

    ck_assert_int_eq(cb_client_recv_frame(c, 5000, &payload, &len), 0);
    ck_assert_uint_eq(len, 10);
    ck_assert_str_eq(payload, "{\"id\":\"x\"}");
    free(payload);
    finish(c);
}
END_TEST

START_TEST(test_cb_client_send_raw_and_half_close)
{
    struct cb_client *c = start(script_collect_until_eof);
    char *payload = NULL;
    size_t len = 0;

    ck_assert_int_eq(cb_client_send_raw(c, "\0\0\0\0broken", 10), 0);
    ck_assert_int_eq(cb_client_shutdown_write(c), 0);
    /* The peer saw EOF and still answered: half-closing keeps the read side. */
    ck_assert_int_eq(cb_client_recv_frame(c, 2000, &payload, &len), 0);
    ck_assert_uint_eq(len, 10);
    ck_assert_mem_eq(payload, "\0\0\0\0broken", 10);
    free(payload);
    finish(c);
}
END_TEST

START_TEST(test_cb_client_send_to_closed_peer)
{
    struct cb_client *c = start(script_close);
    json_t *req = json_pack("{s:i}", "id", 1);
    char *payload;
    size_t len;
    int r;

    ck_assert_int_eq(pthread_join(server_thread, NULL), 0);
    ck_assert_int_eq(cb_client_recv_frame(c, 2000, &payload, &len), -EPIPE);
    /* The first write may still land in the socket buffer; a later one must fail. */
    r = send_until_refused(c, req);
    ck_assert_int_eq(r, -EPIPE);
    json_decref(req);
    cb_client_free(c);
}
END_TEST

START_TEST(test_cb_client_connect_missing_socket)
{
    struct cb_client *c = NULL;
    char path[160];

    snprintf(path, sizeof path, "%s/none.sock", tmpdir);
    ck_assert_int_eq(cb_client_connect(path, 500, &c), -ENOENT);
    ck_assert_ptr_null(c);
}
END_TEST

START_TEST(test_cb_client_connect_refused)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    struct cb_client *c = NULL;
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);

    /* A socket file nobody listens on, as a dead server leaves behind. */
    snprintf(sa.sun_path, sizeof sa.sun_path, "%.60s/dead.sock", tmpdir);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    ck_assert_int_eq(cb_client_connect(sa.sun_path, 500, &c), -ECONNREFUSED);
    ck_assert_ptr_null(c);
    close(fd);
    unlink(sa.sun_path);
}
END_TEST

START_TEST(test_cb_client_connect_path_too_long)
{
    struct cb_client *c = NULL;
    char path[200];

    memset(path, 'a', sizeof path - 1);
    path[0] = '/';
    path[sizeof path - 1] = '\0';
    ck_assert_int_eq(cb_client_connect(path, 500, &c), -ENAMETOOLONG);
    ck_assert_int_eq(cb_client_connect("", 500, &c), -EINVAL);
    ck_assert_ptr_null(c);
}
END_TEST

START_TEST(test_cb_client_default_socket_from_environment)
{
    unsetenv("CPAN_BRIDGE_SOCKET");
    ck_assert_str_eq(cb_client_default_socket(), CB_CLIENT_SOCKET_DEFAULT);
    setenv("CPAN_BRIDGE_SOCKET", "", 1);
    ck_assert_str_eq(cb_client_default_socket(), CB_CLIENT_SOCKET_DEFAULT);
    setenv("CPAN_BRIDGE_SOCKET", "/tmp/other.sock", 1);
    ck_assert_str_eq(cb_client_default_socket(), "/tmp/other.sock");
    unsetenv("CPAN_BRIDGE_SOCKET");
}
END_TEST

START_TEST(test_cb_client_spawn_exec_cat_echoes)
{
    struct cb_client *c = NULL;
    json_t *req = json_pack("{s:i, s:s}", "id", 5, "data", "x"), *resp = NULL;
    int status = -1;

    /* cat sends every frame back unchanged: the request itself comes back as the answer. */
    ck_assert_int_eq(cb_client_spawn_exec("/bin/cat", &c), 0);
    ck_assert_int_gt(cb_client_pid(c), 0);
    ck_assert_int_eq(cb_client_send(c, req), 0);
    ck_assert_int_eq(cb_client_recv(c, 5000, &resp), 0);
    ck_assert(json_equal(req, resp));
    json_decref(resp);

    ck_assert_int_eq(cb_client_wait_exit(c, 5000, &status), 0);
    ck_assert(WIFEXITED(status));
    ck_assert_int_eq(WEXITSTATUS(status), 0);
    ck_assert_int_eq(cb_client_pid(c), -1);
    ck_assert_int_eq(cb_client_wait_exit(c, 5000, &status), -ECHILD);
    json_decref(req);
    cb_client_free(c);
}
END_TEST

START_TEST(test_cb_client_spawn_exec_call_through_cat)
{
    struct cb_client *c = NULL;
    json_t *resp = NULL;

    ck_assert_int_eq(cb_client_spawn_exec("/bin/cat", &c), 0);
    ck_assert_int_eq(cb_client_call(c, "test", "ping", NULL, &resp), 0);
    ck_assert_str_eq(json_string_value(json_object_get(resp, "module")), "test");
    json_decref(resp);
    cb_client_free(c);
}
END_TEST

START_TEST(test_cb_client_spawn_exec_missing_program)
{
    struct cb_client *c = NULL;

    ck_assert_int_eq(cb_client_spawn_exec("/nonexistent/cpan-bridge-exec", &c), -ENOENT);
    ck_assert_ptr_null(c);
}
END_TEST

START_TEST(test_cb_client_spawn_exec_child_gone_is_epipe)
{
    struct cb_client *c = NULL;
    json_t *req = json_pack("{s:i}", "id", 1), *resp = NULL;
    char dir[] = "/tmp/test-cb-client-exec-XXXXXX", script[64];
    int status = -1;
    FILE *f;

    /*
     * The child closes its stdin, then its stdout, and lives on: once we read EOF its stdin
     * has no reader, without depending on the order in which an exiting process's files are
     * released.
     */
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(script, sizeof script, "%s/gone.sh", dir);
    f = fopen(script, "we");
    ck_assert_ptr_nonnull(f);
    fputs("#!/bin/sh\nexec 0<&- 1>&-\nsleep 0.2\n", f);
    ck_assert_int_eq(fclose(f), 0);
    ck_assert_int_eq(chmod(script, 0700), 0);

    /* No SIGPIPE handler here: the client must not let the signal kill us. */
    signal(SIGPIPE, SIG_DFL);
    ck_assert_int_eq(cb_client_spawn_exec(script, &c), 0);
    ck_assert_int_eq(cb_client_recv(c, 5000, &resp), -EPIPE);
    ck_assert_int_eq(cb_client_send(c, req), -EPIPE);
    ck_assert_int_eq(cb_client_send_raw(c, "x", 1), -EPIPE);

    ck_assert_int_eq(cb_client_wait_exit(c, 5000, &status), 0);
    ck_assert(WIFEXITED(status));
    json_decref(req);
    cb_client_free(c);
    unlink(script);
    rmdir(dir);
}
END_TEST

static Suite *client_suite(void)
{
    Suite *s = suite_create("cb-client");
    TCase *tc;

    tc = tcase_create("calls");
    tcase_set_timeout(tc, CLIENT_TIMEOUT_S);
    tcase_add_checked_fixture(tc, server_setup, server_teardown);
    tcase_add_test(tc, test_cb_client_call_round_trip);
    tcase_add_test(tc, test_cb_client_call_sends_session);
    tcase_add_test(tc, test_cb_client_call_wrong_id);
    tcase_add_test(tc, test_cb_client_call_timeout);
    suite_add_tcase(s, tc);

    tc = tcase_create("frames");
    tcase_set_timeout(tc, CLIENT_TIMEOUT_S);
    tcase_add_checked_fixture(tc, server_setup, server_teardown);
    tcase_add_test(tc, test_cb_client_recv_eof);
    tcase_add_test(tc, test_cb_client_recv_eof_mid_frame);
    tcase_add_test(tc, test_cb_client_recv_zero_length_then_frame);
    tcase_add_test(tc, test_cb_client_recv_over_limit);
    tcase_add_test(tc, test_cb_client_recv_frame_in_pieces);
    tcase_add_test(tc, test_cb_client_send_raw_and_half_close);
    tcase_add_test(tc, test_cb_client_send_to_closed_peer);
    suite_add_tcase(s, tc);

    tc = tcase_create("connect");
    tcase_set_timeout(tc, CLIENT_TIMEOUT_S);
    tcase_add_checked_fixture(tc, server_setup, server_teardown);
    tcase_add_test(tc, test_cb_client_connect_missing_socket);
    tcase_add_test(tc, test_cb_client_connect_refused);
    tcase_add_test(tc, test_cb_client_connect_path_too_long);
    tcase_add_test(tc, test_cb_client_default_socket_from_environment);
    suite_add_tcase(s, tc);

    tc = tcase_create("exec");
    tcase_set_timeout(tc, CLIENT_TIMEOUT_S);
    tcase_add_test(tc, test_cb_client_spawn_exec_cat_echoes);
    tcase_add_test(tc, test_cb_client_spawn_exec_call_through_cat);
    tcase_add_test(tc, test_cb_client_spawn_exec_missing_program);
    tcase_add_test(tc, test_cb_client_spawn_exec_child_gone_is_epipe);
    suite_add_tcase(s, tc);

    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(client_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
