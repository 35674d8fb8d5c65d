/* SPDX-License-Identifier: MIT */
/* journald logging with the project's structured fields; stderr when not under systemd. */
#include "common/cb-log.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/uio.h>

#define SD_JOURNAL_SUPPRESS_LOCATION
#include <systemd/sd-journal.h>

#define LOG_MAX_FIELDS 32

static char log_identifier[64] = "cpan-bridge";
static char log_family[32];
static bool log_to_journal;
static int log_max_level = LOG_INFO;
static __thread const struct cb_log_context *log_context;

static bool stderr_is_journal(void)
{
    const char *e = getenv("JOURNAL_STREAM");
    unsigned long long dev, ino;
    struct stat st;

    /* systemd sets JOURNAL_STREAM to the device and inode of the stream it gave us. */
    if (!e || sscanf(e, "%llu:%llu", &dev, &ino) != 2) {
        return false;
    }
    if (fstat(STDERR_FILENO, &st) < 0) {
        return false;
    }
    return st.st_dev == dev && st.st_ino == ino;
}

static int parse_level(const char *s)
{
    static const char *const names[] = { "emerg",   "alert",  "crit", "err",
                                         "warning", "notice", "info", "debug" };
    char *end;
    long n;

    n = strtol(s, &end, 10);
    if (*s && !*end && n >= 0 && n <= LOG_DEBUG) {
        return (int)n;
    }
    for (int i = 0; i <= LOG_DEBUG; i++) {
        if (strcasecmp(s, names[i]) == 0) {
            return i;
        }
    }
    return -1;
}

void cb_log_init(const char *identifier, const char *family)
{
    const char *target = getenv("CPAN_BRIDGE_LOG");
    const char *level = getenv("CPAN_BRIDGE_LOG_LEVEL");

    snprintf(log_identifier, sizeof log_identifier, "%s", identifier);
    snprintf(log_family, sizeof log_family, "%s", family ? family : "");

    if (target && strcmp(target, "journal") == 0) {
        log_to_journal = true;
    } else if (target && strcmp(target, "stderr") == 0) {
        log_to_journal = false;
    } else {
        log_to_journal = stderr_is_journal();
    }

    if (level && parse_level(level) >= 0) {
        log_max_level = parse_level(level);
    }
}

void cb_log_quiet_on_stderr(void)
{
    if (!log_to_journal && !getenv("CPAN_BRIDGE_LOG_LEVEL") && log_max_level > LOG_WARNING) {
        log_max_level = LOG_WARNING;
    }
}

void cb_log_set_max_level(int level)
{
    log_max_level = level;
}

int cb_log_get_max_level(void)
{
    return log_max_level;
}

void cb_log_set_context(const struct cb_log_context *ctx)
{
    log_context = ctx;
}

struct field_list {
    struct iovec iov[LOG_MAX_FIELDS];
    char *owned[LOG_MAX_FIELDS];
    size_t n;
};

static void field_add(struct field_list *l, const char *name, const char *value)
{
    char *s;

    if (!value || l->n >= LOG_MAX_FIELDS || asprintf(&s, "%s=%s", name, value) < 0) {
        return;
    }
    l->owned[l->n] = s;
    l->iov[l->n] = (struct iovec){ .iov_base = s, .iov_len = strlen(s) };
    l->n++;
}

static void field_add_int(struct field_list *l, const char *name, long long value)
{
    char buf[32];

    snprintf(buf, sizeof buf, "%lld", value);
    field_add(l, name, buf);
}

static void fields_free(struct field_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->owned[i]);
    }
}

static void log_to_stderr(int level, int err, const char *message, const struct cb_log_field *f)
{
    static const char *const tags[] = { "EMERG",   "ALERT",  "CRIT", "ERROR",
                                        "WARNING", "NOTICE", "INFO", "DEBUG" };
    const struct cb_log_context *c = log_context;

    fprintf(stderr, "%s[%d]: %s: %s", log_identifier, (int)getpid(), tags[level & 7], message);
    if (err) {
        fprintf(stderr, ": %s", strerror(abs(err)));
    }
    if (c && c->module) {
        fprintf(stderr, " [%s.%s%s%s]", c->module, c->function ? c->function : "",
                c->request_id ? " " : "", c->request_id ? c->request_id : "");
    }
    for (; f && f->name; f++) {
        if (f->value) {
            fprintf(stderr, " %s=%s", f->name, f->value);
        }
    }
    fputc('\n', stderr);
}

int cb_log_internal(int level,
                    int err,
                    const char *file,
                    int line,
                    const char *func,
                    const char *message_id,
                    const struct cb_log_field *fields,
                    const char *format,
                    ...)
{
    struct field_list l = { .n = 0 };
    const struct cb_log_context *c = log_context;
    char message[2048];
    va_list ap;
    int saved = errno;

    if (level > log_max_level) {
        return -abs(err);
    }

    va_start(ap, format);
    vsnprintf(message, sizeof message, format, ap);
    va_end(ap);

    if (!log_to_journal) {
        log_to_stderr(level, err, message, fields);
        errno = saved;
        return -abs(err);
    }

    field_add(&l, "MESSAGE", message);
    field_add_int(&l, "PRIORITY", level);
    field_add(&l, "SYSLOG_IDENTIFIER", log_identifier);
    field_add(&l, "CODE_FILE", file);
    field_add_int(&l, "CODE_LINE", line);
    field_add(&l, "CODE_FUNC", func);
    field_add(&l, "MESSAGE_ID", message_id);
    if (log_family[0]) {
        field_add(&l, "CPAN_BRIDGE_FAMILY", log_family);
    }
    field_add(&l, "CPAN_BRIDGE_SERVICE", log_identifier);
    if (err) {
        field_add_int(&l, "ERRNO", abs(err));
    }
    if (c) {
        field_add(&l, "CPAN_BRIDGE_MODULE", c->module);
        field_add(&l, "CPAN_BRIDGE_FUNCTION", c->function);
        field_add(&l, "CPAN_BRIDGE_REQUEST_ID", c->request_id);
        field_add(&l, "CPAN_BRIDGE_SESSION", c->session);
        if (c->client_uid >= 0) {
            field_add_int(&l, "CPAN_BRIDGE_CLIENT_UID", c->client_uid);
        }
        if (c->client_pid >= 0) {
            field_add_int(&l, "CPAN_BRIDGE_CLIENT_PID", c->client_pid);
        }
    }
    for (; fields && fields->name; fields++) {
        field_add(&l, fields->name, fields->value);
    }

    if (sd_journal_sendv(l.iov, (int)l.n) < 0) {
        log_to_stderr(level, err, message, NULL);
    }
    fields_free(&l);
    errno = saved;
    return -abs(err);
}

bool cb_ratelimit_take(struct cb_ratelimit *rl, uint64_t now_usec, unsigned *ret_suppressed)
{
    *ret_suppressed = 0;
    if (rl->begin_usec == 0 || now_usec - rl->begin_usec >= rl->interval_usec) {
        *ret_suppressed = rl->suppressed;
        rl->begin_usec = now_usec;
        rl->taken = 0;
        rl->suppressed = 0;
    }
    if (rl->taken < rl->burst) {
        rl->taken++;
        return true;
    }
    rl->suppressed++;
    return false;
}
