/*
 * test_gc_pace.c - heap/gc.c's pacer (HEAP.md "Pacing"), a pure function
 * of a clock and an activity counter: driven here by a simulated loop
 * whose clients take a given time per iteration, it must hold the
 * collector to its share of the time while clients are busy, let slices
 * run back to back when they are idle, never bank time for a burst of
 * slices, and survive odd clocks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "heap_gc.h"

#define SLICE_US 500

/* A simulated event loop: each iteration clients take client_us (and
 * move the activity counter when busy), then the pacer is asked and a
 * granted slice takes slice_us. */
typedef struct sim {
    hp_gc_pacer_t p;
    uint64_t now, activity;
    uint64_t gc_us, client_us, slices, waits;
} sim_t;

/* Run n iterations; returns the collector's share of the time, 0..1. */
static double sim_run(sim_t *s, size_t n, uint64_t client_us, int busy,
                      int pct, uint64_t slice_us)
{
    uint64_t gc0 = s->gc_us, t0 = s->now;

    for (size_t i = 0; i < n; i++) {
        s->now += client_us;
        s->client_us += client_us;
        if (busy) s->activity++;
        if (hp_gc_pace(&s->p, s->now, s->activity, pct, SLICE_US) > 0) {
            uint64_t start = s->now;

            s->now += slice_us;
            s->gc_us += slice_us;
            s->slices++;
            hp_gc_pace_charge(&s->p, start, s->now);
        } else {
            s->waits++;
        }
    }
    return (double)(s->gc_us - gc0) / (double)(s->now - t0);
}

/* New simulation at clock 1000 s. */
static void sim_init(sim_t *s)
{
    memset(s, 0, sizeof(*s));
    s->now = 1000000000;
    hp_gc_pace_init(&s->p, s->now, 0);
}

/* While clients are busy the collector gets its share (within 2 points),
 * whatever the length of a client iteration (a slice waits for the end
 * of a turn, so long turns lower it: at most one turn late). */
static void test_pace_busy_share(void **state)
{
    static const int pcts[] = {1, 5, 10, 25, 50, 75, 90, 99};
    static const uint64_t iters[] = {1, 7, 40, 300, 2000};

    for (size_t i = 0; i < sizeof(pcts) / sizeof(pcts[0]); i++) {
        for (size_t j = 0; j < sizeof(iters) / sizeof(iters[0]); j++) {
            sim_t s;
            double share, want = pcts[i] / 100.0;
            /* the wait ends at a turn's end: at most one turn late */
            double wait = SLICE_US * (100.0 - pcts[i]) / pcts[i];
            double least = SLICE_US / (SLICE_US + wait + iters[j]);
            size_t n = 2000000 / (iters[j] + 1) + 1000;

            sim_init(&s);
            share = sim_run(&s, n, iters[j], 1, pcts[i], SLICE_US);
            assert_true(share <= want + 0.02);
            assert_true(share >= least - 0.01);
        }
    }
}

/* Slices that end early (a collection finishing) are charged what they
 * took, not the budget: the share still holds. */
static void test_pace_short_slices(void **state)
{
    sim_t s;
    double share;

    sim_init(&s);
    share = sim_run(&s, 1000000, 20, 1, 25, 90);
    assert_true(share <= 0.27 && share >= 0.23);
}

/* With no client activity for HP_GC_PACE_IDLE_US, every turn runs a
 * slice: back to back. */
static void test_pace_idle_back_to_back(void **state)
{
    sim_t s;
    uint64_t slices, waits;

    sim_init(&s);
    sim_run(&s, 10000, 10, 1, 25, SLICE_US); /* busy */
    sim_run(&s, 1, HP_GC_PACE_IDLE_US, 0, 25, SLICE_US);
    slices = s.slices;
    waits = s.waits;
    sim_run(&s, 1000, 1, 0, 25, SLICE_US);
    assert_int_equal(s.slices, slices + 1000);
    assert_int_equal(s.waits, waits);
    /* the loop turning without commands for less than the idle time is
     * still busy: paced */
    sim_init(&s);
    s.activity = 1;
    sim_run(&s, 20, 20, 0, 25, SLICE_US);
    assert_true(s.slices <= 1);
}

/* When clients come back after an idle stretch, at most one slice runs
 * before the pacer makes them wait, and the share is then kept. */
static void test_pace_busy_after_idle(void **state)
{
    sim_t s;
    uint64_t slices;
    double share;

    sim_init(&s);
    sim_run(&s, 1, 5000, 0, 25, SLICE_US);
    sim_run(&s, 100, 1, 0, 25, SLICE_US);
    slices = s.slices;
    sim_run(&s, 100, 10, 1, 25, SLICE_US); /* 1000 us of client work */
    assert_true(s.slices - slices <= 1);
    share = sim_run(&s, 200000, 10, 1, 25, SLICE_US);
    assert_true(share <= 0.27 && share >= 0.23);
}

/* A long stretch without a decision banks nothing: one slice runs, then
 * the pacer waits until three times its length of client time passed
 * (25 %). */
static void test_pace_no_burst(void **state)
{
    hp_gc_pacer_t p;
    uint64_t t = 5000000, act = 1;

    hp_gc_pace_init(&p, t, act);
    t += 3600u * 1000000u; /* an hour of busy time unasked */
    assert_int_equal(hp_gc_pace(&p, t, ++act, 25, SLICE_US), SLICE_US);
    hp_gc_pace_charge(&p, t, t + SLICE_US);
    t += SLICE_US;
    assert_int_equal(p.debt_us, SLICE_US);
    assert_int_equal(hp_gc_pace(&p, t + 10, ++act, 25, SLICE_US), 0);
    assert_int_equal(hp_gc_pace(&p, t + 3 * SLICE_US - 3, ++act, 25,
                                SLICE_US), 0);
    assert_int_equal(hp_gc_pace(&p, t + 3 * SLICE_US, ++act, 25, SLICE_US),
                     SLICE_US);
}

/* 100 % is no pacing; a zeroed pacer starts itself; a clock that stands
 * still or steps back earns nothing and breaks nothing; a budget below 1
 * is raised to 1; a share below 1 % is 1 %. */
static void test_pace_edges(void **state)
{
    hp_gc_pacer_t p;

    memset(&p, 0, sizeof(p));
    for (int i = 0; i < 100; i++) {
        assert_int_equal(hp_gc_pace(&p, 100, (uint64_t)i, 100, SLICE_US),
                         SLICE_US);
        hp_gc_pace_charge(&p, 100, 100 + SLICE_US);
    }
    memset(&p, 0, sizeof(p));
    assert_int_equal(hp_gc_pace(&p, 1000000, 1, 25, SLICE_US), SLICE_US);
    assert_int_equal(p.ready, 1);
    hp_gc_pace_charge(&p, 1000000, 1000100);
    assert_int_equal(hp_gc_pace(&p, 1000100, 2, 25, SLICE_US), 0);
    assert_int_equal(hp_gc_pace(&p, 999000, 3, 25, SLICE_US), 0);
    assert_int_equal(hp_gc_pace(&p, 1000150, 4, 25, SLICE_US), 0);
    assert_int_equal(p.debt_us, 84);
    assert_int_equal(hp_gc_pace(&p, 1000400, 5, 25, SLICE_US), SLICE_US);
    hp_gc_pace_charge(&p, 1000400, 1000390); /* end before start */
    assert_int_equal(p.debt_us, 0);
    assert_int_equal(hp_gc_pace(&p, 1000410, 6, 25, 0), 1);
    /* cpu_pct below 1 behaves as 1: 99 us of debt need 9801 us */
    hp_gc_pace_init(&p, 0, 0);
    hp_gc_pace_charge(&p, 0, 99);
    assert_int_equal(hp_gc_pace(&p, 50, 1, 0, SLICE_US), 0);
    assert_int_equal(hp_gc_pace(&p, 99 + 9800, 2, 0, SLICE_US), 0);
    assert_int_equal(hp_gc_pace(&p, 99 + 9801, 3, 0, SLICE_US), SLICE_US);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pace_busy_share),
        cmocka_unit_test(test_pace_short_slices),
        cmocka_unit_test(test_pace_idle_back_to_back),
        cmocka_unit_test(test_pace_busy_after_idle),
        cmocka_unit_test(test_pace_no_burst),
        cmocka_unit_test(test_pace_edges),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
