/*
 * setobj.c - set objects behind SADD, SREM, SISMEMBER, SPOP, SRANDMEMBER,
 * SMEMBERS, SSCAN and the set algebra. As Redis 7.0: an "intset" while
 * every member is a canonical int64 and there are at most
 * hp_limits.set_max_intset_entries of them, else a "hashtable" whose
 * entries are the members (no values). A hashtable never converts back.
 */
#include "heap.h"

#include <assert.h>
#include <errno.h>
#include <string.h>

#include "heap_cont.h"
#include "heap_int.h"
#include "heap_ref.h"

/* Set members carry no value. */
static const hp_dict_type_t set_dict_type = {.val_free = NULL};

/* Check that o is a set in one of its encodings. */
static void assert_set(const hp_obj_t *o)
{
    assert(o->type == HP_TYPE_SET);
    assert(o->encoding == HP_ENC_INTSET || o->encoding == HP_ENC_HASHTABLE);
    (void)o;
}

/* New reference: a set object with body body (NULL: OOM, body freed by
 * the caller). */
static hp_obj_t *set_obj(uint8_t encoding, void *body)
{
    hp_obj_t *o;

    if (!body) return NULL;
    o = hp__obj_alloc(sizeof(*o), encoding);
    if (!o) return NULL;
    o->type = HP_TYPE_SET;
    o->v.ptr = body;
    return o;
}

/* New reference: an empty intset-encoded set. NULL on OOM. */
hp_obj_t *hp_set_new(void)
{
    hp_intset_t *is = hp_is_new();
    hp_obj_t *o = set_obj(HP_ENC_INTSET, is);

    if (!o) hp_is_free(is);
    return o;
}

/* New reference: an empty hashtable-encoded set. NULL on OOM. */
hp_obj_t *hp_set_new_hashtable(void)
{
    hp_dict_t *d = hp_dict_new(&set_dict_type);
    hp_obj_t *o = set_obj(HP_ENC_HASHTABLE, d);

    if (!o) hp_dict_free(d);
    return o;
}

size_t hp_set_len(const hp_obj_t *o)
{
    assert_set(o);
    if (o->encoding == HP_ENC_INTSET) return hp_is_len(o->v.ptr);
    return hp_dict_size(o->v.ptr);
}

/* Convert an intset body to a hashtable. 0 or -ENOMEM (unchanged). */
int hp_set_to_hashtable(hp_obj_t *o)
{
    hp_intset_t *is = o->v.ptr;
    hp_dict_t *d;

    assert_set(o);
    if (o->encoding == HP_ENC_HASHTABLE) return 0;
    d = hp_dict_new(&set_dict_type);
    if (!d) return -ENOMEM;
    for (size_t i = 0; i < hp_is_len(is); i++) {
        char buf[HP_INT_BUF];
        size_t len = hp__format_int(hp_is_get(is, i), buf);
        int existed;

        if (!hp_dict_add(d, buf, len, &existed)) {
            hp_dict_free(d);
            return -ENOMEM;
        }
    }
    hp_is_free(is);
    o->v.ptr = d;
    o->encoding = HP_ENC_HASHTABLE;
    return 0;
}

/* Add an integer to an intset set, converting when the count passes the
 * limit. 1 added, 0 present, -ENOMEM. */
static int intset_add(hp_obj_t *o, int64_t v)
{
    hp_intset_t *is = o->v.ptr;
    int added;

    if (hp_is_find(is, v)) return 0;
    if (hp_is_len(is) + 1 > hp_limits.set_max_intset_entries) {
        char buf[HP_INT_BUF];
        size_t len = hp__format_int(v, buf);

        if (hp_set_to_hashtable(o)) return -ENOMEM;
        return hp_dict_add(o->v.ptr, buf, len, &added) ? 1 : -ENOMEM;
    }
    if (hp_is_add((hp_intset_t **)&o->v.ptr, v, &added)) return -ENOMEM;
    return added;
}

/* Add bytes s to a hashtable set. 1 added, 0 present, -ENOMEM. */
static int dict_add(hp_obj_t *o, const char *s, size_t len)
{
    int existed;

    if (len > UINT32_MAX) return -E2BIG;
    if (!hp_dict_add(o->v.ptr, s, len, &existed)) return -ENOMEM;
    return !existed;
}

/* SADD one member (heap.h). */
int hp_set_add(hp_obj_t *o, const char *s, size_t len)
{
    int64_t v;

    assert_set(o);
    if (o->encoding == HP_ENC_INTSET) {
        if (hp__parse_int(s, len, &v) == 0) return intset_add(o, v);
        if (hp_set_to_hashtable(o)) return -ENOMEM;
    }
    return dict_add(o, s, len);
}

/* SADD of an element view (heap.h). */
int hp_set_add_elem(hp_obj_t *o, const hp_elem_t *e)
{
    char buf[HP_INT_BUF];
    size_t len;
    const char *s;

    assert_set(o);
    if (!e->s && o->encoding == HP_ENC_INTSET) return intset_add(o, e->i);
    s = hp_elem_bytes(e, buf, &len);
    return hp_set_add(o, s, len);
}

/* SREM one member leaving the table's size alone (weak clearing: the
 * collector allocates nothing): 1 removed, 0 absent. */
int hp__set_remove_keep(hp_obj_t *o, const char *s, size_t len)
{
    hp_dict_entry_t *de;
    int64_t v;

    assert_set(o);
    if (o->encoding == HP_ENC_INTSET) {
        if (hp__parse_int(s, len, &v)) return 0;
        if (!hp_is_remove((hp_intset_t **)&o->v.ptr, v)) return 0;
        hp__ref_hook(o, s, len); /* the member may have been a ref */
        return 1;
    }
    /* s may be the entry's own key (SPOP's random member): the hook
     * reads it before the entry is freed. */
    de = hp_dict_unlink(o->v.ptr, s, len);
    if (!de) return 0;
    hp__ref_hook(o, de->key, de->keylen);
    hp_dict_entry_free(o->v.ptr, de);
    return 1;
}

/* SREM one member: 1 removed, 0 absent. As Redis, a table left under
 * 10% full starts shrinking, so that the memory comes back and SPOP or
 * SRANDMEMBER do not probe empty buckets. */
int hp_set_remove(hp_obj_t *o, const char *s, size_t len)
{
    int removed = hp__set_remove_keep(o, s, len);

    if (removed && o->encoding != HP_ENC_INTSET)
        (void)hp_dict_shrink_if_sparse(o->v.ptr);
    return removed;
}

/* SREM of an element view. */
int hp_set_remove_elem(hp_obj_t *o, const hp_elem_t *e)
{
    char buf[HP_INT_BUF];
    size_t len;
    const char *s;

    assert_set(o);
    if (!e->s && o->encoding == HP_ENC_INTSET &&
        !(o->flags & HP_OF_SIDE))
        return hp_is_remove((hp_intset_t **)&o->v.ptr, e->i);
    s = hp_elem_bytes(e, buf, &len);
    return hp_set_remove(o, s, len);
}

/* SISMEMBER: 1 or 0. */
int hp_set_ismember(hp_obj_t *o, const char *s, size_t len)
{
    int64_t v;

    assert_set(o);
    if (o->encoding == HP_ENC_INTSET)
        return hp__parse_int(s, len, &v) == 0 && hp_is_find(o->v.ptr, v);
    return hp_dict_find(o->v.ptr, s, len) != NULL;
}

/* Membership of an element view: 1 or 0. */
int hp_set_ismember_elem(hp_obj_t *o, const hp_elem_t *e)
{
    char buf[HP_INT_BUF];
    size_t len;
    const char *s;

    assert_set(o);
    if (!e->s && o->encoding == HP_ENC_INTSET) return hp_is_find(o->v.ptr, e->i);
    s = hp_elem_bytes(e, buf, &len);
    return hp_set_ismember(o, s, len);
}

/* Borrowed view of a hashtable member. */
static void entry_elem(const hp_dict_entry_t *de, hp_elem_t *e)
{
    e->s = de->key;
    e->len = de->keylen;
    e->i = 0;
}

/* Borrowed view of an integer member. */
static void int_elem(int64_t v, hp_elem_t *e)
{
    e->s = NULL;
    e->len = 0;
    e->i = v;
}

/* A random member (borrowed). 0 or -ENOENT. */
int hp_set_random(hp_obj_t *o, hp_elem_t *e)
{
    assert_set(o);
    if (hp_set_len(o) == 0) return -ENOENT;
    if (o->encoding == HP_ENC_INTSET)
        int_elem(hp_is_random(o->v.ptr), e);
    else
        entry_elem(hp_dict_fair_random(o->v.ptr), e);
    return 0;
}

/* New reference: pop a random member as a string object. */
hp_obj_t *hp_set_pop(hp_obj_t *o, int *err)
{
    hp_elem_t e;
    hp_obj_t *v;

    if (err) *err = 0;
    if (hp_set_random(o, &e)) return NULL;
    v = e.s ? hp_str_new_encoded(e.s, e.len) : hp_str_new_int(e.i);
    if (!v) {
        if (err) *err = -ENOMEM;
        return NULL;
    }
    hp_set_remove_elem(o, &e);
    return v;
}

/* New reference: a copy of set o, same encoding. NULL on OOM. o is
 * only read (the walk pauses and resumes its dict's rehashing). */
hp_obj_t *hp_set_dup(const hp_obj_t *co)
{
    hp_obj_t *o = (hp_obj_t *)co;
    hp_obj_t *n;
    hp_set_iter_t it;
    hp_elem_t e;
    int rc = 0;

    assert_set(o);
    if (o->encoding == HP_ENC_INTSET) {
        size_t bytes = hp_is_bytes(o->v.ptr);
        hp_intset_t *is = hp_malloc(bytes);

        if (is) memcpy(is, o->v.ptr, bytes);
        n = set_obj(HP_ENC_INTSET, is);
        if (!n) hp_is_free(is);
        return n;
    }
    n = hp_set_new_hashtable();
    if (!n) return NULL;
    hp_set_iter_init(&it, o);
    while (rc >= 0 && hp_set_iter_next(&it, &e))
        rc = dict_add(n, e.s, e.len);
    hp_set_iter_fini(&it);
    if (rc < 0) {
        hp_decref(n);
        return NULL;
    }
    return n;
}

/* Adapter from dict scan entries to set members. */
typedef struct scan_ctx {
    hp_set_scan_fn fn;
    void *ud;
} scan_ctx_t;

static void scan_entry(void *ud, const hp_dict_entry_t *de)
{
    scan_ctx_t *ctx = ud;
    hp_elem_t e;

    entry_elem(de, &e);
    ctx->fn(ctx->ud, &e);
}

/* SSCAN step (heap.h). */
uint64_t hp_set_scan(hp_obj_t *o, uint64_t cursor, hp_set_scan_fn fn,
                     void *ud)
{
    scan_ctx_t ctx = {fn, ud};

    assert_set(o);
    if (o->encoding == HP_ENC_INTSET) {
        hp_intset_t *is = o->v.ptr;
        hp_elem_t e;

        for (size_t i = 0; i < hp_is_len(is); i++) {
            int_elem(hp_is_get(is, i), &e);
            fn(ud, &e);
        }
        return 0;
    }
    return hp_dict_scan(o->v.ptr, cursor, scan_entry, &ctx);
}

/* Start iterating o's members. */
void hp_set_iter_init(hp_set_iter_t *it, hp_obj_t *o)
{
    assert_set(o);
    it->o = o;
    it->i = 0;
    if (o->encoding == HP_ENC_HASHTABLE) hp_dict_iter_init(&it->di, o->v.ptr, 1);
}

/* Next member (borrowed); 0 when done. */
int hp_set_iter_next(hp_set_iter_t *it, hp_elem_t *e)
{
    hp_dict_entry_t *de;

    if (it->o->encoding == HP_ENC_INTSET) {
        hp_intset_t *is = it->o->v.ptr;

        if (it->i >= hp_is_len(is)) return 0;
        int_elem(hp_is_get(is, it->i++), e);
        return 1;
    }
    de = hp_dict_iter_next(&it->di);
    if (!de) return 0;
    entry_elem(de, e);
    return 1;
}

/* End an iteration. */
void hp_set_iter_fini(hp_set_iter_t *it)
{
    if (it->o->encoding == HP_ENC_HASHTABLE) hp_dict_iter_fini(&it->di);
}
