/*
 * test_list.c - heap/list.c and heap/quicklist.c: list objects under
 * several node fills (count and byte limits, so nodes split and vanish
 * constantly), thousands of seeded random LPUSH/RPUSH/LPOP/LINDEX/LSET/
 * LINSERT/LREM/LTRIM/LRANGE operations checked against an array model,
 * memory accounting and allocation failures.
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

#define MODEL_MAX 3000

/* The model: values are indexes into the pool. */
typedef struct model {
    int v[MODEL_MAX];
    size_t n;
} model_t;

static char longval[600];
static const char *pool[] = {"a", "b", "c", "1", "-2", "300", "70000",
                             "9223372036854775807", "hello world", "",
                             "0", "01", NULL /* longval */};
#define POOL_N ((int)(sizeof(pool) / sizeof(pool[0])))

static uint64_t rng_state;

static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static const char *pv(int i)
{
    return pool[i] ? pool[i] : longval;
}

static size_t pl(int i)
{
    return strlen(pv(i));
}

/* Assert e holds pool value i. */
static void assert_elem(const hp_elem_t *e, int i)
{
    char nb[HP_INT_BUF];
    size_t len;
    const char *b = hp_elem_bytes(e, nb, &len);

    assert_int_equal(len, pl(i));
    assert_memory_equal(b, pv(i), len);
}

/* Assert the list equals the model, by iteration both ways. */
static void check(hp_obj_t *o, const model_t *m)
{
    hp_list_iter_t it;
    hp_elem_t e;
    size_t i = 0;

    assert_int_equal(hp_ql_validate(o->v.ptr), 0);
    assert_int_equal(hp_list_len(o), m->n);
    hp_list_iter_init(&it, o, 0, m->n, 0);
    while (hp_list_iter_next(&it, &e))
        assert_elem(&e, m->v[i++]);
    assert_int_equal(i, m->n);
    hp_list_iter_init(&it, o, -1, m->n, 1);
    while (hp_list_iter_next(&it, &e))
        assert_elem(&e, m->v[--i]);
    assert_int_equal(i, 0);
}

static void model_insert(model_t *m, size_t at, int v)
{
    memmove(&m->v[at + 1], &m->v[at], (m->n - at) * sizeof(int));
    m->v[at] = v;
    m->n++;
}

static void model_delete(model_t *m, size_t at, size_t count)
{
    memmove(&m->v[at], &m->v[at + count], (m->n - at - count) * sizeof(int));
    m->n -= count;
}

/* Model LREM. */
static size_t model_remove(model_t *m, long count, int v)
{
    size_t removed = 0, max = count < 0 ? (size_t)-count : (size_t)count;

    if (count >= 0) {
        for (size_t i = 0; i < m->n && (max == 0 || removed < max);) {
            if (strcmp(pv(m->v[i]), pv(v)) == 0) {
                model_delete(m, i, 1);
                removed++;
            } else {
                i++;
            }
        }
    } else {
        for (size_t i = m->n; i-- > 0 && removed < max;) {
            if (strcmp(pv(m->v[i]), pv(v)) == 0) {
                model_delete(m, i, 1);
                removed++;
            }
        }
    }
    return removed;
}

/* Index of the first model value equal to v, or -1. */
static long model_find(const model_t *m, int v)
{
    for (size_t i = 0; i < m->n; i++)
        if (strcmp(pv(m->v[i]), pv(v)) == 0) return (long)i;
    return -1;
}

static void op_push_pop(hp_obj_t *o, model_t *m, int v)
{
    int where = (int)(rnd() % 2), err = 1;
    hp_obj_t *s;

    if (rnd() % 3 && m->n < MODEL_MAX) {
        assert_int_equal(hp_list_push(o, where, pv(v), pl(v)), 0);
        model_insert(m, where ? m->n : 0, v);
        return;
    }
    s = hp_list_pop(o, where, &err);
    assert_int_equal(err, 0);
    if (m->n == 0) {
        assert_null(s);
        return;
    }
    {
        char nb[HP_INT_BUF];
        size_t len;
        const char *b = hp_str_bytes(s, nb, &len);
        int want = m->v[where ? m->n - 1 : 0];

        assert_int_equal(len, pl(want));
        assert_memory_equal(b, pv(want), len);
    }
    hp_decref(s);
    model_delete(m, where ? m->n - 1 : 0, 1);
}

static void op_index_set(hp_obj_t *o, model_t *m, int v)
{
    hp_elem_t e;
    long i;

    if (m->n == 0) {
        assert_int_equal(hp_list_index(o, 0, &e), -ERANGE);
        assert_int_equal(hp_list_set(o, -1, "x", 1), -ERANGE);
        return;
    }
    i = (long)(rnd() % m->n);
    assert_int_equal(hp_list_index(o, i, &e), 0);
    assert_elem(&e, m->v[i]);
    assert_int_equal(hp_list_index(o, i - (long)m->n, &e), 0);
    assert_elem(&e, m->v[i]);
    assert_int_equal(hp_list_index(o, (long)m->n, &e), -ERANGE);
    assert_int_equal(hp_list_index(o, -(long)m->n - 1, &e), -ERANGE);
    assert_int_equal(hp_list_set(o, i, pv(v), pl(v)), 0);
    m->v[i] = v;
}

static void op_insert(hp_obj_t *o, model_t *m, int v)
{
    int pivot = (int)(rnd() % POOL_N), after = (int)(rnd() % 2);
    long at = model_find(m, pivot);
    int rc;

    if (m->n >= MODEL_MAX) return;
    rc = hp_list_insert(o, after, pv(pivot), pl(pivot), pv(v), pl(v));
    if (at < 0) {
        assert_int_equal(rc, -ENOENT);
        return;
    }
    assert_int_equal(rc, 0);
    model_insert(m, (size_t)at + (size_t)after, v);
}

static void op_remove_trim(hp_obj_t *o, model_t *m, int v)
{
    long count = (long)(rnd() % 7) - 3, start, stop;
    size_t first, n;

    if (rnd() % 4) {
        size_t want = model_remove(m, count, v);

        assert_int_equal(hp_list_remove(o, count, pv(v), pl(v)), want);
        return;
    }
    /* Trim only a little, so the list keeps growing. */
    start = (long)(rnd() % 3) - (rnd() % 2 ? 0 : (long)m->n);
    stop = -1 - (long)(rnd() % 3);
    hp_list_range(o, start, stop, &first, &n);
    hp_list_trim(o, start, stop);
    model_delete(m, first + n, m->n - first - n);
    model_delete(m, 0, first);
}

static void op_range(hp_obj_t *o, model_t *m)
{
    long start = (long)(rnd() % (m->n + 4)) - 2;
    long stop = (long)(rnd() % (m->n + 4)) - (long)(m->n / 2);
    size_t first, n, i = 0;
    hp_list_iter_t it;
    hp_elem_t e;

    hp_list_range(o, start, stop, &first, &n);
    hp_list_iter_init(&it, o, (long)first, n, 0);
    while (hp_list_iter_next(&it, &e))
        assert_elem(&e, m->v[first + i++]);
    assert_int_equal(i, n);
    if (n) {
        hp_list_iter_init(&it, o, (long)(first + n - 1), n, 1);
        while (hp_list_iter_next(&it, &e))
            assert_elem(&e, m->v[first + --i]);
        assert_int_equal(i, 0);
    }
}

static void op_delete_range(hp_obj_t *o, model_t *m)
{
    size_t start, count = rnd() % 5;

    if (m->n == 0) return;
    start = rnd() % m->n;
    if (count > m->n - start) {
        assert_int_equal(hp_list_delete_range(o, start, count), m->n - start);
        count = m->n - start;
    } else {
        assert_int_equal(hp_list_delete_range(o, start, count), count);
    }
    model_delete(m, start, count);
}

/* Random operations under one fill. */
static void run_random(int fill, uint64_t seed, int ops)
{
    size_t base = hp_mem_used();
    model_t *m = calloc(1, sizeof(*m));
    hp_obj_t *o;
    int saved = hp_limits.list_max_listpack_size;

    hp_limits.list_max_listpack_size = fill;
    o = hp_list_new();
    hp_limits.list_max_listpack_size = saved;
    assert_non_null(o);
    rng_state = seed;
    for (int i = 0; i < ops; i++) {
        int v = (int)(rnd() % POOL_N);

        switch (rnd() % 8) {
        case 0:
        case 1:
        case 2:
            op_push_pop(o, m, v);
            break;
        case 3:
            op_index_set(o, m, v);
            break;
        case 4:
            op_insert(o, m, v);
            break;
        case 5:
            op_remove_trim(o, m, v);
            break;
        case 6:
            op_range(o, m);
            break;
        default:
            op_delete_range(o, m);
            break;
        }
        if (i % 97 == 0) check(o, m);
    }
    check(o, m);
    assert_string_equal(hp_encoding_name(o), "quicklist");
    assert_string_equal(hp_type_name(o), "list");
    assert_int_equal(hp_obj_mem(o), hp_mem_used() - base);
    hp_decref(o);
    free(m);
    assert_int_equal(hp_mem_used(), base);
}

static void test_list_random_fill_count(void **state)
{
    run_random(1, 11, 6000);
    run_random(2, 12, 6000);
    run_random(7, 13, 8000);
    run_random(128, 14, 8000);
}

static void test_list_random_fill_bytes(void **state)
{
    run_random(-1, 21, 8000);
    run_random(-2, 22, 8000);
    run_random(-5, 23, 4000);
}

static void test_list_nodes_bounded(void **state)
{
    hp_obj_t *o;
    hp_ql_t *ql;
    int saved = hp_limits.list_max_listpack_size;

    hp_limits.list_max_listpack_size = 4;
    o = hp_list_new();
    hp_limits.list_max_listpack_size = saved;
    for (int i = 0; i < 40; i++)
        assert_int_equal(hp_list_push(o, HP_LIST_TAIL, "x", 1), 0);
    ql = o->v.ptr;
    assert_int_equal(ql->len, 10);
    /* Middle inserts split full nodes instead of growing them. */
    for (int i = 0; i < 40; i++)
        assert_int_equal(hp_list_insert(o, 0, "x", 1, "y", 1), 0);
    for (hp_ql_node_t *n = ql->head; n; n = n->next)
        assert_true(n->count <= 4);
    assert_int_equal(hp_list_remove(o, 0, "x", 1), 40);
    assert_int_equal(hp_list_len(o), 40);
    assert_int_equal(hp_ql_validate(ql), 0);
    hp_list_trim(o, 5, 2);
    assert_int_equal(hp_list_len(o), 0);
    assert_null(ql->head);
    hp_decref(o);
}

static void test_list_default_node_size_8k(void **state)
{
    hp_obj_t *o = hp_list_new();
    hp_ql_t *ql = o->v.ptr;

    for (int i = 0; i < 2000; i++)
        assert_int_equal(hp_list_push(o, HP_LIST_HEAD, longval, 100), 0);
    for (hp_ql_node_t *n = ql->head; n; n = n->next)
        assert_true(hp_lp_bytes(n->lp) <= 8192);
    assert_true(ql->len >= 2000 * 100 / 8192);
    hp_decref(o);
}

/* Run op once per failure point: it either succeeds or leaves the list as
 * it was (checked by the model), and never leaks. */
static void test_list_oom_every_point(void **state)
{
    size_t base = hp_mem_used();
    int saved = hp_limits.list_max_listpack_size;
    model_t *m = calloc(1, sizeof(*m));
    hp_obj_t *o;
    long n;

    /* Each of the constructor's allocations may fail, cleanly. */
    for (n = 1;; n++) {
        oom_fail_at(n, 0);
        o = hp_list_new();
        oom_off();
        if (o) break;
        assert_int_equal(hp_mem_used(), base);
    }
    assert_int_equal(n, 3);
    hp_decref(o);
    hp_limits.list_max_listpack_size = 3;
    o = hp_list_new();
    hp_limits.list_max_listpack_size = saved;
    for (int i = 0; i < 9; i++) {
        assert_int_equal(hp_list_push(o, HP_LIST_TAIL, pv(i), pl(i)), 0);
        model_insert(m, m->n, i);
    }
    for (n = 1; n < 10; n++) {
        int rc, err;
        hp_obj_t *s;

        oom_fail_at(n, 1);
        rc = hp_list_push(o, HP_LIST_HEAD, pv(12), pl(12));
        if (rc == 0) model_insert(m, 0, 12);
        rc = hp_list_insert(o, 1, "b", 1, pv(8), pl(8));
        if (rc == 0) model_insert(m, (size_t)model_find(m, 1) + 1, 8);
        rc = hp_list_set(o, 4, pv(12), pl(12));
        if (rc == 0) m->v[4] = 12;
        s = hp_list_pop(o, HP_LIST_TAIL, &err);
        if (s) {
            model_delete(m, m->n - 1, 1);
            hp_decref(s);
        } else {
            assert_int_equal(err, -ENOMEM);
        }
        oom_off();
        check(o, m);
    }
    hp_decref(o);
    free(m);
    assert_int_equal(hp_mem_used(), base);
}

static int setup(void **state)
{
    memset(longval, 'L', sizeof(longval) - 1);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_list_random_fill_count),
        cmocka_unit_test(test_list_random_fill_bytes),
        cmocka_unit_test(test_list_nodes_bounded),
        cmocka_unit_test(test_list_default_node_size_8k),
        cmocka_unit_test(test_list_oom_every_point),
    };

    return cmocka_run_group_tests(tests, setup, NULL);
}
