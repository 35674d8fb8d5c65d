/* SPDX-License-Identifier: MIT */
/* `cpan-bridge-dev stop`: ends a running launcher and makes sure its sockets are gone. */
#include "launcher-internal.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/cb-log.h"

#define STOP_WAIT_USEC (10 * CB_USEC_PER_SEC)
#define KILL_WAIT_USEC (2 * CB_USEC_PER_SEC)
#define POLL_USEC      (50 * CB_USEC_PER_MSEC)

static bool is_zombie(pid_t pid)
{
    char path[64];
    char buf[512];
    const char *p;
    FILE *f;
    size_t n;

    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    f = fopen(path, "re");
    if (!f) {
        return false;
    }
    n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    p = strrchr(buf, ')');
    return p && p[1] == ' ' && p[2] == 'Z';
}

static bool is_alive(pid_t pid)
{
    /* Reaps it when it is our own child (start's failure path); harmless otherwise. */
    waitpid(pid, NULL, WNOHANG);
    if (kill(pid, 0) < 0 && errno == ESRCH) {
        return false;
    }
    return !is_zombie(pid);
}

static bool wait_gone(pid_t pid, uint64_t timeout)
{
    uint64_t deadline = cb_now_monotonic_usec() + timeout;

    while (is_alive(pid)) {
        if (cb_now_monotonic_usec() >= deadline) {
            return false;
        }
        nanosleep(&(struct timespec){ .tv_nsec = POLL_USEC * 1000 }, NULL);
    }
    return true;
}

/*
 * The process group is killed only when the launcher leads its own session (after `start`):
 * a launcher under `run` shares its group with the shell's pipeline.
 */
int lc_stop_pid(pid_t pid)
{
    bool leader = getsid(pid) == pid;

    if (kill(pid, SIGTERM) < 0 && errno == ESRCH) {
        return 0;
    }
    if (!wait_gone(pid, STOP_WAIT_USEC)) {
        fprintf(stderr,
                "cpan-bridge-dev: the launcher (pid %d) did not stop within %llu s; "
                "killing its process group\n",
                (int)pid, (unsigned long long)(STOP_WAIT_USEC / CB_USEC_PER_SEC));
        kill(leader ? -pid : pid, SIGKILL);
        if (!wait_gone(pid, KILL_WAIT_USEC)) {
            fprintf(stderr, "cpan-bridge-dev: pid %d is still there after SIGKILL\n", (int)pid);
            return -ETIMEDOUT;
        }
    }
    /* Anything still in the group outlived the launcher; it would hold nothing useful. */
    if (leader && kill(-pid, 0) == 0) {
        kill(-pid, SIGKILL);
    }
    return 0;
}

static bool is_instance_socket(const char *name)
{
    size_t digits = strspn(name, "0123456789");

    return digits > 0 && strcmp(name + digits, ".sock") == 0;
}

static void remove_family_dir(const char *runtime_dir, const char *family)
{
    CB_CLEANUP(cb_freep) char *path = lc_path(runtime_dir, family);
    DIR *dir = path ? opendir(path) : NULL;
    struct dirent *de;

    if (!dir) {
        return;
    }
    while ((de = readdir(dir))) {
        CB_CLEANUP(cb_freep) char *sock = NULL;

        if (!is_instance_socket(de->d_name)) {
            continue;
        }
        sock = lc_path(path, de->d_name);
        if (sock) {
            lc_socket_remove(sock);
        }
    }
    closedir(dir);
    rmdir(path);
}

/* Leftovers of a launcher that could not clean up (SIGKILL): only sockets, only ours. */
static void lc_remove_runtime_sockets(const char *runtime_dir)
{
    static const char *const names[] = { LC_ROUTER_SOCKET, LC_CONTROL_SOCKET, LC_NOTIFY_SOCKET };
    DIR *dir;
    struct dirent *de;

    for (size_t i = 0; i < CB_ELEMENTSOF(names); i++) {
        CB_CLEANUP(cb_freep) char *path = lc_path(runtime_dir, names[i]);

        if (path) {
            lc_socket_remove(path);
        }
    }
    dir = opendir(runtime_dir);
    if (!dir) {
        return;
    }
    while ((de = readdir(dir))) {
        if (de->d_type == DT_DIR && lc_family_name_valid(de->d_name)) {
            remove_family_dir(runtime_dir, de->d_name);
        }
    }
    closedir(dir);
}

/*
 * A launcher killed with SIGKILL leaves its daemons running in its process group. The group
 * id is the dead launcher's pid, which the kernel does not hand out again while the group
 * has members, so the group is still certainly ours.
 */
static void kill_orphaned_group(const char *path)
{
    char buf[32] = { 0 };
    FILE *f = fopen(path, "re");
    long pid;

    if (!f) {
        return;
    }
    pid = fgets(buf, sizeof buf, f) ? strtol(buf, NULL, 10) : 0;
    fclose(f);
    if (pid <= 1 || is_alive((pid_t)pid) || kill(-(pid_t)pid, 0) < 0) {
        return;
    }
    fprintf(stderr, "cpan-bridge-dev: killing the daemons left by launcher %ld, which is gone\n",
            pid);
    kill(-(pid_t)pid, SIGKILL);
}

static void remove_stale_pidfile(const char *runtime_dir)
{
    CB_CLEANUP(cb_freep) char *path = lc_path(runtime_dir, LC_PID_FILE);
    pid_t pid;

    if (path && lc_pidfile_running(runtime_dir, &pid) == 0) {
        kill_orphaned_group(path);
        unlink(path);
    }
}

/* The pid appears a moment after the lock when a launcher is just starting. */
static pid_t running_pid(const char *runtime_dir)
{
    uint64_t deadline = cb_now_monotonic_usec() + CB_USEC_PER_SEC;
    pid_t pid = 0;

    while (lc_pidfile_running(runtime_dir, &pid) > 0) {
        if (pid > 0 || cb_now_monotonic_usec() >= deadline) {
            return pid;
        }
        nanosleep(&(struct timespec){ .tv_nsec = POLL_USEC * 1000 }, NULL);
    }
    return 0;
}

int lc_cmd_stop(struct lc_options *o)
{
    pid_t pid = running_pid(o->runtime_dir);
    int r = 0;

    if (pid <= 0) {
        fprintf(stderr, "cpan-bridge-dev: no launcher is running for %s\n", o->runtime_dir);
    } else {
        r = lc_stop_pid(pid);
    }
    if (r == 0) {
        lc_remove_runtime_sockets(o->runtime_dir);
        remove_stale_pidfile(o->runtime_dir);
    }
    return r;
}
