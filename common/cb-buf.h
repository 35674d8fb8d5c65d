/* SPDX-License-Identifier: MIT */
/* A growable byte buffer with a read offset, used for socket input and output. */
#pragma once

#include <stddef.h>
#include <sys/types.h>

struct cb_buf {
    char *data;
    size_t off; /* first byte not yet consumed */
    size_t len; /* bytes stored, including consumed ones before off */
    size_t cap;
};

static inline size_t cb_buf_pending(const struct cb_buf *b)
{
    return b->len - b->off;
}

static inline const char *cb_buf_head(const struct cb_buf *b)
{
    return b->data + b->off;
}

/* Appends n bytes. Returns 0 or -ENOMEM. */
int cb_buf_append(struct cb_buf *b, const void *p, size_t n);

/* Marks n pending bytes consumed; storage is compacted lazily. */
void cb_buf_consume(struct cb_buf *b, size_t n);

/* Releases the storage; the buffer may be used again afterwards. */
void cb_buf_free(struct cb_buf *b);

/*
 * Reads what a non-blocking fd has, at most max_pending bytes pending in all.
 * Returns bytes read (> 0), 0 at EOF, -EAGAIN when nothing is there, or another -errno.
 */
ssize_t cb_buf_read_fd(struct cb_buf *b, int fd, size_t max_pending);

/* Writes pending bytes to a non-blocking fd. Returns bytes written, -EAGAIN, or -errno. */
ssize_t cb_buf_write_fd(struct cb_buf *b, int fd);

/*
 * Like cb_buf_read_fd, with recvmsg: a descriptor passed with the bytes (SCM_RIGHTS) is
 * returned in *ret_fd (close-on-exec), else *ret_fd is -1. A socket that may be sent
 * descriptors must always be read this way: plain read() drops them.
 */
ssize_t cb_buf_recv_fd(struct cb_buf *b, int fd, size_t max_pending, int *ret_fd);
/* Writes at most max pending bytes with sendmsg; pass_fd >= 0 travels with the first of them. */
ssize_t cb_buf_send_fd(struct cb_buf *b, int fd, size_t max, int pass_fd);
