/* SPDX-License-Identifier: MIT */
/*
 * The frame of every family daemon: the instance server (router connections, sessions, the
 * worker pool) and one-shot mode (frames on stdin and stdout). A family supplies only its
 * handlers and its per-session state.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <jansson.h>
#include <systemd/sd-event.h>

#include "common/cb-catalogue.h"
#include "common/cb-config.h"
#include "common/cb-error.h"
#include "common/cb-screen.h"
#include "common/cb-session.h"

struct cb_call {
    const struct cb_module *module;
    const struct cb_function *function;
    json_t *params; /* checked against the catalogue, aliases resolved */
    struct cb_session *session;
    struct cb_registry *registry;
    const struct cb_config *config;
    uid_t uid; /* the caller, as the router saw it (or our own in one-shot) */
    gid_t gid;
    pid_t pid;
    json_t *env; /* the session's environment, or NULL */
    bool process_mode;
    const char *request_id;
    uint64_t process_start_usec; /* monotonic start of the answering process */
    bool end_of_data;            /* set by a handler: the answer gets end_of_data (API.md 1.1) */
    bool screen;                 /* inspect content here: a channel, with no router before us */
    bool refused;                /* set by dispatch: refused before any handler ran */
    bool checked; /* set by a declined cb_family_start: params are checked, dispatch runs it */
    bool found;   /* set by dispatch: inspection found what `finding` says */
    struct cb_screen_finding finding;
};

#define CB_CALL_HAS_END_OF_DATA 1

/* Returns 0 with *ret_result set (stolen), or a negative errno with reterr set. */
typedef int (*cb_handler_fn)(struct cb_call *call, json_t **ret_result, struct cb_error *reterr);

/*
 * A call begun on the loop thread, for work that waits on a descriptor (a database server's
 * socket) rather than on a thread: such a call saves the two thread hand-offs that cost most
 * of a short call's time. The handler's start returns 1 once it has begun, and then ends the
 * call with cb_async_finish, on the loop thread; the session's later calls wait for that, as
 * they would behind a worker. It returns 0, having changed nothing that matters, to have fn
 * run on a worker instead. It never blocks.
 */
struct cb_async;
typedef int (*cb_start_fn)(struct cb_call *call, struct cb_async *a);

struct cb_handler {
    const char *module;
    const char *function;
    cb_handler_fn fn;
    bool runs_inline; /* never blocks and costs microseconds: may run on the loop thread */
};

/* A function whose handler may begin on the loop thread, and its start. */
struct cb_starter {
    const char *module;
    const char *function;
    cb_start_fn start;
};

/* The loop a started call waits in. */
sd_event *cb_async_event(struct cb_async *a);
/* What ends the call at once, blocking, should the loop stop before it is done. It must call
 * cb_async_finish. */
void cb_async_on_stop(struct cb_async *a, void (*stop)(void *data), void *data);
/* Ends a started call with what a handler returns: r, the result (stolen) or err. */
void cb_async_finish(struct cb_async *a, int r, json_t *result, struct cb_error *err);

struct cb_family {
    const char *name; /* "core" */
    const struct cb_handler *handlers;
    size_t n_handlers;
    const struct cb_starter *starters; /* optional */
    size_t n_starters;
    struct cb_session_ops session_ops;
};

/*
 * The whole daemon: `--oneshot` runs one-shot mode, otherwise the instance server on the
 * sockets systemd passed (or `--listen PATH`). `--config FILE` names the configuration.
 * Returns the process exit code.
 */
int cb_family_main(const struct cb_family *family, int argc, char **argv);

/*
 * Resolves, checks and runs one parsed request (both modes share this). Returns the response
 * object (never NULL).
 */
struct cb_request;
json_t *cb_family_dispatch(const struct cb_family *family,
                           struct cb_call *call,
                           const struct cb_request *req);

/*
 * The checks of cb_family_dispatch, then the handler's start. Returns 1 once started; 0 with
 * *ret_response set when the checks answered the call; 0 with it NULL when the handler
 * declined, and the call must be dispatched on a worker, which then does not check it again.
 */
int cb_family_start(const struct cb_family *family,
                    struct cb_call *call,
                    const struct cb_request *req,
                    struct cb_async *a,
                    json_t **ret_response);
/* The response to a call that ended with r, result (stolen) or err; drops call->params. */
json_t *cb_family_answer(struct cb_call *call,
                         const struct cb_request *req,
                         int r,
                         json_t *result,
                         struct cb_error *err);
/* Where a call of module.function (names or aliases) runs in daemon mode. */
enum cb_family_way {
    CB_WAY_WORKER, /* on its session's worker */
    CB_WAY_INLINE, /* on the loop thread, at once (or refused there: no such function) */
    CB_WAY_START,  /* begun on the loop thread by its start, when the start can */
};
enum cb_family_way cb_family_way(const struct cb_family *family,
                                 const char *module,
                                 const char *function);

/* The umask of the caller's session (its session_env), 022 when it sent none: files made for
 * a caller get the mode its own process would have given them. */
mode_t cb_call_umask(const struct cb_call *call);

/* "Linux 6.1.0 x86_64" */
const char *cb_platform_string(void);
