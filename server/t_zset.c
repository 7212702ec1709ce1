/*
 * t_zset.c - the sorted set commands: ZADD/ZINCRBY, ZREM, ZCARD, ZSCORE,
 * ZMSCORE, ZRANK/ZREVRANK, the ZRANGE family (by rank, score and lex, in
 * both directions, with LIMIT and WITHSCORES, and ZRANGESTORE), ZCOUNT,
 * ZLEXCOUNT, ZPOPMIN/ZPOPMAX/ZMPOP, ZRANDMEMBER, the set algebra
 * (ZUNION/ZINTER/ZDIFF, their STORE forms and ZINTERCARD), the
 * ZREMRANGEBY* family and ZSCAN, with Redis 7.0's replies and error texts.
 *
 * The values are heap zsets (heap.h, hp_zset_*): every range is resolved
 * by the heap into a span of ranks, which the commands here clip (LIMIT,
 * index rules) and walk with an iterator. Scores are replied with
 * srv_reply_double (Redis 7.0's addReplyDouble: "%.17g", "inf"/"-inf").
 * A command that empties a zset deletes its key; every write signals the
 * key as modified.
 */
#include "commands.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "heap.h"
#include "resp.h"
#include "server.h"

#define KEY(c, i) (c)->argv[(i)].ptr, (c)->argv[(i)].len

#define ERR_NOT_FLOAT_RANGE "ERR min or max is not a float"
#define ERR_NOT_LEX_RANGE "ERR min or max not valid string range item"
#define ERR_NAN_RESULT "ERR resulting score is not a number (NaN)"
#define ERR_POSITIVE "ERR value is out of range, must be positive"

/* ---------------------------------------------------------------------
 * Helpers
 * ------------------------------------------------------------------ */

/* Reply WRONGTYPE and return 1 when o exists and is not a zset. */
static int not_zset_reply(srv_client_t *c, const hp_obj_t *o)
{
    if (o && o->type != HP_TYPE_ZSET) {
        srv_reply_wrongtype(c);
        return 1;
    }
    return 0;
}

/* Reply a member element as a bulk string. */
static void reply_elem(srv_client_t *c, const hp_elem_t *m)
{
    char buf[HP_INT_BUF];
    size_t len;
    const char *s = hp_elem_bytes(m, buf, &len);

    srv_reply_bulk(c, s, len);
}

/* After removing members from the zset bound to argv[ki]: notify event
 * (a zset event), delete the key when empty (which signals it; a "del"
 * event), else signal it. */
static void after_removal(srv_client_t *c, int ki, hp_obj_t *o,
                          const char *event)
{
    srv_notify(SRV_NOTIFY_ZSET, event, c->db, KEY(c, ki));
    if (hp_zset_len(o) == 0) {
        srv_db_delete(c->db, KEY(c, ki));
        srv_notify(SRV_NOTIFY_GENERIC, "del", c->db, KEY(c, ki));
    } else {
        srv_db_signal_modified(c->db, KEY(c, ki));
    }
}

/* Parse a long argument as Redis's getLongFromObjectOrReply. */
static int arg_long_or_reply(srv_client_t *c, const resp_slice_t *a,
                             long *out, const char *msg)
{
    int64_t v;

    if (srv_arg_ll_or_reply(c, a, &v, msg) != 0) return -1;
    *out = (long)v;
    return 0;
}

/* ---------------------------------------------------------------------
 * Range parsing (Redis's zslParseRange and zslParseLexRange)
 * ------------------------------------------------------------------ */

/* One score bound: "(" makes it exclusive; the rest is read by strtod up
 * to the first NUL (so "" is 0 and a leading space is allowed, as in
 * Redis); NaN is refused. 0 or -1. */
static int parse_score_bound(const resp_slice_t *a, double *v, int *ex)
{
    char small[128], *buf = small, *end;
    const char *s = a->ptr;
    size_t len = a->len;
    int rc = -1;

    *ex = 0;
    if (len && s[0] == '(') {
        *ex = 1;
        s++;
        len--;
    }
    if (len >= sizeof(small)) {
        buf = malloc(len + 1);
        if (!buf) return -1;
    }
    memcpy(buf, s, len);
    buf[len] = '\0';
    *v = strtod(buf, &end);
    if (*end == '\0' && !isnan(*v)) rc = 0;
    if (buf != small) free(buf);
    return rc;
}

/* A score range from min and max arguments. 0 or -1. */
static int parse_score_range(const resp_slice_t *min, const resp_slice_t *max,
                             hp_zrange_t *r)
{
    if (parse_score_bound(min, &r->min, &r->minex) != 0) return -1;
    return parse_score_bound(max, &r->max, &r->maxex);
}

/* One lex bound: "-", "+", "(member" or "[member". 0 or -1. The bound
 * points into the argument (valid during the command). */
static int parse_lex_bound(const resp_slice_t *a, hp_zlex_bound_t *b)
{
    b->s = NULL;
    b->len = 0;
    b->inf = 0;
    b->ex = 0;
    if (a->len == 0) return -1;
    switch (a->ptr[0]) {
    case '+':
    case '-':
        if (a->len != 1) return -1;
        b->inf = a->ptr[0] == '+' ? 1 : -1;
        b->ex = 1;
        return 0;
    case '(':
    case '[':
        b->ex = a->ptr[0] == '(';
        b->s = a->ptr + 1;
        b->len = a->len - 1;
        return 0;
    default:
        return -1;
    }
}

static int parse_lex_range(const resp_slice_t *min, const resp_slice_t *max,
                           hp_zlex_t *r)
{
    if (parse_lex_bound(min, &r->min) != 0) return -1;
    return parse_lex_bound(max, &r->max);
}

/* Clip Redis rank indexes start/end against len: 0 with *first and
 * *count set, or -1 for an empty range. */
static int clip_ranks(long start, long end, size_t len, size_t *first,
                      size_t *count)
{
    long llen = (long)len;

    if (start < 0) start = llen + start;
    if (end < 0) end = llen + end;
    if (start < 0) start = 0;
    if (start > end || start >= llen) return -1;
    if (end >= llen) end = llen - 1;
    *first = (size_t)start;
    *count = (size_t)(end - start + 1);
    return 0;
}

/* ---------------------------------------------------------------------
 * Results: reply them, or store them into a new zset (ZRANGESTORE)
 * ------------------------------------------------------------------ */

typedef struct zresult {
    srv_client_t *c;
    int store;      /* build a zset instead of replying */
    hp_obj_t *dst;  /* store: the zset being built (new reference) */
    int withscores;
    int oom;        /* store: an add failed */
} zresult_t;

/* Start emitting count members. */
static void result_begin(zresult_t *r, size_t count)
{
    if (r->store) {
        if (!r->dst && !r->oom) {
            r->dst = hp_zset_new(count, 0);
            if (!r->dst) r->oom = 1;
        }
        return;
    }
    if (r->withscores && r->c->resp == 2)
        srv_reply_array_len(r->c, (int64_t)count * 2);
    else
        srv_reply_array_len(r->c, (int64_t)count);
}

/* Emit one member (borrowed) and its score. */
static void result_emit(zresult_t *r, const hp_elem_t *m, double score)
{
    if (r->store) {
        char buf[HP_INT_BUF];
        size_t len;
        const char *s = hp_elem_bytes(m, buf, &len);
        int out;

        if (r->dst && !r->oom && hp_zset_add(r->dst, score, s, len, 0, &out, NULL) < 0)
            r->oom = 1;
        return;
    }
    if (r->withscores && r->c->resp > 2) srv_reply_array_len(r->c, 2);
    reply_elem(r->c, m);
    if (r->withscores) srv_reply_double(r->c, score);
}

/* Emit count members from rank, walking up or down. */
static void result_emit_ranks(zresult_t *r, hp_obj_t *o, size_t rank,
                              size_t count, int reverse)
{
    hp_zset_iter_t it;
    hp_elem_t m;
    double s;

    result_begin(r, count);
    hp_zset_iter_init(&it, o, rank, count, reverse);
    while (hp_zset_iter_next(&it, &m, &s)) result_emit(r, &m, s);
}

/* Store: bind the built zset to argv[ki] (or delete the key when empty)
 * and reply its size; notify event (or "del"). Consumes r->dst. */
static void result_store(zresult_t *r, int ki, const char *event)
{
    srv_client_t *c = r->c;
    size_t n = r->dst ? hp_zset_len(r->dst) : 0;

    if (r->oom) {
        srv_reply_oom(c);
    } else if (n) {
        if (srv_db_set(c->db, KEY(c, ki), r->dst, 0) < 0) {
            srv_reply_oom(c);
        } else {
            srv_reply_int(c, (int64_t)n);
            srv_notify(SRV_NOTIFY_ZSET, event, c->db, KEY(c, ki));
        }
    } else {
        srv_reply_int(c, 0);
        if (srv_db_delete(c->db, KEY(c, ki)))
            srv_notify(SRV_NOTIFY_GENERIC, "del", c->db, KEY(c, ki));
    }
    hp_decref(r->dst);
    r->dst = NULL;
}

/* ---------------------------------------------------------------------
 * ZADD, ZINCRBY
 * ------------------------------------------------------------------ */

/* ZADD option words from argv[2]; returns the index of the first score
 * and sets *flags (HP_ZADD_*) and *ch. */
static int zadd_parse_flags(srv_client_t *c, int *flags, int *ch)
{
    static const struct {
        const char *name;
        int flag;
    } words[] = {{"nx", HP_ZADD_NX}, {"xx", HP_ZADD_XX}, {"gt", HP_ZADD_GT},
                 {"lt", HP_ZADD_LT}, {"incr", HP_ZADD_INCR}, {"ch", 0}};
    int j = 2;

    *flags = 0;
    *ch = 0;
    for (; j < c->argc; j++) {
        size_t w;

        for (w = 0; w < sizeof(words) / sizeof(words[0]); w++)
            if (srv_arg_is(&c->argv[j], words[w].name)) break;
        if (w == sizeof(words) / sizeof(words[0])) break;
        if (words[w].flag == 0)
            *ch = 1;
        else
            *flags |= words[w].flag;
    }
    return j;
}

/* Check option conflicts and the pair count; reply the error and return
 * -1, else the number of pairs. */
static long zadd_check(srv_client_t *c, int flags, int scoreidx)
{
    long elements = c->argc - scoreidx;

    if (elements % 2 || !elements) {
        srv_reply_syntax_error(c);
        return -1;
    }
    elements /= 2;
    if ((flags & HP_ZADD_NX) && (flags & HP_ZADD_XX)) {
        srv_reply_error(c, "ERR XX and NX options at the same time are not "
                           "compatible");
        return -1;
    }
    if (((flags & HP_ZADD_GT) && (flags & (HP_ZADD_NX | HP_ZADD_LT))) ||
        ((flags & HP_ZADD_LT) && (flags & HP_ZADD_NX))) {
        srv_reply_error(c, "ERR GT, LT, and/or NX options at the same time "
                           "are not compatible");
        return -1;
    }
    if ((flags & HP_ZADD_INCR) && elements > 1) {
        srv_reply_error(c, "ERR INCR option supports a single "
                           "increment-element pair");
        return -1;
    }
    return elements;
}

/* Parse every score first, as Redis does: nothing changes on a bad one.
 * Returns a malloc'ed array or NULL after an error reply. */
static double *zadd_scores(srv_client_t *c, int scoreidx, long elements)
{
    double *scores = malloc(sizeof(*scores) * (size_t)elements);

    if (!scores) {
        srv_reply_oom(c);
        return NULL;
    }
    for (long j = 0; j < elements; j++) {
        if (srv_arg_double_or_reply(c, &c->argv[scoreidx + j * 2], &scores[j],
                                    NULL) != 0) {
            free(scores);
            return NULL;
        }
    }
    return scores;
}

/* Counters of one ZADD. */
typedef struct zadd_stats {
    long added, updated, processed;
    double score; /* last resulting score (INCR reply) */
} zadd_stats_t;

/* Apply the pairs to o. 0, or -1 after an error reply (NaN, OOM). */
static int zadd_apply(srv_client_t *c, hp_obj_t *o, int flags, int scoreidx,
                      const double *scores, long elements, zadd_stats_t *st)
{
    for (long j = 0; j < elements; j++) {
        const resp_slice_t *m = &c->argv[scoreidx + j * 2 + 1];
        double ns = scores[j];
        int out;

        if (hp_zset_add(o, scores[j], m->ptr, m->len, flags, &out, &ns) < 0) {
            srv_reply_oom(c);
            return -1;
        }
        if (out & HP_ZADD_OUT_NAN) {
            srv_reply_error(c, ERR_NAN_RESULT);
            return -1;
        }
        if (out & HP_ZADD_OUT_ADDED) st->added++;
        if (out & HP_ZADD_OUT_UPDATED) st->updated++;
        if (!(out & HP_ZADD_OUT_NOP)) st->processed++;
        st->score = ns;
    }
    return 0;
}

/* The reply of ZADD/ZINCRBY once applied. */
static void zadd_reply(srv_client_t *c, int flags, int ch,
                       const zadd_stats_t *st)
{
    if (flags & HP_ZADD_INCR) {
        if (st->processed)
            srv_reply_double(c, st->score);
        else
            srv_reply_null(c);
    } else {
        srv_reply_int(c, ch ? st->added + st->updated : st->added);
    }
}

/* Look up or create the zset for ZADD. Returns it (borrowed when it
 * existed, new reference in *created otherwise), NULL after a reply
 * (WRONGTYPE, OOM) or when XX makes creation pointless (*skip = 1). */
static hp_obj_t *zadd_target(srv_client_t *c, int flags, int scoreidx,
                             hp_obj_t **created, int *skip)
{
    hp_obj_t *o = srv_db_lookup_write(c->db, KEY(c, 1));

    *created = NULL;
    *skip = 0;
    if (not_zset_reply(c, o)) return NULL;
    if (o) return o;
    if (flags & HP_ZADD_XX) {
        *skip = 1;
        return NULL;
    }
    /* Redis 7.0: skiplist at once when the first member is too long or
     * the listpack limit is 0. */
    o = hp_zset_new(1, c->argv[scoreidx + 1].len);
    if (!o) srv_reply_oom(c);
    *created = o;
    return o;
}

static void zadd_generic(srv_client_t *c, int flags, int ch, int scoreidx)
{
    zadd_stats_t st = {0, 0, 0, 0};
    hp_obj_t *o, *created;
    double *scores;
    long elements = zadd_check(c, flags, scoreidx);
    int skip, err;

    if (elements < 0) return;
    scores = zadd_scores(c, scoreidx, elements);
    if (!scores) return;
    o = zadd_target(c, flags, scoreidx, &created, &skip);
    if (!o) {
        if (skip) zadd_reply(c, flags, ch, &st);
        free(scores);
        return;
    }
    err = zadd_apply(c, o, flags, scoreidx, scores, elements, &st);
    free(scores);
    if (created && hp_zset_len(created) > 0 &&
        srv_db_add(c->db, KEY(c, 1), created) < 0) {
        hp_decref(created);
        if (!err) srv_reply_oom(c);
        return;
    }
    hp_decref(created);
    if (st.added || st.updated) srv_db_signal_modified(c->db, KEY(c, 1));
    if (!err && (st.added || st.updated))
        srv_notify(SRV_NOTIFY_ZSET, (flags & HP_ZADD_INCR) ? "zincr" : "zadd",
                   c->db, KEY(c, 1));
    if (!err) zadd_reply(c, flags, ch, &st);
}

/* ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member [score member ...] */
void cmd_zadd(srv_client_t *c)
{
    int flags, ch;
    int scoreidx = zadd_parse_flags(c, &flags, &ch);

    zadd_generic(c, flags, ch, scoreidx);
}

/* ZINCRBY key increment member */
void cmd_zincrby(srv_client_t *c)
{
    zadd_generic(c, HP_ZADD_INCR, 0, 2);
}

/* ---------------------------------------------------------------------
 * ZREM, ZCARD, ZSCORE, ZMSCORE, ZRANK, ZREVRANK
 * ------------------------------------------------------------------ */

/* ZREM key member [member ...] */
void cmd_zrem(srv_client_t *c)
{
    hp_obj_t *o = srv_db_lookup_write(c->db, KEY(c, 1));
    int64_t deleted = 0;

    if (not_zset_reply(c, o)) return;
    if (!o) {
        srv_reply_int(c, 0);
        return;
    }
    for (int j = 2; j < c->argc; j++) {
        if (hp_zset_remove(o, c->argv[j].ptr, c->argv[j].len) == 0) deleted++;
        if (hp_zset_len(o) == 0) break;
    }
    if (deleted) after_removal(c, 1, o, "zrem");
    srv_reply_int(c, deleted);
}

/* ZCARD key */
void cmd_zcard(srv_client_t *c)
{
    hp_obj_t *o = srv_db_lookup_read(c->db, KEY(c, 1));

    if (not_zset_reply(c, o)) return;
    srv_reply_int(c, o ? (int64_t)hp_zset_len(o) : 0);
}

/* ZSCORE key member */
void cmd_zscore(srv_client_t *c)
{
    hp_obj_t *o = srv_db_lookup_read(c->db, KEY(c, 1));
    double s;

    if (not_zset_reply(c, o)) return;
    if (o && hp_zset_score(o, KEY(c, 2), &s) == 0)
        srv_reply_double(c, s);
    else
        srv_reply_null(c);
}

/* ZMSCORE key member [member ...] */
void cmd_zmscore(srv_client_t *c)
{
    hp_obj_t *o = srv_db_lookup_read(c->db, KEY(c, 1));
    double s;

    if (not_zset_reply(c, o)) return;
    srv_reply_array_len(c, c->argc - 2);
    for (int j = 2; j < c->argc; j++) {
        if (o && hp_zset_score(o, KEY(c, j), &s) == 0)
            srv_reply_double(c, s);
        else
            srv_reply_null(c);
    }
}

static void zrank_generic(srv_client_t *c, int reverse)
{
    hp_obj_t *o = srv_db_lookup_read(c->db, KEY(c, 1));
    long rank;

    if (not_zset_reply(c, o)) return;
    rank = o ? hp_zset_rank(o, KEY(c, 2), reverse) : -1;
    if (rank < 0)
        srv_reply_null(c);
    else
        srv_reply_int(c, rank);
}

/* ZRANK key member */
void cmd_zrank(srv_client_t *c)
{
    zrank_generic(c, 0);
}

/* ZREVRANK key member */
void cmd_zrevrank(srv_client_t *c)
{
    zrank_generic(c, 1);
}

/* ---------------------------------------------------------------------
 * The ZRANGE family
 * ------------------------------------------------------------------ */

enum zrange_type { ZR_AUTO, ZR_RANK, ZR_SCORE, ZR_LEX };
enum zrange_dir { ZD_AUTO, ZD_FORWARD, ZD_REVERSE };

/* Options of one ZRANGE-like call. */
typedef struct zrange_opts {
    enum zrange_type type;
    enum zrange_dir dir;
    int withscores;
    long offset, limit; /* limit -1: none */
    int has_limit;
} zrange_opts_t;

/* Parse the words after key, min and max (from argv[from]). 0 or -1
 * after an error reply. */
static int zrange_parse_opts(srv_client_t *c, int from, int store,
                             zrange_opts_t *o)
{
    for (int j = from; j < c->argc; j++) {
        int left = c->argc - j - 1;
        const resp_slice_t *a = &c->argv[j];

        if (!store && srv_arg_is(a, "withscores")) {
            o->withscores = 1;
        } else if (srv_arg_is(a, "limit") && left >= 2) {
            if (arg_long_or_reply(c, &c->argv[j + 1], &o->offset, NULL) ||
                arg_long_or_reply(c, &c->argv[j + 2], &o->limit, NULL))
                return -1;
            o->has_limit = 1;
            j += 2;
        } else if (o->dir == ZD_AUTO && srv_arg_is(a, "rev")) {
            o->dir = ZD_REVERSE;
        } else if (o->type == ZR_AUTO && srv_arg_is(a, "bylex")) {
            o->type = ZR_LEX;
        } else if (o->type == ZR_AUTO && srv_arg_is(a, "byscore")) {
            o->type = ZR_SCORE;
        } else {
            srv_reply_syntax_error(c);
            return -1;
        }
    }
    if (o->dir == ZD_AUTO) o->dir = ZD_FORWARD;
    if (o->type == ZR_AUTO) o->type = ZR_RANK;
    if (o->has_limit && o->limit != -1 && o->type == ZR_RANK) {
        srv_reply_error(c, "ERR syntax error, LIMIT is only supported in "
                           "combination with either BYSCORE or BYLEX");
        return -1;
    }
    if (o->withscores && o->type == ZR_LEX) {
        srv_reply_error(c, "ERR syntax error, WITHSCORES not supported in "
                           "combination with BYLEX");
        return -1;
    }
    return 0;
}

/* Apply offset/limit (Redis rules: a negative offset yields nothing, a
 * negative limit means all) to the span [first, first + total), then emit
 * it from its low end (forward) or its high end (reverse). */
static void emit_span_limited(zresult_t *r, hp_obj_t *o, size_t first,
                              size_t total, const zrange_opts_t *opt)
{
    size_t skip = opt->offset > 0 ? (size_t)opt->offset : 0;
    size_t count = skip >= total ? 0 : total - skip;

    if (opt->offset < 0) count = 0;
    if (opt->limit >= 0 && (size_t)opt->limit < count)
        count = (size_t)opt->limit;
    if (!count) {
        result_begin(r, 0);
        return;
    }
    if (opt->dir == ZD_REVERSE)
        result_emit_ranks(r, o, first + total - 1 - skip, count, 1);
    else
        result_emit_ranks(r, o, first + skip, count, 0);
}

/* Parsed range of one ZRANGE-like call. */
typedef struct zrange_spec {
    long start, end; /* ZR_RANK */
    hp_zrange_t score;
    hp_zlex_t lex;
} zrange_spec_t;

/* Parse min and max (argv[mi], argv[ma]) for the range type. 0 or -1
 * after an error reply. */
static int zrange_parse_range(srv_client_t *c, int mi, int ma,
                              const zrange_opts_t *o, zrange_spec_t *sp)
{
    switch (o->type) {
    case ZR_SCORE:
        if (parse_score_range(&c->argv[mi], &c->argv[ma], &sp->score) != 0) {
            srv_reply_error(c, ERR_NOT_FLOAT_RANGE);
            return -1;
        }
        return 0;
    case ZR_LEX:
        if (parse_lex_range(&c->argv[mi], &c->argv[ma], &sp->lex) != 0) {
            srv_reply_error(c, ERR_NOT_LEX_RANGE);
            return -1;
        }
        return 0;
    default:
        if (arg_long_or_reply(c, &c->argv[mi], &sp->start, NULL) ||
            arg_long_or_reply(c, &c->argv[ma], &sp->end, NULL))
            return -1;
        return 0;
    }
}

/* Emit the members of o selected by the spec. */
static void zrange_emit(zresult_t *r, hp_obj_t *o, const zrange_opts_t *opt,
                        const zrange_spec_t *sp)
{
    size_t first, count;

    if (opt->type == ZR_RANK) {
        if (clip_ranks(sp->start, sp->end, hp_zset_len(o), &first, &count)) {
            result_begin(r, 0);
            return;
        }
        if (opt->dir == ZD_REVERSE)
            result_emit_ranks(r, o, hp_zset_len(o) - 1 - first, count, 1);
        else
            result_emit_ranks(r, o, first, count, 0);
        return;
    }
    if (opt->type == ZR_SCORE)
        hp_zset_span_score(o, &sp->score, &first, &count);
    else
        hp_zset_span_lex(o, &sp->lex, &first, &count);
    emit_span_limited(r, o, first, count, opt);
}

/* The ZRANGE engine (Redis's zrangeGenericCommand): key at argv[ks],
 * min and max after it, options after those; store binds the result to
 * argv[1] (ZRANGESTORE). type/dir preset by the command or ZR_AUTO /
 * ZD_AUTO to be chosen by option words. */
static void zrange_generic(srv_client_t *c, int ks, int store,
                           enum zrange_type type, enum zrange_dir dir)
{
    zrange_opts_t opt = {type, dir, 0, 0, -1, 0};
    zrange_spec_t sp;
    zresult_t r = {c, store, NULL, 0, 0};
    int mi = ks + 1, ma = ks + 2;
    hp_obj_t *o;

    if (zrange_parse_opts(c, ks + 3, store, &opt) != 0) return;
    if (opt.dir == ZD_REVERSE && opt.type != ZR_RANK) {
        mi = ks + 2;
        ma = ks + 1;
    }
    if (zrange_parse_range(c, mi, ma, &opt, &sp) != 0) return;
    r.withscores = opt.withscores;
    o = srv_db_lookup_read(c->db, KEY(c, ks));
    if (not_zset_reply(c, o)) return;
    if (o) zrange_emit(&r, o, &opt, &sp);
    else result_begin(&r, 0);
    if (store) result_store(&r, 1, "zrangestore");
}

/* ZRANGE key start stop [BYSCORE|BYLEX] [REV] [LIMIT offset count]
 * [WITHSCORES] */
void cmd_zrange(srv_client_t *c)
{
    zrange_generic(c, 1, 0, ZR_AUTO, ZD_AUTO);
}

/* ZRANGESTORE dst src min max [BYSCORE|BYLEX] [REV] [LIMIT offset count] */
void cmd_zrangestore(srv_client_t *c)
{
    zrange_generic(c, 2, 1, ZR_AUTO, ZD_AUTO);
}

/* ZREVRANGE key start stop [WITHSCORES] */
void cmd_zrevrange(srv_client_t *c)
{
    zrange_generic(c, 1, 0, ZR_RANK, ZD_REVERSE);
}

/* ZRANGEBYSCORE key min max [WITHSCORES] [LIMIT offset count] */
void cmd_zrangebyscore(srv_client_t *c)
{
    zrange_generic(c, 1, 0, ZR_SCORE, ZD_FORWARD);
}

/* ZREVRANGEBYSCORE key max min [WITHSCORES] [LIMIT offset count] */
void cmd_zrevrangebyscore(srv_client_t *c)
{
    zrange_generic(c, 1, 0, ZR_SCORE, ZD_REVERSE);
}

/* ZRANGEBYLEX key min max [LIMIT offset count] */
void cmd_zrangebylex(srv_client_t *c)
{
    zrange_generic(c, 1, 0, ZR_LEX, ZD_FORWARD);
}

/* ZREVRANGEBYLEX key max min [LIMIT offset count] */
void cmd_zrevrangebylex(srv_client_t *c)
{
    zrange_generic(c, 1, 0, ZR_LEX, ZD_REVERSE);
}

/* ZCOUNT key min max */
void cmd_zcount(srv_client_t *c)
{
    hp_zrange_t r;
    hp_obj_t *o;
    size_t first, count = 0;

    if (parse_score_range(&c->argv[2], &c->argv[3], &r) != 0) {
        srv_reply_error(c, ERR_NOT_FLOAT_RANGE);
        return;
    }
    o = srv_db_lookup_read(c->db, KEY(c, 1));
    if (not_zset_reply(c, o)) return;
    if (o) hp_zset_span_score(o, &r, &first, &count);
    srv_reply_int(c, (int64_t)count);
}

/* ZLEXCOUNT key min max */
void cmd_zlexcount(srv_client_t *c)
{
    hp_zlex_t r;
    hp_obj_t *o;
    size_t first, count = 0;

    if (parse_lex_range(&c->argv[2], &c->argv[3], &r) != 0) {
        srv_reply_error(c, ERR_NOT_LEX_RANGE);
        return;
    }
    o = srv_db_lookup_read(c->db, KEY(c, 1));
    if (not_zset_reply(c, o)) return;
    if (o) hp_zset_span_lex(o, &r, &first, &count);
    srv_reply_int(c, (int64_t)count);
}

/* ---------------------------------------------------------------------
 * ZREMRANGEBYRANK, ZREMRANGEBYSCORE, ZREMRANGEBYLEX
 * ------------------------------------------------------------------ */

static void zremrange_generic(srv_client_t *c, enum zrange_type type)
{
    zrange_opts_t opt = {type, ZD_FORWARD, 0, 0, -1, 0};
    zrange_spec_t sp;
    hp_obj_t *o;
    size_t first, count = 0, deleted;

    if (zrange_parse_range(c, 2, 3, &opt, &sp) != 0) return;
    o = srv_db_lookup_write(c->db, KEY(c, 1));
    if (not_zset_reply(c, o)) return;
    if (!o) {
        srv_reply_int(c, 0);
        return;
    }
    if (type == ZR_RANK) {
        if (clip_ranks(sp.start, sp.end, hp_zset_len(o), &first, &count))
            count = 0;
    } else if (type == ZR_SCORE) {
        hp_zset_span_score(o, &sp.score, &first, &count);
    } else {
        hp_zset_span_lex(o, &sp.lex, &first, &count);
    }
    deleted = count ? hp_zset_delete_ranks(o, first, count) : 0;
    if (deleted)
        after_removal(c, 1, o, type == ZR_RANK    ? "zremrangebyrank"
                               : type == ZR_SCORE ? "zremrangebyscore"
                                                  : "zremrangebylex");
    srv_reply_int(c, (int64_t)deleted);
}

/* ZREMRANGEBYRANK key start stop */
void cmd_zremrangebyrank(srv_client_t *c)
{
    zremrange_generic(c, ZR_RANK);
}

/* ZREMRANGEBYSCORE key min max */
void cmd_zremrangebyscore(srv_client_t *c)
{
    zremrange_generic(c, ZR_SCORE);
}

/* ZREMRANGEBYLEX key min max */
void cmd_zremrangebylex(srv_client_t *c)
{
    zremrange_generic(c, ZR_LEX);
}

/* ---------------------------------------------------------------------
 * ZPOPMIN, ZPOPMAX, ZMPOP
 * ------------------------------------------------------------------ */

/* Pop up to count members (count -1: one, flat reply) from the first
 * non-empty zset among keys argv[k0 .. k0+nkeys), Redis's
 * genericZpopCommand: emitkey prefixes the key (ZMPOP), nested replies
 * [member, score] pairs, nil_empty replies a null array when no key
 * exists. */
static void zpop_generic(srv_client_t *c, int k0, long nkeys, int max,
                         int emitkey, long count, int nested, int nil_empty)
{
    hp_obj_t *o = NULL;
    int ki = k0;
    size_t n, first;

    for (long i = 0; i < nkeys && !o; i++) {
        ki = k0 + (int)i;
        o = srv_db_lookup_write(c->db, KEY(c, ki));
        if (not_zset_reply(c, o)) return;
    }
    if (!o) {
        if (nil_empty) srv_reply_null_array(c);
        else srv_reply_array_len(c, 0);
        return;
    }
    if (count == 0) {
        srv_reply_array_len(c, 0);
        return;
    }
    if (count == -1) count = 1;
    n = hp_zset_len(o);
    if ((size_t)count < n) n = (size_t)count;
    if (emitkey) {
        srv_reply_array_len(c, nested ? 2 : (int64_t)n * 2 + 1);
        srv_reply_bulk(c, KEY(c, ki));
        if (nested) srv_reply_array_len(c, (int64_t)n);
    } else {
        srv_reply_array_len(c, nested ? (int64_t)n : (int64_t)n * 2);
    }
    first = max ? hp_zset_len(o) - n : 0;
    {
        hp_zset_iter_t it;
        hp_elem_t m;
        double s;

        hp_zset_iter_init(&it, o, max ? hp_zset_len(o) - 1 : 0, n, max);
        while (hp_zset_iter_next(&it, &m, &s)) {
            if (nested) srv_reply_array_len(c, 2);
            reply_elem(c, &m);
            srv_reply_double(c, s);
        }
    }
    hp_zset_delete_ranks(o, first, n);
    after_removal(c, ki, o, max ? "zpopmax" : "zpopmin");
}

static void zpop_minmax(srv_client_t *c, int max)
{
    long count = -1;

    if (c->argc > 3) {
        srv_reply_syntax_error(c);
        return;
    }
    if (c->argc == 3) {
        int64_t v;

        if (srv_parse_ll(c->argv[2].ptr, c->argv[2].len, &v) != 0 || v < 0) {
            srv_reply_error(c, ERR_POSITIVE);
            return;
        }
        count = (long)v;
    }
    zpop_generic(c, 1, 1, max, 0, count, c->resp > 2 && count != -1, 0);
}

/* ZPOPMIN key [count] */
void cmd_zpopmin(srv_client_t *c)
{
    zpop_minmax(c, 0);
}

/* ZPOPMAX key [count] */
void cmd_zpopmax(srv_client_t *c)
{
    zpop_minmax(c, 1);
}

/* ZMPOP numkeys key [key ...] MIN|MAX [COUNT count] */
void cmd_zmpop(srv_client_t *c)
{
    int64_t numkeys, count = -1;
    int where_idx, max;

    if (srv_arg_range_or_reply(c, &c->argv[1], 1, LONG_MAX, &numkeys,
                               "ERR numkeys should be greater than 0") != 0)
        return;
    if (numkeys > c->argc - 3) {
        srv_reply_syntax_error(c);
        return;
    }
    where_idx = 2 + (int)numkeys;
    if (srv_arg_is(&c->argv[where_idx], "min")) {
        max = 0;
    } else if (srv_arg_is(&c->argv[where_idx], "max")) {
        max = 1;
    } else {
        srv_reply_syntax_error(c);
        return;
    }
    for (int j = where_idx + 1; j < c->argc; j++) {
        if (count == -1 && srv_arg_is(&c->argv[j], "count") &&
            j + 1 < c->argc) {
            j++;
            if (srv_arg_range_or_reply(c, &c->argv[j], 1, LONG_MAX, &count,
                                       "ERR count should be greater than 0"))
                return;
        } else {
            srv_reply_syntax_error(c);
            return;
        }
    }
    if (count == -1) count = 1;
    zpop_generic(c, 2, (long)numkeys, max, 1, (long)count, 1, 1);
}

/* ---------------------------------------------------------------------
 * ZRANDMEMBER
 * ------------------------------------------------------------------ */

/* Reply one random-pick element. */
static void reply_pick(srv_client_t *c, const hp_elem_t *m, double s,
                       int withscores)
{
    if (withscores && c->resp > 2) srv_reply_array_len(c, 2);
    reply_elem(c, m);
    if (withscores) srv_reply_double(c, s);
}

/* Distinct random ranks: a partial Fisher-Yates shuffle of 0..n-1 when
 * count is a large share of n, else rejection sampling with a small
 * open-addressing set. Fills out[0..count). 0 or -ENOMEM. */
static int random_ranks(size_t n, size_t count, size_t *out)
{
    if (count * 3 > n) {
        size_t *all = malloc(sizeof(*all) * n);

        if (!all) return -ENOMEM;
        for (size_t i = 0; i < n; i++) all[i] = i;
        for (size_t i = 0; i < count; i++) {
            size_t j = i + (size_t)random() % (n - i), t = all[i];

            all[i] = all[j];
            all[j] = t;
            out[i] = all[i];
        }
        free(all);
        return 0;
    }
    size_t cap = 16;

    while (cap < count * 2) cap *= 2;
    size_t *seen = malloc(sizeof(*seen) * cap);

    if (!seen) return -ENOMEM;
    for (size_t i = 0; i < cap; i++) seen[i] = SIZE_MAX;
    for (size_t got = 0; got < count;) {
        size_t r = ((size_t)random() << 31 ^ (size_t)random()) % n;
        size_t h = (r * 0x9E3779B97F4A7C15ULL) & (cap - 1);

        while (seen[h] != SIZE_MAX && seen[h] != r) h = (h + 1) & (cap - 1);
        if (seen[h] == r) continue;
        seen[h] = r;
        out[got++] = r;
    }
    free(seen);
    return 0;
}

static void zrandmember_count(srv_client_t *c, long l, int withscores)
{
    hp_obj_t *o = srv_db_lookup_read(c->db, KEY(c, 1));
    size_t n, count = l >= 0 ? (size_t)l : (size_t)-l, *ranks;
    hp_elem_t m;
    double s;

    if (not_zset_reply(c, o)) return;
    if (!o || count == 0) {
        srv_reply_array_len(c, 0);
        return;
    }
    n = hp_zset_len(o);
    if (l > 0 && count >= n) {
        zresult_t r = {c, 0, NULL, withscores, 0};

        /* The whole zset, highest first: Redis walks it from the tail. */
        result_emit_ranks(&r, o, n - 1, n, 1);
        return;
    }
    if (l < 0 || count == 1) {
        srv_reply_array_len(c, withscores && c->resp == 2 ? (int64_t)count * 2
                                                        : (int64_t)count);
        for (size_t i = 0; i < count; i++) {
            hp_zset_random(o, &m, &s);
            reply_pick(c, &m, s, withscores);
        }
        return;
    }
    ranks = malloc(sizeof(*ranks) * count);
    if (!ranks || random_ranks(n, count, ranks) != 0) {
        free(ranks);
        srv_reply_oom(c);
        return;
    }
    srv_reply_array_len(c, withscores && c->resp == 2 ? (int64_t)count * 2
                                                    : (int64_t)count);
    for (size_t i = 0; i < count; i++) {
        hp_zset_at(o, ranks[i], &m, &s);
        reply_pick(c, &m, s, withscores);
    }
    free(ranks);
}

/* ZRANDMEMBER key [count [WITHSCORES]] */
void cmd_zrandmember(srv_client_t *c)
{
    hp_obj_t *o;
    hp_elem_t m;
    double s;
    int withscores = 0;

    if (c->argc >= 3) {
        int64_t l;

        if (srv_arg_range_or_reply(c, &c->argv[2], -LONG_MAX, LONG_MAX, &l,
                                   NULL) != 0)
            return;
        if (c->argc > 4 ||
            (c->argc == 4 && !srv_arg_is(&c->argv[3], "withscores"))) {
            srv_reply_syntax_error(c);
            return;
        }
        if (c->argc == 4) {
            withscores = 1;
            if (l < -LONG_MAX / 2 || l > LONG_MAX / 2) {
                srv_reply_error(c, "ERR value is out of range");
                return;
            }
        }
        zrandmember_count(c, (long)l, withscores);
        return;
    }
    o = srv_db_lookup_read(c->db, KEY(c, 1));
    if (not_zset_reply(c, o)) return;
    if (!o || hp_zset_random(o, &m, &s) != 0) {
        srv_reply_null(c);
        return;
    }
    reply_elem(c, &m);
}

/* ---------------------------------------------------------------------
 * ZUNION, ZINTER, ZDIFF, their STORE forms, ZINTERCARD
 * ------------------------------------------------------------------ */

enum setop { OP_UNION, OP_INTER, OP_DIFF };
enum aggr { AGGR_SUM, AGGR_MIN, AGGR_MAX };

/* One input: a zset, a set (every score 1), or a missing key (NULL). */
typedef struct zsrc {
    hp_obj_t *o;
    double weight;
} zsrc_t;

/* One member copied out of an input. */
typedef struct zitem {
    char *m; /* malloc'ed, len bytes */
    size_t len;
    double score;
} zitem_t;

/* Options of one set-algebra call. */
typedef struct setop_opts {
    enum setop op;
    int store;     /* destination at argv[1] */
    int card_only; /* ZINTERCARD */
    enum aggr aggr;
    int withscores;
    long limit;    /* ZINTERCARD LIMIT, 0 = none */
} setop_opts_t;

static size_t src_len(const zsrc_t *s)
{
    if (!s->o) return 0;
    return s->o->type == HP_TYPE_ZSET ? hp_zset_len(s->o) : hp_set_len(s->o);
}

/* Whether s holds member m; its weighted-less score into *score. */
static int src_find(const zsrc_t *s, const char *m, size_t len,
                    double *score)
{
    if (!s->o) return 0;
    if (s->o->type == HP_TYPE_ZSET) return hp_zset_score(s->o, m, len, score) == 0;
    *score = 1.0;
    return hp_set_ismember(s->o, m, len);
}

/* Copy one member into items[*n]. 0 or -ENOMEM. */
static int item_push(zitem_t *items, size_t *n, const hp_elem_t *e,
                     double score)
{
    char buf[HP_INT_BUF];
    size_t len;
    const char *b = hp_elem_bytes(e, buf, &len);
    char *copy = malloc(len ? len : 1);

    if (!copy) return -ENOMEM;
    memcpy(copy, b, len);
    items[*n].m = copy;
    items[*n].len = len;
    items[*n].score = score;
    (*n)++;
    return 0;
}

static void items_free(zitem_t *items, size_t n)
{
    for (size_t i = 0; i < n; i++) free(items[i].m);
    free(items);
}

/* Copy every member of input s (zsets in order) into a new array: it is
 * walked while other inputs, maybe the same object, are looked up. NULL
 * on OOM (and for an empty input with *n 0). */
static zitem_t *src_collect(const zsrc_t *s, size_t *n)
{
    size_t len = src_len(s);
    zitem_t *items;
    hp_elem_t e;
    double score = 1.0;
    int err = 0;

    *n = 0;
    if (!len) return NULL;
    items = malloc(sizeof(*items) * len);
    if (!items) return NULL;
    if (s->o->type == HP_TYPE_ZSET) {
        hp_zset_iter_t it;

        hp_zset_iter_init(&it, s->o, 0, len, 0);
        while (!err && hp_zset_iter_next(&it, &e, &score))
            err = item_push(items, n, &e, score);
    } else {
        hp_set_iter_t it;

        hp_set_iter_init(&it, s->o);
        while (!err && hp_set_iter_next(&it, &e))
            err = item_push(items, n, &e, 1.0);
        hp_set_iter_fini(&it);
    }
    if (err) {
        items_free(items, *n);
        return NULL;
    }
    return items;
}

/* Redis's weighted score: NaN (inf * 0) becomes 0. */
static double weighted(double w, double s)
{
    double v = w * s;

    return isnan(v) ? 0 : v;
}

/* Fold v into *acc with the aggregate (a NaN sum becomes 0). */
static void aggregate(double *acc, double v, enum aggr a)
{
    if (a == AGGR_SUM) {
        *acc += v;
        if (isnan(*acc)) *acc = 0;
    } else if (a == AGGR_MIN) {
        *acc = v < *acc ? v : *acc;
    } else {
        *acc = v > *acc ? v : *acc;
    }
}

/* Add (m, score) to the result zset. 0 or -ENOMEM. */
static int result_add(hp_obj_t *dst, const char *m, size_t len, double score)
{
    int out;

    return hp_zset_add(dst, score, m, len, 0, &out, NULL);
}

/* Replace the score cur of m, already in the result zset, with score,
 * bit for bit: hp_zset_add (as ZADD) takes 0 -> -0 or back for no change,
 * but Redis's union accumulator stores the aggregate as is, and a "skiplist"
 * result shows the sign (ZUNION x y of -0 and 0 is 0). 0 or -ENOMEM. */
static int result_replace(hp_obj_t *dst, const char *m, size_t len,
                          double cur, double score)
{
    if (score == cur && signbit(score) != signbit(cur))
        hp_zset_remove(dst, m, len);
    return result_add(dst, m, len, score);
}

/* ZINTER into dst (or count into *card with the limit). srcs sorted by
 * size, smallest first. 0 or -ENOMEM. */
static int do_inter(zsrc_t *srcs, long nsrc, const setop_opts_t *o,
                    hp_obj_t *dst, long *card)
{
    size_t n;
    zitem_t *items;
    int rc = 0;

    *card = 0;
    if (src_len(&srcs[0]) == 0) return 0;
    items = src_collect(&srcs[0], &n);
    if (!items) return -ENOMEM;
    for (size_t i = 0; i < n && rc == 0; i++) {
        double score = weighted(srcs[0].weight, items[i].score), s;
        long j;

        for (j = 1; j < nsrc; j++) {
            if (!src_find(&srcs[j], items[i].m, items[i].len, &s)) break;
            aggregate(&score, srcs[j].weight * s, o->aggr);
        }
        if (j < nsrc) continue;
        (*card)++;
        if (o->card_only) {
            if (o->limit && *card >= o->limit) break;
            continue;
        }
        rc = result_add(dst, items[i].m, items[i].len, score);
    }
    items_free(items, n);
    return rc;
}

/* ZDIFF into dst: the members of the first input found in no other. */
static int do_diff(zsrc_t *srcs, long nsrc, hp_obj_t *dst)
{
    size_t n;
    zitem_t *items;
    int rc = 0;

    if (src_len(&srcs[0]) == 0) return 0;
    items = src_collect(&srcs[0], &n);
    if (!items) return -ENOMEM;
    for (size_t i = 0; i < n && rc == 0; i++) {
        double s;
        long j;

        for (j = 1; j < nsrc; j++)
            if (src_find(&srcs[j], items[i].m, items[i].len, &s)) break;
        if (j == nsrc)
            rc = result_add(dst, items[i].m, items[i].len, items[i].score);
    }
    items_free(items, n);
    return rc;
}

/* ZUNION into dst: aggregate every input's weighted scores. */
static int do_union(zsrc_t *srcs, long nsrc, const setop_opts_t *o,
                    hp_obj_t *dst)
{
    int rc = 0;

    for (long j = 0; j < nsrc && rc == 0; j++) {
        size_t n;
        zitem_t *items;

        if (src_len(&srcs[j]) == 0) continue;
        items = src_collect(&srcs[j], &n);
        if (!items) return -ENOMEM;
        for (size_t i = 0; i < n && rc == 0; i++) {
            double v = weighted(srcs[j].weight, items[i].score), cur;

            if (hp_zset_score(dst, items[i].m, items[i].len, &cur) == 0) {
                double prev = cur;

                aggregate(&cur, v, o->aggr);
                rc = result_replace(dst, items[i].m, items[i].len, prev, cur);
            } else {
                rc = result_add(dst, items[i].m, items[i].len, v);
            }
        }
        items_free(items, n);
    }
    return rc;
}

/* Stable sort of the inputs by size, smallest first (insertion sort:
 * numkeys is small). */
static void srcs_sort(zsrc_t *srcs, long n)
{
    for (long i = 1; i < n; i++) {
        zsrc_t t = srcs[i];
        long j = i - 1;

        while (j >= 0 && src_len(&srcs[j]) > src_len(&t)) {
            srcs[j + 1] = srcs[j];
            j--;
        }
        srcs[j + 1] = t;
    }
}

/* Read the input keys argv[k0 ..] into srcs. 0 or -1 after WRONGTYPE. */
static int setop_lookup(srv_client_t *c, int k0, long n, zsrc_t *srcs)
{
    for (long i = 0; i < n; i++) {
        hp_obj_t *o = srv_db_lookup_read(c->db, KEY(c, k0 + (int)i));

        if (o && o->type != HP_TYPE_ZSET && o->type != HP_TYPE_SET) {
            srv_reply_wrongtype(c);
            return -1;
        }
        srcs[i].o = o;
        srcs[i].weight = 1.0;
    }
    return 0;
}

/* Parse WEIGHTS / AGGREGATE / WITHSCORES / LIMIT from argv[j]. 0 or -1
 * after an error reply. */
static int setop_parse_opts(srv_client_t *c, int j, long n, zsrc_t *srcs,
                            setop_opts_t *o)
{
    while (j < c->argc) {
        int left = c->argc - j;

        if (o->op != OP_DIFF && left >= n + 1 &&
            srv_arg_is(&c->argv[j], "weights")) {
            j++;
            for (long i = 0; i < n; i++, j++)
                if (srv_arg_double_or_reply(c, &c->argv[j], &srcs[i].weight,
                                            "ERR weight value is not a float"))
                    return -1;
        } else if (o->op != OP_DIFF && left >= 2 &&
                   srv_arg_is(&c->argv[j], "aggregate")) {
            const resp_slice_t *a = &c->argv[j + 1];

            if (srv_arg_is(a, "sum")) o->aggr = AGGR_SUM;
            else if (srv_arg_is(a, "min")) o->aggr = AGGR_MIN;
            else if (srv_arg_is(a, "max")) o->aggr = AGGR_MAX;
            else {
                srv_reply_syntax_error(c);
                return -1;
            }
            j += 2;
        } else if (!o->store && !o->card_only &&
                   srv_arg_is(&c->argv[j], "withscores")) {
            o->withscores = 1;
            j++;
        } else if (o->card_only && left >= 2 &&
                   srv_arg_is(&c->argv[j], "limit")) {
            int64_t v;

            if (srv_parse_ll(c->argv[j + 1].ptr, c->argv[j + 1].len, &v) ||
                v < 0) {
                srv_reply_error(c, "ERR LIMIT can't be negative");
                return -1;
            }
            o->limit = (long)v;
            j += 2;
        } else {
            srv_reply_syntax_error(c);
            return -1;
        }
    }
    return 0;
}

/* Run the operation and reply (or store into argv[1]). */
static void setop_run(srv_client_t *c, zsrc_t *srcs, long n,
                      const setop_opts_t *o)
{
    zresult_t r = {c, 0, NULL, o->withscores, 0};
    hp_obj_t *dst;
    long card = 0;
    int rc;

    if (o->op != OP_DIFF) srcs_sort(srcs, n);
    /* Always a "skiplist" first, as Redis's zsetCreate: it keeps a -0
     * score that a listpack would write as 0 (ZUNION/ZINTER/ZDIFF reply
     * -0; the STORE forms shrink a small result, which then holds 0). */
    dst = hp_zset_new(SIZE_MAX, SIZE_MAX);
    if (!dst) {
        srv_reply_oom(c);
        return;
    }
    if (o->op == OP_INTER) rc = do_inter(srcs, n, o, dst, &card);
    else if (o->op == OP_UNION) rc = do_union(srcs, n, o, dst);
    else rc = do_diff(srcs, n, dst);
    if (rc < 0) {
        hp_decref(dst);
        srv_reply_oom(c);
        return;
    }
    if (o->card_only) {
        srv_reply_int(c, card);
        hp_decref(dst);
    } else if (o->store) {
        r.store = 1;
        r.dst = dst;
        /* Redis's zsetConvertToListpackIfNeeded; on OOM the result stays a
         * valid "skiplist". */
        (void)hp_zset_shrink_if_small(dst);
        result_store(&r, 1, o->op == OP_UNION   ? "zunionstore"
                            : o->op == OP_INTER ? "zinterstore"
                                                : "zdiffstore");
    } else {
        result_emit_ranks(&r, dst, 0, hp_zset_len(dst), 0);
        hp_decref(dst);
    }
}

/* The set-algebra engine (Redis's zunionInterDiffGenericCommand): numkeys
 * at argv[ni]. */
static void setop_generic(srv_client_t *c, int ni, setop_opts_t *o)
{
    int64_t n;
    zsrc_t *srcs;

    if (srv_arg_ll_or_reply(c, &c->argv[ni], &n, NULL) != 0) return;
    if (n < 1) {
        srv_reply_errorf(c, "ERR at least 1 input key is needed for '%s' "
                            "command", c->cmd->name);
        return;
    }
    if (n > c->argc - (ni + 1)) {
        srv_reply_syntax_error(c);
        return;
    }
    srcs = malloc(sizeof(*srcs) * (size_t)n);
    if (!srcs) {
        srv_reply_oom(c);
        return;
    }
    if (setop_lookup(c, ni + 1, (long)n, srcs) == 0 &&
        setop_parse_opts(c, ni + 1 + (int)n, (long)n, srcs, o) == 0)
        setop_run(c, srcs, (long)n, o);
    free(srcs);
}

static void setop_cmd(srv_client_t *c, enum setop op, int store, int card)
{
    setop_opts_t o = {op, store, card, AGGR_SUM, 0, 0};

    setop_generic(c, store ? 2 : 1, &o);
}

/* ZUNION numkeys key [key ...] [WEIGHTS w ...] [AGGREGATE SUM|MIN|MAX]
 * [WITHSCORES] */
void cmd_zunion(srv_client_t *c)
{
    setop_cmd(c, OP_UNION, 0, 0);
}

/* ZINTER numkeys key [key ...] [WEIGHTS w ...] [AGGREGATE ...]
 * [WITHSCORES] */
void cmd_zinter(srv_client_t *c)
{
    setop_cmd(c, OP_INTER, 0, 0);
}

/* ZDIFF numkeys key [key ...] [WITHSCORES] */
void cmd_zdiff(srv_client_t *c)
{
    setop_cmd(c, OP_DIFF, 0, 0);
}

/* ZUNIONSTORE destination numkeys key [key ...] [WEIGHTS ...]
 * [AGGREGATE ...] */
void cmd_zunionstore(srv_client_t *c)
{
    setop_cmd(c, OP_UNION, 1, 0);
}

/* ZINTERSTORE destination numkeys key [key ...] [WEIGHTS ...]
 * [AGGREGATE ...] */
void cmd_zinterstore(srv_client_t *c)
{
    setop_cmd(c, OP_INTER, 1, 0);
}

/* ZDIFFSTORE destination numkeys key [key ...] */
void cmd_zdiffstore(srv_client_t *c)
{
    setop_cmd(c, OP_DIFF, 1, 0);
}

/* ZINTERCARD numkeys key [key ...] [LIMIT limit] */
void cmd_zintercard(srv_client_t *c)
{
    setop_cmd(c, OP_INTER, 0, 1);
}

/* ---------------------------------------------------------------------
 * ZSCAN
 * ------------------------------------------------------------------ */

/* Collected members and scores of one ZSCAN call. */
typedef struct zscan_acc {
    zitem_t *items;
    size_t n, cap;
    int oom;
} zscan_acc_t;

static void zscan_collect(void *ud, const char *m, size_t len, double score)
{
    zscan_acc_t *a = ud;
    hp_elem_t e = {m, len, 0};

    if (a->oom) return;
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 16;
        zitem_t *p = realloc(a->items, cap * sizeof(*p));

        if (!p) {
            a->oom = 1;
            return;
        }
        a->items = p;
        a->cap = cap;
    }
    if (item_push(a->items, &a->n, &e, score) < 0) a->oom = 1;
}

/* The cursor as Redis's parseScanCursorOrReply reads it. 0 or -1. */
static int zscan_cursor(srv_client_t *c, const resp_slice_t *a,
                        uint64_t *cursor)
{
    char buf[32], *end;

    if (a->len == 0 || a->len >= sizeof(buf)) goto bad;
    memcpy(buf, a->ptr, a->len);
    buf[a->len] = '\0';
    errno = 0;
    *cursor = strtoull(buf, &end, 10);
    if (*end == '\0' && errno != ERANGE && !isspace((unsigned char)buf[0]))
        return 0;
bad:
    srv_reply_error(c, "ERR invalid cursor");
    return -1;
}

/* MATCH / COUNT options of ZSCAN. 0 or -1 after an error reply. */
static int zscan_opts(srv_client_t *c, const resp_slice_t **pat,
                      int64_t *count)
{
    *pat = NULL;
    *count = 10;
    for (int j = 3; j < c->argc; j += 2) {
        if (j + 1 >= c->argc) {
            srv_reply_syntax_error(c);
            return -1;
        }
        if (srv_arg_is(&c->argv[j], "count")) {
            if (srv_arg_ll_or_reply(c, &c->argv[j + 1], count, NULL))
                return -1;
            if (*count < 1) {
                srv_reply_syntax_error(c);
                return -1;
            }
        } else if (srv_arg_is(&c->argv[j], "match")) {
            *pat = &c->argv[j + 1];
        } else {
            srv_reply_syntax_error(c);
            return -1;
        }
    }
    return 0;
}

/* A score as ZSCAN shows it: a listpack zset holds Redis's d2string text
 * (integral values within +-LLONG_MAX/2 as integers), a skiplist formats
 * with "%.17Lg"; both spell infinities "inf"/"-inf". Returns the length. */
static int zscan_score(char *buf, size_t size, double v, int listpack)
{
    if (isinf(v)) return snprintf(buf, size, "%s", v > 0 ? "inf" : "-inf");
    if (listpack && v >= -(double)(LLONG_MAX / 2) &&
        v <= (double)(LLONG_MAX / 2) && (double)(long long)v == v)
        return snprintf(buf, size, "%lld", (long long)v);
    return snprintf(buf, size, "%.17Lg", (long double)v);
}

/* Reply [cursor, [member, score, ...]] keeping members matching pat. */
static void zscan_reply(srv_client_t *c, uint64_t cursor,
                        const zscan_acc_t *a, const resp_slice_t *pat,
                        int listpack)
{
    char buf[32];
    size_t handle, kept = 0;
    int all = pat && pat->len == 1 && pat->ptr[0] == '*';

    snprintf(buf, sizeof(buf), "%llu", (unsigned long long)cursor);
    srv_reply_array_len(c, 2);
    srv_reply_bulk_cstr(c, buf);
    handle = srv_reply_deferred(c);
    for (size_t i = 0; i < a->n; i++) {
        const zitem_t *it = &a->items[i];
        char sb[64];
        int sl;

        if (pat && !all &&
            !srv_glob_match(pat->ptr, pat->len, it->m, it->len, 0))
            continue;
        sl = zscan_score(sb, sizeof(sb), it->score, listpack);
        srv_reply_bulk(c, it->m, it->len);
        srv_reply_bulk(c, sb, (size_t)sl);
        kept += 2;
    }
    srv_reply_set_deferred(c, handle, '*', (int64_t)kept);
}

/* ZSCAN key cursor [MATCH pattern] [COUNT count] */
void cmd_zscan(srv_client_t *c)
{
    zscan_acc_t a = {NULL, 0, 0, 0};
    const resp_slice_t *pat;
    uint64_t cursor;
    int64_t count, budget;
    hp_obj_t *o;

    if (zscan_cursor(c, &c->argv[2], &cursor) != 0) return;
    o = srv_db_lookup_read(c->db, KEY(c, 1));
    if (not_zset_reply(c, o)) return;
    if (!o) {
        srv_reply_array_len(c, 2);
        srv_reply_bulk_cstr(c, "0");
        srv_reply_array_len(c, 0);
        return;
    }
    if (zscan_opts(c, &pat, &count) != 0) return;
    budget = count * 10;
    do {
        cursor = hp_zset_scan(o, cursor, zscan_collect, &a);
    } while (cursor && budget-- && (int64_t)a.n < count && !a.oom);
    if (a.oom)
        srv_reply_oom(c);
    else
        zscan_reply(c, cursor, &a, pat, o->encoding == HP_ENC_LISTPACK);
    items_free(a.items, a.n);
}
