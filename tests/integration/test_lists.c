/*
 * test_lists.c - the non-blocking list commands against a real gencached:
 * LPUSH/RPUSH/LPUSHX/RPUSHX, LPOP/RPOP (with count), LLEN, LRANGE, LINDEX,
 * LSET, LINSERT, LREM, LTRIM, LPOS, RPOPLPUSH, LMOVE, LMPOP, COPY of a
 * list and list-max-listpack-size, with Redis 7.0.15's replies and error
 * texts (checked against redis-server), RESP2 and RESP3 null shapes,
 * WRONGTYPE both ways, removal of emptied lists, 10k-element lists and
 * binary values.
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

#define ERR_SYNTAX   "ERR syntax error"
#define ERR_NOT_INT  "ERR value is not an integer or out of range"
#define ERR_POSITIVE "ERR value is out of range, must be positive"
#define ERR_WRONGTYPE \
    "WRONGTYPE Operation against a key holding the wrong kind of value"

/* ---------------------------------------------------------------------
 * Helpers
 * ------------------------------------------------------------------ */

/* Assert r is an array of the n strings in want[], then free it. */
static void check_strs(redisReply *r, const char *const *want, size_t n)
{
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->elements, n);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(r->element[i]->type, REDIS_REPLY_STRING);
        assert_string_equal(r->element[i]->str, want[i]);
    }
    freeReplyObject(r);
}

/* Assert LRANGE key 0 -1 is exactly the NULL-terminated strings after
 * key. */
static void expect_list(redisContext *c, const char *key, ...)
{
    const char *want[64];
    size_t n = 0;
    va_list ap;

    va_start(ap, key);
    for (const char *s = va_arg(ap, const char *); s;
         s = va_arg(ap, const char *)) {
        want[n++] = s;
    }
    va_end(ap);
    check_strs(th_cmd(c, "LRANGE %s 0 -1", key), want, n);
}

/* Assert the reply of cmd (a fixed command line, no format) is an array
 * of exactly the NULL-terminated strings after it. */
static void expect_strs(redisContext *c, const char *cmd, ...)
{
    const char *want[64];
    size_t n = 0;
    va_list ap;

    va_start(ap, cmd);
    for (const char *s = va_arg(ap, const char *); s;
         s = va_arg(ap, const char *)) {
        want[n++] = s;
    }
    va_end(ap);
    check_strs(th_cmd(c, cmd), want, n);
}

/* Assert the reply of cmd is an array of the n integers in want[]. */
static void expect_ints(redisContext *c, const char *cmd, const long long *want,
                        size_t n)
{
    redisReply *r = th_cmd(c, cmd);

    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->elements, n);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(r->element[i]->type, REDIS_REPLY_INTEGER);
        assert_int_equal(r->element[i]->integer, want[i]);
    }
    freeReplyObject(r);
}

/* Assert the reply of cmd is an empty array. */
static void expect_empty_array(redisContext *c, const char *cmd)
{
    redisReply *r = th_cmd(c, cmd);

    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->elements, 0);
    freeReplyObject(r);
}

/* Send raw bytes on a fresh socket and assert the bytes read back are
 * exactly want. */
static void expect_raw(const th_server_t *s, const char *send, const char *want)
{
    char buf[4096];
    int closed = 0;
    int fd = th_raw_connect(s);
    size_t n;

    th_raw_send(fd, send, strlen(send));
    n = th_raw_read(fd, buf, sizeof(buf), strlen(want), 2000, &closed);
    close(fd);
    buf[n] = '\0';
    assert_string_equal(buf, want);
}

/* The reply of cmd as an integer (asserting the type). */
static long long cmd_int(redisContext *c, const char *cmd)
{
    redisReply *r = th_cmd(c, cmd);
    long long v;

    assert_int_equal(r->type, REDIS_REPLY_INTEGER);
    v = r->integer;
    freeReplyObject(r);
    return v;
}

/* ---------------------------------------------------------------------
 * Push and pop
 * ------------------------------------------------------------------ */

static void test_push_basic(void **state)
{
    th_server_t *s = *state;

    th_expect_int(s->ctx, 1, "LPUSH l a");
    th_expect_int(s->ctx, 3, "LPUSH l b c");
    th_expect_int(s->ctx, 5, "RPUSH l d e");
    expect_list(s->ctx, "l", "c", "b", "a", "d", "e", NULL);
    th_expect_int(s->ctx, 5, "LLEN l");
    th_expect_int(s->ctx, 0, "LLEN nolist");
    th_expect_status(s->ctx, "list", "TYPE l");
    th_expect_str(s->ctx, "quicklist", "OBJECT ENCODING l");
    th_expect_int(s->ctx, 3, "RPUSH n 1 -2 123456789012");
    expect_list(s->ctx, "n", "1", "-2", "123456789012", NULL);
}

static void test_pushx(void **state)
{
    th_server_t *s = *state;

    th_expect_int(s->ctx, 0, "LPUSHX l a");
    th_expect_int(s->ctx, 0, "RPUSHX l a b");
    th_expect_int(s->ctx, 0, "EXISTS l");
    th_expect_int(s->ctx, 1, "RPUSH l m");
    th_expect_int(s->ctx, 3, "LPUSHX l b a");
    th_expect_int(s->ctx, 5, "RPUSHX l y z");
    expect_list(s->ctx, "l", "a", "b", "m", "y", "z", NULL);
    th_expect_error(s->ctx,
                    "ERR wrong number of arguments for 'lpushx' command",
                    "LPUSHX l");
    th_expect_error(s->ctx, "ERR wrong number of arguments for 'rpush' command",
                    "RPUSH l");
}

static void test_pop_single(void **state)
{
    th_server_t *s = *state;

    th_expect_int(s->ctx, 4, "RPUSH l a b c 42");
    th_expect_str(s->ctx, "a", "LPOP l");
    th_expect_str(s->ctx, "42", "RPOP l");
    th_expect_str(s->ctx, "b", "LPOP l");
    th_expect_str(s->ctx, "c", "RPOP l");
    th_expect_int(s->ctx, 0, "EXISTS l");
    th_expect_nil(s->ctx, "LPOP l");
    th_expect_nil(s->ctx, "RPOP l");
}

static void test_pop_count(void **state)
{
    th_server_t *s = *state;

    th_expect_int(s->ctx, 6, "RPUSH l a b c d e f");
    expect_strs(s->ctx, "LPOP l 2", "a", "b", NULL);
    expect_strs(s->ctx, "RPOP l 2", "f", "e", NULL);
    expect_empty_array(s->ctx, "LPOP l 0");
    expect_empty_array(s->ctx, "RPOP l 0");
    expect_strs(s->ctx, "RPOP l 100", "d", "c", NULL);
    th_expect_int(s->ctx, 0, "EXISTS l");
    th_expect_int(s->ctx, 2, "RPUSH l a b");
    expect_strs(s->ctx, "LPOP l 5", "a", "b", NULL);
    th_expect_int(s->ctx, 0, "EXISTS l");
    th_expect_error(s->ctx, ERR_POSITIVE, "LPOP l -1");
    th_expect_error(s->ctx, ERR_POSITIVE, "RPOP l abc");
    th_expect_error(s->ctx, "ERR wrong number of arguments for 'lpop' command",
                    "LPOP l 1 2");
    th_expect_error(s->ctx, "ERR wrong number of arguments for 'rpop' command",
                    "RPOP");
}

static void test_pop_null_shapes(void **state)
{
    th_server_t *s = *state;

    /* RESP2: a missing key is a null bulk without count, a null array
     * with one (even 0); an existing key with count 0 an empty array. */
    expect_raw(s, "LPOP nokey\r\n", "$-1\r\n");
    expect_raw(s, "LPOP nokey 1\r\n", "*-1\r\n");
    expect_raw(s, "RPOP nokey 0\r\n", "*-1\r\n");
    expect_raw(s, "LMPOP 1 nokey LEFT\r\n", "*-1\r\n");
    expect_raw(s, "LPOS nokey a\r\n", "$-1\r\n");
    expect_raw(s, "LPOS nokey a COUNT 0\r\n", "*0\r\n");
    expect_raw(s, "LINDEX nokey 0\r\n", "$-1\r\n");
    expect_raw(s, "RPOPLPUSH nokey x\r\n", "$-1\r\n");
    expect_raw(s, "LRANGE nokey 0 -1\r\n", "*0\r\n");
    th_expect_int(s->ctx, 1, "RPUSH l a");
    expect_raw(s, "LPOP l 0\r\n", "*0\r\n");
}

/* RESP3 null replies, byte-exact: the HELLO map is skipped by reading
 * up to the last "_" lines. */
static void test_pop_null_resp3_bytes(void **state)
{
    th_server_t *s = *state;
    char buf[4096];
    int closed = 0;
    int fd = th_raw_connect(s);
    const char *send = "HELLO 3\r\nLPOP nokey\r\nLPOP nokey 1\r\n"
                       "LMPOP 1 nokey RIGHT\r\nLINDEX nokey 0\r\n"
                       "PING\r\n";
    size_t n;
    const char *tail = "_\r\n_\r\n_\r\n_\r\n+PONG\r\n";
    char *end;

    th_raw_send(fd, send, strlen(send));
    n = 0;
    for (int i = 0; i < 50; i++) {
        n += th_raw_read(fd, buf + n, sizeof(buf) - n, 1, 100, &closed);
        buf[n] = '\0';
        end = strstr(buf, "+PONG\r\n");
        if (end) {
            break;
        }
    }
    close(fd);
    assert_true(n >= strlen(tail));
    assert_string_equal(buf + n - strlen(tail), tail);
}

/* ---------------------------------------------------------------------
 * LRANGE, LINDEX, LSET
 * ------------------------------------------------------------------ */

static void test_lrange(void **state)
{
    th_server_t *s = *state;

    th_expect_int(s->ctx, 5, "RPUSH l a b c d e");
    expect_strs(s->ctx, "LRANGE l 1 2", "b", "c", NULL);
    expect_strs(s->ctx, "LRANGE l -2 -1", "d", "e", NULL);
    expect_strs(s->ctx, "LRANGE l -100 100", "a", "b", "c", "d", "e", NULL);
    expect_empty_array(s->ctx, "LRANGE l 3 1");
    expect_empty_array(s->ctx, "LRANGE l 5 10");
    expect_empty_array(s->ctx, "LRANGE l -100 -10");
    expect_empty_array(s->ctx, "LRANGE nokey 0 -1");
    th_expect_error(s->ctx, ERR_NOT_INT, "LRANGE l a 1");
    th_expect_error(s->ctx, ERR_NOT_INT, "LRANGE nokey 0 b");
}

static void test_lindex(void **state)
{
    th_server_t *s = *state;

    th_expect_int(s->ctx, 3, "RPUSH l a b 7");
    th_expect_str(s->ctx, "a", "LINDEX l 0");
    th_expect_str(s->ctx, "7", "LINDEX l -1");
    th_expect_str(s->ctx, "b", "LINDEX l -2");
    th_expect_nil(s->ctx, "LINDEX l 3");
    th_expect_nil(s->ctx, "LINDEX l -4");
    th_expect_error(s->ctx, ERR_NOT_INT, "LINDEX l abc");
    /* A missing key answers null before the index is parsed. */
    th_expect_nil(s->ctx, "LINDEX nokey abc");
}

static void test_lset(void **state)
{
    th_server_t *s = *state;

    th_expect_int(s->ctx, 3, "RPUSH l a b c");
    th_expect_status(s->ctx, "OK", "LSET l 0 x");
    th_expect_status(s->ctx, "OK", "LSET l -1 99");
    expect_list(s->ctx, "l", "x", "b", "99", NULL);
    th_expect_error(s->ctx, "ERR index out of range", "LSET l 3 z");
    th_expect_error(s->ctx, "ERR index out of range", "LSET l -4 z");
    th_expect_error(s->ctx, ERR_NOT_INT, "LSET l abc z");
    th_expect_error(s->ctx, "ERR no such key", "LSET nokey 0 z");
    th_expect_error(s->ctx, "ERR no such key", "LSET nokey abc z");
}

/* ---------------------------------------------------------------------
 * LINSERT, LREM, LTRIM
 * ------------------------------------------------------------------ */

static void test_linsert(void **state)
{
    th_server_t *s = *state;

    th_expect_int(s->ctx, 3, "RPUSH l a b c");
    th_expect_int(s->ctx, 4, "LINSERT l BEFORE b x");
    th_expect_int(s->ctx, 5, "LINSERT l after c y");
    th_expect_int(s->ctx, 6, "LINSERT l before a 0");
    expect_list(s->ctx, "l", "0", "a", "x", "b", "c", "y", NULL);
    th_expect_int(s->ctx, -1, "LINSERT l BEFORE zz q");
    th_expect_int(s->ctx, 0, "LINSERT nokey BEFORE a q");
    th_expect_int(s->ctx, 0, "EXISTS nokey");
    th_expect_error(s->ctx, ERR_SYNTAX, "LINSERT l MIDDLE a q");
    th_expect_error(s->ctx, ERR_SYNTAX, "LINSERT nokey MIDDLE a q");
    /* Integer pivots match their decimal text. */
    th_expect_int(s->ctx, 7, "LINSERT l AFTER 0 1");
    th_expect_str(s->ctx, "1", "LINDEX l 1");
}

static void test_lrem(void **state)
{
    th_server_t *s = *state;

    th_expect_int(s->ctx, 7, "RPUSH l a b a c a d a");
    th_expect_int(s->ctx, 2, "LREM l 2 a");
    expect_list(s->ctx, "l", "b", "c", "a", "d", "a", NULL);
    th_expect_int(s->ctx, 1, "LREM l -1 a");
    expect_list(s->ctx, "l", "b", "c", "a", "d", NULL);
    th_expect_int(s->ctx, 0, "LREM l 0 zz");
    th_expect_int(s->ctx, 1, "LREM l 0 a");
    th_expect_int(s->ctx, 0, "LREM nokey 1 a");
    th_expect_error(s->ctx, ERR_NOT_INT, "LREM l abc a");
    th_expect_error(s->ctx, ERR_NOT_INT, "LREM nokey abc a");
    th_expect_int(s->ctx, 1, "LREM l 0 b");
    expect_list(s->ctx, "l", "c", "d", NULL);
    th_expect_int(s->ctx, 2, "RPUSH r x x");
    th_expect_int(s->ctx, 2, "LREM r 0 x");
    th_expect_int(s->ctx, 0, "EXISTS r");
}

static void test_ltrim(void **state)
{
    th_server_t *s = *state;

    th_expect_int(s->ctx, 5, "RPUSH l a b c d e");
    th_expect_status(s->ctx, "OK", "LTRIM l 1 -2");
    expect_list(s->ctx, "l", "b", "c", "d", NULL);
    th_expect_status(s->ctx, "OK", "LTRIM l -100 100");
    expect_list(s->ctx, "l", "b", "c", "d", NULL);
    th_expect_status(s->ctx, "OK", "LTRIM l 0 0");
    expect_list(s->ctx, "l", "b", NULL);
    th_expect_status(s->ctx, "OK", "LTRIM l 5 10");
    th_expect_int(s->ctx, 0, "EXISTS l");
    th_expect_status(s->ctx, "OK", "LTRIM nokey 0 1");
    th_expect_int(s->ctx, 0, "EXISTS nokey");
    th_expect_error(s->ctx, ERR_NOT_INT, "LTRIM l a 1");
    th_expect_error(s->ctx, ERR_NOT_INT, "LTRIM l 0 b");
    th_expect_int(s->ctx, 2, "RPUSH l a b");
    th_expect_status(s->ctx, "OK", "LTRIM l 1 0");
    th_expect_int(s->ctx, 0, "EXISTS l");
}

/* ---------------------------------------------------------------------
 * LPOS
 * ------------------------------------------------------------------ */

static void test_lpos(void **state)
{
    th_server_t *s = *state;
    static const long long all_c[] = {2, 6, 7};
    static const long long two_c[] = {2, 6};
    static const long long back_c[] = {6, 2};
    static const long long one_c[] = {2};

    th_expect_int(s->ctx, 8, "RPUSH l a b c 1 2 3 c c");
    th_expect_int(s->ctx, 2, "LPOS l c");
    th_expect_int(s->ctx, 6, "LPOS l c RANK 2");
    th_expect_int(s->ctx, 7, "LPOS l c RANK -1");
    th_expect_int(s->ctx, 2, "LPOS l c RANK -3");
    th_expect_nil(s->ctx, "LPOS l c RANK 4");
    th_expect_int(s->ctx, 3, "LPOS l 1");
    th_expect_nil(s->ctx, "LPOS l zz");
    expect_ints(s->ctx, "LPOS l c COUNT 0", all_c, 3);
    expect_ints(s->ctx, "LPOS l c COUNT 2", two_c, 2);
    expect_ints(s->ctx, "LPOS l c RANK -2 COUNT 0", back_c, 2);
    th_expect_int(s->ctx, 2, "LPOS l c MAXLEN 3");
    th_expect_nil(s->ctx, "LPOS l c MAXLEN 2");
    expect_ints(s->ctx, "LPOS l c MAXLEN 3 COUNT 0", one_c, 1);
    expect_empty_array(s->ctx, "LPOS l zz COUNT 0");
    expect_empty_array(s->ctx, "LPOS nokey c COUNT 1");
    th_expect_nil(s->ctx, "LPOS nokey c");
    th_expect_error(s->ctx,
                    "ERR RANK can't be zero: use 1 to start from the first "
                    "match, 2 from the second ... or use negative to start "
                    "from the end of the list",
                    "LPOS l c RANK 0");
    th_expect_error(s->ctx, "ERR COUNT can't be negative", "LPOS l c COUNT -1");
    th_expect_error(s->ctx, "ERR COUNT can't be negative",
                    "LPOS l c COUNT abc");
    th_expect_error(s->ctx, "ERR MAXLEN can't be negative",
                    "LPOS l c MAXLEN -1");
    th_expect_error(s->ctx, ERR_NOT_INT, "LPOS l c RANK abc");
    th_expect_error(s->ctx, ERR_SYNTAX, "LPOS l c FOO");
    th_expect_error(s->ctx, ERR_SYNTAX, "LPOS l c RANK");
    /* Options are checked before the key. */
    th_expect_error(s->ctx, ERR_SYNTAX, "LPOS nokey c FOO 1");
}

/* ---------------------------------------------------------------------
 * RPOPLPUSH, LMOVE, LMPOP
 * ------------------------------------------------------------------ */

static void test_rpoplpush(void **state)
{
    th_server_t *s = *state;

    th_expect_int(s->ctx, 3, "RPUSH src a b c");
    th_expect_str(s->ctx, "c", "RPOPLPUSH src dst");
    th_expect_str(s->ctx, "b", "RPOPLPUSH src dst");
    expect_list(s->ctx, "dst", "b", "c", NULL);
    th_expect_str(s->ctx, "a", "RPOPLPUSH src dst");
    th_expect_int(s->ctx, 0, "EXISTS src");
    expect_list(s->ctx, "dst", "a", "b", "c", NULL);
    th_expect_nil(s->ctx, "RPOPLPUSH src dst");
    /* Rotation on one key. */
    th_expect_str(s->ctx, "c", "RPOPLPUSH dst dst");
    expect_list(s->ctx, "dst", "c", "a", "b", NULL);
    th_expect_int(s->ctx, 1, "RPUSH one x");
    th_expect_str(s->ctx, "x", "RPOPLPUSH one one");
    expect_list(s->ctx, "one", "x", NULL);
}

static void test_lmove(void **state)
{
    th_server_t *s = *state;

    th_expect_int(s->ctx, 4, "RPUSH src a b c d");
    th_expect_str(s->ctx, "a", "LMOVE src dst LEFT RIGHT");
    th_expect_str(s->ctx, "b", "LMOVE src dst left right");
    th_expect_str(s->ctx, "d", "LMOVE src dst RIGHT LEFT");
    th_expect_str(s->ctx, "c", "LMOVE src dst RIGHT RIGHT");
    expect_list(s->ctx, "dst", "d", "a", "b", "c", NULL);
    th_expect_int(s->ctx, 0, "EXISTS src");
    th_expect_str(s->ctx, "d", "LMOVE dst dst LEFT RIGHT");
    expect_list(s->ctx, "dst", "a", "b", "c", "d", NULL);
    th_expect_nil(s->ctx, "LMOVE nokey dst LEFT LEFT");
    th_expect_error(s->ctx, ERR_SYNTAX, "LMOVE dst x UP LEFT");
    th_expect_error(s->ctx, ERR_SYNTAX, "LMOVE dst x LEFT DOWN");
    th_expect_error(s->ctx, ERR_SYNTAX, "LMOVE nokey x LEFT DOWN");
}

/* Assert an LMPOP reply: [key, [elements...]]. */
static void expect_mpop(redisContext *c, const char *cmd, const char *key,
                        const char *const *els, size_t n)
{
    redisReply *r = th_cmd(c, cmd);

    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->elements, 2);
    assert_string_equal(r->element[0]->str, key);
    assert_int_equal(r->element[1]->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->element[1]->elements, n);
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(r->element[1]->element[i]->str, els[i]);
    }
    freeReplyObject(r);
}

static void test_lmpop(void **state)
{
    th_server_t *s = *state;
    static const char *const a[] = {"a"};
    static const char *const ed[] = {"e", "d"};
    static const char *const bc[] = {"b", "c"};
    static const char *const xy[] = {"x", "y"};

    th_expect_int(s->ctx, 5, "RPUSH l1 a b c d e");
    th_expect_int(s->ctx, 2, "RPUSH l2 x y");
    expect_mpop(s->ctx, "LMPOP 2 nokey l1 LEFT", "l1", a, 1);
    expect_mpop(s->ctx, "LMPOP 1 l1 RIGHT COUNT 2", "l1", ed, 2);
    expect_mpop(s->ctx, "LMPOP 2 l1 l2 left count 10", "l1", bc, 2);
    th_expect_int(s->ctx, 0, "EXISTS l1");
    expect_mpop(s->ctx, "LMPOP 2 l1 l2 LEFT COUNT 5", "l2", xy, 2);
    th_expect_int(s->ctx, 0, "EXISTS l2");
    th_expect_nil(s->ctx, "LMPOP 2 l1 l2 LEFT");
    th_expect_error(s->ctx, "ERR numkeys should be greater than 0",
                    "LMPOP 0 l LEFT");
    th_expect_error(s->ctx, "ERR numkeys should be greater than 0",
                    "LMPOP -1 l LEFT");
    th_expect_error(s->ctx, "ERR numkeys should be greater than 0",
                    "LMPOP abc l LEFT");
    th_expect_error(s->ctx, ERR_SYNTAX, "LMPOP 2 l LEFT");
    th_expect_error(s->ctx, ERR_SYNTAX, "LMPOP 9223372036854775807 l LEFT");
    th_expect_error(s->ctx, ERR_SYNTAX, "LMPOP 1 l MIDDLE");
    th_expect_error(s->ctx, "ERR count should be greater than 0",
                    "LMPOP 1 l LEFT COUNT 0");
    th_expect_error(s->ctx, "ERR count should be greater than 0",
                    "LMPOP 1 l LEFT COUNT abc");
    th_expect_error(s->ctx, ERR_SYNTAX, "LMPOP 1 l LEFT COUNT 1 COUNT 1");
    th_expect_error(s->ctx, ERR_SYNTAX, "LMPOP 1 l LEFT COUNT");
    th_expect_error(s->ctx, ERR_SYNTAX, "LMPOP 1 l LEFT FOO");
    th_expect_error(s->ctx, "ERR wrong number of arguments for 'lmpop' command",
                    "LMPOP 1 l");
}

/* ---------------------------------------------------------------------
 * Types, emptiness, COPY, config, size and binary data
 * ------------------------------------------------------------------ */

static void test_wrongtype(void **state)
{
    th_server_t *s = *state;
    static const char *const on_string[] = {
        "LPUSH s a",
        "RPUSH s a",
        "LPUSHX s a",
        "RPUSHX s a",
        "LPOP s",
        "RPOP s",
        "LPOP s 1",
        "LLEN s",
        "LRANGE s 0 -1",
        "LINDEX s 0",
        "LSET s 0 a",
        "LINSERT s BEFORE a b",
        "LREM s 0 a",
        "LTRIM s 0 1",
        "LPOS s a",
        "RPOPLPUSH s l",
        "RPOPLPUSH l s",
        "LMOVE s l LEFT LEFT",
        "LMOVE l s LEFT LEFT",
        "LMPOP 1 s LEFT",
        "LMPOP 2 nokey s RIGHT",
    };

    th_expect_status(s->ctx, "OK", "SET s v");
    th_expect_int(s->ctx, 2, "RPUSH l x y");
    for (size_t i = 0; i < sizeof(on_string) / sizeof(on_string[0]); i++) {
        th_expect_error(s->ctx, ERR_WRONGTYPE, on_string[i]);
    }
    /* Nothing moved when the destination had the wrong type. */
    th_expect_int(s->ctx, 2, "LLEN l");
    th_expect_str(s->ctx, "v", "GET s");
    /* The other way: string commands on a list. */
    th_expect_error(s->ctx, ERR_WRONGTYPE, "GET l");
    th_expect_error(s->ctx, ERR_WRONGTYPE, "APPEND l x");
    th_expect_error(s->ctx, ERR_WRONGTYPE, "INCR l");
    th_expect_error(s->ctx, ERR_WRONGTYPE, "STRLEN l");
    /* SET replaces a list. */
    th_expect_status(s->ctx, "OK", "SET l v");
    th_expect_status(s->ctx, "string", "TYPE l");
}

static void test_copy_list(void **state)
{
    th_server_t *s = *state;

    th_expect_int(s->ctx, 4, "RPUSH l a 1 b 2");
    th_expect_int(s->ctx, 1, "COPY l c");
    expect_list(s->ctx, "c", "a", "1", "b", "2", NULL);
    th_expect_int(s->ctx, 5, "RPUSH l z");
    th_expect_int(s->ctx, 4, "LLEN c"); /* a deep copy */
    th_expect_int(s->ctx, 0, "COPY l c");
    th_expect_int(s->ctx, 1, "COPY l c REPLACE");
    th_expect_int(s->ctx, 5, "LLEN c");
    th_expect_int(s->ctx, 1, "COPY l c2 DB 1");
    th_expect_status(s->ctx, "OK", "SELECT 1");
    expect_list(s->ctx, "c2", "a", "1", "b", "2", "z", NULL);
    th_expect_status(s->ctx, "OK", "SELECT 0");
}

static void test_large_list(void **state)
{
    th_server_t *s = *state;
    char want[32];
    redisReply *r;

    for (int i = 0; i < 10000; i++) {
        redisAppendCommand(s->ctx, "RPUSH big %d", i);
    }
    for (int i = 0; i < 10000; i++) {
        assert_int_equal(redisGetReply(s->ctx, (void **)&r), REDIS_OK);
        assert_int_equal(r->integer, i + 1);
        freeReplyObject(r);
    }
    th_expect_int(s->ctx, 10000, "LLEN big");
    th_expect_str(s->ctx, "0", "LINDEX big 0");
    th_expect_str(s->ctx, "5000", "LINDEX big 5000");
    th_expect_str(s->ctx, "9999", "LINDEX big -1");
    r = th_cmd(s->ctx, "LRANGE big 0 -1");
    assert_int_equal(r->elements, 10000);
    for (int i = 0; i < 10000; i++) {
        snprintf(want, sizeof(want), "%d", i);
        assert_string_equal(r->element[i]->str, want);
    }
    freeReplyObject(r);
    th_expect_int(s->ctx, 7777, "LPOS big 7777");
    th_expect_int(s->ctx, 10001, "LINSERT big AFTER 4999 mid");
    th_expect_str(s->ctx, "mid", "LINDEX big 5000");
    th_expect_status(s->ctx, "OK", "LSET big 9000 changed");
    th_expect_str(s->ctx, "changed", "LINDEX big 9000");
    th_expect_int(s->ctx, 1, "LREM big 0 mid");
    r = th_cmd(s->ctx, "RPOP big 3000");
    assert_int_equal(r->elements, 3000);
    assert_string_equal(r->element[0]->str, "9999");
    assert_string_equal(r->element[2999]->str, "7000");
    freeReplyObject(r);
    th_expect_status(s->ctx, "OK", "LTRIM big 1000 -1001");
    th_expect_int(s->ctx, 5000, "LLEN big");
    th_expect_str(s->ctx, "1000", "LINDEX big 0");
    th_expect_str(s->ctx, "5999", "LINDEX big -1");
    th_expect_int(s->ctx, 1, "COPY big big2");
    th_expect_int(s->ctx, 5000, "LLEN big2");
    th_expect_str(s->ctx, "3000", "LINDEX big2 2000");
    r = th_cmd(s->ctx, "LPOP big 6000");
    assert_int_equal(r->elements, 5000);
    freeReplyObject(r);
    th_expect_int(s->ctx, 0, "EXISTS big");
}

static void test_binary_values(void **state)
{
    th_server_t *s = *state;
    const char bin[] = "a\0b\r\n\xff";
    size_t blen = sizeof(bin) - 1;
    char big[5000];
    redisReply *r;

    memset(big, 'x', sizeof(big));
    big[10] = '\0';
    freeReplyObject(th_cmd(s->ctx, "RPUSH l %b %b %b", bin, blen, "", (size_t)0,
                           big, sizeof(big)));
    th_expect_int(s->ctx, 3, "LLEN l");
    r = th_cmd(s->ctx, "LINDEX l 0");
    assert_int_equal(r->len, blen);
    assert_memory_equal(r->str, bin, blen);
    freeReplyObject(r);
    r = th_cmd(s->ctx, "LINDEX l 1");
    assert_int_equal(r->type, REDIS_REPLY_STRING);
    assert_int_equal(r->len, 0);
    freeReplyObject(r);
    r = th_cmd(s->ctx, "LINDEX l 2");
    assert_int_equal(r->len, sizeof(big));
    assert_memory_equal(r->str, big, sizeof(big));
    freeReplyObject(r);
    th_expect_int(s->ctx, 0, "LPOS l %b", bin, blen);
    th_expect_int(s->ctx, 4, "LINSERT l AFTER %b %b", bin, blen, bin, blen);
    th_expect_int(s->ctx, 2, "LREM l 0 %b", bin, blen);
    r = th_cmd(s->ctx, "RPOP l");
    assert_int_equal(r->len, sizeof(big));
    assert_memory_equal(r->str, big, sizeof(big));
    freeReplyObject(r);
    /* Integer-looking values keep their exact text. */
    th_expect_int(s->ctx, 3, "RPUSH n 007 -0 9223372036854775808");
    expect_list(s->ctx, "n", "007", "-0", "9223372036854775808", NULL);
}

/* list-max-listpack-size (alias list-max-ziplist-size) reaches the heap:
 * with one element per node the same list takes more memory (DEBUG
 * OBJECT's serializedlength is the memory of non-strings). */
static void test_listpack_size_config(void **state)
{
    th_server_t *s = *state;
    static const char *const args[] = {"--enable-debug-command", "yes", NULL};
    th_server_t d;
    long long small, wide;
    redisReply *r;
    char *p;

    (void)s;
    assert_int_equal(th_server_start(&d, args), 0);
    d.ctx = th_connect(&d);
    r = th_cmd(d.ctx, "CONFIG SET list-max-listpack-size 1");
    assert_int_equal(r->type, REDIS_REPLY_STATUS);
    freeReplyObject(r);
    r = th_cmd(d.ctx, "CONFIG GET list-max-ziplist-size");
    assert_string_equal(r->element[1]->str, "1");
    freeReplyObject(r);
    for (int i = 0; i < 200; i++) {
        freeReplyObject(th_cmd(d.ctx, "RPUSH one x%d", i));
    }
    th_expect_status(d.ctx, "OK", "CONFIG SET list-max-ziplist-size -2");
    for (int i = 0; i < 200; i++) {
        freeReplyObject(th_cmd(d.ctx, "RPUSH two x%d", i));
    }
    r = th_cmd(d.ctx, "DEBUG OBJECT one");
    p = strstr(r->str, "serializedlength:");
    assert_non_null(p);
    small = atoll(p + strlen("serializedlength:"));
    freeReplyObject(r);
    r = th_cmd(d.ctx, "DEBUG OBJECT two");
    p = strstr(r->str, "serializedlength:");
    assert_non_null(p);
    wide = atoll(p + strlen("serializedlength:"));
    freeReplyObject(r);
    assert_true(small > 2 * wide);
    th_expect_int(d.ctx, 200, "LLEN one");
    th_expect_str(d.ctx, "x199", "LINDEX one -1");
    th_server_stop(&d);
}

/* List writes keep the key's TTL; the last pop removes key and TTL. */
static void test_ttl_kept(void **state)
{
    th_server_t *s = *state;

    th_expect_int(s->ctx, 2, "RPUSH l a b");
    th_expect_int(s->ctx, 1, "EXPIRE l 100");
    th_expect_int(s->ctx, 3, "RPUSH l c");
    assert_true(cmd_int(s->ctx, "TTL l") > 0);
    th_expect_str(s->ctx, "a", "LPOP l");
    th_expect_status(s->ctx, "OK", "LSET l 0 z");
    assert_true(cmd_int(s->ctx, "TTL l") > 0);
    expect_strs(s->ctx, "LPOP l 5", "z", "c", NULL);
    th_expect_int(s->ctx, 1, "RPUSH l a");
    th_expect_int(s->ctx, -1, "TTL l");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_push_basic, th_test_setup),
        cmocka_unit_test_setup(test_pushx, th_test_setup),
        cmocka_unit_test_setup(test_pop_single, th_test_setup),
        cmocka_unit_test_setup(test_pop_count, th_test_setup),
        cmocka_unit_test_setup(test_pop_null_shapes, th_test_setup),
        cmocka_unit_test_setup(test_pop_null_resp3_bytes, th_test_setup),
        cmocka_unit_test_setup(test_lrange, th_test_setup),
        cmocka_unit_test_setup(test_lindex, th_test_setup),
        cmocka_unit_test_setup(test_lset, th_test_setup),
        cmocka_unit_test_setup(test_linsert, th_test_setup),
        cmocka_unit_test_setup(test_lrem, th_test_setup),
        cmocka_unit_test_setup(test_ltrim, th_test_setup),
        cmocka_unit_test_setup(test_lpos, th_test_setup),
        cmocka_unit_test_setup(test_rpoplpush, th_test_setup),
        cmocka_unit_test_setup(test_lmove, th_test_setup),
        cmocka_unit_test_setup(test_lmpop, th_test_setup),
        cmocka_unit_test_setup(test_wrongtype, th_test_setup),
        cmocka_unit_test_setup(test_copy_list, th_test_setup),
        cmocka_unit_test_setup(test_large_list, th_test_setup),
        cmocka_unit_test_setup(test_binary_values, th_test_setup),
        cmocka_unit_test_setup(test_listpack_size_config, th_test_setup),
        cmocka_unit_test_setup(test_ttl_kept, th_test_setup),
    };

    return cmocka_run_group_tests(tests, th_group_setup, th_group_teardown);
}
