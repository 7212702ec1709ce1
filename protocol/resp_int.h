/*
 * resp_int.h - internals shared by the protocol/ sources: the configured
 * allocator. Not part of the public API; only protocol/ and its unit tests
 * include it.
 */
#ifndef GENCACHE_PROTOCOL_RESP_INT_H
#define GENCACHE_PROTOCOL_RESP_INT_H

#include <stddef.h>

/* The allocator chosen with resp_set_allocator() (libc by default). Every
 * buffer of protocol/ goes through these three. */
extern void *(*resp__malloc)(size_t);
extern void *(*resp__realloc)(void *, size_t);
extern void (*resp__free)(void *);

/* Two-digit lookup table "00".."99" used by the integer formatter. */
extern const char resp__digits2[201];

#endif /* GENCACHE_PROTOCOL_RESP_INT_H */
