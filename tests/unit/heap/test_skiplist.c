/*
 * test_skiplist.c - heap/skiplist.c: seeded random inserts, deletes and
 * score updates checked after every step against a sorted array model
 * (order, spans via hp__zsl_validate, ranks, rank lookups, score and lex
 * spans), deletion by rank, and allocation failures. As in a zset, the
 * member bytes live in dict entries (the dict `members`) that the nodes
 * point at.
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

#define NMEMBERS 400

/* The model: every present member with its score, kept sorted. */
typedef struct item {
    double score;
    char m[16];
    size_t len;
} item_t;

static item_t model[NMEMBERS];
static size_t nmodel;
static uint64_t rng_state;
static const hp_dict_type_t members_type = {.val_free = NULL};
static hp_dict_t *members; /* owner of the member bytes of the list */

/* A new list and an empty member dict. */
static hp_zsl_t *list_new(void)
{
    members = hp_dict_new(&members_type);
    assert_non_null(members);
    return hp__zsl_new();
}

/* Free the list, then the member dict. */
static void list_free(hp_zsl_t *zsl)
{
    hp__zsl_free(zsl);
    hp_dict_free(members);
    members = NULL;
}

/* Insert (s, m) into the list, its bytes into the member dict. NULL on
 * OOM of the node (the entry is dropped again). */
static hp_zsl_node_t *list_insert(hp_zsl_t *zsl, double s, const char *m,
                                  size_t len)
{
    int existed;
    hp_dict_entry_t *e = hp_dict_add(members, m, len, &existed);
    hp_zsl_node_t *x;

    assert_non_null(e);
    assert_int_equal(existed, 0);
    x = hp__zsl_insert(zsl, s, e);
    if (!x) hp_dict_delete(members, m, len);
    return x;
}

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

/* Compare the whole list with the model. */
static void check(hp_zsl_t *zsl)
{
    hp_zsl_node_t *x = zsl->header->level[0].forward;

    assert_int_equal(hp__zsl_validate(zsl), 0);
    assert_int_equal(zsl->length, nmodel);
    for (size_t i = 0; i < nmodel; i++, x = x->level[0].forward) {
        assert_non_null(x);
        assert_true(x->score == model[i].score);
        assert_int_equal(hp__zsl_len(x), model[i].len);
        assert_memory_equal(hp__zsl_ele(x), model[i].m, model[i].len);
        assert_int_equal(hp__zsl_rank(zsl, x->score, hp__zsl_ele(x),
                                      hp__zsl_len(x)),
                         i + 1);
        assert_ptr_equal(hp__zsl_at(zsl, i), x);
    }
    assert_null(hp__zsl_at(zsl, nmodel));
}

/* A random member name and a score with many ties. */
static size_t random_member(char *buf)
{
    return (size_t)sprintf(buf, "m%u", (unsigned)(rnd() % NMEMBERS));
}

static double random_score(void)
{
    return (double)(long)(rnd() % 50) - 25 + (rnd() % 4 ? 0 : 0.5);
}

static void one_op(hp_zsl_t *zsl)
{
    char m[16];
    size_t len = random_member(m);
    long at = model_find(m, len);
    double s = random_score();

    if (at < 0) {
        assert_non_null(list_insert(zsl, s, m, len));
        model[nmodel].score = s;
        memcpy(model[nmodel].m, m, len);
        model[nmodel++].len = len;
    } else if (rnd() % 2) {
        assert_int_equal(hp__zsl_delete(zsl, model[at].score, m, len), 0);
        assert_int_equal(hp_dict_delete(members, m, len), 0);
        model[at] = model[--nmodel];
    } else {
        hp__zsl_update_score(zsl, model[at].score, m, len, s);
        model[at].score = s;
    }
    qsort(model, nmodel, sizeof(model[0]), item_cmp);
}

static void test_skiplist_random_ops_match_model(void **state)
{
    hp_zsl_t *zsl = list_new();
    size_t base;

    (void)state;
    rng_state = 0x1234567;
    hp__zsl_seed(42);
    nmodel = 0;
    assert_non_null(zsl);
    base = hp_mem_used();
    (void)base;
    for (int i = 0; i < 3000; i++) {
        one_op(zsl);
        if (i % 50 == 0 || i > 2900) check(zsl);
    }
    check(zsl);
    assert_int_equal(hp__zsl_delete(zsl, 1e9, "nope", 4), -ENOENT);
    list_free(zsl);
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

static void test_skiplist_score_and_lex_spans(void **state)
{
    hp_zsl_t *zsl = list_new();

    (void)state;
    rng_state = 99;
    nmodel = 0;
    for (int i = 0; i < 800; i++) one_op(zsl);
    for (int i = 0; i < 500; i++) {
        hp_zrange_t r = {random_score(), random_score(), (int)(rnd() % 2),
                         (int)(rnd() % 2)};
        size_t f1, c1, f2, c2;

        hp__zsl_span_score(zsl, &r, &f1, &c1);
        model_span(&r, &f2, &c2);
        assert_int_equal(c1, c2);
        if (c1) assert_int_equal(f1, f2);
    }
    list_free(zsl);

    /* Lex spans on equal scores. */
    zsl = list_new();
    const char *names[] = {"a", "aa", "ab", "b", "ba", "c"};
    for (int i = 0; i < 6; i++)
        assert_non_null(list_insert(zsl, 0, names[i], strlen(names[i])));
    hp_zlex_t lx = {{"aa", 2, 0, 1}, {"b", 1, 0, 0}};
    size_t first, count;

    hp__zsl_span_lex(zsl, &lx, &first, &count);
    assert_int_equal(first, 2);
    assert_int_equal(count, 2);
    lx.min.inf = -1;
    lx.max.inf = 1;
    hp__zsl_span_lex(zsl, &lx, &first, &count);
    assert_int_equal(first, 0);
    assert_int_equal(count, 6);
    lx.min.inf = 1;
    hp__zsl_span_lex(zsl, &lx, &first, &count);
    assert_int_equal(count, 0);
    list_free(zsl);
}

static int deleted;

/* on_delete: count, and drop the member's entry as a zset does. */
static void count_delete(void *ud, hp_zsl_node_t *x)
{
    hp_dict_entry_t *e = hp_dict_unlink(members, hp__zsl_ele(x),
                                        hp__zsl_len(x));

    (void)ud;
    assert_ptr_equal(e, x->ent);
    hp_dict_entry_free(members, e);
    deleted++;
}

static void test_skiplist_delete_ranks(void **state)
{
    hp_zsl_t *zsl = list_new();

    (void)state;
    rng_state = 7;
    nmodel = 0;
    for (int i = 0; i < 600; i++) one_op(zsl);
    while (nmodel > 0) {
        size_t first = (size_t)(rnd() % nmodel), count = rnd() % 20 + 1;
        size_t n;

        deleted = 0;
        n = hp__zsl_delete_ranks(zsl, first, count, count_delete, NULL);
        if (count > nmodel - first) count = nmodel - first;
        assert_int_equal(n, count);
        assert_int_equal(deleted, (int)count);
        memmove(&model[first], &model[first + count],
                (nmodel - first - count) * sizeof(model[0]));
        nmodel -= count;
        check(zsl);
    }
    assert_int_equal(hp__zsl_delete_ranks(zsl, 0, 5, NULL, NULL), 0);
    assert_null(zsl->tail);
    assert_int_equal(hp_dict_size(members), 0);
    list_free(zsl);
}

static void test_skiplist_oom(void **state)
{
    size_t base = hp_mem_used();
    hp_zsl_t *zsl;

    (void)state;
    oom_fail_at(1, 0);
    assert_null(hp__zsl_new());
    oom_fail_at(2, 0);
    assert_null(hp__zsl_new());
    oom_off();
    assert_int_equal(hp_mem_used(), base);
    zsl = list_new();
    assert_non_null(zsl);
    assert_non_null(list_insert(zsl, 1, "a", 1));
    int existed;
    hp_dict_entry_t *e = hp_dict_add(members, "b", 1, &existed);

    assert_non_null(e);
    oom_fail_at(1, 0);
    assert_null(hp__zsl_insert(zsl, 2, e));
    oom_off();
    assert_int_equal(zsl->length, 1);
    assert_int_equal(hp__zsl_validate(zsl), 0);
    list_free(zsl);
    assert_int_equal(hp_mem_used(), base);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_skiplist_random_ops_match_model),
        cmocka_unit_test(test_skiplist_score_and_lex_spans),
        cmocka_unit_test(test_skiplist_delete_ranks),
        cmocka_unit_test(test_skiplist_oom),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
