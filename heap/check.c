/*
 * check.c - the costly consistency checks of -Dgc_debug=true builds
 * (heap_gc.h hp_heap_check). Compiled to nothing otherwise.
 *
 * The side records checked are every live one (gc_debug builds keep a
 * list of them, ref.c hp__ref_check: records held only by weak bindings
 * are reached too), with those on the collector's lists (gc.c
 * hp__gc_check) and in the string side table marked as such, and every
 * one reachable from them through reference elements (their targets) and
 * weak lists (the containers holding the weak elements). For each: its
 * object points back at it, its element counts match its elements, it is
 * tracked iff it holds strong elements, it is needed at all, it is no
 * orphan and its block has room for the reference it says lives there,
 * its weak list is well linked and counted, each element is still
 * present in the container body, which passes its structural validator
 * (hash tables included), its element dict passes the dict's,
 * and an element (or put-off decref) in a record's room is in its own
 * record's, marked busy. Then, over
 * all of them: every object's refcount covers the strong references known
 * to it (elements and put-off decrefs), each weak list holds exactly the
 * weak elements aimed at its object, and the global reference counts
 * agree with the sum over the records.
 *
 * The check allocates from libc (not the accounted heap: hp_mem_used and
 * the OOM seam of the unit tests see nothing) and changes nothing.
 */
#include "heap.h"

#ifdef GC_DEBUG

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heap_cont.h"
#include "heap_ref.h"
#include "heap_zset.h"

/* Violations printed in full per check; the rest are only counted. */
#define CHECK_PRINT_MAX 20

/* What the check knows of one pointer (a side record or an object). */
typedef struct pinfo {
    const void *key;     /* NULL: free slot */
    unsigned on_gc : 1;  /* side: found on a collector list */
    unsigned queued : 1; /* side: in the work list already */
    size_t strong_in;    /* object: strong references known to it */
    size_t weak_elems;   /* side: weak elements aimed at its object */
    size_t weak_owned;   /* side: entries of its weak list with an owner */
} pinfo_t;

/* Open-addressing pointer map (libc memory). */
typedef struct pmap {
    pinfo_t *slots;
    size_t cap, n;
} pmap_t;

/* The state of one hp_heap_check. */
typedef struct check {
    hp_check_walk_t walk; /* first: the walks' callbacks get it */
    pmap_t sides, objs;
    hp_side_t **work;
    size_t nwork, capwork;
    size_t nstrong, nweak, weakly;
    int oom;
} check_t;

static size_t nfail;

/* heap_ref.h: report one violation. */
void hp__check_fail(const char *fmt, ...)
{
    va_list ap;

    if (nfail++ >= CHECK_PRINT_MAX) return;
    fputs("gc_debug: heap check: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

/* Slot index of pointer p in a table of cap (a power of two) slots. */
static size_t pmap_hash(const void *p, size_t cap)
{
    uint64_t x = (uint64_t)(uintptr_t)p;

    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    return (size_t)x & (cap - 1);
}

/* Double m's table. 0 or -1 (out of memory, m unchanged). */
static int pmap_grow(pmap_t *m)
{
    size_t cap = m->cap ? m->cap * 2 : 1024;
    pinfo_t *slots = calloc(cap, sizeof(*slots));

    if (!slots) return -1;
    for (size_t i = 0; i < m->cap; i++) {
        size_t j;

        if (!m->slots[i].key) continue;
        for (j = pmap_hash(m->slots[i].key, cap); slots[j].key;
             j = (j + 1) & (cap - 1))
            ;
        slots[j] = m->slots[i];
    }
    free(m->slots);
    m->slots = slots;
    m->cap = cap;
    return 0;
}

/* Borrowed: the entry of p in m, made (zeroed) when missing (*added set
 * to 1 then). NULL when out of memory (c->oom set). */
static pinfo_t *pmap_get(check_t *c, pmap_t *m, const void *p, int *added)
{
    size_t j;

    *added = 0;
    if ((m->n + 1) * 2 > m->cap && pmap_grow(m) < 0) {
        c->oom = 1;
        return NULL;
    }
    for (j = pmap_hash(p, m->cap); m->slots[j].key; j = (j + 1) & (m->cap - 1))
        if (m->slots[j].key == p) return &m->slots[j];
    m->slots[j].key = p;
    m->n++;
    *added = 1;
    return &m->slots[j];
}

/* Side record s is known to the check (on_gc: found on a collector
 * list): the first time, it joins the work list. */
static void add_side(check_t *c, hp_side_t *s, int on_gc)
{
    int added;
    pinfo_t *pi = pmap_get(c, &c->sides, s, &added);

    if (!pi) return;
    if (on_gc) {
        if (pi->on_gc)
            hp__check_fail("side %p is on two collector lists", (void *)s);
        pi->on_gc = 1;
    }
    if (pi->queued) return;
    if (c->nwork == c->capwork) {
        size_t cap = c->capwork ? c->capwork * 2 : 1024;
        hp_side_t **w = realloc(c->work, cap * sizeof(*w));

        if (!w) {
            c->oom = 1;
            return;
        }
        c->work = w;
        c->capwork = cap;
    }
    pi->queued = 1;
    c->work[c->nwork++] = s;
}

/* hp_check_walk_t side callback. */
static void walk_side(hp_check_walk_t *w, hp_side_t *s, int on_gc_list)
{
    add_side((check_t *)w, s, on_gc_list);
}

/* One more strong reference is known to object o. */
static void count_strong(check_t *c, const hp_obj_t *o)
{
    int added;
    pinfo_t *pi = pmap_get(c, &c->objs, o, &added);

    if (pi) pi->strong_in++;
}

/* hp_check_walk_t queued callback: a put-off decref holds its target. */
static void walk_queued(hp_check_walk_t *w, struct hp_ref *r)
{
    if (r->inl && !hp__inline_side(r)->inl_busy)
        hp__check_fail("ref: put-off decref %p in a side record's room "
                       "that is marked free", (void *)r);
    count_strong((check_t *)w, r->target);
}

/* Whether o is a live, mortal object. */
static int obj_live(const hp_obj_t *o)
{
    return o && o->refcount > 0 && o->refcount != HP_REFCOUNT_IMMORTAL;
}

/* Whether element key/klen is still in container o's body. */
static int elem_in_body(hp_obj_t *o, const char *key, size_t klen)
{
    double score;

    switch (o->type) {
    case HP_TYPE_HASH:
        return hp_hash_exists(o, key, klen) == 1;
    case HP_TYPE_SET:
        return hp_set_ismember(o, key, klen) == 1;
    case HP_TYPE_ZSET:
        return hp_zset_score(o, key, klen, &score) == 0;
    default:
        return 0;
    }
}

/* The structural validator of o's body, when it has one: 0 or
 * -EINVAL. */
static int body_validate(const hp_obj_t *o)
{
    const hp_zset_sl_t *zs;

    switch (o->encoding) {
    case HP_ENC_QUICKLIST:
        return hp_ql_validate(o->v.ptr);
    case HP_ENC_LISTPACK:
        return hp_lp_validate(o->v.ptr);
    case HP_ENC_INTSET:
        return hp_is_validate(o->v.ptr);
    case HP_ENC_HASHTABLE:
        return hp__dict_validate(o->v.ptr);
    case HP_ENC_SKIPLIST:
        zs = o->v.ptr;
        if (hp_dict_size(zs->dict) != zs->tree->length) return -1;
        if (hp__dict_validate(zs->dict) != 0) return -1;
        return hp__zbt_validate(zs->tree);
    default:
        return 0;
    }
}

/* State hp__elem_each passes to check_elem. */
typedef struct elem_ctx {
    check_t *c;
    hp_side_t *s;
    size_t ns, nw;
} elem_ctx_t;

/* One reference element r of side ctx->s: owned by its object, found
 * under its key, present in the body (lists: marked, checked by
 * check_list_marks), aimed at a live object whose side (if any) the
 * check visits too. */
static void check_elem(void *ud, struct hp_ref *r)
{
    elem_ctx_t *x = ud;
    hp_side_t *s = x->s, *ts;
    hp_obj_t *o = s->obj;
    int added;
    pinfo_t *pi;

    if (r->owner != o)
        hp__check_fail("side %p: element %p owned by %p, not %p",
                       (void *)s, (void *)r, (void *)r->owner, (void *)o);
    if (hp__elem_find(s, r->bytes, r->klen) != r)
        hp__check_fail("side %p: element %p not found under its key",
                       (void *)s, (void *)r);
    if (r->inl && (hp__inline_side(r) != s || !s->inl_busy))
        hp__check_fail("side %p: element %p lives in the room of side %p "
                       "(busy %d)", (void *)s, (void *)r,
                       (void *)hp__inline_side(r), s->inl_busy);
    if (o->type != HP_TYPE_LIST && !elem_in_body(o, r->bytes, r->klen))
        hp__check_fail("side %p: element '%.*s' is missing from the "
                       "container (type %d)", (void *)s, (int)r->klen,
                       r->bytes, o->type);
    if (o->type == HP_TYPE_LIST && (!r->lnode || !r->lnode->marks))
        hp__check_fail("side %p: list element %p has no mark", (void *)s,
                       (void *)r);
    if (!obj_live(r->target)) {
        hp__check_fail("side %p: element %p (strength %d) aims at %p, "
                       "not a live mortal object", (void *)s, (void *)r,
                       r->strength, (void *)r->target);
        return;
    }
    if (r->strength == HP_REF_STRONG) {
        x->ns++;
        count_strong(x->c, r->target);
        if (r->target->flags & HP_OF_SIDE)
            add_side(x->c, hp__side_of(r->target), 0);
        return;
    }
    if (r->strength != HP_REF_WEAK) {
        hp__check_fail("side %p: element %p of strength %d", (void *)s,
                       (void *)r, r->strength);
        return;
    }
    x->nw++;
    if (!(r->target->flags & HP_OF_SIDE)) {
        hp__check_fail("side %p: weak element %p aims at %p, which has no "
                       "side record (so no weak list)", (void *)s,
                       (void *)r, (void *)r->target);
        return;
    }
    ts = hp__side_of(r->target);
    add_side(x->c, ts, 0);
    pi = pmap_get(x->c, &x->c->sides, ts, &added);
    if (pi) pi->weak_elems++;
}

/* The marks of list s->obj: each is the home of one of s's elements;
 * as many as s has elements. */
static void check_list_marks(hp_side_t *s)
{
    const hp_ql_t *ql = s->obj->v.ptr;
    size_t marks = 0;

    for (const hp_ql_node_t *n = ql->head; n; n = n->next) {
        for (uint32_t k = 0; n->marks && k < n->marks->n; k++) {
            hp_ql_node_t **home = n->marks->v[k].home;
            struct hp_ref *r = (struct hp_ref *)((char *)home -
                                   offsetof(struct hp_ref, lnode));

            marks++;
            if (*home != n || r->owner != s->obj ||
                hp__elem_find(s, r->bytes, r->klen) != r)
                hp__check_fail("side %p: list mark %u of node %p is not "
                               "one of its elements", (void *)s, k,
                               (const void *)n);
        }
    }
    if (marks != s->nstrong + s->nweak)
        hp__check_fail("side %p: list has %zu marks for %zu elements",
                       (void *)s, marks, s->nstrong + s->nweak);
}

/* The weak list of s: well linked, each entry a weak reference to
 * s->obj, an element one found in its owner (whose side the check
 * visits); as long as nweakin. */
static void check_weak_list(check_t *c, hp_side_t *s)
{
    struct hp_ref *prev = NULL;
    size_t n = 0, owned = 0;
    int added;
    pinfo_t *pi;

    for (struct hp_ref *r = s->weak_head; r; prev = r, r = r->wnext) {
        if (++n > s->nweakin) {
            hp__check_fail("side %p: weak list longer than nweakin %zu",
                           (void *)s, s->nweakin);
            return;
        }
        if (r->wprev != prev || r->target != s->obj ||
            r->strength != HP_REF_WEAK)
            hp__check_fail("side %p: weak list entry %p: prev %p (want "
                           "%p), target %p, strength %d", (void *)s,
                           (void *)r, (void *)r->wprev, (void *)prev,
                           (void *)r->target, r->strength);
        if (!r->owner) continue; /* a server binding */
        owned++;
        if (!(r->owner->flags & HP_OF_SIDE) ||
            hp__elem_find(hp__side_of(r->owner), r->bytes, r->klen) != r) {
            hp__check_fail("side %p: weak list entry %p is not an element "
                           "of its owner %p", (void *)s, (void *)r,
                           (void *)r->owner);
            continue;
        }
        add_side(c, hp__side_of(r->owner), 0);
    }
    if (n != s->nweakin)
        hp__check_fail("side %p: weak list of %zu, nweakin %zu", (void *)s,
                       n, s->nweakin);
    pi = pmap_get(c, &c->sides, s, &added);
    if (pi) pi->weak_owned = owned;
}

/* Everything about one side record s and its object. */
static void check_side(check_t *c, hp_side_t *s)
{
    hp_obj_t *o = s->obj;
    elem_ctx_t x = {c, s, 0, 0};
    int added;
    pinfo_t *pi = pmap_get(c, &c->sides, s, &added);

    if (!obj_live(o)) {
        hp__check_fail("side %p: object %p is not live (refcount %u)",
                       (void *)s, (void *)o, o ? o->refcount : 0);
        return;
    }
    if (!(o->flags & HP_OF_SIDE) || hp__side_of(o) != s) {
        hp__check_fail("side %p: object %p (flags 0x%x) does not point "
                       "back at it", (void *)s, (void *)o, o->flags);
        return;
    }
    if (s->pinned)
        hp__check_fail("side %p: pinned %u between operations", (void *)s,
                       s->pinned);
    if (s->one && s->elems)
        hp__check_fail("side %p: holds an inline element and a dict",
                       (void *)s);
    if (s->orphan || s->bytes < sizeof(*s) ||
        (s->inl_busy && s->bytes <= sizeof(*s)))
        hp__check_fail("side %p: orphan %d, block of %u bytes, room busy "
                       "%d", (void *)s, s->orphan, s->bytes, s->inl_busy);
    if (!s->tracked && !s->nweakin && !s->nstrong && !s->nweak)
        hp__check_fail("side %p: kept with nothing to hold", (void *)s);
    if (!!s->tracked != (s->nstrong > 0))
        hp__check_fail("side %p: tracked %d with %zu strong elements",
                       (void *)s, s->tracked, s->nstrong);
    if (pi && !!s->tracked != pi->on_gc)
        hp__check_fail("side %p: tracked %d but %s a collector list",
                       (void *)s, s->tracked, pi->on_gc ? "on" : "not on");
    /* not hp__elem_each: its unsafe iterator forbids the rehash steps
     * of the finds check_elem runs */
    if (s->elems && hp__dict_validate(s->elems) != 0)
        hp__check_fail("side %p: its element dict fails its invariants",
                       (void *)s);
    if (s->one) {
        check_elem(&x, s->one);
    } else if (s->elems) {
        hp_dict_iter_t it;
        hp_dict_entry_t *e;

        hp_dict_iter_init(&it, s->elems, 1);
        while ((e = hp_dict_iter_next(&it))) {
            if (e->keylen != ((struct hp_ref *)e->v.ptr)->klen ||
                memcmp(e->key, ((struct hp_ref *)e->v.ptr)->bytes,
                       e->keylen))
                hp__check_fail("side %p: element under a key not its own",
                               (void *)s);
            check_elem(&x, e->v.ptr);
        }
        hp_dict_iter_fini(&it);
    }
    if (x.ns != s->nstrong || x.nw != s->nweak)
        hp__check_fail("side %p: counts %zu strong / %zu weak, elements "
                       "%zu / %zu", (void *)s, s->nstrong, s->nweak, x.ns,
                       x.nw);
    if (o->type == HP_TYPE_LIST && o->encoding == HP_ENC_QUICKLIST)
        check_list_marks(s);
    if ((s->nstrong || s->nweak) && o->type == HP_TYPE_STRING)
        hp__check_fail("side %p: string %p holds elements", (void *)s,
                       (void *)o);
    if (o->type != HP_TYPE_STRING && body_validate(o) != 0)
        hp__check_fail("side %p: body of %p (encoding %d) fails its "
                       "validator", (void *)s, (void *)o, o->encoding);
    check_weak_list(c, s);
    c->nstrong += s->nstrong;
    c->nweak += s->nweak;
    if (s->nweakin) c->weakly++;
}

/* After every side: weak lists against weak elements, refcounts against
 * strong references, global counts against the sums. */
static void check_totals(check_t *c)
{
    for (size_t i = 0; i < c->sides.cap; i++) {
        const pinfo_t *pi = &c->sides.slots[i];

        if (pi->key && pi->weak_elems != pi->weak_owned)
            hp__check_fail("side %p: %zu weak elements aim at its object, "
                           "its weak list holds %zu", pi->key,
                           pi->weak_elems, pi->weak_owned);
    }
    for (size_t i = 0; i < c->objs.cap; i++) {
        const pinfo_t *pi = &c->objs.slots[i];
        const hp_obj_t *o = pi->key;

        if (o && obj_live(o) && o->refcount < pi->strong_in)
            hp__check_fail("object %p: refcount %u below the %zu strong "
                           "references to it", (const void *)o,
                           o->refcount, pi->strong_in);
    }
    /* every side holding strong elements is tracked, so all are seen */
    if (c->nstrong != hp__ref_nstrong)
        hp__check_fail("ref: counter of strong elements %zu, side "
                       "records hold %zu", hp__ref_nstrong, c->nstrong);
    /* every live record is seen (ref.c walks them all): exact */
    if (c->nweak != hp__ref_nweak)
        hp__check_fail("ref: counter of weak elements %zu, side "
                       "records hold %zu", hp__ref_nweak, c->nweak);
    if (c->weakly != hp__ref_weakly_referenced)
        hp__check_fail("ref: counter of weakly referenced objects "
                       "%zu, %zu seen", hp__ref_weakly_referenced,
                       c->weakly);
}

/* heap_gc.h */
size_t hp_heap_check(void)
{
    check_t c;

    memset(&c, 0, sizeof(c));
    c.walk.side = walk_side;
    c.walk.queued = walk_queued;
    nfail = 0;
    hp__gc_check(&c.walk);
    hp__ref_check(&c.walk);
    for (size_t i = 0; i < c.nwork && !c.oom; i++)
        check_side(&c, c.work[i]);
    if (!c.oom) check_totals(&c);
    if (c.oom)
        fputs("gc_debug: heap check: out of memory, check incomplete\n",
              stderr);
    if (nfail > CHECK_PRINT_MAX)
        fprintf(stderr, "gc_debug: heap check: %zu more violations\n",
                nfail - CHECK_PRINT_MAX);
    free(c.sides.slots);
    free(c.objs.slots);
    free(c.work);
    return nfail;
}

#endif /* GC_DEBUG */
