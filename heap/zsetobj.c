/*
 * zsetobj.c - sorted set objects behind ZADD, ZREM, ZSCORE, ZRANK, the
 * ZRANGE family, ZREMRANGEBY*, ZRANDMEMBER and ZSCAN.
 *
 * Two encodings, as Redis 7.0:
 * - "listpack": entries member, score, member, score ... ordered by score
 *   then member. A score is stored as its 8 raw IEEE-754 bytes (a string
 *   entry; the listpack may turn those bytes into an integer entry when
 *   they happen to spell a canonical integer, which hp_elem_bytes undoes
 *   byte for byte). A -0 score is written as 0, as Redis's text scores
 *   do; a "skiplist" keeps -0.
 * - "skiplist" (Redis's name for it): hp_zset_sl_t, a dict member ->
 *   score (entry v.d) and the counted B+tree of heap_zset.h; each member's
 *   bytes live once, in its dict entry, which its tree entry points at (so
 *   a member leaves the tree before its entry is freed).
 * A listpack zset becomes a skiplist when a member longer than
 * zset_max_listpack_value bytes is added or the count would pass
 * zset_max_listpack_entries; hp_zset_shrink_if_small goes back for
 * callers that build a whole zset at once (RDB loading, the results of
 * ZUNIONSTORE/ZINTERSTORE/ZDIFFSTORE; ZRANGESTORE instead starts from a
 * listpack and grows). Every range query is answered as a span of ranks,
 * then iterated by rank.
 */
#include "heap.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <string.h>

#include "heap_cont.h"
#include "heap_int.h"
#include "heap_ref.h"
#include "heap_zset.h"

static const hp_dict_type_t zset_dict_type = {.val_free = NULL};

/* Generator for hp_zset_random (xorshift64). Executor thread. */
static uint64_t rnd_state = 0xD1B54A32D192ED03ULL;

static uint64_t rnd(void)
{
    rnd_state ^= rnd_state << 13;
    rnd_state ^= rnd_state >> 7;
    rnd_state ^= rnd_state << 17;
    return rnd_state;
}

static void assert_zset(const hp_obj_t *o)
{
    assert(o->type == HP_TYPE_ZSET);
    assert(o->encoding == HP_ENC_LISTPACK || o->encoding == HP_ENC_SKIPLIST);
    (void)o;
}

/* ---------------------------------------------------------------------
 * Skiplist bodies
 * ------------------------------------------------------------------ */

/* New empty skiplist body, NULL on OOM. */
static hp_zset_sl_t *sl_new(void)
{
    hp_zset_sl_t *zs = hp_malloc(sizeof(*zs));

    if (!zs) return NULL;
    zs->dict = hp_dict_new(&zset_dict_type);
    zs->tree = hp__zbt_new();
    if (!zs->dict || !zs->tree) {
        hp__zset_sl_free(zs);
        return NULL;
    }
    return zs;
}

void hp__zset_sl_free(hp_zset_sl_t *zs)
{
    if (!zs) return;
    hp_dict_free(zs->dict);
    hp__zbt_free(zs->tree);
    hp_free(zs);
}

size_t hp__zset_sl_mem(const hp_zset_sl_t *zs)
{
    return hp_malloc_size(zs) + hp_dict_mem(zs->dict) + zs->tree->bytes;
}

/* Add a member known to be absent. 0 or -ENOMEM (unchanged). */
static int sl_insert(hp_zset_sl_t *zs, double score, const char *m,
                     size_t len)
{
    int existed;
    hp_dict_entry_t *e = hp_dict_add(zs->dict, m, len, &existed);

    assert(!e || !existed);
    if (!e) return -ENOMEM;
    e->v.d = score;
    if (hp__zbt_insert(zs->tree, score, e) < 0) {
        hp_dict_delete(zs->dict, m, len);
        return -ENOMEM;
    }
    return 0;
}

/* ---------------------------------------------------------------------
 * Listpack bodies
 * ------------------------------------------------------------------ */

/* The score stored in the entry at p. */
static double lp_score(const unsigned char *p)
{
    hp_elem_t e;
    char buf[HP_INT_BUF];
    size_t len;
    const char *b;
    double d;

    hp_lp_get(p, &e);
    b = hp_elem_bytes(&e, buf, &len);
    assert(len == sizeof(d));
    memcpy(&d, b, sizeof(d));
    return d;
}

/* The member bytes at p (integers formatted into buf). */
static const char *lp_member(const unsigned char *p, char *buf, size_t *len)
{
    hp_elem_t e;

    hp_lp_get(p, &e);
    return hp_elem_bytes(&e, buf, len);
}

/* The member entry of m, or NULL. */
static unsigned char *lp_find(unsigned char *lp, const char *m, size_t len)
{
    return hp_lp_find(lp, hp_lp_first(lp), m, len, 1);
}

/* Pair index at which (score, m) belongs. */
static long lp_insert_pos(unsigned char *lp, double score, const char *m,
                          size_t len)
{
    unsigned char *p = hp_lp_first(lp);
    long i = 0;

    while (p) {
        unsigned char *sp = hp_lp_next(lp, p);
        double s = lp_score(sp);
        char buf[HP_INT_BUF];
        size_t ml;
        const char *mb;

        if (s > score) break;
        if (s == score) {
            mb = lp_member(p, buf, &ml);
            if (hp__zset_cmp(mb, ml, m, len) > 0) break;
        }
        p = hp_lp_next(lp, sp);
        i++;
    }
    return i;
}

/* Insert the pair (score, m) at pair index pos. 0, -ENOMEM (unchanged),
 * -E2BIG. */
static int lp_insert_at(unsigned char **lpp, long pos, double score,
                        const char *m, size_t len)
{
    int rc;

    /* Redis's listpack keeps scores as text where -0 becomes "0": keep
     * the same (observable through ZSCORE). */
    if (score == 0) score = 0.0;
    rc = hp_lp_insert(lpp, 2 * pos, m, len);

    if (rc < 0) return rc;
    rc = hp_lp_insert(lpp, 2 * pos + 1, (const char *)&score, sizeof(score));
    if (rc < 0) hp_lp_delete(lpp, 2 * pos, 1);
    return rc;
}

/* Insert a member known to be absent. 0, -ENOMEM (unchanged), -E2BIG. */
static int lp_insert(unsigned char **lpp, double score, const char *m,
                     size_t len)
{
    return lp_insert_at(lpp, lp_insert_pos(*lpp, score, m, len), score, m,
                        len);
}

/* A new listpack body with the content of skiplist body zs, NULL on
 * OOM. */
static unsigned char *lp_from_sl(const hp_zset_sl_t *zs)
{
    unsigned char *lp = hp_lp_new();
    hp_zbt_pos_t x;

    if (!lp) return NULL;
    for (x = hp__zbt_first(zs->tree); x.leaf; hp__zbt_next(&x)) {
        double score = hp__zbt_score(x);

        if (score == 0) score = 0.0; /* -0 as lp_insert_at writes it */
        if (hp_lp_append(&lp, hp__zbt_ele(x), hp__zbt_len(x)) < 0 ||
            hp_lp_append(&lp, (const char *)&score, sizeof(score)) < 0) {
            hp_lp_free(lp);
            return NULL;
        }
    }
    return lp;
}

/* Convert listpack zset o to skiplist. 0 or -ENOMEM (unchanged). */
static int to_skiplist(hp_obj_t *o)
{
    unsigned char *lp = o->v.ptr, *p;
    hp_zset_sl_t *zs = sl_new();

    if (!zs) return -ENOMEM;
    for (p = hp_lp_first(lp); p; p = hp_lp_next(lp, hp_lp_next(lp, p))) {
        char buf[HP_INT_BUF];
        size_t ml;
        const char *mb = lp_member(p, buf, &ml);

        if (sl_insert(zs, lp_score(hp_lp_next(lp, p)), mb, ml) < 0) {
            hp__zset_sl_free(zs);
            return -ENOMEM;
        }
    }
    hp_lp_free(lp);
    o->v.ptr = zs;
    o->encoding = HP_ENC_SKIPLIST;
    return 0;
}

/* ---------------------------------------------------------------------
 * Objects
 * ------------------------------------------------------------------ */

hp_obj_t *hp_zset_new(size_t size_hint, size_t len_hint)
{
    int small = size_hint <= hp_limits.zset_max_listpack_entries &&
                len_hint <= hp_limits.zset_max_listpack_value;
    hp_obj_t *o = hp__obj_alloc(sizeof(*o),
                                small ? HP_ENC_LISTPACK : HP_ENC_SKIPLIST);

    if (!o) return NULL;
    o->type = HP_TYPE_ZSET;
    o->v.ptr = small ? (void *)hp_lp_new() : (void *)sl_new();
    if (!o->v.ptr) {
        hp__obj_discard(o);
        return NULL;
    }
    return o;
}

hp_obj_t *hp_zset_copy(const hp_obj_t *o)
{
    hp_obj_t *c;
    unsigned char *lp;

    assert_zset(o);
    if (o->encoding == HP_ENC_LISTPACK) {
        c = hp_zset_new(0, 0);
        if (!c) return NULL;
        /* The limits may have changed: force the listpack shape. */
        if (c->encoding != HP_ENC_LISTPACK) {
            hp_decref(c);
            c = NULL;
        }
        lp = hp_lp_new();
        if (!lp || !c || hp_lp_merge(&lp, o->v.ptr) < 0) {
            hp_lp_free(lp);
            hp_decref(c);
            return NULL;
        }
        hp_lp_free(c->v.ptr);
        c->v.ptr = lp;
        return c;
    }
    c = hp__obj_alloc(sizeof(*c), HP_ENC_SKIPLIST);
    if (!c) return NULL;
    c->type = HP_TYPE_ZSET;
    c->v.ptr = sl_new();
    if (!c->v.ptr) {
        hp__obj_discard(c);
        return NULL;
    }
    for (hp_zbt_pos_t x = hp__zbt_first(((hp_zset_sl_t *)o->v.ptr)->tree);
         x.leaf; hp__zbt_next(&x)) {
        if (sl_insert(c->v.ptr, hp__zbt_score(x), hp__zbt_ele(x),
                      hp__zbt_len(x)) < 0) {
            hp_decref(c);
            return NULL;
        }
    }
    return c;
}

size_t hp_zset_len(const hp_obj_t *o)
{
    assert_zset(o);
    if (o->encoding == HP_ENC_LISTPACK) return hp_lp_len(o->v.ptr) / 2;
    return ((const hp_zset_sl_t *)o->v.ptr)->tree->length;
}

/* Score of member m in *score; for a skiplist zset also its dict entry in
 * *entry (borrowed; NULL for a listpack) so an update need not look it up
 * again. 0 or -ENOENT. */
static int find_score(hp_obj_t *o, const char *m, size_t len, double *score,
                      hp_dict_entry_t **entry)
{
    *entry = NULL;
    if (o->encoding == HP_ENC_LISTPACK) {
        unsigned char *p = lp_find(o->v.ptr, m, len);

        if (!p) return -ENOENT;
        *score = lp_score(hp_lp_next(o->v.ptr, p));
        return 0;
    }
    hp_dict_entry_t *e = hp_dict_find(((hp_zset_sl_t *)o->v.ptr)->dict, m, len);

    if (!e) return -ENOENT;
    *score = e->v.d;
    *entry = e;
    return 0;
}

int hp_zset_score(hp_obj_t *o, const char *m, size_t len, double *score)
{
    hp_dict_entry_t *e;

    assert_zset(o);
    return find_score(o, m, len, score, &e);
}

/* Change the score of existing member m (cur) to score in a listpack:
 * insert the new pair first, then delete the old one (deleting never
 * fails), so OOM leaves the zset unchanged. m must not point into the
 * listpack. 0, -ENOMEM, -E2BIG. */
static int lp_update(hp_obj_t *o, const char *m, size_t len, double score)
{
    unsigned char *lp = o->v.ptr;
    long old = (long)hp_lp_index_of(lp, lp_find(lp, m, len)) / 2;
    long pos = lp_insert_pos(lp, score, m, len);
    int rc = lp_insert_at((unsigned char **)&o->v.ptr, pos, score, m, len);

    if (rc < 0) return rc;
    if (pos <= old) old++;
    hp_lp_delete((unsigned char **)&o->v.ptr, 2 * old, 2);
    return 0;
}

/* Change the score of existing member m from cur to score; e is its dict
 * entry from find_score (skiplist only). 0 or -ENOMEM (unchanged). */
static int update_score(hp_obj_t *o, const char *m, size_t len, double cur,
                        double score, hp_dict_entry_t *e)
{
    hp_zset_sl_t *zs;
    int rc;

    if (o->encoding == HP_ENC_LISTPACK) return lp_update(o, m, len, score);
    zs = o->v.ptr;
    rc = hp__zbt_update_score(zs->tree, cur, m, len, score);
    if (rc < 0) return rc;
    e->v.d = score;
    return 0;
}

/* Whether adding a member of len bytes must leave the listpack. */
static int needs_skiplist(const hp_obj_t *o, size_t len)
{
    return o->encoding == HP_ENC_LISTPACK &&
           (hp_zset_len(o) + 1 > hp_limits.zset_max_listpack_entries ||
            len > hp_limits.zset_max_listpack_value);
}

/* Add a member known to be absent, converting first if needed. */
static int add_new(hp_obj_t *o, double score, const char *m, size_t len)
{
    int rc;

    if (needs_skiplist(o, len)) {
        rc = to_skiplist(o);
        if (rc < 0) return rc;
    }
    if (o->encoding == HP_ENC_LISTPACK)
        return lp_insert((unsigned char **)&o->v.ptr, score, m, len);
    return sl_insert(o->v.ptr, score, m, len);
}

int hp_zset_add(hp_obj_t *o, double score, const char *m, size_t len,
                int flags, int *out, double *newscore)
{
    hp_dict_entry_t *e;
    double cur;
    int rc;

    assert_zset(o);
    *out = 0;
    if (isnan(score)) {
        *out = HP_ZADD_OUT_NAN;
        return 0;
    }
    if (find_score(o, m, len, &cur, &e) == 0) {
        if (flags & HP_ZADD_NX) {
            *out = HP_ZADD_OUT_NOP;
            return 0;
        }
        if (flags & HP_ZADD_INCR) {
            score += cur;
            if (isnan(score)) {
                *out = HP_ZADD_OUT_NAN;
                return 0;
            }
        }
        if (((flags & HP_ZADD_LT) && score >= cur) ||
            ((flags & HP_ZADD_GT) && score <= cur)) {
            *out = HP_ZADD_OUT_NOP;
            return 0;
        }
        if (newscore) *newscore = score;
        if (score != cur) {
            rc = update_score(o, m, len, cur, score, e);
            if (rc < 0) return rc;
            *out = HP_ZADD_OUT_UPDATED;
        }
        return 0;
    }
    if (flags & HP_ZADD_XX) {
        *out = HP_ZADD_OUT_NOP;
        return 0;
    }
    rc = add_new(o, score, m, len);
    if (rc < 0) return rc;
    *out = HP_ZADD_OUT_ADDED;
    if (newscore) *newscore = score;
    return 0;
}

/* ZREM one member leaving the table's size alone (weak clearing: the
 * collector allocates nothing): 0 or -ENOENT. */
int hp__zset_remove_keep(hp_obj_t *o, const char *m, size_t len)
{
    assert_zset(o);
    if (o->encoding == HP_ENC_LISTPACK) {
        unsigned char *p = lp_find(o->v.ptr, m, len);

        if (!p) return -ENOENT;
        hp_lp_delete((unsigned char **)&o->v.ptr,
                     (long)hp_lp_index_of(o->v.ptr, p), 2);
        hp__ref_hook(o, m, len); /* the member may have been a ref */
        return 0;
    }
    hp_zset_sl_t *zs = o->v.ptr;
    hp_dict_entry_t *e = hp_dict_unlink(zs->dict, m, len);

    if (!e) return -ENOENT;
    hp__zbt_delete(zs->tree, e->v.d, m, len);
    hp_dict_entry_free(zs->dict, e);
    hp__ref_hook(o, m, len);
    return 0;
}

/* ZREM one member: 0 or -ENOENT. A table left sparse starts shrinking
 * (hp_set_remove). */
int hp_zset_remove(hp_obj_t *o, const char *m, size_t len)
{
    int rc = hp__zset_remove_keep(o, m, len);

    if (rc == 0 && o->encoding != HP_ENC_LISTPACK)
        (void)hp_dict_shrink_if_sparse(((hp_zset_sl_t *)o->v.ptr)->dict);
    return rc;
}

long hp_zset_rank(hp_obj_t *o, const char *m, size_t len, int reverse)
{
    size_t n = hp_zset_len(o);
    long rank;

    if (o->encoding == HP_ENC_LISTPACK) {
        unsigned char *p = lp_find(o->v.ptr, m, len);

        if (!p) return -1;
        rank = (long)hp_lp_index_of(o->v.ptr, p) / 2;
    } else {
        hp_zset_sl_t *zs = o->v.ptr;
        hp_dict_entry_t *e = hp_dict_find(zs->dict, m, len);

        if (!e) return -1;
        rank = (long)hp__zbt_rank(zs->tree, e->v.d, m, len) - 1;
        assert(rank >= 0);
    }
    return reverse ? (long)n - 1 - rank : rank;
}

/* ---------------------------------------------------------------------
 * Ranges
 * ------------------------------------------------------------------ */

void hp_zset_span_score(hp_obj_t *o, const hp_zrange_t *r, size_t *first,
                        size_t *count)
{
    unsigned char *lp, *p;
    size_t i = 0;

    assert_zset(o);
    if (o->encoding == HP_ENC_SKIPLIST) {
        hp__zbt_span_score(((hp_zset_sl_t *)o->v.ptr)->tree, r, first,
                           count);
        return;
    }
    lp = o->v.ptr;
    *first = 0;
    *count = 0;
    for (p = hp_lp_first(lp); p; p = hp_lp_next(lp, p), i++) {
        double s;

        p = hp_lp_next(lp, p);
        s = lp_score(p);
        if (!hp__zrange_gte_min(s, r)) {
            *first = i + 1;
            continue;
        }
        if (!hp__zrange_lte_max(s, r)) break;
        (*count)++;
    }
}

/* Redis's quick rejection before a lex walk of a listpack zset: the last
 * member must be >= min and the first <= max (true whenever the range can
 * hold a member of a zset whose scores are all equal). */
static int lp_lex_may_match(unsigned char *lp, const hp_zlex_t *r)
{
    unsigned char *p = hp_lp_first(lp), *last = hp_lp_seek(lp, -2);
    char buf[HP_INT_BUF];
    size_t ml;
    const char *mb;

    if (!p || !last)
        return 0;
    mb = lp_member(last, buf, &ml);
    if (!hp__zlex_gte_min(mb, ml, r))
        return 0;
    mb = lp_member(p, buf, &ml);
    return hp__zlex_lte_max(mb, ml, r);
}

void hp_zset_span_lex(hp_obj_t *o, const hp_zlex_t *r, size_t *first,
                      size_t *count)
{
    unsigned char *lp, *p;
    size_t i = 0;

    assert_zset(o);
    if (o->encoding == HP_ENC_SKIPLIST) {
        hp__zbt_span_lex(((hp_zset_sl_t *)o->v.ptr)->tree, r, first, count);
        return;
    }
    lp = o->v.ptr;
    *first = 0;
    *count = 0;
    if (!lp_lex_may_match(lp, r))
        return;
    /* As Redis's listpack walk: the span starts at the first member >= min
     * and runs while members are <= max. With mixed scores the members are
     * not in lex order and which ones match is unspecified (as in Redis),
     * but the span always lies inside the zset. (An earlier version moved
     * `first` past a later member < min after counting earlier ones, and
     * ZRANGEBYLEX then announced more elements than it sent.) */
    for (p = hp_lp_first(lp); p; p = hp_lp_next(lp, hp_lp_next(lp, p)), i++) {
        char buf[HP_INT_BUF];
        size_t ml;
        const char *mb = lp_member(p, buf, &ml);

        if (*count == 0 && !hp__zlex_gte_min(mb, ml, r))
            continue;
        if (!hp__zlex_lte_max(mb, ml, r))
            break;
        if (*count == 0)
            *first = i;
        (*count)++;
    }
}

/* What drop_from_dict needs: the zset and its dict. */
typedef struct drop_ctx {
    hp_obj_t *o;
    hp_dict_t *dict;
} drop_ctx_t;

/* on_delete for skiplist rank deletes: drop the member's reference, if
 * any (the decrefs run after the delete), then its dict entry x, which
 * the tree no longer points at. */
static void drop_from_dict(void *ud, hp_dict_entry_t *x)
{
    drop_ctx_t *dc = ud;
    hp_dict_entry_t *e;

    if (dc->o->flags & HP_OF_SIDE)
        hp__ref_elem_gone(dc->o, x->key, x->keylen);
    e = hp_dict_unlink(dc->dict, x->key, x->keylen);
    assert(e == x);
    hp_dict_entry_free(dc->dict, e);
}

/* Members of ranks [first, first + count) of a listpack zset lose their
 * references (before the entries go). */
static void lp_drop_refs(hp_obj_t *o, size_t first, size_t count)
{
    unsigned char *lp = o->v.ptr;
    unsigned char *p = hp_lp_seek(lp, (long)(2 * first));

    for (size_t i = 0; i < count && p; i++) {
        char buf[HP_INT_BUF];
        size_t len;
        const char *m = lp_member(p, buf, &len);

        hp__ref_elem_gone(o, m, len);
        p = hp_lp_next(lp, hp_lp_next(lp, p));
    }
}

/* Delete ranks [first, first + count) leaving the table's size alone
 * (deferred freeing: the body is on its way out, and a shrink would
 * allocate a table and rehash entries about to be freed). Returns the
 * number deleted. */
size_t hp__zset_delete_ranks_keep(hp_obj_t *o, size_t first, size_t count)
{
    size_t n = hp_zset_len(o);

    if (first >= n || count == 0) return 0;
    if (count > n - first) count = n - first;
    if (o->encoding == HP_ENC_LISTPACK) {
        if (o->flags & HP_OF_SIDE) lp_drop_refs(o, first, count);
        hp_lp_delete((unsigned char **)&o->v.ptr, (long)(2 * first),
                     2 * count);
        hp__ref_drain();
        return count;
    }
    hp_zset_sl_t *zs = o->v.ptr;
    drop_ctx_t dc = {o, zs->dict};

    count = hp__zbt_delete_ranks(zs->tree, first, count, drop_from_dict, &dc);
    hp__ref_drain();
    return count;
}

/* Delete ranks [first, first + count); returns the number deleted. A
 * table left sparse starts shrinking (hp_zset_remove). */
size_t hp_zset_delete_ranks(hp_obj_t *o, size_t first, size_t count)
{
    size_t n = hp__zset_delete_ranks_keep(o, first, count);

    if (n > 0 && o->encoding != HP_ENC_LISTPACK)
        (void)hp_dict_shrink_if_sparse(((hp_zset_sl_t *)o->v.ptr)->dict);
    return n;
}

int hp_zset_at(hp_obj_t *o, size_t rank, hp_elem_t *m, double *score)
{
    assert_zset(o);
    if (rank >= hp_zset_len(o)) return -ERANGE;
    if (o->encoding == HP_ENC_LISTPACK) {
        unsigned char *p = hp_lp_seek(o->v.ptr, (long)(2 * rank));

        hp_lp_get(p, m);
        *score = lp_score(hp_lp_next(o->v.ptr, p));
        return 0;
    }
    hp_zbt_pos_t x;

    hp__zbt_at(((hp_zset_sl_t *)o->v.ptr)->tree, rank, &x);
    m->s = hp__zbt_ele(x);
    m->len = hp__zbt_len(x);
    m->i = 0;
    *score = hp__zbt_score(x);
    return 0;
}

int hp_zset_random(hp_obj_t *o, hp_elem_t *m, double *score)
{
    size_t n = hp_zset_len(o);

    if (n == 0) return -ENOENT;
    return hp_zset_at(o, (size_t)(rnd() % n), m, score);
}

int hp_zset_shrink_if_small(hp_obj_t *o)
{
    hp_zset_sl_t *zs;
    hp_zbt_pos_t x;
    unsigned char *lp;

    assert_zset(o);
    if (o->encoding != HP_ENC_SKIPLIST) return 0;
    zs = o->v.ptr;
    if (zs->tree->length > hp_limits.zset_max_listpack_entries) return 0;
    for (x = hp__zbt_first(zs->tree); x.leaf; hp__zbt_next(&x))
        if (hp__zbt_len(x) > hp_limits.zset_max_listpack_value) return 0;
    lp = lp_from_sl(zs);
    if (!lp) return -ENOMEM;
    hp__zset_sl_free(zs);
    o->v.ptr = lp;
    o->encoding = HP_ENC_LISTPACK;
    return 0;
}

/* ---------------------------------------------------------------------
 * Iteration and scan
 * ------------------------------------------------------------------ */

void hp_zset_iter_init(hp_zset_iter_t *it, hp_obj_t *o, size_t rank,
                       size_t count, int reverse)
{
    assert_zset(o);
    it->o = o;
    it->p = NULL;
    it->node = NULL;
    it->slot = 0;
    it->reverse = reverse;
    it->left = rank < hp_zset_len(o) ? count : 0;
    if (!it->left) return;
    if (o->encoding == HP_ENC_LISTPACK)
        it->p = hp_lp_seek(o->v.ptr, (long)(2 * rank));
    else {
        hp_zbt_pos_t x;

        hp__zbt_at(((hp_zset_sl_t *)o->v.ptr)->tree, rank, &x);
        it->node = x.leaf;
        it->slot = x.i;
    }
}

int hp_zset_iter_next(hp_zset_iter_t *it, hp_elem_t *m, double *score)
{
    if (!it->left) return 0;
    if (it->o->encoding == HP_ENC_LISTPACK) {
        unsigned char *lp = it->o->v.ptr, *sp;

        if (!it->p) return 0;
        sp = hp_lp_next(lp, it->p);
        hp_lp_get(it->p, m);
        *score = lp_score(sp);
        if (it->reverse) {
            unsigned char *prev = hp_lp_prev(lp, it->p);

            it->p = prev ? hp_lp_prev(lp, prev) : NULL;
        } else {
            it->p = hp_lp_next(lp, sp);
        }
    } else {
        hp_zbt_pos_t x = {it->node, it->slot};

        if (!x.leaf) return 0;
        m->s = hp__zbt_ele(x);
        m->len = hp__zbt_len(x);
        m->i = 0;
        *score = hp__zbt_score(x);
        if (it->reverse)
            hp__zbt_prev(&x);
        else
            hp__zbt_next(&x);
        it->node = x.leaf;
        it->slot = x.i;
    }
    it->left--;
    return 1;
}

/* Adapter from hp_dict_scan's callback to hp_zset_scan_fn. */
typedef struct scan_ctx {
    hp_zset_scan_fn fn;
    void *ud;
} scan_ctx_t;

static void scan_entry(void *ud, const hp_dict_entry_t *e)
{
    scan_ctx_t *ctx = ud;

    ctx->fn(ctx->ud, e->key, e->keylen, e->v.d);
}

uint64_t hp_zset_scan(hp_obj_t *o, uint64_t cursor, hp_zset_scan_fn fn,
                      void *ud)
{
    assert_zset(o);
    if (o->encoding == HP_ENC_LISTPACK) {
        hp_zset_iter_t it;
        hp_elem_t m;
        double s;

        hp_zset_iter_init(&it, o, 0, hp_zset_len(o), 0);
        while (hp_zset_iter_next(&it, &m, &s)) {
            char buf[HP_INT_BUF];
            size_t ml;
            const char *mb = hp_elem_bytes(&m, buf, &ml);

            fn(ud, mb, ml, s);
        }
        return 0;
    }
    scan_ctx_t ctx = {fn, ud};

    return hp_dict_scan(((hp_zset_sl_t *)o->v.ptr)->dict, cursor, scan_entry,
                        &ctx);
}
