/* SPDX-License-Identifier: MIT */
/* Content inspection of a free-text value: the decoders and every detector on any bytes. */
#include "common/cb-inspect.h"
#include "common/cb-utf8.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cb_inspect_finding f;

    /* The router inspects JSON strings only, which are valid UTF-8. */
    if (!cb_utf8_valid(data, size)) {
        return 0;
    }
    (void)cb_inspect_text((const char *)data, size, &f);
    return 0;
}
