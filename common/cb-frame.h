/* SPDX-License-Identifier: MIT */
/* Wire framing of DESIGN.md: a 4-byte big-endian length, then that many bytes of JSON. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/cb-buf.h"

#define CB_FRAME_HEADER_SIZE   4
#define CB_FRAME_DEFAULT_LIMIT (16u * 1024u * 1024u)

/*
 * Takes the next whole frame from the front of `in`.
 * Returns 1 with *ret_payload pointing into the buffer (valid until the buffer changes) and
 * the frame consumed; 0 when more bytes are needed; -EBADMSG for a zero-length frame (its
 * header is consumed, so the stream stays in step); -E2BIG when the announced length is
 * over `limit` (nothing consumed: the stream cannot be resynchronised). *ret_announced gets
 * the announced length in the -E2BIG case when not NULL.
 */
int cb_frame_next(struct cb_buf *in,
                  size_t limit,
                  const char **ret_payload,
                  size_t *ret_len,
                  uint64_t *ret_announced);

/* True when `in` holds part of a frame (a header or a payload started but not complete). */
bool cb_frame_partial(const struct cb_buf *in);

/* Appends one frame (header and payload). Returns 0, -E2BIG over 4 GiB, or -ENOMEM. */
int cb_frame_append(struct cb_buf *out, const char *payload, size_t len);

/*
 * Blocking helpers for one-shot mode, cpan-bridge-exec and test clients.
 * cb_frame_read_fd: returns 1 with a malloc'ed payload, 0 at a clean EOF before any byte,
 * -EBADMSG for zero length, -E2BIG over limit, -EPIPE for EOF inside a frame, or -errno.
 */
int cb_frame_read_fd(int fd, size_t limit, char **ret_payload, size_t *ret_len);
int cb_frame_write_fd(int fd, const char *payload, size_t len);

/* Reads or writes exactly n bytes on a blocking fd, retrying on EINTR and short transfers. */
int cb_read_full(int fd, void *p, size_t n);
int cb_write_full(int fd, const void *p, size_t n);
