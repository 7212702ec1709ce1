/*
 * quicklist.c - the quicklist: a doubly linked list of listpack nodes,
 * the body of every list object (Redis 7.0 encodes all lists this way).
 * Node size is bounded by the fill (list-max-listpack-size): a positive
 * fill caps entries per node (and bytes at 8 KB, Redis's safety limit), a
 * negative one caps bytes (-1 4 KB .. -5 64 KB). Inserting into a full
 * node's middle splits it in half; empty nodes are unlinked at once.
 * Marked entries (heap_cont.h) are kept track of node by node: every
 * in-node change shifts only that node's marks, and only for a node that
 * has some. Invariants are in heap_cont.h.
 */
#include "heap.h"

#include <assert.h>
#include <errno.h>
#include <string.h>

#include "heap_cont.h"
#include "heap_int.h"

/* Byte cap of a node under a positive (count) fill. */
#define SAFETY_BYTES 8192
/* Per-entry overhead budget when estimating a new entry's size. */
#define ENTRY_OVERHEAD 11

size_t hp__ql_visits;

/* ---------------------------------------------------------------------
 * Marks of one node (sorted by off)
 * ------------------------------------------------------------------ */

/* Index in n's marks of the first with off >= off (0 .. n). */
static uint32_t marks_lower(const hp_ql_marks_t *m, uint32_t off)
{
    uint32_t lo = 0, hi = m->n;

    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;

        if (m->v[mid].off < off)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* An entry was inserted at off of node n: later marks shift up. */
static void marks_inserted(hp_ql_node_t *n, uint32_t off)
{
    hp_ql_marks_t *m = n->marks;

    for (uint32_t k = marks_lower(m, off); k < m->n; k++)
        m->v[k].off++;
}

/* Free n's marks block (its marks already dealt with). */
static void marks_free(hp_ql_node_t *n)
{
    hp_free(n->marks);
    n->marks = NULL;
}

/* Entries [off, off + count) of node n were deleted or overwritten
 * (shift 0 for an overwrite): their marks go (the owner hears of each),
 * later marks shift down by shift. */
static void marks_removed(hp_ql_node_t *n, uint32_t off, uint32_t count,
                          uint32_t shift)
{
    hp_ql_marks_t *m = n->marks;
    uint32_t lo = marks_lower(m, off), hi = marks_lower(m, off + count);

    for (uint32_t k = lo; k < hi; k++)
        hp__ql_mark_gone(m->v[k].home);
    if (hi > lo)
        memmove(m->v + lo, m->v + hi, (m->n - hi) * sizeof(m->v[0]));
    m->n -= hi - lo;
    for (uint32_t k = lo; k < m->n; k++)
        m->v[k].off -= shift;
    if (m->n == 0) marks_free(n);
}

/* Byte limit for a negative fill (-1 .. -5; beyond -5 means -5). */
static size_t fill_bytes(int fill)
{
    static const size_t sizes[] = {4096, 8192, 16384, 32768, 65536};
    int i = -fill - 1;

    if (i > 4) i = 4;
    return sizes[i];
}

/* Whether a node of `bytes` bytes and `count` entries is within the
 * fill limit. */
static int within_fill(int fill, size_t bytes, size_t count)
{
    if (fill < 0) return bytes <= fill_bytes(fill);
    return count <= (size_t)fill && bytes <= SAFETY_BYTES;
}

/* Whether node can take one more entry of about len bytes. */
static int node_accepts(const hp_ql_t *ql, const hp_ql_node_t *n, size_t len)
{
    return within_fill(ql->fill, hp_lp_bytes(n->lp) + len + ENTRY_OVERHEAD,
                       (size_t)n->count + 1);
}

/* New empty quicklist; fill 0 means 1 entry per node. NULL on OOM. */
hp_ql_t *hp_ql_new(int fill)
{
    hp_ql_t *ql = hp_malloc(sizeof(*ql));

    if (!ql) return NULL;
    ql->head = ql->tail = NULL;
    ql->count = 0;
    ql->len = 0;
    ql->fill = fill == 0 ? 1 : fill;
    return ql;
}

/* Free a node, its listpack and its marks block. */
static void node_free(hp_ql_node_t *n)
{
    hp_lp_free(n->lp);
    hp_free(n->marks);
    hp_free(n);
}

/* Free the quicklist and every node; NULL does nothing. */
void hp_ql_free(hp_ql_t *ql)
{
    hp_ql_node_t *n, *next;

    if (!ql) return;
    for (n = ql->head; n; n = next) {
        next = n->next;
        node_free(n);
    }
    hp_free(ql);
}

/* Bytes of the quicklist, nodes and listpacks (usable sizes). */
size_t hp_ql_mem(const hp_ql_t *ql)
{
    size_t bytes = hp_malloc_size(ql);

    for (const hp_ql_node_t *n = ql->head; n; n = n->next)
        bytes += hp_malloc_size(n) + hp_malloc_size(n->lp) +
                 hp_malloc_size(n->marks);
    return bytes;
}

/* New node owning lp (count entries); NULL on OOM (lp not freed). */
static hp_ql_node_t *node_new(unsigned char *lp)
{
    hp_ql_node_t *n = hp_malloc(sizeof(*n));

    if (!n) return NULL;
    n->prev = n->next = NULL;
    n->lp = lp;
    n->count = (uint32_t)hp_lp_len(lp);
    n->marks = NULL;
    return n;
}

/* Link n after `after` (NULL: at the head). */
static void link_after(hp_ql_t *ql, hp_ql_node_t *after, hp_ql_node_t *n)
{
    n->prev = after;
    n->next = after ? after->next : ql->head;
    if (n->next)
        n->next->prev = n;
    else
        ql->tail = n;
    if (after)
        after->next = n;
    else
        ql->head = n;
    ql->len++;
    ql->count += n->count;
}

/* Unlink and free n, taking its entries off the count. */
static void unlink_node(hp_ql_t *ql, hp_ql_node_t *n)
{
    if (n->prev)
        n->prev->next = n->next;
    else
        ql->head = n->next;
    if (n->next)
        n->next->prev = n->prev;
    else
        ql->tail = n->prev;
    ql->len--;
    ql->count -= n->count;
    node_free(n);
}

/* A new node holding just s, linked after `after`. 0/-ENOMEM/-E2BIG. */
static int push_new_node(hp_ql_t *ql, hp_ql_node_t *after, const char *s,
                         size_t len)
{
    unsigned char *lp = hp_lp_new();
    hp_ql_node_t *n;
    int rc;

    if (!lp) return -ENOMEM;
    rc = hp_lp_append(&lp, s, len);
    if (rc == 0 && !(n = node_new(lp))) rc = -ENOMEM;
    if (rc) {
        hp_lp_free(lp);
        return rc;
    }
    link_after(ql, after, n);
    return 0;
}

/* Add s at the head (where 0) or tail (1). 0, -ENOMEM, -E2BIG. */
int hp_ql_push(hp_ql_t *ql, int where, const char *s, size_t len)
{
    hp_ql_node_t *n = where ? ql->tail : ql->head;
    int rc;

    if (n && node_accepts(ql, n, len)) {
        rc = hp_lp_insert(&n->lp, where ? -1 : 0, s, len);
        if (rc) return rc;
        n->count++;
        ql->count++;
        if (n->marks && !where) marks_inserted(n, 0);
        return 0;
    }
    return push_new_node(ql, where ? ql->tail : NULL, s, len);
}

/* Locate entry index (negative from the end), walking from the nearer
 * end. 0 or -ERANGE. */
int hp_ql_locate(hp_ql_t *ql, long index, hp_ql_node_t **node,
                 unsigned char **p, long *offset)
{
    size_t i, seen = 0, steps = 1;
    hp_ql_node_t *n;

    if (index < 0) index += (long)ql->count;
    if (index < 0 || (size_t)index >= ql->count) return -ERANGE;
    i = (size_t)index;
    if (i < ql->count / 2) {
        for (n = ql->head; seen + n->count <= i; n = n->next, steps++)
            seen += n->count;
    } else {
        seen = ql->count;
        for (n = ql->tail; seen - n->count > i; n = n->prev, steps++)
            seen -= n->count;
        seen -= n->count;
    }
    hp__ql_visits += steps;
    *node = n;
    *offset = (long)(i - seen);
    *p = hp_lp_seek(n->lp, *offset);
    return 0;
}

/* A marks block for the marks of n from index k of its marks on (NULL:
 * none move, or OOM with *err set). */
static hp_ql_marks_t *marks_for_split(const hp_ql_node_t *n, uint32_t k,
                                      int *err)
{
    hp_ql_marks_t *m;
    uint32_t moved = n->marks->n - k;

    if (moved == 0) return NULL;
    m = hp_malloc(sizeof(*m) + moved * sizeof(m->v[0]));
    if (!m) *err = -ENOMEM;
    return m;
}

/* Move the marks of n at entry index at.. into block m of nn (the
 * entries moved there, at..count-1 becoming 0..). */
static void marks_split(hp_ql_node_t *n, hp_ql_node_t *nn, uint32_t k,
                        uint32_t at, hp_ql_marks_t *m)
{
    uint32_t moved = n->marks->n - k;

    m->n = m->cap = moved;
    for (uint32_t j = 0; j < moved; j++) {
        m->v[j].off = n->marks->v[k + j].off - at;
        m->v[j].home = n->marks->v[k + j].home;
        *m->v[j].home = nn;
    }
    nn->marks = m;
    n->marks->n = k;
    if (k == 0) marks_free(n);
}

/* Split n in half when it outgrew the fill and holds more than one entry.
 * The new node (and a marks block for the marks that move) is allocated
 * before the entries move, so a failed split (OOM) leaves n oversized
 * but valid and nothing lost. */
static void split_if_needed(hp_ql_t *ql, hp_ql_node_t *n)
{
    hp_ql_node_t *nn;
    hp_ql_marks_t *m = NULL;
    uint32_t at = n->count / 2, k = 0;
    int err = 0;

    if (n->count < 2 ||
        within_fill(ql->fill, hp_lp_bytes(n->lp), (size_t)n->count))
        return;
    if (n->marks) {
        k = marks_lower(n->marks, at);
        m = marks_for_split(n, k, &err);
        if (err) return;
    }
    nn = hp_malloc(sizeof(*nn));
    if (!nn) {
        hp_free(m);
        return;
    }
    nn->lp = hp_lp_split(&n->lp, (long)at);
    if (!nn->lp) {
        hp_free(nn);
        hp_free(m);
        return;
    }
    nn->marks = NULL;
    if (m) marks_split(n, nn, k, at, m);
    nn->count = (uint32_t)hp_lp_len(nn->lp);
    n->count -= nn->count;
    ql->count -= nn->count; /* link_after adds it back */
    link_after(ql, n, nn);
}

/* Insert s so it becomes entry index (0..count). */
int hp_ql_insert(hp_ql_t *ql, long index, const char *s, size_t len)
{
    hp_ql_node_t *n;
    unsigned char *p;
    long off;
    int rc;

    if (index < 0) index += (long)ql->count + 1;
    if (index < 0 || (size_t)index > ql->count) return -ERANGE;
    if (index == 0) return hp_ql_push(ql, 0, s, len);
    if ((size_t)index == ql->count) return hp_ql_push(ql, 1, s, len);
    hp_ql_locate(ql, index, &n, &p, &off);
    if (off == 0 && n->prev && node_accepts(ql, n->prev, len)) {
        /* The slot sits between two nodes: fill the previous one. */
        n = n->prev;
        off = n->count;
    }
    rc = hp_lp_insert(&n->lp, off, s, len);
    if (rc) return rc;
    n->count++;
    ql->count++;
    if (n->marks) marks_inserted(n, (uint32_t)off);
    split_if_needed(ql, n);
    return 0;
}

/* Replace entry index with s. 0, -ERANGE, -ENOMEM, -E2BIG. */
int hp_ql_replace(hp_ql_t *ql, long index, const char *s, size_t len)
{
    hp_ql_node_t *n;
    unsigned char *p;
    long off;
    int rc = hp_ql_locate(ql, index, &n, &p, &off);

    if (rc) return rc;
    rc = hp_lp_replace(&n->lp, off, s, len);
    if (rc) return rc;
    if (n->marks) marks_removed(n, (uint32_t)off, 1, 0);
    split_if_needed(ql, n);
    return 0;
}

/* Delete up to count entries from start; returns how many. */
size_t hp_ql_delete_range(hp_ql_t *ql, size_t start, size_t count)
{
    hp_ql_node_t *n, *next;
    unsigned char *p;
    long off;
    size_t done = 0;

    if (count == 0 || hp_ql_locate(ql, (long)start, &n, &p, &off)) return 0;
    while (n && done < count) {
        size_t take = n->count - (size_t)off;

        if (take > count - done) take = count - done;
        next = n->next;
        if (n->marks)
            marks_removed(n, (uint32_t)off, (uint32_t)take, (uint32_t)take);
        if (off == 0 && take == n->count) {
            unlink_node(ql, n);
        } else {
            hp_lp_delete(&n->lp, off, take);
            n->count -= (uint32_t)take;
            ql->count -= take;
        }
        done += take;
        off = 0;
        n = next;
    }
    return done;
}

/* Who hears of each removal: gone(ud, index) with the entry's index in
 * the whole list at the moment it went (gone may be NULL). */
typedef struct removal {
    hp_ql_gone_fn gone;
    void *ud;
    size_t before; /* entries in the nodes before the current one */
} removal_t;

/* Remove entries equal to s within node n, from its head (dir 1) or tail
 * (dir -1), at most max (0: no limit). Returns how many. */
static size_t node_remove_eq(hp_ql_t *ql, hp_ql_node_t *n, int dir,
                             size_t max, const char *s, size_t len,
                             const removal_t *rm)
{
    unsigned char *p = dir > 0 ? hp_lp_first(n->lp) : hp_lp_last(n->lp);
    size_t removed = 0;

    while (p && (max == 0 || removed < max)) {
        unsigned char *prev = dir < 0 ? hp_lp_prev(n->lp, p) : NULL;
        size_t off = (size_t)(p - n->lp);
        size_t prev_off = prev ? (size_t)(prev - n->lp) : 0;

        if (hp_lp_eq(p, s, len)) {
            size_t at = hp_lp_index_of(n->lp, p);

            hp_lp_delete(&n->lp, (long)at, 1);
            if (n->marks) marks_removed(n, (uint32_t)at, 1, 1);
            if (rm->gone) rm->gone(rm->ud, rm->before + at);
            n->count--;
            ql->count--;
            removed++;
            /* The entries before the deleted one did not move. */
            if (dir > 0)
                p = n->lp[off] == HP_LP_END ? NULL : n->lp + off;
            else
                p = prev ? n->lp + prev_off : NULL;
        } else {
            p = dir > 0 ? hp_lp_next(n->lp, p) : prev;
        }
    }
    return removed;
}

/* LREM on a quicklist: count > 0 from the head, < 0 from the tail, 0
 * all; gone (may be NULL) hears each removed entry's index at the moment
 * it went. Returns the number removed. */
size_t hp_ql_remove_eq_cb(hp_ql_t *ql, long count, const char *s,
                          size_t len, hp_ql_gone_fn gone, void *ud)
{
    int dir = count < 0 ? -1 : 1;
    size_t max = count < 0 ? (size_t)0 - (size_t)count : (size_t)count;
    size_t removed = 0, after = 0;
    hp_ql_node_t *n = dir > 0 ? ql->head : ql->tail, *next;
    removal_t rm = {gone, ud, 0};

    while (n && (max == 0 || removed < max)) {
        next = dir > 0 ? n->next : n->prev;
        if (dir < 0) rm.before = ql->count - n->count - after;
        removed += node_remove_eq(ql, n, dir, max ? max - removed : 0, s, len,
                                  &rm);
        if (dir > 0)
            rm.before += n->count;
        else
            after += n->count;
        if (n->count == 0) unlink_node(ql, n);
        n = next;
    }
    return removed;
}

/* LREM on a quicklist, nobody told of the positions. */
size_t hp_ql_remove_eq(hp_ql_t *ql, long count, const char *s, size_t len)
{
    return hp_ql_remove_eq_cb(ql, count, s, len, NULL, NULL);
}

/* Whether n's marks keep their invariants (heap_cont.h). */
static int marks_valid(const hp_ql_node_t *n)
{
    const hp_ql_marks_t *m = n->marks;

    if (!m) return 1;
    if (m->n == 0 || m->n > m->cap) return 0;
    for (uint32_t k = 0; k < m->n; k++) {
        if (m->v[k].off >= n->count || *m->v[k].home != n) return 0;
        if (k && m->v[k].off <= m->v[k - 1].off) return 0;
    }
    return 1;
}

/* Structural check: 0 or -EINVAL. */
int hp_ql_validate(const hp_ql_t *ql)
{
    size_t count = 0, len = 0;
    const hp_ql_node_t *prev = NULL;

    for (const hp_ql_node_t *n = ql->head; n; n = n->next) {
        if (n->prev != prev || n->count == 0) return -EINVAL;
        if (n->count != hp_lp_len(n->lp) || hp_lp_validate(n->lp) ||
            !marks_valid(n))
            return -EINVAL;
        count += n->count;
        len++;
        prev = n;
    }
    if (prev != ql->tail || count != ql->count || len != ql->len)
        return -EINVAL;
    return 0;
}

/* ---------------------------------------------------------------------
 * Marks: the owner's side
 * ------------------------------------------------------------------ */

/* Mark entry off of n for home. 0 or -ENOMEM (nothing changed). */
int hp_ql_mark(hp_ql_node_t *n, uint32_t off, hp_ql_node_t **home)
{
    hp_ql_marks_t *m = n->marks;
    uint32_t k;

    assert(off < n->count);
    if (!m || m->n == m->cap) {
        uint32_t cap = m ? m->cap * 2 : 4;
        hp_ql_marks_t *nm;

        if (cap > n->count) cap = n->count;
        nm = hp_realloc(m, sizeof(*nm) + cap * sizeof(nm->v[0]));
        if (!nm) return -ENOMEM;
        if (!m) nm->n = 0;
        nm->cap = cap;
        n->marks = m = nm;
    }
    k = marks_lower(m, off);
    assert(k == m->n || m->v[k].off != off);
    memmove(m->v + k + 1, m->v + k, (m->n - k) * sizeof(m->v[0]));
    m->v[k].off = off;
    m->v[k].home = home;
    m->n++;
    *home = n;
    return 0;
}

/* The home of the mark on entry off of n, or NULL. */
hp_ql_node_t **hp_ql_mark_at(const hp_ql_node_t *n, uint32_t off)
{
    const hp_ql_marks_t *m = n->marks;
    uint32_t k;

    if (!m) return NULL;
    k = marks_lower(m, off);
    return k < m->n && m->v[k].off == off ? m->v[k].home : NULL;
}

/* Delete the entry marked by home (its mark dropped silently). */
void hp_ql_delete_marked(hp_ql_t *ql, hp_ql_node_t **home)
{
    hp_ql_node_t *n = *home;
    hp_ql_marks_t *m = n->marks;
    uint32_t k = 0, off;

    while (m->v[k].home != home) k++; /* O(marks of the node) */
    off = m->v[k].off;
    memmove(m->v + k, m->v + k + 1, (m->n - k - 1) * sizeof(m->v[0]));
    m->n--;
    for (uint32_t j = k; j < m->n; j++)
        m->v[j].off--;
    if (m->n == 0) marks_free(n);
    hp__ql_visits++;
    if (n->count == 1) {
        unlink_node(ql, n);
        return;
    }
    hp_lp_delete(&n->lp, (long)off, 1);
    n->count--;
    ql->count--;
}

/* Drop n's marks, nobody told. */
void hp_ql_node_unmark_all(hp_ql_node_t *n)
{
    marks_free(n);
}

/* Entry index's node, walking from the nearest start point (head, tail
 * or hint); the hint is left at the node found. */
hp_ql_node_t *hp_ql_seek(hp_ql_t *ql, size_t index, hp_ql_node_t **hint,
                         size_t *hint_first, uint32_t *off)
{
    hp_ql_node_t *n;
    size_t first, steps = 1, from_end = ql->count - 1 - index;

    assert(index < ql->count);
    if (*hint && (index >= *hint_first ? index - *hint_first
                                       : *hint_first - index) <=
                     (index < from_end ? index : from_end)) {
        n = *hint;
        first = *hint_first;
    } else if (index <= from_end) {
        n = ql->head;
        first = 0;
    } else {
        n = ql->tail;
        first = ql->count - n->count;
    }
    for (; index >= first + n->count; steps++) {
        first += n->count;
        n = n->next;
    }
    for (; index < first; steps++) {
        n = n->prev;
        first -= n->count;
    }
    hp__ql_visits += steps;
    *hint = n;
    *hint_first = first;
    *off = (uint32_t)(index - first);
    return n;
}
