/*
 * test_resp_parser.c - protocol/resp_parser.c: multibulk and inline
 * parsing, every way of splitting the input, Redis's exact error texts,
 * limits, zero-copy reserve/commit and allocation failures.
 */
/* cmocka.h needs these first. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "resp.h"

/* ---------------------------------------------------------------------
 * Helpers: run a parser over input split in some way and record what it
 * produced as text, "argc:len=bytes,len=bytes;" per command, then the
 * final status ("more", or "ERR <text>", or "NOMEM").
 * ------------------------------------------------------------------ */

typedef struct out {
    char *s;
    size_t len, cap;
} out_t;

static void out_add(out_t *o, const char *s, size_t n)
{
    if (o->len + n + 1 > o->cap) {
        o->cap = (o->len + n + 1) * 2;
        o->s = realloc(o->s, o->cap);
        assert_non_null(o->s);
    }
    memcpy(o->s + o->len, s, n);
    o->len += n;
    o->s[o->len] = '\0';
}

static void out_fmt(out_t *o, const char *fmt, long long v)
{
    char tmp[64];
    int n = snprintf(tmp, sizeof(tmp), fmt, v);

    out_add(o, tmp, (size_t)n);
}

static void out_cmd(out_t *o, const resp_cmd_t *c)
{
    int i;

    out_fmt(o, "%lld:", c->argc);
    if (c->inline_cmd) out_add(o, "i:", 2);
    for (i = 0; i < c->argc; i++) {
        out_fmt(o, "%lld=", (long long)c->argv[i].len);
        out_add(o, c->argv[i].ptr, c->argv[i].len);
        out_add(o, ",", 1);
    }
    out_add(o, ";", 1);
}

/* Drain every ready command into o; returns the last status. */
static int drain(resp_parser_t *p, out_t *o)
{
    resp_cmd_t c;
    int r;

    while ((r = resp_parser_next(p, &c)) == 1)
        out_cmd(o, &c);
    return r;
}

static void out_status(out_t *o, resp_parser_t *p, int r)
{
    if (r == 0) {
        out_add(o, "more", 4);
    } else if (r == RESP_ERR_PROTO) {
        out_add(o, "ERR ", 4);
        out_add(o, resp_parser_error(p), strlen(resp_parser_error(p)));
    } else {
        out_add(o, "NOMEM", 5);
    }
}

/* Feed `in` in chunks whose sizes come from cuts[] (0-terminated list of
 * chunk lengths, the rest in one piece), draining after each feed. */
static char *run_chunks(const char *in, size_t len, const size_t *cuts,
                        size_t ncuts, const resp_limits_t *lim)
{
    resp_parser_t p;
    out_t o = {0};
    size_t at = 0, i = 0;
    int r = 0;

    resp_parser_init(&p, lim);
    while (at < len && r >= 0) {
        size_t n = i < ncuts ? cuts[i++] : len - at;
        if (n > len - at) n = len - at;
        r = resp_parser_feed(&p, in + at, n);
        at += n;
        if (r >= 0) r = drain(&p, &o);
    }
    if (len == 0) r = drain(&p, &o);
    out_status(&o, &p, r);
    resp_parser_fini(&p);
    out_add(&o, "", 0);
    return o.s;
}

static char *run_whole(const char *in, size_t len, const resp_limits_t *lim)
{
    return run_chunks(in, len, NULL, 0, lim);
}

/* The same, through reserve/commit with a small read size. */
static char *run_reserve(const char *in, size_t len, size_t step,
                         const resp_limits_t *lim)
{
    resp_parser_t p;
    out_t o = {0};
    size_t at = 0, avail;
    int r = 0;

    resp_parser_init(&p, lim);
    while (at < len && r >= 0) {
        char *dst = resp_parser_reserve(&p, step, &avail);
        size_t n = len - at < step ? len - at : step;
        assert_non_null(dst);
        assert_true(avail >= step);
        memcpy(dst, in + at, n);
        resp_parser_commit(&p, n);
        at += n;
        r = drain(&p, &o);
    }
    out_status(&o, &p, r);
    resp_parser_fini(&p);
    return o.s;
}

/* Through reserve/commit asking each time for one byte more than is
 * free, so that the buffer is compacted (or grown) under a command that
 * is half parsed; reads are 1..64 bytes. */
static char *run_compacting(const char *in, size_t len,
                            const resp_limits_t *lim)
{
    resp_parser_t p;
    out_t o = {0};
    size_t at = 0, avail;
    int r = 0;

    resp_parser_init(&p, lim);
    while (at < len && r >= 0) {
        size_t hint = p.cap < 1024 * 1024 ? p.cap - p.len + 1 : 64;
        size_t n = 1 + (size_t)rand() % 64;
        char *dst = resp_parser_reserve(&p, hint, &avail);
        assert_non_null(dst);
        assert_true(avail >= hint);
        if (n > len - at) n = len - at;
        memcpy(dst, in + at, n);
        resp_parser_commit(&p, n);
        at += n;
        r = drain(&p, &o);
    }
    out_status(&o, &p, r);
    resp_parser_fini(&p);
    return o.s;
}

/* Check that in parses identically whole, split at every position, byte
 * by byte, in random chunks and through reserve/commit. */
static void check_all_splits(const char *in, size_t len, int every_pos,
                             const resp_limits_t *lim, const char *expect)
{
    char *whole = run_whole(in, len, lim);
    size_t *ones = malloc((len + 1) * sizeof(size_t));
    size_t i, k;
    char *got;

    if (expect) assert_string_equal(whole, expect);
    for (i = 0; every_pos && i <= len; i++) {
        got = run_chunks(in, len, &i, 1, lim);
        assert_string_equal(got, whole);
        free(got);
    }
    for (i = 0; i <= len; i++)
        ones[i] = 1;
    if (every_pos || len < 300000) {
        got = run_chunks(in, len, ones, len, lim);
        assert_string_equal(got, whole);
        free(got);
    }
    for (k = 0; k < 20; k++) {
        size_t n = 0, sum = 0;
        while (sum < len) {
            ones[n] = 1 + (size_t)rand() % (k < 10 ? 8 : 5000);
            sum += ones[n++];
        }
        got = run_chunks(in, len, ones, n, lim);
        assert_string_equal(got, whole);
        free(got);
    }
    got = run_reserve(in, len, 7, lim);
    assert_string_equal(got, whole);
    free(got);
    got = run_reserve(in, len, 4096, lim);
    assert_string_equal(got, whole);
    free(got);
    for (k = 0; k < 5; k++) {
        got = run_compacting(in, len, lim);
        assert_string_equal(got, whole);
        free(got);
    }
    free(ones);
    free(whole);
}

#define S(lit) lit, sizeof(lit) - 1

/* ---------------------------------------------------------------------
 * Sample requests
 * ------------------------------------------------------------------ */

static void test_resp_parser_multibulk_set(void **state)
{
    check_all_splits(S("*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n"), 1,
                     NULL, "3:3=SET,3=key,5=value,;more");
}

static void test_resp_parser_pipeline_mixed(void **state)
{
    check_all_splits(S("*1\r\n$4\r\nPING\r\n*2\r\n$3\r\nGET\r\n$0\r\n\r\n"
                       "SET a b\r\nPING\n*0\r\n*-1\r\n\r\n   \n"
                       "*2\r\n$4\r\nECHO\r\n$10\r\n01\r\n45\n789\r\n"),
                     1, NULL,
                     "1:4=PING,;2:3=GET,0=,;3:i:3=SET,1=a,1=b,;1:i:4=PING,;"
                     "2:4=ECHO,10=01\r\n45\n789,;more");
}

static void test_resp_parser_binary_bulk(void **state)
{
    static const char in[] = "*2\r\n$4\r\nECHO\r\n$5\r\n\0\r\n\0\xff\r\n";
    resp_parser_t p;
    resp_cmd_t c;

    check_all_splits(in, sizeof(in) - 1, 1, NULL, NULL);
    resp_parser_init(&p, NULL);
    assert_int_equal(resp_parser_feed(&p, in, sizeof(in) - 1), 0);
    assert_int_equal(resp_parser_next(&p, &c), 1);
    assert_int_equal(c.argc, 2);
    assert_int_equal(c.argv[1].len, 5);
    assert_memory_equal(c.argv[1].ptr, "\0\r\n\0\xff", 5);
    assert_int_equal(resp_parser_next(&p, &c), 0);
    resp_parser_fini(&p);
}

static void test_resp_parser_inline_quotes(void **state)
{
    check_all_splits(S("SET \"a b\" 'c d'\r\n"
                       "ECHO \"\\x41\\x4a\\n\\r\\t\\b\\a\\\\\\\"\\q\"\n"
                       "ECHO \"\\xZZ\" 'it\\'s' 'a\\nb' \"\"\n"
                       "\t ECHO   a\"b c\"  x\t\r\n"
                       "A\vB \vC\n"
                       "ECHO \"a\" 'b'\r\n"),
                     1, NULL,
                     "3:i:3=SET,3=a b,3=c d,;"
                     "2:i:4=ECHO,10=AJ\n\r\t\b\a\\\"q,;"
                     "5:i:4=ECHO,3=xZZ,4=it's,4=a\\nb,0=,;"
                     "3:i:4=ECHO,4=ab c,1=x,;"
                     "2:i:3=A\vB,1=C,;"
                     "3:i:4=ECHO,1=a,1=b,;more");
}

static void test_resp_parser_inline_only_cr_stripped_once(void **state)
{
    check_all_splits(S("GET k\r\r\n"), 1, NULL, "2:i:3=GET,1=k,;more");
}

static void test_resp_parser_empty_lines_skipped(void **state)
{
    check_all_splits(S("\n\r\n \t \n*0\r\n*-5\r\nPING\n"), 1, NULL,
                     "1:i:4=PING,;more");
}

/* As in Redis, the two bytes after a bulk's data are skipped unchecked,
 * and a header line ends at its first '\r' whatever follows it. */
static void test_resp_parser_bulk_trailer_not_checked(void **state)
{
    check_all_splits(S("*1\r\n$4\r\nPINGxxPING\r\n*1\rX$1\r\na\r\n"), 1, NULL,
                     "1:4=PING,;1:i:4=PING,;1:1=a,;more");
}

static void test_resp_parser_incomplete_waits(void **state)
{
    static const char *const part[] = {
        "*",
        "*3",
        "*3\r",
        "*3\r\n$3\r\nSET",
        "*3\r\n$3\r\nSET\r\n$",
        "*1\r\n$4\r\nPING\r",
        "PING",
        "ECHO \"abc",
        "*1\r\n$70000\r\n",
    };
    size_t i;

    for (i = 0; i < sizeof(part) / sizeof(part[0]); i++) {
        char *got = run_whole(part[i], strlen(part[i]), NULL);
        assert_string_equal(got, "more");
        free(got);
    }
}

/* A command bigger than the first buffer and with more arguments than
 * the argv preallocation, in random chunks. */
static void test_resp_parser_big_and_many_args(void **state)
{
    static char in[600000];
    size_t n = 3000, i, len = 0;
    char *got;
    resp_parser_t p;
    resp_cmd_t c;

    len += (size_t)sprintf(in + len, "*%zu\r\n", n + 1);
    len += (size_t)sprintf(in + len, "$100000\r\n");
    memset(in + len, 'v', 100000);
    len += 100000;
    len += (size_t)sprintf(in + len, "\r\n");
    for (i = 0; i < n; i++)
        len += (size_t)sprintf(in + len, "$%zu\r\n%zu\r\n",
                               (size_t)snprintf(NULL, 0, "%zu", i), i);
    check_all_splits(in, len, 0, NULL, NULL);
    resp_parser_init(&p, NULL);
    assert_int_equal(resp_parser_feed(&p, in, len), 0);
    assert_int_equal(resp_parser_next(&p, &c), 1);
    assert_int_equal(c.argc, (int)n + 1);
    assert_int_equal(c.argv[0].len, 100000);
    assert_memory_equal(c.argv[2999].ptr, "2998", 4);
    assert_memory_equal(c.argv[3000].ptr, "2999", 4);
    resp_parser_fini(&p);
    got = run_whole(in, len, NULL);
    assert_non_null(strstr(got, ";more"));
    free(got);
}

/* A long pipeline, so buffers fill, compact and grow with a command
 * half parsed at every possible point. */
static void test_resp_parser_long_pipeline(void **state)
{
    static char in[200000];
    size_t len = 0;
    int i;

    for (i = 0; len < sizeof(in) - 200; i++) {
        switch (i % 4) {
        case 0:
            len += (size_t)sprintf(in + len,
                                   "*3\r\n$3\r\nSET\r\n$%d\r\nkey:%d\r\n"
                                   "$%d\r\n%0*d\r\n",
                                   snprintf(NULL, 0, "key:%d", i), i,
                                   i % 97 + 1, i % 97 + 1, 0);
            break;
        case 1:
            len += (size_t)sprintf(in + len, "GET \"key:%d\" 'x'\r\n", i);
            break;
        case 2:
            len += (size_t)sprintf(in + len, "*0\r\n\r\n");
            break;
        default:
            len += (size_t)sprintf(in + len, "*1\r\n$4\r\nPING\r\n");
        }
    }
    check_all_splits(in, len, 0, NULL, NULL);
}

static void test_resp_parser_argv_reused(void **state)
{
    resp_parser_t p;
    resp_cmd_t c;
    resp_slice_t *first = NULL;
    int i;

    resp_parser_init(&p, NULL);
    for (i = 0; i < 100; i++) {
        assert_int_equal(
            resp_parser_feed(&p, S("*2\r\n$3\r\nGET\r\n$1\r\nk\r\nGET k\n")),
            0);
        assert_int_equal(resp_parser_next(&p, &c), 1);
        if (i == 0) first = c.argv;
        assert_ptr_equal(c.argv, first);
        assert_int_equal(resp_parser_next(&p, &c), 1);
        assert_ptr_equal(c.argv, first);
        assert_int_equal(resp_parser_next(&p, &c), 0);
        assert_int_equal(resp_parser_pending(&p), 0);
    }
    resp_parser_fini(&p);
}

/* resp_parser_peek sees the complete multibulk commands ahead, stops at
 * an inline, incomplete or oversized one or inside a command, and
 * changes nothing resp_parser_next then returns. */
static void test_resp_parser_peek(void **state)
{
    static const char in[] = "*2\r\n$3\r\nGET\r\n$1\r\na\r\n"
                             "*3\r\n$3\r\nSET\r\n$2\r\nbb\r\n$2\r\nxy\r\n"
                             "PING\r\n*2\r\n$3\r\nGET\r\n$1\r\n";
    resp_parser_t p;
    resp_cmd_t c;
    resp_slice_t av[2];
    size_t off = 0, off2;

    (void)state;
    resp_parser_init(&p, NULL);
    assert_int_equal(resp_parser_peek(&p, &off, av, 2), 0); /* empty */
    assert_int_equal(resp_parser_feed(&p, in, sizeof(in) - 1), 0);
    assert_int_equal(resp_parser_peek(&p, &off, av, 2), 2);
    assert_int_equal(off, 20);
    assert_int_equal(av[1].len, 1);
    assert_memory_equal(av[1].ptr, "a", 1);
    av[1].len = 99; /* max 1: the second slice is left alone */
    assert_int_equal(resp_parser_peek(&p, &off, av, 1), 3);
    assert_int_equal(av[0].len, 3);
    assert_memory_equal(av[0].ptr, "SET", 3);
    assert_int_equal(av[1].len, 99);
    off2 = off;
    assert_int_equal(resp_parser_peek(&p, &off, av, 2), 0); /* inline */
    assert_int_equal(off, off2);
    /* what the parser returns is unchanged */
    assert_int_equal(resp_parser_next(&p, &c), 1);
    assert_int_equal(c.argc, 2);
    off = 0;
    assert_int_equal(resp_parser_peek(&p, &off, av, 2), 3);
    assert_memory_equal(av[1].ptr, "bb", 2);
    assert_int_equal(resp_parser_next(&p, &c), 1);
    assert_int_equal(c.argc, 3);
    assert_memory_equal(c.argv[2].ptr, "xy", 2);
    assert_int_equal(resp_parser_next(&p, &c), 1);
    assert_int_equal(c.inline_cmd, 1);
    off = 0;
    assert_int_equal(resp_parser_peek(&p, &off, av, 2), 0); /* incomplete */
    assert_int_equal(resp_parser_next(&p, &c), 0);
    off = 0; /* inside a command now */
    assert_int_equal(resp_parser_feed(&p, S("a\r\n")), 0);
    assert_int_equal(resp_parser_peek(&p, &off, av, 2), 0);
    assert_int_equal(resp_parser_next(&p, &c), 1);
    assert_memory_equal(c.argv[1].ptr, "a", 1);
    /* more arguments than RESP_PEEK_MAX_ARGS; a negative bulk length */
    assert_int_equal(resp_parser_feed(&p, S("*65\r\n$1\r\n")), 0);
    assert_int_equal(resp_parser_peek(&p, &off, av, 2), 0);
    resp_parser_fini(&p);
    resp_parser_init(&p, NULL);
    assert_int_equal(resp_parser_feed(&p, S("*1\r\n$-1\r\n")), 0);
    off = 0;
    assert_int_equal(resp_parser_peek(&p, &off, av, 2), 0);
    assert_int_equal(off, 0);
    resp_parser_fini(&p);
}

/* Slices of a multibulk command point into the parser's own buffer. */
static void test_resp_parser_multibulk_zero_copy(void **state)
{
    resp_parser_t p;
    resp_cmd_t c;

    resp_parser_init(&p, NULL);
    assert_int_equal(resp_parser_feed(&p, S("*1\r\n$4\r\nPING\r\n")), 0);
    assert_int_equal(resp_parser_next(&p, &c), 1);
    assert_ptr_equal(c.argv[0].ptr, p.buf + 8);
    resp_parser_fini(&p);
}

/* ---------------------------------------------------------------------
 * Hostile input: exact Redis error texts, whatever the split
 * ------------------------------------------------------------------ */

typedef struct hostile {
    const char *in;
    size_t len;
    const char *err;
} hostile_t;

#define H(lit, e)                                  \
    {                                              \
        lit, sizeof(lit) - 1, "Protocol error: " e \
    }

static void check_hostile(const hostile_t *h, size_t n,
                          const resp_limits_t *lim)
{
    size_t i;

    for (i = 0; i < n; i++) {
        char *want = malloc(strlen(h[i].err) + 5);
        sprintf(want, "ERR %s", h[i].err);
        check_all_splits(h[i].in, h[i].len, 1, lim, NULL);
        {
            char *got = run_whole(h[i].in, h[i].len, lim);
            char *at = strstr(got, "ERR ");
            if (!at || strcmp(at, want) != 0)
                fail_msg("input %zu: got '%s' want '%s'", i, got, want);
            free(got);
        }
        free(want);
    }
}

static void test_resp_parser_hostile_errors(void **state)
{
    static const hostile_t h[] = {
        H("*abc\r\n", "invalid multibulk length"),
        H("*\r\n", "invalid multibulk length"),
        H("*-0\r\n", "invalid multibulk length"),
        H("*+1\r\n", "invalid multibulk length"),
        H("*01\r\n", "invalid multibulk length"),
        H("* 1\r\n", "invalid multibulk length"),
        H("*2147483648\r\n", "invalid multibulk length"),
        H("*1048577\r\n", "invalid multibulk length"),
        H("*99999999999999999999999\r\n", "invalid multibulk length"),
        H("*1\r\n$-1\r\n", "invalid bulk length"),
        H("*1\r\n$\r\n", "invalid bulk length"),
        H("*1\r\n$abc\r\n", "invalid bulk length"),
        H("*1\r\n$536870913\r\n", "invalid bulk length"),
        H("*1\r\n$9223372036854775808\r\n", "invalid bulk length"),
        H("*2\r\n$3\r\nfoo\r\nx3\r\n", "expected '$', got 'x'"),
        H("*1\r\n:1\r\n", "expected '$', got ':'"),
        H("*1\r\n\r\n", "expected '$', got ' '"),
        H("*1\r\n\r\r\n", "expected '$', got ' '"),
        H("*1\r$4\r\nPING\r\n", "expected '$', got '4'"),
        H("*2\r\n$1\r\na\r\n*1\r\n", "expected '$', got '*'"),
        H("ECHO \"abc\n", "unbalanced quotes in request"),
        H("ECHO \"abc\"d\n", "unbalanced quotes in request"),
        H("ECHO 'abc\n", "unbalanced quotes in request"),
        H("ECHO 'a'b\r\n", "unbalanced quotes in request"),
        H("ECHO \"a\\\"\n", "unbalanced quotes in request"),
        H("ECHO \"a\\\n", "unbalanced quotes in request"),
        H("PING\nECHO 'x\n", "unbalanced quotes in request"),
    };

    check_hostile(h, sizeof(h) / sizeof(h[0]), NULL);
}

/* Lines over max_inline_len (64 KB), terminated or not. */
static void test_resp_parser_too_big_lines(void **state)
{
    size_t big = 65537, i;
    char *b = malloc(big + 64);
    char *got;
    static const struct {
        const char *prefix, *suffix, *err;
    } cases[] = {
        {"", "", "ERR Protocol error: too big inline request"},
        {"", "\n", "ERR Protocol error: too big inline request"},
        {"*", "", "ERR Protocol error: too big mbulk count string"},
        {"*", "\r\n", "ERR Protocol error: too big mbulk count string"},
        {"*1\r\n$", "", "ERR Protocol error: too big bulk count string"},
        {"*1\r\n$", "\r\n", "ERR Protocol error: too big bulk count string"},
    };

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t pl = strlen(cases[i].prefix), sl = strlen(cases[i].suffix);
        size_t fill = big - (pl ? 1 : 0);
        memcpy(b, cases[i].prefix, pl);
        memset(b + pl, '1', fill);
        memcpy(b + pl + fill, cases[i].suffix, sl);
        got = run_whole(b, pl + fill + sl, NULL);
        assert_string_equal(got, cases[i].err);
        free(got);
        check_all_splits(b, pl + fill + sl, 0, NULL, cases[i].err);
        /* One byte less is still waiting or is a (bad) line, not "big". */
        got = run_whole(b, pl + fill - 1, NULL);
        assert_string_equal(got, "more");
        free(got);
    }
    free(b);
}

static void test_resp_parser_unauthenticated_limits(void **state)
{
    static const hostile_t h[] = {
        H("*11\r\n", "unauthenticated multibulk length"),
        H("*2147483648\r\n", "invalid multibulk length"),
        H("*1\r\n$16385\r\n", "unauthenticated bulk length"),
        H("*1\r\n$600000000\r\n", "invalid bulk length"),
    };
    resp_limits_t lim;
    char *got;

    resp_limits_unauthenticated(&lim);
    check_hostile(h, sizeof(h) / sizeof(h[0]), &lim);
    got = run_whole(S("*10\r\n$16384\r\n"), &lim);
    assert_string_equal(got, "more");
    free(got);
}

static void test_resp_parser_too_many_args(void **state)
{
    static const hostile_t h[] = {
        H("*4\r\n", "invalid multibulk length"),
        H("*1\r\n$9\r\n", "invalid bulk length"),
    };
    resp_limits_t lim;
    char *got;

    resp_limits_default(&lim);
    lim.max_args = 3;
    lim.max_bulk_len = 8;
    check_hostile(h, sizeof(h) / sizeof(h[0]), &lim);
    got = run_whole(S("*3\r\n$8\r\n12345678\r\n"), &lim);
    assert_string_equal(got, "more");
    free(got);
}

static void test_resp_parser_errors_are_sticky(void **state)
{
    resp_parser_t p;
    resp_cmd_t c;

    resp_parser_init(&p, NULL);
    assert_null(resp_parser_error(&p));
    assert_int_equal(resp_parser_feed(&p, S("PING\n*x\r\nPING\n")), 0);
    assert_int_equal(resp_parser_next(&p, &c), 1);
    assert_int_equal(resp_parser_next(&p, &c), RESP_ERR_PROTO);
    assert_string_equal(resp_parser_error(&p),
                        "Protocol error: invalid multibulk length");
    assert_int_equal(resp_parser_next(&p, &c), RESP_ERR_PROTO);
    assert_int_equal(resp_parser_feed(&p, S("PING\n")), RESP_ERR_PROTO);
    assert_int_equal(resp_parser_next(&p, &c), RESP_ERR_PROTO);
    assert_string_equal(resp_parser_error(&p),
                        "Protocol error: invalid multibulk length");
    resp_parser_fini(&p);
}

/* resp_parser_release_idle frees the buffer only between commands; the
 * parser keeps working afterwards. */
static void test_resp_parser_release_idle(void **state)
{
    resp_parser_t p;
    resp_cmd_t c;

    (void)state;
    resp_parser_init(&p, NULL);
    assert_int_equal(resp_parser_release_idle(&p), 0); /* nothing yet */
    assert_int_equal(resp_parser_feed(&p, S("*1\r\n$4\r\nPING\r\n*1\r\n")), 0);
    assert_int_equal(resp_parser_next(&p, &c), 1);
    /* Half a command is buffered: not idle. */
    assert_int_equal(resp_parser_release_idle(&p), 0);
    assert_true(p.cap > 0);
    assert_int_equal(resp_parser_feed(&p, S("$4\r\nPONG\r\n")), 0);
    assert_int_equal(resp_parser_next(&p, &c), 1);
    assert_int_equal(c.argc, 1);
    assert_memory_equal(c.argv[0].ptr, "PONG", 4);
    assert_true(resp_parser_release_idle(&p) > 0);
    assert_int_equal(p.cap, 0);
    assert_int_equal(resp_parser_pending(&p), 0);
    assert_int_equal(resp_parser_next(&p, &c), 0);
    assert_int_equal(resp_parser_feed(&p, S("*1\r\n$3\r\nGET\r\n")), 0);
    assert_int_equal(resp_parser_next(&p, &c), 1);
    assert_memory_equal(c.argv[0].ptr, "GET", 3);
    resp_parser_fini(&p);
}

static void test_resp_parser_query_buffer_limit(void **state)
{
    resp_limits_t lim;
    resp_parser_t p;
    resp_cmd_t c;
    size_t avail;
    char *dst;

    resp_limits_default(&lim);
    lim.max_query_buf = 16;
    resp_parser_init(&p, &lim);
    assert_int_equal(resp_parser_feed(&p, S("*1\r\n$30\r\n")), 0);
    assert_int_equal(resp_parser_next(&p, &c), 0);
    assert_int_equal(resp_parser_pending(&p), 9);
    assert_int_equal(resp_parser_feed(&p, S("12345678")), RESP_ERR_PROTO);
    assert_string_equal(resp_parser_error(&p),
                        "Protocol error: query buffer limit exceeded");
    resp_parser_fini(&p);

    resp_parser_init(&p, &lim);
    dst = resp_parser_reserve(&p, 64, &avail);
    assert_non_null(dst);
    memset(dst, 'x', 17);
    resp_parser_commit(&p, 17);
    assert_int_equal(resp_parser_next(&p, &c), RESP_ERR_PROTO);
    resp_parser_fini(&p);
}

static void test_resp_parser_set_limits_between_commands(void **state)
{
    resp_limits_t lim;
    resp_parser_t p;
    resp_cmd_t c;

    resp_limits_unauthenticated(&lim);
    resp_parser_init(&p, &lim);
    assert_int_equal(resp_parser_feed(&p, S("AUTH pw\n")), 0);
    assert_int_equal(resp_parser_next(&p, &c), 1);
    resp_limits_default(&lim);
    resp_parser_set_limits(&p, &lim);
    assert_int_equal(resp_parser_feed(&p, S("*11\r\n")), 0);
    assert_int_equal(resp_parser_next(&p, &c), 0);
    resp_parser_fini(&p);
}

/* ---------------------------------------------------------------------
 * reserve/commit: big bulks are read in place
 * ------------------------------------------------------------------ */

static void test_resp_parser_reserve_big_bulk_in_place(void **state)
{
    static const char hdr[] = "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$16777216\r\n";
    size_t big = 16777216, first = 1000, avail, done;
    resp_parser_t p;
    resp_cmd_t c;
    char *dst, *region;

    resp_parser_init(&p, NULL);
    dst = resp_parser_reserve(&p, 16384, &avail);
    assert_true(avail >= 16384);
    memcpy(dst, hdr, sizeof(hdr) - 1);
    memset(dst + sizeof(hdr) - 1, 'a', first);
    resp_parser_commit(&p, sizeof(hdr) - 1 + first);
    assert_int_equal(resp_parser_next(&p, &c), 0);

    /* One reservation covers the rest of the payload and its CRLF. */
    region = resp_parser_reserve(&p, 16384, &avail);
    assert_non_null(region);
    assert_true(avail >= big - first + 2);
    done = 0;
    while (done < big - first) {
        size_t n = big - first - done < 65536 ? big - first - done : 65536;
        dst = resp_parser_reserve(&p, 16384, &avail);
        /* No further move: the payload is never copied again. */
        assert_ptr_equal(dst, region + done);
        memset(dst, 'b', n);
        resp_parser_commit(&p, n);
        done += n;
        assert_int_equal(resp_parser_next(&p, &c), 0);
    }
    dst = resp_parser_reserve(&p, 16, &avail);
    memcpy(dst, "\r\n", 2);
    resp_parser_commit(&p, 2);
    assert_int_equal(resp_parser_next(&p, &c), 1);
    assert_int_equal(c.argc, 3);
    assert_int_equal(c.argv[2].len, big);
    assert_ptr_equal(c.argv[2].ptr + first, region);
    assert_int_equal(c.argv[2].ptr[0], 'a');
    assert_int_equal(c.argv[2].ptr[big - 1], 'b');

    /* Once idle, the oversized buffer is given back. */
    dst = resp_parser_reserve(&p, 16384, &avail);
    assert_non_null(dst);
    assert_true(p.cap < 1024 * 1024);
    resp_parser_fini(&p);
}

/* ---------------------------------------------------------------------
 * Allocation failures
 * ------------------------------------------------------------------ */

static long fail_after; /* allocations left before failing; <0: never */
static long live;       /* blocks currently allocated */

static void *t_malloc(size_t n)
{
    void *m;

    if (fail_after == 0) return NULL;
    if (fail_after > 0) fail_after--;
    m = malloc(n);
    if (m) live++;
    return m;
}

static void *t_realloc(void *o, size_t n)
{
    void *m;

    if (fail_after == 0) return NULL;
    if (fail_after > 0) fail_after--;
    m = realloc(o, n);
    if (m && !o) live++;
    return m;
}

static void t_free(void *o)
{
    if (o) live--;
    free(o);
}

static void test_resp_parser_nomem_injection(void **state)
{
    static const char in[] = "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n"
                             "A B C D E F G H I J K L M N O P Q R\n";
    long n;
    int ok = 0;

    resp_set_allocator(t_malloc, t_realloc, t_free);
    for (n = 0; n < 20; n++) {
        size_t at;
        for (at = 0; at <= 8; at += 4) {
            resp_parser_t p;
            resp_cmd_t c;
            int r = 0, cmds = 0;
            size_t i;
            fail_after = n;
            live = 0;
            resp_parser_init(&p, NULL);
            for (i = 0; i < sizeof(in) - 1 && r >= 0; i += at ? at : 64) {
                size_t len = sizeof(in) - 1 - i;
                if (len > (at ? at : 64)) len = at ? at : 64;
                r = resp_parser_feed(&p, in + i, len);
                while (r >= 0 && (r = resp_parser_next(&p, &c)) == 1)
                    cmds++;
            }
            if (r == 0) {
                assert_int_equal(cmds, 2);
                ok++;
            } else {
                assert_int_equal(r, RESP_ERR_NOMEM);
                assert_null(resp_parser_error(&p));
                assert_int_equal(resp_parser_next(&p, &c), RESP_ERR_NOMEM);
            }
            resp_parser_fini(&p);
            assert_int_equal(live, 0);
        }
    }
    assert_true(ok > 0);
    fail_after = 0;
    {
        resp_parser_t p;
        size_t avail;
        resp_parser_init(&p, NULL);
        assert_null(resp_parser_reserve(&p, 100, &avail));
        assert_int_equal(avail, 0);
        resp_parser_fini(&p);
    }
    resp_set_allocator(NULL, NULL, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_resp_parser_multibulk_set),
        cmocka_unit_test(test_resp_parser_pipeline_mixed),
        cmocka_unit_test(test_resp_parser_binary_bulk),
        cmocka_unit_test(test_resp_parser_inline_quotes),
        cmocka_unit_test(test_resp_parser_inline_only_cr_stripped_once),
        cmocka_unit_test(test_resp_parser_empty_lines_skipped),
        cmocka_unit_test(test_resp_parser_bulk_trailer_not_checked),
        cmocka_unit_test(test_resp_parser_incomplete_waits),
        cmocka_unit_test(test_resp_parser_big_and_many_args),
        cmocka_unit_test(test_resp_parser_long_pipeline),
        cmocka_unit_test(test_resp_parser_argv_reused),
        cmocka_unit_test(test_resp_parser_peek),
        cmocka_unit_test(test_resp_parser_multibulk_zero_copy),
        cmocka_unit_test(test_resp_parser_hostile_errors),
        cmocka_unit_test(test_resp_parser_too_big_lines),
        cmocka_unit_test(test_resp_parser_unauthenticated_limits),
        cmocka_unit_test(test_resp_parser_too_many_args),
        cmocka_unit_test(test_resp_parser_errors_are_sticky),
        cmocka_unit_test(test_resp_parser_release_idle),
        cmocka_unit_test(test_resp_parser_query_buffer_limit),
        cmocka_unit_test(test_resp_parser_set_limits_between_commands),
        cmocka_unit_test(test_resp_parser_reserve_big_bulk_in_place),
        cmocka_unit_test(test_resp_parser_nomem_injection),
    };

    srand(12345);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
