/* SPDX-License-Identifier: MIT */
/* XML documents through the safe parser, XMLin's collapse under a few option sets, XMLout of
 * what came out, and the document numbering of xpath. */
#include <stdlib.h>

#include <libxml/parser.h>

#include "services/xml/xml-internal.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    xml_parse_init();
    return 0;
}

/* The option sets, picked by the input's first byte. */
static const char *const option_sets[] = {
    "{}",
    "{\"ForceArray\": 1, \"KeyAttr\": []}",
    "{\"KeyAttr\": {\"item\": \"+id\"}, \"ContentKey\": \"-content\", \"GroupTags\": {\"list\": \"item\"}}",
    "{\"KeepRoot\": 1, \"NSExpand\": 1, \"SuppressEmpty\": \"\", \"NormaliseSpace\": 2}",
    "{\"VarAttr\": \"name\", \"Variables\": {\"x\": \"y\"}, \"ValueAttr\": [\"value\"]}",
    "{\"StrictMode\": 1, \"ForceArray\": [\"item\"], \"KeyAttr\": {\"item\": \"id\"}}",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *opts_text = option_sets[size ? data[0] % CB_ELEMENTSOF(option_sets) : 0];
    struct cb_error err = CB_ERROR_INIT;
    struct xml_options in, out;
    json_t *opts = json_loads(opts_text, 0, NULL), *value = NULL;
    xmlDocPtr doc = NULL;
    char *text = NULL;

    if (size) {
        data++;
        size--;
    }
    if (!opts || xml_options_parse(opts, true, &in, &err) < 0) {
        abort(); /* the fixed option sets are all valid */
    }
    if (xml_parse_memory((const char *)data, size, &doc, &err) == 0 &&
        xml_collapse_document(doc, &in, &value, &err) == 0) {
        if (xml_options_parse(NULL, false, &out, &err) == 0 &&
            xml_out_render(value, &out, &text, &err) == 0) {
            free(text);
        }
        xml_options_done(&out);
        json_decref(value);
    }
    cb_error_clear(&err);
    xmlFreeDoc(doc);
    xml_options_done(&in);
    json_decref(opts);
    return 0;
}
