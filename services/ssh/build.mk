# SPDX-License-Identifier: MIT
# services/ssh: the ssh family (module sftp) on libssh2, as a library for tests and as its
# daemon. Only this family links libssh2.

SSH_SRCS := $(filter-out services/ssh/ssh-main.c,$(wildcard services/ssh/*.c))
SSH_LIB  := $(B)/libssh-core.a
SSH_PKGS := libssh2
SSH_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(SSH_PKGS))
SSH_LIBS   := $(shell $(PKG_CONFIG) --libs $(SSH_PKGS))
PROGRAMS  += $(B)/cpan-bridge-ssh
FAMILIES  += ssh

$(B)/services/ssh/%.o: ALL_CFLAGS += $(SSH_CFLAGS)

$(SSH_LIB): $(SSH_SRCS:%.c=$(B)/%.o)
	@rm -f $@
	$(Q)$(AR) rcs $@ $^

$(B)/cpan-bridge-ssh: $(B)/services/ssh/ssh-main.o $(SSH_LIB) $(COMMON_LIB)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(SSH_LIBS) $(LIBS)
