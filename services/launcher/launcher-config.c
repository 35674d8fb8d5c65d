/* SPDX-License-Identifier: MIT */
/* Writes the suite's configuration for the runtime directory, allowing the invoking user. */
#include "launcher-internal.h"

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "common/cb-log.h"

static void fclosep(FILE **f)
{
    if (*f) {
        fclose(*f);
    }
}

/* A user without a passwd entry (a container's arbitrary uid) is named by its number. */
static void invoking_user(char *buf, size_t size)
{
    struct passwd *pw = getpwuid(getuid());

    if (pw && pw->pw_name) {
        snprintf(buf, size, "%s", pw->pw_name);
    } else {
        snprintf(buf, size, "%u", (unsigned)getuid());
    }
}

static void write_defaults(FILE *f, struct launcher *l)
{
    char user[256];

    invoking_user(user, sizeof user);
    fprintf(f, "# written by cpan-bridge-dev\n");
    fprintf(f, "[access]\n");
    fprintf(f, "allowed_users = %s\n", user);
    fprintf(f, "administrators = %s\n", user);
    fprintf(f, "[router]\n");
    fprintf(f, "runtime_directory = %s\n", l->opts->runtime_dir);
    fprintf(f, "socket = %s\n", l->router_socket);
    fprintf(f, "activator = launcher\n");
    fprintf(f, "launcher_socket = %s\n", l->control_socket);
    fprintf(f, "instance_uid_min = 0\n");
    fprintf(f, "instance_uid_max = 4294967294\n");
}

static int append_file(FILE *out, const char *path)
{
    CB_CLEANUP(fclosep) FILE *in = fopen(path, "re");
    char buf[4096];
    size_t n;

    if (!in) {
        return cb_log_error_errno(errno, "cannot read the configuration %s", path);
    }
    fprintf(out, "# from %s\n", path);
    while ((n = fread(buf, 1, sizeof buf, in)) > 0) {
        fwrite(buf, 1, n, out);
    }
    if (ferror(in)) {
        return cb_log_error_errno(EIO, "cannot read the configuration %s", path);
    }
    fputc('\n', out);
    return 0;
}

static int write_to(const char *tmp, struct launcher *l)
{
    FILE *f = fopen(tmp, "we");
    int r = 0;

    if (!f) {
        return cb_log_error_errno(errno, "cannot create %s", tmp);
    }
    write_defaults(f, l);
    if (l->opts->config_file) {
        r = append_file(f, l->opts->config_file);
    }
    if (fclose(f) != 0 && r == 0) {
        r = cb_log_error_errno(errno, "cannot write %s", tmp);
    }
    return r;
}

/* Written aside and renamed, so a daemon never reads half a file. */
int lc_config_write(struct launcher *l)
{
    CB_CLEANUP(cb_freep) char *tmp = NULL;
    int r;

    if (asprintf(&tmp, "%s.tmp", l->conf_path) < 0) {
        return -ENOMEM;
    }
    r = write_to(tmp, l);
    if (r < 0) {
        unlink(tmp);
        return r;
    }
    if (rename(tmp, l->conf_path) < 0) {
        r = cb_log_error_errno(errno, "cannot write %s", l->conf_path);
        unlink(tmp);
        return r;
    }
    return 0;
}
