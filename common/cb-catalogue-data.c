/* SPDX-License-Identifier: MIT */
/*
 * The catalogue's entries. API.md is the human-readable form of this table; a function is
 * added here in the same commit as its handler. Module test belongs to family core; module
 * system is answered by the router (and by one-shot mode for its stateless functions).
 */
#include "common/cb-catalogue-internal.h"

#define NAMES(...) ((const char *const[]){ __VA_ARGS__, NULL })

static const struct cb_param sleep_params[] = {
    { .name = "ms",
      .type = CB_TYPE_INT,
      .required = true,
      .has_range = true,
      .min = 0,
      .max = 3600000 },
};

static const struct cb_param error_params[] = {
    { .name = "code", .type = CB_TYPE_TEXT, .default_json = "\"E_BACKEND\"" },
    { .name = "message", .type = CB_TYPE_TEXT, .default_json = "\"error requested by test.error\"" },
};

static const struct cb_param held_params[] = {
    { .name = "handle_id", .type = CB_TYPE_TEXT, .required = true },
};

static const struct cb_param release_params[] = {
    { .name = "handle_id", .type = CB_TYPE_HANDLE, .required = true, .handle_kind = "test_handle" },
};

static const struct cb_function test_functions[] = {
    { .name = "ping", .open_params = true, .idempotent = true, .mode = CB_MODE_STATELESS },
    { .name = "echo", .open_params = true, .idempotent = true, .mode = CB_MODE_STATELESS },
    { .name = "sleep",
      .params = sleep_params,
      .n_params = CB_ELEMENTSOF(sleep_params),
      .idempotent = true,
      .mode = CB_MODE_STATELESS },
    { .name = "spin",
      .params = sleep_params,
      .n_params = CB_ELEMENTSOF(sleep_params),
      .idempotent = true,
      .mode = CB_MODE_STATELESS },
    { .name = "error",
      .params = error_params,
      .n_params = CB_ELEMENTSOF(error_params),
      .idempotent = true,
      .mode = CB_MODE_STATELESS },
    { .name = "hold", .mode = CB_MODE_DAEMON_ONLY, .creates = "test_handle" },
    { .name = "held",
      .params = held_params,
      .n_params = CB_ELEMENTSOF(held_params),
      .idempotent = true,
      .mode = CB_MODE_DAEMON_ONLY },
    { .name = "release",
      .params = release_params,
      .n_params = CB_ELEMENTSOF(release_params),
      .mode = CB_MODE_DAEMON_ONLY,
      .uses = NAMES("test_handle"),
      .ends = "test_handle" },
    { .name = "counter", .mode = CB_MODE_DAEMON_ONLY },
    { .name = "stats",
      .idempotent = true,
      .mode = CB_MODE_DAEMON_ONLY,
      .answered_by = "router",
      .alias_of = "system.stats" },
    { .name = "health",
      .idempotent = true,
      .mode = CB_MODE_DAEMON_ONLY,
      .answered_by = "router",
      .alias_of = "system.health" },
};

static const struct cb_param catalogue_params[] = {
    { .name = "module", .type = CB_TYPE_TEXT },
};

static const struct cb_param connections_params[] = {
    { .name = "uid", .type = CB_TYPE_INT, .has_range = true, .min = 0, .max = 4294967294LL },
    { .name = "session", .type = CB_TYPE_TEXT },
};

static const struct cb_param cleanup_params[] = {
    { .name = "idle_seconds",
      .type = CB_TYPE_INT,
      .default_json = "300",
      .has_range = true,
      .min = 0,
      .max = 31536000 },
    { .name = "uid", .type = CB_TYPE_INT, .has_range = true, .min = 0, .max = 4294967294LL },
    { .name = "session", .type = CB_TYPE_TEXT },
};

static const struct cb_function system_functions[] = {
    { .name = "ping", .idempotent = true, .mode = CB_MODE_STATELESS, .answered_by = "router" },
    { .name = "info", .idempotent = true, .mode = CB_MODE_STATELESS, .answered_by = "router" },
    { .name = "stats", .idempotent = true, .mode = CB_MODE_DAEMON_ONLY, .answered_by = "router" },
    { .name = "health", .idempotent = true, .mode = CB_MODE_DAEMON_ONLY, .answered_by = "router" },
    { .name = "metrics", .idempotent = true, .mode = CB_MODE_DAEMON_ONLY, .answered_by = "router" },
    { .name = "performance",
      .idempotent = true,
      .mode = CB_MODE_DAEMON_ONLY,
      .answered_by = "router" },
    { .name = "connections",
      .params = connections_params,
      .n_params = CB_ELEMENTSOF(connections_params),
      .idempotent = true,
      .mode = CB_MODE_DAEMON_ONLY,
      .answered_by = "router" },
    { .name = "cleanup",
      .params = cleanup_params,
      .n_params = CB_ELEMENTSOF(cleanup_params),
      .idempotent = true,
      .mode = CB_MODE_DAEMON_ONLY,
      .answered_by = "router",
      .ends = "sessions" },
    { .name = "shutdown", .mode = CB_MODE_DAEMON_ONLY, .answered_by = "router" },
    { .name = "catalogue",
      .params = catalogue_params,
      .n_params = CB_ELEMENTSOF(catalogue_params),
      .idempotent = true,
      .mode = CB_MODE_STATELESS,
      .answered_by = "router" },
};

const struct cb_module cb_catalogue_table[] = {
    { .name = "test",
      .family = "core",
      .functions = test_functions,
      .n_functions = CB_ELEMENTSOF(test_functions) },
    { .name = "system",
      .family = "router",
      .functions = system_functions,
      .n_functions = CB_ELEMENTSOF(system_functions) },
};

const size_t cb_catalogue_table_size = CB_ELEMENTSOF(cb_catalogue_table);

/* Every family of DESIGN.md, built or not: the router knows them all so that a call to a
 * family whose package is absent can say "family not installed". */
const struct cb_family_info cb_family_table[] = {
    { "core", "cpan-bridge-core" },     { "db", "cpan-bridge-db" },
    { "net", "cpan-bridge-net" },       { "ssh", "cpan-bridge-ssh" },
    { "office", "cpan-bridge-office" }, { "xml", "cpan-bridge-xml" },
    { "crypto", "cpan-bridge-crypto" },
};

const size_t cb_family_table_size = CB_ELEMENTSOF(cb_family_table);
