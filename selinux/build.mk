# SPDX-License-Identifier: MIT
# selinux/: the cpanbridge policy module (STYLE.md 13), built outside the source directory.
#
#   make selinux     $(B)/selinux/cpanbridge.pp and cpanbridge.pp.bz2, with the policy's own
#                    devel Makefile (selinux-policy-devel on RHEL, selinux-policy-dev on
#                    Debian); says plainly when that is not installed, and fails
#   make check-selinux
#                    links the module into a copy of the installed policy store and asserts
#                    its key rules with sesearch (tests/selinux/check-policy.sh)
#
# The devel Makefile writes tmp/ and the .pp into the directory it runs in, so the sources
# are copied to $(B)/selinux first. The spec builds the module the same way.

SELINUX_DEVEL_MK ?= /usr/share/selinux/devel/Makefile
SELINUX_SRCS     := selinux/cpanbridge.te selinux/cpanbridge.fc selinux/cpanbridge.if

.PHONY: selinux check-selinux
selinux: $(B)/selinux/cpanbridge.pp.bz2

check-selinux: $(B)/selinux/cpanbridge.pp
	./tests/selinux/check-policy.sh $(B)

$(B)/selinux/cpanbridge.pp: $(SELINUX_SRCS)
	@test -f $(SELINUX_DEVEL_MK) || { echo "selinux: no $(SELINUX_DEVEL_MK)" \
		"(install selinux-policy-dev checkpolicy semodule-utils, or selinux-policy-devel)" >&2; exit 1; }
	@mkdir -p $(B)/selinux
	cp $(SELINUX_SRCS) $(B)/selinux/
	$(MAKE) --no-print-directory -C $(B)/selinux -f $(SELINUX_DEVEL_MK) cpanbridge.pp

$(B)/selinux/cpanbridge.pp.bz2: $(B)/selinux/cpanbridge.pp
	bzip2 -9 -k -f $<
