/*
 * weakref.c - weak references: the per-object list of weak references
 * pointing at it (in its side record, heap_ref.h), server-owned weak
 * bindings, and clearing when the object dies (by refcount or by the
 * collector), before any part of it is torn down.
 */
#include "heap.h"

#include <assert.h>
#include <errno.h>

#include "heap_ref.h"

static hp_weakref_clear_fn clear_fn;
static void *clear_ud;
uint64_t hp__gc_weak_cleared;

/* Register the server's clear callback. */
void hp_weakref_set_clear_callback(hp_weakref_clear_fn fn, void *ud)
{
    clear_fn = fn;
    clear_ud = ud;
}

/* Put weak reference r on the list of target side ts. */
void hp__weak_link(hp_side_t *ts, struct hp_ref *r)
{
    r->wprev = NULL;
    r->wnext = ts->weak_head;
    if (ts->weak_head) ts->weak_head->wprev = r;
    ts->weak_head = r;
    if (ts->nweakin++ == 0) hp__ref_weakly_referenced++;
}

/* Take weak reference r off the list of target side ts. */
void hp__weak_unlink(hp_side_t *ts, struct hp_ref *r)
{
    if (r->wprev)
        r->wprev->wnext = r->wnext;
    else
        ts->weak_head = r->wnext;
    if (r->wnext) r->wnext->wprev = r->wprev;
    r->wprev = r->wnext = NULL;
    if (--ts->nweakin == 0) hp__ref_weakly_referenced--;
}

/* Remove element key from container c by its type's removal, leaving
 * its table's size alone (no allocation: this runs in the collector). */
static void remove_elem(hp_obj_t *c, const char *key, size_t klen)
{
    switch (c->type) {
    case HP_TYPE_HASH:
        hp__hash_del_keep(c, key, klen);
        break;
    case HP_TYPE_SET:
        hp__set_remove_keep(c, key, klen);
        break;
    case HP_TYPE_ZSET:
        hp__zset_remove_keep(c, key, klen);
        break;
    default:
        assert(!"weak element in a container type without references");
        break;
    }
}

/* Clear weak element r (already off its target's list) whose target
 * dying is dying: the element leaves its container, then the server
 * hears of it unless the container itself is going. */
static void clear_element(struct hp_ref *r, hp_obj_t *dying)
{
    hp_obj_t *c = r->owner;
    hp_side_t *cs = hp__side_of(c);
    int quiet = c == dying || hp__gc_doomed(cs);

    hp__elem_delete(cs, r->bytes, r->klen);
    cs->nweak--;
    hp__ref_nweak--;
    if (hp__gc_active && !quiet) hp__gc_touch(c);
    if (c->type == HP_TYPE_LIST)
        hp__lref_clear_weak(cs, r); /* by position: see ref.c */
    else
        remove_elem(c, r->bytes, r->klen);
    if (clear_fn && !quiet) {
        hp_weak_event_t ev = {c, r->bytes, r->klen, NULL, NULL};

        clear_fn(clear_ud, &ev);
    }
    hp__ref_free(r);
    hp__side_maybe_drop(cs);
}

/* Clear every weak reference to s->obj: elements vanish from their
 * containers, bindings are handed to the server. The side record s
 * stays (its caller drops it). */
void hp__weak_clear_all(hp_side_t *s)
{
    struct hp_ref *r;

    s->pinned++; /* a weak element of s->obj itself must not free s */
    while ((r = s->weak_head)) {
        hp__weak_unlink(s, r);
        r->target = NULL;
        hp__gc_weak_cleared++;
        if (r->owner) {
            clear_element(r, s->obj);
        } else if (clear_fn) {
            hp_weak_event_t ev = {NULL, NULL, 0, r, r->ud};

            clear_fn(clear_ud, &ev);
        }
    }
    s->pinned--;
    hp__ref_drain();
}

/* New weak binding to target. NULL on OOM or a bad target. */
hp_weakref_t *hp_weakref_new(hp_obj_t *target, void *ud)
{
    hp_side_t *ts;
    struct hp_ref *r;

    if (!target || hp_obj_is_shared(target)) return NULL;
    ts = hp__side_get(target);
    if (!ts) return NULL;
    r = hp_calloc(1, sizeof(*r) + 2);
    if (!r) {
        hp__side_maybe_drop(ts);
        return NULL;
    }
    r->strength = HP_REF_WEAK;
    r->ud = ud;
    r->target = target;
    hp__weak_link(ts, r);
    return r;
}

/* Borrowed: the live object of a weak reference, or NULL. */
hp_obj_t *hp_weakref_get(const hp_weakref_t *wr)
{
    if (!wr || !wr->target) return NULL;
    if (hp__gc_doomed(hp__side_of(wr->target))) return NULL;
    return wr->target;
}

/* Unregister and free a weak binding. */
void hp_weakref_free(hp_weakref_t *wr)
{
    if (!wr) return;
    assert(!wr->owner);
    if (wr->target) {
        hp_side_t *ts = hp__side_of(wr->target);

        hp__weak_unlink(ts, wr);
        hp__side_maybe_drop(ts);
    }
    hp__ref_free(wr);
}

/* Weak references (elements and bindings) pointing at o. */
size_t hp_weakref_count(const hp_obj_t *o)
{
    hp_side_t *s = hp__side_of(o);

    return s ? s->nweakin : 0;
}
