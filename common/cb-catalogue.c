/* SPDX-License-Identifier: MIT */
/* Catalogue lookups by name and alias, and the catalogue as a JSON document. */
#include "common/cb-catalogue.h"

#include <string.h>

#include "common/cb-catalogue-internal.h"

static bool name_matches(const char *name, const char *const *aliases, const char *s)
{
    if (strcmp(name, s) == 0) {
        return true;
    }
    for (; aliases && *aliases; aliases++) {
        if (strcmp(*aliases, s) == 0) {
            return true;
        }
    }
    return false;
}

const struct cb_module *cb_catalogue_modules(size_t *ret_count)
{
    *ret_count = cb_catalogue_table_size;
    return cb_catalogue_table;
}

const struct cb_family_info *cb_catalogue_families(size_t *ret_count)
{
    *ret_count = cb_family_table_size;
    return cb_family_table;
}

const struct cb_module *cb_catalogue_find_module(const char *name)
{
    for (size_t i = 0; i < cb_catalogue_table_size; i++) {
        if (name_matches(cb_catalogue_table[i].name, cb_catalogue_table[i].aliases, name)) {
            return &cb_catalogue_table[i];
        }
    }
    return NULL;
}

const struct cb_function *cb_catalogue_find_function(const struct cb_module *module,
                                                     const char *name)
{
    for (size_t i = 0; i < module->n_functions; i++) {
        const struct cb_function *f = &module->functions[i];

        if (name_matches(f->name, f->aliases, name)) {
            return f;
        }
    }
    return NULL;
}

const struct cb_family_info *cb_catalogue_find_family(const char *name)
{
    for (size_t i = 0; i < cb_family_table_size; i++) {
        if (strcmp(cb_family_table[i].name, name) == 0) {
            return &cb_family_table[i];
        }
    }
    return NULL;
}

int cb_catalogue_resolve(const char *module_name,
                         const char *function_name,
                         const struct cb_module **ret_module,
                         const struct cb_function **ret_function,
                         struct cb_error *reterr)
{
    const struct cb_module *m;
    const struct cb_function *f;

    m = cb_catalogue_find_module(module_name);
    if (!m) {
        return cb_error_set(reterr, CB_E_UNKNOWN_MODULE, "unknown module '%s'", module_name);
    }
    f = cb_catalogue_find_function(m, function_name);
    if (!f) {
        return cb_error_set(reterr, CB_E_UNKNOWN_FUNCTION, "module '%s' has no function '%s'",
                            m->name, function_name);
    }

    *ret_module = m;
    *ret_function = f;
    return 0;
}

static const char *const type_names[_CB_TYPE_MAX] = {
    [CB_TYPE_TEXT] = "text",     [CB_TYPE_SQL] = "sql",       [CB_TYPE_XPATH] = "xpath",
    [CB_TYPE_REGEX] = "regex",   [CB_TYPE_MARKUP] = "markup", [CB_TYPE_CONFIG] = "config",
    [CB_TYPE_DSN] = "dsn",       [CB_TYPE_URL] = "url",       [CB_TYPE_HOST] = "host",
    [CB_TYPE_EMAIL] = "email",   [CB_TYPE_PATH] = "path",     [CB_TYPE_RPATH] = "rpath",
    [CB_TYPE_SECRET] = "secret", [CB_TYPE_DATA] = "data",     [CB_TYPE_BYTES] = "bytes",
    [CB_TYPE_INT] = "int",       [CB_TYPE_NUM] = "num",       [CB_TYPE_BOOL] = "bool",
    [CB_TYPE_OBJ] = "obj",       [CB_TYPE_ARR] = "arr",       [CB_TYPE_HANDLE] = "handle",
    [CB_TYPE_ENUM] = "enum",     [CB_TYPE_MOMENT] = "moment",
};

const char *cb_param_type_to_string(enum cb_param_type type)
{
    return type >= 0 && type < _CB_TYPE_MAX ? type_names[type] : "unknown";
}

const char *cb_mode_class_to_string(enum cb_mode_class mode)
{
    switch (mode) {
    case CB_MODE_STATELESS:
        return "S";
    case CB_MODE_REBUILDABLE:
        return "R";
    default:
        return "D";
    }
}

static json_t *names_to_json(const char *const *names)
{
    json_t *a = json_array();

    for (; names && *names; names++) {
        json_array_append_new(a, json_string(*names));
    }
    return a;
}

static json_t *param_to_json(const struct cb_param *p)
{
    json_t *o = json_object();
    json_t *def = p->default_json ? json_loads(p->default_json, JSON_DECODE_ANY, NULL) : NULL;

    json_object_set_new(o, "type", json_string(cb_param_type_to_string(p->type)));
    json_object_set_new(o, "required", json_boolean(p->required));
    json_object_set_new(o, "default", def ? def : json_null());
    json_object_set_new(o, "aliases", names_to_json(p->aliases));
    if (p->enum_values) {
        json_object_set_new(o, "values", names_to_json(p->enum_values));
    }
    if (p->has_range) {
        json_object_set_new(o, "min", json_integer(p->min));
        json_object_set_new(o, "max", json_integer(p->max));
    }
    if (p->handle_kind) {
        json_object_set_new(o, "handle_kind", json_string(p->handle_kind));
    }
    if (p->path_unless_markup) {
        json_object_set_new(o, "path_unless_markup", json_true());
    }
    if (p->item_paths) {
        json_object_set_new(o, "item_paths", names_to_json(p->item_paths));
    }
    return o;
}

static json_t *function_to_json(const struct cb_function *f)
{
    json_t *params = json_object();
    json_t *o;

    for (size_t i = 0; i < f->n_params; i++) {
        json_object_set_new(params, f->params[i].name, param_to_json(&f->params[i]));
    }

    o = json_pack("{s:o, s:b, s:o, s:s?, s:o, s:s?, s:s, s:b, s:I}", "aliases",
                  names_to_json(f->aliases), "open_params", f->open_params, "params", params,
                  "creates", f->creates, "uses", names_to_json(f->uses), "ends", f->ends, "mode",
                  cb_mode_class_to_string(f->mode), "idempotent", f->idempotent,
                  "default_timeout_ms", (json_int_t)f->default_timeout_ms);
    if (f->alias_of) {
        json_object_set_new(o, "alias_of", json_string(f->alias_of));
    }
    return o;
}

static json_t *module_to_json(const struct cb_module *m)
{
    json_t *functions = json_object();

    for (size_t i = 0; i < m->n_functions; i++) {
        json_object_set_new(functions, m->functions[i].name, function_to_json(&m->functions[i]));
    }
    return json_pack("{s:s, s:o, s:o}", "family", m->family, "aliases", names_to_json(m->aliases),
                     "functions", functions);
}

json_t *cb_catalogue_to_json(const struct cb_module *module)
{
    json_t *modules = json_object();

    for (size_t i = 0; i < cb_catalogue_table_size; i++) {
        const struct cb_module *m = &cb_catalogue_table[i];

        if (!module || module == m) {
            json_object_set_new(modules, m->name, module_to_json(m));
        }
    }
    return json_pack("{s:i, s:o}", "api_version", 1, "modules", modules);
}
