/* SPDX-License-Identifier: MIT */
/* The system.* functions the router answers itself (API.md 3), test.stats and test.health. */
#include "services/router/router-internal.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/cb-family.h"
#include "common/cb-log.h"
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

static json_t *family_modules(const char *family)
{
    size_t n;
    const struct cb_module *mods = cb_catalogue_modules(&n);
    json_t *list = json_array();

    for (size_t k = 0; k < n; k++) {
        if (strcmp(mods[k].family, family) == 0) {
            json_array_append_new(list, json_string(mods[k].name));
        }
    }
    return list;
}

static json_t *families_json(struct router *r)
{
    size_t n_fams;
    const struct cb_family_info *fams = cb_catalogue_families(&n_fams);
    json_t *list = json_array();

    for (size_t i = 0; i < n_fams; i++) {
        struct router_family_state f;
        json_t *entry;

        router_family_state(r, fams[i].name, &f);
        entry = json_pack("{s:s, s:o, s:s}", "name", fams[i].name, "modules",
                          family_modules(fams[i].name), "state", f.state);
        if (f.running > 0 && f.pid > 0) {
            json_object_set_new(entry, "pid", json_integer(f.pid));
        }
        json_array_append_new(list, entry);
    }
    return list;
}

static json_t *loaded_modules(void)
{
    size_t n;
    const struct cb_module *mods = cb_catalogue_modules(&n);
    json_t *loaded = json_array();

    for (size_t i = 0; i < n; i++) {
        json_array_append_new(loaded, json_string(mods[i].name));
    }
    return loaded;
}

static json_t *system_info(struct router *r)
{
    char start[CB_ISO_TIME_MAX];

    return json_pack("{s:s, s:s, s:s, s:i, s:s, s:s, s:s, s:f, s:o, s:o, s:i, "
                     "s:{s:i, s:I, s:f, s:f, s:f}}",
                     "version", CB_VERSION, "daemon_version", CB_VERSION, "platform",
                     cb_platform_string(), "pid", (int)getpid(), "mode", "daemon", "socket_path",
                     r->config->socket_path, "start_time",
                     cb_format_iso_time(r->start_realtime_usec, start, sizeof start), "uptime",
                     uptime_seconds(r), "loaded_modules", loaded_modules(), "families",
                     families_json(r), "active_connections", (int)r->n_clients, "configuration",
                     "max_connections", (int)r->config->max_connections_per_uid, "max_request_size",
                     (json_int_t)r->config->limits.max_frame, "connection_timeout",
                     (double)r->config->connect_timeout_ms / 1000.0, "idle_timeout",
                     (double)r->config->idle_exit_seconds, "cleanup_interval", 1.0);
}

static json_t *performance_metrics(struct router *r)
{
    const struct router_stats *s = &r->stats;
    double total = (double)s->requests_processed;
    uint64_t window = router_metrics_window_requests(&r->metrics, cb_now_monotonic_usec());

    return json_pack(
            "{s:I, s:I, s:I, s:f, s:f, s:f, s:f, s:f, s:f, s:f}", "total_requests",
            (json_int_t)s->requests_processed, "successful_requests",
            (json_int_t)(s->requests_processed - s->requests_failed), "failed_requests",
            (json_int_t)s->requests_failed, "error_rate",
            total > 0 ? (double)s->requests_failed / total : 0.0, "avg_response_time",
            s->latency.count ? (double)s->latency.sum_usec / 1e6 / (double)s->latency.count : 0.0,
            "p50_response_time", router_histogram_quantile(&s->latency, 0.50), "p95_response_time",
            router_histogram_quantile(&s->latency, 0.95), "p99_response_time",
            router_histogram_quantile(&s->latency, 0.99), "requests_per_second",
            (double)window / METRICS_WINDOW_SECONDS, "uptime_seconds", uptime_seconds(r));
}

static json_t *health_indicators(struct router *r)
{
    struct metrics_slot w;
    json_t *concerns = json_array(), *advice = json_array();
    double rate, p95;

    router_metrics_window(&r->metrics, cb_now_monotonic_usec(), &w);
    rate = w.requests ? (double)w.own_errors / (double)w.requests : 0.0;
    p95 = router_histogram_quantile(&w.latency, 0.95);
    if (rate > 0.05) {
        json_array_append_new(
                concerns,
                json_string(
                        "more than 5% of the last minute's requests failed in the suite itself"));
        json_array_append_new(
                advice,
                json_string(
                        "look at journalctl -p err -t cpan-bridge-router and the instances' units"));
    }
    if (p95 > 1.0) {
        json_array_append_new(concerns,
                              json_string("p95 response time over the last minute is above 1 s"));
        json_array_append_new(advice, json_string("see module_performance for the slow functions"));
    }
    return json_pack("{s:s, s:o, s:o}", "overall_health",
                     json_array_size(concerns) ? "degraded" : "healthy", "concerns", concerns,
                     "recommendations", advice);
}

static json_t *system_performance(struct router *r)
{
    uint64_t now = cb_now_monotonic_usec();

    return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o}", "performance_metrics",
                     performance_metrics(r), "recent", router_metrics_recent_json(&r->metrics, now),
                     "module_performance", router_metrics_modules_json(&r->metrics),
                     "recent_errors", router_metrics_errors_json(&r->metrics), "health_indicators",
                     health_indicators(r), "history",
                     router_metrics_history_json(&r->metrics, now));
}

static json_t *stats_counters(struct router *r)
{
    const struct router_stats *s = &r->stats;
    char start[CB_ISO_TIME_MAX], cleanup[CB_ISO_TIME_MAX];
    uint64_t last = r->resources.last_cleanup_realtime_usec;

    return json_pack(
            "{s:I, s:I, s:I, s:I, s:I, s:s, s:s?, s:I, s:I, s:I}", "requests_processed",
            (json_int_t)s->requests_processed, "requests_failed", (json_int_t)s->requests_failed,
            "requests_rejected", (json_int_t)s->requests_rejected, "validation_failures",
            (json_int_t)s->validation_failures, "security_events", (json_int_t)s->security_events,
            "start_time", cb_format_iso_time(r->start_realtime_usec, start, sizeof start),
            "last_cleanup", last ? cb_format_iso_time(last, cleanup, sizeof cleanup) : NULL,
            "connections_total", (json_int_t)s->connections_total, "connections_rejected",
            (json_int_t)s->connections_rejected, "peak_connections",
            (json_int_t)s->peak_connections);
}

static json_t *system_stats(struct router *r)
{
    const struct cb_limits *l = &r->config->limits;
    json_t *o = stats_counters(r);

    json_object_set_new(o, "channels_opened", json_integer((json_int_t)r->stats.channels_opened));
    json_object_set_new(o, "security_metrics", router_stats_security_json(&r->stats));
    json_object_set_new(o, "performance_summary", performance_metrics(r));
    json_object_set_new(o, "resource_status", router_resources_json(r));
    json_object_set_new(
            o, "validation_config",
            json_pack("{s:b, s:I, s:I, s:I, s:I, s:I}", "strict_mode", 1, "max_request_size",
                      (json_int_t)l->max_frame, "max_string_length", (json_int_t)l->max_string,
                      "max_array_length", (json_int_t)l->max_array, "max_object_depth",
                      (json_int_t)l->max_depth, "max_param_count", (json_int_t)l->max_params));
    return o;
}

static json_t *handles_by_kind(struct router *r)
{
    size_t state = 0;
    const char *key;
    void *value;
    json_int_t total = 0;

    /* Instances report how many handles they hold, not of which kind. */
    while (cb_hashmap_iterate(r->upstreams, &state, &key, &value)) {
        struct upstream *u = value;

        total += u->state == UPSTREAM_READY ? u->handles : 0;
    }
    return json_pack("{s:I}", "total", total);
}

/* Clients' connections the instances serve themselves, as they last reported. */
static unsigned open_channels(struct router *r)
{
    size_t state = 0;
    const char *key;
    void *value;
    unsigned n = 0;

    while (cb_hashmap_iterate(r->upstreams, &state, &key, &value)) {
        const struct upstream *u = value;

        n += u->state == UPSTREAM_READY ? u->channels : 0;
    }
    return n;
}

static json_t *system_metrics(struct router *r)
{
    double up = uptime_seconds(r);
    unsigned long s = (unsigned long)up;
    size_t n_modules;

    (void)cb_catalogue_modules(&n_modules);
    char formatted[64], when[CB_ISO_TIME_MAX];

    snprintf(formatted, sizeof formatted, "%luh %lum %lus", s / 3600, s / 60 % 60, s % 60);
    return json_pack("{s:s, s:{s:s, s:f, s:s}, s:o, s:o, s:{s:i, s:I, s:i, s:i, s:o, s:i}, "
                     "s:{s:I, s:I, s:I}, s:{s:i, s:o}, s:o}",
                     "timestamp", cb_format_iso_time(cb_now_realtime_usec(), when, sizeof when),
                     "daemon_info", "version", CB_VERSION, "uptime_seconds", up, "uptime_formatted",
                     formatted, "performance_metrics", performance_metrics(r), "resource_status",
                     router_resources_json(r), "connection_summary", "active_connections",
                     (int)r->n_clients, "total_connections", (json_int_t)r->stats.connections_total,
                     "stale_connections", (int)router_stale_connections(r), "active_sessions",
                     (int)cb_hashmap_size(r->sessions), "handles", handles_by_kind(r),
                     "open_channels", (int)open_channels(r), "security_summary",
                     "total_security_events", (json_int_t)r->stats.security_events,
                     "validation_failures", (json_int_t)r->stats.validation_failures,
                     "requests_rejected", (json_int_t)r->stats.requests_rejected, "module_status",
                     "loaded_modules", (int)n_modules, "available_modules", loaded_modules(),
                     "system_stats", stats_counters(r));
}

static int system_shutdown(struct client *c, json_t **ret, struct cb_error *err)
{
    struct router *r = c->router;

    /* Root and the service user only: stopping the suite is an operator's act. */
    if (c->uid != 0 && c->uid != getuid()) {
        return cb_error_set(err, CB_E_DENIED, "only root and the service user may shut down");
    }
    cb_log_notice("Shutdown asked by uid %u pid %d", (unsigned)c->uid, (int)c->pid);
    router_request_shutdown(r);
    *ret = json_pack("{s:s}", "message", "Shutdown initiated");
    return 0;
}

int router_system_answer(struct client *c,
                         const struct cb_request *req CB_UNUSED,
                         const struct cb_module *m CB_UNUSED,
                         const struct cb_function *f,
                         json_t *params,
                         json_t **ret_result,
                         struct cb_error *reterr)
{
    struct router *r = c->router;
    const char *name = f->alias_of ? strchr(f->alias_of, '.') + 1 : f->name;
    json_t *result = NULL;

    if (strcmp(name, "ping") == 0) {
        result = system_ping(r);
    } else if (strcmp(name, "info") == 0) {
        result = system_info(r);
    } else if (strcmp(name, "stats") == 0) {
        result = system_stats(r);
    } else if (strcmp(name, "health") == 0) {
        result = router_health_json(r);
    } else if (strcmp(name, "metrics") == 0) {
        result = system_metrics(r);
    } else if (strcmp(name, "performance") == 0) {
        result = system_performance(r);
    } else if (strcmp(name, "connections") == 0) {
        return router_connections_json(c, params, ret_result, reterr);
    } else if (strcmp(name, "cleanup") == 0) {
        return router_cleanup(c, params, ret_result, reterr);
    } else if (strcmp(name, "shutdown") == 0) {
        return system_shutdown(c, ret_result, reterr);
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
