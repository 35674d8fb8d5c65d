/* SPDX-License-Identifier: MIT */
/* Component-by-component opening of users' files, with the symlink and roots rules. */
#include "common/cb-path.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_SYMLINKS 40

struct walk {
    char pending[PATH_MAX * 2]; /* what is left to resolve, without a leading slash */
    int dirfd;
    unsigned symlinks;
};

bool cb_path_within_roots(const struct cb_config *c, const char *real_path)
{
    if (!c || !c->path_roots || !c->path_roots[0]) {
        return true;
    }
    for (char **root = c->path_roots; *root; root++) {
        size_t n = strlen(*root);

        while (n > 1 && (*root)[n - 1] == '/') {
            n--;
        }
        if (strncmp(real_path, *root, n) == 0 &&
            (real_path[n] == '/' || real_path[n] == '\0' || n == 1)) {
            return true;
        }
    }
    return false;
}

/*
 * Our own links are always followed. Anyone else's only in a directory that we or root own
 * and that others cannot write to: a link in /tmp, or in another user's directory, may have
 * been planted to point a caller's file at something the instance can reach.
 */
static bool symlink_safe(int dirfd, const char *name)
{
    struct stat dir, link;
    uid_t me = geteuid();

    if (fstat(dirfd, &dir) < 0 || fstatat(dirfd, name, &link, AT_SYMLINK_NOFOLLOW) < 0) {
        return false;
    }
    if (link.st_uid == me) {
        return true;
    }
    return (dir.st_uid == me || dir.st_uid == 0) && !(dir.st_mode & S_IWOTH);
}

static int path_error(struct cb_error *err, const char *param, int e, const char *path)
{
    switch (e) {
    case EACCES:
    case EPERM:
        return cb_error_set(err, CB_E_DENIED, "parameter '%s': %s: %s", param, path, strerror(e));
    case ENOENT:
    case ENOTDIR:
    case ELOOP:
    case EISDIR:
    case ENAMETOOLONG:
        return cb_error_set(err, CB_E_INVALID_PARAM, "parameter '%s': %s: %s", param, path,
                            strerror(e));
    default:
        return cb_error_set(err, CB_E_BACKEND, "parameter '%s': %s: %s", param, path, strerror(e));
    }
}

/* Splits the next component off w->pending into name. Returns false when none is left. */
static bool next_component(struct walk *w, char *name, size_t size, bool *ret_last)
{
    char *p = w->pending, *slash;
    size_t n;

    while (*p == '/') {
        p++;
    }
    if (!*p) {
        return false;
    }
    slash = strchr(p, '/');
    n = slash ? (size_t)(slash - p) : strlen(p);
    if (n >= size) {
        n = size - 1;
    }
    memcpy(name, p, n);
    name[n] = '\0';
    p += n;
    while (*p == '/') {
        p++;
    }
    memmove(w->pending, p, strlen(p) + 1);
    *ret_last = !*w->pending;
    return true;
}

/* Replaces the symlink's component by its target in what is left to walk. */
static int splice_symlink(struct walk *w, const char *name)
{
    char target[PATH_MAX], rest[PATH_MAX * 2];
    ssize_t n;

    if (++w->symlinks > MAX_SYMLINKS) {
        return -ELOOP;
    }
    n = readlinkat(w->dirfd, name, target, sizeof target - 1);
    if (n < 0) {
        return -errno;
    }
    target[n] = '\0';
    snprintf(rest, sizeof rest, "%s%s%s", target, *w->pending ? "/" : "", w->pending);
    if (strlen(rest) >= sizeof w->pending) {
        return -ENAMETOOLONG;
    }
    if (target[0] == '/') {
        int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);

        if (root < 0) {
            return -errno;
        }
        close(w->dirfd);
        w->dirfd = root;
    }
    strcpy(w->pending, rest);
    return 0;
}

static int step_directory(struct walk *w, const char *name)
{
    int fd = openat(w->dirfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

    if (fd < 0) {
        return -errno;
    }
    close(w->dirfd);
    w->dirfd = fd;
    return 0;
}

static bool is_symlink(int dirfd, const char *name)
{
    struct stat st;

    return fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode);
}

/* One component: a directory to enter, or the file to open; symlinks are spliced in. */
static int walk_one(struct walk *w, const char *name, bool last, int flags, mode_t mode, int *ret_fd)
{
    int r;

    if (is_symlink(w->dirfd, name)) {
        if (!symlink_safe(w->dirfd, name)) {
            return -EXDEV; /* our own marker: an unsafe symlink */
        }
        return splice_symlink(w, name);
    }
    if (!last) {
        return step_directory(w, name);
    }
    r = openat(w->dirfd, name, flags | O_NOFOLLOW | O_CLOEXEC, mode);
    if (r < 0) {
        /* O_CREAT|O_EXCL aside, a symlink created meanwhile would show as ELOOP: refuse it. */
        return errno == ELOOP ? -EXDEV : -errno;
    }
    *ret_fd = r;
    return 0;
}

static int check_roots(const struct cb_config *c,
                       const char *param,
                       int fd,
                       const char *path,
                       struct cb_error *err)
{
    char proc[64], real[PATH_MAX];
    ssize_t n;

    if (!c || !c->path_roots || !c->path_roots[0]) {
        return 0;
    }
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
    n = readlink(proc, real, sizeof real - 1);
    if (n < 0) {
        return cb_error_set(err, CB_E_INTERNAL, "parameter '%s': cannot tell where %s is", param,
                            path);
    }
    real[n] = '\0';
    if (!cb_path_within_roots(c, real)) {
        return cb_error_set(err, CB_E_DENIED,
                            "parameter '%s': %s is outside the configured roots ([paths] roots)",
                            param, path);
    }
    return 0;
}

int cb_path_open(const struct cb_config *c,
                 const char *param,
                 const char *path,
                 int flags,
                 mode_t mode,
                 struct cb_error *reterr)
{
    struct walk w = { .dirfd = -1 };
    char name[NAME_MAX + 1];
    bool last = false;
    int fd = -1, r = 0;

    if (path[0] != '/') {
        return cb_error_set(reterr, CB_E_INVALID_PARAM, "parameter '%s' must be an absolute path",
                            param);
    }
    if (strlen(path) >= sizeof w.pending) {
        return path_error(reterr, param, ENAMETOOLONG, path);
    }
    strcpy(w.pending, path + 1);
    w.dirfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (w.dirfd < 0) {
        return path_error(reterr, param, errno, path);
    }

    while (r >= 0 && fd < 0 && next_component(&w, name, sizeof name, &last)) {
        r = walk_one(&w, name, last, flags, mode, &fd);
    }
    close(w.dirfd);
    if (r == -EXDEV) {
        return cb_error_set(
                reterr, CB_E_DENIED,
                "parameter '%s': %s goes through a symlink in a directory another user controls, which is not followed",
                param, path);
    }
    if (r < 0) {
        return path_error(reterr, param, -r, path);
    }
    if (fd < 0) {
        /* The path named a directory ("/" or "dir/"): open it as asked. */
        fd = open(path, flags | O_CLOEXEC, mode);
        if (fd < 0) {
            return path_error(reterr, param, errno, path);
        }
    }
    r = check_roots(c, param, fd, path, reterr);
    if (r < 0) {
        close(fd);
        return r;
    }
    return fd;
}
