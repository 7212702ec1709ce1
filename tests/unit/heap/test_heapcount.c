/*
 * test_heapcount.c - the INFO heap counters kept by heap/object.c and
 * heap/defer.c: live objects and containers (exact through every way an
 * object is made and dies, constructor OOM included) and the deferred-free
 * queue's pending objects and bytes (moving while a big value is taken
 * apart, back to 0 after).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "heap_gc.h"
#include "heap_int.h"
#include "oom.h"

/* Objects and containers: one each way in, one each way out. */
static void test_counts_follow_objects(void **state)
{
    size_t objs = hp_obj_count(), conts = hp_obj_container_count();
    hp_obj_t *s = hp_str_new("abc", 3);
    hp_obj_t *h = hp_hash_new();
    hp_obj_t *l = hp_list_new();
    hp_obj_t *z = hp_zset_new(0, 0);
    hp_obj_t *st = hp_set_new();

    (void)state;
    assert_non_null(s);
    assert_non_null(h);
    assert_non_null(l);
    assert_non_null(z);
    assert_non_null(st);
    assert_int_equal(hp_obj_count(), objs + 5);
    assert_int_equal(hp_obj_container_count(), conts + 4);
    hp_incref(h);
    hp_decref(h);
    assert_int_equal(hp_obj_count(), objs + 5);
    hp_decref(s);
    hp_decref(h);
    hp_decref(l);
    hp_decref(z);
    hp_decref(st);
    assert_int_equal(hp_obj_count(), objs);
    assert_int_equal(hp_obj_container_count(), conts);
}

/* Shared integers are not counted. */
static void test_shared_not_counted(void **state)
{
    size_t objs = hp_obj_count();
    hp_obj_t *o = hp_str_new_int(7);

    (void)state;
    assert_true(hp_obj_is_shared(o));
    assert_int_equal(hp_obj_count(), objs);
    hp_decref(o);
}

/* A constructor failing at every allocation leaves the counts exact. */
static void test_counts_exact_under_oom(void **state)
{
    size_t objs = hp_obj_count(), conts = hp_obj_container_count();

    (void)state;
    for (long n = 1; n <= 4; n++) {
        hp_obj_t *o[4];

        oom_fail_at(n, 0);
        o[0] = hp_hash_new();
        oom_fail_at(n, 0);
        o[1] = hp_list_new();
        oom_fail_at(n, 0);
        o[2] = hp_zset_new(0, 0);
        oom_fail_at(n, 0);
        o[3] = hp_zset_new(10000, 10000);
        oom_off();
        for (int i = 0; i < 4; i++)
            hp_decref(o[i]);
        assert_int_equal(hp_obj_count(), objs);
        assert_int_equal(hp_obj_container_count(), conts);
    }
}

/* A big list through hp_decref_deferred: it leaves the live counts at
 * once, is pending with an estimate of its bytes, and both go to 0 as
 * hp_free_step takes it apart. */
static void test_deferred_pending(void **state)
{
    size_t objs = hp_obj_count(), base = hp_mem_used();
    hp_obj_t *l = hp_list_new();
    hp_obj_t *h = hp_hash_new();
    char buf[32];
    size_t est, used_queued, last;
    int steps = 0;

    (void)state;
    assert_non_null(l);
    assert_non_null(h);
    for (int i = 0; i < 20000; i++) {
        int n = snprintf(buf, sizeof(buf), "element-%d", i);

        assert_int_equal(hp_list_push(l, HP_LIST_TAIL, buf, (size_t)n), 0);
        assert_true(hp_hash_set(h, buf, (size_t)n, buf, (size_t)n) >= 0);
    }
    assert_int_equal(hp_free_pending(), 0);
    assert_int_equal(hp_free_pending_bytes(), 0);
    used_queued = hp_mem_used() - base;
    hp_decref_deferred(l);
    hp_decref_deferred(h);
    assert_int_equal(hp_obj_count(), objs);
    assert_int_equal(hp_free_pending(), 2);
    est = hp_free_pending_bytes();
    /* the estimate is of the right size: within a factor of two */
    assert_true(est > used_queued / 2 && est < used_queued * 2);
    last = est;
    while (hp_free_step(-1, 1000)) {
        assert_true(hp_free_pending_bytes() <= last);
        last = hp_free_pending_bytes();
        steps++;
    }
    assert_true(steps > 5);
    assert_int_equal(hp_free_pending(), 0);
    assert_int_equal(hp_free_pending_bytes(), 0);
    assert_int_equal(hp_mem_used(), base);
}

/* A small value is freed at once: nothing pending. */
static void test_small_not_queued(void **state)
{
    size_t base = hp_mem_used();
    hp_obj_t *l = hp_list_new();

    (void)state;
    assert_int_equal(hp_list_push(l, HP_LIST_TAIL, "a", 1), 0);
    hp_decref_deferred(l);
    assert_int_equal(hp_free_pending(), 0);
    assert_int_equal(hp_free_pending_bytes(), 0);
    assert_int_equal(hp_mem_used(), base);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counts_follow_objects),
        cmocka_unit_test(test_shared_not_counted),
        cmocka_unit_test(test_counts_exact_under_oom),
        cmocka_unit_test(test_deferred_pending),
        cmocka_unit_test(test_small_not_queued),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
