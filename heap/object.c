/*
 * object.c - the object header's life: reference counting, the shared
 * immortal integers, type and encoding names, and memory accounting per
 * object. The layouts are described in heap_int.h and heap/README.md.
 */
#include "heap.h"

#include <assert.h>

#include "heap_cont.h"
#include "heap_int.h"
#include "heap_ref.h"

/* The shared integers 0 .. HP_SHARED_INTEGERS-1 (Redis's shared.integers).
 * Static, so handing one out can never fail; an entry is filled in on its
 * first use (refcount 0 means not yet). Executor thread. */
static hp_obj_t shared_ints[HP_SHARED_INTEGERS];

/* Live objects and live containers (INFO heap_objects,
 * heap_container_objects): plain counters, executor thread. An object
 * counts from hp__obj_alloc until it dies (refcount zero), not while its
 * body waits in the deferred-free queue. */
static size_t nobjects, ncontainers;

/* Borrowed: the shared immortal integer v, set up at first use. */
hp_obj_t *hp__shared_int(int64_t v)
{
    hp_obj_t *o;

    assert(v >= 0 && v < HP_SHARED_INTEGERS);
    o = &shared_ints[v];
    if (o->refcount == 0) {
        o->type = HP_TYPE_STRING;
        o->encoding = HP_ENC_INT;
        o->flags = 0;
        o->v.i = v;
        o->refcount = HP_REFCOUNT_IMMORTAL;
    }
    return o;
}

/* New object of `bytes` bytes (header plus any inline body), refcount 1,
 * type string; the body is the caller's to fill. A container encoding
 * gets the side-record slot in front of the header (HP_OF_PREFIX, NULL
 * until ref.c fills it): the same block, counted and freed whole. NULL
 * on OOM. */
hp_obj_t *hp__obj_alloc(size_t bytes, uint8_t encoding)
{
    hp_obj_t *o;
    uint16_t flags = 0;

    assert(bytes >= sizeof(hp_obj_t));
    if (encoding >= HP_ENC_LISTPACK) {
        /* a container: its side-record slot goes in front (heap_int.h) */
        void **blk;

        assert(bytes == sizeof(hp_obj_t));
        blk = hp_malloc(HP_OBJ_CONTAINER_BLOCK);

        if (!blk) return NULL;
        blk[0] = NULL;
        o = (hp_obj_t *)(blk + 1);
        flags = HP_OF_PREFIX;
    } else {
        o = hp_malloc(bytes);
        if (!o) return NULL;
    }
    o->refcount = 1;
    o->type = HP_TYPE_STRING;
    o->encoding = encoding;
    o->flags = flags;
    o->v.ptr = NULL;
    nobjects++;
    if (encoding >= HP_ENC_LISTPACK) ncontainers++;
    return o;
}

/* Free the header of an object from hp__obj_alloc whose body could not
 * be made (a constructor's OOM path): it never lived. */
void hp__obj_discard(hp_obj_t *o)
{
    if (!o) return;
    hp__obj_count_dead(o);
    hp__obj_block_free(o);
}

/* o dies now (its refcount reached zero): it leaves the live counts. */
void hp__obj_count_dead(const hp_obj_t *o)
{
    nobjects--;
    if (o->encoding >= HP_ENC_LISTPACK) ncontainers--;
}

/* Live heap objects (shared integers not included). */
size_t hp_obj_count(void)
{
    return nobjects;
}

/* Live container objects (lists, hashes, sets, sorted sets). */
size_t hp_obj_container_count(void)
{
    return ncontainers;
}

/* True if o is immortal (shared): never mutate it in place. */
int hp_obj_is_shared(const hp_obj_t *o)
{
    return o && o->refcount == HP_REFCOUNT_IMMORTAL;
}

/* Take a strong reference. Executor thread. */
void hp_incref(hp_obj_t *o)
{
    if (!o || o->refcount == HP_REFCOUNT_IMMORTAL) return;
    assert(o->refcount > 0 && o->refcount < HP_REFCOUNT_IMMORTAL - 1);
    if (hp__gc_barrier && (o->flags & HP_OF_SIDE)) hp__gc_touch(o);
    o->refcount++;
}

/* Release an object whose last reference went: its body, then itself. */
static void obj_free(hp_obj_t *o)
{
    int side = o->flags & HP_OF_SIDE;

    hp__obj_count_dead(o);
    /* weak references cleared, reference elements dropped (ref.c) */
    if (side) hp__side_obj_dying(o);
    switch (o->encoding) {
    case HP_ENC_RAW:
        hp_free(o->v.ptr);
        break;
    case HP_ENC_INT:
    case HP_ENC_EMBSTR:
        break;
    default:
        hp__container_free(o); /* heap/container.c */
        break;
    }
    hp__obj_block_free(o);
    if (side) hp__ref_drain(); /* decrefs queued by hp__side_obj_dying */
}

/* Drop a strong reference; frees o when it was the last. Executor
 * thread. */
void hp_decref(hp_obj_t *o)
{
    if (!o || o->refcount == HP_REFCOUNT_IMMORTAL) return;
    assert(o->refcount > 0);
    if (hp__gc_barrier && (o->flags & HP_OF_SIDE)) hp__gc_touch(o);
    if (--o->refcount == 0) obj_free(o);
}

/* TYPE name of o (static string). */
const char *hp_type_name(const hp_obj_t *o)
{
    static const char *const names[] = {
        [HP_TYPE_STRING] = "string", [HP_TYPE_LIST] = "list",
        [HP_TYPE_SET] = "set",       [HP_TYPE_ZSET] = "zset",
        [HP_TYPE_HASH] = "hash",
    };

    if (o->type < sizeof(names) / sizeof(names[0]) && names[o->type])
        return names[o->type];
    return "unknown";
}

/* OBJECT ENCODING name of o (static string), as Redis spells it. */
const char *hp_encoding_name(const hp_obj_t *o)
{
    switch (o->encoding) {
    case HP_ENC_RAW:
        return "raw";
    case HP_ENC_INT:
        return "int";
    case HP_ENC_EMBSTR:
        return "embstr";
    case HP_ENC_LISTPACK:
        return "listpack";
    case HP_ENC_QUICKLIST:
        return "quicklist";
    case HP_ENC_HASHTABLE:
        return "hashtable";
    case HP_ENC_SKIPLIST:
        return "skiplist";
    case HP_ENC_INTSET:
        return "intset";
    default:
        return "unknown";
    }
}

/* See heap.h. A raw string gets its first two cache lines prefetched
 * (the length and the bytes a reply copies first; the hardware streams
 * the rest), a container the first line of its body. */
void hp_obj_prefetch_body(const hp_obj_t *o)
{
    const char *body;

    if (o->encoding == HP_ENC_INT || o->encoding == HP_ENC_EMBSTR) return;
    body = o->v.ptr;
    if (!body) return;
    __builtin_prefetch(body, 0, 3);
    if (o->encoding == HP_ENC_RAW) __builtin_prefetch(body + 64, 0, 3);
}

/* Bytes o occupies: its block (a shared integer counts its header) plus
 * a raw string's buffer, usable sizes as hp_mem_used counts them. */
size_t hp_obj_mem(const hp_obj_t *o)
{
    size_t n;

    if (hp_obj_is_shared(o)) return sizeof(*o);
    n = hp_malloc_size(hp__obj_block(o));
    if (o->encoding == HP_ENC_RAW) n += hp_malloc_size(o->v.ptr);
    if (o->type != HP_TYPE_STRING) n += hp__container_mem(o);
    return n;
}
