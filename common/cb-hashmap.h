/* SPDX-License-Identifier: MIT */
/* A small open-hashing map from string or integer keys to pointers. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cb_hashmap;

/* Keys are copied. */
struct cb_hashmap *cb_hashmap_new(void);
struct cb_hashmap *cb_hashmap_free(struct cb_hashmap *m);

/* Returns 0, -EEXIST when the key is there, or -ENOMEM. */
int cb_hashmap_put(struct cb_hashmap *m, const char *key, void *value);
void *cb_hashmap_get(const struct cb_hashmap *m, const char *key);
/* Returns the removed value or NULL. */
void *cb_hashmap_remove(struct cb_hashmap *m, const char *key);
size_t cb_hashmap_size(const struct cb_hashmap *m);

/* Integer keys, for ids. */
int cb_hashmap_put_u64(struct cb_hashmap *m, uint64_t key, void *value);
void *cb_hashmap_get_u64(const struct cb_hashmap *m, uint64_t key);
void *cb_hashmap_remove_u64(struct cb_hashmap *m, uint64_t key);

/* Iteration: *state starts at 0; returns false at the end. The map must not change meanwhile:
 * collect the keys first to remove entries. */
bool cb_hashmap_iterate(struct cb_hashmap *m, size_t *state, const char **ret_key, void **ret_value);
