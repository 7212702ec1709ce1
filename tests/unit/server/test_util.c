/*
 * test_util.c - unit tests of server/util.c: glob matching with Redis's
 * stringmatchlen edge cases, integer and float parsing as string2ll and
 * string2d, INCRBYFLOAT's long double formatting, memory units.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "server.h"

/* Match helper over C strings. */
static int gm(const char *pat, const char *s, int nocase)
{
    return srv_glob_match(pat, strlen(pat), s, strlen(s), nocase);
}

static void test_glob_basics(void **state)
{
    (void)state;
    assert_true(gm("*", "anything", 0));
    assert_true(gm("h?llo", "hello", 0));
    assert_true(gm("h?llo", "hallo", 0));
    assert_false(gm("h?llo", "hllo", 0));
    assert_true(gm("h*llo", "hllo", 0));
    assert_true(gm("h*llo", "heeeello", 0));
    assert_false(gm("h*llo", "heeeell", 0));
    assert_true(gm("abc", "abc", 0));
    assert_false(gm("abc", "abcd", 0));
    assert_false(gm("abcd", "abc", 0));
    assert_true(gm("a**b", "ab", 0));
    assert_true(gm("a*", "a", 0));
    assert_true(gm("a***", "a", 0));
}

static void test_glob_classes(void **state)
{
    (void)state;
    assert_true(gm("h[ae]llo", "hello", 0));
    assert_true(gm("h[ae]llo", "hallo", 0));
    assert_false(gm("h[ae]llo", "hillo", 0));
    assert_true(gm("h[^e]llo", "hallo", 0));
    assert_false(gm("h[^e]llo", "hello", 0));
    assert_true(gm("h[a-b]llo", "hbllo", 0));
    assert_false(gm("h[a-b]llo", "hcllo", 0));
    /* A reversed range is swapped. */
    assert_true(gm("h[b-a]llo", "hallo", 0));
    /* An escaped ']' inside a class. */
    assert_true(gm("[\\]]", "]", 0));
    assert_false(gm("[\\]]", "a", 0));
    /* Ranges and literals fold case only with nocase. */
    assert_false(gm("[A-C]", "b", 0));
    assert_true(gm("[A-C]", "b", 1));
}

/* Malformed patterns behave exactly as Redis's stringmatchlen. */
static void test_glob_redis_edge_cases(void **state)
{
    (void)state;
    /* A lone star does not match the empty string (no loop turn). */
    assert_false(gm("*", "", 0));
    assert_true(gm("", "", 0));
    assert_false(gm("", "a", 0));
    /* Unterminated classes: the class ends at the pattern's end. */
    assert_true(gm("[abc", "a", 0));
    assert_false(gm("[abc", "d", 0));
    assert_false(gm("[", "a", 0));
    assert_true(gm("[^", "x", 0));
    assert_false(gm("a[", "ab", 0));
    /* Escapes, and a trailing backslash matching itself. */
    assert_true(gm("h\\*llo", "h*llo", 0));
    assert_false(gm("h\\*llo", "hello", 0));
    assert_true(gm("a\\", "a\\", 0));
    assert_true(gm("\\?", "?", 0));
    assert_false(gm("\\?", "x", 0));
}

static void test_glob_nocase_and_binary(void **state)
{
    (void)state;
    assert_true(gm("HELLO", "hello", 1));
    assert_false(gm("HELLO", "hello", 0));
    assert_true(gm("h*O", "hellO", 0));
    /* Lengths, not NUL bytes, bound pattern and string. */
    assert_true(srv_glob_match("a?c", 3, "a\0c", 3, 0));
    assert_false(srv_glob_match("a*", 2, "b\0", 2, 0));
}

/* Many stars that cannot match finish fast (skip-longer-matches), and
 * deep star nesting stops at Redis's limit. */
static void test_glob_pathological(void **state)
{
    char pat[4096], str[4096];
    size_t n = 0;

    (void)state;
    for (int i = 0; i < 30; i++) {
        pat[n++] = 'a';
        pat[n++] = '*';
    }
    pat[n++] = 'b';
    memset(str, 'a', 3000);
    assert_false(srv_glob_match(pat, n, str, 3000, 0));
    str[2999] = 'b';
    assert_true(srv_glob_match(pat, n, str, 3000, 0));
    n = 0;
    for (int i = 0; i < 1100; i++) {
        pat[n++] = '*';
        pat[n++] = 'a';
    }
    memset(str, 'a', 1100);
    assert_false(srv_glob_match(pat, n, str, 1100, 0));
    assert_true(srv_glob_match(pat, 20, str, 10, 0));
}

static void test_parse_ll(void **state)
{
    int64_t v = 0;

    (void)state;
    assert_int_equal(srv_parse_ll("123", 3, &v), 0);
    assert_int_equal(v, 123);
    assert_int_equal(srv_parse_ll("-42", 3, &v), 0);
    assert_int_equal(v, -42);
    assert_int_equal(srv_parse_ll("0", 1, &v), 0);
    assert_int_equal(v, 0);
    assert_int_equal(srv_parse_ll("9223372036854775807", 19, &v), 0);
    assert_true(v == INT64_MAX);
    assert_int_equal(srv_parse_ll("-9223372036854775808", 20, &v), 0);
    assert_true(v == INT64_MIN);
    assert_int_equal(srv_parse_ll("9223372036854775808", 19, &v), -1);
    assert_int_equal(srv_parse_ll("+1", 2, &v), -1);
    assert_int_equal(srv_parse_ll("01", 2, &v), -1);
    assert_int_equal(srv_parse_ll("-0", 2, &v), -1);
    assert_int_equal(srv_parse_ll(" 1", 2, &v), -1);
    assert_int_equal(srv_parse_ll("1 ", 2, &v), -1);
    assert_int_equal(srv_parse_ll("", 0, &v), -1);
    assert_int_equal(srv_parse_ll("12a", 3, &v), -1);
    /* Only len bytes count. */
    assert_int_equal(srv_parse_ll("12a", 2, &v), 0);
    assert_int_equal(v, 12);
}

static void test_parse_double(void **state)
{
    double d = 0;

    (void)state;
    assert_int_equal(srv_parse_double("1.5", 3, &d), 0);
    assert_true(d == 1.5);
    assert_int_equal(srv_parse_double("-2e3", 4, &d), 0);
    assert_true(d == -2000.0);
    assert_int_equal(srv_parse_double("inf", 3, &d), 0);
    assert_true(d > 1e308);
    assert_int_equal(srv_parse_double("0x10", 4, &d), 0);
    assert_true(d == 16.0);
    assert_int_equal(srv_parse_double("nan", 3, &d), -1);
    assert_int_equal(srv_parse_double(" 1", 2, &d), -1);
    assert_int_equal(srv_parse_double("1 ", 2, &d), -1);
    assert_int_equal(srv_parse_double("", 0, &d), -1);
    assert_int_equal(srv_parse_double("abc", 3, &d), -1);
    assert_int_equal(srv_parse_double("1e400", 5, &d), -1);
    assert_int_equal(srv_parse_double("1e-400", 6, &d), -1);
    assert_int_equal(srv_parse_double("2.5xyz", 3, &d), 0);
    assert_true(d == 2.5);
}

static void test_parse_double_long_input(void **state)
{
    char buf[300];
    double d = 0;

    (void)state;
    memset(buf, '0', sizeof(buf));
    buf[0] = '1';
    buf[1] = '.';
    assert_int_equal(srv_parse_double(buf, sizeof(buf), &d), 0);
    assert_true(d == 1.0);
}

/* Format helper. */
static const char *ld(long double v)
{
    static char buf[5 * 1024];

    assert_true(srv_ld2str(buf, sizeof(buf), v) > 0);
    return buf;
}

static void test_ld2str(void **state)
{
    char tiny[3];

    (void)state;
    assert_string_equal(ld(3.0L), "3");
    assert_string_equal(ld(10.5L), "10.5");
    assert_string_equal(ld(10.5L + 0.1L), "10.6");
    assert_string_equal(ld(-1.5L), "-1.5");
    assert_string_equal(ld(-0.0L), "0");
    assert_string_equal(ld(5.0e3L), "5000");
    assert_string_equal(ld(0.1L), "0.1");
    assert_string_equal(ld(1.0L / 0.0L), "inf");
    assert_string_equal(ld(-1.0L / 0.0L), "-inf");
    assert_int_equal(srv_ld2str(tiny, sizeof(tiny), 12345.0L), 0);
}

static void test_parse_memory(void **state)
{
    int64_t v = 0;

    (void)state;
    assert_int_equal(srv_parse_memory("5", &v), 0);
    assert_int_equal(v, 5);
    assert_int_equal(srv_parse_memory("1b", &v), 0);
    assert_int_equal(v, 1);
    assert_int_equal(srv_parse_memory("1k", &v), 0);
    assert_int_equal(v, 1000);
    assert_int_equal(srv_parse_memory("1K", &v), 0);
    assert_int_equal(v, 1000);
    assert_int_equal(srv_parse_memory("1kb", &v), 0);
    assert_int_equal(v, 1024);
    assert_int_equal(srv_parse_memory("2m", &v), 0);
    assert_int_equal(v, 2000000);
    assert_int_equal(srv_parse_memory("2Mb", &v), 0);
    assert_int_equal(v, 2 * 1024 * 1024);
    assert_int_equal(srv_parse_memory("1g", &v), 0);
    assert_int_equal(v, 1000000000);
    assert_int_equal(srv_parse_memory("1GB", &v), 0);
    assert_int_equal(v, 1073741824);
    assert_int_equal(srv_parse_memory("", &v), 0);
    assert_int_equal(v, 0);
    assert_int_equal(srv_parse_memory("-1", &v), -1);
    assert_int_equal(srv_parse_memory("1x", &v), -1);
    assert_int_equal(srv_parse_memory("1.5mb", &v), -1);
    assert_int_equal(srv_parse_memory("1 kb", &v), -1);
    assert_int_equal(srv_parse_memory("99999999999999999999gb", &v), -1);
    assert_int_equal(srv_parse_memory("9000000000gb", &v), -1);
}

static void test_arg_is(void **state)
{
    resp_slice_t a = {"NoSave", 6};

    (void)state;
    assert_true(srv_arg_is(&a, "nosave"));
    assert_true(srv_arg_is(&a, "NOSAVE"));
    assert_false(srv_arg_is(&a, "nosav"));
    assert_false(srv_arg_is(&a, "nosaves"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_glob_basics),
        cmocka_unit_test(test_glob_classes),
        cmocka_unit_test(test_glob_redis_edge_cases),
        cmocka_unit_test(test_glob_nocase_and_binary),
        cmocka_unit_test(test_glob_pathological),
        cmocka_unit_test(test_parse_ll),
        cmocka_unit_test(test_parse_double),
        cmocka_unit_test(test_parse_double_long_input),
        cmocka_unit_test(test_ld2str),
        cmocka_unit_test(test_parse_memory),
        cmocka_unit_test(test_arg_is),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
