/* SPDX-License-Identifier: MIT */
/* What client-main.c and client-bench.c share inside the CLI. */
#pragma once

#include <stdbool.h>

#include <stddef.h>
#include <sys/types.h>

/* Exit codes of the CLI. */
#define CLIENT_EXIT_OK        0
#define CLIENT_EXIT_FAILED    1 /* answered, but "success" was false (or a bad answer) */
#define CLIENT_EXIT_TRANSPORT 2 /* could not talk at all, or a usage error */

struct bench_options {
    const char *socket_path;
    const char *session;
    const char *module;
    const char *function;
    const char *params_json; /* an object; NULL for {} */
    size_t payload_bytes;    /* adds "payload": "xxx..." of this many bytes to params */
    unsigned connections;
    unsigned pipeline;
    unsigned long long requests;
    int answer_timeout_ms; /* a connection that hears nothing for this long has failed */
    pid_t server_pid;      /* > 0: also report that process's CPU time per call */
    bool channel;          /* each connection first asks for a channel (system.channel) */
};

/* Runs the benchmark and prints its one result line. Returns a CLIENT_EXIT_* code. */
int client_bench_run(const struct bench_options *o);
