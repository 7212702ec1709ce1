/*
 * test_info.c - INFO against a real gencached: Redis 7.0's sections and
 * field names, section selection (default/all/everything, several
 * names), commandstats and errorstats counting, the keyspace line, and
 * CONFIG RESETSTAT zeroing the statistics.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"

/* INFO text for the (space separated, one argument each) sections;
 * caller frees the reply. */
static redisReply *info(redisContext *c, const char *sections)
{
    char cmd[256];
    redisReply *r;

    snprintf(cmd, sizeof(cmd), "INFO %s", sections ? sections : "");
    r = th_cmd(c, cmd);

    assert_int_equal(r->type, REDIS_REPLY_STRING);
    return r;
}

/* Does text contain "\r\n<line>\r\n" or start with "<line>\r\n"? */
static int has_line(const char *text, const char *line)
{
    char want[512];

    snprintf(want, sizeof(want), "%s\r\n", line);
    if (strncmp(text, want, strlen(want)) == 0) {
        return 1;
    }
    snprintf(want, sizeof(want), "\r\n%s\r\n", line);
    return strstr(text, want) != NULL;
}

/* Is field "name:" present (at a line start)? */
static int has_field(const char *text, const char *name)
{
    char want[128];

    snprintf(want, sizeof(want), "\n%s:", name);
    return strstr(text, want) != NULL;
}

/* Value of field name (up to CR) into out; asserts it exists. */
static void field(const char *text, const char *name, char *out, size_t size)
{
    char want[128];
    const char *p;
    size_t n;

    snprintf(want, sizeof(want), "\n%s:", name);
    p = strstr(text, want);
    assert_non_null(p);
    p += strlen(want);
    n = strcspn(p, "\r");
    assert_true(n < size);
    memcpy(out, p, n);
    out[n] = '\0';
}

static void test_info_default_sections(void **state)
{
    th_server_t *s = *state;
    redisReply *r = info(s->ctx, NULL);
    const char *titles[] = {"# Server", "# Clients", "# Memory",
                            "# Persistence", "# Stats", "# Replication",
                            "# CPU", "# Modules", "# Errorstats",
                            "# Cluster", "# Keyspace"};
    const char *prev = r->str;
    char v[128];
    size_t i;

    assert_memory_equal(r->str, "# Server\r\n", 10);
    for (i = 0; i < sizeof(titles) / sizeof(titles[0]); i++) {
        const char *p = strstr(r->str, titles[i]);
        assert_non_null(p);
        assert_true(p >= prev); /* Redis's order */
        prev = p;
    }
    assert_null(strstr(r->str, "# Commandstats"));
    assert_null(strstr(r->str, "rejected_calls"));
    assert_true(has_line(r->str, "redis_version:7.0.15"));
    assert_true(has_line(r->str, "redis_mode:standalone"));
    assert_true(has_line(r->str, "role:master"));
    assert_true(has_line(r->str, "loading:0"));
    assert_true(has_line(r->str, "cluster_enabled:0"));
    assert_true(has_line(r->str, "maxmemory_policy:noeviction"));
    snprintf(v, sizeof(v), "tcp_port:%d", s->port);
    assert_true(has_line(r->str, v));
    field(r->str, "master_replid", v, sizeof(v));
    assert_int_equal(strlen(v), 40);
    field(r->str, "run_id", v, sizeof(v));
    assert_int_equal(strlen(v), 40);
    freeReplyObject(r);
}

static void test_info_field_names(void **state)
{
    th_server_t *s = *state;
    redisReply *r = info(s->ctx, "everything");
    const char *names[] = {
        "redis_version", "gencache_version", "os", "arch_bits",
        "multiplexing_api", "process_id", "run_id", "tcp_port",
        "uptime_in_seconds", "uptime_in_days", "hz", "configured_hz",
        "lru_clock", "executable", "config_file", "io_threads_active",
        "connected_clients", "maxclients", "blocked_clients",
        "used_memory", "used_memory_human", "used_memory_rss",
        "used_memory_peak", "maxmemory", "maxmemory_human",
        "maxmemory_policy", "mem_fragmentation_ratio", "mem_allocator",
        "rdb_changes_since_last_save", "rdb_bgsave_in_progress",
        "rdb_last_save_time", "rdb_last_bgsave_status", "aof_enabled",
        "total_connections_received", "total_commands_processed",
        "instantaneous_ops_per_sec", "total_net_input_bytes",
        "total_net_output_bytes", "rejected_connections", "expired_keys",
        "evicted_keys", "keyspace_hits", "keyspace_misses",
        "total_error_replies", "connected_slaves", "master_replid",
        "master_repl_offset", "used_cpu_sys", "used_cpu_user",
        "used_cpu_sys_children", "used_cpu_user_children",
    };
    size_t i;

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (!has_field(r->str, names[i])) {
            fail_msg("INFO everything has no field %s", names[i]);
        }
    }
    assert_non_null(strstr(r->str, "# Commandstats\r\n"));
    freeReplyObject(r);
}

static void test_info_section_selection(void **state)
{
    th_server_t *s = *state;
    redisReply *r;

    r = info(s->ctx, "cpu");
    assert_memory_equal(r->str, "# CPU\r\n", 7);
    assert_true(has_field(r->str, "used_cpu_user"));
    assert_false(has_field(r->str, "used_memory"));
    freeReplyObject(r);

    r = info(s->ctx, "commandSTATS");
    assert_non_null(strstr(r->str, "rejected_calls"));
    assert_null(strstr(r->str, "used_memory"));
    freeReplyObject(r);

    r = info(s->ctx, "cpu memory");
    assert_true(has_field(r->str, "used_cpu_user"));
    assert_true(has_field(r->str, "used_memory"));
    assert_false(has_field(r->str, "redis_version"));
    freeReplyObject(r);

    r = info(s->ctx, "cpu all");
    assert_true(has_field(r->str, "used_memory"));
    assert_non_null(strstr(r->str, "rejected_calls"));
    /* Each section once. */
    assert_null(strstr(strstr(r->str, "used_cpu_user_children") + 1,
                       "used_cpu_user_children"));
    freeReplyObject(r);

    r = info(s->ctx, "cpu default");
    assert_true(has_field(r->str, "master_repl_offset"));
    assert_null(strstr(r->str, "rejected_calls"));
    freeReplyObject(r);

    r = info(s->ctx, "nosuchsection");
    assert_int_equal(r->len, 0);
    freeReplyObject(r);
}

static void test_info_commandstats(void **state)
{
    th_server_t *s = *state;
    redisReply *r;
    char v[256];

    th_expect_status(s->ctx, "OK", "CONFIG RESETSTAT");
    th_expect_status(s->ctx, "OK", "SET a 1");
    th_expect_status(s->ctx, "OK", "SET a 2");
    th_expect_str(s->ctx, "2", "GET a");
    th_expect_status(s->ctx, "OK", "SET s x");
    th_expect_error(s->ctx, "ERR value is not an integer", "INCR s");
    freeReplyObject(th_cmd(s->ctx, "CLIENT ID"));
    r = info(s->ctx, "commandstats");
    assert_memory_equal(r->str, "# Commandstats\r\n", 16);
    field(r->str, "cmdstat_set", v, sizeof(v));
    assert_memory_equal(v, "calls=3,usec=", 13);
    assert_non_null(strstr(v, ",usec_per_call="));
    assert_non_null(strstr(v, ",rejected_calls=0,failed_calls=0"));
    field(r->str, "cmdstat_get", v, sizeof(v));
    assert_memory_equal(v, "calls=1,", 8);
    field(r->str, "cmdstat_incr", v, sizeof(v));
    assert_non_null(strstr(v, "failed_calls=1"));
    field(r->str, "cmdstat_config|resetstat", v, sizeof(v));
    assert_memory_equal(v, "calls=1,", 8);
    assert_true(has_field(r->str, "cmdstat_client|id"));
    assert_false(has_field(r->str, "cmdstat_del"));
    freeReplyObject(r);
}

static void test_info_errorstats(void **state)
{
    th_server_t *s = *state;
    redisReply *r;
    char v[64];

    th_expect_status(s->ctx, "OK", "CONFIG RESETSTAT");
    th_expect_status(s->ctx, "OK", "SET s x");
    th_expect_error(s->ctx, "ERR", "INCR s");
    th_expect_error(s->ctx, "ERR", "SELECT 99");
    th_expect_error(s->ctx, "NOPROTO", "HELLO 9");
    r = info(s->ctx, "errorstats");
    assert_true(has_line(r->str, "errorstat_ERR:count=2"));
    assert_true(has_line(r->str, "errorstat_NOPROTO:count=1"));
    /* Sorted by code. */
    assert_true(strstr(r->str, "errorstat_ERR") <
                strstr(r->str, "errorstat_NOPROTO"));
    freeReplyObject(r);
    r = info(s->ctx, "stats");
    field(r->str, "total_error_replies", v, sizeof(v));
    assert_string_equal(v, "3");
    freeReplyObject(r);

    th_expect_status(s->ctx, "OK", "CONFIG RESETSTAT");
    r = info(s->ctx, "errorstats stats");
    assert_null(strstr(r->str, "errorstat_"));
    field(r->str, "total_error_replies", v, sizeof(v));
    assert_string_equal(v, "0");
    freeReplyObject(r);
}

static void test_info_keyspace(void **state)
{
    th_server_t *s = *state;
    redisReply *r;

    r = info(s->ctx, "keyspace");
    assert_string_equal(r->str, "# Keyspace\r\n");
    freeReplyObject(r);
    th_expect_status(s->ctx, "OK", "SET a 1");
    th_expect_status(s->ctx, "OK", "SET b 1 EX 100");
    th_expect_status(s->ctx, "OK", "SELECT 3");
    th_expect_status(s->ctx, "OK", "SET c 1");
    r = info(s->ctx, "keyspace");
    assert_non_null(strstr(r->str, "\r\ndb0:keys=2,expires=1,avg_ttl="));
    assert_non_null(strstr(r->str, "\r\ndb3:keys=1,expires=0,avg_ttl=0\r\n"));
    freeReplyObject(r);
}

static void test_info_stats_counters(void **state)
{
    th_server_t *s = *state;
    redisContext *c2 = th_connect(s);
    redisReply *r;
    char v[64];
    long long before, after;

    r = info(s->ctx, "stats");
    field(r->str, "total_commands_processed", v, sizeof(v));
    before = atoll(v);
    freeReplyObject(r);
    th_expect_status(s->ctx, "PONG", "PING");
    r = info(s->ctx, "stats clients");
    field(r->str, "total_commands_processed", v, sizeof(v));
    after = atoll(v);
    assert_true(after >= before + 2);
    field(r->str, "connected_clients", v, sizeof(v));
    assert_true(atoll(v) >= 2);
    /* An earlier CONFIG RESETSTAT zeroed it; c2 came after. */
    field(r->str, "total_connections_received", v, sizeof(v));
    assert_true(atoll(v) >= 1);
    freeReplyObject(r);
    th_expect_nil(s->ctx, "GET missing");
    r = info(s->ctx, "stats");
    field(r->str, "keyspace_misses", v, sizeof(v));
    assert_true(atoll(v) >= 1);
    freeReplyObject(r);
    redisFree(c2);
}

static void test_info_memory_values(void **state)
{
    th_server_t *s = *state;
    redisReply *r = info(s->ctx, "memory");
    char v[64];

    field(r->str, "used_memory", v, sizeof(v));
    assert_true(atoll(v) > 0);
    field(r->str, "used_memory_rss", v, sizeof(v));
    assert_true(atoll(v) > 0);
    field(r->str, "maxmemory", v, sizeof(v));
    assert_string_equal(v, "0");
    field(r->str, "maxmemory_human", v, sizeof(v));
    assert_string_equal(v, "0B");
    freeReplyObject(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_info_default_sections, th_test_setup),
        cmocka_unit_test_setup(test_info_field_names, th_test_setup),
        cmocka_unit_test_setup(test_info_section_selection, th_test_setup),
        cmocka_unit_test_setup(test_info_commandstats, th_test_setup),
        cmocka_unit_test_setup(test_info_errorstats, th_test_setup),
        cmocka_unit_test_setup(test_info_keyspace, th_test_setup),
        cmocka_unit_test_setup(test_info_stats_counters, th_test_setup),
        cmocka_unit_test_setup(test_info_memory_values, th_test_setup),
    };

    return cmocka_run_group_tests(tests, th_group_setup, th_group_teardown);
}
