/*
 * mem.c - accounted allocation: hp_malloc and friends count the usable
 * size of every block (malloc_usable_size, the bytes really taken) in a
 * process-wide counter, read as INFO used_memory. The counters are
 * relaxed atomics, since any thread may allocate; the allocations
 * themselves go through the seam in alloc.c, to jemalloc or the C
 * library's malloc (meson option `allocator`).
 */
#include "heap.h"

#include <malloc.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>

#include "heap_int.h"

/* Bytes currently allocated, and the largest value seen. Any thread:
 * relaxed atomics (a statistic, ordering nothing else). */
static _Atomic size_t mem_used;
static _Atomic size_t mem_peak;

/* Add n bytes to the counter and raise the peak if passed. */
static void count_alloc(size_t n)
{
    size_t now =
        atomic_fetch_add_explicit(&mem_used, n, memory_order_relaxed) + n;
    size_t peak = atomic_load_explicit(&mem_peak, memory_order_relaxed);

    while (now > peak && !atomic_compare_exchange_weak_explicit(
                             &mem_peak, &peak, now, memory_order_relaxed,
                             memory_order_relaxed)) {
    }
}

/* Take n bytes off the counter. */
static void count_free(size_t n)
{
    atomic_fetch_sub_explicit(&mem_used, n, memory_order_relaxed);
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

/* Release a block from hp_malloc; NULL does nothing. Any thread. */
void hp_free(void *p)
{
    if (!p) return;
    count_free(hp_malloc_size(p));
    free(p);
}

/* Bytes allocated now (INFO used_memory). Any thread. */
size_t hp_mem_used(void)
{
    return atomic_load_explicit(&mem_used, memory_order_relaxed);
}

/* Largest hp_mem_used seen (INFO used_memory_peak). Any thread. */
size_t hp_mem_peak(void)
{
    return atomic_load_explicit(&mem_peak, memory_order_relaxed);
}

/* INFO mem_allocator: "jemalloc-<version>" when the build links jemalloc
 * (it then serves every malloc of the process, malloc_usable_size
 * included), else "libc". */
const char *hp_mem_allocator(void)
{
    return HP_MEM_ALLOCATOR;
}
