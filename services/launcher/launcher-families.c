/* SPDX-License-Identifier: MIT */
/* Learns the families from the template socket units, as systemd would find them. */
#include "launcher-internal.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/cb-log.h"

#define UNIT_PREFIX "cpan-bridge-"
#define UNIT_SUFFIX "@.socket"
#define FAMILY_MAX  32

bool lc_family_name_valid(const char *name)
{
    size_t n = strlen(name);

    if (n == 0 || n > FAMILY_MAX) {
        return false;
    }
    /* The name becomes a path component and part of a binary's name: keep it plain. */
    return strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_") == n;
}

/* "cpan-bridge-core@.socket" gives "core"; anything else gives NULL. */
static char *family_of_unit(const char *file)
{
    size_t n = strlen(file);
    size_t pre = strlen(UNIT_PREFIX);
    size_t suf = strlen(UNIT_SUFFIX);
    char *name;

    if (n <= pre + suf || strncmp(file, UNIT_PREFIX, pre) != 0 ||
        strcmp(file + n - suf, UNIT_SUFFIX) != 0) {
        return NULL;
    }
    name = strndup(file + pre, n - pre - suf);
    if (name && !lc_family_name_valid(name)) {
        cb_log_warning("ignoring unit %s: the family name is not [a-z0-9_]+", file);
        free(name);
        return NULL;
    }
    return name;
}

static int family_cmp(const void *a, const void *b)
{
    return strcmp(((const struct lc_family *)a)->name, ((const struct lc_family *)b)->name);
}

static int family_add(struct launcher *l, char *name)
{
    struct lc_family *f = reallocarray(l->families, l->n_families + 1, sizeof *f);

    if (!f) {
        free(name);
        return -ENOMEM;
    }
    l->families = f;
    l->families[l->n_families++].name = name;
    return 0;
}

void lc_families_free(struct launcher *l)
{
    for (size_t i = 0; i < l->n_families; i++) {
        free(l->families[i].name);
    }
    free(l->families);
    l->families = NULL;
    l->n_families = 0;
}

static void closedirp(DIR **d)
{
    if (*d) {
        closedir(*d);
    }
}

int lc_families_scan(struct launcher *l)
{
    CB_CLEANUP(closedirp) DIR *dir = opendir(l->opts->units_dir);
    struct dirent *de;
    int r;

    if (!dir) {
        return cb_log_error_errno(errno, "cannot read the units directory %s", l->opts->units_dir);
    }
    lc_families_free(l);

    while ((de = readdir(dir))) {
        char *name = family_of_unit(de->d_name);

        if (!name) {
            continue;
        }
        r = family_add(l, name);
        if (r < 0) {
            return r;
        }
    }
    if (l->n_families > 0) {
        qsort(l->families, l->n_families, sizeof *l->families, family_cmp);
    }
    return 0;
}

const struct lc_family *lc_family_find(struct launcher *l, const char *name)
{
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < l->n_families; i++) {
            if (strcmp(l->families[i].name, name) == 0) {
                return &l->families[i];
            }
        }
        /* A unit added since the launcher started (a new family) is picked up here. */
        if (pass == 0 && lc_families_scan(l) < 0) {
            break;
        }
    }
    return NULL;
}
