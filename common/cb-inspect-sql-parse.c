/* SPDX-License-Identifier: MIT */
/*
 * The SQL parser of the inspector: recursive descent over cb_inspect_sql_lex()'s tokens,
 * wide enough for expressions, the clauses that can follow a WHERE condition and the
 * statements an attacker stacks after ';'. It does not build a tree; it records in
 * struct sql_shape what the value contained (a boolean test, a call, UNION SELECT, ...)
 * and says whether the value is valid SQL to its end. cb-inspect-sql.c decides from that.
 */
#include <stdint.h>
#include <string.h>

#include "common/cb-inspect-internal.h"

#define PAREN_DEPTH_MAX 32

enum prim {
    PRIM_LIT,
    PRIM_OPEN, /* the literal left open for the query's own quote to close */
    PRIM_BOOL, /* TRUE, FALSE: a condition by itself */
    PRIM_IDENT,
    PRIM_FUNC,
    PRIM_SUB,
    PRIM_VAR,
    PRIM_PAREN,
};

enum binop {
    BIN_INVALID = -1,
    BIN_NONE,
    BIN_LOGIC,
    BIN_CMP,
    BIN_OTHER,
};

static void advance(struct sql_parser *p)
{
    p->tok = cb_inspect_sql_lex(&p->lx);
}

void cb_inspect_sql_advance(struct sql_parser *p)
{
    advance(p);
}

static bool at_end(const struct sql_parser *p)
{
    return p->tok.type == SQL_EOF || p->tok.type == SQL_COMMENT;
}

static struct sql_token peek_next(const struct sql_parser *p)
{
    struct sql_lexer copy = p->lx;

    return cb_inspect_sql_lex(&copy);
}

static bool tok_is_text(const struct sql_parser *p, const char *lower)
{
    return p->tok.type == SQL_WORD && cb_inspect_word_eq(p->lx.s + p->tok.pos, p->tok.len, lower);
}

/* Inside '(' already: up to the matching ')'. A paren still open at the end of the value
 * is accepted, since the query's own text may close it. */
static bool skip_balanced(struct sql_parser *p)
{
    unsigned depth = 1;

    for (;;) {
        switch (p->tok.type) {
        case SQL_LPAREN:
            if (++depth > PAREN_DEPTH_MAX) {
                return false;
            }
            break;
        case SQL_RPAREN:
            if (--depth == 0) {
                advance(p);
                return true;
            }
            break;
        case SQL_EOF:
        case SQL_COMMENT:
            return true;
        case SQL_OTHER:
            return false;
        case SQL_STR_OPEN:
            if (p->tok.quote != p->ctx_quote) {
                return false;
            }
            break;
        case SQL_KW:
            if (p->tok.sub == SQL_KW_SELECT) {
                p->shape.subquery = true;
            }
            break;
        default:
            break;
        }
        advance(p);
    }
}

/* The rest of one statement, loosely: up to ';' or the end, parens balanced. */
static bool skip_statement(struct sql_parser *p)
{
    int depth = 0;

    for (;;) {
        switch (p->tok.type) {
        case SQL_EOF:
        case SQL_COMMENT:
        case SQL_SEMI:
            return true;
        case SQL_LPAREN:
            depth++;
            break;
        case SQL_RPAREN:
            depth--; /* may close a paren of the query around the value */
            break;
        case SQL_OTHER:
            return false;
        case SQL_STR_OPEN:
            if (p->tok.quote != p->ctx_quote) {
                return false;
            }
            break;
        default:
            break;
        }
        if (depth > PAREN_DEPTH_MAX) {
            return false;
        }
        advance(p);
    }
}

static bool parse_expr(struct sql_parser *p);

static bool parse_expr_list(struct sql_parser *p)
{
    if (!parse_expr(p)) {
        return false;
    }
    while (p->tok.type == SQL_COMMA) {
        advance(p);
        if (!parse_expr(p)) {
            return false;
        }
    }
    return true;
}

static bool parse_call_or_name(struct sql_parser *p, enum prim *ret)
{
    advance(p);
    while (p->tok.type == SQL_DOT) {
        advance(p);
        if (p->tok.type == SQL_WORD || p->tok.type == SQL_KW ||
            (p->tok.type == SQL_OP && p->lx.s[p->tok.pos] == '*')) {
            advance(p);
        } else if (p->tok.type != SQL_DOT) {
            return false; /* master..xp_cmdshell has an empty part */
        }
    }
    if (p->tok.type != SQL_LPAREN) {
        *ret = PRIM_IDENT;
        return true;
    }
    advance(p);
    p->shape.func = true;
    *ret = PRIM_FUNC;
    return skip_balanced(p);
}

static bool parse_paren(struct sql_parser *p, enum prim *ret)
{
    bool ok;

    advance(p);
    if (cb_inspect_sql_is_kw(&p->tok, SQL_KW_SELECT)) {
        p->shape.subquery = true;
        *ret = PRIM_SUB;
        return skip_balanced(p);
    }
    if (p->depth >= PAREN_DEPTH_MAX) {
        return false;
    }
    p->depth++;
    ok = parse_expr_list(p);
    p->depth--;
    if (!ok) {
        return false;
    }
    *ret = PRIM_PAREN;
    if (p->tok.type == SQL_RPAREN) {
        advance(p);
        return true;
    }
    return at_end(p);
}

/* Keywords that are also function names: IF(), INSERT(), USER(), DATABASE() ... */
static bool kw_callable(enum sql_kw kw)
{
    return kw == SQL_KW_IF || kw == SQL_KW_INSERT || kw == SQL_KW_USER || kw == SQL_KW_DATABASE ||
           kw == SQL_KW_SCHEMA || kw == SQL_KW_VALUES || kw == SQL_KW_TRUNCATE || kw == SQL_KW_MOD;
}

/* Keywords that commonly name columns and tables: WHERE user='admin'. */
static bool kw_is_name(enum sql_kw kw)
{
    return kw == SQL_KW_USER || kw == SQL_KW_DATABASE || kw == SQL_KW_SCHEMA ||
           kw == SQL_KW_INDEX || kw == SQL_KW_VIEW || kw == SQL_KW_TOP || kw == SQL_KW_OFFSET ||
           kw == SQL_KW_SOUNDS || kw == SQL_KW_GLOB || kw == SQL_KW_OUTFILE ||
           kw == SQL_KW_DUMPFILE;
}

static bool parse_keyword_primary(struct sql_parser *p, enum prim *ret)
{
    unsigned nesting = 1;

    switch (p->tok.sub) {
    case SQL_KW_TRUE:
    case SQL_KW_FALSE:
        advance(p);
        *ret = PRIM_BOOL;
        return true;
    case SQL_KW_NULL:
    case SQL_KW_UNKNOWN:
        advance(p);
        *ret = PRIM_LIT;
        return true;
    case SQL_KW_EXISTS:
        advance(p);
        if (p->tok.type != SQL_LPAREN) {
            return false;
        }
        return parse_paren(p, ret) && *ret == PRIM_SUB;
    case SQL_KW_CASE:
        advance(p);
        while (nesting > 0) {
            if (at_end(p) || p->tok.type == SQL_OTHER) {
                return false;
            }
            nesting += cb_inspect_sql_is_kw(&p->tok, SQL_KW_CASE);
            nesting -= cb_inspect_sql_is_kw(&p->tok, SQL_KW_END);
            advance(p);
        }
        p->shape.func = true;
        *ret = PRIM_FUNC;
        return true;
    default:
        if (kw_callable(p->tok.sub) && peek_next(p).type == SQL_LPAREN) {
            return parse_call_or_name(p, ret);
        }
        if (kw_is_name(p->tok.sub)) {
            return parse_call_or_name(p, ret);
        }
        return false;
    }
}

static bool parse_primary(struct sql_parser *p, enum prim *ret)
{
    switch (p->tok.type) {
    case SQL_NUM:
    case SQL_STR:
        advance(p);
        *ret = PRIM_LIT;
        return true;
    case SQL_STR_OPEN:
        if (p->tok.quote != p->ctx_quote) {
            return false;
        }
        p->shape.open_end = true;
        advance(p);
        *ret = PRIM_OPEN;
        return true;
    case SQL_VAR:
        advance(p);
        *ret = PRIM_VAR;
        return true;
    case SQL_LPAREN:
        return parse_paren(p, ret);
    case SQL_KW:
        return parse_keyword_primary(p, ret);
    case SQL_WORD:
        return parse_call_or_name(p, ret);
    default:
        return false;
    }
}

static bool is_unary(const struct sql_parser *p)
{
    const struct sql_token *t = &p->tok;

    if (t->type == SQL_OP) {
        return t->sub == SQL_OP_UNARY ||
               (t->sub == SQL_OP_ARITH && (p->lx.s[t->pos] == '-' || p->lx.s[t->pos] == '+'));
    }
    return cb_inspect_sql_is_kw(t, SQL_KW_NOT) || cb_inspect_sql_is_kw(t, SQL_KW_BINARY);
}

static bool parse_unary(struct sql_parser *p, enum prim *ret)
{
    while (is_unary(p)) {
        advance(p);
    }
    return parse_primary(p, ret);
}

static enum binop take_keyword_binop(struct sql_parser *p)
{
    switch (p->tok.sub) {
    case SQL_KW_AND:
    case SQL_KW_OR:
    case SQL_KW_XOR:
        advance(p);
        return BIN_LOGIC;
    case SQL_KW_LIKE:
    case SQL_KW_RLIKE:
    case SQL_KW_REGEXP:
    case SQL_KW_ILIKE:
    case SQL_KW_GLOB:
    case SQL_KW_IN:
    case SQL_KW_BETWEEN:
        advance(p);
        return BIN_CMP;
    case SQL_KW_DIV:
    case SQL_KW_MOD:
    case SQL_KW_COLLATE:
    case SQL_KW_ESCAPE:
        advance(p);
        return BIN_OTHER;
    case SQL_KW_IS:
        advance(p);
        if (cb_inspect_sql_is_kw(&p->tok, SQL_KW_NOT)) {
            advance(p);
        }
        return BIN_CMP;
    case SQL_KW_SOUNDS:
        advance(p);
        if (!cb_inspect_sql_is_kw(&p->tok, SQL_KW_LIKE)) {
            return BIN_INVALID;
        }
        advance(p);
        return BIN_CMP;
    case SQL_KW_NOT:
        advance(p);
        if (p->tok.type == SQL_KW && (p->tok.sub == SQL_KW_LIKE || p->tok.sub == SQL_KW_RLIKE ||
                                      p->tok.sub == SQL_KW_REGEXP || p->tok.sub == SQL_KW_ILIKE ||
                                      p->tok.sub == SQL_KW_IN || p->tok.sub == SQL_KW_BETWEEN)) {
            advance(p);
            return BIN_CMP;
        }
        return BIN_INVALID;
    default:
        return BIN_NONE;
    }
}

/* Consumes a binary operator if one is next. */
static enum binop take_binop(struct sql_parser *p)
{
    if (p->tok.type == SQL_KW) {
        return take_keyword_binop(p);
    }
    if (p->tok.type != SQL_OP) {
        return BIN_NONE;
    }
    switch (p->tok.sub) {
    case SQL_OP_CMP:
        advance(p);
        return BIN_CMP;
    case SQL_OP_OROR:
    case SQL_OP_ANDAND:
        advance(p);
        return BIN_LOGIC;
    case SQL_OP_ARITH:
    case SQL_OP_BIT:
    case SQL_OP_CAST:
    case SQL_OP_ASSIGN:
        advance(p);
        return BIN_OTHER;
    default:
        return BIN_NONE;
    }
}

static void close_segment(struct sql_parser *p)
{
    if (p->seg_after_logic) {
        p->shape.logic_cmp |= p->seg_cmp;
        p->shape.logic_lit |= p->seg_lit;
    }
    p->seg_after_logic = p->seg_cmp = p->seg_lit = false;
}

static void note_operand(struct sql_parser *p, enum binop op, enum prim prim)
{
    bool strong = prim == PRIM_FUNC || prim == PRIM_SUB || prim == PRIM_VAR || prim == PRIM_BOOL;

    if (op == BIN_CMP) {
        p->seg_cmp = true;
        if (strong || prim == PRIM_LIT) {
            p->shape.cmp_lit = true;
        } else if (prim == PRIM_OPEN) {
            p->shape.cmp_open = true; /* ' = ' ...: the literal the query closes */
        }
    }
    if (strong) {
        p->seg_cmp = true;
    }
    if (prim == PRIM_LIT || prim == PRIM_OPEN) {
        p->seg_lit = true;
    }
}

static bool parse_operand_after(struct sql_parser *p, enum binop op)
{
    enum prim prim;

    if (!p->seen_binop) {
        p->seen_binop = true;
        p->shape.first_logic = op == BIN_LOGIC;
    }
    if (op == BIN_LOGIC) {
        close_segment(p);
        p->seg_after_logic = true;
        p->shape.logic = true;
    }
    if (!parse_unary(p, &prim)) {
        return false;
    }
    note_operand(p, op, prim);
    return true;
}

static bool parse_expr(struct sql_parser *p)
{
    enum prim prim;
    enum binop op;

    if (!parse_unary(p, &prim)) {
        return false;
    }
    note_operand(p, BIN_NONE, prim);
    while ((op = take_binop(p)) > BIN_NONE) {
        if (!parse_operand_after(p, op)) {
            return false;
        }
    }
    return op == BIN_NONE;
}

bool cb_inspect_sql_at_statement_end(const struct sql_parser *p)
{
    return at_end(p) || p->tok.type == SQL_SEMI;
}

/* A table or object name: users, dbo.users, master..xp_cmdshell, `t`. */
static bool parse_name(struct sql_parser *p)
{
    if (p->tok.type != SQL_WORD && !(p->tok.type == SQL_KW && kw_is_name(p->tok.sub))) {
        return false;
    }
    advance(p);
    while (p->tok.type == SQL_DOT) {
        advance(p);
        if (p->tok.type == SQL_WORD || p->tok.type == SQL_KW) {
            advance(p);
        } else if (p->tok.type != SQL_DOT) {
            return false;
        }
    }
    return true;
}

/* SELECT as a statement of its own. Where no quote or number was left first, it counts only
 * with what reads data or the server's state (*, FROM a table, a call, a @@variable, a
 * subquery), so "Pick one; select 2" or "; select one from the list" are text. */
static bool parse_select_statement(struct sql_parser *p)
{
    bool structural = false, func = p->shape.func, sub = p->shape.subquery;
    enum prim prim;

    advance(p);
    if (cb_inspect_sql_is_kw(&p->tok, SQL_KW_DISTINCT) ||
        cb_inspect_sql_is_kw(&p->tok, SQL_KW_ALL)) {
        advance(p);
    }
    for (;;) {
        if (p->tok.type == SQL_OP && p->lx.s[p->tok.pos] == '*') {
            structural = true;
            advance(p);
        } else {
            if (!parse_unary(p, &prim)) {
                return false;
            }
            structural |= prim == PRIM_VAR || (!p->strict_select && prim != PRIM_IDENT);
            while (take_binop(p) > BIN_NONE) {
                if (!parse_unary(p, &prim)) {
                    return false;
                }
            }
        }
        if (p->tok.type != SQL_COMMA) {
            break;
        }
        advance(p);
    }
    structural |= p->shape.func != func || p->shape.subquery != sub;
    if (cb_inspect_sql_is_kw(&p->tok, SQL_KW_FROM)) {
        advance(p);
        if (!parse_name(p)) {
            return false;
        }
        if (cb_inspect_sql_at_statement_end(p)) {
            return true;
        }
        if (!cb_inspect_sql_is_kw(&p->tok, SQL_KW_WHERE) &&
            !cb_inspect_sql_is_kw(&p->tok, SQL_KW_GROUP) &&
            !cb_inspect_sql_is_kw(&p->tok, SQL_KW_ORDER) &&
            !cb_inspect_sql_is_kw(&p->tok, SQL_KW_LIMIT) &&
            !cb_inspect_sql_is_kw(&p->tok, SQL_KW_UNION) && p->tok.type != SQL_COMMA) {
            return false;
        }
        structural = true;
        if (!skip_statement(p)) {
            return false;
        }
    }
    return structural && cb_inspect_sql_at_statement_end(p);
}

static bool parse_drop(struct sql_parser *p)
{
    advance(p);
    if (!cb_inspect_sql_is_kw(&p->tok, SQL_KW_TABLE) &&
        !cb_inspect_sql_is_kw(&p->tok, SQL_KW_DATABASE) &&
        !cb_inspect_sql_is_kw(&p->tok, SQL_KW_SCHEMA) &&
        !cb_inspect_sql_is_kw(&p->tok, SQL_KW_VIEW) &&
        !cb_inspect_sql_is_kw(&p->tok, SQL_KW_INDEX) &&
        !cb_inspect_sql_is_kw(&p->tok, SQL_KW_USER) &&
        !cb_inspect_sql_is_kw(&p->tok, SQL_KW_PROCEDURE) && !tok_is_text(p, "function") &&
        !tok_is_text(p, "trigger") && !tok_is_text(p, "sequence") && !tok_is_text(p, "login")) {
        return false;
    }
    advance(p);
    if (cb_inspect_sql_is_kw(&p->tok, SQL_KW_IF)) {
        advance(p);
        if (!cb_inspect_sql_is_kw(&p->tok, SQL_KW_EXISTS)) {
            return false;
        }
        advance(p);
    }
    do {
        if (p->tok.type == SQL_COMMA) {
            advance(p);
        }
        if (!parse_name(p)) {
            return false;
        }
    } while (p->tok.type == SQL_COMMA);
    if (tok_is_text(p, "cascade")) {
        advance(p);
    }
    return cb_inspect_sql_at_statement_end(p);
}

static bool parse_delete(struct sql_parser *p)
{
    advance(p);
    if (cb_inspect_sql_is_kw(&p->tok, SQL_KW_FROM)) {
        advance(p);
    }
    if (!parse_name(p)) {
        return false;
    }
    if (cb_inspect_sql_is_kw(&p->tok, SQL_KW_WHERE)) {
        advance(p);
        if (!parse_expr(p)) {
            return false;
        }
    }
    return cb_inspect_sql_at_statement_end(p);
}

static bool parse_insert(struct sql_parser *p)
{
    advance(p);
    if (!cb_inspect_sql_is_kw(&p->tok, SQL_KW_INTO)) {
        return false;
    }
    advance(p);
    if (!parse_name(p)) {
        return false;
    }
    if (p->tok.type == SQL_LPAREN) {
        advance(p);
        if (!skip_balanced(p)) {
            return false;
        }
    }
    if (cb_inspect_sql_is_kw(&p->tok, SQL_KW_SELECT)) {
        return skip_statement(p);
    }
    if (!cb_inspect_sql_is_kw(&p->tok, SQL_KW_VALUES)) {
        return false;
    }
    advance(p);
    if (p->tok.type != SQL_LPAREN) {
        return false;
    }
    return skip_statement(p);
}

static bool parse_update(struct sql_parser *p)
{
    advance(p);
    if (!parse_name(p) || !cb_inspect_sql_is_kw(&p->tok, SQL_KW_SET)) {
        return false;
    }
    do {
        advance(p);
        if (!parse_name(p) || p->tok.type != SQL_OP || p->tok.sub != SQL_OP_CMP) {
            return false;
        }
        advance(p);
        if (!parse_expr(p)) {
            return false;
        }
    } while (p->tok.type == SQL_COMMA);
    if (cb_inspect_sql_is_kw(&p->tok, SQL_KW_WHERE)) {
        advance(p);
        if (!parse_expr(p)) {
            return false;
        }
    }
    return cb_inspect_sql_at_statement_end(p);
}

/* EXEC xp_cmdshell 'dir', EXEC master..xp_cmdshell, EXEC('...'), EXECUTE sp_x @a=1 */
static bool parse_exec(struct sql_parser *p)
{
    advance(p);
    if (p->tok.type == SQL_LPAREN) {
        advance(p);
        return skip_balanced(p) && cb_inspect_sql_at_statement_end(p);
    }
    if (!parse_name(p)) {
        return false;
    }
    if (cb_inspect_sql_at_statement_end(p)) {
        return true;
    }
    if (p->tok.type != SQL_STR && p->tok.type != SQL_STR_OPEN && p->tok.type != SQL_NUM &&
        p->tok.type != SQL_VAR && p->tok.type != SQL_LPAREN) {
        return false;
    }
    return skip_statement(p);
}

/* A statement after ';', strictly enough that "; pick up at 6" or "; select one from the
 * list" are not one. */
/* PostgreSQL: COPY t TO '/tmp/x', COPY (SELECT ...) TO PROGRAM 'curl ...' */
static bool parse_copy(struct sql_parser *p)
{
    advance(p);
    if (p->tok.type == SQL_LPAREN) {
        advance(p);
        if (!skip_balanced(p)) {
            return false;
        }
    } else if (!parse_name(p)) {
        return false;
    }
    if (!cb_inspect_sql_is_kw(&p->tok, SQL_KW_FROM) && !tok_is_text(p, "to")) {
        return false;
    }
    advance(p);
    if (tok_is_text(p, "program")) {
        advance(p);
    }
    return (p->tok.type == SQL_STR || p->tok.type == SQL_STR_OPEN || tok_is_text(p, "stdout")) &&
           skip_statement(p);
}

bool cb_inspect_sql_parse_statement(struct sql_parser *p)
{
    if (tok_is_text(p, "copy")) {
        return parse_copy(p);
    }
    if (p->tok.type != SQL_KW) {
        return false;
    }
    switch (p->tok.sub) {
    case SQL_KW_SELECT:
        return parse_select_statement(p);
    case SQL_KW_DROP:
        return parse_drop(p);
    case SQL_KW_DELETE:
        return parse_delete(p);
    case SQL_KW_INSERT:
        return parse_insert(p);
    case SQL_KW_UPDATE:
        return parse_update(p);
    case SQL_KW_EXEC:
    case SQL_KW_EXECUTE:
        return parse_exec(p);
    case SQL_KW_SHUTDOWN:
        advance(p);
        if (tok_is_text(p, "with")) {
            advance(p);
            if (!tok_is_text(p, "nowait")) {
                return false;
            }
            advance(p);
        }
        return cb_inspect_sql_at_statement_end(p);
    case SQL_KW_DECLARE:
        advance(p);
        return p->tok.type == SQL_VAR && skip_statement(p);
    case SQL_KW_WAITFOR:
        advance(p);
        if (!tok_is_text(p, "delay") && !tok_is_text(p, "time")) {
            return false;
        }
        advance(p);
        return (p->tok.type == SQL_STR || p->tok.type == SQL_STR_OPEN) && skip_statement(p);
    case SQL_KW_CREATE:
    case SQL_KW_ALTER:
        advance(p);
        if (!cb_inspect_sql_is_kw(&p->tok, SQL_KW_TABLE) &&
            !cb_inspect_sql_is_kw(&p->tok, SQL_KW_USER) &&
            !cb_inspect_sql_is_kw(&p->tok, SQL_KW_DATABASE) &&
            !cb_inspect_sql_is_kw(&p->tok, SQL_KW_VIEW) &&
            !cb_inspect_sql_is_kw(&p->tok, SQL_KW_PROCEDURE) && !tok_is_text(p, "login") &&
            !tok_is_text(p, "function") && !tok_is_text(p, "trigger")) {
            return false;
        }
        advance(p);
        return parse_name(p) && skip_statement(p);
    case SQL_KW_TRUNCATE:
        advance(p);
        if (cb_inspect_sql_is_kw(&p->tok, SQL_KW_TABLE)) {
            advance(p);
        }
        return parse_name(p) && cb_inspect_sql_at_statement_end(p);
    case SQL_KW_GRANT:
    case SQL_KW_REVOKE:
        advance(p);
        return (cb_inspect_sql_is_kw(&p->tok, SQL_KW_ALL) ||
                cb_inspect_sql_is_kw(&p->tok, SQL_KW_SELECT) ||
                cb_inspect_sql_is_kw(&p->tok, SQL_KW_INSERT) ||
                cb_inspect_sql_is_kw(&p->tok, SQL_KW_UPDATE) ||
                cb_inspect_sql_is_kw(&p->tok, SQL_KW_DELETE) || tok_is_text(p, "dba")) &&
               skip_statement(p);
    case SQL_KW_SET:
        advance(p);
        if (p->tok.type != SQL_VAR) {
            return false;
        }
        advance(p);
        if (p->tok.type != SQL_OP || (p->tok.sub != SQL_OP_CMP && p->tok.sub != SQL_OP_ASSIGN)) {
            return false;
        }
        advance(p);
        return parse_expr(p) && cb_inspect_sql_at_statement_end(p);
    default:
        return false;
    }
}

bool cb_inspect_sql_parse_stacked(struct sql_parser *p)
{
    while (p->tok.type == SQL_SEMI) {
        advance(p);
        if (at_end(p)) {
            break;
        }
        if (!cb_inspect_sql_parse_statement(p)) {
            return false;
        }
        p->shape.stacked = true;
    }
    p->shape.comment_end |= p->tok.type == SQL_COMMENT;
    return at_end(p);
}

static bool parse_clause(struct sql_parser *p)
{
    switch (p->tok.sub) {
    case SQL_KW_UNION:
        advance(p);
        if (cb_inspect_sql_is_kw(&p->tok, SQL_KW_ALL) ||
            cb_inspect_sql_is_kw(&p->tok, SQL_KW_DISTINCT)) {
            advance(p);
        }
        if (!cb_inspect_sql_is_kw(&p->tok, SQL_KW_SELECT)) {
            return false;
        }
        p->shape.union_select = true;
        return skip_statement(p);
    case SQL_KW_ORDER:
    case SQL_KW_GROUP:
        advance(p);
        if (!cb_inspect_sql_is_kw(&p->tok, SQL_KW_BY)) {
            return false;
        }
        advance(p);
        p->shape.clause = true;
        if (!parse_expr_list(p)) {
            return false;
        }
        if (cb_inspect_sql_is_kw(&p->tok, SQL_KW_ASC) ||
            cb_inspect_sql_is_kw(&p->tok, SQL_KW_DESC)) {
            advance(p);
        }
        return true;
    case SQL_KW_HAVING: {
        bool had_cmp = p->seg_cmp;

        advance(p);
        p->shape.clause = true;
        p->seg_cmp = false;
        if (!parse_expr(p)) {
            return false;
        }
        p->shape.clause_strong |= p->seg_cmp;
        p->seg_cmp |= had_cmp;
        return true;
    }
    case SQL_KW_LIMIT:
        advance(p);
        if (p->tok.type != SQL_NUM) {
            return false;
        }
        advance(p);
        if (p->tok.type == SQL_COMMA || cb_inspect_sql_is_kw(&p->tok, SQL_KW_OFFSET)) {
            advance(p);
            if (p->tok.type != SQL_NUM) {
                return false;
            }
            advance(p);
        }
        p->shape.clause = true;
        return true;
    case SQL_KW_INTO:
        advance(p);
        if (!cb_inspect_sql_is_kw(&p->tok, SQL_KW_OUTFILE) &&
            !cb_inspect_sql_is_kw(&p->tok, SQL_KW_DUMPFILE)) {
            return false;
        }
        advance(p);
        if (p->tok.type != SQL_STR && p->tok.type != SQL_STR_OPEN) {
            return false;
        }
        p->shape.clause_strong = true;
        return skip_statement(p);
    case SQL_KW_PROCEDURE:
        advance(p);
        if (p->tok.type != SQL_WORD || peek_next(p).type != SQL_LPAREN) {
            return false;
        }
        p->shape.clause_strong = true;
        advance(p);
        advance(p);
        return skip_balanced(p);
    case SQL_KW_WAITFOR:
        p->shape.clause_strong = true;
        return cb_inspect_sql_parse_statement(p);
    default:
        return false;
    }
}

/* After the first operand: operators, clauses, ')' closing the query's parens, ';' and a
 * stacked statement, a comment; true when all of it is valid SQL to the end. */
bool cb_inspect_sql_parse_tail(struct sql_parser *p)
{
    enum binop op;

    for (;;) {
        if (p->tok.type == SQL_EOF) {
            break;
        }
        if (p->tok.type == SQL_COMMENT) {
            p->shape.comment_end = true;
            break;
        }
        if (p->tok.type == SQL_RPAREN) {
            advance(p);
            continue;
        }
        if (p->tok.type == SQL_SEMI) {
            close_segment(p);
            return cb_inspect_sql_parse_stacked(p);
        }
        op = take_binop(p);
        if (op == BIN_INVALID) {
            return false;
        }
        if (op != BIN_NONE) {
            if (!parse_operand_after(p, op)) {
                return false;
            }
            continue;
        }
        if (p->tok.type != SQL_KW || !parse_clause(p)) {
            return false;
        }
    }
    close_segment(p);
    return true;
}

void cb_inspect_sql_parser_init(struct sql_parser *p,
                                const struct cb_inspect_input *in,
                                size_t pos,
                                bool backslash,
                                char ctx_quote)
{
    *p = (struct sql_parser){
        .lx = { .s = in->s, .len = in->len, .pos = pos, .backslash_escapes = backslash },
        .ctx_quote = ctx_quote,
    };
    advance(p);
}

bool cb_inspect_sql_starts_operand(const struct sql_parser *p)
{
    switch (p->tok.type) {
    case SQL_NUM:
    case SQL_LPAREN:
    case SQL_VAR:
        return true;
    case SQL_OP:
        return is_unary(p);
    case SQL_WORD:
        return peek_next(p).type == SQL_LPAREN;
    default:
        return false;
    }
}

bool cb_inspect_sql_parse_operand(struct sql_parser *p)
{
    enum prim prim;

    return parse_unary(p, &prim);
}
