/* SPDX-License-Identifier: MIT */
/*
 * Calls that report counts (system.stats, metrics, performance, health) wait until every
 * instance with channels has sent its latest report, so that a script sees every call it
 * made on a channel counted, exactly as if the router had relayed it.
 */
#include "services/router/router-internal.h"

#include <stdlib.h>
#include <string.h>

#include "common/cb-time.h"

/* An instance that does not answer delays these calls no more than this. An instance answers
 * a status poll at once from its loop, but a loaded machine may keep it from running for a
 * while, and a count missed is a wrong answer, so the wait is generous. */
#define PARK_MAX_USEC (3 * CB_USEC_PER_SEC)

struct router_parked {
    struct router_parked *next;
    struct client *client;
    char *payload;
    size_t len;
};

static bool reports_counts(const struct cb_function *f)
{
    static const char *const names[] = { "stats", "metrics", "performance", "health", NULL };
    const char *name = f->alias_of ? strchr(f->alias_of, '.') + 1 : f->name;

    for (size_t i = 0; names[i]; i++) {
        if (strcmp(name, names[i]) == 0) {
            return true;
        }
    }
    return false;
}

static bool has_channels(const struct upstream *u)
{
    return u->state == UPSTREAM_READY && router_upstream_serves_channels(u);
}

/* Whether some instance with channels still owes a report asked for after the call came. */
static bool reports_owed(struct router *r)
{
    size_t state = 0;
    const char *key;
    void *value;

    while (cb_hashmap_iterate(r->upstreams, &state, &key, &value)) {
        const struct upstream *u = value;

        if (has_channels(u) && (u->polling || u->repoll)) {
            return true;
        }
    }
    return false;
}

static void ask_reports(struct router *r)
{
    size_t state = 0;
    const char *key;
    void *value;

    while (cb_hashmap_iterate(r->upstreams, &state, &key, &value)) {
        struct upstream *u = value;

        if (!has_channels(u)) {
            continue;
        }
        if (u->polling) {
            u->repoll = true; /* that answer may predate the call: ask once more after it */
        } else {
            router_upstream_poll_status(u);
        }
    }
}

static void resume_all(struct router *r)
{
    struct router_parked *list = r->parked;

    r->parked = NULL;
    r->park_timer = sd_event_source_disable_unref(r->park_timer);
    r->reports_fresh = true;
    while (list) {
        struct router_parked *p = list;

        list = p->next;
        if (!p->client->closed) {
            router_dispatch_frame(p->client, p->payload, p->len);
        }
        router_client_unref(p->client);
        free(p->payload);
        free(p);
    }
    r->reports_fresh = false;
}

static int on_park_timeout(sd_event_source *s CB_UNUSED, uint64_t usec CB_UNUSED, void *userdata)
{
    resume_all(userdata);
    return 0;
}

bool router_park(struct client *c, const struct cb_function *f, const char *payload, size_t len)
{
    struct router *r = c->router;
    struct router_parked *p;

    if (r->reports_fresh || !reports_counts(f)) {
        return false;
    }
    ask_reports(r);
    if (!reports_owed(r)) {
        return false;
    }
    p = calloc(1, sizeof *p);
    if (p) {
        p->payload = malloc(len ? len : 1);
    }
    if (!p || !p->payload) {
        free(p);
        return false; /* answered at once, without the latest reports */
    }
    memcpy(p->payload, payload, len);
    p->len = len;
    p->client = c;
    c->refs++;
    p->next = r->parked;
    r->parked = p;
    if (!r->park_timer) {
        (void)sd_event_add_time_relative(r->event, &r->park_timer, CLOCK_MONOTONIC, PARK_MAX_USEC,
                                         0, on_park_timeout, r);
    }
    return true;
}

void router_parked_report_arrived(struct router *r)
{
    if (r->parked && !reports_owed(r)) {
        resume_all(r);
    }
}

void router_parked_free(struct router *r)
{
    while (r->parked) {
        struct router_parked *p = r->parked;

        r->parked = p->next;
        router_client_unref(p->client);
        free(p->payload);
        free(p);
    }
    r->park_timer = sd_event_source_disable_unref(r->park_timer);
}
