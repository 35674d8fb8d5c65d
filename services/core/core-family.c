/* SPDX-License-Identifier: MIT */
/* The core family's handler table and per-session state. */
#include "services/core/core-internal.h"
#include "services/core/core-log.h"

#include <stdlib.h>

static void *core_session_new(void)
{
    return calloc(1, sizeof(struct core_session));
}

static void core_session_free(void *data)
{
    struct core_session *s = data;

    if (s) {
        log_config_free(s->log);
    }
    free(s);
}

/* sleep and spin take their time on a worker; the rest answer in microseconds. */
static const struct cb_handler core_handlers[] = {
    { "test", "ping", core_test_ping, true },
    { "test", "echo", core_test_echo, true },
    { "test", "sleep", core_test_sleep, false },
    { "test", "spin", core_test_spin, false },
    { "test", "error", core_test_error, true },
    { "test", "hold", core_test_hold, true },
    { "test", "held", core_test_held, true },
    { "test", "release", core_test_release, true },
    { "test", "counter", core_test_counter, true },
    /* Date arithmetic takes microseconds, but time zones take a process-wide lock. */
    { "datetime_helper", "now", core_dt_now, false },
    { "datetime_helper", "format", core_dt_format, false },
    { "datetime_helper", "parse", core_dt_parse, false },
    { "datetime_helper", "add", core_dt_add, false },
    { "datetime_helper", "diff", core_dt_diff, false },
    /* Logging writes files and takes the files' lock. */
    { "logging_helper", "init", core_log_init, false },
    { "logging_helper", "initialized", core_log_initialized, false },
    { "logging_helper", "get_logger", core_log_get_logger, false },
    { "logging_helper", "log", core_log_log, false },
    { "logging_helper", "log_trace", core_log_trace, false },
    { "logging_helper", "log_debug", core_log_debug, false },
    { "logging_helper", "log_info", core_log_info, false },
    { "logging_helper", "log_warn", core_log_warn, false },
    { "logging_helper", "log_error", core_log_error, false },
    { "logging_helper", "log_fatal", core_log_fatal, false },
    { "logging_helper", "logdie", core_log_logdie, false },
    { "logging_helper", "set_level", core_log_set_level, false },
    { "logging_helper", "get_level", core_log_get_level, false },
    { "logging_helper", "is_enabled", core_log_is_enabled, false },
    { "logging_helper", "is_trace", core_log_is_trace, false },
    { "logging_helper", "is_debug", core_log_is_debug, false },
    { "logging_helper", "is_info", core_log_is_info, false },
    { "logging_helper", "is_warn", core_log_is_warn, false },
    { "logging_helper", "is_error", core_log_is_error, false },
    { "logging_helper", "is_fatal", core_log_is_fatal, false },
    { "logging_helper", "cleanup_logger", core_log_cleanup, false },
};

const struct cb_family core_family = {
    .name = "core",
    .handlers = core_handlers,
    .n_handlers = CB_ELEMENTSOF(core_handlers),
    .session_ops = { .data_new = core_session_new, .data_free = core_session_free },
};
