/* SPDX-License-Identifier: MIT */
/*
 * The replay program of one fuzz target: runs LLVMFuzzerTestOneInput on every file of the
 * corpus directories given (default: the target's seed corpus and its crash regressions in
 * the tree), so make check keeps every input that ever mattered, under any compiler and under
 * SANITIZE=1. Exits 1 when a directory cannot be read; a crash is the sanitizer's abort.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/fuzz.h"

static int read_file(const char *path, uint8_t **ret, size_t *ret_len)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf = NULL;
    size_t len = 0, cap = 0, n;

    if (!f) {
        return -errno;
    }
    do {
        if (len == cap) {
            uint8_t *bigger = realloc(buf, cap = cap ? cap * 2 : 4096);

            if (!bigger) {
                free(buf);
                fclose(f);
                return -ENOMEM;
            }
            buf = bigger;
        }
        n = fread(buf + len, 1, cap - len, f);
        len += n;
    } while (n > 0);
    fclose(f);
    *ret = buf;
    *ret_len = len;
    return 0;
}

static int replay_dir(const char *dir, unsigned *count)
{
    struct dirent **names;
    int n = scandir(dir, &names, NULL, alphasort);

    if (n < 0) {
        return errno == ENOENT ? 0 : -errno; /* no crash directory yet: nothing to replay */
    }
    for (int i = 0; i < n; i++) {
        char path[4096];
        uint8_t *data = NULL;
        size_t len = 0;

        if (names[i]->d_name[0] != '.' &&
            (size_t)snprintf(path, sizeof path, "%s/%s", dir, names[i]->d_name) < sizeof path &&
            read_file(path, &data, &len) == 0) {
            /* Exactly sized, as libFuzzer passes it, so ASan sees a read one byte past it. */
            uint8_t *exact = malloc(len ? len : 1);

            if (!exact) {
                free(data);
                free(names[i]);
                continue;
            }
            memcpy(exact, data, len);
            free(data);
            LLVMFuzzerTestOneInput(exact, len);
            free(exact);
            (*count)++;
        }
        free(names[i]);
    }
    free(names);
    return 0;
}

int main(int argc, char **argv)
{
    const char *defaults[] = { FUZZ_CORPUS, FUZZ_REGRESSIONS };
    const char *const *dirs = argc > 1 ? (const char *const *)argv + 1 : defaults;
    int n = argc > 1 ? argc - 1 : 2;
    unsigned count = 0;

    LLVMFuzzerInitialize(&argc, &argv);
    for (int i = 0; i < n; i++) {
        int r = replay_dir(dirs[i], &count);

        if (r < 0) {
            fprintf(stderr, "%s: %s: %s\n", FUZZ_NAME, dirs[i], strerror(-r));
            return 1;
        }
    }
    printf("%s: %u inputs replayed, no crash\n", FUZZ_NAME, count);
    return count > 0 ? 0 : 1;
}
