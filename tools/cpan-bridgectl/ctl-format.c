/* SPDX-License-Identifier: MIT */
/* cpan-bridgectl: numbers, durations and sizes for people; "-" for whatever is missing. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>

#include "tools/cpan-bridgectl/ctl-internal.h"

static const char *missing(char buf[CTL_FMT_LEN])
{
    snprintf(buf, CTL_FMT_LEN, "-");
    return buf;
}

bool ctl_number(const json_t *v, double *ret)
{
    if (!json_is_number(v)) {
        return false;
    }
    *ret = json_number_value(v);
    return isfinite(*ret);
}

const char *ctl_fmt_int(const json_t *v, char buf[CTL_FMT_LEN])
{
    double d;

    if (json_is_integer(v)) {
        snprintf(buf, CTL_FMT_LEN, "%" PRId64, (int64_t)json_integer_value(v));
        return buf;
    }
    if (!ctl_number(v, &d)) {
        return missing(buf);
    }
    snprintf(buf, CTL_FMT_LEN, "%.0f", d);
    return buf;
}

const char *ctl_fmt_num(const json_t *v, int decimals, char buf[CTL_FMT_LEN])
{
    double d;

    if (!ctl_number(v, &d)) {
        return missing(buf);
    }
    snprintf(buf, CTL_FMT_LEN, "%.*f", decimals, d);
    return buf;
}

/* Three significant digits at least, so that 0.05 ms and 1500 ms both read well. */
static const char *fmt_ms_value(double ms, char buf[CTL_FMT_LEN])
{
    int decimals = ms >= 100 ? 0 : ms >= 10 ? 1 : ms >= 1 ? 2 : 3;

    snprintf(buf, CTL_FMT_LEN, "%.*f ms", decimals, ms);
    return buf;
}

const char *ctl_fmt_seconds_as_ms(const json_t *seconds, char buf[CTL_FMT_LEN])
{
    double d;

    if (!ctl_number(seconds, &d)) {
        return missing(buf);
    }
    return fmt_ms_value(d * 1000.0, buf);
}

const char *ctl_fmt_ms(const json_t *ms, char buf[CTL_FMT_LEN])
{
    double d;

    if (!ctl_number(ms, &d)) {
        return missing(buf);
    }
    return fmt_ms_value(d, buf);
}

const char *ctl_fmt_fraction(const json_t *fraction, char buf[CTL_FMT_LEN])
{
    double d;

    if (!ctl_number(fraction, &d)) {
        return missing(buf);
    }
    snprintf(buf, CTL_FMT_LEN, "%.1f%%", d * 100.0);
    return buf;
}

const char *ctl_fmt_percent(const json_t *percent, char buf[CTL_FMT_LEN])
{
    double d;

    if (!ctl_number(percent, &d)) {
        return missing(buf);
    }
    snprintf(buf, CTL_FMT_LEN, "%.1f%%", d);
    return buf;
}

/* "3d 4h 5m 6s", leading zero units left out. */
const char *ctl_fmt_uptime(const json_t *seconds, char buf[CTL_FMT_LEN])
{
    double d;
    uint64_t s;

    if (!ctl_number(seconds, &d) || d < 0) {
        return missing(buf);
    }

    s = (uint64_t)d;
    if (s >= 86400) {
        snprintf(buf, CTL_FMT_LEN, "%" PRIu64 "d %" PRIu64 "h %" PRIu64 "m %" PRIu64 "s", s / 86400,
                 s % 86400 / 3600, s % 3600 / 60, s % 60);
    } else if (s >= 3600) {
        snprintf(buf, CTL_FMT_LEN, "%" PRIu64 "h %" PRIu64 "m %" PRIu64 "s", s / 3600,
                 s % 3600 / 60, s % 60);
    } else if (s >= 60) {
        snprintf(buf, CTL_FMT_LEN, "%" PRIu64 "m %" PRIu64 "s", s / 60, s % 60);
    } else {
        snprintf(buf, CTL_FMT_LEN, "%.1fs", d);
    }
    return buf;
}

const char *ctl_fmt_mib(const json_t *mib, char buf[CTL_FMT_LEN])
{
    double d;

    if (!ctl_number(mib, &d)) {
        return missing(buf);
    }
    snprintf(buf, CTL_FMT_LEN, "%.1f MiB", d);
    return buf;
}
