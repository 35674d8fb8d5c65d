/* SPDX-License-Identifier: MIT */
/* Per-request journal entries, when [logging] request_logging asks for them, and refusals. */
#include "common/cb-log-request.h"

#include <inttypes.h>
#include <stdio.h>

#include "common/cb-error.h"
#include "common/cb-log.h"
#include "common/cb-time.h"

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

static void report_suppressed(unsigned suppressed, uint64_t interval_usec)
{
    if (suppressed > 0) {
        cb_log_warning("Suppressed %u refusal entries in the last %llu s", suppressed,
                       (unsigned long long)(interval_usec / CB_USEC_PER_SEC));
    }
}

void cb_log_refusal(struct cb_ratelimit *rl, const struct cb_refusal_log *l)
{
    char uid[16], pid[16];
    struct cb_log_field fields[] = {
        { "CPAN_BRIDGE_MODULE", l->module },
        { "CPAN_BRIDGE_FUNCTION", l->function },
        { "CPAN_BRIDGE_CLIENT_UID", uid },
        { "CPAN_BRIDGE_CLIENT_PID", pid },
        { "CPAN_BRIDGE_ERROR_CODE", cb_error_code_to_string(l->code) },
        { NULL, NULL },
    };
    unsigned suppressed;

    if (!cb_ratelimit_take(rl, cb_now_monotonic_usec(), &suppressed)) {
        return;
    }
    report_suppressed(suppressed, rl->interval_usec);
    snprintf(uid, sizeof uid, "%u", (unsigned)l->uid);
    snprintf(pid, sizeof pid, "%d", (int)l->pid);
    /* Refusals are warnings (DESIGN.md "Observability"); validation errors are the caller's. */
    cb_log_full(l->security ? LOG_WARNING : LOG_INFO, 0, CB_MESSAGE_REQUEST_REFUSED, fields,
                "Refused %s%s from uid %u pid %d: %s", l->what, l->where ? l->where : "",
                (unsigned)l->uid, (int)l->pid, l->error ? l->error : "");
}

void cb_log_refusals_flush(struct cb_ratelimit *rl, uint64_t now_usec)
{
    /* A flood that stopped still gets its count told, within a second of its interval. */
    if (rl->suppressed > 0 && now_usec - rl->begin_usec >= rl->interval_usec) {
        report_suppressed(rl->suppressed, rl->interval_usec);
        rl->suppressed = 0;
        rl->taken = 0;
        rl->begin_usec = now_usec;
    }
}
