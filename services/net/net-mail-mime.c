/* SPDX-License-Identifier: MIT */
/* The MIME tree of a message (curl's mime API): text, HTML, attachments from files or data. */
#include "services/net/net-internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/cb-base64.h"
#include "common/cb-json.h"

#define OOM(err) cb_error_set(err, CB_E_INTERNAL, "out of memory")

/* Text as its bytes: a string's UTF-8, a binary marker's contents, anything else as JSON. */
static int data_bytes(json_t *v, char **ret, size_t *ret_len)
{
    void *bytes;
    size_t len;

    if (json_is_string(v)) {
        *ret_len = json_string_length(v);
        *ret = malloc(*ret_len + 1);
        if (!*ret) {
            return -ENOMEM;
        }
        memcpy(*ret, json_string_value(v), *ret_len);
        return 0;
    }
    if (cb_is_binary(v)) {
        if (cb_binary_bytes(v, &bytes, &len) < 0) {
            return -EINVAL;
        }
        *ret = bytes;
        *ret_len = len;
        return 0;
    }
    *ret = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
    *ret_len = *ret ? strlen(*ret) : 0;
    return *ret ? 0 : -ENOMEM;
}

/* SMTP lines end in CRLF; a script's text mostly ends them in LF alone. */
static char *crlf_text(const char *s, size_t len, size_t *ret_len)
{
    char *out = malloc(len * 2 + 1), *o = out;

    if (!out) {
        return NULL;
    }
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '\n' && (i == 0 || s[i - 1] != '\r')) {
            *o++ = '\r';
        }
        *o++ = s[i];
    }
    *ret_len = (size_t)(o - out);
    return out;
}

static bool needs_encoding(const char *s, size_t len)
{
    size_t line = 0;

    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];

        if (c >= 0x80 || c == 0 || (c == '\r' && (i + 1 >= len || s[i + 1] != '\n'))) {
            return true;
        }
        line = c == '\n' ? 0 : line + 1;
        if (line > 998) {
            return true;
        }
    }
    return false;
}

static int text_part(curl_mimepart *part,
                     json_t *value,
                     const char *subtype,
                     const char *encoding,
                     struct cb_error *err)
{
    CB_CLEANUP(cb_freep) char *raw = NULL;
    CB_CLEANUP(cb_freep) char *text = NULL;
    char type[64];
    size_t raw_len, len;
    int r = data_bytes(value, &raw, &raw_len);

    if (r < 0) {
        return r == -ENOMEM ? OOM(err)
                            : cb_error_set(err, CB_E_INVALID_PARAM,
                                           "parameter 'body': a binary value is not valid base64");
    }
    text = crlf_text(raw, raw_len, &len);
    if (!text) {
        return OOM(err);
    }
    if (strcmp(encoding, "auto") == 0) {
        encoding = needs_encoding(text, len) ? "quoted-printable" : "7bit";
    } else if (strcmp(encoding, "7bit") == 0 && needs_encoding(text, len)) {
        return cb_error_set(
                err, CB_E_INVALID_PARAM,
                "parameter 'body_encoding': 7bit cannot carry this body (it has non-ASCII bytes or lines over 998 characters)");
    }
    snprintf(type, sizeof type, "text/%s; charset=UTF-8", subtype);
    if (curl_mime_data(part, text, len) != CURLE_OK || curl_mime_type(part, type) != CURLE_OK ||
        curl_mime_encoder(part, encoding) != CURLE_OK) {
        return OOM(err);
    }
    return 0;
}

/* Text, HTML, or both as multipart/alternative (plain first: the last is the preferred).
 * `flat`: the message is nothing else, so the top level itself is the alternative. */
static int body_parts(CURL *h,
                      curl_mime *mime,
                      struct cb_call *call,
                      bool flat,
                      struct cb_error *err)
{
    json_t *text = json_object_get(call->params, "body");
    json_t *html = json_object_get(call->params, "html_body");
    const char *enc = cb_json_get_string(call->params, "body_encoding", "auto");
    curl_mime *alt = mime;
    curl_mimepart *part;
    int r;

    if (text && html && !flat) {
        part = curl_mime_addpart(mime);
        alt = curl_mime_init(h);
        if (!part || !alt || curl_mime_subparts(part, alt) != CURLE_OK) {
            curl_mime_free(alt);
            return OOM(err);
        }
        if (curl_mime_type(part, "multipart/alternative") != CURLE_OK) {
            return OOM(err);
        }
    }
    if (text || !html) {
        json_t *empty = json_string("");

        part = curl_mime_addpart(alt);
        r = part ? text_part(part, text ? text : empty, "plain", enc, err) : OOM(err);
        json_decref(empty);
        if (r < 0) {
            return r;
        }
    }
    if (html) {
        part = curl_mime_addpart(alt);
        r = part ? text_part(part, html, "html", enc, err) : OOM(err);
        if (r < 0) {
            return r;
        }
    }
    return 0;
}

/* A filename for the Content-Disposition: RFC 2231 form when it is not plain ASCII. */
static char *disposition_header(const char *disposition, const char *filename)
{
    char *out = NULL, *escaped;
    bool ascii = true;

    if (!filename) {
        return asprintf(&out, "Content-Disposition: %s", disposition) < 0 ? NULL : out;
    }
    for (const char *c = filename; *c; c++) {
        if ((unsigned char)*c >= 0x80 || *c == '"' || *c == '\\' || (unsigned char)*c < 0x20) {
            ascii = false;
        }
    }
    if (ascii) {
        return asprintf(&out, "Content-Disposition: %s; filename=\"%s\"", disposition, filename) < 0
                       ? NULL
                       : out;
    }
    escaped = curl_easy_escape(NULL, filename, 0);
    if (!escaped ||
        asprintf(&out, "Content-Disposition: %s; filename*=UTF-8''%s", disposition, escaped) < 0) {
        out = NULL;
    }
    curl_free(escaped);
    return out;
}

static const char *guess_type(const char *filename)
{
    static const struct {
        const char *ext, *type;
    } table[] = {
        { ".txt", "text/plain" },
        { ".csv", "text/csv" },
        { ".html", "text/html" },
        { ".htm", "text/html" },
        { ".xml", "application/xml" },
        { ".json", "application/json" },
        { ".pdf", "application/pdf" },
        { ".zip", "application/zip" },
        { ".gz", "application/gzip" },
        { ".png", "image/png" },
        { ".jpg", "image/jpeg" },
        { ".jpeg", "image/jpeg" },
        { ".gif", "image/gif" },
        { ".log", "text/plain" },
        { ".xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" },
    };
    const char *dot = filename ? strrchr(filename, '.') : NULL;

    for (size_t i = 0; dot && i < CB_ELEMENTSOF(table); i++) {
        if (strcasecmp(dot, table[i].ext) == 0) {
            return table[i].type;
        }
    }
    return "application/octet-stream";
}

static int add_part_header(curl_mimepart *part,
                           struct curl_slist **list,
                           const char *line,
                           struct cb_error *err)
{
    struct curl_slist *grown;

    if (!line) {
        return OOM(err);
    }
    grown = curl_slist_append(*list, line);
    if (!grown) {
        return OOM(err);
    }
    *list = grown;
    (void)part;
    return 0;
}

/* What goes into a header line must not end it. */
static bool line_safe(const char *s)
{
    return !s || !strpbrk(s, "\r\n");
}

static int attachment(curl_mime *mime,
                      struct cb_call *call,
                      json_t *spec,
                      size_t i,
                      struct cb_error *err)
{
    const char *file = cb_json_get_string(spec, "file", NULL);
    json_t *content = json_object_get(spec, "content");
    const char *base = file ? strrchr(file, '/') : NULL;
    const char *filename = cb_json_get_string(spec, "filename", base ? base + 1 : NULL);
    const char *type = cb_json_get_string(spec, "content_type",
                                          cb_json_get_string(spec, "ctype", NULL));
    const char *disposition = cb_json_get_string(spec, "disposition", "attachment");
    const char *cid = cb_json_get_string(spec, "content_id", NULL);
    const char *description = cb_json_get_string(spec, "description", NULL);
    const char *encoding = cb_json_get_string(spec, "encoding", "base64");
    struct curl_slist *headers = NULL;
    curl_mimepart *part;
    char *line = NULL;
    int r;

    if (!json_is_object(spec) || !file == !content) {
        return cb_error_set(
                err, CB_E_INVALID_PARAM,
                "parameter 'attachments': attachment %zu needs exactly one of 'file' and 'content'",
                i);
    }
    if (strcasecmp(disposition, "attachment") != 0 && strcasecmp(disposition, "inline") != 0) {
        return cb_error_set(
                err, CB_E_INVALID_PARAM,
                "parameter 'attachments': the disposition of attachment %zu must be attachment or inline",
                i);
    }
    if (!line_safe(filename) || !line_safe(type) || !line_safe(cid) || !line_safe(description)) {
        return cb_error_set(
                err, CB_E_INVALID_PARAM,
                "parameter 'attachments': attachment %zu has a line break in a header value", i);
    }
    part = curl_mime_addpart(mime);
    if (!part) {
        return OOM(err);
    }
    if (file) {
        r = net_mime_file(part, call, "attachments", file, err);
    } else {
        char *bytes;
        size_t len;

        r = data_bytes(content, &bytes, &len);
        if (r == 0) {
            r = curl_mime_data(part, bytes, len) == CURLE_OK ? 0 : OOM(err);
            free(bytes);
        } else {
            r = r == -ENOMEM
                        ? OOM(err)
                        : cb_error_set(
                                  err, CB_E_INVALID_PARAM,
                                  "parameter 'attachments': the content of attachment %zu is not valid base64",
                                  i);
        }
    }
    if (r < 0) {
        return r;
    }
    if (curl_mime_type(part, type ? type : guess_type(filename)) != CURLE_OK ||
        curl_mime_encoder(part, encoding) != CURLE_OK) {
        return cb_error_set(err, CB_E_INVALID_PARAM,
                            "parameter 'attachments': attachment %zu has an unknown encoding '%s'",
                            i, encoding);
    }
    line = disposition_header(disposition, filename);
    r = add_part_header(part, &headers, line, err);
    free(line);
    line = NULL;
    if (r >= 0 && cid) {
        r = asprintf(&line, "Content-ID: <%s>", cid) < 0
                    ? OOM(err)
                    : add_part_header(part, &headers, line, err);
        free(line);
        line = NULL;
    }
    if (r >= 0 && description) {
        char *enc = net_header_encode(description);

        r = !enc || asprintf(&line, "Content-Description: %s", enc) < 0
                    ? OOM(err)
                    : add_part_header(part, &headers, line, err);
        free(enc);
        free(line);
    }
    if (r < 0) {
        curl_slist_free_all(headers);
        return r;
    }
    /* take ownership: curl frees the list with the part */
    return curl_mime_headers(part, headers, 1) == CURLE_OK ? 0 : OOM(err);
}

int net_mail_mime(CURL *h,
                  struct cb_call *call,
                  curl_mime **ret,
                  char **ret_type,
                  struct cb_error *err)
{
    json_t *list = json_object_get(call->params, "attachments");
    const char *file = cb_json_get_string(call->params, "file", NULL);
    bool attached = json_array_size(list) > 0 || file;
    bool both = json_object_get(call->params, "body") && json_object_get(call->params, "html_body");
    const char *type = cb_json_get_string(call->params, "multipart_type", "mixed");
    curl_mime *mime = curl_mime_init(h);
    json_t *spec;
    size_t i;
    int r;

    if (!mime) {
        return OOM(err);
    }
    /* The top level's type; curl adds the boundary to a Content-Type it is given. */
    if (asprintf(ret_type, "Content-Type: multipart/%s", !attached && both ? "alternative" : type) <
        0) {
        curl_mime_free(mime);
        return OOM(err);
    }
    r = body_parts(h, mime, call, !attached && both, err);
    json_array_foreach(list, i, spec)
    {
        r = r < 0 ? r : attachment(mime, call, spec, i, err);
    }
    if (r >= 0 && file) {
        json_t *one = json_pack("{s:s}", "file", file);

        r = one ? attachment(mime, call, one, json_array_size(list), err) : OOM(err);
        json_decref(one);
    }
    if (r < 0) {
        curl_mime_free(mime);
        free(*ret_type);
        *ret_type = NULL;
        return r;
    }
    *ret = mime;
    return 0;
}
