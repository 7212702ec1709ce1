/*
 * hash.c - the keyed hash of every dict: SipHash-1-2 (as Redis), written
 * from the SipHash paper (Aumasson and Bernstein, 2012). Keyed with a
 * random seed at startup, so clients cannot choose keys that collide.
 *
 * SipHash keeps four 64-bit words. The key initialises them; each 8-byte
 * little-endian word of input is xored into v3, mixed by c "SipRounds",
 * then xored into v0. The last word carries the input length in its top
 * byte. Finalisation xors 0xff into v2 and runs d rounds.
 */
#include "heap.h"

#include <string.h>

#include "heap_int.h"

/* The hash key. Executor thread: set once at startup (tests: per run). */
static uint8_t hash_key[16];

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

/* Read 8 bytes as a little-endian word, whatever the host order. */
static inline uint64_t load_le64(const uint8_t *p)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    uint64_t v;

    memcpy(&v, p, sizeof(v));
    return v;
#else
    uint64_t v = 0;

    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
#endif
}

/* One SipRound over the state v[0..3]. */
static inline void sip_round(uint64_t v[4])
{
    v[0] += v[1];
    v[1] = ROTL(v[1], 13);
    v[1] ^= v[0];
    v[0] = ROTL(v[0], 32);
    v[2] += v[3];
    v[3] = ROTL(v[3], 16);
    v[3] ^= v[2];
    v[0] += v[3];
    v[3] = ROTL(v[3], 21);
    v[3] ^= v[0];
    v[2] += v[1];
    v[1] = ROTL(v[1], 17);
    v[1] ^= v[2];
    v[2] = ROTL(v[2], 32);
}

/* Absorb one message word m with c rounds. */
static inline void sip_absorb(uint64_t v[4], uint64_t m, int crounds)
{
    v[3] ^= m;
    for (int i = 0; i < crounds; i++)
        sip_round(v);
    v[0] ^= m;
}

/* SipHash-c-d of in[0..len) under key k (see the file comment). Inline
 * so that hp_hash gets a copy with constant rounds, unrolled. */
static inline uint64_t siphash(const void *in, size_t len, const uint8_t k[16],
                               int crounds, int drounds)
{
    const uint8_t *p = in;
    uint64_t k0 = load_le64(k), k1 = load_le64(k + 8);
    uint64_t v[4] = {
        k0 ^ 0x736f6d6570736575ULL,
        k1 ^ 0x646f72616e646f6dULL,
        k0 ^ 0x6c7967656e657261ULL,
        k1 ^ 0x7465646279746573ULL,
    };
    size_t full = len & ~(size_t)7;
    uint64_t last = (uint64_t)len << 56;

    for (size_t i = 0; i < full; i += 8)
        sip_absorb(v, load_le64(p + i), crounds);
    for (size_t i = 0; i < (len & 7); i++)
        last |= (uint64_t)p[full + i] << (8 * i);
    sip_absorb(v, last, crounds);
    v[2] ^= 0xff;
    for (int i = 0; i < drounds; i++)
        sip_round(v);
    return v[0] ^ v[1] ^ v[2] ^ v[3];
}

/* SipHash-c-d of in[0..len) under key k, any round counts (tests). */
uint64_t hp__siphash(const void *in, size_t len, const uint8_t k[16],
                     int crounds, int drounds)
{
    return siphash(in, len, k, crounds, drounds);
}

/* Set the hash key. Call before any dict holds entries (their buckets
 * depend on it). Executor thread. */
void hp_hash_seed(const uint8_t seed[16])
{
    memcpy(hash_key, seed, sizeof(hash_key));
}

/* The keyed hash of key[0..len) used by every dict. */
uint64_t hp_hash(const char *key, size_t len)
{
    return siphash(key, len, hash_key, 1, 2);
}
