/* SPDX-License-Identifier: MIT */
/*
 * Known answers for the crypto family's primitives: OpenSSL's EVP_BytesToKey (values printed
 * by `openssl enc -P`), PBKDF2 (RFC 6070), AES-CBC (NIST SP 800-38A, F.2.5), PKCS#7 padding,
 * GCM tampering, and the algorithm names.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/gnutls.h>

#include "services/crypto/crypto-internal.h"

static void unhex(const char *hex, struct crypto_bytes *out)
{
    ck_assert_int_eq(crypto_unhex(hex, strlen(hex), out), 0);
}

static void assert_hex(const uint8_t *data, size_t len, const char *want)
{
    char *got = crypto_hex(data, len), lower[256];
    size_t n = strlen(want);

    for (size_t i = 0; i <= n; i++) {
        lower[i] = (char)(want[i] >= 'A' && want[i] <= 'F' ? want[i] + 32 : want[i]);
    }
    ck_assert_str_eq(got, lower);
    free(got);
}

static void derive(enum crypto_kdf kdf,
                   const char *digest,
                   unsigned iter,
                   size_t n,
                   const char *want)
{
    struct crypto_kdf_spec spec = { .kdf = kdf, .digest = digest, .iterations = iter };
    struct crypto_bytes pass = { 0 }, salt = { 0 };
    struct cb_error err = CB_ERROR_INIT;
    uint8_t out[80];

    ck_assert_int_eq(crypto_bytes_set(&pass, "password", 8), 0);
    unhex("0102030405060708", &salt);
    ck_assert_int_eq(crypto_derive(&spec, &pass, salt.data, salt.len, out, n, &err), 0);
    assert_hex(out, n, want);
    crypto_bytes_free(&pass);
    crypto_bytes_free(&salt);
}

START_TEST(test_evp_bytes_to_key_matches_openssl)
{
    /* openssl enc -aes-256-cbc -md md5 -P -S 0102030405060708 -pass pass:password */
    derive(CRYPTO_KDF_MD5, NULL, 0, 48,
           "E7B0971E52CA5CC8D0539FB3412F6316F7BA2E6EE293D9F3457B99436B51CE02"
           "8D450E2ED75A84A923D4EAC9FE49226B");
    /* ... -aes-128-cbc -md sha256 */
    derive(CRYPTO_KDF_SHA256, NULL, 0, 32,
           "2435177F1410536BAAD2ACC155C0F94783D58384573CB0F72157443606285D3F");
    /* ... -aes-256-cbc -pbkdf2 -iter 1000 -md sha256 */
    derive(CRYPTO_KDF_PBKDF2, "sha256", 1000, 48,
           "5CE847A8C3DAA60B98DA70C6B06031296D2534320C3431813B84B3FA4473C54D"
           "92918B1C19D3215A6FA510F1591AF42B");
}
END_TEST

START_TEST(test_pbkdf2_rfc6070)
{
    struct crypto_kdf_spec spec = { .kdf = CRYPTO_KDF_PBKDF2,
                                    .digest = "sha1",
                                    .iterations = 4096 };
    struct crypto_bytes pass = { 0 };
    struct cb_error err = CB_ERROR_INIT;
    uint8_t out[20];

    ck_assert_int_eq(crypto_bytes_set(&pass, "password", 8), 0);
    ck_assert_int_eq(crypto_derive(&spec, &pass, (const uint8_t *)"salt", 4, out, 20, &err), 0);
    assert_hex(out, 20, "4b007901b765489abead49d926f721d065a429c1");
    crypto_bytes_free(&pass);
}
END_TEST

START_TEST(test_aes256_cbc_nist_vector)
{
    struct crypto_bytes key = { 0 }, iv = { 0 }, pt = { 0 }, ct = { 0 }, back = { 0 };
    struct cb_error err = CB_ERROR_INIT;
    struct crypto_algo a;

    ck_assert_int_eq(crypto_algo_resolve("AES", 0, &a, &err), 0);
    unhex("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4", &key);
    unhex("000102030405060708090a0b0c0d0e0f", &iv);
    unhex("6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51", &pt);
    ck_assert_int_eq(crypto_cbc_encrypt(&a, key.data, iv.data, pt.data, pt.len, &ct, &err), 0);
    /* Two blocks of the vector, then the block of PKCS#7 padding (16 bytes of 0x10). */
    ck_assert_uint_eq(ct.len, 48);
    assert_hex(ct.data, 32, "f58c4c04d6e5f1ba779eabfb5f7bfbd69cfc4e967edb808d679f777bc6702c7d");
    ck_assert_int_eq(crypto_cbc_decrypt(&a, key.data, iv.data, ct.data, ct.len, &back, &err), 0);
    ck_assert_uint_eq(back.len, pt.len);
    ck_assert_int_eq(memcmp(back.data, pt.data, pt.len), 0);
    crypto_bytes_free(&key);
    crypto_bytes_free(&iv);
    crypto_bytes_free(&pt);
    crypto_bytes_free(&ct);
    crypto_bytes_free(&back);
}
END_TEST

/* Every corruption gives the same error, never garbage. */
START_TEST(test_bad_padding_is_one_uniform_error)
{
    struct crypto_algo algos[2];
    struct cb_error err = CB_ERROR_INIT;
    uint8_t key[32] = { 1 }, iv[16] = { 2 }, other[32] = { 3 };

    ck_assert_int_eq(crypto_algo_resolve("AES-128", 0, &algos[0], &err), 0);
    ck_assert_int_eq(crypto_algo_resolve("Blowfish", 0, &algos[1], &err), 0);
    for (size_t k = 0; k < 2; k++) {
        struct crypto_bytes ct = { 0 }, out = { 0 };
        const struct crypto_algo *a = &algos[k];

        ck_assert_int_eq(crypto_cbc_encrypt(a, key, iv, (const uint8_t *)"attack at dawn", 14, &ct,
                                            &err),
                         0);
        ck_assert_uint_eq(ct.len % a->block_len, 0);
        /* A wrong key, a truncated message, and a flipped bit in the last block. */
        ck_assert_int_lt(crypto_cbc_decrypt(a, other, iv, ct.data, ct.len, &out, &err), 0);
        ck_assert_str_eq(json_string_value(json_object_get(err.backend_error, "code")),
                         "BAD_DECRYPT");
        cb_error_clear(&err);
        ck_assert_int_lt(crypto_cbc_decrypt(a, key, iv, ct.data, ct.len - 1, &out, &err), 0);
        ck_assert_ptr_nonnull(strstr(err.message, "bad decrypt"));
        cb_error_clear(&err);
        ct.data[ct.len - 1] ^= 0x01;
        ck_assert_int_lt(crypto_cbc_decrypt(a, key, iv, ct.data, ct.len, &out, &err), 0);
        ck_assert_ptr_nonnull(strstr(err.message, "bad decrypt"));
        cb_error_clear(&err);
        ck_assert_ptr_null(out.data);
        crypto_bytes_free(&ct);

        /* A last byte of 0 is no padding either: one block that ends in NUL, alone. */
        ck_assert_int_eq(crypto_cbc_encrypt(a, key, iv, (const uint8_t *)"0123456789abcde", 16, &ct,
                                            &err),
                         0);
        ck_assert_int_lt(crypto_cbc_decrypt(a, key, iv, ct.data, 16, &out, &err), 0);
        cb_error_clear(&err);
        crypto_bytes_free(&ct);
    }
}
END_TEST

START_TEST(test_gcm_round_trip_and_tamper)
{
    uint8_t key[32] = { 9 }, nonce[CRYPTO_GCM_NONCE_LEN] = { 7 };
    struct crypto_bytes ct = { 0 }, pt = { 0 };
    struct cb_error err = CB_ERROR_INIT;

    ck_assert_int_eq(crypto_gcm_encrypt(key, nonce, (const uint8_t *)"payload", 7, &ct, &err), 0);
    ck_assert_uint_eq(ct.len, 7 + CRYPTO_GCM_TAG_LEN);
    ck_assert_int_eq(crypto_gcm_decrypt(key, nonce, ct.data, ct.len, &pt, &err), 0);
    ck_assert_uint_eq(pt.len, 7);
    ck_assert_int_eq(memcmp(pt.data, "payload", 7), 0);
    crypto_bytes_free(&pt);
    ct.data[0] ^= 0x80;
    ck_assert_int_lt(crypto_gcm_decrypt(key, nonce, ct.data, ct.len, &pt, &err), 0);
    ck_assert_ptr_nonnull(strstr(err.message, "bad decrypt"));
    cb_error_clear(&err);
    crypto_bytes_free(&ct);
}
END_TEST

START_TEST(test_algorithm_names)
{
    static const struct {
        const char *name;
        int64_t keysize;
        const char *canonical;
        size_t key_len;
    } ok[] = {
        { "AES", 0, "AES-256-CBC", 32 },
        { "rijndael", 0, "AES-256-CBC", 32 },
        { "Crypt::OpenSSL::AES", 0, "AES-256-CBC", 32 },
        { "aes-128", 0, "AES-128-CBC", 16 },
        { "AES", 24, "AES-192-CBC", 24 },
        { "Blowfish", 0, "BF-CBC", 56 },
        { "Crypt::Blowfish", 16, "BF-CBC", 16 },
    };
    struct cb_error err = CB_ERROR_INIT;
    struct crypto_algo a;

    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
        ck_assert_int_eq(crypto_algo_resolve(ok[i].name, ok[i].keysize, &a, &err), 0);
        ck_assert_str_eq(a.name, ok[i].canonical);
        ck_assert_uint_eq(a.key_len, ok[i].key_len);
    }
    ck_assert_int_lt(crypto_algo_resolve("DES", 0, &a, &err), 0);
    ck_assert_int_eq(err.code, CB_E_INVALID_PARAM);
    cb_error_clear(&err);
    ck_assert_int_lt(crypto_algo_resolve("AES", 20, &a, &err), 0);
    cb_error_clear(&err);
    ck_assert_int_lt(crypto_algo_resolve("ROT13", 0, &a, &err), 0);
    cb_error_clear(&err);
}
END_TEST

START_TEST(test_fips_rules)
{
    struct cb_config *c = cb_config_new_default();
    struct cb_error err = CB_ERROR_INIT;

    free(c->crypto_fips);
    c->crypto_fips = strdup("no");
    ck_assert_int_eq(crypto_fips_check(c, "Blowfish", &err), 0);
    free(c->crypto_fips);
    c->crypto_fips = strdup("yes");
    ck_assert_int_lt(crypto_fips_check(c, "Blowfish", &err), 0);
    ck_assert_int_eq(err.code, CB_E_DENIED);
    ck_assert_ptr_nonnull(strstr(err.message, "Blowfish"));
    cb_error_clear(&err);
    c->crypto_allow_legacy = true;
    ck_assert_int_eq(crypto_fips_check(c, "Blowfish", &err), 0);
    cb_config_free(c);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("crypto-vectors");
    TCase *tc = tcase_create("vectors");
    SRunner *sr;
    int failed;

    if (gnutls_global_init() < 0) {
        return EXIT_FAILURE;
    }
    tcase_add_test(tc, test_evp_bytes_to_key_matches_openssl);
    tcase_add_test(tc, test_pbkdf2_rfc6070);
    tcase_add_test(tc, test_aes256_cbc_nist_vector);
    tcase_add_test(tc, test_bad_padding_is_one_uniform_error);
    tcase_add_test(tc, test_gcm_round_trip_and_tamper);
    tcase_add_test(tc, test_algorithm_names);
    tcase_add_test(tc, test_fips_rules);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    gnutls_global_deinit();
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
