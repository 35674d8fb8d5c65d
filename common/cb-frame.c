/* SPDX-License-Identifier: MIT */
/* Length-prefixed frames: incremental parsing for event loops, blocking I/O for simple peers. */
#include "common/cb-frame.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static uint32_t frame_length(const char *p)
{
    const unsigned char *u = (const unsigned char *)p;

    return (uint32_t)u[0] << 24 | (uint32_t)u[1] << 16 | (uint32_t)u[2] << 8 | (uint32_t)u[3];
}

static void frame_header(char *p, uint32_t n)
{
    unsigned char *u = (unsigned char *)p;

    u[0] = (unsigned char)(n >> 24);
    u[1] = (unsigned char)(n >> 16);
    u[2] = (unsigned char)(n >> 8);
    u[3] = (unsigned char)n;
}

int cb_frame_next(struct cb_buf *in,
                  size_t limit,
                  const char **ret_payload,
                  size_t *ret_len,
                  uint64_t *ret_announced)
{
    uint32_t n;

    if (cb_buf_pending(in) < CB_FRAME_HEADER_SIZE) {
        return 0;
    }

    n = frame_length(cb_buf_head(in));
    if (n == 0) {
        cb_buf_consume(in, CB_FRAME_HEADER_SIZE);
        return -EBADMSG;
    }
    if (n > limit) {
        if (ret_announced) {
            *ret_announced = n;
        }
        return -E2BIG;
    }
    if (cb_buf_pending(in) - CB_FRAME_HEADER_SIZE < n) {
        return 0;
    }

    *ret_payload = cb_buf_head(in) + CB_FRAME_HEADER_SIZE;
    *ret_len = n;
    /* Consuming only moves the offset, so the payload stays readable until the next append. */
    cb_buf_consume(in, CB_FRAME_HEADER_SIZE + n);
    return 1;
}

bool cb_frame_partial(const struct cb_buf *in)
{
    return cb_buf_pending(in) > 0;
}

int cb_frame_append(struct cb_buf *out, const char *payload, size_t len)
{
    char header[CB_FRAME_HEADER_SIZE];
    int r;

    if (len > UINT32_MAX) {
        return -E2BIG;
    }
    frame_header(header, (uint32_t)len);

    r = cb_buf_append(out, header, sizeof header);
    if (r < 0) {
        return r;
    }
    return cb_buf_append(out, payload, len);
}

int cb_read_full(int fd, void *p, size_t n)
{
    char *c = p;

    while (n > 0) {
        ssize_t k = read(fd, c, n);

        if (k < 0) {
            if (errno == EINTR) {
                continue;
            }
            return -errno;
        }
        if (k == 0) {
            return -EPIPE;
        }
        c += k;
        n -= (size_t)k;
    }
    return 0;
}

int cb_write_full(int fd, const void *p, size_t n)
{
    const char *c = p;

    while (n > 0) {
        ssize_t k = write(fd, c, n);

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

int cb_frame_read_fd(int fd, size_t limit, char **ret_payload, size_t *ret_len)
{
    char header[CB_FRAME_HEADER_SIZE];
    size_t got = 0;
    uint32_t n;
    char *payload;
    int r;

    /* A clean EOF is only one that comes before the first header byte. */
    while (got < sizeof header) {
        ssize_t k = read(fd, header + got, sizeof header - got);

        if (k < 0) {
            if (errno == EINTR) {
                continue;
            }
            return -errno;
        }
        if (k == 0) {
            return got == 0 ? 0 : -EPIPE;
        }
        got += (size_t)k;
    }

    n = frame_length(header);
    if (n == 0) {
        return -EBADMSG;
    }
    if (n > limit) {
        return -E2BIG;
    }

    payload = malloc((size_t)n + 1);
    if (!payload) {
        return -ENOMEM;
    }
    r = cb_read_full(fd, payload, n);
    if (r < 0) {
        free(payload);
        return r;
    }
    payload[n] = '\0';

    *ret_payload = payload;
    *ret_len = n;
    return 1;
}

int cb_frame_write_fd(int fd, const char *payload, size_t len)
{
    char header[CB_FRAME_HEADER_SIZE];
    int r;

    if (len > UINT32_MAX) {
        return -E2BIG;
    }
    frame_header(header, (uint32_t)len);

    r = cb_write_full(fd, header, sizeof header);
    if (r < 0) {
        return r;
    }
    return cb_write_full(fd, payload, len);
}
