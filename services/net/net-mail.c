/* SPDX-License-Identifier: MIT */
/* Module email_helper: sending a message over SMTP, checking a server, checking an address. */
#include "services/net/net-internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "common/cb-json.h"
#include "common/cb-log.h"

#define OOM(err) cb_error_set(err, CB_E_INTERNAL, "out of memory")

/* Names that have their own parameters: a `headers` entry may not set them a second time. */
static const char *const own_headers[] = { "From",
                                           "To",
                                           "Cc",
                                           "Bcc",
                                           "Reply-To",
                                           "Subject",
                                           "Date",
                                           "Message-ID",
                                           "MIME-Version",
                                           "Content-Type",
                                           "Content-Transfer-Encoding" };

struct smtp {
    struct cb_call *call;
    CURL *h;
    char url[600];
    char errbuf[CURL_ERROR_SIZE];
    char greeting[512]; /* the server's first reply line */
    char refusal[512];  /* its last 4xx or 5xx reply: the reason of a refusal */
    struct curl_slist *rcpt, *headers;
    struct net_address *from, *to, *cc, *bcc, *reply_to;
    size_t n_from, n_to, n_cc, n_bcc, n_reply_to;
    curl_mime *mime;
    bool refused; /* our address policy closed the door (curl holds its address) */
};

/* Keeps the server's replies; curl calls this only with CURLOPT_VERBOSE on. */
static int on_debug(CURL *h CB_UNUSED, curl_infotype type, char *data, size_t len, void *arg)
{
    struct smtp *m = arg;
    size_t n = len;

    if (type != CURLINFO_HEADER_IN) {
        return 0;
    }
    while (n > 0 && (data[n - 1] == '\r' || data[n - 1] == '\n')) {
        n--;
    }
    if (n >= sizeof m->refusal) {
        n = sizeof m->refusal - 1;
    }
    /* curl says QUIT after a refusal; the 221 that answers it is not the reason. */
    if (n > 0 && (data[0] == '4' || data[0] == '5')) {
        memcpy(m->refusal, data, n);
        m->refusal[n] = '\0';
    }
    if (!m->greeting[0]) {
        memcpy(m->greeting, data, n);
        m->greeting[n] = '\0';
    }
    return 0;
}

static size_t discard(char *data CB_UNUSED, size_t size, size_t n, void *arg CB_UNUSED)
{
    return size * n;
}

/* smtp://host:port, or smtps:// for tls=ssl, with IPv6 literals bracketed. */
static int server_url(struct smtp *m, const char **ret_host, long *ret_port, struct cb_error *err)
{
    json_t *p = m->call->params;
    const char *host = cb_json_get_string(p, "smtp_host", m->call->config->smtp_host);
    const char *tls = cb_json_get_string(p, "tls", "auto");
    bool ssl = strcmp(tls, "ssl") == 0;
    long port = (long)cb_json_get_int(p, "smtp_port", ssl ? 465 : m->call->config->smtp_port);
    bool v6 = strchr(host, ':') != NULL;
    char self[256] = "";

    if (!*host || strpbrk(host, "/?#@ []")) {
        return cb_error_set(err, CB_E_INVALID_PARAM, "parameter 'smtp_host' is not a host name");
    }
    /* The URL's path is the name curl gives in EHLO: this host's, as a mail client's is. */
    if (gethostname(self, sizeof self - 1) < 0 || !self[0] || strpbrk(self, "/?#@ ")) {
        snprintf(self, sizeof self, "localhost");
    }
    snprintf(m->url, sizeof m->url, "%s://%s%s%s:%ld/%s", ssl ? "smtps" : "smtp", v6 ? "[" : "",
             host, v6 ? "]" : "", port, self);
    *ret_host = host;
    *ret_port = port;
    return 0;
}

static int connection_options(struct smtp *m, struct cb_error *err)
{
    json_t *p = m->call->params;
    const char *tls = cb_json_get_string(p, "tls", "auto");
    bool verify = cb_json_get_bool(p, "verify_ssl", true);
    const char *ca = cb_json_get_string(p, "ca_file", NULL);
    double timeout = json_number_value(json_object_get(p, "timeout"));
    long use_ssl = CURLUSESSL_TRY;

    if (strcmp(tls, "none") == 0) {
        use_ssl = CURLUSESSL_NONE;
    } else if (strcmp(tls, "starttls") == 0 || strcmp(tls, "ssl") == 0) {
        use_ssl = CURLUSESSL_ALL;
    }
    if (curl_easy_setopt(m->h, CURLOPT_URL, m->url) != CURLE_OK ||
        curl_easy_setopt(m->h, CURLOPT_PROXY, "") != CURLE_OK) {
        return OOM(err);
    }
    (void)curl_easy_setopt(m->h, CURLOPT_USE_SSL, use_ssl);
    (void)curl_easy_setopt(m->h, CURLOPT_SSL_VERIFYPEER, verify ? 1L : 0L);
    (void)curl_easy_setopt(m->h, CURLOPT_SSL_VERIFYHOST, verify ? 2L : 0L);
    if (ca && curl_easy_setopt(m->h, CURLOPT_CAINFO, ca) != CURLE_OK) {
        return OOM(err);
    }
    (void)curl_easy_setopt(m->h, CURLOPT_NOSIGNAL, 1L);
    (void)curl_easy_setopt(m->h, CURLOPT_TIMEOUT_MS, (long)(timeout * 1000.0));
    (void)curl_easy_setopt(m->h, CURLOPT_ERRORBUFFER, m->errbuf);
    (void)curl_easy_setopt(m->h, CURLOPT_VERBOSE, 1L);
    (void)curl_easy_setopt(m->h, CURLOPT_DEBUGFUNCTION, on_debug);
    (void)curl_easy_setopt(m->h, CURLOPT_DEBUGDATA, m);
    (void)curl_easy_setopt(m->h, CURLOPT_WRITEFUNCTION, discard);
    net_set_address_policy(m->h, m->call->config, &m->refused);
    return 0;
}

static int set_credentials(struct smtp *m, struct cb_error *err)
{
    const char *user = cb_json_get_string(m->call->params, "smtp_user", NULL);
    json_t *pw = json_object_get(m->call->params, "smtp_password");
    int r = 0;

    if (user &&
        (curl_easy_setopt(m->h, CURLOPT_USERNAME, user) != CURLE_OK ||
         curl_easy_setopt(m->h, CURLOPT_PASSWORD, pw ? json_string_value(pw) : "") != CURLE_OK)) {
        r = OOM(err);
    }
    /* curl holds its own copy now. */
    if (json_is_string(pw)) {
        explicit_bzero((char *)json_string_value(pw), json_string_length(pw));
    }
    return r;
}

/* Appends prefix, value and suffix as one line. */
static int add_line(struct curl_slist **list,
                    const char *prefix,
                    const char *value,
                    const char *suffix)
{
    CB_CLEANUP(cb_freep) char *line = NULL;
    struct curl_slist *grown;

    if (asprintf(&line, "%s%s%s", prefix, value, suffix) < 0) {
        return -ENOMEM;
    }
    grown = curl_slist_append(*list, line);
    if (!grown) {
        return -ENOMEM;
    }
    *list = grown;
    return 0;
}

static int parse_addresses(struct smtp *m, struct cb_error *err)
{
    json_t *p = m->call->params;
    int r;

    r = net_address_list(json_object_get(p, "from"), "from", &m->from, &m->n_from, err);
    if (r >= 0 && m->n_from != 1) {
        r = cb_error_set(err, CB_E_INVALID_PARAM, "parameter 'from' must be one address");
    }
    r = r < 0 ? r : net_address_list(json_object_get(p, "to"), "to", &m->to, &m->n_to, err);
    if (r >= 0 && json_object_get(p, "cc")) {
        r = net_address_list(json_object_get(p, "cc"), "cc", &m->cc, &m->n_cc, err);
    }
    if (r >= 0 && json_object_get(p, "bcc")) {
        r = net_address_list(json_object_get(p, "bcc"), "bcc", &m->bcc, &m->n_bcc, err);
    }
    if (r >= 0 && json_object_get(p, "reply_to")) {
        r = net_address_list(json_object_get(p, "reply_to"), "reply_to", &m->reply_to,
                             &m->n_reply_to, err);
    }
    if (r >= 0 && m->n_to + m->n_cc + m->n_bcc == 0) {
        r = cb_error_set(err, CB_E_INVALID_PARAM, "parameter 'to' names no recipient");
    }
    return r;
}

static int add_recipients(struct smtp *m, const struct net_address *list, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (add_line(&m->rcpt, "<", list[i].addr, ">") < 0) {
            return -ENOMEM;
        }
    }
    return 0;
}

static int address_header(struct smtp *m, const char *name, const struct net_address *list, size_t n)
{
    CB_CLEANUP(cb_freep) char *value = NULL;
    char prefix[64];

    if (n == 0) {
        return 0;
    }
    value = net_address_header(list, n);
    snprintf(prefix, sizeof prefix, "%s: ", name);
    return value ? add_line(&m->headers, prefix, value, "") : -ENOMEM;
}

static void make_message_id(const struct smtp *m, char *buf, size_t size)
{
    const char *domain = strrchr(m->from[0].addr, '@');
    uint64_t rnd[2] = { 0, 0 };

    if (getrandom(rnd, sizeof rnd, 0) != sizeof rnd) {
        rnd[0] = (uint64_t)time(NULL);
    }
    snprintf(buf, size, "<%016llx.%016llx@%s>", (unsigned long long)rnd[0],
             (unsigned long long)rnd[1], domain ? domain + 1 : "cpan-bridge");
}

static bool own_header(const char *name)
{
    for (size_t i = 0; i < CB_ELEMENTSOF(own_headers); i++) {
        if (strcasecmp(name, own_headers[i]) == 0) {
            return true;
        }
    }
    return false;
}

static int extra_headers(struct smtp *m, struct cb_error *err)
{
    const char *name;
    json_t *v;

    json_object_foreach(json_object_get(m->call->params, "headers"), name, v)
    {
        CB_CLEANUP(cb_freep) char *encoded = NULL;
        char prefix[300];

        if (!json_is_string(v) || !*name || strpbrk(name, ": \r\n") ||
            strpbrk(json_string_value(v), "\r\n") || strlen(name) > 200) {
            return cb_error_set(
                    err, CB_E_INVALID_PARAM,
                    "parameter 'headers': '%s' must be a header name with a one-line text value",
                    name);
        }
        if (own_header(name)) {
            return cb_error_set(err, CB_E_INVALID_PARAM,
                                "parameter 'headers': '%s' is set by its own parameter", name);
        }
        encoded = net_header_encode(json_string_value(v));
        snprintf(prefix, sizeof prefix, "%s: ", name);
        if (!encoded || add_line(&m->headers, prefix, encoded, "") < 0) {
            return OOM(err);
        }
    }
    return 0;
}

static int message_headers(struct smtp *m, char *message_id, size_t id_size, struct cb_error *err)
{
    CB_CLEANUP(cb_freep)
    char *subject = net_header_encode(cb_json_get_string(m->call->params, "subject", ""));
    char date[64];
    struct tm tm;
    time_t now = time(NULL);

    (void)gmtime_r(&now, &tm);
    (void)strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &tm);
    make_message_id(m, message_id, id_size);
    /* Bcc is not a header: its recipients must not see each other. */
    if (!subject || address_header(m, "From", m->from, m->n_from) < 0 ||
        address_header(m, "To", m->to, m->n_to) < 0 ||
        address_header(m, "Cc", m->cc, m->n_cc) < 0 ||
        address_header(m, "Reply-To", m->reply_to, m->n_reply_to) < 0 ||
        add_line(&m->headers, "Subject: ", subject, "") < 0 ||
        add_line(&m->headers, "Date: ", date, "") < 0 ||
        add_line(&m->headers, "Message-ID: ", message_id, "") < 0) {
        return OOM(err);
    }
    return extra_headers(m, err);
}

static int smtp_failed(struct smtp *m, CURLcode rc, const char *what, struct cb_error *err)
{
    if (m->refused) {
        return cb_error_set(
                err, CB_E_DENIED,
                "%s via %s: the address is link-local or a metadata service, which [http] refuse_link_local forbids",
                what, m->url);
    }
    long code = 0;
    char text[24];

    (void)curl_easy_getinfo(m->h, CURLINFO_RESPONSE_CODE, &code);
    cb_log_info("SMTP %s via %s failed: %s%s%s", what, m->url,
                m->errbuf[0] ? m->errbuf : curl_easy_strerror(rc),
                m->refusal[0] ? "; server said: " : "", m->refusal);
    /* The server said no (a refused recipient, a failed login): its own code and words. */
    if (code >= 400 && rc != CURLE_OPERATION_TIMEDOUT) {
        snprintf(text, sizeof text, "%ld", code);
        return cb_error_set_backend(err, text, m->refusal[0] ? m->refusal : m->errbuf,
                                    "the SMTP server refused the message (%s); nothing was sent",
                                    m->refusal[0] ? m->refusal : m->errbuf);
    }
    return net_curl_error(rc, m->errbuf, what, err);
}

static void smtp_done(struct smtp *m, bool own)
{
    if (m->h) {
        /* Our lists must outlive the handle's use of them. */
        curl_easy_reset(m->h);
    }
    if (own) {
        curl_easy_cleanup(m->h);
    }
    curl_slist_free_all(m->rcpt);
    curl_slist_free_all(m->headers);
    curl_mime_free(m->mime);
    net_address_list_free(m->from, m->n_from);
    net_address_list_free(m->to, m->n_to);
    net_address_list_free(m->cc, m->n_cc);
    net_address_list_free(m->bcc, m->n_bcc);
    net_address_list_free(m->reply_to, m->n_reply_to);
}

int net_email_send(struct cb_call *call, json_t **ret, struct cb_error *err)
{
    struct net_session *s = call->session->family_data;
    struct smtp m = { .call = call };
    CB_CLEANUP(cb_freep) char *top_type = NULL;
    char message_id[200];
    const char *host;
    long port;
    CURLcode rc;
    int r;

    r = parse_addresses(&m, err);
    r = r < 0 ? r : server_url(&m, &host, &port, err);
    if (r >= 0) {
        /* The session's handle keeps the SMTP connection for its next message. */
        m.h = net_handle(call, &s->smtp);
        r = m.h ? 0 : OOM(err);
    }
    r = r < 0 ? r : connection_options(&m, err);
    r = r < 0 ? r : set_credentials(&m, err);
    r = r < 0 ? r : message_headers(&m, message_id, sizeof message_id, err);
    r = r < 0 ? r : net_mail_mime(m.h, call, &m.mime, &top_type, err);
    if (r >= 0 && add_line(&m.headers, top_type, "", "") < 0) {
        r = OOM(err);
    }
    if (r >= 0 && (add_recipients(&m, m.to, m.n_to) < 0 || add_recipients(&m, m.cc, m.n_cc) < 0 ||
                   add_recipients(&m, m.bcc, m.n_bcc) < 0)) {
        r = OOM(err);
    }
    if (r >= 0) {
        CB_CLEANUP(cb_freep) char *from = NULL;

        if (asprintf(&from, "<%s>", m.from[0].addr) < 0) {
            r = OOM(err);
        } else {
            (void)curl_easy_setopt(m.h, CURLOPT_MAIL_FROM, from);
            (void)curl_easy_setopt(m.h, CURLOPT_MAIL_RCPT, m.rcpt);
            (void)curl_easy_setopt(m.h, CURLOPT_HTTPHEADER, m.headers);
            (void)curl_easy_setopt(m.h, CURLOPT_MIMEPOST, m.mime);
            rc = curl_easy_perform(m.h);
            r = rc == CURLE_OK ? 0 : smtp_failed(&m, rc, "sending a message", err);
        }
    }
    if (r >= 0) {
        *ret = json_pack("{s:s, s:s, s:s, s:i}", "status", "sent", "message",
                         "Email sent successfully", "message_id", message_id, "recipients",
                         (int)(m.n_to + m.n_cc + m.n_bcc));
        r = *ret ? 0 : OOM(err);
    }
    smtp_done(&m, false);
    return r;
}

int net_email_test(struct cb_call *call, json_t **ret, struct cb_error *err)
{
    struct smtp m = { .call = call };
    const char *host;
    long port;
    CURLcode rc;
    int r;

    r = server_url(&m, &host, &port, err);
    if (r >= 0) {
        m.h = curl_easy_init();
        r = m.h ? 0 : OOM(err);
    }
    r = r < 0 ? r : connection_options(&m, err);
    if (r >= 0) {
        /* NOOP proves the greeting, EHLO and (when asked) TLS; no mail is started. */
        (void)curl_easy_setopt(m.h, CURLOPT_CUSTOMREQUEST, "NOOP");
        rc = curl_easy_perform(m.h);
        r = rc == CURLE_OK ? 0 : smtp_failed(&m, rc, "connecting", err);
    }
    if (r >= 0) {
        *ret = json_pack("{s:s, s:s, s:I, s:s}", "status", "connected", "host", host, "port",
                         (json_int_t)port, "response", m.greeting);
        r = *ret ? 0 : OOM(err);
    }
    smtp_done(&m, true);
    return r;
}

int net_email_validate(struct cb_call *call, json_t **ret, struct cb_error *err)
{
    const char *address = cb_json_get_string(call->params, "address", "");
    const char *why = NULL;
    bool valid = net_addr_spec_valid(address, &why);

    *ret = valid ? json_pack("{s:s, s:b}", "address", address, "valid", 1)
                 : json_pack("{s:s, s:b, s:s}", "address", address, "valid", 0, "reason", why);
    return *ret ? 0 : OOM(err);
}
