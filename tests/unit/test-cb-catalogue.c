/* SPDX-License-Identifier: MIT */
/* Unit tests of the catalogue (common/cb-catalogue*.c): lookups, parameter checks, JSON. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/cb-catalogue.h"
#include "common/cb-error.h"
#include "common/cb-macro.h"

#define NAMES(...) ((const char *const[]){ __VA_ARGS__, NULL })

/*
 * A private schema with every kind of alias and coercion, so the checks are tested even
 * while the shipped table has few of them.
 */
static const struct cb_param sample_params[] = {
    { .name = "count", .type = CB_TYPE_INT, .aliases = NAMES("n", "num") },
    { .name = "flag", .type = CB_TYPE_BOOL },
    { .name = "mode",
      .type = CB_TYPE_ENUM,
      .enum_values = NAMES("fast", "safe"),
      .default_json = "\"safe\"" },
    { .name = "file", .type = CB_TYPE_PATH },
    { .name = "ratio", .type = CB_TYPE_NUM },
};

static const struct cb_function sample_functions[] = {
    { .name = "run",
      .aliases = NAMES("execute", "go"),
      .params = sample_params,
      .n_params = CB_ELEMENTSOF(sample_params) },
};

static const struct cb_module sample_module = {
    .name = "sample",
    .family = "core",
    .functions = sample_functions,
    .n_functions = CB_ELEMENTSOF(sample_functions),
};

static const struct cb_function *test_function(const char *name)
{
    const struct cb_module *m = cb_catalogue_find_module("test");
    const struct cb_function *f;

    ck_assert_ptr_nonnull(m);
    f = cb_catalogue_find_function(m, name);
    ck_assert_ptr_nonnull(f);
    return f;
}

/* Checks params given as JSON text; returns the checked object or NULL with *err set. */
static json_t *check_text(const struct cb_function *f,
                          const char *text,
                          int *ret_r,
                          struct cb_error *err)
{
    json_t *params = json_loads(text, 0, NULL), *out = NULL;

    ck_assert_ptr_nonnull(params);
    *ret_r = cb_catalogue_check_params(f, params, &out, err);
    json_decref(params);
    if (*ret_r < 0) {
        ck_assert_ptr_null(out);
    }
    return out;
}

static json_t *check_ok(const struct cb_function *f, const char *text)
{
    struct cb_error err = CB_ERROR_INIT;
    json_t *out;
    int r;

    out = check_text(f, text, &r, &err);
    ck_assert_msg(r == 0, "%s refused: %s", text, err.message ? err.message : "");
    return out;
}

static void check_refused(const struct cb_function *f, const char *text, const char *names)
{
    struct cb_error err = CB_ERROR_INIT;
    int r;

    check_text(f, text, &r, &err);
    ck_assert_int_eq(r, -EINVAL);
    ck_assert_int_eq(err.code, CB_E_INVALID_PARAM);
    ck_assert_ptr_nonnull(err.message);
    ck_assert_msg(strstr(err.message, names), "'%s' does not name %s", err.message, names);
    cb_error_clear(&err);
}

START_TEST(test_cb_catalogue_find_module_by_name)
{
    const struct cb_module *m = cb_catalogue_find_module("test");

    ck_assert_ptr_nonnull(m);
    ck_assert_str_eq(m->name, "test");
    ck_assert_str_eq(m->family, "core");
    ck_assert_ptr_null(cb_catalogue_find_module("nosuch"));
    ck_assert_ptr_null(cb_catalogue_find_module("Test"));
    ck_assert_ptr_null(cb_catalogue_find_module(""));
}
END_TEST

START_TEST(test_cb_catalogue_find_module_every_alias)
{
    size_t n;
    const struct cb_module *modules = cb_catalogue_modules(&n);

    ck_assert_uint_gt(n, 0);
    for (size_t i = 0; i < n; i++) {
        ck_assert_ptr_eq(cb_catalogue_find_module(modules[i].name), &modules[i]);
        for (const char *const *a = modules[i].aliases; a && *a; a++) {
            ck_assert_ptr_eq(cb_catalogue_find_module(*a), &modules[i]);
        }
    }
}
END_TEST

START_TEST(test_cb_catalogue_find_function_by_alias)
{
    const struct cb_function *f = cb_catalogue_find_function(&sample_module, "run");

    ck_assert_ptr_nonnull(f);
    ck_assert_ptr_eq(cb_catalogue_find_function(&sample_module, "execute"), f);
    ck_assert_ptr_eq(cb_catalogue_find_function(&sample_module, "go"), f);
    ck_assert_ptr_null(cb_catalogue_find_function(&sample_module, "walk"));
}
END_TEST

START_TEST(test_cb_catalogue_find_function_every_alias)
{
    size_t n;
    const struct cb_module *modules = cb_catalogue_modules(&n);

    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < modules[i].n_functions; j++) {
            const struct cb_function *f = &modules[i].functions[j];

            ck_assert_ptr_eq(cb_catalogue_find_function(&modules[i], f->name), f);
            for (const char *const *a = f->aliases; a && *a; a++) {
                ck_assert_ptr_eq(cb_catalogue_find_function(&modules[i], *a), f);
            }
        }
    }
}
END_TEST

START_TEST(test_cb_catalogue_resolve_known)
{
    struct cb_error err = CB_ERROR_INIT;
    const struct cb_module *m = NULL;
    const struct cb_function *f = NULL;

    ck_assert_int_eq(cb_catalogue_resolve("test", "sleep", &m, &f, &err), 0);
    ck_assert_str_eq(m->name, "test");
    ck_assert_str_eq(f->name, "sleep");
    ck_assert(!err.set);
}
END_TEST

START_TEST(test_cb_catalogue_resolve_unknown_module)
{
    struct cb_error err = CB_ERROR_INIT;
    const struct cb_module *m = NULL;
    const struct cb_function *f = NULL;

    ck_assert_int_eq(cb_catalogue_resolve("smtp_helper", "send", &m, &f, &err), -ENOENT);
    ck_assert_int_eq(err.code, CB_E_UNKNOWN_MODULE);
    ck_assert_ptr_nonnull(strstr(err.message, "'smtp_helper'"));
    ck_assert_ptr_null(m);
    ck_assert_ptr_null(f);
    cb_error_clear(&err);
}
END_TEST

START_TEST(test_cb_catalogue_resolve_unknown_function)
{
    struct cb_error err = CB_ERROR_INIT;
    const struct cb_module *m = NULL;
    const struct cb_function *f = NULL;

    ck_assert_int_eq(cb_catalogue_resolve("test", "explode", &m, &f, &err), -ENOENT);
    ck_assert_int_eq(err.code, CB_E_UNKNOWN_FUNCTION);
    ck_assert_ptr_nonnull(strstr(err.message, "'explode'"));
    ck_assert_ptr_null(m);
    cb_error_clear(&err);
}
END_TEST

START_TEST(test_cb_catalogue_find_family)
{
    size_t n;
    const struct cb_module *modules = cb_catalogue_modules(&n);
    const struct cb_family_info *core = cb_catalogue_find_family("core");

    ck_assert_ptr_nonnull(core);
    ck_assert_str_eq(core->binary, "cpan-bridge-core");
    ck_assert_ptr_null(cb_catalogue_find_family("nosuch"));

    /* Every module is served by a known family, or answered by the router. */
    for (size_t i = 0; i < n; i++) {
        ck_assert_msg(strcmp(modules[i].family, "router") == 0 ||
                              cb_catalogue_find_family(modules[i].family),
                      "module %s has unknown family %s", modules[i].name, modules[i].family);
    }
}
END_TEST

START_TEST(test_cb_catalogue_check_params_sleep_coerces_string)
{
    json_t *out = check_ok(test_function("sleep"), "{\"ms\":\"50\"}");

    ck_assert(json_is_integer(json_object_get(out, "ms")));
    ck_assert_int_eq(json_integer_value(json_object_get(out, "ms")), 50);
    json_decref(out);
}
END_TEST

START_TEST(test_cb_catalogue_check_params_sleep_accepts_number)
{
    json_t *out = check_ok(test_function("sleep"), "{\"ms\":0}");

    ck_assert_int_eq(json_integer_value(json_object_get(out, "ms")), 0);
    json_decref(out);
    out = check_ok(test_function("sleep"), "{\"ms\":25.0}");
    ck_assert(json_is_integer(json_object_get(out, "ms")));
    ck_assert_int_eq(json_integer_value(json_object_get(out, "ms")), 25);
    json_decref(out);
}
END_TEST

static const char *const bad_ms[] = {
    "{\"ms\":-1}",      "{\"ms\":\"-1\"}", "{\"ms\":3600001}", "{\"ms\":\"abc\"}",
    "{\"ms\":\"5.5\"}", "{\"ms\":2.5}",    "{\"ms\":true}",    "{\"ms\":[1]}",
    "{\"ms\":\"\"}",    "{\"ms\":\" 5\"}", "{\"ms\":null}",
};

START_TEST(test_cb_catalogue_check_params_sleep_bad_ms_refused)
{
    check_refused(test_function("sleep"), bad_ms[_i], "'ms'");
}
END_TEST

START_TEST(test_cb_catalogue_check_params_missing_required)
{
    check_refused(test_function("sleep"), "{}", "'ms'");
}
END_TEST

START_TEST(test_cb_catalogue_check_params_unknown_refused)
{
    check_refused(test_function("sleep"), "{\"ms\":5,\"colour\":\"red\"}", "'colour'");
    check_refused(test_function("hold"), "{\"x\":1}", "'x'");
}
END_TEST

START_TEST(test_cb_catalogue_check_params_open_passes_through)
{
    static const char text[] = "{\"n\":1,\"f\":1.5,\"s\":\"a\\u0000b\",\"b\":true,\"z\":null,"
                               "\"o\":{\"deep\":[1,\"2\"]}}";
    const struct cb_function *echo = test_function("echo");
    json_t *params = json_loads(text, JSON_ALLOW_NUL, NULL), *copy, *out = NULL;
    struct cb_error err = CB_ERROR_INIT;

    ck_assert(echo->open_params);
    ck_assert_ptr_nonnull(params);
    copy = json_deep_copy(params);
    ck_assert_int_eq(cb_catalogue_check_params(echo, params, &out, &err), 0);

    /* The very same object: nothing renamed, coerced or dropped, numbers stay numbers. */
    ck_assert_ptr_eq(out, params);
    ck_assert(json_equal(out, copy));
    ck_assert(json_is_integer(json_object_get(out, "n")));
    ck_assert(json_is_null(json_object_get(out, "z")));
    json_decref(out);
    json_decref(params);
    json_decref(copy);
}
END_TEST

START_TEST(test_cb_catalogue_check_params_defaults_filled)
{
    json_t *out = check_ok(test_function("error"), "{}");

    ck_assert_str_eq(json_string_value(json_object_get(out, "code")), "E_BACKEND");
    ck_assert_str_eq(json_string_value(json_object_get(out, "message")),
                     "error requested by test.error");
    json_decref(out);
}
END_TEST

START_TEST(test_cb_catalogue_check_params_null_optional_takes_default)
{
    json_t *out = check_ok(test_function("error"), "{\"code\":null,\"message\":\"m\"}");

    ck_assert_str_eq(json_string_value(json_object_get(out, "code")), "E_BACKEND");
    ck_assert_str_eq(json_string_value(json_object_get(out, "message")), "m");
    json_decref(out);
}
END_TEST

START_TEST(test_cb_catalogue_check_params_text_takes_number)
{
    json_t *out = check_ok(test_function("error"), "{\"message\":42}");

    ck_assert_str_eq(json_string_value(json_object_get(out, "message")), "42");
    json_decref(out);
}
END_TEST

START_TEST(test_cb_catalogue_check_params_alias_renamed)
{
    const struct cb_function *f = &sample_functions[0];
    json_t *out = check_ok(f, "{\"n\":3}");

    ck_assert_int_eq(json_integer_value(json_object_get(out, "count")), 3);
    ck_assert_ptr_null(json_object_get(out, "n"));
    json_decref(out);
}
END_TEST

START_TEST(test_cb_catalogue_check_params_name_and_alias_refused)
{
    check_refused(&sample_functions[0], "{\"count\":1,\"num\":2}", "'count'");
}
END_TEST

START_TEST(test_cb_catalogue_check_params_bool_forms)
{
    static const struct {
        const char *text;
        bool value;
    } forms[] = {
        { "{\"flag\":true}", true },  { "{\"flag\":false}", false }, { "{\"flag\":1}", true },
        { "{\"flag\":0}", false },    { "{\"flag\":\"1\"}", true },  { "{\"flag\":\"0\"}", false },
        { "{\"flag\":\"\"}", false },
    };

    for (size_t i = 0; i < CB_ELEMENTSOF(forms); i++) {
        json_t *out = check_ok(&sample_functions[0], forms[i].text);

        ck_assert(json_is_boolean(json_object_get(out, "flag")));
        ck_assert(json_is_true(json_object_get(out, "flag")) == forms[i].value);
        json_decref(out);
    }
    check_refused(&sample_functions[0], "{\"flag\":\"yes\"}", "'flag'");
    check_refused(&sample_functions[0], "{\"flag\":2}", "'flag'");
}
END_TEST

START_TEST(test_cb_catalogue_check_params_enum_canonical)
{
    json_t *out = check_ok(&sample_functions[0], "{\"mode\":\"FAST\"}");

    ck_assert_str_eq(json_string_value(json_object_get(out, "mode")), "fast");
    json_decref(out);
    out = check_ok(&sample_functions[0], "{}");
    ck_assert_str_eq(json_string_value(json_object_get(out, "mode")), "safe");
    json_decref(out);
    check_refused(&sample_functions[0], "{\"mode\":\"slow\"}", "'mode'");
}
END_TEST

START_TEST(test_cb_catalogue_check_params_path_absolute)
{
    json_t *out = check_ok(&sample_functions[0], "{\"file\":\"/tmp/x.xlsx\"}");

    ck_assert_str_eq(json_string_value(json_object_get(out, "file")), "/tmp/x.xlsx");
    json_decref(out);
    check_refused(&sample_functions[0], "{\"file\":\"x.xlsx\"}", "'file'");
    check_refused(&sample_functions[0], "{\"file\":7}", "'file'");
}
END_TEST

START_TEST(test_cb_catalogue_check_params_num_forms)
{
    json_t *out = check_ok(&sample_functions[0], "{\"ratio\":\"2.5\"}");

    ck_assert(json_real_value(json_object_get(out, "ratio")) == 2.5);
    json_decref(out);
    check_refused(&sample_functions[0], "{\"ratio\":\"2.5x\"}", "'ratio'");
    check_refused(&sample_functions[0], "{\"ratio\":\"nan\"}", "'ratio'");
}
END_TEST

START_TEST(test_cb_catalogue_check_params_refusal_does_not_echo_value)
{
    struct cb_error err = CB_ERROR_INIT;
    int r;

    /* A value may be a secret: the message names the parameter only. */
    check_text(test_function("sleep"), "{\"ms\":\"hunter2\"}", &r, &err);
    ck_assert_int_eq(r, -EINVAL);
    ck_assert_ptr_null(strstr(err.message, "hunter2"));
    cb_error_clear(&err);
}
END_TEST

START_TEST(test_cb_catalogue_to_json_api_version_and_test_module)
{
    json_t *doc = cb_catalogue_to_json(NULL);
    json_t *test, *ms;

    ck_assert_ptr_nonnull(doc);
    ck_assert_int_eq(json_integer_value(json_object_get(doc, "api_version")), 1);
    test = json_object_get(json_object_get(doc, "modules"), "test");
    ck_assert_ptr_nonnull(test);
    ck_assert_str_eq(json_string_value(json_object_get(test, "family")), "core");

    ms = json_object_get(
            json_object_get(json_object_get(json_object_get(test, "functions"), "sleep"), "params"),
            "ms");
    ck_assert_str_eq(json_string_value(json_object_get(ms, "type")), "int");
    ck_assert(json_is_true(json_object_get(ms, "required")));
    ck_assert_int_eq(json_integer_value(json_object_get(ms, "min")), 0);
    ck_assert(json_is_true(json_object_get(
            json_object_get(json_object_get(test, "functions"), "echo"), "open_params")));
    json_decref(doc);
}
END_TEST

START_TEST(test_cb_catalogue_to_json_one_module)
{
    json_t *doc = cb_catalogue_to_json(cb_catalogue_find_module("test"));
    json_t *modules = json_object_get(doc, "modules");

    ck_assert_uint_eq(json_object_size(modules), 1);
    ck_assert_ptr_nonnull(json_object_get(modules, "test"));
    json_decref(doc);
}
END_TEST

START_TEST(test_cb_catalogue_to_json_every_function_listed)
{
    json_t *doc = cb_catalogue_to_json(NULL);
    json_t *modules = json_object_get(doc, "modules");
    size_t n;
    const struct cb_module *table = cb_catalogue_modules(&n);

    ck_assert_uint_eq(json_object_size(modules), n);
    for (size_t i = 0; i < n; i++) {
        json_t *functions = json_object_get(json_object_get(modules, table[i].name), "functions");

        ck_assert_uint_eq(json_object_size(functions), table[i].n_functions);
    }
    json_decref(doc);
}
END_TEST

START_TEST(test_cb_param_type_to_string_names)
{
    ck_assert_str_eq(cb_param_type_to_string(CB_TYPE_TEXT), "text");
    ck_assert_str_eq(cb_param_type_to_string(CB_TYPE_INT), "int");
    ck_assert_str_eq(cb_param_type_to_string(CB_TYPE_MOMENT), "moment");
    for (int t = 0; t < _CB_TYPE_MAX; t++) {
        ck_assert_ptr_nonnull(cb_param_type_to_string((enum cb_param_type)t));
        ck_assert_str_ne(cb_param_type_to_string((enum cb_param_type)t), "unknown");
    }
    ck_assert_str_eq(cb_mode_class_to_string(CB_MODE_STATELESS), "S");
    ck_assert_str_eq(cb_mode_class_to_string(CB_MODE_REBUILDABLE), "R");
    ck_assert_str_eq(cb_mode_class_to_string(CB_MODE_DAEMON_ONLY), "D");
}
END_TEST

static Suite *catalogue_suite(void)
{
    Suite *s = suite_create("cb-catalogue");
    TCase *tc;

    tc = tcase_create("lookup");
    tcase_add_test(tc, test_cb_catalogue_find_module_by_name);
    tcase_add_test(tc, test_cb_catalogue_find_module_every_alias);
    tcase_add_test(tc, test_cb_catalogue_find_function_by_alias);
    tcase_add_test(tc, test_cb_catalogue_find_function_every_alias);
    tcase_add_test(tc, test_cb_catalogue_resolve_known);
    tcase_add_test(tc, test_cb_catalogue_resolve_unknown_module);
    tcase_add_test(tc, test_cb_catalogue_resolve_unknown_function);
    tcase_add_test(tc, test_cb_catalogue_find_family);
    suite_add_tcase(s, tc);

    tc = tcase_create("params");
    tcase_add_test(tc, test_cb_catalogue_check_params_sleep_coerces_string);
    tcase_add_test(tc, test_cb_catalogue_check_params_sleep_accepts_number);
    tcase_add_loop_test(tc, test_cb_catalogue_check_params_sleep_bad_ms_refused, 0,
                        CB_ELEMENTSOF(bad_ms));
    tcase_add_test(tc, test_cb_catalogue_check_params_missing_required);
    tcase_add_test(tc, test_cb_catalogue_check_params_unknown_refused);
    tcase_add_test(tc, test_cb_catalogue_check_params_open_passes_through);
    tcase_add_test(tc, test_cb_catalogue_check_params_defaults_filled);
    tcase_add_test(tc, test_cb_catalogue_check_params_null_optional_takes_default);
    tcase_add_test(tc, test_cb_catalogue_check_params_text_takes_number);
    tcase_add_test(tc, test_cb_catalogue_check_params_refusal_does_not_echo_value);
    suite_add_tcase(s, tc);

    tc = tcase_create("coercions");
    tcase_add_test(tc, test_cb_catalogue_check_params_alias_renamed);
    tcase_add_test(tc, test_cb_catalogue_check_params_name_and_alias_refused);
    tcase_add_test(tc, test_cb_catalogue_check_params_bool_forms);
    tcase_add_test(tc, test_cb_catalogue_check_params_enum_canonical);
    tcase_add_test(tc, test_cb_catalogue_check_params_path_absolute);
    tcase_add_test(tc, test_cb_catalogue_check_params_num_forms);
    suite_add_tcase(s, tc);

    tc = tcase_create("json");
    tcase_add_test(tc, test_cb_catalogue_to_json_api_version_and_test_module);
    tcase_add_test(tc, test_cb_catalogue_to_json_one_module);
    tcase_add_test(tc, test_cb_catalogue_to_json_every_function_listed);
    tcase_add_test(tc, test_cb_param_type_to_string_names);
    suite_add_tcase(s, tc);

    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(catalogue_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
