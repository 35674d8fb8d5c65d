/* SPDX-License-Identifier: MIT */
/* The control socket: framed JSON requests from the router, answered without blocking. */
#include "launcher-internal.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/cb-frame.h"
#include "common/cb-json.h"
#include "common/cb-log.h"

#define CONTROL_BACKLOG 64

void lc_conn_free(struct lc_conn *c)
{
    struct lc_conn **p;

    if (!c) {
        return;
    }
    for (p = &c->launcher->conns; *p; p = &(*p)->next) {
        if (*p == c) {
            *p = c->next;
            break;
        }
    }
    sd_event_source_disable_unref(c->source);
    if (c->fd >= 0) {
        close(c->fd);
    }
    cb_buf_free(&c->in);
    cb_buf_free(&c->out);
    free(c);
}

static int queue_answer(struct lc_conn *c, json_t *answer)
{
    CB_CLEANUP(cb_freep) char *text = NULL;
    size_t len;

    if (!answer) {
        return -ENOMEM;
    }
    text = cb_json_dump(answer, &len);
    json_decref(answer);
    if (!text) {
        return -ENOMEM;
    }
    return cb_frame_append(&c->out, text, len);
}

static json_t *error_answer(const char *message)
{
    return json_pack("{s:b, s:s}", "ok", 0, "error", message);
}

/* Answers every whole frame in the input; a frame over the limit ends the connection. */
static int process_input(struct lc_conn *c)
{
    const char *payload;
    size_t len;
    int r;

    while (!c->closing) {
        r = cb_frame_next(&c->in, LC_CONTROL_LIMIT, &payload, &len, NULL);
        if (r == 0) {
            return 0;
        }
        if (r == -EBADMSG) {
            r = queue_answer(c, error_answer("empty frame"));
        } else if (r == -E2BIG) {
            /* The stream cannot be resynchronised after an unread payload. */
            c->closing = true;
            r = queue_answer(c, error_answer("frame too large"));
        } else if (r > 0) {
            r = queue_answer(c, lc_ops_handle(c->launcher, payload, len));
        }
        if (r < 0) {
            return r;
        }
    }
    return 0;
}

static int read_input(struct lc_conn *c)
{
    ssize_t n;
    int r;

    for (;;) {
        n = cb_buf_read_fd(&c->in, c->fd, LC_CONTROL_LIMIT + CB_FRAME_HEADER_SIZE);
        if (n == -EAGAIN || n == -EINTR) {
            return 0;
        }
        if (n == 0) {
            c->closing = true;
            return 0;
        }
        if (n < 0) {
            return (int)n;
        }
        r = process_input(c);
        if (r < 0 || c->closing) {
            return r;
        }
    }
}

static int flush_output(struct lc_conn *c)
{
    ssize_t n;

    while (cb_buf_pending(&c->out) > 0) {
        n = cb_buf_write_fd(&c->out, c->fd);
        if (n == -EAGAIN || n == -EINTR) {
            return 0;
        }
        if (n < 0) {
            return (int)n;
        }
    }
    return 0;
}

static int on_conn_io(sd_event_source *s, int fd CB_UNUSED, uint32_t revents, void *userdata)
{
    struct lc_conn *c = userdata;
    bool pending;
    int r = 0;

    if (revents & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
        r = read_input(c);
    }
    if (r >= 0) {
        r = flush_output(c);
    }
    pending = cb_buf_pending(&c->out) > 0;
    if (r < 0 || (c->closing && !pending)) {
        if (r < 0 && r != -ECONNRESET && r != -EPIPE) {
            cb_log_warning_errno(r, "dropping a control connection");
        }
        lc_conn_free(c);
        return 0;
    }
    sd_event_source_set_io_events(s, (c->closing ? 0 : EPOLLIN) | (pending ? EPOLLOUT : 0));
    return 0;
}

static int conn_add(struct launcher *l, int fd)
{
    struct lc_conn *c = calloc(1, sizeof *c);
    int r;

    if (!c) {
        close(fd);
        return -ENOMEM;
    }
    c->launcher = l;
    c->fd = fd;
    c->next = l->conns;
    l->conns = c;
    r = sd_event_add_io(l->event, &c->source, fd, EPOLLIN, on_conn_io, c);
    if (r < 0) {
        lc_conn_free(c);
        return r;
    }
    return 0;
}

static int on_accept(sd_event_source *s CB_UNUSED,
                     int fd,
                     uint32_t revents CB_UNUSED,
                     void *userdata)
{
    struct launcher *l = userdata;

    for (;;) {
        int conn = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

        if (conn < 0) {
            if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED) {
                cb_log_warning_errno(errno, "cannot accept on the control socket");
            }
            return 0;
        }
        if (conn_add(l, conn) < 0) {
            cb_log_warning("dropping a control connection: out of memory");
        }
    }
}

int lc_control_open(struct launcher *l)
{
    int r;

    r = lc_socket_listen(l->control_socket, 0600, CONTROL_BACKLOG, &l->control_fd);
    if (r < 0) {
        return r;
    }
    r = lc_fd_set_nonblock(l->control_fd, true);
    if (r < 0) {
        return cb_log_error_errno(r, "cannot make the control socket non-blocking");
    }
    r = sd_event_add_io(l->event, &l->control_source, l->control_fd, EPOLLIN, on_accept, l);
    if (r < 0) {
        return cb_log_error_errno(r, "cannot watch the control socket");
    }
    return 0;
}
