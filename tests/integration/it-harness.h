/* SPDX-License-Identifier: MIT */
/* Integration test harness: a whole suite started with cpan-bridge-dev, and helpers to talk to it. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include <jansson.h>

#include "tests/client/cb-client.h"

struct it_suite {
    char dir[256];       /* the runtime directory */
    char socket[512];    /* CPAN_BRIDGE_SOCKET as the launcher printed it */
    char exec_path[512]; /* CPAN_BRIDGE_EXEC as the launcher printed it */
};

/* The build directory holding the binaries ($CB_BUILD_DIR, default "build"). */
const char *it_build_dir(void);

/* Starts a suite with extra configuration text (may be NULL); aborts the test on failure. */
void it_suite_start(struct it_suite *s, const char *extra_config);
void it_suite_stop(struct it_suite *s);

/* The suite started by the current TCase's unchecked fixture. */
extern struct it_suite it_current;
void it_fixture_start(void);
void it_fixture_stop(void);

/* Connects to the suite's router; aborts the test on failure. */
struct cb_client *it_connect(const struct it_suite *s);

/* One call, with params given as JSON text ("{}" when NULL); aborts on transport failure. */
json_t *it_call(struct cb_client *c, const char *module, const char *function, const char *params);

/* The launcher's status (op "status"), and the pid of one daemon in it (0 when not running). */
json_t *it_launcher_status(const struct it_suite *s);
pid_t it_router_pid(const struct it_suite *s);
pid_t it_instance_pid(const struct it_suite *s, const char *family);

/* Waits until pid has exited (it is not our child); false after timeout_ms. */
bool it_wait_gone(pid_t pid, int timeout_ms);

/* Runs a suite and frees it; the exit status of a test program. */
struct Suite;
int it_run(struct Suite *suite);

/* A fresh random session token. */
void it_token(char buf[33]);

/* The error_code of a failed answer, or "" on success. */
const char *it_code(const json_t *response);
