/* SPDX-License-Identifier: MIT */
/* xml_helper.xml_in and xml_out: XML::Simple's XMLin and XMLout. */
#include "services/xml/xml-internal.h"

#include <stdlib.h>

#include <libxml/parser.h>

int xml_in(struct cb_call *call, json_t **ret, struct cb_error *err)
{
    struct xml_options o;
    struct xml_source src = { .fd = -1 };
    xmlDocPtr doc = NULL;
    int r;

    r = xml_options_parse(json_object_get(call->params, "options"), true, &o, err);
    if (r >= 0) {
        r = xml_source_open(call, &src, err);
        if (r >= 0) {
            r = xml_parse_memory(src.text, src.len, &doc, err);
        }
        xml_source_done(&src);
    }
    if (r >= 0) {
        r = xml_collapse_document(doc, &o, ret, err);
    }
    xmlFreeDoc(doc);
    xml_options_done(&o);
    return r;
}

int xml_out(struct cb_call *call, json_t **ret, struct cb_error *err)
{
    struct xml_options o;
    char *text = NULL;
    int r;

    r = xml_options_parse(json_object_get(call->params, "options"), false, &o, err);
    if (r >= 0) {
        r = xml_out_render(json_object_get(call->params, "data"), &o, &text, err);
    }
    if (r >= 0) {
        *ret = json_string(text);
        r = *ret ? 0 : cb_error_set(err, CB_E_INTERNAL, "out of memory");
    }
    free(text);
    xml_options_done(&o);
    return r;
}
