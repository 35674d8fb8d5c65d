/* SPDX-License-Identifier: MIT */
/* The core family: module test (and later datetime_helper and logging_helper). */
#pragma once

#include <stdint.h>

#include "common/cb-family.h"

/* Per-session state of the core family. */
struct core_session {
    int64_t counter;
};

extern const struct cb_family core_family;

int core_test_ping(struct cb_call *call, json_t **ret, struct cb_error *err);
int core_test_echo(struct cb_call *call, json_t **ret, struct cb_error *err);
int core_test_sleep(struct cb_call *call, json_t **ret, struct cb_error *err);
int core_test_spin(struct cb_call *call, json_t **ret, struct cb_error *err);
int core_test_error(struct cb_call *call, json_t **ret, struct cb_error *err);
int core_test_hold(struct cb_call *call, json_t **ret, struct cb_error *err);
int core_test_held(struct cb_call *call, json_t **ret, struct cb_error *err);
int core_test_release(struct cb_call *call, json_t **ret, struct cb_error *err);
int core_test_counter(struct cb_call *call, json_t **ret, struct cb_error *err);
