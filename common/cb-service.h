/* SPDX-License-Identifier: MIT */
/*
 * The sd-event service loop every daemon runs: listening sockets from sd_listen_fds() or from
 * paths given on the command line, READY=1, a STATUS= line refreshed once a second, watchdog
 * pings only while the service says it makes progress, STOPPING=1 on SIGTERM and SIGINT.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <systemd/sd-event.h>

struct cb_service;

typedef void (*cb_service_status_fn)(char *buf, size_t size, void *userdata);
typedef bool (*cb_service_check_fn)(void *userdata);

struct cb_service_listener {
    int fd;
    char *name; /* LISTEN_FDNAMES entry, or the path */
    char *path; /* set when we bound it ourselves: removed at exit */
};

int cb_service_new(const char *name, struct cb_service **ret);
struct cb_service *cb_service_free(struct cb_service *s);

sd_event *cb_service_event(struct cb_service *s);

/*
 * Takes the sockets systemd (or the launcher) passed; when there are none, binds `paths`
 * (Unix stream sockets, mode applied, a stale socket file replaced). Returns the number of
 * listeners or -errno.
 */
int cb_service_open_listeners(struct cb_service *s, char *const *paths, unsigned mode);

const struct cb_service_listener *cb_service_listeners(struct cb_service *s, size_t *ret_n);

/* status: fills the STATUS= text each second. healthy: gates WATCHDOG=1. idle: when it stays
 * true for idle_usec the loop exits with 0 (socket activation brings the daemon back). */
void cb_service_set_status(struct cb_service *s, cb_service_status_fn fn, void *userdata);
void cb_service_set_health(struct cb_service *s, cb_service_check_fn fn, void *userdata);
void cb_service_set_idle(struct cb_service *s,
                         cb_service_check_fn fn,
                         void *userdata,
                         uint64_t idle_usec);

/* SIGHUP (systemctl reload): reload runs between RELOADING=1 and READY=1. */
typedef int (*cb_service_reload_fn)(void *userdata);
void cb_service_set_reload(struct cb_service *s, cb_service_reload_fn fn, void *userdata);

/* Runs until SIGTERM, SIGINT, idle exit or cb_service_stop(). Returns the exit code. */
int cb_service_run(struct cb_service *s);

void cb_service_stop(struct cb_service *s, int code);

bool cb_service_stopping(const struct cb_service *s);
