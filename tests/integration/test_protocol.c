/*
 * test_protocol.c - the wire behaviour of a real gencached: pipelining,
 * inline commands, Redis 7.0's dispatch error texts, protocol errors
 * (reply, close that client only), big values, QUIT, maxclients, CLIENT
 * REPLY OFF/SKIP, CLIENT PAUSE and the MONITOR line format.
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

/* Send raw bytes on a fresh connection and read `want` bytes back
 * (timeout ms). Returns the fd (caller closes); the reply is in buf. */
static int raw_exchange(const th_server_t *s, const char *req, char *buf,
                        size_t size, size_t want, int timeout_ms,
                        int *closed)
{
    int fd = th_raw_connect(s);

    assert_true(fd >= 0);
    th_raw_send(fd, req, strlen(req));
    th_raw_read(fd, buf, size, want, timeout_ms, closed);
    return fd;
}

/* Expect an exact error reply text for a hiredis command. */
static void expect_error_exact(redisContext *c, const char *text, int argc,
                               const char **argv)
{
    redisReply *r = th_cmdv(c, argc, argv, NULL);

    assert_int_equal(r->type, REDIS_REPLY_ERROR);
    assert_string_equal(r->str, text);
    freeReplyObject(r);
}

/* 1000 commands in one write come back as 1000 replies, in order. */
static void test_protocol_pipeline_1000(void **state)
{
    th_server_t *s = *state;
    size_t olen = strlen("*2\r\n$4\r\nINCR\r\n$7\r\npipectr\r\n");
    char *req = malloc(olen * 1000 + 1), *buf = malloc(16384);
    char expect[32];
    size_t off = 0, pos = 0, got;
    int fd, closed;

    for (int i = 0; i < 1000; i++) {
        memcpy(req + off, "*2\r\n$4\r\nINCR\r\n$7\r\npipectr\r\n", olen);
        off += olen;
    }
    fd = th_raw_connect(s);
    th_raw_send(fd, req, off);
    /* ":1\r\n" .. ":1000\r\n" : 9*4 + 90*5 + 900*6 + 1*7 bytes. */
    got = th_raw_read(fd, buf, 16384, 36 + 450 + 5400 + 7, 5000, &closed);
    assert_int_equal(got, 36 + 450 + 5400 + 7);
    for (int i = 1; i <= 1000; i++) {
        int n = snprintf(expect, sizeof(expect), ":%d\r\n", i);

        assert_memory_equal(buf + pos, expect, (size_t)n);
        pos += (size_t)n;
    }
    close(fd);
    free(req);
    free(buf);
}

/* Append cmd (space-separated words) to req as a RESP multibulk. */
static size_t resp_append(char *req, size_t off, const char *cmd)
{
    char words[256], *w, *save = NULL;
    const char *argv[16];
    int argc = 0;

    snprintf(words, sizeof(words), "%s", cmd);
    for (w = strtok_r(words, " ", &save); w && argc < 16;
         w = strtok_r(NULL, " ", &save))
        argv[argc++] = w;
    off += (size_t)sprintf(req + off, "*%d\r\n", argc);
    for (int i = 0; i < argc; i++)
        off += (size_t)sprintf(req + off, "$%zu\r\n%s\r\n", strlen(argv[i]),
                               argv[i]);
    return off;
}

/* One pipelined write mixing reads with SELECT, MULTI/EXEC, an expired
 * key and a missing one (the executor prefetches ahead of such runs):
 * every reply, and the hit/miss/expiry counts, are as run one by one. */
static void test_protocol_pipeline_mixed(void **state)
{
    static const char *const cmds[] = {
        "GET a", "GET b", "SELECT 1", "GET a", "SET a one", "GET a",
        "MULTI", "GET a", "SET b two", "EXEC", "SELECT 0", "GET a",
        "GET b", "GET e", "GET missing"};
    static const char expect[] =
        "$2\r\nA0\r\n$2\r\nB0\r\n+OK\r\n$-1\r\n+OK\r\n$3\r\none\r\n"
        "+OK\r\n+QUEUED\r\n+QUEUED\r\n*2\r\n$3\r\none\r\n+OK\r\n+OK\r\n"
        "$2\r\nA0\r\n$2\r\nB0\r\n$-1\r\n$-1\r\n";
    th_server_t *s = *state;
    char req[2048], buf[512];
    long long hits, misses, expired;
    size_t off = 0;
    int closed = 0, fd;

    th_expect_status(s->ctx, "OK", "SET a A0");
    th_expect_status(s->ctx, "OK", "SET b B0");
    th_expect_status(s->ctx, "OK", "SET e gone PX 1");
    usleep(20 * 1000);
    hits = th_info_int(s->ctx, "stats", "keyspace_hits");
    misses = th_info_int(s->ctx, "stats", "keyspace_misses");
    expired = th_info_int(s->ctx, "stats", "expired_keys");
    for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
        off = resp_append(req, off, cmds[i]);
    fd = th_raw_connect(s);
    assert_true(fd >= 0);
    th_raw_send(fd, req, off);
    assert_int_equal(th_raw_read(fd, buf, sizeof(buf), sizeof(expect) - 1,
                                 3000, &closed),
                     sizeof(expect) - 1);
    assert_string_equal(buf, expect);
    close(fd);
    assert_int_equal(th_info_int(s->ctx, "stats", "keyspace_hits"),
                     hits + 6);
    assert_int_equal(th_info_int(s->ctx, "stats", "keyspace_misses"),
                     misses + 3);
    assert_int_equal(th_info_int(s->ctx, "stats", "expired_keys"),
                     expired + 1);
}

/* Inline commands, with double and single quotes and escapes. */
static void test_protocol_inline(void **state)
{
    th_server_t *s = *state;
    char buf[256];
    int closed, fd;

    fd = raw_exchange(s, "SET ik \"hello world\"\r\nGET ik\r\n", buf,
                      sizeof(buf), 5 + 18, 2000, &closed);
    assert_string_equal(buf, "+OK\r\n$11\r\nhello world\r\n");
    th_raw_send(fd, "ECHO 'a b'\r\n", 12);
    th_raw_read(fd, buf, sizeof(buf), 9, 2000, &closed);
    assert_string_equal(buf, "$3\r\na b\r\n");
    th_raw_send(fd, "ECHO \"x\\ty\"\r\n", 13);
    th_raw_read(fd, buf, sizeof(buf), 9, 2000, &closed);
    assert_string_equal(buf, "$3\r\nx\ty\r\n");
    /* Empty lines are skipped; PING inline works. */
    th_raw_send(fd, "\r\n\r\nPING\r\n", 10);
    th_raw_read(fd, buf, sizeof(buf), 7, 2000, &closed);
    assert_string_equal(buf, "+PONG\r\n");
    close(fd);
}

/* Redis 7.0's unknown-command text, with its 128-byte argument cap. */
static void test_protocol_unknown_command(void **state)
{
    th_server_t *s = *state;
    const char *a1[] = {"foo", "a", "b c"};
    const char *a2[] = {"nosuchcmd"};
    char big[300], expect[512];
    const char *a3[] = {"bar", big, "x"};

    expect_error_exact(s->ctx, "ERR unknown command 'foo', with args "
                               "beginning with: 'a' 'b c' ", 3, a1);
    expect_error_exact(s->ctx, "ERR unknown command 'nosuchcmd', with args "
                               "beginning with: ", 1, a2);
    memset(big, 'z', 200);
    big[200] = '\0';
    snprintf(expect, sizeof(expect), "ERR unknown command 'bar', with args "
             "beginning with: '%.128s' ", big);
    expect_error_exact(s->ctx, expect, 3, a3);
}

/* Arity and subcommand errors name the command as Redis 7.0 does. */
static void test_protocol_arity_errors(void **state)
{
    th_server_t *s = *state;
    const char *get0[] = {"GET"};
    const char *get2[] = {"get", "a", "b"};
    const char *kill[] = {"CLIENT", "KILL"};
    const char *cli[] = {"client"};
    const char *sub[] = {"client", "xx"};
    const char *sub2[] = {"Config", "nope", "x"};

    expect_error_exact(s->ctx, "ERR wrong number of arguments for 'get' "
                               "command", 1, get0);
    expect_error_exact(s->ctx, "ERR wrong number of arguments for 'get' "
                               "command", 3, get2);
    expect_error_exact(s->ctx, "ERR wrong number of arguments for "
                               "'client|kill' command", 2, kill);
    expect_error_exact(s->ctx, "ERR wrong number of arguments for 'client' "
                               "command", 1, cli);
    expect_error_exact(s->ctx, "ERR unknown subcommand 'xx'. Try CLIENT "
                               "HELP.", 2, sub);
    expect_error_exact(s->ctx, "ERR unknown subcommand 'nope'. Try CONFIG "
                               "HELP.", 3, sub2);
    /* Command names are case-insensitive. */
    th_expect_status(s->ctx, "PONG", "pInG");
}

/* A protocol error gets Redis's text and closes that connection only. */
static void check_protocol_error(const th_server_t *s, const char *req,
                                 const char *reply)
{
    char buf[512];
    int closed = 0, fd;

    fd = raw_exchange(s, req, buf, sizeof(buf), sizeof(buf), 3000, &closed);
    assert_string_equal(buf, reply);
    assert_int_equal(closed, 1);
    close(fd);
}

static void test_protocol_errors_close_only_that_client(void **state)
{
    th_server_t *s = *state;

    check_protocol_error(s, "*abc\r\n",
                         "-ERR Protocol error: invalid multibulk length\r\n");
    check_protocol_error(s, "*1\r\nfoo\r\n",
                         "-ERR Protocol error: expected '$', got 'f'\r\n");
    check_protocol_error(s, "*1\r\n$x\r\n",
                         "-ERR Protocol error: invalid bulk length\r\n");
    check_protocol_error(s, "SET k \"unbalanced\r\n",
                         "-ERR Protocol error: unbalanced quotes in "
                         "request\r\n");
    /* Replies before the error are delivered; nothing after it runs. */
    check_protocol_error(s, "PING\r\n*x\r\nPING\r\n",
                         "+PONG\r\n-ERR Protocol error: invalid multibulk "
                         "length\r\n");
    /* The group's connection still works. */
    th_expect_status(s->ctx, "PONG", "PING");
}

/* A 10 MB value with every byte value round-trips. */
static void test_protocol_big_value(void **state)
{
    th_server_t *s = *state;
    size_t n = 10 * 1024 * 1024;
    char *v = malloc(n);
    redisReply *r;

    for (size_t i = 0; i < n; i++)
        v[i] = (char)(i * 131 + (i >> 13));
    r = th_cmd(s->ctx, "SET big %b", v, n);
    assert_int_equal(r->type, REDIS_REPLY_STATUS);
    freeReplyObject(r);
    r = th_cmd(s->ctx, "GET big");
    assert_int_equal(r->type, REDIS_REPLY_STRING);
    assert_int_equal(r->len, n);
    assert_memory_equal(r->str, v, n);
    freeReplyObject(r);
    th_expect_int(s->ctx, (long long)n, "STRLEN big");
    free(v);
}

/* QUIT replies +OK and closes; commands after it are not run. */
static void test_protocol_quit(void **state)
{
    th_server_t *s = *state;
    char buf[64];
    int closed = 0, fd;

    fd = raw_exchange(s, "QUIT\r\nSET quitkey 1\r\n", buf, sizeof(buf),
                      sizeof(buf), 3000, &closed);
    assert_string_equal(buf, "+OK\r\n");
    assert_int_equal(closed, 1);
    close(fd);
    th_expect_nil(s->ctx, "GET quitkey");
}

/* CLIENT REPLY SKIP drops the next reply; OFF drops all until ON. */
static void test_protocol_client_reply(void **state)
{
    th_server_t *s = *state;
    char buf[128];
    int closed, fd;

    fd = raw_exchange(s, "CLIENT REPLY SKIP\r\nPING\r\nECHO x\r\n", buf,
                      sizeof(buf), 7, 2000, &closed);
    assert_string_equal(buf, "$1\r\nx\r\n");
    th_raw_send(fd, "CLIENT REPLY OFF\r\nPING\r\nNOSUCH\r\nCLIENT REPLY ON\r\n",
                49);
    th_raw_read(fd, buf, sizeof(buf), 5, 2000, &closed);
    assert_string_equal(buf, "+OK\r\n");
    close(fd);
}

/* CLIENT PAUSE WRITE holds writes (in order) but not reads elsewhere. */
static void test_protocol_client_pause(void **state)
{
    th_server_t *s = *state;
    char buf[128];
    int closed, fd;

    th_expect_status(s->ctx, "OK", "CLIENT PAUSE 400 WRITE");
    fd = raw_exchange(s, "SET pk 1\r\nPING\r\n", buf, sizeof(buf), 5, 150,
                      &closed);
    assert_string_equal(buf, "");
    th_expect_nil(s->ctx, "GET pk");
    th_raw_read(fd, buf, sizeof(buf), 12, 3000, &closed);
    assert_string_equal(buf, "+OK\r\n+PONG\r\n");
    close(fd);
    th_expect_str(s->ctx, "1", "GET pk");
}

/* MONITOR sees other clients' commands in Redis's format. */
static void test_protocol_monitor(void **state)
{
    th_server_t *s = *state;
    char buf[512], *line;
    int closed, fd;

    fd = raw_exchange(s, "MONITOR\r\n", buf, sizeof(buf), 5, 2000, &closed);
    assert_string_equal(buf, "+OK\r\n");
    th_expect_status(s->ctx, "OK", "SET %s %s", "mk", "a\"b\n");
    th_raw_read(fd, buf, sizeof(buf), 60, 2000, &closed);
    line = strstr(buf, "[0 127.0.0.1:");
    assert_non_null(line);
    assert_true(buf[0] == '+');
    assert_non_null(strstr(buf, "] \"SET\" \"mk\" \"a\\\"b\\n\"\r\n"));
    close(fd);
}

static void test_protocol_maxclients(void **state)
{
    const char *args[] = {"--maxclients", "2", NULL};
    th_server_t s2;
    redisContext *a, *b;
    char buf[128];
    int closed = 0, fd;

    (void)state;
    assert_int_equal(th_server_start(&s2, args), 0);
    a = th_connect(&s2);
    /* The start-up probe's connection may still be closing (with I/O
     * threads its close reaches the executor a moment later). */
    th_wait_info(a, "clients", "connected_clients", 1);
    b = th_connect(&s2);
    th_wait_info(a, "clients", "connected_clients", 2);
    fd = raw_exchange(&s2, "PING\r\n", buf, sizeof(buf), sizeof(buf), 3000,
                      &closed);
    assert_string_equal(buf, "-ERR max number of clients reached\r\n");
    assert_int_equal(closed, 1);
    close(fd);
    th_expect_status(a, "PONG", "PING");
    redisFree(b);
    redisFree(a);
    assert_int_equal(th_server_stop(&s2), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_protocol_pipeline_1000, th_test_setup),
        cmocka_unit_test_setup(test_protocol_pipeline_mixed, th_test_setup),
        cmocka_unit_test_setup(test_protocol_inline, th_test_setup),
        cmocka_unit_test_setup(test_protocol_unknown_command, th_test_setup),
        cmocka_unit_test_setup(test_protocol_arity_errors, th_test_setup),
        cmocka_unit_test_setup(test_protocol_errors_close_only_that_client,
                               th_test_setup),
        cmocka_unit_test_setup(test_protocol_big_value, th_test_setup),
        cmocka_unit_test_setup(test_protocol_quit, th_test_setup),
        cmocka_unit_test_setup(test_protocol_client_reply, th_test_setup),
        cmocka_unit_test_setup(test_protocol_client_pause, th_test_setup),
        cmocka_unit_test_setup(test_protocol_monitor, th_test_setup),
        cmocka_unit_test(test_protocol_maxclients),
    };

    return cmocka_run_group_tests(tests, th_group_setup, th_group_teardown);
}
