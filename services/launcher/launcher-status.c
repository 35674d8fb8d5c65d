/* SPDX-License-Identifier: MIT */
/* The answer to the control "status" operation: every daemon and every family. */
#include "launcher-internal.h"

#include <stdlib.h>

static json_t *pid_or_null(const struct lc_daemon *d)
{
    return d->pid > 0 ? json_integer(d->pid) : json_null();
}

static json_t *string_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

static json_t *daemon_status(const struct lc_daemon *d)
{
    json_t *o = json_pack("{s:o, s:s, s:I, s:b, s:o, s:o, s:s}", "pid", pid_or_null(d), "state",
                          lc_state_name(d->state), "restarts", (json_int_t)d->restarts, "ready",
                          d->ready, "status", string_or_null(d->status), "last_failure_usec",
                          d->last_failure_usec ? json_integer((json_int_t)d->last_failure_usec)
                                               : json_null(),
                          "socket", d->socket_path);

    if (o && d->family) {
        json_object_set_new(o, "family", json_string(d->family));
        json_object_set_new(o, "uid", json_integer((json_int_t)d->uid));
    }
    return o;
}

static json_t *families_status(struct launcher *l)
{
    json_t *a = json_array();

    for (size_t i = 0; a && i < l->n_families; i++) {
        char *binary = lc_pathf(l->opts->bin_dir, "cpan-bridge-%s", l->families[i].name);

        json_array_append_new(a, json_pack("{s:s, s:b}", "name", l->families[i].name, "installed",
                                           binary && lc_is_executable(binary)));
        free(binary);
    }
    return a;
}

json_t *lc_status(struct launcher *l)
{
    json_t *instances = json_array();

    for (struct lc_daemon *d = l->instances; instances && d; d = d->next) {
        json_array_append_new(instances, daemon_status(d));
    }
    lc_families_scan(l);
    return json_pack("{s:b, s:o, s:o, s:o}", "ok", 1, "router", daemon_status(l->router),
                     "instances", instances, "families", families_status(l));
}
