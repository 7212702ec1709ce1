/*
 * heap_int.h - heap/'s private header: the allocation seam, struct bodies
 * and the invariants each file keeps. Only heap/ itself and heap's unit
 * tests (white-box) may include it; they define HP_INTERNAL to do so.
 * The design is explained in heap/README.md.
 */
#ifndef GENCACHE_HEAP_HEAP_INT_H
#define GENCACHE_HEAP_HEAP_INT_H

#ifndef HP_INTERNAL
#error "heap_int.h is private to heap/: include heap.h instead"
#endif

#include "heap.h"

#include <stddef.h>
#include <stdint.h>

/* ---------------------------------------------------------------------
 * The allocation seam (heap/alloc.c)
 *
 * The only calls into the libc allocator that can fail. They live alone in
 * alloc.c and are called only from mem.c, so a test linked with
 * -Wl,--wrap=hp__alloc (and hp__calloc, hp__realloc) sees every
 * allocation the heap makes and can fail the n-th one.
 * ------------------------------------------------------------------ */

void *hp__alloc(size_t n);
void *hp__calloc(size_t count, size_t n);
void *hp__realloc(void *p, size_t n);

/* The calling thread's own allocation counter (mem.c): bytes it
 * allocated less bytes it freed, modulo 2^64. The difference of two
 * reads is what the thread took (or, negated, gave back) in between,
 * whatever other threads do; cheaper than hp_mem_used, which sums every
 * thread's counter. */
size_t hp__mem_local(void);
/* Free p, a block from hp_malloc(n) or hp_calloc(1, n), or last
 * resized by hp_realloc(p, n) (n: the bytes asked for last), as hp_free
 * does; cheaper under jemalloc, whose sized free needs no lookup of the
 * block (jemalloc gives a block exactly its request's size class, also
 * when resizing). Any thread. */
void hp__free_sized(void *p, size_t n);
/* Free three blocks at once (p2 may be NULL: two), each asked for as
 * the bytes after it: as hp__free_sized each, with one update of the
 * thread's counter when the sizes' classes are known (the collector
 * frees its usual garbage object, three blocks, so). Any thread. */
void hp__free_sized3(void *p0, size_t n0, void *p1, size_t n1, void *p2,
                     size_t n2);
/* Whether blocks are freed sized (jemalloc serves malloc): a free then
 * costs no lookup, and blocks may be any size class without glibc's
 * fast-bin concerns. */
int hp__mem_sized(void);

/* ---------------------------------------------------------------------
 * Objects (heap/object.c, heap/string.c)
 *
 * Invariants:
 * - refcount >= 1 for a live object, or HP_REFCOUNT_IMMORTAL for the
 *   shared integers, which live in a static array and are never freed.
 * - HP_ENC_INT: v.i is the value; the block may be larger than the
 *   header (an embstr that was set to an int keeps its block).
 * - HP_ENC_EMBSTR: v.len bytes follow the header, then a NUL, all in the
 *   object's block: hp_malloc_size(o) >= sizeof(*o) + v.len + 1.
 * - HP_ENC_RAW: v.ptr is an hp_rawbuf_t owned by the object alone.
 * ------------------------------------------------------------------ */

/* Body of a raw string: the length, then the bytes and a NUL. The
 * capacity is not stored: it is whatever the block can hold
 * (hp__rawbuf_cap), so greedy growth costs no header bytes. */
typedef struct hp_rawbuf {
    uint64_t len; /* bytes in buf, excluding the NUL */
    char buf[];   /* len bytes, NUL, then spare capacity */
} hp_rawbuf_t;

/* Bytes an hp_rawbuf_t block can hold, excluding the NUL. */
size_t hp__rawbuf_cap(const hp_rawbuf_t *rb);

/* The embedded bytes of an embstr object. */
static inline char *hp__emb_bytes(hp_obj_t *o)
{
    return (char *)(o + 1);
}

/* Borrowed: the shared immortal integer v (0 <= v < HP_SHARED_INTEGERS),
 * set up at first use; never fails. */
hp_obj_t *hp__shared_int(int64_t v);

/* Object flag: the object's block starts HP_OBJ_PREFIX bytes before its
 * header, with a slot for its side record (heap_ref.h). hp__obj_alloc
 * gives one to every container (encoding >= HP_ENC_LISTPACK), so the
 * collector reaches a container's side record without hashing; strings
 * have none (their side record, when they are weak targets, is found
 * through ref.c's address table). The bit never changes after
 * hp__obj_alloc. */
#define HP_OF_PREFIX 0x0002
#define HP_OBJ_PREFIX sizeof(void *)

/* The prefix slot of an object with HP_OF_PREFIX (its side record or
 * NULL), the start of its block. Borrowed. (Integer arithmetic: the
 * compiler sees o as an hp_obj_t, and would warn of bytes before it.) */
static inline void **hp__obj_prefix(const hp_obj_t *o)
{
    return (void **)((uintptr_t)o - HP_OBJ_PREFIX);
}

/* The block o was allocated as (what hp_free and hp_malloc_size take):
 * o itself, or the prefix in front of it. Borrowed. */
static inline void *hp__obj_block(const hp_obj_t *o)
{
    if (o->flags & HP_OF_PREFIX) return hp__obj_prefix(o);
    return (void *)o;
}

/* A container's block is always this many bytes (hp__obj_alloc). */
#define HP_OBJ_CONTAINER_BLOCK (HP_OBJ_PREFIX + sizeof(hp_obj_t))

/* Free o's block (what hp__obj_block gives): sized for a container,
 * whose block size is fixed. */
static inline void hp__obj_block_free(hp_obj_t *o)
{
    if (o->flags & HP_OF_PREFIX)
        hp__free_sized(hp__obj_prefix(o), HP_OBJ_CONTAINER_BLOCK);
    else
        hp_free(o);
}

/* Allocate a bare object header of `bytes` bytes (>= sizeof(hp_obj_t)),
 * refcount 1, type string. Container encodings (>= HP_ENC_LISTPACK) get
 * the side-record prefix in front of the header (HP_OF_PREFIX), and
 * their `bytes` must be sizeof(hp_obj_t) (HP_OBJ_CONTAINER_BLOCK). Free it
 * with hp__obj_discard (never hp_free: the block may start before o).
 * NULL on OOM. */
hp_obj_t *hp__obj_alloc(size_t bytes, uint8_t encoding);
/* Free the header of an hp__obj_alloc object that never got a body (a
 * constructor's OOM path), keeping the live-object counts exact. */
void hp__obj_discard(hp_obj_t *o);
/* o dies (refcount zero): it leaves the live-object counts (object.c and
 * the deferred-free queue call it once per object). */
void hp__obj_count_dead(const hp_obj_t *o);

/* Parse a canonical int64 (no sign '+', no leading zeros, no spaces,
 * not "-0", 1..20 chars). 0 or -EINVAL. */
int hp__parse_int(const char *s, size_t len, int64_t *out);
/* Removal of one element that leaves a hashtable's size alone (weak
 * clearing runs in the collector, which allocates nothing); the public
 * hp_set_remove, hp_hash_del and hp_zset_remove start shrinking a table
 * left under 10% full, as Redis. 1/0 (set), 0/-ENOENT (hash, zset). */
int hp__set_remove_keep(hp_obj_t *o, const char *s, size_t len);
int hp__hash_del_keep(hp_obj_t *o, const char *f, size_t flen);
int hp__zset_remove_keep(hp_obj_t *o, const char *m, size_t len);
/* hp_zset_delete_ranks leaving the table's size alone (deferred
 * freeing takes a dead body apart): the number deleted. */
size_t hp__zset_delete_ranks_keep(hp_obj_t *o, size_t first, size_t count);

/* Format v in decimal into buf (HP_INT_BUF bytes); returns the length. */
size_t hp__format_int(int64_t v, char *buf);

/* ---------------------------------------------------------------------
 * Hash table (heap/dict.c)
 *
 * Invariants:
 * - table[t] is NULL and exp[t] == -1, or table[t] has 1 << exp[t]
 *   bucket pointers; used[t] counts the entries chained from it.
 * - rehash_idx == -1 when not rehashing, and then table[1] == NULL.
 *   While rehashing, buckets of table[0] below rehash_idx are empty and
 *   every new entry goes to table[1].
 * - Rehash steps never run while pause_rehash > 0 (safe iterators).
 * - entry_bytes is the sum of hp_malloc_size of every entry.
 * ------------------------------------------------------------------ */

/* Check those invariants (and each entry's bucket): 0 or -EINVAL. */
int hp__dict_validate(const hp_dict_t *d);

struct hp_dict {
    const hp_dict_type_t *type; /* borrowed, outlives the dict */
    hp_dict_entry_t **table[2]; /* bucket arrays, chains via next */
    size_t used[2];             /* entries in each table */
    int8_t exp[2];              /* log2 of the bucket count, -1 none */
    int32_t pause_rehash;       /* safe iterators alive */
    int64_t rehash_idx;         /* next table[0] bucket to move, or -1 */
    size_t entry_bytes;         /* usable bytes of all entries */
};

/* Smallest table (buckets), as Redis's DICT_HT_INITIAL_SIZE. */
#define HP_DICT_MIN_EXP 2
/* A table is sparse below this fill percentage (hp_dict_shrink_if_sparse). */
#define HP_DICT_MIN_FILL 10
/* Entries sampled by hp_dict_fair_random. */
#define HP_DICT_FAIR_SAMPLE 15

/* Move up to n buckets of table[0] to table[1] (visiting at most 10n
 * empty ones). Returns 1 if rehashing is still under way. */
int hp__dict_rehash(hp_dict_t *d, int n);

/* Whether the dict is rehashing (white-box tests). */
static inline int hp__dict_is_rehashing(const hp_dict_t *d)
{
    return d->rehash_idx != -1;
}

/* Seed the dict's private random generator (tests: repeatable runs). */
void hp__dict_random_seed(uint64_t seed);

/* ---------------------------------------------------------------------
 * Hashing (heap/hash.c)
 * ------------------------------------------------------------------ */

/* SipHash-c-d of in[0..len) under the 16-byte key k. hp_hash uses c=1,
 * d=2 (as Redis); other rounds exist to check against the reference
 * SipHash-2-4 test vectors. */
uint64_t hp__siphash(const void *in, size_t len, const uint8_t k[16],
                     int crounds, int drounds);

#endif /* GENCACHE_HEAP_HEAP_INT_H */
