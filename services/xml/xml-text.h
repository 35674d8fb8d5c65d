/* SPDX-License-Identifier: MIT */
/* Text rules of XML::Simple that do not need libxml2 (unit-tested on their own). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

/* Bytes of the Perl \s character at p (ASCII and Unicode spaces), or 0. */
size_t xml_space_len(const char *p);

/* Whether s is all \s (or empty): such text between elements is dropped. */
bool xml_all_space(const char *s);

/* NormaliseSpace: no leading or trailing \s, runs of two or more become one space. */
char *xml_normalise_space(const char *s);

/* ${name} replaced by vars' value (names of \w, and dots too when dots); unknown ones kept. */
char *xml_expand_vars(const char *s, const json_t *vars, bool dots);
