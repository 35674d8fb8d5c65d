/* SPDX-License-Identifier: MIT */
/* Shared by the cb-inspect*.c files: the text under inspection and one detector per kind. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/cb-inspect.h"

/* Which interesting bytes a value contains, found in one pass so that each detector can skip
 * values that lack the characters its constructs need. */
enum {
    CB_INSPECT_HAS_SQUOTE = 1u << 0,
    CB_INSPECT_HAS_DQUOTE = 1u << 1,
    CB_INSPECT_HAS_LT = 1u << 2,
    CB_INSPECT_HAS_GT = 1u << 3,
    CB_INSPECT_HAS_SEMI = 1u << 4,
    CB_INSPECT_HAS_PIPE = 1u << 5,
    CB_INSPECT_HAS_AMP = 1u << 6,
    CB_INSPECT_HAS_BTICK = 1u << 7,
    CB_INSPECT_HAS_DOLLAR = 1u << 8,
    CB_INSPECT_HAS_BRACE = 1u << 9,
    CB_INSPECT_HAS_HASH = 1u << 10,
    CB_INSPECT_HAS_DOT = 1u << 11,
    CB_INSPECT_HAS_SLASH = 1u << 12,
    CB_INSPECT_HAS_BSLASH = 1u << 13,
    CB_INSPECT_HAS_PCT = 1u << 14,
    CB_INSPECT_HAS_COLON = 1u << 15,
    CB_INSPECT_HAS_EQ = 1u << 16,
    CB_INSPECT_HAS_PAREN = 1u << 17,
    CB_INSPECT_HAS_NEWLINE = 1u << 18,
    CB_INSPECT_HAS_DASH = 1u << 19,
    CB_INSPECT_HAS_HIGH = 1u << 20, /* a lead byte of a lookalike or an overlong form */
    CB_INSPECT_HAS_SPACE = 1u << 21,
    CB_INSPECT_HAS_PLUS = 1u << 22,
    CB_INSPECT_HAS_AT = 1u << 23,
    CB_INSPECT_HAS_STAR = 1u << 24,
    CB_INSPECT_HAS_COMMA = 1u << 25,
    CB_INSPECT_HAS_ALPHA = 1u << 26,
    CB_INSPECT_HAS_DIGIT = 1u << 27,
};

struct cb_inspect_input {
    const char *s;
    size_t len;
    uint32_t mask;
};

uint32_t cb_inspect_scan_mask(const char *s, size_t len);

/*
 * One decoding round from src to dst (dst may be src: the output is never longer than the
 * input). `plus_is_space` turns '+' into a space, for form-encoded values. Returns the new
 * length and sets *ret_changed when anything was decoded.
 */
size_t cb_inspect_decode(const char *src,
                         size_t len,
                         char *dst,
                         bool plus_is_space,
                         bool *ret_changed);

/* The detectors: each returns true and fills *f (kind, reason, offset) on a finding. */
bool cb_inspect_sql(const struct cb_inspect_input *in, struct cb_inspect_finding *f);
bool cb_inspect_html(const struct cb_inspect_input *in, struct cb_inspect_finding *f);
bool cb_inspect_path(const struct cb_inspect_input *in, struct cb_inspect_finding *f);
bool cb_inspect_shell(const struct cb_inspect_input *in, struct cb_inspect_finding *f);
bool cb_inspect_template(const struct cb_inspect_input *in, struct cb_inspect_finding *f);

/* Small byte helpers that do not depend on the locale. */
static inline bool cb_inspect_is_alpha(unsigned char c)
{
    return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
}

static inline bool cb_inspect_is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static inline bool cb_inspect_is_alnum(unsigned char c)
{
    return cb_inspect_is_alpha(c) || cb_inspect_is_digit(c);
}

static inline bool cb_inspect_is_space(unsigned char c)
{
    return c == ' ' || (c >= '\t' && c <= '\r');
}

static inline unsigned char cb_inspect_lower(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? c | 0x20 : c;
}

static inline int cb_inspect_hex(unsigned char c)
{
    if (cb_inspect_is_digit(c)) {
        return c - '0';
    }
    c |= 0x20;
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Case-insensitive comparison of s[0..n) with a lower-case word of exactly n bytes. */
static inline bool cb_inspect_word_eq(const char *s, size_t n, const char *lower)
{
    for (size_t i = 0; i < n; i++) {
        if (!lower[i] || cb_inspect_lower((unsigned char)s[i]) != (unsigned char)lower[i]) {
            return false;
        }
    }
    return lower[n] == '\0';
}

/* True when s[at..) starts with the lower-case `word`, case-insensitively. */
static inline bool cb_inspect_starts(const char *s, size_t len, size_t at, const char *word)
{
    for (size_t i = 0; word[i]; i++) {
        if (at + i >= len || cb_inspect_lower((unsigned char)s[at + i]) != (unsigned char)word[i]) {
            return false;
        }
    }
    return true;
}

static inline struct cb_inspect_finding cb_inspect_found(enum cb_inspect_kind kind,
                                                         const char *reason,
                                                         size_t offset)
{
    return (struct cb_inspect_finding){ .kind = kind, .reason = reason, .offset = offset };
}

/* The SQL lexer (cb-inspect-sql-lex.c), shared with the SQL rules (cb-inspect-sql.c). */
enum sql_type {
    SQL_EOF,
    SQL_NUM,
    SQL_STR,      /* a closed literal; quote says which */
    SQL_STR_OPEN, /* a literal still open at the end of the value */
    SQL_WORD,     /* an identifier or a word that is no keyword */
    SQL_KW,       /* sub is an enum sql_kw */
    SQL_VAR,      /* @x, @@version */
    SQL_OP,       /* sub is an enum sql_op */
    SQL_LPAREN,
    SQL_RPAREN,
    SQL_COMMA,
    SQL_SEMI,
    SQL_DOT,
    SQL_COMMENT, /* -- # or an unclosed block comment: runs to the end */
    SQL_OTHER,   /* anything SQL has no use for: the value is not SQL here */
};

enum sql_op {
    SQL_OP_CMP = 1, /* = <> != < > <= >= <=> == */
    SQL_OP_ARITH,   /* + - * / % */
    SQL_OP_BIT,     /* | & ^ << >> */
    SQL_OP_OROR,    /* || (OR in MySQL, concatenation elsewhere) */
    SQL_OP_ANDAND,  /* && */
    SQL_OP_UNARY,   /* ! ~ */
    SQL_OP_CAST,    /* :: */
    SQL_OP_ASSIGN,  /* := */
};

enum sql_kw {
    SQL_KW_NONE,
    SQL_KW_ALL,
    SQL_KW_ALTER,
    SQL_KW_AND,
    SQL_KW_AS,
    SQL_KW_ASC,
    SQL_KW_BETWEEN,
    SQL_KW_BINARY,
    SQL_KW_BY,
    SQL_KW_CALL,
    SQL_KW_CASE,
    SQL_KW_COLLATE,
    SQL_KW_CREATE,
    SQL_KW_DATABASE,
    SQL_KW_DECLARE,
    SQL_KW_DELETE,
    SQL_KW_DESC,
    SQL_KW_DISTINCT,
    SQL_KW_DIV,
    SQL_KW_DROP,
    SQL_KW_DUMPFILE,
    SQL_KW_ELSE,
    SQL_KW_END,
    SQL_KW_ESCAPE,
    SQL_KW_EXEC,
    SQL_KW_EXECUTE,
    SQL_KW_EXISTS,
    SQL_KW_FALSE,
    SQL_KW_FROM,
    SQL_KW_GLOB,
    SQL_KW_GRANT,
    SQL_KW_GROUP,
    SQL_KW_HAVING,
    SQL_KW_IF,
    SQL_KW_ILIKE,
    SQL_KW_IN,
    SQL_KW_INDEX,
    SQL_KW_INSERT,
    SQL_KW_INTO,
    SQL_KW_IS,
    SQL_KW_LIKE,
    SQL_KW_LIMIT,
    SQL_KW_MOD,
    SQL_KW_NOT,
    SQL_KW_NULL,
    SQL_KW_OFFSET,
    SQL_KW_OR,
    SQL_KW_ORDER,
    SQL_KW_OUTFILE,
    SQL_KW_PROCEDURE,
    SQL_KW_REGEXP,
    SQL_KW_REVOKE,
    SQL_KW_RLIKE,
    SQL_KW_SCHEMA,
    SQL_KW_SELECT,
    SQL_KW_SET,
    SQL_KW_SHUTDOWN,
    SQL_KW_SOUNDS,
    SQL_KW_TABLE,
    SQL_KW_THEN,
    SQL_KW_TOP,
    SQL_KW_TRUE,
    SQL_KW_TRUNCATE,
    SQL_KW_UNION,
    SQL_KW_UNKNOWN,
    SQL_KW_UPDATE,
    SQL_KW_USER,
    SQL_KW_VALUES,
    SQL_KW_VIEW,
    SQL_KW_WAITFOR,
    SQL_KW_WHEN,
    SQL_KW_WHERE,
    SQL_KW_XOR,
};

struct sql_token {
    enum sql_type type;
    uint8_t sub; /* enum sql_kw or enum sql_op */
    char quote;  /* for SQL_STR and SQL_STR_OPEN */
    size_t pos;
    size_t len;
};

struct sql_lexer {
    const char *s;
    size_t len;
    size_t pos;
    bool backslash_escapes; /* MySQL: \' does not end a literal */
    bool in_exec_comment;   /* inside MySQL's executable comment, whose text is SQL */
};

struct sql_token cb_inspect_sql_lex(struct sql_lexer *lx);

/* Skips a literal body from pos (just after its opening quote); returns the position after
 * the closing quote, or SIZE_MAX when the literal stays open to the end. */
size_t cb_inspect_sql_skip_literal(const struct sql_lexer *lx, size_t pos, char quote);

/* What the SQL parser (cb-inspect-sql-parse.c) saw in the value, for the rules. */
struct sql_shape {
    bool cmp_lit;       /* a comparison with a literal, call or subquery on its right */
    bool cmp_open;      /* a comparison with only the query's closing literal on its right */
    bool logic;         /* OR, AND, XOR, ||, && */
    bool logic_cmp;     /* ... whose right side has a comparison, call or subquery */
    bool logic_lit;     /* ... whose right side has a literal */
    bool first_logic;   /* the first operator after the first operand is a logic one */
    bool func;          /* a function call */
    bool subquery;      /* (SELECT ...) */
    bool union_select;  /* UNION SELECT */
    bool stacked;       /* ; and a statement */
    bool clause;        /* ORDER BY, GROUP BY, LIMIT */
    bool clause_strong; /* HAVING with a comparison, INTO OUTFILE, PROCEDURE, WAITFOR */
    bool comment_end;   /* the value ends in a comment */
    bool open_end;      /* the value ends inside a literal that the query's quote closes */
};

struct sql_parser {
    struct sql_lexer lx;
    struct sql_token tok;
    char ctx_quote; /* the quote that the query closes the value with; 0 in numeric context */
    unsigned depth;
    bool seen_binop;
    bool strict_select; /* without a context: SELECT needs *, FROM, a call or a variable */
    bool seg_after_logic, seg_cmp, seg_lit; /* the right side of the latest logic operator */
    struct sql_shape shape;
};

static inline bool cb_inspect_sql_is_kw(const struct sql_token *t, enum sql_kw kw)
{
    return t->type == SQL_KW && t->sub == kw;
}

/* The parser starts at `pos` of the input; ctx_quote is the quote the query closes the
 * value with, or 0 in a numeric context. */
void cb_inspect_sql_parser_init(struct sql_parser *p,
                                const struct cb_inspect_input *in,
                                size_t pos,
                                bool backslash,
                                char ctx_quote);
void cb_inspect_sql_advance(struct sql_parser *p);

/* The value's own first operand, in a numeric context: a number, (, @var, -x or a call. */
bool cb_inspect_sql_starts_operand(const struct sql_parser *p);
bool cb_inspect_sql_parse_operand(struct sql_parser *p);

/* After the first operand: true when the rest of the value is valid SQL (p->shape says
 * what it holds). */
bool cb_inspect_sql_parse_tail(struct sql_parser *p);

/* One statement at the current token, up to ';' or the end; and ';' statement ... */
bool cb_inspect_sql_parse_statement(struct sql_parser *p);
bool cb_inspect_sql_parse_stacked(struct sql_parser *p);
bool cb_inspect_sql_at_statement_end(const struct sql_parser *p);
