/*
 * test_thp.c - the disable-thp directive against a real gencached: its
 * default, CONFIG SET refusing it (Redis's wording), a server started with
 * disable-thp no, and the process's THP state in /proc/PID/status, which
 * follows Redis's rule (opted out only when the kernel policy is "always"
 * and disable-thp is yes).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"

/* CONFIG GET name on c and assert the single value. */
static void expect_config(redisContext *c, const char *name,
                          const char *value)
{
    redisReply *r = th_cmd(c, "CONFIG GET %s", name);

    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->elements, 2);
    assert_string_equal(r->element[0]->str, name);
    assert_string_equal(r->element[1]->str, value);
    freeReplyObject(r);
}

/* 1 when the kernel's THP policy is "always", 0 otherwise (or no THP). */
static int policy_always(void)
{
    char buf[128];
    FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
    size_t n;

    if (!f)
        return 0;
    n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    return strstr(buf, "[always]") != NULL;
}

/* The THP_enabled field of /proc/pid/status (0 or 1), or -1 when the
 * kernel does not report it (before Linux 5.0). */
static int thp_enabled(pid_t pid)
{
    char path[64], line[256];
    FILE *f;
    int v = -1;

    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    f = fopen(path, "r");
    assert_non_null(f);
    while (fgets(line, sizeof(line), f))
        if (sscanf(line, "THP_enabled: %d", &v) == 1)
            break;
    fclose(f);
    return v;
}

static void test_default_yes(void **state)
{
    th_server_t *s = *state;

    expect_config(s->ctx, "disable-thp", "yes");
}

static void test_config_set_refused(void **state)
{
    th_server_t *s = *state;

    th_expect_error(s->ctx,
                    "ERR CONFIG SET failed (possibly related to argument "
                    "'disable-thp') - can't set immutable config",
                    "CONFIG SET disable-thp no");
    th_expect_error(s->ctx,
                    "ERR CONFIG SET failed (possibly related to argument "
                    "'disable-thp') - can't set immutable config",
                    "CONFIG SET disable-thp yes");
    expect_config(s->ctx, "disable-thp", "yes");
}

static void test_process_state_yes(void **state)
{
    th_server_t *s = *state;
    int v = thp_enabled(s->pid);

    if (v < 0)
        skip();
    assert_int_equal(v, policy_always() ? 0 : 1);
}

static void test_started_with_no(void **state)
{
    static const char *const args[] = {"--disable-thp", "no", NULL};
    th_server_t s2;
    int v;

    (void)state;
    assert_int_equal(th_server_start(&s2, args), 0);
    s2.ctx = th_connect(&s2);
    expect_config(s2.ctx, "disable-thp", "no");
    v = thp_enabled(s2.pid);
    if (v >= 0)
        assert_int_equal(v, 1);
    th_expect_error(s2.ctx,
                    "ERR CONFIG SET failed (possibly related to argument "
                    "'disable-thp') - can't set immutable config",
                    "CONFIG SET disable-thp yes");
    assert_int_equal(th_server_stop(&s2), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_yes),
        cmocka_unit_test(test_config_set_refused),
        cmocka_unit_test(test_process_state_yes),
        cmocka_unit_test(test_started_with_no),
    };

    return cmocka_run_group_tests(tests, th_group_setup, th_group_teardown);
}
