/* SPDX-License-Identifier: MIT */
/* Unit tests of common/cb-buf.c: storage, consumption and non-blocking fd I/O. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cb-buf.h"
#include "common/cb-macro.h"

#define FD_TIMEOUT_S 10

START_TEST(test_cb_buf_append_then_head)
{
    struct cb_buf b = { 0 };

    ck_assert_int_eq(cb_buf_append(&b, "hello", 5), 0);
    ck_assert_int_eq(cb_buf_append(&b, " world", 6), 0);
    ck_assert_uint_eq(cb_buf_pending(&b), 11);
    ck_assert_mem_eq(cb_buf_head(&b), "hello world", 11);
    cb_buf_free(&b);
}
END_TEST

START_TEST(test_cb_buf_append_zero_bytes_allocates_nothing)
{
    struct cb_buf b = { 0 };

    ck_assert_int_eq(cb_buf_append(&b, NULL, 0), 0);
    ck_assert_ptr_null(b.data);
    ck_assert_uint_eq(cb_buf_pending(&b), 0);
}
END_TEST

START_TEST(test_cb_buf_append_keeps_nul_bytes)
{
    struct cb_buf b = { 0 };

    ck_assert_int_eq(cb_buf_append(&b, "a\0b", 3), 0);
    ck_assert_uint_eq(cb_buf_pending(&b), 3);
    ck_assert_mem_eq(cb_buf_head(&b), "a\0b", 3);
    cb_buf_free(&b);
}
END_TEST

START_TEST(test_cb_buf_append_grows_past_initial_capacity)
{
    struct cb_buf b = { 0 };
    size_t total = 0;
    char chunk[1000];

    for (int i = 0; i < 3000; i++) {
        memset(chunk, 'a' + i % 26, sizeof chunk);
        ck_assert_int_eq(cb_buf_append(&b, chunk, sizeof chunk), 0);
        total += sizeof chunk;
    }
    ck_assert_uint_eq(cb_buf_pending(&b), total);
    ck_assert_uint_ge(b.cap, total);
    for (int i = 0; i < 3000; i++) {
        ck_assert_int_eq(cb_buf_head(&b)[i * 1000], 'a' + i % 26);
        ck_assert_int_eq(cb_buf_head(&b)[i * 1000 + 999], 'a' + i % 26);
    }
    cb_buf_free(&b);
}
END_TEST

START_TEST(test_cb_buf_consume_partial)
{
    struct cb_buf b = { 0 };

    ck_assert_int_eq(cb_buf_append(&b, "abcdef", 6), 0);
    cb_buf_consume(&b, 2);
    ck_assert_uint_eq(cb_buf_pending(&b), 4);
    ck_assert_mem_eq(cb_buf_head(&b), "cdef", 4);
    cb_buf_free(&b);
}
END_TEST

START_TEST(test_cb_buf_consume_all_rewinds)
{
    struct cb_buf b = { 0 };

    ck_assert_int_eq(cb_buf_append(&b, "abc", 3), 0);
    cb_buf_consume(&b, 3);
    ck_assert_uint_eq(cb_buf_pending(&b), 0);
    ck_assert_uint_eq(b.off, 0);
    ck_assert_uint_eq(b.len, 0);
    cb_buf_free(&b);
}
END_TEST

START_TEST(test_cb_buf_consume_more_than_pending_clamps)
{
    struct cb_buf b = { 0 };

    ck_assert_int_eq(cb_buf_append(&b, "abc", 3), 0);
    cb_buf_consume(&b, 1);
    cb_buf_consume(&b, 100);
    ck_assert_uint_eq(cb_buf_pending(&b), 0);
    cb_buf_consume(&b, 1);
    ck_assert_uint_eq(cb_buf_pending(&b), 0);
    cb_buf_free(&b);
}
END_TEST

START_TEST(test_cb_buf_append_after_consume_keeps_order)
{
    struct cb_buf b = { 0 };
    char big[3000];

    /* Enough consumed to trigger compaction on the next append. */
    memset(big, 'x', sizeof big);
    ck_assert_int_eq(cb_buf_append(&b, big, sizeof big), 0);
    ck_assert_int_eq(cb_buf_append(&b, "tail", 4), 0);
    cb_buf_consume(&b, sizeof big);
    ck_assert_int_eq(cb_buf_append(&b, big, sizeof big), 0);
    ck_assert_uint_eq(cb_buf_pending(&b), 4 + sizeof big);
    ck_assert_mem_eq(cb_buf_head(&b), "tail", 4);
    ck_assert_mem_eq(cb_buf_head(&b) + 4, big, sizeof big);
    cb_buf_free(&b);
}
END_TEST

START_TEST(test_cb_buf_free_allows_reuse)
{
    struct cb_buf b = { 0 };

    ck_assert_int_eq(cb_buf_append(&b, "abc", 3), 0);
    cb_buf_free(&b);
    ck_assert_ptr_null(b.data);
    ck_assert_uint_eq(b.cap, 0);
    ck_assert_uint_eq(cb_buf_pending(&b), 0);
    ck_assert_int_eq(cb_buf_append(&b, "de", 2), 0);
    ck_assert_mem_eq(cb_buf_head(&b), "de", 2);
    cb_buf_free(&b);
    cb_buf_free(&b);
}
END_TEST

static void nonblocking_pipe(int p[2])
{
    ck_assert_int_eq(pipe2(p, O_NONBLOCK | O_CLOEXEC), 0);
}

START_TEST(test_cb_buf_read_fd_empty_is_eagain)
{
    struct cb_buf b = { 0 };
    int p[2];

    nonblocking_pipe(p);
    ck_assert_int_eq(cb_buf_read_fd(&b, p[0], 0), -EAGAIN);
    ck_assert_uint_eq(cb_buf_pending(&b), 0);
    close(p[0]);
    close(p[1]);
    cb_buf_free(&b);
}
END_TEST

START_TEST(test_cb_buf_read_fd_appends_then_eof)
{
    struct cb_buf b = { 0 };
    int p[2];

    nonblocking_pipe(p);
    ck_assert_int_eq(cb_buf_append(&b, "old", 3), 0);
    ck_assert_int_eq(write(p[1], "new", 3), 3);
    ck_assert_int_eq(cb_buf_read_fd(&b, p[0], 0), 3);
    ck_assert_uint_eq(cb_buf_pending(&b), 6);
    ck_assert_mem_eq(cb_buf_head(&b), "oldnew", 6);

    close(p[1]);
    ck_assert_int_eq(cb_buf_read_fd(&b, p[0], 0), 0);
    close(p[0]);
    cb_buf_free(&b);
}
END_TEST

START_TEST(test_cb_buf_read_fd_stops_at_max_pending)
{
    struct cb_buf b = { 0 };
    int p[2];

    nonblocking_pipe(p);
    ck_assert_int_eq(write(p[1], "0123456789", 10), 10);

    /* The cap counts bytes already pending: 4 are, so only 6 more may come in. */
    ck_assert_int_eq(cb_buf_append(&b, "abcd", 4), 0);
    ck_assert_int_eq(cb_buf_read_fd(&b, p[0], 10), 6);
    ck_assert_uint_eq(cb_buf_pending(&b), 10);
    ck_assert_int_eq(cb_buf_read_fd(&b, p[0], 10), -ENOBUFS);

    cb_buf_consume(&b, 10);
    ck_assert_int_eq(cb_buf_read_fd(&b, p[0], 10), 4);
    ck_assert_mem_eq(cb_buf_head(&b), "6789", 4);
    close(p[0]);
    close(p[1]);
    cb_buf_free(&b);
}
END_TEST

START_TEST(test_cb_buf_read_fd_bad_fd)
{
    struct cb_buf b = { 0 };

    ck_assert_int_eq(cb_buf_read_fd(&b, -1, 0), -EBADF);
    cb_buf_free(&b);
}
END_TEST

START_TEST(test_cb_buf_write_fd_consumes_written)
{
    struct cb_buf b = { 0 };
    char out[16];
    int p[2];

    nonblocking_pipe(p);
    ck_assert_int_eq(cb_buf_write_fd(&b, p[1]), 0);

    ck_assert_int_eq(cb_buf_append(&b, "xxpayload", 9), 0);
    cb_buf_consume(&b, 2);
    ck_assert_int_eq(cb_buf_write_fd(&b, p[1]), 7);
    ck_assert_uint_eq(cb_buf_pending(&b), 0);
    ck_assert_int_eq(read(p[0], out, sizeof out), 7);
    ck_assert_mem_eq(out, "payload", 7);
    close(p[0]);
    close(p[1]);
    cb_buf_free(&b);
}
END_TEST

START_TEST(test_cb_buf_write_fd_full_pipe_is_eagain)
{
    struct cb_buf b = { 0 };
    char *chunk = calloc(1, 1 << 20);
    size_t before;
    ssize_t n;
    int p[2];

    ck_assert_ptr_nonnull(chunk);
    nonblocking_pipe(p);
    ck_assert_int_eq(cb_buf_append(&b, chunk, 1 << 20), 0);

    /* A pipe holds far less than 1 MiB: the first write is short, the next one must wait. */
    n = cb_buf_write_fd(&b, p[1]);
    ck_assert_int_gt(n, 0);
    ck_assert_int_lt(n, 1 << 20);
    before = cb_buf_pending(&b);
    ck_assert_int_eq(cb_buf_write_fd(&b, p[1]), -EAGAIN);
    ck_assert_uint_eq(cb_buf_pending(&b), before);
    close(p[0]);
    close(p[1]);
    cb_buf_free(&b);
    free(chunk);
}
END_TEST

START_TEST(test_cb_buf_write_fd_reader_gone_is_epipe)
{
    struct cb_buf b = { 0 };
    int p[2];

    signal(SIGPIPE, SIG_IGN);
    nonblocking_pipe(p);
    close(p[0]);
    ck_assert_int_eq(cb_buf_append(&b, "x", 1), 0);
    ck_assert_int_eq(cb_buf_write_fd(&b, p[1]), -EPIPE);
    ck_assert_uint_eq(cb_buf_pending(&b), 1);
    close(p[1]);
    cb_buf_free(&b);
}
END_TEST

static Suite *buf_suite(void)
{
    Suite *s = suite_create("cb-buf");
    TCase *tc;

    tc = tcase_create("storage");
    tcase_add_test(tc, test_cb_buf_append_then_head);
    tcase_add_test(tc, test_cb_buf_append_zero_bytes_allocates_nothing);
    tcase_add_test(tc, test_cb_buf_append_keeps_nul_bytes);
    tcase_add_test(tc, test_cb_buf_append_grows_past_initial_capacity);
    tcase_add_test(tc, test_cb_buf_free_allows_reuse);
    suite_add_tcase(s, tc);

    tc = tcase_create("consume");
    tcase_add_test(tc, test_cb_buf_consume_partial);
    tcase_add_test(tc, test_cb_buf_consume_all_rewinds);
    tcase_add_test(tc, test_cb_buf_consume_more_than_pending_clamps);
    tcase_add_test(tc, test_cb_buf_append_after_consume_keeps_order);
    suite_add_tcase(s, tc);

    tc = tcase_create("fd");
    tcase_set_timeout(tc, FD_TIMEOUT_S);
    tcase_add_test(tc, test_cb_buf_read_fd_empty_is_eagain);
    tcase_add_test(tc, test_cb_buf_read_fd_appends_then_eof);
    tcase_add_test(tc, test_cb_buf_read_fd_stops_at_max_pending);
    tcase_add_test(tc, test_cb_buf_read_fd_bad_fd);
    tcase_add_test(tc, test_cb_buf_write_fd_consumes_written);
    tcase_add_test(tc, test_cb_buf_write_fd_full_pipe_is_eagain);
    tcase_add_test(tc, test_cb_buf_write_fd_reader_gone_is_epipe);
    suite_add_tcase(s, tc);

    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(buf_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
