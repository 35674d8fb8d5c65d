/* SPDX-License-Identifier: MIT */
/* The INI parser of cpan-bridge.conf: [section] headers, key = value lines, # comments. */
#include "common/cb-config-internal.h"

#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/cb-log.h"

enum key_kind {
    KEY_STRING,
    KEY_LIST,
    KEY_UINT,
    KEY_SIZE,
    KEY_U64,
    KEY_UID,
    KEY_SAMPLE,
    KEY_BOOL,
};

struct key_spec {
    const char *section;
    const char *key;
    enum key_kind kind;
    size_t offset;
    uint64_t max;
    uint64_t min;
};

#define KEY(sec, k, kind, field, max) KEY_RANGE(sec, k, kind, field, 0, max)
#define KEY_RANGE(sec, k, kind, field, min, max)                  \
    {                                                             \
        sec, k, kind, offsetof(struct cb_config, field), max, min \
    }

static const struct key_spec keys[] = {
    KEY("access", "allowed_users", KEY_LIST, allowed_users, 0),
    KEY("access", "allowed_groups", KEY_LIST, allowed_groups, 0),
    KEY("access", "administrators", KEY_LIST, administrators, 0),
    KEY("limits", "max_frame_bytes", KEY_SIZE, limits.max_frame, UINT32_MAX),
    KEY("limits", "max_string_length", KEY_SIZE, limits.max_string, UINT32_MAX),
    KEY("limits", "max_array_length", KEY_SIZE, limits.max_array, UINT32_MAX),
    KEY("limits", "max_object_depth", KEY_SIZE, limits.max_depth, 1000),
    KEY("limits", "max_param_count", KEY_SIZE, limits.max_params, 1000000),
    KEY("limits", "frame_stall_timeout_ms", KEY_U64, frame_stall_ms, 86400000),
    KEY("limits", "max_connections_per_uid", KEY_UINT, max_connections_per_uid, 1000000),
    KEY("limits", "max_inflight_per_uid", KEY_UINT, max_inflight_per_uid, 1000000),
    KEY("limits", "max_requests_per_second", KEY_U64, max_requests_per_second, 100000000),
    KEY("limits", "request_burst", KEY_U64, request_burst, 100000000),
    KEY("limits", "max_buffered_bytes_per_uid", KEY_U64, max_buffered_per_uid, 1ULL << 40),
    KEY("limits", "max_handles_per_uid", KEY_UINT, max_handles_per_uid, 10000000),
    KEY("router", "runtime_directory", KEY_STRING, runtime_dir, 0),
    KEY("router", "socket", KEY_STRING, socket_path, 0),
    KEY("router", "activator", KEY_STRING, activator, 0),
    KEY("router", "launcher_socket", KEY_STRING, launcher_socket, 0),
    KEY("router", "instance_uid_min", KEY_UID, instance_uid_min, UINT32_MAX - 1),
    KEY("router", "instance_uid_max", KEY_UID, instance_uid_max, UINT32_MAX - 1),
    KEY("router", "instance_connect_timeout_ms", KEY_U64, connect_timeout_ms, 3600000),
    KEY("sessions", "grace_seconds", KEY_U64, grace_seconds, 30 * 86400),
    KEY("sessions", "instance_idle_exit_seconds", KEY_U64, idle_exit_seconds, 30 * 86400),
    KEY("workers", "min_threads", KEY_UINT, workers_min, 1024),
    KEY("workers", "max_threads", KEY_UINT, workers_max, 1024),
    KEY("workers", "stall_seconds", KEY_U64, stall_seconds, 86400),
    KEY("logging", "request_logging", KEY_SAMPLE, request_log_sample, 1000000),
    KEY("test", "max_sleep_ms", KEY_U64, test_max_sleep_ms, 3600000),
    KEY("paths", "roots", KEY_LIST, path_roots, 0),
    KEY("monitoring", "memory_warn_mb", KEY_U64, memory_warn_mb, 1000000),
    KEY("monitoring", "memory_fail_mb", KEY_U64, memory_fail_mb, 1000000),
    KEY("monitoring", "cpu_warn_percent", KEY_UINT, cpu_warn_percent, 100),
    KEY("monitoring", "cpu_fail_percent", KEY_UINT, cpu_fail_percent, 100),
    KEY("monitoring", "requests_per_minute_warn", KEY_U64, requests_per_minute_warn, 1ULL << 40),
    KEY("monitoring", "concurrent_warn", KEY_UINT, concurrent_warn, 1000000),
    KEY("monitoring", "stale_seconds", KEY_U64, stale_seconds, 31536000),
    KEY_RANGE("database", "max_statements", KEY_UINT, db_max_statements, 1, 100000),
    KEY("http", "refuse_link_local", KEY_BOOL, http_refuse_link_local, 0),
    KEY("email", "smtp_host", KEY_STRING, smtp_host, 0),
    KEY_RANGE("email", "smtp_port", KEY_UINT, smtp_port, 1, 65535),
    KEY("ssh", "known_hosts", KEY_STRING, ssh_known_hosts, 0),
    KEY("crypto", "fips", KEY_STRING, crypto_fips, 0),
    KEY("crypto", "allow_legacy", KEY_BOOL, crypto_allow_legacy, 0),
    KEY_RANGE("xml", "max_document_size", KEY_U64, xml_max_document, 1, 1ULL << 40),
};

static char *strip(char *s)
{
    char *end;

    while (isspace((unsigned char)*s)) {
        s++;
    }
    end = s + strlen(s);
    while (end > s && isspace((unsigned char)end[-1])) {
        *--end = '\0';
    }
    return s;
}

static int parse_number(const char *value, uint64_t max, uint64_t *ret)
{
    unsigned long long v;
    char *end;

    if (!isdigit((unsigned char)value[0])) {
        return -EINVAL;
    }
    errno = 0;
    v = strtoull(value, &end, 10);
    if (errno || *end || v > max) {
        return -ERANGE;
    }
    *ret = v;
    return 0;
}

/* "off", "all" or N (one request in N is logged). */
static int parse_sample(const char *value, uint64_t max, uint64_t *ret)
{
    if (strcmp(value, "off") == 0 || strcmp(value, "no") == 0) {
        *ret = 0;
        return 0;
    }
    if (strcmp(value, "all") == 0 || strcmp(value, "yes") == 0) {
        *ret = 1;
        return 0;
    }
    return parse_number(value, max, ret);
}

static int parse_bool(const char *value, uint64_t *ret)
{
    static const char *const yes[] = { "yes", "true", "on", "1" };
    static const char *const no[] = { "no", "false", "off", "0" };

    for (size_t i = 0; i < CB_ELEMENTSOF(yes); i++) {
        if (strcasecmp(value, yes[i]) == 0) {
            *ret = 1;
            return 0;
        }
        if (strcasecmp(value, no[i]) == 0) {
            *ret = 0;
            return 0;
        }
    }
    return -EINVAL;
}

static int set_value(struct cb_config *c, const struct key_spec *k, const char *value)
{
    /* Through void *, since the field's alignment is that of its own type. */
    void *field = (char *)c + k->offset;
    uint64_t n = 0;
    int r;

    switch (k->kind) {
    case KEY_STRING:
        free(*(char **)field);
        *(char **)field = strdup(value);
        return *(char **)field ? 0 : -ENOMEM;
    case KEY_LIST:
        cb_strv_free(*(char ***)field);
        *(char ***)field = cb_strv_split(value, " ,\t");
        return *(char ***)field ? 0 : -ENOMEM;
    case KEY_SAMPLE:
        r = parse_sample(value, k->max, &n);
        break;
    case KEY_BOOL:
        r = parse_bool(value, &n);
        break;
    default:
        r = parse_number(value, k->max, &n);
        break;
    }
    if (r < 0) {
        return r;
    }
    if (n < k->min) {
        return -ERANGE;
    }

    switch (k->kind) {
    case KEY_UINT:
    case KEY_SAMPLE:
        *(unsigned *)field = (unsigned)n;
        break;
    case KEY_BOOL:
        *(bool *)field = n != 0;
        break;
    case KEY_SIZE:
        *(size_t *)field = (size_t)n;
        break;
    case KEY_UID:
        *(uid_t *)field = (uid_t)n;
        break;
    default:
        *(uint64_t *)field = n;
        break;
    }
    return 0;
}

static const struct key_spec *find_key(const char *section, const char *key)
{
    for (size_t i = 0; i < CB_ELEMENTSOF(keys); i++) {
        if (strcmp(keys[i].section, section) == 0 && strcmp(keys[i].key, key) == 0) {
            return &keys[i];
        }
    }
    return NULL;
}

static int parse_line(struct cb_config *c,
                      char *line,
                      char *section,
                      size_t size,
                      const char *where,
                      char **reterr)
{
    const struct key_spec *k;
    char *eq, *key, *value;
    int r;

    line = strip(line);
    if (!*line || *line == '#' || *line == ';') {
        return 0;
    }
    if (*line == '[') {
        char *close = strchr(line, ']');

        if (!close || close[1]) {
            return asprintf(reterr, "%s: malformed section header", where) < 0 ? -ENOMEM : -EINVAL;
        }
        *close = '\0';
        snprintf(section, size, "%s", strip(line + 1));
        return 0;
    }

    eq = strchr(line, '=');
    if (!eq) {
        return asprintf(reterr, "%s: expected 'key = value'", where) < 0 ? -ENOMEM : -EINVAL;
    }
    *eq = '\0';
    key = strip(line);
    value = strip(eq + 1);

    /* [modules] and [dsn_aliases] have open-ended keys: module names, DSN patterns. */
    if (strcmp(section, "dsn_aliases") == 0) {
        return cb_config_add_dsn_alias(c, key, value) < 0 ? -ENOMEM : 0;
    }
    if (strcmp(section, "modules") == 0) {
        return cb_config_set_module_rule(c, key, value) < 0 ? -ENOMEM : 0;
    }
    k = find_key(section, key);
    if (!k) {
        /* An older daemon reading a newer file keeps running; the operator still hears of it. */
        cb_log_warning("%s: unknown key '%s' in section [%s], ignoring", where, key, section);
        return 0;
    }
    r = set_value(c, k, value);
    if (r < 0) {
        return asprintf(reterr, "%s: bad value for '%s' in [%s]", where, key, section) < 0 ? -ENOMEM
                                                                                           : r;
    }
    return 0;
}

int cb_config_parse_file(struct cb_config *c, const char *path, char **reterr)
{
    char section[64] = "";
    char *line = NULL;
    size_t cap = 0;
    unsigned lineno = 0;
    FILE *f;
    int r = 0;

    f = fopen(path, "re");
    if (!f) {
        r = -errno;
        if (r != -ENOENT && asprintf(reterr, "%s: %s", path, strerror(-r)) < 0) {
            *reterr = NULL;
        }
        return r;
    }

    while (r >= 0 && getline(&line, &cap, f) >= 0) {
        char where[512];

        lineno++;
        snprintf(where, sizeof where, "%s:%u", path, lineno);
        r = parse_line(c, line, section, sizeof section, where, reterr);
    }

    free(line);
    fclose(f);
    return r;
}
