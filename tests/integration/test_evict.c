/*
 * test_evict.c - maxmemory eviction against a real gencached: with
 * `maxmemory 2mb`, writing 10k keys of ~400 bytes under each policy keeps
 * used_memory near the limit; volatile-* policies evict only keys with a
 * TTL (and refuse writes with OOM when none is left); allkeys-lru and
 * allkeys-lfu keep recently / frequently read keys; noeviction refuses;
 * every eviction publishes "evicted" and counts in evicted_keys.
 */
#include <limits.h>
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

#define LIMIT (2 * 1024 * 1024)
#define NKEYS 10000
#define VALLEN 400
#define BATCH 200 /* pipelined writes per round trip */
#define OOM_TEXT "OOM command not allowed when used memory > 'maxmemory'."

/* Outcome of a batch of writes. */
typedef struct fill_result {
    long ok;  /* +OK replies */
    long oom; /* OOM errors (exact Redis text) */
} fill_result_t;

/* Pipeline n SETs of prefix:i (see fill), adding to *res. */
static void fill_batch(redisContext *c, const char *prefix, long first,
                       long n, long ttl_s, fill_result_t *res)
{
    static char val[VALLEN + 1];
    char key[64];

    memset(val, 'v', VALLEN);
    for (long i = first; i < first + n; i++) {
        snprintf(key, sizeof(key), "%s:%ld", prefix, i);
        if (ttl_s > 0) {
            redisAppendCommand(c, "SET %s %s EX %ld", key, val, ttl_s + i);
        } else {
            redisAppendCommand(c, "SET %s %s", key, val);
        }
    }
    for (long i = 0; i < n; i++) {
        redisReply *r = NULL;

        assert_int_equal(redisGetReply(c, (void **)&r), REDIS_OK);
        assert_non_null(r);
        if (r->type == REDIS_REPLY_STATUS && strcmp(r->str, "OK") == 0) {
            res->ok++;
        } else {
            assert_int_equal(r->type, REDIS_REPLY_ERROR);
            assert_string_equal(r->str, OOM_TEXT);
            res->oom++;
        }
        freeReplyObject(r);
    }
}

/* Pipeline n SETs of prefix:i with a VALLEN-byte value (EX ttl_s + i
 * when ttl_s > 0) from first, in batches of BATCH; counts OK and OOM
 * replies. */
static fill_result_t fill(redisContext *c, const char *prefix, long first,
                          long n, long ttl_s)
{
    fill_result_t res = {0, 0};

    for (long done = 0; done < n; done += BATCH) {
        long m = n - done < BATCH ? n - done : BATCH;

        fill_batch(c, prefix, first + done, m, ttl_s, &res);
    }
    return res;
}

/* How many of prefix:first..first+n-1 exist (pipelined EXISTS; callers
 * drop the limit first, so no eviction runs meanwhile). */
static long count_existing(redisContext *c, const char *prefix, long first,
                           long n)
{
    long found = 0;

    for (long i = first; i < first + n; i++) {
        redisAppendCommand(c, "EXISTS %s:%ld", prefix, i);
    }
    for (long i = 0; i < n; i++) {
        redisReply *r = NULL;

        assert_int_equal(redisGetReply(c, (void **)&r), REDIS_OK);
        assert_int_equal(r->type, REDIS_REPLY_INTEGER);
        found += r->integer;
        freeReplyObject(r);
    }
    return found;
}

/* Set policy and the 2 MB limit. */
static void set_limit(redisContext *c, const char *policy)
{
    th_expect_status(c, "OK", "CONFIG SET maxmemory-policy %s", policy);
    th_expect_status(c, "OK", "CONFIG SET maxmemory %d", LIMIT);
}

/* Drop the limit again (later tests and FLUSHALL start clean). */
static void clear_limit(redisContext *c)
{
    th_expect_status(c, "OK", "CONFIG SET maxmemory 0");
    th_expect_status(c, "OK", "CONFIG SET maxmemory-policy noeviction");
}

/* used_memory is near the limit: not above it by more than one write's
 * worth of slack, and not far below (eviction stops once under). */
static void assert_near_limit(redisContext *c)
{
    long long used = th_info_int(c, "memory", "used_memory");

    assert_true(used <= LIMIT + 64 * 1024);
    assert_true(used >= LIMIT - 512 * 1024);
}

/* allkeys-*: 10k writes all succeed, keys are evicted, memory stays near
 * the limit and evicted_keys counts the missing keys. */
static void check_allkeys(redisContext *c, const char *policy)
{
    long long ev0, ev1, size;
    fill_result_t res;

    th_expect_status(c, "OK", "FLUSHALL");
    ev0 = th_info_int(c, "stats", "evicted_keys");
    set_limit(c, policy);
    res = fill(c, "key", 0, NKEYS, 0);
    assert_int_equal(res.ok, NKEYS);
    assert_int_equal(res.oom, 0);
    assert_near_limit(c);
    clear_limit(c);
    size = count_existing(c, "key", 0, NKEYS);
    ev1 = th_info_int(c, "stats", "evicted_keys");
    assert_true(size < NKEYS / 2);
    assert_int_equal(ev1 - ev0, NKEYS - size);
}

/* Test: allkeys-lru, allkeys-lfu, allkeys-random. */
static void test_allkeys_policies(void **state)
{
    th_server_t *s = *state;

    check_allkeys(s->ctx, "allkeys-lru");
    check_allkeys(s->ctx, "allkeys-lfu");
    check_allkeys(s->ctx, "allkeys-random");
}

/* volatile-*: half the keys have a TTL; only those are evicted, and once
 * none is left the writes get OOM. Then with no TTL at all, OOM at once
 * and nothing is evicted. */
/* Over the limit with nothing to evict, a denyoom write is refused.
 * Memory may dip under the limit between commands (a client's query
 * buffer shrinks; allocation sizes differ under ASan), so keep writing
 * 16 KB values until the refusal comes; 200 of them are far over the
 * limit. */
static void expect_oom_soon(redisContext *c)
{
    static char big[16 * 1024 + 1];
    int refused = 0;

    memset(big, 'x', sizeof(big) - 1);
    for (int i = 0; i < 200 && !refused; i++) {
        redisReply *r = th_cmd(c, "SET oomprobe:%d %s", i, big);

        if (r->type == REDIS_REPLY_ERROR) {
            assert_string_equal(r->str, OOM_TEXT);
            refused = 1;
        }
        freeReplyObject(r);
    }
    assert_true(refused);
}

static void check_volatile(redisContext *c, const char *policy)
{
    long long ev0, ev1;
    fill_result_t a, b;
    long persistent, volatile_left, vol_ok = 0, per_ok = 0, per_oom = 0;

    th_expect_status(c, "OK", "FLUSHALL");
    ev0 = th_info_int(c, "stats", "evicted_keys");
    set_limit(c, policy);
    for (long i = 0; i < NKEYS; i += 1000) {
        a = fill(c, "vol", i, 500, 1000);
        vol_ok += a.ok;
        b = fill(c, "per", i, 500, 0);
        per_ok += b.ok;
        per_oom += b.oom;
    }
    assert_true(th_info_int(c, "memory", "used_memory") <= LIMIT + 64 * 1024);
    th_expect_status(c, "OK", "CONFIG SET maxmemory 0");
    persistent = count_existing(c, "per", 0, NKEYS);
    volatile_left = count_existing(c, "vol", 0, NKEYS);
    ev1 = th_info_int(c, "stats", "evicted_keys");
    /* Only keys with a TTL were evicted: every accepted persistent write
     * is still there, and once no TTL key was left writes got OOM. */
    assert_true(ev1 - ev0 > 0);
    assert_int_equal(ev1 - ev0, vol_ok - volatile_left);
    assert_int_equal(persistent, per_ok);
    assert_true(per_oom > 0);

    /* No TTL anywhere: writes are refused, nothing evicted. */
    th_expect_status(c, "OK", "FLUSHALL");
    ev0 = th_info_int(c, "stats", "evicted_keys");
    th_expect_status(c, "OK", "CONFIG SET maxmemory %d", LIMIT);
    a = fill(c, "per", 0, NKEYS, 0);
    assert_true(a.oom > 0);
    assert_int_equal(count_existing(c, "per", 0, NKEYS), a.ok);
    assert_int_equal(th_info_int(c, "stats", "evicted_keys"), ev0);
    expect_oom_soon(c);
    th_expect_nil(c, "GET nosuchkey"); /* not denyoom: runs */
    clear_limit(c);
}

/* Test: volatile-lru, volatile-lfu, volatile-random, volatile-ttl. */
static void test_volatile_policies(void **state)
{
    th_server_t *s = *state;

    check_volatile(s->ctx, "volatile-lru");
    check_volatile(s->ctx, "volatile-lfu");
    check_volatile(s->ctx, "volatile-random");
    check_volatile(s->ctx, "volatile-ttl");
}

/* Test: persistent keys survive volatile-lru with a TTL key count that
 * is enough: every persistent key written is still there. */
static void test_volatile_keeps_persistent(void **state)
{
    th_server_t *s = *state;
    redisContext *c = s->ctx;
    fill_result_t a, b;

    set_limit(c, "volatile-lru");
    b = fill(c, "per", 0, 1000, 0);
    assert_int_equal(b.ok, 1000);
    a = fill(c, "vol", 0, NKEYS, 1000);
    assert_int_equal(a.ok, NKEYS);
    assert_near_limit(c);
    clear_limit(c);
    assert_int_equal(count_existing(c, "per", 0, 1000), 1000);
    assert_true(count_existing(c, "vol", 0, NKEYS) < NKEYS / 2);
}

/* Test: volatile-ttl evicts the keys closest to expiring first. */
static void test_volatile_ttl_order(void **state)
{
    th_server_t *s = *state;
    redisContext *c = s->ctx;
    fill_result_t a;
    long early, late;

    set_limit(c, "volatile-ttl");
    /* TTLs grow with the index: the low indexes expire first. */
    a = fill(c, "vol", 0, NKEYS, 1000);
    assert_int_equal(a.ok, NKEYS);
    clear_limit(c);
    early = count_existing(c, "vol", 0, 1000);
    late = count_existing(c, "vol", NKEYS - 1000, 1000);
    assert_true(early < late);
    assert_int_equal(late, 1000);
}

/* Write cold and hot keys under the limit, read the hot ones (reads
 * times each, after pause_s seconds so the LRU clock moves), then write
 * enough new keys to force evictions: every hot key must survive. */
static void check_keeps_hot(redisContext *c, const char *policy, int reads,
                            unsigned pause_s)
{
    fill_result_t r;
    long long ev0;
    long hot, cold;

    set_limit(c, policy);
    r = fill(c, "cold", 0, 2000, 0);
    assert_int_equal(r.ok, 2000);
    r = fill(c, "hot", 0, 500, 0);
    assert_int_equal(r.ok, 500);
    assert_true(th_info_int(c, "memory", "used_memory") < LIMIT);
    if (pause_s > 0) {
        sleep(pause_s);
    }
    for (int k = 0; k < reads; k++) {
        for (long i = 0; i < 500; i++) {
            redisReply *g = th_cmd(c, "GET hot:%ld", i);

            assert_int_equal(g->type, REDIS_REPLY_STRING);
            freeReplyObject(g);
        }
    }
    /* Write new keys until a few hundred evictions happened, fewer than
     * there are cold keys (how many keys fit depends on the allocator's
     * sizes: ASan's differ from glibc's). */
    ev0 = th_info_int(c, "stats", "evicted_keys");
    for (long i = 0; i < 20000; i += 250) {
        r = fill(c, "new", i, 250, 0);
        assert_int_equal(r.ok, 250);
        if (th_info_int(c, "stats", "evicted_keys") - ev0 >= 500)
            break;
    }
    assert_true(th_info_int(c, "stats", "evicted_keys") - ev0 >= 500);
    clear_limit(c);
    /* LRU and LFU are approximated by sampling (as in Redis), so a few hot
     * keys may go when a sample holds no cold one (seen: 3 of 500 under
     * ASan, where the run is slower); the cold keys must go first. */
    hot = count_existing(c, "hot", 0, 500);
    cold = count_existing(c, "cold", 0, 2000);
    assert_true(hot >= 490);
    assert_true(2000 - cold >= 10 * (500 - hot));
}

/* Test: allkeys-lru keeps the recently read keys. */
static void test_lru_keeps_recent(void **state)
{
    th_server_t *s = *state;

    check_keeps_hot(s->ctx, "allkeys-lru", 1, 2);
}

/* Test: allkeys-lfu keeps the frequently read keys. */
static void test_lfu_keeps_frequent(void **state)
{
    th_server_t *s = *state;

    check_keeps_hot(s->ctx, "allkeys-lfu", 10, 0);
}

/* Test: noeviction refuses denyoom commands over the limit, runs others,
 * evicts nothing. */
static void test_noeviction(void **state)
{
    th_server_t *s = *state;
    redisContext *c = s->ctx;
    long long ev0 = th_info_int(c, "stats", "evicted_keys");
    fill_result_t r;

    set_limit(c, "noeviction");
    r = fill(c, "key", 0, NKEYS, 0);
    assert_true(r.oom > 0);
    assert_true(r.ok > 0);
    assert_int_equal(count_existing(c, "key", 0, NKEYS), r.ok);
    expect_oom_soon(c);
    assert_int_equal(th_info_int(c, "stats", "evicted_keys"), ev0);
    th_expect_int(c, 1, "DEL key:0"); /* DEL is not denyoom */
    clear_limit(c);
}

/* Test: each eviction publishes __keyevent@0__:evicted with the key,
 * one message per evicted_keys. */
static void test_evicted_notifications(void **state)
{
    th_server_t *s = *state;
    redisContext *c = s->ctx, *sub = th_connect(s);
    struct timeval tv = {5, 0};
    long long ev0, ev1;
    redisReply *r;
    fill_result_t res;

    th_expect_status(c, "OK", "CONFIG SET notify-keyspace-events Ee");
    r = th_cmd(sub, "SUBSCRIBE __keyevent@0__:evicted");
    freeReplyObject(r);
    ev0 = th_info_int(c, "stats", "evicted_keys");
    set_limit(c, "allkeys-random");
    res = fill(c, "key", 0, NKEYS, 0);
    assert_int_equal(res.ok, NKEYS);
    ev1 = th_info_int(c, "stats", "evicted_keys");
    assert_true(ev1 > ev0);
    clear_limit(c);
    redisSetTimeout(sub, tv);
    for (long long i = ev0; i < ev1; i++) {
        r = NULL;
        assert_int_equal(redisGetReply(sub, (void **)&r), REDIS_OK);
        assert_int_equal(r->type, REDIS_REPLY_ARRAY);
        assert_int_equal(r->elements, 3);
        assert_string_equal(r->element[0]->str, "message");
        assert_string_equal(r->element[1]->str, "__keyevent@0__:evicted");
        assert_int_equal(strncmp(r->element[2]->str, "key:", 4), 0);
        th_expect_int(c, 0, "EXISTS %s", r->element[2]->str);
        freeReplyObject(r);
    }
    th_expect_status(c, "OK", "CONFIG SET notify-keyspace-events %s", "");
    redisFree(sub);
}

/* Test: a large overshoot (the limit lowered under a full dataset) is
 * worked off in time-boxed steps between loop iterations, without
 * commands driving it: used_memory comes down to the limit. The polls
 * are 100 ms apart and each command evicts for at most 0.5 ms itself,
 * so nearly all of the work is the loop's own. Every INFO counts its
 * own reply and the connection's buffers in used_memory, which the
 * eviction before it could not see: the limit is reached within the
 * same 64 KB slack as the other tests here. */
static void test_overshoot_continues(void **state)
{
    th_server_t *s = *state;
    redisContext *c = s->ctx;
    fill_result_t r;
    long long used = -1, low = LLONG_MAX;
    int since_low = 0;

    r = fill(c, "key", 0, 4 * NKEYS, 0);
    assert_int_equal(r.ok, 4 * NKEYS);
    assert_true(th_info_int(c, "memory", "used_memory") > 8 * LIMIT);
    set_limit(c, "allkeys-lru");
    th_expect_status(c, "PONG", "PING");
    /* As long as it keeps coming down (a new low at least every 10 s),
     * up to 3 minutes: sanitizer builds are several times slower, and the
     * evicted values' memory is given back by paced deferred-free slices
     * that a loaded 2-core machine (CI runs two tests at once) slows
     * further. */
    for (int i = 0; i < 1800 && since_low < 100; i++) {
        usleep(100000);
        used = th_info_int(c, "memory", "used_memory");
        if (used <= LIMIT + 64 * 1024) {
            break;
        }
        since_low = used < low ? 0 : since_low + 1;
        if (used < low)
            low = used;
    }
    assert_true(used <= LIMIT + 64 * 1024);
    assert_true(th_info_int(c, "stats", "evicted_keys") > NKEYS);
    clear_limit(c);
}

/* Test: lfu-log-factor and lfu-decay-time are config directives with
 * Redis's defaults. */
static void test_lfu_config(void **state)
{
    th_server_t *s = *state;
    redisReply *r = th_cmd(s->ctx, "CONFIG GET lfu-*");

    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->elements, 4);
    freeReplyObject(r);
    r = th_cmd(s->ctx, "CONFIG GET lfu-log-factor");
    assert_string_equal(r->element[1]->str, "10");
    freeReplyObject(r);
    r = th_cmd(s->ctx, "CONFIG GET lfu-decay-time");
    assert_string_equal(r->element[1]->str, "1");
    freeReplyObject(r);
    th_expect_status(s->ctx, "OK", "CONFIG SET lfu-log-factor 0");
    th_expect_status(s->ctx, "OK", "CONFIG SET lfu-log-factor 10");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_allkeys_policies, th_test_setup),
        cmocka_unit_test_setup(test_volatile_policies, th_test_setup),
        cmocka_unit_test_setup(test_volatile_keeps_persistent,
                               th_test_setup),
        cmocka_unit_test_setup(test_volatile_ttl_order, th_test_setup),
        cmocka_unit_test_setup(test_lru_keeps_recent, th_test_setup),
        cmocka_unit_test_setup(test_lfu_keeps_frequent, th_test_setup),
        cmocka_unit_test_setup(test_noeviction, th_test_setup),
        cmocka_unit_test_setup(test_evicted_notifications, th_test_setup),
        cmocka_unit_test_setup(test_overshoot_continues, th_test_setup),
        cmocka_unit_test_setup(test_lfu_config, th_test_setup),
    };

    return cmocka_run_group_tests(tests, th_group_setup, th_group_teardown);
}
