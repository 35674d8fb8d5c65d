/* SPDX-License-Identifier: MIT */
/*
 * The systemd activator. With the instance's .socket unit started, systemd itself starts the
 * service on our connection, so a socket that exists needs nothing from us. Starting the
 * socket unit on demand through sd-bus StartUnit belongs to the systemd units' work; until
 * then a missing socket is reported with the unit to start.
 */
#include "services/router/router-internal.h"

#include <errno.h>
#include <stdio.h>

static int systemd_start(struct router *r CB_UNUSED, struct upstream *u)
{
    char why[160];

    snprintf(why, sizeof why, "no socket at %s; start cpan-bridge-%s@%u.socket", u->socket_path,
             u->family->name, (unsigned)u->uid);
    router_upstream_activated(u, -ENOENT, why, false);
    return 0;
}

const struct activator_ops router_activator_systemd = {
    .name = "systemd",
    .start = systemd_start,
};
