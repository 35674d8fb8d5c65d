/* SPDX-License-Identifier: MIT */
/*
 * Path traversal: the value is split into path segments at '/' and '\'. A finding is a run
 * of segments that climb (".." and the filter-evasion forms "....//", "..;/") three times
 * or more, or at all into a system location ("../etc/passwd", "..\windows\win.ini",
 * "../../.ssh/id_rsa"). Plain absolute paths ("/home/user/report.xlsx", "C:\dir\file"),
 * relative links ("../../docs/guide.md"), an ellipsis or "1.2..3" are not.
 */
#include <string.h>

#include "common/cb-inspect-internal.h"
#include "common/cb-macro.h"

/* "../../docs/guide.md" is a relative link in a text; escaping a document root takes more. */
#define CLIMBS_MIN 3

static bool is_sep(char c)
{
    return c == '/' || c == '\\';
}

/* The start of a segment: the value's start, a separator or punctuation around a path. */
static bool segment_starts(const char *s, size_t i)
{
    unsigned char c;

    if (i == 0) {
        return true;
    }
    c = (unsigned char)s[i - 1];
    return is_sep((char)c) ||
           !(cb_inspect_is_alnum(c) || c == '.' || c == '_' || c == '-' || c >= 0x80);
}

static bool starts_with_any(const char *s, size_t len, size_t i, const char *const *list, size_t n)
{
    for (size_t k = 0; k < n; k++) {
        if (cb_inspect_starts(s, len, i, list[k])) {
            return true;
        }
    }
    return false;
}

/* Where a traversal aims: system files after any climb; the top of a Unix tree ("usr/",
 * "home/") only after two, since "../bin/run.sh" is an ordinary relative path. */
static bool system_target_at(const char *s, size_t len, size_t i, unsigned climbs)
{
    static const char *const files[] = {
        "etc/",      "etc\\",    "windows",    "winnt",      "boot.ini",
        "win.ini",   "system32", "system.ini", "proc/",      "root/",
        ".ssh",      ".env",     ".htpasswd",  ".htaccess",  "web-inf",
        "wp-config", "passwd",   "shadow",     "id_rsa",     ".git/",
        ".aws",      "inetpub",  "web.config", "config.php", "database.yml",
    };
    static const char *const tops[] = { "usr/", "bin/", "home/", "var/", "opt/", "srv/" };

    return starts_with_any(s, len, i, files, CB_ELEMENTSOF(files)) ||
           (climbs >= 2 && starts_with_any(s, len, i, tops, CB_ELEMENTSOF(tops)));
}

/* Counts the climbing segments from i; *ret_end is the first byte after them. */
static unsigned count_climbs(const char *s, size_t len, size_t i, size_t *ret_end)
{
    unsigned climbs = 0;

    for (;;) {
        size_t dots = i, e;

        while (dots < len && s[dots] == '.') {
            dots++;
        }
        e = dots;
        while (e < len && (s[e] == ';' || s[e] == '\0')) {
            e++; /* Tomcat's "..;/" and a NUL before the separator */
        }
        if (e >= len || !is_sep(s[e])) {
            if (dots - i == 2 && climbs >= CLIMBS_MIN - 1 && e >= len) {
                climbs++; /* ../../.. at the end */
                i = e;
            }
            break;
        }
        if (dots - i >= 2) {
            climbs++;
        } else if (dots - i == 1 && e != dots) {
            break;
        }
        while (e < len && is_sep(s[e])) {
            e++;
        }
        i = e;
    }
    *ret_end = i;
    return climbs;
}

bool cb_inspect_path(const struct cb_inspect_input *in, struct cb_inspect_finding *f)
{
    const char *s = in->s;
    size_t len = in->len;

    if (!(in->mask & CB_INSPECT_HAS_DOT) ||
        !(in->mask & (CB_INSPECT_HAS_SLASH | CB_INSPECT_HAS_BSLASH))) {
        return false;
    }
    for (size_t i = 0; i + 2 < len; i++) {
        const char *dd = memmem(s + i, len - i, "..", 2);
        size_t at, end;
        unsigned climbs;

        if (!dd) {
            break;
        }
        at = (size_t)(dd - s);
        i = at;
        if (!segment_starts(s, at)) {
            while (i + 1 < len && s[i + 1] == '.') {
                i++;
            }
            continue;
        }
        climbs = count_climbs(s, len, at, &end);
        if (climbs >= CLIMBS_MIN || (climbs > 0 && system_target_at(s, len, end, climbs))) {
            *f = cb_inspect_found(CB_INSPECT_PATH_TRAVERSAL,
                                  climbs >= CLIMBS_MIN
                                          ? "path climbs three or more directories with '..'"
                                          : "path climbs with '..' into a system location",
                                  at);
            return true;
        }
        i = CB_MAX(end, at + 1);
        if (i > at + 1) {
            i--;
        }
    }
    return false;
}
