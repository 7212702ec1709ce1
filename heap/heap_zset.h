/*
 * heap_zset.h - heap/'s private header for sorted sets: the skiplist with
 * rank spans (heap/skiplist.c) and the body of a "skiplist"-encoded zset
 * (heap/zsetobj.c). Private like heap_int.h: only heap/ and its white-box
 * unit tests (HP_INTERNAL) include it.
 *
 * The skiplist orders nodes by (score, member bytes): scores ascending,
 * equal scores by memcmp of the members, a shorter member first when it is
 * a prefix of the other. Each level's forward pointer carries a span: how
 * many level-0 steps it skips, so the rank of a node is the sum of the
 * spans walked to reach it from the header. Level probability is 1/4,
 * at most HP_ZSL_MAXLEVEL levels (as Redis's t_zset.c, from Pugh's paper).
 *
 * Invariants: length == nodes linked at level 0; tail is the last node or
 * NULL; every node's backward is its level-0 predecessor (NULL for the
 * first); for every level the spans from the header sum to the rank of the
 * node reached; bytes == sum of hp_malloc_size of the nodes and header
 * (not the member bytes, which belong to the dict entries).
 */
#ifndef GENCACHE_HEAP_HEAP_ZSET_H
#define GENCACHE_HEAP_HEAP_ZSET_H

#ifndef HP_INTERNAL
#error "heap_zset.h is private to heap/: include heap.h instead"
#endif

#include "heap.h"

#include <stddef.h>
#include <stdint.h>

#define HP_ZSL_MAXLEVEL 32
#define HP_ZSL_P 0.25

typedef struct hp_zsl_node hp_zsl_node_t;

typedef struct hp_zsl_level {
    hp_zsl_node_t *forward;
    size_t span; /* level-0 steps to forward (0 when forward is NULL at
                    the end, per level) */
} hp_zsl_level_t;

/* 24 bytes before the level array, as Redis's zskiplistNode. The member
 * bytes are not copied: they are the key of the zset dict's entry for it
 * (entries never move, not even when the dict rehashes), so each member is
 * stored once. A node's level count is not kept either: it is the number
 * of levels on which its predecessors point at it. */
struct hp_zsl_node {
    double score;
    hp_dict_entry_t *ent;     /* the member: ent->key, ent->keylen; borrowed,
                                 outlives the node; NULL in the header */
    hp_zsl_node_t *backward;
    hp_zsl_level_t level[];   /* the node's levels */
};

typedef struct hp_zsl {
    hp_zsl_node_t *header; /* sentinel with HP_ZSL_MAXLEVEL levels */
    hp_zsl_node_t *tail;
    size_t length;         /* nodes, not counting the header */
    int level;             /* highest level in use, >= 1 */
    size_t bytes;          /* usable bytes of header and nodes */
} hp_zsl_t;

/* Score range for rank searches; exclusive flags as "(" in ZRANGEBYSCORE. */
typedef hp_zrange_t hp_zsl_range_t;

/* New empty skiplist, NULL on OOM. */
hp_zsl_t *hp__zsl_new(void);
/* Free every node and the list (not the members' entries); NULL does
 * nothing. */
void hp__zsl_free(hp_zsl_t *zsl);
/* Member bytes of node x (borrowed from its dict entry, NUL ended). */
static inline const char *hp__zsl_ele(const hp_zsl_node_t *x)
{
    return x->ent->key;
}

/* Member length of node x. */
static inline size_t hp__zsl_len(const hp_zsl_node_t *x)
{
    return x->ent->keylen;
}

/* Insert (score, ent's key) which must not be present. ent is borrowed and
 * must outlive the node. Returns the new node (borrowed) or NULL on OOM
 * (unchanged). */
hp_zsl_node_t *hp__zsl_insert(hp_zsl_t *zsl, double score,
                              hp_dict_entry_t *ent);
/* Delete the node (score, ele): 0 or -ENOENT. */
int hp__zsl_delete(hp_zsl_t *zsl, double score, const char *ele, size_t len);
/* Move node (curscore, ele), which must exist, to newscore; reuses the
 * node, never allocates. Returns the node. */
hp_zsl_node_t *hp__zsl_update_score(hp_zsl_t *zsl, double curscore,
                                    const char *ele, size_t len,
                                    double newscore);
/* 1-based rank of (score, ele), 0 when absent. */
size_t hp__zsl_rank(hp_zsl_t *zsl, double score, const char *ele,
                    size_t len);
/* Node at 0-based rank, or NULL when out of range. O(log n). */
hp_zsl_node_t *hp__zsl_at(hp_zsl_t *zsl, size_t rank);
/* 0-based rank of the first node whose score is in r, and how many
 * consecutive nodes are (0 when none). */
void hp__zsl_span_score(hp_zsl_t *zsl, const hp_zrange_t *r, size_t *first,
                        size_t *count);
/* As above, comparing members with the lex range (scores ignored). */
void hp__zsl_span_lex(hp_zsl_t *zsl, const hp_zlex_t *r, size_t *first,
                      size_t *count);
/* Unlink and free count nodes from 0-based rank first (clipped). For each
 * one, once unlinked and before it is freed, on_delete(ud, node) is called
 * (NULL: none); on_delete may free the node's entry.
 * Returns the number deleted. */
size_t hp__zsl_delete_ranks(hp_zsl_t *zsl, size_t first, size_t count,
                            void (*on_delete)(void *, hp_zsl_node_t *),
                            void *ud);
/* Structural check (tests): 0 or -EINVAL. */
int hp__zsl_validate(const hp_zsl_t *zsl);
/* Seed the level generator (tests: repeatable shapes). */
void hp__zsl_seed(uint64_t seed);

/* Member order: <0, 0, >0 as memcmp, shorter first on a common prefix. */
int hp__zset_cmp(const char *a, size_t alen, const char *b, size_t blen);
/* Lex range tests on a member. */
int hp__zlex_gte_min(const char *s, size_t len, const hp_zlex_t *r);
int hp__zlex_lte_max(const char *s, size_t len, const hp_zlex_t *r);
/* Score range tests. */
int hp__zrange_gte_min(double v, const hp_zrange_t *r);
int hp__zrange_lte_max(double v, const hp_zrange_t *r);

/* Body of a "skiplist" zset: the member -> score dict (entry v.d), which
 * owns the member bytes, and the ordered skiplist, whose nodes point at
 * the dict entries. */
typedef struct hp_zset_sl {
    hp_dict_t *dict;
    hp_zsl_t *zsl;
} hp_zset_sl_t;

/* Free a skiplist zset body (container.c). */
void hp__zset_sl_free(hp_zset_sl_t *zs);
/* Bytes of a skiplist zset body (container.c). */
size_t hp__zset_sl_mem(const hp_zset_sl_t *zs);

#endif /* GENCACHE_HEAP_HEAP_ZSET_H */
