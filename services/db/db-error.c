/* SPDX-License-Identifier: MIT */
/* The last backend error of a connection or statement, as DBI's err, errstr and state. */
#include "services/db/db-internal.h"

#include <stdlib.h>
#include <string.h>

void db_last_error_clear(struct db_last_error *e)
{
    free(e->err);
    free(e->errstr);
    free(e->state);
    *e = (struct db_last_error){ 0 };
}

/* Only refusals by the database count: a missing handle is not the connection's error. */
void db_last_error_set(struct db_last_error *e, const struct cb_error *err)
{
    const char *code, *message;

    if (!err->set || err->code != CB_E_BACKEND || !err->backend_error) {
        return;
    }
    code = json_string_value(json_object_get(err->backend_error, "code"));
    message = json_string_value(json_object_get(err->backend_error, "message"));
    db_last_error_clear(e);
    e->err = strdup(code ? code : "1");
    e->errstr = strdup(message ? message : (err->message ? err->message : ""));
    e->state = strdup(code ? code : "");
}

static json_t *string_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

json_t *db_last_error_json(const struct db_last_error *e)
{
    return json_pack("{s:o, s:o, s:o}", "err", string_or_null(e->err), "errstr",
                     string_or_null(e->errstr), "state", string_or_null(e->state));
}
