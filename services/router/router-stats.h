/* SPDX-License-Identifier: MIT */
/* The router's counters (API.md 3.2), latency histogram and ring of security events. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "common/cb-error.h"

#define ROUTER_HISTOGRAM_BUCKETS 320 /* CB_METER_BUCKETS: 8 per power of two, up to 2^40 us */
#define ROUTER_EVENT_RING        64

struct router_histogram {
    uint64_t buckets[ROUTER_HISTOGRAM_BUCKETS];
    uint64_t count;
    uint64_t sum_usec;
};

struct router_event {
    char type[24];
    char severity[8];
    uint64_t realtime_usec;
    char module_function[96];
    char parameter[64];
    char reason[160];
    uid_t uid;
    pid_t pid;
};

struct router_stats {
    uint64_t requests_processed;
    uint64_t requests_failed;
    uint64_t requests_rejected;
    uint64_t validation_failures;
    uint64_t security_events;
    uint64_t connections_total;
    uint64_t connections_rejected;
    uint64_t peak_connections;
    uint64_t channels_opened; /* connections handed to instances (system.channel) */
    struct router_histogram latency;
    struct router_event events[ROUTER_EVENT_RING];
    size_t next_event;
    json_t *events_by_type;     /* type -> count */
    json_t *events_by_severity; /* severity -> count */
};

void router_stats_init(struct router_stats *s);
void router_stats_done(struct router_stats *s);

/*
 * Counts one answered request. `code` is the error code, or -1 for success; `rejected`
 * says the router refused it before any instance saw it (API.md 3.2).
 */
void router_stats_answered(struct router_stats *s, int code, bool rejected, uint64_t usec);
/* The same for n answers in one latency bucket, as instances report their channels' calls. */
void router_stats_answered_n(struct router_stats *s,
                             int code,
                             bool rejected,
                             size_t bucket,
                             uint64_t n,
                             uint64_t usec_sum);

/* Records a security event (counted, kept in the ring, and logged by the caller). */
void router_stats_event(struct router_stats *s,
                        const char *type,
                        const char *severity,
                        const char *module_function,
                        const char *parameter,
                        const char *reason,
                        uid_t uid,
                        pid_t pid);

/* The two halves of it: the ring's detail, and the counters (n events at once). */
void router_stats_event_keep(struct router_stats *s,
                             const char *type,
                             const char *severity,
                             const char *module_function,
                             const char *parameter,
                             const char *reason,
                             uid_t uid,
                             pid_t pid);
void router_stats_event_count(struct router_stats *s,
                              const char *type,
                              const char *severity,
                              uint64_t n);
/* The event type of a refusal with this code, or NULL when it is no security event. */
const char *router_stats_event_type(enum cb_error_code code, const char **ret_severity);

/* The histogram bucket of a latency, and adding to or merging histograms. */
size_t router_histogram_bucket(uint64_t usec);
void router_histogram_add_bucket(struct router_histogram *h, size_t bucket, uint64_t usec);
void router_histogram_merge(struct router_histogram *into, const struct router_histogram *h);

/* Quantile q (0..1) of the latency histogram, in seconds. */
double router_histogram_quantile(const struct router_histogram *h, double q);

json_t *router_stats_security_json(const struct router_stats *s);
