/* SPDX-License-Identifier: MIT */
/* The sftp functions that are one request each: listing, stat, rename, mkdir and the rest. */
#include "services/ssh/ssh-internal.h"

#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/cb-json.h"

#define OOM(err) cb_error_set(err, CB_E_INTERNAL, "out of memory")

/* Acquires the session and resolves the path parameter `param` (NULL: none); *ret_path is
 * malloc'ed. A dropped session answers at once. */
static int begin(struct cb_call *call,
                 const char *param,
                 const char *def,
                 struct cb_handle **ret_h,
                 struct ssh_conn **ret_c,
                 char **ret_path,
                 struct cb_error *err)
{
    int r = ssh_acquire(call, ret_h, err);

    if (r < 0) {
        return r;
    }
    *ret_c = (*ret_h)->object;
    *ret_path = NULL;
    if ((*ret_c)->dropped) {
        r = cb_error_set_backend(err, "SESSION_DROPPED", "the connection is gone",
                                 "the SSH connection to %s:%d is gone; call sftp.connect again",
                                 (*ret_c)->host, (*ret_c)->port);
    } else if (param) {
        *ret_path = ssh_resolve(*ret_c, cb_json_get_string(call->params, param, def));
        r = *ret_path ? 0 : OOM(err);
    }
    if (r < 0) {
        cb_handle_release(call->registry, *ret_h);
    }
    return r;
}

static int end(struct cb_call *call, struct cb_handle *h, char *path, int r)
{
    free(path);
    cb_handle_release(call->registry, h);
    return r;
}

static const char *type_of(unsigned long perm)
{
    return LIBSSH2_SFTP_S_ISDIR(perm)   ? "dir"
           : LIBSSH2_SFTP_S_ISREG(perm) ? "file"
           : LIBSSH2_SFTP_S_ISLNK(perm) ? "link"
                                        : "other";
}

static json_t *entry_json(const char *name, const char *longname, const LIBSSH2_SFTP_ATTRIBUTES *a)
{
    return json_pack("{s:s, s:s, s:I, s:I, s:I, s:b, s:s}", "filename", name, "longname", longname,
                     "size", (json_int_t)a->filesize, "mtime", (json_int_t)a->mtime, "permissions",
                     (json_int_t)a->permissions, "is_dir", LIBSSH2_SFTP_S_ISDIR(a->permissions),
                     "type", type_of(a->permissions));
}

static int by_name(const void *x, const void *y)
{
    return strcmp(json_string_value(json_object_get(*(json_t *const *)x, "filename")),
                  json_string_value(json_object_get(*(json_t *const *)y, "filename")));
}

static int read_dir(struct ssh_conn *c,
                    const char *path,
                    regex_t *wanted,
                    json_t *out,
                    struct cb_error *err)
{
    LIBSSH2_SFTP_HANDLE *d = libssh2_sftp_opendir(c->sftp, path);
    char name[1024], longname[2048];
    LIBSSH2_SFTP_ATTRIBUTES a;
    int n;

    if (!d) {
        return ssh_fail(c, "listing", path, err);
    }
    while ((n = libssh2_sftp_readdir_ex(d, name, sizeof name, longname, sizeof longname, &a)) > 0) {
        if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0 ||
            (wanted && regexec(wanted, name, 0, NULL, 0) != 0)) {
            continue;
        }
        json_array_append_new(out, entry_json(name, longname, &a));
    }
    libssh2_sftp_closedir(d);
    return n < 0 ? ssh_fail(c, "listing", path, err) : 0;
}

int ssh_list_files(struct cb_call *call, json_t **ret, struct cb_error *err)
{
    const char *pattern = cb_json_get_string(call->params, "wanted", NULL);
    struct cb_handle *h;
    struct ssh_conn *c;
    json_t *list;
    regex_t re;
    char *path;
    int r;

    if (pattern && regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB) != 0) {
        return cb_error_set(err, CB_E_INVALID_PARAM,
                            "parameter 'wanted' is not a POSIX extended regular expression");
    }
    r = begin(call, "remote_path", ".", &h, &c, &path, err);
    if (r >= 0) {
        list = json_array();
        r = list ? read_dir(c, path, pattern ? &re : NULL, list, err) : OOM(err);
        if (r >= 0) {
            json_t **items = malloc(sizeof *items * (json_array_size(list) + 1));
            size_t n = json_array_size(list);

            /* Sorted by name, whatever order the server lists in. */
            for (size_t i = 0; items && i < n; i++) {
                items[i] = json_incref(json_array_get(list, i));
            }
            if (items) {
                qsort(items, n, sizeof *items, by_name);
                json_array_clear(list);
                for (size_t i = 0; i < n; i++) {
                    json_array_append_new(list, items[i]);
                }
            }
            free(items);
            *ret = list;
        } else {
            json_decref(list);
        }
        r = end(call, h, path, r);
    }
    if (pattern) {
        regfree(&re);
    }
    return r;
}

static int stat_path(struct ssh_conn *c, const char *path, LIBSSH2_SFTP_ATTRIBUTES *a)
{
    return libssh2_sftp_stat_ex(c->sftp, path, (unsigned)strlen(path), LIBSSH2_SFTP_STAT, a);
}

/* Whether path exists: 1, 0, or a negative error (the session's, not "no such file"). */
static int exists(struct ssh_conn *c,
                  const char *path,
                  LIBSSH2_SFTP_ATTRIBUTES *a,
                  struct cb_error *err)
{
    if (stat_path(c, path, a) == 0) {
        return 1;
    }
    if (libssh2_session_last_errno(c->session) == LIBSSH2_ERROR_SFTP_PROTOCOL &&
        (libssh2_sftp_last_error(c->sftp) == LIBSSH2_FX_NO_SUCH_FILE ||
         libssh2_sftp_last_error(c->sftp) == LIBSSH2_FX_NO_SUCH_PATH)) {
        return 0;
    }
    return ssh_fail(c, "checking", path, err);
}

int ssh_rename(struct cb_call *call, json_t **ret, struct cb_error *err)
{
    bool overwrite = cb_json_get_bool(call->params, "overwrite", false);
    LIBSSH2_SFTP_ATTRIBUTES a;
    struct cb_handle *h;
    struct ssh_conn *c;
    char *from, *to = NULL;
    int r;

    r = begin(call, "old_path", "", &h, &c, &from, err);
    if (r < 0) {
        return r;
    }
    to = ssh_resolve(c, cb_json_get_string(call->params, "new_path", ""));
    r = to ? exists(c, to, &a, err) : OOM(err);
    if (r == 1 && !overwrite) {
        r = cb_error_set_backend(err, "FILE_ALREADY_EXISTS", "FILE_ALREADY_EXISTS",
                                 "renaming %s: %s exists (give overwrite true to replace it)", from,
                                 to);
        ssh_note_error(c, err);
    } else if (r == 1) {
        /* SFTP v3 renames never replace: the old target goes first (not atomic). */
        r = libssh2_sftp_unlink(c->sftp, to) == 0 ? 0 : ssh_fail(c, "replacing", to, err);
    }
    if (r >= 0) {
        r = libssh2_sftp_rename(c->sftp, from, to) == 0 ? 0 : ssh_fail(c, "renaming", from, err);
    }
    if (r >= 0) {
        *ret = json_pack("{s:s, s:s, s:b}", "old_path", from, "new_path", to, "overwrite",
                         overwrite);
        r = *ret ? 0 : OOM(err);
    }
    free(to);
    return end(call, h, from, r);
}

int ssh_remove(struct cb_call *call, json_t **ret, struct cb_error *err)
{
    struct cb_handle *h;
    struct ssh_conn *c;
    char *path;
    int r;

    r = begin(call, "remote_file", "", &h, &c, &path, err);
    if (r < 0) {
        return r;
    }
    r = libssh2_sftp_unlink(c->sftp, path) == 0 ? 0 : ssh_fail(c, "removing", path, err);
    if (r >= 0) {
        *ret = json_pack("{s:s, s:b}", "remote_file", path, "removed", 1);
    }
    return end(call, h, path, r);
}

int ssh_make_dirs(struct ssh_conn *c,
                  const char *dir,
                  long mode,
                  bool *ret_created,
                  struct cb_error *err)
{
    LIBSSH2_SFTP_ATTRIBUTES a;
    char *copy = strdup(dir);
    size_t have = strlen(dir), len = have;
    int r;

    *ret_created = false;
    if (!copy) {
        return OOM(err);
    }
    /* Up to the deepest directory that exists ("/" always does)... */
    while (have > 0) {
        char *slash;

        copy[have] = '\0';
        r = exists(c, copy, &a, err);
        if (r < 0) {
            free(copy);
            return r;
        }
        if (r == 1) {
            break;
        }
        slash = strrchr(copy, '/');
        have = slash ? (size_t)(slash - copy) : 0;
    }
    /* ...then down, making each one below it. */
    while (have < len) {
        const char *next = strchr(dir + have + 1, '/');
        size_t upto = next ? (size_t)(next - dir) : len;

        memcpy(copy, dir, upto);
        copy[upto] = '\0';
        if (libssh2_sftp_mkdir(c->sftp, copy, mode) < 0) {
            r = ssh_fail(c, "creating", copy, err);
            free(copy);
            return r;
        }
        *ret_created = true;
        have = upto;
    }
    free(copy);
    return 0;
}

int ssh_mkdir(struct cb_call *call, json_t **ret, struct cb_error *err)
{
    long mode = (long)cb_json_get_int(call->params, "mode", 0755);
    bool parents = cb_json_get_bool(call->params, "parents", false), created = false;
    struct cb_handle *h;
    struct ssh_conn *c;
    char *path;
    int r;

    r = begin(call, "remote_dir", "", &h, &c, &path, err);
    if (r < 0) {
        return r;
    }
    if (parents) {
        r = ssh_make_dirs(c, path, mode, &created, err);
    } else {
        r = libssh2_sftp_mkdir(c->sftp, path, mode) == 0 ? 0 : ssh_fail(c, "creating", path, err);
        created = r >= 0;
    }
    if (r >= 0) {
        *ret = json_pack("{s:s, s:b}", "remote_dir", path, "created", created);
    }
    return end(call, h, path, r);
}

int ssh_rmdir(struct cb_call *call, json_t **ret, struct cb_error *err)
{
    struct cb_handle *h;
    struct ssh_conn *c;
    char *path;
    int r;

    r = begin(call, "remote_dir", "", &h, &c, &path, err);
    if (r < 0) {
        return r;
    }
    r = libssh2_sftp_rmdir(c->sftp, path) == 0 ? 0 : ssh_fail(c, "removing", path, err);
    if (r >= 0) {
        *ret = json_pack("{s:s, s:b}", "remote_dir", path, "removed", 1);
    }
    return end(call, h, path, r);
}

int ssh_stat(struct cb_call *call, json_t **ret, struct cb_error *err)
{
    LIBSSH2_SFTP_ATTRIBUTES a;
    struct cb_handle *h;
    struct ssh_conn *c;
    char *path;
    int r;

    r = begin(call, "remote_path", "", &h, &c, &path, err);
    if (r < 0) {
        return r;
    }
    r = stat_path(c, path, &a) == 0 ? 0 : ssh_fail(c, "stat", path, err);
    if (r >= 0) {
        *ret = json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:b, s:s}", "remote_path", path,
                         "size", (json_int_t)a.filesize, "mtime", (json_int_t)a.mtime, "atime",
                         (json_int_t)a.atime, "permissions", (json_int_t)a.permissions, "uid",
                         (json_int_t)a.uid, "gid", (json_int_t)a.gid, "is_dir",
                         LIBSSH2_SFTP_S_ISDIR(a.permissions), "type", type_of(a.permissions));
    }
    return end(call, h, path, r);
}

int ssh_exists(struct cb_call *call, json_t **ret, struct cb_error *err)
{
    LIBSSH2_SFTP_ATTRIBUTES a;
    struct cb_handle *h;
    struct ssh_conn *c;
    char *path;
    int r;

    r = begin(call, "remote_path", "", &h, &c, &path, err);
    if (r < 0) {
        return r;
    }
    r = exists(c, path, &a, err);
    if (r >= 0) {
        *ret = json_pack("{s:s, s:b, s:b}", "remote_path", path, "exists", r == 1, "is_dir",
                         r == 1 && LIBSSH2_SFTP_S_ISDIR(a.permissions));
        r = 0;
    }
    return end(call, h, path, r);
}

int ssh_setcwd(struct cb_call *call, json_t **ret, struct cb_error *err)
{
    LIBSSH2_SFTP_ATTRIBUTES a;
    struct cb_handle *h;
    struct ssh_conn *c;
    char *path;
    int r;

    r = begin(call, "remote_dir", "", &h, &c, &path, err);
    if (r < 0) {
        return r;
    }
    r = stat_path(c, path, &a) == 0 ? 0 : ssh_fail(c, "changing to", path, err);
    if (r >= 0 && !LIBSSH2_SFTP_S_ISDIR(a.permissions)) {
        r = cb_error_set_backend(err, "NOT_A_DIRECTORY", "NOT_A_DIRECTORY",
                                 "changing to %s: not a directory", path);
        ssh_note_error(c, err);
    }
    if (r >= 0) {
        free(c->cwd);
        c->cwd = path;
        path = NULL;
        *ret = json_pack("{s:s}", "current_dir", c->cwd);
    }
    return end(call, h, path, r);
}

int ssh_cwd(struct cb_call *call, json_t **ret, struct cb_error *err)
{
    struct cb_handle *h;
    struct ssh_conn *c;
    char *path;
    int r = begin(call, NULL, NULL, &h, &c, &path, err);

    if (r < 0) {
        return r;
    }
    *ret = json_pack("{s:s}", "current_dir", c->cwd);
    return end(call, h, path, 0);
}

int ssh_error(struct cb_call *call, json_t **ret, struct cb_error *err)
{
    struct cb_handle *h;
    int r = ssh_acquire(call, &h, err);

    if (r < 0) {
        return r;
    }
    *ret = json_pack("{s:s?}", "error", ((struct ssh_conn *)h->object)->last_error);
    cb_handle_release(call->registry, h);
    return 0;
}

int ssh_is_connected(struct cb_call *call, json_t **ret, struct cb_error *err)
{
    struct cb_handle *h;
    struct ssh_conn *c;
    int r = ssh_acquire(call, &h, err);
    char dir[8];

    if (r < 0) {
        return r;
    }
    c = h->object;
    /* A cheap request proves the connection is there now, not only that it was. */
    if (!c->dropped && libssh2_sftp_realpath(c->sftp, "/", dir, sizeof dir) < 0) {
        struct cb_error ignored = CB_ERROR_INIT;

        (void)ssh_fail(c, "checking", "/", &ignored);
        cb_error_clear(&ignored);
    }
    *ret = json_pack("{s:b}", "connected", !c->dropped);
    cb_handle_release(call->registry, h);
    return 0;
}

int ssh_disconnect(struct cb_call *call, json_t **ret, struct cb_error *err)
{
    struct cb_handle *h;
    int r = ssh_acquire(call, &h, err);

    if (r < 0) {
        return r;
    }
    *ret = json_pack("{s:s, s:b}", "session_id", h->id, "disconnected", 1);
    cb_handle_end(call->registry, h, "disconnected by sftp.disconnect");
    return 0;
}
