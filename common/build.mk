# SPDX-License-Identifier: MIT
# common/: the shared library every daemon and test links (libc, libsystemd, jansson only).

COMMON_SRCS := $(wildcard common/*.c)
COMMON_OBJS := $(COMMON_SRCS:%.c=$(B)/%.o)
COMMON_LIB  := $(B)/libcb-common.a

$(COMMON_LIB): $(COMMON_OBJS)
	@rm -f $@
	$(Q)$(AR) rcs $@ $^
