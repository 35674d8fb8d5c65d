/* SPDX-License-Identifier: MIT */
/*
 * Just enough SQL lexing for the bridge's own decisions: what kind of statement a text is,
 * whether a SELECT may run through a cursor, and rewriting `?` placeholders as PostgreSQL's
 * $1, $2, ... outside quotes, comments, dollar-quoted strings and PostgreSQL's own `?`
 * operators (jsonb's ?, ?|, ?&, geometry's ?-, ?#, ?-|, ?||, jsonpath's @?).
 */
#include "services/db/db-internal.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static bool word_char(char c)
{
    return isalnum((unsigned char)c) || c == '_' || (unsigned char)c >= 0x80;
}

/* $tag$ at sql+i: the length of the opening tag, or 0. */
static size_t dollar_tag(const char *sql, size_t i)
{
    size_t j = i + 1;

    if (sql[i] != '$' || (i > 0 && word_char(sql[i - 1]))) {
        return 0;
    }
    if (isdigit((unsigned char)sql[j])) {
        return 0; /* $1 is a parameter */
    }
    while (word_char(sql[j])) {
        j++;
    }
    return sql[j] == '$' ? j - i + 1 : 0;
}

/* When sql+i starts a quoted string, identifier or comment, the index just after it, else i. */
static size_t skip_noncode(const char *sql, size_t i)
{
    size_t tag;

    if (sql[i] == '-' && sql[i + 1] == '-') {
        while (sql[i] && sql[i] != '\n') {
            i++;
        }
        return i;
    }
    if (sql[i] == '/' && sql[i + 1] == '*') {
        int depth = 0;

        do {
            if (sql[i] == '/' && sql[i + 1] == '*') {
                depth++;
                i += 2;
            } else if (sql[i] == '*' && sql[i + 1] == '/') {
                depth--;
                i += 2;
            } else {
                i++;
            }
        } while (sql[i] && depth > 0);
        return i;
    }
    if (sql[i] == '\'' || sql[i] == '"') {
        char q = sql[i];
        /* E'...' takes backslash escapes; standard strings do not. */
        bool backslash = q == '\'' && i > 0 && (sql[i - 1] == 'E' || sql[i - 1] == 'e') &&
                         (i < 2 || !word_char(sql[i - 2]));

        for (i++; sql[i]; i++) {
            if (backslash && sql[i] == '\\' && sql[i + 1]) {
                i++;
            } else if (sql[i] == q) {
                if (sql[i + 1] != q) {
                    return i + 1;
                }
                i++;
            }
        }
        return i;
    }
    tag = dollar_tag(sql, i);
    if (tag) {
        const char *end = NULL;

        for (size_t j = i + tag; sql[j] && !end; j++) {
            if (strncmp(sql + j, sql + i, tag) == 0) {
                end = sql + j + tag;
            }
        }
        return end ? (size_t)(end - sql) : strlen(sql);
    }
    return i;
}

/* Calls fn for every word of code (not in strings or comments); stops when fn returns true. */
static bool for_each_word(const char *sql,
                          bool (*fn)(const char *w, size_t n, const char *next, void *u),
                          void *u)
{
    size_t i = 0;

    while (sql[i]) {
        size_t j = skip_noncode(sql, i);

        if (j != i) {
            i = j;
            continue;
        }
        if (word_char(sql[i]) && !isdigit((unsigned char)sql[i])) {
            size_t start = i;

            while (word_char(sql[i])) {
                i++;
            }
            if (fn(sql + start, i - start, sql + i, u)) {
                return true;
            }
            continue;
        }
        i++;
    }
    return false;
}

static bool word_is(const char *w, size_t n, const char *kw)
{
    return strlen(kw) == n && strncasecmp(w, kw, n) == 0;
}

static bool take_first(const char *w, size_t n, const char *next, void *u)
{
    const char **first = u;

    (void)next;
    (void)n;
    *first = w;
    return true;
}

static size_t first_word(const char *sql, const char **ret)
{
    const char *w = NULL;
    size_t n = 0;

    if (for_each_word(sql, take_first, &w)) {
        while (word_char(w[n])) {
            n++;
        }
    }
    *ret = w;
    return n;
}

static bool finds_dml(const char *w, size_t n, const char *next, void *u)
{
    enum db_stmt_type *t = u;

    (void)next;
    if (word_is(w, n, "insert")) {
        *t = DB_STMT_INSERT;
    } else if (word_is(w, n, "update")) {
        *t = DB_STMT_UPDATE;
    } else if (word_is(w, n, "delete")) {
        *t = DB_STMT_DELETE;
    }
    return *t != DB_STMT_SELECT;
}

enum db_stmt_type db_sql_classify(const char *sql)
{
    static const char *const select_words[] = { "select",  "values", "table", "show",
                                                "explain", "pragma", NULL };
    static const char *const ddl_words[] = { "create", "drop",   "alter",  "truncate", "comment",
                                             "grant",  "revoke", "rename", NULL };
    const char *w;
    size_t n = first_word(sql, &w);

    if (!w) {
        return DB_STMT_OTHER;
    }
    for (const char *const *k = select_words; *k; k++) {
        if (word_is(w, n, *k)) {
            return DB_STMT_SELECT;
        }
    }
    for (const char *const *k = ddl_words; *k; k++) {
        if (word_is(w, n, *k)) {
            return DB_STMT_DDL;
        }
    }
    if (word_is(w, n, "insert") || word_is(w, n, "replace")) {
        return DB_STMT_INSERT;
    }
    if (word_is(w, n, "update")) {
        return DB_STMT_UPDATE;
    }
    if (word_is(w, n, "delete")) {
        return DB_STMT_DELETE;
    }
    if (word_is(w, n, "with")) {
        enum db_stmt_type t = DB_STMT_SELECT;

        (void)for_each_word(sql, finds_dml, &t);
        return t;
    }
    return DB_STMT_OTHER;
}

const char *db_stmt_type_to_string(enum db_stmt_type t)
{
    static const char *const names[] = {
        [DB_STMT_SELECT] = "select", [DB_STMT_INSERT] = "insert", [DB_STMT_UPDATE] = "update",
        [DB_STMT_DELETE] = "delete", [DB_STMT_DDL] = "ddl",       [DB_STMT_OTHER] = "other",
    };

    return names[t];
}

static bool finds_cursor_blocker(const char *w, size_t n, const char *next, void *u)
{
    (void)u;
    if (word_is(w, n, "into")) {
        return true; /* SELECT ... INTO makes a table */
    }
    if (word_is(w, n, "for")) {
        while (isspace((unsigned char)*next)) {
            next++;
        }
        /* FOR UPDATE / SHARE / NO KEY UPDATE / KEY SHARE lock rows: not in a held cursor. */
        return strncasecmp(next, "update", 6) == 0 || strncasecmp(next, "share", 5) == 0 ||
               strncasecmp(next, "no", 2) == 0 || strncasecmp(next, "key", 3) == 0;
    }
    return false;
}

bool db_sql_cursor_safe(const char *sql)
{
    const char *w;
    size_t n = first_word(sql, &w);

    if (!w || !(word_is(w, n, "select") || word_is(w, n, "values") || word_is(w, n, "table") ||
                word_is(w, n, "with"))) {
        return false;
    }
    if (db_sql_classify(sql) != DB_STMT_SELECT) {
        return false;
    }
    return !for_each_word(sql, finds_cursor_blocker, NULL);
}

bool db_sql_is_transaction_control(const char *sql)
{
    static const char *const words[] = { "begin", "commit",    "rollback", "start", "end",
                                         "abort", "savepoint", "release",  NULL };
    const char *w;
    size_t n = first_word(sql, &w);

    for (const char *const *k = words; w && *k; k++) {
        if (word_is(w, n, *k)) {
            return true;
        }
    }
    return false;
}

static bool finds_outer_join(const char *w, size_t n, const char *next, void *u)
{
    (void)next;
    (void)u;
    return word_is(w, n, "left") || word_is(w, n, "right") || word_is(w, n, "full") ||
           word_is(w, n, "outer");
}

bool db_sql_has_outer_join(const char *sql)
{
    return sql && for_each_word(sql, finds_outer_join, NULL);
}

/* Words after which a `?` is a value (a placeholder), not jsonb's "key exists" operator. */
static bool keyword_before_value(const char *w, size_t n)
{
    static const char *const words[] = {
        "select", "where",  "and",    "or",     "not",       "limit",    "offset",   "between",
        "like",   "ilike",  "in",     "is",     "then",      "else",     "when",     "case",
        "values", "set",    "on",     "by",     "as",        "from",     "distinct", "all",
        "any",    "some",   "exists", "escape", "similar",   "to",       "fetch",    "first",
        "next",   "having", "using",  "return", "returning", "interval", "array",    "zone",
        "with",   "into",   "call",   "do",     "if",        "elsif",    "default",  NULL,
    };

    for (const char *const *k = words; *k; k++) {
        if (word_is(w, n, *k)) {
            return true;
        }
    }
    return false;
}

/* Whether sql already numbers its parameters ($1, $2, ...), and the highest number it uses. */
static bool dollar_params(const char *sql, int *ret_highest)
{
    bool found = false;
    size_t i = 0;

    *ret_highest = 0;
    while (sql[i]) {
        size_t j = skip_noncode(sql, i);

        if (j != i) {
            i = j;
            continue;
        }
        if (sql[i] == '$' && isdigit((unsigned char)sql[i + 1]) &&
            (i == 0 || !word_char(sql[i - 1]))) {
            found = true;
            *ret_highest = CB_MAX(*ret_highest, atoi(sql + i + 1));
        }
        i++;
    }
    return found;
}

enum prev_token {
    PREV_NONE,    /* start, punctuation, operators: a value may follow */
    PREV_OPERAND, /* a name, literal, ) or ]: an operator may follow */
};

/* Is the `?` at sql+i one of PostgreSQL's operators rather than a placeholder? */
static bool question_is_operator(const char *sql, size_t i, enum prev_token prev)
{
    char next = sql[i + 1];

    if (next == '|' || next == '&' || next == '-' || next == '#') {
        return true;
    }
    if (i > 0 && sql[i - 1] == '@') {
        return true;
    }
    return prev == PREV_OPERAND;
}

int db_sql_rewrite_placeholders(const char *sql, char **ret, int *ret_count)
{
    size_t len = strlen(sql), i = 0, o = 0;
    enum prev_token prev = PREV_NONE;
    char *out;
    int n = 0;

    if (dollar_params(sql, ret_count)) {
        *ret = strdup(sql);
        return *ret ? 0 : -ENOMEM;
    }
    /* "$" plus up to 5 digits in place of each one-byte "?". */
    out = malloc(len * 6 + 1);
    if (!out) {
        return -ENOMEM;
    }
    while (sql[i]) {
        size_t j = skip_noncode(sql, i);

        if (j != i) {
            bool literal = sql[i] == '\'' || sql[i] == '"' || sql[i] == '$';

            memcpy(out + o, sql + i, j - i);
            o += j - i;
            i = j;
            if (literal) {
                prev = PREV_OPERAND;
            }
            continue;
        }
        if (sql[i] == '?' && !question_is_operator(sql, i, prev)) {
            o += (size_t)sprintf(out + o, "$%d", ++n);
            i++;
            prev = PREV_OPERAND;
            continue;
        }
        if (word_char(sql[i])) {
            size_t start = i;

            while (word_char(sql[i])) {
                i++;
            }
            memcpy(out + o, sql + start, i - start);
            o += i - start;
            prev = isdigit((unsigned char)sql[start]) ||
                                   !keyword_before_value(sql + start, i - start)
                           ? PREV_OPERAND
                           : PREV_NONE;
            continue;
        }
        if (!isspace((unsigned char)sql[i])) {
            prev = (sql[i] == ')' || sql[i] == ']') ? PREV_OPERAND : PREV_NONE;
        }
        out[o++] = sql[i++];
    }
    out[o] = '\0';
    *ret = out;
    *ret_count = n;
    return 0;
}
