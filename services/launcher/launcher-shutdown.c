/* SPDX-License-Identifier: MIT */
/* Stopping: SIGTERM to every daemon, SIGKILL after a grace period, and nothing left behind. */
#include "launcher-internal.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/cb-log.h"

#define REAP_WAIT_USEC (2 * CB_USEC_PER_SEC)

static unsigned signal_daemons(struct launcher *l, int sig)
{
    unsigned n = 0;

    for (struct lc_daemon *d = lc_daemon_first(l); d; d = lc_daemon_next(l, d)) {
        if (d->pid > 0) {
            kill(d->pid, sig);
            n++;
        }
        d->restart_timer = sd_event_source_disable_unref(d->restart_timer);
        if (d->listen_source) {
            sd_event_source_set_enabled(d->listen_source, SD_EVENT_OFF);
        }
    }
    return n;
}

/* A daemon that made its own process group takes that group down with it. */
static void kill_daemon_group(struct lc_daemon *d)
{
    pid_t group = getpgid(d->pid);

    cb_log_warning("%s (pid %d) did not stop within %llu s; killing it", d->what, (int)d->pid,
                   (unsigned long long)(LC_STOP_TIMEOUT_USEC / CB_USEC_PER_SEC));
    kill(d->pid, SIGKILL);
    if (group > 0 && group != getpgrp()) {
        kill(-group, SIGKILL);
    }
}

static int on_stop_timeout(sd_event_source *s CB_UNUSED, uint64_t usec CB_UNUSED, void *userdata)
{
    struct launcher *l = userdata;

    if (l->stop_phase++ > 0) {
        cb_log_error("daemons are still not gone after SIGKILL; giving up waiting");
        sd_event_exit(l->event, 0);
        return 0;
    }
    for (struct lc_daemon *d = lc_daemon_first(l); d; d = lc_daemon_next(l, d)) {
        if (d->pid > 0) {
            kill_daemon_group(d);
        }
    }
    sd_event_source_set_time_relative(l->stop_timer, LC_STOP_TIMEOUT_USEC);
    sd_event_source_set_enabled(l->stop_timer, SD_EVENT_ONESHOT);
    return 0;
}

int lc_shutdown_begin(struct launcher *l)
{
    unsigned n;
    int r;

    if (l->stopping) {
        return 0;
    }
    l->stopping = true;
    n = signal_daemons(l, SIGTERM);
    cb_log_info("stopping: sent SIGTERM to %u daemon%s", n, n == 1 ? "" : "s");

    r = sd_event_add_time_relative(l->event, &l->stop_timer, CLOCK_MONOTONIC, LC_STOP_TIMEOUT_USEC,
                                   0, on_stop_timeout, l);
    if (r < 0) {
        cb_log_error_errno(r, "cannot arm the stop timer; killing the daemons now");
        signal_daemons(l, SIGKILL);
    }
    lc_shutdown_check(l);
    return 0;
}

void lc_shutdown_check(struct launcher *l)
{
    if (!l->stopping) {
        return;
    }
    for (struct lc_daemon *d = lc_daemon_first(l); d; d = lc_daemon_next(l, d)) {
        if (d->pid > 0) {
            return;
        }
    }
    sd_event_exit(l->event, 0);
}

/* Reads the parent and the process group of a pid from /proc; false when it is gone. */
static bool process_parent_group(pid_t pid, pid_t *ret_parent, pid_t *ret_group)
{
    char path[64];
    char buf[512];
    const char *p;
    FILE *f;
    size_t n;
    int parent, group;

    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    f = fopen(path, "re");
    if (!f) {
        return false;
    }
    n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';

    /* The command name may hold spaces and parentheses; the fields resume after the last ')'. */
    p = strrchr(buf, ')');
    if (!p || sscanf(p + 1, " %*c %d %d", &parent, &group) != 2) {
        return false;
    }
    *ret_parent = (pid_t)parent;
    *ret_group = (pid_t)group;
    return true;
}

/*
 * What KillMode=control-group would reach: every child left to us (as subreaper we inherit
 * the daemons' orphans) and, when the launcher leads its own session (after `start`), its
 * process group. Under `run` the group is the shell's job, and the other processes of a
 * pipeline are not ours to kill.
 */
static void lc_kill_leftovers(void)
{
    pid_t self = getpid();
    bool leader = getsid(0) == self;
    DIR *dir = opendir("/proc");
    struct dirent *de;

    if (!dir) {
        return;
    }
    while ((de = readdir(dir))) {
        pid_t pid = (pid_t)strtol(de->d_name, NULL, 10);
        pid_t parent, group;

        if (pid <= 0 || pid == self || !process_parent_group(pid, &parent, &group)) {
            continue;
        }
        if (parent == self || (leader && group == self)) {
            cb_log_warning("killing pid %d, left behind by a daemon", (int)pid);
            kill(pid, SIGKILL);
        }
    }
    closedir(dir);
}

/* The last reaping after the loop: no zombie of ours outlives the launcher. */
void lc_reap_remaining(void)
{
    uint64_t deadline = cb_now_monotonic_usec() + REAP_WAIT_USEC;
    bool swept = false;

    while (cb_now_monotonic_usec() < deadline) {
        siginfo_t si = { 0 };

        if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG) < 0) {
            return;
        }
        if (si.si_pid != 0) {
            continue;
        }
        if (!swept) {
            lc_kill_leftovers();
            swept = true;
        }
        nanosleep(&(struct timespec){ .tv_nsec = 20 * 1000 * 1000 }, NULL);
    }
}
