/*
 * test_ref_model.c - a seeded random model test of references through a
 * real server (HEAP.md "What must hold": proof by model). Thousands of
 * random commands over a small key space - SET, DEL, EXPIRE, PERSIST,
 * PEXPIREAT in the past, REF.HSET / REF.SADD / REF.ZADD strong and WEAK,
 * REF.LINK, HSET / SADD / ZADD, HDEL / SREM / ZREM and GC COLLECT - each
 * reply checked against an independent model of the graph (bindings,
 * objects, strong and weak elements) that computes liveness directly:
 * refcounting between collections, reachability from the bindings at GC
 * COLLECT. After every step every key is compared (EXISTS, PTTL, OBJECT
 * REFCOUNT, the members with their labels), and after GC COLLECT the
 * INFO heap / gc counts too.
 *
 * Automatic collection is off (its timing would make weak elements to
 * cyclic garbage vanish at unpredictable moments); GC COLLECT collects.
 * A binding whose container became empty reads as missing and is
 * reclaimed on access (HEAP.md); the check phase reads every key until
 * nothing changes, and the model reclaims the same bindings, so both
 * reach the same state whatever order the server reclaimed them in.
 * Expiry uses PEXPIREAT in the past (deletes at once) and long TTLs only:
 * nothing depends on the clock.
 *
 * GENCACHE_MODEL_STEPS=n runs 8 seeds of n steps. Without it: 4 seeds x
 * 2500 steps, or 8 x 20000 in a -Dgc_debug=true build (the server then
 * also checks its heap and collector invariants as it goes).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"

#define NKEYS 8   /* k0..k7 */
#define NFIELDS 4 /* hash fields f0..f3, plain members p0..p3 */
#define MAXEL (NKEYS + NFIELDS)

enum { T_STRING = 1, T_HASH, T_SET, T_ZSET };
enum { E_PLAIN = 0, E_STRONG, E_WEAK };

/* An element: hash field (key = field name, val = value or label) or
 * set / zset member (key = member = label for references). */
typedef struct melem {
    char key[8];
    char val[16];
    int kind;   /* E_* */
    int target; /* object id of a reference */
    int score;  /* zset */
} melem_t;

typedef struct mobj {
    int type;
    int alive;
    int nel;
    melem_t el[MAXEL];
} mobj_t;

/* The model. */
static struct {
    mobj_t *objs;
    int nobj, cap;
    int bind[NKEYS]; /* object id or -1 */
    int ttl[NKEYS];  /* binding has a TTL */
    uint64_t rng;
    int vals;        /* counter for fresh values */
    /* what the run exercised (checked at the end of a seed) */
    long long gc_freed, weak_vanished, errors, deaths;
} m;

static redisContext *ctx;

/* splitmix64: the next pseudo-random 64 bits. */
static uint64_t rnd(void)
{
    uint64_t z = (m.rng += 0x9e3779b97f4a7c15ULL);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* A number in 0..n-1. */
static int pick(int n)
{
    return (int)(rnd() % (uint64_t)n);
}

/* A new live object of type t; its id. */
static int obj_new(int type)
{
    if (m.nobj == m.cap) {
        m.cap = m.cap ? m.cap * 2 : 256;
        m.objs = realloc(m.objs, (size_t)m.cap * sizeof(*m.objs));
        assert_non_null(m.objs);
    }
    memset(&m.objs[m.nobj], 0, sizeof(m.objs[0]));
    m.objs[m.nobj].type = type;
    m.objs[m.nobj].alive = 1;
    return m.nobj++;
}

/* Whether object id is a container without elements. */
static int obj_empty(int id)
{
    return m.objs[id].type != T_STRING && m.objs[id].nel == 0;
}

/* The object key k names as far as commands go (-1: missing). */
static int key_obj(int k)
{
    int id = m.bind[k];

    return id >= 0 && !obj_empty(id) ? id : -1;
}

/* A key for a target: mostly one that exists (else any, to exercise
 * the missing-target error). */
static int pick_target(void)
{
    int keys[NKEYS], n = 0;

    for (int k = 0; k < NKEYS; k++)
        if (key_obj(k) >= 0)
            keys[n++] = k;
    if (n == 0 || rnd() % 8 == 0)
        return pick(NKEYS);
    return keys[pick(n)];
}

/* A key to write a container of type t to: mostly one holding that type
 * or missing (else any, to exercise WRONGTYPE). */
static int pick_container(int type)
{
    int keys[NKEYS], n = 0;

    for (int k = 0; k < NKEYS; k++)
        if (key_obj(k) < 0 || m.objs[key_obj(k)].type == type)
            keys[n++] = k;
    if (n == 0 || rnd() % 8 == 0)
        return pick(NKEYS);
    return keys[pick(n)];
}

/* Index of element key in object id, or -1. */
static int el_find(int id, const char *key)
{
    mobj_t *o = &m.objs[id];

    for (int i = 0; i < o->nel; i++)
        if (strcmp(o->el[i].key, key) == 0)
            return i;
    return -1;
}

/* Remove element i of object id. */
static void el_remove(int id, int i)
{
    mobj_t *o = &m.objs[id];

    o->el[i] = o->el[--o->nel];
}

/* Strong references to id: bindings plus strong elements of live
 * objects. */
static int refcount(int id)
{
    int rc = 0;

    for (int k = 0; k < NKEYS; k++)
        rc += m.bind[k] == id;
    for (int j = 0; j < m.nobj; j++) {
        mobj_t *o = &m.objs[j];

        if (!o->alive)
            continue;
        for (int i = 0; i < o->nel; i++)
            rc += o->el[i].kind == E_STRONG && o->el[i].target == id;
    }
    return rc;
}

/* Object id dies: weak elements to it vanish from live containers, its
 * own elements go. */
static void obj_die(int id)
{
    m.objs[id].alive = 0;
    m.objs[id].nel = 0;
    m.deaths++;
    for (int j = 0; j < m.nobj; j++) {
        mobj_t *o = &m.objs[j];

        if (!o->alive)
            continue;
        for (int i = o->nel - 1; i >= 0; i--)
            if (o->el[i].kind == E_WEAK && o->el[i].target == id) {
                el_remove(j, i);
                m.weak_vanished++;
            }
    }
}

/* Refcounting: free every live object nothing strong refers to, until
 * none is left; then reclaim bindings of empty containers (the server
 * does on access) and repeat until nothing changes. */
static void settle(void)
{
    int changed;

    do {
        changed = 0;
        for (int j = 0; j < m.nobj; j++) {
            if (m.objs[j].alive && refcount(j) == 0) {
                obj_die(j);
                changed = 1;
            }
        }
        for (int k = 0; !changed && k < NKEYS; k++) {
            if (m.bind[k] >= 0 && obj_empty(m.bind[k])) {
                m.bind[k] = -1;
                m.ttl[k] = 0;
                changed = 1;
            }
        }
    } while (changed);
}

/* Live objects with at least one strong element (the collector tracks
 * them). */
static int is_tracked(int id)
{
    mobj_t *o = &m.objs[id];

    if (!o->alive)
        return 0;
    for (int i = 0; i < o->nel; i++)
        if (o->el[i].kind == E_STRONG)
            return 1;
    return 0;
}

/* GC COLLECT in the model: everything not reachable from a binding
 * through strong elements dies; returns the tracked ones among them. */
static long long model_collect(void)
{
    char *reach = calloc((size_t)m.nobj + 1, 1);
    int *stack = malloc(((size_t)m.nobj + 1) * sizeof(int)), sp = 0;
    long long freed = 0;

    assert_non_null(reach);
    assert_non_null(stack);
    for (int k = 0; k < NKEYS; k++) {
        if (m.bind[k] >= 0 && !reach[m.bind[k]]) {
            reach[m.bind[k]] = 1;
            stack[sp++] = m.bind[k];
        }
    }
    while (sp > 0) {
        mobj_t *o = &m.objs[stack[--sp]];

        for (int i = 0; i < o->nel; i++) {
            int t = o->el[i].target;

            if (o->el[i].kind == E_STRONG && !reach[t]) {
                reach[t] = 1;
                stack[sp++] = t;
            }
        }
    }
    for (int j = 0; j < m.nobj; j++)
        if (m.objs[j].alive && !reach[j])
            freed += is_tracked(j);
    for (int j = 0; j < m.nobj; j++)
        if (m.objs[j].alive && !reach[j])
            obj_die(j);
    free(reach);
    free(stack);
    settle();
    return freed;
}

/* ---------------------------------------------------------------------
 * Talking to the server
 * ------------------------------------------------------------------ */

/* Send a command (printf-style), return the reply (caller frees). */
static redisReply *cmd(const char *fmt, ...)
{
    va_list ap;
    redisReply *r;

    if (getenv("GENCACHE_MODEL_TRACE"))
        fprintf(stderr, "> %s\n", fmt);
    va_start(ap, fmt);
    r = redisvCommand(ctx, fmt, ap);
    va_end(ap);
    if (!r)
        print_error("no reply to `%s`: %s\n", fmt, ctx->errstr);
    assert_non_null(r);
    return r;
}

/* Print the failing step and fail. */
static void mismatch(const char *what, const char *cmdline, const char *got,
                     const char *want)
{
    print_error("model mismatch (%s) after `%s`: got %s, want %s\n", what,
                cmdline, got, want);
    fail();
}

/* The reply r must be the integer want. */
static void expect_int(redisReply *r, long long want, const char *line)
{
    char got[64], w[32];

    if (r->type == REDIS_REPLY_INTEGER && r->integer == want)
        return;
    if (r->type == REDIS_REPLY_INTEGER)
        snprintf(got, sizeof(got), "%lld", r->integer);
    else
        snprintf(got, sizeof(got), "type %d %s", r->type,
                 r->str ? r->str : "");
    snprintf(w, sizeof(w), "%lld", want);
    mismatch("reply", line, got, w);
}

/* The reply r must be +OK (ok) or an error (!ok). */
static void expect_ok(redisReply *r, int ok, const char *line)
{
    int is_ok = r->type == REDIS_REPLY_STATUS && strcmp(r->str, "OK") == 0;
    int is_err = r->type == REDIS_REPLY_ERROR;

    m.errors += is_err;
    if (ok ? is_ok : is_err)
        return;
    mismatch("reply", line, r->str ? r->str : "?", ok ? "OK" : "an error");
}

/* ---------------------------------------------------------------------
 * Operations: each one applies itself to the model and checks the reply
 * ------------------------------------------------------------------ */

static char line[160]; /* the current command, for messages */

/* Type name of a model type. */
static const char *tname(int t)
{
    static const char *const names[] = {"none", "string", "hash", "set",
                                        "zset"};

    return names[t];
}

/* The container for a write of type t to key k: its id (created and
 * bound when k is missing), or -1 when k holds another type. *created
 * tells which. */
static int container_for(int k, int type, int *created)
{
    int id = key_obj(k);

    *created = 0;
    if (id >= 0)
        return m.objs[id].type == type ? id : -1;
    id = obj_new(type);
    m.bind[k] = id;
    m.ttl[k] = 0;
    *created = 1;
    return id;
}

/* Store a reference element key -> target (label = target key name) in
 * container id; hash replaces, set keeps an existing member, zset keeps
 * the member and updates its score. Returns 1 if added. */
static int model_ref_add(int id, const char *key, int tk, int kind,
                         int score)
{
    mobj_t *o = &m.objs[id];
    int i = el_find(id, key);
    melem_t *e;

    if (i >= 0 && o->type != T_HASH) {
        if (o->type == T_ZSET)
            o->el[i].score = score;
        return 0;
    }
    e = i >= 0 ? &o->el[i] : &o->el[o->nel++];
    snprintf(e->key, sizeof(e->key), "%s", key);
    snprintf(e->val, sizeof(e->val), "k%d", tk);
    e->kind = kind;
    e->target = key_obj(tk);
    e->score = score;
    return i < 0;
}

/* REF.HSET / REF.SADD / REF.ZADD k [WEAK] ... target */
static void op_ref_add(int type)
{
    int k = pick_container(type), tk = pick_target(), weak = pick(3) == 0;
    int f = pick(NFIELDS), score = pick(10), created, id, ok;
    char key[8];
    redisReply *r;

    if (type == T_HASH) {
        snprintf(line, sizeof(line), "REF.HSET k%d%s f%d k%d", k,
                 weak ? " WEAK" : "", f, tk);
        snprintf(key, sizeof(key), "f%d", f);
    } else if (type == T_SET) {
        snprintf(line, sizeof(line), "REF.SADD k%d%s k%d", k,
                 weak ? " WEAK" : "", tk);
        snprintf(key, sizeof(key), "k%d", tk);
    } else {
        snprintf(line, sizeof(line), "REF.ZADD k%d%s %d k%d", k,
                 weak ? " WEAK" : "", score, tk);
        snprintf(key, sizeof(key), "k%d", tk);
    }
    r = cmd(line);
    ok = key_obj(tk) >= 0 &&
         (key_obj(k) < 0 || m.objs[key_obj(k)].type == type);
    if (!ok) {
        expect_ok(r, 0, line);
    } else {
        id = container_for(k, type, &created);
        expect_int(r, model_ref_add(id, key, tk, weak ? E_WEAK : E_STRONG,
                                    score), line);
    }
    freeReplyObject(r);
}

/* HSET k f v / SADD k p / ZADD k s p: plain elements. */
static void op_plain_add(int type)
{
    int k = pick_container(type), f = pick(NFIELDS), score = pick(10);
    int created, id;
    int i;
    char key[8], val[16];
    redisReply *r;

    snprintf(val, sizeof(val), "v%d", ++m.vals);
    if (type == T_HASH) {
        snprintf(key, sizeof(key), "f%d", f);
        snprintf(line, sizeof(line), "HSET k%d %s %s", k, key, val);
    } else {
        snprintf(key, sizeof(key), "p%d", f);
        if (type == T_SET)
            snprintf(line, sizeof(line), "SADD k%d %s", k, key);
        else
            snprintf(line, sizeof(line), "ZADD k%d %d %s", k, score, key);
    }
    r = cmd(line);
    id = key_obj(k);
    if (id >= 0 && m.objs[id].type != type) {
        expect_ok(r, 0, line);
        freeReplyObject(r);
        return;
    }
    id = container_for(k, type, &created);
    i = el_find(id, key);
    if (i < 0) {
        melem_t *e = &m.objs[id].el[m.objs[id].nel++];

        memset(e, 0, sizeof(*e));
        snprintf(e->key, sizeof(e->key), "%s", key);
        snprintf(e->val, sizeof(e->val), "%s", type == T_HASH ? val : key);
        e->kind = E_PLAIN;
        e->score = score;
    } else if (type == T_HASH) {
        melem_t *e = &m.objs[id].el[i];

        e->kind = E_PLAIN; /* overwriting drops a reference */
        snprintf(e->val, sizeof(e->val), "%s", val);
    } else if (type == T_ZSET) {
        m.objs[id].el[i].score = score;
    }
    expect_int(r, i < 0, line);
    freeReplyObject(r);
    settle();
}

/* HDEL k f / SREM k m / ZREM k m (m a key name or a plain member). */
static void op_remove(int type)
{
    int k = pick_container(type), x = pick(NKEYS + NFIELDS), id, i;
    char key[8];
    redisReply *r;

    if (type == T_HASH)
        snprintf(key, sizeof(key), "f%d", x % NFIELDS);
    else if (x < NKEYS)
        snprintf(key, sizeof(key), "k%d", x);
    else
        snprintf(key, sizeof(key), "p%d", x - NKEYS);
    snprintf(line, sizeof(line), "%s k%d %s",
             type == T_HASH ? "HDEL" : type == T_SET ? "SREM" : "ZREM", k,
             key);
    r = cmd(line);
    id = key_obj(k);
    if (id >= 0 && m.objs[id].type != type) {
        expect_ok(r, 0, line);
    } else {
        i = id >= 0 ? el_find(id, key) : -1;
        if (i >= 0)
            el_remove(id, i);
        expect_int(r, i >= 0, line);
    }
    freeReplyObject(r);
}

/* SET k v */
static void op_set(void)
{
    int k = pick(NKEYS);
    redisReply *r;

    snprintf(line, sizeof(line), "SET k%d s%d", k, ++m.vals);
    r = cmd(line);
    expect_ok(r, 1, line);
    freeReplyObject(r);
    m.bind[k] = obj_new(T_STRING);
    m.ttl[k] = 0;
}

/* DEL k / PEXPIREAT k <past> (deletes at once) */
static void op_del(int expire)
{
    int k = pick(NKEYS);
    redisReply *r;

    if (expire)
        snprintf(line, sizeof(line), "PEXPIREAT k%d 1000", k);
    else
        snprintf(line, sizeof(line), "DEL k%d", k);
    r = cmd(line);
    expect_int(r, key_obj(k) >= 0, line);
    freeReplyObject(r);
    m.bind[k] = -1;
    m.ttl[k] = 0;
}

/* EXPIRE k <long> / PERSIST k */
static void op_ttl(int persist)
{
    int k = pick(NKEYS), exists = key_obj(k) >= 0;
    redisReply *r;

    if (persist)
        snprintf(line, sizeof(line), "PERSIST k%d", k);
    else
        snprintf(line, sizeof(line), "EXPIRE k%d 100000", k);
    r = cmd(line);
    expect_int(r, persist ? exists && m.ttl[k] : exists, line);
    freeReplyObject(r);
    if (exists)
        m.ttl[k] = !persist;
}

/* REF.LINK alias target */
static void op_link(void)
{
    int a = pick(NKEYS), t = pick_target();
    redisReply *r;

    snprintf(line, sizeof(line), "REF.LINK k%d k%d", a, t);
    r = cmd(line);
    expect_ok(r, key_obj(t) >= 0, line);
    freeReplyObject(r);
    if (key_obj(t) >= 0) {
        m.bind[a] = key_obj(t);
        m.ttl[a] = 0;
    }
}

/* Compare INFO heap / gc counts with the model. */
static void check_counts(void)
{
    long long strong = 0, weak = 0, tracked = 0, weakly = 0;
    char *wref = calloc((size_t)m.nobj + 1, 1);

    assert_non_null(wref);
    for (int j = 0; j < m.nobj; j++) {
        mobj_t *o = &m.objs[j];

        if (!o->alive)
            continue;
        tracked += is_tracked(j);
        for (int i = 0; i < o->nel; i++) {
            strong += o->el[i].kind == E_STRONG;
            weak += o->el[i].kind == E_WEAK;
            if (o->el[i].kind == E_WEAK && !wref[o->el[i].target]) {
                wref[o->el[i].target] = 1;
                weakly++;
            }
        }
    }
    free(wref);
    if (th_info_int(ctx, "heap", "heap_ref_elements_strong") != strong ||
        th_info_int(ctx, "heap", "heap_ref_elements_weak") != weak ||
        th_info_int(ctx, "heap", "heap_weakly_referenced_objects") != weakly ||
        th_info_int(ctx, "gc", "gc_tracked_objects") != tracked ||
        th_info_int(ctx, "gc", "gc_uncollectable_objects") != 0) {
        char got[128], want[128];

        snprintf(got, sizeof(got), "strong %lld weak %lld weakly %lld "
                 "tracked %lld",
                 th_info_int(ctx, "heap", "heap_ref_elements_strong"),
                 th_info_int(ctx, "heap", "heap_ref_elements_weak"),
                 th_info_int(ctx, "heap", "heap_weakly_referenced_objects"),
                 th_info_int(ctx, "gc", "gc_tracked_objects"));
        snprintf(want, sizeof(want), "strong %lld weak %lld weakly %lld "
                 "tracked %lld", strong, weak, weakly, tracked);
        mismatch("INFO counts", line, got, want);
    }
}

/* GC COLLECT: the reply is the tracked garbage; counts then match. */
static void op_collect(void)
{
    redisReply *r;
    long long freed;

    snprintf(line, sizeof(line), "GC COLLECT");
    r = cmd(line);
    freed = model_collect();
    m.gc_freed += freed;
    expect_int(r, freed, line);
    freeReplyObject(r);
    check_counts();
}

/* ---------------------------------------------------------------------
 * The check after every step
 * ------------------------------------------------------------------ */

/* qsort: strings. */
static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The model's members of key k as one string, the way the server's
 * reply is rendered by render(): sorted "key=val" (hash), "member"
 * (set), "member@score" (zset, in score then member order). */
static void model_render(int id, char *out, size_t size)
{
    mobj_t *o = &m.objs[id];
    char items[MAXEL][40];
    const char *ptrs[MAXEL];
    size_t used = 0;

    for (int i = 0; i < o->nel; i++) {
        if (o->type == T_HASH)
            snprintf(items[i], sizeof(items[i]), "%s=%s", o->el[i].key,
                     o->el[i].val);
        else if (o->type == T_SET)
            snprintf(items[i], sizeof(items[i]), "%s", o->el[i].key);
        else
            snprintf(items[i], sizeof(items[i]), "%d@%s", o->el[i].score,
                     o->el[i].key);
        ptrs[i] = items[i];
    }
    qsort(ptrs, (size_t)o->nel, sizeof(ptrs[0]), cmp_str);
    out[0] = '\0';
    for (int i = 0; i < o->nel; i++)
        used += (size_t)snprintf(out + used, size - used, "%s ", ptrs[i]);
}

/* The server's members (reply of HGETALL / SMEMBERS / ZRANGE WITHSCORES)
 * rendered as model_render does. */
static void render(int type, const redisReply *r, char *out, size_t size)
{
    char items[2 * MAXEL][40];
    const char *ptrs[2 * MAXEL];
    size_t n = 0, used = 0;

    out[0] = '\0';
    if (r->type != REDIS_REPLY_ARRAY) {
        snprintf(out, size, "<type %d %s>", r->type, r->str ? r->str : "");
        return;
    }
    for (size_t i = 0; i < r->elements && n < 2 * MAXEL; i++) {
        if (type == T_SET) {
            snprintf(items[n], sizeof(items[n]), "%s", r->element[i]->str);
        } else if (i + 1 < r->elements) {
            if (type == T_HASH)
                snprintf(items[n], sizeof(items[n]), "%s=%s",
                         r->element[i]->str, r->element[i + 1]->str);
            else
                snprintf(items[n], sizeof(items[n]), "%s@%s",
                         r->element[i + 1]->str, r->element[i]->str);
            i++;
        }
        ptrs[n] = items[n];
        n++;
    }
    qsort(ptrs, n, sizeof(ptrs[0]), cmp_str);
    for (size_t i = 0; i < n; i++)
        used += (size_t)snprintf(out + used, size - used, "%s ", ptrs[i]);
}

/* EXISTS on every key (pipelined) into ex[]. */
static void sweep(int *ex)
{
    for (int k = 0; k < NKEYS; k++)
        redisAppendCommand(ctx, "EXISTS k%d", k);
    for (int k = 0; k < NKEYS; k++) {
        redisReply *r;

        assert_int_equal(redisGetReply(ctx, (void **)&r), REDIS_OK);
        assert_int_equal(r->type, REDIS_REPLY_INTEGER);
        ex[k] = (int)r->integer;
        freeReplyObject(r);
    }
}

/* Read every key until the server's answers stop changing (reclaiming
 * bindings of empty containers may empty others), then compare each key
 * with the model: existence, type, TTL, refcount and members. */
static void check_keys(void)
{
    int ex[NKEYS], prev[NKEYS];
    char got[512], want[512];

    settle();
    sweep(ex);
    for (int round = 0; round < 4 * NKEYS; round++) {
        memcpy(prev, ex, sizeof(ex));
        sweep(ex);
        if (memcmp(prev, ex, sizeof(ex)) == 0)
            break;
    }
    for (int k = 0; k < NKEYS; k++) {
        int id = key_obj(k);

        if (ex[k] != (id >= 0)) {
            snprintf(got, sizeof(got), "EXISTS k%d = %d", k, ex[k]);
            snprintf(want, sizeof(want), "%d", id >= 0);
            mismatch("existence", line, got, want);
        }
        if (id < 0)
            continue;
        redisAppendCommand(ctx, "TYPE k%d", k);
        redisAppendCommand(ctx, "PTTL k%d", k);
        redisAppendCommand(ctx, "OBJECT REFCOUNT k%d", k);
        if (m.objs[id].type == T_HASH)
            redisAppendCommand(ctx, "HGETALL k%d", k);
        else if (m.objs[id].type == T_SET)
            redisAppendCommand(ctx, "SMEMBERS k%d", k);
        else if (m.objs[id].type == T_ZSET)
            redisAppendCommand(ctx, "ZRANGE k%d 0 -1 WITHSCORES", k);
    }
    for (int k = 0; k < NKEYS; k++) {
        int id = key_obj(k);
        redisReply *r;

        if (id < 0)
            continue;
        assert_int_equal(redisGetReply(ctx, (void **)&r), REDIS_OK);
        if (r->type != REDIS_REPLY_STATUS ||
            strcmp(r->str, tname(m.objs[id].type)) != 0) {
            snprintf(got, sizeof(got), "TYPE k%d = %s", k,
                     r->str ? r->str : "?");
            mismatch("type", line, got, tname(m.objs[id].type));
        }
        freeReplyObject(r);
        assert_int_equal(redisGetReply(ctx, (void **)&r), REDIS_OK);
        if (r->type != REDIS_REPLY_INTEGER ||
            (m.ttl[k] ? r->integer <= 0 : r->integer != -1)) {
            snprintf(got, sizeof(got), "PTTL k%d = %lld", k, r->integer);
            mismatch("ttl", line, got, m.ttl[k] ? "> 0" : "-1");
        }
        freeReplyObject(r);
        assert_int_equal(redisGetReply(ctx, (void **)&r), REDIS_OK);
        if (r->type != REDIS_REPLY_INTEGER || r->integer != refcount(id)) {
            snprintf(got, sizeof(got), "OBJECT REFCOUNT k%d = %lld", k,
                     r->integer);
            snprintf(want, sizeof(want), "%d", refcount(id));
            mismatch("refcount", line, got, want);
        }
        freeReplyObject(r);
        if (m.objs[id].type == T_STRING)
            continue;
        assert_int_equal(redisGetReply(ctx, (void **)&r), REDIS_OK);
        render(m.objs[id].type, r, got, sizeof(got));
        freeReplyObject(r);
        model_render(id, want, sizeof(want));
        if (strcmp(got, want) != 0) {
            char what[32];

            snprintf(what, sizeof(what), "members of k%d", k);
            mismatch(what, line, got, want);
        }
    }
}

/* One random step. */
static void step(void)
{
    int x = pick(100);

    if (x < 10)
        op_set();
    else if (x < 16)
        op_del(0);
    else if (x < 20)
        op_del(1);
    else if (x < 23)
        op_ttl(0);
    else if (x < 25)
        op_ttl(1);
    else if (x < 37)
        op_ref_add(T_HASH);
    else if (x < 49)
        op_ref_add(T_SET);
    else if (x < 58)
        op_ref_add(T_ZSET);
    else if (x < 66)
        op_link();
    else if (x < 71)
        op_plain_add((x & 1) ? T_SET : T_ZSET);
    else if (x < 76)
        op_plain_add(T_HASH);
    else if (x < 92)
        op_remove(T_HASH + pick(3));
    else if (x < 96)
        op_collect();
    else
        op_set();
    settle();
    check_keys();
}

/* Run one seed for n steps from an empty server, then collect all. */
static void run_seed(uint64_t seed, int n)
{
    redisReply *r;

    r = cmd("FLUSHALL");
    freeReplyObject(r);
    r = cmd("GC COLLECT");
    freeReplyObject(r);
    free(m.objs);
    memset(&m, 0, sizeof(m));
    for (int k = 0; k < NKEYS; k++)
        m.bind[k] = -1;
    m.rng = seed;
    for (int i = 0; i < n; i++)
        step();
    op_collect();
    /* the run did what it is for: cycles collected, weak elements
     * vanished, objects died, errors checked */
    print_message("# seed %llu: %d steps, %lld objects, %lld died, %lld "
                  "collected, %lld weak elements vanished, %lld errors\n",
                  (unsigned long long)seed, n, (long long)m.nobj, m.deaths,
                  m.gc_freed, m.weak_vanished, m.errors);
    if (n >= 1000) {
        assert_true(m.gc_freed > 0);
        assert_true(m.weak_vanished > 0);
        assert_true(m.errors > 0);
    }
    r = cmd("FLUSHALL");
    freeReplyObject(r);
    for (int k = 0; k < NKEYS; k++)
        m.bind[k] = -1;
    settle();
    snprintf(line, sizeof(line), "FLUSHALL");
    op_collect();
    assert_int_equal(th_info_int(ctx, "heap", "heap_ref_elements_strong"), 0);
    assert_int_equal(th_info_int(ctx, "heap", "heap_ref_elements_weak"), 0);
    assert_int_equal(th_info_int(ctx, "gc", "gc_tracked_objects"), 0);
}

static void test_ref_model(void **state)
{
    th_server_t *s = *state;
    static const uint64_t seeds[] = {1, 7, 42, 20240601, 3, 99, 12345, 777};
    const char *env = getenv("GENCACHE_MODEL_STEPS");
#ifdef GC_DEBUG
    int steps = env ? atoi(env) : 20000;
    size_t nseeds = 8;
#else
    int steps = env ? atoi(env) : 2500;
    size_t nseeds = env ? 8 : 4;
#endif

    ctx = s->ctx;
    th_expect_status(ctx, "OK", "GC DISABLE");
    for (size_t i = 0; i < nseeds; i++)
        run_seed(seeds[i], steps > 0 ? steps : 2500);
    th_expect_status(ctx, "OK", "GC ENABLE");
    free(m.objs);
    m.objs = NULL;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_ref_model, th_test_setup),
    };

    return cmocka_run_group_tests(tests, th_group_setup, th_group_teardown);
}
