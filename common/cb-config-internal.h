/* SPDX-License-Identifier: MIT */
/* The configuration file parser, shared by the loader and its tests. */
#pragma once

#include "common/cb-config.h"

/* Parses one INI file into c. Returns 0, -ENOENT when the file is absent, or -errno with
 * *reterr set to "file:line: reason". */
int cb_config_parse_file(struct cb_config *c, const char *path, char **reterr);
