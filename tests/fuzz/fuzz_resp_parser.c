/*
 * fuzz_resp_parser.c - libFuzzer target for protocol/resp_parser.c.
 *
 * 1. Split invariance: the input is parsed whole and again fed in
 *    pseudo-random chunks (mixing resp_parser_feed and reserve/commit);
 *    both runs must yield the same commands and the same final status.
 *    At every command, what resp_parser_peek saw ahead must be what
 *    resp_parser_next then parses (or refuses).
 * 2. Round trip: the input is cut into arguments, encoded as a multibulk
 *    request with the reply writer's primitives and as a fully escaped
 *    inline request, and parsed back: both must give the arguments again.
 * Any difference aborts, which libFuzzer reports as a crash.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "resp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A growable record of what a parse produced. */
typedef struct rec {
    char *s;
    size_t len, cap;
} rec_t;

static void rec_add(rec_t *r, const void *p, size_t n)
{
    if (r->len + n > r->cap) {
        r->cap = (r->len + n) * 2 + 64;
        r->s = realloc(r->s, r->cap);
        if (!r->s) abort();
    }
    if (n) memcpy(r->s + r->len, p, n);
    r->len += n;
}

static void rec_cmd(rec_t *r, const resp_cmd_t *c)
{
    int i;

    rec_add(r, &c->argc, sizeof(c->argc));
    rec_add(r, &c->inline_cmd, sizeof(c->inline_cmd));
    for (i = 0; i < c->argc; i++) {
        rec_add(r, &c->argv[i].len, sizeof(c->argv[i].len));
        rec_add(r, c->argv[i].ptr, c->argv[i].len);
    }
}

static void rec_status(rec_t *r, const resp_parser_t *p, int st)
{
    rec_add(r, &st, sizeof(st));
    if (st == RESP_ERR_PROTO) {
        const char *e = resp_parser_error(p);
        if (!e) abort();
        rec_add(r, e, strlen(e));
    }
}

static uint64_t rng_next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* resp_parser_next, checking resp_parser_peek against it: a command the
 * look-ahead saw complete is the one parsed next (same arguments), or
 * the parser refuses it (a limit peek does not check). */
static int next_checked(resp_parser_t *p, resp_cmd_t *c)
{
    enum { MAX = 8 };
    resp_slice_t av[MAX];
    size_t off = 0;
    int argc = resp_parser_peek(p, &off, av, MAX), st;

    st = resp_parser_next(p, c);
    if (argc <= 0 || st < 0) return st;
    if (st == 0 || c->argc != argc || c->inline_cmd) abort();
    for (int i = 0; i < argc && i < MAX; i++)
        if (c->argv[i].len != av[i].len ||
            memcmp(c->argv[i].ptr, av[i].ptr, av[i].len) != 0)
            abort();
    return st;
}

/* Parse data in chunks (one chunk when seed is 0) into r. */
static void run(const uint8_t *data, size_t size, uint64_t seed,
                const resp_limits_t *lim, rec_t *r)
{
    resp_parser_t p;
    resp_cmd_t c;
    size_t at = 0;
    int st = 0;

    resp_parser_init(&p, lim);
    while (at < size && st >= 0) {
        size_t n = seed ? 1 + rng_next(&seed) % 64 : size;
        if (n > size - at) n = size - at;
        if (seed && (seed & 256)) {
            /* Sometimes ask for one byte more than is free: this compacts
             * or grows the buffer under a half-parsed command. */
            size_t hint =
                (seed & 512) && p.cap < (1u << 20) ? p.cap - p.len + 1 : n;
            size_t avail;
            char *dst = resp_parser_reserve(&p, hint, &avail);
            if (!dst || avail < n || avail < hint) abort();
            memcpy(dst, data + at, n);
            resp_parser_commit(&p, n);
        } else {
            st = resp_parser_feed(&p, (const char *)data + at, n);
        }
        at += n;
        while (st >= 0 && (st = next_checked(&p, &c)) == 1)
            rec_cmd(r, &c);
    }
    if (size == 0) st = resp_parser_next(&p, &c);
    rec_status(r, &p, st);
    resp_parser_fini(&p);
}

static void check_split_invariance(const uint8_t *data, size_t size,
                                   const resp_limits_t *lim, uint64_t seed)
{
    rec_t a = {0}, b = {0};

    run(data, size, 0, lim, &a);
    run(data, size, seed | 1, lim, &b);
    if (a.len != b.len || memcmp(a.s, b.s, a.len) != 0) abort();
    free(a.s);
    free(b.s);
}

/* Append arg as a double-quoted inline token escaping every byte. */
static void inline_arg(rec_t *r, const uint8_t *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    size_t i;

    rec_add(r, " \"", 2);
    for (i = 0; i < n; i++) {
        char e[4] = {'\\', 'x', hex[s[i] >> 4], hex[s[i] & 15]};
        rec_add(r, e, 4);
    }
    rec_add(r, "\"", 1);
}

/* Cut data into argc pieces, encode them twice, parse both back. */
static void check_round_trip(const uint8_t *data, size_t size)
{
    size_t argc = size ? 1 + data[0] % 8 : 1, i, each, k;
    resp_buf_t w;
    rec_t in = {0};
    resp_parser_t p;
    resp_cmd_t c;

    each = size / argc;
    resp_buf_init(&w, 2);
    resp_write_array_len(&w, (int64_t)argc);
    rec_add(&in, "PING", 4);
    for (i = 0; i < argc; i++) {
        size_t n = i + 1 == argc ? size - each * i : each;
        resp_write_bulk(&w, (const char *)data + each * i, n);
        inline_arg(&in, data + each * i, n);
    }
    rec_add(&in, "\r\n", 2);
    if (w.oom) abort();
    resp_parser_init(&p, NULL);
    if (resp_parser_feed(&p, w.data, w.len) != 0 ||
        resp_parser_feed(&p, in.s, in.len) != 0)
        abort();
    for (k = 0; k < 2; k++) {
        size_t skip = k; /* the inline copy starts with PING */
        if (resp_parser_next(&p, &c) != 1 || c.argc != (int)(argc + skip) ||
            c.inline_cmd != (int)k)
            abort();
        for (i = 0; i < argc; i++) {
            size_t n = i + 1 == argc ? size - each * i : each;
            if (c.argv[i + skip].len != n ||
                (n && memcmp(c.argv[i + skip].ptr, data + each * i, n)))
                abort();
        }
    }
    if (resp_parser_next(&p, &c) != 0) abort();
    resp_parser_fini(&p);
    resp_buf_fini(&w);
    free(in.s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    resp_limits_t lim;
    uint64_t seed = 0x9e3779b97f4a7c15ULL;
    size_t i;

    for (i = 0; i < size; i++)
        seed = (seed ^ data[i]) * 0x100000001b3ULL;
    resp_limits_default(&lim);
    check_split_invariance(data, size, &lim, seed);
    /* Tight limits reach the "too big" and "invalid length" paths. */
    lim.max_inline_len = 16;
    lim.max_args = 4;
    lim.max_bulk_len = 40;
    check_split_invariance(data, size, &lim, seed >> 7);
    resp_limits_unauthenticated(&lim);
    check_split_invariance(data, size, &lim, seed >> 13);
    if (size <= 60000) check_round_trip(data, size);
    return 0;
}
