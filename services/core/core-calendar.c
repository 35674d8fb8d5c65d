/* SPDX-License-Identifier: MIT */
/*
 * Civil dates as day numbers (days since 1970-01-01, proleptic Gregorian), and local time in a
 * time zone. libc knows zones only through the process's TZ, so each conversion sets TZ
 * under one lock: cheap next to a request, and correct while other threads convert too.
 */
#include "services/core/core-internal.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static pthread_mutex_t tz_lock = PTHREAD_MUTEX_INITIALIZER;

int64_t core_days_from_civil(int64_t y, int64_t m, int64_t d)
{
    int64_t era, yoe, doy, doe;

    /* Months outside 1..12 carry into the year, and day 0 is the last of the month before,
     * as DateTime's _ymd2rd allows. */
    y += (m - 1) >= 0 ? (m - 1) / 12 : -((12 - m) / 12);
    m = ((m - 1) % 12 + 12) % 12 + 1;
    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468 + (d - 1);
}

void core_civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    int64_t era, doe, yoe, doy, mp;

    z += 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = z - era * 146097;
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

bool core_is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int core_month_length(int64_t y, int m)
{
    static const int len[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

    return m == 2 && core_is_leap(y) ? 29 : len[m - 1];
}

bool core_zone_valid(const char *zone)
{
    char path[512];
    struct stat st;

    if (strcmp(zone, "UTC") == 0) {
        return true;
    }
    /* An IANA name: a file under zoneinfo, reached without "..". */
    if (!*zone || zone[0] == '/' || strstr(zone, "..") ||
        strspn(zone, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_+-/") !=
                strlen(zone)) {
        return false;
    }
    snprintf(path, sizeof path, "/usr/share/zoneinfo/%s", zone);
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static void set_zone(const char *zone)
{
    char tz[300];

    snprintf(tz, sizeof tz, ":%s", zone);
    setenv("TZ", tz, 1);
    tzset();
}

int core_to_local(int64_t epoch, const char *zone, struct core_local *ret)
{
    time_t t = (time_t)epoch;
    struct tm tm;
    int r = 0;

    pthread_mutex_lock(&tz_lock);
    set_zone(zone);
    if (!localtime_r(&t, &tm)) {
        r = -ERANGE;
    } else {
        *ret = (struct core_local){
            .year = (int64_t)tm.tm_year + 1900,
            .month = tm.tm_mon + 1,
            .day = tm.tm_mday,
            .hour = tm.tm_hour,
            .minute = tm.tm_min,
            .second = tm.tm_sec,
            .offset = tm.tm_gmtoff,
            .is_dst = tm.tm_isdst > 0,
        };
        snprintf(ret->abbrev, sizeof ret->abbrev, "%s", tm.tm_zone ? tm.tm_zone : "");
    }
    pthread_mutex_unlock(&tz_lock);
    return r;
}

/* The epoch of a local time: of the two an ambiguous hour has, the later, as DateTime picks;
 * -EINVAL for a time a DST jump skips. */
int core_from_local(const struct core_local *l, const char *zone, int64_t *ret)
{
    int64_t best = 0;
    bool found = false;

    pthread_mutex_lock(&tz_lock);
    set_zone(zone);
    for (int dst = 0; dst <= 1; dst++) {
        struct tm tm = {
            .tm_year = (int)(l->year - 1900),
            .tm_mon = l->month - 1,
            .tm_mday = l->day,
            .tm_hour = l->hour,
            .tm_min = l->minute,
            .tm_sec = l->second,
            .tm_isdst = dst,
        };
        struct tm back;
        time_t t = mktime(&tm);

        if (t == (time_t)-1 || !localtime_r(&t, &back)) {
            continue;
        }
        if ((int64_t)back.tm_year + 1900 == l->year && back.tm_mon + 1 == l->month &&
            back.tm_mday == l->day && back.tm_hour == l->hour && back.tm_min == l->minute &&
            back.tm_sec == l->second && (!found || (int64_t)t > best)) {
            best = (int64_t)t;
            found = true;
        }
    }
    pthread_mutex_unlock(&tz_lock);
    if (!found) {
        return -EINVAL;
    }
    *ret = best;
    return 0;
}

int core_strftime(const char *pattern,
                  int64_t epoch,
                  const char *zone,
                  const char *locale,
                  char *buf,
                  size_t size)
{
    time_t t = (time_t)epoch;
    struct tm tm;
    locale_t loc;
    size_t n = 0;
    int r;

    /* Under the lock: %Z reads the zone's abbreviation from libc's own storage, and
     * newlocale reads the environment, which set_zone changes. */
    pthread_mutex_lock(&tz_lock);
    loc = newlocale(LC_ALL_MASK, locale, (locale_t)0);
    if (!loc) {
        pthread_mutex_unlock(&tz_lock);
        return -ENOENT;
    }
    set_zone(zone);
    if (localtime_r(&t, &tm)) {
        n = strftime_l(buf, size, pattern, &tm, loc);
    }
    freelocale(loc);
    pthread_mutex_unlock(&tz_lock);
    r = n > 0 || !*pattern ? 0 : -ERANGE;
    return r;
}
