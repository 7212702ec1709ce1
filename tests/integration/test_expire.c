/*
 * test_expire.c - TTLs against a real gencached: the EXPIRE and TTL
 * families, PERSIST, NX/XX/GT/LT, error texts, lazy expiry on access and
 * active expiry of keys nobody touches.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

/* Per-test setup: clean data, active expiry back on. */
static int test_setup(void **state)
{
    th_server_t *s = *state;

    if (th_test_setup(state) != 0) {
        return -1;
    }
    th_expect_status(s->ctx, "OK", "DEBUG SET-ACTIVE-EXPIRE 1");
    return 0;
}

/* Integer reply of a command. */
static long long int_of(redisContext *c, const char *fmt, ...)
{
    va_list ap;
    redisReply *r;
    long long v;

    va_start(ap, fmt);
    r = redisvCommand(c, fmt, ap);
    va_end(ap);
    assert_non_null(r);
    assert_int_equal(r->type, REDIS_REPLY_INTEGER);
    v = r->integer;
    freeReplyObject(r);
    return v;
}

/* A numeric field of INFO stats. */
static long long info_stat(redisContext *c, const char *field)
{
    redisReply *r = th_cmd(c, "INFO stats");
    char *p;
    long long v;

    assert_int_equal(r->type, REDIS_REPLY_STRING);
    p = strstr(r->str, field);
    assert_non_null(p);
    v = atoll(p + strlen(field) + 1);
    freeReplyObject(r);
    return v;
}

static long long now_ms(void)
{
    struct timeval tv;

    gettimeofday(&tv, NULL);
    return (long long)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

static void test_expire_basic_ttl(void **state)
{
    th_server_t *s = *state;
    long long v;

    th_expect_int(s->ctx, -2, "TTL nosuch");
    th_expect_int(s->ctx, -2, "PTTL nosuch");
    th_expect_int(s->ctx, 0, "EXPIRE nosuch 100");
    th_expect_status(s->ctx, "OK", "SET k v");
    th_expect_int(s->ctx, -1, "TTL k");
    th_expect_int(s->ctx, -1, "PTTL k");
    th_expect_int(s->ctx, 1, "EXPIRE k 100");
    th_expect_int(s->ctx, 100, "TTL k");
    v = int_of(s->ctx, "PTTL k");
    assert_true(v > 99000 && v <= 100000);
    th_expect_int(s->ctx, 1, "PEXPIRE k 1500");
    v = int_of(s->ctx, "PTTL k");
    assert_true(v > 1400 && v <= 1500);
    th_expect_int(s->ctx, 1, "PEXPIRE k 200000");
    th_expect_int(s->ctx, 200, "TTL k");
}

static void test_expire_past_deletes(void **state)
{
    th_server_t *s = *state;
    long long expired = info_stat(s->ctx, "expired_keys");

    th_expect_status(s->ctx, "OK", "MSET a 1 b 2 c 3 d 4 e 5");
    th_expect_int(s->ctx, 1, "EXPIRE a -1");
    th_expect_int(s->ctx, 1, "PEXPIRE b 0");
    th_expect_int(s->ctx, 1, "EXPIREAT c 1");
    th_expect_int(s->ctx, 1, "PEXPIREAT d -9223372036854775808");
    th_expect_int(s->ctx, 1, "EXPIRE e -100000");
    th_expect_int(s->ctx, 0, "EXISTS a b c d e");
    th_expect_int(s->ctx, 0, "DBSIZE");
    /* Deleted by the command, not expired. */
    assert_int_equal(info_stat(s->ctx, "expired_keys"), expired);
}

static void test_expire_at_and_expiretime(void **state)
{
    th_server_t *s = *state;
    long long at = now_ms() + 100000;

    th_expect_int(s->ctx, -2, "EXPIRETIME nosuch");
    th_expect_int(s->ctx, -2, "PEXPIRETIME nosuch");
    th_expect_status(s->ctx, "OK", "SET k v");
    th_expect_int(s->ctx, -1, "EXPIRETIME k");
    th_expect_int(s->ctx, -1, "PEXPIRETIME k");
    th_expect_int(s->ctx, 1, "PEXPIREAT k %lld", at);
    th_expect_int(s->ctx, at, "PEXPIRETIME k");
    th_expect_int(s->ctx, (at + 500) / 1000, "EXPIRETIME k");
    th_expect_int(s->ctx, 1, "EXPIREAT k %lld", at / 1000);
    th_expect_int(s->ctx, at / 1000, "EXPIRETIME k");
    th_expect_int(s->ctx, at / 1000 * 1000, "PEXPIRETIME k");
}

static void test_expire_persist(void **state)
{
    th_server_t *s = *state;

    th_expect_int(s->ctx, 0, "PERSIST nosuch");
    th_expect_status(s->ctx, "OK", "SET k v");
    th_expect_int(s->ctx, 0, "PERSIST k");
    th_expect_int(s->ctx, 1, "EXPIRE k 100");
    th_expect_int(s->ctx, 1, "PERSIST k");
    th_expect_int(s->ctx, -1, "TTL k");
    th_expect_int(s->ctx, 0, "PERSIST k");
    /* A plain SET drops the TTL, KEEPTTL keeps it. */
    th_expect_int(s->ctx, 1, "EXPIRE k 100");
    th_expect_status(s->ctx, "OK", "SET k v2 KEEPTTL");
    th_expect_int(s->ctx, 100, "TTL k");
    th_expect_status(s->ctx, "OK", "SET k v3");
    th_expect_int(s->ctx, -1, "TTL k");
}

static void test_expire_nx_xx_gt_lt(void **state)
{
    th_server_t *s = *state;

    th_expect_status(s->ctx, "OK", "SET k v");
    th_expect_int(s->ctx, 0, "EXPIRE k 100 XX");
    th_expect_int(s->ctx, 0, "EXPIRE k 100 GT"); /* no TTL = infinite */
    th_expect_int(s->ctx, -1, "TTL k");
    th_expect_int(s->ctx, 1, "EXPIRE k 100 NX");
    th_expect_int(s->ctx, 0, "EXPIRE k 200 NX");
    th_expect_int(s->ctx, 100, "TTL k");
    th_expect_int(s->ctx, 1, "EXPIRE k 200 XX");
    th_expect_int(s->ctx, 200, "TTL k");
    th_expect_int(s->ctx, 0, "EXPIRE k 100 GT");
    th_expect_int(s->ctx, 1, "EXPIRE k 300 gt");
    th_expect_int(s->ctx, 300, "TTL k");
    th_expect_int(s->ctx, 0, "EXPIRE k 400 LT");
    th_expect_int(s->ctx, 1, "EXPIRE k 50 lt");
    th_expect_int(s->ctx, 50, "TTL k");
    th_expect_int(s->ctx, 1, "EXPIRE k 60 XX GT");
    th_expect_int(s->ctx, 60, "TTL k");
    th_expect_int(s->ctx, 1, "PERSIST k");
    th_expect_int(s->ctx, 1, "EXPIRE k 10 LT"); /* no TTL: LT applies */
    th_expect_int(s->ctx, 10, "TTL k");
    th_expect_int(s->ctx, 0, "PEXPIRE nosuch 10 NX");
}

static void test_expire_errors(void **state)
{
    th_server_t *s = *state;

    th_expect_status(s->ctx, "OK", "SET k v");
    th_expect_error(s->ctx,
                    "ERR NX and XX, GT or LT options at the same time are "
                    "not compatible",
                    "EXPIRE k 10 NX XX");
    th_expect_error(s->ctx,
                    "ERR NX and XX, GT or LT options at the same time are "
                    "not compatible",
                    "PEXPIRE k 10 GT NX");
    th_expect_error(s->ctx,
                    "ERR NX and XX, GT or LT options at the same time are "
                    "not compatible",
                    "EXPIREAT k 10 NX LT");
    th_expect_error(s->ctx,
                    "ERR GT and LT options at the same time are not "
                    "compatible",
                    "PEXPIREAT k 10 GT LT");
    th_expect_error(s->ctx, "ERR Unsupported option foo", "EXPIRE k 10 foo");
    th_expect_error(s->ctx, "ERR Unsupported option bar",
                    "EXPIRE k abc bar");
    th_expect_error(s->ctx, "ERR value is not an integer or out of range",
                    "EXPIRE k abc");
    th_expect_error(s->ctx, "ERR value is not an integer or out of range",
                    "PEXPIRE k 1.5");
    th_expect_error(s->ctx, "ERR invalid expire time in 'expire' command",
                    "EXPIRE k 9223372036854775");
    th_expect_error(s->ctx, "ERR invalid expire time in 'expire' command",
                    "EXPIRE k -9223372036854776");
    th_expect_error(s->ctx, "ERR invalid expire time in 'pexpire' command",
                    "PEXPIRE k 9223372036854775807");
    th_expect_error(s->ctx, "ERR invalid expire time in 'expireat' command",
                    "EXPIREAT k 9223372036854776");
    th_expect_error(s->ctx,
                    "ERR wrong number of arguments for 'expire' command",
                    "EXPIRE k");
    th_expect_error(s->ctx, "ERR wrong number of arguments for 'ttl' command",
                    "TTL");
    /* Nothing changed. */
    th_expect_int(s->ctx, -1, "TTL k");
    /* PEXPIREAT with the largest time is fine. */
    th_expect_int(s->ctx, 1, "PEXPIREAT k 9223372036854775807");
    th_expect_int(s->ctx, 9223372036854775807LL, "PEXPIRETIME k");
}

static void test_expire_lazy_on_access(void **state)
{
    th_server_t *s = *state;
    redisReply *r;

    /* one transaction: the GET runs before the TTL can pass */
    th_expect_status(s->ctx, "OK", "MULTI");
    th_expect_status(s->ctx, "QUEUED", "SET k v PX 100");
    th_expect_status(s->ctx, "QUEUED", "GET k");
    r = th_cmd(s->ctx, "EXEC");
    assert_int_equal(r->elements, 2);
    assert_string_equal(r->element[1]->str, "v");
    freeReplyObject(r);
    usleep(200 * 1000);
    th_expect_nil(s->ctx, "GET k");
    th_expect_int(s->ctx, -2, "TTL k");
}

static void test_expire_lazy_without_active(void **state)
{
    th_server_t *s = *state;
    long long expired;
    redisReply *r;

    th_expect_status(s->ctx, "OK", "DEBUG SET-ACTIVE-EXPIRE 0");
    expired = info_stat(s->ctx, "expired_keys");
    th_expect_status(s->ctx, "OK", "SET a v PX 50");
    th_expect_status(s->ctx, "OK", "SET b v PX 50");
    th_expect_status(s->ctx, "OK", "SET c v PX 50");
    th_expect_status(s->ctx, "OK", "SET keep v");
    usleep(300 * 1000);
    /* Nobody reclaimed them yet, but nobody sees them either. */
    th_expect_int(s->ctx, 4, "DBSIZE");
    r = th_cmd(s->ctx, "KEYS *");
    assert_int_equal(r->elements, 1);
    assert_string_equal(r->element[0]->str, "keep");
    freeReplyObject(r);
    r = th_cmd(s->ctx, "SCAN 0 COUNT 100");
    assert_int_equal(r->element[1]->elements, 1);
    freeReplyObject(r);
    /* SCAN reclaimed the three it met. */
    th_expect_int(s->ctx, 1, "DBSIZE");
    assert_int_equal(info_stat(s->ctx, "expired_keys"), expired + 3);
    th_expect_status(s->ctx, "OK", "SET d v PX 50");
    usleep(100 * 1000);
    th_expect_int(s->ctx, 0, "EXISTS d");
    th_expect_int(s->ctx, 1, "DBSIZE");
    assert_int_equal(info_stat(s->ctx, "expired_keys"), expired + 4);
    th_expect_status(s->ctx, "OK", "DEBUG SET-ACTIVE-EXPIRE 1");
}

static void test_expire_randomkey_skips_expired(void **state)
{
    th_server_t *s = *state;

    th_expect_status(s->ctx, "OK", "DEBUG SET-ACTIVE-EXPIRE 0");
    for (int i = 0; i < 20; i++) {
        th_expect_status(s->ctx, "OK", "SET k%d v PX 20", i);
    }
    th_expect_status(s->ctx, "OK", "SET keep v");
    usleep(100 * 1000);
    for (int i = 0; i < 5; i++) {
        th_expect_str(s->ctx, "keep", "RANDOMKEY");
    }
    th_expect_int(s->ctx, 1, "DEL keep");
    th_expect_status(s->ctx, "OK", "SET gone v PX 20");
    usleep(100 * 1000);
    th_expect_nil(s->ctx, "RANDOMKEY");
    th_expect_status(s->ctx, "OK", "DEBUG SET-ACTIVE-EXPIRE 1");
}

static void test_expire_commands_see_expired_as_missing(void **state)
{
    th_server_t *s = *state;

    th_expect_status(s->ctx, "OK", "DEBUG SET-ACTIVE-EXPIRE 0");
    th_expect_status(s->ctx, "OK", "MSET a 1 b 2 c 3 d 4 e 5");
    th_expect_int(s->ctx, 1, "PEXPIRE a 20");
    th_expect_int(s->ctx, 1, "PEXPIRE b 20");
    th_expect_int(s->ctx, 1, "PEXPIRE c 20");
    th_expect_int(s->ctx, 1, "PEXPIRE d 20");
    th_expect_int(s->ctx, 1, "PEXPIRE e 20");
    usleep(100 * 1000);
    th_expect_int(s->ctx, 0, "EXPIRE a 100");
    th_expect_int(s->ctx, 0, "PERSIST b");
    th_expect_error(s->ctx, "ERR no such key", "RENAME c x");
    th_expect_int(s->ctx, 0, "DEL d");
    th_expect_status(s->ctx, "none", "TYPE e");
    th_expect_int(s->ctx, 0, "DBSIZE");
    th_expect_status(s->ctx, "OK", "DEBUG SET-ACTIVE-EXPIRE 1");
}

static void test_expire_active_cycle(void **state)
{
    th_server_t *s = *state;
    redisReply *r;

    /* one transaction, so no key can expire before DBSIZE counts it */
    th_expect_status(s->ctx, "OK", "MULTI");
    for (int i = 0; i < 100; i++)
        th_expect_status(s->ctx, "QUEUED", "SET key:%d v PX 50", i);
    th_expect_status(s->ctx, "QUEUED", "SET keep v");
    th_expect_status(s->ctx, "QUEUED", "DBSIZE");
    r = th_cmd(s->ctx, "EXEC");
    assert_int_equal(r->elements, 102);
    assert_int_equal(r->element[101]->integer, 101);
    freeReplyObject(r);
    /* nothing touches them: active expiry reclaims them */
    for (int i = 0; i < 3000 && int_of(s->ctx, "DBSIZE") != 1; i++)
        usleep(10 * 1000);
    th_expect_int(s->ctx, 1, "DBSIZE");
}

static void test_expire_move_copy_keep_ttl(void **state)
{
    th_server_t *s = *state;
    long long v;

    th_expect_status(s->ctx, "OK", "SET a v EX 100");
    th_expect_int(s->ctx, 1, "COPY a b");
    v = int_of(s->ctx, "PTTL b");
    assert_true(v > 99000 && v <= 100000);
    th_expect_int(s->ctx, 1, "MOVE b 2");
    th_expect_status(s->ctx, "OK", "RENAME a c");
    th_expect_int(s->ctx, 100, "TTL c");
    th_expect_status(s->ctx, "OK", "SELECT 2");
    th_expect_int(s->ctx, 100, "TTL b");
    th_expect_status(s->ctx, "OK", "SELECT 0");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_expire_basic_ttl, test_setup),
        cmocka_unit_test_setup(test_expire_past_deletes, test_setup),
        cmocka_unit_test_setup(test_expire_at_and_expiretime, test_setup),
        cmocka_unit_test_setup(test_expire_persist, test_setup),
        cmocka_unit_test_setup(test_expire_nx_xx_gt_lt, test_setup),
        cmocka_unit_test_setup(test_expire_errors, test_setup),
        cmocka_unit_test_setup(test_expire_lazy_on_access, test_setup),
        cmocka_unit_test_setup(test_expire_lazy_without_active, test_setup),
        cmocka_unit_test_setup(test_expire_randomkey_skips_expired,
                               test_setup),
        cmocka_unit_test_setup(test_expire_commands_see_expired_as_missing,
                               test_setup),
        cmocka_unit_test_setup(test_expire_active_cycle, test_setup),
        cmocka_unit_test_setup(test_expire_move_copy_keep_ttl, test_setup),
    };

    return cmocka_run_group_tests(tests, th_group_setup_debug,
                                  th_group_teardown);
}
