/* SPDX-License-Identifier: MIT */
/* cpan-bridgectl doctor: unit files, the configuration, and whether the caller may connect. */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cb-catalogue.h"
#include "common/cb-config.h"
#include "tools/cpan-bridgectl/ctl-internal.h"

static bool unit_present(const struct ctl_doctor *d, const char *name)
{
    char path[1024];

    snprintf(path, sizeof path, "%s/%s", d->unit_dir, name);
    return access(path, F_OK) == 0;
}

/* Appends ", name" to a fixed list buffer; names are our own, so nothing needs escaping. */
static void list_add(char *list, size_t size, const char *name)
{
    size_t len = strlen(list);

    snprintf(list + len, size - len, "%s%s", len ? ", " : "", name);
}

static void check_family_units(struct ctl_doctor *d)
{
    char installed[512] = "", absent[512] = "", half[512] = "";
    char sock[128], service[128];
    size_t n;
    const struct cb_family_info *families = cb_catalogue_families(&n);

    for (size_t i = 0; i < n; i++) {
        bool has_socket, has_service;

        snprintf(sock, sizeof sock, "cpan-bridge-%s@.socket", families[i].name);
        snprintf(service, sizeof service, "cpan-bridge-%s@.service", families[i].name);
        has_socket = unit_present(d, sock);
        has_service = unit_present(d, service);
        if (has_socket && has_service) {
            list_add(installed, sizeof installed, families[i].name);
        } else if (has_socket || has_service) {
            list_add(half, sizeof half, families[i].name);
        } else {
            list_add(absent, sizeof absent, families[i].name);
        }
    }

    if (half[0]) {
        ctl_doctor_report(d, CTL_LEVEL_FAIL, "family-units",
                          "only one of @.socket and @.service for: %s", half);
        ctl_doctor_hint(d, "reinstall the family's package; a socket without its service fails");
    }
    if (!installed[0]) {
        ctl_doctor_report(d, CTL_LEVEL_WARN, "family-units", "no family templates in %s",
                          d->unit_dir);
        ctl_doctor_hint(d, "the core family comes with the cpan-bridge package");
        return;
    }
    ctl_doctor_report(d, CTL_LEVEL_OK, "family-units", "installed: %s; not installed: %s",
                      installed, absent[0] ? absent : "none");
}

void ctl_doctor_check_units(struct ctl_doctor *d)
{
    bool has_socket = unit_present(d, "cpan-bridge.socket");
    bool has_service = unit_present(d, "cpan-bridge.service");

    if (has_socket && has_service) {
        ctl_doctor_report(d, CTL_LEVEL_OK, "router-units",
                          "cpan-bridge.socket and cpan-bridge.service in %s", d->unit_dir);
    } else {
        ctl_doctor_report(d, CTL_LEVEL_WARN, "router-units", "%s missing from %s",
                          has_socket    ? "cpan-bridge.service"
                          : has_service ? "cpan-bridge.socket"
                                        : "cpan-bridge.socket and cpan-bridge.service",
                          d->unit_dir);
        ctl_doctor_hint(d, "install the cpan-bridge package (fine under cpan-bridge-dev, which "
                           "reads the units from the source tree)");
    }
    check_family_units(d);
}

/* The caller's groups as the group database lists them (a new group counts before re-login). */
static gid_t *caller_groups(const struct passwd *pw, size_t *ret_n)
{
    int n = 32;
    gid_t *groups = NULL;

    for (int attempt = 0; attempt < 8; attempt++) {
        gid_t *grown = realloc(groups, (size_t)n * sizeof *grown);

        if (!grown) {
            break;
        }
        groups = grown;
        if (getgrouplist(pw->pw_name, pw->pw_gid, groups, &n) >= 0) {
            *ret_n = (size_t)n;
            return groups;
        }
        n *= 2; /* n now holds what was needed; doubling also covers a group added meanwhile */
    }
    free(groups);
    return NULL;
}

static bool process_has_group(gid_t gid)
{
    gid_t groups[1024];
    int n = getgroups(CB_ELEMENTSOF(groups), groups);

    if (getegid() == gid) {
        return true;
    }
    for (int i = 0; i < n; i++) {
        if (groups[i] == gid) {
            return true;
        }
    }
    return false;
}

static void check_group_applied(struct ctl_doctor *d, const gid_t *groups, size_t n)
{
    if (!d->have_socket_gid || getuid() == 0 || process_has_group(d->socket_gid)) {
        return;
    }
    for (size_t i = 0; i < n; i++) {
        if (groups[i] == d->socket_gid) {
            ctl_doctor_report(d, CTL_LEVEL_WARN, "caller-groups",
                              "you are in the socket's group, but this login is not yet");
            ctl_doctor_hint(d, "log out and in again (or run newgrp) so that it applies");
            return;
        }
    }
}

static void check_caller(struct ctl_doctor *d, const struct cb_config *config)
{
    uid_t uid = getuid();
    struct passwd *pw = getpwuid(uid);
    CB_CLEANUP(cb_freep) gid_t *groups = NULL;
    size_t n = 0;

    if (!pw) {
        ctl_doctor_report(d, CTL_LEVEL_FAIL, "caller", "uid %u has no passwd entry", (unsigned)uid);
        return;
    }
    groups = caller_groups(pw, &n);
    if (!groups) {
        ctl_doctor_report(d, CTL_LEVEL_WARN, "caller", "cannot list the groups of %s", pw->pw_name);
        return;
    }

    if (cb_config_caller_allowed(config, uid, groups, n)) {
        ctl_doctor_report(d, CTL_LEVEL_OK, "caller", "%s (uid %u) is allowed by [access]%s",
                          pw->pw_name, (unsigned)uid,
                          cb_config_caller_is_admin(config, uid) ? ", as an administrator" : "");
    } else {
        ctl_doctor_report(d, CTL_LEVEL_FAIL, "caller",
                          "%s (uid %u) is not in [access] users or groups", pw->pw_name,
                          (unsigned)uid);
        ctl_doctor_hint(d,
                        "add the user to [access] users, or join a group named in [access] "
                        "groups (e.g. %s)",
                        CB_CLIENTS_GROUP);
    }
    check_group_applied(d, groups, n);
}

void ctl_doctor_check_config_and_caller(struct ctl_doctor *d)
{
    CB_CLEANUP(cb_freep) char *error = NULL;
    struct cb_config *config = NULL;
    int r = cb_config_load(d->config_path, &config, &error);

    if (r < 0) {
        ctl_doctor_report(d, CTL_LEVEL_FAIL, "config", "%s", error ? error : strerror(-r));
        ctl_doctor_hint(d, "fix the file; the router keeps its running configuration on reload "
                           "and refuses to start with this one");
        config = cb_config_new_default();
        if (!config) {
            return;
        }
    } else if (config->path) {
        ctl_doctor_report(d, CTL_LEVEL_OK, "config", "%s parses", config->path);
    } else {
        ctl_doctor_report(d, CTL_LEVEL_OK, "config", "no configuration file: the defaults apply");
    }

    check_caller(d, config);
    cb_config_free(config);
}
