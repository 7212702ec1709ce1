/*
 * test_iothreads.c - io-threads against a real gencached started with
 * four I/O threads: replies in request order with pipelining over many
 * connections, blocking commands, MULTI and pub/sub; CLIENT KILL and
 * disconnects in the middle of a batch; AUTH changing the parser limits
 * inside one pipelined write; the query buffer limit; INFO's # Threads
 * and net counters; SIGTERM under load (every thread joins, exit 0).
 *
 * The whole integration suite also runs with I/O threads (meson test
 * --setup iothreads); this file checks what only threads can break.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

static const char *const threaded_args[] = {"--io-threads", "4", NULL};

/* Group setup: a server with four I/O threads. */
static int setup_threaded(void **state)
{
    th_server_t *s = calloc(1, sizeof(*s));

    if (!s || th_server_start(s, threaded_args) < 0) {
        free(s);
        return -1;
    }
    s->ctx = th_connect(s);
    *state = s;
    return 0;
}

/* Test: INFO says the threads run, each has its line, and connections
 * spread over them. */
static void test_info_threads(void **state)
{
    th_server_t *s = *state;
    redisContext *cs[8];
    redisReply *r;
    int busy = 0;

    assert_int_equal(th_info_int(s->ctx, "threads", "io_threads_active"), 1);
    assert_int_equal(th_info_int(s->ctx, "server", "io_threads_active"), 1);
    for (int i = 0; i < 8; i++) {
        cs[i] = th_connect(s);
        th_expect_status(cs[i], "PONG", "PING");
    }
    r = th_cmd(s->ctx, "INFO threads");
    for (int i = 1; i <= 4; i++) {
        char key[32];
        const char *p;

        snprintf(key, sizeof(key), "io_thread_%d:reads=", i);
        p = strstr(r->str, key);
        assert_non_null(p);
        p = strstr(p, ",clients=");
        assert_non_null(p);
        busy += atoll(p + 9) > 0;
    }
    assert_null(strstr(r->str, "io_thread_5:"));
    freeReplyObject(r);
    /* Nine connections over four threads, least loaded first. */
    assert_int_equal(busy, 4);
    assert_true(th_info_int(s->ctx, "stats", "total_net_input_bytes") > 0);
    assert_true(th_info_int(s->ctx, "stats", "total_net_output_bytes") > 0);
    for (int i = 0; i < 8; i++)
        redisFree(cs[i]);
}

/* Test: pipelined INCRs and ECHOs on several connections at once come
 * back complete and in order on each. */
static void test_pipeline_order(void **state)
{
    th_server_t *s = *state;
    enum { NCONN = 6, NCMD = 3000 };
    redisContext *cs[NCONN];
    redisReply *r;

    th_expect_status(s->ctx, "OK", "FLUSHALL");
    for (int i = 0; i < NCONN; i++) {
        cs[i] = th_connect(s);
        for (int j = 0; j < NCMD; j++) {
            redisAppendCommand(cs[i], "ECHO c%d:%d", i, j);
            redisAppendCommand(cs[i], "INCR order:%d", i);
        }
    }
    for (int i = 0; i < NCONN; i++) {
        for (int j = 0; j < NCMD; j++) {
            char want[32];

            snprintf(want, sizeof(want), "c%d:%d", i, j);
            assert_int_equal(redisGetReply(cs[i], (void **)&r), REDIS_OK);
            assert_int_equal(r->type, REDIS_REPLY_STRING);
            assert_string_equal(r->str, want);
            freeReplyObject(r);
            assert_int_equal(redisGetReply(cs[i], (void **)&r), REDIS_OK);
            assert_int_equal(r->type, REDIS_REPLY_INTEGER);
            assert_int_equal(r->integer, j + 1);
            freeReplyObject(r);
        }
        redisFree(cs[i]);
    }
}

/* Test: a pipeline with a BLPOP in the middle: the commands after it
 * wait for it, and every reply keeps its place. */
static void test_blocking_in_pipeline(void **state)
{
    th_server_t *s = *state;
    redisContext *a = th_connect(s);
    redisReply *r;

    th_expect_status(s->ctx, "OK", "FLUSHALL");
    redisAppendCommand(a, "SET before 1");
    redisAppendCommand(a, "BLPOP bq 0");
    redisAppendCommand(a, "GET before");
    redisAppendCommand(a, "LLEN bq");
    assert_int_equal(redisBufferWrite(a, &(int){0}), REDIS_OK);
    th_wait_info(s->ctx, "clients", "blocked_clients", 1);
    th_expect_int(s->ctx, 1, "RPUSH bq x");
    assert_int_equal(redisGetReply(a, (void **)&r), REDIS_OK);
    assert_string_equal(r->str, "OK");
    freeReplyObject(r);
    assert_int_equal(redisGetReply(a, (void **)&r), REDIS_OK);
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_string_equal(r->element[1]->str, "x");
    freeReplyObject(r);
    assert_int_equal(redisGetReply(a, (void **)&r), REDIS_OK);
    assert_string_equal(r->str, "1");
    freeReplyObject(r);
    assert_int_equal(redisGetReply(a, (void **)&r), REDIS_OK);
    assert_int_equal(r->integer, 0);
    freeReplyObject(r);
    redisFree(a);
}

/* Test: a client blocked in BLPOP that disconnects is noticed by its
 * thread and freed: blocked_clients returns to 0. */
static void test_disconnect_while_blocked(void **state)
{
    th_server_t *s = *state;
    redisContext *a;

    /* Only the group's connection is left from earlier tests. */
    th_wait_info(s->ctx, "clients", "connected_clients", 1);
    a = th_connect(s);
    redisAppendCommand(a, "BLPOP nowhere 0");
    assert_int_equal(redisBufferWrite(a, &(int){0}), REDIS_OK);
    th_wait_info(s->ctx, "clients", "blocked_clients", 1);
    redisFree(a);
    th_wait_info(s->ctx, "clients", "blocked_clients", 0);
    th_wait_info(s->ctx, "clients", "connected_clients", 1);
}

/* Test: MULTI ... EXEC sent as one pipeline, twice, interleaved with a
 * second connection's writes. */
static void test_multi_pipelined(void **state)
{
    th_server_t *s = *state;
    redisContext *a = th_connect(s);
    redisReply *r;

    th_expect_status(s->ctx, "OK", "SET m 10");
    for (int k = 0; k < 2; k++) {
        redisAppendCommand(a, "MULTI");
        redisAppendCommand(a, "INCR m");
        redisAppendCommand(a, "INCR m");
        redisAppendCommand(a, "EXEC");
    }
    for (int k = 0; k < 2; k++) {
        assert_int_equal(redisGetReply(a, (void **)&r), REDIS_OK);
        assert_string_equal(r->str, "OK");
        freeReplyObject(r);
        for (int i = 0; i < 2; i++) {
            assert_int_equal(redisGetReply(a, (void **)&r), REDIS_OK);
            assert_string_equal(r->str, "QUEUED");
            freeReplyObject(r);
        }
        assert_int_equal(redisGetReply(a, (void **)&r), REDIS_OK);
        assert_int_equal(r->type, REDIS_REPLY_ARRAY);
        assert_int_equal(r->elements, 2);
        assert_int_equal(r->element[1]->integer, 12 + 2 * k);
        freeReplyObject(r);
    }
    th_expect_str(s->ctx, "14", "GET m");
    redisFree(a);
}

/* Test: a subscriber on one thread gets every message of a publisher on
 * another, in publishing order, and its PING replies keep their place. */
static void test_pubsub_order(void **state)
{
    th_server_t *s = *state;
    redisContext *sub = th_connect(s), *pub = th_connect(s);
    redisReply *r;
    enum { NMSG = 500 };

    r = th_cmd(sub, "SUBSCRIBE chan");
    freeReplyObject(r);
    for (int i = 0; i < NMSG; i++)
        redisAppendCommand(pub, "PUBLISH chan m%d", i);
    for (int i = 0; i < NMSG; i++) {
        assert_int_equal(redisGetReply(pub, (void **)&r), REDIS_OK);
        assert_int_equal(r->integer, 1);
        freeReplyObject(r);
    }
    redisAppendCommand(sub, "PING tail");
    for (int i = 0; i < NMSG; i++) {
        char want[16];

        snprintf(want, sizeof(want), "m%d", i);
        assert_int_equal(redisGetReply(sub, (void **)&r), REDIS_OK);
        assert_int_equal(r->elements, 3);
        assert_string_equal(r->element[2]->str, want);
        freeReplyObject(r);
    }
    assert_int_equal(redisGetReply(sub, (void **)&r), REDIS_OK);
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_string_equal(r->element[0]->str, "pong");
    assert_string_equal(r->element[1]->str, "tail");
    freeReplyObject(r);
    redisFree(sub);
    redisFree(pub);
}

/* Send n pipelined SETs on a raw socket without reading the replies. */
static int flood(const th_server_t *s, int n)
{
    int fd = th_raw_connect(s);
    char cmd[96];

    for (int i = 0; i < n; i++) {
        int len = snprintf(cmd, sizeof(cmd),
                           "*3\r\n$3\r\nSET\r\n$6\r\nfl%04d\r\n$3\r\nval\r\n",
                           i % 10000);
        th_raw_send(fd, cmd, (size_t)len);
    }
    return fd;
}

/* Test: CLIENT KILL of a client with a batch in flight, and clients that
 * vanish mid-pipeline: the server and every other client carry on. */
static void test_kill_and_vanish_mid_batch(void **state)
{
    th_server_t *s = *state;
    redisReply *r;
    int fd;

    /* Only the group's connection is left from earlier tests. */
    th_wait_info(s->ctx, "clients", "connected_clients", 1);
    fd = flood(s, 20000);
    r = th_cmd(s->ctx, "CLIENT KILL SKIPME yes");
    assert_int_equal(r->type, REDIS_REPLY_INTEGER);
    assert_true(r->integer >= 1);
    freeReplyObject(r);
    close(fd);
    for (int i = 0; i < 5; i++)
        close(flood(s, 5000));
    th_expect_status(s->ctx, "PONG", "PING");
    th_wait_info(s->ctx, "clients", "connected_clients", 1);
    th_expect_status(s->ctx, "OK", "SET after kill");
    th_expect_str(s->ctx, "kill", "GET after");
}

/* Test: a protocol error ends the connection after the replies of the
 * commands before it, as without threads. */
static void test_protocol_error_after_commands(void **state)
{
    th_server_t *s = *state;
    int fd = th_raw_connect(s), closed = 0;
    const char req[] = "PING\r\n*1\r\n$4\r\nPING\r\n*x\r\n";
    char buf[512];

    th_raw_send(fd, req, sizeof(req) - 1);
    th_raw_read(fd, buf, sizeof(buf), 1000, 2000, &closed);
    assert_string_equal(buf, "+PONG\r\n+PONG\r\n-ERR Protocol error: "
                             "invalid multibulk length\r\n");
    assert_int_equal(closed, 1);
    close(fd);
}

/* Test: with a password, AUTH and a bulk bigger than the unauthenticated
 * limit arrive in one write: the limits change between the two commands,
 * as they do without threads. */
static void test_auth_then_big_bulk(void **state)
{
    th_server_t *s = *state;
    enum { BIG = 100000 };
    static char req[BIG + 256];
    int fd, closed = 0;
    char buf[256];
    size_t big = BIG, n = 0;

    th_expect_status(s->ctx, "OK", "CONFIG SET requirepass sesame");
    fd = th_raw_connect(s);
    n += (size_t)sprintf(req, "*2\r\n$4\r\nAUTH\r\n$6\r\nsesame\r\n"
                              "*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$%zu\r\n",
                         big);
    memset(req + n, 'b', big);
    n += big;
    memcpy(req + n, "\r\n", 2);
    th_raw_send(fd, req, n + 2);
    th_raw_read(fd, buf, sizeof(buf), 10, 3000, &closed);
    assert_string_equal(buf, "+OK\r\n+OK\r\n");
    assert_int_equal(closed, 0);
    close(fd);
    /* A new connection must authenticate; the group's stays authenticated
     * (CONFIG SET requirepass does not log anyone out, as in Redis). */
    {
        redisContext *c = th_connect(s);

        th_expect_error(c, "NOAUTH", "PING");
        th_expect_status(c, "OK", "AUTH sesame");
        th_expect_int(c, (long long)big, "STRLEN big");
        redisFree(c);
    }
    th_expect_status(s->ctx, "OK", "CONFIG SET requirepass %s", "");
}

/* Test: a client past client-query-buffer-limit is closed and counted. */
static void test_query_buffer_limit(void **state)
{
    th_server_t *s = *state;
    long long before = th_info_int(s->ctx, "stats",
                                  "client_query_buffer_limit_disconnections");
    enum { JUNK = 2 * 1024 * 1024 };
    static char junk[JUNK];
    static const char head[] = "*2\r\n$3\r\nGET\r\n$3000000\r\n";
    int fd;
    char buf[64];
    struct timeval tv = {3, 0};

    th_expect_status(s->ctx, "OK", "CONFIG SET client-query-buffer-limit "
                                   "1048576");
    fd = th_raw_connect(s);
    /* One bulk that never ends: the parser must keep it all. */
    memcpy(junk, head, sizeof(head) - 1);
    memset(junk + sizeof(head) - 1, 'j', JUNK - (sizeof(head) - 1));
    th_raw_send(fd, junk, JUNK);
    /* Closed: EOF, or a reset as unread bytes were left behind. */
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    assert_true(recv(fd, buf, sizeof(buf), 0) <= 0);
    close(fd);
    assert_int_equal(th_info_int(s->ctx, "stats",
                                "client_query_buffer_limit_disconnections"),
                     before + 1);
    th_expect_status(s->ctx, "OK", "CONFIG SET client-query-buffer-limit "
                                   "1073741824");
}

/* Test: SIGTERM while clients hammer the server: every thread joins and
 * the process exits 0; a reply a client received is never taken back
 * (what was acknowledged reads back until the end). */
static void test_sigterm_under_load(void **state)
{
    th_server_t own;
    enum { NCLIENT = 4 };
    pid_t kids[NCLIENT];
    int status;

    (void)state;
    assert_int_equal(th_server_start(&own, threaded_args), 0);
    for (int i = 0; i < NCLIENT; i++) {
        kids[i] = fork();
        assert_true(kids[i] >= 0);
        if (kids[i] == 0) {
            redisContext *c = redisConnect("127.0.0.1", own.port);
            redisReply *r;
            long long acked = 0;

            for (int round = 0; c && !c->err; round++) {
                for (int j = 0; j < 64; j++)
                    redisAppendCommand(c, "INCR load:%d", i);
                for (int j = 0; j < 64; j++) {
                    if (redisGetReply(c, (void **)&r) != REDIS_OK)
                        _exit(0); /* the server went: fine */
                    if (r->type != REDIS_REPLY_INTEGER ||
                        r->integer != acked + 1)
                        _exit(3); /* out of order or lost */
                    acked = r->integer;
                    freeReplyObject(r);
                }
            }
            _exit(0);
        }
    }
    usleep(300 * 1000);
    assert_int_equal(th_server_stop(&own), 0);
    for (int i = 0; i < NCLIENT; i++) {
        assert_int_equal(waitpid(kids[i], &status, 0), kids[i]);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_info_threads),
        cmocka_unit_test(test_pipeline_order),
        cmocka_unit_test(test_blocking_in_pipeline),
        cmocka_unit_test(test_disconnect_while_blocked),
        cmocka_unit_test(test_multi_pipelined),
        cmocka_unit_test(test_pubsub_order),
        cmocka_unit_test(test_kill_and_vanish_mid_batch),
        cmocka_unit_test(test_protocol_error_after_commands),
        cmocka_unit_test(test_auth_then_big_bulk),
        cmocka_unit_test(test_query_buffer_limit),
        cmocka_unit_test(test_sigterm_under_load),
    };

    signal(SIGPIPE, SIG_IGN);
    return cmocka_run_group_tests(tests, setup_threaded, th_group_teardown);
}
