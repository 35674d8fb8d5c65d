# SPDX-License-Identifier: MIT
# tests/integration: whole suites started with cpan-bridge-dev, driven by the C client.

IT_HARNESS := $(B)/tests/integration/it-harness.o
IT_TESTS   := $(patsubst tests/integration/%.c,$(B)/tests/integration/%,\
                $(filter-out tests/integration/it-harness.c,$(wildcard tests/integration/it-*.c)))

$(B)/tests/integration/it-%: $(B)/tests/integration/it-%.o $(IT_HARNESS) $(B)/libcb-client.a $(COMMON_LIB)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(CHECK_LIBS) $(LIBS)

.PHONY: check-integration-run
check-integration-run: $(IT_TESTS) $(PROGRAMS) | check-unit
	@failed=0; for t in $(IT_TESTS); do \
		echo "== $$t"; CB_BUILD_DIR=$(B) $(TEST_ENV) $$t || failed=1; \
	done; exit $$failed

check-integration: check-integration-run
