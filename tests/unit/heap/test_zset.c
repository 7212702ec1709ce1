/*
 * test_zset.c - heap/zsetobj.c: sorted set objects in both encodings,
 * seeded random ZADD (every flag combination) / ZREM / rank deletes
 * checked against a sorted array model after each step, ranges by score
 * and lex, iteration both ways, the listpack -> skiplist conversion at
 * each threshold and back (hp_zset_shrink_if_small), COPY, SCAN, memory
 * accounting and allocation failures at every point.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <math.h>

#include <cmocka.h>

#include "heap_int.h"
#include "heap_zset.h"
#include "oom.h"

#define NMEMBERS 300

typedef struct item {
    double score;
    char m[80];
    size_t len;
} item_t;

static item_t model[NMEMBERS];
static size_t nmodel;
static uint64_t rng_state;

static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static int item_cmp(const void *a, const void *b)
{
    const item_t *x = a, *y = b;

    if (x->score != y->score) return x->score < y->score ? -1 : 1;
    return hp__zset_cmp(x->m, x->len, y->m, y->len);
}

static long model_find(const char *m, size_t len)
{
    for (size_t i = 0; i < nmodel; i++)
        if (model[i].len == len && memcmp(model[i].m, m, len) == 0)
            return (long)i;
    return -1;
}

/* Member names: integers (stored as integer entries by the listpack),
 * short strings, and with `longp` percent chance a long one. */
static size_t random_member(char *buf, int longp)
{
    unsigned k = (unsigned)(rnd() % NMEMBERS);

    if ((int)(rnd() % 100) < longp)
        return (size_t)sprintf(buf, "long-member-%u-%060u", k, k);
    return (size_t)sprintf(buf, k % 3 ? "m%u" : "%u", k);
}

static double random_score(void)
{
    return (double)(long)(rnd() % 40) - 20 + (rnd() % 3 ? 0 : 0.25);
}

/* The bytes of e into buf (NUL ended for messages). */
static size_t elem_copy(const hp_elem_t *e, char *buf)
{
    char nb[HP_INT_BUF];
    size_t len;
    const char *b = hp_elem_bytes(e, nb, &len);

    memcpy(buf, b, len);
    buf[len] = '\0';
    return len;
}

/* Whole-object check: length, order via iteration both ways, scores,
 * ranks, hp_zset_at, and the skiplist structure. */
static void check(hp_obj_t *o)
{
    hp_zset_iter_t it;
    hp_elem_t m;
    double s;
    char buf[128];
    size_t i = 0, len;

    assert_int_equal(hp_zset_len(o), nmodel);
    if (o->encoding == HP_ENC_SKIPLIST) {
        hp_zset_sl_t *zs = o->v.ptr;

        assert_int_equal(hp__zbt_validate(zs->tree), 0);
        assert_int_equal(hp_dict_size(zs->dict), nmodel);
    }
    hp_zset_iter_init(&it, o, 0, nmodel, 0);
    while (hp_zset_iter_next(&it, &m, &s)) {
        len = elem_copy(&m, buf);
        assert_int_equal(len, model[i].len);
        assert_memory_equal(buf, model[i].m, len);
        assert_true(s == model[i].score);
        assert_int_equal(hp_zset_rank(o, buf, len, 0), (long)i);
        assert_int_equal(hp_zset_rank(o, buf, len, 1), (long)(nmodel - 1 - i));
        i++;
    }
    assert_int_equal(i, nmodel);
    if (nmodel) {
        hp_zset_iter_init(&it, o, nmodel - 1, nmodel, 1);
        while (hp_zset_iter_next(&it, &m, &s)) {
            i--;
            len = elem_copy(&m, buf);
            assert_memory_equal(buf, model[i].m, len);
        }
        assert_int_equal(i, 0);
        size_t r = (size_t)(rnd() % nmodel);

        assert_int_equal(hp_zset_at(o, r, &m, &s), 0);
        assert_true(s == model[r].score);
    }
    assert_int_equal(hp_zset_at(o, nmodel, &m, &s), -ERANGE);
}

/* One random ZADD with random flags, checked against the model. */
static void random_add(hp_obj_t *o, int longp)
{
    static const int combos[] = {0,
                                 HP_ZADD_NX,
                                 HP_ZADD_XX,
                                 HP_ZADD_GT,
                                 HP_ZADD_LT,
                                 HP_ZADD_INCR,
                                 HP_ZADD_XX | HP_ZADD_GT,
                                 HP_ZADD_INCR | HP_ZADD_LT,
                                 HP_ZADD_NX | HP_ZADD_INCR};
    char m[128];
    size_t len = random_member(m, longp);
    int flags = combos[rnd() % (sizeof(combos) / sizeof(combos[0]))];
    double s = random_score(), ns = -12345, want = s;
    long at = model_find(m, len);
    int out, expect = 0;

    assert_int_equal(hp_zset_add(o, s, m, len, flags, &out, &ns), 0);
    if (at >= 0) {
        double cur = model[at].score;

        if (flags & HP_ZADD_INCR) want = cur + s;
        if (flags & HP_ZADD_NX)
            expect = HP_ZADD_OUT_NOP;
        else if (((flags & HP_ZADD_LT) && want >= cur) ||
                 ((flags & HP_ZADD_GT) && want <= cur))
            expect = HP_ZADD_OUT_NOP;
        else if (want != cur)
            expect = HP_ZADD_OUT_UPDATED;
        if (!(expect & HP_ZADD_OUT_NOP)) {
            assert_true(ns == want);
            model[at].score = want;
        }
    } else if (flags & HP_ZADD_XX) {
        expect = HP_ZADD_OUT_NOP;
    } else {
        expect = HP_ZADD_OUT_ADDED;
        assert_true(ns == s);
        model[nmodel].score = s;
        memcpy(model[nmodel].m, m, len);
        model[nmodel++].len = len;
    }
    assert_int_equal(out, expect);
    qsort(model, nmodel, sizeof(model[0]), item_cmp);
}

static void random_remove(hp_obj_t *o)
{
    char m[128];
    size_t len = random_member(m, 5);
    long at = model_find(m, len);

    assert_int_equal(hp_zset_remove(o, m, len), at >= 0 ? 0 : -ENOENT);
    if (at >= 0) {
        model[at] = model[--nmodel];
        qsort(model, nmodel, sizeof(model[0]), item_cmp);
    }
}

static void random_span_check(hp_obj_t *o)
{
    hp_zrange_t r = {random_score(), random_score(), (int)(rnd() % 2),
                     (int)(rnd() % 2)};
    size_t first, count, mf = 0, mc = 0;

    hp_zset_span_score(o, &r, &first, &count);
    for (size_t i = 0; i < nmodel; i++) {
        if (!hp__zrange_gte_min(model[i].score, &r))
            mf = i + 1;
        else if (hp__zrange_lte_max(model[i].score, &r))
            mc++;
    }
    assert_int_equal(count, mc);
    if (mc) assert_int_equal(first, mf);
}

/* Run n random operations with member length mix longp. */
static void run_random(hp_obj_t *o, int n, int longp, int removes)
{
    for (int i = 0; i < n; i++) {
        if ((int)(rnd() % 100) < removes)
            random_remove(o);
        else
            random_add(o, longp);
        random_span_check(o);
        if (i % 25 == 0) check(o);
    }
    check(o);
}

static void test_zset_small_stays_listpack(void **state)
{
    hp_obj_t *o = hp_zset_new(1, 1);
    size_t saved = hp_limits.zset_max_listpack_entries;

    (void)state;
    rng_state = 11;
    nmodel = 0;
    hp_limits.zset_max_listpack_entries = 1000;
    assert_int_equal(o->encoding, HP_ENC_LISTPACK);
    run_random(o, 2000, 0, 30);
    assert_int_equal(o->encoding, HP_ENC_LISTPACK);
    assert_string_equal(hp_encoding_name(o), "listpack");
    hp_limits.zset_max_listpack_entries = saved;
    hp_decref(o);
}

static void test_zset_converts_on_entries(void **state)
{
    size_t base = hp_mem_used();
    hp_obj_t *o = hp_zset_new(1, 1);

    (void)state;
    rng_state = 12;
    nmodel = 0;
    while (nmodel < 128) random_add(o, 0);
    assert_int_equal(o->encoding, HP_ENC_LISTPACK);
    check(o);
    while (nmodel < 129) random_add(o, 0);
    assert_int_equal(o->encoding, HP_ENC_SKIPLIST);
    assert_string_equal(hp_encoding_name(o), "skiplist");
    check(o);
    run_random(o, 3000, 0, 45);
    assert_int_equal(hp_obj_mem(o), hp_mem_used() - base);
    hp_decref(o);
    assert_int_equal(hp_mem_used(), base);
}

static void test_zset_converts_on_long_member(void **state)
{
    hp_obj_t *o = hp_zset_new(1, 1);
    int out;

    (void)state;
    rng_state = 13;
    nmodel = 0;
    run_random(o, 50, 0, 0);
    assert_int_equal(o->encoding, HP_ENC_LISTPACK);
    char big[65];
    memset(big, 'x', 64);
    assert_int_equal(hp_zset_add(o, 1, big, 64, 0, &out, NULL), 0);
    assert_int_equal(o->encoding, HP_ENC_LISTPACK);
    assert_int_equal(hp_zset_remove(o, big, 64), 0);
    memset(big, 'y', 65);
    assert_int_equal(hp_zset_add(o, 1, big, 65, 0, &out, NULL), 0);
    assert_int_equal(o->encoding, HP_ENC_SKIPLIST);
    assert_int_equal(hp_zset_remove(o, big, 65), 0);
    check(o);
    run_random(o, 1000, 20, 40);
    hp_decref(o);

    /* Creation hints. */
    o = hp_zset_new(1, 65);
    assert_int_equal(o->encoding, HP_ENC_SKIPLIST);
    hp_decref(o);
    o = hp_zset_new(129, 1);
    assert_int_equal(o->encoding, HP_ENC_SKIPLIST);
    hp_decref(o);
}

static void test_zset_shrink_and_copy(void **state)
{
    hp_obj_t *o = hp_zset_new(200, 1), *c;
    size_t first, count;

    (void)state;
    rng_state = 14;
    nmodel = 0;
    run_random(o, 100, 0, 0);
    assert_int_equal(o->encoding, HP_ENC_SKIPLIST);
    c = hp_zset_copy(o);
    assert_int_equal(c->encoding, HP_ENC_SKIPLIST);
    check(c);
    hp_decref(c);
    assert_int_equal(hp_zset_shrink_if_small(o), 0);
    assert_int_equal(o->encoding, HP_ENC_LISTPACK);
    check(o);
    c = hp_zset_copy(o);
    assert_int_equal(c->encoding, HP_ENC_LISTPACK);
    check(c);
    hp_decref(c);
    /* Delete ranks in the listpack. */
    first = 3;
    count = 10;
    assert_int_equal(hp_zset_delete_ranks(o, first, count), 10);
    memmove(&model[first], &model[first + count],
            (nmodel - first - count) * sizeof(model[0]));
    nmodel -= count;
    check(o);
    assert_int_equal(hp_zset_delete_ranks(o, nmodel - 2, 100), 2);
    nmodel -= 2;
    check(o);
    hp_decref(o);
}

static void test_zset_nan_and_incr(void **state)
{
    hp_obj_t *o = hp_zset_new(1, 1);
    int out;
    double ns;

    (void)state;
    assert_int_equal(hp_zset_add(o, NAN, "a", 1, 0, &out, &ns), 0);
    assert_int_equal(out, HP_ZADD_OUT_NAN);
    assert_int_equal(hp_zset_len(o), 0);
    assert_int_equal(hp_zset_add(o, INFINITY, "a", 1, 0, &out, &ns), 0);
    assert_int_equal(out, HP_ZADD_OUT_ADDED);
    assert_int_equal(hp_zset_add(o, -INFINITY, "a", 1, HP_ZADD_INCR, &out,
                                 &ns),
                     0);
    assert_int_equal(out, HP_ZADD_OUT_NAN);
    assert_int_equal(hp_zset_score(o, "a", 1, &ns), 0);
    assert_true(isinf(ns) && ns > 0);
    assert_int_equal(hp_zset_add(o, 5, "a", 1, HP_ZADD_XX, &out, &ns), 0);
    assert_int_equal(out, HP_ZADD_OUT_UPDATED);
    assert_int_equal(hp_zset_add(o, 5, "a", 1, 0, &out, &ns), 0);
    assert_int_equal(out, 0);
    hp_decref(o);
}

static void test_zset_lex_span_listpack(void **state)
{
    hp_obj_t *o = hp_zset_new(1, 1);
    const char *names[] = {"c", "a", "ab", "b", "1", "aa"};
    int out;
    size_t first, count;

    (void)state;
    for (int i = 0; i < 6; i++)
        hp_zset_add(o, 0, names[i], strlen(names[i]), 0, &out, NULL);
    hp_zlex_t lx = {{"a", 1, 0, 1}, {"b", 1, 0, 0}};
    hp_zset_span_lex(o, &lx, &first, &count);
    /* order: 1 a aa ab b c */
    assert_int_equal(first, 2);
    assert_int_equal(count, 3);
    lx.max.ex = 1;
    hp_zset_span_lex(o, &lx, &first, &count);
    assert_int_equal(count, 2);
    hp_decref(o);
}

static int scanned;

static void scan_cb(void *ud, const char *m, size_t len, double s)
{
    (void)ud;
    (void)s;
    assert_true(model_find(m, len) >= 0);
    scanned++;
}

static void test_zset_scan_both(void **state)
{
    hp_obj_t *o = hp_zset_new(1, 1);
    uint64_t cur = 0;

    (void)state;
    rng_state = 15;
    nmodel = 0;
    run_random(o, 60, 0, 0);
    scanned = 0;
    assert_int_equal(hp_zset_scan(o, 0, scan_cb, NULL), 0);
    assert_int_equal(scanned, (int)nmodel);
    run_random(o, 400, 0, 0);
    assert_int_equal(o->encoding, HP_ENC_SKIPLIST);
    scanned = 0;
    do {
        cur = hp_zset_scan(o, cur, scan_cb, NULL);
    } while (cur);
    assert_int_equal(scanned, (int)nmodel);
    hp_decref(o);
}

/* Every operation under a failure at each allocation: fails cleanly
 * (-ENOMEM, content unchanged) or succeeds. */
static void test_zset_oom_everywhere(void **state)
{
    (void)state;
    for (int enc = 0; enc < 2; enc++) {
        for (long n = 1; n < 400; n++) {
            size_t base = hp_mem_used();
            hp_obj_t *o = hp_zset_new(1, 1);
            int out, rc;

            rng_state = 16;
            nmodel = 0;
            run_random(o, enc ? 260 : 40, 0, 0);
            oom_fail_at(n, 0);
            /* A new member (may convert), then an update. */
            rc = hp_zset_add(o, 0.5, "newmember", 9, 0, &out, NULL);
            oom_off();
            if (rc == 0) {
                model[nmodel].score = 0.5;
                memcpy(model[nmodel].m, "newmember", 9);
                model[nmodel++].len = 9;
                qsort(model, nmodel, sizeof(model[0]), item_cmp);
            } else {
                assert_int_equal(rc, -ENOMEM);
            }
            check(o);
            oom_fail_at(n, 0);
            rc = hp_zset_add(o, 100, model[0].m, model[0].len, 0, &out, NULL);
            oom_off();
            if (rc == 0) {
                model[0].score = 100;
                qsort(model, nmodel, sizeof(model[0]), item_cmp);
            }
            check(o);
            oom_fail_at(n, 0);
            hp_obj_t *c = hp_zset_copy(o);
            oom_off();
            if (c) {
                check(c);
                hp_decref(c);
            }
            hp_decref(o);
            assert_int_equal(hp_mem_used(), base);
        }
    }
}

/* Removing most members of a skiplist zset, one by one or by rank,
 * shrinks its dict's table (as hp_set_remove); the rest keep their
 * scores. */
static void test_zset_table_shrinks_on_remove(void **state)
{
    hp_obj_t *o = hp_zset_new(0, 0);
    hp_dict_t *d;
    char k[32];
    size_t full;
    double sc;
    int out;

    (void)state;
    for (int i = 0; i < 10000; i++) {
        snprintf(k, sizeof(k), "z%d", i);
        assert_int_equal(hp_zset_add(o, i, k, strlen(k), 0, &out, NULL), 0);
    }
    assert_int_equal(o->encoding, HP_ENC_SKIPLIST);
    d = ((hp_zset_sl_t *)o->v.ptr)->dict;
    while (hp__dict_rehash(d, 1000)) {}
    full = hp_dict_mem(d);
    for (int i = 0; i < 5000; i++) {
        snprintf(k, sizeof(k), "z%d", i);
        assert_int_equal(hp_zset_remove(o, k, strlen(k)), 0);
    }
    assert_int_equal(hp_zset_delete_ranks(o, 0, 4700), 4700);
    while (hp__dict_rehash(d, 1000)) {}
    assert_true(hp_dict_mem(d) < full / 16);
    assert_int_equal(hp_zset_len(o), 300);
    for (int i = 9700; i < 10000; i++) {
        snprintf(k, sizeof(k), "z%d", i);
        assert_int_equal(hp_zset_score(o, k, strlen(k), &sc), 0);
        assert_true(sc == i);
    }
    hp_decref(o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_zset_small_stays_listpack),
        cmocka_unit_test(test_zset_converts_on_entries),
        cmocka_unit_test(test_zset_converts_on_long_member),
        cmocka_unit_test(test_zset_shrink_and_copy),
        cmocka_unit_test(test_zset_nan_and_incr),
        cmocka_unit_test(test_zset_lex_span_listpack),
        cmocka_unit_test(test_zset_scan_both),
        cmocka_unit_test(test_zset_oom_everywhere),
        cmocka_unit_test(test_zset_table_shrinks_on_remove),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
