/*
 * listpack.c - the listpack: a sequence of string/integer entries packed
 * in one allocation, the compact encoding of small lists, hashes and
 * sorted sets. The byte layout and invariants are in heap_cont.h; in
 * short: a header (total bytes, entry count), entries of tag + payload +
 * backlen, and an end marker. Every mutation goes through make_gap, which
 * resizes the block and moves the tail once.
 */
#include "heap.h"

#include <assert.h>
#include <errno.h>
#include <string.h>

#include "heap_cont.h"
#include "heap_int.h"

/* Tags (heap_cont.h). */
#define TAG_STR6 0x80  /* 0x80..0xBF: string of up to 63 bytes */
#define TAG_INT8 0xC0
#define TAG_INT16 0xC1
#define TAG_INT32 0xC2
#define TAG_INT64 0xC3
#define TAG_STR16 0xC4
#define TAG_STR32 0xC5

/* Most bytes of an encoded entry header: tag + 8-byte integer. */
#define MAX_HEAD 9
/* Most bytes of a backlen (a u32 size in 7-bit groups). */
#define MAX_BACKLEN 5

/* ---------------------------------------------------------------------
 * Raw field access
 * ------------------------------------------------------------------ */

/* Little-endian load of n bytes. */
static uint64_t load_le(const unsigned char *p, int n)
{
    uint64_t v = 0;

    for (int i = n - 1; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

/* Little-endian store of the low n bytes of v. */
static void store_le(unsigned char *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++) {
        p[i] = (unsigned char)(v & 0xFF);
        v >>= 8;
    }
}

static uint32_t get_total(const unsigned char *lp)
{
    return (uint32_t)load_le(lp, 4);
}

static void set_total(unsigned char *lp, uint32_t v)
{
    store_le(lp, v, 4);
}

static uint32_t get_count(const unsigned char *lp)
{
    return (uint32_t)load_le(lp + 4, 4);
}

static void set_count(unsigned char *lp, uint32_t v)
{
    store_le(lp + 4, v, 4);
}

/* ---------------------------------------------------------------------
 * Entry encoding
 * ------------------------------------------------------------------ */

/* Bytes of a backlen recording an entry body of n bytes. */
static size_t backlen_size(size_t n)
{
    size_t b = 1;

    while (n >= 128) {
        n >>= 7;
        b++;
    }
    return b;
}

/* Write the backlen for body size n at p; returns its byte count. */
static size_t write_backlen(unsigned char *p, size_t n)
{
    size_t b = backlen_size(n);

    for (size_t i = 0; i < b; i++) {
        p[b - 1 - i] = (unsigned char)((n & 0x7F) | (i + 1 < b ? 0x80 : 0));
        n >>= 7;
    }
    return b;
}

/* Read the backlen that ends just before `end`: the body size of the
 * entry before it. Stores the backlen's own byte count in *blen. */
static size_t read_backlen(const unsigned char *end, size_t *blen)
{
    size_t v = 0, shift = 0, n = 0;
    unsigned char b;

    do {
        b = end[-1 - (long)n];
        v |= (size_t)(b & 0x7F) << shift;
        shift += 7;
        n++;
    } while ((b & 0x80) && n < MAX_BACKLEN);
    *blen = n;
    return v;
}

/* Header bytes (tag and any length/integer field) of the entry at p. */
static size_t head_size(const unsigned char *p)
{
    switch (p[0]) {
    case TAG_INT8:
        return 2;
    case TAG_INT16:
        return 3;
    case TAG_INT32:
        return 5;
    case TAG_INT64:
        return 9;
    case TAG_STR16:
        return 3;
    case TAG_STR32:
        return 5;
    default:
        return 1;
    }
}

/* Bytes of string payload after the header (0 for integers). */
static size_t str_size(const unsigned char *p)
{
    if (p[0] >= TAG_STR6 && p[0] < TAG_INT8) return p[0] & 0x3F;
    if (p[0] == TAG_STR16) return (size_t)load_le(p + 1, 2);
    if (p[0] == TAG_STR32) return (size_t)load_le(p + 1, 4);
    return 0;
}

/* Body (header + payload) bytes of the entry at p. */
static size_t body_size(const unsigned char *p)
{
    return head_size(p) + str_size(p);
}

/* Total bytes of the entry at p, backlen included. */
static size_t entry_size(const unsigned char *p)
{
    size_t body = body_size(p);

    return body + backlen_size(body);
}

/* Encode integer v as an entry header into head; returns its size. */
static size_t encode_int(unsigned char *head, int64_t v)
{
    if (v >= 0 && v <= 127) {
        head[0] = (unsigned char)v;
        return 1;
    }
    if (v >= INT8_MIN && v <= INT8_MAX) {
        head[0] = TAG_INT8;
        store_le(head + 1, (uint64_t)v, 1);
        return 2;
    }
    if (v >= INT16_MIN && v <= INT16_MAX) {
        head[0] = TAG_INT16;
        store_le(head + 1, (uint64_t)v, 2);
        return 3;
    }
    if (v >= INT32_MIN && v <= INT32_MAX) {
        head[0] = TAG_INT32;
        store_le(head + 1, (uint64_t)v, 4);
        return 5;
    }
    head[0] = TAG_INT64;
    store_le(head + 1, (uint64_t)v, 8);
    return 9;
}

/* Encode a string header of len bytes into head; returns its size. */
static size_t encode_str_head(unsigned char *head, size_t len)
{
    if (len <= 63) {
        head[0] = (unsigned char)(TAG_STR6 | len);
        return 1;
    }
    if (len <= UINT16_MAX) {
        head[0] = TAG_STR16;
        store_le(head + 1, len, 2);
        return 3;
    }
    head[0] = TAG_STR32;
    store_le(head + 1, len, 4);
    return 5;
}

/* Sign-extend the low n bytes of u. */
static int64_t sign_extend(uint64_t u, int n)
{
    uint64_t sign = (uint64_t)1 << (8 * n - 1);

    if (n == 8) return (int64_t)u;
    return (int64_t)((u ^ sign) - sign);
}

/* Decode the entry at p (heap_cont.h). Borrowed string pointer. */
void hp_lp_get(const unsigned char *p, hp_elem_t *e)
{
    unsigned char t = p[0];

    e->s = NULL;
    e->len = 0;
    e->i = 0;
    if (t < TAG_STR6) {
        e->i = t;
    } else if (t < TAG_INT8 || t == TAG_STR16 || t == TAG_STR32) {
        e->len = str_size(p);
        e->s = (const char *)p + head_size(p);
    } else {
        int n = (int)head_size(p) - 1;

        e->i = sign_extend(load_le(p + 1, n), n);
    }
}

/* Whether the entry at p equals s[0..len) as a string. */
int hp_lp_eq(const unsigned char *p, const char *s, size_t len)
{
    hp_elem_t e;
    int64_t v;

    hp_lp_get(p, &e);
    if (e.s) return e.len == len && (len == 0 || memcmp(e.s, s, len) == 0);
    return hp__parse_int(s, len, &v) == 0 && v == e.i;
}

/* ---------------------------------------------------------------------
 * Lifecycle and navigation
 * ------------------------------------------------------------------ */

/* New empty listpack; NULL on OOM. */
unsigned char *hp_lp_new(void)
{
    unsigned char *lp = hp_malloc(HP_LP_HDR + 1);

    if (!lp) return NULL;
    set_total(lp, HP_LP_HDR + 1);
    set_count(lp, 0);
    lp[HP_LP_HDR] = HP_LP_END;
    return lp;
}

/* Set once a shrinking realloc failed (out of memory): some listpack
 * may then sit in a block bigger than its total, so frees look the size
 * up again. */
static int lp_oversized;

/* The bytes lp's block was asked for as (what hp__free_sized takes), or
 * 0 when frees must look the size up (heap_cont.h). */
size_t hp__lp_alloc_bytes(const unsigned char *lp)
{
    return lp_oversized ? 0 : get_total(lp);
}

/* Free a listpack; NULL does nothing. Its block was asked for as exactly
 * its total (hp_lp_new, make_gap, hp_lp_split, hp_hash_dup), so it is
 * freed sized, with no lookup of the block, unless a shrink ever
 * failed. */
void hp_lp_free(unsigned char *lp)
{
    if (!lp) return;
    if (lp_oversized)
        hp_free(lp);
    else
        hp__free_sized(lp, get_total(lp));
}

size_t hp_lp_len(const unsigned char *lp)
{
    return get_count(lp);
}

size_t hp_lp_bytes(const unsigned char *lp)
{
    return get_total(lp);
}

/* First entry, or NULL when empty. Borrowed. */
unsigned char *hp_lp_first(unsigned char *lp)
{
    return lp[HP_LP_HDR] == HP_LP_END ? NULL : lp + HP_LP_HDR;
}

/* Entry after p, or NULL at the end. Borrowed. */
unsigned char *hp_lp_next(unsigned char *lp, unsigned char *p)
{
    assert(p >= lp + HP_LP_HDR && p < lp + get_total(lp) - 1);
    p += entry_size(p);
    return *p == HP_LP_END ? NULL : p;
}

/* Entry before p (p may be the end marker), or NULL at the start. */
unsigned char *hp_lp_prev(unsigned char *lp, unsigned char *p)
{
    size_t blen, body;

    assert(p >= lp + HP_LP_HDR && p < lp + get_total(lp));
    if (p == lp + HP_LP_HDR) return NULL;
    body = read_backlen(p, &blen);
    return p - blen - body;
}

/* Last entry, or NULL when empty. Borrowed. */
unsigned char *hp_lp_last(unsigned char *lp)
{
    return hp_lp_prev(lp, lp + get_total(lp) - 1);
}

/* Entry number index (negative from the end), walking from the nearer
 * end; NULL when out of range. Borrowed. */
unsigned char *hp_lp_seek(unsigned char *lp, long index)
{
    long count = (long)get_count(lp);
    unsigned char *p;

    if (index < 0) index += count;
    if (index < 0 || index >= count) return NULL;
    if (index <= count / 2) {
        p = hp_lp_first(lp);
        while (index-- > 0)
            p = hp_lp_next(lp, p);
    } else {
        p = hp_lp_last(lp);
        for (long i = count - 1; i > index; i--)
            p = hp_lp_prev(lp, p);
    }
    return p;
}

/* Index of the entry at p (counted from the start). */
size_t hp_lp_index_of(const unsigned char *lp, const unsigned char *p)
{
    const unsigned char *q = lp + HP_LP_HDR;
    size_t i = 0;

    while (q < p) {
        q += entry_size(q);
        i++;
    }
    assert(q == p);
    return i;
}

/* ---------------------------------------------------------------------
 * Mutation
 * ------------------------------------------------------------------ */

/* Replace old_bytes at offset off with a gap of new_bytes (contents
 * undefined), moving the tail and resizing the block. The count is the
 * caller's. 0, or -ENOMEM with the listpack unchanged. */
static int make_gap(unsigned char **lpp, size_t off, size_t old_bytes,
                    size_t new_bytes)
{
    unsigned char *lp = *lpp;
    size_t total = get_total(lp);
    size_t tail = total - off - old_bytes;
    size_t ntotal = total - old_bytes + new_bytes;

    if (new_bytes > old_bytes) {
        lp = hp_realloc(lp, ntotal);
        if (!lp) return -ENOMEM;
        memmove(lp + off + new_bytes, lp + off + old_bytes, tail);
    } else if (new_bytes < old_bytes) {
        unsigned char *q;

        memmove(lp + off + new_bytes, lp + off + old_bytes, tail);
        /* Shrinking may fail; the bigger block is still valid. */
        q = hp_realloc(lp, ntotal);
        if (q)
            lp = q;
        else
            lp_oversized = 1;
    }
    set_total(lp, (uint32_t)ntotal);
    *lpp = lp;
    return 0;
}

/* An encoded entry ready to be written: header bytes, then payload. */
typedef struct lp_enc {
    unsigned char head[MAX_HEAD];
    size_t head_len;
    const char *payload; /* string bytes, NULL for integers */
    size_t payload_len;
    size_t body;  /* head_len + payload_len */
    size_t bytes; /* body + backlen */
} lp_enc_t;

/* Encode s (as an integer when canonical). -E2BIG if too long. */
static int enc_str(lp_enc_t *en, const char *s, size_t len)
{
    int64_t v;

    en->payload = NULL;
    en->payload_len = 0;
    if (hp__parse_int(s, len, &v) == 0) {
        en->head_len = encode_int(en->head, v);
    } else {
        if (len > HP_LP_MAX_STR - 64) return -E2BIG;
        en->head_len = encode_str_head(en->head, len);
        en->payload = s;
        en->payload_len = len;
    }
    en->body = en->head_len + en->payload_len;
    en->bytes = en->body + backlen_size(en->body);
    return 0;
}

/* Encode an integer. */
static void enc_int(lp_enc_t *en, int64_t v)
{
    en->payload = NULL;
    en->payload_len = 0;
    en->head_len = encode_int(en->head, v);
    en->body = en->head_len;
    en->bytes = en->body + backlen_size(en->body);
}

/* Write an encoded entry at p. */
static void write_entry(unsigned char *p, const lp_enc_t *en)
{
    memcpy(p, en->head, en->head_len);
    if (en->payload_len) memcpy(p + en->head_len, en->payload, en->payload_len);
    write_backlen(p + en->body, en->body);
}

/* Offset where entry `index` must go for an insert (index in 0..count,
 * or negative: -1 appends). -ERANGE when out of range. */
static long insert_offset(unsigned char *lp, long index)
{
    long count = (long)get_count(lp);
    unsigned char *p;

    if (index < 0) index += count + 1;
    if (index < 0 || index > count) return -ERANGE;
    if (index == count) return (long)get_total(lp) - 1;
    p = hp_lp_seek(lp, index);
    return (long)(p - lp);
}

/* Insert an encoded entry at entry position index. */
static int insert_enc(unsigned char **lpp, long index, const lp_enc_t *en)
{
    long off = insert_offset(*lpp, index);
    int rc;

    if (off < 0) return (int)off;
    if ((uint64_t)get_total(*lpp) + en->bytes > UINT32_MAX) return -E2BIG;
    if (get_count(*lpp) == UINT32_MAX) return -E2BIG;
    rc = make_gap(lpp, (size_t)off, 0, en->bytes);
    if (rc) return rc;
    write_entry(*lpp + off, en);
    set_count(*lpp, get_count(*lpp) + 1);
    return 0;
}

/* Insert s[0..len) as entry index (heap_cont.h). */
int hp_lp_insert(unsigned char **lpp, long index, const char *s, size_t len)
{
    lp_enc_t en;
    int rc = enc_str(&en, s, len);

    return rc ? rc : insert_enc(lpp, index, &en);
}

/* Insert integer v as entry index. */
int hp_lp_insert_int(unsigned char **lpp, long index, int64_t v)
{
    lp_enc_t en;

    enc_int(&en, v);
    return insert_enc(lpp, index, &en);
}

int hp_lp_append(unsigned char **lpp, const char *s, size_t len)
{
    return hp_lp_insert(lpp, -1, s, len);
}

int hp_lp_prepend(unsigned char **lpp, const char *s, size_t len)
{
    return hp_lp_insert(lpp, 0, s, len);
}

/* Replace entry index with s[0..len). */
int hp_lp_replace(unsigned char **lpp, long index, const char *s, size_t len)
{
    unsigned char *p = hp_lp_seek(*lpp, index);
    size_t off, old;
    lp_enc_t en;
    int rc;

    if (!p) return -ERANGE;
    rc = enc_str(&en, s, len);
    if (rc) return rc;
    off = (size_t)(p - *lpp);
    old = entry_size(p);
    if ((uint64_t)get_total(*lpp) - old + en.bytes > UINT32_MAX) return -E2BIG;
    rc = make_gap(lpp, off, old, en.bytes);
    if (rc) return rc;
    write_entry(*lpp + off, &en);
    return 0;
}

/* Delete up to count entries from index. Returns how many, or -ERANGE. */
long hp_lp_delete(unsigned char **lpp, long index, size_t count)
{
    unsigned char *lp = *lpp, *p = hp_lp_seek(lp, index), *q;
    size_t n = 0;

    if (!p) return -ERANGE;
    q = p;
    while (n < count && *q != HP_LP_END) {
        q += entry_size(q);
        n++;
    }
    /* Shrinking never fails (make_gap keeps the old block). */
    make_gap(lpp, (size_t)(p - lp), (size_t)(q - p), 0);
    set_count(*lpp, get_count(*lpp) - (uint32_t)n);
    return (long)n;
}

/* First entry from p on (stepping 1 + skip) equal to s; NULL if none. */
unsigned char *hp_lp_find(unsigned char *lp, unsigned char *p, const char *s,
                          size_t len, unsigned skip)
{
    while (p) {
        if (hp_lp_eq(p, s, len)) return p;
        for (unsigned i = 0; i <= skip && p; i++)
            p = hp_lp_next(lp, p);
    }
    return NULL;
}

/* ---------------------------------------------------------------------
 * Validation
 * ------------------------------------------------------------------ */

/* Whether the entry at p is well formed and ends by `end`. */
static int entry_ok(const unsigned char *p, const unsigned char *end)
{
    size_t body, blen;
    unsigned char t = p[0];

    if (t == HP_LP_END || (t > TAG_STR32 && t != HP_LP_END)) return 0;
    if ((size_t)(end - p) < head_size(p)) return 0;
    body = body_size(p);
    if ((size_t)(end - p) < body + backlen_size(body)) return 0;
    if (read_backlen(p + body + backlen_size(body), &blen) != body) return 0;
    return blen == backlen_size(body);
}

/* Full structural check: 0 or -EINVAL. */
int hp_lp_validate(const unsigned char *lp)
{
    size_t total = get_total(lp), n = 0;
    const unsigned char *p = lp + HP_LP_HDR, *end;

    if (total < HP_LP_HDR + 1 || total > hp_malloc_size(lp)) return -EINVAL;
    end = lp + total - 1;
    if (*end != HP_LP_END) return -EINVAL;
    while (p < end) {
        if (!entry_ok(p, end)) return -EINVAL;
        p += entry_size(p);
        n++;
    }
    return (p == end && n == get_count(lp)) ? 0 : -EINVAL;
}

/* ---------------------------------------------------------------------
 * Splitting and merging (quicklist nodes)
 * ------------------------------------------------------------------ */

/* Move entries index.. into a new listpack (heap_cont.h). */
unsigned char *hp_lp_split(unsigned char **lpp, long index)
{
    unsigned char *lp = *lpp, *p, *nlp;
    size_t count = get_count(lp), off, bytes;

    if (index <= 0 || (size_t)index >= count) return NULL;
    p = hp_lp_seek(lp, index);
    off = (size_t)(p - lp);
    bytes = get_total(lp) - 1 - off;
    nlp = hp_malloc(HP_LP_HDR + bytes + 1);
    if (!nlp) return NULL;
    memcpy(nlp + HP_LP_HDR, p, bytes + 1);
    set_total(nlp, (uint32_t)(HP_LP_HDR + bytes + 1));
    set_count(nlp, (uint32_t)(count - (size_t)index));
    hp_lp_delete(lpp, index, count - (size_t)index);
    return nlp;
}

/* Append src's entries to *dst (heap_cont.h). */
int hp_lp_merge(unsigned char **dst, const unsigned char *src)
{
    size_t sbytes = get_total(src) - HP_LP_HDR - 1;
    size_t off = get_total(*dst) - 1;
    int rc;

    if ((uint64_t)get_total(*dst) + sbytes > UINT32_MAX) return -E2BIG;
    if ((uint64_t)get_count(*dst) + get_count(src) > UINT32_MAX) return -E2BIG;
    rc = make_gap(dst, off, 0, sbytes);
    if (rc) return rc;
    memcpy(*dst + off, src + HP_LP_HDR, sbytes);
    set_count(*dst, get_count(*dst) + get_count(src));
    return 0;
}
