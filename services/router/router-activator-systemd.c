/* SPDX-License-Identifier: MIT */
/*
 * The systemd activator: starts cpan-bridge-<family>@<uid>.socket through the manager's
 * D-Bus API (StartUnit), which the shipped polkit rule allows the router's user for ordinary
 * uids only. Once the socket listens, systemd starts the service on our connection.
 */
#include "services/router/router-internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <systemd/sd-bus.h>

#include "common/cb-log.h"

struct start_job {
    struct upstream *upstream;
    char *unit;
    char *job_path; /* known once StartUnit answered */
    struct start_job *next;
};

struct systemd_activator {
    sd_bus *bus;
    sd_bus_slot *job_removed;
    struct start_job *jobs;
};

static void job_free(struct start_job *j)
{
    free(j->unit);
    free(j->job_path);
    free(j);
}

static void job_unlink(struct systemd_activator *a, struct start_job *j)
{
    for (struct start_job **p = &a->jobs; *p; p = &(*p)->next) {
        if (*p == j) {
            *p = j->next;
            return;
        }
    }
}

static void job_finish(struct systemd_activator *a,
                       struct start_job *j,
                       int error,
                       const char *why,
                       bool not_installed)
{
    job_unlink(a, j);
    router_upstream_activated(j->upstream, error, why, not_installed);
    job_free(j);
}

/* JobRemoved(u id, o job, s unit, s result): "done" means the socket listens. */
static int on_job_removed(sd_bus_message *m, void *userdata, sd_bus_error *error CB_UNUSED)
{
    struct systemd_activator *a = userdata;
    const char *job, *unit, *result;
    uint32_t id;
    char why[256];

    if (sd_bus_message_read(m, "uoss", &id, &job, &unit, &result) < 0) {
        return 0;
    }
    for (struct start_job *j = a->jobs; j; j = j->next) {
        if (!j->job_path || strcmp(j->job_path, job) != 0) {
            continue;
        }
        if (strcmp(result, "done") == 0) {
            job_finish(a, j, 0, NULL, false);
        } else {
            snprintf(why, sizeof why,
                     "systemd could not start %s (job result '%s'; see journalctl -u %s)", unit,
                     result, unit);
            job_finish(a, j, -EIO, why, false);
        }
        break;
    }
    return 0;
}

static int on_start_reply(sd_bus_message *reply, void *userdata, sd_bus_error *error CB_UNUSED)
{
    struct start_job *j = userdata;
    struct systemd_activator *a = j->upstream->router->activator_data;
    const sd_bus_error *e = sd_bus_message_get_error(reply);
    const char *path;
    char why[320];

    if (e && sd_bus_error_has_name(e, "org.freedesktop.systemd1.NoSuchUnit")) {
        /* No unit file: the family's package is not installed on this host. */
        job_finish(a, j, -ENOENT, "family not installed", true);
        return 0;
    }
    if (e) {
        /* polkit's explicit NO is a policy decision; anything else is the suite unavailable. */
        bool refused = sd_bus_error_has_name(e, SD_BUS_ERROR_ACCESS_DENIED);

        snprintf(why, sizeof why, "systemd refused to start %s: %s%s", j->unit,
                 e->message ? e->message : e->name,
                 refused ? " (the polkit rule 60-cpan-bridge.rules does not allow it)"
                         : " (is the polkit rule 60-cpan-bridge.rules installed?)");
        cb_log_warning("%s", why);
        job_finish(a, j, refused ? -EACCES : -EIO, why, false);
        return 0;
    }
    if (sd_bus_message_read(reply, "o", &path) < 0 || !(j->job_path = strdup(path))) {
        job_finish(a, j, -EIO, "systemd answered StartUnit without a job", false);
    }
    return 0;
}

static int bus_open(struct router *r, struct systemd_activator *a)
{
    int k;

    k = sd_bus_open_system(&a->bus);
    if (k < 0) {
        return cb_log_error_errno(k, "Cannot reach the system bus to start instances");
    }
    k = sd_bus_attach_event(a->bus, r->event, SD_EVENT_PRIORITY_NORMAL);
    if (k >= 0) {
        /* Installed before any StartUnit, so that no job's end can be missed. */
        k = sd_bus_match_signal(a->bus, &a->job_removed, "org.freedesktop.systemd1",
                                "/org/freedesktop/systemd1", "org.freedesktop.systemd1.Manager",
                                "JobRemoved", on_job_removed, a);
    }
    if (k < 0) {
        a->bus = sd_bus_flush_close_unref(a->bus);
        return cb_log_error_errno(k, "Cannot watch systemd's jobs");
    }
    return 0;
}

static struct systemd_activator *activator_of(struct router *r)
{
    if (!r->activator_data) {
        r->activator_data = calloc(1, sizeof(struct systemd_activator));
    }
    return r->activator_data;
}

static int systemd_start(struct router *r, struct upstream *u)
{
    struct systemd_activator *a = activator_of(r);
    struct start_job *j;
    int k;

    if (!a) {
        return -ENOMEM;
    }
    if (!a->bus && (k = bus_open(r, a)) < 0) {
        router_upstream_activated(u, k, "cannot reach systemd's bus to start the instance", false);
        return 0;
    }

    j = calloc(1, sizeof *j);
    if (!j ||
        asprintf(&j->unit, "cpan-bridge-%s@%u.socket", u->family->name, (unsigned)u->uid) < 0) {
        free(j);
        return -ENOMEM;
    }
    j->upstream = u;
    j->next = a->jobs;
    a->jobs = j;

    k = sd_bus_call_method_async(a->bus, NULL, "org.freedesktop.systemd1",
                                 "/org/freedesktop/systemd1", "org.freedesktop.systemd1.Manager",
                                 "StartUnit", on_start_reply, j, "ss", j->unit, "replace");
    if (k < 0) {
        job_finish(a, j, k, "cannot ask systemd to start the instance", false);
    }
    return 0;
}

static void systemd_free(struct router *r)
{
    struct systemd_activator *a = r->activator_data;

    if (!a) {
        return;
    }
    while (a->jobs) {
        struct start_job *j = a->jobs;

        a->jobs = j->next;
        job_free(j);
    }
    sd_bus_slot_unref(a->job_removed);
    sd_bus_flush_close_unref(a->bus);
    free(a);
    r->activator_data = NULL;
}

const struct activator_ops router_activator_systemd = {
    .name = "systemd",
    .start = systemd_start,
    .free = systemd_free,
};
