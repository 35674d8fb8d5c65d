/* SPDX-License-Identifier: MIT */
/*
 * XMLin's data structure from a libxml2 tree, step for step as XML::Simple's collapse builds
 * it from SAX events: attributes become keys, text becomes a string or the content key,
 * repeated elements become arrays, and arrays of hashes fold into hashes by KeyAttr.
 */
#include "services/xml/xml-internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/tree.h>

#define XMLNS_URI "http://www.w3.org/2000/xmlns/"

struct collapse {
    struct xml_options *o;
    struct cb_error *err;
    bool failed;
};

/* One child as XML::Simple's tree holds it: an element, or a run of text. */
struct item {
    xmlNodePtr element; /* NULL for text */
    char *text;
};

static json_t *fail_oom(struct collapse *c)
{
    if (!c->failed) {
        cb_error_set(c->err, CB_E_INTERNAL, "out of memory");
    }
    c->failed = true;
    return NULL;
}

/* XML::Simple's warnings: an error under StrictMode, else nothing (the fold is skipped). */
static bool strict_fail(struct collapse *c, const char *what, const char *name, const char *key)
{
    if (!c->o->strict) {
        return false;
    }
    cb_error_set(c->err, CB_E_INVALID_PARAM, "<%s> element has %s '%s' key attribute", name, what,
                 key);
    c->failed = true;
    return true;
}

/* A name as the SAX parser gives it: the qualified name, or {uri}local under NSExpand. */
static char *node_name(struct collapse *c, const xmlChar *local, const xmlNs *ns)
{
    char *s = NULL;
    int r;

    if (c->o->nsexpand) {
        r = ns && ns->href ? asprintf(&s, "{%s}%s", ns->href, local) : asprintf(&s, "%s", local);
    } else {
        r = ns && ns->prefix ? asprintf(&s, "%s:%s", ns->prefix, local) : asprintf(&s, "%s", local);
    }
    return r < 0 ? NULL : s;
}

static int set_string(json_t *obj, const char *key, const char *value)
{
    return json_object_set_new(obj, key, json_string(value));
}

/* The attribute hash: namespace declarations first (SAX reports them as attributes), then
 * the attributes themselves. */
static json_t *attributes_of(struct collapse *c, xmlNodePtr el)
{
    json_t *attr = json_object();

    if (!attr) {
        return fail_oom(c);
    }
    for (xmlNsPtr ns = el->nsDef; ns; ns = ns->next) {
        char *key = NULL;

        if (!ns->prefix) {
            key = strdup("xmlns");
        } else if (asprintf(&key, c->o->nsexpand ? "{" XMLNS_URI "}%s" : "xmlns:%s", ns->prefix) <
                   0) {
            key = NULL;
        }
        if (!key || set_string(attr, key, (const char *)ns->href) < 0) {
            free(key);
            json_decref(attr);
            return fail_oom(c);
        }
        free(key);
    }
    for (xmlAttrPtr a = el->properties; a; a = a->next) {
        char *key = node_name(c, a->name, a->ns);
        xmlChar *value = xmlNodeGetContent((xmlNodePtr)a);
        int r = key ? set_string(attr, key, value ? (const char *)value : "") : -1;

        free(key);
        xmlFree(value);
        if (r < 0) {
            json_decref(attr);
            return fail_oom(c);
        }
    }
    return attr;
}

static void items_free(struct item *items, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(items[i].text);
    }
    free(items);
}

static int append_text(struct item *it, const char *s)
{
    size_t old = it->text ? strlen(it->text) : 0, add = strlen(s);
    char *t = realloc(it->text, old + add + 1);

    if (!t) {
        return -1;
    }
    memcpy(t + old, s, add + 1);
    it->text = t;
    return 0;
}

/* Children as SAX delivers them: adjacent text merged (comments and PIs leave no trace). */
static int items_of(xmlNodePtr el, struct item **ret, size_t *ret_n)
{
    struct item *items = NULL;
    size_t n = 0, cap = 0;

    for (xmlNodePtr ch = el->children; ch; ch = ch->next) {
        bool text = ch->type == XML_TEXT_NODE || ch->type == XML_CDATA_SECTION_NODE;

        if (!text && ch->type != XML_ELEMENT_NODE) {
            continue;
        }
        if (text && n > 0 && !items[n - 1].element) {
            if (append_text(&items[n - 1],
                            (const char *)(ch->content ? ch->content : BAD_CAST ""))) {
                items_free(items, n);
                return -1;
            }
            continue;
        }
        if (n == cap) {
            struct item *bigger = realloc(items, (cap = cap ? cap * 2 : 8) * sizeof *items);

            if (!bigger) {
                items_free(items, n);
                return -1;
            }
            items = bigger;
        }
        items[n] = (struct item){ .element = text ? NULL : ch };
        if (text &&
            append_text(&items[n], (const char *)(ch->content ? ch->content : BAD_CAST ""))) {
            items_free(items, n);
            return -1;
        }
        n++;
    }
    *ret = items;
    *ret_n = n;
    return 0;
}

static bool forced_array(struct collapse *c, const char *key)
{
    if (strcmp(key, c->o->contentkey) == 0) {
        return false;
    }
    return c->o->forcearray == 1 ||
           (c->o->forcearray == 2 && json_object_get(c->o->forcearray_names, key));
}

/* Puts element el under its key value val in hash, as array_to_hash does: the key attribute
 * goes, or stays too ("+"), or is kept as "-key" ("-"). 0, or -1 with c->err set. */
static int fold_one(struct collapse *c,
                    json_t *hash,
                    const char *name,
                    const char *key,
                    const char *flag,
                    json_t *el,
                    json_t *val)
{
    char buf[64], *norm = NULL;
    const char *k = xml_perl_string(val, buf);
    json_t *copy;

    if (c->o->normalisespace == 1 && !(k = norm = xml_normalise_space(k))) {
        fail_oom(c);
        return -1;
    }
    if (json_object_get(hash, k) && strict_fail(c, "non-unique value in", name, key)) {
        free(norm);
        return -1;
    }
    copy = json_copy(el);
    if (!copy) {
        free(norm);
        fail_oom(c);
        return -1;
    }
    if (strcmp(flag, "-") == 0) {
        char *minus;

        if (asprintf(&minus, "-%s", key) >= 0) {
            json_object_set(copy, minus, json_object_get(copy, key));
            free(minus);
        }
    }
    if (strcmp(flag, "+") != 0) {
        json_object_del(copy, key);
    }
    json_object_set_new(hash, k, copy);
    free(norm);
    return 0;
}

/* Folding by KeyAttr's hash form: { element => [attribute, flag] }. */
static json_t *fold_by_rule(struct collapse *c, const char *name, json_t *arr, json_t *hash)
{
    json_t *rule = json_object_get(c->o->keyattr_hash, name);
    const char *key = json_string_value(json_array_get(rule, 0));
    const char *flag = json_string_value(json_array_get(rule, 1));
    json_t *el;
    size_t i;

    json_array_foreach(arr, i, el)
    {
        json_t *val = json_is_object(el) ? json_object_get(el, key) : NULL;

        if (!val) {
            return strict_fail(c, "no", name, key) ? NULL : json_incref(arr);
        }
        if (!xml_is_scalar(val)) {
            return strict_fail(c, "non-scalar", name, key) ? NULL : json_incref(arr);
        }
        if (fold_one(c, hash, name, key, flag, el, val) < 0) {
            return NULL;
        }
    }
    return hash;
}

/* Folding by KeyAttr's list form: the first of the names that an element has. */
static json_t *fold_by_list(struct collapse *c, const char *name, json_t *arr, json_t *hash)
{
    json_t *el, *key;
    size_t i, j;

    json_array_foreach(arr, i, el)
    {
        bool folded = false;

        if (!json_is_object(el)) {
            return json_incref(arr);
        }
        json_array_foreach(c->o->keyattr_list, j, key)
        {
            const char *kname = json_string_value(key);
            json_t *val = json_object_get(el, kname);

            if (!val || json_is_null(val)) {
                continue;
            }
            if (!xml_is_scalar(val)) {
                if (!c->o->keyattr_default && strict_fail(c, "non-scalar", name, kname)) {
                    return NULL;
                }
                return json_incref(arr);
            }
            if (fold_one(c, hash, name, kname, "", el, val) < 0) {
                return NULL;
            }
            folded = true;
            break;
        }
        if (!folded) {
            return json_incref(arr);
        }
    }
    return hash;
}

/* ContentKey "-name": folded values that hold only their content become that content. */
static void collapse_content(struct collapse *c, json_t *hash)
{
    const char *k;
    json_t *v;

    json_object_foreach(hash, k, v)
    {
        if (!json_is_object(v) || json_object_size(v) != 1 ||
            !json_object_get(v, c->o->contentkey)) {
            return;
        }
    }
    json_object_foreach(hash, k, v)
    {
        json_object_set(hash, k, json_object_get(v, c->o->contentkey));
    }
}

/* XML::Simple's array_to_hash: a new reference to the fold, or to arr when it cannot fold. */
static json_t *array_to_hash(struct collapse *c, const char *name, json_t *arr)
{
    json_t *hash, *r;

    if (c->o->keyattr == XML_KEYATTR_HASH && !json_object_get(c->o->keyattr_hash, name)) {
        return json_incref(arr);
    }
    hash = json_object();
    if (!hash) {
        return fail_oom(c);
    }
    r = c->o->keyattr == XML_KEYATTR_HASH ? fold_by_rule(c, name, arr, hash)
                                          : fold_by_list(c, name, arr, hash);
    if (r != hash) {
        json_decref(hash);
        return r;
    }
    if (c->o->collapseagain) {
        collapse_content(c, hash);
    }
    return hash;
}

/* Adds one collapsed child under key, as an array when the key repeats or is forced. */
static int add_value(struct collapse *c, json_t *attr, const char *key, json_t *val)
{
    json_t *old = json_object_get(attr, key);

    if (old && json_is_array(old)) {
        return json_array_append_new(old, val);
    }
    if (old) {
        return json_object_set_new(attr, key, json_pack("[OO]", old, val)) < 0
                       ? -1
                       : (json_decref(val), 0);
    }
    if (json_is_array(val) || forced_array(c, key)) {
        return json_object_set_new(attr, key, json_pack("[o]", val));
    }
    return json_object_set_new(attr, key, val);
}

static json_t *collapse_element(struct collapse *c, xmlNodePtr el);

/* The attribute values after NoAttr, NormaliseSpace 2 and variables. */
static json_t *prepare_attributes(struct collapse *c, json_t *attr)
{
    const char *k;
    json_t *v;

    if (c->o->noattr) {
        json_object_clear(attr);
        return attr;
    }
    json_object_foreach(attr, k, v)
    {
        const char *s = json_string_value(v);
        char *t = NULL, *u = NULL;

        if (!s) {
            continue;
        }
        if (c->o->normalisespace == 2 && !(s = t = xml_normalise_space(s))) {
            return fail_oom(c);
        }
        if (c->o->vars && !(s = u = xml_expand_vars(s, c->o->vars, true))) {
            free(t);
            return fail_oom(c);
        }
        if (t || u) {
            json_object_set_new(attr, k, json_string(s));
        }
        free(t);
        free(u);
    }
    return attr;
}

/* A run of text: NULL when it is all space (dropped), else the text as XML::Simple keeps it,
 * with VarAttr definitions noted. */
static char *prepare_text(struct collapse *c, json_t *attr, const char *text, bool *ret_oom)
{
    char *t = NULL, *u;
    const char *s = text;

    *ret_oom = false;
    if (xml_all_space(text)) {
        return NULL;
    }
    if (c->o->normalisespace == 2 && !(s = t = xml_normalise_space(s))) {
        *ret_oom = true;
        return NULL;
    }
    u = c->o->vars ? xml_expand_vars(s, c->o->vars, false) : strdup(s);
    free(t);
    if (!u) {
        *ret_oom = true;
        return NULL;
    }
    if (c->o->varattr) {
        json_t *name = json_object_get(attr, c->o->varattr);
        char buf[64];
        const char *n = name ? xml_perl_string(name, buf) : NULL;

        if (n) {
            json_object_set_new(c->o->vars, n, json_string(u));
        }
    }
    return u;
}

/* The steps after the children are in: folding, GroupTags, anon, empty, ValueAttr. */
static json_t *finish(struct collapse *c, json_t *attr)
{
    const char *k;
    json_t *v;

    if (c->o->keyattr != XML_KEYATTR_NONE) {
        json_object_foreach(attr, k, v)
        {
            json_t *folded;

            if (!json_is_array(v)) {
                continue;
            }
            folded = array_to_hash(c, k, v);
            if (!folded) {
                json_decref(attr);
                return NULL;
            }
            json_object_set_new(attr, k, folded);
        }
    }
    if (c->o->grouptags) {
        json_object_foreach(attr, k, v)
        {
            const char *child = json_string_value(json_object_get(c->o->grouptags, k));
            void *it = json_is_object(v) ? json_object_iter(v) : NULL;

            if (child && json_object_size(v) == 1 && strcmp(json_object_iter_key(it), child) == 0) {
                json_object_set(attr, k, json_object_iter_value(it));
            }
        }
    }
    if (json_object_size(attr) == 1 && json_is_array(json_object_get(attr, "anon"))) {
        json_t *anon = json_incref(json_object_get(attr, "anon"));

        json_decref(attr);
        return anon;
    }
    if (json_object_size(attr) == 0 && c->o->suppressempty_given) {
        json_t *se = c->o->suppressempty;
        char buf[64];
        const char *s = json_is_null(se) ? NULL : xml_perl_string(se, buf);

        json_decref(attr);
        return s && *s == '\0' ? json_string("") : json_null();
    }
    if (c->o->valueattr_hash) {
        json_object_foreach(attr, k, v)
        {
            const char *want = json_string_value(json_object_get(c->o->valueattr_hash, k));
            void *it = json_is_object(v) ? json_object_iter(v) : NULL;

            if (want && json_object_size(v) == 1 && strcmp(json_object_iter_key(it), want) == 0) {
                json_object_set(attr, k, json_object_iter_value(it));
            }
        }
    }
    return attr;
}

/* XML::Simple's collapse: attr (stolen) and the children, to the value of their element. */
static json_t *collapse(struct collapse *c, json_t *attr, struct item *items, size_t n)
{
    if (!prepare_attributes(c, attr)) {
        json_decref(attr);
        return NULL;
    }
    if (n == 0 && json_object_size(attr) == 1 && c->o->valueattr_list) {
        void *it = json_object_iter(attr);

        if (json_object_get(c->o->valueattr_list, json_object_iter_key(it))) {
            json_t *v = json_incref(json_object_iter_value(it));

            json_decref(attr);
            return v;
        }
    }
    for (size_t i = 0; i < n; i++) {
        const char *key;
        char *name = NULL, *text = NULL;
        json_t *val;
        bool oom;

        if (items[i].element) {
            val = collapse_element(c, items[i].element);
            if (!val) {
                json_decref(attr);
                return NULL;
            }
            if (json_is_null(val) && xml_perl_true(c->o->suppressempty)) {
                json_decref(val);
                continue;
            }
            name = node_name(c, items[i].element->name, items[i].element->ns);
            key = name;
        } else {
            text = prepare_text(c, attr, items[i].text, &oom);
            if (!text) {
                if (oom) {
                    json_decref(attr);
                    return fail_oom(c);
                }
                continue;
            }
            /* Text alone in an element without attributes is the element's value. */
            if (json_object_size(attr) == 0 && i + 1 == n) {
                json_decref(attr);
                val = c->o->forcecontent ? json_pack("{ss}", c->o->contentkey, text)
                                         : json_string(text);
                free(text);
                return val ? val : fail_oom(c);
            }
            val = json_string(text);
            key = c->o->contentkey;
        }
        if (!val || !key || add_value(c, attr, key, val) < 0) {
            free(name);
            free(text);
            json_decref(attr);
            return fail_oom(c);
        }
        free(name);
        free(text);
    }
    return finish(c, attr);
}

static json_t *collapse_element(struct collapse *c, xmlNodePtr el)
{
    struct item *items = NULL;
    size_t n = 0;
    json_t *attr, *v;

    attr = attributes_of(c, el);
    if (!attr) {
        return NULL;
    }
    if (items_of(el, &items, &n) < 0) {
        json_decref(attr);
        return fail_oom(c);
    }
    v = collapse(c, attr, items, n);
    items_free(items, n);
    return v;
}

int xml_collapse_document(xmlDocPtr doc, struct xml_options *o, json_t **ret, struct cb_error *err)
{
    struct collapse c = { .o = o, .err = err };
    xmlNodePtr root = xmlDocGetRootElement(doc);

    if (o->keeproot) {
        struct item only = { .element = root };

        *ret = collapse(&c, json_object(), &only, 1);
    } else {
        *ret = collapse_element(&c, root);
    }
    if (!*ret) {
        return c.failed ? -EINVAL : cb_error_set(err, CB_E_INTERNAL, "out of memory");
    }
    return 0;
}
