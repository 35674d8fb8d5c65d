/* SPDX-License-Identifier: MIT */
/* The per-uid limits' arithmetic. Past one, a call gets E_THROTTLED naming the limit. */
#include "common/cb-budget.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/cb-macro.h"
#include "common/cb-time.h"

void cb_budget_init(struct cb_budget *b, const struct cb_config *c)
{
    *b = (struct cb_budget){ .tokens = (double)c->request_burst,
                             .refill_usec = cb_now_monotonic_usec() };
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

int cb_budget_admit_connection(const struct cb_budget *b,
                               const struct cb_config *c,
                               uid_t uid,
                               struct cb_error *err)
{
    if (b->connections >= c->max_connections_per_uid) {
        return throttle(err, 1000, "uid %u has %llu connections open (max_connections_per_uid)",
                        (unsigned)uid, (unsigned long long)b->connections);
    }
    return 0;
}

static void refill(struct cb_budget *b, const struct cb_config *c, uint64_t now)
{
    double rate = (double)c->max_requests_per_second;
    double burst = (double)c->request_burst;

    b->tokens += rate * (double)(now - b->refill_usec) / 1e6;
    if (b->tokens > burst) {
        b->tokens = burst;
    }
    b->refill_usec = now;
}

int cb_budget_admit_request(struct cb_budget *b,
                            const struct cb_config *c,
                            uid_t uid,
                            struct cb_error *err)
{
    refill(b, c, cb_now_monotonic_usec());
    if (b->tokens < 1.0) {
        /* The time until the bucket holds one request again. */
        int64_t wait = (int64_t)((1.0 - b->tokens) * 1000.0 / (double)c->max_requests_per_second) +
                       1;

        return throttle(err, wait,
                        "uid %u sends more than %llu requests per second (max_requests_per_second)",
                        (unsigned)uid, (unsigned long long)c->max_requests_per_second);
    }
    if (b->inflight >= c->max_inflight_per_uid) {
        return throttle(err, 10, "uid %u has %llu requests in flight (max_inflight_per_uid)",
                        (unsigned)uid, (unsigned long long)b->inflight);
    }
    if (b->buffered >= c->max_buffered_per_uid) {
        return throttle(
                err, 100,
                "uid %u has %llu bytes of requests and answers held (max_buffered_bytes_per_uid)",
                (unsigned)uid, (unsigned long long)b->buffered);
    }
    b->tokens -= 1.0;
    return 0;
}
