/*
 * test_set.c - heap/setobj.c: set objects in both encodings, the intset ->
 * hashtable conversion (by count and by a non-integer member), seeded
 * random SADD/SREM/SISMEMBER operations checked against a model, full
 * iteration and SSCAN coverage, random members and pops, copies, memory
 * accounting and allocation failures (including mid-conversion).
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

#define NMEMBERS 600

/* The model: member i is "<i>" (an integer) for even i, "m<i>" for odd
 * i; present[i] says whether it is in the set. */
typedef struct model {
    int present[NMEMBERS];
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

static size_t member_name(int i, char *buf)
{
    return (size_t)sprintf(buf, i % 2 ? "m%d" : "%d", i);
}

/* Model index of a returned member. */
static int member_index(const hp_elem_t *e)
{
    char nb[HP_INT_BUF], tmp[HP_INT_BUF + 2];
    size_t len;
    const char *b = hp_elem_bytes(e, nb, &len);

    assert_true(len < sizeof(tmp));
    memcpy(tmp, b, len);
    tmp[len] = '\0';
    return atoi(tmp[0] == 'm' ? tmp + 1 : tmp);
}

/* Full comparison by lookup and by iteration. */
static void check(hp_obj_t *o, const model_t *m)
{
    char buf[16];
    hp_set_iter_t it;
    hp_elem_t e;
    size_t seen = 0;
    int64_t last = INT64_MIN;

    assert_int_equal(hp_set_len(o), m->n);
    for (int i = 0; i < NMEMBERS; i++) {
        size_t len = member_name(i, buf);

        assert_int_equal(hp_set_ismember(o, buf, len), m->present[i]);
    }
    hp_set_iter_init(&it, o);
    while (hp_set_iter_next(&it, &e)) {
        assert_true(m->present[member_index(&e)]);
        assert_int_equal(hp_set_ismember_elem(o, &e), 1);
        if (o->encoding == HP_ENC_INTSET) {
            assert_null(e.s);
            assert_true(e.i > last); /* ascending */
            last = e.i;
        }
        seen++;
    }
    hp_set_iter_fini(&it);
    assert_int_equal(seen, m->n);
    if (o->encoding == HP_ENC_INTSET)
        assert_int_equal(hp_is_validate(o->v.ptr), 0);
}

static void op_add(hp_obj_t *o, model_t *m, int i)
{
    char buf[16];
    size_t len = member_name(i, buf);

    assert_int_equal(hp_set_add(o, buf, len), !m->present[i]);
    if (!m->present[i]) m->n++;
    m->present[i] = 1;
}

static void op_remove(hp_obj_t *o, model_t *m, int i)
{
    char buf[16];
    size_t len = member_name(i, buf);

    assert_int_equal(hp_set_remove(o, buf, len), m->present[i]);
    if (m->present[i]) m->n--;
    m->present[i] = 0;
}

/* 6000 seeded random adds/removes (integers only, or mixed) under the
 * given intset limit, checked against the model; the final encoding must
 * be final_enc and no memory may leak. */
static void random_run(int only_ints, size_t limit, const char *final_enc)
{
    size_t base = hp_mem_used(), saved = hp_limits.set_max_intset_entries;
    model_t *m = calloc(1, sizeof(*m));
    hp_obj_t *o = hp_set_new();

    hp_limits.set_max_intset_entries = limit;
    rng_state = 0xABCDEF12345ULL + limit;
    for (int op = 0; op < 6000; op++) {
        int i = (int)(rnd() % NMEMBERS), r = (int)(rnd() % 10);

        if (only_ints) i &= ~1;
        if (r < 6)
            op_add(o, m, i);
        else
            op_remove(o, m, i);
        if (op % 300 == 0) check(o, m);
    }
    check(o, m);
    assert_string_equal(hp_encoding_name(o), final_enc);
    assert_int_equal(hp_obj_mem(o), hp_mem_used() - base);
    hp_decref(o);
    hp_limits.set_max_intset_entries = saved;
    free(m);
    assert_int_equal(hp_mem_used(), base);
}

static void test_set_random_ints_stay_intset(void **state)
{
    (void)state;
    random_run(1, 512, "intset");
}

static void test_set_random_ints_convert_on_count(void **state)
{
    (void)state;
    random_run(1, 64, "hashtable");
}

static void test_set_random_mixed(void **state)
{
    (void)state;
    random_run(0, 512, "hashtable");
}

/* The conversion happens exactly past the limit, and by a non-integer
 * (or a non-canonical integer such as "01" or "+1"). */
static void test_set_conversion_points(void **state)
{
    size_t saved = hp_limits.set_max_intset_entries;
    hp_obj_t *o = hp_set_new();
    char buf[HP_INT_BUF];

    (void)state;
    hp_limits.set_max_intset_entries = 4;
    for (int i = 0; i < 4; i++)
        assert_int_equal(hp_set_add(o, buf, (size_t)sprintf(buf, "%d", i)),
                         1);
    assert_int_equal(hp_set_add(o, "3", 1), 0);
    assert_string_equal(hp_encoding_name(o), "intset");
    assert_int_equal(hp_set_add(o, "4", 1), 1);
    assert_string_equal(hp_encoding_name(o), "hashtable");
    assert_int_equal(hp_set_len(o), 5);
    for (int i = 0; i < 5; i++)
        assert_true(hp_set_ismember(o, buf, (size_t)sprintf(buf, "%d", i)));
    /* Never converts back. */
    for (int i = 0; i < 5; i++)
        hp_set_remove(o, buf, (size_t)sprintf(buf, "%d", i));
    assert_int_equal(hp_set_len(o), 0);
    assert_string_equal(hp_encoding_name(o), "hashtable");
    hp_decref(o);

    static const char *const non_canonical[] = {"01", "+1", "-0", " 1", "a",
                                                "99999999999999999999"};
    for (size_t k = 0; k < sizeof(non_canonical) / sizeof(*non_canonical);
         k++) {
        const char *s = non_canonical[k];

        o = hp_set_new();
        hp_set_add(o, "1", 1);
        assert_string_equal(hp_encoding_name(o), "intset");
        assert_false(hp_set_ismember(o, s, strlen(s)));
        assert_int_equal(hp_set_remove(o, s, strlen(s)), 0);
        assert_int_equal(hp_set_add(o, s, strlen(s)), 1);
        assert_string_equal(hp_encoding_name(o), "hashtable");
        assert_true(hp_set_ismember(o, s, strlen(s)));
        assert_true(hp_set_ismember(o, "1", 1));
        hp_decref(o);
    }
    /* Limit 0: the first integer already converts (as Redis). */
    hp_limits.set_max_intset_entries = 0;
    o = hp_set_new();
    assert_int_equal(hp_set_add(o, "1", 1), 1);
    assert_string_equal(hp_encoding_name(o), "hashtable");
    hp_decref(o);
    hp_limits.set_max_intset_entries = saved;

    o = hp_set_new_hashtable();
    assert_string_equal(hp_encoding_name(o), "hashtable");
    assert_string_equal(hp_type_name(o), "set");
    hp_decref(o);
}

/* Element-view operations agree with the byte-string ones. */
static void test_set_elem_ops(void **state)
{
    hp_obj_t *a = hp_set_new(), *b = hp_set_new_hashtable();
    hp_elem_t ie = {NULL, 0, -42}, se = {"xy", 2, 0}, ne = {"-42", 3, 0};

    (void)state;
    for (int k = 0; k < 2; k++) {
        hp_obj_t *o = k ? b : a;

        assert_int_equal(hp_set_add_elem(o, &ie), 1);
        assert_int_equal(hp_set_add_elem(o, &ne), 0);
        assert_true(hp_set_ismember(o, "-42", 3));
        assert_true(hp_set_ismember_elem(o, &ie));
        assert_false(hp_set_ismember_elem(o, &se));
        assert_int_equal(hp_set_remove_elem(o, &ne), 1);
        assert_int_equal(hp_set_len(o), 0);
    }
    assert_string_equal(hp_encoding_name(a), "intset");
    assert_int_equal(hp_set_add_elem(a, &se), 1);
    assert_string_equal(hp_encoding_name(a), "hashtable");
    hp_decref(a);
    hp_decref(b);
}

/* SSCAN: a full scan returns every member (intset: in one call). */
typedef struct scan_seen {
    int count[NMEMBERS];
    int calls;
} scan_seen_t;

static void scan_cb(void *ud, const hp_elem_t *e)
{
    scan_seen_t *s = ud;

    s->count[member_index(e)]++;
}

static void scan_all(hp_obj_t *o, const model_t *m)
{
    scan_seen_t *s = calloc(1, sizeof(*s));
    uint64_t cursor = 0;

    do {
        cursor = hp_set_scan(o, cursor, scan_cb, s);
        s->calls++;
        assert_true(s->calls < 100000);
    } while (cursor != 0);
    for (int i = 0; i < NMEMBERS; i++) {
        if (m->present[i])
            assert_true(s->count[i] >= 1);
        else
            assert_int_equal(s->count[i], 0);
    }
    if (o->encoding == HP_ENC_INTSET) assert_int_equal(s->calls, 1);
    free(s);
}

static void test_set_scan(void **state)
{
    model_t *m = calloc(1, sizeof(*m));
    hp_obj_t *o = hp_set_new();

    (void)state;
    for (int i = 0; i < 100; i += 2) op_add(o, m, i);
    scan_all(o, m);
    for (int i = 1; i < NMEMBERS; i += 2) op_add(o, m, i);
    scan_all(o, m);
    hp_decref(o);
    free(m);
}

/* Random members are members and cover the set; pops drain it. */
static void test_set_random_and_pop(void **state)
{
    size_t base = hp_mem_used();

    (void)state;
    for (int enc = 0; enc < 2; enc++) {
        model_t *m = calloc(1, sizeof(*m));
        hp_obj_t *o = hp_set_new();
        int hits[NMEMBERS] = {0};
        hp_elem_t e;
        int err;

        for (int i = 0; i < 20; i += 2) op_add(o, m, i);
        if (enc) op_add(o, m, 1);
        for (int k = 0; k < 2000; k++) {
            assert_int_equal(hp_set_random(o, &e), 0);
            hits[member_index(&e)]++;
        }
        for (int i = 0; i < NMEMBERS; i++)
            assert_int_equal(hits[i] > 0, m->present[i]);
        while (m->n) {
            hp_obj_t *v = hp_set_pop(o, &err);
            char nb[HP_INT_BUF];
            size_t len;
            const char *b;
            hp_elem_t ve;

            assert_non_null(v);
            assert_int_equal(err, 0);
            b = hp_str_bytes(v, nb, &len);
            ve.s = b;
            ve.len = len;
            ve.i = 0;
            int idx = member_index(&ve);
            assert_true(m->present[idx]);
            assert_false(hp_set_ismember(o, b, len));
            m->present[idx] = 0;
            m->n--;
            hp_decref(v);
            check(o, m);
        }
        assert_null(hp_set_pop(o, &err));
        assert_int_equal(err, 0);
        assert_int_equal(hp_set_random(o, &e), -ENOENT);
        hp_decref(o);
        free(m);
    }
    assert_int_equal(hp_mem_used(), base);
}

/* Removing most members of a hashtable set shrinks its table, as Redis
 * does on SREM/SPOP, so its memory comes back (no rehash: a 16384-bucket
 * table alone is 128 KB); the members left stay. */
static void test_set_table_shrinks_on_remove(void **state)
{
    hp_obj_t *o = hp_set_new_hashtable();
    char k[32];
    size_t full;

    (void)state;
    for (int i = 0; i < 10000; i++) {
        snprintf(k, sizeof(k), "m%d", i);
        assert_int_equal(hp_set_add(o, k, strlen(k)), 1);
    }
    while (hp__dict_rehash(o->v.ptr, 1000)) {}
    full = hp_dict_mem(o->v.ptr);
    for (int i = 0; i < 9700; i++) {
        snprintf(k, sizeof(k), "m%d", i);
        assert_int_equal(hp_set_remove(o, k, strlen(k)), 1);
    }
    while (hp__dict_rehash(o->v.ptr, 1000)) {}
    assert_true(hp_dict_mem(o->v.ptr) < full / 16);
    assert_int_equal(hp_set_len(o), 300);
    for (int i = 9700; i < 10000; i++) {
        snprintf(k, sizeof(k), "m%d", i);
        assert_true(hp_set_ismember(o, k, strlen(k)));
    }
    hp_decref(o);
}

/* A copy has the same members and encoding and is independent. */
static void test_set_dup(void **state)
{
    size_t base = hp_mem_used();

    (void)state;
    for (int enc = 0; enc < 2; enc++) {
        model_t *m = calloc(1, sizeof(*m));
        hp_obj_t *o = hp_set_new(), *c;

        for (int i = 0; i < 200; i += 2) op_add(o, m, i);
        if (enc) op_add(o, m, 3);
        c = hp_set_dup(o);
        assert_non_null(c);
        assert_int_equal(c->encoding, o->encoding);
        check(c, m);
        op_remove(o, m, 0);
        assert_true(hp_set_ismember(c, "0", 1));
        assert_int_equal(hp_set_len(c), m->n + 1);
        hp_decref(o);
        hp_decref(c);
        free(m);
    }
    assert_int_equal(hp_mem_used(), base);
}

/* Every allocation failure point of creation, an add, the conversion
 * (by count and by a string), a pop and a copy. */
static void test_set_oom_every_point(void **state)
{
    size_t base = hp_mem_used(), saved = hp_limits.set_max_intset_entries;
    model_t *m = calloc(1, sizeof(*m));
    hp_obj_t *o, *c;
    char buf[16];
    long n;
    int err;

    (void)state;
    for (n = 1;; n++) {
        oom_fail_at(n, 0);
        o = hp_set_new();
        oom_off();
        if (o) break;
        assert_int_equal(hp_mem_used(), base);
    }
    for (n = 1;; n++) {
        oom_fail_at(n, 0);
        c = hp_set_new_hashtable();
        oom_off();
        if (c) break;
        assert_int_equal(hp_mem_used(), base + hp_obj_mem(o));
    }
    hp_decref(c);
    hp_limits.set_max_intset_entries = 8;
    for (int i = 0; i < 16; i += 2) op_add(o, m, i);
    /* The ninth integer converts: fail each allocation in turn. */
    for (n = 1;; n++) {
        size_t len = member_name(16, buf);
        int rc;

        oom_fail_at(n, 0);
        rc = hp_set_add(o, buf, len);
        oom_off();
        if (rc == 1) break;
        assert_int_equal(rc, -ENOMEM);
        check(o, m);
    }
    assert_true(n > 2); /* the dict and its table could fail */
    m->present[16] = 1;
    m->n++;
    check(o, m);
    assert_string_equal(hp_encoding_name(o), "hashtable");
    /* Copies fail cleanly. */
    for (n = 1;; n++) {
        size_t before = hp_mem_used();

        oom_fail_at(n, 0);
        c = hp_set_dup(o);
        oom_off();
        if (c) break;
        assert_int_equal(hp_mem_used(), before);
    }
    check(c, m);
    hp_decref(c);
    /* A pop that cannot make its string leaves the set alone. */
    hp_set_add(o, "a-long-member-name-that-is-not-shared", 37);
    while (hp_set_len(o) > 0) {
        hp_obj_t *v;

        oom_fail_at(1, 1);
        v = hp_set_pop(o, &err);
        oom_off();
        if (!v) {
            assert_int_equal(err, -ENOMEM);
            break;
        }
        hp_decref(v);
    }
    hp_decref(o);
    /* Conversion by a string on an intset, every failure point. */
    o = hp_set_new();
    memset(m, 0, sizeof(*m));
    for (int i = 0; i < 8; i += 2) op_add(o, m, i);
    for (n = 1;; n++) {
        size_t len = member_name(1, buf);
        int rc;

        oom_fail_at(n, 0);
        rc = hp_set_add(o, buf, len);
        oom_off();
        if (rc == 1) break;
        assert_int_equal(rc, -ENOMEM);
        check(o, m);
    }
    m->present[1] = 1;
    m->n++;
    check(o, m);
    hp_decref(o);
    hp_limits.set_max_intset_entries = saved;
    free(m);
    assert_int_equal(hp_mem_used(), base);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_set_random_ints_stay_intset),
        cmocka_unit_test(test_set_random_ints_convert_on_count),
        cmocka_unit_test(test_set_random_mixed),
        cmocka_unit_test(test_set_conversion_points),
        cmocka_unit_test(test_set_elem_ops),
        cmocka_unit_test(test_set_scan),
        cmocka_unit_test(test_set_random_and_pop),
        cmocka_unit_test(test_set_table_shrinks_on_remove),
        cmocka_unit_test(test_set_dup),
        cmocka_unit_test(test_set_oom_every_point),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
