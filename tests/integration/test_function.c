/*
 * test_function.c - FUNCTION on a server without a scripting engine: the
 * registry stays empty and every reply is Redis 7.0's for that state.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "harness.h"

static void test_function_flush_modes(void **state)
{
    th_server_t *s = *state;
    th_expect_status(s->ctx, "OK", "FUNCTION FLUSH");
    th_expect_status(s->ctx, "OK", "FUNCTION FLUSH ASYNC");
    th_expect_status(s->ctx, "OK", "FUNCTION FLUSH sync");
    th_expect_error(s->ctx, "ERR FUNCTION FLUSH only supports SYNC|ASYNC option",
                    "FUNCTION FLUSH xx");
}

static void test_function_list_is_empty(void **state)
{
    th_server_t *s = *state;
    redisReply *r = th_cmd(s->ctx, "FUNCTION LIST WITHCODE LIBRARYNAME x*");
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->elements, 0);
    freeReplyObject(r);
    th_expect_error(s->ctx, "ERR library name argument was not given",
                    "FUNCTION LIST LIBRARYNAME");
    th_expect_error(s->ctx, "ERR Unknown argument withcode",
                    "FUNCTION LIST withcode withcode");
    th_expect_error(s->ctx, "ERR Unknown argument foo", "FUNCTION LIST foo");
}

static void test_function_stats_has_no_engine(void **state)
{
    th_server_t *s = *state;
    redisReply *r = th_cmd(s->ctx, "FUNCTION STATS");
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->elements, 4);
    assert_string_equal(r->element[0]->str, "running_script");
    assert_int_equal(r->element[1]->type, REDIS_REPLY_NIL);
    assert_string_equal(r->element[2]->str, "engines");
    assert_int_equal(r->element[3]->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->element[3]->elements, 0);
    freeReplyObject(r);
    th_expect_error(s->ctx,
                    "ERR wrong number of arguments for 'function|stats' command",
                    "FUNCTION STATS extra");
}

static void test_function_load_errors(void **state)
{
    th_server_t *s = *state;
    th_expect_error(s->ctx, "ERR Missing library metadata", "FUNCTION LOAD %s",
                    "return 1");
    th_expect_error(s->ctx, "ERR Invalid library metadata", "FUNCTION LOAD %s",
                    "#!lua");
    th_expect_error(s->ctx, "ERR Library name was not given",
                    "FUNCTION LOAD %s", "#!lua\nreturn 1");
    th_expect_error(s->ctx, "ERR Invalid metadata value given: foo=bar",
                    "FUNCTION LOAD %s", "#!lua name=x foo=bar\nreturn 1");
    th_expect_error(s->ctx, "ERR Unknown option given: again",
                    "FUNCTION LOAD again %s", "#!lua name=x\nreturn 1");
    th_expect_error(s->ctx, "ERR Engine 'lua' not found",
                    "FUNCTION LOAD REPLACE %s", "#!lua name=x\nreturn 1");
}

static void test_function_delete_kill_unknown(void **state)
{
    th_server_t *s = *state;
    th_expect_error(s->ctx, "ERR Library not found", "FUNCTION DELETE x");
    th_expect_error(s->ctx, "NOTBUSY No scripts in execution right now.",
                    "FUNCTION KILL");
    th_expect_error(s->ctx,
                    "ERR unknown subcommand 'nosuch'. Try FUNCTION HELP.",
                    "FUNCTION nosuch");
    th_expect_error(s->ctx,
                    "ERR wrong number of arguments for 'function' command",
                    "FUNCTION");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_function_flush_modes),
        cmocka_unit_test(test_function_list_is_empty),
        cmocka_unit_test(test_function_stats_has_no_engine),
        cmocka_unit_test(test_function_load_errors),
        cmocka_unit_test(test_function_delete_kill_unknown),
    };
    return cmocka_run_group_tests(tests, th_group_setup, th_group_teardown);
}
