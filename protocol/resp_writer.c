/*
 * resp_writer.c - the reply encoder: appends RESP2 or RESP3 replies to a
 * growable resp_buf_t, with the RESP2 fallbacks listed in resp.h.
 *
 * Every writer first makes room for its whole reply (one capacity check),
 * then stores the bytes directly; integers are formatted with a two-digit
 * table, never with snprintf. An allocation failure sets b->oom, after
 * which writes are dropped until resp_buf_reset(), so a reply is never
 * emitted half-written in the middle of a good one.
 */
#include "resp.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "resp_int.h"

#define BUF_FIRST 1024 /* first allocation, bytes */
#define HDR_MAX   23   /* type byte + 20 digits + CRLF */

/* ---------------------------------------------------------------------
 * Buffer
 * ------------------------------------------------------------------ */

void resp_buf_init(resp_buf_t *b, int proto)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->proto = proto;
    b->oom = 0;
}

void resp_buf_fini(resp_buf_t *b)
{
    resp__free(b->data);
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

/* Forget the contents (and a past allocation failure); keep the memory. */
void resp_buf_reset(resp_buf_t *b)
{
    b->len = 0;
    b->oom = 0;
}

/* Drop the first n bytes (clamped to len), sliding the rest down. */
void resp_buf_consume(resp_buf_t *b, size_t n)
{
    if (n >= b->len) {
        b->len = 0;
        return;
    }
    memmove(b->data, b->data + n, b->len - n);
    b->len -= n;
}

/* Grow so that `extra` more bytes fit; doubles. 0 or -ENOMEM (sets oom). */
static int grow(resp_buf_t *b, size_t extra)
{
    size_t need, ncap;
    char *nd;

    if (extra > SIZE_MAX / 2 - b->len) {
        b->oom = 1;
        return -ENOMEM;
    }
    need = b->len + extra;
    ncap = b->cap ? b->cap * 2 : BUF_FIRST;
    while (ncap < need)
        ncap *= 2;
    nd = resp__realloc(b->data, ncap);
    if (!nd) {
        b->oom = 1;
        return -ENOMEM;
    }
    b->data = nd;
    b->cap = ncap;
    return 0;
}

/* Make room for n more bytes. 0, or -ENOMEM when oom (now or before). */
static inline int room(resp_buf_t *b, size_t n)
{
    if (b->oom) return -ENOMEM;
    if (b->cap - b->len >= n) return 0;
    return grow(b, n);
}

int resp_buf_append(resp_buf_t *b, const char *s, size_t len)
{
    if (room(b, len) < 0) return -ENOMEM;
    if (len) memcpy(b->data + b->len, s, len);
    b->len += len;
    return 0;
}

/* ---------------------------------------------------------------------
 * Writers
 * ------------------------------------------------------------------ */

/* Store "<type><v>\r\n" at b->data + b->len; room for HDR_MAX is
 * guaranteed by the caller. */
static void put_hdr(resp_buf_t *b, char type, int64_t v)
{
    char *d = b->data + b->len;
    size_t n;

    d[0] = type;
    n = resp_ll2str(d + 1, v);
    d[1 + n] = '\r';
    d[2 + n] = '\n';
    b->len += n + 3;
}

/* Append "<type><v>\r\n". */
static int write_hdr(resp_buf_t *b, char type, int64_t v)
{
    if (room(b, HDR_MAX) < 0) return -ENOMEM;
    put_hdr(b, type, v);
    return 0;
}

/* Append "<type><s>\r\n". */
static int write_line(resp_buf_t *b, char type, const char *s, size_t len)
{
    char *d;

    if (len > SIZE_MAX - 3 || room(b, len + 3) < 0) return -ENOMEM;
    d = b->data + b->len;
    d[0] = type;
    if (len) memcpy(d + 1, s, len);
    d[len + 1] = '\r';
    d[len + 2] = '\n';
    b->len += len + 3;
    return 0;
}

int resp_write_simple(resp_buf_t *b, const char *s, size_t len)
{
    return write_line(b, '+', s, len);
}

int resp_write_ok(resp_buf_t *b)
{
    return resp_buf_append(b, "+OK\r\n", 5);
}

/* "-<msg>\r\n" with CR/LF in msg turned into spaces (a reply line cannot
 * hold them). */
int resp_write_error(resp_buf_t *b, const char *msg, size_t len)
{
    char *d;
    size_t i;

    if (write_line(b, '-', msg, len) < 0) return -ENOMEM;
    d = b->data + b->len - len - 2;
    for (i = 0; i < len; i++) {
        if (d[i] == '\r' || d[i] == '\n') d[i] = ' ';
    }
    return 0;
}

int resp_write_int(resp_buf_t *b, int64_t v)
{
    return write_hdr(b, ':', v);
}

/* "$<len>\r\n<s>\r\n", sized once. */
int resp_write_bulk(resp_buf_t *b, const char *s, size_t len)
{
    char *d;

    if (len > SIZE_MAX - HDR_MAX - 2 || room(b, HDR_MAX + len + 2) < 0)
        return -ENOMEM;
    put_hdr(b, '$', (int64_t)len);
    d = b->data + b->len;
    if (len) memcpy(d, s, len);
    d[len] = '\r';
    d[len + 1] = '\n';
    b->len += len + 2;
    return 0;
}

/* The decimal text of v as a bulk string, "$<n>\r\n<digits>\r\n". */
int resp_write_bulk_int(resp_buf_t *b, int64_t v)
{
    char digits[21];
    size_t n = resp_ll2str(digits, v);

    return resp_write_bulk(b, digits, n);
}

int resp_write_null(resp_buf_t *b)
{
    if (b->proto >= 3) return resp_buf_append(b, "_\r\n", 3);
    return resp_buf_append(b, "$-1\r\n", 5);
}

int resp_write_null_array(resp_buf_t *b)
{
    if (b->proto >= 3) return resp_buf_append(b, "_\r\n", 3);
    return resp_buf_append(b, "*-1\r\n", 5);
}

int resp_write_array_len(resp_buf_t *b, int64_t n)
{
    return write_hdr(b, '*', n);
}

int resp_write_map_len(resp_buf_t *b, int64_t n)
{
    if (b->proto >= 3) return write_hdr(b, '%', n);
    return write_hdr(b, '*', n * 2);
}

int resp_write_set_len(resp_buf_t *b, int64_t n)
{
    return write_hdr(b, b->proto >= 3 ? '~' : '*', n);
}

int resp_write_push_len(resp_buf_t *b, int64_t n)
{
    return write_hdr(b, b->proto >= 3 ? '>' : '*', n);
}

/* Redis 7.0's addReplyDouble: infinities spelled "inf"/"-inf" explicitly,
 * everything else "%.17g" (so 1.1 reads 1.1000000000000001). */
int resp_write_double(resp_buf_t *b, double d)
{
    char txt[64];
    int n;

    if (isinf(d)) {
        n = d > 0 ? 3 : 4;
        memcpy(txt, d > 0 ? "inf" : "-inf", (size_t)n);
    } else {
        n = snprintf(txt, sizeof(txt), "%.17g", d);
    }
    if (b->proto >= 3) return write_line(b, ',', txt, (size_t)n);
    return resp_write_bulk(b, txt, (size_t)n);
}

int resp_write_bool(resp_buf_t *b, int v)
{
    if (b->proto >= 3) return resp_buf_append(b, v ? "#t\r\n" : "#f\r\n", 4);
    return resp_buf_append(b, v ? ":1\r\n" : ":0\r\n", 4);
}

/* "=<len+4>\r\n<fmt>:<s>\r\n" (RESP3) or a bulk of s (RESP2). */
int resp_write_verbatim(resp_buf_t *b, const char *fmt, const char *s,
                        size_t len)
{
    char *d;

    if (b->proto < 3) return resp_write_bulk(b, s, len);
    if (len > SIZE_MAX - HDR_MAX - 6 || room(b, HDR_MAX + 4 + len + 2) < 0)
        return -ENOMEM;
    put_hdr(b, '=', (int64_t)len + 4);
    d = b->data + b->len;
    memcpy(d, fmt, 3);
    d[3] = ':';
    if (len) memcpy(d + 4, s, len);
    d[len + 4] = '\r';
    d[len + 5] = '\n';
    b->len += len + 6;
    return 0;
}

int resp_write_bignum(resp_buf_t *b, const char *s, size_t len)
{
    if (b->proto >= 3) return write_line(b, '(', s, len);
    return resp_write_bulk(b, s, len);
}

/* ---------------------------------------------------------------------
 * Deferred lengths
 * ------------------------------------------------------------------ */

/* The handle is the offset where the header will be inserted; nothing is
 * reserved. Handles stay valid while only bytes after them change, so
 * nested deferred headers are set innermost first. Consuming or resetting
 * the buffer invalidates handles. */
size_t resp_write_deferred(resp_buf_t *b)
{
    return b->len;
}

/* Insert the header for `kind` with count n at `handle`, sliding what was
 * written since to the right. Returns 0, -EINVAL (bad kind or handle) or
 * -ENOMEM. */
int resp_set_deferred(resp_buf_t *b, size_t handle, char kind, int64_t n)
{
    char hdr[HDR_MAX];
    char type = '*';
    size_t hlen;

    if (kind == '%' && b->proto < 3)
        n *= 2;
    else if (b->proto >= 3)
        type = kind;
    if (kind != '*' && kind != '%' && kind != '~' && kind != '>')
        return -EINVAL;
    if (room(b, HDR_MAX) < 0) return -ENOMEM;
    if (handle > b->len) return -EINVAL;
    hdr[0] = type;
    hlen = resp_ll2str(hdr + 1, n) + 1;
    hdr[hlen++] = '\r';
    hdr[hlen++] = '\n';
    memmove(b->data + handle + hlen, b->data + handle, b->len - handle);
    memcpy(b->data + handle, hdr, hlen);
    b->len += hlen;
    return 0;
}
