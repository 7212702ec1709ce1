/*
 * test_object.c - heap/object.c: reference counting, the shared immortal
 * integers, type and encoding names, and hp_obj_mem against the real
 * allocation counter.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "heap_int.h"
#include "oom.h"

static void test_object_incref_decref_counts(void **state)
{
    size_t base = hp_mem_used();
    hp_obj_t *o = hp_str_new("hello", 5);

    assert_non_null(o);
    assert_int_equal(o->refcount, 1);
    hp_incref(o);
    hp_incref(o);
    assert_int_equal(o->refcount, 3);
    hp_decref(o);
    hp_decref(o);
    assert_int_equal(o->refcount, 1);
    assert_true(hp_mem_used() > base);
    hp_decref(o);
    assert_int_equal(hp_mem_used(), base);
}

static void test_object_decref_frees_every_encoding(void **state)
{
    size_t base = hp_mem_used();
    char big[100] = {0};

    hp_decref(hp_str_new("abc", 3));
    hp_decref(hp_str_new(big, sizeof(big)));
    hp_decref(hp_str_new_int(123456789));
    hp_decref(hp_str_new_zeroed(1000));
    assert_int_equal(hp_mem_used(), base);
}

static void test_object_null_is_noop(void **state)
{
    hp_incref(NULL);
    hp_decref(NULL);
    assert_false(hp_obj_is_shared(NULL));
}

static void test_object_shared_ints_are_immortal(void **state)
{
    size_t base = hp_mem_used();
    hp_obj_t *a = hp_str_new_int(42), *b = hp_str_new_int(42);

    assert_ptr_equal(a, b);
    assert_true(hp_obj_is_shared(a));
    assert_int_equal(a->refcount, HP_REFCOUNT_IMMORTAL);
    hp_incref(a);
    hp_decref(a);
    hp_decref(a);
    hp_decref(a);
    assert_int_equal(a->refcount, HP_REFCOUNT_IMMORTAL);
    assert_int_equal(a->v.i, 42);
    assert_int_equal(hp_mem_used(), base);
}

static void test_object_shared_ints_need_no_allocation(void **state)
{
    size_t base = hp_mem_used();
    hp_obj_t *lo, *hi;

    oom_fail_at(1, 1);
    lo = hp_str_new_int(0);
    hi = hp_str_new_int(HP_SHARED_INTEGERS - 1);
    assert_null(hp_str_new_int(HP_SHARED_INTEGERS));
    assert_null(hp_str_new_int(-1));
    oom_off();
    assert_non_null(lo);
    assert_non_null(hi);
    assert_int_equal(hi->v.i, HP_SHARED_INTEGERS - 1);
    assert_ptr_equal(hp__shared_int(7), hp_str_new_int(7));
    assert_int_equal(hp_mem_used(), base);
}

static void test_object_private_ints_are_not_shared(void **state)
{
    hp_obj_t *a = hp_str_new_int(HP_SHARED_INTEGERS);
    hp_obj_t *b = hp_str_new_int(-5);

    assert_false(hp_obj_is_shared(a));
    assert_false(hp_obj_is_shared(b));
    assert_int_equal(a->refcount, 1);
    hp_decref(a);
    hp_decref(b);
}

static void test_object_type_names(void **state)
{
    hp_obj_t o = {0};
    static const char *const names[] = {"string", "list", "set", "zset",
                                        "hash"};

    for (uint8_t t = HP_TYPE_STRING; t <= HP_TYPE_HASH; t++) {
        o.type = t;
        assert_string_equal(hp_type_name(&o), names[t]);
    }
    o.type = 200;
    assert_string_equal(hp_type_name(&o), "unknown");
}

static void test_object_encoding_names(void **state)
{
    hp_obj_t *e = hp_str_new("x", 1);
    hp_obj_t *r = hp_str_new_zeroed(100);
    hp_obj_t *i = hp_str_new_int(1 << 20);

    assert_string_equal(hp_encoding_name(e), "embstr");
    assert_string_equal(hp_encoding_name(r), "raw");
    assert_string_equal(hp_encoding_name(i), "int");
    assert_string_equal(hp_type_name(e), "string");
    hp_decref(e);
    hp_decref(r);
    hp_decref(i);
}

/* hp_obj_mem(o) must equal what creating o added to hp_mem_used. */
static void check_mem(hp_obj_t *(*make)(void))
{
    size_t base = hp_mem_used();
    hp_obj_t *o = make();

    assert_non_null(o);
    assert_int_equal(hp_obj_mem(o), hp_mem_used() - base);
    hp_decref(o);
}

static hp_obj_t *make_emb(void)
{
    return hp_str_new("0123456789", 10);
}

static hp_obj_t *make_raw(void)
{
    return hp_str_new_zeroed(300);
}

static hp_obj_t *make_int(void)
{
    return hp_str_new_int(-77777);
}

static hp_obj_t *make_appended(void)
{
    hp_obj_t *o = hp_str_new("abc", 3);

    assert_int_equal(hp_str_append(o, "defgh", 5), 0);
    return o;
}

static void test_object_mem_matches_allocation(void **state)
{
    check_mem(make_emb);
    check_mem(make_raw);
    check_mem(make_int);
    check_mem(make_appended);
    assert_int_equal(hp_obj_mem(hp_str_new_int(3)), sizeof(hp_obj_t));
}

static void test_object_header_is_16_bytes(void **state)
{
    assert_int_equal(sizeof(hp_obj_t), 16);
    assert_int_equal(sizeof(hp_dict_entry_t), 24);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_object_incref_decref_counts),
        cmocka_unit_test(test_object_decref_frees_every_encoding),
        cmocka_unit_test(test_object_null_is_noop),
        cmocka_unit_test(test_object_shared_ints_are_immortal),
        cmocka_unit_test(test_object_shared_ints_need_no_allocation),
        cmocka_unit_test(test_object_private_ints_are_not_shared),
        cmocka_unit_test(test_object_type_names),
        cmocka_unit_test(test_object_encoding_names),
        cmocka_unit_test(test_object_mem_matches_allocation),
        cmocka_unit_test(test_object_header_is_16_bytes),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
