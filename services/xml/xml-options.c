/* SPDX-License-Identifier: MIT */
/* XMLin's and XMLout's options, read and cleaned up as XML::Simple's handle_options does. */
#include "services/xml/xml-internal.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/cb-macro.h"

#define OOM(err) cb_error_set(err, CB_E_INTERNAL, "out of memory")

enum opt {
    O_KEYATTR,
    O_KEEPROOT,
    O_FORCECONTENT,
    O_CONTENTKEY,
    O_NOATTR,
    O_FORCEARRAY,
    O_SUPPRESSEMPTY,
    O_GROUPTAGS,
    O_NSEXPAND,
    O_VARATTR,
    O_VARIABLES,
    O_NORMALISESPACE,
    O_NORMALIZESPACE,
    O_VALUEATTR,
    O_STRICTMODE,
    O_CACHE,
    O_PARSEROPTS,
    O_ROOTNAME,
    O_XMLDECL,
    O_NOESCAPE,
    O_NOINDENT,
    O_ATTRINDENT,
    O_NOSORT,
    O_NUMERICESCAPE,
    _O_MAX,
};

#define IN  1
#define OUT 2

static const struct {
    const char *name; /* lower case, no underscores: how XML::Simple compares them */
    unsigned where;
} known[_O_MAX] = {
    [O_KEYATTR] = { "keyattr", IN | OUT },
    [O_KEEPROOT] = { "keeproot", IN | OUT },
    [O_FORCECONTENT] = { "forcecontent", IN },
    [O_CONTENTKEY] = { "contentkey", IN | OUT },
    [O_NOATTR] = { "noattr", IN | OUT },
    [O_FORCEARRAY] = { "forcearray", IN },
    [O_SUPPRESSEMPTY] = { "suppressempty", IN | OUT },
    [O_GROUPTAGS] = { "grouptags", IN | OUT },
    [O_NSEXPAND] = { "nsexpand", IN },
    [O_VARATTR] = { "varattr", IN },
    [O_VARIABLES] = { "variables", IN },
    [O_NORMALISESPACE] = { "normalisespace", IN },
    [O_NORMALIZESPACE] = { "normalizespace", IN },
    [O_VALUEATTR] = { "valueattr", IN | OUT },
    [O_STRICTMODE] = { "strictmode", IN | OUT },
    [O_CACHE] = { "cache", IN },
    [O_PARSEROPTS] = { "parseropts", IN },
    [O_ROOTNAME] = { "rootname", OUT },
    [O_XMLDECL] = { "xmldecl", OUT },
    [O_NOESCAPE] = { "noescape", OUT },
    [O_NOINDENT] = { "noindent", OUT },
    [O_ATTRINDENT] = { "attrindent", OUT },
    [O_NOSORT] = { "nosort", OUT },
    [O_NUMERICESCAPE] = { "numericescape", OUT },
};

/* Options XML::Simple has that cannot cross JSON or mean nothing here, and what to do. */
static const struct {
    const char *name;
    const char *why;
} refused[] = {
    { "searchpath", "give the file's path in 'source' (the client makes it absolute)" },
    { "datahandler", "a code reference cannot be sent" },
    { "outputfile", "write the returned string to the file" },
    { "handler", "a SAX handler cannot be sent" },
};

static void lower_name(const char *key, char *out, size_t size)
{
    size_t o = 0;

    for (const char *k = key; *k && o + 1 < size; k++) {
        if (*k != '_') {
            out[o++] = (char)tolower((unsigned char)*k);
        }
    }
    out[o] = '\0';
}

static int find_option(const char *key, bool in, struct cb_error *err)
{
    char name[64];

    lower_name(key, name, sizeof name);
    for (int i = 0; i < _O_MAX; i++) {
        if (strcmp(known[i].name, name) == 0 && (known[i].where & (in ? IN : OUT))) {
            return i;
        }
    }
    for (size_t i = 0; i < CB_ELEMENTSOF(refused); i++) {
        if (strcmp(refused[i].name, name) == 0) {
            return cb_error_set(err, CB_E_INVALID_PARAM, "option '%s' is not supported here: %s",
                                key, refused[i].why);
        }
    }
    return cb_error_set(err, CB_E_INVALID_PARAM, "unrecognised %s option '%s'",
                        in ? "XMLin" : "XMLout", key);
}

static int scalar_text(const json_t *v, const char *what, char **ret, struct cb_error *err)
{
    char buf[64];
    const char *s = xml_perl_string(v, buf);

    if (!s) {
        return cb_error_set(err, CB_E_INVALID_PARAM, "option %s must be a string", what);
    }
    free(*ret);
    *ret = strdup(s);
    return *ret ? 0 : OOM(err);
}

static int string_set(const json_t *arr, const char *what, json_t **ret, struct cb_error *err)
{
    json_t *v;
    size_t i;

    *ret = json_object();
    if (!*ret) {
        return OOM(err);
    }
    json_array_foreach(arr, i, v)
    {
        char buf[64];
        const char *s = xml_perl_string(v, buf);

        if (!s) {
            return cb_error_set(err, CB_E_INVALID_PARAM, "option %s must list names (strings)",
                                what);
        }
        json_object_set_new(*ret, s, json_true());
    }
    return 0;
}

static int take_forcearray(struct xml_options *o, const json_t *v, struct cb_error *err)
{
    if (!json_is_array(v)) {
        o->forcearray = xml_perl_true(v) ? 1 : 0;
        return 0;
    }
    if (json_array_size(v) == 0) {
        o->forcearray = 0;
        return 0;
    }
    o->forcearray = 2;
    return string_set(v, "ForceArray", &o->forcearray_names, err);
}

static int take_keyattr_hash(struct xml_options *o, const json_t *v, struct cb_error *err)
{
    const char *elem;
    json_t *spec;

    o->keyattr = XML_KEYATTR_HASH;
    o->keyattr_hash = json_object();
    if (!o->keyattr_hash) {
        return OOM(err);
    }
    json_object_foreach((json_t *)v, elem, spec)
    {
        char buf[64];
        const char *s = xml_perl_string(spec, buf);
        const char *flag = "";

        if (!s) {
            return cb_error_set(err, CB_E_INVALID_PARAM,
                                "option KeyAttr: the key of <%s> must be a name", elem);
        }
        /* "+id" keeps the key attribute in the folded hash as well; "-id" keeps it as "-id". */
        if (*s == '+' || *s == '-') {
            flag = *s == '+' ? "+" : "-";
            s++;
        }
        json_object_set_new(o->keyattr_hash, elem, json_pack("[ss]", s, flag));
    }
    return 0;
}

static int take_keyattr(struct xml_options *o, const json_t *v, struct cb_error *err)
{
    json_t *item;
    size_t i;

    if (json_is_object(v)) {
        return take_keyattr_hash(o, v, err);
    }
    if (json_is_null(v) || (json_is_array(v) && json_array_size(v) == 0)) {
        o->keyattr = XML_KEYATTR_NONE;
        return 0;
    }
    o->keyattr = XML_KEYATTR_LIST;
    o->keyattr_list = json_array();
    if (!o->keyattr_list) {
        return OOM(err);
    }
    if (!json_is_array(v)) {
        char buf[64];

        json_array_append_new(o->keyattr_list, json_string(xml_perl_string(v, buf)));
        return 0;
    }
    json_array_foreach(v, i, item)
    {
        char buf[64];
        const char *s = xml_perl_string(item, buf);

        if (!s) {
            return cb_error_set(err, CB_E_INVALID_PARAM, "option KeyAttr must list names");
        }
        json_array_append_new(o->keyattr_list, json_string(s));
    }
    return 0;
}

static int take_grouptags(struct xml_options *o, const json_t *v, struct cb_error *err)
{
    const char *k;
    json_t *val;

    if (!json_is_object(v)) {
        return cb_error_set(err, CB_E_INVALID_PARAM,
                            "illegal value for option GroupTags: expected a hash");
    }
    json_object_foreach((json_t *)v, k, val)
    {
        if (!json_is_string(val)) {
            return cb_error_set(err, CB_E_INVALID_PARAM,
                                "option GroupTags: the value of '%s' must be a name", k);
        }
        if (strcmp(k, json_string_value(val)) == 0) {
            return cb_error_set(err, CB_E_INVALID_PARAM, "bad value in GroupTags: '%s' => '%s'", k,
                                k);
        }
    }
    o->grouptags = json_incref((json_t *)v);
    return 0;
}

static int take_valueattr(struct xml_options *o, const json_t *v, struct cb_error *err)
{
    if (json_is_array(v)) {
        return string_set(v, "ValueAttr", &o->valueattr_list, err);
    }
    if (!json_is_object(v)) {
        return cb_error_set(err, CB_E_INVALID_PARAM,
                            "option ValueAttr must be a list of names or a hash");
    }
    o->valueattr_hash = json_incref((json_t *)v);
    return 0;
}

static int take_variables(struct xml_options *o, const json_t *v, struct cb_error *err)
{
    const char *k;
    json_t *val;

    if (json_is_null(v)) {
        return 0;
    }
    if (!json_is_object(v)) {
        return cb_error_set(err, CB_E_INVALID_PARAM,
                            "illegal value for option Variables: expected a hash");
    }
    if (!o->vars) {
        o->vars = json_object();
    }
    json_object_foreach((json_t *)v, k, val)
    {
        char buf[64];
        const char *s = xml_perl_string(val, buf);

        json_object_set_new(o->vars, k, json_string(s ? s : ""));
    }
    return 0;
}

static int take_one(struct xml_options *o, int which, const json_t *v, struct cb_error *err)
{
    char buf[64];
    const char *s;

    switch (which) {
    case O_KEYATTR:
        return take_keyattr(o, v, err);
    case O_FORCEARRAY:
        return take_forcearray(o, v, err);
    case O_KEEPROOT:
        o->keeproot = xml_perl_true(v);
        return 0;
    case O_FORCECONTENT:
        o->forcecontent = xml_perl_true(v);
        return 0;
    case O_NOATTR:
        o->noattr = xml_perl_true(v);
        return 0;
    case O_NSEXPAND:
        o->nsexpand = xml_perl_true(v);
        return 0;
    case O_STRICTMODE:
        o->strict = xml_perl_true(v);
        return 0;
    case O_NOESCAPE:
        o->noescape = xml_perl_true(v);
        return 0;
    case O_NOINDENT:
        o->noindent = xml_perl_true(v);
        return 0;
    case O_ATTRINDENT:
        o->attrindent = xml_perl_true(v);
        return 0;
    case O_NOSORT:
        o->nosort = xml_perl_true(v);
        return 0;
    case O_CONTENTKEY:
        if (scalar_text(v, "ContentKey", &o->contentkey, err) < 0) {
            return -EINVAL;
        }
        if (o->contentkey[0] == '-') {
            memmove(o->contentkey, o->contentkey + 1, strlen(o->contentkey));
            o->collapseagain = true;
        }
        return 0;
    case O_SUPPRESSEMPTY:
        o->suppressempty_given = true;
        o->suppressempty = json_incref((json_t *)v);
        return 0;
    case O_GROUPTAGS:
        return take_grouptags(o, v, err);
    case O_VARATTR:
        return xml_perl_true(v) ? scalar_text(v, "VarAttr", &o->varattr, err) : 0;
    case O_VARIABLES:
        return take_variables(o, v, err);
    case O_NORMALISESPACE:
    case O_NORMALIZESPACE:
        s = xml_perl_string(v, buf);
        o->normalisespace = s ? atoi(s) : 0;
        return 0;
    case O_VALUEATTR:
        return take_valueattr(o, v, err);
    case O_ROOTNAME:
        s = json_is_null(v) ? "" : xml_perl_string(v, buf);
        if (!s) {
            return cb_error_set(err, CB_E_INVALID_PARAM, "option RootName must be a name");
        }
        free(o->rootname);
        o->rootname = strdup(s);
        return o->rootname ? 0 : OOM(err);
    case O_XMLDECL:
        if (!xml_perl_true(v)) {
            return 0;
        }
        s = xml_perl_string(v, buf);
        if (!s) {
            return cb_error_set(err, CB_E_INVALID_PARAM, "option XMLDecl must be text or 1");
        }
        o->xmldecl = strdup(strcmp(s, "1") == 0 ? "<?xml version='1.0' standalone='yes'?>" : s);
        return o->xmldecl ? 0 : OOM(err);
    case O_NUMERICESCAPE:
        s = xml_perl_string(v, buf);
        o->numericescape = !xml_perl_true(v) ? 0 : (s && strcmp(s, "2") == 0) ? 2 : 1;
        return 0;
    default: /* Cache, ParserOpts: accepted and ignored */
        return 0;
    }
}

static bool is_default_keyattr(const json_t *list)
{
    static const char *const def[] = { "name", "key", "id" };

    if (json_array_size(list) != CB_ELEMENTSOF(def)) {
        return false;
    }
    for (size_t i = 0; i < CB_ELEMENTSOF(def); i++) {
        if (strcmp(json_string_value(json_array_get(list, i)), def[i]) != 0) {
            return false;
        }
    }
    return true;
}

/* StrictMode's demands of XMLin and XMLout. */
static int check_strict(struct xml_options *o, bool saw[_O_MAX], struct cb_error *err)
{
    const char *elem;
    json_t *spec;

    if (o->in && !saw[O_FORCEARRAY]) {
        return cb_error_set(err, CB_E_INVALID_PARAM,
                            "no value specified for 'ForceArray' option in call to XMLin()");
    }
    if (!saw[O_KEYATTR]) {
        return cb_error_set(err, CB_E_INVALID_PARAM,
                            "no value specified for 'KeyAttr' option in call to XML%s()",
                            o->in ? "in" : "out");
    }
    if (!o->in || o->keyattr != XML_KEYATTR_HASH || o->forcearray == 1) {
        return 0;
    }
    json_object_foreach(o->keyattr_hash, elem, spec)
    {
        if (!o->forcearray_names || !json_object_get(o->forcearray_names, elem)) {
            return cb_error_set(err, CB_E_INVALID_PARAM,
                                "<%s> set in KeyAttr but not in ForceArray", elem);
        }
    }
    return 0;
}

int xml_options_parse(const json_t *options, bool in, struct xml_options *o, struct cb_error *err)
{
    bool saw[_O_MAX] = { false };
    const char *key;
    json_t *v;
    int r;

    *o = (struct xml_options){ .in = in };
    if (options && !json_is_object(options)) {
        return cb_error_set(err, CB_E_INVALID_PARAM, "parameter 'options' must be an object");
    }
    json_object_foreach((json_t *)options, key, v)
    {
        int which = find_option(key, in, err);

        if (which < 0) {
            return which;
        }
        /* NormaliseSpace and NormalizeSpace are one option under two spellings. */
        if (which == O_NORMALIZESPACE) {
            which = O_NORMALISESPACE;
        }
        if (saw[which]) {
            return cb_error_set(err, CB_E_INVALID_PARAM, "option '%s' is given twice", key);
        }
        saw[which] = true;
        r = take_one(o, which, v, err);
        if (r < 0) {
            return r;
        }
    }
    if (!saw[O_KEYATTR]) {
        o->keyattr = XML_KEYATTR_LIST;
        o->keyattr_list = json_pack("[sss]", "name", "key", "id");
    }
    o->keyattr_default = o->keyattr == XML_KEYATTR_LIST && is_default_keyattr(o->keyattr_list);
    if (!o->contentkey) {
        o->contentkey = strdup("content");
    }
    if (!saw[O_ROOTNAME]) {
        o->rootname = strdup("opt");
    }
    if (o->varattr && !o->vars) {
        o->vars = json_object();
    }
    if (!o->contentkey || !o->rootname) {
        return OOM(err);
    }
    return o->strict ? check_strict(o, saw, err) : 0;
}

void xml_options_done(struct xml_options *o)
{
    json_decref(o->keyattr_list);
    json_decref(o->keyattr_hash);
    json_decref(o->forcearray_names);
    json_decref(o->suppressempty);
    json_decref(o->grouptags);
    json_decref(o->valueattr_hash);
    json_decref(o->valueattr_list);
    json_decref(o->vars);
    free(o->contentkey);
    free(o->varattr);
    free(o->rootname);
    free(o->xmldecl);
    *o = (struct xml_options){ 0 };
}
