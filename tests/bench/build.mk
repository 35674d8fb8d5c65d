# SPDX-License-Identifier: MIT
# tests/bench: micro-benchmarks that make bench runs (they print, and assert nothing).

# Validation of whole requests over the same corpora (make bench prints it).
PROGRAMS += $(B)/cb-bench-validate

$(B)/cb-bench-validate: $(B)/tests/bench/bench-validate.o $(COMMON_LIB)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

# The cost of metrics on the router's request path.
PROGRAMS += $(B)/cb-bench-metrics

$(B)/cb-bench-metrics: $(B)/tests/bench/bench-metrics.o $(ROUTER_LIB) $(COMMON_LIB)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

# excel.write_rows against libxlsxwriter itself (issue 10).
PROGRAMS += $(B)/cb-bench-excel

$(B)/tests/bench/bench-excel.o: ALL_CFLAGS += $(OFFICE_CFLAGS)

$(B)/cb-bench-excel: $(B)/tests/bench/bench-excel.o $(B)/libcb-client.a $(COMMON_LIB)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(OFFICE_LIBS) $(LIBS)
