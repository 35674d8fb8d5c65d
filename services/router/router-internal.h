/* SPDX-License-Identifier: MIT */
/* The router's objects: clients, sessions, upstream instance connections and counters. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>
#include <systemd/sd-event.h>

#include "common/cb-budget.h"
#include "common/cb-buf.h"
#include "common/cb-catalogue.h"
#include "common/cb-config.h"
#include "common/cb-envelope.h"
#include "common/cb-error.h"
#include "common/cb-hashmap.h"
#include "common/cb-log-request.h"
#include "common/cb-log.h"
#include "services/router/router-metrics.h"
#include "services/router/router-stats.h"

struct cb_service;
struct router;
struct upstream;

/* Callers allowed by [access], resolved to numbers once so no request waits on NSS. */
struct router_module_access {
    char *module;
    uid_t *uids;
    size_t n_uids;
    gid_t *gids;
    size_t n_gids;
};

struct router_access {
    uid_t *uids;
    size_t n_uids;
    gid_t *gids;
    size_t n_gids;
    uid_t *admins;
    size_t n_admins;
    struct router_module_access *modules; /* [modules] rules */
    size_t n_modules;
};

/* What one calling uid holds in the router, for the per-uid limits. */
struct router_uid {
    uid_t uid;
    unsigned holders; /* the clients that hold it (router_uid_get, router_uid_release) */
    struct cb_budget b;
};

struct router_resources {
    uint64_t sample_usec, cpu_usec;
    uint64_t router_rss_kb;
    double router_cpu_percent;
    double memory_mb, cpu_percent, peak_memory, peak_cpu;
    unsigned cpus;
    bool over_memory, over_cpu, over_requests, over_concurrent;
    uint64_t alerts_memory, alerts_cpu, alerts_requests, alerts_concurrent;
    uint64_t last_cleanup_realtime_usec;
};

struct router_session {
    char key[48]; /* "<uid>:<token>" */
    char token[33];
    uid_t uid;
    unsigned conn_refs;     /* client connections that used it */
    uint64_t families_used; /* bit i: the family at index i of the catalogue's family table */
    json_t *env;            /* the latest session_env, passed on to instances as env */
    uint64_t env_generation;
    uint64_t last_activity_usec;
};

struct client {
    struct router *router;
    struct router_uid *owner;
    struct client *prev, *next;
    uint64_t id;
    int fd;
    sd_event_source *io;
    sd_event_source *stall_timer;
    struct cb_buf in, out;
    uid_t uid;
    gid_t gid;
    pid_t pid;
    bool allowed;
    gid_t *groups; /* primary and supplementary, from SO_PEERCRED and SO_PEERGROUPS */
    size_t n_groups;
    bool closed;
    bool close_after_flush;
    bool reading_paused;
    bool over_limit; /* refused at accept: its first request is answered, then closed */
    struct cb_error over_limit_error;
    unsigned refs;
    unsigned inflight;
    uint64_t inflight_bytes; /* request bytes forwarded and not yet answered */
    char own_token[33];
    struct router_session **sessions; /* sessions this connection holds a reference on */
    size_t n_sessions;
    uint64_t start_usec, start_realtime_usec, last_activity_usec;
    uint64_t requests;
};

struct pending {
    struct client *client;
    json_t *client_id;
    uint64_t upstream_id;
    uint64_t end_offset; /* stream offset of the frame's end: delivered once written past */
    uint64_t start_usec;
    const struct cb_module *module;
    const struct cb_function *function;
    bool control;
    bool status;    /* a status poll of the instance */
    bool timed_out; /* already answered E_TIMEOUT; the late answer is dropped */
    sd_event_source *deadline;
    uint64_t timeout_ms;
    struct upstream *upstream;
    char request_id[40];
    char session[33];
    uint64_t bytes; /* the request's size, counted in its client's inflight_bytes */
};

enum upstream_state {
    UPSTREAM_IDLE,
    UPSTREAM_ACTIVATING,
    UPSTREAM_CONNECTING,
    UPSTREAM_READY,
};

struct upstream {
    struct router *router;
    char key[48]; /* "<family>:<uid>" */
    const struct cb_family_info *family;
    size_t family_index;
    uid_t uid;
    char *socket_path;
    enum upstream_state state;
    int fd;
    sd_event_source *io;
    sd_event_source *timer;
    uint64_t connect_deadline_usec;
    struct cb_buf in, out;
    uint64_t bytes_queued;  /* every byte ever appended to out */
    uint64_t bytes_written; /* every byte ever written to the socket */
    struct cb_hashmap *pending;
    uint64_t next_id;
    struct cb_hashmap *env_sent; /* session key -> generation sent on this connection */
    unsigned sessions;           /* router sessions that use this instance */
    bool activated;              /* the activator was asked during this connection attempt */
    enum cb_error_code refusal;  /* the code undelivered requests get when this attempt fails */
    uint64_t connects, failures;
    uint64_t last_failure_usec;       /* monotonic; 0 for never */
    uint64_t activation_failure_usec; /* its units failed to start */
    char last_failure[160];
    /* Client connections waiting to be handed over, each at the stream offset of its adopt
     * frame: the descriptor travels with that frame's first byte. */
    struct upstream_passing {
        uint64_t offset;
        int fd;
    } * passing;
    size_t n_passing;

    /* The instance's own report (it answers a status poll about once a second). */
    bool polling;
    pid_t pid;
    uint64_t rss_kb;
    uint64_t cpu_usec;
    uint64_t sample_usec;
    double cpu_percent;
    unsigned handles;
    unsigned channels;      /* open channels, as last reported */
    uint64_t last_adopt_id; /* the upstream id of the latest hand-over's frame */
    uint64_t reported_id;   /* the upstream id of the poll the latest report answered */
    bool repoll;            /* a count-reporting call waits for a report asked after it */
};

struct activator_ops {
    const char *name;
    /* Makes sure the instance's socket exists; calls router_upstream_activated() when done. */
    int (*start)(struct router *r, struct upstream *u);
    void (*free)(struct router *r);
};

struct router {
    const char *config_path; /* as given on the command line, or NULL for the default */
    struct cb_config *config;
    struct router_access access;
    struct cb_service *service;
    sd_event *event;
    struct client *clients;
    unsigned n_clients;
    struct cb_hashmap *sessions;
    struct cb_hashmap *upstreams;
    struct cb_hashmap *uids; /* uid -> struct router_uid */
    const struct activator_ops *activator;
    void *activator_data;
    struct router_stats stats;
    struct router_metrics metrics;
    struct router_resources resources;
    unsigned inflight; /* requests in flight to instances, all clients */
    uint64_t start_usec, start_realtime_usec;
    uint64_t next_client_id;
    uint64_t next_request;
    char boot_tag[9];
    bool stopping; /* sessions outlive a router restart: no session_end is sent then */
    uint64_t logged_requests;
    struct cb_ratelimit refusal_log_limit;
    struct router_parked *parked; /* count-reporting calls waiting for instances' reports */
    sd_event_source *park_timer;
    bool reports_fresh; /* while parked calls are answered */
};

/* router-limits.c */
struct router_uid *router_uid_get(struct router *r, uid_t uid);
void router_uid_release(struct router *r, struct router_uid *u);
void router_uids_free(struct router *r);
int router_limits_admit_connection(struct router *r, struct router_uid *u, struct cb_error *err);
int router_limits_admit_request(struct router *r, struct router_uid *u, struct cb_error *err);

/* router-connections.c */
unsigned router_stale_connections(struct router *r);
int router_connections_json(struct client *caller,
                            json_t *params,
                            json_t **ret,
                            struct cb_error *err);
int router_cleanup(struct client *caller, json_t *params, json_t **ret, struct cb_error *err);

/* router-health.c */
struct router_family_state {
    const char *state; /* running, idle, failed, not_installed */
    unsigned running;
    pid_t pid;
    double memory_mb;
    uint64_t restarts;
    bool units_fail, failed_recently;
};
void router_family_state(struct router *r, const char *family, struct router_family_state *ret);
json_t *router_health_json(struct router *r);

/* router-resources.c */
void router_resources_sample(struct router *r);
json_t *router_resources_json(struct router *r);

/* router-dispatch.c */
void router_new_request_id(struct router *r, char *buf, size_t size);

/* router-access.c */
int router_access_load(struct router_access *a, const struct cb_config *c);
void router_access_free(struct router_access *a);
bool router_access_allowed(const struct router_access *a,
                           uid_t uid,
                           const gid_t *groups,
                           size_t n_groups);
bool router_access_is_admin(const struct router_access *a, uid_t uid);
bool router_access_module_allowed(const struct router_access *a,
                                  const char *module,
                                  uid_t uid,
                                  const gid_t *groups,
                                  size_t n_groups);

/* router-client.c */
int router_client_listen(struct router *r);
void router_client_send(struct client *c, json_t *response);
void router_client_send_text(struct client *c, const char *text, size_t len);
void router_client_unref(struct client *c);
void router_client_close(struct client *c);
void router_client_update_events(struct client *c);
void router_clients_close_all(struct router *r);

/* router-dispatch.c */
void router_dispatch_frame(struct client *c, const char *payload, size_t len);
void router_answer_error(struct client *c,
                         const json_t *id,
                         const char *module,
                         const char *function,
                         uint64_t start_usec,
                         struct cb_error *err);
/* Counts one answer in the stats and metrics (a->usec is filled in). */
void router_count(struct router *r, struct metrics_answer *a, bool rejected, uint64_t start_usec);
void router_log_answer(struct client *c,
                       const char *module,
                       const char *function,
                       const char *request_id,
                       const char *session,
                       uint64_t start_usec,
                       const char *error_code);

/* router-session.c */
struct router_session *router_session_get(struct router *r, uid_t uid, const char *token);
int router_session_attach(struct client *c, struct router_session *s);
void router_session_detach_all(struct client *c);
void router_sessions_free(struct router *r);

/* router-upstream.c */
struct upstream *router_upstream_get(struct router *r,
                                     const struct cb_family_info *family,
                                     size_t family_index,
                                     uid_t uid);
struct router_forward {
    const struct cb_request *req;
    const struct cb_module *module;
    const struct cb_function *function;
    json_t *params;
    struct router_session *session;
    uint64_t start_usec;
    const char *request_id;
    uint64_t req_bytes;
};

int router_upstream_forward(struct upstream *u,
                            struct client *c,
                            const struct router_forward *f,
                            struct cb_error *reterr);
void router_upstream_send_session_end(struct upstream *u, const char *token);
void router_upstream_activated(struct upstream *u,
                               int error,
                               const char *message,
                               bool not_installed);
void router_upstreams_free(struct router *r);
unsigned router_upstreams_ready(struct router *r, const char *family);
/* Whether the instance serves channels: it has, or may have, and reports their calls. */
bool router_upstream_serves_channels(const struct upstream *u);
/* system.cleanup for the channels instances serve; returns how many instances were asked. */
unsigned router_upstreams_cleanup(struct router *r,
                                  bool any_uid,
                                  uid_t uid,
                                  const char *session,
                                  int64_t idle_seconds);
void router_upstream_poll_status(struct upstream *u);
void router_upstreams_shutdown(struct router *r);

/* router-channel.c: system.channel hands the client's connection to its instance */
int router_channel_open(struct client *c,
                        const struct cb_request *req,
                        json_t *params,
                        uint64_t start_usec,
                        struct cb_error *err);
/* Queues the adopt control frame with fd (owned from now on, even on failure). */
int router_upstream_adopt(struct upstream *u, json_t *frame, int fd);

/* router-park.c: system.stats and friends wait for the channels' reports */
struct router_parked;
bool router_park(struct client *c, const struct cb_function *f, const char *payload, size_t len);
void router_parked_report_arrived(struct router *r);
void router_parked_free(struct router *r);

/* router-meter.c: an instance's report of its channels' calls */
void router_meter_merge(struct router *r, struct upstream *u, json_t *meter);

/* router-dispatch.c: root and system accounts are never served by an instance */
int router_check_instance_uid(struct router *r,
                              struct client *c,
                              const struct cb_module *m,
                              struct cb_error *err);

/* router-system.c */
int router_system_answer(struct client *c,
                         const struct cb_request *req,
                         const struct cb_module *m,
                         const struct cb_function *f,
                         json_t *params,
                         json_t **ret_result,
                         struct cb_error *reterr);

/* router-main.c: system.shutdown stops the router once its answer is written */
void router_request_shutdown(struct router *r);

/* router-activator-*.c */
extern const struct activator_ops router_activator_launcher;
extern const struct activator_ops router_activator_systemd;
