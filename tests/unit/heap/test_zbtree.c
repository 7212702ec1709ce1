/*
 * test_zbtree.c - heap/zbtree.c, the counted B+tree of large zsets:
 * seeded random inserts, deletes and score updates (many equal scores, so
 * member order matters) checked against a sorted array model, with
 * hp__zbt_validate after every step on small trees and periodically on
 * trees of several levels; ranks, rank lookups and iteration both ways;
 * score and lex spans; deletion by rank; sorted bulk loads at either end
 * (node fill); and allocation failures in inserts and moves. As in a
 * zset, the member bytes live in dict entries (the dict `members`) that
 * the tree points at.
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

#include "heap_int.h"
#include "heap_zset.h"
#include "oom.h"

#define MAXMODEL 120000

/* The model: every present member with its score, kept sorted. */
typedef struct item {
    double score;
    char m[16];
    size_t len;
} item_t;

static item_t *model;
static size_t nmodel;
static uint64_t rng_state;
static const hp_dict_type_t members_type = {.val_free = NULL};
static hp_dict_t *members; /* owner of the member bytes of the tree */

static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* A new tree, an empty member dict and an empty model. */
static hp_zbt_t *tree_new(uint64_t seed)
{
    if (!model) model = malloc(MAXMODEL * sizeof(*model));
    assert_non_null(model);
    nmodel = 0;
    rng_state = seed;
    members = hp_dict_new(&members_type);
    assert_non_null(members);
    return hp__zbt_new();
}

/* Free the tree, then the member dict. */
static void tree_free(hp_zbt_t *t)
{
    hp__zbt_free(t);
    hp_dict_free(members);
    members = NULL;
}

static int item_cmp(const item_t *x, double s, const char *m, size_t len)
{
    if (x->score != s) return x->score < s ? -1 : 1;
    return hp__zset_cmp(x->m, x->len, m, len);
}

/* Model index of the first item >= (s, m). */
static size_t model_lower(double s, const char *m, size_t len)
{
    size_t lo = 0, hi = nmodel;

    while (lo < hi) {
        size_t mid = (lo + hi) / 2;

        if (item_cmp(&model[mid], s, m, len) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static void model_add(double s, const char *m, size_t len)
{
    size_t at = model_lower(s, m, len);

    assert_true(nmodel < MAXMODEL);
    memmove(&model[at + 1], &model[at], (nmodel - at) * sizeof(model[0]));
    model[at].score = s;
    memcpy(model[at].m, m, len);
    model[at].len = len;
    nmodel++;
}

static void model_del(size_t at)
{
    memmove(&model[at], &model[at + 1], (nmodel - at - 1) * sizeof(model[0]));
    nmodel--;
}

/* Insert (s, m) into the tree, its bytes into the member dict (dropped
 * again on failure). Returns hp__zbt_insert's result. */
static int tree_insert(hp_zbt_t *t, double s, const char *m, size_t len)
{
    int existed, rc;
    hp_dict_entry_t *e = hp_dict_add(members, m, len, &existed);

    assert_non_null(e);
    assert_int_equal(existed, 0);
    e->v.d = s;
    rc = hp__zbt_insert(t, s, e);
    if (rc < 0) hp_dict_delete(members, m, len);
    return rc;
}

/* Compare the whole tree with the model: validation, iteration both
 * ways, ranks and rank lookups. */
static void check(hp_zbt_t *t)
{
    hp_zbt_pos_t x = hp__zbt_first(t);

    assert_int_equal(hp__zbt_validate(t), 0);
    assert_int_equal(t->length, nmodel);
    for (size_t i = 0; i < nmodel; i++, hp__zbt_next(&x)) {
        assert_non_null(x.leaf);
        assert_true(hp__zbt_score(x) == model[i].score);
        assert_int_equal(hp__zbt_len(x), model[i].len);
        assert_memory_equal(hp__zbt_ele(x), model[i].m, model[i].len);
    }
    assert_null(x.leaf);
    if (nmodel) {
        assert_int_equal(hp__zbt_at(t, nmodel - 1, &x), 0);
        for (size_t i = nmodel; i-- > 0; hp__zbt_prev(&x)) {
            assert_non_null(x.leaf);
            assert_true(hp__zbt_score(x) == model[i].score);
        }
        assert_null(x.leaf);
    }
    for (int j = 0; j < 50 && nmodel; j++) {
        size_t i = (size_t)(rnd() % nmodel);

        assert_int_equal(hp__zbt_rank(t, model[i].score, model[i].m,
                                      model[i].len),
                         i + 1);
        assert_int_equal(hp__zbt_at(t, i, &x), 0);
        assert_memory_equal(hp__zbt_ele(x), model[i].m, model[i].len);
    }
    assert_int_equal(hp__zbt_at(t, nmodel, &x), -ERANGE);
    assert_null(x.leaf);
    assert_int_equal(hp__zbt_rank(t, 1e300, "absent", 6), 0);
}

/* A random member of nnames and a score from nscores values (ties). */
static size_t random_member(char *buf, unsigned nnames)
{
    return (size_t)sprintf(buf, "m%u", (unsigned)(rnd() % nnames));
}

static double random_score(unsigned nscores)
{
    return (double)(long)(rnd() % nscores) - (double)(nscores / 2) +
           (rnd() % 4 ? 0 : 0.5);
}

/* One random step: insert an absent member, else delete or move it. */
static void one_op(hp_zbt_t *t, unsigned nnames, unsigned nscores)
{
    char m[16];
    size_t len = random_member(m, nnames);
    hp_dict_entry_t *e = hp_dict_find(members, m, len);
    double s = random_score(nscores);

    if (!e) {
        assert_int_equal(tree_insert(t, s, m, len), 0);
        model_add(s, m, len);
        return;
    }
    size_t at = model_lower(e->v.d, m, len);

    assert_true(at < nmodel && model[at].score == e->v.d);
    if (rnd() % 3 == 0) {
        assert_int_equal(hp__zbt_delete(t, e->v.d, m, len), 0);
        assert_int_equal(hp_dict_delete(members, m, len), 0);
        model_del(at);
    } else if (s != e->v.d) {
        assert_int_equal(hp__zbt_update_score(t, e->v.d, m, len, s), 0);
        e->v.d = s;
        model_del(at);
        model_add(s, m, len);
    }
}

static void test_zbtree_small_random_ops(void **state)
{
    hp_zbt_t *t = tree_new(0x1234567);

    (void)state;
    assert_non_null(t);
    for (int i = 0; i < 8000; i++) {
        one_op(t, 600, 50);
        assert_int_equal(hp__zbt_validate(t), 0);
        if (i % 200 == 0) check(t);
    }
    check(t);
    assert_int_equal(hp__zbt_delete(t, 1e9, "nope", 4), -ENOENT);
    tree_free(t);
}

static void test_zbtree_large_random_ops(void **state)
{
    hp_zbt_t *t = tree_new(0xfeedbeef);

    (void)state;
    /* Grow to ~30000 members (two inner levels), then churn. */
    for (int i = 0; i < 60000; i++) {
        one_op(t, 40000, i < 30000 ? 100000 : 3000);
        if (i % 5000 == 0) check(t);
    }
    check(t);
    assert_true(t->height >= 2);
    /* Then shrink it to nothing, through the root collapses. */
    while (nmodel) {
        size_t at = (size_t)(rnd() % nmodel);

        assert_int_equal(hp__zbt_delete(t, model[at].score, model[at].m,
                                        model[at].len),
                         0);
        assert_int_equal(hp_dict_delete(members, model[at].m,
                                        model[at].len),
                         0);
        model_del(at);
        if (nmodel % 3000 == 0) check(t);
    }
    assert_int_equal(t->height, 0);
    check(t);
    tree_free(t);
}

/* Moves that keep the order change the score in place; others move the
 * entry, also across leaves. */
static void test_zbtree_update_in_place_and_across(void **state)
{
    hp_zbt_t *t = tree_new(5);
    char m[16];

    (void)state;
    for (unsigned i = 0; i < 1000; i++) {
        size_t len = (size_t)sprintf(m, "k%04u", i);

        assert_int_equal(tree_insert(t, i * 10.0, m, len), 0);
        model_add(i * 10.0, m, len);
    }
    check(t);
    size_t bytes = t->bytes;
    /* In place: between the neighbours, including leaf edges. */
    for (unsigned i = 0; i < 1000; i++) {
        size_t len = (size_t)sprintf(m, "k%04u", i);
        hp_dict_entry_t *e = hp_dict_find(members, m, len);

        assert_int_equal(hp__zbt_update_score(t, i * 10.0, m, len,
                                              i * 10.0 + 5),
                         0);
        e->v.d = model[i].score = i * 10.0 + 5;
    }
    check(t);
    assert_int_equal(t->bytes, bytes);
    /* Equal scores: the member decides. */
    for (unsigned i = 0; i < 1000; i += 7) {
        size_t len = (size_t)sprintf(m, "k%04u", i);
        size_t at = model_lower(i * 10.0 + 5, m, len);

        assert_int_equal(hp__zbt_update_score(t, i * 10.0 + 5, m, len,
                                              5000.0),
                         0);
        hp_dict_find(members, m, len)->v.d = 5000.0;
        model_del(at);
        model_add(5000.0, m, len);
        assert_int_equal(hp__zbt_validate(t), 0);
    }
    check(t);
    tree_free(t);
}

/* Model span of a score range. */
static void model_span(const hp_zrange_t *r, size_t *first, size_t *count)
{
    *first = 0;
    *count = 0;
    for (size_t i = 0; i < nmodel; i++) {
        if (!hp__zrange_gte_min(model[i].score, r))
            *first = i + 1;
        else if (hp__zrange_lte_max(model[i].score, r))
            (*count)++;
    }
}

static void test_zbtree_score_and_lex_spans(void **state)
{
    hp_zbt_t *t = tree_new(99);

    (void)state;
    for (int i = 0; i < 6000; i++) one_op(t, 5000, 400);
    for (int i = 0; i < 500; i++) {
        hp_zrange_t r = {random_score(440), random_score(440),
                         (int)(rnd() % 2), (int)(rnd() % 2)};
        size_t f1, c1, f2, c2;

        hp__zbt_span_score(t, &r, &f1, &c1);
        model_span(&r, &f2, &c2);
        assert_int_equal(c1, c2);
        if (c1) assert_int_equal(f1, f2);
    }
    tree_free(t);

    /* Lex spans on equal scores, across many leaves. */
    t = tree_new(3);
    char m[16];
    for (unsigned i = 0; i < 3000; i++) {
        size_t len = (size_t)sprintf(m, "%u", i * 7 % 3001);

        assert_int_equal(tree_insert(t, 0, m, len), 0);
        model_add(0, m, len);
    }
    check(t);
    for (int i = 0; i < 500; i++) {
        char a[16], b[16];
        size_t alen = random_member(a, 3500) - 1, blen;
        hp_zlex_t lx = {{a + 1, alen, 0, (int)(rnd() % 2)},
                        {b + 1, 0, 0, (int)(rnd() % 2)}};
        size_t first, count, mf = 0, mc = 0;

        blen = random_member(b, 3500) - 1;
        lx.max.len = blen;
        if (rnd() % 8 == 0) lx.min.inf = -1;
        if (rnd() % 8 == 0) lx.max.inf = 1;
        hp__zbt_span_lex(t, &lx, &first, &count);
        for (size_t j = 0; j < nmodel; j++) {
            if (!hp__zlex_gte_min(model[j].m, model[j].len, &lx))
                mf = j + 1;
            else if (hp__zlex_lte_max(model[j].m, model[j].len, &lx))
                mc++;
        }
        assert_int_equal(count, mc);
        if (count) assert_int_equal(first, mf);
    }
    hp_zlex_t all = {{NULL, 0, -1, 0}, {NULL, 0, 1, 0}};
    size_t first, count;

    hp__zbt_span_lex(t, &all, &first, &count);
    assert_int_equal(first, 0);
    assert_int_equal(count, nmodel);
    all.min.inf = 1;
    hp__zbt_span_lex(t, &all, &first, &count);
    assert_int_equal(count, 0);
    tree_free(t);
}

static int deleted;

/* on_delete: count, and drop the member's entry as a zset does. */
static void count_delete(void *ud, hp_dict_entry_t *x)
{
    hp_dict_entry_t *e = hp_dict_unlink(members, x->key, x->keylen);

    (void)ud;
    assert_ptr_equal(e, x);
    hp_dict_entry_free(members, e);
    deleted++;
}

static void test_zbtree_delete_ranks(void **state)
{
    hp_zbt_t *t = tree_new(7);

    (void)state;
    for (int i = 0; i < 12000; i++) one_op(t, 9000, 2000);
    while (nmodel > 0) {
        size_t first = (size_t)(rnd() % nmodel);
        size_t count = rnd() % 4 ? rnd() % 20 + 1 : rnd() % 600 + 1;
        size_t n;

        if (rnd() % 10 == 0) first = 0;
        deleted = 0;
        n = hp__zbt_delete_ranks(t, first, count, count_delete, NULL);
        if (count > nmodel - first) count = nmodel - first;
        assert_int_equal(n, count);
        assert_int_equal(deleted, (int)count);
        memmove(&model[first], &model[first + count],
                (nmodel - first - count) * sizeof(model[0]));
        nmodel -= count;
        assert_int_equal(hp__zbt_validate(t), 0);
        if (nmodel % 7 == 0) check(t);
    }
    check(t);
    assert_int_equal(hp__zbt_delete_ranks(t, 0, 5, NULL, NULL), 0);
    assert_int_equal(t->length, 0);
    assert_int_equal(hp_dict_size(members), 0);
    tree_free(t);
}

/* Sorted loads at either end fill their nodes (no half-empty leaves), and
 * make a tree of three inner levels. */
static void test_zbtree_sorted_loads_fill_nodes(void **state)
{
    char m[16];

    (void)state;
    for (int dir = 0; dir < 2; dir++) {
        hp_zbt_t *t = tree_new(11);
        size_t n = 100000;

        for (size_t i = 0; i < n; i++) {
            size_t k = dir ? n - 1 - i : i;
            size_t len = (size_t)sprintf(m, "x%zu", k);

            assert_int_equal(tree_insert(t, (double)k, m, len), 0);
        }
        assert_int_equal(hp__zbt_validate(t), 0);
        assert_int_equal(t->length, n);
        assert_true(t->height >= 2);
        /* Full leaves: 1016 bytes per 62 members, plus inner nodes. */
        assert_true(t->bytes < n * 18);
        for (size_t i = 0; i < n; i += 997) {
            hp_zbt_pos_t x;
            size_t len = (size_t)sprintf(m, "x%zu", i);

            assert_int_equal(hp__zbt_rank(t, (double)i, m, len), i + 1);
            assert_int_equal(hp__zbt_at(t, i, &x), 0);
            assert_true(hp__zbt_score(x) == (double)i);
        }
        tree_free(t);
    }
}

/* Whether the tree holds exactly the model (bytes as before). */
static void same_as_model(hp_zbt_t *t, size_t bytes)
{
    check(t);
    assert_int_equal(t->bytes, bytes);
}

static void test_zbtree_oom(void **state)
{
    size_t base = hp_mem_used();
    hp_zbt_t *t;
    char m[16];

    (void)state;
    oom_fail_at(1, 0);
    assert_null(hp__zbt_new());
    oom_fail_at(2, 0);
    assert_null(hp__zbt_new());
    oom_off();
    assert_int_equal(hp_mem_used(), base);

    /* A full chain: appends fill every node on the right edge, so the
     * next append splits the leaf, each inner node and the root. */
    t = tree_new(1);
    assert_non_null(t);
    size_t n = (size_t)HP_ZBT_LCAP * HP_ZBT_ICAP;
    for (size_t i = 0; i < n; i++) {
        size_t len = (size_t)sprintf(m, "a%06zu", i);

        assert_int_equal(tree_insert(t, (double)i, m, len), 0);
        model_add((double)i, m, len);
    }
    int existed;
    hp_dict_entry_t *e = hp_dict_add(members, "zz", 2, &existed);
    assert_non_null(e);
    e->v.d = 1e9;
    for (long k = 1;; k++) {
        size_t bytes = t->bytes;
        int h = t->height, rc;

        oom_fail_at(k, 0);
        rc = hp__zbt_insert(t, 1e9, e);
        oom_off();
        if (rc == 0) {
            assert_true(k > 1);
            assert_true(t->height > h);
            break;
        }
        assert_int_equal(rc, -ENOMEM);
        same_as_model(t, bytes);
    }
    model_add(1e9, "zz", 2);
    check(t);

    /* Moves that need a split fail cleanly: fill a leaf in the middle,
     * then move a member from elsewhere into it. */
    for (long k = 1;; k++) {
        size_t bytes = t->bytes;
        size_t len = (size_t)sprintf(m, "a%06zu", (size_t)5);
        int rc;

        oom_fail_at(k, 1);
        rc = hp__zbt_update_score(t, 5.0, m, len, 3000.5);
        oom_off();
        if (rc == 0) break;
        assert_int_equal(rc, -ENOMEM);
        same_as_model(t, bytes);
        /* Make sure the target leaf is full for the next try. */
        for (unsigned j = 0; j < HP_ZBT_LCAP; j++) {
            char f[40];
            size_t flen = (size_t)sprintf(f, "f%04d%02u", (int)(k % 10000), j);

            assert_int_equal(tree_insert(t, 3000.25, f, flen), 0);
            model_add(3000.25, f, flen);
        }
        check(t);
    }
    size_t len = (size_t)sprintf(m, "a%06zu", (size_t)5);
    size_t at = model_lower(5.0, m, len);
    model_del(at);
    model_add(3000.5, m, len);
    hp_dict_find(members, m, len)->v.d = 3000.5;
    check(t);

    /* Every move still needing allocations, with failures at each point:
     * random members to random scores in a tree with full leaves. */
    for (int i = 0; i < 300; i++) {
        size_t at2 = (size_t)(rnd() % nmodel);
        double ns = (double)(rnd() % 4000) + 0.75;
        item_t it = model[at2];

        for (long k = 1;; k++) {
            int rc;

            oom_fail_at(k, 0);
            rc = hp__zbt_update_score(t, it.score, it.m, it.len, ns);
            oom_off();
            if (rc == 0) break;
            assert_int_equal(rc, -ENOMEM);
            assert_int_equal(hp__zbt_validate(t), 0);
        }
        hp_dict_find(members, it.m, it.len)->v.d = ns;
        model_del(at2);
        model_add(ns, it.m, it.len);
        assert_int_equal(hp__zbt_validate(t), 0);
    }
    check(t);
    tree_free(t);
    assert_int_equal(hp_mem_used(), base);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_zbtree_small_random_ops),
        cmocka_unit_test(test_zbtree_large_random_ops),
        cmocka_unit_test(test_zbtree_update_in_place_and_across),
        cmocka_unit_test(test_zbtree_score_and_lex_spans),
        cmocka_unit_test(test_zbtree_delete_ranks),
        cmocka_unit_test(test_zbtree_sorted_loads_fill_nodes),
        cmocka_unit_test(test_zbtree_oom),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);

    free(model);
    return rc;
}
