/*
 * oom.c - the --wrap side of the heap's allocation seam (oom.h): counts
 * allocation attempts and fails the chosen ones.
 */
#include "oom.h"

#include <stdatomic.h>

static _Atomic long seen; /* attempts since the last reset */
static long fail_at;      /* 0: never fail */
static int fail_after;    /* fail every attempt past fail_at too */

/* Fail the n-th allocation from now, and after it when persistent. */
void oom_fail_at(long n, int persistent)
{
    seen = 0;
    fail_at = n;
    fail_after = persistent;
}

/* Stop failing; reset the count. */
void oom_off(void)
{
    seen = 0;
    fail_at = 0;
    fail_after = 0;
}

/* Allocation attempts since the last reset. */
long oom_count(void)
{
    return seen;
}

/* Count one attempt; whether it must fail. */
static int should_fail(void)
{
    seen++;
    if (fail_at == 0) return 0;
    return seen == fail_at || (fail_after && seen > fail_at);
}

/* The seam wrappers: fail when chosen, else call the real seam. */
void *__wrap_hp__alloc(size_t n)
{
    return should_fail() ? NULL : __real_hp__alloc(n);
}

void *__wrap_hp__calloc(size_t count, size_t n)
{
    return should_fail() ? NULL : __real_hp__calloc(count, n);
}

void *__wrap_hp__realloc(void *p, size_t n)
{
    return should_fail() ? NULL : __real_hp__realloc(p, n);
}
