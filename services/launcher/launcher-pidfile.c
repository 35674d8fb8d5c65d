/* SPDX-License-Identifier: MIT */
/* The pid file: written and locked by a running launcher, read by start and stop. */
#include "launcher-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "common/cb-log.h"

/*
 * The lock, not the pid in the file, says whether a launcher runs: a stale file left by a
 * killed launcher may name a pid that now belongs to an unrelated process.
 */
int lc_pidfile_acquire(struct launcher *l)
{
    CB_CLEANUP(cb_closep) int fd = -1;
    char buf[32];
    int n;

    fd = open(l->pid_path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        return cb_log_error_errno(errno, "cannot open %s", l->pid_path);
    }
    if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
        if (errno == EWOULDBLOCK) {
            cb_log_error("another launcher is already running for %s", l->opts->runtime_dir);
            return -EBUSY;
        }
        return cb_log_error_errno(errno, "cannot lock %s", l->pid_path);
    }

    n = snprintf(buf, sizeof buf, "%d\n", (int)getpid());
    if (ftruncate(fd, 0) < 0 || pwrite(fd, buf, (size_t)n, 0) != n) {
        return cb_log_error_errno(errno, "cannot write %s", l->pid_path);
    }
    l->pid_fd = CB_TAKE_FD(fd);
    return 0;
}

void lc_pidfile_release(struct launcher *l)
{
    if (l->pid_fd < 0) {
        return;
    }
    /* Unlink while still holding the lock, so no other launcher sees our file as its own. */
    unlink(l->pid_path);
    close(l->pid_fd);
    l->pid_fd = -1;
}

static pid_t read_pid(int fd)
{
    char buf[32] = { 0 };
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    long pid;

    if (n <= 0) {
        return 0;
    }
    pid = strtol(buf, NULL, 10);
    return pid > 0 ? (pid_t)pid : 0;
}

/* Returns 1 with the pid (0 while the new launcher has not written it yet), 0, or -errno. */
int lc_pidfile_running(const char *runtime_dir, pid_t *ret_pid)
{
    CB_CLEANUP(cb_freep) char *path = lc_path(runtime_dir, LC_PID_FILE);
    CB_CLEANUP(cb_closep) int fd = -1;

    if (!path) {
        return -ENOMEM;
    }
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return errno == ENOENT ? 0 : -errno;
    }
    if (flock(fd, LOCK_SH | LOCK_NB) == 0) {
        return 0;
    }
    if (errno != EWOULDBLOCK) {
        return -errno;
    }
    *ret_pid = read_pid(fd);
    return 1;
}
