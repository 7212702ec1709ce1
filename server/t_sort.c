/*
 * t_sort.c - SORT and SORT_RO, as Redis 7.0's sort.c behaves:
 *
 *   SORT key [BY pattern] [LIMIT offset count] [GET pattern ...]
 *        [ASC|DESC] [ALPHA] [STORE destination]
 *
 * The input is a list, a set or a sorted set. Each element gets a weight:
 * itself, or the value found through the BY pattern (`*` replaced by the
 * element, `key->field` reading a hash field). Numeric weights are parsed
 * with strtod as Redis does (ties broken by comparing the elements'
 * bytes); ALPHA compares bytes: with STORE as memcmp, without it as
 * strcoll in the C locale (byte order, ending at the first NUL), which is
 * what Redis gives in that locale. A BY pattern without `*` means "do not
 * sort": lists and sorted sets keep their native order (LIMIT then reads
 * only the range asked for), sets are sorted ALPHA anyway when STORE is
 * given so the stored result is deterministic.
 *
 * GET patterns replace each output element by looked-up values (`#` is the
 * element itself). STORE writes the result as a list (deleting the
 * destination when the result is empty) and replies its length.
 *
 * Elements are borrowed from the sorted container, which is held by an
 * extra reference for the whole command; ALPHA weights read through a BY
 * pattern are copied into one arena, since they come from other keys.
 */
#include "commands.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "heap.h"
#include "resp.h"
#include "server.h"

#define NO_CMP SIZE_MAX

/* One element being sorted. */
typedef struct sort_item {
    hp_elem_t e;       /* the element (borrowed from the container) */
    double score;      /* numeric weight (0 when BY found nothing) */
    size_t cmp_off;    /* ALPHA BY weight: offset in the arena, or NO_CMP */
    size_t cmp_len;
    const char *cmp;   /* resolved from cmp_off once loading is done */
    size_t idx;        /* load order, to keep the sort stable */
} sort_item_t;

/* The parsed command and the state of one run. */
typedef struct sort_ctx {
    srv_client_t *c;
    int desc, alpha, dontsort;
    int by;            /* argv index of the BY pattern, 0 = none */
    int store;         /* argv index of the STORE key, 0 = none */
    int *gets;         /* argv indexes of the GET patterns (owned) */
    int ngets;
    int64_t limit_start, limit_count;
    char *scratch;     /* key building / strtod buffer (owned) */
    size_t scratch_cap;
    char *arena;       /* ALPHA BY weights (owned) */
    size_t arena_len, arena_cap;
} sort_ctx_t;

/* ---------------------------------------------------------------------
 * Buffers
 * ------------------------------------------------------------------ */

/* Make the scratch buffer hold at least n bytes: 0 or -ENOMEM. */
static int scratch_reserve(sort_ctx_t *x, size_t n)
{
    char *p;

    if (n <= x->scratch_cap)
        return 0;
    p = hp_realloc(x->scratch, n);
    if (p == NULL)
        return -ENOMEM;
    x->scratch = p;
    x->scratch_cap = n;
    return 0;
}

/* Append len bytes to the arena; their offset goes to *off. 0 or
 * -ENOMEM. */
static int arena_add(sort_ctx_t *x, const char *s, size_t len, size_t *off)
{
    if (x->arena_len + len > x->arena_cap) {
        size_t cap = x->arena_cap ? x->arena_cap * 2 : 256;
        char *p;

        while (cap < x->arena_len + len)
            cap *= 2;
        p = hp_realloc(x->arena, cap);
        if (p == NULL)
            return -ENOMEM;
        x->arena = p;
        x->arena_cap = cap;
    }
    if (len)
        memcpy(x->arena + x->arena_len, s, len);
    *off = x->arena_len;
    x->arena_len += len;
    return 0;
}

/* ---------------------------------------------------------------------
 * Patterns
 * ------------------------------------------------------------------ */

/* Length of the C string Redis sees in s[0..len) (up to the first NUL). */
static size_t c_len(const char *s, size_t len)
{
    const char *z = memchr(s, '\0', len);

    return z ? (size_t)(z - s) : len;
}

/* True when the pattern has a `*` (Redis's strchr test for BY). */
static int pattern_has_star(const resp_slice_t *p)
{
    return memchr(p->ptr, '*', c_len(p->ptr, p->len)) != NULL;
}

/* Find "->" in s[from..end) as strstr does: its offset, or -1. */
static long find_arrow(const char *s, size_t from, size_t end)
{
    size_t i;

    for (i = from; i + 1 < end; i++) {
        if (s[i] == '-' && s[i + 1] == '>')
            return (long)i;
    }
    return -1;
}

/* Look the pattern up for element sub (Redis's lookupKeyByPattern): "#"
 * gives the element itself; otherwise `*` is replaced by the element and
 * the key must hold a string, or with "->field" a hash having that field.
 * On success the value goes to *out (borrowed until the keyspace changes;
 * integers of string objects as s == NULL) and 1 is returned; 0 when
 * there is no value; -ENOMEM. */
static int lookup_pattern(sort_ctx_t *x, const resp_slice_t *pat,
                          const hp_elem_t *sub, hp_elem_t *out)
{
    const char *p = pat->ptr, *star, *field = NULL, *ss;
    size_t clen = c_len(p, pat->len), prefix, postfix, fieldlen = 0, sublen;
    char ibuf[HP_INT_BUF];
    hp_obj_t *o;
    long arrow;

    if (clen == 1 && p[0] == '#') {
        *out = *sub;
        return 1;
    }
    star = memchr(p, '*', clen);
    if (star == NULL)
        return 0;
    prefix = (size_t)(star - p);
    arrow = find_arrow(p, prefix + 1, clen);
    if (arrow >= 0 && (size_t)arrow + 2 < clen) {
        field = p + arrow + 2;
        fieldlen = pat->len - (size_t)arrow - 2;
    }
    postfix = pat->len - prefix - 1 - (field ? fieldlen + 2 : 0);
    ss = hp_elem_bytes(sub, ibuf, &sublen);
    if (scratch_reserve(x, prefix + sublen + postfix + 1) < 0)
        return -ENOMEM;
    memcpy(x->scratch, p, prefix);
    memcpy(x->scratch + prefix, ss, sublen);
    memcpy(x->scratch + prefix + sublen, star + 1, postfix);
    o = srv_db_lookup_read(x->c->db, x->scratch, prefix + sublen + postfix);
    if (o == NULL)
        return 0;
    if (field) {
        if (o->type != HP_TYPE_HASH)
            return 0;
        return hp_hash_get(o, field, fieldlen, out) == 0;
    }
    if (o->type != HP_TYPE_STRING)
        return 0;
    out->i = 0;
    if (o->encoding == HP_ENC_INT) {
        out->s = NULL;
        out->len = 0;
        out->i = o->v.i;
    } else {
        /* Not int-encoded: the bytes live in the object, buf is unused. */
        out->s = hp_str_bytes(o, ibuf, &out->len);
    }
    return 1;
}

/* ---------------------------------------------------------------------
 * Comparison
 * ------------------------------------------------------------------ */

/* Binary compare (Redis's compareStringObjects): memcmp, then length. */
static int cmp_binary(const char *a, size_t alen, const char *b, size_t blen)
{
    int r = memcmp(a, b, alen < blen ? alen : blen);

    if (r != 0)
        return r;
    return alen < blen ? -1 : alen > blen;
}

/* strcoll in the C locale: unsigned bytes up to the first NUL. */
static int cmp_collate(const char *a, size_t alen, const char *b,
                       size_t blen)
{
    size_t i;

    for (i = 0;; i++) {
        unsigned char ca = i < alen ? (unsigned char)a[i] : 0;
        unsigned char cb = i < blen ? (unsigned char)b[i] : 0;

        if (ca != cb)
            return ca < cb ? -1 : 1;
        if (ca == 0)
            return 0;
    }
}

/* Compare two elements' bytes, binary or collated. */
static int cmp_elems(const hp_elem_t *a, const hp_elem_t *b, int collate)
{
    char ba[HP_INT_BUF], bb[HP_INT_BUF];
    size_t la, lb;
    const char *sa = hp_elem_bytes(a, ba, &la);
    const char *sb = hp_elem_bytes(b, bb, &lb);

    return collate ? cmp_collate(sa, la, sb, lb) : cmp_binary(sa, la, sb, lb);
}

/* Redis's sortCompare for two items under the options of x, then load
 * order so equal items keep their places. */
static int item_cmp(const sort_ctx_t *x, const sort_item_t *a,
                    const sort_item_t *b)
{
    int cmp;

    if (!x->alpha) {
        if (a->score > b->score)
            cmp = 1;
        else if (a->score < b->score)
            cmp = -1;
        else
            cmp = cmp_elems(&a->e, &b->e, 0);
    } else if (x->by) {
        if (a->cmp == NULL || b->cmp == NULL)
            cmp = (a->cmp == b->cmp) ? 0 : (a->cmp == NULL ? -1 : 1);
        else if (x->store)
            cmp = cmp_binary(a->cmp, a->cmp_len, b->cmp, b->cmp_len);
        else
            cmp = cmp_collate(a->cmp, a->cmp_len, b->cmp, b->cmp_len);
    } else {
        cmp = cmp_elems(&a->e, &b->e, !x->store);
    }
    if (x->desc)
        cmp = -cmp;
    if (cmp == 0)
        cmp = a->idx < b->idx ? -1 : a->idx > b->idx;
    return cmp;
}

/* Stable merge sort of v[0..n) with tmp (n items) as work space. */
static void merge_sort(const sort_ctx_t *x, sort_item_t *v, sort_item_t *tmp,
                       size_t n)
{
    size_t mid = n / 2, i = 0, j, k = 0;

    if (n < 2)
        return;
    merge_sort(x, v, tmp, mid);
    merge_sort(x, v + mid, tmp, n - mid);
    j = mid;
    while (i < mid && j < n) {
        if (item_cmp(x, &v[j], &v[i]) < 0)
            tmp[k++] = v[j++];
        else
            tmp[k++] = v[i++];
    }
    while (i < mid)
        tmp[k++] = v[i++];
    while (j < n)
        tmp[k++] = v[j++];
    memcpy(v, tmp, n * sizeof(*v));
}

/* ---------------------------------------------------------------------
 * Parsing
 * ------------------------------------------------------------------ */

/* Parse the options into x. Replies the error and returns -1 on a bad
 * LIMIT number or a syntax error (STORE is one for SORT_RO). */
static int parse_options(sort_ctx_t *x, int readonly)
{
    srv_client_t *c = x->c;
    int j;

    for (j = 2; j < c->argc; j++) {
        int left = c->argc - j - 1;
        const resp_slice_t *a = &c->argv[j];

        if (srv_arg_is(a, "asc")) {
            x->desc = 0;
        } else if (srv_arg_is(a, "desc")) {
            x->desc = 1;
        } else if (srv_arg_is(a, "alpha")) {
            x->alpha = 1;
        } else if (srv_arg_is(a, "limit") && left >= 2) {
            if (srv_arg_ll_or_reply(c, &c->argv[j + 1], &x->limit_start,
                                    NULL) < 0 ||
                srv_arg_ll_or_reply(c, &c->argv[j + 2], &x->limit_count,
                                    NULL) < 0)
                return -1;
            j += 2;
        } else if (srv_arg_is(a, "store") && left >= 1 && !readonly) {
            x->store = ++j;
        } else if (srv_arg_is(a, "by") && left >= 1) {
            x->by = ++j;
            if (!pattern_has_star(&c->argv[j]))
                x->dontsort = 1;
        } else if (srv_arg_is(a, "get") && left >= 1) {
            x->gets[x->ngets++] = ++j;
        } else {
            srv_reply_syntax_error(c);
            return -1;
        }
    }
    return 0;
}

/* ---------------------------------------------------------------------
 * Loading
 * ------------------------------------------------------------------ */

/* Number of elements of a list, set or zset. */
static size_t container_len(const hp_obj_t *o)
{
    switch (o->type) {
    case HP_TYPE_LIST:
        return hp_list_len(o);
    case HP_TYPE_SET:
        return hp_set_len(o);
    default:
        return hp_zset_len(o);
    }
}

/* Put element e at v[*n] and count it. */
static void add_item(sort_item_t *v, size_t *n, const hp_elem_t *e)
{
    sort_item_t *it = &v[*n];

    it->e = *e;
    it->score = 0;
    it->cmp_off = NO_CMP;
    it->cmp_len = 0;
    it->cmp = NULL;
    it->idx = *n;
    (*n)++;
}

/* Load count elements of o into v, from position first (list index or
 * zset rank counted from the head, or from the tail when reverse). Sets
 * are always loaded whole. Returns how many were loaded. */
static size_t load_items(hp_obj_t *o, sort_item_t *v, size_t first,
                         size_t count, int reverse)
{
    size_t n = 0, len = container_len(o);
    hp_elem_t e;

    if (o->type == HP_TYPE_SET) {
        hp_set_iter_t it;

        hp_set_iter_init(&it, o);
        while (n < count && hp_set_iter_next(&it, &e))
            add_item(v, &n, &e);
        hp_set_iter_fini(&it);
    } else if (count == 0) {
        return 0;
    } else if (o->type == HP_TYPE_LIST) {
        hp_list_iter_t it;
        long start = reverse ? -(long)first - 1 : (long)first;

        hp_list_iter_init(&it, o, start, count, reverse);
        while (n < count && hp_list_iter_next(&it, &e))
            add_item(v, &n, &e);
    } else {
        hp_zset_iter_t it;
        double score;
        size_t rank = reverse ? len - 1 - first : first;

        hp_zset_iter_init(&it, o, rank, count, reverse);
        while (n < count && hp_zset_iter_next(&it, &e, &score))
            add_item(v, &n, &e);
    }
    return n;
}

/* Redis's numeric weight of a value: integers exactly, strings through
 * strtod on their C string, which must be consumed whole, in range and
 * not NaN. 0, -EINVAL (not a double) or -ENOMEM. */
static int value_score(sort_ctx_t *x, const hp_elem_t *e, double *out)
{
    char *end;

    if (e->s == NULL) {
        *out = (double)e->i;
        return 0;
    }
    if (scratch_reserve(x, e->len + 1) < 0)
        return -ENOMEM;
    memcpy(x->scratch, e->s, e->len);
    x->scratch[e->len] = '\0';
    errno = 0;
    *out = strtod(x->scratch, &end);
    if (end[0] != '\0' || errno == ERANGE || isnan(*out))
        return -EINVAL;
    return 0;
}

/* Compute the weights of v[0..n): numeric scores, or ALPHA BY values into
 * the arena. *bad is set when a score is not a double. 0 or -ENOMEM. */
static int load_weights(sort_ctx_t *x, sort_item_t *v, size_t n, int *bad)
{
    const resp_slice_t *by = x->by ? &x->c->argv[x->by] : NULL;
    size_t j;

    for (j = 0; j < n; j++) {
        hp_elem_t w = v[j].e;
        int rc;

        if (by) {
            rc = lookup_pattern(x, by, &v[j].e, &w);
            if (rc < 0)
                return rc;
            if (rc == 0)
                continue;
        }
        if (x->alpha) {
            if (by) {
                char buf[HP_INT_BUF];
                const char *s = hp_elem_bytes(&w, buf, &v[j].cmp_len);

                if (arena_add(x, s, v[j].cmp_len, &v[j].cmp_off) < 0)
                    return -ENOMEM;
            }
        } else {
            rc = value_score(x, &w, &v[j].score);
            if (rc == -ENOMEM)
                return rc;
            if (rc < 0)
                *bad = 1;
        }
    }
    for (j = 0; j < n; j++) {
        if (v[j].cmp_off != NO_CMP)
            v[j].cmp = x->arena + v[j].cmp_off;
    }
    return 0;
}

/* ---------------------------------------------------------------------
 * Output
 * ------------------------------------------------------------------ */

/* Grow the scratch buffer up front to fit every GET key of
 * v[start..end], so that no lookup can fail once the reply has begun. 0
 * or -ENOMEM. */
static int reserve_for_gets(sort_ctx_t *x, const sort_item_t *v,
                            int64_t start, int64_t end)
{
    size_t maxpat = 0, maxel = 0;
    int64_t j;
    int g;

    for (g = 0; g < x->ngets; g++) {
        if (x->c->argv[x->gets[g]].len > maxpat)
            maxpat = x->c->argv[x->gets[g]].len;
    }
    if (x->ngets == 0)
        return 0;
    for (j = start; j <= end; j++) {
        size_t len = v[j].e.s ? v[j].e.len : HP_INT_BUF;

        if (len > maxel)
            maxel = len;
    }
    return scratch_reserve(x, maxpat + maxel + 1);
}

/* Reply v[start..end] (or their GET values) as an array. 0 or -ENOMEM
 * (before anything is replied). */
static int reply_items(sort_ctx_t *x, const sort_item_t *v, int64_t start,
                       int64_t end)
{
    srv_client_t *c = x->c;
    int64_t n = end - start + 1, j;
    int g, rc;
    hp_elem_t val;
    char buf[HP_INT_BUF];
    const char *s;
    size_t len;

    if (reserve_for_gets(x, v, start, end) < 0)
        return -ENOMEM;
    srv_reply_array_len(c, x->ngets ? n * x->ngets : n);
    for (j = start; j <= end; j++) {
        if (x->ngets == 0) {
            s = hp_elem_bytes(&v[j].e, buf, &len);
            srv_reply_bulk(c, s, len);
        }
        for (g = 0; g < x->ngets; g++) {
            rc = lookup_pattern(x, &c->argv[x->gets[g]], &v[j].e, &val);
            if (rc < 0)
                return rc;
            if (rc == 0) {
                srv_reply_null(c);
                continue;
            }
            s = hp_elem_bytes(&val, buf, &len);
            srv_reply_bulk(c, s, len);
        }
    }
    return 0;
}

/* Build the result list of v[start..end] (GET values, "" for missing
 * ones) into *out (new reference). 0 or -ENOMEM. */
static int build_list(sort_ctx_t *x, const sort_item_t *v, int64_t start,
                      int64_t end, hp_obj_t **out)
{
    srv_client_t *c = x->c;
    hp_obj_t *l;
    hp_elem_t val;
    char buf[HP_INT_BUF];
    const char *s;
    size_t len;
    int64_t j;
    int g, rc;

    hp_limits.list_max_listpack_size = srv.cfg.list_max_listpack_size;
    l = hp_list_new();
    if (l == NULL)
        return -ENOMEM;
    for (j = start; j <= end; j++) {
        if (x->ngets == 0) {
            s = hp_elem_bytes(&v[j].e, buf, &len);
            if (hp_list_push(l, HP_LIST_TAIL, s, len) < 0)
                goto fail;
        }
        for (g = 0; g < x->ngets; g++) {
            rc = lookup_pattern(x, &c->argv[x->gets[g]], &v[j].e, &val);
            if (rc < 0)
                goto fail;
            s = "";
            len = 0;
            if (rc == 1)
                s = hp_elem_bytes(&val, buf, &len);
            if (hp_list_push(l, HP_LIST_TAIL, s, len) < 0)
                goto fail;
        }
    }
    *out = l;
    return 0;
fail:
    hp_decref(l);
    return -ENOMEM;
}

/* STORE: bind the result list to the destination (or delete it when the
 * result is empty) and reply the number of elements. 0 or -ENOMEM. */
static int store_items(sort_ctx_t *x, const sort_item_t *v, int64_t start,
                       int64_t end)
{
    srv_client_t *c = x->c;
    const resp_slice_t *dst = &c->argv[x->store];
    int64_t n = end - start + 1;
    int64_t outlen = x->ngets ? n * x->ngets : n;
    hp_obj_t *l = NULL;

    if (outlen > 0) {
        if (build_list(x, v, start, end, &l) < 0)
            return -ENOMEM;
        if (srv_db_set(c->db, dst->ptr, dst->len, l, 0) < 0) {
            hp_decref(l);
            return -ENOMEM;
        }
        hp_decref(l);
        /* Redis counts one change per stored element; the set counted 1. */
        srv.stats.dirty += (uint64_t)outlen - 1;
        srv_notify(SRV_NOTIFY_LIST, "sortstore", c->db, dst->ptr, dst->len);
    } else if (srv_db_delete(c->db, dst->ptr, dst->len)) {
        srv_notify(SRV_NOTIFY_GENERIC, "del", c->db, dst->ptr, dst->len);
    }
    srv_reply_int(c, outlen);
    return 0;
}

/* ---------------------------------------------------------------------
 * The command
 * ------------------------------------------------------------------ */

/* Sort the loaded items and send or store the result. 0 or -ENOMEM (no
 * reply sent). */
static int sort_and_output(sort_ctx_t *x, sort_item_t *v, size_t n,
                           int64_t start, int64_t end)
{
    int bad = 0;

    if (!x->dontsort) {
        sort_item_t *tmp;

        if (load_weights(x, v, n, &bad) < 0)
            return -ENOMEM;
        tmp = hp_malloc((n ? n : 1) * sizeof(*tmp));
        if (tmp == NULL)
            return -ENOMEM;
        merge_sort(x, v, tmp, n);
        hp_free(tmp);
    }
    if (bad) {
        srv_reply_error(x->c,
                        "ERR One or more scores can't be converted into "
                        "double");
        return 0;
    }
    if (x->store)
        return store_items(x, v, start, end);
    return reply_items(x, v, start, end);
}

/* Load the elements of o and run the sort (o held by the caller). 0 or
 * -ENOMEM (no reply sent). */
static int sort_object(sort_ctx_t *x, hp_obj_t *o)
{
    int64_t len = (int64_t)container_len(o), start, cnt, end, vlen = len;
    size_t first = 0, loaded;
    sort_item_t *v;
    int rc, native = o->type != HP_TYPE_SET && x->dontsort;

    /* Redis's LIMIT clipping. */
    start = x->limit_start < 0 ? 0 : x->limit_start;
    if (start > len)
        start = len;
    cnt = x->limit_count < -1 ? -1 : x->limit_count;
    if (cnt > len)
        cnt = len;
    end = cnt < 0 ? len - 1 : start + cnt - 1;
    if (start >= len) {
        start = len - 1;
        end = len - 2;
    }
    if (end >= len)
        end = len - 1;
    if (native) {
        /* Lists and zsets in native order: read just the range. */
        vlen = end >= start ? end - start + 1 : 0;
        first = end >= start ? (size_t)start : 0;
    }
    v = hp_malloc((size_t)(vlen ? vlen : 1) * sizeof(*v));
    if (v == NULL)
        return -ENOMEM;
    loaded = load_items(o, v, first, (size_t)vlen, native ? x->desc : 0);
    if (native) {
        end -= start;
        start = 0;
    }
    rc = sort_and_output(x, v, loaded, start, end);
    hp_free(v);
    return rc;
}

/* SORT / SORT_RO: parse, look the key up, sort, reply. */
static void sort_generic(srv_client_t *c, int readonly)
{
    sort_ctx_t x;
    hp_obj_t *o;
    int rc;

    memset(&x, 0, sizeof(x));
    x.c = c;
    x.limit_count = -1;
    x.gets = hp_malloc((size_t)c->argc * sizeof(*x.gets));
    if (x.gets == NULL) {
        srv_reply_oom(c);
        return;
    }
    if (parse_options(&x, readonly) < 0)
        goto out;
    o = srv_db_lookup_read(c->db, c->argv[1].ptr, c->argv[1].len);
    if (o && o->type != HP_TYPE_LIST && o->type != HP_TYPE_SET &&
        o->type != HP_TYPE_ZSET) {
        srv_reply_wrongtype(c);
        goto out;
    }
    if (o == NULL) {
        o = hp_list_new();
        if (o == NULL) {
            srv_reply_oom(c);
            goto out;
        }
    } else {
        hp_incref(o);
    }
    /* A set in hash order is not deterministic: STORE sorts it ALPHA. */
    if (x.dontsort && o->type == HP_TYPE_SET && x.store) {
        x.dontsort = 0;
        x.alpha = 1;
        x.by = 0;
    }
    rc = sort_object(&x, o);
    hp_decref(o);
    if (rc < 0)
        srv_reply_oom(c);
out:
    hp_free(x.gets);
    hp_free(x.scratch);
    hp_free(x.arena);
}

/* SORT key [BY pattern] [LIMIT offset count] [GET pattern ...] [ASC|DESC]
 * [ALPHA] [STORE destination] */
void cmd_sort(srv_client_t *c)
{
    sort_generic(c, 0);
}

/* SORT_RO: SORT without STORE, read-only. */
void cmd_sort_ro(srv_client_t *c)
{
    sort_generic(c, 1);
}

/* COMMAND GETKEYS support (Redis's sortGetKeys): the index in args (args[0]
 * is "sort") of the key the last STORE option names, or 0 when there is
 * none. LIMIT, GET and BY skip their arguments; a STORE does not, as in
 * Redis. */
int srv_sort_store_key(const resp_slice_t *args, int argc)
{
    int i, store = 0;

    for (i = 2; i < argc; i++) {
        if (srv_arg_is(&args[i], "limit"))
            i += 2;
        else if (srv_arg_is(&args[i], "get") || srv_arg_is(&args[i], "by"))
            i += 1;
        else if (srv_arg_is(&args[i], "store") && i + 1 < argc)
            store = i + 1;
    }
    return store;
}
