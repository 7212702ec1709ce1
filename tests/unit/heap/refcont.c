/*
 * refcont.c - container helpers of the reference and collector unit tests
 * (refcont.h).
 */
#include "refcont.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "heap_gc.h"

hp_obj_t *tc_cont_new(int t)
{
    hp_obj_t *o;
    static char big[4096];

    switch (t) {
    case 0:
        return hp_hash_new();
    case 1:
        return hp_set_new();
    case 2:
        return hp_zset_new(1, 1);
    case 3:
        return hp_zset_new(1000, 1);
    default:
        /* a value past hash_max_listpack_value converts it at once */
        o = hp_hash_new();
        memset(big, 'x', sizeof(big));
        hp_hash_set(o, "big", 3, big, hp_limits.hash_max_listpack_value + 1);
        hp_hash_del(o, "big", 3);
        assert_int_equal(o->encoding, HP_ENC_HASHTABLE);
        return o;
    }
}

size_t tc_cont_len(hp_obj_t *c)
{
    if (c->type == HP_TYPE_HASH) return hp_hash_len(c);
    if (c->type == HP_TYPE_SET) return hp_set_len(c);
    return hp_zset_len(c);
}

int tc_ref_add(hp_obj_t *c, const char *key, hp_obj_t *target, int st)
{
    size_t n = strlen(key);

    if (c->type == HP_TYPE_HASH)
        return hp_ref_hash_set(c, key, n, target, key, n, st);
    if (c->type == HP_TYPE_SET) return hp_ref_set_add(c, target, key, n, st);
    return hp_ref_zset_add(c, 1.0, target, key, n, st);
}
