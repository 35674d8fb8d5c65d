# SPDX-License-Identifier: MIT
# services/office: the office family (module excel) on libxlsxwriter, as a library for tests
# and as its daemon. Only this family links libxlsxwriter.

OFFICE_SRCS := $(filter-out services/office/office-main.c,$(wildcard services/office/*.c))
OFFICE_LIB  := $(B)/liboffice-core.a
OFFICE_PKGS := xlsxwriter
OFFICE_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(OFFICE_PKGS))
OFFICE_LIBS   := $(shell $(PKG_CONFIG) --libs $(OFFICE_PKGS))
PROGRAMS  += $(B)/cpan-bridge-office
FAMILIES  += office

$(B)/services/office/%.o: ALL_CFLAGS += $(OFFICE_CFLAGS)

$(OFFICE_LIB): $(OFFICE_SRCS:%.c=$(B)/%.o)
	@rm -f $@
	$(Q)$(AR) rcs $@ $^

$(B)/cpan-bridge-office: $(B)/services/office/office-main.o $(OFFICE_LIB) $(COMMON_LIB)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(OFFICE_LIBS) $(LIBS)
