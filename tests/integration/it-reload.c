/* SPDX-License-Identifier: MIT */
/* Integration: SIGHUP (systemctl reload) re-reads the configuration and drops nothing. */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/integration/it-harness.h"

static void append_config(const char *text)
{
    char path[300];
    FILE *f;

    snprintf(path, sizeof path, "%s/cpan-bridge.conf", it_current.dir);
    f = fopen(path, "ae");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

static bool eventually_code(struct cb_client *c,
                            const char *module,
                            const char *function,
                            const char *params,
                            const char *code)
{
    for (int i = 0; i < 300; i++) {
        json_t *resp = it_call(c, module, function, params);
        bool match = strcmp(it_code(resp), code) == 0;

        json_decref(resp);
        if (match) {
            return true;
        }
        usleep(10000);
    }
    return false;
}

START_TEST(test_reload_changes_rules_and_keeps_sessions)
{
    static const char many[] = "{\"a\": 1, \"b\": 2, \"c\": 3, \"d\": 4, \"e\": 5}";
    struct cb_client *c = it_connect(&it_current);
    char params[200];
    json_t *resp;
    const char *id;

    resp = it_call(c, "test", "hold", NULL);
    ck_assert(cb_client_response_ok(resp));
    id = json_string_value(json_object_get(json_object_get(resp, "result"), "handle_id"));
    snprintf(params, sizeof params, "{\"handle_id\": \"%s\"}", id);
    json_decref(it_call(c, "test", "ping", many));

    append_config("[limits]\nmax_param_count = 3\n[test]\nmax_sleep_ms = 50\n");
    ck_assert_int_eq(kill(it_router_pid(&it_current), SIGHUP), 0);
    ck_assert_int_eq(kill(it_instance_pid(&it_current, "core"), SIGHUP), 0);

    /* The router's limit and the instance's both change, on the same connection... */
    ck_assert(eventually_code(c, "test", "ping", many, "E_TOO_LARGE"));
    ck_assert(eventually_code(c, "test", "sleep", "{\"ms\": 100}", "E_INVALID_PARAM"));

    /* ...and nothing was dropped: the handle is still there. */
    json_t *held = it_call(c, "test", "held", params);
    ck_assert(json_is_true(json_object_get(json_object_get(held, "result"), "exists")));
    json_decref(held);
    json_decref(resp);
    cb_client_free(c);
}
END_TEST

START_TEST(test_broken_reload_keeps_running_configuration)
{
    struct cb_client *c = it_connect(&it_current);
    json_t *resp;

    append_config("[limits]\nmax_param_count = lots\n");
    ck_assert_int_eq(kill(it_router_pid(&it_current), SIGHUP), 0);
    usleep(200000);
    resp = it_call(c, "test", "ping", NULL);
    ck_assert(cb_client_response_ok(resp));
    json_decref(resp);
    cb_client_free(c);
}
END_TEST

static Suite *reload_suite(void)
{
    Suite *s = suite_create("reload");
    TCase *tc = tcase_create("sighup");

    tcase_add_unchecked_fixture(tc, it_fixture_start, it_fixture_stop);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_reload_changes_rules_and_keeps_sessions);
    tcase_add_test(tc, test_broken_reload_keeps_running_configuration);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return it_run(reload_suite());
}
