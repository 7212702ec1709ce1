/*
 * test_resp_writer.c - protocol/resp_writer.c: every writer byte-exact in
 * RESP2 and RESP3, deferred lengths, buffer upkeep and allocation failure.
 */
/* cmocka.h needs these first. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "resp.h"

/* Assert that b holds exactly the C string want, then empty it. */
#define EXPECT(b, want)                                     \
    do {                                                    \
        assert_int_equal((b)->len, strlen(want));           \
        assert_memory_equal((b)->data, want, strlen(want)); \
        resp_buf_reset(b);                                  \
    } while (0)

static int setup2(void **state)
{
    resp_buf_t *b = malloc(sizeof(*b));

    resp_buf_init(b, 2);
    *state = b;
    return 0;
}

static int setup3(void **state)
{
    resp_buf_t *b = malloc(sizeof(*b));

    resp_buf_init(b, 3);
    *state = b;
    return 0;
}

static int teardown(void **state)
{
    resp_buf_fini(*state);
    free(*state);
    return 0;
}

static void test_resp_writer_simple_ok_error(void **state)
{
    resp_buf_t *b = *state;

    assert_int_equal(resp_write_simple(b, "PONG", 4), 0);
    EXPECT(b, "+PONG\r\n");
    assert_int_equal(resp_write_simple(b, "", 0), 0);
    EXPECT(b, "+\r\n");
    assert_int_equal(resp_write_ok(b), 0);
    EXPECT(b, "+OK\r\n");
    assert_int_equal(resp_write_error(b, "ERR bad\r\nthing\n", 15), 0);
    EXPECT(b, "-ERR bad  thing \r\n");
    assert_int_equal(resp_write_error(b, "WRONGTYPE x", 11), 0);
    EXPECT(b, "-WRONGTYPE x\r\n");
}

static void test_resp_writer_int_edges(void **state)
{
    resp_buf_t *b = *state;

    resp_write_int(b, 0);
    EXPECT(b, ":0\r\n");
    resp_write_int(b, -1);
    EXPECT(b, ":-1\r\n");
    resp_write_int(b, 1234567890123LL);
    EXPECT(b, ":1234567890123\r\n");
    resp_write_int(b, INT64_MAX);
    EXPECT(b, ":9223372036854775807\r\n");
    resp_write_int(b, INT64_MIN);
    EXPECT(b, ":-9223372036854775808\r\n");
    resp_write_bulk_int(b, -42);
    EXPECT(b, "$3\r\n-42\r\n");
    resp_write_bulk_int(b, INT64_MIN);
    EXPECT(b, "$20\r\n-9223372036854775808\r\n");
}

static void test_resp_writer_bulk(void **state)
{
    resp_buf_t *b = *state;

    resp_write_bulk(b, "hello", 5);
    EXPECT(b, "$5\r\nhello\r\n");
    resp_write_bulk(b, "", 0);
    EXPECT(b, "$0\r\n\r\n");
    resp_write_bulk(b, "a\r\nb", 4);
    EXPECT(b, "$4\r\na\r\nb\r\n");
}

/* Each RESP3 type with its RESP2 fallback. */
static void test_resp_writer_resp2_fallbacks(void **state)
{
    resp_buf_t *b = *state;

    resp_write_null(b);
    EXPECT(b, "$-1\r\n");
    resp_write_null_array(b);
    EXPECT(b, "*-1\r\n");
    resp_write_array_len(b, 3);
    EXPECT(b, "*3\r\n");
    resp_write_array_len(b, -1);
    EXPECT(b, "*-1\r\n");
    resp_write_map_len(b, 2);
    EXPECT(b, "*4\r\n");
    resp_write_set_len(b, 5);
    EXPECT(b, "*5\r\n");
    resp_write_push_len(b, 3);
    EXPECT(b, "*3\r\n");
    resp_write_bool(b, 1);
    EXPECT(b, ":1\r\n");
    resp_write_bool(b, 0);
    EXPECT(b, ":0\r\n");
    resp_write_double(b, 1.1);
    EXPECT(b, "$18\r\n1.1000000000000001\r\n");
    resp_write_double(b, 3.0);
    EXPECT(b, "$1\r\n3\r\n");
    resp_write_double(b, INFINITY);
    EXPECT(b, "$3\r\ninf\r\n");
    resp_write_double(b, -INFINITY);
    EXPECT(b, "$4\r\n-inf\r\n");
    resp_write_verbatim(b, "txt", "hi\nthere", 8);
    EXPECT(b, "$8\r\nhi\nthere\r\n");
    resp_write_bignum(b, "12345678901234567890", 20);
    EXPECT(b, "$20\r\n12345678901234567890\r\n");
}

static void test_resp_writer_resp3_types(void **state)
{
    resp_buf_t *b = *state;

    resp_write_null(b);
    EXPECT(b, "_\r\n");
    resp_write_null_array(b);
    EXPECT(b, "_\r\n");
    resp_write_array_len(b, 3);
    EXPECT(b, "*3\r\n");
    resp_write_map_len(b, 2);
    EXPECT(b, "%2\r\n");
    resp_write_set_len(b, 5);
    EXPECT(b, "~5\r\n");
    resp_write_push_len(b, 3);
    EXPECT(b, ">3\r\n");
    resp_write_bool(b, 1);
    EXPECT(b, "#t\r\n");
    resp_write_bool(b, 0);
    EXPECT(b, "#f\r\n");
    resp_write_double(b, 1.1);
    EXPECT(b, ",1.1000000000000001\r\n");
    resp_write_double(b, 3.141);
    EXPECT(b, ",3.141\r\n");
    resp_write_double(b, 1e300);
    EXPECT(b, ",1.0000000000000001e+300\r\n");
    resp_write_double(b, -0.0);
    EXPECT(b, ",-0\r\n");
    resp_write_double(b, INFINITY);
    EXPECT(b, ",inf\r\n");
    resp_write_double(b, -INFINITY);
    EXPECT(b, ",-inf\r\n");
    resp_write_double(b, NAN);
    EXPECT(b, ",nan\r\n");
    resp_write_verbatim(b, "txt", "This is a verbatim\nstring", 25);
    EXPECT(b, "=29\r\ntxt:This is a verbatim\nstring\r\n");
    resp_write_bignum(b, "1234567999999999999999999999999999999", 37);
    EXPECT(b, "(1234567999999999999999999999999999999\r\n");
    /* Types shared with RESP2 are unchanged. */
    resp_write_int(b, 7);
    resp_write_bulk(b, "x", 1);
    resp_write_ok(b);
    EXPECT(b, ":7\r\n$1\r\nx\r\n+OK\r\n");
}

static void test_resp_writer_deferred_lengths(void **state)
{
    resp_buf_t *b = *state;
    size_t outer, inner;

    outer = resp_write_deferred(b);
    resp_write_bulk(b, "a", 1);
    inner = resp_write_deferred(b);
    resp_write_int(b, 1);
    resp_write_int(b, 2);
    assert_int_equal(resp_set_deferred(b, inner, '%', 1), 0);
    assert_int_equal(resp_set_deferred(b, outer, '*', 2), 0);
    if (b->proto == 3)
        EXPECT(b, "*2\r\n$1\r\na\r\n%1\r\n:1\r\n:2\r\n");
    else
        EXPECT(b, "*2\r\n$1\r\na\r\n*2\r\n:1\r\n:2\r\n");

    resp_write_ok(b);
    outer = resp_write_deferred(b);
    assert_int_equal(resp_set_deferred(b, outer, '~', 0), 0);
    outer = resp_write_deferred(b);
    resp_write_int(b, 5);
    assert_int_equal(resp_set_deferred(b, outer, '>', 12345), 0);
    if (b->proto == 3)
        EXPECT(b, "+OK\r\n~0\r\n>12345\r\n:5\r\n");
    else
        EXPECT(b, "+OK\r\n*0\r\n*12345\r\n:5\r\n");

    outer = resp_write_deferred(b);
    assert_int_equal(resp_set_deferred(b, outer, '$', 1), -EINVAL);
    assert_int_equal(resp_set_deferred(b, outer + 10, '*', 1), -EINVAL);
    assert_int_equal(b->len, 0);
}

/* A deferred header before a large tail moves that tail intact. */
static void test_resp_writer_deferred_large_tail(void **state)
{
    resp_buf_t *b = *state;
    size_t h = resp_write_deferred(b);
    char want[32];
    int i;

    for (i = 0; i < 10000; i++)
        resp_write_bulk_int(b, i);
    assert_int_equal(resp_set_deferred(b, h, '*', 10000), 0);
    assert_memory_equal(b->data, "*10000\r\n$1\r\n0\r\n$1\r\n1\r\n", 22);
    strcpy(want, "$4\r\n9999\r\n");
    assert_memory_equal(b->data + b->len - 10, want, 10);
    resp_buf_reset(b);
}

static void test_resp_writer_consume_and_append(void **state)
{
    resp_buf_t *b = *state;

    assert_int_equal(resp_buf_append(b, "abcdef", 6), 0);
    resp_buf_consume(b, 2);
    EXPECT(b, "cdef");
    resp_buf_append(b, "xy", 2);
    resp_buf_consume(b, 10);
    assert_int_equal(b->len, 0);
    assert_int_equal(resp_buf_append(b, NULL, 0), 0);
    assert_int_equal(b->len, 0);
}

static void test_resp_writer_grows_past_first_block(void **state)
{
    resp_buf_t *b = *state;
    char *big = malloc(100000);
    size_t i;

    memset(big, 'z', 100000);
    for (i = 0; i < 10; i++)
        assert_int_equal(resp_write_bulk(b, big, 100000), 0);
    assert_int_equal(b->len, 10 * (100000 + 11));
    assert_memory_equal(b->data + b->len - 8, "zzzzzz\r\n", 8);
    resp_buf_reset(b);
    free(big);
}

/* Allocation failure: -ENOMEM, oom set, later writes dropped. */
static int fail_alloc;

static void *t_malloc(size_t n)
{
    return fail_alloc ? NULL : malloc(n);
}

static void *t_realloc(void *p, size_t n)
{
    return fail_alloc ? NULL : realloc(p, n);
}

static void test_resp_writer_nomem(void **state)
{
    resp_buf_t b;
    char *big = calloc(1, 4096);

    resp_set_allocator(t_malloc, t_realloc, free);
    resp_buf_init(&b, 3);
    fail_alloc = 1;
    assert_int_equal(resp_write_ok(&b), -ENOMEM);
    assert_int_equal(b.oom, 1);
    assert_int_equal(b.len, 0);
    fail_alloc = 0;
    assert_int_equal(resp_write_int(&b, 1), -ENOMEM);
    resp_buf_reset(&b);
    assert_int_equal(resp_write_int(&b, 1), 0);
    fail_alloc = 1;
    assert_int_equal(resp_write_bulk(&b, big, 4096), -ENOMEM);
    assert_int_equal(resp_write_double(&b, 1.5), -ENOMEM);
    assert_int_equal(resp_write_verbatim(&b, "txt", "a", 1), -ENOMEM);
    assert_int_equal(resp_set_deferred(&b, 0, '*', 1), -ENOMEM);
    assert_int_equal(b.len, 4);
    assert_memory_equal(b.data, ":1\r\n", 4);
    fail_alloc = 0;
    resp_buf_fini(&b);
    resp_set_allocator(NULL, NULL, NULL);
    free(big);
}

#define BOTH(t)                                           \
    cmocka_unit_test_setup_teardown(t, setup2, teardown), \
        cmocka_unit_test_setup_teardown(t, setup3, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        BOTH(test_resp_writer_simple_ok_error),
        BOTH(test_resp_writer_int_edges),
        BOTH(test_resp_writer_bulk),
        cmocka_unit_test_setup_teardown(test_resp_writer_resp2_fallbacks,
                                        setup2, teardown),
        cmocka_unit_test_setup_teardown(test_resp_writer_resp3_types, setup3,
                                        teardown),
        BOTH(test_resp_writer_deferred_lengths),
        BOTH(test_resp_writer_deferred_large_tail),
        BOTH(test_resp_writer_consume_and_append),
        BOTH(test_resp_writer_grows_past_first_block),
        cmocka_unit_test(test_resp_writer_nomem),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
