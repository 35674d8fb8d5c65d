/* SPDX-License-Identifier: MIT */
/* A socket-activated daemon: its socket, and its start on the first connection. */
#include "launcher-internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "common/cb-log.h"
#include "common/cb-time.h"

const char *lc_state_name(enum lc_state s)
{
    switch (s) {
    case LC_IDLE:
        return "idle";
    case LC_RUNNING:
        return "running";
    case LC_FAILED:
        return "failed";
    }
    return "unknown";
}

static int daemon_names(struct lc_daemon *d, const char *family, const char *bin_dir)
{
    int r;

    if (family) {
        d->family = strdup(family);
        d->name = strdup(family);
        r = asprintf(&d->what, "cpan-bridge-%s for uid %u", family, (unsigned)d->uid);
    } else {
        d->name = strdup("router");
        r = asprintf(&d->what, "cpan-bridge-router");
    }
    if (r < 0) {
        d->what = NULL;
    }
    d->binary = lc_pathf(bin_dir, "cpan-bridge-%s", family ? family : "router");
    if (!d->name || !d->what || !d->binary || (family && !d->family)) {
        return -ENOMEM;
    }
    return 0;
}

/* The router's socket is open to all (the router authorizes callers); instances' are not. */
static int daemon_socket(struct lc_daemon *d)
{
    const char *dir = d->launcher->opts->runtime_dir;
    CB_CLEANUP(cb_freep) char *family_dir = NULL;
    int r;

    if (!d->family) {
        d->socket_path = lc_path(dir, LC_ROUTER_SOCKET);
        if (!d->socket_path) {
            return -ENOMEM;
        }
        return lc_socket_listen(d->socket_path, 0666, LC_BACKLOG, &d->listen_fd);
    }

    family_dir = lc_path(dir, d->family);
    d->socket_path = lc_pathf(dir, "%s/%u.sock", d->family, (unsigned)d->uid);
    if (!family_dir || !d->socket_path) {
        return -ENOMEM;
    }
    r = lc_make_dir(family_dir, 0755);
    if (r < 0) {
        return cb_log_error_errno(r, "cannot create %s", family_dir);
    }
    return lc_socket_listen(d->socket_path, 0600, LC_BACKLOG, &d->listen_fd);
}

int lc_daemon_new(struct launcher *l, const char *family, uid_t uid, struct lc_daemon **ret)
{
    struct lc_daemon *d = calloc(1, sizeof *d);
    int r;

    if (!d) {
        return -ENOMEM;
    }
    d->launcher = l;
    d->listen_fd = -1;
    d->uid = uid;
    d->backoff_usec = LC_BACKOFF_MIN_USEC;
    /* Being root, the launcher does what User=%i does; otherwise all run as its own user. */
    d->drop_privileges = family && geteuid() == 0 && uid != 0;

    r = daemon_names(d, family, l->opts->bin_dir);
    if (r >= 0) {
        r = daemon_socket(d);
    }
    if (r >= 0) {
        r = lc_daemon_watch(d);
    }
    if (r < 0) {
        lc_daemon_free(d);
        return r;
    }
    *ret = d;
    return 0;
}

void lc_daemon_free(struct lc_daemon *d)
{
    if (!d) {
        return;
    }
    sd_event_source_disable_unref(d->listen_source);
    sd_event_source_disable_unref(d->restart_timer);
    sd_event_source_disable_unref(d->watchdog_timer);
    if (d->listen_fd >= 0) {
        close(d->listen_fd);
        lc_socket_remove(d->socket_path);
    }
    free(d->family);
    free(d->name);
    free(d->what);
    free(d->binary);
    free(d->socket_path);
    free(d->status);
    free(d);
}

static int on_connection(sd_event_source *s,
                         int fd CB_UNUSED,
                         uint32_t revents CB_UNUSED,
                         void *userdata)
{
    struct lc_daemon *d = userdata;

    /* The daemon takes the connection from the backlog; we only notice it is waiting. */
    sd_event_source_set_enabled(s, SD_EVENT_OFF);
    cb_log_debug("a connection is waiting on %s", d->socket_path);
    lc_daemon_start(d);
    return 0;
}

int lc_daemon_watch(struct lc_daemon *d)
{
    int r;

    d->state = LC_IDLE;
    if (d->launcher->stopping) {
        return 0;
    }
    if (d->listen_source) {
        r = sd_event_source_set_enabled(d->listen_source, SD_EVENT_ON);
    } else {
        r = sd_event_add_io(d->launcher->event, &d->listen_source, d->listen_fd, EPOLLIN,
                            on_connection, d);
    }
    if (r < 0) {
        return cb_log_error_errno(r, "cannot watch %s", d->socket_path);
    }
    return 0;
}

static void daemon_reset_run(struct lc_daemon *d, pid_t pid)
{
    d->state = LC_RUNNING;
    d->pid = pid;
    d->ready = false;
    d->stopping = false;
    d->watchdog_fired = false;
    d->started_usec = cb_now_monotonic_usec();
    free(d->status);
    d->status = NULL;
}

int lc_daemon_start(struct lc_daemon *d)
{
    pid_t pid;
    int r;

    if (d->launcher->stopping) {
        return 0;
    }
    if (d->listen_source) {
        sd_event_source_set_enabled(d->listen_source, SD_EVENT_OFF);
    }

    r = lc_spawn(d, &pid);
    if (r < 0) {
        cb_log_error_errno(r, "cannot start %s", d->what);
        lc_daemon_failed(d, "could not be started");
        return r;
    }
    daemon_reset_run(d, pid);
    cb_log_info("started %s (pid %d)", d->what, (int)pid);
    return 0;
}

struct lc_daemon *lc_daemon_by_pid(struct launcher *l, pid_t pid)
{
    if (pid <= 0) {
        return NULL;
    }
    for (struct lc_daemon *d = lc_daemon_first(l); d; d = lc_daemon_next(l, d)) {
        if (d->pid == pid) {
            return d;
        }
    }
    return NULL;
}

/* The router first, then the instances: every daemon once. */
struct lc_daemon *lc_daemon_first(struct launcher *l)
{
    return l->router ? l->router : l->instances;
}

struct lc_daemon *lc_daemon_next(struct launcher *l, struct lc_daemon *d)
{
    return d == l->router ? l->instances : d->next;
}
