/* SPDX-License-Identifier: MIT */
/* Turns the command line's paths into absolute ones and fills in the defaults. */
#include "launcher-internal.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cb-log.h"

#define LC_SYSTEM_UNIT_DIR "/usr/lib/systemd/system"

/* mkdir -p: a fresh checkout's test may point at a runtime dir below a new temp dir. */
static int make_dir_parents(const char *path, mode_t mode)
{
    CB_CLEANUP(cb_freep) char *copy = strdup(path);
    int r;

    if (!copy) {
        return -ENOMEM;
    }
    for (char *p = copy + 1; *p; p++) {
        if (*p != '/') {
            continue;
        }
        *p = '\0';
        r = lc_make_dir(copy, mode);
        *p = '/';
        if (r < 0 && r != -EACCES && r != -EPERM) {
            return r;
        }
    }
    return lc_make_dir(path, mode);
}

static int own_directory(char **ret)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    char *dir;

    if (n < 0) {
        return -errno;
    }
    exe[n] = '\0';
    dir = strdup(dirname(exe));
    if (!dir) {
        return -ENOMEM;
    }
    *ret = dir;
    return 0;
}

static int replace_absolute(char **path, const char *what)
{
    char *abs;
    int r = lc_absolute(*path, &abs);

    if (r < 0) {
        return cb_log_error_errno(r, "cannot use %s '%s'", what, *path);
    }
    free(*path);
    *path = abs;
    return 0;
}

/* Run from build/ the daemons sit beside us; installed, we are in bindir and they in libexec. */
static int installed_bin_dir(struct lc_options *o)
{
    CB_CLEANUP(cb_freep) char *router = lc_path(o->bin_dir, "cpan-bridge-router");

    if (!router) {
        return -ENOMEM;
    }
    if (access(router, X_OK) == 0 || access(CB_LIBEXECDIR "/cpan-bridge-router", X_OK) < 0) {
        return 0;
    }
    free(o->bin_dir);
    o->bin_dir = strdup(CB_LIBEXECDIR);
    return o->bin_dir ? 0 : -ENOMEM;
}

static int default_units_dir(struct lc_options *o)
{
    CB_CLEANUP(cb_freep) char *candidate = lc_path(o->bin_dir, "../units");

    if (!candidate) {
        return -ENOMEM;
    }
    if (lc_is_dir(candidate)) {
        o->units_dir = CB_TAKE_PTR(candidate);
        return replace_absolute(&o->units_dir, "units directory");
    }
    o->units_dir = strdup(LC_SYSTEM_UNIT_DIR);
    return o->units_dir ? 0 : -ENOMEM;
}

static int finish_runtime_dir(struct lc_options *o, bool create)
{
    int r;

    if (!o->runtime_dir) {
        cb_log_error("--runtime-dir DIR is required");
        return -EINVAL;
    }
    if (create) {
        r = make_dir_parents(o->runtime_dir, 0755);
        if (r < 0) {
            return cb_log_error_errno(r, "cannot create runtime directory '%s'", o->runtime_dir);
        }
    }
    return replace_absolute(&o->runtime_dir, "runtime directory");
}

int lc_options_finish(struct lc_options *o, bool create)
{
    int r;

    r = finish_runtime_dir(o, create);
    if (r < 0) {
        return r;
    }

    if (o->bin_dir) {
        r = replace_absolute(&o->bin_dir, "binary directory");
    } else if ((r = own_directory(&o->bin_dir)) < 0) {
        cb_log_error_errno(r, "cannot find the directory of this program; use --bin-dir");
    } else {
        r = installed_bin_dir(o);
    }
    if (r < 0) {
        return r;
    }

    if (o->units_dir) {
        r = replace_absolute(&o->units_dir, "units directory");
    } else {
        r = default_units_dir(o);
    }
    if (r < 0) {
        return r;
    }

    if (o->config_file) {
        return replace_absolute(&o->config_file, "configuration file");
    }
    return 0;
}

void lc_options_clear(struct lc_options *o)
{
    free(o->runtime_dir);
    free(o->units_dir);
    free(o->bin_dir);
    free(o->config_file);
    *o = (struct lc_options){ 0 };
}
