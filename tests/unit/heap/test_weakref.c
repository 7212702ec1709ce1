/*
 * test_weakref.c - heap/weakref.c: weak elements vanish from hashes, sets
 * and sorted sets when their object dies, before it is torn down, with
 * the server's callback told; weak bindings; weak references never
 * yielding a freed object; a container dying before its targets;
 * self references; allocation failures.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <errno.h>

#include <cmocka.h>

#include "heap_int.h"
#include "heap_ref.h"
#include "oom.h"
#include "refcont.h"

/* What the clear callback saw. */
static struct {
    int elements, bindings;
    hp_obj_t *last_container;
    char last_key[64];
    size_t len_after;      /* container length seen in the callback */
    size_t mem_at_call;
    int free_binding;      /* free bindings from the callback */
} seen;

static void on_clear(void *ud, const hp_weak_event_t *ev)
{
    (void)ud;
    seen.mem_at_call = hp_mem_used();
    if (ev->binding) {
        seen.bindings++;
        assert_null(hp_weakref_get(ev->binding));
        if (seen.free_binding) hp_weakref_free(ev->binding);
        return;
    }
    seen.elements++;
    seen.last_container = ev->container;
    snprintf(seen.last_key, sizeof(seen.last_key), "%.*s", (int)ev->klen,
             ev->key);
    switch (ev->container->type) {
    case HP_TYPE_HASH:
        seen.len_after = hp_hash_len(ev->container);
        break;
    case HP_TYPE_SET:
        seen.len_after = hp_set_len(ev->container);
        break;
    default:
        seen.len_after = hp_zset_len(ev->container);
        break;
    }
}

static int setup(void **state)
{
    memset(&seen, 0, sizeof(seen));
    hp_weakref_set_clear_callback(on_clear, NULL);
    return 0;
}

static int teardown(void **state)
{
    hp_weakref_set_clear_callback(NULL, NULL);
    return 0;
}

static void test_weak_element_vanishes_every_type(void **state)
{
    size_t base = hp_mem_used();

    for (int t = 0; t < TC_CONT_KINDS; t++) {
        hp_obj_t *c = tc_cont_new(t), *v = hp_str_new("value", 5);
        size_t len0 = tc_cont_len(c);
        int el0 = seen.elements;

        assert_int_equal(tc_ref_add(c, "sess:9", v, HP_REF_WEAK), 1);
        assert_int_equal(tc_ref_add(c, "keep", v, HP_REF_STRONG), 1);
        assert_int_equal(v->refcount, 2); /* weak holds none */
        assert_int_equal(hp_weakref_count(v), 1);
        assert_ptr_equal(hp_ref_get(c, "sess:9", 6, NULL), v);
        assert_int_equal(hp_ref_forget(c, "keep", 4), 0);
        assert_int_equal(tc_cont_len(c), len0 + 2);
        hp_decref(v); /* dies: the weak element goes */
        assert_int_equal(seen.elements, el0 + 1);
        assert_ptr_equal(seen.last_container, c);
        assert_string_equal(seen.last_key, "sess:9");
        assert_int_equal(seen.len_after, len0 + 1); /* exact in callback */
        assert_int_equal(tc_cont_len(c), len0 + 1);
        assert_null(hp_ref_get(c, "sess:9", 6, NULL));
        assert_int_equal(hp_ref_out_weak(c), 0);
        assert_null(hp__side_of(c));
        hp_decref(c);
    }
    assert_int_equal(hp_mem_used(), base);
}

static void test_weak_binding(void **state)
{
    size_t base = hp_mem_used();
    hp_obj_t *v = hp_str_new("v", 1);
    hp_weakref_t *a = hp_weakref_new(v, (void *)1);
    hp_weakref_t *b = hp_weakref_new(v, (void *)2);

    assert_non_null(a);
    assert_ptr_equal(hp_weakref_get(a), v);
    assert_int_equal(hp_weakref_count(v), 2);
    hp_weakref_free(b);
    assert_int_equal(hp_weakref_count(v), 1);
    seen.free_binding = 1;
    hp_decref(v);
    assert_int_equal(seen.bindings, 1);
    assert_int_equal(hp_mem_used(), base);
}

static void test_weak_binding_kept_by_server(void **state)
{
    hp_obj_t *v = hp_str_new("v", 1);
    hp_weakref_t *a = hp_weakref_new(v, NULL);

    seen.free_binding = 0;
    hp_decref(v);
    assert_int_equal(seen.bindings, 1);
    assert_null(hp_weakref_get(a)); /* never the freed object */
    hp_weakref_free(a);
}

/* The binding is cleared before the object is torn down: the memory of
 * the dying object is still all there in the callback. */
static void test_weak_cleared_before_teardown(void **state)
{
    static const char text[] = "a fairly long value that is not "
                               "embedded in the header block at all";
    hp_obj_t *v = hp_str_new(text, sizeof(text) - 1);
    size_t with = hp_mem_used();
    hp_weakref_t *a = hp_weakref_new(v, NULL);

    seen.free_binding = 1;
    (void)a;
    hp_decref(v);
    assert_true(seen.mem_at_call >= with);
    assert_true(hp_mem_used() < with);
}

static void test_container_dies_first(void **state)
{
    size_t base = hp_mem_used();
    hp_obj_t *c = hp_hash_new(), *v = hp_str_new("v", 1);

    assert_int_equal(tc_ref_add(c, "f", v, HP_REF_WEAK), 1);
    assert_non_null(hp__side_of(v));
    hp_decref(c);
    assert_int_equal(hp_weakref_count(v), 0);
    assert_null(hp__side_of(v));
    hp_decref(v);
    assert_int_equal(seen.elements, 0);
    assert_int_equal(hp_mem_used(), base);
}

static void test_weak_self_reference(void **state)
{
    size_t base = hp_mem_used();
    hp_obj_t *c = hp_set_new();

    assert_int_equal(tc_ref_add(c, "me", c, HP_REF_WEAK), 1);
    assert_int_equal(c->refcount, 1);
    hp_decref(c);
    assert_int_equal(seen.elements, 0); /* its own element: no event */
    assert_int_equal(hp_mem_used(), base);
}

/* A weak element in one container to an object held only by a strong
 * element of another: removing the strong element clears the weak one. */
static void test_weak_cleared_by_standard_write(void **state)
{
    hp_obj_t *owner = hp_hash_new(), *idx = hp_set_new();
    hp_obj_t *v = hp_hash_new();

    assert_int_equal(tc_ref_add(owner, "child", v, HP_REF_STRONG), 1);
    hp_decref(v);
    assert_int_equal(tc_ref_add(idx, "child", v, HP_REF_WEAK), 1);
    assert_int_equal(hp_set_len(idx), 1);
    assert_int_equal(hp_hash_del(owner, "child", 5), 0);
    assert_int_equal(hp_set_len(idx), 0);
    assert_int_equal(seen.elements, 1);
    hp_decref(owner);
    hp_decref(idx);
}

static void test_weak_oom_every_point(void **state)
{
    int done = 0;

    for (long n = 1; !done && n < 50; n++) {
        hp_obj_t *v = hp_str_new("v", 1);
        size_t before = hp_mem_used();
        hp_weakref_t *w;

        oom_fail_at(n, 0);
        w = hp_weakref_new(v, NULL);
        oom_off();
        if (!w) {
            assert_int_equal(hp_mem_used(), before);
            assert_null(hp__side_of(v));
        } else {
            done = 1;
            hp_weakref_free(w);
        }
        hp_decref(v);
    }
    assert_true(done);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            test_weak_element_vanishes_every_type, setup, teardown),
        cmocka_unit_test_setup_teardown(test_weak_binding, setup, teardown),
        cmocka_unit_test_setup_teardown(test_weak_binding_kept_by_server,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_weak_cleared_before_teardown,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_container_dies_first, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_weak_self_reference, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_weak_cleared_by_standard_write,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_weak_oom_every_point, setup,
                                        teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
