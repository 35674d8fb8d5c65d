/* SPDX-License-Identifier: MIT */
/* Per-request journal entries, as [logging] request_logging asks, by whoever answered. */
#pragma once

#include <stdint.h>
#include <sys/types.h>

struct cb_request_log {
    const char *module;
    const char *function;
    const char *request_id;
    const char *session;
    uid_t uid;
    pid_t pid;
    uint64_t duration_usec;
    const char *error_code; /* NULL on success */
};

/* One entry for one request in `sample` (0: none); *seen counts the requests offered. */
void cb_log_request(const struct cb_request_log *l, unsigned sample, uint64_t *seen);
