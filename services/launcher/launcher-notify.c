/* SPDX-License-Identifier: MIT */
/* The notify socket: READY=1, STATUS=, WATCHDOG=1 and STOPPING=1 from the daemons. */
#include "launcher-internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/cb-log.h"

/* systemd reads at most this much of one message; longer ones are not notifications. */
#define NOTIFY_BUFFER_MAX 4096
#define NOTIFY_FDS_MAX    16

struct notify_message {
    bool ready;
    bool watchdog;
    bool stopping;
    const char *status; /* points into the message buffer */
};

static void parse_message(char *text, struct notify_message *m)
{
    char *save = NULL;

    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (strcmp(line, "READY=1") == 0) {
            m->ready = true;
        } else if (strcmp(line, "WATCHDOG=1") == 0) {
            m->watchdog = true;
        } else if (strcmp(line, "STOPPING=1") == 0) {
            m->stopping = true;
        } else if (strncmp(line, "STATUS=", 7) == 0) {
            m->status = line + 7;
        }
    }
}

static void apply_status(struct lc_daemon *d, const char *status)
{
    char *copy;

    if (d->status && strcmp(d->status, status) == 0) {
        return;
    }
    copy = strdup(status);
    if (!copy) {
        return;
    }
    free(d->status);
    d->status = copy;
    /* Before READY the status is logged with the ready message instead. */
    if (d->ready) {
        cb_log_info("%s (pid %d): %s", d->what, (int)d->pid, status);
    }
}

static void apply_message(struct lc_daemon *d, const struct notify_message *m)
{
    if (m->status) {
        apply_status(d, m->status);
    }
    if (m->ready && !d->ready) {
        d->ready = true;
        cb_log_full(LOG_INFO, 0, CB_MESSAGE_READY, NULL, "%s (pid %d) is ready%s%s", d->what,
                    (int)d->pid, d->status ? ": " : "", d->status ? d->status : "");
        lc_watchdog_arm(d);
    } else if (m->watchdog && d->ready) {
        lc_watchdog_arm(d);
    }
    if (m->stopping && !d->stopping) {
        d->stopping = true;
        cb_log_info("%s (pid %d) is stopping", d->what, (int)d->pid);
    }
}

/* Descriptors sent along (FDSTORE=1) are not kept: the launcher has no fd store. */
static pid_t scan_control(struct msghdr *mh)
{
    pid_t pid = 0;

    for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
        if (c->cmsg_level != SOL_SOCKET) {
            continue;
        }
        if (c->cmsg_type == SCM_CREDENTIALS && c->cmsg_len == CMSG_LEN(sizeof(struct ucred))) {
            struct ucred cred;

            memcpy(&cred, CMSG_DATA(c), sizeof cred);
            pid = cred.pid;
        } else if (c->cmsg_type == SCM_RIGHTS) {
            size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
            int fds[NOTIFY_FDS_MAX];

            memcpy(fds, CMSG_DATA(c), CB_MIN(n, CB_ELEMENTSOF(fds)) * sizeof(int));
            for (size_t i = 0; i < CB_MIN(n, CB_ELEMENTSOF(fds)); i++) {
                close(fds[i]);
            }
        }
    }
    return pid;
}

static void dispatch(struct launcher *l, char *text, pid_t pid)
{
    struct notify_message m = { .ready = false };
    struct lc_daemon *d = lc_daemon_by_pid(l, pid);

    /* NotifyAccess=main: only the daemon's own process is listened to. */
    if (!d) {
        cb_log_debug("ignoring a notification from pid %d, which is not a daemon", (int)pid);
        return;
    }
    parse_message(text, &m);
    apply_message(d, &m);
}

/* Returns 1 when a message was handled or skipped, 0 when none is left, or -errno. */
static int receive_one(struct launcher *l)
{
    char buf[NOTIFY_BUFFER_MAX + 1];
    union {
        struct cmsghdr align;
        char space[CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(sizeof(int) * NOTIFY_FDS_MAX)];
    } control;
    struct iovec iov = { .iov_base = buf, .iov_len = NOTIFY_BUFFER_MAX };
    struct msghdr mh = { .msg_iov = &iov,
                         .msg_iovlen = 1,
                         .msg_control = &control,
                         .msg_controllen = sizeof control };
    ssize_t n;
    pid_t pid;

    n = recvmsg(l->notify_fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC | MSG_TRUNC);
    if (n < 0) {
        return errno == EAGAIN || errno == EINTR ? 0 : -errno;
    }
    pid = scan_control(&mh);
    if ((mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) || (size_t)n > NOTIFY_BUFFER_MAX) {
        cb_log_warning("ignoring an oversized notification from pid %d", (int)pid);
        return 1;
    }
    if (pid <= 0) {
        cb_log_warning("ignoring a notification without sender credentials");
        return 1;
    }
    buf[n] = '\0';
    dispatch(l, buf, pid);
    return 1;
}

static int on_notify(sd_event_source *s CB_UNUSED,
                     int fd CB_UNUSED,
                     uint32_t revents CB_UNUSED,
                     void *userdata)
{
    struct launcher *l = userdata;
    int r;

    /* A bounded batch, so a flood of datagrams cannot starve the rest of the loop. */
    for (int i = 0; i < 64; i++) {
        r = receive_one(l);
        if (r <= 0) {
            if (r < 0) {
                cb_log_warning_errno(r, "cannot read the notify socket");
            }
            break;
        }
    }
    return 0;
}

int lc_notify_open(struct launcher *l)
{
    int r;

    r = lc_socket_notify(l->notify_socket, &l->notify_fd);
    if (r < 0) {
        return r;
    }
    r = sd_event_add_io(l->event, &l->notify_source, l->notify_fd, EPOLLIN, on_notify, l);
    if (r < 0) {
        return cb_log_error_errno(r, "cannot watch the notify socket");
    }
    return 0;
}
