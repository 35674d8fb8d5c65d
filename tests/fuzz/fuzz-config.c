/* SPDX-License-Identifier: MIT */
/* The configuration file parser on any file content, and the checks of what it read. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/cb-config-internal.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cb_config *c = cb_config_new_default();
    int fd = memfd_create("fuzz-config", MFD_CLOEXEC);
    char path[64], *err = NULL;

    if (!c || fd < 0 || write(fd, data, size) != (ssize_t)size) {
        abort();
    }
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    (void)cb_config_parse_file(c, path, &err);
    free(err);
    close(fd);
    cb_config_free(c);
    return 0;
}
