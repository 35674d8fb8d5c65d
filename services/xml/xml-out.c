/* SPDX-License-Identifier: MIT */
/*
 * XMLout's text for a data structure, as XML::Simple's value_to_xml writes it: scalars of a
 * hash become attributes (sorted, the key attribute first), references nested elements,
 * hashes of hashes unfold into repeated elements by KeyAttr, two spaces of indent a level.
 */
#include "services/xml/xml-internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct out {
    struct xml_options *o;
    struct cb_buf buf;
    unsigned chunks; /* values written into buf (an empty array writes nothing, yet counts) */
    bool oom;
};

static void put(struct out *w, const char *s, size_t n)
{
    if (n > 0 && !w->oom && cb_buf_append(&w->buf, s, n) < 0) {
        w->oom = true;
    }
}

static void puts_(struct out *w, const char *s)
{
    put(w, s, strlen(s));
}

static void indent(struct out *w, unsigned level)
{
    if (w->o->noindent) {
        return;
    }
    for (unsigned i = 0; i < level; i++) {
        put(w, "  ", 2);
    }
}

static void newline(struct out *w)
{
    if (!w->o->noindent) {
        put(w, "\n", 1);
    }
}

static void escaped(struct out *w, const char *s)
{
    if (w->o->noescape) {
        puts_(w, s);
    } else if (!w->oom && xml_escape_append(&w->buf, s, strlen(s), w->o->numericescape) < 0) {
        w->oom = true;
    }
}

static int cmp_keys(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* sorted_keys: the key attribute first when the hash has one, then the rest in order. */
static const char **sorted_keys(struct out *w, const char *name, const json_t *hash, size_t *ret_n)
{
    size_t n = json_object_size(hash), i = 0, first = 0;
    const char **keys = calloc(n ? n : 1, sizeof *keys);
    const char *k, *lead = NULL;
    json_t *v;

    if (!keys) {
        return NULL;
    }
    if (!w->o->nosort && w->o->keyattr == XML_KEYATTR_HASH) {
        const char *a = json_string_value(
                json_array_get(json_object_get(w->o->keyattr_hash, name), 0));

        lead = a && json_object_get(hash, a) ? a : NULL;
    } else if (!w->o->nosort && w->o->keyattr == XML_KEYATTR_LIST) {
        json_array_foreach(w->o->keyattr_list, i, v)
        {
            if (json_object_get(hash, json_string_value(v))) {
                lead = json_string_value(v);
                break;
            }
        }
        i = 0;
    }
    if (lead) {
        keys[i++] = lead;
        first = 1;
    }
    json_object_foreach((json_t *)hash, k, v)
    {
        if (!lead || strcmp(k, lead) != 0) {
            keys[i++] = k;
        }
    }
    if (!w->o->nosort) {
        qsort(keys + first, i - first, sizeof *keys, cmp_keys);
    }
    *ret_n = i;
    return keys;
}

/* The keys in plain order (sorted unless NoSort), for unfolding. */
static const char **plain_keys(struct out *w, const json_t *hash, size_t *ret_n)
{
    size_t n = json_object_size(hash), i = 0;
    const char **keys = calloc(n ? n : 1, sizeof *keys);
    const char *k;
    json_t *v;

    if (!keys) {
        return NULL;
    }
    json_object_foreach((json_t *)hash, k, v)
    {
        keys[i++] = k;
    }
    if (!w->o->nosort) {
        qsort(keys, i, sizeof *keys, cmp_keys);
    }
    *ret_n = i;
    return keys;
}

/* hash_to_array: a hash of hashes becomes an array of them with the key as an attribute, or
 * the hash itself (a new reference) when any value is not a hash. */
static json_t *hash_to_array(struct out *w, const char *parent, json_t *hash)
{
    const char *attr = NULL;
    const char **keys;
    json_t *arr;
    size_t n;

    if (w->o->keyattr == XML_KEYATTR_HASH) {
        attr = json_string_value(json_array_get(json_object_get(w->o->keyattr_hash, parent), 0));
    } else {
        attr = json_string_value(json_array_get(w->o->keyattr_list, 0));
    }
    keys = plain_keys(w, hash, &n);
    arr = keys ? json_array() : NULL;
    if (!arr) {
        free(keys);
        w->oom = true;
        return json_incref(hash);
    }
    for (size_t i = 0; i < n; i++) {
        json_t *v = json_object_get(hash, keys[i]), *el;

        if (!json_is_object(v) || !attr) {
            free(keys);
            json_decref(arr);
            return json_incref(hash);
        }
        /* The element's own value for the key attribute wins, as in copy_hash. */
        el = json_pack("{ss}", attr, keys[i]);
        if (!el || json_object_update(el, v) < 0 || json_array_append_new(arr, el) < 0) {
            w->oom = true;
        }
    }
    free(keys);
    return arr;
}

static void value_to_xml(struct out *w, json_t *ref, const char *name, unsigned level);

/* A scalar value under name: <name>text</name>, or the bare text without a name. */
static void scalar_to_xml(struct out *w, const json_t *v, const char *name, unsigned level)
{
    char buf[64];
    const char *s = xml_perl_string(v, buf);

    if (name && *name) {
        indent(w, level);
        put(w, "<", 1);
        puts_(w, name);
        put(w, ">", 1);
        escaped(w, s);
        put(w, "</", 2);
        puts_(w, name);
        put(w, ">", 1);
        newline(w);
    } else {
        puts_(w, s);
        newline(w);
    }
}

/* GroupTags on output: { group => value } becomes { group => { member => value } }. */
static json_t *regroup(struct out *w, json_t *hash)
{
    json_t *copy = json_copy(hash);
    const char *k;
    json_t *v;

    if (!copy) {
        w->oom = true;
        return json_incref(hash);
    }
    json_object_foreach(copy, k, v)
    {
        json_t *member = json_object_get(w->o->grouptags, k);

        if (xml_perl_true(member)) {
            json_object_set_new(copy, k, json_pack("{sO}", json_string_value(member), v));
        }
    }
    return copy;
}

/* Characters, not bytes: AttrIndent lines attributes up under the first. */
static size_t utf8_chars(const char *s)
{
    size_t n = 0;

    for (; *s; s++) {
        n += ((unsigned char)*s & 0xc0) != 0x80;
    }
    return n;
}

static void attribute(struct out *w,
                      const char *name,
                      const char *key,
                      const char *value,
                      unsigned level,
                      bool first)
{
    if (w->o->attrindent && !first) {
        put(w, "\n", 1);
        indent(w, level);
        for (size_t i = 0, n = utf8_chars(name) + 1; i < n; i++) {
            put(w, " ", 1);
        }
    }
    put(w, " ", 1);
    puts_(w, key);
    put(w, "=\"", 2);
    escaped(w, value);
    put(w, "\"", 1);
}

static void hash_to_xml(struct out *w, json_t *hash, const char *name, unsigned level)
{
    bool named = name && *name, first = true, has_text = false;
    struct out nested = { .o = w->o };
    const char **keys = NULL;
    char *text = NULL;
    size_t n = 0;

    if (named) {
        indent(w, level);
        put(w, "<", 1);
        puts_(w, name);
    }
    if (json_object_size(hash) == 0) {
        has_text = true;
    } else if (!(keys = sorted_keys(w, name ? name : "", hash, &n))) {
        w->oom = true;
    }
    for (size_t i = 0; i < n; i++) {
        const char *key = keys[i];
        json_t *v = json_object_get(hash, key), *wrapped = NULL;
        char buf[64];

        if (key[0] == '-') {
            continue;
        }
        if (json_is_null(v)) {
            if (xml_perl_true(w->o->suppressempty)) {
                continue;
            }
            if (strcmp(key, w->o->contentkey) == 0) {
                has_text = true;
            } else {
                v = wrapped = w->o->suppressempty_given ? json_object() : json_string("");
            }
        }
        if (xml_is_scalar(v) && w->o->valueattr_hash) {
            const char *va = json_string_value(json_object_get(w->o->valueattr_hash, key));

            if (va) {
                json_decref(wrapped);
                v = wrapped = json_pack("{sO}", va, v);
            }
        }
        if (!v) {
            w->oom = true;
        } else if (!xml_is_scalar(v) || w->o->noattr) {
            value_to_xml(&nested, v, key, level + 1);
            nested.chunks++;
        } else if (strcmp(key, w->o->contentkey) == 0) {
            const char *s = xml_perl_string(v, buf);
            struct out t = { .o = w->o };

            escaped(&t, s);
            put(&t, "", 1);
            free(text);
            text = t.oom ? NULL : t.buf.data;
            w->oom |= t.oom;
            has_text = true;
        } else {
            attribute(w, name ? name : "", key, xml_perl_string(v, buf), level, first);
            first = false;
        }
        json_decref(wrapped);
    }
    free(keys);
    w->oom |= nested.oom;
    if (nested.chunks > 0 || has_text) {
        size_t skip = 0;

        if (named) {
            put(w, ">", 1);
            if (has_text) {
                puts_(w, text ? text : "");
                /* Text first: the nested elements' leading indent goes. */
                while (skip < nested.buf.len && strchr(" \t\n\r\f", nested.buf.data[skip])) {
                    skip++;
                }
            } else {
                newline(w);
            }
            if (nested.chunks > 0) {
                put(w, nested.buf.data + skip, nested.buf.len - skip);
                indent(w, level);
            }
            put(w, "</", 2);
            puts_(w, name);
            put(w, ">", 1);
            newline(w);
        } else {
            put(w, nested.buf.data, nested.buf.len);
        }
    } else {
        put(w, " />", 3);
        newline(w);
    }
    free(text);
    cb_buf_free(&nested.buf);
}

static void array_to_xml(struct out *w, json_t *arr, const char *name, unsigned level)
{
    json_t *v;
    size_t i;

    json_array_foreach(arr, i, v)
    {
        if (json_is_null(v) && xml_perl_true(w->o->suppressempty)) {
            continue;
        }
        if (xml_is_scalar(v)) {
            scalar_to_xml(w, v, name ? name : "", level);
        } else if (json_is_object(v)) {
            value_to_xml(w, v, name, level);
        } else {
            indent(w, level);
            put(w, "<", 1);
            puts_(w, name ? name : "");
            put(w, ">", 1);
            newline(w);
            value_to_xml(w, v, "anon", level + 1);
            indent(w, level);
            put(w, "</", 2);
            puts_(w, name ? name : "");
            put(w, ">", 1);
            newline(w);
        }
    }
}

static void value_to_xml(struct out *w, json_t *ref, const char *name, unsigned level)
{
    json_t *v = json_incref(ref);

    if (xml_is_scalar(ref)) {
        scalar_to_xml(w, ref, name, level);
        json_decref(v);
        return;
    }
    /* The root hash is never unfolded: it has no parent to repeat it under. */
    if (json_is_object(v) && json_object_size(v) > 0 && w->o->keyattr != XML_KEYATTR_NONE &&
        level > 0) {
        json_t *unfolded = hash_to_array(w, name, v);

        json_decref(v);
        v = unfolded;
    }
    if (json_is_object(v)) {
        if (w->o->grouptags) {
            json_t *g = regroup(w, v);

            json_decref(v);
            v = g;
        }
        hash_to_xml(w, v, name, level);
    } else {
        array_to_xml(w, v, name, level);
    }
    json_decref(v);
}

int xml_out_render(const json_t *data, struct xml_options *o, char **ret, struct cb_error *err)
{
    struct out w = { .o = o };
    json_t *ref = json_incref((json_t *)data);

    if (json_is_array(ref)) {
        json_t *wrapped = json_pack("{sO}", "anon", ref);

        json_decref(ref);
        ref = wrapped;
    }
    if (ref && o->keeproot && !json_is_object(ref)) {
        /* XMLout dies here: it takes the root's name from the keys of a hash. */
        json_decref(ref);
        return cb_error_set(err, CB_E_INVALID_PARAM,
                            "option KeepRoot needs a hash whose one key names the root element");
    }
    if (ref && o->keeproot && json_object_size(ref) == 1) {
        void *it = json_object_iter(ref);
        json_t *inner = json_incref(json_object_iter_value(it));

        free(o->rootname);
        o->rootname = strdup(json_object_iter_key(it));
        json_decref(ref);
        ref = inner;
    } else if (ref && !o->keeproot && o->rootname && !*o->rootname && json_is_object(ref)) {
        /* No root element: every scalar becomes an element of its own. */
        json_t *copy = json_object();
        const char *k;
        json_t *v;

        json_object_foreach(ref, k, v)
        {
            json_object_set_new(copy, k, xml_is_scalar(v) ? json_pack("[O]", v) : json_incref(v));
        }
        json_decref(ref);
        ref = copy;
    }
    if (!ref || !o->rootname) {
        json_decref(ref);
        return cb_error_set(err, CB_E_INTERNAL, "out of memory");
    }
    if (o->xmldecl) {
        puts_(&w, o->xmldecl);
        put(&w, "\n", 1);
    }
    value_to_xml(&w, ref, o->rootname, 0);
    put(&w, "", 1);
    json_decref(ref);
    if (w.oom) {
        cb_buf_free(&w.buf);
        return cb_error_set(err, CB_E_INTERNAL, "out of memory");
    }
    *ret = w.buf.data;
    return 0;
}
