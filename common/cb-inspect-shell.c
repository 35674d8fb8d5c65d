/* SPDX-License-Identifier: MIT */
/*
 * Command injection: the value is lexed the way a shell would split it. A finding is a
 * command separator (; | || && & newline), a backtick pair or $( ) followed by a command:
 * a path to a program, or a program name with what makes a command line of it (an option,
 * a path, a URL, an address, a redirection, a variable, a quoted argument). Program names
 * that are also English words (cat, find, sleep, type) need such an argument; names that
 * are not (whoami, uname, nc) are enough at the end of the value. "Tom & Jerry", "AT&T",
 * "R&D; cat food" and "50% | 60%" pass. Server-side include directives are also findings.
 */
#include <string.h>

#include "common/cb-inspect-internal.h"
#include "common/cb-macro.h"

#define WORD_MAX 32
/* Arguments of a command looked at for what makes it a command line. */
#define ARGS_MAX 4
/* Opening ( or { looked through before a command. */
#define GROUPS_MAX 3

/* Programs whose name alone, after a separator, is a command. */
static const char *const programs[] = {
    "awk",    "base64",   "bash",       "bitsadmin", "busybox",    "certutil",    "chmod",
    "chown",  "cmd",      "cmd.exe",    "crontab",   "csh",        "curl",        "dash",
    "fetch",  "hostname", "ifconfig",   "ipconfig",  "ksh",        "lsb_release", "ls",
    "mkfifo", "mshta",    "nc",         "ncat",      "netcat",     "netstat",     "nmap",
    "nohup",  "nslookup", "perl",       "php",       "powershell", "printenv",    "pwd",
    "python", "python2",  "python3",    "regsvr32",  "rm",         "ruby",        "rundll32",
    "sh",     "socat",    "systeminfo", "tasklist",  "tcsh",       "telnet",      "tftp",
    "uname",  "useradd",  "wget",       "whoami",    "wmic",       "xterm",       "zsh",
    "id",     "ps",       "env",        "uptime",    "sudo",       "killall",     "pkill",
};

/* Programs named like English words: a command only with command-line arguments. */
static const char *const word_programs[] = {
    "cat",   "echo",  "ping",     "sleep",   "kill",   "find",     "grep", "head", "tail",
    "more",  "less",  "type",     "dir",     "net",    "copy",     "del",  "cp",   "mv",
    "touch", "mkdir", "dig",      "host",    "ftp",    "ssh",      "scp",  "tar",  "sed",
    "eval",  "exec",  "export",   "timeout", "reboot", "shutdown", "halt", "node", "java",
    "lua",   "xargs", "tee",      "dd",      "chgrp",  "passwd",   "who",  "last", "set",
    "mail",  "mailx", "sendmail", "start",   "call",
};

enum program {
    PROGRAM_NONE,
    PROGRAM_NAME, /* from `programs` or a path to an executable */
    PROGRAM_WORD, /* from `word_programs` */
};

static bool in_list(const char *s, size_t n, const char *const *list, size_t count)
{
    /* An empty word names no program, and s[0] may then be past the value's end. */
    if (n == 0) {
        return false;
    }
    for (size_t i = 0; i < count; i++) {
        if (list[i][0] == s[0] && strncmp(list[i], s, n) == 0 && list[i][n] == '\0') {
            return true;
        }
    }
    return false;
}

static bool is_command_byte(unsigned char c)
{
    return cb_inspect_is_alnum(c) || c == '_' || c == '.' || c == '/' || c == '-' || c == '~';
}

static size_t skip_blanks(const char *s, size_t len, size_t i)
{
    for (;;) {
        while (i < len && (s[i] == ' ' || s[i] == '\t')) {
            i++;
        }
        /* ${IFS} and $IFS stand for blanks */
        if (cb_inspect_starts(s, len, i, "${ifs}") && memcmp(s + i + 2, "IFS", 3) == 0) {
            i += 6;
        } else if (cb_inspect_starts(s, len, i, "$ifs") && memcmp(s + i + 1, "IFS", 3) == 0) {
            i += 4;
        } else {
            return i;
        }
    }
}

static enum program classify_program(const char *s, size_t n)
{
    const char *base = s;

    if (n == 0 || n > WORD_MAX) {
        return PROGRAM_NONE;
    }
    /* /bin/sh, /usr/bin/id, /tmp/x, ./run: a path to a program; /home/user is not */
    if ((n > 2 && s[0] == '.' && s[1] == '/') ||
        (s[0] == '/' && (memmem(s, n, "bin/", 4) || cb_inspect_starts(s, n, 0, "/tmp/")))) {
        return PROGRAM_NAME;
    }
    if (s[0] == '/') {
        base = (const char *)memrchr(s, '/', n) + 1;
        n -= (size_t)(base - s);
    }
    if (n > 4 && cb_inspect_word_eq(base + n - 4, 4, ".exe")) {
        n -= 4; /* powershell.exe, cmd.exe: Windows finds the same program */
        if (in_list(base, n, programs, CB_ELEMENTSOF(programs))) {
            return PROGRAM_NAME;
        }
    }
    if (in_list(base, n, programs, CB_ELEMENTSOF(programs))) {
        return PROGRAM_NAME;
    }
    return in_list(base, n, word_programs, CB_ELEMENTSOF(word_programs)) ? PROGRAM_WORD
                                                                         : PROGRAM_NONE;
}

static bool is_ipv4_at(const char *s, size_t len, size_t i)
{
    for (int part = 0; part < 4; part++) {
        size_t start = i;

        while (i < len && cb_inspect_is_digit((unsigned char)s[i]) && i - start < 3) {
            i++;
        }
        if (i == start || (part < 3 && (i >= len || s[i++] != '.'))) {
            return false;
        }
    }
    return true;
}

/* calc.exe, x.bat, run.ps1, a.sh: an argument that names a program or script. */
static bool executable_name_at(const char *s, size_t len, size_t i)
{
    static const char *const suffixes[] = { ".exe", ".bat", ".cmd", ".ps1", ".sh", ".vbs" };
    size_t end = i;

    while (end < len && is_command_byte((unsigned char)s[end])) {
        end++;
    }
    for (size_t k = 0; k < CB_ELEMENTSOF(suffixes); k++) {
        size_t n = strlen(suffixes[k]);

        if (end - i > n && cb_inspect_word_eq(s + end - n, n, suffixes[k])) {
            return true;
        }
    }
    return false;
}

/* What follows a program name makes a command line of it. */
static bool command_argument_at(const char *s, size_t len, size_t i, enum program program)
{
    unsigned char c = (unsigned char)s[i], d = i + 1 < len ? (unsigned char)s[i + 1] : 0;

    if (c == '-' && (cb_inspect_is_alpha(d) || d == '-' ||
                     (program == PROGRAM_NAME && cb_inspect_is_digit(d)))) {
        return true; /* an option */
    }
    if ((c == '/' && (cb_inspect_is_alnum(d) || d == '.' || d == 0 || cb_inspect_is_space(d))) ||
        (c == '~' && d == '/') || c == '>' || c == '<' || c == '$' || c == '\'' || c == '"' ||
        c == '|' || c == '`') {
        return true; /* a path, a redirection, a variable, a quoted or piped argument */
    }
    if (cb_inspect_is_alpha(c) && d == ':' && i + 2 < len && s[i + 2] == '\\') {
        return true; /* C:\ */
    }
    if (c == '\\' && d == '\\') {
        return true; /* \\host\share */
    }
    if (is_ipv4_at(s, len, i)) {
        return true;
    }
    for (size_t k = i; k + 2 < len && is_command_byte((unsigned char)s[k]); k++) {
        if (s[k + 1] == ':' && s[k + 2] == '/') {
            return true; /* a URL */
        }
    }
    return executable_name_at(s, len, i);
}

static bool ends_command(const char *s, size_t len, size_t i, char closer)
{
    return i >= len || strchr(";|&\n\r#", s[i]) || (closer && s[i] == closer) || s[i] == '\0';
}

/* sleep 5, ping 10: a number as the whole argument of a program that waits. */
static bool delay_then_end(const char *s,
                           size_t len,
                           size_t prog,
                           size_t prog_len,
                           size_t i,
                           char closer)
{
    size_t start = i;

    if (!cb_inspect_word_eq(s + prog, prog_len, "sleep") &&
        !cb_inspect_word_eq(s + prog, prog_len, "ping") &&
        !cb_inspect_word_eq(s + prog, prog_len, "timeout")) {
        return false;
    }
    while (i < len && cb_inspect_is_digit((unsigned char)s[i])) {
        i++;
    }
    return i > start && ends_command(s, len, skip_blanks(s, len, i), closer);
}

/* A hostname or file name with a dot: nc evil.example 4444, nslookup x.attacker.net. */
static bool dotted_word_at(const char *s, size_t len, size_t i)
{
    size_t start = i;
    bool dot = false;

    while (i < len && is_command_byte((unsigned char)s[i])) {
        dot |= s[i] == '.' && i > start && i + 1 < len &&
               cb_inspect_is_alnum((unsigned char)s[i + 1]);
        i++;
    }
    return dot;
}

/* A command at s[i..): its program and arguments; `closer` ends it (')' or '`'). */
static bool command_at(const char *s, size_t len, size_t i, char closer)
{
    size_t start, arg;
    enum program program;

    i = skip_blanks(s, len, i);
    for (int n = 0; n < GROUPS_MAX && i < len && (s[i] == '(' || s[i] == '{'); n++) {
        i = skip_blanks(s, len, i + 1); /* ( subshell, { group: bounded, or "{{{{" is n^2 */
    }
    start = i;
    while (i < len && is_command_byte((unsigned char)s[i])) {
        i++;
    }
    program = classify_program(s + start, i - start);
    if (program == PROGRAM_NONE) {
        return false;
    }
    if (program == PROGRAM_WORD && cb_inspect_word_eq(s + start, i - start, "net")) {
        arg = skip_blanks(s, len, i);
        return cb_inspect_starts(s, len, arg, "user") ||
               cb_inspect_starts(s, len, arg, "localgroup");
    }
    if (i < len && s[i] == ',' && start > 0 && s[start - 1] == '{') {
        return true; /* {cat,/etc/passwd}: brace expansion */
    }
    if (i < len && !cb_inspect_is_space((unsigned char)s[i]) && s[i] != '$' &&
        !ends_command(s, len, i, closer)) {
        return false; /* "id:" or "ls," is text */
    }
    arg = skip_blanks(s, len, i);
    if (ends_command(s, len, arg, closer)) {
        return program == PROGRAM_NAME;
    }
    if (delay_then_end(s, len, start, i - start, arg, closer)) {
        return true;
    }
    for (int n = 0; n < ARGS_MAX && !ends_command(s, len, arg, closer); n++) {
        if (command_argument_at(s, len, arg, program) ||
            (program == PROGRAM_NAME && dotted_word_at(s, len, arg))) {
            return true;
        }
        while (arg < len && !cb_inspect_is_space((unsigned char)s[arg]) &&
               !ends_command(s, len, arg, closer)) {
            arg++;
        }
        arg = skip_blanks(s, len, arg);
    }
    return false;
}

/* <!--#exec cmd="ls" -->, <!--#include virtual="..." --> */
static bool ssi_at(const char *s, size_t len, size_t i)
{
    static const char *const directives[] = { "exec",     "include", "echo",  "config",
                                              "printenv", "set",     "fsize", "flastmod" };

    if (!cb_inspect_starts(s, len, i, "<!--#")) {
        return false;
    }
    for (size_t k = 0; k < CB_ELEMENTSOF(directives); k++) {
        if (cb_inspect_starts(s, len, i + 5, directives[k])) {
            return true;
        }
    }
    return false;
}

static bool backticks_at(const char *s, size_t len, size_t i)
{
    const char *end = memchr(s + i + 1, '`', len - i - 1);

    return end && command_at(s, (size_t)(end - s) + 1, i + 1, '`');
}

bool cb_inspect_shell(const struct cb_inspect_input *in, struct cb_inspect_finding *f)
{
    const char *s = in->s;
    size_t len = in->len;

    if (!(in->mask & (CB_INSPECT_HAS_SEMI | CB_INSPECT_HAS_PIPE | CB_INSPECT_HAS_AMP |
                      CB_INSPECT_HAS_BTICK | CB_INSPECT_HAS_DOLLAR | CB_INSPECT_HAS_NEWLINE |
                      CB_INSPECT_HAS_LT | CB_INSPECT_HAS_BRACE))) {
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        size_t next = i + 1;

        switch (s[i]) {
        case ';':
        case '\n':
        case '\r':
            break;
        case '|':
        case '&':
            next += next < len && (s[next] == s[i] || s[next] == '&');
            break;
        case '`':
            if (backticks_at(s, len, i)) {
                *f = cb_inspect_found(CB_INSPECT_COMMAND_INJECTION,
                                      "backticks substitute a command", i);
                return true;
            }
            continue;
        case '$':
            if (next < len && s[next] == '(' && command_at(s, len, next + 1, ')')) {
                *f = cb_inspect_found(CB_INSPECT_COMMAND_INJECTION, "$( ) substitutes a command",
                                      i);
                return true;
            }
            continue;
        case '{':
            if (command_at(s, len, i, '}') && memchr(s + i, ',', CB_MIN(len - i, WORD_MAX + 2))) {
                *f = cb_inspect_found(CB_INSPECT_COMMAND_INJECTION,
                                      "brace expansion builds a command", i);
                return true;
            }
            continue;
        case '<':
            if (ssi_at(s, len, i)) {
                *f = cb_inspect_found(CB_INSPECT_COMMAND_INJECTION, "server-side include directive",
                                      i);
                return true;
            }
            continue;
        default:
            continue;
        }
        if (command_at(s, len, next, 0)) {
            *f = cb_inspect_found(CB_INSPECT_COMMAND_INJECTION,
                                  "shell separator followed by a command", i);
            return true;
        }
    }
    return false;
}
