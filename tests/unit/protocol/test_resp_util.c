/*
 * test_resp_util.c - protocol/resp_util.c: resp_str2ll and resp_ll2str
 * against Redis's string2ll rules and against snprintf.
 */
/* cmocka.h needs these first. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "resp.h"

static void test_resp_util_str2ll_accepts(void **state)
{
    static const struct {
        const char *s;
        int64_t v;
    } ok[] = {
        {"0", 0},
        {"1", 1},
        {"-1", -1},
        {"10", 10},
        {"9223372036854775807", INT64_MAX},
        {"-9223372036854775808", INT64_MIN},
        {"512", 512},
    };
    size_t i;

    for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        int64_t v = 12345;
        assert_int_equal(resp_str2ll(ok[i].s, strlen(ok[i].s), &v), 1);
        assert_true(v == ok[i].v);
    }
}

static void test_resp_util_str2ll_rejects(void **state)
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
        "a",
        "9223372036854775808",
        "-9223372036854775809",
        "18446744073709551616",
        "99999999999999999999",
        "000000000000000000001",
        "1\r",
    };
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int64_t v = 77;
        assert_int_equal(resp_str2ll(bad[i], strlen(bad[i]), &v), 0);
        assert_true(v == 77);
    }
    /* Only len bytes are read. */
    {
        int64_t v;
        assert_int_equal(resp_str2ll("12x", 2, &v), 1);
        assert_true(v == 12);
    }
}

/* ll2str agrees with printf and round-trips through str2ll. */
static void test_resp_util_ll2str_matches_printf(void **state)
{
    int64_t vals[200];
    size_t n = 0, i;
    int64_t p;

    vals[n++] = 0;
    vals[n++] = INT64_MAX;
    vals[n++] = INT64_MIN;
    for (p = 1; p > 0 && p <= INT64_MAX / 10; p *= 10) {
        vals[n++] = p;
        vals[n++] = p - 1;
        vals[n++] = -p;
        vals[n++] = -(p - 1) - 1;
        vals[n++] = p + 1;
    }
    for (i = 0; n < 200; i++)
        vals[n++] = (int64_t)((uint64_t)rand() << 33 ^ (uint64_t)rand() << 11 ^
                              (uint64_t)rand());
    for (i = 0; i < n; i++) {
        char a[21], b[32];
        int64_t back;
        size_t la = resp_ll2str(a, vals[i]);
        int lb = snprintf(b, sizeof(b), "%" PRId64, vals[i]);
        assert_int_equal(la, (size_t)lb);
        assert_string_equal(a, b);
        assert_int_equal(resp_str2ll(a, la, &back), 1);
        assert_true(back == vals[i]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_resp_util_str2ll_accepts),
        cmocka_unit_test(test_resp_util_str2ll_rejects),
        cmocka_unit_test(test_resp_util_ll2str_matches_printf),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
