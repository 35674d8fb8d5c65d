/* SPDX-License-Identifier: MIT */
/* Unit tests of the configuration (common/cb-config*.c): defaults, files, drop-ins, errors. */
#include <check.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cb-config.h"
#include "common/cb-log.h"

static char tmpdir[64];
static char conf_path[128];

static void tmpdir_setup(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/test-cb-config-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
    snprintf(conf_path, sizeof conf_path, "%s/cpan-bridge.conf", tmpdir);
    /* The tests choose their file explicitly; the environment must not choose for them. */
    unsetenv("CPAN_BRIDGE_CONFIG");
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void tmpdir_teardown(void)
{
    (void)nftw(tmpdir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "we");

    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fputs(text, f) >= 0, 1);
    ck_assert_int_eq(fclose(f), 0);
}

/* Writes a drop-in into cpan-bridge.conf.d beside the main file. */
static void write_dropin(const char *name, const char *text)
{
    char dir[192], path[256];

    snprintf(dir, sizeof dir, "%s.d", conf_path);
    (void)mkdir(dir, 0755);
    snprintf(path, sizeof path, "%s/%s", dir, name);
    write_file(path, text);
}

static struct cb_config *load_ok(const char *path)
{
    struct cb_config *c = NULL;
    char *err = NULL;
    int r;

    r = cb_config_load(path, &c, &err);
    ck_assert_msg(r == 0, "load failed (%d): %s", r, err ? err : "");
    ck_assert_ptr_null(err);
    ck_assert_ptr_nonnull(c);
    return c;
}

/* Asserts that loading fails with `errno_expected` and a message starting with `prefix`. */
static void load_refused(int errno_expected, const char *prefix, const char *names)
{
    struct cb_config *c = NULL;
    char *err = NULL;

    ck_assert_int_eq(cb_config_load(conf_path, &c, &err), errno_expected);
    ck_assert_ptr_null(c);
    ck_assert_ptr_nonnull(err);
    ck_assert_msg(strncmp(err, prefix, strlen(prefix)) == 0, "'%s' does not start with '%s'", err,
                  prefix);
    if (names) {
        ck_assert_msg(strstr(err, names), "'%s' does not name %s", err, names);
    }
    free(err);
}

static void assert_defaults(const struct cb_config *c)
{
    struct cb_limits limits = CB_LIMITS_DEFAULT;

    ck_assert_uint_eq(cb_strv_length(c->allowed_users), 1);
    ck_assert_str_eq(c->allowed_users[0], "root");
    ck_assert_uint_eq(cb_strv_length(c->allowed_groups), 1);
    ck_assert_str_eq(c->allowed_groups[0], CB_CLIENTS_GROUP);
    ck_assert_uint_eq(c->limits.max_frame, limits.max_frame);
    ck_assert_uint_eq(c->limits.max_string, limits.max_string);
    ck_assert_uint_eq(c->limits.max_array, limits.max_array);
    ck_assert_uint_eq(c->limits.max_depth, limits.max_depth);
    ck_assert_uint_eq(c->limits.max_params, limits.max_params);
    ck_assert_uint_eq(c->max_connections_per_uid, 256);
    ck_assert_uint_eq(c->max_inflight_per_uid, 256);
    ck_assert_str_eq(c->runtime_dir, CB_RUNTIME_DIR_DEFAULT);
    ck_assert_str_eq(c->socket_path, "/run/cpan-bridge/cpan-bridge.sock");
    ck_assert_uint_eq(c->instance_uid_min, 1000);
    ck_assert_uint_eq(c->instance_uid_max, 60000);
    ck_assert_uint_eq(c->grace_seconds, 600);
    ck_assert_uint_eq(c->request_log_sample, 0);
    ck_assert_uint_eq(c->test_max_sleep_ms, 10000);
    ck_assert_uint_le(c->workers_min, c->workers_max);
}

START_TEST(test_cb_config_new_default_values)
{
    struct cb_config *c = cb_config_new_default();

    ck_assert_ptr_nonnull(c);
    assert_defaults(c);
    ck_assert_ptr_null(c->path);
    ck_assert_ptr_null(cb_config_free(c));
    ck_assert_ptr_null(cb_config_free(NULL));
}
END_TEST

START_TEST(test_cb_config_load_no_file_gives_defaults)
{
    struct cb_config *c;
    struct stat st;

    /* Only meaningful on a host without an installed configuration. */
    if (stat(CB_CONFIG_DEFAULT_PATH, &st) == 0 || stat(CB_CONFIG_DEFAULT_PATH ".d", &st) == 0) {
        return;
    }
    c = load_ok(NULL);
    assert_defaults(c);
    ck_assert_ptr_null(c->path);
    cb_config_free(c);
}
END_TEST

START_TEST(test_cb_config_load_empty_file_gives_defaults)
{
    struct cb_config *c;

    write_file(conf_path, "");
    c = load_ok(conf_path);
    assert_defaults(c);
    ck_assert_str_eq(c->path, conf_path);
    cb_config_free(c);
}
END_TEST

START_TEST(test_cb_config_load_named_missing_file)
{
    load_refused(-ENOENT, conf_path, "not found");
}
END_TEST

START_TEST(test_cb_config_load_from_environment)
{
    struct cb_config *c;

    write_file(conf_path, "[sessions]\ngrace_seconds = 7\n");
    setenv("CPAN_BRIDGE_CONFIG", conf_path, 1);
    c = load_ok(NULL);
    ck_assert_uint_eq(c->grace_seconds, 7);
    ck_assert_str_eq(c->path, conf_path);
    cb_config_free(c);
    unsetenv("CPAN_BRIDGE_CONFIG");
}
END_TEST

START_TEST(test_cb_config_load_environment_names_missing_file)
{
    struct cb_config *c = NULL;
    char *err = NULL;

    setenv("CPAN_BRIDGE_CONFIG", conf_path, 1);
    ck_assert_int_eq(cb_config_load(NULL, &c, &err), -ENOENT);
    ck_assert_ptr_nonnull(err);
    ck_assert_ptr_nonnull(strstr(err, conf_path));
    free(err);
    unsetenv("CPAN_BRIDGE_CONFIG");
}
END_TEST

START_TEST(test_cb_config_load_sections)
{
    struct cb_config *c;

    write_file(conf_path, "# cpan-bridge test configuration\n"
                          "; another comment style\n"
                          "\n"
                          "[access]\n"
                          "allowed_users = alice, 1001\tbob\n"
                          "allowed_groups =\n"
                          "administrators = alice\n"
                          "\n"
                          "  [ limits ]  \n"
                          "max_frame_bytes=1048576\n"
                          "  max_object_depth   =   10  \n"
                          "max_param_count = 5\n"
                          "[router]\n"
                          "socket = /tmp/x y.sock\n"
                          "instance_uid_min = 2000\n"
                          "[sessions]\n"
                          "grace_seconds = 5\n"
                          "[logging]\n"
                          "request_logging = all\n"
                          "[test]\n"
                          "max_sleep_ms = 200\n");
    c = load_ok(conf_path);

    ck_assert_uint_eq(cb_strv_length(c->allowed_users), 3);
    ck_assert_str_eq(c->allowed_users[0], "alice");
    ck_assert_str_eq(c->allowed_users[1], "1001");
    ck_assert_str_eq(c->allowed_users[2], "bob");
    ck_assert_uint_eq(cb_strv_length(c->allowed_groups), 0);
    ck_assert_str_eq(c->administrators[0], "alice");
    ck_assert_uint_eq(c->limits.max_frame, 1048576);
    ck_assert_uint_eq(c->limits.max_depth, 10);
    ck_assert_uint_eq(c->limits.max_params, 5);
    ck_assert_str_eq(c->socket_path, "/tmp/x y.sock");
    ck_assert_uint_eq(c->instance_uid_min, 2000);
    ck_assert_uint_eq(c->grace_seconds, 5);
    ck_assert_uint_eq(c->request_log_sample, 1);
    ck_assert_uint_eq(c->test_max_sleep_ms, 200);

    /* Keys the file does not set keep their defaults. */
    ck_assert_uint_eq(c->limits.max_string, 16u * 1024u * 1024u);
    ck_assert_uint_eq(c->instance_uid_max, 60000);
    cb_config_free(c);
}
END_TEST

START_TEST(test_cb_config_load_later_line_wins)
{
    struct cb_config *c;

    write_file(conf_path, "[sessions]\ngrace_seconds = 1\ngrace_seconds = 2\n");
    c = load_ok(conf_path);
    ck_assert_uint_eq(c->grace_seconds, 2);
    cb_config_free(c);
}
END_TEST

START_TEST(test_cb_config_load_dropins_in_order)
{
    struct cb_config *c;

    write_file(conf_path, "[sessions]\ngrace_seconds = 1\n[test]\nmax_sleep_ms = 100\n");
    /* Written out of order: they must be read by name, 10 before 50. */
    write_dropin("50-late.conf", "[sessions]\ngrace_seconds = 50\n");
    write_dropin("10-early.conf",
                 "[sessions]\ngrace_seconds = 10\n[logging]\nrequest_logging = 4\n");
    write_dropin("20-other.conf", "[test]\nmax_sleep_ms = 20\n");
    /* Not drop-ins: wrong suffix or hidden. Either would fail the load if read. */
    write_dropin("99-broken.conf.bak", "this is not a configuration\n");
    write_dropin("README", "this is not a configuration\n");
    write_dropin(".99-hidden.conf", "this is not a configuration\n");

    c = load_ok(conf_path);
    ck_assert_uint_eq(c->grace_seconds, 50);
    ck_assert_uint_eq(c->test_max_sleep_ms, 20);
    ck_assert_uint_eq(c->request_log_sample, 4);
    cb_config_free(c);
}
END_TEST

START_TEST(test_cb_config_load_dropin_section_does_not_leak)
{
    struct cb_config *c;

    /* Each file starts outside any section: a key before the first header is unknown. */
    write_file(conf_path, "[sessions]\n");
    write_dropin("10-a.conf", "grace_seconds = 9\n");
    c = load_ok(conf_path);
    ck_assert_uint_eq(c->grace_seconds, 600);
    cb_config_free(c);
}
END_TEST

START_TEST(test_cb_config_load_bad_value_names_file_and_line)
{
    char prefix[256];

    write_file(conf_path, "[sessions]\n# a comment\ngrace_seconds = soon\n");
    snprintf(prefix, sizeof prefix, "%s:3:", conf_path);
    load_refused(-EINVAL, prefix, "'grace_seconds'");
}
END_TEST

START_TEST(test_cb_config_load_value_out_of_range)
{
    char prefix[256];

    write_file(conf_path, "[limits]\nmax_object_depth = 1001\n");
    snprintf(prefix, sizeof prefix, "%s:2:", conf_path);
    load_refused(-ERANGE, prefix, "'max_object_depth'");
}
END_TEST

START_TEST(test_cb_config_load_negative_value_refused)
{
    char prefix[256];

    write_file(conf_path, "[test]\nmax_sleep_ms = -5\n");
    snprintf(prefix, sizeof prefix, "%s:2:", conf_path);
    load_refused(-EINVAL, prefix, "'max_sleep_ms'");
}
END_TEST

START_TEST(test_cb_config_load_bad_value_in_dropin_names_dropin)
{
    char prefix[256];

    write_file(conf_path, "[sessions]\ngrace_seconds = 1\n");
    write_dropin("10-ok.conf", "[test]\nmax_sleep_ms = 5\n");
    write_dropin("20-bad.conf", "\n\n[workers]\nmax_threads = many\n");
    snprintf(prefix, sizeof prefix, "%s.d/20-bad.conf:4:", conf_path);
    load_refused(-EINVAL, prefix, "'max_threads'");
}
END_TEST

START_TEST(test_cb_config_load_malformed_lines)
{
    char prefix[256];

    write_file(conf_path, "[limits\n");
    snprintf(prefix, sizeof prefix, "%s:1:", conf_path);
    load_refused(-EINVAL, prefix, "section");

    write_file(conf_path, "[limits]\njust some words\n");
    snprintf(prefix, sizeof prefix, "%s:2:", conf_path);
    load_refused(-EINVAL, prefix, NULL);
}
END_TEST

START_TEST(test_cb_config_load_unknown_key_ignored)
{
    struct cb_config *c;

    write_file(conf_path, "[limits]\nfrobnicate = 7\nmax_param_count = 5\n"
                          "[future_section]\nanything = at all\n");
    c = load_ok(conf_path);
    ck_assert_uint_eq(c->limits.max_params, 5);
    cb_config_free(c);
}
END_TEST

START_TEST(test_cb_config_load_inconsistent_values_refused)
{
    struct cb_config *c = NULL;
    char *err = NULL;

    write_file(conf_path, "[router]\ninstance_uid_min = 5000\ninstance_uid_max = 4000\n");
    ck_assert_int_eq(cb_config_load(conf_path, &c, &err), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "instance_uid_min"));
    free(err);

    err = NULL;
    write_file(conf_path, "[workers]\nmin_threads = 0\n");
    ck_assert_int_eq(cb_config_load(conf_path, &c, &err), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "min_threads"));
    free(err);
}
END_TEST

START_TEST(test_cb_config_family_sections)
{
    struct cb_config *c;

    write_file(conf_path, "[dsn_aliases]\ndbi:Oracle:prod1 = dbi:Pg:dbname=one\n"
                          "dbi:Oracle:prod* = dbi:Pg:dbname=all\n"
                          "[database]\nmax_statements = 12\n"
                          "[http]\nrefuse_link_local = Yes\n"
                          "[email]\nsmtp_host = mail.example\nsmtp_port = 2525\n");
    write_dropin("50-more.conf", "[dsn_aliases]\ndbi:Oracle:* = dbi:SQLite:dbname=:memory:\n");
    c = load_ok(conf_path);
    ck_assert_uint_eq(c->n_dsn_aliases, 3);
    /* First match wins, in file order, with drop-ins after the main file. */
    ck_assert_str_eq(cb_config_dsn_alias(c, "dbi:Oracle:prod1"), "dbi:Pg:dbname=one");
    ck_assert_str_eq(cb_config_dsn_alias(c, "dbi:Oracle:prod2"), "dbi:Pg:dbname=all");
    ck_assert_str_eq(cb_config_dsn_alias(c, "dbi:Oracle:test"), "dbi:SQLite:dbname=:memory:");
    ck_assert_ptr_null(cb_config_dsn_alias(c, "dbi:Pg:dbname=x"));
    ck_assert_uint_eq(c->db_max_statements, 12);
    ck_assert(c->http_refuse_link_local);
    ck_assert_str_eq(c->smtp_host, "mail.example");
    ck_assert_uint_eq(c->smtp_port, 2525);
    cb_config_free(c);

    c = cb_config_new_default();
    ck_assert_uint_eq(c->db_max_statements, 256);
    ck_assert(!c->http_refuse_link_local);
    ck_assert_str_eq(c->smtp_host, "localhost");
    ck_assert_uint_eq(c->smtp_port, 25);
    cb_config_free(c);
}
END_TEST

START_TEST(test_cb_config_family_values_checked)
{
    write_file(conf_path, "[database]\nmax_statements = 0\n");
    load_refused(-ERANGE, conf_path, "max_statements");
    write_file(conf_path, "[http]\nrefuse_link_local = maybe\n");
    load_refused(-EINVAL, conf_path, "refuse_link_local");
    write_file(conf_path, "[email]\nsmtp_port = 65536\n");
    load_refused(-ERANGE, conf_path, "smtp_port");
    write_file(conf_path, "[crypto]\nfips = maybe\n");
    load_refused(-EINVAL, "[crypto] fips", NULL);
}
END_TEST

START_TEST(test_cb_config_caller_allowed_rules)
{
    struct cb_config *c;
    gid_t member[] = { 4321, 70001 };
    gid_t stranger[] = { 4322 };

    write_file(conf_path, "[access]\nallowed_users = 70000\nallowed_groups = 70001\n"
                          "administrators = 70002\n");
    c = load_ok(conf_path);

    ck_assert(cb_config_caller_allowed(c, 0, NULL, 0));
    ck_assert(cb_config_caller_allowed(c, 70000, NULL, 0));
    ck_assert(cb_config_caller_allowed(c, 70005, member, 2));
    ck_assert(!cb_config_caller_allowed(c, 70005, stranger, 1));
    ck_assert(!cb_config_caller_allowed(c, 70005, NULL, 0));

    ck_assert(cb_config_caller_is_admin(c, 0));
    ck_assert(cb_config_caller_is_admin(c, 70002));
    ck_assert(!cb_config_caller_is_admin(c, 70000));
    cb_config_free(c);
}
END_TEST

START_TEST(test_cb_strv_split_separators)
{
    char **v = cb_strv_split(" a,,b  c ,", " ,");

    ck_assert_ptr_nonnull(v);
    ck_assert_uint_eq(cb_strv_length(v), 3);
    ck_assert_str_eq(v[0], "a");
    ck_assert_str_eq(v[1], "b");
    ck_assert_str_eq(v[2], "c");
    ck_assert_ptr_null(v[3]);
    cb_strv_free(v);

    v = cb_strv_split("", " ");
    ck_assert_ptr_nonnull(v);
    ck_assert_uint_eq(cb_strv_length(v), 0);
    cb_strv_free(v);

    v = cb_strv_split("1 2 3 4 5 6 7 8 9 10 11", " ");
    ck_assert_uint_eq(cb_strv_length(v), 11);
    ck_assert_str_eq(v[10], "11");
    cb_strv_free(v);

    ck_assert_uint_eq(cb_strv_length(NULL), 0);
    cb_strv_free(NULL);
}
END_TEST

static Suite *config_suite(void)
{
    Suite *s = suite_create("cb-config");
    TCase *tc;

    tc = tcase_create("defaults");
    tcase_add_checked_fixture(tc, tmpdir_setup, tmpdir_teardown);
    tcase_add_test(tc, test_cb_config_new_default_values);
    tcase_add_test(tc, test_cb_config_load_no_file_gives_defaults);
    tcase_add_test(tc, test_cb_config_load_empty_file_gives_defaults);
    tcase_add_test(tc, test_cb_config_load_named_missing_file);
    tcase_add_test(tc, test_cb_config_load_from_environment);
    tcase_add_test(tc, test_cb_config_load_environment_names_missing_file);
    suite_add_tcase(s, tc);

    tc = tcase_create("files");
    tcase_add_checked_fixture(tc, tmpdir_setup, tmpdir_teardown);
    tcase_add_test(tc, test_cb_config_load_sections);
    tcase_add_test(tc, test_cb_config_load_later_line_wins);
    tcase_add_test(tc, test_cb_config_load_dropins_in_order);
    tcase_add_test(tc, test_cb_config_load_dropin_section_does_not_leak);
    tcase_add_test(tc, test_cb_config_load_unknown_key_ignored);
    suite_add_tcase(s, tc);

    tc = tcase_create("errors");
    tcase_add_checked_fixture(tc, tmpdir_setup, tmpdir_teardown);
    tcase_add_test(tc, test_cb_config_load_bad_value_names_file_and_line);
    tcase_add_test(tc, test_cb_config_load_value_out_of_range);
    tcase_add_test(tc, test_cb_config_load_negative_value_refused);
    tcase_add_test(tc, test_cb_config_load_bad_value_in_dropin_names_dropin);
    tcase_add_test(tc, test_cb_config_load_malformed_lines);
    tcase_add_test(tc, test_cb_config_load_inconsistent_values_refused);
    suite_add_tcase(s, tc);

    tc = tcase_create("access");
    tcase_add_checked_fixture(tc, tmpdir_setup, tmpdir_teardown);
    tcase_add_test(tc, test_cb_config_family_sections);
    tcase_add_test(tc, test_cb_config_family_values_checked);
    tcase_add_test(tc, test_cb_config_caller_allowed_rules);
    tcase_add_test(tc, test_cb_strv_split_separators);
    suite_add_tcase(s, tc);

    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(config_suite());
    int failed;

    /* Unknown keys are logged as warnings by design; the tests need not show them. */
    cb_log_set_max_level(LOG_ERR);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
