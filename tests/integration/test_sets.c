/*
 * test_sets.c - the set commands against a real gencached: SADD, SREM,
 * SCARD, SISMEMBER, SMISMEMBER, SMEMBERS, SPOP, SRANDMEMBER, SMOVE, the
 * set algebra with its STORE forms, SINTERCARD and SSCAN; the intset ->
 * hashtable conversion under CONFIG SET set-max-intset-entries, removal
 * of emptied sets, WRONGTYPE, Redis 7.0's error texts (checked against
 * redis-server 7.0), RESP3 set replies and COPY.
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

#define WRONGTYPE "WRONGTYPE Operation against a key holding the wrong kind"

/* ---------------------------------------------------------------------
 * Helpers
 * ------------------------------------------------------------------ */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The members of an array/set reply, sorted and joined with spaces, in
 * out (size bytes). Asserts the reply is an aggregate of strings. */
static void sorted_members(redisReply *r, char *out, size_t size)
{
    char **v;
    size_t used = 0;

    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    v = calloc(r->elements + 1, sizeof(*v));
    for (size_t i = 0; i < r->elements; i++) {
        assert_int_equal(r->element[i]->type, REDIS_REPLY_STRING);
        v[i] = r->element[i]->str;
    }
    qsort(v, r->elements, sizeof(*v), cmp_str);
    out[0] = '\0';
    for (size_t i = 0; i < r->elements; i++) {
        int n = snprintf(out + used, size - used, "%s%s", i ? " " : "", v[i]);

        assert_true(n >= 0 && (size_t)n < size - used);
        used += (size_t)n;
    }
    free(v);
}

/* Send a command and assert its members, sorted, equal want. */
static void expect_members(redisContext *c, const char *want,
                           const char *fmt, ...)
{
    char got[8192];
    va_list ap;
    redisReply *r;

    va_start(ap, fmt);
    r = redisvCommand(c, fmt, ap);
    va_end(ap);
    assert_non_null(r);
    sorted_members(r, got, sizeof(got));
    if (strcmp(got, want) != 0) fail_msg("got [%s] want [%s]", got, want);
    freeReplyObject(r);
}

/* Number of elements of an aggregate reply. */
static size_t reply_count(redisContext *c, const char *cmd)
{
    redisReply *r = th_cmd(c, cmd);
    size_t n;

    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    n = r->elements;
    freeReplyObject(r);
    return n;
}

/* SADD key 0 .. n-1 (with prefix, "" for integers). */
static void fill(redisContext *c, const char *key, const char *prefix, int n)
{
    for (int i = 0; i < n; i++)
        th_expect_int(c, 1, "SADD %s %s%d", key, prefix, i);
}

/* Reset the threshold to Redis's default before each test. */
static int set_setup(void **state)
{
    th_server_t *s = *state;

    th_test_setup(state);
    th_expect_status(s->ctx, "OK", "CONFIG SET set-max-intset-entries 512");
    return 0;
}

/* Send cmd on a RESP3 raw connection and assert the exact reply bytes. A
 * PING after it marks where the reply ends. */
static void resp3_expect(int fd, const char *cmd, const char *want)
{
    char req[512], buf[8192] = "";
    size_t n = 0;
    int closed = 0;

    snprintf(req, sizeof(req), "%s\r\nPING\r\n", cmd);
    th_raw_send(fd, req, strlen(req));
    while (n + 1 < sizeof(buf) && !closed) {
        size_t got = th_raw_read(fd, buf + n, sizeof(buf) - n, 1, 2000,
                                 &closed);

        if (got == 0) break;
        n += got;
        if (n >= 7 && memcmp(buf + n - 7, "+PONG\r\n", 7) == 0) break;
    }
    assert_true(n >= 7);
    buf[n - 7] = '\0';
    if (strcmp(buf, want) != 0)
        fail_msg("%s: got [%s] want [%s]", cmd, buf, want);
}

/* ---------------------------------------------------------------------
 * Basics and encodings
 * ------------------------------------------------------------------ */

static void test_basics_both_encodings(void **state)
{
    th_server_t *s = *state;
    redisContext *c = s->ctx;

    th_expect_int(c, 3, "SADD si 3 1 2");
    th_expect_int(c, 1, "SADD si 2 -7");
    th_expect_str(c, "intset", "OBJECT ENCODING si");
    th_expect_int(c, 3, "SADD sh a b c");
    th_expect_str(c, "hashtable", "OBJECT ENCODING sh");
    th_expect_int(c, 4, "SCARD si");
    th_expect_int(c, 3, "SCARD sh");
    th_expect_int(c, 0, "SCARD nokey");
    th_expect_int(c, 1, "SISMEMBER si -7");
    th_expect_int(c, 0, "SISMEMBER si 07");
    th_expect_int(c, 0, "SISMEMBER si x");
    th_expect_int(c, 1, "SISMEMBER sh b");
    th_expect_int(c, 0, "SISMEMBER nokey b");
    expect_members(c, "-7 1 2 3", "SMEMBERS si");
    expect_members(c, "a b c", "SMEMBERS sh");
    expect_members(c, "", "SMEMBERS nokey");
    /* Intsets reply in ascending order, as Redis. */
    {
        redisReply *r = th_cmd(c, "SMEMBERS si");

        assert_int_equal(r->elements, 4);
        assert_string_equal(r->element[0]->str, "-7");
        assert_string_equal(r->element[3]->str, "3");
        freeReplyObject(r);
    }
    {
        redisReply *r = th_cmd(c, "SMISMEMBER sh a x c");

        assert_int_equal(r->type, REDIS_REPLY_ARRAY);
        assert_int_equal(r->elements, 3);
        assert_int_equal(r->element[0]->integer, 1);
        assert_int_equal(r->element[1]->integer, 0);
        assert_int_equal(r->element[2]->integer, 1);
        freeReplyObject(r);
        r = th_cmd(c, "SMISMEMBER nokey a b");
        assert_int_equal(r->elements, 2);
        assert_int_equal(r->element[0]->integer, 0);
        freeReplyObject(r);
    }
    th_expect_status(c, "set", "TYPE si");
    th_expect_error(c, "ERR wrong number of arguments for 'smismember' "
                       "command", "SMISMEMBER sh");
    th_expect_error(c, "ERR wrong number of arguments for 'sadd' command",
                    "SADD sh");
}

static void test_encoding_conversion(void **state)
{
    th_server_t *s = *state;
    redisContext *c = s->ctx;

    th_expect_status(c, "OK", "CONFIG SET set-max-intset-entries 4");
    fill(c, "s", "", 4);
    th_expect_str(c, "intset", "OBJECT ENCODING s");
    th_expect_int(c, 0, "SADD s 3");
    th_expect_int(c, 1, "SADD s 4");
    th_expect_str(c, "hashtable", "OBJECT ENCODING s");
    /* Never back, even when emptied down to integers. */
    th_expect_int(c, 4, "SREM s 0 1 2 3");
    th_expect_str(c, "hashtable", "OBJECT ENCODING s");
    th_expect_status(c, "OK", "CONFIG SET set-max-intset-entries 512");
    /* A non-integer, a non-canonical integer or one over 64 bits. */
    th_expect_int(c, 2, "SADD a 1 2");
    th_expect_int(c, 1, "SADD a x");
    th_expect_str(c, "hashtable", "OBJECT ENCODING a");
    th_expect_int(c, 1, "SADD b 1");
    th_expect_int(c, 1, "SADD b 01");
    th_expect_str(c, "hashtable", "OBJECT ENCODING b");
    th_expect_int(c, 1, "SADD d 1");
    th_expect_int(c, 1, "SADD d 18446744073709551616");
    th_expect_str(c, "hashtable", "OBJECT ENCODING d");
    th_expect_int(c, 1, "SADD e -9223372036854775808");
    th_expect_int(c, 1, "SADD e 9223372036854775807");
    th_expect_str(c, "intset", "OBJECT ENCODING e");
    expect_members(c, "-9223372036854775808 9223372036854775807",
                   "SMEMBERS e");
    /* First member a string: hashtable from the start. */
    th_expect_int(c, 1, "SADD f abc");
    th_expect_str(c, "hashtable", "OBJECT ENCODING f");
    /* Limit 0: even one integer makes a hashtable (as Redis). */
    th_expect_status(c, "OK", "CONFIG SET set-max-intset-entries 0");
    th_expect_int(c, 1, "SADD g 1");
    th_expect_str(c, "hashtable", "OBJECT ENCODING g");
}

static void test_srem_and_emptied_key(void **state)
{
    th_server_t *s = *state;
    redisContext *c = s->ctx;

    th_expect_int(c, 4, "SADD s 1 2 3 a");
    th_expect_int(c, 2, "SREM s 1 a nosuch");
    th_expect_int(c, 0, "SREM s 1");
    th_expect_int(c, 0, "SREM nokey 1");
    th_expect_int(c, 2, "SREM s 2 3 4 5");
    th_expect_int(c, 0, "EXISTS s");
    th_expect_int(c, 3, "SADD i 1 2 3");
    th_expect_int(c, 3, "SREM i 1 2 3");
    th_expect_int(c, 0, "EXISTS i");
}

static void test_wrongtype(void **state)
{
    th_server_t *s = *state;
    redisContext *c = s->ctx;
    static const char *const cmds[] = {
        "SADD str a", "SREM str a", "SCARD str", "SISMEMBER str a",
        "SMISMEMBER str a", "SMEMBERS str", "SPOP str", "SPOP str 2",
        "SRANDMEMBER str", "SRANDMEMBER str 2", "SMOVE str s a",
        "SMOVE s str a", "SINTER s str", "SINTERCARD 2 s str",
        "SINTERSTORE d s str", "SUNION s str", "SUNIONSTORE d s str",
        "SDIFF s str", "SDIFF str s", "SDIFFSTORE d s str", "SSCAN str 0",
        "SINTER nokey str",
    };

    th_expect_status(c, "OK", "SET str v");
    th_expect_int(c, 1, "SADD s a");
    for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
        th_expect_error(c, WRONGTYPE, cmds[i]);
    th_expect_str(c, "v", "GET str");
    th_expect_int(c, 0, "EXISTS d");
    /* A missing source is not an error even when dst is a string. */
    th_expect_int(c, 0, "SMOVE nokey str a");
}

/* ---------------------------------------------------------------------
 * SPOP, SRANDMEMBER
 * ------------------------------------------------------------------ */

/* SPOP key count on a fresh set of n members (prefix "" or "m"): the
 * popped and the remaining members are distinct and together are the
 * original set; popping everything deletes the key. */
static void spop_case(redisContext *c, const char *prefix, int n, int count)
{
    size_t want_popped = (size_t)(count < n ? count : n);
    redisReply *popped, *rest;

    freeReplyObject(th_cmd(c, "DEL s chk orig"));
    fill(c, "s", prefix, n);
    fill(c, "orig", prefix, n);
    popped = th_cmd(c, "SPOP s %d", count);
    assert_int_equal(popped->elements, want_popped);
    rest = th_cmd(c, "SMEMBERS s");
    assert_int_equal(rest->elements, (size_t)n - want_popped);
    for (size_t i = 0; i < popped->elements; i++)
        th_expect_int(c, 1, "SADD chk %s", popped->element[i]->str);
    for (size_t i = 0; i < rest->elements; i++)
        th_expect_int(c, 1, "SADD chk %s", rest->element[i]->str);
    th_expect_int(c, n, "SINTERCARD 2 chk orig");
    th_expect_int(c, n, "SCARD chk");
    th_expect_int(c, count >= n ? 0 : 1, "EXISTS s");
    freeReplyObject(popped);
    freeReplyObject(rest);
}

static void test_spop(void **state)
{
    th_server_t *s = *state;
    redisContext *c = s->ctx;
    redisReply *r;

    th_expect_int(c, 3, "SADD s a b c");
    r = th_cmd(c, "SPOP s");
    assert_int_equal(r->type, REDIS_REPLY_STRING);
    th_expect_int(c, 0, "SISMEMBER s %s", r->str);
    freeReplyObject(r);
    th_expect_int(c, 2, "SCARD s");
    th_expect_nil(c, "SPOP nokey");
    assert_int_equal(reply_count(c, "SPOP nokey 3"), 0);
    assert_int_equal(reply_count(c, "SPOP s 0"), 0);
    th_expect_int(c, 2, "SCARD s");
    th_expect_error(c, "ERR value is out of range, must be positive",
                    "SPOP s -1");
    th_expect_error(c, "ERR value is out of range, must be positive",
                    "SPOP s x");
    th_expect_error(c, "ERR syntax error", "SPOP s 1 2");
    /* Emptying pop deletes the key. */
    th_expect_int(c, 1, "SADD one 5");
    th_expect_str(c, "5", "SPOP one");
    th_expect_int(c, 0, "EXISTS one");
    /* The three algorithms (all, one by one, keep few), both encodings. */
    th_expect_int(c, 1, "SADD s z");
    spop_case(c, "", 20, 25);
    spop_case(c, "m", 20, 20);
    spop_case(c, "", 100, 10);
    spop_case(c, "m", 100, 10);
    spop_case(c, "", 100, 95);
    spop_case(c, "m", 100, 95);
    /* The survivors keep the key's TTL and encoding. */
    fill(c, "t", "", 50);
    th_expect_int(c, 1, "EXPIRE t 1000");
    assert_int_equal(reply_count(c, "SPOP t 48"), 48);
    th_expect_int(c, 2, "SCARD t");
    th_expect_str(c, "intset", "OBJECT ENCODING t");
    {
        redisReply *ttl = th_cmd(c, "TTL t");

        assert_true(ttl->integer > 990);
        freeReplyObject(ttl);
    }
}

static void test_srandmember(void **state)
{
    th_server_t *s = *state;
    redisContext *c = s->ctx;
    char got[8192];
    redisReply *r;

    th_expect_nil(c, "SRANDMEMBER nokey");
    assert_int_equal(reply_count(c, "SRANDMEMBER nokey 5"), 0);
    fill(c, "i", "", 10);
    fill(c, "h", "m", 100);
    assert_int_equal(reply_count(c, "SRANDMEMBER i 0"), 0);
    th_expect_error(c, "ERR value is out of range, value must between "
                       "-9223372036854775807 and 9223372036854775807",
                    "SRANDMEMBER i -9223372036854775808");
    th_expect_error(c, "ERR value is not an integer or out of range",
                    "SRANDMEMBER i 1.5");
    th_expect_error(c, "ERR syntax error", "SRANDMEMBER i 1 2");
    /* count >= size: the whole set. */
    expect_members(c, "0 1 2 3 4 5 6 7 8 9", "SRANDMEMBER i 10");
    expect_members(c, "0 1 2 3 4 5 6 7 8 9", "SRANDMEMBER i 100");
    /* Distinct members: copy-and-drop and draw cases, both encodings. */
    for (int k = 0; k < 20; k++) {
        static const char *const cmds[] = {
            "SRANDMEMBER i 8", "SRANDMEMBER i 2", "SRANDMEMBER h 90",
            "SRANDMEMBER h 5", "SRANDMEMBER h 1",
        };
        for (size_t j = 0; j < sizeof(cmds) / sizeof(cmds[0]); j++) {
            r = th_cmd(c, cmds[j]);
            sorted_members(r, got, sizeof(got));
            for (size_t e = 0; e < r->elements; e++) {
                const char *key = cmds[j][12] == 'i' ? "i" : "h";

                th_expect_int(c, 1, "SISMEMBER %s %s", key,
                              r->element[e]->str);
            }
            /* Distinct: a set built from the reply has the same size. */
            for (size_t e = 0; e < r->elements; e++)
                redisAppendCommand(c, "SADD chk %s", r->element[e]->str);
            for (size_t e = 0; e < r->elements; e++) {
                redisReply *a;

                assert_int_equal(redisGetReply(c, (void **)&a), REDIS_OK);
                assert_int_equal(a->integer, 1);
                freeReplyObject(a);
            }
            th_expect_int(c, 1, "DEL chk");
            freeReplyObject(r);
        }
    }
    /* Negative: repetitions allowed, exactly |count| members. */
    assert_int_equal(reply_count(c, "SRANDMEMBER i -25"), 25);
    assert_int_equal(reply_count(c, "SRANDMEMBER h -3"), 3);
    r = th_cmd(c, "SRANDMEMBER i");
    assert_int_equal(r->type, REDIS_REPLY_STRING);
    freeReplyObject(r);
    /* Every member eventually shows up. */
    {
        int seen[10] = {0}, distinct = 0;

        for (int k = 0; k < 20 && distinct < 10; k++) {
            r = th_cmd(c, "SRANDMEMBER i -50");
            for (size_t e = 0; e < r->elements; e++) {
                int v = atoi(r->element[e]->str);

                if (!seen[v]++) distinct++;
            }
            freeReplyObject(r);
        }
        assert_int_equal(distinct, 10);
    }
    th_expect_int(c, 10, "SCARD i");
}

/* ---------------------------------------------------------------------
 * SMOVE
 * ------------------------------------------------------------------ */

static void test_smove(void **state)
{
    th_server_t *s = *state;
    redisContext *c = s->ctx;

    th_expect_int(c, 3, "SADD src a b 1");
    th_expect_int(c, 2, "SADD dst 2 3");
    th_expect_int(c, 1, "SMOVE src dst 1");
    expect_members(c, "a b", "SMEMBERS src");
    expect_members(c, "1 2 3", "SMEMBERS dst");
    th_expect_str(c, "intset", "OBJECT ENCODING dst");
    th_expect_int(c, 1, "SMOVE src dst a");
    th_expect_str(c, "hashtable", "OBJECT ENCODING dst");
    th_expect_int(c, 0, "SMOVE src dst nosuch");
    th_expect_int(c, 0, "SMOVE nokey dst a");
    /* Already in the destination: still moved out of the source. */
    th_expect_int(c, 1, "SADD dst b");
    th_expect_int(c, 1, "SMOVE src dst b");
    th_expect_int(c, 0, "EXISTS src");
    th_expect_int(c, 5, "SCARD dst");
    /* To a new key. */
    th_expect_int(c, 1, "SMOVE dst fresh 2");
    th_expect_str(c, "intset", "OBJECT ENCODING fresh");
    th_expect_int(c, 1, "SMOVE dst fresh2 a");
    th_expect_str(c, "hashtable", "OBJECT ENCODING fresh2");
    /* Same source and destination. */
    th_expect_int(c, 1, "SMOVE dst dst 3");
    th_expect_int(c, 0, "SMOVE dst dst nosuch");
    th_expect_int(c, 3, "SCARD dst");
    th_expect_error(c, "ERR wrong number of arguments for 'smove' command",
                    "SMOVE a b");
}

/* ---------------------------------------------------------------------
 * Set algebra
 * ------------------------------------------------------------------ */

/* s1 = 0..19, s2 = 10..29, s3 = 5..14 plus x, as integers or strings. */
static void algebra_sets(redisContext *c, const char *p)
{
    th_expect_status(c, "OK", "FLUSHALL");
    for (int i = 0; i < 20; i++) th_expect_int(c, 1, "SADD s1 %s%d", p, i);
    for (int i = 10; i < 30; i++) th_expect_int(c, 1, "SADD s2 %s%d", p, i);
    for (int i = 5; i < 15; i++) th_expect_int(c, 1, "SADD s3 %s%d", p, i);
}

static void test_sinter_family(void **state)
{
    th_server_t *s = *state;
    redisContext *c = s->ctx;
    static const char *const prefixes[] = {"", "m"};

    for (int k = 0; k < 2; k++) {
        const char *p = prefixes[k];
        char want[1024];
        size_t used = 0;

        algebra_sets(c, p);
        want[0] = '\0';
        for (int i = 10; i < 15; i++) {
            char tmp[16];

            snprintf(tmp, sizeof(tmp), "%s%d", p, i);
            used += (size_t)snprintf(want + used, sizeof(want) - used, "%s%s",
                                     used ? " " : "", tmp);
        }
        expect_members(c, want, "SINTER s1 s2 s3");
        expect_members(c, want, "SINTER s3 s2 s1 s3");
        th_expect_int(c, 5, "SINTERCARD 3 s1 s2 s3");
        th_expect_int(c, 3, "SINTERCARD 3 s1 s2 s3 LIMIT 3");
        th_expect_int(c, 5, "SINTERCARD 3 s1 s2 s3 limit 0");
        th_expect_int(c, 5, "SINTERCARD 3 s1 s2 s3 LIMIT 100");
        th_expect_int(c, 5, "SINTERSTORE d s1 s2 s3");
        expect_members(c, want, "SMEMBERS d");
        th_expect_str(c, k ? "hashtable" : "intset", "OBJECT ENCODING d");
        expect_members(c, "", "SINTER s1 nokey");
        th_expect_int(c, 0, "SINTERCARD 2 s1 nokey");
        /* STORE of an empty result deletes the destination. */
        th_expect_int(c, 0, "SINTERSTORE d s1 nokey");
        th_expect_int(c, 0, "EXISTS d");
        th_expect_int(c, 20, "SINTERSTORE s1 s1");
        th_expect_int(c, 20, "SCARD s1");
    }
    /* Same integers, different encodings. */
    th_expect_int(c, 3, "SADD ia 1 2 3");
    th_expect_int(c, 4, "SADD ha 1 2 3 x");
    expect_members(c, "1 2 3", "SINTER ia ha");
    expect_members(c, "1 2 3", "SINTER ha ia");
    /* STORE drops the destination's TTL and type. */
    th_expect_status(c, "OK", "SET d v EX 100");
    th_expect_int(c, 3, "SINTERSTORE d ia ha");
    th_expect_int(c, -1, "TTL d");
    th_expect_status(c, "set", "TYPE d");
    /* Errors (Redis 7.0's texts). */
    th_expect_error(c, "ERR numkeys should be greater than 0",
                    "SINTERCARD 0 a");
    th_expect_error(c, "ERR numkeys should be greater than 0",
                    "SINTERCARD x a");
    th_expect_error(c, "ERR Number of keys can't be greater than number "
                       "of args", "SINTERCARD 2 a");
    th_expect_error(c, "ERR LIMIT can't be negative",
                    "SINTERCARD 1 a LIMIT -1");
    th_expect_error(c, "ERR syntax error", "SINTERCARD 1 a LIMIT");
    th_expect_error(c, "ERR syntax error", "SINTERCARD 1 a foo 1");
}

static void test_sunion_sdiff(void **state)
{
    th_server_t *s = *state;
    redisContext *c = s->ctx;

    algebra_sets(c, "");
    th_expect_int(c, 30, "SUNIONSTORE u s1 s2 s3 nokey");
    th_expect_str(c, "intset", "OBJECT ENCODING u");
    assert_int_equal(reply_count(c, "SUNION s1 s2 s3"), 30);
    expect_members(c, "0 1 2 3 4", "SDIFF s1 s2 s3");
    expect_members(c, "0 1 2 3 4", "SDIFF s1 nokey s2 s3");
    expect_members(c, "", "SDIFF nokey s1");
    expect_members(c, "", "SDIFF s1 s1");
    expect_members(c, "15 16 17 18 19 20 21 22 23 24 25 26 27 28 29",
                   "SDIFF s2 s3");
    th_expect_int(c, 5, "SDIFFSTORE d s1 s2 s3");
    expect_members(c, "0 1 2 3 4", "SMEMBERS d");
    th_expect_int(c, 0, "SDIFFSTORE d s1 s1");
    th_expect_int(c, 0, "EXISTS d");
    th_expect_int(c, 0, "SUNIONSTORE d nokey nokey2");
    th_expect_int(c, 0, "EXISTS d");
    /* A large first set against a small one (the copy-and-remove path)
     * and a small one against large ones (the probing path). */
    fill(c, "big", "", 300);
    th_expect_int(c, 2, "SADD small 5 1000");
    th_expect_int(c, 299, "SDIFFSTORE d big small");
    th_expect_int(c, 0, "SISMEMBER d 5");
    expect_members(c, "1000", "SDIFF small big");
    /* Mixed encodings: union becomes a hashtable past a string. */
    th_expect_int(c, 1, "SADD str x");
    th_expect_int(c, 21, "SUNIONSTORE u2 s1 str");
    th_expect_str(c, "hashtable", "OBJECT ENCODING u2");
    expect_members(c, "x", "SDIFF u2 s1");
    /* Result past the intset limit converts. */
    th_expect_status(c, "OK", "CONFIG SET set-max-intset-entries 10");
    th_expect_int(c, 20, "SUNIONSTORE u3 s1");
    th_expect_str(c, "hashtable", "OBJECT ENCODING u3");
}

/* ---------------------------------------------------------------------
 * SSCAN
 * ------------------------------------------------------------------ */

/* Full SSCAN of key with extra options; returns the number of distinct
 * members seen (they are added to "seen"). */
static long long sscan_all(redisContext *c, const char *key,
                           const char *opts, int *calls)
{
    char cursor[32] = "0", cmd[256];
    redisReply *r;
    long long n;

    *calls = 0;
    do {
        /* opts holds several arguments: a plain format, split on spaces */
        snprintf(cmd, sizeof(cmd), "SSCAN %s %s %s", key, cursor, opts);
        r = th_cmd(c, cmd);
        assert_int_equal(r->type, REDIS_REPLY_ARRAY);
        assert_int_equal(r->elements, 2);
        snprintf(cursor, sizeof(cursor), "%s", r->element[0]->str);
        for (size_t i = 0; i < r->element[1]->elements; i++)
            freeReplyObject(th_cmd(c, "SADD seen %s",
                                   r->element[1]->element[i]->str));
        freeReplyObject(r);
        (*calls)++;
        assert_true(*calls < 10000);
    } while (strcmp(cursor, "0") != 0);
    r = th_cmd(c, "SCARD seen");
    n = r->integer;
    freeReplyObject(r);
    freeReplyObject(th_cmd(c, "DEL seen"));
    return n;
}

static void test_sscan(void **state)
{
    th_server_t *s = *state;
    redisContext *c = s->ctx;
    int calls;

    fill(c, "i", "", 100);
    assert_int_equal(sscan_all(c, "i", "COUNT 5", &calls), 100);
    assert_int_equal(calls, 1); /* an intset is returned at once */
    fill(c, "h", "m", 1000);
    assert_int_equal(sscan_all(c, "h", "COUNT 10", &calls), 1000);
    assert_true(calls > 10);
    assert_int_equal(sscan_all(c, "h", "MATCH m1* COUNT 100", &calls), 111);
    assert_int_equal(sscan_all(c, "i", "MATCH 9*", &calls), 11);
    assert_int_equal(sscan_all(c, "nokey", "", &calls), 0);
    th_expect_error(c, "ERR invalid cursor", "SSCAN h x");
    th_expect_error(c, "ERR syntax error", "SSCAN h 0 COUNT 0");
    th_expect_error(c, "ERR syntax error", "SSCAN h 0 FOO 1");
    th_expect_error(c, "ERR syntax error", "SSCAN h 0 COUNT");
    th_expect_error(c, "ERR value is not an integer or out of range",
                    "SSCAN h 0 COUNT x");
}

/* ---------------------------------------------------------------------
 * RESP3 shapes, COPY
 * ------------------------------------------------------------------ */

static void test_resp3_shapes(void **state)
{
    th_server_t *s = *state;
    redisContext *c = s->ctx;
    int fd = th_raw_connect(s);
    char buf[4096];
    size_t n = 0;
    int closed = 0;

    th_expect_int(c, 2, "SADD i 2 1");
    th_expect_int(c, 1, "SADD one a");
    th_raw_send(fd, "HELLO 3\r\nPING\r\n", 15);
    while (n + 1 < sizeof(buf) && !closed) {
        size_t got = th_raw_read(fd, buf + n, sizeof(buf) - n, 1, 2000,
                                 &closed);

        if (got == 0) break;
        n += got;
        if (n >= 7 && memcmp(buf + n - 7, "+PONG\r\n", 7) == 0) break;
    }
    resp3_expect(fd, "SMEMBERS i", "~2\r\n$1\r\n1\r\n$1\r\n2\r\n");
    resp3_expect(fd, "SMEMBERS nokey", "~0\r\n");
    resp3_expect(fd, "SINTER i i", "~2\r\n$1\r\n1\r\n$1\r\n2\r\n");
    resp3_expect(fd, "SINTER i nokey", "~0\r\n");
    resp3_expect(fd, "SUNION i", "~2\r\n$1\r\n1\r\n$1\r\n2\r\n");
    resp3_expect(fd, "SDIFF i nokey", "~2\r\n$1\r\n1\r\n$1\r\n2\r\n");
    resp3_expect(fd, "SRANDMEMBER i 5", "*2\r\n$1\r\n1\r\n$1\r\n2\r\n");
    resp3_expect(fd, "SRANDMEMBER one -2", "*2\r\n$1\r\na\r\n$1\r\na\r\n");
    resp3_expect(fd, "SRANDMEMBER nokey 2", "*0\r\n");
    resp3_expect(fd, "SPOP nokey", "_\r\n");
    resp3_expect(fd, "SPOP nokey 2", "~0\r\n");
    resp3_expect(fd, "SPOP i 0", "~0\r\n");
    resp3_expect(fd, "SPOP i 5", "~2\r\n$1\r\n1\r\n$1\r\n2\r\n");
    resp3_expect(fd, "SRANDMEMBER nokey", "_\r\n");
    resp3_expect(fd, "SSCAN one 0", "*2\r\n$1\r\n0\r\n*1\r\n$1\r\na\r\n");
    resp3_expect(fd, "SMISMEMBER one a b", "*2\r\n:1\r\n:0\r\n");
    close(fd);
}

static void test_copy_set(void **state)
{
    th_server_t *s = *state;
    redisContext *c = s->ctx;

    th_expect_int(c, 3, "SADD i 1 2 3");
    th_expect_int(c, 2, "SADD h a b");
    th_expect_int(c, 1, "COPY i i2");
    th_expect_int(c, 1, "COPY h h2");
    th_expect_str(c, "intset", "OBJECT ENCODING i2");
    th_expect_str(c, "hashtable", "OBJECT ENCODING h2");
    expect_members(c, "1 2 3", "SMEMBERS i2");
    expect_members(c, "a b", "SMEMBERS h2");
    th_expect_int(c, 1, "SREM i 1");
    th_expect_int(c, 1, "SADD h c");
    expect_members(c, "1 2 3", "SMEMBERS i2");
    expect_members(c, "a b", "SMEMBERS h2");
    th_expect_int(c, 0, "COPY h h2");
    th_expect_int(c, 1, "COPY h h2 REPLACE");
    expect_members(c, "a b c", "SMEMBERS h2");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_basics_both_encodings, set_setup),
        cmocka_unit_test_setup(test_encoding_conversion, set_setup),
        cmocka_unit_test_setup(test_srem_and_emptied_key, set_setup),
        cmocka_unit_test_setup(test_wrongtype, set_setup),
        cmocka_unit_test_setup(test_spop, set_setup),
        cmocka_unit_test_setup(test_srandmember, set_setup),
        cmocka_unit_test_setup(test_smove, set_setup),
        cmocka_unit_test_setup(test_sinter_family, set_setup),
        cmocka_unit_test_setup(test_sunion_sdiff, set_setup),
        cmocka_unit_test_setup(test_sscan, set_setup),
        cmocka_unit_test_setup(test_resp3_shapes, set_setup),
        cmocka_unit_test_setup(test_copy_set, set_setup),
    };

    return cmocka_run_group_tests(tests, th_group_setup, th_group_teardown);
}
