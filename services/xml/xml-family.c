/* SPDX-License-Identifier: MIT */
/* The xml family's handler table. */
#include "services/xml/xml-internal.h"

/* Parsing and queries take time in proportion to the document: every call goes to the
 * session's worker, none runs on the loop thread. */
static const struct cb_handler xml_handlers[] = {
    { "xml_helper", "xml_in", xml_in, false },
    { "xml_helper", "xml_out", xml_out, false },
    { "xml_helper", "escape_xml", xml_escape, false },
    { "xml_helper", "unescape_xml", xml_unescape, false },
    { "xpath", "load", xpath_load, false },
    { "xpath", "find", xpath_find, false },
    { "xpath", "findvalue", xpath_findvalue, false },
    { "xpath", "exists", xpath_exists, false },
    { "xpath", "count", xpath_count, false },
    { "xpath", "to_string", xpath_to_string, false },
    { "xpath", "close", xpath_close, false },
};

const struct cb_family xml_family = {
    .name = "xml",
    .handlers = xml_handlers,
    .n_handlers = CB_ELEMENTSOF(xml_handlers),
    .session_ops = { .data_new = xml_session_new, .data_free = xml_session_free },
};
