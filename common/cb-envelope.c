/* SPDX-License-Identifier: MIT */
/* Request parsing and response building for the wire protocol of DESIGN.md. */
#include "common/cb-envelope.h"

#include <stdio.h>
#include <string.h>

#define ID_MAX_INTEGER (1LL << 53)

/* Top-level fields a client may send; anything else is refused so nothing is silently lost. */
static const char *const client_fields[] = {
    "id",         "module",    "function",    "params",     "session",        "session_env",
    "timeout_ms", "timestamp", "perl_caller", "request_id", "client_version", NULL,
};

/* Fields only the router adds on its upstream connections. */
static const char *const router_fields[] = { "peer", "env", NULL };

static bool in_list(const char *const *list, const char *s)
{
    for (; *list; list++) {
        if (strcmp(*list, s) == 0) {
            return true;
        }
    }
    return false;
}

bool cb_session_token_valid(const char *s)
{
    size_t i;

    for (i = 0; s[i]; i++) {
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) {
            return false;
        }
    }
    return i == CB_SESSION_TOKEN_LEN;
}

bool cb_request_id_valid(const json_t *v)
{
    if (json_is_integer(v)) {
        return json_integer_value(v) >= 0 && json_integer_value(v) < ID_MAX_INTEGER;
    }
    if (json_is_string(v)) {
        /* Characters, not bytes: a short id in any script is fine. */
        const unsigned char *s = (const unsigned char *)json_string_value(v);
        size_t chars = 0;

        if (json_string_length(v) != strlen((const char *)s)) {
            return false; /* NUL inside an id */
        }
        for (; *s; s++) {
            chars += (*s & 0xC0) != 0x80;
        }
        return chars <= CB_ID_STRING_MAX;
    }
    return false;
}

static int check_fields(json_t *root, enum cb_origin origin, struct cb_error *reterr)
{
    const char *key;
    json_t *v;

    json_object_foreach(root, key, v)
    {
        if (in_list(client_fields, key)) {
            continue;
        }
        if (in_list(router_fields, key) || key[0] == '_') {
            if (origin == CB_ORIGIN_ROUTER) {
                continue;
            }
            return cb_error_set(
                    reterr, CB_E_INVALID_PARAM,
                    "field '%s' is reserved for the suite's own use and may not come from a client",
                    key);
        }
        return cb_error_set(reterr, CB_E_INVALID_PARAM, "unknown top-level field '%s' in request",
                            key);
    }
    return 0;
}

static int get_name(json_t *root, const char *field, const char **ret, struct cb_error *reterr)
{
    json_t *v = json_object_get(root, field);

    if (!v) {
        return cb_error_set(reterr, CB_E_INVALID_PARAM, "request has no '%s'", field);
    }
    if (!json_is_string(v)) {
        return cb_error_set(reterr, CB_E_INVALID_PARAM, "'%s' must be a string", field);
    }
    if (json_string_length(v) == 0 || json_string_length(v) != strlen(json_string_value(v)) ||
        json_string_length(v) > 128) {
        return cb_error_set(reterr, CB_E_INVALID_PARAM,
                            "'%s' must be a name of 1 to 128 characters without NUL", field);
    }
    *ret = json_string_value(v);
    return 0;
}

static int get_optional_string(json_t *root,
                               const char *field,
                               size_t max,
                               const char **ret,
                               struct cb_error *reterr)
{
    json_t *v = json_object_get(root, field);

    if (!v || json_is_null(v)) {
        *ret = NULL;
        return 0;
    }
    if (!json_is_string(v) || json_string_length(v) != strlen(json_string_value(v)) ||
        json_string_length(v) > max) {
        return cb_error_set(reterr, CB_E_INVALID_PARAM,
                            "'%s' must be a string of at most %zu bytes without NUL", field, max);
    }
    *ret = json_string_value(v);
    return 0;
}

static int parse_session(json_t *root, struct cb_request *req, struct cb_error *reterr)
{
    json_t *v;
    int r;

    r = get_optional_string(root, "session", CB_SESSION_TOKEN_LEN, &req->session, reterr);
    if (r < 0) {
        return r;
    }
    if (req->session && !cb_session_token_valid(req->session)) {
        return cb_error_set(reterr, CB_E_INVALID_PARAM,
                            "'session' must be 32 lowercase hex digits");
    }

    v = json_object_get(root, "session_env");
    if (v && !json_is_null(v)) {
        if (!json_is_object(v)) {
            return cb_error_set(reterr, CB_E_INVALID_PARAM, "'session_env' must be an object");
        }
        req->session_env = v;
    }
    return 0;
}

static int parse_optional(json_t *root, struct cb_request *req, struct cb_error *reterr)
{
    json_t *v;
    int r;

    v = json_object_get(root, "timeout_ms");
    req->timeout_ms = -1;
    if (v && !json_is_null(v)) {
        if (!json_is_integer(v) || json_integer_value(v) < 0) {
            return cb_error_set(reterr, CB_E_INVALID_PARAM,
                                "'timeout_ms' must be a non-negative integer");
        }
        req->timeout_ms = json_integer_value(v);
    }

    r = get_optional_string(root, "request_id", 128, &req->request_id, reterr);
    if (r < 0) {
        return r;
    }
    r = get_optional_string(root, "client_version", 64, &req->client_version, reterr);
    if (r < 0) {
        return r;
    }
    return parse_session(root, req, reterr);
}

static int parse_router_fields(json_t *root, struct cb_request *req, struct cb_error *reterr)
{
    req->peer = json_object_get(root, "peer");
    req->env = json_object_get(root, "env");
    if (req->peer && !json_is_object(req->peer)) {
        return cb_error_set(reterr, CB_E_PROTOCOL, "'peer' must be an object");
    }
    if (req->env && !json_is_null(req->env) && !json_is_object(req->env)) {
        return cb_error_set(reterr, CB_E_PROTOCOL, "'env' must be an object");
    }
    return get_optional_string(root, "_control", 64, &req->control, reterr);
}

static int parse_body(json_t *root,
                      enum cb_origin origin,
                      const struct cb_limits *limits,
                      struct cb_request *req,
                      struct cb_error *reterr)
{
    int r;

    r = check_fields(root, origin, reterr);
    if (r < 0) {
        return r;
    }
    if (origin == CB_ORIGIN_ROUTER) {
        r = parse_router_fields(root, req, reterr);
        if (r < 0) {
            return r;
        }
        if (req->control) {
            return parse_session(root, req, reterr);
        }
    }

    r = get_name(root, "module", &req->module, reterr);
    if (r < 0) {
        return r;
    }
    r = get_name(root, "function", &req->function, reterr);
    if (r < 0) {
        return r;
    }

    req->params = json_object_get(root, "params");
    if (!req->params || json_is_null(req->params)) {
        req->params = json_object();
        json_object_set_new(root, "params", req->params);
    } else if (!json_is_object(req->params)) {
        return cb_error_set(reterr, CB_E_INVALID_PARAM, "'params' must be an object");
    }
    if (json_object_size(req->params) > limits->max_params) {
        return cb_error_set(reterr, CB_E_TOO_LARGE,
                            "'params' has %zu keys, over the limit of %zu (max_param_count)",
                            json_object_size(req->params), limits->max_params);
    }

    r = cb_json_check_limits(root, limits, reterr);
    if (r < 0) {
        return r;
    }
    return parse_optional(root, req, reterr);
}

int cb_request_parse(const char *payload,
                     size_t len,
                     enum cb_origin origin,
                     const struct cb_limits *limits,
                     struct cb_request *ret,
                     json_t **ret_id,
                     struct cb_error *reterr)
{
    struct cb_request req = { .timeout_ms = -1 };
    json_t *id;
    int r;

    r = cb_json_parse(payload, len, &req.root, reterr);
    if (r < 0) {
        *ret_id = NULL;
        return r;
    }
    if (!json_is_object(req.root)) {
        json_decref(req.root);
        *ret_id = NULL;
        return cb_error_set(reterr, CB_E_PROTOCOL, "a request must be a JSON object");
    }

    id = json_object_get(req.root, "id");
    if (id && !json_is_null(id) && !cb_request_id_valid(id)) {
        json_decref(req.root);
        *ret_id = NULL;
        return cb_error_set(
                reterr, CB_E_INVALID_PARAM,
                "'id' must be an integer from 0 to 2^53-1 or a string of at most 64 characters");
    }
    req.id = id && !json_is_null(id) ? id : NULL;

    r = parse_body(req.root, origin, limits, &req, reterr);
    if (r < 0) {
        *ret_id = req.id ? json_incref(req.id) : NULL;
        json_decref(req.root);
        return r;
    }

    req.frame_len = len;
    *ret = req;
    return 0;
}

void cb_request_done(struct cb_request *req)
{
    json_decref(req->root);
    *req = (struct cb_request){ .timeout_ms = -1 };
}

json_t *cb_response_success(const json_t *id, json_t *result)
{
    json_t *o = json_object();

    json_object_set_new(o, "id", id ? json_incref((json_t *)id) : json_null());
    json_object_set_new(o, "success", json_true());
    json_object_set_new(o, "result", result ? result : json_null());
    return o;
}

json_t *cb_response_error(const json_t *id, const struct cb_error *err)
{
    bool retryable = cb_error_code_retryable(err->code) && !err->outcome_unknown;
    json_t *o = json_object();

    json_object_set_new(o, "id", id ? json_incref((json_t *)id) : json_null());
    json_object_set_new(o, "success", json_false());
    json_object_set_new(o, "error", json_string(err->message ? err->message : "unknown error"));
    json_object_set_new(o, "error_code", json_string(cb_error_code_to_string(err->code)));
    json_object_set_new(o, "retryable", json_boolean(retryable));
    if (err->backend_error) {
        json_object_set(o, "backend_error", err->backend_error);
    }
    if (err->outcome_unknown) {
        json_object_set_new(o, "outcome_unknown", json_true());
    }
    if (err->code == CB_E_THROTTLED && err->retry_after_ms >= 0) {
        json_object_set_new(o, "retry_after_ms", json_integer(err->retry_after_ms));
    }
    return o;
}

char *cb_response_error_dump(const json_t *id, const struct cb_error *err, size_t *ret_len)
{
    CB_JSON_AUTO *o = cb_response_error(id, err);

    return cb_json_dump(o, ret_len);
}
