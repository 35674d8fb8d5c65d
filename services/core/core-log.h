/* SPDX-License-Identifier: MIT */
/*
 * logging_helper: a session's Log4perl-style configuration (root logger and categories,
 * levels, File, Screen and journald appenders, PatternLayout and SimpleLayout), the loggers
 * made from it, and the files its appenders keep open.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "common/cb-config.h"
#include "common/cb-error.h"

#define CORE_LOGGER_KIND   "logger"
#define CORE_LOGGER_PREFIX "log-l"

enum log_level {
    LOG_L_ALL = 0,
    LOG_L_TRACE = 5000,
    LOG_L_DEBUG = 10000,
    LOG_L_INFO = 20000,
    LOG_L_WARN = 30000,
    LOG_L_ERROR = 40000,
    LOG_L_FATAL = 50000,
    LOG_L_OFF = 60000,
};

enum log_appender_type {
    LOG_APPENDER_FILE,
    LOG_APPENDER_SCREEN,
    LOG_APPENDER_JOURNAL,
};

struct log_appender {
    char *name;
    enum log_appender_type type;
    char *filename; /* File */
    bool append;    /* File: mode append (else write: truncated at init) */
    bool to_stderr; /* Screen */
    char *pattern;  /* the layout as a PatternLayout pattern */
    int threshold;  /* LOG_L_ALL when none */
};

struct log_category {
    char *name; /* "" for the root logger; dotted ("Foo.Bar") */
    int level;  /* -1: inherited */
    char **appenders;
    size_t n_appenders;
    bool additivity;
};

struct log_config {
    struct log_appender *appenders;
    size_t n_appenders;
    struct log_category *categories;
    size_t n_categories;
    bool initialized;
};

/* A logger handle's object. */
struct log_logger {
    char *category;
    int level; /* -1: the configuration's */
};

/* Everything one event needs for its layout. */
struct log_event {
    const char *category;
    int level;
    const char *message;
    const char *filename, *package;
    int64_t line;
    pid_t pid;
    int64_t epoch_ms;
    int64_t start_ms; /* for %r */
    const char *zone; /* %d's time zone: the session's */
};

const char *log_level_name(int level);
/* "Foo::Bar" becomes "Foo.Bar", as Log4perl names categories. */
void log_dotted(char *s);
/* "WARN", "warning", ... ; -1 when unknown. */
int log_level_parse(const char *s);

struct log_config *log_config_new_default(void);
void log_config_free(struct log_config *c);
/* Parses Log4perl configuration text; E_INVALID_PARAM naming the line on a bad one. */
int log_config_parse(const char *text, struct log_config **ret, struct cb_error *err);
/* Easy init: the root at `level`, Screen on stderr, "%d %m%n". */
struct log_config *log_config_easy(int level);
/* The effective level of a category, and the appenders an event of it goes to. */
int log_config_level(const struct log_config *c, const char *category);
size_t log_config_appenders(const struct log_config *c,
                            const char *category,
                            const struct log_appender **ret,
                            size_t max);

/* core-log-layout.c: the event laid out by a PatternLayout pattern; malloc'ed. */
char *log_layout(const char *pattern, const struct log_event *e);

/* core-log-file.c: one line to a file, opened as the user and kept open, reopened after
 * rotation; one write per line, under a lock per file, so lines never interleave. */
int log_file_write(const struct cb_config *config,
                   const char *path,
                   const char *line,
                   mode_t mode,
                   struct cb_error *err);
/* A File appender in mode write starts the file empty at init. */
int log_file_truncate(const struct cb_config *config,
                      const char *path,
                      mode_t mode,
                      struct cb_error *err);
