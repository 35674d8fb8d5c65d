/* SPDX-License-Identifier: MIT */
/* Reaps children and decides what a daemon's end means: idle exit, or failure and restart. */
#include "launcher-internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "common/cb-log.h"

static void describe_exit(const siginfo_t *si, char *buf, size_t size)
{
    const char *name = sigabbrev_np(si->si_status);

    switch (si->si_code) {
    case CLD_EXITED:
        snprintf(buf, size, "exited with status %d", si->si_status);
        break;
    case CLD_KILLED:
        snprintf(buf, size, "was killed by signal %d (SIG%s)", si->si_status, name ? name : "?");
        break;
    case CLD_DUMPED:
        snprintf(buf, size, "was killed by signal %d (SIG%s) and dumped core", si->si_status,
                 name ? name : "?");
        break;
    default:
        snprintf(buf, size, "ended (code %d, status %d)", si->si_code, si->si_status);
        break;
    }
}

static int on_restart(sd_event_source *s CB_UNUSED, uint64_t usec CB_UNUSED, void *userdata)
{
    struct lc_daemon *d = userdata;

    d->restart_timer = sd_event_source_disable_unref(d->restart_timer);
    d->restarts++;
    cb_log_info("restarting %s (restart %u)", d->what, d->restarts);
    lc_daemon_start(d);
    return 0;
}

/* Restart=on-failure with a doubling delay; a long good run starts the doubling afresh. */
static uint64_t next_delay(struct lc_daemon *d)
{
    uint64_t now = cb_now_monotonic_usec();
    uint64_t delay;

    if (d->started_usec > 0 && now - d->started_usec >= LC_BACKOFF_RESET_USEC) {
        d->backoff_usec = LC_BACKOFF_MIN_USEC;
    }
    delay = d->backoff_usec;
    d->backoff_usec = CB_MIN(delay * 2, LC_BACKOFF_MAX_USEC);
    return delay;
}

void lc_daemon_failed(struct lc_daemon *d, const char *how)
{
    uint64_t delay = next_delay(d);
    int r;

    d->state = LC_FAILED;
    d->started_usec = 0;
    d->last_failure_usec = cb_now_realtime_usec();
    cb_log_full(LOG_ERR, 0, CB_MESSAGE_INSTANCE_DIED, NULL, "%s; restarting in %llu ms", how,
                (unsigned long long)(delay / CB_USEC_PER_MSEC));

    d->restart_timer = sd_event_source_disable_unref(d->restart_timer);
    r = sd_event_add_time_relative(d->launcher->event, &d->restart_timer, CLOCK_MONOTONIC, delay, 0,
                                   on_restart, d);
    if (r < 0) {
        /* Without a timer the socket at least still starts it on the next connection. */
        cb_log_error_errno(r, "cannot schedule the restart of %s", d->what);
        lc_daemon_watch(d);
    }
}

static void lc_daemon_exited(struct lc_daemon *d, const siginfo_t *si)
{
    bool clean = si->si_code == CLD_EXITED && si->si_status == 0 && !d->watchdog_fired;
    char how[256];
    char ended[96];

    describe_exit(si, ended, sizeof ended);
    snprintf(how, sizeof how, "%s (pid %d) %s", d->what, (int)d->pid, ended);
    lc_watchdog_disarm(d);
    d->pid = 0;
    d->ready = false;
    free(d->status);
    d->status = NULL;

    if (d->launcher->stopping) {
        cb_log_info("%s", how);
        d->state = LC_IDLE;
        return;
    }
    if (clean) {
        /* An idle exit: systemd's socket unit goes back to listening, and so do we. */
        cb_log_info("%s; it starts again on the next connection", how);
        lc_daemon_watch(d);
        return;
    }
    lc_daemon_failed(d, how);
}

int lc_on_sigchld(sd_event_source *s CB_UNUSED,
                  const struct signalfd_siginfo *ssi CB_UNUSED,
                  void *userdata)
{
    struct launcher *l = userdata;

    /* One SIGCHLD may stand for several children: reap until none is left to reap. */
    for (;;) {
        siginfo_t si = { 0 };
        struct lc_daemon *d;

        if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG) < 0 || si.si_pid == 0) {
            break;
        }
        d = lc_daemon_by_pid(l, si.si_pid);
        if (d) {
            lc_daemon_exited(d, &si);
        } else {
            cb_log_debug("reaped pid %d, which was not one of the daemons", (int)si.si_pid);
        }
    }
    lc_shutdown_check(l);
    return 0;
}
