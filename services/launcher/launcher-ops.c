/* SPDX-License-Identifier: MIT */
/* The control operations: "start" an instance's socket, and "status" of everything. */
#include "launcher-internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/cb-error.h"
#include "common/cb-json.h"
#include "common/cb-log.h"

#define UID_MAX_VALID 4294967294LL /* (uid_t)-1 means "no uid" to the kernel */

static json_t *fail(const char *format, ...) CB_PRINTF(1, 2);

static json_t *fail(const char *format, ...)
{
    char message[256];
    va_list ap;

    va_start(ap, format);
    vsnprintf(message, sizeof message, format, ap);
    va_end(ap);
    return json_pack("{s:b, s:s}", "ok", 0, "error", message);
}

static struct lc_daemon *instance_find(struct launcher *l, const char *family, uid_t uid)
{
    for (struct lc_daemon *d = l->instances; d; d = d->next) {
        if (d->uid == uid && strcmp(d->family, family) == 0) {
            return d;
        }
    }
    return NULL;
}

/* Kept in the order they were asked for, which is the order "status" shows. */
static void instance_append(struct launcher *l, struct lc_daemon *d)
{
    struct lc_daemon **p = &l->instances;

    while (*p) {
        p = &(*p)->next;
    }
    *p = d;
}

static json_t *check_family(struct launcher *l, const char *family)
{
    CB_CLEANUP(cb_freep) char *binary = NULL;

    if (!lc_family_name_valid(family) || !lc_family_find(l, family)) {
        return fail("unknown family '%s'", family);
    }
    binary = lc_pathf(l->opts->bin_dir, "cpan-bridge-%s", family);
    if (!binary) {
        return NULL;
    }
    if (!lc_is_executable(binary)) {
        json_t *answer = fail("family '%s' is not installed", family);

        json_object_set_new(answer, "not_installed", json_true());
        return answer;
    }
    return json_null();
}

static json_t *op_start(struct launcher *l, const json_t *req)
{
    const json_t *jfamily = json_object_get(req, "family");
    const json_t *juid = json_object_get(req, "uid");
    struct lc_daemon *d;
    json_t *refusal;
    int r;

    if (!json_is_string(jfamily)) {
        return fail("%s is missing or not a string", "family");
    }
    if (!json_is_integer(juid) || json_integer_value(juid) < 0 ||
        json_integer_value(juid) > UID_MAX_VALID) {
        return fail("%s is missing or not a valid uid", "uid");
    }
    refusal = check_family(l, json_string_value(jfamily));
    if (!json_is_null(refusal)) {
        return refusal;
    }

    d = instance_find(l, json_string_value(jfamily), (uid_t)json_integer_value(juid));
    if (!d) {
        r = lc_daemon_new(l, json_string_value(jfamily), (uid_t)json_integer_value(juid), &d);
        if (r < 0) {
            return fail("cannot create the instance socket: %s", strerror(-r));
        }
        instance_append(l, d);
        cb_log_info("listening on %s for %s", d->socket_path, d->what);
    }
    return json_pack("{s:b, s:s}", "ok", 1, "socket", d->socket_path);
}

static json_t *dispatch(struct launcher *l, const json_t *req)
{
    const char *op = cb_json_get_string(req, "op", NULL);

    if (!op) {
        return fail("%s is missing or not a string", "op");
    }
    if (l->stopping) {
        return fail("the launcher is stopping; '%s' refused", op);
    }
    if (strcmp(op, "start") == 0) {
        return op_start(l, req);
    }
    if (strcmp(op, "status") == 0) {
        return lc_status(l);
    }
    return fail("unknown op '%s'", op);
}

/* Returns the answer to one request; an "id" in the request is echoed for pipelining. */
json_t *lc_ops_handle(struct launcher *l, const char *payload, size_t len)
{
    struct cb_error err = CB_ERROR_INIT;
    CB_JSON_AUTO *req = NULL;
    json_t *answer;

    if (cb_json_parse(payload, len, &req, &err) < 0 || !json_is_object(req)) {
        answer = fail("%s", err.set ? err.message : "the request is not a JSON object");
        cb_error_clear(&err);
        return answer;
    }
    answer = dispatch(l, req);
    if (answer && json_object_get(req, "id")) {
        json_object_set(answer, "id", json_object_get(req, "id"));
    }
    return answer;
}
