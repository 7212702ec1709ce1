/*
 * test_string.c - heap/string.c: the three encodings, integer parsing and
 * formatting, in-place mutators keeping the object's address, greedy
 * growth, and every constructor and mutator under injected OOM.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "heap_int.h"
#include "oom.h"

/* Assert o holds exactly the bytes s[0..len) (and a NUL after them). */
static void assert_bytes(const hp_obj_t *o, const char *s, size_t len)
{
    char buf[HP_INT_BUF];
    size_t n;
    const char *p = hp_str_bytes(o, buf, &n);

    assert_int_equal(n, len);
    assert_int_equal(hp_str_len(o), len);
    assert_memory_equal(p, s, len);
    assert_int_equal(p[len], '\0');
}

static void test_string_embstr_up_to_44(void **state)
{
    char s[HP_EMBSTR_MAX + 1];
    hp_obj_t *a, *b;

    memset(s, 'a', sizeof(s));
    a = hp_str_new(s, HP_EMBSTR_MAX);
    b = hp_str_new(s, HP_EMBSTR_MAX + 1);
    assert_int_equal(a->encoding, HP_ENC_EMBSTR);
    assert_int_equal(b->encoding, HP_ENC_RAW);
    assert_int_equal(a->type, HP_TYPE_STRING);
    assert_bytes(a, s, HP_EMBSTR_MAX);
    assert_bytes(b, s, HP_EMBSTR_MAX + 1);
    /* One block for embstr: header, bytes, NUL. */
    assert_true(hp_malloc_size(a) >= sizeof(hp_obj_t) + HP_EMBSTR_MAX + 1);
    hp_decref(a);
    hp_decref(b);
}

static void test_string_empty_and_binary(void **state)
{
    hp_obj_t *e = hp_str_new("", 0);
    hp_obj_t *z = hp_str_new("a\0b", 3);
    hp_obj_t *ee = hp_str_new_encoded("", 0);

    assert_bytes(e, "", 0);
    assert_bytes(z, "a\0b", 3);
    assert_bytes(ee, "", 0);
    assert_int_equal(ee->encoding, HP_ENC_EMBSTR);
    hp_decref(e);
    hp_decref(z);
    hp_decref(ee);
}

static void test_string_new_encoded_ints(void **state)
{
    static const struct {
        const char *s;
        int64_t v;
    } ok[] = {
        {"0", 0},
        {"9999", 9999},
        {"10000", 10000},
        {"-1", -1},
        {"123456789012", 123456789012LL},
        {"9223372036854775807", INT64_MAX},
        {"-9223372036854775808", INT64_MIN},
    };

    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        hp_obj_t *o = hp_str_new_encoded(ok[i].s, strlen(ok[i].s));
        int64_t v;

        assert_int_equal(o->encoding, HP_ENC_INT);
        assert_int_equal(o->v.i, ok[i].v);
        assert_int_equal(hp_obj_is_shared(o),
                         ok[i].v >= 0 && ok[i].v < HP_SHARED_INTEGERS);
        assert_bytes(o, ok[i].s, strlen(ok[i].s));
        assert_int_equal(hp_str_get_int(o, &v), 0);
        assert_int_equal(v, ok[i].v);
        hp_decref(o);
    }
}

static void test_string_new_encoded_non_canonical(void **state)
{
    static const char *const bad[] = {
        "",
        "-",
        "+1",
        "01",
        "-0",
        "00",
        " 1",
        "1 ",
        "1a",
        "--1",
        "9223372036854775808",
        "-9223372036854775809",
        "123456789012345678901",
        "1.5",
    };

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        hp_obj_t *o = hp_str_new_encoded(bad[i], strlen(bad[i]));
        int64_t v;

        assert_int_not_equal(o->encoding, HP_ENC_INT);
        assert_int_equal(o->encoding, HP_ENC_EMBSTR);
        assert_bytes(o, bad[i], strlen(bad[i]));
        assert_int_equal(hp_str_get_int(o, &v), -EINVAL);
        hp_decref(o);
    }
}

static void test_string_new_encoded_long_is_raw(void **state)
{
    char s[60];
    hp_obj_t *o;

    memset(s, '7', sizeof(s));
    o = hp_str_new_encoded(s, sizeof(s));
    assert_int_equal(o->encoding, HP_ENC_RAW);
    assert_string_equal(hp_encoding_name(o), "raw");
    hp_decref(o);
}

static void test_string_get_int_from_bytes(void **state)
{
    hp_obj_t *o = hp_str_new("-42", 3);
    int64_t v = 0;

    assert_int_equal(o->encoding, HP_ENC_EMBSTR);
    assert_int_equal(hp_str_get_int(o, &v), 0);
    assert_int_equal(v, -42);
    hp_decref(o);
}

static void test_string_int_bytes_extremes(void **state)
{
    hp_obj_t *a = hp_str_new_int(INT64_MIN), *b = hp_str_new_int(INT64_MAX);

    assert_bytes(a, "-9223372036854775808", 20);
    assert_bytes(b, "9223372036854775807", 19);
    assert_int_equal(hp_str_len(hp_str_new_int(0)), 1);
    hp_decref(a);
    hp_decref(b);
}

static void test_string_new_zeroed(void **state)
{
    hp_obj_t *o = hp_str_new_zeroed(10);
    char zeros[10] = {0};

    assert_int_equal(o->encoding, HP_ENC_RAW);
    assert_bytes(o, zeros, 10);
    hp_decref(o);
}

static void test_string_append_keeps_address(void **state)
{
    hp_obj_t *o = hp_str_new("foo", 3), *before = o;
    hp_obj_t *i = hp_str_new_int(12345);

    assert_int_equal(hp_str_append(o, "bar", 3), 0);
    assert_ptr_equal(o, before);
    assert_int_equal(o->encoding, HP_ENC_RAW);
    assert_bytes(o, "foobar", 6);
    assert_int_equal(hp_str_append(i, "x", 1), 0);
    assert_bytes(i, "12345x", 6);
    assert_int_equal(i->encoding, HP_ENC_RAW);
    hp_decref(o);
    hp_decref(i);
}

static void test_string_append_is_amortised(void **state)
{
    hp_obj_t *o = hp_str_new("", 0);
    size_t total = 0;

    oom_off();
    for (int i = 0; i < 100000; i++) {
        assert_int_equal(hp_str_append(o, "0123456789", 10), 0);
        total += 10;
    }
    /* Doubling growth: about log2(1e6) reallocations, not 1e5. */
    assert_true(oom_count() < 40);
    assert_int_equal(hp_str_len(o), total);
    assert_memory_equal(((hp_rawbuf_t *)o->v.ptr)->buf + total - 10,
                        "0123456789", 10);
    /* Past 1 MB: growth by 1 MB steps, not doubling. */
    for (int i = 0; i < 200000; i++)
        assert_int_equal(hp_str_append(o, "0123456789", 10), 0);
    assert_true(hp__rawbuf_cap(o->v.ptr) <= hp_str_len(o) + 2 * 1048576);
    hp_decref(o);
}

static void test_string_setrange_pads_with_zeros(void **state)
{
    hp_obj_t *o = hp_str_new("hello", 5), *before = o;

    assert_int_equal(hp_str_setrange(o, 8, "xy", 2), 0);
    assert_ptr_equal(o, before);
    assert_bytes(o, "hello\0\0\0xy", 10);
    assert_int_equal(hp_str_setrange(o, 1, "EL", 2), 0);
    assert_bytes(o, "hELlo\0\0\0xy", 10);
    assert_int_equal(hp_str_setrange(o, 100, "", 0), 0);
    assert_int_equal(hp_str_len(o), 10);
    hp_decref(o);
}

static void test_string_setrange_on_int(void **state)
{
    hp_obj_t *o = hp_str_new_int(123456);

    assert_int_equal(hp_str_setrange(o, 0, "9", 1), 0);
    assert_bytes(o, "923456", 6);
    assert_int_equal(o->encoding, HP_ENC_RAW);
    hp_decref(o);
}

static void test_string_set_int_frees_buffer(void **state)
{
    size_t base = hp_mem_used();
    hp_obj_t *o = hp_str_new_zeroed(1000);
    int64_t v;

    assert_int_equal(hp_str_set_int(o, -99), 0);
    assert_int_equal(o->encoding, HP_ENC_INT);
    assert_int_equal(hp_mem_used() - base, hp_obj_mem(o));
    assert_int_equal(hp_str_get_int(o, &v), 0);
    assert_int_equal(v, -99);
    hp_decref(o);
    assert_int_equal(hp_mem_used(), base);
}

static void test_string_set_picks_encoding(void **state)
{
    size_t base = hp_mem_used();
    hp_obj_t *o = hp_str_new("a fairly long embedded string value", 35);
    char big[200];

    memset(big, 'b', sizeof(big));
    assert_int_equal(hp_str_set(o, "short", 5), 0);
    assert_int_equal(o->encoding, HP_ENC_EMBSTR);
    assert_bytes(o, "short", 5);
    assert_int_equal(hp_str_set(o, big, sizeof(big)), 0);
    assert_int_equal(o->encoding, HP_ENC_RAW);
    assert_bytes(o, big, sizeof(big));
    assert_int_equal(hp_str_set(o, big, 150), 0);
    assert_bytes(o, big, 150);
    assert_int_equal(hp_str_set(o, "tiny", 4), 0);
    assert_bytes(o, "tiny", 4);
    assert_int_equal(hp_obj_mem(o), hp_mem_used() - base);
    hp_decref(o);
    assert_int_equal(hp_mem_used(), base);
}

static void test_string_mutators_refuse_shared(void **state)
{
    hp_obj_t *s = hp_str_new_int(5), fake = {0};

    assert_int_equal(hp_str_append(s, "x", 1), -EINVAL);
    assert_int_equal(hp_str_setrange(s, 0, "x", 1), -EINVAL);
    assert_int_equal(hp_str_set_int(s, 6), -EINVAL);
    assert_int_equal(hp_str_set(s, "x", 1), -EINVAL);
    assert_int_equal(s->v.i, 5);
    fake.refcount = 1;
    fake.type = HP_TYPE_LIST;
    assert_int_equal(hp_str_append(&fake, "x", 1), -EINVAL);
    assert_int_equal(hp_str_get_int(&fake, &(int64_t){0}), -EINVAL);
}

static void test_string_writable_grows_with_zeros(void **state)
{
    hp_obj_t *e = hp_str_new("ab", 2), *i = hp_str_new_int(-12);
    hp_obj_t *keep_e = e, *keep_i = i;
    char *p;

    /* No growth: embstr becomes raw with the same bytes, writable. */
    assert_int_equal(hp_str_writable(e, 1, &p), 0);
    assert_ptr_equal(e, keep_e);
    assert_int_equal(e->encoding, HP_ENC_RAW);
    assert_bytes(e, "ab", 2);
    p[1] = 'z';
    assert_bytes(e, "az", 2);
    /* Growth pads with zero bytes. */
    assert_int_equal(hp_str_writable(e, 5, &p), 0);
    assert_bytes(e, "az\0\0\0", 5);
    p[4] = 'q';
    assert_bytes(e, "az\0\0q", 5);
    /* Int values are formatted first. */
    assert_int_equal(hp_str_writable(i, 4, &p), 0);
    assert_ptr_equal(i, keep_i);
    assert_int_equal(i->encoding, HP_ENC_RAW);
    assert_bytes(i, "-12\0", 4);
    hp_decref(e);
    hp_decref(i);
}

static void test_string_writable_refuses_shared(void **state)
{
    hp_obj_t *s = hp_str_new_int(7);
    char *p = NULL;

    assert_int_equal(hp_str_writable(s, 3, &p), -EINVAL);
    assert_null(p);
    assert_int_equal(s->encoding, HP_ENC_INT);
    assert_int_equal(s->v.i, 7);
}

/* ---------------------------------------------------------------------
 * OOM: fail each allocation in turn; a failed call leaves the value and
 * hp_mem_used exactly as they were.
 * ------------------------------------------------------------------ */

typedef hp_obj_t *(*make_fn)(void);

static hp_obj_t *mk_emb(void)
{
    return hp_str_new("embedded", 8);
}

static hp_obj_t *mk_raw(void)
{
    static const char s[64] = "a raw string longer than forty-four bytes..";

    return hp_str_new(s, sizeof(s));
}

static hp_obj_t *mk_enc(void)
{
    return hp_str_new_encoded("123456789", 9);
}

static hp_obj_t *mk_int(void)
{
    return hp_str_new_int(-123456);
}

static hp_obj_t *mk_zero(void)
{
    return hp_str_new_zeroed(500);
}

static void test_string_constructors_under_oom(void **state)
{
    make_fn fns[] = {mk_emb, mk_raw, mk_enc, mk_int, mk_zero};

    for (size_t f = 0; f < sizeof(fns) / sizeof(fns[0]); f++) {
        for (long n = 1;; n++) {
            size_t base = hp_mem_used();
            hp_obj_t *o;

            oom_fail_at(n, 0);
            o = fns[f]();
            oom_off();
            if (o) {
                hp_decref(o);
                break;
            }
            assert_int_equal(hp_mem_used(), base);
            assert_true(n < 10);
        }
    }
}

typedef int (*mut_fn)(hp_obj_t *o);

static int mut_append(hp_obj_t *o)
{
    return hp_str_append(o, "-appended-bytes-that-make-it-long-enough-xx", 43);
}

static int mut_setrange(hp_obj_t *o)
{
    return hp_str_setrange(o, 90, "zz", 2);
}

static int mut_set(hp_obj_t *o)
{
    static const char s[100] = "replacement";

    return hp_str_set(o, s, sizeof(s));
}

/* Run mut on a fresh copy of each encoding, failing allocation n for
 * every n until it succeeds; check o unchanged after each failure. */
static void mutate_under_oom(mut_fn mut)
{
    make_fn fns[] = {mk_emb, mk_raw, mk_int};

    for (size_t f = 0; f < sizeof(fns) / sizeof(fns[0]); f++) {
        for (long n = 1;; n++) {
            hp_obj_t *o = fns[f]();
            char before[128], buf[HP_INT_BUF];
            size_t len, base = hp_mem_used();
            uint8_t enc = o->encoding;
            const char *p = hp_str_bytes(o, buf, &len);
            int rc;

            memcpy(before, p, len);
            oom_fail_at(n, 0);
            rc = mut(o);
            oom_off();
            if (rc == 0) {
                hp_decref(o);
                break;
            }
            assert_int_equal(rc, -ENOMEM);
            assert_int_equal(o->encoding, enc);
            assert_bytes(o, before, len);
            assert_int_equal(hp_mem_used(), base);
            hp_decref(o);
            assert_true(n < 10);
        }
    }
}

static int mut_writable(hp_obj_t *o)
{
    char *p;

    return hp_str_writable(o, 100, &p);
}

static void test_string_mutators_under_oom(void **state)
{
    mutate_under_oom(mut_writable);
    mutate_under_oom(mut_append);
    mutate_under_oom(mut_setrange);
    mutate_under_oom(mut_set);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_string_embstr_up_to_44),
        cmocka_unit_test(test_string_empty_and_binary),
        cmocka_unit_test(test_string_new_encoded_ints),
        cmocka_unit_test(test_string_new_encoded_non_canonical),
        cmocka_unit_test(test_string_new_encoded_long_is_raw),
        cmocka_unit_test(test_string_get_int_from_bytes),
        cmocka_unit_test(test_string_int_bytes_extremes),
        cmocka_unit_test(test_string_new_zeroed),
        cmocka_unit_test(test_string_append_keeps_address),
        cmocka_unit_test(test_string_append_is_amortised),
        cmocka_unit_test(test_string_setrange_pads_with_zeros),
        cmocka_unit_test(test_string_setrange_on_int),
        cmocka_unit_test(test_string_set_int_frees_buffer),
        cmocka_unit_test(test_string_set_picks_encoding),
        cmocka_unit_test(test_string_mutators_refuse_shared),
        cmocka_unit_test(test_string_writable_grows_with_zeros),
        cmocka_unit_test(test_string_writable_refuses_shared),
        cmocka_unit_test(test_string_constructors_under_oom),
        cmocka_unit_test(test_string_mutators_under_oom),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
