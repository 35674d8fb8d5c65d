/* SPDX-License-Identifier: MIT */
/*
 * One-shot (process) mode: frames on stdin, answered on stdout one at a time, with the same
 * validation and handlers as the daemon. The caller's uid and environment are our own.
 */
#include "common/cb-family-internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cb-envelope.h"
#include "common/cb-frame.h"
#include "common/cb-json.h"
#include "common/cb-log.h"
#include "common/cb-time.h"

static int write_response(json_t *response)
{
    size_t len;
    char *text = cb_json_dump(response, &len);
    int r;

    if (!text) {
        return -ENOMEM;
    }
    r = cb_frame_write_fd(STDOUT_FILENO, text, len);
    free(text);
    return r;
}

static int answer_error(const json_t *id, struct cb_error *err)
{
    CB_JSON_AUTO *response = cb_response_error(id, err);

    cb_error_clear(err);
    return write_response(response);
}

/* The session environment of a one-shot run: what the client sent, else this process's own
 * TZ and umask, which are the script's (cpan-bridge-exec inherits them). */
static json_t *own_env(json_t *sent)
{
    const char *tz = getenv("TZ");
    mode_t mask;
    json_t *env;

    if (json_is_object(sent)) {
        return json_incref(sent);
    }
    env = json_object();
    mask = umask(022);
    umask(mask);
    if (env && tz && *tz) {
        json_object_set_new(env, "TZ", json_string(tz));
    }
    if (env) {
        json_object_set_new(env, "umask", json_integer(mask));
    }
    return env;
}

static int answer_frame(const struct cb_family *family,
                        struct cb_call *call,
                        const struct cb_config *config,
                        const char *payload,
                        size_t len)
{
    struct cb_error err = CB_ERROR_INIT;
    struct cb_request req;
    json_t *id = NULL;
    int r;

    r = cb_request_parse(payload, len, CB_ORIGIN_CLIENT, &config->limits, &req, &id, &err);
    if (r < 0) {
        r = answer_error(id, &err);
        json_decref(id);
        return r;
    }

    if (!call->session) {
        call->session = cb_registry_session(call->registry, req.session ? req.session : "oneshot",
                                            true);
    }
    call->request_id = req.request_id;
    if (!call->env) {
        call->env = own_env(req.session_env);
    }

    json_t *response = cb_family_dispatch(family, call, &req);
    r = write_response(response);
    json_decref(response);
    cb_request_done(&req);
    return r;
}

/* Errors of framing itself: answered where the stream can go on, else the run ends. */
static int answer_framing(int r, const struct cb_config *config)
{
    struct cb_error err = CB_ERROR_INIT;

    if (r == -EBADMSG) {
        cb_error_set(&err, CB_E_PROTOCOL, "zero-length frame");
        return answer_error(NULL, &err);
    }
    if (r == -E2BIG) {
        cb_error_set(&err, CB_E_TOO_LARGE, "frame is over the limit of %zu bytes (max_frame_bytes)",
                     config->limits.max_frame);
        (void)answer_error(NULL, &err);
        return -E2BIG;
    }
    if (r == -EPIPE) {
        return cb_log_info_errno(r, "Input ended inside a frame");
    }
    return cb_log_error_errno(r, "Failed to read a request frame");
}

static int next_frame(int *first_fd, size_t limit, char **payload, size_t *len)
{
    int r;

    if (*first_fd >= 0) {
        r = cb_frame_read_fd(*first_fd, limit, payload, len);
        close(*first_fd);
        *first_fd = -1;
        if (r != 0) {
            return r;
        }
    }
    return cb_frame_read_fd(STDIN_FILENO, limit, payload, len);
}

int cb_family_run_oneshot(const struct cb_family *family,
                          const struct cb_config *config,
                          int first_frame_fd)
{
    struct cb_call call = {
        .config = config,
        .uid = getuid(),
        .gid = getgid(),
        .pid = getpid(),
        .process_mode = true,
        .process_start_usec = cb_now_monotonic_usec(),
    };
    int r = 0;

    /* What a daemon tells its journal is noise on a script's terminal. */
    cb_log_quiet_on_stderr();

    call.registry = cb_registry_new(&family->session_ops);
    if (!call.registry) {
        return EXIT_FAILURE;
    }
    cb_registry_set_handle_limit(call.registry, config->max_handles_per_uid);

    for (;;) {
        char *payload = NULL;
        size_t len = 0;

        r = next_frame(&first_frame_fd, config->limits.max_frame, &payload, &len);
        if (r == 0) {
            break; /* EOF between frames: the caller is done */
        }
        if (r < 0) {
            r = answer_framing(r, config);
            if (r < 0) {
                break;
            }
            continue;
        }
        r = answer_frame(family, &call, config, payload, len);
        free(payload);
        if (r < 0) {
            cb_log_info_errno(r, "Failed to write an answer, stopping");
            break;
        }
    }

    cb_registry_free(call.registry);
    json_decref(call.env);
    return r < 0 && r != -EPIPE ? EXIT_FAILURE : EXIT_SUCCESS;
}
