# SPDX-License-Identifier: MIT
# services/router: cpan-bridge-router, as a library for tests and as the daemon.

ROUTER_SRCS := $(filter-out services/router/router-main.c,$(wildcard services/router/*.c))
ROUTER_LIB  := $(B)/librouter-core.a
PROGRAMS    += $(B)/cpan-bridge-router

$(ROUTER_LIB): $(ROUTER_SRCS:%.c=$(B)/%.o)
	@rm -f $@
	$(Q)$(AR) rcs $@ $^

$(B)/cpan-bridge-router: $(B)/services/router/router-main.o $(ROUTER_LIB) $(COMMON_LIB)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)
