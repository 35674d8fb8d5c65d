/* SPDX-License-Identifier: MIT */
/* Logging to journald with structured fields, or one line on stderr when not under systemd. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <syslog.h>

#include "common/cb-macro.h"

/*
 * The fields of the request being worked on, attached to every entry logged on this thread
 * while it is set (see cb_log_set_context). Any field may be NULL or 0 (left out).
 */
struct cb_log_context {
    const char *module;
    const char *function;
    const char *request_id;
    const char *session;
    int64_t client_uid; /* -1 when unknown */
    int64_t client_pid; /* -1 when unknown */
};

/* One extra field for cb_log_fields(): name without the CPAN_BRIDGE_ prefix is not added. */
struct cb_log_field {
    const char *name;  /* e.g. "CPAN_BRIDGE_ERROR_CODE" */
    const char *value; /* NULL leaves the field out */
};

/*
 * Sets the identifier (e.g. "cpan-bridge-router") and picks the target: journald when stderr
 * is connected to the journal (JOURNAL_STREAM) or CPAN_BRIDGE_LOG=journal, else stderr.
 * CPAN_BRIDGE_LOG_LEVEL (a syslog level number or name) sets the maximum level shown.
 */
void cb_log_init(const char *identifier, const char *family);

void cb_log_set_max_level(int level);
/* For one-shot mode, whose stderr is the script's: warnings and worse only, unless the
 * journal takes the logs or CPAN_BRIDGE_LOG_LEVEL asks for more. */
void cb_log_quiet_on_stderr(void);
int cb_log_get_max_level(void);

/* Sets this thread's request context; NULL clears it. The pointer must stay valid while set. */
void cb_log_set_context(const struct cb_log_context *ctx);

/*
 * Logs one entry. `err` is a positive or negative errno (0 for none): it adds ERRNO= and the
 * return value is -abs(err), so "log and return" is one statement. `fields` ends with a
 * {NULL, NULL} entry and may be NULL. message_id is a MESSAGE_ID or NULL.
 */
int cb_log_internal(int level,
                    int err,
                    const char *file,
                    int line,
                    const char *func,
                    const char *message_id,
                    const struct cb_log_field *fields,
                    const char *format,
                    ...) CB_PRINTF(8, 9);

#define cb_log_full(level, err, msgid, fields, ...) \
    cb_log_internal(level, err, __FILE__, __LINE__, __func__, msgid, fields, __VA_ARGS__)

#define cb_log_debug(...)   cb_log_full(LOG_DEBUG, 0, NULL, NULL, __VA_ARGS__)
#define cb_log_info(...)    cb_log_full(LOG_INFO, 0, NULL, NULL, __VA_ARGS__)
#define cb_log_notice(...)  cb_log_full(LOG_NOTICE, 0, NULL, NULL, __VA_ARGS__)
#define cb_log_warning(...) cb_log_full(LOG_WARNING, 0, NULL, NULL, __VA_ARGS__)
#define cb_log_error(...)   cb_log_full(LOG_ERR, 0, NULL, NULL, __VA_ARGS__)

#define cb_log_debug_errno(e, ...)   cb_log_full(LOG_DEBUG, e, NULL, NULL, __VA_ARGS__)
#define cb_log_info_errno(e, ...)    cb_log_full(LOG_INFO, e, NULL, NULL, __VA_ARGS__)
#define cb_log_notice_errno(e, ...)  cb_log_full(LOG_NOTICE, e, NULL, NULL, __VA_ARGS__)
#define cb_log_warning_errno(e, ...) cb_log_full(LOG_WARNING, e, NULL, NULL, __VA_ARGS__)
#define cb_log_error_errno(e, ...)   cb_log_full(LOG_ERR, e, NULL, NULL, __VA_ARGS__)

/* MESSAGE_IDs of the key events (made once with systemd-id128 new; see rpm/cpan-bridge.catalog). */
#define CB_MESSAGE_READY           "196d4f2224424515b18f9ef9b69ced4d"
#define CB_MESSAGE_REQUEST_REFUSED "2e21d058717544e4ad47ea0e42fdb9a4"
#define CB_MESSAGE_INSTANCE_DIED   "6e2e3d08159343818bedb27c85cf21a1"
#define CB_MESSAGE_WATCHDOG_STALL  "218fd94ea46c4ae3a07a2c299765c533"
#define CB_MESSAGE_REQUEST         "aaaf81a95c944274a7f014eae83053b7"

/*
 * A simple rate limit for repeated log entries: at most `burst` per `interval_usec`. When a
 * new interval starts, cb_ratelimit_take() reports through *ret_suppressed how many entries
 * the previous one dropped, so the caller can say so.
 */
struct cb_ratelimit {
    uint64_t interval_usec;
    unsigned burst;
    uint64_t begin_usec;
    unsigned taken;
    unsigned suppressed;
};

#define CB_RATELIMIT_INIT(interval, n)            \
    {                                             \
        .interval_usec = (interval), .burst = (n) \
    }

/* Whether one more entry may be logged now. */
bool cb_ratelimit_take(struct cb_ratelimit *rl, uint64_t now_usec, unsigned *ret_suppressed);
