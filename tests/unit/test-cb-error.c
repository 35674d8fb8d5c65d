/* SPDX-License-Identifier: MIT */
/* Unit tests of common/cb-error.c: wire codes, the retry rule and the error object. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/cb-error.h"

/* DESIGN.md's list, in its order: the table must know every one of them and no other. */
static const struct {
    enum cb_error_code code;
    const char *name;
    int err;
} codes[] = {
    { CB_E_PROTOCOL, "E_PROTOCOL", -EPROTO },
    { CB_E_TOO_LARGE, "E_TOO_LARGE", -E2BIG },
    { CB_E_UNKNOWN_MODULE, "E_UNKNOWN_MODULE", -ENOENT },
    { CB_E_UNKNOWN_FUNCTION, "E_UNKNOWN_FUNCTION", -ENOENT },
    { CB_E_INVALID_PARAM, "E_INVALID_PARAM", -EINVAL },
    { CB_E_SECURITY, "E_SECURITY", -EPERM },
    { CB_E_DENIED, "E_DENIED", -EACCES },
    { CB_E_THROTTLED, "E_THROTTLED", -EBUSY },
    { CB_E_HANDLE, "E_HANDLE", -EBADF },
    { CB_E_UNAVAILABLE, "E_UNAVAILABLE", -EAGAIN },
    { CB_E_TIMEOUT, "E_TIMEOUT", -ETIMEDOUT },
    { CB_E_BACKEND, "E_BACKEND", -EIO },
    { CB_E_INTERNAL, "E_INTERNAL", -EFAULT },
};

START_TEST(test_cb_error_code_table_covers_every_code)
{
    ck_assert_int_eq(sizeof codes / sizeof codes[0], _CB_E_MAX);
}
END_TEST

START_TEST(test_cb_error_code_to_string_round_trips)
{
    const char *name = cb_error_code_to_string(codes[_i].code);

    ck_assert_str_eq(name, codes[_i].name);
    ck_assert_int_eq(cb_error_code_from_string(name), codes[_i].code);
}
END_TEST

START_TEST(test_cb_error_code_to_errno_is_negative_and_stable)
{
    ck_assert_int_eq(cb_error_code_to_errno(codes[_i].code), codes[_i].err);
}
END_TEST

START_TEST(test_cb_error_code_retryable_only_throttled_and_unavailable)
{
    enum cb_error_code c = codes[_i].code;

    ck_assert(cb_error_code_retryable(c) == (c == CB_E_THROTTLED || c == CB_E_UNAVAILABLE));
}
END_TEST

START_TEST(test_cb_error_code_from_string_rejects_other_words)
{
    static const char *const words[] = { "",         "E_",        "e_protocol", "E_PROTOCOL ",
                                         "PROTOCOL", "E_UNKNOWN", "E_OK" };

    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
        ck_assert_int_eq(cb_error_code_from_string(words[i]), _CB_E_INVALID);
    }
    ck_assert_int_eq(cb_error_code_from_string(NULL), _CB_E_INVALID);
}
END_TEST

START_TEST(test_cb_error_code_out_of_range)
{
    ck_assert_str_eq(cb_error_code_to_string(_CB_E_MAX), "E_INTERNAL");
    ck_assert_str_eq(cb_error_code_to_string(_CB_E_INVALID), "E_INTERNAL");
    ck_assert(!cb_error_code_retryable(_CB_E_MAX));
    ck_assert(!cb_error_code_retryable(_CB_E_INVALID));
    ck_assert_int_eq(cb_error_code_to_errno(_CB_E_MAX), -EFAULT);
}
END_TEST

START_TEST(test_cb_error_init_is_unset)
{
    struct cb_error err = CB_ERROR_INIT;

    ck_assert(!err.set);
    ck_assert_ptr_null(err.message);
    ck_assert_ptr_null(err.backend_error);
    ck_assert_int_eq(err.retry_after_ms, -1);
    ck_assert(!err.outcome_unknown);
}
END_TEST

START_TEST(test_cb_error_set_fills_and_returns_errno)
{
    struct cb_error err = CB_ERROR_INIT;

    ck_assert_int_eq(cb_error_set(&err, CB_E_INVALID_PARAM, "parameter '%s' is missing", "ms"),
                     -EINVAL);
    ck_assert(err.set);
    ck_assert_int_eq(err.code, CB_E_INVALID_PARAM);
    ck_assert_str_eq(err.message, "parameter 'ms' is missing");
    ck_assert_ptr_null(err.backend_error);
    cb_error_clear(&err);
}
END_TEST

START_TEST(test_cb_error_set_first_error_wins)
{
    struct cb_error err = CB_ERROR_INIT;

    ck_assert_int_eq(cb_error_set(&err, CB_E_TOO_LARGE, "inner"), -E2BIG);
    /* The outer caller's reason is dropped and its return value is the inner one's. */
    ck_assert_int_eq(cb_error_set(&err, CB_E_INTERNAL, "outer"), -E2BIG);
    ck_assert_int_eq(err.code, CB_E_TOO_LARGE);
    ck_assert_str_eq(err.message, "inner");

    ck_assert_int_eq(cb_error_set_backend(&err, "42P01", "no such table", "outer backend"), -E2BIG);
    ck_assert_int_eq(err.code, CB_E_TOO_LARGE);
    ck_assert_ptr_null(err.backend_error);
    cb_error_clear(&err);
}
END_TEST

START_TEST(test_cb_error_set_null_error_only_returns)
{
    ck_assert_int_eq(cb_error_set(NULL, CB_E_DENIED, "refused"), -EACCES);
    ck_assert_int_eq(cb_error_set_backend(NULL, "x", "y", "backend"), -EIO);
}
END_TEST

START_TEST(test_cb_error_set_backend_records_code_and_message)
{
    struct cb_error err = CB_ERROR_INIT;

    ck_assert_int_eq(cb_error_set_backend(&err, "23505", "duplicate key value", "insert failed"),
                     -EIO);
    ck_assert_int_eq(err.code, CB_E_BACKEND);
    ck_assert_str_eq(err.message, "insert failed");
    ck_assert_ptr_nonnull(err.backend_error);
    ck_assert_str_eq(json_string_value(json_object_get(err.backend_error, "code")), "23505");
    ck_assert_str_eq(json_string_value(json_object_get(err.backend_error, "message")),
                     "duplicate key value");
    cb_error_clear(&err);
}
END_TEST

START_TEST(test_cb_error_set_backend_without_code)
{
    struct cb_error err = CB_ERROR_INIT;

    ck_assert_int_eq(cb_error_set_backend(&err, NULL, "connection refused", "cannot connect"),
                     -EIO);
    ck_assert_ptr_nonnull(err.backend_error);
    ck_assert(json_is_null(json_object_get(err.backend_error, "code")));
    cb_error_clear(&err);
}
END_TEST

START_TEST(test_cb_error_clear_resets)
{
    struct cb_error err = CB_ERROR_INIT;

    cb_error_set_backend(&err, "c", "m", "text");
    err.retry_after_ms = 5;
    err.outcome_unknown = true;
    cb_error_clear(&err);
    ck_assert(!err.set);
    ck_assert_ptr_null(err.message);
    ck_assert_ptr_null(err.backend_error);
    ck_assert_int_eq(err.retry_after_ms, -1);
    ck_assert(!err.outcome_unknown);

    /* A cleared error takes a new reason. */
    ck_assert_int_eq(cb_error_set(&err, CB_E_TIMEOUT, "late"), -ETIMEDOUT);
    ck_assert_str_eq(err.message, "late");
    cb_error_clear(&err);
    cb_error_clear(NULL);
}
END_TEST

START_TEST(test_cb_error_move_transfers_ownership)
{
    struct cb_error src = CB_ERROR_INIT, dst = CB_ERROR_INIT;

    cb_error_set(&dst, CB_E_INTERNAL, "old, freed by the move");
    cb_error_set(&src, CB_E_THROTTLED, "slow down");
    src.retry_after_ms = 250;

    cb_error_move(&dst, &src);
    ck_assert(dst.set);
    ck_assert_int_eq(dst.code, CB_E_THROTTLED);
    ck_assert_str_eq(dst.message, "slow down");
    ck_assert_int_eq(dst.retry_after_ms, 250);
    ck_assert(!src.set);
    ck_assert_ptr_null(src.message);
    ck_assert_int_eq(src.retry_after_ms, -1);
    cb_error_clear(&dst);
}
END_TEST

static Suite *error_suite(void)
{
    Suite *s = suite_create("cb-error");
    TCase *tc;

    tc = tcase_create("codes");
    tcase_add_test(tc, test_cb_error_code_table_covers_every_code);
    tcase_add_loop_test(tc, test_cb_error_code_to_string_round_trips, 0, _CB_E_MAX);
    tcase_add_loop_test(tc, test_cb_error_code_to_errno_is_negative_and_stable, 0, _CB_E_MAX);
    tcase_add_loop_test(tc, test_cb_error_code_retryable_only_throttled_and_unavailable, 0,
                        _CB_E_MAX);
    tcase_add_test(tc, test_cb_error_code_from_string_rejects_other_words);
    tcase_add_test(tc, test_cb_error_code_out_of_range);
    suite_add_tcase(s, tc);

    tc = tcase_create("object");
    tcase_add_test(tc, test_cb_error_init_is_unset);
    tcase_add_test(tc, test_cb_error_set_fills_and_returns_errno);
    tcase_add_test(tc, test_cb_error_set_first_error_wins);
    tcase_add_test(tc, test_cb_error_set_null_error_only_returns);
    tcase_add_test(tc, test_cb_error_set_backend_records_code_and_message);
    tcase_add_test(tc, test_cb_error_set_backend_without_code);
    tcase_add_test(tc, test_cb_error_clear_resets);
    tcase_add_test(tc, test_cb_error_move_transfers_ownership);
    suite_add_tcase(s, tc);

    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(error_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
