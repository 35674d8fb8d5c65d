# SPDX-License-Identifier: MIT
# services/core: the core family (module test), as a library for tests and as its daemon.

CORE_SRCS := $(filter-out services/core/core-main.c,$(wildcard services/core/*.c))
CORE_LIB  := $(B)/libcore-core.a
PROGRAMS  += $(B)/cpan-bridge-core
FAMILIES  += core

$(CORE_LIB): $(CORE_SRCS:%.c=$(B)/%.o)
	@rm -f $@
	$(Q)$(AR) rcs $@ $^

$(B)/cpan-bridge-core: $(B)/services/core/core-main.o $(CORE_LIB) $(COMMON_LIB)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)
