/* SPDX-License-Identifier: MIT */
/* The launcher's loop: set-up, the sd-event loop itself, and the clean-up after it. */
#include "launcher-internal.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "common/cb-log.h"

static int launcher_paths(struct launcher *l)
{
    const char *dir = l->opts->runtime_dir;

    l->conf_path = lc_path(dir, LC_CONFIG_FILE);
    l->router_socket = lc_path(dir, LC_ROUTER_SOCKET);
    l->control_socket = lc_path(dir, LC_CONTROL_SOCKET);
    l->notify_socket = lc_path(dir, LC_NOTIFY_SOCKET);
    l->pid_path = lc_path(dir, LC_PID_FILE);
    if (!l->conf_path || !l->router_socket || !l->control_socket || !l->notify_socket ||
        !l->pid_path) {
        return -ENOMEM;
    }
    return 0;
}

int lc_check_router(const struct lc_options *o)
{
    CB_CLEANUP(cb_freep) char *router = lc_path(o->bin_dir, "cpan-bridge-router");

    if (!router) {
        return -ENOMEM;
    }
    if (!lc_is_executable(router)) {
        cb_log_error("there is no router to start: %s is not an executable file (use --bin-dir "
                     "to name the directory of the cpan-bridge binaries)",
                     router);
        return -ENOENT;
    }
    return 0;
}

static int on_stop_signal(sd_event_source *s CB_UNUSED,
                          const struct signalfd_siginfo *si,
                          void *userdata)
{
    cb_log_info("received SIG%s", sigabbrev_np((int)si->ssi_signo));
    lc_shutdown_begin(userdata);
    return 0;
}

/* sd-event takes signals through a signalfd, so they must be blocked first. */
static int setup_signals(struct launcher *l)
{
    static const int stop_signals[] = { SIGTERM, SIGINT, SIGHUP };
    sigset_t mask;
    int r;

    sigemptyset(&mask);
    sigaddset(&mask, SIGCHLD);
    for (size_t i = 0; i < CB_ELEMENTSOF(stop_signals); i++) {
        sigaddset(&mask, stop_signals[i]);
    }
    sigprocmask(SIG_BLOCK, &mask, NULL);
    signal(SIGPIPE, SIG_IGN);

    r = sd_event_add_signal(l->event, NULL, SIGCHLD, lc_on_sigchld, l);
    for (size_t i = 0; r >= 0 && i < CB_ELEMENTSOF(stop_signals); i++) {
        r = sd_event_add_signal(l->event, NULL, stop_signals[i], on_stop_signal, l);
    }
    if (r < 0) {
        return cb_log_error_errno(r, "cannot watch signals");
    }

    /* Orphans a daemon leaves behind become ours to reap, as they would be systemd's. */
    if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0) {
        cb_log_warning_errno(errno, "cannot become a subreaper; orphans go to init");
    }
    return 0;
}

static void log_families(struct launcher *l)
{
    char list[512] = "";
    size_t used = 0;

    for (size_t i = 0; i < l->n_families && used < sizeof list; i++) {
        used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "",
                                 l->families[i].name);
    }
    cb_log_info("families in %s: %s", l->opts->units_dir, l->n_families ? list : "none");
}

static int launcher_setup(struct launcher *l)
{
    int r;

    r = launcher_paths(l);
    if (r >= 0) {
        r = lc_pidfile_acquire(l);
    }
    if (r >= 0) {
        r = lc_families_scan(l);
    }
    if (r >= 0) {
        r = lc_check_router(l->opts);
    }
    if (r >= 0) {
        r = lc_config_write(l);
    }
    if (r < 0) {
        return r;
    }
    log_families(l);

    r = sd_event_new(&l->event);
    if (r < 0) {
        return cb_log_error_errno(r, "cannot create the event loop");
    }
    r = setup_signals(l);
    if (r >= 0) {
        r = lc_notify_open(l);
    }
    if (r >= 0) {
        r = lc_control_open(l);
    }
    if (r >= 0) {
        r = lc_daemon_new(l, NULL, getuid(), &l->router);
    }
    if (r >= 0) {
        cb_log_info("cpan-bridge-dev (pid %d) is listening on %s", (int)getpid(), l->router_socket);
    }
    return r;
}

static void close_socket(sd_event_source **source, int *fd, const char *path)
{
    *source = sd_event_source_disable_unref(*source);
    if (*fd >= 0) {
        close(*fd);
        *fd = -1;
        lc_socket_remove(path);
    }
}

static void free_instances(struct launcher *l)
{
    while (l->instances) {
        struct lc_daemon *d = l->instances;
        CB_CLEANUP(cb_freep) char *dir = lc_path(l->opts->runtime_dir, d->family);

        l->instances = d->next;
        lc_daemon_free(d);
        /* Only an empty directory goes: a file we did not make there is not ours to delete. */
        if (dir) {
            rmdir(dir);
        }
    }
}

static void launcher_cleanup(struct launcher *l)
{
    while (l->conns) {
        lc_conn_free(l->conns);
    }
    free_instances(l);
    lc_daemon_free(l->router);
    l->router = NULL;
    close_socket(&l->control_source, &l->control_fd, l->control_socket);
    close_socket(&l->notify_source, &l->notify_fd, l->notify_socket);
    l->stop_timer = sd_event_source_disable_unref(l->stop_timer);
    lc_reap_remaining();
    lc_pidfile_release(l);
    l->event = sd_event_unref(l->event);

    lc_families_free(l);
    free(l->conf_path);
    free(l->router_socket);
    free(l->control_socket);
    free(l->notify_socket);
    free(l->pid_path);
}

int lc_run(struct lc_options *o)
{
    struct launcher l = { .opts = o, .pid_fd = -1, .control_fd = -1, .notify_fd = -1 };
    int r;

    r = launcher_setup(&l);
    if (r < 0) {
        launcher_cleanup(&l);
        return r;
    }

    r = sd_event_loop(l.event);
    if (r < 0) {
        /* Even a failed loop must not leave daemons behind: stop them with a fresh run. */
        cb_log_error_errno(r, "the event loop failed");
        lc_shutdown_begin(&l);
        sd_event_loop(l.event);
    }
    launcher_cleanup(&l);
    cb_log_info("cpan-bridge-dev stopped");
    return r;
}
