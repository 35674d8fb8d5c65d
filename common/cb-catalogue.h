/* SPDX-License-Identifier: MIT */
/*
 * The one catalogue of DESIGN.md: every module and function, its family, aliases, parameter
 * schema, handle kinds, idempotency, process-mode class and default timeout. The router, the
 * family daemons, cpan-bridge-exec and system.catalogue all read this table.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "common/cb-error.h"

/* API.md 1.2 type tags. */
enum cb_param_type {
    CB_TYPE_TEXT,
    CB_TYPE_SQL,
    CB_TYPE_XPATH,
    CB_TYPE_REGEX,
    CB_TYPE_MARKUP,
    CB_TYPE_CONFIG,
    CB_TYPE_DSN,
    CB_TYPE_URL,
    CB_TYPE_HOST,
    CB_TYPE_EMAIL,
    CB_TYPE_PATH,
    CB_TYPE_RPATH,
    CB_TYPE_SECRET,
    CB_TYPE_DATA,
    CB_TYPE_BYTES,
    CB_TYPE_INT,
    CB_TYPE_NUM,
    CB_TYPE_BOOL,
    CB_TYPE_OBJ,
    CB_TYPE_ARR,
    CB_TYPE_HANDLE,
    CB_TYPE_ENUM,
    CB_TYPE_MOMENT,
    _CB_TYPE_MAX,
};

/* API.md 1.4. */
enum cb_mode_class {
    CB_MODE_STATELESS,   /* S */
    CB_MODE_REBUILDABLE, /* R */
    CB_MODE_DAEMON_ONLY, /* D */
};

struct cb_param {
    const char *name;
    enum cb_param_type type;
    bool required;
    const char *default_json;       /* the default as JSON text, or NULL for none */
    const char *const *aliases;     /* NULL-terminated, or NULL */
    const char *const *enum_values; /* canonical spellings for CB_TYPE_ENUM, NULL-terminated */
    bool has_range;                 /* int and num: min and max apply */
    int64_t min, max;
    const char *handle_kind; /* CB_TYPE_HANDLE: the kind it names */
    /* CB_TYPE_ARR of objects: the keys of each element that hold local paths, which the
     * client makes absolute as it does `path` parameters. NULL-terminated, or NULL. */
    const char *const *item_paths;
    /* CB_TYPE_MARKUP: the value is a file's path when it is not XML (does not start with
     * '<'), so the client makes it absolute then, as it does `path` parameters. */
    bool path_unless_markup;
};

struct cb_function {
    const char *name;
    const char *const *aliases;
    const struct cb_param *params;
    size_t n_params;
    bool open_params; /* any names, values as free text (test.ping, test.echo) */
    bool idempotent;
    enum cb_mode_class mode;
    const char *creates;         /* handle kind made, or NULL */
    const char *const *uses;     /* handle kinds used, NULL-terminated, or NULL */
    const char *ends;            /* handle kind ended, or NULL */
    uint32_t default_timeout_ms; /* 0: none beyond the client's own */
    const char *answered_by;     /* "router" when the router answers it, else NULL */
    const char *alias_of;        /* "system.stats" for test.stats: the router answers that one */
};

struct cb_module {
    const char *name;
    const char *const *aliases;
    const char *family;
    const struct cb_function *functions;
    size_t n_functions;
};

struct cb_family_info {
    const char *name;
    const char *binary; /* cpan-bridge-<name> */
};

/* The whole table. */
const struct cb_module *cb_catalogue_modules(size_t *ret_count);
const struct cb_family_info *cb_catalogue_families(size_t *ret_count);

/* Looks a module up by name or alias; NULL when unknown. */
const struct cb_module *cb_catalogue_find_module(const char *name);

/* Looks a function of a module up by name or alias; NULL when unknown. */
const struct cb_function *cb_catalogue_find_function(const struct cb_module *module,
                                                     const char *name);

/* Family record by name; NULL when unknown. */
const struct cb_family_info *cb_catalogue_find_family(const char *name);

/*
 * Resolves module and function names (aliases included) into catalogue entries.
 * Returns 0, or -ENOENT with reterr set to E_UNKNOWN_MODULE or E_UNKNOWN_FUNCTION.
 */
int cb_catalogue_resolve(const char *module_name,
                         const char *function_name,
                         const struct cb_module **ret_module,
                         const struct cb_function **ret_function,
                         struct cb_error *reterr);

/*
 * Checks params against the function's schema and returns a new object with aliases renamed
 * to primary names, values coerced as API.md 1.1 says (decimal strings to numbers, 1/0 to
 * booleans, enums to their canonical spelling), nulls of optional parameters dropped and
 * defaults filled in. Open-parameter functions get a new reference to params unchanged.
 * Returns 0, or -EINVAL with reterr set to E_INVALID_PARAM naming the parameter (never
 * echoing its value).
 */
int cb_catalogue_check_params(const struct cb_function *function,
                              json_t *params,
                              json_t **ret_params,
                              struct cb_error *reterr);

/* "text", "int", ... */
const char *cb_param_type_to_string(enum cb_param_type type);
/* "S", "R", "D" */
const char *cb_mode_class_to_string(enum cb_mode_class mode);

/* The catalogue as the system.catalogue result (API.md 3.1); module NULL for all of them. */
json_t *cb_catalogue_to_json(const struct cb_module *module);
