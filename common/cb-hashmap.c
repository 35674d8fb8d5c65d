/* SPDX-License-Identifier: MIT */
/* Chained hash map with FNV-1a hashing, grown at load factor 1. */
#include "common/cb-hashmap.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct entry {
    char *key;
    void *value;
    struct entry *next;
};

struct cb_hashmap {
    struct entry **buckets;
    size_t n_buckets;
    size_t size;
};

static uint64_t hash_key(const char *s)
{
    uint64_t h = 1469598103934665603ULL;

    for (; *s; s++) {
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    }
    return h;
}

struct cb_hashmap *cb_hashmap_new(void)
{
    struct cb_hashmap *m = calloc(1, sizeof *m);

    if (!m) {
        return NULL;
    }
    m->n_buckets = 16;
    m->buckets = calloc(m->n_buckets, sizeof *m->buckets);
    if (!m->buckets) {
        free(m);
        return NULL;
    }
    return m;
}

struct cb_hashmap *cb_hashmap_free(struct cb_hashmap *m)
{
    if (!m) {
        return NULL;
    }
    for (size_t i = 0; i < m->n_buckets; i++) {
        struct entry *e = m->buckets[i];

        while (e) {
            struct entry *next = e->next;

            free(e->key);
            free(e);
            e = next;
        }
    }
    free(m->buckets);
    free(m);
    return NULL;
}

static void grow(struct cb_hashmap *m)
{
    size_t n = m->n_buckets * 2;
    struct entry **b = calloc(n, sizeof *b);

    if (!b) {
        return; /* stays correct, only slower */
    }
    for (size_t i = 0; i < m->n_buckets; i++) {
        struct entry *e = m->buckets[i];

        while (e) {
            struct entry *next = e->next;
            size_t k = hash_key(e->key) & (n - 1);

            e->next = b[k];
            b[k] = e;
            e = next;
        }
    }
    free(m->buckets);
    m->buckets = b;
    m->n_buckets = n;
}

int cb_hashmap_put(struct cb_hashmap *m, const char *key, void *value)
{
    struct entry *e;
    size_t k;

    if (cb_hashmap_get(m, key)) {
        return -EEXIST;
    }
    if (m->size >= m->n_buckets) {
        grow(m);
    }
    e = calloc(1, sizeof *e);
    if (!e || !(e->key = strdup(key))) {
        free(e);
        return -ENOMEM;
    }
    k = hash_key(key) & (m->n_buckets - 1);
    e->value = value;
    e->next = m->buckets[k];
    m->buckets[k] = e;
    m->size++;
    return 0;
}

void *cb_hashmap_get(const struct cb_hashmap *m, const char *key)
{
    for (struct entry *e = m->buckets[hash_key(key) & (m->n_buckets - 1)]; e; e = e->next) {
        if (strcmp(e->key, key) == 0) {
            return e->value;
        }
    }
    return NULL;
}

void *cb_hashmap_remove(struct cb_hashmap *m, const char *key)
{
    struct entry **p = &m->buckets[hash_key(key) & (m->n_buckets - 1)];

    for (; *p; p = &(*p)->next) {
        if (strcmp((*p)->key, key) == 0) {
            struct entry *e = *p;
            void *v = e->value;

            *p = e->next;
            free(e->key);
            free(e);
            m->size--;
            return v;
        }
    }
    return NULL;
}

size_t cb_hashmap_size(const struct cb_hashmap *m)
{
    return m->size;
}

/* Hex without printf: ids are looked up on every request. */
static void u64_key(uint64_t key, char *buf, size_t size)
{
    static const char digits[] = "0123456789abcdef";
    size_t n = 0;

    do {
        buf[n++] = digits[key & 15];
        key >>= 4;
    } while (key && n < size - 1);
    buf[n] = '\0';
}

int cb_hashmap_put_u64(struct cb_hashmap *m, uint64_t key, void *value)
{
    char buf[24];

    u64_key(key, buf, sizeof buf);
    return cb_hashmap_put(m, buf, value);
}

void *cb_hashmap_get_u64(const struct cb_hashmap *m, uint64_t key)
{
    char buf[24];

    u64_key(key, buf, sizeof buf);
    return cb_hashmap_get(m, buf);
}

void *cb_hashmap_remove_u64(struct cb_hashmap *m, uint64_t key)
{
    char buf[24];

    u64_key(key, buf, sizeof buf);
    return cb_hashmap_remove(m, buf);
}

bool cb_hashmap_iterate(struct cb_hashmap *m, size_t *state, const char **ret_key, void **ret_value)
{
    /* state encodes the bucket and the position within its chain. */
    size_t bucket = *state >> 16, pos = *state & 0xFFFF;

    for (; bucket < m->n_buckets; bucket++, pos = 0) {
        struct entry *e = m->buckets[bucket];

        for (size_t i = 0; e && i < pos; i++) {
            e = e->next;
        }
        if (e) {
            *ret_key = e->key;
            *ret_value = e->value;
            *state = bucket << 16 | (pos + 1);
            return true;
        }
    }
    *state = bucket << 16;
    return false;
}
