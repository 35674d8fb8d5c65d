/* SPDX-License-Identifier: MIT */
/*
 * What every fuzz target defines (libFuzzer's entry points). The same file links either into
 * a libFuzzer binary (make fuzz, clang) or into a replay program that runs the saved corpus
 * and every past crash as a regression test (make check, any compiler).
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A NUL-terminated copy of the input (targets whose code under test takes C strings). */
char *fuzz_strdup(const uint8_t *data, size_t size);
