# SPDX-License-Identifier: MIT
# services/net: the net family (modules http and email_helper) on libcurl, as a library for
# tests and as its daemon. Only this family links libcurl.

NET_SRCS := $(filter-out services/net/net-main.c,$(wildcard services/net/*.c))
NET_LIB  := $(B)/libnet-core.a
NET_PKGS := libcurl
NET_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(NET_PKGS))
NET_LIBS   := $(shell $(PKG_CONFIG) --libs $(NET_PKGS))
PROGRAMS  += $(B)/cpan-bridge-net
FAMILIES  += net

$(B)/services/net/%.o: ALL_CFLAGS += $(NET_CFLAGS)

$(NET_LIB): $(NET_SRCS:%.c=$(B)/%.o)
	@rm -f $@
	$(Q)$(AR) rcs $@ $^

$(B)/cpan-bridge-net: $(B)/services/net/net-main.o $(NET_LIB) $(COMMON_LIB)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(NET_LIBS) $(LIBS)

# Unit tests of the family's text handling link its library and libcurl.
NET_UNIT_TESTS := $(B)/tests/unit/test-net-text
TESTS_UNIT     += $(NET_UNIT_TESTS)

$(B)/tests/unit/test-net-%.o: ALL_CFLAGS += $(NET_CFLAGS)

$(NET_UNIT_TESTS): $(B)/tests/unit/test-net-%: $(B)/tests/unit/test-net-%.o $(NET_LIB) $(COMMON_LIB)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(CHECK_LIBS) $(NET_LIBS) $(LIBS)
