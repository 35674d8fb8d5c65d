/* SPDX-License-Identifier: MIT */
/* cb-echo-server: the benchmark floor, a single-threaded epoll server answering every frame. */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <jansson.h>

#include "common/cb-buf.h"
#include "common/cb-frame.h"
#include "common/cb-macro.h"

#define ECHO_MAX_EVENTS 64
/* Stop reading from a client that does not read its answers, as a real server would. */
#define ECHO_MAX_OUTPUT (16u * 1024u * 1024u)

struct echo_conn {
    int fd;
    struct cb_buf in, out;
    uint32_t events; /* what epoll watches for now */
};

static const char *const pong_tail = ",\"success\":true,\"result\":{\"message\":\"pong\"}}";
static const char *const bad_json = "{\"id\":null,\"success\":false,"
                                    "\"error\":\"JSON does not parse\","
                                    "\"error_code\":\"E_PROTOCOL\",\"retryable\":false}";

static void conn_free(struct echo_conn *c)
{
    close(c->fd);
    cb_buf_free(&c->in);
    cb_buf_free(&c->out);
    free(c);
}

/* Answers one request; the id is copied as JSON text, so a string id comes back the same. */
static int answer(struct echo_conn *c, const char *payload, size_t len)
{
    json_t *req, *id;
    char *id_text;
    char header[CB_FRAME_HEADER_SIZE];
    size_t n, tail_len = strlen(pong_tail);
    int r;

    req = json_loadb(payload, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, NULL);
    if (!req) {
        return cb_frame_append(&c->out, bad_json, strlen(bad_json));
    }
    id = json_object_get(req, "id");
    id_text = json_dumps(id ? id : json_null(), JSON_ENCODE_ANY | JSON_COMPACT);
    json_decref(req);
    if (!id_text) {
        return -ENOMEM;
    }

    n = strlen("{\"id\":") + strlen(id_text) + tail_len;
    header[0] = (char)(n >> 24);
    header[1] = (char)(n >> 16);
    header[2] = (char)(n >> 8);
    header[3] = (char)n;
    r = cb_buf_append(&c->out, header, sizeof header);
    if (r == 0) {
        r = cb_buf_append(&c->out, "{\"id\":", strlen("{\"id\":"));
    }
    if (r == 0) {
        r = cb_buf_append(&c->out, id_text, strlen(id_text));
    }
    if (r == 0) {
        r = cb_buf_append(&c->out, pong_tail, tail_len);
    }
    free(id_text);
    return r;
}

/* Stops reading while too much output waits, so a busy client cannot make us spin. */
static int conn_update_events(int ep, struct echo_conn *c)
{
    uint32_t want = (cb_buf_pending(&c->out) < ECHO_MAX_OUTPUT ? EPOLLIN : 0) |
                    (cb_buf_pending(&c->out) > 0 ? EPOLLOUT : 0);
    struct epoll_event ev = { .events = want, .data.ptr = c };

    if (want == c->events) {
        return 0;
    }
    c->events = want;
    return epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev) < 0 ? -errno : 0;
}

/* Returns 0 to keep the connection, < 0 to close it. */
static int conn_handle(int ep, struct echo_conn *c, uint32_t events)
{
    const char *payload;
    size_t len;
    ssize_t n;
    int r;

    /* Level-triggered: one read per wakeup is enough, and saves the read that says EAGAIN. */
    if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
        n = cb_buf_read_fd(&c->in, c->fd, CB_FRAME_DEFAULT_LIMIT + CB_FRAME_HEADER_SIZE);
        if (n == 0 || (n < 0 && n != -EAGAIN)) {
            return -EPIPE;
        }

        for (;;) {
            r = cb_frame_next(&c->in, CB_FRAME_DEFAULT_LIMIT, &payload, &len, NULL);
            if (r == 0) {
                break;
            }
            /* Broken framing cannot be answered in step; the floor just hangs up. */
            if (r < 0) {
                return r;
            }
            r = answer(c, payload, len);
            if (r < 0) {
                return r;
            }
        }
    }

    n = cb_buf_write_fd(&c->out, c->fd);
    if (n < 0 && n != -EAGAIN) {
        return (int)n;
    }
    return conn_update_events(ep, c);
}

static int accept_all(int ep, int listen_fd)
{
    for (;;) {
        struct echo_conn *c;
        struct epoll_event ev = { .events = EPOLLIN };
        int fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

        if (fd < 0) {
            return errno == EAGAIN || errno == EINTR ? 0 : -errno;
        }
        c = calloc(1, sizeof *c);
        if (!c) {
            close(fd);
            return -ENOMEM;
        }
        c->fd = fd;
        c->events = EPOLLIN;
        ev.data.ptr = c;
        if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
            conn_free(c);
        }
    }
}

static int listen_on(const char *path)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    struct stat st;
    int fd;

    if (strlen(path) >= sizeof sa.sun_path) {
        return -ENAMETOOLONG;
    }
    strcpy(sa.sun_path, path);

    /* Replace a stale socket left by an earlier run, never another kind of file. */
    if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode)) {
        (void)unlink(path);
    }

    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return -errno;
    }
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(fd, SOMAXCONN) < 0) {
        int r = -errno;

        close(fd);
        return r;
    }
    return fd;
}

int main(int argc, char **argv)
{
    struct epoll_event events[ECHO_MAX_EVENTS];
    struct epoll_event ev = { .events = EPOLLIN };
    sigset_t mask;
    int ep, lfd, sfd;
    bool running = true;

    if (argc != 2) {
        fprintf(stderr, "usage: cb-echo-server SOCKET_PATH\n");
        return 2;
    }

    sigemptyset(&mask);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    sigprocmask(SIG_BLOCK, &mask, NULL);
    signal(SIGPIPE, SIG_IGN);

    lfd = listen_on(argv[1]);
    if (lfd < 0) {
        fprintf(stderr, "cb-echo-server: cannot listen on '%s': %s\n", argv[1], strerror(-lfd));
        return 1;
    }
    ep = epoll_create1(EPOLL_CLOEXEC);
    sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
    if (ep < 0 || sfd < 0) {
        fprintf(stderr, "cb-echo-server: %s\n", strerror(errno));
        return 1;
    }
    /* The two fixed fds are told apart from connections by a NULL and a non-NULL marker. */
    ev.data.ptr = NULL;
    (void)epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
    ev.data.ptr = &running;
    (void)epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &ev);

    while (running) {
        int n = epoll_wait(ep, events, ECHO_MAX_EVENTS, -1);

        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            fprintf(stderr, "cb-echo-server: epoll_wait: %s\n", strerror(errno));
            break;
        }
        for (int i = 0; i < n; i++) {
            void *p = events[i].data.ptr;

            if (p == NULL) {
                int r = accept_all(ep, lfd);

                if (r < 0) {
                    fprintf(stderr, "cb-echo-server: accept: %s\n", strerror(-r));
                }
            } else if (p == &running) {
                running = false;
            } else if (conn_handle(ep, p, events[i].events) < 0) {
                conn_free(p);
            }
        }
    }

    (void)unlink(argv[1]);
    return 0;
}
