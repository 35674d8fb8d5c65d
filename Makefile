# SPDX-License-Identifier: MIT
# cpan-bridge: one non-recursive Makefile; each directory adds itself through build.mk.
#
#   make                 build everything into build/ (runnable without installing)
#   make check           unit tests (Check) and integration tests
#   make SANITIZE=1      the same with ASan and UBSan (objects go to build-sanitize/)
#   make install         PREFIX, DESTDIR, LIBEXECDIR, UNITDIR, SYSCONFDIR honoured
#   make deps            install build and test dependencies (apt-get or dnf)
#   make format          clang-format every C file; make format-check only reports
#   make fuzz SECONDS=N  every libFuzzer target for N seconds (clang, into build-fuzz/)
#   make load, make soak DURATION=30m   the long runs of tests/load

PREFIX      ?= /usr
LIBEXECDIR  ?= $(PREFIX)/libexec/cpan-bridge
BINDIR      ?= $(PREFIX)/bin
DATADIR     ?= $(PREFIX)/share/cpan-bridge
UNITDIR     ?= $(PREFIX)/lib/systemd/system
SYSCONFDIR  ?= /etc
PERLDIR     ?= $(PREFIX)/share/perl5/vendor_perl
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
TMPFILESDIR ?= $(PREFIX)/lib/tmpfiles.d
POLKITDIR   ?= $(PREFIX)/share/polkit-1/rules.d
CATALOGDIR  ?= $(PREFIX)/lib/systemd/catalog
DESTDIR     ?=

VERSION     := 0.1.0
PKG_CONFIG  ?= pkg-config
WERROR      ?= 1
SANITIZE    ?= 0

FUZZ        ?= 0

ifeq ($(FUZZ),1)
# make fuzz: clang with libFuzzer's instrumentation (its main is linked into the fuzz-*
# binaries only), ASan and UBSan, into build-fuzz/.
B           ?= build-fuzz
CC          := clang
SAN_FLAGS   := -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all \
               -fno-omit-frame-pointer -O1 -g
else ifeq ($(SANITIZE),1)
B           ?= build-sanitize
SAN_FLAGS   := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -O1 -g
# LeakSanitizer reports only from the process that exits, so Check must not fork there.
TEST_ENV    := CB_SANITIZE=1 CK_FORK=no ASAN_OPTIONS=detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1 \
               UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
TEST_ENV_PERL := ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
else
B           ?= build
SAN_FLAGS   :=
endif

TEST_ENV    ?=
TEST_ENV_PERL ?=
CFLAGS      ?= -O2 -g
WARN_FLAGS  := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
               -Wold-style-definition -Wformat=2 -Wformat-security -Wimplicit-fallthrough \
               -Wundef -Wwrite-strings -Wpointer-arith -Wcast-align -Wvla -Wdate-time \
               -Wnull-dereference -fno-common
ifeq ($(WERROR),1)
WARN_FLAGS  += -Werror
endif

COMMON_PKGS := libsystemd jansson
PKG_CFLAGS  := $(shell $(PKG_CONFIG) --cflags $(COMMON_PKGS))
PKG_LIBS    := $(shell $(PKG_CONFIG) --libs $(COMMON_PKGS))
CHECK_CFLAGS := $(shell $(PKG_CONFIG) --cflags check 2>/dev/null)
CHECK_LIBS   := $(shell $(PKG_CONFIG) --libs check 2>/dev/null)

ALL_CFLAGS  := -std=gnu11 $(WARN_FLAGS) $(SAN_FLAGS) -I. -D_GNU_SOURCE \
               -DCB_VERSION='"$(VERSION)"' -DCB_LIBEXECDIR='"$(LIBEXECDIR)"' \
               $(PKG_CFLAGS) $(CPPFLAGS) $(CFLAGS)
ALL_LDFLAGS := $(SAN_FLAGS) $(LDFLAGS)
LIBS        := $(PKG_LIBS) -lpthread -lm

# Every fragment appends to these.
PROGRAMS    :=
FAMILIES    :=
TESTS_UNIT  :=
CLEAN_EXTRA :=

.PHONY: all check check-unit check-integration install clean deps format format-check bench fuzz load soak \
        demo test check-units check-perl
all:

ifneq ($(V),1)
Q := @
endif

include common/build.mk
include services/router/build.mk
include services/core/build.mk
include services/exec/build.mk
include services/launcher/build.mk
include services/db/build.mk
include services/net/build.mk
include services/crypto/build.mk
include services/ssh/build.mk
include services/office/build.mk
include services/xml/build.mk
include tools/cpan-bridgectl/build.mk
# Before tests/build.mk: check-unit's prerequisites are read there, and the replays join them.
include tests/fuzz/build.mk
include tests/build.mk
include tests/corpus/build.mk
include tests/bench/build.mk
include tests/integration/build.mk
include tests/systemd/build.mk
include selinux/build.mk
include rpm/build.mk

all: $(PROGRAMS) $(B)/catalogue.json

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

-include $(shell find $(B) -name '*.d' 2>/dev/null)

# The catalogue document is generated from the one C table, so Perl and C never disagree.
$(B)/catalogue.json: $(B)/cpan-bridge-exec
	$(B)/cpan-bridge-exec --dump-catalogue > $@.tmp && mv $@.tmp $@

check: check-unit check-integration check-perl check-units check-systemd

# The Perl client's tests, each against a suite of its own started by cpan-bridge-dev.
check-perl: all | check-integration
	CB_BUILD_DIR=$(B) $(TEST_ENV_PERL) prove -I perl perl/t

# systemd-analyze verify and the exposure thresholds of the installed units.
check-units: all
	./tests/units/check-units.sh $(B)

# Units are installed only for the families this build has: a unit without its daemon fails.
install: all
	install -d $(DESTDIR)$(LIBEXECDIR) $(DESTDIR)$(DATADIR) $(DESTDIR)$(BINDIR)
	install -m 0755 $(B)/cpan-bridge-router $(B)/cpan-bridge-exec $(DESTDIR)$(LIBEXECDIR)/
	install -m 0755 $(FAMILIES:%=$(B)/cpan-bridge-%) $(DESTDIR)$(LIBEXECDIR)/
	install -m 0755 $(B)/cpan-bridge-dev $(DESTDIR)$(BINDIR)/
	install -m 0644 $(B)/catalogue.json $(DESTDIR)$(DATADIR)/catalogue.json
	install -d $(DESTDIR)$(UNITDIR)
	install -m 0644 units/cpan-bridge.socket units/cpan-bridge.service units/cpan-bridge.target \
		$(DESTDIR)$(UNITDIR)/
	install -m 0644 $(foreach f,$(FAMILIES),units/cpan-bridge-$(f)@.socket \
		units/cpan-bridge-$(f)@.service) $(DESTDIR)$(UNITDIR)/
	install -d $(DESTDIR)$(SYSCONFDIR)/cpan-bridge/cpan-bridge.conf.d
	install -m 0644 rpm/cpan-bridge.conf $(DESTDIR)$(SYSCONFDIR)/cpan-bridge/cpan-bridge.conf
	install -d $(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(TMPFILESDIR) $(DESTDIR)$(POLKITDIR)
	install -m 0644 rpm/cpan-bridge.sysusers $(DESTDIR)$(SYSUSERSDIR)/cpan-bridge.conf
	install -m 0644 rpm/cpan-bridge.tmpfiles $(DESTDIR)$(TMPFILESDIR)/cpan-bridge.conf
	install -m 0644 rpm/60-cpan-bridge.rules $(DESTDIR)$(POLKITDIR)/60-cpan-bridge.rules
	install -d $(DESTDIR)$(PERLDIR)
	install -m 0644 perl/CPANBridge.pm $(DESTDIR)$(PERLDIR)/CPANBridge.pm
	install -d $(DESTDIR)$(CATALOGDIR)
	install -m 0644 rpm/cpan-bridge.catalog $(DESTDIR)$(CATALOGDIR)/cpan-bridge.catalog

deps:
	./tests/install-deps.sh

# README's first command: the suite on its embedded defaults, shown at work, then stopped.
demo: deps
	$(MAKE) all
	./demo/demo.sh $(B)

# README's second command (and .ci/run): every test, plain and under ASan+UBSan.
test: deps
	$(MAKE) -j2 check
	$(MAKE) -j2 SANITIZE=1 check
	$(MAKE) format-check
	$(MAKE) check-rpm
	$(MAKE) check-selinux
	$(MAKE) fuzz SECONDS=10
	$(MAKE) soak DURATION=2m
	$(MAKE) check-valgrind

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

format-check:
	clang-format --dry-run --Werror $$(git ls-files '*.c' '*.h')

# Benchmarks print side-by-side ratios from one run; they assert nothing.
# Load and soak (tests/load): CLIENTS processes of the mixed workload against a suite started
# for the run. load: CALLS calls each, any error fails; soak: DURATION (90s, 30m, 24h),
# sampled into $(B)/soak.csv, fails when a daemon's memory, descriptors or handles grow.
CLIENTS  ?= 10
CALLS    ?= 100000
DURATION ?= 30m
load: all
	./tests/load/load.pl $(B) $(CLIENTS) $(CALLS)

soak: all
	CLIENTS=$(if $(filter command line,$(origin CLIENTS)),$(CLIENTS),3) ./tests/load/soak.pl $(B) $(DURATION) $(B)/soak.csv

# The libFuzzer targets (tests/fuzz/build.mk), each for SECONDS, in their own build.
SECONDS ?= 60
fuzz:
	$(MAKE) FUZZ=1 SECONDS=$(SECONDS) fuzz-run

bench: all
	./tests/bench/bench-c.sh $(B)
	./tests/bench/bench-perl.sh $(B)
	./tests/bench/bench-ssh.sh $(B)
	./tests/bench/bench-excel.sh $(B)
	./tests/bench/bench-xml.sh $(B)
	$(B)/cb-bench-inspect .
	taskset -c 0 $(B)/cb-bench-validate .
	taskset -c 0 $(B)/cb-bench-metrics

clean:
	rm -rf build build-sanitize $(CLEAN_EXTRA)
