/*
 * dict.c - the hash table under the keyspace and every hashed container:
 * chained buckets, power-of-two sizes, two tables for incremental
 * rehashing, a reverse-binary SCAN cursor, safe and unsafe iterators and
 * random sampling (the behaviour of Redis's dict.c, our own code).
 *
 * Design (heap/README.md "The dict"): table[0] is the live table. When it
 * fills to one entry per bucket (or a cron finds it under 10 % full), a
 * table of the new size becomes table[1] and rehash_idx walks table[0],
 * moving one bucket per find/add/delete (hp__dict_rehash) until table[0]
 * is empty; then table[1] takes its place. New entries go to table[1]
 * while rehashing, lookups search both. Invariants: heap_int.h.
 */
#include "heap.h"

#include <assert.h>
#include <errno.h>
#include <string.h>
#include <time.h>

#include "heap_int.h"

/* ---------------------------------------------------------------------
 * Helpers
 * ------------------------------------------------------------------ */

/* Bucket count of table t (0 when absent). */
static inline size_t tsize(const hp_dict_t *d, int t)
{
    return d->table[t] ? (size_t)1 << d->exp[t] : 0;
}

/* Bucket index mask of table t (which must exist). */
static inline size_t tmask(const hp_dict_t *d, int t)
{
    return ((size_t)1 << d->exp[t]) - 1;
}

/* Whether d is moving entries from table[0] to table[1]. */
static inline int rehashing(const hp_dict_t *d)
{
    return d->rehash_idx != -1;
}

/* One rehash step, unless a safe iterator paused rehashing. */
static inline void rehash_step(hp_dict_t *d)
{
    if (rehashing(d) && d->pause_rehash == 0) hp__dict_rehash(d, 1);
}

/* The dict's random generator (xorshift64*): sampling only, not
 * security. Executor thread. */
static uint64_t rnd_state = 0x9e3779b97f4a7c15ULL;

/* Seed the generator (tests). A zero seed is replaced by a constant. */
void hp__dict_random_seed(uint64_t seed)
{
    rnd_state = seed ? seed : 0x9e3779b97f4a7c15ULL;
}

/* Next pseudo-random 64-bit value. */
static uint64_t rnd(void)
{
    rnd_state ^= rnd_state >> 12;
    rnd_state ^= rnd_state << 25;
    rnd_state ^= rnd_state >> 27;
    return rnd_state * 0x2545f4914f6cdd1dULL;
}

/* ---------------------------------------------------------------------
 * Life cycle
 * ------------------------------------------------------------------ */

/* New empty dict (no table until the first add). NULL on OOM. */
hp_dict_t *hp_dict_new(const hp_dict_type_t *type)
{
    hp_dict_t *d = hp_malloc(sizeof(*d));

    if (!d) return NULL;
    d->type = type;
    d->table[0] = d->table[1] = NULL;
    d->used[0] = d->used[1] = 0;
    d->exp[0] = d->exp[1] = -1;
    d->pause_rehash = 0;
    d->rehash_idx = -1;
    d->entry_bytes = 0;
    return d;
}

/* Free every entry of a detached table, calling val_free on values. */
static void free_table(const hp_dict_type_t *type, hp_dict_entry_t **tab,
                       size_t size)
{
    for (size_t i = 0; i < size; i++) {
        hp_dict_entry_t *e = tab[i], *next;

        for (; e; e = next) {
            next = e->next;
            if (type && type->val_free) type->val_free(e->v.ptr);
            hp_free(e);
        }
    }
    hp_free(tab);
}

/* Remove every entry (calling val_free), keep the dict. The tables are
 * detached first, so a val_free that reaches back into d sees it empty.
 * Invalidates every entry pointer and iterator. */
void hp_dict_clear(hp_dict_t *d)
{
    hp_dict_entry_t **tab[2] = {d->table[0], d->table[1]};
    size_t size[2] = {tsize(d, 0), tsize(d, 1)};
    size_t used[2] = {d->used[0], d->used[1]};

    d->table[0] = d->table[1] = NULL;
    d->used[0] = d->used[1] = 0;
    d->exp[0] = d->exp[1] = -1;
    d->rehash_idx = -1;
    d->entry_bytes = 0;
    for (int t = 0; t < 2; t++) {
        /* An empty table is not walked: freeing the emptied table of a
         * dict that held millions (the side table after a collection)
         * must not scan millions of empty buckets. */
        if (tab[t] && used[t] == 0) hp_free(tab[t]);
        else if (tab[t]) free_table(d->type, tab[t], size[t]);
    }
}

/* Take d apart a little (see heap.h): free up to max entries, visiting
 * at most 4 * max buckets, from bucket *pos on (both tables in a row). */
size_t hp_dict_clear_some(hp_dict_t *d, size_t *pos, size_t max)
{
    size_t freed = 0, visits = 0;

    d->rehash_idx = -1; /* nobody else uses d: the tables stay put */
    while (freed < max && visits < 4 * max) {
        size_t s0 = tsize(d, 0), i = *pos;
        int t = i < s0 ? 0 : 1;
        hp_dict_entry_t *e;

        if (t == 1)
            i -= s0;
        if (i >= tsize(d, t))
            break;
        e = d->table[t][i];
        if (!e) {
            (*pos)++;
            visits++;
            continue;
        }
        d->table[t][i] = e->next;
        d->used[t]--;
        d->entry_bytes -= hp_malloc_size(e);
        if (d->type && d->type->val_free)
            d->type->val_free(e->v.ptr);
        hp_free(e);
        freed++;
    }
    return hp_dict_size(d);
}

/* Free every entry (calling val_free) and d. NULL: no-op. */
void hp_dict_free(hp_dict_t *d)
{
    if (!d) return;
    hp_dict_clear(d);
    hp_free(d);
}

/* The invariants of heap_int.h, and every entry in the bucket its key
 * hashes to: 0 or -EINVAL (gc_debug checks; O(n), reads only). */
int hp__dict_validate(const hp_dict_t *d)
{
    size_t bytes = 0;

    if (d->rehash_idx == -1 ? d->table[1] != NULL
                            : (!d->table[1] || !d->table[0] ||
                               (size_t)d->rehash_idx > tsize(d, 0)))
        return -EINVAL;
    for (int t = 0; t < 2; t++) {
        size_t n = 0;

        if ((d->table[t] == NULL) != (d->exp[t] == -1)) return -EINVAL;
        for (size_t b = 0; b < tsize(d, t); b++) {
            for (const hp_dict_entry_t *e = d->table[t][b]; e; e = e->next) {
                if ((hp_hash(e->key, e->keylen) & tmask(d, t)) != b)
                    return -EINVAL;
                if (t == 0 && rehashing(d) && (int64_t)b < d->rehash_idx)
                    return -EINVAL;
                bytes += hp_malloc_size(e);
                n++;
            }
        }
        if (n != d->used[t]) return -EINVAL;
    }
    return bytes == d->entry_bytes ? 0 : -EINVAL;
}

/* Entries in the dict. */
size_t hp_dict_size(const hp_dict_t *d)
{
    return d->used[0] + d->used[1];
}

/* Bytes of the dict, its bucket arrays and its entries (not values). */
size_t hp_dict_mem(const hp_dict_t *d)
{
    return hp_malloc_size(d) + hp_malloc_size(d->table[0]) +
           hp_malloc_size(d->table[1]) + d->entry_bytes;
}

/* ---------------------------------------------------------------------
 * Resizing and rehashing
 * ------------------------------------------------------------------ */

/* Give d a table of the smallest power of two >= n buckets (at least
 * 1 << HP_DICT_MIN_EXP): as table[0] when d has none, else as table[1],
 * starting a rehash. Not while rehashing. 0 (also when the size would
 * not change) or -ENOMEM (d unchanged). */
static int dict_resize(hp_dict_t *d, size_t n)
{
    int8_t exp = HP_DICT_MIN_EXP;
    hp_dict_entry_t **tab;

    assert(!rehashing(d));
    while (((size_t)1 << exp) < n) {
        if (exp >= 60 || ((size_t)1 << (exp + 1)) > SIZE_MAX / sizeof(*tab))
            return -ENOMEM;
        exp++;
    }
    if (d->table[0] && exp == d->exp[0]) return 0;
    tab = hp_calloc((size_t)1 << exp, sizeof(*tab));
    if (!tab) return -ENOMEM;
    if (!d->table[0]) {
        d->table[0] = tab;
        d->exp[0] = exp;
        return 0;
    }
    d->table[1] = tab;
    d->exp[1] = exp;
    d->rehash_idx = 0;
    return 0;
}

/* Move the chain of table[0] bucket idx to table[1]. */
static void move_bucket(hp_dict_t *d, size_t idx)
{
    hp_dict_entry_t *e = d->table[0][idx], *next;
    size_t mask1 = tmask(d, 1);

    for (; e; e = next) {
        size_t to = hp_hash(e->key, e->keylen) & mask1;

        next = e->next;
        e->next = d->table[1][to];
        d->table[1][to] = e;
        d->used[0]--;
        d->used[1]++;
    }
    d->table[0][idx] = NULL;
}

/* End a rehash whose table[0] is empty: table[1] becomes table[0]. */
static void finish_rehash(hp_dict_t *d)
{
    hp_free(d->table[0]);
    d->table[0] = d->table[1];
    d->exp[0] = d->exp[1];
    d->used[0] = d->used[1];
    d->table[1] = NULL;
    d->exp[1] = -1;
    d->used[1] = 0;
    d->rehash_idx = -1;
}

/* Move up to n non-empty buckets, visiting at most 10n empty ones (a
 * step stays short however sparse the table). Returns 1 if rehashing is
 * still under way. Ignores pause_rehash: callers check it. */
int hp__dict_rehash(hp_dict_t *d, int n)
{
    size_t empty_visits = (size_t)n * 10;

    if (!rehashing(d)) return 0;
    while (n-- > 0 && d->used[0] != 0) {
        /* used[0] > 0, so a non-empty bucket lies ahead. */
        while (!d->table[0][d->rehash_idx]) {
            d->rehash_idx++;
            if (--empty_visits == 0) return 1;
        }
        move_bucket(d, (size_t)d->rehash_idx);
        d->rehash_idx++;
    }
    if (d->used[0] == 0) {
        finish_rehash(d);
        return 0;
    }
    return 1;
}

/* Microseconds of a monotonic clock. */
static int64_t now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Rehash in batches of 100 buckets for about us microseconds (cron).
 * Returns 1 if rehashing is still under way (also when paused). */
int hp_dict_rehash_for(hp_dict_t *d, int64_t us)
{
    int64_t start;

    if (d->pause_rehash > 0) return rehashing(d);
    start = now_us();
    while (hp__dict_rehash(d, 100)) {
        if (now_us() - start >= us) return 1;
    }
    return 0;
}

/* Start growing table[0] when it holds one entry per bucket. A failed
 * allocation just skips growing: chains get longer, nothing breaks. */
static void expand_if_needed(hp_dict_t *d)
{
    if (rehashing(d) || d->used[0] < tsize(d, 0)) return;
    (void)dict_resize(d, d->used[0] + 1);
}

/* Start shrinking a table under HP_DICT_MIN_FILL percent full to the
 * smallest size holding its entries (cron). 0 or -ENOMEM (unchanged). */
int hp_dict_shrink_if_sparse(hp_dict_t *d)
{
    size_t size;

    if (rehashing(d) || !d->table[0]) return 0;
    size = tsize(d, 0);
    if (size <= ((size_t)1 << HP_DICT_MIN_EXP) ||
        d->used[0] * 100 / size >= HP_DICT_MIN_FILL)
        return 0;
    return dict_resize(d, d->used[0]);
}

/* ---------------------------------------------------------------------
 * Lookup, insertion, deletion
 * ------------------------------------------------------------------ */

/* The entry for key with hash h, or NULL. The hot path of the server:
 * one hash, then per chain link a length compare before memcmp. */
static hp_dict_entry_t *lookup(const hp_dict_t *d, const char *key, size_t len,
                               uint64_t h)
{
    for (int t = 0; t < 2; t++) {
        hp_dict_entry_t *e = d->table[t][h & tmask(d, t)];

        for (; e; e = e->next) {
            if (e->keylen == len && memcmp(e->key, key, len) == 0) return e;
        }
        if (!rehashing(d)) break;
    }
    return NULL;
}

/* Borrowed: the entry for key, or NULL. One rehash step when
 * rehashing. */
hp_dict_entry_t *hp_dict_find(hp_dict_t *d, const char *key, size_t len)
{
    if (d->used[0] + d->used[1] == 0) return NULL;
    rehash_step(d);
    return lookup(d, key, len, hp_hash(key, len));
}

/* ---------------------------------------------------------------------
 * Prefetching (read-only: no rehash step, nothing written)
 * ------------------------------------------------------------------ */

/* Prefetches the bucket slot of hash h in each table. Step 1 of a
 * batched lookup (heap.h). */
void hp_dict_prefetch_slot(const hp_dict_t *d, uint64_t h)
{
    for (int t = 0; t < 2; t++) {
        if (!d->table[t]) break;
        __builtin_prefetch(&d->table[t][h & tmask(d, t)], 0, 3);
        if (!rehashing(d)) break;
    }
}

/* Prefetches the first entry of the chain(s) of hash h. Step 2 (heap.h);
 * it reads the slots step 1 prefetched. */
void hp_dict_prefetch_chain(const hp_dict_t *d, uint64_t h)
{
    for (int t = 0; t < 2; t++) {
        const hp_dict_entry_t *e;

        if (!d->table[t]) break;
        e = d->table[t][h & tmask(d, t)];
        if (e) __builtin_prefetch(e, 0, 3);
        if (!rehashing(d)) break;
    }
}

/* Borrowed: the entry for key of hash h, or NULL. Read-only, unlike
 * hp_dict_find: no rehash step. */
hp_dict_entry_t *hp_dict_peek(const hp_dict_t *d, const char *key,
                              size_t len, uint64_t h)
{
    if (!d->table[0]) return NULL;
    return lookup(d, key, len, h);
}

/* New entry holding a copy of key, v and meta zero. NULL on OOM. */
static hp_dict_entry_t *entry_new(const char *key, size_t len)
{
    hp_dict_entry_t *e = hp_malloc(sizeof(*e) + len + 1);

    if (!e) return NULL;
    e->next = NULL;
    memset(&e->v, 0, sizeof(e->v));
    e->keylen = (uint32_t)len;
    e->meta = 0;
    if (len) memcpy(e->key, key, len);
    e->key[len] = '\0';
    return e;
}

/* Borrowed: key's entry, inserted (v zeroed) when absent; *existed (if
 * not NULL) says which. NULL on OOM or a key over 4 GB, with nothing
 * changed. Invalidates entry pointers only through later changes. */
hp_dict_entry_t *hp_dict_add(hp_dict_t *d, const char *key, size_t len,
                             int *existed)
{
    hp_dict_entry_t *e;
    uint64_t h;
    int fresh = 0, t;
    size_t idx;

    if (len > UINT32_MAX) return NULL;
    rehash_step(d);
    h = hp_hash(key, len);
    if (d->table[0]) {
        e = lookup(d, key, len, h);
        if (e) {
            if (existed) *existed = 1;
            return e;
        }
    } else {
        if (dict_resize(d, 0) < 0) return NULL;
        fresh = 1;
    }
    e = entry_new(key, len);
    if (!e) {
        if (fresh) {
            hp_free(d->table[0]);
            d->table[0] = NULL;
            d->exp[0] = -1;
        }
        return NULL;
    }
    expand_if_needed(d);
    t = rehashing(d) ? 1 : 0;
    idx = h & tmask(d, t);
    e->next = d->table[t][idx];
    d->table[t][idx] = e;
    d->used[t]++;
    d->entry_bytes += hp_malloc_size(e);
    if (existed) *existed = 0;
    return e;
}

/* Take key's entry out of its chain; NULL if absent. */
static hp_dict_entry_t *unlink_key(hp_dict_t *d, const char *key, size_t len)
{
    uint64_t h;

    if (d->used[0] + d->used[1] == 0) return NULL;
    rehash_step(d);
    h = hp_hash(key, len);
    for (int t = 0; t < 2; t++) {
        hp_dict_entry_t **link = &d->table[t][h & tmask(d, t)];

        for (; *link; link = &(*link)->next) {
            hp_dict_entry_t *e = *link;

            if (e->keylen == len && memcmp(e->key, key, len) == 0) {
                *link = e->next;
                e->next = NULL;
                d->used[t]--;
                d->entry_bytes -= hp_malloc_size(e);
                return e;
            }
        }
        if (!rehashing(d)) break;
    }
    return NULL;
}

/* Delete key: unlink, call val_free (which may use the dict: the entry
 * is already out), free the entry. 0 or -ENOENT. */
int hp_dict_delete(hp_dict_t *d, const char *key, size_t len)
{
    hp_dict_entry_t *e = unlink_key(d, key, len);

    if (!e) return -ENOENT;
    if (d->type && d->type->val_free) d->type->val_free(e->v.ptr);
    hp_free(e);
    return 0;
}

/* The caller's: key's entry taken out of d, or NULL. Free it with
 * hp_dict_entry_free (no val_free call). */
hp_dict_entry_t *hp_dict_unlink(hp_dict_t *d, const char *key, size_t len)
{
    return unlink_key(d, key, len);
}

/* Free an entry from hp_dict_unlink (its value is the caller's). */
void hp_dict_entry_free(hp_dict_t *d, hp_dict_entry_t *e)
{
    (void)d;
    hp_free(e);
}

/* ---------------------------------------------------------------------
 * Random entries
 * ------------------------------------------------------------------ */

/* A uniformly chosen entry of the chain starting at e. */
static hp_dict_entry_t *chain_pick(hp_dict_entry_t *e)
{
    size_t n = 0;
    hp_dict_entry_t *p;

    for (p = e; p; p = p->next)
        n++;
    for (n = rnd() % n; n; n--)
        e = e->next;
    return e;
}

/* Borrowed: a random entry (a random non-empty bucket, then a random
 * link of its chain), NULL when empty. One rehash step. */
hp_dict_entry_t *hp_dict_random(hp_dict_t *d)
{
    hp_dict_entry_t *e;

    if (hp_dict_size(d) == 0) return NULL;
    rehash_step(d);
    if (rehashing(d)) {
        size_t s0 = tsize(d, 0), span = s0 + tsize(d, 1);
        size_t base = (size_t)d->rehash_idx;

        /* Buckets of table[0] below rehash_idx are empty: skip them. */
        do {
            size_t h = base + rnd() % (span - base);

            e = h >= s0 ? d->table[1][h - s0] : d->table[0][h];
        } while (!e);
    } else {
        size_t mask = tmask(d, 0);

        do {
            e = d->table[0][rnd() & mask];
        } while (!e);
    }
    return chain_pick(e);
}

/* Store up to count distinct entries in out[]: from a random bucket on,
 * consecutive buckets of both tables, never visiting a bucket index
 * twice and at most 10 * count of them. Returns how many. */
size_t hp_dict_sample(hp_dict_t *d, hp_dict_entry_t **out, size_t count)
{
    size_t stored = 0, steps, maxmask, i;
    int tables;

    if (count > hp_dict_size(d)) count = hp_dict_size(d);
    if (count == 0) return 0;
    for (size_t j = 0; j < count && rehashing(d); j++)
        rehash_step(d);
    tables = rehashing(d) ? 2 : 1;
    maxmask = tmask(d, 0);
    if (tables == 2 && tmask(d, 1) > maxmask) maxmask = tmask(d, 1);
    steps = count > SIZE_MAX / 10 ? SIZE_MAX : count * 10;
    if (steps > maxmask + 1) steps = maxmask + 1;
    i = rnd() & maxmask;
    for (; stored < count && steps > 0; steps--, i = (i + 1) & maxmask) {
        for (int t = 0; t < tables; t++) {
            hp_dict_entry_t *e;

            if (i > tmask(d, t) ||
                (t == 0 && tables == 2 && i < (size_t)d->rehash_idx))
                continue;
            for (e = d->table[t][i]; e && stored < count; e = e->next)
                out[stored++] = e;
        }
    }
    return stored;
}

/* Borrowed: a random entry, fairer than hp_dict_random: one of a sample
 * of HP_DICT_FAIR_SAMPLE entries, so long chains are not favoured. */
hp_dict_entry_t *hp_dict_fair_random(hp_dict_t *d)
{
    hp_dict_entry_t *sample[HP_DICT_FAIR_SAMPLE];
    size_t n = hp_dict_sample(d, sample, HP_DICT_FAIR_SAMPLE);

    if (n == 0) return hp_dict_random(d);
    return sample[rnd() % n];
}

/* ---------------------------------------------------------------------
 * SCAN
 * ------------------------------------------------------------------ */

/* Bit-reverse a 64-bit word. */
static uint64_t rev64(uint64_t v)
{
    v = ((v >> 1) & 0x5555555555555555ULL) | ((v & 0x5555555555555555ULL) << 1);
    v = ((v >> 2) & 0x3333333333333333ULL) | ((v & 0x3333333333333333ULL) << 2);
    v = ((v >> 4) & 0x0f0f0f0f0f0f0f0fULL) | ((v & 0x0f0f0f0f0f0f0f0fULL) << 4);
    v = ((v >> 8) & 0x00ff00ff00ff00ffULL) | ((v & 0x00ff00ff00ff00ffULL) << 8);
    v = ((v >> 16) & 0x0000ffff0000ffffULL) |
        ((v & 0x0000ffff0000ffffULL) << 16);
    return (v >> 32) | (v << 32);
}

/* Increment the cursor's bits under mask, counting from the high bit
 * down (the reverse-binary order). */
static uint64_t cursor_next(uint64_t v, uint64_t mask)
{
    v |= ~mask;
    return rev64(rev64(v) + 1);
}

/* Call fn on every entry of chain e. */
static void emit_chain(const hp_dict_entry_t *e, hp_dict_scan_fn fn, void *ud)
{
    for (; e; e = e->next)
        fn(ud, e);
}

/* SCAN step (see heap/README.md "SCAN cursor"): emit the bucket(s) the
 * cursor names and return the next cursor, 0 at the end. With two
 * tables, the bucket of the small one and every bucket of the large one
 * that splits from it are emitted together, so nothing present for the
 * whole scan is missed however the table resizes between calls. */
uint64_t hp_dict_scan(hp_dict_t *d, uint64_t cursor, hp_dict_scan_fn fn,
                      void *ud)
{
    uint64_t v = cursor, m0, m1;
    int small = 0, big = 1;

    if (hp_dict_size(d) == 0) return 0;
    if (!rehashing(d)) {
        m0 = tmask(d, 0);
        emit_chain(d->table[0][v & m0], fn, ud);
        return cursor_next(v, m0);
    }
    if (d->exp[0] > d->exp[1]) {
        small = 1;
        big = 0;
    }
    m0 = tmask(d, small);
    m1 = tmask(d, big);
    emit_chain(d->table[small][v & m0], fn, ud);
    do {
        emit_chain(d->table[big][v & m1], fn, ud);
        v = cursor_next(v, m1);
    } while (v & (m0 ^ m1));
    return v;
}

/* ---------------------------------------------------------------------
 * Iterators
 * ------------------------------------------------------------------ */

/* A digest of the dict's shape: changes when any table, size or count
 * does (what an unsafe iterator must not see change). */
static uint64_t fingerprint(const hp_dict_t *d)
{
    uint64_t parts[6] = {
        (uint64_t)(uintptr_t)d->table[0], (uint64_t)d->exp[0], d->used[0],
        (uint64_t)(uintptr_t)d->table[1], (uint64_t)d->exp[1], d->used[1],
    };
    uint64_t h = 0;

    for (int i = 0; i < 6; i++) {
        h = (h ^ parts[i]) * 0xff51afd7ed558ccdULL;
        h ^= h >> 33;
    }
    return h;
}

/* Start iterating d. A safe iterator (safe != 0) pauses rehashing and
 * allows deleting the entry just returned; an unsafe one allows no
 * change at all (checked at fini). Finish with hp_dict_iter_fini. */
void hp_dict_iter_init(hp_dict_iter_t *it, hp_dict_t *d, int safe)
{
    it->d = d;
    it->table = 0;
    it->index = -1;
    it->safe = safe;
    it->entry = it->next_entry = NULL;
    it->fingerprint = 0;
}

/* Whether next has been called (the iterator holds its pause or
 * fingerprint). */
static int iter_started(const hp_dict_iter_t *it)
{
    return !(it->index == -1 && it->table == 0);
}

/* Borrowed: the next entry, NULL at the end. */
hp_dict_entry_t *hp_dict_iter_next(hp_dict_iter_t *it)
{
    hp_dict_t *d = it->d;

    for (;;) {
        if (!it->entry) {
            if (!iter_started(it)) {
                if (it->safe)
                    d->pause_rehash++;
                else
                    it->fingerprint = fingerprint(d);
            }
            it->index++;
            if ((size_t)it->index >= tsize(d, it->table)) {
                if (rehashing(d) && it->table == 0) {
                    it->table = 1;
                    it->index = 0;
                    if (tsize(d, 1) == 0) return NULL;
                } else {
                    return NULL;
                }
            }
            it->entry = d->table[it->table][it->index];
        } else {
            it->entry = it->next_entry;
        }
        if (it->entry) {
            it->next_entry = it->entry->next;
            return it->entry;
        }
    }
}

/* End an iteration: a safe iterator resumes rehashing; an unsafe one
 * asserts the dict did not change. */
void hp_dict_iter_fini(hp_dict_iter_t *it)
{
    if (!iter_started(it)) return;
    if (it->safe) {
        assert(it->d->pause_rehash > 0);
        it->d->pause_rehash--;
    } else {
        assert(it->fingerprint == fingerprint(it->d) &&
               "dict changed under an unsafe iterator");
    }
}
