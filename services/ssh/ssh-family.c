/* SPDX-License-Identifier: MIT */
/* The ssh family's handler table. */
#include "services/ssh/ssh-internal.h"

/* Everything waits on the network, or on a session another call holds. */
static const struct cb_handler ssh_handlers[] = {
    { "sftp", "connect", ssh_connect, false },
    { "sftp", "put", ssh_put, false },
    { "sftp", "get", ssh_get, false },
    { "sftp", "list_files", ssh_list_files, false },
    { "sftp", "rename", ssh_rename, false },
    { "sftp", "remove", ssh_remove, false },
    { "sftp", "mkdir", ssh_mkdir, false },
    { "sftp", "rmdir", ssh_rmdir, false },
    { "sftp", "stat", ssh_stat, false },
    { "sftp", "exists", ssh_exists, false },
    { "sftp", "setcwd", ssh_setcwd, false },
    { "sftp", "cwd", ssh_cwd, false },
    { "sftp", "error", ssh_error, false },
    { "sftp", "is_connected", ssh_is_connected, false },
    { "sftp", "disconnect", ssh_disconnect, false },
};

const struct cb_family ssh_family = {
    .name = "ssh",
    .handlers = ssh_handlers,
    .n_handlers = CB_ELEMENTSOF(ssh_handlers),
};
