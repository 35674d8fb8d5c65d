/* SPDX-License-Identifier: MIT */
/* Mail addresses: the RFC 5322 addr-spec check and the parser of address lists. */
#include <stdlib.h>

#include "services/net/net-internal.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_strdup(data, size);
    struct cb_error err = CB_ERROR_INIT;
    struct net_address *list = NULL;
    const char *why = NULL;
    json_t *v;
    size_t n = 0;

    (void)net_addr_spec_valid(text, &why);
    /* As a parameter: "Name <a@b>, c@d" lists, display names, quoting. */
    v = json_string(text);
    if (v && net_address_list(v, "to", &list, &n, &err) == 0) {
        net_address_list_free(list, n);
    }
    cb_error_clear(&err);
    json_decref(v);
    free(text);
    return 0;
}
