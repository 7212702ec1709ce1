/*
 * test_config.c - CONFIG GET/SET/RESETSTAT/REWRITE/HELP against a real
 * gencached, a server started from a config file (REWRITE), and the
 * binary's own handling of bad config files and --version.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

/* Assert a flat name/value reply holds name with value. */
static void expect_pair(const redisReply *r, const char *name,
                        const char *value)
{
    for (size_t i = 0; i + 1 < r->elements; i += 2) {
        if (strcmp(r->element[i]->str, name) == 0) {
            assert_string_equal(r->element[i + 1]->str, value);
            return;
        }
    }
    fail_msg("CONFIG GET reply lacks %s", name);
}

/* CONFIG GET name and assert the single value. */
static void expect_config(redisContext *c, const char *name,
                          const char *value)
{
    redisReply *r = th_cmd(c, "CONFIG GET %s", name);

    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->elements, 2);
    assert_string_equal(r->element[0]->str, name);
    assert_string_equal(r->element[1]->str, value);
    freeReplyObject(r);
}

static void test_config_get_patterns(void **state)
{
    th_server_t *s = *state;
    redisReply *r = th_cmd(s->ctx, "CONFIG GET maxmemory*");

    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->elements, 6);
    expect_pair(r, "maxmemory", "0");
    expect_pair(r, "maxmemory-policy", "noeviction");
    expect_pair(r, "maxmemory-samples", "5");
    freeReplyObject(r);

    /* several patterns; each parameter once */
    r = th_cmd(s->ctx, "CONFIG GET port tcp-backlog TCP-BACKLOG tcp-b*");
    assert_int_equal(r->elements, 4);
    expect_pair(r, "tcp-backlog", "511");
    assert_string_equal(r->element[0]->str, "port");
    assert_true(atoi(r->element[1]->str) > 0);
    freeReplyObject(r);

    r = th_cmd(s->ctx, "CONFIG GET nosuch-*");
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->elements, 0);
    freeReplyObject(r);

    /* aliases answer too */
    expect_config(s->ctx, "list-max-ziplist-size", "-2");
    expect_config(s->ctx, "bind", "127.0.0.1");
    expect_config(s->ctx, "save", "");
    expect_config(s->ctx, "appendonly", "no");
    expect_config(s->ctx, "client-output-buffer-limit",
                  "normal 0 0 0 slave 268435456 67108864 60 "
                  "pubsub 33554432 8388608 60");
}

static void test_config_get_resp3_map(void **state)
{
    th_server_t *s = *state;
    const char *req = "HELLO 3\r\nCONFIG GET tcp-backlog\r\n";
    const char *want = "%1\r\n$11\r\ntcp-backlog\r\n$3\r\n511\r\n";
    char buf[4096] = "";
    int closed = 0;
    int fd = th_raw_connect(s);

    th_raw_send(fd, req, strlen(req));
    /* HELLO's reply comes first; read until the map arrived. */
    for (size_t n = 0; n + 1 < sizeof(buf) && !strstr(buf, want) && !closed;) {
        size_t got = th_raw_read(fd, buf + n, sizeof(buf) - n, 1, 2000,
                                 &closed);
        if (got == 0)
            break;
        n += got;
    }
    close(fd);
    assert_non_null(strstr(buf, want));
}

static void test_config_set_multiple(void **state)
{
    th_server_t *s = *state;

    th_expect_status(s->ctx, "OK",
                     "CONFIG SET maxmemory-samples 7 slowlog-max-len 64 "
                     "MAXMEMORY 10mb");
    expect_config(s->ctx, "maxmemory-samples", "7");
    expect_config(s->ctx, "slowlog-max-len", "64");
    expect_config(s->ctx, "maxmemory", "10485760");
    th_expect_status(s->ctx, "OK", "CONFIG SET maxmemory 0 "
                     "maxmemory-policy ALLKEYS-LRU");
    expect_config(s->ctx, "maxmemory-policy", "allkeys-lru");
    th_expect_status(s->ctx, "OK", "CONFIG SET notify-keyspace-events KEA");
    expect_config(s->ctx, "notify-keyspace-events", "AKE");
    th_expect_status(s->ctx, "OK", "CONFIG SET notify-keyspace-events %s", "");
    th_expect_status(s->ctx, "OK", "CONFIG SET hz 1000");
    expect_config(s->ctx, "hz", "500");
    th_expect_status(s->ctx, "OK", "CONFIG SET hz 10 maxmemory-policy "
                     "noeviction maxmemory-samples 5 slowlog-max-len 128");
}

static void test_config_set_atomic_failure(void **state)
{
    th_server_t *s = *state;

    th_expect_status(s->ctx, "OK", "CONFIG SET maxmemory-samples 9");
    th_expect_error(s->ctx,
                    "ERR CONFIG SET failed (possibly related to argument "
                    "'maxmemory') - argument must be a memory value",
                    "CONFIG SET maxmemory-samples 3 maxmemory 10xb");
    expect_config(s->ctx, "maxmemory-samples", "9");
    th_expect_error(s->ctx,
                    "ERR CONFIG SET failed (possibly related to argument "
                    "'maxmemory-samples') - argument must be between 1 and "
                    "64 inclusive",
                    "CONFIG SET maxmemory-samples 65");
    th_expect_error(s->ctx,
                    "ERR CONFIG SET failed (possibly related to argument "
                    "'loglevel') - argument(s) must be one of the following: "
                    "debug, verbose, notice, warning",
                    "CONFIG SET loglevel loud");
    th_expect_error(s->ctx,
                    "ERR CONFIG SET failed (possibly related to argument "
                    "'hz') - duplicate parameter",
                    "CONFIG SET hz 5 hz 6");
    th_expect_error(s->ctx,
                    "ERR Unknown option or number of arguments for CONFIG "
                    "SET - 'foo'",
                    "CONFIG SET foo bar");
    th_expect_error(s->ctx, "ERR syntax error", "CONFIG SET hz 5 foo");
    th_expect_error(s->ctx,
                    "ERR CONFIG SET failed (possibly related to argument "
                    "'appendonly') - appendonly yes is not supported",
                    "CONFIG SET appendonly yes");
    expect_config(s->ctx, "maxmemory-samples", "9");
    th_expect_status(s->ctx, "OK", "CONFIG SET maxmemory-samples 5");
}

static void test_config_set_immutable(void **state)
{
    th_server_t *s = *state;

    th_expect_error(s->ctx,
                    "ERR CONFIG SET failed (possibly related to argument "
                    "'databases') - can't set immutable config",
                    "CONFIG SET databases 3");
    th_expect_error(s->ctx,
                    "ERR CONFIG SET failed (possibly related to argument "
                    "'io-threads') - can't set immutable config",
                    "CONFIG SET io-threads 1");
    th_expect_error(s->ctx,
                    "ERR CONFIG SET failed (possibly related to argument "
                    "'dir') - can't set protected config",
                    "CONFIG SET dir /tmp");
    expect_config(s->ctx, "databases", "16");
}

static void test_config_resetstat(void **state)
{
    th_server_t *s = *state;
    redisReply *r;

    for (int i = 0; i < 20; i++)
        th_expect_status(s->ctx, "OK", "SET k%d v", i);
    th_expect_status(s->ctx, "OK", "CONFIG RESETSTAT");
    r = th_cmd(s->ctx, "INFO stats");
    assert_int_equal(r->type, REDIS_REPLY_STRING);
    assert_non_null(strstr(r->str, "total_commands_processed:"));
    assert_int_equal(atoi(strstr(r->str, "total_commands_processed:") + 25) <
                         5,
                     1);
    freeReplyObject(r);
    r = th_cmd(s->ctx, "INFO commandstats");
    assert_null(strstr(r->str, "cmdstat_set:"));
    freeReplyObject(r);
}

static void test_config_help_and_unknown(void **state)
{
    th_server_t *s = *state;
    redisReply *r = th_cmd(s->ctx, "CONFIG HELP");

    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_true(r->elements > 8);
    assert_string_equal(r->element[0]->str, "CONFIG <subcommand> [<arg> "
                        "[value] [opt] ...]. Subcommands are:");
    freeReplyObject(r);
    th_expect_error(s->ctx, "ERR unknown subcommand 'foo'. Try CONFIG HELP.",
                    "CONFIG foo");
    th_expect_error(s->ctx, "ERR The server is running without a config "
                    "file", "CONFIG REWRITE");
}

/* Write text into dir/name; the path goes to out. */
static void write_file(const char *dir, const char *name, const char *text,
                       char *out, size_t size)
{
    FILE *f;

    snprintf(out, size, "%s/%s", dir, name);
    f = fopen(out, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* Read a whole small file into buf. */
static void read_file(const char *path, char *buf, size_t size)
{
    FILE *f = fopen(path, "r");
    size_t n;

    assert_non_null(f);
    n = fread(buf, 1, size - 1, f);
    buf[n] = '\0';
    fclose(f);
}

static void test_config_rewrite(void **state)
{
    char dir[] = "/tmp/gencache-cfgrw-XXXXXX";
    char conf[512], text[8192];
    th_server_t srv2;
    redisContext *c;

    assert_non_null(mkdtemp(dir));
    write_file(dir, "g.conf",
               "# top comment\n"
               "hz 20\n"
               "\n"
               "# about clients\n"
               "maxclients 10000\n"
               "timeout 0\n"
               "timeout 7\n"
               "loglevel notice\n",
               conf, sizeof(conf));
    assert_int_equal(th_server_start_conf(&srv2, conf, NULL), 0);
    c = th_connect(&srv2);
    expect_config(c, "hz", "20");
    expect_config(c, "timeout", "7");
    th_expect_status(c, "OK", "CONFIG SET hz 30 maxmemory 100mb "
                     "loglevel warning timeout 0 requirepass %s", "p w");
    th_expect_status(c, "OK", "CONFIG REWRITE");
    read_file(conf, text, sizeof(text));
    assert_non_null(strstr(text, "# top comment\nhz 30\n\n# about clients\n"
                                 "maxclients 10000\ntimeout 0\n"
                                 "loglevel warning\n"));
    assert_null(strstr(text, "timeout 7"));
    assert_non_null(strstr(text, "\n# Generated by CONFIG REWRITE\n"));
    assert_non_null(strstr(text, "\nmaxmemory 100mb\n"));
    assert_non_null(strstr(text, "\nrequirepass \"p w\"\n"));
    /* defaults not in the file are not written */
    assert_null(strstr(text, "tcp-backlog"));
    /* a second rewrite keeps a single signature */
    th_expect_status(c, "OK", "AUTH %s", "p w");
    th_expect_status(c, "OK", "CONFIG SET maxmemory 0");
    th_expect_status(c, "OK", "CONFIG REWRITE");
    read_file(conf, text, sizeof(text));
    assert_non_null(strstr(text, "\nmaxmemory 0\n"));
    assert_null(strstr(strstr(text, "# Generated") + 1, "# Generated"));
    redisFree(c);
    assert_int_equal(th_server_stop(&srv2), 0);
    unlink(conf);
    rmdir(dir);
}

/* Run the binary with argv, stdin from /dev/null; capture its output.
 * Returns the exit status. */
static int run_binary(const char *const *argv, char *out, size_t size)
{
    int fds[2], status = 0;
    size_t n = 0;
    ssize_t got;
    pid_t pid;

    assert_int_equal(pipe(fds), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(fds[1], 1);
        dup2(fds[1], 2);
        close(fds[0]);
        close(fds[1]);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    close(fds[1]);
    while (n + 1 < size && (got = read(fds[0], out + n, size - n - 1)) > 0)
        n += (size_t)got;
    out[n] = '\0';
    close(fds[0]);
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void test_config_bad_file_exits(void **state)
{
    char dir[] = "/tmp/gencache-cfgbad-XXXXXX";
    char conf[512], out[4096];
    const char *bin = getenv("GENCACHED_BIN");

    assert_non_null(bin);
    assert_non_null(mkdtemp(dir));
    write_file(dir, "bad.conf", "# comment\nport \"abc\"\n", conf,
               sizeof(conf));
    {
        const char *argv[] = {bin, conf, NULL};

        assert_int_equal(run_binary(argv, out, sizeof(out)), 1);
        assert_non_null(strstr(out,
                               "*** FATAL CONFIG FILE ERROR (Redis 7.0.15) "
                               "***\nReading the configuration file, at "
                               "line 2\n>>> 'port \"abc\"'\nargument "
                               "couldn't be parsed into an integer\n"));
    }
    {
        const char *argv[] = {bin, "--port", "0", "--nosuch", "x", NULL};

        assert_int_equal(run_binary(argv, out, sizeof(out)), 1);
        assert_non_null(strstr(out, "at line 3\n>>> 'nosuch \"x\"'\nBad "
                                    "directive or wrong number of "
                                    "arguments\n"));
    }
    {
        const char *argv[] = {bin, "--port", "0", "--daemonize", "yes",
                              NULL};

        assert_int_equal(run_binary(argv, out, sizeof(out)), 1);
        assert_non_null(strstr(out, "daemonize yes is not supported"));
    }
    {
        const char *argv[] = {bin, "--version", NULL};

        assert_int_equal(run_binary(argv, out, sizeof(out)), 0);
        assert_non_null(strstr(out, "gencached v=0.1.0 "));
    }
    unlink(conf);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_config_get_patterns, th_test_setup),
        cmocka_unit_test_setup(test_config_get_resp3_map, th_test_setup),
        cmocka_unit_test_setup(test_config_set_multiple, th_test_setup),
        cmocka_unit_test_setup(test_config_set_atomic_failure,
                               th_test_setup),
        cmocka_unit_test_setup(test_config_set_immutable, th_test_setup),
        cmocka_unit_test_setup(test_config_resetstat, th_test_setup),
        cmocka_unit_test_setup(test_config_help_and_unknown, th_test_setup),
        cmocka_unit_test_setup(test_config_rewrite, th_test_setup),
        cmocka_unit_test_setup(test_config_bad_file_exits, th_test_setup),
    };

    return cmocka_run_group_tests(tests, th_group_setup, th_group_teardown);
}
