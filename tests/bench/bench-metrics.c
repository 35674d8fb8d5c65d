/* SPDX-License-Identifier: MIT */
/*
 * The cost of counting one answer on the router's request path (stats, the sliding window,
 * the per-minute history, the per-function table). Prints ns per request; asserts nothing.
 */
#include <stdio.h>
#include <time.h>

#include "common/cb-catalogue.h"
#include "services/router/router-metrics.h"
#include "services/router/router-stats.h"

static uint64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

int main(void)
{
    static struct router_metrics m;
    static struct router_stats s;
    size_t n_mods;
    const struct cb_module *mods = cb_catalogue_modules(&n_mods);
    const int n = 2000000;
    uint64_t t0, t1;

    router_stats_init(&s);
    if (router_metrics_init(&m) < 0) {
        return 1;
    }
    t0 = now_ns();
    for (int i = 0; i < n; i++) {
        const struct cb_module *mod = &mods[i % n_mods];
        struct metrics_answer a = {
            .module = mod->name,
            .function = mod->functions[i % mod->n_functions].name,
            .code = i % 50 == 0 ? 11 : -1,
            .usec = 50 + (uint64_t)(i % 5000),
            .error = "x",
        };

        router_stats_answered(&s, a.code, false, a.usec);
        router_metrics_record(&m, &a, now_ns() / 1000);
    }
    t1 = now_ns();
    printf("metrics per request: %.0f ns (stats, window, history, per-function; target <= 200 ns, clock read included)\n",
           (double)(t1 - t0) / n);
    router_metrics_done(&m);
    router_stats_done(&s);
    return 0;
}
