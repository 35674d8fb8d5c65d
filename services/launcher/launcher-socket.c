/* SPDX-License-Identifier: MIT */
/* Binds the Unix sockets the launcher holds for the daemons, for control and for notify. */
#include "launcher-internal.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/cb-log.h"

static int make_address(const char *path, struct sockaddr_un *sa)
{
    size_t n = strlen(path);

    if (n >= sizeof sa->sun_path) {
        cb_log_error("socket path %s is too long (%zu bytes, at most %zu); use a shorter "
                     "--runtime-dir",
                     path, n, sizeof sa->sun_path - 1);
        return -ENAMETOOLONG;
    }
    *sa = (struct sockaddr_un){ .sun_family = AF_UNIX };
    memcpy(sa->sun_path, path, n);
    return 0;
}

/* Only a socket is replaced: a regular file there is somebody's data, not our leftover. */
int lc_socket_remove(const char *path)
{
    struct stat st;

    if (lstat(path, &st) < 0) {
        return errno == ENOENT ? 0 : -errno;
    }
    if (!S_ISSOCK(st.st_mode)) {
        return -EEXIST;
    }
    return unlink(path) < 0 && errno != ENOENT ? -errno : 0;
}

/* Binds with a umask that never lets the node exist with more rights than `mode`. */
static int bind_path(int fd, const char *path, mode_t mode)
{
    struct sockaddr_un sa;
    mode_t old;
    int r;

    r = make_address(path, &sa);
    if (r < 0) {
        return r;
    }
    r = lc_socket_remove(path);
    if (r < 0) {
        return cb_log_error_errno(r, "cannot replace %s", path);
    }

    old = umask(~mode & 0777);
    r = bind(fd, (struct sockaddr *)&sa, sizeof sa);
    umask(old);
    if (r < 0) {
        return cb_log_error_errno(errno, "cannot bind %s", path);
    }
    if (chmod(path, mode) < 0) {
        return cb_log_error_errno(errno, "cannot set the mode of %s", path);
    }
    return 0;
}

/*
 * The socket is blocking, as systemd passes sockets by default (NonBlocking=no); the
 * launcher only polls it and never accepts on it.
 */
int lc_socket_listen(const char *path, mode_t mode, int backlog, int *ret_fd)
{
    CB_CLEANUP(cb_closep) int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int r;

    if (fd < 0) {
        return cb_log_error_errno(errno, "cannot create a socket for %s", path);
    }
    r = bind_path(fd, path, mode);
    if (r < 0) {
        return r;
    }
    if (listen(fd, backlog) < 0) {
        return cb_log_error_errno(errno, "cannot listen on %s", path);
    }
    *ret_fd = CB_TAKE_FD(fd);
    return 0;
}

/*
 * Like systemd's notify socket: datagrams, with SO_PASSCRED so each one carries the sender's
 * pid, and writable by all since instances may run as other users (the pid is the check).
 */
int lc_socket_notify(const char *path, int *ret_fd)
{
    CB_CLEANUP(cb_closep) int fd = -1;
    int one = 1;
    int r;

    fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        return cb_log_error_errno(errno, "cannot create the notify socket");
    }
    if (setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof one) < 0) {
        return cb_log_error_errno(errno, "cannot enable SO_PASSCRED on the notify socket");
    }
    r = bind_path(fd, path, 0666);
    if (r < 0) {
        return r;
    }
    *ret_fd = CB_TAKE_FD(fd);
    return 0;
}
