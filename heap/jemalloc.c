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
 * freed page. (The gencached binary starts jemalloc with
 * oversize_threshold:0, server/main.c, which turns that purge off in
 * every arena; this switch matters when MALLOC_CONF sets a threshold.)
 *
 * The purging threads run at the lowest priority (SCHED_IDLE, nice 19):
 * where they share a core with the executor (a server pinned to one
 * core, a busy machine) a wakeup of the executor preempts them at once
 * (the kernel does not make a normal thread wait for a SCHED_IDLE one),
 * so the executor no longer waits out their madvise calls. Linux
 * threads inherit policy and nice value from their creator: jemalloc
 * creates its thread 0 in the thread that enables it, and every later
 * one from thread 0, so a short-lived starter thread lowers itself and
 * then enables them. (Its own first allocation gives jemalloc's arena 1
 * a user, so arena 1 and its purging thread exist from the start;
 * threads started by MALLOC_CONF=background_thread:true are not
 * lowered.) SCHED_IDLE is not starvation: CFS still gives such a thread
 * a small weight (3, against 1024 for nice 0), and while purging waits
 * jemalloc reuses the dirty pages for new blocks, so the delay only
 * keeps the resident size near its recent peak for longer.
 *
 * mallctl is a weak symbol: absent in a libc build, where the background
 * thread does not exist and MEMORY PURGE is malloc_trim(0).
 */
#define _GNU_SOURCE /* SCHED_IDLE */
#include "heap.h"

#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/resource.h>
#include <unistd.h>

extern int mallctl(const char *name, void *oldp, size_t *oldlenp,
                   void *newp, size_t newlen) __attribute__((weak));

/* Whether jemalloc serves malloc (the build links it, and it is there). */
static int have_jemalloc(void)
{
    return mallctl != NULL && hp_mem_allocator()[0] == 'j';
}

/* Switch jemalloc's background threads on or off from the calling
 * thread. Returns 0 or a negative errno. */
static int set_background(bool on)
{
    int rc = mallctl("background_thread", NULL, NULL, &on, sizeof(on));

    return rc == 0 ? 0 : -rc;
}

/* Lower the calling thread to the lowest priority: nice 19, then
 * SCHED_IDLE. Both only lower, so need no privilege; a refusal leaves
 * what was applied (nice 19 where SCHED_IDLE is refused). */
static void lower_self(void)
{
    struct sched_param sp = { .sched_priority = 0 };

    (void)setpriority(PRIO_PROCESS, (id_t)gettid(), 19);
    (void)sched_setscheduler(0, SCHED_IDLE, &sp);
}

/* The starter thread: lowers itself, then enables the background
 * threads, which inherit its priority. arg is an int * for the result
 * (0 or a negative errno), borrowed from the waiting caller. */
static void *bg_starter(void *arg)
{
    int *rc = arg;

    lower_self();
    *rc = set_background(true);
    return NULL;
}

/* Start the background threads from a starter thread created with every
 * signal blocked (the server's handlers stay on its own threads).
 * Returns 0 or a negative errno. */
static int start_lowered(void)
{
    sigset_t all, old;
    pthread_t t;
    int rc = -EINVAL, err;

    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    err = pthread_create(&t, NULL, bg_starter, &rc);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (err != 0)
        return -err;
    pthread_join(t, NULL);
    return rc;
}

/* Contract in heap.h. */
int hp_mem_background_thread(int on)
{
    if (!have_jemalloc())
        return -ENOTSUP;
    if (on && !hp_mem_background_thread_on())
        return start_lowered();
    return set_background(on != 0);
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
