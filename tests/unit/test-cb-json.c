/* SPDX-License-Identifier: MIT */
/* Unit tests of common/cb-json.c: the wire's JSON rules, limits, printing and getters. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/cb-error.h"
#include "common/cb-json.h"

/* Parses text that must be accepted; the caller owns the result. */
static json_t *parse_ok(const char *text, size_t len)
{
    struct cb_error err = CB_ERROR_INIT;
    json_t *v = NULL;

    ck_assert_msg(cb_json_parse(text, len, &v, &err) == 0, "refused: %s", err.message);
    ck_assert(!err.set);
    ck_assert_ptr_nonnull(v);
    return v;
}

/* Asserts that text is refused with E_PROTOCOL and a message holding `why`. */
static void parse_refused(const char *text, size_t len, const char *why)
{
    struct cb_error err = CB_ERROR_INIT;
    json_t *v = NULL;

    ck_assert_int_eq(cb_json_parse(text, len, &v, &err), cb_error_code_to_errno(CB_E_PROTOCOL));
    ck_assert_ptr_null(v);
    ck_assert(err.set);
    ck_assert_int_eq(err.code, CB_E_PROTOCOL);
    ck_assert_ptr_nonnull(err.message);
    if (why) {
        ck_assert_msg(strstr(err.message, why), "'%s' does not say '%s'", err.message, why);
    }
    cb_error_clear(&err);
}

START_TEST(test_cb_json_parse_object)
{
    static const char text[] = "{\"id\":7,\"module\":\"test\",\"params\":{\"a\":[1,2.5,null]}}";
    json_t *v = parse_ok(text, strlen(text));

    ck_assert(json_is_object(v));
    ck_assert_int_eq(json_integer_value(json_object_get(v, "id")), 7);
    ck_assert_str_eq(json_string_value(json_object_get(v, "module")), "test");
    json_decref(v);
}
END_TEST

START_TEST(test_cb_json_parse_any_value_at_top)
{
    json_t *v = parse_ok("\"text\"", 6);

    ck_assert(json_is_string(v));
    json_decref(v);
    v = parse_ok("42", 2);
    ck_assert_int_eq(json_integer_value(v), 42);
    json_decref(v);
}
END_TEST

START_TEST(test_cb_json_parse_duplicate_keys_refused)
{
    static const char top[] = "{\"id\":1,\"id\":2}";
    static const char nested[] = "{\"params\":{\"a\":1,\"b\":2,\"a\":3}}";

    parse_refused(top, strlen(top), "duplicate key");
    parse_refused(nested, strlen(nested), "duplicate key");
}
END_TEST

START_TEST(test_cb_json_parse_nul_in_string_round_trips)
{
    static const char text[] = "{\"data\":\"a\\u0000b\"}";
    json_t *v = parse_ok(text, strlen(text)), *again;
    json_t *s = json_object_get(v, "data");
    size_t len = 0;
    char *dumped;

    ck_assert_uint_eq(json_string_length(s), 3);
    ck_assert_mem_eq(json_string_value(s), "a\0b", 3);

    /* The dump escapes the NUL, so the text has no raw NUL and reads back the same. */
    dumped = cb_json_dump(v, &len);
    ck_assert_ptr_nonnull(dumped);
    ck_assert_str_eq(dumped, text);
    ck_assert_uint_eq(len, strlen(text));
    again = parse_ok(dumped, len);
    ck_assert(cb_json_equal(v, again));

    free(dumped);
    json_decref(again);
    json_decref(v);
}
END_TEST

START_TEST(test_cb_json_parse_nul_in_key_refused)
{
    static const char text[] = "{\"a\\u0000b\":1}";

    parse_refused(text, strlen(text), "NUL");
}
END_TEST

START_TEST(test_cb_json_parse_raw_nul_byte_refused)
{
    static const char text[] = "{\"a\":\"x\0y\"}";

    /* JSON text itself may not hold a raw control byte; \u0000 is the way to send one. */
    parse_refused(text, sizeof text - 1, NULL);
}
END_TEST

static const char *const bad_utf8[] = {
    "\"\xff\"",             /* never valid */
    "\"\xc3\"",             /* cut sequence */
    "\"\xc0\xaf\"",         /* overlong '/' */
    "\"\xed\xa0\x80\"",     /* a UTF-16 surrogate in UTF-8 */
    "\"\xf4\x90\x80\x80\"", /* beyond U+10FFFF */
};

START_TEST(test_cb_json_parse_invalid_utf8_refused)
{
    parse_refused(bad_utf8[_i], strlen(bad_utf8[_i]), "UTF-8");
}
END_TEST

START_TEST(test_cb_json_parse_valid_utf8_kept)
{
    static const char text[] = "\"gr\xc3\xbc\xc3\x9f \xe2\x82\xac \xf0\x9f\x98\x80\"";
    json_t *v = parse_ok(text, strlen(text));

    ck_assert_str_eq(json_string_value(v), "gr\xc3\xbc\xc3\x9f \xe2\x82\xac \xf0\x9f\x98\x80");
    json_decref(v);
}
END_TEST

static const char *const too_big_integers[] = {
    "9223372036854775808",
    "-9223372036854775809",
    "18446744073709551616",
    "{\"n\":123456789012345678901234567890}",
};

START_TEST(test_cb_json_parse_integer_beyond_64_bits_refused)
{
    parse_refused(too_big_integers[_i], strlen(too_big_integers[_i]), "64 bits");
}
END_TEST

START_TEST(test_cb_json_parse_integer_at_64_bit_edges_kept)
{
    json_t *v = parse_ok("[9223372036854775807,-9223372036854775808]", 42);

    ck_assert(json_integer_value(json_array_get(v, 0)) == INT64_MAX);
    ck_assert(json_integer_value(json_array_get(v, 1)) == INT64_MIN);
    json_decref(v);
}
END_TEST

START_TEST(test_cb_json_parse_trailing_bytes_refused)
{
    parse_refused("{} x", 4, "after");
    parse_refused("{}{}", 4, "after");
    parse_refused("1 2", 3, "after");
}
END_TEST

START_TEST(test_cb_json_parse_trailing_whitespace_kept)
{
    json_t *v = parse_ok("{} \n\t", 5);

    ck_assert(json_is_object(v));
    json_decref(v);
}
END_TEST

static const char *const malformed[] = {
    "", "{", "[1,]", "nul", "{\"a\":}", "{'a':1}", "{\"a\" 1}", "[1 2]", "\"open",
};

START_TEST(test_cb_json_parse_malformed_refused)
{
    parse_refused(malformed[_i], strlen(malformed[_i]), "JSON does not parse");
}
END_TEST

START_TEST(test_cb_json_parse_length_not_nul_terminated)
{
    /* Only len bytes count: the rest of the buffer is another frame. */
    json_t *v = parse_ok("{\"a\":1}garbage", 7);

    ck_assert_int_eq(json_integer_value(json_object_get(v, "a")), 1);
    json_decref(v);
}
END_TEST

static struct cb_limits small_limits(void)
{
    return (struct cb_limits){ .max_frame = 1024,
                               .max_string = 8,
                               .max_array = 3,
                               .max_depth = 3,
                               .max_params = 10 };
}

/* Asserts that v is over a limit, and that the message names the limit and the path. */
static void limits_refused(const char *text, const char *limit_name, const char *path)
{
    struct cb_limits limits = small_limits();
    struct cb_error err = CB_ERROR_INIT;
    json_t *v = parse_ok(text, strlen(text));

    ck_assert_int_eq(cb_json_check_limits(v, &limits, &err), -E2BIG);
    ck_assert_int_eq(err.code, CB_E_TOO_LARGE);
    ck_assert_ptr_nonnull(err.message);
    ck_assert_msg(strstr(err.message, limit_name), "'%s' does not name %s", err.message,
                  limit_name);
    ck_assert_msg(strstr(err.message, path), "'%s' does not name %s", err.message, path);
    cb_error_clear(&err);
    json_decref(v);
}

static void limits_ok(const char *text)
{
    struct cb_limits limits = small_limits();
    struct cb_error err = CB_ERROR_INIT;
    json_t *v = parse_ok(text, strlen(text));

    ck_assert_int_eq(cb_json_check_limits(v, &limits, &err), 0);
    ck_assert(!err.set);
    json_decref(v);
}

START_TEST(test_cb_json_check_limits_within)
{
    limits_ok("{\"s\":\"12345678\",\"a\":[1,2,3],\"d\":{\"e\":[1]}}");
}
END_TEST

START_TEST(test_cb_json_check_limits_string_too_long)
{
    limits_refused("{\"params\":{\"s\":\"123456789\"}}", "max_string_length", "params.s");
}
END_TEST

START_TEST(test_cb_json_check_limits_string_counts_bytes)
{
    /* Four 2-byte characters fill the 8-byte limit; a fifth goes over. */
    limits_ok("\"\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\"");
    limits_refused("\"\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\"", "max_string_length", "'$'");
}
END_TEST

START_TEST(test_cb_json_check_limits_string_in_array_path)
{
    limits_refused("{\"rows\":[\"ok\",\"too long string\"]}", "max_string_length", "rows[1]");
}
END_TEST

START_TEST(test_cb_json_check_limits_array_too_long)
{
    limits_refused("{\"a\":{\"list\":[1,2,3,4]}}", "max_array_length", "a.list");
}
END_TEST

START_TEST(test_cb_json_check_limits_too_deep)
{
    limits_ok("[[[1]]]");
    limits_refused("[[[[1]]]]", "max_object_depth", "[0][0][0]");
    limits_refused("{\"a\":{\"b\":{\"c\":{}}}}", "max_object_depth", "a.b.c");
}
END_TEST

START_TEST(test_cb_json_check_limits_root_path)
{
    limits_refused("[1,2,3,4]", "max_array_length", "'$'");
}
END_TEST

START_TEST(test_cb_json_check_limits_defaults_accept_normal_values)
{
    struct cb_limits limits = CB_LIMITS_DEFAULT;
    struct cb_error err = CB_ERROR_INIT;
    json_t *v = json_pack("{s:s, s:[i,i], s:{s:{s:b}}}", "a", "text", "b", 1, 2, "c", "d", "e", 1);

    ck_assert_uint_eq(limits.max_frame, 16u * 1024u * 1024u);
    ck_assert_uint_eq(limits.max_string, 16u * 1024u * 1024u);
    ck_assert_uint_eq(limits.max_array, 1000000);
    ck_assert_uint_eq(limits.max_depth, 64);
    ck_assert_uint_eq(limits.max_params, 1000);
    ck_assert_int_eq(cb_json_check_limits(v, &limits, &err), 0);
    json_decref(v);
}
END_TEST

START_TEST(test_cb_json_dump_compact)
{
    json_t *v = json_pack("{s:i, s:[b,n], s:s}", "a", 1, "b", 1, "c", "x\"y");
    size_t len = 0;
    char *s = cb_json_dump(v, &len);

    ck_assert_ptr_nonnull(s);
    ck_assert_str_eq(s, "{\"a\":1,\"b\":[true,null],\"c\":\"x\\\"y\"}");
    ck_assert_uint_eq(len, strlen(s));
    free(s);
    json_decref(v);
}
END_TEST

START_TEST(test_cb_json_dump_real_round_trips)
{
    json_t *v = json_pack("[f,f,f]", 0.1, 1.0 / 3.0, 1e300), *again;
    size_t len;
    char *s = cb_json_dump(v, &len);

    again = parse_ok(s, len);
    for (size_t i = 0; i < 3; i++) {
        ck_assert(json_real_value(json_array_get(again, i)) ==
                  json_real_value(json_array_get(v, i)));
    }
    free(s);
    json_decref(again);
    json_decref(v);
}
END_TEST

START_TEST(test_cb_json_dump_any_value)
{
    json_t *v = json_string("plain");
    char *s = cb_json_dump(v, NULL);

    ck_assert_str_eq(s, "\"plain\"");
    free(s);
    json_decref(v);
}
END_TEST

START_TEST(test_cb_json_get_string_default)
{
    json_t *v = json_pack("{s:s, s:n, s:i}", "s", "value", "null", "n", 3);

    ck_assert_str_eq(cb_json_get_string(v, "s", "def"), "value");
    ck_assert_str_eq(cb_json_get_string(v, "missing", "def"), "def");
    ck_assert_str_eq(cb_json_get_string(v, "null", "def"), "def");
    ck_assert_str_eq(cb_json_get_string(v, "n", "def"), "def");
    ck_assert_ptr_null(cb_json_get_string(v, "missing", NULL));
    json_decref(v);
}
END_TEST

START_TEST(test_cb_json_get_int_default)
{
    json_t *v = json_pack("{s:I, s:s, s:f}", "i", (json_int_t)INT64_MAX, "s", "5", "f", 1.5);

    ck_assert(cb_json_get_int(v, "i", 0) == INT64_MAX);
    ck_assert_int_eq(cb_json_get_int(v, "s", -1), -1);
    ck_assert_int_eq(cb_json_get_int(v, "f", -1), -1);
    ck_assert_int_eq(cb_json_get_int(v, "missing", 9), 9);
    json_decref(v);
}
END_TEST

START_TEST(test_cb_json_get_bool_default)
{
    json_t *v = json_pack("{s:b, s:b, s:i}", "t", 1, "f", 0, "i", 1);

    ck_assert(cb_json_get_bool(v, "t", false));
    ck_assert(!cb_json_get_bool(v, "f", true));
    ck_assert(cb_json_get_bool(v, "i", true));
    ck_assert(!cb_json_get_bool(v, "missing", false));
    json_decref(v);
}
END_TEST

START_TEST(test_cb_json_equal_types_matter)
{
    json_t *i = json_integer(1), *r = json_real(1.0), *i2 = json_integer(1);
    json_t *a = json_pack("{s:[i,s]}", "k", 1, "x"), *b = json_pack("{s:[i,s]}", "k", 1, "x");

    ck_assert(!cb_json_equal(i, r));
    ck_assert(cb_json_equal(i, i2));
    ck_assert(cb_json_equal(a, b));
    json_decref(i);
    json_decref(r);
    json_decref(i2);
    json_decref(a);
    json_decref(b);
}
END_TEST

static Suite *json_suite(void)
{
    Suite *s = suite_create("cb-json");
    TCase *tc;

    tc = tcase_create("parse");
    tcase_add_test(tc, test_cb_json_parse_object);
    tcase_add_test(tc, test_cb_json_parse_any_value_at_top);
    tcase_add_test(tc, test_cb_json_parse_duplicate_keys_refused);
    tcase_add_test(tc, test_cb_json_parse_nul_in_string_round_trips);
    tcase_add_test(tc, test_cb_json_parse_nul_in_key_refused);
    tcase_add_test(tc, test_cb_json_parse_raw_nul_byte_refused);
    tcase_add_loop_test(tc, test_cb_json_parse_invalid_utf8_refused, 0,
                        sizeof bad_utf8 / sizeof bad_utf8[0]);
    tcase_add_test(tc, test_cb_json_parse_valid_utf8_kept);
    tcase_add_loop_test(tc, test_cb_json_parse_integer_beyond_64_bits_refused, 0,
                        sizeof too_big_integers / sizeof too_big_integers[0]);
    tcase_add_test(tc, test_cb_json_parse_integer_at_64_bit_edges_kept);
    tcase_add_test(tc, test_cb_json_parse_trailing_bytes_refused);
    tcase_add_test(tc, test_cb_json_parse_trailing_whitespace_kept);
    tcase_add_loop_test(tc, test_cb_json_parse_malformed_refused, 0,
                        sizeof malformed / sizeof malformed[0]);
    tcase_add_test(tc, test_cb_json_parse_length_not_nul_terminated);
    suite_add_tcase(s, tc);

    tc = tcase_create("limits");
    tcase_add_test(tc, test_cb_json_check_limits_within);
    tcase_add_test(tc, test_cb_json_check_limits_string_too_long);
    tcase_add_test(tc, test_cb_json_check_limits_string_counts_bytes);
    tcase_add_test(tc, test_cb_json_check_limits_string_in_array_path);
    tcase_add_test(tc, test_cb_json_check_limits_array_too_long);
    tcase_add_test(tc, test_cb_json_check_limits_too_deep);
    tcase_add_test(tc, test_cb_json_check_limits_root_path);
    tcase_add_test(tc, test_cb_json_check_limits_defaults_accept_normal_values);
    suite_add_tcase(s, tc);

    tc = tcase_create("dump");
    tcase_add_test(tc, test_cb_json_dump_compact);
    tcase_add_test(tc, test_cb_json_dump_real_round_trips);
    tcase_add_test(tc, test_cb_json_dump_any_value);
    suite_add_tcase(s, tc);

    tc = tcase_create("getters");
    tcase_add_test(tc, test_cb_json_get_string_default);
    tcase_add_test(tc, test_cb_json_get_int_default);
    tcase_add_test(tc, test_cb_json_get_bool_default);
    tcase_add_test(tc, test_cb_json_equal_types_matter);
    suite_add_tcase(s, tc);

    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(json_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
