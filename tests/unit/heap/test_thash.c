/*
 * test_thash.c - heap/hashobj.c: hash objects in both encodings, the
 * listpack -> hashtable conversion at each threshold, thousands of seeded
 * random HSET/HDEL/HGET operations checked against a slot model, full
 * iteration, random fields, memory accounting and allocation failures
 * (including in the middle of a conversion).
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

#define NFIELDS 300
#define VMAX 100

/* The model: field i is "f<i>" (or "<i>" for odd i, stored as integers
 * by the listpack); present[i] says whether it is set. */
typedef struct model {
    int present[NFIELDS];
    char val[NFIELDS][VMAX];
    size_t vlen[NFIELDS];
    size_t n;
    int converted;
} model_t;

static uint64_t rng_state;

static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static size_t field_name(int i, char *buf)
{
    return (size_t)sprintf(buf, i % 2 ? "%d" : "f%d", i);
}

/* Field index of a returned field element. */
static int field_index(const hp_elem_t *f)
{
    char nb[HP_INT_BUF], tmp[HP_INT_BUF + 2];
    size_t len;
    const char *b = hp_elem_bytes(f, nb, &len);

    assert_true(len < sizeof(tmp));
    memcpy(tmp, b, len);
    tmp[len] = '\0';
    return atoi(tmp[0] == 'f' ? tmp + 1 : tmp);
}

static void assert_value(const hp_elem_t *v, const model_t *m, int i)
{
    char nb[HP_INT_BUF];
    size_t len;
    const char *b = hp_elem_bytes(v, nb, &len);

    assert_int_equal(len, m->vlen[i]);
    assert_memory_equal(b, m->val[i], len);
}

/* Full comparison by lookup and by iteration. */
static void check(hp_obj_t *o, const model_t *m)
{
    char fb[16];
    hp_hash_iter_t it;
    hp_elem_t f, v;
    size_t seen = 0;

    assert_int_equal(hp_hash_len(o), m->n);
    assert_string_equal(hp_encoding_name(o),
                        m->converted ? "hashtable" : "listpack");
    if (!m->converted) assert_int_equal(hp_lp_validate(o->v.ptr), 0);
    for (int i = 0; i < NFIELDS; i++) {
        size_t fl = field_name(i, fb);

        assert_int_equal(hp_hash_exists(o, fb, fl), m->present[i]);
        if (m->present[i]) {
            assert_int_equal(hp_hash_get(o, fb, fl, &v), 0);
            assert_value(&v, m, i);
        }
    }
    hp_hash_iter_init(&it, o);
    while (hp_hash_iter_next(&it, &f, &v)) {
        int i = field_index(&f);

        assert_true(m->present[i]);
        assert_value(&v, m, i);
        seen++;
    }
    hp_hash_iter_fini(&it);
    assert_int_equal(seen, m->n);
}

/* A random value; long ones (past 64) are rare. */
static size_t rand_value(char *buf)
{
    size_t len;

    if (rnd() % 4 == 0) return (size_t)sprintf(buf, "%d", (int)(rnd() % 1000));
    len = rnd() % 200 == 0 ? 65 + rnd() % 30 : rnd() % 40;
    for (size_t i = 0; i < len; i++)
        buf[i] = (char)('A' + rnd() % 50);
    return len;
}

static void op_set(hp_obj_t *o, model_t *m, int i, size_t nfields)
{
    char fb[16], vb[VMAX];
    size_t fl = field_name(i, fb), vl = rand_value(vb);
    int rc = hp_hash_set(o, fb, fl, vb, vl);

    assert_int_equal(rc, !m->present[i]);
    if (!m->present[i]) m->n++;
    m->present[i] = 1;
    memcpy(m->val[i], vb, vl);
    m->vlen[i] = vl;
    if (vl > hp_limits.hash_max_listpack_value ||
        m->n > hp_limits.hash_max_listpack_entries)
        m->converted = 1;
    (void)nfields;
}

static void run_random(size_t max_entries, int nfields, uint64_t seed)
{
    size_t base = hp_mem_used(), saved = hp_limits.hash_max_listpack_entries;
    model_t *m = calloc(1, sizeof(*m));
    hp_obj_t *o = hp_hash_new();
    char fb[16];

    hp_limits.hash_max_listpack_entries = max_entries;
    rng_state = seed;
    for (int k = 0; k < 6000; k++) {
        int i = (int)(rnd() % (uint64_t)nfields);
        size_t fl = field_name(i, fb);

        if (rnd() % 3) {
            op_set(o, m, i, (size_t)nfields);
        } else {
            assert_int_equal(hp_hash_del(o, fb, fl),
                             m->present[i] ? 0 : -ENOENT);
            m->n -= (size_t)m->present[i];
            m->present[i] = 0;
        }
        if (k % 200 == 0) check(o, m);
        if (k % 50 == 0 && m->n) {
            hp_elem_t f, v;

            assert_int_equal(hp_hash_random(o, &f, &v), 0);
            assert_true(m->present[field_index(&f)]);
            assert_value(&v, m, field_index(&f));
        }
    }
    check(o, m);
    assert_int_equal(hp_obj_mem(o), hp_mem_used() - base);
    hp_limits.hash_max_listpack_entries = saved;
    hp_decref(o);
    free(m);
    assert_int_equal(hp_mem_used(), base);
}

static void test_thash_random_small_stays_listpack(void **state)
{
    run_random(128, 100, 1);
}

static void test_thash_random_converts_on_entries(void **state)
{
    run_random(16, 40, 2);
    run_random(128, NFIELDS, 3);
}

static void test_thash_converts_on_long_field_and_value(void **state)
{
    char big[65];
    hp_obj_t *o = hp_hash_new();
    hp_elem_t v;

    memset(big, 'x', sizeof(big));
    assert_int_equal(hp_hash_set(o, "a", 1, big, 64), 1);
    assert_string_equal(hp_encoding_name(o), "listpack");
    assert_int_equal(hp_hash_set(o, "a", 1, big, 65), 0);
    assert_string_equal(hp_encoding_name(o), "hashtable");
    assert_int_equal(hp_hash_get(o, "a", 1, &v), 0);
    assert_int_equal(v.len, 65);
    hp_decref(o);
    o = hp_hash_new();
    assert_int_equal(hp_hash_set(o, big, 65, "1", 1), 1);
    assert_string_equal(hp_encoding_name(o), "hashtable");
    assert_int_equal(hp_hash_del(o, big, 65), 0);
    assert_int_equal(hp_hash_len(o), 0);
    /* Redis never converts a hash back. */
    assert_string_equal(hp_encoding_name(o), "hashtable");
    assert_int_equal(hp_hash_random(o, &v, &v), -ENOENT);
    hp_decref(o);
}

static void test_thash_oom_every_point(void **state)
{
    size_t base = hp_mem_used(), saved = hp_limits.hash_max_listpack_entries;
    model_t *m = calloc(1, sizeof(*m));
    hp_obj_t *o;
    char fb[16];
    long n;

    for (n = 1;; n++) {
        oom_fail_at(n, 0);
        o = hp_hash_new();
        oom_off();
        if (o) break;
        assert_int_equal(hp_mem_used(), base);
    }
    hp_limits.hash_max_listpack_entries = 8;
    for (int i = 0; i < 8; i++) op_set(o, m, i, 8);
    /* The ninth field converts: fail each allocation of it in turn. */
    for (n = 1;; n++) {
        size_t fl = field_name(8, fb);
        int rc;

        oom_fail_at(n, 0);
        rc = hp_hash_set(o, fb, fl, "v", 1);
        oom_off();
        if (rc == 1) break;
        assert_int_equal(rc, -ENOMEM);
        check(o, m);
    }
    assert_true(n > 8);
    m->present[8] = 1;
    m->val[8][0] = 'v';
    m->vlen[8] = 1;
    m->n++;
    m->converted = 1;
    check(o, m);
    hp_limits.hash_max_listpack_entries = saved;
    hp_decref(o);
    free(m);
    assert_int_equal(hp_mem_used(), base);
}

/* hp_hash_scan callback (t_hash.c's HSCAN): count each field seen. */
static void scan_count(void *ud, const hp_elem_t *f, const hp_elem_t *v)
{
    int *seen = ud;

    (void)v;
    seen[field_index(f)]++;
}

/* Fill a hash with fields 0..n-1 (model m), limits as given. */
static hp_obj_t *filled_hash(model_t *m, int n)
{
    hp_obj_t *o = hp_hash_new();

    for (int i = 0; i < n; i++) op_set(o, m, i, (size_t)n);
    return o;
}

/* HSCAN: a listpack is returned whole with cursor 0; a hashtable's scan
 * returns every field at least once over the cursor walk, also when the
 * table grows between steps. */
static void test_thash_scan_both_encodings(void **state)
{
    size_t saved = hp_limits.hash_max_listpack_entries;
    size_t saved_value = hp_limits.hash_max_listpack_value;
    model_t *m = calloc(1, sizeof(*m));
    int seen[NFIELDS];
    hp_obj_t *o;
    uint64_t cur = 0;
    int steps = 0;

    (void)state;
    rng_state = 7;
    hp_limits.hash_max_listpack_entries = 128;
    hp_limits.hash_max_listpack_value = VMAX; /* no value converts */
    o = filled_hash(m, 50);
    assert_string_equal(hp_encoding_name(o), "listpack");
    memset(seen, 0, sizeof(seen));
    assert_int_equal(hp_hash_scan(o, 12345, scan_count, seen), 0);
    for (int i = 0; i < 50; i++) assert_int_equal(seen[i], 1);
    hp_decref(o);

    memset(m, 0, sizeof(*m));
    hp_limits.hash_max_listpack_entries = 16;
    o = filled_hash(m, 100);
    assert_string_equal(hp_encoding_name(o), "hashtable");
    memset(seen, 0, sizeof(seen));
    do {
        cur = hp_hash_scan(o, cur, scan_count, seen);
        if (++steps == 3) /* grow mid-scan: starts a rehash */
            for (int i = 100; i < NFIELDS; i++)
                op_set(o, m, i, NFIELDS);
    } while (cur != 0);
    assert_true(steps > 1);
    for (int i = 0; i < 100; i++) assert_true(seen[i] >= 1);
    check(o, m);
    hp_limits.hash_max_listpack_entries = saved;
    hp_limits.hash_max_listpack_value = saved_value;
    hp_decref(o);
    free(m);
}

/* COPY: hp_hash_dup keeps the encoding and the pairs, is independent of
 * the original, and fails cleanly at every allocation. */
static void test_thash_dup(void **state)
{
    size_t base = hp_mem_used(), saved = hp_limits.hash_max_listpack_entries;
    model_t *m = calloc(1, sizeof(*m));
    hp_obj_t *o, *d;

    (void)state;
    rng_state = 11;
    for (int round = 0; round < 2; round++) {
        memset(m, 0, sizeof(*m));
        hp_limits.hash_max_listpack_entries = round ? 8 : 128;
        o = filled_hash(m, 40);
        for (long n = 1;; n++) {
            size_t before = hp_mem_used();

            oom_fail_at(n, 0);
            d = hp_hash_dup(o);
            oom_off();
            if (d) break;
            assert_int_equal(hp_mem_used(), before);
        }
        assert_int_equal(d->refcount, 1);
        assert_int_equal(d->encoding, o->encoding);
        check(d, m);
        assert_int_equal(hp_hash_del(o, "f0", 2), 0);
        check(d, m); /* the copy is unaffected */
        hp_decref(o);
        hp_decref(d);
    }
    hp_limits.hash_max_listpack_entries = saved;
    free(m);
    assert_int_equal(hp_mem_used(), base);
}

/* Removing most fields of a hashtable hash shrinks its table (as
 * hp_set_remove); the fields left keep their values. */
static void test_thash_table_shrinks_on_delete(void **state)
{
    hp_obj_t *o = hp_hash_new();
    char k[32];
    size_t full;
    hp_elem_t v;

    (void)state;
    for (int i = 0; i < 10000; i++) {
        snprintf(k, sizeof(k), "f%d", i);
        assert_int_equal(hp_hash_set(o, k, strlen(k), k, strlen(k)), 1);
    }
    assert_int_equal(o->encoding, HP_ENC_HASHTABLE);
    while (hp__dict_rehash(o->v.ptr, 1000)) {}
    full = hp_dict_mem(o->v.ptr);
    for (int i = 0; i < 9700; i++) {
        snprintf(k, sizeof(k), "f%d", i);
        assert_int_equal(hp_hash_del(o, k, strlen(k)), 0);
    }
    while (hp__dict_rehash(o->v.ptr, 1000)) {}
    assert_true(hp_dict_mem(o->v.ptr) < full / 16);
    assert_int_equal(hp_hash_len(o), 300);
    for (int i = 9700; i < 10000; i++) {
        snprintf(k, sizeof(k), "f%d", i);
        assert_int_equal(hp_hash_get(o, k, strlen(k), &v), 0);
        assert_memory_equal(v.s, k, strlen(k));
    }
    hp_decref(o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_thash_random_small_stays_listpack),
        cmocka_unit_test(test_thash_random_converts_on_entries),
        cmocka_unit_test(test_thash_converts_on_long_field_and_value),
        cmocka_unit_test(test_thash_oom_every_point),
        cmocka_unit_test(test_thash_scan_both_encodings),
        cmocka_unit_test(test_thash_dup),
        cmocka_unit_test(test_thash_table_shrinks_on_delete),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
