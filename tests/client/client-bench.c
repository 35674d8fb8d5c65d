/* SPDX-License-Identifier: MIT */
/* The benchmark: N connections, P requests in flight on each, every answer checked. */
#include "tests/client/client-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <jansson.h>

#include "common/cb-buf.h"
#include "common/cb-error.h"
#include "common/cb-frame.h"
#include "common/cb-json.h"
#include "common/cb-macro.h"
#include "common/cb-time.h"
#include "tests/client/cb-client.h"

#define BENCH_CONNECT_TIMEOUT_MS 5000
#define BENCH_ID_MAX             24 /* `{"id":` and 20 digits and `,` */

struct bench_conn {
    const struct bench_options *o;
    const char *tail; /* the request after its id: `"module":...}` */
    size_t tail_len;
    pthread_barrier_t *start;
    uint64_t n_requests;
    uint64_t *sent_at;    /* by id - 1: monotonic usec, 0 once answered */
    uint32_t *latency_us; /* one per answer whose id was in flight, in answer order */
    uint64_t n_latencies;
    uint64_t n_answers;
    uint64_t n_errors; /* answers that failed or carried a wrong id */
    int transport_error;
    char first_error[256];
    pthread_t thread;
};

static void note_error(struct bench_conn *bc, const char *fmt, ...) CB_PRINTF(2, 3);

/* Only the first problem of a connection is kept: later ones are usually its echoes. */
static void note_error(struct bench_conn *bc, const char *fmt, ...)
{
    va_list ap;

    if (bc->first_error[0]) {
        return;
    }
    va_start(ap, fmt);
    vsnprintf(bc->first_error, sizeof bc->first_error, fmt, ap);
    va_end(ap);
}

static int queue_request(struct bench_conn *bc, struct cb_buf *out, uint64_t id)
{
    char head[BENCH_ID_MAX + 1];
    char header[CB_FRAME_HEADER_SIZE];
    size_t len;
    int n;
    int r;

    n = snprintf(head, sizeof head, "{\"id\":%" PRIu64 ",", id);
    len = (size_t)n + bc->tail_len;
    header[0] = (char)(len >> 24);
    header[1] = (char)(len >> 16);
    header[2] = (char)(len >> 8);
    header[3] = (char)len;

    r = cb_buf_append(out, header, sizeof header);
    if (r == 0) {
        r = cb_buf_append(out, head, (size_t)n);
    }
    if (r == 0) {
        r = cb_buf_append(out, bc->tail, bc->tail_len);
    }
    return r;
}

static void check_answer(struct bench_conn *bc, const char *payload, size_t len, uint64_t now)
{
    struct cb_error err = CB_ERROR_INIT;
    CB_JSON_AUTO *v = NULL;
    json_t *id;
    uint64_t n;

    bc->n_answers++;
    if (cb_json_parse(payload, len, &v, &err) < 0) {
        note_error(bc, "an answer does not parse: %s", err.message ? err.message : "?");
        cb_error_clear(&err);
        bc->n_errors++;
        return;
    }

    id = json_object_get(v, "id");
    n = json_is_integer(id) ? (uint64_t)json_integer_value(id) : 0;
    if (n == 0 || n > bc->n_requests || bc->sent_at[n - 1] == 0) {
        note_error(bc, "an answer carries an id that is not in flight");
        bc->n_errors++;
        return;
    }
    bc->latency_us[bc->n_latencies++] = (uint32_t)CB_MIN(now - bc->sent_at[n - 1], UINT32_MAX);
    bc->sent_at[n - 1] = 0;

    if (!cb_client_response_ok(v)) {
        note_error(bc, "an answer failed: %s", cb_json_get_string(v, "error", "(no error text)"));
        bc->n_errors++;
    }
}

static int read_answers(struct bench_conn *bc, int fd, struct cb_buf *in)
{
    const char *payload;
    size_t len;
    ssize_t n;
    int r;

    /* One read per poll: what is left makes the next poll return at once, and a read that
     * would only say EAGAIN costs a system call per answer when P is 1. */
    n = cb_buf_read_fd(in, fd, 0);
    if (n == 0) {
        return -EPIPE;
    }
    if (n < 0 && n != -EAGAIN) {
        return (int)n;
    }

    for (;;) {
        r = cb_frame_next(in, CB_CLIENT_FRAME_LIMIT, &payload, &len, NULL);
        if (r == 0) {
            return 0;
        }
        if (r < 0) {
            return r;
        }
        check_answer(bc, payload, len, cb_now_monotonic_usec());
    }
}

static int bench_loop(struct bench_conn *bc, int fd)
{
    struct cb_buf in = { 0 }, out = { 0 };
    uint64_t sent = 0;
    int r = 0;

    while (bc->n_answers < bc->n_requests) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        uint64_t now = cb_now_monotonic_usec();

        while (sent < bc->n_requests && sent - bc->n_answers < bc->o->pipeline) {
            r = queue_request(bc, &out, sent + 1);
            if (r < 0) {
                goto out;
            }
            bc->sent_at[sent++] = now;
        }

        r = (int)cb_buf_write_fd(&out, fd);
        if (r < 0 && r != -EAGAIN) {
            goto out;
        }
        if (cb_buf_pending(&out) > 0) {
            p.events |= POLLOUT;
        }

        r = poll(&p, 1, bc->o->answer_timeout_ms);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r < 0) {
            r = -errno;
            goto out;
        }
        if (r == 0) {
            r = -ETIMEDOUT;
            goto out;
        }
        if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
            r = read_answers(bc, fd, &in);
            if (r < 0) {
                goto out;
            }
        }
        r = 0;
    }

out:
    cb_buf_free(&in);
    cb_buf_free(&out);
    return r;
}

/* The connection is handed to the module's instance (DESIGN.md "Channels"); not timed. */
static int open_channel(struct cb_client *c, const struct bench_options *o)
{
    CB_JSON_AUTO *answer = NULL;
    int r;

    if (o->session) {
        r = cb_client_set_session(c, o->session);
        if (r < 0) {
            return r;
        }
    }
    r = cb_client_call(c, "system", "channel", json_pack("{s:s}", "module", o->module), &answer);
    if (r < 0) {
        return r;
    }
    return cb_client_response_ok(answer) ? 0 : -ECONNREFUSED;
}

static void *bench_thread(void *userdata)
{
    struct bench_conn *bc = userdata;
    CB_CLEANUP(cb_client_freep) struct cb_client *c = NULL;
    int fd = -1;
    int r;

    r = cb_client_connect(bc->o->socket_path, BENCH_CONNECT_TIMEOUT_MS, &c);
    if (r == 0 && bc->o->channel) {
        r = open_channel(c, bc->o);
    }
    if (r == 0) {
        fd = cb_client_fd(c);
        if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0) {
            r = -errno;
        }
    }

    /* Every thread waits here, so connecting is not timed and all start together. */
    (void)pthread_barrier_wait(bc->start);
    if (r < 0) {
        bc->transport_error = r;
        note_error(bc, "cannot connect to '%s'", bc->o->socket_path);
        return NULL;
    }

    r = bench_loop(bc, fd);
    if (r < 0) {
        bc->transport_error = r;
    }
    return NULL;
}

/* The request without its id, e.g. `"module":"test","function":"ping","params":{}}`. */
static char *build_tail(const struct bench_options *o, size_t *ret_len)
{
    struct cb_error err = CB_ERROR_INIT;
    CB_JSON_AUTO *params = NULL;
    CB_JSON_AUTO *req = NULL;
    CB_CLEANUP(cb_freep) char *text = NULL;
    CB_CLEANUP(cb_freep) char *fill = NULL;
    char *tail;
    size_t len;

    if (o->params_json) {
        if (cb_json_parse(o->params_json, strlen(o->params_json), &params, &err) < 0 ||
            !json_is_object(params)) {
            fprintf(stderr, "cpan-bridge-client: --params is not a JSON object: %s\n",
                    err.message ? err.message : "another type");
            cb_error_clear(&err);
            return NULL;
        }
    } else {
        params = json_object();
    }
    if (o->payload_bytes > 0) {
        fill = malloc(o->payload_bytes);
        if (!fill) {
            return NULL;
        }
        memset(fill, 'x', o->payload_bytes);
        json_object_set_new(params, "payload", json_stringn(fill, o->payload_bytes));
    }

    req = json_pack("{s:s, s:s, s:O}", "module", o->module, "function", o->function, "params",
                    params);
    if (!req) {
        return NULL;
    }
    if (o->session) {
        json_object_set_new(req, "session", json_string(o->session));
    }
    text = cb_json_dump(req, &len);
    if (!text) {
        return NULL;
    }

    tail = strdup(text + 1);
    if (tail) {
        *ret_len = len - 1;
    }
    return tail;
}

static int compare_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

    return (x > y) - (x < y);
}

static uint32_t percentile(const uint32_t *sorted, uint64_t n, double q)
{
    if (n == 0) {
        return 0;
    }
    return sorted[(uint64_t)((double)(n - 1) * q + 0.5)];
}

static uint64_t rusage_usec(const struct timeval *tv)
{
    return (uint64_t)tv->tv_sec * CB_USEC_PER_SEC + (uint64_t)tv->tv_usec;
}

/* utime + stime of another process in usec, from /proc; 0 when it cannot be read. */
static uint64_t process_cpu_usec(pid_t pid)
{
    unsigned long long utime = 0, stime = 0;
    char path[64], buf[1024];
    const char *p;
    FILE *f;
    size_t n;

    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    f = fopen(path, "re");
    if (!f) {
        return 0;
    }
    n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';

    /* The command name may hold spaces and parentheses: fields count from the last ')'. */
    p = strrchr(buf, ')');
    if (!p || sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime,
                     &stime) != 2) {
        return 0;
    }
    return (utime + stime) * CB_USEC_PER_SEC / (uint64_t)sysconf(_SC_CLK_TCK);
}

struct bench_totals {
    uint64_t answers, errors, lost;
    unsigned failed_connections;
    uint32_t *latencies;
    uint64_t n_latencies;
};

static int collect(struct bench_conn *conns, unsigned n, struct bench_totals *t)
{
    uint64_t total = 0, k = 0;

    for (unsigned i = 0; i < n; i++) {
        total += conns[i].n_answers;
    }
    t->latencies = malloc(sizeof(uint32_t) * (total ? total : 1));
    if (!t->latencies) {
        return -ENOMEM;
    }

    for (unsigned i = 0; i < n; i++) {
        struct bench_conn *bc = &conns[i];

        t->answers += bc->n_answers;
        t->errors += bc->n_errors;
        t->lost += bc->n_requests - bc->n_answers;
        if (bc->transport_error < 0) {
            t->failed_connections++;
        }
        memcpy(t->latencies + k, bc->latency_us, sizeof(uint32_t) * bc->n_latencies);
        k += bc->n_latencies;
    }
    t->n_latencies = k;
    qsort(t->latencies, k, sizeof(uint32_t), compare_u32);
    return 0;
}

static void report_errors(struct bench_conn *conns, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        struct bench_conn *bc = &conns[i];

        if (bc->transport_error < 0) {
            fprintf(stderr,
                    "cpan-bridge-client: connection %u failed after %" PRIu64 " answers: %s%s%s\n",
                    i, bc->n_answers, strerror(-bc->transport_error),
                    bc->first_error[0] ? "; " : "", bc->first_error);
            return;
        }
        if (bc->first_error[0]) {
            fprintf(stderr, "cpan-bridge-client: connection %u: %s\n", i, bc->first_error);
            return;
        }
    }
}

static int bench_setup(const struct bench_options *o,
                       struct bench_conn *conns,
                       const char *tail,
                       size_t tail_len,
                       pthread_barrier_t *start)
{
    unsigned long long each = o->requests / o->connections;
    unsigned long long extra = o->requests % o->connections;

    for (unsigned i = 0; i < o->connections; i++) {
        struct bench_conn *bc = &conns[i];

        *bc = (struct bench_conn){
            .o = o,
            .tail = tail,
            .tail_len = tail_len,
            .start = start,
            .n_requests = each + (i < extra ? 1 : 0),
        };
        bc->sent_at = calloc(bc->n_requests ? bc->n_requests : 1, sizeof(uint64_t));
        bc->latency_us = calloc(bc->n_requests ? bc->n_requests : 1, sizeof(uint32_t));
        if (!bc->sent_at || !bc->latency_us) {
            return -ENOMEM;
        }
    }
    return 0;
}

static void print_results(const struct bench_options *o,
                          const struct bench_totals *t,
                          uint64_t elapsed_usec,
                          const struct rusage *ru0,
                          const struct rusage *ru1,
                          int64_t server_cpu_usec)
{
    double seconds = (double)elapsed_usec / 1e6;
    double calls = t->answers ? (double)t->answers : 1.0;
    uint64_t user = rusage_usec(&ru1->ru_utime) - rusage_usec(&ru0->ru_utime);
    uint64_t sys = rusage_usec(&ru1->ru_stime) - rusage_usec(&ru0->ru_stime);

    printf("calls=%" PRIu64 " errors=%" PRIu64 " lost=%" PRIu64 " failed_connections=%u"
           " connections=%u pipeline=%u payload_bytes=%zu seconds=%.3f calls_per_sec=%.0f"
           " p50_us=%u p90_us=%u p99_us=%u max_us=%u cpu_user_us_per_call=%.2f"
           " cpu_sys_us_per_call=%.2f",
           t->answers, t->errors + t->lost, t->lost, t->failed_connections, o->connections,
           o->pipeline, o->payload_bytes, seconds, seconds > 0 ? (double)t->answers / seconds : 0,
           percentile(t->latencies, t->n_latencies, 0.50),
           percentile(t->latencies, t->n_latencies, 0.90),
           percentile(t->latencies, t->n_latencies, 0.99),
           t->n_latencies ? t->latencies[t->n_latencies - 1] : 0, (double)user / calls,
           (double)sys / calls);
    if (server_cpu_usec >= 0) {
        printf(" server_cpu_us_per_call=%.2f", (double)server_cpu_usec / calls);
    }
    printf("\n");
    fflush(stdout);
}

int client_bench_run(const struct bench_options *o)
{
    CB_CLEANUP(cb_freep) char *tail = NULL;
    struct bench_totals totals = { 0 };
    struct bench_conn *conns;
    pthread_barrier_t start;
    struct rusage ru0, ru1;
    uint64_t t0, t1, cpu0 = 0;
    int64_t server_cpu = -1;
    size_t tail_len = 0;
    unsigned started = 0;
    int ret = CLIENT_EXIT_TRANSPORT;

    tail = build_tail(o, &tail_len);
    if (!tail) {
        return CLIENT_EXIT_TRANSPORT;
    }
    conns = calloc(o->connections, sizeof *conns);
    if (!conns || bench_setup(o, conns, tail, tail_len, &start) < 0) {
        fprintf(stderr, "cpan-bridge-client: out of memory\n");
        goto out;
    }

    (void)pthread_barrier_init(&start, NULL, o->connections + 1);
    for (; started < o->connections; started++) {
        if (pthread_create(&conns[started].thread, NULL, bench_thread, &conns[started]) != 0) {
            fprintf(stderr, "cpan-bridge-client: cannot start thread %u\n", started);
            abort();
        }
    }

    (void)pthread_barrier_wait(&start);
    if (o->server_pid > 0) {
        cpu0 = process_cpu_usec(o->server_pid);
    }
    getrusage(RUSAGE_SELF, &ru0);
    t0 = cb_now_monotonic_usec();

    for (unsigned i = 0; i < started; i++) {
        (void)pthread_join(conns[i].thread, NULL);
    }

    t1 = cb_now_monotonic_usec();
    getrusage(RUSAGE_SELF, &ru1);
    if (o->server_pid > 0) {
        server_cpu = (int64_t)(process_cpu_usec(o->server_pid) - cpu0);
    }
    (void)pthread_barrier_destroy(&start);

    if (collect(conns, o->connections, &totals) < 0) {
        fprintf(stderr, "cpan-bridge-client: out of memory\n");
        goto out;
    }
    print_results(o, &totals, t1 - t0, &ru0, &ru1, server_cpu);
    report_errors(conns, o->connections);

    if (totals.failed_connections > 0) {
        ret = CLIENT_EXIT_TRANSPORT;
    } else {
        ret = totals.errors > 0 ? CLIENT_EXIT_FAILED : CLIENT_EXIT_OK;
    }

out:
    for (unsigned i = 0; conns && i < o->connections; i++) {
        free(conns[i].sent_at);
        free(conns[i].latency_us);
    }
    free(conns);
    free(totals.latencies);
    return ret;
}
