/* SPDX-License-Identifier: MIT */
/*
 * The instance server's objects, shared by its three parts: cb-family-daemon.c (listening,
 * health, reload), cb-family-conn.c (connections and the requests on them) and
 * cb-family-channel.c (clients' connections the router handed over).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>
#include <systemd/sd-event.h>

#include "common/cb-budget.h"
#include "common/cb-buf.h"
#include "common/cb-envelope.h"
#include "common/cb-family-internal.h"
#include "common/cb-log.h"
#include "common/cb-meter.h"

/* Above this, even a cheap handler spends long enough on its JSON to belong on a worker. */
#define INLINE_MAX_FRAME (64u * 1024u)

struct server {
    const struct cb_family *family;
    struct cb_config *config;
    struct cb_service *service;
    struct cb_pool *pool;
    struct cb_registry *registry;
    unsigned n_conns;    /* the router's */
    unsigned n_channels; /* clients' connections the router handed over */
    unsigned inflight;
    uint64_t handled;
    uint64_t next_conn;
    uint64_t start_usec;
    uid_t router_uid;
    struct conn *conns;
    const char *config_path;
    struct cb_config **retired; /* replaced by a reload; calls in flight may still read them */
    size_t n_retired;
    struct cb_meter *meter;   /* the channels' calls, for the router's next status poll */
    struct cb_budget budget;  /* [limits] over all channels: they are all one uid's */
    uint64_t logged_requests; /* channel calls offered to the request log */
    struct cb_ratelimit refusal_log_limit; /* channel refusals in the journal */
    uint64_t channel_requests;
    struct cb_async *started; /* calls begun on the loop thread and not finished */
};

struct conn {
    struct server *srv;
    struct conn *prev, *next;
    int fd;
    sd_event_source *io;
    struct cb_buf in, out;
    unsigned refs;
    bool closed;
    bool close_after_flush;
    char own_session[33]; /* a channel's: the session it holds */

    /* A channel: a client's own connection, handed over by the router (DESIGN.md). */
    bool channel;
    bool paused; /* not read while its calls in flight or unread answers are over the limit */
    uid_t uid;
    gid_t gid;
    pid_t pid;
    json_t *modules;              /* the modules the caller may use here */
    json_t *env_update;           /* the session_env it came with, for its first call */
    sd_event_source *stall_timer; /* a frame begun and not finished: frame_stall_timeout_ms */
    unsigned inflight;
    uint64_t last_activity_usec; /* monotonic: its latest request, or its hand-over */

    /* The router's: descriptors received, each waiting for its adopt frame. */
    int fds[8];
    size_t n_fds;
};

/* A call a handler began on the loop thread (cb_family_start), until cb_async_finish. */
struct cb_async {
    struct job *job;
    struct cb_async *prev, *next; /* the server's started calls */
    void (*stop)(void *data);
    void *stop_data;
    bool starting; /* inside the handler's start: a finish then only sets the response */
};

struct job {
    struct conn *conn;
    struct cb_request req;
    struct cb_call call;
    json_t *response;
    bool end_session;
    /* Channels only: what the router would have done for the call. */
    json_t *env_update;
    uint64_t start_usec;
    uint64_t timeout_ms;
    sd_event_source *deadline;
    bool timed_out;
    char request_id[40];
    struct cb_async async;
};

/* cb-family-conn.c */
void cb_conn_unref(struct conn *c);
void cb_conn_close(struct conn *c);
void cb_conn_send(struct conn *c, json_t *response);
/* Answers err without an id, drops what was read, and closes once that is written: the
 * stream cannot be resynchronised. */
void cb_conn_refuse_stream(struct conn *c, struct cb_error *err);
/* Handles the frames read so far, unless the connection is paused. */
void cb_conn_parse(struct conn *c);
int cb_conn_on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata);
/* Runs a request on its session's serial queue (or at once, when cheap). */
int cb_conn_submit(struct conn *c, struct job *j);
/* The loop has stopped: ends the calls begun on it, each blocking until it is done. */
void cb_conn_finish_started(struct server *srv);

/* cb-family-channel.c */
void cb_channel_adopt(struct conn *router, struct job *j);
void cb_channel_frame(struct conn *c, const char *payload, size_t len);
void cb_channel_arm_deadline(struct job *j);
void cb_channel_answered(struct job *j);
/* A session_end from the router for a session a channel still holds: answered, true. */
bool cb_channel_session_held(struct conn *router, struct job *j);
void cb_channel_release_session(struct conn *c);
/* system.cleanup, as the router passes it on: closes idle channels in scope. */
void cb_channel_cleanup(struct conn *router, struct job *j);
/* After a read: a frame left half sent is answered E_PROTOCOL and closed after the timeout. */
void cb_channel_arm_stall(struct conn *c);
