# SPDX-License-Identifier: MIT
# services/crypto: the crypto family (module crypto) on GnuTLS and nettle, as a library for
# tests and as its daemon. Only this family links GnuTLS and nettle.

CRYPTO_SRCS := $(filter-out services/crypto/crypto-main.c,$(wildcard services/crypto/*.c))
CRYPTO_LIB  := $(B)/libcrypto-core.a
CRYPTO_PKGS := gnutls nettle
CRYPTO_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(CRYPTO_PKGS))
CRYPTO_LIBS   := $(shell $(PKG_CONFIG) --libs $(CRYPTO_PKGS))
PROGRAMS  += $(B)/cpan-bridge-crypto
FAMILIES  += crypto

$(B)/services/crypto/%.o: ALL_CFLAGS += $(CRYPTO_CFLAGS)

$(CRYPTO_LIB): $(CRYPTO_SRCS:%.c=$(B)/%.o)
	@rm -f $@
	$(Q)$(AR) rcs $@ $^

$(B)/cpan-bridge-crypto: $(B)/services/crypto/crypto-main.o $(CRYPTO_LIB) $(COMMON_LIB)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(CRYPTO_LIBS) $(LIBS)

# Unit tests of the family's text handling link its library, GnuTLS and nettle.
CRYPTO_UNIT_TESTS := $(B)/tests/unit/test-crypto-vectors
TESTS_UNIT     += $(CRYPTO_UNIT_TESTS)

$(B)/tests/unit/test-crypto-%.o: ALL_CFLAGS += $(CRYPTO_CFLAGS)

$(CRYPTO_UNIT_TESTS): $(B)/tests/unit/test-crypto-%: $(B)/tests/unit/test-crypto-%.o $(CRYPTO_LIB) $(COMMON_LIB)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(CHECK_LIBS) $(CRYPTO_LIBS) $(LIBS)
