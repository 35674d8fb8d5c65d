/* SPDX-License-Identifier: MIT */
/* Parsing XML safely, and reading the caller's source: text in the request or a file. */
#include "services/xml/xml-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/xmlerror.h>

#include "common/cb-json.h"
#include "common/cb-path.h"

/*
 * Entities are substituted (NOENT), as every SAX parser XML::Simple uses does, which is
 * safe only because no external entity is ever loaded: this loader refuses them all, DTDs
 * included. Not DTDLOAD, not HUGE: libxml2's own amplification limits then refuse a
 * billion-laughs document, and NONET keeps the network out even if a loader were asked.
 * CDATA becomes plain text, as XPath 1.0's data model has it (and SAX delivers it).
 */
#define XML_SAFE_OPTIONS (XML_PARSE_NOENT | XML_PARSE_NONET | XML_PARSE_NOCDATA)

/* What the parse on this thread asked to load; libxml2 itself would go on without a word. */
static __thread char refused_url[256];

static xmlParserInputPtr refuse_external(const char *url, const char *id, xmlParserCtxtPtr ctxt)
{
    (void)ctxt;
    if (!refused_url[0]) {
        snprintf(refused_url, sizeof refused_url, "%s", url ? url : id ? id : "?");
    }
    return NULL;
}

/* libxml2 would print every error on stderr, that is into the journal, once per bad input. */
static void quiet(void *data, const xmlError *e)
{
    (void)data;
    (void)e;
}

void xml_parse_init(void)
{
    xmlInitParser();
    xmlSetExternalEntityLoader(refuse_external);
}

static int parse_error(xmlParserCtxtPtr ctxt, struct cb_error *err)
{
    const xmlError *e = xmlCtxtGetLastError(ctxt);
    char msg[256] = "not well-formed";
    size_t n;

    if (e && e->message) {
        snprintf(msg, sizeof msg, "%s", e->message);
    }
    n = strlen(msg);
    while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' ')) {
        msg[--n] = '\0';
    }
    if (e && (e->code == XML_ERR_ENTITY_LOOP || e->code == XML_ERR_ENTITY_BOUNDARY ||
              (e->message && strstr(e->message, "amplification")))) {
        return cb_error_set(err, CB_E_INVALID_PARAM,
                            "XML refused at line %d, column %d: its entities expand past the bound "
                            "(libxml2: %s)",
                            e->line, e->int2, msg);
    }
    if (e && e->code == XML_ERR_UNDECLARED_ENTITY && e->str1) {
        return cb_error_set(err, CB_E_INVALID_PARAM,
                            "XML refused at line %d, column %d: entity '%s' is not declared in "
                            "the document (external DTDs and entities are never loaded)",
                            e->line, e->int2, e->str1);
    }
    return cb_error_set(err, CB_E_INVALID_PARAM, "malformed XML at line %d, column %d: %s",
                        e ? e->line : 0, e ? e->int2 : 0, msg);
}

int xml_parse_memory(const char *buf, size_t len, xmlDocPtr *ret, struct cb_error *err)
{
    xmlParserCtxtPtr ctxt;
    xmlDocPtr doc;
    int r = 0;

    if (len > INT32_MAX) {
        return cb_error_set(err, CB_E_TOO_LARGE, "the XML document is over 2 GiB");
    }
    ctxt = xmlNewParserCtxt();
    if (!ctxt) {
        return cb_error_set(err, CB_E_INTERNAL, "out of memory");
    }
    /* Thread-local in libxml2: set on the thread that parses. */
    xmlSetStructuredErrorFunc(NULL, (xmlStructuredErrorFunc)quiet);
    refused_url[0] = '\0';
    doc = xmlCtxtReadMemory(ctxt, buf, (int)len, NULL, NULL, XML_SAFE_OPTIONS);
    if (doc && refused_url[0]) {
        r = cb_error_set(err, CB_E_INVALID_PARAM,
                         "XML refused: it uses the external entity '%s', and external entities "
                         "are never loaded",
                         refused_url);
        xmlFreeDoc(doc);
        doc = NULL;
    } else if (!doc || !ctxt->wellFormed) {
        r = parse_error(ctxt, err);
        xmlFreeDoc(doc);
        doc = NULL;
    } else if (!xmlDocGetRootElement(doc)) {
        r = cb_error_set(err, CB_E_INVALID_PARAM, "malformed XML: the document has no element");
        xmlFreeDoc(doc);
        doc = NULL;
    }
    xmlFreeParserCtxt(ctxt);
    *ret = doc;
    return r;
}

/* What `source` holds under source_type auto: XML when its first non-blank is '<'. */
static bool looks_like_xml(const char *s)
{
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') {
        s++;
    }
    /* A UTF-8 byte order mark may precede the document. */
    if ((unsigned char)s[0] == 0xef && (unsigned char)s[1] == 0xbb && (unsigned char)s[2] == 0xbf) {
        s += 3;
    }
    return *s == '<';
}

static int open_file(struct cb_call *call, const char *path, struct stat *st, struct cb_error *err)
{
    int fd;

    if (path[0] != '/') {
        return cb_error_set(err, CB_E_INVALID_PARAM,
                            "parameter 'source': '%s' is not XML (it does not start with '<') "
                            "and not an absolute path",
                            path);
    }
    fd = cb_path_open(call->config, "source", path, O_RDONLY | O_CLOEXEC, 0, err);
    if (fd < 0) {
        return fd;
    }
    if (fstat(fd, st) < 0 || !S_ISREG(st->st_mode)) {
        close(fd);
        return cb_error_set(err, CB_E_INVALID_PARAM, "parameter 'source': '%s' is not a file",
                            path);
    }
    return fd;
}

static int read_file(struct cb_call *call, struct xml_source *s, struct cb_error *err)
{
    uint64_t max = call->config->xml_max_document;
    size_t cap, got = 0;
    ssize_t n;

    if ((uint64_t)s->st.st_size > max) {
        return cb_error_set(err, CB_E_TOO_LARGE,
                            "'%s' is %lld bytes, over [xml] max_document_size (%llu)", s->path,
                            (long long)s->st.st_size, (unsigned long long)max);
    }
    cap = (size_t)s->st.st_size + 1;
    s->owned = malloc(cap);
    if (!s->owned) {
        return cb_error_set(err, CB_E_INTERNAL, "out of memory");
    }
    /* The size may change while we read: never past the limit, whatever it grows to. */
    while ((n = read(s->fd, s->owned + got, cap - got)) > 0) {
        got += (size_t)n;
        if (got == cap) {
            char *bigger;

            if (cap > max) {
                return cb_error_set(err, CB_E_TOO_LARGE,
                                    "'%s' grew over [xml] max_document_size (%llu) while read",
                                    s->path, (unsigned long long)max);
            }
            bigger = realloc(s->owned, cap * 2);
            if (!bigger) {
                return cb_error_set(err, CB_E_INTERNAL, "out of memory");
            }
            s->owned = bigger;
            cap *= 2;
        }
    }
    if (n < 0) {
        return cb_error_set(err, CB_E_INVALID_PARAM, "parameter 'source': reading '%s': %s",
                            s->path, strerror(errno));
    }
    s->text = s->owned;
    s->len = got;
    return 0;
}

int xml_source_begin(struct cb_call *call, struct xml_source *ret, struct cb_error *err)
{
    const char *src = cb_json_get_string(call->params, "source", NULL);
    const char *type = cb_json_get_string(call->params, "source_type", "auto");
    bool file;

    *ret = (struct xml_source){ .fd = -1 };
    if (!src) {
        return cb_error_set(err, CB_E_INVALID_PARAM, "parameter 'source' is required");
    }
    file = strcmp(type, "file") == 0 || (strcmp(type, "auto") == 0 && !looks_like_xml(src));
    if (file) {
        ret->path = src;
        ret->fd = open_file(call, src, &ret->st, err);
        return ret->fd < 0 ? ret->fd : 0;
    }
    ret->text = src;
    ret->len = json_string_length(json_object_get(call->params, "source"));
    if (ret->len > call->config->xml_max_document) {
        return cb_error_set(err, CB_E_TOO_LARGE,
                            "the XML text is %zu bytes, over [xml] max_document_size (%llu)",
                            ret->len, (unsigned long long)call->config->xml_max_document);
    }
    return 0;
}

int xml_source_read(struct cb_call *call, struct xml_source *s, struct cb_error *err)
{
    return s->fd >= 0 && !s->text ? read_file(call, s, err) : 0;
}

int xml_source_open(struct cb_call *call, struct xml_source *ret, struct cb_error *err)
{
    int r = xml_source_begin(call, ret, err);

    return r < 0 ? r : xml_source_read(call, ret, err);
}

void xml_source_done(struct xml_source *s)
{
    if (s->fd >= 0) {
        close(s->fd);
    }
    free(s->owned);
    *s = (struct xml_source){ .fd = -1 };
}
