/* SPDX-License-Identifier: MIT */
/*
 * Content inspection of free text (API.md 1.2: only `text` parameters, and the open
 * parameters of test.ping and test.echo, are inspected; `sql`, `markup`, `data` and the other
 * types are carried as they are).
 *
 * The inspector never matches lists of bad words over the value. It decodes the value (URL
 * escapes, double escapes, HTML entities, \xHH and \uHHHH escapes, fullwidth lookalikes of
 * ASCII punctuation, overlong UTF-8 that came out of percent escapes) and then lexes it the
 * way the interpreters an attacker aims at would:
 *
 *  - as SQL, read three ways: as the tail of a single-quoted literal, of a double-quoted one,
 *    and as a bare numeric operand. It is SQL injection when the value, read so, leaves the
 *    literal and forms valid SQL to its end with structure: a boolean test after OR/AND, a
 *    UNION SELECT, a stacked statement after ';', a comment that cuts the rest of the query
 *    off right after a quote, a function call or subquery. "O'Brien", "Don't stop",
 *    "SELECT the best option from the menu", "1=1 is true in maths" do not form such SQL.
 *  - as HTML: only executable constructs are flagged: <script>, event handler attributes,
 *    javascript:/vbscript:/data:text/html URLs, CSS expression(), and iframe/object/embed/
 *    base/meta/... elements that load content. Plain markup such as <b>bold</b> or
 *    "Use the <Enter> key" and comparisons such as "a < b and c > d" pass.
 *  - as a path: ".." segments that climb three times or more ("../../../", "..\..\..\",
 *    "....//....//....//") or climb at all into a system location ("../etc/passwd",
 *    "../../.ssh/id_rsa"). Plain Windows and Unix paths and relative links such as
 *    "../../docs/guide.md" pass.
 *  - as shell: a separator (; | || && & newline), backticks or $( ) followed by a command
 *    (a known program name, or a path) with the arguments of a command. "Tom & Jerry",
 *    "AT&T", "50% | 60%" pass.
 *  - as a template: {{ }}, ${ }, #{ }, <% %>, {% %} whose content is an expression (an
 *    operator, a call, an index, a dunder, a ${x:...} lookup). Placeholders such as
 *    "{{name}}", "${AMOUNT}" or "{{ user.first_name | upper }}" pass.
 *
 * NUL bytes are allowed data and never a finding by themselves.
 */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>

enum cb_inspect_kind {
    CB_INSPECT_CLEAN,
    CB_INSPECT_SQL_INJECTION,
    CB_INSPECT_XSS,
    CB_INSPECT_PATH_TRAVERSAL,
    CB_INSPECT_COMMAND_INJECTION,
    CB_INSPECT_TEMPLATE_INJECTION,
    _CB_INSPECT_MAX,
    _CB_INSPECT_INVALID = -EINVAL,
};

struct cb_inspect_finding {
    enum cb_inspect_kind kind;
    /* A static English phrase, e.g. "quote closes a string literal and a tautology follows".
     * It never contains any part of the value. NULL when clean. */
    const char *reason;
    /* Byte offset of the construct. When `decoded` is true it is an offset into the value
     * after decoding (escapes shrink the text), not into the value as received. */
    size_t offset;
    bool decoded;
};

/*
 * Inspects `len` bytes at `s` (UTF-8, NUL bytes allowed). Returns 0 when clean, 1 with
 * *ret describing the first finding, -EINVAL when s is NULL with len > 0, -ENOMEM when a
 * value too long for the stack buffer that needs decoding cannot get its buffer. ret may
 * be NULL. Reentrant; it allocates only for values over 4 KiB that contain escapes.
 */
int cb_inspect_text(const char *s, size_t len, struct cb_inspect_finding *ret);

/* "sql_injection", "xss", "path_traversal", "command_injection", "template_injection" (the
 * event_type names of API.md), "clean"; NULL outside the enum. */
const char *cb_inspect_kind_to_string(enum cb_inspect_kind kind);
