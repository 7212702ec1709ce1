/*
 * heap_zset.h - heap/'s private header for sorted sets: the counted B+tree
 * that orders a large zset's members (heap/zbtree.c) and the body of a
 * "skiplist"-encoded zset (heap/zsetobj.c; the encoding keeps Redis's
 * name). Private like heap_int.h: only heap/ and its white-box unit tests
 * (HP_INTERNAL) include it.
 *
 * The tree orders entries by (score, member bytes): scores ascending,
 * equal scores by memcmp of the members, a shorter member first when it is
 * a prefix of the other. An entry is a score and a pointer to the zset
 * dict's entry of the member (entries never move, not even when the dict
 * rehashes), so each member's bytes are stored once.
 *
 * Layout: all leaves are at the same depth and hold up to HP_ZBT_LCAP
 * entries in two parallel arrays (scores contiguous, for a binary search
 * that reads a member only on an equal score), linked both ways in order.
 * An inner node holds up to HP_ZBT_ICAP children, each with the number of
 * entries under it (ranks are sums of those counts), and for every child
 * but the first the smallest key under it (its separator).
 *
 * Invariants (hp__zbt_validate): keys strictly increase along the leaf
 * chain; first/last are the ends of the chain; every inner count is its
 * subtree's entry count and every separator its child's smallest key; a
 * non-root leaf holds >= 1 entry, an inner node >= 2 children; length is
 * the number of entries; bytes == sum of hp_malloc_size of the tree and
 * its nodes (not the member bytes, which belong to the dict entries).
 */
#ifndef GENCACHE_HEAP_HEAP_ZSET_H
#define GENCACHE_HEAP_HEAP_ZSET_H

#ifndef HP_INTERNAL
#error "heap_zset.h is private to heap/: include heap.h instead"
#endif

#include "heap.h"

#include <stddef.h>
#include <stdint.h>

/* Capacities sized so a node fits a 1024-byte block (jemalloc's size
 * class and a glibc chunk alike): a leaf is 24 + 16 per entry = 1016
 * bytes, an inner node 8 + 32 per child = 1000. */
#define HP_ZBT_LCAP 62  /* entries per leaf */
#define HP_ZBT_ICAP 31  /* children per inner node */
#define HP_ZBT_MAXH 24  /* inner levels at most (far above any real tree) */

typedef struct hp_zbt_leaf hp_zbt_leaf_t;

/* 16 bytes per entry plus 24 per node (1016 bytes for 62 entries). */
struct hp_zbt_leaf {
    uint32_t n;                           /* entries in use */
    double score[HP_ZBT_LCAP];
    hp_dict_entry_t *ent[HP_ZBT_LCAP];    /* members, borrowed */
    hp_zbt_leaf_t *prev, *next;           /* neighbours in order */
};

/* One child of an inner node: the node and the entries under it. */
typedef struct hp_zbt_kid {
    void *node;  /* hp_zbt_inner_t, or hp_zbt_leaf_t on the last level */
    size_t count;
} hp_zbt_kid_t;

typedef struct hp_zbt_inner {
    uint32_t n;                            /* children in use */
    double score[HP_ZBT_ICAP];             /* separators; [0] unused */
    hp_zbt_kid_t kid[HP_ZBT_ICAP];
    hp_dict_entry_t *ent[HP_ZBT_ICAP];     /* separators' members */
} hp_zbt_inner_t;

typedef struct hp_zbt {
    void *root;           /* a leaf when height is 0 (maybe empty) */
    hp_zbt_leaf_t *first; /* leaf chain ends */
    hp_zbt_leaf_t *last;
    size_t length;        /* entries */
    int height;           /* inner levels above the leaves */
    size_t bytes;         /* usable bytes of the tree and its nodes */
} hp_zbt_t;

/* A position: entry i of a leaf (leaf NULL: none). */
typedef struct hp_zbt_pos {
    hp_zbt_leaf_t *leaf;
    unsigned i;
} hp_zbt_pos_t;

/* New empty tree, NULL on OOM. */
hp_zbt_t *hp__zbt_new(void);
/* Free every node and the tree (not the members' entries); NULL does
 * nothing. */
void hp__zbt_free(hp_zbt_t *t);

/* Insert (score, ent's key), which must not be present; ent is borrowed
 * and must outlive its entry in the tree. 0 or -ENOMEM (unchanged). */
int hp__zbt_insert(hp_zbt_t *t, double score, hp_dict_entry_t *ent);
/* Delete (score, ele): 0 or -ENOENT. */
int hp__zbt_delete(hp_zbt_t *t, double score, const char *ele, size_t len);
/* Move (curscore, ele), which must exist, to newscore; in place when the
 * order does not change. 0 or -ENOMEM (unchanged). */
int hp__zbt_update_score(hp_zbt_t *t, double curscore, const char *ele,
                         size_t len, double newscore);
/* 1-based rank of (score, ele), 0 when absent. */
size_t hp__zbt_rank(hp_zbt_t *t, double score, const char *ele, size_t len);
/* Position of 0-based rank in *pos: 0, or -ERANGE (pos->leaf NULL). */
int hp__zbt_at(const hp_zbt_t *t, size_t rank, hp_zbt_pos_t *pos);
/* 0-based rank of the first entry whose score is in r, and how many
 * consecutive entries are (0 when none). */
void hp__zbt_span_score(const hp_zbt_t *t, const hp_zrange_t *r,
                        size_t *first, size_t *count);
/* As above, comparing members with the lex range (scores ignored). */
void hp__zbt_span_lex(const hp_zbt_t *t, const hp_zlex_t *r, size_t *first,
                      size_t *count);
/* Remove count entries from 0-based rank first (clipped). For each one,
 * once the tree no longer holds it, on_delete(ud, ent) is called (NULL:
 * none); on_delete may free ent. Returns the number removed. */
size_t hp__zbt_delete_ranks(hp_zbt_t *t, size_t first, size_t count,
                            void (*on_delete)(void *, hp_dict_entry_t *),
                            void *ud);
/* Structural check (tests): 0 or -EINVAL. */
int hp__zbt_validate(const hp_zbt_t *t);

/* Position of the first entry (leaf NULL when empty). */
static inline hp_zbt_pos_t hp__zbt_first(const hp_zbt_t *t)
{
    hp_zbt_pos_t p = {t->length ? t->first : NULL, 0};

    return p;
}

/* Step *p to the next entry (leaf NULL past the end). */
static inline void hp__zbt_next(hp_zbt_pos_t *p)
{
    if (++p->i < p->leaf->n) return;
    p->leaf = p->leaf->next;
    p->i = 0;
}

/* Step *p to the previous entry (leaf NULL before the start). */
static inline void hp__zbt_prev(hp_zbt_pos_t *p)
{
    if (p->i > 0) {
        p->i--;
        return;
    }
    p->leaf = p->leaf->prev;
    p->i = p->leaf ? p->leaf->n - 1 : 0;
}

/* Score, member entry (borrowed), member bytes and length at p. */
static inline double hp__zbt_score(hp_zbt_pos_t p)
{
    return p.leaf->score[p.i];
}

static inline hp_dict_entry_t *hp__zbt_ent(hp_zbt_pos_t p)
{
    return p.leaf->ent[p.i];
}

static inline const char *hp__zbt_ele(hp_zbt_pos_t p)
{
    return p.leaf->ent[p.i]->key;
}

static inline size_t hp__zbt_len(hp_zbt_pos_t p)
{
    return p.leaf->ent[p.i]->keylen;
}

/* Member order: <0, 0, >0 as memcmp, shorter first on a common prefix. */
int hp__zset_cmp(const char *a, size_t alen, const char *b, size_t blen);
/* Lex range tests on a member. */
int hp__zlex_gte_min(const char *s, size_t len, const hp_zlex_t *r);
int hp__zlex_lte_max(const char *s, size_t len, const hp_zlex_t *r);
/* Score range tests. */
int hp__zrange_gte_min(double v, const hp_zrange_t *r);
int hp__zrange_lte_max(double v, const hp_zrange_t *r);

/* Body of a "skiplist" zset: the member -> score dict (entry v.d), which
 * owns the member bytes, and the ordered tree, whose entries point at the
 * dict entries. */
typedef struct hp_zset_sl {
    hp_dict_t *dict;
    hp_zbt_t *tree;
} hp_zset_sl_t;

/* Free a skiplist zset body (container.c). */
void hp__zset_sl_free(hp_zset_sl_t *zs);
/* Bytes of a skiplist zset body (container.c). */
size_t hp__zset_sl_mem(const hp_zset_sl_t *zs);

#endif /* GENCACHE_HEAP_HEAP_ZSET_H */
