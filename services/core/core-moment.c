/* SPDX-License-Identifier: MIT */
/* Moments: ISO 8601 text or epoch seconds in, API.md section 12's fields out. */
#include "services/core/core-internal.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/cb-json.h"

const char *core_call_zone(struct cb_call *call, struct cb_error *err)
{
    const char *zone = cb_json_get_string(call->params, "time_zone", NULL);
    const char *session = call->env ? cb_json_get_string(call->env, "TZ", NULL) : NULL;

    /* The session's TZ, as the script's own localtime would read it (":Europe/Berlin" too). */
    if (session && session[0] == ':') {
        session++;
    }
    if (!zone || strcmp(zone, "local") == 0) {
        zone = session && *session && core_zone_valid(session) ? session : "UTC";
    }
    if (!core_zone_valid(zone)) {
        cb_error_set(err, CB_E_INVALID_PARAM,
                     "unknown time zone '%s' (an IANA name such as Europe/Berlin, UTC or local)",
                     zone);
        return NULL;
    }
    return zone;
}

static int digits(const char **p, int n, int *ret)
{
    int v = 0;

    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)(*p)[i])) {
            return -1;
        }
        v = v * 10 + ((*p)[i] - '0');
    }
    *p += n;
    *ret = v;
    return 0;
}

/* YYYY-MM-DD[(T| )HH:MM[:SS[.fff]]][Z|±HH[:]MM]; *ret_has_offset says whether one was given. */
int core_parse_iso(const char *s, struct core_local *l, int64_t *ret_ns, bool *ret_has_offset)
{
    const char *p = s;
    int y;

    *l = (struct core_local){ 0 };
    *ret_ns = 0;
    *ret_has_offset = false;
    if (digits(&p, 4, &y) < 0 || *p++ != '-' || digits(&p, 2, &l->month) < 0 || *p++ != '-' ||
        digits(&p, 2, &l->day) < 0) {
        return -1;
    }
    l->year = y;
    if (*p == 'T' || *p == 't' || *p == ' ') {
        p++;
        if (digits(&p, 2, &l->hour) < 0 || *p++ != ':' || digits(&p, 2, &l->minute) < 0) {
            return -1;
        }
        if (*p == ':') {
            p++;
            if (digits(&p, 2, &l->second) < 0) {
                return -1;
            }
            if (*p == '.' || *p == ',') {
                int64_t scale = 100000000;

                for (p++; isdigit((unsigned char)*p); p++, scale /= 10) {
                    *ret_ns += (*p - '0') * scale;
                }
            }
        }
    }
    if (*p == 'Z' || *p == 'z') {
        p++;
        *ret_has_offset = true;
    } else if (*p == '+' || *p == '-') {
        int sign = *p++ == '-' ? -1 : 1, hh, mm = 0;

        if (digits(&p, 2, &hh) < 0) {
            return -1;
        }
        if (*p == ':') {
            p++;
        }
        if (isdigit((unsigned char)*p) && digits(&p, 2, &mm) < 0) {
            return -1;
        }
        l->offset = sign * (hh * 3600 + mm * 60);
        *ret_has_offset = true;
    }
    if (*p || l->month < 1 || l->month > 12 || l->day < 1 ||
        l->day > core_month_length(l->year, l->month) || l->hour > 23 || l->minute > 59 ||
        l->second > 60) {
        return -1;
    }
    return 0;
}

int core_local_to_epoch(const struct core_local *l,
                        bool has_offset,
                        const char *zone,
                        int64_t *ret,
                        struct cb_error *err)
{
    if (has_offset) {
        *ret = core_days_from_civil(l->year, l->month, l->day) * 86400 + l->hour * 3600 +
               l->minute * 60 + l->second - l->offset;
        return 0;
    }
    if (core_from_local(l, zone, ret) < 0) {
        return cb_error_set(
                err, CB_E_INVALID_PARAM,
                "%04lld-%02d-%02dT%02d:%02d:%02d does not exist in %s (the clocks jump over it)",
                (long long)l->year, l->month, l->day, l->hour, l->minute, l->second, zone);
    }
    return 0;
}

void core_moment_now(struct core_moment *ret)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    *ret = (struct core_moment){ .epoch = ts.tv_sec, .ns = ts.tv_nsec };
}

int core_moment_param(struct cb_call *call,
                      const char *param,
                      const char *zone,
                      struct core_moment *ret,
                      struct cb_error *err)
{
    json_t *v = json_object_get(call->params, param);
    struct core_local l;
    bool has_offset;

    if (!v) {
        core_moment_now(ret);
        return 0;
    }
    if (json_is_number(v)) {
        double d = json_number_value(v), whole = floor(d);

        *ret = (struct core_moment){ .epoch = (int64_t)whole,
                                     .ns = (int64_t)llround((d - whole) * 1e9) };
        if (ret->ns >= 1000000000) {
            ret->epoch++;
            ret->ns -= 1000000000;
        }
        return 0;
    }
    if (core_parse_iso(json_string_value(v), &l, &ret->ns, &has_offset) < 0) {
        return cb_error_set(
                err, CB_E_INVALID_PARAM,
                "parameter '%s' is not an ISO 8601 moment (2026-12-03, 2026-12-03T08:35:12, with an optional offset) or epoch seconds",
                param);
    }
    return core_local_to_epoch(&l, has_offset, zone, &ret->epoch, err);
}

int core_weekday(int64_t days)
{
    return (int)(((days % 7) + 7 + 3) % 7) + 1; /* 1 = Monday; 1970-01-01 was a Thursday */
}

/* 53 when the year starts on a Thursday, or on a Wednesday in a leap year. */
static int weeks_in_year(int64_t year)
{
    int jan1 = core_weekday(core_days_from_civil(year, 1, 1));

    return jan1 == 4 || (jan1 == 3 && core_is_leap(year)) ? 53 : 52;
}

/* ISO 8601 week number: week 1 holds the year's first Thursday. */
static int iso_week(int64_t year, int doy, int dow)
{
    int week = (doy - dow + 10) / 7;

    if (week < 1) {
        return weeks_in_year(year - 1);
    }
    return week > weeks_in_year(year) ? 1 : week;
}

json_t *core_moment_json(const struct core_moment *m, const char *zone)
{
    struct core_local l;
    int64_t days;
    int dow, doy;
    char iso[96], off[48];
    long o;

    if (core_to_local(m->epoch, zone, &l) < 0) {
        return NULL;
    }
    days = core_days_from_civil(l.year, l.month, l.day);
    dow = core_weekday(days);
    doy = (int)(days - core_days_from_civil(l.year, 1, 1)) + 1;
    o = l.offset < 0 ? -l.offset : l.offset;
    snprintf(off, sizeof off, "%c%02ld:%02ld", l.offset < 0 ? '-' : '+', o / 3600, (o / 60) % 60);
    snprintf(iso, sizeof iso, "%04lld-%02d-%02dT%02d:%02d:%02d%s", (long long)l.year, l.month,
             l.day, l.hour, l.minute, l.second, off);
    return json_pack("{s:I, s:s, s:I, s:i, s:i, s:i, s:i, s:i, s:I, s:i, s:i, s:i, s:b, s:s, s:I}",
                     "epoch", (json_int_t)m->epoch, "iso", iso, "year", (json_int_t)l.year, "month",
                     l.month, "day", l.day, "hour", l.hour, "minute", l.minute, "second", l.second,
                     "nanosecond", (json_int_t)m->ns, "day_of_week", dow, "day_of_year", doy,
                     "week", iso_week(l.year, doy, dow), "is_leap_year", core_is_leap(l.year),
                     "time_zone", zone, "offset_seconds", (json_int_t)l.offset);
}
