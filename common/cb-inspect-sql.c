/* SPDX-License-Identifier: MIT */
/*
 * SQL injection: the value is read as the tail of a SQL context (after an opening single
 * or double quote, or in place of a number) and parsed as SQL to its end. Text that leaves
 * the context but does not continue as valid SQL ("O'Brien", "It's 5 o'clock") is harmless
 * there: the database would reject the query. It is an injection when the continuation is
 * valid and carries structure: a boolean test, UNION SELECT, a stacked statement, a comment
 * that cuts the query, a call or a subquery. Since the context is unknown, three patterns are
 * also looked for anywhere in the value (a statement after ';', UNION SELECT with a select
 * list, a constant equality after OR/AND as in "id=1 OR 1=1"), and a value that is a whole
 * statement ended by ';' or a comment ("DROP TABLE users;") is one too.
 */
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "common/cb-inspect-internal.h"

#define SHORT_COMMENT_MAX 3

static const char *shape_reason(const struct sql_shape *s, bool quoted)
{
    if (s->stacked) {
        return quoted ? "quote closes a string literal and a stacked statement follows"
                      : "value continues into a stacked SQL statement";
    }
    if (s->union_select) {
        return quoted ? "quote closes a string literal and UNION SELECT follows"
                      : "value continues into UNION SELECT";
    }
    if (s->subquery) {
        return quoted ? "quote closes a string literal and a subquery follows"
                      : "value continues into a subquery";
    }
    if (s->logic_cmp || s->logic_lit || s->logic) {
        return quoted ? "quote closes a string literal and a boolean condition follows"
                      : "value continues into a boolean condition";
    }
    if (s->clause_strong || s->clause) {
        return quoted ? "quote closes a string literal and a SQL clause follows"
                      : "value continues into a SQL clause";
    }
    if (s->func) {
        return quoted ? "quote closes a string literal and a function call follows"
                      : "value continues into a function call";
    }
    return quoted ? "quote closes a string literal and a comparison follows"
                  : "value continues into SQL";
}

/* login_like: no blank before the quote ("admin' = 'x"); "The sign '=' means equal" has
 * words before it, and a comparison with only the query's literal means little there. */
static bool quoted_shape_is_injection(const struct sql_shape *s, bool login_like)
{
    return s->stacked || s->union_select || s->subquery || s->clause_strong || s->logic_cmp ||
           (s->logic && s->comment_end) || s->cmp_lit || s->func || (s->clause && s->comment_end) ||
           (login_like && (s->cmp_open || (s->logic_lit && s->open_end)));
}

static bool numeric_shape_is_injection(const struct sql_shape *s)
{
    return s->stacked || s->union_select || s->subquery || s->clause_strong ||
           (s->first_logic && (s->logic_cmp || s->comment_end)) ||
           (s->comment_end && (s->func || s->clause));
}

static bool has_space(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (cb_inspect_is_space((unsigned char)s[i])) {
            return true;
        }
    }
    return false;
}

/* admin'--  admin' #  x');--  : the quote ends the literal and the rest of the query is cut
 * off. Text such as "the Jones' -- our neighbours" has words before the quote and a real
 * comment after it, so only a login-like prefix or an (almost) empty comment counts. */
static bool comment_cut(struct sql_parser *p, size_t quote_at)
{
    size_t body = 0;

    while (p->tok.type == SQL_RPAREN) {
        cb_inspect_sql_advance(p);
    }
    if (p->tok.type == SQL_SEMI) {
        cb_inspect_sql_advance(p);
        if (p->tok.type == SQL_EOF) {
            return !has_space(p->lx.s, quote_at);
        }
    }
    if (p->tok.type != SQL_COMMENT) {
        return false;
    }
    for (size_t i = p->tok.pos + (p->lx.s[p->tok.pos] == '#' ? 1 : 2); i < p->lx.len; i++) {
        body += !cb_inspect_is_space((unsigned char)p->lx.s[i]);
    }
    return body <= SHORT_COMMENT_MAX || !has_space(p->lx.s, quote_at);
}

/* '-'  '='  '&'  '^'  '*'  : an operator between the quotes makes an expression of the
 * literal (MySQL's classic login bypass). */
static bool operator_between_quotes(const struct cb_inspect_input *in, char quote)
{
    size_t i = 1;

    if (in->len < 3 || in->s[0] != quote || in->s[in->len - 1] != quote) {
        return false;
    }
    while (i < in->len - 1 && in->s[i] == ' ') {
        i++;
    }
    if (i >= in->len - 1 || !strchr("-=&^*|+/%", in->s[i])) {
        return false;
    }
    for (i++; i < in->len - 1; i++) {
        if (in->s[i] != ' ') {
            return false;
        }
    }
    return true;
}

static bool check_quoted(const struct cb_inspect_input *in,
                         char quote,
                         bool backslash,
                         struct cb_inspect_finding *f)
{
    struct sql_lexer lx = { .s = in->s, .len = in->len, .backslash_escapes = backslash };
    size_t close = cb_inspect_sql_skip_literal(&lx, 0, quote);
    struct sql_parser p;

    if (close == SIZE_MAX) {
        return false;
    }
    if (operator_between_quotes(in, quote)) {
        *f = cb_inspect_found(CB_INSPECT_SQL_INJECTION,
                              "quotes around an operator turn the literal into an expression", 0);
        return true;
    }

    cb_inspect_sql_parser_init(&p, in, close, backslash, quote);
    if (comment_cut(&p, close - 1)) {
        *f = cb_inspect_found(CB_INSPECT_SQL_INJECTION,
                              "quote closes a string literal and the rest of the query is cut off",
                              close - 1);
        return true;
    }

    cb_inspect_sql_parser_init(&p, in, close, backslash, quote);
    if (cb_inspect_sql_parse_tail(&p) &&
        quoted_shape_is_injection(&p.shape, !has_space(in->s, close - 1))) {
        *f = cb_inspect_found(CB_INSPECT_SQL_INJECTION, shape_reason(&p.shape, true), close - 1);
        return true;
    }
    return false;
}

static bool check_numeric(const struct cb_inspect_input *in, struct cb_inspect_finding *f)
{
    struct sql_parser p;

    cb_inspect_sql_parser_init(&p, in, 0, false, 0);
    if (!cb_inspect_sql_starts_operand(&p) || !cb_inspect_sql_parse_operand(&p) ||
        !cb_inspect_sql_parse_tail(&p) || !numeric_shape_is_injection(&p.shape)) {
        return false;
    }
    *f = cb_inspect_found(CB_INSPECT_SQL_INJECTION, shape_reason(&p.shape, false), 0);
    return true;
}

static bool is_operand_token(const struct sql_token *t)
{
    return t->type == SQL_NUM || t->type == SQL_STR || t->type == SQL_WORD ||
           t->type == SQL_RPAREN || t->type == SQL_VAR || cb_inspect_sql_is_kw(t, SQL_KW_NULL) ||
           cb_inspect_sql_is_kw(t, SQL_KW_TRUE) || cb_inspect_sql_is_kw(t, SQL_KW_FALSE);
}

static bool is_logic_token(const struct sql_token *t)
{
    return cb_inspect_sql_is_kw(t, SQL_KW_OR) || cb_inspect_sql_is_kw(t, SQL_KW_AND) ||
           cb_inspect_sql_is_kw(t, SQL_KW_XOR) ||
           (t->type == SQL_OP && (t->sub == SQL_OP_OROR || t->sub == SQL_OP_ANDAND));
}

static bool is_literal_token(const struct sql_token *t)
{
    return t->type == SQL_NUM || t->type == SQL_STR || t->type == SQL_STR_OPEN ||
           cb_inspect_sql_is_kw(t, SQL_KW_NULL) || cb_inspect_sql_is_kw(t, SQL_KW_TRUE) ||
           cb_inspect_sql_is_kw(t, SQL_KW_FALSE);
}

/* An equality between constants (1=1, 'a'='a', x=x, 1 LIKE 1, 'x' IS NOT NULL) right after
 * the logic operator at lx, followed by the end, a comment, ';', ')' or another operator. */
static bool tautology_follows(struct sql_lexer lx, const char *s)
{
    struct sql_token a, op, b, t;
    int parens = 0;

    do {
        a = cb_inspect_sql_lex(&lx);
    } while (a.type == SQL_LPAREN && ++parens < 4);
    if (!is_literal_token(&a) && a.type != SQL_WORD) {
        return false;
    }
    op = cb_inspect_sql_lex(&lx);
    if (op.type == SQL_COMMENT && (cb_inspect_sql_is_kw(&a, SQL_KW_TRUE) || a.type == SQL_NUM)) {
        return true; /* OR TRUE--, OR 1-- */
    }
    if (op.type == SQL_OP && op.sub == SQL_OP_CMP) {
        if (s[op.pos] == '<' || s[op.pos] == '>') {
            if (op.len == 1 || s[op.pos + 1] == '=') {
                return false; /* 3 > 2 and 2 > 1 is arithmetic, not a probe */
            }
        }
    } else if (cb_inspect_sql_is_kw(&op, SQL_KW_IS)) {
        struct sql_lexer copy = lx;

        if (cb_inspect_sql_is_kw((t = cb_inspect_sql_lex(&copy), &t), SQL_KW_NOT)) {
            lx = copy;
        }
    } else if (!cb_inspect_sql_is_kw(&op, SQL_KW_LIKE)) {
        return false;
    }
    b = cb_inspect_sql_lex(&lx);
    if (is_literal_token(&a) != is_literal_token(&b)) {
        return false;
    }
    if (a.type == SQL_WORD &&
        (b.type != SQL_WORD || a.len != b.len || strncasecmp(s + a.pos, s + b.pos, a.len) != 0)) {
        return false;
    }
    do {
        t = cb_inspect_sql_lex(&lx);
    } while (t.type == SQL_RPAREN);
    return t.type == SQL_EOF || t.type == SQL_COMMENT || t.type == SQL_SEMI || is_logic_token(&t) ||
           cb_inspect_sql_is_kw(&t, SQL_KW_LIMIT) || cb_inspect_sql_is_kw(&t, SQL_KW_ORDER) ||
           cb_inspect_sql_is_kw(&t, SQL_KW_GROUP) || cb_inspect_sql_is_kw(&t, SQL_KW_UNION);
}

/* UNION [ALL] SELECT followed by a select list: "European Union select committee" has none. */
static bool union_select_follows(struct sql_lexer lx)
{
    struct sql_token t = cb_inspect_sql_lex(&lx), next;

    if (cb_inspect_sql_is_kw(&t, SQL_KW_ALL) || cb_inspect_sql_is_kw(&t, SQL_KW_DISTINCT)) {
        t = cb_inspect_sql_lex(&lx);
    }
    if (!cb_inspect_sql_is_kw(&t, SQL_KW_SELECT)) {
        return false;
    }
    t = cb_inspect_sql_lex(&lx);
    if (cb_inspect_sql_is_kw(&t, SQL_KW_ALL) || cb_inspect_sql_is_kw(&t, SQL_KW_DISTINCT)) {
        t = cb_inspect_sql_lex(&lx);
    }
    if (is_literal_token(&t) || t.type == SQL_VAR || t.type == SQL_LPAREN ||
        (t.type == SQL_OP && lx.s[t.pos] == '*')) {
        return true;
    }
    if (t.type != SQL_WORD && t.type != SQL_KW) {
        return false;
    }
    next = cb_inspect_sql_lex(&lx);
    return next.type == SQL_LPAREN || next.type == SQL_COMMA ||
           cb_inspect_sql_is_kw(&next, SQL_KW_FROM) || next.type == SQL_DOT ||
           next.type == SQL_COMMENT;
}

/* The three patterns that need no context, on the tokens from pos on. */
static bool scan_anywhere(const struct cb_inspect_input *in,
                          size_t pos,
                          bool backslash,
                          char ctx_quote,
                          struct cb_inspect_finding *f)
{
    struct sql_lexer lx = {
        .s = in->s,
        .len = in->len,
        .pos = pos,
        .backslash_escapes = backslash,
    };
    struct sql_token prev = { .type = SQL_EOF }, t;

    for (t = cb_inspect_sql_lex(&lx); t.type != SQL_EOF && t.type != SQL_COMMENT;
         prev = t, t = cb_inspect_sql_lex(&lx)) {
        if (t.type == SQL_SEMI) {
            struct sql_parser p = { .lx = lx, .ctx_quote = ctx_quote, .strict_select = true };

            cb_inspect_sql_advance(&p);
            if (cb_inspect_sql_parse_statement(&p) && cb_inspect_sql_at_statement_end(&p)) {
                *f = cb_inspect_found(CB_INSPECT_SQL_INJECTION,
                                      "statement separator followed by a SQL statement", t.pos);
                return true;
            }
        } else if (cb_inspect_sql_is_kw(&t, SQL_KW_UNION)) {
            if (union_select_follows(lx)) {
                *f = cb_inspect_found(CB_INSPECT_SQL_INJECTION, "UNION SELECT with a select list",
                                      t.pos);
                return true;
            }
        } else if (is_logic_token(&t) && (prev.type == SQL_EOF || is_operand_token(&prev))) {
            if (tautology_follows(lx, in->s)) {
                *f = cb_inspect_found(CB_INSPECT_SQL_INJECTION,
                                      "constant equality after a boolean operator", t.pos);
                return true;
            }
        }
    }
    return false;
}

static bool check_quote_kind(const struct cb_inspect_input *in,
                             char quote,
                             bool anywhere,
                             struct cb_inspect_finding *f)
{
    struct sql_lexer lx = { .s = in->s, .len = in->len };
    size_t close;

    if (check_quoted(in, quote, false, f)) {
        return true;
    }
    if ((in->mask & CB_INSPECT_HAS_BSLASH) && check_quoted(in, quote, true, f)) {
        return true;
    }
    if (!anywhere) {
        return false;
    }
    close = cb_inspect_sql_skip_literal(&lx, 0, quote);
    return close != SIZE_MAX && scan_anywhere(in, close, false, quote, f);
}

/* A whole statement that ends in ';' or a comment: "DROP TABLE users;". Without the
 * terminator a sentence such as "Drop table 5 from the booking" is left alone. */
static bool check_statement(const struct cb_inspect_input *in, struct cb_inspect_finding *f)
{
    struct sql_parser p;

    cb_inspect_sql_parser_init(&p, in, 0, false, 0);
    p.strict_select = true;
    if (p.tok.type != SQL_KW || !cb_inspect_sql_parse_statement(&p) ||
        (p.tok.type != SQL_SEMI && p.tok.type != SQL_COMMENT)) {
        return false;
    }
    if (p.tok.type == SQL_SEMI && !cb_inspect_sql_parse_stacked(&p)) {
        return false;
    }
    *f = cb_inspect_found(CB_INSPECT_SQL_INJECTION, "value is a terminated SQL statement", 0);
    return true;
}

/* Whether the value has what the no-context patterns need: ';', '=', a comment or the word
 * UNION. Most text has none, and is then lexed no further than its first tokens. */
static bool anywhere_possible(const struct cb_inspect_input *in)
{
    const char *s = in->s;

    if (in->mask & (CB_INSPECT_HAS_SEMI | CB_INSPECT_HAS_EQ | CB_INSPECT_HAS_HASH)) {
        return true;
    }
    if ((in->mask & CB_INSPECT_HAS_DASH) && memmem(s, in->len, "--", 2)) {
        return true;
    }
    if ((in->mask & CB_INSPECT_HAS_SLASH) && memmem(s, in->len, "/*", 2)) {
        return true;
    }
    for (size_t i = 0; i + 5 <= in->len; i++) {
        if ((s[i] | 0x20) == 'u' && cb_inspect_starts(s, in->len, i, "union")) {
            return true;
        }
    }
    return false;
}

bool cb_inspect_sql(const struct cb_inspect_input *in, struct cb_inspect_finding *f)
{
    bool anywhere;

    if (!(in->mask & CB_INSPECT_HAS_ALPHA) && !(in->mask & CB_INSPECT_HAS_SQUOTE) &&
        !(in->mask & CB_INSPECT_HAS_DQUOTE)) {
        return false; /* no keyword, no literal to leave: nothing SQL could do */
    }
    anywhere = anywhere_possible(in);
    if ((in->mask & CB_INSPECT_HAS_SQUOTE) && check_quote_kind(in, '\'', anywhere, f)) {
        return true;
    }
    if ((in->mask & CB_INSPECT_HAS_DQUOTE) && check_quote_kind(in, '"', anywhere, f)) {
        return true;
    }
    return check_numeric(in, f) || check_statement(in, f) ||
           (anywhere && scan_anywhere(in, 0, false, 0, f));
}
