/* SPDX-License-Identifier: MIT */
/* A client's request frame: the envelope's checks, then the catalogue's validation of its
 * parameters (names, aliases, types, ranges, defaults) for the function it names. */
#include "common/cb-catalogue.h"
#include "common/cb-envelope.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const struct cb_limits limits = CB_LIMITS_DEFAULT;
    struct cb_error err = CB_ERROR_INIT;
    const struct cb_module *m;
    const struct cb_function *f;
    struct cb_request req = { 0 };
    json_t *id = NULL, *checked = NULL;

    if (cb_request_parse((const char *)data, size, CB_ORIGIN_CLIENT, &limits, &req, &id, &err) <
        0) {
        json_decref(id);
        cb_error_clear(&err);
        return 0;
    }
    if (cb_catalogue_resolve(req.module, req.function, &m, &f, &err) == 0 &&
        cb_catalogue_check_params(f, req.params, &checked, &err) == 0) {
        json_decref(checked);
    }
    cb_error_clear(&err);
    cb_request_done(&req);
    return 0;
}
