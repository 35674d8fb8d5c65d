/* SPDX-License-Identifier: MIT */
/* An instance's account of its channels' calls, folded small for the router's status poll. */
#include "common/cb-meter.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cb-macro.h"
#include "common/cb-time.h"

#define SLOTS       1024 /* distinct (function, code, bucket) between two polls */
#define KEPT_ERRORS 64
#define KEPT_EVENTS 64
#define TEXT_MAX    160

struct slot {
    const char *module, *function;
    int code;
    bool rejected;
    uint16_t bucket;
    uint64_t n, usec_sum;
};

struct kept_error {
    const char *module, *function;
    int code;
    bool rejected;
    uint64_t usec, realtime_usec;
    char error[TEXT_MAX];
};

struct kept_event {
    char type[24], severity[8], module_function[96], parameter[64], reason[TEXT_MAX];
    uid_t uid;
    pid_t pid;
    uint64_t realtime_usec;
};

struct cb_meter {
    struct slot slots[SLOTS];
    size_t used;
    uint64_t unfolded; /* calls past a full table: counted, without their detail */
    struct kept_error errors[KEPT_ERRORS];
    size_t n_errors;
    struct kept_event events[KEPT_EVENTS];
    size_t n_events;
    struct event_count {
        const char *type, *severity;
        uint64_t n;
    } event_counts[32];
    size_t n_event_counts;
};

const char *cb_meter_event_type(enum cb_error_code code, const char **ret_severity)
{
    switch (code) {
    case CB_E_UNKNOWN_MODULE:
        *ret_severity = "medium";
        return "unknown_module";
    case CB_E_UNKNOWN_FUNCTION:
        *ret_severity = "medium";
        return "unknown_function";
    case CB_E_DENIED:
        *ret_severity = "high";
        return "denied";
    case CB_E_THROTTLED:
        *ret_severity = "low";
        return "throttled";
    case CB_E_HANDLE:
        /* Refused before any handler only for another uid's handle. */
        *ret_severity = "high";
        return "foreign_handle";
    default:
        return NULL;
    }
}

static void count_event(struct cb_meter *m, const char *type, const char *severity)
{
    size_t i;

    for (i = 0; i < m->n_event_counts; i++) {
        struct event_count *e = &m->event_counts[i];

        if (strcmp(e->type, type) == 0 && strcmp(e->severity, severity) == 0) {
            e->n++;
            return;
        }
    }
    if (i < CB_ELEMENTSOF(m->event_counts)) {
        m->event_counts[m->n_event_counts++] =
                (struct event_count){ .type = type, .severity = severity, .n = 1 };
    }
}

size_t cb_meter_bucket(uint64_t usec)
{
    unsigned msb;
    size_t b;

    if (usec < 8) {
        return (size_t)usec;
    }
    msb = 63u - (unsigned)__builtin_clzll(usec);
    b = (size_t)(msb - 2) * 8 + ((usec >> (msb - 3)) & 7);
    return b < CB_METER_BUCKETS ? b : CB_METER_BUCKETS - 1;
}

struct cb_meter *cb_meter_new(void)
{
    return calloc(1, sizeof(struct cb_meter));
}

void cb_meter_free(struct cb_meter *m)
{
    free(m);
}

static size_t hash_slot(const struct cb_meter_call *c, size_t bucket)
{
    uintptr_t h = (uintptr_t)c->function * 31u + (uintptr_t)c->module;

    h = h * 131u + (uintptr_t)(c->code + 1) * 7u + bucket + (c->rejected ? 977u : 0u);
    return (size_t)(h % SLOTS);
}

static bool slot_is(const struct slot *s, const struct cb_meter_call *c, size_t bucket)
{
    return s->n > 0 && s->module == c->module && s->function == c->function && s->code == c->code &&
           s->rejected == c->rejected && s->bucket == bucket;
}

void cb_meter_record(struct cb_meter *m, const struct cb_meter_call *c)
{
    size_t bucket = cb_meter_bucket(c->usec);
    size_t i = hash_slot(c, bucket);

    for (size_t probe = 0; probe < SLOTS; probe++, i = (i + 1) % SLOTS) {
        struct slot *s = &m->slots[i];

        if (slot_is(s, c, bucket)) {
            s->n++;
            s->usec_sum += c->usec;
            break;
        }
        if (s->n == 0) {
            *s = (struct slot){ .module = c->module,
                                .function = c->function,
                                .code = c->code,
                                .rejected = c->rejected,
                                .bucket = (uint16_t)bucket,
                                .n = 1,
                                .usec_sum = c->usec };
            m->used++;
            break;
        }
        if (probe + 1 == SLOTS) {
            m->unfolded++;
        }
    }
    if (c->code >= 0) {
        struct kept_error *e = &m->errors[m->n_errors++ % KEPT_ERRORS];

        *e = (struct kept_error){ .module = c->module,
                                  .function = c->function,
                                  .code = c->code,
                                  .rejected = c->rejected,
                                  .usec = c->usec,
                                  .realtime_usec = cb_now_realtime_usec() };
        snprintf(e->error, sizeof e->error, "%s", c->error ? c->error : "");
    }
}

void cb_meter_event(struct cb_meter *m, const struct cb_meter_event *ev)
{
    struct kept_event *e = &m->events[m->n_events++ % KEPT_EVENTS];

    count_event(m, ev->type, ev->severity);
    *e = (struct kept_event){ .uid = ev->uid,
                              .pid = ev->pid,
                              .realtime_usec = cb_now_realtime_usec() };
    snprintf(e->type, sizeof e->type, "%s", ev->type);
    snprintf(e->severity, sizeof e->severity, "%s", ev->severity);
    snprintf(e->module_function, sizeof e->module_function, "%s", ev->module_function);
    snprintf(e->parameter, sizeof e->parameter, "%s", ev->parameter ? ev->parameter : "");
    snprintf(e->reason, sizeof e->reason, "%s", ev->reason ? ev->reason : "");
}

bool cb_meter_empty(const struct cb_meter *m)
{
    return m->used == 0 && m->unfolded == 0 && m->n_events == 0;
}

static json_t *code_json(int code)
{
    return code < 0 ? json_null() : json_string(cb_error_code_to_string(code));
}

static json_t *calls_json(const struct cb_meter *m)
{
    json_t *calls = json_array();

    for (size_t i = 0; calls && i < SLOTS; i++) {
        const struct slot *s = &m->slots[i];

        if (s->n == 0) {
            continue;
        }
        json_array_append_new(calls, json_pack("[s?, s?, o, b, i, I, I]", s->module, s->function,
                                               code_json(s->code), s->rejected, (int)s->bucket,
                                               (json_int_t)s->n, (json_int_t)s->usec_sum));
    }
    return calls;
}

static json_t *errors_json(const struct cb_meter *m)
{
    size_t n = m->n_errors < KEPT_ERRORS ? m->n_errors : KEPT_ERRORS;
    json_t *list = json_array();

    /* Oldest first, so the router's own ring ends with the newest. */
    for (size_t k = 0; list && k < n; k++) {
        const struct kept_error *e = &m->errors[(m->n_errors - n + k) % KEPT_ERRORS];

        json_array_append_new(list, json_pack("[s?, s?, o, b, I, s]", e->module, e->function,
                                              code_json(e->code), e->rejected, (json_int_t)e->usec,
                                              e->error));
    }
    return list;
}

static json_t *events_json(const struct cb_meter *m)
{
    size_t n = m->n_events < KEPT_EVENTS ? m->n_events : KEPT_EVENTS;
    json_t *list = json_array();

    for (size_t k = 0; list && k < n; k++) {
        const struct kept_event *e = &m->events[(m->n_events - n + k) % KEPT_EVENTS];

        json_array_append_new(list, json_pack("[s, s, s, s, s, i, i]", e->type, e->severity,
                                              e->module_function, e->parameter, e->reason,
                                              (int)e->uid, (int)e->pid));
    }
    return list;
}

static json_t *event_counts_json(const struct cb_meter *m)
{
    json_t *list = json_array();

    for (size_t i = 0; list && i < m->n_event_counts; i++) {
        const struct event_count *e = &m->event_counts[i];

        json_array_append_new(list, json_pack("[s, s, I]", e->type, e->severity, (json_int_t)e->n));
    }
    return list;
}

json_t *cb_meter_take(struct cb_meter *m)
{
    json_t *report;

    if (cb_meter_empty(m)) {
        return NULL;
    }
    report = json_pack("{s:o, s:o, s:o, s:o, s:I}", "calls", calls_json(m), "errors",
                       errors_json(m), "events", events_json(m), "event_counts",
                       event_counts_json(m), "unfolded", (json_int_t)m->unfolded);
    memset(m, 0, sizeof *m);
    return report;
}
