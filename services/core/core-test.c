/* SPDX-License-Identifier: MIT */
/* Module test: the probes that prove the suite's framing, sessions, handles and timing. */
#include "services/core/core-internal.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#include "common/cb-time.h"

int core_test_ping(struct cb_call *call, json_t **ret, struct cb_error *err CB_UNUSED)
{
    double uptime = (double)(cb_now_monotonic_usec() - call->process_start_usec) / 1e6;
    char now[CB_ISO_TIME_MAX];

    *ret = json_pack("{s:s, s:s, s:s, s:s, s:f, s:s, s:s, s:O}", "message", "pong", "version",
                     CB_VERSION, "daemon_version", CB_VERSION, "platform", cb_platform_string(),
                     "uptime", uptime, "mode", call->process_mode ? "process" : "daemon",
                     "timestamp", cb_format_iso_time(cb_now_realtime_usec(), now, sizeof now),
                     "input", call->params);
    return 0;
}

int core_test_echo(struct cb_call *call, json_t **ret, struct cb_error *err CB_UNUSED)
{
    *ret = json_incref(call->params);
    return 0;
}

static int check_duration(struct cb_call *call, int64_t *ret_ms, struct cb_error *err)
{
    int64_t ms = cb_json_get_int(call->params, "ms", 0);

    if ((uint64_t)ms > call->config->test_max_sleep_ms) {
        return cb_error_set(
                err, CB_E_INVALID_PARAM,
                "parameter 'ms' is over the configured maximum of %llu ([test] max_sleep_ms)",
                (unsigned long long)call->config->test_max_sleep_ms);
    }
    *ret_ms = ms;
    return 0;
}

int core_test_sleep(struct cb_call *call, json_t **ret, struct cb_error *err)
{
    struct timespec ts;
    int64_t ms = 0;
    int r;

    r = check_duration(call, &ms, err);
    if (r < 0) {
        return r;
    }
    ts = (struct timespec){ .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000 };
    /* Even a zero nanosleep waits out the timer slack (about 50 us): skip it. */
    while (ms > 0 && nanosleep(&ts, &ts) < 0 && errno == EINTR) {
    }
    *ret = json_pack("{s:I}", "slept_ms", (json_int_t)ms);
    return 0;
}

int core_test_spin(struct cb_call *call, json_t **ret, struct cb_error *err)
{
    struct timespec ts;
    uint64_t start, target;
    int64_t ms = 0;
    int r;

    r = check_duration(call, &ms, err);
    if (r < 0) {
        return r;
    }
    /* Thread CPU time, so that the call really burns `ms` of CPU on a busy machine. */
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    start = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
    target = start + (uint64_t)ms * 1000000ULL;
    do {
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    } while ((uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec < target);

    *ret = json_pack("{s:I}", "spun_ms", (json_int_t)ms);
    return 0;
}

int core_test_error(struct cb_call *call, json_t **ret CB_UNUSED, struct cb_error *err)
{
    const char *code = cb_json_get_string(call->params, "code", "E_BACKEND");
    const char *message = cb_json_get_string(call->params, "message", "");
    enum cb_error_code c = cb_error_code_from_string(code);

    if (c < 0) {
        return cb_error_set(err, CB_E_INVALID_PARAM,
                            "parameter 'code' is not one of the error codes of API.md 1.5");
    }
    if (c == CB_E_BACKEND) {
        return cb_error_set_backend(err, "TEST", message, "%s", message);
    }
    return cb_error_set(err, c, "%s", message);
}

int core_test_hold(struct cb_call *call, json_t **ret, struct cb_error *err)
{
    const char *id;
    int r;

    /* A test handle holds nothing but its own existence. */
    r = cb_handle_create(call->registry, call->session, "test_handle", "test-h", NULL, NULL, &id,
                         err);
    if (r < 0) {
        return r;
    }
    *ret = json_pack("{s:s}", "handle_id", id);
    return 0;
}

int core_test_held(struct cb_call *call, json_t **ret, struct cb_error *err CB_UNUSED)
{
    const char *id = cb_json_get_string(call->params, "handle_id", "");

    *ret = json_pack("{s:b}", "exists", cb_handle_exists(call->registry, id));
    return 0;
}

int core_test_release(struct cb_call *call, json_t **ret, struct cb_error *err)
{
    const char *id = cb_json_get_string(call->params, "handle_id", NULL);
    struct cb_handle *h;
    json_t *result;
    int r;

    r = cb_handle_acquire(call->registry, call->session, "test_handle", id, &h, err);
    if (r < 0) {
        return r;
    }
    result = json_pack("{s:s, s:b}", "handle_id", h->id, "released", 1);
    cb_handle_end(call->registry, h, "released by test.release");
    *ret = result;
    return 0;
}

int core_test_counter(struct cb_call *call, json_t **ret, struct cb_error *err CB_UNUSED)
{
    struct core_session *s = call->session->family_data;

    *ret = json_pack("{s:I}", "value", (json_int_t)++s->counter);
    return 0;
}
