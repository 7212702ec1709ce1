/*
 * rdb.c - the RDB codec of one value: Redis 7.0's object serialisation as
 * DUMP/RESTORE use it (and an RDB file would), and the DUMP payload
 * framing (2-byte RDB version + CRC64, both little endian).
 *
 * Writing uses the plain types every Redis since 2.x loads: strings (with
 * the int8/16/32 encodings for small integers), LIST, SET, HASH and ZSET_2
 * (binary doubles). Reading accepts what Redis 7.0 emits and older compact
 * forms: LZF-compressed strings, quicklists of listpacks (and of
 * ziplists), listpack/ziplist hashes and zsets, intsets, and the plain
 * types. Redis's formats are re-implemented here from their descriptions:
 *
 *   length     00xxxxxx | 01xxxxxx yyyyyyyy (14 bit BE) | 0x80 + 4 bytes BE
 *              | 0x81 + 8 bytes BE | 11xxxxxx = special string encoding
 *              (0 int8, 1 int16 LE, 2 int32 LE, 3 LZF: clen, len, data)
 *   listpack   u32 total bytes, u16 count, entries, 0xff; an entry is
 *              encoding+data then a "backlen" of 1..5 bytes (7 bits each,
 *              read from the end, high bit = more)
 *   ziplist    u32 bytes, u32 tail offset, u16 count, entries, 0xff; an
 *              entry is prevlen (1 or 0xfe + u32), encoding, data
 *   intset     u32 width (2, 4, 8), u32 count, ascending LE integers
 *
 * Loading never trusts the input: every length is checked against the
 * bytes left, compact blobs are walked whole (structure, counts, backlens,
 * duplicate members or fields, strictly ascending intsets), and empty
 * containers are refused, so a corrupt payload yields -EINVAL and never a
 * broken value. Allocation is bounded by the input size (an LZF string
 * cannot claim more than 88 output bytes per input byte).
 */
#include "rdb.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server.h"

#define ENC_INT8 0
#define ENC_INT16 1
#define ENC_INT32 2
#define ENC_LZF 3

#define QUICKLIST_NODE_PLAIN 1  /* quicklist 2 node holding one element */
#define QUICKLIST_NODE_PACKED 2 /* quicklist 2 node holding a listpack */

#define LZF_MAX_RATIO 88 /* 3 input bytes expand to at most 264 */

/* ---------------------------------------------------------------------
 * Buffer and CRC64
 * ------------------------------------------------------------------ */

/* Free b's bytes and reset it to empty. */
void srv_rdb_buf_fini(srv_rdb_buf_t *b)
{
    hp_free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

/* Append n bytes of p to b: 0 or -ENOMEM (b unchanged). */
int srv_rdb_buf_append(srv_rdb_buf_t *b, const void *p, size_t n)
{
    if (b->cap - b->len < n) {
        size_t cap = b->cap ? b->cap : 64;
        unsigned char *np;

        while (cap - b->len < n) {
            cap *= 2;
        }
        np = hp_realloc(b->p, cap);
        if (np == NULL) {
            return -ENOMEM;
        }
        b->p = np;
        b->cap = cap;
    }
    if (n > 0) {
        memcpy(b->p + b->len, p, n);
    }
    b->len += n;
    return 0;
}

/* The reflected form of the Jones polynomial 0xad93d23594c935a9. */
#define CRC64_POLY_REFLECTED 0x95ac9329ac4bc9b5ULL

static uint64_t crc64_table[256];
static int crc64_ready;

/* Fill the byte-at-a-time table (idempotent). */
static void crc64_init(void)
{
    for (unsigned i = 0; i < 256; i++) {
        uint64_t crc = i;

        for (int k = 0; k < 8; k++) {
            crc = (crc & 1) ? (crc >> 1) ^ CRC64_POLY_REFLECTED : crc >> 1;
        }
        crc64_table[i] = crc;
    }
    crc64_ready = 1;
}

/* CRC-64/Jones of p[0..n) continuing from crc. */
uint64_t srv_crc64(uint64_t crc, const void *p, size_t n)
{
    const unsigned char *s = p;

    if (!crc64_ready) {
        crc64_init();
    }
    for (size_t i = 0; i < n; i++) {
        crc = crc64_table[(crc ^ s[i]) & 0xff] ^ (crc >> 8);
    }
    return crc;
}

/* ---------------------------------------------------------------------
 * Saving
 * ------------------------------------------------------------------ */

/* Append one byte. */
static int put_byte(srv_rdb_buf_t *b, unsigned v)
{
    unsigned char c = (unsigned char)v;

    return srv_rdb_buf_append(b, &c, 1);
}

/* Append an RDB length (1, 2, 5 or 9 bytes). */
static int put_len(srv_rdb_buf_t *b, uint64_t len)
{
    unsigned char buf[9];
    size_t n;

    if (len < 64) {
        buf[0] = (unsigned char)len;
        n = 1;
    } else if (len < 16384) {
        buf[0] = (unsigned char)(0x40 | (len >> 8));
        buf[1] = (unsigned char)(len & 0xff);
        n = 2;
    } else if (len <= UINT32_MAX) {
        buf[0] = 0x80;
        for (int i = 0; i < 4; i++) {
            buf[1 + i] = (unsigned char)(len >> (24 - 8 * i));
        }
        n = 5;
    } else {
        buf[0] = 0x81;
        for (int i = 0; i < 8; i++) {
            buf[1 + i] = (unsigned char)(len >> (56 - 8 * i));
        }
        n = 9;
    }
    return srv_rdb_buf_append(b, buf, n);
}

/* Append v with the int8/16/32 string encodings: 0, 1 when v does not
 * fit 32 bits (nothing written), or -ENOMEM. */
static int put_int_encoded(srv_rdb_buf_t *b, int64_t v)
{
    unsigned char buf[5];
    size_t n;
    uint32_t u = (uint32_t)v;

    if (v >= INT8_MIN && v <= INT8_MAX) {
        buf[0] = 0xc0 | ENC_INT8;
        n = 2;
    } else if (v >= INT16_MIN && v <= INT16_MAX) {
        buf[0] = 0xc0 | ENC_INT16;
        n = 3;
    } else if (v >= INT32_MIN && v <= INT32_MAX) {
        buf[0] = 0xc0 | ENC_INT32;
        n = 5;
    } else {
        return 1;
    }
    for (size_t i = 1; i < n; i++) {
        buf[i] = (unsigned char)(u >> (8 * (i - 1)));
    }
    return srv_rdb_buf_append(b, buf, n);
}

/* Append a string: as an integer encoding when its bytes are a canonical
 * 32-bit integer (Redis's rdbTryIntegerEncoding), else length + bytes. */
static int put_string(srv_rdb_buf_t *b, const char *s, size_t len)
{
    int64_t v;
    int rc;

    if (len > 0 && len <= 11 && srv_parse_ll(s, len, &v) == 0) {
        char tmp[HP_INT_BUF];
        int n = snprintf(tmp, sizeof(tmp), "%lld", (long long)v);

        if ((size_t)n == len && memcmp(tmp, s, len) == 0) {
            rc = put_int_encoded(b, v);
            if (rc <= 0) {
                return rc;
            }
        }
    }
    rc = put_len(b, len);
    return rc ? rc : srv_rdb_buf_append(b, s, len);
}

/* Append a container element (integer or bytes) as a string. */
static int put_elem(srv_rdb_buf_t *b, const hp_elem_t *e)
{
    char buf[HP_INT_BUF];
    const char *s;
    size_t len;

    if (e->s == NULL) {
        int rc = put_int_encoded(b, e->i);

        if (rc <= 0) {
            return rc;
        }
    }
    s = hp_elem_bytes(e, buf, &len);
    return put_string(b, s, len);
}

/* Append a double as 8 little-endian bytes (IEEE 754). */
static int put_double(srv_rdb_buf_t *b, double d)
{
    unsigned char buf[8];
    uint64_t u;

    memcpy(&u, &d, sizeof(u));
    for (int i = 0; i < 8; i++) {
        buf[i] = (unsigned char)(u >> (8 * i));
    }
    return srv_rdb_buf_append(b, buf, 8);
}

/* The string body: int-encoded values become int encodings. */
static int save_string(srv_rdb_buf_t *b, hp_obj_t *o)
{
    char buf[HP_INT_BUF];
    const char *s;
    size_t len;

    if (o->encoding == HP_ENC_INT) {
        int rc = put_int_encoded(b, o->v.i);

        if (rc <= 0) {
            return rc;
        }
    }
    s = hp_str_bytes(o, buf, &len);
    return put_string(b, s, len);
}

/* A list as RDB_TYPE_LIST: count, then each element. */
static int save_list(srv_rdb_buf_t *b, hp_obj_t *o)
{
    size_t n = hp_list_len(o);
    hp_list_iter_t it;
    hp_elem_t e;
    int rc = put_len(b, n);

    hp_list_iter_init(&it, o, 0, n, 0);
    while (rc == 0 && hp_list_iter_next(&it, &e)) {
        rc = put_elem(b, &e);
    }
    return rc;
}

/* A set as RDB_TYPE_SET: count, then each member. */
static int save_set(srv_rdb_buf_t *b, hp_obj_t *o)
{
    hp_set_iter_t it;
    hp_elem_t e;
    int rc = put_len(b, hp_set_len(o));

    hp_set_iter_init(&it, o);
    while (rc == 0 && hp_set_iter_next(&it, &e)) {
        rc = put_elem(b, &e);
    }
    hp_set_iter_fini(&it);
    return rc;
}

/* A hash as RDB_TYPE_HASH: count, then field, value pairs. */
static int save_hash(srv_rdb_buf_t *b, hp_obj_t *o)
{
    hp_hash_iter_t it;
    hp_elem_t f, v;
    int rc = put_len(b, hp_hash_len(o));

    hp_hash_iter_init(&it, o);
    while (rc == 0 && hp_hash_iter_next(&it, &f, &v)) {
        rc = put_elem(b, &f);
        if (rc == 0) {
            rc = put_elem(b, &v);
        }
    }
    hp_hash_iter_fini(&it);
    return rc;
}

/* A zset as RDB_TYPE_ZSET_2: count, then member, binary score pairs. */
static int save_zset(srv_rdb_buf_t *b, hp_obj_t *o)
{
    size_t n = hp_zset_len(o);
    hp_zset_iter_t it;
    hp_elem_t m;
    double score;
    int rc = put_len(b, n);

    hp_zset_iter_init(&it, o, 0, n, 0);
    while (rc == 0 && hp_zset_iter_next(&it, &m, &score)) {
        rc = put_elem(b, &m);
        if (rc == 0) {
            rc = put_double(b, score);
        }
    }
    return rc;
}

/* Append the RDB encoding of o (type byte + value). */
int srv_rdb_save_object(srv_rdb_buf_t *b, hp_obj_t *o)
{
    static const struct {
        unsigned type;
        int (*save)(srv_rdb_buf_t *, hp_obj_t *);
    } savers[] = {
        [HP_TYPE_STRING] = {SRV_RDB_TYPE_STRING, save_string},
        [HP_TYPE_LIST] = {SRV_RDB_TYPE_LIST, save_list},
        [HP_TYPE_SET] = {SRV_RDB_TYPE_SET, save_set},
        [HP_TYPE_ZSET] = {SRV_RDB_TYPE_ZSET_2, save_zset},
        [HP_TYPE_HASH] = {SRV_RDB_TYPE_HASH, save_hash},
    };
    size_t start = b->len;
    int rc;

    if (o->type >= sizeof(savers) / sizeof(savers[0]) ||
        savers[o->type].save == NULL) {
        return -EINVAL;
    }
    rc = put_byte(b, savers[o->type].type);
    if (rc == 0) {
        rc = savers[o->type].save(b, o);
    }
    if (rc != 0) {
        b->len = start;
    }
    return rc;
}

/* Build a DUMP payload: object, RDB version (LE16), CRC64 (LE64). */
int srv_rdb_dump_payload(srv_rdb_buf_t *b, hp_obj_t *o)
{
    unsigned char foot[8];
    uint64_t crc;
    int rc = srv_rdb_save_object(b, o);

    if (rc != 0) {
        return rc;
    }
    foot[0] = SRV_RDB_VERSION & 0xff;
    foot[1] = (SRV_RDB_VERSION >> 8) & 0xff;
    rc = srv_rdb_buf_append(b, foot, 2);
    if (rc != 0) {
        return rc;
    }
    crc = srv_crc64(0, b->p, b->len);
    for (int i = 0; i < 8; i++) {
        foot[i] = (unsigned char)(crc >> (8 * i));
    }
    return srv_rdb_buf_append(b, foot, 8);
}

/* ---------------------------------------------------------------------
 * Reading primitives
 * ------------------------------------------------------------------ */

typedef struct reader {
    const unsigned char *p;
    size_t n;   /* bytes in p */
    size_t pos; /* next byte to read */
} reader_t;

/* A string read from the input: borrowed bytes, an integer formatted into
 * ibuf, or an owned (LZF-decompressed) buffer. */
typedef struct rstr {
    const char *s;
    size_t len;
    char *owned;
    char ibuf[HP_INT_BUF];
} rstr_t;

/* Free what s owns (an LZF output buffer); borrowed bytes stay. */
static void rstr_fini(rstr_t *s)
{
    hp_free(s->owned);
    s->owned = NULL;
}

/* Little-endian unsigned integer of w bytes at p. */
static uint64_t get_le(const unsigned char *p, int w)
{
    uint64_t v = 0;

    for (int i = w - 1; i >= 0; i--) {
        v = (v << 8) | p[i];
    }
    return v;
}

/* Little-endian signed integer of w (1..8) bytes at p. */
static int64_t get_le_signed(const unsigned char *p, int w)
{
    uint64_t v = get_le(p, w);

    if (w < 8 && (v & (1ULL << (8 * w - 1)))) {
        v |= ~0ULL << (8 * w);
    }
    return (int64_t)v;
}

/* Borrow n bytes from r: pointer or NULL when fewer are left. */
static const unsigned char *rd_take(reader_t *r, size_t n)
{
    const unsigned char *s;

    if (r->n - r->pos < n) {
        return NULL;
    }
    s = r->p + r->pos;
    r->pos += n;
    return s;
}

/* Read an RDB length. *special is set when the byte is an 11xxxxxx
 * string encoding (its number in *len). 0 or -EINVAL. */
static int rd_len_ex(reader_t *r, uint64_t *len, int *special)
{
    const unsigned char *p = rd_take(r, 1);
    int w;

    *special = 0;
    if (p == NULL) {
        return -EINVAL;
    }
    switch (p[0] >> 6) {
    case 0:
        *len = p[0] & 0x3f;
        return 0;
    case 1:
        if ((p = rd_take(r, 1)) == NULL) {
            return -EINVAL;
        }
        *len = ((uint64_t)(p[-1] & 0x3f) << 8) | p[0];
        return 0;
    case 3:
        *special = 1;
        *len = p[0] & 0x3f;
        return 0;
    default:
        break;
    }
    if (p[0] != 0x80 && p[0] != 0x81) {
        return -EINVAL;
    }
    w = p[0] == 0x80 ? 4 : 8;
    if ((p = rd_take(r, (size_t)w)) == NULL) {
        return -EINVAL;
    }
    *len = 0;
    for (int i = 0; i < w; i++) {
        *len = (*len << 8) | p[i];
    }
    return 0;
}

/* Read a plain length (special encodings are errors). */
static int rd_len(reader_t *r, uint64_t *len)
{
    int special;

    if (rd_len_ex(r, len, &special) != 0 || special) {
        return -EINVAL;
    }
    return 0;
}

/* Decompress LZF data in[0..ilen) into exactly olen bytes of out.
 * 0 or -EINVAL (malformed, or a different output size). */
static int lzf_expand(const unsigned char *in, size_t ilen, unsigned char *out,
                      size_t olen)
{
    size_t ip = 0, op = 0;

    while (ip < ilen) {
        unsigned ctrl = in[ip++];
        size_t len, back;

        if (ctrl < 32) {
            len = ctrl + 1;
            if (ilen - ip < len || olen - op < len) {
                return -EINVAL;
            }
            memcpy(out + op, in + ip, len);
            ip += len;
            op += len;
            continue;
        }
        len = ctrl >> 5;
        if (len == 7) {
            if (ip >= ilen) {
                return -EINVAL;
            }
            len += in[ip++];
        }
        if (ip >= ilen) {
            return -EINVAL;
        }
        back = ((size_t)(ctrl & 0x1f) << 8) + in[ip++] + 1;
        len += 2;
        if (back > op || olen - op < len) {
            return -EINVAL;
        }
        for (size_t i = 0; i < len; i++, op++) {
            out[op] = out[op - back]; /* may overlap: byte by byte */
        }
    }
    return op == olen ? 0 : -EINVAL;
}

/* The LZF string encoding: compressed length, length, data. */
static int rd_lzf(reader_t *r, rstr_t *s)
{
    uint64_t clen, len;
    const unsigned char *in;

    if (rd_len(r, &clen) != 0 || rd_len(r, &len) != 0 ||
        (in = rd_take(r, clen)) == NULL) {
        return -EINVAL;
    }
    if (len == 0 || clen == 0 || len / LZF_MAX_RATIO > clen) {
        return -EINVAL;
    }
    s->owned = hp_malloc(len);
    if (s->owned == NULL) {
        return -ENOMEM;
    }
    if (lzf_expand(in, clen, (unsigned char *)s->owned, len) != 0) {
        rstr_fini(s);
        return -EINVAL;
    }
    s->s = s->owned;
    s->len = len;
    return 0;
}

/* Read an RDB string in any encoding into *s (rstr_fini it after). */
static int rd_string(reader_t *r, rstr_t *s)
{
    static const int widths[] = {1, 2, 4};
    uint64_t len;
    int special;
    const unsigned char *p;

    s->owned = NULL;
    if (rd_len_ex(r, &len, &special) != 0) {
        return -EINVAL;
    }
    if (!special) {
        if ((p = rd_take(r, len)) == NULL) {
            return -EINVAL;
        }
        s->s = (const char *)p;
        s->len = len;
        return 0;
    }
    if (len == ENC_LZF) {
        return rd_lzf(r, s);
    }
    if (len > ENC_INT32 || (p = rd_take(r, (size_t)widths[len])) == NULL) {
        return -EINVAL;
    }
    s->len = (size_t)snprintf(s->ibuf, sizeof(s->ibuf), "%lld",
                              (long long)get_le_signed(p, widths[len]));
    s->s = s->ibuf;
    return 0;
}

/* A binary double (8 bytes LE). */
static int rd_double_bin(reader_t *r, double *d)
{
    const unsigned char *p = rd_take(r, 8);
    uint64_t u;

    if (p == NULL) {
        return -EINVAL;
    }
    u = get_le(p, 8);
    memcpy(d, &u, sizeof(*d));
    return 0;
}

/* An old-style string double: length byte (253 nan, 254 +inf, 255 -inf)
 * then that many ASCII bytes. */
static int rd_double_str(reader_t *r, double *d)
{
    const unsigned char *p = rd_take(r, 1);
    size_t len;

    if (p == NULL) {
        return -EINVAL;
    }
    if (p[0] == 254 || p[0] == 255) {
        *d = p[0] == 254 ? INFINITY : -INFINITY;
        return 0;
    }
    len = p[0];
    if (len == 253 || (p = rd_take(r, len)) == NULL ||
        srv_parse_double((const char *)p, len, d) != 0) {
        return -EINVAL; /* a NaN score is never valid */
    }
    return 0;
}

/* ---------------------------------------------------------------------
 * Compact blobs: listpack, ziplist, intset walkers. Each validates the
 * whole blob and calls fn for every element (a borrowed view into the
 * blob); fn returning non-zero stops the walk with that value.
 * ------------------------------------------------------------------ */

typedef int (*elem_fn)(void *ud, const hp_elem_t *e);

/* Bytes the listpack backlen of an entry of len bytes takes. */
static size_t lp_backlen_size(size_t len)
{
    if (len <= 127) {
        return 1;
    }
    if (len < 16383) {
        return 2;
    }
    if (len < 2097151) {
        return 3;
    }
    return len < 268435455 ? 4 : 5;
}

/* Decode the listpack entry at p (room bytes available before the end
 * marker) into *e and its encoding+data size into *len. 0 or -EINVAL. */
static int lp_entry(const unsigned char *p, size_t room, hp_elem_t *e,
                    size_t *len)
{
    static const int iw[] = {2, 3, 4, 8}; /* 0xf1..0xf4 */
    unsigned b = p[0];
    size_t hdr, slen;

    e->s = NULL;
    if (b < 0x80) {
        e->i = b;
        *len = 1;
        return 0;
    }
    if ((b & 0xe0) == 0xc0) {
        int64_t v;

        if (room < 2) {
            return -EINVAL;
        }
        v = ((int64_t)(b & 0x1f) << 8) | p[1];
        e->i = v >= 4096 ? v - 8192 : v;
        *len = 2;
        return 0;
    }
    if (b >= 0xf1 && b <= 0xf4) {
        int w = iw[b - 0xf1];

        if (room < (size_t)w + 1) {
            return -EINVAL;
        }
        e->i = get_le_signed(p + 1, w);
        *len = (size_t)w + 1;
        return 0;
    }
    if ((b & 0xc0) == 0x80) {
        hdr = 1;
        slen = b & 0x3f;
    } else if ((b & 0xf0) == 0xe0) {
        if (room < 2) {
            return -EINVAL;
        }
        hdr = 2;
        slen = ((size_t)(b & 0x0f) << 8) | p[1];
    } else if (b == 0xf0) {
        if (room < 5) {
            return -EINVAL;
        }
        hdr = 5;
        slen = (size_t)get_le(p + 1, 4);
    } else {
        return -EINVAL;
    }
    if (room - hdr < slen) {
        return -EINVAL;
    }
    e->s = (const char *)p + hdr;
    e->len = slen;
    *len = hdr + slen;
    return 0;
}

/* Check the backlen at p (end bytes room) describes an entry of len. */
static int lp_check_backlen(const unsigned char *p, size_t room, size_t len)
{
    size_t bl = lp_backlen_size(len);
    uint64_t v = 0;

    if (room < bl) {
        return -EINVAL;
    }
    for (size_t i = 0; i < bl; i++) {
        unsigned char c = p[bl - 1 - i];

        v |= (uint64_t)(c & 0x7f) << (7 * i);
        if (((c & 0x80) != 0) != (i + 1 < bl)) {
            return -EINVAL;
        }
    }
    return v == len ? 0 : -EINVAL;
}

/* Walk a listpack blob; *count gets the number of entries. */
static int lp_walk(const unsigned char *lp, size_t n, elem_fn fn, void *ud,
                   size_t *count)
{
    size_t pos = 6, k = 0;
    unsigned numel;

    if (n < 7 || get_le(lp, 4) != n || lp[n - 1] != 0xff) {
        return -EINVAL;
    }
    numel = (unsigned)get_le(lp + 4, 2);
    while (pos < n - 1) {
        hp_elem_t e;
        size_t len;
        int rc;

        if (lp_entry(lp + pos, n - 1 - pos, &e, &len) != 0 ||
            lp_check_backlen(lp + pos + len, n - 1 - pos - len, len) != 0) {
            return -EINVAL;
        }
        pos += len + lp_backlen_size(len);
        k++;
        if ((rc = fn(ud, &e)) != 0) {
            return rc;
        }
    }
    if (numel != 65535 && numel != k) {
        return -EINVAL;
    }
    *count = k;
    return 0;
}

/* Decode the ziplist entry encoding at p (room bytes before the end
 * marker): element in *e, encoding+data size in *len. */
static int zl_entry(const unsigned char *p, size_t room, hp_elem_t *e,
                    size_t *len)
{
    unsigned b = p[0];
    size_t hdr, slen;
    int w = 0;

    e->s = NULL;
    switch (b) {
    case 0xfe: w = 1; break;
    case 0xc0: w = 2; break;
    case 0xf0: w = 3; break;
    case 0xd0: w = 4; break;
    case 0xe0: w = 8; break;
    default: break;
    }
    if (w > 0) {
        if (room < (size_t)w + 1) {
            return -EINVAL;
        }
        e->i = get_le_signed(p + 1, w);
        *len = (size_t)w + 1;
        return 0;
    }
    if (b >= 0xf1 && b <= 0xfd) {
        e->i = (int64_t)(b & 0x0f) - 1;
        *len = 1;
        return 0;
    }
    if ((b >> 6) == 0) {
        hdr = 1;
        slen = b & 0x3f;
    } else if ((b >> 6) == 1) {
        if (room < 2) {
            return -EINVAL;
        }
        hdr = 2;
        slen = ((size_t)(b & 0x3f) << 8) | p[1];
    } else if (b == 0x80) {
        if (room < 5) {
            return -EINVAL;
        }
        hdr = 5;
        slen = ((size_t)p[1] << 24) | ((size_t)p[2] << 16) |
               ((size_t)p[3] << 8) | p[4];
    } else {
        return -EINVAL;
    }
    if (room - hdr < slen) {
        return -EINVAL;
    }
    e->s = (const char *)p + hdr;
    e->len = slen;
    *len = hdr + slen;
    return 0;
}

/* Walk a ziplist blob; *count gets the number of entries. */
static int zl_walk(const unsigned char *zl, size_t n, elem_fn fn, void *ud,
                   size_t *count)
{
    size_t pos = 10, k = 0, prev = 0, last = 10;
    unsigned numel;

    if (n < 11 || get_le(zl, 4) != n || zl[n - 1] != 0xff) {
        return -EINVAL;
    }
    numel = (unsigned)get_le(zl + 8, 2);
    while (pos < n - 1) {
        size_t room = n - 1 - pos, plen, len;
        uint64_t prevlen = zl[pos];
        hp_elem_t e;
        int rc;

        plen = prevlen == 0xfe ? 5 : 1;
        if (prevlen == 0xff || room <= plen) {
            return -EINVAL;
        }
        if (plen == 5) {
            prevlen = get_le(zl + pos + 1, 4);
        }
        if (prevlen != prev ||
            zl_entry(zl + pos + plen, room - plen, &e, &len) != 0) {
            return -EINVAL;
        }
        last = pos;
        prev = plen + len;
        pos += prev;
        k++;
        if ((rc = fn(ud, &e)) != 0) {
            return rc;
        }
    }
    if ((numel != 65535 && numel != k) || get_le(zl + 4, 4) != last) {
        return -EINVAL;
    }
    *count = k;
    return 0;
}

/* Walk an intset blob (strictly ascending); *count gets its size. */
static int intset_walk(const unsigned char *is, size_t n, elem_fn fn,
                       void *ud, size_t *count)
{
    uint64_t w, len;
    hp_elem_t e = {NULL, 0, 0};

    if (n < 8) {
        return -EINVAL;
    }
    w = get_le(is, 4);
    len = get_le(is + 4, 4);
    if ((w != 2 && w != 4 && w != 8) || len != (n - 8) / w ||
        (n - 8) % w != 0) {
        return -EINVAL;
    }
    for (uint64_t k = 0; k < len; k++) {
        int64_t v = get_le_signed(is + 8 + k * w, (int)w);
        int rc;

        if (k > 0 && v <= e.i) {
            return -EINVAL;
        }
        e.i = v;
        if ((rc = fn(ud, &e)) != 0) {
            return rc;
        }
    }
    *count = (size_t)len;
    return 0;
}

/* ---------------------------------------------------------------------
 * Building values from elements
 * ------------------------------------------------------------------ */

/* Map a heap return to the loader's: -ENOMEM stays, others -EINVAL. */
static int heap_err(int rc)
{
    return rc == -ENOMEM ? -ENOMEM : -EINVAL;
}

/* Append e to the list ud. */
static int push_elem(void *ud, const hp_elem_t *e)
{
    char buf[HP_INT_BUF];
    size_t len;
    const char *s = hp_elem_bytes(e, buf, &len);
    int rc = hp_list_push(ud, HP_LIST_TAIL, s, len);

    return rc ? heap_err(rc) : 0;
}

/* Add e to the set ud; a duplicate is corruption. */
static int sadd_elem(void *ud, const hp_elem_t *e)
{
    int rc = hp_set_add_elem(ud, e);

    return rc == 1 ? 0 : rc == 0 ? -EINVAL : heap_err(rc);
}

/* Pairs from a compact blob: the first element of a pair waits here. */
typedef struct pairs {
    hp_obj_t *o;
    hp_elem_t first;
    int have_first;
} pairs_t;

/* Set field -> value in a hash; a duplicate field is corruption. */
static int hash_put(hp_obj_t *o, const char *f, size_t flen, const char *v,
                    size_t vlen)
{
    int rc = hp_hash_set(o, f, flen, v, vlen);

    return rc == 1 ? 0 : rc == 0 ? -EINVAL : heap_err(rc);
}

/* Add member with score to a zset; a duplicate or NaN is corruption. */
static int zset_put(hp_obj_t *o, double score, const char *m, size_t len)
{
    int out = 0;
    int rc;

    if (isnan(score)) {
        return -EINVAL;
    }
    rc = hp_zset_add(o, score, m, len, HP_ZADD_NX, &out, NULL);
    if (rc != 0) {
        return heap_err(rc);
    }
    return (out & HP_ZADD_OUT_ADDED) ? 0 : -EINVAL;
}

/* Hash pair callback: field, then value. */
static int hash_pair_elem(void *ud, const hp_elem_t *e)
{
    pairs_t *pp = ud;
    char fb[HP_INT_BUF], vb[HP_INT_BUF];
    const char *f, *v;
    size_t flen, vlen;

    if (!pp->have_first) {
        pp->first = *e;
        pp->have_first = 1;
        return 0;
    }
    pp->have_first = 0;
    f = hp_elem_bytes(&pp->first, fb, &flen);
    v = hp_elem_bytes(e, vb, &vlen);
    return hash_put(pp->o, f, flen, v, vlen);
}

/* Zset pair callback: member, then score (integer or float text). */
static int zset_pair_elem(void *ud, const hp_elem_t *e)
{
    pairs_t *pp = ud;
    char mb[HP_INT_BUF];
    const char *m;
    size_t mlen;
    double score;

    if (!pp->have_first) {
        pp->first = *e;
        pp->have_first = 1;
        return 0;
    }
    pp->have_first = 0;
    if (e->s == NULL) {
        score = (double)e->i;
    } else if (srv_parse_double(e->s, e->len, &score) != 0) {
        return -EINVAL;
    }
    m = hp_elem_bytes(&pp->first, mb, &mlen);
    return zset_put(pp->o, score, m, mlen);
}

/* ---------------------------------------------------------------------
 * Loading by type
 * ------------------------------------------------------------------ */

typedef int (*walk_fn)(const unsigned char *, size_t, elem_fn, void *,
                       size_t *);

/* Read a string holding a compact blob and walk it with fn. */
static int rd_blob_walk(reader_t *r, walk_fn walk, elem_fn fn, void *ud,
                        size_t *count)
{
    rstr_t s;
    int rc = rd_string(r, &s);

    if (rc != 0) {
        return rc;
    }
    rc = walk((const unsigned char *)s.s, s.len, fn, ud, count);
    rstr_fini(&s);
    return rc;
}

/* RDB_TYPE_STRING: one string, int-encoded when it is one (as SET). */
static int load_string(reader_t *r, hp_obj_t **out)
{
    rstr_t s;
    int rc = rd_string(r, &s);

    if (rc != 0) {
        return rc;
    }
    *out = hp_str_new_encoded(s.s, s.len);
    rstr_fini(&s);
    return *out ? 0 : -ENOMEM;
}

/* RDB_TYPE_LIST: count, then strings. */
static int load_list(reader_t *r, hp_obj_t *o)
{
    uint64_t n;

    if (rd_len(r, &n) != 0 || n == 0) {
        return -EINVAL;
    }
    for (uint64_t i = 0; i < n; i++) {
        rstr_t s;
        int rc = rd_string(r, &s);

        if (rc == 0) {
            rc = hp_list_push(o, HP_LIST_TAIL, s.s, s.len);
            rc = rc ? heap_err(rc) : 0;
            rstr_fini(&s);
        }
        if (rc != 0) {
            return rc;
        }
    }
    return 0;
}


/* A quicklist 2 PLAIN node: one element stored as a string. */
static int load_list_plain_node(reader_t *r, hp_obj_t *o)
{
    rstr_t s;
    int rc = rd_string(r, &s);

    if (rc != 0) {
        return rc;
    }
    rc = hp_list_push(o, HP_LIST_TAIL, s.s, s.len);
    rstr_fini(&s);
    return rc ? heap_err(rc) : 0;
}

/* Quicklists: node count, then per node (quicklist 2: a container kind)
 * a listpack or ziplist blob, or (PLAIN) one element. */
static int load_quicklist(reader_t *r, hp_obj_t *o, int v2)
{
    uint64_t n;

    if (rd_len(r, &n) != 0 || n == 0) {
        return -EINVAL;
    }
    for (uint64_t i = 0; i < n; i++) {
        uint64_t kind = QUICKLIST_NODE_PACKED;
        size_t count;
        int rc;

        if (v2 && (rd_len(r, &kind) != 0 ||
                   (kind != QUICKLIST_NODE_PLAIN &&
                    kind != QUICKLIST_NODE_PACKED))) {
            return -EINVAL;
        }
        if (kind == QUICKLIST_NODE_PLAIN) {
            rc = load_list_plain_node(r, o);
        } else {
            rc = rd_blob_walk(r, v2 ? lp_walk : zl_walk, push_elem, o,
                              &count);
        }
        if (rc != 0) {
            return rc;
        }
    }
    return hp_list_len(o) > 0 ? 0 : -EINVAL;
}

/* RDB_TYPE_SET: count, then members (no duplicates). */
static int load_set(reader_t *r, hp_obj_t **out)
{
    uint64_t n;

    if (rd_len(r, &n) != 0 || n == 0) {
        return -EINVAL;
    }
    *out = n > hp_limits.set_max_intset_entries ? hp_set_new_hashtable()
                                                : hp_set_new();
    if (*out == NULL) {
        return -ENOMEM;
    }
    for (uint64_t i = 0; i < n; i++) {
        rstr_t s;
        int rc = rd_string(r, &s);

        if (rc == 0) {
            rc = hp_set_add(*out, s.s, s.len);
            rc = rc == 1 ? 0 : rc == 0 ? -EINVAL : heap_err(rc);
            rstr_fini(&s);
        }
        if (rc != 0) {
            return rc;
        }
    }
    return 0;
}

/* RDB_TYPE_HASH: count, then field, value strings (no duplicates). */
static int load_hash(reader_t *r, hp_obj_t *o)
{
    uint64_t n;

    if (rd_len(r, &n) != 0 || n == 0) {
        return -EINVAL;
    }
    for (uint64_t i = 0; i < n; i++) {
        rstr_t f, v;
        int rc = rd_string(r, &f);

        if (rc != 0) {
            return rc;
        }
        rc = rd_string(r, &v);
        if (rc == 0) {
            rc = hash_put(o, f.s, f.len, v.s, v.len);
            rstr_fini(&v);
        }
        rstr_fini(&f);
        if (rc != 0) {
            return rc;
        }
    }
    return 0;
}

/* RDB_TYPE_ZSET (string scores) and ZSET_2 (binary scores): count, then
 * member, score pairs. Built as a skiplist, then shrunk to a listpack
 * when it fits the limits, as Redis does. */
static int load_zset(reader_t *r, hp_obj_t *o, int binary)
{
    uint64_t n;

    if (rd_len(r, &n) != 0 || n == 0) {
        return -EINVAL;
    }
    for (uint64_t i = 0; i < n; i++) {
        rstr_t m;
        double score;
        int rc = rd_string(r, &m);

        if (rc != 0) {
            return rc;
        }
        rc = binary ? rd_double_bin(r, &score) : rd_double_str(r, &score);
        if (rc == 0) {
            rc = zset_put(o, score, m.s, m.len);
        }
        rstr_fini(&m);
        if (rc != 0) {
            return rc;
        }
    }
    return hp_zset_shrink_if_small(o) == -ENOMEM ? -ENOMEM : 0;
}

/* A compact blob of pairs (hash or zset, listpack or ziplist). */
static int load_pairs(reader_t *r, hp_obj_t *o, walk_fn walk, elem_fn fn)
{
    pairs_t pp = {o, {NULL, 0, 0}, 0};
    size_t count = 0;
    int rc = rd_blob_walk(r, walk, fn, &pp, &count);

    if (rc != 0) {
        return rc;
    }
    return count == 0 || pp.have_first ? -EINVAL : 0;
}

/* A compact blob of single elements (list or set). */
static int load_elems(reader_t *r, hp_obj_t *o, walk_fn walk, elem_fn fn)
{
    size_t count = 0;
    int rc = rd_blob_walk(r, walk, fn, o, &count);

    if (rc != 0) {
        return rc;
    }
    return count == 0 ? -EINVAL : 0;
}

/* Load the value of an object of RDB type t into *out. */
static int load_typed(reader_t *r, unsigned t, hp_obj_t **out)
{
    switch (t) {
    case SRV_RDB_TYPE_STRING:
        return load_string(r, out);
    case SRV_RDB_TYPE_SET:
        return load_set(r, out);
    case SRV_RDB_TYPE_LIST:
    case SRV_RDB_TYPE_LIST_ZIPLIST:
    case SRV_RDB_TYPE_LIST_QUICKLIST:
    case SRV_RDB_TYPE_LIST_QUICKLIST_2:
        if ((*out = hp_list_new()) == NULL) {
            return -ENOMEM;
        }
        if (t == SRV_RDB_TYPE_LIST) {
            return load_list(r, *out);
        }
        if (t == SRV_RDB_TYPE_LIST_ZIPLIST) {
            return load_elems(r, *out, zl_walk, push_elem);
        }
        return load_quicklist(r, *out, t == SRV_RDB_TYPE_LIST_QUICKLIST_2);
    case SRV_RDB_TYPE_SET_INTSET:
        if ((*out = hp_set_new()) == NULL) {
            return -ENOMEM;
        }
        return load_elems(r, *out, intset_walk, sadd_elem);
    case SRV_RDB_TYPE_HASH:
    case SRV_RDB_TYPE_HASH_ZIPLIST:
    case SRV_RDB_TYPE_HASH_LISTPACK:
        if ((*out = hp_hash_new()) == NULL) {
            return -ENOMEM;
        }
        if (t == SRV_RDB_TYPE_HASH) {
            return load_hash(r, *out);
        }
        return load_pairs(r, *out,
                          t == SRV_RDB_TYPE_HASH_LISTPACK ? lp_walk : zl_walk,
                          hash_pair_elem);
    case SRV_RDB_TYPE_ZSET:
    case SRV_RDB_TYPE_ZSET_2:
        if ((*out = hp_zset_new(SIZE_MAX, SIZE_MAX)) == NULL) {
            return -ENOMEM;
        }
        return load_zset(r, *out, t == SRV_RDB_TYPE_ZSET_2);
    case SRV_RDB_TYPE_ZSET_ZIPLIST:
    case SRV_RDB_TYPE_ZSET_LISTPACK:
        if ((*out = hp_zset_new(1, 0)) == NULL) {
            return -ENOMEM;
        }
        return load_pairs(r, *out,
                          t == SRV_RDB_TYPE_ZSET_LISTPACK ? lp_walk : zl_walk,
                          zset_pair_elem);
    default:
        return -EINVAL; /* streams, modules, zipmaps: not supported */
    }
}

/* Load one object (type byte + value). */
int srv_rdb_load_object(const unsigned char *p, size_t n, size_t *used,
                        hp_obj_t **out)
{
    reader_t r = {p, n, 0};
    const unsigned char *t = rd_take(&r, 1);
    hp_obj_t *o = NULL;
    int rc;

    *out = NULL;
    if (t == NULL) {
        return -EINVAL;
    }
    rc = load_typed(&r, t[0], &o);
    if (rc != 0) {
        hp_decref(o);
        return rc;
    }
    *used = r.pos;
    *out = o;
    return 0;
}

/* ---------------------------------------------------------------------
 * DUMP payload framing
 * ------------------------------------------------------------------ */

/* Footer check: version (LE16 <= ours) and CRC64 (LE64) of the rest. */
int srv_rdb_verify_payload(const unsigned char *p, size_t n)
{
    uint64_t version, crc;

    if (n < 10) {
        return -EINVAL;
    }
    version = get_le(p + n - 10, 2);
    if (version > SRV_RDB_VERSION) {
        return -EINVAL;
    }
    crc = get_le(p + n - 8, 8);
    return srv_crc64(0, p, n - 8) == crc ? 0 : -EINVAL;
}

/* Verify, then load the object before the footer. As Redis, bytes left
 * between the object and the footer are ignored. */
int srv_rdb_restore_payload(const unsigned char *p, size_t n,
                            hp_obj_t **out)
{
    size_t used;

    *out = NULL;
    if (srv_rdb_verify_payload(p, n) != 0) {
        return -EPROTO;
    }
    return srv_rdb_load_object(p, n - 10, &used, out);
}
