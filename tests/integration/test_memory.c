/*
 * test_memory.c - MEMORY USAGE, STATS, DOCTOR, MALLOC-STATS, PURGE, and
 * jemalloc-bg-thread.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <dirent.h>
#include <stdio.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"
#include "proc_sched.h"

static long long int_reply(redisContext *c, const char *cmd)
{
    redisReply *r = th_cmd(c, cmd);
    long long v;
    assert_int_equal(r->type, REDIS_REPLY_INTEGER);
    v = r->integer;
    freeReplyObject(r);
    return v;
}

static void test_memory_usage_grows_with_value(void **state)
{
    th_server_t *s = *state;
    long long small, big;
    char value[2001];

    memset(value, 'x', sizeof(value) - 1);
    value[sizeof(value) - 1] = '\0';
    th_expect_status(s->ctx, "OK", "SET small v");
    th_expect_status(s->ctx, "OK", "SET big %s", value);
    small = int_reply(s->ctx, "MEMORY USAGE small");
    big = int_reply(s->ctx, "MEMORY USAGE big");
    assert_true(small > 0);
    assert_true(big >= small + 2000);
    th_expect_int(s->ctx, small, "MEMORY USAGE small SAMPLES 0");
    th_expect_nil(s->ctx, "MEMORY USAGE nokey");
}

static void test_memory_usage_errors(void **state)
{
    th_server_t *s = *state;
    th_expect_status(s->ctx, "OK", "SET k v");
    th_expect_error(s->ctx, "ERR syntax error", "MEMORY USAGE k SAMPLES");
    th_expect_error(s->ctx, "ERR syntax error", "MEMORY USAGE k SAMPLES -1");
    th_expect_error(s->ctx, "ERR syntax error", "MEMORY USAGE k foo 1");
    th_expect_error(s->ctx, "ERR value is not an integer or out of range",
                    "MEMORY USAGE k SAMPLES x");
    th_expect_error(s->ctx,
                    "ERR wrong number of arguments for 'memory|usage' command",
                    "MEMORY USAGE");
    th_expect_error(s->ctx,
                    "ERR unknown subcommand 'nosuch'. Try MEMORY HELP.",
                    "MEMORY nosuch");
}

static void test_memory_stats_fields(void **state)
{
    th_server_t *s = *state;
    redisReply *r;
    int seen = 0;

    th_expect_status(s->ctx, "OK", "SET a 1");
    r = th_cmd(s->ctx, "MEMORY STATS");
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    for (size_t i = 0; i + 1 < r->elements; i += 2) {
        const char *name = r->element[i]->str;
        if (!strcmp(name, "keys.count")) {
            assert_int_equal(r->element[i + 1]->integer, 1);
            seen++;
        } else if (!strcmp(name, "total.allocated")) {
            assert_true(r->element[i + 1]->integer > 0);
            seen++;
        }
    }
    assert_int_equal(seen, 2);
    freeReplyObject(r);
}

static void test_memory_doctor_purge_malloc_stats(void **state)
{
    th_server_t *s = *state;
    redisReply *r = th_cmd(s->ctx, "MEMORY DOCTOR");
    assert_int_equal(r->type, REDIS_REPLY_STRING);
    assert_true(r->len > 0);
    freeReplyObject(r);
    r = th_cmd(s->ctx, "MEMORY MALLOC-STATS");
    assert_int_equal(r->type, REDIS_REPLY_STRING);
    assert_non_null(strstr(r->str, "<malloc"));
    freeReplyObject(r);
    th_expect_status(s->ctx, "OK", "MEMORY PURGE");
}

/* Threads of process pid (entries of /proc/pid/task). */
static int thread_count(pid_t pid)
{
    char path[64];
    DIR *d;
    struct dirent *e;
    int n = 0;

    snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
    d = opendir(path);
    assert_non_null(d);
    while ((e = readdir(d)) != NULL)
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

/* Whether the server's INFO mem_allocator names jemalloc. */
static int server_jemalloc(redisContext *c)
{
    redisReply *r = th_cmd(c, "INFO memory");
    int je = strstr(r->str, "mem_allocator:jemalloc-") != NULL;

    freeReplyObject(r);
    return je;
}

/* jemalloc-bg-thread (default yes, as Redis) starts jemalloc's purging
 * thread, at nice 19 and SCHED_IDLE, and CONFIG SET stops and restarts
 * it (lowered again); under libc the setting is kept but has nothing to
 * drive. */
static void test_jemalloc_bg_thread(void **state)
{
    th_server_t *s = *state;
    redisReply *r = th_cmd(s->ctx, "CONFIG GET jemalloc-bg-thread");
    int je = server_jemalloc(s->ctx), with, without;

    assert_int_equal(r->elements, 2);
    assert_string_equal(r->element[1]->str, "yes");
    freeReplyObject(r);
    /* jemalloc runs up to one purging thread per CPU, started as arenas
     * are used (the first may still be starting on a busy machine): "no"
     * stops them all, "yes" starts at least the first. They run at the
     * lowest priority, never above the executor. */
    for (int i = 0; je && i < 1500 && proc_bg_threads_lowered(s->pid) == 0;
         i++)
        usleep(20000);
    with = thread_count(s->pid);
    if (je)
        assert_true(proc_bg_threads_lowered(s->pid) >= 1);
    th_expect_status(s->ctx, "OK", "CONFIG SET jemalloc-bg-thread no");
    without = thread_count(s->pid);
    if (je) {
        assert_true(without < with);
        assert_int_equal(proc_bg_threads_lowered(s->pid), 0);
    }
    th_expect_status(s->ctx, "OK", "CONFIG SET jemalloc-bg-thread yes");
    for (int i = 0; je && i < 1000 && thread_count(s->pid) <= without; i++)
        usleep(20000);
    if (je) {
        assert_true(thread_count(s->pid) > without);
        for (int i = 0; i < 1500 && proc_bg_threads_lowered(s->pid) == 0;
             i++)
            usleep(20000);
        assert_true(proc_bg_threads_lowered(s->pid) >= 1);
    }
    r = th_cmd(s->ctx, "CONFIG SET jemalloc-bg-thread maybe");
    assert_int_equal(r->type, REDIS_REPLY_ERROR);
    assert_non_null(strstr(r->str, "argument must be 'yes' or 'no'"));
    freeReplyObject(r);
}

/* One command of 100000 arguments does not pin its argument array on
 * the connection: after SADD of 100000 members and UNLINK, used_memory
 * comes back near where it was (Redis frees argv after each command;
 * the lazyfree unit of Redis's suite checks this). */
static void test_big_command_argv_released(void **state)
{
    th_server_t *s = *state;
    redisContext *c = th_connect(s);
    enum { N = 100000 };
    const char **argv = calloc(N + 2, sizeof(*argv));
    char (*nums)[8] = calloc(N, sizeof(*nums));
    long long before, used = -1;
    redisReply *r;

    assert_non_null(argv);
    assert_non_null(nums);
    before = th_info_int(c, "memory", "used_memory");
    argv[0] = "SADD";
    argv[1] = "bigargv";
    for (int i = 0; i < N; i++) {
        snprintf(nums[i], sizeof(nums[i]), "%d", i);
        argv[i + 2] = nums[i];
    }
    r = th_cmdv(c, N + 2, argv, NULL);
    assert_int_equal(r->type, REDIS_REPLY_INTEGER);
    assert_int_equal(r->integer, N);
    freeReplyObject(r);
    free(argv);
    free(nums);
    th_expect_int(c, 1, "UNLINK bigargv");
    /* The set goes in background slices; its argv (2.4 MB) must too. */
    for (int i = 0; i < 1500; i++) {
        used = th_info_int(c, "memory", "used_memory");
        if (used < before + 1024 * 1024)
            break;
        usleep(20000);
    }
    assert_true(used < before + 1024 * 1024);
    redisFree(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_memory_usage_grows_with_value,
                               th_test_setup),
        cmocka_unit_test_setup(test_jemalloc_bg_thread, th_test_setup),
        cmocka_unit_test_setup(test_memory_usage_errors, th_test_setup),
        cmocka_unit_test_setup(test_big_command_argv_released,
                               th_test_setup),
        cmocka_unit_test_setup(test_memory_stats_fields, th_test_setup),
        cmocka_unit_test_setup(test_memory_doctor_purge_malloc_stats,
                               th_test_setup),
    };
    return cmocka_run_group_tests(tests, th_group_setup, th_group_teardown);
}
