/* SPDX-License-Identifier: MIT */
/*
 * The launcher activator: asks cpan-bridge-dev, over its control socket, to make an
 * instance's socket (the launcher then starts the daemon on the first connection, as systemd
 * would). One persistent connection; the launcher answers requests in order.
 */
#include "services/router/router-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/cb-frame.h"
#include "common/cb-json.h"
#include "common/cb-log.h"

struct waiting {
    struct upstream *upstream;
    struct waiting *next;
};

struct launcher {
    int fd;
    sd_event_source *io;
    struct cb_buf in, out;
    struct waiting *head, *tail;
};

static struct launcher *launcher_of(struct router *r)
{
    if (!r->activator_data) {
        struct launcher *l = calloc(1, sizeof *l);

        if (l) {
            l->fd = -1;
        }
        r->activator_data = l;
    }
    return r->activator_data;
}

static void fail_all(struct launcher *l, const char *why)
{
    while (l->head) {
        struct waiting *w = l->head;

        l->head = w->next;
        router_upstream_activated(w->upstream, -EIO, why, false);
        free(w);
    }
    l->tail = NULL;
}

static void launcher_disconnect(struct launcher *l, const char *why)
{
    l->io = sd_event_source_disable_unref(l->io);
    if (l->fd >= 0) {
        close(l->fd);
        l->fd = -1;
    }
    cb_buf_consume(&l->in, cb_buf_pending(&l->in));
    cb_buf_consume(&l->out, cb_buf_pending(&l->out));
    fail_all(l, why);
}

static void handle_reply(struct launcher *l, const char *payload, size_t len)
{
    struct waiting *w = l->head;
    json_t *reply = NULL;

    if (!w) {
        return;
    }
    l->head = w->next;
    if (!l->head) {
        l->tail = NULL;
    }
    if (cb_json_parse(payload, len, &reply, NULL) < 0 || !json_is_object(reply)) {
        router_upstream_activated(w->upstream, -EIO, "the launcher sent a broken reply", false);
    } else if (!cb_json_get_bool(reply, "ok", false)) {
        router_upstream_activated(w->upstream, -EIO,
                                  cb_json_get_string(reply, "error", "the launcher refused"),
                                  cb_json_get_bool(reply, "not_installed", false));
    } else {
        router_upstream_activated(w->upstream, 0, NULL, false);
    }
    json_decref(reply);
    free(w);
}

static int on_launcher_io(sd_event_source *s CB_UNUSED, int fd, uint32_t revents, void *userdata)
{
    struct launcher *l = userdata;
    const char *payload;
    size_t len;
    ssize_t n;
    int k;

    if (revents & EPOLLOUT) {
        n = cb_buf_write_fd(&l->out, fd);
        if (n < 0 && n != -EAGAIN) {
            launcher_disconnect(l, "the launcher's control socket failed");
            return 0;
        }
    }
    if (revents & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
        n = cb_buf_read_fd(&l->in, fd, 1024 * 1024);
        if (n == 0 || (n < 0 && n != -EAGAIN)) {
            launcher_disconnect(l, "the launcher closed its control socket");
            return 0;
        }
        while ((k = cb_frame_next(&l->in, 1024 * 1024, &payload, &len, NULL)) == 1) {
            handle_reply(l, payload, len);
        }
    }
    if (l->io) {
        (void)sd_event_source_set_io_events(l->io,
                                            EPOLLIN | (cb_buf_pending(&l->out) ? EPOLLOUT : 0));
    }
    return 0;
}

static int launcher_connect(struct router *r, struct launcher *l)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    const char *path = r->config->launcher_socket;
    int fd, k;

    if (!path || strlen(path) >= sizeof sa.sun_path) {
        return -EINVAL;
    }
    strcpy(sa.sun_path, path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return -errno;
    }
    /* A local socket connects at once or not at all; then it becomes non-blocking. */
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        k = -errno;
        close(fd);
        return k;
    }
    (void)fcntl(fd, F_SETFL, O_NONBLOCK);
    k = sd_event_add_io(r->event, &l->io, fd, EPOLLIN, on_launcher_io, l);
    if (k < 0) {
        close(fd);
        return k;
    }
    l->fd = fd;
    return 0;
}

static int launcher_start(struct router *r, struct upstream *u)
{
    struct launcher *l = launcher_of(r);
    struct waiting *w;
    json_t *req;
    char *text;
    size_t len;
    int k;

    if (!l) {
        return -ENOMEM;
    }
    if (l->fd < 0) {
        k = launcher_connect(r, l);
        if (k < 0) {
            return cb_log_error_errno(k, "Cannot reach the launcher at '%s'",
                                      r->config->launcher_socket ? r->config->launcher_socket
                                                                 : "(unset)");
        }
    }

    req = json_pack("{s:s, s:s, s:I}", "op", "start", "family", u->family->name, "uid",
                    (json_int_t)u->uid);
    text = req ? cb_json_dump(req, &len) : NULL;
    json_decref(req);
    w = calloc(1, sizeof *w);
    if (!text || !w || cb_frame_append(&l->out, text, len) < 0) {
        free(text);
        free(w);
        return -ENOMEM;
    }
    free(text);

    w->upstream = u;
    if (l->tail) {
        l->tail->next = w;
    } else {
        l->head = w;
    }
    l->tail = w;
    (void)sd_event_source_set_io_events(l->io, EPOLLIN | EPOLLOUT);
    return 0;
}

static void launcher_free(struct router *r)
{
    struct launcher *l = r->activator_data;

    if (!l) {
        return;
    }
    launcher_disconnect(l, "the router is stopping");
    cb_buf_free(&l->in);
    cb_buf_free(&l->out);
    free(l);
    r->activator_data = NULL;
}

const struct activator_ops router_activator_launcher = {
    .name = "launcher",
    .start = launcher_start,
    .free = launcher_free,
};
