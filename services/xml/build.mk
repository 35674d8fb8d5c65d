# SPDX-License-Identifier: MIT
# services/xml: the xml family (modules xml_helper and xpath) on libxml2, as a library for
# tests and as its daemon. Only this family links libxml2.

XML_SRCS := $(filter-out services/xml/xml-main.c,$(wildcard services/xml/*.c))
XML_LIB  := $(B)/libxml-core.a
XML_PKGS := libxml-2.0
XML_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(XML_PKGS))
XML_LIBS   := $(shell $(PKG_CONFIG) --libs $(XML_PKGS))
PROGRAMS  += $(B)/cpan-bridge-xml
FAMILIES  += xml

$(B)/services/xml/%.o: ALL_CFLAGS += $(XML_CFLAGS)

$(XML_LIB): $(XML_SRCS:%.c=$(B)/%.o)
	@rm -f $@
	$(Q)$(AR) rcs $@ $^

$(B)/cpan-bridge-xml: $(B)/services/xml/xml-main.o $(XML_LIB) $(COMMON_LIB)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(XML_LIBS) $(LIBS)

# Unit tests of the family's rules link its library and libxml2.
XML_UNIT_TESTS := $(B)/tests/unit/test-xml-rules
TESTS_UNIT     += $(XML_UNIT_TESTS)

$(B)/tests/unit/test-xml-%.o: ALL_CFLAGS += $(XML_CFLAGS)

$(XML_UNIT_TESTS): $(B)/tests/unit/test-xml-%: $(B)/tests/unit/test-xml-%.o $(XML_LIB) $(COMMON_LIB)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(CHECK_LIBS) $(XML_LIBS) $(LIBS)
