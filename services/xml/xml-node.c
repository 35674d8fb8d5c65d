/* SPDX-License-Identifier: MIT */
/* A node of an XPath result as xpath.find describes it. */
#include "services/xml/xml-internal.h"

#include <string.h>

#include <libxml/xpath.h>

#include "common/cb-session.h"

static const char *type_name(const xmlNode *node)
{
    switch (node->type) {
    case XML_ELEMENT_NODE:
        return "element";
    case XML_ATTRIBUTE_NODE:
        return "attribute";
    case XML_TEXT_NODE:
    case XML_CDATA_SECTION_NODE:
        return "text";
    case XML_COMMENT_NODE:
        return "comment";
    case XML_PI_NODE:
        return "pi";
    case XML_NAMESPACE_DECL:
        return "namespace";
    case XML_DOCUMENT_NODE:
    case XML_HTML_DOCUMENT_NODE:
        return "document";
    default:
        return "other";
    }
}

/* What XPath's name() gives: the qualified name, a PI's target, a namespace's prefix. */
static json_t *name_of(const xmlNode *node)
{
    char buf[512];

    if (node->type == XML_NAMESPACE_DECL) {
        const xmlNs *ns = (const xmlNs *)node;

        return json_string(ns->prefix ? (const char *)ns->prefix : "");
    }
    if (node->type != XML_ELEMENT_NODE && node->type != XML_ATTRIBUTE_NODE &&
        node->type != XML_PI_NODE) {
        return json_string("");
    }
    if (node->ns && node->ns->prefix && node->type != XML_PI_NODE) {
        snprintf(buf, sizeof buf, "%s:%s", node->ns->prefix, node->name);
        return json_string(buf);
    }
    return json_string((const char *)node->name);
}

static json_t *attributes_of(const xmlNode *node)
{
    json_t *attrs = json_object();

    if (node->type != XML_ELEMENT_NODE) {
        return attrs;
    }
    for (xmlAttrPtr a = node->properties; a && attrs; a = a->next) {
        xmlChar *v = xmlNodeGetContent((xmlNodePtr)a);
        json_t *name = name_of((xmlNodePtr)a);

        json_object_set_new(attrs, json_string_value(name), json_string(v ? (const char *)v : ""));
        json_decref(name);
        xmlFree(v);
    }
    return attrs;
}

static json_t *string_value(xmlNodePtr node)
{
    xmlChar *s;
    json_t *v;

    if (node->type == XML_NAMESPACE_DECL) {
        return json_string((const char *)((xmlNsPtr)node)->href);
    }
    s = xmlXPathCastNodeToString(node);
    v = json_string(s ? (const char *)s : "");
    xmlFree(s);
    return v;
}

json_t *xpath_node_json(const char *doc_id, xmlNodePtr node)
{
    int64_t ord = xml_doc_ordinal(node);
    json_t *id = json_null(), *path = json_null();
    char buf[XML_ID_MAX];

    if (ord >= 0 && cb_child_id_make(doc_id, XML_DOC_PREFIX, XML_NODE_PREFIX, (uint64_t)ord, buf,
                                     sizeof buf) == 0) {
        id = json_string(buf);
    }
    if (node->type != XML_NAMESPACE_DECL) {
        xmlChar *p = xmlGetNodePath(node);

        if (p) {
            path = json_string((const char *)p);
            xmlFree(p);
        }
    }
    return json_pack("{s:o, s:o, s:o, s:o, s:o, s:s}", "name", name_of(node), "value",
                     string_value(node), "attributes", attributes_of(node), "node_id", id, "path",
                     path, "type", type_name(node));
}
