/* SPDX-License-Identifier: MIT */
/* What the http and email modules share: handles, proxies, address policy, errors. */
#include "services/net/net-internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cb-path.h"

CURL *net_handle(struct cb_call *call, CURL **which)
{
    /* curl_easy_reset keeps the live connections, the TLS session cache and the cookies:
     * exactly what a session is for, while every option starts from its default again. */
    if (*which) {
        curl_easy_reset(*which);
        return *which;
    }
    (void)call;
    *which = curl_easy_init();
    return *which;
}

static const char *env_get(struct cb_call *call, const char *lower, const char *upper)
{
    const char *v = cb_json_get_string(call->env, lower, NULL);

    if ((!v || !*v) && upper) {
        v = cb_json_get_string(call->env, upper, NULL);
    }
    return v && *v ? v : NULL;
}

int net_set_proxy(CURL *h, struct cb_call *call, const char *scheme)
{
    const char *given = cb_json_get_string(call->params, "proxy", NULL);
    const char *proxy, *no_proxy;

    if (given) {
        return curl_easy_setopt(h, CURLOPT_PROXY, given) == CURLE_OK ? 0 : -ENOMEM;
    }
    /* The script's own variables, as it would have used them itself. Upper-case HTTP_PROXY
     * is not read, as curl does not: a CGI's request headers can set it. */
    if (strcmp(scheme, "https") == 0) {
        proxy = env_get(call, "https_proxy", "HTTPS_PROXY");
    } else if (strcmp(scheme, "http") == 0) {
        proxy = env_get(call, "http_proxy", NULL);
    } else {
        proxy = NULL;
    }
    if (!proxy) {
        proxy = env_get(call, "all_proxy", "ALL_PROXY");
    }
    no_proxy = env_get(call, "no_proxy", "NO_PROXY");
    /* An empty string turns curl's own reading of the daemon's environment off. */
    if (curl_easy_setopt(h, CURLOPT_PROXY, proxy ? proxy : "") != CURLE_OK ||
        (no_proxy && curl_easy_setopt(h, CURLOPT_NOPROXY, no_proxy) != CURLE_OK)) {
        return -ENOMEM;
    }
    return 0;
}

static bool address_refused(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET) {
        uint32_t a = ntohl(((const struct sockaddr_in *)(const void *)sa)->sin_addr.s_addr);

        /* 169.254.0.0/16 holds the cloud metadata services (169.254.169.254). */
        return (a & 0xffff0000u) == 0xa9fe0000u;
    }
    if (sa->sa_family == AF_INET6) {
        const struct in6_addr *a = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
        static const uint8_t aws_v6[16] = { 0xfd, 0x00, 0x0e, 0xc2, [15] = 0x54 };

        if (IN6_IS_ADDR_LINKLOCAL(a) || memcmp(a->s6_addr, aws_v6, 16) == 0) {
            return true;
        }
        if (IN6_IS_ADDR_V4MAPPED(a)) {
            return a->s6_addr[12] == 169 && a->s6_addr[13] == 254;
        }
    }
    return false;
}

/* Called for every connection curl opens, redirects included, with the resolved address. */
static curl_socket_t open_checked(void *userdata,
                                  curlsocktype purpose CB_UNUSED,
                                  struct curl_sockaddr *addr)
{
    bool *refused = userdata;

    if (address_refused(&addr->addr)) {
        *refused = true;
        return CURL_SOCKET_BAD;
    }
    return socket(addr->family, addr->socktype | SOCK_CLOEXEC, addr->protocol);
}

void net_set_address_policy(CURL *h, const struct cb_config *config, bool *refused)
{
    *refused = false;
    if (config->http_refuse_link_local) {
        (void)curl_easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, open_checked);
        (void)curl_easy_setopt(h, CURLOPT_OPENSOCKETDATA, refused);
    }
}

int net_curl_error(CURLcode rc, const char *errbuf, const char *what, struct cb_error *err)
{
    const char *reason = errbuf && *errbuf ? errbuf : curl_easy_strerror(rc);
    char code[16];

    switch (rc) {
    case CURLE_OPERATION_TIMEDOUT:
        return cb_error_set(err, CB_E_TIMEOUT, "%s timed out: %s", what, reason);
    case CURLE_OUT_OF_MEMORY:
        return cb_error_set(err, CB_E_INTERNAL, "%s: out of memory", what);
    default:
        break;
    }
    snprintf(code, sizeof code, "%d", (int)rc);
    return cb_error_set_backend(err, code, reason, "%s failed: %s", what, reason);
}

char *net_url_for_log(const char *url)
{
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL, *port = NULL, *path = NULL, *out = NULL;

    if (!u || curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK) {
        curl_url_cleanup(u);
        return strdup("(unparsable URL)");
    }
    (void)curl_url_get(u, CURLUPART_SCHEME, &scheme, 0);
    (void)curl_url_get(u, CURLUPART_HOST, &host, 0);
    (void)curl_url_get(u, CURLUPART_PORT, &port, 0);
    (void)curl_url_get(u, CURLUPART_PATH, &path, 0);
    if (asprintf(&out, "%s://%s%s%s%s", scheme ? scheme : "", host ? host : "", port ? ":" : "",
                 port ? port : "", path ? path : "") < 0) {
        out = NULL;
    }
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
    curl_free(path);
    curl_url_cleanup(u);
    return out;
}

size_t net_sink_write(char *data, size_t size, size_t n, void *userdata)
{
    struct net_sink *s = userdata;
    size_t len = size * n;

    if (cb_buf_pending(&s->buf) + len > s->cap) {
        s->over = true;
        return 0; /* anything but len fails the transfer */
    }
    if (cb_buf_append(&s->buf, data, len) < 0) {
        return 0;
    }
    return len;
}

static size_t file_read(char *buf, size_t size, size_t n, void *arg)
{
    ssize_t got = read((int)(intptr_t)arg, buf, size * n);

    return got < 0 ? CURL_READFUNC_ABORT : (size_t)got;
}

static int file_seek(void *arg, curl_off_t offset, int origin)
{
    return lseek((int)(intptr_t)arg, (off_t)offset, origin) < 0 ? CURL_SEEKFUNC_FAIL
                                                                : CURL_SEEKFUNC_OK;
}

static void file_close(void *arg)
{
    close((int)(intptr_t)arg);
}

int net_mime_file(curl_mimepart *part,
                  struct cb_call *call,
                  const char *param,
                  const char *path,
                  struct cb_error *err)
{
    const char *base = strrchr(path, '/');
    struct stat st;
    int fd;

    if (path[0] != '/') {
        return cb_error_set(err, CB_E_INVALID_PARAM, "parameter '%s': '%s' is not an absolute path",
                            param, path);
    }
    fd = cb_path_open(call->config, param, path, O_RDONLY | O_CLOEXEC, 0, err);
    if (fd < 0) {
        return fd;
    }
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return cb_error_set(err, CB_E_INVALID_PARAM, "parameter '%s': '%s' is not a regular file",
                            param, path);
    }
    /* curl owns the fd from here: file_close runs when the part is freed. */
    if (curl_mime_data_cb(part, st.st_size, file_read, file_seek, file_close,
                          (void *)(intptr_t)fd) != CURLE_OK) {
        close(fd);
        return cb_error_set(err, CB_E_INTERNAL, "out of memory");
    }
    return curl_mime_filename(part, base ? base + 1 : path) == CURLE_OK
                   ? 0
                   : cb_error_set(err, CB_E_INTERNAL, "out of memory");
}
