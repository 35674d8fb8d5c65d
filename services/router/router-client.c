/* SPDX-License-Identifier: MIT */
/*
 * Client connections: accept, identify the caller (SO_PEERCRED, SO_PEERGROUPS), read frames,
 * write answers. Nothing here blocks: a slow or stalled client only ever waits for itself.
 */
#include "services/router/router-internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/cb-frame.h"
#include "common/cb-json.h"
#include "common/cb-log.h"
#include "common/cb-service.h"
#include "common/cb-time.h"

/* Stop reading a client whose unread answers and unanswered requests pile up; it resumes
 * once they drain. */
#define CLIENT_OUT_HIGH_WATER (32u * 1024u * 1024u)

void router_client_unref(struct client *c)
{
    if (--c->refs > 0) {
        return;
    }
    if (c->owner) {
        router_uid_release(c->router, c->owner);
    }
    cb_buf_free(&c->in);
    cb_buf_free(&c->out);
    cb_error_clear(&c->over_limit_error);
    free(c->groups);
    free(c);
}

void router_client_close(struct client *c)
{
    struct router *r = c->router;

    if (c->closed) {
        return;
    }
    c->closed = true;
    if (c->prev) {
        c->prev->next = c->next;
    } else {
        r->clients = c->next;
    }
    if (c->next) {
        c->next->prev = c->prev;
    }
    r->n_clients--;
    if (c->owner) {
        if (!c->over_limit) {
            c->owner->b.connections--;
        }
        c->owner->b.buffered -= cb_buf_pending(&c->out);
    }

    c->io = sd_event_source_disable_unref(c->io);
    c->stall_timer = sd_event_source_disable_unref(c->stall_timer);
    close(c->fd);
    c->fd = -1;

    /* The last connection of a session closing ends it: instances close its handles. */
    router_session_detach_all(c);
    router_client_unref(c);
}

static void arm_stall_timer(struct client *c);

static void stall_timer_paused(struct client *c, bool paused)
{
    if (paused) {
        if (c->stall_timer) {
            (void)sd_event_source_set_enabled(c->stall_timer, SD_EVENT_OFF);
        }
        return;
    }
    arm_stall_timer(c);
}

void router_client_update_events(struct client *c)
{
    uint32_t events = 0;

    if (c->closed) {
        return;
    }
    bool was_paused = c->reading_paused;

    /* Requests in flight count too: a client that sends and never reads is bounded. */
    c->reading_paused = cb_buf_pending(&c->out) + c->inflight_bytes > CLIENT_OUT_HIGH_WATER;
    /* A frame we stopped reading has not stalled: its clock runs only while we read. */
    if (c->reading_paused != was_paused) {
        stall_timer_paused(c, c->reading_paused);
    }
    if (!c->reading_paused && !c->close_after_flush) {
        events |= EPOLLIN;
    }
    if (cb_buf_pending(&c->out) > 0) {
        events |= EPOLLOUT;
    }
    (void)sd_event_source_set_io_events(c->io, events);
}

static void client_flush(struct client *c)
{
    ssize_t n;

    while (!c->closed && cb_buf_pending(&c->out) > 0) {
        n = cb_buf_write_fd(&c->out, c->fd);
        if (n == -EAGAIN) {
            break;
        }
        if (n > 0 && c->owner) {
            c->owner->b.buffered -= (uint64_t)n;
        }
        if (n < 0) {
            cb_log_debug_errno((int)n, "Client %llu went away while we wrote to it",
                               (unsigned long long)c->id);
            router_client_close(c);
            return;
        }
    }
    if (!c->closed && c->close_after_flush && cb_buf_pending(&c->out) == 0) {
        router_client_close(c);
        return;
    }
    router_client_update_events(c);
}

void router_client_send_text(struct client *c, const char *text, size_t len)
{
    if (c->closed) {
        return;
    }
    if (cb_frame_append(&c->out, text, len) < 0) {
        cb_log_error("Out of memory queueing an answer for client %llu, closing it",
                     (unsigned long long)c->id);
        router_client_close(c);
        return;
    }
    if (c->owner) {
        c->owner->b.buffered += CB_FRAME_HEADER_SIZE + len;
    }
    client_flush(c);
}

void router_client_send(struct client *c, json_t *response)
{
    size_t len;
    char *text = cb_json_dump(response, &len);

    if (!text) {
        cb_log_error("Out of memory writing an answer, closing client %llu",
                     (unsigned long long)c->id);
        router_client_close(c);
        return;
    }
    router_client_send_text(c, text, len);
    free(text);
}

static void refuse_framing(struct client *c, enum cb_error_code code, const char *fmt, ...)
        CB_PRINTF(3, 4);

static void refuse_framing(struct client *c, enum cb_error_code code, const char *fmt, ...)
{
    struct cb_error err = CB_ERROR_INIT;
    char *text = NULL;
    va_list ap;

    va_start(ap, fmt);
    if (vasprintf(&text, fmt, ap) < 0) {
        text = NULL;
    }
    va_end(ap);

    cb_error_set(&err, code, "%s", text ? text : "broken frame");
    free(text);
    router_answer_error(c, NULL, NULL, NULL, cb_now_monotonic_usec(), &err);
}

static int on_stall(sd_event_source *s CB_UNUSED, uint64_t usec CB_UNUSED, void *userdata)
{
    struct client *c = userdata;

    /* A frame that never completes cannot be told apart from the next one: answer, close. */
    refuse_framing(c, CB_E_PROTOCOL,
                   "frame stalled: %zu bytes of it arrived, then nothing for %llu ms",
                   cb_buf_pending(&c->in), (unsigned long long)c->router->config->frame_stall_ms);
    c->close_after_flush = true;
    client_flush(c);
    return 0;
}

static void arm_stall_timer(struct client *c)
{
    struct router *r = c->router;
    uint64_t usec = r->config->frame_stall_ms * CB_USEC_PER_MSEC;

    if (!cb_frame_partial(&c->in) || usec == 0) {
        if (c->stall_timer) {
            (void)sd_event_source_set_enabled(c->stall_timer, SD_EVENT_OFF);
        }
        return;
    }
    if (!c->stall_timer) {
        (void)sd_event_add_time_relative(r->event, &c->stall_timer, CLOCK_MONOTONIC, usec, 0,
                                         on_stall, c);
        return;
    }
    (void)sd_event_source_set_time_relative(c->stall_timer, usec);
    (void)sd_event_source_set_enabled(c->stall_timer, SD_EVENT_ONESHOT);
}

static void client_parse_frames(struct client *c)
{
    size_t limit = c->router->config->limits.max_frame;
    const char *payload;
    uint64_t announced = 0;
    size_t len;
    int r;

    while (!c->closed && !c->close_after_flush &&
           (r = cb_frame_next(&c->in, limit, &payload, &len, &announced)) != 0) {
        if (r == 1) {
            c->last_activity_usec = cb_now_monotonic_usec();
            c->requests++;
            router_dispatch_frame(c, payload, len);
        } else if (r == -EBADMSG) {
            refuse_framing(c, CB_E_PROTOCOL, "zero-length frame");
        } else {
            refuse_framing(
                    c, CB_E_TOO_LARGE,
                    "frame of %llu bytes is over the limit of %zu bytes (max_frame_bytes); closing, since the stream cannot be resynchronised",
                    (unsigned long long)announced, limit);
            c->close_after_flush = true;
            cb_buf_consume(&c->in, cb_buf_pending(&c->in));
        }
    }
}

static void client_read(struct client *c)
{
    size_t limit = c->router->config->limits.max_frame + CB_FRAME_HEADER_SIZE;
    ssize_t n;

    n = cb_buf_read_fd(&c->in, c->fd, limit + 65536);
    if (n == -EAGAIN || n == -ENOBUFS) {
        return;
    }
    if (n <= 0) {
        /* EOF inside a frame: the rest will never come, and the peer no longer reads. */
        router_client_close(c);
        return;
    }

    client_parse_frames(c);
    if (c->closed) {
        return;
    }
    if (c->close_after_flush) {
        client_flush(c); /* closes once the refusal is written */
        return;
    }
    arm_stall_timer(c);
    router_client_update_events(c);
}

static int on_client_io(sd_event_source *s CB_UNUSED,
                        int fd CB_UNUSED,
                        uint32_t revents,
                        void *userdata)
{
    struct client *c = userdata;

    c->refs++;
    if (revents & EPOLLOUT) {
        client_flush(c);
    }
    if (!c->closed && (revents & (EPOLLIN | EPOLLHUP | EPOLLERR))) {
        client_read(c);
    }
    router_client_unref(c);
    return 0;
}

static bool client_identify(struct client *c)
{
    struct router *r = c->router;
    struct ucred cred;
    socklen_t len = sizeof cred;
    gid_t groups[256];
    socklen_t glen = sizeof groups;
    size_t n_groups = 0;

    if (getsockopt(c->fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
        return false;
    }
    c->uid = cred.uid;
    c->gid = cred.gid;
    c->pid = cred.pid;

    if (getsockopt(c->fd, SOL_SOCKET, SO_PEERGROUPS, groups, &glen) >= 0) {
        n_groups = glen / sizeof(gid_t);
    }
    groups[n_groups < CB_ELEMENTSOF(groups) ? n_groups : CB_ELEMENTSOF(groups) - 1] = c->gid;
    n_groups = CB_MIN(n_groups + 1, CB_ELEMENTSOF(groups));

    c->allowed = router_access_allowed(&r->access, c->uid, groups, n_groups);
    c->groups = malloc(n_groups * sizeof *c->groups);
    if (!c->groups) {
        return false;
    }
    memcpy(c->groups, groups, n_groups * sizeof *c->groups);
    c->n_groups = n_groups;
    c->owner = router_uid_get(r, c->uid);
    return c->owner != NULL;
}

static void client_add(struct router *r, int fd)
{
    struct client *c = calloc(1, sizeof *c);
    uint8_t token[16];

    if (!c) {
        close(fd);
        return;
    }
    *c = (struct client){ .router = r, .fd = fd, .refs = 1, .id = ++r->next_client_id };
    c->start_usec = c->last_activity_usec = cb_now_monotonic_usec();
    c->start_realtime_usec = cb_now_realtime_usec();
    if (!client_identify(c) ||
        sd_event_add_io(r->event, &c->io, fd, EPOLLIN, on_client_io, c) < 0) {
        r->stats.connections_rejected++;
        close(fd);
        if (c->owner) {
            router_uid_release(r, c->owner);
        }
        free(c->groups);
        free(c);
        return;
    }

    /* A request without a token belongs to the connection's own session. */
    if (getrandom(token, sizeof token, 0) != sizeof token) {
        memset(token, 0, sizeof token);
    }
    for (size_t i = 0; i < sizeof token; i++) {
        snprintf(c->own_token + 2 * i, 3, "%02x", token[i]);
    }

    /* Over the connection limit, it still hears why, on its first request. */
    if (router_limits_admit_connection(r, c->owner, &c->over_limit_error) < 0) {
        c->over_limit = true;
        r->stats.connections_rejected++;
    } else {
        c->owner->b.connections++;
    }

    c->next = r->clients;
    if (r->clients) {
        r->clients->prev = c;
    }
    r->clients = c;
    r->n_clients++;
    r->stats.connections_total++;
    if (r->n_clients > r->stats.peak_connections) {
        r->stats.peak_connections = r->n_clients;
    }
}

static int on_accept(sd_event_source *s CB_UNUSED,
                     int fd,
                     uint32_t revents CB_UNUSED,
                     void *userdata)
{
    struct router *r = userdata;

    /* Drain the backlog: connections made while we were down are all waiting there. */
    for (int i = 0; i < 64; i++) {
        int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

        if (cfd < 0) {
            if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED) {
                cb_log_warning_errno(errno, "Failed to accept a client connection, ignoring");
            }
            break;
        }
        client_add(r, cfd);
    }
    return 0;
}

int router_client_listen(struct router *r)
{
    char *paths[] = { r->config->socket_path, NULL };
    const struct cb_service_listener *l;
    size_t n;
    int k;

    k = cb_service_open_listeners(r->service, paths, 0660);
    if (k <= 0) {
        return k < 0 ? k : -EBADF;
    }
    l = cb_service_listeners(r->service, &n);
    for (size_t i = 0; i < n; i++) {
        k = sd_event_add_io(r->event, NULL, l[i].fd, EPOLLIN, on_accept, r);
        if (k < 0) {
            return k;
        }
    }
    return 0;
}

void router_clients_close_all(struct router *r)
{
    while (r->clients) {
        router_client_close(r->clients);
    }
}
