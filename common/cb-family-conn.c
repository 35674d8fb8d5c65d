/* SPDX-License-Identifier: MIT */
/*
 * An instance's connections: the router's (requests with their peer, control messages,
 * descriptors handed over) and channels. Each request runs on its session's serial queue in
 * the worker pool; answers are written back from the loop thread.
 */
#include "common/cb-family-daemon-internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "common/cb-frame.h"
#include "common/cb-log.h"
#include "common/cb-service.h"
#include "common/cb-time.h"
#include "common/cb-workers.h"

void cb_conn_unref(struct conn *c)
{
    if (--c->refs > 0) {
        return;
    }
    json_decref(c->modules);
    json_decref(c->env_update);
    cb_buf_free(&c->in);
    cb_buf_free(&c->out);
    free(c);
}

void cb_conn_close(struct conn *c)
{
    struct server *srv = c->srv;

    if (c->closed) {
        return;
    }
    c->closed = true;
    if (c->prev) {
        c->prev->next = c->next;
    } else {
        srv->conns = c->next;
    }
    if (c->next) {
        c->next->prev = c->prev;
    }
    c->io = sd_event_source_disable_unref(c->io);
    c->stall_timer = sd_event_source_disable_unref(c->stall_timer);
    close(c->fd);
    c->fd = -1;
    for (size_t i = 0; i < c->n_fds; i++) {
        close(c->fds[i]);
    }
    c->n_fds = 0;

    if (c->channel) {
        srv->n_channels--;
        srv->budget.connections--;
        cb_channel_release_session(c);
    } else if (--srv->n_conns == 0) {
        /* The router went away (restart or crash): sessions wait for it for the grace time. */
        cb_registry_detach_all(srv->registry, cb_now_monotonic_usec());
    }
    cb_conn_unref(c);
}

static void conn_flush(struct conn *c)
{
    ssize_t n;

    while (cb_buf_pending(&c->out) > 0) {
        n = cb_buf_write_fd(&c->out, c->fd);
        if (n == -EAGAIN) {
            break;
        }
        if (n < 0) {
            if (!c->channel) {
                cb_log_info_errno((int)n, "Router connection failed while writing, closing it");
            }
            cb_conn_close(c);
            return;
        }
    }
    if (cb_buf_pending(&c->out) == 0 && c->close_after_flush) {
        cb_conn_close(c);
        return;
    }
    (void)sd_event_source_set_io_events(c->io, (c->paused ? 0 : EPOLLIN) |
                                                       (cb_buf_pending(&c->out) ? EPOLLOUT : 0));
}

void cb_conn_refuse_stream(struct conn *c, struct cb_error *err)
{
    json_t *resp = cb_response_error(NULL, err);

    cb_buf_consume(&c->in, cb_buf_pending(&c->in));
    c->close_after_flush = true;
    cb_conn_send(c, resp);
    json_decref(resp);
    cb_error_clear(err);
}

void cb_conn_send(struct conn *c, json_t *response)
{
    size_t len;
    char *text;

    if (c->closed) {
        return;
    }
    text = cb_json_dump(response, &len);
    if (!text || cb_frame_append(&c->out, text, len) < 0) {
        cb_log_error("Out of memory queueing an answer, closing the router connection");
        free(text);
        cb_conn_close(c);
        return;
    }
    free(text);
    conn_flush(c);
}

/* What a handler sees of its session: the environment the request came with, and the log
 * context of the request on this thread. Only this session's queue (or its hold) runs this,
 * so no lock is needed for the env. */
static void job_enter(struct job *j, struct cb_log_context *ctx)
{
    struct cb_session *s = j->call.session;
    json_t *env = j->env_update ? j->env_update : j->req.env ? j->req.env : j->req.session_env;

    if (env && json_is_object(env)) {
        json_decref(s->env);
        s->env = json_incref(env);
    }
    j->call.env = s->env;
    *ctx = (struct cb_log_context){
        .module = j->req.module,
        .function = j->req.function,
        .request_id = j->req.request_id,
        .session = s->token,
        .client_uid = j->call.uid,
        .client_pid = j->call.pid,
    };
    cb_log_set_context(ctx);
}

static void job_work(void *data)
{
    struct job *j = data;
    struct cb_session *s = j->call.session;
    struct cb_log_context ctx;

    if (j->end_session) {
        unsigned n = cb_registry_clear_session(
                j->call.registry, s, "its session ended (the client closed its last connection)");

        j->response = cb_response_success(j->req.id, json_pack("{s:b, s:i}", "ended", 1,
                                                               "handles_closed", (int)n));
        return;
    }

    job_enter(j, &ctx);
    j->response = cb_family_dispatch(j->conn->srv->family, &j->call, &j->req);
    cb_log_set_context(NULL);
}

static void job_done(void *data)
{
    struct job *j = data;
    struct server *srv = j->conn->srv;

    if (j->conn->channel && !j->end_session) {
        cb_channel_answered(j);
    } else {
        cb_conn_send(j->conn, j->response);
    }
    srv->inflight--;
    srv->handled++;
    if (j->end_session) {
        j->call.session->ending--;
    }
    /* A request may follow the end of its session (the token used again): the session then
     * lives on, fresh, and is forgotten only once nothing of it is queued. */
    if (--j->call.session->inflight == 0 && j->end_session) {
        cb_registry_forget_session(srv->registry, j->call.session);
    }
    json_decref(j->response);
    json_decref(j->env_update);
    j->deadline = sd_event_source_disable_unref(j->deadline);
    cb_request_done(&j->req);
    cb_conn_unref(j->conn);
    free(j);
}

sd_event *cb_async_event(struct cb_async *a)
{
    return cb_service_event(a->job->conn->srv->service);
}

void cb_async_on_stop(struct cb_async *a, void (*stop)(void *data), void *data)
{
    a->stop = stop;
    a->stop_data = data;
}

void cb_async_finish(struct cb_async *a, int r, json_t *result, struct cb_error *err)
{
    struct job *j = a->job;
    struct server *srv = j->conn->srv;

    if (a->starting) {
        /* Its start could not wait after all: job_start answers once the start returns. */
        j->response = cb_family_answer(&j->call, &j->req, r, result, err);
        return;
    }
    if (a->prev) {
        a->prev->next = a->next;
    } else {
        srv->started = a->next;
    }
    if (a->next) {
        a->next->prev = a->prev;
    }
    a->job = NULL;
    j->response = cb_family_answer(&j->call, &j->req, r, result, err);
    cb_work_queue_unhold(j->call.session->queue);
    job_done(j);
}

/* The handler's start, with the session's queue held; false when the call must go to a
 * worker after all. */
static bool job_start(struct job *j)
{
    struct server *srv = j->conn->srv;
    struct cb_log_context ctx;
    json_t *resp = NULL;
    int started;

    j->async = (struct cb_async){ .job = j, .starting = true };
    job_enter(j, &ctx);
    started = cb_family_start(srv->family, &j->call, &j->req, &j->async, &resp);
    cb_log_set_context(NULL);
    j->async.starting = false;
    if (started && j->response) { /* finished by its start */
        cb_work_queue_unhold(j->call.session->queue);
        job_done(j);
        return true;
    }
    if (started) {
        j->async.next = srv->started;
        if (srv->started) {
            srv->started->prev = &j->async;
        }
        srv->started = &j->async;
        if (j->conn->channel) {
            cb_channel_arm_deadline(j);
        }
        return true;
    }
    cb_work_queue_unhold(j->call.session->queue);
    if (!resp) {
        return false;
    }
    j->response = resp;
    job_done(j);
    return true;
}

void cb_conn_finish_started(struct server *srv)
{
    while (srv->started) {
        struct cb_async *a = srv->started;
        struct cb_error err = CB_ERROR_INIT;

        if (a->stop) {
            a->stop(a->stop_data);
        }
        if (srv->started == a) {
            cb_error_set(&err, CB_E_UNAVAILABLE, "the instance stopped before the call ended");
            cb_async_finish(a, -ECANCELED, NULL, &err);
        }
    }
}

static void peer_from_request(struct job *j)
{
    json_t *peer = j->req.peer;

    if (j->conn->channel) {
        j->call.uid = j->conn->uid;
        j->call.gid = j->conn->gid;
        j->call.pid = j->conn->pid;
        return;
    }
    /* The router always says; a direct connection (tests, --listen) is our own user's. */
    if (!peer) {
        j->call.uid = getuid();
        j->call.gid = getgid();
        j->call.pid = 0;
        return;
    }
    j->call.uid = (uid_t)cb_json_get_int(peer, "uid", 0);
    j->call.gid = (gid_t)cb_json_get_int(peer, "gid", 0);
    j->call.pid = (pid_t)cb_json_get_int(peer, "pid", 0);
}

int cb_conn_submit(struct conn *c, struct job *j)
{
    struct server *srv = c->srv;
    const char *token = j->req.session ? j->req.session : c->own_session;
    struct cb_session *s;

    s = cb_registry_session(srv->registry, token, !j->end_session);
    if (!s) {
        /* Ending a session we never saw: nothing to do, say so at once. */
        json_t *resp = cb_response_success(j->req.id, json_pack("{s:b, s:i}", "ended", 0,
                                                                "handles_closed", 0));
        cb_conn_send(c, resp);
        json_decref(resp);
        cb_request_done(&j->req);
        free(j);
        return 0;
    }
    if (!s->queue) {
        s->queue = cb_work_queue_new(srv->pool);
        if (!s->queue) {
            return -ENOMEM;
        }
    }
    if (s->detached) {
        cb_registry_attach(srv->registry, s);
    }
    if (!c->channel && !j->end_session) {
        s->router_held = true;
    }
    if (j->end_session) {
        /* The client is gone: whatever of its session still runs is working for nobody. */
        if (s->inflight > 0 && s->ending == 0 && srv->family->session_ops.cancel) {
            srv->family->session_ops.cancel(s->family_data);
        }
        s->ending++;
    }

    j->conn = c;
    j->call.session = s;
    j->call.registry = srv->registry;
    j->call.config = srv->config;
    j->call.request_id = j->req.request_id;
    j->call.process_start_usec = srv->start_usec;
    peer_from_request(j);

    c->refs++;
    srv->inflight++;
    s->inflight++;
    if (c->channel && !j->end_session) {
        c->inflight++;
    }
    /* Nothing of this session is queued and the payload is small: a handler that never blocks
     * answers here, and one that waits on a descriptor waits in the loop. Either saves two
     * thread hand-offs, most of a cheap call's cost. */
    if (s->inflight == 1 && !j->end_session && j->req.frame_len <= INLINE_MAX_FRAME) {
        enum cb_family_way way = cb_family_way(srv->family, j->req.module, j->req.function);

        if (way == CB_WAY_INLINE) {
            job_work(j);
            job_done(j);
            return 0;
        }
        if (way == CB_WAY_START && cb_work_queue_hold(s->queue) && job_start(j)) {
            return 0;
        }
    }
    if (c->channel && !j->end_session) {
        cb_channel_arm_deadline(j);
    }
    return cb_pool_submit(s->queue, job_work, job_done, j);
}

/* The router cannot read other users' /proc (ProtectProc=invisible), so instances say. */
static void answer_status(struct conn *c, struct job *j)
{
    struct server *srv = c->srv;
    struct rusage ru;
    long pages = 0, rss = 0;
    FILE *f = fopen("/proc/self/statm", "re");
    json_t *resp;

    if (f) {
        if (fscanf(f, "%ld %ld", &pages, &rss) != 2) {
            rss = 0;
        }
        fclose(f);
    }
    (void)getrusage(RUSAGE_SELF, &ru);
    resp = cb_response_success(
            j->req.id,
            json_pack("{s:i, s:I, s:I, s:i, s:i, s:i, s:i, s:o?}", "pid", (int)getpid(), "rss_kb",
                      (json_int_t)(rss * (sysconf(_SC_PAGESIZE) / 1024)), "cpu_usec",
                      (json_int_t)((ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000LL +
                                   ru.ru_utime.tv_usec + ru.ru_stime.tv_usec),
                      "sessions", (int)cb_registry_n_sessions(srv->registry), "handles",
                      (int)cb_registry_n_handles(srv->registry), "inflight", (int)srv->inflight,
                      "channels", (int)srv->n_channels, "meter", cb_meter_take(srv->meter)));
    cb_conn_send(c, resp);
    json_decref(resp);
    cb_request_done(&j->req);
    free(j);
}

static void handle_frame(struct conn *c, const char *payload, size_t len)
{
    struct cb_error err = CB_ERROR_INIT;
    struct job *j;
    json_t *id = NULL;
    int r;

    if (c->channel) {
        cb_channel_frame(c, payload, len);
        return;
    }
    j = calloc(1, sizeof *j);
    if (!j) {
        return;
    }
    r = cb_request_parse(payload, len, CB_ORIGIN_ROUTER, &c->srv->config->limits, &j->req, &id,
                         &err);
    if (r < 0) {
        json_t *resp = cb_response_error(id, &err);

        cb_conn_send(c, resp);
        json_decref(resp);
        json_decref(id);
        cb_error_clear(&err);
        free(j);
        return;
    }
    if (j->req.control && strcmp(j->req.control, "status") == 0) {
        answer_status(c, j);
        return;
    }
    if (j->req.control && strcmp(j->req.control, "shutdown") == 0) {
        /* system.shutdown: the router stops the whole suite, instances included. */
        json_t *resp = cb_response_success(j->req.id, json_pack("{s:b}", "stopping", 1));

        cb_conn_send(c, resp);
        json_decref(resp);
        cb_request_done(&j->req);
        free(j);
        cb_log_notice("Stopping: the router asked (system.shutdown)");
        cb_service_stop(c->srv->service, 0);
        return;
    }
    if (j->req.control && strcmp(j->req.control, "adopt") == 0) {
        cb_channel_adopt(c, j);
        return;
    }
    if (j->req.control && strcmp(j->req.control, "cleanup") == 0) {
        cb_channel_cleanup(c, j);
        return;
    }
    if (j->req.control) {
        if (strcmp(j->req.control, "session_end") != 0 || !j->req.session) {
            cb_log_warning("Unknown control message '%s' from the router, ignoring",
                           j->req.control);
            cb_request_done(&j->req);
            free(j);
            return;
        }
        j->end_session = true;
        if (cb_channel_session_held(c, j)) {
            return;
        }
    }
    r = cb_conn_submit(c, j);
    if (r < 0) {
        cb_log_error_errno(r, "Failed to queue a request");
    }
}

void cb_conn_parse(struct conn *c)
{
    size_t limit = c->srv->config->limits.max_frame;
    const char *payload;
    size_t len;
    int r;

    c->refs++;
    while (!c->closed && !c->paused &&
           (r = cb_frame_next(&c->in, limit, &payload, &len, NULL)) != 0) {
        if (r == 1) {
            handle_frame(c, payload, len);
        } else if (r == -EBADMSG) {
            struct cb_error err = CB_ERROR_INIT;
            json_t *resp;

            cb_error_set(&err, CB_E_PROTOCOL, "zero-length frame");
            resp = cb_response_error(NULL, &err);
            cb_conn_send(c, resp);
            json_decref(resp);
            cb_error_clear(&err);
        } else if (c->channel) {
            struct cb_error err = CB_ERROR_INIT;

            cb_error_set(
                    &err, CB_E_TOO_LARGE,
                    "frame is over the limit of %zu bytes (max_frame_bytes); closing, since the stream cannot be resynchronised",
                    limit);
            cb_conn_refuse_stream(c, &err);
        } else {
            cb_log_warning("Router sent a frame over the limit, closing the connection");
            cb_conn_close(c);
        }
    }
    cb_conn_unref(c);
}

static void conn_read(struct conn *c)
{
    size_t limit = c->srv->config->limits.max_frame;
    ssize_t n;
    int fd = -1;

    if (c->channel) {
        n = cb_buf_read_fd(&c->in, c->fd, limit + CB_FRAME_HEADER_SIZE + 65536);
    } else {
        n = cb_buf_recv_fd(&c->in, c->fd, limit + CB_FRAME_HEADER_SIZE + 65536, &fd);
    }
    if (fd >= 0) {
        if (c->n_fds < CB_ELEMENTSOF(c->fds)) {
            c->fds[c->n_fds++] = fd;
        } else {
            cb_log_warning("The router passed more connections than it announced, closing one");
            close(fd);
        }
    }
    if (n == -EAGAIN || n == -ENOBUFS) {
        return;
    }
    if (n <= 0) {
        if (n < 0 && !c->channel) {
            cb_log_info_errno((int)n, "Router connection failed");
        }
        cb_conn_close(c);
        return;
    }
    cb_conn_parse(c);
    if (c->channel && !c->closed) {
        cb_channel_arm_stall(c);
    }
}

int cb_conn_on_io(sd_event_source *s CB_UNUSED, int fd CB_UNUSED, uint32_t revents, void *userdata)
{
    struct conn *c = userdata;

    c->refs++;
    if (!c->paused && (revents & (EPOLLIN | EPOLLHUP | EPOLLERR))) {
        conn_read(c);
    } else if (c->paused && (revents & (EPOLLHUP | EPOLLERR)) && !(revents & EPOLLOUT)) {
        cb_conn_close(c); /* gone while we were not reading */
    }
    if (!c->closed && (revents & EPOLLOUT)) {
        conn_flush(c);
    }
    cb_conn_unref(c);
    return 0;
}
