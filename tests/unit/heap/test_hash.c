/*
 * test_hash.c - heap/hash.c: SipHash against the reference SipHash-2-4
 * vectors (key 00..0f, message 00..n-1), SipHash-1-2 values from an
 * independent implementation, and the seeded hp_hash.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "heap_int.h"

static uint8_t key[16];
static uint8_t msg[64];

static int setup(void **state)
{
    for (int i = 0; i < 16; i++)
        key[i] = (uint8_t)i;
    for (int i = 0; i < 64; i++)
        msg[i] = (uint8_t)i;
    return 0;
}

static void test_hash_siphash24_reference_vectors(void **state)
{
    static const struct {
        size_t len;
        uint64_t h;
    } v[] = {
        {0, 0x726fdb47dd0e0e31ULL},  {1, 0x74f839c593dc67fdULL},
        {2, 0x0d6c8009d9a94f5aULL},  {3, 0x85676696d7fb7e2dULL},
        {7, 0xab0200f58b01d137ULL},  {8, 0x93f5f5799a932462ULL},
        {15, 0xa129ca6149be45e5ULL}, {63, 0x958a324ceb064572ULL},
    };

    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
        assert_int_equal(hp__siphash(msg, v[i].len, key, 2, 4), v[i].h);
}

static void test_hash_siphash12_values(void **state)
{
    static const struct {
        size_t len;
        uint64_t h;
    } v[] = {
        {0, 0xcea28b51565c12e2ULL},  {1, 0x94aaf38c34ce7ba6ULL},
        {7, 0xf03c4cbcf492b05aULL},  {8, 0x606845b4d093af74ULL},
        {9, 0xe304e78271c74a56ULL},  {15, 0xec8f61bc1c8966a6ULL},
        {16, 0x1311f4dfe747a751ULL}, {17, 0x899c7b292c85339cULL},
        {63, 0xff6d07afacbad6d9ULL},
    };

    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
        assert_int_equal(hp__siphash(msg, v[i].len, key, 1, 2), v[i].h);
}

static void test_hash_is_siphash12_under_seed(void **state)
{
    uint8_t zero[16] = {0};

    hp_hash_seed(key);
    assert_int_equal(hp_hash((const char *)msg, 15),
                     hp__siphash(msg, 15, key, 1, 2));
    hp_hash_seed(zero);
    assert_int_equal(hp_hash("hello world", 11), 0x4e29477a5421e97eULL);
}

static void test_hash_seed_changes_hash(void **state)
{
    uint8_t other[16];
    uint64_t a, b;

    hp_hash_seed(key);
    a = hp_hash("some key", 8);
    memcpy(other, key, 16);
    other[5] ^= 1;
    hp_hash_seed(other);
    b = hp_hash("some key", 8);
    assert_true(a != b);
    hp_hash_seed(key);
    assert_int_equal(hp_hash("some key", 8), a);
}

static void test_hash_unaligned_input(void **state)
{
    char buf[80];

    hp_hash_seed(key);
    for (int off = 0; off < 8; off++) {
        memcpy(buf + off, msg, 63);
        assert_int_equal(hp_hash(buf + off, 63),
                         hp__siphash(msg, 63, key, 1, 2));
    }
}

static void test_hash_spreads_keys(void **state)
{
    /* 4096 keys into 256 buckets: none should be wildly loaded. */
    int count[256] = {0};
    char k[32];

    hp_hash_seed(key);
    for (int i = 0; i < 4096; i++) {
        int n = snprintf(k, sizeof(k), "key:%d", i);

        count[hp_hash(k, (size_t)n) & 255]++;
    }
    for (int i = 0; i < 256; i++)
        assert_true(count[i] > 0 && count[i] < 48);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hash_siphash24_reference_vectors),
        cmocka_unit_test(test_hash_siphash12_values),
        cmocka_unit_test(test_hash_is_siphash12_under_seed),
        cmocka_unit_test(test_hash_seed_changes_hash),
        cmocka_unit_test(test_hash_unaligned_input),
        cmocka_unit_test(test_hash_spreads_keys),
    };

    return cmocka_run_group_tests(tests, setup, NULL);
}
