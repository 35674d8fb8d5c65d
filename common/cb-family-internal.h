/* SPDX-License-Identifier: MIT */
/* The two run modes of a family process. */
#pragma once

#include "common/cb-family.h"

struct cb_family_options {
    const char *config_path;
    char **listen_paths;
    int first_frame_fd; /* one-shot: a frame cpan-bridge-exec already read, or -1 */
};

int cb_family_run_oneshot(const struct cb_family *family,
                          const struct cb_config *config,
                          int first_frame_fd);
int cb_family_run_daemon(const struct cb_family *family,
                         struct cb_config *config,
                         char **listen_paths);
