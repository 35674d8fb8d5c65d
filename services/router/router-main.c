/* SPDX-License-Identifier: MIT */
/* cpan-bridge-router: argument parsing, setup, the event loop and shutdown. */
#include "services/router/router-internal.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "common/cb-log.h"
#include "common/cb-service.h"
#include "common/cb-time.h"

static void on_status(char *buf, size_t size, void *userdata)
{
    struct router *r = userdata;

    cb_log_refusals_flush(&r->refusal_log_limit, cb_now_monotonic_usec());
    router_resources_sample(r);
    snprintf(buf, size, "Routing: %u clients, %zu sessions, %zu instances, %" PRIu64 " requests",
             r->n_clients, cb_hashmap_size(r->sessions), cb_hashmap_size(r->upstreams),
             r->stats.requests_processed);
}

/* Settings that shape sockets and activation hold for the life of the process. */
static void keep_fixed(const struct cb_config *old, struct cb_config *c)
{
    char **fixed[] = { &c->runtime_dir, &c->socket_path, &c->activator, &c->launcher_socket };
    char *const kept[] = { old->runtime_dir, old->socket_path, old->activator,
                           old->launcher_socket };

    for (size_t i = 0; i < CB_ELEMENTSOF(fixed); i++) {
        if ((*fixed[i] || kept[i]) && (!*fixed[i] || !kept[i] || strcmp(*fixed[i], kept[i]))) {
            cb_log_notice(
                    "A changed [router] socket, runtime_directory, activator or launcher_socket takes effect at the next restart");
        }
        free(*fixed[i]);
        *fixed[i] = kept[i] ? strdup(kept[i]) : NULL;
    }
}

static int router_reload(void *userdata)
{
    struct router *r = userdata;
    struct router_access access = { 0 };
    struct cb_config *c = NULL;
    char *err = NULL;
    int k;

    k = cb_config_load(r->config_path, &c, &err);
    if (k < 0) {
        cb_log_error("Cannot reload the configuration: %s", err ? err : strerror(-k));
        free(err);
        return k;
    }
    k = router_access_load(&access, c);
    if (k < 0) {
        cb_config_free(c);
        return k;
    }
    keep_fixed(r->config, c);

    /* Sessions, clients and instance connections carry on; only the rules change. */
    router_access_free(&r->access);
    r->access = access;
    cb_config_free(r->config);
    r->config = c;
    cb_log_set_max_level(c->request_log_sample > 0 ? LOG_DEBUG : LOG_INFO);
    cb_log_notice("Reloaded the configuration from %s",
                  c->path ? c->path : "the defaults (no file)");
    return 0;
}

static int on_shutdown(sd_event_source *s CB_UNUSED, uint64_t usec CB_UNUSED, void *userdata)
{
    struct router *r = userdata;

    cb_service_stop(r->service, 0);
    return 0;
}

void router_request_shutdown(struct router *r)
{
    /* A moment for the answer and the instances' shutdown to reach their sockets. */
    (void)sd_event_add_time_relative(r->event, NULL, CLOCK_MONOTONIC, 100 * CB_USEC_PER_MSEC, 0,
                                     on_shutdown, r);
    router_upstreams_shutdown(r);
}

static int parse_args(int argc, char **argv, const char **ret_config)
{
    static const struct option options[] = {
        { "config", required_argument, NULL, 'c' },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' },
        {},
    };
    int c;

    while ((c = getopt_long(argc, argv, "c:hV", options, NULL)) >= 0) {
        switch (c) {
        case 'c':
            *ret_config = optarg;
            break;
        case 'h':
            printf("Usage: cpan-bridge-router [--config FILE]\n\n"
                   "The router of cpan-bridge: authorizes callers, validates requests against the\n"
                   "catalogue, answers system.* and forwards the rest to the callers' instances.\n"
                   "Started by cpan-bridge.socket, or by cpan-bridge-dev.\n");
            return 0;
        case 'V':
            printf("cpan-bridge %s\n", CB_VERSION);
            return 0;
        default:
            return -EINVAL;
        }
    }
    return 1;
}

static int pick_activator(struct router *r)
{
    if (strcmp(r->config->activator, "launcher") == 0) {
        r->activator = &router_activator_launcher;
    } else if (strcmp(r->config->activator, "systemd") == 0) {
        r->activator = &router_activator_systemd;
    } else {
        cb_log_error("[router] activator must be 'systemd' or 'launcher', not '%s'",
                     r->config->activator);
        return -EINVAL;
    }
    return 0;
}

static int router_setup(struct router *r)
{
    uint32_t tag = 0;
    int k;

    r->start_usec = cb_now_monotonic_usec();
    r->start_realtime_usec = cb_now_realtime_usec();
    if (getrandom(&tag, sizeof tag, 0) != sizeof tag) {
        tag = (uint32_t)r->start_realtime_usec;
    }
    snprintf(r->boot_tag, sizeof r->boot_tag, "%08" PRIx32, tag);
    router_stats_init(&r->stats);
    if (router_metrics_init(&r->metrics) < 0) {
        return -ENOMEM;
    }
    r->resources.cpus = (unsigned)(sysconf(_SC_NPROCESSORS_ONLN) > 0 ? sysconf(_SC_NPROCESSORS_ONLN)
                                                                     : 1);
    r->refusal_log_limit = (struct cb_ratelimit)CB_RATELIMIT_INIT(10 * CB_USEC_PER_SEC, 20);
    r->sessions = cb_hashmap_new();
    r->upstreams = cb_hashmap_new();
    r->uids = cb_hashmap_new();
    if (!r->sessions || !r->upstreams || !r->uids) {
        return -ENOMEM;
    }

    /* Request logging is an explicit opt-in to per-request debug entries. */
    if (r->config->request_log_sample > 0 && cb_log_get_max_level() < LOG_DEBUG) {
        cb_log_set_max_level(LOG_DEBUG);
    }
    k = pick_activator(r);
    if (k < 0) {
        return k;
    }
    k = router_access_load(&r->access, r->config);
    if (k < 0) {
        return k;
    }
    k = cb_service_new("cpan-bridge-router", &r->service);
    if (k < 0) {
        return k;
    }
    r->event = cb_service_event(r->service);
    k = router_client_listen(r);
    if (k < 0) {
        return cb_log_error_errno(
                k, "No client socket: start cpan-bridge.socket or set [router] socket");
    }
    cb_service_set_status(r->service, on_status, r);
    cb_service_set_reload(r->service, router_reload, r);
    return 0;
}

static void router_teardown(struct router *r)
{
    r->stopping = true;
    router_parked_free(r);
    router_clients_close_all(r);
    if (r->upstreams) {
        router_upstreams_free(r);
    }
    if (r->activator && r->activator->free) {
        r->activator->free(r);
    }
    if (r->sessions) {
        router_sessions_free(r);
    }
    if (r->uids) {
        router_uids_free(r);
    }
    router_access_free(&r->access);
    router_stats_done(&r->stats);
    router_metrics_done(&r->metrics);
    cb_service_free(r->service);
}

int main(int argc, char **argv)
{
    struct router r = { 0 };
    const char *config_path = NULL;
    char *err = NULL;
    int k;

    cb_log_init("cpan-bridge-router", "router");
    k = parse_args(argc, argv, &config_path);
    if (k <= 0) {
        return k < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
    }

    r.config_path = config_path;
    k = cb_config_load(config_path, &r.config, &err);
    if (k < 0) {
        cb_log_error_errno(k, "Failed to load the configuration: %s", err ? err : "");
        free(err);
        return EXIT_FAILURE;
    }

    k = router_setup(&r);
    if (k >= 0) {
        k = cb_service_run(r.service);
    }
    router_teardown(&r);
    cb_config_free(r.config);
    return k < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
