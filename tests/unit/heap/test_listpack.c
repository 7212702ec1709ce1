/*
 * test_listpack.c - heap/listpack.c: every entry encoding round-trips,
 * navigation both ways, bounds checks, and thousands of seeded random
 * operations checked against a plain array model, with the structure
 * validated after each; allocation failures leave it unchanged.
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

#define MODEL_MAX 400
#define VAL_MAX 70000

/* The model: an array of byte strings. */
typedef struct model {
    char *v[MODEL_MAX];
    size_t len[MODEL_MAX];
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

/* A random value into buf: integers of every width, near-integers that
 * must stay strings, short and long strings. Returns its length. */
static size_t rand_value(char *buf)
{
    static const char *const odd[] = {"-0", "007", "+1", " 1", "1 ", "",
                                      "9223372036854775808",
                                      "-9223372036854775809", "-", "1e3"};
    static const int64_t edges[] = {0, 127, 128, -1, -128, -129, 32767,
                                    32768, -32768, -32769, INT32_MAX,
                                    (int64_t)INT32_MAX + 1, INT32_MIN,
                                    INT64_MAX, INT64_MIN};
    size_t len;

    switch (rnd() % 8) {
    case 0:
        return (size_t)sprintf(buf, "%lld",
                               (long long)edges[rnd() % (sizeof(edges) /
                                                         sizeof(edges[0]))]);
    case 1:
        return (size_t)sprintf(buf, "%lld", (long long)(int64_t)rnd());
    case 2:
        return (size_t)sprintf(buf, "%d", (int)(rnd() % 2000) - 1000);
    case 3: {
        const char *s = odd[rnd() % (sizeof(odd) / sizeof(odd[0]))];

        memcpy(buf, s, strlen(s));
        return strlen(s);
    }
    case 4:
        len = rnd() % 400 == 0 ? 66000 + rnd() % 1000 : rnd() % 300;
        break;
    default:
        len = rnd() % 70;
        break;
    }
    for (size_t i = 0; i < len; i++)
        buf[i] = (char)('a' + rnd() % 26);
    return len;
}

/* Assert the listpack holds exactly the model, walked both ways. */
static void check(unsigned char *lp, const model_t *m)
{
    char nb[HP_INT_BUF];
    unsigned char *p;
    hp_elem_t e;
    size_t i, len;
    const char *b;

    assert_int_equal(hp_lp_validate(lp), 0);
    assert_int_equal(hp_lp_len(lp), m->n);
    for (i = 0, p = hp_lp_first(lp); p; p = hp_lp_next(lp, p), i++) {
        hp_lp_get(p, &e);
        b = hp_elem_bytes(&e, nb, &len);
        assert_int_equal(len, m->len[i]);
        assert_memory_equal(b, m->v[i], len);
    }
    assert_int_equal(i, m->n);
    for (i = m->n, p = hp_lp_last(lp); p; p = hp_lp_prev(lp, p)) {
        i--;
        assert_true(hp_lp_eq(p, m->v[i], m->len[i]));
    }
    assert_int_equal(i, 0);
}

static void model_insert(model_t *m, size_t at, const char *s, size_t len)
{
    char *c = malloc(len + 1);

    memcpy(c, s, len);
    memmove(&m->v[at + 1], &m->v[at], (m->n - at) * sizeof(char *));
    memmove(&m->len[at + 1], &m->len[at], (m->n - at) * sizeof(size_t));
    m->v[at] = c;
    m->len[at] = len;
    m->n++;
}

static void model_delete(model_t *m, size_t at, size_t count)
{
    for (size_t i = at; i < at + count; i++)
        free(m->v[i]);
    memmove(&m->v[at], &m->v[at + count], (m->n - at - count) * sizeof(char *));
    memmove(&m->len[at], &m->len[at + count],
            (m->n - at - count) * sizeof(size_t));
    m->n -= count;
}

static void model_clear(model_t *m)
{
    model_delete(m, 0, m->n);
}

static void test_listpack_empty(void **state)
{
    size_t base = hp_mem_used();
    unsigned char *lp = hp_lp_new();

    assert_non_null(lp);
    assert_int_equal(hp_lp_len(lp), 0);
    assert_int_equal(hp_lp_bytes(lp), HP_LP_HDR + 1);
    assert_null(hp_lp_first(lp));
    assert_null(hp_lp_last(lp));
    assert_null(hp_lp_seek(lp, 0));
    assert_null(hp_lp_seek(lp, -1));
    assert_int_equal(hp_lp_delete(&lp, 0, 1), -ERANGE);
    assert_int_equal(hp_lp_replace(&lp, 0, "x", 1), -ERANGE);
    assert_int_equal(hp_lp_insert(&lp, 1, "x", 1), -ERANGE);
    assert_int_equal(hp_lp_insert(&lp, -2, "x", 1), -ERANGE);
    assert_int_equal(hp_lp_validate(lp), 0);
    hp_lp_free(lp);
    hp_lp_free(NULL);
    assert_int_equal(hp_mem_used(), base);
}

static void test_listpack_integers_are_compact(void **state)
{
    unsigned char *lp = hp_lp_new();
    hp_elem_t e;

    assert_int_equal(hp_lp_append(&lp, "5", 1), 0);
    assert_int_equal(hp_lp_bytes(lp), HP_LP_HDR + 1 + 2);
    assert_int_equal(hp_lp_append(&lp, "-9223372036854775808", 20), 0);
    assert_int_equal(hp_lp_bytes(lp), HP_LP_HDR + 1 + 2 + 10);
    hp_lp_get(hp_lp_seek(lp, -1), &e);
    assert_null(e.s);
    assert_true(e.i == INT64_MIN);
    assert_int_equal(hp_lp_insert_int(&lp, 0, -200), 0);
    hp_lp_get(hp_lp_seek(lp, 0), &e);
    assert_null(e.s);
    assert_int_equal(e.i, -200);
    assert_int_equal(hp_lp_append(&lp, "05", 2), 0);
    hp_lp_get(hp_lp_seek(lp, 3), &e);
    assert_non_null(e.s);
    assert_int_equal(e.len, 2);
    assert_true(hp_lp_eq(hp_lp_seek(lp, 1), "5", 1));
    assert_false(hp_lp_eq(hp_lp_seek(lp, 1), "05", 2));
    assert_false(hp_lp_eq(hp_lp_seek(lp, 3), "5", 1));
    assert_int_equal(hp_lp_validate(lp), 0);
    hp_lp_free(lp);
}

static void test_listpack_find_with_skip(void **state)
{
    unsigned char *lp = hp_lp_new();
    const char *kv[] = {"a", "b", "b", "a", "c", "1"};

    for (int i = 0; i < 6; i++)
        assert_int_equal(hp_lp_append(&lp, kv[i], 1), 0);
    /* As a hash: fields at even positions. "a" is field 0, "b" field 1. */
    assert_int_equal(hp_lp_index_of(lp, hp_lp_find(lp, hp_lp_first(lp), "b",
                                                    1, 1)),
                     2);
    assert_null(hp_lp_find(lp, hp_lp_first(lp), "1", 1, 1));
    assert_int_equal(hp_lp_index_of(lp, hp_lp_find(lp, hp_lp_first(lp), "1",
                                                    1, 0)),
                     5);
    hp_lp_free(lp);
}

static void test_listpack_split_merge(void **state)
{
    size_t base = hp_mem_used();
    unsigned char *lp = hp_lp_new(), *tail;
    char buf[16];

    for (int i = 0; i < 50; i++) {
        size_t n = (size_t)sprintf(buf, "v%d", i);

        assert_int_equal(hp_lp_append(&lp, buf, n), 0);
    }
    assert_null(hp_lp_split(&lp, 0));
    assert_null(hp_lp_split(&lp, 50));
    tail = hp_lp_split(&lp, 20);
    assert_non_null(tail);
    assert_int_equal(hp_lp_len(lp), 20);
    assert_int_equal(hp_lp_len(tail), 30);
    assert_int_equal(hp_lp_validate(lp), 0);
    assert_int_equal(hp_lp_validate(tail), 0);
    assert_true(hp_lp_eq(hp_lp_first(tail), "v20", 3));
    assert_int_equal(hp_lp_merge(&lp, tail), 0);
    assert_int_equal(hp_lp_len(lp), 50);
    assert_int_equal(hp_lp_validate(lp), 0);
    assert_true(hp_lp_eq(hp_lp_seek(lp, 49), "v49", 3));
    hp_lp_free(tail);
    hp_lp_free(lp);
    assert_int_equal(hp_mem_used(), base);
}

/* One random operation on both the listpack and the model. */
static void random_op(unsigned char **lpp, model_t *m, char *buf)
{
    size_t len = rand_value(buf);
    long idx;

    switch (rnd() % 6) {
    case 0:
    case 1:
        if (m->n >= MODEL_MAX) break;
        idx = (long)(rnd() % (m->n + 1));
        if (rnd() % 2) {
            assert_int_equal(hp_lp_insert(lpp, idx - (long)m->n - 1, buf, len),
                             0);
        } else {
            assert_int_equal(hp_lp_insert(lpp, idx, buf, len), 0);
        }
        model_insert(m, (size_t)idx, buf, len);
        break;
    case 2:
        if (m->n == 0) break;
        idx = (long)(rnd() % m->n);
        assert_int_equal(hp_lp_replace(lpp, idx, buf, len), 0);
        model_delete(m, (size_t)idx, 1);
        model_insert(m, (size_t)idx, buf, len);
        break;
    case 3: {
        size_t count = rnd() % 4;
        long got;

        if (m->n == 0) break;
        idx = (long)(rnd() % m->n);
        got = hp_lp_delete(lpp, idx - (long)m->n, count);
        if (count > m->n - (size_t)idx) count = m->n - (size_t)idx;
        assert_int_equal(got, (long)count);
        model_delete(m, (size_t)idx, count);
        break;
    }
    case 4:
        if (m->n == 0) {
            assert_null(hp_lp_seek(*lpp, 0));
            break;
        }
        idx = (long)(rnd() % m->n);
        assert_true(hp_lp_eq(hp_lp_seek(*lpp, idx), m->v[idx], m->len[idx]));
        assert_true(hp_lp_eq(hp_lp_seek(*lpp, idx - (long)m->n), m->v[idx],
                             m->len[idx]));
        assert_null(hp_lp_seek(*lpp, (long)m->n));
        assert_null(hp_lp_seek(*lpp, -(long)m->n - 1));
        break;
    default:
        if (m->n == 0) break;
        idx = (long)(rnd() % m->n);
        assert_int_equal(
            hp_lp_index_of(*lpp, hp_lp_find(*lpp, hp_lp_first(*lpp), m->v[idx],
                                            m->len[idx], 0)) <= (size_t)idx,
            1);
        break;
    }
}

static void test_listpack_random_against_model(void **state)
{
    size_t base = hp_mem_used();
    char *buf = malloc(VAL_MAX);
    model_t m = {.n = 0};
    unsigned char *lp = hp_lp_new();

    rng_state = 0x9e3779b97f4a7c15ULL;
    for (int i = 0; i < 20000; i++) {
        random_op(&lp, &m, buf);
        if (i % 50 == 0) check(lp, &m);
        if (i % 5000 == 4999) {
            assert_int_equal(hp_lp_delete(&lp, 0, m.n + 5), (long)m.n);
            model_clear(&m);
        }
    }
    check(lp, &m);
    model_clear(&m);
    hp_lp_free(lp);
    free(buf);
    assert_int_equal(hp_mem_used(), base);
}

/* Every failure point of insert and replace leaves the listpack as it
 * was. */
static void test_listpack_oom_leaves_unchanged(void **state)
{
    unsigned char *lp = hp_lp_new();
    model_t m = {.n = 0};
    const char *big = "a fairly long string value that grows the block";

    for (int i = 0; i < 10; i++) {
        assert_int_equal(hp_lp_append(&lp, "x", 1), 0);
        model_insert(&m, m.n, "x", 1);
    }
    oom_fail_at(1, 1);
    assert_int_equal(hp_lp_insert(&lp, 3, big, strlen(big)), -ENOMEM);
    assert_int_equal(hp_lp_replace(&lp, 3, big, strlen(big)), -ENOMEM);
    assert_int_equal(hp_lp_insert_int(&lp, 0, INT64_MAX), -ENOMEM);
    /* Shrinking cannot fail. */
    assert_int_equal(hp_lp_delete(&lp, 0, 2), 2);
    model_delete(&m, 0, 2);
    assert_null(hp_lp_new());
    oom_off();
    check(lp, &m);
    model_clear(&m);
    hp_lp_free(lp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_listpack_empty),
        cmocka_unit_test(test_listpack_integers_are_compact),
        cmocka_unit_test(test_listpack_find_with_skip),
        cmocka_unit_test(test_listpack_split_merge),
        cmocka_unit_test(test_listpack_random_against_model),
        cmocka_unit_test(test_listpack_oom_leaves_unchanged),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
