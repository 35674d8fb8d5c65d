/* SPDX-License-Identifier: MIT */
/* Clocks and the ISO 8601 UTC form with milliseconds that API.md uses for moments. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define CB_USEC_PER_SEC  1000000ULL
#define CB_USEC_PER_MSEC 1000ULL
#define CB_ISO_TIME_MAX  32

uint64_t cb_now_monotonic_usec(void);
uint64_t cb_now_realtime_usec(void);

/* "2026-12-03T08:35:12.345Z" into buf (at least CB_ISO_TIME_MAX bytes); returns buf. */
char *cb_format_iso_time(uint64_t realtime_usec, char *buf, size_t size);
