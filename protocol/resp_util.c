/*
 * resp_util.c - the allocator hook of protocol/ and the int64 <-> decimal
 * helpers (Redis's string2ll / ll2string rules).
 *
 * The allocator pointers are the only process-wide state of the module;
 * they are written once at start-up, before any thread uses a parser or a
 * buffer.
 */
#include "resp.h"

#include <stdlib.h>
#include <string.h>

#include "resp_int.h"

void *(*resp__malloc)(size_t) = malloc;
void *(*resp__realloc)(void *, size_t) = realloc;
void (*resp__free)(void *) = free;

const char resp__digits2[201] = "0001020304050607080910111213141516171819"
                                "2021222324252627282930313233343536373839"
                                "4041424344454647484950515253545556575859"
                                "6061626364656667686970717273747576777879"
                                "8081828384858687888990919293949596979899";

/* Install the allocator for every later allocation of this module. A NULL
 * argument restores the libc function. Call before any parser or buffer
 * exists: memory is released through the free function current then. */
void resp_set_allocator(void *(*malloc_fn)(size_t),
                        void *(*realloc_fn)(void *, size_t),
                        void (*free_fn)(void *))
{
    resp__malloc = malloc_fn ? malloc_fn : malloc;
    resp__realloc = realloc_fn ? realloc_fn : realloc;
    resp__free = free_fn ? free_fn : free;
}

/* Parse s[0..len) as a signed decimal int64 with Redis's string2ll rules:
 * an optional '-', then "0" alone or a digit 1-9 followed by digits, no
 * '+', no spaces, no leading zeros, at most 20 bytes, no overflow.
 * Returns 1 and stores *out on success, 0 otherwise (*out untouched). */
int resp_str2ll(const char *s, size_t len, int64_t *out)
{
    size_t i = 0;
    int neg = 0;
    uint64_t v;

    if (len == 0 || len > 20) return 0;
    if (len == 1 && s[0] == '0') {
        *out = 0;
        return 1;
    }
    if (s[0] == '-') {
        neg = 1;
        i = 1;
    }
    if (i == len || s[i] < '1' || s[i] > '9') return 0;
    v = (uint64_t)(s[i++] - '0');
    for (; i < len; i++) {
        unsigned d = (unsigned)(unsigned char)s[i] - '0';
        if (d > 9 || v > UINT64_MAX / 10 || v * 10 > UINT64_MAX - d) return 0;
        v = v * 10 + d;
    }
    if (neg) {
        if (v > (uint64_t)INT64_MAX + 1) return 0;
        *out = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
    } else {
        if (v > (uint64_t)INT64_MAX) return 0;
        *out = (int64_t)v;
    }
    return 1;
}

/* Number of decimal digits of v (1..20). */
static unsigned count_digits(uint64_t v)
{
    unsigned n = 1;

    for (;;) {
        if (v < 10) return n;
        if (v < 100) return n + 1;
        if (v < 1000) return n + 2;
        if (v < 10000) return n + 3;
        v /= 10000;
        n += 4;
    }
}

/* Write v in decimal to buf (at least 21 bytes), NUL-terminated, two
 * digits per step from a table. Returns the length, without the NUL. */
size_t resp_ll2str(char *buf, int64_t v)
{
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    size_t neg = v < 0;
    size_t n = count_digits(u);
    size_t i = neg + n;

    if (neg) buf[0] = '-';
    buf[i] = '\0';
    while (u >= 100) {
        unsigned k = (unsigned)(u % 100) * 2;
        u /= 100;
        buf[--i] = resp__digits2[k + 1];
        buf[--i] = resp__digits2[k];
    }
    if (u < 10) {
        buf[--i] = (char)('0' + u);
    } else {
        unsigned k = (unsigned)u * 2;
        buf[--i] = resp__digits2[k + 1];
        buf[--i] = resp__digits2[k];
    }
    return neg + n;
}
