/* SPDX-License-Identifier: MIT */
/*
 * Router-side sessions: which client connections use a token, and which families it touched,
 * so that the instances hear when the session ends (its last connection closed).
 */
#include "services/router/router-internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cb-time.h"

struct router_session *router_session_get(struct router *r, uid_t uid, const char *token)
{
    struct router_session *s;
    char key[48];

    /* Tokens are scoped by uid: another user's token names another session. */
    snprintf(key, sizeof key, "%u:%s", (unsigned)uid, token);
    s = cb_hashmap_get(r->sessions, key);
    if (s) {
        return s;
    }

    s = calloc(1, sizeof *s);
    if (!s) {
        return NULL;
    }
    snprintf(s->key, sizeof s->key, "%s", key);
    snprintf(s->token, sizeof s->token, "%s", token);
    s->uid = uid;
    if (cb_hashmap_put(r->sessions, s->key, s) < 0) {
        free(s);
        return NULL;
    }
    return s;
}

int router_session_attach(struct client *c, struct router_session *s)
{
    struct router_session **grown;

    for (size_t i = 0; i < c->n_sessions; i++) {
        if (c->sessions[i] == s) {
            return 0;
        }
    }
    grown = realloc(c->sessions, (c->n_sessions + 1) * sizeof *grown);
    if (!grown) {
        return -ENOMEM;
    }
    c->sessions = grown;
    c->sessions[c->n_sessions++] = s;
    s->conn_refs++;
    return 0;
}

static void session_end(struct router *r, struct router_session *s)
{
    size_t n_families;
    const struct cb_family_info *families = cb_catalogue_families(&n_families);

    /* A stopping router is about to restart; instances keep sessions for the grace time. */
    for (size_t i = 0; !r->stopping && i < n_families; i++) {
        char key[48];
        struct upstream *u;

        if (!(s->families_used & (1ULL << i))) {
            continue;
        }
        snprintf(key, sizeof key, "%s:%u", families[i].name, (unsigned)s->uid);
        u = cb_hashmap_get(r->upstreams, key);
        if (u) {
            router_upstream_send_session_end(u, s->token);
        }
    }
    (void)cb_hashmap_remove(r->sessions, s->key);
    json_decref(s->env);
    free(s);
}

void router_session_detach_all(struct client *c)
{
    for (size_t i = 0; i < c->n_sessions; i++) {
        struct router_session *s = c->sessions[i];

        if (--s->conn_refs == 0) {
            session_end(c->router, s);
        }
    }
    free(c->sessions);
    c->sessions = NULL;
    c->n_sessions = 0;
}

void router_sessions_free(struct router *r)
{
    size_t state = 0;
    const char *key;
    void *value;

    while (cb_hashmap_iterate(r->sessions, &state, &key, &value)) {
        struct router_session *s = value;

        json_decref(s->env);
        free(s);
    }
    cb_hashmap_free(r->sessions);
    r->sessions = NULL;
}
