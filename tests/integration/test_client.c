/*
 * test_client.c - every CLIENT subcommand against a real gencached: ID,
 * SETNAME/GETNAME, LIST (TYPE, ID), INFO, KILL (old and new forms),
 * PAUSE/UNPAUSE, REPLY ON/OFF/SKIP, NO-EVICT and HELP, with Redis 7.0's
 * replies.
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

/* CLIENT ID of c. */
static long long client_id(redisContext *c)
{
    redisReply *r = th_cmd(c, "CLIENT ID");
    long long id;

    assert_int_equal(r->type, REDIS_REPLY_INTEGER);
    id = r->integer;
    freeReplyObject(r);
    return id;
}

/* Send a C string on a raw socket. */
static void raw_send(int fd, const char *s)
{
    th_raw_send(fd, s, strlen(s));
}

/* Monotonic seconds. */
static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_client_id(void **state)
{
    th_server_t *s = *state;
    redisContext *c2 = th_connect(s);
    long long a = client_id(s->ctx), b = client_id(c2);

    assert_true(a > 0);
    assert_true(b > a);
    assert_int_equal(client_id(s->ctx), a);
    redisFree(c2);
}

static void test_client_setname_getname(void **state)
{
    th_server_t *s = *state;

    th_expect_status(s->ctx, "OK", "CLIENT SETNAME %s", "");
    th_expect_nil(s->ctx, "CLIENT GETNAME");
    th_expect_status(s->ctx, "OK", "CLIENT SETNAME myname");
    th_expect_str(s->ctx, "myname", "CLIENT GETNAME");
    th_expect_error(s->ctx,
                    "ERR Client names cannot contain spaces, newlines or "
                    "special characters.",
                    "CLIENT SETNAME %s", "foo bar");
    th_expect_error(s->ctx, "ERR Client names cannot contain",
                    "CLIENT SETNAME %s", "a\nb");
    th_expect_str(s->ctx, "myname", "CLIENT GETNAME");
    th_expect_status(s->ctx, "OK", "CLIENT SETNAME %s", "");
    th_expect_nil(s->ctx, "CLIENT GETNAME");
    th_expect_error(s->ctx,
                    "ERR wrong number of arguments for 'client|setname' "
                    "command",
                    "CLIENT SETNAME");
}

static void test_client_list_and_info(void **state)
{
    th_server_t *s = *state;
    long long id = client_id(s->ctx);
    redisContext *c2 = th_connect(s);
    long long id2 = client_id(c2);
    char want[64];
    redisReply *r;

    th_expect_status(s->ctx, "OK", "CLIENT SETNAME lister");
    r = th_cmd(s->ctx, "CLIENT LIST");
    assert_int_equal(r->type, REDIS_REPLY_STRING);
    snprintf(want, sizeof(want), "id=%lld addr=", id);
    assert_non_null(strstr(r->str, want));
    assert_non_null(strstr(r->str, "name=lister"));
    assert_non_null(strstr(r->str, "cmd=client|list"));
    assert_int_equal(r->str[r->len - 1], '\n');
    freeReplyObject(r);

    r = th_cmd(s->ctx, "CLIENT LIST ID %lld", id2);
    snprintf(want, sizeof(want), "id=%lld ", id2);
    assert_memory_equal(r->str, want, strlen(want));
    assert_ptr_equal(strchr(r->str, '\n'), r->str + r->len - 1);
    freeReplyObject(r);

    r = th_cmd(s->ctx, "CLIENT LIST ID %lld %lld 999999", id, id2);
    assert_non_null(strstr(r->str, "name=lister"));
    assert_non_null(strchr(strchr(r->str, '\n') + 1, '\n'));
    freeReplyObject(r);

    r = th_cmd(s->ctx, "CLIENT LIST TYPE pubsub");
    assert_int_equal(r->len, 0);
    freeReplyObject(r);
    r = th_cmd(s->ctx, "CLIENT LIST TYPE normal");
    assert_non_null(strstr(r->str, "name=lister"));
    freeReplyObject(r);

    th_expect_error(s->ctx, "ERR Unknown client type 'foo'",
                    "CLIENT LIST TYPE foo");
    th_expect_error(s->ctx, "ERR Invalid client ID", "CLIENT LIST ID x");
    th_expect_error(s->ctx, "ERR syntax error", "CLIENT LIST foo");

    r = th_cmd(s->ctx, "CLIENT INFO");
    snprintf(want, sizeof(want), "id=%lld addr=", id);
    assert_memory_equal(r->str, want, strlen(want));
    assert_non_null(strstr(r->str, "cmd=client|info"));
    assert_int_equal(r->str[r->len - 1], '\n');
    freeReplyObject(r);
    th_expect_status(s->ctx, "OK", "CLIENT SETNAME %s", "");
    redisFree(c2);
}

/* The qbuf= field of the first line of reply r. */
static long long qbuf_field(const redisReply *r)
{
    const char *q = strstr(r->str, " qbuf=");

    assert_non_null(q);
    return atoll(q + 6);
}

/* While CLIENT INFO / CLIENT LIST runs, qbuf is the protocol bytes of the
 * command being run (26 for "*2 $6 client $4 info|list"), as Redis counts
 * its query buffer: not the memory a thread's batch takes. */
static void test_client_info_qbuf(void **state)
{
    th_server_t *s = *state;
    redisContext *c = th_connect(s);
    char want[64];
    redisReply *r;

    r = th_cmd(c, "client info");
    assert_int_equal(qbuf_field(r), 26);
    freeReplyObject(r);
    /* *4 $6 client $4 list $2 id $L <id>: 40 bytes and the id's digits */
    snprintf(want, sizeof(want), "%lld", client_id(c));
    r = th_cmd(c, "client list id %s", want);
    assert_int_equal(qbuf_field(r), 40 + (long long)strlen(want));
    freeReplyObject(r);
    redisFree(c);
}

/* The addr= field of c's CLIENT INFO into out. */
static void client_addr(redisContext *c, char *out, size_t size)
{
    redisReply *r = th_cmd(c, "CLIENT INFO");
    const char *p = strstr(r->str, " addr=");
    size_t n;

    assert_non_null(p);
    p += 6;
    n = strcspn(p, " ");
    assert_true(n < size);
    memcpy(out, p, n);
    out[n] = '\0';
    freeReplyObject(r);
}

/* True when c's connection has been closed by the server. */
static int connection_closed(redisContext *c)
{
    redisReply *r = redisCommand(c, "PING");

    if (r == NULL) {
        return 1;
    }
    freeReplyObject(r);
    return 0;
}

static void test_client_kill_by_id_and_addr(void **state)
{
    th_server_t *s = *state;
    redisContext *v1 = th_connect(s), *v2 = th_connect(s);
    char addr[64];

    th_expect_int(s->ctx, 1, "CLIENT KILL ID %lld", client_id(v1));
    assert_true(connection_closed(v1));
    th_expect_int(s->ctx, 0, "CLIENT KILL ID 999999");

    client_addr(v2, addr, sizeof(addr));
    th_expect_status(s->ctx, "OK", "CLIENT KILL %s", addr);
    assert_true(connection_closed(v2));
    th_expect_error(s->ctx, "ERR No such client", "CLIENT KILL %s", addr);
    th_expect_status(s->ctx, "PONG", "PING");
    redisFree(v1);
    redisFree(v2);
}

static void test_client_kill_filters(void **state)
{
    th_server_t *s = *state;
    redisContext *v1 = th_connect(s), *v2 = th_connect(s);
    redisReply *r;
    char addr[64];

    client_addr(v1, addr, sizeof(addr));
    th_expect_int(s->ctx, 1, "CLIENT KILL ADDR %s SKIPME yes", addr);
    th_expect_int(s->ctx, 0, "CLIENT KILL TYPE pubsub");
    th_expect_int(s->ctx, 0, "CLIENT KILL TYPE master");
    th_expect_int(s->ctx, 0, "CLIENT KILL LADDR 1.2.3.4:5");
    /* Everyone but me. */
    r = th_cmd(s->ctx, "CLIENT KILL TYPE normal USER default");
    assert_int_equal(r->type, REDIS_REPLY_INTEGER);
    assert_true(r->integer >= 1);
    freeReplyObject(r);
    assert_true(connection_closed(v2));
    th_expect_status(s->ctx, "PONG", "PING");

    th_expect_error(s->ctx, "ERR syntax error", "CLIENT KILL ID 10 x");
    th_expect_error(s->ctx, "ERR client-id should be greater than 0",
                    "CLIENT KILL ID 0");
    th_expect_error(s->ctx, "ERR client-id should be greater than 0",
                    "CLIENT KILL ID str");
    th_expect_error(s->ctx, "ERR Unknown client type 'wrong'",
                    "CLIENT KILL TYPE wrong");
    th_expect_error(s->ctx, "ERR No such user 'nobody'",
                    "CLIENT KILL USER nobody");
    th_expect_error(s->ctx, "ERR syntax error", "CLIENT KILL SKIPME maybe");
    th_expect_error(s->ctx, "ERR syntax error", "CLIENT KILL MAXAGE 1");
    th_expect_error(s->ctx,
                    "ERR wrong number of arguments for 'client|kill' "
                    "command",
                    "CLIENT KILL");
    redisFree(v1);
    redisFree(v2);
}

static void test_client_kill_skipme_no(void **state)
{
    th_server_t *s = *state;
    redisContext *me = th_connect(s);
    redisReply *r = th_cmd(me, "CLIENT KILL SKIPME no ID %lld",
                           client_id(me));

    /* The reply arrives, then the connection closes. */
    assert_int_equal(r->type, REDIS_REPLY_INTEGER);
    assert_int_equal(r->integer, 1);
    freeReplyObject(r);
    assert_true(connection_closed(me));
    redisFree(me);
}

static void test_client_pause_blocks_others(void **state)
{
    th_server_t *s = *state;
    redisContext *other = th_connect(s);
    double t0;

    th_expect_status(s->ctx, "OK", "CLIENT PAUSE 300");
    t0 = now_s();
    th_expect_status(other, "PONG", "PING");
    assert_true(now_s() - t0 >= 0.25);

    /* WRITE mode: reads go through, writes wait. */
    th_expect_status(s->ctx, "OK", "CLIENT PAUSE 300 WRITE");
    t0 = now_s();
    th_expect_nil(other, "GET pk");
    assert_true(now_s() - t0 < 0.25);
    th_expect_status(other, "OK", "SET pk v");
    assert_true(now_s() - t0 >= 0.25);

    /* UNPAUSE releases a waiting client at once (an ALL pause would hold
     * the UNPAUSE itself too, as in Redis). */
    th_expect_status(s->ctx, "OK", "CLIENT PAUSE 100000 WRITE");
    redisAppendCommand(other, "SET pk v2");
    redisBufferWrite(other, &(int){0});
    usleep(100000);
    th_expect_status(s->ctx, "OK", "CLIENT UNPAUSE");
    t0 = now_s();
    {
        void *reply = NULL;
        assert_int_equal(redisGetReply(other, &reply), REDIS_OK);
        assert_string_equal(((redisReply *)reply)->str, "OK");
        freeReplyObject(reply);
    }
    assert_true(now_s() - t0 < 5);
    redisFree(other);
}

/* CLIENT LIST lists the clients in the order they connected (ids
 * ascending), as Redis walks its list of clients. */
static void test_client_list_oldest_first(void **state)
{
    th_server_t *s = *state;
    redisContext *b = th_connect(s), *c = th_connect(s);
    long long ids[3] = {client_id(s->ctx), client_id(b), client_id(c)};
    long long last = 0;
    int seen = 0;
    redisReply *r = th_cmd(c, "CLIENT LIST");
    const char *p;

    for (p = r->str; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : p) {
        long long id;

        assert_int_equal(strncmp(p, "id=", 3), 0);
        id = atoll(p + 3);
        assert_true(id > last);
        last = id;
        seen += id == ids[0] || id == ids[1] || id == ids[2];
    }
    assert_int_equal(seen, 3);
    freeReplyObject(r);
    redisFree(b);
    redisFree(c);
}

/* Send cmd on c without reading the reply. */
static void send_only(redisContext *c, const char *cmd)
{
    int done = 0;

    assert_int_equal(redisAppendCommand(c, cmd), REDIS_OK);
    while (!done)
        assert_int_equal(redisBufferWrite(c, &done), REDIS_OK);
}

/* Clients held by CLIENT PAUSE resume in the order they were held,
 * whatever the order they connected in; each runs its held command and
 * then what it sent after it (as redis-server: "second" at the end). */
static void test_client_pause_resumes_in_order(void **state)
{
    th_server_t *s = *state;
    redisContext *older = th_connect(s), *newer = th_connect(s);
    redisReply *r;

    th_expect_status(s->ctx, "OK", "CLIENT PAUSE 100000 WRITE");
    send_only(older, "SET porder first");
    th_wait_info(s->ctx, "clients", "blocked_clients", 1);
    send_only(newer, "SET porder second");
    th_wait_info(s->ctx, "clients", "blocked_clients", 2);
    send_only(older, "APPEND porder -third");
    usleep(50000);
    th_expect_status(s->ctx, "OK", "CLIENT UNPAUSE");
    for (int i = 0; i < 2; i++) {
        assert_int_equal(redisGetReply(older, (void **)&r), REDIS_OK);
        freeReplyObject(r);
    }
    assert_int_equal(redisGetReply(newer, (void **)&r), REDIS_OK);
    freeReplyObject(r);
    th_expect_str(s->ctx, "second", "GET porder");
    redisFree(older);
    redisFree(newer);
}

static void test_client_pause_errors(void **state)
{
    th_server_t *s = *state;

    th_expect_error(s->ctx, "ERR timeout is not an integer or out of range",
                    "CLIENT PAUSE x");
    th_expect_error(s->ctx, "ERR timeout is negative", "CLIENT PAUSE -1");
    th_expect_error(s->ctx, "ERR CLIENT PAUSE mode must be WRITE or ALL",
                    "CLIENT PAUSE 10 foo");
    th_expect_error(s->ctx,
                    "ERR unknown subcommand or wrong number of arguments "
                    "for 'pause'. Try CLIENT HELP.",
                    "client pause 10 all x");
    th_expect_status(s->ctx, "OK", "CLIENT UNPAUSE");
}

static void test_client_reply_modes(void **state)
{
    th_server_t *s = *state;
    int fd = th_raw_connect(s), closed = 0;
    char buf[256];

    raw_send(fd, "CLIENT REPLY OFF\r\nPING a\r\nPING b\r\n"
                    "CLIENT REPLY ON\r\nPING c\r\n");
    th_raw_read(fd, buf, sizeof(buf), 12, 2000, &closed);
    assert_string_equal(buf, "+OK\r\n$1\r\nc\r\n");
    raw_send(fd, "CLIENT REPLY SKIP\r\nPING a\r\nPING b\r\n");
    th_raw_read(fd, buf, sizeof(buf), 7, 2000, &closed);
    assert_string_equal(buf, "$1\r\nb\r\n");
    raw_send(fd, "CLIENT REPLY SKIP\r\nCLIENT REPLY ON\r\nPING\r\n");
    th_raw_read(fd, buf, sizeof(buf), 12, 2000, &closed);
    assert_string_equal(buf, "+OK\r\n+PONG\r\n");
    raw_send(fd, "CLIENT REPLY maybe\r\n");
    th_raw_read(fd, buf, sizeof(buf), 19, 2000, &closed);
    assert_string_equal(buf, "-ERR syntax error\r\n");
    close(fd);
}

static void test_client_no_evict_and_help(void **state)
{
    th_server_t *s = *state;
    redisReply *r;

    th_expect_status(s->ctx, "OK", "CLIENT NO-EVICT on");
    th_expect_status(s->ctx, "OK", "CLIENT NO-EVICT OFF");
    th_expect_error(s->ctx, "ERR syntax error", "CLIENT NO-EVICT x");
    r = th_cmd(s->ctx, "CLIENT HELP");
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_true(r->elements > 10);
    assert_string_equal(r->element[0]->str,
                        "CLIENT <subcommand> [<arg> [value] [opt] ...]. "
                        "Subcommands are:");
    freeReplyObject(r);
    th_expect_error(s->ctx,
                    "ERR unknown subcommand 'foo'. Try CLIENT HELP.",
                    "CLIENT foo");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_client_id, th_test_setup),
        cmocka_unit_test_setup(test_client_setname_getname, th_test_setup),
        cmocka_unit_test_setup(test_client_list_and_info, th_test_setup),
        cmocka_unit_test_setup(test_client_info_qbuf, th_test_setup),
        cmocka_unit_test_setup(test_client_kill_by_id_and_addr,
                               th_test_setup),
        cmocka_unit_test_setup(test_client_kill_filters, th_test_setup),
        cmocka_unit_test_setup(test_client_kill_skipme_no, th_test_setup),
        cmocka_unit_test_setup(test_client_pause_blocks_others,
                               th_test_setup),
        cmocka_unit_test_setup(test_client_pause_errors, th_test_setup),
        cmocka_unit_test_setup(test_client_list_oldest_first,
                               th_test_setup),
        cmocka_unit_test_setup(test_client_pause_resumes_in_order,
                               th_test_setup),
        cmocka_unit_test_setup(test_client_reply_modes, th_test_setup),
        cmocka_unit_test_setup(test_client_no_evict_and_help,
                               th_test_setup),
    };

    return cmocka_run_group_tests(tests, th_group_setup, th_group_teardown);
}
