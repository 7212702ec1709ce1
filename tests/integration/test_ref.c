/*
 * test_ref.c - REF.* commands: reference elements in hashes, sets and
 * sorted sets, weak elements vanishing, REF.GET on cycles, REF.INFO,
 * REF.LINK strong aliases, REF.SET, and the error paths.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"

static int ref_setup(void **state)
{
    th_server_t *s = *state;

    th_test_setup(state);
    freeReplyObject(th_cmd(s->ctx, "GC COLLECT"));
    return 0;
}

static void test_hset_and_get(void **state)
{
    th_server_t *s = *state;
    redisReply *r;

    th_expect_status(s->ctx, "OK", "SET author:1 ann");
    th_expect_int(s->ctx, 1, "HSET post:1 title hi");
    th_expect_int(s->ctx, 1, "REF.HSET post:1 author author:1");
    th_expect_str(s->ctx, "author:1", "HGET post:1 author");
    r = th_cmd(s->ctx, "REF.GET post:1 DEPTH 1");
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->elements, 4);
    freeReplyObject(r);
    th_expect_status(s->ctx, "OK", "REF.SET author:1 bob");
    th_expect_str(s->ctx, "bob", "GET author:1");
    th_expect_error(s->ctx, "ERR target key", "REF.HSET post:1 x missing");
    th_expect_int(s->ctx, 2, "HLEN post:1");
    th_expect_error(s->ctx, "WRONGTYPE", "REF.HSET author:1 f post:1");
    th_expect_error(s->ctx, "WRONGTYPE", "REF.SADD post:1 author:1");
    th_expect_error(s->ctx, "ERR DEPTH", "REF.GET post:1 DEPTH 100000");
    th_expect_nil(s->ctx, "REF.GET nokey");
}

static void test_cycle_survives_del(void **state)
{
    th_server_t *s = *state;
    redisReply *r;

    th_expect_int(s->ctx, 1, "HSET post:1 title hi");
    th_expect_int(s->ctx, 1, "SADD comments c0");
    th_expect_int(s->ctx, 1, "REF.HSET post:1 comments comments");
    th_expect_int(s->ctx, 1, "REF.SADD comments post:1");
    /* REF.GET on a cycle is finite: post:1 -> comments -> label */
    r = th_cmd(s->ctx, "REF.GET post:1 DEPTH 8");
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    freeReplyObject(r);
    th_expect_int(s->ctx, 1, "DEL post:1");
    th_expect_int(s->ctx, 0, "EXISTS post:1");
    th_expect_int(s->ctx, 2, "SCARD comments");
    r = th_cmd(s->ctx, "REF.GET comments PATH post:1");
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->elements, 4);
    freeReplyObject(r);
    th_expect_int(s->ctx, 1, "DEL comments");
    th_expect_int(s->ctx, 2, "GC COLLECT");
}

static void test_weak_member_vanishes(void **state)
{
    th_server_t *s = *state;

    th_expect_status(s->ctx, "OK", "SET session:1 a");
    th_expect_status(s->ctx, "OK", "SET session:2 b");
    th_expect_int(s->ctx, 2, "REF.SADD online WEAK session:1 session:2");
    th_expect_int(s->ctx, 2, "SCARD online");
    th_expect_int(s->ctx, 1, "DEL session:1");
    th_expect_int(s->ctx, 1, "SCARD online");
    th_expect_int(s->ctx, 0, "SISMEMBER online session:1");
    th_expect_int(s->ctx, 1, "REF.ZADD board WEAK 5 session:2");
    th_expect_int(s->ctx, 1, "ZCARD board");
    th_expect_status(s->ctx, "OK", "SET session:2 c");
    th_expect_int(s->ctx, 0, "ZCARD board");
}

static void test_info_and_link(void **state)
{
    th_server_t *s = *state;
    redisReply *r;

    th_expect_status(s->ctx, "OK", "SET user:1 ann");
    th_expect_int(s->ctx, 1, "REF.HSET idx WEAK u user:1");
    th_expect_status(s->ctx, "OK", "REF.LINK alias user:1");
    th_expect_nil(s->ctx, "REF.LINK alias user:1 NX");
    th_expect_status(s->ctx, "OK", "REF.SET alias bob");
    th_expect_str(s->ctx, "bob", "GET user:1");
    r = th_cmd(s->ctx, "REF.INFO user:1");
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->elements, 16);
    assert_string_equal(r->element[4]->str, "refcount");
    assert_int_equal(r->element[5]->integer, 2);
    assert_string_equal(r->element[6]->str, "weakrefs");
    assert_int_equal(r->element[7]->integer, 1);
    assert_int_equal(r->element[15]->integer, -1);
    freeReplyObject(r);
    th_expect_int(s->ctx, 3, "DBSIZE");
    th_expect_int(s->ctx, 1, "DEL user:1");
    th_expect_int(s->ctx, 1, "HLEN idx");
    th_expect_int(s->ctx, 2, "DBSIZE");
    th_expect_int(s->ctx, 1, "DEL alias");
    th_expect_int(s->ctx, 0, "HLEN idx");
    th_expect_status(s->ctx, "OK", "SET t v");
    th_expect_status(s->ctx, "OK", "REF.LINK t2 t PX 100000");
    th_expect_error(s->ctx, "ERR syntax error", "REF.LINK t3 t FOO");
    th_expect_error(s->ctx, "ERR target key", "REF.LINK t3 nope");
}

/* A weak element vanishing is an ordinary write: WATCH sees it, srem and
 * (for the emptied set) del are published, and the emptied key is gone. */
static void test_weak_notify_watch(void **state)
{
    th_server_t *s = *state;
    redisContext *sub = th_connect(s), *c2 = th_connect(s);
    struct timeval tv = {3, 0};
    redisReply *r;
    char buf[256];

    assert_int_equal(redisSetTimeout(sub, tv), REDIS_OK);
    th_expect_status(s->ctx, "OK", "CONFIG SET notify-keyspace-events KEA");
    th_expect_status(s->ctx, "OK", "SET session:1 a");
    th_expect_int(s->ctx, 1, "REF.SADD online WEAK session:1");
    th_expect_int(s->ctx, 1, "REF.HSET h WEAK f session:1");
    th_expect_int(s->ctx, 1, "HSET h g plain");
    r = th_cmd(sub, "SUBSCRIBE __keyevent@0__:srem __keyevent@0__:del "
                    "__keyevent@0__:hdel");
    freeReplyObject(r);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(redisGetReply(sub, (void **)&r), REDIS_OK);
        freeReplyObject(r);
    }
    th_expect_status(s->ctx, "OK", "WATCH online");
    th_expect_int(c2, 1, "DEL session:1");
    th_expect_status(s->ctx, "OK", "MULTI");
    th_expect_status(s->ctx, "QUEUED", "PING");
    r = th_cmd(s->ctx, "EXEC");
    assert_int_equal(r->type, REDIS_REPLY_NIL);
    freeReplyObject(r);
    th_read_message(sub, buf, sizeof(buf));
    assert_string_equal(buf, "__keyevent@0__:del session:1");
    for (int i = 0; i < 3; i++) {
        th_read_message(sub, buf, sizeof(buf));
        assert_true(strcmp(buf, "__keyevent@0__:srem online") == 0 ||
                    strcmp(buf, "__keyevent@0__:del online") == 0 ||
                    strcmp(buf, "__keyevent@0__:hdel h") == 0);
    }
    th_expect_int(s->ctx, 0, "EXISTS online");
    th_expect_int(s->ctx, 1, "HLEN h");
    th_expect_int(s->ctx, 1, "DBSIZE");
    th_expect_status(s->ctx, "OK", "CONFIG SET notify-keyspace-events %s",
                     "");
    redisFree(sub);
    redisFree(c2);
}

/* REF.INFO's refcount of key. */
static long long ref_refcount(redisContext *c, const char *key)
{
    redisReply *r = th_cmd(c, "REF.INFO %s", key);
    long long n;

    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_string_equal(r->element[4]->str, "refcount");
    n = r->element[5]->integer;
    freeReplyObject(r);
    return n;
}

/* SPOP (one member, and with a count) of a set whose members are strong
 * references releases each popped member's reference. */
static void test_spop_releases_refs(void **state)
{
    th_server_t *s = *state;
    char key[16];

    for (int i = 0; i < 10; i++) {
        snprintf(key, sizeof(key), "tgt:%d", i);
        th_expect_status(s->ctx, "OK", "SET %s v", key);
        th_expect_int(s->ctx, 1, "REF.SADD refs %s", key);
        assert_int_equal(ref_refcount(s->ctx, key), 2);
    }
    freeReplyObject(th_cmd(s->ctx, "SPOP refs"));
    freeReplyObject(th_cmd(s->ctx, "SPOP refs 3"));
    th_expect_int(s->ctx, 6, "SCARD refs");
    for (int i = 0; i < 10; i++) {
        snprintf(key, sizeof(key), "tgt:%d", i);
        redisReply *r = th_cmd(s->ctx, "SISMEMBER refs %s", key);
        long long in = r->integer;

        freeReplyObject(r);
        assert_int_equal(ref_refcount(s->ctx, key), in ? 2 : 1);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_hset_and_get, ref_setup),
        cmocka_unit_test_setup(test_cycle_survives_del, ref_setup),
        cmocka_unit_test_setup(test_weak_member_vanishes, ref_setup),
        cmocka_unit_test_setup(test_info_and_link, ref_setup),
        cmocka_unit_test_setup(test_weak_notify_watch, ref_setup),
        cmocka_unit_test_setup(test_spop_releases_refs, ref_setup),
    };

    return cmocka_run_group_tests(tests, th_group_setup, th_group_teardown);
}
