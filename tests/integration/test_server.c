/*
 * test_server.c - connection and server commands against a real gencached:
 * PING, ECHO, QUIT, SELECT, SWAPDB, DBSIZE, FLUSHDB/FLUSHALL, TIME,
 * LASTSAVE, HELLO (RESP2 and raw RESP3), SHUTDOWN, MONITOR and DEBUG,
 * with Redis 7.0's replies; busy-poll-us and INFO's used_cpu_busy_poll.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

/* Send a C string on a raw socket. */
static void raw_send(int fd, const char *s)
{
    th_raw_send(fd, s, strlen(s));
}

static void test_server_ping_forms(void **state)
{
    th_server_t *s = *state;

    th_expect_status(s->ctx, "PONG", "PING");
    th_expect_str(s->ctx, "hello world", "PING %s", "hello world");
    th_expect_error(s->ctx,
                    "ERR wrong number of arguments for 'ping' command",
                    "PING a b");
    th_expect_status(s->ctx, "PONG", "ping");
}

static void test_server_echo(void **state)
{
    th_server_t *s = *state;

    th_expect_str(s->ctx, "x y", "ECHO %s", "x y");
    th_expect_str(s->ctx, "", "ECHO %s", "");
    th_expect_error(s->ctx,
                    "ERR wrong number of arguments for 'echo' command",
                    "ECHO");
}

static void test_server_quit_closes(void **state)
{
    th_server_t *s = *state;
    int fd = th_raw_connect(s), closed = 0;
    char buf[256];
    size_t n;

    /* Commands pipelined after QUIT are not run. */
    raw_send(fd, "QUIT\r\nSET quitkey v\r\n");
    n = th_raw_read(fd, buf, sizeof(buf), 1000, 2000, &closed);
    assert_int_equal(n, 5);
    assert_string_equal(buf, "+OK\r\n");
    assert_int_equal(closed, 1);
    close(fd);
    th_expect_nil(s->ctx, "GET quitkey");
}

static void test_server_select_and_dbsize(void **state)
{
    th_server_t *s = *state;

    th_expect_status(s->ctx, "OK", "SET a 1");
    th_expect_int(s->ctx, 1, "DBSIZE");
    th_expect_status(s->ctx, "OK", "SELECT 9");
    th_expect_int(s->ctx, 0, "DBSIZE");
    th_expect_nil(s->ctx, "GET a");
    th_expect_error(s->ctx, "ERR DB index is out of range", "SELECT 16");
    th_expect_error(s->ctx, "ERR DB index is out of range", "SELECT -1");
    th_expect_error(s->ctx, "ERR value is not an integer or out of range",
                    "SELECT x");
    th_expect_status(s->ctx, "OK", "SELECT 0");
    th_expect_str(s->ctx, "1", "GET a");
}

static void test_server_swapdb(void **state)
{
    th_server_t *s = *state;

    th_expect_status(s->ctx, "OK", "SET a 1");
    th_expect_status(s->ctx, "OK", "SWAPDB 0 1");
    th_expect_int(s->ctx, 0, "DBSIZE");
    th_expect_status(s->ctx, "OK", "SELECT 1");
    th_expect_str(s->ctx, "1", "GET a");
    th_expect_status(s->ctx, "OK", "SELECT 0");
    th_expect_error(s->ctx, "ERR invalid first DB index", "SWAPDB x 0");
    th_expect_error(s->ctx, "ERR invalid second DB index", "SWAPDB 0 x");
    th_expect_error(s->ctx, "ERR DB index is out of range", "SWAPDB 0 99");
    th_expect_error(s->ctx, "ERR DB index is out of range", "SWAPDB 99 0");
}

static void test_server_flush(void **state)
{
    th_server_t *s = *state;

    th_expect_status(s->ctx, "OK", "SET a 1");
    th_expect_status(s->ctx, "OK", "SELECT 1");
    th_expect_status(s->ctx, "OK", "SET b 1");
    th_expect_status(s->ctx, "OK", "FLUSHDB");
    th_expect_int(s->ctx, 0, "DBSIZE");
    th_expect_status(s->ctx, "OK", "SELECT 0");
    th_expect_int(s->ctx, 1, "DBSIZE");
    th_expect_status(s->ctx, "OK", "FLUSHDB ASYNC");
    th_expect_int(s->ctx, 0, "DBSIZE");
    th_expect_status(s->ctx, "OK", "SET a 1");
    th_expect_status(s->ctx, "OK", "FLUSHALL sync");
    th_expect_int(s->ctx, 0, "DBSIZE");
    th_expect_error(s->ctx, "ERR syntax error", "FLUSHDB foo");
    th_expect_error(s->ctx, "ERR syntax error", "FLUSHALL async sync");
}

/* FLUSHALL ASYNC of a big keyspace: the keys are gone at once, the
 * tables are freed in slices between ticks (lazyfree_pending_objects
 * counts down to 0, used_memory comes back), and the server answers
 * meanwhile; keys written right after the flush are kept. */
static void test_server_flush_async_big(void **state)
{
    th_server_t *s = *state;
    enum { NKEYS = 200000, BATCH = 1000 };
    long long used_full, pending = -1;
    redisReply *r;

    for (int i = 0; i < NKEYS; i += BATCH) {
        for (int j = 0; j < BATCH; j++)
            redisAppendCommand(s->ctx, "SET fk:%d v%d", i + j, j);
        for (int j = 0; j < BATCH; j++) {
            assert_int_equal(redisGetReply(s->ctx, (void **)&r), REDIS_OK);
            freeReplyObject(r);
        }
    }
    th_expect_status(s->ctx, "OK", "SELECT 1");
    th_expect_status(s->ctx, "OK", "SET other 1");
    th_expect_status(s->ctx, "OK", "SELECT 0");
    used_full = th_info_int(s->ctx, "memory", "used_memory");
    th_expect_status(s->ctx, "OK", "FLUSHALL ASYNC");
    th_expect_int(s->ctx, 0, "DBSIZE");
    th_expect_status(s->ctx, "OK", "SET fresh 1");
    for (int i = 0; i < 3000; i++) {
        pending = th_info_int(s->ctx, "memory", "lazyfree_pending_objects");
        if (pending == 0)
            break;
        usleep(10000);
    }
    assert_int_equal(pending, 0);
    assert_true(th_info_int(s->ctx, "memory", "used_memory") < used_full / 4);
    th_expect_str(s->ctx, "1", "GET fresh");
    th_expect_int(s->ctx, 1, "DBSIZE");
    th_expect_status(s->ctx, "OK", "SELECT 1");
    th_expect_int(s->ctx, 0, "DBSIZE");
    th_expect_status(s->ctx, "OK", "SELECT 0");
}

static void test_server_time_and_lastsave(void **state)
{
    th_server_t *s = *state;
    redisReply *r = th_cmd(s->ctx, "TIME");
    long long secs;

    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->elements, 2);
    assert_int_equal(r->element[0]->type, REDIS_REPLY_STRING);
    secs = atoll(r->element[0]->str);
    assert_true(llabs(secs - (long long)time(NULL)) <= 2);
    assert_true(atoll(r->element[1]->str) < 1000000);
    freeReplyObject(r);
    r = th_cmd(s->ctx, "LASTSAVE");
    assert_int_equal(r->type, REDIS_REPLY_INTEGER);
    assert_true(r->integer <= (long long)time(NULL));
    assert_true(r->integer > (long long)time(NULL) - 3600);
    freeReplyObject(r);
}

static void test_server_hello2(void **state)
{
    th_server_t *s = *state;
    redisReply *r = th_cmd(s->ctx, "HELLO 2");
    const char *keys[] = {"server", "version", "proto", "id",
                          "mode", "role", "modules"};
    size_t i;

    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->elements, 14);
    for (i = 0; i < 7; i++) {
        assert_string_equal(r->element[2 * i]->str, keys[i]);
    }
    assert_string_equal(r->element[1]->str, "redis");
    assert_string_equal(r->element[3]->str, "7.0.15");
    assert_int_equal(r->element[5]->integer, 2);
    assert_true(r->element[7]->integer > 0);
    assert_string_equal(r->element[9]->str, "standalone");
    assert_string_equal(r->element[11]->str, "master");
    assert_int_equal(r->element[13]->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->element[13]->elements, 0);
    freeReplyObject(r);
    r = th_cmd(s->ctx, "HELLO");
    assert_int_equal(r->elements, 14);
    freeReplyObject(r);
}

static void test_server_hello_errors(void **state)
{
    th_server_t *s = *state;

    th_expect_error(s->ctx, "NOPROTO unsupported protocol version",
                    "HELLO 4");
    th_expect_error(s->ctx, "NOPROTO unsupported protocol version",
                    "HELLO 1");
    th_expect_error(s->ctx,
                    "ERR Protocol version is not an integer or out of range",
                    "HELLO x");
    th_expect_error(s->ctx, "ERR Syntax error in HELLO option 'foo'",
                    "HELLO 2 foo");
    th_expect_error(s->ctx, "ERR Syntax error in HELLO option 'AUTH'",
                    "HELLO 2 AUTH onlyuser");
    th_expect_error(s->ctx,
                    "WRONGPASS invalid username-password pair or user is "
                    "disabled.",
                    "HELLO 2 AUTH nobody pass");
    th_expect_error(s->ctx, "ERR Client names cannot contain spaces",
                    "HELLO 2 SETNAME %s", "a b");
    /* No password configured: the default user takes any password. */
    redisReply *r = th_cmd(s->ctx, "HELLO 2 AUTH default x SETNAME hname");
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    freeReplyObject(r);
    th_expect_str(s->ctx, "hname", "CLIENT GETNAME");
}

static void test_server_hello3_raw(void **state)
{
    th_server_t *s = *state;
    int fd = th_raw_connect(s), closed = 0;
    char buf[1024];
    const char *want_head = "%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n"
                            "$7\r\nversion\r\n$6\r\n7.0.15\r\n"
                            "$5\r\nproto\r\n:3\r\n$2\r\nid\r\n:";
    const char *want_tail = "$4\r\nmode\r\n$10\r\nstandalone\r\n"
                            "$4\r\nrole\r\n$6\r\nmaster\r\n"
                            "$7\r\nmodules\r\n*0\r\n";
    size_t n;

    raw_send(fd, "HELLO 3\r\n");
    /* Read everything that comes within 300 ms: the whole map. */
    n = th_raw_read(fd, buf, sizeof(buf), sizeof(buf) - 1, 300, &closed);
    assert_true(n > strlen(want_head));
    assert_memory_equal(buf, want_head, strlen(want_head));
    assert_non_null(strstr(buf, want_tail));
    /* RESP3 is in force: a missing key is "_", a map is "%". */
    raw_send(fd, "GET nokey\r\n");
    n = th_raw_read(fd, buf, sizeof(buf), 3, 2000, &closed);
    assert_string_equal(buf, "_\r\n");
    raw_send(fd, "HELLO 2\r\n");
    n = th_raw_read(fd, buf, sizeof(buf), sizeof(buf) - 1, 300, &closed);
    assert_memory_equal(buf, "*14\r\n", 5);
    assert_non_null(strstr(buf, "$5\r\nproto\r\n:2\r\n"));
    raw_send(fd, "GET nokey\r\n");
    n = th_raw_read(fd, buf, sizeof(buf), 5, 2000, &closed);
    assert_string_equal(buf, "$-1\r\n");
    (void)n;
    close(fd);
}

static void test_server_auth_without_password(void **state)
{
    th_server_t *s = *state;

    th_expect_error(s->ctx,
                    "ERR AUTH <password> called without any password "
                    "configured for the default user. Are you sure your "
                    "configuration is correct?",
                    "AUTH foo");
    th_expect_status(s->ctx, "OK", "AUTH default anything");
    th_expect_error(s->ctx,
                    "WRONGPASS invalid username-password pair or user is "
                    "disabled.",
                    "AUTH someone foo");
    th_expect_error(s->ctx, "ERR syntax error", "AUTH a b c");
}

static void test_server_shutdown_abort_and_save(void **state)
{
    th_server_t *s = *state;

    th_expect_error(s->ctx, "ERR No shutdown in progress.",
                    "SHUTDOWN ABORT");
    th_expect_error(s->ctx, "ERR syntax error", "SHUTDOWN foo");
    th_expect_error(s->ctx, "ERR syntax error", "SHUTDOWN SAVE NOSAVE");
    th_expect_error(s->ctx, "ERR syntax error", "SHUTDOWN NOSAVE ABORT");
    th_expect_error(s->ctx, "ERR Errors trying to SHUTDOWN. Check logs.",
                    "SHUTDOWN SAVE");
    th_expect_status(s->ctx, "PONG", "PING");
}

/* SHUTDOWN (and its variants) on a server of its own: no reply, the
 * connection closes and the process exits with status 0. */
static void shutdown_one(const char *cmd)
{
    th_server_t other;
    redisContext *c;
    redisReply *r;

    assert_int_equal(th_server_start(&other, NULL), 0);
    c = th_connect(&other);
    /* DEBUG is refused by default (enable-debug-command no). */
    r = redisCommand(c, "DEBUG SLEEP 0");
    assert_non_null(r);
    assert_int_equal(r->type, REDIS_REPLY_ERROR);
    assert_non_null(strstr(r->str, "DEBUG command not allowed."));
    freeReplyObject(r);
    r = redisCommand(c, cmd);
    assert_null(r);
    redisFree(c);
    assert_int_equal(th_server_stop(&other), 0);
}

static void test_server_shutdown_exits_zero(void **state)
{
    (void)state;
    shutdown_one("SHUTDOWN");
    shutdown_one("SHUTDOWN NOSAVE NOW FORCE");
}

static void test_server_monitor(void **state)
{
    th_server_t *s = *state;
    redisContext *m = th_connect(s);
    redisReply *r;
    void *reply = NULL;

    r = th_cmd(m, "MONITOR");
    assert_string_equal(r->str, "OK");
    freeReplyObject(r);
    th_expect_status(s->ctx, "OK", "set monkey %s", "val");
    assert_int_equal(redisGetReply(m, &reply), REDIS_OK);
    r = reply;
    assert_int_equal(r->type, REDIS_REPLY_STATUS);
    assert_non_null(strstr(r->str, "\"set\" \"monkey\" \"val\""));
    freeReplyObject(r);
    /* a monitor is a replica for Redis: no keyspace access, nothing that
     * replicates (PUBLISH), as redis-server 7.0 replies */
    th_expect_error(m, "ERR Replica can't interact with the keyspace",
                    "GET monkey");
    th_expect_error(m, "ERR Replica can't interact with the keyspace",
                    "SET monkey x");
    th_expect_error(m, "ERR Replica can't interact with the keyspace",
                    "DBSIZE");
    th_expect_error(m, "ERR Replica can't interact with the keyspace",
                    "PUBLISH chan msg");
    th_expect_str(s->ctx, "val", "GET monkey");
    redisFree(m);
}

static void test_server_debug(void **state)
{
    th_server_t *s = *state;
    redisReply *r;

    th_expect_status(s->ctx, "OK", "SET k v");
    r = th_cmd(s->ctx, "DEBUG OBJECT k");
    assert_int_equal(r->type, REDIS_REPLY_STATUS);
    assert_memory_equal(r->str, "Value at:", 9);
    assert_non_null(strstr(r->str, " refcount:1 encoding:embstr "
                                   "serializedlength:2 lru:"));
    assert_non_null(strstr(r->str, " lru_seconds_idle:"));
    freeReplyObject(r);
    th_expect_error(s->ctx, "ERR no such key", "DEBUG OBJECT nokey");
    th_expect_status(s->ctx, "OK", "DEBUG SLEEP 0");
    th_expect_status(s->ctx, "OK", "DEBUG SLEEP 0.01");
    th_expect_status(s->ctx, "OK", "DEBUG SET-ACTIVE-EXPIRE 0");
    th_expect_status(s->ctx, "OK", "DEBUG SET-ACTIVE-EXPIRE 1");
    th_expect_status(s->ctx, "OK", "DEBUG CHANGE-REPL-ID");
    th_expect_error(s->ctx, "ERR DEBUG RELOAD is not supported",
                    "DEBUG RELOAD");
    th_expect_error(s->ctx,
                    "ERR unknown subcommand or wrong number of arguments "
                    "for 'foo'. Try DEBUG HELP.",
                    "DEBUG foo");
    r = th_cmd(s->ctx, "DEBUG HELP");
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_true(r->elements > 4);
    assert_memory_equal(r->element[0]->str, "DEBUG <subcommand>", 18);
    freeReplyObject(r);
}

static void test_server_debug_populate(void **state)
{
    th_server_t *s = *state;
    redisReply *r;

    th_expect_status(s->ctx, "OK", "SET key:1 keep");
    th_expect_status(s->ctx, "OK", "DEBUG POPULATE 3");
    th_expect_int(s->ctx, 3, "DBSIZE");
    th_expect_str(s->ctx, "value:0", "GET key:0");
    th_expect_str(s->ctx, "keep", "GET key:1");
    th_expect_status(s->ctx, "OK", "DEBUG POPULATE 1 pre 3");
    th_expect_str(s->ctx, "val", "GET pre:0");
    th_expect_status(s->ctx, "OK", "DEBUG POPULATE 1 pad 10");
    r = th_cmd(s->ctx, "GET pad:0");
    assert_int_equal(r->len, 10);
    assert_memory_equal(r->str, "value:0\0\0\0", 10);
    freeReplyObject(r);
    th_expect_error(s->ctx, "ERR value is out of range, must be positive",
                    "DEBUG POPULATE -1");
    th_expect_error(s->ctx, "ERR value is out of range, must be positive",
                    "DEBUG POPULATE x");
}

/* DEBUG PROTOCOL replies, byte for byte as Redis 7.0 sends them. */
static void test_server_debug_protocol(void **state)
{
    th_server_t *s = *state;
    int fd = th_raw_connect(s), closed = 0;
    char buf[2048];
    const char *resp2 =
        "$11\r\nHello World\r\n:12345\r\n$5\r\n3.141\r\n"
        "$37\r\n1234567999999999999999999999999999999\r\n$-1\r\n"
        "*3\r\n:0\r\n:1\r\n:2\r\n*6\r\n:0\r\n:0\r\n:1\r\n:1\r\n:2\r\n:0\r\n"
        "$39\r\nSome real reply following the attribute\r\n"
        "-ERR RESP2 is not supported by this command\r\n#";
    const char *resp3 =
        "(1234567999999999999999999999999999999\r\n_\r\n~3\r\n:0\r\n:1\r\n"
        ":2\r\n%3\r\n:0\r\n#f\r\n:1\r\n#t\r\n:2\r\n#f\r\n|1\r\n"
        "$14\r\nkey-popularity\r\n*2\r\n$7\r\nkey:123\r\n:90\r\n"
        "$39\r\nSome real reply following the attribute\r\n>2\r\n"
        "$16\r\nserver-cpu-usage\r\n:42\r\n"
        "$40\r\nSome real reply following the push reply\r\n"
        "=29\r\ntxt:This is a verbatim\nstring\r\n#t\r\n#";

    raw_send(fd, "DEBUG PROTOCOL string\r\nDEBUG PROTOCOL integer\r\n"
                 "DEBUG PROTOCOL double\r\nDEBUG PROTOCOL bignum\r\n"
                 "DEBUG PROTOCOL null\r\nDEBUG PROTOCOL array\r\n"
                 "DEBUG PROTOCOL map\r\nDEBUG PROTOCOL attrib\r\n"
                 "DEBUG PROTOCOL push\r\nECHO #\r\n");
    th_raw_read(fd, buf, sizeof(buf), strlen(resp2) + 6, 2000, &closed);
    assert_memory_equal(buf, resp2, strlen(resp2) - 1);
    raw_send(fd, "HELLO 3\r\n");
    th_raw_read(fd, buf, sizeof(buf), sizeof(buf) - 1, 300, &closed);
    raw_send(fd, "DEBUG PROTOCOL bignum\r\nDEBUG PROTOCOL null\r\n"
                 "DEBUG PROTOCOL set\r\nDEBUG PROTOCOL map\r\n"
                 "DEBUG PROTOCOL attrib\r\nDEBUG PROTOCOL push\r\n"
                 "DEBUG PROTOCOL verbatim\r\nDEBUG PROTOCOL true\r\n"
                 "ECHO #\r\n");
    th_raw_read(fd, buf, sizeof(buf), strlen(resp3) + 6, 2000, &closed);
    assert_memory_equal(buf, resp3, strlen(resp3) - 1);
    raw_send(fd, "DEBUG PROTOCOL foo\r\n");
    th_raw_read(fd, buf, sizeof(buf), 20, 2000, &closed);
    assert_memory_equal(buf, "-ERR Wrong protocol type name.", 30);
    close(fd);
}

static void test_server_debug_sleep_blocks(void **state)
{
    th_server_t *s = *state;
    struct timespec a, b;
    double dt;

    clock_gettime(CLOCK_MONOTONIC, &a);
    th_expect_status(s->ctx, "OK", "DEBUG SLEEP 0.2");
    clock_gettime(CLOCK_MONOTONIC, &b);
    dt = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
    assert_true(dt >= 0.19);
}

static void test_server_command_info(void **state)
{
    th_server_t *s = *state;
    redisReply *r, *e;
    size_t i;

    r = th_cmd(s->ctx, "COMMAND INFO get nosuchcmd client");
    assert_int_equal(r->elements, 3);
    e = r->element[0];
    assert_int_equal(e->elements, 10);
    assert_string_equal(e->element[0]->str, "get");
    assert_int_equal(e->element[1]->integer, 2);
    assert_int_equal(e->element[2]->elements, 2);
    assert_string_equal(e->element[2]->element[0]->str, "readonly");
    assert_string_equal(e->element[2]->element[1]->str, "fast");
    assert_int_equal(e->element[3]->integer, 1);
    assert_int_equal(e->element[4]->integer, 1);
    assert_int_equal(e->element[5]->integer, 1);
    assert_int_equal(e->element[6]->elements, 3);
    assert_string_equal(e->element[6]->element[0]->str, "@read");
    assert_string_equal(e->element[6]->element[1]->str, "@string");
    assert_string_equal(e->element[6]->element[2]->str, "@fast");
    assert_int_equal(e->element[8]->elements, 1); /* one key spec */
    assert_int_equal(r->element[1]->type, REDIS_REPLY_NIL);
    e = r->element[2];
    assert_string_equal(e->element[0]->str, "client");
    assert_int_equal(e->element[9]->type, REDIS_REPLY_ARRAY);
    assert_true(e->element[9]->elements >= 10);
    for (i = 0; i < e->element[9]->elements; i++) {
        assert_memory_equal(e->element[9]->element[i]->element[0]->str,
                            "client|", 7);
    }
    freeReplyObject(r);
    r = th_cmd(s->ctx, "COMMAND INFO client|kill");
    e = r->element[0];
    assert_string_equal(e->element[0]->str, "client|kill");
    assert_string_equal(e->element[6]->element[0]->str, "@admin");
    freeReplyObject(r);
}

static void test_server_command_count_list_docs(void **state)
{
    th_server_t *s = *state;
    redisReply *r, *all;
    long long count;
    size_t i;
    int found_sub = 0;

    r = th_cmd(s->ctx, "COMMAND COUNT");
    count = r->integer;
    assert_true(count > 50);
    freeReplyObject(r);
    all = th_cmd(s->ctx, "COMMAND");
    assert_int_equal((long long)all->elements, count);
    freeReplyObject(all);
    r = th_cmd(s->ctx, "COMMAND LIST");
    assert_true((long long)r->elements > count);
    for (i = 0; i < r->elements; i++) {
        found_sub |= strcmp(r->element[i]->str, "client|list") == 0;
    }
    assert_true(found_sub);
    freeReplyObject(r);
    r = th_cmd(s->ctx, "COMMAND LIST FILTERBY PATTERN %s", "client|l*");
    assert_int_equal(r->elements, 1);
    assert_string_equal(r->element[0]->str, "client|list");
    freeReplyObject(r);
    r = th_cmd(s->ctx, "COMMAND LIST FILTERBY ACLCAT string");
    assert_true(r->elements > 10);
    freeReplyObject(r);
    r = th_cmd(s->ctx, "COMMAND LIST FILTERBY MODULE foo");
    assert_int_equal(r->elements, 0);
    freeReplyObject(r);
    th_expect_error(s->ctx, "ERR syntax error", "COMMAND LIST FILTERBY x y");
    r = th_cmd(s->ctx, "COMMAND DOCS get nosuch");
    assert_int_equal(r->elements, 2);
    assert_string_equal(r->element[0]->str, "get");
    assert_string_equal(r->element[1]->element[0]->str, "summary");
    assert_string_equal(r->element[1]->element[2]->str, "since");
    assert_string_equal(r->element[1]->element[3]->str, "1.0.0");
    assert_string_equal(r->element[1]->element[4]->str, "group");
    assert_string_equal(r->element[1]->element[5]->str, "string");
    freeReplyObject(r);
}

static void test_server_command_getkeys(void **state)
{
    th_server_t *s = *state;
    redisReply *r;

    r = th_cmd(s->ctx, "COMMAND GETKEYS MSET a 1 b 2");
    assert_int_equal(r->elements, 2);
    assert_string_equal(r->element[0]->str, "a");
    assert_string_equal(r->element[1]->str, "b");
    freeReplyObject(r);
    r = th_cmd(s->ctx, "COMMAND GETKEYS OBJECT ENCODING k");
    assert_int_equal(r->elements, 1);
    assert_string_equal(r->element[0]->str, "k");
    freeReplyObject(r);
    th_expect_error(s->ctx, "ERR Invalid command specified",
                    "COMMAND GETKEYS nosuch x");
    th_expect_error(s->ctx, "ERR The command has no key arguments",
                    "COMMAND GETKEYS PING x");
    th_expect_error(s->ctx,
                    "ERR Invalid number of arguments specified for command",
                    "COMMAND GETKEYS GET a b");
    th_expect_error(s->ctx, "ERR unknown subcommand 'foo'. Try COMMAND HELP.",
                    "COMMAND foo");
}

/* Check one GETKEYSANDFLAGS entry: key and its first two flags. */
static void expect_key_flags(const redisReply *e, const char *key,
                             const char *f1, const char *f2)
{
    assert_int_equal(e->elements, 2);
    assert_string_equal(e->element[0]->str, key);
    assert_true(e->element[1]->elements >= 2);
    assert_string_equal(e->element[1]->element[0]->str, f1);
    assert_string_equal(e->element[1]->element[1]->str, f2);
}

static void test_server_command_getkeysandflags(void **state)
{
    th_server_t *s = *state;
    redisReply *r;

    r = th_cmd(s->ctx, "COMMAND GETKEYSANDFLAGS SET k1 v1");
    assert_int_equal(r->elements, 1);
    expect_key_flags(r->element[0], "k1", "OW", "update");
    freeReplyObject(r);
    r = th_cmd(s->ctx, "COMMAND GETKEYSANDFLAGS MSET k1 v1 k2 v2");
    assert_int_equal(r->elements, 2);
    expect_key_flags(r->element[1], "k2", "OW", "update");
    freeReplyObject(r);
    r = th_cmd(s->ctx, "COMMAND GETKEYSANDFLAGS RENAME a b");
    expect_key_flags(r->element[0], "a", "RW", "access");
    assert_string_equal(r->element[0]->element[1]->element[2]->str, "delete");
    expect_key_flags(r->element[1], "b", "OW", "update");
    freeReplyObject(r);
    r = th_cmd(s->ctx, "COMMAND GETKEYSANDFLAGS SET k v GET");
    assert_int_equal(r->element[0]->element[1]->elements, 3);
    freeReplyObject(r);
    r = th_cmd(s->ctx, "COMMAND INFO rename");
    assert_int_equal(r->element[0]->element[8]->elements, 2);
    freeReplyObject(r);
}

static void test_server_slowlog(void **state)
{
    th_server_t *s = *state;
    redisReply *r, *e;
    char big[200];

    th_expect_status(s->ctx, "OK", "CONFIG SET slowlog-log-slower-than 0");
    th_expect_status(s->ctx, "OK", "SLOWLOG RESET");
    th_expect_status(s->ctx, "OK", "CLIENT SETNAME slowpoke");
    memset(big, 'A', 129);
    big[129] = '\0';
    th_expect_status(s->ctx, "OK", "SET k %s", big);
    th_expect_error(s->ctx, "ERR", "AUTH secretpw");
    r = th_cmd(s->ctx, "SLOWLOG GET -1");
    /* Newest first: AUTH, SET, CLIENT SETNAME, SLOWLOG RESET. */
    assert_int_equal(r->elements, 4);
    e = r->element[0];
    assert_int_equal(e->elements, 6);
    assert_string_equal(e->element[3]->element[0]->str, "AUTH");
    assert_string_equal(e->element[3]->element[1]->str, "(redacted)");
    e = r->element[1];
    assert_string_equal(e->element[3]->element[1]->str, "k");
    assert_int_equal(e->element[3]->element[2]->len, 128 + 18);
    assert_non_null(strstr(e->element[3]->element[2]->str,
                           "A... (1 more bytes)"));
    assert_non_null(strchr(e->element[4]->str, ':'));
    assert_string_equal(e->element[5]->str, "slowpoke");
    assert_true(r->element[0]->element[0]->integer >
                r->element[1]->element[0]->integer);
    freeReplyObject(r);
    r = th_cmd(s->ctx, "SLOWLOG GET 1");
    assert_int_equal(r->elements, 1);
    freeReplyObject(r);
    th_expect_error(s->ctx, "ERR count should be greater than or equal to -1",
                    "SLOWLOG GET -2");
    th_expect_status(s->ctx, "OK", "CONFIG SET slowlog-log-slower-than -1");
    th_expect_status(s->ctx, "OK", "SLOWLOG RESET");
    th_expect_int(s->ctx, 0, "SLOWLOG LEN");
    th_expect_status(s->ctx, "OK", "CLIENT SETNAME %s", "");
}

static void test_server_slowlog_trims_args(void **state)
{
    th_server_t *s = *state;
    const char *argv[40];
    size_t lens[40];
    char num[40][8];
    redisReply *r, *args;
    int i;

    th_expect_status(s->ctx, "OK", "CONFIG SET slowlog-log-slower-than 0");
    th_expect_status(s->ctx, "OK", "SLOWLOG RESET");
    argv[0] = "DEL";
    lens[0] = 3;
    for (i = 1; i < 35; i++) {
        snprintf(num[i], sizeof(num[i]), "%d", i);
        argv[i] = num[i];
        lens[i] = strlen(num[i]);
    }
    freeReplyObject(th_cmdv(s->ctx, 35, argv, lens));
    th_expect_status(s->ctx, "OK", "CONFIG SET slowlog-log-slower-than -1");
    r = th_cmd(s->ctx, "SLOWLOG GET 2");
    args = r->element[0]->element[3];
    assert_int_equal(args->elements, 32);
    assert_string_equal(args->element[30]->str, "30");
    assert_string_equal(args->element[31]->str, "... (4 more arguments)");
    freeReplyObject(r);
}

static void test_server_latency(void **state)
{
    th_server_t *s = *state;
    redisReply *r;

    th_expect_int(s->ctx, 0, "LATENCY RESET");
    th_expect_status(s->ctx, "OK", "CONFIG SET latency-monitor-threshold 50");
    th_expect_status(s->ctx, "OK", "DEBUG SLEEP 0.1");
    th_expect_status(s->ctx, "OK", "CONFIG SET latency-monitor-threshold 0");
    r = th_cmd(s->ctx, "LATENCY LATEST");
    assert_int_equal(r->elements, 1);
    assert_string_equal(r->element[0]->element[0]->str, "command");
    assert_true(r->element[0]->element[2]->integer >= 100);
    assert_true(r->element[0]->element[3]->integer >= 100);
    freeReplyObject(r);
    r = th_cmd(s->ctx, "LATENCY HISTORY command");
    assert_int_equal(r->elements, 1);
    assert_int_equal(r->element[0]->elements, 2);
    freeReplyObject(r);
    r = th_cmd(s->ctx, "LATENCY HISTORY nosuchevent");
    assert_int_equal(r->elements, 0);
    freeReplyObject(r);
    th_expect_int(s->ctx, 0, "LATENCY RESET nosuchevent");
    th_expect_int(s->ctx, 1, "LATENCY RESET command other");
    th_expect_error(s->ctx, "ERR unknown subcommand 'foo'. Try LATENCY HELP.",
                    "LATENCY foo");
    r = th_cmd(s->ctx, "SLOWLOG HELP");
    assert_string_equal(r->element[0]->str,
                        "SLOWLOG <subcommand> [<arg> [value] [opt] ...]. "
                        "Subcommands are:");
    freeReplyObject(r);
}

/* The command clock (server/clock.c: the time-stamp counter where the
 * kernel trusts it): INFO names it as Redis does, and the durations and
 * times it gives agree with the wall clock: DEBUG SLEEP 0.2 takes 0.2 s
 * in SLOWLOG and commandstats, none of it billed to the next command,
 * and the slowlog's unix time is now. */
static void test_server_command_clock(void **state)
{
    th_server_t *s = *state;
    redisReply *r, *e = NULL;
    unsigned long long rate = 0;
    const char *p;
    long long usec = -1;

    r = th_cmd(s->ctx, "INFO server");
    p = strstr(r->str, "\r\nmonotonic_clock:");
    assert_non_null(p);
    p += strlen("\r\nmonotonic_clock:");
    if (strncmp(p, "POSIX clock_gettime\r\n", 21) != 0) {
        assert_int_equal(sscanf(p, "X86 TSC @ %llu ticks/us", &rate), 1);
        assert_true(rate > 0);
    }
    freeReplyObject(r);

    th_expect_status(s->ctx, "OK", "CONFIG RESETSTAT");
    th_expect_status(s->ctx, "OK", "CONFIG SET slowlog-log-slower-than 0");
    th_expect_status(s->ctx, "OK", "SLOWLOG RESET");
    th_expect_status(s->ctx, "OK", "DEBUG SLEEP 0.2");
    th_expect_status(s->ctx, "PONG", "PING");
    th_expect_status(s->ctx, "OK", "CONFIG SET slowlog-log-slower-than -1");
    r = th_cmd(s->ctx, "SLOWLOG GET 3");
    for (size_t i = 0; i < r->elements; i++) {
        redisReply *x = r->element[i];

        if (strcmp(x->element[3]->element[0]->str, "DEBUG") == 0)
            e = x;
        else if (strcmp(x->element[3]->element[0]->str, "PING") == 0)
            assert_true(x->element[2]->integer < 200000);
    }
    assert_non_null(e);
    assert_in_range(e->element[2]->integer, 200000, 5000000);
    assert_in_range(e->element[1]->integer, (long long)time(NULL) - 10,
                    (long long)time(NULL) + 1);
    freeReplyObject(r);
    r = th_cmd(s->ctx, "INFO commandstats");
    p = strstr(r->str, "cmdstat_debug:calls=1,usec=");
    assert_non_null(p);
    usec = strtoll(p + strlen("cmdstat_debug:calls=1,usec="), NULL, 10);
    assert_in_range(usec, 200000, 5000000);
    freeReplyObject(r);
}

/* INFO cpu's used_cpu_busy_poll, in seconds. */
static double busy_poll_seconds(redisContext *c)
{
    redisReply *r = th_cmd(c, "INFO cpu");
    const char *p;
    double v;

    assert_int_equal(r->type, REDIS_REPLY_STRING);
    p = strstr(r->str, "\nused_cpu_busy_poll:");
    assert_non_null(p);
    v = strtod(p + strlen("\nused_cpu_busy_poll:"), NULL);
    freeReplyObject(r);
    return v;
}

/* Keep the executor busy for a while (DEBUG POPULATE), then send one
 * command and leave the connection quiet for 30 ms: if that made the loop
 * engage, it polls through the quiet time. */
static void busy_then_quiet(redisContext *c)
{
    struct timespec quiet = {0, 30 * 1000 * 1000};

    th_expect_status(c, "OK", "DEBUG POPULATE 200000 bp 8");
    th_expect_status(c, "PONG", "PING");
    nanosleep(&quiet, NULL);
    th_expect_status(c, "OK", "FLUSHALL");
}

/* busy-poll-us: a busy executor (io-threads 0) polls after input instead
 * of sleeping, and INFO counts the time; 0 stops it at once; with I/O
 * threads it never polls. The window is 1 s so that the 30 ms of quiet is
 * spent polling; the CPU share that engages it is the server's own, so
 * on a loaded machine a round may miss: up to 20 rounds. */
static void test_server_busy_poll(void **state)
{
    th_server_t *s = *state;
    redisReply *r;
    double before, after = 0;
    int io_threads, tries;

    r = th_cmd(s->ctx, "CONFIG GET io-threads");
    assert_int_equal(r->elements, 2);
    io_threads = atoi(r->element[1]->str);
    freeReplyObject(r);
    r = th_cmd(s->ctx, "CONFIG GET busy-poll-us");
    assert_string_equal(r->element[1]->str, "0");
    freeReplyObject(r);
    th_expect_error(s->ctx,
                    "ERR CONFIG SET failed (possibly related to argument "
                    "'busy-poll-us') - argument must be between 0 and "
                    "1000000 inclusive",
                    "CONFIG SET busy-poll-us -1");
    th_expect_status(s->ctx, "OK", "CONFIG SET busy-poll-us 1000000");
    before = busy_poll_seconds(s->ctx);
    for (tries = 0; tries < (io_threads > 0 ? 3 : 20); tries++) {
        busy_then_quiet(s->ctx);
        after = busy_poll_seconds(s->ctx);
        if (after > before)
            break;
    }
    if (io_threads > 0)
        assert_true(after == before);
    else
        assert_true(after > before);
    /* Off: not one more microsecond of polling. */
    th_expect_status(s->ctx, "OK", "CONFIG SET busy-poll-us 0");
    before = busy_poll_seconds(s->ctx);
    busy_then_quiet(s->ctx);
    busy_then_quiet(s->ctx);
    assert_true(busy_poll_seconds(s->ctx) == before);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_server_ping_forms, th_test_setup),
        cmocka_unit_test_setup(test_server_echo, th_test_setup),
        cmocka_unit_test_setup(test_server_quit_closes, th_test_setup),
        cmocka_unit_test_setup(test_server_select_and_dbsize, th_test_setup),
        cmocka_unit_test_setup(test_server_swapdb, th_test_setup),
        cmocka_unit_test_setup(test_server_flush, th_test_setup),
        cmocka_unit_test_setup(test_server_flush_async_big, th_test_setup),
        cmocka_unit_test_setup(test_server_time_and_lastsave, th_test_setup),
        cmocka_unit_test_setup(test_server_hello2, th_test_setup),
        cmocka_unit_test_setup(test_server_hello_errors, th_test_setup),
        cmocka_unit_test_setup(test_server_hello3_raw, th_test_setup),
        cmocka_unit_test_setup(test_server_auth_without_password,
                               th_test_setup),
        cmocka_unit_test_setup(test_server_shutdown_abort_and_save,
                               th_test_setup),
        cmocka_unit_test_setup(test_server_shutdown_exits_zero,
                               th_test_setup),
        cmocka_unit_test_setup(test_server_monitor, th_test_setup),
        cmocka_unit_test_setup(test_server_debug, th_test_setup),
        cmocka_unit_test_setup(test_server_debug_sleep_blocks,
                               th_test_setup),
        cmocka_unit_test_setup(test_server_debug_populate, th_test_setup),
        cmocka_unit_test_setup(test_server_debug_protocol, th_test_setup),
        cmocka_unit_test_setup(test_server_command_info, th_test_setup),
        cmocka_unit_test_setup(test_server_command_count_list_docs,
                               th_test_setup),
        cmocka_unit_test_setup(test_server_command_getkeys, th_test_setup),
        cmocka_unit_test_setup(test_server_command_getkeysandflags,
                               th_test_setup),
        cmocka_unit_test_setup(test_server_slowlog, th_test_setup),
        cmocka_unit_test_setup(test_server_slowlog_trims_args,
                               th_test_setup),
        cmocka_unit_test_setup(test_server_latency, th_test_setup),
        cmocka_unit_test_setup(test_server_command_clock, th_test_setup),
        cmocka_unit_test_setup(test_server_busy_poll, th_test_setup),
    };

    return cmocka_run_group_tests(tests, th_group_setup_debug,
                                  th_group_teardown);
}
