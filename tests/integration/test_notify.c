/*
 * test_notify.c - keyspace notifications (notify-keyspace-events) against
 * a real gencached: a subscriber connection PSUBSCRIBEd to
 * "__key*__:*" sees Redis 7.0's keyspace/keyevent messages, in Redis's
 * order, for the CONFIG SET class variants and for each data family;
 * "new" keys, "keymiss", and "expired" from lazy and active expiry.
 *
 * Each check runs the commands on the main connection, then publishes a
 * marker on "__keymark__:end" (which the pattern also matches) and
 * compares every message read before the marker with the expected list.
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

#define MARK_CHANNEL "__keymark__:end"

/* Per-test setup: clean data, active expiry on, notifications off. */
static int test_setup(void **state)
{
    th_server_t *s = *state;

    if (th_test_setup(state) != 0) {
        return -1;
    }
    th_expect_status(s->ctx, "OK", "DEBUG SET-ACTIVE-EXPIRE 1");
    th_expect_status(s->ctx, "OK", "CONFIG SET notify-keyspace-events %s",
                     "");
    return 0;
}

/* Set notify-keyspace-events to flags on c. */
static void set_flags(redisContext *c, const char *flags)
{
    redisReply *r = th_cmd(c, "CONFIG SET notify-keyspace-events %s", flags);

    assert_int_equal(r->type, REDIS_REPLY_STATUS);
    assert_string_equal(r->str, "OK");
    freeReplyObject(r);
}

/* A subscriber: a new connection (3 s read timeout) PSUBSCRIBEd to
 * "__key*__:*". Caller frees. */
static redisContext *subscriber(void **state)
{
    redisContext *c = th_connect(*state);
    struct timeval tv = {3, 0};
    redisReply *r;

    assert_int_equal(redisSetTimeout(c, tv), REDIS_OK);
    r = th_cmd(c, "PSUBSCRIBE %s", "__key*__:*");
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->elements, 3);
    assert_string_equal(r->element[0]->str, "psubscribe");
    freeReplyObject(r);
    return c;
}

/* Read one pmessage from sub into "channel message" (buf of size).
 * Returns 1 for a notification, 0 for the marker. */
static int read_event(redisContext *sub, char *buf, size_t size)
{
    void *v = NULL;
    redisReply *r;
    int is_mark;

    assert_int_equal(redisGetReply(sub, &v), REDIS_OK);
    r = v;
    assert_non_null(r);
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->elements, 4);
    assert_string_equal(r->element[0]->str, "pmessage");
    assert_string_equal(r->element[1]->str, "__key*__:*");
    is_mark = strcmp(r->element[2]->str, MARK_CHANNEL) == 0;
    snprintf(buf, size, "%s %s", r->element[2]->str, r->element[3]->str);
    freeReplyObject(r);
    return !is_mark;
}

/* Publish the marker from c, then read sub's messages up to it and
 * assert they are exactly the NULL-terminated list expected. */
static void expect_events(redisContext *c, redisContext *sub,
                          const char *const *expected)
{
    char got[512];
    size_t i = 0;

    freeReplyObject(th_cmd(c, "PUBLISH %s x", MARK_CHANNEL));
    while (read_event(sub, got, sizeof(got))) {
        if (expected[i] == NULL) {
            fail_msg("unexpected event \"%s\"", got);
        }
        if (strcmp(got, expected[i]) != 0) {
            fail_msg("event %zu: got \"%s\", want \"%s\"", i, got,
                     expected[i]);
        }
        i++;
    }
    if (expected[i] != NULL) {
        fail_msg("missing event \"%s\"", expected[i]);
    }
}

/* Run a command on c, ignoring its reply (errors included). */
static void run(redisContext *c, const char *fmt, ...)
{
    va_list ap;
    redisReply *r;

    va_start(ap, fmt);
    r = redisvCommand(c, fmt, ap);
    va_end(ap);
    assert_non_null(r);
    freeReplyObject(r);
}

/* Convenience: expected keyevent-only lists are written as
 * "__keyevent@0__:<event> <key>". */
#define EV(event, key) "__keyevent@0__:" event " " key
#define KS(key, event) "__keyspace@0__:" key " " event

/* ---------------------------------------------------------------------
 * Classes and channels
 * ------------------------------------------------------------------ */

/* K: keyspace only; E: keyevent only; KE: both, keyspace first; none
 * without K or E; CONFIG GET shows Redis's normalised letters. */
static void test_channel_kinds(void **state)
{
    th_server_t *s = *state;
    redisContext *sub = subscriber(state);
    static const char *const ks[] = {KS("foo", "set"), NULL};
    static const char *const ke[] = {EV("set", "foo"), NULL};
    static const char *const both[] = {KS("foo", "set"), EV("set", "foo"),
                                       NULL};
    static const char *const none[] = {NULL};

    set_flags(s->ctx, "KA");
    run(s->ctx, "SET foo bar");
    expect_events(s->ctx, sub, ks);
    set_flags(s->ctx, "EA");
    run(s->ctx, "SET foo bar");
    expect_events(s->ctx, sub, ke);
    set_flags(s->ctx, "KEA");
    run(s->ctx, "SET foo bar");
    expect_events(s->ctx, sub, both);
    set_flags(s->ctx, "A");
    run(s->ctx, "SET foo bar");
    expect_events(s->ctx, sub, none);
    set_flags(s->ctx, "");
    run(s->ctx, "SET foo bar");
    expect_events(s->ctx, sub, none);
    redisFree(sub);
}

/* CONFIG GET of notify-keyspace-events: an array [name, value]. */
static void expect_flags(redisContext *c, const char *want)
{
    redisReply *r = th_cmd(c, "CONFIG GET notify-keyspace-events");

    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->elements, 2);
    assert_string_equal(r->element[1]->str, want);
    freeReplyObject(r);
}

/* The class letters round-trip as Redis prints them; bad letters are
 * refused. */
static void test_config_flags(void **state)
{
    th_server_t *s = *state;

    set_flags(s->ctx, "gKE");
    expect_flags(s->ctx, "gKE");
    set_flags(s->ctx, "$lshzxeKE");
    expect_flags(s->ctx, "$lshzxeKE");
    set_flags(s->ctx, "KA");
    expect_flags(s->ctx, "AK");
    set_flags(s->ctx, "EAnm"); /* Redis does not print n next to A */
    expect_flags(s->ctx, "AEm");
    set_flags(s->ctx, "Kn");
    expect_flags(s->ctx, "nK");
    th_expect_error(s->ctx, "ERR CONFIG SET failed",
                    "CONFIG SET notify-keyspace-events KEQ");
}

/* Only the enabled classes are delivered. */
static void test_masking(void **state)
{
    th_server_t *s = *state;
    redisContext *sub = subscriber(state);
    static const char *const want[] = {KS("mylist", "lpush"),
                                       EV("lpush", "mylist"), NULL};

    set_flags(s->ctx, "KEl");
    run(s->ctx, "SET foo bar");
    run(s->ctx, "LPUSH mylist a");
    run(s->ctx, "DEL foo");
    expect_events(s->ctx, sub, want);
    redisFree(sub);
}

/* The database number is part of both channels. */
static void test_db_number(void **state)
{
    th_server_t *s = *state;
    redisContext *sub = subscriber(state);
    static const char *const want[] = {
        "__keyspace@3__:k set", "__keyevent@3__:set k",
        "__keyspace@3__:k move_from", "__keyevent@3__:move_from k",
        "__keyspace@5__:k move_to", "__keyevent@5__:move_to k", NULL};

    set_flags(s->ctx, "KEA");
    th_expect_status(s->ctx, "OK", "SELECT 3");
    run(s->ctx, "SET k v");
    th_expect_int(s->ctx, 1, "MOVE k 5");
    th_expect_status(s->ctx, "OK", "SELECT 0");
    expect_events(s->ctx, sub, want);
    redisFree(sub);
}

/* ---------------------------------------------------------------------
 * Families
 * ------------------------------------------------------------------ */

/* Strings: set, expire from SET EX, setrange, append, incrby (all INCR
 * forms), incrbyfloat, del from GETDEL, GETEX's expire/persist/del. */
static void test_strings(void **state)
{
    th_server_t *s = *state;
    redisContext *sub = subscriber(state);
    static const char *const want[] = {
        EV("set", "s"),          EV("set", "s"),
        EV("expire", "s"),       EV("setrange", "s"),
        EV("append", "s"),       EV("append", "a"),
        EV("incrby", "n"),       EV("incrby", "n"),
        EV("incrby", "n"),       EV("incrbyfloat", "n"),
        EV("set", "m1"),         EV("set", "m2"),
        EV("set", "s"),          EV("expire", "s"),
        EV("persist", "s"),      EV("del", "s"),
        EV("set", "g"),          EV("del", "g"),
        NULL};

    set_flags(s->ctx, "EA");
    run(s->ctx, "SET s v");
    run(s->ctx, "SET s v EX 100");
    run(s->ctx, "SET s v NX"); /* not set: no event */
    run(s->ctx, "SETRANGE s 1 xyz");
    run(s->ctx, "SETRANGE s 1 %s", ""); /* nothing written */
    run(s->ctx, "APPEND s tail");
    run(s->ctx, "APPEND a new");
    run(s->ctx, "INCR n");
    run(s->ctx, "DECRBY n 3");
    run(s->ctx, "INCRBY n 10");
    run(s->ctx, "INCRBYFLOAT n 1.5");
    run(s->ctx, "MSET m1 1 m2 2");
    run(s->ctx, "GETSET s v2");
    run(s->ctx, "GETEX s EX 100");
    run(s->ctx, "GETEX s PERSIST");
    run(s->ctx, "GETEX s PXAT 1");
    run(s->ctx, "SET g v");
    run(s->ctx, "GETDEL g");
    run(s->ctx, "GETDEL g"); /* missing: no event */
    expect_events(s->ctx, sub, want);
    redisFree(sub);
}

/* Generic: del, rename_from/rename_to, copy_to, expire, persist, an
 * EXPIRE in the past as del; nothing for FLUSHALL. */
static void test_generic(void **state)
{
    th_server_t *s = *state;
    redisContext *sub = subscriber(state);
    static const char *const want[] = {
        KS("a", "del"),         KS("b", "rename_from"),
        KS("c", "rename_to"),   KS("d", "copy_to"),
        KS("d", "copy_to"),     KS("c", "expire"),
        KS("c", "persist"),     KS("c", "del"),
        NULL};

    run(s->ctx, "MSET a 1 b 2 x 3");
    set_flags(s->ctx, "Kg");
    run(s->ctx, "DEL a nokey");
    run(s->ctx, "RENAME b c");
    run(s->ctx, "COPY c d"); /* the event names the destination */
    run(s->ctx, "COPY x d REPLACE");
    run(s->ctx, "EXPIRE c 100");
    run(s->ctx, "EXPIRE c 100 NX"); /* refused: no event */
    run(s->ctx, "PERSIST c");
    run(s->ctx, "PERSIST c"); /* no TTL: no event */
    run(s->ctx, "PEXPIREAT c 1");
    run(s->ctx, "FLUSHALL");
    expect_events(s->ctx, sub, want);
    redisFree(sub);
}

/* Lists: pushes, pops, linsert, lset, lrem, ltrim, del when emptied,
 * LMOVE's push then pop. */
static void test_lists(void **state)
{
    th_server_t *s = *state;
    redisContext *sub = subscriber(state);
    static const char *const want[] = {
        EV("rpush", "l"),   EV("lpush", "l"),   EV("lpop", "l"),
        EV("rpop", "l"),    EV("linsert", "l"), EV("lset", "l"),
        EV("lrem", "l"),    EV("ltrim", "l"),   EV("rpush", "l2"),
        EV("lpop", "l"),    EV("del", "l"),     EV("rpush", "m"),
        EV("rpop", "m"),    EV("del", "m"),     NULL};

    set_flags(s->ctx, "EA");
    run(s->ctx, "RPUSH l a b c d");
    run(s->ctx, "LPUSHX l z");
    run(s->ctx, "RPUSHX nolist z"); /* missing: no event */
    run(s->ctx, "LPOP l");
    run(s->ctx, "RPOP l");
    run(s->ctx, "LINSERT l BEFORE b x");
    run(s->ctx, "LINSERT l BEFORE nopivot x"); /* no event */
    run(s->ctx, "LSET l 0 q");
    run(s->ctx, "LREM l 0 q");
    run(s->ctx, "LTRIM l 0 0");
    run(s->ctx, "LMOVE l l2 LEFT RIGHT");
    run(s->ctx, "RPUSH m 1");
    run(s->ctx, "RPOP m 5");
    expect_events(s->ctx, sub, want);
    redisFree(sub);
}

/* Hashes: hset (HSET, HMSET, HSETNX), hincrby, hincrbyfloat, hdel, del
 * when emptied. */
static void test_hashes(void **state)
{
    th_server_t *s = *state;
    redisContext *sub = subscriber(state);
    static const char *const want[] = {
        KS("h", "hset"),         KS("h", "hset"),
        KS("h", "hset"),         KS("h", "hincrby"),
        KS("h", "hincrbyfloat"), KS("h", "hdel"),
        KS("h", "hdel"),         KS("h", "del"),
        NULL};

    set_flags(s->ctx, "Kgh");
    run(s->ctx, "HSET h a 1 b 2");
    run(s->ctx, "HMSET h c 3");
    run(s->ctx, "HSETNX h a 9"); /* exists: no event */
    run(s->ctx, "HSETNX h d 4");
    run(s->ctx, "HINCRBY h a 5");
    run(s->ctx, "HINCRBYFLOAT h a 0.5");
    run(s->ctx, "HDEL h a nofield");
    run(s->ctx, "HDEL h nofield"); /* nothing removed: no event */
    run(s->ctx, "HDEL h b c d");
    expect_events(s->ctx, sub, want);
    redisFree(sub);
}

/* Sets: sadd, srem, spop, smove (srem, del, sadd), the *STORE commands
 * and their del for an empty result. */
static void test_sets(void **state)
{
    th_server_t *s = *state;
    redisContext *sub = subscriber(state);
    static const char *const want[] = {
        EV("sadd", "s"),        EV("sadd", "t"),
        EV("srem", "s"),        EV("spop", "t"),
        EV("srem", "s"),        EV("sadd", "u"),
        EV("srem", "s"),        EV("del", "s"),
        EV("sadd", "u"),        EV("sadd", "t"),
        EV("sinterstore", "i"), EV("srem", "t"),
        EV("sadd", "t"),        EV("sunionstore", "o"),
        EV("sdiffstore", "d"),  EV("del", "i"),
        EV("del", "o"),         EV("spop", "t"),
        EV("del", "t"),         NULL};

    set_flags(s->ctx, "Egs");
    run(s->ctx, "SADD s a b c");
    run(s->ctx, "SADD s a"); /* nothing added: no event */
    run(s->ctx, "SADD t 1 2 3 4");
    run(s->ctx, "SREM s a");
    run(s->ctx, "SREM s nomember"); /* nothing removed: no event */
    run(s->ctx, "SPOP t");
    run(s->ctx, "SMOVE s u b");
    run(s->ctx, "SMOVE s u c"); /* s emptied */
    run(s->ctx, "SADD t c");
    run(s->ctx, "SINTERSTORE i u t");
    run(s->ctx, "SREM t c");
    run(s->ctx, "SADD t b");
    run(s->ctx, "SUNIONSTORE o u t");
    run(s->ctx, "SDIFFSTORE d t u");
    run(s->ctx, "SINTERSTORE i u nokey"); /* empty result: i deleted */
    run(s->ctx, "SINTERSTORE o u nokey");
    run(s->ctx, "SINTERSTORE none u nokey"); /* nothing to delete */
    run(s->ctx, "SPOP t 10");
    expect_events(s->ctx, sub, want);
    redisFree(sub);
}

/* Sorted sets: zadd, zincr (ZINCRBY and ZADD INCR), zrem, the
 * zremrangeby* events, the *STORE commands, zpopmin/zpopmax and del. */
static void test_zsets(void **state)
{
    th_server_t *s = *state;
    redisContext *sub = subscriber(state);
    static const char *const want[] = {
        EV("zadd", "z"),           EV("zincr", "z"),
        EV("zincr", "z"),          EV("zrem", "z"),
        EV("zadd", "z"),           EV("zremrangebyscore", "z"),
        EV("zremrangebyrank", "z"), EV("zunionstore", "u"),
        EV("del", "u"),            EV("zrangestore", "r"),
        EV("zpopmin", "z"),        EV("zpopmax", "z"),
        EV("del", "z"),            NULL};

    set_flags(s->ctx, "Egz");
    run(s->ctx, "ZADD z 1 a 2 b 3 c");
    run(s->ctx, "ZADD z 1 a"); /* unchanged: no event */
    run(s->ctx, "ZINCRBY z 1 a");
    run(s->ctx, "ZADD z INCR 1 b");
    run(s->ctx, "ZREM z nomember"); /* no event */
    run(s->ctx, "ZREM z a");
    run(s->ctx, "ZADD z 4 d 5 e");
    run(s->ctx, "ZREMRANGEBYSCORE z 5 5");
    run(s->ctx, "ZREMRANGEBYRANK z 0 0");
    run(s->ctx, "ZREMRANGEBYSCORE z 100 200"); /* nothing removed */
    run(s->ctx, "ZUNIONSTORE u 1 z");
    run(s->ctx, "ZINTERSTORE u 2 z nokey");
    run(s->ctx, "ZRANGESTORE r z 0 0");
    run(s->ctx, "ZDIFFSTORE df 2 z z"); /* empty, df absent: no event */
    run(s->ctx, "ZPOPMIN z");
    run(s->ctx, "ZPOPMAX z 5");
    expect_events(s->ctx, sub, want);
    redisFree(sub);
}

/* Bits and SORT: setbit (SETBIT, BITFIELD), set from BITOP, sortstore,
 * del for empty results. */
static void test_bits_sort(void **state)
{
    th_server_t *s = *state;
    redisContext *sub = subscriber(state);
    static const char *const want[] = {
        EV("setbit", "b"),    EV("setbit", "b"),   EV("setbit", "f"),
        EV("setbit", "f"),    EV("set", "o"),      EV("del", "o"),
        EV("rpush", "l"),     EV("sortstore", "d"), EV("del", "d"),
        NULL};

    set_flags(s->ctx, "EA");
    run(s->ctx, "SETBIT b 7 1");
    run(s->ctx, "SETBIT b 7 1"); /* unchanged: no event */
    run(s->ctx, "SETBIT b 7 0");
    run(s->ctx, "BITFIELD f SET u8 0 200");
    run(s->ctx, "BITFIELD f SET u8 0 200"); /* unchanged: no event */
    run(s->ctx, "BITFIELD f INCRBY u8 0 1");
    run(s->ctx, "BITFIELD_RO f GET u8 0");
    run(s->ctx, "BITOP OR o b f");
    run(s->ctx, "BITOP OR o nokey1 nokey2");
    run(s->ctx, "RPUSH l 3 1 2");
    run(s->ctx, "SORT l STORE d");
    run(s->ctx, "SORT nokey STORE d");
    expect_events(s->ctx, sub, want);
    redisFree(sub);
}

/* ---------------------------------------------------------------------
 * new, keymiss, expired
 * ------------------------------------------------------------------ */

/* n: a key created (by any command), never an overwrite; RENAME and
 * COPY REPLACE always add their destination anew, as Redis. */
static void test_new_keys(void **state)
{
    th_server_t *s = *state;
    redisContext *sub = subscriber(state);
    static const char *const want[] = {
        EV("new", "foo"), EV("new", "bar"), EV("new", "l"),
        EV("new", "h"),   EV("new", "st"),  EV("new", "r"),
        EV("new", "c"),   EV("new", "c"),   NULL};

    set_flags(s->ctx, "En");
    run(s->ctx, "SET foo bar");
    run(s->ctx, "SET foo baz");
    run(s->ctx, "SET bar bar");
    run(s->ctx, "RPUSH l a");
    run(s->ctx, "RPUSH l b");
    run(s->ctx, "HSET h f v");
    run(s->ctx, "SADD st m");
    run(s->ctx, "RENAME foo r");
    run(s->ctx, "COPY bar c");
    run(s->ctx, "COPY l c REPLACE");
    expect_events(s->ctx, sub, want);
    redisFree(sub);
}

/* m: read lookups that miss (GET, EXISTS, TYPE, TTL), not writes or
 * OBJECT. */
static void test_keymiss(void **state)
{
    th_server_t *s = *state;
    redisContext *sub = subscriber(state);
    static const char *const want[] = {
        EV("keymiss", "a"), EV("keymiss", "b"), EV("keymiss", "c"),
        EV("keymiss", "d"), EV("keymiss", "e"), NULL};

    set_flags(s->ctx, "Em");
    run(s->ctx, "GET a");
    run(s->ctx, "EXISTS b");
    run(s->ctx, "TYPE c");
    run(s->ctx, "TTL d");
    run(s->ctx, "LRANGE e 0 -1");
    run(s->ctx, "OBJECT ENCODING f");
    run(s->ctx, "DEL g");
    run(s->ctx, "SET h v");
    run(s->ctx, "GET h");
    expect_events(s->ctx, sub, want);
    redisFree(sub);
}

/* x from lazy expiry: active expiry off, the access that finds the key
 * expired sends "expired" (then the read's "keymiss"); a write that
 * recreates the key sends "new" after it. */
static void test_expired_lazy(void **state)
{
    th_server_t *s = *state;
    redisContext *sub = subscriber(state);
    static const char *const want[] = {
        EV("expired", "k"), EV("keymiss", "k"), EV("expired", "w"),
        EV("new", "w"), NULL};

    th_expect_status(s->ctx, "OK", "DEBUG SET-ACTIVE-EXPIRE 0");
    run(s->ctx, "PSETEX k 30 v");
    run(s->ctx, "PSETEX w 30 v");
    set_flags(s->ctx, "Exmn");
    usleep(100 * 1000);
    expect_events(s->ctx, sub, (const char *const[]){NULL});
    th_expect_nil(s->ctx, "GET k");
    run(s->ctx, "SET w v2");
    expect_events(s->ctx, sub, want);
    redisFree(sub);
}

/* x from active expiry: keys nobody touches expire in the background. */
static void test_expired_active(void **state)
{
    th_server_t *s = *state;
    redisContext *sub = subscriber(state);
    char got[512];

    set_flags(s->ctx, "KEx");
    run(s->ctx, "PSETEX gone 50 v");
    /* Nothing is sent by this connection: the cron must deliver both. */
    assert_int_equal(read_event(sub, got, sizeof(got)), 1);
    assert_string_equal(got, "__keyspace@0__:gone expired");
    assert_int_equal(read_event(sub, got, sizeof(got)), 1);
    assert_string_equal(got, "__keyevent@0__:expired gone");
    th_expect_int(s->ctx, 0, "EXISTS gone");
    redisFree(sub);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_channel_kinds, test_setup),
        cmocka_unit_test_setup(test_config_flags, test_setup),
        cmocka_unit_test_setup(test_masking, test_setup),
        cmocka_unit_test_setup(test_db_number, test_setup),
        cmocka_unit_test_setup(test_strings, test_setup),
        cmocka_unit_test_setup(test_generic, test_setup),
        cmocka_unit_test_setup(test_lists, test_setup),
        cmocka_unit_test_setup(test_hashes, test_setup),
        cmocka_unit_test_setup(test_sets, test_setup),
        cmocka_unit_test_setup(test_zsets, test_setup),
        cmocka_unit_test_setup(test_bits_sort, test_setup),
        cmocka_unit_test_setup(test_new_keys, test_setup),
        cmocka_unit_test_setup(test_keymiss, test_setup),
        cmocka_unit_test_setup(test_expired_lazy, test_setup),
        cmocka_unit_test_setup(test_expired_active, test_setup),
    };

    return cmocka_run_group_tests(tests, th_group_setup_debug,
                                  th_group_teardown);
}
