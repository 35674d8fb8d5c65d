/* SPDX-License-Identifier: MIT */
/*
 * The configuration of DESIGN.md: /etc/cpan-bridge/cpan-bridge.conf (INI) with drop-ins from
 * cpan-bridge.conf.d/NAME.conf read in order. Every key has a default that works with no file.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/cb-json.h"

#define CB_CONFIG_DEFAULT_PATH "/etc/cpan-bridge/cpan-bridge.conf"
#define CB_RUNTIME_DIR_DEFAULT "/run/cpan-bridge"
#define CB_CLIENTS_GROUP       "cpanbridge-clients"
#define CB_SERVICE_USER        "cpanbridge"

struct cb_config {
    char *path; /* the file read, or NULL when none existed */

    /* [access] */
    char **allowed_users; /* NULL-terminated; names or numeric uids */
    char **allowed_groups;
    char **administrators;

    /* [limits] */
    struct cb_limits limits;
    uint64_t frame_stall_ms; /* a frame started and not finished within this is refused */
    unsigned max_connections_per_uid;
    unsigned max_inflight_per_uid;
    uint64_t max_requests_per_second; /* per uid, a token bucket */
    uint64_t request_burst;
    uint64_t max_buffered_per_uid; /* bytes of answers and requests the router holds */
    unsigned max_handles_per_uid;  /* live handles in one instance */

    /* [router] */
    char *runtime_dir;
    char *socket_path;
    char *activator;       /* "systemd" or "launcher" */
    char *launcher_socket; /* the launcher's control socket, for activator=launcher */
    uid_t instance_uid_min, instance_uid_max;
    uint64_t connect_timeout_ms; /* waiting for an instance to accept */

    /* [sessions] */
    uint64_t grace_seconds;     /* sessions kept after the router's connection drops */
    uint64_t idle_exit_seconds; /* an instance with no state exits after this; 0 never */

    /* [workers] */
    unsigned workers_min, workers_max;
    uint64_t stall_seconds; /* every worker busy, work waiting, none done: stuck */

    /* [logging] */
    unsigned request_log_sample; /* 0 off; 1 every request; N one in N */

    /* [test] */
    uint64_t test_max_sleep_ms;

    /* [monitoring]: health thresholds (API.md 3.3) */
    uint64_t memory_warn_mb, memory_fail_mb;
    unsigned cpu_warn_percent, cpu_fail_percent;
    uint64_t requests_per_minute_warn;
    unsigned concurrent_warn;
    uint64_t stale_seconds; /* a client connection idle this long is "stale" */

    /* [paths]: when set, local files are opened only below these directories. */
    char **path_roots;

    /* [modules]: module name -> users and @groups who may call it (root always may). A module
     * without a rule is open to every allowed caller. */
    struct cb_module_rule *module_rules;
    size_t n_module_rules;

    /* [dsn_aliases]: DSN pattern (shell wildcards) -> DSN, in file order, drop-ins after the
     * main file; the first match wins. */
    struct cb_config_pair *dsn_aliases;
    size_t n_dsn_aliases;

    /* [database] */
    unsigned db_max_statements; /* prepared statements kept per connection */

    /* [http] */
    bool http_refuse_link_local; /* 169.254.0.0/16, fe80::/10 and cloud metadata refused */

    /* [email] */
    char *smtp_host;
    unsigned smtp_port;

    /* [ssh] */
    char *ssh_known_hosts; /* the known_hosts for every user, or NULL for each one's own */

    /* [crypto] */
    char *crypto_fips;        /* "auto" (the host's FIPS mode), "yes" or "no" */
    bool crypto_allow_legacy; /* MD5 key derivation and Blowfish even under FIPS */

    /* [xml] */
    uint64_t xml_max_document; /* bytes of one XML document, text or file */
};

struct cb_config_pair {
    char *key;
    char *value;
};

struct cb_module_rule {
    char *module;
    char **principals; /* "alice", "1001", "@dba" */
};

/* Sets (or replaces) the rule of one module. Returns 0 or -ENOMEM. */
int cb_config_set_module_rule(struct cb_config *c, const char *module, const char *principals);

/* Appends a [dsn_aliases] line. Returns 0 or -ENOMEM. */
int cb_config_add_dsn_alias(struct cb_config *c, const char *pattern, const char *dsn);

/* The DSN the first matching [dsn_aliases] pattern maps dsn to, or NULL. */
const char *cb_config_dsn_alias(const struct cb_config *c, const char *dsn);

/* The rule of a module (by its primary name), or NULL when it has none. */
const struct cb_module_rule *cb_config_module_rule(const struct cb_config *c, const char *module);

/*
 * Loads the configuration: `path` if given, else $CPAN_BRIDGE_CONFIG, else the default path.
 * A missing default file is not an error; a missing named file is. Unknown keys are logged
 * and ignored (an older daemon reading a newer file keeps running); bad values are errors.
 * On failure returns -errno and sets *reterr to a malloc'ed "file:line: reason" text.
 */
int cb_config_load(const char *path, struct cb_config **ret, char **reterr);

/* The defaults alone. */
struct cb_config *cb_config_new_default(void);

struct cb_config *cb_config_free(struct cb_config *c);

/* Whether a uid with these groups is allowed by [access] (root always is). */
bool cb_config_caller_allowed(const struct cb_config *c, uid_t uid, const gid_t *groups, size_t n);
bool cb_config_caller_is_admin(const struct cb_config *c, uid_t uid);

/* Helpers shared with the launcher and tests. */
char **cb_strv_split(const char *s, const char *separators);
void cb_strv_free(char **v);
size_t cb_strv_length(char *const *v);
