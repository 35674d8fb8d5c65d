/* SPDX-License-Identifier: MIT */
/*
 * system.connections and system.cleanup: the router's client connections and sessions.
 * Callers see and clean only their own; administrators may name any uid or session.
 */
#include "services/router/router-internal.h"

#include <stdio.h>
#include <string.h>

#include "common/cb-json.h"
#include "common/cb-time.h"

struct scope {
    bool any_uid;
    uid_t uid;
    const char *session; /* NULL: every session */
};

static bool session_of_other_uid(struct router *r, const char *token, uid_t uid)
{
    size_t state = 0;
    const char *key;
    void *value;

    while (cb_hashmap_iterate(r->sessions, &state, &key, &value)) {
        struct router_session *s = value;

        if (s->uid != uid && strcmp(s->token, token) == 0) {
            return true;
        }
    }
    return false;
}

/* Works out whose entries a caller may see or clean, E_DENIED naming another's. */
static int caller_scope(struct client *c, json_t *params, struct scope *ret, struct cb_error *err)
{
    bool admin = router_access_is_admin(&c->router->access, c->uid);
    json_t *uid = json_object_get(params, "uid");

    *ret = (struct scope){ .uid = c->uid, .session = cb_json_get_string(params, "session", NULL) };
    if (uid) {
        if (!admin && (uid_t)json_integer_value(uid) != c->uid) {
            return cb_error_set(
                    err, CB_E_DENIED,
                    "only administrators may name another uid (see [access] administrators)");
        }
        ret->uid = (uid_t)json_integer_value(uid);
    } else if (admin) {
        ret->any_uid = true;
    }
    if (ret->session && !admin && session_of_other_uid(c->router, ret->session, c->uid)) {
        return cb_error_set(
                err, CB_E_DENIED,
                "parameter 'session' names another user's session; only administrators may");
    }
    return 0;
}

static bool client_in_scope(const struct client *c, const struct scope *s)
{
    if (!s->any_uid && c->uid != s->uid) {
        return false;
    }
    if (!s->session) {
        return true;
    }
    for (size_t i = 0; i < c->n_sessions; i++) {
        if (strcmp(c->sessions[i]->token, s->session) == 0) {
            return true;
        }
    }
    return strcmp(c->own_token, s->session) == 0;
}

static double idle_seconds(const struct client *c, uint64_t now)
{
    return (double)(now - c->last_activity_usec) / 1e6;
}

static json_t *client_json(const struct client *c, uint64_t now, uint64_t stale_usec)
{
    uint64_t real_now = cb_now_realtime_usec();
    char start[CB_ISO_TIME_MAX], last[CB_ISO_TIME_MAX], id[32];
    const char *session = c->n_sessions ? c->sessions[0]->token : NULL;

    snprintf(id, sizeof id, "c-%llu", (unsigned long long)c->id);
    cb_format_iso_time(c->start_realtime_usec, start, sizeof start);
    cb_format_iso_time(real_now - (now - c->last_activity_usec), last, sizeof last);
    return json_pack("{s:s, s:i, s:i, s:s?, s:s, s:f, s:I, s:s, s:f, s:s}", "connection_id", id,
                     "uid", (int)c->uid, "pid", (int)c->pid, "session", session, "start_time",
                     start, "duration_seconds", (double)(now - c->start_usec) / 1e6,
                     "requests_count", (json_int_t)c->requests, "last_activity", last, "idle_time",
                     idle_seconds(c, now), "status",
                     now - c->last_activity_usec > stale_usec ? "stale" : "active");
}

unsigned router_stale_connections(struct router *r)
{
    uint64_t now = cb_now_monotonic_usec(), stale = r->config->stale_seconds * CB_USEC_PER_SEC;
    unsigned n = 0;

    for (struct client *c = r->clients; c; c = c->next) {
        n += now - c->last_activity_usec > stale;
    }
    return n;
}

static json_t *sessions_json(struct router *r, const struct scope *scope, uint64_t now)
{
    uint64_t real_now = cb_now_realtime_usec();
    json_t *list = json_array();
    size_t state = 0;
    const char *key;
    void *value;

    while (cb_hashmap_iterate(r->sessions, &state, &key, &value)) {
        struct router_session *s = value;
        char last[CB_ISO_TIME_MAX];

        if ((!scope->any_uid && s->uid != scope->uid) ||
            (scope->session && strcmp(scope->session, s->token) != 0)) {
            continue;
        }
        cb_format_iso_time(real_now - (now - s->last_activity_usec), last, sizeof last);
        json_array_append_new(list,
                              json_pack("{s:s, s:i, s:s, s:f, s:{}}", "session", s->token, "uid",
                                        (int)s->uid, "last_activity", last, "idle_time",
                                        (double)(now - s->last_activity_usec) / 1e6, "handles"));
    }
    return list;
}

int router_connections_json(struct client *caller,
                            json_t *params,
                            json_t **ret,
                            struct cb_error *err)
{
    struct router *r = caller->router;
    uint64_t now = cb_now_monotonic_usec(), stale = r->config->stale_seconds * CB_USEC_PER_SEC;
    json_t *list = json_array();
    struct scope scope;
    int k;

    k = caller_scope(caller, params, &scope, err);
    if (k < 0) {
        json_decref(list);
        return k;
    }
    /* The list is newest first, as the clients are kept. */
    for (struct client *c = r->clients; c; c = c->next) {
        if (client_in_scope(c, &scope)) {
            json_array_append_new(list, client_json(c, now, stale));
        }
    }
    *ret = json_pack("{s:i, s:i, s:i, s:o, s:o, s:{s:i, s:i, s:f}}", "total_connections",
                     (int)r->stats.connections_total, "active_connections", (int)r->n_clients,
                     "stale_connections", (int)router_stale_connections(r), "connections", list,
                     "sessions", sessions_json(r, &scope, now), "connection_limits",
                     "max_concurrent", (int)r->config->max_inflight_per_uid, "max_per_uid",
                     (int)r->config->max_connections_per_uid, "stale_timeout",
                     (double)r->config->stale_seconds);
    return 0;
}

int router_cleanup(struct client *caller, json_t *params, json_t **ret, struct cb_error *err)
{
    struct router *r = caller->router;
    uint64_t now = cb_now_monotonic_usec();
    uint64_t idle = (uint64_t)cb_json_get_int(params, "idle_seconds", 300) * CB_USEC_PER_SEC;
    json_t *details = json_array();
    unsigned sessions_before = (unsigned)cb_hashmap_size(r->sessions), cleaned = 0, asked;
    struct scope scope;
    struct client *c, *next;
    int k;

    k = caller_scope(caller, params, &scope, err);
    if (k < 0) {
        json_decref(details);
        return k;
    }
    for (c = r->clients; c; c = next) {
        next = c->next;
        /* Never a connection with work in flight, and never the caller's own. */
        if (c == caller || c->inflight > 0 || !client_in_scope(c, &scope) ||
            now - c->last_activity_usec <= idle) {
            continue;
        }
        char id[32];

        snprintf(id, sizeof id, "c-%llu", (unsigned long long)c->id);
        json_array_append_new(details, json_pack("{s:s, s:f}", "connection_id", id, "idle_time",
                                                 idle_seconds(c, now)));
        router_client_close(c);
        cleaned++;
    }
    /* Channels are the instances' to close; they are told, and do it as they read this. */
    asked = router_upstreams_cleanup(r, scope.any_uid, scope.uid, scope.session,
                                     cb_json_get_int(params, "idle_seconds", 300));
    r->resources.last_cleanup_realtime_usec = cb_now_realtime_usec();
    *ret = json_pack("{s:i, s:o, s:i, s:{}, s:i, s:i}", "cleaned_connections", (int)cleaned,
                     "connections_details", details, "cleaned_sessions",
                     (int)(sessions_before - cb_hashmap_size(r->sessions)), "handles_closed",
                     "remaining_connections", (int)r->n_clients, "instances_asked", (int)asked);
    return 0;
}
