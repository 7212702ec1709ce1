/*
 * ref.c - reference elements in containers and the side records that
 * hold them (heap/README.md "References and the cycle collector").
 *
 * A container holding reference elements stores each element's label as
 * an ordinary element, so standard commands see labels; the references
 * themselves live in the container's side record (an element key ->
 * hp_ref_t dict, or the one element inline), reached from the container
 * through the pointer slot in front of its header (HP_OF_PREFIX, no
 * hashing), and from a string (a weak target) through the global side
 * table keyed by object address. Objects nobody references and that
 * reference nothing have no side record and pay nothing.
 */
#include "heap.h"

#include <assert.h>
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "heap_cont.h"
#include "heap_ref.h"

/* Object address -> hp_side_t (v.ptr). Executor thread. */
static hp_dict_t *sides;
static const hp_dict_type_t plain_type = {.val_free = NULL};

static void sides_free_if_empty(void);

/* The reference being installed: the container hook must ignore it. */
static struct hp_ref *installing;
/* Strong references waiting for their target's decref (via wnext). */
static struct hp_ref *release_queue;
static int draining;

size_t hp__ref_nstrong, hp__ref_nweak, hp__ref_weakly_referenced;

/* The side record of a string o with HP_OF_SIDE (the address table). */
hp_side_t *hp__side_of_slow(const hp_obj_t *o)
{
    hp_dict_entry_t *e = hp_dict_find(sides, (const char *)&o, sizeof(o));

    assert(e);
    return e->v.ptr;
}

/* Bytes of a reference block whose key and label have these lengths. */
static size_t ref_bytes(size_t klen, size_t llen)
{
    return sizeof(struct hp_ref) + klen + llen + 2;
}

/* A reference block bigger than this never takes a side record's room
 * (a long label would make every record of its kind that much bigger). */
#define SIDE_ROOM_MAX 128

/* Room to give a new side record of a container for its first
 * reference, of ref_bytes(klen, llen): the reference then shares the
 * record's block (one allocation and one free less, and the collector's
 * walks find it on the record's lines). Only when frees are sized
 * (jemalloc, which has a size class for every 16 bytes here: glibc
 * wants side records small, heap_ref.h) or in sanitizer builds, which
 * test it under libc malloc. */
static size_t side_room(size_t klen, size_t llen)
{
    size_t n = ref_bytes(klen, llen);

#if defined(__SANITIZE_ADDRESS__)
    int on = 1;
#else
    int on = hp__mem_sized();
#endif
    return on && n <= SIDE_ROOM_MAX ? n : 0;
}

#ifdef GC_DEBUG
static hp_side_t *dbg_sides; /* every live side record block */

/* Put new side record s on the list of all of them. */
static void dbg_side_link(hp_side_t *s)
{
    s->dbg_prev = NULL;
    s->dbg_next = dbg_sides;
    if (dbg_sides) dbg_sides->dbg_prev = s;
    dbg_sides = s;
}

/* Take s, about to be freed, off that list. */
static void dbg_side_unlink(hp_side_t *s)
{
    if (s->dbg_prev) s->dbg_prev->dbg_next = s->dbg_next;
    else dbg_sides = s->dbg_next;
    if (s->dbg_next) s->dbg_next->dbg_prev = s->dbg_prev;
}
#else
#define dbg_side_link(s) ((void)0)
#define dbg_side_unlink(s) ((void)0)
#endif

/* Free side record s's block (nothing of it in use any more). */
static void side_free(hp_side_t *s)
{
    dbg_side_unlink(s);
    hp__free_sized(s, s->bytes);
}

/* The side record of o, created when missing with room bytes for a
 * reference after it (0: none); NULL on OOM. A container keeps it in
 * its prefix slot, a string in the address table (never with room). */
static hp_side_t *side_get(hp_obj_t *o, size_t room)
{
    hp_side_t *s = hp__side_of(o);
    hp_dict_entry_t *e;
    int existed;

    if (s) return s;
    if (o->flags & HP_OF_PREFIX) {
        if (!(s = hp_calloc(1, sizeof(*s) + room))) return NULL;
        s->bytes = (uint32_t)(sizeof(*s) + room);
        *hp__obj_prefix(o) = s;
    } else {
        if (!sides && !(sides = hp_dict_new(&plain_type))) return NULL;
        s = hp_calloc(1, sizeof(*s));
        e = s ? hp_dict_add(sides, (const char *)&o, sizeof(o), &existed)
              : NULL;
        if (!e) {
            hp_free(s);
            sides_free_if_empty();
            return NULL;
        }
        assert(!existed);
        e->v.ptr = s;
        s->bytes = sizeof(*s);
    }
    s->obj = o;
    o->flags |= HP_OF_SIDE;
    dbg_side_link(s);
    return s;
}

/* The side record of o, created when missing (no room); NULL on OOM. */
hp_side_t *hp__side_get(hp_obj_t *o)
{
    return side_get(o, 0);
}

/* Free s when o has no reference elements, no weak references and is
 * not tracked. When the reference in its room still waits in a decref
 * queue, s is only detached from o (orphan) and its block goes with
 * that reference (hp__ref_free). */
void hp__side_maybe_drop(hp_side_t *s)
{
    hp_obj_t *o;

    if (!s || s->pinned || s->tracked || s->nweakin || s->nstrong ||
        s->nweak)
        return;
    o = s->obj;
    if (s->elems) hp_dict_free(s->elems);
    if (s->li) hp_free(s->li);
    o->flags &= (uint16_t)~HP_OF_SIDE;
    if (s->inl_busy) {
        s->elems = NULL;
        s->li = NULL;
        s->obj = NULL;
        s->orphan = 1;
    } else {
        side_free(s);
    }
    if (o->flags & HP_OF_PREFIX) {
        *hp__obj_prefix(o) = NULL;
        return;
    }
    hp_dict_delete(sides, (const char *)&o, sizeof(o));
    sides_free_if_empty();
}

/* Give the side table back when no object has a side record. */
static void sides_free_if_empty(void)
{
    if (sides && hp_dict_size(sides) == 0) {
        hp_dict_free(sides);
        sides = NULL;
    }
}

/* Shrink the side table when mostly empty (the server's cron; never
 * called by the collector, which allocates nothing). 0 or -ENOMEM. */
int hp_ref_table_shrink(void)
{
    return sides ? hp_dict_shrink_if_sparse(sides) : 0;
}

/* Whether reference r has key key. */
static int ref_key_is(const struct hp_ref *r, const char *key, size_t klen)
{
    return r->klen == klen && (klen == 0 || !memcmp(r->bytes, key, klen));
}

/* Borrowed: s's reference element with key key, or NULL. */
struct hp_ref *hp__elem_find(const hp_side_t *s, const char *key,
                             size_t klen)
{
    hp_dict_entry_t *e;

    if (s->one) return ref_key_is(s->one, key, klen) ? s->one : NULL;
    if (!s->elems) return NULL;
    e = hp_dict_find(s->elems, key, klen);
    return e ? e->v.ptr : NULL;
}

/* Take element key (present) out of s's elements; the hp_ref_t is the
 * caller's. */
void hp__elem_delete(hp_side_t *s, const char *key, size_t klen)
{
    if (s->one) {
        assert(ref_key_is(s->one, key, klen));
        s->one = NULL;
        return;
    }
    hp_dict_delete(s->elems, key, klen);
}

/* The slot for element key of s, made when missing (*existed says
 * whether it held a reference). The first element goes in s->one; a
 * second with another key moves both into the elems dict. NULL on OOM,
 * s unchanged. */
static void **elem_slot(hp_side_t *s, const char *key, size_t klen,
                        int *existed)
{
    hp_dict_entry_t *e;
    hp_dict_t *d;

    if (!s->elems && (!s->one || ref_key_is(s->one, key, klen))) {
        *existed = s->one != NULL;
        return (void **)&s->one;
    }
    if (!s->elems) {
        /* a second key: both go into a dict */
        if (!(d = hp_dict_new(&plain_type))) return NULL;
        e = hp_dict_add(d, s->one->bytes, s->one->klen, existed);
        if (!e) {
            hp_dict_free(d);
            return NULL;
        }
        e->v.ptr = s->one;
        e = hp_dict_add(d, key, klen, existed);
        if (!e) {
            hp_dict_free(d);
            return NULL;
        }
        s->elems = d;
        s->one = NULL;
        return &e->v.ptr;
    }
    e = hp_dict_add(s->elems, key, klen, existed);
    return e ? &e->v.ptr : NULL;
}

/* Undo elem_slot's move to a dict when the store that made it failed:
 * the one element left goes back inline and the dict is freed. */
static void elem_unmove(hp_side_t *s)
{
    hp_dict_iter_t it;
    hp_dict_entry_t *e;

    assert(s->elems && hp_dict_size(s->elems) == 1 && !s->one);
    hp_dict_iter_init(&it, s->elems, 0);
    e = hp_dict_iter_next(&it);
    s->one = e->v.ptr;
    hp_dict_iter_fini(&it);
    hp_dict_free(s->elems);
    s->elems = NULL;
}

/* New reference for key/label, to be an element of the container of
 * side cs: in cs's room when it is free and big enough, else a block
 * of its own; NULL on OOM. */
static struct hp_ref *ref_new(hp_side_t *cs, const char *key, size_t klen,
                              const char *label, size_t llen, int strength)
{
    size_t n = ref_bytes(klen, llen);
    int inl = !cs->inl_busy && cs->bytes >= sizeof(*cs) + n;
    struct hp_ref *r = inl ? hp__side_inline(cs) : hp_malloc(n);

    if (!r) return NULL;
    memset(r, 0, sizeof(*r));
    if (inl) {
        r->inl = 1;
        cs->inl_busy = 1;
    }
    r->strength = (uint8_t)strength;
    r->klen = (uint32_t)klen;
    r->llen = (uint32_t)llen;
    if (klen) memcpy(r->bytes, key, klen);
    r->bytes[klen] = '\0';
    if (llen) memcpy(r->bytes + klen + 1, label, llen);
    r->bytes[klen + 1 + llen] = '\0';
    return r;
}

/* Free a reference (already unlinked everywhere): its block, or its
 * side record's room, and then the record itself if it was dropped
 * meanwhile (orphan). */
void hp__ref_free(struct hp_ref *r)
{
    hp_side_t *s;

    if (!r->inl) {
        hp__free_sized(r, ref_bytes(r->klen, r->llen));
        return;
    }
    s = hp__inline_side(r);
    s->inl_busy = 0;
    if (s->orphan) side_free(s);
}

/* Release reference r held by container side s (already out of
 * s->elems): a strong one is queued for its decref, a weak one leaves
 * its target's list. */
static void ref_release(hp_side_t *s, struct hp_ref *r)
{
    if (r->strength == HP_REF_STRONG) {
        s->nstrong--;
        hp__ref_nstrong--;
        if (s->nstrong == 0) hp__gc_untrack(s);
        r->wnext = release_queue;
        release_queue = r;
        /* the drain reads the target's header (and, for a container,
         * the slot before it: the same 32-byte block) soon: a cycle
         * freed by refcounts is a chase from one to the next */
        __builtin_prefetch(r->target, 1);
        return;
    }
    s->nweak--;
    hp__ref_nweak--;
    if (r->target) {
        hp_side_t *ts = hp__side_of(r->target);

        hp__weak_unlink(ts, r);
        hp__side_maybe_drop(ts);
    }
    hp__ref_free(r);
}

/* Run queued strong-reference decrefs, iteratively: a decref that frees
 * an object queues its own references, which this loop then runs, so a
 * long chain never recurses. */
void hp__ref_drain(void)
{
    if (draining) return;
    draining = 1;
    while (release_queue) {
        struct hp_ref *r = release_queue;
        hp_obj_t *t = r->target;

        release_queue = r->wnext;
        hp__ref_free(r);
        hp_decref(t);
    }
    draining = 0;
}

/* Decrefs put off by hp__ref_drain_some (linked through wnext). */
static struct hp_ref *held_queue;

/* Borrowed: the side record of t when the decref about to run kills t
 * the usual way of a collected cycle's member, else NULL: its last hold,
 * no barrier armed, a listpack-encoded container (not a list: bounded
 * work, never one for the deferred-free queue) whose only reference
 * element is one strong reference in its side record's room, with no
 * weak references to it and the record not pinned. The generic path
 * (hp_decref) would then only count t dead, release that reference
 * (queued: the record is orphaned until the queue reaches it), untrack
 * and count the record, free body and header, and free the record with
 * the reference when it is popped: die_plain does the same in one go. */
static inline hp_side_t *plain_dying(const hp_obj_t *t)
{
    hp_side_t *s;
    const struct hp_ref *one;

    if (t->refcount != 1 || hp__gc_barrier || t->type == HP_TYPE_LIST ||
        t->encoding != HP_ENC_LISTPACK || !t->v.ptr ||
        (t->flags & (HP_OF_SIDE | HP_OF_PREFIX)) !=
            (HP_OF_SIDE | HP_OF_PREFIX))
        return NULL;
    s = *hp__obj_prefix(t);
    one = s->one;
    if (!one || !one->inl || one->strength != HP_REF_STRONG || s->elems ||
        s->weak_head || s->pinned)
        return NULL;
    return s;
}

/* Borrowed: t (side s, plain_dying) loses its last hold and is freed
 * whole, its side record and the reference in its room with it; the
 * reference's decref is the caller's to run next: returns its target. */
static hp_obj_t *die_plain(hp_obj_t *t, hp_side_t *s)
{
    hp_obj_t *next = s->one->target;
    void *lp = NULL;
    size_t lp_bytes = 0;

    /* the next decref reads it (the chase of a cycle freed by
     * refcounts, as ref_release prefetches) */
    __builtin_prefetch(next, 1);
    t->refcount = 0;
    hp__obj_count_dead(t);
    s->one = NULL;
    s->nstrong = 0;
    s->inl_busy = 0;
    hp__ref_nstrong--;
    hp__gc_dead(s); /* untracked (its only strong element went), counted */
    dbg_side_unlink(s);
    if ((lp_bytes = hp__lp_alloc_bytes(t->v.ptr)) != 0)
        lp = t->v.ptr;
    else
        hp__container_free(t); /* a listpack freed by its lookup */
    /* listpack, header, record (its reference with it): one count */
    hp__free_sized3(hp__obj_prefix(t), HP_OBJ_CONTAINER_BLOCK, s, s->bytes,
                    lp, lp_bytes);
    return next;
}

/* Contract in heap_ref.h. */
int hp__ref_drain_some(size_t max)
{
    struct hp_ref **tail = &release_queue;
    size_t n = 0;

    if (draining) return held_queue != NULL || release_queue != NULL;
    if (held_queue) {
        while (*tail) tail = &(*tail)->wnext;
        *tail = held_queue; /* the put-off ones after the new ones */
        held_queue = NULL;
    }
    draining = 1;
    while (release_queue && n < max) {
        struct hp_ref *r = release_queue;
        hp_obj_t *t = r->target;
        hp_side_t *s;

        release_queue = r->wnext;
        hp__ref_free(r);
        n++; /* t's decref */
        /* A cycle's members freed one after the other: each dying one's
         * reference is the next decref (it would be the head of the
         * queue), run here without queuing it, within the bound. */
        while (n < max && (s = plain_dying(t))) {
            t = die_plain(t, s);
            n++;
        }
        hp_decref(t);
    }
    draining = 0;
    held_queue = release_queue;
    release_queue = NULL;
    return held_queue != NULL;
}

/* Container hook: element key of o was overwritten or removed. */
void hp__ref_elem_gone(hp_obj_t *o, const char *key, size_t klen)
{
    hp_side_t *s = hp__side_of(o);
    struct hp_ref *r;

    if (!s || o->type == HP_TYPE_LIST) return;
    r = hp__elem_find(s, key, klen);
    if (!r || r == installing) return;
    hp__elem_delete(s, key, klen);
    if (hp__gc_active) hp__gc_touch(o);
    s->pinned++; /* a weak reference of o to itself must not free s */
    ref_release(s, r);
    s->pinned--;
    hp__side_maybe_drop(s);
}

/* Drop every reference element of s->obj, leaving the labels in place
 * (the collector's clear, and the first step of freeing an object).
 * Strong decrefs are queued; the caller drains. */
void hp__ref_clear_all(hp_side_t *s)
{
    hp_dict_t *d = s->elems;
    struct hp_ref *one = s->one;
    hp_dict_iter_t it;
    hp_dict_entry_t *e;

    if (s->obj->type == HP_TYPE_LIST) hp__lref_unmark_all(s);
    s->elems = NULL;
    s->one = NULL;
    if (one) ref_release(s, one);
    if (d) {
        hp_dict_iter_init(&it, d, 1);
        while ((e = hp_dict_iter_next(&it)))
            ref_release(s, e->v.ptr);
        hp_dict_iter_fini(&it);
        hp_dict_free(d);
    }
    if (s->li) { /* a list's bookkeeping went with them */
        hp_free(s->li);
        s->li = NULL;
    }
}

/* o's refcount reached zero (object.c, before its body goes): weak
 * references to it are cleared first, then its own references dropped,
 * then the side record released. */
void hp__side_obj_dying(hp_obj_t *o)
{
    hp_side_t *s = hp__side_of(o);
    struct hp_ref *one;

    if (!s) return;
    one = s->one;
    if (one && one->strength == HP_REF_STRONG && !s->elems &&
        !s->weak_head && !s->pinned && o->type != HP_TYPE_LIST) {
        /* The usual dying object of a cycle: no weak references to it,
         * one strong reference element (so no weak one: nothing can
         * drop s under us), not a list. The steps below, without those
         * that have nothing to do. */
        s->one = NULL;
        ref_release(s, one); /* its last strong one: untracks s */
        hp__gc_obj_freed(s);
        hp__side_maybe_drop(s);
        return;
    }
    s->pinned++;
    if (s->weak_head) hp__weak_clear_all(s); /* the caller drains */
    hp__ref_clear_all(s);
    hp__gc_untrack(s);
    hp__gc_obj_freed(s);
    s->pinned--;
    hp__side_maybe_drop(s);
}

/* Check a new reference's arguments. */
static int ref_args_ok(const hp_obj_t *c, int type, const hp_obj_t *target,
                       int strength)
{
    if (!c || c->type != type || !target) return 0;
    if (hp_obj_is_shared(target)) return 0;
    return strength == HP_REF_STRONG || strength == HP_REF_WEAK;
}

/* Make r, just stored as element of c (side cs), live: strong increfs
 * its target and tracks c; weak registers on the target (side ts). */
static void ref_link(hp_side_t *cs, hp_side_t *ts, struct hp_ref *r,
                     hp_obj_t *target)
{
    r->target = target;
    if (r->strength == HP_REF_STRONG) {
        hp_incref(target);
        if (cs->nstrong++ == 0) hp__gc_track(cs);
        hp__ref_nstrong++;
    } else {
        hp__weak_link(ts, r);
        cs->nweak++;
        hp__ref_nweak++;
    }
}

/* The container write that stores the label (per type). */
typedef int (*store_fn)(hp_obj_t *c, const char *key, size_t klen,
                        const char *label, size_t llen, double score);

/* Store a reference element at key of c: prepare everything that can
 * fail, run the container write (store), then link. Returns store's
 * result or -ENOMEM / -EINVAL; on failure nothing changed. */
static int ref_store(hp_obj_t *c, const char *key, size_t klen,
                     hp_obj_t *target, const char *label, size_t llen,
                     int strength, double score, store_fn store)
{
    hp_side_t *cs, *ts = NULL;
    struct hp_ref *r, *old = NULL;
    void **slot;
    int existed, rc, moved;

    if (klen > UINT32_MAX || llen > UINT32_MAX) return -E2BIG;
    cs = side_get(c, side_room(klen, llen));
    if (!cs) return -ENOMEM;
    if (strength == HP_REF_WEAK && !(ts = hp__side_get(target))) goto oom;
    r = ref_new(cs, key, klen, label, llen, strength);
    if (!r) goto oom;
    r->owner = c;
    moved = cs->one && !cs->elems;
    slot = elem_slot(cs, key, klen, &existed);
    if (!slot) {
        hp__ref_free(r);
        goto oom;
    }
    moved = moved && cs->elems;
    old = existed ? *slot : NULL;
    *slot = r;
    installing = r;
    rc = store(c, key, klen, label, llen, score);
    installing = NULL;
    if (rc < 0) {
        if (old)
            *elem_slot(cs, key, klen, &existed) = old; /* exists: no OOM */
        else
            hp__elem_delete(cs, key, klen);
        if (moved) elem_unmove(cs);
        hp__ref_free(r);
        if (ts != cs) hp__side_maybe_drop(ts);
        hp__side_maybe_drop(cs);
        return rc;
    }
    if (hp__gc_active) hp__gc_touch(c);
    ref_link(cs, ts, r, target);
    if (old) ref_release(cs, old);
    hp__ref_drain();
    return rc;
oom:
    if (ts != cs) hp__side_maybe_drop(ts);
    hp__side_maybe_drop(cs);
    return -ENOMEM;
}

/* store_fn for hashes: HSET f label. */
static int store_hash(hp_obj_t *c, const char *key, size_t klen,
                      const char *label, size_t llen, double score)
{
    (void)score;
    return hp_hash_set(c, key, klen, label, llen);
}

/* store_fn for sets: SADD label (absent, checked by the caller). */
static int store_set(hp_obj_t *c, const char *key, size_t klen,
                     const char *label, size_t llen, double score)
{
    (void)label;
    (void)llen;
    (void)score;
    return hp_set_add(c, key, klen);
}

/* store_fn for zsets: ZADD score label (absent, checked by the caller). */
static int store_zset(hp_obj_t *c, const char *key, size_t klen,
                      const char *label, size_t llen, double score)
{
    int out = 0, rc;

    (void)label;
    (void)llen;
    rc = hp_zset_add(c, score, key, klen, HP_ZADD_NX, &out, NULL);
    if (rc < 0) return rc;
    return (out & HP_ZADD_OUT_ADDED) ? 1 : -EINVAL;
}

/* REF.HSET one field (heap_gc.h). */
int hp_ref_hash_set(hp_obj_t *h, const char *f, size_t flen,
                    hp_obj_t *target, const char *label, size_t llen,
                    int strength)
{
    if (!ref_args_ok(h, HP_TYPE_HASH, target, strength)) return -EINVAL;
    return ref_store(h, f, flen, target, label, llen, strength, 0,
                     store_hash);
}

/* REF.SADD one member (heap_gc.h). */
int hp_ref_set_add(hp_obj_t *s, hp_obj_t *target, const char *label,
                   size_t llen, int strength)
{
    if (!ref_args_ok(s, HP_TYPE_SET, target, strength)) return -EINVAL;
    if (hp_set_ismember(s, label, llen)) return 0;
    return ref_store(s, label, llen, target, label, llen, strength, 0,
                     store_set);
}

/* REF.ZADD one member (heap_gc.h). */
int hp_ref_zset_add(hp_obj_t *z, double score, hp_obj_t *target,
                    const char *label, size_t llen, int strength)
{
    double cur;
    int out;

    if (!ref_args_ok(z, HP_TYPE_ZSET, target, strength)) return -EINVAL;
    if (score != score) return -EINVAL;
    if (hp_zset_score(z, label, llen, &cur) == 0) {
        int rc = hp_zset_add(z, score, label, llen, HP_ZADD_XX, &out, NULL);

        return rc < 0 ? rc : 0;
    }
    return ref_store(z, label, llen, target, label, llen, strength, score,
                     store_zset);
}

/* ---------------------------------------------------------------------
 * Reference elements in lists
 *
 * A list element has no key. Each reference element of a list gets an
 * immutable id as its key in the side record's elems (so the collector,
 * clearing and freeing treat it like any other), and its entry is a
 * mark of the list's quicklist (heap_cont.h): the node holding the entry
 * keeps (offset in the node, &r->lnode), and the quicklist carries the
 * mark along through every write and drops it when the entry is deleted
 * or overwritten (hp__ql_mark_gone). So a reference reaches its entry
 * in O(1) through lnode, a weak element is cleared in O(node size)
 * without its index, and an index finds its reference by the node walk
 * LINDEX does, O(1) amortised for in-order lookups (the side's cursor).
 * ------------------------------------------------------------------ */

/* The quicklist body of list o. */
static hp_ql_t *lref_ql(const hp_obj_t *o)
{
    return o->v.ptr;
}

/* The reference whose mark's home is home. */
static struct hp_ref *lref_of(hp_ql_node_t **home)
{
    return (struct hp_ref *)((char *)home - offsetof(struct hp_ref, lnode));
}

/* Quicklist hook (heap_cont.h): the entry of list reference element
 * home was deleted or overwritten and its mark dropped: the reference
 * goes (a strong decref is queued; list.c drains, then calls
 * hp__lref_changed, which may drop the side record). */
void hp__ql_mark_gone(hp_ql_node_t **home)
{
    struct hp_ref *r = lref_of(home);
    hp_obj_t *o = r->owner;
    hp_side_t *s = hp__side_of(o);

    hp__elem_delete(s, r->bytes, r->klen);
    if (hp__gc_active) hp__gc_touch(o);
    s->pinned++; /* a weak reference of o to itself must not free s */
    ref_release(s, r);
    s->pinned--;
}

/* List hook: list o (with a side record) was written to. */
void hp__lref_changed(hp_obj_t *o)
{
    hp_side_t *s = hp__side_of(o);

    if (s->li) s->li->lcur = NULL;
    hp__side_maybe_drop(s);
}

/* Weak list element r of list cs->obj cleared (weakref.c): its entry
 * leaves the list, found through its mark, O(node size). */
void hp__lref_clear_weak(hp_side_t *cs, struct hp_ref *r)
{
    cs->li->lcur = NULL;
    hp_ql_delete_marked(lref_ql(cs->obj), &r->lnode);
}

/* Drop the marks of list reference element r's node. */
static void lref_unmark_node(struct hp_ref *r)
{
    if (r->lnode && r->lnode->marks) hp_ql_node_unmark_all(r->lnode);
}

/* Drop the marks of every reference element of list s->obj, O(r). */
void hp__lref_unmark_all(hp_side_t *s)
{
    hp_dict_iter_t it;
    hp_dict_entry_t *e;

    if (s->li) s->li->lcur = NULL;
    if (s->one) lref_unmark_node(s->one);
    if (!s->elems) return;
    hp_dict_iter_init(&it, s->elems, 1);
    while ((e = hp_dict_iter_next(&it)))
        lref_unmark_node(e->v.ptr);
    hp_dict_iter_fini(&it);
}

/* s's list bookkeeping, made when missing. NULL on OOM. */
static hp_lidx_t *lref_li(hp_side_t *s)
{
    if (!s->li) s->li = hp_calloc(1, sizeof(*s->li));
    return s->li;
}

/* Mark element index (0 <= index < length) of list s->obj as r's.
 * 0 or -ENOMEM (nothing changed). */
static int lref_mark_at(hp_side_t *s, struct hp_ref *r, size_t index)
{
    uint32_t off;
    hp_ql_node_t *n = hp_ql_seek(lref_ql(s->obj), index, &s->li->lcur,
                                 &s->li->lcur_first, &off);

    return hp_ql_mark(n, off, &r->lnode);
}

/* store_fn for lists: push the label at the head (score 0) or the tail
 * (score 1) and mark it as the reference being installed; a failed mark
 * takes the label back out (-ENOMEM, list unchanged). */
static int store_list(hp_obj_t *c, const char *key, size_t klen,
                      const char *label, size_t llen, double score)
{
    hp_side_t *s = hp__side_of(c);
    hp_ql_t *ql = lref_ql(c);
    int tail = score != 0, rc;
    hp_ql_node_t *n;

    (void)key;
    (void)klen;
    s->pinned++; /* the push's hook must not drop s mid-install */
    rc = hp_list_push(c, tail ? HP_LIST_TAIL : HP_LIST_HEAD, label, llen);
    s->pinned--;
    if (rc < 0) return rc;
    n = tail ? ql->tail : ql->head;
    rc = hp_ql_mark(n, tail ? n->count - 1 : 0, &installing->lnode);
    if (rc < 0) hp_ql_delete_range(ql, tail ? ql->count - 1 : 0, 1);
    return rc;
}

/* REF.LPUSH / REF.RPUSH one element (heap_gc.h). */
int hp_ref_list_push(hp_obj_t *l, int where, hp_obj_t *target,
                     const char *label, size_t llen, int strength)
{
    hp_side_t *s;
    uint64_t id;

    if (!ref_args_ok(l, HP_TYPE_LIST, target, strength)) return -EINVAL;
    if (where != HP_LIST_HEAD && where != HP_LIST_TAIL) return -EINVAL;
    if (llen > UINT32_MAX) return -E2BIG;
    if (!(s = side_get(l, side_room(sizeof(id), llen)))) return -ENOMEM;
    if (!lref_li(s)) {
        hp__side_maybe_drop(s);
        return -ENOMEM;
    }
    id = s->li->lnext++;
    return ref_store(l, (const char *)&id, sizeof(id), target, label, llen,
                     strength, where == HP_LIST_TAIL ? 1 : 0, store_list);
}

/* The reference of element index (negative from the end) of list l, or
 * NULL. The node walk of LINDEX, from the nearest of the ends and the
 * cursor; then O(log marks of the node). */
static struct hp_ref *lref_at(hp_obj_t *l, long index)
{
    hp_side_t *s = hp__side_of(l);
    hp_ql_node_t *n, **home;
    uint32_t off;
    long len;

    if (!s || !s->li || l->type != HP_TYPE_LIST ||
        s->nstrong + s->nweak == 0)
        return NULL;
    len = (long)hp_list_len(l);
    if (index < 0) index += len;
    if (index < 0 || index >= len) return NULL;
    n = hp_ql_seek(lref_ql(l), (size_t)index, &s->li->lcur,
                   &s->li->lcur_first, &off);
    home = hp_ql_mark_at(n, off);
    return home ? lref_of(home) : NULL;
}

/* Borrowed: the live object element index of list l refers to. */
hp_obj_t *hp_ref_list_get(hp_obj_t *l, long index, int *strength)
{
    struct hp_ref *r = lref_at(l, index);

    if (!r) return NULL;
    if (strength) *strength = r->strength;
    if (r->strength == HP_REF_WEAK) return hp_weakref_get(r);
    return r->target;
}

/* Whether element index of list l holds a reference (1) or not (0). */
int hp_ref_list_is_ref(hp_obj_t *l, long index)
{
    return lref_at(l, index) != NULL;
}

/* ---------------------------------------------------------------------
 * Copying reference elements (COPY)
 * ------------------------------------------------------------------ */

/* Give c, a fresh copy of src's container, a reference like src (same
 * target and strength); for a list, at element index (else index < 0,
 * key = src's key). 0 or -ENOMEM (c keeps what it had). */
static int ref_attach(hp_obj_t *c, const struct hp_ref *src,
                      hp_obj_t *target, int64_t index)
{
    hp_side_t *cs = side_get(c, side_room(src->klen, src->llen));
    hp_side_t *ts = NULL;
    const char *key = src->bytes;
    size_t klen = src->klen;
    struct hp_ref *r;
    void **slot;
    uint64_t id;
    int existed, moved;

    if (!cs) return -ENOMEM;
    if (src->strength == HP_REF_WEAK && !(ts = hp__side_get(target)))
        goto oom;
    if (index >= 0) {
        if (!lref_li(cs)) goto oom;
        id = cs->li->lnext++;
        key = (const char *)&id;
        klen = sizeof(id);
    }
    r = ref_new(cs, key, klen, src->bytes + src->klen + 1, src->llen,
                src->strength);
    if (!r) goto oom;
    r->owner = c;
    moved = cs->one && !cs->elems;
    slot = elem_slot(cs, key, klen, &existed);
    if (!slot || existed) {
        hp__ref_free(r);
        if (!slot) goto oom;
        return 0; /* already a reference: keep it */
    }
    moved = moved && cs->elems;
    *slot = r;
    if (index >= 0 && lref_mark_at(cs, r, (size_t)index) < 0) {
        hp__elem_delete(cs, key, klen);
        if (moved) elem_unmove(cs);
        hp__ref_free(r);
        goto oom;
    }
    if (hp__gc_active) hp__gc_touch(c);
    ref_link(cs, ts, r, target);
    return 0;
oom:
    if (ts != cs) hp__side_maybe_drop(ts);
    hp__side_maybe_drop(cs);
    return -ENOMEM;
}

/* The live target of r, NULL for a cleared (or dying) weak one. */
static hp_obj_t *ref_live_target(const struct hp_ref *r)
{
    return r->strength == HP_REF_WEAK ? hp_weakref_get(r) : r->target;
}

/* COPY (heap_gc.h): dst, a fresh copy of src, gets src's references. */
int hp_ref_copy(hp_obj_t *dst, const hp_obj_t *src)
{
    hp_side_t *s = hp__side_of(src);
    hp_dict_iter_t it;
    hp_dict_entry_t *e;
    int rc = 0;

    if (!s || !dst || dst->type != src->type) return 0;
    if (src->type == HP_TYPE_LIST) {
        size_t first = 0;

        for (hp_ql_node_t *n = lref_ql(src)->head; n && rc == 0;
             first += n->count, n = n->next)
            for (uint32_t k = 0; n->marks && k < n->marks->n && rc == 0;
                 k++) {
                struct hp_ref *r = lref_of(n->marks->v[k].home);
                hp_obj_t *t = ref_live_target(r);

                if (t)
                    rc = ref_attach(dst, r, t,
                                    (int64_t)(first + n->marks->v[k].off));
            }
        return rc;
    }
    if (s->one) {
        hp_obj_t *t = ref_live_target(s->one);

        return t ? ref_attach(dst, s->one, t, -1) : 0;
    }
    if (!s->elems) return 0;
    hp_dict_iter_init(&it, s->elems, 1);
    while (rc == 0 && (e = hp_dict_iter_next(&it))) {
        struct hp_ref *r = e->v.ptr;
        hp_obj_t *t = ref_live_target(r);

        if (t) rc = ref_attach(dst, r, t, -1);
    }
    hp_dict_iter_fini(&it);
    return rc;
}

/* The reference of element key of c, or NULL. */
static struct hp_ref *ref_find(hp_obj_t *c, const char *key, size_t klen)
{
    hp_side_t *s = hp__side_of(c);

    if (!s || c->type == HP_TYPE_LIST) return NULL;
    return hp__elem_find(s, key, klen);
}

/* Borrowed: the live object element key of c refers to, or NULL. */
hp_obj_t *hp_ref_get(hp_obj_t *c, const char *key, size_t klen,
                     int *strength)
{
    struct hp_ref *r = ref_find(c, key, klen);

    if (!r) return NULL;
    if (strength) *strength = r->strength;
    if (r->strength == HP_REF_WEAK)
        return hp_weakref_get(r);
    return r->target;
}

/* Whether element key of c holds a reference (1) or not (0). */
int hp_ref_is_ref(hp_obj_t *c, const char *key, size_t klen)
{
    return ref_find(c, key, klen) != NULL;
}

/* Drop the reference of element key, keeping the element. */
int hp_ref_forget(hp_obj_t *c, const char *key, size_t klen)
{
    if (!ref_find(c, key, klen)) return -ENOENT;
    hp__ref_elem_gone(c, key, klen);
    hp__ref_drain();
    return 0;
}

/* Strong reference elements held by o. */
size_t hp_ref_out_strong(const hp_obj_t *o)
{
    hp_side_t *s = hp__side_of(o);

    return s ? s->nstrong : 0;
}

/* Weak reference elements held by o. */
size_t hp_ref_out_weak(const hp_obj_t *o)
{
    hp_side_t *s = hp__side_of(o);

    return s ? s->nweak : 0;
}

/* Visit reference r with the caller's fn. */
static void ref_visit(hp_ref_visit_fn fn, void *ud, const struct hp_ref *r)
{
    hp_obj_t *t = r->strength == HP_REF_WEAK ? hp_weakref_get(r)
                                             : r->target;

    fn(ud, r->bytes, r->klen, t, r->strength);
}

/* Visit every reference element of c. */
void hp_ref_foreach(hp_obj_t *c, hp_ref_visit_fn fn, void *ud)
{
    hp_side_t *s = hp__side_of(c);
    hp_dict_iter_t it;
    hp_dict_entry_t *e;

    if (!s) return;
    if (s->one) {
        ref_visit(fn, ud, s->one);
        return;
    }
    if (!s->elems) return;
    hp_dict_iter_init(&it, s->elems, 1);
    while ((e = hp_dict_iter_next(&it)))
        ref_visit(fn, ud, e->v.ptr);
    hp_dict_iter_fini(&it);
}

#ifdef GC_DEBUG
/* ---------------------------------------------------------------------
 * gc_debug consistency check of ref.c's own state (heap_ref.h;
 * heap/check.c checks the side records reported).
 * ------------------------------------------------------------------ */

/* gc_debug (heap_ref.h): between operations nothing is being installed
 * or drained and no decref is queued but the put-off ones; each of those
 * holds a strong reference (reported to w->queued). Every entry of the
 * string side table is keyed by its string's address and is that
 * string's side record (reported to w->side). */
/* Every live side record to the check, so those only weak bindings
 * lead to are checked too; an orphan only for its own invariant. */
static void check_all_sides(hp_check_walk_t *w)
{
    for (hp_side_t *s = dbg_sides; s; s = s->dbg_next) {
        if (!s->orphan) {
            w->side(w, s, 0);
            continue;
        }
        if (s->obj || !s->inl_busy)
            hp__check_fail("ref: orphan side %p: object %p, room %s",
                           (void *)s, (void *)s->obj,
                           s->inl_busy ? "busy" : "free (should be gone)");
    }
}

void hp__ref_check(hp_check_walk_t *w)
{
    hp_dict_iter_t it;
    hp_dict_entry_t *e;

    if (installing)
        hp__check_fail("ref: a reference is still being installed");
    if (draining) hp__check_fail("ref: a drain is still running");
    if (release_queue)
        hp__check_fail("ref: decrefs queued and not drained");
    for (struct hp_ref *r = held_queue; r; r = r->wnext) {
        if (r->strength != HP_REF_STRONG || !r->target) {
            hp__check_fail("ref: put-off decref %p: strength %d target %p",
                           (void *)r, r->strength, (void *)r->target);
            continue;
        }
        w->queued(w, r);
    }
    check_all_sides(w);
    if (!sides) return;
    if (hp_dict_size(sides) == 0)
        hp__check_fail("ref: empty side table kept");
    if (hp__dict_validate(sides) != 0)
        hp__check_fail("ref: the side table fails the dict's invariants");
    hp_dict_iter_init(&it, sides, 1); /* safe: the walk's finds rehash */
    while ((e = hp_dict_iter_next(&it))) {
        hp_side_t *s = e->v.ptr;
        hp_obj_t *o;

        if (e->keylen != sizeof(o) || !s) {
            hp__check_fail("ref: side table entry of %u bytes, side %p",
                           e->keylen, (void *)s);
            continue;
        }
        memcpy(&o, e->key, sizeof(o));
        if (s->obj != o || !(o->flags & HP_OF_SIDE) ||
            (o->flags & HP_OF_PREFIX)) {
            hp__check_fail("ref: side table entry of %p holds side %p of "
                           "%p (flags 0x%x)", (void *)o, (void *)s,
                           (void *)s->obj, o->flags);
            continue;
        }
        w->side(w, s, 0);
    }
    hp_dict_iter_fini(&it);
}
#endif
