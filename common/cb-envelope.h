/* SPDX-License-Identifier: MIT */
/* The request and response envelopes of DESIGN.md's wire protocol. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "common/cb-error.h"
#include "common/cb-json.h"

#define CB_SESSION_TOKEN_LEN 32
#define CB_ID_STRING_MAX     64

/* Who sent the frame: a client is held to the public rules; the router may add its fields. */
enum cb_origin {
    CB_ORIGIN_CLIENT,
    CB_ORIGIN_ROUTER,
};

struct cb_request {
    json_t *root;       /* owned: the whole parsed object */
    json_t *id;         /* borrowed from root; NULL when absent or invalid */
    const char *module; /* borrowed strings from root */
    const char *function;
    json_t *params;      /* borrowed; an empty object when absent */
    const char *session; /* NULL when absent */
    json_t *session_env; /* borrowed or NULL */
    int64_t timeout_ms;  /* -1 when absent */
    const char *request_id;
    const char *client_version;
    size_t frame_len; /* bytes of the frame it was parsed from */

    /* Only from the router (refused from clients): */
    json_t *peer; /* {uid, gid, pid} */
    json_t *env;
    const char *control; /* "_control": "session_end", ... */
};

/*
 * Parses and checks one request frame. On failure returns a negative errno and fills reterr;
 * *ret_id is then set to a new reference to the request's id when it could be read (so the
 * answer can carry it), else NULL. On success ret owns the JSON and *ret_id is untouched.
 */
int cb_request_parse(const char *payload,
                     size_t len,
                     enum cb_origin origin,
                     const struct cb_limits *limits,
                     struct cb_request *ret,
                     json_t **ret_id,
                     struct cb_error *reterr);

void cb_request_done(struct cb_request *req);

/* Whether s is a session token: 32 lowercase hex digits. */
bool cb_session_token_valid(const char *s);

/* Whether v is a valid id: an integer 0 <= n < 2^53, or a string of at most 64 characters. */
bool cb_request_id_valid(const json_t *v);

/* {"id": id, "success": true, "result": result}. Steals result; id may be NULL (null). */
json_t *cb_response_success(const json_t *id, json_t *result);

/* {"id", "success": false, "error", "error_code", "retryable", ...} from err. */
json_t *cb_response_error(const json_t *id, const struct cb_error *err);

/* Builds the error response frame payload directly; returns malloc'ed JSON or NULL. */
char *cb_response_error_dump(const json_t *id, const struct cb_error *err, size_t *ret_len);
