/*
 * test_clock.c - unit tests of server/clock.c, the time-stamp counter as
 * the command clock: no answer before a calibration of at least 20 ms, the
 * rate and the anchor after it, refusals (counter behind the anchor, an
 * anchor over 10 s old, clocks that went back), a slow counter whose
 * product still fits, and the counter of this machine when it qualifies.
 *
 * Timelines are synthetic: a counter of RATE ticks per microsecond.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <cmocka.h>

#include "clock.h"

#define RATE 2600u /* ticks per us */
#define MS(x) ((uint64_t)(x) * 1000000u) /* in ns */
#define T0 1000000000u                   /* counter at the start */
#define UNIX0 1700000000000000           /* unix us at the start */

/* The counter after us microseconds. */
static uint64_t tick(uint64_t us)
{
    return T0 + us * RATE;
}

/* t started at T0, monotonic 5 s, and anchored at +ms. */
static void calibrated(srv_tsc_t *t, uint64_t ms)
{
    srv_tsc_start(t, T0, MS(5000));
    srv_tsc_anchor(t, tick(ms * 1000), MS(5000 + ms), UNIX0 + ms * 1000);
}

static void test_no_answer_before_calibration(void **state)
{
    srv_tsc_t t;
    int64_t us = 0;

    (void)state;
    srv_tsc_start(&t, T0, MS(5000));
    assert_false(srv_tsc_us(&t, tick(10), &us));
    assert_int_equal(srv_tsc_ticks_per_us(&t), 0);
    /* 10 ms is too short to calibrate over. */
    srv_tsc_anchor(&t, tick(10000), MS(5010), UNIX0 + 10000);
    assert_false(srv_tsc_us(&t, tick(10001), &us));
    assert_int_equal(us, 0);
}

static void test_rate_and_anchor(void **state)
{
    srv_tsc_t t;
    int64_t us;

    (void)state;
    calibrated(&t, 100);
    assert_int_equal(srv_tsc_ticks_per_us(&t), RATE);
    assert_true(srv_tsc_us(&t, tick(100000), &us));
    assert_int_equal(us, UNIX0 + 100000);
    /* 100 ms later, within a microsecond. */
    assert_true(srv_tsc_us(&t, tick(200000), &us));
    assert_in_range(us, UNIX0 + 199999, UNIX0 + 200001);
    /* Each anchor takes the system clock's word: a step of 1 s shows
     * from the next anchor on. */
    srv_tsc_anchor(&t, tick(200000), MS(5200), UNIX0 + 1200000);
    assert_true(srv_tsc_us(&t, tick(250000), &us));
    assert_in_range(us, UNIX0 + 1249999, UNIX0 + 1250001);
}

static void test_refusals(void **state)
{
    srv_tsc_t t;
    int64_t us;

    (void)state;
    calibrated(&t, 100);
    /* The counter behind the anchor (another CPU's, unsynchronised). */
    assert_false(srv_tsc_us(&t, tick(99999), &us));
    /* An anchor over 10 s old: the cron has not run; read the clock. */
    assert_true(srv_tsc_us(&t, tick(100000 + 9990000), &us));
    assert_false(srv_tsc_us(&t, tick(100000 + 10010000), &us));
    /* A counter that went back since the start: uncalibrated. */
    srv_tsc_anchor(&t, T0 - 5, MS(5300), UNIX0 + 300000);
    assert_false(srv_tsc_us(&t, T0, &us));
    /* So is a monotonic clock that went back. */
    srv_tsc_start(&t, T0, MS(5000));
    srv_tsc_anchor(&t, tick(100000), MS(4000), UNIX0 + 100000);
    assert_false(srv_tsc_us(&t, tick(100000), &us));
}

static void test_slow_counter_product_fits(void **state)
{
    srv_tsc_t t;
    int64_t us;

    (void)state;
    /* One tick per us: mult is 2^32, so max_ticks is held to 2^31. */
    srv_tsc_start(&t, 0, MS(0));
    srv_tsc_anchor(&t, 100000, MS(100), UNIX0);
    assert_int_equal(srv_tsc_ticks_per_us(&t), 1);
    assert_true(t.max_ticks <= (uint64_t)1 << 31);
    assert_true(srv_tsc_us(&t, 100000 + t.max_ticks, &us));
    assert_int_equal(us, UNIX0 + (int64_t)t.max_ticks);
}

/* Where this machine's counter qualifies, calibrate it against the real
 * clocks and compare over 30 ms. */
static void test_this_machine(void **state)
{
    struct timespec mono, real, pause = {0, 30000000};
    srv_tsc_t t;
    int64_t us, now;

    (void)state;
    if (!srv_tsc_supported())
        skip();
    clock_gettime(CLOCK_MONOTONIC, &mono);
    srv_tsc_start(&t, srv_tsc_read(),
                  (uint64_t)mono.tv_sec * 1000000000u + mono.tv_nsec);
    nanosleep(&pause, NULL);
    clock_gettime(CLOCK_MONOTONIC, &mono);
    clock_gettime(CLOCK_REALTIME, &real);
    srv_tsc_anchor(&t, srv_tsc_read(),
                   (uint64_t)mono.tv_sec * 1000000000u + mono.tv_nsec,
                   (int64_t)real.tv_sec * 1000000 + real.tv_nsec / 1000);
    assert_true(srv_tsc_ticks_per_us(&t) > 0);
    nanosleep(&pause, NULL);
    assert_true(srv_tsc_us(&t, srv_tsc_read(), &us));
    clock_gettime(CLOCK_REALTIME, &real);
    now = (int64_t)real.tv_sec * 1000000 + real.tv_nsec / 1000;
    /* 30 ms on a rate from 30 ms: within 1 ms (the readings' jitter on a
     * loaded machine, not the method, sets this bound). */
    assert_in_range(us, now - 1000, now + 1000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_answer_before_calibration),
        cmocka_unit_test(test_rate_and_anchor),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_slow_counter_product_fits),
        cmocka_unit_test(test_this_machine),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
