/* SPDX-License-Identifier: MIT */
/*
 * The files of File appenders, shared by every session of the instance: each opened once as
 * the user, kept open, and opened again when logrotate has moved it away. A line is one
 * write(2) to an O_APPEND file under the file's lock, so lines of concurrent sessions never
 * interleave, whoever else appends to the file.
 */
#include "services/core/core-log.h"

#include "common/cb-path.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct open_file {
    char *path;
    int fd;
    dev_t dev;
    ino_t ino;
};

static pthread_mutex_t files_lock = PTHREAD_MUTEX_INITIALIZER;
static struct open_file *files;
static size_t n_files;

/* As the user, under the path rules of DESIGN.md (roots, symlinks), like every file. */
static int open_log(const struct cb_config *config,
                    const char *path,
                    int extra,
                    mode_t mode,
                    struct cb_error *err)
{
    if (path[0] != '/') {
        return cb_error_set(err, CB_E_INVALID_PARAM, "log file '%s' is not an absolute path", path);
    }
    return cb_path_open(config, "filename", path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | extra,
                        mode, err);
}

/* The entry of path, opened or opened again after a rotation; under files_lock. */
static struct open_file *entry(const struct cb_config *config,
                               const char *path,
                               mode_t mode,
                               struct cb_error *err)
{
    struct open_file *f = NULL, *grown;
    struct stat st;
    int fd;

    for (size_t i = 0; i < n_files; i++) {
        if (strcmp(files[i].path, path) == 0) {
            f = &files[i];
        }
    }
    if (f && stat(path, &st) == 0 && st.st_dev == f->dev && st.st_ino == f->ino) {
        return f;
    }
    fd = open_log(config, path, 0, mode, err);
    if (fd < 0) {
        return NULL;
    }
    if (fstat(fd, &st) < 0) {
        close(fd);
        cb_error_set(err, CB_E_BACKEND, "log file '%s': %s", path, strerror(errno));
        return NULL;
    }
    if (f) {
        /* Rotated (moved or removed): the old file is done with. */
        close(f->fd);
    } else {
        grown = reallocarray(files, n_files + 1, sizeof *grown);
        if (!grown || !(path = strdup(path))) {
            close(fd);
            cb_error_set(err, CB_E_INTERNAL, "out of memory");
            return NULL;
        }
        files = grown;
        f = &files[n_files++];
        f->path = (char *)path;
    }
    f->fd = fd;
    f->dev = st.st_dev;
    f->ino = st.st_ino;
    return f;
}

int log_file_write(const struct cb_config *config,
                   const char *path,
                   const char *line,
                   mode_t mode,
                   struct cb_error *err)
{
    size_t len = strlen(line);
    struct open_file *f;
    ssize_t n;
    int r = 0;

    pthread_mutex_lock(&files_lock);
    f = entry(config, path, mode, err);
    if (!f) {
        r = -EIO;
    } else {
        n = write(f->fd, line, len);
        if (n != (ssize_t)len) {
            r = cb_error_set(err, CB_E_BACKEND, "log file '%s': %s", path,
                             n < 0 ? strerror(errno) : "short write");
        }
    }
    pthread_mutex_unlock(&files_lock);
    return r;
}

int log_file_truncate(const struct cb_config *config,
                      const char *path,
                      mode_t mode,
                      struct cb_error *err)
{
    int fd = open_log(config, path, O_TRUNC, mode, err);

    if (fd < 0) {
        return fd;
    }
    close(fd);
    return 0;
}
