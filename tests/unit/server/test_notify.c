/*
 * test_notify.c - unit tests of server/notify.c: srv_notify publishes
 * "__keyspace@<db>__:<key>" -> event (K) and "__keyevent@<db>__:<event>"
 * -> key (E), in that order, only for the classes enabled in
 * notify-keyspace-events (A excludes m and n), with binary and long keys.
 *
 * notify.c has no pure helpers (flag parsing lives in config.c), so the
 * messages are observed as a Pub/Sub subscriber sees them: a zeroed
 * client PSUBSCRIBEd to "*" through t_pubsub.c collects them in its
 * RESP2 output buffer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "commands.h"
#include "server.h"

static srv_client_t sub;

/* Subscribe the test client to every channel and drop the confirmation. */
static int setup(void **state)
{
    resp_slice_t argv[2] = {{"psubscribe", 10}, {"*", 1}};

    (void)state;
    memset(&sub, 0, sizeof(sub));
    resp_buf_init(&sub.out, 2);
    sub.resp = 2;
    sub.pending_write = 1;
    sub.argc = 2;
    sub.argv = argv;
    cmd_psubscribe(&sub);
    sub.argv = NULL;
    if (!(sub.flags & SRV_CLIENT_PUBSUB))
        return -1;
    resp_buf_reset(&sub.out);
    srv.cfg.notify_keyspace_events = 0;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    srv_pubsub_client_free(&sub);
    resp_buf_fini(&sub.out);
    srv.cfg.notify_keyspace_events = 0;
    return 0;
}

/* Append one pmessage for pattern "*" as RESP2 to want. */
static size_t add_msg(char *want, size_t at, const char *ch, size_t chlen,
                      const char *msg, size_t mlen)
{
    at += (size_t)sprintf(want + at, "*4\r\n$8\r\npmessage\r\n$1\r\n*\r\n"
                                     "$%zu\r\n", chlen);
    memcpy(want + at, ch, chlen);
    at += chlen;
    at += (size_t)sprintf(want + at, "\r\n$%zu\r\n", mlen);
    memcpy(want + at, msg, mlen);
    at += mlen;
    memcpy(want + at, "\r\n", 2);
    return at + 2;
}

/* Assert the subscriber got exactly want[0..len), then clear. */
static void expect(const char *want, size_t len)
{
    assert_int_equal(sub.out.len, len);
    assert_memory_equal(sub.out.data, want, len);
    resp_buf_reset(&sub.out);
}

static void test_notify_disabled_sends_nothing(void **state)
{
    srv_db_t db = {.id = 0};

    (void)state;
    srv_notify(SRV_NOTIFY_STRING, "set", &db, "k", 1);
    srv_notify(SRV_NOTIFY_GENERIC, "del", &db, "k", 1);
    assert_int_equal(sub.out.len, 0);
    /* A class without K or E sends nothing either. */
    srv.cfg.notify_keyspace_events = SRV_NOTIFY_ALL;
    srv_notify(SRV_NOTIFY_STRING, "set", &db, "k", 1);
    assert_int_equal(sub.out.len, 0);
}

static void test_notify_keyspace_only(void **state)
{
    srv_db_t db = {.id = 0};
    char want[512];
    size_t n;

    (void)state;
    srv.cfg.notify_keyspace_events = SRV_NOTIFY_KEYSPACE |
                                     SRV_NOTIFY_GENERIC;
    srv_notify(SRV_NOTIFY_GENERIC, "del", &db, "foo", 3);
    n = add_msg(want, 0, "__keyspace@0__:foo", 18, "del", 3);
    expect(want, n);
}

static void test_notify_keyevent_only(void **state)
{
    srv_db_t db = {.id = 0};
    char want[512];
    size_t n;

    (void)state;
    srv.cfg.notify_keyspace_events = SRV_NOTIFY_KEYEVENT |
                                     SRV_NOTIFY_STRING;
    srv_notify(SRV_NOTIFY_STRING, "set", &db, "foo", 3);
    n = add_msg(want, 0, "__keyevent@0__:set", 18, "foo", 3);
    expect(want, n);
}

/* Both kinds: keyspace first, then keyevent; the db id is in both. */
static void test_notify_both_in_order_with_db_id(void **state)
{
    srv_db_t db = {.id = 12};
    char want[512];
    size_t n;

    (void)state;
    srv.cfg.notify_keyspace_events = SRV_NOTIFY_KEYSPACE |
                                     SRV_NOTIFY_KEYEVENT | SRV_NOTIFY_ALL;
    srv_notify(SRV_NOTIFY_LIST, "lpush", &db, "mylist", 6);
    n = add_msg(want, 0, "__keyspace@12__:mylist", 22, "lpush", 5);
    n = add_msg(want, n, "__keyevent@12__:lpush", 21, "mylist", 6);
    expect(want, n);
}

/* Only the enabled classes are sent; A holds neither m nor n. */
static void test_notify_class_filtering(void **state)
{
    static const int classes[] = {
        SRV_NOTIFY_GENERIC, SRV_NOTIFY_STRING, SRV_NOTIFY_LIST,
        SRV_NOTIFY_SET, SRV_NOTIFY_HASH, SRV_NOTIFY_ZSET,
        SRV_NOTIFY_EXPIRED, SRV_NOTIFY_EVICTED, SRV_NOTIFY_STREAM,
        SRV_NOTIFY_MODULE,
    };
    srv_db_t db = {.id = 0};
    char want[512];
    size_t n;

    (void)state;
    srv.cfg.notify_keyspace_events = SRV_NOTIFY_KEYEVENT | SRV_NOTIFY_HASH;
    srv_notify(SRV_NOTIFY_STRING, "set", &db, "k", 1);
    srv_notify(SRV_NOTIFY_LIST, "rpush", &db, "k", 1);
    assert_int_equal(sub.out.len, 0);
    srv_notify(SRV_NOTIFY_HASH, "hset", &db, "k", 1);
    n = add_msg(want, 0, "__keyevent@0__:hset", 19, "k", 1);
    expect(want, n);

    srv.cfg.notify_keyspace_events = SRV_NOTIFY_KEYEVENT | SRV_NOTIFY_ALL;
    for (size_t i = 0; i < sizeof(classes) / sizeof(classes[0]); i++) {
        srv_notify(classes[i], "ev", &db, "k", 1);
        n = add_msg(want, 0, "__keyevent@0__:ev", 17, "k", 1);
        expect(want, n);
    }
    srv_notify(SRV_NOTIFY_KEY_MISS, "keymiss", &db, "k", 1);
    srv_notify(SRV_NOTIFY_NEW, "new", &db, "k", 1);
    assert_int_equal(sub.out.len, 0);

    srv.cfg.notify_keyspace_events = SRV_NOTIFY_KEYEVENT |
                                     SRV_NOTIFY_KEY_MISS | SRV_NOTIFY_NEW;
    srv_notify(SRV_NOTIFY_KEY_MISS, "keymiss", &db, "k", 1);
    n = add_msg(want, 0, "__keyevent@0__:keymiss", 22, "k", 1);
    expect(want, n);
    srv_notify(SRV_NOTIFY_NEW, "new", &db, "k", 1);
    n = add_msg(want, 0, "__keyevent@0__:new", 18, "k", 1);
    expect(want, n);
}

/* Keys are binary safe, and a channel past the stack buffer works. */
static void test_notify_binary_and_long_keys(void **state)
{
    srv_db_t db = {.id = 3};
    char key[1000], ch[1100], want[4096];
    size_t n, chlen;

    (void)state;
    srv.cfg.notify_keyspace_events = SRV_NOTIFY_KEYSPACE |
                                     SRV_NOTIFY_KEYEVENT | SRV_NOTIFY_GENERIC;
    srv_notify(SRV_NOTIFY_GENERIC, "expire", &db, "a\0b", 3);
    n = add_msg(want, 0, "__keyspace@3__:a\0b", 18, "expire", 6);
    n = add_msg(want, n, "__keyevent@3__:expire", 21, "a\0b", 3);
    expect(want, n);

    memset(key, 'k', sizeof(key));
    srv_notify(SRV_NOTIFY_GENERIC, "del", &db, key, sizeof(key));
    memcpy(ch, "__keyspace@3__:", 15);
    memcpy(ch + 15, key, sizeof(key));
    chlen = 15 + sizeof(key);
    n = add_msg(want, 0, ch, chlen, "del", 3);
    n = add_msg(want, n, "__keyevent@3__:del", 18, key, sizeof(key));
    expect(want, n);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_notify_disabled_sends_nothing),
        T(test_notify_keyspace_only),
        T(test_notify_keyevent_only),
        T(test_notify_both_in_order_with_db_id),
        T(test_notify_class_filtering),
        T(test_notify_binary_and_long_keys),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
