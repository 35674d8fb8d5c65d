/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the net family's text handling: mail address syntax and lists, RFC 2047
 * words, response content decoding, URL building and the URL shown in logs.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "common/cb-base64.h"
#include "services/net/net-internal.h"

START_TEST(test_addr_spec_valid_and_invalid)
{
    static const char *const good[] = {
        "a@example.com",
        "first.last@example.co.uk",
        "x+tag@sub.example.org",
        "\"odd local\"@example.com",
        "o'brien@example.ie",
        "user@[192.0.2.1]",
        "!#$%&'*+-/=?^_`{|}~@example.com",
    };
    static const char *const bad[] = {
        "",
        "plain",
        "@example.com",
        "a@",
        "a..b@example.com",
        ".a@example.com",
        "a.@example.com",
        "a b@example.com",
        "a@exa mple.com",
        "a@example..com",
        "a@[192.0.2.1",
    };
    const char *why;

    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        ck_assert_msg(net_addr_spec_valid(good[i], &why), "'%s' refused: %s", good[i], why);
        ck_assert_ptr_null(why);
    }
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        ck_assert_msg(!net_addr_spec_valid(bad[i], &why), "'%s' accepted", bad[i]);
        ck_assert_ptr_nonnull(why);
    }
}
END_TEST

START_TEST(test_addr_spec_length_limits)
{
    char local[80], addr[300];

    memset(local, 'a', 65);
    local[65] = '\0';
    snprintf(addr, sizeof addr, "%s@example.com", local);
    ck_assert(!net_addr_spec_valid(addr, NULL));
    local[64] = '\0';
    snprintf(addr, sizeof addr, "%s@example.com", local);
    ck_assert(net_addr_spec_valid(addr, NULL));
}
END_TEST

START_TEST(test_address_list_forms)
{
    struct cb_error err = CB_ERROR_INIT;
    struct net_address *list = NULL;
    size_t n = 0;
    json_t *v = json_string("a@x.org, \"Doe, Jane\" <jane@x.org>,Bob <bob@y.org> , ");

    ck_assert_int_eq(net_address_list(v, "to", &list, &n, &err), 0);
    ck_assert_uint_eq(n, 3);
    ck_assert_str_eq(list[0].addr, "a@x.org");
    ck_assert_ptr_null(list[0].display);
    ck_assert_str_eq(list[1].addr, "jane@x.org");
    ck_assert_str_eq(list[1].display, "Doe, Jane");
    ck_assert_str_eq(list[2].display, "Bob");
    net_address_list_free(list, n);
    json_decref(v);

    v = json_pack("[s, s]", "one@x.org", "two@x.org, three@x.org");
    ck_assert_int_eq(net_address_list(v, "cc", &list, &n, &err), 0);
    ck_assert_uint_eq(n, 3);
    ck_assert_str_eq(list[2].addr, "three@x.org");
    net_address_list_free(list, n);
    json_decref(v);

    v = json_string("good@x.org, not an address");
    ck_assert_int_lt(net_address_list(v, "to", &list, &n, &err), 0);
    ck_assert_int_eq(err.code, CB_E_INVALID_PARAM);
    ck_assert_ptr_nonnull(strstr(err.message, "'to'"));
    ck_assert_ptr_nonnull(strstr(err.message, "not an address"));
    cb_error_clear(&err);
    json_decref(v);

    v = json_string("Broken <x@y.org");
    ck_assert_int_lt(net_address_list(v, "to", &list, &n, &err), 0);
    ck_assert_int_eq(err.code, CB_E_INVALID_PARAM);
    cb_error_clear(&err);
    json_decref(v);
}
END_TEST

/* Decodes what net_header_encode wrote, word by word, checking each word's length. */
static char *decode_words(const char *s)
{
    char *out = calloc(1, strlen(s) + 1);
    size_t n = 0;

    while ((s = strstr(s, "=?UTF-8?B?"))) {
        const char *start = s + 10, *end = strstr(start, "?=");
        char *b64 = strndup(start, (size_t)(end - start));
        void *bytes;
        size_t len;

        ck_assert_uint_le((size_t)(end + 2 - s), 75);
        ck_assert_int_eq(cb_base64_decode(b64, &bytes, &len), 0);
        memcpy(out + n, bytes, len);
        n += len;
        free(bytes);
        free(b64);
        s = end + 2;
    }
    return out;
}

START_TEST(test_header_encode_rfc2047)
{
    const char *subject = "Grüße aus Köln — 日本語のテキスト 🎉 and a long tail of ASCII words too";
    char *enc = net_header_encode(subject), *dec;

    ck_assert_ptr_nonnull(enc);
    ck_assert_int_eq(strncmp(enc, "=?UTF-8?B?", 10), 0);
    dec = decode_words(enc);
    ck_assert_str_eq(dec, subject);
    free(dec);
    free(enc);

    enc = net_header_encode("plain ASCII stays as it is");
    ck_assert_str_eq(enc, "plain ASCII stays as it is");
    free(enc);
}
END_TEST

START_TEST(test_address_header_quotes_and_encodes)
{
    char d1[] = "Doe, \"J\"", a1[] = "j@x.org", d2[] = "Jörg", a2[] = "jorg@x.org",
         a3[] = "bare@x.org";
    struct net_address list[] = {
        { .display = d1, .addr = a1 },
        { .display = d2, .addr = a2 },
        { .display = NULL, .addr = a3 },
    };
    char *h = net_address_header(list, 3);

    ck_assert_str_eq(
            h, "\"Doe, \\\"J\\\"\" <j@x.org>, =?UTF-8?B?SsO2cmc=?= <jorg@x.org>, <bare@x.org>");
    free(h);
}
END_TEST

START_TEST(test_content_text_and_binary)
{
    json_t *v;

    v = net_content_value("application/json", "{\"a\":1}", 7);
    ck_assert(json_is_string(v));
    ck_assert_str_eq(json_string_value(v), "{\"a\":1}");
    json_decref(v);

    /* ISO-8859-1 0xE9 is é. */
    v = net_content_value("text/plain; charset=\"ISO-8859-1\"", "caf\xe9", 4);
    ck_assert_str_eq(json_string_value(v), "caf\xc3\xa9");
    json_decref(v);

    /* Bytes that are not UTF-8 in a UTF-8 text: the bytes, unaltered. */
    v = net_content_value("text/html; charset=utf-8", "a\xff", 2);
    ck_assert(cb_is_binary(v));
    ck_assert_str_eq(json_string_value(json_object_get(v, "$base64")), "Yf8=");
    json_decref(v);

    v = net_content_value("image/png", "\x89PNG", 4);
    ck_assert(cb_is_binary(v));
    json_decref(v);

    v = net_content_value(NULL, "abc", 3);
    ck_assert(cb_is_binary(v));
    json_decref(v);

    v = net_content_value("application/problem+json", "{}", 2);
    ck_assert(json_is_string(v));
    json_decref(v);

    v = net_content_value("application/octet-stream", "", 0);
    ck_assert_str_eq(json_string_value(v), "");
    json_decref(v);

    /* Overlong and surrogate forms are not UTF-8. */
    v = net_content_value("text/plain", "\xc0\xaf", 2);
    ck_assert(cb_is_binary(v));
    json_decref(v);
    v = net_content_value("text/plain", "\xed\xa0\x80", 3);
    ck_assert(cb_is_binary(v));
    json_decref(v);
    v = net_content_value("text/plain", "\xf0\x9f\x8e\x89", 4);
    ck_assert(json_is_string(v));
    json_decref(v);
}
END_TEST

START_TEST(test_url_build_and_policy)
{
    struct cb_error err = CB_ERROR_INIT;
    json_t *q = json_pack("{s:s, s:[i, i], s:b}", "q", "a b&c=d", "n", 1, 2, "flag", 1);
    char *url = NULL;

    ck_assert_int_eq(net_url_build("http://example.com/p?x=1", q, &url, &err), 0);
    ck_assert_str_eq(url, "http://example.com/p?x=1&q=a+b%26c%3dd&n=1&n=2&flag=1");
    free(url);
    json_decref(q);

    ck_assert_int_lt(net_url_build("ftp://example.com/", NULL, &url, &err), 0);
    ck_assert_int_eq(err.code, CB_E_INVALID_PARAM);
    ck_assert_ptr_nonnull(strstr(err.message, "ftp"));
    cb_error_clear(&err);

    ck_assert_int_lt(net_url_build("not a url", NULL, &url, &err), 0);
    ck_assert_int_eq(err.code, CB_E_INVALID_PARAM);
    cb_error_clear(&err);

    q = json_pack("{s:{s:i}}", "nested", "a", 1);
    ck_assert_int_lt(net_url_build("https://example.com/", q, &url, &err), 0);
    ck_assert_ptr_nonnull(strstr(err.message, "nested"));
    cb_error_clear(&err);
    json_decref(q);
}
END_TEST

START_TEST(test_url_for_log_hides_secrets)
{
    char *s = net_url_for_log("https://alice:hunter2@example.com:8443/a/b?token=s3cr3t#frag");

    ck_assert_str_eq(s, "https://example.com:8443/a/b");
    free(s);
}
END_TEST

static Suite *net_text_suite(void)
{
    Suite *s = suite_create("net-text");
    TCase *tc = tcase_create("text");

    tcase_add_test(tc, test_addr_spec_valid_and_invalid);
    tcase_add_test(tc, test_addr_spec_length_limits);
    tcase_add_test(tc, test_address_list_forms);
    tcase_add_test(tc, test_header_encode_rfc2047);
    tcase_add_test(tc, test_address_header_quotes_and_encodes);
    tcase_add_test(tc, test_content_text_and_binary);
    tcase_add_test(tc, test_url_build_and_policy);
    tcase_add_test(tc, test_url_for_log_hides_secrets);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(net_text_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
