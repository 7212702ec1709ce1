/*
 * string.c - string objects in their three encodings (int, embstr, raw)
 * and the in-place mutators behind APPEND, SETRANGE, INCR and REF.SET.
 *
 * Layouts (heap_int.h, heap/README.md): int keeps the value in the header;
 * embstr puts the bytes and a NUL right after the header in one block; raw
 * points at an hp_rawbuf_t { len, bytes, NUL, spare } whose capacity is the
 * block's usable size. Mutators keep the object's address: an embstr or
 * int that must grow becomes raw by pointing v.ptr at a new buffer (its
 * old inline bytes are simply left unused).
 */
#include "heap.h"

#include <assert.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "heap_int.h"

/* Growth step past which raw buffers grow linearly (sds's 1 MB). */
#define RAW_GREEDY_LIMIT (1024 * 1024)

/* ---------------------------------------------------------------------
 * Integers in decimal
 * ------------------------------------------------------------------ */

/* Parse a canonical int64 (heap_int.h). 0 or -EINVAL. */
int hp__parse_int(const char *s, size_t len, int64_t *out)
{
    size_t i = 0;
    int neg = 0;
    uint64_t v = 0, limit;

    if (len == 0 || len > 20) return -EINVAL;
    if (len == 1 && s[0] == '0') {
        *out = 0;
        return 0;
    }
    if (s[0] == '-') {
        neg = 1;
        i = 1;
    }
    if (i >= len || s[i] < '1' || s[i] > '9') return -EINVAL;
    limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    for (; i < len; i++) {
        unsigned d = (unsigned char)s[i] - '0';

        if (d > 9 || v > (limit - d) / 10) return -EINVAL;
        v = v * 10 + d;
    }
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return 0;
}

/* Format v in decimal into buf (HP_INT_BUF bytes, NUL-terminated);
 * returns the length. */
size_t hp__format_int(int64_t v, char *buf)
{
    char tmp[HP_INT_BUF];
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    size_t n = 0, len = 0;

    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0) buf[len++] = '-';
    while (n)
        buf[len++] = tmp[--n];
    buf[len] = '\0';
    return len;
}

/* ---------------------------------------------------------------------
 * Raw buffers
 * ------------------------------------------------------------------ */

/* Bytes an hp_rawbuf_t block can hold, excluding the NUL. */
size_t hp__rawbuf_cap(const hp_rawbuf_t *rb)
{
    return hp_malloc_size(rb) - sizeof(*rb) - 1;
}

/* Capacity to reserve for a string growing to need bytes (sds greedy:
 * double below 1 MB, then 1 MB more). */
static size_t greedy_cap(size_t need)
{
    if (need < RAW_GREEDY_LIMIT) return need * 2;
    if (need > SIZE_MAX - RAW_GREEDY_LIMIT - sizeof(hp_rawbuf_t) - 1)
        return need;
    return need + RAW_GREEDY_LIMIT;
}

/* New raw buffer holding s[0..len) (s may be NULL: zeros) with room for
 * cap >= len bytes. NULL on OOM or size overflow. */
static hp_rawbuf_t *rawbuf_new(const char *s, size_t len, size_t cap)
{
    hp_rawbuf_t *rb;

    assert(cap >= len);
    if (cap > SIZE_MAX - sizeof(*rb) - 1) return NULL;
    rb = hp_malloc(sizeof(*rb) + cap + 1);
    if (!rb) return NULL;
    rb->len = len;
    if (s && len)
        memcpy(rb->buf, s, len);
    else if (!s)
        memset(rb->buf, 0, len);
    rb->buf[len] = '\0';
    return rb;
}

/* ---------------------------------------------------------------------
 * Constructors
 * ------------------------------------------------------------------ */

/* New reference: embstr of s[0..len) (len <= HP_EMBSTR_MAX). */
static hp_obj_t *embstr_new(const char *s, size_t len)
{
    hp_obj_t *o = hp__obj_alloc(sizeof(*o) + len + 1, HP_ENC_EMBSTR);

    if (!o) return NULL;
    o->v.len = len;
    if (len) memcpy(hp__emb_bytes(o), s, len);
    hp__emb_bytes(o)[len] = '\0';
    return o;
}

/* New reference: raw string of s[0..len) (NULL s: zeros), exact size. */
static hp_obj_t *raw_new(const char *s, size_t len)
{
    hp_rawbuf_t *rb = rawbuf_new(s, len, len);
    hp_obj_t *o;

    if (!rb) return NULL;
    o = hp__obj_alloc(sizeof(*o), HP_ENC_RAW);
    if (!o) {
        hp_free(rb);
        return NULL;
    }
    o->v.ptr = rb;
    return o;
}

/* New reference: a copy of s[0..len), embstr or raw by length. NULL on
 * OOM. */
hp_obj_t *hp_str_new(const char *s, size_t len)
{
    if (len <= HP_EMBSTR_MAX) return embstr_new(s, len);
    return raw_new(s, len);
}

/* New reference: an int-encoded string, the shared object for 0..9999.
 * NULL on OOM (never for shared values). */
hp_obj_t *hp_str_new_int(int64_t v)
{
    hp_obj_t *o;

    if (v >= 0 && v < HP_SHARED_INTEGERS) return hp__shared_int(v);
    o = hp__obj_alloc(sizeof(*o), HP_ENC_INT);
    if (o) o->v.i = v;
    return o;
}

/* New reference: as hp_str_new, but canonical integers become int
 * encoded (Redis tryObjectEncoding for stored values). NULL on OOM. */
hp_obj_t *hp_str_new_encoded(const char *s, size_t len)
{
    int64_t v;

    if (len <= 20 && hp__parse_int(s, len, &v) == 0) return hp_str_new_int(v);
    return hp_str_new(s, len);
}

/* New reference: a raw string of len zero bytes. NULL on OOM. */
hp_obj_t *hp_str_new_zeroed(size_t len)
{
    return raw_new(NULL, len);
}

/* ---------------------------------------------------------------------
 * Readers
 * ------------------------------------------------------------------ */

/* Decimal length of v. */
static size_t int_len(int64_t v)
{
    char buf[HP_INT_BUF];

    return hp__format_int(v, buf);
}

/* Length in bytes of the string's value. */
size_t hp_str_len(const hp_obj_t *o)
{
    assert(o->type == HP_TYPE_STRING);
    switch (o->encoding) {
    case HP_ENC_INT:
        return int_len(o->v.i);
    case HP_ENC_EMBSTR:
        return (size_t)o->v.len;
    default:
        return (size_t)((const hp_rawbuf_t *)o->v.ptr)->len;
    }
}

/* Borrowed: the bytes of o (int values formatted into the caller's buf),
 * length in *len; NUL-terminated. Valid until o changes or buf goes. */
const char *hp_str_bytes(const hp_obj_t *o, char *buf, size_t *len)
{
    const hp_rawbuf_t *rb;

    assert(o->type == HP_TYPE_STRING);
    switch (o->encoding) {
    case HP_ENC_INT:
        *len = hp__format_int(o->v.i, buf);
        return buf;
    case HP_ENC_EMBSTR:
        *len = (size_t)o->v.len;
        return (const char *)(o + 1);
    default:
        rb = o->v.ptr;
        *len = (size_t)rb->len;
        return rb->buf;
    }
}

/* The value as int64 in *out if o is int-encoded or its bytes are a
 * canonical integer. 0 or -EINVAL. */
int hp_str_get_int(const hp_obj_t *o, int64_t *out)
{
    char buf[HP_INT_BUF];
    const char *s;
    size_t len;

    if (o->type != HP_TYPE_STRING) return -EINVAL;
    if (o->encoding == HP_ENC_INT) {
        *out = o->v.i;
        return 0;
    }
    s = hp_str_bytes(o, buf, &len);
    return hp__parse_int(s, len, out);
}

/* ---------------------------------------------------------------------
 * In-place mutators
 * ------------------------------------------------------------------ */

/* Whether o may be mutated in place: a private string. */
static int mutable_str(const hp_obj_t *o)
{
    return o && o->type == HP_TYPE_STRING && !hp_obj_is_shared(o);
}

/* Make o raw with room for at least need bytes, keeping its current
 * bytes; grows greedily when growth is needed. 0 or -ENOMEM (o
 * unchanged). */
static int make_raw_room(hp_obj_t *o, size_t need)
{
    char buf[HP_INT_BUF];
    hp_rawbuf_t *rb;
    const char *cur;
    size_t len, cap;

    if (o->encoding == HP_ENC_RAW) {
        rb = o->v.ptr;
        if (hp__rawbuf_cap(rb) >= need) return 0;
        cap = greedy_cap(need);
        if (cap > SIZE_MAX - sizeof(*rb) - 1) return -ENOMEM;
        rb = hp_realloc(rb, sizeof(*rb) + cap + 1);
        if (!rb) return -ENOMEM;
        o->v.ptr = rb;
        return 0;
    }
    cur = hp_str_bytes(o, buf, &len);
    rb = rawbuf_new(cur, len, need > len ? greedy_cap(need) : len);
    if (!rb) return -ENOMEM;
    o->encoding = HP_ENC_RAW;
    o->v.ptr = rb;
    return 0;
}

/* Append s[0..len) to o in place (APPEND). s must not point into o's own
 * bytes. 0, -ENOMEM (o unchanged) or -EINVAL (not a private string, or
 * the length overflows). */
int hp_str_append(hp_obj_t *o, const char *s, size_t len)
{
    hp_rawbuf_t *rb;
    size_t cur;
    int rc;

    if (!mutable_str(o)) return -EINVAL;
    cur = hp_str_len(o);
    if (len > SIZE_MAX / 2 - cur) return -EINVAL;
    rc = make_raw_room(o, cur + len);
    if (rc < 0) return rc;
    rb = o->v.ptr;
    if (len) memcpy(rb->buf + cur, s, len);
    rb->len = cur + len;
    rb->buf[cur + len] = '\0';
    return 0;
}

/* Overwrite o from byte offset with s[0..len), padding with zero bytes
 * when offset is past the end (SETRANGE). len == 0 changes nothing, as
 * Redis's SETRANGE with an empty value. 0, -ENOMEM (o unchanged) or
 * -EINVAL. */
int hp_str_setrange(hp_obj_t *o, size_t offset, const char *s, size_t len)
{
    hp_rawbuf_t *rb;
    size_t cur, end;
    int rc;

    if (!mutable_str(o)) return -EINVAL;
    if (len == 0) return 0;
    if (offset > SIZE_MAX / 2 || len > SIZE_MAX / 2 - offset) return -EINVAL;
    cur = hp_str_len(o);
    end = offset + len > cur ? offset + len : cur;
    rc = make_raw_room(o, end);
    if (rc < 0) return rc;
    rb = o->v.ptr;
    if (offset > cur) memset(rb->buf + cur, 0, offset - cur);
    memcpy(rb->buf + offset, s, len);
    rb->len = end;
    rb->buf[end] = '\0';
    return 0;
}

/* Make o int-encoded holding v (INCR in place); a raw buffer is freed.
 * 0 or -EINVAL; never fails for memory. */
int hp_str_set_int(hp_obj_t *o, int64_t v)
{
    if (!mutable_str(o)) return -EINVAL;
    if (o->encoding == HP_ENC_RAW) hp_free(o->v.ptr);
    o->encoding = HP_ENC_INT;
    o->v.i = v;
    return 0;
}

/* Replace o's value with s[0..len) in place (REF.SET). Embedded when it
 * fits both HP_EMBSTR_MAX and o's own block, else raw (reusing a raw
 * buffer that is large enough but not more than twice so). s must not point
 * into o's own bytes. 0, -ENOMEM (o unchanged) or -EINVAL. */
int hp_str_set(hp_obj_t *o, const char *s, size_t len)
{
    hp_rawbuf_t *rb;

    if (!mutable_str(o)) return -EINVAL;
    if (len <= HP_EMBSTR_MAX && hp_malloc_size(o) >= sizeof(*o) + len + 1) {
        if (o->encoding == HP_ENC_RAW) hp_free(o->v.ptr);
        o->encoding = HP_ENC_EMBSTR;
        o->v.len = len;
        if (len) memcpy(hp__emb_bytes(o), s, len);
        hp__emb_bytes(o)[len] = '\0';
        return 0;
    }
    if (o->encoding == HP_ENC_RAW && hp__rawbuf_cap(o->v.ptr) >= len &&
        hp__rawbuf_cap(o->v.ptr) / 2 <= len) {
        rb = o->v.ptr;
    } else {
        rb = rawbuf_new(s, len, len);
        if (!rb) return -ENOMEM;
        if (o->encoding == HP_ENC_RAW) hp_free(o->v.ptr);
        o->encoding = HP_ENC_RAW;
        o->v.ptr = rb;
    }
    if (len) memcpy(rb->buf, s, len);
    rb->len = len;
    rb->buf[len] = '\0';
    return 0;
}

/* Give write access to o's bytes after making it raw and zero-padding it
 * to at least minlen bytes (the bit commands). *bytes is borrowed, valid
 * until o changes. 0, -ENOMEM (o unchanged) or -EINVAL (not a private
 * string, or minlen too large). */
int hp_str_writable(hp_obj_t *o, size_t minlen, char **bytes)
{
    hp_rawbuf_t *rb;
    size_t cur;
    int rc;

    if (!mutable_str(o)) return -EINVAL;
    if (minlen > SIZE_MAX / 2) return -EINVAL;
    cur = hp_str_len(o);
    rc = make_raw_room(o, minlen > cur ? minlen : cur);
    if (rc < 0) return rc;
    rb = o->v.ptr;
    if (minlen > cur) {
        memset(rb->buf + cur, 0, minlen - cur);
        rb->len = minlen;
        rb->buf[minlen] = '\0';
    }
    *bytes = rb->buf;
    return 0;
}
