/*
 * test_ref_weak.c - weak aliases (REF.LINK ... WEAK), weak elements and
 * bindings of emptied containers against a real gencached:
 *
 * - weak alias basics and errors, and how every keyspace command sees
 *   one (TYPE, OBJECT, RENAME, MOVE, COPY, SET, KEYS, DBSIZE, SWAPDB);
 * - for each cause of death of the object (DEL, UNLINK, SET overwrite,
 *   lazy expiry, active expiry, FLUSHDB, FLUSHALL, eviction, GC COLLECT
 *   of a cycle): the weak alias vanishes (`del`, WATCH, DBSIZE exact) and
 *   the weak set / hash / zset elements vanish (`srem`, `hdel`, `zrem`);
 * - empty containers read as missing through every name, and are
 *   reclaimed on access or by active expiry;
 * - DEL of a big value returns at once and the INFO heap deferred-free
 *   fields move, then return to 0.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

/* ---------------------------------------------------------------------
 * Helpers
 * ------------------------------------------------------------------ */

/* Per-test setup: a clean server with notifications off. */
static int weak_setup(void **state)
{
    th_server_t *s = *state;

    th_test_setup(state);
    th_expect_status(s->ctx, "OK", "CONFIG SET notify-keyspace-events %s",
                     "");
    freeReplyObject(th_cmd(s->ctx, "GC COLLECT"));
    return 0;
}

/* Milliseconds of a monotonic clock. */
static long long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait (up to 5 s) until DBSIZE, which reclaims nothing, equals want. */
static void wait_dbsize(redisContext *c, long long want)
{
    long long deadline = now_ms() + 5000, got = -1;

    while (now_ms() < deadline) {
        redisReply *r = th_cmd(c, "DBSIZE");

        got = r->integer;
        freeReplyObject(r);
        if (got == want)
            return;
        usleep(10000);
    }
    assert_int_equal(got, want);
}

/* A new connection that WATCHes key. */
static redisContext *watcher(th_server_t *s, const char *key)
{
    redisContext *w = th_connect(s);

    th_expect_status(w, "OK", "WATCH %s", key);
    return w;
}

/* The watcher's transaction is aborted (EXEC nil); frees w. */
static void watcher_aborted(redisContext *w)
{
    redisReply *r;

    th_expect_status(w, "OK", "MULTI");
    th_expect_status(w, "QUEUED", "PING");
    r = th_cmd(w, "EXEC");
    assert_int_equal(r->type, REDIS_REPLY_NIL);
    freeReplyObject(r);
    redisFree(w);
}

/* A subscriber to the keyevent channels of db 0 for del, srem, hdel,
 * zrem and evicted (notifications on). */
static redisContext *subscriber(th_server_t *s)
{
    redisContext *sub = th_connect(s);
    struct timeval tv = {3, 0};
    redisReply *r;

    assert_int_equal(redisSetTimeout(sub, tv), REDIS_OK);
    th_expect_status(s->ctx, "OK", "CONFIG SET notify-keyspace-events KEA");
    r = th_cmd(sub, "SUBSCRIBE __keyevent@0__:del __keyevent@0__:srem "
                    "__keyevent@0__:hdel __keyevent@0__:zrem");
    freeReplyObject(r);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(redisGetReply(sub, (void **)&r), REDIS_OK);
        freeReplyObject(r);
    }
    return sub;
}

/* Read messages of sub until every "event key" of want[0..n) was seen
 * (at most 32 messages; a 3 s silence fails). Frees sub. */
static void expect_events(redisContext *sub, const char *const *want,
                          int n)
{
    int seen[16] = {0}, left = n;

    assert_true(n <= 16);
    for (int i = 0; i < 32 && left > 0; i++) {
        redisReply *r = NULL;
        char buf[256];
        const char *ev;

        assert_int_equal(redisGetReply(sub, (void **)&r), REDIS_OK);
        assert_int_equal(r->type, REDIS_REPLY_ARRAY);
        assert_int_equal(r->elements, 3);
        ev = strrchr(r->element[1]->str, ':');
        snprintf(buf, sizeof(buf), "%s %s", ev ? ev + 1 : "",
                 r->element[2]->str);
        freeReplyObject(r);
        for (int k = 0; k < n; k++) {
            if (!seen[k] && strcmp(buf, want[k]) == 0) {
                seen[k] = 1;
                left--;
            }
        }
    }
    for (int k = 0; k < n; k++) {
        if (!seen[k])
            fail_msg("event '%s' not published", want[k]);
    }
    redisFree(sub);
}

/* ---------------------------------------------------------------------
 * Weak alias basics
 * ------------------------------------------------------------------ */

static void test_alias_basics(void **state)
{
    th_server_t *s = *state;
    redisReply *r;

    th_expect_status(s->ctx, "OK", "SET user:1 ann");
    th_expect_status(s->ctx, "OK", "REF.LINK email user:1 WEAK");
    th_expect_str(s->ctx, "ann", "GET email");
    th_expect_status(s->ctx, "string", "TYPE email");
    th_expect_int(s->ctx, 1, "EXISTS email");
    th_expect_int(s->ctx, 2, "DBSIZE");
    /* no reference held: the refcount is the one binding */
    th_expect_int(s->ctx, 1, "OBJECT REFCOUNT user:1");
    th_expect_int(s->ctx, 1, "OBJECT REFCOUNT email");
    assert_int_equal(th_info_int(s->ctx, "heap",
                                "heap_weakly_referenced_objects"), 1);
    /* writes through the alias reach the object */
    th_expect_status(s->ctx, "OK", "REF.SET email bob");
    th_expect_str(s->ctx, "bob", "GET user:1");
    /* NX, TTL, errors */
    th_expect_nil(s->ctx, "REF.LINK email user:1 WEAK NX");
    th_expect_status(s->ctx, "OK", "REF.LINK e2 user:1 NX WEAK PX 100000");
    r = th_cmd(s->ctx, "PTTL e2");
    assert_true(r->integer > 0 && r->integer <= 100000);
    freeReplyObject(r);
    th_expect_int(s->ctx, -1, "TTL user:1");
    th_expect_error(s->ctx, "ERR target key", "REF.LINK e3 nope WEAK");
    th_expect_error(s->ctx, "ERR syntax error", "REF.LINK e3 user:1 WEAK X");
    th_expect_error(s->ctx, "ERR invalid expire time",
                    "REF.LINK e3 user:1 WEAK EX 0");
    th_expect_int(s->ctx, 0, "EXISTS e3");
    /* a weak alias to a shared integer: the value is made private */
    th_expect_status(s->ctx, "OK", "SET n 5");
    th_expect_status(s->ctx, "OK", "REF.LINK nw n WEAK");
    th_expect_int(s->ctx, 6, "INCR n");
    th_expect_int(s->ctx, 1, "DEL n");
    th_expect_int(s->ctx, 0, "EXISTS nw");
    /* OBJECT, DUMP, MEMORY USAGE go through to the object */
    r = th_cmd(s->ctx, "OBJECT ENCODING email");
    assert_int_equal(r->type, REDIS_REPLY_STRING);
    freeReplyObject(r);
    r = th_cmd(s->ctx, "DUMP email");
    assert_int_equal(r->type, REDIS_REPLY_STRING);
    freeReplyObject(r);
    r = th_cmd(s->ctx, "MEMORY USAGE email");
    assert_int_equal(r->type, REDIS_REPLY_INTEGER);
    assert_true(r->integer > 0);
    freeReplyObject(r);
    /* the alias's own TTL ends the alias only */
    th_expect_status(s->ctx, "OK", "REF.LINK short user:1 WEAK PX 30");
    usleep(80000);
    th_expect_int(s->ctx, 0, "EXISTS short");
    th_expect_str(s->ctx, "bob", "GET user:1");
    th_expect_str(s->ctx, "bob", "GET email");
}

/* How the keyspace commands treat weak aliases. */
static void test_alias_keyspace(void **state)
{
    th_server_t *s = *state;
    redisReply *r;

    /* SET over a weak alias makes a normal key */
    th_expect_status(s->ctx, "OK", "SET t v");
    th_expect_status(s->ctx, "OK", "REF.LINK a t WEAK");
    th_expect_status(s->ctx, "OK", "SET a own");
    th_expect_int(s->ctx, 1, "DEL t");
    th_expect_str(s->ctx, "own", "GET a");
    /* RENAME keeps it weak */
    th_expect_status(s->ctx, "OK", "SET t v");
    th_expect_status(s->ctx, "OK", "REF.LINK a t WEAK");
    th_expect_status(s->ctx, "OK", "RENAME a b");
    th_expect_str(s->ctx, "v", "GET b");
    /* COPY makes a strong copy */
    th_expect_int(s->ctx, 1, "COPY b c");
    /* MOVE keeps it weak in the other db */
    th_expect_int(s->ctx, 1, "MOVE b 1");
    th_expect_int(s->ctx, 1, "DEL t");
    th_expect_str(s->ctx, "v", "GET c");
    th_expect_status(s->ctx, "OK", "SELECT 1");
    th_expect_int(s->ctx, 0, "EXISTS b");
    th_expect_int(s->ctx, 0, "DBSIZE");
    th_expect_status(s->ctx, "OK", "SELECT 0");
    th_expect_int(s->ctx, 1, "DEL c");
    /* counts are exact in the same batch as the death */
    th_expect_status(s->ctx, "OK", "SET t v");
    th_expect_status(s->ctx, "OK", "REF.LINK a t WEAK");
    th_expect_status(s->ctx, "OK", "SET other x");
    th_expect_status(s->ctx, "OK", "MULTI");
    th_expect_status(s->ctx, "QUEUED", "DEL t");
    th_expect_status(s->ctx, "QUEUED", "DBSIZE");
    th_expect_status(s->ctx, "QUEUED", "KEYS *");
    th_expect_status(s->ctx, "QUEUED", "EXISTS a");
    th_expect_status(s->ctx, "QUEUED", "TYPE a");
    th_expect_status(s->ctx, "QUEUED", "SCAN 0 COUNT 100");
    r = th_cmd(s->ctx, "EXEC");
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->elements, 6);
    assert_int_equal(r->element[0]->integer, 1);
    assert_int_equal(r->element[1]->integer, 1);
    assert_int_equal(r->element[2]->elements, 1);
    assert_string_equal(r->element[2]->element[0]->str, "other");
    assert_int_equal(r->element[3]->integer, 0);
    assert_string_equal(r->element[4]->str, "none");
    assert_int_equal(r->element[5]->element[1]->elements, 1);
    freeReplyObject(r);
    th_expect_str(s->ctx, "other", "RANDOMKEY");
    /* SWAPDB: the alias follows its db */
    th_expect_status(s->ctx, "OK", "SET t v");
    th_expect_status(s->ctx, "OK", "REF.LINK a t WEAK");
    th_expect_status(s->ctx, "OK", "SWAPDB 0 1");
    th_expect_status(s->ctx, "OK", "SELECT 1");
    th_expect_str(s->ctx, "v", "GET a");
    th_expect_int(s->ctx, 1, "DEL t");
    th_expect_int(s->ctx, 1, "DBSIZE");
    th_expect_int(s->ctx, 0, "EXISTS a");
    th_expect_status(s->ctx, "OK", "SELECT 0");
    /* a weak alias of a weak alias points at the object */
    th_expect_status(s->ctx, "OK", "SET t v");
    th_expect_status(s->ctx, "OK", "REF.LINK a t WEAK");
    th_expect_status(s->ctx, "OK", "REF.LINK aa a WEAK");
    th_expect_status(s->ctx, "OK", "REF.LINK strong a");
    th_expect_int(s->ctx, 1, "DEL t");
    th_expect_str(s->ctx, "v", "GET aa");
    th_expect_int(s->ctx, 1, "DEL strong");
    th_expect_int(s->ctx, 0, "EXISTS a aa");
    th_expect_int(s->ctx, 0, "DBSIZE");
    assert_int_equal(th_info_int(s->ctx, "heap",
                                "heap_weakly_referenced_objects"), 0);
}

/* ---------------------------------------------------------------------
 * Each cause of death: the weak alias and the weak elements vanish
 * ------------------------------------------------------------------ */

typedef void (*kill_fn)(th_server_t *s, redisContext *c2);

/* Set up the object user:1 (a self-referencing hash when cyclic, else a
 * string) with a weak alias and weak elements in ws (only member), wh
 * and wz (one plain element each); watch each; kill the object; check
 * everything vanished and was announced, and that dbsize keys remain. */
static void scenario(th_server_t *s, int cyclic, kill_fn kill,
                     long long dbsize)
{
    static const char *const want[] = {"del alias", "srem ws", "hdel wh",
                                       "zrem wz", "del ws"};
    redisContext *c2 = th_connect(s), *sub, *w[4];

    if (cyclic) {
        th_expect_int(s->ctx, 1, "HSET user:1 f v");
        th_expect_int(s->ctx, 1, "REF.HSET user:1 self user:1");
    } else {
        th_expect_status(s->ctx, "OK", "SET user:1 v");
    }
    th_expect_status(s->ctx, "OK", "REF.LINK alias user:1 WEAK");
    th_expect_int(s->ctx, 1, "REF.SADD ws WEAK user:1");
    th_expect_int(s->ctx, 1, "REF.HSET wh WEAK f user:1");
    th_expect_int(s->ctx, 1, "HSET wh g plain");
    th_expect_int(s->ctx, 1, "REF.ZADD wz WEAK 1 user:1");
    th_expect_int(s->ctx, 1, "ZADD wz 2 plain");
    assert_int_equal(th_info_int(s->ctx, "heap", "heap_ref_elements_weak"),
                     3);
    sub = subscriber(s);
    w[0] = watcher(s, "alias");
    w[1] = watcher(s, "ws");
    w[2] = watcher(s, "wh");
    w[3] = watcher(s, "wz");
    kill(s, c2);
    th_expect_int(s->ctx, 0, "EXISTS alias");
    th_expect_status(s->ctx, "none", "TYPE alias");
    th_expect_int(s->ctx, 0, "EXISTS ws");
    th_expect_int(s->ctx, 1, "HLEN wh");
    th_expect_int(s->ctx, 0, "HEXISTS wh f");
    th_expect_int(s->ctx, 1, "ZCARD wz");
    th_expect_int(s->ctx, dbsize, "DBSIZE");
    for (int i = 0; i < 4; i++)
        watcher_aborted(w[i]);
    expect_events(sub, want, 5);
    assert_int_equal(th_info_int(s->ctx, "heap", "heap_ref_elements_weak"),
                     0);
    assert_int_equal(th_info_int(s->ctx, "heap",
                                "heap_weakly_referenced_objects"), 0);
    th_expect_status(s->ctx, "OK", "CONFIG SET notify-keyspace-events %s",
                     "");
    redisFree(c2);
}

static void kill_del(th_server_t *s, redisContext *c2)
{
    (void)s;
    th_expect_int(c2, 1, "DEL user:1");
}

static void kill_unlink(th_server_t *s, redisContext *c2)
{
    (void)s;
    th_expect_int(c2, 1, "UNLINK user:1");
}

static void kill_set(th_server_t *s, redisContext *c2)
{
    (void)s;
    th_expect_status(c2, "OK", "SET user:1 new");
}

static void kill_lazy_expire(th_server_t *s, redisContext *c2)
{
    th_expect_status(c2, "OK", "DEBUG SET-ACTIVE-EXPIRE 0");
    th_expect_int(c2, 1, "PEXPIRE user:1 20");
    usleep(60000);
    /* the name expired but is not reclaimed: for the user the object
     * died with it, so the first access through the alias expires the
     * name (test_ref_weak_ttl.c has the details) */
    th_expect_int(s->ctx, 0, "EXISTS alias");
    th_expect_nil(c2, "GET user:1");
    th_expect_status(c2, "OK", "DEBUG SET-ACTIVE-EXPIRE 1");
}

static void kill_active_expire(th_server_t *s, redisContext *c2)
{
    th_expect_int(c2, 1, "PEXPIRE user:1 20");
    wait_dbsize(s->ctx, 2); /* user:1, alias and ws gone */
}

static void kill_flushdb(th_server_t *s, redisContext *c2)
{
    (void)s;
    th_expect_int(c2, 1, "MOVE user:1 1");
    th_expect_str(s->ctx, "v", "GET alias");
    th_expect_status(c2, "OK", "SELECT 1");
    th_expect_status(c2, "OK", "FLUSHDB");
    th_expect_status(c2, "OK", "SELECT 0");
}

static void kill_flushdb_async(th_server_t *s, redisContext *c2)
{
    (void)s;
    th_expect_int(c2, 1, "MOVE user:1 1");
    th_expect_status(c2, "OK", "SELECT 1");
    th_expect_status(c2, "OK", "FLUSHDB ASYNC");
    th_expect_status(c2, "OK", "SELECT 0");
}

static void kill_evict(th_server_t *s, redisContext *c2)
{
    long long used;

    /* the only key with a TTL, so volatile-lru evicts just it */
    th_expect_int(c2, 1, "EXPIRE user:1 100000");
    used = th_info_int(c2, "memory", "used_memory");
    th_expect_status(c2, "OK", "CONFIG SET maxmemory-policy volatile-lru");
    th_expect_status(c2, "OK", "CONFIG SET maxmemory %lld", used - 20000);
    wait_dbsize(s->ctx, 2);
    th_expect_status(c2, "OK", "CONFIG SET maxmemory 0");
    th_expect_status(c2, "OK", "CONFIG SET maxmemory-policy noeviction");
    assert_true(th_info_int(c2, "stats", "evicted_keys") >= 1);
}

static void kill_gc(th_server_t *s, redisContext *c2)
{
    redisReply *r;

    th_expect_int(c2, 1, "DEL user:1");
    /* the cycle keeps it alive: the alias still reads it */
    th_expect_int(s->ctx, 2, "HLEN alias");
    r = th_cmd(c2, "GC COLLECT");
    assert_int_equal(r->type, REDIS_REPLY_INTEGER);
    assert_true(r->integer >= 1);
    freeReplyObject(r);
}

static void test_death_del(void **state)
{
    scenario(*state, 0, kill_del, 2);
}

static void test_death_unlink(void **state)
{
    scenario(*state, 0, kill_unlink, 2);
}

static void test_death_set(void **state)
{
    scenario(*state, 0, kill_set, 3);
}

static void test_death_lazy_expire(void **state)
{
    scenario(*state, 0, kill_lazy_expire, 2);
}

static void test_death_active_expire(void **state)
{
    scenario(*state, 0, kill_active_expire, 2);
}

static void test_death_flushdb(void **state)
{
    scenario(*state, 0, kill_flushdb, 2);
}

static void test_death_flushdb_async(void **state)
{
    scenario(*state, 0, kill_flushdb_async, 2);
}

static void test_death_evict(void **state)
{
    scenario(*state, 0, kill_evict, 2);
}

static void test_death_gc(void **state)
{
    scenario(*state, 1, kill_gc, 2);
}

/* FLUSHALL takes the aliases along with everything (no per-key events,
 * as Redis); WATCH sees it, nothing weak is left in the heap. */
static void test_death_flushall(void **state)
{
    th_server_t *s = *state;

    for (int async = 0; async < 2; async++) {
        redisContext *w[2];

        th_expect_status(s->ctx, "OK", "SET user:1 v");
        th_expect_status(s->ctx, "OK", "SELECT 1");
        th_expect_status(s->ctx, "OK", "SET user:2 v");
        th_expect_status(s->ctx, "OK", "REF.LINK alias2 user:2 WEAK");
        th_expect_status(s->ctx, "OK", "SELECT 0");
        th_expect_status(s->ctx, "OK", "REF.LINK alias user:1 WEAK");
        th_expect_int(s->ctx, 1, "REF.SADD ws WEAK user:1");
        w[0] = watcher(s, "alias");
        w[1] = watcher(s, "ws");
        th_expect_status(s->ctx, "OK", async ? "FLUSHALL ASYNC"
                                             : "FLUSHALL");
        th_expect_int(s->ctx, 0, "EXISTS alias");
        th_expect_int(s->ctx, 0, "DBSIZE");
        th_expect_status(s->ctx, "OK", "SELECT 1");
        th_expect_int(s->ctx, 0, "DBSIZE");
        th_expect_status(s->ctx, "OK", "SELECT 0");
        watcher_aborted(w[0]);
        watcher_aborted(w[1]);
        assert_int_equal(th_info_int(s->ctx, "heap",
                                    "heap_weakly_referenced_objects"), 0);
        assert_int_equal(th_info_int(s->ctx, "heap",
                                    "heap_ref_elements_weak"), 0);
    }
}

/* ---------------------------------------------------------------------
 * Empty containers do not exist as far as names go
 * ------------------------------------------------------------------ */

static void test_empty_container_bindings(void **state)
{
    th_server_t *s = *state;
    redisReply *r;

    /* emptied through another name: reads as missing everywhere */
    th_expect_int(s->ctx, 1, "RPUSH l a");
    th_expect_status(s->ctx, "OK", "REF.LINK l2 l");
    th_expect_str(s->ctx, "a", "LPOP l");
    th_expect_int(s->ctx, 0, "EXISTS l");
    r = th_cmd(s->ctx, "KEYS *");
    assert_int_equal(r->elements, 0);
    freeReplyObject(r);
    th_expect_status(s->ctx, "none", "TYPE l2");
    th_expect_int(s->ctx, 0, "EXISTS l2");
    th_expect_int(s->ctx, 0, "LLEN l2");
    th_expect_int(s->ctx, 0, "DBSIZE");
    /* a write creates a fresh object */
    th_expect_int(s->ctx, 1, "RPUSH l3 a");
    th_expect_status(s->ctx, "OK", "REF.LINK l4 l3");
    th_expect_str(s->ctx, "a", "RPOP l3");
    th_expect_int(s->ctx, 1, "SADD l4 m");
    th_expect_status(s->ctx, "set", "TYPE l4");
    th_expect_int(s->ctx, 1, "DEL l4");
    /* DEL of an empty binding deletes nothing */
    th_expect_int(s->ctx, 1, "HSET h f v");
    th_expect_status(s->ctx, "OK", "REF.LINK h2 h");
    th_expect_status(s->ctx, "OK", "REF.LINK h3 h WEAK");
    th_expect_int(s->ctx, 1, "HDEL h f");
    th_expect_int(s->ctx, 0, "DEL h2 h3");
    th_expect_int(s->ctx, 0, "DBSIZE");
    /* reclaimed by active expiry without being touched */
    th_expect_int(s->ctx, 1, "ZADD z 1 m");
    th_expect_status(s->ctx, "OK", "REF.LINK z2 z");
    th_expect_status(s->ctx, "OK", "REF.LINK z3 z");
    th_expect_int(s->ctx, 1, "ZREM z m");
    wait_dbsize(s->ctx, 0);
    /* emptied by a weak element vanishing: the hinted name goes at once,
     * the other name by the sweep */
    th_expect_status(s->ctx, "OK", "SET s1 a");
    th_expect_int(s->ctx, 1, "REF.SADD set WEAK s1");
    th_expect_status(s->ctx, "OK", "REF.LINK set2 set");
    th_expect_int(s->ctx, 1, "DEL s1");
    th_expect_int(s->ctx, 0, "EXISTS set");
    wait_dbsize(s->ctx, 0);
    th_expect_int(s->ctx, 0, "SCARD set2");
}

/* An emptied container seen by WATCH through another name. */
static void test_empty_container_watch(void **state)
{
    th_server_t *s = *state;
    redisContext *w;

    th_expect_int(s->ctx, 1, "SADD s a");
    th_expect_status(s->ctx, "OK", "REF.LINK s2 s");
    w = watcher(s, "s2");
    th_expect_int(s->ctx, 1, "SREM s a");
    watcher_aborted(w);
}

/* ---------------------------------------------------------------------
 * Deferred freeing
 * ------------------------------------------------------------------ */

/* Build key as a list (hash when hash) of n elements, pipelined. */
static void build_big(redisContext *c, const char *key, int hash, long n)
{
    const int per = 1000;
    long sent = 0, cmds = 0;

    while (sent < n) {
        const char *argv[2 + 2 * 1000];
        size_t lens[2 + 2 * 1000];
        char bufs[1000][24];
        int argc = 0;

        argv[argc] = hash ? "HSET" : "RPUSH";
        lens[argc++] = strlen(argv[0]);
        argv[argc] = key;
        lens[argc++] = strlen(key);
        for (int i = 0; i < per && sent < n; i++, sent++) {
            snprintf(bufs[i], sizeof(bufs[i]), "e%ld", sent);
            argv[argc] = bufs[i];
            lens[argc++] = strlen(bufs[i]);
            if (hash) {
                argv[argc] = bufs[i];
                lens[argc++] = strlen(bufs[i]);
            }
        }
        assert_int_equal(redisAppendCommandArgv(c, argc, argv, lens),
                         REDIS_OK);
        cmds++;
        if (cmds == 50 || sent == n) {
            for (long k = 0; k < cmds; k++) {
                redisReply *r = NULL;

                assert_int_equal(redisGetReply(c, (void **)&r), REDIS_OK);
                assert_int_equal(r->type, REDIS_REPLY_INTEGER);
                freeReplyObject(r);
            }
            cmds = 0;
        }
    }
}

/* The value of field in an INFO text, or -1. */
static long long text_field(const char *text, const char *field)
{
    char pat[128];
    const char *p;

    snprintf(pat, sizeof(pat), "\r\n%s:", field);
    p = strstr(text, pat);
    return p ? strtoll(p + strlen(pat), NULL, 10) : -1;
}

/* DEL / UNLINK of a big value: queued in the same command, drained in
 * slices afterwards, fields back to 0. */
static void big_delete(th_server_t *s, const char *key, int hash,
                       const char *del)
{
    long long deadline, objs = 0, bytes = 0;
    redisReply *r;

    build_big(s->ctx, key, hash, hash ? 200000 : 500000);
    th_expect_status(s->ctx, "OK", "MULTI");
    th_expect_status(s->ctx, "QUEUED", "%s %s", del, key);
    th_expect_status(s->ctx, "QUEUED", "INFO heap");
    r = th_cmd(s->ctx, "EXEC");
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->element[0]->integer, 1);
    assert_true(text_field(r->element[1]->str,
                           "heap_deferred_free_pending_objects") >= 1);
    assert_true(text_field(r->element[1]->str,
                           "heap_deferred_free_pending_bytes") > 1000000);
    freeReplyObject(r);
    th_expect_int(s->ctx, 0, "EXISTS %s", key);
    deadline = now_ms() + 20000;
    while (now_ms() < deadline) {
        objs = th_info_int(s->ctx, "heap",
                          "heap_deferred_free_pending_objects");
        bytes = th_info_int(s->ctx, "heap",
                           "heap_deferred_free_pending_bytes");
        if (objs == 0 && bytes == 0)
            break;
        usleep(5000);
    }
    assert_int_equal(objs, 0);
    assert_int_equal(bytes, 0);
}

static void test_big_del_deferred(void **state)
{
    th_server_t *s = *state;
    redisContext *c2 = th_connect(s);
    long long t0;

    big_delete(s, "biglist", 0, "DEL");
    big_delete(s, "bighash", 1, "UNLINK");
    /* overwrite and FLUSHALL go through the queue as well */
    build_big(s->ctx, "biglist", 0, 300000);
    t0 = now_ms();
    th_expect_status(s->ctx, "OK", "SET biglist x");
    th_expect_status(c2, "PONG", "PING");
    assert_true(now_ms() - t0 < 2000);
    build_big(s->ctx, "bighash", 1, 100000);
    th_expect_status(s->ctx, "OK", "FLUSHALL");
    th_expect_int(s->ctx, 0, "DBSIZE");
    wait_dbsize(s->ctx, 0);
    redisFree(c2);
}

/* Evicting a big value queues it: the evictor does not count its bytes
 * as used while the queue drains, so it stops after the big value
 * instead of evicting every small key too. */
static void test_evict_counts_queued(void **state)
{
    th_server_t *s = *state;
    long long used, deadline;
    redisReply *r;

    build_big(s->ctx, "biglist", 0, 400000);
    th_expect_int(s->ctx, 1, "EXPIRE biglist 10");
    for (int i = 0; i < 200; i++)
        th_expect_status(s->ctx, "OK", "SET small:%d v EX 100000", i);
    used = th_info_int(s->ctx, "memory", "used_memory");
    th_expect_status(s->ctx, "OK", "CONFIG SET maxmemory-samples 64");
    th_expect_status(s->ctx, "OK", "CONFIG SET maxmemory-policy volatile-ttl");
    th_expect_status(s->ctx, "OK", "CONFIG SET maxmemory %lld",
                     used - 500000);
    deadline = now_ms() + 5000;
    for (;;) {
        r = th_cmd(s->ctx, "EXISTS biglist");
        if (r->integer == 0 || now_ms() > deadline)
            break;
        freeReplyObject(r);
        usleep(2000);
    }
    assert_int_equal(r->integer, 0);
    freeReplyObject(r);
    r = th_cmd(s->ctx, "DBSIZE");
    assert_true(r->integer >= 150);
    freeReplyObject(r);
    th_expect_status(s->ctx, "OK", "CONFIG SET maxmemory 0");
    th_expect_status(s->ctx, "OK", "CONFIG SET maxmemory-policy noeviction");
    th_expect_status(s->ctx, "OK", "CONFIG SET maxmemory-samples 5");
}

/* INFO heap has exactly HEAP.md's fields. */
static void test_info_heap_fields(void **state)
{
    static const char *const fields[] = {
        "heap_objects", "heap_container_objects",
        "heap_ref_elements_strong", "heap_ref_elements_weak",
        "heap_weakly_referenced_objects",
        "heap_deferred_free_pending_objects",
        "heap_deferred_free_pending_bytes"};
    th_server_t *s = *state;
    redisReply *r = th_cmd(s->ctx, "INFO heap");
    long long objs, conts;
    const char *p;
    int lines = 0;

    assert_int_equal(r->type, REDIS_REPLY_STRING);
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
        assert_true(text_field(r->str, fields[i]) >= 0);
    for (p = r->str; (p = strchr(p, ':')) != NULL; p++)
        lines++;
    assert_int_equal(lines, 7);
    freeReplyObject(r);
    objs = th_info_int(s->ctx, "heap", "heap_objects");
    conts = th_info_int(s->ctx, "heap", "heap_container_objects");
    th_expect_int(s->ctx, 1, "HSET h f v");
    th_expect_status(s->ctx, "OK", "SET str abcdefgh");
    assert_int_equal(th_info_int(s->ctx, "heap", "heap_objects"), objs + 2);
    assert_int_equal(th_info_int(s->ctx, "heap", "heap_container_objects"),
                     conts + 1);
    th_expect_int(s->ctx, 2, "DEL h str");
    assert_int_equal(th_info_int(s->ctx, "heap", "heap_objects"), objs);
    assert_int_equal(th_info_int(s->ctx, "heap", "heap_container_objects"),
                     conts);
    r = th_cmd(s->ctx, "INFO");
    assert_non_null(strstr(r->str, "# Heap\r\n"));
    freeReplyObject(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_alias_basics, weak_setup),
        cmocka_unit_test_setup(test_alias_keyspace, weak_setup),
        cmocka_unit_test_setup(test_death_del, weak_setup),
        cmocka_unit_test_setup(test_death_unlink, weak_setup),
        cmocka_unit_test_setup(test_death_set, weak_setup),
        cmocka_unit_test_setup(test_death_lazy_expire, weak_setup),
        cmocka_unit_test_setup(test_death_active_expire, weak_setup),
        cmocka_unit_test_setup(test_death_flushdb, weak_setup),
        cmocka_unit_test_setup(test_death_flushdb_async, weak_setup),
        cmocka_unit_test_setup(test_death_flushall, weak_setup),
        cmocka_unit_test_setup(test_death_evict, weak_setup),
        cmocka_unit_test_setup(test_death_gc, weak_setup),
        cmocka_unit_test_setup(test_empty_container_bindings, weak_setup),
        cmocka_unit_test_setup(test_empty_container_watch, weak_setup),
        cmocka_unit_test_setup(test_big_del_deferred, weak_setup),
        cmocka_unit_test_setup(test_evict_counts_queued, weak_setup),
        cmocka_unit_test_setup(test_info_heap_fields, weak_setup),
    };

    return cmocka_run_group_tests(tests, th_group_setup_debug,
                                  th_group_teardown);
}
