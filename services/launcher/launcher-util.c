/* SPDX-License-Identifier: MIT */
/* Small path and file descriptor helpers of the launcher. */
#include "launcher-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

char *lc_path(const char *dir, const char *name)
{
    return lc_pathf(dir, "%s", name);
}

char *lc_pathf(const char *dir, const char *format, ...)
{
    char *name = NULL;
    char *path = NULL;
    va_list ap;
    int r;

    va_start(ap, format);
    r = vasprintf(&name, format, ap);
    va_end(ap);
    if (r < 0) {
        return NULL;
    }

    if (asprintf(&path, "%s/%s", dir, name) < 0) {
        path = NULL;
    }
    free(name);
    return path;
}

int lc_make_dir(const char *path, mode_t mode)
{
    struct stat st;

    if (mkdir(path, mode) == 0) {
        /* mkdir applies the umask; the mode asked for is the mode wanted. */
        return chmod(path, mode) < 0 ? -errno : 0;
    }
    if (errno != EEXIST) {
        return -errno;
    }
    if (stat(path, &st) < 0) {
        return -errno;
    }
    return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}

int lc_absolute(const char *path, char **ret)
{
    char *abs = realpath(path, NULL);

    if (!abs) {
        return -errno;
    }
    *ret = abs;
    return 0;
}

bool lc_is_executable(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

bool lc_is_dir(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int fd_set_flag(int fd, int get, int set, int flag, bool on)
{
    int flags = fcntl(fd, get);

    if (flags < 0) {
        return -errno;
    }
    flags = on ? flags | flag : flags & ~flag;
    return fcntl(fd, set, flags) < 0 ? -errno : 0;
}

int lc_fd_set_nonblock(int fd, bool on)
{
    return fd_set_flag(fd, F_GETFL, F_SETFL, O_NONBLOCK, on);
}

int lc_fd_set_cloexec(int fd, bool on)
{
    return fd_set_flag(fd, F_GETFD, F_SETFD, FD_CLOEXEC, on);
}
