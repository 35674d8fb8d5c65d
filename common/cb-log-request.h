/* SPDX-License-Identifier: MIT */
/* Per-request and refusal journal entries, written by whoever answered: router or channel. */
#pragma once

#include <stdbool.h>
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

struct cb_ratelimit;

struct cb_refusal_log {
    const char *module; /* primary names, NULL when the request named none known */
    const char *function;
    const char *what;  /* "module.function" or "a request", for the message */
    const char *where; /* "" or " on a channel" */
    uid_t uid;
    pid_t pid;
    int code;
    const char *error;
    bool security; /* a security event or an inspection's refusal: a warning */
};

/*
 * A refusal in the journal, within the rate limit: a flood cannot push the interesting
 * lines out of journald's limit, and the journal hears how many it missed.
 */
void cb_log_refusal(struct cb_ratelimit *rl, const struct cb_refusal_log *l);
/* Tells the count of a flood that stopped, once its interval is over (call about once a second). */
void cb_log_refusals_flush(struct cb_ratelimit *rl, uint64_t now_usec);
