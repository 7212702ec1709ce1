/*
 * defer.c - deferred freeing: an object whose last reference goes through
 * hp_decref_deferred dies at once (weak references cleared, its own
 * references dropped), but its body is taken apart in bounded slices by
 * hp_free_step, so a 10-million-element value never blocks the loop
 * (HEAP.md "Objects"). The collector frees its garbage through it too.
 */
#include "heap.h"

#include <assert.h>
#include <time.h>

#include "heap_cont.h"
#include "heap_int.h"
#include "heap_ref.h"

/* One object being taken apart. */
typedef struct defer_node {
    struct defer_node *next;
    hp_obj_t *o;
    hp_dict_iter_t it;  /* hashtable bodies: position */
    int started;        /* it initialised */
    int from_gc;        /* garbage of the collector */
    size_t bytes;       /* estimate of what is still to be freed */
} defer_node_t;

static defer_node_t *head, *tail;
static size_t npending;
static size_t pending_bytes; /* sum of the nodes' bytes */
static uint64_t nfreed_objects;
int hp__defer_from_gc;

/* Elements a container holds (units of work to take it apart). */
static size_t body_elems(const hp_obj_t *o)
{
    switch (o->type) {
    case HP_TYPE_LIST:
        return hp_list_len(o);
    case HP_TYPE_HASH:
        return o->encoding == HP_ENC_HASHTABLE ? hp_hash_len(o) : 0;
    case HP_TYPE_SET:
        return o->encoding == HP_ENC_HASHTABLE ? hp_set_len(o) : 0;
    case HP_TYPE_ZSET:
        return o->encoding == HP_ENC_SKIPLIST ? hp_zset_len(o) : 0;
    default:
        return 0;
    }
}

/* A cheap estimate (O(1), no walk over the elements) of the bytes the
 * body of o holds: the sizes of one node / value scaled by the count. */
static size_t body_bytes(const hp_obj_t *o)
{
    const hp_dict_t *d = o->v.ptr;
    const hp_ql_t *ql = o->v.ptr;
    size_t n = hp_malloc_size(hp__obj_block(o));

    switch (o->encoding) {
    case HP_ENC_QUICKLIST:
        if (ql->head)
            n += ql->len * (hp_malloc_size(ql->head) +
                            hp_malloc_size(ql->head->lp));
        return n + hp_malloc_size(ql);
    case HP_ENC_SKIPLIST:
        return n + hp__container_mem(o);
    case HP_ENC_HASHTABLE:
        n += hp_dict_mem(d);
        if (o->type == HP_TYPE_HASH && hp_dict_size(d) > 0) {
            hp_dict_entry_t *e = hp_dict_random((hp_dict_t *)d);

            if (e && e->v.ptr)
                n += hp_dict_size(d) * hp_malloc_size(e->v.ptr);
        }
        return n;
    default:
        return n + hp__container_mem(o);
    }
}

/* The node's estimate shrinks by the bytes a step really freed (or all
 * of it when the node is done), and the total with it. */
static void bytes_done(defer_node_t *n, size_t freed, int finished)
{
    size_t k = finished || freed > n->bytes ? n->bytes : freed;

    n->bytes -= k;
    pending_bytes -= k;
}

/* Free what is left of a dead object: its body and header (as
 * object.c's free path, for an object whose side record is gone). */
static void free_whole(hp_obj_t *o)
{
    switch (o->encoding) {
    case HP_ENC_RAW:
        hp_free(o->v.ptr);
        break;
    case HP_ENC_INT:
    case HP_ENC_EMBSTR:
        break;
    default:
        hp__container_free(o);
        break;
    }
    hp__obj_block_free(o);
    nfreed_objects++;
}

/* Drop a strong reference; when it is the last, the object dies now and
 * its body goes later, in slices (heap_gc.h). */
void hp_decref_deferred(hp_obj_t *o)
{
    defer_node_t *n;

    if (!o || o->refcount == HP_REFCOUNT_IMMORTAL) return;
    if (o->refcount > 1 || body_elems(o) <= HP_DEFER_MIN_ELEMS) {
        hp_decref(o);
        return;
    }
    if (hp__gc_barrier && (o->flags & HP_OF_SIDE)) hp__gc_touch(o);
    o->refcount = 0;
    hp__obj_count_dead(o);
    if (o->flags & HP_OF_SIDE) hp__side_obj_dying(o);
    hp__ref_drain();
    n = hp_malloc(sizeof(*n));
    if (!n) { /* no room to queue: free it now rather than fail */
        free_whole(o);
        return;
    }
    n->next = NULL;
    n->o = o;
    n->started = 0;
    n->from_gc = hp__defer_from_gc;
    n->bytes = body_bytes(o);
    pending_bytes += n->bytes;
    if (tail)
        tail->next = n;
    else
        head = n;
    tail = n;
    npending++;
}

/* Take up to k elements out of the body of n->o. Returns 1 when the
 * body is empty enough to free whole. */
static int take_apart(defer_node_t *n, size_t k)
{
    hp_obj_t *o = n->o;
    hp_dict_entry_t *e;

    switch (o->type) {
    case HP_TYPE_LIST:
        hp_list_delete_range(o, 0, k);
        return hp_list_len(o) == 0;
    case HP_TYPE_ZSET:
        if (o->encoding != HP_ENC_SKIPLIST) return 1;
        hp__zset_delete_ranks_keep(o, 0, k); /* no shrink: dying */
        return hp_zset_len(o) == 0;
    case HP_TYPE_HASH:
    case HP_TYPE_SET:
        if (o->encoding != HP_ENC_HASHTABLE) return 1;
        if (!n->started) {
            hp_dict_iter_init(&n->it, o->v.ptr, 1);
            n->started = 1;
        }
        while (k-- > 0) {
            e = hp_dict_iter_next(&n->it);
            if (!e) {
                hp_dict_iter_fini(&n->it);
                n->started = 0;
                return 1;
            }
            hp_dict_delete(o->v.ptr, e->key, e->keylen);
        }
        return 0;
    default:
        return 1;
    }
}

/* Microseconds of a monotonic clock. */
static uint64_t now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Free queued bodies for at most budget_us (negative: no limit) and
 * max_elems elements. Returns 1 while objects remain queued. */
int hp_free_step(int64_t budget_us, size_t max_elems)
{
    uint64_t t0 = now_us();
    size_t done = 0;

    while (head && done < max_elems) {
        defer_node_t *n = head;
        size_t k = max_elems - done, before = hp__mem_local(), after;
        int from_gc = n->from_gc;

        if (k > HP_DEFER_CHUNK) k = HP_DEFER_CHUNK;
        if (take_apart(n, k)) {
            head = n->next;
            if (!head) tail = NULL;
            if (n->started) hp_dict_iter_fini(&n->it);
            free_whole(n->o);
            bytes_done(n, 0, 1);
            hp_free(n);
            npending--;
        } else {
            after = hp__mem_local();
            bytes_done(n,
                       (int64_t)(before - after) > 0 ? before - after : 0,
                       0);
        }
        after = hp__mem_local();
        if (from_gc && (int64_t)(before - after) > 0)
            hp__gc_bytes_reclaimed += before - after;
        done += k;
        if (budget_us >= 0 && (int64_t)(now_us() - t0) >= budget_us) break;
    }
    return head != NULL;
}

/* Objects waiting in the deferred-free queue. */
size_t hp_free_pending(void)
{
    return npending;
}

/* Bytes the queued bodies still hold (an estimate made when each was
 * queued, lowered by what each slice really frees). */
size_t hp_free_pending_bytes(void)
{
    return pending_bytes;
}

/* Objects freed through the queue since start. */
uint64_t hp_free_done(void)
{
    return nfreed_objects;
}
