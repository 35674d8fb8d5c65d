/* SPDX-License-Identifier: MIT */
/* URLs: the check and query building of http, and the form logs show. */
#include <stdlib.h>
#include <string.h>

#include "services/net/net-internal.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    return 0;
}

/* The password curl finds in the URL, if any. */
static char *password_of(const char *url)
{
    CURLU *u = curl_url();
    char *pw = NULL, *copy = NULL;

    if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_PASSWORD, &pw, 0) == CURLUE_OK && pw) {
        copy = strdup(pw);
    }
    curl_free(pw);
    curl_url_cleanup(u);
    return copy;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *url = fuzz_strdup(data, size), *built = NULL, *logged, *pw;
    struct cb_error err = CB_ERROR_INIT;
    json_t *query = json_pack("{ss si}", "q", "a b&c", "n", 1);
    const char *first;

    if (net_url_build(url, query, &built, &err) == 0) {
        free(built);
    }
    cb_error_clear(&err);
    logged = net_url_for_log(url);
    /* A password in the URL (long enough to be told apart from the rest) never reaches the
     * form logs show. */
    pw = password_of(url);
    first = pw && strlen(pw) >= 6 ? strstr(url, pw) : NULL;
    if (logged && first && !strstr(first + 1, pw) && strstr(logged, pw)) {
        abort();
    }
    free(pw);
    free(logged);
    json_decref(query);
    free(url);
    return 0;
}
