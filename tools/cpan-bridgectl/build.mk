# SPDX-License-Identifier: MIT
# tools/cpan-bridgectl: the operator's command line, built from small ctl-*.c files.
# Included before tests/build.mk, so that the integration tests find it in PROGRAMS.

CTL_SRCS := $(wildcard tools/cpan-bridgectl/ctl-*.c)
MANDIR   ?= $(PREFIX)/share/man
PROGRAMS += $(B)/cpan-bridgectl

$(B)/cpan-bridgectl: $(CTL_SRCS:%.c=$(B)/%.o) $(B)/libcb-client.a $(COMMON_LIB)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

# The top-level install gains this step; DESTDIR and PREFIX apply as there.
.PHONY: install-cpan-bridgectl
install: install-cpan-bridgectl
install-cpan-bridgectl: $(B)/cpan-bridgectl
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1
	install -m 0755 $(B)/cpan-bridgectl $(DESTDIR)$(BINDIR)/cpan-bridgectl
	install -m 0644 tools/cpan-bridgectl/cpan-bridgectl.1 $(DESTDIR)$(MANDIR)/man1/cpan-bridgectl.1
