/*
 * refcont.h - helpers shared by the reference and collector unit tests:
 * make a container of each type and encoding, count its elements, store a
 * reference element in it.
 */
#ifndef GENCACHE_TESTS_UNIT_HEAP_REFCONT_H
#define GENCACHE_TESTS_UNIT_HEAP_REFCONT_H

#include <stddef.h>

#include "heap.h"

/* Number of container kinds tc_cont_new knows. */
#define TC_CONT_KINDS 5

/* New reference: an empty container of kind t: 0 hash (listpack), 1 set,
 * 2 zset (listpack), 3 zset (skiplist), 4 hash (hashtable). */
hp_obj_t *tc_cont_new(int t);
/* Elements of container c. */
size_t tc_cont_len(hp_obj_t *c);
/* Store the reference element key -> target (strength st) in c by c's
 * type; returns what the hp_ref_* call returns. */
int tc_ref_add(hp_obj_t *c, const char *key, hp_obj_t *target, int st);

#endif /* GENCACHE_TESTS_UNIT_HEAP_REFCONT_H */
