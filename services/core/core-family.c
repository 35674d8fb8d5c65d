/* SPDX-License-Identifier: MIT */
/* The core family's handler table and per-session state. */
#include "services/core/core-internal.h"

#include <stdlib.h>

static void *core_session_new(void)
{
    return calloc(1, sizeof(struct core_session));
}

static void core_session_free(void *data)
{
    free(data);
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
};

const struct cb_family core_family = {
    .name = "core",
    .handlers = core_handlers,
    .n_handlers = CB_ELEMENTSOF(core_handlers),
    .session_ops = { .data_new = core_session_new, .data_free = core_session_free },
};
