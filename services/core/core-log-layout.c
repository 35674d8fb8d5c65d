/* SPDX-License-Identifier: MIT */
/* PatternLayout, as Log::Log4perl::Layout::PatternLayout lays an event out. */
#include "services/core/core-internal.h"
#include "services/core/core-log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cb-buf.h"

static void put(struct cb_buf *b, const char *s, size_t n)
{
    (void)cb_buf_append(b, s, n);
}

/* A conversion's text with its width and maximum (%-5p, %.10c, %20m). */
static void field(struct cb_buf *b, const char *text, bool left, int width, int max)
{
    size_t n = strlen(text);

    if (max >= 0 && n > (size_t)max) {
        /* Log4perl cuts from the left: the end of a category is its most specific part. */
        text += n - (size_t)max;
        n = (size_t)max;
    }
    if (!left) {
        for (size_t i = n; (int)i < width; i++) {
            put(b, " ", 1);
        }
    }
    put(b, text, n);
    if (left) {
        for (size_t i = n; (int)i < width; i++) {
            put(b, " ", 1);
        }
    }
}

static const char *const months[] = { "January",   "February", "March",    "April",
                                      "May",       "June",     "July",     "August",
                                      "September", "October",  "November", "December" };
static const char *const days[] = { "Monday", "Tuesday",  "Wednesday", "Thursday",
                                    "Friday", "Saturday", "Sunday" };

/* Log4perl's %d{...}: a subset of Java's SimpleDateFormat, the letters batch scripts use. */
static void date_format(struct cb_buf *b, const char *fmt, const struct log_event *e)
{
    struct core_local l;
    int64_t days_n;
    int dow, ms = (int)(e->epoch_ms % 1000);
    char tmp[64];

    if (core_to_local(e->epoch_ms / 1000, e->zone, &l) < 0) {
        return;
    }
    days_n = core_days_from_civil(l.year, l.month, l.day);
    dow = core_weekday(days_n) - 1;
    for (const char *p = fmt; *p;) {
        size_t run = 1;

        while (p[run] == p[0]) {
            run++;
        }
        switch (*p) {
        case 'y':
            snprintf(tmp, sizeof tmp, run == 2 ? "%02lld" : "%04lld",
                     run == 2 ? (long long)(l.year % 100) : (long long)l.year);
            break;
        case 'M':
            if (run >= 4) {
                snprintf(tmp, sizeof tmp, "%s", months[l.month - 1]);
            } else if (run == 3) {
                snprintf(tmp, sizeof tmp, "%.3s", months[l.month - 1]);
            } else {
                snprintf(tmp, sizeof tmp, run == 2 ? "%02d" : "%d", l.month);
            }
            break;
        case 'd':
            snprintf(tmp, sizeof tmp, run == 2 ? "%02d" : "%d", l.day);
            break;
        case 'H':
            snprintf(tmp, sizeof tmp, run == 2 ? "%02d" : "%d", l.hour);
            break;
        case 'h':
            snprintf(tmp, sizeof tmp, run == 2 ? "%02d" : "%d", l.hour % 12 ? l.hour % 12 : 12);
            break;
        case 'm':
            snprintf(tmp, sizeof tmp, run == 2 ? "%02d" : "%d", l.minute);
            break;
        case 's':
            snprintf(tmp, sizeof tmp, run == 2 ? "%02d" : "%d", l.second);
            break;
        case 'S':
            snprintf(tmp, sizeof tmp, "%03d", ms);
            tmp[run < 3 ? run : 3] = '\0';
            break;
        case 'E':
            snprintf(tmp, sizeof tmp, run >= 4 ? "%s" : "%.3s", days[dow]);
            break;
        case 'a':
            snprintf(tmp, sizeof tmp, "%s", l.hour < 12 ? "AM" : "PM");
            break;
        case 'Z': {
            long o = l.offset < 0 ? -l.offset : l.offset;

            snprintf(tmp, sizeof tmp, "%c%02ld%02ld", l.offset < 0 ? '-' : '+', o / 3600,
                     (o / 60) % 60);
            break;
        }
        default:
            snprintf(tmp, sizeof tmp, "%.*s", (int)run, p);
            break;
        }
        put(b, tmp, strlen(tmp));
        p += run;
    }
}

/* %c{n}: the last n parts of the category. */
static const char *last_parts(const char *s, int n)
{
    const char *p = s + strlen(s);

    while (p > s && n > 0) {
        p--;
        if (*p == '.' && --n == 0) {
            return p + 1;
        }
    }
    return s;
}

char *log_layout(const char *pattern, const struct log_event *e)
{
    struct cb_buf b = { 0 };
    char tmp[64], host[256];

    for (const char *p = pattern; *p; p++) {
        bool left = false;
        int width = 0, max = -1;
        char arg[128] = "";
        const char *text = NULL;

        if (*p != '%') {
            put(&b, p, 1);
            continue;
        }
        p++;
        if (*p == '-') {
            left = true;
            p++;
        }
        while (*p >= '0' && *p <= '9') {
            width = width * 10 + (*p++ - '0');
        }
        if (*p == '.') {
            max = 0;
            for (p++; *p >= '0' && *p <= '9'; p++) {
                max = max * 10 + (*p - '0');
            }
        }
        if (!*p) {
            break;
        }
        if (p[1] == '{') {
            const char *close = strchr(p + 2, '}');

            if (close) {
                snprintf(arg, sizeof arg, "%.*s", (int)(close - p - 2), p + 2);
            }
        }
        switch (*p) {
        case 'm':
            text = e->message;
            break;
        case 'n':
            text = "\n";
            break;
        case 'p':
            text = log_level_name(e->level);
            break;
        case 'c':
            text = *arg ? last_parts(e->category, atoi(arg)) : e->category;
            break;
        case 'F':
            text = e->filename ? e->filename : "";
            break;
        case 'L':
            snprintf(tmp, sizeof tmp, "%lld", (long long)e->line);
            text = tmp;
            break;
        case 'M':
            text = e->package ? e->package : "main::";
            break;
        case 'l': {
            char *loc = NULL;

            if (asprintf(&loc, "%s %s (%lld)", e->package ? e->package : "main::",
                         e->filename ? e->filename : "", (long long)e->line) >= 0) {
                field(&b, loc, left, width, max);
            }
            free(loc);
            break;
        }
        case 'P':
            snprintf(tmp, sizeof tmp, "%d", (int)e->pid);
            text = tmp;
            break;
        case 'r':
            snprintf(tmp, sizeof tmp, "%lld", (long long)(e->epoch_ms - e->start_ms));
            text = tmp;
            break;
        case 'H':
            text = gethostname(host, sizeof host) == 0 ? host : "";
            break;
        case '%':
            text = "%";
            break;
        case 'd': {
            struct cb_buf d = { 0 };

            date_format(&d, *arg ? arg : "yyyy/MM/dd HH:mm:ss", e);
            put(&d, "", 1);
            field(&b, d.data ? d.data : "", left, width, max);
            cb_buf_free(&d);
            break;
        }
        default:
            /* An unknown conversion stays as written, as Log4perl leaves it. */
            put(&b, p - 1, 2);
            break;
        }
        if (text) {
            field(&b, text, left, width, max);
        }
        if (*arg) {
            p = strchr(p + 2, '}');
        }
    }
    put(&b, "", 1);
    return b.data;
}
