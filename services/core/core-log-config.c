/* SPDX-License-Identifier: MIT */
/* Log4perl configuration text: loggers, additivity and appenders, as Log::Log4perl reads it. */
#include "services/core/core-log.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const struct {
    const char *name;
    int level;
} levels[] = {
    { "ALL", LOG_L_ALL },     { "TRACE", LOG_L_TRACE }, { "DEBUG", LOG_L_DEBUG },
    { "INFO", LOG_L_INFO },   { "WARN", LOG_L_WARN },   { "WARNING", LOG_L_WARN },
    { "ERROR", LOG_L_ERROR }, { "FATAL", LOG_L_FATAL }, { "OFF", LOG_L_OFF },
};

const char *log_level_name(int level)
{
    for (size_t i = 0; i < sizeof levels / sizeof *levels; i++) {
        if (levels[i].level == level) {
            return levels[i].name;
        }
    }
    return "INFO";
}

int log_level_parse(const char *s)
{
    for (size_t i = 0; s && i < sizeof levels / sizeof *levels; i++) {
        if (strcasecmp(s, levels[i].name) == 0) {
            return levels[i].level;
        }
    }
    return -1;
}

static char *trim(char *s)
{
    char *e;

    while (isspace((unsigned char)*s)) {
        s++;
    }
    e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1])) {
        *--e = '\0';
    }
    return s;
}

static struct log_category *category(struct log_config *c, const char *name)
{
    struct log_category *grown;

    for (size_t i = 0; i < c->n_categories; i++) {
        if (strcmp(c->categories[i].name, name) == 0) {
            return &c->categories[i];
        }
    }
    grown = reallocarray(c->categories, c->n_categories + 1, sizeof *grown);
    if (!grown) {
        return NULL;
    }
    c->categories = grown;
    grown[c->n_categories] =
            (struct log_category){ .name = strdup(name), .level = -1, .additivity = true };
    return grown[c->n_categories].name ? &grown[c->n_categories++] : NULL;
}

static struct log_appender *appender(struct log_config *c, const char *name)
{
    struct log_appender *grown;

    for (size_t i = 0; i < c->n_appenders; i++) {
        if (strcmp(c->appenders[i].name, name) == 0) {
            return &c->appenders[i];
        }
    }
    grown = reallocarray(c->appenders, c->n_appenders + 1, sizeof *grown);
    if (!grown) {
        return NULL;
    }
    c->appenders = grown;
    /* Log::Log4perl::Appender::Screen writes to stderr unless told otherwise. */
    grown[c->n_appenders] = (struct log_appender){ .name = strdup(name),
                                                   .to_stderr = true,
                                                   .append = true,
                                                   .pattern = strdup("%m%n"),
                                                   .threshold = LOG_L_ALL };
    return grown[c->n_appenders].name ? &grown[c->n_appenders++] : NULL;
}

void log_config_free(struct log_config *c)
{
    if (!c) {
        return;
    }
    for (size_t i = 0; i < c->n_appenders; i++) {
        free(c->appenders[i].name);
        free(c->appenders[i].filename);
        free(c->appenders[i].pattern);
    }
    for (size_t i = 0; i < c->n_categories; i++) {
        for (size_t k = 0; k < c->categories[i].n_appenders; k++) {
            free(c->categories[i].appenders[k]);
        }
        free(c->categories[i].appenders);
        free(c->categories[i].name);
    }
    free(c->appenders);
    free(c->categories);
    free(c);
}

/* "Foo::Bar" and "Foo.Bar" are one category. */
void log_dotted(char *s)
{
    char *o = s;

    for (char *p = s; *p; p++) {
        if (p[0] == ':' && p[1] == ':') {
            *o++ = '.';
            p++;
        } else {
            *o++ = *p;
        }
    }
    *o = '\0';
}

/* "LEVEL, App1, App2" for a logger. */
static int set_logger(struct log_config *c,
                      const char *name,
                      char *value,
                      struct cb_error *err,
                      int lineno)
{
    struct log_category *cat = category(c, name);
    char *save = NULL, *part;
    bool first = true;

    if (!cat) {
        return cb_error_set(err, CB_E_INTERNAL, "out of memory");
    }
    for (part = strtok_r(value, ",", &save); part;
         part = strtok_r(NULL, ",", &save), first = false) {
        char *t = trim(part);
        char **grown;

        if (first) {
            if (*t && (cat->level = log_level_parse(t)) < 0) {
                return cb_error_set(err, CB_E_INVALID_PARAM,
                                    "parameter 'config', line %d: '%s' is not a level", lineno, t);
            }
            continue;
        }
        grown = reallocarray(cat->appenders, cat->n_appenders + 1, sizeof *grown);
        if (!grown || !(grown[cat->n_appenders] = strdup(t))) {
            free(grown ? NULL : NULL);
            return cb_error_set(err, CB_E_INTERNAL, "out of memory");
        }
        cat->appenders = grown;
        cat->n_appenders++;
    }
    return 0;
}

static bool ends_with(const char *s, const char *tail)
{
    size_t n = strlen(s), t = strlen(tail);

    return n >= t && strcmp(s + n - t, tail) == 0;
}

static int set_appender(struct log_config *c,
                        char *rest,
                        char *value,
                        struct cb_error *err,
                        int lineno)
{
    char *dot = strchr(rest, '.');
    const char *prop = dot ? dot + 1 : NULL;
    struct log_appender *a;

    if (dot) {
        *dot = '\0';
    }
    a = appender(c, rest);
    if (!a) {
        return cb_error_set(err, CB_E_INTERNAL, "out of memory");
    }
    if (!prop) {
        if (ends_with(value, "::File") || ends_with(value, "FileAppender")) {
            a->type = LOG_APPENDER_FILE;
        } else if (ends_with(value, "::Screen") || ends_with(value, "::ScreenColoredLevels")) {
            a->type = LOG_APPENDER_SCREEN;
        } else if (strcasestr(value, "journal")) {
            a->type = LOG_APPENDER_JOURNAL;
        } else {
            return cb_error_set(
                    err, CB_E_INVALID_PARAM,
                    "parameter 'config', line %d: appender class '%s' is not offered (File, Screen or Journald)",
                    lineno, value);
        }
        return 0;
    }
    if (strcmp(prop, "filename") == 0) {
        free(a->filename);
        a->filename = strdup(value);
    } else if (strcmp(prop, "mode") == 0) {
        a->append = strcmp(value, "write") != 0 && strcmp(value, "clobber") != 0;
    } else if (strcmp(prop, "stderr") == 0) {
        a->to_stderr = strcmp(value, "0") != 0 && *value;
    } else if (strcmp(prop, "layout") == 0) {
        if (ends_with(value, "SimpleLayout")) {
            free(a->pattern);
            a->pattern = strdup("%p - %m%n");
        } else if (!ends_with(value, "PatternLayout")) {
            return cb_error_set(
                    err, CB_E_INVALID_PARAM,
                    "parameter 'config', line %d: layout '%s' is not offered (PatternLayout or SimpleLayout)",
                    lineno, value);
        }
    } else if (strcmp(prop, "layout.ConversionPattern") == 0) {
        free(a->pattern);
        a->pattern = strdup(value);
    } else if (strcasecmp(prop, "Threshold") == 0) {
        if ((a->threshold = log_level_parse(value)) < 0) {
            return cb_error_set(err, CB_E_INVALID_PARAM,
                                "parameter 'config', line %d: '%s' is not a level", lineno, value);
        }
    }
    /* Other properties (autoflush, utf8, syswrite, umask, ...) change nothing here. */
    return 0;
}

static int parse_line(struct log_config *c, char *line, int lineno, struct cb_error *err)
{
    char *eq = strchr(line, '='), *key, *value;

    line = trim(line);
    if (!*line || *line == '#' || *line == '!') {
        return 0;
    }
    if (!eq) {
        return cb_error_set(err, CB_E_INVALID_PARAM,
                            "parameter 'config', line %d: expected 'key = value'", lineno);
    }
    *eq = '\0';
    key = trim(line);
    value = trim(eq + 1);
    if (strncmp(key, "log4perl.", 9) == 0) {
        key += 9;
    } else if (strncmp(key, "log4j.", 6) == 0) {
        key += 6;
    } else {
        return cb_error_set(err, CB_E_INVALID_PARAM,
                            "parameter 'config', line %d: '%s' is not a log4perl key", lineno, key);
    }
    log_dotted(key);
    if (strcmp(key, "rootLogger") == 0) {
        return set_logger(c, "", value, err, lineno);
    }
    if (strncmp(key, "logger.", 7) == 0 || strncmp(key, "category.", 9) == 0) {
        return set_logger(c, strchr(key, '.') + 1, value, err, lineno);
    }
    if (strncmp(key, "additivity.", 11) == 0) {
        struct log_category *cat = category(c, key + 11);

        if (!cat) {
            return cb_error_set(err, CB_E_INTERNAL, "out of memory");
        }
        cat->additivity = strcmp(value, "0") != 0 && strcasecmp(value, "false") != 0;
        return 0;
    }
    if (strncmp(key, "appender.", 9) == 0) {
        return set_appender(c, key + 9, value, err, lineno);
    }
    /* threshold, oneMessagePerAppender and the like: nothing here depends on them. */
    return 0;
}

int log_config_parse(const char *text, struct log_config **ret, struct cb_error *err)
{
    struct log_config *c = calloc(1, sizeof *c);
    char *copy = strdup(text), *save = NULL, *line, *joined = NULL;
    int lineno = 0, r = 0;

    if (!c || !copy || !category(c, "")) {
        free(copy);
        log_config_free(c);
        return cb_error_set(err, CB_E_INTERNAL, "out of memory");
    }
    for (line = strtok_r(copy, "\n", &save); r >= 0 && line; line = strtok_r(NULL, "\n", &save)) {
        size_t n = strlen(line);

        lineno++;
        if (n && line[n - 1] == '\r') {
            line[--n] = '\0';
        }
        /* A backslash at the end continues the line. */
        if (n && line[n - 1] == '\\') {
            line[n - 1] = '\0';
            if (asprintf(&line, "%s%s", joined ? joined : "", line) < 0) {
                r = -1;
                break;
            }
            free(joined);
            joined = line;
            continue;
        }
        if (joined) {
            char *full = NULL;

            if (asprintf(&full, "%s%s", joined, line) < 0) {
                r = -1;
                break;
            }
            free(joined);
            joined = NULL;
            r = parse_line(c, full, lineno, err);
            free(full);
        } else {
            r = parse_line(c, line, lineno, err);
        }
    }
    free(joined);
    free(copy);
    for (size_t i = 0; r >= 0 && i < c->n_categories; i++) {
        for (size_t k = 0; k < c->categories[i].n_appenders; k++) {
            bool known = false;

            for (size_t a = 0; a < c->n_appenders; a++) {
                known |= strcmp(c->appenders[a].name, c->categories[i].appenders[k]) == 0;
            }
            if (!known) {
                r = cb_error_set(err, CB_E_INVALID_PARAM,
                                 "parameter 'config': appender '%s' is used but not defined",
                                 c->categories[i].appenders[k]);
            }
        }
    }
    for (size_t a = 0; r >= 0 && a < c->n_appenders; a++) {
        if (c->appenders[a].type == LOG_APPENDER_FILE && !c->appenders[a].filename) {
            r = cb_error_set(err, CB_E_INVALID_PARAM,
                             "parameter 'config': File appender '%s' has no filename",
                             c->appenders[a].name);
        }
    }
    if (r < 0) {
        log_config_free(c);
        return err->set ? r : cb_error_set(err, CB_E_INTERNAL, "out of memory");
    }
    if (c->categories[0].level < 0) {
        c->categories[0].level = LOG_L_DEBUG; /* Log4perl's root default */
    }
    c->initialized = true;
    *ret = c;
    return 0;
}

static struct log_config *one_screen(int level, bool to_stderr, const char *pattern)
{
    char text[512];
    struct log_config *c = NULL;
    struct cb_error err = CB_ERROR_INIT;

    snprintf(text, sizeof text,
             "log4perl.rootLogger = %s, Screen\n"
             "log4perl.appender.Screen = Log::Log4perl::Appender::Screen\n"
             "log4perl.appender.Screen.stderr = %d\n"
             "log4perl.appender.Screen.layout = Log::Log4perl::Layout::PatternLayout\n"
             "log4perl.appender.Screen.layout.ConversionPattern = %s\n",
             log_level_name(level), to_stderr ? 1 : 0, pattern);
    (void)log_config_parse(text, &c, &err);
    cb_error_clear(&err);
    return c;
}

struct log_config *log_config_new_default(void)
{
    /* Before init: the earlier daemon's "sysout". */
    struct log_config *c = one_screen(LOG_L_INFO, false, "%d{EEE yyyy/MM/dd HH:mm:ss}|%m%n");

    if (c) {
        c->initialized = false;
    }
    return c;
}

struct log_config *log_config_easy(int level)
{
    /* Log::Log4perl->easy_init: the root at `level`, stderr, "%d %m%n". */
    return one_screen(level, true, "%d %m%n");
}

static const struct log_category *find(const struct log_config *c, const char *name)
{
    for (size_t i = 0; i < c->n_categories; i++) {
        if (strcmp(c->categories[i].name, name) == 0) {
            return &c->categories[i];
        }
    }
    return NULL;
}

/* "Foo.Bar" goes to "Foo", then to the root ""; false after the root. */
static bool parent(char *name)
{
    char *dot;

    if (!*name) {
        return false;
    }
    dot = strrchr(name, '.');
    if (dot) {
        *dot = '\0';
    } else {
        name[0] = '\0';
    }
    return true;
}

int log_config_level(const struct log_config *c, const char *category)
{
    char name[512];
    const struct log_category *cat;

    snprintf(name, sizeof name, "%s", category);
    log_dotted(name);
    do {
        cat = find(c, name);
        if (cat && cat->level >= 0) {
            return cat->level;
        }
    } while (parent(name));
    return LOG_L_DEBUG;
}

size_t log_config_appenders(const struct log_config *c,
                            const char *category,
                            const struct log_appender **ret,
                            size_t max)
{
    char name[512];
    const struct log_category *cat;
    size_t n = 0;

    snprintf(name, sizeof name, "%s", category);
    log_dotted(name);
    do {
        cat = find(c, name);
        for (size_t k = 0; cat && k < cat->n_appenders; k++) {
            for (size_t a = 0; a < c->n_appenders; a++) {
                bool seen = false;

                if (strcmp(c->appenders[a].name, cat->appenders[k]) != 0) {
                    continue;
                }
                for (size_t s = 0; s < n; s++) {
                    seen |= ret[s] == &c->appenders[a];
                }
                if (!seen && n < max) {
                    ret[n++] = &c->appenders[a];
                }
            }
        }
        if (cat && !cat->additivity) {
            break;
        }
    } while (parent(name));
    return n;
}
