/* SPDX-License-Identifier: MIT */
/* The fast JSON parser that cb_json_parse() tries before jansson's. */
#pragma once

#include <stddef.h>

#include <jansson.h>

/* The value of a well-formed JSON text, or NULL when the text is anything else (malformed,
 * or a case it leaves to jansson: duplicate keys, NUL in a key, deep nesting, a number at
 * the edge of its range). Never sets errors: jansson parses it again then. */
json_t *cb_json_parse_fast(const char *buf, size_t len);
