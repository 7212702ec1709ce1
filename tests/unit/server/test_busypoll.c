/*
 * test_busypoll.c - unit tests of server/busypoll.c, the rule for when the
 * executor's loop polls instead of sleeping: engaged only after a cron
 * period at least half busy (polling time not counted as busy), released
 * below two fifths, polling for at most the window after each iteration
 * that read input, and a window of 0 turning it off at once.
 *
 * Timelines are synthetic: times in microseconds, fed as nanoseconds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "busypoll.h"

#define US(x) ((uint64_t)(x) * 1000u)
#define PERIOD US(100000) /* a 100 ms cron period (hz 10) */

/* End a period of PERIOD at *now in which the thread worked busy_pct
 * percent of the wall time on top of *cpu; returns the decision. */
static int period(srv_busypoll_t *bp, uint64_t *cpu, uint64_t *now,
                  unsigned busy_pct)
{
    *now += PERIOD;
    *cpu += PERIOD / 100 * busy_pct;
    return srv_busypoll_period(bp, *cpu, *now);
}

/* A fresh, disengaged bp with a 50 us window at time 1 s. */
static void fresh(srv_busypoll_t *bp, uint64_t *cpu, uint64_t *now)
{
    *cpu = US(5000);
    *now = US(1000000);
    srv_busypoll_init(bp, US(50), *cpu, *now);
}

static void test_idle_server_never_polls(void **state)
{
    srv_busypoll_t bp;
    uint64_t cpu, now;

    (void)state;
    fresh(&bp, &cpu, &now);
    assert_false(srv_busypoll_engaged(&bp));
    assert_false(srv_busypoll_after(&bp, 1, now + US(1)));
    assert_false(period(&bp, &cpu, &now, 49));
    assert_false(srv_busypoll_engaged(&bp));
    assert_false(srv_busypoll_after(&bp, 1, now + US(1)));
}

static void test_busy_period_engages_and_window_bounds_polling(void **state)
{
    srv_busypoll_t bp;
    uint64_t cpu, now, t;

    (void)state;
    fresh(&bp, &cpu, &now);
    period(&bp, &cpu, &now, 50);
    assert_true(srv_busypoll_engaged(&bp));
    t = now + US(10);
    /* Input: keep polling. */
    assert_true(srv_busypoll_after(&bp, 1, t));
    /* Empty polls within the window: still polling. */
    srv_busypoll_before(&bp, t);
    assert_true(srv_busypoll_after(&bp, 0, t + US(20)));
    srv_busypoll_before(&bp, t + US(20));
    assert_true(srv_busypoll_after(&bp, 0, t + US(49)));
    /* The window since the last input is over: sleep. */
    srv_busypoll_before(&bp, t + US(49));
    assert_false(srv_busypoll_after(&bp, 0, t + US(50)));
    assert_int_equal(srv_busypoll_polled_ns(&bp), US(50));
    /* New input after the sleep starts polling again. */
    assert_true(srv_busypoll_after(&bp, 1, t + US(500)));
}

static void test_poll_with_input_is_not_polling_time(void **state)
{
    srv_busypoll_t bp;
    uint64_t cpu, now;

    (void)state;
    fresh(&bp, &cpu, &now);
    period(&bp, &cpu, &now, 80);
    assert_true(srv_busypoll_after(&bp, 1, now + US(1)));
    srv_busypoll_before(&bp, now + US(2));
    assert_true(srv_busypoll_after(&bp, 1, now + US(30)));
    assert_int_equal(srv_busypoll_polled_ns(&bp), 0);
}

static void test_polling_time_is_not_busy(void **state)
{
    srv_busypoll_t bp;
    uint64_t cpu, now, t;

    (void)state;
    fresh(&bp, &cpu, &now);
    period(&bp, &cpu, &now, 60);
    assert_true(srv_busypoll_engaged(&bp));
    /* A period of 90% CPU in 20 us iterations, input in every third:
     * the other two are polling (66.66 ms), so 23% busy, under two
     * fifths, and polling stops. */
    t = now;
    assert_true(srv_busypoll_after(&bp, 1, t));
    for (int i = 1; i <= 5000; i++) {
        srv_busypoll_before(&bp, t);
        t += US(20);
        assert_true(srv_busypoll_after(&bp, i % 3 == 0, t));
    }
    assert_int_equal(srv_busypoll_polled_ns(&bp), US(20) * 3334);
    now += PERIOD;
    cpu += PERIOD / 100 * 90;
    assert_false(srv_busypoll_period(&bp, cpu, now));
    assert_false(srv_busypoll_engaged(&bp));
}

static void test_hysteresis(void **state)
{
    srv_busypoll_t bp;
    uint64_t cpu, now;

    (void)state;
    fresh(&bp, &cpu, &now);
    period(&bp, &cpu, &now, 45);
    assert_false(srv_busypoll_engaged(&bp));
    period(&bp, &cpu, &now, 55);
    assert_true(srv_busypoll_engaged(&bp));
    /* Between the marks: stays engaged. */
    period(&bp, &cpu, &now, 45);
    assert_true(srv_busypoll_engaged(&bp));
    period(&bp, &cpu, &now, 40);
    assert_true(srv_busypoll_engaged(&bp));
    period(&bp, &cpu, &now, 39);
    assert_false(srv_busypoll_engaged(&bp));
    /* Between the marks again: stays released. */
    period(&bp, &cpu, &now, 45);
    assert_false(srv_busypoll_engaged(&bp));
}

static void test_release_stops_polling_at_once(void **state)
{
    srv_busypoll_t bp;
    uint64_t cpu, now;

    (void)state;
    fresh(&bp, &cpu, &now);
    period(&bp, &cpu, &now, 70);
    assert_true(srv_busypoll_after(&bp, 1, now));
    assert_false(period(&bp, &cpu, &now, 10));
    assert_false(srv_busypoll_after(&bp, 1, now + US(1)));
}

static void test_zero_window_turns_off(void **state)
{
    srv_busypoll_t bp;
    uint64_t cpu, now;

    (void)state;
    fresh(&bp, &cpu, &now);
    period(&bp, &cpu, &now, 90);
    assert_true(srv_busypoll_after(&bp, 1, now + US(1)));
    assert_false(srv_busypoll_set_window(&bp, 0));
    assert_false(srv_busypoll_engaged(&bp));
    assert_false(period(&bp, &cpu, &now, 100));
    assert_false(srv_busypoll_engaged(&bp));
    /* A window again: engaged from the next busy period on. */
    assert_false(srv_busypoll_set_window(&bp, US(20)));
    assert_false(srv_busypoll_engaged(&bp));
    period(&bp, &cpu, &now, 90);
    assert_true(srv_busypoll_after(&bp, 1, now + US(1)));
    assert_false(srv_busypoll_after(&bp, 0, now + US(21)));
}

static void test_zero_wall_period_changes_nothing(void **state)
{
    srv_busypoll_t bp;
    uint64_t cpu, now;

    (void)state;
    fresh(&bp, &cpu, &now);
    period(&bp, &cpu, &now, 90);
    assert_true(srv_busypoll_after(&bp, 1, now));
    assert_true(srv_busypoll_period(&bp, cpu, now));
    assert_true(srv_busypoll_engaged(&bp));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_idle_server_never_polls),
        cmocka_unit_test(test_busy_period_engages_and_window_bounds_polling),
        cmocka_unit_test(test_poll_with_input_is_not_polling_time),
        cmocka_unit_test(test_polling_time_is_not_busy),
        cmocka_unit_test(test_hysteresis),
        cmocka_unit_test(test_release_stops_polling_at_once),
        cmocka_unit_test(test_zero_window_turns_off),
        cmocka_unit_test(test_zero_wall_period_changes_nothing),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
