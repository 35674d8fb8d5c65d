/* SPDX-License-Identifier: MIT */
/* DBI DSNs: the parser, the key lookup and the form with the password taken out. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "services/db/db-internal.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    return 0;
}

/* Whether needle occurs exactly once in hay. */
static bool once(const char *hay, const char *needle)
{
    const char *first = strstr(hay, needle);

    return first && !strstr(first + 1, needle);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_strdup(data, size), *shown = db_dsn_shown(text), *password = NULL;
    struct cb_error err = CB_ERROR_INIT;
    struct db_dsn d = { 0 };

    if (db_dsn_parse(text, &d, &err) == 0) {
        const char *pw = db_dsn_get(&d, "password");

        (void)db_dsn_get(&d, "dbname");
        password = pw ? strdup(pw) : NULL;
        db_dsn_done(&d);
    }
    cb_error_clear(&err);
    /* A password the parser found (long enough to be told apart from the rest of the text)
     * never shows in the form logs and messages use. */
    if (shown && password && strlen(password) >= 6 && once(text, password) &&
        strstr(shown, password)) {
        abort();
    }
    free(password);
    free(shown);
    free(text);
    return 0;
}
