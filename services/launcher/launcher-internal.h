/* SPDX-License-Identifier: MIT */
/* Types and functions shared by the files of cpan-bridge-dev, the development launcher. */
#pragma once

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/signalfd.h>
#include <sys/types.h>

#include <jansson.h>
#include <systemd/sd-event.h>

#include "common/cb-buf.h"
#include "common/cb-macro.h"
#include "common/cb-time.h"

#define LC_ROUTER_SOCKET        "cpan-bridge.sock"
#define LC_CONTROL_SOCKET       "launcher.sock"
#define LC_NOTIFY_SOCKET        "notify.sock"
#define LC_CONFIG_FILE          "cpan-bridge.conf"
#define LC_PID_FILE             "launcher.pid"
#define LC_LOG_FILE             "launcher.log"
#define LC_BACKLOG              4096
#define LC_CONTROL_LIMIT        (64u * 1024u)
#define LC_WATCHDOG_DEFAULT_SEC 10
#define LC_BACKOFF_MIN_USEC     (100 * CB_USEC_PER_MSEC)
#define LC_BACKOFF_MAX_USEC     (5 * CB_USEC_PER_SEC)
#define LC_BACKOFF_RESET_USEC   (10 * CB_USEC_PER_SEC) /* a run this long forgives failures */
#define LC_ABORT_TIMEOUT_USEC   (5 * CB_USEC_PER_SEC)  /* SIGABRT to SIGKILL */
#define LC_STOP_TIMEOUT_USEC    (5 * CB_USEC_PER_SEC)  /* SIGTERM to SIGKILL */

/* What the command line gave; every path is absolute once lc_options_finish() has run. */
struct lc_options {
    char *runtime_dir;
    char *units_dir;
    char *bin_dir;
    char *config_file;
    uint64_t watchdog_usec; /* 0 disables the watchdog */
};

enum lc_state {
    LC_IDLE,    /* not running; its socket is watched for the first connection */
    LC_RUNNING, /* a process holds the socket */
    LC_FAILED,  /* died; waiting out the back-off before it is started again */
};

struct launcher;

/* One socket-activated daemon: the router, or one instance of a family for one uid. */
struct lc_daemon {
    struct launcher *launcher;
    struct lc_daemon *next;
    char *family; /* NULL for the router */
    char *name;   /* for LISTEN_FDNAMES: "router" or the family */
    char *what;   /* for messages: "cpan-bridge-router", "cpan-bridge-core for uid 1000" */
    char *binary;
    char *socket_path;
    uid_t uid;
    bool drop_privileges;

    int listen_fd;
    sd_event_source *listen_source;
    sd_event_source *restart_timer;
    sd_event_source *watchdog_timer;

    enum lc_state state;
    pid_t pid;
    bool ready;
    bool stopping;       /* it said STOPPING=1 */
    bool watchdog_fired; /* SIGABRT was sent; SIGKILL follows if it lingers */
    char *status;
    unsigned restarts;
    uint64_t started_usec;      /* monotonic */
    uint64_t backoff_usec;      /* delay before the next restart after a failure */
    uint64_t last_failure_usec; /* realtime, 0 for never */
};

struct lc_family {
    char *name;
};

/* One connection on the control socket. */
struct lc_conn {
    struct launcher *launcher;
    struct lc_conn *next;
    int fd;
    sd_event_source *source;
    struct cb_buf in;
    struct cb_buf out;
    bool closing; /* close once the output is written */
};

struct launcher {
    struct lc_options *opts;
    sd_event *event;
    char *conf_path;
    char *router_socket;
    char *control_socket;
    char *notify_socket;
    char *pid_path;
    int pid_fd;

    int control_fd;
    sd_event_source *control_source;
    int notify_fd;
    sd_event_source *notify_source;

    struct lc_daemon *router;
    struct lc_daemon *instances;
    struct lc_family *families;
    size_t n_families;
    struct lc_conn *conns;

    bool stopping;
    sd_event_source *stop_timer;
    unsigned stop_phase;
};

/* launcher-util.c */
char *lc_path(const char *dir, const char *name);
char *lc_pathf(const char *dir, const char *format, ...) CB_PRINTF(2, 3);
int lc_make_dir(const char *path, mode_t mode);
int lc_absolute(const char *path, char **ret);
bool lc_is_executable(const char *path);
bool lc_is_dir(const char *path);
int lc_fd_set_nonblock(int fd, bool on);
int lc_fd_set_cloexec(int fd, bool on);

/* launcher-options.c */
int lc_options_finish(struct lc_options *o, bool create);
void lc_options_clear(struct lc_options *o);

/* launcher-pidfile.c */
int lc_pidfile_acquire(struct launcher *l);
void lc_pidfile_release(struct launcher *l);
/* 1 with the pid (0 if not written yet) while a launcher holds the lock, 0 if none, or -errno. */
int lc_pidfile_running(const char *runtime_dir, pid_t *ret_pid);

/* launcher-families.c */
int lc_families_scan(struct launcher *l);
/* Rescans the units once on a miss, so the result is valid only until the next scan. */
const struct lc_family *lc_family_find(struct launcher *l, const char *name);
void lc_families_free(struct launcher *l);
bool lc_family_name_valid(const char *name);

/* launcher-config.c */
int lc_config_write(struct launcher *l);

/* launcher-socket.c */
/* Binds and listens (replacing a stale socket file, never another file); logs failures. */
int lc_socket_listen(const char *path, mode_t mode, int backlog, int *ret_fd);
int lc_socket_notify(const char *path, int *ret_fd);
int lc_socket_remove(const char *path);

/* launcher-daemon.c */
/* family NULL is the router. Binds the socket and starts watching it; the caller links it in. */
int lc_daemon_new(struct launcher *l, const char *family, uid_t uid, struct lc_daemon **ret);
void lc_daemon_free(struct lc_daemon *d);
/* Idle: wait for the first connection. Start: spawn now (a failure schedules a restart). */
int lc_daemon_watch(struct lc_daemon *d);
int lc_daemon_start(struct lc_daemon *d);
struct lc_daemon *lc_daemon_by_pid(struct launcher *l, pid_t pid);
struct lc_daemon *lc_daemon_first(struct launcher *l);
struct lc_daemon *lc_daemon_next(struct launcher *l, struct lc_daemon *d);
const char *lc_state_name(enum lc_state s);

/* launcher-exit.c */
/* Logs `how` and schedules the restart after the back-off. */
void lc_daemon_failed(struct lc_daemon *d, const char *how);
int lc_on_sigchld(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata);

/* launcher-watchdog.c */
int lc_watchdog_arm(struct lc_daemon *d);
void lc_watchdog_disarm(struct lc_daemon *d);

/* launcher-spawn.c */
/* fork and exec with the socket on fd 3 and the LISTEN_, NOTIFY_ and WATCHDOG_ variables. */
int lc_spawn(struct lc_daemon *d, pid_t *ret_pid);

/* launcher-notify.c */
int lc_notify_open(struct launcher *l);

/* launcher-control.c */
int lc_control_open(struct launcher *l);
void lc_conn_free(struct lc_conn *c);

/* launcher-ops.c */
/* The answer to one control frame; never NULL except out of memory. */
json_t *lc_ops_handle(struct launcher *l, const char *payload, size_t len);

/* launcher-status.c */
json_t *lc_status(struct launcher *l);

/* launcher-run.c */
/* The foreground loop of `run` (and of `start`'s child); returns when stopped. */
int lc_run(struct lc_options *o);
int lc_check_router(const struct lc_options *o);

/* launcher-shutdown.c */
/* SIGTERM to all, SIGKILL after LC_STOP_TIMEOUT_USEC; the loop exits once all are reaped. */
int lc_shutdown_begin(struct launcher *l);
void lc_shutdown_check(struct launcher *l);
void lc_reap_remaining(void);

/* launcher-start.c */
int lc_cmd_start(struct lc_options *o);

/* launcher-stop.c */
int lc_cmd_stop(struct lc_options *o);
/* SIGTERM, wait up to 10 s, then SIGKILL (its process group when it leads a session). */
int lc_stop_pid(pid_t pid);
