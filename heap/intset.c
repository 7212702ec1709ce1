/*
 * intset.c - a sorted array of distinct integers in one block, the body of
 * small all-integer sets ("intset", as Redis 7.0). Every element has the
 * same width: 2, 4 or 8 bytes, the smallest that holds them all. Adding a
 * value that does not fit widens every element first (never narrows back,
 * as Redis). Layout and invariants are in heap_cont.h.
 */
#include "heap.h"

#include <errno.h>
#include <string.h>

#include "heap_cont.h"
#include "heap_int.h"

/* Private generator for hp_is_random (xorshift64). Executor thread. */
static uint64_t rnd_state = 0x9E3779B97F4A7C15ULL;

/* Next pseudo-random number. */
static uint64_t rnd(void)
{
    rnd_state ^= rnd_state << 13;
    rnd_state ^= rnd_state >> 7;
    rnd_state ^= rnd_state << 17;
    return rnd_state;
}

/* Width in bytes (2, 4 or 8) needed to hold v. */
static uint32_t width_for(int64_t v)
{
    if (v >= INT16_MIN && v <= INT16_MAX) return 2;
    if (v >= INT32_MIN && v <= INT32_MAX) return 4;
    return 8;
}

/* Element i read with width w (the array may be mid-upgrade). */
static int64_t get_w(const hp_intset_t *is, size_t i, uint32_t w)
{
    int64_t v64;
    int32_t v32;
    int16_t v16;

    switch (w) {
    case 2:
        memcpy(&v16, is->data + i * 2, 2);
        return v16;
    case 4:
        memcpy(&v32, is->data + i * 4, 4);
        return v32;
    default:
        memcpy(&v64, is->data + i * 8, 8);
        return v64;
    }
}

/* Store v as element i with the set's width (v must fit). */
static void put(hp_intset_t *is, size_t i, int64_t v)
{
    int32_t v32 = (int32_t)v;
    int16_t v16 = (int16_t)v;

    switch (is->width) {
    case 2:
        memcpy(is->data + i * 2, &v16, 2);
        break;
    case 4:
        memcpy(is->data + i * 4, &v32, 4);
        break;
    default:
        memcpy(is->data + i * 8, &v, 8);
        break;
    }
}

/* New empty intset (width 2). NULL on OOM. */
hp_intset_t *hp_is_new(void)
{
    hp_intset_t *is = hp_malloc(sizeof(*is));

    if (!is) return NULL;
    is->width = 2;
    is->count = 0;
    return is;
}

/* Free an intset; NULL does nothing. */
void hp_is_free(hp_intset_t *is)
{
    hp_free(is);
}

size_t hp_is_len(const hp_intset_t *is)
{
    return is->count;
}

/* Bytes in use: header and elements. */
size_t hp_is_bytes(const hp_intset_t *is)
{
    return sizeof(*is) + (size_t)is->count * is->width;
}

/* Element i (0 <= i < count). */
int64_t hp_is_get(const hp_intset_t *is, size_t i)
{
    return get_w(is, i, is->width);
}

/* Binary search: 1 and *pos = index when v is present, else 0 and *pos =
 * where it would be inserted. */
static int search(const hp_intset_t *is, int64_t v, size_t *pos)
{
    size_t lo = 0, hi = is->count;

    if (is->count && v > hp_is_get(is, is->count - 1)) {
        *pos = is->count;
        return 0;
    }
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int64_t cur = hp_is_get(is, mid);

        if (cur == v) {
            *pos = mid;
            return 1;
        }
        if (cur < v)
            lo = mid + 1;
        else
            hi = mid;
    }
    *pos = lo;
    return 0;
}

/* Whether v is in the set. */
int hp_is_find(const hp_intset_t *is, int64_t v)
{
    size_t pos;

    return width_for(v) <= is->width && search(is, v, &pos);
}

/* Resize the block for count elements of width w. NULL on OOM (the old
 * block is untouched). */
static hp_intset_t *resize(hp_intset_t *is, size_t count, uint32_t w)
{
    return hp_realloc(is, sizeof(*is) + count * w);
}

/* Widen every element to w and add v, which is smaller or larger than all
 * of them (that is why it needs the width). 0 or -ENOMEM (unchanged). */
static int upgrade_add(hp_intset_t **isp, int64_t v, uint32_t w)
{
    hp_intset_t *is = resize(*isp, (size_t)(*isp)->count + 1, w);
    uint32_t old = is ? is->width : 0;
    size_t n, front;

    if (!is) return -ENOMEM;
    n = is->count;
    front = v < 0 ? 1 : 0;
    is->width = w;
    /* From the back, so no element is overwritten before it is read. */
    for (size_t i = n; i-- > 0;)
        put(is, i + front, get_w(is, i, old));
    put(is, front ? 0 : n, v);
    is->count++;
    *isp = is;
    return 0;
}

/* Add v; *added (may be NULL) is 1 if new, 0 if already there. *isp may
 * move. 0 or -ENOMEM (unchanged). */
int hp_is_add(hp_intset_t **isp, int64_t v, int *added)
{
    hp_intset_t *is = *isp;
    uint32_t w = width_for(v);
    size_t pos;

    if (added) *added = 0;
    if (w > is->width) {
        if (upgrade_add(isp, v, w)) return -ENOMEM;
        if (added) *added = 1;
        return 0;
    }
    if (search(is, v, &pos)) return 0;
    is = resize(is, (size_t)is->count + 1, is->width);
    if (!is) return -ENOMEM;
    memmove(is->data + (pos + 1) * is->width, is->data + pos * is->width,
            (is->count - pos) * is->width);
    put(is, pos, v);
    is->count++;
    *isp = is;
    if (added) *added = 1;
    return 0;
}

/* Remove v: 1 if it was there, 0 if not. Never fails (a failed shrink
 * keeps the larger block). *isp may move. */
int hp_is_remove(hp_intset_t **isp, int64_t v)
{
    hp_intset_t *is = *isp, *smaller;
    size_t pos;

    if (width_for(v) > is->width || !search(is, v, &pos)) return 0;
    memmove(is->data + pos * is->width, is->data + (pos + 1) * is->width,
            (is->count - pos - 1) * is->width);
    is->count--;
    smaller = resize(is, is->count, is->width);
    if (smaller) *isp = smaller;
    return 1;
}

/* A random element (the set must not be empty). */
int64_t hp_is_random(const hp_intset_t *is)
{
    return hp_is_get(is, (size_t)(rnd() % is->count));
}

/* Seed hp_is_random (tests: repeatable runs). */
void hp__is_random_seed(uint64_t seed)
{
    rnd_state = seed ? seed : 0x9E3779B97F4A7C15ULL;
}

/* Structural check: the width is 2/4/8, the block holds every element,
 * elements strictly increase and at least one needs the width (unless the
 * width is 2 or the set was widened and then shrank, which Redis allows:
 * so only the ordering and size are checked). 0 or -EINVAL. */
int hp_is_validate(const hp_intset_t *is)
{
    if (is->width != 2 && is->width != 4 && is->width != 8) return -EINVAL;
    if (hp_malloc_size(is) < hp_is_bytes(is)) return -EINVAL;
    for (size_t i = 1; i < is->count; i++)
        if (hp_is_get(is, i - 1) >= hp_is_get(is, i)) return -EINVAL;
    return 0;
}
