/*
 * test_incr.c - INCR, DECR, INCRBY, DECRBY and INCRBYFLOAT against a real
 * gencached: arithmetic, overflow and parse errors, TTL kept, encodings
 * and shared integers, and INCRBYFLOAT's long double formatting, all as
 * Redis 7.0.15 replies (checked against redis-server).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"

#define ERR_NOT_INT "ERR value is not an integer or out of range"
#define ERR_NOT_FLOAT "ERR value is not a valid float"
#define ERR_OVERFLOW "ERR increment or decrement would overflow"

/* Make key a list if this server has lists; 1 if it did. */
static int make_list(redisContext *c, const char *key)
{
    redisReply *r = th_cmd(c, "RPUSH %s a", key);
    int ok = r->type == REDIS_REPLY_INTEGER;

    freeReplyObject(r);
    return ok;
}

static void test_incr_basic(void **state)
{
    th_server_t *s = *state;

    th_expect_int(s->ctx, 1, "INCR novar");
    th_expect_str(s->ctx, "1", "GET novar");
    th_expect_int(s->ctx, 2, "INCR novar");
    th_expect_status(s->ctx, "OK", "SET novar 100");
    th_expect_int(s->ctx, 101, "INCR novar");
    th_expect_int(s->ctx, 100, "DECR novar");
    th_expect_int(s->ctx, -1, "DECR other");
    th_expect_status(s->ctx, "OK", "SET novar 17179869184");
    th_expect_int(s->ctx, 17179869185LL, "INCR novar");
    th_expect_int(s->ctx, 34359738369LL, "INCRBY novar 17179869184");
    th_expect_int(s->ctx, -1, "DECRBY novar 34359738370");
    th_expect_int(s->ctx, 4, "INCRBY novar 5");
    th_expect_int(s->ctx, 9, "DECRBY novar -5");
    th_expect_str(s->ctx, "9", "GET novar");
}

static void test_incr_parse_errors(void **state)
{
    th_server_t *s = *state;
    static const char *const bad[] = {
        " 11", "11 ", " 11 ", "1.0", "-0", "+1", "01", "abc", "",
        "9223372036854775808", "1\r", "0x10",
    };
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        th_expect_status(s->ctx, "OK", "SET novar %s", bad[i]);
        th_expect_error(s->ctx, ERR_NOT_INT, "INCR novar");
        th_expect_error(s->ctx, ERR_NOT_INT, "DECRBY novar 1");
        th_expect_str(s->ctx, bad[i], "GET novar");
    }
    th_expect_error(s->ctx, ERR_NOT_INT, "INCRBY k abc");
    th_expect_error(s->ctx, ERR_NOT_INT, "INCRBY k 1.5");
    th_expect_error(s->ctx, ERR_NOT_INT, "DECRBY k 9223372036854775808");
    th_expect_int(s->ctx, 0, "EXISTS k");
    th_expect_status(s->ctx, "OK", "SET n %b", "1\0", (size_t)2);
    th_expect_error(s->ctx, ERR_NOT_INT, "INCR n");
    if (make_list(s->ctx, "list")) {
        th_expect_error(s->ctx, "WRONGTYPE", "INCR list");
        th_expect_error(s->ctx, "WRONGTYPE", "DECRBY list 2");
        th_expect_error(s->ctx, "WRONGTYPE", "INCRBYFLOAT list 1.0");
    }
}

static void test_incr_overflow(void **state)
{
    th_server_t *s = *state;

    th_expect_status(s->ctx, "OK", "SET n 9223372036854775807");
    th_expect_error(s->ctx, ERR_OVERFLOW, "INCR n");
    th_expect_error(s->ctx, ERR_OVERFLOW, "INCRBY n 1");
    th_expect_int(s->ctx, -1, "INCRBY n -9223372036854775808");
    th_expect_status(s->ctx, "OK", "SET n -9223372036854775808");
    th_expect_error(s->ctx, ERR_OVERFLOW, "DECR n");
    th_expect_error(s->ctx, ERR_OVERFLOW, "DECRBY n 1");
    th_expect_str(s->ctx, "-9223372036854775808", "GET n");
    th_expect_error(s->ctx, ERR_NOT_INT, "INCRBY n 18446744073709551615");
}

static void test_decrby_negation_overflow(void **state)
{
    th_server_t *s = *state;

    th_expect_status(s->ctx, "OK", "SET x 0");
    th_expect_error(s->ctx, "ERR decrement would overflow",
                    "DECRBY x -9223372036854775808");
    th_expect_error(s->ctx, "ERR decrement would overflow",
                    "DECRBY missing -9223372036854775808");
    th_expect_str(s->ctx, "0", "GET x");
}

static void test_incr_keeps_ttl(void **state)
{
    th_server_t *s = *state;
    redisReply *r;

    th_expect_status(s->ctx, "OK", "SET q 1 EX 100");
    th_expect_int(s->ctx, 2, "INCR q");
    th_expect_int(s->ctx, 30002, "INCRBY q 30000");
    th_expect_int(s->ctx, 30003, "INCR q");
    r = th_cmd(s->ctx, "TTL q");
    assert_in_range(r->integer, 95, 100);
    freeReplyObject(r);
    th_expect_str(s->ctx, "30003.5", "INCRBYFLOAT q 0.5");
    r = th_cmd(s->ctx, "TTL q");
    assert_in_range(r->integer, 95, 100);
    freeReplyObject(r);
}

static void test_incr_encodings(void **state)
{
    th_server_t *s = *state;

    /* Results in 0..9999 are the shared integers. */
    th_expect_status(s->ctx, "OK", "SET foo -1");
    th_expect_int(s->ctx, 0, "INCR foo");
    th_expect_int(s->ctx, 2147483647, "OBJECT REFCOUNT foo");
    th_expect_status(s->ctx, "OK", "SET foo 9998");
    th_expect_int(s->ctx, 9999, "INCR foo");
    th_expect_int(s->ctx, 2147483647, "OBJECT REFCOUNT foo");
    th_expect_int(s->ctx, 10000, "INCR foo");
    th_expect_int(s->ctx, 1, "OBJECT REFCOUNT foo");
    th_expect_str(s->ctx, "int", "OBJECT ENCODING foo");
    /* A raw string holding a number becomes an int again. */
    th_expect_int(s->ctx, 2, "APPEND r 12");
    th_expect_int(s->ctx, 3, "APPEND r 3");
    th_expect_str(s->ctx, "raw", "OBJECT ENCODING r");
    th_expect_int(s->ctx, 124, "INCR r");
    th_expect_str(s->ctx, "int", "OBJECT ENCODING r");
    /* A shared integer bound to two keys: only one changes. */
    th_expect_status(s->ctx, "OK", "MSET a 5 b 5");
    th_expect_int(s->ctx, 6, "INCR a");
    th_expect_str(s->ctx, "5", "GET b");
    th_expect_status(s->ctx, "OK", "MSET a 50000 b 50000");
    th_expect_int(s->ctx, 50001, "INCR a");
    th_expect_str(s->ctx, "50000", "GET b");
}

static void test_incrbyfloat_basic(void **state)
{
    th_server_t *s = *state;

    th_expect_str(s->ctx, "1", "INCRBYFLOAT novar 1");
    th_expect_str(s->ctx, "1", "GET novar");
    th_expect_str(s->ctx, "embstr", "OBJECT ENCODING novar");
    th_expect_str(s->ctx, "1.25", "INCRBYFLOAT novar 0.25");
    th_expect_str(s->ctx, "1.25", "GET novar");
    th_expect_status(s->ctx, "OK", "SET novar 1.5");
    th_expect_str(s->ctx, "3", "INCRBYFLOAT novar 1.5");
    th_expect_status(s->ctx, "OK", "SET novar 17179869184");
    th_expect_str(s->ctx, "17179869185.5", "INCRBYFLOAT novar 1.5");
    th_expect_status(s->ctx, "OK", "SET novar 17179869184");
    th_expect_str(s->ctx, "34359738368", "INCRBYFLOAT novar 17179869184");
    th_expect_status(s->ctx, "OK", "SET foo 1");
    th_expect_str(s->ctx, "-0.1", "INCRBYFLOAT foo -1.1");
    th_expect_status(s->ctx, "OK", "SET f 10.5");
    th_expect_str(s->ctx, "10.6", "INCRBYFLOAT f 0.1");
    th_expect_status(s->ctx, "OK", "SET f 5.0e3");
    th_expect_str(s->ctx, "5200", "INCRBYFLOAT f 2.0e2");
    th_expect_status(s->ctx, "OK", "SET f 9223372036854775807");
    th_expect_str(s->ctx, "9223372036854775808", "INCRBYFLOAT f 1");
    th_expect_status(s->ctx, "OK", "SET f 1");
    th_expect_str(s->ctx, "1", "INCRBYFLOAT f 1e-20");
    th_expect_str(s->ctx, "16", "INCRBYFLOAT hex 0x10");
    th_expect_str(s->ctx, "0", "INCRBYFLOAT z -0.0");
}

static void test_incrbyfloat_large(void **state)
{
    th_server_t *s = *state;
    const char *want =
        "1000000000000000000008997324079559193870523944273290747938260082"
        "3212656465961809357558491520837504971903503725086142748359035925"
        "5618467298391309626052074864628732713564184365329408425510760601"
        "6789726652932370030551382947620994540294772781889620606179267611"
        "627097410650567187386105690089424915104006144";
    redisReply *r;

    th_expect_status(s->ctx, "OK", "SET f 5200");
    th_expect_str(s->ctx, want, "INCRBYFLOAT f 1e300");
    th_expect_str(s->ctx, "raw", "OBJECT ENCODING f");
    /* Beyond double range, still finite as a long double. */
    th_expect_status(s->ctx, "OK", "SET g 1");
    r = th_cmd(s->ctx, "INCRBYFLOAT g 1.5e4000");
    assert_int_equal(r->type, REDIS_REPLY_STRING);
    assert_int_equal(r->len, 4001);
    assert_memory_equal(r->str, "15000000000000000000279046972054913", 35);
    freeReplyObject(r);
    th_expect_int(s->ctx, 4001, "STRLEN g");
}

static void test_incrbyfloat_errors(void **state)
{
    th_server_t *s = *state;
    static const char *const bad[] = {"    11", "11    ", " 11 ", "abc",
                                      "", "1e", "nan"};
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        th_expect_status(s->ctx, "OK", "SET novar %s", bad[i]);
        th_expect_error(s->ctx, ERR_NOT_FLOAT, "INCRBYFLOAT novar 1.0");
        th_expect_str(s->ctx, bad[i], "GET novar");
    }
    th_expect_status(s->ctx, "OK", "SET foo 1");
    th_expect_int(s->ctx, 3, "SETRANGE foo 2 2");
    th_expect_error(s->ctx, ERR_NOT_FLOAT, "INCRBYFLOAT foo 1");
    th_expect_status(s->ctx, "OK", "SET foo 0");
    th_expect_error(s->ctx, "ERR increment would produce NaN or Infinity",
                    "INCRBYFLOAT foo +inf");
    th_expect_error(s->ctx, ERR_NOT_FLOAT, "INCRBYFLOAT foo 1e5000");
    th_expect_status(s->ctx, "OK", "SET big 1e4932");
    th_expect_error(s->ctx, "ERR increment would produce NaN or Infinity",
                    "INCRBYFLOAT big 1e4932");
    th_expect_error(s->ctx, ERR_NOT_FLOAT, "INCRBYFLOAT foo nan");
    th_expect_error(s->ctx, ERR_NOT_FLOAT, "INCRBYFLOAT foo abc");
    th_expect_error(s->ctx, ERR_NOT_FLOAT, "INCRBYFLOAT foo %s", " 1");
    th_expect_error(s->ctx, ERR_NOT_FLOAT, "INCRBYFLOAT foo %s", "1 ");
    th_expect_error(s->ctx, ERR_NOT_FLOAT, "INCRBYFLOAT foo %s", "");
    th_expect_error(s->ctx, ERR_NOT_FLOAT, "INCRBYFLOAT foo 1e-99999");
    th_expect_str(s->ctx, "0", "GET foo");
}

static void test_incrbyfloat_no_negative_zero(void **state)
{
    th_server_t *s = *state;
    char a[64], b[64];

    snprintf(a, sizeof(a), "%.17g", 1.0 / 41);
    snprintf(b, sizeof(b), "%.17g", -1.0 / 41);
    th_expect_str(s->ctx, "0.02439024390243902", "INCRBYFLOAT foo %s", a);
    th_expect_str(s->ctx, "0", "INCRBYFLOAT foo %s", b);
    th_expect_str(s->ctx, "0", "GET foo");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_incr_basic, th_test_setup),
        cmocka_unit_test_setup(test_incr_parse_errors, th_test_setup),
        cmocka_unit_test_setup(test_incr_overflow, th_test_setup),
        cmocka_unit_test_setup(test_decrby_negation_overflow, th_test_setup),
        cmocka_unit_test_setup(test_incr_keeps_ttl, th_test_setup),
        cmocka_unit_test_setup(test_incr_encodings, th_test_setup),
        cmocka_unit_test_setup(test_incrbyfloat_basic, th_test_setup),
        cmocka_unit_test_setup(test_incrbyfloat_large, th_test_setup),
        cmocka_unit_test_setup(test_incrbyfloat_errors, th_test_setup),
        cmocka_unit_test_setup(test_incrbyfloat_no_negative_zero,
                               th_test_setup),
    };

    return cmocka_run_group_tests(tests, th_group_setup, th_group_teardown);
}
