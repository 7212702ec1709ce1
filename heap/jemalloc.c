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

/*
 * Holding the executor's arena's purging while it frees in bulk.
 *
 * The background thread's purge pass takes the arena's dirty-extent
 * lock (jemalloc's mutex "extents_dirty") once per extent it evicts, and
 * the executor takes the same lock for every slab it frees or gets.
 * When the purging thread is preempted while it holds that lock (it runs
 * at SCHED_IDLE: on a busy core that is often), the executor waits out
 * its whole time off the CPU: 20 ms to 1.2 s in one wait while the
 * collector freed 10M objects (a loaded 2-core machine). A decay time of -1 makes jemalloc skip the arena in
 * its decay passes (pac_maybe_decay_purge purges nothing and takes no
 * extent lock when the time is negative), so while the hold is on, the
 * executor's arena is never purged and no purging thread takes its locks.
 *
 * Putting the configured time back purges nothing in the calling thread:
 * jemalloc restarts the arena's decay clock (decay_reinit: empty backlog,
 * epoch now) and then purges only at a passed epoch deadline, which a
 * clock just restarted has not reached (and with background threads on,
 * a caller that is not one never purges there). The dirty pages kept
 * during the hold then count as new: they go back to the system over one
 * decay time (dirty_decay_ms, 10 s by default) from the release.
 *
 * A pass already under way when the hold starts finishes (it stashed its
 * pages before): the hold keeps new passes away, not that one.
 */

/* When a hold starts and how long it may last. Every change of the
 * decay time restarts jemalloc's decay clock (the pages dirty then count
 * as just freed), so holds must be rare: bulk freeing that is over
 * within HOLD_AFTER_US (a young collection's few objects, a DEL of a
 * small value) gets none; a hold ends after HOLD_MAX_US even while the
 * freeing goes on (a client that DELs big values without pause); and
 * after a hold of length L no new one starts for max(L, HOLD_GAP_MIN_US).
 * Worst case for the resident size: the executor arena's freed pages
 * stay for 30 s, then are purged as usual for at least as long (they go
 * back within one decay time); holds cover at most half the time, and
 * the decay clock restarts at most about once a second. New blocks
 * reuse kept pages meanwhile, so the size stays near its recent peak
 * rather than growing past it. */
#define HOLD_AFTER_US (10ull * 1000)
#define HOLD_MAX_US (30ull * 1000 * 1000)
#define HOLD_GAP_MIN_US (1000ull * 1000)

/* The hold (executor only): whether on, the arena held and its decay
 * time to put back, when it started, since when the caller has been
 * busy (busy: whether it is), and the earliest start of the next one. */
static struct {
    int on;
    int busy;
    unsigned arena;
    ssize_t decay_ms;
    uint64_t since_us;
    uint64_t busy_us;
    uint64_t next_us;
} hold;

/* name = "arena.<i>.dirty_decay_ms" of arena i. */
static void decay_ctl(char *name, size_t size, unsigned i)
{
    snprintf(name, size, "arena.%u.dirty_decay_ms", i);
}

/* Stop purging the calling thread's arena: read its decay time and set
 * -1 in one call. 0 or a negative errno (nothing changed). */
static int hold_start(uint64_t now_us)
{
    char name[64];
    unsigned ind;
    ssize_t old, off = -1;
    size_t len = sizeof(ind);
    int rc = mallctl("thread.arena", &ind, &len, NULL, 0);

    if (rc != 0)
        return -rc;
    decay_ctl(name, sizeof(name), ind);
    len = sizeof(old);
    rc = mallctl(name, &old, &len, &off, sizeof(off));
    if (rc != 0)
        return -rc;
    hold.on = 1;
    hold.arena = ind;
    hold.decay_ms = old;
    hold.since_us = now_us;
    return 0;
}

/* Put the held arena's decay time back at now_us; no new hold before
 * the gap. 0 or a negative errno (the hold is over either way: a
 * failure leaves -1, as if configured so). */
static int hold_end(uint64_t now_us)
{
    uint64_t len = now_us - hold.since_us;
    char name[64];
    int rc;

    decay_ctl(name, sizeof(name), hold.arena);
    hold.on = 0;
    hold.next_us = now_us + (len > HOLD_GAP_MIN_US ? len : HOLD_GAP_MIN_US);
    rc = mallctl(name, NULL, NULL, &hold.decay_ms, sizeof(hold.decay_ms));
    return rc == 0 ? 0 : -rc;
}

/* Contract in heap.h. */
int hp_mem_bulk_freeing(int busy, uint64_t now_us)
{
    if (!busy) {
        hold.busy = 0;
        return hold.on ? hold_end(now_us) : 0;
    }
    if (!hold.busy) {
        hold.busy = 1;
        hold.busy_us = now_us;
    }
    if (hold.on)
        return now_us - hold.since_us < HOLD_MAX_US ? 0 : hold_end(now_us);
    if (now_us - hold.busy_us < HOLD_AFTER_US || now_us < hold.next_us ||
        !have_jemalloc())
        return 0;
    return hold_start(now_us);
}

/* Contract in heap.h. */
int hp_mem_bulk_hold_on(void)
{
    return hold.on;
}
