/*
 * test_alloc.c - heap/alloc.c (the allocation seam) and heap/mem.c (the
 * accounting over it): counts of usable bytes, peak, failures returned
 * with the count unchanged, and counting from several threads.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <dlfcn.h>
#include <errno.h>

#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "heap.h"
#include "proc_sched.h"
#include "heap_int.h"
#include "oom.h"

static void test_alloc_malloc_counts_usable_size(void **state)
{
    size_t base = hp_mem_used();
    char *p = hp_malloc(100);

    assert_non_null(p);
    memset(p, 'x', 100);
    assert_true(hp_malloc_size(p) >= 100);
    assert_int_equal(hp_malloc_size(p), malloc_usable_size(p));
    assert_int_equal(hp_mem_used(), base + hp_malloc_size(p));
    hp_free(p);
    assert_int_equal(hp_mem_used(), base);
}

static void test_alloc_free_null_is_noop(void **state)
{
    size_t base = hp_mem_used();

    hp_free(NULL);
    assert_int_equal(hp_mem_used(), base);
    assert_int_equal(hp_malloc_size(NULL), 0);
}

static void test_alloc_calloc_zeroes_and_counts(void **state)
{
    size_t base = hp_mem_used();
    unsigned char *p = hp_calloc(10, 33);

    assert_non_null(p);
    for (int i = 0; i < 330; i++)
        assert_int_equal(p[i], 0);
    assert_int_equal(hp_mem_used(), base + hp_malloc_size(p));
    hp_free(p);
    assert_int_equal(hp_mem_used(), base);
}

static void test_alloc_calloc_overflow_fails(void **state)
{
    size_t base = hp_mem_used();

    assert_null(hp_calloc(SIZE_MAX / 2, 4));
    assert_int_equal(hp_mem_used(), base);
}

static void test_alloc_realloc_tracks_growth(void **state)
{
    size_t base = hp_mem_used();
    char *p = hp_realloc(NULL, 10);

    assert_non_null(p);
    memcpy(p, "abcdefghi", 10);
    assert_int_equal(hp_mem_used(), base + hp_malloc_size(p));
    p = hp_realloc(p, 5000);
    assert_non_null(p);
    assert_string_equal(p, "abcdefghi");
    assert_int_equal(hp_mem_used(), base + hp_malloc_size(p));
    p = hp_realloc(p, 20);
    assert_non_null(p);
    assert_int_equal(hp_mem_used(), base + hp_malloc_size(p));
    assert_null(hp_realloc(p, 0)); /* frees, as glibc */
    assert_int_equal(hp_mem_used(), base);
}

static void test_alloc_malloc_failure_returns_null(void **state)
{
    size_t base = hp_mem_used();

    oom_fail_at(1, 0);
    assert_null(hp_malloc(64));
    assert_int_equal(oom_count(), 1);
    oom_fail_at(1, 0);
    assert_null(hp_calloc(4, 16));
    oom_off();
    assert_int_equal(hp_mem_used(), base);
}

static void test_alloc_realloc_failure_keeps_block(void **state)
{
    size_t base = hp_mem_used();
    char *p = hp_malloc(16), *q;
    size_t counted;

    assert_non_null(p);
    memcpy(p, "keep", 5);
    counted = hp_mem_used();
    oom_fail_at(1, 0);
    q = hp_realloc(p, 100000);
    oom_off();
    assert_null(q);
    assert_string_equal(p, "keep");
    assert_int_equal(hp_mem_used(), counted);
    hp_free(p);
    assert_int_equal(hp_mem_used(), base);
}

static void test_alloc_seam_sees_every_allocation(void **state)
{
    void *a, *b, *c;

    oom_off();
    a = hp_malloc(1);
    b = hp_calloc(1, 1);
    c = hp_realloc(a, 200);
    assert_int_equal(oom_count(), 3);
    hp_free(b);
    hp_free(c);
}

static void test_alloc_peak_follows_maximum(void **state)
{
    size_t before = hp_mem_peak();
    char *p = hp_malloc(1 << 20);

    assert_non_null(p);
    assert_true(hp_mem_peak() >= hp_mem_used());
    assert_true(hp_mem_peak() >= before);
    assert_true(hp_mem_peak() >= hp_malloc_size(p));
    hp_free(p);
    assert_true(hp_mem_peak() > hp_mem_used());
}

/* INFO mem_allocator names the malloc really in use: jemalloc's own
 * control entry point exists exactly when it says jemalloc. */
static void test_alloc_allocator_is_named(void **state)
{
    const char *name = hp_mem_allocator();
    int je = strncmp(name, "jemalloc-", 9) == 0;

    (void)state;
    assert_true(je || strcmp(name, "libc") == 0);
    assert_int_equal(je, dlsym(RTLD_DEFAULT, "mallctl") != NULL);
}

/* jemalloc-bg-thread's switch: jemalloc starts and stops its purging
 * thread; under libc there is none (-ENOTSUP, reads off). */
static void test_alloc_background_thread_switch(void **state)
{
    (void)state;
    if (strncmp(hp_mem_allocator(), "jemalloc-", 9) != 0) {
        assert_int_equal(hp_mem_background_thread(1), -ENOTSUP);
        assert_int_equal(hp_mem_background_thread_on(), 0);
        return;
    }
    assert_int_equal(hp_mem_background_thread(1), 0);
    assert_int_equal(hp_mem_background_thread_on(), 1);
    assert_int_equal(hp_mem_background_thread(0), 0);
    assert_int_equal(hp_mem_background_thread_on(), 0);
}

/* The purging threads jemalloc-bg-thread starts run at the lowest
 * priority, started again after a stop too; the thread that switched
 * them on keeps its own. */
static void test_alloc_background_thread_lowest_priority(void **state)
{
    int n = 0;

    (void)state;
    if (strncmp(hp_mem_allocator(), "jemalloc-", 9) != 0) {
        /* libc: nothing started, nothing lowered */
        assert_int_equal(hp_mem_background_thread(1), -ENOTSUP);
        assert_int_equal(proc_bg_threads_lowered(getpid()), 0);
        return;
    }
    for (int round = 0; round < 2; round++) {
        assert_int_equal(hp_mem_background_thread(0), 0);
        assert_int_equal(proc_bg_threads_lowered(getpid()), 0);
        assert_int_equal(hp_mem_background_thread(1), 0);
        /* thread 0 names itself once running */
        for (int i = 0; i < 3000 && (n = proc_bg_threads_lowered(getpid())) == 0;
             i++)
            usleep(10000);
        assert_true(n >= 1);
    }
    assert_int_equal(hp_mem_background_thread(0), 0);
}

typedef int (*mallctl_fn)(const char *, void *, size_t *, void *, size_t);

/* jemalloc's count of dirty pages over all arenas after refreshing its
 * statistics, or -1 when it has none. */
static long dirty_pages(mallctl_fn ctl)
{
    uint64_t epoch = 1;
    size_t n, len = sizeof(epoch);

    if (ctl("epoch", &epoch, &len, &epoch, sizeof(epoch)) != 0)
        return -1;
    len = sizeof(n);
    if (ctl("stats.arenas.4096.pdirty", &n, &len, NULL, 0) != 0)
        return -1;
    return (long)n;
}

/* MEMORY PURGE: under jemalloc, the pages of freed blocks are dirty
 * until purged, and hp_mem_purge leaves none; under libc it trims. */
static void test_alloc_purge_leaves_no_dirty_page(void **state)
{
    mallctl_fn ctl = (mallctl_fn)(uintptr_t)dlsym(RTLD_DEFAULT, "mallctl");
    enum { N = 2048 };
    void **blocks = calloc(N, sizeof(*blocks));

    (void)state;
    assert_non_null(blocks);
    for (int i = 0; i < N; i++) {
        blocks[i] = hp_malloc(8000);
        assert_non_null(blocks[i]);
        memset(blocks[i], 1, 8000);
    }
    for (int i = 0; i < N; i++)
        hp_free(blocks[i]);
    free(blocks);
    if (ctl == NULL || dirty_pages(ctl) < 0) {
        hp_mem_purge(); /* malloc_trim: nothing to observe */
        return;
    }
    assert_true(dirty_pages(ctl) > 0);
    hp_mem_purge();
    assert_int_equal(dirty_pages(ctl), 0);
}

/* The oversize threshold of the calling thread's jemalloc arena. */
static size_t own_oversize(mallctl_fn ctl)
{
    char name[64];
    unsigned ind;
    size_t v, len = sizeof(ind);

    assert_int_equal(ctl("thread.arena", &ind, &len, NULL, 0), 0);
    snprintf(name, sizeof(name), "arena.%u.oversize_threshold", ind);
    len = sizeof(v);
    assert_int_equal(ctl(name, &v, &len, NULL, 0), 0);
    return v;
}

/* hp_mem_eager_purge: off raises the calling thread's arena's oversize
 * threshold beyond any run of free pages (no purge inside a free), on
 * puts jemalloc's own value (opt.oversize_threshold) back. Under libc:
 * -ENOTSUP. */
static void test_alloc_eager_purge_switch(void **state)
{
    mallctl_fn ctl = (mallctl_fn)(uintptr_t)dlsym(RTLD_DEFAULT, "mallctl");
    size_t opt, len = sizeof(opt);

    (void)state;
    if (strncmp(hp_mem_allocator(), "jemalloc-", 9) != 0) {
        assert_int_equal(hp_mem_eager_purge(0), -ENOTSUP);
        return;
    }
    assert_non_null(ctl);
    assert_int_equal(ctl("opt.oversize_threshold", &opt, &len, NULL, 0), 0);
    assert_int_equal(hp_mem_eager_purge(1), 0);
    assert_int_equal(own_oversize(ctl), opt);
    assert_int_equal(hp_mem_eager_purge(0), 0);
    assert_int_equal(own_oversize(ctl), SIZE_MAX);
    assert_int_equal(hp_mem_eager_purge(0), 0); /* twice: still off */
    assert_int_equal(own_oversize(ctl), SIZE_MAX);
    assert_int_equal(hp_mem_eager_purge(1), 0);
    assert_int_equal(own_oversize(ctl), opt);
}

/* Thread body: allocate and free many blocks. */
static void *churn(void *arg)
{
    void *blocks[64];

    (void)arg;
    for (int round = 0; round < 200; round++) {
        for (int i = 0; i < 64; i++)
            blocks[i] = hp_malloc((size_t)(i * 7 + round % 13 + 1));
        for (int i = 0; i < 64; i++)
            hp_free(blocks[i]);
    }
    return NULL;
}

static void test_alloc_counts_from_many_threads(void **state)
{
    pthread_t th[4];
    size_t base = hp_mem_used();

    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&th[i], NULL, churn, NULL), 0);
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_join(th[i], NULL), 0);
    assert_int_equal(hp_mem_used(), base);
}

/* hp__free_sized takes off exactly what hp_malloc / hp_calloc counted
 * (sizes around jemalloc's and glibc's class boundaries). */
static void test_alloc_free_sized_counts(void **state)
{
    size_t base = hp_mem_used();

    (void)state;
    for (size_t n = 1; n <= 600; n += 7) {
        void *p = hp_malloc(n), *q = hp_calloc(1, n);

        assert_non_null(p);
        assert_non_null(q);
        assert_int_equal(hp_mem_used(),
                         base + hp_malloc_size(p) + hp_malloc_size(q));
        hp__free_sized(p, n);
        hp__free_sized(q, n);
        assert_int_equal(hp_mem_used(), base);
    }
    hp__free_sized(NULL, 8);
    assert_int_equal(hp_mem_used(), base);
}

/* Thread body: free the block arg. */
static void *free_it(void *arg)
{
    hp_free(arg);
    return NULL;
}

/* Thread body: hold 1 MB, report, give it back. */
static void *hold_mb(void *arg)
{
    void *p = hp_malloc(1 << 20);

    *(size_t *)arg = p ? hp_mem_used() : 0;
    hp_free(p);
    return NULL;
}

/* Each thread counts on its own; the sum is exact at any quiet point and
 * the peak saw another thread's rise; a block freed by another thread
 * than the one that allocated it leaves the sum exact. */
static void test_alloc_per_thread_counts(void **state)
{
    pthread_t th;
    size_t base = hp_mem_used(), during = 0;
    void *p;

    (void)state;
    assert_int_equal(pthread_create(&th, NULL, hold_mb, &during), 0);
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_true(during >= base + (1 << 20));
    assert_true(hp_mem_peak() >= during);
    assert_int_equal(hp_mem_used(), base);
    p = hp_malloc(4096);
    assert_non_null(p);
    assert_int_equal(pthread_create(&th, NULL, free_it, p), 0);
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_int_equal(hp_mem_used(), base);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alloc_malloc_counts_usable_size),
        cmocka_unit_test(test_alloc_free_null_is_noop),
        cmocka_unit_test(test_alloc_calloc_zeroes_and_counts),
        cmocka_unit_test(test_alloc_calloc_overflow_fails),
        cmocka_unit_test(test_alloc_realloc_tracks_growth),
        cmocka_unit_test(test_alloc_malloc_failure_returns_null),
        cmocka_unit_test(test_alloc_realloc_failure_keeps_block),
        cmocka_unit_test(test_alloc_seam_sees_every_allocation),
        cmocka_unit_test(test_alloc_peak_follows_maximum),
        cmocka_unit_test(test_alloc_allocator_is_named),
        cmocka_unit_test(test_alloc_background_thread_switch),
        cmocka_unit_test(test_alloc_background_thread_lowest_priority),
        cmocka_unit_test(test_alloc_purge_leaves_no_dirty_page),
        cmocka_unit_test(test_alloc_eager_purge_switch),
        cmocka_unit_test(test_alloc_counts_from_many_threads),
        cmocka_unit_test(test_alloc_free_sized_counts),
        cmocka_unit_test(test_alloc_per_thread_counts),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
