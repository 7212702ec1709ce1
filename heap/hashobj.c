/*
 * hashobj.c - hash objects behind HSET, HGET, HDEL, HLEN, HEXISTS, HSCAN,
 * HRANDFIELD and HGETALL. Small hashes are a listpack of alternating
 * fields and values; past hp_limits (hash_max_listpack_entries fields, or
 * a field/value longer than hash_max_listpack_value) the hash becomes a
 * hashtable whose entries' v.ptr are hp_rawbuf_t value buffers. As in
 * Redis, a hashtable never converts back.
 */
#include "heap.h"

#include <assert.h>
#include <errno.h>
#include <string.h>

#include "heap_cont.h"
#include "heap_int.h"
#include "heap_ref.h"

/* Hashtable values are hp_rawbuf_t blocks, freed with the entry. */
static const hp_dict_type_t hash_dict_type = {.val_free = hp_free};

/* Private generator for hp_hash_random on listpacks (xorshift64). */
static uint64_t rnd_state = 0x2545F4914F6CDD1DULL;

static uint64_t rnd(void)
{
    rnd_state ^= rnd_state << 13;
    rnd_state ^= rnd_state >> 7;
    rnd_state ^= rnd_state << 17;
    return rnd_state;
}

static void assert_hash(const hp_obj_t *o)
{
    assert(o->type == HP_TYPE_HASH);
    assert(o->encoding == HP_ENC_LISTPACK || o->encoding == HP_ENC_HASHTABLE);
    (void)o;
}

/* New reference: an empty hash. NULL on OOM. */
hp_obj_t *hp_hash_new(void)
{
    hp_obj_t *o = hp__obj_alloc(sizeof(*o), HP_ENC_LISTPACK);

    if (!o) return NULL;
    o->type = HP_TYPE_HASH;
    o->v.ptr = hp_lp_new();
    if (!o->v.ptr) {
        hp__obj_discard(o);
        return NULL;
    }
    return o;
}

size_t hp_hash_len(const hp_obj_t *o)
{
    assert_hash(o);
    if (o->encoding == HP_ENC_LISTPACK) return hp_lp_len(o->v.ptr) / 2;
    return hp_dict_size(o->v.ptr);
}

/* A new value buffer holding s[0..len). NULL on OOM. */
static hp_rawbuf_t *valbuf_new(const char *s, size_t len)
{
    hp_rawbuf_t *rb = hp_malloc(sizeof(*rb) + len + 1);

    if (!rb) return NULL;
    rb->len = len;
    if (len) memcpy(rb->buf, s, len);
    rb->buf[len] = '\0';
    return rb;
}

/* Add or replace f -> v in a hashtable. 1 added, 0 replaced, -ENOMEM. */
static int dict_set(hp_dict_t *d, const char *f, size_t flen, const char *v,
                    size_t vlen)
{
    hp_rawbuf_t *rb = valbuf_new(v, vlen);
    hp_dict_entry_t *e;
    int existed;

    if (!rb) return -ENOMEM;
    e = hp_dict_add(d, f, flen, &existed);
    if (!e) {
        hp_free(rb);
        return -ENOMEM;
    }
    if (existed) hp_free(e->v.ptr);
    e->v.ptr = rb;
    return !existed;
}

/* Convert a listpack hash to a hashtable. 0 or -ENOMEM (unchanged). */
static int to_hashtable(hp_obj_t *o)
{
    unsigned char *lp = o->v.ptr, *p;
    hp_dict_t *d = hp_dict_new(&hash_dict_type);
    char fb[HP_INT_BUF], vb[HP_INT_BUF];

    if (!d) return -ENOMEM;
    for (p = hp_lp_first(lp); p; p = hp_lp_next(lp, hp_lp_next(lp, p))) {
        hp_elem_t f, v;
        const char *fs, *vs;
        size_t fl, vl;

        hp_lp_get(p, &f);
        hp_lp_get(hp_lp_next(lp, p), &v);
        fs = hp_elem_bytes(&f, fb, &fl);
        vs = hp_elem_bytes(&v, vb, &vl);
        if (dict_set(d, fs, fl, vs, vl) < 0) {
            hp_dict_free(d);
            return -ENOMEM;
        }
    }
    hp_lp_free(lp);
    o->v.ptr = d;
    o->encoding = HP_ENC_HASHTABLE;
    return 0;
}

/* Whether setting f/v (new field or not) must leave the listpack. */
static int needs_hashtable(const hp_obj_t *o, size_t flen, size_t vlen,
                           int is_new)
{
    size_t max = hp_limits.hash_max_listpack_value;

    if (flen > max || vlen > max) return 1;
    return is_new && hp_hash_len(o) + 1 > hp_limits.hash_max_listpack_entries;
}

/* The listpack entry of field f, or NULL. */
static unsigned char *lp_field(unsigned char *lp, const char *f, size_t flen)
{
    return hp_lp_find(lp, hp_lp_first(lp), f, flen, 1);
}

/* HSET in a listpack hash. 1 added, 0 replaced, negative errno. */
static int lp_set(hp_obj_t *o, const char *f, size_t flen, const char *v,
                  size_t vlen)
{
    unsigned char **lpp = (unsigned char **)&o->v.ptr;
    unsigned char *p = lp_field(*lpp, f, flen);
    int rc;

    if (p) {
        long vi = (long)hp_lp_index_of(*lpp, p) + 1;

        rc = hp_lp_replace(lpp, vi, v, vlen);
        return rc ? rc : 0;
    }
    rc = hp_lp_append(lpp, f, flen);
    if (rc) return rc;
    rc = hp_lp_append(lpp, v, vlen);
    if (rc) {
        hp_lp_delete(lpp, -1, 1); /* take the field back out */
        return rc;
    }
    return 1;
}

/* HSET one field (heap.h). */
int hp_hash_set(hp_obj_t *o, const char *f, size_t flen, const char *v,
                size_t vlen)
{
    int rc;

    assert_hash(o);
    if (o->encoding == HP_ENC_LISTPACK) {
        int is_new = lp_field(o->v.ptr, f, flen) == NULL;

        if (!needs_hashtable(o, flen, vlen, is_new)) {
            rc = lp_set(o, f, flen, v, vlen);
            if (rc == 0) hp__ref_hook(o, f, flen); /* overwrote a ref? */
            return rc;
        }
        rc = to_hashtable(o);
        if (rc) return rc;
    }
    rc = dict_set(o->v.ptr, f, flen, v, vlen);
    if (rc == 0) hp__ref_hook(o, f, flen); /* overwrote a ref? */
    return rc;
}

/* The value of f (borrowed). 0 or -ENOENT. */
int hp_hash_get(hp_obj_t *o, const char *f, size_t flen, hp_elem_t *v)
{
    assert_hash(o);
    if (o->encoding == HP_ENC_LISTPACK) {
        unsigned char *p = lp_field(o->v.ptr, f, flen);

        if (!p) return -ENOENT;
        hp_lp_get(hp_lp_next(o->v.ptr, p), v);
    } else {
        hp_dict_entry_t *e = hp_dict_find(o->v.ptr, f, flen);
        hp_rawbuf_t *rb;

        if (!e) return -ENOENT;
        rb = e->v.ptr;
        v->s = rb->buf;
        v->len = rb->len;
        v->i = 0;
    }
    return 0;
}

int hp_hash_exists(hp_obj_t *o, const char *f, size_t flen)
{
    hp_elem_t v;

    return hp_hash_get(o, f, flen, &v) == 0;
}

/* HDEL one field leaving the table's size alone (weak clearing: the
 * collector allocates nothing): 0 or -ENOENT. */
int hp__hash_del_keep(hp_obj_t *o, const char *f, size_t flen)
{
    assert_hash(o);
    if (o->encoding == HP_ENC_LISTPACK) {
        unsigned char *p = lp_field(o->v.ptr, f, flen);

        if (!p) return -ENOENT;
        hp_lp_delete((unsigned char **)&o->v.ptr,
                     (long)hp_lp_index_of(o->v.ptr, p), 2);
        hp__ref_hook(o, f, flen); /* the field may have been a ref */
        return 0;
    }
    if (hp_dict_delete(o->v.ptr, f, flen)) return -ENOENT;
    hp__ref_hook(o, f, flen);
    return 0;
}

/* HDEL one field: 0 or -ENOENT. A table left sparse starts shrinking
 * (hp_set_remove). */
int hp_hash_del(hp_obj_t *o, const char *f, size_t flen)
{
    int rc = hp__hash_del_keep(o, f, flen);

    if (rc == 0 && o->encoding != HP_ENC_LISTPACK)
        (void)hp_dict_shrink_if_sparse(o->v.ptr);
    return rc;
}

/* Borrowed view of a hashtable entry as (field, value). */
static void entry_pair(const hp_dict_entry_t *e, hp_elem_t *f, hp_elem_t *v)
{
    const hp_rawbuf_t *rb = e->v.ptr;

    f->s = e->key;
    f->len = e->keylen;
    f->i = 0;
    v->s = rb->buf;
    v->len = rb->len;
    v->i = 0;
}

/* A random pair (borrowed). 0 or -ENOENT. */
int hp_hash_random(hp_obj_t *o, hp_elem_t *f, hp_elem_t *v)
{
    size_t n = hp_hash_len(o);

    if (n == 0) return -ENOENT;
    if (o->encoding == HP_ENC_LISTPACK) {
        unsigned char *p = hp_lp_seek(o->v.ptr, (long)(rnd() % n) * 2);

        hp_lp_get(p, f);
        hp_lp_get(hp_lp_next(o->v.ptr, p), v);
    } else {
        entry_pair(hp_dict_fair_random(o->v.ptr), f, v);
    }
    return 0;
}

/* Start iterating o's pairs. */
void hp_hash_iter_init(hp_hash_iter_t *it, hp_obj_t *o)
{
    assert_hash(o);
    it->o = o;
    it->p = NULL;
    if (o->encoding == HP_ENC_LISTPACK)
        it->p = hp_lp_first(o->v.ptr);
    else
        hp_dict_iter_init(&it->di, o->v.ptr, 0);
}

/* Next pair (borrowed); 0 when done. */
int hp_hash_iter_next(hp_hash_iter_t *it, hp_elem_t *f, hp_elem_t *v)
{
    hp_dict_entry_t *e;

    if (it->o->encoding == HP_ENC_LISTPACK) {
        unsigned char *lp = it->o->v.ptr;

        if (!it->p) return 0;
        hp_lp_get(it->p, f);
        it->p = hp_lp_next(lp, it->p);
        hp_lp_get(it->p, v);
        it->p = hp_lp_next(lp, it->p);
        return 1;
    }
    e = hp_dict_iter_next(&it->di);
    if (!e) return 0;
    entry_pair(e, f, v);
    return 1;
}

/* End an iteration. */
void hp_hash_iter_fini(hp_hash_iter_t *it)
{
    if (it->o->encoding == HP_ENC_HASHTABLE) hp_dict_iter_fini(&it->di);
}

/* Carries the caller's callback through hp_dict_scan. */
typedef struct scan_ctx {
    hp_hash_scan_fn fn;
    void *ud;
} scan_ctx_t;

/* hp_dict_scan callback: hand one hashtable entry to the caller. */
static void scan_entry(void *ud, const hp_dict_entry_t *e)
{
    scan_ctx_t *sc = ud;
    hp_elem_t f, v;

    entry_pair(e, &f, &v);
    sc->fn(sc->ud, &f, &v);
}

/* HSCAN step (heap.h): listpacks whole, hashtables by dict cursor. */
uint64_t hp_hash_scan(hp_obj_t *o, uint64_t cursor, hp_hash_scan_fn fn,
                      void *ud)
{
    scan_ctx_t sc = {fn, ud};

    assert_hash(o);
    if (o->encoding == HP_ENC_LISTPACK) {
        hp_hash_iter_t it;
        hp_elem_t f, v;

        hp_hash_iter_init(&it, o);
        while (hp_hash_iter_next(&it, &f, &v))
            fn(ud, &f, &v);
        hp_hash_iter_fini(&it);
        return 0;
    }
    return hp_dict_scan(o->v.ptr, cursor, scan_entry, &sc);
}

/* A hashtable holding the pairs of hashtable d. NULL on OOM. */
static hp_dict_t *dict_dup(hp_dict_t *d)
{
    hp_dict_t *n = hp_dict_new(&hash_dict_type);
    hp_dict_iter_t it;
    hp_dict_entry_t *e;
    int rc = 0;

    if (!n) return NULL;
    hp_dict_iter_init(&it, d, 1);
    while (rc >= 0 && (e = hp_dict_iter_next(&it))) {
        const hp_rawbuf_t *rb = e->v.ptr;

        rc = dict_set(n, e->key, e->keylen, rb->buf, rb->len);
    }
    hp_dict_iter_fini(&it);
    if (rc < 0) {
        hp_dict_free(n);
        return NULL;
    }
    return n;
}

/* New reference: a copy of hash o keeping its encoding. NULL on OOM. */
hp_obj_t *hp_hash_dup(const hp_obj_t *o)
{
    hp_obj_t *n;
    void *body;

    assert_hash(o);
    if (o->encoding == HP_ENC_LISTPACK) {
        size_t bytes = hp_lp_bytes(o->v.ptr);

        body = hp_malloc(bytes);
        if (body) memcpy(body, o->v.ptr, bytes);
    } else {
        body = dict_dup(o->v.ptr);
    }
    if (!body) return NULL;
    n = hp__obj_alloc(sizeof(*n), o->encoding);
    if (!n) {
        if (o->encoding == HP_ENC_LISTPACK)
            hp_lp_free(body);
        else
            hp_dict_free(body);
        return NULL;
    }
    n->type = HP_TYPE_HASH;
    n->v.ptr = body;
    return n;
}
