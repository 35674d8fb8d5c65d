/* SPDX-License-Identifier: MIT */
/* The sd-event service loop: listeners, readiness, status, watchdog, idle exit and signals. */
#include "common/cb-service.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "common/cb-log.h"
#include "common/cb-macro.h"
#include "common/cb-time.h"

#define STATUS_INTERVAL_USEC (1 * CB_USEC_PER_SEC)

struct cb_service {
    char *name;
    sd_event *event;
    struct cb_service_listener *listeners;
    size_t n_listeners;

    cb_service_status_fn status_fn;
    void *status_data;
    cb_service_check_fn health_fn;
    void *health_data;
    cb_service_reload_fn reload_fn;
    void *reload_data;
    cb_service_check_fn idle_fn;
    void *idle_data;
    uint64_t idle_usec;
    uint64_t idle_since;

    uint64_t watchdog_usec;
    uint64_t last_ping;
    bool stall_logged;
    bool stopping;
    int exit_code;
};

int cb_service_new(const char *name, struct cb_service **ret)
{
    struct cb_service *s = calloc(1, sizeof *s);
    sigset_t mask;
    int r;

    /* Blocked before any worker thread exists, so that only the loop's signalfd sees them. */
    sigemptyset(&mask);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGHUP);
    (void)pthread_sigmask(SIG_BLOCK, &mask, NULL);
    (void)signal(SIGPIPE, SIG_IGN);

    if (!s) {
        return -ENOMEM;
    }
    s->name = strdup(name);
    r = sd_event_default(&s->event);
    if (r < 0 || !s->name) {
        cb_service_free(s);
        return r < 0 ? r : -ENOMEM;
    }

    *ret = s;
    return 0;
}

struct cb_service *cb_service_free(struct cb_service *s)
{
    if (!s) {
        return NULL;
    }
    for (size_t i = 0; i < s->n_listeners; i++) {
        close(s->listeners[i].fd);
        /* Only sockets we bound ourselves are ours to remove; systemd's stay (DESIGN.md). */
        if (s->listeners[i].path) {
            (void)unlink(s->listeners[i].path);
        }
        free(s->listeners[i].name);
        free(s->listeners[i].path);
    }
    free(s->listeners);
    sd_event_unref(s->event);
    free(s->name);
    free(s);
    return NULL;
}

sd_event *cb_service_event(struct cb_service *s)
{
    return s->event;
}

static int add_listener(struct cb_service *s, int fd, const char *name, const char *path)
{
    struct cb_service_listener *l;

    l = realloc(s->listeners, (s->n_listeners + 1) * sizeof *l);
    if (!l) {
        return -ENOMEM;
    }
    s->listeners = l;
    s->listeners[s->n_listeners++] = (struct cb_service_listener){
        .fd = fd,
        .name = strdup(name),
        .path = path ? strdup(path) : NULL,
    };
    return 0;
}

static int bind_path(const char *path, unsigned mode)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    int fd, r;

    if (strlen(path) >= sizeof sa.sun_path) {
        return -ENAMETOOLONG;
    }
    strcpy(sa.sun_path, path);

    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        return -errno;
    }
    /* A socket file left by a crash is stale; anything else at the path is refused by bind. */
    struct stat st;
    if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode)) {
        (void)unlink(path);
    }
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || chmod(path, mode) < 0 ||
        listen(fd, SOMAXCONN) < 0) {
        r = -errno;
        close(fd);
        return r;
    }
    return fd;
}

int cb_service_open_listeners(struct cb_service *s, char *const *paths, unsigned mode)
{
    char **names = NULL;
    int n, r;

    n = sd_listen_fds_with_names(1, &names);
    if (n < 0) {
        return cb_log_error_errno(n, "Failed to read the sockets passed by the service manager");
    }
    for (int i = 0; i < n; i++) {
        int fd = SD_LISTEN_FDS_START + i;

        if (sd_is_socket_unix(fd, SOCK_STREAM, 1, NULL, 0) <= 0) {
            cb_log_warning("Passed fd %d is not a listening Unix stream socket, ignoring", fd);
            continue;
        }
        /* Passed sockets may be blocking; our accept loops drain them until EAGAIN. */
        (void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
        (void)fcntl(fd, F_SETFD, FD_CLOEXEC);
        r = add_listener(s, fd, names && names[i] ? names[i] : "passed", NULL);
        if (r < 0) {
            return r;
        }
    }
    for (int i = 0; names && i < n; i++) {
        free(names[i]);
    }
    free(names);
    if (s->n_listeners > 0) {
        return (int)s->n_listeners;
    }

    for (; paths && *paths; paths++) {
        int fd = bind_path(*paths, mode);

        if (fd < 0) {
            return cb_log_error_errno(fd, "Failed to listen on '%s'", *paths);
        }
        r = add_listener(s, fd, *paths, *paths);
        if (r < 0) {
            close(fd);
            return r;
        }
    }
    return (int)s->n_listeners;
}

const struct cb_service_listener *cb_service_listeners(struct cb_service *s, size_t *ret_n)
{
    *ret_n = s->n_listeners;
    return s->listeners;
}

void cb_service_set_status(struct cb_service *s, cb_service_status_fn fn, void *userdata)
{
    s->status_fn = fn;
    s->status_data = userdata;
}

void cb_service_set_health(struct cb_service *s, cb_service_check_fn fn, void *userdata)
{
    s->health_fn = fn;
    s->health_data = userdata;
}

void cb_service_set_idle(struct cb_service *s,
                         cb_service_check_fn fn,
                         void *userdata,
                         uint64_t idle_usec)
{
    s->idle_fn = fn;
    s->idle_data = userdata;
    s->idle_usec = idle_usec;
}

void cb_service_set_reload(struct cb_service *s, cb_service_reload_fn fn, void *userdata)
{
    s->reload_fn = fn;
    s->reload_data = userdata;
}

void cb_service_stop(struct cb_service *s, int code)
{
    if (s->stopping) {
        return;
    }
    s->stopping = true;
    s->exit_code = code;
    (void)sd_notify(0, "STOPPING=1\nSTATUS=Shutting down");
    (void)sd_event_exit(s->event, code);
}

bool cb_service_stopping(const struct cb_service *s)
{
    return s->stopping;
}

static void tick_watchdog(struct cb_service *s, uint64_t now)
{
    bool healthy = !s->health_fn || s->health_fn(s->health_data);

    if (s->watchdog_usec == 0) {
        return;
    }
    /* The loop is alive (we are in its timer); a stuck pool must still let systemd kill us. */
    if (healthy) {
        if (now - s->last_ping >= s->watchdog_usec / 4) {
            (void)sd_notify(0, "WATCHDOG=1");
            s->last_ping = now;
        }
        s->stall_logged = false;
    } else if (!s->stall_logged) {
        cb_log_full(
                LOG_ERR, 0, CB_MESSAGE_WATCHDOG_STALL, NULL,
                "Worker pool has made no progress; withholding watchdog pings so the service manager restarts %s",
                s->name);
        s->stall_logged = true;
    }
}

static void tick_idle(struct cb_service *s, uint64_t now)
{
    if (!s->idle_fn || s->idle_usec == 0) {
        return;
    }
    if (!s->idle_fn(s->idle_data)) {
        s->idle_since = 0;
        return;
    }
    if (s->idle_since == 0) {
        s->idle_since = now;
    } else if (now - s->idle_since >= s->idle_usec) {
        cb_log_info(
                "%s idle with no session state for %llu s, exiting; the next connection starts it again",
                s->name, (unsigned long long)(s->idle_usec / CB_USEC_PER_SEC));
        cb_service_stop(s, 0);
    }
}

static int on_tick(sd_event_source *source, uint64_t usec CB_UNUSED, void *userdata)
{
    struct cb_service *s = userdata;
    uint64_t now = cb_now_monotonic_usec();
    char status[256] = "";
    uint64_t interval = STATUS_INTERVAL_USEC;

    if (s->status_fn) {
        s->status_fn(status, sizeof status, s->status_data);
        (void)sd_notifyf(0, "STATUS=%s", status);
    }
    tick_watchdog(s, now);
    tick_idle(s, now);

    if (s->watchdog_usec > 0 && s->watchdog_usec / 4 < interval) {
        interval = s->watchdog_usec / 4;
    }
    (void)sd_event_source_set_time_relative(source, interval);
    return sd_event_source_set_enabled(source, SD_EVENT_ON);
}

static int on_signal(sd_event_source *source CB_UNUSED,
                     const struct signalfd_siginfo *si,
                     void *userdata)
{
    struct cb_service *s = userdata;

    cb_log_info("Received %s, shutting down", strsignal((int)si->ssi_signo));
    cb_service_stop(s, 0);
    return 0;
}

static int on_reload(sd_event_source *source CB_UNUSED,
                     const struct signalfd_siginfo *si CB_UNUSED,
                     void *userdata)
{
    struct cb_service *s = userdata;
    int r;

    if (!s->reload_fn) {
        cb_log_info("Received SIGHUP; %s has nothing to reload", s->name);
        return 0;
    }
    (void)sd_notify(0, "RELOADING=1\nSTATUS=Reloading the configuration");
    r = s->reload_fn(s->reload_data);
    if (r < 0) {
        cb_log_warning_errno(r, "Reloading failed; %s keeps its running configuration", s->name);
    }
    (void)sd_notify(0, "READY=1");
    return 0;
}

static int setup_loop(struct cb_service *s)
{
    int r;

    r = sd_event_add_signal(s->event, NULL, SIGTERM, on_signal, s);
    if (r >= 0) {
        r = sd_event_add_signal(s->event, NULL, SIGINT, on_signal, s);
    }
    if (r >= 0) {
        r = sd_event_add_signal(s->event, NULL, SIGHUP, on_reload, s);
    }
    if (r >= 0) {
        r = sd_event_add_time_relative(s->event, NULL, CLOCK_MONOTONIC, STATUS_INTERVAL_USEC / 10,
                                       0, on_tick, s);
    }
    return r;
}

int cb_service_run(struct cb_service *s)
{
    int r;

    r = setup_loop(s);
    if (r < 0) {
        return cb_log_error_errno(r, "Failed to set up the event loop");
    }
    if (sd_watchdog_enabled(0, &s->watchdog_usec) <= 0) {
        s->watchdog_usec = 0;
    }

    (void)sd_notifyf(0, "READY=1\nSTATUS=Serving\nMAINPID=%d", (int)getpid());
    cb_log_full(LOG_INFO, 0, CB_MESSAGE_READY, NULL, "%s ready, %zu listening socket(s)", s->name,
                s->n_listeners);

    r = sd_event_loop(s->event);
    if (r < 0) {
        return cb_log_error_errno(r, "Event loop failed");
    }
    return s->stopping ? s->exit_code : r;
}
