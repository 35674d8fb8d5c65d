/* SPDX-License-Identifier: MIT */
/*
 * Channels (DESIGN.md "Channels"): clients' own connections, handed over by the router once
 * it has authorized them. On them the instance does what the router does for a relayed
 * call, and counts the calls for the router's next status poll.
 */
#include "common/cb-family-daemon-internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/cb-frame.h"
#include "common/cb-inspect.h"
#include "common/cb-json.h"
#include "common/cb-log-request.h"
#include "common/cb-log.h"
#include "common/cb-service.h"
#include "common/cb-time.h"

/* Counts a call, and the security event its refusal is, as the router would have. */
/* Counts a call, the security event its refusal is, and logs it, as the router would have. */
static void channel_meter(struct conn *c, const struct cb_meter_call *m, const char *request_id)
{
    const char *severity = NULL;
    const char *type = m->rejected && m->code >= 0 ? cb_meter_event_type(m->code, &severity) : NULL;
    struct cb_request_log l = {
        .module = m->module,
        .function = m->function,
        .request_id = request_id,
        .session = c->own_session,
        .uid = c->uid,
        .pid = c->pid,
        .duration_usec = m->usec,
        .error_code = m->code >= 0 ? cb_error_code_to_string(m->code) : NULL,
    };
    char mf[96];

    cb_meter_record(c->srv->meter, m);
    cb_log_request(&l, c->srv->config->request_log_sample, &c->srv->logged_requests);
    if (!m->rejected || m->code < 0) {
        return;
    }
    snprintf(mf, sizeof mf, "%s.%s", m->module ? m->module : "?", m->function ? m->function : "?");
    cb_log_refusal(&c->srv->refusal_log_limit,
                   &(struct cb_refusal_log){ .module = m->module,
                                             .function = m->function,
                                             .what = mf,
                                             .where = " on a channel",
                                             .uid = c->uid,
                                             .pid = c->pid,
                                             .code = m->code,
                                             .error = m->error,
                                             .security = type || m->code == CB_E_SECURITY });
    if (!type) {
        return;
    }
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
    channel_meter(c,
                  &(struct cb_meter_call){ .module = m && f ? m->name : NULL,
                                           .function = m && f ? f->name : NULL,
                                           .code = err->code,
                                           .rejected = true,
                                           .usec = cb_now_monotonic_usec() - start_usec,
                                           .error = err->message },
                  NULL);
    cb_conn_send(c, resp);
    json_decref(resp);
    cb_error_clear(err);
}

/* A function the router answers (test.stats is system.stats): nothing ran, and `relay` tells
 * the client to send it on its router connection instead. Not counted: the router counts
 * that call. */
static void channel_send_to_router(struct conn *c, const json_t *id, struct cb_error *err)
{
    json_t *resp = cb_response_error(id, err);

    json_object_set_new(resp, "relay", json_true());
    cb_conn_send(c, resp);
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
        cb_conn_parse(c); /* frames that arrived while paused */
    }
}

void cb_channel_frame(struct conn *c, const char *payload, size_t len)
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
    if (r < 0 && f && f->answered_by) {
        channel_send_to_router(c, j->req.id, &err);
    } else if (r < 0) {
        channel_refuse(c, j->req.id, m, f, start, &err);
    }
    if (r < 0) {
        cb_request_done(&j->req);
        free(j);
        return;
    }
    c->last_activity_usec = start;
    j->start_usec = start;
    j->call.screen = true;
    ms = j->req.timeout_ms >= 0 ? j->req.timeout_ms : (int64_t)f->default_timeout_ms;
    j->timeout_ms = ms > 0 ? (uint64_t)ms : 0;
    j->env_update = c->env_update;
    c->env_update = NULL;
    channel_request_id(c, j);
    c->srv->budget.inflight++;
    r = cb_conn_submit(c, j);
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
    channel_meter(j->conn,
                  &(struct cb_meter_call){ .module = j->call.function ? j->call.module->name : NULL,
                                           .function = j->call.function ? j->call.function->name
                                                                        : NULL,
                                           .code = err.code,
                                           .usec = cb_now_monotonic_usec() - j->start_usec,
                                           .error = err.message },
                  j->request_id);
    resp = cb_response_error(j->req.id, &err);
    cb_conn_send(j->conn, resp);
    json_decref(resp);
    cb_error_clear(&err);
    return 0;
}

void cb_channel_arm_deadline(struct job *j)
{
    if (j->timeout_ms == 0) {
        return;
    }
    (void)sd_event_add_time(cb_service_event(j->conn->srv->service), &j->deadline, CLOCK_MONOTONIC,
                            j->start_usec + j->timeout_ms * CB_USEC_PER_MSEC, 0, on_job_deadline,
                            j);
}

void cb_channel_answered(struct job *j)
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
    channel_meter(c, &m, j->request_id);
    cb_conn_send(c, j->response);
    channel_update_pause(c);
}

/* The router ends a session it no longer holds; a channel may hold it still. */
bool cb_channel_session_held(struct conn *c, struct job *j)
{
    struct cb_session *s = cb_registry_session(c->srv->registry, j->req.session, false);
    json_t *resp;

    if (!s || s->channels == 0) {
        return false;
    }
    s->router_held = false;
    resp = cb_response_success(j->req.id, json_pack("{s:b, s:i, s:b}", "ended", 0, "handles_closed",
                                                    0, "held_by_channel", 1));
    cb_conn_send(c, resp);
    json_decref(resp);
    cb_request_done(&j->req);
    free(j);
    return true;
}

/* A channel closed: its session ends with it unless the router still holds it too. */
void cb_channel_release_session(struct conn *c)
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
    if (cb_conn_submit(c, j) < 0) {
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
                        .last_activity_usec = cb_now_monotonic_usec(),
                        .uid = cred->uid,
                        .gid = cred->gid,
                        .pid = cred->pid };
    snprintf(c->own_session, sizeof c->own_session, "%s", cb_json_get_string(o, "session", ""));
    c->modules = json_incref(json_object_get(o, "_modules"));
    if (json_is_object(json_object_get(o, "env"))) {
        c->env_update = json_incref(json_object_get(o, "env"));
    }
    if (!json_is_array(c->modules) || sd_event_add_io(cb_service_event(srv->service), &c->io, fd,
                                                      EPOLLIN, cb_conn_on_io, c) < 0) {
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

    cb_conn_send(c, resp);
    json_decref(resp);
}

void cb_channel_adopt(struct conn *c, struct job *j)
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
        cb_conn_send(ch, resp);
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
    cb_conn_send(ch, resp);
    json_decref(resp);
    answer_router(c, j, NULL);
    cb_request_done(&j->req);
    free(j);
}

static int on_stall(sd_event_source *s CB_UNUSED, uint64_t usec CB_UNUSED, void *userdata)
{
    struct conn *c = userdata;
    struct cb_error err = CB_ERROR_INIT;

    /* As the router does: a frame that never completes cannot be told from the next one. */
    cb_error_set(&err, CB_E_PROTOCOL,
                 "frame stalled: %zu bytes of it arrived, then nothing for %llu ms",
                 cb_buf_pending(&c->in), (unsigned long long)c->srv->config->frame_stall_ms);
    cb_conn_refuse_stream(c, &err);
    return 0;
}

void cb_channel_arm_stall(struct conn *c)
{
    uint64_t usec = c->srv->config->frame_stall_ms * CB_USEC_PER_MSEC;

    /* Paused, it is we who do not read the rest: no fault of the client's. */
    if (c->paused || !cb_frame_partial(&c->in) || usec == 0) {
        if (c->stall_timer) {
            (void)sd_event_source_set_enabled(c->stall_timer, SD_EVENT_OFF);
        }
        return;
    }
    if (!c->stall_timer) {
        (void)sd_event_add_time_relative(cb_service_event(c->srv->service), &c->stall_timer,
                                         CLOCK_MONOTONIC, usec, 0, on_stall, c);
        return;
    }
    (void)sd_event_source_set_time_relative(c->stall_timer, usec);
    (void)sd_event_source_set_enabled(c->stall_timer, SD_EVENT_ONESHOT);
}

/* The router's system.cleanup reaches the channels it no longer holds: those idle past
 * idle_seconds with nothing in flight (of one session, when it names one) are closed, and
 * so their sessions end, as a router connection's would. */
void cb_channel_cleanup(struct conn *router, struct job *j)
{
    struct server *srv = router->srv;
    uint64_t now = cb_now_monotonic_usec();
    uint64_t idle = (uint64_t)cb_json_get_int(j->req.root, "_idle_seconds", 300) * CB_USEC_PER_SEC;
    unsigned closed = 0;
    struct conn *c, *next;
    json_t *resp;

    for (c = srv->conns; c; c = next) {
        next = c->next;
        if (!c->channel || c->inflight > 0 || now - c->last_activity_usec <= idle ||
            (j->req.session && strcmp(j->req.session, c->own_session) != 0)) {
            continue;
        }
        cb_log_info("Closing a channel of session %s, idle for %llu s (system.cleanup)",
                    c->own_session,
                    (unsigned long long)((now - c->last_activity_usec) / CB_USEC_PER_SEC));
        cb_conn_close(c);
        closed++;
    }
    resp = cb_response_success(j->req.id, json_pack("{s:i}", "closed_channels", (int)closed));
    cb_conn_send(router, resp);
    json_decref(resp);
    cb_request_done(&j->req);
    free(j);
}
