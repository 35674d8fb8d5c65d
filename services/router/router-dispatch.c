/* SPDX-License-Identifier: MIT */
/*
 * One client request: authorize, validate against the catalogue, then answer it here
 * (system.*) or forward it to the caller's instance of the family that owns the module.
 */
#include "services/router/router-internal.h"

#include <stdio.h>
#include <string.h>

#include "common/cb-json.h"
#include "common/cb-log.h"
#include "common/cb-screen.h"
#include "common/cb-session.h"
#include "common/cb-time.h"

static void log_refusal(struct client *c,
                        const struct cb_error *err,
                        const char *module,
                        const char *function,
                        const char *mf)
{
    const char *severity = NULL;
    const char *type = router_stats_event_type(err->code, &severity);
    struct router *r = c->router;

    /* Every refusal is counted here; the journal gets a bounded share of them. */
    if (type) {
        router_stats_event(&r->stats, type, severity, mf, NULL, err->message ? err->message : "",
                           c->uid, c->pid);
    }
    cb_log_refusal(&r->refusal_log_limit,
                   &(struct cb_refusal_log){ .module = module,
                                             .function = function,
                                             .what = mf,
                                             .uid = c->uid,
                                             .pid = c->pid,
                                             .code = err->code,
                                             .error = err->message,
                                             .security = type || err->code == CB_E_SECURITY });
}

void router_log_answer(struct client *c,
                       const char *module,
                       const char *function,
                       const char *request_id,
                       const char *session,
                       uint64_t start_usec,
                       const char *error_code)
{
    struct cb_request_log l = {
        .module = module,
        .function = function,
        .request_id = request_id,
        .session = session,
        .uid = c->uid,
        .pid = c->pid,
        .duration_usec = cb_now_monotonic_usec() - start_usec,
        .error_code = error_code,
    };

    cb_log_request(&l, c->router->config->request_log_sample, &c->router->logged_requests);
}

void router_count(struct router *r, struct metrics_answer *a, bool rejected, uint64_t start_usec)
{
    uint64_t now = cb_now_monotonic_usec();

    a->usec = now - start_usec;
    router_stats_answered(&r->stats, a->code, rejected, a->usec);
    router_metrics_record(&r->metrics, a, now);
}

void router_new_request_id(struct router *r, char *buf, size_t size)
{
    static const char digits[] = "0123456789abcdef";
    uint64_t n = ++r->next_request;
    char hex[17];
    size_t k = 0;

    /* "<boot tag>-<counter>", built without printf: one is made for every request. */
    do {
        hex[k++] = digits[n & 15];
        n >>= 4;
    } while (n);
    if (size < sizeof r->boot_tag + k + 1) {
        buf[0] = '\0';
        return;
    }
    memcpy(buf, r->boot_tag, sizeof r->boot_tag - 1);
    buf[sizeof r->boot_tag - 1] = '-';
    for (size_t i = 0; i < k; i++) {
        buf[sizeof r->boot_tag + i] = hex[k - 1 - i];
    }
    buf[sizeof r->boot_tag + k] = '\0';
}

void router_answer_error(struct client *c,
                         const json_t *id,
                         const char *module,
                         const char *function,
                         uint64_t start_usec,
                         struct cb_error *err)
{
    char mf[96];
    json_t *response;

    if (module && function) {
        snprintf(mf, sizeof mf, "%s.%s", module, function);
    } else {
        snprintf(mf, sizeof mf, "a request");
    }
    log_refusal(c, err, module, function, mf);
    router_count(c->router,
                 &(struct metrics_answer){ .module = module,
                                           .function = function,
                                           .code = err->code,
                                           .error = err->message },
                 true, start_usec);
    router_log_answer(c, module, function, NULL, NULL, start_usec,
                      cb_error_code_to_string(err->code));

    response = cb_response_error(id, err);
    router_client_send(c, response);
    json_decref(response);
    cb_error_clear(err);
}

static void answer_system(struct client *c,
                          const struct cb_request *req,
                          const struct cb_module *m,
                          const struct cb_function *f,
                          json_t *params,
                          uint64_t start_usec)
{
    struct cb_error err = CB_ERROR_INIT;
    json_t *result = NULL, *response;
    int r;

    r = router_system_answer(c, req, m, f, params, &result, &err);
    if (r < 0) {
        router_answer_error(c, req->id, m->name, f->name, start_usec, &err);
        return;
    }
    router_count(c->router,
                 &(struct metrics_answer){ .module = m->name, .function = f->name, .code = -1 },
                 false, start_usec);
    router_log_answer(c, m->name, f->name, NULL, req->session, start_usec, NULL);
    response = cb_response_success(req->id, result);
    router_client_send(c, response);
    json_decref(response);
}

int router_check_instance_uid(struct router *r,
                              struct client *c,
                              const struct cb_module *m,
                              struct cb_error *err)
{
    /* A compromised router must never become root or a system account (DESIGN.md). */
    if (c->uid < r->config->instance_uid_min || c->uid > r->config->instance_uid_max) {
        return cb_error_set(
                err, CB_E_UNAVAILABLE,
                "uid %u is not served by %s instances (allowed uids %u to %u); root and system accounts use process mode",
                (unsigned)c->uid, m->family, (unsigned)r->config->instance_uid_min,
                (unsigned)r->config->instance_uid_max);
    }
    return 0;
}

static int forward(struct client *c, const struct router_forward *fw, struct cb_error *err)
{
    struct router *r = c->router;
    const struct cb_module *m = fw->module;
    const struct cb_family_info *family;
    size_t n_families, index;
    struct upstream *u;
    int k;

    k = router_check_instance_uid(r, c, m, err);
    if (k < 0) {
        return k;
    }
    family = cb_catalogue_find_family(m->family);
    if (!family) {
        return cb_error_set(err, CB_E_INTERNAL, "module '%s' names an unknown family", m->name);
    }
    index = (size_t)(family - cb_catalogue_families(&n_families));

    u = router_upstream_get(r, family, index, c->uid);
    if (!u) {
        return cb_error_set(err, CB_E_INTERNAL, "out of memory");
    }
    return router_upstream_forward(u, c, fw, err);
}

/* Content inspection of text; a finding is a security event of its own kind (API.md 3.2). */
static int screen(struct client *c,
                  const struct cb_module *m,
                  const struct cb_function *f,
                  json_t *params,
                  struct cb_error *err)
{
    struct cb_screen_finding found;
    char mf[96];
    int k;

    k = cb_screen_params(f, params, &found, err);
    if (k < 0 && err->code == CB_E_SECURITY) {
        snprintf(mf, sizeof mf, "%s.%s", m->name, f->name);
        router_stats_event(&c->router->stats, cb_inspect_kind_to_string(found.finding.kind), "high",
                           mf, found.parameter, found.finding.reason, c->uid, c->pid);
    }
    return k;
}

static struct router_session *session_for(struct client *c, const struct cb_request *req)
{
    struct router_session *s;

    s = router_session_get(c->router, c->uid, req->session ? req->session : c->own_token);
    if (!s || router_session_attach(c, s) < 0) {
        return NULL;
    }
    if (req->session_env) {
        json_decref(s->env);
        s->env = json_incref(req->session_env);
        s->env_generation++;
    }
    s->last_activity_usec = cb_now_monotonic_usec();
    return s;
}

static int route(struct client *c,
                 const struct cb_request *req,
                 const char *payload,
                 size_t len,
                 uint64_t start_usec,
                 const struct cb_module **ret_m,
                 const struct cb_function **ret_f,
                 struct cb_error *err)
{
    const struct cb_module *m;
    const struct cb_function *f;
    struct router_session *s;
    json_t *params = NULL;
    int k;

    if (c->over_limit) {
        cb_error_move(err, &c->over_limit_error);
        c->close_after_flush = true;
        return cb_error_code_to_errno(CB_E_THROTTLED);
    }
    if (!c->allowed) {
        return cb_error_set(
                err, CB_E_DENIED,
                "uid %u is not allowed to use cpan-bridge (see [access] in cpan-bridge.conf)",
                (unsigned)c->uid);
    }
    k = router_limits_admit_request(c->router, c->owner, err);
    if (k < 0) {
        return k;
    }
    k = cb_catalogue_resolve(req->module, req->function, &m, &f, err);
    if (k < 0) {
        return k;
    }
    *ret_m = m;
    *ret_f = f;
    if (!router_access_module_allowed(&c->router->access, m->name, c->uid, c->groups,
                                      c->n_groups)) {
        return cb_error_set(err, CB_E_DENIED,
                            "uid %u may not use module '%s' (see [modules] in cpan-bridge.conf)",
                            (unsigned)c->uid, m->name);
    }
    k = cb_catalogue_check_params(f, req->params, &params, err);
    if (k < 0) {
        return k;
    }
    /* Another uid's handle is refused here and counted as a security event. */
    k = cb_check_handles_owned(f, params, c->uid, err);
    if (k < 0) {
        json_decref(params);
        return k;
    }
    k = screen(c, m, f, params, err);
    if (k < 0) {
        json_decref(params);
        return k;
    }
    if (f->answered_by && strcmp(f->name, "channel") == 0) {
        /* Not a session's call: the connection, and its session, go to the instance. */
        k = router_channel_open(c, req, params, start_usec, err);
        json_decref(params);
        return k;
    }
    s = session_for(c, req);
    if (!s) {
        json_decref(params);
        return cb_error_set(err, CB_E_INTERNAL, "out of memory");
    }

    if (f->answered_by) {
        if (!router_park(c, f, payload, len)) {
            answer_system(c, req, m, f, params, start_usec);
        }
        k = 0;
    } else {
        char rid[40];
        struct router_forward fw = {
            .req = req,
            .module = m,
            .function = f,
            .params = params,
            .session = s,
            .start_usec = start_usec,
            .request_id = rid,
            .req_bytes = req->frame_len,
        };

        router_new_request_id(c->router, rid, sizeof rid);
        k = forward(c, &fw, err);
    }
    json_decref(params);
    return k;
}

void router_dispatch_frame(struct client *c, const char *payload, size_t len)
{
    struct cb_error err = CB_ERROR_INIT;
    const struct cb_module *m = NULL;
    const struct cb_function *f = NULL;
    uint64_t start_usec = cb_now_monotonic_usec();
    struct cb_request req;
    json_t *id = NULL;
    int k;

    k = cb_request_parse(payload, len, CB_ORIGIN_CLIENT, &c->router->config->limits, &req, &id,
                         &err);
    if (k < 0) {
        router_answer_error(c, id, NULL, NULL, start_usec, &err);
        json_decref(id);
        return;
    }

    k = route(c, &req, payload, len, start_usec, &m, &f, &err);
    if (k < 0 && f && f->answered_by && strcmp(f->name, "channel") == 0) {
        /* Not counted: a client whose channel is refused sends the call itself through
         * the router next, and that call is counted, refused or not. */
        json_t *response = cb_response_error(req.id, &err);

        router_client_send(c, response);
        json_decref(response);
        cb_error_clear(&err);
    } else if (k < 0) {
        /* Metrics and events record the primary name once it is known (API.md 1.1). */
        router_answer_error(c, req.id, m ? m->name : req.module, f ? f->name : req.function,
                            start_usec, &err);
    }
    cb_request_done(&req);
}
