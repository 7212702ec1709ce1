/*
 * test_obuf.c - client-output-buffer-limit against a real gencached: the
 * hard limit cuts off a client that pipelines GETs of a big value without
 * reading (others keep working, the server's memory stays bounded), the
 * soft limit after its seconds, the default normal limits never cut,
 * CLIENT LIST shows the pending output (omem, obl, oll), a client's
 * output buffer is kept between pipelines but given back once the client
 * is idle, a pipeline of big replies written mid-batch arrives whole and
 * in order, and a transaction cut mid-way still runs whole.
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

#define BIG (1024 * 1024) /* bytes of the big value */

/* Store a BIG-byte value under "big". */
static void set_big(redisContext *c)
{
    char *v = malloc(BIG);
    redisReply *r;

    assert_non_null(v);
    memset(v, 'x', BIG);
    r = th_cmd(c, "SET big %b", v, (size_t)BIG);
    assert_int_equal(r->type, REDIS_REPLY_STATUS);
    freeReplyObject(r);
    free(v);
}

/* Pipeline n "GET big" on raw socket fd without reading. */
static void send_gets(int fd, int n)
{
    static const char get[] = "*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n";
    size_t len = sizeof(get) - 1;
    char *buf = malloc(len * (size_t)n);

    assert_non_null(buf);
    for (int i = 0; i < n; i++)
        memcpy(buf + len * (size_t)i, get, len);
    th_raw_send(fd, buf, len * (size_t)n);
    free(buf);
}

/* Number of connected clients per INFO. */
static long long connected(redisContext *c)
{
    return th_info_int(c, "clients", "connected_clients");
}

/* Wait up to ms for client_output_buffer_limit_disconnections to reach
 * want; returns the last value seen. */
static long long wait_disconnections(redisContext *c, long long want,
                                     int ms)
{
    long long v = 0;

    for (int i = 0; i < ms / 20; i++) {
        v = th_info_int(c, "stats",
                       "client_output_buffer_limit_disconnections");
        if (v >= want)
            break;
        usleep(20000);
    }
    return v;
}

/* Read from fd until the peer closes (up to 30 s); returns 1 if closed. */
static int drained_to_close(int fd)
{
    char *buf = malloc(BIG);
    int closed = 0;

    assert_non_null(buf);
    for (int i = 0; i < 1200 && !closed; i++)
        th_raw_read(fd, buf, BIG, BIG - 1, 25, &closed);
    free(buf);
    return closed;
}

/* True when the server log contains s. */
static int log_has(const th_server_t *s, const char *needle)
{
    FILE *f = fopen(s->log, "r");
    char line[4096];
    int found = 0;

    if (!f)
        return 0;
    while (!found && fgets(line, sizeof(line), f))
        found = strstr(line, needle) != NULL;
    fclose(f);
    return found;
}

static void test_hard_limit_cuts_off_pipelining_reader(void **state)
{
    th_server_t *s = *state;
    redisContext *other = th_connect(s);
    long long before, mem;
    int fd;

    th_expect_status(s->ctx, "OK", "CONFIG SET client-output-buffer-limit "
                                   "%s", "normal 10mb 0 0");
    set_big(s->ctx);
    before = th_info_int(s->ctx, "stats",
                        "client_output_buffer_limit_disconnections");
    fd = th_raw_connect(s);
    send_gets(fd, 300); /* 300 MB of replies if nothing stopped it */
    assert_int_equal(wait_disconnections(s->ctx, before + 1, 30000),
                     before + 1);
    /* The other client is fine, the cut one is gone. */
    th_expect_status(other, "PONG", "PING");
    th_expect_int(other, BIG, "STRLEN big");
    assert_int_equal(connected(s->ctx), 2);
    mem = th_info_int(s->ctx, "memory", "used_memory");
    assert_true(mem > 0 && mem < 64LL * 1024 * 1024);
    assert_true(drained_to_close(fd));
    close(fd);
    assert_true(log_has(s, "scheduled to be closed ASAP for overcoming of "
                           "output buffer limits."));
    th_expect_status(s->ctx, "OK", "CONFIG SET client-output-buffer-limit "
                                   "%s", "normal 0 0 0");
    redisFree(other);
}

static void test_soft_limit_after_seconds(void **state)
{
    th_server_t *s = *state;
    long long before;
    int fd;

    th_expect_status(s->ctx, "OK", "CONFIG SET client-output-buffer-limit "
                                   "%s", "normal 0 2mb 1");
    set_big(s->ctx);
    before = th_info_int(s->ctx, "stats",
                        "client_output_buffer_limit_disconnections");
    fd = th_raw_connect(s);
    send_gets(fd, 30);
    /* Over the soft limit, but not yet for a second. */
    usleep(300000);
    assert_int_equal(th_info_int(s->ctx, "stats",
                                "client_output_buffer_limit_disconnections"),
                     before);
    assert_int_equal(connected(s->ctx), 2);
    assert_int_equal(wait_disconnections(s->ctx, before + 1, 30000),
                     before + 1);
    assert_true(drained_to_close(fd));
    close(fd);
    th_expect_status(s->ctx, "OK", "CONFIG SET client-output-buffer-limit "
                                   "%s", "normal 0 0 0");
}

static void test_default_limits_never_cut(void **state)
{
    th_server_t *s = *state;
    const size_t one = 10 + BIG + 2; /* "$1048576\r\n" value "\r\n" */
    const int n = 20;
    size_t want = one * (size_t)n, got = 0;
    long long before;
    char *buf;
    int fd, closed = 0;
    redisReply *r = th_cmd(s->ctx, "CONFIG GET client-output-buffer-limit");

    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_string_equal(r->element[1]->str,
                        "normal 0 0 0 slave 268435456 67108864 60 "
                        "pubsub 33554432 8388608 60");
    freeReplyObject(r);
    set_big(s->ctx);
    before = th_info_int(s->ctx, "stats",
                        "client_output_buffer_limit_disconnections");
    fd = th_raw_connect(s);
    send_gets(fd, n);
    usleep(500000);
    assert_int_equal(th_info_int(s->ctx, "stats",
                                "client_output_buffer_limit_disconnections"),
                     before);
    buf = malloc(want + 1);
    assert_non_null(buf);
    for (int i = 0; i < 100 && got < want && !closed; i++)
        got += th_raw_read(fd, buf + got, want + 1 - got, want - got, 100,
                           &closed);
    assert_false(closed);
    assert_int_equal(got, want);
    assert_memory_equal(buf, "$1048576\r\nxxx", 13);
    free(buf);
    close(fd);
}

/* The CLIENT LIST line of the client whose line contains needle. */
static char *client_line(redisContext *c, const char *needle)
{
    redisReply *r = th_cmd(c, "CLIENT LIST");
    char *line = NULL, *save = NULL, *p;

    assert_int_equal(r->type, REDIS_REPLY_STRING);
    for (p = strtok_r(r->str, "\n", &save); p;
         p = strtok_r(NULL, "\n", &save)) {
        if (strstr(p, needle)) {
            line = strdup(p);
            break;
        }
    }
    freeReplyObject(r);
    return line;
}

/* Value of field name= in a CLIENT LIST line. */
static long long line_field(const char *line, const char *name)
{
    char key[64];
    const char *p;

    snprintf(key, sizeof(key), " %s=", name);
    p = strstr(line, key);
    assert_non_null(p);
    return atoll(p + strlen(key));
}

static void test_client_list_output_fields(void **state)
{
    th_server_t *s = *state;
    char *line;
    int fd;

    set_big(s->ctx);
    line = client_line(s->ctx, "cmd=client|list");
    assert_non_null(line);
    assert_int_equal(line_field(line, "obl"), 0);
    assert_int_equal(line_field(line, "oll"), 0);
    assert_int_equal(line_field(line, "omem"), 0);
    free(line);
    fd = th_raw_connect(s);
    send_gets(fd, 40);
    usleep(300000);
    line = client_line(s->ctx, "cmd=get");
    assert_non_null(line);
    /* Most of 40 MB is still waiting for the reader (the kernel's socket
     * buffers take a few MB). */
    assert_true(line_field(line, "omem") > 16LL * BIG);
    assert_true(line_field(line, "tot-mem") >= line_field(line, "omem"));
    free(line);
    close(fd);
}

/* Whether the server under test runs I/O threads (the harness passes
 * GENCACHE_IO_THREADS on as --io-threads). */
static int threaded(void)
{
    const char *t = getenv("GENCACHE_IO_THREADS");

    return t && atoi(t) > 0;
}

/* A pipeline of two GETs of a 100 KB value leaves a 200 KB output buffer
 * that is kept for the next pipeline (regrowing it every time faulted its
 * pages in again), and the cron gives it back after 2 s of idleness. */
static void test_output_buffer_kept_then_released(void **state)
{
    th_server_t *s = *state;
    redisContext *k = th_connect(s);
    size_t n = 100 * 1024;
    char *v = malloc(n);
    redisReply *r;
    char *line;
    long long mem = 0;

    assert_non_null(v);
    memset(v, 'v', n);
    th_expect_status(k, "OK", "CLIENT SETNAME keeper");
    r = th_cmd(k, "SET v100k %b", v, n);
    freeReplyObject(r);
    free(v);
    for (int i = 0; i < 2; i++)
        assert_int_equal(redisAppendCommand(k, "GET v100k"), REDIS_OK);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(redisGetReply(k, (void **)&r), REDIS_OK);
        assert_int_equal(r->len, (long long)n);
        freeReplyObject(r);
    }
    line = client_line(s->ctx, "name=keeper");
    assert_non_null(line);
    if (!threaded())
        assert_true(line_field(line, "tot-mem") > 200LL * 1024);
    free(line);
    for (int i = 0; i < 300 && (mem == 0 || mem > 64 * 1024); i++) {
        usleep(100000);
        line = client_line(s->ctx, "name=keeper");
        assert_non_null(line);
        mem = line_field(line, "tot-mem");
        free(line);
    }
    assert_true(mem < 64 * 1024);
    redisFree(k);
}

/* A pipeline whose replies pass the size at which the server writes
 * mid-batch (256 KB), read only after a pause so the socket fills and
 * those writes are partial or refused: every reply arrives whole and in
 * request order, interleaved small replies included. */
static void test_big_pipeline_replies_whole_in_order(void **state)
{
    th_server_t *s = *state;
    redisContext *k = th_connect(s);
    const int n = 24;
    redisReply *r;

    set_big(s->ctx);
    for (int i = 0; i < n; i++) {
        assert_int_equal(redisAppendCommand(k, "GET big"), REDIS_OK);
        assert_int_equal(redisAppendCommand(k, "INCR seq"), REDIS_OK);
    }
    assert_int_equal(redisAppendCommand(k, "LRANGE nolist 0 -1"), REDIS_OK);
    usleep(300000);
    for (int i = 0; i < n; i++) {
        assert_int_equal(redisGetReply(k, (void **)&r), REDIS_OK);
        assert_int_equal(r->type, REDIS_REPLY_STRING);
        assert_int_equal(r->len, BIG);
        assert_int_equal(r->str[0], 'x');
        assert_int_equal(r->str[BIG - 1], 'x');
        freeReplyObject(r);
        assert_int_equal(redisGetReply(k, (void **)&r), REDIS_OK);
        assert_int_equal(r->type, REDIS_REPLY_INTEGER);
        assert_int_equal(r->integer, i + 1);
        freeReplyObject(r);
    }
    assert_int_equal(redisGetReply(k, (void **)&r), REDIS_OK);
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->elements, 0);
    freeReplyObject(r);
    th_expect_int(k, n + 1, "INCR seq");
    redisFree(k);
}

static void test_transaction_completes_when_cut(void **state)
{
    th_server_t *s = *state;
    char item[1000];
    int fd, closed = 0;
    char buf[4096];
    static const char tx[] =
        "MULTI\r\nSET k2 v2\r\nLRANGE big 0 -1\r\nSET k3 v3\r\n"
        "EXEC\r\nSET k4 v4\r\n";

    memset(item, 'x', sizeof(item));
    for (int i = 0; i < 150; i++) {
        redisReply *r = th_cmd(s->ctx, "RPUSH big %b", item, sizeof(item));

        freeReplyObject(r);
    }
    th_expect_status(s->ctx, "OK", "CONFIG SET client-output-buffer-limit "
                                   "%s", "normal 100000 0 0");
    /* One read: the reply to LRANGE (150 KB) passes the limit inside
     * EXEC. The transaction still runs whole, nothing is sent, and the
     * command after EXEC is not run. */
    fd = th_raw_connect(s);
    th_raw_send(fd, tx, sizeof(tx) - 1);
    assert_int_equal(th_raw_read(fd, buf, sizeof(buf), sizeof(buf) - 1,
                                 2000, &closed),
                     0);
    assert_true(closed);
    close(fd);
    th_expect_str(s->ctx, "v2", "GET k2");
    th_expect_str(s->ctx, "v3", "GET k3");
    th_expect_nil(s->ctx, "GET k4");
    th_expect_status(s->ctx, "OK", "CONFIG SET client-output-buffer-limit "
                                   "%s", "normal 0 0 0");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_default_limits_never_cut,
                               th_test_setup),
        cmocka_unit_test_setup(test_hard_limit_cuts_off_pipelining_reader,
                               th_test_setup),
        cmocka_unit_test_setup(test_soft_limit_after_seconds,
                               th_test_setup),
        cmocka_unit_test_setup(test_client_list_output_fields,
                               th_test_setup),
        cmocka_unit_test_setup(test_output_buffer_kept_then_released,
                               th_test_setup),
        cmocka_unit_test_setup(test_big_pipeline_replies_whole_in_order,
                               th_test_setup),
        cmocka_unit_test_setup(test_transaction_completes_when_cut,
                               th_test_setup),
    };

    return cmocka_run_group_tests(tests, th_group_setup, th_group_teardown);
}
