/*
 * test_intset.c - heap/intset.c: the sorted integer array. Width upgrades
 * at each boundary (below and above), thousands of seeded random
 * add/remove/find operations checked against a sorted model, random
 * elements, memory accounting, and allocation failures at every point
 * (the set must be unchanged after a failed add).
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

#include "heap_cont.h"
#include "heap_int.h"
#include "oom.h"

#define MODEL_MAX 2000

/* The model: a sorted array of distinct values. */
typedef struct model {
    int64_t v[MODEL_MAX];
    size_t n;
} model_t;

static uint64_t rng_state;

static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* Index of v in the model, or -1. */
static long model_find(const model_t *m, int64_t v)
{
    for (size_t i = 0; i < m->n; i++)
        if (m->v[i] == v) return (long)i;
    return -1;
}

/* Insert keeping the order; 1 if added. */
static int model_add(model_t *m, int64_t v)
{
    size_t i = 0;

    if (model_find(m, v) >= 0) return 0;
    assert_true(m->n < MODEL_MAX);
    while (i < m->n && m->v[i] < v) i++;
    memmove(&m->v[i + 1], &m->v[i], (m->n - i) * sizeof(m->v[0]));
    m->v[i] = v;
    m->n++;
    return 1;
}

static int model_remove(model_t *m, int64_t v)
{
    long i = model_find(m, v);

    if (i < 0) return 0;
    memmove(&m->v[i], &m->v[i + 1], (m->n - (size_t)i - 1) * sizeof(m->v[0]));
    m->n--;
    return 1;
}

/* The intset holds exactly the model, in order. */
static void check(const hp_intset_t *is, const model_t *m)
{
    assert_int_equal(hp_is_validate(is), 0);
    assert_int_equal(hp_is_len(is), m->n);
    for (size_t i = 0; i < m->n; i++) {
        assert_true(hp_is_get(is, i) == m->v[i]);
        assert_true(hp_is_find(is, m->v[i]));
    }
}

/* A random value drawn from one of several ranges, so that every width
 * is exercised and small values repeat. */
static int64_t random_value(void)
{
    switch (rnd() % 4) {
    case 0:
        return (int64_t)(rnd() % 200) - 100;
    case 1:
        return (int64_t)(rnd() % 70000) - 35000;
    case 2:
        return (int64_t)(rnd() % 5000000000ULL) - 2500000000LL;
    default:
        return (int64_t)rnd();
    }
}

static void test_intset_empty(void **state)
{
    size_t base = hp_mem_used();
    hp_intset_t *is = hp_is_new();

    (void)state;
    assert_non_null(is);
    assert_int_equal(hp_is_len(is), 0);
    assert_int_equal(is->width, 2);
    assert_false(hp_is_find(is, 0));
    assert_false(hp_is_find(is, INT64_MAX));
    assert_int_equal(hp_is_remove(&is, 5), 0);
    assert_int_equal(hp_is_validate(is), 0);
    hp_is_free(is);
    hp_is_free(NULL);
    assert_int_equal(hp_mem_used(), base);
}

/* Each width boundary, reached from below and from above. */
static void test_intset_upgrades(void **state)
{
    static const struct {
        int64_t v;
        uint32_t width;
    } steps[] = {
        {INT16_MAX, 2},     {INT16_MIN, 2},       {INT16_MAX + 1, 4},
        {INT16_MIN - 1, 4}, {INT32_MAX, 4},       {INT32_MIN, 4},
        {(int64_t)INT32_MAX + 1, 8}, {INT64_MIN, 8}, {INT64_MAX, 8},
    };
    model_t *m = calloc(1, sizeof(*m));
    hp_intset_t *is = hp_is_new();
    int added;

    (void)state;
    for (int64_t v = -5; v <= 5; v++) {
        assert_int_equal(hp_is_add(&is, v, &added), 0);
        assert_int_equal(added, 1);
        model_add(m, v);
    }
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        assert_int_equal(hp_is_add(&is, steps[i].v, &added), 0);
        assert_int_equal(added, 1);
        assert_int_equal(is->width, steps[i].width);
        model_add(m, steps[i].v);
        check(is, m);
        assert_int_equal(hp_is_add(&is, steps[i].v, &added), 0);
        assert_int_equal(added, 0);
    }
    /* A negative value that needs the upgrade goes first. */
    hp_is_free(is);
    is = hp_is_new();
    memset(m, 0, sizeof(*m));
    for (int64_t v = 1; v <= 3; v++) {
        hp_is_add(&is, v, NULL);
        model_add(m, v);
    }
    hp_is_add(&is, -100000, NULL);
    model_add(m, -100000);
    check(is, m);
    /* Removing never narrows; values that need more than the width are
     * simply absent. */
    assert_int_equal(hp_is_remove(&is, -100000), 1);
    model_remove(m, -100000);
    assert_int_equal(is->width, 4);
    assert_int_equal(hp_is_remove(&is, INT64_MAX), 0);
    assert_false(hp_is_find(is, INT64_MIN));
    check(is, m);
    hp_is_free(is);
    free(m);
}

/* Seeded random operations against the model. */
static void test_intset_random_ops(void **state)
{
    size_t base = hp_mem_used();
    model_t *m = calloc(1, sizeof(*m));
    hp_intset_t *is = hp_is_new();

    (void)state;
    rng_state = 0x1234567ULL;
    for (int op = 0; op < 20000; op++) {
        int64_t v = random_value();
        int r = (int)(rnd() % 10), added;

        if (r < 5 && m->n < MODEL_MAX) {
            assert_int_equal(hp_is_add(&is, v, &added), 0);
            assert_int_equal(added, model_add(m, v));
        } else if (r < 8) {
            if (m->n && rnd() % 2) v = m->v[rnd() % m->n];
            assert_int_equal(hp_is_remove(&is, v), model_remove(m, v));
        } else {
            assert_int_equal(hp_is_find(is, v), model_find(m, v) >= 0);
        }
        if (op % 500 == 0) check(is, m);
    }
    check(is, m);
    assert_int_equal(hp_malloc_size(is) >= hp_is_bytes(is), 1);
    hp_is_free(is);
    free(m);
    assert_int_equal(hp_mem_used(), base);
}

/* Random elements are members and, over many draws, cover the set. */
static void test_intset_random_element(void **state)
{
    hp_intset_t *is = hp_is_new();
    int seen[10] = {0};

    (void)state;
    hp__is_random_seed(42);
    for (int64_t v = 0; v < 10; v++) hp_is_add(&is, v * 1000000, NULL);
    for (int i = 0; i < 1000; i++) {
        int64_t v = hp_is_random(is);

        assert_true(hp_is_find(is, v));
        seen[v / 1000000]++;
    }
    for (int i = 0; i < 10; i++) assert_true(seen[i] > 50);
    hp_is_free(is);
}

/* Every allocation of an add (plain or upgrading) fails in turn: the add
 * reports -ENOMEM, the set is unchanged and no memory leaks. */
static void test_intset_oom_every_point(void **state)
{
    static const int64_t adds[] = {7, -3, 40000, -5000000000LL, 12};
    size_t base = hp_mem_used();
    model_t *m = calloc(1, sizeof(*m));
    hp_intset_t *is = NULL;
    long n;

    (void)state;
    for (n = 1;; n++) {
        oom_fail_at(n, 0);
        is = hp_is_new();
        oom_off();
        if (is) break;
        assert_int_equal(hp_mem_used(), base);
    }
    for (size_t k = 0; k < sizeof(adds) / sizeof(adds[0]); k++) {
        for (n = 1;; n++) {
            size_t before = hp_mem_used();
            int rc;

            oom_fail_at(n, 0);
            rc = hp_is_add(&is, adds[k], NULL);
            oom_off();
            if (rc == 0) break;
            assert_int_equal(rc, -ENOMEM);
            assert_int_equal(hp_mem_used(), before);
            check(is, m);
        }
        model_add(m, adds[k]);
        check(is, m);
    }
    /* Removal never fails, even when its shrink cannot allocate. */
    oom_fail_at(1, 1);
    assert_int_equal(hp_is_remove(&is, 7), 1);
    oom_off();
    model_remove(m, 7);
    check(is, m);
    hp_is_free(is);
    free(m);
    assert_int_equal(hp_mem_used(), base);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_intset_empty),
        cmocka_unit_test(test_intset_upgrades),
        cmocka_unit_test(test_intset_random_ops),
        cmocka_unit_test(test_intset_random_element),
        cmocka_unit_test(test_intset_oom_every_point),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
