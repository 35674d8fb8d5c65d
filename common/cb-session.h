/* SPDX-License-Identifier: MIT */
/*
 * Sessions and handles inside a family instance (DESIGN.md "Sessions and handles"). An
 * instance serves one uid, so every handle it holds belongs to that uid; a handle may be used
 * from any session by its id, and each session has a current handle of each kind.
 */
#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "common/cb-error.h"

struct cb_work_queue;
struct cb_registry;

struct cb_session {
    char token[33];
    struct cb_work_queue *queue; /* NULL in one-shot mode */
    json_t *env;                 /* session_env as the router passed it, or NULL */
    void *family_data;           /* the family's per-session state */
    uint64_t last_activity_usec;
    unsigned inflight;
    bool detached;   /* the router's connection dropped: kept for the grace time */
    unsigned ending; /* session ends queued: its family state is about to be replaced */
    uint64_t detached_usec;
    unsigned channels; /* client connections handed to us that hold it (loop thread only) */
    bool router_held;  /* the router relayed a call of it and has not yet ended it */
};

typedef void (*cb_handle_free_fn)(void *object);

struct cb_handle {
    char *id;
    const char *kind;
    char owner[33]; /* the session that made it */
    void *object;
    cb_handle_free_fn free_object;
    pthread_mutex_t lock; /* work on one handle is serialized, whichever session sends it */
    uint64_t last_used_usec;
    unsigned refs; /* registry's own plus each acquirer's */
    bool ended;
};

/* Family hooks for per-session state. */
struct cb_session_ops {
    void *(*data_new)(void);
    void (*data_free)(void *data);
    /* Called on the loop thread when a session's client has gone away while a call of the
     * session is still running: make that call return early (a query cancelled at the
     * server). Races the session's worker, so it must take its own locks. */
    void (*cancel)(void *data);
};

struct cb_registry *cb_registry_new(const struct cb_session_ops *ops);
struct cb_registry *cb_registry_free(struct cb_registry *r);

/* Live handles allowed at once (the per-uid limit, since an instance serves one uid). */
void cb_registry_set_handle_limit(struct cb_registry *r, unsigned limit);

/* Looks a session up, making it when absent (create). Owned by the registry. */
struct cb_session *cb_registry_session(struct cb_registry *r, const char *token, bool create);

/*
 * Ends a session's state: the handles it made, its current handles, its family state (made
 * afresh) and its env. Run it on the session's own serial queue. Returns handles closed.
 */
unsigned cb_registry_clear_session(struct cb_registry *r, struct cb_session *s, const char *reason);

/* Removes and frees a session; only when no work of it is queued or running. */
void cb_registry_forget_session(struct cb_registry *r, struct cb_session *s);

/* Both, for a session with nothing queued (grace expiry). Returns handles closed. */
unsigned cb_registry_end_session(struct cb_registry *r, const char *token, const char *reason);

/* Sessions and handles alive now; whether no session state is held at all (for idle exit). */
unsigned cb_registry_n_sessions(struct cb_registry *r);
unsigned cb_registry_n_handles(struct cb_registry *r);
bool cb_registry_empty(struct cb_registry *r);

/* Marks every session detached at `now` (the router's connection dropped), or attached again. */
void cb_registry_detach_all(struct cb_registry *r, uint64_t now);
void cb_registry_attach(struct cb_registry *r, struct cb_session *s);

/* Ends detached sessions whose grace time ran out; returns how many. */
unsigned cb_registry_expire(struct cb_registry *r, uint64_t now, uint64_t grace_usec);

/*
 * Makes a handle of `kind` owned by session s, current for s. prefix forms the id
 * ("test-h" gives "test-h-<boot>-<n>"). The object is freed with free_object when the handle
 * ends. Returns 0 and the id (owned by the handle), or -ENOMEM / E_THROTTLED over the limit.
 */
int cb_handle_create(struct cb_registry *r,
                     struct cb_session *s,
                     const char *kind,
                     const char *prefix,
                     void *object,
                     cb_handle_free_fn free_object,
                     const char **ret_id,
                     struct cb_error *reterr);

/*
 * Finds a handle by id, or the session's current one of `kind` when id is NULL, and locks it.
 * E_HANDLE says why when it cannot: no current handle, unknown id, wrong kind, ended (and
 * how), or made by an earlier run of the instance.
 */
int cb_handle_acquire(struct cb_registry *r,
                      struct cb_session *s,
                      const char *kind,
                      const char *id,
                      struct cb_handle **ret,
                      struct cb_error *reterr);

void cb_handle_release(struct cb_registry *r, struct cb_handle *h);

/* Makes an acquired handle the current one of its kind for session s (a reuse, not a new one). */
void cb_handle_make_current(struct cb_registry *r, struct cb_session *s, struct cb_handle *h);

/* Ends an acquired handle (unlocks and frees it); clears it as current everywhere. */
void cb_handle_end(struct cb_registry *r, struct cb_handle *h, const char *reason);

/* Reads the uid and run tag out of a handle id. Returns 0, or -EINVAL for another form. */
int cb_handle_id_parse(const char *id, uid_t *ret_uid, char ret_boot[9]);

/*
 * Ids of handles that live inside another (a statement in its connection, a worksheet in its
 * workbook): parent "P-<uid>-<run>-<n>" and child prefix "C" give "C-<n>-<uid>-<run>-<m>" (m
 * in hex), which still carries the uid the router checks. Returns 0 or -EINVAL.
 */
int cb_child_id_make(const char *parent_id,
                     const char *parent_prefix,
                     const char *child_prefix,
                     uint64_t m,
                     char *ret,
                     size_t size);
/* The parent's id back from a child's. */
int cb_child_id_parent(const char *child_id,
                       const char *child_prefix,
                       const char *parent_prefix,
                       char *ret,
                       size_t size);

struct cb_function;
/* A handle id names its uid: E_HANDLE when a parameter names another uid's handle. */
int cb_check_handles_owned(const struct cb_function *f,
                           json_t *params,
                           uid_t uid,
                           struct cb_error *reterr);

/* Whether a handle with this id is alive. */
bool cb_handle_exists(struct cb_registry *r, const char *id);
