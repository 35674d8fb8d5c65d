/* SPDX-License-Identifier: MIT */
/* cpan-bridge-client: one call, raw frames, or a benchmark, from the command line. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "common/cb-buf.h"
#include "common/cb-error.h"
#include "common/cb-json.h"
#include "common/cb-macro.h"
#include "tests/client/cb-client.h"
#include "tests/client/client-internal.h"

#define RAW_TIMEOUT_DEFAULT_MS  2000
#define CONNECT_TIMEOUT_MS      5000
#define BENCH_ANSWER_TIMEOUT_MS 30000

struct global_options {
    const char *socket_path;
    const char *exec_path;
    const char *session;
    int timeout_ms;
};

static void usage(FILE *f)
{
    fprintf(f,
            "usage: cpan-bridge-client [OPTIONS] call MODULE FUNCTION [PARAMS_JSON]\n"
            "       cpan-bridge-client [OPTIONS] raw [--timeout-ms N] [--half-close]\n"
            "       cpan-bridge-client [OPTIONS] bench --connections N --pipeline P\n"
            "           --requests TOTAL [--module M] [--function F] [--params JSON]\n"
            "           [--payload-bytes N] [--server-pid PID] [--timeout-ms N] [--channel]\n"
            "\n"
            "OPTIONS: --socket PATH | --exec PATH, --session TOKEN, --timeout-ms N\n"
            "\n"
            "call prints the answer on one line: exit 0 when it succeeded, 1 when it failed.\n"
            "raw sends stdin as it is and prints each frame received until EOF or a quiet\n"
            "timeout (default 2000 ms). bench prints one line of key=value results.\n"
            "Exit 2: a transport or usage error. --exec runs a one-shot process instead\n"
            "of connecting. The socket defaults to $CPAN_BRIDGE_SOCKET, else %s.\n",
            CB_CLIENT_SOCKET_DEFAULT);
}

static int parse_number(const char *s,
                        const char *what,
                        unsigned long long max,
                        unsigned long long *ret)
{
    unsigned long long v;
    char *end;

    errno = 0;
    v = strtoull(s, &end, 10);
    if (!*s || *end || errno != 0 || v > max || s[0] == '-') {
        fprintf(stderr, "cpan-bridge-client: %s '%s' is not a number from 0 to %llu\n", what, s,
                max);
        return -EINVAL;
    }
    *ret = v;
    return 0;
}

static int open_client(const struct global_options *g, struct cb_client **ret)
{
    const char *path;
    int r;

    if (g->exec_path) {
        r = cb_client_spawn_exec(g->exec_path, ret);
        if (r < 0) {
            fprintf(stderr, "cpan-bridge-client: cannot run '%s': %s\n", g->exec_path,
                    strerror(-r));
        }
        return r;
    }

    path = g->socket_path ? g->socket_path : cb_client_default_socket();
    r = cb_client_connect(path, CONNECT_TIMEOUT_MS, ret);
    if (r < 0) {
        fprintf(stderr, "cpan-bridge-client: cannot connect to '%s': %s\n", path, strerror(-r));
    }
    return r;
}

static int run_call(const struct global_options *g, int argc, char **argv)
{
    CB_CLEANUP(cb_client_freep) struct cb_client *c = NULL;
    struct cb_error err = CB_ERROR_INIT;
    CB_JSON_AUTO *response = NULL;
    CB_CLEANUP(cb_freep) char *text = NULL;
    json_t *params = NULL;
    int r;

    if (argc < 3 || argc > 4) {
        usage(stderr);
        return CLIENT_EXIT_TRANSPORT;
    }

    /* Any JSON value is sent as it is, so tests can send params that are not an object. */
    if (argc == 4 && cb_json_parse(argv[3], strlen(argv[3]), &params, &err) < 0) {
        fprintf(stderr, "cpan-bridge-client: PARAMS_JSON: %s\n", err.message);
        cb_error_clear(&err);
        return CLIENT_EXIT_TRANSPORT;
    }

    if (open_client(g, &c) < 0) {
        json_decref(params);
        return CLIENT_EXIT_TRANSPORT;
    }
    if (g->session && cb_client_set_session(c, g->session) < 0) {
        json_decref(params);
        return CLIENT_EXIT_TRANSPORT;
    }
    cb_client_set_timeout(c, g->timeout_ms);

    r = cb_client_call(c, argv[1], argv[2], params, &response);
    if (r < 0) {
        fprintf(stderr, "cpan-bridge-client: %s.%s: %s\n", argv[1], argv[2],
                r == -EPIPE ? "the connection closed before an answer" : strerror(-r));
        return CLIENT_EXIT_TRANSPORT;
    }

    text = cb_json_dump(response, NULL);
    if (!text) {
        return CLIENT_EXIT_TRANSPORT;
    }
    printf("%s\n", text);
    fflush(stdout);
    return cb_client_response_ok(response) ? CLIENT_EXIT_OK : CLIENT_EXIT_FAILED;
}

static int read_stdin(struct cb_buf *b)
{
    ssize_t n;

    for (;;) {
        char chunk[65536];

        n = read(STDIN_FILENO, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            return -errno;
        }
        if (n == 0) {
            return 0;
        }
        if (cb_buf_append(b, chunk, (size_t)n) < 0) {
            return -ENOMEM;
        }
    }
}

static int raw_loop(struct cb_client *c, int timeout_ms)
{
    char *payload;
    size_t len;
    int r;

    for (;;) {
        r = cb_client_recv_frame(c, timeout_ms, &payload, &len);
        if (r == -ETIMEDOUT || r == -EPIPE) {
            return CLIENT_EXIT_OK;
        }
        if (r == -EBADMSG) {
            fprintf(stderr, "cpan-bridge-client: received a zero-length frame\n");
            continue;
        }
        if (r < 0) {
            fprintf(stderr, "cpan-bridge-client: receiving: %s\n", strerror(-r));
            return CLIENT_EXIT_TRANSPORT;
        }

        fwrite(payload, 1, len, stdout);
        fputc('\n', stdout);
        fflush(stdout);
        free(payload);
    }
}

static int run_raw(const struct global_options *g, int argc, char **argv)
{
    static const struct option options[] = {
        { "timeout-ms", required_argument, NULL, 't' },
        { "half-close", no_argument, NULL, 'h' },
        {},
    };
    CB_CLEANUP(cb_client_freep) struct cb_client *c = NULL;
    struct cb_buf in = { 0 };
    unsigned long long v;
    int timeout_ms = g->timeout_ms >= 0 ? g->timeout_ms : RAW_TIMEOUT_DEFAULT_MS;
    bool half_close = false;
    int opt, r;

    optind = 0;
    while ((opt = getopt_long(argc, argv, "+", options, NULL)) >= 0) {
        switch (opt) {
        case 't':
            if (parse_number(optarg, "--timeout-ms", INT_MAX, &v) < 0) {
                return CLIENT_EXIT_TRANSPORT;
            }
            timeout_ms = (int)v;
            break;
        case 'h':
            half_close = true;
            break;
        default:
            usage(stderr);
            return CLIENT_EXIT_TRANSPORT;
        }
    }
    if (optind != argc) {
        usage(stderr);
        return CLIENT_EXIT_TRANSPORT;
    }

    r = read_stdin(&in);
    if (r < 0) {
        fprintf(stderr, "cpan-bridge-client: reading stdin: %s\n", strerror(-r));
        cb_buf_free(&in);
        return CLIENT_EXIT_TRANSPORT;
    }
    if (open_client(g, &c) < 0) {
        cb_buf_free(&in);
        return CLIENT_EXIT_TRANSPORT;
    }

    r = cb_client_send_raw(c, cb_buf_head(&in), cb_buf_pending(&in));
    cb_buf_free(&in);
    /* The peer may close as soon as it sees a broken frame; its answer is still worth reading. */
    if (r < 0 && r != -EPIPE && r != -ECONNRESET) {
        fprintf(stderr, "cpan-bridge-client: sending: %s\n", strerror(-r));
        return CLIENT_EXIT_TRANSPORT;
    }

    /* A one-shot process answers and exits only once its stdin ends. */
    if (half_close || g->exec_path) {
        (void)cb_client_shutdown_write(c);
    }
    return raw_loop(c, timeout_ms);
}

static int parse_bench_option(int opt, struct bench_options *o)
{
    unsigned long long v = 0;
    int r = 0;

    switch (opt) {
    case 'c':
        r = parse_number(optarg, "--connections", 100000, &v);
        o->connections = (unsigned)v;
        break;
    case 'p':
        r = parse_number(optarg, "--pipeline", 1000000, &v);
        o->pipeline = (unsigned)v;
        break;
    case 'n':
        r = parse_number(optarg, "--requests", 1ULL << 40, &v);
        o->requests = v;
        break;
    case 'm':
        o->module = optarg;
        break;
    case 'f':
        o->function = optarg;
        break;
    case 'j':
        o->params_json = optarg;
        break;
    case 'b':
        r = parse_number(optarg, "--payload-bytes", 1ULL << 32, &v);
        o->payload_bytes = (size_t)v;
        break;
    case 's':
        r = parse_number(optarg, "--server-pid", INT_MAX, &v);
        o->server_pid = (pid_t)v;
        break;
    case 't':
        r = parse_number(optarg, "--timeout-ms", INT_MAX, &v);
        o->answer_timeout_ms = (int)v;
        break;
    case 'T':
        o->session = optarg;
        break;
    case 'C':
        o->channel = true;
        break;
    default:
        r = -EINVAL;
        usage(stderr);
    }
    return r;
}

static int run_bench(const struct global_options *g, int argc, char **argv)
{
    static const struct option options[] = {
        { "connections", required_argument, NULL, 'c' },
        { "pipeline", required_argument, NULL, 'p' },
        { "requests", required_argument, NULL, 'n' },
        { "module", required_argument, NULL, 'm' },
        { "function", required_argument, NULL, 'f' },
        { "params", required_argument, NULL, 'j' },
        { "payload-bytes", required_argument, NULL, 'b' },
        { "server-pid", required_argument, NULL, 's' },
        { "timeout-ms", required_argument, NULL, 't' },
        { "session", required_argument, NULL, 'T' },
        { "channel", no_argument, NULL, 'C' },
        {},
    };
    struct bench_options o = {
        .socket_path = g->socket_path ? g->socket_path : cb_client_default_socket(),
        .session = g->session,
        .module = "test",
        .function = "ping",
        .connections = 1,
        .pipeline = 1,
        .requests = 10000,
        .answer_timeout_ms = g->timeout_ms >= 0 ? g->timeout_ms : BENCH_ANSWER_TIMEOUT_MS,
    };
    int opt;

    if (g->exec_path) {
        fprintf(stderr,
                "cpan-bridge-client: bench needs a socket; process mode is one call at a time\n");
        return CLIENT_EXIT_TRANSPORT;
    }

    optind = 0;
    while ((opt = getopt_long(argc, argv, "+", options, NULL)) >= 0) {
        if (parse_bench_option(opt, &o) < 0) {
            return CLIENT_EXIT_TRANSPORT;
        }
    }
    if (optind != argc || o.connections == 0 || o.pipeline == 0) {
        fprintf(stderr,
                "cpan-bridge-client: bench needs --connections and --pipeline of at least 1\n");
        return CLIENT_EXIT_TRANSPORT;
    }
    return client_bench_run(&o);
}

int main(int argc, char **argv)
{
    static const struct option options[] = {
        { "socket", required_argument, NULL, 'S' },  { "exec", required_argument, NULL, 'E' },
        { "session", required_argument, NULL, 'T' }, { "timeout-ms", required_argument, NULL, 't' },
        { "help", no_argument, NULL, 'h' },          {},
    };
    struct global_options g = { .timeout_ms = -1 };
    unsigned long long v;
    const char *cmd;
    int opt;

    while ((opt = getopt_long(argc, argv, "+h", options, NULL)) >= 0) {
        switch (opt) {
        case 'S':
            g.socket_path = optarg;
            break;
        case 'E':
            g.exec_path = optarg;
            break;
        case 'T':
            g.session = optarg;
            break;
        case 't':
            if (parse_number(optarg, "--timeout-ms", INT_MAX, &v) < 0) {
                return CLIENT_EXIT_TRANSPORT;
            }
            g.timeout_ms = (int)v;
            break;
        case 'h':
            usage(stdout);
            return CLIENT_EXIT_OK;
        default:
            usage(stderr);
            return CLIENT_EXIT_TRANSPORT;
        }
    }
    if (g.socket_path && g.exec_path) {
        fprintf(stderr, "cpan-bridge-client: --socket and --exec exclude each other\n");
        return CLIENT_EXIT_TRANSPORT;
    }
    if (optind >= argc) {
        usage(stderr);
        return CLIENT_EXIT_TRANSPORT;
    }

    cmd = argv[optind];
    argc -= optind;
    argv += optind;
    if (strcmp(cmd, "call") == 0) {
        return run_call(&g, argc, argv);
    }
    if (strcmp(cmd, "raw") == 0) {
        return run_raw(&g, argc, argv);
    }
    if (strcmp(cmd, "bench") == 0) {
        return run_bench(&g, argc, argv);
    }
    fprintf(stderr, "cpan-bridge-client: unknown command '%s'\n", cmd);
    usage(stderr);
    return CLIENT_EXIT_TRANSPORT;
}
