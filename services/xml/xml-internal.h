/* SPDX-License-Identifier: MIT */
/*
 * The xml family (modules xml_helper and xpath) on libxml2. xml_helper is pure functions of
 * their parameters: XML::Simple's XMLin and XMLout rebuilt on a libxml2 tree. xpath keeps
 * parsed documents per session, shared between the handles of one session that loaded the
 * same unchanged file.
 */
#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include <jansson.h>
#include <libxml/tree.h>

#include "common/cb-buf.h"
#include "common/cb-family.h"
#include "services/xml/xml-text.h"

#define XML_DOC_KIND    "document"
#define XML_DOC_PREFIX  "xp-d"
#define XML_NODE_PREFIX "xp-n"
#define XML_ID_MAX      160

extern const struct cb_family xml_family;

/* ---- Parsing (xml-parse.c) ------------------------------------------------------------- */

/* Once per process, before any thread: no external entity is ever loaded. */
void xml_parse_init(void);

/* Parses a document with the safe options: no network, no external DTD or entity, bounded
 * entity expansion. Malformed input is E_INVALID_PARAM with line and column. */
int xml_parse_memory(const char *buf, size_t len, xmlDocPtr *ret, struct cb_error *err);

/* The call's `source` as XML text or a file (source_type auto, string or file). begin opens
 * a file (as the user) and takes its identity; read reads it, within [xml] max_document_size;
 * open does both. For a string, text points into the params and path is NULL. */
struct xml_source {
    const char *text;
    size_t len;
    char *owned; /* the file's content */
    const char *path;
    int fd;
    struct stat st; /* of the open file */
};
int xml_source_begin(struct cb_call *call, struct xml_source *ret, struct cb_error *err);
int xml_source_read(struct cb_call *call, struct xml_source *s, struct cb_error *err);
int xml_source_open(struct cb_call *call, struct xml_source *ret, struct cb_error *err);
void xml_source_done(struct xml_source *s);

/* ---- Perl scalars (xml-perl.c) ---------------------------------------------------------- */

/* Perl's truth of a JSON value as XML::Simple would see it ("", "0", 0 and undef are false). */
bool xml_perl_true(const json_t *v);
/* The scalar's Perl text (numbers as Perl prints them, true 1, false 0, null ""), or NULL for
 * an array or object. The result is owned by buf when it is not a JSON string's own. */
const char *xml_perl_string(const json_t *v, char buf[64]);
/* Whether v is a JSON scalar (not an array or object). */
bool xml_is_scalar(const json_t *v);

/* ---- Options (xml-options.c) ------------------------------------------------------------ */

enum xml_keyattr_kind {
    XML_KEYATTR_NONE,
    XML_KEYATTR_LIST,
    XML_KEYATTR_HASH,
};

struct xml_options {
    bool in; /* XMLin's options, else XMLout's */

    enum xml_keyattr_kind keyattr;
    json_t *keyattr_list; /* array of strings */
    json_t *keyattr_hash; /* element -> [attribute, "+", "-" or ""] */
    bool keyattr_default; /* name, key, id: bad key values fold quietly */

    int forcearray;           /* 0, 1, or 2: the elements named in forcearray_names */
    json_t *forcearray_names; /* object used as a set */
    bool forcecontent;
    char *contentkey;
    bool collapseagain; /* ContentKey "-name" */
    bool keeproot;
    bool noattr;
    bool suppressempty_given;
    json_t *suppressempty; /* its value; JSON null is "given as undef" */
    json_t *grouptags;     /* object, or NULL */
    int normalisespace;
    json_t *valueattr_hash; /* object element -> attribute, or NULL */
    json_t *valueattr_list; /* object used as a set, or NULL */
    char *varattr;
    json_t *vars; /* variable values (mutable: VarAttr adds to them), or NULL */
    bool nsexpand;
    bool strict;

    char *rootname;
    char *xmldecl;
    bool noescape, noindent, attrindent, nosort;
    int numericescape;
};

/* Reads `options` of the call for XMLin (in) or XMLout; E_INVALID_PARAM names a bad one. */
int xml_options_parse(const json_t *options, bool in, struct xml_options *ret, struct cb_error *err);
void xml_options_done(struct xml_options *o);

/* ---- XMLin and XMLout ------------------------------------------------------------------- */

/* XMLin's data structure for a parsed document (a new reference; json null for undef). */
int xml_collapse_document(xmlDocPtr doc, struct xml_options *o, json_t **ret, struct cb_error *err);

/* Appends XMLout's text for data to *ret (malloc'ed, NUL-terminated). */
int xml_out_render(const json_t *data, struct xml_options *o, char **ret, struct cb_error *err);

/* escape_value of XML::Simple (& < > "), with NumericEscape level 0, 1 or 2. */
int xml_escape_append(struct cb_buf *b, const char *s, size_t len, int numeric);

/* ---- Documents (xml-doc.c) -------------------------------------------------------------- */

struct xml_doc {
    pthread_mutex_t lock; /* handles of several sessions may share it: queries are serialized */
    unsigned refs;
    xmlDocPtr doc;
    xmlNodePtr *nodes; /* by ordinal: document order, attributes after their element */
    size_t n_nodes;
    char *path; /* the file it came from, or NULL */
    struct stat st;
    size_t source_len; /* bytes parsed, for the cache's budget */
    char root_name[256];
};

struct xml_doc *xml_doc_ref(struct xml_doc *d);
void xml_doc_unref(void *d);

/* A parsed, numbered document: from the session's cache when the same file is unchanged. */
int xml_doc_load(struct cb_call *call, struct xml_doc **ret, bool *ret_cached, struct cb_error *err);

/* The node with this ordinal, or NULL. */
xmlNodePtr xml_doc_node(const struct xml_doc *d, uint64_t ordinal);
/* The node's ordinal (every node but namespace nodes has one), or -1. */
int64_t xml_doc_ordinal(const xmlNode *node);

void *xml_session_new(void);
void xml_session_free(void *data);

/* ---- Handlers --------------------------------------------------------------------------- */

int xml_in(struct cb_call *call, json_t **ret, struct cb_error *err);
int xml_out(struct cb_call *call, json_t **ret, struct cb_error *err);
int xml_escape(struct cb_call *call, json_t **ret, struct cb_error *err);
int xml_unescape(struct cb_call *call, json_t **ret, struct cb_error *err);

int xpath_load(struct cb_call *call, json_t **ret, struct cb_error *err);
int xpath_find(struct cb_call *call, json_t **ret, struct cb_error *err);
int xpath_findvalue(struct cb_call *call, json_t **ret, struct cb_error *err);
int xpath_exists(struct cb_call *call, json_t **ret, struct cb_error *err);
int xpath_count(struct cb_call *call, json_t **ret, struct cb_error *err);
int xpath_to_string(struct cb_call *call, json_t **ret, struct cb_error *err);
int xpath_close(struct cb_call *call, json_t **ret, struct cb_error *err);

/* A node as find describes it ({name, value, attributes, node_id, path, type}). */
json_t *xpath_node_json(const char *doc_id, xmlNodePtr node);
