/*
 * gc.c - the generational, incremental cycle collector (HEAP.md "The
 * cycle collector"; heap/README.md "References and the cycle collector").
 *
 * Tracked objects (containers holding strong reference elements) sit on
 * intrusive doubly linked lists through their side records: one per
 * generation, and during a collection the young / scanned / unreached /
 * pending / doomed lists. Every step takes list heads, so objects may be
 * untracked or freed between (and during) slices without invalidating
 * any cursor. The collector never allocates.
 */
#include "heap.h"

#include <assert.h>
#include <errno.h>
#include <time.h>

#include "heap_ref.h"

hp_gc_config_t hp_gc_config = {
    .threshold0 = 700,
    .threshold1 = 10,
    .threshold2 = 10,
    .enabled = 1,
    .slice_budget_us = 500,
    .slice_objects = 10000,
    .max_cpu_percent = 25,
    .restart_touched_pct = 50,
};

int hp__gc_active;
int hp__gc_barrier;
uint64_t hp__gc_bytes_reclaimed;
size_t hp__gc_last_slice_objects;

enum phase {
    PH_IDLE = 0,
    PH_SUBTRACT,   /* gc_refs = refcount - references from inside */
    PH_MARK,       /* roots and what they reach survive */
    PH_CLEAR_WEAK, /* garbage: weak references to it cleared */
    PH_CLEAR,      /* garbage: reference elements dropped, objects freed */
    PH_ABORT,      /* invalidated: every object goes back to its gen */
};

/* Consecutive restarts after which a collection runs to its end however
 * much of it is touched (garbage must not pile up forever), and the
 * longest wait before a restart. */
#define MAX_RESTARTS 3
#define RESTART_DELAY_MIN_US 1000
#define RESTART_DELAY_MAX_US 100000

/* List sentinels (only gprev/gnext used). */
/* Decrefs one unit of the clear phase may run (each may free an object):
 * bounds a unit to a few dozen microseconds however long the cycle. */
#define CLEAR_DRAIN_MAX 32

static hp_side_t gens[3], young, scanned, unreached, pending, doomed;
static int lists_ready;
static size_t gen_count[3];
static uint64_t serial_counter;
static size_t net_allocs;       /* tracked minus untracked since gen0 ran */
static size_t since[3];         /* since[1]: gen0 runs; since[2]: gen1 runs */
static size_t long_lived_total, long_lived_pending;

/* The collection under way. */
static struct {
    int phase;
    int gen;
    uint32_t epoch;
    uint64_t start_serial;
    size_t total, work;
    uint64_t t_start;
    uint64_t garbage, freed, freed_early;
    size_t touched;     /* objects of the collection touched */
    size_t positive;    /* objects whose gc_refs is > 0 (at least) */
    int scanned_doomed; /* no root: every SCANNED object is garbage */
    int may_restart;    /* the restart rule applies to it */
} coll;

/* A collection given up because the mutator kept invalidating it. */
static struct {
    int pending;        /* one is to be restarted */
    int gen;            /* the highest generation given up */
    unsigned count;     /* consecutive restarts */
    uint64_t at_us;     /* not before this clock */
} restart;

static hp_gc_stats_t stats;

/* Microseconds of a monotonic clock. */
static uint64_t now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* An empty circular list with sentinel h. */
static void list_init(hp_side_t *h)
{
    h->gprev = h->gnext = h;
}

/* Initialise every list sentinel once. */
static void lists_setup(void)
{
    if (lists_ready) return;
    for (int i = 0; i < 3; i++)
        list_init(&gens[i]);
    list_init(&young);
    list_init(&scanned);
    list_init(&unreached);
    list_init(&pending);
    list_init(&doomed);
    lists_ready = 1;
}

/* Whether the list of sentinel h is empty. */
static int list_empty(const hp_side_t *h)
{
    return h->gnext == h;
}

/* Take s off whatever list it is on. */
static void list_unlink(hp_side_t *s)
{
    s->gprev->gnext = s->gnext;
    s->gnext->gprev = s->gprev;
    s->gprev = s->gnext = NULL;
}

/* A walk over a list is at s: start loading what the next units read
 * (the record after the next one, the next one's object and first
 * reference), so that the cache misses of a walk over a million records
 * overlap with the work instead of coming one after the other. Prefetches
 * never fault, so the sentinel's NULLs are harmless. */
static inline void walk_prefetch(const hp_side_t *s)
{
    const hp_side_t *n = s->gnext;

    __builtin_prefetch(n->gnext, 1);
    __builtin_prefetch(n->obj, 1);
    __builtin_prefetch(n->one);
}

/* The lookahead of the subtract and clear walks: a record WALK_AHEAD
 * places down the list being walked, whose lines (and its object's, and
 * its first reference's) are requested while the walk works on the
 * head, so the misses of the records ahead overlap instead of each
 * stalling the walk in turn. Kept valid: run_slice and every phase
 * change reset it (between slices the mutator may free any record), and
 * a record untracked while it is the lookahead (a clear step may free
 * objects anywhere in the list) hands it on to its successor. NULL when
 * unset. */
#define WALK_AHEAD 10
/* How many records past the lookahead's next one its guessed prefetches
 * reach (walk_ahead; 1 and 2, then 4 and 8, then 8 and 16 were measured:
 * each step cheaper). */
#define GUESS_NEAR 8
#define GUESS_FAR 16
static hp_side_t *ahead;

/* A walk is at s, the head of the list of sentinel h: move the
 * lookahead along and prefetch its record. */
static inline void walk_ahead(hp_side_t *s, hp_side_t *h)
{
    uintptr_t next, stride;

    if (!ahead) {
        ahead = s;
        for (int i = 0; i < WALK_AHEAD && ahead != h; i++)
            ahead = ahead->gnext;
    } else if (ahead != h) {
        ahead = ahead->gnext;
    }
    if (ahead == h) return;
    next = (uintptr_t)ahead->gnext;
    stride = next - (uintptr_t)ahead;
    __builtin_prefetch(ahead->gnext, 1);
    /* The lookahead's own step is a dependent load, with one unit of
     * lead only. Records are mostly carved in tracking order from the
     * allocator's slabs, at a constant stride: the records after the
     * next are guessed from the last step and their first lines (the
     * links) asked for too, so the step rarely waits. A wrong guess
     * loads a line for nothing (a prefetch never faults). */
    __builtin_prefetch((const void *)(next + GUESS_NEAR * stride), 1);
    __builtin_prefetch((const void *)(next + GUESS_FAR * stride), 1);
    __builtin_prefetch((char *)ahead + 64, 1); /* a record is two lines */
    __builtin_prefetch(ahead->obj, 1);
    __builtin_prefetch(ahead->one, 1);
}

/* Put s at the tail of list h. */
static void list_append(hp_side_t *h, hp_side_t *s)
{
    s->gprev = h->gprev;
    s->gnext = h;
    h->gprev->gnext = s;
    h->gprev = s;
}

/* Move every element of src to the end of dst, O(1). */
static void list_splice(hp_side_t *dst, hp_side_t *src)
{
    if (list_empty(src)) return;
    src->gnext->gprev = dst->gprev;
    dst->gprev->gnext = src->gnext;
    src->gprev->gnext = dst;
    dst->gprev = src->gprev;
    list_init(src);
}

/* Move s from its list to the tail of dst. */
static void list_move(hp_side_t *dst, hp_side_t *s)
{
    list_unlink(s);
    list_append(dst, s);
}

/* Start tracking s (its first strong reference element): gen0. */
void hp__gc_track(hp_side_t *s)
{
    if (s->tracked) return;
    lists_setup();
    s->tracked = 1;
    s->gen = 0;
    s->serial = ++serial_counter;
    list_append(&gens[0], s);
    gen_count[0]++;
    stats.tracked++;
    net_allocs++;
}

/* Stop tracking s (tracked), wherever it is. */
static inline void untrack(hp_side_t *s)
{
    if (s == ahead) ahead = s->gnext;
    list_unlink(s);
    gen_count[s->gen]--;
    stats.tracked--;
    s->tracked = 0;
    if (net_allocs) net_allocs--;
}

/* Stop tracking s, wherever it is. */
void hp__gc_untrack(hp_side_t *s)
{
    if (s->tracked) untrack(s);
}

/* Whether s belongs to the collection under way. */
static int in_coll(const hp_side_t *s)
{
    return hp__gc_active && s->serial < coll.start_serial &&
           s->gen <= coll.gen;
}

/* Set s's per-collection state up on first contact. */
static void coll_init(hp_side_t *s)
{
    if (s->epoch == coll.epoch) return;
    s->epoch = coll.epoch;
    s->state = HP_GCS_YOUNG;
    s->touched = 0;
    s->gc_refs = (int64_t)s->obj->refcount;
    if (s->gc_refs > 0) coll.positive++;
}

/* Whether s (not NULL) is garbage of the collection under way, which
 * is in a clear phase. */
static inline int is_garbage(const hp_side_t *s)
{
    return s->epoch == coll.epoch && s->serial < coll.start_serial &&
           (s->state == HP_GCS_DOOMED || s->state == HP_GCS_UNREACHED ||
            (s->state == HP_GCS_SCANNED && coll.scanned_doomed));
}

/* Garbage whose weak references are being (or have been) cleared. */
int hp__gc_doomed(const hp_side_t *s)
{
    return s && hp__gc_active &&
           (coll.phase == PH_CLEAR_WEAK || coll.phase == PH_CLEAR) &&
           is_garbage(s);
}

/* Barrier: o changes while a collection runs, so it is reachable for it. */
void hp__gc_touch(hp_obj_t *o)
{
    hp_side_t *s;

    if (!hp__gc_active || coll.phase >= PH_CLEAR_WEAK) return;
    s = hp__side_of(o);
    if (!s || !s->tracked || !in_coll(s)) return;
    coll_init(s);
    if (s->touched) return;
    s->touched = 1;
    coll.touched++;
    if (s->state == HP_GCS_UNREACHED) {
        s->state = HP_GCS_PENDING;
        list_move(&pending, s);
    }
}

/* An object with a side record dies (ref.c). Garbage still unreached in
 * the clear phase was moved to doomed in one splice (garbage_decided) and
 * is counted here, as step_clear counts those it reaches. */
static inline void obj_freed(hp_side_t *s)
{
    /* the phase first: objects die outside the clear phases too */
    if (coll.phase != PH_CLEAR && coll.phase != PH_CLEAR_WEAK) return;
    if (!is_garbage(s)) return;
    if (s->state == HP_GCS_DOOMED) {
        coll.freed++;
    } else if (coll.phase == PH_CLEAR) {
        coll.garbage++;
        coll.freed++;
    } else {
        coll.freed_early++;
    }
}

/* Contract in heap_ref.h. */
void hp__gc_obj_freed(hp_side_t *s)
{
    obj_freed(s);
}

/* Contract in heap_ref.h. */
void hp__gc_dead(hp_side_t *s)
{
    if (s->tracked) untrack(s);
    obj_freed(s);
}

/* Borrowed: the side record of r's target when r is strong and the
 * target belongs to the collection, else NULL. */
static inline hp_side_t *child_of(const struct hp_ref *r)
{
    hp_side_t *cs;

    if (r->strength != HP_REF_STRONG) return NULL;
    cs = hp__side_of(r->target);
    return cs && cs->tracked && in_coll(cs) ? cs : NULL;
}

/* Subtract phase: one reference to r's target comes from inside. */
static inline void subtract_ref(const struct hp_ref *r)
{
    hp_side_t *c = child_of(r);

    if (!c) return;
    coll_init(c);
    if (c->gc_refs-- == 1) coll.positive--;
}

/* hp__elem_each visitor of the subtract phase (ud unused). */
static void subtract_visit(void *ud, struct hp_ref *r)
{
    (void)ud;
    subtract_ref(r);
}

/* hp__elem_each visitor of the mark phase (ud unused): r's target is
 * reachable; its children are visited later. */
static void reach_visit(void *ud, struct hp_ref *r)
{
    hp_side_t *c = child_of(r);

    (void)ud;
    if (c && (c->state == HP_GCS_SCANNED || c->state == HP_GCS_UNREACHED)) {
        c->state = HP_GCS_PENDING;
        list_move(&pending, c);
    }
}

static void garbage_decided(void);

/* The subtract phase is over. When it left no root (no object with
 * gc_refs > 0, none touched: coll.positive never undercounts), nothing
 * is reachable and the whole scanned list is garbage: it goes to the
 * unreached list in one splice, keeping state SCANNED (hp__gc_doomed
 * then takes SCANNED as unreached: with nothing touched, no object of
 * the collection left its lists, so every SCANNED one is on them), and
 * mark has nothing to do. Else mark partitions the scanned list one
 * object per unit. */
static void subtract_done(void)
{
    coll.phase = PH_MARK;
    ahead = NULL;
    if (coll.positive || coll.touched || !list_empty(&pending)) return;
    list_splice(&unreached, &scanned);
    coll.scanned_doomed = 1;
    garbage_decided();
}

/* One object of the subtract phase. */
static void step_subtract(void)
{
    hp_side_t *s = young.gnext;

    walk_ahead(s, &young);
    walk_prefetch(s);
    coll_init(s);
    if (s->one) /* the usual case, inline */
        subtract_ref(s->one);
    else
        hp__elem_each(s, subtract_visit, NULL); /* changes no element */
    s->state = HP_GCS_SCANNED;
    list_move(&scanned, s);
    if (list_empty(&young)) subtract_done();
}

/* Mark is done: the unreached are garbage. Their weak references are
 * cleared one object per unit, unless no object has any (then the whole
 * list is doomed at once, O(1), and step_clear counts the garbage). */
static void garbage_decided(void)
{
    ahead = NULL;
    hp__gc_barrier = 0; /* nothing can reach the garbage any more */
    if (hp__ref_weakly_referenced == 0) {
        list_splice(&doomed, &unreached);
        coll.phase = PH_CLEAR;
        return;
    }
    coll.phase = PH_CLEAR_WEAK;
}

/* Generation survivors of the collection under way move to. */
static int next_gen(void)
{
    return coll.gen < 2 ? coll.gen + 1 : 2;
}

/* One object of the mark phase: propagate from a pending object, else
 * partition a scanned one; at the end the unreached are garbage. */
static void step_mark(void)
{
    hp_side_t *s;

    if (!list_empty(&pending)) {
        int g = next_gen();

        s = pending.gnext;
        walk_prefetch(s);
        s->state = HP_GCS_REACHED;
        hp__elem_each(s, reach_visit, NULL);
        gen_count[s->gen]--;
        if (g == 2 && s->gen < 2) long_lived_pending++;
        s->gen = (uint8_t)g;
        gen_count[g]++;
        list_move(&gens[g], s);
        return;
    }
    if (!list_empty(&scanned)) {
        s = scanned.gnext;
        walk_prefetch(s);
        if (s->gc_refs > 0 || s->touched) {
            s->state = HP_GCS_PENDING;
            list_move(&pending, s);
        } else {
            s->state = HP_GCS_UNREACHED;
            list_move(&unreached, s);
        }
        return;
    }
    garbage_decided();
}

/* One garbage object: clear the weak references to it. */
static void step_clear_weak(void)
{
    hp_side_t *s = unreached.gnext;

    walk_prefetch(s);
    list_move(&doomed, s);
    s->state = HP_GCS_DOOMED;
    coll.garbage++;
    hp__weak_clear_all(s);
    if (list_empty(&unreached)) coll.phase = PH_CLEAR;
}

/* Run one unit's share of the put-off decrefs, counting the bytes they
 * free as reclaimed. 1 while some are still put off. */
static int drain_counted(void)
{
    size_t before = hp__mem_local(), after;
    int more = hp__ref_drain_some(CLEAR_DRAIN_MAX);

    after = hp__mem_local();
    if ((int64_t)(before - after) > 0)
        hp__gc_bytes_reclaimed += before - after;
    return more;
}

/* One garbage object: drop its reference elements, then our hold. */
static void step_clear(void)
{
    hp_side_t *s = doomed.gnext;
    hp_obj_t *o = s->obj;
    size_t before = hp__mem_local();
    size_t after;

    walk_ahead(s, &doomed);
    walk_prefetch(s);
    if (s->state != HP_GCS_DOOMED) { /* doomed in one splice */
        s->state = HP_GCS_DOOMED;
        coll.garbage++;
    }
    hp_incref(o);
    hp__ref_clear_all(s); /* untracks s: off the doomed list */
    hp__gc_untrack(s);
    /* Each dropped reference may free an object that frees the next: a
     * bounded number run now, the rest in the next units. */
    hp__ref_drain_some(CLEAR_DRAIN_MAX);
    hp__defer_from_gc = 1;
    hp_decref_deferred(o); /* a big body goes in hp_free_step slices */
    hp__defer_from_gc = 0;
    after = hp__mem_local();
    if ((int64_t)(before - after) > 0)
        hp__gc_bytes_reclaimed += before - after;
}

/* End the collection: stats, counters for the next trigger. */
static void coll_finish(void)
{
    uint64_t dur = now_us() - coll.t_start;

    stats.collections[coll.gen]++;
    stats.collected += coll.freed + coll.freed_early;
    if (coll.garbage > coll.freed)
        stats.uncollectable += coll.garbage - coll.freed;
    stats.last_duration_us = dur;
    net_allocs = 0;
    for (int g = 1; g <= coll.gen; g++)
        since[g] = 0;
    if (coll.gen < 2) since[coll.gen + 1]++;
    if (coll.gen == 2) {
        long_lived_total = gen_count[2];
        long_lived_pending = 0;
    }
    if (restart.pending && coll.gen >= restart.gen) restart.pending = 0;
    if (!restart.pending) restart.count = 0;
    coll.phase = PH_IDLE;
    hp__gc_active = 0;
    hp__gc_barrier = 0;
    ahead = NULL;
}

/* Whether the restart rule gives the collection under way up: before
 * garbage is decided, more than restart_touched_pct % of its set was
 * touched by the barrier (HEAP.md "Incremental, and still correct"). */
static int coll_invalidated(void)
{
    uint64_t pct = hp_gc_config.restart_touched_pct;

    if (!coll.touched) return 0; /* the usual case, one test per unit */
    return coll.may_restart && pct < 100 &&
           (coll.phase == PH_SUBTRACT || coll.phase == PH_MARK) &&
           (uint64_t)coll.touched * 100 > pct * (uint64_t)coll.total;
}

/* One unit of a given-up collection: the head of a list of the
 * collection goes back to its generation, as it was; when none is left,
 * the restart is scheduled with a delay that doubles each time. */
static void step_abort(void)
{
    hp_side_t *lists[4] = {&young, &scanned, &unreached, &pending};
    uint64_t waited, delay;

    for (int i = 0; i < 4; i++) {
        if (!list_empty(lists[i])) {
            hp_side_t *s = lists[i]->gnext;

            list_move(&gens[s->gen], s);
            return;
        }
    }
    stats.restarted++;
    waited = now_us() - coll.t_start;
    delay = waited < RESTART_DELAY_MIN_US ? RESTART_DELAY_MIN_US : waited;
    for (unsigned i = 0; i < restart.count && delay < RESTART_DELAY_MAX_US;
         i++)
        delay *= 2;
    if (delay > RESTART_DELAY_MAX_US) delay = RESTART_DELAY_MAX_US;
    if (!restart.pending || coll.gen > restart.gen) restart.gen = coll.gen;
    restart.pending = 1;
    restart.count++;
    restart.at_us = now_us() + delay;
    coll.phase = PH_IDLE;
    hp__gc_active = 0;
    hp__gc_barrier = 0;
}

/* Start a collection of generations 0..gen. */
int hp_gc_start(int gen)
{
    if (gen < 0 || gen > 2) return -EINVAL;
    if (hp__gc_active) return -EBUSY;
    lists_setup();
    coll.phase = PH_SUBTRACT;
    ahead = NULL;
    coll.gen = gen;
    coll.epoch++;
    if (coll.epoch == 0) coll.epoch = 1;
    coll.start_serial = serial_counter + 1;
    coll.total = 0;
    coll.work = 0;
    coll.garbage = 0;
    coll.freed = 0;
    coll.freed_early = 0;
    coll.touched = 0;
    coll.positive = 0;
    coll.scanned_doomed = 0;
    coll.may_restart = restart.count < MAX_RESTARTS;
    coll.t_start = now_us();
    for (int g = 0; g <= gen; g++) {
        coll.total += gen_count[g];
        list_splice(&young, &gens[g]);
    }
    hp__gc_active = 1;
    hp__gc_barrier = 1;
    if (list_empty(&young)) coll.phase = PH_MARK;
    return 0;
}

/* One unit of work of the collection under way. 0 when it finished
 * (or was given up). */
static int work_one(void)
{
    if (coll_invalidated()) {
        coll.phase = PH_ABORT;
        hp__gc_barrier = 0;
        ahead = NULL;
    }
    switch (coll.phase) {
    case PH_SUBTRACT:
        if (list_empty(&young)) {
            subtract_done(); /* the mutator untracked the rest */
            return 1;
        }
        step_subtract();
        break;
    case PH_MARK:
        step_mark();
        break;
    case PH_CLEAR_WEAK:
        if (list_empty(&unreached)) {
            coll.phase = PH_CLEAR;
            return 1;
        }
        step_clear_weak();
        break;
    case PH_CLEAR:
        if (list_empty(&doomed)) {
            /* The cycle's put-off decrefs free it, a unit at a time. */
            if (drain_counted())
                break;
            coll_finish();
            return 0;
        }
        step_clear();
        break;
    case PH_ABORT:
        step_abort();
        if (!hp__gc_active) return 0;
        break;
    default:
        return 0;
    }
    coll.work++;
    return 1;
}

/* Run the collection under way for at most budget_us and max_objs
 * units of work. Returns 1 if it is still under way. */
static int run_slice(int64_t budget_us, size_t max_objs)
{
    uint64_t t0 = now_us(), t;
    size_t n = 0;

    ahead = NULL; /* the mutator ran since the last slice */
    while (n < max_objs && hp__gc_active) {
        if (!work_one()) break;
        n++;
        if (budget_us >= 0 && (int64_t)(now_us() - t0) >= budget_us) break;
    }
    t = now_us() - t0;
    stats.slices++;
    stats.slice_time_total_us += t;
    if (t > stats.slice_time_max_us) stats.slice_time_max_us = t;
    if (n > stats.slice_objects_max) stats.slice_objects_max = n;
    hp__gc_last_slice_objects = n;
    return hp__gc_active;
}

/* Which generation is due, or -1 (CPython's rules, HEAP.md). */
static int due_gen(void)
{
    if (net_allocs <= hp_gc_config.threshold0) return -1;
    if (since[2] >= hp_gc_config.threshold2 &&
        long_lived_pending > long_lived_total / 4)
        return 2;
    if (since[1] >= hp_gc_config.threshold1) return 1;
    return 0;
}

/* Which generation hp_gc_step starts now, or -1; *wait is set when a
 * given-up collection waits for its restart. */
static int start_gen(int *wait)
{
    int g;

    *wait = 0;
    if (!hp_gc_config.enabled) {
        restart.pending = 0;
        restart.count = 0;
        return -1;
    }
    g = due_gen();
    if (restart.pending) {
        if (now_us() < restart.at_us) {
            *wait = 1;
            return -1;
        }
        if (restart.gen > g) g = restart.gen;
    }
    return g;
}

/* Whether hp_gc_step would start a collection now (heap_gc.h). */
int hp_gc_due(void)
{
    int wait;

    return !hp__gc_active && start_gen(&wait) >= 0;
}

/* One slice (heap_gc.h). */
int hp_gc_step(int64_t budget_us)
{
    size_t max = hp_gc_config.slice_objects ? hp_gc_config.slice_objects : 1;

    if (!hp__gc_active) {
        int wait, g = start_gen(&wait);

        if (g < 0) {
            hp__gc_last_slice_objects = 0;
            return hp_free_step(budget_us, max) || wait;
        }
        restart.pending = 0;
        hp_gc_start(g);
    }
    return run_slice(budget_us, max) || hp_free_pending() > 0 ||
           restart.pending;
}

/* Run generations 0..gen to completion (GC COLLECT). */
size_t hp_gc_collect(int gen)
{
    uint64_t before;

    if (gen < 0 || gen > 2) gen = 2;
    while (hp__gc_active)
        run_slice(-1, SIZE_MAX);
    before = stats.collected;
    if (hp_gc_start(gen) == 0) {
        while (hp__gc_active)
            run_slice(-1, SIZE_MAX);
    }
    while (hp_free_step(-1, SIZE_MAX))
        ;
    return (size_t)(stats.collected - before);
}

/* Whether a collection is under way. */
int hp_gc_in_progress(void)
{
    return hp__gc_active;
}

/* Whether the collector frees in bulk: a collection has decided its
 * garbage and is taking it apart, or bodies are queued (heap_gc.h). */
int hp_gc_freeing(void)
{
    return (hp__gc_active &&
            (coll.phase == PH_CLEAR_WEAK || coll.phase == PH_CLEAR)) ||
           hp_free_pending() > 0;
}

/* Whether o is tracked by the collector. */
int hp_gc_is_tracked(const hp_obj_t *o)
{
    hp_side_t *s = hp__side_of(o);

    return s && s->tracked;
}

/* Generation of o, -1 when untracked. */
int hp_gc_generation(const hp_obj_t *o)
{
    hp_side_t *s = hp__side_of(o);

    return s && s->tracked ? s->gen : -1;
}

/* Progress of the collection under way, 0..100. */
static int progress_pct(void)
{
    size_t est;

    if (!hp__gc_active) return 0;
    est = 3 * coll.total + 1;
    if (coll.work >= est) return 99;
    return (int)(coll.work * 100 / est);
}

/* Snapshot of the collector and reference statistics into *st. */
void hp_gc_stats(hp_gc_stats_t *st)
{
    *st = stats;
    for (int g = 0; g < 3; g++)
        st->gen_objects[g] = gen_count[g];
    st->in_progress = hp__gc_active;
    st->progress_pct = progress_pct();
    st->weakrefs_cleared = hp__gc_weak_cleared;
    st->bytes_reclaimed = hp__gc_bytes_reclaimed;
    st->ref_strong = hp__ref_nstrong;
    st->ref_weak = hp__ref_nweak;
    st->weakly_referenced = hp__ref_weakly_referenced;
}

/* ---------------------------------------------------------------------
 * Pacing (HEAP.md "Pacing: bound the memory, not only the pause"). A pure
 * function of the driver's clock and activity counter, so it is tested
 * without a loop: while clients are busy, collector time earns at the
 * rate pct / (100 - pct) of the busy time between slices and each slice
 * spends what it took; an idle loop lets slices run back to back.
 * ------------------------------------------------------------------ */

/* The longest stretch of busy time counted at once (keeps the arithmetic
 * far from overflow; an hour unasked still pays back only the debt). */
#define PACE_MAX_DT_US 10000000

/* Start a pacer at now_us: nothing owed, the loop counted as busy. */
void hp_gc_pace_init(hp_gc_pacer_t *p, uint64_t now_us, uint64_t activity)
{
    p->debt_us = 0;
    p->frac = 0;
    p->last_us = now_us;
    p->active_us = now_us;
    p->activity = activity;
    p->ready = 1;
}

/* Budget for a slice that may run at now_us (0: wait), heap_gc.h. */
int64_t hp_gc_pace(hp_gc_pacer_t *p, uint64_t now_us, uint64_t activity,
                   int cpu_pct, int64_t slice_budget_us)
{
    uint64_t dt = 0, earned;

    if (slice_budget_us < 1) slice_budget_us = 1;
    if (!p->ready) hp_gc_pace_init(p, now_us, activity);
    if (now_us > p->last_us) {
        dt = now_us - p->last_us;
        p->last_us = now_us;
    }
    if (dt > PACE_MAX_DT_US) dt = PACE_MAX_DT_US;
    if (activity != p->activity) {
        p->activity = activity;
        p->active_us = now_us;
    }
    if (cpu_pct >= 100) return slice_budget_us;
    if (now_us >= p->active_us &&
        now_us - p->active_us >= HP_GC_PACE_IDLE_US) {
        /* nobody to slow down: idle time is the collector's */
        p->debt_us = 0;
        return slice_budget_us;
    }
    if (cpu_pct < 1) cpu_pct = 1;
    /* busy time pays the debt back at pct / (100 - pct) per us; the
     * remainder of the division is kept so short turns add up */
    p->frac += dt * (uint64_t)cpu_pct;
    earned = p->frac / (uint64_t)(100 - cpu_pct);
    p->frac %= (uint64_t)(100 - cpu_pct);
    p->debt_us = earned >= p->debt_us ? 0 : p->debt_us - earned;
    return p->debt_us == 0 ? slice_budget_us : 0;
}

/* A slice ran from start_us to end_us: it is owed (heap_gc.h). */
void hp_gc_pace_charge(hp_gc_pacer_t *p, uint64_t start_us, uint64_t end_us)
{
    if (end_us > start_us) p->debt_us += end_us - start_us;
    if (end_us > p->last_us) p->last_us = end_us;
}

#ifdef GC_DEBUG
/* ---------------------------------------------------------------------
 * gc_debug consistency check of the collector's own state (heap_ref.h;
 * heap/check.c checks the side records it reports).
 * ------------------------------------------------------------------ */

/* Walk list h (named name; generation g's, or g < 0 for a list of the
 * collection) for hp__gc_check: links consistent, bounded
 * by the tracked total (a loop is reported, not followed), every record
 * tracked, in a generation, in the state the list and phase require;
 * adds each to cnt[gen] and *total and reports it to w. */
static void check_list(hp_check_walk_t *w, hp_side_t *h, int g,
                       const char *name, size_t cnt[3], size_t *total)
{
    const int active = hp__gc_active && coll.phase != PH_ABORT;
    size_t n = 0;

    for (hp_side_t *s = h->gnext; s != h; s = s->gnext) {
        if (!s || ++n > stats.tracked) {
            hp__check_fail("gc: list %s broken or longer than the %zu "
                           "tracked", name, stats.tracked);
            return;
        }
        if (s->gnext->gprev != s)
            hp__check_fail("gc: %s: side %p: next's prev is not it", name,
                           (void *)s);
        if (!s->tracked || s->gen > 2) {
            hp__check_fail("gc: %s: side %p tracked %d gen %d", name,
                           (void *)s, s->tracked, s->gen);
            continue;
        }
        cnt[s->gen]++;
        (*total)++;
        w->side(w, s, 1);
        if (g >= 0) {
            if (s->gen != g)
                hp__check_fail("gc: %s: side %p says gen %d", name,
                               (void *)s, s->gen);
            if (active && s->epoch == coll.epoch &&
                s->state != HP_GCS_REACHED)
                hp__check_fail("gc: %s: side %p of the collection in "
                               "state %d, not reached", name, (void *)s,
                               s->state);
            if (active && s->epoch != coll.epoch && in_coll(s))
                hp__check_fail("gc: %s: side %p belongs to the "
                               "collection but was never seen", name,
                               (void *)s);
            continue;
        }
        if (!hp__gc_active) continue; /* reported as non-empty below */
        if (!in_coll(s))
            hp__check_fail("gc: %s: side %p is not of the collection "
                           "(serial %llu, gen %d)", name, (void *)s,
                           (unsigned long long)s->serial, s->gen);
        if (h == &young) {
            if (s->epoch == coll.epoch && s->state != HP_GCS_YOUNG)
                hp__check_fail("gc: young: side %p in state %d",
                               (void *)s, s->state);
            continue;
        }
        if (s->epoch != coll.epoch)
            hp__check_fail("gc: %s: side %p from another collection",
                           name, (void *)s);
        else if ((h == &scanned && s->state != HP_GCS_SCANNED) ||
                 (h == &unreached && s->state != HP_GCS_UNREACHED) ||
                 (h == &pending && s->state != HP_GCS_PENDING) ||
                 (h == &doomed && s->state != HP_GCS_DOOMED &&
                  s->state != HP_GCS_UNREACHED))
            hp__check_fail("gc: %s: side %p in state %d", name, (void *)s,
                           s->state);
    }
    if (h->gnext->gprev != h)
        hp__check_fail("gc: list %s: sentinel links broken", name);
}

/* The lists that must be empty in the phase under way, as a mask of
 * bits 1 young, 2 scanned, 4 unreached, 8 pending, 16 doomed. */
static unsigned check_empty_mask(void)
{
    if (!hp__gc_active) return 31;
    switch (coll.phase) {
    case PH_SUBTRACT: return 4 | 8 | 16;
    case PH_MARK: return 1 | 16;
    case PH_CLEAR_WEAK: return 1 | 2 | 8;
    case PH_CLEAR: return 1 | 2 | 4 | 8;
    case PH_ABORT: return 16;
    default: return 0;
    }
}

/* gc_debug (heap_ref.h): every tracked side record is on exactly one
 * list, the generation counts and the tracked total equal the lists,
 * the states match the lists and the phase. */
void hp__gc_check(hp_check_walk_t *w)
{
    static const char *names[] = {"young", "scanned", "unreached",
                                  "pending", "doomed"};
    hp_side_t *coll_lists[] = {&young, &scanned, &unreached, &pending,
                               &doomed};
    size_t cnt[3] = {0, 0, 0}, total = 0;
    unsigned must_empty = check_empty_mask();

    if (!lists_ready) {
        if (stats.tracked || gen_count[0] || gen_count[1] || gen_count[2])
            hp__check_fail("gc: %zu tracked before any list exists",
                           stats.tracked);
        return;
    }
    if (hp__gc_active != (coll.phase != PH_IDLE))
        hp__check_fail("gc: active %d in phase %d", hp__gc_active,
                       coll.phase);
    for (int g = 0; g < 3; g++) {
        char name[8] = "gen0";

        name[3] = (char)('0' + g);
        check_list(w, &gens[g], g, name, cnt, &total);
    }
    for (int i = 0; i < 5; i++) {
        if ((must_empty >> i) & 1 && !list_empty(coll_lists[i]))
            hp__check_fail("gc: list %s not empty in phase %d (active %d)",
                           names[i], coll.phase, hp__gc_active);
        check_list(w, coll_lists[i], -1, names[i], cnt, &total);
    }
    for (int g = 0; g < 3; g++)
        if (cnt[g] != gen_count[g])
            hp__check_fail("gc: gen%d count %zu but %zu on the lists", g,
                           gen_count[g], cnt[g]);
    if (total != stats.tracked)
        hp__check_fail("gc: tracked total %zu but %zu on the lists",
                       stats.tracked, total);
}
#endif
