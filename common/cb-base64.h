/* SPDX-License-Identifier: MIT */
/* Binary values on the wire (API.md 1.1): {"$base64": "..."}, shared by every family. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

/* Standard base64 with padding; malloc'ed, NULL when out of memory. */
char *cb_base64_encode(const void *data, size_t len);
/* Returns 0 with *ret (malloc'ed, *ret_len bytes), -EINVAL or -ENOMEM. */
int cb_base64_decode(const char *text, void **ret, size_t *ret_len);
/* {"$base64": "..."} for bytes, and the bytes of one (or -EINVAL). */
json_t *cb_binary_new(const void *data, size_t len);
bool cb_is_binary(const json_t *v);
int cb_binary_bytes(const json_t *v, void **ret, size_t *ret_len);
