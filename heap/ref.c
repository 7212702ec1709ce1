/*
 * ref.c - reference elements in containers and the side records that
 * hold them (heap/README.md "References and the cycle collector").
 *
 * A container holding reference elements stores each element's label as
 * an ordinary element, so standard commands see labels; the references
 * themselves live in the container's side record (an element key ->
 * hp_ref_t dict), reached from the object in O(1) through the global
 * side table keyed by object address. Objects nobody references and that
 * reference nothing have no side record and pay nothing.
 */
#include "heap.h"

#include <assert.h>
#include <errno.h>
#include <string.h>

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

/* The side record of o, or NULL. */
hp_side_t *hp__side_of(const hp_obj_t *o)
{
    hp_dict_entry_t *e;

    if (!o || !(o->flags & HP_OF_SIDE)) return NULL;
    e = hp_dict_find(sides, (const char *)&o, sizeof(o));
    assert(e);
    return e->v.ptr;
}

/* The side record of o, created when missing; NULL on OOM. */
hp_side_t *hp__side_get(hp_obj_t *o)
{
    hp_side_t *s = hp__side_of(o);
    hp_dict_entry_t *e;
    int existed;

    if (s) return s;
    if (!sides && !(sides = hp_dict_new(&plain_type))) return NULL;
    s = hp_calloc(1, sizeof(*s));
    e = s ? hp_dict_add(sides, (const char *)&o, sizeof(o), &existed) : NULL;
    if (!e) {
        hp_free(s);
        sides_free_if_empty();
        return NULL;
    }
    assert(!existed);
    s->obj = o;
    e->v.ptr = s;
    o->flags |= HP_OF_SIDE;
    return s;
}

/* Free s when o has no reference elements, no weak references and is
 * not tracked. */
void hp__side_maybe_drop(hp_side_t *s)
{
    hp_obj_t *o;

    if (!s || s->pinned || s->tracked || s->nweakin || s->nstrong ||
        s->nweak)
        return;
    o = s->obj;
    hp_dict_free(s->elems);
    hp_dict_delete(sides, (const char *)&o, sizeof(o));
    o->flags &= (uint16_t)~HP_OF_SIDE;
    hp_free(s);
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

/* New reference block for key/label; NULL on OOM. */
static struct hp_ref *ref_new(const char *key, size_t klen, const char *label,
                              size_t llen, int strength)
{
    struct hp_ref *r = hp_malloc(sizeof(*r) + klen + llen + 2);

    if (!r) return NULL;
    memset(r, 0, sizeof(*r));
    r->strength = (uint8_t)strength;
    r->klen = (uint32_t)klen;
    r->llen = (uint32_t)llen;
    if (klen) memcpy(r->bytes, key, klen);
    r->bytes[klen] = '\0';
    if (llen) memcpy(r->bytes + klen + 1, label, llen);
    r->bytes[klen + 1 + llen] = '\0';
    return r;
}

/* Free a reference block (already unlinked everywhere). */
void hp__ref_free(struct hp_ref *r)
{
    hp_free(r);
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

/* Container hook: element key of o was overwritten or removed. */
void hp__ref_elem_gone(hp_obj_t *o, const char *key, size_t klen)
{
    hp_side_t *s = hp__side_of(o);
    hp_dict_entry_t *e;
    struct hp_ref *r;

    if (!s || !s->elems) return;
    e = hp_dict_find(s->elems, key, klen);
    if (!e || e->v.ptr == installing) return;
    r = e->v.ptr;
    hp_dict_delete(s->elems, key, klen);
    if (hp__gc_active) hp__gc_touch(o);
    ref_release(s, r);
    hp__side_maybe_drop(s);
}

/* Drop every reference element of s->obj, leaving the labels in place
 * (the collector's clear, and the first step of freeing an object).
 * Strong decrefs are queued; the caller drains. */
void hp__ref_clear_all(hp_side_t *s)
{
    hp_dict_t *d = s->elems;
    hp_dict_iter_t it;
    hp_dict_entry_t *e;

    if (!d) return;
    s->elems = NULL;
    hp_dict_iter_init(&it, d, 1);
    while ((e = hp_dict_iter_next(&it)))
        ref_release(s, e->v.ptr);
    hp_dict_iter_fini(&it);
    hp_dict_free(d);
}

/* o's refcount reached zero (object.c, before its body goes): weak
 * references to it are cleared first, then its own references dropped,
 * then the side record released. */
void hp__side_obj_dying(hp_obj_t *o)
{
    hp_side_t *s = hp__side_of(o);

    if (!s) return;
    s->pinned++;
    hp__weak_clear_all(s);
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
    hp_dict_entry_t *e;
    int existed, rc;

    if (klen > UINT32_MAX || llen > UINT32_MAX) return -E2BIG;
    cs = hp__side_get(c);
    if (!cs) return -ENOMEM;
    if (!cs->elems && !(cs->elems = hp_dict_new(&plain_type))) goto oom;
    if (strength == HP_REF_WEAK && !(ts = hp__side_get(target))) goto oom;
    r = ref_new(key, klen, label, llen, strength);
    if (!r) goto oom;
    r->owner = c;
    e = hp_dict_add(cs->elems, key, klen, &existed);
    if (!e) {
        hp__ref_free(r);
        goto oom;
    }
    old = existed ? e->v.ptr : NULL;
    e->v.ptr = r;
    installing = r;
    rc = store(c, key, klen, label, llen, score);
    installing = NULL;
    if (rc < 0) {
        e = hp_dict_find(cs->elems, key, klen);
        if (old)
            e->v.ptr = old;
        else
            hp_dict_delete(cs->elems, key, klen);
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

/* The reference of element key of c, or NULL. */
static struct hp_ref *ref_find(hp_obj_t *c, const char *key, size_t klen)
{
    hp_side_t *s = hp__side_of(c);
    hp_dict_entry_t *e;

    if (!s || !s->elems) return NULL;
    e = hp_dict_find(s->elems, key, klen);
    return e ? e->v.ptr : NULL;
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

/* Visit every reference element of c. */
void hp_ref_foreach(hp_obj_t *c, hp_ref_visit_fn fn, void *ud)
{
    hp_side_t *s = hp__side_of(c);
    hp_dict_iter_t it;
    hp_dict_entry_t *e;

    if (!s || !s->elems) return;
    hp_dict_iter_init(&it, s->elems, 1);
    while ((e = hp_dict_iter_next(&it))) {
        struct hp_ref *r = e->v.ptr;
        hp_obj_t *t = r->strength == HP_REF_WEAK ? hp_weakref_get(r)
                                                 : r->target;

        fn(ud, r->bytes, r->klen, t, r->strength);
    }
    hp_dict_iter_fini(&it);
}
