/*
 * test_dict.c - heap/dict.c: insert/find/delete against a model under a
 * seeded random workload, incremental rehashing, SCAN across resizes,
 * safe and unsafe iterators, shrinking, random sampling, val_free calls,
 * memory accounting and behaviour under injected OOM.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "heap_int.h"
#include "oom.h"

/* ---------------------------------------------------------------------
 * Fixtures and helpers
 * ------------------------------------------------------------------ */

static int val_frees;
static int64_t val_freed_sum;

/* val_free for values stored as integers in v.ptr. */
static void count_free(void *ptr)
{
    val_frees++;
    val_freed_sum += (int64_t)(intptr_t)ptr;
}

static const hp_dict_type_t counting_type = {count_free};
static const hp_dict_type_t plain_type = {NULL};

static uint64_t test_rnd_state;

static uint64_t test_rnd(void)
{
    test_rnd_state ^= test_rnd_state << 13;
    test_rnd_state ^= test_rnd_state >> 7;
    test_rnd_state ^= test_rnd_state << 17;
    return test_rnd_state;
}

static int setup(void **state)
{
    uint8_t seed[16];

    for (int i = 0; i < 16; i++)
        seed[i] = (uint8_t)(i * 37 + 1);
    hp_hash_seed(seed);
    hp__dict_random_seed(12345);
    test_rnd_state = 88172645463325252ULL;
    val_frees = 0;
    val_freed_sum = 0;
    return 0;
}

/* Key i as text into buf; returns its length. */
static size_t key_of(int i, char *buf)
{
    return (size_t)sprintf(buf, "key:%d", i);
}

/* Insert keys [from, to) with v.i = i. */
static void add_range(hp_dict_t *d, int from, int to)
{
    char k[32];

    for (int i = from; i < to; i++) {
        int existed = -1;
        size_t n = key_of(i, k);
        hp_dict_entry_t *e = hp_dict_add(d, k, n, &existed);

        assert_non_null(e);
        assert_int_equal(existed, 0);
        e->v.i = i;
    }
}

/* Key number of an entry named "key:N". */
static int key_num(const hp_dict_entry_t *e)
{
    assert_memory_equal(e->key, "key:", 4);
    return atoi(e->key + 4);
}

/* ---------------------------------------------------------------------
 * Basics
 * ------------------------------------------------------------------ */

static void test_dict_new_free_empty(void **state)
{
    size_t base = hp_mem_used();
    hp_dict_t *d = hp_dict_new(&plain_type);

    assert_non_null(d);
    assert_int_equal(hp_dict_size(d), 0);
    assert_null(hp_dict_find(d, "x", 1));
    assert_int_equal(hp_dict_delete(d, "x", 1), -ENOENT);
    assert_null(hp_dict_unlink(d, "x", 1));
    assert_null(hp_dict_random(d));
    assert_null(hp_dict_fair_random(d));
    assert_int_equal(hp_dict_scan(d, 0, NULL, NULL), 0);
    assert_int_equal(hp_dict_shrink_if_sparse(d), 0);
    assert_int_equal(hp_dict_rehash_for(d, 10), 0);
    hp_dict_clear(d);
    hp_dict_free(d);
    hp_dict_free(NULL);
    assert_int_equal(hp_mem_used(), base);
}

static void test_dict_add_find_delete(void **state)
{
    hp_dict_t *d = hp_dict_new(&counting_type);
    hp_dict_entry_t *e, *f;
    int existed = -1;

    e = hp_dict_add(d, "alpha", 5, &existed);
    assert_non_null(e);
    assert_int_equal(existed, 0);
    assert_null(e->v.ptr);
    assert_int_equal(e->meta, 0);
    assert_int_equal(e->keylen, 5);
    assert_string_equal(e->key, "alpha");
    e->v.ptr = (void *)(intptr_t)7;
    e->meta = 99;
    f = hp_dict_add(d, "alpha", 5, &existed);
    assert_ptr_equal(e, f);
    assert_int_equal(existed, 1);
    assert_int_equal(f->meta, 99);
    assert_ptr_equal(hp_dict_find(d, "alpha", 5), e);
    assert_null(hp_dict_find(d, "alph", 4));
    assert_null(hp_dict_find(d, "alphab", 6));
    assert_int_equal(hp_dict_size(d), 1);
    assert_non_null(hp_dict_add(d, "beta", 4, NULL));
    assert_int_equal(hp_dict_delete(d, "alpha", 5), 0);
    assert_int_equal(val_frees, 1);
    assert_int_equal(val_freed_sum, 7);
    assert_int_equal(hp_dict_delete(d, "alpha", 5), -ENOENT);
    assert_null(hp_dict_find(d, "alpha", 5));
    assert_int_equal(hp_dict_size(d), 1);
    hp_dict_free(d);
    assert_int_equal(val_frees, 2);
}

static void test_dict_binary_keys(void **state)
{
    hp_dict_t *d = hp_dict_new(&plain_type);

    assert_non_null(hp_dict_add(d, "", 0, NULL));
    assert_non_null(hp_dict_add(d, "a\0b", 3, NULL));
    assert_non_null(hp_dict_add(d, "a\0c", 3, NULL));
    assert_non_null(hp_dict_add(d, "a", 1, NULL));
    assert_int_equal(hp_dict_size(d), 4);
    assert_non_null(hp_dict_find(d, "", 0));
    assert_memory_equal(hp_dict_find(d, "a\0c", 3)->key, "a\0c", 4);
    assert_int_equal(hp_dict_delete(d, "a\0b", 3), 0);
    assert_null(hp_dict_find(d, "a\0b", 3));
    assert_non_null(hp_dict_find(d, "a\0c", 3));
    assert_null(hp_dict_add(d, "k", (size_t)UINT32_MAX + 1, NULL));
    hp_dict_free(d);
}

static void test_dict_unlink_skips_val_free(void **state)
{
    hp_dict_t *d = hp_dict_new(&counting_type);
    hp_dict_entry_t *e = hp_dict_add(d, "k", 1, NULL);

    e->v.ptr = (void *)(intptr_t)5;
    e = hp_dict_unlink(d, "k", 1);
    assert_non_null(e);
    assert_int_equal((intptr_t)e->v.ptr, 5);
    assert_int_equal(hp_dict_size(d), 0);
    hp_dict_entry_free(d, e);
    assert_int_equal(val_frees, 0);
    hp_dict_free(d);
    assert_int_equal(val_frees, 0);
}

static void test_dict_clear_calls_val_free(void **state)
{
    hp_dict_t *d = hp_dict_new(&counting_type);
    char k[32];

    for (int i = 1; i <= 100; i++)
        hp_dict_add(d, k, key_of(i, k), NULL)->v.ptr = (void *)(intptr_t)i;
    hp_dict_clear(d);
    assert_int_equal(val_frees, 100);
    assert_int_equal(val_freed_sum, 5050);
    assert_int_equal(hp_dict_size(d), 0);
    add_range(d, 0, 10); /* usable after clear */
    assert_int_equal(hp_dict_size(d), 10);
    hp_dict_free(d);
    assert_int_equal(val_frees, 110);
}

/* hp_dict_clear_some takes a dict apart in bounded steps, mid-rehash
 * too (both tables), calling val_free once per entry. */
static void test_dict_clear_some_in_steps(void **state)
{
    hp_dict_t *d = hp_dict_new(&counting_type);
    char k[32];
    size_t pos = 0, left, prev;
    int steps = 0;
    int64_t want = 0;

    for (int i = 1; i <= 1025; i++) {
        hp_dict_add(d, k, key_of(i, k), NULL)->v.ptr = (void *)(intptr_t)i;
        want += i;
    }
    assert_true(hp__dict_is_rehashing(d)); /* entries in both tables */
    left = prev = hp_dict_size(d);
    while (left > 0) {
        left = hp_dict_clear_some(d, &pos, 10);
        assert_true(prev - left <= 10);
        assert_int_equal((size_t)val_frees, 1025 - left);
        prev = left;
        steps++;
    }
    assert_true(steps >= 103);
    assert_int_equal(val_freed_sum, want);
    assert_int_equal(hp_dict_clear_some(d, &pos, 10), 0);
    hp_dict_free(d);
    assert_int_equal(val_frees, 1025);
}

/* ---------------------------------------------------------------------
 * Random workload against a model
 * ------------------------------------------------------------------ */

#define MODEL_KEYS 3000

/* Every key of the model is found with its value, every entry once. */
static void check_model(hp_dict_t *d, const int *present, const int64_t *val)
{
    static int seen[MODEL_KEYS];
    hp_dict_iter_t it;
    hp_dict_entry_t *e;
    size_t count = 0, n;
    char k[32];

    memset(seen, 0, sizeof(seen));
    hp_dict_iter_init(&it, d, 0);
    while ((e = hp_dict_iter_next(&it))) {
        int i = key_num(e);

        assert_true(present[i]);
        assert_int_equal(seen[i], 0);
        assert_int_equal(e->v.i, val[i]);
        seen[i] = 1;
        count++;
    }
    hp_dict_iter_fini(&it);
    assert_int_equal(count, hp_dict_size(d));
    for (int i = 0; i < MODEL_KEYS; i++) {
        n = key_of(i, k);
        if (present[i])
            assert_int_equal(hp_dict_find(d, k, n)->v.i, val[i]);
        else
            assert_null(hp_dict_find(d, k, n));
    }
}

/* One random operation on key i; returns the change in entry count. */
static int model_op(hp_dict_t *d, int i, int insert_bias, int *present,
                    int64_t *val)
{
    char k[32];
    size_t n = key_of(i, k);
    int op = (int)(test_rnd() % 100), existed;
    hp_dict_entry_t *e;

    if (op < insert_bias) {
        e = hp_dict_add(d, k, n, &existed);
        assert_non_null(e);
        assert_int_equal(existed, present[i]);
        if (existed) assert_int_equal(e->v.i, val[i]);
        val[i] = (int64_t)test_rnd();
        e->v.i = val[i];
        present[i] = 1;
        return existed ? 0 : 1;
    }
    if (op < insert_bias + 20) {
        e = hp_dict_find(d, k, n);
        assert_true((e != NULL) == (present[i] != 0));
        if (e) assert_int_equal(e->v.i, val[i]);
        return 0;
    }
    if (op < insert_bias + 25) {
        e = hp_dict_unlink(d, k, n);
        assert_true((e != NULL) == (present[i] != 0));
        hp_dict_entry_free(d, e);
    } else {
        assert_int_equal(hp_dict_delete(d, k, n), present[i] ? 0 : -ENOENT);
    }
    if (!present[i]) return 0;
    present[i] = 0;
    return -1;
}

static void test_dict_random_ops_match_model(void **state)
{
    static int present[MODEL_KEYS];
    static int64_t val[MODEL_KEYS];
    size_t base = hp_mem_used(), count = 0;
    hp_dict_t *d = hp_dict_new(&plain_type);
    int rehash_seen = 0;

    memset(present, 0, sizeof(present));
    for (int step = 0; step < 60000; step++) {
        /* Phases: grow (70 % inserts), shrink (5 %), grow, shrink. */
        int bias = (step / 15000) % 2 == 0 ? 70 : 5;
        int i = (int)(test_rnd() % MODEL_KEYS);

        count = (size_t)((long)count + model_op(d, i, bias, present, val));
        assert_int_equal(hp_dict_size(d), count);
        rehash_seen |= hp__dict_is_rehashing(d);
        if (step % 997 == 0) assert_int_equal(hp_dict_shrink_if_sparse(d), 0);
        if (step % 1500 == 0) {
            check_model(d, present, val);
            assert_int_equal(hp__dict_validate(d), 0);
        }
    }
    check_model(d, present, val);
    assert_int_equal(hp__dict_validate(d), 0);
    assert_true(rehash_seen);
    assert_int_equal(hp_dict_mem(d), hp_mem_used() - base);
    hp_dict_free(d);
    assert_int_equal(hp_mem_used(), base);
}

/* ---------------------------------------------------------------------
 * Rehashing and shrinking
 * ------------------------------------------------------------------ */

static void test_dict_grows_incrementally(void **state)
{
    hp_dict_t *d = hp_dict_new(&plain_type);
    char k[32];
    int steps = 0;

    add_range(d, 0, 1024);
    assert_false(hp__dict_is_rehashing(d));
    assert_int_equal(d->exp[0], 10);
    add_range(d, 1024, 1025); /* load factor 1 reached: expand */
    assert_true(hp__dict_is_rehashing(d));
    assert_int_equal(d->exp[1], 11);
    /* Lookups keep working and each moves the rehash on. */
    while (hp__dict_is_rehashing(d)) {
        int i = steps++ % 1025;

        assert_int_equal(hp_dict_find(d, k, key_of(i, k))->v.i, i);
    }
    assert_true(steps > 10);
    assert_int_equal(d->exp[0], 11);
    assert_null(d->table[1]);
    hp_dict_free(d);
}

/* The read-only batched lookup (prefetch_slot, prefetch_chain, peek)
 * finds what hp_dict_find finds, in both tables while rehashing, and
 * moves no rehash step; an empty dict (no table) is fine. */
static void test_dict_prefetch_peek(void **state)
{
    hp_dict_t *d = hp_dict_new(&plain_type);
    char k[32];
    uint64_t h;
    int64_t idx;
    size_t n;

    (void)state;
    n = key_of(1, k);
    h = hp_hash(k, n);
    hp_dict_prefetch_slot(d, h);
    hp_dict_prefetch_chain(d, h);
    assert_null(hp_dict_peek(d, k, n, h));
    add_range(d, 0, 1025); /* expanding: two tables */
    assert_true(hp__dict_is_rehashing(d));
    idx = d->rehash_idx;
    for (int i = 0; i < 1100; i++) {
        hp_dict_entry_t *e;

        n = key_of(i, k);
        h = hp_hash(k, n);
        hp_dict_prefetch_slot(d, h);
        hp_dict_prefetch_chain(d, h);
        e = hp_dict_peek(d, k, n, h);
        if (i < 1025) {
            assert_non_null(e);
            assert_int_equal(e->v.i, i);
        } else {
            assert_null(e);
        }
    }
    assert_int_equal(d->rehash_idx, idx);
    assert_int_equal(hp__dict_validate(d), 0);
    hp_dict_free(d);
}

/* The validator (gc_debug's check of hash tables) passes mid-rehash
 * and catches an entry in the wrong bucket, a wrong count and a moved
 * rehash cursor. */
static void test_dict_validate_catches_corruption(void **state)
{
    hp_dict_t *d = hp_dict_new(&plain_type);
    hp_dict_entry_t *e = NULL;
    size_t b, mask;

    add_range(d, 0, 1025); /* expanding: two tables */
    assert_true(hp__dict_is_rehashing(d));
    assert_int_equal(hp__dict_validate(d), 0);
    d->used[1]++;
    assert_int_equal(hp__dict_validate(d), -EINVAL);
    d->used[1]--;
    d->rehash_idx = (int64_t)((size_t)1 << d->exp[0]) + 1;
    assert_int_equal(hp__dict_validate(d), -EINVAL);
    d->rehash_idx = 0;
    while (hp__dict_rehash(d, 1000)) {
    }
    assert_false(hp__dict_is_rehashing(d));
    assert_int_equal(hp__dict_validate(d), 0);
    mask = ((size_t)1 << d->exp[0]) - 1;
    for (b = 0; b <= mask && !(e = d->table[0][b]); b++) {
    }
    assert_non_null(e);
    d->table[0][b] = e->next; /* move the head entry one bucket on */
    e->next = d->table[0][(b + 1) & mask];
    d->table[0][(b + 1) & mask] = e;
    assert_int_equal(hp__dict_validate(d), -EINVAL);
    d->table[0][(b + 1) & mask] = e->next;
    e->next = d->table[0][b];
    d->table[0][b] = e;
    assert_int_equal(hp__dict_validate(d), 0);
    hp_dict_free(d);
}

static void test_dict_rehash_for_finishes(void **state)
{
    hp_dict_t *d = hp_dict_new(&plain_type);
    hp_dict_iter_t it;

    add_range(d, 0, 4097);
    assert_true(hp__dict_is_rehashing(d));
    hp_dict_iter_init(&it, d, 1);
    assert_non_null(hp_dict_iter_next(&it));
    assert_int_equal(hp_dict_rehash_for(d, 1000000), 1); /* paused */
    hp_dict_iter_fini(&it);
    assert_int_equal(hp_dict_rehash_for(d, 1000000), 0);
    assert_false(hp__dict_is_rehashing(d));
    assert_int_equal(hp_dict_size(d), 4097);
    hp_dict_free(d);
}

static void test_dict_shrinks_when_sparse(void **state)
{
    hp_dict_t *d = hp_dict_new(&plain_type);
    char k[32];

    add_range(d, 0, 1000);
    hp_dict_rehash_for(d, 1000000);
    assert_int_equal(d->exp[0], 10);
    assert_int_equal(hp_dict_shrink_if_sparse(d), 0);
    assert_false(hp__dict_is_rehashing(d)); /* 97 % full: no */
    for (int i = 50; i < 1000; i++)
        assert_int_equal(hp_dict_delete(d, k, key_of(i, k)), 0);
    hp_dict_rehash_for(d, 1000000);
    assert_int_equal(d->exp[0], 10);
    assert_int_equal(hp_dict_shrink_if_sparse(d), 0);
    assert_true(hp__dict_is_rehashing(d));
    assert_int_equal(d->exp[1], 6); /* 64 >= 50 */
    assert_int_equal(hp_dict_rehash_for(d, 1000000), 0);
    assert_int_equal(d->exp[0], 6);
    for (int i = 0; i < 50; i++)
        assert_int_equal(hp_dict_find(d, k, key_of(i, k))->v.i, i);
    assert_int_equal(hp_dict_size(d), 50);
    hp_dict_free(d);
}

/* ---------------------------------------------------------------------
 * SCAN
 * ------------------------------------------------------------------ */

#define SCAN_KEYS 20000

static int scan_seen[SCAN_KEYS];

static void scan_mark(void *ud, const hp_dict_entry_t *e)
{
    int *calls = ud;

    (*calls)++;
    scan_seen[key_num(e)]++;
}

static void test_dict_scan_stable_exactly_once(void **state)
{
    hp_dict_t *d = hp_dict_new(&plain_type);
    uint64_t cursor = 0;
    int calls = 0, rounds = 0;

    add_range(d, 0, 3000);
    hp_dict_rehash_for(d, 1000000);
    memset(scan_seen, 0, sizeof(scan_seen));
    do {
        cursor = hp_dict_scan(d, cursor, scan_mark, &calls);
        rounds++;
    } while (cursor != 0);
    assert_int_equal(calls, 3000);
    for (int i = 0; i < 3000; i++)
        assert_int_equal(scan_seen[i], 1);
    assert_int_equal(rounds, 1 << d->exp[0]);
    hp_dict_free(d);
}

/* Scan while the dict grows and rehashes under it: every key present for
 * the whole scan (0 .. stable-1) is returned at least once. */
static void test_dict_scan_while_growing(void **state)
{
    hp_dict_t *d = hp_dict_new(&plain_type);
    uint64_t cursor = 0;
    int calls = 0, next = 1000, rehash_seen = 0;

    add_range(d, 0, 1000);
    memset(scan_seen, 0, sizeof(scan_seen));
    do {
        cursor = hp_dict_scan(d, cursor, scan_mark, &calls);
        if (next < SCAN_KEYS) {
            add_range(d, next, next + 20);
            next += 20;
        }
        rehash_seen |= hp__dict_is_rehashing(d);
    } while (cursor != 0);
    assert_true(rehash_seen);
    for (int i = 0; i < 1000; i++)
        assert_true(scan_seen[i] >= 1);
    hp_dict_free(d);
}

/* Scan while the dict shrinks under it. */
static void test_dict_scan_while_shrinking(void **state)
{
    hp_dict_t *d = hp_dict_new(&plain_type);
    uint64_t cursor = 0;
    int calls = 0, next = 100, shrinks = 0;
    char k[32];

    add_range(d, 0, 8000);
    hp_dict_rehash_for(d, 1000000);
    memset(scan_seen, 0, sizeof(scan_seen));
    do {
        cursor = hp_dict_scan(d, cursor, scan_mark, &calls);
        for (int j = 0; j < 200 && next < 8000; j++, next++)
            assert_int_equal(hp_dict_delete(d, k, key_of(next, k)), 0);
        if (!hp__dict_is_rehashing(d) && hp_dict_shrink_if_sparse(d) == 0 &&
            hp__dict_is_rehashing(d))
            shrinks++;
    } while (cursor != 0);
    assert_true(shrinks >= 1);
    for (int i = 0; i < 100; i++)
        assert_true(scan_seen[i] >= 1);
    hp_dict_free(d);
}

/* Full scan of a dict frozen mid-rehash: scan does no rehash step, so
 * every cursor sees both tables. Covers a small table[1] (shrinking) and a
 * large one (growing). */
static void test_dict_scan_frozen_mid_rehash(void **state)
{
    for (int shrink = 0; shrink < 2; shrink++) {
        hp_dict_t *d = hp_dict_new(&plain_type);
        uint64_t cursor = 0;
        int calls = 0, keep = shrink ? 300 : 4097;
        char k[32];

        add_range(d, 0, shrink ? 8000 : 4096);
        hp_dict_rehash_for(d, 1000000);
        if (shrink) {
            for (int i = keep; i < 8000; i++)
                hp_dict_delete(d, k, key_of(i, k));
            hp_dict_rehash_for(d, 1000000);
            assert_int_equal(hp_dict_shrink_if_sparse(d), 0);
            hp__dict_rehash(d, 100);
        } else {
            add_range(d, 4096, 4097);
            hp__dict_rehash(d, 100);
        }
        assert_true(hp__dict_is_rehashing(d));
        assert_true(d->used[0] > 0 && d->used[1] > 0);
        memset(scan_seen, 0, sizeof(scan_seen));
        do {
            cursor = hp_dict_scan(d, cursor, scan_mark, &calls);
        } while (cursor != 0);
        for (int i = 0; i < keep; i++)
            assert_int_equal(scan_seen[i], 1);
        assert_int_equal(calls, keep);
        hp_dict_free(d);
    }
}

/* Scan while rehashing, with mixed growth and shrinking, seeded. */
static void test_dict_scan_random_resizes(void **state)
{
    for (int round = 0; round < 20; round++) {
        hp_dict_t *d = hp_dict_new(&plain_type);
        uint64_t cursor = 0;
        int calls = 0, hi = 500, lo = 200;
        char k[32];

        add_range(d, 0, hi);
        memset(scan_seen, 0, sizeof(scan_seen));
        do {
            cursor = hp_dict_scan(d, cursor, scan_mark, &calls);
            if (test_rnd() % 2 && hi < SCAN_KEYS - 50) {
                add_range(d, hi, hi + 50);
                hi += 50;
            } else {
                for (int j = 0; j < 60 && lo < hi; j++, lo++)
                    hp_dict_delete(d, k, key_of(lo, k));
                hp_dict_shrink_if_sparse(d);
            }
        } while (cursor != 0);
        for (int i = 0; i < 200; i++)
            assert_true(scan_seen[i] >= 1);
        hp_dict_free(d);
    }
}

/* ---------------------------------------------------------------------
 * Iterators
 * ------------------------------------------------------------------ */

static void test_dict_safe_iter_deletes_all(void **state)
{
    hp_dict_t *d = hp_dict_new(&plain_type);
    hp_dict_iter_t it;
    hp_dict_entry_t *e;
    int visited = 0;

    add_range(d, 0, 2049); /* leaves it rehashing */
    assert_true(hp__dict_is_rehashing(d));
    memset(scan_seen, 0, sizeof(scan_seen));
    hp_dict_iter_init(&it, d, 1);
    while ((e = hp_dict_iter_next(&it))) {
        char k[32];
        size_t n = e->keylen;

        memcpy(k, e->key, n);
        scan_seen[key_num(e)]++;
        assert_int_equal(hp_dict_delete(d, k, n), 0);
        visited++;
    }
    hp_dict_iter_fini(&it);
    assert_int_equal(visited, 2049);
    for (int i = 0; i < 2049; i++)
        assert_int_equal(scan_seen[i], 1);
    assert_int_equal(hp_dict_size(d), 0);
    assert_int_equal(d->pause_rehash, 0);
    hp_dict_free(d);
}

static void test_dict_unsafe_iter_reads_all(void **state)
{
    hp_dict_t *d = hp_dict_new(&plain_type);
    hp_dict_iter_t it;
    hp_dict_entry_t *e;
    int visited = 0;

    hp_dict_iter_init(&it, d, 0);
    assert_null(hp_dict_iter_next(&it));
    hp_dict_iter_fini(&it);
    add_range(d, 0, 1500); /* rehashing: both tables walked */
    assert_true(hp__dict_is_rehashing(d));
    hp_dict_iter_init(&it, d, 0);
    while ((e = hp_dict_iter_next(&it)))
        visited++;
    hp_dict_iter_fini(&it);
    assert_int_equal(visited, 1500);
    hp_dict_free(d);
}

#ifndef NDEBUG
/* Asserts are compiled out of release builds (NDEBUG): no test there, as
 * cmocka 1.1.5 reports a skip as "not ok # SKIP". */
static void test_dict_unsafe_iter_asserts_on_change(void **state)
{
    pid_t pid = fork();
    int status;

    assert_true(pid >= 0);
    if (pid == 0) {
        hp_dict_t *d = hp_dict_new(&plain_type);
        hp_dict_iter_t it;

        add_range(d, 0, 10);
        hp_dict_iter_init(&it, d, 0);
        hp_dict_iter_next(&it);
        hp_dict_add(d, "new key", 7, NULL);
        close(2); /* keep the assertion message out of the TAP output */
        hp_dict_iter_fini(&it);
        _exit(0);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGABRT);
}
#endif

/* ---------------------------------------------------------------------
 * Random entries
 * ------------------------------------------------------------------ */

static void random_covers_all(hp_dict_entry_t *(*pick)(hp_dict_t *))
{
    hp_dict_t *d = hp_dict_new(&plain_type);
    int seen[64] = {0}, distinct = 0;

    add_range(d, 0, 64);
    for (int i = 0; i < 20000; i++) {
        hp_dict_entry_t *e = pick(d);
        int n = key_num(e);

        assert_true(n >= 0 && n < 64);
        if (!seen[n]++) distinct++;
    }
    assert_int_equal(distinct, 64);
    /* Roughly fair: no key drawn far more than its share (312). */
    for (int i = 0; i < 64; i++)
        assert_true(seen[i] < 1200);
    hp_dict_free(d);
}

static void test_dict_random_covers_all(void **state)
{
    random_covers_all(hp_dict_random);
    random_covers_all(hp_dict_fair_random);
}

static void test_dict_sample_is_distinct(void **state)
{
    hp_dict_t *d = hp_dict_new(&plain_type);
    hp_dict_entry_t *out[200];

    add_range(d, 0, 100);
    for (int round = 0; round < 200; round++) {
        size_t n, want = (size_t)(test_rnd() % 150);

        if (round % 50 == 0)
            add_range(d, 100 + round * 100, 100 + round * 100 + 500);
        memset(scan_seen, 0, sizeof(scan_seen));
        n = hp_dict_sample(d, out, want);
        assert_true(n <= want);
        if (want > 0) assert_true(n > 0);
        for (size_t i = 0; i < n; i++) {
            int k = key_num(out[i]);

            assert_int_equal(scan_seen[k]++, 0);
        }
    }
    assert_int_equal(hp_dict_sample(d, out, 0), 0);
    hp_dict_free(d);
}

/* ---------------------------------------------------------------------
 * Memory
 * ------------------------------------------------------------------ */

static void test_dict_mem_matches_allocation(void **state)
{
    size_t base = hp_mem_used();
    hp_dict_t *d = hp_dict_new(&plain_type);

    add_range(d, 0, 5000);
    assert_int_equal(hp_dict_mem(d), hp_mem_used() - base);
    hp_dict_rehash_for(d, 1000000);
    assert_int_equal(hp_dict_mem(d), hp_mem_used() - base);
    hp_dict_free(d);
    assert_int_equal(hp_mem_used(), base);
}

static void obj_val_free(void *ptr)
{
    hp_decref(ptr);
}

/* A keyspace of 16-byte keys and 64-byte values: Redis 7.0 takes 168.5
 * bytes per key (PERFORMANCE.md); we must stay within 1.2x. */
static void test_dict_keyspace_bytes_per_key(void **state)
{
    static const hp_dict_type_t obj_type = {obj_val_free};
    size_t base = hp_mem_used();
    hp_dict_t *d = hp_dict_new(&obj_type);
    char key[17], value[65];
    const int n = 100000;
    double per_key;

    memset(value, 'v', 64);
    for (int i = 0; i < n; i++) {
        snprintf(key, sizeof(key), "key:%012d", i);
        hp_dict_add(d, key, 16, NULL)->v.ptr = hp_str_new_encoded(value, 64);
    }
    hp_dict_rehash_for(d, 10000000);
    per_key = (double)(hp_mem_used() - base) / n;
    print_message("# %.1f bytes per key\n", per_key);
    assert_true(per_key <= 168.5 * 1.2);
    hp_dict_free(d);
    assert_int_equal(hp_mem_used(), base);
}

/* ---------------------------------------------------------------------
 * OOM
 * ------------------------------------------------------------------ */

static void test_dict_new_under_oom(void **state)
{
    size_t base = hp_mem_used();

    oom_fail_at(1, 1);
    assert_null(hp_dict_new(&plain_type));
    oom_off();
    assert_int_equal(hp_mem_used(), base);
}

static void test_dict_add_under_oom_changes_nothing(void **state)
{
    hp_dict_t *d = hp_dict_new(&plain_type);
    size_t base = hp_mem_used();

    /* First add: table, then entry. */
    for (long n = 1; n <= 2; n++) {
        oom_fail_at(n, 0);
        assert_null(hp_dict_add(d, "a", 1, NULL));
        oom_off();
        assert_int_equal(hp_dict_size(d), 0);
        assert_int_equal(hp_mem_used(), base);
        assert_null(d->table[0]);
    }
    add_range(d, 0, 4);
    base = hp_mem_used();
    oom_fail_at(1, 1);
    assert_null(hp_dict_add(d, "b", 1, NULL));
    oom_off();
    assert_int_equal(hp_dict_size(d), 4);
    assert_int_equal(hp_mem_used(), base);
    check_model(d, (int[MODEL_KEYS]){1, 1, 1, 1},
                (int64_t[MODEL_KEYS]){0, 1, 2, 3});
    hp_dict_free(d);
}

static void test_dict_expand_oom_skips_growing(void **state)
{
    hp_dict_t *d = hp_dict_new(&plain_type);
    char k[32];

    add_range(d, 0, 4);
    assert_int_equal(d->exp[0], 2);
    oom_fail_at(2, 0); /* the entry succeeds, the new table fails */
    add_range(d, 4, 5);
    assert_int_equal(oom_count(), 2);
    oom_off();
    assert_false(hp__dict_is_rehashing(d));
    assert_int_equal(d->exp[0], 2);
    for (int i = 0; i < 5; i++)
        assert_int_equal(hp_dict_find(d, k, key_of(i, k))->v.i, i);
    add_range(d, 5, 6); /* grows now */
    assert_true(hp__dict_is_rehashing(d));
    hp_dict_free(d);
}

static void test_dict_shrink_under_oom(void **state)
{
    hp_dict_t *d = hp_dict_new(&plain_type);
    char k[32];
    size_t base;

    add_range(d, 0, 500);
    hp_dict_rehash_for(d, 1000000);
    for (int i = 10; i < 500; i++)
        hp_dict_delete(d, k, key_of(i, k));
    base = hp_mem_used();
    oom_fail_at(1, 1);
    assert_int_equal(hp_dict_shrink_if_sparse(d), -ENOMEM);
    oom_off();
    assert_false(hp__dict_is_rehashing(d));
    assert_int_equal(hp_mem_used(), base);
    assert_int_equal(hp_dict_shrink_if_sparse(d), 0);
    assert_true(hp__dict_is_rehashing(d));
    hp_dict_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_dict_new_free_empty, setup),
        cmocka_unit_test_setup(test_dict_add_find_delete, setup),
        cmocka_unit_test_setup(test_dict_binary_keys, setup),
        cmocka_unit_test_setup(test_dict_unlink_skips_val_free, setup),
        cmocka_unit_test_setup(test_dict_clear_calls_val_free, setup),
        cmocka_unit_test_setup(test_dict_clear_some_in_steps, setup),
        cmocka_unit_test_setup(test_dict_random_ops_match_model, setup),
        cmocka_unit_test_setup(test_dict_grows_incrementally, setup),
        cmocka_unit_test_setup(test_dict_validate_catches_corruption,
                               setup),
        cmocka_unit_test_setup(test_dict_rehash_for_finishes, setup),
        cmocka_unit_test_setup(test_dict_shrinks_when_sparse, setup),
        cmocka_unit_test_setup(test_dict_scan_stable_exactly_once, setup),
        cmocka_unit_test_setup(test_dict_scan_while_growing, setup),
        cmocka_unit_test_setup(test_dict_scan_while_shrinking, setup),
        cmocka_unit_test_setup(test_dict_scan_frozen_mid_rehash, setup),
        cmocka_unit_test_setup(test_dict_scan_random_resizes, setup),
        cmocka_unit_test_setup(test_dict_safe_iter_deletes_all, setup),
        cmocka_unit_test_setup(test_dict_unsafe_iter_reads_all, setup),
#ifndef NDEBUG
        cmocka_unit_test_setup(test_dict_unsafe_iter_asserts_on_change, setup),
#endif
        cmocka_unit_test_setup(test_dict_random_covers_all, setup),
        cmocka_unit_test_setup(test_dict_sample_is_distinct, setup),
        cmocka_unit_test_setup(test_dict_mem_matches_allocation, setup),
        cmocka_unit_test_setup(test_dict_keyspace_bytes_per_key, setup),
        cmocka_unit_test_setup(test_dict_new_under_oom, setup),
        cmocka_unit_test(test_dict_prefetch_peek),
        cmocka_unit_test_setup(test_dict_add_under_oom_changes_nothing, setup),
        cmocka_unit_test_setup(test_dict_expand_oom_skips_growing, setup),
        cmocka_unit_test_setup(test_dict_shrink_under_oom, setup),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
