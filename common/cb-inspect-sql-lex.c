/* SPDX-License-Identifier: MIT */
/*
 * A SQL lexer wide enough for the dialects a bridge talks to (Oracle, PostgreSQL, MySQL,
 * SQLite, SQL Server): '' and backslash escapes, N'' and X'' literals, hex numbers,
 * -- # and block comments (MySQL's executable ones read as code), @variables and the
 * usual operators. Anything else is SQL_OTHER, which no SQL rule accepts.
 */
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "common/cb-inspect-internal.h"
#include "common/cb-macro.h"

struct keyword {
    const char *word;
    enum sql_kw kw;
};

static const struct keyword keywords[] = {
    { "all", SQL_KW_ALL },
    { "alter", SQL_KW_ALTER },
    { "and", SQL_KW_AND },
    { "as", SQL_KW_AS },
    { "asc", SQL_KW_ASC },
    { "between", SQL_KW_BETWEEN },
    { "binary", SQL_KW_BINARY },
    { "by", SQL_KW_BY },
    { "call", SQL_KW_CALL },
    { "case", SQL_KW_CASE },
    { "collate", SQL_KW_COLLATE },
    { "create", SQL_KW_CREATE },
    { "database", SQL_KW_DATABASE },
    { "declare", SQL_KW_DECLARE },
    { "delete", SQL_KW_DELETE },
    { "desc", SQL_KW_DESC },
    { "distinct", SQL_KW_DISTINCT },
    { "div", SQL_KW_DIV },
    { "drop", SQL_KW_DROP },
    { "dumpfile", SQL_KW_DUMPFILE },
    { "else", SQL_KW_ELSE },
    { "end", SQL_KW_END },
    { "escape", SQL_KW_ESCAPE },
    { "exec", SQL_KW_EXEC },
    { "execute", SQL_KW_EXECUTE },
    { "exists", SQL_KW_EXISTS },
    { "false", SQL_KW_FALSE },
    { "from", SQL_KW_FROM },
    { "glob", SQL_KW_GLOB },
    { "grant", SQL_KW_GRANT },
    { "group", SQL_KW_GROUP },
    { "having", SQL_KW_HAVING },
    { "if", SQL_KW_IF },
    { "ilike", SQL_KW_ILIKE },
    { "in", SQL_KW_IN },
    { "index", SQL_KW_INDEX },
    { "insert", SQL_KW_INSERT },
    { "into", SQL_KW_INTO },
    { "is", SQL_KW_IS },
    { "like", SQL_KW_LIKE },
    { "limit", SQL_KW_LIMIT },
    { "mod", SQL_KW_MOD },
    { "not", SQL_KW_NOT },
    { "null", SQL_KW_NULL },
    { "offset", SQL_KW_OFFSET },
    { "or", SQL_KW_OR },
    { "order", SQL_KW_ORDER },
    { "outfile", SQL_KW_OUTFILE },
    { "procedure", SQL_KW_PROCEDURE },
    { "regexp", SQL_KW_REGEXP },
    { "revoke", SQL_KW_REVOKE },
    { "rlike", SQL_KW_RLIKE },
    { "schema", SQL_KW_SCHEMA },
    { "select", SQL_KW_SELECT },
    { "set", SQL_KW_SET },
    { "shutdown", SQL_KW_SHUTDOWN },
    { "sounds", SQL_KW_SOUNDS },
    { "table", SQL_KW_TABLE },
    { "then", SQL_KW_THEN },
    { "top", SQL_KW_TOP },
    { "true", SQL_KW_TRUE },
    { "truncate", SQL_KW_TRUNCATE },
    { "union", SQL_KW_UNION },
    { "unknown", SQL_KW_UNKNOWN },
    { "update", SQL_KW_UPDATE },
    { "user", SQL_KW_USER },
    { "values", SQL_KW_VALUES },
    { "view", SQL_KW_VIEW },
    { "waitfor", SQL_KW_WAITFOR },
    { "when", SQL_KW_WHEN },
    { "where", SQL_KW_WHERE },
    { "xor", SQL_KW_XOR },
};

#define KEYWORD_MAX   9
#define KEYWORD_SLOTS 256 /* a power of two, well over twice the keywords */

/* The keywords by their first 8 lower-case letters packed in a word, hashed into a table
 * built once: a lookup is a multiply, a shift and a compare or two. */
struct keyword_slot {
    uint64_t packed;
    uint8_t len;
    char ninth;
    uint8_t kw;
};

static struct keyword_slot keyword_slots[KEYWORD_SLOTS];
static pthread_once_t keyword_once = PTHREAD_ONCE_INIT;

static unsigned keyword_hash(uint64_t packed, size_t len)
{
    return (unsigned)(((packed ^ len) * 0x9E3779B97F4A7C15ull) >> 56) & (KEYWORD_SLOTS - 1);
}

static void keyword_slots_init(void)
{
    for (size_t k = 0; k < CB_ELEMENTSOF(keywords); k++) {
        const char *w = keywords[k].word;
        size_t len = strlen(w);
        uint64_t packed = 0;
        unsigned h;

        memcpy(&packed, w, CB_MIN(len, sizeof packed));
        for (h = keyword_hash(packed, len); keyword_slots[h].len; h = (h + 1) % KEYWORD_SLOTS) {
        }
        keyword_slots[h] = (struct keyword_slot){
            .packed = packed,
            .len = (uint8_t)len,
            .ninth = len > 8 ? w[8] : '\0',
            .kw = (uint8_t)keywords[k].kw,
        };
    }
}

static enum sql_kw keyword_lookup(const char *s, size_t n)
{
    char lower[KEYWORD_MAX] = { 0 };
    uint64_t packed = 0;

    if (n < 2 || n > KEYWORD_MAX) {
        return SQL_KW_NONE;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];

        if (!cb_inspect_is_alpha(c)) {
            return SQL_KW_NONE;
        }
        lower[i] = (char)(c | 0x20);
    }
    memcpy(&packed, lower, CB_MIN(n, sizeof packed));
    pthread_once(&keyword_once, keyword_slots_init);
    for (unsigned h = keyword_hash(packed, n); keyword_slots[h].len; h = (h + 1) % KEYWORD_SLOTS) {
        const struct keyword_slot *slot = &keyword_slots[h];

        if (slot->packed == packed && slot->len == n && (n < 9 || slot->ninth == lower[8])) {
            return (enum sql_kw)slot->kw;
        }
    }
    return SQL_KW_NONE;
}

static bool is_word_byte(unsigned char c)
{
    return cb_inspect_is_alnum(c) || c == '_' || c == '$' || c >= 0x80;
}

size_t cb_inspect_sql_skip_literal(const struct sql_lexer *lx, size_t pos, char quote)
{
    const char *s = lx->s;

    while (pos < lx->len) {
        const char *q = memchr(s + pos, quote, lx->len - pos);
        size_t at;

        if (lx->backslash_escapes) {
            const char *b = memchr(s + pos, '\\', (q ? (size_t)(q - s) : lx->len) - pos);

            if (b) {
                pos = (size_t)(b - s) + 2;
                if (pos > lx->len) {
                    break;
                }
                continue;
            }
        }
        if (!q) {
            break;
        }
        at = (size_t)(q - s);
        if (at + 1 < lx->len && s[at + 1] == quote) {
            pos = at + 2; /* '' stands for one quote */
            continue;
        }
        return at + 1;
    }
    return SIZE_MAX;
}

/* Whitespace and block comments; returns false when an unclosed comment runs to the end. */
static bool skip_blank(struct sql_lexer *lx)
{
    const char *s = lx->s;

    while (lx->pos < lx->len) {
        unsigned char c = (unsigned char)s[lx->pos];

        if (cb_inspect_is_space(c) || c == '\0') {
            lx->pos++;
        } else if (c == '/' && lx->pos + 1 < lx->len && s[lx->pos + 1] == '*') {
            const char *end;

            if (lx->pos + 2 < lx->len && s[lx->pos + 2] == '!') {
                lx->pos += 3; /* MySQL executable comment: its text is code */
                while (lx->pos < lx->len && cb_inspect_is_digit((unsigned char)s[lx->pos])) {
                    lx->pos++;
                }
                lx->in_exec_comment = true;
                continue;
            }
            end = memmem(s + lx->pos + 2, lx->len - lx->pos - 2, "*/", 2);
            if (!end) {
                return false;
            }
            lx->pos = (size_t)(end - s) + 2;
        } else if (c == '*' && lx->in_exec_comment && lx->pos + 1 < lx->len &&
                   s[lx->pos + 1] == '/') {
            lx->pos += 2;
            lx->in_exec_comment = false;
        } else {
            break;
        }
    }
    return true;
}

static struct sql_token lex_number(struct sql_lexer *lx, size_t start)
{
    const char *s = lx->s;
    size_t i = start;

    if (s[i] == '0' && i + 1 < lx->len && (s[i + 1] | 0x20) == 'x') {
        i += 2;
        while (i < lx->len && cb_inspect_hex((unsigned char)s[i]) >= 0) {
            i++;
        }
    } else {
        while (i < lx->len && cb_inspect_is_digit((unsigned char)s[i])) {
            i++;
        }
        if (i < lx->len && s[i] == '.') {
            i++;
            while (i < lx->len && cb_inspect_is_digit((unsigned char)s[i])) {
                i++;
            }
        }
        if (i + 1 < lx->len && (s[i] | 0x20) == 'e' &&
            (cb_inspect_is_digit((unsigned char)s[i + 1]) ||
             ((s[i + 1] == '-' || s[i + 1] == '+') && i + 2 < lx->len &&
              cb_inspect_is_digit((unsigned char)s[i + 2])))) {
            i += 2;
            while (i < lx->len && cb_inspect_is_digit((unsigned char)s[i])) {
                i++;
            }
        }
    }
    if (i < lx->len && is_word_byte((unsigned char)s[i]) && s[i] != '$') {
        /* 90s, 5th, 3pm: a word that starts with digits, not a number */
        while (i < lx->len && is_word_byte((unsigned char)s[i])) {
            i++;
        }
        lx->pos = i;
        return (struct sql_token){ .type = SQL_WORD, .pos = start, .len = i - start };
    }
    lx->pos = i;
    return (struct sql_token){ .type = SQL_NUM, .pos = start, .len = i - start };
}

static struct sql_token lex_literal(struct sql_lexer *lx, size_t start, size_t quote_at)
{
    char quote = lx->s[quote_at];
    size_t end = cb_inspect_sql_skip_literal(lx, quote_at + 1, quote);

    lx->pos = end == SIZE_MAX ? lx->len : end;
    return (struct sql_token){ .type = end == SIZE_MAX ? SQL_STR_OPEN : SQL_STR,
                               .quote = quote,
                               .pos = start,
                               .len = lx->pos - start };
}

static struct sql_token lex_word(struct sql_lexer *lx, size_t start)
{
    const char *s = lx->s;
    size_t i = start;
    enum sql_kw kw;

    while (i < lx->len && is_word_byte((unsigned char)s[i])) {
        i++;
    }
    /* N'text', X'0A', B'01', E'\n': a one-letter prefix of a literal */
    if (i - start == 1 && i < lx->len && s[i] == '\'' && strchr("nNxXbBeE", s[start])) {
        return lex_literal(lx, start, i);
    }
    lx->pos = i;
    kw = keyword_lookup(s + start, i - start);
    return (struct sql_token){ .type = kw ? SQL_KW : SQL_WORD,
                               .sub = (uint8_t)kw,
                               .pos = start,
                               .len = i - start };
}

static struct sql_token token(struct sql_lexer *lx,
                              enum sql_type type,
                              uint8_t sub,
                              size_t start,
                              size_t len)
{
    lx->pos = start + len;
    return (struct sql_token){ .type = type, .sub = sub, .pos = start, .len = len };
}

static struct sql_token lex_operator(struct sql_lexer *lx, size_t start)
{
    const char *s = lx->s;
    char c = s[start], d = start + 1 < lx->len ? s[start + 1] : '\0';

    switch (c) {
    case '=':
        return token(lx, SQL_OP, SQL_OP_CMP, start, d == '=' ? 2 : 1);
    case '<':
        if (d == '=' && start + 2 < lx->len && s[start + 2] == '>') {
            return token(lx, SQL_OP, SQL_OP_CMP, start, 3);
        }
        if (d == '<') {
            return token(lx, SQL_OP, SQL_OP_BIT, start, 2);
        }
        return token(lx, SQL_OP, SQL_OP_CMP, start, d == '=' || d == '>' ? 2 : 1);
    case '>':
        if (d == '>') {
            return token(lx, SQL_OP, SQL_OP_BIT, start, 2);
        }
        return token(lx, SQL_OP, SQL_OP_CMP, start, d == '=' ? 2 : 1);
    case '!':
        if (d == '=') {
            return token(lx, SQL_OP, SQL_OP_CMP, start, 2);
        }
        return token(lx, SQL_OP, SQL_OP_UNARY, start, 1);
    case '~':
        return token(lx, SQL_OP, SQL_OP_UNARY, start, 1);
    case '|':
        return d == '|' ? token(lx, SQL_OP, SQL_OP_OROR, start, 2)
                        : token(lx, SQL_OP, SQL_OP_BIT, start, 1);
    case '&':
        return d == '&' ? token(lx, SQL_OP, SQL_OP_ANDAND, start, 2)
                        : token(lx, SQL_OP, SQL_OP_BIT, start, 1);
    case '^':
        return token(lx, SQL_OP, SQL_OP_BIT, start, 1);
    case '+':
    case '-':
    case '*':
    case '/':
    case '%':
        return token(lx, SQL_OP, SQL_OP_ARITH, start, 1);
    case ':':
        if (d == ':') {
            return token(lx, SQL_OP, SQL_OP_CAST, start, 2);
        }
        if (d == '=') {
            return token(lx, SQL_OP, SQL_OP_ASSIGN, start, 2);
        }
        return token(lx, SQL_OTHER, 0, start, 1);
    default:
        return token(lx, SQL_OTHER, 0, start, 1);
    }
}

struct sql_token cb_inspect_sql_lex(struct sql_lexer *lx)
{
    const char *s = lx->s;
    size_t start;
    unsigned char c;

    if (!skip_blank(lx)) {
        return (struct sql_token){ .type = SQL_COMMENT, .pos = lx->pos, .len = 0 };
    }
    start = lx->pos;
    if (start >= lx->len) {
        return (struct sql_token){ .type = SQL_EOF, .pos = lx->len };
    }
    c = (unsigned char)s[start];

    if (c == '-' && start + 1 < lx->len && s[start + 1] == '-') {
        return token(lx, SQL_COMMENT, '-', start, lx->len - start);
    }
    if (c == '#') {
        /* #1 or #hashtag is text; # followed by anything else is MySQL's comment */
        if (start + 1 < lx->len && cb_inspect_is_alnum((unsigned char)s[start + 1])) {
            return token(lx, SQL_OTHER, 0, start, 1);
        }
        return token(lx, SQL_COMMENT, '#', start, lx->len - start);
    }
    if (c == '\'' || c == '"') {
        return lex_literal(lx, start, start);
    }
    if (c == '`') {
        const char *end = memchr(s + start + 1, '`', lx->len - start - 1);

        if (!end) {
            return token(lx, SQL_OTHER, 0, start, 1);
        }
        return token(lx, SQL_WORD, 0, start, (size_t)(end - s) + 1 - start);
    }
    if (cb_inspect_is_digit(c) ||
        (c == '.' && start + 1 < lx->len && cb_inspect_is_digit((unsigned char)s[start + 1]))) {
        return lex_number(lx, start);
    }
    if (cb_inspect_is_alpha(c) || c == '_' || c >= 0x80) {
        return lex_word(lx, start);
    }
    if (c == '@') {
        size_t i = start + 1 + (start + 1 < lx->len && s[start + 1] == '@');
        size_t w = i;

        while (w < lx->len && is_word_byte((unsigned char)s[w])) {
            w++;
        }
        if (w == i) {
            /* 'x'@'%' in GRANT: binds a user to a host */
            return token(lx, SQL_OP, SQL_OP_BIT, start, 1);
        }
        return token(lx, SQL_VAR, 0, start, w - start);
    }

    switch (c) {
    case '(':
        return token(lx, SQL_LPAREN, 0, start, 1);
    case ')':
        return token(lx, SQL_RPAREN, 0, start, 1);
    case ',':
        return token(lx, SQL_COMMA, 0, start, 1);
    case ';':
        return token(lx, SQL_SEMI, 0, start, 1);
    case '.':
        return token(lx, SQL_DOT, 0, start, 1);
    default:
        return lex_operator(lx, start);
    }
}
