/* SPDX-License-Identifier: MIT */
/* Unit tests of cb-path: absolute paths only, the symlink rule, roots, and the error codes. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/cb-config.h"
#include "common/cb-path.h"

static char dir[64];

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/cb-path-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    ck_assert_int_eq(chmod(dir, 0755), 0);
}

static void teardown(void)
{
    char cmd[128];

    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}

static void make_file(const char *name, const char *text)
{
    char p[160];
    FILE *f;

    snprintf(p, sizeof p, "%s/%s", dir, name);
    f = fopen(p, "we");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

static int open_rel(const struct cb_config *c, const char *rel, int flags, struct cb_error *err)
{
    char p[200];

    snprintf(p, sizeof p, "%s/%s", dir, rel);
    return cb_path_open(c, "local_file", p, flags, 0644, err);
}

START_TEST(test_cb_path_open_reads_plain_file)
{
    struct cb_error err = CB_ERROR_INIT;
    char buf[16] = "";
    int fd;

    make_file("a.txt", "hello");
    fd = open_rel(NULL, "a.txt", O_RDONLY, &err);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(read(fd, buf, sizeof buf - 1), 5);
    ck_assert_str_eq(buf, "hello");
    close(fd);
}
END_TEST

START_TEST(test_cb_path_open_rejects_relative)
{
    struct cb_error err = CB_ERROR_INIT;

    ck_assert_int_eq(cb_path_open(NULL, "file", "a.txt", O_RDONLY, 0, &err), -EINVAL);
    ck_assert_int_eq(err.code, CB_E_INVALID_PARAM);
    ck_assert(strstr(err.message, "'file'"));
    cb_error_clear(&err);
}
END_TEST

START_TEST(test_cb_path_open_missing_is_invalid_param)
{
    struct cb_error err = CB_ERROR_INIT;

    ck_assert_int_eq(open_rel(NULL, "nope/x.txt", O_RDONLY, &err), -EINVAL);
    ck_assert_int_eq(err.code, CB_E_INVALID_PARAM);
    ck_assert(strstr(err.message, "No such file"));
    cb_error_clear(&err);
}
END_TEST

START_TEST(test_cb_path_open_creates_and_follows_dotdot)
{
    struct cb_error err = CB_ERROR_INIT;
    struct stat st;
    char p[200];
    int fd;

    ck_assert_int_eq(mkdir(strcat(strcpy(p, dir), "/sub"), 0755), 0);
    fd = open_rel(NULL, "sub/../new.txt", O_WRONLY | O_CREAT | O_EXCL, &err);
    ck_assert_int_ge(fd, 0);
    close(fd);
    snprintf(p, sizeof p, "%s/new.txt", dir);
    ck_assert_int_eq(stat(p, &st), 0);
}
END_TEST

START_TEST(test_cb_path_open_follows_own_symlink)
{
    struct cb_error err = CB_ERROR_INIT;
    char target[160], link[160];
    int fd;

    make_file("real.txt", "x");
    snprintf(target, sizeof target, "%s/real.txt", dir);
    snprintf(link, sizeof link, "%s/link.txt", dir);
    ck_assert_int_eq(symlink(target, link), 0);
    fd = open_rel(NULL, "link.txt", O_RDONLY, &err);
    ck_assert_int_ge(fd, 0);
    close(fd);
}
END_TEST

/* Another user's link in a world-writable directory is what an attacker would plant. */
START_TEST(test_cb_path_open_refuses_foreign_symlink_in_shared_dir)
{
    struct cb_error err = CB_ERROR_INIT;
    char link[160];
    int status;
    pid_t pid;

    if (geteuid() != 0) {
        return; /* needs a second user to own the link */
    }
    make_file("secret.txt", "s");
    ck_assert_int_eq(chmod(dir, 01777), 0);
    snprintf(link, sizeof link, "%s/planted", dir);
    pid = fork();
    if (pid == 0) {
        char target[160];

        snprintf(target, sizeof target, "%s/secret.txt", dir);
        _exit(setuid(65534) == 0 && symlink(target, link) == 0 ? 0 : 1);
    }
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_int_eq(WEXITSTATUS(status), 0);

    ck_assert_int_eq(open_rel(NULL, "planted", O_RDONLY, &err), -EACCES);
    ck_assert_int_eq(err.code, CB_E_DENIED);
    ck_assert(strstr(err.message, "symlink"));
    cb_error_clear(&err);
}
END_TEST

START_TEST(test_cb_path_open_roots)
{
    struct cb_config *c = cb_config_new_default();
    struct cb_error err = CB_ERROR_INIT;
    char root[160];
    int fd;

    make_file("in.txt", "x");
    snprintf(root, sizeof root, "%s", dir);
    c->path_roots = cb_strv_split(root, " ");
    fd = open_rel(c, "in.txt", O_RDONLY, &err);
    ck_assert_int_ge(fd, 0);
    close(fd);

    /* Climbing out with .. is judged by where the file really is. */
    ck_assert_int_eq(open_rel(c, "../../etc/hostname", O_RDONLY, &err), -EACCES);
    ck_assert_int_eq(err.code, CB_E_DENIED);
    ck_assert(strstr(err.message, "roots"));
    cb_error_clear(&err);
    cb_config_free(c);
}
END_TEST

START_TEST(test_cb_path_within_roots_prefix_is_not_enough)
{
    struct cb_config *c = cb_config_new_default();

    c->path_roots = cb_strv_split("/data /srv/", " ");
    ck_assert(cb_path_within_roots(c, "/data/x"));
    ck_assert(cb_path_within_roots(c, "/data"));
    ck_assert(cb_path_within_roots(c, "/srv/a/b"));
    ck_assert(!cb_path_within_roots(c, "/database/x"));
    ck_assert(!cb_path_within_roots(c, "/etc/passwd"));
    cb_config_free(c);
}
END_TEST

static Suite *path_suite(void)
{
    Suite *s = suite_create("cb-path");
    TCase *tc = tcase_create("open");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_cb_path_open_reads_plain_file);
    tcase_add_test(tc, test_cb_path_open_rejects_relative);
    tcase_add_test(tc, test_cb_path_open_missing_is_invalid_param);
    tcase_add_test(tc, test_cb_path_open_creates_and_follows_dotdot);
    tcase_add_test(tc, test_cb_path_open_follows_own_symlink);
    tcase_add_test(tc, test_cb_path_open_refuses_foreign_symlink_in_shared_dir);
    tcase_add_test(tc, test_cb_path_open_roots);
    tcase_add_test(tc, test_cb_path_within_roots_prefix_is_not_enough);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(path_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
