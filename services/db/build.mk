# SPDX-License-Identifier: MIT
# services/db: the db family (module database) on libpq and SQLite, as a library for tests and
# as its daemon. Only this family links the database libraries.

DB_SRCS := $(filter-out services/db/db-main.c,$(wildcard services/db/*.c))
DB_LIB  := $(B)/libdb-core.a
DB_PKGS := libpq sqlite3
DB_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(DB_PKGS))
DB_LIBS   := $(shell $(PKG_CONFIG) --libs $(DB_PKGS))
PROGRAMS  += $(B)/cpan-bridge-db
FAMILIES  += db

$(B)/services/db/%.o: ALL_CFLAGS += $(DB_CFLAGS)

$(DB_LIB): $(DB_SRCS:%.c=$(B)/%.o)
	@rm -f $@
	$(Q)$(AR) rcs $@ $^

$(B)/cpan-bridge-db: $(B)/services/db/db-main.o $(DB_LIB) $(COMMON_LIB)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(DB_LIBS) $(LIBS)

# Unit tests of the family's text handling link its library and the database libraries.
DB_UNIT_TESTS := $(B)/tests/unit/test-db-sql
TESTS_UNIT    += $(DB_UNIT_TESTS)

$(B)/tests/unit/test-db-%.o: ALL_CFLAGS += $(DB_CFLAGS)

$(DB_UNIT_TESTS): $(B)/tests/unit/test-db-%: $(B)/tests/unit/test-db-%.o $(DB_LIB) $(COMMON_LIB)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(CHECK_LIBS) $(DB_LIBS) $(LIBS)
