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
/* Runs the instance server; takes ownership of config (a reload replaces it). */
int cb_family_run_daemon(const struct cb_family *family,
                         struct cb_config *config,
                         const struct cb_family_options *o);
