/* SPDX-License-Identifier: MIT */
/*
 * The instance server: accepts the router's connections, runs each request on its session's
 * serial queue in the worker pool, and writes answers back from the loop thread.
 */
#include "common/cb-family-internal.h"

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/cb-budget.h"
#include "common/cb-envelope.h"
#include "common/cb-frame.h"
#include "common/cb-inspect.h"
#include "common/cb-log.h"
#include "common/cb-meter.h"
#include "common/cb-service.h"
#include "common/cb-time.h"
#include "common/cb-workers.h"

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
    struct cb_meter *meter;  /* the channels' calls, for the router's next status poll */
    struct cb_budget budget; /* [limits] over all channels: they are all one uid's */
    uint64_t channel_requests;
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
    json_t *modules;    /* the modules the caller may use here */
    json_t *env_update; /* the session_env it came with, for its first call */
    unsigned inflight;

    /* The router's: descriptors received, each waiting for its adopt frame. */
    int fds[8];
    size_t n_fds;
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
};

static void channel_release_session(struct conn *c);
static void conn_parse(struct conn *c);

static void conn_unref(struct conn *c)
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

static void conn_close(struct conn *c)
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
    close(c->fd);
    c->fd = -1;
    for (size_t i = 0; i < c->n_fds; i++) {
        close(c->fds[i]);
    }
    c->n_fds = 0;

    if (c->channel) {
        srv->n_channels--;
        srv->budget.connections--;
        channel_release_session(c);
    } else if (--srv->n_conns == 0) {
        /* The router went away (restart or crash): sessions wait for it for the grace time. */
        cb_registry_detach_all(srv->registry, cb_now_monotonic_usec());
    }
    conn_unref(c);
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
            conn_close(c);
            return;
        }
    }
    if (cb_buf_pending(&c->out) == 0 && c->close_after_flush) {
        conn_close(c);
        return;
    }
    (void)sd_event_source_set_io_events(c->io, (c->paused ? 0 : EPOLLIN) |
                                                       (cb_buf_pending(&c->out) ? EPOLLOUT : 0));
}

static void conn_send(struct conn *c, json_t *response)
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
        conn_close(c);
        return;
    }
    free(text);
    conn_flush(c);
}

static void job_work(void *data)
{
    struct job *j = data;
    struct cb_session *s = j->call.session;
    struct cb_log_context ctx = {
        .module = j->req.module,
        .function = j->req.function,
        .request_id = j->req.request_id,
        .session = s->token,
        .client_uid = j->call.uid,
        .client_pid = j->call.pid,
    };

    if (j->end_session) {
        unsigned n = cb_registry_clear_session(
                j->call.registry, s, "its session ended (the client closed its last connection)");

        j->response = cb_response_success(j->req.id, json_pack("{s:b, s:i}", "ended", 1,
                                                               "handles_closed", (int)n));
        return;
    }

    /* Only this session's serial queue touches its env, so no lock is needed. */
    json_t *env = j->env_update ? j->env_update : j->req.env ? j->req.env : j->req.session_env;
    if (env && json_is_object(env)) {
        json_decref(s->env);
        s->env = json_incref(env);
    }
    j->call.env = s->env;

    cb_log_set_context(&ctx);
    j->response = cb_family_dispatch(j->conn->srv->family, &j->call, &j->req);
    cb_log_set_context(NULL);
}

static void channel_answered(struct job *j);

static void job_done(void *data)
{
    struct job *j = data;
    struct server *srv = j->conn->srv;

    if (j->conn->channel && !j->end_session) {
        channel_answered(j);
    } else {
        conn_send(j->conn, j->response);
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
    conn_unref(j->conn);
    free(j);
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

static void channel_arm_deadline(struct job *j);

static int submit(struct conn *c, struct job *j)
{
    struct server *srv = c->srv;
    const char *token = j->req.session ? j->req.session : c->own_session;
    struct cb_session *s;

    s = cb_registry_session(srv->registry, token, !j->end_session);
    if (!s) {
        /* Ending a session we never saw: nothing to do, say so at once. */
        json_t *resp = cb_response_success(j->req.id, json_pack("{s:b, s:i}", "ended", 0,
                                                                "handles_closed", 0));
        conn_send(c, resp);
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
    if (s->inflight == 1 && !j->end_session && j->req.frame_len <= INLINE_MAX_FRAME &&
        cb_family_runs_inline(srv->family, j->req.module, j->req.function)) {
        /* Nothing of this session is queued, the handler never blocks and the payload is
         * small: answering here saves two thread hand-offs, most of a cheap call's cost. */
        job_work(j);
        job_done(j);
        return 0;
    }
    if (c->channel && !j->end_session) {
        channel_arm_deadline(j);
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
    conn_send(c, resp);
    json_decref(resp);
    cb_request_done(&j->req);
    free(j);
}

static void channel_frame(struct conn *c, const char *payload, size_t len);
static void adopt(struct conn *c, struct job *j);
static bool session_held_by_channel(struct conn *c, struct job *j);

static void handle_frame(struct conn *c, const char *payload, size_t len)
{
    struct cb_error err = CB_ERROR_INIT;
    struct job *j;
    json_t *id = NULL;
    int r;

    if (c->channel) {
        channel_frame(c, payload, len);
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

        conn_send(c, resp);
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

        conn_send(c, resp);
        json_decref(resp);
        cb_request_done(&j->req);
        free(j);
        cb_log_notice("Stopping: the router asked (system.shutdown)");
        cb_service_stop(c->srv->service, 0);
        return;
    }
    if (j->req.control && strcmp(j->req.control, "adopt") == 0) {
        adopt(c, j);
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
        if (session_held_by_channel(c, j)) {
            return;
        }
    }
    r = submit(c, j);
    if (r < 0) {
        cb_log_error_errno(r, "Failed to queue a request");
    }
}

static void conn_parse(struct conn *c)
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
            conn_send(c, resp);
            json_decref(resp);
            cb_error_clear(&err);
        } else if (c->channel) {
            struct cb_error err = CB_ERROR_INIT;
            json_t *resp;

            cb_error_set(
                    &err, CB_E_TOO_LARGE,
                    "frame is over the limit of %zu bytes (max_frame_bytes); closing, since the stream cannot be resynchronised",
                    limit);
            resp = cb_response_error(NULL, &err);
            cb_buf_consume(&c->in, cb_buf_pending(&c->in));
            c->close_after_flush = true;
            conn_send(c, resp);
            json_decref(resp);
            cb_error_clear(&err);
        } else {
            cb_log_warning("Router sent a frame over the limit, closing the connection");
            conn_close(c);
        }
    }
    conn_unref(c);
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
        conn_close(c);
        return;
    }
    conn_parse(c);
}

static int on_conn_io(sd_event_source *s CB_UNUSED,
                      int fd CB_UNUSED,
                      uint32_t revents,
                      void *userdata)
{
    struct conn *c = userdata;

    c->refs++;
    if (!c->paused && (revents & (EPOLLIN | EPOLLHUP | EPOLLERR))) {
        conn_read(c);
    } else if (c->paused && (revents & (EPOLLHUP | EPOLLERR)) && !(revents & EPOLLOUT)) {
        conn_close(c); /* gone while we were not reading */
    }
    if (!c->closed && (revents & EPOLLOUT)) {
        conn_flush(c);
    }
    conn_unref(c);
    return 0;
}

static bool peer_trusted(struct server *srv, int fd)
{
    struct ucred cred;
    socklen_t len = sizeof cred;

    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
        return false;
    }
    /* Instances trust only the router (DESIGN.md): root, the service user, or ourselves
     * when the launcher runs everything as one user. */
    return cred.uid == 0 || cred.uid == getuid() || cred.uid == srv->router_uid;
}

static int on_accept(sd_event_source *s CB_UNUSED,
                     int fd,
                     uint32_t revents CB_UNUSED,
                     void *userdata)
{
    struct server *srv = userdata;
    struct conn *c;
    int cfd, r;

    cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (cfd < 0) {
        if (errno != EAGAIN && errno != EINTR) {
            cb_log_warning_errno(errno, "Failed to accept a connection, ignoring");
        }
        return 0;
    }
    if (!peer_trusted(srv, cfd)) {
        cb_log_warning("Refused a connection from a process that is not the router");
        close(cfd);
        return 0;
    }

    c = calloc(1, sizeof *c);
    if (!c) {
        close(cfd);
        return 0;
    }
    *c = (struct conn){ .srv = srv, .fd = cfd, .refs = 1 };
    /* Requests without a token belong to their connection's own session. */
    snprintf(c->own_session, sizeof c->own_session, "%032llx",
             (unsigned long long)++srv->next_conn);
    r = sd_event_add_io(cb_service_event(srv->service), &c->io, cfd, EPOLLIN, on_conn_io, c);
    if (r < 0) {
        close(cfd);
        free(c);
        return 0;
    }
    c->next = srv->conns;
    if (srv->conns) {
        srv->conns->prev = c;
    }
    srv->conns = c;
    srv->n_conns++;
    return 0;
}

static void on_status(char *buf, size_t size, void *userdata)
{
    struct server *srv = userdata;
    uint64_t grace = srv->config->grace_seconds * CB_USEC_PER_SEC;

    (void)cb_registry_expire(srv->registry, cb_now_monotonic_usec(), grace);
    snprintf(buf, size, "Serving %s: %u sessions, %u handles, %u in flight, %llu handled",
             srv->family->name, cb_registry_n_sessions(srv->registry),
             cb_registry_n_handles(srv->registry), srv->inflight, (unsigned long long)srv->handled);
}

static bool on_health(void *userdata)
{
    struct server *srv = userdata;

    return !cb_pool_stuck(srv->pool, srv->config->stall_seconds * CB_USEC_PER_SEC);
}

static bool on_idle(void *userdata)
{
    struct server *srv = userdata;

    return srv->n_conns == 0 && srv->n_channels == 0 && srv->inflight == 0 &&
           cb_registry_empty(srv->registry);
}

static int on_reload(void *userdata)
{
    struct server *srv = userdata;
    struct cb_config *c = NULL, **grown;
    char *err = NULL;
    int r;

    r = cb_config_load(srv->config_path, &c, &err);
    if (r < 0) {
        cb_log_error("Cannot reload the configuration: %s", err ? err : strerror(-r));
        free(err);
        return r;
    }
    grown = realloc(srv->retired, (srv->n_retired + 1) * sizeof *grown);
    if (!grown) {
        cb_config_free(c);
        return -ENOMEM;
    }
    srv->retired = grown;
    srv->retired[srv->n_retired++] = srv->config;
    srv->config = c;
    cb_registry_set_handle_limit(srv->registry, c->max_handles_per_uid);
    cb_log_notice("Reloaded the configuration; sessions and handles carry on");
    return 0;
}

static uid_t service_user_uid(void)
{
    struct passwd *pw = getpwnam(CB_SERVICE_USER);

    return pw ? pw->pw_uid : (uid_t)-1;
}

static int setup(struct server *srv, char **listen_paths)
{
    const struct cb_service_listener *l;
    size_t n;
    int r;

    r = cb_service_open_listeners(srv->service, listen_paths, 0600);
    if (r == 0) {
        cb_log_error(
                "No socket to serve: start it through its .socket unit, cpan-bridge-dev, or --listen PATH");
        return -EBADF;
    }
    if (r < 0) {
        return r;
    }
    l = cb_service_listeners(srv->service, &n);
    for (size_t i = 0; i < n; i++) {
        r = sd_event_add_io(cb_service_event(srv->service), NULL, l[i].fd, EPOLLIN, on_accept, srv);
        if (r < 0) {
            return r;
        }
    }
    cb_budget_init(&srv->budget, srv->config);
    r = cb_pool_new(cb_service_event(srv->service), srv->config->workers_min,
                    srv->config->workers_max, &srv->pool);
    if (r < 0) {
        return r;
    }
    srv->registry = cb_registry_new(&srv->family->session_ops);
    srv->meter = cb_meter_new();
    if (!srv->registry || !srv->meter) {
        return -ENOMEM;
    }
    cb_registry_set_handle_limit(srv->registry, srv->config->max_handles_per_uid);
    return 0;
}

int cb_family_run_daemon(const struct cb_family *family,
                         struct cb_config *config,
                         const struct cb_family_options *o)
{
    struct server srv = {
        .family = family,
        .config = config,
        .start_usec = cb_now_monotonic_usec(),
        .router_uid = service_user_uid(),
        .config_path = o->config_path,
    };
    char name[64];
    int r;

    snprintf(name, sizeof name, "cpan-bridge-%s", family->name);
    r = cb_service_new(name, &srv.service);
    if (r >= 0) {
        r = setup(&srv, o->listen_paths);
    }
    if (r >= 0) {
        cb_service_set_status(srv.service, on_status, &srv);
        cb_service_set_health(srv.service, on_health, &srv);
        cb_service_set_reload(srv.service, on_reload, &srv);
        cb_service_set_idle(srv.service, on_idle, &srv,
                            config->idle_exit_seconds * CB_USEC_PER_SEC);
        r = cb_service_run(srv.service);
    }

    /* Workers finish what they run; their answers have nowhere to go once we stop. */
    while (srv.conns) {
        conn_close(srv.conns);
    }
    /* The sessions' work queues belong to the pool: its threads end first, then the
     * sessions go, then the pool. */
    cb_pool_stop(srv.pool);
    cb_registry_free(srv.registry);
    cb_pool_free(srv.pool);
    cb_meter_free(srv.meter);
    cb_service_free(srv.service);
    for (size_t i = 0; i < srv.n_retired; i++) {
        cb_config_free(srv.retired[i]);
    }
    free(srv.retired);
    cb_config_free(srv.config);
    return r < 0 ? EXIT_FAILURE : r;
}

/* ---- Channels: clients' connections handed over by the router (DESIGN.md "Channels") ---- */

/* Counts a call, and the security event its refusal is, as the router would have. */
static void channel_meter(struct conn *c, const struct cb_meter_call *m)
{
    const char *severity = NULL;
    const char *type = m->rejected && m->code >= 0 ? cb_meter_event_type(m->code, &severity) : NULL;
    char mf[96];

    cb_meter_record(c->srv->meter, m);
    if (!type) {
        return;
    }
    snprintf(mf, sizeof mf, "%s.%s", m->module ? m->module : "?", m->function ? m->function : "?");
    cb_meter_event(c->srv->meter, &(struct cb_meter_event){ .type = type,
                                                            .severity = severity,
                                                            .module_function = mf,
                                                            .reason = m->error,
                                                            .uid = c->uid,
                                                            .pid = c->pid });
}

/* Answers a channel's request that never reached a handler, counted as the router would. */
static void channel_refuse(struct conn *c,
                           const json_t *id,
                           const struct cb_module *m,
                           const struct cb_function *f,
                           uint64_t start_usec,
                           struct cb_error *err)
{
    json_t *resp = cb_response_error(id, err);

    /* The catalogue's names only: they outlive the request, which the meter does too. */
    channel_meter(c, &(struct cb_meter_call){ .module = m && f ? m->name : NULL,
                                              .function = m && f ? f->name : NULL,
                                              .code = err->code,
                                              .rejected = true,
                                              .usec = cb_now_monotonic_usec() - start_usec,
                                              .error = err->message });
    conn_send(c, resp);
    json_decref(resp);
    cb_error_clear(err);
}

static bool module_allowed(const struct conn *c, const char *module)
{
    size_t i;
    json_t *v;

    json_array_foreach(c->modules, i, v)
    {
        if (json_is_string(v) && strcmp(json_string_value(v), module) == 0) {
            return true;
        }
    }
    return false;
}

/* What the router checks before it forwards: the rest is cb_family_dispatch's. */
static int channel_check(struct conn *c,
                         const struct cb_request *req,
                         const struct cb_module **ret_m,
                         const struct cb_function **ret_f,
                         struct cb_error *err)
{
    const char *family = c->srv->family->name;
    int r;

    if (req->session && strcmp(req->session, c->own_session) != 0) {
        return cb_error_set(
                err, CB_E_INVALID_PARAM,
                "this channel holds session %s; send another session's calls on its own channel or through the router",
                c->own_session);
    }
    r = cb_catalogue_resolve(req->module, req->function, ret_m, ret_f, err);
    if (r < 0) {
        return r;
    }
    if ((*ret_f)->answered_by) {
        return cb_error_set(err, CB_E_INVALID_PARAM,
                            "%s.%s is answered by the router: send it on a router connection",
                            (*ret_m)->name, (*ret_f)->name);
    }
    if (strcmp((*ret_m)->family, family) != 0) {
        return cb_error_set(err, CB_E_INVALID_PARAM,
                            "module '%s' belongs to family %s; this channel serves family %s",
                            (*ret_m)->name, (*ret_m)->family, family);
    }
    if (!module_allowed(c, (*ret_m)->name)) {
        return cb_error_set(err, CB_E_DENIED,
                            "uid %u may not use module '%s' (see [modules] in cpan-bridge.conf)",
                            (unsigned)c->uid, (*ret_m)->name);
    }
    return 0;
}

static void channel_request_id(struct conn *c, struct job *j)
{
    if (j->req.request_id) {
        snprintf(j->request_id, sizeof j->request_id, "%s", j->req.request_id);
    } else {
        snprintf(j->request_id, sizeof j->request_id, "%s-%d-%llx", c->srv->family->name,
                 (int)getpid(), (unsigned long long)++c->srv->channel_requests);
    }
    j->req.request_id = j->request_id;
}

/* Reading stops while the caller leaves this much unread: a pipeline that never reads. */
static void channel_update_pause(struct conn *c)
{
    const struct cb_config *cfg = c->srv->config;
    bool over = cb_buf_pending(&c->out) >= cfg->max_buffered_per_uid;

    if (over == c->paused || c->closed) {
        return;
    }
    c->paused = over;
    (void)sd_event_source_set_io_events(c->io, (over ? 0 : EPOLLIN) |
                                                       (cb_buf_pending(&c->out) ? EPOLLOUT : 0));
    if (!over) {
        conn_parse(c); /* frames that arrived while paused */
    }
}

static void channel_frame(struct conn *c, const char *payload, size_t len)
{
    struct cb_error err = CB_ERROR_INIT;
    uint64_t start = cb_now_monotonic_usec();
    const struct cb_module *m = NULL;
    const struct cb_function *f = NULL;
    struct job *j = calloc(1, sizeof *j);
    json_t *id = NULL;
    int64_t ms;
    int r;

    if (!j) {
        return;
    }
    r = cb_request_parse(payload, len, CB_ORIGIN_CLIENT, &c->srv->config->limits, &j->req, &id,
                         &err);
    if (r < 0) {
        channel_refuse(c, id, NULL, NULL, start, &err);
        json_decref(id);
        free(j);
        return;
    }
    r = channel_check(c, &j->req, &m, &f, &err);
    if (r >= 0) {
        r = cb_budget_admit_request(&c->srv->budget, c->srv->config, c->uid, &err);
    }
    if (r < 0) {
        channel_refuse(c, j->req.id, m, f, start, &err);
        cb_request_done(&j->req);
        free(j);
        return;
    }
    j->start_usec = start;
    j->call.screen = true;
    ms = j->req.timeout_ms >= 0 ? j->req.timeout_ms : (int64_t)f->default_timeout_ms;
    j->timeout_ms = ms > 0 ? (uint64_t)ms : 0;
    j->env_update = c->env_update;
    c->env_update = NULL;
    channel_request_id(c, j);
    c->srv->budget.inflight++;
    r = submit(c, j);
    if (r < 0) {
        cb_log_error_errno(r, "Failed to queue a request");
    }
    channel_update_pause(c);
}

static int on_job_deadline(sd_event_source *s CB_UNUSED, uint64_t usec CB_UNUSED, void *userdata)
{
    struct job *j = userdata;
    struct cb_error err = CB_ERROR_INIT;
    json_t *resp;

    /* As the router does: the caller hears E_TIMEOUT now; the call may still complete. */
    j->timed_out = true;
    cb_error_set(&err, CB_E_TIMEOUT,
                 "%s.%s ran past its timeout of %llu ms; it may still complete in its instance",
                 j->req.module, j->req.function, (unsigned long long)j->timeout_ms);
    channel_meter(j->conn, &(struct cb_meter_call){
                                   .module = j->call.function ? j->call.module->name : NULL,
                                   .function = j->call.function ? j->call.function->name : NULL,
                                   .code = err.code,
                                   .usec = cb_now_monotonic_usec() - j->start_usec,
                                   .error = err.message });
    resp = cb_response_error(j->req.id, &err);
    conn_send(j->conn, resp);
    json_decref(resp);
    cb_error_clear(&err);
    return 0;
}

static void channel_arm_deadline(struct job *j)
{
    if (j->timeout_ms == 0) {
        return;
    }
    (void)sd_event_add_time(cb_service_event(j->conn->srv->service), &j->deadline, CLOCK_MONOTONIC,
                            j->start_usec + j->timeout_ms * CB_USEC_PER_MSEC, 0, on_job_deadline,
                            j);
}

static void channel_answered(struct job *j)
{
    struct conn *c = j->conn;
    json_t *ok = json_object_get(j->response, "success");
    struct cb_meter_call m = {
        .module = j->call.function ? j->call.module->name : NULL,
        .function = j->call.function ? j->call.function->name : NULL,
        .code = -1,
        .rejected = j->call.refused,
        .usec = cb_now_monotonic_usec() - j->start_usec,
    };

    c->inflight--;
    c->srv->budget.inflight--;
    if (j->timed_out) {
        channel_update_pause(c);
        return; /* its caller already heard E_TIMEOUT */
    }
    if (!json_is_true(ok)) {
        m.code = cb_error_code_from_string(cb_json_get_string(j->response, "error_code", ""));
        m.code = m.code < 0 ? CB_E_INTERNAL : m.code;
        m.error = cb_json_get_string(j->response, "error", NULL);
    }
    if (j->call.found) {
        char mf[96];

        snprintf(mf, sizeof mf, "%s.%s", m.module ? m.module : "?", m.function ? m.function : "?");
        cb_meter_event(c->srv->meter,
                       &(struct cb_meter_event){
                               .type = cb_inspect_kind_to_string(j->call.finding.finding.kind),
                               .severity = "high",
                               .module_function = mf,
                               .parameter = j->call.finding.parameter,
                               .reason = j->call.finding.finding.reason,
                               .uid = c->uid,
                               .pid = c->pid });
    }
    channel_meter(c, &m);
    conn_send(c, j->response);
    channel_update_pause(c);
}

/* The router ends a session it no longer holds; a channel may hold it still. */
static bool session_held_by_channel(struct conn *c, struct job *j)
{
    struct cb_session *s = cb_registry_session(c->srv->registry, j->req.session, false);
    json_t *resp;

    if (!s || s->channels == 0) {
        return false;
    }
    s->router_held = false;
    resp = cb_response_success(j->req.id, json_pack("{s:b, s:i, s:b}", "ended", 0, "handles_closed",
                                                    0, "held_by_channel", 1));
    conn_send(c, resp);
    json_decref(resp);
    cb_request_done(&j->req);
    free(j);
    return true;
}

/* A channel closed: its session ends with it unless the router still holds it too. */
static void channel_release_session(struct conn *c)
{
    struct server *srv = c->srv;
    struct cb_session *s = cb_registry_session(srv->registry, c->own_session, false);
    struct job *j;

    if (!s || s->channels == 0 || --s->channels > 0 || s->router_held) {
        return;
    }
    j = calloc(1, sizeof *j);
    if (!j) {
        return;
    }
    j->end_session = true;
    if (submit(c, j) < 0) {
        cb_log_error("Out of memory ending session %s", c->own_session);
    }
}

static int adopted_peer(int fd, struct ucred *cred)
{
    socklen_t len = sizeof *cred;

    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, cred, &len) < 0) {
        return -errno;
    }
    /* An instance serves its own uid only, whatever the router says. */
    return cred->uid == getuid() ? 0 : -EPERM;
}

static struct conn *channel_new(struct server *srv, int fd, const struct ucred *cred, json_t *o)
{
    struct conn *c = calloc(1, sizeof *c);

    if (!c) {
        return NULL;
    }
    *c = (struct conn){ .srv = srv,
                        .fd = fd,
                        .refs = 1,
                        .channel = true,
                        .uid = cred->uid,
                        .gid = cred->gid,
                        .pid = cred->pid };
    snprintf(c->own_session, sizeof c->own_session, "%s", cb_json_get_string(o, "session", ""));
    c->modules = json_incref(json_object_get(o, "_modules"));
    if (json_is_object(json_object_get(o, "env"))) {
        c->env_update = json_incref(json_object_get(o, "env"));
    }
    if (!json_is_array(c->modules) ||
        sd_event_add_io(cb_service_event(srv->service), &c->io, fd, EPOLLIN, on_conn_io, c) < 0) {
        json_decref(c->modules);
        json_decref(c->env_update);
        free(c);
        return NULL;
    }
    c->next = srv->conns;
    if (srv->conns) {
        srv->conns->prev = c;
    }
    srv->conns = c;
    srv->n_channels++;
    srv->budget.connections++;
    return c;
}

static void answer_router(struct conn *c, struct job *j, struct cb_error *err)
{
    json_t *resp = err ? cb_response_error(j->req.id, err)
                       : cb_response_success(j->req.id, json_pack("{s:b}", "adopted", 1));

    conn_send(c, resp);
    json_decref(resp);
}

static void adopt(struct conn *c, struct job *j)
{
    struct server *srv = c->srv;
    struct cb_error err = CB_ERROR_INIT;
    struct ucred cred = { 0 };
    struct cb_session *s;
    struct conn *ch = NULL;
    json_t *resp;
    int fd = -1, r;

    if (c->n_fds > 0) {
        fd = c->fds[0];
        memmove(c->fds, c->fds + 1, --c->n_fds * sizeof *c->fds);
    }
    r = fd < 0 ? -EBADF : adopted_peer(fd, &cred);
    if (r >= 0 && !j->req.session) {
        r = -EINVAL;
    }
    if (r >= 0) {
        ch = channel_new(srv, fd, &cred, j->req.root);
    }
    if (!ch) {
        cb_error_set(&err, CB_E_INTERNAL, "cannot take the connection over: %s",
                     r < 0 ? strerror(-r) : "out of memory");
        cb_log_warning("Refused a connection the router handed over: %s", err.message);
        answer_router(c, j, &err);
        cb_error_clear(&err);
        if (fd >= 0) {
            close(fd);
        }
        cb_request_done(&j->req);
        free(j);
        return;
    }
    if (srv->budget.connections > srv->config->max_connections_per_uid) {
        /* Over max_connections_per_uid: the client hears why, as it would from the router,
         * and this channel closes once that is written. */
        srv->budget.connections--;
        (void)cb_budget_admit_connection(&srv->budget, srv->config, ch->uid, &err);
        srv->budget.connections++;
        resp = cb_response_error(json_object_get(j->req.root, "_client_id"), &err);
        ch->close_after_flush = true;
        ch->own_session[0] = '\0';
        conn_send(ch, resp);
        json_decref(resp);
        cb_error_clear(&err);
        answer_router(c, j, NULL);
        cb_request_done(&j->req);
        free(j);
        return;
    }
    s = cb_registry_session(srv->registry, ch->own_session, true);
    if (s) {
        s->channels++;
        if (s->detached) {
            cb_registry_attach(srv->registry, s);
        }
    }
    resp = cb_response_success(json_object_get(j->req.root, "_client_id"),
                               json_pack("{s:s, s:O, s:i, s:s}", "family", srv->family->name,
                                         "modules", ch->modules, "pid", (int)getpid(), "session",
                                         ch->own_session));
    conn_send(ch, resp);
    json_decref(resp);
    answer_router(c, j, NULL);
    cb_request_done(&j->req);
    free(j);
}
