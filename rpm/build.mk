# SPDX-License-Identifier: MIT
# rpm/: the RHEL 9 packages, built from this tree (cpan-bridge.spec, STYLE.md 12).
#
#   make dist        _rpm/SOURCES/cpan-bridge-$(VERSION).tar.gz: every file git tracks or
#                    would track (untracked, not ignored), so work in progress is packaged too
#   make srpm        the source RPM in _rpm/SRPMS/
#   make rpm         source and binary RPMs in _rpm/SRPMS/ and _rpm/RPMS/, then rpmlint
#   make check-rpm   tests/rpm/check-rpm.sh: contents, modes, scriptlets, rpmlint, and the
#                    RPMs installed into a real systemd booted in namespaces (as root)
#
# Works on RHEL 9 and on Debian (rpm, rpmlint, rpm2cpio, cpio, debugedit from apt). On Debian
# rpm has no systemd or SELinux macros: each stand-in in rpm/ is loaded only when
# `rpm --eval` shows the real one missing, and --nodeps is passed because rpm's database
# there knows nothing of what dpkg installed. Families: the spec's --with flags come from
# FAMILIES, so exactly the families this Makefile builds are packaged (core is always in).
# Needs the top Makefile's VERSION and FAMILIES, so include it after services/*/build.mk.

RPM_TOP      := $(CURDIR)/_rpm
RPM_TARBALL   = $(RPM_TOP)/SOURCES/cpan-bridge-$(VERSION).tar.gz
RPM_SPEC     := cpan-bridge.spec

# Evaluated when a recipe runs, so `rpm` need not exist for other targets.
rpm_loads = $(shell test "$$(rpm --eval '%{_unitdir}' 2>/dev/null)" = '%{_unitdir}' && \
                echo --load rpm/macros.systemd-stub) \
            $(shell test -z "$$(rpm --eval '%{?selinux_modules_install:1}' 2>/dev/null)" && \
                echo --load rpm/macros.selinux-stub)
rpm_nodeps = $(if $(wildcard /etc/debian_version),--nodeps)
rpm_with   = $(foreach f,$(filter-out core,$(FAMILIES)),--with $(f))
RPMBUILD_FLAGS = $(rpm_nodeps) $(rpm_loads) $(rpm_with) \
                 --define "_topdir $(RPM_TOP)" --define "dist .el9"
RPMBUILD_EXTRA ?=

.PHONY: dist srpm rpm rpmlint check-rpm
CLEAN_EXTRA += _rpm

dist:
	@spec_version=$$(sed -n 's/^Version:[[:space:]]*//p' $(RPM_SPEC)); \
	if [ "$$spec_version" != "$(VERSION)" ]; then \
		echo "dist: $(RPM_SPEC) says Version $$spec_version, the Makefile $(VERSION)" >&2; exit 1; fi
	@mkdir -p $(RPM_TOP)/SOURCES
	@rm -f $(RPM_TARBALL)
	$(Q)git ls-files -z --cached --others --exclude-standard | \
		xargs -0 sh -c 'for f; do [ -e "$$f" ] && printf "%s\0" "$$f"; done' sh | \
		tar --null --verbatim-files-from -T - --sort=name --owner=0 --group=0 --numeric-owner \
		    --transform 's,^,cpan-bridge-$(VERSION)/,' -czf $(RPM_TARBALL)
	@cp rpm/cpan-bridge.sysusers $(RPM_TOP)/SOURCES/
	@echo "  DIST    $(RPM_TARBALL) ($$(tar -tzf $(RPM_TARBALL) | wc -l) entries)"

srpm: dist
	rpmbuild -bs $(RPMBUILD_FLAGS) $(RPMBUILD_EXTRA) $(RPM_SPEC)

# -ba: the source RPM and the binary ones from one spec parse, so they cannot disagree.
rpm: dist
	rpmbuild -ba $(RPMBUILD_FLAGS) $(RPMBUILD_EXTRA) $(RPM_SPEC)
	$(rpmlint_cmd)

# The spec and the newest build's packages. The filter file says, rule by rule, why each
# complaint it silences does not apply.
rpmlint_cmd = rpmlint -c tests/rpm/rpmlint.toml $(RPM_SPEC) \
	$$(ls -t $(RPM_TOP)/SRPMS/cpan-bridge-$(VERSION)-*.src.rpm | head -n 1) \
	$$(find $(RPM_TOP)/RPMS -name '*-$(VERSION)-*.rpm' -newer $(RPM_TARBALL))
rpmlint:
	$(rpmlint_cmd)

check-rpm:
	./tests/rpm/check-rpm.sh
