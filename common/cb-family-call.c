/* SPDX-License-Identifier: MIT */
/* One call in a family process: catalogue check, mode rules, and the handler. */
#include "common/cb-family.h"

#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "common/cb-envelope.h"
#include "common/cb-log.h"
#include "common/cb-screen.h"
#include "common/cb-time.h"

const char *cb_platform_string(void)
{
    static char platform[256];
    struct utsname u;

    if (!platform[0] && uname(&u) == 0) {
        snprintf(platform, sizeof platform, "%s %s %s", u.sysname, u.release, u.machine);
    }
    return platform;
}

static const struct cb_handler *find_handler(const struct cb_family *family,
                                             const struct cb_module *m,
                                             const struct cb_function *f)
{
    for (size_t i = 0; i < family->n_handlers; i++) {
        const struct cb_handler *h = &family->handlers[i];

        if (strcmp(h->module, m->name) == 0 && strcmp(h->function, f->name) == 0) {
            return h;
        }
    }
    return NULL;
}

static cb_start_fn find_start(const struct cb_family *family,
                              const struct cb_module *m,
                              const struct cb_function *f)
{
    for (size_t i = 0; i < family->n_starters; i++) {
        const struct cb_starter *st = &family->starters[i];

        if (strcmp(st->module, m->name) == 0 && strcmp(st->function, f->name) == 0) {
            return st->start;
        }
    }
    return NULL;
}

enum cb_family_way cb_family_way(const struct cb_family *family,
                                 const char *module,
                                 const char *function)
{
    const struct cb_handler *h;
    const struct cb_module *m;
    const struct cb_function *f;

    if (cb_catalogue_resolve(module, function, &m, &f, NULL) < 0) {
        return CB_WAY_INLINE; /* answered with an error at once, whichever thread does it */
    }
    h = find_handler(family, m, f);
    if (!h || h->runs_inline) {
        return CB_WAY_INLINE;
    }
    return find_start(family, m, f) ? CB_WAY_START : CB_WAY_WORKER;
}

/* One-shot mode answers the stateless system functions itself; the router does otherwise. */
static int system_oneshot(struct cb_call *call, json_t **ret, struct cb_error *err)
{
    const char *fn = call->function->name;
    double uptime = (double)(cb_now_monotonic_usec() - call->process_start_usec) / 1e6;

    if (strcmp(fn, "ping") == 0) {
        *ret = json_pack("{s:s, s:s, s:f, s:s}", "message", "pong", "version", CB_VERSION, "uptime",
                         uptime, "mode", "process");
        return 0;
    }
    if (strcmp(fn, "catalogue") == 0) {
        const char *name = cb_json_get_string(call->params, "module", NULL);
        const struct cb_module *m = name ? cb_catalogue_find_module(name) : NULL;

        if (name && !m) {
            return cb_error_set(err, CB_E_INVALID_PARAM, "parameter 'module' names no module");
        }
        *ret = cb_catalogue_to_json(m);
        return 0;
    }
    if (strcmp(fn, "info") == 0) {
        size_t n;
        const struct cb_module *mods = cb_catalogue_modules(&n);
        json_t *loaded = json_array();
        char start[CB_ISO_TIME_MAX];
        uint64_t started = cb_now_realtime_usec() - (uint64_t)(uptime * 1e6);

        for (size_t i = 0; i < n; i++) {
            json_array_append_new(loaded, json_string(mods[i].name));
        }
        *ret = json_pack("{s:s, s:s, s:s, s:i, s:s, s:n, s:s, s:f, s:o, s:[], s:i}", "version",
                         CB_VERSION, "daemon_version", CB_VERSION, "platform", cb_platform_string(),
                         "pid", (int)getpid(), "mode", "process", "socket_path", "start_time",
                         cb_format_iso_time(started, start, sizeof start), "uptime", uptime,
                         "loaded_modules", loaded, "families", "active_connections", 0);
        return 0;
    }
    return cb_error_set(
            err, CB_E_UNAVAILABLE,
            "system.%s needs daemon mode: no router answered, so there is nothing to report", fn);
}

static int run_call(const struct cb_family *family,
                    struct cb_call *call,
                    json_t **ret,
                    struct cb_error *err)
{
    const struct cb_handler *h;

    if (strcmp(call->module->name, "system") == 0 || call->function->alias_of) {
        if (!call->process_mode) {
            return cb_error_set(err, CB_E_INVALID_PARAM, "%s.%s is answered by the router",
                                call->module->name, call->function->name);
        }
        return system_oneshot(call, ret, err);
    }
    if (strcmp(call->module->family, family->name) != 0) {
        return cb_error_set(
                err, CB_E_INVALID_PARAM,
                "module '%s' belongs to family %s, not %s; send it in its own cpan-bridge-exec run",
                call->module->name, call->module->family, family->name);
    }
    if (call->process_mode && call->function->mode == CB_MODE_DAEMON_ONLY) {
        return cb_error_set(err, CB_E_HANDLE,
                            "%s.%s needs daemon mode: its state cannot live in a one-shot process",
                            call->module->name, call->function->name);
    }
    h = find_handler(family, call->module, call->function);
    if (!h) {
        return cb_error_set(err, CB_E_INTERNAL, "%s.%s is in the catalogue but has no handler",
                            call->module->name, call->function->name);
    }
    return h->fn(call, ret, err);
}

/* Everything before the handler: on success call->params holds the checked parameters. */
static int check_call(struct cb_call *call, const struct cb_request *req, struct cb_error *err)
{
    json_t *params = NULL;
    int r;

    call->refused = true;
    call->found = false;
    call->params = NULL;
    r = cb_catalogue_resolve(req->module, req->function, &call->module, &call->function, err);
    if (r >= 0) {
        r = cb_catalogue_check_params(call->function, req->params, &params, err);
    }
    /* The router inspects what it relays; one-shot mode and channels must refuse alike. */
    if (r >= 0 && (call->process_mode || call->screen)) {
        r = cb_screen_params(call->function, params, &call->finding, err);
        call->found = r < 0 && err->code == CB_E_SECURITY;
    }
    if (r >= 0 && call->screen) {
        r = cb_check_handles_owned(call->function, params, call->uid, err);
    }
    if (r < 0) {
        json_decref(params);
        return r;
    }
    call->refused = false;
    call->params = params;
    call->end_of_data = false;
    return 0;
}

json_t *cb_family_answer(struct cb_call *call,
                         const struct cb_request *req,
                         int r,
                         json_t *result,
                         struct cb_error *err)
{
    json_t *response;

    if (r < 0) {
        json_decref(result);
        if (!err->set) {
            cb_error_set(err, CB_E_INTERNAL, "%s.%s failed without saying why", req->module,
                         req->function);
        }
        if (err->code == CB_E_INTERNAL) {
            cb_log_error("%s.%s failed inside the suite: %s", req->module, req->function,
                         err->message ? err->message : "");
        }
        response = cb_response_error(req->id, err);
    } else {
        response = cb_response_success(req->id, result);
        if (call->end_of_data) {
            json_object_set_new(response, "end_of_data", json_true());
        }
    }
    json_decref(call->params);
    call->params = NULL;
    cb_error_clear(err);
    return response;
}

json_t *cb_family_dispatch(const struct cb_family *family,
                           struct cb_call *call,
                           const struct cb_request *req)
{
    struct cb_error err = CB_ERROR_INIT;
    json_t *result = NULL;
    int r;

    r = call->checked ? 0 : check_call(call, req, &err);
    call->checked = false;
    if (r >= 0) {
        r = run_call(family, call, &result, &err);
    }
    return cb_family_answer(call, req, r, result, &err);
}

int cb_family_start(const struct cb_family *family,
                    struct cb_call *call,
                    const struct cb_request *req,
                    struct cb_async *a,
                    json_t **ret_response)
{
    struct cb_error err = CB_ERROR_INIT;
    cb_start_fn start;
    int r;

    *ret_response = NULL;
    r = check_call(call, req, &err);
    if (r < 0) {
        *ret_response = cb_family_answer(call, req, r, NULL, &err);
        return 0;
    }
    /* Only a family's own daemon-mode functions have a start (cb_family_way). */
    start = call->process_mode ? NULL : find_start(family, call->module, call->function);
    if (start && start(call, a) > 0) {
        return 1;
    }
    call->checked = true; /* the worker runs it on these params */
    return 0;
}

mode_t cb_call_umask(const struct cb_call *call)
{
    json_t *v = call->env ? json_object_get(call->env, "umask") : NULL;

    if (json_is_integer(v) && json_integer_value(v) >= 0 && json_integer_value(v) <= 0777) {
        return (mode_t)json_integer_value(v);
    }
    return 022;
}
