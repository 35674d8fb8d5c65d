/* SPDX-License-Identifier: MIT */
/* The core family: modules test and datetime_helper (and later logging_helper). */
#pragma once

#include <locale.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/cb-family.h"

/* Per-session state of the core family. */
struct log_config;

struct core_session {
    int64_t counter;
    struct log_config *log; /* logging_helper's configuration, NULL until first used */
    int64_t log_start_ms;
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

/* core-calendar.c: civil days (0 = 1970-01-01) and local time in an IANA zone. */
struct core_local {
    int64_t year;
    int month, day, hour, minute, second;
    long offset; /* seconds east of UTC */
    bool is_dst;
    char abbrev[16];
};

int64_t core_days_from_civil(int64_t y, int64_t m, int64_t d);
void core_civil_from_days(int64_t days, int64_t *y, int *m, int *d);
bool core_is_leap(int64_t y);
/* 1 = Monday ... 7 = Sunday, as DateTime counts. */
int core_weekday(int64_t days);
int core_month_length(int64_t y, int m);
bool core_zone_valid(const char *zone);
int core_to_local(int64_t epoch, const char *zone, struct core_local *ret);
int core_from_local(const struct core_local *l, const char *zone, int64_t *ret);
int core_strftime(const char *pattern,
                  int64_t epoch,
                  const char *zone,
                  const char *locale,
                  char *buf,
                  size_t size);

/* core-moment.c */
struct core_moment {
    int64_t epoch;
    int64_t ns;
};

/* The call's time_zone, else the session's TZ, else UTC; NULL with E_INVALID_PARAM. */
const char *core_call_zone(struct cb_call *call, struct cb_error *err);
int core_parse_iso(const char *s, struct core_local *l, int64_t *ret_ns, bool *ret_has_offset);
int core_local_to_epoch(const struct core_local *l,
                        bool has_offset,
                        const char *zone,
                        int64_t *ret,
                        struct cb_error *err);
void core_moment_now(struct core_moment *ret);
/* The moment parameter `param` (now when absent). */
int core_moment_param(struct cb_call *call,
                      const char *param,
                      const char *zone,
                      struct core_moment *ret,
                      struct cb_error *err);
json_t *core_moment_json(const struct core_moment *m, const char *zone);

int core_dt_now(struct cb_call *call, json_t **ret, struct cb_error *err);
int core_dt_format(struct cb_call *call, json_t **ret, struct cb_error *err);
int core_dt_parse(struct cb_call *call, json_t **ret, struct cb_error *err);
int core_dt_add(struct cb_call *call, json_t **ret, struct cb_error *err);
int core_dt_diff(struct cb_call *call, json_t **ret, struct cb_error *err);

/* core-logging.c */
void core_logger_free(void *object);
int core_log_init(struct cb_call *call, json_t **ret, struct cb_error *err);
int core_log_initialized(struct cb_call *call, json_t **ret, struct cb_error *err);
int core_log_get_logger(struct cb_call *call, json_t **ret, struct cb_error *err);
int core_log_log(struct cb_call *call, json_t **ret, struct cb_error *err);
int core_log_trace(struct cb_call *call, json_t **ret, struct cb_error *err);
int core_log_debug(struct cb_call *call, json_t **ret, struct cb_error *err);
int core_log_info(struct cb_call *call, json_t **ret, struct cb_error *err);
int core_log_warn(struct cb_call *call, json_t **ret, struct cb_error *err);
int core_log_error(struct cb_call *call, json_t **ret, struct cb_error *err);
int core_log_fatal(struct cb_call *call, json_t **ret, struct cb_error *err);
int core_log_logdie(struct cb_call *call, json_t **ret, struct cb_error *err);
int core_log_set_level(struct cb_call *call, json_t **ret, struct cb_error *err);
int core_log_get_level(struct cb_call *call, json_t **ret, struct cb_error *err);
int core_log_is_enabled(struct cb_call *call, json_t **ret, struct cb_error *err);
int core_log_is_trace(struct cb_call *call, json_t **ret, struct cb_error *err);
int core_log_is_debug(struct cb_call *call, json_t **ret, struct cb_error *err);
int core_log_is_info(struct cb_call *call, json_t **ret, struct cb_error *err);
int core_log_is_warn(struct cb_call *call, json_t **ret, struct cb_error *err);
int core_log_is_error(struct cb_call *call, json_t **ret, struct cb_error *err);
int core_log_is_fatal(struct cb_call *call, json_t **ret, struct cb_error *err);
int core_log_cleanup(struct cb_call *call, json_t **ret, struct cb_error *err);
