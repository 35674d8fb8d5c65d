/* SPDX-License-Identifier: MIT */
/* `cpan-bridge-dev start`: the launcher in the background, then a wait until the suite answers. */
#include "launcher-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/cb-frame.h"
#include "common/cb-json.h"
#include "common/cb-log.h"

#define START_TIMEOUT_USEC (15 * CB_USEC_PER_SEC)
#define RETRY_USEC         (50 * CB_USEC_PER_MSEC)
#define ANSWER_LIMIT       (1024 * 1024)
#define PING_REQUEST       "{\"id\":1,\"module\":\"system\",\"function\":\"ping\",\"params\":{}}"

struct wait_state {
    const char *socket_path;
    uint64_t deadline;
    pid_t child; /* the launcher we forked, or 0 */
    char reason[256];
};

static int connect_to(const char *path, uint64_t deadline)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    uint64_t left = deadline - CB_MIN(deadline, cb_now_monotonic_usec());
    struct timeval tv = { .tv_sec = (time_t)(left / CB_USEC_PER_SEC),
                          .tv_usec = (suseconds_t)(left % CB_USEC_PER_SEC) };
    int fd;

    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return -errno;
    }
    /* Timeouts on the blocking socket keep the whole wait within the deadline. */
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        int r = -errno;

        close(fd);
        return r;
    }
    return fd;
}

static bool answer_succeeded(const char *payload, size_t len, struct wait_state *w)
{
    struct cb_error err = CB_ERROR_INIT;
    CB_JSON_AUTO *answer = NULL;

    if (cb_json_parse(payload, len, &answer, &err) < 0) {
        snprintf(w->reason, sizeof w->reason, "unreadable answer: %s", err.message);
        cb_error_clear(&err);
        return false;
    }
    if (cb_json_get_bool(answer, "success", false)) {
        return true;
    }
    snprintf(w->reason, sizeof w->reason, "the router answered: %s",
             cb_json_get_string(answer, "error", "success is not true"));
    return false;
}

/* One attempt: 1 when the suite answered with success, 0 to try again (reason kept). */
static int ping_once(struct wait_state *w)
{
    CB_CLEANUP(cb_closep) int fd = connect_to(w->socket_path, w->deadline);
    CB_CLEANUP(cb_freep) char *payload = NULL;
    size_t len;
    int r;

    if (fd < 0) {
        snprintf(w->reason, sizeof w->reason, "cannot connect: %s", strerror(-fd));
        return 0;
    }
    r = cb_frame_write_fd(fd, PING_REQUEST, strlen(PING_REQUEST));
    if (r >= 0) {
        r = cb_frame_read_fd(fd, ANSWER_LIMIT, &payload, &len);
    }
    if (r <= 0) {
        snprintf(w->reason, sizeof w->reason, "no answer to system.ping: %s",
                 r == 0         ? "the connection was closed"
                 : r == -EAGAIN ? "timed out"
                                : strerror(-r));
        return 0;
    }
    return answer_succeeded(payload, len, w) ? 1 : 0;
}

/* What the launcher knows of the router, for a failure message: "failed, 12 restarts". */
static void describe_router(const char *runtime_dir, char *buf, size_t size)
{
    static const char request[] = "{\"op\":\"status\"}";
    CB_CLEANUP(cb_freep) char *path = lc_path(runtime_dir, LC_CONTROL_SOCKET);
    CB_CLEANUP(cb_freep) char *payload = NULL;
    CB_CLEANUP(cb_closep) int fd = -1;
    CB_JSON_AUTO *status = NULL;
    const json_t *router;
    size_t len;

    buf[0] = '\0';
    fd = path ? connect_to(path, cb_now_monotonic_usec() + CB_USEC_PER_SEC) : -1;
    if (fd < 0 || cb_frame_write_fd(fd, request, strlen(request)) < 0 ||
        cb_frame_read_fd(fd, ANSWER_LIMIT, &payload, &len) <= 0 ||
        cb_json_parse(payload, len, &status, NULL) < 0) {
        return;
    }
    router = json_object_get(status, "router");
    snprintf(buf, size, "; the router's state: %s, %lld restarts",
             cb_json_get_string(router, "state", "unknown"),
             (long long)cb_json_get_int(router, "restarts", 0));
}

static bool child_exited(struct wait_state *w)
{
    int status;

    if (w->child <= 0 || waitpid(w->child, &status, WNOHANG) != w->child) {
        return false;
    }
    if (WIFEXITED(status)) {
        snprintf(w->reason, sizeof w->reason, "the launcher exited with status %d",
                 WEXITSTATUS(status));
    } else {
        snprintf(w->reason, sizeof w->reason, "the launcher was killed by signal %d",
                 WTERMSIG(status));
    }
    w->child = 0;
    return true;
}

static int wait_for_suite(struct wait_state *w)
{
    while (cb_now_monotonic_usec() < w->deadline) {
        if (child_exited(w)) {
            return -ECHILD;
        }
        if (ping_once(w) > 0) {
            return 0;
        }
        nanosleep(&(struct timespec){ .tv_nsec = RETRY_USEC * 1000 }, NULL);
    }
    return -ETIMEDOUT;
}

static void lc_print_env(const struct lc_options *o)
{
    printf("CPAN_BRIDGE_SOCKET=%s/%s\n", o->runtime_dir, LC_ROUTER_SOCKET);
    printf("CPAN_BRIDGE_EXEC=%s/cpan-bridge-exec\n", o->bin_dir);
    fflush(stdout);
}

/* An idempotent start: a launcher that is there and answers is as good as a new one. */
static int start_existing(struct lc_options *o, struct wait_state *w, pid_t pid)
{
    if (wait_for_suite(w) == 0) {
        lc_print_env(o);
        return 0;
    }
    fprintf(stderr,
            "cpan-bridge-dev: a launcher (pid %d) is already running for %s, but the suite does "
            "not answer (%s); see %s/%s, or run cpan-bridge-dev stop --runtime-dir %s\n",
            (int)pid, o->runtime_dir, w->reason, o->runtime_dir, LC_LOG_FILE, o->runtime_dir);
    return -EBUSY;
}

static CB_NORETURN void run_in_background(struct lc_options *o, int log_fd)
{
    int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    int r;

    /* Its own session: the terminal's hang-up and Ctrl-C are not the launcher's business. */
    setsid();
    if (null_fd < 0 || dup2(null_fd, STDIN_FILENO) < 0 || dup2(log_fd, STDOUT_FILENO) < 0 ||
        dup2(log_fd, STDERR_FILENO) < 0) {
        _exit(1);
    }
    /*
     * Every other inherited fd goes too: a test harness waiting for EOF on a pipe of its own
     * would otherwise wait for as long as the launcher lives.
     */
    close_range(STDERR_FILENO + 1, ~0U, 0);
    cb_log_init("cpan-bridge-dev", NULL);

    r = lc_run(o);
    fflush(NULL);
    _exit(r < 0 ? 1 : 0);
}

static int open_log(const struct lc_options *o)
{
    CB_CLEANUP(cb_freep) char *path = lc_path(o->runtime_dir, LC_LOG_FILE);
    int fd;

    if (!path) {
        return -ENOMEM;
    }
    fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) {
        fprintf(stderr, "cpan-bridge-dev: cannot open %s: %s\n", path, strerror(errno));
        return -errno;
    }
    return fd;
}

static int start_new(struct lc_options *o, struct wait_state *w)
{
    int log_fd = open_log(o);
    char router[128];
    pid_t pid;

    if (log_fd < 0) {
        return log_fd;
    }
    fflush(NULL);
    pid = fork();
    if (pid < 0) {
        close(log_fd);
        return -errno;
    }
    if (pid == 0) {
        run_in_background(o, log_fd);
    }
    close(log_fd);

    w->child = pid;
    if (wait_for_suite(w) == 0) {
        lc_print_env(o);
        return 0;
    }
    describe_router(o->runtime_dir, router, sizeof router);
    fprintf(stderr,
            "cpan-bridge-dev: the suite did not come up on %s within %llu s (%s%s); see %s/%s\n",
            w->socket_path, (unsigned long long)(START_TIMEOUT_USEC / CB_USEC_PER_SEC), w->reason,
            router, o->runtime_dir, LC_LOG_FILE);
    if (w->child > 0) {
        lc_stop_pid(pid);
    }
    return -ETIMEDOUT;
}

int lc_cmd_start(struct lc_options *o)
{
    CB_CLEANUP(cb_freep) char *socket_path = lc_path(o->runtime_dir, LC_ROUTER_SOCKET);
    struct wait_state w = { .socket_path = socket_path };
    pid_t pid = 0;
    int r;

    if (!socket_path) {
        return -ENOMEM;
    }
    w.deadline = cb_now_monotonic_usec() + START_TIMEOUT_USEC;

    r = lc_pidfile_running(o->runtime_dir, &pid);
    if (r > 0) {
        return start_existing(o, &w, pid);
    }
    r = lc_check_router(o);
    if (r < 0) {
        return r;
    }
    return start_new(o, &w);
}
