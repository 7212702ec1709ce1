/*
 * test_check.c - the gc_debug consistency check (heap/check.c,
 * hp_heap_check) passes on a consistent heap of every container kind,
 * with strong and weak elements, cycles, weak bindings and list
 * references, at every slice boundary of a collection; and it fails on
 * each kind of corruption it is meant to catch (made on purpose, white
 * box, then undone). Built only with -Dgc_debug=true.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "heap_cont.h"
#include "heap_int.h"
#include "heap_ref.h"
#include "oom.h"
#include "refcont.h"

#define NCONT 10

/* The fixture: NCONT containers of every kind in a strong ring, each
 * also weakly referencing a string and the next container, a list with
 * a strong and a weak element, a weak binding to the string. */
typedef struct fix {
    hp_obj_t *c[NCONT];
    hp_obj_t *str, *list;
    hp_weakref_t *bind;
} fix_t;

static fix_t fx;
static hp_gc_config_t saved_config;

/* Build the fixture (the test holds one reference to each object). */
static int setup(void **state)
{
    char key[16];

    (void)state;
    saved_config = hp_gc_config;
    hp_gc_config.enabled = 0;
    hp_weakref_set_clear_callback(NULL, NULL);
    fx.str = hp_str_new("target", 6);
    assert_non_null(fx.str);
    for (int i = 0; i < NCONT; i++)
        assert_non_null(fx.c[i] = tc_cont_new(i % TC_CONT_KINDS));
    for (int i = 0; i < NCONT; i++) {
        assert_true(tc_ref_add(fx.c[i], "next", fx.c[(i + 1) % NCONT],
                               HP_REF_STRONG) >= 0);
        snprintf(key, sizeof(key), "w%d", i);
        assert_true(tc_ref_add(fx.c[i], key, fx.str, HP_REF_WEAK) >= 0);
        assert_true(tc_ref_add(fx.c[i], "wn", fx.c[(i + 3) % NCONT],
                               HP_REF_WEAK) >= 0);
    }
    fx.list = hp_list_new();
    assert_non_null(fx.list);
    assert_int_equal(hp_list_push(fx.list, HP_LIST_TAIL, "plain", 5), 0);
    assert_int_equal(hp_ref_list_push(fx.list, HP_LIST_TAIL, fx.c[0], "s",
                                      1, HP_REF_STRONG), 0);
    assert_int_equal(hp_ref_list_push(fx.list, HP_LIST_HEAD, fx.str, "w",
                                      1, HP_REF_WEAK), 0);
    fx.bind = hp_weakref_new(fx.c[5], NULL);
    assert_non_null(fx.bind);
    return 0;
}

/* Drop the fixture; the ring is garbage for the collector. */
static int teardown(void **state)
{
    (void)state;
    hp_weakref_free(fx.bind);
    hp_decref(fx.list);
    for (int i = 0; i < NCONT; i++)
        hp_decref(fx.c[i]);
    hp_decref(fx.str);
    hp_gc_collect(2);
    assert_int_equal(hp_heap_check(), 0);
    hp_gc_config = saved_config;
    return 0;
}

/* The side record of o (it has one). */
static hp_side_t *side(hp_obj_t *o)
{
    hp_side_t *s = hp__side_of(o);

    assert_non_null(s);
    return s;
}

static void test_consistent(void **state)
{
    (void)state;
    assert_int_equal(hp_heap_check(), 0);
}

/* Every slice boundary of a full collection (one unit per slice), with
 * part of the ring unreachable so every phase runs. */
static void test_consistent_each_slice(void **state)
{
    hp_obj_t *a = tc_cont_new(0), *b = tc_cont_new(4);
    size_t slices = 0;

    (void)state;
    assert_true(tc_ref_add(a, "b", b, HP_REF_STRONG) >= 0);
    assert_true(tc_ref_add(b, "a", a, HP_REF_STRONG) >= 0);
    assert_true(tc_ref_add(b, "ws", fx.str, HP_REF_WEAK) >= 0);
    assert_true(tc_ref_add(fx.c[0], "wa", a, HP_REF_WEAK) >= 0);
    hp_decref(a);
    hp_decref(b);
    hp_gc_config.slice_objects = 1;
    assert_int_equal(hp_gc_start(2), 0);
    while (hp_gc_in_progress()) {
        assert_int_equal(hp_heap_check(), 0);
        hp_gc_step(-1);
        slices++;
    }
    while (hp_free_step(-1, 1))
        assert_int_equal(hp_heap_check(), 0);
    assert_true(slices > 2 * NCONT);
    assert_int_equal(hp_heap_check(), 0);
    assert_null(hp_ref_get(fx.c[0], "wa", 2, NULL));
    hp_gc_config.slice_objects = saved_config.slice_objects;
}

static void test_catches_strong_count(void **state)
{
    hp_side_t *s = side(fx.c[2]);

    (void)state;
    s->nstrong++;
    assert_true(hp_heap_check() > 0);
    s->nstrong--;
    assert_int_equal(hp_heap_check(), 0);
}

static void test_catches_weak_counts(void **state)
{
    hp_side_t *s = side(fx.str), *c = side(fx.c[1]);

    (void)state;
    s->nweakin++;
    assert_true(hp_heap_check() > 0);
    s->nweakin--;
    c->nweak--;
    assert_true(hp_heap_check() > 0);
    c->nweak++;
    assert_int_equal(hp_heap_check(), 0);
}

/* A weak element taken off its target's list (counts kept). */
static void test_catches_weak_list(void **state)
{
    hp_side_t *s = side(fx.str);
    struct hp_ref *r = s->weak_head, *next = r->wnext;

    (void)state;
    s->weak_head = next;
    next->wprev = NULL;
    assert_true(hp_heap_check() > 0);
    next->wprev = r;
    s->weak_head = r;
    assert_int_equal(hp_heap_check(), 0);
}

/* A tracked record taken off the collector's lists, then its flag. */
static void test_catches_gc_lists(void **state)
{
    hp_side_t *s = side(fx.c[3]), *prev = s->gprev, *next = s->gnext;

    (void)state;
    prev->gnext = next;
    next->gprev = prev;
    assert_true(hp_heap_check() > 0);
    prev->gnext = s;
    next->gprev = s;
    assert_int_equal(hp_heap_check(), 0);
    s->tracked = 0;
    assert_true(hp_heap_check() > 0);
    s->tracked = 1;
    s->gen = (uint8_t)((s->gen + 1) % 3);
    assert_true(hp_heap_check() > 0);
    s->gen = (uint8_t)((s->gen + 2) % 3);
    assert_int_equal(hp_heap_check(), 0);
}

/* A state that does not fit the list and phase of a collection. */
static void test_catches_gc_state(void **state)
{
    hp_side_t *s = side(fx.c[4]);

    (void)state;
    hp_gc_config.slice_objects = 1;
    assert_int_equal(hp_gc_start(2), 0);
    while (hp_gc_in_progress() && s->state != HP_GCS_SCANNED)
        hp_gc_step(-1);
    assert_int_equal(hp_heap_check(), 0);
    s->state = HP_GCS_PENDING; /* still on the scanned list */
    assert_true(hp_heap_check() > 0);
    s->state = HP_GCS_SCANNED;
    assert_int_equal(hp_heap_check(), 0);
    while (hp_gc_in_progress())
        hp_gc_step(-1);
    hp_gc_config.slice_objects = saved_config.slice_objects;
    assert_int_equal(hp_heap_check(), 0);
}

/* A refcount below the strong references known to the object. */
static void test_catches_refcount(void **state)
{
    hp_obj_t *o = fx.c[6];
    uint32_t rc = o->refcount;

    (void)state;
    assert_true(rc >= 2); /* the test's and c[5]'s "next" */
    o->refcount = 1;      /* one strong element: still covered */
    assert_int_equal(hp_heap_check(), 0);
    assert_true(tc_ref_add(fx.c[9], "extra", o, HP_REF_STRONG) >= 0);
    o->refcount = 1; /* two strong elements aim at it */
    assert_true(hp_heap_check() > 0);
    o->refcount = rc + 1;
    assert_int_equal(hp_ref_forget(fx.c[9], "extra", 5), 0);
    assert_int_equal(o->refcount, rc);
    assert_int_equal(hp_heap_check(), 0);
}

/* The side record's back pointer, and a pinned record. */
static void test_catches_side_record(void **state)
{
    hp_side_t *s = side(fx.c[7]);
    hp_obj_t *o = s->obj;

    (void)state;
    s->obj = fx.c[8];
    assert_true(hp_heap_check() > 0);
    s->obj = o;
    s->pinned = 1;
    assert_true(hp_heap_check() > 0);
    s->pinned = 0;
    assert_int_equal(hp_heap_check(), 0);
}

/* A list element's mark dropped behind the reference's back. */
static void test_catches_list_mark(void **state)
{
    hp_ql_t *ql = fx.list->v.ptr;
    hp_ql_marks_t *m = ql->head->marks;
    uint32_t n;

    (void)state;
    assert_non_null(m);
    n = m->n;
    m->n = 0;
    assert_true(hp_heap_check() > 0);
    m->n = n;
    assert_int_equal(hp_heap_check(), 0);
}

/* A record only a weak binding leads to (no element points at its
 * object, nothing tracks it) is checked too, and the global count of
 * weakly referenced objects is exact. */
static void test_catches_weak_binding_only(void **state)
{
    hp_obj_t *lone = tc_cont_new(0);
    hp_weakref_t *b;
    hp_side_t *s;

    (void)state;
    assert_non_null(lone);
    b = hp_weakref_new(lone, NULL);
    assert_non_null(b);
    s = side(lone);
    assert_int_equal(hp_heap_check(), 0);
    s->nweakin++;
    assert_true(hp_heap_check() > 0);
    s->nweakin--;
    hp__ref_weakly_referenced++;
    assert_true(hp_heap_check() > 0);
    hp__ref_weakly_referenced--;
    assert_int_equal(hp_heap_check(), 0);
    hp_weakref_free(b);
    hp_decref(lone);
}

/* The global strong-element counter. */
static void test_catches_global_count(void **state)
{
    (void)state;
    hp__ref_nstrong++;
    assert_true(hp_heap_check() > 0);
    hp__ref_nstrong--;
    assert_int_equal(hp_heap_check(), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_consistent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_consistent_each_slice, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_catches_strong_count, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_catches_weak_counts, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_catches_weak_list, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_catches_gc_lists, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_catches_gc_state, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_catches_refcount, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_catches_weak_binding_only,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_catches_side_record, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_catches_list_mark, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_catches_global_count, setup,
                                        teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
