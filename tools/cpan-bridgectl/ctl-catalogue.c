/* SPDX-License-Identifier: MIT */
/* cpan-bridgectl catalogue: system.catalogue's modules and functions, one table per module. */
#include <errno.h>
#include <string.h>

#include "common/cb-buf.h"
#include "common/cb-json.h"
#include "tools/cpan-bridgectl/ctl-internal.h"

static int append_text(struct cb_buf *out, const char *s)
{
    return cb_buf_append(out, s, strlen(s));
}

/* "ms:int, [name:text=x]": required parameters bare, optional ones in brackets. */
static int append_param(struct cb_buf *out, const char *name, const json_t *p)
{
    bool required = json_is_true(json_object_get(p, "required"));
    const json_t *def = json_object_get(p, "default");
    CB_CLEANUP(cb_freep) char *shown_name = ctl_escape(name, strlen(name));
    CB_CLEANUP(cb_freep) char *type = ctl_value_text(json_object_get(p, "type"));
    CB_CLEANUP(cb_freep) char *def_text = def && !json_is_null(def) ? ctl_value_text(def) : NULL;

    if (!shown_name || !type) {
        return -ENOMEM;
    }
    if ((out->len && append_text(out, ", ") < 0) || (!required && append_text(out, "[") < 0) ||
        append_text(out, shown_name) < 0 || append_text(out, ":") < 0 ||
        append_text(out, type) < 0 || (def_text && append_text(out, "=") < 0) ||
        (def_text && append_text(out, def_text) < 0) || (!required && append_text(out, "]") < 0)) {
        return -ENOMEM;
    }
    return 0;
}

static char *params_text(const json_t *function)
{
    struct cb_buf out = { 0 };
    const char *name;
    const json_t *p;
    int r = 0;

    if (json_is_true(json_object_get(function, "open_params"))) {
        r = append_text(&out, "any");
    }
    json_object_foreach((json_t *)ctl_get(function, "params"), name, p)
    {
        if (r >= 0) {
            r = append_param(&out, name, p);
        }
    }
    if (r >= 0 && out.len == 0) {
        r = append_text(&out, "none");
    }
    return ctl_text_finish(&out, r);
}

/* "creates test", "ends test", "uses test": what the function does to handles. */
static char *handle_text(const json_t *function)
{
    const json_t *creates = ctl_get(function, "creates");
    const json_t *ends = ctl_get(function, "ends");
    const json_t *uses = ctl_get(function, "uses");
    CB_CLEANUP(cb_freep) char *kind = NULL;
    char *text = NULL;

    if (creates || ends) {
        kind = ctl_value_text(creates ? creates : ends);
        if (kind && asprintf(&text, "%s %s", creates ? "creates" : "ends", kind) < 0) {
            text = NULL;
        }
        return text;
    }
    if (json_array_size(uses) > 0) {
        kind = ctl_value_text(json_array_get(uses, 0));
        if (kind && asprintf(&text, "uses %s", kind) < 0) {
            text = NULL;
        }
        return text;
    }
    return strdup("-");
}

static void add_function(struct ctl_table *t, const char *name, const json_t *f)
{
    CB_CLEANUP(cb_freep) char *params = params_text(f);
    CB_CLEANUP(cb_freep) char *handle = handle_text(f);
    const json_t *aliases = ctl_get(f, "aliases");
    const json_t *alias_of = ctl_get(f, "alias_of");

    ctl_table_add_text(t, name);
    ctl_table_add_value(t, ctl_get(f, "mode"));
    ctl_table_add_value(t, ctl_get(f, "idempotent"));
    ctl_table_add(t, handle ? handle : "?");
    if (alias_of) {
        CB_CLEANUP(cb_freep) char *of = ctl_value_text(alias_of);
        CB_CLEANUP(cb_freep) char *text = NULL;

        if (of && asprintf(&text, "= %s", of) < 0) {
            text = NULL;
        }
        ctl_table_add(t, text ? text : "?");
    } else {
        ctl_table_add_value(t, json_array_size(aliases) > 0 ? aliases : NULL);
    }
    ctl_table_add(t, params ? params : "?");
}

static void print_module(const char *name, const json_t *module)
{
    static const char *const headers[] = { "FUNCTION", "MODE",       "IDEMPOTENT", "HANDLE",
                                           "ALIASES",  "PARAMETERS", NULL };
    CB_CLEANUP(ctl_table_freep) struct ctl_table *t = ctl_table_new(headers);
    const json_t *aliases = ctl_get(module, "aliases");
    const char *fname;
    const json_t *f;

    ctl_print_escaped(stdout, name, strlen(name));
    fputs(" (family ", stdout);
    ctl_print_value(stdout, ctl_get(module, "family"));
    if (json_array_size(aliases) > 0) {
        fputs(", also ", stdout);
        ctl_print_value(stdout, aliases);
    }
    fputs(")\n", stdout);

    json_object_foreach((json_t *)ctl_get(module, "functions"), fname, f)
    {
        add_function(t, fname, f);
    }
    (void)ctl_table_print(t, stdout, 2);
}

static void print_catalogue(const json_t *result)
{
    const char *name;
    const json_t *module;
    bool first = true;

    json_object_foreach((json_t *)ctl_get(result, "modules"), name, module)
    {
        if (!first) {
            fputc('\n', stdout);
        }
        print_module(name, module);
        first = false;
    }
    if (first) {
        printf("no modules\n");
    }
    printf("\nmode: S stateless, R rebuildable in process mode, D daemon mode only\n");
}

int ctl_cmd_catalogue(struct ctl_options *o, int argc, char **argv)
{
    static const struct option options[] = { CTL_COMMON_OPTIONS };
    const struct ctl_args a = { .argc = argc, .argv = argv, .options = options };
    CB_JSON_AUTO *params = json_object();
    const char *arg = NULL;
    int c, status = 0;

    c = ctl_next_option(o, &a, &arg, &status);
    if (c == CTL_OPT_EXIT) {
        return status;
    }
    if (argc - optind > 1) {
        return ctl_usage_error("catalogue takes at most one MODULE");
    }
    if (optind < argc && json_object_set_new(params, "module", json_string(argv[optind])) < 0) {
        return ctl_usage_error("catalogue: MODULE is not valid UTF-8");
    }
    return ctl_run_simple(o, "catalogue", CB_TAKE_PTR(params), print_catalogue);
}
