# SPDX-License-Identifier: MIT
# tests/systemd: the installed suite under a real systemd, booted as PID 1 of new namespaces
# on a throwaway overlay of / (tests/systemd/boot.sh, checks in tests/systemd/inside.sh).
#
#   make check-systemd    as root; anywhere else it says why it skips, and succeeds
#
# boot.sh --probe decides (root, util-linux, socat, dbus, polkitd, overlayfs, a writable
# cgroup2 tree, namespaces allowed) and exits 77 with the reason when it cannot run.
# A sanitizer build is skipped: it is not what gets installed, and the hardened units
# (MemoryDenyWriteExecute=, SystemCallFilter=, ...) are written for the plain binaries.

.PHONY: check-systemd
ifeq ($(SANITIZE),1)
check-systemd:
	@echo "check-systemd: SKIPPED (SANITIZE=1: the units are tested with the plain build)"
else
check-systemd: all
	@why=$$(tests/systemd/boot.sh --probe); rc=$$?; \
	if [ $$rc -eq 77 ]; then echo "check-systemd: $$why"; exit 0; fi; \
	if [ $$rc -ne 0 ]; then echo "check-systemd: the probe failed (exit $$rc): $$why"; exit 1; fi; \
	CB_BUILD_DIR=$(B) tests/systemd/boot.sh
endif
