/* SPDX-License-Identifier: MIT */
/* Integration: a second uid, made by the test: who may call what, and whose handles are whose. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/cb-session.h"
#include "tests/integration/it-harness.h"

#define OTHER_UID 65534 /* nobody: exists on every Debian and RHEL host */

struct as_other {
    const char *module;
    const char *function;
    const char *params;
    char code[64];
    char result[512];
};

/* Makes one call as OTHER_UID from a child, and reads back its error code and result. */
static void call_as_other(struct as_other *a)
{
    int pipefd[2], status;
    pid_t pid;
    ssize_t n;

    ck_assert_int_eq(pipe(pipefd), 0);
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        struct cb_client *c = NULL;
        json_t *p = json_loads(a->params ? a->params : "{}", 0, NULL), *resp = NULL;
        char *text;

        if (setgid(OTHER_UID) < 0 || setuid(OTHER_UID) < 0 ||
            cb_client_connect(it_current.socket, 5000, &c) < 0 ||
            cb_client_call(c, a->module, a->function, p, &resp) < 0) {
            _exit(2);
        }
        text = json_dumps(json_object_get(resp, "result"), JSON_COMPACT | JSON_ENCODE_ANY);
        dprintf(pipefd[1], "%s\n%s", it_code(resp), text ? text : "null");
        _exit(0);
    }
    close(pipefd[1]);
    char buf[700] = "";
    n = read(pipefd[0], buf, sizeof buf - 1);
    close(pipefd[0]);
    ck_assert_int_ge(n, 0);
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child failed");
    char *nl = strchr(buf, '\n');
    ck_assert_ptr_nonnull(nl);
    *nl = '\0';
    snprintf(a->code, sizeof a->code, "%s", buf);
    snprintf(a->result, sizeof a->result, "%s", nl + 1);
}

START_TEST(test_module_rule_refuses_others)
{
    struct as_other ping = { .module = "test", .function = "ping" };
    struct as_other sys = { .module = "system", .function = "ping" };
    struct cb_client *c;
    json_t *resp;

    if (getuid() != 0) {
        return; /* needs to become another user */
    }
    call_as_other(&ping);
    ck_assert_str_eq(ping.code, "E_DENIED");
    call_as_other(&sys);
    ck_assert_str_eq(sys.code, "");

    c = it_connect(&it_current);
    resp = it_call(c, "test", "ping", NULL);
    ck_assert(cb_client_response_ok(resp));
    json_decref(resp);
    cb_client_free(c);
}
END_TEST

START_TEST(test_other_uid_cannot_use_handles)
{
    struct cb_client *c;
    json_t *resp;
    char params[200];
    const char *id;

    if (getuid() != 0) {
        return;
    }
    c = it_connect(&it_current);
    resp = it_call(c, "test", "hold", NULL);
    ck_assert(cb_client_response_ok(resp));
    id = json_string_value(json_object_get(json_object_get(resp, "result"), "handle_id"));
    snprintf(params, sizeof params, "{\"handle_id\": \"%s\"}", id);

    /* The other uid's calls go to its own instance, running as it: the handle is not there. */
    struct as_other held = { .module = "test", .function = "held", .params = params };
    call_as_other(&held);
    ck_assert_str_eq(held.code, "");
    ck_assert_str_eq(held.result, "{\"exists\":false}");

    struct as_other release = { .module = "test", .function = "release", .params = params };
    call_as_other(&release);
    ck_assert_str_eq(release.code, "E_HANDLE");

    /* The owner still has it, and the refusal was a security event. */
    json_t *still = it_call(c, "test", "held", params);
    ck_assert(json_is_true(json_object_get(json_object_get(still, "result"), "exists")));
    json_decref(still);
    json_t *stats = it_call(c, "system", "stats", NULL);
    json_t *types =
            json_object_get(json_object_get(json_object_get(stats, "result"), "security_metrics"),
                            "events_by_type");
    ck_assert_int_ge(json_integer_value(json_object_get(types, "foreign_handle")), 1);
    json_decref(stats);
    json_decref(resp);
    cb_client_free(c);
}
END_TEST

START_TEST(test_other_uid_has_its_own_instance)
{
    struct as_other hold = { .module = "test", .function = "hold" };
    uid_t owner;
    char boot[9], id[128];
    json_t *r;

    if (getuid() != 0) {
        return;
    }
    call_as_other(&hold);
    ck_assert_str_eq(hold.code, "");
    r = json_loads(hold.result, 0, NULL);
    snprintf(id, sizeof id, "%s", json_string_value(json_object_get(r, "handle_id")));
    json_decref(r);
    ck_assert_int_eq(cb_handle_id_parse(id, &owner, boot), 0);
    ck_assert_int_eq(owner, OTHER_UID);
}
END_TEST

static void start_module_rule(void)
{
    setenv("CB_IT_EXTRA_CONFIG", "[access]\nallowed_users = root nobody\n[modules]\ntest = root\n",
           1);
    it_fixture_start();
}

static void start_two_users(void)
{
    setenv("CB_IT_EXTRA_CONFIG", "[access]\nallowed_users = root nobody\n", 1);
    it_fixture_start();
}

static Suite *access_suite(void)
{
    Suite *s = suite_create("access");
    TCase *rules = tcase_create("modules");
    TCase *users = tcase_create("two-users");

    tcase_add_unchecked_fixture(rules, start_module_rule, it_fixture_stop);
    tcase_set_timeout(rules, 60);
    tcase_add_test(rules, test_module_rule_refuses_others);
    suite_add_tcase(s, rules);

    tcase_add_unchecked_fixture(users, start_two_users, it_fixture_stop);
    tcase_set_timeout(users, 60);
    tcase_add_test(users, test_other_uid_cannot_use_handles);
    tcase_add_test(users, test_other_uid_has_its_own_instance);
    suite_add_tcase(s, users);
    return s;
}

int main(void)
{
    return it_run(access_suite());
}
