/* SPDX-License-Identifier: MIT */
/* Growable byte buffers for non-blocking socket I/O. */
#include "common/cb-buf.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

static int buf_reserve(struct cb_buf *b, size_t extra)
{
    size_t need, cap;
    char *p;

    /* Compact first: consumed bytes at the front are dead weight. */
    if (b->off > 0 && (b->off == b->len || b->off >= b->cap / 2)) {
        memmove(b->data, b->data + b->off, b->len - b->off);
        b->len -= b->off;
        b->off = 0;
    }

    need = b->len + extra;
    if (need < b->len) {
        return -ENOMEM;
    }
    if (need <= b->cap) {
        return 0;
    }

    cap = b->cap ? b->cap : 4096;
    while (cap < need) {
        if (cap > SIZE_MAX / 2) {
            return -ENOMEM;
        }
        cap *= 2;
    }

    p = realloc(b->data, cap);
    if (!p) {
        return -ENOMEM;
    }
    b->data = p;
    b->cap = cap;
    return 0;
}

int cb_buf_append(struct cb_buf *b, const void *p, size_t n)
{
    int r;

    if (n == 0) {
        return 0;
    }
    r = buf_reserve(b, n);
    if (r < 0) {
        return r;
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
    return 0;
}

void cb_buf_consume(struct cb_buf *b, size_t n)
{
    if (n > b->len - b->off) {
        n = b->len - b->off;
    }
    b->off += n;
    if (b->off == b->len) {
        b->off = b->len = 0;
    }
}

void cb_buf_free(struct cb_buf *b)
{
    free(b->data);
    *b = (struct cb_buf){ 0 };
}

/* Room for one read of at most 64 KiB, within max_pending bytes pending in all (0: any). */
static int reserve_read(struct cb_buf *b, size_t max_pending, size_t *ret_room)
{
    size_t room = 64 * 1024;

    if (max_pending > 0 && cb_buf_pending(b) + room > max_pending) {
        room = max_pending > cb_buf_pending(b) ? max_pending - cb_buf_pending(b) : 0;
    }
    if (room == 0) {
        return -ENOBUFS;
    }
    *ret_room = room;
    return buf_reserve(b, room);
}

ssize_t cb_buf_read_fd(struct cb_buf *b, int fd, size_t max_pending)
{
    size_t room = 0;
    ssize_t n;
    int r;

    r = reserve_read(b, max_pending, &room);
    if (r < 0) {
        return r;
    }
    n = read(fd, b->data + b->len, room);
    if (n < 0) {
        return errno == EWOULDBLOCK ? -EAGAIN : -errno;
    }
    b->len += (size_t)n;
    return n;
}

ssize_t cb_buf_write_fd(struct cb_buf *b, int fd)
{
    ssize_t n;

    if (cb_buf_pending(b) == 0) {
        return 0;
    }
    n = write(fd, cb_buf_head(b), cb_buf_pending(b));
    if (n < 0) {
        return errno == EWOULDBLOCK ? -EAGAIN : -errno;
    }
    cb_buf_consume(b, (size_t)n);
    return n;
}

ssize_t cb_buf_recv_fd(struct cb_buf *b, int fd, size_t max_pending, int *ret_fd)
{
    union {
        struct cmsghdr align;
        char space[CMSG_SPACE(sizeof(int))];
    } control;
    struct iovec iov;
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
    struct cmsghdr *cmsg;
    size_t room = 0;
    ssize_t n;
    int r;

    *ret_fd = -1;
    r = reserve_read(b, max_pending, &room);
    if (r < 0) {
        return r;
    }
    iov = (struct iovec){ .iov_base = b->data + b->len, .iov_len = room };
    msg.msg_control = control.space;
    msg.msg_controllen = sizeof control.space;
    n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
    if (n < 0) {
        return errno == EWOULDBLOCK ? -EAGAIN : -errno;
    }
    for (cmsg = CMSG_FIRSTHDR(&msg); cmsg; cmsg = CMSG_NXTHDR(&msg, cmsg)) {
        if (cmsg->cmsg_level == SOL_SOCKET && cmsg->cmsg_type == SCM_RIGHTS &&
            cmsg->cmsg_len == CMSG_LEN(sizeof(int))) {
            memcpy(ret_fd, CMSG_DATA(cmsg), sizeof(int));
        }
    }
    b->len += (size_t)n;
    return n;
}

ssize_t cb_buf_send_fd(struct cb_buf *b, int fd, size_t max, int pass_fd)
{
    union {
        struct cmsghdr align;
        char space[CMSG_SPACE(sizeof(int))];
    } control;
    struct iovec iov = { .iov_base = (void *)cb_buf_head(b), .iov_len = cb_buf_pending(b) };
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
    struct cmsghdr *cmsg;
    ssize_t n;

    if (iov.iov_len > max) {
        iov.iov_len = max;
    }
    if (iov.iov_len == 0) {
        return 0;
    }
    if (pass_fd >= 0) {
        memset(&control, 0, sizeof control);
        msg.msg_control = control.space;
        msg.msg_controllen = sizeof control.space;
        cmsg = CMSG_FIRSTHDR(&msg);
        cmsg->cmsg_level = SOL_SOCKET;
        cmsg->cmsg_type = SCM_RIGHTS;
        cmsg->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(cmsg), &pass_fd, sizeof(int));
    }
    n = sendmsg(fd, &msg, MSG_NOSIGNAL);
    if (n < 0) {
        return errno == EWOULDBLOCK ? -EAGAIN : -errno;
    }
    cb_buf_consume(b, (size_t)n);
    return n;
}
