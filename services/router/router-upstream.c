/* SPDX-License-Identifier: MIT */
/*
 * Upstream connections: one persistent, multiplexed connection per (family, uid) instance.
 * Requests get the router's own ids on the way up; answers get the client's ids back.
 */
#include "services/router/router-internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/cb-frame.h"
#include "common/cb-json.h"
#include "common/cb-log.h"
#include "common/cb-time.h"

#define CONNECT_RETRY_USEC (10 * CB_USEC_PER_MSEC)
#define LINGER_USEC        (2 * CB_USEC_PER_SEC)

static void upstream_connect(struct upstream *u);
static void upstream_flush(struct upstream *u);
static void store_status(struct upstream *u, uint64_t poll_id, const char *payload, size_t len);

struct upstream *router_upstream_get(struct router *r,
                                     const struct cb_family_info *family,
                                     size_t family_index,
                                     uid_t uid)
{
    struct upstream *u;
    char key[48];

    snprintf(key, sizeof key, "%s:%u", family->name, (unsigned)uid);
    u = cb_hashmap_get(r->upstreams, key);
    if (u) {
        return u;
    }

    u = calloc(1, sizeof *u);
    if (!u) {
        return NULL;
    }
    *u = (struct upstream){ .refusal = CB_E_UNAVAILABLE,
                            .router = r,
                            .family = family,
                            .family_index = family_index,
                            .uid = uid,
                            .fd = -1,
                            .next_id = 1 };
    snprintf(u->key, sizeof u->key, "%s", key);
    u->pending = cb_hashmap_new();
    u->env_sent = cb_hashmap_new();
    if (asprintf(&u->socket_path, "%s/%s/%u.sock", r->config->runtime_dir, family->name,
                 (unsigned)uid) < 0 ||
        !u->pending || !u->env_sent || cb_hashmap_put(r->upstreams, u->key, u) < 0) {
        cb_hashmap_free(u->pending);
        cb_hashmap_free(u->env_sent);
        free(u);
        return NULL;
    }
    return u;
}

static void pending_free(struct pending *p)
{
    p->deadline = sd_event_source_disable_unref(p->deadline);
    json_decref(p->client_id);
    if (p->client) {
        p->client->inflight--;
        p->client->inflight_bytes -= p->bytes;
        p->client->owner->b.inflight--;
        p->client->router->inflight--;
        p->client->owner->b.buffered -= p->bytes;
        router_client_update_events(p->client); /* it may read again */
        router_client_unref(p->client);
    }
    free(p);
}

static void fail_pending(struct upstream *u, const char *reason)
{
    struct router *r = u->router;
    size_t state = 0, n = 0;
    const char *key;
    void *value;
    struct pending **all = calloc(cb_hashmap_size(u->pending) + 1, sizeof *all);

    while (all && cb_hashmap_iterate(u->pending, &state, &key, &value)) {
        all[n++] = value;
    }
    for (size_t i = 0; i < n; i++) {
        struct pending *p = all[i];
        struct cb_error err = CB_ERROR_INIT;
        bool delivered = p->end_offset <= u->bytes_written;

        (void)cb_hashmap_remove_u64(u->pending, p->upstream_id);
        if (!p->control && !p->timed_out && !p->client->closed) {
            if (delivered) {
                /* It reached the instance, which died: it may or may not have happened. */
                cb_error_set(
                        &err, CB_E_UNAVAILABLE,
                        "the %s instance for uid %u ended before answering (%s); the call may or may not have taken effect",
                        u->family->name, (unsigned)u->uid, reason);
                err.outcome_unknown = true;
            } else {
                cb_error_set(
                        &err, CB_E_UNAVAILABLE,
                        "the %s instance for uid %u could not be reached (%s); the request was not delivered",
                        u->family->name, (unsigned)u->uid, reason);
            }
            router_count(r,
                         &(struct metrics_answer){ .module = p->module->name,
                                                   .function = p->function->name,
                                                   .code = err.code,
                                                   .error = err.message },
                         false, p->start_usec);
            router_log_answer(p->client, p->module->name, p->function->name, p->request_id,
                              p->session, p->start_usec, "E_UNAVAILABLE");
            json_t *resp = cb_response_error(p->client_id, &err);
            router_client_send(p->client, resp);
            json_decref(resp);
            cb_error_clear(&err);
        }
        pending_free(p);
    }
    free(all);
}

static void env_sent_clear(struct upstream *u)
{
    size_t state = 0;
    const char *key;
    void *value;

    while (cb_hashmap_iterate(u->env_sent, &state, &key, &value)) {
        free(value);
    }
    cb_hashmap_free(u->env_sent);
    u->env_sent = cb_hashmap_new();
}

static void upstream_disconnect(struct upstream *u, const char *reason)
{
    bool had_pending = cb_hashmap_size(u->pending) > 0;

    if (u->fd >= 0 && had_pending) {
        cb_log_full(
                LOG_ERR, 0, CB_MESSAGE_INSTANCE_DIED, NULL,
                "Connection to the %s instance for uid %u lost with %zu request(s) in flight: %s",
                u->family->name, (unsigned)u->uid, cb_hashmap_size(u->pending), reason);
    }
    u->io = sd_event_source_disable_unref(u->io);
    u->timer = sd_event_source_disable_unref(u->timer);
    if (u->fd >= 0) {
        close(u->fd);
        u->fd = -1;
    }
    u->state = UPSTREAM_IDLE;
    u->activated = false;
    u->polling = false;
    u->repoll = false;
    u->channels = 0;
    u->reported_id = u->last_adopt_id; /* its hand-overs went with the connection */
    u->pid = 0;
    u->sample_usec = 0;
    u->cpu_percent = 0;
    u->rss_kb = 0;
    if (had_pending) {
        u->last_failure_usec = cb_now_monotonic_usec();
    }
    snprintf(u->last_failure, sizeof u->last_failure, "%s", reason);
    if (had_pending) {
        u->failures++;
    }

    fail_pending(u, reason);
    /* A client whose hand-over never went out sees its connection close, before any answer:
     * it opens another (its channel request may be repeated). */
    for (size_t i = 0; i < u->n_passing; i++) {
        close(u->passing[i].fd);
    }
    u->n_passing = 0;
    /* Nothing queued may be sent on a later connection: its senders have been answered. */
    u->bytes_written = u->bytes_queued;
    cb_buf_consume(&u->out, cb_buf_pending(&u->out));
    cb_buf_consume(&u->in, cb_buf_pending(&u->in));
    env_sent_clear(u);
    router_parked_report_arrived(u->router);
}

/* Rewrites the leading "{"id":N" of an instance's answer; instances always write id first. */
static bool splice_answer(const char *p, size_t len, uint64_t *ret_id, size_t *ret_rest)
{
    static const char prefix[] = "{\"id\":";
    size_t i = sizeof prefix - 1;
    uint64_t id = 0;

    if (len < i + 2 || memcmp(p, prefix, i) != 0 || p[i] < '0' || p[i] > '9') {
        return false;
    }
    for (; i < len && p[i] >= '0' && p[i] <= '9' && id < (1ULL << 53); i++) {
        id = id * 10 + (uint64_t)(p[i] - '0');
    }
    if (i >= len || p[i] != ',') {
        return false;
    }
    *ret_id = id;
    *ret_rest = i;
    return true;
}

static void relay_answer(struct upstream *u, struct pending *p, const char *rest, size_t n)
{
    static const char success_true[] = ",\"success\":true";
    struct router *r = u->router;
    bool ok = n >= sizeof success_true - 1 &&
              memcmp(rest, success_true, sizeof success_true - 1) == 0;
    struct cb_buf out = { 0 };
    char *id_text = p->client_id ? cb_json_dump(p->client_id, NULL) : NULL;
    struct metrics_answer a = { .module = p->module->name,
                                .function = p->function->name,
                                .code = -1 };
    json_t *failure = NULL;

    /* Failures are rare: only they are parsed, for their code and text ("{" + rest
     * without its leading comma is the answer without its id). */
    if (!ok && n > 1 && cb_buf_append(&out, "{", 1) >= 0 &&
        cb_buf_append(&out, rest + 1, n - 1) >= 0 &&
        cb_json_parse(cb_buf_head(&out), cb_buf_pending(&out), &failure, NULL) >= 0) {
        a.code = cb_error_code_from_string(cb_json_get_string(failure, "error_code", ""));
        a.code = a.code < 0 ? CB_E_INTERNAL : a.code;
        a.error = cb_json_get_string(failure, "error", NULL);
    } else if (!ok) {
        a.code = CB_E_INTERNAL;
    }
    router_count(r, &a, false, p->start_usec);
    router_log_answer(p->client, p->module->name, p->function->name, p->request_id, p->session,
                      p->start_usec, ok ? NULL : cb_error_code_to_string(a.code));
    json_decref(failure);
    cb_buf_consume(&out, cb_buf_pending(&out));
    if (!p->client->closed && cb_buf_append(&out, "{\"id\":", 6) >= 0 &&
        cb_buf_append(&out, id_text ? id_text : "null", id_text ? strlen(id_text) : 4) >= 0 &&
        cb_buf_append(&out, rest, n) >= 0) {
        router_client_send_text(p->client, cb_buf_head(&out), cb_buf_pending(&out));
    }
    cb_buf_free(&out);
    free(id_text);
}

static void handle_answer(struct upstream *u, const char *payload, size_t len)
{
    struct pending *p;
    uint64_t id;
    size_t rest;

    if (!splice_answer(payload, len, &id, &rest)) {
        cb_log_warning("The %s instance for uid %u sent an answer without a request id, ignoring",
                       u->family->name, (unsigned)u->uid);
        return;
    }
    p = cb_hashmap_remove_u64(u->pending, id);
    if (!p) {
        cb_log_warning("The %s instance for uid %u answered unknown request %" PRIu64 ", ignoring",
                       u->family->name, (unsigned)u->uid, id);
        return;
    }
    if (p->timed_out) {
        /* Its caller already heard E_TIMEOUT. */
    } else if (!p->control) {
        relay_answer(u, p, payload + rest, len - rest);
    } else if (p->status) {
        u->polling = false;
        store_status(u, p->upstream_id, payload, len);
        if (u->repoll) {
            u->repoll = false;
            router_upstream_poll_status(u);
        }
        router_parked_report_arrived(u->router);
    }
    pending_free(p);
}

static void upstream_read(struct upstream *u)
{
    size_t limit = u->router->config->limits.max_frame;
    const char *payload;
    size_t len;
    ssize_t n;
    int k;

    n = cb_buf_read_fd(&u->in, u->fd, limit + CB_FRAME_HEADER_SIZE + 65536);
    if (n == -EAGAIN || n == -ENOBUFS) {
        return;
    }
    if (n <= 0) {
        upstream_disconnect(u, n == 0 ? "the instance closed the connection" : strerror((int)-n));
        return;
    }
    while (u->fd >= 0 && (k = cb_frame_next(&u->in, limit, &payload, &len, NULL)) != 0) {
        if (k < 0) {
            upstream_disconnect(u, "the instance sent a broken frame");
            return;
        }
        handle_answer(u, payload, len);
    }
}

static void upstream_update_events(struct upstream *u)
{
    if (u->io) {
        (void)sd_event_source_set_io_events(u->io,
                                            EPOLLIN | (cb_buf_pending(&u->out) ? EPOLLOUT : 0));
    }
}

/* Writes up to the next hand-over, or from a hand-over's frame with its descriptor up to the
 * one after: each descriptor must travel with the first byte of its own frame, which is how
 * the instance pairs them. */
static ssize_t write_some(struct upstream *u)
{
    struct upstream_passing *next = u->n_passing ? &u->passing[0] : NULL;
    size_t max = SIZE_MAX;
    ssize_t n;

    if (!next) {
        return cb_buf_write_fd(&u->out, u->fd);
    }
    if (next->offset > u->bytes_written) {
        return cb_buf_send_fd(&u->out, u->fd, (size_t)(next->offset - u->bytes_written), -1);
    }
    if (u->n_passing > 1) {
        max = (size_t)(u->passing[1].offset - u->bytes_written);
    }
    n = cb_buf_send_fd(&u->out, u->fd, max, next->fd);
    if (n > 0) {
        /* In flight now: the kernel holds it until the instance receives it. */
        close(next->fd);
        memmove(u->passing, u->passing + 1, --u->n_passing * sizeof *u->passing);
    }
    return n;
}

static void upstream_flush(struct upstream *u)
{
    ssize_t n;

    if (u->state != UPSTREAM_READY) {
        return;
    }
    while (cb_buf_pending(&u->out) > 0) {
        n = write_some(u);
        if (n == -EAGAIN) {
            break;
        }
        if (n < 0) {
            upstream_disconnect(u, strerror((int)-n));
            return;
        }
        u->bytes_written += (uint64_t)n;
    }
    upstream_update_events(u);
}

static void maybe_linger(struct upstream *u);

bool router_upstream_serves_channels(const struct upstream *u)
{
    /* A hand-over newer than the latest report counts as a channel until a report says. */
    return u->channels > 0 || u->last_adopt_id > u->reported_id;
}

static int on_upstream_io(sd_event_source *s CB_UNUSED,
                          int fd CB_UNUSED,
                          uint32_t revents,
                          void *userdata)
{
    struct upstream *u = userdata;

    if (revents & EPOLLOUT) {
        upstream_flush(u);
    }
    if (u->fd >= 0 && (revents & (EPOLLIN | EPOLLHUP | EPOLLERR))) {
        upstream_read(u);
    }
    maybe_linger(u);
    return 0;
}

static int on_linger(sd_event_source *s CB_UNUSED, uint64_t usec CB_UNUSED, void *userdata)
{
    struct upstream *u = userdata;

    /* No session uses the instance and nothing is in flight: let it reach its idle exit. */
    if (u->state == UPSTREAM_READY && u->sessions == 0 && cb_hashmap_size(u->pending) == 0 &&
        !router_upstream_serves_channels(u)) {
        cb_log_debug("Closing the idle connection to the %s instance for uid %u", u->family->name,
                     (unsigned)u->uid);
        upstream_disconnect(u, "idle");
    }
    return 0;
}

static void maybe_linger(struct upstream *u)
{
    if (u->state != UPSTREAM_READY || u->sessions > 0 || cb_hashmap_size(u->pending) > 0 ||
        router_upstream_serves_channels(u)) {
        return;
    }
    /* Armed once; later events must not push the close further away. */
    if (u->timer && sd_event_source_get_enabled(u->timer, NULL) > 0) {
        return;
    }
    u->timer = sd_event_source_disable_unref(u->timer);
    (void)sd_event_add_time_relative(u->router->event, &u->timer, CLOCK_MONOTONIC, LINGER_USEC, 0,
                                     on_linger, u);
}

static int on_connect_retry(sd_event_source *s CB_UNUSED, uint64_t usec CB_UNUSED, void *userdata)
{
    upstream_connect(userdata);
    return 0;
}

static void retry_later(struct upstream *u, const char *why)
{
    if (cb_now_monotonic_usec() >= u->connect_deadline_usec) {
        upstream_disconnect(u, why);
        return;
    }
    u->state = UPSTREAM_CONNECTING;
    u->timer = sd_event_source_disable_unref(u->timer);
    (void)sd_event_add_time_relative(u->router->event, &u->timer, CLOCK_MONOTONIC,
                                     CONNECT_RETRY_USEC, 0, on_connect_retry, u);
}

static int open_socket(const char *path)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    int fd;

    if (strlen(path) >= sizeof sa.sun_path) {
        return -ENAMETOOLONG;
    }
    strcpy(sa.sun_path, path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return -errno;
    }
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        int k = -errno;

        close(fd);
        return k;
    }
    return fd;
}

static void upstream_connect(struct upstream *u)
{
    struct router *r = u->router;
    int fd, k;

    fd = open_socket(u->socket_path);
    if (fd == -EAGAIN) {
        retry_later(u, "its socket's backlog stayed full");
        return;
    }
    if ((fd == -ENOENT || fd == -ECONNREFUSED) && !u->activated && r->activator->start) {
        u->activated = true;
        u->state = UPSTREAM_ACTIVATING;
        k = r->activator->start(r, u);
        if (k < 0) {
            upstream_disconnect(u, "the instance could not be started");
        }
        return;
    }
    if (fd == -ENOENT || fd == -ECONNREFUSED) {
        retry_later(u, "no instance listens on its socket");
        return;
    }
    if (fd < 0) {
        upstream_disconnect(u, strerror(-fd));
        return;
    }

    k = sd_event_add_io(r->event, &u->io, fd, EPOLLIN | EPOLLOUT, on_upstream_io, u);
    if (k < 0) {
        close(fd);
        upstream_disconnect(u, strerror(-k));
        return;
    }
    u->timer = sd_event_source_disable_unref(u->timer);
    u->fd = fd;
    u->state = UPSTREAM_READY;
    u->connects++;
    upstream_flush(u);
}

void router_upstream_activated(struct upstream *u,
                               int error,
                               const char *message,
                               bool not_installed)
{
    char why[160];

    if (u->state != UPSTREAM_ACTIVATING) {
        return;
    }
    if (error < 0) {
        snprintf(why, sizeof why, "%s", not_installed ? "family not installed" : message);
        /* polkit's explicit NO stands for "not allowed"; anything else for "not available". */
        u->refusal = error == -EACCES ? CB_E_DENIED : CB_E_UNAVAILABLE;
        if (!not_installed && error != -EACCES) {
            u->activation_failure_usec = cb_now_monotonic_usec();
        }
        upstream_disconnect(u, why);
        u->refusal = CB_E_UNAVAILABLE;
        return;
    }
    upstream_connect(u);
}

static void upstream_start(struct upstream *u)
{
    u->connect_deadline_usec = cb_now_monotonic_usec() +
                               u->router->config->connect_timeout_ms * CB_USEC_PER_MSEC;
    upstream_connect(u);
}

static json_t *build_request(struct upstream *u,
                             struct client *c,
                             const struct router_forward *f,
                             uint64_t id)
{
    struct router_session *s = f->session;
    json_t *o;
    uint64_t *sent;

    /* "id" first: the answer then starts with it and is relayed without parsing. */
    o = json_pack("{s:I, s:s, s:s, s:O, s:s, s:{s:i, s:i, s:i}, s:s}", "id", (json_int_t)id,
                  "module", f->module->name, "function", f->function->name, "params", f->params,
                  "session", s->token, "peer", "uid", (int)c->uid, "gid", (int)c->gid, "pid",
                  (int)c->pid, "request_id", f->request_id);
    if (o && f->req->timeout_ms >= 0) {
        json_object_set_new(o, "timeout_ms", json_integer(f->req->timeout_ms));
    }

    /* session_env travels once per session and connection (DESIGN.md): instances keep it. */
    sent = cb_hashmap_get(u->env_sent, s->key);
    if (o && s->env && (!sent || *sent != s->env_generation)) {
        json_object_set(o, "env", s->env);
        if (!sent && (sent = malloc(sizeof *sent)) &&
            cb_hashmap_put(u->env_sent, s->key, sent) < 0) {
            free(sent);
            sent = NULL;
        }
        if (sent) {
            *sent = s->env_generation;
        }
    }
    return o;
}

static int queue_frame(struct upstream *u, json_t *o, struct pending *p)
{
    size_t len;
    char *text = cb_json_dump(o, &len);
    int k;

    if (!text) {
        return -ENOMEM;
    }
    k = cb_frame_append(&u->out, text, len);
    free(text);
    if (k < 0) {
        return k;
    }
    u->bytes_queued += CB_FRAME_HEADER_SIZE + len;
    p->end_offset = u->bytes_queued;
    return cb_hashmap_put_u64(u->pending, p->upstream_id, p);
}

static void track_session(struct upstream *u, struct router_session *s)
{
    uint64_t bit = 1ULL << u->family_index;

    if (!(s->families_used & bit)) {
        s->families_used |= bit;
        u->sessions++;
    }
}

/* timeout_ms bounds one call (DESIGN.md): past it the caller hears E_TIMEOUT at once, and
 * the instance's answer, should it come, is dropped. The call may still complete. */
static int on_deadline(sd_event_source *s CB_UNUSED, uint64_t usec CB_UNUSED, void *userdata)
{
    struct pending *p = userdata;
    struct router *r = p->upstream->router;
    struct cb_error err = CB_ERROR_INIT;
    json_t *resp;

    p->timed_out = true;
    if (p->client->closed) {
        return 0;
    }
    cb_error_set(&err, CB_E_TIMEOUT,
                 "%s.%s ran past its timeout of %llu ms; it may still complete in its instance",
                 p->module->name, p->function->name, (unsigned long long)p->timeout_ms);
    router_count(r,
                 &(struct metrics_answer){ .module = p->module->name,
                                           .function = p->function->name,
                                           .code = err.code,
                                           .error = err.message },
                 false, p->start_usec);
    resp = cb_response_error(p->client_id, &err);
    router_client_send(p->client, resp);
    json_decref(resp);
    cb_error_clear(&err);
    return 0;
}

static void arm_deadline(struct upstream *u, struct pending *p, const struct router_forward *f)
{
    int64_t ms = f->req->timeout_ms >= 0 ? f->req->timeout_ms
                                         : (int64_t)f->function->default_timeout_ms;

    p->upstream = u;
    if (ms <= 0) {
        return;
    }
    p->timeout_ms = (uint64_t)ms;
    (void)sd_event_add_time(u->router->event, &p->deadline, CLOCK_MONOTONIC,
                            f->start_usec + (uint64_t)ms * CB_USEC_PER_MSEC, 0, on_deadline, p);
}

/* What was just queued goes out: at once when connected (no linger close meanwhile), once
 * connected otherwise, the instance being started first when nothing is under way. */
static void upstream_send_queued(struct upstream *u)
{
    u->timer = u->state == UPSTREAM_READY ? sd_event_source_disable_unref(u->timer) : u->timer;
    if (u->state == UPSTREAM_IDLE) {
        upstream_start(u);
    } else {
        upstream_flush(u);
    }
}

int router_upstream_forward(struct upstream *u,
                            struct client *c,
                            const struct router_forward *f,
                            struct cb_error *reterr)
{
    struct pending *p = calloc(1, sizeof *p);
    json_t *o;
    int k;

    if (!p) {
        return cb_error_set(reterr, CB_E_INTERNAL, "out of memory");
    }
    *p = (struct pending){ .client = c,
                           .upstream_id = u->next_id++,
                           .start_usec = f->start_usec,
                           .module = f->module,
                           .function = f->function };
    p->client_id = f->req->id ? json_incref(f->req->id) : NULL;
    snprintf(p->request_id, sizeof p->request_id, "%s", f->request_id);
    snprintf(p->session, sizeof p->session, "%s", f->session->token);

    track_session(u, f->session);
    o = build_request(u, c, f, p->upstream_id);
    k = o ? queue_frame(u, o, p) : -ENOMEM;
    json_decref(o);
    if (k < 0) {
        json_decref(p->client_id);
        free(p);
        return cb_error_set(reterr, CB_E_INTERNAL, "out of memory forwarding the request");
    }
    c->refs++;
    c->inflight++;
    p->bytes = f->req_bytes;
    c->inflight_bytes += p->bytes;
    c->owner->b.inflight++;
    c->router->inflight++;
    arm_deadline(u, p, f);
    c->owner->b.buffered += p->bytes;
    upstream_send_queued(u);
    return 0;
}

/* Queues a control frame of the router's own (frame gets its id; a new reference is taken).
 * Its answer is read and dropped, or stored when it is a status report. */
static int queue_control(struct upstream *u, json_t *frame, bool status)
{
    struct pending *p = frame ? calloc(1, sizeof *p) : NULL;

    if (!p) {
        return -ENOMEM;
    }
    *p = (struct pending){ .upstream_id = u->next_id++,
                           .control = true,
                           .status = status,
                           .start_usec = cb_now_monotonic_usec() };
    if (json_object_set_new(frame, "id", json_integer((json_int_t)p->upstream_id)) < 0 ||
        queue_frame(u, frame, p) < 0) {
        free(p);
        return -ENOMEM;
    }
    return 0;
}

int router_upstream_adopt(struct upstream *u, json_t *frame, int fd)
{
    struct upstream_passing *grown;
    uint64_t offset = u->bytes_queued;

    grown = realloc(u->passing, (u->n_passing + 1) * sizeof *grown);
    if (!grown || queue_control(u, frame, false) < 0) {
        if (grown) {
            u->passing = grown;
        }
        close(fd);
        return -ENOMEM;
    }
    u->passing = grown;
    u->passing[u->n_passing++] = (struct upstream_passing){ .offset = offset, .fd = fd };
    u->last_adopt_id = u->next_id - 1; /* the id queue_control gave it */
    upstream_send_queued(u);
    return 0;
}

void router_upstream_send_session_end(struct upstream *u, const char *token)
{
    json_t *o;

    if (u->sessions > 0) {
        u->sessions--;
    }
    if (u->state != UPSTREAM_READY) {
        /* Not connected: the instance's grace time ends the session's state there. */
        return;
    }
    o = json_pack("{s:s, s:s}", "_control", "session_end", "session", token);
    (void)queue_control(u, o, false);
    json_decref(o);
    upstream_flush(u);
    maybe_linger(u);
}

static void store_status(struct upstream *u, uint64_t poll_id, const char *payload, size_t len)
{
    json_t *answer = NULL, *r;
    uint64_t now = cb_now_monotonic_usec();
    uint64_t cpu;

    if (cb_json_parse(payload, len, &answer, NULL) < 0) {
        return;
    }
    r = json_object_get(answer, "result");
    cpu = (uint64_t)cb_json_get_int(r, "cpu_usec", 0);
    /* CPU as a rate over the real interval between two samples, never one instant. */
    if (u->sample_usec && now > u->sample_usec && cpu >= u->cpu_usec &&
        (pid_t)cb_json_get_int(r, "pid", 0) == u->pid) {
        u->cpu_percent = 100.0 * (double)(cpu - u->cpu_usec) / (double)(now - u->sample_usec);
    } else {
        u->cpu_percent = 0;
    }
    u->pid = (pid_t)cb_json_get_int(r, "pid", 0);
    u->rss_kb = (uint64_t)cb_json_get_int(r, "rss_kb", 0);
    u->cpu_usec = cpu;
    u->sample_usec = now;
    u->handles = (unsigned)cb_json_get_int(r, "handles", 0);
    u->channels = (unsigned)cb_json_get_int(r, "channels", 0);
    /* Only a report asked for after a hand-over has seen it: one sent before may arrive
     * after it and say there are no channels (router_upstream_serves_channels). */
    if (poll_id > u->reported_id) {
        u->reported_id = poll_id;
    }
    router_meter_merge(u->router, u, json_object_get(r, "meter"));
    json_decref(answer);
}

void router_upstream_poll_status(struct upstream *u)
{
    json_t *o;

    if (u->state != UPSTREAM_READY || u->polling) {
        return;
    }
    o = json_pack("{s:s}", "_control", "status");
    u->polling = queue_control(u, o, true) >= 0;
    json_decref(o);
    upstream_flush(u);
}

void router_upstreams_shutdown(struct router *r)
{
    size_t state = 0;
    const char *key;
    void *value;

    while (cb_hashmap_iterate(r->upstreams, &state, &key, &value)) {
        struct upstream *u = value;
        json_t *o;

        if (u->state != UPSTREAM_READY) {
            continue;
        }
        o = json_pack("{s:s}", "_control", "shutdown");
        (void)queue_control(u, o, false);
        json_decref(o);
        upstream_flush(u);
    }
}

unsigned router_upstreams_cleanup(struct router *r,
                                  bool any_uid,
                                  uid_t uid,
                                  const char *session,
                                  int64_t idle_seconds)
{
    size_t state = 0;
    const char *key;
    void *value;
    unsigned asked = 0;

    while (cb_hashmap_iterate(r->upstreams, &state, &key, &value)) {
        struct upstream *u = value;
        json_t *o;

        if (u->state != UPSTREAM_READY || !router_upstream_serves_channels(u) ||
            (!any_uid && u->uid != uid)) {
            continue;
        }
        o = json_pack("{s:s, s:I}", "_control", "cleanup", "_idle_seconds",
                      (json_int_t)idle_seconds);
        if (o && session) {
            json_object_set_new(o, "session", json_string(session));
        }
        asked += queue_control(u, o, false) >= 0;
        json_decref(o);
        upstream_flush(u);
    }
    return asked;
}

unsigned router_upstreams_ready(struct router *r, const char *family)
{
    size_t state = 0;
    const char *key;
    void *value;
    unsigned n = 0;

    while (cb_hashmap_iterate(r->upstreams, &state, &key, &value)) {
        struct upstream *u = value;

        n += u->state == UPSTREAM_READY && strcmp(u->family->name, family) == 0;
    }
    return n;
}

void router_upstreams_free(struct router *r)
{
    size_t state = 0;
    const char *key;
    void *value;

    while (cb_hashmap_iterate(r->upstreams, &state, &key, &value)) {
        struct upstream *u = value;

        upstream_disconnect(u, "the router is stopping");
        cb_buf_free(&u->in);
        cb_buf_free(&u->out);
        cb_hashmap_free(u->pending);
        env_sent_clear(u);
        cb_hashmap_free(u->env_sent);
        free(u->passing);
        free(u->socket_path);
        free(u);
    }
    cb_hashmap_free(r->upstreams);
    r->upstreams = NULL;
}
