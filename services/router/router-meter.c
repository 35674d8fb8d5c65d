/* SPDX-License-Identifier: MIT */
/*
 * Instances' reports of their channels' calls (common/cb-meter.h), folded into the router's
 * own counters, metrics and security events as if the router had relayed those calls. A
 * report comes from a process running as a user: every value is checked before it counts.
 */
#include "services/router/router-internal.h"

#include <string.h>

#include "common/cb-inspect.h"
#include "common/cb-json.h"
#include "common/cb-meter.h"
#include "common/cb-time.h"

/* The catalogue's own spelling of a name an instance reported, or NULL when it has none. */
static bool known_names(json_t *module,
                        json_t *function,
                        const struct cb_module **ret_m,
                        const struct cb_function **ret_f)
{
    *ret_m = NULL;
    *ret_f = NULL;
    if (!json_is_string(module) || !json_is_string(function)) {
        return true; /* counted as a request that named nothing known */
    }
    return cb_catalogue_resolve(json_string_value(module), json_string_value(function), ret_m,
                                ret_f, NULL) >= 0;
}

static int code_of(json_t *v)
{
    if (json_is_null(v)) {
        return -1;
    }
    int code = cb_error_code_from_string(json_is_string(v) ? json_string_value(v) : "");
    return code < 0 ? CB_E_INTERNAL : code;
}

static void merge_calls(struct router *r, json_t *calls, uint64_t now)
{
    size_t i;
    json_t *e;

    json_array_foreach(calls, i, e)
    {
        const struct cb_module *m;
        const struct cb_function *f;
        json_int_t bucket = json_integer_value(json_array_get(e, 4));
        json_int_t n = json_integer_value(json_array_get(e, 5));
        json_int_t usec = json_integer_value(json_array_get(e, 6));
        struct metrics_answer a;

        if (!json_is_array(e) || json_array_size(e) != 7 || bucket < 0 ||
            bucket >= ROUTER_HISTOGRAM_BUCKETS || n <= 0 || usec < 0 ||
            !known_names(json_array_get(e, 0), json_array_get(e, 1), &m, &f)) {
            continue;
        }
        a = (struct metrics_answer){ .module = m ? m->name : NULL,
                                     .function = f ? f->name : NULL,
                                     .code = code_of(json_array_get(e, 2)) };
        router_stats_answered_n(&r->stats, a.code, json_is_true(json_array_get(e, 3)),
                                (size_t)bucket, (uint64_t)n, (uint64_t)usec);
        router_metrics_record_n(&r->metrics, &a, (size_t)bucket, (uint64_t)n, (uint64_t)usec, now);
    }
}

static void merge_errors(struct router *r, json_t *errors)
{
    size_t i;
    json_t *e;

    json_array_foreach(errors, i, e)
    {
        const struct cb_module *m;
        const struct cb_function *f;
        struct metrics_answer a;

        if (!json_is_array(e) || json_array_size(e) != 6 ||
            !known_names(json_array_get(e, 0), json_array_get(e, 1), &m, &f)) {
            continue;
        }
        a = (struct metrics_answer){ .module = m ? m->name : NULL,
                                     .function = f ? f->name : NULL,
                                     .code = code_of(json_array_get(e, 2)),
                                     .usec = (uint64_t)json_integer_value(json_array_get(e, 4)),
                                     .error = json_string_value(json_array_get(e, 5)) };
        if (a.code >= 0) {
            router_metrics_remember_error(&r->metrics, &a);
        }
    }
}

/* Event types and severities become keys of the router's counters: only known ones count. */
static const char *known_type(json_t *v)
{
    static const char *const codes[] = { "unknown_module", "unknown_function", "denied",
                                         "throttled",      "foreign_handle",   NULL };
    const char *type = json_string_value(v);

    if (!type) {
        return NULL;
    }
    for (size_t i = 0; codes[i]; i++) {
        if (strcmp(type, codes[i]) == 0) {
            return codes[i];
        }
    }
    for (int k = CB_INSPECT_SQL_INJECTION; k < _CB_INSPECT_MAX; k++) {
        if (strcmp(type, cb_inspect_kind_to_string((enum cb_inspect_kind)k)) == 0) {
            return cb_inspect_kind_to_string((enum cb_inspect_kind)k);
        }
    }
    return NULL;
}

static const char *known_severity(json_t *v)
{
    static const char *const names[] = { "low", "medium", "high", NULL };
    const char *s = json_string_value(v);

    for (size_t i = 0; s && names[i]; i++) {
        if (strcmp(s, names[i]) == 0) {
            return names[i];
        }
    }
    return NULL;
}

static void merge_events(struct router *r, struct upstream *u, json_t *events, json_t *counts)
{
    size_t i;
    json_t *e;

    json_array_foreach(counts, i, e)
    {
        const char *type = known_type(json_array_get(e, 0));
        const char *severity = known_severity(json_array_get(e, 1));
        json_int_t n = json_integer_value(json_array_get(e, 2));

        if (type && severity && n > 0) {
            router_stats_event_count(&r->stats, type, severity, (uint64_t)n);
        }
    }
    json_array_foreach(events, i, e)
    {
        const char *type = known_type(json_array_get(e, 0));
        const char *severity = known_severity(json_array_get(e, 1));
        const char *mf = json_string_value(json_array_get(e, 2));
        const char *reason = json_string_value(json_array_get(e, 4));

        if (!json_is_array(e) || json_array_size(e) != 7 || !type || !severity || !mf) {
            continue;
        }
        /* The uid is the instance's own: it serves no one else. */
        router_stats_event_keep(&r->stats, type, severity, mf,
                                json_string_value(json_array_get(e, 3)), reason ? reason : "",
                                u->uid, (pid_t)json_integer_value(json_array_get(e, 6)));
    }
}

void router_meter_merge(struct router *r, struct upstream *u, json_t *meter)
{
    json_int_t unfolded;

    if (!json_is_object(meter)) {
        return;
    }
    unfolded = json_integer_value(json_object_get(meter, "unfolded"));
    merge_calls(r, json_object_get(meter, "calls"), cb_now_monotonic_usec());
    merge_errors(r, json_object_get(meter, "errors"));
    merge_events(r, u, json_object_get(meter, "events"), json_object_get(meter, "event_counts"));
    if (unfolded > 0) {
        r->stats.requests_processed += (uint64_t)unfolded;
    }
}
