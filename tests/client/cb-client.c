/* SPDX-License-Identifier: MIT */
/* The test client: Unix socket or process-mode pipes, one frame at a time. */
#include "tests/client/cb-client.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/cb-buf.h"
#include "common/cb-error.h"
#include "common/cb-frame.h"
#include "common/cb-json.h"
#include "common/cb-macro.h"
#include "common/cb-time.h"

#define EXEC_REAP_TIMEOUT_MS 5000

extern char **environ;

struct cb_client {
    int rfd;     /* answers come from here */
    int wfd;     /* requests go here; the same socket as rfd, or the child's stdin */
    bool socket; /* rfd == wfd is a socket: send() with MSG_NOSIGNAL, shutdown() */
    pid_t pid;   /* process mode: the child, -1 once reaped */
    struct cb_buf in;
    bool broken; /* an over-limit frame was announced: nothing more can be read */
    char *session;
    int timeout_ms;
    uint64_t next_id;
};

const char *cb_client_default_socket(void)
{
    const char *e = getenv("CPAN_BRIDGE_SOCKET");

    return e && *e ? e : CB_CLIENT_SOCKET_DEFAULT;
}

static struct cb_client *client_new(void)
{
    struct cb_client *c = calloc(1, sizeof *c);

    if (!c) {
        return NULL;
    }
    c->rfd = c->wfd = -1;
    c->pid = -1;
    c->timeout_ms = -1;
    c->next_id = 1;
    return c;
}

/* Milliseconds left until deadline (monotonic usec); -1 when there is no deadline. */
static int remaining_ms(uint64_t deadline)
{
    uint64_t now;

    if (deadline == UINT64_MAX) {
        return -1;
    }
    now = cb_now_monotonic_usec();
    if (now >= deadline) {
        return 0;
    }
    return (int)CB_MIN((deadline - now + 999) / 1000, (uint64_t)INT32_MAX);
}

static uint64_t deadline_after(int timeout_ms)
{
    if (timeout_ms < 0) {
        return UINT64_MAX;
    }
    return cb_now_monotonic_usec() + (uint64_t)timeout_ms * CB_USEC_PER_MSEC;
}

static int set_nonblocking(int fd, bool on)
{
    int flags = fcntl(fd, F_GETFL);

    if (flags < 0) {
        return -errno;
    }
    flags = on ? flags | O_NONBLOCK : flags & ~O_NONBLOCK;
    if (fcntl(fd, F_SETFL, flags) < 0) {
        return -errno;
    }
    return 0;
}

static int connect_wait(int fd, const struct sockaddr_un *sa, socklen_t salen, uint64_t deadline)
{
    struct pollfd p = { .fd = fd, .events = POLLOUT };
    socklen_t len = sizeof(int);
    int soerr = 0;
    int left;
    int r;

    for (;;) {
        if (connect(fd, (const struct sockaddr *)sa, salen) == 0) {
            return 0;
        }
        if (errno == EINTR) {
            continue;
        }
        if (errno == EINPROGRESS) {
            break;
        }
        if (errno != EAGAIN) {
            return -errno;
        }

        /* A Unix socket whose backlog is full says EAGAIN at once; the server may catch up. */
        left = remaining_ms(deadline);
        if (left == 0) {
            return -ETIMEDOUT;
        }
        (void)poll(NULL, 0, left < 0 ? 10 : CB_MIN(left, 10));
    }

    do {
        r = poll(&p, 1, remaining_ms(deadline));
    } while (r < 0 && errno == EINTR);
    if (r < 0) {
        return -errno;
    }
    if (r == 0) {
        return -ETIMEDOUT;
    }
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0) {
        return -errno;
    }
    return -soerr;
}

int cb_client_connect(const char *socket_path, int timeout_ms, struct cb_client **ret)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    CB_CLEANUP(cb_closep) int fd = -1;
    struct cb_client *c;
    size_t n = strlen(socket_path);
    int r;

    if (n == 0) {
        return -EINVAL;
    }
    if (n >= sizeof sa.sun_path) {
        return -ENAMETOOLONG;
    }
    memcpy(sa.sun_path, socket_path, n);

    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        return -errno;
    }
    r = connect_wait(fd, &sa, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1),
                     deadline_after(timeout_ms));
    if (r < 0) {
        return r;
    }

    /* Blocking from here on: recv() polls before it reads, send() may wait for the peer. */
    r = set_nonblocking(fd, false);
    if (r < 0) {
        return r;
    }

    c = client_new();
    if (!c) {
        return -ENOMEM;
    }
    c->rfd = c->wfd = CB_TAKE_FD(fd);
    c->socket = true;
    *ret = c;
    return 0;
}

int cb_client_spawn_exec(const char *exec_path, struct cb_client **ret)
{
    int to_child[2] = { -1, -1 }, from_child[2] = { -1, -1 };
    char *argv[] = { (char *)exec_path, NULL };
    posix_spawn_file_actions_t fa;
    struct cb_client *c;
    pid_t pid = -1;
    int r;

    c = client_new();
    if (!c) {
        return -ENOMEM;
    }
    if (pipe2(to_child, O_CLOEXEC) < 0 || pipe2(from_child, O_CLOEXEC) < 0) {
        r = -errno;
        goto fail;
    }

    /* dup2 clears O_CLOEXEC on the child's 0 and 1; every other pipe end closes at exec. */
    r = -posix_spawn_file_actions_init(&fa);
    if (r < 0) {
        goto fail;
    }
    r = -posix_spawn_file_actions_adddup2(&fa, to_child[0], STDIN_FILENO);
    if (r == 0) {
        r = -posix_spawn_file_actions_adddup2(&fa, from_child[1], STDOUT_FILENO);
    }
    if (r == 0) {
        r = -posix_spawn(&pid, exec_path, &fa, NULL, argv, environ);
    }
    posix_spawn_file_actions_destroy(&fa);
    if (r < 0) {
        goto fail;
    }

    close(to_child[0]);
    close(from_child[1]);
    c->wfd = to_child[1];
    c->rfd = from_child[0];
    c->pid = pid;
    *ret = c;
    return 0;

fail:
    for (int i = 0; i < 2; i++) {
        cb_closep(&to_child[i]);
        cb_closep(&from_child[i]);
    }
    free(c);
    return r;
}

static int reap(pid_t pid, int timeout_ms, int *ret_status)
{
    uint64_t deadline = deadline_after(timeout_ms);
    int status;

    for (;;) {
        pid_t p = waitpid(pid, &status, timeout_ms < 0 ? 0 : WNOHANG);

        if (p == pid) {
            *ret_status = status;
            return 0;
        }
        if (p < 0 && errno != EINTR) {
            return -errno;
        }
        if (p == 0) {
            if (remaining_ms(deadline) == 0) {
                return -ETIMEDOUT;
            }
            (void)poll(NULL, 0, 5);
        }
    }
}

int cb_client_wait_exit(struct cb_client *c, int timeout_ms, int *ret_status)
{
    int status;
    int r;

    if (c->pid < 0) {
        return -ECHILD;
    }
    (void)cb_client_shutdown_write(c);

    r = reap(c->pid, timeout_ms, &status);
    if (r < 0) {
        return r;
    }
    c->pid = -1;
    if (ret_status) {
        *ret_status = status;
    }
    return 0;
}

struct cb_client *cb_client_free(struct cb_client *c)
{
    int status;

    if (!c) {
        return NULL;
    }
    if (c->pid >= 0 && cb_client_wait_exit(c, EXEC_REAP_TIMEOUT_MS, &status) == -ETIMEDOUT) {
        (void)kill(c->pid, SIGKILL);
        (void)reap(c->pid, -1, &status);
    }
    if (c->wfd >= 0 && c->wfd != c->rfd) {
        close(c->wfd);
    }
    cb_closep(&c->rfd);
    cb_buf_free(&c->in);
    free(c->session);
    free(c);
    return NULL;
}

int cb_client_set_session(struct cb_client *c, const char *token)
{
    char *copy = NULL;

    if (token) {
        copy = strdup(token);
        if (!copy) {
            return -ENOMEM;
        }
    }
    free(c->session);
    c->session = copy;
    return 0;
}

void cb_client_set_timeout(struct cb_client *c, int timeout_ms)
{
    c->timeout_ms = timeout_ms;
}

uint64_t cb_client_next_id(const struct cb_client *c)
{
    return c->next_id;
}

int cb_client_fd(const struct cb_client *c)
{
    return c->rfd;
}

pid_t cb_client_pid(const struct cb_client *c)
{
    return c->pid;
}

/*
 * A pipe whose reader has gone raises SIGPIPE, which would kill a test binary. The signal
 * is blocked around the write and a SIGPIPE we caused is taken back, so the caller gets
 * -EPIPE and the process's signal disposition is left alone.
 */
static int write_pipe(int fd, const void *p, size_t n)
{
    struct timespec zero = { 0 };
    sigset_t pipe_set, old, pending;
    bool was_pending;
    int r;

    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    (void)pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
    (void)sigpending(&pending);
    was_pending = sigismember(&pending, SIGPIPE) == 1;

    r = cb_write_full(fd, p, n);
    if (r == -EPIPE && !was_pending) {
        while (sigtimedwait(&pipe_set, NULL, &zero) < 0 && errno == EINTR) {
        }
    }

    (void)pthread_sigmask(SIG_SETMASK, &old, NULL);
    return r;
}

static int write_socket(int fd, const void *p, size_t n)
{
    const char *c = p;

    while (n > 0) {
        ssize_t k = send(fd, c, n, MSG_NOSIGNAL);

        if (k < 0) {
            if (errno == EINTR) {
                continue;
            }
            return -errno;
        }
        c += k;
        n -= (size_t)k;
    }
    return 0;
}

int cb_client_send_raw(struct cb_client *c, const void *bytes, size_t n)
{
    if (c->wfd < 0) {
        return -EPIPE;
    }
    return c->socket ? write_socket(c->wfd, bytes, n) : write_pipe(c->wfd, bytes, n);
}

int cb_client_send(struct cb_client *c, const json_t *request)
{
    struct cb_buf out = { 0 };
    CB_CLEANUP(cb_freep) char *text = NULL;
    size_t len;
    int r;

    text = cb_json_dump(request, &len);
    if (!text) {
        return -EINVAL;
    }

    /* Header and payload in one write, so a peer never sees a frame cut by our own timing. */
    r = cb_frame_append(&out, text, len);
    if (r == 0) {
        r = cb_client_send_raw(c, cb_buf_head(&out), cb_buf_pending(&out));
    }
    cb_buf_free(&out);
    return r;
}

int cb_client_shutdown_write(struct cb_client *c)
{
    if (c->socket) {
        return shutdown(c->wfd, SHUT_WR) < 0 ? -errno : 0;
    }
    if (c->wfd >= 0) {
        close(c->wfd);
        c->wfd = -1;
    }
    return 0;
}

static int take_frame(struct cb_client *c, char **ret_payload, size_t *ret_len)
{
    const char *payload;
    size_t len;
    char *copy;
    int r;

    r = cb_frame_next(&c->in, CB_CLIENT_FRAME_LIMIT, &payload, &len, NULL);
    if (r == -E2BIG) {
        c->broken = true;
    }
    if (r <= 0) {
        return r;
    }

    copy = malloc(len + 1);
    if (!copy) {
        return -ENOMEM;
    }
    memcpy(copy, payload, len);
    copy[len] = '\0';
    *ret_payload = copy;
    *ret_len = len;
    return 1;
}

int cb_client_recv_frame(struct cb_client *c, int timeout_ms, char **ret_payload, size_t *ret_len)
{
    uint64_t deadline = deadline_after(timeout_ms);
    struct pollfd p = { .fd = c->rfd, .events = POLLIN };
    ssize_t n;
    int r;

    if (c->broken) {
        return -E2BIG;
    }

    for (;;) {
        r = take_frame(c, ret_payload, ret_len);
        if (r != 0) {
            return r < 0 ? r : 0;
        }

        r = poll(&p, 1, remaining_ms(deadline));
        if (r < 0) {
            if (errno == EINTR) {
                continue;
            }
            return -errno;
        }
        if (r == 0) {
            return -ETIMEDOUT;
        }

        /* poll said readable, so this read returns at once even on a blocking fd. */
        n = cb_buf_read_fd(&c->in, c->rfd, 0);
        if (n == 0) {
            return -EPIPE;
        }
        if (n == -ECONNRESET) {
            return -EPIPE;
        }
        if (n < 0 && n != -EAGAIN && n != -EINTR) {
            return (int)n;
        }
    }
}

int cb_client_recv(struct cb_client *c, int timeout_ms, json_t **ret_response)
{
    struct cb_error err = CB_ERROR_INIT;
    CB_CLEANUP(cb_freep) char *payload = NULL;
    json_t *v = NULL;
    size_t len;
    int r;

    r = cb_client_recv_frame(c, timeout_ms, &payload, &len);
    if (r < 0) {
        return r;
    }

    r = cb_json_parse(payload, len, &v, &err);
    cb_error_clear(&err);
    if (r < 0) {
        return -EPROTO;
    }
    if (!json_is_object(v)) {
        json_decref(v);
        return -EPROTO;
    }
    *ret_response = v;
    return 0;
}

int cb_client_call(struct cb_client *c,
                   const char *module,
                   const char *function,
                   json_t *params,
                   json_t **ret_response)
{
    CB_JSON_AUTO *request = NULL;
    CB_JSON_AUTO *response = NULL;
    json_t *id;
    uint64_t want = c->next_id++;
    int r;

    if (!params) {
        params = json_object();
    }
    request = json_pack("{s:I, s:s, s:s, s:o}", "id", (json_int_t)want, "module", module,
                        "function", function, "params", params);
    if (!request) {
        return -ENOMEM;
    }
    if (c->session && json_object_set_new(request, "session", json_string(c->session)) < 0) {
        return -ENOMEM;
    }

    r = cb_client_send(c, request);
    if (r < 0) {
        return r;
    }
    r = cb_client_recv(c, c->timeout_ms, &response);
    if (r < 0) {
        return r;
    }

    id = json_object_get(response, "id");
    if (!json_is_integer(id) || (uint64_t)json_integer_value(id) != want) {
        return -EPROTO;
    }
    *ret_response = CB_TAKE_PTR(response);
    return 0;
}

bool cb_client_response_ok(const json_t *response)
{
    return json_is_true(json_object_get(response, "success"));
}
