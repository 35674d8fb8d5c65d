/* SPDX-License-Identifier: MIT */
/* A small blocking client of the wire protocol, for tests, benchmarks and the CLI. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

/* Answers may be larger than requests (a whole result set), so the client allows more. */
#define CB_CLIENT_FRAME_LIMIT    (64u * 1024u * 1024u)
#define CB_CLIENT_SOCKET_DEFAULT "/run/cpan-bridge/cpan-bridge.sock"

struct cb_client;

/* $CPAN_BRIDGE_SOCKET when set and not empty, else CB_CLIENT_SOCKET_DEFAULT. */
const char *cb_client_default_socket(void);

/*
 * Connects to a Unix stream socket. timeout_ms < 0 waits as long as connect() does; a full
 * listen backlog is retried until the timeout. The server's credentials are not checked:
 * tests need to talk to fake servers. Returns 0, -ETIMEDOUT, -ENAMETOOLONG, -ENOMEM or the
 * connect() errno (-ENOENT, -ECONNREFUSED, -EACCES, ...). *ret is owned by the caller.
 */
int cb_client_connect(const char *socket_path, int timeout_ms, struct cb_client **ret);

/*
 * Process mode: runs exec_path (cpan-bridge-exec or a family binary's one-shot front) with
 * pipes on its stdin and stdout; its stderr and environment are ours. Returns 0, -ENOMEM or
 * the spawn errno (-ENOENT, -EACCES, ...).
 */
int cb_client_spawn_exec(const char *exec_path, struct cb_client **ret);

/*
 * Closes the connection and, in process mode, closes the child's stdin and reaps it (it is
 * killed if it has not exited 5 s after its stdin closed). Accepts NULL; returns NULL.
 */
struct cb_client *cb_client_free(struct cb_client *c);

/*
 * The session token cb_client_call() sends as `session`; NULL sends none. The token is not
 * checked, so tests can send bad ones. Returns 0 or -ENOMEM.
 */
int cb_client_set_session(struct cb_client *c, const char *token);

/* How long cb_client_call() waits for its answer; < 0 (the default) waits for ever. */
void cb_client_set_timeout(struct cb_client *c, int timeout_ms);

/* The id cb_client_call() will use next (ids count up from 1). */
uint64_t cb_client_next_id(const struct cb_client *c);

/* The fd answers are read from; the connected socket, or the read end of the child's stdout. */
int cb_client_fd(const struct cb_client *c);

/* The child's pid in process mode, else -1. */
pid_t cb_client_pid(const struct cb_client *c);

/*
 * Sends one request as one frame (compact JSON, any object, nothing added).
 * Returns 0, -EINVAL when request cannot be printed, -EPIPE when the peer has gone, or -errno.
 */
int cb_client_send(struct cb_client *c, const json_t *request);

/* Sends arbitrary bytes as they are (broken headers, partial frames). Returns 0 or -errno. */
int cb_client_send_raw(struct cb_client *c, const void *bytes, size_t n);

/*
 * Half-closes: the peer reads EOF but answers can still be read. In process mode this
 * closes the child's stdin. Returns 0 or -errno.
 */
int cb_client_shutdown_write(struct cb_client *c);

/*
 * Receives one frame's payload, as bytes (NUL-terminated, malloc'ed, owned by the caller).
 * timeout_ms < 0 waits for ever; the timeout covers the whole frame. Returns 0, -ETIMEDOUT,
 * -EPIPE at EOF (at a frame boundary or inside a frame), -EBADMSG for a zero-length frame
 * (consumed; the stream stays in step), -E2BIG for a frame over CB_CLIENT_FRAME_LIMIT (the
 * stream cannot be resynchronised: only cb_client_free() is left), or -errno.
 */
int cb_client_recv_frame(struct cb_client *c, int timeout_ms, char **ret_payload, size_t *ret_len);

/*
 * Receives one frame and parses it (NUL allowed in strings, duplicate keys refused).
 * Returns 0 with a new reference in *ret_response, -EPROTO when the payload is not a JSON
 * object, or any error of cb_client_recv_frame().
 */
int cb_client_recv(struct cb_client *c, int timeout_ms, json_t **ret_response);

/*
 * One call: sends {id, module, function, params[, session]} with the next id and waits for
 * one answer (see cb_client_set_timeout). params is stolen; NULL sends {}. Returns 0 with the
 * answer in *ret_response (whether or not it says success), -EPROTO when the answer carries
 * another id, or any error of cb_client_send() and cb_client_recv().
 */
int cb_client_call(struct cb_client *c,
                   const char *module,
                   const char *function,
                   json_t *params,
                   json_t **ret_response);

/*
 * Process mode: closes the child's stdin and waits up to timeout_ms (< 0: for ever) for it
 * to exit. Returns 0 with its wait status in *ret_status, -ETIMEDOUT (it still runs),
 * -ECHILD when not in process mode or already reaped, or -errno.
 */
int cb_client_wait_exit(struct cb_client *c, int timeout_ms, int *ret_status);

/* Whether a response says "success": true. */
bool cb_client_response_ok(const json_t *response);

static inline void cb_client_freep(struct cb_client **c)
{
    cb_client_free(*c);
}
