/* SPDX-License-Identifier: MIT */
/*
 * Parsed documents for xpath: numbered once so that a node's id survives a reparse of the
 * same source (process mode rebuilds a document by loading it again), and cached per session
 * so that loading an unchanged file again does not parse it again.
 */
#include "services/xml/xml-internal.h"

#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>

#include "common/cb-json.h"

/* Files a session keeps parsed, the oldest going first: at most this many, and, of those no
 * handle holds any more, no more source bytes than [xml] max_document_size in all. */
#define XML_CACHE_MAX 16

struct xml_session {
    pthread_mutex_t lock;
    struct xml_doc *cache[XML_CACHE_MAX];
};

struct xml_doc *xml_doc_ref(struct xml_doc *d)
{
    __atomic_add_fetch(&d->refs, 1, __ATOMIC_RELAXED);
    return d;
}

void xml_doc_unref(void *object)
{
    struct xml_doc *d = object;

    if (!d || __atomic_sub_fetch(&d->refs, 1, __ATOMIC_ACQ_REL) > 0) {
        return;
    }
    xmlFreeDoc(d->doc);
    free(d->nodes);
    free(d->path);
    pthread_mutex_destroy(&d->lock);
    free(d);
}

void *xml_session_new(void)
{
    struct xml_session *s = calloc(1, sizeof *s);

    if (s) {
        pthread_mutex_init(&s->lock, NULL);
    }
    return s;
}

void xml_session_free(void *data)
{
    struct xml_session *s = data;

    if (!s) {
        return;
    }
    for (size_t i = 0; i < XML_CACHE_MAX; i++) {
        xml_doc_unref(s->cache[i]);
    }
    pthread_mutex_destroy(&s->lock);
    free(s);
}

/* ---- Numbering ------------------------------------------------------------------------- */

struct numbering {
    xmlNodePtr *nodes;
    size_t n, cap;
};

static int number(struct numbering *nb, xmlNodePtr node)
{
    if (nb->n == nb->cap) {
        size_t cap = nb->cap ? nb->cap * 2 : 64;
        xmlNodePtr *bigger = realloc(nb->nodes, cap * sizeof *bigger);

        if (!bigger) {
            return -1;
        }
        nb->nodes = bigger;
        nb->cap = cap;
    }
    /* _private is the application's own field of every libxml2 node: the ordinal plus one. */
    node->_private = (void *)(uintptr_t)(nb->n + 1);
    nb->nodes[nb->n++] = node;
    return 0;
}

/* XPath 1.0 has no empty text nodes; libxml2 makes one of an empty CDATA section. */
static void drop_empty_text(xmlNodePtr top)
{
    xmlNodePtr node = top->children;

    while (node && node != top) {
        xmlNodePtr next;

        if (node->children && node->type == XML_ELEMENT_NODE) {
            node = node->children;
            continue;
        }
        next = node;
        while (next != top && !next->next) {
            next = next->parent;
        }
        next = next == top ? NULL : next->next;
        if (node->type == XML_TEXT_NODE && (!node->content || !node->content[0])) {
            xmlUnlinkNode(node);
            xmlFreeNode(node);
        }
        node = next;
    }
}

/* Document order, each element's attributes right after it. Iterative: depth is unbounded. */
static int number_tree(struct numbering *nb, xmlNodePtr top)
{
    xmlNodePtr node = top;

    while (node) {
        if (number(nb, node) < 0) {
            return -1;
        }
        if (node->type == XML_ELEMENT_NODE) {
            for (xmlAttrPtr a = node->properties; a; a = a->next) {
                if (number(nb, (xmlNodePtr)a) < 0) {
                    return -1;
                }
            }
        }
        if (node->children && node->type != XML_ENTITY_REF_NODE && node->type != XML_DTD_NODE) {
            node = node->children;
            continue;
        }
        while (node != top && !node->next) {
            node = node->parent;
        }
        node = node == top ? NULL : node->next;
    }
    return 0;
}

xmlNodePtr xml_doc_node(const struct xml_doc *d, uint64_t ordinal)
{
    return ordinal < d->n_nodes ? d->nodes[ordinal] : NULL;
}

int64_t xml_doc_ordinal(const xmlNode *node)
{
    if (!node || node->type == XML_NAMESPACE_DECL || !node->_private) {
        return -1;
    }
    return (int64_t)(uintptr_t)node->_private - 1;
}

static int doc_new(xmlDocPtr doc,
                   const char *path,
                   const struct stat *st,
                   struct xml_doc **ret,
                   struct cb_error *err)
{
    struct xml_doc *d = calloc(1, sizeof *d);
    struct numbering nb = { 0 };
    xmlNodePtr root = xmlDocGetRootElement(doc);

    drop_empty_text((xmlNodePtr)doc);
    if (!d || number_tree(&nb, (xmlNodePtr)doc) < 0 || (path && !(d->path = strdup(path)))) {
        free(nb.nodes);
        free(d);
        xmlFreeDoc(doc);
        return cb_error_set(err, CB_E_INTERNAL, "out of memory");
    }
    pthread_mutex_init(&d->lock, NULL);
    d->refs = 1;
    d->doc = doc;
    d->nodes = nb.nodes;
    d->n_nodes = nb.n;
    if (st) {
        d->st = *st;
    }
    snprintf(d->root_name, sizeof d->root_name, "%s%s%s",
             root->ns && root->ns->prefix ? (const char *)root->ns->prefix : "",
             root->ns && root->ns->prefix ? ":" : "", (const char *)root->name);
    *ret = d;
    return 0;
}

/* ---- The session's cache of files --------------------------------------------------------- */

static bool same_file(const struct stat *a, const struct stat *b)
{
    return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
           a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
           a->st_ctim.tv_sec == b->st_ctim.tv_sec && a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

static void cache_trim(struct xml_session *s, uint64_t budget);

static struct xml_doc *cache_find(struct xml_session *s,
                                  const char *path,
                                  const struct stat *st,
                                  uint64_t budget)
{
    struct xml_doc *found = NULL;

    pthread_mutex_lock(&s->lock);
    cache_trim(s, budget);
    for (size_t i = 0; i < XML_CACHE_MAX && !found; i++) {
        struct xml_doc *d = s->cache[i];

        if (d && strcmp(d->path, path) == 0 && same_file(&d->st, st)) {
            found = xml_doc_ref(d);
        }
    }
    pthread_mutex_unlock(&s->lock);
    return found;
}

/* Drops the oldest parses that only the cache still holds, until they fit the budget. */
static void cache_trim(struct xml_session *s, uint64_t budget)
{
    uint64_t held = 0;

    for (size_t i = 0; i < XML_CACHE_MAX; i++) {
        struct xml_doc *d = s->cache[i];

        if (!d || __atomic_load_n(&d->refs, __ATOMIC_ACQUIRE) > 1) {
            continue;
        }
        held += d->source_len;
        if (held > budget && i > 0) {
            held -= d->source_len;
            memmove(&s->cache[i], &s->cache[i + 1], (XML_CACHE_MAX - i - 1) * sizeof s->cache[0]);
            s->cache[XML_CACHE_MAX - 1] = NULL;
            xml_doc_unref(d);
            i--;
        }
    }
}

/* Keeps d for the session, in place of an older parse of the same path or the oldest entry. */
static void cache_put(struct xml_session *s, struct xml_doc *d, uint64_t budget)
{
    size_t slot = XML_CACHE_MAX - 1;

    pthread_mutex_lock(&s->lock);
    for (size_t i = 0; i < XML_CACHE_MAX; i++) {
        if (!s->cache[i] || strcmp(s->cache[i]->path, d->path) == 0) {
            slot = i;
            break;
        }
    }
    xml_doc_unref(s->cache[slot]);
    memmove(&s->cache[1], &s->cache[0], slot * sizeof s->cache[0]);
    s->cache[0] = xml_doc_ref(d);
    cache_trim(s, budget);
    pthread_mutex_unlock(&s->lock);
}

int xml_doc_load(struct cb_call *call, struct xml_doc **ret, bool *ret_cached, struct cb_error *err)
{
    struct xml_session *s = call->session ? call->session->family_data : NULL;
    struct xml_source src;
    xmlDocPtr doc;
    int r;

    *ret_cached = false;
    r = xml_source_begin(call, &src, err);
    if (r < 0) {
        xml_source_done(&src);
        return r;
    }
    /* The identity is the open file's, so the bytes read below are the ones it names. */
    if (src.path && s &&
        (*ret = cache_find(s, src.path, &src.st, call->config->xml_max_document))) {
        *ret_cached = true;
        xml_source_done(&src);
        return 0;
    }
    r = xml_source_read(call, &src, err);
    if (r >= 0) {
        r = xml_parse_memory(src.text, src.len, &doc, err);
    }
    if (r >= 0) {
        r = doc_new(doc, src.path, src.path ? &src.st : NULL, ret, err);
    }
    if (r >= 0 && src.path && s) {
        (*ret)->source_len = src.len;
        cache_put(s, *ret, call->config->xml_max_document);
    }
    xml_source_done(&src);
    return r;
}
