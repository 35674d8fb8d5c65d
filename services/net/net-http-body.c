/* SPDX-License-Identifier: MIT */
/* A request's headers and body: json, content, form or multipart (API.md section 5). */
#include "services/net/net-internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/cb-base64.h"
#include "common/cb-json.h"

/* Header names and values reach the wire as they are: a line break would start another. */
static bool header_safe(const char *s)
{
    return !strpbrk(s, "\r\n");
}

static char *scalar_text(json_t *v)
{
    if (json_is_string(v)) {
        return strdup(json_string_value(v));
    }
    if (json_is_number(v) || json_is_boolean(v)) {
        return json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
    }
    return NULL;
}

static int add_raw(struct net_body *b, const char *line)
{
    struct curl_slist *grown = curl_slist_append(b->headers, line);

    if (!grown) {
        return -ENOMEM;
    }
    b->headers = grown;
    return 0;
}

static int add_header(struct net_body *b, const char *name, const char *value)
{
    CB_CLEANUP(cb_freep) char *line = NULL;

    /* "Name;" is curl's way to send a header with an empty value ("Name:" removes one). */
    if (asprintf(&line, *value ? "%s: %s" : "%s;", name, value) < 0) {
        return -ENOMEM;
    }
    return add_raw(b, line);
}

static int apply_headers(struct net_body *b,
                         json_t *headers,
                         bool *ret_has_type,
                         struct cb_error *err)
{
    const char *name;
    json_t *v;

    *ret_has_type = false;
    json_object_foreach(headers, name, v)
    {
        CB_CLEANUP(cb_freep) char *value = scalar_text(v);

        if (!value) {
            return cb_error_set(err, CB_E_INVALID_PARAM,
                                "parameter 'headers': the value of '%s' must be a string", name);
        }
        if (!*name || strchr(name, ':') || !header_safe(name) || !header_safe(value)) {
            return cb_error_set(
                    err, CB_E_INVALID_PARAM,
                    "parameter 'headers': '%s' is not a valid header (no ':', CR or LF)", name);
        }
        if (strcasecmp(name, "Content-Type") == 0) {
            *ret_has_type = true;
        }
        if (add_header(b, name, value) < 0) {
            return cb_error_set(err, CB_E_INTERNAL, "out of memory");
        }
    }
    return 0;
}

static int take_bytes(struct net_body *b, json_t *v, const char *param, struct cb_error *err)
{
    void *bytes = NULL;
    size_t len = 0;

    if (json_is_string(v)) {
        b->data = malloc(json_string_length(v) + 1);
        if (!b->data) {
            return cb_error_set(err, CB_E_INTERNAL, "out of memory");
        }
        memcpy(b->data, json_string_value(v), json_string_length(v));
        b->len = json_string_length(v);
        return 0;
    }
    if (cb_binary_bytes(v, &bytes, &len) < 0) {
        return cb_error_set(err, CB_E_INVALID_PARAM,
                            "parameter '%s' must be text or a {\"$base64\": ...} binary value",
                            param);
    }
    b->data = bytes;
    b->len = len;
    return 0;
}

static int form_append(struct cb_buf *out, const char *key, json_t *v)
{
    CB_CLEANUP(cb_freep) char *text = scalar_text(v);
    char *k, *e;
    int r;

    if (!text && !json_is_null(v)) {
        return -EINVAL;
    }
    k = curl_easy_escape(NULL, key, 0);
    e = curl_easy_escape(NULL, text ? text : "", 0);
    r = !k || !e ? -ENOMEM : 0;
    if (r == 0 && out->len > 0) {
        r = cb_buf_append(out, "&", 1);
    }
    if (r == 0) {
        r = cb_buf_append(out, k, strlen(k));
    }
    if (r == 0) {
        r = cb_buf_append(out, "=", 1);
    }
    if (r == 0) {
        r = cb_buf_append(out, e, strlen(e));
    }
    curl_free(k);
    curl_free(e);
    return r;
}

static int take_form(struct net_body *b, json_t *form, struct cb_error *err)
{
    struct cb_buf out = { 0 };
    const char *key;
    json_t *v, *item;
    size_t i;
    int r = 0;

    json_object_foreach(form, key, v)
    {
        if (json_is_array(v)) {
            json_array_foreach(v, i, item)
            {
                r = r < 0 ? r : form_append(&out, key, item);
            }
        } else {
            r = form_append(&out, key, v);
        }
        if (r < 0) {
            cb_buf_free(&out);
            return r == -ENOMEM
                           ? cb_error_set(err, CB_E_INTERNAL, "out of memory")
                           : cb_error_set(
                                     err, CB_E_INVALID_PARAM,
                                     "parameter 'form': the value of '%s' must be text, a number or an array of them",
                                     key);
        }
    }
    /* An empty form is still a body: zero bytes, not none. */
    if (cb_buf_append(&out, "", 1) < 0) {
        return cb_error_set(err, CB_E_INTERNAL, "out of memory");
    }
    b->data = out.data;
    b->len = out.len - 1;
    return 0;
}

static int part_value(curl_mimepart *part, json_t *value, struct cb_error *err)
{
    CB_CLEANUP(cb_freep) char *text = NULL;
    void *bytes = NULL;
    size_t len = 0;
    CURLcode rc;

    if (cb_is_binary(value)) {
        if (cb_binary_bytes(value, &bytes, &len) < 0) {
            return cb_error_set(err, CB_E_INVALID_PARAM,
                                "parameter 'multipart': a binary value is not valid base64");
        }
        rc = curl_mime_data(part, bytes, len);
        free(bytes);
    } else {
        text = json_is_string(value) ? strdup(json_string_value(value))
                                     : json_dumps(value, JSON_ENCODE_ANY | JSON_COMPACT);
        rc = text ? curl_mime_data(part, text, CURL_ZERO_TERMINATED) : CURLE_OUT_OF_MEMORY;
    }
    return rc == CURLE_OK ? 0 : cb_error_set(err, CB_E_INTERNAL, "out of memory");
}

static int take_part(CURL *h,
                     struct net_body *b,
                     struct cb_call *call,
                     json_t *spec,
                     size_t i,
                     struct cb_error *err)
{
    const char *name = cb_json_get_string(spec, "name", NULL);
    const char *file = cb_json_get_string(spec, "file", NULL);
    const char *filename = cb_json_get_string(spec, "filename", NULL);
    const char *type = cb_json_get_string(spec, "content_type", NULL);
    json_t *value = json_object_get(spec, "value");
    curl_mimepart *part;
    int r;

    (void)h;
    if (!json_is_object(spec) || !name || (!file == !value)) {
        return cb_error_set(
                err, CB_E_INVALID_PARAM,
                "parameter 'multipart': part %zu needs a 'name' and exactly one of 'value' and 'file'",
                i);
    }
    if (file && file[0] != '/') {
        return cb_error_set(err, CB_E_INVALID_PARAM,
                            "parameter 'multipart': the file of part %zu must be an absolute path",
                            i);
    }
    part = curl_mime_addpart(b->mime);
    if (!part || curl_mime_name(part, name) != CURLE_OK) {
        return cb_error_set(err, CB_E_INTERNAL, "out of memory");
    }
    r = file ? net_mime_file(part, call, "multipart", file, err) : part_value(part, value, err);
    if (r >= 0 && filename && curl_mime_filename(part, filename) != CURLE_OK) {
        r = cb_error_set(err, CB_E_INTERNAL, "out of memory");
    }
    if (r >= 0 && type && curl_mime_type(part, type) != CURLE_OK) {
        r = cb_error_set(err, CB_E_INTERNAL, "out of memory");
    }
    return r;
}

static int take_multipart(CURL *h,
                          struct net_body *b,
                          struct cb_call *call,
                          json_t *parts,
                          struct cb_error *err)
{
    json_t *spec;
    size_t i;
    int r;

    b->mime = curl_mime_init(h);
    if (!b->mime) {
        return cb_error_set(err, CB_E_INTERNAL, "out of memory");
    }
    json_array_foreach(parts, i, spec)
    {
        r = take_part(h, b, call, spec, i, err);
        if (r < 0) {
            return r;
        }
    }
    return 0;
}

/* request's earlier `form_encoded_content`: an object is a form, a string the content. */
static const char *const body_params[] = { "json", "content", "form", "multipart",
                                           "form_encoded_content" };

static int pick_body(struct cb_call *call,
                     const char **ret_name,
                     json_t **ret_value,
                     struct cb_error *err)
{
    *ret_name = NULL;
    *ret_value = NULL;
    for (size_t i = 0; i < CB_ELEMENTSOF(body_params); i++) {
        json_t *v = json_object_get(call->params, body_params[i]);

        if (!v) {
            continue;
        }
        if (*ret_name) {
            return cb_error_set(err, CB_E_INVALID_PARAM,
                                "parameters '%s' and '%s' both give a body; give at most one",
                                *ret_name, body_params[i]);
        }
        *ret_name = body_params[i];
        *ret_value = v;
    }
    return 0;
}

static int take_body(CURL *h,
                     struct net_body *b,
                     struct cb_call *call,
                     const char *name,
                     json_t *v,
                     const char **ret_default_type,
                     struct cb_error *err)
{
    if (strcmp(name, "form_encoded_content") == 0) {
        name = json_is_object(v) ? "form" : "content";
    }
    if (strcmp(name, "json") == 0) {
        b->data = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
        if (!b->data) {
            return cb_error_set(err, CB_E_INTERNAL, "out of memory");
        }
        b->len = strlen(b->data);
        *ret_default_type = "application/json";
        return 0;
    }
    if (strcmp(name, "form") == 0) {
        *ret_default_type = "application/x-www-form-urlencoded";
        return take_form(b, v, err);
    }
    if (strcmp(name, "multipart") == 0) {
        return take_multipart(h, b, call, v, err);
    }
    return take_bytes(b, v, name, err);
}

int net_body_apply(CURL *h, struct cb_call *call, struct net_body *b, struct cb_error *err)
{
    const char *type = cb_json_get_string(call->params, "content_type", NULL);
    const char *default_type = NULL, *name;
    bool header_type = false;
    json_t *value;
    int r;

    r = apply_headers(b, json_object_get(call->params, "headers"), &header_type, err);
    if (r < 0) {
        return r;
    }
    if (type && header_type) {
        return cb_error_set(err, CB_E_INVALID_PARAM,
                            "parameters 'content_type' and 'headers' both set the Content-Type");
    }
    if (type && !header_safe(type)) {
        return cb_error_set(err, CB_E_INVALID_PARAM, "parameter 'content_type' holds a line break");
    }
    r = pick_body(call, &name, &value, err);
    if (r < 0 || !name) {
        return r;
    }
    r = take_body(h, b, call, name, value, &default_type, err);
    if (r < 0) {
        return r;
    }
    b->has_body = true;
    /* Without a type of our own, curl would claim a form: send none then, as LWP does.
     * Nor wait a second for a "100 Continue" that many servers never send. */
    if (!header_type && (type || default_type)) {
        r = add_header(b, "Content-Type", type ? type : default_type);
    } else if (!header_type && !b->mime) {
        r = add_raw(b, "Content-Type:");
    }
    if (r == 0) {
        r = add_raw(b, "Expect:");
    }
    if (r < 0) {
        return cb_error_set(err, CB_E_INTERNAL, "out of memory");
    }
    if (b->mime) {
        return curl_easy_setopt(h, CURLOPT_MIMEPOST, b->mime) == CURLE_OK
                       ? 0
                       : cb_error_set(err, CB_E_INTERNAL, "out of memory");
    }
    (void)curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)b->len);
    (void)curl_easy_setopt(h, CURLOPT_POSTFIELDS, b->data ? b->data : "");
    return 0;
}

void net_body_done(struct net_body *b)
{
    curl_slist_free_all(b->headers);
    curl_mime_free(b->mime);
    free(b->data);
    *b = (struct net_body){ 0 };
}
