/*
 * config.c - the configuration: one table of directives, the redis.conf
 * style file and command-line loader, and the CONFIG command family.
 *
 * Design: every directive is a row of `directives[]` naming its field in
 * srv.cfg (by offset), its type operations, its default (as text, parsed
 * like any other value), its range and flags. Setting a value is two
 * phases: parse into a staged `cval_t` (may fail, changes nothing), then
 * store (cannot fail, takes ownership of the staged memory). CONFIG SET
 * stages every pair before storing any, which makes it atomic. Executor
 * thread only.
 */
#include "server.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"

/* ---------------------------------------------------------------------
 * Table types
 * ------------------------------------------------------------------ */

#define C_IMMUTABLE (1u << 0) /* CONFIG SET refuses it */
#define C_PROTECTED (1u << 1) /* CONFIG SET refuses it (protected) */
#define C_MULTI (1u << 2)     /* takes several words (bind, save, ...) */
#define C_NULL_EMPTY (1u << 3) /* string: "" is stored as NULL */
#define C_OCTAL (1u << 4)     /* integer written in octal */
#define C_LISTENER (1u << 5)  /* CONFIG SET re-opens the TCP listeners
                                 when the value changes */

#define ERRSZ 256
#define VALSZ 16384 /* first try for a value's text, and the longest
                       bind list */

/* A staged value: parsed, not yet stored. Owns s and d. */
typedef struct cval {
    int64_t n;
    char *s;
    double *d;
    size_t nd;
    srv_obuf_limit_t obl[SRV_CLIENT_CLASS_COUNT];
} cval_t;

typedef struct cdef cdef_t;

/* Operations of one value type. parse: text to staged value, 0 or -1 with
 * a message in err. fetch: the current value copied into v. store: v
 * moved into srv.cfg (v's memory is taken). format: text for CONFIG GET
 * (rewrite = 0) or for the config file (rewrite = 1). */
typedef struct ctype_ops {
    int (*parse)(const cdef_t *d, const char *s, cval_t *v, char *err);
    void (*fetch)(const cdef_t *d, cval_t *v);
    void (*store)(const cdef_t *d, cval_t *v);
    void (*format)(const cdef_t *d, const cval_t *v, char *buf,
                   size_t size, int rewrite);
} ctype_ops_t;

typedef struct cenum {
    const char *name;
    int value;
} cenum_t;

struct cdef {
    const char *name;
    const char *alias;       /* or NULL */
    const ctype_ops_t *ops;
    size_t off;              /* field in srv_config_t */
    int width;               /* integer field size: 4 or 8 */
    const char *dflt;        /* default, as config text */
    int64_t min, max;        /* integer range */
    unsigned flags;          /* C_* */
    const cenum_t *enums;    /* enum names, NULL-name terminated */
    /* Extra validation after parsing (may normalise v): 0 or -1 with a
     * message in err. */
    int (*check)(const cdef_t *d, cval_t *v, char *err);
};

/* ---------------------------------------------------------------------
 * Small helpers
 * ------------------------------------------------------------------ */

/* Address of d's field in srv.cfg. */
static void *field(const cdef_t *d)
{
    return (char *)&srv.cfg + d->off;
}

/* Free what a staged value owns and clear it. */
static void cval_clear(cval_t *v)
{
    free(v->s);
    free(v->d);
    memset(v, 0, sizeof(*v));
}

/* strdup that aborts on out of memory (config text is small and the
 * server cannot run with half a configuration). */
static char *xstrdup(const char *s)
{
    char *p = strdup(s ? s : "");

    if (!p) {
        fprintf(stderr, "gencached: out of memory\n");
        abort();
    }
    return p;
}

/* Case-insensitive equality of two C strings. */
static int eq_nocase(const char *a, const char *b)
{
    return strcasecmp(a, b) == 0;
}

/* Append a quoted, escaped copy of s (len bytes) to buf, as sdscatrepr. */
static void quote_into(char *buf, size_t size, const char *s, size_t len)
{
    size_t o = strlen(buf);

    for (size_t i = 0; i <= len && o + 5 < size; i++) {
        unsigned char ch = i < len ? (unsigned char)s[i] : 0;

        if (i == 0)
            buf[o++] = '"';
        if (i == len)
            break;
        if (ch == '\\' || ch == '"') {
            buf[o++] = '\\';
            buf[o++] = (char)ch;
        } else if (ch == '\n' || ch == '\r' || ch == '\t') {
            buf[o++] = '\\';
            buf[o++] = ch == '\n' ? 'n' : ch == '\r' ? 'r' : 't';
        } else if (isprint(ch)) {
            buf[o++] = (char)ch;
        } else {
            o += (size_t)snprintf(buf + o, size - o, "\\x%02x", ch);
        }
    }
    if (o + 1 < size)
        buf[o++] = '"';
    buf[o] = '\0';
}

/* Memory value with the largest exact unit, as Redis's rewrite does. */
static void format_memory(char *buf, size_t size, int64_t v)
{
    const int64_t gb = 1024LL * 1024 * 1024, mb = 1024LL * 1024;

    if (v != 0 && v % gb == 0)
        snprintf(buf, size, "%lldgb", (long long)(v / gb));
    else if (v != 0 && v % mb == 0)
        snprintf(buf, size, "%lldmb", (long long)(v / mb));
    else if (v != 0 && v % 1024 == 0)
        snprintf(buf, size, "%lldkb", (long long)(v / 1024));
    else
        snprintf(buf, size, "%lld", (long long)v);
}

/* ---------------------------------------------------------------------
 * Type operations: bool, int, memory, enum, string
 * ------------------------------------------------------------------ */

/* Read an integer field of width 4 or 8. */
static int64_t int_get(const cdef_t *d)
{
    if (d->width == 8)
        return *(int64_t *)field(d);
    return *(int *)field(d);
}

/* Write an integer field of width 4 or 8. */
static void int_put(const cdef_t *d, int64_t v)
{
    if (d->width == 8)
        *(int64_t *)field(d) = v;
    else
        *(int *)field(d) = (int)v;
}

/* Integer-like field (bool, int, memory, enum) into v->n. */
static void int_fetch(const cdef_t *d, cval_t *v)
{
    v->n = int_get(d);
}

/* Copy the container encoding thresholds of srv.cfg into the heap's
 * hp_limits, which containers read when they are created or grow. */
static void sync_heap_limits(void)
{
    hp_limits.list_max_listpack_size = srv.cfg.list_max_listpack_size;
    hp_limits.hash_max_listpack_entries =
        (size_t)srv.cfg.hash_max_listpack_entries;
    hp_limits.hash_max_listpack_value =
        (size_t)srv.cfg.hash_max_listpack_value;
    hp_limits.set_max_intset_entries = (size_t)srv.cfg.set_max_intset_entries;
    hp_limits.zset_max_listpack_entries =
        (size_t)srv.cfg.zset_max_listpack_entries;
    hp_limits.zset_max_listpack_value =
        (size_t)srv.cfg.zset_max_listpack_value;
    srv_gc_sync_config();
    srv_jemalloc_sync();
}

/* v->n into the integer-like field; v is cleared. The heap's thresholds
 * follow (defaults, config file, CONFIG SET). */
static void int_store(const cdef_t *d, cval_t *v)
{
    int_put(d, v->n);
    cval_clear(v);
    sync_heap_limits();
}

/* yes / no, case-insensitive. */
static int bool_parse(const cdef_t *d, const char *s, cval_t *v, char *err)
{
    if (eq_nocase(s, "yes")) {
        v->n = 1;
    } else if (eq_nocase(s, "no")) {
        v->n = 0;
    } else {
        snprintf(err, ERRSZ, "argument must be 'yes' or 'no'");
        return -1;
    }
    return 0;
}

/* "yes" or "no". */
static void bool_format(const cdef_t *d, const cval_t *v, char *buf,
                        size_t size, int rewrite)
{
    snprintf(buf, size, "%s", v->n ? "yes" : "no");
}

/* Check v->n against the directive's range. */
static int range_check(const cdef_t *d, const cval_t *v, char *err)
{
    if (v->n < d->min || v->n > d->max) {
        snprintf(err, ERRSZ, "argument must be between %lld and %lld "
                 "inclusive", (long long)d->min, (long long)d->max);
        return -1;
    }
    return 0;
}

/* Decimal integer (octal with C_OCTAL), whole string, in range. */
static int int_parse(const cdef_t *d, const char *s, cval_t *v, char *err)
{
    int64_t n;
    int bad;

    if (d->flags & C_OCTAL) {
        char *end;

        errno = 0;
        n = strtoll(s, &end, 8);
        bad = errno != 0 || *s == '\0' || *end != '\0';
    } else {
        bad = srv_parse_ll(s, strlen(s), &n) != 0;
    }
    if (bad) {
        snprintf(err, ERRSZ, "argument couldn't be parsed into an integer");
        return -1;
    }
    v->n = n;
    return range_check(d, v, err);
}

/* Decimal, or octal for C_OCTAL directives. */
static void int_format(const cdef_t *d, const cval_t *v, char *buf,
                       size_t size, int rewrite)
{
    if (d->flags & C_OCTAL)
        snprintf(buf, size, "%llo", (unsigned long long)v->n);
    else
        snprintf(buf, size, "%lld", (long long)v->n);
}

/* Memory value: a non-negative number with an optional unit. */
static int mem_parse(const cdef_t *d, const char *s, cval_t *v, char *err)
{
    int64_t n;

    if (*s == '-' || srv_parse_memory(s, &n) != 0) {
        snprintf(err, ERRSZ, "argument must be a memory value");
        return -1;
    }
    v->n = n;
    return range_check(d, v, err);
}

/* Bytes for CONFIG GET; the largest exact unit in the file. */
static void mem_format(const cdef_t *d, const cval_t *v, char *buf,
                       size_t size, int rewrite)
{
    if (rewrite)
        format_memory(buf, size, v->n);
    else
        snprintf(buf, size, "%lld", (long long)v->n);
}

/* One of the directive's names, case-insensitive. */
static int enum_parse(const cdef_t *d, const char *s, cval_t *v, char *err)
{
    size_t o;

    for (const cenum_t *e = d->enums; e->name; e++) {
        if (eq_nocase(s, e->name)) {
            v->n = e->value;
            return 0;
        }
    }
    o = (size_t)snprintf(err, ERRSZ,
                         "argument(s) must be one of the following: ");
    for (const cenum_t *e = d->enums; e->name && o < ERRSZ; e++)
        o += (size_t)snprintf(err + o, ERRSZ - o, "%s%s", e->name,
                              e[1].name ? ", " : "");
    return -1;
}

/* The enum value's name. */
static void enum_format(const cdef_t *d, const cval_t *v, char *buf,
                        size_t size, int rewrite)
{
    for (const cenum_t *e = d->enums; e->name; e++) {
        if (e->value == v->n) {
            snprintf(buf, size, "%s", e->name);
            return;
        }
    }
    snprintf(buf, size, "%lld", (long long)v->n);
}

/* Any string. */
static int str_parse(const cdef_t *d, const char *s, cval_t *v, char *err)
{
    v->s = xstrdup(s);
    return 0;
}

/* A copy of the string field (NULL reads as "") into v->s. */
static void str_fetch(const cdef_t *d, cval_t *v)
{
    v->s = xstrdup(*(char **)field(d));
}

/* v->s into the string field (old one freed); v is cleared. */
static void str_store(const cdef_t *d, cval_t *v)
{
    char **slot = field(d);

    free(*slot);
    *slot = v->s;
    v->s = NULL;
    if ((d->flags & C_NULL_EMPTY) && **slot == '\0') {
        free(*slot);
        *slot = NULL;
    }
    cval_clear(v);
}

/* Raw for CONFIG GET, quoted and escaped in the file. */
static void str_format(const cdef_t *d, const cval_t *v, char *buf,
                       size_t size, int rewrite)
{
    const char *s = v->s ? v->s : "";

    if (rewrite) {
        buf[0] = '\0';
        quote_into(buf, size, s, strlen(s));
    } else {
        snprintf(buf, size, "%s", s);
    }
}

static const ctype_ops_t t_bool = {bool_parse, int_fetch, int_store,
                                   bool_format};
static const ctype_ops_t t_int = {int_parse, int_fetch, int_store,
                                  int_format};
static const ctype_ops_t t_mem = {mem_parse, int_fetch, int_store,
                                  mem_format};
static const ctype_ops_t t_enum = {enum_parse, int_fetch, int_store,
                                   enum_format};
static const ctype_ops_t t_str = {str_parse, str_fetch, str_store,
                                  str_format};

/* ---------------------------------------------------------------------
 * Special types: bind (words), notify-keyspace-events, save,
 * client-output-buffer-limit, latency-tracking-info-percentiles
 * ------------------------------------------------------------------ */

/* bind: one or more addresses separated by spaces, stored normalised. */
static int bind_parse(const cdef_t *d, const char *s, cval_t *v, char *err)
{
    char buf[VALSZ];
    size_t o = 0;
    const char *p = s;

    while (*p) {
        size_t n;

        while (*p == ' ')
            p++;
        n = strcspn(p, " ");
        if (n == 0)
            break;
        if (o + n + 2 >= sizeof(buf)) {
            snprintf(err, ERRSZ, "Too many bind addresses specified.");
            return -1;
        }
        if (o)
            buf[o++] = ' ';
        memcpy(buf + o, p, n);
        o += n;
        p += n;
    }
    buf[o] = '\0';
    v->s = xstrdup(buf);
    return 0;
}

/* Space separated words, unquoted in both forms. */
static void words_format(const cdef_t *d, const cval_t *v, char *buf,
                         size_t size, int rewrite)
{
    snprintf(buf, size, "%s", v->s ? v->s : "");
}

static const ctype_ops_t t_bind = {bind_parse, str_fetch, str_store,
                                   words_format};

/* The letters of notify-keyspace-events with their flags. */
static const struct {
    char ch;
    int flag;
} notify_letters[] = {
    {'g', SRV_NOTIFY_GENERIC}, {'$', SRV_NOTIFY_STRING},
    {'l', SRV_NOTIFY_LIST},    {'s', SRV_NOTIFY_SET},
    {'h', SRV_NOTIFY_HASH},    {'z', SRV_NOTIFY_ZSET},
    {'x', SRV_NOTIFY_EXPIRED}, {'e', SRV_NOTIFY_EVICTED},
    {'t', SRV_NOTIFY_STREAM},  {'d', SRV_NOTIFY_MODULE},
    {'n', SRV_NOTIFY_NEW},     {'K', SRV_NOTIFY_KEYSPACE},
    {'E', SRV_NOTIFY_KEYEVENT}, {'m', SRV_NOTIFY_KEY_MISS},
};
#define N_NOTIFY_LETTERS (sizeof(notify_letters) / sizeof(notify_letters[0]))

/* Event class letters to flags; 'A' is all classes. */
static int notify_parse(const cdef_t *d, const char *s, cval_t *v,
                        char *err)
{
    int flags = 0;

    for (const char *p = s; *p; p++) {
        size_t i;

        if (*p == 'A') {
            flags |= SRV_NOTIFY_ALL;
            continue;
        }
        for (i = 0; i < N_NOTIFY_LETTERS; i++)
            if (notify_letters[i].ch == *p)
                break;
        if (i == N_NOTIFY_LETTERS) {
            snprintf(err, ERRSZ, "Invalid event class character. Use "
                     "'Ag$lshzxeKEtmdn'.");
            return -1;
        }
        flags |= notify_letters[i].flag;
    }
    v->n = flags;
    return 0;
}

/* Flags to letters, in Redis's order ("A" when all classes are set). */
static void notify_format(const cdef_t *d, const cval_t *v, char *buf,
                          size_t size, int rewrite)
{
    char out[32];
    size_t o = 0;
    int all = ((int)v->n & SRV_NOTIFY_ALL) == SRV_NOTIFY_ALL;

    if (all)
        out[o++] = 'A';
    for (size_t i = 0; i < N_NOTIFY_LETTERS; i++) {
        int flag = notify_letters[i].flag;
        /* Redis 7.0 prints n only among the letters A replaces. */
        int in_all = (flag & (SRV_NOTIFY_ALL | SRV_NOTIFY_NEW)) != 0;

        if (((int)v->n & flag) && !(all && in_all))
            out[o++] = notify_letters[i].ch;
    }
    out[o] = '\0';
    if (rewrite) {
        buf[0] = '\0';
        quote_into(buf, size, out, o);
    } else {
        snprintf(buf, size, "%s", out);
    }
}

static const ctype_ops_t t_notify = {notify_parse, int_fetch, int_store,
                                     notify_format};

/* save: snapshots are not supported, so only the empty value is. */
static int save_parse(const cdef_t *d, const char *s, cval_t *v, char *err)
{
    if (*s != '\0') {
        snprintf(err, ERRSZ, "save points are not supported: gencached "
                 "has no persistence (use save \"\")");
        return -1;
    }
    return 0;
}

/* save has no state: nothing to fetch. */
static void save_fetch(const cdef_t *d, cval_t *v)
{
}

/* save has no state: only clears v. */
static void save_store(const cdef_t *d, cval_t *v)
{
    cval_clear(v);
}

/* Always the empty value ("" in the file). */
static void save_format(const cdef_t *d, const cval_t *v, char *buf,
                        size_t size, int rewrite)
{
    snprintf(buf, size, "%s", rewrite ? "\"\"" : "");
}

static const ctype_ops_t t_save = {save_parse, save_fetch, save_store,
                                   save_format};

/* Client class by name for client-output-buffer-limit, or -1. */
static int obl_class(const char *name, size_t len)
{
    static const char *const names[] = {"normal", "slave", "replica",
                                        "pubsub"};
    static const int classes[] = {SRV_CLIENT_CLASS_NORMAL,
                                  SRV_CLIENT_CLASS_REPLICA,
                                  SRV_CLIENT_CLASS_REPLICA,
                                  SRV_CLIENT_CLASS_PUBSUB};

    for (size_t i = 0; i < 4; i++)
        if (strlen(names[i]) == len && strncasecmp(names[i], name, len) == 0)
            return classes[i];
    return -1;
}

/* Split s at spaces into at most max words (pointers into copy). */
static int split_words(char *copy, char **words, int max)
{
    int n = 0;
    char *save = NULL;

    for (char *w = strtok_r(copy, " ", &save); w;
         w = strtok_r(NULL, " ", &save)) {
        if (n == max)
            return -1;
        words[n++] = w;
    }
    return n;
}

/* Parse one "<class> <hard> <soft> <seconds>" group into v->obl. */
static int obl_parse_group(char **w, cval_t *v, char *err)
{
    int cls = obl_class(w[0], strlen(w[0]));
    int64_t hard, soft, secs;

    if (cls < 0) {
        snprintf(err, ERRSZ, "Invalid client class specified in buffer "
                 "limit configuration.");
        return -1;
    }
    if (*w[1] == '-' || *w[2] == '-' || srv_parse_memory(w[1], &hard) ||
        srv_parse_memory(w[2], &soft) ||
        srv_parse_ll(w[3], strlen(w[3]), &secs) || secs < 0) {
        snprintf(err, ERRSZ, "Error in hard, soft or soft_seconds setting "
                 "in buffer limit configuration.");
        return -1;
    }
    v->obl[cls].hard = hard;
    v->obl[cls].soft = soft;
    v->obl[cls].soft_seconds = secs;
    return 0;
}

/* Groups of four words; classes not named keep their current limits. */
static int obl_parse(const cdef_t *d, const char *s, cval_t *v, char *err)
{
    char *copy = xstrdup(s);
    int max = (int)(strlen(s) / 2 + 1);
    char **w = malloc((size_t)max * sizeof(*w));
    int n = w ? split_words(copy, w, max) : -1, rc = 0;

    memcpy(v->obl, srv.cfg.obuf_limits, sizeof(v->obl));
    if (n <= 0 || n % 4 != 0) {
        snprintf(err, ERRSZ, "Wrong number of arguments in buffer limit "
                 "configuration.");
        rc = -1;
    }
    for (int i = 0; rc == 0 && i < n; i += 4)
        rc = obl_parse_group(w + i, v, err);
    free(w);
    free(copy);
    return rc;
}

/* The three class limits into v->obl. */
static void obl_fetch(const cdef_t *d, cval_t *v)
{
    memcpy(v->obl, srv.cfg.obuf_limits, sizeof(v->obl));
}

/* v->obl into srv.cfg.obuf_limits; v is cleared. */
static void obl_store(const cdef_t *d, cval_t *v)
{
    memcpy(srv.cfg.obuf_limits, v->obl, sizeof(v->obl));
    cval_clear(v);
}

/* "normal h s t slave h s t pubsub h s t"; units in a rewrite. */
static void obl_format(const cdef_t *d, const cval_t *v, char *buf,
                       size_t size, int rewrite)
{
    static const char *const names[] = {"normal", "slave", "pubsub"};
    size_t o = 0;

    buf[0] = '\0';
    for (int i = 0; i < SRV_CLIENT_CLASS_COUNT && o < size; i++) {
        char h[32], s[32];

        if (rewrite) {
            format_memory(h, sizeof(h), v->obl[i].hard);
            format_memory(s, sizeof(s), v->obl[i].soft);
        } else {
            snprintf(h, sizeof(h), "%lld", (long long)v->obl[i].hard);
            snprintf(s, sizeof(s), "%lld", (long long)v->obl[i].soft);
        }
        o += (size_t)snprintf(buf + o, size - o, "%s%s %s %s %lld",
                              i ? " " : "", names[i], h, s,
                              (long long)v->obl[i].soft_seconds);
    }
}

static const ctype_ops_t t_obl = {obl_parse, obl_fetch, obl_store,
                                  obl_format};

/* Space separated percentiles, each a number in [0, 100]. */
static int pct_parse(const cdef_t *d, const char *s, cval_t *v, char *err)
{
    char *copy = xstrdup(s);
    int max = (int)(strlen(s) / 2 + 1);
    char **w = malloc((size_t)max * sizeof(*w));
    int n = w ? split_words(copy, w, max) : -1, rc = 0;

    if (n < 0) {
        snprintf(err, ERRSZ, "Invalid latency-tracking-info-percentiles "
                 "parameters");
        rc = -1;
    }
    v->d = calloc(n > 0 ? (size_t)n : 1, sizeof(double));
    if (rc == 0 && !v->d) {
        snprintf(err, ERRSZ, "out of memory");
        rc = -1;
    }
    for (int i = 0; rc == 0 && i < n; i++) {
        double x;

        if (srv_parse_double(w[i], strlen(w[i]), &x) != 0) {
            snprintf(err, ERRSZ, "Invalid latency-tracking-info-percentiles "
                     "parameters");
            rc = -1;
        } else if (x < 0.0 || x > 100.0) {
            snprintf(err, ERRSZ, "latency-tracking-info-percentiles "
                     "parameters should sit between [0.0,100.0]");
            rc = -1;
        } else {
            v->d[v->nd++] = x;
        }
    }
    free(w);
    free(copy);
    return rc;
}

/* A copy of the percentiles into v->d / v->nd. */
static void pct_fetch(const cdef_t *d, cval_t *v)
{
    size_t n = srv.cfg.latency_tracking_npercentiles;

    v->d = calloc(n ? n : 1, sizeof(double));
    if (v->d && n)
        memcpy(v->d, srv.cfg.latency_tracking_percentiles,
               n * sizeof(double));
    v->nd = v->d ? n : 0;
}

/* v->d becomes srv.cfg's percentile array (old one freed). */
static void pct_store(const cdef_t *d, cval_t *v)
{
    free(srv.cfg.latency_tracking_percentiles);
    srv.cfg.latency_tracking_percentiles = v->d;
    srv.cfg.latency_tracking_npercentiles = v->nd;
    v->d = NULL;
    cval_clear(v);
}

/* Percentiles, space separated, shortest exact decimal form. */
static void pct_format(const cdef_t *d, const cval_t *v, char *buf,
                       size_t size, int rewrite)
{
    size_t o = 0;

    buf[0] = '\0';
    for (size_t i = 0; i < v->nd && o < size; i++) {
        char num[40];
        int prec = 0;

        /* The shortest form that reads back as the same double (values
         * are within 0..100, so no exponent is needed). */
        do {
            snprintf(num, sizeof(num), "%.*f", prec, v->d[i]);
        } while (strtod(num, NULL) != v->d[i] && ++prec <= 17);
        o += (size_t)snprintf(buf + o, size - o, "%s%s", i ? " " : "", num);
    }
}

static const ctype_ops_t t_pct = {pct_parse, pct_fetch, pct_store,
                                  pct_format};

/* dir: a directory we can chdir to; stored as the absolute path. */
static int dir_parse(const cdef_t *d, const char *s, cval_t *v, char *err)
{
    char cwd[4096];

    if (chdir(s) != 0 || !getcwd(cwd, sizeof(cwd))) {
        snprintf(err, ERRSZ, "%s", strerror(errno));
        return -1;
    }
    v->s = xstrdup(cwd);
    return 0;
}

static const ctype_ops_t t_dir = {dir_parse, str_fetch, str_store,
                                  str_format};

/* ---------------------------------------------------------------------
 * Checks for values gencached refuses
 * ------------------------------------------------------------------ */

/* Only daemonize no: gencached runs in the foreground. */
static int check_daemonize(const cdef_t *d, cval_t *v, char *err)
{
    if (v->n) {
        snprintf(err, ERRSZ, "daemonize yes is not supported: gencached "
                 "runs in the foreground (containers only)");
        return -1;
    }
    return 0;
}

/* Only appendonly no: there is no persistence. */
static int check_appendonly(const cdef_t *d, cval_t *v, char *err)
{
    if (v->n) {
        snprintf(err, ERRSZ, "appendonly yes is not supported: gencached "
                 "has no persistence");
        return -1;
    }
    return 0;
}

/* Redis keeps hz within 1..500 silently. */
static int check_hz(const cdef_t *d, cval_t *v, char *err)
{
    if (v->n < 1)
        v->n = 1;
    if (v->n > 500)
        v->n = 500;
    return 0;
}

/* ---------------------------------------------------------------------
 * The table
 * ------------------------------------------------------------------ */

static const cenum_t loglevel_enum[] = {
    {"debug", SRV_LOG_DEBUG},   {"verbose", SRV_LOG_VERBOSE},
    {"notice", SRV_LOG_NOTICE}, {"warning", SRV_LOG_WARNING},
    {NULL, 0},
};
static const cenum_t policy_enum[] = {
    {"volatile-lru", SRV_MAXMEMORY_VOLATILE_LRU},
    {"volatile-lfu", SRV_MAXMEMORY_VOLATILE_LFU},
    {"volatile-random", SRV_MAXMEMORY_VOLATILE_RANDOM},
    {"volatile-ttl", SRV_MAXMEMORY_VOLATILE_TTL},
    {"allkeys-lru", SRV_MAXMEMORY_ALLKEYS_LRU},
    {"allkeys-lfu", SRV_MAXMEMORY_ALLKEYS_LFU},
    {"allkeys-random", SRV_MAXMEMORY_ALLKEYS_RANDOM},
    {"noeviction", SRV_MAXMEMORY_NOEVICTION},
    {NULL, 0},
};
static const cenum_t debug_enum[] = {
    {"no", 0}, {"yes", 1}, {"local", 2}, {NULL, 0},
};

#define OFF(f) offsetof(srv_config_t, f)
#define W(f) ((int)sizeof(((srv_config_t *)0)->f))
#define BOOL(n, f, dfl, fl) {n, NULL, &t_bool, OFF(f), W(f), dfl, 0, 1, fl, NULL, NULL}
#define INT(n, a, f, dfl, lo, hi, fl)                                        \
    {n, a, &t_int, OFF(f), W(f), dfl, lo, hi, fl, NULL, NULL}
#define MEM(n, f, dfl, lo, hi, fl)                                           \
    {n, NULL, &t_mem, OFF(f), W(f), dfl, lo, hi, fl, NULL, NULL}
#define ENUM(n, f, dfl, e, fl) {n, NULL, &t_enum, OFF(f), W(f), dfl, 0, 0, fl, e, NULL}
#define STR(n, f, dfl, fl) {n, NULL, &t_str, OFF(f), 0, dfl, 0, 0, fl, NULL, NULL}

static const cdef_t directives[] = {
    {"bind", NULL, &t_bind, OFF(bind), 0, "* -::*", 0, 0,
     C_LISTENER | C_MULTI, NULL, NULL},
    INT("port", NULL, port, "6379", 0, 65535, C_LISTENER),
    INT("tcp-backlog", NULL, tcp_backlog, "511", 0, INT_MAX, C_IMMUTABLE),
    STR("unixsocket", unixsocket, "", C_IMMUTABLE | C_NULL_EMPTY),
    INT("unixsocketperm", NULL, unixsocketperm, "0", 0, 0777,
        C_IMMUTABLE | C_OCTAL),
    INT("timeout", NULL, timeout, "0", 0, INT_MAX, 0),
    INT("tcp-keepalive", NULL, tcp_keepalive, "300", 0, INT_MAX, 0),
    BOOL("protected-mode", protected_mode, "yes", 0),
    STR("requirepass", requirepass, "", 0),
    INT("maxclients", NULL, maxclients, "10000", 1, INT_MAX, 0),
    INT("databases", NULL, databases, "16", 1, INT_MAX, C_IMMUTABLE),
    {"hz", NULL, &t_int, OFF(hz), W(hz), "10", 0, INT_MAX, 0, NULL,
     check_hz},
    BOOL("dynamic-hz", dynamic_hz, "yes", 0),
    ENUM("loglevel", loglevel, "notice", loglevel_enum, 0),
    STR("logfile", logfile, "", C_IMMUTABLE),
    {"daemonize", NULL, &t_bool, OFF(daemonize), W(daemonize), "no", 0, 1,
     C_IMMUTABLE, NULL, check_daemonize},
    STR("pidfile", pidfile, "", C_IMMUTABLE),
    MEM("proto-max-bulk-len", proto_max_bulk_len, "512mb", 1024 * 1024,
        INT64_MAX, 0),
    MEM("client-query-buffer-limit", client_query_buffer_limit, "1gb",
        1024 * 1024, INT64_MAX, 0),
    MEM("maxmemory", maxmemory, "0", 0, INT64_MAX, 0),
    ENUM("maxmemory-policy", maxmemory_policy, "noeviction", policy_enum, 0),
    INT("maxmemory-samples", NULL, maxmemory_samples, "5", 1, 64, 0),
    INT("lfu-log-factor", NULL, lfu_log_factor, "10", 0, INT_MAX, 0),
    INT("lfu-decay-time", NULL, lfu_decay_time, "1", 0, INT_MAX, 0),
    INT("slowlog-log-slower-than", NULL, slowlog_log_slower_than, "10000",
        -1, INT64_MAX, 0),
    INT("slowlog-max-len", NULL, slowlog_max_len, "128", 0, LONG_MAX, 0),
    INT("latency-monitor-threshold", NULL, latency_monitor_threshold, "0", 0,
        INT64_MAX, 0),
    {"io-threads", NULL, &t_int, OFF(io_threads), W(io_threads), "0", 0, 128,
     C_IMMUTABLE, NULL, NULL},
    BOOL("io-threads-do-reads", io_threads_do_reads, "no", C_IMMUTABLE),
    INT("active-expire-effort", NULL, active_expire_effort, "1", 1, 10, 0),
    BOOL("lazyfree-lazy-eviction", lazyfree_lazy_eviction, "no", 0),
    BOOL("lazyfree-lazy-expire", lazyfree_lazy_expire, "no", 0),
    BOOL("lazyfree-lazy-server-del", lazyfree_lazy_server_del, "no", 0),
    BOOL("lazyfree-lazy-user-del", lazyfree_lazy_user_del, "no", 0),
    BOOL("lazyfree-lazy-user-flush", lazyfree_lazy_user_flush, "no", 0),
    ENUM("enable-debug-command", enable_debug_command, "no", debug_enum,
         C_IMMUTABLE),
    {"dir", NULL, &t_dir, OFF(dir), 0, "", 0, 0, C_PROTECTED, NULL, NULL},
    {"appendonly", NULL, &t_bool, OFF(appendonly), W(appendonly), "no", 0, 1,
     0, NULL, check_appendonly},
    {"save", NULL, &t_save, 0, 0, "", 0, 0, C_MULTI, NULL, NULL},
    INT("list-max-listpack-size", "list-max-ziplist-size",
        list_max_listpack_size, "-2", INT_MIN, INT_MAX, 0),
    INT("list-compress-depth", NULL, list_compress_depth, "0", 0, INT_MAX, 0),
    INT("hash-max-listpack-entries", "hash-max-ziplist-entries",
        hash_max_listpack_entries, "512", 0, LONG_MAX, 0),
    INT("hash-max-listpack-value", "hash-max-ziplist-value",
        hash_max_listpack_value, "64", 0, LONG_MAX, 0),
    INT("set-max-intset-entries", NULL, set_max_intset_entries, "512", 0,
        LONG_MAX, 0),
    INT("zset-max-listpack-entries", "zset-max-ziplist-entries",
        zset_max_listpack_entries, "128", 0, LONG_MAX, 0),
    INT("zset-max-listpack-value", "zset-max-ziplist-value",
        zset_max_listpack_value, "64", 0, LONG_MAX, 0),
    {"notify-keyspace-events", NULL, &t_notify, OFF(notify_keyspace_events),
     W(notify_keyspace_events), "", 0, 0, 0, NULL, NULL},
    INT("busy-reply-threshold", "lua-time-limit", busy_reply_threshold,
        "5000", 0, LONG_MAX, 0),
    {"client-output-buffer-limit", NULL, &t_obl, 0, 0,
     "normal 0 0 0 slave 256mb 64mb 60 pubsub 32mb 8mb 60", 0, 0, C_MULTI,
     NULL, NULL},
    BOOL("latency-tracking", latency_tracking, "yes", 0),
    {"latency-tracking-info-percentiles", NULL, &t_pct, 0, 0, "50 99 99.9",
     0, 0, C_MULTI, NULL, NULL},
    BOOL("gc-enabled", gc_enabled, "yes", 0),
    INT("gc-threshold0", NULL, gc_threshold0, "700", 0, INT64_MAX, 0),
    INT("gc-threshold1", NULL, gc_threshold1, "10", 0, INT64_MAX, 0),
    INT("gc-threshold2", NULL, gc_threshold2, "10", 0, INT64_MAX, 0),
    INT("gc-slice-budget-us", NULL, gc_slice_budget_us, "500", 1,
        INT64_MAX, 0),
    INT("gc-slice-objects", NULL, gc_slice_objects, "10000", 1, INT64_MAX,
        0),
    INT("gc-max-cpu-percent", NULL, gc_max_cpu_percent, "25", 1, 100, 0),
    INT("gc-restart-touched-percent", NULL, gc_restart_touched_pct, "50", 1,
        100, 0),
    INT("ref-max-depth", NULL, ref_max_depth, "16", 1, 1024, 0),
    INT("busy-poll-us", NULL, busy_poll_us, "0", 0, 1000000, 0),
    BOOL("disable-thp", disable_thp, "yes", C_IMMUTABLE),
    BOOL("jemalloc-bg-thread", jemalloc_bg_thread, "yes", 0),
};
#define N_DIRECTIVES (sizeof(directives) / sizeof(directives[0]))

/* The directive called name (or by its alias), case-insensitive. */
static const cdef_t *lookup(const char *name, size_t len)
{
    for (size_t i = 0; i < N_DIRECTIVES; i++) {
        const cdef_t *d = &directives[i];

        if (strlen(d->name) == len && strncasecmp(d->name, name, len) == 0)
            return d;
        if (d->alias && strlen(d->alias) == len &&
            strncasecmp(d->alias, name, len) == 0)
            return d;
    }
    return NULL;
}

/* Parse and check s for d into v (cleared on failure). */
static int stage(const cdef_t *d, const char *s, cval_t *v, char *err)
{
    memset(v, 0, sizeof(*v));
    if (d->ops->parse(d, s, v, err) != 0 ||
        (d->check && d->check(d, v, err) != 0)) {
        cval_clear(v);
        return -1;
    }
    return 0;
}

/* v as text (CONFIG GET form, or file form) in a buffer large enough
 * for all of it: a format stops a few bytes short of its buffer's end
 * when the text does not fit, so a text that comes that close is made
 * again in a buffer twice as large. Returns a new string (aborts when
 * out of memory, as xstrdup). */
static char *format_text(const cdef_t *d, const cval_t *v, int rewrite)
{
    for (size_t size = VALSZ;; size *= 2) {
        char *buf = malloc(size);

        if (!buf) {
            fprintf(stderr, "gencached: out of memory\n");
            abort();
        }
        buf[0] = '\0';
        d->ops->format(d, v, buf, size, rewrite);
        if (strlen(buf) + 8 < size)
            return buf;
        free(buf);
    }
}

/* Current value of d as text (CONFIG GET form, or file form). Returns a
 * new string. */
static char *current_text(const cdef_t *d, int rewrite)
{
    cval_t v;
    char *text;

    memset(&v, 0, sizeof(v));
    d->ops->fetch(d, &v);
    text = format_text(d, &v, rewrite);
    cval_clear(&v);
    return text;
}

/* ---------------------------------------------------------------------
 * Public value API
 * ------------------------------------------------------------------ */

/* Set every directive to its default. Frees previous strings. The dir
 * directive keeps the process's working directory. */
void srv_config_init_defaults(void)
{
    char err[ERRSZ];
    char cwd[4096];

    srv_config_free();
    for (size_t i = 0; i < N_DIRECTIVES; i++) {
        const cdef_t *d = &directives[i];
        cval_t v;

        if (d->ops == &t_dir)
            continue;
        if (stage(d, d->dflt, &v, err) != 0) {
            fprintf(stderr, "gencached: bad default for %s: %s\n", d->name,
                    err);
            abort();
        }
        d->ops->store(d, &v);
    }
    srv.cfg.dir = xstrdup(getcwd(cwd, sizeof(cwd)) ? cwd : ".");
    srv.cfg.active_expire_enabled = 1;
}

/* Free the strings of srv.cfg and clear it. */
void srv_config_free(void)
{
    free(srv.cfg.bind);
    free(srv.cfg.unixsocket);
    free(srv.cfg.requirepass);
    free(srv.cfg.logfile);
    free(srv.cfg.pidfile);
    free(srv.cfg.dir);
    free(srv.cfg.configfile);
    free(srv.cfg.latency_tracking_percentiles);
    memset(&srv.cfg, 0, sizeof(srv.cfg));
}

/* Contract in server.h. */
int srv_config_set_value(const char *name, const char *value, char *err,
                         size_t errsize)
{
    const cdef_t *d = lookup(name, strlen(name));
    char e[ERRSZ];
    cval_t v;

    if (!d) {
        snprintf(err, errsize, "Unknown option");
        return -EINVAL;
    }
    if (stage(d, value, &v, e) != 0) {
        snprintf(err, errsize, "%s", e);
        return -EINVAL;
    }
    d->ops->store(d, &v);
    return 0;
}

/* Contract in server.h. */
const char *srv_config_name(size_t i)
{
    return i < N_DIRECTIVES ? directives[i].name : NULL;
}

/* Contract in server.h. */
int srv_config_get_value(const char *name, char *buf, size_t size)
{
    const cdef_t *d = lookup(name, strlen(name));
    char *text;

    if (!d)
        return -ENOENT;
    text = current_text(d, 0);
    snprintf(buf, size, "%s", text);
    free(text);
    return 0;
}

/* ---------------------------------------------------------------------
 * Config text: line splitting as sdssplitargs
 * ------------------------------------------------------------------ */

/* Value of a hex digit, or -1. */
static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower(c);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* One double-quoted word starting after the quote at *pp: escapes \n \r
 * \t \b \a \\ \" \xHH. Appends to out. 0, or -1 when unbalanced. */
static int split_dquoted(const char **pp, char *out, size_t *o)
{
    const char *p = *pp;

    for (;;) {
        if (*p == '\0')
            return -1;
        if (p[0] == '\\' && p[1] == 'x' && hexval(p[2]) >= 0 &&
            hexval(p[3]) >= 0) {
            out[(*o)++] = (char)(hexval(p[2]) * 16 + hexval(p[3]));
            p += 4;
        } else if (p[0] == '\\' && p[1]) {
            char c = p[1];

            out[(*o)++] = c == 'n' ? '\n' : c == 'r' ? '\r' : c == 't' ? '\t'
                        : c == 'b' ? '\b' : c == 'a' ? '\a' : c;
            p += 2;
        } else if (*p == '"') {
            p++;
            break;
        } else {
            out[(*o)++] = *p++;
        }
    }
    /* The closing quote must end the word. */
    if (*p && !isspace((unsigned char)*p))
        return -1;
    *pp = p;
    return 0;
}

/* One single-quoted word: only \' is an escape. */
static int split_squoted(const char **pp, char *out, size_t *o)
{
    const char *p = *pp;

    for (;;) {
        if (*p == '\0')
            return -1;
        if (p[0] == '\\' && p[1] == '\'') {
            out[(*o)++] = '\'';
            p += 2;
        } else if (*p == '\'') {
            p++;
            break;
        } else {
            out[(*o)++] = *p++;
        }
    }
    if (*p && !isspace((unsigned char)*p))
        return -1;
    *pp = p;
    return 0;
}

/* Split line into words: argv[i] point into store, which has room for
 * every word's bytes and NUL (strlen(line) + 1 bytes); argv has room
 * for every word (strlen(line) / 2 + 1). Returns the count, or -1 for
 * unbalanced quotes. */
static int split_line(const char *line, char *store, char **argv)
{
    const char *p = line;
    size_t o = 0;
    int argc = 0;

    for (;;) {
        while (isspace((unsigned char)*p))
            p++;
        if (*p == '\0')
            return argc;
        argv[argc++] = store + o;
        while (*p && !isspace((unsigned char)*p)) {
            int rc = 0;

            if (*p == '"') {
                p++;
                rc = split_dquoted(&p, store, &o);
            } else if (*p == '\'') {
                p++;
                rc = split_squoted(&p, store, &o);
            } else {
                store[o++] = *p++;
            }
            if (rc != 0)
                return -1;
        }
        store[o++] = '\0';
    }
}

/* Split line as split_line into new arrays: *argvp and the words' bytes
 * *storep, both for the caller to free. Returns the count, -1 for
 * unbalanced quotes, or -ENOMEM (nothing to free then). */
static int split_new(const char *line, char ***argvp, char **storep)
{
    size_t len = strlen(line);
    /* A word takes at least one byte and a separator ("" takes two), and
     * its copy at most its bytes and a NUL. */
    char **argv = malloc((len / 2 + 2) * sizeof(*argv));
    char *store = malloc(len + 2);

    if (!argv || !store) {
        free(argv);
        free(store);
        return -ENOMEM;
    }
    *argvp = argv;
    *storep = store;
    return split_line(line, store, argv);
}

/* ---------------------------------------------------------------------
 * Loading config text and files
 * ------------------------------------------------------------------ */

static int load_file(const char *path, char *err, size_t errsize,
                     int depth);

/* argv[1..argc-1] joined with spaces. Returns a new string, or NULL
 * when out of memory. */
static char *join_words(int argc, char **argv)
{
    size_t size = 1, o = 0;
    char *buf;

    for (int i = 1; i < argc; i++)
        size += strlen(argv[i]) + 1;
    buf = malloc(size);
    if (!buf)
        return NULL;
    buf[0] = '\0';
    for (int i = 1; i < argc; i++)
        o += (size_t)snprintf(buf + o, size - o, "%s%s", i > 1 ? " " : "",
                              argv[i]);
    return buf;
}

/* Apply one split line. 0, or -1 with the reason in reason. */
static int apply_line(int argc, char **argv, char *reason, int depth,
                      char *err, size_t errsize)
{
    const cdef_t *d;
    char *joined;
    cval_t v;
    int rc;

    if (eq_nocase(argv[0], "include") && argc == 2) {
        if (load_file(argv[1], err, errsize, depth + 1) != 0)
            return -2;
        return 0;
    }
    d = lookup(argv[0], strlen(argv[0]));
    if (!d) {
        snprintf(reason, ERRSZ, "Bad directive or wrong number of "
                 "arguments");
        return -1;
    }
    if (!(d->flags & C_MULTI) && argc != 2) {
        snprintf(reason, ERRSZ, "wrong number of arguments");
        return -1;
    }
    joined = join_words(argc, argv);
    if (!joined) {
        snprintf(reason, ERRSZ, "out of memory");
        return -1;
    }
    rc = stage(d, joined, &v, reason);
    free(joined);
    if (rc != 0)
        return -1;
    d->ops->store(d, &v);
    return 0;
}

/* Load one line of text (already cut out, NUL-terminated). */
static int load_line(char *line, int lineno, char *err, size_t errsize,
                     int depth)
{
    char **argv;
    char reason[ERRSZ];
    char *store;
    size_t len;
    int argc, rc;

    while (isspace((unsigned char)*line))
        line++;
    len = strlen(line);
    while (len && isspace((unsigned char)line[len - 1]))
        line[--len] = '\0';
    if (len == 0 || line[0] == '#')
        return 0;
    argc = split_new(line, &argv, &store);
    if (argc == -ENOMEM)
        return -ENOMEM;
    if (argc < 0) {
        snprintf(reason, sizeof(reason), "Unbalanced quotes in "
                 "configuration line");
        rc = -1;
    } else {
        rc = argc == 0 ? 0 : apply_line(argc, argv, reason, depth, err,
                                        errsize);
    }
    free(store);
    free(argv);
    if (rc == -1)
        snprintf(err, errsize, "Reading the configuration file, at line "
                 "%d\n>>> '%s'\n%s", lineno, line, reason);
    return rc == 0 ? 0 : -EINVAL;
}

/* Load config text line by line; include nests up to 16 deep. */
static int load_text(const char *text, char *err, size_t errsize, int depth)
{
    char *copy = xstrdup(text);
    char *line = copy;
    int lineno = 0, rc = 0;

    while (line && rc == 0) {
        char *nl = strchr(line, '\n');

        if (nl)
            *nl = '\0';
        lineno++;
        rc = load_line(line, lineno, err, errsize, depth);
        line = nl ? nl + 1 : NULL;
    }
    free(copy);
    return rc;
}

/* Contract in server.h. */
int srv_config_load_string(const char *text, char *err, size_t errsize)
{
    err[0] = '\0';
    return load_text(text, err, errsize, 0);
}

/* Read a whole stream into a NUL-terminated malloc'd string, or NULL. */
static char *read_stream(FILE *f)
{
    size_t cap = 4096, len = 0, n;
    char *buf = malloc(cap);

    while (buf && (n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
        len += n;
        if (cap - len - 1 == 0) {
            char *nb = realloc(buf, cap * 2);

            if (!nb) {
                free(buf);
                return NULL;
            }
            buf = nb;
            cap *= 2;
        }
    }
    if (buf)
        buf[len] = '\0';
    return buf;
}

/* Read a file into a malloc'd string; NULL with err set on failure. */
static char *read_file_text(const char *path, char *err, size_t errsize)
{
    FILE *f = fopen(path, "r");
    char *text;

    if (!f) {
        snprintf(err, errsize, "Fatal error, can't open config file '%s': "
                 "%s", path, strerror(errno));
        return NULL;
    }
    text = read_stream(f);
    fclose(f);
    if (!text)
        snprintf(err, errsize, "Fatal error, can't read config file '%s'",
                 path);
    return text;
}

/* Load the config file at path (include nesting depth). */
static int load_file(const char *path, char *err, size_t errsize, int depth)
{
    char *text;
    int rc;

    if (depth > 16) {
        snprintf(err, errsize, "Fatal error, include nesting too deep at "
                 "'%s'", path);
        return -EINVAL;
    }
    text = read_file_text(path, err, errsize);
    if (!text)
        return -EINVAL;
    rc = load_text(text, err, errsize, depth);
    free(text);
    return rc;
}

/* ---------------------------------------------------------------------
 * Command line
 * ------------------------------------------------------------------ */

/* Print the usage text (--help). */
static void usage(FILE *out)
{
    fprintf(out,
            "Usage: gencached [/path/to/gencached.conf] [options] [-]\n"
            "       gencached - (read config from stdin)\n"
            "       gencached -v or --version\n"
            "       gencached -h or --help\n\n"
            "Examples:\n"
            "       gencached (run with the default configuration)\n"
            "       gencached /etc/gencached/6379.conf\n"
            "       gencached --port 7777\n"
            "       gencached /etc/mygencached.conf --loglevel verbose -\n"
            "       gencached /etc/mygencached.conf --loglevel verbose\n");
}

/* Append s to the growing string *buf (length *len, capacity *cap). */
static int buf_append(char **buf, size_t *len, size_t *cap, const char *s,
                      size_t n)
{
    if (*len + n + 1 > *cap) {
        size_t ncap = (*len + n + 1) * 2;
        char *nb = realloc(*buf, ncap);

        if (!nb)
            return -ENOMEM;
        *buf = nb;
        *cap = ncap;
    }
    memcpy(*buf + *len, s, n);
    *len += n;
    (*buf)[*len] = '\0';
    return 0;
}

/* Turn "--name v1 v2 --other v" into config lines ("name "v1" "v2"\n"),
 * appended to *buf; sets *from_stdin for a lone "-". */
static int args_to_text(int argc, char **argv, int first, char **buf,
                        size_t *len, size_t *cap, int *from_stdin)
{
    int open = 0, rc = 0;

    for (int j = first; j < argc && rc == 0; j++) {
        const char *a = argv[j];

        if (strcmp(a, "-") == 0) {
            *from_stdin = 1;
        } else if (a[0] == '-' && a[1] == '-' && a[2]) {
            if (open)
                rc = buf_append(buf, len, cap, "\n", 1);
            if (rc == 0)
                rc = buf_append(buf, len, cap, a + 2, strlen(a + 2));
            open = 1;
        } else {
            size_t n = strlen(a) * 4 + 8;
            char *q = malloc(n);

            if (!q)
                return -ENOMEM;
            q[0] = ' ';
            q[1] = '\0';
            quote_into(q, n, a, strlen(a));
            rc = buf_append(buf, len, cap, q, strlen(q));
            free(q);
        }
    }
    if (rc == 0 && open)
        rc = buf_append(buf, len, cap, "\n", 1);
    return rc;
}

/* Print a fatal config error the way Redis does. */
static void print_fatal(const char *err)
{
    if (strncmp(err, "Fatal error", 11) == 0) {
        fprintf(stderr, "%s\n", err);
        return;
    }
    fprintf(stderr, "\n*** FATAL CONFIG FILE ERROR (Redis %s) ***\n%s\n",
            SRV_VERSION, err);
}

/* Handle --version / --help: print and exit 0. */
static void handle_info_flags(int argc, char **argv)
{
    if (argc != 2)
        return;
    if (strcmp(argv[1], "-v") == 0 || strcmp(argv[1], "--version") == 0) {
        printf("gencached v=%s redis-compat=%s bits=%d libuv=%s\n",
               SRV_GENCACHE_VERSION, SRV_VERSION, (int)sizeof(long) * 8,
               uv_version_string());
        exit(0);
    }
    if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        usage(stdout);
        exit(0);
    }
}

/* Remember the config file's absolute path for CONFIG REWRITE. */
static void set_configfile(const char *path)
{
    char *abs = realpath(path, NULL);

    free(srv.cfg.configfile);
    srv.cfg.configfile = abs ? abs : xstrdup(path);
}

/* Load file, stdin and argument text in that order, as redis-server. */
static int load_all(const char *file, int from_stdin, const char *args,
                    char *err, size_t errsize)
{
    char *text = NULL, *in = NULL;
    size_t len = 0, cap = 0;
    int rc = 0;

    if (file)
        text = read_file_text(file, err, errsize);
    if (file && !text)
        return -EINVAL;
    if (from_stdin) {
        in = read_stream(stdin);
        if (!in)
            rc = -ENOMEM;
    }
    if (text) {
        len = strlen(text);
        cap = len + 1;
    } else if (rc == 0) {
        rc = buf_append(&text, &len, &cap, "", 0);
    }
    if (rc == 0 && in)
        rc = buf_append(&text, &len, &cap, in, strlen(in));
    /* As redis-server: one newline, then the argument lines (so their
     * line numbers in errors match Redis's). */
    if (rc == 0)
        rc = buf_append(&text, &len, &cap, "\n", 1);
    if (rc == 0)
        rc = buf_append(&text, &len, &cap, args, strlen(args));
    if (rc == 0)
        rc = load_text(text, err, errsize, 0);
    free(text);
    free(in);
    return rc;
}

/* Contract in server.h: defaults, --version/--help (exit 0), then file,
 * stdin and argument text. */
int srv_config_load(int argc, char **argv)
{
    char err[2048];
    char *args = NULL;
    size_t alen = 0, acap = 0;
    const char *file = NULL;
    int first = 1, from_stdin = 0, rc;

    handle_info_flags(argc, argv);
    srv_config_init_defaults();
    if (argc >= 2 && argv[1][0] != '-') {
        file = argv[1];
        first = 2;
    }
    rc = buf_append(&args, &alen, &acap, "", 0);
    if (rc == 0)
        rc = args_to_text(argc, argv, first, &args, &alen, &acap,
                          &from_stdin);
    if (rc == 0) {
        err[0] = '\0';
        rc = load_all(file, from_stdin, args, err, sizeof(err));
        if (rc != 0)
            print_fatal(err);
    }
    free(args);
    if (rc == 0 && file)
        set_configfile(file);
    return rc == 0 ? 0 : -EINVAL;
}

/* ---------------------------------------------------------------------
 * CONFIG GET
 * ------------------------------------------------------------------ */

/* True when the pattern has glob characters. */
static int is_glob(const char *p, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (strchr("*?[\\", p[i]))
            return 1;
    return 0;
}

/* Which (directive, name) entries CONFIG GET returns: bit 0 the name,
 * bit 1 the alias, bit 2 "use the exact text of pattern `exact`". */
typedef struct get_match {
    unsigned char which;
    int exact_arg;  /* argv index of an exact request, or 0 */
} get_match_t;

/* Mark the entries matched by one pattern argument. */
static void get_mark(srv_client_t *c, int ai, get_match_t *m)
{
    const char *p = c->argv[ai].ptr;
    size_t plen = c->argv[ai].len;

    if (!is_glob(p, plen)) {
        const cdef_t *d = lookup(p, plen);

        if (d && !m[d - directives].which) {
            m[d - directives].which = 4;
            m[d - directives].exact_arg = ai;
        }
        return;
    }
    for (size_t i = 0; i < N_DIRECTIVES; i++) {
        const cdef_t *d = &directives[i];

        if (m[i].which & 4)
            continue;
        if (srv_glob_match(p, plen, d->name, strlen(d->name), 1))
            m[i].which |= 1;
        if (d->alias &&
            srv_glob_match(p, plen, d->alias, strlen(d->alias), 1))
            m[i].which |= 2;
    }
}

/* Reply one name/value pair. */
static void get_reply_pair(srv_client_t *c, const char *name, size_t nlen,
                           const char *value)
{
    srv_reply_bulk(c, name, nlen);
    srv_reply_bulk_cstr(c, value);
}

/* CONFIG GET parameter [parameter ...] */
void cmd_config_get(srv_client_t *c)
{
    get_match_t m[N_DIRECTIVES];
    int64_t n = 0;

    memset(m, 0, sizeof(m));
    for (int i = 2; i < c->argc; i++)
        get_mark(c, i, m);
    for (size_t i = 0; i < N_DIRECTIVES; i++)
        n += (m[i].which & 4) ? 1 : (m[i].which & 1) + (m[i].which >> 1);
    srv_reply_map_len(c, n);
    for (size_t i = 0; i < N_DIRECTIVES; i++) {
        const cdef_t *d = &directives[i];
        char *value;

        if (!m[i].which)
            continue;
        value = current_text(d, 0);
        if (m[i].which & 4) {
            const resp_slice_t *a = &c->argv[m[i].exact_arg];

            get_reply_pair(c, a->ptr, a->len, value);
        } else {
            if (m[i].which & 1)
                get_reply_pair(c, d->name, strlen(d->name), value);
            if (m[i].which & 2)
                get_reply_pair(c, d->alias, strlen(d->alias), value);
        }
        free(value);
    }
}

/* ---------------------------------------------------------------------
 * CONFIG SET
 * ------------------------------------------------------------------ */

/* Copy an argument into a NUL-terminated malloc'd string. */
static char *arg_dup(const resp_slice_t *a)
{
    char *s = malloc(a->len + 1);

    if (s) {
        memcpy(s, a->ptr, a->len);
        s[a->len] = '\0';
    }
    return s;
}

/* Find every directive, refusing unknown, immutable, protected and
 * duplicate ones. 0, or -1 after replying the error. */
static int set_lookup_all(srv_client_t *c, int npairs, const cdef_t **defs)
{
    for (int i = 0; i < npairs; i++) {
        const resp_slice_t *a = &c->argv[2 + 2 * i];
        const cdef_t *d = lookup(a->ptr, a->len);
        const char *why = NULL;

        if (!d) {
            srv_reply_errorf(c, "ERR Unknown option or number of arguments "
                             "for CONFIG SET - '%.*s'", (int)a->len, a->ptr);
            return -1;
        }
        if (d->flags & C_IMMUTABLE)
            why = "can't set immutable config";
        else if (d->flags & C_PROTECTED)
            why = "can't set protected config";
        for (int j = 0; !why && j < i; j++)
            if (defs[j] == d)
                why = "duplicate parameter";
        if (why) {
            srv_reply_errorf(c, "ERR CONFIG SET failed (possibly related to "
                             "argument '%.*s') - %s", (int)a->len, a->ptr,
                             why);
            return -1;
        }
        defs[i] = d;
    }
    return 0;
}

/* True when the staged value v of d equals d's current value (compared
 * in CONFIG GET form). */
static int staged_is_current(const cdef_t *d, const cval_t *v)
{
    char *cur = current_text(d, 0), *staged = format_text(d, v, 0);
    int same = strcmp(cur, staged) == 0;

    free(cur);
    free(staged);
    return same;
}

/* Stage every value. 0, or -1 after replying the error (nothing kept). */
static int set_stage_all(srv_client_t *c, int npairs, const cdef_t **defs,
                         cval_t *vals)
{
    char err[ERRSZ];

    for (int i = 0; i < npairs; i++) {
        const resp_slice_t *name = &c->argv[2 + 2 * i];
        char *s = arg_dup(&c->argv[3 + 2 * i]);
        int rc = s ? stage(defs[i], s, &vals[i], err) : -1;

        if (!s)
            snprintf(err, sizeof(err), "out of memory");
        free(s);
        if (rc != 0) {
            for (int j = 0; j < i; j++)
                cval_clear(&vals[j]);
            srv_reply_errorf(c, "ERR CONFIG SET failed (possibly related to "
                             "argument '%.*s') - %s", (int)name->len,
                             name->ptr, err);
            return -1;
        }
    }
    return 0;
}

/* The index of the listener directive (port, else bind) whose staged
 * value differs from the current one, or -1. *close_first is 0 when the
 * port changes (the new listeners open before the old close) and 1 for a
 * new bind list on the same port (the old ones hold the port). */
static int set_listener_change(int npairs, const cdef_t **defs,
                               const cval_t *vals, int *close_first)
{
    int at = -1;

    *close_first = 1;
    for (int i = 0; i < npairs; i++) {
        if (!(defs[i]->flags & C_LISTENER) ||
            staged_is_current(defs[i], &vals[i]))
            continue;
        if (strcmp(defs[i]->name, "port") == 0) {
            *close_first = 0;
            at = i;
        } else if (at < 0) {
            at = i;
        }
    }
    return at;
}

/* Store every staged value (vals are consumed) and apply them; when the
 * TCP listeners cannot be re-opened every value goes back to what it was
 * (Redis's rollback) and the error is replied. 0 or -1. */
static int set_store_all(srv_client_t *c, int npairs, const cdef_t **defs,
                         cval_t *vals)
{
    int close_first, at = set_listener_change(npairs, defs, vals,
                                              &close_first);
    cval_t *olds = calloc((size_t)npairs, sizeof(*olds));
    int rc = 0;

    if (!olds) {
        for (int i = 0; i < npairs; i++)
            cval_clear(&vals[i]);
        srv_reply_oom(c);
        return -1;
    }
    for (int i = 0; i < npairs; i++) {
        defs[i]->ops->fetch(defs[i], &olds[i]);
        defs[i]->ops->store(defs[i], &vals[i]);
    }
    if (at >= 0 && (rc = srv_net_rebind_tcp(close_first)) < 0) {
        const resp_slice_t *name = &c->argv[2 + 2 * at];

        srv_log(SRV_LOG_WARNING, "CONFIG SET %.*s failed: %s",
                (int)name->len, name->ptr, uv_strerror(rc));
        for (int i = 0; i < npairs; i++)
            defs[i]->ops->store(defs[i], &olds[i]);
        if (close_first && srv_net_rebind_tcp(0) < 0)
            srv_log(SRV_LOG_WARNING, "Could not listen again on the "
                    "previous TCP addresses");
        srv_reply_errorf(c, "ERR CONFIG SET failed (possibly related to "
                         "argument '%.*s') - %s", (int)name->len, name->ptr,
                         strcmp(defs[at]->name, "port") == 0
                             ? "Unable to listen on this port"
                             : "Failed to bind to specified addresses.");
    }
    for (int i = 0; i < npairs; i++)
        cval_clear(&olds[i]);
    free(olds);
    srv_server_apply_config();
    return rc < 0 ? -1 : 0;
}

/* CONFIG SET parameter value [parameter value ...] */
void cmd_config_set(srv_client_t *c)
{
    int npairs = (c->argc - 2) / 2;
    const cdef_t **defs;
    cval_t *vals;

    if ((c->argc - 2) % 2 != 0) {
        srv_reply_syntax_error(c);
        return;
    }
    defs = calloc((size_t)npairs, sizeof(*defs));
    vals = calloc((size_t)npairs, sizeof(*vals));
    if (!defs || !vals) {
        srv_reply_oom(c);
    } else if (set_lookup_all(c, npairs, defs) == 0 &&
               set_stage_all(c, npairs, defs, vals) == 0 &&
               set_store_all(c, npairs, defs, vals) == 0) {
        srv_reply_ok(c);
    }
    free(defs);
    free(vals);
}

/* ---------------------------------------------------------------------
 * CONFIG RESETSTAT, HELP, container
 * ------------------------------------------------------------------ */

/* CONFIG RESETSTAT: zero INFO stats, commandstats and errorstats (the
 * slow log is kept, as in Redis). */
void cmd_config_resetstat(srv_client_t *c)
{
    memset(&srv.stats, 0, sizeof(srv.stats));
    srv_command_reset_stats();
    srv_errorstats_reset();
    srv_latency_hist_reset_all();
    srv_reply_ok(c);
}

/* CONFIG HELP */
void cmd_config_help(srv_client_t *c)
{
    static const char *const lines[] = {
        "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "GET <pattern>",
        "    Return parameters matching the glob-like <pattern> and their "
        "values.",
        "SET <directive> <value>",
        "    Set the configuration <directive> to <value>.",
        "RESETSTAT",
        "    Reset statistics reported by the INFO command.",
        "REWRITE",
        "    Rewrite the configuration file.",
        "HELP",
        "    Prints this help.",
        NULL,
    };

    srv_reply_help(c, lines);
}

/* CONFIG <unknown subcommand> */
void cmd_config(srv_client_t *c)
{
    srv_reply_unknown_subcommand(c);
}

/* ---------------------------------------------------------------------
 * CONFIG REWRITE
 *
 * The old file is read as lines. A line whose first word names a
 * directive is replaced by the directive's current value (the first such
 * line) or dropped (later duplicates); every other line (comments,
 * include, unknown words) is kept. Directives not in the file whose
 * value differs from the default are appended after the
 * "# Generated by CONFIG REWRITE" line. The result replaces the file
 * through a temporary file and rename().
 * ------------------------------------------------------------------ */

#define REWRITE_SIGNATURE "# Generated by CONFIG REWRITE"

/* Write the line for d ("name value") to f. */
static void rewrite_line(FILE *f, const cdef_t *d)
{
    char *value = current_text(d, 1);

    fprintf(f, "%s %s\n", d->name, value);
    free(value);
}

/* True when d's current value equals its default. */
static int is_default(const cdef_t *d)
{
    char err[ERRSZ];
    char *cur, *def;
    cval_t v;
    int same;

    if (d->ops == &t_dir)
        return 0;
    if (stage(d, d->dflt, &v, err) != 0)
        return 0;
    cur = current_text(d, 1);
    def = format_text(d, &v, 1);
    cval_clear(&v);
    same = strcmp(cur, def) == 0;
    free(cur);
    free(def);
    return same;
}

/* The directive a config line sets, or NULL (comment, include, a line
 * that does not split). The first word is read as the loader reads it,
 * so "port" in quotes or escaped is port. */
static const cdef_t *line_directive(const char *line)
{
    const char *p = line;
    const cdef_t *d = NULL;
    char **argv;
    char *store;
    int argc;

    while (isspace((unsigned char)*p))
        p++;
    if (*p == '#' || *p == '\0')
        return NULL;
    argc = split_new(p, &argv, &store);
    if (argc == -ENOMEM)
        return NULL;
    if (argc > 0)
        d = lookup(argv[0], strlen(argv[0]));
    free(store);
    free(argv);
    return d;
}

/* Write the kept/updated lines of the old file to f; marks seen[]. */
static int rewrite_old_lines(FILE *f, char *old, unsigned char *seen,
                             int *has_sig)
{
    char *next;

    for (char *l = old; *l; l = next) {
        const cdef_t *d;

        next = strchr(l, '\n');
        if (next)
            *next++ = '\0';
        else
            next = l + strlen(l);
        d = line_directive(l);

        if (strcmp(l, REWRITE_SIGNATURE) == 0)
            *has_sig = 1;
        if (!d) {
            fprintf(f, "%s\n", l);
            continue;
        }
        if (seen[d - directives]++)
            continue;
        rewrite_line(f, d);
    }
    return ferror(f) ? -EIO : 0;
}

/* Append the changed directives the old file did not mention. */
static void rewrite_new_lines(FILE *f, const unsigned char *seen,
                              int has_sig)
{
    for (size_t i = 0; i < N_DIRECTIVES; i++) {
        const cdef_t *d = &directives[i];

        if (seen[i] || is_default(d) || d->ops == &t_dir)
            continue;
        if (!has_sig) {
            fprintf(f, "\n%s\n", REWRITE_SIGNATURE);
            has_sig = 1;
        }
        rewrite_line(f, d);
    }
}

/* Contract in server.h. */
int srv_config_rewrite_file(const char *path)
{
    unsigned char seen[N_DIRECTIVES];
    char tmp[4096], err[ERRSZ];
    char *old = read_file_text(path, err, sizeof(err));
    FILE *f;
    int has_sig = 0, rc;

    if (!old)
        old = xstrdup("");
    memset(seen, 0, sizeof(seen));
    snprintf(tmp, sizeof(tmp), "%s.rewrite-%d.tmp", path, (int)getpid());
    f = fopen(tmp, "w");
    if (!f) {
        rc = -errno;
        free(old);
        return rc;
    }
    rc = rewrite_old_lines(f, old, seen, &has_sig);
    rewrite_new_lines(f, seen, has_sig);
    free(old);
    if (fflush(f) != 0 || fsync(fileno(f)) != 0 || ferror(f))
        rc = -EIO;
    fclose(f);
    if (rc == 0 && rename(tmp, path) != 0)
        rc = -errno;
    if (rc != 0)
        unlink(tmp);
    return rc;
}

/* CONFIG REWRITE */
void cmd_config_rewrite(srv_client_t *c)
{
    int rc;

    if (!srv.cfg.configfile) {
        srv_reply_error(c, "ERR The server is running without a config "
                        "file");
        return;
    }
    rc = srv_config_rewrite_file(srv.cfg.configfile);
    if (rc != 0) {
        srv_log(SRV_LOG_WARNING, "CONFIG REWRITE failed: %s",
                strerror(-rc));
        srv_reply_errorf(c, "ERR Rewriting config file: %s", strerror(-rc));
        return;
    }
    srv_log(SRV_LOG_NOTICE, "CONFIG REWRITE executed with success.");
    srv_reply_ok(c);
}
