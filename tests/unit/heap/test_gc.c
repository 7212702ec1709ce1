/*
 * test_gc.c - heap/gc.c: cycles through every container type and of
 * every length (and one of 100k objects; 1M with -Dgc_debug=true), a ring
 * whose members die by both paths of the clear phase, mixed
 * strong and weak references, weak references cleared before teardown,
 * objects resurrected during a multi-slice collection, garbage created
 * during a collection, generations and thresholds, bounded slices,
 * allocation failures during a collection, the allocator's purging held
 * off the executor's arena while garbage is freed, and a seeded random
 * model that checks liveness against reachability computed directly.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>

#include <cmocka.h>
#include <dlfcn.h>
#include <time.h>
#include <unistd.h>

#include "heap_int.h"
#include "heap_ref.h"
#include "oom.h"
#include "refcont.h"

#ifdef GC_DEBUG
#define BIG_CYCLE 1000000
#define MODEL_OPS 30000
#else
#define BIG_CYCLE 100000
#define MODEL_OPS 3000
#endif

static hp_gc_config_t saved_config;

static int setup(void **state)
{
    saved_config = hp_gc_config;
    hp_weakref_set_clear_callback(NULL, NULL);
    return 0;
}

static int teardown(void **state)
{
    hp_gc_collect(2);
    hp_gc_config = saved_config;
    hp_weakref_set_clear_callback(NULL, NULL);
    return 0;
}

static hp_gc_stats_t stats(void)
{
    hp_gc_stats_t st;

    hp_gc_stats(&st);
    return st;
}

static void elem_del(hp_obj_t *c, const char *key)
{
    size_t n = strlen(key);

    if (c->type == HP_TYPE_HASH)
        hp_hash_del(c, key, n);
    else if (c->type == HP_TYPE_SET)
        hp_set_remove(c, key, n);
    else
        hp_zset_remove(c, key, n);
}

/* Build a ring of n containers (types by typefn(i)) linked by strong
 * "next" elements; returns the objects in out (the caller holds one
 * reference to each). */
static void ring_build(hp_obj_t **out, size_t n, int type)
{
    for (size_t i = 0; i < n; i++) {
        out[i] = tc_cont_new(type >= 0 ? type : (int)(i % 5));
        assert_non_null(out[i]);
    }
    for (size_t i = 0; i < n; i++)
        assert_int_equal(tc_ref_add(out[i], "next", out[(i + 1) % n],
                                 HP_REF_STRONG), 1);
}

static void drop_all(hp_obj_t **objs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        hp_decref(objs[i]);
}

static void test_gc_cycles_every_type_and_length(void **state)
{
    hp_obj_t *objs[16];
    uint64_t unc = stats().uncollectable;

    for (int type = -1; type < TC_CONT_KINDS; type++) {
        for (size_t n = 1; n <= 16; n++) {
            size_t base = hp_mem_used();

            ring_build(objs, n, type);
            for (size_t i = 0; i < n; i++)
                assert_int_equal(objs[i]->refcount, 2);
            drop_all(objs, n);
            assert_true(hp_mem_used() > base); /* refcounting can't */
            assert_int_equal(hp_gc_collect(2), n);
            assert_int_equal(hp_mem_used(), base);
        }
    }
    assert_int_equal(stats().uncollectable, unc);
    assert_int_equal(stats().tracked, 0);
}

static void test_gc_big_cycle(void **state)
{
    size_t base = hp_mem_used();
    hp_obj_t **objs = malloc(BIG_CYCLE * sizeof(*objs));

    assert_non_null(objs);
    ring_build(objs, BIG_CYCLE, 0);
    drop_all(objs, BIG_CYCLE);
    assert_int_equal(hp_gc_collect(2), BIG_CYCLE);
    assert_int_equal(hp_mem_used(), base);
    assert_int_equal(stats().uncollectable, 0);
    free(objs);
}

/* Freeing a long garbage cycle is spread over units: no unit of the
 * collector frees more than a few dozen objects, however long the cycle
 * (the decrefs that cascade around it are put off, not run in one go),
 * and every object of it is still freed and counted. */
static void test_gc_clear_is_bounded_per_unit(void **state)
{
    enum { N = 20000 };
    size_t base = hp_mem_used();
    uint64_t collected = stats().collected;
    size_t objects, most = 0, units = 0;
    hp_obj_t **objs = malloc(N * sizeof(*objs));

    assert_non_null(objs);
    ring_build(objs, N, 0);
    drop_all(objs, N);
    hp_gc_config.slice_objects = 1; /* one unit per step */
    assert_int_equal(hp_gc_start(2), 0);
    objects = hp_obj_count();
    while (hp_gc_in_progress()) {
        size_t now;

        hp_gc_step(-1);
        now = hp_obj_count();
        if (objects - now > most)
            most = objects - now;
        objects = now;
        units++;
    }
    assert_true(most <= 64);
    assert_true(units > N / 64);
    assert_int_equal(stats().collected - collected, N);
    while (hp_free_step(-1, SIZE_MAX))
        ;
    assert_int_equal(hp_mem_used(), base);
    free(objs);
}

/* A ring whose members die in different ways: most as the clear
 * phase's usual dying object (one strong reference in the side record's
 * room: freed in one go by the bounded drain), others through the
 * general path (a label too long for the room, a second, weak element,
 * a weak reference to it, a body that is not a listpack), one after the
 * other around the ring; collected whole, unit by unit or at once, with
 * every count back where it was. */
static void ring_mixed_build(hp_obj_t **objs, size_t n)
{
    char label[200];

    memset(label, 'x', sizeof(label));
    for (size_t i = 0; i < n; i++) {
        int kind = i % 6 == 3 ? 4 : i % 6 == 4 ? 1 : i % 6 == 5 ? 2 : 0;

        objs[i] = tc_cont_new(kind);
        assert_non_null(objs[i]);
    }
    for (size_t i = 0; i < n; i++) {
        hp_obj_t *next = objs[(i + 1) % n];

        if (i % 6 == 1)
            assert_int_equal(hp_ref_hash_set(objs[i], "next", 4, next,
                                              label, sizeof(label),
                                              HP_REF_STRONG), 1);
        else
            assert_int_equal(tc_ref_add(objs[i], "next", next,
                                        HP_REF_STRONG), 1);
        if (i % 6 == 2)
            assert_int_equal(tc_ref_add(objs[i], "w", objs[(i + 3) % n],
                                        HP_REF_WEAK), 1);
    }
}

static void test_gc_ring_mixed_members(void **state)
{
    enum { N = 600 };
    hp_obj_t *objs[N];
    size_t base = hp_mem_used(), objects = hp_obj_count();
    hp_gc_stats_t st0 = stats();

    for (int unit_by_unit = 0; unit_by_unit < 2; unit_by_unit++) {
        uint64_t collected = stats().collected;

        ring_mixed_build(objs, N);
        drop_all(objs, N);
        if (unit_by_unit) {
            hp_gc_config.slice_objects = 1;
            assert_int_equal(hp_gc_start(2), 0);
            while (hp_gc_in_progress())
                hp_gc_step(-1);
            while (hp_free_step(-1, SIZE_MAX))
                ;
            assert_int_equal(stats().collected - collected, N);
        } else {
            assert_int_equal(hp_gc_collect(2), N);
        }
        assert_int_equal(hp_mem_used(), base);
        assert_int_equal(hp_obj_count(), objects);
        assert_int_equal(stats().tracked, st0.tracked);
        assert_int_equal(stats().ref_strong, st0.ref_strong);
        assert_int_equal(stats().ref_weak, st0.ref_weak);
        assert_int_equal(stats().weakly_referenced, st0.weakly_referenced);
        assert_int_equal(stats().uncollectable, st0.uncollectable);
    }
}

/* Reachable cycles survive and age through the generations. */
static void test_gc_survivors_age(void **state)
{
    hp_obj_t *objs[4];
    size_t base = hp_mem_used();

    ring_build(objs, 4, 0);
    hp_decref(objs[1]);
    hp_decref(objs[2]);
    hp_decref(objs[3]);
    assert_int_equal(hp_gc_generation(objs[0]), 0);
    assert_int_equal(hp_gc_collect(0), 0);
    assert_int_equal(hp_gc_generation(objs[2]), 1);
    assert_int_equal(hp_gc_collect(1), 0);
    assert_int_equal(hp_gc_generation(objs[2]), 2);
    assert_int_equal(hp_gc_collect(2), 0);
    assert_int_equal(hp_gc_generation(objs[2]), 2);
    assert_int_equal(objs[0]->refcount, 2);
    assert_int_equal(objs[3]->refcount, 1);
    /* a gen0 collection does not look at gen2 garbage */
    hp_decref(objs[0]);
    assert_int_equal(hp_gc_collect(0), 0);
    assert_int_equal(hp_gc_collect(2), 4);
    assert_int_equal(hp_mem_used(), base);
}

static int bindings_cleared;
static size_t mem_in_callback;
static size_t elements_cleared;

static void on_clear(void *ud, const hp_weak_event_t *ev)
{
    (void)ud;
    mem_in_callback = hp_mem_used();
    if (ev->binding) {
        bindings_cleared++;
        assert_null(hp_weakref_get(ev->binding));
        hp_weakref_free(ev->binding);
    } else {
        elements_cleared++;
    }
}

/* Garbage with weak references to it: they are cleared first (nothing of
 * the cycle freed yet), elements vanish from live containers. */
static void test_gc_mixed_strong_weak(void **state)
{
    size_t base = hp_mem_used();
    hp_obj_t *a = hp_hash_new(), *b = hp_set_new(), *live = hp_zset_new(1, 1);
    hp_obj_t *s = hp_str_new("a string only the cycle holds", 29);
    size_t before;

    hp_weakref_set_clear_callback(on_clear, NULL);
    bindings_cleared = 0;
    elements_cleared = 0;
    assert_int_equal(tc_ref_add(a, "b", b, HP_REF_STRONG), 1);
    assert_int_equal(tc_ref_add(b, "a", a, HP_REF_STRONG), 1);
    assert_int_equal(tc_ref_add(a, "s", s, HP_REF_STRONG), 1);
    assert_int_equal(tc_ref_add(b, "weak-self", b, HP_REF_WEAK), 1);
    assert_int_equal(tc_ref_add(live, "idx", b, HP_REF_WEAK), 1);
    assert_int_equal(tc_ref_add(live, "plain", a, HP_REF_WEAK), 1);
    assert_non_null(hp_weakref_new(a, NULL));
    hp_decref(a);
    hp_decref(b);
    hp_decref(s);
    before = hp_mem_used();
    assert_int_equal(hp_gc_collect(2), 2);
    assert_int_equal(bindings_cleared, 1);
    assert_int_equal(elements_cleared, 2);
    assert_true(mem_in_callback <= before);
    assert_int_equal(hp_zset_len(live), 0);
    assert_int_equal(hp_ref_out_weak(live), 0);
    assert_int_equal(stats().weakly_referenced, 0);
    hp_decref(live);
    assert_int_equal(hp_mem_used(), base);
    assert_int_equal(stats().uncollectable, 0);
}

/* Bindings clear before any garbage is freed (the memory is intact). */
static void test_gc_weak_cleared_before_teardown(void **state)
{
    hp_obj_t *objs[8];
    size_t with;

    hp_weakref_set_clear_callback(on_clear, NULL);
    ring_build(objs, 8, 4);
    for (int i = 0; i < 8; i++)
        assert_non_null(hp_weakref_new(objs[i], NULL));
    drop_all(objs, 8);
    with = hp_mem_used();
    bindings_cleared = 0;
    mem_in_callback = 0;
    assert_int_equal(hp_gc_collect(2), 8);
    assert_int_equal(bindings_cleared, 8);
    /* the last binding cleared still saw every byte of the cycle (the
     * bindings freed in the callbacks aside) */
    assert_true(mem_in_callback + 8 * 128 >= with);
}

/* Run a collection of a garbage ring with tiny slices; after k slices,
 * take the object back through a weak binding (as the server would) and
 * hold it (how = 0: incref; 1: strong element of a live container). The
 * ring must survive intact, or the weak binding must already be empty. */
static int resurrect_after(size_t n, int k, int how)
{
    hp_obj_t **objs = malloc(n * sizeof(*objs));
    hp_obj_t *live = hp_hash_new(), *o;
    hp_weakref_t *wr;
    size_t base = hp_mem_used();
    uint64_t collected = stats().collected;
    int resurrected = 0;

    ring_build(objs, n, -1);
    wr = hp_weakref_new(objs[n / 2], NULL);
    drop_all(objs, n);
    hp_gc_config.slice_objects = 17;
    assert_int_equal(hp_gc_start(2), 0);
    for (int i = 0; i < k && hp_gc_step(1000000); i++)
        ;
    o = hp_weakref_get(wr);
    if (o) {
        resurrected = 1;
        if (how == 0)
            hp_incref(o);
        else
            assert_int_equal(tc_ref_add(live, "back", o, HP_REF_STRONG), 1);
    }
    while (hp_gc_step(1000000))
        ;
    if (resurrected) {
        hp_obj_t *p = o;

        assert_int_equal(stats().collected, collected);
        for (size_t i = 0; i < n; i++) {
            assert_int_equal(p->refcount, p == o ? 2 : 1);
            p = hp_ref_get(p, "next", 4, NULL);
            assert_non_null(p);
        }
        assert_ptr_equal(p, o);
        assert_ptr_equal(hp_weakref_get(wr), o);
        if (how == 0)
            hp_decref(o);
        else
            elem_del(live, "back");
        assert_int_equal(hp_gc_collect(2), n);
    } else {
        assert_int_equal(stats().collected, collected + n);
    }
    assert_null(hp_weakref_get(wr));
    hp_weakref_free(wr);
    hp_decref(live);
    assert_true(hp_mem_used() <= base);
    free(objs);
    return resurrected;
}

static void test_gc_resurrection_during_collection(void **state)
{
    int survived = 0, lost = 0;

    for (int how = 0; how < 2; how++) {
        for (int k = 0; k < 400; k += 23) {
            if (resurrect_after(1000, k, how))
                survived++;
            else
                lost++;
        }
    }
    assert_true(survived >= 4); /* before MARK ended */
    assert_true(lost >= 2);     /* after: the binding was already empty */
    assert_int_equal(stats().uncollectable, 0);
}

/* A cycle made garbage while a collection runs is not part of it; the
 * next collection finds it. */
static void test_gc_garbage_created_during_collection(void **state)
{
    hp_obj_t *old[500], *young_ring[10];
    size_t base = hp_mem_used();
    uint64_t c0 = stats().collected;

    ring_build(old, 500, 0);
    drop_all(old, 500);
    hp_gc_config.slice_objects = 50;
    assert_int_equal(hp_gc_start(2), 0);
    assert_int_equal(hp_gc_start(2), -EBUSY);
    assert_int_equal(hp_gc_step(1000000), 1);
    assert_true(stats().in_progress);
    ring_build(young_ring, 10, 1);
    drop_all(young_ring, 10);
    while (hp_gc_step(1000000))
        ;
    assert_int_equal(stats().collected, c0 + 500);
    assert_int_equal(stats().tracked, 10);
    assert_int_equal(hp_gc_collect(0), 10);
    assert_int_equal(hp_mem_used(), base);
}

/* Touch objs[0..n) through the barrier (a hold taken and given back:
 * each stays alive). */
static void touch_all(hp_obj_t **objs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        hp_incref(objs[i]);
        hp_decref(objs[i]);
    }
}

/* Tracked objects over the three generations. */
static size_t gen_sum(void)
{
    hp_gc_stats_t st = stats();

    return st.gen_objects[0] + st.gen_objects[1] + st.gen_objects[2];
}

/* The restart rule (HEAP.md "Incremental, and still correct"): a
 * collection more than restart_touched_pct % of whose set is touched
 * before garbage is decided is given up (every object back in a
 * generation, nothing freed, no allocation) and restarted later by
 * hp_gc_step, which then frees the garbage; exactly the share does not
 * give up. */
static void test_gc_restart_when_invalidated(void **state)
{
    hp_obj_t *objs[200];
    size_t base = hp_mem_used();
    uint64_t r0 = stats().restarted, c0 = stats().collected;
    uint64_t g2 = stats().collections[2];

    hp_gc_config.threshold0 = 1000000; /* only the restart starts one */
    hp_gc_config.restart_touched_pct = 50;
    hp_gc_config.slice_objects = 10;
    ring_build(objs, 200, -1);
    drop_all(objs, 200);
    oom_fail_at(1, 1);
    assert_int_equal(hp_gc_start(2), 0);
    assert_int_equal(hp_gc_step(1000000), 1);
    touch_all(objs, 100); /* exactly 50 %: carries on */
    assert_int_equal(hp_gc_step(1000000), 1);
    assert_true(hp_gc_in_progress());
    assert_int_equal(stats().restarted, r0);
    touch_all(objs + 100, 1); /* past it: given up */
    while (hp_gc_in_progress())
        assert_int_equal(hp_gc_step(1000000), 1);
    assert_int_equal(stats().restarted, r0 + 1);
    assert_int_equal(stats().collected, c0);
    assert_int_equal(stats().collections[2], g2);
    assert_int_equal(stats().tracked, 200);
    assert_int_equal(gen_sum(), 200);
    for (size_t i = 0; i < 200; i++)
        assert_true(hp_gc_is_tracked(objs[i]));
    assert_int_equal(oom_count(), 0);
    /* waiting for the restart still asks to be driven */
    assert_int_equal(hp_gc_step(1000000), 1);
    while (hp_gc_step(1000000))
        ;
    assert_int_equal(oom_count(), 0);
    oom_off();
    assert_int_equal(stats().restarted, r0 + 1);
    assert_int_equal(stats().collected, c0 + 200);
    assert_int_equal(stats().collections[2], g2 + 1);
    assert_int_equal(stats().tracked, 0);
    assert_int_equal(hp_mem_used(), base);
    assert_int_equal(hp_gc_due(), 0);
}

/* A collection kept invalidated restarts at most three times in a row,
 * then runs to its end: the garbage goes, the touched live objects all
 * survive intact. */
static void test_gc_restart_bounded(void **state)
{
    hp_obj_t *live[150], *junk[50], *root, *p;
    size_t base = hp_mem_used();
    uint64_t r0 = stats().restarted, c0 = stats().collected;
    int more;

    root = hp_hash_new();
    hp_gc_config.threshold0 = 1000000;
    hp_gc_config.restart_touched_pct = 50;
    hp_gc_config.slice_objects = 5;
    ring_build(live, 150, -1);
    assert_int_equal(tc_ref_add(root, "head", live[0], HP_REF_STRONG), 1);
    drop_all(live, 150);
    ring_build(junk, 50, -1);
    drop_all(junk, 50);
    assert_int_equal(hp_gc_start(2), 0);
    do {
        more = hp_gc_step(1000000);
        if (hp_gc_in_progress())
            touch_all(live, 150);
    } while (more);
    assert_int_equal(stats().restarted, r0 + 3);
    assert_int_equal(stats().collected, c0 + 50);
    assert_int_equal(stats().tracked, 151);
    p = live[0];
    for (size_t i = 0; i < 150; i++) {
        assert_ptr_equal(p, live[i]);
        assert_int_equal(p->refcount, i == 0 ? 2 : 1);
        p = hp_ref_get(p, "next", 4, NULL);
    }
    assert_ptr_equal(p, live[0]);
    /* a rule of 100 % never gives up */
    hp_gc_config.restart_touched_pct = 100;
    assert_int_equal(hp_gc_start(2), 0);
    do {
        more = hp_gc_step(1000000);
        if (hp_gc_in_progress())
            touch_all(live, 150);
    } while (more);
    assert_int_equal(stats().restarted, r0 + 3);
    hp_decref(root);
    assert_int_equal(hp_gc_collect(2), 150); /* root died by refcount */
    assert_int_equal(hp_mem_used(), base);
    assert_int_equal(stats().uncollectable, 0);
}

/* GC COLLECT while a given-up collection waits: the collection it runs
 * replaces the restart. Disabling the collector drops a pending restart
 * too. */
static void test_gc_restart_replaced(void **state)
{
    hp_obj_t *objs[40];
    size_t base = hp_mem_used();
    uint64_t r0 = stats().restarted;

    hp_gc_config.threshold0 = 1000000;
    hp_gc_config.restart_touched_pct = 10;
    hp_gc_config.slice_objects = 3;
    for (int round = 0; round < 2; round++) {
        ring_build(objs, 40, -1);
        drop_all(objs, 40);
        assert_int_equal(hp_gc_start(round == 0 ? 2 : 0), 0);
        assert_int_equal(hp_gc_step(1000000), 1);
        touch_all(objs, 10);
        while (hp_gc_in_progress())
            hp_gc_step(1000000);
        assert_int_equal(stats().restarted, r0 + (uint64_t)round + 1);
        if (round == 0) {
            assert_int_equal(hp_gc_collect(2), 40);
        } else {
            hp_gc_config.enabled = 0;
            assert_int_equal(hp_gc_step(1000000), 0);
            assert_int_equal(hp_gc_due(), 0);
            hp_gc_config.enabled = 1;
            assert_int_equal(hp_gc_due(), 0);
            assert_int_equal(hp_gc_collect(0), 40);
        }
        assert_int_equal(hp_gc_step(1000000), 0);
        assert_int_equal(hp_mem_used(), base);
    }
}

/* Subtraction that leaves no root decides all the garbage at once; one
 * root (a reference from outside, or an object the barrier touched)
 * keeps the per-object mark, and what it reaches survives. */
static void test_gc_no_root_decided_at_once(void **state)
{
    hp_obj_t *objs[50], *other[20];
    hp_weakref_t *wr[50];
    size_t base = hp_mem_used();
    int n = 0;

    /* a root from outside: the whole ring is reachable */
    ring_build(objs, 50, -1);
    hp_incref(objs[10]);
    drop_all(objs, 50);
    assert_int_equal(hp_gc_collect(2), 0);
    for (int i = 0; i < 50; i++)
        assert_int_equal(hp_gc_is_tracked(objs[i]), 1);
    /* a second, rootless ring in the same collection is still garbage */
    ring_build(other, 20, -1);
    drop_all(other, 20);
    assert_int_equal(hp_gc_collect(2), 20);
    hp_decref(objs[10]);
    assert_int_equal(hp_gc_collect(2), 50);
    assert_int_equal(hp_mem_used(), base);

    /* touched during subtraction: a root for this collection */
    hp_gc_config.slice_objects = 1;
    ring_build(objs, 50, -1);
    drop_all(objs, 50);
    assert_int_equal(hp_gc_start(2), 0);
    assert_int_equal(hp_gc_step(1000000), 1);
    hp_incref(objs[3]); /* the barrier marks it touched */
    hp_decref(objs[3]);
    while (hp_gc_step(1000000))
        n++;
    assert_int_equal(hp_gc_is_tracked(objs[0]), 1);
    assert_int_equal(hp_gc_collect(2), 50);

    /* no root: after a unit per object to subtract, clearing starts at
     * once (weak references to the garbage cleared first, so the
     * bindings see nothing of it) */
    hp_weakref_set_clear_callback(on_clear, NULL);
    ring_build(objs, 50, -1);
    for (int i = 0; i < 50; i++)
        assert_non_null(wr[i] = hp_weakref_new(objs[i], NULL));
    drop_all(objs, 50);
    bindings_cleared = 0;
    assert_int_equal(hp_gc_start(2), 0);
    for (n = 0; n < 50; n++)
        assert_int_equal(hp_gc_step(1000000), 1);
    /* no mark unit ran: every object is already garbage, and a weak
     * binding yields none of it */
    assert_int_equal(stats().in_progress, 1);
    assert_int_equal(bindings_cleared, 0);
    for (int i = 0; i < 50; i++) {
        assert_int_equal(hp__gc_doomed(hp__side_of(objs[i])), 1);
        assert_null(hp_weakref_get(wr[i]));
    }
    while (hp_gc_step(1000000))
        ;
    assert_int_equal(bindings_cleared, 50);
    assert_int_equal(hp_mem_used(), base);
}

/* No slice visits more objects than configured. */
static void test_gc_bounded_slices(void **state)
{
    hp_obj_t *objs[300];
    size_t base = hp_mem_used();
    uint64_t slices = stats().slices;
    int n = 0;

    ring_build(objs, 300, -1);
    drop_all(objs, 300);
    hp_gc_config.slice_objects = 7;
    assert_int_equal(hp_gc_start(1), 0);
    while (hp_gc_step(1000000)) {
        assert_true(hp__gc_last_slice_objects <= 7);
        n++;
    }
    assert_true(hp__gc_last_slice_objects <= 7);
    /* a unit per garbage object to subtract; no root is left, so mark
     * takes the whole scanned list as garbage at once (no unit per
     * object: fewer than two units per object in all); the clear a unit
     * per 33 (a unit's bounded cascade); no weak references, so no
     * weak-clearing walk */
    assert_true(n >= 300 / 7);
    assert_true(n < 2 * 300 / 7);
    assert_true(stats().slices > slices);
    assert_int_equal(hp_mem_used(), base);
    /* a time budget of 0 still makes progress, one unit per slice */
    ring_build(objs, 10, 0);
    drop_all(objs, 10);
    hp_gc_config.slice_objects = 1000;
    assert_int_equal(hp_gc_start(0), 0);
    n = 0;
    while (hp_gc_step(0)) {
        assert_true(hp__gc_last_slice_objects <= 1);
        n++;
    }
    assert_true(n >= 10); /* subtract: a unit per object (no root: no
                           * mark unit per object) */
    assert_int_equal(hp_mem_used(), base);
}

/* The collector allocates nothing: it completes with every allocation
 * failing. */
static void test_gc_oom_during_collection(void **state)
{
    hp_obj_t *objs[200], *live = hp_set_new();
    size_t base;

    hp_weakref_set_clear_callback(on_clear, NULL);
    ring_build(objs, 200, -1);
    for (int i = 0; i < 200; i += 10) {
        char k[16];

        snprintf(k, sizeof(k), "w%d", i);
        assert_int_equal(tc_ref_add(live, k, objs[i], HP_REF_WEAK), 1);
    }
    drop_all(objs, 200);
    base = hp_mem_used();
    oom_fail_at(1, 1);
    assert_int_equal(hp_gc_collect(2), 200);
    assert_int_equal(oom_count(), 0);
    oom_off();
    assert_true(hp_mem_used() < base);
    assert_int_equal(hp_set_len(live), 0);
    hp_decref(live);
    assert_int_equal(stats().uncollectable, 0);
}

/* hp_gc_step starts gen0 past threshold0, and only when enabled. */
static void test_gc_threshold_triggers(void **state)
{
    size_t base = hp_mem_used();
    uint64_t g0 = stats().collections[0];
    hp_obj_t *o;

    hp_gc_config.threshold0 = 50;
    hp_gc_config.threshold1 = 1000;
    hp_gc_config.threshold2 = 1000;
    for (int i = 0; i < 40; i++) {
        o = hp_hash_new();
        tc_ref_add(o, "self", o, HP_REF_STRONG);
        hp_decref(o);
    }
    assert_int_equal(hp_gc_step(1000000), 0); /* 40 <= 50: not due */
    for (int i = 0; i < 20; i++) {
        o = hp_hash_new();
        tc_ref_add(o, "self", o, HP_REF_STRONG);
        hp_decref(o);
    }
    hp_gc_config.enabled = 0;
    assert_int_equal(hp_gc_step(1000000), 0);
    assert_int_equal(stats().collections[0], g0);
    hp_gc_config.enabled = 1;
    while (hp_gc_step(1000000))
        ;
    assert_int_equal(stats().collections[0], g0 + 1);
    assert_int_equal(hp_mem_used(), base);
    assert_int_equal(stats().progress_pct, 0);
    assert_true(stats().last_duration_us < 10000000);
    assert_true(stats().bytes_reclaimed > 0);
}

/* Big values die at once (weak references cleared) but their bodies go
 * in bounded slices; small ones are freed at once. */
static void test_gc_deferred_free(void **state)
{
    size_t base = hp_mem_used();
    hp_obj_t *objs[5];
    uint64_t done0 = hp_free_done();
    char buf[32];
    int steps = 0;

    hp_weakref_set_clear_callback(on_clear, NULL);
    bindings_cleared = 0;
    objs[0] = hp_list_new();
    objs[1] = hp_set_new_hashtable();
    objs[2] = tc_cont_new(4);
    objs[3] = hp_zset_new(1000, 1);
    objs[4] = hp_hash_new(); /* small: freed at once */
    for (int i = 0; i < 20000; i++) {
        int n = snprintf(buf, sizeof(buf), "element-%d", i), out;

        assert_int_equal(hp_list_push(objs[0], HP_LIST_TAIL, buf, n), 0);
        assert_int_equal(hp_set_add(objs[1], buf, n), 1);
        assert_int_equal(hp_hash_set(objs[2], buf, n, buf, n), 1);
        assert_int_equal(hp_zset_add(objs[3], i, buf, n, 0, &out, NULL), 0);
    }
    assert_int_equal(hp_hash_set(objs[4], "f", 1, "v", 1), 1);
    for (int i = 0; i < 5; i++) {
        assert_non_null(hp_weakref_new(objs[i], NULL));
        hp_decref_deferred(objs[i]);
    }
    assert_int_equal(bindings_cleared, 5); /* all dead now */
    assert_int_equal(hp_free_pending(), 4);
    while (hp_free_step(1000000, 500)) {
        steps++;
        assert_true(hp_free_pending() <= 4);
    }
    assert_true(steps >= 4 * 20000 / 500 - 4);
    assert_int_equal(hp_free_done(), done0 + 4);
    assert_int_equal(hp_mem_used(), base);
}

/* Taking a dead body apart allocates nothing: a big zset, set and hash
 * go through the queue with every allocation failing, and their tables
 * are not shrunk (a shrink would allocate a table and rehash entries
 * that are about to be freed). */
static void test_gc_deferred_free_no_alloc(void **state)
{
    size_t base = hp_mem_used();
    hp_obj_t *objs[3];
    char buf[32];

    objs[0] = hp_zset_new(1000, 1);
    objs[1] = hp_set_new_hashtable();
    objs[2] = hp_hash_new();
    for (int i = 0; i < 20000; i++) {
        int n = snprintf(buf, sizeof(buf), "element-%d", i), out;

        assert_int_equal(hp_zset_add(objs[0], i, buf, n, 0, &out, NULL), 0);
        assert_int_equal(hp_set_add(objs[1], buf, n), 1);
        assert_int_equal(hp_hash_set(objs[2], buf, n, buf, n), 1);
    }
    for (int i = 0; i < 3; i++)
        hp_decref_deferred(objs[i]);
    assert_int_equal(hp_free_pending(), 3);
    oom_fail_at(1, 1);
    while (hp_free_step(1000000, 64))
        ;
    assert_int_equal(oom_count(), 0);
    oom_off();
    assert_int_equal(hp_mem_used(), base);
}

/* Without memory to queue it, a big value is freed at once. */
static void test_gc_deferred_free_oom(void **state)
{
    size_t base = hp_mem_used();
    hp_obj_t *l = hp_list_new();

    for (int i = 0; i < 1000; i++)
        assert_int_equal(hp_list_push(l, HP_LIST_TAIL, "x", 1), 0);
    oom_fail_at(1, 1);
    hp_decref_deferred(l);
    oom_off();
    assert_int_equal(hp_free_pending(), 0);
    assert_int_equal(hp_mem_used(), base);
}

/* A big container in a garbage cycle: its body goes through the queue,
 * GC COLLECT still returns with everything freed; hp_gc_step drives the
 * queue when no collection runs. */
static void test_gc_big_garbage_deferred(void **state)
{
    size_t base = hp_mem_used();
    hp_obj_t *objs[3];
    char f[32];

    ring_build(objs, 3, 4);
    for (int i = 0; i < 5000; i++) {
        int n = snprintf(f, sizeof(f), "f%d", i);

        assert_int_equal(hp_hash_set(objs[1], f, n, "v", 1), 1);
    }
    drop_all(objs, 3);
    assert_int_equal(hp_gc_collect(2), 3);
    assert_int_equal(hp_free_pending(), 0);
    assert_int_equal(hp_mem_used(), base);
    ring_build(objs, 3, 4);
    for (int i = 0; i < 5000; i++) {
        int n = snprintf(f, sizeof(f), "f%d", i);

        assert_int_equal(hp_hash_set(objs[1], f, n, "v", 1), 1);
    }
    drop_all(objs, 3);
    hp_gc_config.slice_objects = 100;
    assert_int_equal(hp_gc_start(2), 0);
    while (hp_gc_step(1000000))
        ;
    assert_int_equal(hp_free_pending(), 0);
    assert_int_equal(hp_mem_used(), base);
}

/* ------------------------------------------------------------------
 * The random model: objects known by id, edges known by key; liveness
 * observed through one weak binding per object; reachability from the
 * held objects computed directly.
 * ---------------------------------------------------------------- */

#ifdef GC_DEBUG
#define MAXO 4096
#define MAXE 32768
#else
#define MAXO 1024
#define MAXE 8192
#endif

typedef struct mobj {
    hp_obj_t *o;
    int alive, held;
} mobj_t;

typedef struct medge {
    int from, to, weak, live;
    char key[16];
} medge_t;

static mobj_t mo[MAXO];
static medge_t me[MAXE];
static int nmo, nme;
static char reach[MAXO];
static uint64_t rng;

static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* The model's clear callback: bindings mark death, elements edges. */
static void model_clear(void *ud, const hp_weak_event_t *ev)
{
    (void)ud;
    if (ev->binding) {
        int id = (int)(intptr_t)ev->ud;

        assert_true(mo[id].alive);
        mo[id].alive = 0;
        hp_weakref_free(ev->binding);
        for (int e = 0; e < nme; e++)
            if (me[e].from == id) me[e].live = 0;
        return;
    }
    for (int e = 0; e < nme; e++) {
        medge_t *x = &me[e];

        if (x->live && x->weak && mo[x->from].alive &&
            mo[x->from].o == ev->container && strlen(x->key) == ev->klen &&
            memcmp(x->key, ev->key, ev->klen) == 0) {
            x->live = 0;
            return;
        }
    }
    fail_msg("clear event for an unknown element");
}

static void model_reach(void)
{
    static int start[MAXO + 1], adj[MAXE], queue[MAXO];
    int qh = 0, qt = 0;

    /* adjacency of live strong edges (counting sort by source), BFS */
    memset(start, 0, sizeof(int) * (size_t)(nmo + 1));
    for (int e = 0; e < nme; e++)
        if (me[e].live && !me[e].weak) start[me[e].from + 1]++;
    for (int i = 0; i < nmo; i++)
        start[i + 1] += start[i];
    for (int e = 0; e < nme; e++) {
        if (me[e].live && !me[e].weak) adj[start[me[e].from]++] = me[e].to;
    }
    for (int i = nmo; i > 0; i--)
        start[i] = start[i - 1];
    start[0] = 0;
    for (int i = 0; i < nmo; i++) {
        reach[i] = (char)mo[i].held;
        if (reach[i]) queue[qt++] = i;
    }
    while (qh < qt) {
        int v = queue[qh++];

        for (int k = start[v]; k < start[v + 1]; k++) {
            if (!reach[adj[k]]) {
                reach[adj[k]] = 1;
                queue[qt++] = adj[k];
            }
        }
    }
}

/* Safety after every step; completeness when full (after a collect). */
static void model_check(int full)
{
    static size_t len[MAXO], rc[MAXO];

    model_reach();
    for (int i = 0; i < nmo; i++) {
        len[i] = 0;
        rc[i] = (size_t)mo[i].held;
    }
    for (int e = 0; e < nme; e++) {
        if (!me[e].live) continue;
        len[me[e].from]++;
        if (!me[e].weak && mo[me[e].from].alive) rc[me[e].to]++;
    }
    for (int i = 0; i < nmo; i++) {
        if (!reach[i]) {
            if (full) assert_false(mo[i].alive);
            continue;
        }
        assert_true(mo[i].alive);
        assert_int_equal(tc_cont_len(mo[i].o), len[i]);
        /* garbage being cleared may still hold references to it */
        if (!hp_gc_in_progress()) assert_int_equal(mo[i].o->refcount, rc[i]);
    }
}

/* A random reachable object id, or -1. */
static int pick_reachable(void)
{
    int ids[MAXO], n = 0;

    for (int i = 0; i < nmo; i++)
        if (reach[i]) ids[n++] = i;
    return n ? ids[rnd() % (uint64_t)n] : -1;
}

static void model_op(void)
{
    int op = (int)(rnd() % 100), c, t;

    model_reach();
    if (op < 15 && nmo < MAXO) {
        mobj_t *m = &mo[nmo];

        m->o = tc_cont_new((int)(rnd() % 4));
        m->alive = 1;
        m->held = 1;
        assert_non_null(hp_weakref_new(m->o, (void *)(intptr_t)nmo));
        nmo++;
    } else if (op < 50 && nme < MAXE) {
        medge_t *x = &me[nme];

        c = pick_reachable();
        t = pick_reachable();
        if (c < 0) return;
        x->from = c;
        x->to = t;
        x->weak = rnd() % 3 == 0;
        snprintf(x->key, sizeof(x->key), "k%d", nme);
        assert_int_equal(tc_ref_add(mo[c].o, x->key, mo[t].o,
                                 x->weak ? HP_REF_WEAK : HP_REF_STRONG), 1);
        x->live = 1;
        nme++;
    } else if (op < 65) {
        c = pick_reachable();
        if (c < 0 || !mo[c].held) return;
        mo[c].held = 0;
        hp_decref(mo[c].o);
    } else if (op < 72) {
        c = pick_reachable();
        if (c < 0 || mo[c].held) return;
        mo[c].held = 1;
        hp_incref(mo[c].o);
    } else if (op < 82) {
        c = pick_reachable();
        for (int e = 0; c >= 0 && e < nme; e++) {
            if (me[e].live && me[e].from == c) {
                me[e].live = 0;
                elem_del(mo[c].o, me[e].key);
                break;
            }
        }
    } else if (op < 97) {
        if (!hp_gc_in_progress()) hp_gc_start((int)(rnd() % 3));
        for (int i = (int)(rnd() % 4); i > 0; i--)
            hp_gc_step(1000000);
    } else {
        hp_gc_collect(2);
        model_check(1);
    }
}

static void model_run(uint64_t seed)
{
    size_t base = hp_mem_used();
    uint64_t collected0 = stats().collected;

    rng = seed;
    nmo = nme = 0;
    memset(mo, 0, sizeof(mo));
    memset(me, 0, sizeof(me));
    hp_weakref_set_clear_callback(model_clear, NULL);
    hp_gc_config.slice_objects = 3;
    for (int i = 0; i < MODEL_OPS; i++) {
        model_op();
        model_check(0);
    }
    for (int i = 0; i < nmo; i++) {
        if (mo[i].held && mo[i].alive) {
            mo[i].held = 0;
            hp_decref(mo[i].o);
        }
    }
    assert_true(nmo > MODEL_OPS / 20);  /* the run did build a graph */
    assert_true(nme > MODEL_OPS / 10);
    assert_true(stats().collected > collected0); /* and cycles died */
    hp_gc_collect(2);
    model_check(1);
    for (int i = 0; i < nmo; i++)
        assert_false(mo[i].alive);
    assert_int_equal(hp_mem_used(), base);
    assert_int_equal(stats().uncollectable, 0);
    assert_int_equal(stats().tracked, 0);
}

static void test_gc_model_random(void **state)
{
    static const uint64_t seeds[] = {1, 2, 3, 42, 1234567, 0xdeadbeef};

    for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++)
        model_run(seeds[i]);
}

typedef int (*mallctl_fn)(const char *, void *, size_t *, void *, size_t);

/* "arena.<i>.<what>" or "stats.arenas.<i>.<what>" of the calling
 * thread's jemalloc arena into name. */
static void own_arena_ctl(mallctl_fn ctl, char *name, size_t size,
                          const char *fmt, const char *what)
{
    unsigned ind;
    size_t len = sizeof(ind);

    assert_int_equal(ctl("thread.arena", &ind, &len, NULL, 0), 0);
    snprintf(name, size, fmt, ind, what);
}

/* The calling thread's arena's dirty decay time (ms, -1: never). */
static ssize_t own_dirty_decay(mallctl_fn ctl)
{
    char name[64];
    ssize_t v;
    size_t len = sizeof(v);

    own_arena_ctl(ctl, name, sizeof(name), "arena.%u.%s", "dirty_decay_ms");
    assert_int_equal(ctl(name, &v, &len, NULL, 0), 0);
    return v;
}

/* Set the calling thread's arena's dirty decay time. */
static void set_own_dirty_decay(mallctl_fn ctl, ssize_t v)
{
    char name[64];

    own_arena_ctl(ctl, name, sizeof(name), "arena.%u.%s", "dirty_decay_ms");
    assert_int_equal(ctl(name, NULL, NULL, &v, sizeof(v)), 0);
}

/* Run the calling thread's arena's decay purging (what jemalloc's decay
 * would do now), then its dirty pages from fresh statistics. */
static size_t own_dirty_after_decay(mallctl_fn ctl)
{
    char name[64];
    uint64_t epoch = 1;
    size_t n, len = sizeof(epoch);

    own_arena_ctl(ctl, name, sizeof(name), "arena.%u.%s", "decay");
    assert_int_equal(ctl(name, NULL, NULL, NULL, 0), 0);
    assert_int_equal(ctl("epoch", &epoch, &len, &epoch, sizeof(epoch)), 0);
    own_arena_ctl(ctl, name, sizeof(name), "stats.arenas.%u.%s", "pdirty");
    len = sizeof(n);
    assert_int_equal(ctl(name, &n, &len, NULL, 0), 0);
    return n;
}

/* A monotonic clock in microseconds. */
static uint64_t mono_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* While the collector frees garbage in many slices, the driver's
 * hp_mem_bulk_freeing(hp_gc_freeing()) holds the executor arena's
 * purging once the freeing has gone on for 10 ms (a clock of 1 ms per
 * slice here): dirty_decay_ms is -1 and the freed pages stay, even
 * through a decay run; once the freeing is over the configured time is
 * back and the pages go back to the system within it (bounded wait, no
 * timing asserted). Under libc there is nothing to hold. */
static void test_gc_bulk_freeing_holds_purging(void **state)
{
    mallctl_fn ctl = (mallctl_fn)(uintptr_t)dlsym(RTLD_DEFAULT, "mallctl");
    enum { N = 50000 };
    const uint64_t ms = 1000, t0 = 1000000000; /* 1000 s */
    hp_obj_t **objs = malloc(N * sizeof(*objs));
    size_t slices = 0, freeing = 0, held = 0, held_dirty, dirty = 0;
    ssize_t conf;
    uint64_t end;

    (void)state;
    assert_non_null(objs);
    if (strncmp(hp_mem_allocator(), "jemalloc-", 9) != 0 || ctl == NULL) {
        assert_int_equal(hp_mem_bulk_freeing(1, t0), 0);
        assert_int_equal(hp_mem_bulk_freeing(1, t0 + 20 * ms), 0);
        assert_int_equal(hp_mem_bulk_hold_on(), 0);
        assert_int_equal(hp_mem_bulk_freeing(0, t0 + 21 * ms), 0);
        free(objs);
        return;
    }
    conf = own_dirty_decay(ctl);
    set_own_dirty_decay(ctl, 200); /* configured: 200 ms */
    ring_build(objs, N, 4);
    drop_all(objs, N);
    hp_gc_config.slice_objects = 20;
    assert_int_equal(hp_gc_start(2), 0);
    for (int more = 1; more; slices++) {
        more = hp_gc_step(-1);
        assert_int_equal(
            hp_mem_bulk_freeing(hp_gc_freeing(), t0 + slices * ms), 0);
        if (!hp_gc_freeing())
            continue;
        /* the first 10 slices of freeing are not held, the rest are */
        assert_int_equal(hp_mem_bulk_hold_on(), freeing >= 10);
        assert_int_equal(own_dirty_decay(ctl), freeing >= 10 ? -1 : 200);
        held += freeing >= 10;
        freeing++;
    }
    assert_true(held > 10); /* a multi-slice freeing, held */
    /* held: a decay run purges nothing of the garbage's pages */
    held_dirty = own_dirty_after_decay(ctl);
    assert_true(held_dirty > 0);
    assert_int_equal(hp_mem_bulk_freeing(0, t0 + slices * ms), 0);
    assert_int_equal(hp_mem_bulk_hold_on(), 0);
    assert_int_equal(own_dirty_decay(ctl), 200);
    end = mono_us() + 20u * 1000000u;
    while (mono_us() < end) {
        dirty = own_dirty_after_decay(ctl);
        if (dirty < held_dirty / 2)
            break;
        usleep(20000);
    }
    assert_true(dirty < held_dirty / 2);
    set_own_dirty_decay(ctl, conf);
    free(objs);
}

/* Holds are rare and bounded: none for freeing over within 10 ms; one
 * lasts at most 30 s of busy turns; after a hold no new one starts for
 * as long as it lasted (1 s at least). The configured time is back at
 * every end. (Clock values past the test above's.) */
static void test_gc_bulk_freeing_hold_bounded(void **state)
{
    mallctl_fn ctl = (mallctl_fn)(uintptr_t)dlsym(RTLD_DEFAULT, "mallctl");
    const uint64_t t0 = 2000000000, s = 1000000, ms = 1000;
    ssize_t conf;

    (void)state;
    if (strncmp(hp_mem_allocator(), "jemalloc-", 9) != 0 || ctl == NULL)
        return; /* nothing held: see the test above */
    conf = own_dirty_decay(ctl);
    /* short work: never held */
    assert_int_equal(hp_mem_bulk_freeing(1, t0), 0);
    assert_int_equal(hp_mem_bulk_freeing(1, t0 + 9 * ms), 0);
    assert_int_equal(hp_mem_bulk_hold_on(), 0);
    assert_int_equal(hp_mem_bulk_freeing(0, t0 + 9 * ms), 0);
    /* long work: held from 10 ms on, for 30 s at most */
    assert_int_equal(hp_mem_bulk_freeing(1, t0 + s), 0);
    assert_int_equal(hp_mem_bulk_freeing(1, t0 + s + 10 * ms), 0);
    assert_int_equal(own_dirty_decay(ctl), -1);
    assert_int_equal(hp_mem_bulk_freeing(1, t0 + 30 * s), 0);
    assert_int_equal(own_dirty_decay(ctl), -1);
    assert_int_equal(hp_mem_bulk_freeing(1, t0 + 31 * s + 10 * ms), 0);
    assert_int_equal(hp_mem_bulk_hold_on(), 0);
    assert_int_equal(own_dirty_decay(ctl), conf);
    /* then 30 s without a hold, busy or not */
    assert_int_equal(hp_mem_bulk_freeing(1, t0 + 50 * s), 0);
    assert_int_equal(hp_mem_bulk_freeing(0, t0 + 51 * s), 0);
    assert_int_equal(hp_mem_bulk_freeing(1, t0 + 55 * s), 0);
    assert_int_equal(hp_mem_bulk_freeing(1, t0 + 61 * s), 0);
    assert_int_equal(hp_mem_bulk_hold_on(), 0);
    assert_int_equal(hp_mem_bulk_freeing(1, t0 + 61 * s + 10 * ms), 0);
    assert_int_equal(own_dirty_decay(ctl), -1); /* busy since 55 s */
    assert_int_equal(hp_mem_bulk_freeing(0, t0 + 61 * s + 20 * ms), 0);
    assert_int_equal(own_dirty_decay(ctl), conf);
    /* a 10 ms hold (ended at 61.02 s): the next one waits 1 s */
    assert_int_equal(hp_mem_bulk_freeing(1, t0 + 61 * s + 500 * ms), 0);
    assert_int_equal(hp_mem_bulk_freeing(1, t0 + 62 * s), 0);
    assert_int_equal(hp_mem_bulk_hold_on(), 0);
    assert_int_equal(hp_mem_bulk_freeing(1, t0 + 62 * s + 30 * ms), 0);
    assert_int_equal(hp_mem_bulk_hold_on(), 1);
    assert_int_equal(hp_mem_bulk_freeing(0, t0 + 63 * s + 30 * ms), 0);
    assert_int_equal(own_dirty_decay(ctl), conf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_gc_cycles_every_type_and_length,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_gc_big_cycle, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gc_clear_is_bounded_per_unit,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_gc_ring_mixed_members, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_gc_survivors_age, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_gc_mixed_strong_weak, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_gc_weak_cleared_before_teardown,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_gc_resurrection_during_collection, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_gc_garbage_created_during_collection, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gc_restart_when_invalidated,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_gc_restart_bounded, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_gc_restart_replaced, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_gc_no_root_decided_at_once,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_gc_bounded_slices, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_gc_oom_during_collection, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_gc_threshold_triggers, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_gc_deferred_free, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_gc_deferred_free_no_alloc, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_gc_deferred_free_oom, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_gc_big_garbage_deferred, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_gc_model_random, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_gc_bulk_freeing_holds_purging,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_gc_bulk_freeing_hold_bounded,
                                        setup, teardown),
    };

    if (getenv("GC_TEST_FILTER"))
        cmocka_set_test_filter(getenv("GC_TEST_FILTER"));
    return cmocka_run_group_tests(tests, NULL, NULL);
}
