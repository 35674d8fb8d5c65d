/* SPDX-License-Identifier: MIT */
/* cpan-bridge-xml: the xml family daemon (and its one-shot mode). */
#include <libxml/parser.h>

#include "services/xml/xml-internal.h"

int main(int argc, char **argv)
{
    int r;

    /* Before any thread exists, as libxml2 asks. */
    xml_parse_init();
    r = cb_family_main(&xml_family, argc, argv);
    xmlCleanupParser();
    return r;
}
