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
 * One purge the background thread does not take over by itself: when a
 * free leaves a run of adjacent free pages of 8 MB or more (jemalloc's
 * oversize threshold), jemalloc purges the whole run at once, inside that
 * free. Freeing a big list from its tail end (RPOP) does this about every
 * 8 MB: 131,072 RPOPs of 4 KB made ~70 madvise calls of 8-9 MB from the
 * executor, 15% of its time, where as many LPOPs made none (only the
 * background thread purged, in small pieces). hp_mem_eager_purge(0)
 * leaves such runs to the background thread's decay, like every other
 * freed page.
 *
 * mallctl is a weak symbol: absent in a libc build, where the background
 * thread does not exist and MEMORY PURGE is malloc_trim(0).
 */
#include "heap.h"

#include <errno.h>
#include <malloc.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

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

/* The oversize threshold jemalloc gave the calling thread's arena, read
 * at the first change so that it can be put back (0: not read yet). */
static size_t default_oversize;

/* name = "arena.<i>.oversize_threshold" of the calling thread's arena.
 * 0 or a negative errno. */
static int own_oversize_ctl(char *name, size_t size)
{
    unsigned ind;
    size_t len = sizeof(ind);
    int rc = mallctl("thread.arena", &ind, &len, NULL, 0);

    if (rc != 0)
        return -rc;
    snprintf(name, size, "arena.%u.oversize_threshold", ind);
    return 0;
}

/* Contract in heap.h. */
int hp_mem_eager_purge(int on)
{
    char name[64];
    size_t v, len = sizeof(v);
    int rc;

    if (!have_jemalloc())
        return -ENOTSUP;
    rc = own_oversize_ctl(name, sizeof(name));
    if (rc < 0)
        return rc;
    if (default_oversize == 0) {
        rc = mallctl(name, &v, &len, NULL, 0); /* ENOENT before 5.3 */
        if (rc != 0)
            return -rc;
        default_oversize = v;
    }
    v = on ? default_oversize : SIZE_MAX;
    rc = mallctl(name, NULL, NULL, &v, sizeof(v));
    return rc == 0 ? 0 : -rc;
}
