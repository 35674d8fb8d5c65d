/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the db family's text handling: `?` rewriting for PostgreSQL, statement
 * classification, the cursor and transaction-control tests, DSN parsing and hiding, and the
 * base64 form of binary values. Integration tests run these against real servers; here every
 * corner is pinned down on its own.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "services/db/db-internal.h"

static void assert_rewrite(const char *sql, const char *want, int want_count)
{
    char *out = NULL;
    int count = -1;

    ck_assert_int_eq(db_sql_rewrite_placeholders(sql, &out, &count), 0);
    ck_assert_msg(strcmp(out, want) == 0, "rewrite of [%s]: got [%s], want [%s]", sql, out, want);
    ck_assert_msg(count == want_count, "rewrite of [%s]: %d placeholders, want %d", sql, count,
                  want_count);
    free(out);
}

START_TEST(rewrite_plain_placeholders)
{
    assert_rewrite("SELECT * FROM t WHERE a = ? AND b = ?",
                   "SELECT * FROM t WHERE a = $1 AND b = $2", 2);
    assert_rewrite("INSERT INTO t VALUES (?,?,?)", "INSERT INTO t VALUES ($1,$2,$3)", 3);
    assert_rewrite("UPDATE t SET a=? WHERE id=?", "UPDATE t SET a=$1 WHERE id=$2", 2);
    assert_rewrite("SELECT 1", "SELECT 1", 0);
    assert_rewrite("", "", 0);
    assert_rewrite("SELECT * FROM t WHERE a IN (?, ?) LIMIT ?",
                   "SELECT * FROM t WHERE a IN ($1, $2) LIMIT $3", 3);
}
END_TEST

START_TEST(rewrite_many_placeholders_keeps_counting)
{
    char sql[4096] = "INSERT INTO t VALUES (?", want[8192] = "INSERT INTO t VALUES ($1";
    char *out;
    int count;

    for (int i = 2; i <= 300; i++) {
        char w[16];

        strcat(sql, ",?");
        snprintf(w, sizeof w, ",$%d", i);
        strcat(want, w);
    }
    strcat(sql, ")");
    strcat(want, ")");
    ck_assert_int_eq(db_sql_rewrite_placeholders(sql, &out, &count), 0);
    ck_assert_str_eq(out, want);
    ck_assert_int_eq(count, 300);
    free(out);
}
END_TEST

START_TEST(rewrite_leaves_strings_and_comments)
{
    assert_rewrite("SELECT '?' , ? FROM t", "SELECT '?' , $1 FROM t", 1);
    assert_rewrite("SELECT 'it''s ?', ?", "SELECT 'it''s ?', $1", 1);
    assert_rewrite("SELECT \"odd?name\" FROM t WHERE x = ?",
                   "SELECT \"odd?name\" FROM t WHERE x = $1", 1);
    assert_rewrite("SELECT ? -- is this ?\n, ?", "SELECT $1 -- is this ?\n, $2", 2);
    assert_rewrite("SELECT /* a ? /* nested ? */ still ? */ ?",
                   "SELECT /* a ? /* nested ? */ still ? */ $1", 1);
    assert_rewrite("SELECT $$ what? $$, ?", "SELECT $$ what? $$, $1", 1);
    assert_rewrite("SELECT $fn$ a ? $x$ b ? $fn$, ?", "SELECT $fn$ a ? $x$ b ? $fn$, $1", 1);
    /* E'' strings take backslash escapes, so \' does not end them. */
    assert_rewrite("SELECT E'a\\'?', ?", "SELECT E'a\\'?', $1", 1);
    /* In a standard string a backslash is only a character. */
    assert_rewrite("SELECT 'a\\', ?", "SELECT 'a\\', $1", 1);
}
END_TEST

START_TEST(rewrite_unterminated_text_is_copied_whole)
{
    assert_rewrite("SELECT 'open ?", "SELECT 'open ?", 0);
    assert_rewrite("SELECT ? /* open ?", "SELECT $1 /* open ?", 1);
    assert_rewrite("SELECT $$ open ?", "SELECT $$ open ?", 0);
}
END_TEST

START_TEST(rewrite_keeps_postgresql_question_operators)
{
    /* jsonb: key exists after an operand, any/all keys, jsonpath. */
    assert_rewrite("SELECT * FROM t WHERE doc ? 'k' AND id = ?",
                   "SELECT * FROM t WHERE doc ? 'k' AND id = $1", 1);
    assert_rewrite("SELECT doc ?| array['a'] , doc ?& array['b'] FROM t WHERE id = ?",
                   "SELECT doc ?| array['a'] , doc ?& array['b'] FROM t WHERE id = $1", 1);
    assert_rewrite("SELECT doc @? '$.a' FROM t", "SELECT doc @? '$.a' FROM t", 0);
    /* Geometry: horizontal, intersect, perpendicular, parallel. */
    assert_rewrite("SELECT a ?- b, a ?# b, a ?-| b, a ?|| b",
                   "SELECT a ?- b, a ?# b, a ?-| b, a ?|| b", 0);
    /* After a closing bracket or a literal, ? is the operator too. */
    assert_rewrite("SELECT (doc) ? 'k', '{}'::jsonb ? 'k'", "SELECT (doc) ? 'k', '{}'::jsonb ? 'k'",
                   0);
    /* After a keyword that expects a value, it is a placeholder. */
    assert_rewrite("SELECT ? FROM t WHERE ? BETWEEN a AND ?",
                   "SELECT $1 FROM t WHERE $2 BETWEEN a AND $3", 3);
    assert_rewrite("SELECT CASE WHEN ? THEN ? ELSE ? END",
                   "SELECT CASE WHEN $1 THEN $2 ELSE $3 END", 3);
}
END_TEST

START_TEST(rewrite_leaves_dollar_numbered_sql)
{
    /* A statement already written for PostgreSQL is passed through, counting its highest $n. */
    assert_rewrite("SELECT $1, $3 FROM t WHERE doc ? 'k'", "SELECT $1, $3 FROM t WHERE doc ? 'k'",
                   3);
    assert_rewrite("SELECT $12", "SELECT $12", 12);
    /* $1 inside a string or a word is not a parameter. */
    assert_rewrite("SELECT '$1', a$1 FROM t WHERE x = ?", "SELECT '$1', a$1 FROM t WHERE x = $1",
                   1);
}
END_TEST

START_TEST(classify_statements)
{
    static const struct {
        const char *sql;
        enum db_stmt_type want;
    } cases[] = {
        { "select 1", DB_STMT_SELECT },
        { "  \n\tSELECT 1", DB_STMT_SELECT },
        { "/* why */ -- note\n select 1", DB_STMT_SELECT },
        { "VALUES (1)", DB_STMT_SELECT },
        { "TABLE t", DB_STMT_SELECT },
        { "EXPLAIN SELECT 1", DB_STMT_SELECT },
        { "PRAGMA table_info(t)", DB_STMT_SELECT },
        { "SHOW search_path", DB_STMT_SELECT },
        { "INSERT INTO t VALUES (1)", DB_STMT_INSERT },
        { "REPLACE INTO t VALUES (1)", DB_STMT_INSERT },
        { "Update t SET a = 1", DB_STMT_UPDATE },
        { "DELETE FROM t", DB_STMT_DELETE },
        { "CREATE TABLE t (a int)", DB_STMT_DDL },
        { "drop table t", DB_STMT_DDL },
        { "ALTER TABLE t ADD b int", DB_STMT_DDL },
        { "TRUNCATE t", DB_STMT_DDL },
        { "GRANT SELECT ON t TO u", DB_STMT_DDL },
        { "WITH x AS (SELECT 1) SELECT * FROM x", DB_STMT_SELECT },
        { "WITH x AS (SELECT 1) INSERT INTO t SELECT * FROM x", DB_STMT_INSERT },
        { "WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d", DB_STMT_DELETE },
        { "WITH x AS (SELECT 'delete') SELECT * FROM x", DB_STMT_SELECT },
        { "BEGIN", DB_STMT_OTHER },
        { "VACUUM", DB_STMT_OTHER },
        { "", DB_STMT_OTHER },
        { "-- only a comment", DB_STMT_OTHER },
        { "'select'", DB_STMT_OTHER },
    };

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        enum db_stmt_type got = db_sql_classify(cases[i].sql);

        ck_assert_msg(got == cases[i].want, "[%s]: got %s, want %s", cases[i].sql,
                      db_stmt_type_to_string(got), db_stmt_type_to_string(cases[i].want));
    }
}
END_TEST

START_TEST(type_names)
{
    ck_assert_str_eq(db_stmt_type_to_string(DB_STMT_SELECT), "select");
    ck_assert_str_eq(db_stmt_type_to_string(DB_STMT_INSERT), "insert");
    ck_assert_str_eq(db_stmt_type_to_string(DB_STMT_UPDATE), "update");
    ck_assert_str_eq(db_stmt_type_to_string(DB_STMT_DELETE), "delete");
    ck_assert_str_eq(db_stmt_type_to_string(DB_STMT_DDL), "ddl");
    ck_assert_str_eq(db_stmt_type_to_string(DB_STMT_OTHER), "other");
}
END_TEST

START_TEST(cursor_safety)
{
    ck_assert(db_sql_cursor_safe("SELECT * FROM t"));
    ck_assert(db_sql_cursor_safe("with x as (select 1) select * from x"));
    ck_assert(db_sql_cursor_safe("VALUES (1), (2)"));
    ck_assert(db_sql_cursor_safe("SELECT 'for update', \"into\" FROM t"));
    ck_assert(db_sql_cursor_safe("SELECT a FROM t ORDER BY a -- for update later"));
    ck_assert(!db_sql_cursor_safe("SELECT * INTO t2 FROM t"));
    ck_assert(!db_sql_cursor_safe("SELECT * FROM t FOR UPDATE"));
    ck_assert(!db_sql_cursor_safe("SELECT * FROM t FOR\n  SHARE"));
    ck_assert(!db_sql_cursor_safe("SELECT * FROM t FOR NO KEY UPDATE"));
    ck_assert(!db_sql_cursor_safe("SELECT * FROM t FOR KEY SHARE"));
    ck_assert(!db_sql_cursor_safe("WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d"));
    ck_assert(!db_sql_cursor_safe("EXPLAIN SELECT 1"));
    ck_assert(!db_sql_cursor_safe("PRAGMA table_info(t)"));
    ck_assert(!db_sql_cursor_safe("INSERT INTO t VALUES (1)"));
    ck_assert(!db_sql_cursor_safe(""));
}
END_TEST

START_TEST(transaction_control)
{
    static const char *const yes[] = { "BEGIN",          "begin work", "COMMIT",
                                       "ROLLBACK",       "END",        "ABORT",
                                       "SAVEPOINT a",    "RELEASE a",  "START TRANSACTION",
                                       "/* x */ commit", NULL };
    static const char *const no[] = { "SELECT 1",    "INSERT INTO begin VALUES (1)",
                                      "'commit'",    "",
                                      "-- rollback", NULL };

    for (const char *const *s = yes; *s; s++) {
        ck_assert_msg(db_sql_is_transaction_control(*s), "[%s] is transaction control", *s);
    }
    for (const char *const *s = no; *s; s++) {
        ck_assert_msg(!db_sql_is_transaction_control(*s), "[%s] is not transaction control", *s);
    }
}
END_TEST

START_TEST(outer_joins)
{
    ck_assert(db_sql_has_outer_join("SELECT * FROM a LEFT JOIN b ON a.id = b.id"));
    ck_assert(db_sql_has_outer_join("select * from a right outer join b using (id)"));
    ck_assert(db_sql_has_outer_join("SELECT * FROM a FULL JOIN b ON true"));
    ck_assert(!db_sql_has_outer_join("SELECT * FROM a JOIN b ON a.id = b.id"));
    ck_assert(!db_sql_has_outer_join("SELECT left_col, 'left join' FROM a -- left join\n"));
    ck_assert(!db_sql_has_outer_join(""));
    ck_assert(!db_sql_has_outer_join(NULL));
}
END_TEST

START_TEST(dsn_parse_pairs_and_bare)
{
    struct db_dsn d;
    struct cb_error err = { 0 };

    ck_assert_int_eq(db_dsn_parse("dbi:Pg:dbname=app; host = db.example ;port=5432", &d, &err), 0);
    ck_assert_str_eq(d.driver, "Pg");
    ck_assert_str_eq(db_dsn_get(&d, "dbname"), "app");
    ck_assert_str_eq(db_dsn_get(&d, "HOST"), "db.example");
    ck_assert_str_eq(db_dsn_get(&d, "port"), "5432");
    ck_assert_ptr_null(db_dsn_get(&d, "user"));
    db_dsn_done(&d);

    ck_assert_int_eq(db_dsn_parse("DBI:SQLite:dbname=/tmp/x.db", &d, &err), 0);
    ck_assert_str_eq(d.driver, "SQLite");
    ck_assert_str_eq(db_dsn_get(&d, "dbname"), "/tmp/x.db");
    db_dsn_done(&d);

    /* The Oracle form names a TNS alias without a key. */
    ck_assert_int_eq(db_dsn_parse("dbi:Oracle:PRODDB", &d, &err), 0);
    ck_assert_str_eq(d.driver, "Oracle");
    ck_assert_str_eq(d.bare, "PRODDB");
    ck_assert_uint_eq(d.n, 0);
    db_dsn_done(&d);
}
END_TEST

START_TEST(dsn_refuses_what_is_not_dbi)
{
    static const char *const bad[] = {
        "", "Pg:dbname=x", "dbi:", "dbi:Pg", "postgres://h/db", NULL
    };

    for (const char *const *s = bad; *s; s++) {
        struct db_dsn d;
        struct cb_error err = { 0 };

        ck_assert_msg(db_dsn_parse(*s, &d, &err) < 0, "[%s] refused", *s);
        ck_assert_int_eq(err.code, CB_E_INVALID_PARAM);
        ck_assert_ptr_nonnull(strstr(err.message, "dbi:Driver"));
        cb_error_clear(&err);
    }
}
END_TEST

START_TEST(dsn_shown_hides_passwords)
{
    static const struct {
        const char *dsn, *want;
    } cases[] = {
        { "dbi:Pg:dbname=app;host=h", "dbi:Pg:dbname=app;host=h" },
        { "dbi:Pg:dbname=app;password=s3cret;host=h", "dbi:Pg:dbname=app;host=h" },
        { "dbi:Pg:dbname=app; PASSWORD=s3cret", "dbi:Pg:dbname=app;" },
        { "dbi:Pg:dbname=app;pass=s3cret;port=1", "dbi:Pg:dbname=app;port=1" },
        /* The first key follows the driver (found by fuzz-dsn). */
        { "dbi:Pg:password=s3cret;dbname=app", "dbi:Pg:dbname=app" },
        { "DBI:Pg: password=s3cret", "DBI:Pg:" },
    };

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *shown = db_dsn_shown(cases[i].dsn);

        ck_assert_str_eq(shown, cases[i].want);
        ck_assert_ptr_null(strstr(shown, "s3cret"));
        free(shown);
    }
}
END_TEST

START_TEST(base64_round_trip)
{
    unsigned char all[256];

    for (int i = 0; i < 256; i++) {
        all[i] = (unsigned char)i;
    }
    for (size_t len = 0; len <= sizeof all; len++) {
        char *text = cb_base64_encode(all, len);
        void *back;
        size_t back_len;

        ck_assert_uint_eq(strlen(text), (len + 2) / 3 * 4);
        ck_assert_int_eq(cb_base64_decode(text, &back, &back_len), 0);
        ck_assert_uint_eq(back_len, len);
        ck_assert(len == 0 || memcmp(back, all, len) == 0);
        free(text);
        free(back);
    }
}
END_TEST

START_TEST(base64_known_values)
{
    char *t;

    t = cb_base64_encode("f", 1);
    ck_assert_str_eq(t, "Zg==");
    free(t);
    t = cb_base64_encode("fo", 2);
    ck_assert_str_eq(t, "Zm8=");
    free(t);
    t = cb_base64_encode("foobar", 6);
    ck_assert_str_eq(t, "Zm9vYmFy");
    free(t);
}
END_TEST

START_TEST(base64_refuses_foreign_characters)
{
    void *back = NULL;
    size_t len;

    ck_assert_int_lt(cb_base64_decode("Zm9v!mFy", &back, &len), 0);
    ck_assert_int_lt(cb_base64_decode("Zm9v\x80", &back, &len), 0);
}
END_TEST

static Suite *db_sql_suite(void)
{
    Suite *s = suite_create("db-sql");
    TCase *rewrite = tcase_create("rewrite");
    TCase *kinds = tcase_create("classify");
    TCase *dsn = tcase_create("dsn");
    TCase *b64 = tcase_create("base64");

    tcase_add_test(rewrite, rewrite_plain_placeholders);
    tcase_add_test(rewrite, rewrite_many_placeholders_keeps_counting);
    tcase_add_test(rewrite, rewrite_leaves_strings_and_comments);
    tcase_add_test(rewrite, rewrite_unterminated_text_is_copied_whole);
    tcase_add_test(rewrite, rewrite_keeps_postgresql_question_operators);
    tcase_add_test(rewrite, rewrite_leaves_dollar_numbered_sql);
    suite_add_tcase(s, rewrite);
    tcase_add_test(kinds, classify_statements);
    tcase_add_test(kinds, type_names);
    tcase_add_test(kinds, cursor_safety);
    tcase_add_test(kinds, transaction_control);
    tcase_add_test(kinds, outer_joins);
    suite_add_tcase(s, kinds);
    tcase_add_test(dsn, dsn_parse_pairs_and_bare);
    tcase_add_test(dsn, dsn_refuses_what_is_not_dbi);
    tcase_add_test(dsn, dsn_shown_hides_passwords);
    suite_add_tcase(s, dsn);
    tcase_add_test(b64, base64_round_trip);
    tcase_add_test(b64, base64_known_values);
    tcase_add_test(b64, base64_refuses_foreign_characters);
    suite_add_tcase(s, b64);
    return s;
}

int main(void)
{
    SRunner *r = srunner_create(db_sql_suite());
    int failed;

    srunner_run_all(r, CK_NORMAL);
    failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
