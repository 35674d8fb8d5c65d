/* SPDX-License-Identifier: MIT */
/* The frame reader on any byte stream, fed in the chunks a socket might deliver, and the JSON
 * parser on every whole frame it yields. */
#include <string.h>

#include "common/cb-buf.h"
#include "common/cb-frame.h"
#include "common/cb-json.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cb_buf in = { 0 };
    /* The first byte picks the chunk size, so that headers split across reads are covered. */
    size_t chunk = size ? (size_t)(data[0] % 17) + 1 : 1;

    for (size_t off = size ? 1 : 0; off < size; off += chunk) {
        const char *payload;
        size_t len, n = size - off < chunk ? size - off : chunk;
        uint64_t announced;
        int r;

        if (cb_buf_append(&in, data + off, n) < 0) {
            break;
        }
        while ((r = cb_frame_next(&in, 4096, &payload, &len, &announced)) != 0) {
            if (r == 1) {
                struct cb_error err = CB_ERROR_INIT;
                json_t *v = NULL;

                if (cb_json_parse(payload, len, &v, &err) == 0) {
                    json_decref(v);
                }
                cb_error_clear(&err);
            } else if (r == -E2BIG) {
                cb_buf_free(&in);
                return 0; /* the stream cannot be resynchronised: the router closes it */
            }
        }
        (void)cb_frame_partial(&in);
    }
    cb_buf_free(&in);
    return 0;
}
