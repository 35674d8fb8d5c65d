# SPDX-License-Identifier: MIT
# tests/: Check unit tests, the C test client, integration tests and benchmarks.

# The client library, for the CLI and for any test that talks to a daemon.
CLIENT_LIB  := $(B)/libcb-client.a
CLIENT_OBJS := $(B)/tests/client/cb-client.o

$(CLIENT_LIB): $(CLIENT_OBJS)
	@rm -f $@
	@$(if $(Q),echo "  AR      $@")
	$(Q)$(AR) rcs $@ $^

PROGRAMS += $(B)/cpan-bridge-client $(B)/cb-echo-server

$(B)/cpan-bridge-client: $(B)/tests/client/client-main.o $(B)/tests/client/client-bench.o \
		$(CLIENT_LIB) $(COMMON_LIB)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

$(B)/cb-echo-server: $(B)/tests/client/echo-server.o $(COMMON_LIB)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

# Unit tests: tests/unit/test-<basename>.c tests common/<basename>.c, one binary each. A test
# whose module is not written yet is left out, so the suite builds while common/ grows.
UNIT_TEST_NAMES := $(basename $(notdir $(wildcard tests/unit/test-*.c)))
UNIT_TEST_NAMES := $(foreach t,$(UNIT_TEST_NAMES),\
	$(if $(wildcard common/$(t:test-%=%).c common/$(t:test-%=%)-*.c tests/client/$(t:test-%=%).c),$(t)))
TESTS_UNIT += $(UNIT_TEST_NAMES:%=$(B)/tests/unit/%)

$(B)/tests/unit/%.o: ALL_CFLAGS += $(CHECK_CFLAGS)
# Keep the objects, so an unchanged test is not compiled again on every run.
.SECONDARY: $(UNIT_TEST_NAMES:%=$(B)/tests/unit/%.o)

$(B)/tests/unit/test-%: $(B)/tests/unit/test-%.o $(CLIENT_LIB) $(COMMON_LIB)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(CHECK_LIBS) $(LIBS)

# Every binary runs even after one fails, so one run shows every failure.
check-unit: $(TESTS_UNIT)
	@failed=""; \
	for t in $(TESTS_UNIT); do \
		echo "== $$t"; \
		$(TEST_ENV) $$t || failed="$$failed $$t"; \
	done; \
	if [ -n "$$failed" ]; then echo "FAILED:$$failed"; exit 1; fi; \
	echo "all $(words $(TESTS_UNIT)) unit test binaries passed"

check-integration:
