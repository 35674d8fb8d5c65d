# SPDX-License-Identifier: MIT
# services/exec: cpan-bridge-exec, the front of process mode.

PROGRAMS += $(B)/cpan-bridge-exec

$(B)/cpan-bridge-exec: $(B)/services/exec/exec-main.o $(COMMON_LIB)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -Wl,--as-needed -o $@ $^ $(LIBS)
