/*
 * container.c - what every container type shares: the encoding thresholds
 * (hp_limits), the element view helper, and the dispatch by encoding that
 * object.c calls to free and measure container bodies.
 */
#include "heap.h"

#include <assert.h>

#include "heap_cont.h"
#include "heap_int.h"
#include "heap_zset.h"

/* Redis 7.0's defaults. Executor thread (CONFIG SET writes them). */
hp_limits_t hp_limits = {
    .list_max_listpack_size = -2,
    .hash_max_listpack_entries = 512,
    .hash_max_listpack_value = 64,
    .set_max_intset_entries = 512,
    .zset_max_listpack_entries = 128,
    .zset_max_listpack_value = 64,
};

/* The bytes of e; integers are formatted into buf. Borrowed. */
const char *hp_elem_bytes(const hp_elem_t *e, char *buf, size_t *len)
{
    if (e->s) {
        *len = e->len;
        return e->s;
    }
    *len = hp__format_int(e->i, buf);
    return buf;
}

/* Bytes of a hashtable body: the dict and each value's block (hash
 * values are hp_rawbuf_t blocks; sets store none). O(n). */
static size_t hashtable_mem(hp_dict_t *d)
{
    size_t bytes = hp_dict_mem(d);
    hp_dict_iter_t it;
    hp_dict_entry_t *e;

    hp_dict_iter_init(&it, d, 1);
    while ((e = hp_dict_iter_next(&it)))
        bytes += hp_malloc_size(e->v.ptr);
    hp_dict_iter_fini(&it);
    return bytes;
}

/* Free the body of a container object (object.c calls it). */
void hp__container_free(hp_obj_t *o)
{
    switch (o->encoding) {
    case HP_ENC_QUICKLIST:
        hp_ql_free(o->v.ptr);
        break;
    case HP_ENC_LISTPACK:
        hp_lp_free(o->v.ptr);
        break;
    case HP_ENC_HASHTABLE:
        hp_dict_free(o->v.ptr);
        break;
    case HP_ENC_INTSET:
        hp_is_free(o->v.ptr);
        break;
    case HP_ENC_SKIPLIST:
        hp__zset_sl_free(o->v.ptr);
        break;
    default:
        assert(!"hp_decref: unknown encoding");
        break;
    }
}

/* Bytes of a container object's body. */
size_t hp__container_mem(const hp_obj_t *o)
{
    switch (o->encoding) {
    case HP_ENC_QUICKLIST:
        return hp_ql_mem(o->v.ptr);
    case HP_ENC_LISTPACK:
        return hp_malloc_size(o->v.ptr);
    case HP_ENC_HASHTABLE:
        return hashtable_mem(o->v.ptr);
    case HP_ENC_SKIPLIST:
        return hp__zset_sl_mem(o->v.ptr);
    case HP_ENC_INTSET:
        return hp_malloc_size(o->v.ptr);
    default:
        return 0;
    }
}
