/* SPDX-License-Identifier: MIT */
/* Module http: one request on the session's handle, its answer as LWP would give it. */
#include "services/net/net-internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/cb-json.h"
#include "common/cb-log.h"

#define USER_AGENT "cpan-bridge/" CB_VERSION

/* Room kept in a frame for the envelope and the response's other fields. */
#define FRAME_MARGIN (64u * 1024u)

struct request {
    struct cb_call *call;
    CURL *h;
    const char *method;
    char *url;
    char errbuf[CURL_ERROR_SIZE];
    struct net_body body;
    struct net_response resp;
    bool refused; /* our address policy closed the door */
};

static void wipe_string(json_t *v)
{
    if (json_is_string(v)) {
        explicit_bzero((char *)json_string_value(v), json_string_length(v));
    }
}

static int set_protocols(CURL *h)
{
#if LIBCURL_VERSION_NUM >= 0x075500
    return curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https") == CURLE_OK &&
                           curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https") ==
                                   CURLE_OK
                   ? 0
                   : -EINVAL;
#else
    /* RHEL 9's curl 7.76 has only the bit masks. */
    return curl_easy_setopt(h, CURLOPT_PROTOCOLS, CURLPROTO_HTTP | CURLPROTO_HTTPS) == CURLE_OK &&
                           curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS,
                                            CURLPROTO_HTTP | CURLPROTO_HTTPS) == CURLE_OK
                   ? 0
                   : -EINVAL;
#endif
}

static int set_tls(struct request *q, struct cb_error *err)
{
    json_t *p = q->call->params;
    const char *ca = cb_json_get_string(p, "ca_file", NULL);
    const char *cert = cb_json_get_string(p, "client_cert", NULL);
    const char *key = cb_json_get_string(p, "client_key", NULL);
    bool verify = cb_json_get_bool(p, "verify_ssl", true);

    (void)curl_easy_setopt(q->h, CURLOPT_SSL_VERIFYPEER, verify ? 1L : 0L);
    (void)curl_easy_setopt(q->h, CURLOPT_SSL_VERIFYHOST, verify ? 2L : 0L);
    if ((ca && curl_easy_setopt(q->h, CURLOPT_CAINFO, ca) != CURLE_OK) ||
        (cert && curl_easy_setopt(q->h, CURLOPT_SSLCERT, cert) != CURLE_OK) ||
        (key && curl_easy_setopt(q->h, CURLOPT_SSLKEY, key) != CURLE_OK)) {
        return cb_error_set(err, CB_E_INTERNAL, "out of memory");
    }
    return 0;
}

static int set_auth(struct request *q, struct cb_error *err)
{
    json_t *auth = json_object_get(q->call->params, "auth");
    json_t *user, *pass;

    if (!auth) {
        return 0;
    }
    user = json_object_get(auth, "username");
    pass = json_object_get(auth, "password");
    if (!json_is_string(user) || (pass && !json_is_string(pass))) {
        return cb_error_set(err, CB_E_INVALID_PARAM,
                            "parameter 'auth' must be {username: text, password: text}");
    }
    (void)curl_easy_setopt(q->h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
    (void)curl_easy_setopt(q->h, CURLOPT_USERNAME, json_string_value(user));
    (void)curl_easy_setopt(q->h, CURLOPT_PASSWORD, pass ? json_string_value(pass) : "");
    /* curl has its own copy now (API.md 1.2: secrets are wiped after use). */
    wipe_string(pass);
    return 0;
}

static void set_method(struct request *q)
{
    if (strcmp(q->method, "HEAD") == 0) {
        (void)curl_easy_setopt(q->h, CURLOPT_NOBODY, 1L);
    } else if (strcmp(q->method, "GET") == 0) {
        (void)curl_easy_setopt(q->h, CURLOPT_HTTPGET, 1L);
    } else if (strcmp(q->method, "POST") == 0) {
        if (!q->body.has_body) {
            (void)curl_easy_setopt(q->h, CURLOPT_POSTFIELDSIZE, 0L);
            (void)curl_easy_setopt(q->h, CURLOPT_POSTFIELDS, "");
        }
    } else {
        (void)curl_easy_setopt(q->h, CURLOPT_CUSTOMREQUEST, q->method);
    }
}

static int setup(struct request *q, struct cb_error *err)
{
    json_t *p = q->call->params;
    double timeout = json_number_value(json_object_get(p, "timeout"));
    size_t cap = q->call->config->limits.max_frame / 4 * 3;
    CURLU *u;
    char *scheme = NULL;
    int r;

    r = net_url_build(cb_json_get_string(p, "url", ""), json_object_get(p, "query"), &q->url, err);
    if (r < 0) {
        return r;
    }
    q->resp.headers = json_object();
    q->resp.body.cap = cap > FRAME_MARGIN ? cap - FRAME_MARGIN : cap;
    if (!q->resp.headers || set_protocols(q->h) < 0) {
        return cb_error_set(err, CB_E_INTERNAL, "out of memory");
    }
    (void)curl_easy_setopt(q->h, CURLOPT_URL, q->url);
    (void)curl_easy_setopt(q->h, CURLOPT_NOSIGNAL, 1L);
    (void)curl_easy_setopt(q->h, CURLOPT_ERRORBUFFER, q->errbuf);
    (void)curl_easy_setopt(q->h, CURLOPT_USERAGENT, USER_AGENT);
    (void)curl_easy_setopt(q->h, CURLOPT_ACCEPT_ENCODING, "");
    (void)curl_easy_setopt(q->h, CURLOPT_WRITEFUNCTION, net_sink_write);
    (void)curl_easy_setopt(q->h, CURLOPT_WRITEDATA, &q->resp.body);
    (void)curl_easy_setopt(q->h, CURLOPT_HEADERFUNCTION, net_response_header);
    (void)curl_easy_setopt(q->h, CURLOPT_HEADERDATA, &q->resp);
    (void)curl_easy_setopt(q->h, CURLOPT_TIMEOUT_MS, (long)(timeout * 1000.0));
    (void)curl_easy_setopt(q->h, CURLOPT_FOLLOWLOCATION,
                           cb_json_get_bool(p, "follow_redirects", true) ? 1L : 0L);
    (void)curl_easy_setopt(q->h, CURLOPT_MAXREDIRS, (long)cb_json_get_int(p, "max_redirects", 7));
    net_set_address_policy(q->h, q->call->config, &q->refused);

    u = curl_url();
    if (u && curl_url_set(u, CURLUPART_URL, q->url, 0) == CURLUE_OK) {
        (void)curl_url_get(u, CURLUPART_SCHEME, &scheme, 0);
    }
    r = net_set_proxy(q->h, q->call, scheme ? scheme : "");
    curl_free(scheme);
    curl_url_cleanup(u);
    if (r < 0) {
        return cb_error_set(err, CB_E_INTERNAL, "out of memory");
    }
    r = set_tls(q, err);
    if (r >= 0) {
        r = set_auth(q, err);
    }
    if (r >= 0) {
        r = net_body_apply(q->h, q->call, &q->body, err);
    }
    if (r >= 0) {
        (void)curl_easy_setopt(q->h, CURLOPT_HTTPHEADER, q->body.headers);
        set_method(q);
    }
    return r;
}

static int transfer_failed(struct request *q, CURLcode rc, struct cb_error *err)
{
    CB_CLEANUP(cb_freep) char *shown = net_url_for_log(q->url);
    CB_CLEANUP(cb_freep) char *what = NULL;

    if (q->resp.body.over) {
        return cb_error_set(
                err, CB_E_TOO_LARGE,
                "the response body of %s %s is over %zu bytes, more than a frame ([limits] max_frame_bytes) can carry",
                q->method, shown ? shown : "", q->resp.body.cap);
    }
    if (q->refused) {
        return cb_error_set(
                err, CB_E_DENIED,
                "%s %s: the address is link-local or a metadata service, which [http] refuse_link_local forbids",
                q->method, shown ? shown : "");
    }
    cb_log_info("HTTP %s %s failed: %s", q->method, shown ? shown : "",
                q->errbuf[0] ? q->errbuf : curl_easy_strerror(rc));
    if (asprintf(&what, "%s %s", q->method, shown ? shown : "") < 0) {
        what = NULL;
    }
    return net_curl_error(rc, q->errbuf, what ? what : "the request", err);
}

/*
 * The session's handle, its cookie engine on. Not with CURLOPT_COOKIEFILE "": curl keeps that
 * option's list past curl_easy_reset and loses it there (17 bytes a call, curl 7.88), while a
 * cookie added and erased through CURLOPT_COOKIELIST starts the same engine, which the reset
 * keeps, with nothing to lose.
 */
static CURL *session_handle(struct cb_call *call, struct net_session *s)
{
    bool fresh = !s->http;
    CURL *h = net_handle(call, &s->http);

    if (h && fresh) {
        (void)curl_easy_setopt(h, CURLOPT_COOKIELIST, "Set-Cookie: cb-engine=1; domain=cb.invalid");
        (void)curl_easy_setopt(h, CURLOPT_COOKIELIST, "ALL");
    }
    return h;
}

static int perform(struct cb_call *call, const char *method, json_t **ret, struct cb_error *err)
{
    struct net_session *s = call->session->family_data;
    struct request q = { .call = call, .method = method };
    bool jar = cb_json_get_bool(call->params, "cookies", true);
    CURL *own = NULL;
    CURLcode rc;
    int r;

    /* cookies: false gets a handle of its own, so the session's jar is neither read nor
     * written; it gives up the kept connections for that one call. */
    q.h = jar ? session_handle(call, s) : (own = curl_easy_init());
    if (!q.h) {
        return cb_error_set(err, CB_E_INTERNAL, "out of memory");
    }
    r = setup(&q, err);
    if (r >= 0) {
        rc = curl_easy_perform(q.h);
        if (rc != CURLE_OK) {
            r = transfer_failed(&q, rc, err);
        } else {
            *ret = net_response_json(q.h, &q.resp, strcmp(method, "HEAD") == 0);
            r = *ret ? 0 : cb_error_set(err, CB_E_INTERNAL, "out of memory");
        }
    }
    /* The handle keeps pointers to our lists and buffers until it is reset or freed. */
    if (!own) {
        curl_easy_reset(q.h);
    }
    curl_easy_cleanup(own);
    net_body_done(&q.body);
    net_response_done(&q.resp);
    free(q.url);
    return r;
}

int net_http_get(struct cb_call *call, json_t **ret, struct cb_error *err)
{
    return perform(call, "GET", ret, err);
}

int net_http_post(struct cb_call *call, json_t **ret, struct cb_error *err)
{
    return perform(call, "POST", ret, err);
}

int net_http_put(struct cb_call *call, json_t **ret, struct cb_error *err)
{
    return perform(call, "PUT", ret, err);
}

int net_http_patch(struct cb_call *call, json_t **ret, struct cb_error *err)
{
    return perform(call, "PATCH", ret, err);
}

int net_http_delete(struct cb_call *call, json_t **ret, struct cb_error *err)
{
    return perform(call, "DELETE", ret, err);
}

int net_http_head(struct cb_call *call, json_t **ret, struct cb_error *err)
{
    return perform(call, "HEAD", ret, err);
}

int net_http_request(struct cb_call *call, json_t **ret, struct cb_error *err)
{
    return perform(call, cb_json_get_string(call->params, "method", "GET"), ret, err);
}
