/* SPDX-License-Identifier: MIT */
/*
 * Per-uid limits (DESIGN.md "Security") for what the router relays, kept per calling uid
 * (common/cb-budget.c does the arithmetic). Defaults are generous; normal work never meets them.
 */
#include "services/router/router-internal.h"

#include <stdlib.h>

#include "common/cb-budget.h"

struct router_uid *router_uid_get(struct router *r, uid_t uid)
{
    struct router_uid *u = cb_hashmap_get_u64(r->uids, uid);

    if (u) {
        u->holders++;
        return u;
    }
    u = calloc(1, sizeof *u);
    if (!u) {
        return NULL;
    }
    u->uid = uid;
    u->holders = 1;
    cb_budget_init(&u->b, r->config);
    if (cb_hashmap_put_u64(r->uids, uid, u) < 0) {
        free(u);
        return NULL;
    }
    return u;
}

/* Frees a uid's record once no client holds it, so idle uids cost no memory. Every client
 * holds it, counted under the limits or not: one refused at accept (over a limit) still
 * answers, and counts its bytes, when its first request or its stalled frame comes. */
void router_uid_release(struct router *r, struct router_uid *u)
{
    if (--u->holders == 0) {
        (void)cb_hashmap_remove_u64(r->uids, u->uid);
        free(u);
    }
}

void router_uids_free(struct router *r)
{
    size_t state = 0;
    const char *key;
    void *value;

    while (cb_hashmap_iterate(r->uids, &state, &key, &value)) {
        free(value);
    }
    cb_hashmap_free(r->uids);
    r->uids = NULL;
}

int router_limits_admit_connection(struct router *r, struct router_uid *u, struct cb_error *err)
{
    return cb_budget_admit_connection(&u->b, r->config, u->uid, err);
}

int router_limits_admit_request(struct router *r, struct router_uid *u, struct cb_error *err)
{
    return cb_budget_admit_request(&u->b, r->config, u->uid, err);
}
