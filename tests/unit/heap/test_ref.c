/*
 * test_ref.c - heap/ref.c: reference elements in hashes, sets and sorted
 * sets (both encodings): refcounts of targets, tracking, standard writes
 * that overwrite or remove an element dropping its reference, container
 * death dropping its references (a 100k chain without recursion), bad
 * arguments and allocation failures at every point; the side-record slot
 * in front of a container's header, the inline first element and the
 * side record's room for it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <errno.h>

#include <cmocka.h>

#include "heap_int.h"
#include "heap_ref.h"
#include "oom.h"
#include "refcont.h"

/* Remove element key of c by the standard write. */
static void elem_del(hp_obj_t *c, const char *key)
{
    size_t n = strlen(key);

    if (c->type == HP_TYPE_HASH)
        assert_int_equal(hp_hash_del(c, key, n), 0);
    else if (c->type == HP_TYPE_SET)
        assert_int_equal(hp_set_remove(c, key, n), 1);
    else
        assert_int_equal(hp_zset_remove(c, key, n), 0);
}

static void test_ref_strong_every_type(void **state)
{
    size_t base = hp_mem_used();

    for (int t = 0; t < 3; t++) {
        hp_obj_t *c = tc_cont_new(t), *v = hp_str_new("value", 5);

        assert_int_equal(tc_ref_add(c, "user:1", v, HP_REF_STRONG), 1);
        assert_int_equal(v->refcount, 2);
        assert_true(hp_gc_is_tracked(c));
        assert_int_equal(hp_gc_generation(c), 0);
        assert_int_equal(hp_ref_out_strong(c), 1);
        assert_ptr_equal(hp_ref_get(c, "user:1", 6, NULL), v);
        assert_true(hp_ref_is_ref(c, "user:1", 6));
        elem_del(c, "user:1");
        assert_int_equal(v->refcount, 1);
        assert_false(hp_gc_is_tracked(c));
        assert_int_equal(hp_gc_generation(c), -1);
        assert_null(hp__side_of(c));
        assert_int_equal(c->flags & HP_OF_SIDE, 0);
        hp_decref(c);
        hp_decref(v);
    }
    assert_int_equal(hp_mem_used(), base);
}

static void test_ref_label_is_the_element(void **state)
{
    hp_obj_t *h = hp_hash_new(), *s = hp_set_new(), *z = hp_zset_new(1, 1);
    hp_obj_t *v = hp_str_new("x", 1);
    hp_elem_t e;
    double sc;

    assert_int_equal(hp_ref_hash_set(h, "author", 6, v, "user:17", 7,
                                     HP_REF_STRONG), 1);
    assert_int_equal(hp_hash_get(h, "author", 6, &e), 0);
    assert_int_equal(e.len, 7);
    assert_memory_equal(e.s, "user:17", 7);
    assert_int_equal(hp_ref_set_add(s, v, "user:17", 7, HP_REF_STRONG), 1);
    assert_true(hp_set_ismember(s, "user:17", 7));
    assert_int_equal(hp_ref_zset_add(z, 2.5, v, "user:17", 7, HP_REF_WEAK),
                     1);
    assert_int_equal(hp_zset_score(z, "user:17", 7, &sc), 0);
    assert_true(sc == 2.5);
    assert_int_equal(v->refcount, 3);
    assert_int_equal(hp_weakref_count(v), 1);
    hp_decref(h);
    hp_decref(s);
    hp_decref(z);
    assert_int_equal(v->refcount, 1);
    assert_int_equal(hp_weakref_count(v), 0);
    hp_decref(v);
}

static void test_ref_existing_member_kept(void **state)
{
    hp_obj_t *s = hp_set_new(), *z = hp_zset_new(1, 1);
    hp_obj_t *a = hp_str_new("a", 1), *b = hp_str_new("b", 1);
    double sc;

    assert_int_equal(hp_set_add(s, "k", 1), 1);
    assert_int_equal(hp_ref_set_add(s, a, "k", 1, HP_REF_STRONG), 0);
    assert_false(hp_ref_is_ref(s, "k", 1));
    assert_int_equal(a->refcount, 1);
    assert_int_equal(hp_ref_zset_add(z, 1, a, "k", 1, HP_REF_STRONG), 1);
    assert_int_equal(hp_ref_zset_add(z, 5, b, "k", 1, HP_REF_STRONG), 0);
    assert_ptr_equal(hp_ref_get(z, "k", 1, NULL), a);
    assert_int_equal(hp_zset_score(z, "k", 1, &sc), 0);
    assert_true(sc == 5);
    assert_int_equal(b->refcount, 1);
    hp_decref(s);
    hp_decref(z);
    hp_decref(a);
    hp_decref(b);
}

static void test_ref_hash_overwrite_drops(void **state)
{
    size_t base = hp_mem_used();
    hp_obj_t *h = hp_hash_new(), *a = hp_str_new("a", 1);
    hp_obj_t *b = hp_str_new("b", 1);

    assert_int_equal(hp_ref_hash_set(h, "f", 1, a, "A", 1, HP_REF_STRONG), 1);
    /* a reference replacing a reference */
    assert_int_equal(hp_ref_hash_set(h, "f", 1, b, "B", 1, HP_REF_STRONG), 0);
    assert_int_equal(a->refcount, 1);
    assert_int_equal(b->refcount, 2);
    /* a plain HSET replacing a reference */
    assert_int_equal(hp_hash_set(h, "f", 1, "plain", 5), 0);
    assert_int_equal(b->refcount, 1);
    assert_false(hp_ref_is_ref(h, "f", 1));
    assert_null(hp__side_of(h));
    hp_decref(h);
    hp_decref(a);
    hp_decref(b);
    assert_int_equal(hp_mem_used(), base);
}

static void test_ref_hashtable_encoding(void **state)
{
    hp_obj_t *h = hp_hash_new(), *v = hp_str_new("v", 1);
    char f[32];
    int n = (int)hp_limits.hash_max_listpack_entries + 50;

    for (int i = 0; i < n; i++) {
        snprintf(f, sizeof(f), "f%d", i);
        assert_int_equal(hp_ref_hash_set(h, f, strlen(f), v, f, strlen(f),
                                         HP_REF_STRONG), 1);
    }
    assert_int_equal(h->encoding, HP_ENC_HASHTABLE);
    assert_int_equal(v->refcount, n + 1);
    for (int i = 0; i < n; i += 2) {
        snprintf(f, sizeof(f), "f%d", i);
        assert_int_equal(hp_hash_del(h, f, strlen(f)), 0);
    }
    assert_int_equal(v->refcount, n / 2 + 1);
    assert_int_equal(hp_ref_out_strong(h), n / 2);
    hp_decref(h);
    assert_int_equal(v->refcount, 1);
    hp_decref(v);
}

static void test_ref_set_pop_and_intset(void **state)
{
    hp_obj_t *s = hp_set_new(), *v = hp_str_new("v", 1), *p;

    /* numeric labels keep the intset encoding */
    assert_int_equal(hp_ref_set_add(s, v, "17", 2, HP_REF_STRONG), 1);
    assert_int_equal(s->encoding, HP_ENC_INTSET);
    assert_int_equal(hp_ref_set_add(s, v, "18", 2, HP_REF_STRONG), 1);
    assert_int_equal(v->refcount, 3);
    p = hp_set_pop(s, NULL);
    assert_non_null(p);
    hp_decref(p);
    assert_int_equal(v->refcount, 2);
    p = hp_set_pop(s, NULL);
    hp_decref(p);
    assert_int_equal(v->refcount, 1);
    assert_null(hp__side_of(s));
    hp_decref(s);
    hp_decref(v);
}

/* SPOP of a hashtable set whose members are references releases each
 * one; the popped member's bytes (its entry's key) are read before the
 * entry is freed (a use after free under ASan before). */
static void test_ref_set_pop_hashtable(void **state)
{
    hp_obj_t *s = hp_set_new_hashtable(), *v = hp_str_new("v", 1), *p;
    char m[16];

    for (int i = 0; i < 40; i++) {
        snprintf(m, sizeof(m), "member-%02d", i);
        assert_int_equal(hp_ref_set_add(s, v, m, strlen(m), HP_REF_STRONG),
                         1);
    }
    assert_int_equal(v->refcount, 41);
    for (int i = 0; i < 40; i++) {
        p = hp_set_pop(s, NULL);
        assert_non_null(p);
        hp_decref(p);
        assert_int_equal(v->refcount, 40 - i);
    }
    assert_null(hp__side_of(s));
    hp_decref(s);
    hp_decref(v);
}

static void test_ref_zset_delete_ranks(void **state)
{
    for (int big = 0; big < 2; big++) {
        hp_obj_t *z = hp_zset_new(big ? 1000 : 1, 1);
        hp_obj_t *v = hp_str_new("v", 1);
        char m[16];

        for (int i = 0; i < 50; i++) {
            snprintf(m, sizeof(m), "m%02d", i);
            assert_int_equal(hp_ref_zset_add(z, i, v, m, strlen(m),
                                             HP_REF_STRONG), 1);
        }
        assert_int_equal(z->encoding, big ? HP_ENC_SKIPLIST : HP_ENC_LISTPACK);
        assert_int_equal(hp_zset_delete_ranks(z, 10, 20), 20);
        assert_int_equal(v->refcount, 31);
        assert_null(hp_ref_get(z, "m15", 3, NULL));
        assert_ptr_equal(hp_ref_get(z, "m05", 3, NULL), v);
        hp_decref(z);
        assert_int_equal(v->refcount, 1);
        hp_decref(v);
    }
}

/* hp_ref_visit_fn counting visits of live targets. */
static void count_visit(void *ud, const char *key, size_t klen,
                        hp_obj_t *target, int strength)
{
    (void)key;
    (void)klen;
    (void)strength;
    if (target) (*(size_t *)ud)++;
}

static void test_ref_forget_and_foreach(void **state)
{
    hp_obj_t *h = hp_hash_new(), *a = hp_str_new("a", 1);
    size_t n = 0;

    assert_int_equal(hp_ref_hash_set(h, "f", 1, a, "A", 1, HP_REF_STRONG), 1);
    assert_int_equal(hp_ref_hash_set(h, "g", 1, a, "A", 1, HP_REF_WEAK), 1);
    assert_int_equal(hp_ref_out_weak(h), 1);
    hp_ref_foreach(h, count_visit, &n);
    assert_int_equal(n, 2);
    assert_int_equal(hp_ref_forget(h, "f", 1), 0);
    assert_int_equal(hp_ref_forget(h, "f", 1), -ENOENT);
    assert_true(hp_hash_exists(h, "f", 1));
    assert_int_equal(a->refcount, 1);
    hp_decref(h);
    hp_decref(a);
}

static void test_ref_bad_args(void **state)
{
    hp_obj_t *h = hp_hash_new(), *s = hp_set_new();
    hp_obj_t *shared = hp_str_new_int(5), *v = hp_str_new("v", 1);

    assert_int_equal(hp_ref_hash_set(h, "f", 1, shared, "x", 1, 0), -EINVAL);
    assert_int_equal(hp_ref_hash_set(h, "f", 1, NULL, "x", 1, 0), -EINVAL);
    assert_int_equal(hp_ref_hash_set(s, "f", 1, v, "x", 1, 0), -EINVAL);
    assert_int_equal(hp_ref_hash_set(h, "f", 1, v, "x", 1, 7), -EINVAL);
    assert_null(hp_weakref_new(shared, NULL));
    assert_int_equal(hp_hash_len(h), 0);
    assert_null(hp__side_of(h));
    hp_decref(h);
    hp_decref(s);
    hp_decref(v);
}

/* A chain c0 -> c1 -> ... -> cn-1 of strong hash references, freed by
 * refcount when its head goes: must not recurse. */
static void test_ref_long_chain_frees_iteratively(void **state)
{
    size_t base = hp_mem_used();
    const int n = 100000;
    hp_obj_t *head = hp_hash_new(), *cur = head;

    for (int i = 1; i < n; i++) {
        hp_obj_t *next = hp_hash_new();

        assert_int_equal(hp_ref_hash_set(cur, "next", 4, next, "n", 1,
                                         HP_REF_STRONG), 1);
        hp_decref(next);
        cur = next;
    }
    hp_decref(head);
    assert_int_equal(hp_mem_used(), base);
}

/* Every allocation of a reference store fails in turn: -ENOMEM, nothing
 * changed, memory back. */
static void test_ref_oom_every_point(void **state)
{
    for (int t = 0; t < 3; t++) {
        for (int st = 0; st < 2; st++) {
            int done = 0;

            for (long n = 1; !done && n < 100; n++) {
                hp_obj_t *c = tc_cont_new(t), *v = hp_str_new("v", 1);
                size_t before = hp_mem_used();
                int rc, enc = c->encoding;

                oom_fail_at(n, 0);
                rc = tc_ref_add(c, "key", v, st);
                oom_off();
                if (rc == -ENOMEM) {
                    /* a set's intset -> hashtable conversion may stay,
                     * as hp_set_add documents */
                    if (c->encoding == enc)
                        assert_int_equal(hp_mem_used(), before);
                    assert_int_equal(v->refcount, 1);
                    assert_null(hp__side_of(c));
                    assert_null(hp__side_of(v));
                } else {
                    assert_int_equal(rc, 1);
                    done = 1;
                }
                hp_decref(c);
                hp_decref(v);
            }
            assert_true(done);
        }
    }
}

/* Containers keep their side record in the slot in front of the header
 * (set with the first reference element, NULL again with the last);
 * strings keep theirs in the address table; the slot costs nothing in
 * the accounting (the block is counted whole and freed whole). */
static void test_ref_side_slot(void **state)
{
    size_t base = hp_mem_used();

    for (int t = 0; t < TC_CONT_KINDS; t++) {
        size_t before = hp_mem_used();
        hp_obj_t *c = tc_cont_new(t), *v = hp_str_new("value", 5);
        size_t made = hp_mem_used() - before;

        assert_true(c->flags & HP_OF_PREFIX);
        assert_false(v->flags & HP_OF_PREFIX);
        assert_null(*hp__obj_prefix(c));
        assert_true(made == hp_obj_mem(c) + hp_obj_mem(v));
        assert_true(hp_malloc_size(hp__obj_block(c)) >=
                    HP_OBJ_PREFIX + sizeof(*c));
        assert_int_equal(tc_ref_add(c, "k", v, HP_REF_WEAK), 1);
        assert_non_null(hp__side_of(c));
        assert_ptr_equal(*hp__obj_prefix(c), hp__side_of(c));
        assert_ptr_equal(hp__side_of(c)->obj, c);
        assert_non_null(hp__side_of(v)); /* a string: the table */
        assert_ptr_equal(hp__side_of(v)->obj, v);
        assert_int_equal(hp_ref_forget(c, "k", 1), 0);
        assert_null(*hp__obj_prefix(c));
        assert_null(hp__side_of(c));
        assert_null(hp__side_of(v));
        assert_int_equal(c->flags & HP_OF_SIDE, 0);
        assert_true(c->flags & HP_OF_PREFIX);
        /* a container that is a weak target has its record in the slot */
        hp_weakref_t *w = hp_weakref_new(c, NULL);

        assert_non_null(w);
        assert_ptr_equal(*hp__obj_prefix(c), hp__side_of(c));
        hp_weakref_free(w);
        assert_null(*hp__obj_prefix(c));
        hp_decref(c);
        hp_decref(v);
        assert_int_equal(hp_mem_used(), before);
    }
    assert_int_equal(hp_mem_used(), base);
}

/* An object counted by used_memory exactly: its block (slot included),
 * whatever its encoding; and a dying container's slot is freed with it
 * (the weak binding to it is cleared). */
static void test_ref_side_slot_dies(void **state)
{
    size_t base = hp_mem_used();
    hp_obj_t *h = hp_hash_new(), *l = hp_list_new();
    hp_weakref_t *w = hp_weakref_new(l, NULL);

    assert_int_equal(hp_ref_hash_set(h, "l", 1, l, "L", 1, HP_REF_STRONG),
                     1);
    assert_int_equal(hp_ref_list_push(l, HP_LIST_TAIL, h, "H", 1,
                                      HP_REF_STRONG), 0);
    assert_ptr_equal(*hp__obj_prefix(l), hp__side_of(l));
    hp_decref(l);
    hp_decref(h);
    assert_ptr_equal(hp_weakref_get(w), l); /* a cycle: alive */
    assert_int_equal(hp_gc_collect(2), 2);
    assert_null(hp_weakref_get(w));
    hp_weakref_free(w);
    assert_int_equal(hp_mem_used(), base);
}

static void count_keys(void *ud, const char *key, size_t klen,
                       hp_obj_t *target, int strength)
{
    (void)key;
    (void)klen;
    (void)target;
    (void)strength;
    (*(size_t *)ud)++;
}

/* A side record holds its first reference element inline (one) and
 * moves to a dict at the second key: lookups, removal, foreach, COPY and
 * the collector see the same elements either way. */
static void test_ref_one_then_dict(void **state)
{
    size_t base = hp_mem_used();
    hp_obj_t *h = hp_hash_new(), *a = hp_str_new("a", 1);
    hp_obj_t *b = hp_str_new("b", 1), *c;
    size_t n = 0;

    assert_int_equal(hp_ref_hash_set(h, "f", 1, a, "A", 1, HP_REF_STRONG), 1);
    assert_non_null(hp__side_of(h)->one);
    assert_null(hp__side_of(h)->elems);
    assert_null(hp_ref_get(h, "g", 1, NULL));
    assert_null(hp_ref_get(h, "ff", 2, NULL));
    c = hp_hash_dup(h);
    assert_int_equal(hp_ref_copy(c, h), 0);
    assert_ptr_equal(hp_ref_get(c, "f", 1, NULL), a);
    assert_int_equal(a->refcount, 3);
    hp_decref(c);
    /* overwrite in place keeps one slot */
    assert_int_equal(hp_ref_hash_set(h, "f", 1, b, "B", 1, HP_REF_STRONG), 0);
    assert_non_null(hp__side_of(h)->one);
    assert_int_equal(a->refcount, 1);
    assert_int_equal(hp_ref_hash_set(h, "g", 1, a, "A", 1, HP_REF_WEAK), 1);
    assert_null(hp__side_of(h)->one);
    assert_non_null(hp__side_of(h)->elems);
    assert_ptr_equal(hp_ref_get(h, "f", 1, NULL), b);
    assert_ptr_equal(hp_ref_get(h, "g", 1, NULL), a);
    hp_ref_foreach(h, count_keys, &n);
    assert_int_equal(n, 2);
    c = hp_hash_dup(h);
    assert_int_equal(hp_ref_copy(c, h), 0);
    assert_ptr_equal(hp_ref_get(c, "f", 1, NULL), b);
    assert_ptr_equal(hp_ref_get(c, "g", 1, NULL), a);
    hp_decref(c);
    assert_int_equal(hp_hash_del(h, "f", 1), 0);
    assert_int_equal(b->refcount, 1);
    assert_ptr_equal(hp_ref_get(h, "g", 1, NULL), a);
    hp_decref(a); /* the weak element goes with it */
    assert_false(hp_hash_exists(h, "g", 1));
    assert_null(hp__side_of(h));
    hp_decref(h);
    hp_decref(b);
    assert_int_equal(hp_mem_used(), base);
}

/* Whether a container's first reference takes its side record's room
 * in this build (ref.c side_room: jemalloc, or a sanitizer build). */
static int room_expected(void)
{
#if defined(__SANITIZE_ADDRESS__)
    return 1;
#else
    return hp__mem_sized();
#endif
}

/* The first reference of a container lives in its side record's room
 * (one block); a second one, or one while the room is taken, gets a
 * block of its own; removing the room's reference frees the room for
 * the next; a label too long for the room gets no room; a record
 * dropped while its room's reference waits for its decref (orphan) is
 * freed with it; a cycle of such records is collected; nothing leaks. */
static void test_ref_side_room(void **state)
{
    size_t base = hp_mem_used();
    int room = room_expected();
    hp_obj_t *h = hp_hash_new(), *a = hp_str_new("a", 1);
    hp_obj_t *x = hp_hash_new(), *y = hp_hash_new();
    char label[200];
    hp_side_t *s;

    assert_int_equal(hp_ref_hash_set(h, "f", 1, a, "A", 1, HP_REF_STRONG), 1);
    s = hp__side_of(h);
    assert_int_equal(s->one->inl, room);
    assert_int_equal(s->inl_busy, room);
    if (room) {
        assert_ptr_equal(s->one, hp__side_inline(s));
        assert_int_equal(s->bytes,
                         sizeof(hp_side_t) + sizeof(struct hp_ref) + 4);
    } else {
        assert_int_equal(s->bytes, sizeof(hp_side_t));
    }
    assert_int_equal(hp_ref_hash_set(h, "g", 1, a, "A", 1, HP_REF_STRONG), 1);
    assert_false(hp__elem_find(s, "g", 1)->inl);
    assert_int_equal(hp__elem_find(s, "f", 1)->inl, room);
    /* the room's reference goes: the room is free for the next one */
    assert_int_equal(hp_hash_del(h, "f", 1), 0);
    assert_ptr_equal(hp__side_of(h), s);
    assert_int_equal(s->inl_busy, 0);
    assert_int_equal(a->refcount, 2);
    assert_int_equal(hp_ref_hash_set(h, "k", 1, a, "A", 1, HP_REF_STRONG), 1);
    assert_int_equal(hp__elem_find(s, "k", 1)->inl, room);
    assert_int_equal(hp_hash_del(h, "g", 1), 0);
    /* the last one goes: the record is dropped while its room's
     * reference waits in the decref queue (orphan), then both go */
    assert_int_equal(hp_hash_del(h, "k", 1), 0);
    assert_null(hp__side_of(h));
    assert_int_equal(a->refcount, 1);
    /* too long for the room */
    memset(label, 'l', sizeof(label));
    assert_int_equal(hp_ref_hash_set(h, "f", 1, a, label, sizeof(label),
                                     HP_REF_STRONG), 1);
    assert_int_equal(hp__side_of(h)->bytes, sizeof(hp_side_t));
    assert_false(hp__side_of(h)->one->inl);
    hp_decref(h);
    assert_int_equal(a->refcount, 1);
    /* a cycle of records with their references in the room */
    assert_int_equal(hp_ref_hash_set(x, "n", 1, y, "y", 1, HP_REF_STRONG), 1);
    assert_int_equal(hp_ref_hash_set(y, "n", 1, x, "x", 1, HP_REF_STRONG), 1);
    assert_int_equal(hp__side_of(x)->one->inl, room);
    hp_decref(x);
    hp_decref(y);
    assert_int_equal(hp_gc_collect(2), 2);
    hp_decref(a);
    assert_int_equal(hp_mem_used(), base);
}

/* Every allocation of the second reference store (the move from the
 * inline slot to a dict) fails in turn: -ENOMEM, the first reference
 * intact, memory back. */
static void test_ref_oom_second_key(void **state)
{
    for (int t = 0; t < TC_CONT_KINDS; t++) {
        int done = 0;

        for (long n = 1; !done && n < 100; n++) {
            hp_obj_t *c = tc_cont_new(t), *v = hp_str_new("v", 1);
            hp_obj_t *w = hp_str_new("w", 1);
            size_t before;
            int rc, enc;

            assert_int_equal(tc_ref_add(c, "one", v, HP_REF_STRONG), 1);
            before = hp_mem_used();
            enc = c->encoding;
            oom_fail_at(n, 0);
            rc = tc_ref_add(c, "two", w, n % 2 ? HP_REF_WEAK : HP_REF_STRONG);
            oom_off();
            if (rc == -ENOMEM) {
                if (c->encoding == enc)
                    assert_int_equal(hp_mem_used(), before);
                assert_int_equal(w->refcount, 1);
                assert_null(hp__side_of(w));
                assert_ptr_equal(hp_ref_get(c, "one", 3, NULL), v);
                assert_false(hp_ref_is_ref(c, "two", 3));
                assert_int_equal(hp_ref_out_strong(c), 1);
            } else {
                assert_int_equal(rc, 1);
                assert_ptr_equal(hp_ref_get(c, "two", 3, NULL), w);
                done = 1;
            }
            hp_decref(c);
            hp_decref(v);
            hp_decref(w);
        }
        assert_true(done);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ref_strong_every_type),
        cmocka_unit_test(test_ref_label_is_the_element),
        cmocka_unit_test(test_ref_existing_member_kept),
        cmocka_unit_test(test_ref_hash_overwrite_drops),
        cmocka_unit_test(test_ref_hashtable_encoding),
        cmocka_unit_test(test_ref_set_pop_and_intset),
        cmocka_unit_test(test_ref_set_pop_hashtable),
        cmocka_unit_test(test_ref_zset_delete_ranks),
        cmocka_unit_test(test_ref_forget_and_foreach),
        cmocka_unit_test(test_ref_bad_args),
        cmocka_unit_test(test_ref_long_chain_frees_iteratively),
        cmocka_unit_test(test_ref_oom_every_point),
        cmocka_unit_test(test_ref_side_slot),
        cmocka_unit_test(test_ref_side_slot_dies),
        cmocka_unit_test(test_ref_one_then_dict),
        cmocka_unit_test(test_ref_oom_second_key),
        cmocka_unit_test(test_ref_side_room),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
