/*
 * test_hashes.c - the hash commands against a real gencached: HSET/HMSET/
 * HSETNX, HGET/HMGET, HDEL, HLEN, HSTRLEN, HEXISTS, HKEYS/HVALS/HGETALL,
 * HINCRBY/HINCRBYFLOAT, HRANDFIELD and HSCAN, their error texts and
 * WRONGTYPE, the listpack -> hashtable conversion at the configured
 * thresholds, removal of emptied hashes, binary fields, RESP3 reply shapes
 * and COPY of hashes. Expected replies were checked against redis-server
 * 7.0.15.
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
#define ERR_NOT_INT "ERR value is not an integer or out of range"
#define ERR_WRONGTYPE                                                     \
    "WRONGTYPE Operation against a key holding the wrong kind of value"

/* Assert OBJECT ENCODING key is enc. */
static void expect_encoding(redisContext *c, const char *key,
                            const char *enc)
{
    th_expect_str(c, enc, "OBJECT ENCODING %s", key);
}

/* Assert an array reply of n elements and return it (caller frees). */
static redisReply *expect_array(redisContext *c, size_t n, const char *cmd)
{
    redisReply *r = th_cmd(c, cmd);

    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->elements, n);
    return r;
}

/* Whether s is one of the n strings in set. */
static int in_set(const char *s, const char *const *set, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(s, set[i]) == 0)
            return 1;
    }
    return 0;
}

/* HSET key f0 v0 ... f<n-1> v<n-1> with value prefix vp. */
static void fill(redisContext *c, const char *key, int n, const char *vp)
{
    for (int i = 0; i < n; i++)
        th_expect_int(c, 1, "HSET %s f%d %s%d", key, i, vp, i);
}

/* Send cmd (inline) on a RESP3 connection fd and assert the reply bytes
 * are exactly want. A PING after it marks the end of the reply. */
static void resp3_expect(int fd, const char *cmd, const char *want)
{
    char req[512], buf[8192] = "";
    size_t n = 0, wl = strlen(want);
    int closed = 0;

    snprintf(req, sizeof(req), "%s\r\nPING\r\n", cmd);
    th_raw_send(fd, req, strlen(req));
    while (n + 1 < sizeof(buf) && !closed &&
           !(n >= 7 && strcmp(buf + n - 7, "+PONG\r\n") == 0)) {
        size_t got = th_raw_read(fd, buf + n, sizeof(buf) - n, 1, 2000,
                                 &closed);
        if (got == 0)
            break;
        n += got;
    }
    assert_true(n >= 7);
    buf[n - 7] = '\0';
    if (strlen(buf) != wl || memcmp(buf, want, wl) != 0)
        fail_msg("%s: got [%s] want [%s]", cmd, buf, want);
}

/* A raw connection switched to RESP3 (HELLO's reply consumed). */
static int resp3_connect(const th_server_t *s)
{
    int fd = th_raw_connect(s);
    char buf[4096];
    size_t n = 0;
    int closed = 0;

    th_raw_send(fd, "HELLO 3\r\nPING\r\n", 15);
    while (n + 1 < sizeof(buf) && !closed) {
        size_t got = th_raw_read(fd, buf + n, sizeof(buf) - n, 1, 2000,
                                 &closed);
        if (got == 0)
            break;
        n += got;
        if (n >= 7 && memcmp(buf + n - 7, "+PONG\r\n", 7) == 0)
            break;
    }
    assert_true(n >= 7 && memcmp(buf + n - 7, "+PONG\r\n", 7) == 0);
    return fd;
}

/* ---------------------------------------------------------------------
 * HSET / HMSET / HSETNX / HGET / HMGET / HLEN
 * ------------------------------------------------------------------ */

static void test_hset_hget_basic(void **state)
{
    th_server_t *s = *state;

    th_expect_int(s->ctx, 3, "HSET h a 1 b 2 c 3");
    th_expect_int(s->ctx, 1, "HSET h a 10 d 4"); /* a updated, d added */
    th_expect_int(s->ctx, 0, "HSET h a 11");
    th_expect_str(s->ctx, "11", "HGET h a");
    th_expect_str(s->ctx, "4", "HGET h d");
    th_expect_nil(s->ctx, "HGET h zz");
    th_expect_nil(s->ctx, "HGET nokey a");
    th_expect_int(s->ctx, 4, "HLEN h");
    th_expect_int(s->ctx, 0, "HLEN nokey");
    th_expect_status(s->ctx, "hash", "TYPE h");
    th_expect_int(s->ctx, 1, "HSET h empty %s", "");
    th_expect_str(s->ctx, "", "HGET h empty");
}

static void test_hset_hmset_arity(void **state)
{
    th_server_t *s = *state;

    th_expect_error(s->ctx,
                    "ERR wrong number of arguments for 'hset' command",
                    "HSET h a 1 b");
    th_expect_error(s->ctx,
                    "ERR wrong number of arguments for 'hmset' command",
                    "HMSET h a");
    th_expect_error(s->ctx,
                    "ERR wrong number of arguments for 'hset' command",
                    "HSET h a");
    th_expect_int(s->ctx, 0, "EXISTS h");
    th_expect_status(s->ctx, "OK", "HMSET h a 1 b 2");
    th_expect_status(s->ctx, "OK", "HMSET h a 3");
    th_expect_str(s->ctx, "3", "HGET h a");
    th_expect_int(s->ctx, 2, "HLEN h");
}

static void test_hsetnx(void **state)
{
    th_server_t *s = *state;

    th_expect_int(s->ctx, 1, "HSETNX h a 1");
    th_expect_int(s->ctx, 0, "HSETNX h a 2");
    th_expect_str(s->ctx, "1", "HGET h a");
    th_expect_int(s->ctx, 1, "HSETNX h b 2");
    th_expect_int(s->ctx, 2, "HLEN h");
}

static void test_hmget(void **state)
{
    th_server_t *s = *state;
    redisReply *r;

    th_expect_int(s->ctx, 2, "HSET h a 1 b 2");
    r = expect_array(s->ctx, 3, "HMGET h a zz b");
    assert_string_equal(r->element[0]->str, "1");
    assert_int_equal(r->element[1]->type, REDIS_REPLY_NIL);
    assert_string_equal(r->element[2]->str, "2");
    freeReplyObject(r);
    r = expect_array(s->ctx, 2, "HMGET nokey a b");
    assert_int_equal(r->element[0]->type, REDIS_REPLY_NIL);
    assert_int_equal(r->element[1]->type, REDIS_REPLY_NIL);
    freeReplyObject(r);
}

/* ---------------------------------------------------------------------
 * HDEL, HSTRLEN, HEXISTS, HKEYS / HVALS / HGETALL
 * ------------------------------------------------------------------ */

static void test_hdel_and_empty_removal(void **state)
{
    th_server_t *s = *state;

    th_expect_int(s->ctx, 3, "HSET h a 1 b 2 c 3");
    th_expect_int(s->ctx, 0, "HDEL h zz");
    th_expect_int(s->ctx, 1, "HDEL h a");
    th_expect_int(s->ctx, 0, "HDEL h a");
    th_expect_int(s->ctx, 2, "HLEN h");
    /* Deleting past the last field: counts only what existed. */
    th_expect_int(s->ctx, 2, "HDEL h b zz c b");
    th_expect_int(s->ctx, 0, "EXISTS h");
    th_expect_int(s->ctx, 0, "HDEL nokey a");
    /* The same for a hashtable-encoded hash. */
    fill(s->ctx, "big", 200, "v");
    expect_encoding(s->ctx, "big", "hashtable");
    for (int i = 0; i < 199; i++)
        th_expect_int(s->ctx, 1, "HDEL big f%d", i);
    th_expect_int(s->ctx, 1, "EXISTS big");
    th_expect_int(s->ctx, 1, "HDEL big f199");
    th_expect_int(s->ctx, 0, "EXISTS big");
}

static void test_hstrlen_hexists(void **state)
{
    th_server_t *s = *state;

    th_expect_int(s->ctx, 4, "HSET h a hello n -9223372036854775808 "
                             "big 9223372036854775808 e %s", "");
    th_expect_int(s->ctx, 5, "HSTRLEN h a");
    th_expect_int(s->ctx, 20, "HSTRLEN h n");
    th_expect_int(s->ctx, 19, "HSTRLEN h big");
    th_expect_int(s->ctx, 0, "HSTRLEN h e");
    th_expect_int(s->ctx, 0, "HSTRLEN h zz");
    th_expect_int(s->ctx, 0, "HSTRLEN nokey a");
    th_expect_int(s->ctx, 1, "HEXISTS h a");
    th_expect_int(s->ctx, 1, "HEXISTS h e");
    th_expect_int(s->ctx, 0, "HEXISTS h zz");
    th_expect_int(s->ctx, 0, "HEXISTS nokey a");
}

static void test_hkeys_hvals_hgetall(void **state)
{
    th_server_t *s = *state;
    redisReply *r;

    th_expect_int(s->ctx, 3, "HSET h a 1 b 2 c 3");
    /* A listpack keeps insertion order. */
    r = expect_array(s->ctx, 3, "HKEYS h");
    assert_string_equal(r->element[0]->str, "a");
    assert_string_equal(r->element[2]->str, "c");
    freeReplyObject(r);
    r = expect_array(s->ctx, 3, "HVALS h");
    assert_string_equal(r->element[0]->str, "1");
    assert_string_equal(r->element[2]->str, "3");
    freeReplyObject(r);
    r = expect_array(s->ctx, 6, "HGETALL h");
    assert_string_equal(r->element[0]->str, "a");
    assert_string_equal(r->element[1]->str, "1");
    assert_string_equal(r->element[4]->str, "c");
    assert_string_equal(r->element[5]->str, "3");
    freeReplyObject(r);
    freeReplyObject(expect_array(s->ctx, 0, "HKEYS nokey"));
    freeReplyObject(expect_array(s->ctx, 0, "HVALS nokey"));
    freeReplyObject(expect_array(s->ctx, 0, "HGETALL nokey"));
    fill(s->ctx, "big", 300, "v");
    r = expect_array(s->ctx, 600, "HGETALL big");
    for (size_t i = 0; i < 600; i += 2) {
        /* f<n> pairs with v<n> */
        assert_string_equal(r->element[i]->str + 1,
                            r->element[i + 1]->str + 1);
    }
    freeReplyObject(r);
}

/* ---------------------------------------------------------------------
 * HINCRBY / HINCRBYFLOAT
 * ------------------------------------------------------------------ */

static void test_hincrby(void **state)
{
    th_server_t *s = *state;

    th_expect_int(s->ctx, 5, "HINCRBY h a 5");
    th_expect_int(s->ctx, 1, "EXISTS h");
    th_expect_int(s->ctx, 3, "HINCRBY h a -2");
    th_expect_int(s->ctx, 17179869184LL, "HINCRBY h b 17179869184");
    th_expect_int(s->ctx, 1, "HSET h s hello");
    th_expect_error(s->ctx, "ERR hash value is not an integer",
                    "HINCRBY h s 1");
    th_expect_int(s->ctx, 1, "HSET h sp %s", " 1");
    th_expect_error(s->ctx, "ERR hash value is not an integer",
                    "HINCRBY h sp 1");
    th_expect_error(s->ctx, ERR_NOT_INT, "HINCRBY h a x");
    th_expect_error(s->ctx, ERR_NOT_INT, "HINCRBY nokey a 1.5");
    th_expect_int(s->ctx, 0, "EXISTS nokey");
    th_expect_int(s->ctx, 1, "HSET h max 9223372036854775807");
    th_expect_error(s->ctx, "ERR increment or decrement would overflow",
                    "HINCRBY h max 1");
    th_expect_int(s->ctx, 1, "HSET h min -9223372036854775808");
    th_expect_error(s->ctx, "ERR increment or decrement would overflow",
                    "HINCRBY h min -1");
    th_expect_str(s->ctx, "3", "HGET h a");
}

static void test_hincrbyfloat(void **state)
{
    th_server_t *s = *state;

    th_expect_str(s->ctx, "10.5", "HINCRBYFLOAT h f 10.5");
    th_expect_str(s->ctx, "10.6", "HINCRBYFLOAT h f 0.1");
    /* long double arithmetic, as Redis 7.0 (checked): */
    th_expect_str(s->ctx, "5010.60000000000000009", "HINCRBYFLOAT h f 5.0e3");
    th_expect_int(s->ctx, 1, "HSET h i 17179869184");
    th_expect_str(s->ctx, "17179869185.5", "HINCRBYFLOAT h i 1.5");
    th_expect_str(s->ctx, "3", "HINCRBYFLOAT h n 3.0");
    th_expect_int(s->ctx, 1, "HSET h s hello");
    th_expect_error(s->ctx, "ERR hash value is not a float",
                    "HINCRBYFLOAT h s 1");
    th_expect_int(s->ctx, 1, "HSET h sp %s", "1 ");
    th_expect_error(s->ctx, "ERR hash value is not a float",
                    "HINCRBYFLOAT h sp 1");
    th_expect_error(s->ctx, "ERR value is not a valid float",
                    "HINCRBYFLOAT h f abc");
    th_expect_error(s->ctx, "ERR value is NaN or Infinity",
                    "HINCRBYFLOAT nokey f inf");
    th_expect_int(s->ctx, 0, "EXISTS nokey");
    th_expect_error(s->ctx, "ERR value is NaN or Infinity",
                    "HINCRBYFLOAT h f -inf");
    th_expect_str(s->ctx, "5010.60000000000000009", "HGET h f");
}

/* ---------------------------------------------------------------------
 * WRONGTYPE
 * ------------------------------------------------------------------ */

static void test_wrongtype(void **state)
{
    th_server_t *s = *state;
    static const char *const cmds[] = {
        "HSET s a 1",      "HMSET s a 1",        "HSETNX s a 1",
        "HGET s a",        "HMGET s a",          "HDEL s a",
        "HLEN s",          "HSTRLEN s a",        "HEXISTS s a",
        "HKEYS s",         "HVALS s",            "HGETALL s",
        "HINCRBY s a 1",   "HINCRBYFLOAT s a 1", "HRANDFIELD s",
        "HRANDFIELD s 2",  "HRANDFIELD s -2 WITHVALUES",
        "HSCAN s 0",
    };

    th_expect_status(s->ctx, "OK", "SET s x");
    for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
        th_expect_error(s->ctx, ERR_WRONGTYPE, cmds[i]);
    th_expect_str(s->ctx, "x", "GET s");
    th_expect_int(s->ctx, 1, "HSET h a 1");
    th_expect_error(s->ctx, ERR_WRONGTYPE, "GET h");
}

/* ---------------------------------------------------------------------
 * Encodings
 * ------------------------------------------------------------------ */

static void test_encoding_default_thresholds(void **state)
{
    th_server_t *s = *state;
    char v64[65], v65[66];

    fill(s->ctx, "h", 128, "v");
    expect_encoding(s->ctx, "h", "listpack");
    th_expect_int(s->ctx, 1, "HSET h f128 v");
    expect_encoding(s->ctx, "h", "hashtable");
    /* Never converted back. */
    for (int i = 0; i <= 120; i++)
        th_expect_int(s->ctx, 1, "HDEL h f%d", i);
    expect_encoding(s->ctx, "h", "hashtable");

    memset(v64, 'x', 64);
    v64[64] = '\0';
    memset(v65, 'x', 65);
    v65[65] = '\0';
    th_expect_int(s->ctx, 1, "HSET v a %s", v64);
    expect_encoding(s->ctx, "v", "listpack");
    th_expect_int(s->ctx, 0, "HSET v a %s", v65);
    expect_encoding(s->ctx, "v", "hashtable");
    th_expect_str(s->ctx, v65, "HGET v a");
    th_expect_int(s->ctx, 1, "HSET k %s 1", v65);
    expect_encoding(s->ctx, "k", "hashtable");
}

static void test_encoding_config_thresholds(void **state)
{
    th_server_t *s = *state;

    th_expect_status(s->ctx, "OK",
                     "CONFIG SET hash-max-listpack-entries 4 "
                     "hash-max-ziplist-value 8");
    fill(s->ctx, "h", 4, "v");
    expect_encoding(s->ctx, "h", "listpack");
    th_expect_int(s->ctx, 1, "HSET h f4 v");
    expect_encoding(s->ctx, "h", "hashtable");
    th_expect_int(s->ctx, 1, "HSET v a 12345678");
    expect_encoding(s->ctx, "v", "listpack");
    th_expect_int(s->ctx, 1, "HSET v b 123456789");
    expect_encoding(s->ctx, "v", "hashtable");
    /* HINCRBYFLOAT results and fields count too. */
    th_expect_int(s->ctx, 1, "HSET f t 0");
    th_expect_str(s->ctx, "0.000005", "HINCRBYFLOAT f t 0.000005");
    expect_encoding(s->ctx, "f", "listpack");
    th_expect_str(s->ctx, "0.0000055", "HINCRBYFLOAT f t 0.0000005");
    expect_encoding(s->ctx, "f", "hashtable");
    th_expect_str(s->ctx, "1", "HINCRBYFLOAT g abcdefgh 1");
    expect_encoding(s->ctx, "g", "listpack");
    th_expect_str(s->ctx, "1", "HINCRBYFLOAT g abcdefghi 1");
    expect_encoding(s->ctx, "g", "hashtable");
    th_expect_int(s->ctx, 1, "HINCRBY i abcdefghi 1");
    expect_encoding(s->ctx, "i", "hashtable");
    th_expect_int(s->ctx, 1, "HSETNX n abcdefghi 1");
    expect_encoding(s->ctx, "n", "hashtable");
    th_expect_status(s->ctx, "OK",
                     "CONFIG SET hash-max-ziplist-entries 128 "
                     "hash-max-listpack-value 64");
    th_expect_int(s->ctx, 1, "HSET w abcdefghi 1");
    expect_encoding(s->ctx, "w", "listpack");
}

/* ---------------------------------------------------------------------
 * Binary safety
 * ------------------------------------------------------------------ */

static void test_binary_fields(void **state)
{
    th_server_t *s = *state;
    const char *set[] = {"HSET", "b", "f\0x", "v\0\r\n1", "f\0y", ""};
    const size_t setl[] = {4, 1, 3, 5, 3, 0};
    const char *get[] = {"HGET", "b", "f\0x"};
    const size_t getl[] = {4, 1, 3};
    redisReply *r;

    r = th_cmdv(s->ctx, 6, set, setl);
    assert_int_equal(r->integer, 2);
    freeReplyObject(r);
    r = th_cmdv(s->ctx, 3, get, getl);
    assert_int_equal(r->type, REDIS_REPLY_STRING);
    assert_int_equal(r->len, 5);
    assert_memory_equal(r->str, "v\0\r\n1", 5);
    freeReplyObject(r);
    get[2] = "f";
    r = th_cmdv(s->ctx, 3, get, (const size_t[]){4, 1, 1});
    assert_int_equal(r->type, REDIS_REPLY_NIL);
    freeReplyObject(r);
    r = expect_array(s->ctx, 2, "HKEYS b");
    assert_int_equal(r->element[0]->len, 3);
    assert_memory_equal(r->element[0]->str, "f\0x", 3);
    freeReplyObject(r);
    /* The same in a hashtable. */
    th_expect_status(s->ctx, "OK", "CONFIG SET hash-max-listpack-entries 1");
    set[1] = "bt";
    r = th_cmdv(s->ctx, 6, set, (const size_t[]){4, 2, 3, 5, 3, 0});
    assert_int_equal(r->integer, 2);
    freeReplyObject(r);
    expect_encoding(s->ctx, "bt", "hashtable");
    get[1] = "bt";
    get[2] = "f\0x";
    r = th_cmdv(s->ctx, 3, get, (const size_t[]){4, 2, 3});
    assert_int_equal(r->len, 5);
    assert_memory_equal(r->str, "v\0\r\n1", 5);
    freeReplyObject(r);
    th_expect_status(s->ctx, "OK",
                     "CONFIG SET hash-max-listpack-entries 128");
}

/* ---------------------------------------------------------------------
 * HRANDFIELD
 * ------------------------------------------------------------------ */

/* HRANDFIELD checks on hash key h holding f0..f9 -> v0..v9. */
static void check_randfield(redisContext *c)
{
    static const char *const fields[] = {"f0", "f1", "f2", "f3", "f4",
                                         "f5", "f6", "f7", "f8", "f9"};
    redisReply *r;
    int seen[10] = {0};

    r = th_cmd(c, "HRANDFIELD h");
    assert_int_equal(r->type, REDIS_REPLY_STRING);
    assert_true(in_set(r->str, fields, 10));
    freeReplyObject(r);
    /* Negative: repeats allowed, exactly |count|. */
    r = expect_array(c, 50, "HRANDFIELD h -50");
    for (size_t i = 0; i < 50; i++)
        assert_true(in_set(r->element[i]->str, fields, 10));
    freeReplyObject(r);
    r = expect_array(c, 40, "HRANDFIELD h -20 WITHVALUES");
    for (size_t i = 0; i < 40; i += 2)
        assert_string_equal(r->element[i]->str + 1,
                            r->element[i + 1]->str + 1);
    freeReplyObject(r);
    /* count >= size: everything once. */
    r = expect_array(c, 10, "HRANDFIELD h 20");
    for (size_t i = 0; i < 10; i++)
        seen[r->element[i]->str[1] - '0']++;
    for (int i = 0; i < 10; i++)
        assert_int_equal(seen[i], 1);
    freeReplyObject(r);
    freeReplyObject(expect_array(c, 20, "HRANDFIELD h 10 WITHVALUES"));
    /* Unique picks below the size (both sampling paths). */
    for (int count = 2; count <= 8; count += 6) {
        char cmd[64];

        snprintf(cmd, sizeof(cmd), "HRANDFIELD h %d", count);
        r = expect_array(c, (size_t)count, cmd);
        memset(seen, 0, sizeof(seen));
        for (size_t i = 0; i < r->elements; i++)
            assert_int_equal(seen[r->element[i]->str[1] - '0']++, 0);
        freeReplyObject(r);
        snprintf(cmd, sizeof(cmd), "HRANDFIELD h %d WITHVALUES", count);
        freeReplyObject(expect_array(c, (size_t)count * 2, cmd));
    }
    freeReplyObject(expect_array(c, 0, "HRANDFIELD h 0"));
}

static void test_hrandfield(void **state)
{
    th_server_t *s = *state;

    fill(s->ctx, "h", 10, "v");
    expect_encoding(s->ctx, "h", "listpack");
    check_randfield(s->ctx);
    th_expect_status(s->ctx, "OK", "CONFIG SET hash-max-listpack-entries 4");
    th_expect_int(s->ctx, 1, "DEL h");
    fill(s->ctx, "h", 10, "v");
    expect_encoding(s->ctx, "h", "hashtable");
    check_randfield(s->ctx);
    th_expect_status(s->ctx, "OK",
                     "CONFIG SET hash-max-listpack-entries 128");
    th_expect_nil(s->ctx, "HRANDFIELD nokey");
    freeReplyObject(expect_array(s->ctx, 0, "HRANDFIELD nokey 5"));
    freeReplyObject(expect_array(s->ctx, 0, "HRANDFIELD nokey -5 WITHVALUES"));
    th_expect_error(s->ctx, ERR_SYNTAX, "HRANDFIELD h 3 foo");
    th_expect_error(s->ctx, ERR_SYNTAX, "HRANDFIELD h 3 WITHVALUES x");
    th_expect_error(s->ctx, ERR_NOT_INT, "HRANDFIELD h abc");
    th_expect_error(s->ctx,
                    "ERR value is out of range, value must between "
                    "-9223372036854775807 and 9223372036854775807",
                    "HRANDFIELD h -9223372036854775808");
    th_expect_error(s->ctx, "ERR value is out of range",
                    "HRANDFIELD h -9223372036854770000 WITHVALUES");
}

/* Sparse picks in a big hashtable (count * 3 <= size). */
static void test_hrandfield_big(void **state)
{
    th_server_t *s = *state;
    redisReply *r;

    fill(s->ctx, "h", 300, "v");
    r = expect_array(s->ctx, 40, "HRANDFIELD h 20 WITHVALUES");
    for (size_t i = 0; i < 40; i += 2) {
        assert_string_equal(r->element[i]->str + 1,
                            r->element[i + 1]->str + 1);
        for (size_t j = 0; j < i; j += 2)
            assert_string_not_equal(r->element[i]->str, r->element[j]->str);
    }
    freeReplyObject(r);
}

/* ---------------------------------------------------------------------
 * HSCAN
 * ------------------------------------------------------------------ */

static void test_hscan_listpack(void **state)
{
    th_server_t *s = *state;
    redisReply *r;

    fill(s->ctx, "h", 20, "v");
    /* Whole listpack at once, cursor 0, whatever the cursor and COUNT. */
    r = expect_array(s->ctx, 2, "HSCAN h 0 COUNT 2");
    assert_string_equal(r->element[0]->str, "0");
    assert_int_equal(r->element[1]->elements, 40);
    assert_string_equal(r->element[1]->element[0]->str, "f0");
    assert_string_equal(r->element[1]->element[1]->str, "v0");
    freeReplyObject(r);
    r = expect_array(s->ctx, 2, "HSCAN h 0 MATCH f1*");
    assert_int_equal(r->element[1]->elements, 22); /* f1, f10..f19 */
    freeReplyObject(r);
    r = expect_array(s->ctx, 2, "HSCAN nokey 0");
    assert_string_equal(r->element[0]->str, "0");
    assert_int_equal(r->element[1]->elements, 0);
    freeReplyObject(r);
    th_expect_error(s->ctx, "ERR invalid cursor", "HSCAN h abc");
    th_expect_error(s->ctx, "ERR invalid cursor", "HSCAN h 1x");
    th_expect_error(s->ctx, ERR_SYNTAX, "HSCAN h 0 COUNT 0");
    th_expect_error(s->ctx, ERR_NOT_INT, "HSCAN h 0 COUNT x");
    th_expect_error(s->ctx, ERR_SYNTAX, "HSCAN h 0 MATCH");
    th_expect_error(s->ctx, ERR_SYNTAX, "HSCAN h 0 FOO bar");
}

static void test_hscan_hashtable(void **state)
{
    th_server_t *s = *state;
    char seen[500] = {0};
    char cursor[32] = "0";
    int calls = 0, total = 0;

    fill(s->ctx, "h", 500, "v");
    expect_encoding(s->ctx, "h", "hashtable");
    do {
        redisReply *r = th_cmd(s->ctx, "HSCAN h %s COUNT 20", cursor);

        assert_int_equal(r->type, REDIS_REPLY_ARRAY);
        snprintf(cursor, sizeof(cursor), "%s", r->element[0]->str);
        for (size_t i = 0; i < r->element[1]->elements; i += 2) {
            int n = atoi(r->element[1]->element[i]->str + 1);

            assert_string_equal(r->element[1]->element[i + 1]->str + 1,
                                r->element[1]->element[i]->str + 1);
            if (!seen[n]++)
                total++;
        }
        freeReplyObject(r);
        calls++;
    } while (strcmp(cursor, "0") != 0);
    assert_int_equal(total, 500);
    assert_true(calls > 1);
    /* MATCH over a full walk returns only matching fields. */
    strcpy(cursor, "0");
    total = 0;
    do {
        redisReply *r = th_cmd(s->ctx, "HSCAN h %s MATCH f4?? COUNT 50",
                               cursor);

        snprintf(cursor, sizeof(cursor), "%s", r->element[0]->str);
        for (size_t i = 0; i < r->element[1]->elements; i += 2) {
            assert_int_equal(r->element[1]->element[i]->str[1], '4');
            total++;
        }
        freeReplyObject(r);
    } while (strcmp(cursor, "0") != 0);
    assert_int_equal(total, 100);
}

/* ---------------------------------------------------------------------
 * RESP3 and COPY
 * ------------------------------------------------------------------ */

static void test_resp3_shapes(void **state)
{
    th_server_t *s = *state;
    int fd;

    th_expect_int(s->ctx, 2, "HSET h a 1 b 2");
    fd = resp3_connect(s);
    resp3_expect(fd, "HGETALL h", "%2\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n"
                                  "$1\r\n2\r\n");
    resp3_expect(fd, "HGETALL nokey", "%0\r\n");
    resp3_expect(fd, "HKEYS h", "*2\r\n$1\r\na\r\n$1\r\nb\r\n");
    resp3_expect(fd, "HRANDFIELD h 5 WITHVALUES",
                 "*2\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n*2\r\n$1\r\nb\r\n$1\r\n"
                 "2\r\n");
    resp3_expect(fd, "HRANDFIELD h 5", "*2\r\n$1\r\na\r\n$1\r\nb\r\n");
    resp3_expect(fd, "HRANDFIELD nokey", "_\r\n");
    resp3_expect(fd, "HRANDFIELD nokey 2", "*0\r\n");
    resp3_expect(fd, "HGET h zz", "_\r\n");
    resp3_expect(fd, "HSCAN h 0", "*2\r\n$1\r\n0\r\n*4\r\n$1\r\na\r\n$1\r\n"
                                  "1\r\n$1\r\nb\r\n$1\r\n2\r\n");
    close(fd);
    /* RESP2: flat arrays. */
    freeReplyObject(expect_array(s->ctx, 4, "HRANDFIELD h 5 WITHVALUES"));
    freeReplyObject(expect_array(s->ctx, 4, "HRANDFIELD h -2 WITHVALUES"));
}

static void test_copy_hash(void **state)
{
    th_server_t *s = *state;

    th_expect_int(s->ctx, 2, "HSET h a 1 b 2");
    th_expect_int(s->ctx, 1, "COPY h h2");
    expect_encoding(s->ctx, "h2", "listpack");
    th_expect_int(s->ctx, 1, "HSET h2 c 3");
    th_expect_int(s->ctx, 2, "HLEN h");
    th_expect_int(s->ctx, 3, "HLEN h2");
    fill(s->ctx, "big", 200, "v");
    th_expect_int(s->ctx, 1, "COPY big big2");
    expect_encoding(s->ctx, "big2", "hashtable");
    th_expect_int(s->ctx, 200, "HLEN big2");
    th_expect_str(s->ctx, "v123", "HGET big2 f123");
    th_expect_int(s->ctx, 1, "HDEL big f123");
    th_expect_str(s->ctx, "v123", "HGET big2 f123");
    th_expect_int(s->ctx, 0, "COPY h big2");
    th_expect_int(s->ctx, 1, "COPY h big2 REPLACE");
    expect_encoding(s->ctx, "big2", "listpack");
}

/* Per-test setup: a clean db and the default hash thresholds (a failed
 * test may have left others). */
static int hash_setup(void **state)
{
    th_server_t *s = *state;

    if (th_test_setup(state) != 0)
        return -1;
    th_expect_status(s->ctx, "OK",
                     "CONFIG SET hash-max-listpack-entries 128 "
                     "hash-max-listpack-value 64");
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_hset_hget_basic, hash_setup),
        cmocka_unit_test_setup(test_hset_hmset_arity, hash_setup),
        cmocka_unit_test_setup(test_hsetnx, hash_setup),
        cmocka_unit_test_setup(test_hmget, hash_setup),
        cmocka_unit_test_setup(test_hdel_and_empty_removal, hash_setup),
        cmocka_unit_test_setup(test_hstrlen_hexists, hash_setup),
        cmocka_unit_test_setup(test_hkeys_hvals_hgetall, hash_setup),
        cmocka_unit_test_setup(test_hincrby, hash_setup),
        cmocka_unit_test_setup(test_hincrbyfloat, hash_setup),
        cmocka_unit_test_setup(test_wrongtype, hash_setup),
        cmocka_unit_test_setup(test_encoding_default_thresholds,
                               hash_setup),
        cmocka_unit_test_setup(test_encoding_config_thresholds,
                               hash_setup),
        cmocka_unit_test_setup(test_binary_fields, hash_setup),
        cmocka_unit_test_setup(test_hrandfield, hash_setup),
        cmocka_unit_test_setup(test_hrandfield_big, hash_setup),
        cmocka_unit_test_setup(test_hscan_listpack, hash_setup),
        cmocka_unit_test_setup(test_hscan_hashtable, hash_setup),
        cmocka_unit_test_setup(test_resp3_shapes, hash_setup),
        cmocka_unit_test_setup(test_copy_hash, hash_setup),
    };

    return cmocka_run_group_tests(tests, th_group_setup, th_group_teardown);
}
