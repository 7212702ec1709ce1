/*
 * heap_ref.h - heap/'s private header for references, weak references
 * and the collector (heap/ref.c, heap/weakref.c, heap/gc.c). Private like
 * heap_int.h: only heap/ and its white-box unit tests include it. The
 * design is in heap/README.md, "References and the cycle collector".
 *
 * Invariants:
 * - o->flags & HP_OF_SIDE iff o has a side record (hp__side_of(o) != NULL).
 * - A container (HP_OF_PREFIX) keeps its side record in its prefix slot
 *   (NULL when it has none) and never in the address table; a string's
 *   is in the table.
 * - A side record exists while o holds reference elements, has weak
 *   references to it, or is tracked; it is removed when none holds.
 * - side->tracked iff side->nstrong > 0; a tracked side is on exactly one
 *   collector list (a generation or a list of the collection under way).
 * - Every weak hp_ref_t with a target is on its target's weak list.
 */
#ifndef GENCACHE_HEAP_HEAP_REF_H
#define GENCACHE_HEAP_HEAP_REF_H

#ifndef HP_INTERNAL
#error "heap_ref.h is private to heap/: include heap_gc.h instead"
#endif

#include "heap_gc.h"
#include "heap_int.h"

/* Object flag: the object has a side record (heap/ref.c). */
#define HP_OF_SIDE 0x0001

/* A reference: an element of a container (owner != NULL) or a server
 * weak binding (owner NULL). key and label live in bytes[]. The fields
 * the collector reads (target, strength) share the first 16 bytes. A
 * block of its own, or (inl) the room at the end of its owner's side
 * record block (hp__side_inline). */
struct hp_ref {
    hp_obj_t *target;           /* NULL once a weak reference is cleared */
    uint8_t strength;           /* HP_REF_STRONG / HP_REF_WEAK */
    uint8_t inl;                /* in its owner's side record's room */
    uint32_t klen, llen;        /* key bytes, label bytes */
    hp_obj_t *owner;            /* the container, NULL for a binding */
    struct hp_ref *wprev, *wnext; /* weak: target's list; strong: queue */
    void *ud;                   /* binding: the server's */
    struct hp_ql_node *lnode;   /* list element: the quicklist node that
                                 * holds it (the mark's home, heap_cont.h) */
    char bytes[];               /* key NUL label NUL */
};

/* Collector state of a side record for the collection under way
 * (valid while side->epoch == the collection's epoch). */
enum hp_gc_state {
    HP_GCS_YOUNG = 0,  /* in the young list, gc_refs set */
    HP_GCS_SCANNED,    /* internal references subtracted (when the
                        * subtraction left no root, the scanned list is
                        * garbage in one splice and its objects stay
                        * SCANNED: gc.c subtract_done) */
    HP_GCS_UNREACHED,  /* tentatively unreachable */
    HP_GCS_PENDING,    /* reachable, children not yet visited */
    HP_GCS_REACHED,    /* reachable, done (moved to its next gen) */
    HP_GCS_DOOMED,     /* garbage, weak references cleared (when no
                        * object had any, the garbage went to the doomed
                        * list in one splice and stays UNREACHED until
                        * its clear step: gc.c garbage_decided) */
};

/* A list's reference bookkeeping (lists only: a list element has no
 * key): a reference element's key in the side record's elements is an
 * immutable id from lnext; its entry is a mark of the list's quicklist
 * (heap_cont.h), found from the reference through lnode. lcur (a node
 * whose first entry is index lcur_first, NULL when unknown) speeds up
 * in-order lookups by index; every write to the list resets it. */
typedef struct hp_lidx {
    uint64_t lnext;
    struct hp_ql_node *lcur;
    size_t lcur_first;
} hp_lidx_t;

/* Kept at most 120 bytes, so that glibc frees it through its fast bins
 * (a bigger block makes freeing a million of them coalesce and
 * consolidate: most of a full collection's time); the room for a
 * reference after it is only given under jemalloc (and in sanitizer
 * builds, to test it), ref.c side_room. */
typedef struct hp_side {
    /* The collector's fields, on the record's first cache line (what
     * its walks read of every record; the links first). */
    struct hp_side *gprev, *gnext; /* list links while tracked */
    hp_obj_t *obj;              /* NULL once an orphan (below) */
    /* The reference elements out of obj, by element key: elems (key ->
     * hp_ref_t, on the second line) once obj has held two, else at most
     * one, in one (NULL when none). Go through ref.c's hp__elem_*
     * helpers. */
    struct hp_ref *one;
    int64_t gc_refs;
    uint64_t serial;            /* order of tracking */
    uint32_t epoch;             /* collection the state below is for */
    uint8_t gen;
    uint8_t tracked;
    uint8_t state;              /* enum hp_gc_state */
    uint8_t touched;
    uint8_t pinned;             /* in use up the stack: do not free */
    /* The block: this record, then room for one reference (ref.c,
     * hp__side_inline) when bytes > sizeof(hp_side_t). inl_busy: a
     * reference lives there; orphan: the record was dropped (its object
     * no longer points at it) while that reference still waited in a
     * decref queue, and the block goes when the reference is freed. */
    uint8_t inl_busy;
    uint8_t orphan;
    uint32_t bytes;             /* the block's size as asked for */
    /* second line */
    hp_dict_t *elems;
    size_t nstrong, nweak;      /* reference elements out of obj */
    struct hp_ref *weak_head;   /* weak references to obj */
    size_t nweakin;
    hp_lidx_t *li;              /* lists: reference bookkeeping, or NULL */
#ifdef GC_DEBUG
    /* Every live side record block, orphans included, for the check to
     * reach those nothing else leads to (held only by weak bindings). */
    struct hp_side *dbg_prev, *dbg_next;
#endif
} hp_side_t;

_Static_assert(offsetof(hp_side_t, elems) == 64,
               "the collector's fields fill the first cache line");

/* The room for one reference at the end of side record s's block (valid
 * when s->bytes > sizeof(hp_side_t)). */
static inline struct hp_ref *hp__side_inline(hp_side_t *s)
{
    return (struct hp_ref *)(s + 1);
}

/* The side record whose room holds r (r->inl). */
static inline hp_side_t *hp__inline_side(struct hp_ref *r)
{
    return (hp_side_t *)r - 1;
}

/* Nonzero while a collection is under way. */
extern int hp__gc_active;
/* Nonzero while the barrier is armed: a collection is under way and its
 * garbage is not decided yet (hp__gc_touch does nothing otherwise, so
 * hp_incref / hp_decref test this, not hp__gc_active, and a clear
 * phase's frees skip the call). */
extern int hp__gc_barrier;

/* The side record of a string with HP_OF_SIDE (ref.c's address table). */
hp_side_t *hp__side_of_slow(const hp_obj_t *o);

/* The side record of o, NULL when none. O(1): a container's is in its
 * prefix slot (no hashing), a string's in the address table. */
static inline hp_side_t *hp__side_of(const hp_obj_t *o)
{
    if (!o || !(o->flags & HP_OF_SIDE)) return NULL;
    if (o->flags & HP_OF_PREFIX) return *hp__obj_prefix(o);
    return hp__side_of_slow(o);
}
/* The side record of o, created when missing. NULL on OOM. */
hp_side_t *hp__side_get(hp_obj_t *o);
/* Remove o's side record if nothing needs it any more. */
void hp__side_maybe_drop(hp_side_t *s);

/* Hooks called by the container code and object.c (cheap when
 * o->flags lacks HP_OF_SIDE). */
/* Element key of o was overwritten or removed by a standard write: drop
 * its reference (strong decrefs are queued; call hp__ref_drain after the
 * container operation completes). */
void hp__ref_elem_gone(hp_obj_t *o, const char *key, size_t klen);
/* Run the queued decrefs (reentrancy safe, iterative). */
void hp__ref_drain(void);
/* The collector's bounded drain: run at most max queued decrefs (new
 * ones first, then those an earlier call put off, and whatever they
 * queue in turn); the rest is put off until the next call, so freeing a
 * cycle of a million objects is spread over slices instead of cascading
 * in one. Returns 1 while decrefs are put off. */
int hp__ref_drain_some(size_t max);
/* o's refcount reached zero: clear weak references to it, drop its
 * reference elements, untrack it. Called before its body is freed. */
void hp__side_obj_dying(hp_obj_t *o);
/* Barrier: o's refcount or reference elements change. */
void hp__gc_touch(hp_obj_t *o);

/* The hook the container code calls after a standard write overwrote
 * or removed element key of o (free when o has no side record). */
static inline void hp__ref_hook(hp_obj_t *o, const char *key, size_t klen)
{
    if (!(o->flags & HP_OF_SIDE)) return;
    hp__ref_elem_gone(o, key, klen);
    hp__ref_drain();
}

/* List hook (list.c calls it after every write to a list whose
 * o->flags has HP_OF_SIDE): the quicklist already dropped the marks of
 * removed or overwritten reference elements (hp__ql_mark_gone released
 * their references, strong decrefs queued: the caller drains); this
 * forgets the lookup cursor and drops the side record if unused. */
void hp__lref_changed(hp_obj_t *o);
/* Weak list element r (already out of the elements, its target cleared)
 * is taken out of list c (side cs): the element, found by its mark, in
 * O(node size), without knowing its index. */
void hp__lref_clear_weak(hp_side_t *cs, struct hp_ref *r);
/* Drop the marks of every reference element of list s->obj (before
 * hp__ref_clear_all releases them). */
void hp__lref_unmark_all(hp_side_t *s);

/* Reference elements of side s by key (ref.c): the one whose key is
 * key, or NULL; take it out of s's elements (it must be there; never
 * allocates). */
struct hp_ref *hp__elem_find(const hp_side_t *s, const char *key,
                             size_t klen);
void hp__elem_delete(hp_side_t *s, const char *key, size_t klen);

/* Call fn(ud, r) for every reference element of s (fn must not change
 * s's elements). Never allocates. */
static inline void hp__elem_each(hp_side_t *s,
                                 void (*fn)(void *ud, struct hp_ref *r),
                                 void *ud)
{
    hp_dict_iter_t it;
    hp_dict_entry_t *e;

    if (s->one) {
        fn(ud, s->one);
        return;
    }
    if (!s->elems) return;
    hp_dict_iter_init(&it, s->elems, 0);
    while ((e = hp_dict_iter_next(&it)))
        fn(ud, e->v.ptr);
    hp_dict_iter_fini(&it);
}

/* Drop every reference element of o (the collector's clear). */
void hp__ref_clear_all(hp_side_t *s);

/* Weak lists (weakref.c). */
void hp__weak_link(hp_side_t *ts, struct hp_ref *r);
void hp__weak_unlink(hp_side_t *ts, struct hp_ref *r);
/* Clear every weak reference to s->obj (callbacks fire). */
void hp__weak_clear_all(hp_side_t *s);
/* Free a ref block. */
void hp__ref_free(struct hp_ref *r);

/* Collector (gc.c). */
void hp__gc_track(hp_side_t *s);
void hp__gc_untrack(hp_side_t *s);
/* Whether s is garbage of the collection under way whose weak refs are
 * being cleared (a weak reference must not yield it). */
int hp__gc_doomed(const hp_side_t *s);
/* Side record s is being dropped while its object dies: collector
 * bookkeeping (counts a collected object when it was garbage). */
void hp__gc_obj_freed(hp_side_t *s);
/* Tracked side record s loses its last strong element as its object
 * dies: hp__gc_untrack then hp__gc_obj_freed, in one call. */
void hp__gc_dead(hp_side_t *s);
/* Deferred freeing (defer.c): containers with more elements than this
 * are taken apart in slices; at most this many elements per unit. */
#define HP_DEFER_MIN_ELEMS 64
#define HP_DEFER_CHUNK 64
/* Set by the collector around hp_decref_deferred of its garbage: the
 * bytes are then counted as reclaimed by the collector. */
extern int hp__defer_from_gc;
extern uint64_t hp__gc_bytes_reclaimed;

/* Units of work the last slice did (white-box tests). */
extern size_t hp__gc_last_slice_objects;
/* Count of weak references cleared (stats). */
extern uint64_t hp__gc_weak_cleared;
/* Totals for stats (ref.c). */
extern size_t hp__ref_nstrong, hp__ref_nweak, hp__ref_weakly_referenced;

#ifdef GC_DEBUG
/* Consistency checks of -Dgc_debug=true builds (heap/check.c drives them
 * through hp_heap_check). The walks below report every side record they
 * hold to w->side (on_gc_list: it was found on a collector list) and
 * every strong reference whose decref is put off to w->queued; each
 * violation is reported with hp__check_fail. */
typedef struct hp_check_walk {
    void (*side)(struct hp_check_walk *w, hp_side_t *s, int on_gc_list);
    void (*queued)(struct hp_check_walk *w, struct hp_ref *r);
} hp_check_walk_t;
/* Report one violation (printf format), counted by hp_heap_check. */
void hp__check_fail(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
/* gc.c: the collector's lists, counts and per-phase states. */
void hp__gc_check(hp_check_walk_t *w);
/* ref.c: the string side table and the decref queues. */
void hp__ref_check(hp_check_walk_t *w);
#endif

#endif /* GENCACHE_HEAP_HEAP_REF_H */
