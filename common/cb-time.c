/* SPDX-License-Identifier: MIT */
/* Clocks and ISO 8601 timestamps. */
#include "common/cb-time.h"

#include <stdio.h>
#include <time.h>

static uint64_t clock_usec(clockid_t id)
{
    struct timespec ts;

    clock_gettime(id, &ts);
    return (uint64_t)ts.tv_sec * CB_USEC_PER_SEC + (uint64_t)ts.tv_nsec / 1000;
}

uint64_t cb_now_monotonic_usec(void)
{
    return clock_usec(CLOCK_MONOTONIC);
}

uint64_t cb_now_realtime_usec(void)
{
    return clock_usec(CLOCK_REALTIME);
}

char *cb_format_iso_time(uint64_t realtime_usec, char *buf, size_t size)
{
    time_t sec = (time_t)(realtime_usec / CB_USEC_PER_SEC);
    unsigned ms = (unsigned)(realtime_usec % CB_USEC_PER_SEC / 1000);
    struct tm tm;

    gmtime_r(&sec, &tm);
    snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03uZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
    return buf;
}
