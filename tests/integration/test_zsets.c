/*
 * test_zsets.c - the sorted set commands against a real gencached: ZADD
 * and its flags, score parsing and formatting, every range form, the
 * ZRANGESTORE / ZREMRANGEBY* writes, pops, ZRANDMEMBER, the set algebra
 * (sets as inputs too), ZSCAN, encodings and their conversion, COPY,
 * WRONGTYPE, and RESP3 reply shapes. Expected replies and error texts were
 * checked against redis-server 7.0.15.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

#define ERR_SYNTAX "ERR syntax error"
#define ERR_FLOAT "ERR value is not a valid float"
#define ERR_NOT_INT "ERR value is not an integer or out of range"
#define ERR_RANGE_FLOAT "ERR min or max is not a float"
#define ERR_RANGE_LEX "ERR min or max not valid string range item"

/* Append reply r flattened to buf: elements separated by spaces, nested
 * arrays in braces, nil as "(nil)". */
static void flatten(const redisReply *r, char *buf, size_t size, int top)
{
    size_t len = strlen(buf);

    if (len && buf[len - 1] != '{' && size > len + 1) strcat(buf, " ");
    switch (r->type) {
    case REDIS_REPLY_ARRAY:
        if (!top) strncat(buf, "{", size - strlen(buf) - 1);
        for (size_t i = 0; i < r->elements; i++)
            flatten(r->element[i], buf, size, 0);
        if (!top) strncat(buf, "}", size - strlen(buf) - 1);
        break;
    case REDIS_REPLY_INTEGER:
        snprintf(buf + strlen(buf), size - strlen(buf), "%lld", r->integer);
        break;
    case REDIS_REPLY_NIL:
        strncat(buf, "(nil)", size - strlen(buf) - 1);
        break;
    default:
        strncat(buf, r->str, size - strlen(buf) - 1);
        break;
    }
}

/* Send a command and assert its flattened reply equals want. */
static void expect_flat(redisContext *c, const char *want, const char *fmt,
                        ...)
{
    char buf[8192] = "";
    va_list ap;
    redisReply *r;

    va_start(ap, fmt);
    r = redisvCommand(c, fmt, ap);
    va_end(ap);
    assert_non_null(r);
    flatten(r, buf, sizeof(buf), 1);
    if (strcmp(buf, want) != 0)
        fail_msg("'%s': got '%s', want '%s'", fmt, buf, want);
    freeReplyObject(r);
}

/* Send a command and ignore the reply. */
static void run(redisContext *c, const char *cmd)
{
    freeReplyObject(th_cmd(c, cmd));
}

static redisContext *ctx(void **state)
{
    return ((th_server_t *)*state)->ctx;
}

static void test_zadd_flags_and_errors(void **state)
{
    redisContext *c = ctx(state);

    th_expect_int(c, 3, "ZADD z 1 a 2 b 3 c");
    th_expect_int(c, 0, "ZADD z NX 5 a");
    th_expect_int(c, 1, "ZADD z XX CH 5 a");
    th_expect_int(c, 0, "ZADD z GT CH 4 a");
    th_expect_int(c, 1, "ZADD z LT CH 4 a");
    th_expect_int(c, 0, "ZADD z XX 1 nope");
    th_expect_str(c, "6", "ZADD z INCR 2 a");
    th_expect_nil(c, "ZADD z XX INCR 2 nope");
    th_expect_nil(c, "ZADD z NX INCR 2 a");
    th_expect_nil(c, "ZADD z GT INCR -1 a");
    th_expect_int(c, 0, "ZADD nokey XX 1 a");
    th_expect_int(c, 0, "EXISTS nokey");
    th_expect_error(c, "ERR XX and NX options at the same time are not "
                       "compatible", "ZADD z XX NX 1 a");
    th_expect_error(c, "ERR GT, LT, and/or NX options at the same time are "
                       "not compatible", "ZADD z GT LT 1 a");
    th_expect_error(c, "ERR GT, LT, and/or NX options at the same time are "
                       "not compatible", "ZADD z NX GT 1 a");
    th_expect_error(c, "ERR INCR option supports a single increment-element "
                       "pair", "ZADD z INCR 1 a 2 b");
    th_expect_error(c, ERR_SYNTAX, "ZADD z 1 a 2");
    th_expect_error(c, ERR_FLOAT, "ZADD z 1 x nan y");
    th_expect_nil(c, "ZSCORE z x");
}

static void test_scores_format_and_parse(void **state)
{
    redisContext *c = ctx(state);

    th_expect_int(c, 1, "ZADD z 1.1 a");
    th_expect_str(c, "1.1000000000000001", "ZSCORE z a");
    th_expect_int(c, 2, "ZADD z inf b -inf c");
    th_expect_str(c, "inf", "ZSCORE z b");
    th_expect_str(c, "-inf", "ZSCORE z c");
    th_expect_int(c, 1, "ZADD z +inf d");
    th_expect_int(c, 1, "ZADD z 0x10 e");
    th_expect_str(c, "16", "ZSCORE z e");
    th_expect_error(c, ERR_FLOAT, "ZADD z nan f");
    th_expect_error(c, ERR_FLOAT, "ZADD z 1e400 f");
    th_expect_error(c, ERR_FLOAT, "ZADD z %s f", " 1");
    th_expect_error(c, ERR_FLOAT, "ZINCRBY z nan a");
    th_expect_error(c, "ERR resulting score is not a number (NaN)",
                    "ZINCRBY z -inf b");
    th_expect_str(c, "inf", "ZSCORE z b");
    th_expect_str(c, "3", "ZINCRBY z 3 newm");
    th_expect_str(c, "-2.5", "ZINCRBY z -5.5 newm");
    expect_flat(c, "1.1000000000000001 (nil) -2.5", "ZMSCORE z a nope newm");
    expect_flat(c, "(nil) (nil)", "ZMSCORE nokey a b");
    th_expect_nil(c, "ZSCORE nokey a");
    /* A listpack stores -0 as 0 (Redis keeps scores as text there). */
    th_expect_int(c, 1, "ZADD neg -0 a");
    th_expect_str(c, "0", "ZSCORE neg a");
}

static void test_ranks_and_ranges(void **state)
{
    redisContext *c = ctx(state);

    run(c, "ZADD z 1 a 2 b 3 c 4 d 5 e");
    th_expect_int(c, 0, "ZRANK z a");
    th_expect_int(c, 4, "ZREVRANK z a");
    th_expect_nil(c, "ZRANK z nope");
    th_expect_nil(c, "ZRANK nokey a");
    expect_flat(c, "a 1 b 2", "ZRANGE z 0 1 WITHSCORES");
    expect_flat(c, "e d", "ZRANGE z 0 1 REV");
    expect_flat(c, "d c b", "ZREVRANGE z 1 -2");
    expect_flat(c, "", "ZRANGE z 3 1");
    expect_flat(c, "a b c d e", "ZRANGE z -100 100");
    expect_flat(c, "b c", "ZRANGE z (1 3 BYSCORE");
    expect_flat(c, "d c", "ZRANGE z +inf (1 BYSCORE REV LIMIT 1 2");
    expect_flat(c, "c d e", "ZRANGEBYSCORE z -inf +inf LIMIT 2 -1");
    expect_flat(c, "", "ZRANGEBYSCORE z -inf +inf LIMIT -1 2");
    expect_flat(c, "", "ZRANGEBYSCORE z -inf +inf LIMIT 10 2");
    expect_flat(c, "c 3 b 2", "ZREVRANGEBYSCORE z 3 (1 WITHSCORES");
    expect_flat(c, "a", "ZRANGEBYSCORE z ( 1");
    th_expect_int(c, 5, "ZCOUNT z -inf +inf");
    th_expect_int(c, 2, "ZCOUNT z (1 3");
    th_expect_int(c, 0, "ZCOUNT nokey 0 1");
    th_expect_error(c, ERR_RANGE_FLOAT, "ZCOUNT z a 1");
    th_expect_error(c, ERR_RANGE_FLOAT, "ZRANGEBYSCORE z nan 1");
    th_expect_error(c, ERR_NOT_INT, "ZRANGE z a 1");
    th_expect_error(c, "ERR syntax error, LIMIT is only supported in "
                       "combination with either BYSCORE or BYLEX",
                    "ZRANGE z 0 -1 LIMIT 0 1");
    th_expect_error(c, "ERR syntax error, WITHSCORES not supported in "
                       "combination with BYLEX",
                    "ZRANGE z a b BYLEX WITHSCORES");
    th_expect_error(c, ERR_SYNTAX, "ZRANGEBYSCORE z 1 2 REV");
    th_expect_error(c, ERR_SYNTAX, "ZRANGE z 0 1 BYSCORE BYLEX");
    expect_flat(c, "", "ZRANGE nokey 0 -1");
}

static void test_lex_ranges(void **state)
{
    redisContext *c = ctx(state);

    run(c, "ZADD l 0 a 0 b 0 c 0 d 0 e 0 f");
    expect_flat(c, "a b c d e f", "ZRANGEBYLEX l - +");
    expect_flat(c, "b c d", "ZRANGEBYLEX l [b (e");
    expect_flat(c, "d c b", "ZREVRANGEBYLEX l (e [b");
    expect_flat(c, "e d", "ZREVRANGEBYLEX l + - LIMIT 1 2");
    expect_flat(c, "d c b", "ZRANGE l [d [b BYLEX REV");
    expect_flat(c, "", "ZRANGEBYLEX l + -");
    th_expect_int(c, 5, "ZLEXCOUNT l [b +");
    th_expect_error(c, ERR_RANGE_LEX, "ZLEXCOUNT l a b");
    th_expect_error(c, ERR_RANGE_LEX, "ZRANGEBYLEX l [a +x");
    th_expect_int(c, 2, "ZREMRANGEBYLEX l [b [c");
    expect_flat(c, "a d e f", "ZRANGE l 0 -1");
}

static void test_remrange_and_emptied_keys(void **state)
{
    redisContext *c = ctx(state);

    run(c, "ZADD z 1 a 2 b 3 c 4 d");
    th_expect_int(c, 1, "ZREMRANGEBYRANK z 0 0");
    th_expect_int(c, 0, "ZREMRANGEBYRANK z 5 10");
    th_expect_int(c, 2, "ZREMRANGEBYSCORE z (2 +inf");
    th_expect_int(c, 0, "ZREMRANGEBYSCORE nokey 0 1");
    th_expect_error(c, ERR_NOT_INT, "ZREMRANGEBYRANK z a 1");
    th_expect_error(c, ERR_RANGE_FLOAT, "ZREMRANGEBYSCORE z a 1");
    th_expect_int(c, 1, "ZREMRANGEBYRANK z -100 100");
    th_expect_int(c, 0, "EXISTS z");
    run(c, "ZADD z 1 a 2 b");
    th_expect_int(c, 2, "ZREM z a nope b");
    th_expect_int(c, 0, "EXISTS z");
    th_expect_int(c, 0, "ZREM nokey a");
    th_expect_int(c, 0, "ZCARD z");
}

static void test_rangestore(void **state)
{
    redisContext *c = ctx(state);

    run(c, "ZADD src 1 a 2 b 3 c");
    th_expect_int(c, 3, "ZRANGESTORE dst src 0 -1");
    expect_flat(c, "a 1 b 2 c 3", "ZRANGE dst 0 -1 WITHSCORES");
    th_expect_str(c, "listpack", "OBJECT ENCODING dst");
    th_expect_int(c, 2, "ZRANGESTORE dst src (1 +inf BYSCORE");
    th_expect_int(c, 1, "ZRANGESTORE dst src [c + BYLEX");
    th_expect_int(c, 0, "ZRANGESTORE dst src 5 6");
    th_expect_int(c, 0, "EXISTS dst");
    th_expect_int(c, 0, "ZRANGESTORE dst nokey 0 -1");
    th_expect_error(c, ERR_SYNTAX, "ZRANGESTORE dst src 0 -1 WITHSCORES");
    run(c, "SET str x");
    th_expect_error(c, "WRONGTYPE", "ZRANGESTORE dst str 0 -1");
}

static void test_pops(void **state)
{
    redisContext *c = ctx(state);

    run(c, "ZADD z 1 a 2 b 3 c 4 d");
    expect_flat(c, "a 1", "ZPOPMIN z");
    expect_flat(c, "d 4 c 3", "ZPOPMAX z 2");
    expect_flat(c, "", "ZPOPMIN z 0");
    expect_flat(c, "", "ZPOPMIN nokey");
    th_expect_error(c, "ERR value is out of range, must be positive",
                    "ZPOPMIN z -1");
    th_expect_error(c, ERR_SYNTAX, "ZPOPMIN z 1 2");
    expect_flat(c, "b 2", "ZPOPMIN z 10");
    th_expect_int(c, 0, "EXISTS z");
    run(c, "ZADD z 1 a 2 b 3 c");
    expect_flat(c, "z {{c 3} {b 2}}", "ZMPOP 2 nokey z MAX COUNT 2");
    th_expect_nil(c, "ZMPOP 1 nokey MIN");
    th_expect_error(c, "ERR numkeys should be greater than 0",
                    "ZMPOP 0 z MIN");
    th_expect_error(c, "ERR count should be greater than 0",
                    "ZMPOP 1 z MIN COUNT 0");
    th_expect_error(c, ERR_SYNTAX, "ZMPOP 1 z FOO");
    th_expect_error(c, ERR_SYNTAX, "ZMPOP 2 z MIN");
}

static void test_randmember(void **state)
{
    redisContext *c = ctx(state);
    redisReply *r;

    th_expect_nil(c, "ZRANDMEMBER nokey");
    expect_flat(c, "", "ZRANDMEMBER nokey 5");
    run(c, "ZADD z 1 a 2 b 3 c 4 d 5 e");
    expect_flat(c, "", "ZRANDMEMBER z 0");
    expect_flat(c, "e 5 d 4 c 3 b 2 a 1", "ZRANDMEMBER z 10 WITHSCORES");
    r = th_cmd(c, "ZRANDMEMBER z 3");
    assert_int_equal(r->elements, 3);
    for (size_t i = 0; i < 3; i++)
        for (size_t j = i + 1; j < 3; j++)
            assert_string_not_equal(r->element[i]->str, r->element[j]->str);
    freeReplyObject(r);
    r = th_cmd(c, "ZRANDMEMBER z -20 WITHSCORES");
    assert_int_equal(r->elements, 40);
    freeReplyObject(r);
    r = th_cmd(c, "ZRANDMEMBER z");
    assert_int_equal(r->type, REDIS_REPLY_STRING);
    freeReplyObject(r);
    th_expect_error(c, "ERR value is out of range, value must between "
                       "-9223372036854775807 and 9223372036854775807",
                    "ZRANDMEMBER z -9223372036854775808");
    th_expect_error(c, "ERR value is out of range",
                    "ZRANDMEMBER z 4611686018427387904 WITHSCORES");
    th_expect_error(c, ERR_SYNTAX, "ZRANDMEMBER z 2 foo");
    th_expect_error(c, ERR_NOT_INT, "ZRANDMEMBER z abc");
}

static void test_set_algebra(void **state)
{
    redisContext *c = ctx(state);

    run(c, "ZADD z1 1 a 2 b 3 c");
    run(c, "ZADD z2 1 b 2 c 3 d");
    expect_flat(c, "a 1 b 3 d 3 c 5", "ZUNION 2 z1 z2 WITHSCORES");
    expect_flat(c, "b 3 c 5", "ZINTER 2 z1 z2 WITHSCORES");
    expect_flat(c, "b 4 c 6", "ZINTER 2 z1 z2 WEIGHTS 2 3 AGGREGATE MAX "
                              "WITHSCORES");
    expect_flat(c, "a 1", "ZDIFF 2 z1 z2 WITHSCORES");
    th_expect_int(c, 4, "ZUNIONSTORE out 2 z1 z2 AGGREGATE MIN");
    expect_flat(c, "a 1 b 1 c 2 d 3", "ZRANGE out 0 -1 WITHSCORES");
    th_expect_str(c, "listpack", "OBJECT ENCODING out");
    th_expect_int(c, 2, "ZINTERSTORE out 2 z1 z2");
    th_expect_int(c, 1, "ZDIFFSTORE out 2 z1 z2");
    th_expect_int(c, 0, "ZDIFFSTORE out 2 z1 z1");
    th_expect_int(c, 0, "EXISTS out");
    th_expect_int(c, 2, "ZINTERCARD 2 z1 z2");
    th_expect_int(c, 1, "ZINTERCARD 2 z1 z2 LIMIT 1");
    th_expect_int(c, 0, "ZINTERCARD 2 z1 nokey");
    /* Sets count with score 1. */
    run(c, "SADD s a b x");
    expect_flat(c, "x 1 a 2 b 3 c 3", "ZUNION 2 z1 s WITHSCORES");
    expect_flat(c, "a 2 b 3", "ZINTER 2 z1 s WITHSCORES");
    /* inf * 0 weighs 0, not NaN: MAX(0, 1) is 1. */
    run(c, "ZADD zi 1 a");
    run(c, "ZADD zinf inf a");
    expect_flat(c, "a 1", "ZUNION 2 zinf zi WEIGHTS 0 1 AGGREGATE MAX "
                          "WITHSCORES");
    th_expect_error(c, "ERR at least 1 input key is needed for 'zunion' "
                       "command", "ZUNION 0 z1");
    th_expect_error(c, "ERR at least 1 input key is needed for "
                       "'zunionstore' command", "ZUNIONSTORE d 0 z1");
    th_expect_error(c, ERR_SYNTAX, "ZUNION 2 z1");
    th_expect_error(c, "ERR weight value is not a float",
                    "ZUNION 1 z1 WEIGHTS nan");
    th_expect_error(c, ERR_SYNTAX, "ZDIFF 1 z1 WEIGHTS 1");
    th_expect_error(c, ERR_SYNTAX, "ZUNIONSTORE d 1 z1 WITHSCORES");
    th_expect_error(c, "ERR LIMIT can't be negative",
                    "ZINTERCARD 1 z1 LIMIT -1");
    run(c, "SET str x");
    th_expect_error(c, "WRONGTYPE", "ZUNION 2 z1 str");
}

static void test_zscan(void **state)
{
    redisContext *c = ctx(state);
    redisReply *r;
    char cursor[32] = "0";
    size_t seen = 0;

    run(c, "ZADD z 1 a 2.5 b");
    expect_flat(c, "0 {a 1 b 2.5}", "ZSCAN z 0");
    expect_flat(c, "0 {b 2.5}", "ZSCAN z 0 MATCH b*");
    expect_flat(c, "0 {}", "ZSCAN nokey 0");
    /* Scores as Redis shows them: listpack text, skiplist "%.17Lg". */
    run(c, "ZADD f 1e17 a");
    expect_flat(c, "0 {a 100000000000000000}", "ZSCAN f 0");
    for (int i = 0; i < 130; i++) {
        r = th_cmd(c, "ZADD f %d m%d", i, i);
        freeReplyObject(r);
    }
    th_expect_str(c, "skiplist", "OBJECT ENCODING f");
    r = th_cmd(c, "ZSCAN f 0 MATCH a COUNT 1000");
    assert_int_equal(r->element[1]->elements, 2);
    assert_string_equal(r->element[1]->element[1]->str, "1e+17");
    freeReplyObject(r);
    th_expect_error(c, "ERR invalid cursor", "ZSCAN z abc");
    th_expect_error(c, ERR_SYNTAX, "ZSCAN z 0 COUNT 0");
    th_expect_error(c, ERR_SYNTAX, "ZSCAN z 0 FOO 1");
    for (int i = 0; i < 300; i++) {
        r = th_cmd(c, "ZADD big %d m%d", i, i);
        freeReplyObject(r);
    }
    do {
        r = th_cmd(c, "ZSCAN big %s COUNT 20", cursor);
        assert_int_equal(r->elements, 2);
        snprintf(cursor, sizeof(cursor), "%s", r->element[0]->str);
        seen += r->element[1]->elements / 2;
        freeReplyObject(r);
    } while (strcmp(cursor, "0") != 0);
    assert_true(seen >= 300);
}

static void test_encodings_and_config(void **state)
{
    redisContext *c = ctx(state);
    char big[80];

    run(c, "ZADD z 1 a");
    for (int i = 0; i < 128; i++) {
        redisReply *r = th_cmd(c, "ZADD e %d m%d", i, i);
        freeReplyObject(r);
    }
    th_expect_str(c, "listpack", "OBJECT ENCODING e");
    th_expect_int(c, 1, "ZADD e 200 m200");
    th_expect_str(c, "skiplist", "OBJECT ENCODING e");
    th_expect_int(c, 128, "ZREMRANGEBYRANK e 0 127");
    th_expect_str(c, "skiplist", "OBJECT ENCODING e");
    memset(big, 'x', 65);
    big[65] = '\0';
    th_expect_int(c, 1, "ZADD long 1 %s", big);
    th_expect_str(c, "skiplist", "OBJECT ENCODING long");
    th_expect_int(c, 1, "ZADD long2 1 a");
    th_expect_int(c, 1, "ZADD long2 1 %s", big);
    th_expect_str(c, "skiplist", "OBJECT ENCODING long2");
    /* A skiplist result small enough goes back to listpack on store. */
    th_expect_int(c, 1, "ZUNIONSTORE back 1 e");
    th_expect_str(c, "listpack", "OBJECT ENCODING back");
    /* COPY keeps content and encoding. */
    th_expect_int(c, 1, "COPY long2 cp");
    th_expect_str(c, "skiplist", "OBJECT ENCODING cp");
    th_expect_int(c, 2, "ZCARD cp");
    th_expect_int(c, 1, "COPY z cz");
    expect_flat(c, "a 1", "ZRANGE cz 0 -1 WITHSCORES");
    /* The thresholds and their ziplist aliases reach the heap. */
    th_expect_status(c, "OK", "CONFIG SET zset-max-ziplist-entries 2");
    run(c, "ZADD t 1 a 2 b");
    th_expect_str(c, "listpack", "OBJECT ENCODING t");
    run(c, "ZADD t 3 c");
    th_expect_str(c, "skiplist", "OBJECT ENCODING t");
    th_expect_status(c, "OK", "CONFIG SET zset-max-listpack-entries 128");
    th_expect_status(c, "OK", "CONFIG SET zset-max-listpack-value 3");
    run(c, "ZADD v 1 abcd");
    th_expect_str(c, "skiplist", "OBJECT ENCODING v");
    th_expect_status(c, "OK", "CONFIG SET zset-max-listpack-value 64");
    th_expect_status(c, "OK", "CONFIG SET zset-max-listpack-entries 0");
    run(c, "ZADD w 1 a");
    th_expect_str(c, "skiplist", "OBJECT ENCODING w");
    th_expect_status(c, "OK", "CONFIG SET zset-max-listpack-entries 128");
}

static void test_wrongtype(void **state)
{
    redisContext *c = ctx(state);

    run(c, "SET s x");
    th_expect_error(c, "WRONGTYPE", "ZADD s 1 a");
    th_expect_error(c, "WRONGTYPE", "ZINCRBY s 1 a");
    th_expect_error(c, "WRONGTYPE", "ZREM s a");
    th_expect_error(c, "WRONGTYPE", "ZCARD s");
    th_expect_error(c, "WRONGTYPE", "ZSCORE s a");
    th_expect_error(c, "WRONGTYPE", "ZMSCORE s a");
    th_expect_error(c, "WRONGTYPE", "ZRANK s a");
    th_expect_error(c, "WRONGTYPE", "ZREVRANK s a");
    th_expect_error(c, "WRONGTYPE", "ZRANGE s 0 -1");
    th_expect_error(c, "WRONGTYPE", "ZRANGEBYSCORE s 0 1");
    th_expect_error(c, "WRONGTYPE", "ZRANGEBYLEX s - +");
    th_expect_error(c, "WRONGTYPE", "ZCOUNT s 0 1");
    th_expect_error(c, "WRONGTYPE", "ZLEXCOUNT s - +");
    th_expect_error(c, "WRONGTYPE", "ZPOPMIN s");
    th_expect_error(c, "WRONGTYPE", "ZPOPMAX s");
    th_expect_error(c, "WRONGTYPE", "ZRANDMEMBER s");
    th_expect_error(c, "WRONGTYPE", "ZRANDMEMBER s 2");
    th_expect_error(c, "WRONGTYPE", "ZREMRANGEBYRANK s 0 1");
    th_expect_error(c, "WRONGTYPE", "ZREMRANGEBYSCORE s 0 1");
    th_expect_error(c, "WRONGTYPE", "ZREMRANGEBYLEX s - +");
    th_expect_error(c, "WRONGTYPE", "ZSCAN s 0");
    th_expect_error(c, "WRONGTYPE", "ZMPOP 1 s MIN");
    th_expect_error(c, "WRONGTYPE", "ZINTERCARD 1 s");
    th_expect_error(c, "WRONGTYPE", "ZUNION 1 s");
    th_expect_error(c, "WRONGTYPE", "ZINTER 1 s");
    th_expect_error(c, "WRONGTYPE", "ZDIFF 1 s");
    th_expect_error(c, "WRONGTYPE", "ZRANGESTORE d s 0 -1");
}

/* Send one inline command on a raw socket and assert the exact reply
 * bytes. */
static void expect_raw(int fd, const char *cmd, const char *want)
{
    char buf[1024], line[256];
    int closed = 0;
    size_t n;

    snprintf(line, sizeof(line), "%s\r\n", cmd);
    th_raw_send(fd, line, strlen(line));
    n = th_raw_read(fd, buf, sizeof(buf), strlen(want), 2000, &closed);
    buf[n] = '\0';
    if (strcmp(buf, want) != 0)
        fail_msg("'%s': got '%s', want '%s'", cmd, buf, want);
}

/* RESP3 shapes byte for byte (hiredis here predates RESP3). */
static void test_resp3_shapes(void **state)
{
    th_server_t *s = *state;
    int fd = th_raw_connect(s);
    char buf[4096];
    int closed = 0;

    th_raw_send(fd, "HELLO 3\r\n", 9);
    th_raw_read(fd, buf, sizeof(buf), 100, 300, &closed);
    expect_raw(fd, "ZADD z 1 a 2.5 b", ":2\r\n");
    expect_raw(fd, "ZSCORE z b", ",2.5\r\n");
    expect_raw(fd, "ZSCORE z nokey", "_\r\n");
    expect_raw(fd, "ZRANGE z 0 -1 WITHSCORES",
               "*2\r\n*2\r\n$1\r\na\r\n,1\r\n*2\r\n$1\r\nb\r\n,2.5\r\n");
    expect_raw(fd, "ZRANGE z 0 -1", "*2\r\n$1\r\na\r\n$1\r\nb\r\n");
    expect_raw(fd, "ZPOPMIN z", "*2\r\n$1\r\na\r\n,1\r\n");
    expect_raw(fd, "ZPOPMAX z 1", "*1\r\n*2\r\n$1\r\nb\r\n,2.5\r\n");
    expect_raw(fd, "ZADD z 1 a 2 b", ":2\r\n");
    expect_raw(fd, "ZRANDMEMBER z 5 WITHSCORES",
               "*2\r\n*2\r\n$1\r\nb\r\n,2\r\n*2\r\n$1\r\na\r\n,1\r\n");
    expect_raw(fd, "ZUNION 1 z WITHSCORES",
               "*2\r\n*2\r\n$1\r\na\r\n,1\r\n*2\r\n$1\r\nb\r\n,2\r\n");
    expect_raw(fd, "ZMPOP 1 z MIN",
               "*2\r\n$1\r\nz\r\n*1\r\n*2\r\n$1\r\na\r\n,1\r\n");
    expect_raw(fd, "ZMPOP 1 nokey MIN", "_\r\n");
    expect_raw(fd, "ZINCRBY z inf b", ",inf\r\n");
    expect_raw(fd, "ZADD z XX INCR 1 nope", "_\r\n");
    close(fd);
}

/* Seeded random ZADD/ZREM/ZINCRBY against a dense model; ZRANGE of the
 * whole set checked after each batch, through both encodings. */
static void test_random_model(void **state)
{
    redisContext *c = ctx(state);
    double score[200];
    int present[200];
    uint64_t rng = 0xC0FFEE;

    memset(present, 0, sizeof(present));
    for (int step = 0; step < 2000; step++) {
        int m;
        long v;
        redisReply *r;

        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        m = (int)(rng % 200);
        v = (long)((rng >> 8) % 21) - 10;
        switch ((rng >> 20) % 3) {
        case 0:
            r = th_cmd(c, "ZADD r %ld m%03d", v, m);
            score[m] = (double)v;
            present[m] = 1;
            break;
        case 1:
            r = th_cmd(c, "ZREM r m%03d", m);
            assert_int_equal(r->integer, present[m]);
            present[m] = 0;
            break;
        default:
            r = th_cmd(c, "ZINCRBY r %ld m%03d", v, m);
            score[m] = (present[m] ? score[m] : 0) + (double)v;
            present[m] = 1;
            break;
        }
        freeReplyObject(r);
        if (step % 200 == 199) {
            int n = 0;
            double last = -1e18;

            r = th_cmd(c, "ZRANGE r 0 -1 WITHSCORES");
            for (int i = 0; i < 200; i++) n += present[i];
            assert_int_equal(r->elements, (size_t)n * 2);
            for (size_t i = 0; i < r->elements; i += 2) {
                int idx = atoi(r->element[i]->str + 1);
                double sc = atof(r->element[i + 1]->str);

                assert_true(present[idx]);
                assert_true(sc == score[idx]);
                assert_true(sc >= last);
                last = sc;
            }
            freeReplyObject(r);
        }
    }
}

/* Lex ranges over a small zset with mixed scores (unspecified order, as
 * in Redis) still give a consistent reply: Redis's first/last member check
 * rejects this range; an earlier version announced 3 elements and sent
 * none, leaving the client waiting. */
static void test_lex_range_mixed_scores(void **state)
{
    th_server_t *s = *state;
    redisReply *r;

    th_expect_int(s->ctx, 4, "ZADD q -5 m59 0 %s 0 a9 0 m14", "");
    r = th_cmd(s->ctx, "ZRANGEBYLEX q (m3 (x");
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->elements, 0);
    freeReplyObject(r);
    th_expect_int(s->ctx, 0, "ZLEXCOUNT q (m3 (x");
    th_expect_int(s->ctx, 0, "ZREMRANGEBYLEX q (m3 (x");
    th_expect_int(s->ctx, 4, "ZCARD q");
    th_expect_status(s->ctx, "PONG", "PING");
}

/* Signed zero, checked against redis-server 7.0.15: a listpack writes a
 * -0 score as 0, a "skiplist" keeps it. ZUNION/ZINTER/ZDIFF build their
 * result as a skiplist (so reply -0) and the STORE forms shrink a small
 * one to listpack (so store 0); a union aggregate replaces the sign. */
static void test_negative_zero_scores(void **state)
{
    th_server_t *s = *state;
    redisContext *c = s->ctx;
    redisReply *dump, *r;
    char big[71], want[96];
    int fd;

    memset(big, 'L', 70);
    big[70] = '\0';
    run(c, "ZADD z 0 a 1 b");
    expect_flat(c, "b -1 a -0", "ZUNION 1 z WEIGHTS -1 WITHSCORES");
    expect_flat(c, "b -1 a 0",
                "ZINTER 2 z z WEIGHTS 1 -1 AGGREGATE MIN WITHSCORES");
    expect_flat(c, "a -0 b -0",
                "ZINTER 2 z z WEIGHTS -0 1 AGGREGATE MIN WITHSCORES");
    th_expect_int(c, 2, "ZUNIONSTORE d 1 z WEIGHTS -1");
    expect_flat(c, "b -1 a 0", "ZRANGE d 0 -1 WITHSCORES");
    th_expect_str(c, "listpack", "OBJECT ENCODING d");
    th_expect_int(c, 2, "ZINTERSTORE d 2 z z WEIGHTS -0 1 AGGREGATE MIN");
    expect_flat(c, "a 0 b 0", "ZRANGE d 0 -1 WITHSCORES");
    /* A long member makes the result a skiplist: its -0 stays. */
    th_expect_int(c, 2, "ZADD lz -0 0 -0 %s", big);
    snprintf(want, sizeof(want), "0 0 %s -0", big);
    expect_flat(c, want, "ZDIFF 1 lz WITHSCORES");
    th_expect_int(c, 2, "ZUNIONSTORE d 1 lz");
    th_expect_str(c, "skiplist", "OBJECT ENCODING d");
    th_expect_str(c, "-0", "ZSCORE d %s", big);
    th_expect_int(c, 2, "ZDIFFSTORE d 1 lz");
    th_expect_str(c, "-0", "ZSCORE d %s", big);
    th_expect_int(c, 2, "ZRANGESTORE d lz 0 -1");
    th_expect_str(c, "-0", "ZSCORE d %s", big);
    /* Skiplist inputs: -0 + 0 is 0, MIN/MAX keep the first of equals. */
    th_expect_status(c, "OK", "CONFIG SET zset-max-listpack-entries 0");
    run(c, "ZADD x -0 m");
    run(c, "ZADD y 0 m");
    run(c, "ZADD y2 -0 m 5 n");
    th_expect_int(c, 1, "ZUNIONSTORE d 2 x y");
    th_expect_str(c, "0", "ZSCORE d m");
    expect_flat(c, "m 0", "ZUNION 2 x y WITHSCORES");
    expect_flat(c, "m -0", "ZUNION 2 x y AGGREGATE MIN WITHSCORES");
    expect_flat(c, "n -5 m 0", "ZUNION 2 x y2 WEIGHTS 1 -1 WITHSCORES");
    th_expect_str(c, "0", "ZINCRBY x 0 m");
    th_expect_str(c, "-0", "ZSCORE x m");
    /* RESTORE of a skiplist dump into a listpack writes -0 as 0. */
    run(c, "ZADD sk -0 a 1 b");
    dump = th_cmd(c, "DUMP sk");
    assert_int_equal(dump->type, REDIS_REPLY_STRING);
    th_expect_status(c, "OK", "CONFIG SET zset-max-listpack-entries 128");
    r = redisCommand(c, "RESTORE lp 0 %b", dump->str, dump->len);
    assert_non_null(r);
    assert_int_equal(r->type, REDIS_REPLY_STATUS);
    freeReplyObject(r);
    freeReplyObject(dump);
    th_expect_str(c, "listpack", "OBJECT ENCODING lp");
    th_expect_str(c, "0", "ZSCORE lp a");
    /* RESP3 doubles carry the sign too. */
    fd = th_raw_connect(s);
    th_raw_send(fd, "HELLO 3\r\n", 9);
    {
        char buf[4096];
        int closed = 0;

        th_raw_read(fd, buf, sizeof(buf), 100, 300, &closed);
    }
    expect_raw(fd, "ZUNION 1 z WEIGHTS -1 WITHSCORES",
               "*2\r\n*2\r\n$1\r\nb\r\n,-1\r\n"
               "*2\r\n$1\r\na\r\n,-0\r\n");
    expect_raw(fd, "ZSCORE x m", ",-0\r\n");
    close(fd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_zadd_flags_and_errors, th_test_setup),
        cmocka_unit_test_setup(test_scores_format_and_parse, th_test_setup),
        cmocka_unit_test_setup(test_ranks_and_ranges, th_test_setup),
        cmocka_unit_test_setup(test_lex_ranges, th_test_setup),
        cmocka_unit_test_setup(test_remrange_and_emptied_keys, th_test_setup),
        cmocka_unit_test_setup(test_rangestore, th_test_setup),
        cmocka_unit_test_setup(test_pops, th_test_setup),
        cmocka_unit_test_setup(test_randmember, th_test_setup),
        cmocka_unit_test_setup(test_set_algebra, th_test_setup),
        cmocka_unit_test_setup(test_zscan, th_test_setup),
        cmocka_unit_test_setup(test_encodings_and_config, th_test_setup),
        cmocka_unit_test_setup(test_wrongtype, th_test_setup),
        cmocka_unit_test_setup(test_resp3_shapes, th_test_setup),
        cmocka_unit_test_setup(test_random_model, th_test_setup),
        cmocka_unit_test_setup(test_lex_range_mixed_scores, th_test_setup),
        cmocka_unit_test_setup(test_negative_zero_scores, th_test_setup),
    };

    return cmocka_run_group_tests(tests, th_group_setup, th_group_teardown);
}
