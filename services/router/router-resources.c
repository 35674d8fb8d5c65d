/* SPDX-License-Identifier: MIT */
/*
 * resource_status (API.md 3.1): memory and CPU of the router and its running instances,
 * sampled in the background once a second, CPU as a rate over the real interval between two
 * samples. Instances report their own numbers: the router may not read their /proc.
 */
#include "services/router/router-internal.h"

#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "common/cb-time.h"

static uint64_t own_rss_kb(void)
{
    long pages = 0, rss = 0;
    FILE *f = fopen("/proc/self/statm", "re");

    if (f) {
        if (fscanf(f, "%ld %ld", &pages, &rss) != 2) {
            rss = 0;
        }
        fclose(f);
    }
    return (uint64_t)rss * (uint64_t)(sysconf(_SC_PAGESIZE) / 1024);
}

static uint64_t own_cpu_usec(void)
{
    struct rusage ru;

    (void)getrusage(RUSAGE_SELF, &ru);
    return (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * CB_USEC_PER_SEC +
           (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

/* Counts a threshold crossing once, when it is crossed, not every second it stays crossed. */
static void alert(bool over, bool *was_over, uint64_t *count)
{
    if (over && !*was_over) {
        (*count)++;
    }
    *was_over = over;
}

static void sum_instances(struct router *r, double *mb, double *cpu)
{
    size_t state = 0;
    const char *key;
    void *value;

    while (cb_hashmap_iterate(r->upstreams, &state, &key, &value)) {
        struct upstream *u = value;

        if (u->state == UPSTREAM_READY && u->pid > 0) {
            *mb += (double)u->rss_kb / 1024.0;
            *cpu += u->cpu_percent;
        }
        router_upstream_poll_status(u);
    }
}

void router_resources_sample(struct router *r)
{
    struct router_resources *res = &r->resources;
    uint64_t now = cb_now_monotonic_usec(), cpu = own_cpu_usec();
    double mb, total_cpu;

    if (res->sample_usec && now - res->sample_usec < CB_USEC_PER_SEC) {
        return;
    }
    if (res->sample_usec) {
        res->router_cpu_percent = 100.0 * (double)(cpu - res->cpu_usec) /
                                  (double)(now - res->sample_usec);
    }
    res->sample_usec = now;
    res->cpu_usec = cpu;
    res->router_rss_kb = own_rss_kb();

    mb = (double)res->router_rss_kb / 1024.0;
    total_cpu = res->router_cpu_percent;
    sum_instances(r, &mb, &total_cpu);
    res->memory_mb = mb;
    res->cpu_percent = total_cpu;
    res->peak_memory = mb > res->peak_memory ? mb : res->peak_memory;
    res->peak_cpu = total_cpu > res->peak_cpu ? total_cpu : res->peak_cpu;

    alert(mb >= (double)r->config->memory_warn_mb, &res->over_memory, &res->alerts_memory);
    alert(total_cpu / (double)res->cpus >= r->config->cpu_warn_percent, &res->over_cpu,
          &res->alerts_cpu);
    alert(router_metrics_window_requests(&r->metrics, now) >= r->config->requests_per_minute_warn,
          &res->over_requests, &res->alerts_requests);
    alert(r->inflight >= r->config->concurrent_warn, &res->over_concurrent,
          &res->alerts_concurrent);
}

static json_t *processes_json(struct router *r)
{
    const struct router_resources *res = &r->resources;
    json_t *list = json_array();
    size_t state = 0;
    const char *key;
    void *value;

    json_array_append_new(list,
                          json_pack("{s:s, s:i, s:f, s:f}", "name", "cpan-bridge-router", "pid",
                                    (int)getpid(), "memory_mb", (double)res->router_rss_kb / 1024.0,
                                    "cpu_percent", res->router_cpu_percent));
    while (cb_hashmap_iterate(r->upstreams, &state, &key, &value)) {
        struct upstream *u = value;
        char name[64];

        if (u->state != UPSTREAM_READY || u->pid <= 0) {
            continue;
        }
        snprintf(name, sizeof name, "cpan-bridge-%s@%u", u->family->name, (unsigned)u->uid);
        json_array_append_new(list, json_pack("{s:s, s:i, s:f, s:f}", "name", name, "pid",
                                              (int)u->pid, "memory_mb", (double)u->rss_kb / 1024.0,
                                              "cpu_percent", u->cpu_percent));
    }
    return list;
}

static void add_limit_notes(struct router *r, json_t *violations, json_t *warnings)
{
    const struct router_resources *res = &r->resources;
    const struct cb_config *c = r->config;
    char text[160];

    if (res->memory_mb >= (double)c->memory_fail_mb) {
        snprintf(text, sizeof text, "memory %.1f MB is at or above %llu MB", res->memory_mb,
                 (unsigned long long)c->memory_fail_mb);
        json_array_append_new(violations, json_string(text));
    } else if (res->memory_mb >= (double)c->memory_warn_mb) {
        snprintf(text, sizeof text, "memory %.1f MB is at or above %llu MB", res->memory_mb,
                 (unsigned long long)c->memory_warn_mb);
        json_array_append_new(warnings, json_string(text));
    }
    if (res->cpu_percent / (double)res->cpus >= c->cpu_fail_percent) {
        snprintf(text, sizeof text, "CPU %.1f%% is at or above %u%% of %u CPUs", res->cpu_percent,
                 c->cpu_fail_percent, res->cpus);
        json_array_append_new(violations, json_string(text));
    } else if (res->cpu_percent / (double)res->cpus >= c->cpu_warn_percent) {
        snprintf(text, sizeof text, "CPU %.1f%% is at or above %u%% of %u CPUs", res->cpu_percent,
                 c->cpu_warn_percent, res->cpus);
        json_array_append_new(warnings, json_string(text));
    }
    if (r->inflight >= c->concurrent_warn) {
        snprintf(text, sizeof text, "%u requests in flight", r->inflight);
        json_array_append_new(warnings, json_string(text));
    }
}

json_t *router_resources_json(struct router *r)
{
    /* Never sampled yet (the first second of a router): take the first sample now. */
    if (r->resources.sample_usec == 0) {
        router_resources_sample(r);
    }
    const struct router_resources *res = &r->resources;
    uint64_t now = cb_now_monotonic_usec();
    json_t *violations = json_array(), *warnings = json_array();

    add_limit_notes(r, violations, warnings);
    return json_pack("{s:f, s:f, s:f, s:f, s:I, s:i, s:o, s:o, s:{s:I, s:I, s:I, s:I}, s:o}",
                     "memory_mb", res->memory_mb, "cpu_percent", res->cpu_percent, "peak_memory",
                     res->peak_memory, "peak_cpu", res->peak_cpu, "requests_per_minute",
                     (json_int_t)router_metrics_window_requests(&r->metrics, now),
                     "concurrent_requests", (int)r->inflight, "violations", violations, "warnings",
                     warnings, "alerts", "memory", (json_int_t)res->alerts_memory, "cpu",
                     (json_int_t)res->alerts_cpu, "requests", (json_int_t)res->alerts_requests,
                     "concurrent", (json_int_t)res->alerts_concurrent, "processes",
                     processes_json(r));
}
