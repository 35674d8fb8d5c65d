/* SPDX-License-Identifier: MIT */
/*
 * Opening a caller's local file the way DESIGN.md's security section says: the path is
 * absolute, the instance opens it as the user (so the kernel checks the user's rights), a
 * symlink in a directory someone else controls is not followed, and configured roots bound
 * where files may be.
 */
#pragma once

#include <sys/types.h>

#include "common/cb-config.h"
#include "common/cb-error.h"

/*
 * Opens path with open(2) flags and mode (for O_CREAT). Follows a symlink only when it is
 * owned by us or by root, or when its directory is neither world-writable nor someone
 * else's (the rule of fs.protected_symlinks, applied to every component). Afterwards the
 * file's real location must lie below one of c->path_roots, when any are set.
 * Returns an fd, or a negative errno with reterr set: E_INVALID_PARAM for a relative path,
 * a missing file (ENOENT) or a path that is not what was asked for; E_DENIED for EACCES,
 * EPERM, an unsafe symlink or a place outside the roots; each with the system's reason.
 * `param` names the parameter in the messages.
 */
int cb_path_open(const struct cb_config *c,
                 const char *param,
                 const char *path,
                 int flags,
                 mode_t mode,
                 struct cb_error *reterr);

/* Whether an absolute, clean path lies below one of the roots (or no roots are set). */
bool cb_path_within_roots(const struct cb_config *c, const char *real_path);
