/* SPDX-License-Identifier: MIT */
/* Unit tests of common/cb-frame.c: incremental framing and the blocking helpers. */
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/cb-buf.h"
#include "common/cb-frame.h"
#include "common/cb-macro.h"

#define SOCKET_TIMEOUT_S 10

static void put_header(char *p, uint32_t n)
{
    p[0] = (char)(n >> 24);
    p[1] = (char)(n >> 16);
    p[2] = (char)(n >> 8);
    p[3] = (char)n;
}

static void append_header(struct cb_buf *b, uint32_t n)
{
    char h[CB_FRAME_HEADER_SIZE];

    put_header(h, n);
    ck_assert_int_eq(cb_buf_append(b, h, sizeof h), 0);
}

START_TEST(test_cb_frame_next_whole_frame)
{
    struct cb_buf b = { 0 };
    const char *payload = NULL;
    size_t len = 0;

    ck_assert_int_eq(cb_frame_append(&b, "{\"id\":1}", 8), 0);
    ck_assert_uint_eq(cb_buf_pending(&b), CB_FRAME_HEADER_SIZE + 8);

    ck_assert_int_eq(cb_frame_next(&b, CB_FRAME_DEFAULT_LIMIT, &payload, &len, NULL), 1);
    ck_assert_uint_eq(len, 8);
    ck_assert_mem_eq(payload, "{\"id\":1}", 8);
    ck_assert_uint_eq(cb_buf_pending(&b), 0);
    ck_assert(!cb_frame_partial(&b));

    ck_assert_int_eq(cb_frame_next(&b, CB_FRAME_DEFAULT_LIMIT, &payload, &len, NULL), 0);
    cb_buf_free(&b);
}
END_TEST

START_TEST(test_cb_frame_next_two_frames_in_one_append)
{
    struct cb_buf b = { 0 };
    const char *payload;
    size_t len;

    ck_assert_int_eq(cb_frame_append(&b, "{}", 2), 0);
    ck_assert_int_eq(cb_frame_append(&b, "[1,2]", 5), 0);

    ck_assert_int_eq(cb_frame_next(&b, CB_FRAME_DEFAULT_LIMIT, &payload, &len, NULL), 1);
    ck_assert_uint_eq(len, 2);
    ck_assert_mem_eq(payload, "{}", 2);
    ck_assert_int_eq(cb_frame_next(&b, CB_FRAME_DEFAULT_LIMIT, &payload, &len, NULL), 1);
    ck_assert_uint_eq(len, 5);
    ck_assert_mem_eq(payload, "[1,2]", 5);
    ck_assert_int_eq(cb_frame_next(&b, CB_FRAME_DEFAULT_LIMIT, &payload, &len, NULL), 0);
    cb_buf_free(&b);
}
END_TEST

START_TEST(test_cb_frame_next_split_byte_by_byte)
{
    static const char *const payloads[] = { "{\"a\":1}", "x", "{\"longer\":\"value value\"}" };
    struct cb_buf wire = { 0 }, in = { 0 };
    size_t got = 0;

    for (size_t i = 0; i < CB_ELEMENTSOF(payloads); i++) {
        ck_assert_int_eq(cb_frame_append(&wire, payloads[i], strlen(payloads[i])), 0);
    }

    /* Every split point of the stream is visited, headers included. */
    for (size_t i = 0; i < cb_buf_pending(&wire); i++) {
        const char *payload;
        size_t len;
        int r;

        ck_assert_int_eq(cb_buf_append(&in, cb_buf_head(&wire) + i, 1), 0);
        r = cb_frame_next(&in, CB_FRAME_DEFAULT_LIMIT, &payload, &len, NULL);
        ck_assert_int_ge(r, 0);
        if (r == 1) {
            ck_assert_uint_lt(got, CB_ELEMENTSOF(payloads));
            ck_assert_uint_eq(len, strlen(payloads[got]));
            ck_assert_mem_eq(payload, payloads[got], len);
            got++;
            ck_assert(!cb_frame_partial(&in));
        } else {
            ck_assert(cb_frame_partial(&in));
        }
    }
    ck_assert_uint_eq(got, CB_ELEMENTSOF(payloads));
    cb_buf_free(&wire);
    cb_buf_free(&in);
}
END_TEST

START_TEST(test_cb_frame_next_partial_header_waits)
{
    struct cb_buf b = { 0 };
    const char *payload;
    size_t len;

    ck_assert_int_eq(cb_buf_append(&b, "\0\0\0", 3), 0);
    ck_assert_int_eq(cb_frame_next(&b, CB_FRAME_DEFAULT_LIMIT, &payload, &len, NULL), 0);
    ck_assert_uint_eq(cb_buf_pending(&b), 3);
    ck_assert(cb_frame_partial(&b));
    cb_buf_free(&b);
}
END_TEST

START_TEST(test_cb_frame_next_zero_length_keeps_stream_in_step)
{
    struct cb_buf b = { 0 };
    const char *payload;
    size_t len;

    append_header(&b, 0);
    ck_assert_int_eq(cb_frame_append(&b, "{}", 2), 0);

    ck_assert_int_eq(cb_frame_next(&b, CB_FRAME_DEFAULT_LIMIT, &payload, &len, NULL), -EBADMSG);
    ck_assert_uint_eq(cb_buf_pending(&b), CB_FRAME_HEADER_SIZE + 2);
    ck_assert_int_eq(cb_frame_next(&b, CB_FRAME_DEFAULT_LIMIT, &payload, &len, NULL), 1);
    ck_assert_uint_eq(len, 2);
    ck_assert_mem_eq(payload, "{}", 2);
    cb_buf_free(&b);
}
END_TEST

START_TEST(test_cb_frame_next_over_limit_consumes_nothing)
{
    struct cb_buf b = { 0 };
    const char *payload;
    uint64_t announced = 0;
    size_t len;

    append_header(&b, 101);
    ck_assert_int_eq(cb_buf_append(&b, "{}", 2), 0);

    ck_assert_int_eq(cb_frame_next(&b, 100, &payload, &len, &announced), -E2BIG);
    ck_assert_uint_eq(announced, 101);
    ck_assert_uint_eq(cb_buf_pending(&b), CB_FRAME_HEADER_SIZE + 2);

    /* Nothing was consumed, so asking again gives the same answer. */
    ck_assert_int_eq(cb_frame_next(&b, 100, &payload, &len, NULL), -E2BIG);
    ck_assert_uint_eq(cb_buf_pending(&b), CB_FRAME_HEADER_SIZE + 2);
    cb_buf_free(&b);
}
END_TEST

START_TEST(test_cb_frame_next_over_limit_before_payload_arrives)
{
    struct cb_buf b = { 0 };
    const char *payload;
    uint64_t announced = 0;
    size_t len;

    /* A peer announcing 4 GiB is refused at its header, not after we buffer 4 GiB. */
    append_header(&b, UINT32_MAX);
    ck_assert_int_eq(cb_frame_next(&b, CB_FRAME_DEFAULT_LIMIT, &payload, &len, &announced), -E2BIG);
    ck_assert_uint_eq(announced, UINT32_MAX);
    cb_buf_free(&b);
}
END_TEST

START_TEST(test_cb_frame_next_at_limit_accepted)
{
    struct cb_buf b = { 0 };
    const char *payload;
    char data[100];
    size_t len;

    memset(data, 'a', sizeof data);
    ck_assert_int_eq(cb_frame_append(&b, data, sizeof data), 0);
    ck_assert_int_eq(cb_frame_next(&b, sizeof data, &payload, &len, NULL), 1);
    ck_assert_uint_eq(len, sizeof data);
    cb_buf_free(&b);
}
END_TEST

START_TEST(test_cb_frame_append_header_is_big_endian)
{
    struct cb_buf b = { 0 };
    size_t n = 0x010203;
    char *data = calloc(1, n);

    ck_assert_ptr_nonnull(data);
    ck_assert_int_eq(cb_frame_append(&b, data, n), 0);
    ck_assert_uint_eq(cb_buf_pending(&b), CB_FRAME_HEADER_SIZE + n);
    ck_assert_mem_eq(cb_buf_head(&b), "\x00\x01\x02\x03", 4);
    free(data);
    cb_buf_free(&b);
}
END_TEST

static void make_pair(int sv[2])
{
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
}

START_TEST(test_cb_frame_read_fd_whole_frame)
{
    int sv[2];
    char *payload = NULL;
    size_t len = 0;

    make_pair(sv);
    ck_assert_int_eq(cb_frame_write_fd(sv[0], "{\"id\":7}", 8), 0);
    ck_assert_int_eq(cb_frame_read_fd(sv[1], CB_FRAME_DEFAULT_LIMIT, &payload, &len), 1);
    ck_assert_uint_eq(len, 8);
    ck_assert_str_eq(payload, "{\"id\":7}");
    free(payload);
    close(sv[0]);
    close(sv[1]);
}
END_TEST

struct dribble {
    int fd;
    const char *bytes;
    size_t n;
    size_t step;
};

/* Writes in tiny pieces with pauses, so the reader sees every kind of short read. */
static void *dribble_writer(void *userdata)
{
    struct dribble *d = userdata;
    struct timespec pause = { .tv_nsec = 200 * 1000 };

    for (size_t off = 0; off < d->n; off += d->step) {
        size_t k = CB_MIN(d->step, d->n - off);

        if (cb_write_full(d->fd, d->bytes + off, k) < 0) {
            break;
        }
        nanosleep(&pause, NULL);
    }
    return NULL;
}

START_TEST(test_cb_frame_read_fd_short_writes_from_thread)
{
    struct cb_buf wire = { 0 };
    struct dribble d;
    pthread_t t;
    char *payload;
    size_t len;
    int sv[2];

    make_pair(sv);
    ck_assert_int_eq(cb_frame_append(&wire, "{\"first\":true}", 14), 0);
    ck_assert_int_eq(cb_frame_append(&wire, "[\"second\"]", 10), 0);
    d = (struct dribble){ .fd = sv[0],
                          .bytes = cb_buf_head(&wire),
                          .n = cb_buf_pending(&wire),
                          .step = 1 };
    ck_assert_int_eq(pthread_create(&t, NULL, dribble_writer, &d), 0);

    ck_assert_int_eq(cb_frame_read_fd(sv[1], CB_FRAME_DEFAULT_LIMIT, &payload, &len), 1);
    ck_assert_str_eq(payload, "{\"first\":true}");
    free(payload);
    ck_assert_int_eq(cb_frame_read_fd(sv[1], CB_FRAME_DEFAULT_LIMIT, &payload, &len), 1);
    ck_assert_str_eq(payload, "[\"second\"]");
    free(payload);

    ck_assert_int_eq(pthread_join(t, NULL), 0);
    cb_buf_free(&wire);
    close(sv[0]);
    close(sv[1]);
}
END_TEST

struct big_write {
    int fd;
    const char *payload;
    size_t n;
    int r;
};

static void *big_writer(void *userdata)
{
    struct big_write *w = userdata;

    w->r = cb_frame_write_fd(w->fd, w->payload, w->n);
    return NULL;
}

START_TEST(test_cb_frame_write_fd_larger_than_socket_buffer)
{
    size_t n = 4u * 1024u * 1024u;
    char *data = malloc(n), *payload = NULL;
    struct big_write w;
    pthread_t t;
    size_t len = 0;
    int sv[2];

    ck_assert_ptr_nonnull(data);
    for (size_t i = 0; i < n; i++) {
        data[i] = (char)('a' + i % 26);
    }
    make_pair(sv);

    /* The writer blocks on a full socket buffer until we read: both sides see short I/O. */
    w = (struct big_write){ .fd = sv[0], .payload = data, .n = n, .r = 1 };
    ck_assert_int_eq(pthread_create(&t, NULL, big_writer, &w), 0);
    ck_assert_int_eq(cb_frame_read_fd(sv[1], n, &payload, &len), 1);
    ck_assert_int_eq(pthread_join(t, NULL), 0);

    ck_assert_int_eq(w.r, 0);
    ck_assert_uint_eq(len, n);
    ck_assert_mem_eq(payload, data, n);
    free(payload);
    free(data);
    close(sv[0]);
    close(sv[1]);
}
END_TEST

START_TEST(test_cb_frame_read_fd_clean_eof)
{
    char *payload = NULL;
    size_t len;
    int sv[2];

    make_pair(sv);
    close(sv[0]);
    ck_assert_int_eq(cb_frame_read_fd(sv[1], CB_FRAME_DEFAULT_LIMIT, &payload, &len), 0);
    ck_assert_ptr_null(payload);
    close(sv[1]);
}
END_TEST

START_TEST(test_cb_frame_read_fd_eof_in_header)
{
    char *payload = NULL;
    size_t len;
    int sv[2];

    make_pair(sv);
    ck_assert_int_eq(cb_write_full(sv[0], "\0\0", 2), 0);
    close(sv[0]);
    ck_assert_int_eq(cb_frame_read_fd(sv[1], CB_FRAME_DEFAULT_LIMIT, &payload, &len), -EPIPE);
    ck_assert_ptr_null(payload);
    close(sv[1]);
}
END_TEST

START_TEST(test_cb_frame_read_fd_eof_in_payload)
{
    char header[CB_FRAME_HEADER_SIZE];
    char *payload = NULL;
    size_t len;
    int sv[2];

    make_pair(sv);
    put_header(header, 10);
    ck_assert_int_eq(cb_write_full(sv[0], header, sizeof header), 0);
    ck_assert_int_eq(cb_write_full(sv[0], "{\"a\":", 5), 0);
    close(sv[0]);
    ck_assert_int_eq(cb_frame_read_fd(sv[1], CB_FRAME_DEFAULT_LIMIT, &payload, &len), -EPIPE);
    ck_assert_ptr_null(payload);
    close(sv[1]);
}
END_TEST

START_TEST(test_cb_frame_read_fd_zero_length)
{
    char header[CB_FRAME_HEADER_SIZE];
    char *payload = NULL;
    size_t len;
    int sv[2];

    make_pair(sv);
    put_header(header, 0);
    ck_assert_int_eq(cb_write_full(sv[0], header, sizeof header), 0);
    ck_assert_int_eq(cb_frame_write_fd(sv[0], "{}", 2), 0);

    ck_assert_int_eq(cb_frame_read_fd(sv[1], CB_FRAME_DEFAULT_LIMIT, &payload, &len), -EBADMSG);
    ck_assert_ptr_null(payload);
    /* Only the empty header was read: the next frame is still whole. */
    ck_assert_int_eq(cb_frame_read_fd(sv[1], CB_FRAME_DEFAULT_LIMIT, &payload, &len), 1);
    ck_assert_str_eq(payload, "{}");
    free(payload);
    close(sv[0]);
    close(sv[1]);
}
END_TEST

START_TEST(test_cb_frame_read_fd_over_limit)
{
    char header[CB_FRAME_HEADER_SIZE];
    char *payload = NULL;
    size_t len;
    int sv[2];

    make_pair(sv);
    put_header(header, 1000);
    ck_assert_int_eq(cb_write_full(sv[0], header, sizeof header), 0);
    ck_assert_int_eq(cb_frame_read_fd(sv[1], 999, &payload, &len), -E2BIG);
    ck_assert_ptr_null(payload);
    close(sv[0]);
    close(sv[1]);
}
END_TEST

START_TEST(test_cb_frame_write_fd_peer_gone)
{
    int sv[2];

    /* The test's own process must survive the write, as a daemon does. */
    signal(SIGPIPE, SIG_IGN);
    make_pair(sv);
    close(sv[1]);
    ck_assert_int_eq(cb_frame_write_fd(sv[0], "{}", 2), -EPIPE);
    close(sv[0]);
}
END_TEST

START_TEST(test_cb_read_full_eof_is_epipe)
{
    char buf[8];
    int sv[2];

    make_pair(sv);
    ck_assert_int_eq(cb_write_full(sv[0], "abc", 3), 0);
    close(sv[0]);
    ck_assert_int_eq(cb_read_full(sv[1], buf, 3), 0);
    ck_assert_mem_eq(buf, "abc", 3);
    ck_assert_int_eq(cb_read_full(sv[1], buf, 1), -EPIPE);
    close(sv[1]);
}
END_TEST

START_TEST(test_cb_read_full_bad_fd)
{
    char buf[1];

    ck_assert_int_eq(cb_read_full(-1, buf, 1), -EBADF);
    ck_assert_int_eq(cb_write_full(-1, buf, 1), -EBADF);
}
END_TEST

static Suite *frame_suite(void)
{
    Suite *s = suite_create("cb-frame");
    TCase *tc;

    tc = tcase_create("incremental");
    tcase_add_test(tc, test_cb_frame_next_whole_frame);
    tcase_add_test(tc, test_cb_frame_next_two_frames_in_one_append);
    tcase_add_test(tc, test_cb_frame_next_split_byte_by_byte);
    tcase_add_test(tc, test_cb_frame_next_partial_header_waits);
    tcase_add_test(tc, test_cb_frame_append_header_is_big_endian);
    suite_add_tcase(s, tc);

    tc = tcase_create("refusals");
    tcase_add_test(tc, test_cb_frame_next_zero_length_keeps_stream_in_step);
    tcase_add_test(tc, test_cb_frame_next_over_limit_consumes_nothing);
    tcase_add_test(tc, test_cb_frame_next_over_limit_before_payload_arrives);
    tcase_add_test(tc, test_cb_frame_next_at_limit_accepted);
    suite_add_tcase(s, tc);

    tc = tcase_create("blocking");
    tcase_set_timeout(tc, SOCKET_TIMEOUT_S);
    tcase_add_test(tc, test_cb_frame_read_fd_whole_frame);
    tcase_add_test(tc, test_cb_frame_read_fd_short_writes_from_thread);
    tcase_add_test(tc, test_cb_frame_write_fd_larger_than_socket_buffer);
    tcase_add_test(tc, test_cb_read_full_eof_is_epipe);
    tcase_add_test(tc, test_cb_read_full_bad_fd);
    suite_add_tcase(s, tc);

    tc = tcase_create("blocking-errors");
    tcase_set_timeout(tc, SOCKET_TIMEOUT_S);
    tcase_add_test(tc, test_cb_frame_read_fd_clean_eof);
    tcase_add_test(tc, test_cb_frame_read_fd_eof_in_header);
    tcase_add_test(tc, test_cb_frame_read_fd_eof_in_payload);
    tcase_add_test(tc, test_cb_frame_read_fd_zero_length);
    tcase_add_test(tc, test_cb_frame_read_fd_over_limit);
    tcase_add_test(tc, test_cb_frame_write_fd_peer_gone);
    suite_add_tcase(s, tc);

    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(frame_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
