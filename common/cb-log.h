/* SPDX-License-Identifier: MIT */
/* Logging to journald with structured fields, or one line on stderr when not under systemd. */
#pragma once

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
#define CB_MESSAGE_READY           "6a1f3bd0c4a84b1e9d2c5f07e8a9b341"
#define CB_MESSAGE_REQUEST_REFUSED "0d5e2c7b9a6f4e18b3c1d4a5f6e7b802"
#define CB_MESSAGE_INSTANCE_DIED   "c3b84f1e2a7d4c59a0e6b2d1f8c7e913"
#define CB_MESSAGE_WATCHDOG_STALL  "9e7a1c4b3d2f4a86b5c0e1d2f3a4b5c6"
#define CB_MESSAGE_REQUEST         "4b2d6f8a1c3e4b5d9f7a2c4e6b8d0f13"
