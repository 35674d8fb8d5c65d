# SPDX-License-Identifier: MIT
# The content inspector's benchmark over tests/corpus/. Include from the top Makefile after
# tests/build.mk; `make bench` can then run `$(B)/cb-bench-inspect .` (prints median_ns=...).
# The corpora themselves are committed; tests/corpus/gen-corpus.py rebuilds them from the
# hand-written *.in files (Python 3 standard library only), so the build never runs it.

PROGRAMS += $(B)/cb-bench-inspect

$(B)/cb-bench-inspect: $(B)/tests/bench/bench-inspect.o $(COMMON_LIB)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

.PHONY: bench-inspect
bench-inspect: $(B)/cb-bench-inspect
	$(B)/cb-bench-inspect .

