/* SPDX-License-Identifier: MIT */
/* The xpath module: documents kept per session and XPath 1.0 queries on them. */
#include "services/xml/xml-internal.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/xmlerror.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#include "common/cb-json.h"
#include "common/cb-session.h"

#define OOM(err) cb_error_set(err, CB_E_INTERNAL, "out of memory")

/* Steps one query may take (libxml2 counts them): a few seconds of work. An expression that
 * counts every element for every element is quadratic in the document, and would otherwise
 * hold the session's worker for as long as it likes. */
#define XPATH_OP_LIMIT 100000000UL

/* The document a call works on and the context node of its query. */
struct query {
    struct cb_handle *handle;
    struct xml_doc *doc;
    xmlNodePtr context;
    xmlXPathObjectPtr result;
};

int xpath_load(struct cb_call *call, json_t **ret, struct cb_error *err)
{
    struct xml_doc *d;
    const char *id;
    bool cached;
    int r;

    r = xml_doc_load(call, &d, &cached, err);
    if (r < 0) {
        return r;
    }
    r = cb_handle_create(call->registry, call->session, XML_DOC_KIND, XML_DOC_PREFIX, d,
                         xml_doc_unref, &id, err);
    if (r < 0) {
        return r;
    }
    *ret = json_pack("{s:s, s:s, s:b, s:i}", "document_id", id, "root_name", d->root_name, "cached",
                     cached, "nodes", (json_int_t)d->n_nodes);
    return *ret ? 0 : OOM(err);
}

/* The document named by document_id, by node_id's parent, or the session's current one. */
static int document_id_of(struct cb_call *call,
                          const char **ret,
                          char buf[XML_ID_MAX],
                          struct cb_error *err)
{
    const char *doc = cb_json_get_string(call->params, "document_id", NULL);
    const char *node = cb_json_get_string(call->params, "node_id", NULL);

    *ret = doc;
    if (!node) {
        return 0;
    }
    if (cb_child_id_parent(node, XML_NODE_PREFIX, XML_DOC_PREFIX, buf, XML_ID_MAX) < 0) {
        return cb_error_set(err, CB_E_HANDLE, "'%s' is not a node id", node);
    }
    if (doc && strcmp(doc, buf) != 0) {
        return cb_error_set(err, CB_E_INVALID_PARAM,
                            "node '%s' belongs to another document than '%s'", node, doc);
    }
    *ret = buf;
    return 0;
}

static int context_of(struct cb_call *call, struct query *q, struct cb_error *err)
{
    const char *node = cb_json_get_string(call->params, "node_id", NULL);
    const char *m;
    char *end;
    uint64_t ord;

    q->context = (xmlNodePtr)q->doc->doc;
    if (!node) {
        return 0;
    }
    m = strrchr(node, '-');
    ord = strtoull(m + 1, &end, 16);
    q->context = *end ? NULL : xml_doc_node(q->doc, ord);
    if (!q->context) {
        return cb_error_set(err, CB_E_HANDLE, "node '%s' is not in document '%s'", node,
                            q->handle->id);
    }
    return 0;
}

static void query_end(struct cb_call *call, struct query *q)
{
    xmlXPathFreeObject(q->result);
    if (q->doc) {
        pthread_mutex_unlock(&q->doc->lock);
    }
    if (q->handle) {
        cb_handle_release(call->registry, q->handle);
    }
    *q = (struct query){ 0 };
}

static int query_begin(struct cb_call *call, struct query *q, struct cb_error *err)
{
    struct cb_error inner = CB_ERROR_INIT;
    char buf[XML_ID_MAX];
    const char *id;
    int r;

    *q = (struct query){ 0 };
    r = document_id_of(call, &id, buf, err);
    if (r < 0) {
        return r;
    }
    r = cb_handle_acquire(call->registry, call->session, XML_DOC_KIND, id, &q->handle, &inner);
    if (r < 0 && !id) {
        cb_error_clear(&inner);
        return cb_error_set(err, CB_E_HANDLE, "no current document; call xpath.load first");
    }
    if (r < 0) {
        cb_error_move(err, &inner);
        return r;
    }
    q->doc = q->handle->object;
    pthread_mutex_lock(&q->doc->lock);
    r = context_of(call, q, err);
    if (r < 0) {
        query_end(call, q);
    }
    return r;
}

/* Prefixes the root element declares, then the call's own `namespaces`. */
static int register_namespaces(struct cb_call *call,
                               xmlXPathContextPtr ctx,
                               xmlDocPtr doc,
                               struct cb_error *err)
{
    json_t *given = json_object_get(call->params, "namespaces");
    xmlNodePtr root = xmlDocGetRootElement(doc);
    const char *prefix;
    json_t *uri;

    for (xmlNsPtr ns = root ? root->nsDef : NULL; ns; ns = ns->next) {
        if (ns->prefix) {
            xmlXPathRegisterNs(ctx, ns->prefix, ns->href);
        }
    }
    json_object_foreach(given, prefix, uri)
    {
        if (!json_is_string(uri) || !*prefix) {
            return cb_error_set(err, CB_E_INVALID_PARAM,
                                "parameter 'namespaces': '%s' must map a prefix to a URI string",
                                prefix);
        }
        if (xmlXPathRegisterNs(ctx, BAD_CAST prefix, BAD_CAST json_string_value(uri)) != 0) {
            return OOM(err);
        }
    }
    return 0;
}

static void quiet(void *data, const xmlError *e)
{
    (void)data;
    (void)e;
}

static int evaluate(struct cb_call *call, struct query *q, struct cb_error *err)
{
    const char *expr = cb_json_get_string(call->params, "xpath", "");
    xmlXPathContextPtr ctx = xmlXPathNewContext(q->doc->doc);
    int r;

    if (!ctx) {
        return OOM(err);
    }
    r = register_namespaces(call, ctx, q->doc->doc, err);
    if (r < 0) {
        xmlXPathFreeContext(ctx);
        return r;
    }
    xmlSetStructuredErrorFunc(NULL, (xmlStructuredErrorFunc)quiet);
    xmlResetLastError();
    ctx->node = q->context;
    ctx->opLimit = XPATH_OP_LIMIT;
    q->result = xmlXPathEvalExpression(BAD_CAST expr, ctx);
    xmlXPathFreeContext(ctx);
    if (!q->result) {
        const xmlError *e = xmlGetLastError();

        if (e && (e->code == XML_XPATH_EXPRESSION_OK + XPATH_OP_LIMIT_EXCEEDED ||
                  e->code == XML_XPATH_EXPRESSION_OK + XPATH_RECURSION_LIMIT_EXCEEDED)) {
            return cb_error_set(err, CB_E_TOO_LARGE,
                                "parameter 'xpath': '%s' takes more than %lu steps on this "
                                "document; narrow it (a path instead of //, a predicate first)",
                                expr, XPATH_OP_LIMIT);
        }
        char msg[200] = "invalid expression";
        size_t n;

        if (e && e->message) {
            snprintf(msg, sizeof msg, "%s", e->message);
        }
        n = strlen(msg);
        while (n > 0 && msg[n - 1] == '\n') {
            msg[--n] = '\0';
        }
        return cb_error_set(err, CB_E_INVALID_PARAM, "parameter 'xpath': %s in '%s'", msg, expr);
    }
    return 0;
}

/* The document, its context node and the query's result, or an error with nothing held. */
static int query_run(struct cb_call *call, struct query *q, struct cb_error *err)
{
    int r = query_begin(call, q, err);

    r = r < 0 ? r : evaluate(call, q, err);
    if (r < 0) {
        query_end(call, q);
    }
    return r;
}

static const char *result_type(const xmlXPathObject *o)
{
    switch (o->type) {
    case XPATH_NODESET:
        return "nodeset";
    case XPATH_BOOLEAN:
        return "boolean";
    case XPATH_NUMBER:
        return "number";
    default:
        return "string";
    }
}

static int nodes_json(struct query *q, json_t *res, struct cb_error *err)
{
    xmlNodeSetPtr set = q->result->nodesetval;
    int n = set ? set->nodeNr : 0;
    json_t *nodes = json_array();

    for (int i = 0; nodes && i < n; i++) {
        json_t *one = xpath_node_json(q->handle->id, set->nodeTab[i]);

        if (!one || json_array_append_new(nodes, one) < 0) {
            json_decref(nodes);
            nodes = NULL;
        }
    }
    if (!nodes) {
        return OOM(err);
    }
    json_object_set_new(res, "nodes", nodes);
    json_object_set_new(res, "size", json_integer(n));
    return 0;
}

static json_t *number_json(double d)
{
    /* JSON has no NaN or infinity: those travel as XPath writes them. */
    if (isnan(d)) {
        return json_string("NaN");
    }
    if (isinf(d)) {
        return json_string(d > 0 ? "Infinity" : "-Infinity");
    }
    if (d == floor(d) && fabs(d) < 9007199254740992.0) {
        return json_integer((json_int_t)d);
    }
    return json_real(d);
}

int xpath_find(struct cb_call *call, json_t **ret, struct cb_error *err)
{
    struct query q;
    json_t *res;
    int r;

    r = query_run(call, &q, err);
    if (r < 0) {
        return r;
    }
    res = json_pack("{s:s}", "type", result_type(q.result));
    switch (q.result->type) {
    case XPATH_NODESET:
        r = res ? nodes_json(&q, res, err) : OOM(err);
        break;
    case XPATH_BOOLEAN:
        json_object_set_new(res, "value", json_boolean(q.result->boolval));
        break;
    case XPATH_NUMBER:
        json_object_set_new(res, "value", number_json(q.result->floatval));
        break;
    default:
        json_object_set_new(res, "value",
                            json_string(q.result->stringval ? (const char *)q.result->stringval
                                                            : ""));
        break;
    }
    query_end(call, &q);
    if (r < 0) {
        json_decref(res);
        return r;
    }
    *ret = res;
    return *ret ? 0 : OOM(err);
}

/* XML::XPath's findvalue as text: a nodeset's string-values joined, numbers as Perl prints
 * them, booleans 1 and 0. */
static char *value_text(const xmlXPathObject *o)
{
    char buf[64];

    switch (o->type) {
    case XPATH_NODESET: {
        struct cb_buf b = { 0 };

        for (int i = 0; o->nodesetval && i < o->nodesetval->nodeNr; i++) {
            xmlNodePtr n = o->nodesetval->nodeTab[i];
            xmlChar *s = n->type == XML_NAMESPACE_DECL ? xmlStrdup(((xmlNsPtr)n)->href)
                                                       : xmlXPathCastNodeToString(n);

            if (s && cb_buf_append(&b, s, strlen((const char *)s)) < 0) {
                xmlFree(s);
                cb_buf_free(&b);
                return NULL;
            }
            xmlFree(s);
        }
        if (cb_buf_append(&b, "", 1) < 0) {
            cb_buf_free(&b);
            return NULL;
        }
        return b.data;
    }
    case XPATH_BOOLEAN:
        return strdup(o->boolval ? "1" : "0");
    case XPATH_NUMBER:
        if (isnan(o->floatval)) {
            return strdup("NaN");
        }
        if (isinf(o->floatval)) {
            return strdup(o->floatval > 0 ? "Infinity" : "-Infinity");
        }
        snprintf(buf, sizeof buf, "%.15g", o->floatval);
        return strdup(buf);
    default:
        return strdup(o->stringval ? (const char *)o->stringval : "");
    }
}

int xpath_findvalue(struct cb_call *call, json_t **ret, struct cb_error *err)
{
    struct query q;
    char *text;
    int r;

    r = query_run(call, &q, err);
    if (r < 0) {
        return r;
    }
    text = value_text(q.result);
    *ret = text ? json_pack("{s:s, s:s}", "value", text, "type", result_type(q.result)) : NULL;
    free(text);
    query_end(call, &q);
    return *ret ? 0 : OOM(err);
}

int xpath_exists(struct cb_call *call, json_t **ret, struct cb_error *err)
{
    struct query q;
    bool yes;
    int r;

    r = query_run(call, &q, err);
    if (r < 0) {
        return r;
    }
    yes = xmlXPathCastToBoolean(q.result);
    query_end(call, &q);
    *ret = json_pack("{s:b}", "exists", yes);
    return *ret ? 0 : OOM(err);
}

int xpath_count(struct cb_call *call, json_t **ret, struct cb_error *err)
{
    struct query q;
    int r, n;

    r = query_run(call, &q, err);
    if (r < 0) {
        return r;
    }
    n = q.result->type == XPATH_NODESET && q.result->nodesetval ? q.result->nodesetval->nodeNr : 0;
    query_end(call, &q);
    *ret = json_pack("{s:i}", "count", n);
    return *ret ? 0 : OOM(err);
}

static char *node_text(xmlDocPtr doc, xmlNodePtr node)
{
    xmlBufferPtr b;
    char *s = NULL;

    if (node == (xmlNodePtr)doc) {
        xmlChar *mem = NULL;
        int len = 0;

        xmlDocDumpMemoryEnc(doc, &mem, &len, "UTF-8");
        s = mem ? strndup((const char *)mem, (size_t)len) : NULL;
        xmlFree(mem);
        return s;
    }
    if (node->type == XML_ATTRIBUTE_NODE) {
        /* As XML::XPath writes an attribute: a leading space, name="value". */
        struct cb_buf out = { 0 };
        xmlChar *v = xmlNodeGetContent(node);
        int ok = cb_buf_append(&out, " ", 1) == 0 &&
                 (!node->ns || !node->ns->prefix ||
                  (cb_buf_append(&out, node->ns->prefix, strlen((const char *)node->ns->prefix)) ==
                           0 &&
                   cb_buf_append(&out, ":", 1) == 0)) &&
                 cb_buf_append(&out, node->name, strlen((const char *)node->name)) == 0 &&
                 cb_buf_append(&out, "=\"", 2) == 0 &&
                 xml_escape_append(&out, v ? (const char *)v : "", v ? strlen((const char *)v) : 0,
                                   0) == 0 &&
                 cb_buf_append(&out, "\"", 2) == 0;

        xmlFree(v);
        if (!ok) {
            cb_buf_free(&out);
        }
        return ok ? out.data : NULL;
    }
    b = xmlBufferCreate();
    if (b && xmlNodeDump(b, doc, node, 0, 0) >= 0) {
        s = strdup((const char *)xmlBufferContent(b));
    }
    xmlBufferFree(b);
    return s;
}

int xpath_to_string(struct cb_call *call, json_t **ret, struct cb_error *err)
{
    struct query q;
    char *text;
    int r;

    r = query_begin(call, &q, err);
    if (r < 0) {
        return r;
    }
    text = node_text(q.doc->doc, q.context);
    query_end(call, &q);
    *ret = text ? json_pack("{s:s}", "xml", text) : NULL;
    free(text);
    return *ret ? 0 : OOM(err);
}

int xpath_close(struct cb_call *call, json_t **ret, struct cb_error *err)
{
    struct cb_error inner = CB_ERROR_INIT;
    const char *id = cb_json_get_string(call->params, "document_id", NULL);
    struct cb_handle *h;
    char *closed;
    int r;

    r = cb_handle_acquire(call->registry, call->session, XML_DOC_KIND, id, &h, &inner);
    if (r < 0 && !id) {
        cb_error_clear(&inner);
        return cb_error_set(err, CB_E_HANDLE, "no current document; call xpath.load first");
    }
    if (r < 0) {
        cb_error_move(err, &inner);
        return r;
    }
    closed = strdup(h->id);
    cb_handle_end(call->registry, h, "closed by xpath.close");
    *ret = closed ? json_pack("{s:s, s:b}", "document_id", closed, "closed", true) : NULL;
    free(closed);
    return *ret ? 0 : OOM(err);
}
