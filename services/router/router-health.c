/* SPDX-License-Identifier: MIT */
/*
 * system.health (API.md 3.3) and the family states of system.info: read from what the router
 * already knows (its instance connections, their reports and failures) and from which
 * family binaries are installed, never by starting anything.
 */
#include "services/router/router-internal.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/cb-time.h"

#define RECENT_FAILURE_USEC (5 * 60 * CB_USEC_PER_SEC)

static bool family_installed(const char *family)
{
    char self[PATH_MAX], path[PATH_MAX + 64];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    char *slash;

    /* Every family's daemon is installed beside the router, in build/ and in libexec. */
    if (n < 0) {
        return true;
    }
    self[n] = '\0';
    slash = strrchr(self, '/');
    if (slash) {
        *slash = '\0';
    }
    snprintf(path, sizeof path, "%s/cpan-bridge-%s", self, family);
    return access(path, X_OK) == 0;
}

void router_family_state(struct router *r, const char *family, struct router_family_state *ret)
{
    uint64_t now = cb_now_monotonic_usec();
    size_t state = 0;
    const char *key;
    void *value;

    *ret = (struct router_family_state){ .state = "idle" };
    if (!family_installed(family)) {
        ret->state = "not_installed";
        return;
    }
    while (cb_hashmap_iterate(r->upstreams, &state, &key, &value)) {
        struct upstream *u = value;

        if (strcmp(u->family->name, family) != 0) {
            continue;
        }
        ret->restarts += u->failures;
        if (u->state == UPSTREAM_READY) {
            ret->running++;
            ret->pid = u->pid > 0 ? u->pid : ret->pid;
            ret->memory_mb += (double)u->rss_kb / 1024.0;
        }
        if (u->activation_failure_usec && now - u->activation_failure_usec < RECENT_FAILURE_USEC) {
            ret->units_fail = true;
        }
        if (u->last_failure_usec && now - u->last_failure_usec < RECENT_FAILURE_USEC) {
            ret->failed_recently = true;
        }
    }
    if (ret->units_fail || ret->failed_recently) {
        ret->state = "failed";
    } else if (ret->running > 0) {
        ret->state = "running";
    }
}

static const char *worse(const char *a, const char *b)
{
    static const char *const order[] = { "pass", "warn", "fail" };
    int ia = 0, ib = 0;

    for (int i = 0; i < 3; i++) {
        ia = strcmp(a, order[i]) == 0 ? i : ia;
        ib = strcmp(b, order[i]) == 0 ? i : ib;
    }
    return order[ia > ib ? ia : ib];
}

static void add_check(json_t *checks,
                      const char *name,
                      const char *status,
                      const char *message,
                      json_t *details)
{
    json_object_set_new(checks, name,
                        json_pack("{s:s, s:s, s:o}", "status", status, "message", message,
                                  "details", details ? details : json_object()));
}

static bool socket_accepts(const char *path)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    struct stat st;
    int fd, k;

    if (stat(path, &st) < 0 || !S_ISSOCK(st.st_mode) || strlen(path) >= sizeof sa.sun_path) {
        return false;
    }
    strcpy(sa.sun_path, path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        return false;
    }
    /* Our own listening socket: connect lands in the backlog at once, or the backlog is full. */
    k = connect(fd, (struct sockaddr *)&sa, sizeof sa);
    close(fd);
    return k == 0 || errno == EAGAIN;
}

static void check_router(struct router *r, json_t *checks)
{
    double uptime = (double)(cb_now_monotonic_usec() - r->start_usec) / 1e6;

    add_check(checks, "daemon_running", "pass", "the router answers",
              json_pack("{s:i, s:f}", "pid", (int)getpid(), "uptime_seconds", uptime));
    if (socket_accepts(r->config->socket_path)) {
        add_check(checks, "socket_connectivity", "pass", "the client socket accepts connections",
                  json_pack("{s:s}", "socket_path", r->config->socket_path));
    } else {
        add_check(checks, "socket_connectivity", "fail",
                  "the client socket is missing, not a socket, or refuses connections",
                  json_pack("{s:s}", "socket_path", r->config->socket_path));
    }
}

static const char *check_families(struct router *r, json_t *checks)
{
    size_t n_fams, n_mods;
    const struct cb_family_info *fams = cb_catalogue_families(&n_fams);
    const struct cb_module *mods = cb_catalogue_modules(&n_mods);
    json_t *states = json_object(), *loaded = json_array();
    const char *overall = "pass";

    for (size_t i = 0; i < n_mods; i++) {
        json_array_append_new(loaded, json_string(mods[i].name));
    }
    for (size_t i = 0; i < n_fams; i++) {
        struct router_family_state f;
        const char *status = "pass";
        char name[48], message[160];

        router_family_state(r, fams[i].name, &f);
        if (f.units_fail) {
            status = "fail";
            snprintf(message, sizeof message, "%s: its units fail to start", fams[i].name);
        } else if (f.failed_recently) {
            status = "warn";
            snprintf(message, sizeof message, "%s: an instance failed in the last 5 minutes",
                     fams[i].name);
        } else {
            snprintf(message, sizeof message, "%s: %s", fams[i].name, f.state);
        }
        snprintf(name, sizeof name, "family_%s", fams[i].name);
        json_t *details = json_pack("{s:s, s:I}", "state", f.state, "restarts",
                                    (json_int_t)f.restarts);
        if (f.running > 0 && f.pid > 0) {
            json_object_set_new(details, "pid", json_integer(f.pid));
            json_object_set_new(details, "memory_mb", json_real(f.memory_mb));
        }
        add_check(checks, name, status, message, details);
        json_object_set_new(states, fams[i].name, json_string(f.state));
        overall = worse(overall, status);
    }
    add_check(checks, "helper_modules", overall,
              strcmp(overall, "pass") == 0 ? "every family is running, idle or not installed"
                                           : "a family failed",
              json_pack("{s:o, s:I, s:o}", "loaded_modules", loaded, "expected_count",
                        (json_int_t)n_mods, "families", states));
    return overall;
}

static void check_resources(struct router *r, json_t *checks)
{
    const struct router_resources *res = &r->resources;
    const struct cb_config *c = r->config;
    double per_cpu = res->cpu_percent / (double)res->cpus;
    const char *m = res->memory_mb < (double)c->memory_warn_mb   ? "pass"
                    : res->memory_mb < (double)c->memory_fail_mb ? "warn"
                                                                 : "fail";
    const char *u = per_cpu < c->cpu_warn_percent   ? "pass"
                    : per_cpu < c->cpu_fail_percent ? "warn"
                                                    : "fail";
    char text[128];

    snprintf(text, sizeof text, "%.1f MB used by the router and its running instances",
             res->memory_mb);
    add_check(checks, "memory_usage", m, text, json_pack("{s:f}", "memory_mb", res->memory_mb));
    snprintf(text, sizeof text, "%.1f%% CPU over %u CPUs", res->cpu_percent, res->cpus);
    add_check(checks, "cpu_usage", u, text,
              json_pack("{s:f, s:i}", "cpu_percent", res->cpu_percent, "cpus", (int)res->cpus));
}

static void check_performance(struct router *r, json_t *checks)
{
    struct metrics_slot w;
    double own_rate, p95, avg;
    const char *status;
    char text[160];

    router_metrics_window(&r->metrics, cb_now_monotonic_usec(), &w);
    own_rate = w.requests ? (double)w.own_errors / (double)w.requests : 0.0;
    p95 = router_histogram_quantile(&w.latency, 0.95);
    avg = w.latency.count ? (double)w.latency.sum_usec / 1e6 / (double)w.latency.count : 0.0;
    /* Callers' own mistakes (bad parameters, unknown names) never degrade health. */
    status = own_rate > 0.5 ? "fail" : (own_rate > 0.05 || p95 > 1.0) ? "warn" : "pass";
    snprintf(text, sizeof text,
             "last 60 s: %llu requests, %.1f%% failed by the suite itself, p95 %.3f s",
             (unsigned long long)w.requests, own_rate * 100.0, p95);
    add_check(checks, "performance", status, text,
              json_pack("{s:f, s:f, s:f, s:f}", "error_rate", own_rate, "avg_response_time", avg,
                        "p95_response_time", p95, "requests_per_second",
                        (double)w.requests / METRICS_WINDOW_SECONDS));
}

json_t *router_health_json(struct router *r)
{
    json_t *checks = json_object(), *warnings = json_array(), *errors = json_array(), *v;
    const char *overall = "healthy", *key;
    char when[CB_ISO_TIME_MAX];

    if (r->resources.sample_usec == 0) {
        router_resources_sample(r);
    }
    check_router(r, checks);
    check_families(r, checks);
    check_resources(r, checks);
    check_performance(r, checks);

    json_object_foreach(checks, key, v)
    {
        const char *status = json_string_value(json_object_get(v, "status"));
        json_t *message = json_object_get(v, "message");

        if (strcmp(status, "fail") == 0) {
            json_array_append(errors, message);
            overall = "unhealthy";
        } else if (strcmp(status, "warn") == 0) {
            json_array_append(warnings, message);
            overall = strcmp(overall, "unhealthy") == 0 ? overall : "degraded";
        }
    }
    return json_pack("{s:s, s:s, s:o, s:o, s:o}", "timestamp",
                     cb_format_iso_time(cb_now_realtime_usec(), when, sizeof when),
                     "overall_status", overall, "checks", checks, "warnings", warnings, "errors",
                     errors);
}
