/*
 * test_bitops.c - the bit commands against a real gencached: SETBIT,
 * GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD and BITFIELD_RO, with Redis
 * 7.0.15's replies and error texts (checked against redis-server).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"

#define ERR_SYNTAX "ERR syntax error"
#define ERR_NOT_INT "ERR value is not an integer or out of range"
#define ERR_OFFSET "ERR bit offset is not an integer or out of range"
#define ERR_BIT "ERR bit is not an integer or out of range"
#define ERR_BF_TYPE                                                       \
    "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 " \
    "is not supported but i64 is."

/* Assert a bulk reply equal to s[0..len) (binary-safe), then free it. */
static void expect_bin(redisReply *r, const char *s, size_t len)
{
    assert_int_equal(r->type, REDIS_REPLY_STRING);
    assert_int_equal(r->len, len);
    assert_memory_equal(r->str, s, len);
    freeReplyObject(r);
}

/* Store s[0..len) at key (binary-safe). */
static void set_bin(redisContext *c, const char *key, const char *s,
                    size_t len)
{
    redisReply *r = th_cmd(c, "SET %s %b", key, s, len);

    assert_int_equal(r->type, REDIS_REPLY_STATUS);
    freeReplyObject(r);
}

#define NIL (INT64_MIN + 12345) /* stands for a nil element */

/* Assert an array reply of n integers or nils (nil written as NIL),
 * then free it. */
static void expect_ints(redisReply *r, const long long *v, size_t n)
{
    size_t i;

    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->elements, n);
    for (i = 0; i < n; i++) {
        if (v[i] == NIL) {
            assert_int_equal(r->element[i]->type, REDIS_REPLY_NIL);
            continue;
        }
        assert_int_equal(r->element[i]->type, REDIS_REPLY_INTEGER);
        assert_true(r->element[i]->integer == v[i]);
    }
    freeReplyObject(r);
}

#define EXPECT_INTS(r, ...)                                               \
    do {                                                                  \
        const long long v_[] = {__VA_ARGS__};                             \
        expect_ints((r), v_, sizeof(v_) / sizeof(v_[0]));                 \
    } while (0)

/* ---------------------------------------------------------------------
 * SETBIT / GETBIT
 * ------------------------------------------------------------------ */

static void test_setbit_creates_and_grows(void **state)
{
    th_server_t *s = *state;
    redisContext *c = s->ctx;

    th_expect_int(c, 0, "SETBIT k 1 1");
    expect_bin(th_cmd(c, "GET k"), "\x40", 1);
    th_expect_int(c, 1, "SETBIT k 1 1");
    th_expect_int(c, 1, "SETBIT k 1 0");
    th_expect_int(c, 0, "SETBIT k 23 1");
    expect_bin(th_cmd(c, "GET k"), "\x00\x00\x01", 3);
    th_expect_str(c, "raw", "OBJECT ENCODING k");
    th_expect_int(c, 1, "GETBIT k 23");
    th_expect_int(c, 0, "GETBIT k 22");
    th_expect_int(c, 0, "GETBIT k 1000000");
    th_expect_int(c, 0, "GETBIT nokey 0");
    th_expect_int(c, 0, "EXISTS nokey");
}

static void test_setbit_on_int_values(void **state)
{
    th_server_t *s = *state;
    redisContext *c = s->ctx;

    /* "1" is 0x31 = 00110001; the shared integer is copied first. */
    th_expect_status(c, "OK", "SET a 1");
    th_expect_status(c, "OK", "SET b 1");
    th_expect_int(c, 1, "GETBIT a 2");
    th_expect_int(c, 0, "GETBIT a 0");
    th_expect_int(c, 1, "SETBIT a 7 0");
    th_expect_str(c, "0", "GET a");
    th_expect_str(c, "1", "GET b");
    th_expect_str(c, "raw", "OBJECT ENCODING a");
    /* A private int keeps its TTL. */
    th_expect_status(c, "OK", "SET n 123456 EX 100");
    th_expect_int(c, 0, "SETBIT n 6 1");
    expect_bin(th_cmd(c, "GET n"), "323456", 6);
    th_expect_int(c, 100, "TTL n");
}

static void test_setbit_getbit_errors(void **state)
{
    th_server_t *s = *state;
    redisContext *c = s->ctx;

    th_expect_error(c, ERR_OFFSET, "SETBIT k -1 1");
    th_expect_error(c, ERR_OFFSET, "SETBIT k x 1");
    th_expect_error(c, ERR_OFFSET, "SETBIT k 4294967296 1");
    th_expect_error(c, ERR_BIT, "SETBIT k 0 2");
    th_expect_error(c, ERR_BIT, "SETBIT k 0 -1");
    th_expect_error(c, ERR_BIT, "SETBIT k 0 x");
    th_expect_error(c, ERR_OFFSET, "GETBIT k -1");
    th_expect_error(c, ERR_OFFSET, "GETBIT k 4294967296");
    th_expect_int(c, 0, "EXISTS k");
    th_expect_int(c, 1, "RPUSH l a");
    th_expect_error(c, "WRONGTYPE", "SETBIT l 0 1");
    th_expect_error(c, "WRONGTYPE", "GETBIT l 0");
    th_expect_error(c, "ERR wrong number of arguments for 'setbit'",
                    "SETBIT k 0");
}

static void test_setbit_limit_follows_proto_max_bulk_len(void **state)
{
    th_server_t *s = *state;
    redisContext *c = s->ctx;

    th_expect_status(c, "OK", "CONFIG SET proto-max-bulk-len 1048576");
    th_expect_error(c, ERR_OFFSET, "SETBIT k 8388608 1");
    th_expect_error(c, ERR_OFFSET, "BITFIELD k SET u8 #1048576 1");
    th_expect_int(c, 0, "SETBIT k 8388607 1");
    th_expect_int(c, 1048576, "STRLEN k");
    th_expect_status(c, "OK", "CONFIG SET proto-max-bulk-len 536870912");
}

/* ---------------------------------------------------------------------
 * BITCOUNT
 * ------------------------------------------------------------------ */

static void test_bitcount_ranges(void **state)
{
    th_server_t *s = *state;
    redisContext *c = s->ctx;

    th_expect_status(c, "OK", "SET s foobar");
    th_expect_int(c, 26, "BITCOUNT s");
    th_expect_int(c, 4, "BITCOUNT s 0 0");
    th_expect_int(c, 6, "BITCOUNT s 1 1");
    th_expect_int(c, 6, "BITCOUNT s 1 1 BYTE");
    th_expect_int(c, 17, "BITCOUNT s 5 30 BIT");
    th_expect_int(c, 26, "BITCOUNT s 0 -1 bit");
    th_expect_int(c, 0, "BITCOUNT s -1 -2");
    th_expect_int(c, 7, "BITCOUNT s -2 -1");
    th_expect_int(c, 0, "BITCOUNT s 100 200");
    th_expect_int(c, 0, "BITCOUNT nokey");
    th_expect_int(c, 0, "BITCOUNT nokey 0"); /* lookup comes first */
    set_bin(c, "e", "", 0);
    th_expect_int(c, 0, "BITCOUNT e");
    th_expect_int(c, 0, "BITCOUNT e 0 -1");
    th_expect_status(c, "OK", "SET n 12345");
    th_expect_int(c, 17, "BITCOUNT n");
}

static void test_bitcount_large_matches_bits(void **state)
{
    th_server_t *s = *state;
    redisContext *c = s->ctx;
    size_t n = 10007, i;
    char *buf = malloc(n);
    long long total = 0;

    srand(7);
    for (i = 0; i < n; i++) {
        buf[i] = (char)(rand() & 0xff);
        total += __builtin_popcount((unsigned char)buf[i]);
    }
    set_bin(c, "big", buf, n);
    th_expect_int(c, total, "BITCOUNT big");
    /* Bits 3 .. 8*n-5 (odd edges) against a bit-by-bit count. */
    total = 0;
    for (i = 3; i <= 8 * n - 5; i++)
        total += (buf[i / 8] >> (7 - i % 8)) & 1;
    th_expect_int(c, total, "BITCOUNT big 3 -5 BIT");
    free(buf);
}

static void test_bitcount_errors(void **state)
{
    th_server_t *s = *state;
    redisContext *c = s->ctx;

    th_expect_status(c, "OK", "SET s foobar");
    th_expect_error(c, ERR_SYNTAX, "BITCOUNT s 0");
    th_expect_error(c, ERR_SYNTAX, "BITCOUNT s 0 1 foo");
    th_expect_error(c, ERR_SYNTAX, "BITCOUNT s 0 1 bit x");
    th_expect_error(c, ERR_NOT_INT, "BITCOUNT s a 1");
    th_expect_int(c, 1, "RPUSH l a");
    th_expect_error(c, "WRONGTYPE", "BITCOUNT l");
}

/* ---------------------------------------------------------------------
 * BITPOS
 * ------------------------------------------------------------------ */

static void test_bitpos(void **state)
{
    th_server_t *s = *state;
    redisContext *c = s->ctx;

    set_bin(c, "m", "\xff\xf0\x00", 3);
    th_expect_int(c, 12, "BITPOS m 0");
    th_expect_int(c, 0, "BITPOS m 1");
    th_expect_int(c, -1, "BITPOS m 1 2");
    th_expect_int(c, -1, "BITPOS m 0 0 0");
    th_expect_int(c, 12, "BITPOS m 0 1 1 BYTE");
    th_expect_int(c, -1, "BITPOS m 0 3 10 BIT");
    th_expect_int(c, 3, "BITPOS m 1 3 10 BIT");
    th_expect_int(c, 16, "BITPOS m 0 -1");
    th_expect_int(c, -1, "BITPOS m 1 -1 -1");
    set_bin(c, "ones", "\xff\xff", 2);
    th_expect_int(c, 16, "BITPOS ones 0");    /* padding after the end */
    th_expect_int(c, -1, "BITPOS ones 0 0 -1"); /* explicit end */
    th_expect_int(c, 16, "BITPOS ones 0 1");
    th_expect_int(c, -1, "BITPOS ones 0 2 9 BIT");
    th_expect_int(c, 0, "BITPOS nokey 0");
    th_expect_int(c, -1, "BITPOS nokey 1");
    set_bin(c, "e", "", 0);
    th_expect_int(c, -1, "BITPOS e 0");
    th_expect_int(c, -1, "BITPOS e 1");
}

static void test_bitpos_long_runs(void **state)
{
    th_server_t *s = *state;
    redisContext *c = s->ctx;
    size_t n = 1000;
    char *buf = calloc(n, 1);

    buf[777] = 0x04; /* bit 777 * 8 + 5 */
    set_bin(c, "z", buf, n);
    th_expect_int(c, 777 * 8 + 5, "BITPOS z 1");
    th_expect_int(c, 777 * 8 + 5, "BITPOS z 1 3 -1");
    th_expect_int(c, 777 * 8 + 5, "BITPOS z 1 9 -1 BIT");
    th_expect_int(c, -1, "BITPOS z 1 778");
    memset(buf, 0xff, n);
    buf[901] = (char)0xfe;
    set_bin(c, "o", buf, n);
    th_expect_int(c, 901 * 8 + 7, "BITPOS o 0");
    th_expect_int(c, -1, "BITPOS o 0 902 -1");
    th_expect_int(c, 8000, "BITPOS o 0 902");
    free(buf);
}

static void test_bitpos_errors(void **state)
{
    th_server_t *s = *state;
    redisContext *c = s->ctx;

    th_expect_status(c, "OK", "SET s foobar");
    th_expect_error(c, "ERR The bit argument must be 1 or 0.",
                    "BITPOS s 2");
    th_expect_error(c, ERR_NOT_INT, "BITPOS s x");
    th_expect_error(c, ERR_NOT_INT, "BITPOS s 1 x");
    th_expect_error(c, ERR_SYNTAX, "BITPOS s 1 0 -1 foo");
    th_expect_error(c, ERR_SYNTAX, "BITPOS s 1 0 -1 bit x");
    th_expect_int(c, 1, "RPUSH l a");
    th_expect_error(c, "WRONGTYPE", "BITPOS l 1");
}

/* ---------------------------------------------------------------------
 * BITOP
 * ------------------------------------------------------------------ */

static void test_bitop_ops(void **state)
{
    th_server_t *s = *state;
    redisContext *c = s->ctx;

    set_bin(c, "a", "\xf0\x0f\xaa", 3);
    set_bin(c, "b", "\xff\x01", 2);
    th_expect_int(c, 3, "BITOP AND d a b");
    expect_bin(th_cmd(c, "GET d"), "\xf0\x01\x00", 3);
    th_expect_int(c, 3, "BITOP or d a b");
    expect_bin(th_cmd(c, "GET d"), "\xff\x0f\xaa", 3);
    th_expect_int(c, 3, "BITOP XOR d a b");
    expect_bin(th_cmd(c, "GET d"), "\x0f\x0e\xaa", 3);
    th_expect_int(c, 3, "BITOP NOT d a");
    expect_bin(th_cmd(c, "GET d"), "\x0f\xf0\x55", 3);
    th_expect_str(c, "raw", "OBJECT ENCODING d");
    /* Missing sources are empty; the destination may be a source. */
    th_expect_int(c, 3, "BITOP OR a a nokey");
    expect_bin(th_cmd(c, "GET a"), "\xf0\x0f\xaa", 3);
    th_expect_int(c, 3, "BITOP AND d a nokey");
    expect_bin(th_cmd(c, "GET d"), "\x00\x00\x00", 3);
    /* Int-encoded sources use their decimal bytes. */
    th_expect_status(c, "OK", "SET i 12");
    th_expect_int(c, 2, "BITOP XOR d i i");
    expect_bin(th_cmd(c, "GET d"), "\x00\x00", 2);
}

static void test_bitop_empty_result_deletes(void **state)
{
    th_server_t *s = *state;
    redisContext *c = s->ctx;

    th_expect_status(c, "OK", "SET d x EX 100");
    th_expect_int(c, 0, "BITOP OR d n1 n2");
    th_expect_int(c, 0, "EXISTS d");
    th_expect_status(c, "OK", "SET d x EX 100");
    th_expect_int(c, 1, "BITOP NOT d d");
    th_expect_int(c, -1, "TTL d"); /* a new value: TTL gone */
}

static void test_bitop_errors(void **state)
{
    th_server_t *s = *state;
    redisContext *c = s->ctx;

    th_expect_error(c, ERR_SYNTAX, "BITOP FOO d a");
    th_expect_error(c,
                    "ERR BITOP NOT must be called with a single source key.",
                    "BITOP NOT d a b");
    th_expect_int(c, 1, "RPUSH l a");
    th_expect_status(c, "OK", "SET a x");
    th_expect_error(c, "WRONGTYPE", "BITOP OR d a l");
    th_expect_int(c, 0, "EXISTS d");
    th_expect_error(c, "ERR wrong number of arguments for 'bitop'",
                    "BITOP OR d");
}

/* ---------------------------------------------------------------------
 * BITFIELD
 * ------------------------------------------------------------------ */

static void test_bitfield_get_set_incrby(void **state)
{
    th_server_t *s = *state;
    redisContext *c = s->ctx;

    EXPECT_INTS(th_cmd(c, "BITFIELD bf SET i8 0 -100 GET i8 0 GET u8 0 "
                          "INCRBY i8 0 -100"),
                0, -100, 156, 56);
    EXPECT_INTS(th_cmd(c, "BITFIELD bf SET u4 #1 15 GET u4 #1 GET u4 4 "
                          "GET i4 4 INCRBY u4 #1 1"),
                8, 15, 15, -1, 0);
    EXPECT_INTS(th_cmd(c, "BITFIELD bf GET u16 0"), 0x3000);
    EXPECT_INTS(th_cmd(c, "BITFIELD bf SET i64 0 9223372036854775807 "
                          "INCRBY i64 0 1 GET u63 0"),
                0x3000LL << 48, INT64_MIN, 0x4000000000000000LL);
    /* Reads past the end see zeros; a GET-only BITFIELD creates nothing. */
    EXPECT_INTS(th_cmd(c, "BITFIELD nk GET u8 0 GET i8 100"), 0, 0);
    th_expect_int(c, 0, "EXISTS nk");
    /* Writing beyond the end grows the string. */
    EXPECT_INTS(th_cmd(c, "BITFIELD g SET u8 #3 255"), 0);
    expect_bin(th_cmd(c, "GET g"), "\x00\x00\x00\xff", 4);
}

static void test_bitfield_overflow(void **state)
{
    th_server_t *s = *state;
    redisContext *c = s->ctx;

    EXPECT_INTS(th_cmd(c, "BITFIELD k SET u8 0 255 INCRBY u8 0 10 "
                          "OVERFLOW SAT INCRBY u8 0 250 "
                          "OVERFLOW FAIL INCRBY u8 0 1 INCRBY u8 0 -1"),
                0, 9, 255, NIL, 254);
    EXPECT_INTS(th_cmd(c, "BITFIELD k OVERFLOW SAT SET i8 0 1000 "
                          "SET i8 0 -1000 SET u8 0 -1 SET u8 0 300 "
                          "OVERFLOW FAIL SET u8 0 300 SET i8 0 200 "
                          "GET u8 0"),
                -2, 127, 128, 255, NIL, NIL, 255);
    EXPECT_INTS(th_cmd(c, "BITFIELD k OVERFLOW WRAP SET u8 0 300 GET u8 0 "
                          "SET i8 0 200 GET i8 0 INCRBY i8 0 -100"),
                255, 44, 44, -56, 100);
    EXPECT_INTS(th_cmd(c, "BITFIELD w OVERFLOW SAT INCRBY i64 0 "
                          "9223372036854775807 INCRBY i64 0 1 "
                          "INCRBY i64 0 -9223372036854775808 "
                          "INCRBY i64 0 -9223372036854775808 "
                          "INCRBY i64 0 -1"),
                INT64_MAX, INT64_MAX, -1, INT64_MIN, INT64_MIN);
    /* A FAIL that changes nothing still creates the key. */
    EXPECT_INTS(th_cmd(c, "BITFIELD f OVERFLOW FAIL INCRBY u2 0 5"), NIL);
    expect_bin(th_cmd(c, "GET f"), "\x00", 1);
}

static void test_bitfield_errors(void **state)
{
    th_server_t *s = *state;
    redisContext *c = s->ctx;

    th_expect_error(c, ERR_BF_TYPE, "BITFIELD k GET u64 0");
    th_expect_error(c, ERR_BF_TYPE, "BITFIELD k GET i65 0");
    th_expect_error(c, ERR_BF_TYPE, "BITFIELD k GET I8 0");
    th_expect_error(c, ERR_BF_TYPE, "BITFIELD k GET u0 0");
    th_expect_error(c, ERR_OFFSET, "BITFIELD k GET i8 x");
    th_expect_error(c, ERR_OFFSET, "BITFIELD k GET i8 #-1");
    th_expect_error(c, ERR_OFFSET, "BITFIELD k GET i8 -1");
    th_expect_error(c, ERR_OFFSET, "BITFIELD k GET i8 #536870912");
    th_expect_error(c, ERR_NOT_INT, "BITFIELD k SET i8 0 x");
    th_expect_error(c, "ERR Invalid OVERFLOW type specified",
                    "BITFIELD k OVERFLOW foo GET i8 0");
    th_expect_error(c, ERR_SYNTAX, "BITFIELD k OVERFLOW");
    th_expect_error(c, ERR_SYNTAX, "BITFIELD k GET i8");
    th_expect_error(c, ERR_SYNTAX, "BITFIELD k FOO");
    th_expect_int(c, 0, "EXISTS k");
    /* No operations: an empty array. */
    expect_ints(th_cmd(c, "BITFIELD k"), NULL, 0);
    th_expect_int(c, 1, "RPUSH l a");
    th_expect_error(c, "WRONGTYPE", "BITFIELD l GET i8 0");
    th_expect_error(c, "WRONGTYPE", "BITFIELD l SET i8 0 1");
}

static void test_bitfield_ro(void **state)
{
    th_server_t *s = *state;
    redisContext *c = s->ctx;

    set_bin(c, "k", "\x81\x02", 2);
    EXPECT_INTS(th_cmd(c, "BITFIELD_RO k GET i8 0 GET u16 0 GET u8 #1"),
                -127, 0x8102, 2);
    EXPECT_INTS(th_cmd(c, "BITFIELD_RO nokey GET i8 0"), 0);
    th_expect_error(c, "ERR BITFIELD_RO only supports the GET subcommand",
                    "BITFIELD_RO k GET i8 0 INCRBY i8 0 1");
    th_expect_error(c, ERR_BF_TYPE, "BITFIELD_RO k SET u64 0 1");
    expect_bin(th_cmd(c, "GET k"), "\x81\x02", 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_setbit_creates_and_grows, th_test_setup),
        cmocka_unit_test_setup(test_setbit_on_int_values, th_test_setup),
        cmocka_unit_test_setup(test_setbit_getbit_errors, th_test_setup),
        cmocka_unit_test_setup(test_setbit_limit_follows_proto_max_bulk_len,
                               th_test_setup),
        cmocka_unit_test_setup(test_bitcount_ranges, th_test_setup),
        cmocka_unit_test_setup(test_bitcount_large_matches_bits,
                               th_test_setup),
        cmocka_unit_test_setup(test_bitcount_errors, th_test_setup),
        cmocka_unit_test_setup(test_bitpos, th_test_setup),
        cmocka_unit_test_setup(test_bitpos_long_runs, th_test_setup),
        cmocka_unit_test_setup(test_bitpos_errors, th_test_setup),
        cmocka_unit_test_setup(test_bitop_ops, th_test_setup),
        cmocka_unit_test_setup(test_bitop_empty_result_deletes,
                               th_test_setup),
        cmocka_unit_test_setup(test_bitop_errors, th_test_setup),
        cmocka_unit_test_setup(test_bitfield_get_set_incrby, th_test_setup),
        cmocka_unit_test_setup(test_bitfield_overflow, th_test_setup),
        cmocka_unit_test_setup(test_bitfield_errors, th_test_setup),
        cmocka_unit_test_setup(test_bitfield_ro, th_test_setup),
    };

    return cmocka_run_group_tests(tests, th_group_setup, th_group_teardown);
}
