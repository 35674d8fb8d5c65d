/* SPDX-License-Identifier: MIT */
/*
 * Screening a call's parameters by content inspection (DESIGN.md "Security"): every `text`
 * parameter, and every string inside the open parameters of test.ping and test.echo. Other
 * types are checked by their own kind's rules and carried as they are.
 */
#pragma once

#include <jansson.h>

#include "common/cb-catalogue.h"
#include "common/cb-error.h"
#include "common/cb-inspect.h"

struct cb_screen_finding {
    struct cb_inspect_finding finding;
    char parameter[64]; /* the top-level parameter that held it */
};

/*
 * Inspects the parameters (as cb_catalogue_check_params() left them). Returns 0 when clean,
 * or -EPERM with reterr set to E_SECURITY naming the parameter and the kind (never the
 * value) and *ret filled in (ret may be NULL).
 */
int cb_screen_params(const struct cb_function *function,
                     json_t *params,
                     struct cb_screen_finding *ret,
                     struct cb_error *reterr);
