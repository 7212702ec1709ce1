/*
 * test_strings.c - the string commands against a real gencached: GET/SET
 * and every SET option, SETNX/SETEX/PSETEX, MGET/MSET/MSETNX, GETSET,
 * GETDEL, GETEX, APPEND, STRLEN, SETRANGE/GETRANGE/SUBSTR and LCS, with
 * Redis 7.0.15's replies and error texts (checked against redis-server).
 * INCR and friends live in test_incr.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

#define ERR_SYNTAX "ERR syntax error"
#define ERR_NOT_INT "ERR value is not an integer or out of range"
#define ERR_TOO_BIG                                                       \
    "ERR string exceeds maximum allowed size (proto-max-bulk-len)"

/* Assert a bulk reply equal to s[0..len) (binary-safe), then free it. */
static void expect_bin(redisReply *r, const char *s, size_t len)
{
    assert_int_equal(r->type, REDIS_REPLY_STRING);
    assert_int_equal(r->len, len);
    assert_memory_equal(r->str, s, len);
    freeReplyObject(r);
}

/* Assert OBJECT ENCODING key is enc. */
static void expect_encoding(redisContext *c, const char *key,
                            const char *enc)
{
    th_expect_str(c, enc, "OBJECT ENCODING %s", key);
}

/* Make key a list if this server has lists; 1 if it did, else 0 (the
 * WRONGTYPE checks then have nothing to test against). */
static int make_list(redisContext *c, const char *key)
{
    redisReply *r = th_cmd(c, "RPUSH %s a", key);
    int ok = r->type == REDIS_REPLY_INTEGER;

    freeReplyObject(r);
    return ok;
}

/* Assert key's TTL lies in [lo, hi] seconds. */
static void expect_ttl_range(redisContext *c, const char *key, long long lo,
                             long long hi)
{
    redisReply *r = th_cmd(c, "TTL %s", key);

    assert_int_equal(r->type, REDIS_REPLY_INTEGER);
    assert_in_range(r->integer, lo, hi);
    freeReplyObject(r);
}

/* ---------------------------------------------------------------------
 * GET / SET
 * ------------------------------------------------------------------ */

static void test_set_get_basic(void **state)
{
    th_server_t *s = *state;

    th_expect_status(s->ctx, "OK", "SET foo bar");
    th_expect_str(s->ctx, "bar", "GET foo");
    th_expect_status(s->ctx, "OK", "SET foo %s", "");
    th_expect_str(s->ctx, "", "GET foo");
    th_expect_nil(s->ctx, "GET nokey");
    th_expect_status(s->ctx, "OK", "set foo BAZ");
    th_expect_str(s->ctx, "BAZ", "get foo");
}

static void test_set_get_binary(void **state)
{
    th_server_t *s = *state;
    const char val[] = "a\0b\r\n\0\xff";
    size_t big = 100000, i;
    char *payload = malloc(big);

    th_expect_status(s->ctx, "OK", "SET %b %b", "k\0x", (size_t)3, val,
                     sizeof(val));
    expect_bin(th_cmd(s->ctx, "GET %b", "k\0x", (size_t)3), val,
               sizeof(val));
    th_expect_nil(s->ctx, "GET k");
    th_expect_int(s->ctx, (long long)sizeof(val), "STRLEN %b", "k\0x",
                  (size_t)3);
    assert_non_null(payload);
    for (i = 0; i < big; i++)
        payload[i] = (char)(i * 7);
    th_expect_status(s->ctx, "OK", "SET big %b", payload, big);
    expect_bin(th_cmd(s->ctx, "GET big"), payload, big);
    free(payload);
}

static void test_set_encodings(void **state)
{
    th_server_t *s = *state;
    const char *e44 = "12345678901234567890123456789012345678901234";
    const char *r45 = "123456789012345678901234567890123456789012345";

    th_expect_status(s->ctx, "OK", "SET x 123");
    expect_encoding(s->ctx, "x", "int");
    th_expect_status(s->ctx, "OK", "SET x -123");
    expect_encoding(s->ctx, "x", "int");
    th_expect_status(s->ctx, "OK", "SET x 9223372036854775807");
    expect_encoding(s->ctx, "x", "int");
    th_expect_status(s->ctx, "OK", "SET x 01");
    expect_encoding(s->ctx, "x", "embstr");
    th_expect_status(s->ctx, "OK", "SET x 12345678901234567890");
    expect_encoding(s->ctx, "x", "embstr");
    th_expect_status(s->ctx, "OK", "SET x abc");
    expect_encoding(s->ctx, "x", "embstr");
    th_expect_status(s->ctx, "OK", "SET x %s", e44);
    expect_encoding(s->ctx, "x", "embstr");
    th_expect_status(s->ctx, "OK", "SET x %s", r45);
    expect_encoding(s->ctx, "x", "raw");
    th_expect_str(s->ctx, r45, "GET x");
    /* Shared integers report an immortal refcount, others 1. */
    th_expect_status(s->ctx, "OK", "SET x 10");
    th_expect_int(s->ctx, 2147483647, "OBJECT REFCOUNT x");
    th_expect_status(s->ctx, "OK", "SET x 20000");
    th_expect_int(s->ctx, 1, "OBJECT REFCOUNT x");
}

static void test_set_nx_xx(void **state)
{
    th_server_t *s = *state;

    th_expect_status(s->ctx, "OK", "SET k v1 NX");
    th_expect_nil(s->ctx, "SET k v2 NX");
    th_expect_str(s->ctx, "v1", "GET k");
    th_expect_status(s->ctx, "OK", "SET k v3 XX");
    th_expect_str(s->ctx, "v3", "GET k");
    th_expect_nil(s->ctx, "SET other v XX");
    th_expect_int(s->ctx, 0, "EXISTS other");
    th_expect_nil(s->ctx, "SET k v nx nx");
    th_expect_status(s->ctx, "OK", "SET k v4 xx XX");
    th_expect_error(s->ctx, ERR_SYNTAX, "SET k v NX XX");
    th_expect_error(s->ctx, ERR_SYNTAX, "SET k v XX NX");
}

static void test_set_get_option(void **state)
{
    th_server_t *s = *state;

    th_expect_nil(s->ctx, "SET k v1 GET");
    th_expect_str(s->ctx, "v1", "SET k v2 GET");
    th_expect_str(s->ctx, "v2", "SET k v3 get GET");
    th_expect_str(s->ctx, "v3", "GET k");
    /* GET with XX / NX (NX+GET allowed since 7.0). */
    th_expect_nil(s->ctx, "SET nx1 v XX GET");
    th_expect_int(s->ctx, 0, "EXISTS nx1");
    th_expect_str(s->ctx, "v3", "SET k v4 XX GET");
    th_expect_str(s->ctx, "v4", "GET k");
    th_expect_nil(s->ctx, "SET nx2 v NX GET");
    th_expect_str(s->ctx, "v", "GET nx2");
    th_expect_str(s->ctx, "v", "SET nx2 w NX GET");
    th_expect_str(s->ctx, "v", "GET nx2");
    if (make_list(s->ctx, "list")) {
        th_expect_error(s->ctx, "WRONGTYPE", "SET list v GET");
        th_expect_error(s->ctx, "WRONGTYPE", "SET list v NX GET");
        th_expect_error(s->ctx, "ERR invalid expire time in 'set' command",
                        "SET list v GET EX 0");
        th_expect_status(s->ctx, "OK", "SET list v");
        th_expect_str(s->ctx, "v", "GET list");
    }
}

static void test_set_expire_options(void **state)
{
    th_server_t *s = *state;
    redisReply *r;

    th_expect_status(s->ctx, "OK", "SET k v EX 100");
    expect_ttl_range(s->ctx, "k", 95, 100);
    th_expect_status(s->ctx, "OK", "SET k v px 100000");
    expect_ttl_range(s->ctx, "k", 95, 100);
    th_expect_status(s->ctx, "OK", "SET k v EX 10 EX 200");
    expect_ttl_range(s->ctx, "k", 195, 200);
    r = th_cmd(s->ctx, "TIME");
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    {
        long long now = atoll(r->element[0]->str);

        th_expect_status(s->ctx, "OK", "SET k v EXAT %lld", now + 300);
        expect_ttl_range(s->ctx, "k", 295, 300);
        th_expect_status(s->ctx, "OK", "SET k v PXAT %lld",
                         (now + 400) * 1000);
        expect_ttl_range(s->ctx, "k", 395, 400);
        /* An absolute time in the past: set, then gone at once. */
        th_expect_status(s->ctx, "OK", "SET past v EXAT %lld", now - 10);
        th_expect_nil(s->ctx, "GET past");
    }
    freeReplyObject(r);
    /* Plain SET drops the TTL, KEEPTTL keeps it. */
    th_expect_status(s->ctx, "OK", "SET k v EX 100");
    th_expect_status(s->ctx, "OK", "SET k v2 KEEPTTL");
    expect_ttl_range(s->ctx, "k", 95, 100);
    th_expect_str(s->ctx, "v2", "GET k");
    th_expect_status(s->ctx, "OK", "SET k v3");
    th_expect_int(s->ctx, -1, "TTL k");
    th_expect_status(s->ctx, "OK", "SET k val XX PX 10000");
    expect_ttl_range(s->ctx, "k", 5, 10);
    th_expect_status(s->ctx, "OK", "SET k v PXAT 9223372036854775807");
    th_expect_status(s->ctx, "OK", "SET k v EXAT 9223372036854775");
}

static void test_set_option_errors(void **state)
{
    th_server_t *s = *state;
    const char *inv = "ERR invalid expire time in 'set' command";

    th_expect_error(s->ctx, ERR_SYNTAX, "SET k v EX");
    th_expect_error(s->ctx, ERR_SYNTAX, "SET k v foo");
    th_expect_error(s->ctx, ERR_SYNTAX, "SET k v EX 10 PX 10");
    th_expect_error(s->ctx, ERR_SYNTAX, "SET k v PX 10 EXAT 10");
    th_expect_error(s->ctx, ERR_SYNTAX, "SET k v PXAT 10 EX 10");
    th_expect_error(s->ctx, ERR_SYNTAX, "SET k v KEEPTTL EX 10");
    th_expect_error(s->ctx, ERR_SYNTAX, "SET k v EX 10 KEEPTTL");
    th_expect_error(s->ctx, ERR_SYNTAX, "SET k v PERSIST");
    th_expect_error(s->ctx, inv, "SET k v EX 0");
    th_expect_error(s->ctx, inv, "SET k v EX -1");
    th_expect_error(s->ctx, inv, "SET k v PX 0");
    th_expect_error(s->ctx, inv, "SET k v EXAT 0");
    th_expect_error(s->ctx, inv, "SET k v PXAT -5");
    th_expect_error(s->ctx, inv, "SET k v EX 9223372036854775807");
    th_expect_error(s->ctx, inv, "SET k v EXAT 9223372036854776");
    th_expect_error(s->ctx, inv, "SET k v PX 9223372036854775807");
    th_expect_error(s->ctx, inv, "SET k v EX 9223372036854775");
    th_expect_error(s->ctx, ERR_NOT_INT, "SET k v EX abc");
    th_expect_error(s->ctx, ERR_NOT_INT, "SET k v PX 1.5");
    th_expect_int(s->ctx, 0, "EXISTS k");
    th_expect_error(s->ctx,
                    "ERR wrong number of arguments for 'set' command",
                    "SET k");
}

static void test_setnx_setex_psetex(void **state)
{
    th_server_t *s = *state;

    th_expect_int(s->ctx, 1, "SETNX k v");
    th_expect_int(s->ctx, 0, "SETNX k w");
    th_expect_str(s->ctx, "v", "GET k");
    th_expect_status(s->ctx, "OK", "SET x 10");
    th_expect_int(s->ctx, 1, "EXPIRE x 10000");
    th_expect_int(s->ctx, 0, "SETNX x 20");
    th_expect_str(s->ctx, "10", "GET x");

    th_expect_status(s->ctx, "OK", "SETEX e 100 val");
    expect_ttl_range(s->ctx, "e", 95, 100);
    th_expect_str(s->ctx, "val", "GET e");
    th_expect_status(s->ctx, "OK", "PSETEX p 100000 val");
    expect_ttl_range(s->ctx, "p", 95, 100);
    th_expect_error(s->ctx, "ERR invalid expire time in 'setex' command",
                    "SETEX e 0 val");
    th_expect_error(s->ctx, "ERR invalid expire time in 'psetex' command",
                    "PSETEX e -5 val");
    th_expect_error(s->ctx, ERR_NOT_INT, "SETEX e x val");
    th_expect_str(s->ctx, "val", "GET e");
}

/* ---------------------------------------------------------------------
 * MGET / MSET / MSETNX / GETSET / GETDEL / GETEX
 * ------------------------------------------------------------------ */

static void test_mget_mset(void **state)
{
    th_server_t *s = *state;
    redisReply *r;

    th_expect_status(s->ctx, "OK", "MSET a 1 b 2 c three");
    r = th_cmd(s->ctx, "MGET a nokey b c");
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->elements, 4);
    assert_string_equal(r->element[0]->str, "1");
    assert_int_equal(r->element[1]->type, REDIS_REPLY_NIL);
    assert_string_equal(r->element[2]->str, "2");
    assert_string_equal(r->element[3]->str, "three");
    freeReplyObject(r);
    expect_encoding(s->ctx, "a", "int");
    expect_encoding(s->ctx, "c", "embstr");
    if (make_list(s->ctx, "list")) {
        r = th_cmd(s->ctx, "MGET a list");
        assert_int_equal(r->element[1]->type, REDIS_REPLY_NIL);
        freeReplyObject(r);
    }
    th_expect_error(s->ctx,
                    "ERR wrong number of arguments for 'mset' command",
                    "MSET a 1 b");
    th_expect_error(s->ctx,
                    "ERR wrong number of arguments for 'msetnx' command",
                    "MSETNX a 1 b");
    /* MSET drops TTLs. */
    th_expect_status(s->ctx, "OK", "SETEX t 100 v");
    th_expect_status(s->ctx, "OK", "MSET t w");
    th_expect_int(s->ctx, -1, "TTL t");
}

static void test_msetnx(void **state)
{
    th_server_t *s = *state;

    th_expect_status(s->ctx, "OK", "SET x1 old");
    th_expect_int(s->ctx, 0, "MSETNX x1 a x2 b");
    th_expect_str(s->ctx, "old", "GET x1");
    th_expect_int(s->ctx, 0, "EXISTS x2");
    th_expect_int(s->ctx, 1, "MSETNX y1 a y2 b");
    th_expect_str(s->ctx, "a", "GET y1");
    th_expect_str(s->ctx, "b", "GET y2");
    th_expect_int(s->ctx, 1, "MSETNX z1 xxx z1 yyy");
    th_expect_str(s->ctx, "yyy", "GET z1");
    th_expect_int(s->ctx, 0, "MSETNX w1 xxx y1 yyy");
    th_expect_int(s->ctx, 0, "EXISTS w1");
}

static void test_getset_getdel(void **state)
{
    th_server_t *s = *state;

    th_expect_nil(s->ctx, "GETSET k v1");
    th_expect_str(s->ctx, "v1", "GETSET k v2");
    th_expect_str(s->ctx, "v2", "GET k");
    th_expect_status(s->ctx, "OK", "SET k 20000 EX 100");
    th_expect_str(s->ctx, "20000", "GETSET k 7");
    th_expect_int(s->ctx, -1, "TTL k");
    expect_encoding(s->ctx, "k", "int");

    th_expect_status(s->ctx, "OK", "SET d bar");
    th_expect_str(s->ctx, "bar", "GETDEL d");
    th_expect_nil(s->ctx, "GETDEL d");
    th_expect_int(s->ctx, 0, "EXISTS d");
    if (make_list(s->ctx, "list")) {
        th_expect_error(s->ctx, "WRONGTYPE", "GETSET list v");
        th_expect_error(s->ctx, "WRONGTYPE", "GETDEL list");
        th_expect_int(s->ctx, 1, "EXISTS list");
    }
}

static void test_getex(void **state)
{
    th_server_t *s = *state;
    redisReply *r;
    long long now;

    th_expect_status(s->ctx, "OK", "SET k bar");
    th_expect_str(s->ctx, "bar", "GETEX k");
    th_expect_int(s->ctx, -1, "TTL k");
    th_expect_str(s->ctx, "bar", "GETEX k EX 100");
    expect_ttl_range(s->ctx, "k", 95, 100);
    th_expect_str(s->ctx, "bar", "GETEX k PX 200000");
    expect_ttl_range(s->ctx, "k", 195, 200);
    r = th_cmd(s->ctx, "TIME");
    now = atoll(r->element[0]->str);
    freeReplyObject(r);
    th_expect_str(s->ctx, "bar", "GETEX k EXAT %lld", now + 300);
    expect_ttl_range(s->ctx, "k", 295, 300);
    th_expect_str(s->ctx, "bar", "GETEX k PXAT %lld", (now + 400) * 1000);
    expect_ttl_range(s->ctx, "k", 395, 400);
    th_expect_str(s->ctx, "bar", "GETEX k PERSIST");
    th_expect_int(s->ctx, -1, "TTL k");
    /* An absolute time already past deletes the key after replying. */
    th_expect_str(s->ctx, "bar", "GETEX k EXAT %lld", now - 10);
    th_expect_int(s->ctx, 0, "EXISTS k");
    th_expect_nil(s->ctx, "GETEX nokey EX 100");
    th_expect_nil(s->ctx, "GETEX nokey EX 0");
}

static void test_getex_errors(void **state)
{
    th_server_t *s = *state;

    th_expect_status(s->ctx, "OK", "SET k v");
    th_expect_error(s->ctx, ERR_SYNTAX, "GETEX k foo");
    th_expect_error(s->ctx, ERR_SYNTAX, "GETEX nokey foo");
    th_expect_error(s->ctx, ERR_SYNTAX, "GETEX k KEEPTTL");
    th_expect_error(s->ctx, ERR_SYNTAX, "GETEX k NX");
    th_expect_error(s->ctx, ERR_SYNTAX, "GETEX k GET");
    th_expect_error(s->ctx, ERR_SYNTAX, "GETEX k PERSIST EX 10");
    th_expect_error(s->ctx, ERR_SYNTAX, "GETEX k EX 10 PERSIST");
    th_expect_error(s->ctx, ERR_SYNTAX, "GETEX k EX 10 PX 10");
    th_expect_error(s->ctx, ERR_SYNTAX, "GETEX k EX");
    th_expect_error(s->ctx, "ERR invalid expire time in 'getex' command",
                    "GETEX k EX 0");
    th_expect_error(s->ctx, ERR_NOT_INT, "GETEX k PX x");
    th_expect_error(s->ctx,
                    "ERR wrong number of arguments for 'getex' command",
                    "GETEX");
    th_expect_int(s->ctx, -1, "TTL k");
    if (make_list(s->ctx, "list"))
        th_expect_error(s->ctx, "WRONGTYPE", "GETEX list EX 0");
}

/* ---------------------------------------------------------------------
 * APPEND / STRLEN
 * ------------------------------------------------------------------ */

static void test_append(void **state)
{
    th_server_t *s = *state;

    th_expect_int(s->ctx, 2, "APPEND x 12");
    expect_encoding(s->ctx, "x", "int");
    th_expect_int(s->ctx, 3, "APPEND x 3");
    expect_encoding(s->ctx, "x", "raw");
    th_expect_str(s->ctx, "123", "GET x");
    th_expect_int(s->ctx, 3, "APPEND y abc");
    expect_encoding(s->ctx, "y", "embstr");
    th_expect_int(s->ctx, 6, "APPEND y %b", "\0\0\0", (size_t)3);
    expect_bin(th_cmd(s->ctx, "GET y"), "abc\0\0\0", 6);
    /* A shared integer is copied, not changed in place. */
    th_expect_status(s->ctx, "OK", "SET a 5");
    th_expect_status(s->ctx, "OK", "SET b 5");
    th_expect_int(s->ctx, 2, "APPEND a 0");
    th_expect_str(s->ctx, "50", "GET a");
    th_expect_str(s->ctx, "5", "GET b");
    th_expect_status(s->ctx, "OK", "SET z 5");
    th_expect_int(s->ctx, 1, "APPEND z %s", "");
    expect_encoding(s->ctx, "z", "raw");
    /* APPEND keeps the TTL. */
    th_expect_status(s->ctx, "OK", "SETEX t 100 v");
    th_expect_int(s->ctx, 2, "APPEND t w");
    expect_ttl_range(s->ctx, "t", 95, 100);
    if (make_list(s->ctx, "list"))
        th_expect_error(s->ctx, "WRONGTYPE", "APPEND list x");
}

static void test_append_limit(void **state)
{
    th_server_t *s = *state;

    th_expect_status(s->ctx, "OK", "CONFIG SET proto-max-bulk-len 1048576");
    th_expect_int(s->ctx, 1048576, "SETRANGE k 1048575 x");
    th_expect_error(s->ctx, ERR_TOO_BIG, "APPEND k y");
    th_expect_int(s->ctx, 1048576, "STRLEN k");
    th_expect_error(s->ctx, ERR_TOO_BIG, "SETRANGE k 1048576 x");
    th_expect_int(s->ctx, 1048576, "SETRANGE k 1048575 y");
    th_expect_status(s->ctx, "OK", "CONFIG SET proto-max-bulk-len 536870912");
}

static void test_strlen(void **state)
{
    th_server_t *s = *state;

    th_expect_int(s->ctx, 0, "STRLEN nokey");
    th_expect_status(s->ctx, "OK", "SET k -555");
    th_expect_int(s->ctx, 4, "STRLEN k");
    th_expect_status(s->ctx, "OK", "SET k hello");
    th_expect_int(s->ctx, 5, "STRLEN k");
    if (make_list(s->ctx, "list"))
        th_expect_error(s->ctx, "WRONGTYPE", "STRLEN list");
}

/* ---------------------------------------------------------------------
 * SETRANGE / GETRANGE / SUBSTR
 * ------------------------------------------------------------------ */

static void test_setrange_missing_key(void **state)
{
    th_server_t *s = *state;

    th_expect_int(s->ctx, 3, "SETRANGE k 0 foo");
    th_expect_str(s->ctx, "foo", "GET k");
    expect_encoding(s->ctx, "k", "raw");
    th_expect_int(s->ctx, 0, "SETRANGE e 0 %s", "");
    th_expect_int(s->ctx, 0, "SETRANGE e 100 %s", "");
    th_expect_int(s->ctx, 0, "EXISTS e");
    th_expect_int(s->ctx, 4, "SETRANGE p 1 foo");
    expect_bin(th_cmd(s->ctx, "GET p"), "\0foo", 4);
}

static void test_setrange_existing(void **state)
{
    th_server_t *s = *state;

    th_expect_status(s->ctx, "OK", "SET k foo");
    th_expect_int(s->ctx, 3, "SETRANGE k 0 b");
    th_expect_str(s->ctx, "boo", "GET k");
    th_expect_int(s->ctx, 3, "SETRANGE k 0 %s", "");
    th_expect_int(s->ctx, 3, "SETRANGE k 1 b");
    th_expect_str(s->ctx, "bbo", "GET k");
    th_expect_int(s->ctx, 7, "SETRANGE k 4 bar");
    expect_bin(th_cmd(s->ctx, "GET k"), "bbo\0bar", 7);

    th_expect_status(s->ctx, "OK", "SET i 1234");
    th_expect_int(s->ctx, 4, "SETRANGE i 0 %s", "");
    expect_encoding(s->ctx, "i", "int");
    th_expect_int(s->ctx, 4, "SETRANGE i 0 2");
    expect_encoding(s->ctx, "i", "raw");
    th_expect_str(s->ctx, "2234", "GET i");
    th_expect_status(s->ctx, "OK", "SET i 1234");
    th_expect_int(s->ctx, 6, "SETRANGE i 5 2");
    expect_bin(th_cmd(s->ctx, "GET i"), "1234\0002", 6);
    /* Shared integer: the other key keeps its value. */
    th_expect_status(s->ctx, "OK", "SET a 7");
    th_expect_status(s->ctx, "OK", "SET b 7");
    th_expect_int(s->ctx, 1, "SETRANGE a 0 8");
    th_expect_str(s->ctx, "8", "GET a");
    th_expect_str(s->ctx, "7", "GET b");
    if (make_list(s->ctx, "list")) {
        th_expect_error(s->ctx, "WRONGTYPE", "SETRANGE list 0 bar");
        th_expect_error(s->ctx, "WRONGTYPE", "SETRANGE list 0 %s", "");
    }
}

static void test_setrange_errors(void **state)
{
    th_server_t *s = *state;

    th_expect_error(s->ctx, ERR_TOO_BIG, "SETRANGE k 536870908 world");
    th_expect_error(s->ctx, ERR_TOO_BIG,
                    "SETRANGE k 9223372036854775807 A");
    th_expect_error(s->ctx, ERR_TOO_BIG, "SETRANGE k 2147483647 A");
    th_expect_int(s->ctx, 0, "EXISTS k");
    th_expect_status(s->ctx, "OK", "SET k hello");
    th_expect_error(s->ctx, "ERR offset is out of range",
                    "SETRANGE k -1 world");
    th_expect_error(s->ctx, ERR_TOO_BIG, "SETRANGE k 536870908 world");
    th_expect_error(s->ctx, ERR_TOO_BIG,
                    "SETRANGE k 9223372036854775807 A");
    th_expect_error(s->ctx, ERR_NOT_INT, "SETRANGE k x A");
    th_expect_error(s->ctx, ERR_NOT_INT, "SETRANGE k 9223372036854775808 A");
    th_expect_str(s->ctx, "hello", "GET k");
}

static void test_getrange(void **state)
{
    th_server_t *s = *state;

    th_expect_str(s->ctx, "", "GETRANGE nokey 0 -1");
    th_expect_error(s->ctx, ERR_NOT_INT, "GETRANGE nokey x 1");
    th_expect_status(s->ctx, "OK", "SET k %s", "Hello World");
    th_expect_str(s->ctx, "Hell", "GETRANGE k 0 3");
    th_expect_str(s->ctx, "Hello World", "GETRANGE k 0 -1");
    th_expect_str(s->ctx, "orld", "GETRANGE k -4 -1");
    th_expect_str(s->ctx, "", "GETRANGE k 5 3");
    th_expect_str(s->ctx, " World", "GETRANGE k 5 5000");
    th_expect_str(s->ctx, "Hello World", "GETRANGE k -5000 10000");
    th_expect_str(s->ctx, "", "GETRANGE k -1 -5");
    th_expect_str(s->ctx, "H", "GETRANGE k -100 -50");
    th_expect_str(s->ctx, "Hello World",
                  "GETRANGE k -9223372036854775808 9223372036854775807");
    th_expect_str(s->ctx, "Hell", "SUBSTR k 0 3");
    th_expect_status(s->ctx, "OK", "SET i 1234");
    th_expect_str(s->ctx, "123", "GETRANGE i 0 2");
    th_expect_str(s->ctx, "234", "GETRANGE i -3 -1");
    th_expect_str(s->ctx, "4", "GETRANGE i 3 5000");
    th_expect_nil(s->ctx, "SET foo bar GET");
    th_expect_str(s->ctx, "bar", "GETRANGE foo 0 4294967297");
    th_expect_status(s->ctx, "OK", "SET e %s", "");
    th_expect_str(s->ctx, "", "GETRANGE e 0 -1");
    th_expect_str(s->ctx, "", "GETRANGE e 0 0");
    th_expect_status(s->ctx, "OK", "SET b %b", "a\0b", (size_t)3);
    expect_bin(th_cmd(s->ctx, "GETRANGE b 1 1"), "\0", 1);
    if (make_list(s->ctx, "list"))
        th_expect_error(s->ctx, "WRONGTYPE", "GETRANGE list 0 1");
}

/* ---------------------------------------------------------------------
 * LCS
 * ------------------------------------------------------------------ */

/* Assert r is an IDX match [[a0 a1] [b0 b1] (len)]. */
static void expect_match(const redisReply *r, long long a0, long long a1,
                         long long b0, long long b1, long long len)
{
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->elements, len >= 0 ? 3 : 2);
    assert_int_equal(r->element[0]->element[0]->integer, a0);
    assert_int_equal(r->element[0]->element[1]->integer, a1);
    assert_int_equal(r->element[1]->element[0]->integer, b0);
    assert_int_equal(r->element[1]->element[1]->integer, b1);
    if (len >= 0)
        assert_int_equal(r->element[2]->integer, len);
}

static void test_lcs_basic(void **state)
{
    th_server_t *s = *state;

    th_expect_status(s->ctx, "OK", "MSET a ohmytext b mynewtext");
    th_expect_str(s->ctx, "mytext", "LCS a b");
    th_expect_int(s->ctx, 6, "LCS a b LEN");
    th_expect_int(s->ctx, 6, "LCS a b len MINMATCHLEN -5");
    th_expect_str(s->ctx, "", "LCS nokey1 nokey2");
    th_expect_str(s->ctx, "", "LCS a nokey");
    th_expect_int(s->ctx, 0, "LCS a nokey LEN");
    th_expect_status(s->ctx, "OK", "MSET i 12345 j 2345");
    th_expect_str(s->ctx, "2345", "LCS i j");
    th_expect_str(s->ctx, "ohmytext", "LCS a a");
}

static void test_lcs_errors(void **state)
{
    th_server_t *s = *state;

    th_expect_status(s->ctx, "OK", "MSET a ohmytext b mynewtext");
    th_expect_error(s->ctx,
                    "ERR If you want both the length and indexes, please "
                    "just use IDX.",
                    "LCS a b LEN IDX");
    th_expect_error(s->ctx, ERR_SYNTAX, "LCS a b foo");
    th_expect_error(s->ctx, ERR_SYNTAX, "LCS a b MINMATCHLEN");
    th_expect_error(s->ctx, ERR_NOT_INT, "LCS a b MINMATCHLEN x");
    if (make_list(s->ctx, "list")) {
        th_expect_error(s->ctx,
                        "ERR The specified keys must contain string values",
                        "LCS a list");
        th_expect_error(s->ctx,
                        "ERR The specified keys must contain string values",
                        "LCS list a foo");
    }
}

static void test_lcs_idx_resp2(void **state)
{
    th_server_t *s = *state;
    redisReply *r, *m;

    th_expect_status(s->ctx, "OK", "MSET a ohmytext b mynewtext");
    r = th_cmd(s->ctx, "LCS a b IDX");
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->elements, 4);
    assert_string_equal(r->element[0]->str, "matches");
    m = r->element[1];
    assert_int_equal(m->elements, 2);
    expect_match(m->element[0], 4, 7, 5, 8, -1);
    expect_match(m->element[1], 2, 3, 0, 1, -1);
    assert_string_equal(r->element[2]->str, "len");
    assert_int_equal(r->element[3]->integer, 6);
    freeReplyObject(r);

    r = th_cmd(s->ctx, "LCS a b IDX MINMATCHLEN 4 WITHMATCHLEN");
    m = r->element[1];
    assert_int_equal(m->elements, 1);
    expect_match(m->element[0], 4, 7, 5, 8, 4);
    freeReplyObject(r);

    r = th_cmd(s->ctx, "LCS nokey1 nokey2 IDX");
    assert_int_equal(r->elements, 4);
    assert_int_equal(r->element[1]->elements, 0);
    assert_int_equal(r->element[3]->integer, 0);
    freeReplyObject(r);
}

static void test_lcs_idx_resp3(void **state)
{
    th_server_t *s = *state;
    static const char want[] =
        "%2\r\n$7\r\nmatches\r\n*2\r\n"
        "*3\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n:4\r\n"
        "*3\r\n*2\r\n:2\r\n:3\r\n*2\r\n:0\r\n:1\r\n:2\r\n"
        "$3\r\nlen\r\n:6\r\n";
    static const char lcs[] =
        "*5\r\n$3\r\nLCS\r\n$1\r\na\r\n$1\r\nb\r\n$3\r\nIDX\r\n"
        "$12\r\nWITHMATCHLEN\r\n";
    char buf[4096];
    int fd, closed = 0;
    size_t n;

    /* hiredis 0.14 cannot read RESP3: compare the raw bytes. */
    th_expect_status(s->ctx, "OK", "MSET a ohmytext b mynewtext");
    fd = th_raw_connect(s);
    th_raw_send(fd, "HELLO 3\r\n", 9);
    n = th_raw_read(fd, buf, sizeof(buf), sizeof(buf) - 1, 300, &closed);
    assert_true(n > 0 && buf[0] == '%');
    th_raw_send(fd, lcs, sizeof(lcs) - 1);
    n = th_raw_read(fd, buf, sizeof(buf), sizeof(want) - 1, 2000, &closed);
    assert_int_equal(n, sizeof(want) - 1);
    assert_memory_equal(buf, want, n);
    close(fd);
}

/* The RNA strings of Redis's own unit/type/string test. */
static void test_lcs_rna(void **state)
{
    th_server_t *s = *state;
    const char *rna1 =
        "CACCTTCCCAGGTAACAAACCAACCAACTTTCGATCTCTTGTAGATCTGTTCTCTAAACGAACTTT"
        "AAAATCTGTGTGGCTGTCACTCGGCTGCATGCTTAGTGCACTCACGCAGTATAATTAATAACTAAT"
        "TACTGTCGTTGACAGGACACGAGTAACTCGTCTATCTTCTGCAGGCTGCTTACGGTTTCGTCCGTG"
        "TTGCAGCCGATCATCAGCACATCTAGGTTTCGTCCGGGTGTG";
    const char *rna2 =
        "ATTAAAGGTTTATACCTTCCCAGGTAACAAACCAACCAACTTTCGATCTCTTGTAGATCTGTTCTC"
        "TAAACGAACTTTAAAATCTGTGTGGCTGTCACTCGGCTGCATGCTTAGTGCACTCACGCAGTATAA"
        "TTAATAACTAATTACTGTCGTTGACAGGACACGAGTAACTCGTCTATCTTCTGCAGGCTGCTTACG"
        "GTTTCGTCCGTGTTGCAGCCGATCATCAGCACATCTAGGTTT";
    static const long long want[5][5] = {
        {238, 238, 239, 239, 1}, {236, 236, 238, 238, 1},
        {229, 230, 236, 237, 2}, {224, 224, 235, 235, 1},
        {1, 222, 13, 234, 222},
    };
    redisReply *r;
    size_t i;

    th_expect_status(s->ctx, "OK", "SET v1 %s", rna1);
    th_expect_status(s->ctx, "OK", "SET v2 %s", rna2);
    r = th_cmd(s->ctx, "LCS v1 v2");
    assert_int_equal(r->type, REDIS_REPLY_STRING);
    assert_int_equal(r->len, 227);
    assert_memory_equal(r->str, rna1 + 1, 222);
    freeReplyObject(r);
    th_expect_int(s->ctx, 227, "LCS v1 v2 LEN");
    r = th_cmd(s->ctx, "LCS v1 v2 IDX WITHMATCHLEN");
    assert_int_equal(r->element[1]->elements, 5);
    for (i = 0; i < 5; i++)
        expect_match(r->element[1]->element[i], want[i][0], want[i][1],
                     want[i][2], want[i][3], want[i][4]);
    freeReplyObject(r);
    r = th_cmd(s->ctx, "LCS v1 v2 IDX WITHMATCHLEN MINMATCHLEN 5");
    assert_int_equal(r->element[1]->elements, 1);
    expect_match(r->element[1]->element[0], 1, 222, 13, 234, 222);
    freeReplyObject(r);
}

/* Big GET replies are written from the value's own bytes (client.c
 * "Replies by reference"): in one pipeline, later commands that change
 * or delete the value in place must not change a reply already made,
 * nor OBJECT REFCOUNT see the reply's reference. */
static void test_big_get_pipeline_then_change(void **state)
{
    th_server_t *s = *state;
    enum { BIG = 8192 };
    char *v = malloc(BIG + 8);
    redisReply *r;

    assert_non_null(v);
    memset(v, 'a', BIG);
    th_expect_status(s->ctx, "OK", "SET big %b", v, (size_t)BIG);
    redisAppendCommand(s->ctx, "GET big");
    redisAppendCommand(s->ctx, "OBJECT REFCOUNT big");
    redisAppendCommand(s->ctx, "APPEND big XYZ");
    redisAppendCommand(s->ctx, "GET big");
    redisAppendCommand(s->ctx, "SETRANGE big 0 QQ");
    redisAppendCommand(s->ctx, "GET big");
    redisAppendCommand(s->ctx, "MULTI");
    redisAppendCommand(s->ctx, "GET big");
    redisAppendCommand(s->ctx, "APPEND big !");
    redisAppendCommand(s->ctx, "GET big");
    redisAppendCommand(s->ctx, "EXEC");
    redisAppendCommand(s->ctx, "GET big");
    redisAppendCommand(s->ctx, "DEL big");
    redisAppendCommand(s->ctx, "GET big");

    assert_int_equal(redisGetReply(s->ctx, (void **)&r), REDIS_OK);
    expect_bin(r, v, BIG);
    assert_int_equal(redisGetReply(s->ctx, (void **)&r), REDIS_OK);
    assert_int_equal(r->integer, 1); /* the pending reply holds none */
    freeReplyObject(r);
    assert_int_equal(redisGetReply(s->ctx, (void **)&r), REDIS_OK);
    assert_int_equal(r->integer, BIG + 3);
    freeReplyObject(r);
    memcpy(v + BIG, "XYZ", 3);
    assert_int_equal(redisGetReply(s->ctx, (void **)&r), REDIS_OK);
    expect_bin(r, v, BIG + 3);
    assert_int_equal(redisGetReply(s->ctx, (void **)&r), REDIS_OK);
    freeReplyObject(r);
    memcpy(v, "QQ", 2);
    assert_int_equal(redisGetReply(s->ctx, (void **)&r), REDIS_OK);
    expect_bin(r, v, BIG + 3);
    for (int i = 0; i < 4; i++) { /* OK, QUEUED x3 */
        assert_int_equal(redisGetReply(s->ctx, (void **)&r), REDIS_OK);
        assert_int_equal(r->type, REDIS_REPLY_STATUS);
        freeReplyObject(r);
    }
    assert_int_equal(redisGetReply(s->ctx, (void **)&r), REDIS_OK);
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->elements, 3);
    assert_int_equal(r->element[0]->len, BIG + 3);
    assert_memory_equal(r->element[0]->str, v, BIG + 3);
    assert_int_equal(r->element[1]->integer, BIG + 4);
    v[BIG + 3] = '!';
    assert_int_equal(r->element[2]->len, BIG + 4);
    assert_memory_equal(r->element[2]->str, v, BIG + 4);
    freeReplyObject(r);
    assert_int_equal(redisGetReply(s->ctx, (void **)&r), REDIS_OK);
    expect_bin(r, v, BIG + 4);
    assert_int_equal(redisGetReply(s->ctx, (void **)&r), REDIS_OK);
    assert_int_equal(r->integer, 1);
    freeReplyObject(r);
    assert_int_equal(redisGetReply(s->ctx, (void **)&r), REDIS_OK);
    assert_int_equal(r->type, REDIS_REPLY_NIL);
    freeReplyObject(r);
    free(v);
}

/* A key expired lazily by a read-only command while earlier big replies
 * of the same pipeline are still held by reference: they are copied
 * first (no object outlives its last binding through them) and every
 * reply is intact, in order. */
static void test_big_get_lazy_expiry_between(void **state)
{
    th_server_t *s = *state;
    enum { BIG = 8192 };
    char *v = malloc(BIG), *w = malloc(BIG);
    long long expired;
    redisReply *r;

    assert_non_null(v);
    assert_non_null(w);
    memset(v, 'c', BIG);
    memset(w, 'd', BIG);
    th_expect_status(s->ctx, "OK", "DEBUG SET-ACTIVE-EXPIRE 0");
    th_expect_status(s->ctx, "OK", "SET big1 %b", v, (size_t)BIG);
    th_expect_status(s->ctx, "OK", "SET big2 %b PX 20", w, (size_t)BIG);
    usleep(60000);
    expired = th_info_int(s->ctx, "stats", "expired_keys");
    redisAppendCommand(s->ctx, "GET big1");
    redisAppendCommand(s->ctx, "GET big2");
    redisAppendCommand(s->ctx, "GET big1");
    for (int i = 0; i < 3; i++) {
        assert_int_equal(redisGetReply(s->ctx, (void **)&r), REDIS_OK);
        if (i == 1) {
            assert_int_equal(r->type, REDIS_REPLY_NIL);
            freeReplyObject(r);
        } else {
            expect_bin(r, v, BIG);
        }
    }
    assert_int_equal(th_info_int(s->ctx, "stats", "expired_keys"),
                     expired + 1);
    th_expect_status(s->ctx, "OK", "DEBUG SET-ACTIVE-EXPIRE 1");
    free(w);
    free(v);
}

/* A pipeline of big GETs to a client that does not read: the socket
 * takes part, the rest is kept (copied) while an APPEND in the same
 * pipeline changes the value; every reply arrives intact and in order. */
static void test_big_get_slow_reader(void **state)
{
    th_server_t *s = *state;
    enum { BIG = 65536, NGET = 128 };
    size_t hdr, want = 0, got;
    char *v = malloc(BIG + 1), *exp, *buf, *req;
    int fd, closed = 0, pos = 0;
    char h[32];

    assert_non_null(v);
    memset(v, 'b', BIG);
    th_expect_status(s->ctx, "OK", "SET big %b", v, (size_t)BIG);
    exp = malloc((size_t)NGET * (BIG + 32) + 64);
    buf = malloc((size_t)NGET * (BIG + 32) + 64);
    req = malloc(NGET * 40 + 64);
    assert_non_null(exp);
    assert_non_null(buf);
    assert_non_null(req);
    hdr = (size_t)snprintf(h, sizeof(h), "$%d\r\n", BIG);
    for (int i = 0; i < NGET; i++) {
        pos += sprintf(req + pos, "*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n");
        memcpy(exp + want, h, hdr);
        memcpy(exp + want + hdr, v, BIG);
        memcpy(exp + want + hdr + BIG, "\r\n", 2);
        want += hdr + BIG + 2;
        if (i == NGET / 2) {
            pos += sprintf(req + pos, "*4\r\n$8\r\nSETRANGE\r\n"
                                      "$3\r\nbig\r\n$1\r\n0\r\n"
                                      "$1\r\nZ\r\n");
            memcpy(exp + want, ":65536\r\n", 8);
            want += 8;
            v[0] = 'Z';
        }
    }
    fd = th_raw_connect(s);
    th_raw_send(fd, req, (size_t)pos);
    /* Let the server run the pipeline and keep what the socket refuses. */
    usleep(300 * 1000);
    th_expect_int(s->ctx, BIG, "STRLEN big");
    got = th_raw_read(fd, buf, want + 1, want, 10000, &closed);
    assert_int_equal(closed, 0);
    assert_int_equal(got, want);
    assert_memory_equal(buf, exp, want);
    close(fd);
    free(req);
    free(buf);
    free(exp);
    free(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_set_get_basic, th_test_setup),
        cmocka_unit_test_setup(test_set_get_binary, th_test_setup),
        cmocka_unit_test_setup(test_set_encodings, th_test_setup),
        cmocka_unit_test_setup(test_set_nx_xx, th_test_setup),
        cmocka_unit_test_setup(test_set_get_option, th_test_setup),
        cmocka_unit_test_setup(test_set_expire_options, th_test_setup),
        cmocka_unit_test_setup(test_set_option_errors, th_test_setup),
        cmocka_unit_test_setup(test_setnx_setex_psetex, th_test_setup),
        cmocka_unit_test_setup(test_mget_mset, th_test_setup),
        cmocka_unit_test_setup(test_msetnx, th_test_setup),
        cmocka_unit_test_setup(test_getset_getdel, th_test_setup),
        cmocka_unit_test_setup(test_getex, th_test_setup),
        cmocka_unit_test_setup(test_getex_errors, th_test_setup),
        cmocka_unit_test_setup(test_append, th_test_setup),
        cmocka_unit_test_setup(test_append_limit, th_test_setup),
        cmocka_unit_test_setup(test_strlen, th_test_setup),
        cmocka_unit_test_setup(test_setrange_missing_key, th_test_setup),
        cmocka_unit_test_setup(test_setrange_existing, th_test_setup),
        cmocka_unit_test_setup(test_setrange_errors, th_test_setup),
        cmocka_unit_test_setup(test_getrange, th_test_setup),
        cmocka_unit_test_setup(test_lcs_basic, th_test_setup),
        cmocka_unit_test_setup(test_lcs_errors, th_test_setup),
        cmocka_unit_test_setup(test_lcs_idx_resp2, th_test_setup),
        cmocka_unit_test_setup(test_lcs_idx_resp3, th_test_setup),
        cmocka_unit_test_setup(test_lcs_rna, th_test_setup),
        cmocka_unit_test_setup(test_big_get_pipeline_then_change,
                               th_test_setup),
        cmocka_unit_test_setup(test_big_get_slow_reader, th_test_setup),
        cmocka_unit_test_setup(test_big_get_lazy_expiry_between,
                               th_test_setup),
    };

    return cmocka_run_group_tests(tests, th_group_setup_debug,
                                  th_group_teardown);
}
