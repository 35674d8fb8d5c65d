/* SPDX-License-Identifier: MIT */
/* Module logging_helper: Log::Log4perl's calls that batch scripts make (API.md section 13). */
#include "services/core/core-internal.h"
#include "services/core/core-log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-journal.h>

#include "common/cb-json.h"
#include "common/cb-path.h"

#define OOM(err)        cb_error_set(err, CB_E_INTERNAL, "out of memory")
#define CONFIG_FILE_MAX (1024 * 1024)
#define MAX_APPENDERS   32

static int64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The session's configuration; before init, the earlier daemon's sysout. */
static struct log_config *session_config(struct cb_call *call)
{
    struct core_session *s = call->session->family_data;

    if (!s->log) {
        s->log = log_config_new_default();
        s->log_start_ms = now_ms();
    }
    return s->log;
}

static int read_config_file(struct cb_call *call, const char *path, char **ret, struct cb_error *err)
{
    char *buf;
    ssize_t n, got = 0;
    int fd = cb_path_open(call->config, "config_file", path, O_RDONLY | O_CLOEXEC, 0, err);

    if (fd < 0) {
        return fd;
    }
    buf = malloc(CONFIG_FILE_MAX + 1);
    while (buf && (n = read(fd, buf + got, (size_t)(CONFIG_FILE_MAX - got))) > 0) {
        got += n;
    }
    close(fd);
    if (!buf) {
        return OOM(err);
    }
    buf[got] = '\0';
    *ret = buf;
    return 0;
}

static json_t *names_of(const struct log_config *c, bool appenders)
{
    json_t *a = json_array();
    size_t n = appenders ? c->n_appenders : c->n_categories;

    for (size_t i = 0; a && i < n; i++) {
        const char *name = appenders ? c->appenders[i].name : c->categories[i].name;

        json_array_append_new(a, json_string(*name ? name : "root"));
    }
    return a;
}

int core_log_init(struct cb_call *call, json_t **ret, struct cb_error *err)
{
    struct core_session *s = call->session->family_data;
    const char *text = cb_json_get_string(call->params, "config", NULL);
    const char *file = cb_json_get_string(call->params, "config_file", NULL);
    const char *level = cb_json_get_string(call->params, "level", NULL);
    struct log_config *c = NULL;
    char *owned = NULL;
    int r = 0;

    if ((text != NULL) + (file != NULL) + (level != NULL) != 1) {
        return cb_error_set(err, CB_E_INVALID_PARAM,
                            "give exactly one of 'config', 'config_file' and 'level'");
    }
    if (file) {
        r = read_config_file(call, file, &owned, err);
        text = owned;
    }
    if (r >= 0 && text) {
        r = log_config_parse(text, &c, err);
    } else if (r >= 0) {
        c = log_config_easy(log_level_parse(level));
        r = c ? 0 : OOM(err);
    }
    free(owned);
    /* mode write empties the file at init; in process mode every call is an init again. */
    for (size_t i = 0; r >= 0 && i < c->n_appenders; i++) {
        const struct log_appender *a = &c->appenders[i];

        if (a->type == LOG_APPENDER_FILE && !a->append && !call->process_mode) {
            r = log_file_truncate(call->config, a->filename, 0666 & ~cb_call_umask(call), err);
        }
    }
    if (r < 0) {
        log_config_free(c);
        return r;
    }
    log_config_free(s->log);
    s->log = c;
    s->log_start_ms = now_ms();
    *ret = json_pack("{s:b, s:o, s:o, s:s}", "initialized", 1, "categories", names_of(c, false),
                     "appenders", names_of(c, true), "config_id", "log-config");
    return *ret ? 0 : OOM(err);
}

int core_log_initialized(struct cb_call *call, json_t **ret, struct cb_error *err)
{
    *ret = json_pack("{s:b}", "initialized",
                     session_config(call) && session_config(call)->initialized);
    return *ret ? 0 : OOM(err);
}

static int new_logger(struct cb_call *call,
                      const char *category,
                      int level,
                      struct cb_handle **ret_h,
                      struct cb_error *err)
{
    struct log_logger *l = calloc(1, sizeof *l);
    struct cb_error inner = CB_ERROR_INIT;
    const char *id;
    int r;

    if (!l || !(l->category = strdup(category))) {
        free(l);
        return OOM(err);
    }
    log_dotted(l->category);
    l->level = level;
    r = cb_handle_create(call->registry, call->session, CORE_LOGGER_KIND, CORE_LOGGER_PREFIX, l,
                         core_logger_free, &id, err);
    if (r < 0) {
        core_logger_free(l);
        return r;
    }
    if (ret_h) {
        r = cb_handle_acquire(call->registry, call->session, CORE_LOGGER_KIND, id, ret_h, &inner);
        if (r < 0) {
            cb_error_move(err, &inner);
        }
    }
    return r;
}

void core_logger_free(void *object)
{
    struct log_logger *l = object;

    if (l) {
        free(l->category);
        free(l);
    }
}

static int effective(struct cb_call *call, const struct log_logger *l)
{
    return l->level >= 0 ? l->level : log_config_level(session_config(call), l->category);
}

int core_log_get_logger(struct cb_call *call, json_t **ret, struct cb_error *err)
{
    const char *category = cb_json_get_string(call->params, "category", "main");
    const char *level = cb_json_get_string(call->params, "level", NULL);
    struct cb_handle *h;
    int r;

    if (!session_config(call)) {
        return OOM(err);
    }
    r = new_logger(call, category, level ? log_level_parse(level) : -1, &h, err);
    if (r < 0) {
        return r;
    }
    *ret = json_pack("{s:s, s:s, s:s}", "logger_id", h->id, "category",
                     ((struct log_logger *)h->object)->category, "level",
                     log_level_name(effective(call, h->object)));
    cb_handle_release(call->registry, h);
    return *ret ? 0 : OOM(err);
}

/* The call's logger: logger_id, else the current one, else "main", made on first use. */
static int logger_of(struct cb_call *call, struct cb_handle **ret, struct cb_error *err)
{
    const char *id = cb_json_get_string(call->params, "logger_id", NULL);
    struct cb_error inner = CB_ERROR_INIT;
    int r;

    if (!session_config(call)) {
        return OOM(err);
    }
    r = cb_handle_acquire(call->registry, call->session, CORE_LOGGER_KIND, id, ret, &inner);
    if (r >= 0 || id) {
        cb_error_move(err, &inner);
        return r;
    }
    cb_error_clear(&inner);
    return new_logger(call, "main", -1, ret, err);
}

static char *message_text(json_t *v)
{
    if (json_is_string(v)) {
        return strdup(json_string_value(v));
    }
    return v ? json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT) : strdup("");
}

static int syslog_priority(int level)
{
    return level >= LOG_L_FATAL   ? LOG_CRIT
           : level >= LOG_L_ERROR ? LOG_ERR
           : level >= LOG_L_WARN  ? LOG_WARNING
           : level >= LOG_L_INFO  ? LOG_INFO
                                  : LOG_DEBUG;
}

static int to_journal(struct cb_call *call, const struct log_event *e, const char *text)
{
    char uid[32];

    snprintf(uid, sizeof uid, "%u", (unsigned)call->uid);
    return sd_journal_send("MESSAGE=%s", text, "PRIORITY=%d", syslog_priority(e->level),
                           "CPAN_BRIDGE_LOG_CATEGORY=%s", e->category, "CPAN_BRIDGE_LOG_LEVEL=%s",
                           log_level_name(e->level), "CPAN_BRIDGE_CLIENT_UID=%s", uid,
                           "CPAN_BRIDGE_CLIENT_PID=%d", (int)call->pid, "CODE_FILE=%s",
                           e->filename ? e->filename : "", "CODE_LINE=%lld", (long long)e->line,
                           "CODE_FUNC=%s", e->package ? e->package : "", NULL);
}

/* One event through every appender of its category. */
static int emit(struct cb_call *call,
                const struct log_logger *l,
                const struct log_event *e,
                json_t *screen,
                char **ret_formatted,
                struct cb_error *err)
{
    const struct log_appender *apps[MAX_APPENDERS];
    size_t n = log_config_appenders(session_config(call), l->category, apps, MAX_APPENDERS);
    int r = 0;

    for (size_t i = 0; r >= 0 && i < n; i++) {
        char *text;

        if (e->level < apps[i]->threshold) {
            continue;
        }
        text = log_layout(apps[i]->pattern, e);
        if (!text) {
            return OOM(err);
        }
        if (apps[i]->type == LOG_APPENDER_FILE) {
            r = log_file_write(call->config, apps[i]->filename, text, 0666 & ~cb_call_umask(call),
                               err);
        } else if (apps[i]->type == LOG_APPENDER_SCREEN) {
            json_array_append_new(screen, json_pack("{s:s, s:s}", "stream",
                                                    apps[i]->to_stderr ? "stderr" : "stdout",
                                                    "text", text));
        } else {
            (void)to_journal(call, e, e->message);
        }
        if (!*ret_formatted) {
            *ret_formatted = text;
        } else {
            free(text);
        }
    }
    return r;
}

static int log_at(struct cb_call *call, int level, bool die, json_t **ret, struct cb_error *err)
{
    struct core_session *s = call->session->family_data;
    const char *filename = cb_json_get_string(call->params, "filename", NULL);
    int64_t line = cb_json_get_int(call->params, "line", 0);
    struct cb_handle *h;
    struct log_logger *l;
    char *message, *formatted = NULL, *prefixed = NULL;
    json_t *screen;
    bool logged;
    int r;

    r = logger_of(call, &h, err);
    if (r < 0) {
        return r;
    }
    l = h->object;
    message = message_text(json_object_get(call->params, "message"));
    /* The earlier daemon's "enhanced" form names the caller's file and line. */
    if (message && cb_json_get_bool(call->params, "enhanced", false) &&
        asprintf(&prefixed, "%s%s line:%lld: %s", level == LOG_L_DEBUG ? "DEBUG: " : "",
                 filename ? filename : "", (long long)line, message) >= 0) {
        free(message);
        message = prefixed;
    }
    screen = json_array();
    logged = level >= effective(call, l);
    if (message && screen && logged) {
        struct log_event e = {
            .category = l->category,
            .level = level,
            .message = message,
            .filename = filename,
            .package = cb_json_get_string(call->params, "package", NULL),
            .line = line,
            .pid = call->pid ? call->pid : getpid(),
            .epoch_ms = now_ms(),
            .start_ms = s->log_start_ms,
            .zone = core_call_zone(call, &(struct cb_error)CB_ERROR_INIT),
        };

        if (!e.zone) {
            e.zone = "UTC";
        }
        r = emit(call, l, &e, screen, &formatted, err);
    }
    if (r >= 0) {
        *ret = message && screen ? json_pack("{s:b, s:s, s:s, s:O}", "logged", logged, "level",
                                             log_level_name(level), "formatted",
                                             formatted ? formatted : "", "screen", screen)
                                 : NULL;
        if (*ret && die) {
            json_object_set_new(*ret, "should_exit", json_true());
        }
        r = *ret ? 0 : OOM(err);
    }
    json_decref(screen);
    free(message);
    free(formatted);
    cb_handle_release(call->registry, h);
    return r;
}

int core_log_log(struct cb_call *call, json_t **ret, struct cb_error *err)
{
    return log_at(call, log_level_parse(cb_json_get_string(call->params, "level", "INFO")), false,
                  ret, err);
}

#define LOG_AT(fn, lvl, die)                                         \
    int fn(struct cb_call *call, json_t **ret, struct cb_error *err) \
    {                                                                \
        return log_at(call, lvl, die, ret, err);                     \
    }

LOG_AT(core_log_trace, LOG_L_TRACE, false)
LOG_AT(core_log_debug, LOG_L_DEBUG, false)
LOG_AT(core_log_info, LOG_L_INFO, false)
LOG_AT(core_log_warn, LOG_L_WARN, false)
LOG_AT(core_log_error, LOG_L_ERROR, false)
LOG_AT(core_log_fatal, LOG_L_FATAL, false)
LOG_AT(core_log_logdie, LOG_L_FATAL, true)

static int level_answer(struct cb_call *call,
                        struct cb_handle *h,
                        json_t **ret,
                        struct cb_error *err)
{
    struct log_logger *l = h->object;
    int level = effective(call, l);

    *ret = json_pack("{s:s, s:s, s:i}", "category", l->category, "level", log_level_name(level),
                     "numeric_level", level);
    cb_handle_release(call->registry, h);
    return *ret ? 0 : OOM(err);
}

int core_log_set_level(struct cb_call *call, json_t **ret, struct cb_error *err)
{
    struct cb_handle *h;
    int r = logger_of(call, &h, err);

    if (r < 0) {
        return r;
    }
    ((struct log_logger *)h->object)->level = log_level_parse(
            cb_json_get_string(call->params, "level", "INFO"));
    return level_answer(call, h, ret, err);
}

int core_log_get_level(struct cb_call *call, json_t **ret, struct cb_error *err)
{
    struct cb_handle *h;
    int r = logger_of(call, &h, err);

    return r < 0 ? r : level_answer(call, h, ret, err);
}

static int enabled_at(struct cb_call *call, int level, json_t **ret, struct cb_error *err)
{
    struct cb_handle *h;
    int r = logger_of(call, &h, err);

    if (r < 0) {
        return r;
    }
    *ret = json_pack("{s:b}", "enabled", level >= effective(call, h->object));
    cb_handle_release(call->registry, h);
    return *ret ? 0 : OOM(err);
}

int core_log_is_enabled(struct cb_call *call, json_t **ret, struct cb_error *err)
{
    return enabled_at(call, log_level_parse(cb_json_get_string(call->params, "level", "INFO")), ret,
                      err);
}

#define IS_AT(fn, lvl)                                               \
    int fn(struct cb_call *call, json_t **ret, struct cb_error *err) \
    {                                                                \
        return enabled_at(call, lvl, ret, err);                      \
    }

IS_AT(core_log_is_trace, LOG_L_TRACE)
IS_AT(core_log_is_debug, LOG_L_DEBUG)
IS_AT(core_log_is_info, LOG_L_INFO)
IS_AT(core_log_is_warn, LOG_L_WARN)
IS_AT(core_log_is_error, LOG_L_ERROR)
IS_AT(core_log_is_fatal, LOG_L_FATAL)

int core_log_cleanup(struct cb_call *call, json_t **ret, struct cb_error *err)
{
    const char *id = cb_json_get_string(call->params, "logger_id", NULL);
    struct cb_error inner = CB_ERROR_INIT;
    struct cb_handle *h;
    int r;

    r = cb_handle_acquire(call->registry, call->session, CORE_LOGGER_KIND, id, &h, &inner);
    if (r < 0) {
        if (!id) {
            cb_error_clear(&inner);
            return cb_error_set(err, CB_E_HANDLE,
                                "no current logger; call logging_helper.get_logger first");
        }
        cb_error_move(err, &inner);
        return r;
    }
    *ret = json_pack("{s:s, s:b}", "logger_id", h->id, "cleaned_up", 1);
    cb_handle_end(call->registry, h, "cleaned up by logging_helper.cleanup_logger");
    return *ret ? 0 : OOM(err);
}
