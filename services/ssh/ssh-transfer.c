/* SPDX-License-Identifier: MIT */
/*
 * sftp.put and sftp.get. Local files are opened as the user (cb_path_open); data moves in
 * chunks of SSH_CHUNK, which libssh2 sends as many SFTP requests in flight at once, so a
 * transfer is not one round trip per 32 KiB.
 */
#include "services/ssh/ssh-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cb-json.h"
#include "common/cb-path.h"

#define OOM(err) cb_error_set(err, CB_E_INTERNAL, "out of memory")

static int local_error(struct ssh_conn *c,
                       const char *what,
                       const char *path,
                       int e,
                       struct cb_error *err)
{
    int r = e == EACCES || e == EPERM
                    ? cb_error_set(err, CB_E_DENIED, "%s '%s': %s", what, path, strerror(e))
                    : cb_error_set(err, CB_E_BACKEND, "%s '%s': %s", what, path, strerror(e));

    ssh_note_error(c, err);
    return r;
}

/* Writes all of buf; libssh2 may take it in parts. */
static int write_all(struct ssh_conn *c,
                     LIBSSH2_SFTP_HANDLE *h,
                     const char *buf,
                     size_t len,
                     const char *remote,
                     struct cb_error *err)
{
    while (len > 0) {
        ssize_t n = libssh2_sftp_write(h, buf, len);

        if (n < 0) {
            return ssh_fail(c, "writing", remote, err);
        }
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

static int send_file(struct ssh_conn *c,
                     int fd,
                     LIBSSH2_SFTP_HANDLE *h,
                     const char *local,
                     const char *remote,
                     int64_t *ret_bytes,
                     struct cb_error *err)
{
    char *buf = malloc(SSH_CHUNK);
    int64_t total = 0;
    ssize_t n;
    int r = 0;

    if (!buf) {
        return OOM(err);
    }
    while (r >= 0 && (n = read(fd, buf, SSH_CHUNK)) != 0) {
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            r = local_error(c, "reading", local, errno, err);
            break;
        }
        r = write_all(c, h, buf, (size_t)n, remote, err);
        total += n;
    }
    free(buf);
    *ret_bytes = total;
    return r;
}

int ssh_put(struct cb_call *call, json_t **ret, struct cb_error *err)
{
    const char *local = cb_json_get_string(call->params, "local_file", "");
    const char *given = cb_json_get_string(call->params, "remote_file", NULL);
    long mode = (long)cb_json_get_int(call->params, "mode", 0644);
    bool create_dirs = cb_json_get_bool(call->params, "create_dirs", true);
    LIBSSH2_SFTP_HANDLE *h = NULL;
    struct cb_handle *handle;
    struct ssh_conn *c;
    char *remote = NULL, *local_copy = NULL;
    int64_t bytes = 0;
    int fd = -1, r;

    r = ssh_acquire(call, &handle, err);
    if (r < 0) {
        return r;
    }
    c = handle->object;
    if (c->dropped) {
        r = cb_error_set_backend(err, "SESSION_DROPPED", "the connection is gone",
                                 "the SSH connection to %s:%d is gone; call sftp.connect again",
                                 c->host, c->port);
        goto out;
    }
    fd = cb_path_open(call->config, "local_file", local, O_RDONLY | O_CLOEXEC, 0, err);
    if (fd < 0) {
        r = fd;
        ssh_note_error(c, err);
        goto out;
    }
    local_copy = strdup(local);
    remote = local_copy ? ssh_resolve(c, given ? given : basename(local_copy)) : NULL;
    if (!remote) {
        r = OOM(err);
        goto out;
    }
    if (create_dirs) {
        char *dir = strdup(remote);
        bool created;

        r = dir ? ssh_make_dirs(c, dirname(dir), 0755, &created, err) : OOM(err);
        free(dir);
        if (r < 0) {
            goto out;
        }
    }
    h = libssh2_sftp_open(c->sftp, remote,
                          LIBSSH2_FXF_WRITE | LIBSSH2_FXF_CREAT | LIBSSH2_FXF_TRUNC, mode);
    if (!h) {
        r = ssh_fail(c, "opening", remote, err);
        goto out;
    }
    r = send_file(c, fd, h, local, remote, &bytes, err);
    if (libssh2_sftp_close(h) < 0 && r >= 0) {
        r = ssh_fail(c, "closing", remote, err);
    }
    if (r >= 0) {
        *ret = json_pack("{s:s, s:s, s:I}", "local_file", local, "remote_file", remote,
                         "bytes_transferred", (json_int_t)bytes);
        r = *ret ? 0 : OOM(err);
    }
out:
    if (fd >= 0) {
        close(fd);
    }
    free(remote);
    free(local_copy);
    cb_handle_release(call->registry, handle);
    return r;
}

static int receive_file(struct ssh_conn *c,
                        LIBSSH2_SFTP_HANDLE *h,
                        int fd,
                        const char *remote,
                        const char *local,
                        int64_t *ret_bytes,
                        struct cb_error *err)
{
    char *buf = malloc(SSH_CHUNK);
    int64_t total = 0;
    ssize_t n;
    int r = 0;

    if (!buf) {
        return OOM(err);
    }
    while (r >= 0 && (n = libssh2_sftp_read(h, buf, SSH_CHUNK)) != 0) {
        if (n < 0) {
            r = ssh_fail(c, "reading", remote, err);
            break;
        }
        for (ssize_t done = 0; r >= 0 && done < n;) {
            ssize_t w = write(fd, buf + done, (size_t)(n - done));

            if (w < 0 && errno == EINTR) {
                continue;
            }
            if (w < 0) {
                r = local_error(c, "writing", local, errno, err);
                break;
            }
            done += w;
        }
        total += n;
    }
    free(buf);
    *ret_bytes = total;
    return r;
}

int ssh_get(struct cb_call *call, json_t **ret, struct cb_error *err)
{
    const char *given = cb_json_get_string(call->params, "remote_file", "");
    const char *local = cb_json_get_string(call->params, "local_file", "");
    LIBSSH2_SFTP_HANDLE *h = NULL;
    struct cb_handle *handle;
    struct ssh_conn *c;
    char *remote = NULL;
    int64_t bytes = 0;
    int fd = -1, r;

    r = ssh_acquire(call, &handle, err);
    if (r < 0) {
        return r;
    }
    c = handle->object;
    remote = ssh_resolve(c, given);
    if (!remote) {
        r = OOM(err);
        goto out;
    }
    /* The remote file first: a missing one must not leave an empty local file behind. */
    h = c->dropped ? NULL : libssh2_sftp_open(c->sftp, remote, LIBSSH2_FXF_READ, 0);
    if (!h) {
        r = c->dropped ? cb_error_set_backend(
                                 err, "SESSION_DROPPED", "the connection is gone",
                                 "the SSH connection to %s:%d is gone; call sftp.connect again",
                                 c->host, c->port)
                       : ssh_fail(c, "opening", remote, err);
        goto out;
    }
    fd = cb_path_open(call->config, "local_file", local, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
                      0666 & ~cb_call_umask(call), err);
    if (fd < 0) {
        r = fd;
        ssh_note_error(c, err);
        goto out;
    }
    r = receive_file(c, h, fd, remote, local, &bytes, err);
    /* close reports what a full disk or a network file system held back. */
    if (close(fd) < 0 && r >= 0) {
        r = local_error(c, "writing", local, errno, err);
    }
    fd = -1;
    if (r >= 0) {
        *ret = json_pack("{s:s, s:s, s:I}", "remote_file", remote, "local_file", local,
                         "bytes_transferred", (json_int_t)bytes);
        r = *ret ? 0 : OOM(err);
    }
out:
    if (h) {
        libssh2_sftp_close(h);
    }
    if (fd >= 0) {
        close(fd);
    }
    free(remote);
    cb_handle_release(call->registry, handle);
    return r;
}
