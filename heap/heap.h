/*
 * heap.h - the object heap: accounted allocation, refcounted objects and
 * their encodings, and the hash table every keyed structure is built on.
 * Knows nothing of RESP, clients or libuv (ARCHITECTURE.md, HEAP.md).
 *
 * Threads: objects and dicts belong to the executor thread; refcounts are
 * plain integers, never atomics. Only the accounted allocator (hp_malloc
 * and friends, hp_mem_used) may be used from any thread: each thread counts
 * in its own slot, summed on read (heap/mem.c).
 *
 * Errors: constructors return NULL on out-of-memory; functions that can fail
 * return 0 or a negative errno (-ENOMEM, -EINVAL, -ERANGE). Nothing here
 * aborts on allocation failure.
 */
#ifndef GENCACHE_HEAP_HEAP_H
#define GENCACHE_HEAP_HEAP_H

#include <stddef.h>
#include <stdint.h>

/* ---------------------------------------------------------------------
 * Accounted allocation (heap/alloc.c: the OOM-injection seam hp__alloc)
 * ------------------------------------------------------------------ */

/* Like malloc/calloc/realloc/free, counting the usable size of every block
 * (malloc_usable_size) in hp_mem_used(). NULL on failure; hp_free(NULL) and
 * hp_realloc(NULL, n) behave as libc's. Any thread. */
void *hp_malloc(size_t n);
void *hp_calloc(size_t count, size_t n);
void *hp_realloc(void *p, size_t n);
void hp_free(void *p);
/* Usable size of a block from hp_malloc. */
size_t hp_malloc_size(const void *p);
/* Bytes currently allocated through the functions above. Any thread. */
size_t hp_mem_used(void);
/* Largest hp_mem_used() seen since start (used_memory_peak). */
size_t hp_mem_peak(void);
/* Name of the allocator for INFO mem_allocator ("libc" or "jemalloc-x"). */
const char *hp_mem_allocator(void);
/* jemalloc's background purging thread on or off (jemalloc-bg-thread).
 * Threads started here run at SCHED_IDLE, nice 19 (heap/jemalloc.c).
 * 0, -ENOTSUP when malloc is not jemalloc, or a negative errno. */
int hp_mem_background_thread(int on);
/* Whether that thread is on (0 when malloc is not jemalloc). */
int hp_mem_background_thread_on(void);
/* Whether a free that leaves 8 MB or more of adjacent free pages in the
 * calling thread's jemalloc arena purges them at once, inside that free
 * (on 1: jemalloc's default), or leaves them to the decay schedule and the
 * background thread like all other free pages (0). Call it from the
 * executor. 0, -ENOTSUP when malloc is not jemalloc, or a negative errno
 * (-ENOENT: a jemalloc before 5.3, which has no such control). */
int hp_mem_eager_purge(int on);
/* Tell the allocator whether the executor is freeing in bulk (a
 * collection's freeing phase, the deferred-free queue, a keyspace flushed
 * ASYNC): call it from the executor after each turn of such work, with
 * busy 0 once it is done. Under jemalloc, once busy for 10 ms, the
 * calling thread's arena is not purged (dirty_decay_ms -1), so no purging
 * thread holds the locks the executor's frees take; at busy 0, or after
 * 30 s of one hold, its configured decay time is back (no purge in this
 * call: the kept pages go back over that time), and no new hold starts
 * for as long as the last one lasted (1 s at least). now_us: a monotonic
 * clock. Cheap when nothing changes. 0, or a negative errno from
 * jemalloc; 0 under libc (nothing to do). */
int hp_mem_bulk_freeing(int busy, uint64_t now_us);
/* Whether hp_mem_bulk_freeing holds the arena's purging now. */
int hp_mem_bulk_hold_on(void);
/* Give free pages back to the system (MEMORY PURGE): jemalloc's dirty
 * pages of every arena, or glibc's malloc_trim. Any thread. */
void hp_mem_purge(void);

/* ---------------------------------------------------------------------
 * Objects
 * ------------------------------------------------------------------ */

enum hp_type {
    HP_TYPE_STRING = 0,
    HP_TYPE_LIST = 1,
    HP_TYPE_SET = 2,
    HP_TYPE_ZSET = 3,
    HP_TYPE_HASH = 4,
};

enum hp_encoding {
    HP_ENC_RAW = 0,    /* "raw": header + separately allocated buffer */
    HP_ENC_INT = 1,    /* "int": the value is v.i */
    HP_ENC_EMBSTR = 2, /* "embstr": bytes follow the header, one block */
    HP_ENC_LISTPACK = 3,  /* "listpack": hashes/zsets (heap_cont.h) */
    HP_ENC_QUICKLIST = 4, /* "quicklist": every list (Redis 7.0) */
    HP_ENC_HASHTABLE = 5, /* "hashtable": big hashes (hp_dict_t) */
    HP_ENC_INTSET = 6,    /* "intset": small all-integer sets */
    HP_ENC_SKIPLIST = 7,  /* "skiplist": big zsets (heap/zsetobj.c) */
    /* later: intset, skiplist */
};

/* Refcount of immortal shared objects: incref/decref leave it alone. */
#define HP_REFCOUNT_IMMORTAL UINT32_MAX

/* Largest string stored embedded (Redis OBJ_ENCODING_EMBSTR_SIZE_LIMIT). */
#define HP_EMBSTR_MAX 44

/* Shared immortal integers 0 .. HP_SHARED_INTEGERS-1 (Redis's 10000). */
#define HP_SHARED_INTEGERS 10000

/* Room for any int64 in decimal plus NUL. */
#define HP_INT_BUF 24

/* The object header. Fields are public for speed (the server reads type
 * and encoding); only heap/ writes them. Bodies by encoding live in
 * heap_int.h. */
typedef struct hp_obj {
    uint32_t refcount; /* strong holds; HP_REFCOUNT_IMMORTAL for shared */
    uint8_t type;      /* enum hp_type */
    uint8_t encoding;  /* enum hp_encoding */
    uint16_t flags;    /* HP_OF_* (heap-private bits) */
    union {
        int64_t i; /* HP_ENC_INT */
        void *ptr; /* other encodings: the body */
        uint64_t len; /* HP_ENC_EMBSTR: length of the bytes that follow */
    } v;
} hp_obj_t;

/* Take a strong reference. No-op on NULL and immortal objects. */
void hp_incref(hp_obj_t *o);
/* Drop a strong reference; frees the object when it was the last. No-op on
 * NULL and immortal objects. */
void hp_decref(hp_obj_t *o);

/* "string", "list", "set", "zset", "hash" (TYPE command). */
const char *hp_type_name(const hp_obj_t *o);
/* Redis's OBJECT ENCODING name: "int", "embstr", "raw", ... */
const char *hp_encoding_name(const hp_obj_t *o);
/* Bytes this object occupies (header, body, elements), for MEMORY USAGE
 * and INFO. */
size_t hp_obj_mem(const hp_obj_t *o);
/* Live objects, and live containers among them (INFO heap_objects,
 * heap_container_objects); shared integers and dead bodies waiting in
 * the deferred-free queue are not counted. */
size_t hp_obj_count(void);
size_t hp_obj_container_count(void);

/* ---------------------------------------------------------------------
 * Strings (heap/string.c)
 * ------------------------------------------------------------------ */

/* New reference: a string holding a copy of s[0..len), embstr when
 * len <= HP_EMBSTR_MAX, else raw. Never int-encoded (see
 * hp_str_new_encoded). NULL on OOM. */
hp_obj_t *hp_str_new(const char *s, size_t len);

/* New reference: as hp_str_new, but a string that is a canonical int64
 * (resp_str2ll rules, at most 20 chars) becomes int-encoded, and 0..9999
 * the shared immortal object, as Redis's tryObjectEncoding does. Use for
 * values that are stored (SET, MSET, ...). NULL on OOM. */
hp_obj_t *hp_str_new_encoded(const char *s, size_t len);

/* New reference: an int-encoded string (shared when 0..9999). */
hp_obj_t *hp_str_new_int(int64_t v);

/* New reference: a raw string of len bytes, all zero (SETRANGE, APPEND
 * building blocks). */
hp_obj_t *hp_str_new_zeroed(size_t len);

/* Length in bytes of the string's value (int encodings: its decimal). */
size_t hp_str_len(const hp_obj_t *o);

/* The bytes of any string encoding: int values are formatted into buf
 * (HP_INT_BUF bytes, caller's). Stores the length in *len. Borrowed: valid
 * until o changes or buf goes. */
const char *hp_str_bytes(const hp_obj_t *o, char *buf, size_t *len);

/* Prefetch the first bytes of o's body when it is not inside the object
 * (a raw string's buffer, a container's body). Read-only; o borrowed. */
void hp_obj_prefetch_body(const hp_obj_t *o);

/* Store the value as int64 in *out if the string is one (int encoding, or
 * bytes that parse as a canonical int64). 0 or -EINVAL. */
int hp_str_get_int(const hp_obj_t *o, int64_t *out);

/* In-place mutators. o must be a string that is not immortal. They keep the
 * object's identity (address), converting its encoding when needed, so
 * every holder sees the change. 0, -ENOMEM (o unchanged) or -EINVAL. */
int hp_str_append(hp_obj_t *o, const char *s, size_t len);
int hp_str_setrange(hp_obj_t *o, size_t offset, const char *s, size_t len);
int hp_str_set_int(hp_obj_t *o, int64_t v); /* becomes int-encoded */
int hp_str_set(hp_obj_t *o, const char *s, size_t len);
/* Write access to o's bytes (SETBIT, BITFIELD, BITOP): makes o raw and, if
 * shorter than minlen, zero-pads it to minlen bytes. *bytes gets the
 * buffer (hp_str_len(o) bytes, borrowed, valid until o changes). 0,
 * -ENOMEM (o unchanged) or -EINVAL. */
int hp_str_writable(hp_obj_t *o, size_t minlen, char **bytes);

/* True if o is a shared immortal object (never mutate those in place). */
int hp_obj_is_shared(const hp_obj_t *o);

/* ---------------------------------------------------------------------
 * Hash table (heap/dict.c): chained, power-of-two sizes, incremental
 * rehashing, reverse-binary SCAN cursor (as Redis's dict.c), keys are byte
 * strings stored inside the entry.
 * ------------------------------------------------------------------ */

typedef struct hp_dict_entry {
    struct hp_dict_entry *next; /* chain; heap-private */
    union {
        void *ptr;
        int64_t i;
        double d;
    } v;                        /* the caller's value */
    uint32_t keylen;            /* bytes of key */
    uint32_t meta;              /* the caller's (keyspace: LRU/LFU clock) */
    char key[];                 /* keylen bytes, then a NUL */
} hp_dict_entry_t;

typedef struct hp_dict_type {
    /* Called with v.ptr when an entry is deleted or the dict cleared; NULL
     * for none. */
    void (*val_free)(void *ptr);
} hp_dict_type_t;

typedef struct hp_dict hp_dict_t;

/* New dict, NULL on OOM. type is borrowed and must outlive the dict. */
hp_dict_t *hp_dict_new(const hp_dict_type_t *type);
/* Free every entry (calling val_free) and the dict. NULL: no-op. */
void hp_dict_free(hp_dict_t *d);
/* Remove every entry (calling val_free), keep the dict. */
void hp_dict_clear(hp_dict_t *d);
/* For a dict nobody uses any more (a flushed keyspace), freed in slices:
 * free up to max entries (calling val_free), resuming at bucket *pos
 * (start at 0; the caller keeps it between calls). Returns the entries
 * left; at 0, hp_dict_free(d) has nothing more to do. d must not be
 * used otherwise meanwhile (rehashing stops). */
size_t hp_dict_clear_some(hp_dict_t *d, size_t *pos, size_t max);
size_t hp_dict_size(const hp_dict_t *d);
/* Bytes used by the table and entries (not the values). */
size_t hp_dict_mem(const hp_dict_t *d);

/* The entry for key, or NULL. Borrowed: valid until the dict changes.
 * Does one incremental rehash step when rehashing. */
hp_dict_entry_t *hp_dict_find(hp_dict_t *d, const char *key, size_t len);

/* Batched lookups without stalls (read-only: no rehash step, nothing
 * written, so the dict must not change between the steps). For several
 * keys, first hp_dict_prefetch_slot on each key's hp_hash (prefetches
 * its bucket), then hp_dict_prefetch_chain on each hash (prefetches the
 * chain's first entry), then hp_dict_peek on each (borrowed entry or
 * NULL); each step finds the memory it reads loaded by the step before.
 * Every dict hashes keys with hp_hash, so one hash serves several dicts. */
void hp_dict_prefetch_slot(const hp_dict_t *d, uint64_t h);
void hp_dict_prefetch_chain(const hp_dict_t *d, uint64_t h);
hp_dict_entry_t *hp_dict_peek(const hp_dict_t *d, const char *key,
                              size_t len, uint64_t h);

/* Find or insert key. Returns the entry (a new one has v zeroed and meta
 * 0) and sets *existed to 1 if it was already there, 0 if inserted; NULL
 * on OOM (nothing changed). Borrowed entry, valid until the dict changes.*/
hp_dict_entry_t *hp_dict_add(hp_dict_t *d, const char *key, size_t len,
                             int *existed);

/* Delete key, calling val_free on its value. 0, or -ENOENT. */
int hp_dict_delete(hp_dict_t *d, const char *key, size_t len);

/* Remove key's entry from the table without freeing it (the caller reads
 * v, then calls hp_dict_entry_free, which does not call val_free). NULL if
 * absent. */
hp_dict_entry_t *hp_dict_unlink(hp_dict_t *d, const char *key, size_t len);
void hp_dict_entry_free(hp_dict_t *d, hp_dict_entry_t *e);

/* A random entry (borrowed), NULL when empty. Chains make this slightly
 * unfair, as in Redis; hp_dict_fair_random samples more for fairness. */
hp_dict_entry_t *hp_dict_random(hp_dict_t *d);
hp_dict_entry_t *hp_dict_fair_random(hp_dict_t *d);

/* Up to `count` random entries stored in out[]; returns how many (may
 * repeat none, may return fewer). For eviction/active-expiry sampling. */
size_t hp_dict_sample(hp_dict_t *d, hp_dict_entry_t **out, size_t count);

/* SCAN: call fn on every entry of the bucket(s) at cursor, return the next
 * cursor (0 when done). Guarantees every element present for the whole
 * scan is returned at least once, across rehashes (Redis dictScan). fn must
 * not change the dict. */
typedef void (*hp_dict_scan_fn)(void *ud, const hp_dict_entry_t *e);
uint64_t hp_dict_scan(hp_dict_t *d, uint64_t cursor, hp_dict_scan_fn fn,
                      void *ud);

/* Iteration. A safe iterator allows hp_dict_delete of the entry just
 * returned (and pauses rehashing); an unsafe one forbids any change, and
 * while the dict is rehashing even hp_dict_find on it is a change (it
 * moves a bucket): use a safe iterator to look up the dict being walked.
 * hp_dict_iter_fini asserts an unsafe iterator saw no change. */
typedef struct hp_dict_iter {
    hp_dict_t *d;
    int table;
    int64_t index;
    int safe;
    hp_dict_entry_t *entry, *next_entry;
    uint64_t fingerprint; /* unsafe: the dict's shape at the first next */
} hp_dict_iter_t;
void hp_dict_iter_init(hp_dict_iter_t *it, hp_dict_t *d, int safe);
/* Next entry (borrowed) or NULL at the end. */
hp_dict_entry_t *hp_dict_iter_next(hp_dict_iter_t *it);
void hp_dict_iter_fini(hp_dict_iter_t *it);

/* Do rehash steps for about `us` microseconds; returns 1 if rehashing is
 * still under way. For the server's cron. */
int hp_dict_rehash_for(hp_dict_t *d, int64_t us);
/* Shrink the table when it is mostly empty (cron). 0 or -ENOMEM. */
int hp_dict_shrink_if_sparse(hp_dict_t *d);

/* Seed of the keyed hash (SipHash): set once at startup from a random
 * source; the tests set it to make runs repeatable. */
void hp_hash_seed(const uint8_t seed[16]);
uint64_t hp_hash(const char *key, size_t len);


/* ---------------------------------------------------------------------
 * Containers: shared element view and encoding thresholds
 * ------------------------------------------------------------------ */

/* One element of a container, read without copying: a byte string
 * (s != NULL, len bytes) or an integer (s == NULL, value i). Borrowed:
 * valid until the container changes. */
typedef struct hp_elem {
    const char *s;
    size_t len;
    int64_t i;
} hp_elem_t;

/* The bytes of e: integers are formatted into buf (HP_INT_BUF bytes,
 * the caller's). Stores the length in *len. */
const char *hp_elem_bytes(const hp_elem_t *e, char *buf, size_t *len);

/* Encoding thresholds (redis.conf names), read when a container is
 * created or grows. The server's CONFIG SET writes them; executor thread.
 * Defaults are Redis 7.0's. */
typedef struct hp_limits {
    int list_max_listpack_size;       /* >0 entries per node, -1..-5: 4..64KB */
    size_t hash_max_listpack_entries; /* 512 */
    size_t hash_max_listpack_value;   /* 64 bytes */
    size_t set_max_intset_entries;    /* 512 */
    size_t zset_max_listpack_entries; /* 128 */
    size_t zset_max_listpack_value;   /* 64 bytes */
} hp_limits_t;

extern hp_limits_t hp_limits;

/* ---------------------------------------------------------------------
 * Lists (heap/list.c): always encoded "quicklist", as in Redis 7.0.
 * Indexes are 0-based; negative ones count from the tail (-1 last).
 * ------------------------------------------------------------------ */

#define HP_LIST_HEAD 0
#define HP_LIST_TAIL 1

/* New reference: an empty list object (node size from
 * hp_limits.list_max_listpack_size). NULL on OOM. */
hp_obj_t *hp_list_new(void);
size_t hp_list_len(const hp_obj_t *o);
/* Push a copy of s at the head or tail. 0, -ENOMEM (unchanged), -E2BIG. */
int hp_list_push(hp_obj_t *o, int where, const char *s, size_t len);
/* New reference: pop the head or tail element as a string object
 * (hp_str_new_encoded). NULL if empty; on OOM NULL with *err = -ENOMEM
 * and the list unchanged (err may be NULL). */
hp_obj_t *hp_list_pop(hp_obj_t *o, int where, int *err);
/* Read element index into *e (borrowed). 0 or -ERANGE. */
int hp_list_index(hp_obj_t *o, long index, hp_elem_t *e);
/* LSET. 0, -ERANGE, -ENOMEM (unchanged), -E2BIG. */
int hp_list_set(hp_obj_t *o, long index, const char *s, size_t len);
/* LINSERT: insert s before (after == 0) or after the first element equal
 * to pivot. 0, -ENOENT (no pivot), -ENOMEM (unchanged), -E2BIG. */
int hp_list_insert(hp_obj_t *o, int after, const char *pivot, size_t plen,
                   const char *s, size_t len);
/* LREM: remove elements equal to s; count > 0 from the head, < 0 from the
 * tail (at most |count|), 0 all. Returns the number removed. */
size_t hp_list_remove(hp_obj_t *o, long count, const char *s, size_t len);
/* LTRIM start stop (Redis index rules, out-of-range clipped, an empty
 * range empties the list). */
void hp_list_trim(hp_obj_t *o, long start, long stop);
/* Delete count elements from index start (0 <= start < len), clipped;
 * returns the number deleted (LPOP/RPOP with count, LMPOP). */
size_t hp_list_delete_range(hp_obj_t *o, size_t start, size_t count);

/* Iteration over elements start..stop (Redis LRANGE clipping), forward
 * or backward (LRANGE, LPOS, serialisation). The list must not change
 * while iterating. */
typedef struct hp_list_iter {
    void *node;        /* heap-private position */
    unsigned char *p;
    size_t left;       /* elements still to return */
    int reverse;
} hp_list_iter_t;
/* Start at index start (negative allowed) and yield up to count
 * elements towards the tail (reverse 0) or head (reverse 1). An
 * out-of-range start yields nothing. */
void hp_list_iter_init(hp_list_iter_t *it, hp_obj_t *o, long start,
                       size_t count, int reverse);
/* Next element into *e (borrowed); 0 when done, 1 otherwise. */
int hp_list_iter_next(hp_list_iter_t *it, hp_elem_t *e);
/* LRANGE helper: clip start/stop to the list (Redis rules) into *first
 * and *count; *count 0 for an empty range. */
void hp_list_range(const hp_obj_t *o, long start, long stop, size_t *first,
                   size_t *count);

/* ---------------------------------------------------------------------
 * Hashes (heap/hashobj.c): "listpack" (field, value, field, value ...)
 * while small, "hashtable" (hp_dict_t, values as byte buffers) once a
 * field or value exceeds hash_max_listpack_value bytes or the fields
 * exceed hash_max_listpack_entries. Like Redis, never converts back.
 * ------------------------------------------------------------------ */

/* New reference: an empty hash (listpack). NULL on OOM. */
hp_obj_t *hp_hash_new(void);
size_t hp_hash_len(const hp_obj_t *o);
/* HSET one field: 1 if the field was added, 0 if its value was replaced,
 * or -ENOMEM (hash unchanged) / -E2BIG. */
int hp_hash_set(hp_obj_t *o, const char *f, size_t flen, const char *v,
                size_t vlen);
/* The value of field f into *v (borrowed). 0 or -ENOENT. */
int hp_hash_get(hp_obj_t *o, const char *f, size_t flen, hp_elem_t *v);
int hp_hash_exists(hp_obj_t *o, const char *f, size_t flen);
/* HDEL one field: 0 or -ENOENT. */
int hp_hash_del(hp_obj_t *o, const char *f, size_t flen);
/* A random field and its value (borrowed, HRANDFIELD). 0 or -ENOENT when
 * empty. */
int hp_hash_random(hp_obj_t *o, hp_elem_t *f, hp_elem_t *v);

/* Iteration over (field, value) pairs (HGETALL, HSCAN, serialisation).
 * The hash must not change while iterating. */
typedef struct hp_hash_iter {
    hp_obj_t *o;
    unsigned char *p;   /* listpack position */
    hp_dict_iter_t di;  /* hashtable position */
} hp_hash_iter_t;
void hp_hash_iter_init(hp_hash_iter_t *it, hp_obj_t *o);
/* Next pair (borrowed); 0 when done, 1 otherwise. */
int hp_hash_iter_next(hp_hash_iter_t *it, hp_elem_t *f, hp_elem_t *v);
void hp_hash_iter_fini(hp_hash_iter_t *it);

/* HSCAN step (added for t_hash.c): call fn on the pairs at cursor and
 * return the next cursor, 0 when done. A listpack hash is walked whole in
 * one call (returns 0, as Redis); a hashtable one through hp_dict_scan,
 * with its guarantees. fn must not change the hash. */
typedef void (*hp_hash_scan_fn)(void *ud, const hp_elem_t *f,
                                const hp_elem_t *v);
uint64_t hp_hash_scan(hp_obj_t *o, uint64_t cursor, hp_hash_scan_fn fn,
                      void *ud);
/* New reference: a copy of hash o with the same encoding (COPY). NULL on
 * OOM. */
hp_obj_t *hp_hash_dup(const hp_obj_t *o);

/* ---------------------------------------------------------------------
 * Sets (heap/setobj.c): "intset" (sorted integers, heap_cont.h) while
 * every member is a canonical int64 and there are at most
 * set_max_intset_entries of them, else "hashtable" (hp_dict_t keys, no
 * values). As Redis 7.0 (no listpack sets), never converts back.
 * ------------------------------------------------------------------ */

/* New reference: an empty set (intset). NULL on OOM. */
hp_obj_t *hp_set_new(void);
/* New reference: an empty set already encoded as a hashtable (Redis's
 * setTypeCreate for a first member that is not an integer). */
hp_obj_t *hp_set_new_hashtable(void);
size_t hp_set_len(const hp_obj_t *o);
/* Add a copy of s: 1 added, 0 already a member, -ENOMEM (unchanged; a
 * conversion that succeeded before the failure stays). */
int hp_set_add(hp_obj_t *o, const char *s, size_t len);
/* As hp_set_add for an element view (integers avoid formatting). */
int hp_set_add_elem(hp_obj_t *o, const hp_elem_t *e);
/* Remove s: 1 removed, 0 not a member. Never fails. */
int hp_set_remove(hp_obj_t *o, const char *s, size_t len);
int hp_set_remove_elem(hp_obj_t *o, const hp_elem_t *e);
/* Membership: 1 or 0. */
int hp_set_ismember(hp_obj_t *o, const char *s, size_t len);
int hp_set_ismember_elem(hp_obj_t *o, const hp_elem_t *e);
/* A random member (borrowed; intset members as integers). 0, or -ENOENT
 * when empty. */
int hp_set_random(hp_obj_t *o, hp_elem_t *e);
/* New reference: remove a random member and return it as a string object
 * (hp_str_new_encoded). NULL when empty, or on OOM with *err = -ENOMEM
 * and the set unchanged (err may be NULL). */
hp_obj_t *hp_set_pop(hp_obj_t *o, int *err);
/* New reference: a copy of set o with the same encoding (COPY). NULL on
 * OOM. */
hp_obj_t *hp_set_dup(const hp_obj_t *o);
/* Convert an intset to a hashtable now. 0 or -ENOMEM (unchanged). */
int hp_set_to_hashtable(hp_obj_t *o);

/* SSCAN: call fn on the members at cursor and return the next cursor (0
 * when done). An intset returns every member at once (cursor 0), as
 * Redis does for its compact encodings; a hashtable scans as hp_dict_scan.
 * fn must not change the set. */
typedef void (*hp_set_scan_fn)(void *ud, const hp_elem_t *e);
uint64_t hp_set_scan(hp_obj_t *o, uint64_t cursor, hp_set_scan_fn fn,
                     void *ud);

/* Iteration over the members (SMEMBERS, set algebra). Intsets yield
 * ascending integers. The set being walked must not change, except that
 * hp_set_remove of the member just returned is allowed on a hashtable
 * (safe dict iterator). */
typedef struct hp_set_iter {
    hp_obj_t *o;
    size_t i;           /* intset position */
    hp_dict_iter_t di;  /* hashtable position */
} hp_set_iter_t;
void hp_set_iter_init(hp_set_iter_t *it, hp_obj_t *o);
/* Next member (borrowed) into *e; 0 when done, 1 otherwise. */
int hp_set_iter_next(hp_set_iter_t *it, hp_elem_t *e);
void hp_set_iter_fini(hp_set_iter_t *it);

/* ---------------------------------------------------------------------
 * Sorted sets (heap/zsetobj.c, heap/skiplist.c): "listpack" (member,
 * score pairs ordered by score then member) while the zset has at most
 * zset_max_listpack_entries members of at most zset_max_listpack_value
 * bytes, else "skiplist" (a skiplist with rank spans plus a member ->
 * score dict). Ranks are 0-based in ascending (score, member) order.
 * Member bytes compare as memcmp, a shorter prefix first.
 * ------------------------------------------------------------------ */

/* hp_zset_add flags (ZADD options). */
#define HP_ZADD_NX (1 << 0)   /* only add new members */
#define HP_ZADD_XX (1 << 1)   /* only update existing members */
#define HP_ZADD_GT (1 << 2)   /* update only to a greater score */
#define HP_ZADD_LT (1 << 3)   /* update only to a lower score */
#define HP_ZADD_INCR (1 << 4) /* add score to the current one */
/* hp_zset_add out flags. */
#define HP_ZADD_OUT_ADDED (1 << 0)   /* the member was new */
#define HP_ZADD_OUT_UPDATED (1 << 1) /* its score changed */
#define HP_ZADD_OUT_NOP (1 << 2)     /* nothing done (NX/XX/GT/LT) */
#define HP_ZADD_OUT_NAN (1 << 3)     /* the (resulting) score is NaN */

/* A score interval; minex/maxex make a bound exclusive ("(1.5"). */
typedef struct hp_zrange {
    double min, max;
    int minex, maxex;
} hp_zrange_t;

/* One bound of a lex interval: inf -1 is "-" (below everything), +1 is
 * "+" (above everything), 0 a member s[0..len) with ex 1 for "(". */
typedef struct hp_zlex_bound {
    const char *s;
    size_t len;
    int inf;
    int ex;
} hp_zlex_bound_t;
typedef struct hp_zlex {
    hp_zlex_bound_t min, max;
} hp_zlex_t;

/* New reference: an empty zset, "listpack" when size_hint <=
 * zset_max_listpack_entries and len_hint <= zset_max_listpack_value, else
 * "skiplist" (Redis 7.0's choice at ZADD: pass entries 1 and the first
 * member's length). NULL on OOM. */
hp_obj_t *hp_zset_new(size_t size_hint, size_t len_hint);
/* New reference: a deep copy of zset o with the same encoding (COPY).
 * NULL on OOM. */
hp_obj_t *hp_zset_copy(const hp_obj_t *o);
size_t hp_zset_len(const hp_obj_t *o);

/* ZADD one member, as Redis's zsetAdd: flags HP_ZADD_*, *out gets
 * HP_ZADD_OUT_* and *newscore (may be NULL) the member's score after the
 * call when it was added or updated (or the INCR result). Converts to
 * skiplist past the limits. 0, or -ENOMEM (unchanged); a NaN score (or
 * INCR result) changes nothing and sets HP_ZADD_OUT_NAN. */
int hp_zset_add(hp_obj_t *o, double score, const char *m, size_t len,
                int flags, int *out, double *newscore);
/* ZREM one member: 0 or -ENOENT. */
int hp_zset_remove(hp_obj_t *o, const char *m, size_t len);
/* The score of member m: 0 or -ENOENT. */
int hp_zset_score(hp_obj_t *o, const char *m, size_t len, double *score);
/* ZRANK (reverse 0) / ZREVRANK (1) of m, or -1 when absent. */
long hp_zset_rank(hp_obj_t *o, const char *m, size_t len, int reverse);

/* Ranks [*first, *first + *count) hold exactly the members whose score is
 * in r (*count 0 when none). O(log n) on skiplists. */
void hp_zset_span_score(hp_obj_t *o, const hp_zrange_t *r, size_t *first,
                        size_t *count);
/* As above for a lex range (meaningful when all scores are equal, as in
 * Redis). */
void hp_zset_span_lex(hp_obj_t *o, const hp_zlex_t *r, size_t *first,
                      size_t *count);
/* Delete count members from rank first (clipped). Returns how many. */
size_t hp_zset_delete_ranks(hp_obj_t *o, size_t first, size_t count);
/* The member at rank (borrowed) and its score: 0 or -ERANGE. */
int hp_zset_at(hp_obj_t *o, size_t rank, hp_elem_t *m, double *score);
/* A uniformly random member (borrowed) and its score: 0, or -ENOENT when
 * empty. */
int hp_zset_random(hp_obj_t *o, hp_elem_t *m, double *score);
/* Convert a skiplist zset back to listpack when it fits the limits (as
 * Redis 7.0 does for ZUNIONSTORE/ZINTERSTORE/ZDIFFSTORE results). 0 or
 * -ENOMEM (unchanged, still valid). */
int hp_zset_shrink_if_small(hp_obj_t *o);

/* Iteration from rank `rank` over up to `count` members, towards higher
 * ranks (reverse 0) or lower ones (reverse 1). The zset must not change
 * while iterating. */
typedef struct hp_zset_iter {
    hp_obj_t *o;
    unsigned char *p; /* listpack: member entry */
    void *node;       /* skiplist: tree leaf */
    unsigned slot;    /* skiplist: entry index in the leaf */
    size_t left;
    int reverse;
} hp_zset_iter_t;
void hp_zset_iter_init(hp_zset_iter_t *it, hp_obj_t *o, size_t rank,
                       size_t count, int reverse);
/* Next member (borrowed) and score; 1, or 0 when done. */
int hp_zset_iter_next(hp_zset_iter_t *it, hp_elem_t *m, double *score);

/* ZSCAN: call fn for the members at cursor, return the next cursor (0 at
 * the end). A listpack zset is returned whole at cursor 0. fn must not
 * change the zset. */
typedef void (*hp_zset_scan_fn)(void *ud, const char *m, size_t len,
                                double score);
uint64_t hp_zset_scan(hp_obj_t *o, uint64_t cursor, hp_zset_scan_fn fn,
                      void *ud);

#endif /* GENCACHE_HEAP_HEAP_H */
