/* SPDX-License-Identifier: MIT */
/*
 * The net family (modules http and email_helper) on libcurl. Each session keeps one easy
 * handle per protocol: curl's own connection cache, TLS session cache and cookie jar live in
 * it, so kept-alive connections and cookies are the session's and nobody else's. Calls of one
 * session are serial (its work queue), so a handle is never used by two threads at once.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <curl/curl.h>

#include "common/cb-buf.h"
#include "common/cb-family.h"

struct net_session {
    CURL *http; /* with its cookie jar */
    CURL *smtp; /* the kept SMTP connection */
};

extern const struct cb_family net_family;

/* net-curl.c: what both protocols share. */

/* The session's handle for `which` (reset for a new call), made on first use; in process
 * mode a fresh one each call. NULL when out of memory. */
CURL *net_handle(struct cb_call *call, CURL **which);
/* Sets the proxy from the call's `proxy`, else from the session's http_proxy, https_proxy
 * and no_proxy, else none: never from the daemon's own environment. */
int net_set_proxy(CURL *h, struct cb_call *call, const char *scheme);
/* Refuses link-local and metadata addresses at connect time, when configured; *refused
 * says afterwards whether that is why the transfer failed. */
void net_set_address_policy(CURL *h, const struct cb_config *config, bool *refused);
/* Turns a failed transfer into E_TIMEOUT, E_TOO_LARGE or E_BACKEND with curl's reason. */
int net_curl_error(CURLcode rc, const char *errbuf, const char *what, struct cb_error *err);
/* The URL as logs may show it: no user, password, query or fragment. Malloc'ed. */
char *net_url_for_log(const char *url);
/* Copies up to `cap` bytes into a buffer, for curl's write callbacks. */
struct net_sink {
    struct cb_buf buf;
    size_t cap;
    bool over;
};
size_t net_sink_write(char *data, size_t size, size_t n, void *userdata);
/* Makes a MIME part stream a local file, opened as the user (cb_path_open), named by its base
 * name; `param` names the parameter in errors. */
int net_mime_file(curl_mimepart *part,
                  struct cb_call *call,
                  const char *param,
                  const char *path,
                  struct cb_error *err);

/* net-url.c */
/* Checks url (http or https, well formed) and appends `query`; *ret is malloc'ed. */
int net_url_build(const char *url, json_t *query, char **ret, struct cb_error *err);

/* net-http-body.c */
struct net_body {
    struct curl_slist *headers;
    curl_mime *mime;
    char *data; /* the request body, when it is not multipart */
    size_t len;
    bool has_body;
};
/* Applies headers, the body options and content_type to h. */
int net_body_apply(CURL *h, struct cb_call *call, struct net_body *b, struct cb_error *err);
void net_body_done(struct net_body *b);

/* net-http-response.c */
struct net_response {
    struct net_sink body;
    json_t *headers; /* lower-case name -> value, for the last response only */
    char *reason;
    long redirects_seen;
};
size_t net_response_header(char *data, size_t size, size_t n, void *userdata);
/* The response object of API.md section 5. */
json_t *net_response_json(CURL *h, struct net_response *r, bool head);
void net_response_done(struct net_response *r);
/* The content as text when its media type is textual and its bytes decode, else binary. */
json_t *net_content_value(const char *content_type, const char *data, size_t len);

/* net-http.c */
int net_http_get(struct cb_call *call, json_t **ret, struct cb_error *err);
int net_http_post(struct cb_call *call, json_t **ret, struct cb_error *err);
int net_http_put(struct cb_call *call, json_t **ret, struct cb_error *err);
int net_http_patch(struct cb_call *call, json_t **ret, struct cb_error *err);
int net_http_delete(struct cb_call *call, json_t **ret, struct cb_error *err);
int net_http_head(struct cb_call *call, json_t **ret, struct cb_error *err);
int net_http_request(struct cb_call *call, json_t **ret, struct cb_error *err);

/* net-mail-address.c */
struct net_address {
    char *display; /* the display name, or NULL */
    char *addr;    /* the addr-spec */
};
/* Whether text is an RFC 5322 addr-spec; *ret_reason says why not. */
bool net_addr_spec_valid(const char *text, const char **ret_reason);
/* Parses a parameter (a string with comma-separated addresses, or an array of them). */
int net_address_list(json_t *v,
                     const char *param,
                     struct net_address **ret,
                     size_t *ret_n,
                     struct cb_error *err);
void net_address_list_free(struct net_address *list, size_t n);
/* "Name <addr>, ..." for a header, the names encoded by RFC 2047 where not ASCII. */
char *net_address_header(const struct net_address *list, size_t n);
/* RFC 2047 encoded-words for text that is not plain ASCII; a copy otherwise. */
char *net_header_encode(const char *text);

/* net-mail-mime.c */
/* Builds the message's MIME tree on h from the send_email parameters; *ret_type is the
 * top level's Content-Type header line (malloc'ed). */
int net_mail_mime(CURL *h,
                  struct cb_call *call,
                  curl_mime **ret,
                  char **ret_type,
                  struct cb_error *err);

/* net-mail.c */
int net_email_send(struct cb_call *call, json_t **ret, struct cb_error *err);
int net_email_validate(struct cb_call *call, json_t **ret, struct cb_error *err);
int net_email_test(struct cb_call *call, json_t **ret, struct cb_error *err);
