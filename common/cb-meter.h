/* SPDX-License-Identifier: MIT */
/*
 * What an instance tells the router about the calls its channels answered, so that the
 * router's counters, metrics and security events cover every call (DESIGN.md "Channels").
 * Calls are folded by function, code and latency bucket; error texts and security events
 * keep the latest few. The router takes a report with each status poll.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "common/cb-error.h"

#define CB_METER_BUCKETS 320 /* 8 per power of two, up to 2^40 us */

struct cb_meter;

struct cb_meter_call {
    const char *module; /* primary names, NULL when the request named none known */
    const char *function;
    int code;      /* -1 on success */
    bool rejected; /* refused before any handler ran */
    uint64_t usec;
    const char *error; /* the error text, or NULL */
};

struct cb_meter_event {
    const char *type; /* static: an inspection's kind, or cb_meter_event_type()'s */
    const char *severity;
    const char *module_function;
    const char *parameter;
    const char *reason;
    uid_t uid;
    pid_t pid;
};

/* The security event a refusal with this code is (with its severity), or NULL for none. */
const char *cb_meter_event_type(enum cb_error_code code, const char **ret_severity);

/* The latency histogram's bucket for a duration (shared with the router's histograms). */
size_t cb_meter_bucket(uint64_t usec);

struct cb_meter *cb_meter_new(void);
void cb_meter_free(struct cb_meter *m);
void cb_meter_record(struct cb_meter *m, const struct cb_meter_call *c);
void cb_meter_event(struct cb_meter *m, const struct cb_meter_event *e);
bool cb_meter_empty(const struct cb_meter *m);
/* The report since the last one (NULL when nothing happened), and a fresh start. */
json_t *cb_meter_take(struct cb_meter *m);
