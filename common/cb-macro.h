/* SPDX-License-Identifier: MIT */
/* Attribute macros and cleanup helpers shared by every component. */
#pragma once

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#define CB_CLEANUP(fn)        __attribute__((cleanup(fn)))
#define CB_PRINTF(fmt, first) __attribute__((format(printf, fmt, first)))
#define CB_NORETURN           __attribute__((noreturn))
#define CB_UNUSED             __attribute__((unused))

#define CB_ELEMENTSOF(a) (sizeof(a) / sizeof((a)[0]))
#define CB_MIN(a, b)     ((a) < (b) ? (a) : (b))
#define CB_MAX(a, b)     ((a) > (b) ? (a) : (b))

static inline void cb_freep(void *p)
{
    free(*(void **)p);
}

static inline void cb_closep(int *fd)
{
    if (*fd >= 0) {
        int saved = errno;

        close(*fd);
        errno = saved;
    }
}

/* Hands ownership of a pointer to the caller: the cleanup attribute then sees NULL. */
#define CB_TAKE_PTR(p)          \
    ({                          \
        typeof(p) _taken = (p); \
        (p) = NULL;             \
        _taken;                 \
    })

#define CB_TAKE_FD(fd)     \
    ({                     \
        int _taken = (fd); \
        (fd) = -1;         \
        _taken;            \
    })
