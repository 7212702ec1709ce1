/*
 * test_ref_weak_ttl.c - weak references to an object whose name's TTL
 * has passed but which no expiry has reclaimed yet (active expiry off):
 * the object is gone for every access through a weak alias or a weak
 * element, exactly as the expired name is.
 *
 * - weak alias: GET, EXISTS, TYPE, TTL, STRLEN, REF.GET reply as missing;
 * - weak elements: SMEMBERS, HGETALL, LRANGE, ZRANGE, counts, REF.GET
 *   (direct, through a strong reference, PATH) do not list them;
 * - effects: `expired` first, then `del` / `srem` / `hdel` / `zrem` /
 *   `lrem`; WATCH aborted; expired_keys counted;
 * - the TTL set before or after the weak reference, moved by RENAME,
 *   lengthened or shortened, on a second strong name, on another name of
 *   a shared object than the one the weak reference was taken through,
 *   on a container whose strong element was the object's last holder;
 * - objects still held elsewhere (a strong alias without TTL, a strong
 *   element) stay alive;
 * - many names with different TTLs, pushed back, persisted, shortened.
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

/* Per-test setup: clean server, notifications off, active expiry off
 * (so only access can reclaim an expired name). */
static int ttl_setup(void **state)
{
    th_server_t *s = *state;

    th_test_setup(state);
    th_expect_status(s->ctx, "OK", "CONFIG SET notify-keyspace-events %s",
                     "");
    th_expect_status(s->ctx, "OK", "DEBUG SET-ACTIVE-EXPIRE 0");
    freeReplyObject(th_cmd(s->ctx, "GC COLLECT"));
    return 0;
}

/* Per-test teardown: active expiry back on. */
static int ttl_teardown(void **state)
{
    th_server_t *s = *state;

    th_expect_status(s->ctx, "OK", "DEBUG SET-ACTIVE-EXPIRE 1");
    th_expect_status(s->ctx, "OK", "CONFIG SET notify-keyspace-events %s",
                     "");
    return 0;
}

/* Give key a 20 ms TTL and wait until it has passed. */
static void expire_soon(redisContext *c, const char *key)
{
    th_expect_int(c, 1, "PEXPIRE %s 20", key);
    usleep(60000);
}

/* EXEC the n commands queued on c; each must have succeeded (+OK or
 * :1, which is what every command these tests queue replies). */
static void exec_succeeded(redisContext *c, size_t n)
{
    redisReply *r = th_cmd(c, "EXEC");

    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->elements, n);
    for (size_t i = 0; i < n; i++) {
        const redisReply *e = r->element[i];

        if (!(e->type == REDIS_REPLY_STATUS && strcmp(e->str, "OK") == 0) &&
            !(e->type == REDIS_REPLY_INTEGER && e->integer == 1))
            fail_msg("command %zu of the transaction: type %d '%s'", i,
                     e->type, e->str ? e->str : "");
    }
    freeReplyObject(r);
}

/* Run the NULL-terminated cmds in one MULTI/EXEC, so that no deadline
 * can pass between them however slow the machine (sanitizer builds on
 * a loaded 2-core machine can take more than 20 ms for a few round
 * trips). */
static void atomically(redisContext *c, const char *const *cmds)
{
    size_t n = 0;

    th_expect_status(c, "OK", "MULTI");
    for (; cmds[n]; n++)
        th_expect_status(c, "QUEUED", cmds[n]);
    exec_succeeded(c, n);
}

/* The array reply of cmd (words separated by single spaces) has n
 * elements. */
static void expect_len(redisContext *c, size_t n, const char *cmd)
{
    char buf[128], *save = NULL;
    const char *argv[8];
    size_t lens[8];
    int argc = 0;
    redisReply *r;

    snprintf(buf, sizeof(buf), "%s", cmd);
    for (char *w = strtok_r(buf, " ", &save); w && argc < 8;
         w = strtok_r(NULL, " ", &save)) {
        argv[argc] = w;
        lens[argc++] = strlen(w);
    }
    r = th_cmdv(c, argc, argv, lens);
    if (r->type != REDIS_REPLY_ARRAY || r->elements != n)
        fail_msg("%s: type %d, %zu elements, want %zu", cmd, r->type,
                 r->type == REDIS_REPLY_ARRAY ? r->elements : 0, n);
    freeReplyObject(r);
}

/* Read one pmessage on sub (PSUBSCRIBEd) into buf as "channel payload";
 * fails the test on anything else. */
static void read_pmessage(redisContext *sub, char *buf, size_t size)
{
    redisReply *r = NULL;

    assert_int_equal(redisGetReply(sub, (void **)&r), REDIS_OK);
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->elements, 4);
    snprintf(buf, size, "%s %s", r->element[2]->str, r->element[3]->str);
    freeReplyObject(r);
}

/* ---------------------------------------------------------------------
 * Weak aliases
 * ------------------------------------------------------------------ */

/* Each read of a weak alias to an expired-but-unreclaimed target: the
 * reply of a missing key, the target reclaimed as expired. */
static void test_alias_reads(void **state)
{
    static const char *const reads[] = {"GET", "EXISTS", "TYPE", "TTL",
                                        "STRLEN", "REF.GET", "PTTL"};
    th_server_t *s = *state;

    for (size_t i = 0; i < sizeof(reads) / sizeof(reads[0]); i++) {
        long long expired = th_info_int(s->ctx, "stats", "expired_keys");
        redisReply *r;

        th_expect_status(s->ctx, "OK", "SET t v");
        th_expect_status(s->ctx, "OK", "REF.LINK a t WEAK");
        expire_soon(s->ctx, "t");
        r = th_cmd(s->ctx, "%s a", reads[i]);
        switch (i) {
        case 0:
        case 5:
            assert_int_equal(r->type, REDIS_REPLY_NIL);
            break;
        case 1:
        case 4:
            assert_int_equal(r->type, REDIS_REPLY_INTEGER);
            assert_int_equal(r->integer, 0);
            break;
        case 2:
            assert_int_equal(r->type, REDIS_REPLY_STATUS);
            assert_string_equal(r->str, "none");
            break;
        default:
            assert_int_equal(r->type, REDIS_REPLY_INTEGER);
            assert_int_equal(r->integer, -2);
            break;
        }
        freeReplyObject(r);
        assert_int_equal(th_info_int(s->ctx, "stats", "expired_keys"),
                         expired + 1);
        th_expect_int(s->ctx, 0, "DBSIZE");
        assert_int_equal(th_info_int(s->ctx, "heap",
                                    "heap_weakly_referenced_objects"), 0);
    }
}

/* A weak alias that is itself read only through KEYS / SCAN / DBSIZE /
 * RANDOMKEY sees the same: the target and the alias are gone. */
static void test_alias_keyspace_listing(void **state)
{
    th_server_t *s = *state;
    redisReply *r;

    th_expect_status(s->ctx, "OK", "SET t v");
    th_expect_status(s->ctx, "OK", "SET other x");
    th_expect_status(s->ctx, "OK", "REF.LINK a t WEAK");
    expire_soon(s->ctx, "t");
    r = th_cmd(s->ctx, "KEYS *");
    assert_int_equal(r->elements, 1);
    assert_string_equal(r->element[0]->str, "other");
    freeReplyObject(r);
    th_expect_int(s->ctx, 1, "DBSIZE");
    th_expect_str(s->ctx, "other", "RANDOMKEY");
}

/* Held elsewhere, the object lives: a strong alias without TTL, or a
 * strong reference element. The expired name alone is gone. */
static void test_alive_when_held(void **state)
{
    th_server_t *s = *state;

    th_expect_status(s->ctx, "OK", "SET t v");
    th_expect_status(s->ctx, "OK", "REF.LINK strong t");
    th_expect_status(s->ctx, "OK", "REF.LINK a t WEAK");
    expire_soon(s->ctx, "t");
    th_expect_str(s->ctx, "v", "GET a");
    th_expect_nil(s->ctx, "GET t");
    th_expect_str(s->ctx, "v", "GET a");
    th_expect_int(s->ctx, 1, "DEL strong");
    th_expect_int(s->ctx, 0, "EXISTS a");

    th_expect_status(s->ctx, "OK", "SET t v");
    th_expect_int(s->ctx, 1, "REF.SADD holder t");
    th_expect_status(s->ctx, "OK", "REF.LINK a t WEAK");
    th_expect_int(s->ctx, 1, "REF.SADD ws WEAK t");
    expire_soon(s->ctx, "t");
    th_expect_str(s->ctx, "v", "GET a");
    th_expect_int(s->ctx, 1, "SCARD ws");
    th_expect_int(s->ctx, 0, "EXISTS t");
    th_expect_int(s->ctx, 1, "DEL holder");
    th_expect_int(s->ctx, 0, "EXISTS a ws");
}

/* When the TTL comes: set before the weak reference, after it, moved by
 * RENAME, lengthened (not expired early), shortened, on a second strong
 * name that also expired. */
static void test_ttl_sources(void **state)
{
    th_server_t *s = *state;

    /* TTL first, weak element second */
    atomically(s->ctx, (const char *const[]){"SET t v PX 20",
                                             "REF.SADD ws WEAK t", NULL});
    usleep(60000);
    th_expect_int(s->ctx, 0, "SCARD ws");
    th_expect_int(s->ctx, 0, "DBSIZE");
    /* RENAME carries the TTL to the new name */
    th_expect_status(s->ctx, "OK", "SET t v");
    th_expect_status(s->ctx, "OK", "REF.LINK a t WEAK");
    atomically(s->ctx,
               (const char *const[]){"PEXPIRE t 200", "RENAME t t2", NULL});
    usleep(250000);
    th_expect_int(s->ctx, 0, "EXISTS a");
    th_expect_int(s->ctx, 0, "DBSIZE");
    /* lengthened: still alive after the first deadline */
    th_expect_status(s->ctx, "OK", "SET t v");
    th_expect_status(s->ctx, "OK", "REF.LINK a t WEAK");
    atomically(s->ctx, (const char *const[]){"PEXPIRE t 200",
                                             "PEXPIRE t 100000", NULL});
    usleep(250000);
    th_expect_str(s->ctx, "v", "GET a");
    /* shortened again */
    th_expect_int(s->ctx, 1, "PEXPIRE t 20");
    usleep(60000);
    th_expect_nil(s->ctx, "GET a");
    /* PERSIST: alive */
    th_expect_status(s->ctx, "OK", "SET t v");
    th_expect_status(s->ctx, "OK", "REF.LINK a t WEAK");
    atomically(s->ctx,
               (const char *const[]){"PEXPIRE t 200", "PERSIST t", NULL});
    usleep(250000);
    th_expect_str(s->ctx, "v", "GET a");
    th_expect_int(s->ctx, 2, "DEL a t");
    /* two strong names, both with a passed TTL */
    th_expect_status(s->ctx, "OK", "SET t v");
    th_expect_status(s->ctx, "OK", "REF.LINK a t WEAK");
    th_expect_status(s->ctx, "OK", "REF.LINK t2 t PX 200");
    th_expect_int(s->ctx, 1, "PEXPIRE t 200");
    usleep(250000);
    th_expect_int(s->ctx, 0, "EXISTS a");
    th_expect_int(s->ctx, 0, "DBSIZE");
    /* GETEX sets the TTL too */
    th_expect_status(s->ctx, "OK", "SET t v");
    th_expect_status(s->ctx, "OK", "REF.LINK a t WEAK");
    th_expect_str(s->ctx, "v", "GETEX t PX 20");
    usleep(60000);
    th_expect_int(s->ctx, 0, "EXISTS a");
    /* another database, after SWAPDB */
    th_expect_status(s->ctx, "OK", "SET t v");
    th_expect_status(s->ctx, "OK", "REF.LINK a t WEAK");
    th_expect_int(s->ctx, 1, "PEXPIRE t 20");
    th_expect_status(s->ctx, "OK", "SWAPDB 0 3");
    usleep(60000);
    th_expect_int(s->ctx, 0, "DBSIZE");
    th_expect_status(s->ctx, "OK", "SELECT 3");
    th_expect_int(s->ctx, 0, "EXISTS a");
    th_expect_int(s->ctx, 0, "DBSIZE");
    th_expect_status(s->ctx, "OK", "SELECT 0");
}

/* ---------------------------------------------------------------------
 * Weak elements
 * ------------------------------------------------------------------ */

/* t with a weak element in a set, hash, list and zset (each with a plain
 * element beside it but the set). */
static void elements_make(th_server_t *s)
{
    th_expect_status(s->ctx, "OK", "SET t v");
    th_expect_int(s->ctx, 1, "REF.SADD ws WEAK t");
    th_expect_int(s->ctx, 1, "REF.HSET wh WEAK f t");
    th_expect_int(s->ctx, 1, "HSET wh g plain");
    th_expect_int(s->ctx, 1, "REF.RPUSH wl WEAK t");
    th_expect_int(s->ctx, 2, "RPUSH wl plain");
    th_expect_int(s->ctx, 1, "REF.ZADD wz WEAK 1 t");
    th_expect_int(s->ctx, 1, "ZADD wz 2 plain");
}

/* elements_make, then t's TTL passed. */
static void elements_setup(th_server_t *s)
{
    elements_make(s);
    expire_soon(s->ctx, "t");
}

/* Standard reads of the containers do not list the element. */
static void test_element_standard_reads(void **state)
{
    static const char *const reads[] = {"SMEMBERS ws", "HGETALL wh",
                                        "LRANGE wl 0 -1", "ZRANGE wz 0 -1"};
    static const size_t lens[] = {0, 2, 1, 1};
    th_server_t *s = *state;

    for (size_t i = 0; i < 4; i++) {
        long long expired = th_info_int(s->ctx, "stats", "expired_keys");

        elements_setup(s);
        expect_len(s->ctx, lens[i], reads[i]);
        th_expect_int(s->ctx, 0, "EXISTS ws");
        th_expect_int(s->ctx, 1, "HLEN wh");
        th_expect_int(s->ctx, 0, "HEXISTS wh f");
        th_expect_int(s->ctx, 1, "LLEN wl");
        th_expect_str(s->ctx, "plain", "LINDEX wl 0");
        th_expect_int(s->ctx, 1, "ZCARD wz");
        th_expect_nil(s->ctx, "ZSCORE wz t");
        th_expect_int(s->ctx, 3, "DBSIZE");
        assert_int_equal(th_info_int(s->ctx, "stats", "expired_keys"),
                         expired + 1);
        assert_int_equal(th_info_int(s->ctx, "heap",
                                    "heap_ref_elements_weak"), 0);
        th_test_setup(state);
    }
    /* counts alone see it too */
    elements_setup(s);
    th_expect_int(s->ctx, 0, "SCARD ws");
    th_expect_int(s->ctx, 1, "HLEN wh");
    th_expect_int(s->ctx, 1, "LLEN wl");
    th_expect_int(s->ctx, 1, "ZCARD wz");
}

/* REF.GET follows no weak element to the expired object: directly,
 * through a strong reference, or by PATH. */
static void test_element_ref_get(void **state)
{
    th_server_t *s = *state;
    redisReply *r;

    elements_setup(s);
    r = th_cmd(s->ctx, "REF.GET wh");
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->elements, 2);
    assert_string_equal(r->element[0]->str, "g");
    assert_string_equal(r->element[1]->str, "plain");
    freeReplyObject(r);
    th_test_setup(state);

    elements_setup(s);
    th_expect_error(s->ctx, "ERR PATH step 'f' is not a reference",
                    "REF.GET wh PATH f");
    th_test_setup(state);

    /* root -> (strong) wh -> (weak) t */
    th_expect_status(s->ctx, "OK", "SET t v");
    th_expect_int(s->ctx, 1, "REF.HSET wh WEAK f t");
    th_expect_int(s->ctx, 1, "HSET wh g plain");
    th_expect_int(s->ctx, 1, "REF.HSET root inner wh");
    expire_soon(s->ctx, "t");
    r = th_cmd(s->ctx, "REF.GET root DEPTH 3");
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->elements, 2);
    assert_string_equal(r->element[0]->str, "inner");
    assert_int_equal(r->element[1]->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->element[1]->elements, 2);
    assert_string_equal(r->element[1]->element[0]->str, "g");
    freeReplyObject(r);
    th_expect_int(s->ctx, 1, "HLEN wh");
}

/* The effects: `expired` first, then the vanishing elements' events;
 * WATCH of the containers and the alias aborted. */
static void test_effects_order(void **state)
{
    static const char *const rest[] = {
        "__keyevent@0__:del a", "__keyevent@0__:srem ws",
        "__keyevent@0__:hdel wh", "__keyevent@0__:zrem wz",
        "__keyevent@0__:lrem wl", "__keyevent@0__:del ws"};
    th_server_t *s = *state;
    redisContext *sub = th_connect(s), *w[3];
    const char *wkeys[3] = {"a", "ws", "wh"};
    struct timeval tv = {3, 0};
    int seen[6] = {0};
    char buf[256];
    redisReply *r;

    elements_make(s);
    th_expect_status(s->ctx, "OK", "REF.LINK a t WEAK");
    for (int i = 0; i < 3; i++) {
        w[i] = th_connect(s);
        th_expect_status(w[i], "OK", "WATCH %s", wkeys[i]);
    }
    assert_int_equal(redisSetTimeout(sub, tv), REDIS_OK);
    th_expect_status(s->ctx, "OK", "CONFIG SET notify-keyspace-events %s",
                     "KEA");
    r = th_cmd(sub, "PSUBSCRIBE __keyevent@0__:*");
    freeReplyObject(r);
    atomically(s->ctx,
               (const char *const[]){"PEXPIRE t 200", "SET marker x", NULL});
    for (int i = 0; i < 8; i++) {
        read_pmessage(sub, buf, sizeof(buf));
        if (strcmp(buf, "__keyevent@0__:set marker") == 0)
            break;
    }
    usleep(250000);
    th_expect_nil(s->ctx, "GET a");
    read_pmessage(sub, buf, sizeof(buf));
    assert_string_equal(buf, "__keyevent@0__:expired t");
    for (int n = 0; n < 6; n++) {
        int k;

        read_pmessage(sub, buf, sizeof(buf));
        for (k = 0; k < 6; k++)
            if (!seen[k] && strcmp(buf, rest[k]) == 0)
                break;
        if (k == 6)
            fail_msg("unexpected event '%s'", buf);
        seen[k] = 1;
    }
    for (int i = 0; i < 3; i++) {
        th_expect_status(w[i], "OK", "MULTI");
        th_expect_status(w[i], "QUEUED", "PING");
        r = th_cmd(w[i], "EXEC");
        assert_int_equal(r->type, REDIS_REPLY_NIL);
        freeReplyObject(r);
        redisFree(w[i]);
    }
    redisFree(sub);
}

/* A transaction that WATCHed a container and ran after the TTL passed
 * is aborted, and a transaction's reads see the element gone. */
static void test_multi(void **state)
{
    th_server_t *s = *state;
    redisReply *r;

    elements_setup(s);
    th_expect_status(s->ctx, "OK", "MULTI");
    th_expect_status(s->ctx, "QUEUED", "SCARD ws");
    th_expect_status(s->ctx, "QUEUED", "HLEN wh");
    r = th_cmd(s->ctx, "EXEC");
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->element[0]->integer, 0);
    assert_int_equal(r->element[1]->integer, 1);
    freeReplyObject(r);
}

/* TTLs on names other than the one a weak reference was taken through:
 * the object does not know its names, so each strong name with a TTL is
 * queued once the object is shared; once every holder's TTL passed, the
 * weak references see it gone, and a holder without TTL (a name, a
 * strong element) keeps it alive. */
static void test_ttl_on_other_name(void **state)
{
    th_server_t *s = *state;

    /* TTL on t before a strong alias a (own TTL) shared the object, weak
     * references taken through a */
    atomically(s->ctx, (const char *const[]){
                           "SET t v PX 200", "REF.LINK a t PX 200",
                           "REF.LINK w a WEAK", "REF.SADD ws WEAK a", NULL});
    usleep(250000);
    th_expect_nil(s->ctx, "GET w");
    th_expect_int(s->ctx, 0, "SCARD ws");
    th_expect_int(s->ctx, 0, "DBSIZE");
    /* shared first, TTLs afterwards */
    atomically(s->ctx,
               (const char *const[]){"SET t v", "REF.LINK a t",
                                     "PEXPIRE t 200", "PEXPIRE a 200",
                                     "REF.LINK w a WEAK", NULL});
    usleep(250000);
    th_expect_nil(s->ctx, "GET w");
    th_expect_int(s->ctx, 0, "DBSIZE");
    /* a second name without TTL keeps it; the expired name is gone */
    atomically(s->ctx, (const char *const[]){"SET t v PX 200",
                                             "REF.LINK a t",
                                             "REF.LINK w a WEAK", NULL});
    usleep(250000);
    th_expect_str(s->ctx, "v", "GET w");
    th_expect_int(s->ctx, 2, "DBSIZE"); /* a and w: t was reclaimed */
    th_expect_int(s->ctx, 1, "DEL a"); /* its last holder: w goes too */
    th_expect_int(s->ctx, 0, "DBSIZE");
    /* so does a strong element taken through the alias */
    atomically(s->ctx, (const char *const[]){
                           "SET t v PX 200", "REF.LINK a t PX 200",
                           "REF.SADD s a", "REF.LINK w a WEAK", NULL});
    usleep(250000);
    th_expect_str(s->ctx, "v", "GET w");
    th_expect_int(s->ctx, 2, "DBSIZE"); /* s and w */
}

/* An object whose last holder is a strong element of a container whose
 * names' TTLs passed: it is gone with them (through nested containers
 * and every container type), unless another holder keeps the container. */
static void test_ttl_on_holding_container(void **state)
{
    th_server_t *s = *state;

    /* TTL after the element, weak alias to the held object */
    atomically(s->ctx, (const char *const[]){
                           "SET x v", "REF.HSET c f x", "REF.LINK w x WEAK",
                           "DEL x", "PEXPIRE c 200", NULL});
    usleep(250000);
    th_expect_nil(s->ctx, "GET w");
    th_expect_int(s->ctx, 0, "DBSIZE");
    /* TTL before the element, weak set member */
    atomically(s->ctx, (const char *const[]){
                           "SET x v", "HSET c g 1", "PEXPIRE c 200",
                           "REF.HSET c f x", "REF.SADD ws WEAK x", "DEL x",
                           NULL});
    usleep(250000);
    th_expect_int(s->ctx, 0, "SCARD ws");
    th_expect_int(s->ctx, 0, "DBSIZE");
    /* two containers deep: only the outer one has a name and a TTL */
    atomically(s->ctx, (const char *const[]){
                           "SET x v", "REF.RPUSH l x", "REF.ZADD z 1 l",
                           "REF.SADD o z", "REF.LINK w x WEAK", "DEL x",
                           "DEL l", "DEL z", "PEXPIRE o 200", NULL});
    usleep(250000);
    th_expect_nil(s->ctx, "GET w");
    th_expect_int(s->ctx, 0, "DBSIZE");
    /* a strong alias of the container without TTL keeps it all */
    atomically(s->ctx, (const char *const[]){
                           "SET x v", "REF.HSET c f x", "REF.LINK a c",
                           "REF.LINK w x WEAK", "DEL x", "PEXPIRE c 200",
                           NULL});
    usleep(250000);
    th_expect_str(s->ctx, "v", "GET w");
    th_expect_int(s->ctx, 2, "DBSIZE"); /* a and w: c was reclaimed */
    th_expect_int(s->ctx, 1, "DEL a");
    th_expect_int(s->ctx, 0, "DBSIZE");
}

/* Many names with different TTLs, some pushed back, some persisted,
 * later some shortened: exactly the expired ones are gone. */
static void test_many_ttls(void **state)
{
    th_server_t *s = *state;
    long long expired = th_info_int(s->ctx, "stats", "expired_keys");
    size_t queued = 0;

    /* one transaction, so no first deadline passes before the changes */
    th_expect_status(s->ctx, "OK", "MULTI");
    for (int i = 0; i < 60; i++, queued += 3) {
        th_expect_status(s->ctx, "QUEUED", "SET k%d v", i);
        th_expect_status(s->ctx, "QUEUED", "REF.SADD ws WEAK k%d", i);
        th_expect_status(s->ctx, "QUEUED", "PEXPIRE k%d %d", i,
                         500 + i * 7 % 30);
    }
    for (int i = 0; i < 60; i++) {
        if (i % 3 == 0)
            th_expect_status(s->ctx, "QUEUED", "PEXPIRE k%d 100000", i);
        else if (i % 5 == 0)
            th_expect_status(s->ctx, "QUEUED", "PERSIST k%d", i);
        queued += i % 3 == 0 || i % 5 == 0;
    }
    exec_succeeded(s->ctx, queued);
    usleep(650000);
    th_expect_int(s->ctx, 28, "SCARD ws");
    assert_int_equal(th_info_int(s->ctx, "stats", "expired_keys"),
                     expired + 32);
    for (int i = 0; i < 60; i += 3)
        th_expect_int(s->ctx, 1, "PEXPIRE k%d %d", i, 10 + i % 20);
    usleep(80000);
    th_expect_int(s->ctx, 8, "SCARD ws");
    th_expect_int(s->ctx, 9, "DBSIZE");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_alias_reads, ttl_setup,
                                        ttl_teardown),
        cmocka_unit_test_setup_teardown(test_alias_keyspace_listing,
                                        ttl_setup, ttl_teardown),
        cmocka_unit_test_setup_teardown(test_alive_when_held, ttl_setup,
                                        ttl_teardown),
        cmocka_unit_test_setup_teardown(test_ttl_sources, ttl_setup,
                                        ttl_teardown),
        cmocka_unit_test_setup_teardown(test_element_standard_reads,
                                        ttl_setup, ttl_teardown),
        cmocka_unit_test_setup_teardown(test_element_ref_get, ttl_setup,
                                        ttl_teardown),
        cmocka_unit_test_setup_teardown(test_effects_order, ttl_setup,
                                        ttl_teardown),
        cmocka_unit_test_setup_teardown(test_multi, ttl_setup,
                                        ttl_teardown),
        cmocka_unit_test_setup_teardown(test_ttl_on_other_name, ttl_setup,
                                        ttl_teardown),
        cmocka_unit_test_setup_teardown(test_ttl_on_holding_container,
                                        ttl_setup, ttl_teardown),
        cmocka_unit_test_setup_teardown(test_many_ttls, ttl_setup,
                                        ttl_teardown),
    };

    return cmocka_run_group_tests(tests, th_group_setup_debug,
                                  th_group_teardown);
}
