/*
 * test_gc.c - the cycle collector through the server: GC COLLECT freeing
 * a cycle refcounting cannot, GC subcommands, automatic collection by the
 * loop's slices (paced), INFO gc / INFO heap fields and the gc-*
 * directives.
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

/* Send a command whose reply is not checked. */
static void cmd_ok(redisContext *c, const char *cmd)
{
    freeReplyObject(th_cmd(c, cmd));
}

static int gc_setup(void **state)
{
    th_server_t *s = *state;

    th_test_setup(state);
    th_expect_status(s->ctx, "OK", "GC ENABLE");
    cmd_ok(s->ctx, "GC THRESHOLD 700 10 10");
    cmd_ok(s->ctx, "GC COLLECT");
    return 0;
}

static void test_collect_cycle(void **state)
{
    th_server_t *s = *state;
    long long before = th_info_int(s->ctx, "gc", "gc_collected_objects");
    long long g2 = th_info_int(s->ctx, "gc", "gc_gen2_collections");

    th_expect_int(s->ctx, 1, "HSET post:1 title hello");
    th_expect_int(s->ctx, 1, "SADD comments c0");
    th_expect_int(s->ctx, 1, "REF.HSET post:1 comments comments");
    th_expect_int(s->ctx, 1, "REF.SADD comments post:1");
    assert_int_equal(th_info_int(s->ctx, "gc", "gc_tracked_objects"), 2);
    assert_int_equal(th_info_int(s->ctx, "gc", "gc_gen0_objects"), 2);
    assert_int_equal(th_info_int(s->ctx, "heap", "heap_ref_elements_strong"),
                     2);
    th_expect_int(s->ctx, 1, "DEL post:1");
    /* still reachable through comments */
    th_expect_int(s->ctx, 0, "GC COLLECT");
    th_expect_int(s->ctx, 1, "DEL comments");
    th_expect_int(s->ctx, 2, "GC COLLECT");
    assert_int_equal(th_info_int(s->ctx, "gc", "gc_collected_objects"),
                     before + 2);
    assert_int_equal(th_info_int(s->ctx, "gc", "gc_tracked_objects"), 0);
    assert_int_equal(th_info_int(s->ctx, "gc", "gc_gen2_collections"),
                     g2 + 2);
    assert_int_equal(th_info_int(s->ctx, "gc", "gc_uncollectable_objects"),
                     0);
    assert_int_equal(th_info_int(s->ctx, "heap", "heap_ref_elements_strong"),
                     0);
}

static void test_gc_subcommands(void **state)
{
    th_server_t *s = *state;
    redisReply *r;

    r = th_cmd(s->ctx, "GC THRESHOLD 500 5");
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->elements, 3);
    assert_int_equal(r->element[0]->integer, 500);
    assert_int_equal(r->element[1]->integer, 5);
    assert_int_equal(r->element[2]->integer, 10);
    freeReplyObject(r);
    r = th_cmd(s->ctx, "CONFIG GET gc-threshold0");
    assert_int_equal(r->elements, 2);
    assert_string_equal(r->element[1]->str, "500");
    freeReplyObject(r);
    r = th_cmd(s->ctx, "GC STATS");
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->elements, 3);
    assert_int_equal(r->element[0]->elements, 8);
    freeReplyObject(r);
    r = th_cmd(s->ctx, "GC HELP");
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    freeReplyObject(r);
    th_expect_error(s->ctx, "ERR", "GC THRESHOLD -1");
    th_expect_error(s->ctx, "ERR", "GC COLLECT 3");
    th_expect_error(s->ctx, "ERR unknown subcommand", "GC FOO");
}

static void test_enable_config(void **state)
{
    th_server_t *s = *state;

    th_expect_status(s->ctx, "OK", "GC DISABLE");
    assert_int_equal(th_info_int(s->ctx, "gc", "gc_enabled"), 0);
    th_expect_status(s->ctx, "OK", "CONFIG SET gc-enabled yes");
    assert_int_equal(th_info_int(s->ctx, "gc", "gc_enabled"), 1);
    th_expect_status(s->ctx, "OK", "CONFIG SET gc-threshold0 700");
    th_expect_status(s->ctx, "OK", "CONFIG SET gc-slice-budget-us 200");
    th_expect_status(s->ctx, "OK", "CONFIG SET gc-slice-objects 100");
    th_expect_error(s->ctx, "ERR", "CONFIG SET gc-slice-objects 0");
    /* both sections are part of plain INFO */
    assert_true(th_info_int(s->ctx, NULL, "gc_tracked_objects") >= 0);
    assert_true(th_info_int(s->ctx, NULL,
                           "heap_deferred_free_pending_objects") >= 0);
}

/* Automatic collection: with threshold0 1 the loop's slices free cycles
 * without GC COLLECT; garbage made after the last due collection waits
 * for the next one. */
static void test_automatic(void **state)
{
    th_server_t *s = *state;
    long long before = th_info_int(s->ctx, "gc", "gc_collected_objects");

    cmd_ok(s->ctx, "GC THRESHOLD 1 10 10");
    for (int i = 0; i < 20; i++) {
        th_expect_int(s->ctx, 1, "HSET a%d x y", i);
        th_expect_int(s->ctx, 1, "REF.HSET a%d self a%d", i, i);
        th_expect_int(s->ctx, 1, "DEL a%d", i);
    }
    for (int i = 0; i < 3000 && th_info_int(s->ctx, "gc",
                                          "gc_collected_objects") == before;
         i++)
        usleep(10000);
    assert_true(th_info_int(s->ctx, "gc", "gc_collected_objects") > before);
    assert_true(th_info_int(s->ctx, "gc", "gc_slices") > 0);
    assert_true(th_info_int(s->ctx, "gc", "gc_gen0_collections") > 0);
    cmd_ok(s->ctx, "GC COLLECT");
    assert_int_equal(th_info_int(s->ctx, "gc", "gc_collected_objects"),
                     before + 20);
    assert_int_equal(th_info_int(s->ctx, "gc", "gc_tracked_objects"), 0);
}

/* gc-max-cpu-percent and gc-restart-touched-percent: config (1..100),
 * INFO gc_collections_restarted, and a paced collector (1 %) whose
 * automatic collections still run to their end once clients go quiet. */
static void test_pacing_config(void **state)
{
    th_server_t *s = *state;
    long long before = th_info_int(s->ctx, "gc", "gc_collected_objects");
    redisReply *r;

    r = th_cmd(s->ctx, "CONFIG GET gc-max-cpu-percent");
    assert_int_equal(r->elements, 2);
    assert_string_equal(r->element[1]->str, "25");
    freeReplyObject(r);
    r = th_cmd(s->ctx, "CONFIG GET gc-restart-touched-percent");
    assert_int_equal(r->elements, 2);
    assert_string_equal(r->element[1]->str, "50");
    freeReplyObject(r);
    th_expect_error(s->ctx, "ERR", "CONFIG SET gc-max-cpu-percent 0");
    th_expect_error(s->ctx, "ERR", "CONFIG SET gc-max-cpu-percent 101");
    th_expect_error(s->ctx, "ERR", "CONFIG SET gc-restart-touched-percent 0");
    th_expect_status(s->ctx, "OK", "CONFIG SET gc-restart-touched-percent 100");
    th_expect_status(s->ctx, "OK", "CONFIG SET gc-restart-touched-percent 50");
    assert_true(th_info_int(s->ctx, "gc", "gc_collections_restarted") >= 0);
    assert_true(th_info_int(s->ctx, NULL, "gc_collections_restarted") >= 0);
    th_expect_status(s->ctx, "OK", "CONFIG SET gc-max-cpu-percent 1");
    cmd_ok(s->ctx, "GC THRESHOLD 1 10 10");
    for (int i = 0; i < 50; i++) {
        th_expect_int(s->ctx, 1, "HSET p%d x y", i);
        th_expect_int(s->ctx, 1, "REF.HSET p%d self p%d", i, i);
        th_expect_int(s->ctx, 1, "DEL p%d", i);
    }
    for (int i = 0; i < 3000 && (th_info_int(s->ctx, "gc",
                                           "gc_collected_objects") == before ||
                                th_info_int(s->ctx, "gc", "gc_in_progress"));
         i++)
        usleep(10000);
    assert_true(th_info_int(s->ctx, "gc", "gc_collected_objects") > before);
    assert_int_equal(th_info_int(s->ctx, "gc", "gc_in_progress"), 0);
    th_expect_status(s->ctx, "OK", "CONFIG SET gc-max-cpu-percent 25");
    cmd_ok(s->ctx, "GC COLLECT");
    assert_int_equal(th_info_int(s->ctx, "gc", "gc_collected_objects"),
                     before + 50);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_collect_cycle, gc_setup),
        cmocka_unit_test_setup(test_gc_subcommands, gc_setup),
        cmocka_unit_test_setup(test_enable_config, gc_setup),
        cmocka_unit_test_setup(test_automatic, gc_setup),
        cmocka_unit_test_setup(test_pacing_config, gc_setup),
    };

    return cmocka_run_group_tests(tests, th_group_setup, th_group_teardown);
}
