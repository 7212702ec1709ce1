/*
 * test_multi.c - transactions against a real gencached: MULTI / EXEC /
 * DISCARD / WATCH / UNWATCH with Redis 7.0's replies and errors, queue-time
 * errors (EXECABORT) versus runtime errors, WATCH touched by writes,
 * expiry, FLUSHDB / FLUSHALL / SWAPDB, stale keys, and the interplay with
 * CLIENT PAUSE WRITE, MONITOR, commandstats, maxmemory and CLIENT LIST.
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

/* Send EXEC and return its reply (caller frees). */
static redisReply *exec_reply(redisContext *c)
{
    return th_cmd(c, "EXEC");
}

/* EXEC must reply the null array (a WATCHed key changed). */
static void expect_exec_nil(redisContext *c)
{
    redisReply *r = exec_reply(c);

    assert_int_equal(r->type, REDIS_REPLY_NIL);
    freeReplyObject(r);
}

/* MULTI PING EXEC must give [PONG] (nothing watched changed), or nil when
 * ok is 0. */
static void expect_ping_tx(redisContext *c, int ok)
{
    redisReply *r;

    th_expect_status(c, "OK", "MULTI");
    th_expect_status(c, "QUEUED", "PING");
    r = exec_reply(c);
    if (ok) {
        assert_int_equal(r->type, REDIS_REPLY_ARRAY);
        assert_int_equal(r->elements, 1);
        assert_string_equal(r->element[0]->str, "PONG");
    } else {
        assert_int_equal(r->type, REDIS_REPLY_NIL);
    }
    freeReplyObject(r);
}

static void test_basics(void **state)
{
    th_server_t *s = *state;
    redisContext *c = s->ctx;
    redisReply *r;

    th_expect_status(c, "OK", "MULTI");
    th_expect_status(c, "QUEUED", "SET k v");
    th_expect_status(c, "QUEUED", "GET k");
    th_expect_status(c, "QUEUED", "PING");
    r = exec_reply(c);
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->elements, 3);
    assert_string_equal(r->element[0]->str, "OK");
    assert_string_equal(r->element[1]->str, "v");
    assert_string_equal(r->element[2]->str, "PONG");
    freeReplyObject(r);
    /* Empty transaction. */
    th_expect_status(c, "OK", "MULTI");
    r = exec_reply(c);
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->elements, 0);
    freeReplyObject(r);
}

static void test_discard_and_misuse_errors(void **state)
{
    redisContext *c = ((th_server_t *)*state)->ctx;

    th_expect_status(c, "OK", "SET k 1");
    th_expect_status(c, "OK", "MULTI");
    th_expect_status(c, "QUEUED", "INCR k");
    th_expect_status(c, "OK", "DISCARD");
    th_expect_str(c, "1", "GET k");
    th_expect_error(c, "ERR EXEC without MULTI", "EXEC");
    th_expect_error(c, "ERR DISCARD without MULTI", "DISCARD");
    th_expect_status(c, "OK", "MULTI");
    th_expect_error(c, "ERR MULTI calls can not be nested", "MULTI");
    th_expect_error(c, "ERR WATCH inside MULTI is not allowed", "WATCH k");
    th_expect_status(c, "QUEUED", "INCR k");
    /* Neither error dooms the transaction. */
    {
        redisReply *r = exec_reply(c);

        assert_int_equal(r->type, REDIS_REPLY_ARRAY);
        assert_int_equal(r->elements, 1);
        assert_int_equal(r->element[0]->integer, 2);
        freeReplyObject(r);
    }
    /* A refused EXEC itself aborts with EXECABORT. */
    th_expect_error(c, "EXECABORT Transaction discarded because of: wrong "
                       "number of arguments for 'exec' command",
                    "EXEC extra");
}

static void test_queue_errors_abort(void **state)
{
    redisContext *c = ((th_server_t *)*state)->ctx;

    th_expect_status(c, "OK", "MULTI");
    th_expect_status(c, "QUEUED", "SET a 1");
    th_expect_error(c, "ERR unknown command 'NOSUCHCMD'", "NOSUCHCMD x");
    th_expect_status(c, "QUEUED", "SET b 2");
    th_expect_error(c, "EXECABORT Transaction discarded because of "
                       "previous errors.",
                    "EXEC");
    th_expect_int(c, 0, "EXISTS a b");
    /* The MULTI state is gone after an abort. */
    th_expect_status(c, "PONG", "PING");

    th_expect_status(c, "OK", "MULTI");
    th_expect_error(c, "ERR wrong number of arguments for 'get' command",
                    "GET");
    th_expect_error(c, "EXECABORT", "EXEC");

    th_expect_status(c, "OK", "MULTI");
    th_expect_error(c, "ERR unknown subcommand 'nope'. Try CONFIG HELP.",
                    "CONFIG nope");
    th_expect_error(c, "EXECABORT", "EXEC");

    /* no_multi commands. */
    th_expect_status(c, "OK", "MULTI");
    th_expect_status(c, "QUEUED", "SET a 1");
    th_expect_error(c, "ERR Command not allowed inside a transaction",
                    "SHUTDOWN");
    th_expect_error(c, "EXECABORT", "EXEC");
    th_expect_int(c, 0, "EXISTS a");
}

static void test_runtime_errors_do_not_abort(void **state)
{
    redisContext *c = ((th_server_t *)*state)->ctx;
    redisReply *r;

    th_expect_status(c, "OK", "SET s notanumber");
    th_expect_status(c, "OK", "MULTI");
    th_expect_status(c, "QUEUED", "INCR s");
    th_expect_status(c, "QUEUED", "SET t ok");
    th_expect_status(c, "QUEUED", "LPUSH s x");
    r = exec_reply(c);
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->elements, 3);
    assert_int_equal(r->element[0]->type, REDIS_REPLY_ERROR);
    assert_string_equal(r->element[0]->str,
                        "ERR value is not an integer or out of range");
    assert_string_equal(r->element[1]->str, "OK");
    assert_int_equal(r->element[2]->type, REDIS_REPLY_ERROR);
    assert_memory_equal(r->element[2]->str, "WRONGTYPE", 9);
    freeReplyObject(r);
    th_expect_str(c, "ok", "GET t");
}

static void test_watch_modified_by_other(void **state)
{
    th_server_t *s = *state;
    redisContext *c = s->ctx, *o = th_connect(s);
    redisReply *r;

    th_expect_status(c, "OK", "SET x 30");
    th_expect_status(c, "OK", "WATCH a b x k z");
    th_expect_status(o, "OK", "SET x 40");
    r = th_cmd(c, "CLIENT INFO");
    assert_non_null(strstr(r->str, " flags=d "));
    freeReplyObject(r);
    th_expect_status(c, "OK", "MULTI");
    th_expect_status(c, "QUEUED", "SET x 50");
    expect_exec_nil(c);
    r = th_cmd(c, "CLIENT INFO");
    assert_non_null(strstr(r->str, " flags=N "));
    freeReplyObject(r);
    th_expect_str(c, "40", "GET x");
    /* After a failed EXEC the key is no longer watched. */
    th_expect_status(o, "OK", "SET x 41");
    expect_ping_tx(c, 1);
    /* Not modified: runs; modified by the watcher itself: fails. */
    th_expect_status(c, "OK", "WATCH x");
    expect_ping_tx(c, 1);
    th_expect_status(c, "OK", "WATCH x");
    th_expect_int(c, 1, "DEL x");
    expect_ping_tx(c, 0);
    /* UNWATCH forgets, also the dirty state. */
    th_expect_status(c, "OK", "WATCH x");
    th_expect_status(o, "OK", "SET x 1");
    th_expect_status(c, "OK", "UNWATCH");
    expect_ping_tx(c, 1);
    th_expect_status(c, "OK", "UNWATCH");
    /* DISCARD clears the dirty flag and unwatches. */
    th_expect_status(c, "OK", "WATCH x");
    th_expect_status(c, "OK", "SET x 10");
    th_expect_status(c, "OK", "MULTI");
    th_expect_status(c, "OK", "DISCARD");
    th_expect_status(c, "OK", "SET x 10");
    th_expect_status(c, "OK", "MULTI");
    th_expect_status(c, "QUEUED", "INCR x");
    r = exec_reply(c);
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->element[0]->integer, 11);
    freeReplyObject(r);
    redisFree(o);
}

static void test_watch_expire_and_flush(void **state)
{
    redisContext *c = ((th_server_t *)*state)->ctx;

    /* EXPIRE is a change. */
    th_expect_status(c, "OK", "SET x foo");
    th_expect_status(c, "OK", "WATCH x");
    th_expect_int(c, 1, "EXPIRE x 10");
    expect_ping_tx(c, 0);
    /* A key that expires after WATCH fails EXEC. The PTTL after WATCH
     * shows the key was alive when watched; on a machine too slow for
     * that, try again with a longer TTL. */
    for (int ttl = 50;; ttl *= 4) {
        redisReply *r;
        long long left;

        th_expect_status(c, "OK", "SET x foo PX %d", ttl);
        th_expect_status(c, "OK", "WATCH x");
        r = th_cmd(c, "PTTL x");
        left = r->integer;
        freeReplyObject(r);
        if (left > 0) {
            usleep((useconds_t)ttl * 1000 + 150000);
            break;
        }
        th_expect_status(c, "OK", "UNWATCH");
    }
    expect_ping_tx(c, 0);
    /* A key already expired when watched is no change when it goes. */
    th_expect_status(c, "OK", "SET x foo PX 1");
    usleep(5000);
    th_expect_status(c, "OK", "WATCH x");
    th_expect_int(c, 0, "EXISTS x");
    expect_ping_tx(c, 1);
    th_expect_status(c, "OK", "SET x foo PX 1");
    usleep(5000);
    th_expect_status(c, "OK", "WATCH x");
    th_expect_status(c, "OK", "FLUSHDB");
    expect_ping_tx(c, 1);
    /* FLUSHALL / FLUSHDB touch existing watched keys only. */
    th_expect_status(c, "OK", "SET x 30");
    th_expect_status(c, "OK", "WATCH x");
    th_expect_status(c, "OK", "FLUSHALL");
    expect_ping_tx(c, 0);
    th_expect_status(c, "OK", "WATCH x");
    th_expect_status(c, "OK", "FLUSHALL");
    expect_ping_tx(c, 1);
    th_expect_status(c, "OK", "SET x 30");
    th_expect_status(c, "OK", "WATCH x");
    th_expect_status(c, "OK", "FLUSHDB");
    expect_ping_tx(c, 0);
    th_expect_status(c, "OK", "WATCH x");
    th_expect_status(c, "OK", "FLUSHDB");
    expect_ping_tx(c, 1);
}

static void test_watch_swapdb_and_db(void **state)
{
    redisContext *c = ((th_server_t *)*state)->ctx;

    /* An existing watched key swapped away. */
    th_expect_status(c, "OK", "SET x 30");
    th_expect_status(c, "OK", "WATCH x");
    th_expect_status(c, "OK", "SWAPDB 0 1");
    expect_ping_tx(c, 0);
    th_expect_status(c, "OK", "FLUSHALL");
    /* A missing watched key that the swap brings in. */
    th_expect_status(c, "OK", "SELECT 1");
    th_expect_status(c, "OK", "SET x 30");
    th_expect_status(c, "OK", "SELECT 0");
    th_expect_status(c, "OK", "WATCH x");
    th_expect_status(c, "OK", "SWAPDB 0 1");
    expect_ping_tx(c, 0);
    th_expect_status(c, "OK", "FLUSHALL");
    /* WATCH remembers the database of the key. */
    th_expect_status(c, "OK", "SELECT 5");
    th_expect_status(c, "OK", "SET x 30");
    th_expect_status(c, "OK", "WATCH x");
    th_expect_status(c, "OK", "SELECT 1");
    th_expect_status(c, "OK", "SET x 10");
    th_expect_status(c, "OK", "SELECT 5");
    expect_ping_tx(c, 1);
    th_expect_status(c, "OK", "SELECT 0");
}

/* Read one reply from a connection used with redisAppendCommand. */
static redisReply *read_reply(redisContext *c)
{
    void *r = NULL;

    assert_int_equal(redisGetReply(c, &r), REDIS_OK);
    assert_non_null(r);
    return r;
}

static void test_client_pause_write(void **state)
{
    th_server_t *s = *state;
    redisContext *c = s->ctx, *a = th_connect(s);
    redisReply *r;

    /* A read-only transaction is not held by PAUSE WRITE. */
    th_expect_status(a, "OK", "MULTI");
    th_expect_status(a, "QUEUED", "GET k");
    th_expect_status(c, "OK", "CLIENT PAUSE 60000 WRITE");
    r = exec_reply(a);
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    freeReplyObject(r);
    th_expect_status(c, "OK", "CLIENT UNPAUSE");
    /* A transaction with a write is held until the pause ends (queueing
     * a write during the pause would itself be held, as in Redis). */
    th_expect_status(a, "OK", "MULTI");
    th_expect_status(a, "QUEUED", "SET k2 v");
    th_expect_status(c, "OK", "CLIENT PAUSE 60000 WRITE");
    redisAppendCommand(a, "EXEC");
    usleep(100000);
    th_expect_nil(c, "GET k2");
    th_expect_status(c, "OK", "CLIENT UNPAUSE");
    r = read_reply(a);
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_string_equal(r->element[0]->str, "OK");
    freeReplyObject(r);
    th_expect_str(c, "v", "GET k2");
    redisFree(a);
}

static void test_monitor_and_commandstats(void **state)
{
    th_server_t *s = *state;
    redisContext *c = s->ctx, *m = th_connect(s);
    redisReply *r;

    th_expect_status(m, "OK", "MONITOR");
    th_expect_status(c, "OK", "CONFIG RESETSTAT");
    /* MONITOR shows arguments as sent: lower case here. */
    th_expect_status(c, "OK", "multi");
    th_expect_status(c, "QUEUED", "set foo bar");
    r = th_cmd(c, "exec");
    freeReplyObject(r);
    th_expect_status(c, "OK", "multi");
    th_expect_error(c, "ERR unknown command", "syntax error");
    th_expect_error(c, "EXECABORT", "exec");
    r = read_reply(m);
    assert_non_null(strstr(r->str, "\"multi\""));
    freeReplyObject(r);
    r = read_reply(m);
    assert_non_null(strstr(r->str, "\"set\" \"foo\" \"bar\""));
    freeReplyObject(r);
    r = read_reply(m);
    assert_non_null(strstr(r->str, "\"exec\""));
    freeReplyObject(r);
    r = read_reply(m);
    assert_non_null(strstr(r->str, "\"multi\""));
    freeReplyObject(r);
    r = read_reply(m);
    assert_non_null(strstr(r->str, "\"exec\""));
    freeReplyObject(r);
    redisFree(m);

    r = th_cmd(c, "INFO commandstats");
    assert_non_null(strstr(r->str, "cmdstat_exec:calls=2,"));
    assert_non_null(strstr(r->str, "cmdstat_multi:calls=2,"));
    assert_non_null(strstr(r->str, "cmdstat_set:calls=1,"));
    assert_non_null(strstr(r->str, "rejected_calls=0,failed_calls=1"));
    freeReplyObject(r);
}

static void test_oom_and_client_list(void **state)
{
    th_server_t *s = *state;
    redisContext *c = s->ctx, *o = th_connect(s);
    redisReply *r;

    /* CLIENT LIST shows the queue. */
    th_expect_status(c, "OK", "MULTI");
    th_expect_status(c, "QUEUED", "SET x 1");
    th_expect_status(c, "QUEUED", "GET x");
    r = th_cmd(o, "CLIENT LIST");
    assert_non_null(strstr(r->str, "flags=x db=0 sub=0 psub=0 ssub=0 "
                                   "multi=2 "));
    freeReplyObject(r);
    /* Under maxmemory an EXEC with a denyoom command aborts. */
    th_expect_status(o, "OK", "CONFIG SET maxmemory 1");
    th_expect_error(c, "EXECABORT Transaction discarded because of: OOM "
                       "command not allowed",
                    "EXEC");
    /* Inside MULTI every command is refused; DISCARD still works. */
    th_expect_status(c, "OK", "MULTI");
    th_expect_error(c, "OOM", "GET x");
    th_expect_status(c, "OK", "DISCARD");
    th_expect_status(o, "OK", "CONFIG SET maxmemory 0");
    /* A read-only queue runs under OOM. */
    th_expect_status(c, "OK", "MULTI");
    th_expect_status(c, "QUEUED", "PING");
    th_expect_status(o, "OK", "CONFIG SET maxmemory 1");
    r = exec_reply(c);
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    freeReplyObject(r);
    th_expect_status(o, "OK", "CONFIG SET maxmemory 0");
    redisFree(o);
}

static void test_watch_closed_client(void **state)
{
    th_server_t *s = *state;
    redisContext *a = th_connect(s), *c = s->ctx;

    /* A client that goes away with watches and a queue leaves nothing
     * behind: later writes to its keys are harmless. */
    th_expect_status(a, "OK", "WATCH x y");
    th_expect_status(a, "OK", "MULTI");
    th_expect_status(a, "QUEUED", "SET x 1");
    redisFree(a);
    usleep(50000);
    th_expect_status(c, "OK", "SET x 2");
    th_expect_status(c, "OK", "FLUSHALL");
    th_expect_status(c, "PONG", "PING");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_basics, th_test_setup),
        cmocka_unit_test_setup(test_discard_and_misuse_errors,
                               th_test_setup),
        cmocka_unit_test_setup(test_queue_errors_abort, th_test_setup),
        cmocka_unit_test_setup(test_runtime_errors_do_not_abort,
                               th_test_setup),
        cmocka_unit_test_setup(test_watch_modified_by_other, th_test_setup),
        cmocka_unit_test_setup(test_watch_expire_and_flush, th_test_setup),
        cmocka_unit_test_setup(test_watch_swapdb_and_db, th_test_setup),
        cmocka_unit_test_setup(test_client_pause_write, th_test_setup),
        cmocka_unit_test_setup(test_monitor_and_commandstats,
                               th_test_setup),
        cmocka_unit_test_setup(test_oom_and_client_list, th_test_setup),
        cmocka_unit_test_setup(test_watch_closed_client, th_test_setup),
    };

    return cmocka_run_group_tests(tests, th_group_setup, th_group_teardown);
}
