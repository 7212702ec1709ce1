/*
 * test_slowlog.c - unit tests of the slow log in server/slowlog.c:
 * srv_slowlog_push's threshold (slowlog-log-slower-than: negative off,
 * 0 everything), skip_slowlog commands, trimming to slowlog-max-len,
 * Redis's argument trimming and redaction, SLOWLOG GET / LEN / RESET
 * replies, and ids that keep growing across resets.
 *
 * The latency monitor half of slowlog.c (LATENCY) is not covered here.
 * Replies are read back from a zeroed client's RESP2 output buffer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "commands.h"
#include "server.h"

/* One decoded RESP2 token: kind '*', ':', '$', '+', '-', and its text
 * (the count or integer for '*' and ':'). */
typedef struct tok {
    char kind;
    char text[256];
} tok_t;

static srv_client_t client;

/* Decode c's output into toks (at most max), return how many. */
static size_t decode(const resp_buf_t *b, tok_t *toks, size_t max)
{
    size_t pos = 0, n = 0;

    while (pos < b->len && n < max) {
        const char *line = b->data + pos + 1;
        const char *crlf = strstr(line, "\r\n");
        size_t llen;

        assert_non_null(crlf);
        llen = (size_t)(crlf - line);
        toks[n].kind = b->data[pos];
        pos += 1 + llen + 2;
        if (toks[n].kind == '$' && line[0] != '-') {
            size_t blen = (size_t)strtoul(line, NULL, 10);

            assert_true(blen < sizeof(toks[n].text));
            memcpy(toks[n].text, b->data + pos, blen);
            toks[n].text[blen] = '\0';
            pos += blen + 2;
        } else {
            assert_true(llen < sizeof(toks[n].text));
            memcpy(toks[n].text, line, llen);
            toks[n].text[llen] = '\0';
        }
        n++;
    }
    return n;
}

/* Run handler with the given arguments on the test client (RESP2) and
 * leave its reply in client.out (emptied first). */
static void run(srv_command_proc_t *handler, int argc, const char **args)
{
    resp_slice_t argv[8];

    assert_true(argc <= 8);
    for (int i = 0; i < argc; i++) {
        argv[i].ptr = args[i];
        argv[i].len = strlen(args[i]);
    }
    resp_buf_reset(&client.out);
    client.argc = argc;
    client.argv = argv;
    handler(&client);
    client.argv = NULL;
}

/* Assert that the client's output is exactly want. */
static void assert_out(const char *want)
{
    assert_int_equal(client.out.len, strlen(want));
    assert_memory_equal(client.out.data, want, client.out.len);
}

/* SLOWLOG LEN as a number. */
static int64_t slowlog_len(void)
{
    const char *args[] = {"slowlog", "len"};
    tok_t t[1];

    run(cmd_slowlog_len, 2, args);
    assert_int_equal(decode(&client.out, t, 1), 1);
    assert_int_equal(t[0].kind, ':');
    return strtoll(t[0].text, NULL, 10);
}

/* Push a command given as C strings, taking us microseconds. */
static void push(int64_t us, int argc, const char **args)
{
    resp_slice_t argv[64];

    assert_true(argc <= 64);
    for (int i = 0; i < argc; i++) {
        argv[i].ptr = args[i];
        argv[i].len = strlen(args[i]);
    }
    srv_slowlog_push(&client, argc, argv, us);
}

static int setup(void **state)
{
    (void)state;
    memset(&client, 0, sizeof(client));
    resp_buf_init(&client.out, 2);
    client.resp = 2;
    client.pending_write = 1;
    strcpy(client.addr, "127.0.0.1:5555");
    srv.cfg.slowlog_log_slower_than = 10000;
    srv.cfg.slowlog_max_len = 128;
    srv_slowlog_reset();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    srv_slowlog_reset();
    resp_buf_fini(&client.out);
    return 0;
}

static void test_slowlog_threshold(void **state)
{
    const char *cmd[] = {"get", "k"};

    (void)state;
    srv.cfg.slowlog_log_slower_than = 100;
    push(99, 2, cmd);
    assert_int_equal(slowlog_len(), 0);
    push(100, 2, cmd);
    push(5000, 2, cmd);
    assert_int_equal(slowlog_len(), 2);
    srv.cfg.slowlog_log_slower_than = -1; /* disabled */
    push(INT64_MAX, 2, cmd);
    assert_int_equal(slowlog_len(), 2);
    srv.cfg.slowlog_log_slower_than = 0; /* everything */
    push(0, 2, cmd);
    assert_int_equal(slowlog_len(), 3);
    /* An empty command is never logged. */
    push(1000, 0, cmd);
    assert_int_equal(slowlog_len(), 3);
}

static void test_slowlog_skip_flag(void **state)
{
    const char *cmd[] = {"x"};
    srv_command_t skip = {.name = "x", .flags = SRV_CMD_SKIP_SLOWLOG};
    srv_command_t plain = {.name = "x", .flags = SRV_CMD_FAST};

    (void)state;
    srv.cfg.slowlog_log_slower_than = 0;
    client.cmd = &skip;
    push(10, 1, cmd);
    assert_int_equal(slowlog_len(), 0);
    client.cmd = &plain;
    push(10, 1, cmd);
    assert_int_equal(slowlog_len(), 1);
    client.cmd = NULL;
}

/* Only the newest slowlog-max-len entries are kept; GET lists newest
 * first. */
static void test_slowlog_max_len_trims_oldest(void **state)
{
    const char *args[] = {"slowlog", "get", "-1"};
    const char *cmd[] = {"set", "k", "v"};
    tok_t t[64];
    size_t n;
    int64_t first;

    (void)state;
    srv.cfg.slowlog_max_len = 3;
    for (int i = 0; i < 5; i++)
        push(20000 + i, 3, cmd);
    assert_int_equal(slowlog_len(), 3);
    run(cmd_slowlog_get, 3, args);
    n = decode(&client.out, t, 64);
    /* *3, then per entry *6 :id :time :dur *3 $ $ $ $addr $name = 10. */
    assert_int_equal(n, 1 + 3 * 10);
    assert_string_equal(t[0].text, "3");
    first = strtoll(t[2].text, NULL, 10);
    assert_string_equal(t[4].text, "20004");
    assert_int_equal(strtoll(t[12].text, NULL, 10), first - 1);
    assert_string_equal(t[14].text, "20003");
    assert_int_equal(strtoll(t[22].text, NULL, 10), first - 2);
    assert_string_equal(t[24].text, "20002");
    /* Lowering the limit trims on the next push; 0 keeps nothing. */
    srv.cfg.slowlog_max_len = 1;
    push(20000, 3, cmd);
    assert_int_equal(slowlog_len(), 1);
    srv.cfg.slowlog_max_len = 0;
    push(20000, 3, cmd);
    assert_int_equal(slowlog_len(), 0);
}

/* RESET empties the log; ids are not reused. */
static void test_slowlog_reset_keeps_ids_growing(void **state)
{
    const char *reset[] = {"slowlog", "reset"};
    const char *get[] = {"slowlog", "get"};
    const char *cmd[] = {"ping"};
    tok_t t[16];
    int64_t id1, id2;

    (void)state;
    push(20000, 1, cmd);
    run(cmd_slowlog_get, 2, get);
    assert_int_equal(decode(&client.out, t, 16), 9);
    id1 = strtoll(t[2].text, NULL, 10);
    run(cmd_slowlog_reset, 2, reset);
    assert_int_equal(client.out.len, 5);
    assert_memory_equal(client.out.data, "+OK\r\n", 5);
    assert_int_equal(slowlog_len(), 0);
    run(cmd_slowlog_get, 2, get);
    assert_int_equal(client.out.len, 4);
    assert_memory_equal(client.out.data, "*0\r\n", 4);
    push(20000, 1, cmd);
    run(cmd_slowlog_get, 2, get);
    assert_int_equal(decode(&client.out, t, 16), 9);
    id2 = strtoll(t[2].text, NULL, 10);
    assert_true(id2 > id1);
}

/* One entry in full: id, time, duration, args, client addr and name. */
static void test_slowlog_get_entry_fields(void **state)
{
    const char *get[] = {"slowlog", "get", "1"};
    const char *cmd[] = {"set", "key", "value"};
    char name[] = "worker-1";
    tok_t t[32];
    int64_t now = srv_mstime_now() / 1000, when;

    (void)state;
    client.name = name;
    push(123456, 3, cmd);
    client.name = NULL;
    push(20000, 1, cmd); /* an older one is not listed with count 1 */
    run(cmd_slowlog_get, 3, get);
    assert_int_equal(decode(&client.out, t, 16), 9);
    assert_string_equal(t[0].text, "1");
    assert_int_equal(t[1].kind, '*');
    assert_string_equal(t[1].text, "6");
    when = strtoll(t[3].text, NULL, 10);
    assert_true(when >= now && when <= now + 5);
    assert_int_equal(t[4].kind, ':');
    assert_string_equal(t[4].text, "20000");
    assert_string_equal(t[5].text, "1");
    assert_string_equal(t[6].text, "set");
    assert_string_equal(t[7].text, "127.0.0.1:5555");
    assert_string_equal(t[8].text, ""); /* no name */
    /* Count 10 (the default) lists both; the older has the name. */
    run(cmd_slowlog_get, 2, get);
    assert_int_equal(decode(&client.out, t, 32), 19);
    assert_string_equal(t[0].text, "2");
    assert_string_equal(t[8].text, "");
    assert_string_equal(t[18].text, "worker-1");
}

static void test_slowlog_get_named_client(void **state)
{
    const char *get[] = {"slowlog", "get"};
    const char *cmd[] = {"set", "key", "value"};
    char name[] = "worker-1";
    tok_t t[16];

    (void)state;
    client.name = name;
    push(123456, 3, cmd);
    client.name = NULL;
    run(cmd_slowlog_get, 2, get);
    assert_int_equal(decode(&client.out, t, 16), 11);
    assert_string_equal(t[4].text, "123456");
    assert_string_equal(t[5].text, "3");
    assert_string_equal(t[6].text, "set");
    assert_string_equal(t[7].text, "key");
    assert_string_equal(t[8].text, "value");
    assert_string_equal(t[9].text, "127.0.0.1:5555");
    assert_string_equal(t[10].text, "worker-1");
}

/* More than 32 arguments: 31 kept and "... (N more arguments)". */
static void test_slowlog_many_args_trimmed(void **state)
{
    const char *get[] = {"slowlog", "get"};
    const char *cmd[40];
    tok_t t[64];

    (void)state;
    cmd[0] = "rpush";
    for (int i = 1; i < 40; i++)
        cmd[i] = "e";
    push(20000, 40, cmd);
    run(cmd_slowlog_get, 2, get);
    assert_int_equal(decode(&client.out, t, 64), 1 + 7 + 32);
    assert_string_equal(t[5].text, "32");
    assert_string_equal(t[6].text, "rpush");
    assert_string_equal(t[36].text, "e");
    assert_string_equal(t[37].text, "... (9 more arguments)");
}

/* Arguments longer than 128 bytes keep 128 and say how many more. */
static void test_slowlog_long_arg_trimmed(void **state)
{
    const char *get[] = {"slowlog", "get"};
    char big[201], want[160];
    const char *cmd[] = {"set", "k", big};
    tok_t t[16];

    (void)state;
    memset(big, 'a', 200);
    big[200] = '\0';
    push(20000, 3, cmd);
    run(cmd_slowlog_get, 2, get);
    assert_int_equal(decode(&client.out, t, 16), 11);
    memset(want, 'a', 128);
    strcpy(want + 128, "... (72 more bytes)");
    assert_string_equal(t[8].text, want);
}

/* Secrets are redacted as Redis 7.0 does. */
static void test_slowlog_secrets_redacted(void **state)
{
    const char *get[] = {"slowlog", "get", "-1"};
    const char *auth[] = {"AUTH", "user", "pass"};
    const char *hello[] = {"hello", "3", "auth", "u", "p", "setname", "n"};
    const char *cfg[] = {"config", "set", "requirepass", "s", "port", "1"};
    tok_t t[64];

    (void)state;
    push(20000, 3, auth);
    push(20000, 7, hello);
    push(20000, 6, cfg);
    run(cmd_slowlog_get, 3, get);
    assert_int_equal(decode(&client.out, t, 64), 1 + 3 * 7 + 6 + 7 + 3);
    /* Newest first: CONFIG SET. */
    assert_string_equal(t[6].text, "config");
    assert_string_equal(t[8].text, "requirepass");
    assert_string_equal(t[9].text, "(redacted)");
    assert_string_equal(t[10].text, "port");
    assert_string_equal(t[11].text, "1");
    /* HELLO: the AUTH pair. */
    assert_string_equal(t[19].text, "hello");
    assert_string_equal(t[21].text, "auth");
    assert_string_equal(t[22].text, "(redacted)");
    assert_string_equal(t[23].text, "(redacted)");
    assert_string_equal(t[24].text, "setname");
    assert_string_equal(t[25].text, "n");
    /* AUTH: everything after the name. */
    assert_string_equal(t[33].text, "AUTH");
    assert_string_equal(t[34].text, "(redacted)");
    assert_string_equal(t[35].text, "(redacted)");
}

static void test_slowlog_get_count_errors(void **state)
{
    const char *neg[] = {"slowlog", "get", "-2"};
    const char *nan[] = {"slowlog", "get", "abc"};
    const char *many[] = {"slowlog", "get", "1", "2"};
    const char *zero[] = {"slowlog", "get", "0"};
    const char *bad[] = {"slowlog", "nope"};

    (void)state;
    run(cmd_slowlog_get, 3, neg);
    assert_out(
                        "-ERR count should be greater than or equal to "
                        "-1\r\n");
    run(cmd_slowlog_get, 3, nan);
    assert_memory_equal(client.out.data, "-ERR ", 5);
    run(cmd_slowlog_get, 4, many);
    assert_out(
                        "-ERR unknown subcommand or wrong number of "
                        "arguments for 'get'. Try SLOWLOG HELP.\r\n");
    run(cmd_slowlog_get, 3, zero);
    assert_out( "*0\r\n");
    run(cmd_slowlog, 2, bad);
    assert_out(
                        "-ERR unknown subcommand 'nope'. Try SLOWLOG "
                        "HELP.\r\n");
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_slowlog_threshold),
        T(test_slowlog_skip_flag),
        T(test_slowlog_max_len_trims_oldest),
        T(test_slowlog_reset_keeps_ids_growing),
        T(test_slowlog_get_entry_fields),
        T(test_slowlog_get_named_client),
        T(test_slowlog_many_args_trimmed),
        T(test_slowlog_long_arg_trimmed),
        T(test_slowlog_secrets_redacted),
        T(test_slowlog_get_count_errors),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
