/*
 * test_keys.c - the generic key commands against a real gencached: DEL,
 * UNLINK, EXISTS, TYPE, RENAME(NX), COPY, MOVE, TOUCH, KEYS, SCAN,
 * RANDOMKEY and OBJECT, with Redis 7.0's replies and error texts.
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

#define NKEYS 10000

/* Send n pipelined "SET key:<i> <i>" for i in [0, n) and check replies. */
static void populate(redisContext *c, int n)
{
    redisReply *r;

    for (int i = 0; i < n; i++) {
        redisAppendCommand(c, "SET key:%d %d", i, i);
    }
    for (int i = 0; i < n; i++) {
        assert_int_equal(redisGetReply(c, (void **)&r), REDIS_OK);
        assert_int_equal(r->type, REDIS_REPLY_STATUS);
        freeReplyObject(r);
    }
}

/* Count of elements of an array reply to a command (asserts an array). */
static size_t array_count(redisContext *c, const char *cmd)
{
    redisReply *r = th_cmd(c, cmd);
    size_t n;

    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    n = r->elements;
    freeReplyObject(r);
    return n;
}

static void test_keys_del_unlink_count(void **state)
{
    th_server_t *s = *state;

    th_expect_status(s->ctx, "OK", "MSET a 1 b 2 c 3");
    th_expect_int(s->ctx, 2, "DEL a b nosuch");
    th_expect_int(s->ctx, 1, "DEL c c");
    th_expect_int(s->ctx, 0, "DEL a");
    th_expect_status(s->ctx, "OK", "MSET a 1 b 2");
    th_expect_int(s->ctx, 2, "UNLINK a b x");
    th_expect_int(s->ctx, 0, "DBSIZE");
    th_expect_error(s->ctx,
                    "ERR wrong number of arguments for 'del' command", "DEL");
}

static void test_keys_exists_type(void **state)
{
    th_server_t *s = *state;

    th_expect_status(s->ctx, "OK", "SET a 1");
    th_expect_int(s->ctx, 3, "EXISTS a a nosuch a");
    th_expect_int(s->ctx, 0, "EXISTS nosuch");
    th_expect_status(s->ctx, "string", "TYPE a");
    th_expect_status(s->ctx, "none", "TYPE nosuch");
}

static void test_keys_binary_names(void **state)
{
    th_server_t *s = *state;
    const char k1[] = "a\0b", k2[] = "a\0c";
    redisReply *r;

    th_expect_status(s->ctx, "OK", "SET %b v1", k1, (size_t)3);
    th_expect_int(s->ctx, 1, "EXISTS %b", k1, (size_t)3);
    th_expect_int(s->ctx, 0, "EXISTS a");
    th_expect_status(s->ctx, "OK", "RENAME %b %b", k1, (size_t)3, k2,
                     (size_t)3);
    r = th_cmd(s->ctx, "KEYS *");
    assert_int_equal(r->elements, 1);
    assert_int_equal(r->element[0]->len, 3);
    assert_memory_equal(r->element[0]->str, k2, 3);
    freeReplyObject(r);
    th_expect_int(s->ctx, 1, "DEL %b", k2, (size_t)3);
}

static void test_keys_rename(void **state)
{
    th_server_t *s = *state;

    th_expect_error(s->ctx, "ERR no such key", "RENAME nosuch x");
    th_expect_error(s->ctx, "ERR no such key", "RENAME nosuch nosuch");
    th_expect_error(s->ctx, "ERR no such key", "RENAMENX nosuch x");
    th_expect_status(s->ctx, "OK", "SET a hello");
    th_expect_status(s->ctx, "OK", "RENAME a a");
    th_expect_int(s->ctx, 0, "RENAMENX a a");
    th_expect_status(s->ctx, "OK", "RENAME a b");
    th_expect_int(s->ctx, 0, "EXISTS a");
    th_expect_str(s->ctx, "hello", "GET b");
    th_expect_status(s->ctx, "OK", "SET c other");
    th_expect_int(s->ctx, 0, "RENAMENX b c");
    th_expect_str(s->ctx, "other", "GET c");
    th_expect_status(s->ctx, "OK", "RENAME b c");
    th_expect_str(s->ctx, "hello", "GET c");
    th_expect_int(s->ctx, 1, "RENAMENX c d");
    th_expect_str(s->ctx, "hello", "GET d");
    th_expect_int(s->ctx, 1, "DBSIZE");
}

static void test_keys_rename_keeps_ttl(void **state)
{
    th_server_t *s = *state;
    redisReply *r;

    th_expect_status(s->ctx, "OK", "SET a 1 PX 100000");
    th_expect_status(s->ctx, "OK", "SET b 2");
    th_expect_status(s->ctx, "OK", "RENAME a b");
    r = th_cmd(s->ctx, "PTTL b");
    assert_true(r->integer > 90000 && r->integer <= 100000);
    freeReplyObject(r);
    /* A destination's own TTL does not survive being overwritten. */
    th_expect_status(s->ctx, "OK", "SET c 3");
    th_expect_status(s->ctx, "OK", "SET d 4 EX 1000");
    th_expect_status(s->ctx, "OK", "RENAME c d");
    th_expect_int(s->ctx, -1, "TTL d");
}

static void test_keys_copy(void **state)
{
    th_server_t *s = *state;
    redisReply *r;

    th_expect_status(s->ctx, "OK", "SET a hello");
    th_expect_int(s->ctx, 1, "COPY a b");
    th_expect_str(s->ctx, "hello", "GET b");
    th_expect_status(s->ctx, "OK", "SET b other");
    th_expect_int(s->ctx, 0, "COPY a b");
    th_expect_str(s->ctx, "other", "GET b");
    th_expect_int(s->ctx, 1, "COPY a b REPLACE");
    th_expect_str(s->ctx, "hello", "GET b");
    th_expect_int(s->ctx, 0, "COPY nosuch b REPLACE");
    /* The copy is a new object: changing it leaves the source alone. */
    th_expect_int(s->ctx, 10, "APPEND b world");
    th_expect_str(s->ctx, "hello", "GET a");
    /* DB n, keeping the TTL. */
    th_expect_status(s->ctx, "OK", "SET t v PX 100000");
    th_expect_int(s->ctx, 1, "COPY t t DB 3");
    th_expect_status(s->ctx, "OK", "SELECT 3");
    th_expect_str(s->ctx, "v", "GET t");
    r = th_cmd(s->ctx, "PTTL t");
    assert_true(r->integer > 90000 && r->integer <= 100000);
    freeReplyObject(r);
    th_expect_status(s->ctx, "OK", "SELECT 0");
}

static void test_keys_copy_errors(void **state)
{
    th_server_t *s = *state;

    th_expect_status(s->ctx, "OK", "SET a 1");
    th_expect_error(s->ctx,
                    "ERR source and destination objects are the same",
                    "COPY a a");
    th_expect_error(s->ctx,
                    "ERR source and destination objects are the same",
                    "COPY a a DB 0");
    th_expect_error(s->ctx, "ERR DB index is out of range", "COPY a b DB 99");
    th_expect_error(s->ctx, "ERR DB index is out of range",
                    "COPY nosuch b DB -1");
    th_expect_error(s->ctx, "ERR value is not an integer or out of range",
                    "COPY a b DB x");
    th_expect_error(s->ctx,
                    "ERR value is out of range, value must between "
                    "-2147483648 and 2147483647",
                    "COPY a b DB 2147483648");
    th_expect_error(s->ctx, "ERR syntax error", "COPY a b DB");
    th_expect_error(s->ctx, "ERR syntax error", "COPY a b REPLACE foo");
    th_expect_error(s->ctx,
                    "ERR wrong number of arguments for 'copy' command",
                    "COPY a");
}

static void test_keys_copy_encodings(void **state)
{
    th_server_t *s = *state;
    redisReply *r;

    th_expect_status(s->ctx, "OK", "SET i 123");
    th_expect_int(s->ctx, 2147483647, "OBJECT REFCOUNT i");
    th_expect_int(s->ctx, 1, "COPY i j");
    th_expect_str(s->ctx, "int", "OBJECT ENCODING j");
    th_expect_int(s->ctx, 1, "OBJECT REFCOUNT j");
    th_expect_str(s->ctx, "123", "GET j");
    th_expect_status(s->ctx, "OK", "SET r ab");
    th_expect_int(s->ctx, 3, "APPEND r c");
    th_expect_str(s->ctx, "raw", "OBJECT ENCODING r");
    th_expect_int(s->ctx, 1, "COPY r r2");
    th_expect_str(s->ctx, "raw", "OBJECT ENCODING r2");
    th_expect_str(s->ctx, "abc", "GET r2");
    th_expect_status(s->ctx, "OK", "SET e short");
    th_expect_int(s->ctx, 1, "COPY e e2");
    th_expect_str(s->ctx, "embstr", "OBJECT ENCODING e2");
    r = th_cmd(s->ctx, "SET big %s",
               "0123456789012345678901234567890123456789012345678901");
    freeReplyObject(r);
    th_expect_int(s->ctx, 1, "COPY big big2");
    th_expect_str(s->ctx, "raw", "OBJECT ENCODING big2");
    th_expect_str(s->ctx,
                  "0123456789012345678901234567890123456789012345678901",
                  "GET big2");
}

static void test_keys_move(void **state)
{
    th_server_t *s = *state;
    redisReply *r;

    th_expect_status(s->ctx, "OK", "SET a 1 PX 100000");
    th_expect_int(s->ctx, 1, "MOVE a 1");
    th_expect_int(s->ctx, 0, "EXISTS a");
    th_expect_int(s->ctx, 0, "MOVE a 1");
    th_expect_status(s->ctx, "OK", "SELECT 1");
    th_expect_str(s->ctx, "1", "GET a");
    r = th_cmd(s->ctx, "PTTL a");
    assert_true(r->integer > 90000 && r->integer <= 100000);
    freeReplyObject(r);
    /* Destination holds the key: nothing moves. */
    th_expect_status(s->ctx, "OK", "SELECT 0");
    th_expect_status(s->ctx, "OK", "SET a 0");
    th_expect_int(s->ctx, 0, "MOVE a 1");
    th_expect_str(s->ctx, "0", "GET a");
    th_expect_error(s->ctx, "ERR source and destination objects are the same",
                    "MOVE a 0");
    th_expect_error(s->ctx, "ERR DB index is out of range", "MOVE a 16");
    th_expect_error(s->ctx, "ERR DB index is out of range", "MOVE a -1");
    th_expect_error(s->ctx, "ERR value is not an integer or out of range",
                    "MOVE a x");
    th_expect_error(s->ctx,
                    "ERR value is out of range, value must between "
                    "-2147483648 and 2147483647",
                    "MOVE a 2147483648");
}

static void test_keys_touch(void **state)
{
    th_server_t *s = *state;

    th_expect_status(s->ctx, "OK", "MSET a 1 b 2");
    th_expect_int(s->ctx, 3, "TOUCH a b a nosuch");
    th_expect_int(s->ctx, 0, "TOUCH nosuch");
}

static void test_keys_patterns(void **state)
{
    th_server_t *s = *state;
    redisReply *r;

    th_expect_status(s->ctx, "OK",
                     "MSET hello 1 hallo 2 hxllo 3 heeeello 4 hllo 5 "
                     "other 6 h*llo 7");
    assert_int_equal(array_count(s->ctx, "KEYS *"), 7);
    assert_int_equal(array_count(s->ctx, "KEYS h?llo"), 4);
    assert_int_equal(array_count(s->ctx, "KEYS h*llo"), 6);
    assert_int_equal(array_count(s->ctx, "KEYS h[ae]llo"), 2);
    assert_int_equal(array_count(s->ctx, "KEYS h[^e]llo"), 3);
    assert_int_equal(array_count(s->ctx, "KEYS h[a-b]llo"), 1);
    assert_int_equal(array_count(s->ctx, "KEYS h\\*llo"), 1);
    assert_int_equal(array_count(s->ctx, "KEYS nomatch*"), 0);
    r = th_cmd(s->ctx, "KEYS oth*");
    assert_int_equal(r->elements, 1);
    assert_string_equal(r->element[0]->str, "other");
    freeReplyObject(r);
    th_expect_status(s->ctx, "OK", "FLUSHDB");
    assert_int_equal(array_count(s->ctx, "KEYS *"), 0);
}

/* Run a whole SCAN with extra options; mark seen key:<i> in seen[].
 * Returns the number of keys returned in total (repeats included). */
static size_t scan_all(redisContext *c, const char *opts, unsigned char *seen)
{
    char cursor[32] = "0";
    char fmt[128];
    size_t total = 0;

    /* opts holds no '%': it becomes part of the format. */
    snprintf(fmt, sizeof(fmt), "SCAN %%s %s", opts);
    do {
        redisReply *r = th_cmd(c, fmt, cursor);

        assert_int_equal(r->type, REDIS_REPLY_ARRAY);
        assert_int_equal(r->elements, 2);
        assert_int_equal(r->element[0]->type, REDIS_REPLY_STRING);
        snprintf(cursor, sizeof(cursor), "%s", r->element[0]->str);
        for (size_t i = 0; i < r->element[1]->elements; i++) {
            const char *k = r->element[1]->element[i]->str;

            assert_memory_equal(k, "key:", 4);
            seen[atoi(k + 4)] = 1;
            total++;
        }
        freeReplyObject(r);
    } while (strcmp(cursor, "0") != 0);
    return total;
}

static void test_keys_scan_every_key(void **state)
{
    th_server_t *s = *state;
    unsigned char *seen = calloc(NKEYS, 1);
    size_t total;

    populate(s->ctx, NKEYS);
    total = scan_all(s->ctx, "COUNT 100", seen);
    assert_true(total >= NKEYS);
    for (int i = 0; i < NKEYS; i++) {
        assert_int_equal(seen[i], 1);
    }
    memset(seen, 0, NKEYS);
    total = scan_all(s->ctx, "", seen);
    for (int i = 0; i < NKEYS; i++) {
        assert_int_equal(seen[i], 1);
    }
    free(seen);
}

static void test_keys_scan_match_type(void **state)
{
    th_server_t *s = *state;
    unsigned char *seen = calloc(NKEYS, 1);
    size_t total;
    char name[32];

    populate(s->ctx, NKEYS);
    /* key:1, key:1x, key:1xx, key:1xxx: 1 + 10 + 100 + 1000 keys. */
    total = scan_all(s->ctx, "MATCH key:1* COUNT 50", seen);
    assert_true(total >= 1111);
    for (int i = 0; i < NKEYS; i++) {
        snprintf(name, sizeof(name), "%d", i);
        assert_int_equal(seen[i], name[0] == '1');
    }
    memset(seen, 0, NKEYS);
    total = scan_all(s->ctx, "TYPE string COUNT 1000", seen);
    assert_true(total >= NKEYS);
    for (int i = 0; i < NKEYS; i++) {
        assert_int_equal(seen[i], 1);
    }
    memset(seen, 0, NKEYS);
    total = scan_all(s->ctx, "TYPE STRING MATCH key:99*", seen);
    assert_true(total >= 111);
    total = scan_all(s->ctx, "TYPE list", seen);
    assert_int_equal(total, 0);
    free(seen);
}

static void test_keys_scan_errors(void **state)
{
    th_server_t *s = *state;
    redisReply *r;

    th_expect_error(s->ctx, "ERR invalid cursor", "SCAN abc");
    th_expect_error(s->ctx, "ERR invalid cursor", "SCAN %s", " 1");
    th_expect_error(s->ctx, "ERR invalid cursor", "SCAN 1x");
    th_expect_error(s->ctx, "ERR invalid cursor",
                    "SCAN 18446744073709551616");
    th_expect_error(s->ctx, "ERR syntax error", "SCAN 0 COUNT 0");
    th_expect_error(s->ctx, "ERR syntax error", "SCAN 0 COUNT -1");
    th_expect_error(s->ctx, "ERR value is not an integer or out of range",
                    "SCAN 0 COUNT x");
    th_expect_error(s->ctx, "ERR syntax error", "SCAN 0 TYPE");
    th_expect_error(s->ctx, "ERR syntax error", "SCAN 0 MATCH");
    th_expect_error(s->ctx, "ERR syntax error", "SCAN 0 foo bar");
    /* Empty database: cursor "0", no keys. */
    r = th_cmd(s->ctx, "SCAN 0");
    assert_int_equal(r->elements, 2);
    assert_string_equal(r->element[0]->str, "0");
    assert_int_equal(r->element[1]->elements, 0);
    freeReplyObject(r);
    /* strtoul accepts a sign, as Redis does. */
    r = th_cmd(s->ctx, "SCAN +0");
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    freeReplyObject(r);
}

static void test_keys_randomkey(void **state)
{
    th_server_t *s = *state;
    redisReply *r;

    th_expect_nil(s->ctx, "RANDOMKEY");
    th_expect_status(s->ctx, "OK", "SET only 1");
    th_expect_str(s->ctx, "only", "RANDOMKEY");
    th_expect_status(s->ctx, "OK", "MSET a 1 b 2 c 3");
    for (int i = 0; i < 20; i++) {
        r = th_cmd(s->ctx, "RANDOMKEY");
        assert_int_equal(r->type, REDIS_REPLY_STRING);
        assert_true(strchr("abco", r->str[0]) != NULL);
        freeReplyObject(r);
    }
}

static void test_keys_object(void **state)
{
    th_server_t *s = *state;
    redisReply *r;

    th_expect_status(s->ctx, "OK", "SET i 12");
    th_expect_status(s->ctx, "OK", "SET big 123456789");
    th_expect_status(s->ctx, "OK", "SET e hello");
    th_expect_str(s->ctx, "int", "OBJECT ENCODING i");
    th_expect_str(s->ctx, "int", "OBJECT ENCODING big");
    th_expect_str(s->ctx, "embstr", "OBJECT ENCODING e");
    th_expect_int(s->ctx, 2147483647, "OBJECT REFCOUNT i");
    th_expect_int(s->ctx, 1, "OBJECT REFCOUNT e");
    th_expect_int(s->ctx, 0, "OBJECT IDLETIME e");
    th_expect_nil(s->ctx, "OBJECT ENCODING nosuch");
    th_expect_nil(s->ctx, "OBJECT REFCOUNT nosuch");
    th_expect_nil(s->ctx, "OBJECT IDLETIME nosuch");
    th_expect_nil(s->ctx, "OBJECT FREQ nosuch");
    th_expect_error(s->ctx,
                    "ERR An LFU maxmemory policy is not selected, access "
                    "frequency not tracked. Please note that when switching "
                    "between policies at runtime LRU and LFU data will take "
                    "some time to adjust.",
                    "OBJECT FREQ e");
    th_expect_error(s->ctx, "ERR unknown subcommand 'foo'. Try OBJECT HELP.",
                    "OBJECT foo");
    th_expect_error(s->ctx,
                    "ERR wrong number of arguments for 'object' command",
                    "OBJECT");
    th_expect_error(
        s->ctx, "ERR wrong number of arguments for 'object|encoding' command",
        "OBJECT ENCODING");
    r = th_cmd(s->ctx, "OBJECT HELP");
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->elements, 15);
    assert_string_equal(
        r->element[0]->str,
        "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:");
    assert_string_equal(r->element[13]->str, "HELP");
    freeReplyObject(r);
}

static void test_keys_object_lfu(void **state)
{
    th_server_t *s = *state;
    redisReply *r;

    th_expect_status(s->ctx, "OK", "CONFIG SET maxmemory-policy allkeys-lfu");
    th_expect_status(s->ctx, "OK", "SET k v");
    r = th_cmd(s->ctx, "OBJECT FREQ k");
    assert_int_equal(r->type, REDIS_REPLY_INTEGER);
    assert_true(r->integer >= 5 && r->integer <= 6);
    freeReplyObject(r);
    for (int i = 0; i < 200; i++) {
        freeReplyObject(th_cmd(s->ctx, "GET k"));
    }
    r = th_cmd(s->ctx, "OBJECT FREQ k");
    assert_true(r->integer > 5);
    freeReplyObject(r);
    th_expect_error(s->ctx,
                    "ERR An LFU maxmemory policy is selected, idle time not "
                    "tracked. Please note that when switching between "
                    "policies at runtime LRU and LFU data will take some "
                    "time to adjust.",
                    "OBJECT IDLETIME k");
    th_expect_status(s->ctx, "OK", "CONFIG SET maxmemory-policy noeviction");
}

static void test_keys_idletime(void **state)
{
    th_server_t *s = *state;
    redisReply *r;

    th_expect_status(s->ctx, "OK", "SET a x");
    th_expect_status(s->ctx, "OK", "SET b x");
    usleep(2100 * 1000);
    /* OBJECT and TYPE do not touch, GET does. */
    th_expect_status(s->ctx, "string", "TYPE a");
    r = th_cmd(s->ctx, "OBJECT IDLETIME a");
    assert_true(r->integer >= 2 && r->integer <= 3);
    freeReplyObject(r);
    th_expect_str(s->ctx, "x", "GET a");
    th_expect_int(s->ctx, 0, "OBJECT IDLETIME a");
    /* EXISTS does not touch either; RENAME looks up for writing, which
     * does (as Redis). */
    th_expect_int(s->ctx, 1, "EXISTS b");
    r = th_cmd(s->ctx, "OBJECT IDLETIME b");
    assert_true(r->integer >= 2 && r->integer <= 3);
    freeReplyObject(r);
    th_expect_status(s->ctx, "OK", "RENAME b c");
    th_expect_int(s->ctx, 0, "OBJECT IDLETIME c");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_keys_del_unlink_count, th_test_setup),
        cmocka_unit_test_setup(test_keys_exists_type, th_test_setup),
        cmocka_unit_test_setup(test_keys_binary_names, th_test_setup),
        cmocka_unit_test_setup(test_keys_rename, th_test_setup),
        cmocka_unit_test_setup(test_keys_rename_keeps_ttl, th_test_setup),
        cmocka_unit_test_setup(test_keys_copy, th_test_setup),
        cmocka_unit_test_setup(test_keys_copy_errors, th_test_setup),
        cmocka_unit_test_setup(test_keys_copy_encodings, th_test_setup),
        cmocka_unit_test_setup(test_keys_move, th_test_setup),
        cmocka_unit_test_setup(test_keys_touch, th_test_setup),
        cmocka_unit_test_setup(test_keys_patterns, th_test_setup),
        cmocka_unit_test_setup(test_keys_scan_every_key, th_test_setup),
        cmocka_unit_test_setup(test_keys_scan_match_type, th_test_setup),
        cmocka_unit_test_setup(test_keys_scan_errors, th_test_setup),
        cmocka_unit_test_setup(test_keys_randomkey, th_test_setup),
        cmocka_unit_test_setup(test_keys_object, th_test_setup),
        cmocka_unit_test_setup(test_keys_object_lfu, th_test_setup),
        cmocka_unit_test_setup(test_keys_idletime, th_test_setup),
    };

    return cmocka_run_group_tests(tests, th_group_setup, th_group_teardown);
}
