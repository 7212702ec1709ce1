/*
 * mem.c - accounted allocation: hp_malloc and friends count the usable
 * size of every block (malloc_usable_size, the bytes really taken), read
 * as INFO used_memory. Any thread may allocate, so each thread counts in
 * a counter of its own (a plain load and store, no locked instruction on
 * the hot path) and a read sums them; the allocations themselves go
 * through the seam in alloc.c, to jemalloc or the C library's malloc
 * (meson option `allocator`).
 */
#include "heap.h"

#include <assert.h>
#include <malloc.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "heap_int.h"

/* jemalloc's sized free and size-class query, when it is the process's
 * malloc (weak: absent from a libc build, where hp__free_sized falls back
 * to hp_free). */
extern void sdallocx(void *p, size_t n, int flags) __attribute__((weak));
extern size_t nallocx(size_t n, int flags) __attribute__((weak));

/* Threads with a counter of their own; later ones share the last slot,
 * counted with atomic additions. A slot is a cache line, so threads
 * never write the same line. Slots are never given back: a thread that
 * ends leaves its net count (what it allocated minus what it freed,
 * modulo 2^64: blocks freed by another thread make a slot "negative"),
 * and the sum stays exact. */
#define MEM_SLOTS 64

/* A thread's counter rises by this much over its lowest value since it
 * last looked before it brings the peak up to date (the peak then
 * misses at most a short rise of less than this per thread between two
 * reads of hp_mem_used / hp_mem_peak, which update it exactly). */
#define PEAK_STEP ((size_t)64 << 10)

typedef struct mem_slot {
    _Atomic size_t used; /* written by the owner only (except shared) */
    size_t mark;         /* owner's: its count when it last looked */
    char pad[64 - sizeof(size_t) - sizeof(_Atomic size_t)];
} mem_slot_t;

static _Alignas(64) mem_slot_t slots[MEM_SLOTS + 1];
static _Atomic unsigned nslots;      /* slots handed out (<= MEM_SLOTS) */
/* initial-exec: the heap is linked into the executable, so its TLS is
 * reached without a call to __tls_get_addr even when compiled as PIC */
static _Thread_local mem_slot_t *my_slot
    __attribute__((tls_model("initial-exec")));
static _Atomic size_t mem_peak;

/* The calling thread's slot, handed out on its first allocation. */
static mem_slot_t *slot_get(void)
{
    unsigned i;

    if (my_slot) return my_slot;
    i = atomic_fetch_add_explicit(&nslots, 1, memory_order_relaxed);
    if (i >= MEM_SLOTS) {
        atomic_store_explicit(&nslots, MEM_SLOTS, memory_order_relaxed);
        i = MEM_SLOTS; /* the shared one */
    }
    my_slot = &slots[i];
    return my_slot;
}

/* Whether slot s is the shared overflow slot. */
static int slot_shared(const mem_slot_t *s)
{
    return s == &slots[MEM_SLOTS];
}

/* The sum of every counter: bytes allocated now. */
static size_t mem_sum(void)
{
    unsigned n = atomic_load_explicit(&nslots, memory_order_relaxed);
    size_t sum = atomic_load_explicit(&slots[MEM_SLOTS].used,
                                      memory_order_relaxed);

    if (n > MEM_SLOTS) n = MEM_SLOTS;
    for (unsigned i = 0; i < n; i++)
        sum += atomic_load_explicit(&slots[i].used, memory_order_relaxed);
    return sum;
}

/* Raise the peak to now if passed. */
static void peak_raise(size_t now)
{
    size_t peak = atomic_load_explicit(&mem_peak, memory_order_relaxed);

    while (now > peak && !atomic_compare_exchange_weak_explicit(
                             &mem_peak, &peak, now, memory_order_relaxed,
                             memory_order_relaxed)) {
    }
}

/* Add n bytes to the calling thread's counter; bring the peak up to date
 * when the counter rose PEAK_STEP since the thread last looked. */
static void count_alloc(size_t n)
{
    mem_slot_t *s = slot_get();
    size_t now;

    if (slot_shared(s)) {
        atomic_fetch_add_explicit(&s->used, n, memory_order_relaxed);
        peak_raise(mem_sum());
        return;
    }
    now = atomic_load_explicit(&s->used, memory_order_relaxed) + n;
    atomic_store_explicit(&s->used, now, memory_order_relaxed);
    if ((int64_t)(now - s->mark) >= (int64_t)PEAK_STEP) {
        s->mark = now;
        peak_raise(mem_sum());
    }
}

/* Take n bytes off s, a counter slot of the calling thread's own. */
static inline void own_slot_sub(mem_slot_t *s, size_t n)
{
    size_t now = atomic_load_explicit(&s->used, memory_order_relaxed) - n;

    atomic_store_explicit(&s->used, now, memory_order_relaxed);
    if ((int64_t)(now - s->mark) < 0) s->mark = now;
}

/* Take n bytes off the calling thread's counter (inline: every free
 * runs it, a collection three times per object). */
static inline void count_free(size_t n)
{
    mem_slot_t *s = slot_get();

    if (slot_shared(s)) {
        atomic_fetch_sub_explicit(&s->used, n, memory_order_relaxed);
        return;
    }
    own_slot_sub(s, n);
}

/* Usable size of a block from hp_malloc (0 for NULL). Any thread. */
size_t hp_malloc_size(const void *p)
{
    return p ? malloc_usable_size((void *)p) : 0;
}

/* New block of n bytes, counted; NULL on OOM. Any thread. */
void *hp_malloc(size_t n)
{
    void *p = hp__alloc(n);

    if (p) count_alloc(hp_malloc_size(p));
    return p;
}

/* New zeroed block of count * n bytes, counted; NULL on OOM or
 * overflow. Any thread. */
void *hp_calloc(size_t count, size_t n)
{
    void *p;

    if (n && count > SIZE_MAX / n) return NULL;
    p = hp__calloc(count, n);
    if (p) count_alloc(hp_malloc_size(p));
    return p;
}

/* Resize p to n bytes as realloc does: NULL on failure with p untouched
 * and still counted. hp_realloc(NULL, n) is hp_malloc(n); n == 0 frees p
 * and returns NULL (glibc). Any thread. */
void *hp_realloc(void *p, size_t n)
{
    size_t old;
    void *q;

    if (!p) return hp_malloc(n);
    if (n == 0) {
        /* glibc's realloc(p, 0) frees p and returns NULL: do the same,
         * keeping the count right. */
        hp_free(p);
        return NULL;
    }
    old = hp_malloc_size(p);
    q = hp__realloc(p, n);
    if (!q) return NULL;
    count_free(old);
    count_alloc(hp_malloc_size(q));
    return q;
}

static int sized_free(void);

/* Release a block from hp_malloc; NULL does nothing. Under jemalloc the
 * block goes back through the sized free with the usable size just
 * looked up for the count, sparing free() the same lookup. Any
 * thread. */
void hp_free(void *p)
{
    size_t n;

    if (!p) return;
    n = hp_malloc_size(p);
    count_free(n);
    if (sized_free())
        sdallocx(p, n, 0);
    else
        free(p);
}

/* Whether blocks are freed sized: jemalloc serves malloc (the build
 * says so, and its entry points are there). */
static int sized_free(void)
{
    return strncmp(HP_MEM_ALLOCATOR, "jemalloc-", 9) == 0 && sdallocx &&
           nallocx;
}

/* heap_int.h: whether frees are sized (jemalloc). */
int hp__mem_sized(void)
{
    return sized_free();
}

/* Size classes of small requests, filled in as met (nallocx is a
 * function call into jemalloc, this a load): 0 = not known yet. Any
 * thread: every writer stores the same value. */
#define CLASS_CACHE 512
static _Atomic uint32_t class_cache[CLASS_CACHE];

/* jemalloc's usable size for a request of n bytes. */
static size_t size_class(size_t n)
{
    uint32_t c;

    if (n >= CLASS_CACHE) return nallocx(n, 0);
    c = atomic_load_explicit(&class_cache[n], memory_order_relaxed);
    if (!c) {
        c = (uint32_t)nallocx(n, 0);
        atomic_store_explicit(&class_cache[n], c, memory_order_relaxed);
    }
    return c;
}

/* hp__free_sized's general case: any size, any thread's slot, libc. */
static __attribute__((noinline)) void free_sized_slow(void *p, size_t n)
{
    size_t usable;

    if (!p) return;
    if (!sized_free()) {
        hp_free(p);
        return;
    }
    usable = size_class(n);
    assert(usable == malloc_usable_size(p));
    count_free(usable);
    sdallocx(p, n, 0);
}

/* Free p, a block asked of hp_malloc, hp_calloc or (last) hp_realloc as
 * n bytes in all, heap_int.h. Under jemalloc the usable size is n's size
 * class, computed without touching the allocator's page map, and the
 * sized free skips its lookup too; else as hp_free. Any thread. The
 * usual case (a small size whose class is known, a thread with a slot
 * of its own) takes no call but the free: a collection runs it three
 * times per object. */
void hp__free_sized(void *p, size_t n)
{
    mem_slot_t *s = my_slot;
    uint32_t usable;

    if (!p || n >= CLASS_CACHE || !s || slot_shared(s) || !sized_free()) {
        free_sized_slow(p, n);
        return;
    }
    usable = atomic_load_explicit(&class_cache[n], memory_order_relaxed);
    if (!usable) {
        free_sized_slow(p, n);
        return;
    }
    assert(usable == malloc_usable_size(p));
    own_slot_sub(s, usable);
    sdallocx(p, n, 0);
}

/* The usable size of a block asked for as n bytes when the fast path of
 * the sized frees knows it (its class seen before), else 0. */
static inline uint32_t known_class(size_t n)
{
    if (n >= CLASS_CACHE) return 0;
    return atomic_load_explicit(&class_cache[n], memory_order_relaxed);
}

/* Free blocks p0, p1 and p2 (p2 may be NULL), asked for as n0, n1 and
 * n2 bytes (as hp__free_sized takes them), heap_int.h: when each size's
 * class is known and the thread has a slot of its own, the counter is
 * updated once for all and each block takes only the sized free; else
 * each goes through hp__free_sized. Any thread. */
void hp__free_sized3(void *p0, size_t n0, void *p1, size_t n1, void *p2,
                     size_t n2)
{
    mem_slot_t *s = my_slot;
    uint32_t u0 = known_class(n0), u1 = known_class(n1);
    uint32_t u2 = p2 ? known_class(n2) : 1;

    if (!s || slot_shared(s) || !sized_free() || !p0 || !p1 || !u0 ||
        !u1 || !u2) {
        hp__free_sized(p0, n0);
        hp__free_sized(p1, n1);
        hp__free_sized(p2, n2);
        return;
    }
    assert(u0 == malloc_usable_size(p0) && u1 == malloc_usable_size(p1));
    if (!p2) {
        own_slot_sub(s, (size_t)u0 + u1);
    } else {
        assert(u2 == malloc_usable_size(p2));
        own_slot_sub(s, (size_t)u0 + u1 + u2);
        sdallocx(p2, n2, 0);
    }
    sdallocx(p0, n0, 0);
    sdallocx(p1, n1, 0);
}

/* Bytes allocated now (INFO used_memory): the sum of the threads'
 * counters, exact when no other thread is allocating meanwhile; the
 * peak is brought up to it. Any thread. */
size_t hp_mem_used(void)
{
    size_t now = mem_sum();

    peak_raise(now);
    return now;
}

/* Largest hp_mem_used seen (INFO used_memory_peak); at least the current
 * count. Any thread. */
size_t hp_mem_peak(void)
{
    peak_raise(mem_sum());
    return atomic_load_explicit(&mem_peak, memory_order_relaxed);
}

/* The calling thread's own counter (heap_int.h): what it allocated less
 * what it freed, modulo 2^64. Differences of two reads are the bytes the
 * thread took or gave back between them, whatever other threads do. */
size_t hp__mem_local(void)
{
    return atomic_load_explicit(&slot_get()->used, memory_order_relaxed);
}

/* INFO mem_allocator: "jemalloc-<version>" when the build links jemalloc
 * (it then serves every malloc of the process, malloc_usable_size
 * included), else "libc". */
const char *hp_mem_allocator(void)
{
    return HP_MEM_ALLOCATOR;
}
