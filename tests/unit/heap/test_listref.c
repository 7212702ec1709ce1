/*
 * test_listref.c - reference elements in lists (heap/ref.c, list.c,
 * quicklist.c, weakref.c): positions kept right by every list write
 * (checked against a model after each step of a seeded random run, with
 * allocation failures injected), weak elements leaving the list when
 * their target dies, cycles through lists collected, COPY of references
 * (hp_ref_copy) for every container type, and allocation failure at
 * every point of hp_ref_list_push and hp_ref_copy. The quicklist's marks
 * (heap_cont.h) are checked under every write, split and weak clear by a
 * second model, and a white-box test counts the nodes a weak clear in a
 * list of a million visits.
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
#include "heap_ref.h"
#include "oom.h"
#include "refcont.h"

/* Small nodes, so positions cross many quicklist nodes. */
static int setup_small_nodes(void **state)
{
    (void)state;
    hp_limits.list_max_listpack_size = 4;
    return 0;
}

/* Whether element i of list l has label s. */
static int label_is(hp_obj_t *l, long i, const char *s)
{
    hp_elem_t e;
    char b[HP_INT_BUF];
    size_t n;
    const char *p;

    if (hp_list_index(l, i, &e)) return 0;
    p = hp_elem_bytes(&e, b, &n);
    return n == strlen(s) && memcmp(p, s, n) == 0;
}

static void test_lref_push_get_pop(void **state)
{
    size_t base = hp_mem_used();
    hp_obj_t *l = hp_list_new(), *a = hp_str_new("A", 1);
    hp_obj_t *b = hp_str_new("B", 1), *p;
    int st = -1;

    assert_int_equal(hp_list_push(l, HP_LIST_TAIL, "x", 1), 0);
    assert_int_equal(hp_ref_list_push(l, HP_LIST_HEAD, a, "a", 1,
                                      HP_REF_STRONG), 0);
    assert_int_equal(hp_ref_list_push(l, HP_LIST_TAIL, b, "b", 1,
                                      HP_REF_WEAK), 0);
    /* [a* x b~] */
    assert_int_equal(hp_list_len(l), 3);
    assert_true(label_is(l, 0, "a") && label_is(l, 2, "b"));
    assert_ptr_equal(hp_ref_list_get(l, 0, &st), a);
    assert_int_equal(st, HP_REF_STRONG);
    assert_null(hp_ref_list_get(l, 1, NULL));
    assert_ptr_equal(hp_ref_list_get(l, -1, &st), b);
    assert_int_equal(st, HP_REF_WEAK);
    assert_null(hp_ref_list_get(l, 3, NULL));
    assert_true(hp_ref_list_is_ref(l, 2));
    assert_false(hp_ref_list_is_ref(l, 1));
    /* keys of a list are not element keys */
    assert_null(hp_ref_get(l, "a", 1, NULL));
    assert_int_equal(a->refcount, 2);
    assert_int_equal(hp_weakref_count(b), 1);
    assert_true(hp_gc_is_tracked(l));
    assert_int_equal(hp_ref_out_strong(l), 1);
    assert_int_equal(hp_ref_out_weak(l), 1);
    /* plain pushes at the head move positions */
    assert_int_equal(hp_list_push(l, HP_LIST_HEAD, "y", 1), 0);
    assert_ptr_equal(hp_ref_list_get(l, 1, NULL), a);
    assert_ptr_equal(hp_ref_list_get(l, 3, NULL), b);
    p = hp_list_pop(l, HP_LIST_HEAD, NULL);
    hp_decref(p);
    p = hp_list_pop(l, HP_LIST_HEAD, NULL); /* the label, a dropped */
    assert_int_equal(p->type, HP_TYPE_STRING);
    hp_decref(p);
    assert_int_equal(a->refcount, 1);
    assert_false(hp_gc_is_tracked(l));
    assert_ptr_equal(hp_ref_list_get(l, 1, NULL), b);
    p = hp_list_pop(l, HP_LIST_TAIL, NULL);
    hp_decref(p);
    assert_int_equal(hp_weakref_count(b), 0);
    assert_null(hp__side_of(l));
    assert_null(hp__side_of(b));
    hp_decref(l);
    hp_decref(a);
    hp_decref(b);
    assert_int_equal(hp_mem_used(), base);
}

static void test_lref_bad_args(void **state)
{
    hp_obj_t *l = hp_list_new(), *h = hp_hash_new();
    hp_obj_t *shared = hp_str_new_int(5), *v = hp_str_new("v", 1);

    assert_int_equal(hp_ref_list_push(l, 0, shared, "x", 1, 0), -EINVAL);
    assert_int_equal(hp_ref_list_push(l, 0, NULL, "x", 1, 0), -EINVAL);
    assert_int_equal(hp_ref_list_push(h, 0, v, "x", 1, 0), -EINVAL);
    assert_int_equal(hp_ref_list_push(l, 0, v, "x", 1, 9), -EINVAL);
    assert_int_equal(hp_ref_list_push(l, 7, v, "x", 1, 0), -EINVAL);
    assert_int_equal(hp_list_len(l), 0);
    assert_null(hp__side_of(l));
    assert_int_equal(v->refcount, 1);
    hp_decref(l);
    hp_decref(h);
    hp_decref(v);
}

/* ---- the model run ---- */

#define NT 6       /* targets */
#define MAXL 400   /* model capacity */

typedef struct mel {
    char label[8];
    int t; /* target index, -1 for a plain element */
} mel_t;

typedef struct model {
    mel_t v[MAXL];
    int n;
} model_t;

static uint64_t rng_state;

static uint32_t rnd(uint32_t n)
{
    rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(rng_state >> 33) % n;
}

/* Check list l against model m and the targets' refcounts. */
static void model_check(hp_obj_t *l, const model_t *m, hp_obj_t **t)
{
    int held[NT] = {0};

    assert_int_equal(hp_list_len(l), m->n);
    for (int i = 0; i < m->n; i++) {
        assert_true(label_is(l, i, m->v[i].label));
        if (m->v[i].t < 0) {
            assert_null(hp_ref_list_get(l, i, NULL));
        } else {
            assert_ptr_equal(hp_ref_list_get(l, i, NULL), t[m->v[i].t]);
            held[m->v[i].t]++;
        }
    }
    for (int j = 0; j < NT; j++)
        assert_int_equal(t[j]->refcount, 1 + held[j]);
    assert_int_equal(hp_ql_validate(l->v.ptr), 0);
}

static void model_insert(model_t *m, int at, const char *label, int t)
{
    memmove(m->v + at + 1, m->v + at, sizeof(mel_t) * (size_t)(m->n - at));
    snprintf(m->v[at].label, sizeof(m->v[at].label), "%s", label);
    m->v[at].t = t;
    m->n++;
}

static void model_delete(model_t *m, int at, int count)
{
    memmove(m->v + at, m->v + at + count,
            sizeof(mel_t) * (size_t)(m->n - at - count));
    m->n -= count;
}

/* One random list write on l and the model (an allocation failure
 * leaves both unchanged). */
static void model_step(hp_obj_t *l, model_t *m, hp_obj_t **t)
{
    char lab[8];
    int op = (int)rnd(11), j = (int)rnd(NT), rc, at;
    hp_obj_t *p;

    if (rnd(2))
        snprintf(lab, sizeof(lab), "t%d", j); /* a label a ref may have */
    else
        snprintf(lab, sizeof(lab), "p%d", (int)rnd(3));
    if (m->n >= MAXL - 2 && op < 4) op = 4;
    switch (op) {
    case 0: case 1: /* REF push */
        snprintf(lab, sizeof(lab), "t%d", j);
        rc = hp_ref_list_push(l, op, t[j], lab, strlen(lab), HP_REF_STRONG);
        if (rc == 0) model_insert(m, op ? m->n : 0, lab, j);
        else assert_int_equal(rc, -ENOMEM);
        break;
    case 2: case 3: /* plain push */
        rc = hp_list_push(l, op - 2, lab, strlen(lab));
        if (rc == 0) model_insert(m, op == 3 ? m->n : 0, lab, -1);
        break;
    case 4: case 5: /* pop */
        if (m->n == 0) break;
        rc = 0;
        p = hp_list_pop(l, op - 4, &rc);
        if (p) {
            model_delete(m, op == 5 ? m->n - 1 : 0, 1);
            hp_decref(p);
        } else {
            assert_int_equal(rc, -ENOMEM);
        }
        break;
    case 6: /* LSET */
        if (m->n == 0) break;
        at = (int)rnd((uint32_t)m->n);
        if (hp_list_set(l, at - (rnd(2) ? m->n : 0), lab, strlen(lab)) == 0) {
            snprintf(m->v[at].label, sizeof(m->v[at].label), "%s", lab);
            m->v[at].t = -1;
        }
        break;
    case 7: { /* LINSERT */
        int after = (int)rnd(2), pv = -1;

        for (int i = 0; i < m->n && pv < 0; i++)
            if (strcmp(m->v[i].label, lab) == 0) pv = i;
        rc = hp_list_insert(l, after, lab, strlen(lab), "ins", 3);
        if (pv < 0) {
            assert_int_equal(rc, -ENOENT);
        } else if (rc == 0) {
            model_insert(m, pv + after, "ins", -1);
        }
        break;
    }
    case 8: { /* LREM */
        long count = (long)rnd(5) - 2;
        size_t want = 0, got;

        if (count >= 0) {
            for (int i = 0; i < m->n; i++)
                if (strcmp(m->v[i].label, lab) == 0 &&
                    (count == 0 || want < (size_t)count)) {
                    model_delete(m, i--, 1);
                    want++;
                }
        } else {
            for (int i = m->n - 1; i >= 0; i--)
                if (strcmp(m->v[i].label, lab) == 0 &&
                    want < (size_t)-count) {
                    model_delete(m, i, 1);
                    want++;
                }
        }
        got = hp_list_remove(l, count, lab, strlen(lab));
        assert_int_equal(got, want);
        break;
    }
    case 9: { /* LTRIM */
        long a = (long)rnd((uint32_t)m->n + 2) - 1;
        long b = (long)rnd((uint32_t)m->n + 2) - 1;
        size_t first, count;

        if (m->n < 20) break; /* keep the list long */
        hp_list_range(l, a, b + m->n / 2, &first, &count);
        hp_list_trim(l, a, b + m->n / 2);
        if (count == 0) {
            m->n = 0;
        } else {
            model_delete(m, (int)(first + count), m->n - (int)(first + count));
            model_delete(m, 0, (int)first);
        }
        break;
    }
    default: { /* delete_range (LPOP/RPOP count, deferred free) */
        int start, count;

        if (m->n == 0) break;
        start = (int)rnd((uint32_t)m->n);
        count = (int)rnd(4) + 1;
        if (start + count > m->n) count = m->n - start;
        assert_int_equal(hp_list_delete_range(l, (size_t)start,
                                              (size_t)count), count);
        model_delete(m, start, count);
        break;
    }
    }
}

/* A seeded random run of list writes, checked against the model after
 * every step; one run with allocation failures sprinkled in. */
static void test_lref_model(void **state)
{
    size_t base = hp_mem_used();

    for (int run = 0; run < 4; run++) {
        static model_t m;
        hp_obj_t *t[NT], *l = hp_list_new();

        rng_state = 0x9e3779b97f4a7c15ull + (uint64_t)run;
        m.n = 0;
        for (int j = 0; j < NT; j++) {
            char s[8];

            snprintf(s, sizeof(s), "T%d", j);
            t[j] = hp_str_new(s, strlen(s));
        }
        for (int step = 0; step < 3000; step++) {
            if (run == 3 && rnd(4) == 0) oom_fail_at((long)rnd(3) + 1, 0);
            model_step(l, &m, t);
            oom_off();
            model_check(l, &m, t);
        }
        hp_decref(l);
        for (int j = 0; j < NT; j++) {
            assert_int_equal(t[j]->refcount, 1);
            hp_decref(t[j]);
        }
    }
    assert_int_equal(hp_mem_used(), base);
}

/* ---- weak elements ---- */

static int events;
static hp_obj_t *event_container;

/* Clear callback: count element events. */
static void on_clear(void *ud, const hp_weak_event_t *ev)
{
    (void)ud;
    if (ev->container) {
        events++;
        event_container = ev->container;
    }
}

static void test_lref_weak_cleared_on_death(void **state)
{
    size_t base = hp_mem_used();
    hp_obj_t *l = hp_list_new(), *x = hp_str_new("X", 1);
    hp_obj_t *y = hp_str_new("Y", 1), *z = hp_str_new("Z", 1);

    events = 0;
    hp_weakref_set_clear_callback(on_clear, NULL);
    for (int i = 0; i < 10; i++)
        assert_int_equal(hp_list_push(l, HP_LIST_TAIL, "p", 1), 0);
    /* [p*10] then x~ at 3 and 8 (via pushes and inserts), y~ head, z* tail */
    assert_int_equal(hp_ref_list_push(l, HP_LIST_HEAD, y, "y", 1,
                                      HP_REF_WEAK), 0);
    assert_int_equal(hp_ref_list_push(l, HP_LIST_TAIL, x, "x", 1,
                                      HP_REF_WEAK), 0);
    assert_int_equal(hp_ref_list_push(l, HP_LIST_TAIL, z, "z", 1,
                                      HP_REF_STRONG), 0);
    assert_int_equal(hp_list_push(l, HP_LIST_TAIL, "q", 1), 0);
    assert_int_equal(hp_ref_list_push(l, HP_LIST_TAIL, x, "x", 1,
                                      HP_REF_WEAK), 0);
    /* y~ p*10 x~ z* q x~ : 15 */
    assert_int_equal(hp_list_len(l), 15);
    assert_int_equal(hp_weakref_count(x), 2);
    hp_decref(x); /* both x elements vanish, at once */
    assert_int_equal(events, 2);
    assert_ptr_equal(event_container, l);
    assert_int_equal(hp_list_len(l), 13);
    assert_ptr_equal(hp_ref_list_get(l, 0, NULL), y);
    assert_ptr_equal(hp_ref_list_get(l, 11, NULL), z);
    assert_true(label_is(l, 12, "q"));
    assert_int_equal(hp_ref_out_weak(l), 1);
    hp_decref(y);
    assert_int_equal(events, 3);
    assert_int_equal(hp_list_len(l), 12);
    assert_true(label_is(l, 0, "p"));
    assert_ptr_equal(hp_ref_list_get(l, 10, NULL), z);
    hp_decref(l);
    assert_int_equal(events, 3);
    hp_decref(z);
    hp_weakref_set_clear_callback(NULL, NULL);
    assert_int_equal(hp_mem_used(), base);
}

/* LREM drops a strong reference whose target then dies and takes a weak
 * element of the same list with it: after the removal, not during it. */
static void test_lref_lrem_cascade(void **state)
{
    size_t base = hp_mem_used();
    hp_obj_t *l = hp_list_new(), *a = hp_str_new("A", 1);

    assert_int_equal(hp_list_push(l, HP_LIST_TAIL, "p", 1), 0);
    assert_int_equal(hp_ref_list_push(l, HP_LIST_TAIL, a, "a", 1,
                                      HP_REF_STRONG), 0);
    assert_int_equal(hp_list_push(l, HP_LIST_TAIL, "p", 1), 0);
    assert_int_equal(hp_ref_list_push(l, HP_LIST_TAIL, a, "a", 1,
                                      HP_REF_WEAK), 0);
    assert_int_equal(hp_list_push(l, HP_LIST_TAIL, "q", 1), 0);
    hp_decref(a); /* only l's strong element holds it */
    assert_int_equal(hp_list_remove(l, 1, "a", 1), 1);
    assert_int_equal(hp_list_len(l), 3);
    assert_true(label_is(l, 0, "p") && label_is(l, 1, "p") &&
                label_is(l, 2, "q"));
    assert_null(hp__side_of(l));
    hp_decref(l);
    assert_int_equal(hp_mem_used(), base);
}

/* A list weakly referencing itself, and a strong self-reference. */
static void test_lref_self(void **state)
{
    size_t base = hp_mem_used();
    hp_obj_t *l = hp_list_new(), *p;

    assert_int_equal(hp_ref_list_push(l, HP_LIST_TAIL, l, "me", 2,
                                      HP_REF_WEAK), 0);
    assert_int_equal(hp_ref_list_push(l, HP_LIST_TAIL, l, "me", 2,
                                      HP_REF_STRONG), 0);
    assert_int_equal(l->refcount, 2);
    p = hp_list_pop(l, HP_LIST_HEAD, NULL); /* the weak one */
    hp_decref(p);
    assert_int_equal(hp_weakref_count(l), 0);
    assert_int_equal(hp_ref_list_push(l, HP_LIST_HEAD, l, "me", 2,
                                      HP_REF_WEAK), 0);
    hp_decref(l); /* only the cycle holds it */
    assert_int_equal(hp_gc_collect(2), 1);
    assert_int_equal(hp_mem_used(), base);
}

/* ---- the collector ---- */

static void test_lref_cycle_collected(void **state)
{
    size_t base = hp_mem_used();
    hp_obj_t *a = hp_list_new(), *b = hp_list_new(), *w = hp_list_new();
    hp_obj_t *h = hp_hash_new();

    events = 0;
    hp_weakref_set_clear_callback(on_clear, NULL);
    /* a -> b -> h -> a, all strong; w weakly holds b */
    assert_int_equal(hp_list_push(a, HP_LIST_TAIL, "x", 1), 0);
    assert_int_equal(hp_ref_list_push(a, HP_LIST_TAIL, b, "b", 1,
                                      HP_REF_STRONG), 0);
    assert_int_equal(hp_ref_list_push(b, HP_LIST_HEAD, h, "h", 1,
                                      HP_REF_STRONG), 0);
    assert_int_equal(hp_ref_hash_set(h, "up", 2, a, "a", 1, HP_REF_STRONG),
                     1);
    assert_int_equal(hp_ref_list_push(w, HP_LIST_TAIL, b, "b", 1,
                                      HP_REF_WEAK), 0);
    assert_int_equal(hp_list_push(w, HP_LIST_TAIL, "y", 1), 0);
    hp_decref(b);
    hp_decref(h);
    assert_int_equal(hp_gc_collect(2), 0); /* a is bound: all live */
    assert_int_equal(hp_list_len(w), 2);
    hp_decref(a);
    assert_int_equal(hp_gc_collect(2), 3);
    assert_int_equal(events, 1);
    assert_int_equal(hp_list_len(w), 1);
    assert_true(label_is(w, 0, "y"));
    assert_null(hp__side_of(w));
    hp_decref(w);
    hp_weakref_set_clear_callback(NULL, NULL);
    assert_int_equal(hp_mem_used(), base);
}

/* A ring of 2000 lists (strong references, big lists among them so the
 * deferred queue takes part) freed by one collection. */
static void test_lref_ring_collected(void **state)
{
    size_t base = hp_mem_used();
    const int n = 2000;
    hp_obj_t *first = hp_list_new(), *cur = first;

    for (int i = 1; i <= n; i++) {
        hp_obj_t *next = i == n ? first : hp_list_new();

        if (i % 500 == 0)
            for (int k = 0; k < 100; k++)
                assert_int_equal(hp_list_push(cur, k & 1, "pad", 3), 0);
        assert_int_equal(hp_ref_list_push(cur, HP_LIST_TAIL, next, "n", 1,
                                          HP_REF_STRONG), 0);
        if (i != n) hp_decref(next);
        cur = next;
    }
    hp_decref(first);
    assert_int_equal(hp_gc_collect(2), n);
    assert_int_equal(hp_mem_used(), base);
}

/* The barrier: a list reference moved from one list to another while a
 * collection is under way (at every point of it) never gets its target
 * freed; the moved-out element arrives as a plain label. */
static void test_lref_barrier(void **state)
{
    size_t base = hp_mem_used(), saved = hp_gc_config.slice_objects;

    for (int k = 0; k < 12; k++) {
        hp_obj_t *r = hp_list_new(), *b = hp_list_new(), *a = hp_list_new();
        hp_obj_t *v = hp_str_new("v", 1), *p;

        /* r -> a -> v, a held only by r; b a tracked root */
        assert_int_equal(hp_ref_list_push(a, HP_LIST_TAIL, v, "v", 1,
                                          HP_REF_STRONG), 0);
        assert_int_equal(hp_ref_list_push(r, HP_LIST_TAIL, a, "a", 1,
                                          HP_REF_STRONG), 0);
        assert_int_equal(hp_ref_list_push(b, HP_LIST_TAIL, v, "v", 1,
                                          HP_REF_STRONG), 0);
        hp_decref(a);
        hp_gc_config.slice_objects = 1;
        assert_int_equal(hp_gc_start(2), 0);
        for (int i = 0; i < k; i++)
            hp_gc_step(-1);
        assert_int_equal(hp_ref_list_push(b, HP_LIST_HEAD, a, "a", 1,
                                          HP_REF_STRONG), 0);
        p = hp_list_pop(r, HP_LIST_HEAD, NULL);
        assert_int_equal(p->type, HP_TYPE_STRING);
        hp_decref(p);
        while (hp_gc_in_progress())
            hp_gc_step(-1);
        hp_gc_config.slice_objects = saved;
        assert_int_equal(hp_gc_collect(2), 0);
        assert_ptr_equal(hp_ref_list_get(b, 0, NULL), a);
        assert_int_equal(a->refcount, 1);
        assert_ptr_equal(hp_ref_list_get(a, 0, NULL), v);
        hp_decref(r);
        hp_decref(b);
        assert_int_equal(v->refcount, 1);
        hp_decref(v);
    }
    assert_int_equal(hp_mem_used(), base);
}

/* A chain of 100k lists freed by refcount: no recursion. */
static void test_lref_long_chain(void **state)
{
    size_t base = hp_mem_used();
    hp_obj_t *head = hp_list_new(), *cur = head;

    for (int i = 1; i < 100000; i++) {
        hp_obj_t *next = hp_list_new();

        assert_int_equal(hp_ref_list_push(cur, HP_LIST_HEAD, next, "n", 1,
                                          HP_REF_STRONG), 0);
        hp_decref(next);
        cur = next;
    }
    hp_decref(head);
    assert_int_equal(hp_mem_used(), base);
}

/* ---- COPY ---- */

/* A plain copy of c (no references), as the server's COPY makes. */
static hp_obj_t *plain_copy(hp_obj_t *c)
{
    hp_list_iter_t it;
    hp_elem_t e;
    hp_obj_t *n;

    switch (c->type) {
    case HP_TYPE_HASH:
        return hp_hash_dup(c);
    case HP_TYPE_SET:
        return hp_set_dup(c);
    case HP_TYPE_ZSET:
        return hp_zset_copy(c);
    default:
        n = hp_list_new();
        if (!n) return NULL;
        hp_list_iter_init(&it, c, 0, hp_list_len(c), 0);
        while (hp_list_iter_next(&it, &e)) {
            char b[HP_INT_BUF];
            size_t len;
            const char *s = hp_elem_bytes(&e, b, &len);

            if (hp_list_push(n, HP_LIST_TAIL, s, len)) {
                hp_decref(n);
                return NULL;
            }
        }
        return n;
    }
}

/* A container of kind k (0..4 as tc_cont_new, 5 a list) holding a strong
 * reference to a and weak ones to b and d, and a plain element. */
static hp_obj_t *copy_source(int k, hp_obj_t *a, hp_obj_t *b, hp_obj_t *d)
{
    hp_obj_t *c;

    if (k == TC_CONT_KINDS) {
        c = hp_list_new();
        assert_int_equal(hp_list_push(c, HP_LIST_TAIL, "plain", 5), 0);
        assert_int_equal(hp_ref_list_push(c, HP_LIST_HEAD, a, "ka", 2,
                                          HP_REF_STRONG), 0);
        assert_int_equal(hp_ref_list_push(c, HP_LIST_TAIL, b, "kb", 2,
                                          HP_REF_WEAK), 0);
        assert_int_equal(hp_ref_list_push(c, HP_LIST_TAIL, d, "kd", 2,
                                          HP_REF_WEAK), 0);
        return c;
    }
    c = tc_cont_new(k);
    assert_int_equal(tc_ref_add(c, "ka", a, HP_REF_STRONG), 1);
    assert_int_equal(tc_ref_add(c, "kb", b, HP_REF_WEAK), 1);
    assert_int_equal(tc_ref_add(c, "kd", d, HP_REF_WEAK), 1);
    /* a plain element: a reference element that forgot its reference */
    assert_int_equal(tc_ref_add(c, "plain", a, HP_REF_STRONG), 1);
    assert_int_equal(hp_ref_forget(c, "plain", 5), 0);
    return c;
}

/* The target of element key of c (for a list, key "ka" is index 0,
 * "kb" 2, "kd" 3). */
static hp_obj_t *copy_get(hp_obj_t *c, const char *key, int *st)
{
    if (c->type == HP_TYPE_LIST)
        return hp_ref_list_get(c, key[1] == 'a' ? 0 : key[1] == 'b' ? 2 : 3,
                               st);
    return hp_ref_get(c, key, 2, st);
}

static void test_lref_copy_every_type(void **state)
{
    size_t base = hp_mem_used();

    for (int k = 0; k <= TC_CONT_KINDS; k++) {
        hp_obj_t *a = hp_str_new("A", 1), *b = hp_str_new("B", 1);
        hp_obj_t *d = hp_str_new("D", 1), *c = copy_source(k, a, b, d), *n;
        int st = -1;

        hp_decref(d); /* d dies: its weak elements vanish */
        n = plain_copy(c);
        assert_non_null(n);
        assert_int_equal(hp_ref_copy(n, c), 0);
        assert_ptr_equal(copy_get(n, "ka", &st), a);
        assert_int_equal(st, HP_REF_STRONG);
        assert_ptr_equal(copy_get(n, "kb", &st), b);
        assert_int_equal(st, HP_REF_WEAK);
        assert_int_equal(a->refcount, 3);
        assert_int_equal(hp_weakref_count(b), 2);
        assert_int_equal(hp_ref_out_strong(n), 1);
        assert_int_equal(hp_ref_out_weak(n), 1);
        assert_true(hp_gc_is_tracked(n));
        hp_decref(b); /* the weak element leaves both */
        assert_int_equal(hp_ref_out_weak(n), 0);
        hp_decref(c);
        assert_int_equal(a->refcount, 2);
        hp_decref(n);
        assert_int_equal(a->refcount, 1);
        hp_decref(a);
    }
    assert_int_equal(hp_mem_used(), base);
}

/* hp_ref_copy with each allocation failing in turn: -ENOMEM, and
 * dropping the copy gives every refcount and byte back. */
static void test_lref_copy_oom(void **state)
{
    for (int k = 0; k <= TC_CONT_KINDS; k++) {
        int done = 0;

        for (long f = 1; !done && f < 100; f++) {
            hp_obj_t *a = hp_str_new("A", 1), *b = hp_str_new("B", 1);
            hp_obj_t *d = hp_str_new("D", 1), *c = copy_source(k, a, b, d);
            size_t before = hp_mem_used();
            hp_obj_t *n = plain_copy(c);
            int rc;

            oom_fail_at(f, 0);
            rc = hp_ref_copy(n, c);
            oom_off();
            if (rc == 0) done = 1;
            else assert_int_equal(rc, -ENOMEM);
            hp_decref(n);
            assert_int_equal(hp_mem_used(), before);
            assert_int_equal(a->refcount, 2);
            assert_int_equal(hp_weakref_count(b), 1);
            hp_decref(c);
            hp_decref(a);
            hp_decref(b);
            hp_decref(d);
        }
        assert_true(done);
    }
}

/* hp_ref_list_push with each allocation failing in turn, into an empty
 * list and into one whose position index is full: -ENOMEM, nothing
 * changed. */
static void test_lref_push_oom(void **state)
{
    for (int pre = 0; pre < 2; pre++)
        for (int where = 0; where < 2; where++)
            for (int st = 0; st < 2; st++) {
                int done = 0;

                for (long f = 1; !done && f < 100; f++) {
                    hp_obj_t *l = hp_list_new(), *v = hp_str_new("v", 1);
                    hp_obj_t *u = hp_str_new("u", 1);
                    size_t before;
                    int rc;

                    /* pre: 4 refs on each side fill the index's room */
                    for (int i = 0; pre && i < 8; i++)
                        assert_int_equal(hp_ref_list_push(l, i & 1, u, "u", 1,
                                                          HP_REF_STRONG), 0);
                    before = hp_mem_used();
                    oom_fail_at(f, 0);
                    rc = hp_ref_list_push(l, where, v, "vv", 2, st);
                    oom_off();
                    if (rc == 0) {
                        done = 1;
                        assert_int_equal(hp_list_len(l), pre ? 9 : 1);
                        assert_ptr_equal(hp_ref_list_get(l, where ? -1 : 0,
                                                         NULL), v);
                    } else {
                        assert_int_equal(rc, -ENOMEM);
                        assert_int_equal(hp_list_len(l), pre ? 8 : 0);
                        /* the position index may keep the room it
                         * grew before the failure, nothing else */
                        if (pre)
                            assert_true(hp_mem_used() <= before + 256);
                        else
                            assert_int_equal(hp_mem_used(), before);
                        assert_int_equal(v->refcount, 1);
                        assert_null(hp__side_of(v));
                        if (!pre) assert_null(hp__side_of(l));
                    }
                    hp_decref(l);
                    assert_int_equal(u->refcount, 1);
                    hp_decref(u);
                    hp_decref(v);
                }
                assert_true(done);
            }
}

/* List writes that remove or shift never allocate on behalf of the
 * references: with every allocation failing, pops, LREM, LTRIM and
 * weak clearing keep positions and refcounts right. */
static void test_lref_removals_allocate_nothing(void **state)
{
    size_t base = hp_mem_used();
    hp_obj_t *l = hp_list_new(), *a = hp_str_new("A", 1);
    hp_obj_t *w = hp_str_new("W", 1), *p;

    for (int i = 0; i < 30; i++) {
        assert_int_equal(hp_list_push(l, HP_LIST_TAIL, "p", 1), 0);
        assert_int_equal(hp_ref_list_push(l, i & 1, i % 3 ? a : w, "r", 1,
                                          i % 3 ? HP_REF_STRONG
                                                : HP_REF_WEAK), 0);
    }
    oom_fail_at(1, 1);
    p = hp_list_pop(l, HP_LIST_HEAD, NULL); /* OOM: unchanged */
    assert_null(p);
    assert_int_equal(hp_list_len(l), 60);
    hp_decref(w); /* 10 weak elements vanish */
    assert_int_equal(hp_list_len(l), 50);
    assert_int_equal(hp_list_remove(l, 3, "r", 1), 3);
    hp_list_trim(l, 2, -3);
    assert_int_equal(hp_list_len(l), 43);
    assert_int_equal(hp_list_delete_range(l, 0, 10), 10);
    oom_off();
    assert_int_equal(a->refcount, 1 + hp_ref_out_strong(l));
    assert_int_equal(hp_ref_out_weak(l), 0);
    {
        size_t nr = 0;

        for (long i = 0; i < (long)hp_list_len(l); i++) {
            if (!label_is(l, i, "r")) {
                assert_null(hp_ref_list_get(l, i, NULL));
                continue;
            }
            assert_ptr_equal(hp_ref_list_get(l, i, NULL), a);
            nr++;
        }
        assert_int_equal(nr, hp_ref_out_strong(l));
    }
    hp_decref(l);
    assert_int_equal(a->refcount, 1);
    hp_decref(a);
    assert_int_equal(hp_mem_used(), base);
}

/* ---- marks: every write, weak elements, splits, COPY ---- */

#define NW 24          /* weak targets */
#define LONG_LEN 700   /* a long label: byte-limited nodes split */

typedef struct wel {
    char label[8]; /* "L<c>" stands for LONG_LEN bytes of c */
    int t;         /* -1 plain, 0..NT-1 strong t[j], NT + k weak w[k] */
} wel_t;

typedef struct wmodel {
    wel_t v[MAXL];
    int n;
    hp_obj_t *t[NT], *w[NW];
} wmodel_t;

/* The bytes label stands for, in buf (LONG_LEN + 1 bytes). */
static const char *wlabel(const char *label, char *buf, size_t *len)
{
    if (label[0] != 'L') {
        *len = strlen(label);
        return label;
    }
    memset(buf, label[1], LONG_LEN);
    *len = LONG_LEN;
    return buf;
}

/* The object model element e refers to, NULL for a plain one. */
static hp_obj_t *wtarget(const wmodel_t *m, const wel_t *e)
{
    if (e->t < 0) return NULL;
    return e->t < NT ? m->t[e->t] : m->w[e->t - NT];
}

/* List l against model m: labels, references by index (in order and at
 * random), counts, refcounts, weak counts and the marks' invariants. */
static void wmodel_check(hp_obj_t *l, const wmodel_t *m)
{
    int held[NT] = {0}, weak[NW] = {0}, i = 0, nw = 0, ns = 0;
    hp_list_iter_t it;
    hp_elem_t e;
    char buf[LONG_LEN + 1], b[HP_INT_BUF];

    assert_int_equal(hp_ql_validate(l->v.ptr), 0);
    assert_int_equal(hp_list_len(l), m->n);
    hp_list_iter_init(&it, l, 0, hp_list_len(l), 0);
    for (; hp_list_iter_next(&it, &e); i++) {
        size_t n, wn;
        const char *p = hp_elem_bytes(&e, b, &n);
        const char *want = wlabel(m->v[i].label, buf, &wn);

        assert_int_equal(n, wn);
        assert_memory_equal(p, want, n);
    }
    for (i = 0; i < m->n; i++) {
        assert_ptr_equal(hp_ref_list_get(l, i, NULL), wtarget(m, &m->v[i]));
        if (m->v[i].t >= NT) {
            weak[m->v[i].t - NT]++;
            nw++;
        } else if (m->v[i].t >= 0) {
            held[m->v[i].t]++;
            ns++;
        }
    }
    for (int k = 0; k < 40 && m->n; k++) {
        int j = (int)rnd((uint32_t)m->n);

        assert_ptr_equal(hp_ref_list_get(l, j - (rnd(2) ? m->n : 0), NULL),
                         wtarget(m, &m->v[j]));
    }
    for (int j = 0; j < NT; j++)
        assert_int_equal(m->t[j]->refcount, 1 + held[j]);
    for (int k = 0; k < NW; k++)
        if (m->w[k]) assert_int_equal(hp_weakref_count(m->w[k]), weak[k]);
    assert_int_equal(hp_ref_out_strong(l), ns);
    assert_int_equal(hp_ref_out_weak(l), nw);
}

static void wmodel_insert(wmodel_t *m, int at, const char *label, int t)
{
    memmove(m->v + at + 1, m->v + at, sizeof(wel_t) * (size_t)(m->n - at));
    snprintf(m->v[at].label, sizeof(m->v[at].label), "%s", label);
    m->v[at].t = t;
    m->n++;
}

static void wmodel_delete(wmodel_t *m, int at, int count)
{
    memmove(m->v + at, m->v + at + count,
            sizeof(wel_t) * (size_t)(m->n - at - count));
    m->n -= count;
}

/* A random plain label, long now and then. */
static void wrand_label(char *lab, size_t size)
{
    if (rnd(8) == 0)
        snprintf(lab, size, "L%c", 'a' + (int)rnd(3));
    else
        snprintf(lab, size, "p%d", (int)rnd(3));
}

/* Elements of m whose label is lab, first to last (count >= 0) or last
 * to first, at most |count| (0: all), are deleted. Returns how many. */
static size_t wmodel_lrem(wmodel_t *m, long count, const char *lab)
{
    size_t done = 0, max = count < 0 ? (size_t)-count : (size_t)count;

    if (count >= 0) {
        for (int i = 0; i < m->n; i++)
            if (strcmp(m->v[i].label, lab) == 0 && (!max || done < max)) {
                wmodel_delete(m, i--, 1);
                done++;
            }
    } else {
        for (int i = m->n - 1; i >= 0; i--)
            if (strcmp(m->v[i].label, lab) == 0 && done < max) {
                wmodel_delete(m, i, 1);
                done++;
            }
    }
    return done;
}

/* Weak target k dies: its elements leave l (checked) and m. */
static void wmodel_kill(hp_obj_t *l, wmodel_t *m, int k)
{
    size_t before = hp__ql_visits;
    int gone = 0;

    if (!m->w[k]) return;
    for (int i = 0; i < m->n; i++)
        if (m->v[i].t == NT + k) {
            wmodel_delete(m, i--, 1);
            gone++;
        }
    hp_decref(m->w[k]);
    m->w[k] = NULL;
    /* one node visited per element cleared, no walk */
    assert_int_equal(hp__ql_visits - before, (size_t)gone);
    assert_int_equal(hp_list_len(l), m->n);
}

/* A COPY of l (labels, then hp_ref_copy) matches m. */
static void wmodel_copy_check(hp_obj_t *l, const wmodel_t *m)
{
    hp_obj_t *n = plain_copy(l);
    int rc;

    if (!n) return; /* OOM */
    rc = hp_ref_copy(n, l);
    if (rc == 0) {
        for (int i = 0; i < m->n; i++)
            assert_ptr_equal(hp_ref_list_get(n, i, NULL),
                             wtarget(m, &m->v[i]));
        assert_int_equal(hp_ql_validate(n->v.ptr), 0);
    } else {
        assert_int_equal(rc, -ENOMEM);
    }
    hp_decref(n);
}

/* One random write on l and the model (an allocation failure leaves
 * both unchanged). */
static void wmodel_step(hp_obj_t *l, wmodel_t *m)
{
    char lab[8], buf[LONG_LEN + 1];
    int op = (int)rnd(17), j = (int)rnd(NT), k = (int)rnd(NW), rc, at;
    const char *s;
    size_t len;
    hp_obj_t *p;

    wrand_label(lab, sizeof(lab));
    if (m->n >= MAXL - 2 && op < 6) op = 6;
    switch (op) {
    case 0: case 1: /* REF push, strong */
        snprintf(lab, sizeof(lab), "t%d", j);
        rc = hp_ref_list_push(l, op, m->t[j], lab, strlen(lab),
                              HP_REF_STRONG);
        if (rc == 0) wmodel_insert(m, op ? m->n : 0, lab, j);
        else assert_int_equal(rc, -ENOMEM);
        break;
    case 2: case 3: /* REF push, weak */
        if (!m->w[k]) {
            snprintf(lab, sizeof(lab), "W%d", k);
            if (!(m->w[k] = hp_str_new(lab, strlen(lab)))) break;
        }
        snprintf(lab, sizeof(lab), "w%d", k);
        rc = hp_ref_list_push(l, op - 2, m->w[k], lab, strlen(lab),
                              HP_REF_WEAK);
        if (rc == 0) wmodel_insert(m, op == 3 ? m->n : 0, lab, NT + k);
        else assert_int_equal(rc, -ENOMEM);
        break;
    case 4: case 5: /* plain push */
        s = wlabel(lab, buf, &len);
        if (hp_list_push(l, op - 4, s, len) == 0)
            wmodel_insert(m, op == 5 ? m->n : 0, lab, -1);
        break;
    case 6: case 7: /* pop */
        if (m->n == 0) break;
        rc = 0;
        p = hp_list_pop(l, op - 6, &rc);
        if (p) {
            wmodel_delete(m, op == 7 ? m->n - 1 : 0, 1);
            hp_decref(p);
        } else {
            assert_int_equal(rc, -ENOMEM);
        }
        break;
    case 8: /* LSET */
        if (m->n == 0) break;
        at = (int)rnd((uint32_t)m->n);
        s = wlabel(lab, buf, &len);
        if (hp_list_set(l, at - (rnd(2) ? m->n : 0), s, len) == 0) {
            snprintf(m->v[at].label, sizeof(m->v[at].label), "%s", lab);
            m->v[at].t = -1;
        }
        break;
    case 9: case 10: { /* LINSERT, pivot an existing label */
        int after = (int)rnd(2), pv = -1;
        char pivot[8];

        if (m->n == 0) break;
        snprintf(pivot, sizeof(pivot), "%s", m->v[rnd((uint32_t)m->n)].label);
        for (int i = 0; i < m->n && pv < 0; i++)
            if (strcmp(m->v[i].label, pivot) == 0) pv = i;
        {
            char pb[LONG_LEN + 1];
            size_t plen;
            const char *ps = wlabel(pivot, pb, &plen);

            s = wlabel(lab, buf, &len);
            rc = hp_list_insert(l, after, ps, plen, s, len);
        }
        if (rc == 0) wmodel_insert(m, pv + after, lab, -1);
        else assert_int_equal(rc, -ENOMEM);
        break;
    }
    case 11: { /* LREM */
        long count = (long)rnd(5) - 2;
        size_t want = wmodel_lrem(m, count, lab);

        s = wlabel(lab, buf, &len);
        assert_int_equal(hp_list_remove(l, count, s, len), want);
        break;
    }
    case 12: { /* LTRIM */
        long a = (long)rnd((uint32_t)m->n + 2) - 1;
        long b = (long)rnd((uint32_t)m->n + 2) - 1;
        size_t first, count;

        if (m->n < 40) break;
        hp_list_range(l, a, b + m->n / 2, &first, &count);
        hp_list_trim(l, a, b + m->n / 2);
        if (count == 0) {
            m->n = 0;
        } else {
            wmodel_delete(m, (int)(first + count),
                          m->n - (int)(first + count));
            wmodel_delete(m, 0, (int)first);
        }
        break;
    }
    case 13: { /* delete_range */
        int start, count;

        if (m->n == 0) break;
        start = (int)rnd((uint32_t)m->n);
        count = (int)rnd(6) + 1;
        if (start + count > m->n) count = m->n - start;
        assert_int_equal(hp_list_delete_range(l, (size_t)start,
                                              (size_t)count), count);
        wmodel_delete(m, start, count);
        break;
    }
    case 14: case 15: /* a weak target dies */
        wmodel_kill(l, m, k);
        break;
    default:
        if (rnd(8) == 0) wmodel_copy_check(l, m);
        break;
    }
}

/* Seeded random runs over node sizes by count and by bytes (long labels
 * split byte-limited nodes on LSET and LINSERT), weak elements cleared
 * at random places, checked after every step; odd runs with allocation
 * failures sprinkled in. GENCACHE_MODEL_STEPS sets the steps per run. */
static void test_lref_marks_model(void **state)
{
    static const int fills[] = {4, 1, 3, -1, 16, -2};
    const char *env = getenv("GENCACHE_MODEL_STEPS");
    int steps = env ? atoi(env) : 2500;
    size_t base = hp_mem_used();

    (void)state;
    for (int run = 0; run < 12; run++) {
        static wmodel_t m;
        hp_obj_t *l;

        hp_limits.list_max_listpack_size = fills[run % 6];
        l = hp_list_new();
        rng_state = 0x51ed270b27a4c3e1ull + (uint64_t)run;
        memset(&m, 0, sizeof(m));
        for (int j = 0; j < NT; j++) {
            char s[8];

            snprintf(s, sizeof(s), "T%d", j);
            m.t[j] = hp_str_new(s, strlen(s));
        }
        for (int step = 0; step < steps; step++) {
            if ((run & 1) && rnd(4) == 0) oom_fail_at((long)rnd(4) + 1, 0);
            wmodel_step(l, &m);
            oom_off();
            wmodel_check(l, &m);
        }
        hp_decref(l);
        for (int j = 0; j < NT; j++) {
            assert_int_equal(m.t[j]->refcount, 1);
            hp_decref(m.t[j]);
        }
        for (int k = 0; k < NW; k++)
            if (m.w[k]) {
                assert_int_equal(hp_weakref_count(m.w[k]), 0);
                hp_decref(m.w[k]);
            }
    }
    hp_limits.list_max_listpack_size = 4;
    assert_int_equal(hp_mem_used(), base);
}

/* White box: clearing a weak element in the middle of a list of a
 * million visits its own node only (hp__ql_visits counts every node a
 * lookup steps over), whatever the list's length; the list stays
 * right. Small nodes (4 entries: 250,000 nodes) make a walk obvious. */
static void test_lref_weak_clear_visits(void **state)
{
    enum { N = 1000000, K = 1000 };
    static hp_obj_t *w[K];
    size_t base = hp_mem_used();
    hp_obj_t *l = hp_list_new();
    char s[16];

    (void)state;
    for (int i = 0; i < N / 2; i++)
        assert_int_equal(hp_list_push(l, HP_LIST_TAIL, "p", 1), 0);
    for (int k = 0; k < K; k++) {
        snprintf(s, sizeof(s), "w%d", k);
        w[k] = hp_str_new(s, strlen(s));
        assert_int_equal(hp_ref_list_push(l, HP_LIST_TAIL, w[k], s,
                                          strlen(s), HP_REF_WEAK), 0);
    }
    for (int i = 0; i < N / 2 - K; i++)
        assert_int_equal(hp_list_push(l, HP_LIST_TAIL, "q", 1), 0);
    assert_int_equal(hp_list_len(l), N);
    assert_ptr_equal(hp_ref_list_get(l, N / 2 + K / 2, NULL), w[K / 2]);
    /* middle-out, so each one is deep inside the list */
    for (int j = 0; j < K; j++) {
        int k = K / 2 + (j & 1 ? -(j + 1) / 2 : j / 2);
        size_t before = hp__ql_visits;

        hp_decref(w[k]);
        assert_int_equal(hp__ql_visits - before, 1);
        assert_int_equal(hp_list_len(l), N - 1 - j);
        assert_int_equal(hp_ref_out_weak(l), K - 1 - j);
    }
    assert_true(label_is(l, N / 2 - 1, "p"));
    assert_true(label_is(l, N / 2, "q"));
    assert_null(hp__side_of(l));
    assert_int_equal(hp_ql_validate(l->v.ptr), 0);
    hp_decref(l);
    assert_int_equal(hp_mem_used(), base);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lref_push_get_pop),
        cmocka_unit_test(test_lref_bad_args),
        cmocka_unit_test(test_lref_model),
        cmocka_unit_test(test_lref_weak_cleared_on_death),
        cmocka_unit_test(test_lref_lrem_cascade),
        cmocka_unit_test(test_lref_self),
        cmocka_unit_test(test_lref_cycle_collected),
        cmocka_unit_test(test_lref_ring_collected),
        cmocka_unit_test(test_lref_barrier),
        cmocka_unit_test(test_lref_long_chain),
        cmocka_unit_test(test_lref_copy_every_type),
        cmocka_unit_test(test_lref_copy_oom),
        cmocka_unit_test(test_lref_push_oom),
        cmocka_unit_test(test_lref_removals_allocate_nothing),
        cmocka_unit_test(test_lref_marks_model),
        cmocka_unit_test(test_lref_weak_clear_visits),
    };

    return cmocka_run_group_tests(tests, setup_small_nodes, NULL);
}
