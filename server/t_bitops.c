/*
 * t_bitops.c - the bit commands on strings: SETBIT, GETBIT, BITCOUNT,
 * BITPOS, BITOP, BITFIELD and BITFIELD_RO, with Redis 7.0's replies and
 * error texts.
 *
 * Bits are numbered from the most significant bit of byte 0 (bit 0 is
 * 0x80 of the first byte), as in Redis. Commands that write change the
 * bound string in place through hp_str_writable, which makes it raw and
 * zero-pads it to the highest byte touched; a shared immortal integer is
 * first replaced by a private copy bound to the same name (TTL kept), as
 * t_string.c does for APPEND. A key that does not exist is created as a
 * zeroed raw string. Offsets are limited to proto-max-bulk-len bytes.
 */
#include "commands.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "heap.h"
#include "resp.h"
#include "server.h"

/* Error texts of Redis 7.0. */
#define ERR_BIT_OFFSET "ERR bit offset is not an integer or out of range"
#define ERR_BIT_VALUE "ERR bit is not an integer or out of range"
#define ERR_BITPOS_BIT "ERR The bit argument must be 1 or 0."
#define ERR_BITOP_NOT "ERR BITOP NOT must be called with a single source key."
#define ERR_BF_TYPE                                                       \
    "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 " \
    "is not supported but i64 is."
#define ERR_BF_OVERFLOW "ERR Invalid OVERFLOW type specified"
#define ERR_BF_RO "ERR BITFIELD_RO only supports the GET subcommand"

/* The key argument argv[i] as (ptr, len) for srv_db_* calls. */
#define KEY(c, i) (c)->argv[(i)].ptr, (c)->argv[(i)].len

/* ---------------------------------------------------------------------
 * Argument parsing
 * ------------------------------------------------------------------ */

/* Parse a bit offset argument (Redis's getBitOffsetFromArgument). With
 * bits > 0 the "#n" form means n * bits (BITFIELD). The offset must be
 * >= 0 and address a byte below proto-max-bulk-len. 0, or -1 after the
 * error reply. */
static int offset_or_reply(srv_client_t *c, const resp_slice_t *a, int bits,
                           uint64_t *out)
{
    int hash = bits > 0 && a->len > 0 && a->ptr[0] == '#';
    int64_t v;

    if (srv_parse_ll(a->ptr + hash, a->len - (size_t)hash, &v) < 0 || v < 0)
        goto err;
    if (hash) {
        if (v > INT64_MAX / bits)
            goto err;
        v *= bits;
    }
    if ((v >> 3) >= srv.cfg.proto_max_bulk_len)
        goto err;
    *out = (uint64_t)v;
    return 0;
err:
    srv_reply_error(c, ERR_BIT_OFFSET);
    return -1;
}

/* Parse a BITFIELD type "i1".."i64" or "u1".."u63". 0, or -1 after the
 * error reply. */
static int bftype_or_reply(srv_client_t *c, const resp_slice_t *a,
                           int *sign, int *bits)
{
    int64_t n;

    if (a->len < 2 || (a->ptr[0] != 'i' && a->ptr[0] != 'u'))
        goto err;
    *sign = a->ptr[0] == 'i';
    if (srv_parse_ll(a->ptr + 1, a->len - 1, &n) < 0 || n < 1 ||
        n > (*sign ? 64 : 63))
        goto err;
    *bits = (int)n;
    return 0;
err:
    srv_reply_error(c, ERR_BF_TYPE);
    return -1;
}

/* Parse the optional "BYTE" / "BIT" unit of BITCOUNT and BITPOS: *isbit
 * 0 or 1. 0, or -1 after the syntax error reply. */
static int unit_or_reply(srv_client_t *c, const resp_slice_t *a, int *isbit)
{
    if (srv_arg_is(a, "bit"))
        *isbit = 1;
    else if (srv_arg_is(a, "byte"))
        *isbit = 0;
    else {
        srv_reply_syntax_error(c);
        return -1;
    }
    return 0;
}

/* ---------------------------------------------------------------------
 * Values
 * ------------------------------------------------------------------ */

/* Reply WRONGTYPE and return 1 when o exists and is not a string. */
static int not_string_reply(srv_client_t *c, const hp_obj_t *o)
{
    if (o && o->type != HP_TYPE_STRING) {
        srv_reply_wrongtype(c);
        return 1;
    }
    return 0;
}

/* A string of key argv[1] ready to be written up to bit maxbit (Redis's
 * lookupStringForBitCommand): created zeroed when missing, unshared, made
 * raw and zero-padded. *bytes gets its buffer and *len its length;
 * *created is 1 when the key was added (the add signalled it), *grown 1
 * when the value got longer. Borrowed reference, or NULL after an error
 * reply (WRONGTYPE, OOM). */
static hp_obj_t *string_for_write(srv_client_t *c, uint64_t maxbit,
                                  unsigned char **bytes, size_t *len,
                                  int *created, int *grown)
{
    size_t need = (size_t)(maxbit >> 3) + 1, old;
    hp_obj_t *o = srv_db_lookup_write(c->db, KEY(c, 1));
    char buf[HP_INT_BUF], *p;
    const char *s;

    if (not_string_reply(c, o))
        return NULL;
    *created = o == NULL;
    if (!o) {
        o = hp_str_new_zeroed(need);
        if (!o || srv_db_set(c->db, KEY(c, 1), o, 0) < 0) {
            hp_decref(o);
            goto oom;
        }
        hp_decref(o); /* the keyspace holds it */
    } else if (hp_obj_is_shared(o)) {
        s = hp_str_bytes(o, buf, &old);
        o = hp_str_new(s, old);
        if (!o || srv_db_set(c->db, KEY(c, 1), o, SRV_SET_KEEPTTL) < 0) {
            hp_decref(o);
            goto oom;
        }
        hp_decref(o);
    }
    old = hp_str_len(o);
    if (hp_str_writable(o, need, &p) < 0)
        goto oom;
    *grown = hp_str_len(o) != old;
    *bytes = (unsigned char *)p;
    *len = hp_str_len(o);
    return o;
oom:
    srv_reply_oom(c);
    return NULL;
}

/* The bytes of string o (NULL: none), int values formatted into buf
 * (HP_INT_BUF bytes). Borrowed. */
static const unsigned char *string_bytes(const hp_obj_t *o, char *buf,
                                         size_t *len)
{
    if (!o) {
        *len = 0;
        return NULL;
    }
    return (const unsigned char *)hp_str_bytes(o, buf, len);
}

/* ---------------------------------------------------------------------
 * Bit helpers
 * ------------------------------------------------------------------ */

/* Bit number bit (0 = MSB of byte 0) of p[0..len), 0 past the end. */
static unsigned get_bit(const unsigned char *p, size_t len, uint64_t bit)
{
    uint64_t byte = bit >> 3;

    if (byte >= len)
        return 0;
    return (p[byte] >> (7 - (bit & 7))) & 1u;
}

/* Set bit number bit of p (in bounds) to on (0/1). */
static void put_bit(unsigned char *p, uint64_t bit, unsigned on)
{
    unsigned mask = 1u << (7 - (bit & 7));

    if (on)
        p[bit >> 3] = (unsigned char)(p[bit >> 3] | mask);
    else
        p[bit >> 3] = (unsigned char)(p[bit >> 3] & ~mask);
}

/* Load 8 bytes (any alignment). */
static uint64_t load64(const unsigned char *p)
{
    uint64_t w;

    memcpy(&w, p, sizeof(w));
    return w;
}

/* Set bits in p[0..n), 8-byte words at a time with __builtin_popcountll;
 * four independent sums keep the popcount unit busy. */
#define POPCOUNT_BODY                                                      \
    uint64_t a = 0, b = 0, cc = 0, d = 0;                                  \
    while (n >= 32) {                                                      \
        a += (uint64_t)__builtin_popcountll(load64(p));                    \
        b += (uint64_t)__builtin_popcountll(load64(p + 8));                \
        cc += (uint64_t)__builtin_popcountll(load64(p + 16));              \
        d += (uint64_t)__builtin_popcountll(load64(p + 24));               \
        p += 32;                                                           \
        n -= 32;                                                           \
    }                                                                      \
    while (n >= 8) {                                                       \
        a += (uint64_t)__builtin_popcountll(load64(p));                    \
        p += 8;                                                            \
        n -= 8;                                                            \
    }                                                                      \
    while (n--)                                                            \
        a += (uint64_t)__builtin_popcount(*p++);                           \
    return a + b + cc + d;

/* Portable version: the compiler's generic popcount. */
static uint64_t popcount_generic(const unsigned char *p, size_t n)
{
    POPCOUNT_BODY
}

#if defined(__x86_64__) && defined(__GNUC__)
/* Same, compiled for the POPCNT instruction (used when the CPU has it). */
__attribute__((target("popcnt"))) static uint64_t
popcount_hw(const unsigned char *p, size_t n)
{
    POPCOUNT_BODY
}
#endif

/* Number of set bits in p[0..n). */
static uint64_t popcount_bytes(const unsigned char *p, size_t n)
{
#if defined(__x86_64__) && defined(__GNUC__)
    static int has_popcnt = -1;

    if (has_popcnt < 0) {
        __builtin_cpu_init();
        has_popcnt = __builtin_cpu_supports("popcnt") != 0;
    }
    if (has_popcnt)
        return popcount_hw(p, n);
#endif
    return popcount_generic(p, n);
}

/* Number of set bits among bit numbers [sbit, ebit] of p (in bounds). */
static uint64_t count_bit_range(const unsigned char *p, uint64_t sbit,
                                uint64_t ebit)
{
    uint64_t sbyte = sbit >> 3, ebyte = ebit >> 3, n;
    unsigned first = 0xffu >> (sbit & 7);            /* bits kept in sbyte */
    unsigned last = (0xff00u >> ((ebit & 7) + 1)) & 0xffu; /* in ebyte */

    if (sbyte == ebyte)
        return (uint64_t)__builtin_popcount(p[sbyte] & first & last);
    n = (uint64_t)__builtin_popcount(p[sbyte] & first) +
        (uint64_t)__builtin_popcount(p[ebyte] & last);
    return n + popcount_bytes(p + sbyte + 1, (size_t)(ebyte - sbyte - 1));
}

/* First bit number in [sbit, ebit] of p (in bounds) whose value is bit
 * (0/1), or -1. Whole bytes are skipped a word at a time. */
static int64_t find_bit(const unsigned char *p, uint64_t sbit, uint64_t ebit,
                        unsigned bit)
{
    uint64_t i = sbit, skip = bit ? 0 : UINT64_MAX;
    unsigned char skipb = bit ? 0x00 : 0xff;

    while (i <= ebit && (i & 7)) {
        if (get_bit(p, SIZE_MAX, i) == bit)
            return (int64_t)i;
        i++;
    }
    while (i + 64 <= ebit + 1 && load64(p + (i >> 3)) == skip)
        i += 64;
    while (i + 8 <= ebit + 1 && p[i >> 3] == skipb)
        i += 8;
    for (; i <= ebit; i++) {
        if (get_bit(p, SIZE_MAX, i) == bit)
            return (int64_t)i;
    }
    return -1;
}

/* Convert a [start, end] range of BITCOUNT/BITPOS over total units to
 * non-negative clamped indexes (Redis's rules). Returns 0 when the range
 * is empty, else 1. */
static int clamp_range(int64_t *start, int64_t *end, int64_t total)
{
    if (*start < 0)
        *start = total + *start;
    if (*end < 0)
        *end = total + *end;
    if (*start < 0)
        *start = 0;
    if (*end < 0)
        *end = 0;
    if (*end >= total)
        *end = total - 1;
    return *start <= *end;
}

/* ---------------------------------------------------------------------
 * SETBIT / GETBIT
 * ------------------------------------------------------------------ */

/* SETBIT key offset value: replies the bit's previous value. */
void cmd_setbit(srv_client_t *c)
{
    uint64_t off;
    int64_t on;
    unsigned char *p;
    size_t len;
    int created, grown;
    unsigned old;

    if (offset_or_reply(c, &c->argv[2], 0, &off) < 0)
        return;
    if (srv_arg_ll_or_reply(c, &c->argv[3], &on, ERR_BIT_VALUE) < 0)
        return;
    if (on != 0 && on != 1) {
        srv_reply_error(c, ERR_BIT_VALUE);
        return;
    }
    if (!string_for_write(c, off, &p, &len, &created, &grown))
        return;
    old = get_bit(p, len, off);
    put_bit(p, off, (unsigned)on);
    if (!created && (grown || old != (unsigned)on))
        srv_db_signal_modified(c->db, KEY(c, 1));
    if (created || grown || old != (unsigned)on)
        srv_notify(SRV_NOTIFY_STRING, "setbit", c->db, KEY(c, 1));
    srv_reply_int(c, old);
}

/* GETBIT key offset: 0 past the end or for a missing key. */
void cmd_getbit(srv_client_t *c)
{
    char buf[HP_INT_BUF];
    const unsigned char *p;
    uint64_t off;
    size_t len;
    hp_obj_t *o;

    if (offset_or_reply(c, &c->argv[2], 0, &off) < 0)
        return;
    o = srv_db_lookup_read(c->db, KEY(c, 1));
    if (not_string_reply(c, o))
        return;
    p = string_bytes(o, buf, &len);
    srv_reply_int(c, get_bit(p, len, off));
}

/* ---------------------------------------------------------------------
 * BITCOUNT / BITPOS
 * ------------------------------------------------------------------ */

/* BITCOUNT key [start end [BYTE|BIT]] */
void cmd_bitcount(srv_client_t *c)
{
    char buf[HP_INT_BUF];
    const unsigned char *p;
    int64_t start = 0, end, total;
    size_t len;
    int isbit = 0;
    hp_obj_t *o = srv_db_lookup_read(c->db, KEY(c, 1));

    if (!o) {
        srv_reply_int(c, 0);
        return;
    }
    if (not_string_reply(c, o))
        return;
    p = string_bytes(o, buf, &len);
    if (c->argc != 2 && c->argc != 4 && c->argc != 5) {
        srv_reply_syntax_error(c);
        return;
    }
    end = (int64_t)len - 1;
    if (c->argc >= 4) {
        if (srv_arg_ll_or_reply(c, &c->argv[2], &start, NULL) < 0 ||
            srv_arg_ll_or_reply(c, &c->argv[3], &end, NULL) < 0)
            return;
        if (c->argc == 5 && unit_or_reply(c, &c->argv[4], &isbit) < 0)
            return;
        if (start < 0 && end < 0 && start > end) {
            srv_reply_int(c, 0);
            return;
        }
        total = isbit ? (int64_t)len * 8 : (int64_t)len;
        if (!clamp_range(&start, &end, total)) {
            srv_reply_int(c, 0);
            return;
        }
        if (!isbit) {
            start *= 8;
            end = end * 8 + 7;
        }
    } else if (len == 0) {
        srv_reply_int(c, 0);
        return;
    } else {
        end = end * 8 + 7;
    }
    srv_reply_int(c, (int64_t)count_bit_range(p, (uint64_t)start,
                                               (uint64_t)end));
}

/* BITPOS key bit [start [end [BYTE|BIT]]]: the first bit set to bit in
 * the range. A missing key is all zeros; without an explicit end the
 * string counts as followed by zeros. */
void cmd_bitpos(srv_client_t *c)
{
    char buf[HP_INT_BUF];
    const unsigned char *p;
    int64_t bit, start = 0, end, total, pos;
    size_t len;
    int isbit = 0, end_given = c->argc >= 5;
    hp_obj_t *o;

    if (srv_arg_ll_or_reply(c, &c->argv[2], &bit, NULL) < 0)
        return;
    if (bit != 0 && bit != 1) {
        srv_reply_error(c, ERR_BITPOS_BIT);
        return;
    }
    o = srv_db_lookup_read(c->db, KEY(c, 1));
    if (!o) {
        srv_reply_int(c, bit ? -1 : 0);
        return;
    }
    if (not_string_reply(c, o))
        return;
    p = string_bytes(o, buf, &len);
    if (c->argc > 6) {
        srv_reply_syntax_error(c);
        return;
    }
    if (c->argc >= 4 &&
        srv_arg_ll_or_reply(c, &c->argv[3], &start, NULL) < 0)
        return;
    if (c->argc == 6 && unit_or_reply(c, &c->argv[5], &isbit) < 0)
        return;
    total = isbit ? (int64_t)len * 8 : (int64_t)len;
    end = total - 1;
    if (end_given && srv_arg_ll_or_reply(c, &c->argv[4], &end, NULL) < 0)
        return;
    if (!clamp_range(&start, &end, total)) {
        srv_reply_int(c, -1);
        return;
    }
    if (!isbit) {
        start *= 8;
        end = end * 8 + 7;
    }
    pos = find_bit(p, (uint64_t)start, (uint64_t)end, (unsigned)bit);
    if (pos < 0 && bit == 0 && !end_given)
        pos = end + 1; /* the zero padding right after the string */
    srv_reply_int(c, pos);
}

/* ---------------------------------------------------------------------
 * BITOP
 * ------------------------------------------------------------------ */

enum bitop_kind { BITOP_AND, BITOP_OR, BITOP_XOR, BITOP_NOT };

/* One BITOP source: its bytes (borrowed) and room for an int value. */
typedef struct bitop_src {
    const unsigned char *p;
    size_t len;
    char buf[HP_INT_BUF];
} bitop_src_t;

/* Combine src into dst[0..n) (dst already holds the first source, zero
 * padded). AND clears the bytes past src's end. */
static void bitop_apply(enum bitop_kind op, unsigned char *dst, size_t n,
                        const bitop_src_t *src)
{
    size_t m = src->len < n ? src->len : n, i;

    switch (op) {
    case BITOP_AND:
        for (i = 0; i < m; i++)
            dst[i] &= src->p[i];
        memset(dst + m, 0, n - m);
        break;
    case BITOP_OR:
        for (i = 0; i < m; i++)
            dst[i] |= src->p[i];
        break;
    case BITOP_XOR:
        for (i = 0; i < m; i++)
            dst[i] ^= src->p[i];
        break;
    case BITOP_NOT:
        for (i = 0; i < n; i++)
            dst[i] = (unsigned char)~dst[i];
        break;
    }
}

/* Load the n sources argv[3..] into src: 0, or -1 after a WRONGTYPE reply.
 * *maxlen gets the longest length. */
static int bitop_load(srv_client_t *c, bitop_src_t *src, int n,
                      size_t *maxlen)
{
    hp_obj_t *o;
    int i;

    *maxlen = 0;
    for (i = 0; i < n; i++) {
        o = srv_db_lookup_read(c->db, KEY(c, 3 + i));
        if (not_string_reply(c, o))
            return -1;
        src[i].p = string_bytes(o, src[i].buf, &src[i].len);
        if (src[i].len > *maxlen)
            *maxlen = src[i].len;
    }
    return 0;
}

/* Parse the BITOP operation name: 0 or -1 after the syntax error. */
static int bitop_kind_or_reply(srv_client_t *c, enum bitop_kind *op)
{
    static const char *const names[] = {"and", "or", "xor", "not"};
    int i;

    for (i = 0; i < 4; i++) {
        if (srv_arg_is(&c->argv[1], names[i])) {
            *op = (enum bitop_kind)i;
            return 0;
        }
    }
    srv_reply_syntax_error(c);
    return -1;
}

/* Compute the BITOP result of src into a new raw string of maxlen bytes
 * and bind it to argv[2] (TTL removed). 0, or -1 after the OOM reply. */
static int bitop_store(srv_client_t *c, enum bitop_kind op,
                       const bitop_src_t *src, int n, size_t maxlen)
{
    hp_obj_t *res = hp_str_new_zeroed(maxlen);
    char *dst;
    int i, rc = -1;

    if (!res || hp_str_writable(res, maxlen, &dst) < 0)
        goto out;
    if (src[0].len)
        memcpy(dst, src[0].p, src[0].len);
    if (op == BITOP_NOT)
        bitop_apply(op, (unsigned char *)dst, maxlen, &src[0]);
    for (i = 1; i < n; i++)
        bitop_apply(op, (unsigned char *)dst, maxlen, &src[i]);
    rc = srv_db_set(c->db, KEY(c, 2), res, 0);
    if (rc == 0)
        srv_notify(SRV_NOTIFY_STRING, "set", c->db, KEY(c, 2));
out:
    hp_decref(res);
    if (rc < 0)
        srv_reply_oom(c);
    return rc < 0 ? -1 : 0;
}

/* BITOP AND|OR|XOR|NOT destkey key [key ...]: replies the result's
 * length; an empty result deletes destkey. */
void cmd_bitop(srv_client_t *c)
{
    enum bitop_kind op;
    bitop_src_t *src;
    int n = c->argc - 3;
    size_t maxlen;

    if (bitop_kind_or_reply(c, &op) < 0)
        return;
    if (op == BITOP_NOT && n != 1) {
        srv_reply_error(c, ERR_BITOP_NOT);
        return;
    }
    src = hp_malloc(sizeof(*src) * (size_t)n);
    if (!src) {
        srv_reply_oom(c);
        return;
    }
    if (bitop_load(c, src, n, &maxlen) < 0)
        goto out;
    if (maxlen == 0) {
        if (srv_db_delete(c->db, KEY(c, 2)))
            srv_notify(SRV_NOTIFY_GENERIC, "del", c->db, KEY(c, 2));
        srv_reply_int(c, 0);
        goto out;
    }
    if (bitop_store(c, op, src, n, maxlen) == 0)
        srv_reply_int(c, (int64_t)maxlen);
out:
    hp_free(src);
}

/* ---------------------------------------------------------------------
 * BITFIELD
 * ------------------------------------------------------------------ */

enum bf_opcode { BF_GET, BF_SET, BF_INCRBY };
enum bf_overflow { BF_WRAP, BF_SAT, BF_FAIL };

typedef struct bf_op {
    uint64_t offset;  /* first bit */
    int64_t arg;      /* SET value or INCRBY increment */
    enum bf_opcode opcode;
    enum bf_overflow overflow;
    int bits;         /* 1..64 */
    int sign;         /* 1 for iN, 0 for uN */
} bf_op_t;

/* The bits-wide unsigned field at bit offset off of p[0..len) (bits past
 * the end read as zero). */
static uint64_t bf_get_raw(const unsigned char *p, size_t len, uint64_t off,
                           int bits)
{
    uint64_t v = 0;
    int i;

    for (i = 0; i < bits; i++)
        v = (v << 1) | get_bit(p, len, off + (uint64_t)i);
    return v;
}

/* Store the low bits of v at bit offset off of p (in bounds). */
static void bf_put_raw(unsigned char *p, uint64_t off, int bits, uint64_t v)
{
    int i;

    for (i = 0; i < bits; i++)
        put_bit(p, off + (uint64_t)i, (unsigned)(v >> (bits - 1 - i)) & 1u);
}

/* Sign-extend the low bits of v. */
static int64_t bf_sign_extend(uint64_t v, int bits)
{
    uint64_t msb;

    if (bits == 64)
        return (int64_t)v;
    msb = (uint64_t)1 << (bits - 1);
    if (v & msb)
        v |= UINT64_MAX << bits;
    else
        v &= ~(UINT64_MAX << bits);
    return (int64_t)v;
}

/* The value at op's field, signed or unsigned as op's type says. */
static int64_t bf_read(const unsigned char *p, size_t len, const bf_op_t *op)
{
    uint64_t v = bf_get_raw(p, len, op->offset, op->bits);

    return op->sign ? bf_sign_extend(v, op->bits) : (int64_t)v;
}

/* value + incr for a signed field of op->bits bits: stores the result
 * after op->overflow's rule in *res; returns 1 when it overflowed. value
 * is in range unless incr is 0 (SET). */
static int bf_add_signed(int64_t value, int64_t incr, int bits,
                         enum bf_overflow ow, int64_t *res)
{
    int64_t max = bits == 64 ? INT64_MAX : ((int64_t)1 << (bits - 1)) - 1;
    int64_t min = -max - 1;
    int over = value > max || (incr > 0 && value > max - incr);
    int under = value < min || (incr < 0 && value < min - incr);

    if (!over && !under) {
        *res = value + incr;
        return 0;
    }
    if (ow == BF_SAT)
        *res = over ? max : min;
    else
        *res = bf_sign_extend((uint64_t)value + (uint64_t)incr, bits);
    return 1;
}

/* value + incr for an unsigned field of bits bits (< 64), as above. */
static int bf_add_unsigned(uint64_t value, int64_t incr, int bits,
                           enum bf_overflow ow, uint64_t *res)
{
    uint64_t max = ((uint64_t)1 << bits) - 1;
    int over = value > max || (incr > 0 && (uint64_t)incr > max - value);
    int under = incr < 0 && (uint64_t)0 - (uint64_t)incr > value;

    if (!over && !under) {
        *res = value + (uint64_t)incr;
        return 0;
    }
    if (ow == BF_SAT)
        *res = over ? max : 0;
    else
        *res = (value + (uint64_t)incr) & max;
    return 1;
}

/* Run a SET or INCRBY op on p and reply its result (the old value for
 * SET, the new one for INCRBY, null when FAIL refused it). Returns 0
 * when refused, 2 when the field's value changed, else 1. */
static int bf_write(srv_client_t *c, unsigned char *p, size_t len,
                    const bf_op_t *op)
{
    int64_t old = bf_read(p, len, op), sres;
    uint64_t ures, newraw;
    int ovf;

    if (op->sign) {
        if (op->opcode == BF_INCRBY)
            ovf = bf_add_signed(old, op->arg, op->bits, op->overflow, &sres);
        else
            ovf = bf_add_signed(op->arg, 0, op->bits, op->overflow, &sres);
        newraw = (uint64_t)sres;
    } else {
        if (op->opcode == BF_INCRBY)
            ovf = bf_add_unsigned((uint64_t)old, op->arg, op->bits,
                                  op->overflow, &ures);
        else
            ovf = bf_add_unsigned((uint64_t)op->arg, 0, op->bits,
                                  op->overflow, &ures);
        sres = (int64_t)ures;
        newraw = ures;
    }
    if (ovf && op->overflow == BF_FAIL) {
        srv_reply_null(c);
        return 0;
    }
    srv_reply_int(c, op->opcode == BF_INCRBY ? sres : old);
    bf_put_raw(p, op->offset, op->bits, newraw);
    return sres != old ? 2 : 1;
}

/* Parse "OVERFLOW WRAP|SAT|FAIL" value a. 0 or -1 after the error. */
static int bf_overflow_or_reply(srv_client_t *c, const resp_slice_t *a,
                                enum bf_overflow *ow)
{
    if (srv_arg_is(a, "wrap"))
        *ow = BF_WRAP;
    else if (srv_arg_is(a, "sat"))
        *ow = BF_SAT;
    else if (srv_arg_is(a, "fail"))
        *ow = BF_FAIL;
    else {
        srv_reply_error(c, ERR_BF_OVERFLOW);
        return -1;
    }
    return 0;
}

/* Parse one GET/SET/INCRBY at argv[*j] into op (overflow mode already
 * set), advancing *j past its arguments. 0 or -1 after the error. */
static int bf_parse_op(srv_client_t *c, int *j, bf_op_t *op)
{
    int rem = c->argc - *j - 1;
    const resp_slice_t *a = &c->argv[*j];

    if (srv_arg_is(a, "get") && rem >= 2)
        op->opcode = BF_GET;
    else if (srv_arg_is(a, "set") && rem >= 3)
        op->opcode = BF_SET;
    else if (srv_arg_is(a, "incrby") && rem >= 3)
        op->opcode = BF_INCRBY;
    else {
        srv_reply_syntax_error(c);
        return -1;
    }
    if (bftype_or_reply(c, &c->argv[*j + 1], &op->sign, &op->bits) < 0 ||
        offset_or_reply(c, &c->argv[*j + 2], op->bits, &op->offset) < 0)
        return -1;
    op->arg = 0;
    if (op->opcode != BF_GET &&
        srv_arg_ll_or_reply(c, &c->argv[*j + 3], &op->arg, NULL) < 0)
        return -1;
    *j += op->opcode == BF_GET ? 3 : 4;
    return 0;
}

/* Parse every operation of BITFIELD from argv[2] into ops (room for argc
 * entries): count in *n, highest written bit in *maxbit (-1 none). 0 or
 * -1 after the error. */
static int bf_parse(srv_client_t *c, bf_op_t *ops, int *n, int64_t *maxbit)
{
    enum bf_overflow ow = BF_WRAP;
    int j = 2;
    int64_t hi;

    *n = 0;
    *maxbit = -1;
    while (j < c->argc) {
        if (srv_arg_is(&c->argv[j], "overflow") && j + 1 < c->argc) {
            if (bf_overflow_or_reply(c, &c->argv[j + 1], &ow) < 0)
                return -1;
            j += 2;
            continue;
        }
        ops[*n].overflow = ow;
        if (bf_parse_op(c, &j, &ops[*n]) < 0)
            return -1;
        if (ops[*n].opcode != BF_GET) {
            hi = (int64_t)ops[*n].offset + ops[*n].bits - 1;
            if (hi > *maxbit)
                *maxbit = hi;
        }
        (*n)++;
    }
    return 0;
}

/* Execute parsed ops: reads only when maxbit < 0. Replies the array. */
static void bf_execute(srv_client_t *c, const bf_op_t *ops, int n,
                       int64_t maxbit)
{
    char buf[HP_INT_BUF];
    const unsigned char *rp;
    unsigned char *wp = NULL;
    size_t len;
    int i, created = 0, grown = 0, changes = 0, written = 0;
    hp_obj_t *o;

    if (maxbit < 0) {
        o = srv_db_lookup_read(c->db, KEY(c, 1));
        if (not_string_reply(c, o))
            return;
        rp = string_bytes(o, buf, &len);
    } else {
        o = string_for_write(c, (uint64_t)maxbit, &wp, &len, &created,
                             &grown);
        if (!o)
            return;
        rp = wp;
    }
    srv_reply_array_len(c, n);
    for (i = 0; i < n; i++) {
        if (ops[i].opcode == BF_GET)
            srv_reply_int(c, bf_read(rp, len, &ops[i]));
        else {
            int r = bf_write(c, wp, len, &ops[i]);

            changes += r == 2;
            written += r > 0;
        }
    }
    if (!created && (changes || grown))
        srv_db_signal_modified(c->db, KEY(c, 1));
    /* Redis notifies when a write changed a value, or wrote at all to a
     * string it created or grew. */
    if (changes || (written && (created || grown)))
        srv_notify(SRV_NOTIFY_STRING, "setbit", c->db, KEY(c, 1));
}

/* The body of BITFIELD and BITFIELD_RO (readonly: only GET allowed). */
static void bitfield_generic(srv_client_t *c, int readonly)
{
    bf_op_t *ops = hp_malloc(sizeof(*ops) * (size_t)c->argc);
    int64_t maxbit;
    int n;

    if (!ops) {
        srv_reply_oom(c);
        return;
    }
    if (bf_parse(c, ops, &n, &maxbit) < 0)
        goto out;
    if (readonly && maxbit >= 0) {
        srv_reply_error(c, ERR_BF_RO);
        goto out;
    }
    bf_execute(c, ops, n, maxbit);
out:
    hp_free(ops);
}

/* BITFIELD key [GET type offset | SET type offset value | INCRBY type
 * offset increment | OVERFLOW WRAP|SAT|FAIL] ... */
void cmd_bitfield(srv_client_t *c)
{
    bitfield_generic(c, 0);
}

/* BITFIELD_RO key [GET type offset] ... */
void cmd_bitfield_ro(srv_client_t *c)
{
    bitfield_generic(c, 1);
}
