/* SPDX-License-Identifier: MIT */
/* Per-request journal entries, when [logging] request_logging asks for them. */
#include "common/cb-log-request.h"

#include <inttypes.h>
#include <stdio.h>

#include "common/cb-log.h"

void cb_log_request(const struct cb_request_log *l, unsigned sample, uint64_t *seen)
{
    char uid[16], pid[16], usec[24];
    struct cb_log_field fields[] = {
        { "CPAN_BRIDGE_MODULE", l->module },
        { "CPAN_BRIDGE_FUNCTION", l->function },
        { "CPAN_BRIDGE_REQUEST_ID", l->request_id },
        { "CPAN_BRIDGE_SESSION", l->session },
        { "CPAN_BRIDGE_CLIENT_UID", uid },
        { "CPAN_BRIDGE_CLIENT_PID", pid },
        { "CPAN_BRIDGE_DURATION_US", usec },
        { "CPAN_BRIDGE_ERROR_CODE", l->error_code },
        { NULL, NULL },
    };

    /* One in N keeps a busy host under journald's rate limit (DESIGN.md "Observability"). */
    if (sample == 0 || (*seen)++ % sample != 0) {
        return;
    }
    snprintf(uid, sizeof uid, "%u", (unsigned)l->uid);
    snprintf(pid, sizeof pid, "%d", (int)l->pid);
    snprintf(usec, sizeof usec, "%" PRIu64, l->duration_usec);
    cb_log_full(LOG_DEBUG, 0, CB_MESSAGE_REQUEST, fields, "%s.%s from uid %s: %s in %s us",
                l->module ? l->module : "?", l->function ? l->function : "?", uid,
                l->error_code ? l->error_code : "ok", usec);
}
