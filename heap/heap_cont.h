/*
 * heap_cont.h - heap/'s private header for the container building blocks:
 * the listpack (packed array of entries), the quicklist (linked listpacks)
 * and the object bodies of lists and hashes. Private like heap_int.h:
 * only heap/ and its white-box unit tests (HP_INTERNAL) include it.
 */
#ifndef GENCACHE_HEAP_HEAP_CONT_H
#define GENCACHE_HEAP_HEAP_CONT_H

#ifndef HP_INTERNAL
#error "heap_cont.h is private to heap/: include heap.h instead"
#endif

#include "heap.h"

#include <stddef.h>
#include <stdint.h>

/* ---------------------------------------------------------------------
 * Listpack (heap/listpack.c)
 *
 * One allocation holding a sequence of entries, each a byte string or an
 * int64. Layout:
 *
 *   [total u32][count u32] entry entry ... entry [0xFF]
 *   entry = tag [payload] backlen
 *
 * tag (first byte of an entry):
 *   0x00..0x7F  integer 0..127, no payload
 *   0x80..0xBF  string of (tag & 0x3F) bytes, payload the bytes
 *   0xC0        integer, 1-byte two's complement payload
 *   0xC1        integer, 2-byte little-endian payload
 *   0xC2        integer, 4-byte little-endian payload
 *   0xC3        integer, 8-byte little-endian payload
 *   0xC4        string, u16 LE length then the bytes
 *   0xC5        string, u32 LE length then the bytes
 *   0xFF        end marker (not an entry)
 * backlen holds the byte size of tag+payload in 7-bit groups, lowest group
 * in the last byte; a byte with 0x80 set has another group before it. It
 * lets a walker step backwards from the start of the next entry.
 *
 * Strings that are canonical int64 (hp__parse_int) are stored as integers,
 * so reading an entry back yields an integer for them.
 *
 * Invariants: total == bytes from the header to the end marker inclusive
 * (<= the block's size); count == number of entries; every entry decodes
 * and its backlen matches. Entry pointers (unsigned char *) are borrowed:
 * any mutation invalidates them.
 * ------------------------------------------------------------------ */

#define HP_LP_HDR 8
#define HP_LP_END 0xFF
/* Largest string a listpack entry may hold (u32 length). */
#define HP_LP_MAX_STR UINT32_MAX

/* New empty listpack; NULL on OOM. */
unsigned char *hp_lp_new(void);
/* Free a listpack; NULL does nothing. */
void hp_lp_free(unsigned char *lp);
/* The size lp (not NULL) was allocated with, for a sized free of its
 * block, or 0 when it must be freed by hp_lp_free (a shrink failed
 * once, heap/listpack.c). */
size_t hp__lp_alloc_bytes(const unsigned char *lp);
/* Number of entries. */
size_t hp_lp_len(const unsigned char *lp);
/* Bytes in use (header, entries and end marker). */
size_t hp_lp_bytes(const unsigned char *lp);

/* Entry pointers (borrowed, NULL when there is none). hp_lp_seek takes an
 * index, negative counting from the end (-1 last); NULL when out of
 * range. */
unsigned char *hp_lp_first(unsigned char *lp);
unsigned char *hp_lp_last(unsigned char *lp);
unsigned char *hp_lp_next(unsigned char *lp, unsigned char *p);
unsigned char *hp_lp_prev(unsigned char *lp, unsigned char *p);
unsigned char *hp_lp_seek(unsigned char *lp, long index);

/* Decode the entry at p into *e (e->s points into the listpack:
 * borrowed, valid until it changes). */
void hp_lp_get(const unsigned char *p, hp_elem_t *e);
/* Whether the entry at p equals s[0..len) as a string (integers compare
 * by their decimal form). */
int hp_lp_eq(const unsigned char *p, const char *s, size_t len);

/* Insert s[0..len) so that it becomes entry `index` (0 .. len; negative
 * counts from the end, -1 meaning append). *lpp may move. 0, -ENOMEM
 * (unchanged), -ERANGE (bad index) or -E2BIG (string too long). */
int hp_lp_insert(unsigned char **lpp, long index, const char *s, size_t len);
int hp_lp_append(unsigned char **lpp, const char *s, size_t len);
int hp_lp_prepend(unsigned char **lpp, const char *s, size_t len);
/* As hp_lp_insert, for an integer. */
int hp_lp_insert_int(unsigned char **lpp, long index, int64_t v);
/* Replace entry `index` (negative allowed) with s[0..len). 0, -ENOMEM
 * (unchanged), -ERANGE, -E2BIG. */
int hp_lp_replace(unsigned char **lpp, long index, const char *s, size_t len);
/* Delete `count` entries starting at `index` (negative allowed); the
 * range is clipped at the end. Never fails except -ERANGE for a start out
 * of range. Returns the number deleted or -ERANGE. */
long hp_lp_delete(unsigned char **lpp, long index, size_t count);

/* Move entries index.. (0 < index < len) into a new listpack, returned,
 * leaving entries 0..index-1 in *lpp. NULL on OOM (unchanged) or a bad
 * index. */
unsigned char *hp_lp_split(unsigned char **lpp, long index);
/* Append every entry of src to *dst. 0 or -ENOMEM (dst unchanged). */
int hp_lp_merge(unsigned char **dst, const unsigned char *src);

/* First entry at or after p, stepping 1 + skip entries each time, that
 * equals s[0..len); NULL if none. skip 1 looks at every other entry (a
 * hash's fields). */
unsigned char *hp_lp_find(unsigned char *lp, unsigned char *p, const char *s,
                          size_t len, unsigned skip);
/* Index of the entry at p. */
size_t hp_lp_index_of(const unsigned char *lp, const unsigned char *p);

/* Full structural check (tests, gc_debug): 0 or -EINVAL. */
int hp_lp_validate(const unsigned char *lp);

/* ---------------------------------------------------------------------
 * Quicklist (heap/quicklist.c): a doubly linked list of listpack nodes,
 * the body of every list (Redis 7.0 lists are always "quicklist").
 *
 * Invariants: no node is empty; count is the sum of node counts; len the
 * number of nodes; a node exceeds the fill limit only when it holds a
 * single entry (or a split failed for lack of memory).
 *
 * Marks: an entry may be marked by an owner (a list's reference element,
 * heap/ref.c). A node with marked entries keeps them in `marks`, sorted
 * by the entry's index inside the node (NULL when it has none, so a
 * plain list pays one NULL test on a node it already touches). Each mark
 * holds `home`, a slot of the owner that always points at the node
 * holding the entry: the quicklist moves marks along with their entries
 * (inserts and deletes shift offsets inside the node, a split moves them
 * to the new node and rewrites *home), so the owner reaches its entry in
 * O(1) and removes it in O(node size) without knowing its index. When a
 * marked entry is deleted or overwritten by any operation, the quicklist
 * drops the mark and calls hp__ql_mark_gone(home) (implemented by the
 * owner, heap/ref.c), which must not touch the quicklist.
 * Invariants: a node's marks are sorted by strictly increasing off < its
 * count, each with *home == the node; marks is NULL or non-empty.
 * ------------------------------------------------------------------ */

struct hp_ql_node;

typedef struct hp_ql_mark {
    uint32_t off;              /* the entry's index inside its node */
    struct hp_ql_node **home;  /* the owner's slot: points at the node */
} hp_ql_mark_t;

typedef struct hp_ql_marks {
    uint32_t n, cap;
    hp_ql_mark_t v[];
} hp_ql_marks_t;

typedef struct hp_ql_node {
    struct hp_ql_node *prev, *next;
    unsigned char *lp;    /* the entries, never empty */
    uint32_t count;       /* entries in lp */
    hp_ql_marks_t *marks; /* marked entries, NULL when none */
} hp_ql_node_t;

typedef struct hp_ql {
    hp_ql_node_t *head, *tail;
    size_t count; /* entries in all nodes */
    size_t len;   /* nodes */
    int fill;     /* list-max-listpack-size at creation */
} hp_ql_t;

/* New empty quicklist with the given fill (list-max-listpack-size:
 * positive = entries per node, -1..-5 = 4..64 KB per node). NULL on OOM. */
hp_ql_t *hp_ql_new(int fill);
void hp_ql_free(hp_ql_t *ql);
/* Bytes of the quicklist, its nodes and their listpacks. */
size_t hp_ql_mem(const hp_ql_t *ql);
/* Add at the head (where 0) or tail (where 1). 0, -ENOMEM, -E2BIG. */
int hp_ql_push(hp_ql_t *ql, int where, const char *s, size_t len);
/* Locate entry index (negative from the end): its node and entry
 * pointer, and the index inside the node. -ERANGE if out of range. */
int hp_ql_locate(hp_ql_t *ql, long index, hp_ql_node_t **node,
                 unsigned char **p, long *offset);
/* Insert s so that it becomes entry `index` (0..count). */
int hp_ql_insert(hp_ql_t *ql, long index, const char *s, size_t len);
/* Replace entry index. 0, -ERANGE, -ENOMEM, -E2BIG. */
int hp_ql_replace(hp_ql_t *ql, long index, const char *s, size_t len);
/* Delete count entries from index start (0 <= start < count), clipped.
 * Returns the number deleted. */
size_t hp_ql_delete_range(hp_ql_t *ql, size_t start, size_t count);
/* LREM on a quicklist (hp_list_remove). Returns the number removed. */
size_t hp_ql_remove_eq(hp_ql_t *ql, long count, const char *s, size_t len);
/* As hp_ql_remove_eq, calling gone(ud, index) for every entry removed,
 * index being its position in the whole list at the moment it went
 * (marks need no callback: hp__ql_mark_gone hears of marked entries). */
typedef void (*hp_ql_gone_fn)(void *ud, size_t index);
size_t hp_ql_remove_eq_cb(hp_ql_t *ql, long count, const char *s,
                          size_t len, hp_ql_gone_fn gone, void *ud);
/* Structural check, marks included (tests): 0 or -EINVAL. */
int hp_ql_validate(const hp_ql_t *ql);

/* Mark entry off of node n for the owner slot home (*home is set to n).
 * 0 or -ENOMEM (nothing changed). The entry must not be marked yet. */
int hp_ql_mark(hp_ql_node_t *n, uint32_t off, hp_ql_node_t **home);
/* The home of the mark on entry off of node n, or NULL. O(log marks). */
hp_ql_node_t **hp_ql_mark_at(const hp_ql_node_t *n, uint32_t off);
/* Delete the entry marked by home, dropping its mark without calling
 * hp__ql_mark_gone; the node goes when it empties. Visits that node
 * only: O(node size). */
void hp_ql_delete_marked(hp_ql_t *ql, hp_ql_node_t **home);
/* Drop every mark of node n, nobody told (the owner is dropping all its
 * marks at once). */
void hp_ql_node_unmark_all(hp_ql_node_t *n);
/* Entry index (0 <= index < count): its node, its index in the node in
 * *off. Walks from the nearest of the head, the tail and the hint
 * (*hint a node whose first entry is *hint_first, or NULL), and leaves
 * the hint at the node found: in-order lookups are O(1) amortised. */
hp_ql_node_t *hp_ql_seek(hp_ql_t *ql, size_t index, hp_ql_node_t **hint,
                         size_t *hint_first, uint32_t *off);
/* The owner's hook (heap/ref.c): the entry marked by home was deleted
 * or overwritten and its mark dropped. Must not touch the quicklist. */
void hp__ql_mark_gone(hp_ql_node_t **home);
/* Nodes stepped over by lookups and marked deletes (white-box tests). */
extern size_t hp__ql_visits;

/* ---------------------------------------------------------------------
 * Intset (heap/intset.c): the body of small all-integer sets.
 *
 * One block: [width u32][count u32] then count elements of `width` bytes
 * (2, 4 or 8; native byte order, read with memcpy), strictly ascending.
 * width is the smallest that held every value ever added: adding a wider
 * value widens all elements first (it then goes first or last, being
 * below or above all the others); removals never narrow, as Redis.
 * The block is resized to exactly fit on every add and remove.
 * ------------------------------------------------------------------ */

typedef struct hp_intset {
    uint32_t width; /* bytes per element: 2, 4 or 8 */
    uint32_t count;
    unsigned char data[];
} hp_intset_t;

/* New empty intset (width 2). NULL on OOM. */
hp_intset_t *hp_is_new(void);
void hp_is_free(hp_intset_t *is);
size_t hp_is_len(const hp_intset_t *is);
/* Bytes in use (header and elements). */
size_t hp_is_bytes(const hp_intset_t *is);
/* Element i, 0 <= i < count (ascending order). */
int64_t hp_is_get(const hp_intset_t *is, size_t i);
int hp_is_find(const hp_intset_t *is, int64_t v);
/* Add v (*added, may be NULL: 1 new, 0 present). *isp may move. 0 or
 * -ENOMEM (unchanged). */
int hp_is_add(hp_intset_t **isp, int64_t v, int *added);
/* Remove v: 1 removed, 0 absent. Never fails; *isp may move. */
int hp_is_remove(hp_intset_t **isp, int64_t v);
/* A random element; the intset must not be empty. */
int64_t hp_is_random(const hp_intset_t *is);
/* Seed hp_is_random (tests). */
void hp__is_random_seed(uint64_t seed);
/* Structural check (tests): 0 or -EINVAL. */
int hp_is_validate(const hp_intset_t *is);

/* ---------------------------------------------------------------------
 * Dispatch by encoding for container objects (heap/container.c), called
 * by object.c for every encoding that is not a string's.
 * ------------------------------------------------------------------ */

/* Free the body of container object o (not o itself). */
void hp__container_free(hp_obj_t *o);
/* Bytes of o's body (not the header). */
size_t hp__container_mem(const hp_obj_t *o);

#endif /* GENCACHE_HEAP_HEAP_CONT_H */
