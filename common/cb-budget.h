/* SPDX-License-Identifier: MIT */
/*
 * A uid's share under [limits] (DESIGN.md "Security"): connections, requests in flight,
 * requests per second (a token bucket) and bytes held. The router keeps one per calling uid
 * for what it relays; an instance keeps one for its channels, since it serves one uid.
 */
#pragma once

#include <stdint.h>
#include <sys/types.h>

#include "common/cb-config.h"
#include "common/cb-error.h"

struct cb_budget {
    unsigned connections;
    unsigned inflight;
    uint64_t buffered; /* answers not yet written plus requests not yet answered, bytes */
    double tokens;     /* the request-rate bucket */
    uint64_t refill_usec;
};

void cb_budget_init(struct cb_budget *b, const struct cb_config *c);
/* 0, or E_THROTTLED naming the limit, with retry_after_ms. */
int cb_budget_admit_connection(const struct cb_budget *b,
                               const struct cb_config *c,
                               uid_t uid,
                               struct cb_error *err);
/* Takes one request from the bucket when admitted. */
int cb_budget_admit_request(struct cb_budget *b,
                            const struct cb_config *c,
                            uid_t uid,
                            struct cb_error *err);
