/* SPDX-License-Identifier: MIT */
/*
 * The net family against real servers on loopback: httpbin behind nginx (plain HTTP, and
 * HTTPS with a CA made for the run) from tests/net/web-servers.sh, and an SMTP sink from
 * tests/net/smtp-sink.sh whose Maildir tests/net/read-mail.py reads back independently.
 */
#include <check.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/integration/it-harness.h"

static bool have_web;
static char web_dir[300], httpbin_url[300], http_url[300], https_url[300], ca_file[300],
        access_log[300];

static void read_vars(FILE *p, const char *const *names, char *const *values, size_t n)
{
    char line[400];

    while (fgets(line, sizeof line, p)) {
        line[strcspn(line, "\n")] = '\0';
        for (size_t i = 0; i < n; i++) {
            size_t len = strlen(names[i]);

            if (strncmp(line, names[i], len) == 0 && line[len] == '=') {
                snprintf(values[i], 300, "%s", line + len + 1);
            }
        }
    }
}

/* Runs `script start`, reading its KEY=VALUE lines; false when its servers are not installed
 * (exit 77: make deps installs them). Any other failure fails the run. */
static bool start_servers(const char *script,
                          const char *const *names,
                          char *const *values,
                          size_t n)
{
    char cmd[200];
    FILE *p;
    int status;

    snprintf(cmd, sizeof cmd, "tests/net/%s start", script);
    p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    read_vars(p, names, values, n);
    status = pclose(p);
    ck_assert_msg(WIFEXITED(status) && (WEXITSTATUS(status) == 0 || WEXITSTATUS(status) == 77),
                  "%s failed", cmd);
    if (WEXITSTATUS(status) != 0) {
        fprintf(stderr, "it-net: %s found no servers: its checks are skipped\n", script);
    }
    return WEXITSTATUS(status) == 0;
}

static void start_web(void)
{
    static const char *const names[] = { "WEB_DIR",   "HTTPBIN_URL", "HTTP_URL",
                                         "HTTPS_URL", "CA_FILE",     "ACCESS_LOG" };
    char *const values[] = { web_dir, httpbin_url, http_url, https_url, ca_file, access_log };

    have_web = start_servers("web-servers.sh", names, values, 6) && http_url[0];
}

static void fixture_start(void)
{
    start_web();
    it_suite_start(&it_current, "[http]\nrefuse_link_local = yes\n");
}

static void fixture_stop(void)
{
    char cmd[400];

    it_suite_stop(&it_current);
    if (web_dir[0]) {
        snprintf(cmd, sizeof cmd, "tests/net/web-servers.sh stop '%s'", web_dir);
        (void)system(cmd);
    }
}

/* One http call with params packed by json_pack; returns the whole answer. */
static json_t *http(struct cb_client *c, const char *function, const char *fmt, ...)
{
    json_t *params, *resp = NULL;
    va_list ap;
    int r;

    va_start(ap, fmt);
    params = json_vpack_ex(NULL, 0, fmt, ap);
    va_end(ap);
    ck_assert_ptr_nonnull(params);
    r = cb_client_call(c, "http", function, params, &resp);
    ck_assert_msg(r == 0, "http.%s: transport error %d", function, r);
    return resp;
}

static json_t *ok(json_t *resp)
{
    char *s = json_dumps(resp, JSON_COMPACT);

    ck_assert_msg(cb_client_response_ok(resp), "call failed: %.2000s", s);
    free(s);
    return resp;
}

static json_t *result(json_t *resp)
{
    return json_object_get(resp, "result");
}

static int64_t status_of(json_t *resp)
{
    return json_integer_value(json_object_get(result(resp), "status_code"));
}

/* httpbin answers JSON; its echo of our request, parsed. */
static json_t *echo(json_t *resp)
{
    const char *text = json_string_value(json_object_get(result(resp), "content"));
    json_t *v;

    ck_assert_msg(text, "the content is not text");
    v = json_loads(text, 0, NULL);
    ck_assert_msg(v, "the content is not JSON: %.200s", text);
    return v;
}

static char *url(const char *base, const char *path)
{
    char *u = NULL;

    ck_assert_int_ge(asprintf(&u, "%s%s", base, path), 0);
    return u;
}

static void expect_code(json_t *resp, const char *code)
{
    char *s = json_dumps(resp, JSON_COMPACT);

    ck_assert_msg(strcmp(it_code(resp), code) == 0, "expected %s, got %s", code, s);
    free(s);
    json_decref(resp);
}

START_TEST(test_methods)
{
    static const char *const methods[] = { "GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS" };
    struct cb_client *c;
    char *u;

    if (!have_web) {
        return;
    }
    c = it_connect(&it_current);
    u = url(http_url, "/anything/m");
    for (size_t i = 0; i < sizeof methods / sizeof *methods; i++) {
        json_t *r = ok(http(c, "request", "{s:s, s:s}", "method", methods[i], "url", u)), *e;

        ck_assert_int_eq(status_of(r), 200);
        if (strcmp(methods[i], "OPTIONS") != 0) {
            e = echo(r);
            ck_assert_str_eq(json_string_value(json_object_get(e, "method")), methods[i]);
            json_decref(e);
        }
        json_decref(r);
    }
    for (size_t i = 0; i < 5; i++) {
        static const char *const fns[] = { "get", "post", "put", "patch", "delete" };
        json_t *r = ok(http(c, fns[i], "{s:s}", "url", u)), *e = echo(r);
        char upper[8];

        for (size_t k = 0; k <= strlen(fns[i]); k++) {
            upper[k] = (char)(fns[i][k] >= 'a' ? fns[i][k] - 32 : fns[i][k]);
        }
        ck_assert_str_eq(json_string_value(json_object_get(e, "method")), upper);
        json_decref(e);
        json_decref(r);
    }
    /* HEAD: the status and headers of a GET, and no content. */
    {
        json_t *r = ok(http(c, "head", "{s:s}", "url", u));

        ck_assert_int_eq(status_of(r), 200);
        ck_assert_str_eq(json_string_value(json_object_get(result(r), "content")), "");
        ck_assert_ptr_nonnull(
                json_object_get(json_object_get(result(r), "headers"), "content-type"));
        json_decref(r);
    }
    free(u);
    cb_client_free(c);
}
END_TEST

START_TEST(test_json_form_and_content_bodies)
{
    struct cb_client *c;
    json_t *sent, *r, *e;
    char *u;

    if (!have_web) {
        return;
    }
    c = it_connect(&it_current);
    u = url(http_url, "/post");
    sent = json_pack("{s:[i, s, s], s:n, s:{s:b}, s:f}", "list", 1, "é", "日本語 🎉", "none",
                     "nested", "yes", 1, "pi", 3.25);
    r = ok(http(c, "post", "{s:s, s:O}", "url", u, "json", sent));
    e = echo(r);
    ck_assert(json_equal(json_object_get(e, "json"), sent));
    ck_assert_str_eq(
            json_string_value(json_object_get(json_object_get(e, "headers"), "Content-Type")),
            "application/json");
    json_decref(e);
    json_decref(r);
    json_decref(sent);

    r = ok(http(c, "post", "{s:s, s:{s:s, s:[s, s], s:i}}", "url", u, "form", "name", "a b&c=d",
                "multi", "1", "2", "n", 7));
    e = echo(r);
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(e, "form"), "name")),
                     "a b&c=d");
    ck_assert_uint_eq(json_array_size(json_object_get(json_object_get(e, "form"), "multi")), 2);
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(e, "form"), "n")), "7");
    json_decref(e);
    json_decref(r);

    free(u);
    u = url(http_url, "/put");
    r = ok(http(c, "put", "{s:s, s:s, s:s}", "url", u, "content", "raw text body", "content_type",
                "text/plain; charset=utf-8"));
    e = echo(r);
    ck_assert_str_eq(json_string_value(json_object_get(e, "data")), "raw text body");
    ck_assert_str_eq(
            json_string_value(json_object_get(json_object_get(e, "headers"), "Content-Type")),
            "text/plain; charset=utf-8");
    json_decref(e);
    json_decref(r);
    free(u);
    u = url(http_url, "/post");

    /* The earlier name: an object is a form. */
    r = ok(http(c, "request", "{s:s, s:s, s:{s:s}}", "method", "POST", "url", u,
                "form_encoded_content", "k", "v"));
    e = echo(r);
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(e, "form"), "k")), "v");
    json_decref(e);
    json_decref(r);

    expect_code(http(c, "post", "{s:s, s:s, s:{}}", "url", u, "content", "x", "form"),
                "E_INVALID_PARAM");
    free(u);
    cb_client_free(c);
}
END_TEST

START_TEST(test_multipart_with_file)
{
    char path[] = "/tmp/cb-it-net-XXXXXX";
    struct cb_client *c;
    json_t *r, *e;
    int fd;
    char *u;

    if (!have_web) {
        return;
    }
    fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, "file contents ü\n", 17), 17);
    close(fd);
    c = it_connect(&it_current);
    u = url(http_url, "/post");
    r = ok(http(c, "post", "{s:s, s:[{s:s, s:s}, {s:s, s:s, s:s}]}", "url", u, "multipart", "name",
                "field", "value", "plain value", "name", "upload", "file", path, "content_type",
                "text/plain"));
    e = echo(r);
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(e, "form"), "field")),
                     "plain value");
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(e, "files"), "upload")),
                     "file contents ü\n");
    json_decref(e);
    json_decref(r);

    /* A file the user may not read is refused before anything is sent. */
    expect_code(http(c, "post", "{s:s, s:[{s:s, s:s}]}", "url", u, "multipart", "name", "x", "file",
                     "/nonexistent/file"),
                "E_INVALID_PARAM");
    unlink(path);
    free(u);
    cb_client_free(c);
}
END_TEST

START_TEST(test_headers_both_ways)
{
    struct cb_client *c;
    json_t *r, *e, *h;
    char *u;

    if (!have_web) {
        return;
    }
    c = it_connect(&it_current);
    u = url(http_url, "/response-headers?X-Twice=a&X-Twice=b");
    r = ok(http(c, "get", "{s:s, s:{s:s, s:i}}", "url", u, "headers", "X-Request-Tag", "abc 123",
                "X-Number", 42));
    h = json_object_get(result(r), "headers");
    /* Lower-case names; a repeated header joined as HTTP::Headers does. */
    ck_assert_str_eq(json_string_value(json_object_get(h, "x-twice")), "a, b");
    ck_assert_ptr_nonnull(json_object_get(h, "content-type"));
    json_decref(r);
    free(u);

    u = url(http_url, "/headers");
    r = ok(http(c, "get", "{s:s, s:{s:s}}", "url", u, "headers", "X-Request-Tag", "abc 123"));
    e = echo(r);
    ck_assert_str_eq(
            json_string_value(json_object_get(json_object_get(e, "headers"), "X-Request-Tag")),
            "abc 123");
    json_decref(e);
    json_decref(r);

    expect_code(http(c, "get", "{s:s, s:{s:s}}", "url", u, "headers", "X-Evil",
                     "a\r\nInjected: yes"),
                "E_INVALID_PARAM");
    free(u);
    cb_client_free(c);
}
END_TEST

START_TEST(test_error_statuses_are_answers)
{
    static const int codes[] = { 404, 500, 503 };
    struct cb_client *c;

    if (!have_web) {
        return;
    }
    c = it_connect(&it_current);
    for (size_t i = 0; i < 3; i++) {
        char path[32];
        char *u;
        json_t *r;

        snprintf(path, sizeof path, "/status/%d", codes[i]);
        u = url(http_url, path);
        r = ok(http(c, "get", "{s:s}", "url", u));
        ck_assert_int_eq(status_of(r), codes[i]);
        ck_assert(json_is_false(json_object_get(result(r), "is_success")));
        ck_assert_int_eq(atoi(json_string_value(json_object_get(result(r), "status_line"))),
                         codes[i]);
        json_decref(r);
        free(u);
    }
    cb_client_free(c);
}
END_TEST

START_TEST(test_redirects)
{
    struct cb_client *c;
    json_t *r;
    char *u;

    if (!have_web) {
        return;
    }
    c = it_connect(&it_current);
    u = url(http_url, "/redirect/2");
    r = ok(http(c, "get", "{s:s}", "url", u));
    ck_assert_int_eq(status_of(r), 200);
    ck_assert_int_eq(json_integer_value(json_object_get(result(r), "redirects")), 2);
    ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(result(r), "url")), "/get"));
    json_decref(r);

    r = ok(http(c, "get", "{s:s, s:b}", "url", u, "follow_redirects", 0));
    ck_assert_int_eq(status_of(r), 302);
    ck_assert_int_eq(json_integer_value(json_object_get(result(r), "redirects")), 0);
    json_decref(r);

    r = http(c, "get", "{s:s, s:i}", "url", u, "max_redirects", 1);
    ck_assert_str_eq(it_code(r), "E_BACKEND");
    ck_assert_str_eq(
            json_string_value(json_object_get(json_object_get(r, "backend_error"), "code")), "47");
    json_decref(r);
    free(u);
    cb_client_free(c);
}
END_TEST

static json_t *cookies_seen(struct cb_client *c, bool jar)
{
    char *u = url(http_url, "/cookies");
    json_t *r = ok(http(c, "get", "{s:s, s:b}", "url", u, "cookies", jar)), *e = echo(r);
    json_t *seen = json_incref(json_object_get(e, "cookies"));

    json_decref(e);
    json_decref(r);
    free(u);
    return seen;
}

/* A session keeps its cookies; another session, cookies: false and process mode do not see them. */
START_TEST(test_cookies_per_session)
{
    struct cb_client *a, *b, *process = NULL;
    json_t *seen, *r;
    char *u;

    if (!have_web) {
        return;
    }
    a = it_connect(&it_current);
    b = it_connect(&it_current);
    u = url(http_url, "/cookies/set?flavour=oat");
    json_decref(ok(http(a, "get", "{s:s}", "url", u)));

    seen = cookies_seen(a, true);
    ck_assert_str_eq(json_string_value(json_object_get(seen, "flavour")), "oat");
    json_decref(seen);
    seen = cookies_seen(b, true);
    ck_assert_uint_eq(json_object_size(seen), 0);
    json_decref(seen);
    seen = cookies_seen(a, false);
    ck_assert_uint_eq(json_object_size(seen), 0);
    json_decref(seen);
    /* The jar itself was left alone by the call without it. */
    seen = cookies_seen(a, true);
    ck_assert_str_eq(json_string_value(json_object_get(seen, "flavour")), "oat");
    json_decref(seen);

    ck_assert_int_eq(cb_client_spawn_exec(it_current.exec_path, &process), 0);
    r = ok(http(process, "get", "{s:s}", "url", u));
    json_decref(r);
    cb_client_free(process);
    ck_assert_int_eq(cb_client_spawn_exec(it_current.exec_path, &process), 0);
    seen = cookies_seen(process, true);
    ck_assert_uint_eq(json_object_size(seen), 0);
    json_decref(seen);
    cb_client_free(process);
    free(u);
    cb_client_free(a);
    cb_client_free(b);
}
END_TEST

START_TEST(test_timeout_and_transport_failures)
{
    struct cb_client *c;
    json_t *r;
    char *u;

    if (!have_web) {
        return;
    }
    c = it_connect(&it_current);
    u = url(http_url, "/delay/3");
    expect_code(http(c, "get", "{s:s, s:i}", "url", u, "timeout", 1), "E_TIMEOUT");
    free(u);

    r = http(c, "get", "{s:s}", "url", "http://127.0.0.1:1/refused");
    ck_assert_str_eq(it_code(r), "E_BACKEND");
    ck_assert_str_eq(
            json_string_value(json_object_get(json_object_get(r, "backend_error"), "code")), "7");
    json_decref(r);
    r = http(c, "get", "{s:s}", "url", "http://no-such-host.invalid/");
    ck_assert_str_eq(it_code(r), "E_BACKEND");
    ck_assert_str_eq(
            json_string_value(json_object_get(json_object_get(r, "backend_error"), "code")), "6");
    json_decref(r);
    expect_code(http(c, "get", "{s:s}", "url", "ftp://127.0.0.1/"), "E_INVALID_PARAM");
    expect_code(http(c, "get", "{s:s}", "url", "http://"), "E_INVALID_PARAM");
    /* The instance is fine afterwards. */
    u = url(http_url, "/get");
    json_decref(ok(http(c, "get", "{s:s}", "url", u)));
    free(u);
    cb_client_free(c);
}
END_TEST

static char *sha256_of_command(const char *cmd)
{
    char line[200] = "";
    FILE *p = popen(cmd, "r");

    ck_assert_ptr_nonnull(p);
    ck_assert_ptr_nonnull(fgets(line, sizeof line, p));
    pclose(p);
    line[strcspn(line, " \n")] = '\0';
    return strdup(line);
}

static char *sha256_of_binary(json_t *v)
{
    const char *b64 = json_string_value(json_object_get(v, "$base64"));
    char cmd[64], path[] = "/tmp/cb-it-net-b64-XXXXXX";
    int fd = mkstemp(path);
    char *sum;

    ck_assert_msg(b64, "not a binary marker");
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, b64, strlen(b64)), (ssize_t)strlen(b64));
    close(fd);
    snprintf(cmd, sizeof cmd, "base64 -d %s | sha256sum", path);
    sum = sha256_of_command(cmd);
    unlink(path);
    return sum;
}

/* Binary bodies arrive unaltered, as curl's command line (an independent reader) sees them. */
START_TEST(test_binary_and_large_bodies)
{
    struct cb_client *c;
    char cmd[400], *want, *got;
    json_t *r, *e, *big;
    char *u, *text;

    if (!have_web) {
        return;
    }
    c = it_connect(&it_current);
    u = url(http_url, "/bytes/102400?seed=7");
    r = ok(http(c, "get", "{s:s}", "url", u));
    ck_assert_str_eq(json_string_value(json_object_get(result(r), "content_type")),
                     "application/octet-stream");
    got = sha256_of_binary(json_object_get(result(r), "content"));
    snprintf(cmd, sizeof cmd, "curl -s '%s' | sha256sum", u);
    want = sha256_of_command(cmd);
    ck_assert_str_eq(got, want);
    free(got);
    free(want);
    json_decref(r);
    free(u);

    /* 3 MB up, and back in httpbin's echo. */
    text = malloc(3u << 20);
    for (size_t i = 0; i < (3u << 20) - 1; i++) {
        text[i] = (char)('a' + i % 26);
    }
    text[(3u << 20) - 1] = '\0';
    big = json_string(text);
    u = url(http_url, "/post");
    r = ok(http(c, "post", "{s:s, s:O, s:s}", "url", u, "content", big, "content_type",
                "text/plain"));
    e = echo(r);
    ck_assert_str_eq(json_string_value(json_object_get(e, "data")), text);
    json_decref(e);
    json_decref(r);
    json_decref(big);
    free(text);

    /* Binary up: httpbin shows a body that is not text as a data: URL of its base64. */
    r = ok(http(c, "post", "{s:s, s:{s:s}, s:s}", "url", u, "content", "$base64", "AAEC/wD+",
                "content_type", "application/octet-stream"));
    e = echo(r);
    ck_assert_str_eq(json_string_value(json_object_get(e, "data")),
                     "data:application/octet-stream;base64,AAEC/wD+");
    json_decref(e);
    json_decref(r);
    free(u);
    cb_client_free(c);
}
END_TEST

START_TEST(test_tls_with_the_test_ca)
{
    struct cb_client *c;
    json_t *r;
    char *u;

    if (!have_web) {
        return;
    }
    c = it_connect(&it_current);
    u = url(https_url, "/get");
    r = ok(http(c, "get", "{s:s, s:s}", "url", u, "ca_file", ca_file));
    ck_assert_int_eq(status_of(r), 200);
    json_decref(r);
    /* Our CA is nobody else's: without it the certificate is refused. */
    r = http(c, "get", "{s:s}", "url", u);
    ck_assert_str_eq(it_code(r), "E_BACKEND");
    ck_assert_str_eq(
            json_string_value(json_object_get(json_object_get(r, "backend_error"), "code")), "60");
    json_decref(r);
    json_decref(ok(http(c, "get", "{s:s, s:b}", "url", u, "verify_ssl", 0)));
    free(u);
    cb_client_free(c);
}
END_TEST

/* Lines of nginx's access log for requests whose URI holds tag: each one's $connection. */
static size_t connections_for(const char *tag, char conns[][24], size_t max)
{
    char line[600];
    size_t n = 0;
    FILE *f = fopen(access_log, "re");

    ck_assert_ptr_nonnull(f);
    while (fgets(line, sizeof line, f) && n < max) {
        if (strstr(line, tag)) {
            sscanf(line, "%23s", conns[n++]);
        }
    }
    fclose(f);
    return n;
}

static void twenty_gets(const char *base, const char *tag, bool tls)
{
    struct cb_client *c = it_connect(&it_current);
    char conns[32][24], path[96];
    size_t n;

    for (int i = 0; i < 20; i++) {
        char *u;
        json_t *r;

        snprintf(path, sizeof path, "/get?%s=%d", tag, i);
        u = url(base, path);
        r = tls ? http(c, "get", "{s:s, s:s}", "url", u, "ca_file", ca_file)
                : http(c, "get", "{s:s}", "url", u);
        json_decref(ok(r));
        free(u);
    }
    cb_client_free(c);
    /* nginx writes its log line once the answer is out; the last one may trail a little. */
    for (int tries = 0; tries < 50 && connections_for(tag, conns, 32) < 20; tries++) {
        usleep(20000);
    }
    n = connections_for(tag, conns, 32);
    ck_assert_uint_eq(n, 20);
    for (size_t i = 1; i < n; i++) {
        ck_assert_msg(strcmp(conns[i], conns[0]) == 0,
                      "request %zu came on connection %s, the first on %s", i, conns[i], conns[0]);
    }
}

/* Proven from the server's side: one session's 20 GETs share one TCP (and TLS) connection. */
START_TEST(test_connection_reused_for_twenty_gets)
{
    char tag[48];

    if (!have_web) {
        return;
    }
    snprintf(tag, sizeof tag, "reuse%d", (int)getpid());
    twenty_gets(http_url, tag, false);
    snprintf(tag, sizeof tag, "tlsreuse%d", (int)getpid());
    twenty_gets(https_url, tag, true);
}
END_TEST

START_TEST(test_link_local_refused)
{
    struct cb_client *c = it_connect(&it_current);

    expect_code(http(c, "get", "{s:s, s:i}", "url", "http://169.254.169.254/latest/meta-data/",
                     "timeout", 5),
                "E_DENIED");
    cb_client_free(c);
}
END_TEST

/* Logs show where a request went, never its credentials or its query string. */
START_TEST(test_logged_url_hides_secrets)
{
    struct cb_client *c = it_connect(&it_current);
    char path[300], line[2000];
    bool seen_path = false, seen_secret = false;
    FILE *f;

    expect_code(http(c, "get", "{s:s}", "url",
                     "http://someone:pw-Sekr1t@127.0.0.1:1/logged/path?token=q-Sekr1t"),
                "E_BACKEND");
    cb_client_free(c);
    snprintf(path, sizeof path, "%s/launcher.log", it_current.dir);
    f = fopen(path, "re");
    ck_assert_ptr_nonnull(f);
    while (fgets(line, sizeof line, f)) {
        seen_path |= strstr(line, "127.0.0.1:1/logged/path") != NULL;
        seen_secret |= strstr(line, "Sekr1t") != NULL;
    }
    fclose(f);
    ck_assert_msg(seen_path, "the failed request was not logged");
    ck_assert_msg(!seen_secret, "a credential or query string reached the log");
}
END_TEST

/* The script's own proxy variables: its session_env names the proxy, not the daemon's. */
START_TEST(test_proxy_from_session_env)
{
    struct cb_client *c;
    json_t *req, *r, *e;

    if (!have_web) {
        return;
    }
    c = it_connect(&it_current);
    /* nginx forwards any Host to httpbin, so it serves as a proxy for a name that does not
     * resolve: only a request through the proxy can succeed. */
    req = json_pack("{s:i, s:s, s:s, s:{s:s}, s:{s:s}}", "id", 1, "module", "http", "function",
                    "get", "params", "url", "http://proxied.invalid/get", "session_env",
                    "http_proxy", http_url);
    ck_assert_int_eq(cb_client_send(c, req), 0);
    json_decref(req);
    ck_assert_int_eq(cb_client_recv(c, 30000, &r), 0);
    ok(r);
    e = echo(r);
    ck_assert_str_eq(json_string_value(json_object_get(e, "url")), "http://proxied.invalid/get");
    json_decref(e);
    json_decref(r);
    cb_client_free(c);

    /* Without the variable the name does not resolve. */
    c = it_connect(&it_current);
    expect_code(http(c, "get", "{s:s}", "url", "http://proxied.invalid/get"), "E_BACKEND");
    cb_client_free(c);
}
END_TEST

/* A slow server holds only its own session: another is answered meanwhile. */
START_TEST(test_slow_request_does_not_delay_other_sessions)
{
    struct cb_client *a, *b;
    json_t *req, *resp = NULL;
    char *slow, *fast;

    if (!have_web) {
        return;
    }
    a = it_connect(&it_current);
    b = it_connect(&it_current);
    slow = url(http_url, "/delay/3");
    fast = url(http_url, "/get");
    req = json_pack("{s:i, s:s, s:s, s:{s:s}}", "id", 77, "module", "http", "function", "get",
                    "params", "url", slow);
    ck_assert_int_eq(cb_client_send(a, req), 0);
    json_decref(req);
    json_decref(ok(http(b, "get", "{s:s}", "url", fast)));
    ck_assert_int_eq(cb_client_recv(a, 0, &resp), -ETIMEDOUT);
    ck_assert_int_eq(cb_client_recv(a, 30000, &resp), 0);
    ok(resp);
    json_decref(resp);
    free(slow);
    free(fast);
    cb_client_free(a);
    cb_client_free(b);
}
END_TEST

static void without_volatile(json_t *resp)
{
    json_t *res = result(resp);

    json_object_del(json_object_get(res, "headers"), "date");
    json_object_del(res, "elapsed");
}

START_TEST(test_process_mode_matches_daemon)
{
    static const char *const probes[][2] = {
        { "get", "/get?x=1&y=%C3%A9" },
        { "get", "/status/418" },
        { "post", "/post" },
        { "head", "/get" },
    };
    struct cb_client *daemon, *process = NULL;

    if (!have_web) {
        return;
    }
    daemon = it_connect(&it_current);
    ck_assert_int_eq(cb_client_spawn_exec(it_current.exec_path, &process), 0);
    for (size_t i = 0; i < sizeof probes / sizeof *probes; i++) {
        char *u = url(http_url, probes[i][1]), *as, *bs;
        json_t *a = http(daemon, probes[i][0], "{s:s, s:{s:s}}", "url", u, "json", "k", "v");
        json_t *b = http(process, probes[i][0], "{s:s, s:{s:s}}", "url", u, "json", "k", "v");

        if (strcmp(probes[i][0], "get") == 0 || strcmp(probes[i][0], "head") == 0) {
            json_decref(a);
            json_decref(b);
            a = http(daemon, probes[i][0], "{s:s}", "url", u);
            b = http(process, probes[i][0], "{s:s}", "url", u);
        }
        without_volatile(a);
        without_volatile(b);
        as = json_dumps(a, JSON_SORT_KEYS | JSON_COMPACT);
        bs = json_dumps(b, JSON_SORT_KEYS | JSON_COMPACT);
        ck_assert_msg(json_equal(a, b), "http.%s %s:\n daemon  %s\n process %s", probes[i][0], u,
                      as, bs);
        free(as);
        free(bs);
        free(u);
        json_decref(a);
        json_decref(b);
    }
    {
        json_t *a = http(daemon, "get", "{s:s}", "url", "gopher://x/");
        json_t *b = http(process, "get", "{s:s}", "url", "gopher://x/");

        json_object_del(a, "id");
        json_object_del(b, "id");
        ck_assert(json_equal(a, b));
        json_decref(a);
        json_decref(b);
    }
    cb_client_free(process);
    cb_client_free(daemon);
}
END_TEST

/* ---- email_helper, against tests/net/smtp-sink.sh ---- */

static bool have_smtp;
static char smtp_dir[300], smtp_port[300], smtp_tls_port[300], smtps_port[300], smtp_ca[300],
        maildir[300], smtp_log[300];

static void start_smtp(void)
{
    static const char *const names[] = { "SMTP_DIR",     "SMTP_PORT", "SMTP_TLS_PORT", "SMTPS_PORT",
                                         "SMTP_CA_FILE", "MAILDIR",   "SMTP_LOG" };
    char *const values[] = { smtp_dir, smtp_port, smtp_tls_port, smtps_port,
                             smtp_ca,  maildir,   smtp_log };

    have_smtp = start_servers("smtp-sink.sh", names, values, 7) && smtp_port[0];
}

static void mail_fixture_start(void)
{
    start_smtp();
    it_suite_start(&it_current, NULL);
}

static void mail_fixture_stop(void)
{
    char cmd[400];

    it_suite_stop(&it_current);
    if (smtp_dir[0]) {
        snprintf(cmd, sizeof cmd, "tests/net/smtp-sink.sh stop '%s'", smtp_dir);
        (void)system(cmd);
    }
}

/* One email_helper call; params is stolen, as cb_client_call does. */
static json_t *mail(struct cb_client *c, const char *function, json_t *params)
{
    json_t *resp = NULL;
    int r = cb_client_call(c, "email_helper", function, params, &resp);

    ck_assert_msg(r == 0, "email_helper.%s: transport error %d", function, r);
    return resp;
}

/* Every message in the Maildir, as read-mail.py (Python's email package) reads it. */
static json_t *mailbox_messages(void)
{
    char cmd[400], line[65536];
    json_t *all = json_array();
    FILE *p;

    snprintf(cmd, sizeof cmd, "/usr/bin/python3 tests/net/read-mail.py '%s'", maildir);
    p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    while (fgets(line, sizeof line, p)) {
        json_error_t e;
        json_t *m = json_loads(line, JSON_ALLOW_NUL, &e);

        ck_assert_msg(m, "read-mail.py wrote no JSON (%s): %.300s", e.text, line);
        json_array_append_new(all, m);
    }
    ck_assert_int_eq(pclose(p), 0);
    return all;
}

static json_t *message_with_id(const char *message_id)
{
    json_t *all = mailbox_messages(), *m, *found = NULL;
    size_t i;

    json_array_foreach(all, i, m)
    {
        const char *id = json_string_value(json_object_get(m, "message_id"));

        if (id && strcmp(id, message_id) == 0) {
            found = json_incref(m);
        }
    }
    json_decref(all);
    ck_assert_msg(found, "message %s did not arrive", message_id);
    return found;
}

static json_t *part_named(json_t *msg, const char *filename, const char *content_type)
{
    json_t *parts = json_object_get(msg, "parts"), *p;
    size_t i;

    json_array_foreach(parts, i, p)
    {
        const char *f = json_string_value(json_object_get(p, "filename"));
        const char *t = json_string_value(json_object_get(p, "content_type"));

        if ((filename && f && strcmp(f, filename) == 0) ||
            (!filename && !f && t && strcmp(t, content_type) == 0)) {
            return p;
        }
    }
    ck_abort_msg("no part %s (%s)", filename ? filename : "", content_type);
    return NULL;
}

static const char *str_at(json_t *o, const char *key)
{
    const char *v = json_string_value(json_object_get(o, key));

    ck_assert_msg(v, "no '%s'", key);
    return v;
}

START_TEST(test_send_with_attachments_read_back)
{
    char path[] = "/tmp/cb-it-mail-XXXXXX.csv";
    unsigned char blob[3000];
    struct cb_client *c;
    json_t *r, *msg, *part;
    char cmd[300], *want;
    int fd;

    if (!have_smtp) {
        return;
    }
    for (size_t i = 0; i < sizeof blob; i++) {
        blob[i] = (unsigned char)(i * 7 + 3);
    }
    fd = mkstemps(path, 4);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, blob, sizeof blob), (ssize_t)sizeof blob);
    close(fd);
    c = it_connect(&it_current);
    r = ok(mail(c, "send_email",
                json_pack("{s:s, s:s, s:[s], s:s, s:s, s:s, s:s, s:s, s:[{s:s}, {s:{s:s}, s:s, "
                          "s:s}], s:s, s:s, s:{s:s}}",
                          "from", "Jörg Batch <batch@example.com>", "to",
                          "ops@example.com, \"Doe, Jane\" <jane@example.com>", "cc",
                          "cc@example.com", "bcc", "hidden@example.com", "reply_to",
                          "replies@example.com", "subject", "Bericht für Zürich — 日本 🎉", "body",
                          "Line one\nÜmlauts and 中文\n", "html_body", "<p>Ümlauts</p>",
                          "attachments", "file", path, "content", "$base64", "AAEC/w==", "filename",
                          "tiny.bin", "content_type", "application/octet-stream", "smtp_host",
                          "127.0.0.1", "smtp_port", smtp_port, "headers", "X-Job", "nightly")));
    ck_assert_str_eq(str_at(result(r), "status"), "sent");
    ck_assert_int_eq(json_integer_value(json_object_get(result(r), "recipients")), 4);

    msg = message_with_id(str_at(result(r), "message_id"));
    ck_assert_str_eq(str_at(msg, "subject"), "Bericht für Zürich — 日本 🎉");
    ck_assert_str_eq(str_at(msg, "from"), "Jörg Batch <batch@example.com>");
    ck_assert_ptr_nonnull(strstr(str_at(msg, "to"), "\"Doe, Jane\" <jane@example.com>"));
    ck_assert_str_eq(str_at(msg, "cc"), "cc@example.com");
    /* Bcc is in the envelope only. */
    ck_assert_ptr_nonnull(strstr(str_at(msg, "x_rcptto"), "hidden@example.com"));
    ck_assert_ptr_null(strstr(str_at(msg, "to"), "hidden"));
    ck_assert_ptr_null(strstr(str_at(msg, "cc"), "hidden"));

    part = part_named(msg, NULL, "text/plain");
    ck_assert_str_eq(str_at(part, "text"), "Line one\nÜmlauts and 中文\n");
    ck_assert_str_eq(str_at(part, "charset"), "utf-8");
    part = part_named(msg, NULL, "text/html");
    ck_assert_ptr_nonnull(strstr(str_at(part, "text"), "<p>Ümlauts</p>"));

    snprintf(cmd, sizeof cmd, "sha256sum '%s'", path);
    want = sha256_of_command(cmd);
    part = part_named(msg, strrchr(path, '/') + 1, "text/csv");
    ck_assert_str_eq(str_at(part, "payload_sha256"), want);
    ck_assert_str_eq(str_at(part, "disposition"), "attachment");
    free(want);
    part = part_named(msg, "tiny.bin", "application/octet-stream");
    /* sha256 of the bytes 00 01 02 ff */
    ck_assert_str_eq(str_at(part, "payload_sha256"),
                     "3d1f57c984978ef98a18378c8166c1cb8ede02c03eeb6aee7e2f121dfeee3e56");
    json_decref(msg);
    json_decref(r);
    unlink(path);
    cb_client_free(c);
}
END_TEST

static size_t count_lines(const char *path, const char *prefix)
{
    char line[600];
    size_t n = 0;
    FILE *f = fopen(path, "re");

    if (!f) {
        return 0;
    }
    while (fgets(line, sizeof line, f)) {
        n += strncmp(line, prefix, strlen(prefix)) == 0;
    }
    fclose(f);
    return n;
}

static bool log_has(const char *path, const char *prefix, const char *needle)
{
    char line[600];
    bool found = false;
    FILE *f = fopen(path, "re");

    ck_assert_ptr_nonnull(f);
    while (fgets(line, sizeof line, f)) {
        found |= strncmp(line, prefix, strlen(prefix)) == 0 && strstr(line, needle);
    }
    fclose(f);
    return found;
}

/* One refused recipient and nothing is sent: the server's code and words come back. */
START_TEST(test_refused_recipient_sends_nothing)
{
    struct cb_client *c;
    json_t *all, *r;
    size_t before;

    if (!have_smtp) {
        return;
    }
    all = mailbox_messages();
    before = json_array_size(all);
    json_decref(all);
    c = it_connect(&it_current);
    r = mail(c, "send_email",
             json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "from", "a@example.com", "to",
                       "fine@example.com, refuse-me@example.com", "subject", "x", "body", "y",
                       "smtp_host", "127.0.0.1", "smtp_port", smtp_port));
    ck_assert_str_eq(it_code(r), "E_BACKEND");
    ck_assert_str_eq(str_at(json_object_get(r, "backend_error"), "code"), "550");
    ck_assert_ptr_nonnull(
            strstr(str_at(json_object_get(r, "backend_error"), "message"), "no such user"));
    json_decref(r);
    all = mailbox_messages();
    ck_assert_uint_eq(json_array_size(all), before);
    json_decref(all);
    cb_client_free(c);
}
END_TEST

/* The session's SMTP connection carries its next message too (one CONNECT for two). */
START_TEST(test_connection_kept_for_the_next_message)
{
    struct cb_client *c;
    size_t before;

    if (!have_smtp) {
        return;
    }
    before = count_lines(smtp_log, "CONNECT plain");
    c = it_connect(&it_current);
    for (int i = 0; i < 2; i++) {
        json_decref(ok(mail(c, "send_email",
                            json_pack("{s:s, s:s, s:s, s:s, s:s}", "from", "a@example.com", "to",
                                      "b@example.com", "body", "kept", "smtp_host", "127.0.0.1",
                                      "smtp_port", smtp_port))));
    }
    ck_assert_uint_eq(count_lines(smtp_log, "CONNECT plain"), before + 1);
    cb_client_free(c);
}
END_TEST

START_TEST(test_starttls_smtps_and_authentication)
{
    struct cb_client *c;
    json_t *r;

    if (!have_smtp) {
        return;
    }
    c = it_connect(&it_current);
    r = ok(mail(c, "send_email",
                json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "from", "a@example.com",
                          "to", "b@example.com", "body", "over STARTTLS", "smtp_host", "localhost",
                          "smtp_port", smtp_tls_port, "tls", "starttls", "ca_file", smtp_ca,
                          "smtp_user", "mailer", "smtp_password", "pa55word")));
    json_decref(message_with_id(str_at(result(r), "message_id")));
    json_decref(r);
    r = ok(mail(c, "send_email",
                json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "from", "a@example.com",
                          "to", "b@example.com", "body", "over SMTPS", "smtp_host", "localhost",
                          "smtp_port", smtps_port, "tls", "ssl", "ca_file", smtp_ca, "smtp_user",
                          "mailer", "smtp_password", "pa55word")));
    json_decref(message_with_id(str_at(result(r), "message_id")));
    json_decref(r);

    /* A wrong password: the server's refusal, nothing sent. */
    r = mail(c, "send_email",
             json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "from", "a@example.com",
                       "to", "b@example.com", "body", "x", "smtp_host", "localhost", "smtp_port",
                       smtp_tls_port, "tls", "starttls", "ca_file", smtp_ca, "smtp_user", "mailer",
                       "smtp_password", "wrong"));
    ck_assert_str_eq(it_code(r), "E_BACKEND");
    json_decref(r);
    /* Our CA is nobody else's: without it the server's certificate is refused. */
    r = mail(c, "send_email",
             json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "from", "a@example.com", "to",
                       "b@example.com", "body", "x", "smtp_host", "localhost", "smtp_port",
                       smtps_port, "tls", "ssl", "smtp_user", "mailer", "smtp_password",
                       "pa55word"));
    ck_assert_str_eq(it_code(r), "E_BACKEND");
    json_decref(r);
    cb_client_free(c);
    /* The server's own word that TLS and authentication happened. Its SESSION line comes at
     * QUIT, which the kept connection sends when its session ends. */
    for (int tries = 0; tries < 100 && !log_has(smtp_log, "SESSION smtps", "auth=mailer");
         tries++) {
        usleep(50000);
    }
    ck_assert(log_has(smtp_log, "SESSION starttls", "tls=starttls auth=mailer"));
    ck_assert(log_has(smtp_log, "SESSION smtps", "tls=implicit auth=mailer"));
}
END_TEST

START_TEST(test_smtp_connection_and_address_checks)
{
    static const char *const addresses[][2] = {
        { "user@example.com", "1" }, { "first.last+tag@sub.example.org", "1" },
        { "no-at-sign", "0" },       { "two@@example.com", "0" },
        { "a..b@example.com", "0" }, { "space in@example.com", "0" },
    };
    struct cb_client *c;
    json_t *r;

    if (!have_smtp) {
        return;
    }
    c = it_connect(&it_current);
    r = ok(mail(c, "test_smtp_connection",
                json_pack("{s:s, s:s}", "smtp_host", "127.0.0.1", "smtp_port", smtp_port)));
    ck_assert_str_eq(str_at(result(r), "status"), "connected");
    ck_assert_int_eq(strncmp(str_at(result(r), "response"), "220 ", 4), 0);
    json_decref(r);
    r = mail(c, "test_smtp_connection",
             json_pack("{s:s, s:i}", "smtp_host", "127.0.0.1", "smtp_port", 1));
    ck_assert_str_eq(it_code(r), "E_BACKEND");
    json_decref(r);

    for (size_t i = 0; i < sizeof addresses / sizeof *addresses; i++) {
        bool valid = addresses[i][1][0] == '1';

        r = ok(mail(c, "validate_email", json_pack("{s:s}", "address", addresses[i][0])));
        ck_assert_msg(json_is_true(json_object_get(result(r), "valid")) == valid, "%s",
                      addresses[i][0]);
        ck_assert(valid == !json_object_get(result(r), "reason"));
        json_decref(r);
    }
    /* Bad input is refused whole, before any connection. */
    expect_code(mail(c, "send_email",
                     json_pack("{s:s, s:s, s:s, s:s}", "from", "a@example.com", "to",
                               "not an address", "smtp_host", "127.0.0.1", "smtp_port", smtp_port)),
                "E_INVALID_PARAM");
    expect_code(mail(c, "send_email",
                     json_pack("{s:s, s:s, s:{s:s}, s:s, s:s}", "from", "a@example.com", "to",
                               "b@example.com", "headers", "Subject", "twice", "smtp_host",
                               "127.0.0.1", "smtp_port", smtp_port)),
                "E_INVALID_PARAM");
    cb_client_free(c);
}
END_TEST

/* Process mode sends as daemon mode does, and checks alike. */
START_TEST(test_mail_in_process_mode)
{
    struct cb_client *process = NULL, *daemon;
    json_t *a, *b;

    if (!have_smtp) {
        return;
    }
    ck_assert_int_eq(cb_client_spawn_exec(it_current.exec_path, &process), 0);
    a = ok(mail(process, "send_email",
                json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "from", "a@example.com", "to",
                          "b@example.com", "subject", "from process mode", "body", "one-shot",
                          "smtp_host", "127.0.0.1", "smtp_port", smtp_port)));
    b = message_with_id(str_at(result(a), "message_id"));
    ck_assert_str_eq(str_at(b, "subject"), "from process mode");
    json_decref(a);
    json_decref(b);
    cb_client_free(process);

    daemon = it_connect(&it_current);
    ck_assert_int_eq(cb_client_spawn_exec(it_current.exec_path, &process), 0);
    a = mail(daemon, "validate_email", json_pack("{s:s}", "address", "x@@y"));
    b = mail(process, "validate_email", json_pack("{s:s}", "address", "x@@y"));
    json_object_del(a, "id");
    json_object_del(b, "id");
    ck_assert(json_equal(a, b));
    json_decref(a);
    json_decref(b);
    cb_client_free(process);
    cb_client_free(daemon);
}
END_TEST

static Suite *net_suite(void)
{
    Suite *s = suite_create("net");
    TCase *tc = tcase_create("http");

    tcase_add_unchecked_fixture(tc, fixture_start, fixture_stop);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_methods);
    tcase_add_test(tc, test_json_form_and_content_bodies);
    tcase_add_test(tc, test_multipart_with_file);
    tcase_add_test(tc, test_headers_both_ways);
    tcase_add_test(tc, test_error_statuses_are_answers);
    tcase_add_test(tc, test_redirects);
    tcase_add_test(tc, test_cookies_per_session);
    tcase_add_test(tc, test_timeout_and_transport_failures);
    tcase_add_test(tc, test_binary_and_large_bodies);
    tcase_add_test(tc, test_tls_with_the_test_ca);
    tcase_add_test(tc, test_connection_reused_for_twenty_gets);
    tcase_add_test(tc, test_link_local_refused);
    tcase_add_test(tc, test_logged_url_hides_secrets);
    tcase_add_test(tc, test_proxy_from_session_env);
    tcase_add_test(tc, test_slow_request_does_not_delay_other_sessions);
    tcase_add_test(tc, test_process_mode_matches_daemon);
    suite_add_tcase(s, tc);

    tc = tcase_create("email");
    tcase_add_unchecked_fixture(tc, mail_fixture_start, mail_fixture_stop);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_send_with_attachments_read_back);
    tcase_add_test(tc, test_refused_recipient_sends_nothing);
    tcase_add_test(tc, test_connection_kept_for_the_next_message);
    tcase_add_test(tc, test_starttls_smtps_and_authentication);
    tcase_add_test(tc, test_smtp_connection_and_address_checks);
    tcase_add_test(tc, test_mail_in_process_mode);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return it_run(net_suite());
}
