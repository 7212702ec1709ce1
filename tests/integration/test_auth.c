/*
 * test_auth.c - a gencached started with `--requirepass foo`: NOAUTH
 * before AUTH, Redis's tighter protocol limits for unauthenticated
 * clients, WRONGPASS, AUTH in both forms, and HELLO ... AUTH.
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

/* Send a C string on a raw socket. */
static void raw_send(int fd, const char *s)
{
    th_raw_send(fd, s, strlen(s));
}

static void test_auth_noauth_before_auth(void **state)
{
    th_server_t *s = *state;
    redisContext *c = th_connect(s);

    th_expect_error(c, "NOAUTH Authentication required.", "PING");
    th_expect_error(c, "NOAUTH Authentication required.", "SET a b");
    th_expect_error(c, "NOAUTH Authentication required.", "CLIENT ID");
    th_expect_error(c,
                    "NOAUTH HELLO must be called with the client already "
                    "authenticated, otherwise the HELLO AUTH <user> <pass> "
                    "option can be used to authenticate the client and "
                    "select the RESP protocol version at the same time",
                    "HELLO 2");
    redisFree(c);
}

static void test_auth_wrongpass(void **state)
{
    th_server_t *s = *state;
    redisContext *c = th_connect(s);
    const char *wp = "WRONGPASS invalid username-password pair or user is "
                     "disabled.";

    th_expect_error(c, wp, "AUTH bar");
    th_expect_error(c, wp, "AUTH default bar");
    th_expect_error(c, wp, "AUTH nobody foo");
    th_expect_error(c, wp, "HELLO 2 AUTH default bar");
    th_expect_error(c, "ERR syntax error", "AUTH a b c");
    /* Still not authenticated. */
    th_expect_error(c, "NOAUTH Authentication required.", "PING");
    redisFree(c);
}

static void test_auth_then_commands_work(void **state)
{
    th_server_t *s = *state;
    redisContext *c = th_connect(s);

    th_expect_status(c, "OK", "AUTH foo");
    th_expect_status(c, "PONG", "PING");
    th_expect_status(c, "OK", "SET a b");
    th_expect_str(c, "b", "GET a");
    th_expect_status(c, "OK", "AUTH foo");
    redisFree(c);
    c = th_connect(s);
    th_expect_status(c, "OK", "AUTH default foo");
    th_expect_str(c, "b", "GET a");
    redisFree(c);
}

static void test_auth_unauth_multibulk_limit(void **state)
{
    th_server_t *s = *state;
    int fd = th_raw_connect(s), closed = 0;
    char buf[256];

    raw_send(fd, "*100\r\n");
    th_raw_read(fd, buf, sizeof(buf), sizeof(buf) - 1, 2000, &closed);
    assert_string_equal(buf, "-ERR Protocol error: unauthenticated "
                             "multibulk length\r\n");
    assert_int_equal(closed, 1);
    close(fd);

    fd = th_raw_connect(s);
    closed = 0;
    raw_send(fd, "*1\r\n$100000\r\n");
    th_raw_read(fd, buf, sizeof(buf), sizeof(buf) - 1, 2000, &closed);
    assert_string_equal(buf, "-ERR Protocol error: unauthenticated bulk "
                             "length\r\n");
    assert_int_equal(closed, 1);
    close(fd);
}

static void test_auth_lifts_limits(void **state)
{
    th_server_t *s = *state;
    redisContext *c = th_connect(s);
    const char *argv[101];
    size_t lens[101];
    char names[100][8];
    char *big;
    redisReply *r;
    int i;

    th_expect_status(c, "OK", "AUTH foo");
    argv[0] = "DEL";
    lens[0] = 3;
    for (i = 0; i < 100; i++) {
        snprintf(names[i], sizeof(names[i]), "k%d", i);
        argv[i + 1] = names[i];
        lens[i + 1] = strlen(names[i]);
    }
    r = th_cmdv(c, 101, argv, lens);
    assert_int_equal(r->type, REDIS_REPLY_INTEGER);
    freeReplyObject(r);
    big = malloc(100000);
    assert_non_null(big);
    memset(big, 'x', 100000);
    r = th_cmd(c, "SET big %b", big, (size_t)100000);
    assert_int_equal(r->type, REDIS_REPLY_STATUS);
    freeReplyObject(r);
    th_expect_int(c, 100000, "STRLEN big");
    free(big);
    redisFree(c);
}

static void test_auth_hello3_auth(void **state)
{
    th_server_t *s = *state;
    int fd = th_raw_connect(s), closed = 0;
    char buf[1024];

    raw_send(fd, "HELLO 3 AUTH default foo SETNAME h3\r\n");
    th_raw_read(fd, buf, sizeof(buf), sizeof(buf) - 1, 300, &closed);
    assert_memory_equal(buf, "%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n", 26);
    assert_non_null(strstr(buf, "$5\r\nproto\r\n:3\r\n"));
    raw_send(fd, "CLIENT GETNAME\r\n");
    th_raw_read(fd, buf, sizeof(buf), 8, 2000, &closed);
    assert_string_equal(buf, "$2\r\nh3\r\n");
    raw_send(fd, "GET nosuchkey\r\n");
    th_raw_read(fd, buf, sizeof(buf), 3, 2000, &closed);
    assert_string_equal(buf, "_\r\n");
    close(fd);
}

static void test_auth_quit_allowed(void **state)
{
    th_server_t *s = *state;
    int fd = th_raw_connect(s), closed = 0;
    char buf[64];

    raw_send(fd, "QUIT\r\n");
    th_raw_read(fd, buf, sizeof(buf), sizeof(buf) - 1, 2000, &closed);
    assert_string_equal(buf, "+OK\r\n");
    assert_int_equal(closed, 1);
    close(fd);
}

/* Group setup: a server with requirepass foo, no default connection. */
static int group_setup(void **state)
{
    static const char *const args[] = {"--requirepass", "foo", NULL};
    th_server_t *s = calloc(1, sizeof(*s));

    if (!s || th_server_start(s, args) != 0) {
        free(s);
        return -1;
    }
    *state = s;
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_auth_noauth_before_auth),
        cmocka_unit_test(test_auth_wrongpass),
        cmocka_unit_test(test_auth_then_commands_work),
        cmocka_unit_test(test_auth_unauth_multibulk_limit),
        cmocka_unit_test(test_auth_lifts_limits),
        cmocka_unit_test(test_auth_hello3_auth),
        cmocka_unit_test(test_auth_quit_allowed),
    };

    return cmocka_run_group_tests(tests, group_setup, th_group_teardown);
}
