/*
 * evict.c - maxmemory eviction, as Redis 7.0's performEvictions: when
 * used memory is past `maxmemory`, keys are evicted by the configured
 * maxmemory-policy until it is back under the limit.
 *
 * LRU, LFU and TTL policies are approximated as Redis does: every round
 * samples `maxmemory-samples` keys of each database (from `dict` for the
 * allkeys-* policies, from `expires` for the volatile-* ones) into a pool
 * of the 16 best candidates seen so far, kept sorted by "idle" score
 * (higher = better to evict), and the best still existing candidate is
 * evicted. Random policies pick a random key, databases round robin.
 *
 * Memory: hp_mem_used() counts, less the bytes still queued for deferred
 * freeing (over_limit); nothing else is excluded (Redis
 * leaves out replication and AOF buffers, which gencache does not have).
 * A call runs for at most EVICT_TIME_LIMIT_US; if memory is still over
 * the limit then, the work continues between loop iterations (an idle
 * handle, as Redis's eviction time proc, and before the loop sleeps:
 * srv_evict_before_sleep) and commands keep running meanwhile, as in
 * Redis. Executor thread only.
 */
#include "server.h"
#include "heap_gc.h"

#include <stdlib.h>
#include <string.h>

#define EVPOOL_SIZE 16         /* candidates kept, as Redis's pool */
#define EVPOOL_CACHED_KEY 255  /* keys up to this long use the slot buffer */
#define EVICT_TIME_LIMIT_US 500 /* per call (Redis's default tenacity 10) */

/* One candidate: a copy of its key, its database and its score. */
typedef struct evict_cand {
    uint64_t idle;          /* higher = evict first; 0 with key NULL: empty */
    char *key;              /* cached or heap copy, NULL when empty */
    size_t keylen;
    int dbid;
    char cached[EVPOOL_CACHED_KEY + 1]; /* storage for short keys */
} evict_cand_t;

static evict_cand_t pool[EVPOOL_SIZE]; /* sorted by idle, ascending */
static int next_random_db;             /* round robin of random policies */
static int evict_pending;              /* a call ran out of time */
/* While evict_pending: an idle handle keeps evicting between loop
 * iterations (Redis's eviction time proc); it exists only then and
 * closes itself when done, so shutdown finds no extra handle. */
static uv_idle_t evict_idle;
static int idle_state;                 /* 0 none, 1 running, 2 closing */

/* True for the volatile-* policies, which consider keys with a TTL. */
static int policy_volatile(int policy)
{
    return policy == SRV_MAXMEMORY_VOLATILE_LRU ||
           policy == SRV_MAXMEMORY_VOLATILE_LFU ||
           policy == SRV_MAXMEMORY_VOLATILE_RANDOM ||
           policy == SRV_MAXMEMORY_VOLATILE_TTL;
}

/* True for the random policies (no pool). */
static int policy_random(int policy)
{
    return policy == SRV_MAXMEMORY_ALLKEYS_RANDOM ||
           policy == SRV_MAXMEMORY_VOLATILE_RANDOM;
}

/* ---------------------------------------------------------------------
 * Scores
 * ------------------------------------------------------------------ */

/* Idle seconds of an LRU clock (24-bit seconds, as db.c keeps it). */
static uint64_t lru_idle(uint32_t meta)
{
    uint32_t max = (1u << 24) - 1;
    uint32_t now = (uint32_t)(srv_mstime() / 1000) & max;
    uint32_t then = meta & max;

    return now >= then ? now - then : now + (max - then);
}

/* 255 minus the LFU counter of meta (16-bit minutes, 8-bit counter, as
 * db.c keeps it) after lfu-decay-time decay: the rarer the higher. The
 * decay is computed here, not through db.c's lookups, because a lookup
 * may expire the key and free the sampled entries. */
static uint64_t lfu_score(uint32_t meta)
{
    uint32_t ldt = meta >> 8, counter = meta & 0xff;
    uint32_t now = (uint32_t)(srv_mstime() / 60000) & 0xffff;
    uint32_t elapsed = now >= ldt ? now - ldt : 0xffff - ldt + now;
    uint32_t periods = srv.cfg.lfu_decay_time > 0
                           ? elapsed / (uint32_t)srv.cfg.lfu_decay_time
                           : 0;

    return 255 - (periods >= counter ? 0 : counter - periods);
}

/* The candidate score of a sampled key: LRU idle time, 255 minus the
 * decayed LFU counter, or (volatile-ttl) the sooner the expiry the
 * higher. kde is the keyspace entry, ede the expires entry (or NULL). */
static uint64_t cand_score(int policy, const hp_dict_entry_t *kde,
                           const hp_dict_entry_t *ede)
{
    switch (policy) {
    case SRV_MAXMEMORY_ALLKEYS_LFU:
    case SRV_MAXMEMORY_VOLATILE_LFU:
        return lfu_score(kde->meta);
    case SRV_MAXMEMORY_VOLATILE_TTL:
        return UINT64_MAX - (uint64_t)ede->v.i;
    default:
        return lru_idle(kde->meta);
    }
}

/* ---------------------------------------------------------------------
 * The pool
 * ------------------------------------------------------------------ */

/* Empty slot e, freeing a heap key copy. */
static void cand_clear(evict_cand_t *e)
{
    if (e->key != NULL && e->key != e->cached) {
        hp_free(e->key);
    }
    e->key = NULL;
    e->keylen = 0;
    e->idle = 0;
}

/* Store key into slot e (which must be empty). 0, or -1 on OOM. */
static int cand_set(evict_cand_t *e, const char *key, size_t len, int dbid,
                    uint64_t idle)
{
    char *p = e->cached;

    if (len > EVPOOL_CACHED_KEY) {
        p = hp_malloc(len + 1);
        if (p == NULL) {
            return -1;
        }
    }
    memcpy(p, key, len);
    p[len] = '\0';
    e->key = p;
    e->keylen = len;
    e->dbid = dbid;
    e->idle = idle;
    return 0;
}

/* Insert a candidate keeping the pool sorted ascending by idle. When the
 * pool is full it replaces the worst (leftmost) one, if this one is
 * better; otherwise it is dropped. */
static void pool_insert(const char *key, size_t len, int dbid, uint64_t idle)
{
    int k = 0;
    evict_cand_t tmp;

    while (k < EVPOOL_SIZE && pool[k].key != NULL && pool[k].idle < idle) {
        k++;
    }
    if (k == 0 && pool[EVPOOL_SIZE - 1].key != NULL) {
        return; /* worse than everything in a full pool */
    }
    if (k < EVPOOL_SIZE && pool[k].key == NULL) {
        cand_set(&pool[k], key, len, dbid, idle);
        return;
    }
    if (pool[EVPOOL_SIZE - 1].key == NULL) {
        /* Free room at the right: shift k.. one step right. The moved
         * slots' cached buffers move with them. */
        for (int i = EVPOOL_SIZE - 1; i > k; i--) {
            pool[i] = pool[i - 1];
            if (pool[i].key == pool[i - 1].cached) {
                pool[i].key = pool[i].cached;
            }
        }
        pool[k].key = NULL;
        cand_set(&pool[k], key, len, dbid, idle);
        return;
    }
    /* Full: drop the worst (slot 0), shift 1..k-1 left, insert at k-1. */
    k--;
    cand_clear(&pool[0]);
    for (int i = 0; i < k; i++) {
        tmp = pool[i + 1];
        pool[i] = tmp;
        if (pool[i].key == pool[i + 1].cached) {
            pool[i].key = pool[i].cached;
        }
    }
    pool[k].key = NULL;
    cand_set(&pool[k], key, len, dbid, idle);
}

/* Sample maxmemory-samples keys of db (its dict or expires, as the policy
 * says) into the pool. */
static void pool_populate(int policy, srv_db_t *db, hp_dict_t *sampled)
{
    hp_dict_entry_t *samples[64];
    size_t want = (size_t)srv.cfg.maxmemory_samples, n;

    if (want < 1) {
        want = 1;
    }
    if (want > 64) {
        want = 64;
    }
    n = hp_dict_sample(sampled, samples, want);
    for (size_t i = 0; i < n; i++) {
        hp_dict_entry_t *kde = samples[i], *ede = NULL;

        if (sampled == db->expires) {
            ede = samples[i];
            kde = hp_dict_find(db->dict, ede->key, ede->keylen);
            if (kde == NULL) {
                continue;
            }
        }
        pool_insert(kde->key, kde->keylen, db->id,
                    cand_score(policy, kde, ede));
    }
}

/* Best candidate of the pool that still exists (and still has a TTL
 * under a volatile policy): its key is copied into *key (owned by the
 * caller; *len, *dbid) and the slot emptied. 1 if one was found, 0 when
 * the pool ran dry, -1 on OOM. */
static int pool_take_best(int policy, char **key, size_t *len, int *dbid)
{
    for (int k = EVPOOL_SIZE - 1; k >= 0; k--) {
        evict_cand_t *e = &pool[k];
        srv_db_t *db;
        hp_dict_t *d;
        int found;

        if (e->key == NULL) {
            continue;
        }
        db = &srv.dbs[e->dbid];
        d = policy_volatile(policy) ? db->expires : db->dict;
        found = hp_dict_find(d, e->key, e->keylen) != NULL;
        if (found) {
            *key = hp_malloc(e->keylen + 1);
            if (*key == NULL) {
                return -1;
            }
            memcpy(*key, e->key, e->keylen + 1);
            *len = e->keylen;
            *dbid = e->dbid;
        }
        cand_clear(e);
        if (found) {
            return 1;
        }
    }
    return 0;
}

/* ---------------------------------------------------------------------
 * Choosing and evicting
 * ------------------------------------------------------------------ */

/* A random key under a random policy, databases round robin: copied into
 * *key (owned by the caller). 1 found, 0 when none. */
static int pick_random(int policy, char **key, size_t *len, int *dbid)
{
    int n = srv.cfg.databases;

    for (int i = 0; i < n; i++) {
        int id = (next_random_db + i) % n;
        srv_db_t *db = &srv.dbs[id];
        hp_dict_t *d = policy_volatile(policy) ? db->expires : db->dict;
        hp_dict_entry_t *de;

        if (hp_dict_size(d) == 0 || (de = hp_dict_random(d)) == NULL) {
            continue;
        }
        next_random_db = (id + 1) % n;
        *key = hp_malloc((size_t)de->keylen + 1);
        if (*key == NULL) {
            return 0;
        }
        memcpy(*key, de->key, (size_t)de->keylen + 1);
        *len = de->keylen;
        *dbid = id;
        return 1;
    }
    return 0;
}

/* The best key to evict under an LRU/LFU/TTL policy: sampling rounds
 * refill the pool until a live candidate comes out. Copied into *key
 * (owned by the caller). 1 found, 0 when no key qualifies. */
static int pick_pooled(int policy, char **key, size_t *len, int *dbid)
{
    for (;;) {
        size_t total = 0;
        int rc;

        for (int i = 0; i < srv.cfg.databases; i++) {
            srv_db_t *db = &srv.dbs[i];
            hp_dict_t *d = policy_volatile(policy) ? db->expires : db->dict;
            size_t n = hp_dict_size(d);

            if (n > 0) {
                pool_populate(policy, db, d);
                total += n;
            }
        }
        if (total == 0) {
            return 0;
        }
        rc = pool_take_best(policy, key, len, dbid);
        if (rc != 0) {
            return rc > 0;
        }
    }
}

/* Evict one key of database dbid: delete it as DEL would (WATCH and
 * blocked-key signals, dirty), publish "evicted", count it. key is the
 * caller's copy. */
static void evict_key(int dbid, const char *key, size_t len)
{
    srv_db_t *db = &srv.dbs[dbid];

    if (srv_db_delete(db, key, len)) {
        srv_notify(SRV_NOTIFY_EVICTED, "evicted", db, key, len);
        srv.stats.evicted_keys++;
    }
}

/* True when used memory is past maxmemory. Bytes of evicted or deleted
 * values still waiting in the deferred-free queue are not counted: they
 * are on their way out, and counting them would evict everything while
 * the queue drains (HEAP.md "Eviction and expiry"). */
static int over_limit(void)
{
    size_t used = hp_mem_used(), queued = hp_free_pending_bytes();

    used = queued < used ? used - queued : 0;
    return srv.cfg.maxmemory > 0 && used > (size_t)srv.cfg.maxmemory;
}

/* The idle handle is closed: it may be started again. */
static void on_idle_closed(uv_handle_t *h)
{
    (void)h;
    idle_state = 0;
}

/* Between loop iterations: one more time-boxed eviction call; the handle
 * closes once memory is under the limit (or nothing is evictable). */
static void on_evict_idle(uv_idle_t *h)
{
    srv.mstime_cache = srv_mstime_now();
    srv_evict_if_needed();
    if (!evict_pending && idle_state == 1) {
        uv_idle_stop(h);
        uv_close((uv_handle_t *)h, on_idle_closed);
        idle_state = 2;
    }
}

/* Start the idle handle when eviction ran out of time (not before the
 * loop exists, nor while a previous one is closing: the before-sleep
 * hook covers that). */
static void start_idle(void)
{
    if (idle_state != 0 || srv.loop == NULL) {
        return;
    }
    if (uv_idle_init(srv.loop, &evict_idle) != 0) {
        return;
    }
    if (uv_idle_start(&evict_idle, on_evict_idle) != 0) {
        uv_close((uv_handle_t *)&evict_idle, on_idle_closed);
        idle_state = 2;
        return;
    }
    idle_state = 1;
}

/* Evict until under the limit, the time budget ends or nothing qualifies
 * (see server.h). */
int srv_evict_if_needed(void)
{
    int policy = srv.cfg.maxmemory_policy;
    int64_t start, elapsed;
    uint64_t freed = 0;
    int result = 0;

    evict_pending = 0;
    if (!over_limit()) {
        return 0;
    }
    /* A paused server keeps its dataset as is (Redis 7.0). */
    if (srv.clients_paused_until_ms != 0 &&
        srv_mstime_now() < srv.clients_paused_until_ms) {
        return 0;
    }
    if (policy == SRV_MAXMEMORY_NOEVICTION) {
        return 1;
    }
    start = srv_ustime_now();
    while (over_limit()) {
        char *key = NULL;
        size_t len = 0;
        int dbid = 0, found;

        found = policy_random(policy) ? pick_random(policy, &key, &len, &dbid)
                                      : pick_pooled(policy, &key, &len,
                                                    &dbid);
        if (!found) {
            result = 1; /* nothing left to evict */
            break;
        }
        evict_key(dbid, key, len);
        hp_free(key);
        freed++;
        if (freed % 16 == 0 &&
            srv_ustime_now() - start > EVICT_TIME_LIMIT_US) {
            evict_pending = over_limit();
            if (evict_pending) {
                start_idle();
            }
            break;
        }
    }
    elapsed = srv_ustime_now() - start;
    srv_latency_add("eviction-cycle", elapsed / 1000);
    return result;
}

/* Before the loop sleeps: continue an eviction that ran out of time,
 * and evict at once after maxmemory changed (CONFIG SET), as Redis's
 * updateMaxmemory starts its eviction time proc, with its warning when
 * the new limit is below the memory in use. */
void srv_evict_before_sleep(void)
{
    static int64_t last_maxmemory;

    if (srv.cfg.maxmemory != last_maxmemory) {
        last_maxmemory = srv.cfg.maxmemory;
        if (over_limit()) {
            srv_log(SRV_LOG_WARNING,
                    "WARNING: the new maxmemory value set via CONFIG SET "
                    "(%lld) is smaller than the current memory usage "
                    "(%zu). This will result in key eviction and/or the "
                    "inability to accept new write commands depending on "
                    "the maxmemory-policy.",
                    (long long)srv.cfg.maxmemory, hp_mem_used());
            srv_evict_if_needed();
        }
        return;
    }
    if (evict_pending) {
        srv_evict_if_needed();
    }
}

/* 1 while an eviction that ran out of time still has work to do. */
int srv_evict_pending(void)
{
    return evict_pending;
}
