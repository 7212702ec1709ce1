/*
 * heap_gc.h - references, weak references and the cycle collector: the
 * heap-side API the server's REF.*, GC and INFO code is built on
 * (HEAP.md "References" and "The cycle collector", heap/README.md
 * "References and the cycle collector").
 *
 * Threads: executor thread only, like every object.
 * Errors: 0 or a negative errno (-ENOMEM, -EINVAL, -ENOENT); nothing here
 * aborts on allocation failure.
 */
#ifndef GENCACHE_HEAP_HEAP_GC_H
#define GENCACHE_HEAP_HEAP_GC_H

#include <stddef.h>
#include <stdint.h>

#include "heap.h"

/* ---------------------------------------------------------------------
 * Reference elements (heap/ref.c). A container element that refers to an
 * object: the container stores the label as an ordinary element (so every
 * standard command sees the label) and the heap records the reference
 * beside it. Hashes, sets, sorted sets and lists can hold reference
 * elements. A standard write that overwrites or removes the element drops
 * the reference.
 * ------------------------------------------------------------------ */

#define HP_REF_STRONG 0
#define HP_REF_WEAK 1

/* Field f of hash h becomes a reference to target, shown as label. A
 * strong reference increfs target; a weak one registers on it. Replaces
 * whatever f held (dropping an earlier reference). 1 field added, 0
 * replaced, -ENOMEM (h unchanged), -EINVAL (target immortal or NULL). */
int hp_ref_hash_set(hp_obj_t *h, const char *f, size_t flen,
                    hp_obj_t *target, const char *label, size_t llen,
                    int strength);
/* Member `label` of set s becomes a reference to target. 1 added, 0 the
 * member already existed (kept as it was, as SADD), -ENOMEM, -EINVAL. */
int hp_ref_set_add(hp_obj_t *s, hp_obj_t *target, const char *label,
                   size_t llen, int strength);
/* Member `label` of zset z with score becomes a reference to target. 1
 * added, 0 the member existed (its score is updated, the member kept),
 * -ENOMEM, -EINVAL. */
int hp_ref_zset_add(hp_obj_t *z, double score, hp_obj_t *target,
                    const char *label, size_t llen, int strength);

/* A reference to target, shown as label, pushed at the head (where
 * HP_LIST_HEAD) or tail (HP_LIST_TAIL) of list l. 0, -ENOMEM (l
 * unchanged), -EINVAL (target immortal or NULL, l not a list). */
int hp_ref_list_push(hp_obj_t *l, int where, hp_obj_t *target,
                     const char *label, size_t llen, int strength);
/* Borrowed: the object element `index` (negative counts from the end) of
 * list l refers to, or NULL as hp_ref_get. *strength may be NULL. */
hp_obj_t *hp_ref_list_get(hp_obj_t *l, long index, int *strength);
/* Whether element index of list l is a reference element (1) or not. */
int hp_ref_list_is_ref(hp_obj_t *l, long index);
/* COPY: dst, a fresh copy of src (same type and elements, no
 * references yet), gets a reference wherever src has a live one: same
 * target and strength (a strong one increfs the target again). 0 or
 * -ENOMEM (dst may hold some of them: the caller drops dst). */
int hp_ref_copy(hp_obj_t *dst, const hp_obj_t *src);

/* Borrowed: the object element `key` (hash field, set/zset member) of
 * container c refers to, or NULL when the element is not a reference (or
 * a weak one whose object died or is being collected). *strength (may be
 * NULL) gets HP_REF_STRONG or HP_REF_WEAK. */
hp_obj_t *hp_ref_get(hp_obj_t *c, const char *key, size_t klen,
                     int *strength);
/* Whether element key of c is a reference element (1) or not (0). Lists
 * have no element keys: hp_ref_get/is_ref/forget see none in a list. */
int hp_ref_is_ref(hp_obj_t *c, const char *key, size_t klen);
/* Drop the reference held by element key of c without touching the
 * element itself (it becomes a plain label). 0 or -ENOENT. */
int hp_ref_forget(hp_obj_t *c, const char *key, size_t klen);

/* Reference elements held by o (REF.INFO refs_out_strong/weak). */
size_t hp_ref_out_strong(const hp_obj_t *o);
size_t hp_ref_out_weak(const hp_obj_t *o);

/* Shrink the heap's side table (object -> references) when mostly
 * empty after many objects stopped using references (cron). 0 or
 * -ENOMEM. */
int hp_ref_table_shrink(void);

/* Calls fn on every reference element of c (key, target, strength);
 * target is NULL for a cleared weak element. fn must not change c. For a
 * list, key is an opaque 8-byte id, not a position. */
typedef void (*hp_ref_visit_fn)(void *ud, const char *key, size_t klen,
                                hp_obj_t *target, int strength);
void hp_ref_foreach(hp_obj_t *c, hp_ref_visit_fn fn, void *ud);

/* ---------------------------------------------------------------------
 * Weak references (heap/weakref.c)
 * ------------------------------------------------------------------ */

/* A weak reference owned by the server (a weak key binding, REF.LINK
 * WEAK): holds no refcount; when its object dies the clear callback is
 * called with it, after which hp_weakref_get returns NULL. */
typedef struct hp_ref hp_weakref_t;

/* What the clear callback is told. For an element, the heap has already
 * removed it from `container` (type its TYPE), key/klen naming it; for a
 * binding, container is NULL and `binding` is the server's weakref (its
 * ud in `ud`), which the server unbinds and then frees with
 * hp_weakref_free. */
typedef struct hp_weak_event {
    hp_obj_t *container;   /* borrowed; NULL for a binding */
    const char *key;       /* element key, valid during the call */
    size_t klen;
    hp_weakref_t *binding; /* NULL for an element */
    void *ud;              /* the binding's ud */
} hp_weak_event_t;
typedef void (*hp_weakref_clear_fn)(void *ud, const hp_weak_event_t *ev);

/* Register the server's callback (NULL: none) and its ud. The callback
 * must not free objects synchronously other than through hp_decref and
 * must not start a collection. */
void hp_weakref_set_clear_callback(hp_weakref_clear_fn fn, void *ud);

/* New weak binding to target carrying ud. NULL on OOM or an immortal
 * target. */
hp_weakref_t *hp_weakref_new(hp_obj_t *target, void *ud);
/* Borrowed: the object, or NULL once cleared (or being collected). */
hp_obj_t *hp_weakref_get(const hp_weakref_t *wr);
/* Unregister (if still set) and free a binding. NULL: no-op. */
void hp_weakref_free(hp_weakref_t *wr);
/* Weak references (elements and bindings) currently pointing at o. */
size_t hp_weakref_count(const hp_obj_t *o);

/* ---------------------------------------------------------------------
 * Deferred freeing (heap/defer.c)
 * ------------------------------------------------------------------ */

/* As hp_decref, but when this is the last reference to a big container
 * (more than 64 elements in a hashtable, skiplist or list), the object
 * dies now (weak references cleared, its references dropped) and its body
 * is freed later, in slices, by hp_free_step (DEL/UNLINK of big values).
 * Never fails: without memory to queue it, the object is freed at once. */
void hp_decref_deferred(hp_obj_t *o);
/* Free queued bodies for at most budget_us (negative: no limit) and about
 * max_elems elements. Returns 1 while objects remain queued. */
int hp_free_step(int64_t budget_us, size_t max_elems);
/* Objects queued (INFO heap_deferred_free_pending_objects). */
size_t hp_free_pending(void);
/* Bytes the queued bodies still hold, estimated without walking them
 * (INFO heap_deferred_free_pending_bytes; the evictor does not count
 * them as used). 0 when the queue is empty. */
size_t hp_free_pending_bytes(void);
/* Objects freed through the queue since start. */
uint64_t hp_free_done(void);

/* ---------------------------------------------------------------------
 * The cycle collector (heap/gc.c)
 * ------------------------------------------------------------------ */

/* Configuration (CONFIG SET writes it; defaults as HEAP.md). */
typedef struct hp_gc_config {
    size_t threshold0;      /* 700: net tracked allocations for gen0 */
    size_t threshold1;      /* 10: gen0 collections per gen1 */
    size_t threshold2;      /* 10: gen1 collections per gen2 */
    int enabled;            /* automatic collections (hp_gc_step) */
    int64_t slice_budget_us; /* 500: most time one slice takes */
    size_t slice_objects;   /* 10000: most objects one slice visits */
    int max_cpu_percent;    /* 25: collector share while clients are busy
                             * (the driver passes it to hp_gc_pace) */
    int restart_touched_pct; /* 50: a collection more than this % of
                              * whose set gets touched before garbage is
                              * decided is given up and restarted later
                              * (100: never) */
} hp_gc_config_t;

extern hp_gc_config_t hp_gc_config;

typedef struct hp_gc_stats {
    size_t tracked;              /* tracked containers */
    size_t gen_objects[3];       /* per generation */
    uint64_t collections[3];     /* finished, per generation */
    uint64_t collected;          /* garbage objects freed */
    uint64_t uncollectable;      /* garbage that could not be freed (0) */
    int in_progress;             /* a collection is under way */
    uint64_t slices;
    uint64_t slice_time_total_us;
    uint64_t slice_time_max_us;
    uint64_t slice_objects_max;  /* most objects one slice visited */
    uint64_t last_duration_us;   /* first slice to last of the last one */
    int progress_pct;            /* of the current collection, 0..100 */
    uint64_t weakrefs_cleared;   /* by refcount death and collection */
    uint64_t bytes_reclaimed;    /* by the collector */
    size_t ref_strong;           /* strong reference elements */
    size_t ref_weak;             /* weak reference elements */
    size_t weakly_referenced;    /* objects with weak references to them */
    uint64_t restarted;          /* collections given up and restarted */
} hp_gc_stats_t;

/* Fill *st. */
void hp_gc_stats(hp_gc_stats_t *st);

/* One slice: start a collection if one is due (and enabled), then work
 * at most budget_us microseconds and hp_gc_config.slice_objects objects;
 * with no collection under way, free queued bodies (hp_free_step) instead.
 * Returns 1 while a collection is under way or bodies are queued. */
int hp_gc_step(int64_t budget_us);
/* Start a collection of generations 0..gen now (-EBUSY when one is under
 * way, -EINVAL for a bad gen). hp_gc_step drives it. */
int hp_gc_start(int gen);
/* Finish any collection under way, then run one of generations 0..gen to
 * completion and free every queued body (GC COLLECT). Returns the
 * garbage objects it freed. */
size_t hp_gc_collect(int gen);
int hp_gc_in_progress(void);
/* Whether the collector frees in bulk now: a collection is past its mark
 * (clearing and freeing its garbage) or bodies wait in the deferred-free
 * queue. What hp_mem_bulk_freeing is told, with the server's own bulk
 * freeing. */
int hp_gc_freeing(void);
/* Whether hp_gc_step would start a collection now: one is due (and
 * enabled) or a given-up one's restart time has come. */
int hp_gc_due(void);
/* Generation of o (0..2), or -1 when o is not tracked. */
int hp_gc_generation(const hp_obj_t *o);
int hp_gc_is_tracked(const hp_obj_t *o);

/* A collection given up by the restart rule waits at least 1 ms (or the
 * time it ran) before it restarts, doubling on each consecutive restart
 * up to 100 ms; hp_gc_step returns 1 while it waits. After 3 consecutive
 * restarts the next attempt runs to its end however much is touched. */

/* ---------------------------------------------------------------------
 * Pacing (HEAP.md "Pacing"): the driver of hp_gc_step asks hp_gc_pace
 * before each slice while a collection is in progress or due, passing
 * its clock and a counter that moves with client work (commands run).
 * While that counter moved within the last HP_GC_PACE_IDLE_US, slices
 * get at most cpu_pct % of the time (a slice runs when the time of the
 * previous ones has been paid back by client time at that rate, so at
 * most one slice runs in a row); otherwise they run back to back.
 * Pure: no clock read, no global state.
 * ------------------------------------------------------------------ */

#define HP_GC_PACE_IDLE_US 1000

typedef struct hp_gc_pacer {
    uint64_t debt_us;    /* slice time not yet paid back by busy time */
    uint64_t frac;       /* remainder of the pay-back division */
    uint64_t last_us;    /* clock of the last decision or slice end */
    uint64_t active_us;  /* clock when the activity counter last moved */
    uint64_t activity;   /* the counter as last seen */
    int ready;           /* initialised (a zeroed pacer starts itself) */
} hp_gc_pacer_t;

/* Start p at now_us with the activity counter's value: nothing owed. */
void hp_gc_pace_init(hp_gc_pacer_t *p, uint64_t now_us, uint64_t activity);
/* The budget for a slice to run at now_us: slice_budget_us when it may
 * run, 0 when it must wait for more client time to pass. */
int64_t hp_gc_pace(hp_gc_pacer_t *p, uint64_t now_us, uint64_t activity,
                   int cpu_pct, int64_t slice_budget_us);
/* Charge p for a slice that ran from start_us to end_us. */
void hp_gc_pace_charge(hp_gc_pacer_t *p, uint64_t start_us, uint64_t end_us);

#ifdef GC_DEBUG
/* -Dgc_debug=true builds only (heap/check.c): check every heap and
 * collector invariant reachable from the collector's lists and the side
 * records (lists and counts, side records, weak lists, refcounts against
 * the strong references known, the container bodies holding references).
 * Prints each violation to stderr; returns how many were found (0: all
 * consistent). Costly: O(side records + their elements). Never changes
 * the heap; its own memory comes from libc, not the accounted heap. */
size_t hp_heap_check(void);
#endif

#endif /* GENCACHE_HEAP_HEAP_GC_H */
