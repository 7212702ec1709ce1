/*
 * test_config.c - unit tests for server/config.c: defaults, config text
 * parsing (quotes, includes, errors with line numbers), value types
 * (memory units, enums, booleans, specials) and the CONFIG-style
 * set/get functions, plus srv_config_load with file and arguments.
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

#include "server.h"

/* Fresh defaults before each test. */
static int setup(void **state)
{
    srv_config_init_defaults();
    return 0;
}

static int teardown(void **state)
{
    srv_config_free();
    return 0;
}

/* Assert CONFIG GET name shows want. */
static void expect_get(const char *name, const char *want)
{
    char buf[1024];

    assert_int_equal(srv_config_get_value(name, buf, sizeof(buf)), 0);
    assert_string_equal(buf, want);
}

/* Assert setting name to value fails with exactly reason. */
static void expect_set_error(const char *name, const char *value,
                             const char *reason)
{
    char err[512];

    assert_int_equal(srv_config_set_value(name, value, err, sizeof(err)),
                     -EINVAL);
    assert_string_equal(err, reason);
}

/* Assert setting name to value succeeds. */
static void expect_set_ok(const char *name, const char *value)
{
    char err[512] = "";

    assert_int_equal(srv_config_set_value(name, value, err, sizeof(err)), 0);
}

/* Load text; assert it fails and the error text equals want. */
static void expect_load_error(const char *text, const char *want)
{
    char err[1024];

    assert_int_equal(srv_config_load_string(text, err, sizeof(err)),
                     -EINVAL);
    assert_string_equal(err, want);
}

/* Write text to a new temp file; returns its path (static buffer per
 * slot). */
static const char *write_temp(int slot, const char *text)
{
    static char paths[4][64];
    FILE *f;
    int fd;

    snprintf(paths[slot], sizeof(paths[slot]), "/tmp/gencache-cfgtest-XXXXXX");
    fd = mkstemp(paths[slot]);
    assert_true(fd >= 0);
    f = fdopen(fd, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return paths[slot];
}

static void test_config_defaults(void **state)
{
    assert_int_equal(srv.cfg.port, 6379);
    assert_string_equal(srv.cfg.bind, "* -::*");
    assert_int_equal(srv.cfg.tcp_backlog, 511);
    assert_null(srv.cfg.unixsocket);
    assert_int_equal(srv.cfg.tcp_keepalive, 300);
    assert_int_equal(srv.cfg.protected_mode, 1);
    assert_int_equal(srv.cfg.maxclients, 10000);
    assert_int_equal(srv.cfg.databases, 16);
    assert_int_equal(srv.cfg.hz, 10);
    assert_int_equal(srv.cfg.loglevel, SRV_LOG_NOTICE);
    assert_int_equal(srv.cfg.proto_max_bulk_len, 512LL * 1024 * 1024);
    assert_int_equal(srv.cfg.client_query_buffer_limit, 1LL << 30);
    assert_int_equal(srv.cfg.maxmemory_policy, SRV_MAXMEMORY_NOEVICTION);
    assert_int_equal(srv.cfg.slowlog_log_slower_than, 10000);
    assert_int_equal(srv.cfg.slowlog_max_len, 128);
    assert_int_equal(srv.cfg.active_expire_effort, 1);
    assert_int_equal(srv.cfg.list_max_listpack_size, -2);
    assert_int_equal(srv.cfg.set_max_intset_entries, 512);
    assert_int_equal(srv.cfg.busy_reply_threshold, 5000);
    assert_int_equal(srv.cfg.obuf_limits[SRV_CLIENT_CLASS_PUBSUB].hard,
                     32 * 1024 * 1024);
    assert_int_equal(srv.cfg.active_expire_enabled, 1);
    assert_non_null(srv.cfg.dir);
    expect_get("save", "");
    expect_get("appendonly", "no");
    expect_get("io-threads", "0");
    expect_get("latency-tracking-info-percentiles", "50 99 99.9");
}

static void test_config_load_basic(void **state)
{
    char err[512];
    const char *text = "# comment\n"
                       "\n"
                       "   PORT 7000   \n"
                       "bind 127.0.0.1 -::1\n"
                       "Maxmemory 100mb\n"
                       "maxmemory-policy allkeys-lru\n"
                       "protected-mode no\n"
                       "\t# indented comment\n"
                       "hz 1000";

    assert_int_equal(srv_config_load_string(text, err, sizeof(err)), 0);
    assert_int_equal(srv.cfg.port, 7000);
    assert_string_equal(srv.cfg.bind, "127.0.0.1 -::1");
    assert_int_equal(srv.cfg.maxmemory, 100LL * 1024 * 1024);
    assert_int_equal(srv.cfg.maxmemory_policy, SRV_MAXMEMORY_ALLKEYS_LRU);
    assert_int_equal(srv.cfg.protected_mode, 0);
    /* hz is clamped to 1..500 as in Redis */
    assert_int_equal(srv.cfg.hz, 500);
}

static void test_config_load_quotes(void **state)
{
    char err[512];
    const char *text = "requirepass \"a b\\x41\\n\\\"q\\\"\"\n"
                       "logfile 'it\\'s here'\n"
                       "pidfile \"\"\n";

    assert_int_equal(srv_config_load_string(text, err, sizeof(err)), 0);
    assert_string_equal(srv.cfg.requirepass, "a bA\n\"q\"");
    assert_string_equal(srv.cfg.logfile, "it's here");
    assert_string_equal(srv.cfg.pidfile, "");
}

static void test_config_load_errors(void **state)
{
    expect_load_error("# c\nport \"abc\"\n",
                      "Reading the configuration file, at line 2\n"
                      ">>> 'port \"abc\"'\n"
                      "argument couldn't be parsed into an integer");
    expect_load_error("\n\n\nfoo bar",
                      "Reading the configuration file, at line 4\n"
                      ">>> 'foo bar'\n"
                      "Bad directive or wrong number of arguments");
    expect_load_error("port 1 2\n",
                      "Reading the configuration file, at line 1\n"
                      ">>> 'port 1 2'\n"
                      "wrong number of arguments");
    expect_load_error("port \"12\n",
                      "Reading the configuration file, at line 1\n"
                      ">>> 'port \"12'\n"
                      "Unbalanced quotes in configuration line");
    expect_load_error("port \"12\"x\n",
                      "Reading the configuration file, at line 1\n"
                      ">>> 'port \"12\"x'\n"
                      "Unbalanced quotes in configuration line");
    expect_load_error("port 99999\n",
                      "Reading the configuration file, at line 1\n"
                      ">>> 'port 99999'\n"
                      "argument must be between 0 and 65535 inclusive");
}

static void test_config_include(void **state)
{
    char text[256], err[1024];
    const char *inc = write_temp(0, "# included\nport 7123\nhz 20\n");
    const char *bad = write_temp(1, "hz 5\ndatabases x\n");

    snprintf(text, sizeof(text), "hz 1\ninclude %s\ntimeout 9\n", inc);
    assert_int_equal(srv_config_load_string(text, err, sizeof(err)), 0);
    assert_int_equal(srv.cfg.port, 7123);
    assert_int_equal(srv.cfg.hz, 20);
    assert_int_equal(srv.cfg.timeout, 9);

    /* The error names the line inside the included file. */
    snprintf(text, sizeof(text), "include %s\n", bad);
    expect_load_error(text, "Reading the configuration file, at line 2\n"
                            ">>> 'databases x'\n"
                            "argument couldn't be parsed into an integer");
    assert_int_equal(srv_config_load_string("include /nonexistent/x.conf",
                                            err, sizeof(err)),
                     -EINVAL);
    assert_non_null(strstr(err, "can't open config file"));
    unlink(inc);
    unlink(bad);
}

static void test_config_memory_units(void **state)
{
    expect_set_ok("maxmemory", "1gb");
    assert_int_equal(srv.cfg.maxmemory, 1LL << 30);
    expect_set_ok("maxmemory", "1Gb");
    assert_int_equal(srv.cfg.maxmemory, 1LL << 30);
    expect_set_ok("maxmemory", "5kb");
    assert_int_equal(srv.cfg.maxmemory, 5120);
    expect_set_ok("maxmemory", "1k");
    assert_int_equal(srv.cfg.maxmemory, 1000);
    expect_set_ok("maxmemory", "2m");
    assert_int_equal(srv.cfg.maxmemory, 2000000);
    expect_set_ok("maxmemory", "123");
    expect_get("maxmemory", "123");
    expect_set_error("maxmemory", "10xb", "argument must be a memory value");
    expect_set_error("maxmemory", "-1", "argument must be a memory value");
    expect_set_error("maxmemory", "1.5gb", "argument must be a memory value");
    expect_set_error("proto-max-bulk-len", "1000",
                     "argument must be between 1048576 and "
                     "9223372036854775807 inclusive");
    /* integer directives take no units */
    expect_set_error("set-max-intset-entries", "1k",
                     "argument couldn't be parsed into an integer");
}

static void test_config_enum_bool(void **state)
{
    expect_set_ok("loglevel", "WARNING");
    assert_int_equal(srv.cfg.loglevel, SRV_LOG_WARNING);
    expect_get("loglevel", "warning");
    expect_set_error("loglevel", "loud",
                     "argument(s) must be one of the following: debug, "
                     "verbose, notice, warning");
    expect_set_ok("maxmemory-policy", "VOLATILE-TTL");
    expect_get("maxmemory-policy", "volatile-ttl");
    expect_set_error("maxmemory-policy", "lru",
                     "argument(s) must be one of the following: "
                     "volatile-lru, volatile-lfu, volatile-random, "
                     "volatile-ttl, allkeys-lru, allkeys-lfu, "
                     "allkeys-random, noeviction");
    expect_set_ok("enable-debug-command", "local");
    assert_int_equal(srv.cfg.enable_debug_command, 2);
    expect_set_ok("dynamic-hz", "NO");
    expect_get("dynamic-hz", "no");
    expect_set_error("dynamic-hz", "maybe", "argument must be 'yes' or 'no'");
}

static void test_config_refused_values(void **state)
{
    char err[512];

    expect_set_error("daemonize", "yes",
                     "daemonize yes is not supported: gencached runs in the "
                     "foreground (containers only)");
    expect_set_ok("daemonize", "no");
    expect_set_ok("io-threads", "0");
    expect_set_ok("io-threads", "4");
    expect_set_ok("io-threads", "128");
    assert_int_equal(srv_config_set_value("io-threads", "129", err,
                                          sizeof(err)),
                     -EINVAL);
    assert_int_equal(srv_config_set_value("io-threads", "-1", err,
                                          sizeof(err)),
                     -EINVAL);
    expect_set_ok("io-threads", "0");
    expect_set_ok("appendonly", "no");
    expect_set_error("appendonly", "yes", "appendonly yes is not supported: "
                     "gencached has no persistence");
    expect_set_ok("save", "");
    assert_int_equal(srv_config_set_value("save", "900 1", err, sizeof(err)),
                     -EINVAL);
    assert_int_equal(srv_config_set_value("nosuch", "1", err, sizeof(err)),
                     -EINVAL);
}

static void test_config_specials(void **state)
{
    expect_set_ok("notify-keyspace-events", "KEA");
    expect_get("notify-keyspace-events", "AKE");
    assert_int_equal(srv.cfg.notify_keyspace_events,
                     SRV_NOTIFY_ALL | SRV_NOTIFY_KEYSPACE |
                         SRV_NOTIFY_KEYEVENT);
    expect_set_ok("notify-keyspace-events", "Elg");
    expect_get("notify-keyspace-events", "glE");
    expect_set_ok("notify-keyspace-events", "");
    expect_get("notify-keyspace-events", "");
    expect_set_error("notify-keyspace-events", "KQ",
                     "Invalid event class character. Use "
                     "'Ag$lshzxeKEtmdn'.");

    expect_set_ok("client-output-buffer-limit", "normal 1mb 2 3");
    expect_get("client-output-buffer-limit",
               "normal 1048576 2 3 slave 268435456 67108864 60 "
               "pubsub 33554432 8388608 60");
    expect_set_ok("client-output-buffer-limit", "replica 1 2 3 pubsub 4 5 6");
    assert_int_equal(srv.cfg.obuf_limits[SRV_CLIENT_CLASS_REPLICA].hard, 1);
    assert_int_equal(srv.cfg.obuf_limits[SRV_CLIENT_CLASS_PUBSUB].soft, 5);
    expect_set_error("client-output-buffer-limit", "normal 1 2",
                     "Wrong number of arguments in buffer limit "
                     "configuration.");
    expect_set_error("client-output-buffer-limit", "bogus 1 2 3",
                     "Invalid client class specified in buffer limit "
                     "configuration.");

    expect_set_ok("latency-tracking-info-percentiles", "0.0 50.0 100.0");
    expect_get("latency-tracking-info-percentiles", "0 50 100");
    expect_set_error("latency-tracking-info-percentiles", "10.0 50.0 a",
                     "Invalid latency-tracking-info-percentiles parameters");
    expect_set_error("latency-tracking-info-percentiles", "10 101",
                     "latency-tracking-info-percentiles parameters should "
                     "sit between [0.0,100.0]");
    expect_get("latency-tracking-info-percentiles", "0 50 100");

    expect_set_ok("unixsocketperm", "700");
    assert_int_equal(srv.cfg.unixsocketperm, 0700);
    expect_get("unixsocketperm", "700");
}

static void test_config_aliases(void **state)
{
    expect_set_ok("list-max-ziplist-size", "5");
    assert_int_equal(srv.cfg.list_max_listpack_size, 5);
    expect_get("list-max-listpack-size", "5");
    expect_set_ok("HASH-MAX-ZIPLIST-VALUE", "8");
    expect_get("hash-max-listpack-value", "8");
    expect_set_ok("lua-time-limit", "100");
    expect_get("busy-reply-threshold", "100");
    expect_set_error("set-max-intset-entries", "-1",
                     "argument must be between 0 and 9223372036854775807 "
                     "inclusive");
    assert_int_equal(srv_config_get_value("nosuch", (char[8]){0}, 8),
                     -ENOENT);
}

static void test_config_load_argv(void **state)
{
    const char *conf = write_temp(2, "port 7100\nhz 20\nbind 127.0.0.1\n");
    char *argv[] = {"gencached", (char *)conf, "--port", "7200",
                    "--bind", "127.0.0.1", "::1", "--requirepass",
                    "a \"b\"", "--save", NULL};

    assert_int_equal(srv_config_load(10, argv), 0);
    assert_int_equal(srv.cfg.port, 7200);
    assert_int_equal(srv.cfg.hz, 20);
    assert_string_equal(srv.cfg.bind, "127.0.0.1 ::1");
    assert_string_equal(srv.cfg.requirepass, "a \"b\"");
    assert_non_null(srv.cfg.configfile);
    assert_int_equal(srv.cfg.configfile[0], '/');
    unlink(conf);
}

static void test_config_load_argv_errors(void **state)
{
    const char *conf = write_temp(3, "port abc\n");
    char *bad_file[] = {"gencached", (char *)conf, NULL};
    char *bad_arg[] = {"gencached", "--port", "x", NULL};
    char *unknown[] = {"gencached", "--nosuch", "1", NULL};
    char *missing[] = {"gencached", "/nonexistent/gencached.conf", NULL};

    assert_int_equal(srv_config_load(2, bad_file), -EINVAL);
    assert_int_equal(srv_config_load(3, bad_arg), -EINVAL);
    assert_int_equal(srv_config_load(3, unknown), -EINVAL);
    assert_int_equal(srv_config_load(2, missing), -EINVAL);
    unlink(conf);
}

/* The shipped conf/gencached.conf loads and sets what it says. */
static void test_config_sample_file(void **state)
{
#ifdef GENCACHE_SAMPLE_CONF
    char *argv[] = {"gencached", GENCACHE_SAMPLE_CONF, NULL};
    char cwd[4096];

    assert_non_null(getcwd(cwd, sizeof(cwd)));
    assert_int_equal(srv_config_load(2, argv), 0);
    assert_int_equal(srv.cfg.port, 6379);
    assert_string_equal(srv.cfg.bind, "127.0.0.1 -::1");
    assert_int_equal(srv.cfg.protected_mode, 1);
    assert_int_equal(srv.cfg.io_threads, 0);
    assert_string_equal(srv.cfg.logfile, "");
    assert_int_equal(srv.cfg.obuf_limits[SRV_CLIENT_CLASS_REPLICA].hard,
                     256 * 1024 * 1024);
    expect_get("latency-tracking-info-percentiles", "50 99 99.9");
    assert_string_equal(srv.cfg.dir, cwd);
#else
    skip();
#endif
}

/* Load the text of path from defaults (the rewrite round trips). */
static void reload_file(const char *path)
{
    char err[1024], *text;
    FILE *f = fopen(path, "r");
    long len;

    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    len = ftell(f);
    assert_true(len >= 0);
    rewind(f);
    text = calloc(1, (size_t)len + 1);
    assert_non_null(text);
    assert_int_equal(fread(text, 1, (size_t)len, f), (size_t)len);
    fclose(f);
    srv_config_init_defaults();
    assert_int_equal(srv_config_load_string(text, err, sizeof(err)), 0);
    free(text);
}

/* Found by fuzz_config: CONFIG REWRITE read a line's directive as its
 * raw first word, so a quoted or escaped name was kept as an unknown
 * line, after the earlier "port" line had taken the final value: the
 * rewritten file loaded back port 2. */
static void test_config_rewrite_quoted_name(void **state)
{
    const char *text = "port 1\n\"port\" 2\nport 3\n"
                       "hz 5\n\"\\x68z\"\t7\n";
    const char *path = write_temp(0, text);
    char err[512];

    assert_int_equal(srv_config_load_string(text, err, sizeof(err)), 0);
    assert_int_equal(srv.cfg.port, 3);
    assert_int_equal(srv.cfg.hz, 7);
    assert_int_equal(srv_config_rewrite_file(path), 0);
    reload_file(path);
    assert_int_equal(srv.cfg.port, 3);
    assert_int_equal(srv.cfg.hz, 7);
    unlink(path);
}

/* Found by fuzz_config: values were cut at 16 KB without an error, when
 * loaded (a long requirepass line) and when written back (CONFIG GET,
 * CONFIG REWRITE, whose quoting makes a control byte four bytes). */
static void test_config_long_values(void **state)
{
    size_t n = 20000;
    char *big = malloc(n + 64), *text = malloc(n + 64), *got = malloc(n + 64);
    char err[512];
    const char *path;

    assert_non_null(big);
    assert_non_null(text);
    assert_non_null(got);
    memset(big, 'a', n);
    big[n] = '\0';
    snprintf(text, n + 64, "requirepass %s\n", big);
    assert_int_equal(srv_config_load_string(text, err, sizeof(err)), 0);
    assert_int_equal(strlen(srv.cfg.requirepass), n);
    assert_int_equal(srv_config_get_value("requirepass", got, n + 64), 0);
    assert_string_equal(got, big);

    /* 5000 control bytes quote to 20000 bytes in the file. */
    memset(big, 1, 5000);
    big[5000] = '\0';
    expect_set_ok("requirepass", big);
    path = write_temp(1, "requirepass x\n");
    assert_int_equal(srv_config_rewrite_file(path), 0);
    reload_file(path);
    assert_string_equal(srv.cfg.requirepass, big);
    unlink(path);
    free(big);
    free(text);
    free(got);
}

/* include reads the named file: "-" is a file called "-" (as in Redis),
 * not standard input. */
static void test_config_include_dash(void **state)
{
    char err[512];

    assert_int_equal(access("-", F_OK), -1);
    assert_int_equal(srv_config_load_string("include -\n", err, sizeof(err)),
                     -EINVAL);
    assert_string_equal(err, "Fatal error, can't open config file '-': "
                             "No such file or directory");
}

/* A line may have any number of words (it was 64, refused as
 * "Unbalanced quotes"); so may the percentile and buffer limit lists. */
static void test_config_many_words(void **state)
{
    char text[4096], err[512];
    size_t o;

    o = (size_t)snprintf(text, sizeof(text),
                         "latency-tracking-info-percentiles");
    for (int i = 0; i < 200; i++)
        o += (size_t)snprintf(text + o, sizeof(text) - o, " %d", i % 100);
    snprintf(text + o, sizeof(text) - o, "\n");
    assert_int_equal(srv_config_load_string(text, err, sizeof(err)), 0);
    assert_int_equal(srv.cfg.latency_tracking_npercentiles, 200);
    assert_true(srv.cfg.latency_tracking_percentiles[199] == 99.0);

    o = 0;
    for (int i = 0; i < 20; i++)
        o += (size_t)snprintf(text + o, sizeof(text) - o, "%spubsub %d 2 3",
                              i ? " " : "", i);
    expect_set_ok("client-output-buffer-limit", text);
    assert_int_equal(srv.cfg.obuf_limits[SRV_CLIENT_CLASS_PUBSUB].hard, 19);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_config_defaults, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_config_load_basic, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_config_load_quotes, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_config_load_errors, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_config_include, setup, teardown),
        cmocka_unit_test_setup_teardown(test_config_memory_units, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_config_enum_bool, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_config_refused_values, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_config_specials, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_config_aliases, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_config_load_argv, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_config_load_argv_errors, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_config_sample_file, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_config_rewrite_quoted_name,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_config_long_values, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_config_include_dash, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_config_many_words, setup,
                                        teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
