/* SPDX-License-Identifier: MIT */
/* The system.* functions the router answers itself (and test.stats, an alias of system.stats). */
#include "services/router/router-internal.h"

#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "common/cb-family.h"
#include "common/cb-time.h"

static double uptime_seconds(const struct router *r)
{
    return (double)(cb_now_monotonic_usec() - r->start_usec) / 1e6;
}

static json_t *system_ping(struct router *r)
{
    return json_pack("{s:s, s:s, s:f, s:s}", "message", "pong", "version", CB_VERSION, "uptime",
                     uptime_seconds(r), "mode", "daemon");
}

static json_t *families_json(struct router *r)
{
    size_t n_mods, n_fams;
    const struct cb_module *mods = cb_catalogue_modules(&n_mods);
    const struct cb_family_info *fams = cb_catalogue_families(&n_fams);
    json_t *list = json_array();

    for (size_t i = 0; i < n_fams; i++) {
        json_t *modules = json_array();

        for (size_t k = 0; k < n_mods; k++) {
            if (strcmp(mods[k].family, fams[i].name) == 0) {
                json_array_append_new(modules, json_string(mods[k].name));
            }
        }
        /* Families with no module in this build's catalogue are not part of it yet. */
        if (json_array_size(modules) == 0) {
            json_decref(modules);
            continue;
        }
        json_array_append_new(
                list,
                json_pack("{s:s, s:o, s:s}", "name", fams[i].name, "modules", modules, "state",
                          router_upstreams_ready(r, fams[i].name) > 0 ? "running" : "idle"));
    }
    return list;
}

static json_t *system_info(struct router *r)
{
    size_t n;
    const struct cb_module *mods = cb_catalogue_modules(&n);
    json_t *loaded = json_array();
    char start[CB_ISO_TIME_MAX];

    for (size_t i = 0; i < n; i++) {
        json_array_append_new(loaded, json_string(mods[i].name));
    }
    return json_pack("{s:s, s:s, s:s, s:i, s:s, s:s, s:s, s:f, s:o, s:o, s:i, "
                     "s:{s:i, s:I, s:f, s:f, s:f}}",
                     "version", CB_VERSION, "daemon_version", CB_VERSION, "platform",
                     cb_platform_string(), "pid", (int)getpid(), "mode", "daemon", "socket_path",
                     r->config->socket_path, "start_time",
                     cb_format_iso_time(r->start_realtime_usec, start, sizeof start), "uptime",
                     uptime_seconds(r), "loaded_modules", loaded, "families", families_json(r),
                     "active_connections", (int)r->n_clients, "configuration", "max_connections",
                     (int)r->config->max_connections_per_uid, "max_request_size",
                     (json_int_t)r->config->limits.max_frame, "connection_timeout",
                     (double)r->config->connect_timeout_ms / 1000.0, "idle_timeout",
                     (double)r->config->idle_exit_seconds, "cleanup_interval", 1.0);
}

static json_t *performance_summary(struct router *r)
{
    const struct router_stats *s = &r->stats;
    double total = (double)s->requests_processed;

    return json_pack(
            "{s:I, s:I, s:I, s:f, s:f, s:f, s:f, s:f, s:f}", "total_requests",
            (json_int_t)s->requests_processed, "successful_requests",
            (json_int_t)(s->requests_processed - s->requests_failed), "failed_requests",
            (json_int_t)s->requests_failed, "error_rate",
            total > 0 ? (double)s->requests_failed / total : 0.0, "avg_response_time",
            s->latency.count ? (double)s->latency.sum_usec / 1e6 / (double)s->latency.count : 0.0,
            "p50_response_time", router_histogram_quantile(&s->latency, 0.50), "p95_response_time",
            router_histogram_quantile(&s->latency, 0.95), "p99_response_time",
            router_histogram_quantile(&s->latency, 0.99), "uptime_seconds", uptime_seconds(r));
}

static json_t *system_stats(struct router *r)
{
    const struct router_stats *s = &r->stats;
    const struct cb_limits *l = &r->config->limits;
    char start[CB_ISO_TIME_MAX];

    return json_pack("{s:I, s:I, s:I, s:I, s:I, s:s, s:n, s:I, s:I, s:I, s:o, s:o, "
                     "s:{s:b, s:I, s:I, s:I, s:I, s:I}}",
                     "requests_processed", (json_int_t)s->requests_processed, "requests_failed",
                     (json_int_t)s->requests_failed, "requests_rejected",
                     (json_int_t)s->requests_rejected, "validation_failures",
                     (json_int_t)s->validation_failures, "security_events",
                     (json_int_t)s->security_events, "start_time",
                     cb_format_iso_time(r->start_realtime_usec, start, sizeof start),
                     "last_cleanup", "connections_total", (json_int_t)s->connections_total,
                     "connections_rejected", (json_int_t)s->connections_rejected,
                     "peak_connections", (json_int_t)s->peak_connections, "security_metrics",
                     router_stats_security_json(s), "performance_summary", performance_summary(r),
                     "validation_config", "strict_mode", 1, "max_request_size",
                     (json_int_t)l->max_frame, "max_string_length", (json_int_t)l->max_string,
                     "max_array_length", (json_int_t)l->max_array, "max_object_depth",
                     (json_int_t)l->max_depth, "max_param_count", (json_int_t)l->max_params);
}

int router_system_answer(struct client *c,
                         const struct cb_request *req CB_UNUSED,
                         const struct cb_module *m,
                         const struct cb_function *f,
                         json_t *params,
                         json_t **ret_result,
                         struct cb_error *reterr)
{
    struct router *r = c->router;
    const char *name = f->alias_of ? strchr(f->alias_of, '.') + 1 : f->name;
    json_t *result = NULL;

    (void)m;
    if (strcmp(name, "ping") == 0) {
        result = system_ping(r);
    } else if (strcmp(name, "info") == 0) {
        result = system_info(r);
    } else if (strcmp(name, "stats") == 0) {
        result = system_stats(r);
    } else if (strcmp(name, "catalogue") == 0) {
        const char *module = cb_json_get_string(params, "module", NULL);
        const struct cb_module *which = module ? cb_catalogue_find_module(module) : NULL;

        if (module && !which) {
            return cb_error_set(reterr, CB_E_INVALID_PARAM, "parameter 'module' names no module");
        }
        result = cb_catalogue_to_json(which);
    }
    if (!result) {
        return cb_error_set(reterr, CB_E_INTERNAL, "system.%s has no answer in this router", name);
    }
    *ret_result = result;
    return 0;
}
