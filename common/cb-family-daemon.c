/* SPDX-License-Identifier: MIT */
/*
 * The instance server: accepts the router's connections, reports its health, reloads its
 * configuration and idles out; cb-family-conn.c serves the connections.
 */
#include "common/cb-family-daemon-internal.h"

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/cb-log-request.h"
#include "common/cb-log.h"
#include "common/cb-service.h"
#include "common/cb-time.h"
#include "common/cb-workers.h"

static bool peer_trusted(struct server *srv, int fd)
{
    struct ucred cred;
    socklen_t len = sizeof cred;

    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
        return false;
    }
    /* Instances trust only the router (DESIGN.md): root, the service user, or ourselves
     * when the launcher runs everything as one user. */
    return cred.uid == 0 || cred.uid == getuid() || cred.uid == srv->router_uid;
}

static int on_accept(sd_event_source *s CB_UNUSED,
                     int fd,
                     uint32_t revents CB_UNUSED,
                     void *userdata)
{
    struct server *srv = userdata;
    struct conn *c;
    int cfd, r;

    cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (cfd < 0) {
        if (errno != EAGAIN && errno != EINTR) {
            cb_log_warning_errno(errno, "Failed to accept a connection, ignoring");
        }
        return 0;
    }
    if (!peer_trusted(srv, cfd)) {
        cb_log_warning("Refused a connection from a process that is not the router");
        close(cfd);
        return 0;
    }

    c = calloc(1, sizeof *c);
    if (!c) {
        close(cfd);
        return 0;
    }
    *c = (struct conn){ .srv = srv, .fd = cfd, .refs = 1 };
    /* Requests without a token belong to their connection's own session. */
    snprintf(c->own_session, sizeof c->own_session, "%032llx",
             (unsigned long long)++srv->next_conn);
    r = sd_event_add_io(cb_service_event(srv->service), &c->io, cfd, EPOLLIN, cb_conn_on_io, c);
    if (r < 0) {
        close(cfd);
        free(c);
        return 0;
    }
    c->next = srv->conns;
    if (srv->conns) {
        srv->conns->prev = c;
    }
    srv->conns = c;
    srv->n_conns++;
    return 0;
}

static void on_status(char *buf, size_t size, void *userdata)
{
    struct server *srv = userdata;
    uint64_t grace = srv->config->grace_seconds * CB_USEC_PER_SEC;

    (void)cb_registry_expire(srv->registry, cb_now_monotonic_usec(), grace);
    cb_log_refusals_flush(&srv->refusal_log_limit, cb_now_monotonic_usec());
    snprintf(buf, size, "Serving %s: %u sessions, %u handles, %u in flight, %llu handled",
             srv->family->name, cb_registry_n_sessions(srv->registry),
             cb_registry_n_handles(srv->registry), srv->inflight, (unsigned long long)srv->handled);
}

static bool on_health(void *userdata)
{
    struct server *srv = userdata;

    return !cb_pool_stuck(srv->pool, srv->config->stall_seconds * CB_USEC_PER_SEC);
}

static bool on_idle(void *userdata)
{
    struct server *srv = userdata;

    return srv->n_conns == 0 && srv->n_channels == 0 && srv->inflight == 0 &&
           cb_registry_empty(srv->registry);
}

static int on_reload(void *userdata)
{
    struct server *srv = userdata;
    struct cb_config *c = NULL, **grown;
    char *err = NULL;
    int r;

    r = cb_config_load(srv->config_path, &c, &err);
    if (r < 0) {
        cb_log_error("Cannot reload the configuration: %s", err ? err : strerror(-r));
        free(err);
        return r;
    }
    grown = realloc(srv->retired, (srv->n_retired + 1) * sizeof *grown);
    if (!grown) {
        cb_config_free(c);
        return -ENOMEM;
    }
    srv->retired = grown;
    srv->retired[srv->n_retired++] = srv->config;
    srv->config = c;
    cb_registry_set_handle_limit(srv->registry, c->max_handles_per_uid);
    cb_log_set_max_level(c->request_log_sample > 0 ? LOG_DEBUG : LOG_INFO);
    cb_log_notice("Reloaded the configuration; sessions and handles carry on");
    return 0;
}

static uid_t service_user_uid(void)
{
    struct passwd *pw = getpwnam(CB_SERVICE_USER);

    return pw ? pw->pw_uid : (uid_t)-1;
}

static int setup(struct server *srv, char **listen_paths)
{
    const struct cb_service_listener *l;
    size_t n;
    int r;

    r = cb_service_open_listeners(srv->service, listen_paths, 0600);
    if (r == 0) {
        cb_log_error(
                "No socket to serve: start it through its .socket unit, cpan-bridge-dev, or --listen PATH");
        return -EBADF;
    }
    if (r < 0) {
        return r;
    }
    l = cb_service_listeners(srv->service, &n);
    for (size_t i = 0; i < n; i++) {
        r = sd_event_add_io(cb_service_event(srv->service), NULL, l[i].fd, EPOLLIN, on_accept, srv);
        if (r < 0) {
            return r;
        }
    }
    cb_budget_init(&srv->budget, srv->config);
    /* Request logging is an explicit opt-in to per-request debug entries (channels' calls). */
    if (srv->config->request_log_sample > 0 && cb_log_get_max_level() < LOG_DEBUG) {
        cb_log_set_max_level(LOG_DEBUG);
    }
    srv->refusal_log_limit = (struct cb_ratelimit)CB_RATELIMIT_INIT(10 * CB_USEC_PER_SEC, 20);
    r = cb_pool_new(cb_service_event(srv->service), srv->config->workers_min,
                    srv->config->workers_max, &srv->pool);
    if (r < 0) {
        return r;
    }
    srv->registry = cb_registry_new(&srv->family->session_ops);
    srv->meter = cb_meter_new();
    if (!srv->registry || !srv->meter) {
        return -ENOMEM;
    }
    cb_registry_set_handle_limit(srv->registry, srv->config->max_handles_per_uid);
    return 0;
}

int cb_family_run_daemon(const struct cb_family *family,
                         struct cb_config *config,
                         const struct cb_family_options *o)
{
    struct server srv = {
        .family = family,
        .config = config,
        .start_usec = cb_now_monotonic_usec(),
        .router_uid = service_user_uid(),
        .config_path = o->config_path,
    };
    char name[64];
    int r;

    snprintf(name, sizeof name, "cpan-bridge-%s", family->name);
    r = cb_service_new(name, &srv.service);
    if (r >= 0) {
        r = setup(&srv, o->listen_paths);
    }
    if (r >= 0) {
        cb_service_set_status(srv.service, on_status, &srv);
        cb_service_set_health(srv.service, on_health, &srv);
        cb_service_set_reload(srv.service, on_reload, &srv);
        cb_service_set_idle(srv.service, on_idle, &srv,
                            config->idle_exit_seconds * CB_USEC_PER_SEC);
        r = cb_service_run(srv.service);
    }

    /* Calls begun on the loop end first, their answers written if the client still reads;
     * workers finish what they run, and their answers have nowhere to go once we stop. */
    cb_conn_finish_started(&srv);
    while (srv.conns) {
        cb_conn_close(srv.conns);
    }
    /* The sessions' work queues belong to the pool: its threads end first, then the
     * sessions go, then the pool. */
    cb_pool_stop(srv.pool);
    cb_registry_free(srv.registry);
    cb_pool_free(srv.pool);
    cb_meter_free(srv.meter);
    cb_service_free(srv.service);
    for (size_t i = 0; i < srv.n_retired; i++) {
        cb_config_free(srv.retired[i]);
    }
    free(srv.retired);
    cb_config_free(srv.config);
    return r < 0 ? EXIT_FAILURE : r;
}
