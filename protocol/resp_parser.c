/*
 * resp_parser.c - the incremental RESP request parser: multibulk
 * ("*N\r\n$len\r\n...") and inline (telnet) commands, with Redis 7.0's
 * checks and error texts.
 *
 * Design. Input accumulates in p->buf. p->pos is the first byte of the
 * command being parsed (nothing before it is needed any more), p->scan the
 * cursor inside it: where the next header starts, where to resume looking
 * for a line end, or where the pending bulk's data starts. Because every
 * position of an unfinished command is kept relative to p->pos or shifted
 * with it, feed/reserve may compact or grow the buffer at any time; the
 * parser never re-reads what it already parsed. A multibulk argument is
 * recorded as (offset from p->pos, length) and turned into a pointer only
 * when the whole command is present, so slices are zero-copy. Inline
 * arguments are unescaped in place over the consumed line.
 *
 * Multibulk state, with k = nargs - want arguments complete:
 *   ST_IDLE   waiting for a command; a '*' line or an inline line.
 *   ST_ARGHDR off[k] is where the "$<len>" header of argument k starts.
 *   ST_BULK   off[k] is where its data starts, argv[k].len its length.
 * off[] lives in the argv allocation, after the argv_cap slices.
 *
 * Like Redis: a header line ends at its first '\r' and the byte after it is
 * skipped unchecked, as are the two bytes after a bulk's data.
 * Unlike Redis: the line-length limits are checked on the line itself, so
 * the verdict does not depend on how the bytes were split into reads; a
 * NUL byte is ordinary data (Redis stalls on one in a header or an inline
 * line).
 */
#include "resp.h"

#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "resp_int.h"

#define IOBUF_LEN     16384        /* first allocation, as Redis's reads */
#define BIG_ARG       32768        /* Redis PROTO_MBULK_BIG_ARG */
#define SHRINK_CAP    (256 * 1024) /* an idle buffer above this is freed */
#define ARGV_PREALLOC 1024         /* argv slots reserved by a *N header */
#define UNAUTH_ARGS   10           /* Redis's caps without AUTH */
#define UNAUTH_BULK   16384

enum {
    ST_IDLE,
    ST_ARGHDR,
    ST_BULK,
    ST_PROTO, /* sticky RESP_ERR_PROTO */
    ST_NOMEM, /* sticky RESP_ERR_NOMEM */
};

/* Internal result of a step: a command is ready / need bytes / go on. */
enum { STEP_MORE = 0, STEP_CMD = 1, STEP_AGAIN = 2 };

static const char E_MBULK_LEN[] = "Protocol error: invalid multibulk length";
static const char E_BULK_LEN[] = "Protocol error: invalid bulk length";
static const char E_MBULK_BIG[] = "Protocol error: too big mbulk count string";
static const char E_BULK_BIG[] = "Protocol error: too big bulk count string";
static const char E_INLINE_BIG[] = "Protocol error: too big inline request";
static const char E_QUOTES[] = "Protocol error: unbalanced quotes in request";
static const char E_UNAUTH_MBULK[] =
    "Protocol error: unauthenticated multibulk length";
static const char E_UNAUTH_BULK[] =
    "Protocol error: unauthenticated bulk length";
static const char E_QUERYBUF[] = "Protocol error: query buffer limit exceeded";

/* "Protocol error: expected '$', got 'X'" for every byte X, built at
 * compile time so the error text stays static. Redis's reply code turns
 * CR and LF into spaces, so those two read ' '. */
#define GOT_CH(c) ((char)((c) == '\r' || (c) == '\n' ? ' ' : (c)))
#define GOT1(c)                                                               \
    {                                                                         \
        'P', 'r', 'o', 't', 'o', 'c', 'o', 'l', ' ', 'e', 'r', 'r', 'o', 'r', \
            ':', ' ', 'e', 'x', 'p', 'e', 'c', 't', 'e', 'd', ' ', '\'', '$', \
            '\'', ',', ' ', 'g', 'o', 't', ' ', '\'', GOT_CH(c), '\'', 0      \
    }
#define GOT4(c)  GOT1(c), GOT1((c) + 1), GOT1((c) + 2), GOT1((c) + 3)
#define GOT16(c) GOT4(c), GOT4((c) + 4), GOT4((c) + 8), GOT4((c) + 12)
#define GOT64(c) GOT16(c), GOT16((c) + 16), GOT16((c) + 32), GOT16((c) + 48)
static const char got_msg[256][38] = {GOT64(0), GOT64(64), GOT64(128),
                                      GOT64(192)};

/* ---------------------------------------------------------------------
 * Limits, life cycle
 * ------------------------------------------------------------------ */

void resp_limits_default(resp_limits_t *l)
{
    l->max_bulk_len = 512LL * 1024 * 1024;
    l->max_args = 1024 * 1024;
    l->max_inline_len = 64 * 1024;
    l->max_query_buf = (size_t)1024 * 1024 * 1024;
    l->unauth = 0;
}

void resp_limits_unauthenticated(resp_limits_t *l)
{
    resp_limits_default(l);
    l->unauth = 1;
}

void resp_parser_init(resp_parser_t *p, const resp_limits_t *limits)
{
    memset(p, 0, sizeof(*p));
    if (limits)
        p->limits = *limits;
    else
        resp_limits_default(&p->limits);
    p->state = ST_IDLE;
}

void resp_parser_fini(resp_parser_t *p)
{
    resp__free(p->buf);
    resp__free(p->argv);
    resp__free(p->scratch);
    p->buf = NULL;
    p->argv = NULL;
    p->scratch = NULL;
    p->cap = p->len = p->pos = p->scan = 0;
    p->argv_cap = p->scratch_cap = 0;
}

void resp_parser_set_limits(resp_parser_t *p, const resp_limits_t *limits)
{
    p->limits = *limits;
}

const char *resp_parser_error(const resp_parser_t *p)
{
    return p->state == ST_PROTO ? p->error : NULL;
}

size_t resp_parser_pending(const resp_parser_t *p)
{
    return p->len - p->pos;
}

/* See resp.h. */
size_t resp_parser_release_idle(resp_parser_t *p)
{
    size_t freed = p->cap;

    if (p->buf == NULL || p->pos != p->len || p->state != ST_IDLE)
        return 0;
    resp__free(p->buf);
    p->buf = NULL;
    p->cap = p->len = p->pos = p->scan = 0;
    return freed;
}

/* Enter the sticky protocol-error state with static text msg. */
static int fail(resp_parser_t *p, const char *msg)
{
    p->error = msg;
    p->state = ST_PROTO;
    return RESP_ERR_PROTO;
}

/* Enter the sticky out-of-memory state. */
static int fail_nomem(resp_parser_t *p)
{
    p->state = ST_NOMEM;
    return RESP_ERR_NOMEM;
}

/* The sticky code of a failed parser, 0 when it has not failed. */
static int sticky(const resp_parser_t *p)
{
    if (p->state == ST_PROTO) return RESP_ERR_PROTO;
    if (p->state == ST_NOMEM) return RESP_ERR_NOMEM;
    return 0;
}

/* ---------------------------------------------------------------------
 * Buffer management
 * ------------------------------------------------------------------ */

/* The argument offsets, stored after the argv_cap slices. */
static size_t *arg_offs(const resp_parser_t *p)
{
    return (size_t *)(void *)(p->argv + p->argv_cap);
}

/* Make room for at least `need` slices (and offsets). Returns 0 or
 * -ENOMEM. Moves the argv array: callers re-read p->argv/arg_offs(). */
static int argv_reserve(resp_parser_t *p, size_t need)
{
    size_t ncap = p->argv_cap ? p->argv_cap * 2 : 8;
    const size_t each = sizeof(resp_slice_t) + sizeof(size_t);
    resp_slice_t *na;

    if (need <= p->argv_cap) return 0;
    if (ncap < need) ncap = need;
    if (ncap > SIZE_MAX / each) return -ENOMEM;
    na = resp__realloc(p->argv, ncap * each);
    if (!na) return -ENOMEM;
    /* The offsets sat right after the old capacity: slide them up. */
    memmove(na + ncap, na + p->argv_cap, p->argv_cap * sizeof(size_t));
    p->argv = na;
    p->argv_cap = ncap;
    return 0;
}

/* Move the unparsed bytes (from the current command's start) to the front
 * of the buffer. Offsets kept relative to p->pos stay valid. */
static void compact(resp_parser_t *p)
{
    size_t shift = p->pos;

    if (shift == 0) return;
    memmove(p->buf, p->buf + shift, p->len - shift);
    p->len -= shift;
    p->scan -= shift;
    p->pos = 0;
}

/* Capacity to allocate for `want` bytes: exact-ish for big sizes, with
 * headroom for small ones (as sds does). */
static size_t grow_size(size_t want)
{
    if (want < IOBUF_LEN) return IOBUF_LEN;
    if (want < 1024 * 1024) return want * 2;
    return want + 1024 * 1024;
}

/* Ensure at least `need` free bytes after p->len, compacting first and
 * releasing an oversized idle buffer. Returns 0 or -ENOMEM. */
static int make_room(resp_parser_t *p, size_t need)
{
    char *nb;
    size_t ncap;

    if (p->pos == p->len) {
        p->pos = p->len = p->scan = 0;
        if (p->cap > SHRINK_CAP && need <= SHRINK_CAP) {
            resp__free(p->buf);
            p->buf = NULL;
            p->cap = 0;
        }
    }
    if (p->cap - p->len >= need) return 0;
    compact(p);
    if (p->cap - p->len >= need) return 0;
    if (need > SIZE_MAX - p->len - 2 * 1024 * 1024) return -ENOMEM;
    ncap = grow_size(p->len + need);
    nb = resp__realloc(p->buf, ncap);
    if (!nb) return -ENOMEM;
    p->buf = nb;
    p->cap = ncap;
    return 0;
}

/* Check client-query-buffer-limit on the bytes not yet returned. */
static int check_querybuf(resp_parser_t *p)
{
    if (p->len - p->pos > p->limits.max_query_buf) return fail(p, E_QUERYBUF);
    return 0;
}

int resp_parser_feed(resp_parser_t *p, const char *buf, size_t len)
{
    int r = sticky(p);

    if (r) return r;
    if (len == 0) return 0;
    if (len > p->limits.max_query_buf ||
        p->len - p->pos > p->limits.max_query_buf - len)
        return fail(p, E_QUERYBUF);
    if (make_room(p, len) < 0) return fail_nomem(p);
    memcpy(p->buf + p->len, buf, len);
    p->len += len;
    return 0;
}

/* Bytes still missing for the bulk being read, when it is a big one
 * (Redis reads such arguments straight into a buffer of the right size);
 * 0 otherwise. */
static size_t big_bulk_missing(const resp_parser_t *p)
{
    size_t k, end, len;

    if (p->state != ST_BULK) return 0;
    k = (size_t)(p->nargs - p->want);
    len = p->argv[k].len;
    if (len < BIG_ARG) return 0;
    end = p->pos + arg_offs(p)[k] + len + 2;
    return end > p->len ? end - p->len : 0;
}

/* See resp.h. When a big bulk is pending, the room returned covers all of
 * it (plus its CRLF), so the payload is read once, in place, and never
 * copied again. After a sticky error the buffer is still usable (the
 * bytes are simply never parsed). */
char *resp_parser_reserve(resp_parser_t *p, size_t hint, size_t *avail)
{
    size_t need = hint ? hint : 1;
    size_t missing = big_bulk_missing(p);

    if (missing > need) need = missing;
    if (make_room(p, need) < 0) {
        *avail = 0;
        return NULL;
    }
    *avail = p->cap - p->len;
    return p->buf + p->len;
}

/* See resp.h. The query-buffer limit is enforced here (sticky error seen
 * by the next resp_parser_next()). */
void resp_parser_commit(resp_parser_t *p, size_t n)
{
    assert(n <= p->cap - p->len);
    p->len += n;
    if (!sticky(p)) check_querybuf(p);
}

/* ---------------------------------------------------------------------
 * Multibulk
 * ------------------------------------------------------------------ */

/* Find the '\r' ending the header line that starts at `start`, resuming
 * the search at p->scan. Returns STEP_CMD with *cr set when the line and
 * the byte after its '\r' are present, STEP_MORE when not (p->scan
 * remembers how far we looked), or a protocol error with `toobig` when the
 * line is longer than max_inline_len. */
static int header_line(resp_parser_t *p, size_t start, size_t *cr,
                       const char *toobig)
{
    size_t max = p->limits.max_inline_len;
    const char *hit;
    size_t at;

    /* Fast path: short counts, "$3\r" / "*12\r", need no memchr call. */
    if (p->scan == start && p->len - start >= 4 && p->buf[start + 1] != '\r') {
        if (p->buf[start + 2] == '\r') {
            at = start + 2;
            goto found;
        }
        if (p->len - start >= 5 && p->buf[start + 3] == '\r') {
            at = start + 3;
            goto found;
        }
    }
    hit = memchr(p->buf + p->scan, '\r', p->len - p->scan);
    if (!hit) {
        if (p->len - start > max) return fail(p, toobig);
        p->scan = p->len;
        return STEP_MORE;
    }
    at = (size_t)(hit - p->buf);
found:
    if (at - start > max) return fail(p, toobig);
    if (at + 1 >= p->len) {
        p->scan = at;
        return STEP_MORE;
    }
    *cr = at;
    return STEP_CMD;
}

/* Parse a header count: plain short positive numbers inline (the common
 * case), anything else through resp_str2ll's full rules. Returns 1/0. */
static inline int parse_count(const char *s, size_t n, int64_t *out)
{
    int64_t v = 0;
    size_t i;

    if (n == 0 || n > 18 || s[0] < '1' || s[0] > '9')
        return resp_str2ll(s, n, out);
    for (i = 0; i < n; i++) {
        unsigned d = (unsigned)(unsigned char)s[i] - '0';
        if (d > 9) return 0;
        v = v * 10 + (int64_t)d;
    }
    *out = v;
    return 1;
}

/* At the start of a command of n arguments: free an argv array that a
 * much bigger command grew past ARGV_PREALLOC slots (the last command's
 * slices are no longer in use), so one huge command does not pin its
 * argv for the connection's life; Redis frees argv after each command. */
static void argv_trim(resp_parser_t *p, int64_t n)
{
    if (p->argv_cap <= ARGV_PREALLOC || (uint64_t)n >= p->argv_cap / 4)
        return;
    resp__free(p->argv);
    p->argv = NULL;
    p->argv_cap = 0;
}

/* Parse "*<n>\r\n" at p->pos. */
static int parse_mbulk_header(resp_parser_t *p)
{
    size_t cr;
    int64_t n;
    int r = header_line(p, p->pos, &cr, E_MBULK_BIG);

    if (r != STEP_CMD) return r;
    if (!parse_count(p->buf + p->pos + 1, cr - p->pos - 1, &n) || n > INT_MAX ||
        n > p->limits.max_args)
        return fail(p, E_MBULK_LEN);
    if (p->limits.unauth && n > UNAUTH_ARGS) return fail(p, E_UNAUTH_MBULK);
    p->scan = cr + 2;
    if (n <= 0) {
        /* "*0" and "*-1" are empty commands: skipped, as in Redis. */
        p->pos = p->scan;
        return STEP_AGAIN;
    }
    argv_trim(p, n);
    /* Reserve a bounded number of slots: a client announcing a million
     * arguments must send them before we spend memory on them. */
    if (argv_reserve(p, n < ARGV_PREALLOC ? (size_t)n : ARGV_PREALLOC) < 0)
        return fail_nomem(p);
    p->nargs = n;
    p->want = n;
    arg_offs(p)[0] = p->scan - p->pos;
    p->state = ST_ARGHDR;
    return STEP_AGAIN;
}

/* Parse "$<len>\r\n" of argument k, whose header starts at hs. */
static int parse_bulk_header(resp_parser_t *p, size_t k, size_t hs)
{
    size_t cr;
    int64_t n;
    int r = header_line(p, hs, &cr, E_BULK_BIG);

    if (r != STEP_CMD) return r;
    if (p->buf[hs] != '$') return fail(p, got_msg[(unsigned char)p->buf[hs]]);
    if (!parse_count(p->buf + hs + 1, cr - hs - 1, &n) || n < 0 ||
        n > p->limits.max_bulk_len)
        return fail(p, E_BULK_LEN);
    if (p->limits.unauth && n > UNAUTH_BULK) return fail(p, E_UNAUTH_BULK);
    p->scan = cr + 2;
    arg_offs(p)[k] = p->scan - p->pos;
    p->argv[k].len = (size_t)n;
    p->state = ST_BULK;
    return STEP_CMD;
}

/* Hand out the finished multibulk command: offsets become pointers. */
static int finish_mbulk(resp_parser_t *p, resp_cmd_t *cmd)
{
    const char *base = p->buf + p->pos;
    const size_t *off = arg_offs(p);
    size_t i, n = (size_t)p->nargs;

    for (i = 0; i < n; i++)
        p->argv[i].ptr = base + off[i];
    cmd->argc = (int)n;
    cmd->argv = p->argv;
    cmd->inline_cmd = 0;
    p->pos = p->scan;
    p->state = ST_IDLE;
    return STEP_CMD;
}

/* Read the arguments of a multibulk command, resuming where the last call
 * stopped. Invariants: k = nargs - want arguments are complete; off[k] is
 * set for argument k; p->scan >= p->pos. */
static int parse_mbulk_args(resp_parser_t *p, resp_cmd_t *cmd)
{
    while (p->want > 0) {
        size_t k = (size_t)(p->nargs - p->want);
        size_t start, blen;
        int r;

        if (p->state == ST_ARGHDR) {
            r = parse_bulk_header(p, k, p->pos + arg_offs(p)[k]);
            if (r != STEP_CMD) return r;
        }
        start = p->pos + arg_offs(p)[k];
        blen = p->argv[k].len;
        if (p->len - start < blen + 2) {
            p->scan = start;
            return STEP_MORE;
        }
        p->scan = start + blen + 2;
        p->want--;
        p->state = ST_ARGHDR;
        if (p->want > 0) {
            if (argv_reserve(p, k + 2) < 0) return fail_nomem(p);
            arg_offs(p)[k + 1] = p->scan - p->pos;
        }
    }
    return finish_mbulk(p, cmd);
}

/* ---------------------------------------------------------------------
 * Inline commands
 * ------------------------------------------------------------------ */

/* isspace() of the C locale, which is what Redis's splitter uses. */
static int is_space(char c)
{
    return c == ' ' || (c >= '\t' && c <= '\r');
}

static int hex_val(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* The byte "\<c>" stands for inside double quotes. */
static char unescape(char c)
{
    switch (c) {
    case 'n':
        return '\n';
    case 'r':
        return '\r';
    case 't':
        return '\t';
    case 'b':
        return '\b';
    case 'a':
        return '\a';
    default:
        return c;
    }
}

/* Read one double-quoted section starting after its '"' at *rp, writing
 * the unescaped bytes at *wp. Returns 0, or -1 for unbalanced quotes (no
 * closing quote, or one not followed by a space or the end). */
static int read_dquoted(char **rp, char **wp, const char *e)
{
    char *r = *rp, *w = *wp;

    for (;;) {
        if (r == e) return -1;
        if (*r == '\\' && e - r >= 4 && r[1] == 'x' && hex_val(r[2]) >= 0 &&
            hex_val(r[3]) >= 0) {
            *w++ = (char)(hex_val(r[2]) * 16 + hex_val(r[3]));
            r += 4;
        } else if (*r == '\\' && e - r >= 2) {
            *w++ = unescape(r[1]);
            r += 2;
        } else if (*r == '"') {
            if (r + 1 < e && !is_space(r[1])) return -1;
            *rp = r + 1;
            *wp = w;
            return 0;
        } else {
            *w++ = *r++;
        }
    }
}

/* Single-quoted twin of read_dquoted: only \' is an escape. */
static int read_squoted(char **rp, char **wp, const char *e)
{
    char *r = *rp, *w = *wp;

    for (;;) {
        if (r == e) return -1;
        if (*r == '\\' && e - r >= 2 && r[1] == '\'') {
            *w++ = '\'';
            r += 2;
        } else if (*r == '\'') {
            if (r + 1 < e && !is_space(r[1])) return -1;
            *rp = r + 1;
            *wp = w;
            return 0;
        } else {
            *w++ = *r++;
        }
    }
}

/* Read one token starting at *rp (not a space), unescaping it in place;
 * its bytes end at the returned write cursor. The writer never passes the
 * reader, so the unread input is never clobbered. NULL: bad quotes. */
static char *read_token(char **rp, const char *e)
{
    char *r = *rp, *w = *rp;

    while (r < e) {
        char c = *r;

        if (c == ' ' || c == '\n' || c == '\r' || c == '\t') {
            r++;
            break;
        }
        r++;
        if (c == '"' || c == '\'') {
            int bad =
                c == '"' ? read_dquoted(&r, &w, e) : read_squoted(&r, &w, e);
            if (bad) return NULL;
            break;
        }
        *w++ = c;
    }
    *rp = r;
    return w;
}

/* Split the line [s, e) as Redis's sdssplitargs() does, into p->argv.
 * Returns the argument count or a negative RESP_ERR_*. */
static int split_inline(resp_parser_t *p, char *s, const char *e)
{
    char *r = s;
    size_t argc = 0;

    for (;;) {
        char *tok, *end;

        while (r < e && is_space(*r))
            r++;
        if (r == e) return (int)argc;
        tok = r;
        end = read_token(&r, e);
        if (!end) return fail(p, E_QUOTES);
        if (argv_reserve(p, argc + 1) < 0) return fail_nomem(p);
        p->argv[argc].ptr = tok;
        p->argv[argc].len = (size_t)(end - tok);
        argc++;
    }
}

/* Parse one inline line at p->pos ("\n"-terminated, optional "\r"). */
static int parse_inline(resp_parser_t *p, resp_cmd_t *cmd)
{
    const char *hit = memchr(p->buf + p->scan, '\n', p->len - p->scan);
    size_t nl, end;
    int argc;

    if (!hit) {
        if (p->len - p->pos > p->limits.max_inline_len)
            return fail(p, E_INLINE_BIG);
        p->scan = p->len;
        return STEP_MORE;
    }
    nl = (size_t)(hit - p->buf);
    if (nl - p->pos > p->limits.max_inline_len) return fail(p, E_INLINE_BIG);
    end = nl;
    if (end > p->pos && p->buf[end - 1] == '\r') end--;
    argc = split_inline(p, p->buf + p->pos, p->buf + end);
    if (argc < 0) return argc;
    p->pos = p->scan = nl + 1;
    if (argc == 0) return STEP_AGAIN;
    cmd->argc = argc;
    cmd->argv = p->argv;
    cmd->inline_cmd = 1;
    return STEP_CMD;
}

/* ---------------------------------------------------------------------
 * Look ahead (read-only)
 * ------------------------------------------------------------------ */

/* The header line "<c><count>\r?" at p->buf[at]: its count in *n and in
 * *next the offset after it (the byte after '\r' is skipped unchecked,
 * as header_line does). 1, or 0 when the line is not there complete, is
 * not of type c, or its count is no number. */
static int peek_header(const resp_parser_t *p, size_t at, char c, int64_t *n,
                       size_t *next)
{
    const char *s = p->buf + at, *cr;
    size_t room;

    if (at >= p->len || *s != c) return 0;
    room = p->len - at;
    if (room > 24) room = 24; /* "$" + 20 digits + "\r" at most */
    cr = memchr(s, '\r', room);
    if (!cr || (size_t)(cr - p->buf) + 1 >= p->len) return 0;
    if (!parse_count(s + 1, (size_t)(cr - s - 1), n)) return 0;
    *next = (size_t)(cr - p->buf) + 2;
    return 1;
}

/* See resp.h. */
int resp_parser_peek(const resp_parser_t *p, size_t *off, resp_slice_t *argv,
                     int max)
{
    int64_t n, blen;
    size_t at;

    if (p->state != ST_IDLE || *off >= p->len - p->pos) return 0;
    if (!peek_header(p, p->pos + *off, '*', &n, &at) || n <= 0 ||
        n > RESP_PEEK_MAX_ARGS)
        return 0;
    for (int64_t k = 0; k < n; k++) {
        if (!peek_header(p, at, '$', &blen, &at) || blen < 0 ||
            p->len - at < (size_t)blen + 2)
            return 0;
        if (k < max) {
            argv[k].ptr = p->buf + at;
            argv[k].len = (size_t)blen;
        }
        at += (size_t)blen + 2;
    }
    *off = at - p->pos;
    return (int)n;
}

/* ---------------------------------------------------------------------
 * Driver
 * ------------------------------------------------------------------ */

/* See resp.h. Loops over skipped empty commands; never recurses. */
int resp_parser_next(resp_parser_t *p, resp_cmd_t *cmd)
{
    for (;;) {
        int r;

        switch (p->state) {
        case ST_IDLE:
            if (p->pos == p->len) return 0;
            if (p->buf[p->pos] == '*')
                r = parse_mbulk_header(p);
            else
                r = parse_inline(p, cmd);
            break;
        case ST_ARGHDR:
        case ST_BULK:
            r = parse_mbulk_args(p, cmd);
            break;
        default:
            return sticky(p);
        }
        if (r != STEP_AGAIN) return r;
    }
}
