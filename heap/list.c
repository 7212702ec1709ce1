/*
 * list.c - list objects: the operations behind LPUSH, LPOP, LINDEX, LSET,
 * LINSERT, LREM, LTRIM and LRANGE over a quicklist body (heap_cont.h).
 * Redis 7.0 encodes every list as a quicklist, whatever its size, so there
 * is no conversion here; list-max-listpack-size only sizes the nodes.
 */
#include "heap.h"

#include <assert.h>
#include <errno.h>

#include "heap_cont.h"
#include "heap_int.h"
#include "heap_ref.h"

/* Reference elements (heap/ref.c) are marked entries of the quicklist,
 * which keeps them in place through every write and drops the marks of
 * removed or overwritten ones (hp__ql_mark_gone). A list with a side
 * record is told after every write (its lookup cursor is stale, its side
 * record may be unused now); strong decrefs are drained once the whole
 * list operation is done, so a cascade never lands in a list
 * mid-operation. A list without a side record pays one flag test. */

/* List o was written to. */
static void lref_changed(hp_obj_t *o)
{
    if (o->flags & HP_OF_SIDE) hp__lref_changed(o);
}

/* The quicklist body of list o. */
static hp_ql_t *ql_of(const hp_obj_t *o)
{
    assert(o->type == HP_TYPE_LIST && o->encoding == HP_ENC_QUICKLIST);
    return o->v.ptr;
}

/* New reference: an empty list. NULL on OOM. */
hp_obj_t *hp_list_new(void)
{
    hp_obj_t *o = hp__obj_alloc(sizeof(*o), HP_ENC_QUICKLIST);

    if (!o) return NULL;
    o->type = HP_TYPE_LIST;
    o->v.ptr = hp_ql_new(hp_limits.list_max_listpack_size);
    if (!o->v.ptr) {
        hp__obj_discard(o);
        return NULL;
    }
    return o;
}

size_t hp_list_len(const hp_obj_t *o)
{
    return ql_of(o)->count;
}

/* Push a copy of s at the head or tail. */
int hp_list_push(hp_obj_t *o, int where, const char *s, size_t len)
{
    hp_ql_t *ql = ql_of(o);
    int rc = hp_ql_push(ql, where == HP_LIST_TAIL, s, len);

    if (rc == 0) lref_changed(o);
    return rc;
}

/* New reference: a string object holding a copy of e. NULL on OOM. */
static hp_obj_t *elem_to_obj(const hp_elem_t *e)
{
    if (!e->s) return hp_str_new_int(e->i);
    return hp_str_new_encoded(e->s, e->len);
}

/* New reference: the popped head/tail element; NULL when empty, or on
 * OOM with *err = -ENOMEM and the list unchanged. */
hp_obj_t *hp_list_pop(hp_obj_t *o, int where, int *err)
{
    hp_ql_t *ql = ql_of(o);
    hp_elem_t e;
    hp_obj_t *v;
    size_t index;

    if (err) *err = 0;
    if (hp_list_index(o, where == HP_LIST_TAIL ? -1 : 0, &e)) return NULL;
    v = elem_to_obj(&e);
    if (!v) {
        if (err) *err = -ENOMEM;
        return NULL;
    }
    index = where == HP_LIST_TAIL ? ql->count - 1 : 0;
    hp_ql_delete_range(ql, index, 1);
    lref_changed(o);
    hp__ref_drain();
    return v;
}

/* Element index into *e (borrowed). 0 or -ERANGE. */
int hp_list_index(hp_obj_t *o, long index, hp_elem_t *e)
{
    hp_ql_node_t *n;
    unsigned char *p;
    long off;
    int rc = hp_ql_locate(ql_of(o), index, &n, &p, &off);

    if (rc) return rc;
    hp_lp_get(p, e);
    return 0;
}

/* LSET. 0, -ERANGE, -ENOMEM, -E2BIG. */
int hp_list_set(hp_obj_t *o, long index, const char *s, size_t len)
{
    hp_ql_t *ql = ql_of(o);
    int rc = hp_ql_replace(ql, index, s, len);

    if (rc == 0 && (o->flags & HP_OF_SIDE)) {
        hp__lref_changed(o);
        hp__ref_drain();
    }
    return rc;
}

/* LINSERT BEFORE|AFTER pivot. 0, -ENOENT, -ENOMEM, -E2BIG. */
int hp_list_insert(hp_obj_t *o, int after, const char *pivot, size_t plen,
                   const char *s, size_t len)
{
    hp_ql_t *ql = ql_of(o);
    long index = 0;

    for (hp_ql_node_t *n = ql->head; n; n = n->next) {
        unsigned char *p = hp_lp_find(n->lp, hp_lp_first(n->lp), pivot, plen,
                                      0);

        if (p) {
            int rc;

            index += (long)hp_lp_index_of(n->lp, p) + (after ? 1 : 0);
            rc = hp_ql_insert(ql, index, s, len);
            if (rc == 0) lref_changed(o);
            return rc;
        }
        index += n->count;
    }
    return -ENOENT;
}

/* LREM. Returns the number removed. */
size_t hp_list_remove(hp_obj_t *o, long count, const char *s, size_t len)
{
    size_t n = hp_ql_remove_eq(ql_of(o), count, s, len);

    if (n && (o->flags & HP_OF_SIDE)) {
        hp__lref_changed(o);
        hp__ref_drain();
    }
    return n;
}

/* Clip start/stop to the list as LRANGE does. */
void hp_list_range(const hp_obj_t *o, long start, long stop, size_t *first,
                   size_t *count)
{
    long len = (long)ql_of(o)->count;

    if (start < 0) start += len;
    if (stop < 0) stop += len;
    if (start < 0) start = 0;
    if (stop >= len) stop = len - 1;
    if (start > stop || start >= len) {
        *first = 0;
        *count = 0;
        return;
    }
    *first = (size_t)start;
    *count = (size_t)(stop - start + 1);
}

/* LTRIM start stop. */
void hp_list_trim(hp_obj_t *o, long start, long stop)
{
    hp_ql_t *ql = ql_of(o);
    size_t first, count;

    hp_list_range(o, start, stop, &first, &count);
    if (count == 0) {
        hp_ql_delete_range(ql, 0, ql->count);
    } else {
        if (first + count < ql->count)
            hp_ql_delete_range(ql, first + count, ql->count - first - count);
        if (first > 0) hp_ql_delete_range(ql, 0, first);
    }
    lref_changed(o);
    hp__ref_drain();
}

/* Delete count elements from start, clipped. Returns how many. */
size_t hp_list_delete_range(hp_obj_t *o, size_t start, size_t count)
{
    size_t n = hp_ql_delete_range(ql_of(o), start, count);

    if (n && (o->flags & HP_OF_SIDE)) {
        hp__lref_changed(o);
        hp__ref_drain();
    }
    return n;
}

/* Start an iteration at index start for up to count elements. */
void hp_list_iter_init(hp_list_iter_t *it, hp_obj_t *o, long start,
                       size_t count, int reverse)
{
    hp_ql_node_t *n = NULL;
    long off;

    it->reverse = reverse;
    it->left = count;
    it->p = NULL;
    if (hp_ql_locate(ql_of(o), start, &n, &it->p, &off)) it->left = 0;
    it->node = n;
}

/* Next element (borrowed) into *e; 0 when done. */
int hp_list_iter_next(hp_list_iter_t *it, hp_elem_t *e)
{
    hp_ql_node_t *n = it->node;

    if (it->left == 0 || !it->p) return 0;
    hp_lp_get(it->p, e);
    it->left--;
    it->p = it->reverse ? hp_lp_prev(n->lp, it->p) : hp_lp_next(n->lp, it->p);
    if (!it->p) {
        n = it->reverse ? n->prev : n->next;
        it->node = n;
        if (n) it->p = it->reverse ? hp_lp_last(n->lp) : hp_lp_first(n->lp);
    }
    return 1;
}
