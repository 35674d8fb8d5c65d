/* SPDX-License-Identifier: MIT */
/* WatchdogSec= for the daemons: SIGABRT when the keep-alive pings stop, SIGKILL if it lingers. */
#include "launcher-internal.h"

#include <signal.h>

#include "common/cb-log.h"

static int on_watchdog(sd_event_source *s CB_UNUSED, uint64_t usec CB_UNUSED, void *userdata)
{
    struct lc_daemon *d = userdata;
    uint64_t interval = d->launcher->opts->watchdog_usec;
    int r;

    if (d->pid <= 0) {
        return 0;
    }
    if (d->watchdog_fired) {
        cb_log_error("%s (pid %d) did not end within %llu s of SIGABRT; killing it", d->what,
                     (int)d->pid, (unsigned long long)(LC_ABORT_TIMEOUT_USEC / CB_USEC_PER_SEC));
        kill(d->pid, SIGKILL);
        return 0;
    }

    cb_log_full(LOG_ERR, 0, CB_MESSAGE_WATCHDOG_STALL, NULL,
                "%s (pid %d) sent no WATCHDOG=1 for %llu ms; aborting it with SIGABRT", d->what,
                (int)d->pid, (unsigned long long)(interval / CB_USEC_PER_MSEC));
    d->watchdog_fired = true;
    kill(d->pid, SIGABRT);

    /* Like TimeoutAbortSec=: a core dump may take a while, but not for ever. */
    r = sd_event_source_set_time_relative(d->watchdog_timer, LC_ABORT_TIMEOUT_USEC);
    if (r >= 0) {
        r = sd_event_source_set_enabled(d->watchdog_timer, SD_EVENT_ONESHOT);
    }
    if (r < 0) {
        kill(d->pid, SIGKILL);
    }
    return 0;
}

int lc_watchdog_arm(struct lc_daemon *d)
{
    uint64_t interval = d->launcher->opts->watchdog_usec;
    int r;

    if (interval == 0 || d->watchdog_fired || d->pid <= 0) {
        return 0;
    }
    if (!d->watchdog_timer) {
        r = sd_event_add_time_relative(d->launcher->event, &d->watchdog_timer, CLOCK_MONOTONIC,
                                       interval, 0, on_watchdog, d);
    } else {
        r = sd_event_source_set_time_relative(d->watchdog_timer, interval);
        if (r >= 0) {
            r = sd_event_source_set_enabled(d->watchdog_timer, SD_EVENT_ONESHOT);
        }
    }
    if (r < 0) {
        return cb_log_error_errno(r, "cannot arm the watchdog of %s", d->what);
    }
    return 0;
}

void lc_watchdog_disarm(struct lc_daemon *d)
{
    if (d->watchdog_timer) {
        sd_event_source_set_enabled(d->watchdog_timer, SD_EVENT_OFF);
    }
}
