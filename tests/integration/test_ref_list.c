/*
 * test_ref_list.c - reference elements in lists: REF.LPUSH / REF.RPUSH
 * (strong and WEAK) and their error paths, standard list commands seeing
 * labels and dropping references, weak elements vanishing (LLEN exact,
 * lrem published, WATCH signalled), REF.GET through list indexes, COPY
 * of references for hashes, sets, sorted sets and lists, and GC COLLECT
 * freeing a cycle through lists.
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

static int ref_setup(void **state)
{
    th_server_t *s = *state;

    th_test_setup(state);
    freeReplyObject(th_cmd(s->ctx, "GC COLLECT"));
    return 0;
}

/* REF.INFO field `name` of key (an integer). */
static long long info_field(redisContext *c, const char *key,
                            const char *name)
{
    redisReply *r = th_cmd(c, "REF.INFO %s", key);
    long long v = -12345;

    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    for (size_t i = 0; i + 1 < r->elements; i += 2)
        if (strcmp(r->element[i]->str, name) == 0)
            v = r->element[i + 1]->integer;
    freeReplyObject(r);
    assert_int_not_equal(v, -12345);
    return v;
}

/* The list at key holds `refs` strong references and target t is held by
 * its binding plus `held` strong references. */
static void expect_refs(redisContext *c, const char *key, long long refs,
                        const char *t, long long held)
{
    redisReply *r = th_cmd(c, "EXISTS %s", key);
    int exists = r->integer == 1;

    freeReplyObject(r);
    if (exists)
        assert_int_equal(info_field(c, key, "refs_out_strong"), refs);
    else
        assert_int_equal(refs, 0);
    th_expect_int(c, 1 + held, "OBJECT REFCOUNT %s", t);
}

/* LRANGE key 0 -1 joined with spaces into buf. */
static void lrange(redisContext *c, const char *key, char *buf, size_t size)
{
    redisReply *r = th_cmd(c, "LRANGE %s 0 -1", key);
    size_t used = 0;

    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    buf[0] = '\0';
    for (size_t i = 0; i < r->elements; i++)
        used += (size_t)snprintf(buf + used, size - used, "%s%s",
                                 i ? " " : "", r->element[i]->str);
    freeReplyObject(r);
}

static void test_push_strong(void **state)
{
    th_server_t *s = *state;
    redisReply *r;
    char buf[256];

    th_expect_status(s->ctx, "OK", "SET a va");
    th_expect_status(s->ctx, "OK", "SET b vb");
    th_expect_int(s->ctx, 1, "RPUSH l x");
    th_expect_int(s->ctx, 3, "REF.RPUSH l a b");
    th_expect_int(s->ctx, 4, "REF.LPUSH l b");
    lrange(s->ctx, "l", buf, sizeof(buf));
    assert_string_equal(buf, "b x a b");
    th_expect_str(s->ctx, "a", "LINDEX l 2");
    th_expect_int(s->ctx, 4, "LLEN l");
    expect_refs(s->ctx, "l", 3, "b", 2);
    th_expect_int(s->ctx, 2, "OBJECT REFCOUNT a");
    assert_int_equal(info_field(s->ctx, "l", "tracked"), 1);
    assert_int_equal(info_field(s->ctx, "l", "refs_out_weak"), 0);
    /* REF.GET follows list elements; PATH steps are list indexes */
    r = th_cmd(s->ctx, "REF.GET l");
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->elements, 4);
    assert_string_equal(r->element[0]->str, "vb");
    assert_string_equal(r->element[1]->str, "x");
    assert_string_equal(r->element[2]->str, "va");
    assert_string_equal(r->element[3]->str, "vb");
    freeReplyObject(r);
    r = th_cmd(s->ctx, "REF.GET l DEPTH 0");
    assert_string_equal(r->element[0]->str, "b");
    freeReplyObject(r);
    th_expect_str(s->ctx, "va", "REF.GET l PATH 2");
    th_expect_str(s->ctx, "vb", "REF.GET l PATH -1");
    th_expect_error(s->ctx, "ERR PATH step '1' is not a reference",
                    "REF.GET l PATH 1");
    th_expect_error(s->ctx, "ERR PATH step '9'", "REF.GET l PATH 9");
    th_expect_error(s->ctx, "ERR PATH step 'x'", "REF.GET l PATH x");
    /* a nested path: h -> l -> a */
    th_expect_int(s->ctx, 1, "REF.HSET h items l");
    th_expect_str(s->ctx, "va", "REF.GET h PATH items 2");
    /* the object changes in place, seen through the list */
    th_expect_status(s->ctx, "OK", "REF.SET a va2");
    th_expect_str(s->ctx, "va2", "REF.GET l PATH 2");
    /* a plain LPUSH shifts positions: the references follow */
    th_expect_int(s->ctx, 5, "LPUSH l y");
    th_expect_str(s->ctx, "va2", "REF.GET l PATH 3");
    th_expect_int(s->ctx, 1, "DEL l"); /* h still holds it */
    th_expect_int(s->ctx, 3, "OBJECT REFCOUNT b");
    th_expect_int(s->ctx, 1, "DEL h");
    th_expect_int(s->ctx, 1, "OBJECT REFCOUNT b");
}

static void test_push_errors(void **state)
{
    th_server_t *s = *state;

    th_expect_status(s->ctx, "OK", "SET a va");
    th_expect_error(s->ctx, "ERR target key 'nope' does not exist",
                    "REF.RPUSH l a nope");
    th_expect_int(s->ctx, 0, "EXISTS l");
    th_expect_int(s->ctx, 1, "OBJECT REFCOUNT a");
    th_expect_int(s->ctx, 1, "RPUSH l x");
    th_expect_error(s->ctx, "ERR target key 'nope' does not exist",
                    "REF.LPUSH l WEAK a nope");
    th_expect_int(s->ctx, 1, "LLEN l");
    assert_int_equal(info_field(s->ctx, "a", "weakrefs"), 0);
    th_expect_error(s->ctx, "WRONGTYPE", "REF.LPUSH a a");
    th_expect_error(s->ctx, "WRONGTYPE", "REF.RPUSH a WEAK l");
    th_expect_int(s->ctx, 1, "HSET h f v");
    th_expect_error(s->ctx, "WRONGTYPE", "REF.RPUSH h a");
    th_expect_error(s->ctx, "ERR wrong number of arguments",
                    "REF.LPUSH l");
    th_expect_error(s->ctx, "ERR wrong number of arguments",
                    "REF.RPUSH l WEAK");
    th_expect_int(s->ctx, 1, "LLEN l");
    th_expect_int(s->ctx, 1, "OBJECT REFCOUNT a");
    /* a shared small integer is made private before it is referenced */
    th_expect_status(s->ctx, "OK", "SET n 7");
    th_expect_int(s->ctx, 2, "REF.RPUSH l n");
    th_expect_int(s->ctx, 2, "OBJECT REFCOUNT n");
    th_expect_str(s->ctx, "7", "REF.GET l PATH 1");
}

/* Every standard write that removes or overwrites an element drops its
 * reference; moved elements arrive as plain labels. */
static void test_standard_writes_drop(void **state)
{
    th_server_t *s = *state;
    redisContext *c2 = th_connect(s);
    redisReply *r;
    char buf[256];

    th_expect_status(s->ctx, "OK", "SET t v");
    th_expect_int(s->ctx, 12, "REF.RPUSH l t t t t t t t t t t t t");
    expect_refs(s->ctx, "l", 12, "t", 12);
    th_expect_str(s->ctx, "t", "LPOP l");
    expect_refs(s->ctx, "l", 11, "t", 11);
    th_expect_str(s->ctx, "t", "RPOP l");
    expect_refs(s->ctx, "l", 10, "t", 10);
    r = th_cmd(s->ctx, "LPOP l 2");
    assert_int_equal(r->elements, 2);
    freeReplyObject(r);
    expect_refs(s->ctx, "l", 8, "t", 8);
    th_expect_status(s->ctx, "OK", "LSET l 0 x");
    expect_refs(s->ctx, "l", 7, "t", 7);
    th_expect_status(s->ctx, "OK", "LSET l 1 t"); /* same label: plain */
    expect_refs(s->ctx, "l", 6, "t", 6);
    th_expect_int(s->ctx, 1, "LREM l 1 t");      /* index 1 */
    expect_refs(s->ctx, "l", 6, "t", 6);
    th_expect_int(s->ctx, 2, "LREM l -2 t");     /* the last two */
    expect_refs(s->ctx, "l", 4, "t", 4);
    th_expect_int(s->ctx, 6, "LINSERT l BEFORE x y");
    lrange(s->ctx, "l", buf, sizeof(buf));
    assert_string_equal(buf, "y x t t t t");
    th_expect_str(s->ctx, "v", "REF.GET l PATH 2");
    th_expect_status(s->ctx, "OK", "LTRIM l 1 -2");
    expect_refs(s->ctx, "l", 3, "t", 3);
    th_expect_str(s->ctx, "t", "LMOVE l d RIGHT LEFT");
    expect_refs(s->ctx, "l", 2, "t", 2);
    assert_int_equal(info_field(s->ctx, "d", "refs_out_strong"), 0);
    th_expect_str(s->ctx, "t", "RPOPLPUSH l d");
    expect_refs(s->ctx, "l", 1, "t", 1);
    th_expect_int(s->ctx, 2, "LLEN d");
    r = th_cmd(s->ctx, "LMPOP 1 l RIGHT");
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    freeReplyObject(r);
    expect_refs(s->ctx, "l", 0, "t", 0);
    lrange(s->ctx, "l", buf, sizeof(buf));
    assert_string_equal(buf, "x");
    /* BLPOP: served at once, and served by a later REF.RPUSH */
    th_expect_int(s->ctx, 2, "REF.RPUSH l t");
    r = th_cmd(s->ctx, "BLPOP l 1");
    freeReplyObject(r);
    r = th_cmd(s->ctx, "BLPOP l 1");
    assert_string_equal(r->element[1]->str, "t");
    freeReplyObject(r);
    expect_refs(s->ctx, "l", 0, "t", 0);
    assert_int_equal(redisAppendCommand(c2, "BLPOP q 5"), REDIS_OK);
    assert_int_equal(redisBufferWrite(c2, &(int){0}), REDIS_OK);
    for (int i = 0; i < 200; i++) {
        r = th_cmd(s->ctx, "CLIENT LIST");
        if (strstr(r->str, "cmd=blpop")) {
            freeReplyObject(r);
            break;
        }
        freeReplyObject(r);
    }
    th_expect_int(s->ctx, 1, "REF.RPUSH q t");
    assert_int_equal(redisGetReply(c2, (void **)&r), REDIS_OK);
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_string_equal(r->element[1]->str, "t");
    freeReplyObject(r);
    th_expect_int(s->ctx, 0, "EXISTS q");
    expect_refs(s->ctx, "q", 0, "t", 0);
    /* DEL of the list drops its references */
    th_expect_int(s->ctx, 3, "REF.LPUSH big t t t");
    expect_refs(s->ctx, "big", 3, "t", 3);
    th_expect_int(s->ctx, 1, "DEL big");
    expect_refs(s->ctx, "big", 0, "t", 0);
    redisFree(c2);
}

/* A weak list element vanishes when its object dies: LLEN exact at once,
 * lrem published, WATCH signalled; the emptied list's key goes (del). */
static void test_weak_vanishes(void **state)
{
    th_server_t *s = *state;
    redisContext *sub = th_connect(s), *c2 = th_connect(s);
    struct timeval tv = {3, 0};
    redisReply *r;
    char buf[256];

    assert_int_equal(redisSetTimeout(sub, tv), REDIS_OK);
    th_expect_status(s->ctx, "OK", "CONFIG SET notify-keyspace-events KEA");
    th_expect_status(s->ctx, "OK", "SET s1 a");
    th_expect_status(s->ctx, "OK", "SET s2 b");
    th_expect_int(s->ctx, 1, "RPUSH q head");
    th_expect_int(s->ctx, 3, "REF.RPUSH q WEAK s1 s2");
    th_expect_int(s->ctx, 5, "REF.LPUSH q WEAK s1 s2");
    th_expect_int(s->ctx, 1, "REF.RPUSH only WEAK s1");
    assert_int_equal(info_field(s->ctx, "q", "refs_out_weak"), 4);
    assert_int_equal(info_field(s->ctx, "q", "tracked"), 0);
    assert_int_equal(info_field(s->ctx, "s1", "weakrefs"), 3);
    th_expect_int(s->ctx, 1, "OBJECT REFCOUNT s1");
    r = th_cmd(sub, "SUBSCRIBE __keyevent@0__:lrem __keyevent@0__:del");
    freeReplyObject(r);
    assert_int_equal(redisGetReply(sub, (void **)&r), REDIS_OK);
    freeReplyObject(r);
    th_expect_status(s->ctx, "OK", "WATCH q");
    th_expect_int(c2, 1, "DEL s1");
    th_expect_int(c2, 3, "LLEN q"); /* exact the moment after */
    th_expect_status(s->ctx, "OK", "MULTI");
    th_expect_status(s->ctx, "QUEUED", "PING");
    r = th_cmd(s->ctx, "EXEC");
    assert_int_equal(r->type, REDIS_REPLY_NIL);
    freeReplyObject(r);
    th_read_message(sub, buf, sizeof(buf));
    assert_string_equal(buf, "__keyevent@0__:del s1");
    {
        int lrem_q = 0, lrem_only = 0, del_only = 0;

        for (int i = 0; i < 4; i++) {
            th_read_message(sub, buf, sizeof(buf));
            lrem_q += strcmp(buf, "__keyevent@0__:lrem q") == 0;
            lrem_only += strcmp(buf, "__keyevent@0__:lrem only") == 0;
            del_only += strcmp(buf, "__keyevent@0__:del only") == 0;
        }
        assert_int_equal(lrem_q, 2);
        assert_int_equal(lrem_only, 1);
        assert_int_equal(del_only, 1);
    }
    lrange(s->ctx, "q", buf, sizeof(buf));
    assert_string_equal(buf, "s2 head s2");
    th_expect_int(s->ctx, 0, "EXISTS only");
    th_expect_str(s->ctx, "b", "REF.GET q PATH 2");
    /* expiry kills too */
    th_expect_int(s->ctx, 1, "PEXPIRE s2 50");
    for (int i = 0; i < 1500; i++) {
        r = th_cmd(s->ctx, "LLEN q");
        long long n = r->integer;

        freeReplyObject(r);
        if (n == 1)
            break;
        usleep(20000);
    }
    th_expect_int(s->ctx, 1, "LLEN q");
    th_expect_str(s->ctx, "head", "LINDEX q 0");
    th_expect_status(s->ctx, "OK", "CONFIG SET notify-keyspace-events %s",
                     "");
    redisFree(sub);
    redisFree(c2);
}

/* REF.LPUSH is a list write: lpush published, WATCH signalled. */
static void test_push_notifies(void **state)
{
    th_server_t *s = *state;
    redisContext *sub = th_connect(s), *c2 = th_connect(s);
    struct timeval tv = {3, 0};
    redisReply *r;
    char buf[256];

    assert_int_equal(redisSetTimeout(sub, tv), REDIS_OK);
    th_expect_status(s->ctx, "OK", "CONFIG SET notify-keyspace-events KEA");
    th_expect_status(s->ctx, "OK", "SET a va");
    th_expect_int(s->ctx, 1, "RPUSH l x");
    r = th_cmd(sub, "SUBSCRIBE __keyspace@0__:l");
    freeReplyObject(r);
    th_expect_status(s->ctx, "OK", "WATCH l");
    th_expect_int(c2, 2, "REF.LPUSH l a");
    th_expect_int(c2, 3, "REF.RPUSH l WEAK a");
    th_expect_status(s->ctx, "OK", "MULTI");
    th_expect_status(s->ctx, "QUEUED", "PING");
    r = th_cmd(s->ctx, "EXEC");
    assert_int_equal(r->type, REDIS_REPLY_NIL);
    freeReplyObject(r);
    th_read_message(sub, buf, sizeof(buf));
    assert_string_equal(buf, "__keyspace@0__:l lpush");
    th_read_message(sub, buf, sizeof(buf));
    assert_string_equal(buf, "__keyspace@0__:l rpush");
    th_expect_status(s->ctx, "OK", "CONFIG SET notify-keyspace-events %s",
                     "");
    redisFree(sub);
    redisFree(c2);
}

/* COPY copies references (strong with a new refcount, weak stays weak)
 * for hashes, sets, sorted sets and lists. */
static void test_copy_references(void **state)
{
    th_server_t *s = *state;
    static const char *const src[] = {"h", "s", "z", "l"};
    static const char *const len_cmd[] = {"HLEN", "SCARD", "ZCARD", "LLEN"};
    redisReply *r;

    th_expect_status(s->ctx, "OK", "SET a va");
    th_expect_status(s->ctx, "OK", "SET w vw");
    th_expect_int(s->ctx, 1, "REF.HSET h f a");
    th_expect_int(s->ctx, 1, "REF.HSET h WEAK g w");
    th_expect_int(s->ctx, 1, "HSET h p plain");
    th_expect_int(s->ctx, 1, "REF.SADD s a");
    th_expect_int(s->ctx, 1, "REF.SADD s WEAK w");
    th_expect_int(s->ctx, 1, "SADD s plain");
    th_expect_int(s->ctx, 1, "REF.ZADD z 1 a");
    th_expect_int(s->ctx, 1, "REF.ZADD z WEAK 2 w");
    th_expect_int(s->ctx, 1, "ZADD z 3 plain");
    th_expect_int(s->ctx, 1, "REF.RPUSH l a");
    th_expect_int(s->ctx, 2, "RPUSH l plain");
    th_expect_int(s->ctx, 3, "REF.RPUSH l WEAK w");
    for (int i = 0; i < 4; i++) {
        char dst[8];

        snprintf(dst, sizeof(dst), "%s2", src[i]);
        th_expect_int(s->ctx, 1, "COPY %s %s", src[i], dst);
        assert_int_equal(info_field(s->ctx, dst, "refs_out_strong"), 1);
        assert_int_equal(info_field(s->ctx, dst, "refs_out_weak"), 1);
        assert_int_equal(info_field(s->ctx, dst, "tracked"), 1);
    }
    th_expect_int(s->ctx, 9, "OBJECT REFCOUNT a");
    assert_int_equal(info_field(s->ctx, "w", "weakrefs"), 8);
    th_expect_int(s->ctx, 1, "OBJECT REFCOUNT w");
    th_expect_str(s->ctx, "va", "REF.GET h2 PATH f");
    th_expect_str(s->ctx, "va", "REF.GET l2 PATH 0");
    th_expect_str(s->ctx, "vw", "REF.GET l2 PATH 2");
    th_expect_status(s->ctx, "OK", "REF.SET a changed");
    th_expect_str(s->ctx, "changed", "REF.GET h2 PATH f");
    r = th_cmd(s->ctx, "REF.GET s2");
    assert_int_equal(r->elements, 3);
    freeReplyObject(r);
    /* the weak elements vanish from originals and copies alike */
    th_expect_int(s->ctx, 1, "DEL w");
    for (int i = 0; i < 4; i++) {
        th_expect_int(s->ctx, 2, "%s %s", len_cmd[i], src[i]);
        th_expect_int(s->ctx, 2, "%s %s2", len_cmd[i], src[i]);
    }
    /* a copy lives on its own: deleting the sources keeps its refs */
    th_expect_int(s->ctx, 4, "DEL h s z l");
    th_expect_int(s->ctx, 5, "OBJECT REFCOUNT a");
    th_expect_int(s->ctx, 4, "DEL h2 s2 z2 l2");
    th_expect_int(s->ctx, 1, "OBJECT REFCOUNT a");
    /* a plain list copies as before */
    th_expect_int(s->ctx, 2, "RPUSH pl x y");
    th_expect_int(s->ctx, 1, "COPY pl pl2");
    th_expect_str(s->ctx, "y", "LINDEX pl2 1");
    assert_int_equal(info_field(s->ctx, "pl2", "tracked"), 0);
}

/* Lists in a cycle survive DEL and are freed by GC COLLECT; REF.GET on
 * the cycle is finite. */
static void test_cycle_collected(void **state)
{
    th_server_t *s = *state;
    redisReply *r;

    th_expect_int(s->ctx, 1, "RPUSH l1 x");
    th_expect_int(s->ctx, 1, "RPUSH l2 y");
    th_expect_int(s->ctx, 2, "REF.RPUSH l1 l2");
    th_expect_int(s->ctx, 2, "REF.LPUSH l2 l1");
    th_expect_int(s->ctx, 1, "HSET h k v");
    th_expect_int(s->ctx, 3, "REF.RPUSH l2 h");
    th_expect_int(s->ctx, 1, "REF.HSET h back l1");
    r = th_cmd(s->ctx, "REF.GET l1 DEPTH 8");
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->elements, 2);
    assert_int_equal(r->element[1]->type, REDIS_REPLY_ARRAY);
    assert_string_equal(r->element[1]->element[0]->str, "l1"); /* on path */
    freeReplyObject(r);
    th_expect_int(s->ctx, 0, "GC COLLECT");
    th_expect_int(s->ctx, 3, "DEL l1 l2 h");
    th_expect_int(s->ctx, 3, "GC COLLECT");
    th_expect_int(s->ctx, 0, "DBSIZE");
    r = th_cmd(s->ctx, "INFO heap");
    assert_non_null(strstr(r->str, "heap_ref_elements_strong:0"));
    freeReplyObject(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_push_strong, ref_setup),
        cmocka_unit_test_setup(test_push_errors, ref_setup),
        cmocka_unit_test_setup(test_standard_writes_drop, ref_setup),
        cmocka_unit_test_setup(test_weak_vanishes, ref_setup),
        cmocka_unit_test_setup(test_push_notifies, ref_setup),
        cmocka_unit_test_setup(test_copy_references, ref_setup),
        cmocka_unit_test_setup(test_cycle_collected, ref_setup),
    };

    return cmocka_run_group_tests(tests, th_group_setup, th_group_teardown);
}
