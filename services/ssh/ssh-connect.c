/* SPDX-License-Identifier: MIT */
/* sftp.connect: TCP, the SSH handshake, the host key, authentication, then SFTP. */
#include "services/ssh/ssh-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/cb-json.h"
#include "common/cb-log.h"
#include "common/cb-time.h"

#define OOM(err) cb_error_set(err, CB_E_INTERNAL, "out of memory")

/* A connect bounded by the call's timeout, to the first address that answers. */
static int tcp_connect(const char *host, int port, int timeout_ms, int *ret_fd, struct cb_error *err)
{
    struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_family = AF_UNSPEC }, *res, *ai;
    char service[16];
    int rc, last = ECONNREFUSED;

    snprintf(service, sizeof service, "%d", port);
    rc = getaddrinfo(host, service, &hints, &res);
    if (rc != 0) {
        return cb_error_set_backend(err, "RESOLVE", gai_strerror(rc), "cannot resolve '%s': %s",
                                    host, gai_strerror(rc));
    }
    for (ai = res; ai; ai = ai->ai_next) {
        int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
                        ai->ai_protocol);
        struct pollfd p = { .fd = fd, .events = POLLOUT };
        socklen_t len = sizeof last;
        int one = 1;

        if (fd < 0) {
            last = errno;
            continue;
        }
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0 && errno != EINPROGRESS) {
            last = errno;
            close(fd);
            continue;
        }
        if (poll(&p, 1, timeout_ms) <= 0) {
            last = ETIMEDOUT;
            close(fd);
            continue;
        }
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &last, &len) < 0 || last != 0) {
            close(fd);
            continue;
        }
        /* libssh2 works on a blocking socket; keepalives keep idle sessions through NAT. */
        (void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
        (void)setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
        (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        freeaddrinfo(res);
        *ret_fd = fd;
        return 0;
    }
    freeaddrinfo(res);
    if (last == ETIMEDOUT) {
        return cb_error_set(err, CB_E_TIMEOUT, "connecting to %s:%d timed out", host, port);
    }
    return cb_error_set_backend(err, "CONNECT", strerror(last), "cannot connect to %s:%d: %s", host,
                                port, strerror(last));
}

static int session_error(struct ssh_conn *c, const char *what, struct cb_error *err)
{
    char *msg = NULL;
    int rc = libssh2_session_last_error(c->session, &msg, NULL, 0);

    if (rc == LIBSSH2_ERROR_TIMEOUT) {
        return cb_error_set(err, CB_E_TIMEOUT, "%s with %s:%d timed out", what, c->host, c->port);
    }
    return cb_error_set_backend(err, "SSH", msg ? msg : "", "%s with %s:%d failed: %s", what,
                                c->host, c->port, msg ? msg : "");
}

static void wipe(json_t *params, const char *key)
{
    json_t *v = json_object_get(params, key);

    if (json_is_string(v)) {
        explicit_bzero((char *)json_string_value(v), json_string_length(v));
    }
}

static int open_sftp(struct ssh_conn *c, struct cb_error *err)
{
    char dir[4096];
    int n;

    c->sftp = libssh2_sftp_init(c->session);
    if (!c->sftp) {
        return session_error(c, "starting SFTP", err);
    }
    n = libssh2_sftp_realpath(c->sftp, ".", dir, sizeof dir - 1);
    if (n < 0) {
        return session_error(c, "finding the login directory", err);
    }
    dir[n] = '\0';
    c->cwd = strdup(dir);
    return c->cwd ? 0 : OOM(err);
}

static int establish(struct cb_call *call, struct ssh_conn *c, struct cb_error *err)
{
    double timeout = json_number_value(json_object_get(call->params, "timeout"));
    int timeout_ms = timeout > 0 ? (int)(timeout * 1000.0) : 60000;
    int r;

    r = tcp_connect(c->host, c->port, timeout_ms, &c->fd, err);
    if (r < 0) {
        return r;
    }
    c->session = libssh2_session_init();
    if (!c->session) {
        return OOM(err);
    }
    libssh2_session_set_blocking(c->session, 1);
    libssh2_session_set_timeout(c->session, timeout_ms);
    if (libssh2_session_handshake(c->session, c->fd) < 0) {
        return session_error(c, "the SSH handshake", err);
    }
    r = ssh_check_host_key(call, c, err);
    r = r < 0 ? r : ssh_authenticate(call, c, err);
    return r < 0 ? r : open_sftp(c, err);
}

int ssh_connect(struct cb_call *call, json_t **ret, struct cb_error *err)
{
    struct ssh_conn *c = calloc(1, sizeof *c);
    uint64_t start = cb_now_monotonic_usec();
    const char *id;
    int r;

    if (!c) {
        return OOM(err);
    }
    c->fd = -1;
    c->host = strdup(cb_json_get_string(call->params, "hostname", ""));
    c->user = strdup(cb_json_get_string(call->params, "username", ""));
    c->port = (int)cb_json_get_int(call->params, "port", 22);
    r = c->host && c->user ? establish(call, c, err) : OOM(err);
    wipe(call->params, "password");
    wipe(call->params, "passphrase");
    if (r >= 0) {
        r = cb_handle_create(call->registry, call->session, SSH_SESSION_KIND, SSH_SESSION_PREFIX, c,
                             ssh_conn_free, &id, err);
    }
    if (r < 0) {
        cb_log_info("SFTP connect to %s@%s:%d failed: %s", c->user ? c->user : "",
                    c->host ? c->host : "", c->port, err->message ? err->message : "");
        ssh_conn_free(c);
        return r;
    }
    cb_log_info("SFTP session %s: %s@%s:%d, host key %s, in %.3f s", id, c->user, c->host, c->port,
                c->fingerprint, (double)(cb_now_monotonic_usec() - start) / 1e6);
    *ret = json_pack("{s:s, s:s, s:s, s:s}", "session_id", id, "initial_dir", c->cwd,
                     "host_key_fingerprint", c->fingerprint, "connection_type", "libssh2");
    return *ret ? 0 : OOM(err);
}
