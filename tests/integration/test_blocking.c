/*
 * test_blocking.c - blocking commands against a real gencached, with two
 * and three connections: BLPOP/BRPOP/BRPOPLPUSH/BLMOVE/BLMPOP and
 * BZPOPMIN/BZPOPMAX/BZMPOP served at once or after a push, FIFO fairness,
 * timeouts, chained BLMOVEs, MULTI (no blocking), disconnect while
 * blocked, CLIENT UNBLOCK (TIMEOUT and ERROR), pipelined input held back
 * while blocked, SWAPDB, RENAME and MOVE wake-ups, keys of the wrong type,
 * commandstats and CLIENT LIST / INFO.
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

/* Milliseconds of a monotonic-enough wall clock. */
static long long now_ms(void)
{
    struct timeval tv;

    gettimeofday(&tv, NULL);
    return (long long)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

/* Wait (up to 30 s) until INFO shows n blocked clients. */
static void wait_blocked(redisContext *c, long long n)
{
    for (int i = 0; i < 3000; i++) {
        if (th_info_int(c, "clients", "blocked_clients") == n)
            return;
        usleep(10000);
    }
    fail_msg("blocked_clients never became %lld", n);
}

/* Send a command on c without reading its reply. */
static void send_cmd(redisContext *c, const char *fmt, ...)
{
    va_list ap;
    int done = 0;

    va_start(ap, fmt);
    assert_int_equal(redisvAppendCommand(c, fmt, ap), REDIS_OK);
    va_end(ap);
    while (!done)
        assert_int_equal(redisBufferWrite(c, &done), REDIS_OK);
}

/* Read the next reply of c (a 5 s socket timeout fails the test). */
static redisReply *read_reply(redisContext *c)
{
    void *r = NULL;

    assert_int_equal(redisGetReply(c, &r), REDIS_OK);
    assert_non_null(r);
    return r;
}

/* A new connection with a 5 s timeout. */
static redisContext *connect5(const th_server_t *s)
{
    redisContext *c = th_connect(s);
    struct timeval tv = {5, 0};

    redisSetTimeout(c, tv);
    return c;
}

/* r must be the array [a, b]. Frees r. */
static void expect_pair(redisReply *r, const char *a, const char *b)
{
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->elements, 2);
    assert_string_equal(r->element[0]->str, a);
    assert_string_equal(r->element[1]->str, b);
    freeReplyObject(r);
}

/* r must be a bulk string equal to s. Frees r. */
static void expect_bulk(redisReply *r, const char *s)
{
    assert_int_equal(r->type, REDIS_REPLY_STRING);
    assert_string_equal(r->str, s);
    freeReplyObject(r);
}

/* r must be nil. Frees r. */
static void expect_nil(redisReply *r)
{
    assert_int_equal(r->type, REDIS_REPLY_NIL);
    freeReplyObject(r);
}

static void test_immediate_and_errors(void **state)
{
    th_server_t *s = *state;
    redisContext *c = s->ctx;

    th_expect_int(c, 3, "RPUSH l a b c");
    expect_pair(th_cmd(c, "BLPOP nokey l 0"), "l", "a");
    expect_pair(th_cmd(c, "BRPOP l 0"), "l", "c");
    expect_bulk(th_cmd(c, "BRPOPLPUSH l d 0"), "b");
    th_expect_int(c, 0, "EXISTS l");
    expect_bulk(th_cmd(c, "BLMOVE d l RIGHT LEFT 0"), "b");
    th_expect_int(c, 0, "EXISTS d");
    th_expect_status(c, "OK", "SET s x");
    th_expect_error(c, "WRONGTYPE", "BLPOP s 0");
    th_expect_error(c, "WRONGTYPE", "BLPOP nokey s 0");
    th_expect_error(c, "WRONGTYPE", "BLMOVE l s LEFT LEFT 0");
    th_expect_str(c, "b", "LINDEX l 0");
    th_expect_error(c, "ERR timeout is negative", "BLPOP l -1");
    th_expect_error(c, "ERR timeout is not a float or out of range",
                    "BLPOP l abc");
    th_expect_error(c, "ERR timeout is negative", "BLPOP l inf");
    th_expect_error(c, "ERR syntax error", "BLMOVE l d UP LEFT 0");
    th_expect_error(c, "ERR numkeys should be greater than 0",
                    "BLMPOP 0 0 l LEFT");
    th_expect_error(c, "ERR count should be greater than 0",
                    "BLMPOP 0 1 l LEFT COUNT 0");
    th_expect_error(c, "ERR syntax error", "BLMPOP 0 3 l LEFT");
    th_expect_int(c, 2, "RPUSH l c");
    {
        redisReply *r = th_cmd(c, "BLMPOP 0 2 x l RIGHT COUNT 5");

        assert_int_equal(r->type, REDIS_REPLY_ARRAY);
        assert_string_equal(r->element[0]->str, "l");
        assert_int_equal(r->element[1]->elements, 2);
        assert_string_equal(r->element[1]->element[0]->str, "c");
        assert_string_equal(r->element[1]->element[1]->str, "b");
        freeReplyObject(r);
    }
    th_expect_int(c, 0, "EXISTS l");
}

static void test_wakeup_by_push(void **state)
{
    th_server_t *s = *state;
    redisContext *c = s->ctx;
    redisContext *b = connect5(s);

    send_cmd(b, "BLPOP l1 l2 0");
    wait_blocked(c, 1);
    th_expect_int(c, 2, "RPUSH l2 x y");
    expect_pair(read_reply(b), "l2", "x");
    th_expect_str(c, "y", "LINDEX l2 0");
    wait_blocked(c, 0);
    /* A variadic push is seen whole: the head is the last pushed. */
    send_cmd(b, "BRPOP l3 0");
    wait_blocked(c, 1);
    th_expect_int(c, 2, "LPUSH l3 a b");
    expect_pair(read_reply(b), "l3", "a");
    redisFree(b);
}

static void test_fairness(void **state)
{
    th_server_t *s = *state;
    redisContext *c = s->ctx;
    redisContext *b1 = connect5(s), *b2 = connect5(s);

    send_cmd(b1, "BLPOP q 0");
    wait_blocked(c, 1);
    send_cmd(b2, "BLPOP q 0");
    wait_blocked(c, 2);
    th_expect_int(c, 1, "RPUSH q first");
    expect_pair(read_reply(b1), "q", "first");
    wait_blocked(c, 1);
    th_expect_int(c, 2, "RPUSH q second third");
    expect_pair(read_reply(b2), "q", "second");
    th_expect_str(c, "third", "LINDEX q 0");
    /* The same key twice counts once. */
    send_cmd(b1, "BLPOP r r q2 r 0");
    wait_blocked(c, 1);
    th_expect_int(c, 1, "RPUSH r v");
    expect_pair(read_reply(b1), "r", "v");
    wait_blocked(c, 0);
    redisFree(b1);
    redisFree(b2);
}

static void test_timeout(void **state)
{
    th_server_t *s = *state;
    redisContext *c = s->ctx;
    redisContext *b = connect5(s);
    long long t0 = now_ms(), dt;

    expect_nil(th_cmd(b, "BLPOP t 0.2"));
    dt = now_ms() - t0;
    assert_true(dt >= 190 && dt < 2000);
    expect_nil(th_cmd(b, "BRPOPLPUSH t u 0.01"));
    expect_nil(th_cmd(b, "BLMPOP 0.01 1 t LEFT"));
    expect_nil(th_cmd(b, "BZPOPMIN z 0.01"));
    assert_int_equal(th_info_int(c, "clients", "blocked_clients"), 0);
    /* Stats count the blocked command once. */
    th_expect_status(c, "OK", "CONFIG RESETSTAT");
    expect_nil(th_cmd(b, "BLPOP t 0.01"));
    {
        redisReply *r = th_cmd(c, "INFO commandstats");

        assert_non_null(strstr(r->str, "cmdstat_blpop:calls=1,"));
        freeReplyObject(r);
    }
    redisFree(b);
}

static void test_linked_moves(void **state)
{
    th_server_t *s = *state;
    redisContext *c = s->ctx;
    redisContext *b1 = connect5(s), *b2 = connect5(s);

    send_cmd(b1, "BLMOVE list1 list2 RIGHT LEFT 0");
    wait_blocked(c, 1);
    send_cmd(b2, "BLMOVE list2 list3 LEFT RIGHT 0");
    wait_blocked(c, 2);
    th_expect_int(c, 1, "RPUSH list1 foo");
    expect_bulk(read_reply(b1), "foo");
    expect_bulk(read_reply(b2), "foo");
    th_expect_int(c, 0, "EXISTS list1");
    th_expect_int(c, 0, "EXISTS list2");
    th_expect_str(c, "foo", "LINDEX list3 0");
    /* Circular: the element ends where it started. */
    send_cmd(b1, "BRPOPLPUSH c1 c2 0");
    wait_blocked(c, 1);
    send_cmd(b2, "BRPOPLPUSH c2 c1 0");
    wait_blocked(c, 2);
    th_expect_int(c, 1, "RPUSH c1 bar");
    expect_bulk(read_reply(b1), "bar");
    expect_bulk(read_reply(b2), "bar");
    th_expect_str(c, "bar", "LINDEX c1 0");
    th_expect_int(c, 0, "EXISTS c2");
    redisFree(b1);
    redisFree(b2);
}

static void test_multi_does_not_block(void **state)
{
    th_server_t *s = *state;
    redisContext *c = s->ctx;
    redisContext *b = connect5(s);
    redisReply *r;

    th_expect_int(c, 1, "RPUSH x foo");
    th_expect_status(c, "OK", "MULTI");
    th_expect_status(c, "QUEUED", "BLPOP x 0");
    th_expect_status(c, "QUEUED", "BLPOP x 0");
    th_expect_status(c, "QUEUED", "BRPOPLPUSH x y 0");
    th_expect_status(c, "QUEUED", "BZPOPMAX z 0");
    r = th_cmd(c, "EXEC");
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->elements, 4);
    assert_int_equal(r->element[0]->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->element[1]->type, REDIS_REPLY_NIL);
    assert_int_equal(r->element[2]->type, REDIS_REPLY_NIL);
    assert_int_equal(r->element[3]->type, REDIS_REPLY_NIL);
    freeReplyObject(r);
    /* A transaction is seen whole by a blocked client; a key pushed and
     * deleted inside it wakes nobody. */
    send_cmd(b, "BLPOP m 0");
    wait_blocked(c, 1);
    th_expect_status(c, "OK", "MULTI");
    th_expect_status(c, "QUEUED", "LPUSH m a");
    th_expect_status(c, "QUEUED", "DEL m");
    th_expect_status(c, "QUEUED", "SET m str");
    freeReplyObject(th_cmd(c, "EXEC"));
    assert_int_equal(th_info_int(c, "clients", "blocked_clients"), 1);
    th_expect_int(c, 1, "DEL m");
    th_expect_status(c, "OK", "MULTI");
    th_expect_status(c, "QUEUED", "LPUSH m a");
    th_expect_status(c, "QUEUED", "LPUSH m b");
    freeReplyObject(th_cmd(c, "EXEC"));
    expect_pair(read_reply(b), "m", "b");
    redisFree(b);
}

static void test_disconnect_while_blocked(void **state)
{
    th_server_t *s = *state;
    redisContext *c = s->ctx;
    redisContext *b = connect5(s), *b2 = connect5(s);

    send_cmd(b, "BLPOP d 0");
    wait_blocked(c, 1);
    send_cmd(b2, "BLPOP d 0");
    wait_blocked(c, 2);
    redisFree(b);
    wait_blocked(c, 1);
    th_expect_int(c, 1, "RPUSH d v");
    expect_pair(read_reply(b2), "d", "v");
    redisFree(b2);
    wait_blocked(c, 0);
    th_expect_int(c, 1, "RPUSH d w");
    th_expect_int(c, 1, "LLEN d");
}

/* The CLIENT ID of c. */
static long long client_id(redisContext *c)
{
    redisReply *r = th_cmd(c, "CLIENT ID");
    long long id = r->integer;

    freeReplyObject(r);
    return id;
}

static void test_client_unblock(void **state)
{
    th_server_t *s = *state;
    redisContext *c = s->ctx;
    redisContext *b = connect5(s);
    long long id = client_id(b);
    redisReply *r;

    send_cmd(b, "BLPOP u 0");
    wait_blocked(c, 1);
    r = th_cmd(c, "CLIENT LIST ID %lld", id);
    assert_non_null(strstr(r->str, "flags=b "));
    freeReplyObject(r);
    /* No timeout: not in Redis's timeout table. */
    assert_int_equal(th_info_int(c, "clients", "clients_in_timeout_table"),
                     0);
    th_expect_int(c, 1, "CLIENT UNBLOCK %lld", id);
    expect_nil(read_reply(b));
    send_cmd(b, "BLMPOP 0 1 u RIGHT");
    wait_blocked(c, 1);
    th_expect_int(c, 1, "CLIENT UNBLOCK %lld TIMEOUT", id);
    expect_nil(read_reply(b));
    send_cmd(b, "BRPOP u 0");
    wait_blocked(c, 1);
    th_expect_error(c, "ERR CLIENT UNBLOCK reason should be TIMEOUT or "
                       "ERROR", "CLIENT UNBLOCK %lld FOO", id);
    th_expect_int(c, 1, "CLIENT UNBLOCK %lld ERROR", id);
    r = read_reply(b);
    assert_int_equal(r->type, REDIS_REPLY_ERROR);
    assert_string_equal(r->str,
                        "UNBLOCKED client unblocked via CLIENT UNBLOCK");
    freeReplyObject(r);
    th_expect_int(c, 0, "CLIENT UNBLOCK %lld", id);
    th_expect_int(c, 0, "CLIENT UNBLOCK %lld", client_id(c));
    th_expect_error(c, "ERR value is not an integer", "CLIENT UNBLOCK asd");
    /* Still usable afterwards. */
    send_cmd(b, "BLPOP u 0");
    wait_blocked(c, 1);
    th_expect_int(c, 1, "LPUSH u foo");
    expect_pair(read_reply(b), "u", "foo");
    r = th_cmd(c, "CLIENT LIST ID %lld", id);
    assert_non_null(strstr(r->str, "flags=N "));
    freeReplyObject(r);
    redisFree(b);
}

static void test_pipeline_order(void **state)
{
    th_server_t *s = *state;
    redisContext *c = s->ctx;
    redisContext *b = connect5(s);
    redisReply *r;

    assert_int_equal(redisAppendCommand(b, "BLPOP p 0"), REDIS_OK);
    assert_int_equal(redisAppendCommand(b, "SET after 1"), REDIS_OK);
    assert_int_equal(redisAppendCommand(b, "BLPOP p 0"), REDIS_OK);
    {
        int done = 0;

        while (!done)
            assert_int_equal(redisBufferWrite(b, &done), REDIS_OK);
    }
    wait_blocked(c, 1);
    th_expect_int(c, 0, "EXISTS after");
    th_expect_int(c, 1, "RPUSH p one");
    expect_pair(read_reply(b), "p", "one");
    r = read_reply(b);
    assert_string_equal(r->str, "OK");
    freeReplyObject(r);
    wait_blocked(c, 1);
    th_expect_int(c, 1, "EXISTS after");
    th_expect_int(c, 1, "RPUSH p two");
    expect_pair(read_reply(b), "p", "two");
    redisFree(b);
}

static void test_swapdb_rename_and_types(void **state)
{
    th_server_t *s = *state;
    redisContext *c = s->ctx;
    redisContext *b = connect5(s);
    redisReply *r;

    /* SWAPDB brings a list into the db the client waits on. */
    th_expect_status(c, "OK", "SELECT 1");
    th_expect_int(c, 1, "RPUSH k hello");
    th_expect_status(c, "OK", "SELECT 0");
    send_cmd(b, "BRPOP k 5");
    wait_blocked(c, 1);
    th_expect_status(c, "OK", "SWAPDB 0 1");
    expect_pair(read_reply(b), "k", "hello");
    th_expect_status(c, "OK", "SWAPDB 0 1");
    /* RENAME moves a list into place. */
    send_cmd(b, "BLPOP dst 0");
    wait_blocked(c, 1);
    th_expect_int(c, 3, "LPUSH src abc def hij");
    th_expect_status(c, "OK", "RENAME src dst");
    expect_pair(read_reply(b), "dst", "hij");
    /* MOVE from another database too. */
    send_cmd(b, "BLPOP mv 0");
    wait_blocked(c, 1);
    th_expect_status(c, "OK", "SELECT 2");
    th_expect_int(c, 1, "RPUSH mv moved");
    th_expect_int(c, 1, "MOVE mv 0");
    th_expect_status(c, "OK", "SELECT 0");
    expect_pair(read_reply(b), "mv", "moved");
    /* A key of another type keeps the client waiting. */
    th_expect_int(c, 1, "DEL dst");
    send_cmd(b, "BLPOP dst 0");
    wait_blocked(c, 1);
    th_expect_status(c, "OK", "SET dst str");
    th_expect_int(c, 1, "ZADD dst2 1 a");
    th_expect_status(c, "OK", "RENAME dst2 dst");
    assert_int_equal(th_info_int(c, "clients", "blocked_clients"), 1);
    th_expect_int(c, 1, "DEL dst");
    th_expect_int(c, 1, "RPUSH dst v");
    expect_pair(read_reply(b), "dst", "v");
    /* BLMOVE whose destination is not a list: WRONGTYPE at serve time,
     * nothing moved. */
    th_expect_status(c, "OK", "SET tgt nolist");
    send_cmd(b, "BRPOPLPUSH bl tgt 0");
    wait_blocked(c, 1);
    th_expect_int(c, 1, "RPUSH bl foo");
    r = read_reply(b);
    assert_int_equal(r->type, REDIS_REPLY_ERROR);
    assert_memory_equal(r->str, "WRONGTYPE", 9);
    freeReplyObject(r);
    th_expect_str(c, "foo", "LINDEX bl 0");
    redisFree(b);
}

static void test_zset_blocking(void **state)
{
    th_server_t *s = *state;
    redisContext *c = s->ctx;
    redisContext *b1 = connect5(s), *b2 = connect5(s);
    redisReply *r;

    send_cmd(b1, "BZPOPMIN z1 z2 0");
    wait_blocked(c, 1);
    send_cmd(b2, "BZMPOP 0 1 z2 MAX COUNT 5");
    wait_blocked(c, 2);
    th_expect_int(c, 3, "ZADD z2 1 a 2 b 3 c");
    r = read_reply(b1);
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->elements, 3);
    assert_string_equal(r->element[0]->str, "z2");
    assert_string_equal(r->element[1]->str, "a");
    assert_string_equal(r->element[2]->str, "1");
    freeReplyObject(r);
    r = read_reply(b2);
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_string_equal(r->element[0]->str, "z2");
    assert_int_equal(r->element[1]->elements, 2);
    assert_string_equal(r->element[1]->element[0]->element[0]->str, "c");
    assert_string_equal(r->element[1]->element[1]->element[0]->str, "b");
    freeReplyObject(r);
    th_expect_int(c, 0, "EXISTS z2");
    /* A list pushed on a key a zset client waits on does not serve it. */
    send_cmd(b1, "BZPOPMAX k 0");
    wait_blocked(c, 1);
    th_expect_int(c, 1, "RPUSH k x");
    th_expect_int(c, 1, "DEL k");
    th_expect_int(c, 1, "ZADD k 5 m");
    r = read_reply(b1);
    assert_int_equal(r->elements, 3);
    assert_string_equal(r->element[1]->str, "m");
    freeReplyObject(r);
    redisFree(b1);
    redisFree(b2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_immediate_and_errors, th_test_setup),
        cmocka_unit_test_setup(test_wakeup_by_push, th_test_setup),
        cmocka_unit_test_setup(test_fairness, th_test_setup),
        cmocka_unit_test_setup(test_timeout, th_test_setup),
        cmocka_unit_test_setup(test_linked_moves, th_test_setup),
        cmocka_unit_test_setup(test_multi_does_not_block, th_test_setup),
        cmocka_unit_test_setup(test_disconnect_while_blocked, th_test_setup),
        cmocka_unit_test_setup(test_client_unblock, th_test_setup),
        cmocka_unit_test_setup(test_pipeline_order, th_test_setup),
        cmocka_unit_test_setup(test_swapdb_rename_and_types, th_test_setup),
        cmocka_unit_test_setup(test_zset_blocking, th_test_setup),
    };

    return cmocka_run_group_tests(tests, th_group_setup, th_group_teardown);
}
