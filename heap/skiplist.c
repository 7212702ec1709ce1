/*
 * skiplist.c - the ordered half of a "skiplist" sorted set: a skiplist
 * with rank spans (layout and invariants in heap_zset.h), plus the member
 * order and the score/lex range predicates shared with the listpack code
 * in zsetobj.c. Nodes borrow their member bytes from the zset dict's
 * entries.
 */
#include "heap.h"

#include <assert.h>
#include <errno.h>
#include <string.h>

#include "heap_int.h"
#include "heap_zset.h"

/* Level generator state (xorshift64). Executor thread. */
static uint64_t lvl_state = 0x9E3779B97F4A7C15ULL;

void hp__zsl_seed(uint64_t seed)
{
    lvl_state = seed ? seed : 0x9E3779B97F4A7C15ULL;
}

static uint64_t lvl_rnd(void)
{
    lvl_state ^= lvl_state << 13;
    lvl_state ^= lvl_state >> 7;
    lvl_state ^= lvl_state << 17;
    return lvl_state;
}

/* A level in 1..HP_ZSL_MAXLEVEL, each extra level with probability 1/4. */
static int random_level(void)
{
    int level = 1;

    while (level < HP_ZSL_MAXLEVEL && (lvl_rnd() & 0xFFFF) < 0xFFFF * HP_ZSL_P)
        level++;
    return level;
}

/* ---------------------------------------------------------------------
 * Order and range predicates
 * ------------------------------------------------------------------ */

int hp__zset_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
    size_t n = alen < blen ? alen : blen;
    int c = n ? memcmp(a, b, n) : 0;

    if (c) return c;
    return alen < blen ? -1 : (alen > blen ? 1 : 0);
}

int hp__zrange_gte_min(double v, const hp_zrange_t *r)
{
    return r->minex ? v > r->min : v >= r->min;
}

int hp__zrange_lte_max(double v, const hp_zrange_t *r)
{
    return r->maxex ? v < r->max : v <= r->max;
}

/* Compare member s with a lex bound: <0, 0, >0. */
static int lex_cmp(const char *s, size_t len, const hp_zlex_bound_t *b)
{
    if (b->inf) return -b->inf;
    return hp__zset_cmp(s, len, b->s, b->len);
}

int hp__zlex_gte_min(const char *s, size_t len, const hp_zlex_t *r)
{
    int c = lex_cmp(s, len, &r->min);

    return r->min.ex && !r->min.inf ? c > 0 : c >= 0;
}

int hp__zlex_lte_max(const char *s, size_t len, const hp_zlex_t *r)
{
    int c = lex_cmp(s, len, &r->max);

    return r->max.ex && !r->max.inf ? c < 0 : c <= 0;
}

/* Whether node x sorts before (score, ele). The member is read only on
 * a score tie. */
static inline int node_before(const hp_zsl_node_t *x, double score,
                              const char *ele, size_t len)
{
    if (x->score != score) return x->score < score;
    return hp__zset_cmp(hp__zsl_ele(x), hp__zsl_len(x), ele, len) < 0;
}

/* Whether node x holds (score, ele). */
static int node_is(const hp_zsl_node_t *x, double score, const char *ele,
                   size_t len)
{
    return x->score == score &&
           hp__zset_cmp(hp__zsl_ele(x), hp__zsl_len(x), ele, len) == 0;
}

/* ---------------------------------------------------------------------
 * Nodes and the list
 * ------------------------------------------------------------------ */

/* New unlinked node of nlevel levels for member ent (borrowed; NULL for
 * the header). NULL on OOM. */
static hp_zsl_node_t *node_new(int nlevel, double score,
                               hp_dict_entry_t *ent)
{
    hp_zsl_node_t *x =
        hp_malloc(sizeof(*x) + (size_t)nlevel * sizeof(hp_zsl_level_t));

    if (!x) return NULL;
    x->score = score;
    x->ent = ent;
    x->backward = NULL;
    for (int i = 0; i < nlevel; i++) {
        x->level[i].forward = NULL;
        x->level[i].span = 0;
    }
    return x;
}

hp_zsl_t *hp__zsl_new(void)
{
    hp_zsl_t *zsl = hp_malloc(sizeof(*zsl));

    if (!zsl) return NULL;
    zsl->header = node_new(HP_ZSL_MAXLEVEL, 0, NULL);
    if (!zsl->header) {
        hp_free(zsl);
        return NULL;
    }
    zsl->tail = NULL;
    zsl->length = 0;
    zsl->level = 1;
    zsl->bytes = hp_malloc_size(zsl) + hp_malloc_size(zsl->header);
    return zsl;
}

void hp__zsl_free(hp_zsl_t *zsl)
{
    hp_zsl_node_t *x, *next;

    if (!zsl) return;
    for (x = zsl->header->level[0].forward; x; x = next) {
        next = x->level[0].forward;
        hp_free(x);
    }
    hp_free(zsl->header);
    hp_free(zsl);
}

/* Fill update[] with the last node before (score, ele) on each level and
 * rank[] with that node's 1-based rank (0 for the header). */
static void find_path(hp_zsl_t *zsl, double score, const char *ele,
                      size_t len, hp_zsl_node_t **update, size_t *rank)
{
    hp_zsl_node_t *x = zsl->header;

    for (int i = zsl->level - 1; i >= 0; i--) {
        rank[i] = i == zsl->level - 1 ? 0 : rank[i + 1];
        while (x->level[i].forward &&
               node_before(x->level[i].forward, score, ele, len)) {
            rank[i] += x->level[i].span;
            x = x->level[i].forward;
        }
        update[i] = x;
    }
}

/* Link node x (its score and member set, its level pointers cleared) at
 * its place with `level` levels. */
static void link_node(hp_zsl_t *zsl, hp_zsl_node_t *x, int level)
{
    hp_zsl_node_t *update[HP_ZSL_MAXLEVEL];
    size_t rank[HP_ZSL_MAXLEVEL];

    find_path(zsl, x->score, hp__zsl_ele(x), hp__zsl_len(x), update, rank);
    if (level > zsl->level) {
        for (int i = zsl->level; i < level; i++) {
            rank[i] = 0;
            update[i] = zsl->header;
            update[i]->level[i].span = zsl->length;
        }
        zsl->level = level;
    }
    for (int i = 0; i < level; i++) {
        x->level[i].forward = update[i]->level[i].forward;
        update[i]->level[i].forward = x;
        /* update[i] reached rank[i]; x lands at rank[0] + 1. */
        x->level[i].span = update[i]->level[i].span - (rank[0] - rank[i]);
        update[i]->level[i].span = (rank[0] - rank[i]) + 1;
    }
    for (int i = level; i < zsl->level; i++)
        update[i]->level[i].span++;
    x->backward = update[0] == zsl->header ? NULL : update[0];
    if (x->level[0].forward)
        x->level[0].forward->backward = x;
    else
        zsl->tail = x;
    zsl->length++;
}

hp_zsl_node_t *hp__zsl_insert(hp_zsl_t *zsl, double score,
                              hp_dict_entry_t *ent)
{
    int level = random_level();
    hp_zsl_node_t *x = node_new(level, score, ent);

    if (!x) return NULL;
    link_node(zsl, x, level);
    zsl->bytes += hp_malloc_size(x);
    return x;
}

/* Unlink x given update[] (its predecessors on every level). */
static void unlink_node(hp_zsl_t *zsl, hp_zsl_node_t *x,
                        hp_zsl_node_t **update)
{
    for (int i = 0; i < zsl->level; i++) {
        if (update[i]->level[i].forward == x) {
            update[i]->level[i].span += x->level[i].span - 1;
            update[i]->level[i].forward = x->level[i].forward;
        } else {
            update[i]->level[i].span--;
        }
    }
    if (x->level[0].forward)
        x->level[0].forward->backward = x->backward;
    else
        zsl->tail = x->backward;
    while (zsl->level > 1 && !zsl->header->level[zsl->level - 1].forward)
        zsl->level--;
    zsl->length--;
}

/* The node (score, ele) with its path in update[], or NULL. */
static hp_zsl_node_t *find_node(hp_zsl_t *zsl, double score, const char *ele,
                                size_t len, hp_zsl_node_t **update)
{
    size_t rank[HP_ZSL_MAXLEVEL];
    hp_zsl_node_t *x;

    find_path(zsl, score, ele, len, update, rank);
    x = update[0]->level[0].forward;
    if (x && node_is(x, score, ele, len)) return x;
    return NULL;
}

int hp__zsl_delete(hp_zsl_t *zsl, double score, const char *ele, size_t len)
{
    hp_zsl_node_t *update[HP_ZSL_MAXLEVEL];
    hp_zsl_node_t *x = find_node(zsl, score, ele, len, update);

    if (!x) return -ENOENT;
    unlink_node(zsl, x, update);
    zsl->bytes -= hp_malloc_size(x);
    hp_free(x);
    return 0;
}

hp_zsl_node_t *hp__zsl_update_score(hp_zsl_t *zsl, double curscore,
                                    const char *ele, size_t len,
                                    double newscore)
{
    hp_zsl_node_t *update[HP_ZSL_MAXLEVEL];
    hp_zsl_node_t *x = find_node(zsl, curscore, ele, len, update);
    hp_zsl_node_t *next;
    int level = 0;

    assert(x);
    next = x->level[0].forward;
    /* Still in order with its neighbours: change the score in place. */
    if ((!x->backward || node_before(x->backward, newscore, ele, len)) &&
        (!next || next->score > newscore ||
         (next->score == newscore &&
          hp__zset_cmp(hp__zsl_ele(next), hp__zsl_len(next), ele, len) >
              0))) {
        x->score = newscore;
        return x;
    }
    /* x's levels are those on which its predecessor points at it. */
    while (level < zsl->level && update[level]->level[level].forward == x)
        level++;
    unlink_node(zsl, x, update);
    x->score = newscore;
    for (int i = 0; i < level; i++) {
        x->level[i].forward = NULL;
        x->level[i].span = 0;
    }
    link_node(zsl, x, level);
    return x;
}

size_t hp__zsl_rank(hp_zsl_t *zsl, double score, const char *ele, size_t len)
{
    hp_zsl_node_t *x = zsl->header;
    size_t rank = 0;

    for (int i = zsl->level - 1; i >= 0; i--) {
        while (x->level[i].forward &&
               (node_before(x->level[i].forward, score, ele, len) ||
                node_is(x->level[i].forward, score, ele, len))) {
            rank += x->level[i].span;
            x = x->level[i].forward;
        }
        if (x != zsl->header && node_is(x, score, ele, len)) return rank;
    }
    return 0;
}

hp_zsl_node_t *hp__zsl_at(hp_zsl_t *zsl, size_t rank)
{
    hp_zsl_node_t *x = zsl->header;
    size_t traversed = 0, want = rank + 1;

    if (rank >= zsl->length) return NULL;
    for (int i = zsl->level - 1; i >= 0; i--) {
        while (x->level[i].forward && traversed + x->level[i].span <= want) {
            traversed += x->level[i].span;
            x = x->level[i].forward;
        }
        if (traversed == want) return x;
    }
    return NULL;
}

/* Rank walk: the number of nodes for which pred(ud, node) holds, given
 * that pred holds for a prefix of the list. */
typedef int (*node_pred_fn)(const hp_zsl_node_t *x, const void *ud);

static size_t prefix_count(hp_zsl_t *zsl, node_pred_fn pred, const void *ud)
{
    hp_zsl_node_t *x = zsl->header;
    size_t rank = 0;

    for (int i = zsl->level - 1; i >= 0; i--) {
        while (x->level[i].forward && pred(x->level[i].forward, ud)) {
            rank += x->level[i].span;
            x = x->level[i].forward;
        }
    }
    return rank;
}

static int below_min_score(const hp_zsl_node_t *x, const void *ud)
{
    return !hp__zrange_gte_min(x->score, ud);
}

static int upto_max_score(const hp_zsl_node_t *x, const void *ud)
{
    return hp__zrange_lte_max(x->score, ud);
}

static int below_min_lex(const hp_zsl_node_t *x, const void *ud)
{
    return !hp__zlex_gte_min(hp__zsl_ele(x), hp__zsl_len(x), ud);
}

static int upto_max_lex(const hp_zsl_node_t *x, const void *ud)
{
    return hp__zlex_lte_max(hp__zsl_ele(x), hp__zsl_len(x), ud);
}

/* [first, first+count) from the lengths of two prefixes. */
static void span_from(size_t below, size_t upto, size_t *first,
                      size_t *count)
{
    *first = below;
    *count = upto > below ? upto - below : 0;
}

void hp__zsl_span_score(hp_zsl_t *zsl, const hp_zrange_t *r, size_t *first,
                        size_t *count)
{
    span_from(prefix_count(zsl, below_min_score, r),
              prefix_count(zsl, upto_max_score, r), first, count);
}

void hp__zsl_span_lex(hp_zsl_t *zsl, const hp_zlex_t *r, size_t *first,
                      size_t *count)
{
    span_from(prefix_count(zsl, below_min_lex, r),
              prefix_count(zsl, upto_max_lex, r), first, count);
}

size_t hp__zsl_delete_ranks(hp_zsl_t *zsl, size_t first, size_t count,
                            void (*on_delete)(void *, hp_zsl_node_t *),
                            void *ud)
{
    hp_zsl_node_t *update[HP_ZSL_MAXLEVEL];
    hp_zsl_node_t *x = zsl->header, *next;
    size_t traversed = 0, removed = 0;

    if (first >= zsl->length) return 0;
    for (int i = zsl->level - 1; i >= 0; i--) {
        while (x->level[i].forward && traversed + x->level[i].span <= first) {
            traversed += x->level[i].span;
            x = x->level[i].forward;
        }
        update[i] = x;
    }
    x = x->level[0].forward;
    /* Invariants: update[] are the predecessors of x on every level; they
     * stay so as x's successors take its place. */
    while (x && removed < count) {
        next = x->level[0].forward;
        unlink_node(zsl, x, update);
        if (on_delete) on_delete(ud, x);
        zsl->bytes -= hp_malloc_size(x);
        hp_free(x);
        removed++;
        x = next;
    }
    return removed;
}

int hp__zsl_validate(const hp_zsl_t *zsl)
{
    const hp_zsl_node_t *x, *prev = NULL;
    size_t n = 0, bytes = hp_malloc_size(zsl) + hp_malloc_size(zsl->header);

    for (x = zsl->header->level[0].forward; x; x = x->level[0].forward) {
        if (x->backward != prev) return -EINVAL;
        if (!x->ent) return -EINVAL;
        if (prev && !node_before(prev, x->score, hp__zsl_ele(x),
                                 hp__zsl_len(x)))
            return -EINVAL;
        bytes += hp_malloc_size(x);
        prev = x;
        n++;
    }
    if (n != zsl->length || zsl->tail != prev || bytes != zsl->bytes)
        return -EINVAL;
    for (int i = 0; i < zsl->level; i++) {
        size_t rank = 0;

        /* Spans must sum to each node's level-0 rank. */
        for (x = zsl->header; x->level[i].forward; x = x->level[i].forward) {
            const hp_zsl_node_t *y = zsl->header;
            size_t r = 0;

            rank += x->level[i].span;
            while (y != x->level[i].forward) {
                y = y->level[0].forward;
                r++;
            }
            if (r != rank) return -EINVAL;
        }
    }
    return 0;
}
