/* SPDX-License-Identifier: MIT */
/*
 * cpan-bridge-exec: the front of process mode. It reads the first request frame, looks its
 * module up in the catalogue and execs that family's binary in one-shot mode, handing it the
 * frame it read, so a family's libraries are needed only where that family is installed.
 * It links no library but jansson, since its start-up is paid on every process-mode call.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/cb-catalogue.h"
#include "common/cb-envelope.h"
#include "common/cb-frame.h"
#include "common/cb-json.h"

static int dump_catalogue(void)
{
    json_t *c = cb_catalogue_to_json(NULL);
    int r = json_dumpf(c, stdout, JSON_INDENT(2) | JSON_SORT_KEYS) < 0 ? EXIT_FAILURE : 0;

    json_decref(c);
    fputc('\n', stdout);
    return r;
}

/* The family that answers a frame: broken frames and system.* go to core, which validates. */
static const char *family_of(const char *payload, size_t len)
{
    const struct cb_module *m;
    json_t *v = NULL;
    const char *family = "core";

    if (cb_json_parse(payload, len, &v, NULL) >= 0 && json_is_object(v)) {
        const char *name = cb_json_get_string(v, "module", NULL);

        m = name ? cb_catalogue_find_module(name) : NULL;
        if (m && strcmp(m->family, "router") != 0) {
            family = m->family;
        }
    }
    json_decref(v);
    return family;
}

static int binary_dir(char *buf, size_t size)
{
    const char *env = getenv("CPAN_BRIDGE_LIBEXECDIR");
    ssize_t n;
    char *slash;

    if (env && *env) {
        snprintf(buf, size, "%s", env);
        return 0;
    }
    n = readlink("/proc/self/exe", buf, size - 1);
    if (n < 0) {
        return -errno;
    }
    buf[n] = '\0';
    slash = strrchr(buf, '/');
    if (slash) {
        *slash = '\0';
    }
    return 0;
}

static int frame_to_memfd(const char *payload, size_t len)
{
    int fd = memfd_create("cpan-bridge-first-frame", 0);

    if (fd < 0) {
        return -errno;
    }
    if (cb_frame_write_fd(fd, payload, len) < 0 || lseek(fd, 0, SEEK_SET) < 0) {
        close(fd);
        return -EIO;
    }
    return fd;
}

static int zero_frame_memfd(void)
{
    static const char zero[CB_FRAME_HEADER_SIZE];
    int fd = memfd_create("cpan-bridge-first-frame", 0);

    if (fd < 0) {
        return -errno;
    }
    if (cb_write_full(fd, zero, sizeof zero) < 0 || lseek(fd, 0, SEEK_SET) < 0) {
        close(fd);
        return -EIO;
    }
    return fd;
}

/* Over the limit or cut short: the stream cannot go on, so answer (if we can) and stop. */
static int refuse_first_frame(int r)
{
    struct cb_error err = CB_ERROR_INIT;
    char *text;
    size_t n;

    if (r != -E2BIG) {
        return r == -EPIPE ? EXIT_SUCCESS : EXIT_FAILURE;
    }
    cb_error_set(&err, CB_E_TOO_LARGE, "frame is over the limit of %u bytes (max_frame_bytes)",
                 CB_FRAME_DEFAULT_LIMIT);
    text = cb_response_error_dump(NULL, &err, &n);
    cb_error_clear(&err);
    if (text) {
        (void)cb_frame_write_fd(STDOUT_FILENO, text, n);
    }
    free(text);
    return EXIT_FAILURE;
}

/* The family's package is absent: every request of this run gets the same clear answer. */
static int answer_not_installed(const char *family, char *payload, size_t len)
{
    for (;;) {
        struct cb_error err = CB_ERROR_INIT;
        struct cb_request req;
        struct cb_limits limits = CB_LIMITS_DEFAULT;
        json_t *id = NULL;
        char *text;
        size_t n;
        int r;

        if (cb_request_parse(payload, len, CB_ORIGIN_CLIENT, &limits, &req, &id, &err) >= 0) {
            id = req.id ? json_incref(req.id) : NULL;
            cb_request_done(&req);
            cb_error_clear(&err);
        }
        cb_error_set(
                &err, CB_E_UNAVAILABLE,
                "family not installed: cpan-bridge-%s is not on this host (install the cpan-bridge-%s package)",
                family, family);
        text = cb_response_error_dump(id, &err, &n);
        json_decref(id);
        cb_error_clear(&err);
        free(payload);
        r = text ? cb_frame_write_fd(STDOUT_FILENO, text, n) : -ENOMEM;
        free(text);
        if (r < 0) {
            return EXIT_FAILURE;
        }
        r = cb_frame_read_fd(STDIN_FILENO, CB_FRAME_DEFAULT_LIMIT, &payload, &len);
        if (r <= 0) {
            return r == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
        }
    }
}

int main(int argc, char **argv)
{
    char dir[PATH_MAX], binary[PATH_MAX + 64], fdarg[32];
    const char *family;
    char *payload = NULL;
    size_t len = 0;
    int r, fd;

    if (argc > 1 && strcmp(argv[1], "--dump-catalogue") == 0) {
        return dump_catalogue();
    }
    if (argc > 1) {
        fprintf(stderr,
                "Usage: cpan-bridge-exec [--dump-catalogue]\n"
                "Reads request frames on stdin and answers them on stdout (process mode).\n");
        return strcmp(argv[1], "--help") == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
    }

    r = cb_frame_read_fd(STDIN_FILENO, CB_FRAME_DEFAULT_LIMIT, &payload, &len);
    if (r == 0) {
        return EXIT_SUCCESS;
    }
    if (r < 0 && r != -EBADMSG) {
        return refuse_first_frame(r);
    }
    family = r > 0 ? family_of(payload, len) : "core";

    if (binary_dir(dir, sizeof dir) < 0) {
        return EXIT_FAILURE;
    }
    snprintf(binary, sizeof binary, "%s/cpan-bridge-%s", dir, family);
    if (access(binary, X_OK) < 0) {
        return answer_not_installed(family, payload, len);
    }

    /* A zero-length first frame is handed on as it came, so core answers it like any other. */
    fd = r > 0 ? frame_to_memfd(payload, len) : zero_frame_memfd();
    free(payload);
    if (fd < 0) {
        return EXIT_FAILURE;
    }
    snprintf(fdarg, sizeof fdarg, "%d", fd);
    execl(binary, binary, "--oneshot", "--first-frame-fd", fdarg, (char *)NULL);
    /* stderr only: this front must stay free of libsystemd, it runs once per call. */
    fprintf(stderr, "cpan-bridge-exec: failed to run '%s': %s\n", binary, strerror(errno));
    return EXIT_FAILURE;
}
