/* SPDX-License-Identifier: MIT */
/* The crypto family's handler table. */
#include "services/crypto/crypto-internal.h"

/* Hashes and small messages take microseconds; PBKDF2 and big data take longer, and a cipher
 * lock may be held by another session: every call goes to the session's worker. */
static const struct cb_handler crypto_handlers[] = {
    { "crypto", "encrypt", crypto_encrypt, false },
    { "crypto", "decrypt", crypto_decrypt, false },
    { "crypto", "hash", crypto_hash, false },
    { "crypto", "hmac", crypto_hmac, false },
    { "crypto", "random_bytes", crypto_random_bytes, false },
    { "crypto", "generate_key", crypto_generate_key, false },
    { "crypto", "compare", crypto_compare, false },
    { "crypto", "new", crypto_new, false },
    { "crypto", "cleanup_cipher", crypto_cleanup_cipher, false },
};

const struct cb_family crypto_family = {
    .name = "crypto",
    .handlers = crypto_handlers,
    .n_handlers = CB_ELEMENTSOF(crypto_handlers),
};
