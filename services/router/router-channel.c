/* SPDX-License-Identifier: MIT */
/*
 * system.channel: once the router has authorized a connection, it hands it to the caller's
 * instance of one family (SCM_RIGHTS), which answers it directly from then on. The relay
 * hop, two of a call's four wake-ups, is gone; the instance validates as the router does.
 */
#include "services/router/router-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "common/cb-json.h"
#include "common/cb-time.h"

/* The modules of the family this caller may use, the instance refuses the rest. */
static json_t *allowed_modules(struct client *c, const char *family)
{
    size_t n;
    const struct cb_module *mods = cb_catalogue_modules(&n);
    json_t *list = json_array();

    for (size_t i = 0; list && i < n; i++) {
        if (strcmp(mods[i].family, family) == 0 &&
            router_access_module_allowed(&c->router->access, mods[i].name, c->uid, c->groups,
                                         c->n_groups)) {
            json_array_append_new(list, json_string(mods[i].name));
        }
    }
    return list;
}

static int check_connection_fresh(struct client *c, struct cb_error *err)
{
    /* The instance takes the stream as it stands: nothing of it may be left here. */
    if (c->requests != 1 || c->inflight > 0 || cb_buf_pending(&c->in) > 0 ||
        cb_buf_pending(&c->out) > 0) {
        return cb_error_set(
                err, CB_E_INVALID_PARAM,
                "system.channel must be the only request on a new connection, sent alone");
    }
    return 0;
}

static json_t *adopt_frame(struct client *c,
                           const struct cb_request *req,
                           json_t *modules,
                           const char *request_id)
{
    const char *token = req->session ? req->session : c->own_token;
    json_t *o;

    o = json_pack("{s:s, s:O?, s:s, s:{s:i, s:i, s:i}, s:o, s:s}", "_control", "adopt",
                  "_client_id", req->id, "session", token, "peer", "uid", (int)c->uid, "gid",
                  (int)c->gid, "pid", (int)c->pid, "_modules", modules, "request_id", request_id);
    if (o && req->session_env) {
        json_object_set(o, "env", req->session_env);
    }
    return o;
}

int router_channel_open(struct client *c,
                        const struct cb_request *req,
                        json_t *params,
                        uint64_t start_usec,
                        struct cb_error *err)
{
    struct router *r = c->router;
    const char *name = cb_json_get_string(params, "module", "");
    const struct cb_module *m = cb_catalogue_find_module(name);
    const struct cb_family_info *family;
    size_t n_families;
    struct upstream *u;
    json_t *modules, *o;
    char rid[40];
    int fd, k;

    if (!m) {
        return cb_error_set(err, CB_E_INVALID_PARAM, "parameter 'module' names no module");
    }
    family = cb_catalogue_find_family(m->family);
    if (!family) {
        return cb_error_set(err, CB_E_INVALID_PARAM,
                            "module '%s' is answered by the router itself: it has no channel",
                            m->name);
    }
    if (!router_access_module_allowed(&r->access, m->name, c->uid, c->groups, c->n_groups)) {
        return cb_error_set(err, CB_E_DENIED,
                            "uid %u may not use module '%s' (see [modules] in cpan-bridge.conf)",
                            (unsigned)c->uid, m->name);
    }
    k = router_check_instance_uid(r, c, m, err);
    if (k >= 0) {
        k = check_connection_fresh(c, err);
    }
    if (k < 0) {
        return k;
    }
    u = router_upstream_get(r, family, (size_t)(family - cb_catalogue_families(&n_families)),
                            c->uid);
    modules = allowed_modules(c, m->family);
    fd = fcntl(c->fd, F_DUPFD_CLOEXEC, 3);
    router_new_request_id(r, rid, sizeof rid);
    o = u && modules && fd >= 0 ? adopt_frame(c, req, json_incref(modules), rid) : NULL;
    json_decref(modules);
    if (!o || router_upstream_adopt(u, o, fd) < 0) {
        json_decref(o);
        if (fd >= 0) {
            close(fd);
        }
        return cb_error_set(err, CB_E_INTERNAL, "out of memory handing the connection over");
    }
    json_decref(o);

    /* The instance answers this request; the router forgets the connection, keeping no
     * session of it (the channel holds its session in the instance). Not counted among
     * requests: it is the client's plumbing, not a call of the script's. */
    router_log_answer(c, "system", "channel", rid, req->session, start_usec, NULL);
    r->stats.channels_opened++;
    router_client_close(c);
    return 0;
}
