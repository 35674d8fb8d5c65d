/* SPDX-License-Identifier: MIT */
/* cpan-bridge-net: the net family daemon (and its one-shot mode). */
#include <curl/curl.h>

#include "services/net/net-internal.h"

int main(int argc, char **argv)
{
    int r;

    /* Before any thread exists: curl's global setup is not thread-safe on older versions. */
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        return 1;
    }
    r = cb_family_main(&net_family, argc, argv);
    curl_global_cleanup();
    return r;
}
