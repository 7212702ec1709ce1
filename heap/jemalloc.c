/*
 * jemalloc.c - the two controls of the allocator the server exposes, as
 * Redis does: purging on a background thread (jemalloc-bg-thread) and
 * purging now (MEMORY PURGE).
 *
 * jemalloc gives freed pages back to the system (madvise) on a decay
 * schedule. Without a background thread that work runs inline, inside
 * whatever free() or malloc() crosses the next decay step: after the
 * collector or a deferred DEL freed gigabytes, single steps of a slice
 * took 1-24 ms purging (tests/bench/gc/RESULTS.md). With the background
 * thread the purging moves off the executor.
 *
 * mallctl is a weak symbol: absent in a libc build, where the background
 * thread does not exist and MEMORY PURGE is malloc_trim(0).
 */
#include "heap.h"

#include <errno.h>
#include <malloc.h>
#include <stdbool.h>
#include <stddef.h>

extern int mallctl(const char *name, void *oldp, size_t *oldlenp,
                   void *newp, size_t newlen) __attribute__((weak));

/* Whether jemalloc serves malloc (the build links it, and it is there). */
static int have_jemalloc(void)
{
    return mallctl != NULL && hp_mem_allocator()[0] == 'j';
}

/* Contract in heap.h. */
int hp_mem_background_thread(int on)
{
    bool v = on != 0;
    int rc;

    if (!have_jemalloc())
        return -ENOTSUP;
    rc = mallctl("background_thread", NULL, NULL, &v, sizeof(v));
    return rc == 0 ? 0 : -rc;
}

/* Contract in heap.h. */
int hp_mem_background_thread_on(void)
{
    bool v = false;
    size_t len = sizeof(v);

    if (!have_jemalloc() ||
        mallctl("background_thread", &v, &len, NULL, 0) != 0)
        return 0;
    return v;
}

/* Contract in heap.h. */
void hp_mem_purge(void)
{
    if (have_jemalloc()) {
        /* every arena: "arena.<MALLCTL_ARENAS_ALL>.purge" */
        (void)mallctl("arena.4096.purge", NULL, NULL, NULL, 0);
        return;
    }
    malloc_trim(0);
}
