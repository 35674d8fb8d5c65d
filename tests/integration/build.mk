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

# The integration tests with every daemon the launcher starts run under valgrind (memcheck:
# invalid accesses, and memory definitely lost at exit). valgrind sees what ASan cannot, such as
# a libc call on freed memory; one report anywhere fails the run. Slow: its own target. The
# report directory is writable by all: instances of other test users write there too. Cases
# whose checks hold only at native speed are tagged "timing" and left out here.
VALGRIND_DIR := $(B)/valgrind
VALGRIND     := valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
                --show-leak-kinds=definite --num-callers=30 --log-file=$(CURDIR)/$(VALGRIND_DIR)/%p.log

.PHONY: check-valgrind
check-valgrind: $(IT_TESTS) $(PROGRAMS)
	@command -v valgrind >/dev/null || { echo "check-valgrind: no valgrind (make deps installs it)"; exit 1; }
	@rm -rf $(VALGRIND_DIR); mkdir -p -m 1777 $(VALGRIND_DIR); failed=""; \
	for t in $(IT_TESTS); do \
		echo "== $$t (daemons under valgrind)"; \
		CB_BUILD_DIR=$(B) CB_DAEMON_WRAPPER="$(VALGRIND)" CK_TIMEOUT_MULTIPLIER=10 CK_EXCLUDE_TAGS=timing $$t || failed="$$failed $$t"; \
	done; \
	reports=$$(find $(VALGRIND_DIR) -name '*.log' -size +0 | sort); \
	for f in $$reports; do echo "== valgrind report $$f"; head -n 40 $$f; done; \
	if [ -n "$$failed" ]; then echo "check-valgrind: failed:$$failed"; exit 1; fi; \
	if [ -n "$$reports" ]; then echo "check-valgrind: $$(echo $$reports | wc -w) daemon(s) reported"; exit 1; fi; \
	echo "check-valgrind: $(words $(IT_TESTS)) integration binaries, $$(ls $(VALGRIND_DIR) | wc -l) daemons, no report"
