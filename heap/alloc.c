/*
 * alloc.c - the allocation seam: the heap's only calls into the libc
 * allocator that can fail. Accounting lives in mem.c, which calls these;
 * keeping them alone in this file lets a unit test link with
 * -Wl,--wrap=hp__alloc (--wrap only redirects calls that cross object
 * files) and fail the n-th allocation (heap_int.h).
 */
#include "heap_int.h"

#include <stdlib.h>

/* malloc(n). Any thread. */
void *hp__alloc(size_t n)
{
    return malloc(n);
}

/* calloc(count, n). Any thread. */
void *hp__calloc(size_t count, size_t n)
{
    return calloc(count, n);
}

/* realloc(p, n); on failure p is left alone. Any thread. */
void *hp__realloc(void *p, size_t n)
{
    return realloc(p, n);
}
