/* SPDX-License-Identifier: MIT */
/* Request counters, a log-scale latency histogram and the security event ring. */
#include "services/router/router-stats.h"

#include <stdio.h>
#include <string.h>

#include "common/cb-meter.h"
#include "common/cb-time.h"

/* Eight buckets per power of two: about 9% wide, so a reported quantile is within about 5%. */
size_t router_histogram_bucket(uint64_t usec)
{
    return cb_meter_bucket(usec);
}

static double bucket_middle(size_t b)
{
    unsigned msb;
    double low, width;

    if (b < 8) {
        return (double)b;
    }
    msb = (unsigned)(b / 8) + 2;
    width = (double)(1ULL << (msb - 3));
    low = (double)(1ULL << msb) + (double)(b % 8) * width;
    return low + width / 2;
}

void router_stats_init(struct router_stats *s)
{
    *s = (struct router_stats){
        .events_by_type = json_object(),
        .events_by_severity = json_object(),
    };
}

void router_stats_done(struct router_stats *s)
{
    json_decref(s->events_by_type);
    json_decref(s->events_by_severity);
}

void router_stats_answered(struct router_stats *s, int code, bool rejected, uint64_t usec)
{
    router_stats_answered_n(s, code, rejected, router_histogram_bucket(usec), 1, usec);
}

void router_stats_answered_n(struct router_stats *s,
                             int code,
                             bool rejected,
                             size_t bucket,
                             uint64_t n,
                             uint64_t usec_sum)
{
    s->requests_processed += n;
    s->latency.buckets[bucket] += n;
    s->latency.count += n;
    s->latency.sum_usec += usec_sum;
    if (code < 0) {
        return;
    }
    s->requests_failed += n;
    if (!rejected) {
        return;
    }
    switch (code) {
    case CB_E_PROTOCOL:
    case CB_E_TOO_LARGE:
    case CB_E_UNKNOWN_MODULE:
    case CB_E_UNKNOWN_FUNCTION:
    case CB_E_INVALID_PARAM:
    case CB_E_SECURITY:
        s->validation_failures += n;
        s->requests_rejected += n;
        break;
    case CB_E_DENIED:
    case CB_E_THROTTLED:
        s->requests_rejected += n;
        break;
    default:
        break;
    }
}

const char *router_stats_event_type(enum cb_error_code code, const char **ret_severity)
{
    return cb_meter_event_type(code, ret_severity);
}

static void bump(json_t *counts, const char *key, uint64_t n)
{
    json_t *v = json_object_get(counts, key);

    json_object_set_new(counts, key, json_integer((v ? json_integer_value(v) : 0) + (json_int_t)n));
}

void router_stats_event_keep(struct router_stats *s,
                             const char *type,
                             const char *severity,
                             const char *module_function,
                             const char *parameter,
                             const char *reason,
                             uid_t uid,
                             pid_t pid)
{
    struct router_event *e = &s->events[s->next_event++ % ROUTER_EVENT_RING];

    *e = (struct router_event){ .realtime_usec = cb_now_realtime_usec(), .uid = uid, .pid = pid };
    snprintf(e->type, sizeof e->type, "%s", type);
    snprintf(e->severity, sizeof e->severity, "%s", severity);
    snprintf(e->module_function, sizeof e->module_function, "%s", module_function);
    snprintf(e->reason, sizeof e->reason, "%s", reason);
    snprintf(e->parameter, sizeof e->parameter, "%s", parameter ? parameter : "");
}

void router_stats_event_count(struct router_stats *s,
                              const char *type,
                              const char *severity,
                              uint64_t n)
{
    s->security_events += n;
    bump(s->events_by_type, type, n);
    bump(s->events_by_severity, severity, n);
}

void router_stats_event(struct router_stats *s,
                        const char *type,
                        const char *severity,
                        const char *module_function,
                        const char *parameter,
                        const char *reason,
                        uid_t uid,
                        pid_t pid)
{
    router_stats_event_keep(s, type, severity, module_function, parameter, reason, uid, pid);
    router_stats_event_count(s, type, severity, 1);
}

void router_histogram_add_bucket(struct router_histogram *h, size_t bucket, uint64_t usec)
{
    h->buckets[bucket]++;
    h->count++;
    h->sum_usec += usec;
}

void router_histogram_merge(struct router_histogram *into, const struct router_histogram *h)
{
    for (size_t i = 0; i < ROUTER_HISTOGRAM_BUCKETS; i++) {
        into->buckets[i] += h->buckets[i];
    }
    into->count += h->count;
    into->sum_usec += h->sum_usec;
}

double router_histogram_quantile(const struct router_histogram *h, double q)
{
    uint64_t target, seen = 0;

    if (h->count == 0) {
        return 0;
    }
    target = (uint64_t)(q * (double)h->count);
    if (target >= h->count) {
        target = h->count - 1;
    }
    for (size_t b = 0; b < ROUTER_HISTOGRAM_BUCKETS; b++) {
        seen += h->buckets[b];
        if (seen > target) {
            return bucket_middle(b) / 1e6;
        }
    }
    return 0;
}

static json_t *event_json(const struct router_event *e)
{
    char when[CB_ISO_TIME_MAX];

    return json_pack("{s:s, s:s, s:s, s:s, s:s?, s:s, s:{s:i, s:i}}", "event_type", e->type,
                     "severity", e->severity, "timestamp",
                     cb_format_iso_time(e->realtime_usec, when, sizeof when), "module_function",
                     e->module_function, "parameter", e->parameter[0] ? e->parameter : NULL,
                     "reason", e->reason, "client_info", "uid", (int)e->uid, "pid", (int)e->pid);
}

json_t *router_stats_security_json(const struct router_stats *s)
{
    json_t *recent = json_array();
    size_t n = s->next_event < 10 ? s->next_event : 10;

    for (size_t i = 0; i < n; i++) {
        size_t k = (s->next_event - 1 - i) % ROUTER_EVENT_RING;

        json_array_append_new(recent, event_json(&s->events[k]));
    }
    return json_pack("{s:I, s:O, s:O, s:o}", "total_events", (json_int_t)s->security_events,
                     "events_by_type", s->events_by_type, "events_by_severity",
                     s->events_by_severity, "recent_events", recent);
}
