/*
 * test_commands.c - unit tests of server/commands.c: the command table
 * expanded from commands.def is sane (names lower case and unique,
 * handlers set, arities non-zero, known flags only), every command and
 * subcommand is found case-insensitively, unknown names are not, and
 * srv_command_reset_stats zeroes every statistic.
 */
#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "server.h"

/* Every SRV_CMD_* bit. */
#define ALL_FLAGS ((1u << 17) - 1)

/* Copy s into buf with case changed: 0 lower, 1 upper, 2 alternating. */
static void recase(char *buf, size_t size, const char *s, int mode)
{
    size_t i;

    for (i = 0; s[i] && i + 1 < size; i++) {
        int up = mode == 1 || (mode == 2 && i % 2 == 0);

        buf[i] = (char)(up ? toupper((unsigned char)s[i])
                           : tolower((unsigned char)s[i]));
    }
    buf[i] = '\0';
}

/* True when s has no upper-case letter. */
static int is_lower(const char *s)
{
    for (; *s; s++) {
        if (isupper((unsigned char)*s))
            return 0;
    }
    return 1;
}

static void test_commands_table_entries_sane(void **state)
{
    size_t n, i;
    srv_command_t *t = srv_command_table(&n);

    (void)state;
    assert_non_null(t);
    assert_true(n > 100);
    for (i = 0; i < n; i++) {
        assert_non_null(t[i].name);
        assert_true(strlen(t[i].name) > 0);
        assert_true(is_lower(t[i].name));
        assert_null(strchr(t[i].name, '|'));
        assert_non_null(t[i].proc);
        assert_int_not_equal(t[i].arity, 0);
        assert_int_equal(t[i].flags & ~ALL_FLAGS, 0);
        assert_non_null(t[i].group);
        assert_non_null(t[i].since);
        assert_non_null(t[i].summary);
        /* Key positions: none, or a first key with a step. */
        if (t[i].first_key > 0)
            assert_true(t[i].key_step > 0);
    }
}

/* Each command is found under its own name in any case: names are thus
 * also unique (a duplicate would shadow the other entry). */
static void test_commands_lookup_every_command_any_case(void **state)
{
    size_t n, i;
    srv_command_t *t = srv_command_table(&n);
    char buf[80];

    (void)state;
    for (i = 0; i < n; i++) {
        size_t len = strlen(t[i].name);

        assert_ptr_equal(srv_command_lookup(t[i].name, len), &t[i]);
        recase(buf, sizeof(buf), t[i].name, 1);
        assert_ptr_equal(srv_command_lookup(buf, len), &t[i]);
        recase(buf, sizeof(buf), t[i].name, 2);
        assert_ptr_equal(srv_command_lookup(buf, len), &t[i]);
    }
}

static void test_commands_subcommands_sane_and_found(void **state)
{
    size_t n, i, nsubs = 0;
    srv_command_t *t = srv_command_table(&n);
    char buf[80];

    (void)state;
    for (i = 0; i < n; i++) {
        size_t plen = strlen(t[i].name);

        if (!t[i].subcommands)
            continue;
        for (const srv_command_t *s = t[i].subcommands; s->name; s++) {
            const char *sub = s->name + plen + 1;
            size_t slen = strlen(sub);

            nsubs++;
            /* "parent|sub", lower case. */
            assert_int_equal(strncmp(s->name, t[i].name, plen), 0);
            assert_int_equal(s->name[plen], '|');
            assert_true(slen > 0);
            assert_true(is_lower(s->name));
            assert_non_null(s->proc);
            assert_int_not_equal(s->arity, 0);
            assert_int_equal(s->flags & ~ALL_FLAGS, 0);
            assert_null(s->subcommands);
            /* Subcommands carry their container's group. */
            assert_ptr_equal(s->group, t[i].group);
            assert_ptr_equal(srv_command_lookup_sub(&t[i], sub, slen), s);
            recase(buf, sizeof(buf), sub, 1);
            assert_ptr_equal(srv_command_lookup_sub(&t[i], buf, slen), s);
            recase(buf, sizeof(buf), sub, 2);
            assert_ptr_equal(srv_command_lookup_sub(&t[i], buf, slen), s);
            /* The full name is not a top-level command. */
            assert_null(srv_command_lookup(s->name, strlen(s->name)));
        }
    }
    assert_true(nsubs > 20);
}

/* A few entries checked against Redis 7.0's COMMAND INFO. */
static void test_commands_known_entries(void **state)
{
    srv_command_t *get = srv_command_lookup("GET", 3);
    srv_command_t *set = srv_command_lookup("set", 3);
    srv_command_t *client = srv_command_lookup("Client", 6);
    srv_command_t *config = srv_command_lookup("config", 6);
    srv_command_t *sub;

    (void)state;
    assert_non_null(get);
    assert_string_equal(get->name, "get");
    assert_int_equal(get->arity, 2);
    assert_true(get->flags & SRV_CMD_READONLY);
    assert_true(get->flags & SRV_CMD_FAST);
    assert_false(get->flags & SRV_CMD_WRITE);
    assert_int_equal(get->first_key, 1);
    assert_int_equal(get->last_key, 1);
    assert_int_equal(get->key_step, 1);
    assert_string_equal(get->group, "string");
    assert_null(get->subcommands);

    assert_non_null(set);
    assert_int_equal(set->arity, -3);
    assert_true(set->flags & SRV_CMD_WRITE);
    assert_true(set->flags & SRV_CMD_DENYOOM);

    assert_non_null(client);
    assert_int_equal(client->arity, -2);
    assert_non_null(client->subcommands);
    sub = srv_command_lookup_sub(client, "LIST", 4);
    assert_non_null(sub);
    assert_string_equal(sub->name, "client|list");
    assert_int_equal(sub->arity, -2);
    sub = srv_command_lookup_sub(client, "id", 2);
    assert_non_null(sub);
    assert_int_equal(sub->arity, 2);

    assert_non_null(config);
    sub = srv_command_lookup_sub(config, "get", 3);
    assert_non_null(sub);
    assert_string_equal(sub->name, "config|get");
}

static void test_commands_unknown_names_null(void **state)
{
    char longname[200];
    srv_command_t *get = srv_command_lookup("get", 3);
    srv_command_t *client = srv_command_lookup("client", 6);

    (void)state;
    assert_null(srv_command_lookup("nosuchcommand", 13));
    assert_null(srv_command_lookup("", 0));
    assert_null(srv_command_lookup("ge", 2));   /* a prefix */
    assert_null(srv_command_lookup("gett", 4)); /* longer */
    assert_null(srv_command_lookup("get\0", 4)); /* NUL inside */
    assert_null(srv_command_lookup("get x", 5));
    /* Only len bytes count: "getrange" cut to 3 is GET. */
    assert_ptr_equal(srv_command_lookup("getrange", 3), get);
    memset(longname, 'a', sizeof(longname));
    assert_null(srv_command_lookup(longname, sizeof(longname)));

    assert_null(srv_command_lookup_sub(client, "bogus", 5));
    assert_null(srv_command_lookup_sub(client, "", 0));
    assert_null(srv_command_lookup_sub(client, "lis", 3));
    assert_null(srv_command_lookup_sub(client, "client|list", 11));
    assert_null(srv_command_lookup_sub(client, longname,
                                       sizeof(longname)));
    assert_null(srv_command_lookup_sub(get, "list", 4)); /* no subs */
    assert_null(srv_command_lookup_sub(NULL, "list", 4));
}

/* Near misses of every name never match: at each position, a byte that
 * differs from the name's only in bit 5 (0x20: case for a letter, but
 * digits, '_', '.', '|' and '-' have no other case), or that has its top
 * bit set. */
static void test_commands_lookup_near_misses(void **state)
{
    size_t n, i, j;
    srv_command_t *t = srv_command_table(&n);
    char buf[80];

    (void)state;
    for (i = 0; i < n; i++) {
        size_t len = strlen(t[i].name);

        for (j = 0; j < len; j++) {
            unsigned char b = (unsigned char)t[i].name[j];

            memcpy(buf, t[i].name, len);
            buf[j] = (char)(b | 0x80);
            assert_null(srv_command_lookup(buf, len));
            if (b >= 'a' && b <= 'z')
                continue;
            buf[j] = (char)(b ^ 0x20);
            assert_null(srv_command_lookup(buf, len));
        }
    }
    /* 16 bytes (the longest names): the two words overlap nothing. */
    assert_ptr_not_equal(srv_command_lookup("ZREVRANGEBYSCORE", 16),
                         srv_command_lookup("ZREMRANGEBYSCORE", 16));
    assert_null(srv_command_lookup("ZREVRANGEBYSCOREX", 17));
    assert_null(srv_command_lookup("zrevrangebyscor", 15));
}

static void test_commands_reset_stats_zeroes_all(void **state)
{
    size_t n, i;
    srv_command_t *t = srv_command_table(&n);
    srv_command_t *client = srv_command_lookup("client", 6);
    srv_command_t *sub = srv_command_lookup_sub(client, "list", 4);

    (void)state;
    for (i = 0; i < n; i++) {
        t[i].calls = 1 + i;
        t[i].usec = 10;
        t[i].rejected_calls = 2;
        t[i].failed_calls = 3;
    }
    sub->calls = 5;
    sub->usec = 6;
    sub->rejected_calls = 7;
    sub->failed_calls = 8;
    srv_command_reset_stats();
    for (i = 0; i < n; i++) {
        assert_int_equal(t[i].calls, 0);
        assert_int_equal(t[i].usec, 0);
        assert_int_equal(t[i].rejected_calls, 0);
        assert_int_equal(t[i].failed_calls, 0);
    }
    assert_int_equal(sub->calls, 0);
    assert_int_equal(sub->usec, 0);
    assert_int_equal(sub->rejected_calls, 0);
    assert_int_equal(sub->failed_calls, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_commands_table_entries_sane),
        cmocka_unit_test(test_commands_lookup_every_command_any_case),
        cmocka_unit_test(test_commands_subcommands_sane_and_found),
        cmocka_unit_test(test_commands_known_entries),
        cmocka_unit_test(test_commands_unknown_names_null),
        cmocka_unit_test(test_commands_lookup_near_misses),
        cmocka_unit_test(test_commands_reset_stats_zeroes_all),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
