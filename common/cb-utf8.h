/* SPDX-License-Identifier: MIT */
/* Whether bytes are UTF-8: what decides between a string and a binary marker in results. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* Strict UTF-8: no overlong forms, no surrogates, nothing past U+10FFFF. NUL is allowed. */
bool cb_utf8_valid(const void *s, size_t len);
