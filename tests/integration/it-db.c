/* SPDX-License-Identifier: MIT */
/*
 * Integration: module database on real servers. A throwaway PostgreSQL cluster is made by
 * tests/db/pg-cluster.sh (initdb and pg_ctl as an unprivileged user, Unix socket in a temp
 * dir) and removed afterwards; SQLite needs no server. The suite's configuration maps the
 * seed's dbi:Oracle:test* DSNs (DESIGN.md "Seed stories on these machines"): testpg* to the
 * cluster, every other test* to a SQLite file.
 */
#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tests/integration/it-harness.h"

#define SECRET "Sup3r-S3cret-pw-42"

static char pg_dir[200];
static char pg_dsn[512];
static char lite_dir[256];
static bool have_pg;

struct driver {
    const char *name;
    const char *dsn;     /* the seed's Oracle name, mapped by the configuration */
    const char *now_sql; /* SYSDATE FROM DUAL in this dialect */
    const char *create_sql;
    const char *insert_sql;
};

static const struct driver drivers[] = {
    { "SQLite", "dbi:Oracle:testdb", "SELECT datetime('now') AS now",
      "CREATE TABLE test_performance (id INTEGER, name VARCHAR(100), created TEXT)",
      "INSERT INTO test_performance (id, name, created) VALUES (?, ?, datetime('now'))" },
    { "Pg", "dbi:Oracle:testpgdb", "SELECT now() AS now",
      "CREATE TABLE test_performance (id INTEGER, name VARCHAR(100), created TIMESTAMP)",
      "INSERT INTO test_performance (id, name, created) VALUES (?, ?, now())" },
};

static void start_pg(void)
{
    char line[200], host[200] = "", port[200] = "", user[200] = "";
    FILE *p = popen("tests/db/pg-cluster.sh start", "r");

    if (!p) {
        return;
    }
    while (fgets(line, sizeof line, p)) {
        line[strcspn(line, "\n")] = '\0';
        if (strncmp(line, "PGHOST=", 7) == 0) {
            snprintf(host, sizeof host, "%s", line + 7);
        } else if (strncmp(line, "PGPORT=", 7) == 0) {
            snprintf(port, sizeof port, "%s", line + 7);
        } else if (strncmp(line, "PGUSER=", 7) == 0) {
            snprintf(user, sizeof user, "%s", line + 7);
        }
    }
    have_pg = pclose(p) == 0 && host[0];
    snprintf(pg_dir, sizeof pg_dir, "%s", host);
    snprintf(pg_dsn, sizeof pg_dsn, "dbi:Pg:dbname=cbtest;host=%s;port=%s;user=%s", host, port,
             user);
}

/* A cluster, a SQLite directory, and a suite with `extra` before the DSN aliases. */
static void start_with(const char *extra)
{
    char config[2048];

    start_pg();
    snprintf(lite_dir, sizeof lite_dir, "/tmp/cb-it-db-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(lite_dir));
    snprintf(config, sizeof config,
             "%s"
             "[dsn_aliases]\n"
             "dbi:Oracle:testpg* = %s\n"
             "dbi:Oracle:test* = dbi:SQLite:dbname=%s/story.db\n",
             extra, have_pg ? pg_dsn : "dbi:Pg:dbname=none", lite_dir);
    it_suite_start(&it_current, config);
}

static void fixture_start(void)
{
    start_with("");
}

static void fixture_stop(void)
{
    char cmd[600];

    it_suite_stop(&it_current);
    if (pg_dir[0]) {
        snprintf(cmd, sizeof cmd, "tests/db/pg-cluster.sh stop '%s'", pg_dir);
        (void)system(cmd);
    }
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", lite_dir);
    (void)system(cmd);
}

/* One database call with params packed by json_pack; returns the whole answer. */
static json_t *db(struct cb_client *c, const char *function, const char *fmt, ...)
{
    json_t *params = NULL, *resp = NULL;
    va_list ap;
    int r;

    va_start(ap, fmt);
    params = fmt ? json_vpack_ex(NULL, 0, fmt, ap) : json_object();
    va_end(ap);
    ck_assert_ptr_nonnull(params);
    r = cb_client_call(c, "database", function, params, &resp);
    ck_assert_msg(r == 0, "database.%s: transport error %d", function, r);
    return resp;
}

static json_t *ok(json_t *resp)
{
    char *s = json_dumps(resp, JSON_COMPACT);

    ck_assert_msg(cb_client_response_ok(resp), "call failed: %s", s);
    free(s);
    return resp;
}

static int64_t result_int(json_t *resp, const char *key)
{
    json_t *v = json_object_get(json_object_get(resp, "result"), key);

    ck_assert_msg(json_is_integer(v), "no integer '%s' in the result", key);
    return json_integer_value(v);
}

static const char *result_str(json_t *resp, const char *key)
{
    const char *v = json_string_value(json_object_get(json_object_get(resp, "result"), key));

    ck_assert_msg(v, "no string '%s' in the result", key);
    return v;
}

/* The first value of a one-row select run with execute_immediate, as an integer. */
static int64_t scalar(struct cb_client *c, const char *sql)
{
    json_t *r = ok(db(c, "execute_immediate", "{s:s, s:s}", "sql", sql, "format", "array"));
    json_t *rows = json_object_get(json_object_get(r, "result"), "rows");
    json_t *v = json_array_get(json_array_get(rows, 0), 0);
    int64_t n;

    ck_assert_msg(json_is_integer(v), "'%s' gave no integer", sql);
    n = json_integer_value(v);
    json_decref(r);
    return n;
}

/* Runs SQL whose answer matters only in that it succeeded. */
static void run_sql(struct cb_client *c, const char *sql)
{
    json_decref(ok(db(c, "execute_immediate", "{s:s}", "sql", sql)));
}

static bool result_bool(json_t *resp, const char *key)
{
    json_t *v = json_object_get(json_object_get(resp, "result"), key);

    ck_assert_msg(json_is_boolean(v), "no boolean '%s' in the result", key);
    return json_is_true(v);
}

static char *connect_to(struct cb_client *c, const char *dsn)
{
    json_t *r = ok(db(c, "connect", "{s:s, s:s, s:s}", "dsn", dsn, "username", "testuser",
                      "password", SECRET));
    char *id = strdup(result_str(r, "connection_id"));

    json_decref(r);
    return id;
}

static const struct driver *driver_at(int i)
{
    if (strcmp(drivers[i].name, "Pg") == 0 && !have_pg) {
        return NULL;
    }
    return &drivers[i];
}

/* STORY-005: one connection, reused by ten statements with no reconnect. */
START_TEST(test_story005_connection_reused)
{
    const struct driver *d = driver_at(_i);
    struct cb_client *c;
    char *conn;
    int64_t pid = 0;

    if (!d) {
        return;
    }
    c = it_connect(&it_current);
    conn = connect_to(c, d->dsn);
    if (strcmp(d->name, "Pg") == 0) {
        pid = scalar(c, "SELECT pg_backend_pid()");
    }
    for (int i = 0; i < 10; i++) {
        json_t *r = ok(db(c, "execute_statement", "{s:s}", "sql", d->now_sql));

        ck_assert_str_eq(result_str(r, "connection_id"), conn);
        ck_assert_str_eq(result_str(r, "statement_type"), "select");
        json_decref(r);
        json_decref(ok(db(c, "fetch_row", NULL)));
    }
    /* Proven from the server side: the same backend served every statement. */
    if (pid) {
        ck_assert_int_eq(scalar(c, "SELECT pg_backend_pid()"), pid);
        ck_assert_int_eq(
                scalar(c,
                       "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE '%SELECT now() AS now'"),
                1);
    }
    json_decref(ok(db(c, "disconnect", NULL)));
    free(conn);
    cb_client_free(c);
}
END_TEST

/* STORY-011: a transaction, a prepared insert executed 1000 times, a count, a commit. */
START_TEST(test_story011_workflow)
{
    const struct driver *d = driver_at(_i);
    struct timespec t0, t1;
    struct cb_client *c;
    json_t *r;
    char *conn;

    if (!d) {
        return;
    }
    clock_gettime(CLOCK_MONOTONIC, &t0);
    c = it_connect(&it_current);
    conn = connect_to(c, d->dsn);
    json_decref(ok(db(c, "begin_transaction", NULL)));
    json_decref(ok(db(c, "execute_statement", "{s:s}", "sql", d->create_sql)));
    r = ok(db(c, "prepare", "{s:s}", "sql", d->insert_sql));
    ck_assert_int_eq(result_int(r, "param_count"), 2);
    json_decref(r);
    for (int i = 1; i <= 1000; i++) {
        char name[32];

        snprintf(name, sizeof name, "Test Record %d", i);
        r = ok(db(c, "execute_statement", "{s:[i, s]}", "params", i, name));
        ck_assert_int_eq(result_int(r, "rows_affected"), 1);
        json_decref(r);
    }
    json_decref(ok(db(c, "execute_statement", "{s:s}", "sql",
                      "SELECT COUNT(*) AS record_count FROM test_performance")));
    r = ok(db(c, "fetch_row", NULL));
    ck_assert_int_eq(result_int(r, "record_count"), 1000);
    json_decref(r);
    if (strcmp(d->name, "Pg") == 0) {
        /* Prepared once on the server, executed 1000 times. */
        ck_assert_int_eq(
                scalar(c,
                       "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE 'INSERT INTO test_performance%'"),
                1);
    }
    r = ok(db(c, "commit", NULL));
    ck_assert(result_bool(r, "committed"));
    json_decref(r);
    json_decref(ok(db(c, "execute_statement", "{s:s}", "sql", "DROP TABLE test_performance")));
    clock_gettime(CLOCK_MONOTONIC, &t1);
    ck_assert_msg(t1.tv_sec - t0.tv_sec < 10, "the workflow took over 10 s");
    free(conn);
    cb_client_free(c);
}
END_TEST

START_TEST(test_rollback_discards)
{
    const struct driver *d = driver_at(_i);
    struct cb_client *c;
    json_t *r;

    if (!d) {
        return;
    }
    c = it_connect(&it_current);
    free(connect_to(c, d->dsn));
    run_sql(c, "CREATE TABLE rb (v INTEGER)");
    json_decref(ok(db(c, "begin_transaction", NULL)));
    json_decref(ok(db(c, "execute_statement", "{s:s, s:[i]}", "sql", "INSERT INTO rb VALUES (?)",
                      "params", 7)));
    ck_assert_int_eq(scalar(c, "SELECT count(*) FROM rb"), 1);
    r = ok(db(c, "rollback", NULL));
    ck_assert(result_bool(r, "rolled_back"));
    json_decref(r);
    ck_assert_int_eq(scalar(c, "SELECT count(*) FROM rb"), 0);
    r = ok(db(c, "rollback", NULL));
    ck_assert(!result_bool(r, "rolled_back"));
    json_decref(r);
    run_sql(c, "DROP TABLE rb");
    cb_client_free(c);
}
END_TEST

/*
 * A slow query holds only its own session: the same user's other session is answered while it
 * runs. Behaviour, not timing: b's answer arrives while a's is still unanswered. PostgreSQL only,
 * for pg_sleep makes the slow query certain to outlast the other call.
 */
START_TEST(test_slow_query_does_not_delay_other_sessions)
{
    struct cb_client *a, *b;
    json_t *req, *resp = NULL;
    char *a_conn, *b_conn;

    if (!have_pg) {
        return;
    }
    a = it_connect(&it_current);
    b = it_connect(&it_current);
    a_conn = connect_to(a, "dbi:Oracle:testpgdb");
    b_conn = connect_to(b, "dbi:Oracle:testpgdb");
    req = json_pack("{s:i, s:s, s:s, s:{s:s}}", "id", 900, "module", "database", "function",
                    "execute_immediate", "params", "sql", "SELECT pg_sleep(3) IS NULL AS slept");
    ck_assert_int_eq(cb_client_send(a, req), 0);
    json_decref(req);

    ck_assert_int_eq(scalar(b, "SELECT 41 + 1"), 42);
    ck_assert_int_eq(cb_client_recv(a, 0, &resp), -ETIMEDOUT);

    ck_assert_int_eq(cb_client_recv(a, 30000, &resp), 0);
    ok(resp);
    ck_assert_int_eq(json_integer_value(json_object_get(resp, "id")), 900);
    json_decref(resp);
    ck_assert_str_ne(a_conn, b_conn);
    free(a_conn);
    free(b_conn);
    cb_client_free(a);
    cb_client_free(b);
}
END_TEST

/* Whether the backend `pid` is running a statement (pg_sleep hides behind a FETCH). */
static int busy(struct cb_client *c, int64_t pid)
{
    char sql[160];

    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND pid = %lld",
             (long long)pid);
    return (int)scalar(c, sql);
}

/*
 * A client that goes away takes its running query with it: the instance cancels it at the
 * server (PQcancel) instead of letting it run for nobody. The bound is far below the query's
 * own 60 seconds, so only a cancel can end it in time.
 */
START_TEST(test_query_cancelled_when_client_goes_away)
{
    struct cb_client *a, *b;
    json_t *req;
    int64_t a_pid;
    int tries;

    if (!have_pg) {
        return;
    }
    a = it_connect(&it_current);
    b = it_connect(&it_current);
    free(connect_to(a, "dbi:Oracle:testpgdb"));
    free(connect_to(b, "dbi:Oracle:testpgdb"));
    a_pid = scalar(a, "SELECT pg_backend_pid()");
    req = json_pack("{s:i, s:s, s:s, s:{s:s}}", "id", 901, "module", "database", "function",
                    "execute_immediate", "params", "sql", "SELECT pg_sleep(60) IS NULL AS slept");
    ck_assert_int_eq(cb_client_send(a, req), 0);
    json_decref(req);
    for (tries = 0; tries < 200 && busy(b, a_pid) == 0; tries++) {
        usleep(50 * 1000);
    }
    ck_assert_int_eq(busy(b, a_pid), 1);

    cb_client_free(a);
    for (tries = 0; tries < 200 && busy(b, a_pid) > 0; tries++) {
        usleep(100 * 1000);
    }
    ck_assert_int_eq(busy(b, a_pid), 0);
    /* The instance is whole: the same user's other session goes on. */
    ck_assert_int_eq(scalar(b, "SELECT 6 * 7"), 42);
    cb_client_free(b);
}
END_TEST

/*
 * SQLite: a statement that would never end is interrupted (sqlite3_interrupt) when its client
 * goes away. It reads a table, so while it runs its shared lock keeps every writer out; once
 * interrupted, another session's write goes through at once. Without the interrupt the write
 * waits out the busy timeout and fails.
 */
START_TEST(test_sqlite_statement_interrupted_when_client_goes_away)
{
    struct cb_client *a, *b;
    char dsn[400];
    json_t *req;

    snprintf(dsn, sizeof dsn, "dbi:SQLite:dbname=%s/interrupt.db", lite_dir);
    a = it_connect(&it_current);
    b = it_connect(&it_current);
    free(connect_to(b, dsn));
    run_sql(b, "CREATE TABLE one (x INTEGER)");
    run_sql(b, "INSERT INTO one VALUES (1)");
    free(connect_to(a, dsn));
    req = json_pack("{s:i, s:s, s:s, s:{s:s}}", "id", 902, "module", "database", "function",
                    "execute_immediate", "params", "sql",
                    "SELECT count(*) FROM one, (WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL "
                    "SELECT n + 1 FROM c) SELECT n FROM c)");
    ck_assert_int_eq(cb_client_send(a, req), 0);
    json_decref(req);
    usleep(300 * 1000);

    cb_client_free(a);
    run_sql(b, "INSERT INTO one VALUES (2)");
    ck_assert_int_eq(scalar(b, "SELECT count(*) FROM one"), 2);
    cb_client_free(b);
}
END_TEST

static bool column_nullable(json_t *resp, size_t i)
{
    json_t *info = json_object_get(json_object_get(resp, "result"), "column_info");
    json_t *v = json_object_get(json_array_get(json_object_get(info, "columns"), i), "nullable");

    ck_assert_msg(json_is_boolean(v), "no nullable for column %zu", i);
    return json_is_true(v);
}

/* column_info's nullable follows NOT NULL, and is true wherever a NULL can still appear. */
START_TEST(test_nullable_follows_the_table)
{
    const struct driver *d = driver_at(_i);
    struct cb_client *c;
    json_t *r;

    if (!d) {
        return;
    }
    c = it_connect(&it_current);
    free(connect_to(c, d->dsn));
    run_sql(c, "CREATE TABLE nn (id INTEGER NOT NULL, note VARCHAR(20))");
    run_sql(c, "INSERT INTO nn VALUES (1, 'a')");
    for (int round = 0; round < 2; round++) { /* the second reuses the cached statement */
        r = ok(db(c, "execute_statement", "{s:s}", "sql",
                  "SELECT id, note, id + 1 AS next FROM nn"));
        ck_assert(!column_nullable(r, 0));
        ck_assert(column_nullable(r, 1));
        ck_assert(column_nullable(r, 2));
        json_decref(r);
        json_decref(ok(db(c, "fetch_all", NULL)));
    }
    r = ok(db(c, "execute_statement", "{s:s}", "sql",
              "SELECT b.id FROM nn a LEFT JOIN nn b ON b.id = a.id + 1"));
    ck_assert(column_nullable(r, 0));
    json_decref(r);
    json_decref(ok(db(c, "fetch_all", NULL)));
    run_sql(c, "DROP TABLE nn");
    cb_client_free(c);
}
END_TEST

/* connect_cached hands back its connection as the current one, as DBI's does. */
START_TEST(test_connect_cached_becomes_current_again)
{
    const struct driver *d = driver_at(_i);
    struct cb_client *c;
    json_t *r;
    char *first;

    if (!d) {
        return;
    }
    c = it_connect(&it_current);
    r = ok(db(c, "connect_cached", "{s:s, s:s, s:s}", "dsn", d->dsn, "username", "testuser",
              "password", SECRET));
    ck_assert(!result_bool(r, "cached"));
    first = strdup(result_str(r, "connection_id"));
    json_decref(r);
    /* A temporary table lives in one connection only: it tells the two apart. */
    run_sql(c, "CREATE TEMP TABLE only_first (v INTEGER)");

    free(connect_to(c, d->dsn));
    r = db(c, "execute_immediate", "{s:s}", "sql", "SELECT count(*) FROM only_first");
    ck_assert(!cb_client_response_ok(r));
    json_decref(r);

    r = ok(db(c, "connect_cached", "{s:s, s:s, s:s}", "dsn", d->dsn, "username", "testuser",
              "password", SECRET));
    ck_assert(result_bool(r, "cached"));
    ck_assert_str_eq(result_str(r, "connection_id"), first);
    json_decref(r);
    ck_assert_int_eq(scalar(c, "SELECT count(*) FROM only_first"), 0);
    free(first);
    cb_client_free(c);
}
END_TEST

/* The instance dies mid-transaction: the database rolls back, nothing is half-applied. */
START_TEST(test_kill9_leaves_no_partial_data)
{
    const struct driver *d = driver_at(_i);
    struct cb_client *c;
    pid_t pid;
    json_t *r;

    if (!d) {
        return;
    }
    c = it_connect(&it_current);
    free(connect_to(c, d->dsn));
    run_sql(c, "CREATE TABLE k9 (v INTEGER)");
    json_decref(ok(db(c, "begin_transaction", NULL)));
    json_decref(ok(db(c, "execute_many", "{s:s, s:[[i], [i], [i]]}", "sql",
                      "INSERT INTO k9 VALUES (?)", "rows", 1, 2, 3)));
    pid = it_instance_pid(&it_current, "db");
    ck_assert_int_gt(pid, 0);
    ck_assert_int_eq(kill(pid, SIGKILL), 0);
    ck_assert(it_wait_gone(pid, 5000));
    r = db(c, "commit", NULL);
    ck_assert(!cb_client_response_ok(r));
    json_decref(r);
    cb_client_free(c);

    c = it_connect(&it_current);
    free(connect_to(c, d->dsn));
    ck_assert_int_eq(scalar(c, "SELECT count(*) FROM k9"), 0);
    run_sql(c, "DROP TABLE k9");
    cb_client_free(c);
}
END_TEST

START_TEST(test_bad_sql_is_backend_error)
{
    const struct driver *d = driver_at(_i);
    struct cb_client *c;
    json_t *r, *be;

    if (!d) {
        return;
    }
    c = it_connect(&it_current);
    free(connect_to(c, d->dsn));
    r = db(c, "execute_statement", "{s:s}", "sql", "SELEC 1 FROM nowhere");
    ck_assert_str_eq(it_code(r), "E_BACKEND");
    be = json_object_get(r, "backend_error");
    ck_assert_str_eq(json_string_value(json_object_get(be, "code")),
                     strcmp(d->name, "Pg") == 0 ? "42601" : "1");
    ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(be, "message")), "syntax"));
    json_decref(r);
    r = ok(db(c, "get_connection_error", NULL));
    ck_assert_ptr_nonnull(
            json_string_value(json_object_get(json_object_get(r, "result"), "errstr")));
    json_decref(r);
    cb_client_free(c);
}
END_TEST

/* Rows of a large select come through a cursor while other statements run in between. */
START_TEST(test_large_result_and_second_statement)
{
    const struct driver *d = driver_at(_i);
    const char *big =
            strcmp(d ? d->name : "", "Pg") == 0
                    ? "SELECT g FROM generate_series(1, 100000) g"
                    : "WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < 100000) SELECT g FROM s";
    struct cb_client *c;
    int64_t total = 0;
    json_t *r;
    char *sid;

    if (!d) {
        return;
    }
    c = it_connect(&it_current);
    free(connect_to(c, d->dsn));
    r = ok(db(c, "execute_statement", "{s:s}", "sql", big));
    sid = strdup(result_str(r, "statement_id"));
    json_decref(r);
    r = ok(db(c, "fetch_row", "{s:s}", "format", "array"));
    ck_assert_int_eq(json_integer_value(json_array_get(json_object_get(r, "result"), 0)), 1);
    json_decref(r);
    /* Another statement on the same connection, while the first is half read. */
    ck_assert_int_eq(scalar(c, "SELECT 42"), 42);
    for (;;) {
        r = ok(db(c, "fetch_all", "{s:s, s:i}", "statement_id", sid, "max_rows", 30000));
        total += result_int(r, "row_count");
        if (!json_is_true(json_object_get(json_object_get(r, "result"), "more"))) {
            json_decref(r);
            break;
        }
        json_decref(r);
    }
    ck_assert_int_eq(total, 99999);
    r = ok(db(c, "fetch_row", "{s:s}", "statement_id", sid));
    ck_assert(json_is_null(json_object_get(r, "result")));
    json_decref(r);
    free(sid);
    cb_client_free(c);
}
END_TEST

/* A superseded statement is drained: the next fetch reads the new statement's rows. */
START_TEST(test_superseded_statement_drained)
{
    const struct driver *d = driver_at(_i);
    struct cb_client *c;
    json_t *r;

    if (!d) {
        return;
    }
    c = it_connect(&it_current);
    free(connect_to(c, d->dsn));
    json_decref(ok(db(c, "execute_statement", "{s:s}", "sql",
                      "SELECT 1 AS a UNION ALL SELECT 2 UNION ALL SELECT 3")));
    json_decref(ok(db(c, "fetch_row", NULL)));
    json_decref(ok(db(c, "execute_statement", "{s:s}", "sql", "SELECT 'x' AS b")));
    r = ok(db(c, "fetch_row", NULL));
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(r, "result"), "b")), "x");
    json_decref(r);
    r = ok(db(c, "fetch_row", NULL));
    ck_assert(json_is_null(json_object_get(r, "result")));
    json_decref(r);
    cb_client_free(c);
}
END_TEST

/* Values as API.md section 4 gives them, both ways. */
START_TEST(test_values_round_trip)
{
    const struct driver *d = driver_at(_i);
    bool pg = d && strcmp(d->name, "Pg") == 0;
    struct cb_client *c;
    json_t *r, *row;

    if (!d) {
        return;
    }
    c = it_connect(&it_current);
    free(connect_to(c, d->dsn));
    r = ok(db(
            c, "execute_immediate", "{s:s, s:[i, f, s, {s:s}, n, s]}", "sql",
            pg ? "SELECT ?::int AS i, ?::float8 AS f, ?::numeric(10,2) AS n, ?::bytea AS b, ?::text AS z, ?::text AS u"
               : "SELECT ? AS i, ? AS f, CAST(? AS TEXT) AS n, ? AS b, ? AS z, ? AS u",
            "params", 42, 2.5, "12.50", "$base64", "AAEC/w==", "\u00e9\u4e2d\U0001f600"));
    row = json_array_get(json_object_get(json_object_get(r, "result"), "rows"), 0);
    ck_assert_int_eq(json_integer_value(json_object_get(row, "i")), 42);
    ck_assert(json_real_value(json_object_get(row, "f")) == 2.5);
    ck_assert_str_eq(json_string_value(json_object_get(row, "n")), "12.50");
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(row, "b"), "$base64")),
                     "AAEC/w==");
    ck_assert(json_is_null(json_object_get(row, "z")));
    ck_assert_str_eq(json_string_value(json_object_get(row, "u")), "\u00e9\u4e2d\U0001f600");
    json_decref(r);
    cb_client_free(c);
}
END_TEST

static bool file_has(const char *path, const char *needle)
{
    char line[4096];
    bool found = false;
    FILE *f = fopen(path, "re");

    while (f && !found && fgets(line, sizeof line, f)) {
        found = strstr(line, needle) != NULL;
    }
    if (f) {
        fclose(f);
    }
    return found;
}

/* A password never shows in answers, errors, system.* or the logs. */
START_TEST(test_password_never_shown)
{
    struct cb_client *c = it_connect(&it_current);
    static const char *const system_calls[] = { "stats", "connections", "metrics", "info", NULL };
    char path[512], dsn[600];
    json_t *r;
    char *s;

    r = db(c, "connect", "{s:s, s:s}", "dsn", "dbi:Oracle:PRODDB", "password", SECRET);
    ck_assert_str_eq(it_code(r), "E_BACKEND");
    s = json_dumps(r, 0);
    ck_assert_ptr_null(strstr(s, SECRET));
    ck_assert_ptr_nonnull(strstr(s, "dsn_aliases"));
    free(s);
    json_decref(r);

    snprintf(dsn, sizeof dsn, "dbi:Pg:dbname=nosuchdb;host=%s;password=%s",
             have_pg ? pg_dir : "/nonexistent", SECRET);
    r = db(c, "connect", "{s:s, s:s}", "dsn", dsn, "password", SECRET);
    ck_assert_str_eq(it_code(r), "E_BACKEND");
    s = json_dumps(r, 0);
    ck_assert_msg(!strstr(s, SECRET), "the password shows in %s", s);
    free(s);
    json_decref(r);
    free(connect_to(c, "dbi:Oracle:testdb"));

    for (const char *const *f = system_calls; *f; f++) {
        r = it_call(c, "system", *f, "{}");
        s = json_dumps(r, 0);
        ck_assert_msg(!strstr(s, SECRET), "system.%s shows the password", *f);
        free(s);
        json_decref(r);
    }
    cb_client_free(c);
    snprintf(path, sizeof path, "%s/launcher.log", it_current.dir);
    ck_assert_msg(!file_has(path, SECRET), "the password is in %s", path);
}
END_TEST

/* A dropped connection is reopened when no transaction was open, and reported when one was. */
START_TEST(test_dropped_connection)
{
    struct cb_client *c, *killer;
    int64_t pid, pid2;
    char sql[128];
    json_t *r;

    if (!have_pg) {
        return;
    }
    c = it_connect(&it_current);
    killer = it_connect(&it_current);
    free(connect_to(c, "dbi:Oracle:testpgdb"));
    free(connect_to(killer, "dbi:Oracle:testpgdb"));
    pid = scalar(c, "SELECT pg_backend_pid()");
    snprintf(sql, sizeof sql, "SELECT pg_terminate_backend(%lld)::int", (long long)pid);
    ck_assert_int_eq(scalar(killer, sql), 1);
    usleep(200000);
    pid2 = scalar(c, "SELECT pg_backend_pid()");
    ck_assert_int_ne(pid, pid2);

    json_decref(ok(db(c, "begin_transaction", NULL)));
    snprintf(sql, sizeof sql, "SELECT pg_terminate_backend(%lld)::int", (long long)pid2);
    ck_assert_int_eq(scalar(killer, sql), 1);
    usleep(200000);
    r = db(c, "execute_statement", "{s:s}", "sql", "SELECT 1");
    ck_assert_str_eq(it_code(r), "E_BACKEND");
    ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(r, "error")), "transaction"));
    json_decref(r);
    ck_assert_int_eq(scalar(c, "SELECT 1"), 1);
    cb_client_free(killer);
    cb_client_free(c);
}
END_TEST

static void strip_ids(json_t *v)
{
    static const char *const ids[] = { "connection_id", "statement_id", NULL };
    json_t *r = json_object_get(v, "result");

    json_object_del(v, "id");
    for (const char *const *k = ids; *k && json_is_object(r); k++) {
        json_object_del(r, *k);
    }
}

/* The stateless calls give the same answers in process mode as in daemon mode. */
START_TEST(test_process_mode_matches_daemon)
{
    const struct driver *d = driver_at(_i);
    static const char *const probes[][2] = {
        { "execute_immediate", "{\"sql\": \"SELECT 1 AS one, 'a' AS t\"}" },
        { "execute_immediate", "{\"sql\": \"SELECT 2 AS two\", \"format\": \"array\"}" },
        { "execute_immediate", "{\"sql\": \"SELEC nonsense\"}" },
        { "list_tables", "{\"schema\": \"nosuchschema\"}" },
        { "commit", "{}" },
        { "rollback", "{}" },
    };
    struct cb_client *daemon, *process = NULL;
    char dsn[700], config[300];

    if (!d) {
        return;
    }
    /* Process mode reads the same configuration, for the aliases. */
    snprintf(config, sizeof config, "%s/cpan-bridge.conf", it_current.dir);
    setenv("CPAN_BRIDGE_CONFIG", config, 1);
    snprintf(dsn, sizeof dsn, "{\"dsn\": \"%s\"}", d->dsn);
    daemon = it_connect(&it_current);
    ck_assert_int_eq(cb_client_spawn_exec(it_current.exec_path, &process), 0);
    for (int k = -1; k < (int)(sizeof probes / sizeof probes[0]); k++) {
        const char *fn = k < 0 ? "connect" : probes[k][0];
        const char *params = k < 0 ? dsn : probes[k][1];
        json_t *a = it_call(daemon, "database", fn, params);
        json_t *b = it_call(process, "database", fn, params);
        char *as, *bs;

        strip_ids(a);
        strip_ids(b);
        as = json_dumps(a, JSON_SORT_KEYS | JSON_COMPACT);
        bs = json_dumps(b, JSON_SORT_KEYS | JSON_COMPACT);
        ck_assert_msg(json_equal(a, b), "database.%s %s:\n daemon  %s\n process %s", fn, params, as,
                      bs);
        free(as);
        free(bs);
        json_decref(a);
        json_decref(b);
    }
    cb_client_free(process);
    cb_client_free(daemon);
    unsetenv("CPAN_BRIDGE_CONFIG");
}
END_TEST

/*
 * Executions begun on the loop thread (services/db/db-async.c), in a suite with one worker
 * thread: a prepared statement waiting on the server holds no thread, so the same user's
 * other session, whose call needs the worker, is answered meanwhile. With the old blocking
 * path the one worker would wait out the sleep, and b's answer would come after a's.
 */
#define SLOW_INSERT "INSERT INTO slow_t SELECT 1 FROM pg_sleep(?)"

/* Both functions that may wait in the loop: execute_statement, and execute_immediate (do). */
static const char *const waiting_functions[] = { "execute_statement", "execute_immediate" };

static json_t *slow_request(int id, int i, double seconds)
{
    return json_pack("{s:i, s:s, s:s, s:{s:s, s:[f]}}", "id", id, "module", "database", "function",
                     waiting_functions[i], "params", "sql", SLOW_INSERT, "params", seconds);
}

/* A client with its own session and a connection to the cluster. */
static struct cb_client *pg_client(void)
{
    struct cb_client *c = it_connect(&it_current);

    free(connect_to(c, "dbi:Oracle:testpgdb"));
    return c;
}

static void send_request(struct cb_client *c, json_t *req)
{
    ck_assert_int_eq(cb_client_send(c, req), 0);
    json_decref(req);
}

/* Waits (10 s at most) until backend `pid` is running a statement, or no longer is. */
static void wait_busy(struct cb_client *c, int64_t pid, int want)
{
    for (int tries = 0; tries < 100 && busy(c, pid) != want; tries++) {
        usleep(100 * 1000);
    }
    ck_assert_int_eq(busy(c, pid), want);
}

/*
 * A client connected to the cluster with SLOW_INSERT prepared (run once, for no time), and
 * its backend's pid. The prepared run comes last: it also sends the CLOSE of the cursors read
 * before, which would otherwise send the next execution the blocking way, to ride along.
 */
static struct cb_client *slow_client(int64_t *ret_pid)
{
    struct cb_client *c = pg_client();

    run_sql(c, "CREATE TABLE IF NOT EXISTS slow_t (x INTEGER)");
    *ret_pid = scalar(c, "SELECT pg_backend_pid()");
    json_decref(ok(db(c, "execute_statement", "{s:s, s:[f]}", "sql", SLOW_INSERT, "params", 0.0)));
    return c;
}

static int64_t recv_id(struct cb_client *c, bool *ret_ok)
{
    json_t *resp = NULL;
    int64_t id;

    ck_assert_int_eq(cb_client_recv(c, 30000, &resp), 0);
    id = json_integer_value(json_object_get(resp, "id"));
    *ret_ok = cb_client_response_ok(resp);
    json_decref(resp);
    return id;
}

START_TEST(test_waiting_statement_holds_no_thread)
{
    struct cb_client *a, *b;
    json_t *resp = NULL;
    int64_t before, a_pid;
    bool fine;

    if (!have_pg) {
        return;
    }
    a = slow_client(&a_pid);
    b = pg_client();
    before = scalar(b, "SELECT count(*) FROM slow_t");

    send_request(a, slow_request(901, _i, 3.0));
    /* The same session's next call waits for the first, and is answered after it. */
    send_request(a, json_pack("{s:i, s:s, s:s, s:{}}", "id", 902, "module", "database", "function",
                              "ping", "params"));

    ck_assert_int_eq(scalar(b, "SELECT 41 + 1"), 42);
    ck_assert_int_eq(cb_client_recv(a, 0, &resp), -ETIMEDOUT);

    ck_assert_int_eq(recv_id(a, &fine), 901);
    ck_assert(fine);
    ck_assert_int_eq(recv_id(a, &fine), 902);
    ck_assert(fine);
    ck_assert_int_eq(scalar(b, "SELECT count(*) FROM slow_t"), before + 1);
    cb_client_free(a);
    cb_client_free(b);
}
END_TEST

/* A client that goes away while its statement waits on the server: cancelled there. */
START_TEST(test_waiting_statement_cancelled_when_client_goes_away)
{
    struct cb_client *a, *b;
    int64_t a_pid, before;

    if (!have_pg) {
        return;
    }
    a = slow_client(&a_pid);
    b = pg_client();
    before = scalar(b, "SELECT count(*) FROM slow_t");
    send_request(a, slow_request(903, _i, 60.0));
    wait_busy(b, a_pid, 1);
    cb_client_free(a);
    wait_busy(b, a_pid, 0);
    ck_assert_int_eq(scalar(b, "SELECT count(*) FROM slow_t"), before);
    cb_client_free(b);
}
END_TEST

/*
 * SIGTERM while a statement waits on the server: the instance lets it finish, answers it,
 * then exits; the row is there. Nothing acknowledged is lost, and nothing is cut off.
 */
START_TEST(test_waiting_statement_finishes_at_stop)
{
    struct cb_client *a, *b;
    int64_t a_pid, before;
    pid_t pid;
    bool fine;

    if (!have_pg) {
        return;
    }
    a = slow_client(&a_pid);
    b = pg_client();
    before = scalar(b, "SELECT count(*) FROM slow_t");
    cb_client_free(b);
    send_request(a, slow_request(904, _i, 2.0));
    b = pg_client();
    wait_busy(b, a_pid, 1);
    cb_client_free(b);
    pid = it_instance_pid(&it_current, "db");
    ck_assert_int_gt(pid, 0);
    ck_assert_int_eq(kill(pid, SIGTERM), 0);

    ck_assert_int_eq(recv_id(a, &fine), 904);
    ck_assert(fine);
    ck_assert(it_wait_gone(pid, 10000));
    cb_client_free(a);

    b = pg_client();
    ck_assert_int_eq(scalar(b, "SELECT count(*) FROM slow_t"), before + 1);
    cb_client_free(b);
}
END_TEST

/* execute_immediate answered from the loop gives what the worker gives: INSERT ... RETURNING
 * has its rows, once the statement is cached and prepared (the second call) as the first. */
START_TEST(test_immediate_returning_from_the_loop)
{
    struct cb_client *c;
    json_t *first = NULL;

    if (!have_pg) {
        return;
    }
    c = pg_client();
    run_sql(c, "CREATE TABLE IF NOT EXISTS ret_t (x INTEGER)");
    for (int i = 1; i <= 3; i++) {
        json_t *r = ok(db(c, "execute_immediate", "{s:s, s:[i], s:s}", "sql",
                          "INSERT INTO ret_t (x) VALUES (?) RETURNING x * 10 AS y", "params", i,
                          "format", "array"));
        json_t *res = json_object_get(r, "result");

        ck_assert_int_eq(result_int(r, "rows_affected"), 1);
        ck_assert_str_eq(result_str(r, "statement_type"), "insert");
        ck_assert_int_eq(json_integer_value(json_array_get(
                                 json_array_get(json_object_get(res, "rows"), 0), 0)),
                         10 * i);
        if (first) {
            ck_assert(json_equal(json_object_get(res, "column_info"),
                                 json_object_get(json_object_get(first, "result"), "column_info")));
            json_decref(r);
        } else {
            first = r;
        }
    }
    json_decref(first);
    cb_client_free(c);
}
END_TEST

static void one_worker_start(void)
{
    start_with("[workers]\nmin_threads = 1\nmax_threads = 1\n");
}

static Suite *db_suite(void)
{
    Suite *s = suite_create("db");
    TCase *tc = tcase_create("database");
    int n = (int)(sizeof drivers / sizeof drivers[0]);

    tcase_add_unchecked_fixture(tc, fixture_start, fixture_stop);
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_story005_connection_reused, 0, n);
    tcase_add_loop_test(tc, test_story011_workflow, 0, n);
    tcase_add_loop_test(tc, test_rollback_discards, 0, n);
    tcase_add_loop_test(tc, test_bad_sql_is_backend_error, 0, n);
    tcase_add_loop_test(tc, test_large_result_and_second_statement, 0, n);
    tcase_add_loop_test(tc, test_superseded_statement_drained, 0, n);
    tcase_add_loop_test(tc, test_values_round_trip, 0, n);
    tcase_add_loop_test(tc, test_process_mode_matches_daemon, 0, n);
    tcase_add_test(tc, test_password_never_shown);
    tcase_add_test(tc, test_dropped_connection);
    tcase_add_loop_test(tc, test_nullable_follows_the_table, 0, n);
    tcase_add_loop_test(tc, test_connect_cached_becomes_current_again, 0, n);
    tcase_add_test(tc, test_slow_query_does_not_delay_other_sessions);
    tcase_add_test(tc, test_query_cancelled_when_client_goes_away);
    tcase_add_test(tc, test_sqlite_statement_interrupted_when_client_goes_away);
    tcase_add_loop_test(tc, test_kill9_leaves_no_partial_data, 0, n);
    suite_add_tcase(s, tc);

    tc = tcase_create("begun on the loop");
    tcase_add_unchecked_fixture(tc, one_worker_start, fixture_stop);
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_waiting_statement_holds_no_thread, 0, 2);
    tcase_add_loop_test(tc, test_waiting_statement_cancelled_when_client_goes_away, 0, 2);
    tcase_add_loop_test(tc, test_waiting_statement_finishes_at_stop, 0, 2);
    tcase_add_test(tc, test_immediate_returning_from_the_loop);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return it_run(db_suite());
}
