/*
 * db.c - the keyspace: the databases, key lookups with lazy expiry, the
 * binding clocks (LRU / LFU kept in each entry's meta), weak bindings,
 * bindings of emptied containers, active expiry and the cron work on the
 * tables.
 *
 * Layout: each srv_db_t has `dict` (key -> binding value) and `expires`
 * (key -> v.i, absolute unix ms). Invariant: every key of `expires` is a
 * key of `dict`. A binding value is either an hp_obj_t* holding one
 * strong reference (every normal key: no extra allocation, no extra
 * pointer chase), or, with bit 0 set, a weak_binding_t* (REF.LINK ...
 * WEAK, HEAP.md "Weak references"): a weak reference holding no
 * refcount. The dict's val_free releases either; strong values go
 * through hp_decref_deferred, so a big value is freed in slices.
 *
 * A binding is dead, and reads as missing through every accessor, when
 * its TTL passed, when it is weak and its object died (the heap cleared
 * the weakref), or when its object is an empty container (HEAP.md: empty
 * containers do not exist as far as names go). Dead bindings are
 * reclaimed on access; dead weak bindings are also queued by the heap's
 * clear callback and unbound before the loop sleeps
 * (srv_db_weak_flush), empty-container bindings found by a sweep that
 * active expiry runs while some may exist.
 *
 * Time: expiry decisions of commands use srv_mstime() (the per-command
 * snapshot, as Redis's command time snapshot); active expiry reads the
 * clock. Executor thread only.
 */
#include "server.h"
#include "heap_gc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---------------------------------------------------------------------
 * Binding values: strong objects and weak bindings
 * ------------------------------------------------------------------ */

#define WEAK_TAG ((uintptr_t)1)

/* A weak binding: the heap's weakref (its ud points back here), the
 * keyspace dict it sits in (it follows SWAPDB) and its key, so that the
 * clear callback can queue it for unbinding without touching a dict. */
typedef struct weak_binding {
    struct weak_binding *prev, *next; /* the dead list, once cleared */
    hp_weakref_t *wr;
    hp_dict_t *dict;
    int dead;          /* cleared by the heap, on the dead list */
    size_t keylen;
    char key[];
} weak_binding_t;

static weak_binding_t *dead_head; /* cleared, still bound */
static size_t ndead;

static void wq_fini(void); /* "Names with a TTL ..." below */

/* True when binding value v is a weak binding. */
static inline int value_is_weak(const void *v)
{
    return ((uintptr_t)v & WEAK_TAG) != 0;
}

/* The weak binding of a tagged value. */
static inline weak_binding_t *value_weak(const void *v)
{
    return (weak_binding_t *)((uintptr_t)v & ~WEAK_TAG);
}

/* Borrowed: the object binding value v stands for, or NULL for a weak
 * binding whose object died (or is being collected). */
static inline hp_obj_t *value_obj(const void *v)
{
    if (!value_is_weak(v))
        return (hp_obj_t *)v;
    return hp_weakref_get(value_weak(v)->wr);
}

/* Take wb off the dead list if it is on it. */
static void dead_unlink(weak_binding_t *wb)
{
    if (!wb->dead)
        return;
    if (wb->prev)
        wb->prev->next = wb->next;
    else
        dead_head = wb->next;
    if (wb->next)
        wb->next->prev = wb->prev;
    wb->prev = wb->next = NULL;
    wb->dead = 0;
    ndead--;
}

/* New tagged binding value: a weak binding of key in dict to target
 * (borrowed, not shared). NULL on OOM. */
static void *weak_new(hp_dict_t *dict, const char *key, size_t len,
                      hp_obj_t *target)
{
    weak_binding_t *wb = hp_malloc(sizeof(*wb) + len);

    if (wb == NULL)
        return NULL;
    wb->prev = wb->next = NULL;
    wb->dict = dict;
    wb->dead = 0;
    wb->keylen = len;
    memcpy(wb->key, key, len);
    wb->wr = hp_weakref_new(target, wb);
    if (wb->wr == NULL) {
        hp_free(wb);
        return NULL;
    }
    return (void *)((uintptr_t)wb | WEAK_TAG);
}

/* Free a weak binding (off the dead list, weakref unregistered). */
static void weak_free(weak_binding_t *wb)
{
    dead_unlink(wb);
    hp_weakref_free(wb->wr);
    hp_free(wb);
}

/* Release a binding value: a strong object's reference goes through the
 * deferred-free queue (a big value is freed in slices), a weak binding
 * is freed. NULL: no-op. */
static void value_release(void *v)
{
    if (v == NULL)
        return;
    if (value_is_weak(v)) {
        weak_free(value_weak(v));
    } else {
        srv_client_refs_settle(); /* the last holder may be this binding */
        hp_decref_deferred(v);
    }
}

/* val_free of the keyspace dicts: drop the binding. */
static void binding_release(void *ptr)
{
    value_release(ptr);
}

static const hp_dict_type_t keyspace_type = {binding_release};
static const hp_dict_type_t expires_type = {NULL};

/* The heap cleared weak binding ud (its object died): queue it. Called
 * inside frees, so no dict is touched; reads already see it missing. */
void srv_db_weak_cleared(void *ud)
{
    weak_binding_t *wb = ud;

    if (wb == NULL || wb->dead)
        return;
    wb->dead = 1;
    wb->prev = NULL;
    wb->next = dead_head;
    if (dead_head)
        dead_head->prev = wb;
    dead_head = wb;
    ndead++;
}

/* True when o is a container with no elements (strings never are). */
static int obj_is_empty(const hp_obj_t *o)
{
    switch (o->type) {
    case HP_TYPE_LIST:
        return hp_list_len(o) == 0;
    case HP_TYPE_HASH:
        return hp_hash_len(o) == 0;
    case HP_TYPE_SET:
        return hp_set_len(o) == 0;
    case HP_TYPE_ZSET:
        return hp_zset_len(o) == 0;
    default:
        return 0;
    }
}

/* ---------------------------------------------------------------------
 * Emptied containers. The binding through which a command empties a
 * container is deleted by that command, which looked it up live first:
 * lookups remember the last few live container bindings of the current
 * command, and a delete of one of them is a normal delete. Any other
 * binding of an empty container is dead (reclaimed like an expired key).
 * When a binding to an empty container goes while something else still
 * holds the container, other names may be bound to it: a sweep over the
 * keyspaces (run by active expiry) reclaims them.
 * ------------------------------------------------------------------ */

#define LIVE_MARKS 8

typedef struct live_mark {
    const hp_dict_entry_t *de;
    const hp_obj_t *o;
    uint64_t seq; /* total_commands_processed during the lookup */
} live_mark_t;

static live_mark_t live_marks[LIVE_MARKS];
static unsigned int live_next;
static uint64_t empty_gen;      /* bumped when an empty binding may exist */
static uint64_t sweep_gen_done; /* empty_gen a complete sweep covered */
static struct {
    int active;     /* a sweep is under way (sweep_empty) */
    int db;
    uint64_t cursor;
    uint64_t gen;   /* empty_gen when this sweep started */
} sweep;

/* Remember that the current command found container binding de live. */
static void mark_live(const hp_dict_entry_t *de, const hp_obj_t *o)
{
    live_mark_t *m = &live_marks[live_next++ % LIVE_MARKS];

    m->de = de;
    m->o = o;
    m->seq = srv.stats.total_commands_processed;
}

/* Whether the current command found binding de (to o) live. */
static int marked_live(const hp_dict_entry_t *de, const hp_obj_t *o)
{
    for (int i = 0; i < LIVE_MARKS; i++)
        if (live_marks[i].de == de && live_marks[i].o == o &&
            live_marks[i].seq == srv.stats.total_commands_processed)
            return 1;
    return 0;
}

/* Some binding may now point at an empty container: the next active
 * expiry cycles sweep the keyspaces. */
void srv_db_empty_suspect(void)
{
    empty_gen++;
}

/* ---------------------------------------------------------------------
 * Binding clocks: meta holds a 24-bit LRU clock (seconds) or, under an
 * LFU maxmemory policy, 16 bits of minutes and an 8-bit log counter, as
 * Redis keeps them in robj->lru.
 * ------------------------------------------------------------------ */

#define LRU_CLOCK_MAX ((1u << 24) - 1) /* the LRU clock wraps here */
#define LFU_INIT_VAL 5                 /* counter of a new binding */
#define LFU_LOG_FACTOR srv.cfg.lfu_log_factor /* lfu-log-factor */
#define LFU_DECAY_TIME srv.cfg.lfu_decay_time /* minutes, lfu-decay-time */

/* True when maxmemory-policy is an LFU one. The answer is cached per
 * value of cfg.maxmemory_policy, so the string is read only on change. */
int srv_db_lfu_enabled(void)
{
    static int cached_policy = -1;
    static int cached_lfu = 0;
    char buf[64];

    if (srv.cfg.maxmemory_policy != cached_policy) {
        cached_policy = srv.cfg.maxmemory_policy;
        cached_lfu = srv_config_get_value("maxmemory-policy", buf,
                                          sizeof(buf)) == 0 &&
                     strstr(buf, "lfu") != NULL;
    }
    return cached_lfu;
}

/* The LRU clock now: seconds, 24 bits. */
static uint32_t lru_clock(void)
{
    return (uint32_t)(srv_mstime() / 1000) & LRU_CLOCK_MAX;
}

/* Minutes, 16 bits: the LFU decay clock. */
static uint32_t lfu_minutes(void)
{
    return (uint32_t)(srv_mstime() / 60000) & 0xffff;
}

/* The LFU counter of meta after decay (does not store it). */
static uint32_t lfu_decayed(uint32_t meta)
{
    uint32_t ldt = meta >> 8, counter = meta & 0xff;
    uint32_t now = lfu_minutes();
    uint32_t elapsed = now >= ldt ? now - ldt : 0xffff - ldt + now;
    uint32_t periods =
        LFU_DECAY_TIME > 0 ? elapsed / (uint32_t)LFU_DECAY_TIME : 0;

    return periods >= counter ? 0 : counter - periods;
}

/* A cheap generator for the LFU's probabilistic increment. */
static double lfu_random(void)
{
    static uint64_t state = 0x2545f4914f6cdd1dULL;

    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return (double)(state >> 11) / (double)(1ULL << 53);
}

/* Logarithmic increment: the higher the counter, the less likely. */
static uint32_t lfu_log_incr(uint32_t counter)
{
    double base, p;

    if (counter == 255) {
        return 255;
    }
    base = counter > LFU_INIT_VAL ? (double)(counter - LFU_INIT_VAL) : 0.0;
    p = 1.0 / (base * LFU_LOG_FACTOR + 1);
    return lfu_random() < p ? counter + 1 : counter;
}

/* meta for a new binding. */
static uint32_t clock_new(void)
{
    if (srv_db_lfu_enabled()) {
        return (lfu_minutes() << 8) | LFU_INIT_VAL;
    }
    return lru_clock();
}

/* Record an access on a binding. */
static void clock_touch(hp_dict_entry_t *de)
{
    if (srv_db_lfu_enabled()) {
        uint32_t counter = lfu_log_incr(lfu_decayed(de->meta));

        de->meta = (lfu_minutes() << 8) | counter;
    } else {
        de->meta = lru_clock();
    }
}

/* ---------------------------------------------------------------------
 * Init, select, size
 * ------------------------------------------------------------------ */

/* Allocate cfg.databases empty databases into srv.dbs. 0 / -ENOMEM. */
int srv_db_init_all(void)
{
    int n = srv.cfg.databases > 0 ? srv.cfg.databases : 1;

    srv.dbs = hp_calloc((size_t)n, sizeof(srv_db_t));
    if (srv.dbs == NULL) {
        return -ENOMEM;
    }
    for (int i = 0; i < n; i++) {
        srv.dbs[i].id = i;
        srv.dbs[i].dict = hp_dict_new(&keyspace_type);
        srv.dbs[i].expires = hp_dict_new(&expires_type);
        if (srv.dbs[i].dict == NULL || srv.dbs[i].expires == NULL) {
            srv_db_fini_all();
            return -ENOMEM;
        }
    }
    return 0;
}

/* Free every database and its bindings (and the values they queued for
 * deferred freeing). Safe when never initialised. */
void srv_db_fini_all(void)
{
    int n = srv.cfg.databases > 0 ? srv.cfg.databases : 1;

    if (srv.dbs == NULL) {
        return;
    }
    srv_blocked_fini();
    for (int i = 0; i < n; i++) {
        hp_dict_free(srv.dbs[i].dict);
        hp_dict_free(srv.dbs[i].expires);
    }
    hp_free(srv.dbs);
    srv.dbs = NULL;
    srv_db_free_step(-1);
    wq_fini();
    /* the big values the dicts queued are freed now, not left behind */
    while (hp_free_step(-1, SIZE_MAX)) {
    }
}

/* Point c at database id: 0, or -EINVAL when out of range. */
int srv_db_select(srv_client_t *c, int64_t id)
{
    if (id < 0 || id >= srv.cfg.databases) {
        return -EINVAL;
    }
    c->db = &srv.dbs[id];
    return 0;
}

/* Number of keys in db: expired and empty-container bindings not yet
 * reclaimed included (as Redis counts expired keys), weak bindings whose
 * object died not (they are gone the moment it dies). */
size_t srv_db_size(const srv_db_t *db)
{
    size_t n = hp_dict_size(db->dict);

    if (ndead > 0) {
        for (const weak_binding_t *wb = dead_head; wb; wb = wb->next)
            if (wb->dict == db->dict && n > 0)
                n--;
    }
    return n;
}

/* ---------------------------------------------------------------------
 * Expiry primitives
 * ------------------------------------------------------------------ */

/* Absolute expire time of key in unix ms, or -1 when it has none. */
int64_t srv_db_get_expire(srv_db_t *db, const char *key, size_t len)
{
    hp_dict_entry_t *de;

    if (hp_dict_size(db->expires) == 0) {
        return -1;
    }
    de = hp_dict_find(db->expires, key, len);
    return de ? de->v.i : -1;
}

/* True when key has a TTL that has passed at the command time. As in
 * Redis a key expiring exactly now is still alive. */
static int ttl_passed(srv_db_t *db, const char *key, size_t len)
{
    int64_t when = srv_db_get_expire(db, key, len);

    return when >= 0 && srv_mstime() > when;
}

/* True when key is bound but reads as missing: its TTL passed, or it is
 * a weak binding whose object died, or its object is an empty container
 * (KEYS skips it, WATCH treats it as expired). */
int srv_db_key_is_expired(srv_db_t *db, const char *key, size_t len)
{
    hp_dict_entry_t *de;
    hp_obj_t *o;

    if (ttl_passed(db, key, len)) {
        return 1;
    }
    de = hp_dict_find(db->dict, key, len);
    if (de == NULL) {
        return 0;
    }
    o = value_obj(de->v.ptr);
    return o == NULL || (o->type != HP_TYPE_STRING && obj_is_empty(o) &&
                         !marked_live(de, o));
}

/* True while CLIENT PAUSE holds: keys then look expired but stay, so the
 * dataset does not change under a paused server (Redis 7.0). */
static int expiry_paused(void)
{
    return srv.clients_paused_until_ms != 0 &&
           srv_mstime_now() < srv.clients_paused_until_ms;
}

/* Finish removing entry e, already unlinked from db->dict: its TTL,
 * the entry, then the value (a strong one through the deferred-free
 * queue; when it was an emptied container that something else still
 * holds, other names may be bound to it: srv_db_empty_suspect). */
static void remove_unlinked(srv_db_t *db, hp_dict_entry_t *e)
{
    void *val = e->v.ptr;

    if (hp_dict_size(db->expires) > 0) {
        hp_dict_delete(db->expires, e->key, e->keylen);
    }
    hp_dict_entry_free(db->dict, e);
    if (!value_is_weak(val)) {
        hp_obj_t *o = val;

        if (o->type != HP_TYPE_STRING && o->refcount > 1 &&
            obj_is_empty(o)) {
            srv_db_empty_suspect();
        }
    }
    value_release(val);
}

/* Remove key's binding and TTL without signalling. key may point into
 * either entry: the dict entry is unlinked first and freed last. 1 if it
 * existed, else 0. */
static int remove_binding(srv_db_t *db, const char *key, size_t len)
{
    hp_dict_entry_t *e = hp_dict_unlink(db->dict, key, len);

    if (e == NULL) {
        return 0;
    }
    remove_unlinked(db, e);
    return 1;
}

/* Delete an expired key, counting it in expired_keys. */
static void delete_expired(srv_db_t *db, const char *key, size_t len)
{
    /* WATCH and keyspace notifications see the expiry; before the
     * removal, which may free key. */
    if (hp_dict_find(db->dict, key, len) != NULL) {
        srv_multi_touch_expired(db, key, len);
        srv_notify(SRV_NOTIFY_EXPIRED, "expired", db, key, len);
    }
    if (remove_binding(db, key, len)) {
        srv.stats.expired_keys++;
    }
}

/* Lazy expiry: if key's TTL has passed, delete it (unless paused) and
 * return 1; else 0. */
static int expire_if_needed(srv_db_t *db, const char *key, size_t len)
{
    if (!ttl_passed(db, key, len)) {
        return 0;
    }
    if (!expiry_paused()) {
        delete_expired(db, key, len);
    }
    return 1;
}

/* Finish unbinding the dead binding e (a cleared weak binding, or one
 * of an empty container), already unlinked from db->dict: WATCH, then a
 * `del` event. A weak one is a write (its object died); an empty one is
 * reclaimed as an expired key is, and the container, if something else
 * still holds it, may be bound to other names too. e is freed. */
static void dead_unlinked(srv_db_t *db, hp_dict_entry_t *e)
{
    void *val = e->v.ptr;

    if (hp_dict_size(db->expires) > 0) {
        hp_dict_delete(db->expires, e->key, e->keylen);
    }
    if (value_is_weak(val)) {
        weak_free(value_weak(val));
        val = NULL;
        srv_db_signal_modified(db, e->key, e->keylen);
    } else {
        srv_multi_touch_expired(db, e->key, e->keylen);
        if (((hp_obj_t *)val)->refcount > 1) {
            srv_db_empty_suspect();
        }
    }
    srv_notify(SRV_NOTIFY_GENERIC, "del", db, e->key, e->keylen);
    hp_dict_entry_free(db->dict, e);
    value_release(val);
}

/* Unbind the dead binding de of db (see dead_unlinked). */
static void unbind_dead(srv_db_t *db, hp_dict_entry_t *de)
{
    dead_unlinked(db, hp_dict_unlink(db->dict, de->key, de->keylen));
}

/* Unbind every queued weak binding whose object died (before the loop
 * sleeps; see srv_ref_before_sleep). */
void srv_db_weak_flush(void)
{
    while (dead_head != NULL) {
        weak_binding_t *wb = dead_head;
        hp_dict_entry_t *de = NULL;
        srv_db_t *db = NULL;

        for (int i = 0; i < srv.cfg.databases && srv.dbs; i++) {
            if (srv.dbs[i].dict == wb->dict) {
                db = &srv.dbs[i];
                break;
            }
        }
        if (db != NULL) {
            de = hp_dict_find(db->dict, wb->key, wb->keylen);
        }
        if (de == NULL || value_weak(de->v.ptr) != wb ||
            !value_is_weak(de->v.ptr)) {
            dead_unlink(wb); /* not bound any more: nothing to do */
            continue;
        }
        unbind_dead(db, de);
    }
}

/* Whether binding de (object o, NULL when weak and dead) reads as
 * missing for being dead, as opposed to expired. */
static int binding_dead(const hp_dict_entry_t *de, const hp_obj_t *o)
{
    return o == NULL ||
           (o->type != HP_TYPE_STRING && obj_is_empty(o) &&
            !marked_live(de, o));
}

/* hp_dict_add on the keyspace, where a dead binding of key counts as
 * absent: it is unbound first (only then is the table searched twice).
 * key must not point into the keyspace entry. NULL on OOM. */
static hp_dict_entry_t *add_live(srv_db_t *db, const char *key, size_t len,
                                 int *existed)
{
    hp_dict_entry_t *de = hp_dict_add(db->dict, key, len, existed);

    if (de != NULL && *existed && binding_dead(de, value_obj(de->v.ptr))) {
        unbind_dead(db, de);
        de = hp_dict_add(db->dict, key, len, existed);
    }
    return de;
}

/* ---------------------------------------------------------------------
 * Names with a TTL whose object is weakly referenced or shared.
 *
 * Expiry is lazy: a name whose TTL passed keeps its object until the
 * name is accessed or sampled by active expiry. A weak reference to that
 * object (a weak alias, a weak element) must not see it meanwhile: for
 * the user the object died when the TTL passed. So the names that had a
 * TTL while their object was weakly referenced or shared (TTL set on such
 * a name, or a reference taken through a name with a TTL) are queued
 * here (shared too: the object does not know its names, and a weak
 * reference may later be taken through another of them),
 * one entry per name, in a binary min-heap on the TTL; before each
 * command whose time is past the earliest one, the queued names whose
 * TTL passed are expired exactly as lazy expiry does (`expired`,
 * expired_keys, WATCH), which kills the object when those names were its
 * last holders and so clears its weak references, whose events are then
 * published at once (srv_ref_before_sleep). Expiring an expired name is
 * always allowed, so an entry never needs to be exact: one whose name
 * lost its TTL, was deleted or rebound is dropped when it comes up, one
 * whose TTL was pushed back goes back into the heap. An object held by
 * anything else (a name without TTL, a strong element, a name the queue
 * never heard of) is alive, and stays so.
 *
 * An entry keeps its keyspace dict (it follows SWAPDB, as weak bindings
 * do) and is found by (dict address, key) in `wq_index`.
 * ------------------------------------------------------------------ */

typedef struct wttl {
    hp_dict_t *dict; /* the keyspace the name lives in */
    int64_t when;    /* its TTL as last heard of (unix ms) */
    size_t pos;      /* index in wq_heap */
    size_t keylen;
    char key[];
} wttl_t;

int64_t srv_db_weak_due_ms = INT64_MAX;
static wttl_t **wq_heap;
static size_t wq_n, wq_cap;
static hp_dict_t *wq_index; /* dict address + key -> wttl_t* (owned) */

/* val_free of wq_index. */
static void wttl_free(void *p)
{
    hp_free(p);
}

static const hp_dict_type_t wq_index_type = {wttl_free};

/* Build the index key of (dict, key) into buf (or a new block when it
 * does not fit: *heap set, the caller frees it). NULL on OOM. */
static char *wq_key(char *buf, size_t size, const hp_dict_t *dict,
                    const char *key, size_t len, char **heap)
{
    char *k = buf;

    *heap = NULL;
    if (sizeof(dict) + len > size) {
        if ((k = *heap = hp_malloc(sizeof(dict) + len)) == NULL)
            return NULL;
    }
    memcpy(k, &dict, sizeof(dict));
    memcpy(k + sizeof(dict), key, len);
    return k;
}

/* Put heap slot i's entry at slot i (and tell it). */
static void wq_place(size_t i, wttl_t *w)
{
    wq_heap[i] = w;
    w->pos = i;
}

/* Move the entry at slot i up while its parent is later. */
static void wq_up(size_t i)
{
    wttl_t *w = wq_heap[i];

    while (i > 0 && wq_heap[(i - 1) / 2]->when > w->when) {
        wq_place(i, wq_heap[(i - 1) / 2]);
        i = (i - 1) / 2;
    }
    wq_place(i, w);
}

/* Move the entry at slot i down while a child is earlier. */
static void wq_down(size_t i)
{
    wttl_t *w = wq_heap[i];

    for (;;) {
        size_t c = 2 * i + 1;

        if (c >= wq_n)
            break;
        if (c + 1 < wq_n && wq_heap[c + 1]->when < wq_heap[c]->when)
            c++;
        if (wq_heap[c]->when >= w->when)
            break;
        wq_place(i, wq_heap[c]);
        i = c;
    }
    wq_place(i, w);
}

/* Publish the earliest TTL for the check before each command. */
static void wq_due_update(void)
{
    srv_db_weak_due_ms = wq_n > 0 ? wq_heap[0]->when : INT64_MAX;
}

/* Take w out of the heap and free it (through the index). */
static void wq_remove(wttl_t *w)
{
    size_t i = w->pos;
    char buf[128], *heap;
    char *k;

    wq_n--;
    if (i < wq_n) {
        wttl_t *last = wq_heap[wq_n];

        wq_place(i, last);
        wq_down(i);
        wq_up(last->pos);
    }
    /* the index key is built from w's own bytes before w is freed */
    k = wq_key(buf, sizeof(buf), w->dict, w->key, w->keylen, &heap);
    if (k != NULL)
        hp_dict_delete(wq_index, k, sizeof(w->dict) + w->keylen);
    hp_free(heap);
    wq_due_update();
}

/* Queue key of dict with TTL when, or move its entry to when. On OOM
 * nothing is queued: the object then lives until its name is reclaimed
 * by access or active expiry, as before. */
static void wq_note(hp_dict_t *dict, const char *key, size_t len,
                    int64_t when)
{
    char buf[128], *heap, *k;
    hp_dict_entry_t *de;
    wttl_t *w;
    int existed;

    if (!wq_index && !(wq_index = hp_dict_new(&wq_index_type)))
        return;
    if (!(k = wq_key(buf, sizeof(buf), dict, key, len, &heap)))
        return;
    de = hp_dict_find(wq_index, k, sizeof(dict) + len);
    if (de != NULL) {
        w = de->v.ptr;
        w->when = when;
        wq_down(w->pos);
        wq_up(w->pos);
        goto done;
    }
    if (wq_n == wq_cap) {
        size_t cap = wq_cap ? wq_cap * 2 : 16;
        wttl_t **h = hp_realloc(wq_heap, cap * sizeof(*h));

        if (h == NULL)
            goto done;
        wq_heap = h;
        wq_cap = cap;
    }
    if ((w = hp_malloc(sizeof(*w) + len)) == NULL)
        goto done;
    de = hp_dict_add(wq_index, k, sizeof(dict) + len, &existed);
    if (de == NULL) {
        hp_free(w);
        goto done;
    }
    de->v.ptr = w;
    w->dict = dict;
    w->when = when;
    w->keylen = len;
    memcpy(w->key, key, len);
    wq_place(wq_n++, w);
    wq_up(w->pos);
done:
    hp_free(heap);
    wq_due_update();
}

/* Free the queue (shutdown). */
static void wq_fini(void)
{
    hp_free(wq_heap);
    wq_heap = NULL;
    wq_n = wq_cap = 0;
    hp_dict_free(wq_index); /* frees the entries */
    wq_index = NULL;
    wq_due_update();
}

/* value_ttl_matters, when `held` of the object's strong holds are about
 * to go (a binding being moved): they do not make it shared. */
static int value_ttl_matters_held(const void *v, uint32_t held)
{
    const hp_obj_t *o = v;

    if (value_is_weak(v))
        return 0;
    return hp_weakref_count(o) > 0 || hp_gc_is_tracked(o) ||
           (o->refcount > 1 + held && o->refcount != HP_REFCOUNT_IMMORTAL);
}

/* Whether a TTL on binding value v must be acted on when it passes:
 * v is a strong name of an object that is weakly referenced, or shared
 * (another name or a strong element holds it too, through which a weak
 * reference may be taken later: the object does not know its names, so
 * each of them is queued when it gets its TTL or when the object
 * becomes shared through it), or that holds strong reference elements
 * (their targets may be weakly referenced, and die with it). */
static int value_ttl_matters(const void *v)
{
    return value_ttl_matters_held(v, 0);
}

/* key's object just got a reference (REF.LINK, a REF.* element, weak or
 * strong), or a strong reference element of its own: queue key when it
 * is a strong name with a TTL. */
void srv_db_ref_target(srv_db_t *db, const char *key, size_t len)
{
    int64_t when = srv_db_get_expire(db, key, len);
    hp_dict_entry_t *de;

    if (when < 0 || (de = hp_dict_find(db->dict, key, len)) == NULL ||
        !value_ttl_matters(de->v.ptr))
        return;
    wq_note(db->dict, key, len, when);
}

/* The database whose keyspace is dict, or NULL (flushed away). */
static srv_db_t *db_of_dict(const hp_dict_t *dict)
{
    for (int i = 0; i < srv.cfg.databases && srv.dbs; i++)
        if (srv.dbs[i].dict == dict)
            return &srv.dbs[i];
    return NULL;
}

/* Before a command (client.c's call, when srv_mstime() passed
 * srv_db_weak_due_ms): lazily expire every queued name whose TTL passed,
 * then publish the weak references cleared by it. Not while CLIENT PAUSE
 * holds expiry. */
void srv_db_weak_expire_due(void)
{
    int64_t now = srv_mstime();
    int expired = 0;

    if (expiry_paused())
        return;
    while (wq_n > 0 && wq_heap[0]->when < now) {
        wttl_t *w = wq_heap[0];
        srv_db_t *db = db_of_dict(w->dict);
        int64_t when = db ? srv_db_get_expire(db, w->key, w->keylen) : -1;
        hp_dict_entry_t *de;

        if (when >= 0 && now > when) {
            delete_expired(db, w->key, w->keylen);
            expired++;
            wq_remove(w);
        } else if (when >= 0 &&
                   (de = hp_dict_find(db->dict, w->key, w->keylen)) &&
                   value_ttl_matters(de->v.ptr)) {
            w->when = when; /* pushed back: later than now */
            wq_down(0);
            wq_due_update();
        } else {
            wq_remove(w);
        }
    }
    if (expired > 0)
        srv_ref_before_sleep();
}

/* ---------------------------------------------------------------------
 * Lookups
 * ------------------------------------------------------------------ */

/* The live entry of key (lazy expiry applied, dead bindings reclaimed),
 * or NULL; *obj gets its object. Borrowed. A container binding found
 * live is remembered for the current command (mark_live). */
static hp_dict_entry_t *find_live(srv_db_t *db, const char *key, size_t len,
                                  hp_obj_t **obj)
{
    hp_dict_entry_t *de = hp_dict_find(db->dict, key, len);
    hp_obj_t *o;

    if (de == NULL || expire_if_needed(db, key, len)) {
        return NULL;
    }
    o = value_obj(de->v.ptr);
    if (o == NULL || o->type != HP_TYPE_STRING) {
        if (o == NULL || obj_is_empty(o)) {
            /* a command that emptied it through this name deletes it */
            if (o == NULL || !marked_live(de, o)) {
                unbind_dead(db, de);
            }
            return NULL;
        }
        mark_live(de, o);
    }
    *obj = o;
    return de;
}

/* Prefetch what looking the n keys up in db will read (see server.h):
 * each step loads, for every key at once, what the step before
 * prefetched, so the misses of different keys overlap instead of
 * queueing one after the other; the TTL dict's chains too when it
 * holds any. Read-only: no expiry, no clock, no stats, no rehash step.
 * A weak binding is not followed. */
void srv_db_prefetch(srv_db_t *db, const resp_slice_t *keys, int n)
{
    uint64_t h[SRV_PREFETCH_MAX];
    const hp_obj_t *o[SRV_PREFETCH_MAX];
    hp_dict_t *d = db->dict, *ttl = db->expires;
    int i, ttls = hp_dict_size(ttl) > 0;

    if (n > SRV_PREFETCH_MAX)
        n = SRV_PREFETCH_MAX;
    if (n <= 0 || hp_dict_size(d) == 0)
        return;
    for (i = 0; i < n; i++) {
        h[i] = hp_hash(keys[i].ptr, keys[i].len);
        hp_dict_prefetch_slot(d, h[i]);
        if (ttls)
            hp_dict_prefetch_slot(ttl, h[i]);
    }
    for (i = 0; i < n; i++) {
        hp_dict_prefetch_chain(d, h[i]);
        if (ttls)
            hp_dict_prefetch_chain(ttl, h[i]);
    }
    for (i = 0; i < n; i++) {
        const hp_dict_entry_t *de = hp_dict_peek(d, keys[i].ptr,
                                                 keys[i].len, h[i]);

        o[i] = NULL;
        if (de && de->v.ptr && !value_is_weak(de->v.ptr)) {
            o[i] = de->v.ptr;
            __builtin_prefetch(o[i], 0, 3);
        }
    }
    for (i = 0; i < n; i++) {
        if (o[i])
            hp_obj_prefetch_body(o[i]);
    }
}

/* Borrowed object bound to key (weak bindings followed), NULL when not
 * bound or a weak binding's object died. No expiry, no reclaim, no
 * stats. */
hp_obj_t *srv_db_peek(srv_db_t *db, const char *key, size_t len)
{
    hp_dict_entry_t *de = hp_dict_find(db->dict, key, len);

    return de ? value_obj(de->v.ptr) : NULL;
}

/* Borrowed value of key for reading: counts hits/misses, touches the
 * clock. NULL when missing, expired or dead. */
hp_obj_t *srv_db_lookup_read(srv_db_t *db, const char *key, size_t len)
{
    hp_obj_t *o = NULL;
    hp_dict_entry_t *de = find_live(db, key, len, &o);

    if (de == NULL) {
        srv.stats.keyspace_misses++;
        srv_notify(SRV_NOTIFY_KEY_MISS, "keymiss", db, key, len);
        return NULL;
    }
    srv.stats.keyspace_hits++;
    clock_touch(de);
    return o;
}

/* Borrowed value of key for writing: touches the clock, no stats. */
hp_obj_t *srv_db_lookup_write(srv_db_t *db, const char *key, size_t len)
{
    hp_obj_t *o = NULL;
    hp_dict_entry_t *de = find_live(db, key, len, &o);

    if (de == NULL) {
        return NULL;
    }
    clock_touch(de);
    return o;
}

/* Borrowed value of key with lazy expiry only: no stats, no clock. */
hp_obj_t *srv_db_lookup_nostats(srv_db_t *db, const char *key, size_t len)
{
    hp_obj_t *o = NULL;

    return find_live(db, key, len, &o) ? o : NULL;
}

/* Idle time of key's binding in ms at the LRU clock's resolution (1 s),
 * or -1 when the key is missing. No stats, no touch, lazy expiry. */
int64_t srv_db_idle_ms(srv_db_t *db, const char *key, size_t len)
{
    hp_obj_t *o;
    hp_dict_entry_t *de = find_live(db, key, len, &o);
    uint32_t now = lru_clock();
    uint32_t then;

    if (de == NULL) {
        return -1;
    }
    then = de->meta & LRU_CLOCK_MAX;
    if (now >= then) {
        return (int64_t)(now - then) * 1000;
    }
    return (int64_t)(now + (LRU_CLOCK_MAX - then)) * 1000;
}

/* LFU counter of key's binding after decay (OBJECT FREQ), or -1 when the
 * key is missing. No stats, no touch, lazy expiry. */
int srv_db_lfu_freq(srv_db_t *db, const char *key, size_t len)
{
    hp_obj_t *o;
    hp_dict_entry_t *de = find_live(db, key, len, &o);

    return de ? (int)lfu_decayed(de->meta) : -1;
}

/* Set the clock of key's binding as RESTORE's FREQ / IDLETIME do (Redis's
 * objectSetLRUOrLFU): under an LFU policy a freq >= 0 becomes the
 * counter; otherwise an idle >= 0 (seconds) ages the LRU clock (an age
 * past the clock's range lands half a wrap in the future, as Redis).
 * A missing key is left alone. */
void srv_db_set_clock(srv_db_t *db, const char *key, size_t len,
                      int64_t lfu_freq, int64_t lru_idle_s)
{
    hp_dict_entry_t *de = hp_dict_find(db->dict, key, len);
    int64_t now = lru_clock();

    if (de == NULL) {
        return;
    }
    if (srv_db_lfu_enabled()) {
        if (lfu_freq >= 0 && lfu_freq <= 255) {
            de->meta = (lfu_minutes() << 8) | (uint32_t)lfu_freq;
        }
    } else if (lru_idle_s >= 0) {
        int64_t abs_clock = now - lru_idle_s;

        if (abs_clock < 0) {
            abs_clock = (now + LRU_CLOCK_MAX / 2) % LRU_CLOCK_MAX;
        }
        de->meta = (uint32_t)abs_clock;
    }
}

/* ---------------------------------------------------------------------
 * Writes
 * ------------------------------------------------------------------ */

/* Count a write to key (stats.dirty). The hook for WATCH, tracking and
 * keyspace notifications. */
void srv_db_signal_modified(srv_db_t *db, const char *key, size_t len)
{
    srv_multi_touch_key(db, key, len);
    srv_blocked_signal_key(db, key, len);
    srv.stats.dirty++;
}

/* Bind key to binding value v (a strong reference already taken, or a
 * weak binding), replacing what key held (released; its TTL dropped
 * unless keepttl). An overwrite keeps the LFU counter of the old
 * binding (Redis dbOverwrite) but starts a new LRU age. Signals the key;
 * "new" when it was not bound. 0 or -ENOMEM (v not consumed). */
static int bind_value(srv_db_t *db, const char *key, size_t len, void *v,
                      int keepttl)
{
    hp_dict_entry_t *de;
    void *old = NULL;
    int existed;

    de = add_live(db, key, len, &existed);
    if (de == NULL) {
        return -ENOMEM;
    }
    if (existed) {
        old = de->v.ptr;
        if (!srv_db_lfu_enabled()) {
            de->meta = clock_new();
        }
    } else {
        de->meta = clock_new();
    }
    de->v.ptr = v;
    if (!keepttl && hp_dict_size(db->expires) > 0) {
        hp_dict_delete(db->expires, key, len);
    }
    value_release(old);
    srv_db_signal_modified(db, key, len);
    if (!existed) {
        srv_notify(SRV_NOTIFY_NEW, "new", db, key, len);
    }
    return 0;
}

/* Bind key to val (own reference taken), as a normal key even when key
 * was a weak binding. A dead binding of key is reclaimed first. 0 or
 * -ENOMEM (nothing changed). */
int srv_db_set(srv_db_t *db, const char *key, size_t len, hp_obj_t *val,
               int flags)
{
    int rc;

    expire_if_needed(db, key, len);
    hp_incref(val);
    rc = bind_value(db, key, len, val, (flags & SRV_SET_KEEPTTL) != 0);
    if (rc < 0) {
        hp_decref(val);
    }
    return rc;
}

/* Bind key weakly to target (REF.LINK ... WEAK): no reference taken; the
 * binding vanishes when target dies. Replaces what key held and drops
 * its TTL. 0, -ENOMEM, -EINVAL (target shared: privatise it first). */
int srv_db_set_weak(srv_db_t *db, const char *key, size_t len,
                    hp_obj_t *target)
{
    void *v;

    if (target == NULL || hp_obj_is_shared(target)) {
        return -EINVAL;
    }
    expire_if_needed(db, key, len);
    v = weak_new(db->dict, key, len, target);
    if (v == NULL) {
        return -ENOMEM;
    }
    if (bind_value(db, key, len, v, 0) < 0) {
        weak_free(value_weak(v));
        return -ENOMEM;
    }
    return 0;
}

/* Whether key of db is a weak binding (1) or not (0: normal or not
 * bound). No expiry, no reclaim. */
int srv_db_is_weak(srv_db_t *db, const char *key, size_t len)
{
    hp_dict_entry_t *de = hp_dict_find(db->dict, key, len);

    return de != NULL && value_is_weak(de->v.ptr);
}

/* Bind key to val only if absent after lazy expiry (dead bindings
 * reclaimed): 1 added (signals the key as modified), 0 existed,
 * -ENOMEM. */
int srv_db_add(srv_db_t *db, const char *key, size_t len, hp_obj_t *val)
{
    hp_dict_entry_t *de;
    int existed;

    expire_if_needed(db, key, len);
    de = add_live(db, key, len, &existed);
    if (de == NULL) {
        return -ENOMEM;
    }
    if (existed) {
        return 0;
    }
    hp_incref(val);
    de->v.ptr = val;
    de->meta = clock_new();
    srv_db_signal_modified(db, key, len);
    srv_notify(SRV_NOTIFY_NEW, "new", db, key, len);
    return 1;
}

/* Delete key and its TTL: 1 if a live key was deleted (signalled), 0 if
 * it was missing or expired (an expired key is reclaimed and counted as
 * expired, as DEL does in Redis) or dead (a weak binding whose object
 * died, an empty container not emptied through this name by the current
 * command: reclaimed). The value goes through the deferred-free queue. */
int srv_db_delete(srv_db_t *db, const char *key, size_t len)
{
    hp_dict_entry_t *e;

    if (expire_if_needed(db, key, len)) {
        return 0;
    }
    if ((e = hp_dict_unlink(db->dict, key, len)) == NULL) {
        return 0;
    }
    if (binding_dead(e, value_obj(e->v.ptr))) {
        dead_unlinked(db, e);
        return 0;
    }
    remove_unlinked(db, e);
    srv_db_signal_modified(db, key, len);
    return 1;
}

/* srv_db_set_expire, with `held` strong holds of the object about to go
 * (see value_ttl_matters_held). */
static int set_expire_held(srv_db_t *db, const char *key, size_t len,
                           int64_t when_ms, uint32_t held)
{
    hp_dict_entry_t *de, *be = hp_dict_find(db->dict, key, len);
    int existed;

    if (be == NULL) {
        return -ENOENT;
    }
    de = hp_dict_add(db->expires, key, len, &existed);
    if (de == NULL) {
        return -ENOMEM;
    }
    de->v.i = when_ms;
    if (value_ttl_matters_held(be->v.ptr, held)) {
        wq_note(db->dict, key, len, when_ms); /* see "Names with a TTL" */
    }
    return 0;
}

/* Set key's absolute expire time (unix ms). 0, -ENOENT when the key is
 * not bound, -ENOMEM. Does not signal (the command does). */
int srv_db_set_expire(srv_db_t *db, const char *key, size_t len,
                      int64_t when_ms)
{
    return set_expire_held(db, key, len, when_ms, 0);
}

/* Remove key's TTL: 1 if it had one, else 0. Does not signal. */
int srv_db_persist(srv_db_t *db, const char *key, size_t len)
{
    if (hp_dict_size(db->expires) == 0) {
        return 0;
    }
    return hp_dict_delete(db->expires, key, len) == 0;
}

/* Move the binding of skey in sdb to dkey in ddb (RENAME, MOVE): the
 * value (a weak binding stays weak), its TTL and its clock go along; an
 * existing dkey is replaced. skey must be live and differ from dkey when
 * sdb == ddb. Signals both keys and counts one change, as Redis does.
 * 0, -ENOENT, -ENOMEM (nothing changed). */
int srv_db_rename(srv_db_t *sdb, const char *skey, size_t slen,
                  srv_db_t *ddb, const char *dkey, size_t dlen)
{
    hp_dict_entry_t *se = hp_dict_find(sdb->dict, skey, slen);
    hp_dict_entry_t *de;
    hp_obj_t *o;
    void *val, *old = NULL;
    int64_t when = srv_db_get_expire(sdb, skey, slen);
    uint32_t meta;
    int existed;

    if (se == NULL || (sdb == ddb && slen == dlen &&
                       memcmp(skey, dkey, slen) == 0)) {
        return -ENOENT;
    }
    if ((o = value_obj(se->v.ptr)) == NULL) {
        return -ENOENT;
    }
    meta = se->meta;
    if (value_is_weak(se->v.ptr)) {
        if ((val = weak_new(ddb->dict, dkey, dlen, o)) == NULL) {
            return -ENOMEM;
        }
    } else {
        hp_incref(o);
        val = o;
    }
    de = hp_dict_add(ddb->dict, dkey, dlen, &existed);
    if (de == NULL) {
        value_release(val);
        return -ENOMEM;
    }
    if (existed) {
        old = de->v.ptr;
    }
    de->v.ptr = val;
    de->meta = meta;
    srv_db_persist(ddb, dkey, dlen);
    value_release(old);
    /* the source's hold goes below: it does not make the object shared */
    if (when != -1 && set_expire_held(ddb, dkey, dlen, when,
                                      !value_is_weak(val)) != 0) {
        remove_binding(ddb, dkey, dlen);
        return -ENOMEM;
    }
    remove_binding(sdb, skey, slen);
    srv_db_signal_modified(sdb, skey, slen);
    srv_db_signal_modified(ddb, dkey, dlen);
    srv.stats.dirty--; /* one change, two signals */
    /* Redis re-adds the destination: always a "new" key there. */
    srv_notify(SRV_NOTIFY_NEW, "new", ddb, dkey, dlen);
    return 0;
}

/* ---------------------------------------------------------------------
 * Whole databases
 * ------------------------------------------------------------------ */

/* Empty one database's tables. Returns the keys removed. */
/* ---------------------------------------------------------------------
 * Flushed keyspaces freed in slices (FLUSHALL/FLUSHDB ASYNC)
 *
 * An asynchronous flush of a big database swaps its tables for empty
 * ones at once (the keys are gone for every command from then on) and
 * queues the old tables here; srv_db_free_step takes them apart between
 * ticks, a bounded number of entries at a time, as Redis's lazyfree
 * thread would. Values still go through the heap's deferred-free queue.
 * ------------------------------------------------------------------ */

/* A database with fewer keys than this is emptied at once even ASYNC. */
#define FLUSH_ASYNC_MIN 1024
/* Entries freed between two clock reads (a few microseconds' work: the
 * budget is overrun by at most that). */
#define FREE_STEP_ENTRIES 64

typedef struct retired {
    struct retired *next;
    hp_dict_t *d;
    size_t pos; /* hp_dict_clear_some's bucket cursor */
} retired_t;

static retired_t *retired_head, **retired_tail = &retired_head;
static size_t retired_entries; /* entries left in the queued tables */

/* Queue d to be freed in slices (owned from now on). 0 / -ENOMEM. */
static int retire_dict(hp_dict_t *d)
{
    retired_t *r = hp_malloc(sizeof(*r));

    if (!r)
        return -ENOMEM;
    r->next = NULL;
    r->d = d;
    r->pos = 0;
    *retired_tail = r;
    retired_tail = &r->next;
    retired_entries += hp_dict_size(d);
    return 0;
}

/* Entries of flushed keyspaces not yet freed (INFO
 * lazyfree_pending_objects). */
size_t srv_db_free_pending(void)
{
    return retired_entries;
}

/* Free queued keyspace entries for about budget_us (< 0: all of them).
 * Returns 1 while some remain. */
int srv_db_free_step(int64_t budget_us)
{
    int64_t end = budget_us < 0 ? 0 : srv_ustime_now() + budget_us;

    while (retired_head) {
        retired_t *r = retired_head;
        size_t before = hp_dict_size(r->d);
        size_t left = hp_dict_clear_some(r->d, &r->pos, FREE_STEP_ENTRIES);

        retired_entries -= before - left;
        if (left == 0) {
            retired_head = r->next;
            if (!retired_head)
                retired_tail = &retired_head;
            hp_dict_free(r->d);
            hp_free(r);
        }
        if (budget_us >= 0 && srv_ustime_now() >= end)
            break;
    }
    return retired_head != NULL;
}

/* Give db new empty tables and queue the old ones. 0, or -ENOMEM with
 * db unchanged. */
static int flush_swap(srv_db_t *db)
{
    hp_dict_t *d = hp_dict_new(&keyspace_type);
    hp_dict_t *e = hp_dict_new(&expires_type);

    if (!d || !e || retire_dict(db->dict) < 0) {
        hp_dict_free(d);
        hp_dict_free(e);
        return -ENOMEM;
    }
    if (retire_dict(db->expires) < 0) {
        /* The keys go in slices; their few expiry entries go now. */
        hp_dict_free(db->expires);
    }
    db->dict = d;
    db->expires = e;
    srv_gc_wake();
    return 0;
}

static int64_t flush_one(srv_db_t *db, int async)
{
    int64_t n = (int64_t)srv_db_size(db);

    if (!async || n < FLUSH_ASYNC_MIN || flush_swap(db) < 0) {
        hp_dict_clear(db->dict);
        hp_dict_clear(db->expires);
    }
    db->avg_ttl = 0;
    db->expires_cursor = 0;
    return n;
}

/* Empty database dbnum, or all of them with -1. Every strong value goes
 * through the heap's deferred-free queue (big ones are freed in slices
 * between ticks); with async the key tables of a big database are freed
 * in slices too (srv_db_free_step). Weak bindings elsewhere to the
 * objects that die are unbound before the loop sleeps. Returns the
 * number of keys removed (0 for an out-of-range dbnum). */
int64_t srv_db_flush(int dbnum, int async)
{
    int64_t removed = 0;

    if (dbnum < -1 || dbnum >= srv.cfg.databases) {
        return 0;
    }
    for (int i = 0; i < srv.cfg.databases; i++) {
        if (dbnum == -1 || dbnum == i) {
            srv_multi_touch_db(&srv.dbs[i], NULL); /* WATCH */
            removed += flush_one(&srv.dbs[i], async);
        }
    }
    return removed;
}

/* SWAPDB: exchange the contents of databases a and b; clients keep their
 * selected index and so see the other data. 0 or -EINVAL. */
int srv_db_swap(int a, int b)
{
    srv_db_t tmp;

    if (a < 0 || b < 0 || a >= srv.cfg.databases ||
        b >= srv.cfg.databases) {
        return -EINVAL;
    }
    if (a != b) { /* WATCH */
        srv_multi_touch_db(&srv.dbs[a], &srv.dbs[b]);
        srv_multi_touch_db(&srv.dbs[b], &srv.dbs[a]);
    }
    tmp = srv.dbs[a];
    srv.dbs[a].dict = srv.dbs[b].dict;
    srv.dbs[a].expires = srv.dbs[b].expires;
    srv.dbs[a].avg_ttl = srv.dbs[b].avg_ttl;
    srv.dbs[a].expires_cursor = srv.dbs[b].expires_cursor;
    srv.dbs[b].dict = tmp.dict;
    srv.dbs[b].expires = tmp.expires;
    srv.dbs[b].avg_ttl = tmp.avg_ttl;
    srv.dbs[b].expires_cursor = tmp.expires_cursor;
    sweep.active = 0; /* a sweep under way starts over */
    srv_blocked_signal_db(&srv.dbs[a]); /* clients blocked on keys */
    srv_blocked_signal_db(&srv.dbs[b]);
    return 0;
}

/* ---------------------------------------------------------------------
 * Active expiry (Redis's activeExpireCycle, our own code).
 *
 * Each call visits up to 16 databases round-robin. In each it samples
 * keys of `expires` bucket by bucket from db->expires_cursor (up to
 * keys_per_loop keys, at most 20 buckets per wanted key), deletes the
 * expired ones, and repeats while more than acceptable_stale percent of
 * the sample had expired. The slow cycle (cron) may use slow_time_perc of
 * the cron period; the fast cycle (before sleeping) fast_duration us, and
 * runs only when the last cycle ran out of time or the stale estimate is
 * high, and not more often than every 2 x fast_duration. Effort (1..10)
 * scales all of them.
 * ------------------------------------------------------------------ */

#define EXPIRE_KEYS_PER_LOOP 20
#define EXPIRE_FAST_DURATION 1000 /* us */
#define EXPIRE_SLOW_TIME_PERC 25  /* percent of the cron period */
#define EXPIRE_ACCEPTABLE_STALE 10
#define EXPIRE_DBS_PER_CALL 16
#define EXPIRE_BATCH 128 /* entries of one bucket handled per pass */

typedef struct expire_params {
    int64_t keys_per_loop;
    int64_t fast_duration;   /* us */
    int64_t slow_time_perc;
    int64_t acceptable_stale; /* percent */
} expire_params_t;

typedef struct expire_sample {
    hp_dict_entry_t *e[EXPIRE_BATCH];
    size_t n;
} expire_sample_t;

typedef struct expire_stats {
    int64_t sampled, expired, ttl_sum, ttl_samples;
} expire_stats_t;

static double stale_ratio;        /* running estimate, 0..1 */
static int timelimit_exit;        /* the last cycle ran out of time */
static int64_t last_fast_cycle;   /* us */
static unsigned int current_db;   /* next database to visit */

/* Cycle parameters for the configured effort. */
static expire_params_t expire_params(void)
{
    int64_t effort = srv.cfg.active_expire_effort - 1;
    expire_params_t p;

    if (effort < 0 || effort > 9) {
        effort = 0;
    }
    p.keys_per_loop = EXPIRE_KEYS_PER_LOOP + EXPIRE_KEYS_PER_LOOP / 4 * effort;
    p.fast_duration = EXPIRE_FAST_DURATION + EXPIRE_FAST_DURATION / 4 * effort;
    p.slow_time_perc = EXPIRE_SLOW_TIME_PERC + 2 * effort;
    p.acceptable_stale = EXPIRE_ACCEPTABLE_STALE - effort;
    return p;
}

/* hp_dict_scan callback: collect the entries of one bucket. */
static void sample_collect(void *ud, const hp_dict_entry_t *e)
{
    expire_sample_t *s = ud;

    if (s->n < EXPIRE_BATCH) {
        s->e[s->n++] = (hp_dict_entry_t *)e;
    }
}

/* Check the collected entries: delete those expired at now, add TTLs of
 * the others to st. Entries are deleted one at a time; the others stay
 * valid because deletion frees only the deleted entry. */
static void sample_process(srv_db_t *db, expire_sample_t *s, int64_t now,
                           expire_stats_t *st)
{
    for (size_t i = 0; i < s->n; i++) {
        hp_dict_entry_t *e = s->e[i];
        int64_t ttl = e->v.i - now;

        st->sampled++;
        if (ttl > 0) {
            st->ttl_sum += ttl;
            st->ttl_samples++;
        } else if (now > e->v.i) {
            delete_expired(db, e->key, e->keylen);
            st->expired++;
        }
    }
}

/* One sampling round in db: look at up to `want` keys. */
static void expire_round(srv_db_t *db, int64_t want, expire_stats_t *st)
{
    int64_t now = srv_mstime_now();
    int64_t max_buckets = want * 20, buckets = 0;
    uint64_t cursor = db->expires_cursor;

    while (st->sampled < want && buckets < max_buckets &&
           hp_dict_size(db->expires) > 0) {
        expire_sample_t s = {.n = 0};

        cursor = hp_dict_scan(db->expires, cursor, sample_collect, &s);
        buckets++;
        sample_process(db, &s, now, st);
    }
    db->expires_cursor = cursor;
}

/* Fold one round's TTLs into db->avg_ttl (INFO keyspace). */
static void update_avg_ttl(srv_db_t *db, const expire_stats_t *st)
{
    int64_t avg;

    if (st->ttl_samples == 0) {
        return;
    }
    avg = st->ttl_sum / st->ttl_samples;
    if (db->avg_ttl == 0) {
        db->avg_ttl = avg;
    }
    db->avg_ttl = (db->avg_ttl / 50) * 49 + avg / 50;
}

/* Expire in db until the stale share is acceptable or time runs out.
 * Adds to the totals; returns 1 when the time limit was hit. */
static int expire_db(srv_db_t *db, const expire_params_t *p, int64_t start,
                     int64_t timelimit, int64_t *iteration,
                     expire_stats_t *total)
{
    expire_stats_t st;

    do {
        int64_t num = (int64_t)hp_dict_size(db->expires);

        if (num == 0) {
            db->avg_ttl = 0;
            return 0;
        }
        memset(&st, 0, sizeof(st));
        expire_round(db, num < p->keys_per_loop ? num : p->keys_per_loop,
                     &st);
        total->sampled += st.sampled;
        total->expired += st.expired;
        update_avg_ttl(db, &st);
        if ((*iteration & 0xf) == 0 &&
            srv_ustime_now() - start > timelimit) {
            return 1;
        }
        (*iteration)++;
    } while (st.sampled == 0 ||
             st.expired * 100 / st.sampled > p->acceptable_stale);
    return 0;
}

/* Whether a fast cycle should run now (start in us). */
static int fast_cycle_due(const expire_params_t *p, int64_t start)
{
    if (!timelimit_exit &&
        stale_ratio * 100 < (double)p->acceptable_stale) {
        return 0;
    }
    if (start < last_fast_cycle + p->fast_duration * 2) {
        return 0;
    }
    last_fast_cycle = start;
    return 1;
}

/* Record the cycle's time and stale estimate. */
static void expire_cycle_done(int64_t start, const expire_stats_t *total)
{
    int64_t elapsed_ms = (srv_ustime_now() - start) / 1000;
    double perc = total->sampled
                      ? (double)total->expired / (double)total->sampled
                      : 0.0;

    if (srv.cfg.latency_monitor_threshold > 0 &&
        elapsed_ms >= srv.cfg.latency_monitor_threshold) {
        srv_latency_add("expire-cycle", elapsed_ms);
    }
    stale_ratio = perc * 0.05 + stale_ratio * 0.95;
    /* Published in hundredths of a percent (INFO prints value / 100). */
    srv.stats.expired_stale_perc = (uint64_t)(stale_ratio * 10000 + 0.5);
}

/* The sweep for bindings of emptied containers (and cleared weak
 * bindings): while empty_gen moved past the last complete sweep, each
 * active expiry cycle scans a few buckets of the keyspaces, database
 * after database, and reclaims the dead bindings it meets. */

/* hp_dict_scan callback: collect the entries of one keyspace bucket. */
static void sweep_collect(void *ud, const hp_dict_entry_t *e)
{
    expire_sample_t *s = ud;

    if (s->n < EXPIRE_BATCH) {
        s->e[s->n++] = (hp_dict_entry_t *)e;
    }
}

/* Scan up to `buckets` keyspace buckets of the sweep. Entries of one
 * bucket are reclaimed one at a time: unbinding frees only its own. */
static void sweep_empty(int64_t buckets)
{
    if (empty_gen == sweep_gen_done || srv.dbs == NULL) {
        return;
    }
    if (!sweep.active) {
        sweep.active = 1;
        sweep.db = 0;
        sweep.cursor = 0;
        sweep.gen = empty_gen;
    }
    while (buckets-- > 0) {
        srv_db_t *db = &srv.dbs[sweep.db];
        expire_sample_t smp = {.n = 0};

        if (hp_dict_size(db->dict) > 0) {
            sweep.cursor = hp_dict_scan(db->dict, sweep.cursor,
                                        sweep_collect, &smp);
        } else {
            sweep.cursor = 0;
        }
        for (size_t i = 0; i < smp.n; i++) {
            hp_dict_entry_t *de = smp.e[i];

            if (binding_dead(de, value_obj(de->v.ptr))) {
                unbind_dead(db, de);
            }
        }
        if (sweep.cursor == 0 && ++sweep.db >= srv.cfg.databases) {
            sweep.active = 0;
            sweep_gen_done = sweep.gen;
            return;
        }
    }
}

/* One active expiry cycle: slow (cron) or fast (before sleeping). */
void srv_db_active_expire(int slow)
{
    expire_params_t p = expire_params();
    expire_stats_t total = {0, 0, 0, 0};
    int64_t start = srv_ustime_now(), timelimit, iteration = 0;
    int dbs = EXPIRE_DBS_PER_CALL;

    if (!srv.cfg.active_expire_enabled || srv.dbs == NULL ||
        expiry_paused()) {
        return;
    }
    sweep_empty(slow ? 1000 : 20);
    if (!slow && !fast_cycle_due(&p, start)) {
        return;
    }
    if (dbs > srv.cfg.databases || timelimit_exit) {
        dbs = srv.cfg.databases;
    }
    timelimit = p.slow_time_perc * 1000000 /
                (srv.cfg.hz > 0 ? srv.cfg.hz : 10) / 100;
    if (timelimit <= 0) {
        timelimit = 1;
    }
    if (!slow) {
        timelimit = p.fast_duration;
    }
    timelimit_exit = 0;
    for (int j = 0; j < dbs && !timelimit_exit; j++) {
        srv_db_t *db = &srv.dbs[current_db % (unsigned)srv.cfg.databases];

        current_db++;
        timelimit_exit =
            expire_db(db, &p, start, timelimit, &iteration, &total);
    }
    expire_cycle_done(start, &total);
}

/* ---------------------------------------------------------------------
 * Cron
 * ------------------------------------------------------------------ */

/* Microseconds of a monotonic clock (the cron's rehash deadline). */
static uint64_t db_mono_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Active rehashing per cron run: Redis's 1 ms, capped by the background
 * slice budget (gc-slice-budget-us). A cron run is one stretch of the
 * executor like a collector slice, and a 1 ms one made the longest
 * stall a client saw while a keyspace emptied by DEL shrank. */
#define REHASH_CRON_MAX_US 1000

/* Microseconds the cron may spend rehashing per run. */
int64_t srv_db_rehash_budget_us(void)
{
    int64_t b = srv.cfg.gc_slice_budget_us;

    if (b < 1) {
        b = 1;
    }
    return b < REHASH_CRON_MAX_US ? b : REHASH_CRON_MAX_US;
}

/* Rehash the tables of db until they are done or until the monotonic
 * clock reaches deadline_us (one budget shared by both tables). Returns
 * 1 while db still rehashes. */
static int rehash_db_until(srv_db_t *db, uint64_t deadline_us)
{
    uint64_t now = db_mono_us();

    if (now >= deadline_us ||
        hp_dict_rehash_for(db->dict, (int64_t)(deadline_us - now))) {
        return 1;
    }
    now = db_mono_us();
    return now >= deadline_us ||
           hp_dict_rehash_for(db->expires, (int64_t)(deadline_us - now));
}

/* Table maintenance: shrink sparse tables of up to 16 databases (round
 * robin), then rehash for srv_db_rehash_budget_us() in all, from the first
 * database that is rehashing. */
void srv_db_cron(void)
{
    static unsigned int resize_db, rehash_db;
    int n = srv.cfg.databases;
    int dbs = n < EXPIRE_DBS_PER_CALL ? n : EXPIRE_DBS_PER_CALL;
    uint64_t deadline;

    if (srv.dbs == NULL || n <= 0) {
        return;
    }
    for (int j = 0; j < dbs; j++) {
        srv_db_t *db = &srv.dbs[resize_db % (unsigned)n];

        resize_db++;
        hp_dict_shrink_if_sparse(db->dict);
        hp_dict_shrink_if_sparse(db->expires);
    }
    deadline = db_mono_us() + (uint64_t)srv_db_rehash_budget_us();
    for (int j = 0; j < dbs; j++) {
        srv_db_t *db = &srv.dbs[rehash_db % (unsigned)n];

        rehash_db++;
        if (rehash_db_until(db, deadline)) {
            break;
        }
    }
}
