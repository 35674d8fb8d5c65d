/* SPDX-License-Identifier: MIT */
/* cpan-bridgectl: the family table of status, from system.info and the family_* health checks. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/cb-buf.h"
#include "common/cb-json.h"
#include "tools/cpan-bridgectl/ctl-internal.h"

/* The details of health check family_<name>, which carry memory and restarts; or NULL. */
static const json_t *family_details(const json_t *health, const char *name)
{
    char key[128];

    snprintf(key, sizeof key, "family_%s", name);
    return ctl_get(json_object_get(ctl_get(health, "checks"), key), "details");
}

/* "test, datetime_helper", escaped; "-" for none. Malloc'ed, or NULL on allocation failure. */
static char *modules_text(const json_t *modules)
{
    struct cb_buf out = { 0 };
    size_t i;
    const json_t *m;
    int r = 0;

    json_array_foreach(modules, i, m)
    {
        CB_CLEANUP(cb_freep) char *one = ctl_value_text(m);

        if (r >= 0 && (!one || (i > 0 && cb_buf_append(&out, ", ", 2) < 0) ||
                       cb_buf_append(&out, one, strlen(one)) < 0)) {
            r = -ENOMEM;
        }
    }
    if (r >= 0 && out.len == 0) {
        r = cb_buf_append(&out, "-", 1);
    }
    return ctl_text_finish(&out, r);
}

static void add_family(struct ctl_table *t, const json_t *family, const json_t *health)
{
    const char *name = json_string_value(json_object_get(family, "name"));
    const json_t *details = family_details(health, name ? name : "");
    CB_CLEANUP(cb_freep) char *modules = modules_text(json_object_get(family, "modules"));
    char buf[CTL_FMT_LEN];

    ctl_table_add_value(t, json_object_get(family, "name"));
    ctl_table_add_value(t, ctl_first(json_object_get(details, "state"),
                                     json_object_get(family, "state")));
    ctl_table_add(t, ctl_fmt_int(ctl_first(json_object_get(details, "pid"),
                                           json_object_get(family, "pid")),
                                 buf));
    ctl_table_add(t, ctl_fmt_mib(json_object_get(details, "memory_mb"), buf));
    ctl_table_add(t, ctl_fmt_int(json_object_get(details, "restarts"), buf));
    ctl_table_add(t, modules ? modules : "?");
}

/* Without system.info, the family_* checks alone still name the families and their states. */
static void add_families_from_health(struct ctl_table *t, const json_t *health)
{
    const char *key;
    const json_t *check;

    json_object_foreach((json_t *)ctl_get(health, "checks"), key, check)
    {
        CB_JSON_AUTO *family = NULL;

        if (strncmp(key, "family_", 7) != 0) {
            continue;
        }
        family = json_pack("{s:s}", "name", key + 7);
        add_family(t, family, health);
    }
}

void ctl_print_families(const json_t *info, const json_t *health)
{
    static const char *const headers[] = { "FAMILY",    "STATE",   ">PID", ">MEMORY",
                                           ">RESTARTS", "MODULES", NULL };
    CB_CLEANUP(ctl_table_freep) struct ctl_table *t = ctl_table_new(headers);
    const json_t *families = ctl_get(info, "families");
    size_t i;
    const json_t *family;

    if (json_is_array(families)) {
        json_array_foreach(families, i, family)
        {
            add_family(t, family, health);
        }
    } else {
        add_families_from_health(t, health);
    }

    if (ctl_table_rows(t) == 0) {
        printf("\nno families reported\n");
        return;
    }
    fputc('\n', stdout);
    (void)ctl_table_print(t, stdout, 0);
}
