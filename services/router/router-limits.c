/* SPDX-License-Identifier: MIT */
/*
 * Per-uid limits (DESIGN.md "Security"): connections, requests in flight, requests per second
 * (a token bucket) and bytes held. Past one, a call gets E_THROTTLED naming the limit, with
 * retry_after_ms. Defaults are generous; normal work never meets them.
 */
#include "services/router/router-internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/cb-time.h"

struct router_uid *router_uid_get(struct router *r, uid_t uid)
{
    struct router_uid *u = cb_hashmap_get_u64(r->uids, uid);

    if (u) {
        return u;
    }
    u = calloc(1, sizeof *u);
    if (!u) {
        return NULL;
    }
    u->uid = uid;
    u->tokens = (double)r->config->request_burst;
    u->refill_usec = cb_now_monotonic_usec();
    if (cb_hashmap_put_u64(r->uids, uid, u) < 0) {
        free(u);
        return NULL;
    }
    return u;
}

/* Frees a uid's record once nothing of it is left, so idle uids cost no memory. */
void router_uid_release(struct router *r, struct router_uid *u)
{
    if (u->connections == 0 && u->inflight == 0 && u->buffered == 0) {
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

static int throttle(struct cb_error *err, int64_t retry_after_ms, const char *fmt, ...)
        CB_PRINTF(3, 4);

static int throttle(struct cb_error *err, int64_t retry_after_ms, const char *fmt, ...)
{
    char *text = NULL;
    va_list ap;
    int k;

    va_start(ap, fmt);
    if (vasprintf(&text, fmt, ap) < 0) {
        text = NULL;
    }
    va_end(ap);
    k = cb_error_set(err, CB_E_THROTTLED, "%s", text ? text : "a per-uid limit was reached");
    err->retry_after_ms = retry_after_ms;
    free(text);
    return k;
}

int router_limits_admit_connection(struct router *r, struct router_uid *u, struct cb_error *err)
{
    if (u->connections >= r->config->max_connections_per_uid) {
        return throttle(err, 1000, "uid %u has %llu connections open (max_connections_per_uid)",
                        (unsigned)u->uid, (unsigned long long)u->connections);
    }
    return 0;
}

static void refill(struct router *r, struct router_uid *u, uint64_t now)
{
    double rate = (double)r->config->max_requests_per_second;
    double burst = (double)r->config->request_burst;

    u->tokens += rate * (double)(now - u->refill_usec) / 1e6;
    if (u->tokens > burst) {
        u->tokens = burst;
    }
    u->refill_usec = now;
}

int router_limits_admit_request(struct router *r, struct router_uid *u, struct cb_error *err)
{
    const struct cb_config *c = r->config;
    uint64_t now = cb_now_monotonic_usec();

    refill(r, u, now);
    if (u->tokens < 1.0) {
        /* The time until the bucket holds one request again. */
        int64_t wait = (int64_t)((1.0 - u->tokens) * 1000.0 / (double)c->max_requests_per_second) +
                       1;

        return throttle(err, wait,
                        "uid %u sends more than %llu requests per second (max_requests_per_second)",
                        (unsigned)u->uid, (unsigned long long)c->max_requests_per_second);
    }
    if (u->inflight >= c->max_inflight_per_uid) {
        return throttle(err, 10, "uid %u has %llu requests in flight (max_inflight_per_uid)",
                        (unsigned)u->uid, (unsigned long long)u->inflight);
    }
    if (u->buffered >= c->max_buffered_per_uid) {
        return throttle(
                err, 100,
                "uid %u has %llu bytes of requests and answers held (max_buffered_bytes_per_uid)",
                (unsigned)u->uid, (unsigned long long)u->buffered);
    }
    u->tokens -= 1.0;
    return 0;
}
