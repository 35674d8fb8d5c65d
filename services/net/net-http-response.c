/* SPDX-License-Identifier: MIT */
/* An HTTP response as API.md section 5 gives it: status, headers, content and timings. */
#include "services/net/net-internal.h"

#include <ctype.h>
#include <errno.h>
#include <iconv.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/cb-base64.h"
#include "common/cb-utf8.h"

/* HTTP/2 and later send no reason phrase; LWP fills in the usual one, and so do we. */
static const char *standard_reason(long code)
{
    static const struct {
        long code;
        const char *reason;
    } table[] = {
        { 100, "Continue" },
        { 200, "OK" },
        { 201, "Created" },
        { 202, "Accepted" },
        { 204, "No Content" },
        { 206, "Partial Content" },
        { 301, "Moved Permanently" },
        { 302, "Found" },
        { 303, "See Other" },
        { 304, "Not Modified" },
        { 307, "Temporary Redirect" },
        { 308, "Permanent Redirect" },
        { 400, "Bad Request" },
        { 401, "Unauthorized" },
        { 403, "Forbidden" },
        { 404, "Not Found" },
        { 405, "Method Not Allowed" },
        { 408, "Request Timeout" },
        { 409, "Conflict" },
        { 410, "Gone" },
        { 413, "Payload Too Large" },
        { 415, "Unsupported Media Type" },
        { 418, "I'm a teapot" },
        { 422, "Unprocessable Entity" },
        { 429, "Too Many Requests" },
        { 500, "Internal Server Error" },
        { 501, "Not Implemented" },
        { 502, "Bad Gateway" },
        { 503, "Service Unavailable" },
        { 504, "Gateway Timeout" },
    };

    for (size_t i = 0; i < CB_ELEMENTSOF(table); i++) {
        if (table[i].code == code) {
            return table[i].reason;
        }
    }
    return "";
}

static void status_line(struct net_response *r, const char *line, size_t len)
{
    const char *sp = memchr(line, ' ', len), *reason;
    size_t n;

    /* A new response (after a redirect or a 100 Continue): its headers replace the last. */
    json_object_clear(r->headers);
    free(r->reason);
    r->reason = NULL;
    if (!sp) {
        return;
    }
    reason = memchr(sp + 1, ' ', len - (size_t)(sp + 1 - line));
    if (!reason) {
        return;
    }
    reason++;
    n = len - (size_t)(reason - line);
    while (n > 0 && isspace((unsigned char)reason[n - 1])) {
        n--;
    }
    if (n > 0) {
        r->reason = strndup(reason, n);
    }
}

static void header_line(struct net_response *r, const char *line, size_t len)
{
    const char *colon = memchr(line, ':', len), *v, *end = line + len;
    char name[256];
    json_t *old;
    size_t nlen;

    if (!colon || colon == line || (size_t)(colon - line) >= sizeof name) {
        return;
    }
    nlen = (size_t)(colon - line);
    for (size_t i = 0; i < nlen; i++) {
        name[i] = (char)tolower((unsigned char)line[i]);
    }
    name[nlen] = '\0';
    for (v = colon + 1; v < end && (*v == ' ' || *v == '\t'); v++) {
    }
    while (end > v && isspace((unsigned char)end[-1])) {
        end--;
    }
    old = json_object_get(r->headers, name);
    if (old) {
        /* Joined as HTTP::Headers does, but cookies each on their own line (a cookie's
         * Expires holds a comma). */
        const char *sep = strcmp(name, "set-cookie") == 0 ? "\n" : ", ";
        size_t olen = json_string_length(old), slen = strlen(sep), vlen = (size_t)(end - v);
        char *joined = malloc(olen + slen + vlen);

        if (!joined) {
            return;
        }
        memcpy(joined, json_string_value(old), olen);
        memcpy(joined + olen, sep, slen);
        memcpy(joined + olen + slen, v, vlen);
        json_object_set_new(r->headers, name, json_stringn(joined, olen + slen + vlen));
        free(joined);
        return;
    }
    json_object_set_new(r->headers, name, json_stringn(v, (size_t)(end - v)));
}

size_t net_response_header(char *data, size_t size, size_t n, void *userdata)
{
    struct net_response *r = userdata;
    size_t len = size * n;

    if (len >= 5 && memcmp(data, "HTTP/", 5) == 0) {
        status_line(r, data, len);
    } else {
        header_line(r, data, len);
    }
    return len;
}

static bool media_type_textual(const char *type, size_t len)
{
    static const char *const exact[] = {
        "application/json",         "application/xml",        "application/javascript",
        "application/x-javascript", "application/ecmascript", "application/x-www-form-urlencoded",
    };

    if (len >= 5 && strncasecmp(type, "text/", 5) == 0) {
        return true;
    }
    if ((len >= 5 && strncasecmp(type + len - 5, "+json", 5) == 0) ||
        (len >= 4 && strncasecmp(type + len - 4, "+xml", 4) == 0)) {
        return true;
    }
    for (size_t i = 0; i < CB_ELEMENTSOF(exact); i++) {
        if (strlen(exact[i]) == len && strncasecmp(type, exact[i], len) == 0) {
            return true;
        }
    }
    return false;
}

/* The charset parameter of a Content-Type, quoted or not, into buf ("" when none). */
static void charset_of(const char *content_type, char *buf, size_t size)
{
    const char *p = strcasestr(content_type, "charset=");
    size_t n = 0;

    buf[0] = '\0';
    if (!p) {
        return;
    }
    p += 8;
    if (*p == '"') {
        p++;
    }
    while (p[n] && p[n] != '"' && p[n] != ';' && !isspace((unsigned char)p[n]) && n + 1 < size) {
        n++;
    }
    memcpy(buf, p, n);
    buf[n] = '\0';
}

static json_t *converted(const char *charset, const char *data, size_t len)
{
    iconv_t cd = iconv_open("UTF-8", charset);
    size_t cap = len * 4 + 4, in_left = len, out_left = cap;
    char *out, *in = (char *)data, *o;
    json_t *v = NULL;

    if (cd == (iconv_t)-1) {
        return NULL;
    }
    out = malloc(cap);
    o = out;
    if (out && iconv(cd, &in, &in_left, &o, &out_left) != (size_t)-1 && in_left == 0) {
        v = json_stringn(out, cap - out_left);
    }
    free(out);
    iconv_close(cd);
    return v;
}

json_t *net_content_value(const char *content_type, const char *data, size_t len)
{
    char charset[64];
    size_t type_len;
    json_t *v = NULL;

    if (len == 0) {
        return json_string("");
    }
    if (content_type) {
        for (type_len = 0; content_type[type_len] && content_type[type_len] != ';' &&
                           !isspace((unsigned char)content_type[type_len]);
             type_len++) {
        }
        if (media_type_textual(content_type, type_len)) {
            charset_of(content_type, charset, sizeof charset);
            if (!charset[0] || strcasecmp(charset, "utf-8") == 0 ||
                strcasecmp(charset, "utf8") == 0 || strcasecmp(charset, "us-ascii") == 0) {
                v = cb_utf8_valid(data, len) ? json_stringn(data, len) : NULL;
            } else {
                v = converted(charset, data, len);
            }
        }
    }
    /* Not text, or not valid in its charset: the bytes unaltered. */
    return v ? v : cb_binary_new(data, len);
}

json_t *net_response_json(CURL *h, struct net_response *r, bool head)
{
    long code = 0, redirects = 0;
    const char *type = NULL, *reason;
    char *url = NULL;
    double elapsed = 0;
    char line[320];
    json_t *content;

    (void)curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
    (void)curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &type);
    (void)curl_easy_getinfo(h, CURLINFO_EFFECTIVE_URL, &url);
    (void)curl_easy_getinfo(h, CURLINFO_REDIRECT_COUNT, &redirects);
    (void)curl_easy_getinfo(h, CURLINFO_TOTAL_TIME, &elapsed);
    reason = r->reason ? r->reason : standard_reason(code);
    snprintf(line, sizeof line, "%ld%s%s", code, *reason ? " " : "", reason);
    content = head ? json_string("")
                   : net_content_value(type, cb_buf_head(&r->body.buf),
                                       cb_buf_pending(&r->body.buf));
    return json_pack("{s:I, s:s, s:s, s:b, s:O, s:o, s:s?, s:s, s:I, s:f}", "status_code",
                     (json_int_t)code, "reason", reason, "status_line", line, "is_success",
                     code >= 200 && code < 300, "headers", r->headers, "content", content,
                     "content_type", type, "url", url ? url : "", "redirects",
                     (json_int_t)redirects, "elapsed", elapsed);
}

void net_response_done(struct net_response *r)
{
    cb_buf_free(&r->body.buf);
    json_decref(r->headers);
    free(r->reason);
    *r = (struct net_response){ 0 };
}
