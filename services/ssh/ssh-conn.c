/* SPDX-License-Identifier: MIT */
/* An SFTP session handle: its object, its remote paths, and its errors. */
#include "services/ssh/ssh-internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cb-json.h"
#include "common/cb-log.h"

void ssh_conn_free(void *object)
{
    struct ssh_conn *c = object;

    if (!c) {
        return;
    }
    if (c->sftp) {
        libssh2_sftp_shutdown(c->sftp);
    }
    if (c->session) {
        if (!c->dropped) {
            libssh2_session_disconnect(c->session, "cpan-bridge session ended");
        }
        libssh2_session_free(c->session);
    }
    if (c->fd >= 0) {
        close(c->fd);
    }
    free(c->host);
    free(c->user);
    free(c->cwd);
    free(c->last_error);
    free(c);
}

int ssh_acquire(struct cb_call *call, struct cb_handle **ret, struct cb_error *err)
{
    const char *id = cb_json_get_string(call->params, "session_id", NULL);
    struct cb_error inner = CB_ERROR_INIT;
    int r;

    r = cb_handle_acquire(call->registry, call->session, SSH_SESSION_KIND, id, ret, &inner);
    if (r < 0 && !id) {
        cb_error_clear(&inner);
        return cb_error_set(err, CB_E_HANDLE, "no current SFTP session; call sftp.connect first");
    }
    if (r < 0) {
        cb_error_move(err, &inner);
        return r;
    }
    return 0;
}

/* Joins and cleans: "a/./b/../c" below "/home/u" is "/home/u/a/c". */
char *ssh_resolve(const struct ssh_conn *c, const char *path)
{
    size_t cap = strlen(c->cwd) + strlen(path) + 3;
    char *joined = malloc(cap), *out = malloc(cap), *save = NULL;
    size_t n = 0;

    if (!joined || !out) {
        free(joined);
        free(out);
        return NULL;
    }
    snprintf(joined, cap, "%s/%s", path[0] == '/' ? "" : c->cwd, path);
    for (char *part = strtok_r(joined, "/", &save); part; part = strtok_r(NULL, "/", &save)) {
        if (strcmp(part, ".") == 0) {
            continue;
        }
        if (strcmp(part, "..") == 0) {
            while (n > 0 && out[n - 1] != '/') {
                n--;
            }
            if (n > 0) {
                n--;
            }
            continue;
        }
        out[n++] = '/';
        memcpy(out + n, part, strlen(part));
        n += strlen(part);
    }
    if (n == 0) {
        out[n++] = '/';
    }
    out[n] = '\0';
    free(joined);
    return out;
}

const char *ssh_sftp_status_name(unsigned long code)
{
    static const char *const names[] = {
        "OK",
        "EOF",
        "NO_SUCH_FILE",
        "PERMISSION_DENIED",
        "FAILURE",
        "BAD_MESSAGE",
        "NO_CONNECTION",
        "CONNECTION_LOST",
        "OP_UNSUPPORTED",
        "INVALID_HANDLE",
        "NO_SUCH_PATH",
        "FILE_ALREADY_EXISTS",
        "WRITE_PROTECT",
        "NO_MEDIA",
        "NO_SPACE_ON_FILESYSTEM",
        "QUOTA_EXCEEDED",
        "UNKNOWN_PRINCIPAL",
        "LOCK_CONFLICT",
        "DIR_NOT_EMPTY",
        "NOT_A_DIRECTORY",
        "INVALID_FILENAME",
        "LINK_LOOP",
    };

    return code < CB_ELEMENTSOF(names) ? names[code] : "FAILURE";
}

static void remember(struct ssh_conn *c, const char *text)
{
    free(c->last_error);
    c->last_error = text ? strdup(text) : NULL;
}

void ssh_note_error(struct ssh_conn *c, const struct cb_error *err)
{
    remember(c, err->message);
}

int ssh_fail(struct ssh_conn *c, const char *what, const char *path, struct cb_error *err)
{
    char *msg = NULL;
    int rc = libssh2_session_last_error(c->session, &msg, NULL, 0);
    int r;

    if (rc == LIBSSH2_ERROR_SFTP_PROTOCOL) {
        unsigned long status = libssh2_sftp_last_error(c->sftp);
        const char *name = ssh_sftp_status_name(status);

        r = cb_error_set_backend(err, name, name, "%s %s: %s", what, path ? path : "", name);
    } else if (rc == LIBSSH2_ERROR_TIMEOUT) {
        /* A packet may be half read: the stream cannot be trusted any more. */
        c->dropped = true;
        r = cb_error_set(err, CB_E_TIMEOUT,
                         "%s %s: the server did not answer in time; call sftp.connect again", what,
                         path ? path : "");
    } else {
        /* Anything else is the connection itself: it is of no more use. */
        c->dropped = true;
        cb_log_info("SFTP session to %s:%d dropped: %s", c->host, c->port, msg ? msg : "");
        r = cb_error_set_backend(
                err, "SESSION_DROPPED", msg ? msg : "connection failed",
                "%s %s: the SSH connection to %s:%d failed (%s); call sftp.connect again", what,
                path ? path : "", c->host, c->port, msg ? msg : "");
    }
    remember(c, err->message);
    return r;
}
