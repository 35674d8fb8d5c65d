# SPDX-License-Identifier: MIT
# tests/fuzz/: libFuzzer targets for what parses untrusted input, and their corpora.
#
#   make fuzz [SECONDS=60]   builds every target with clang, libFuzzer, ASan and UBSan into
#                            build-fuzz/ and runs each for SECONDS on a copy of its corpus;
#                            a crash fails the run and is kept under build-fuzz/crashes/
#   make check               replays every seed and every past crash through each target's
#                            replay program (tests/fuzz/replay-main.c), with the build's own
#                            compiler and, under SANITIZE=1, its sanitizers
#
# A crash becomes a regression test by copying its file into tests/fuzz/regressions/TARGET/.

FUZZ_TARGETS := frame envelope inspect config dsn url address xml
FUZZ_DIR     := tests/fuzz

# What each target links besides common/: the family library whose parser it drives.
FUZZ_DEPS_dsn     := $(DB_LIB)
FUZZ_LDLIBS_dsn   := $(DB_LIBS)
FUZZ_DEPS_url     := $(NET_LIB)
FUZZ_LDLIBS_url   := $(NET_LIBS)
FUZZ_DEPS_address := $(NET_LIB)
FUZZ_LDLIBS_address := $(NET_LIBS)
FUZZ_DEPS_xml     := $(XML_LIB)
FUZZ_LDLIBS_xml   := $(XML_LIBS)

$(B)/tests/fuzz/fuzz-dsn.o: ALL_CFLAGS += $(DB_CFLAGS)
$(B)/tests/fuzz/fuzz-url.o $(B)/tests/fuzz/fuzz-address.o: ALL_CFLAGS += $(NET_CFLAGS)
$(B)/tests/fuzz/fuzz-xml.o: ALL_CFLAGS += $(XML_CFLAGS)

# The replay programs are unit tests of every build; they know their corpus by name.
FUZZ_REPLAYS := $(FUZZ_TARGETS:%=$(B)/tests/fuzz/replay-%)
TESTS_UNIT   += $(FUZZ_REPLAYS)

$(B)/tests/fuzz/replay-%.o: $(FUZZ_DIR)/replay-main.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(ALL_CFLAGS) -DFUZZ_NAME='"$*"' -DFUZZ_CORPUS='"$(CURDIR)/$(FUZZ_DIR)/corpus/$*"' \
		-DFUZZ_REGRESSIONS='"$(CURDIR)/$(FUZZ_DIR)/regressions/$*"' -c -o $@ $<

.SECONDEXPANSION:
$(FUZZ_REPLAYS): $(B)/tests/fuzz/replay-%: $(B)/tests/fuzz/replay-%.o $(B)/tests/fuzz/fuzz-%.o \
		$(B)/tests/fuzz/fuzz-util.o $$(FUZZ_DEPS_$$*) $(COMMON_LIB)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $(filter %.o %.a,$^) $(FUZZ_LDLIBS_$*) $(LIBS)

# The libFuzzer binaries, only in the fuzz build (FUZZ=1 sets the compiler and flags).
ifeq ($(FUZZ),1)
FUZZERS := $(FUZZ_TARGETS:%=$(B)/fuzz-%)

$(FUZZERS): $(B)/fuzz-%: $(B)/tests/fuzz/fuzz-%.o $(B)/tests/fuzz/fuzz-util.o $$(FUZZ_DEPS_$$*) \
		$(COMMON_LIB)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -fsanitize=fuzzer -o $@ $(filter %.o %.a,$^) $(FUZZ_LDLIBS_$*) $(LIBS)

SECONDS ?= 60
.PHONY: fuzz-run
fuzz-run: $(FUZZERS)
	@failed=""; \
	for t in $(FUZZ_TARGETS); do \
		work=$(B)/fuzz-work/$$t; crashes=$(B)/crashes/$$t; \
		rm -rf $$work; mkdir -p $$work $$crashes; \
		cp $(FUZZ_DIR)/corpus/$$t/* $$work/ 2>/dev/null || true; \
		echo "== fuzz-$$t for $(SECONDS)s"; \
		if ! $(B)/fuzz-$$t -max_total_time=$(SECONDS) -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
			-artifact_prefix=$$crashes/ -print_final_stats=1 $$work $(FUZZ_DIR)/corpus/$$t \
			>$(B)/fuzz-$$t.log 2>&1; then \
			tail -n 40 $(B)/fuzz-$$t.log; failed="$$failed $$t"; \
		else grep -E '^(stat::number_of_executed_units|stat::new_units_added)' $(B)/fuzz-$$t.log | \
			tr '\n' ' '; echo; fi; \
	done; \
	if [ -n "$$failed" ]; then echo "fuzz: crashes in:$$failed (inputs in $(B)/crashes/)"; exit 1; fi; \
	echo "fuzz: $(words $(FUZZ_TARGETS)) targets ran $(SECONDS)s each without a crash"
endif
