/*
 * util.c - argument helpers for command handlers and the string utilities
 * that must behave exactly as Redis's (integer and float parsing, glob
 * matching, long double formatting, memory units).
 *
 * Everything here is pure (no global state) except the *_or_reply helpers,
 * which reply to the client on failure. Executor thread for those; any
 * thread for the rest.
 */
#include "server.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Longest text Redis accepts as a long double (MAX_LONG_DOUBLE_CHARS). */
#define LD_MAX_CHARS (5 * 1024)

/* Patterns nested deeper than this (stars) never match (Redis's guard
 * against abusive patterns, CVE-2022-36021). */
#define GLOB_MAX_NESTING 1000

/* ---------------------------------------------------------------------
 * Arguments
 * ------------------------------------------------------------------ */

/* Case-insensitive comparison of argument a with the C string s: 1 when
 * equal, else 0. */
int srv_arg_is(const resp_slice_t *a, const char *s)
{
    size_t n = strlen(s);

    return a->len == n && strncasecmp(a->ptr, s, n) == 0;
}

/* Parse a as an int64 (Redis's string2ll rules). On failure replies msg
 * (NULL: "ERR value is not an integer or out of range") and returns -1. */
int srv_arg_ll_or_reply(srv_client_t *c, const resp_slice_t *a, int64_t *out,
                        const char *msg)
{
    if (srv_parse_ll(a->ptr, a->len, out) == 0)
        return 0;
    if (msg)
        srv_reply_error(c, msg);
    else
        srv_reply_not_integer(c);
    return -1;
}

/* As srv_arg_ll_or_reply, also requiring min <= value <= max (Redis's
 * getRangeLongFromObjectOrReply): out of range replies msg, or with msg
 * NULL "ERR value is out of range, value must between <min> and <max>". */
int srv_arg_range_or_reply(srv_client_t *c, const resp_slice_t *a,
                           int64_t min, int64_t max, int64_t *out,
                           const char *msg)
{
    int64_t v;

    if (srv_arg_ll_or_reply(c, a, &v, msg) < 0)
        return -1;
    if (v < min || v > max) {
        if (msg)
            srv_reply_error(c, msg);
        else
            srv_reply_errorf(c, "ERR value is out of range, value must "
                                "between %lld and %lld",
                             (long long)min, (long long)max);
        return -1;
    }
    *out = v;
    return 0;
}

/* Parse a as a double; on failure reply msg (NULL: "ERR value is not a
 * valid float") and return -1. */
int srv_arg_double_or_reply(srv_client_t *c, const resp_slice_t *a,
                            double *out, const char *msg)
{
    if (srv_parse_double(a->ptr, a->len, out) == 0)
        return 0;
    if (msg)
        srv_reply_error(c, msg);
    else
        srv_reply_not_float(c);
    return -1;
}

/* Parse s[0..len) as a long double as Redis's string2ld: at most
 * LD_MAX_CHARS-1 bytes, no leading space, the whole string, no nan, no
 * overflow. 0 / -1. */
static int parse_long_double(const char *s, size_t len, long double *out)
{
    char buf[LD_MAX_CHARS];
    char *end;
    long double v;

    if (len == 0 || len >= sizeof(buf))
        return -1;
    memcpy(buf, s, len);
    buf[len] = '\0';
    if (isspace((unsigned char)buf[0]))
        return -1;
    errno = 0;
    v = strtold(buf, &end);
    if ((size_t)(end - buf) != len || isnan(v))
        return -1;
    if (errno == ERANGE &&
        (v == HUGE_VALL || v == -HUGE_VALL || fpclassify(v) == FP_ZERO))
        return -1;
    *out = v;
    return 0;
}

/* Parse a as a long double (INCRBYFLOAT); on failure reply msg (NULL:
 * "ERR value is not a valid float") and return -1. */
int srv_arg_long_double_or_reply(srv_client_t *c, const resp_slice_t *a,
                                 long double *out, const char *msg)
{
    if (parse_long_double(a->ptr, a->len, out) == 0)
        return 0;
    if (msg)
        srv_reply_error(c, msg);
    else
        srv_reply_not_float(c);
    return -1;
}

/* ---------------------------------------------------------------------
 * Numbers
 * ------------------------------------------------------------------ */

/* int64 from s[0..len) with Redis's string2ll rules. 0 / -1. */
int srv_parse_ll(const char *s, size_t len, int64_t *out)
{
    return resp_str2ll(s, len, out) == 1 ? 0 : -1; /* 1 = parsed */
}

/* double from s[0..len) with Redis's string2d rules: strtod over the whole
 * string, no leading space, no nan, overflow and underflow to zero
 * rejected. 0 / -1. */
int srv_parse_double(const char *s, size_t len, double *out)
{
    char small[128];
    char *buf = small;
    char *end;
    double v;
    int rc = -1;

    if (len == 0 || isspace((unsigned char)s[0]))
        return -1;
    if (len >= sizeof(small)) {
        buf = malloc(len + 1);
        if (!buf)
            return -1;
    }
    memcpy(buf, s, len);
    buf[len] = '\0';
    errno = 0;
    v = strtod(buf, &end);
    if ((size_t)(end - buf) == len && !isnan(v) &&
        !(errno == ERANGE &&
          (v == HUGE_VAL || v == -HUGE_VAL || fpclassify(v) == FP_ZERO))) {
        *out = v;
        rc = 0;
    }
    if (buf != small)
        free(buf);
    return rc;
}

/* Format v as INCRBYFLOAT replies it (Redis's ld2string, human mode):
 * "%.17Lf" with trailing zeros (and a bare '.') removed, "-0" as "0",
 * infinities as "inf"/"-inf". Returns the length (NUL-terminated), or 0
 * when size is too small. */
size_t srv_ld2str(char *buf, size_t size, long double v)
{
    int n;
    size_t l;

    if (isinf(v)) {
        const char *t = v > 0 ? "inf" : "-inf";

        l = strlen(t);
        if (size < l + 1)
            return 0;
        memcpy(buf, t, l + 1);
        return l;
    }
    n = snprintf(buf, size, "%.17Lf", v);
    if (n < 0 || (size_t)n + 1 > size)
        return 0;
    l = (size_t)n;
    if (memchr(buf, '.', l)) {
        while (l > 0 && buf[l - 1] == '0')
            l--;
        if (l > 0 && buf[l - 1] == '.')
            l--;
    }
    if (l == 2 && buf[0] == '-' && buf[1] == '0') {
        buf[0] = '0';
        l = 1;
    }
    buf[l] = '\0';
    return l;
}

/* Bytes from a memory string as Redis's memtoull: digits then an optional
 * unit b, k (1000), kb (1024), m, mb, g, gb, case-insensitive. No sign,
 * nothing else. 0 / -1 (also on overflow of int64). */
int srv_parse_memory(const char *s, int64_t *out)
{
    static const struct {
        const char *unit;
        uint64_t mul;
    } units[] = {
        {"", 1}, {"b", 1}, {"k", 1000}, {"kb", 1024},
        {"m", 1000 * 1000}, {"mb", 1024 * 1024},
        {"g", 1000ull * 1000 * 1000}, {"gb", 1024ull * 1024 * 1024},
    };
    const char *u = s;
    uint64_t mul = 0, val = 0;
    size_t i;

    while (*u >= '0' && *u <= '9')
        u++;
    for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        if (strcasecmp(u, units[i].unit) == 0) {
            mul = units[i].mul;
            break;
        }
    }
    if (mul == 0 || u - s > 20)
        return -1;
    for (const char *p = s; p < u; p++) {
        uint64_t d = (uint64_t)(*p - '0');

        if (val > (UINT64_MAX - d) / 10)
            return -1;
        val = val * 10 + d;
    }
    if (val > (uint64_t)INT64_MAX / mul)
        return -1;
    *out = (int64_t)(val * mul);
    return 0;
}

/* ---------------------------------------------------------------------
 * Glob matching (Redis's stringmatchlen semantics)
 * ------------------------------------------------------------------ */

/* Lower-case c as Redis does (tolower of a signed char value). */
static int fold(int c, int nocase)
{
    return nocase ? tolower((unsigned char)c) : c;
}

/* Match one character class starting after '[' at *pp (updated to the
 * closing ']' or the last pattern byte) against the byte ch. Returns 1 if
 * ch is in the class (after '^' negation). */
static int glob_class(const char **pp, size_t *plenp, char ch, int nocase)
{
    const char *p = *pp;
    size_t plen = *plenp;
    int negate = 0, match = 0;

    if (plen > 0 && p[0] == '^') {
        negate = 1;
        p++;
        plen--;
    }
    for (;;) {
        if (plen >= 2 && p[0] == '\\') {
            p++;
            plen--;
            if (p[0] == ch)
                match = 1;
        } else if (plen == 0) {
            /* Unterminated class: step back so the caller's advance lands
             * on the end of the pattern. */
            p--;
            plen++;
            break;
        } else if (p[0] == ']') {
            break;
        } else if (plen >= 3 && p[1] == '-') {
            int lo = fold(p[0], nocase), hi = fold(p[2], nocase);
            int x = fold(ch, nocase);

            if (lo > hi) {
                int t = lo;
                lo = hi;
                hi = t;
            }
            p += 2;
            plen -= 2;
            if (x >= lo && x <= hi)
                match = 1;
        } else if (fold(p[0], nocase) == fold(ch, nocase)) {
            match = 1;
        }
        p++;
        plen--;
    }
    *pp = p;
    *plenp = plen;
    return negate ? !match : match;
}

/* The matcher proper. *skip_longer is set once a '*' has tried every
 * suffix in vain: then no earlier '*' can succeed either. */
static int glob_impl(const char *p, size_t plen, const char *s, size_t slen,
                     int nocase, int *skip_longer, int nesting)
{
    if (nesting > GLOB_MAX_NESTING)
        return 0;
    while (plen > 0 && slen > 0) {
        switch (p[0]) {
        case '*':
            while (plen >= 2 && p[1] == '*') {
                p++;
                plen--;
            }
            if (plen == 1)
                return 1;
            while (slen > 0) {
                if (glob_impl(p + 1, plen - 1, s, slen, nocase, skip_longer,
                              nesting + 1))
                    return 1;
                if (*skip_longer)
                    return 0;
                s++;
                slen--;
            }
            *skip_longer = 1;
            return 0;
        case '?':
            s++;
            slen--;
            break;
        case '[':
            p++;
            plen--;
            if (!glob_class(&p, &plen, s[0], nocase))
                return 0;
            s++;
            slen--;
            break;
        case '\\':
            if (plen >= 2) {
                p++;
                plen--;
            }
            /* fall through */
        default:
            if (fold(p[0], nocase) != fold(s[0], nocase))
                return 0;
            s++;
            slen--;
            break;
        }
        p++;
        plen--;
        if (slen == 0) {
            while (plen > 0 && p[0] == '*') {
                p++;
                plen--;
            }
            break;
        }
    }
    return plen == 0 && slen == 0;
}

/* 1 if s[0..slen) matches the glob pattern pat[0..plen), else 0. */
int srv_glob_match(const char *pat, size_t plen, const char *s, size_t slen,
                   int nocase)
{
    int skip_longer = 0;

    return glob_impl(pat, plen, s, slen, nocase, &skip_longer, 0);
}
