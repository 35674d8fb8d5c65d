/* SPDX-License-Identifier: MIT */
/*
 * Module datetime_helper: DateTime's arithmetic for what batch scripts do (API.md section
 * 12). Dates move in local time and clock time in UTC, as DateTime's add does; differences
 * are DateTime's subtract_datetime.
 */
#include "services/core/core-internal.h"

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/cb-json.h"

#define OOM(err) cb_error_set(err, CB_E_INTERNAL, "out of memory")

static int answer_moment(const struct core_moment *m,
                         const char *zone,
                         json_t **ret,
                         struct cb_error *err)
{
    *ret = core_moment_json(m, zone);
    return *ret ? 0
                : cb_error_set(err, CB_E_INVALID_PARAM,
                               "the moment is outside what this host's calendar holds");
}

int core_dt_now(struct cb_call *call, json_t **ret, struct cb_error *err)
{
    const char *zone = core_call_zone(call, err);
    struct core_moment m;

    if (!zone) {
        return -EINVAL;
    }
    core_moment_now(&m);
    return answer_moment(&m, zone, ret, err);
}

/* DateTime's %N (nanoseconds; %3N milliseconds, ...) before libc's strftime sees the rest. */
static char *expand_nanoseconds(const char *pattern, int64_t ns)
{
    size_t cap = strlen(pattern) * 4 + 16, n = 0;
    char *out = malloc(cap);

    if (!out) {
        return NULL;
    }
    for (const char *p = pattern; *p && n + 16 < cap; p++) {
        int width = 9;
        const char *q = p + 1;

        if (*p != '%') {
            out[n++] = *p;
            continue;
        }
        if (*q == '%') {
            out[n++] = '%';
            out[n++] = '%';
            p = q;
            continue;
        }
        if (*q >= '1' && *q <= '9' && q[1] == 'N') {
            width = *q - '0';
            q++;
        }
        if (*q == 'N') {
            char digits[16];

            snprintf(digits, sizeof digits, "%09lld", (long long)ns);
            memcpy(out + n, digits, (size_t)width);
            n += (size_t)width;
            p = q;
            continue;
        }
        out[n++] = '%';
    }
    out[n] = '\0';
    return out;
}

int core_dt_format(struct cb_call *call, json_t **ret, struct cb_error *err)
{
    const char *zone = core_call_zone(call, err);
    const char *pattern = cb_json_get_string(call->params, "pattern", "%Y-%m-%dT%H:%M:%S");
    const char *locale = cb_json_get_string(call->params, "locale", "C");
    struct core_moment m;
    char buf[4096], *expanded;
    int r;

    if (!zone) {
        return -EINVAL;
    }
    r = core_moment_param(call, "datetime", zone, &m, err);
    if (r < 0) {
        return r;
    }
    expanded = expand_nanoseconds(pattern, m.ns);
    r = expanded ? core_strftime(expanded, m.epoch, zone, locale, buf, sizeof buf) : -ENOMEM;
    free(expanded);
    if (r == -ENOENT) {
        return cb_error_set(err, CB_E_INVALID_PARAM, "locale '%s' is not installed on this host",
                            locale);
    }
    if (r < 0) {
        return r == -ENOMEM
                       ? OOM(err)
                       : cb_error_set(err, CB_E_INVALID_PARAM,
                                      "parameter 'pattern' gives no text or more than %zu bytes",
                                      sizeof buf - 1);
    }
    *ret = json_pack("{s:s}", "formatted", buf);
    return *ret ? 0 : OOM(err);
}

/* strptime in the C locale; the whole text must be used (trailing space aside). */
static bool parse_with(const char *text, const char *pattern, struct core_local *l, bool *ret_offset)
{
    struct tm tm = { .tm_mday = 1 };
    const char *end = strptime(text, pattern, &tm);

    if (!end || end[strspn(end, " \t\r\n")]) {
        return false;
    }
    *l = (struct core_local){ .year = (int64_t)tm.tm_year + 1900,
                              .month = tm.tm_mon + 1,
                              .day = tm.tm_mday,
                              .hour = tm.tm_hour,
                              .minute = tm.tm_min,
                              .second = tm.tm_sec,
                              .offset = tm.tm_gmtoff };
    *ret_offset = strstr(pattern, "%z") != NULL;
    return true;
}

int core_dt_parse(struct cb_call *call, json_t **ret, struct cb_error *err)
{
    static const char *const rfc2822[] = { "%a, %d %b %Y %H:%M:%S %z", "%d %b %Y %H:%M:%S %z",
                                           "%a, %d %b %Y %H:%M %z" };
    const char *zone = core_call_zone(call, err);
    const char *text = cb_json_get_string(call->params, "text", "");
    const char *pattern = cb_json_get_string(call->params, "pattern", NULL);
    struct core_moment m = { 0 };
    struct core_local l;
    bool offset = false, ok;
    int r;

    if (!zone) {
        return -EINVAL;
    }
    if (pattern) {
        ok = parse_with(text, pattern, &l, &offset);
    } else {
        ok = core_parse_iso(text, &l, &m.ns, &offset) == 0;
        for (size_t i = 0; !ok && i < CB_ELEMENTSOF(rfc2822); i++) {
            ok = parse_with(text, rfc2822[i], &l, &offset);
        }
    }
    if (!ok) {
        return cb_error_set(err, CB_E_INVALID_PARAM, "'%s' does not parse as %s", text,
                            pattern ? pattern : "ISO 8601 or RFC 2822");
    }
    r = core_local_to_epoch(&l, offset, zone, &m.epoch, err);
    return r < 0 ? r : answer_moment(&m, zone, ret, err);
}

/* DateTime's add_duration: days, then months (by the end-of-month rule), in local time;
 * then hours, minutes and seconds as elapsed time. */
int core_dt_add(struct cb_call *call, json_t **ret, struct cb_error *err)
{
    const char *zone = core_call_zone(call, err);
    json_t *p = call->params;
    int64_t months = cb_json_get_int(p, "years", 0) * 12 + cb_json_get_int(p, "months", 0);
    int64_t days = cb_json_get_int(p, "weeks", 0) * 7 + cb_json_get_int(p, "days", 0);
    int64_t secs = cb_json_get_int(p, "hours", 0) * 3600 + cb_json_get_int(p, "minutes", 0) * 60 +
                   cb_json_get_int(p, "seconds", 0);
    const char *mode = cb_json_get_string(p, "end_of_month", months < 0 ? "preserve" : "wrap");
    struct core_moment m;
    struct core_local l;
    int r;

    if (!zone) {
        return -EINVAL;
    }
    r = core_moment_param(call, "datetime", zone, &m, err);
    if (r < 0) {
        return r;
    }
    if (months || days) {
        int64_t rd, y;
        int mo, d;

        if (core_to_local(m.epoch, zone, &l) < 0) {
            return cb_error_set(err, CB_E_INVALID_PARAM, "the moment is outside the calendar");
        }
        rd = core_days_from_civil(l.year, l.month, l.day) + days;
        if (months) {
            bool preserve = strcmp(mode, "preserve") == 0, wrap = strcmp(mode, "wrap") == 0;

            /* preserve: the last day of a month stays the last day; day 0 of the next month. */
            core_civil_from_days(preserve ? rd + 1 : rd, &y, &mo, &d);
            if (preserve) {
                d -= 1;
            }
            if (!wrap && d > 28) {
                int64_t last = core_days_from_civil(y, mo + months + 1, 0);
                int64_t ly;
                int lm, ld;

                core_civil_from_days(last, &ly, &lm, &ld);
                rd = ld > d ? last - (ld - d) : last;
            } else {
                rd = core_days_from_civil(y, mo + months, d);
            }
        }
        core_civil_from_days(rd, &l.year, &l.month, &l.day);
        r = core_local_to_epoch(&l, false, zone, &m.epoch, err);
        if (r < 0) {
            return r;
        }
    }
    m.epoch += secs;
    return answer_moment(&m, zone, ret, err);
}

/* Whether the same local time a day earlier is in DST; false where that time does not exist. */
static bool day_before_dst(const struct core_local *l, const char *zone)
{
    struct core_local before = *l, back;
    int64_t epoch;

    core_civil_from_days(core_days_from_civil(l->year, l->month, l->day) - 1, &before.year,
                         &before.month, &before.day);
    return core_from_local(&before, zone, &epoch) == 0 && core_to_local(epoch, zone, &back) == 0 &&
           back.is_dst;
}

/* DateTime's subtract_datetime, the later moment minus the earlier, both in zone. */
static void calendar_diff(const struct core_local *big,
                          int64_t big_ns,
                          const struct core_local *small,
                          int64_t small_ns,
                          const char *zone,
                          int64_t out[6])
{
    int64_t month1 = big->year * 12 + big->month, month2 = small->year * 12 + small->month;
    int64_t day1 = big->day, day2 = small->day;
    int64_t min1 = big->hour * 60 + big->minute, min2 = small->hour * 60 + small->minute;
    int64_t sec1 = big->second, sec2 = small->second;

    /* DateTime's own rule across a DST change: when the later moment's day is 23 hours long
     * (the clocks went forward) an hour comes off its local time, and when it is 25 hours long
     * an hour goes on, so that a day apart stays a day apart. */
    if (big->is_dst != small->is_dst) {
        bool before = day_before_dst(big, zone);

        if (big->is_dst && !before) {
            min1 -= 60;
        } else if (!big->is_dst && before) {
            min1 += 60;
        }
    }
    if (big_ns < small_ns) {
        sec1--;
    }
    if (sec1 < sec2) {
        min1--;
        sec1 += 60;
    }
    /* A day is always 24 * 60 minutes, however long its minutes are. */
    if (min1 < min2) {
        day1--;
        min1 += 24 * 60;
    }
    if (day1 < day2) {
        month1--;
        day1 += core_month_length(small->year, small->month);
    }
    out[0] = (month1 - month2) / 12;
    out[1] = (month1 - month2) % 12;
    out[2] = day1 - day2;
    out[3] = (min1 - min2) / 60;
    out[4] = (min1 - min2) % 60;
    out[5] = sec1 - sec2;
}

int core_dt_diff(struct cb_call *call, json_t **ret, struct cb_error *err)
{
    const char *zone = core_call_zone(call, err);
    struct core_moment from, to;
    struct core_local lf, lt;
    int64_t cal[6];
    double seconds;
    bool negative;
    int r;

    if (!zone) {
        return -EINVAL;
    }
    r = core_moment_param(call, "from", zone, &from, err);
    r = r < 0 ? r : core_moment_param(call, "to", zone, &to, err);
    if (r < 0) {
        return r;
    }
    if (core_to_local(from.epoch, zone, &lf) < 0 || core_to_local(to.epoch, zone, &lt) < 0) {
        return cb_error_set(err, CB_E_INVALID_PARAM, "a moment is outside the calendar");
    }
    negative = from.epoch > to.epoch || (from.epoch == to.epoch && from.ns > to.ns);
    if (negative) {
        calendar_diff(&lf, from.ns, &lt, to.ns, zone, cal);
        for (int i = 0; i < 6; i++) {
            cal[i] = -cal[i];
        }
    } else {
        calendar_diff(&lt, to.ns, &lf, from.ns, zone, cal);
    }
    seconds = (double)(to.epoch - from.epoch) + (double)(to.ns - from.ns) / 1e9;
    *ret = json_pack("{s:f, s:f, s:{s:I, s:I, s:I, s:I, s:I, s:I}}", "seconds", seconds, "days",
                     seconds / 86400.0, "calendar", "years", (json_int_t)cal[0], "months",
                     (json_int_t)cal[1], "days", (json_int_t)cal[2], "hours", (json_int_t)cal[3],
                     "minutes", (json_int_t)cal[4], "seconds", (json_int_t)cal[5]);
    return *ret ? 0 : OOM(err);
}
