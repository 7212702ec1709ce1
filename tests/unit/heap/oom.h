/*
 * oom.h - allocation failure injection for heap's unit tests. Each test is
 * linked with -Wl,--wrap=hp__alloc,--wrap=hp__calloc,--wrap=hp__realloc,
 * so every allocation the heap makes passes through oom.c, which can fail
 * the n-th one (SQLite's approach: run an operation once per possible
 * failure point).
 */
#ifndef GENCACHE_TESTS_UNIT_HEAP_OOM_H
#define GENCACHE_TESTS_UNIT_HEAP_OOM_H

#include <stddef.h>

/* Fail the n-th allocation from now (n >= 1), and when persistent every
 * one after it too. Resets the count of allocations. */
void oom_fail_at(long n, int persistent);
/* Stop failing. */
void oom_off(void);
/* Allocations attempted since the last oom_fail_at / oom_off. */
long oom_count(void);

/* The wrappers (called by the heap through --wrap). */
void *__wrap_hp__alloc(size_t n);
void *__wrap_hp__calloc(size_t count, size_t n);
void *__wrap_hp__realloc(void *p, size_t n);
void *__real_hp__alloc(size_t n);
void *__real_hp__calloc(size_t count, size_t n);
void *__real_hp__realloc(void *p, size_t n);

#endif /* GENCACHE_TESTS_UNIT_HEAP_OOM_H */
