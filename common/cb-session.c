/* SPDX-License-Identifier: MIT */
/* The instance's registry of sessions and handles, shared by the loop and the workers. */
#include "common/cb-session.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "common/cb-hashmap.h"
#include "common/cb-time.h"
#include "common/cb-workers.h"

#define MAX_CURRENT  16
#define ENDED_MEMORY 256

struct current_entry {
    const char *kind;
    char *id;
};

struct session_entry {
    struct cb_session pub;
    struct current_entry current[MAX_CURRENT];
};

struct ended_entry {
    char *id;
    char *reason;
};

struct cb_registry {
    pthread_mutex_t lock;
    struct cb_session_ops ops;
    struct cb_hashmap *sessions;
    struct cb_hashmap *handles;
    struct ended_entry ended[ENDED_MEMORY];
    size_t ended_next;
    char boot[9];
    uid_t uid; /* whose instance this is */
    uint64_t next_handle;
    unsigned handle_limit;
};

struct cb_registry *cb_registry_new(const struct cb_session_ops *ops)
{
    struct cb_registry *r = calloc(1, sizeof *r);
    uint32_t boot = 0;

    if (!r) {
        return NULL;
    }
    pthread_mutex_init(&r->lock, NULL);
    if (ops) {
        r->ops = *ops;
    }
    r->sessions = cb_hashmap_new();
    r->handles = cb_hashmap_new();
    r->handle_limit = 1024;
    r->uid = getuid();
    /* A per-run tag in every id lets a later run say "the instance restarted". */
    if (getrandom(&boot, sizeof boot, 0) != sizeof boot) {
        boot = (uint32_t)cb_now_realtime_usec();
    }
    snprintf(r->boot, sizeof r->boot, "%08" PRIx32, boot);
    return r;
}

static void handle_unref_locked(struct cb_handle *h)
{
    if (--h->refs > 0) {
        return;
    }
    if (h->free_object) {
        h->free_object(h->object);
    }
    pthread_mutex_destroy(&h->lock);
    free(h->id);
    free(h);
}

static void remember_ended_locked(struct cb_registry *r, const char *id, const char *reason)
{
    struct ended_entry *e = &r->ended[r->ended_next++ % ENDED_MEMORY];

    free(e->id);
    free(e->reason);
    e->id = strdup(id);
    e->reason = strdup(reason);
}

static void clear_current_locked(struct cb_registry *r, const char *id)
{
    size_t state = 0;
    const char *key;
    void *value;

    while (cb_hashmap_iterate(r->sessions, &state, &key, &value)) {
        struct session_entry *s = value;

        for (size_t i = 0; i < MAX_CURRENT; i++) {
            if (s->current[i].id && strcmp(s->current[i].id, id) == 0) {
                free(s->current[i].id);
                s->current[i] = (struct current_entry){ 0 };
            }
        }
    }
}

/* Takes the handle out of the maps; the caller drops the registry's reference. */
static void unlink_handle_locked(struct cb_registry *r, struct cb_handle *h, const char *reason)
{
    h->ended = true;
    (void)cb_hashmap_remove(r->handles, h->id);
    remember_ended_locked(r, h->id, reason);
    clear_current_locked(r, h->id);
}

static void session_free(struct cb_registry *r, struct session_entry *s)
{
    for (size_t i = 0; i < MAX_CURRENT; i++) {
        free(s->current[i].id);
    }
    if (r->ops.data_free && s->pub.family_data) {
        r->ops.data_free(s->pub.family_data);
    }
    json_decref(s->pub.env);
    cb_work_queue_unref(s->pub.queue);
    free(s);
}

struct cb_registry *cb_registry_free(struct cb_registry *r)
{
    size_t state = 0;
    const char *key;
    void *value;

    if (!r) {
        return NULL;
    }
    while (cb_hashmap_iterate(r->handles, &state, &key, &value)) {
        struct cb_handle *h = value;

        h->refs = 1;
        handle_unref_locked(h);
    }
    state = 0;
    while (cb_hashmap_iterate(r->sessions, &state, &key, &value)) {
        session_free(r, value);
    }
    cb_hashmap_free(r->handles);
    cb_hashmap_free(r->sessions);
    for (size_t i = 0; i < ENDED_MEMORY; i++) {
        free(r->ended[i].id);
        free(r->ended[i].reason);
    }
    pthread_mutex_destroy(&r->lock);
    free(r);
    return NULL;
}

struct cb_session *cb_registry_session(struct cb_registry *r, const char *token, bool create)
{
    struct session_entry *s;

    pthread_mutex_lock(&r->lock);
    s = cb_hashmap_get(r->sessions, token);
    if (!s && create) {
        s = calloc(1, sizeof *s);
        if (s) {
            snprintf(s->pub.token, sizeof s->pub.token, "%s", token);
            s->pub.family_data = r->ops.data_new ? r->ops.data_new() : NULL;
            if (cb_hashmap_put(r->sessions, s->pub.token, s) < 0) {
                session_free(r, s);
                s = NULL;
            }
        }
    }
    if (s) {
        s->pub.last_activity_usec = cb_now_monotonic_usec();
    }
    pthread_mutex_unlock(&r->lock);
    return s ? &s->pub : NULL;
}

static size_t collect_owned_locked(struct cb_registry *r,
                                   const char *token,
                                   struct cb_handle ***ret)
{
    struct cb_handle **list = calloc(cb_hashmap_size(r->handles) + 1, sizeof *list);
    size_t n = 0, state = 0;
    const char *key;
    void *value;

    while (list && cb_hashmap_iterate(r->handles, &state, &key, &value)) {
        struct cb_handle *h = value;

        if (strcmp(h->owner, token) == 0) {
            list[n++] = h;
        }
    }
    *ret = list;
    return n;
}

unsigned cb_registry_clear_session(struct cb_registry *r,
                                   struct cb_session *pub,
                                   const char *reason)
{
    struct session_entry *s = (struct session_entry *)pub;
    struct cb_handle **owned = NULL;
    void *old_data;
    size_t n;

    pthread_mutex_lock(&r->lock);
    n = collect_owned_locked(r, s->pub.token, &owned);
    for (size_t i = 0; i < n; i++) {
        unlink_handle_locked(r, owned[i], reason);
        handle_unref_locked(owned[i]);
    }
    for (size_t i = 0; i < MAX_CURRENT; i++) {
        free(s->current[i].id);
        s->current[i] = (struct current_entry){ 0 };
    }
    pthread_mutex_unlock(&r->lock);
    free(owned);

    /* Only this session's own serial queue touches its family state and env. */
    old_data = s->pub.family_data;
    s->pub.family_data = r->ops.data_new ? r->ops.data_new() : NULL;
    if (r->ops.data_free && old_data) {
        r->ops.data_free(old_data);
    }
    json_decref(s->pub.env);
    s->pub.env = NULL;
    return (unsigned)n;
}

void cb_registry_forget_session(struct cb_registry *r, struct cb_session *pub)
{
    struct session_entry *s = (struct session_entry *)pub;

    pthread_mutex_lock(&r->lock);
    (void)cb_hashmap_remove(r->sessions, s->pub.token);
    pthread_mutex_unlock(&r->lock);
    session_free(r, s);
}

unsigned cb_registry_end_session(struct cb_registry *r, const char *token, const char *reason)
{
    struct cb_session *s;
    unsigned n;

    pthread_mutex_lock(&r->lock);
    s = cb_hashmap_get(r->sessions, token);
    pthread_mutex_unlock(&r->lock);
    if (!s) {
        return 0;
    }
    n = cb_registry_clear_session(r, s, reason);
    cb_registry_forget_session(r, s);
    return n;
}

unsigned cb_registry_n_sessions(struct cb_registry *r)
{
    unsigned n;

    pthread_mutex_lock(&r->lock);
    n = (unsigned)cb_hashmap_size(r->sessions);
    pthread_mutex_unlock(&r->lock);
    return n;
}

unsigned cb_registry_n_handles(struct cb_registry *r)
{
    unsigned n;

    pthread_mutex_lock(&r->lock);
    n = (unsigned)cb_hashmap_size(r->handles);
    pthread_mutex_unlock(&r->lock);
    return n;
}

bool cb_registry_empty(struct cb_registry *r)
{
    return cb_registry_n_sessions(r) == 0 && cb_registry_n_handles(r) == 0;
}

void cb_registry_detach_all(struct cb_registry *r, uint64_t now)
{
    size_t state = 0;
    const char *key;
    void *value;

    pthread_mutex_lock(&r->lock);
    while (cb_hashmap_iterate(r->sessions, &state, &key, &value)) {
        struct session_entry *s = value;

        /* A session held by a channel still has its client: it does not wait for anyone. */
        if (!s->pub.detached && s->pub.channels == 0) {
            s->pub.detached = true;
            s->pub.detached_usec = now;
        }
    }
    pthread_mutex_unlock(&r->lock);
}

void cb_registry_attach(struct cb_registry *r, struct cb_session *s)
{
    pthread_mutex_lock(&r->lock);
    s->detached = false;
    pthread_mutex_unlock(&r->lock);
}

unsigned cb_registry_expire(struct cb_registry *r, uint64_t now, uint64_t grace_usec)
{
    char **expired;
    size_t n = 0, state = 0;
    const char *key;
    void *value;

    pthread_mutex_lock(&r->lock);
    expired = calloc(cb_hashmap_size(r->sessions) + 1, sizeof *expired);
    while (expired && cb_hashmap_iterate(r->sessions, &state, &key, &value)) {
        struct session_entry *s = value;

        if (s->pub.detached && s->pub.inflight == 0 && now - s->pub.detached_usec >= grace_usec) {
            expired[n++] = strdup(s->pub.token);
        }
    }
    pthread_mutex_unlock(&r->lock);

    for (size_t i = 0; i < n; i++) {
        (void)cb_registry_end_session(
                r, expired[i],
                "its session was not resumed within the grace time after the router restarted");
        free(expired[i]);
    }
    free(expired);
    return (unsigned)n;
}

static void set_current_locked(struct session_entry *s, const char *kind, const char *id)
{
    struct current_entry *free_slot = NULL;

    for (size_t i = 0; i < MAX_CURRENT; i++) {
        struct current_entry *c = &s->current[i];

        if (c->kind && strcmp(c->kind, kind) == 0) {
            free(c->id);
            c->id = strdup(id);
            return;
        }
        if (!c->kind && !free_slot) {
            free_slot = c;
        }
    }
    if (free_slot) {
        *free_slot = (struct current_entry){ .kind = kind, .id = strdup(id) };
    }
}

void cb_registry_set_handle_limit(struct cb_registry *r, unsigned limit)
{
    pthread_mutex_lock(&r->lock);
    r->handle_limit = limit;
    pthread_mutex_unlock(&r->lock);
}

int cb_handle_create(struct cb_registry *r,
                     struct cb_session *s,
                     const char *kind,
                     const char *prefix,
                     void *object,
                     cb_handle_free_fn free_object,
                     const char **ret_id,
                     struct cb_error *reterr)
{
    struct cb_handle *h;
    int k;

    h = calloc(1, sizeof *h);
    if (!h) {
        return cb_error_set(reterr, CB_E_INTERNAL, "out of memory making a %s handle", kind);
    }
    pthread_mutex_init(&h->lock, NULL);
    h->kind = kind;
    h->object = object;
    h->free_object = free_object;
    h->refs = 1;
    snprintf(h->owner, sizeof h->owner, "%s", s->token);

    pthread_mutex_lock(&r->lock);
    if (cb_hashmap_size(r->handles) >= r->handle_limit) {
        unsigned limit = r->handle_limit;

        pthread_mutex_unlock(&r->lock);
        h->free_object = NULL;
        handle_unref_locked(h);
        k = cb_error_set(
                reterr, CB_E_THROTTLED,
                "this uid already holds %u live handles (max_handles_per_uid); end some first",
                limit);
        if (reterr) {
            reterr->retry_after_ms = 1000;
        }
        return k;
    }
    /* <prefix>-<uid>-<run tag>-<n>: whose it is and which run made it, for clear refusals. */
    k = asprintf(&h->id, "%s-%u-%s-%" PRIx64, prefix, (unsigned)r->uid, r->boot, ++r->next_handle);
    if (k < 0 || cb_hashmap_put(r->handles, h->id, h) < 0) {
        pthread_mutex_unlock(&r->lock);
        h->free_object = NULL;
        handle_unref_locked(h);
        return cb_error_set(reterr, CB_E_INTERNAL, "out of memory making a %s handle", kind);
    }
    h->last_used_usec = cb_now_monotonic_usec();
    set_current_locked((struct session_entry *)s, kind, h->id);
    pthread_mutex_unlock(&r->lock);

    *ret_id = h->id;
    return 0;
}

static const char *current_id_locked(struct session_entry *s, const char *kind)
{
    for (size_t i = 0; i < MAX_CURRENT; i++) {
        if (s->current[i].kind && strcmp(s->current[i].kind, kind) == 0) {
            return s->current[i].id;
        }
    }
    return NULL;
}

int cb_handle_id_parse(const char *id, uid_t *ret_uid, char ret_boot[9])
{
    const char *n, *boot, *uid;
    char *end;
    unsigned long v;

    /* From the end, since prefixes have dashes of their own ("test-h", "db-c"). */
    n = strrchr(id, '-');
    if (!n || n - id < 12) {
        return -EINVAL;
    }
    boot = n - 8;
    if (boot[-1] != '-' || strspn(boot, "0123456789abcdef") != 8) {
        return -EINVAL;
    }
    uid = boot - 2;
    while (uid > id && uid[-1] != '-') {
        uid--;
    }
    if (uid == id || !(*uid >= '0' && *uid <= '9')) {
        return -EINVAL;
    }
    v = strtoul(uid, &end, 10);
    if (end != boot - 1) {
        return -EINVAL;
    }
    *ret_uid = (uid_t)v;
    memcpy(ret_boot, boot, 8);
    ret_boot[8] = '\0';
    return 0;
}

static int explain_missing_locked(struct cb_registry *r,
                                  const char *kind,
                                  const char *id,
                                  struct cb_error *reterr)
{
    char boot[9];
    uid_t owner;

    for (size_t i = 0; i < ENDED_MEMORY; i++) {
        if (r->ended[i].id && strcmp(r->ended[i].id, id) == 0) {
            return cb_error_set(reterr, CB_E_HANDLE, "%s '%s' has ended: %s", kind, id,
                                r->ended[i].reason);
        }
    }
    if (cb_handle_id_parse(id, &owner, boot) >= 0) {
        if (owner != r->uid) {
            return cb_error_set(reterr, CB_E_HANDLE, "%s '%s' belongs to another user", kind, id);
        }
        if (strcmp(boot, r->boot) != 0) {
            return cb_error_set(reterr, CB_E_HANDLE,
                                "%s '%s' was lost: the instance that held it restarted", kind, id);
        }
    }
    return cb_error_set(reterr, CB_E_HANDLE, "unknown %s '%s'", kind, id);
}

int cb_handle_acquire(struct cb_registry *r,
                      struct cb_session *s,
                      const char *kind,
                      const char *id,
                      struct cb_handle **ret,
                      struct cb_error *reterr)
{
    struct cb_handle *h;
    int k;

    pthread_mutex_lock(&r->lock);
    if (!id) {
        id = current_id_locked((struct session_entry *)s, kind);
        if (!id) {
            pthread_mutex_unlock(&r->lock);
            return cb_error_set(reterr, CB_E_HANDLE, "no current %s in this session", kind);
        }
    }
    h = cb_hashmap_get(r->handles, id);
    if (!h) {
        k = explain_missing_locked(r, kind, id, reterr);
        pthread_mutex_unlock(&r->lock);
        return k;
    }
    if (strcmp(h->kind, kind) != 0) {
        pthread_mutex_unlock(&r->lock);
        return cb_error_set(reterr, CB_E_HANDLE, "'%s' is a %s, not a %s", id, h->kind, kind);
    }
    h->refs++;
    pthread_mutex_unlock(&r->lock);

    pthread_mutex_lock(&h->lock);
    if (h->ended) {
        cb_handle_release(r, h);
        return cb_error_set(reterr, CB_E_HANDLE, "%s '%s' ended while this call waited for it",
                            kind, id);
    }
    h->last_used_usec = cb_now_monotonic_usec();
    *ret = h;
    return 0;
}

void cb_handle_release(struct cb_registry *r, struct cb_handle *h)
{
    pthread_mutex_unlock(&h->lock);

    /* The registry's own reference keeps a live handle; an ended one goes with the last user. */
    pthread_mutex_lock(&r->lock);
    handle_unref_locked(h);
    pthread_mutex_unlock(&r->lock);
}

void cb_handle_make_current(struct cb_registry *r, struct cb_session *s, struct cb_handle *h)
{
    /* The handle's lock is held by the acquirer; r->lock after it is the order cb_handle_end uses. */
    pthread_mutex_lock(&r->lock);
    if (!h->ended) {
        set_current_locked((struct session_entry *)s, h->kind, h->id);
    }
    pthread_mutex_unlock(&r->lock);
}

void cb_handle_end(struct cb_registry *r, struct cb_handle *h, const char *reason)
{
    pthread_mutex_lock(&r->lock);
    if (!h->ended) {
        unlink_handle_locked(r, h, reason);
        h->refs--; /* the registry's reference */
    }
    pthread_mutex_unlock(&h->lock);
    handle_unref_locked(h); /* the acquirer's reference */
    pthread_mutex_unlock(&r->lock);
}

bool cb_handle_exists(struct cb_registry *r, const char *id)
{
    bool found;

    pthread_mutex_lock(&r->lock);
    found = cb_hashmap_get(r->handles, id) != NULL;
    pthread_mutex_unlock(&r->lock);
    return found;
}
