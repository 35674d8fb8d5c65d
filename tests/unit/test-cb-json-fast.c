/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the fast JSON parser: on every input it must agree with jansson (with the
 * wire flags): the same value when both parse, and no value when jansson refuses. Fixed
 * cases at the edges, the corpora as requests, and random mutations of valid texts.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cb-json-internal.h"

#define FLAGS (JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL | JSON_DECODE_ANY)

static void assert_agrees(const char *text, size_t len)
{
    json_t *fast = cb_json_parse_fast(text, len);
    json_t *slow = json_loadb(text, len, FLAGS, NULL);

    if (fast) {
        ck_assert_msg(slow, "fast parsed what jansson refuses: %.*s", (int)len, text);
        ck_assert_msg(json_equal(fast, slow), "values differ for: %.*s", (int)len, text);
    }
    json_decref(fast);
    json_decref(slow);
}

static const char *const cases[] = {
    "{}",
    "[]",
    "0",
    "-0",
    "1",
    "-1",
    "123456789012345678",
    "1234567890123456789",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775808",
    "1.5",
    "-1.5e3",
    "1e400",
    "1e-400",
    "0.1",
    "1.",
    ".5",
    "01",
    "-",
    "1e",
    "1e+",
    "1E5",
    "true",
    "false",
    "null",
    "tru",
    "nul",
    "\"\"",
    "\"a\"",
    "\"\\u0000\"",
    "\"a\\u0000b\"",
    "\"\\ud83d\\ude00\"",
    "\"\\ud83d\"",
    "\"\\ude00\"",
    "\"\\u00e9\"",
    "\"\\u4e2d\"",
    "\"\\/\\\\\\\"\\b\\f\\n\\r\\t\"",
    "\"\\x\"",
    "\"\\u12\"",
    "\"\\u12g4\"",
    "\"caf\xc3\xa9\"",
    "\"\xc3\"",
    "\"\xe2\x82\"",
    "\"\xed\xa0\x80\"",
    "\"\xf4\x90\x80\x80\"",
    "\"\xc0\xaf\"",
    "\"\xff\"",
    "\"a\tb\"",
    "\"a\x01\"",
    "{\"a\":1,\"a\":2}",
    "{\"a\\u0000\":1}",
    "{\"\":1}",
    "{\"a\":1,}",
    "[1,]",
    "[1 2]",
    "{\"a\" 1}",
    "{1:2}",
    " {\"a\" : [ 1 , 2 ] } ",
    "{\"a\":1} x",
    "{\"a\":1}}",
    "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
    "{\"id\":7,\"module\":\"test\",\"function\":\"ping\",\"params\":{\"x\":[1,2.5,null,true,{}]}}",
    "\"\\u00E9\\u00e9\"",
    "\"\xf0\x9f\x98\x80\"",
    "",
    " ",
    "{\"a\":\"\\ud83d\\u0041\"}",
};

START_TEST(test_cb_json_parse_fast_agrees_on_edges)
{
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_agrees(cases[i], strlen(cases[i]));
    }
    assert_agrees("\"a\0b\"", 5); /* a raw NUL byte is not JSON */
}
END_TEST

START_TEST(test_cb_json_parse_fast_agrees_on_corpora)
{
    static const char *const files[] = { "tests/corpus/benign.txt", "tests/corpus/attacks.txt" };
    char line[8192];
    size_t n = 0;

    for (size_t k = 0; k < 2; k++) {
        FILE *f = fopen(files[k], "re");

        if (!f) {
            continue;
        }
        while (fgets(line, sizeof line, f)) {
            json_t *req = json_pack("{s:s, s:[s, i, f]}", "text", line, "more", line, 3, 2.5);
            char *text = json_dumps(req, JSON_COMPACT);

            assert_agrees(text, strlen(text));
            free(text);
            json_decref(req);
            n++;
        }
        fclose(f);
    }
    ck_assert_int_gt(n, 1000);
}
END_TEST

START_TEST(test_cb_json_parse_fast_agrees_on_mutations)
{
    static const char *const seeds[] = {
        "{\"id\":7,\"module\":\"test\",\"function\":\"echo\",\"params\":{\"s\":\"a\\u00e9\\ud83d\\ude00\","
        "\"n\":-12,\"r\":1.5e-3,\"b\":[true,false,null],\"o\":{\"k\":\"v\"}}}",
        "[\"\\\\\",\"\\\"\",0,-0,1e5,{\"\":\"\"},[[]]]",
    };
    unsigned seed = 12345;

    for (size_t s = 0; s < sizeof seeds / sizeof seeds[0]; s++) {
        size_t len = strlen(seeds[s]);
        char *buf = malloc(len + 1);

        for (int round = 0; round < 20000; round++) {
            memcpy(buf, seeds[s], len + 1);
            for (int m = 0; m < 1 + round % 3; m++) {
                seed = seed * 1103515245u + 12345u;
                buf[(seed >> 8) % len] = (char)(seed >> 16);
            }
            assert_agrees(buf, len);
        }
        free(buf);
    }
}
END_TEST

static Suite *fast_suite(void)
{
    Suite *s = suite_create("cb-json-fast");
    TCase *tc = tcase_create("agreement");

    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_cb_json_parse_fast_agrees_on_edges);
    tcase_add_test(tc, test_cb_json_parse_fast_agrees_on_corpora);
    tcase_add_test(tc, test_cb_json_parse_fast_agrees_on_mutations);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(fast_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
