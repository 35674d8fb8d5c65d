/* SPDX-License-Identifier: MIT */
/* The catalogue's tables, shared between its data file and its lookup code. */
#pragma once

#include "common/cb-catalogue.h"
#include "common/cb-macro.h"

extern const struct cb_module cb_catalogue_table[];
extern const size_t cb_catalogue_table_size;
extern const struct cb_family_info cb_family_table[];
extern const size_t cb_family_table_size;
