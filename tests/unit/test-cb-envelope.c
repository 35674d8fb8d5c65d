/* SPDX-License-Identifier: MIT */
/* Unit tests of common/cb-envelope.c: request checking and the response shapes. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/cb-envelope.h"
#include "common/cb-error.h"
#include "common/cb-json.h"

#define TOKEN "0123456789abcdef0123456789abcdef"

struct parsed {
    int r;
    struct cb_request req;
    json_t *id; /* the id handed back on failure */
    struct cb_error err;
};

static void parse_with(const char *text,
                       enum cb_origin origin,
                       const struct cb_limits *limits,
                       struct parsed *p)
{
    *p = (struct parsed){ .err = CB_ERROR_INIT };
    p->r = cb_request_parse(text, strlen(text), origin, limits, &p->req, &p->id, &p->err);
}

static void parse(const char *text, enum cb_origin origin, struct parsed *p)
{
    struct cb_limits limits = CB_LIMITS_DEFAULT;

    parse_with(text, origin, &limits, p);
}

static void parsed_done(struct parsed *p)
{
    if (p->r == 0) {
        cb_request_done(&p->req);
    }
    json_decref(p->id);
    cb_error_clear(&p->err);
}

static void assert_accepted(const char *text, enum cb_origin origin, struct parsed *p)
{
    parse(text, origin, p);
    ck_assert_msg(p->r == 0, "refused (%d): %s", p->r, p->err.message ? p->err.message : "");
    ck_assert(!p->err.set);
}

/* Asserts a refusal with this errno and code, whose message names `field`. */
static void assert_refused(const char *text,
                           enum cb_origin origin,
                           int err,
                           enum cb_error_code code,
                           const char *field)
{
    struct parsed p;

    parse(text, origin, &p);
    ck_assert_int_eq(p.r, err);
    ck_assert(p.err.set);
    ck_assert_str_eq(cb_error_code_to_string(p.err.code), cb_error_code_to_string(code));
    ck_assert_ptr_nonnull(p.err.message);
    if (field) {
        ck_assert_msg(strstr(p.err.message, field), "'%s' does not name %s", p.err.message, field);
    }
    parsed_done(&p);
}

START_TEST(test_cb_request_parse_minimal)
{
    struct parsed p;

    assert_accepted("{\"id\":7,\"module\":\"test\",\"function\":\"ping\"}", CB_ORIGIN_CLIENT, &p);
    ck_assert_int_eq(json_integer_value(p.req.id), 7);
    ck_assert_str_eq(p.req.module, "test");
    ck_assert_str_eq(p.req.function, "ping");
    ck_assert(json_is_object(p.req.params));
    ck_assert_uint_eq(json_object_size(p.req.params), 0);
    ck_assert_ptr_null(p.req.session);
    ck_assert_ptr_null(p.req.session_env);
    ck_assert_int_eq(p.req.timeout_ms, -1);
    ck_assert_ptr_null(p.req.peer);
    ck_assert_ptr_null(p.req.env);
    ck_assert_ptr_null(p.req.control);
    ck_assert_ptr_null(p.id);
    parsed_done(&p);
}
END_TEST

START_TEST(test_cb_request_parse_every_optional_field)
{
    static const char text[] =
            "{\"id\":\"req-1\",\"module\":\"test\",\"function\":\"echo\",\"params\":{\"a\":[1]},"
            "\"session\":\"" TOKEN "\",\"session_env\":{\"TZ\":\"UTC\",\"umask\":18},"
            "\"timeout_ms\":1500,\"timestamp\":\"2026-01-01T00:00:00.000Z\","
            "\"perl_caller\":\"main::run line 3\",\"request_id\":\"r-42\","
            "\"client_version\":\"0.1.0\"}";
    struct parsed p;

    assert_accepted(text, CB_ORIGIN_CLIENT, &p);
    ck_assert_str_eq(json_string_value(p.req.id), "req-1");
    ck_assert_str_eq(p.req.session, TOKEN);
    ck_assert_str_eq(json_string_value(json_object_get(p.req.session_env, "TZ")), "UTC");
    ck_assert_int_eq(p.req.timeout_ms, 1500);
    ck_assert_str_eq(p.req.request_id, "r-42");
    ck_assert_str_eq(p.req.client_version, "0.1.0");
    ck_assert_int_eq(json_integer_value(json_array_get(json_object_get(p.req.params, "a"), 0)), 1);
    parsed_done(&p);
}
END_TEST

START_TEST(test_cb_request_parse_null_params_become_empty_object)
{
    struct parsed p;

    assert_accepted("{\"id\":1,\"module\":\"test\",\"function\":\"ping\",\"params\":null}",
                    CB_ORIGIN_CLIENT, &p);
    ck_assert(json_is_object(p.req.params));
    ck_assert_uint_eq(json_object_size(p.req.params), 0);
    parsed_done(&p);
}
END_TEST

START_TEST(test_cb_request_parse_id_edges_accepted)
{
    static const char *const texts[] = {
        "{\"id\":0,\"module\":\"test\",\"function\":\"ping\"}",
        "{\"id\":9007199254740991,\"module\":\"test\",\"function\":\"ping\"}",
        /* 64 characters */
        "{\"id\":\"0123456789012345678901234567890123456789012345678901234567890123\","
        "\"module\":\"test\",\"function\":\"ping\"}",
        /* 64 characters of two bytes each: the limit counts characters */
        "{\"id\":\"\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc"
        "\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc"
        "\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc"
        "\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc"
        "\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc"
        "\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc"
        "\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc"
        "\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\","
        "\"module\":\"test\",\"function\":\"ping\"}",
        "{\"id\":\"\",\"module\":\"test\",\"function\":\"ping\"}",
    };
    struct parsed p;

    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        assert_accepted(texts[i], CB_ORIGIN_CLIENT, &p);
        parsed_done(&p);
    }
}
END_TEST

static const char *const bad_ids[] = {
    "9007199254740992", /* 2^53 */
    "-1",
    "1.5",
    "1e3",
    "true",
    "[1]",
    "{\"n\":1}",
    "\"01234567890123456789012345678901234567890123456789012345678901234\"", /* 65 */
    "\"a\\u0000b\"",
};

START_TEST(test_cb_request_parse_bad_id_refused)
{
    char text[256];
    struct parsed p;

    snprintf(text, sizeof text, "{\"id\":%s,\"module\":\"test\",\"function\":\"ping\"}",
             bad_ids[_i]);
    parse(text, CB_ORIGIN_CLIENT, &p);
    ck_assert_int_eq(p.r, -EINVAL);
    ck_assert_int_eq(p.err.code, CB_E_INVALID_PARAM);
    ck_assert_ptr_nonnull(strstr(p.err.message, "'id'"));
    /* A bad id cannot be echoed: the answer carries null. */
    ck_assert_ptr_null(p.id);
    parsed_done(&p);
}
END_TEST

START_TEST(test_cb_request_id_valid_direct)
{
    json_t *v;

    v = json_integer(0);
    ck_assert(cb_request_id_valid(v));
    json_decref(v);
    v = json_integer((json_int_t)1 << 53);
    ck_assert(!cb_request_id_valid(v));
    json_decref(v);
    v = json_integer(((json_int_t)1 << 53) - 1);
    ck_assert(cb_request_id_valid(v));
    json_decref(v);
    v = json_null();
    ck_assert(!cb_request_id_valid(v));
    ck_assert(!cb_request_id_valid(NULL));
}
END_TEST

static const char *const reserved_fields[] = { "peer", "env", "_x", "_control" };

START_TEST(test_cb_request_parse_reserved_field_refused_from_client)
{
    char text[256];
    struct parsed p;
    char quoted[32];

    snprintf(text, sizeof text, "{\"id\":7,\"module\":\"test\",\"function\":\"ping\",\"%s\":{}}",
             reserved_fields[_i]);
    snprintf(quoted, sizeof quoted, "'%s'", reserved_fields[_i]);
    parse(text, CB_ORIGIN_CLIENT, &p);
    ck_assert_int_eq(p.r, -EINVAL);
    ck_assert_int_eq(p.err.code, CB_E_INVALID_PARAM);
    ck_assert_msg(strstr(p.err.message, quoted), "'%s' does not name %s", p.err.message, quoted);
    /* The id was good, so the refusal can carry it. */
    ck_assert_ptr_nonnull(p.id);
    ck_assert_int_eq(json_integer_value(p.id), 7);
    parsed_done(&p);
}
END_TEST

START_TEST(test_cb_request_parse_reserved_fields_accepted_from_router)
{
    static const char text[] =
            "{\"id\":3,\"module\":\"test\",\"function\":\"ping\","
            "\"peer\":{\"uid\":1000,\"gid\":1000,\"pid\":42},\"env\":{\"TZ\":\"UTC\"},\"_x\":1}";
    struct parsed p;

    assert_accepted(text, CB_ORIGIN_ROUTER, &p);
    ck_assert_ptr_nonnull(p.req.peer);
    ck_assert_int_eq(json_integer_value(json_object_get(p.req.peer, "uid")), 1000);
    ck_assert_ptr_nonnull(p.req.env);
    ck_assert_str_eq(json_string_value(json_object_get(p.req.env, "TZ")), "UTC");
    ck_assert_str_eq(p.req.module, "test");
    parsed_done(&p);
}
END_TEST

START_TEST(test_cb_request_parse_control_from_router)
{
    struct parsed p;

    assert_accepted("{\"_control\":\"session_end\"}", CB_ORIGIN_ROUTER, &p);
    ck_assert_str_eq(p.req.control, "session_end");
    parsed_done(&p);
}
END_TEST

START_TEST(test_cb_request_parse_router_peer_not_object)
{
    assert_refused("{\"id\":1,\"module\":\"test\",\"function\":\"ping\",\"peer\":5}",
                   CB_ORIGIN_ROUTER, -EPROTO, CB_E_PROTOCOL, "'peer'");
}
END_TEST

START_TEST(test_cb_request_parse_unknown_field_refused)
{
    assert_refused("{\"id\":1,\"module\":\"test\",\"function\":\"ping\",\"colour\":\"red\"}",
                   CB_ORIGIN_CLIENT, -EINVAL, CB_E_INVALID_PARAM, "'colour'");
    assert_refused("{\"id\":1,\"module\":\"test\",\"function\":\"ping\",\"colour\":\"red\"}",
                   CB_ORIGIN_ROUTER, -EINVAL, CB_E_INVALID_PARAM, "'colour'");
}
END_TEST

static const struct {
    const char *text;
    const char *field;
} bad_names[] = {
    { "{\"id\":1,\"function\":\"ping\"}", "'module'" },
    { "{\"id\":1,\"module\":42,\"function\":\"ping\"}", "'module'" },
    { "{\"id\":1,\"module\":null,\"function\":\"ping\"}", "'module'" },
    { "{\"id\":1,\"module\":[\"test\"],\"function\":\"ping\"}", "'module'" },
    { "{\"id\":1,\"module\":\"\",\"function\":\"ping\"}", "'module'" },
    { "{\"id\":1,\"module\":\"te\\u0000st\",\"function\":\"ping\"}", "'module'" },
    { "{\"id\":1,\"module\":\"test\"}", "'function'" },
    { "{\"id\":1,\"module\":\"test\",\"function\":true}", "'function'" },
};

START_TEST(test_cb_request_parse_bad_module_or_function_refused)
{
    assert_refused(bad_names[_i].text, CB_ORIGIN_CLIENT, -EINVAL, CB_E_INVALID_PARAM,
                   bad_names[_i].field);
}
END_TEST

static const char *const bad_params[] = { "[]", "\"x\"", "1", "true", "[{}]" };

START_TEST(test_cb_request_parse_params_not_object_refused)
{
    char text[128];

    snprintf(text, sizeof text,
             "{\"id\":1,\"module\":\"test\",\"function\":\"ping\",\"params\":%s}", bad_params[_i]);
    assert_refused(text, CB_ORIGIN_CLIENT, -EINVAL, CB_E_INVALID_PARAM, "'params'");
}
END_TEST

static const char *const bad_sessions[] = {
    "\"0123456789abcdef0123456789abcde\"",   /* 31 */
    "\"0123456789abcdef0123456789abcdef0\"", /* 33 */
    "\"0123456789ABCDEF0123456789ABCDEF\"",  /* upper case */
    "\"0123456789abcdef0123456789abcdeg\"",  /* not hex */
    "\"\"",
    "5",
    "{}",
};

START_TEST(test_cb_request_parse_bad_session_refused)
{
    char text[160];

    snprintf(text, sizeof text,
             "{\"id\":1,\"module\":\"test\",\"function\":\"ping\",\"session\":%s}",
             bad_sessions[_i]);
    assert_refused(text, CB_ORIGIN_CLIENT, -EINVAL, CB_E_INVALID_PARAM, "'session'");
}
END_TEST

START_TEST(test_cb_request_parse_null_session_is_none)
{
    struct parsed p;

    assert_accepted("{\"id\":1,\"module\":\"test\",\"function\":\"ping\",\"session\":null}",
                    CB_ORIGIN_CLIENT, &p);
    ck_assert_ptr_null(p.req.session);
    parsed_done(&p);
}
END_TEST

START_TEST(test_cb_session_token_valid_direct)
{
    ck_assert(cb_session_token_valid(TOKEN));
    ck_assert(cb_session_token_valid("ffffffffffffffffffffffffffffffff"));
    ck_assert(!cb_session_token_valid(""));
    ck_assert(!cb_session_token_valid("0123456789abcdef0123456789abcdeF"));
    ck_assert(!cb_session_token_valid("0123456789abcdef 123456789abcdef"));
    ck_assert(!cb_session_token_valid(TOKEN "0"));
}
END_TEST

START_TEST(test_cb_request_parse_bad_optional_fields_refused)
{
    assert_refused("{\"id\":1,\"module\":\"test\",\"function\":\"ping\",\"timeout_ms\":-1}",
                   CB_ORIGIN_CLIENT, -EINVAL, CB_E_INVALID_PARAM, "'timeout_ms'");
    assert_refused("{\"id\":1,\"module\":\"test\",\"function\":\"ping\",\"timeout_ms\":\"5\"}",
                   CB_ORIGIN_CLIENT, -EINVAL, CB_E_INVALID_PARAM, "'timeout_ms'");
    assert_refused("{\"id\":1,\"module\":\"test\",\"function\":\"ping\",\"session_env\":[]}",
                   CB_ORIGIN_CLIENT, -EINVAL, CB_E_INVALID_PARAM, "'session_env'");
}
END_TEST

START_TEST(test_cb_request_parse_json_error_has_null_id)
{
    struct parsed p;
    json_t *answer;

    parse("{\"id\":5,\"module\":", CB_ORIGIN_CLIENT, &p);
    ck_assert_int_eq(p.r, -EPROTO);
    ck_assert_int_eq(p.err.code, CB_E_PROTOCOL);
    ck_assert_ptr_null(p.id);

    answer = cb_response_error(p.id, &p.err);
    ck_assert(json_is_null(json_object_get(answer, "id")));
    ck_assert_str_eq(json_string_value(json_object_get(answer, "error_code")), "E_PROTOCOL");
    ck_assert(json_is_false(json_object_get(answer, "success")));
    json_decref(answer);
    parsed_done(&p);
}
END_TEST

START_TEST(test_cb_request_parse_duplicate_key_refused)
{
    struct parsed p;

    parse("{\"id\":1,\"module\":\"test\",\"module\":\"system\",\"function\":\"ping\"}",
          CB_ORIGIN_CLIENT, &p);
    ck_assert_int_eq(p.r, -EPROTO);
    ck_assert_int_eq(p.err.code, CB_E_PROTOCOL);
    ck_assert_ptr_null(p.id);
    parsed_done(&p);
}
END_TEST

START_TEST(test_cb_request_parse_not_an_object_refused)
{
    struct parsed p;

    parse("[{\"id\":1}]", CB_ORIGIN_CLIENT, &p);
    ck_assert_int_eq(p.r, -EPROTO);
    ck_assert_int_eq(p.err.code, CB_E_PROTOCOL);
    ck_assert_ptr_null(p.id);
    parsed_done(&p);
}
END_TEST

START_TEST(test_cb_request_parse_later_error_keeps_string_id)
{
    struct parsed p;

    parse("{\"id\":\"abc\",\"module\":\"test\",\"function\":\"ping\",\"params\":[]}",
          CB_ORIGIN_CLIENT, &p);
    ck_assert_int_eq(p.r, -EINVAL);
    ck_assert_str_eq(json_string_value(p.id), "abc");
    parsed_done(&p);
}
END_TEST

START_TEST(test_cb_request_parse_too_many_params)
{
    struct cb_limits limits = CB_LIMITS_DEFAULT;
    struct parsed p;

    limits.max_params = 2;
    parse_with("{\"id\":1,\"module\":\"test\",\"function\":\"echo\","
               "\"params\":{\"a\":1,\"b\":2,\"c\":3}}",
               CB_ORIGIN_CLIENT, &limits, &p);
    ck_assert_int_eq(p.r, -E2BIG);
    ck_assert_int_eq(p.err.code, CB_E_TOO_LARGE);
    ck_assert_ptr_nonnull(strstr(p.err.message, "max_param_count"));
    ck_assert_int_eq(json_integer_value(p.id), 1);
    parsed_done(&p);
}
END_TEST

START_TEST(test_cb_request_parse_value_limits_apply)
{
    struct cb_limits limits = CB_LIMITS_DEFAULT;
    struct parsed p;

    limits.max_string = 4;
    parse_with("{\"id\":1,\"module\":\"test\",\"function\":\"echo\",\"params\":{\"s\":\"12345\"}}",
               CB_ORIGIN_CLIENT, &limits, &p);
    ck_assert_int_eq(p.r, -E2BIG);
    ck_assert_int_eq(p.err.code, CB_E_TOO_LARGE);
    ck_assert_ptr_nonnull(strstr(p.err.message, "max_string_length"));
    ck_assert_ptr_nonnull(strstr(p.err.message, "params.s"));
    parsed_done(&p);

    limits = (struct cb_limits)CB_LIMITS_DEFAULT;
    limits.max_depth = 3;
    parse_with("{\"id\":1,\"module\":\"test\",\"function\":\"echo\",\"params\":{\"a\":{\"b\":{}}}}",
               CB_ORIGIN_CLIENT, &limits, &p);
    ck_assert_int_eq(p.r, -E2BIG);
    ck_assert_ptr_nonnull(strstr(p.err.message, "max_object_depth"));
    parsed_done(&p);
}
END_TEST

START_TEST(test_cb_request_done_resets)
{
    struct parsed p;

    assert_accepted("{\"id\":1,\"module\":\"test\",\"function\":\"ping\"}", CB_ORIGIN_CLIENT, &p);
    cb_request_done(&p.req);
    ck_assert_ptr_null(p.req.root);
    ck_assert_ptr_null(p.req.module);
    ck_assert_int_eq(p.req.timeout_ms, -1);
    p.r = -1; /* already done */
    parsed_done(&p);
}
END_TEST

START_TEST(test_cb_response_success_shape)
{
    json_t *id = json_integer(7);
    json_t *r = cb_response_success(id, json_pack("{s:s}", "message", "pong"));

    ck_assert_int_eq(json_integer_value(json_object_get(r, "id")), 7);
    ck_assert(json_is_true(json_object_get(r, "success")));
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(r, "result"), "message")),
                     "pong");
    ck_assert_uint_eq(json_object_size(r), 3);
    json_decref(r);

    r = cb_response_success(NULL, NULL);
    ck_assert(json_is_null(json_object_get(r, "id")));
    ck_assert(json_is_null(json_object_get(r, "result")));
    json_decref(r);
    json_decref(id);
}
END_TEST

START_TEST(test_cb_response_error_plain)
{
    struct cb_error err = CB_ERROR_INIT;
    json_t *id = json_string("x");
    json_t *r;

    cb_error_set(&err, CB_E_INVALID_PARAM, "parameter 'ms' must be an integer");
    r = cb_response_error(id, &err);
    ck_assert_str_eq(json_string_value(json_object_get(r, "id")), "x");
    ck_assert(json_is_false(json_object_get(r, "success")));
    ck_assert_str_eq(json_string_value(json_object_get(r, "error")),
                     "parameter 'ms' must be an integer");
    ck_assert_str_eq(json_string_value(json_object_get(r, "error_code")), "E_INVALID_PARAM");
    ck_assert(json_is_false(json_object_get(r, "retryable")));
    ck_assert_ptr_null(json_object_get(r, "retry_after_ms"));
    ck_assert_ptr_null(json_object_get(r, "outcome_unknown"));
    ck_assert_ptr_null(json_object_get(r, "backend_error"));
    json_decref(r);
    json_decref(id);
    cb_error_clear(&err);
}
END_TEST

START_TEST(test_cb_response_error_throttled_is_retryable)
{
    struct cb_error err = CB_ERROR_INIT;
    json_t *r;

    cb_error_set(&err, CB_E_THROTTLED, "rate limit");
    err.retry_after_ms = 120;
    r = cb_response_error(NULL, &err);
    ck_assert(json_is_true(json_object_get(r, "retryable")));
    ck_assert_int_eq(json_integer_value(json_object_get(r, "retry_after_ms")), 120);
    json_decref(r);
    cb_error_clear(&err);
}
END_TEST

START_TEST(test_cb_response_error_outcome_unknown_not_retryable)
{
    struct cb_error err = CB_ERROR_INIT;
    json_t *r;

    cb_error_set(&err, CB_E_UNAVAILABLE, "instance died");
    err.outcome_unknown = true;
    r = cb_response_error(NULL, &err);
    ck_assert(json_is_false(json_object_get(r, "retryable")));
    ck_assert(json_is_true(json_object_get(r, "outcome_unknown")));
    json_decref(r);
    cb_error_clear(&err);

    cb_error_set(&err, CB_E_UNAVAILABLE, "family not installed");
    r = cb_response_error(NULL, &err);
    ck_assert(json_is_true(json_object_get(r, "retryable")));
    json_decref(r);
    cb_error_clear(&err);
}
END_TEST

START_TEST(test_cb_response_error_backend_error)
{
    struct cb_error err = CB_ERROR_INIT;
    json_t *r, *b;

    cb_error_set_backend(&err, "42P01", "relation does not exist", "query failed");
    r = cb_response_error(NULL, &err);
    b = json_object_get(r, "backend_error");
    ck_assert_str_eq(json_string_value(json_object_get(b, "code")), "42P01");
    ck_assert_str_eq(json_string_value(json_object_get(b, "message")), "relation does not exist");
    ck_assert_str_eq(json_string_value(json_object_get(r, "error_code")), "E_BACKEND");
    json_decref(r);
    cb_error_clear(&err);
}
END_TEST

START_TEST(test_cb_response_error_dump_parses_back)
{
    struct cb_error err = CB_ERROR_INIT, perr = CB_ERROR_INIT;
    json_t *v = NULL;
    size_t len = 0;
    char *s;

    cb_error_set(&err, CB_E_PROTOCOL, "JSON does not parse");
    s = cb_response_error_dump(NULL, &err, &len);
    ck_assert_ptr_nonnull(s);
    ck_assert_uint_eq(len, strlen(s));
    ck_assert_int_eq(cb_json_parse(s, len, &v, &perr), 0);
    ck_assert(json_is_null(json_object_get(v, "id")));
    ck_assert_str_eq(json_string_value(json_object_get(v, "error_code")), "E_PROTOCOL");
    json_decref(v);
    free(s);
    cb_error_clear(&err);
}
END_TEST

static Suite *envelope_suite(void)
{
    Suite *s = suite_create("cb-envelope");
    TCase *tc;

    tc = tcase_create("accept");
    tcase_add_test(tc, test_cb_request_parse_minimal);
    tcase_add_test(tc, test_cb_request_parse_every_optional_field);
    tcase_add_test(tc, test_cb_request_parse_null_params_become_empty_object);
    tcase_add_test(tc, test_cb_request_parse_id_edges_accepted);
    tcase_add_test(tc, test_cb_request_parse_null_session_is_none);
    tcase_add_test(tc, test_cb_request_done_resets);
    suite_add_tcase(s, tc);

    tc = tcase_create("ids");
    tcase_add_loop_test(tc, test_cb_request_parse_bad_id_refused, 0,
                        sizeof bad_ids / sizeof bad_ids[0]);
    tcase_add_test(tc, test_cb_request_id_valid_direct);
    tcase_add_test(tc, test_cb_request_parse_later_error_keeps_string_id);
    suite_add_tcase(s, tc);

    tc = tcase_create("fields");
    tcase_add_loop_test(tc, test_cb_request_parse_reserved_field_refused_from_client, 0,
                        sizeof reserved_fields / sizeof reserved_fields[0]);
    tcase_add_test(tc, test_cb_request_parse_reserved_fields_accepted_from_router);
    tcase_add_test(tc, test_cb_request_parse_control_from_router);
    tcase_add_test(tc, test_cb_request_parse_router_peer_not_object);
    tcase_add_test(tc, test_cb_request_parse_unknown_field_refused);
    tcase_add_loop_test(tc, test_cb_request_parse_bad_module_or_function_refused, 0,
                        sizeof bad_names / sizeof bad_names[0]);
    tcase_add_loop_test(tc, test_cb_request_parse_params_not_object_refused, 0,
                        sizeof bad_params / sizeof bad_params[0]);
    tcase_add_test(tc, test_cb_request_parse_bad_optional_fields_refused);
    suite_add_tcase(s, tc);

    tc = tcase_create("sessions");
    tcase_add_loop_test(tc, test_cb_request_parse_bad_session_refused, 0,
                        sizeof bad_sessions / sizeof bad_sessions[0]);
    tcase_add_test(tc, test_cb_session_token_valid_direct);
    suite_add_tcase(s, tc);

    tc = tcase_create("protocol");
    tcase_add_test(tc, test_cb_request_parse_json_error_has_null_id);
    tcase_add_test(tc, test_cb_request_parse_duplicate_key_refused);
    tcase_add_test(tc, test_cb_request_parse_not_an_object_refused);
    tcase_add_test(tc, test_cb_request_parse_too_many_params);
    tcase_add_test(tc, test_cb_request_parse_value_limits_apply);
    suite_add_tcase(s, tc);

    tc = tcase_create("responses");
    tcase_add_test(tc, test_cb_response_success_shape);
    tcase_add_test(tc, test_cb_response_error_plain);
    tcase_add_test(tc, test_cb_response_error_throttled_is_retryable);
    tcase_add_test(tc, test_cb_response_error_outcome_unknown_not_retryable);
    tcase_add_test(tc, test_cb_response_error_backend_error);
    tcase_add_test(tc, test_cb_response_error_dump_parses_back);
    suite_add_tcase(s, tc);

    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(envelope_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
