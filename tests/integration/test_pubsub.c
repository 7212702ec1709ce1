/*
 * test_pubsub.c - Pub/Sub against a real gencached with several
 * connections: SUBSCRIBE/UNSUBSCRIBE/PSUBSCRIBE/PUNSUBSCRIBE/PUBLISH, the
 * shard commands SSUBSCRIBE/SUNSUBSCRIBE/SPUBLISH, every PUBSUB
 * subcommand, Redis 7.0's reply shapes in RESP2 (arrays, read with
 * redisGetReply) and RESP3 (pushes, over raw sockets), the RESP2
 * subscriber-mode restrictions and error text, CLIENT REPLY OFF, CLIENT
 * LIST and INFO counts, clean-up on disconnect and the pubsub class of
 * client-output-buffer-limit.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

#define SUBMODE_ERR                                                        \
    "ERR Can't execute '%s': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / "    \
    "PING / QUIT / RESET are allowed in this context"

/* A connection to the group's server with a 3 s read timeout, so a
 * missing message fails the test instead of hanging it. */
static redisContext *sub_connect(void **state)
{
    redisContext *c = th_connect(*state);
    struct timeval tv = {3, 0};

    assert_int_equal(redisSetTimeout(c, tv), REDIS_OK);
    return c;
}

/* Send a command on c without reading its replies. */
static void send_cmd(redisContext *c, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    assert_int_equal(redisvAppendCommand(c, fmt, ap), REDIS_OK);
    va_end(ap);
}

/* Read the next reply on c (asserts one arrives). Caller frees. */
static redisReply *next_reply(redisContext *c)
{
    void *r = NULL;

    assert_int_equal(redisGetReply(c, &r), REDIS_OK);
    assert_non_null(r);
    return r;
}

/* Assert that element i of array r is the bulk string s (NULL: nil). */
static void assert_elem_str(const redisReply *r, size_t i, const char *s)
{
    assert_true(i < r->elements);
    if (!s) {
        assert_int_equal(r->element[i]->type, REDIS_REPLY_NIL);
        return;
    }
    assert_int_equal(r->element[i]->type, REDIS_REPLY_STRING);
    assert_string_equal(r->element[i]->str, s);
}

/* Read [word, name, count] from c (name NULL: nil). */
static void expect_confirm(redisContext *c, const char *word,
                           const char *name, long long count)
{
    redisReply *r = next_reply(c);

    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->elements, 3);
    assert_elem_str(r, 0, word);
    assert_elem_str(r, 1, name);
    assert_int_equal(r->element[2]->type, REDIS_REPLY_INTEGER);
    assert_int_equal(r->element[2]->integer, count);
    freeReplyObject(r);
}

/* Read a message from c: [word, a, b] or [word, a, b, d] (d non-NULL). */
static void expect_message(redisContext *c, const char *word, const char *a,
                           const char *b, const char *d)
{
    redisReply *r = next_reply(c);

    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->elements, d ? 4 : 3);
    assert_elem_str(r, 0, word);
    assert_elem_str(r, 1, a);
    assert_elem_str(r, 2, b);
    if (d)
        assert_elem_str(r, 3, d);
    freeReplyObject(r);
}

/* The value of field (e.g. "sub=") in the CLIENT LIST line of the client
 * named name, as an integer (-1 when not found). */
static long long client_list_field(redisContext *c, const char *name,
                                   const char *field)
{
    redisReply *r = th_cmd(c, "CLIENT LIST");
    char tag[64];
    const char *line, *p, *end;
    long long v = -1;

    snprintf(tag, sizeof(tag), " name=%s ", name);
    line = strstr(r->str, tag);
    if (line) {
        end = strchr(line, '\n');
        p = strstr(line, field);
        if (p && (!end || p < end))
            v = atoll(p + strlen(field));
    }
    freeReplyObject(r);
    return v;
}

/* Poll PUBSUB NUMSUB ch on c until it is want (up to 3 s). */
static void wait_numsub(redisContext *c, const char *ch, long long want)
{
    long long got = -1;

    for (int i = 0; i < 300; i++) {
        redisReply *r = th_cmd(c, "PUBSUB NUMSUB %s", ch);

        assert_int_equal(r->elements, 2);
        got = r->element[1]->integer;
        freeReplyObject(r);
        if (got == want)
            break;
        usleep(10000);
    }
    assert_int_equal(got, want);
}

/* ---------------------------------------------------------------------
 * RESP2
 * ------------------------------------------------------------------ */

/* SUBSCRIBE confirmations, PUBLISH counts and message shapes. */
static void test_subscribe_publish(void **state)
{
    redisContext *pub = ((th_server_t *)*state)->ctx;
    redisContext *s = sub_connect(state);
    redisReply *r;

    send_cmd(s, "SUBSCRIBE chan1 chan2 chan1");
    expect_confirm(s, "subscribe", "chan1", 1);
    expect_confirm(s, "subscribe", "chan2", 2);
    expect_confirm(s, "subscribe", "chan1", 2);
    th_expect_int(pub, 1, "PUBLISH chan1 hello");
    th_expect_int(pub, 1, "PUBLISH chan2 %b", "wo\r\nrld", (size_t)7);
    th_expect_int(pub, 0, "PUBLISH chan3 nobody");
    expect_message(s, "message", "chan1", "hello", NULL);
    r = next_reply(s);
    assert_int_equal(r->elements, 3);
    assert_int_equal(r->element[2]->len, 7);
    assert_memory_equal(r->element[2]->str, "wo\r\nrld", 7);
    freeReplyObject(r);
    send_cmd(s, "UNSUBSCRIBE chan1 nosuch");
    expect_confirm(s, "unsubscribe", "chan1", 1);
    expect_confirm(s, "unsubscribe", "nosuch", 1);
    th_expect_int(pub, 0, "PUBLISH chan1 hello");
    th_expect_int(pub, 1, "PUBLISH chan2 again");
    expect_message(s, "message", "chan2", "again", NULL);
    send_cmd(s, "UNSUBSCRIBE");
    expect_confirm(s, "unsubscribe", "chan2", 0);
    th_expect_int(pub, 0, "PUBLISH chan2 gone");
    /* Back to a normal connection. */
    th_expect_status(s, "PONG", "PING");
    redisFree(s);
}

/* Two subscribers of one channel both receive, PUBLISH counts both. */
static void test_two_subscribers(void **state)
{
    redisContext *pub = ((th_server_t *)*state)->ctx;
    redisContext *a = sub_connect(state), *b = sub_connect(state);

    send_cmd(a, "SUBSCRIBE news");
    expect_confirm(a, "subscribe", "news", 1);
    send_cmd(b, "SUBSCRIBE news");
    expect_confirm(b, "subscribe", "news", 1);
    th_expect_int(pub, 2, "PUBLISH news x");
    expect_message(a, "message", "news", "x", NULL);
    expect_message(b, "message", "news", "x", NULL);
    redisFree(a);
    redisFree(b);
}

/* The (P|S)UNSUBSCRIBE replies when nothing is subscribed. */
static void test_unsubscribe_nothing(void **state)
{
    redisContext *s = sub_connect(state);

    send_cmd(s, "UNSUBSCRIBE");
    expect_confirm(s, "unsubscribe", NULL, 0);
    send_cmd(s, "PUNSUBSCRIBE");
    expect_confirm(s, "punsubscribe", NULL, 0);
    send_cmd(s, "SUNSUBSCRIBE");
    expect_confirm(s, "sunsubscribe", NULL, 0);
    send_cmd(s, "UNSUBSCRIBE foo bar");
    expect_confirm(s, "unsubscribe", "foo", 0);
    expect_confirm(s, "unsubscribe", "bar", 0);
    send_cmd(s, "PUNSUBSCRIBE f*");
    expect_confirm(s, "punsubscribe", "f*", 0);
    /* Still a normal connection. */
    th_expect_nil(s, "GET nokey");
    redisFree(s);
}

/* PSUBSCRIBE: glob matching, pmessage, counts mixing channels and
 * patterns, a client receiving one publish twice. */
static void test_patterns(void **state)
{
    redisContext *pub = ((th_server_t *)*state)->ctx;
    redisContext *s = sub_connect(state);

    send_cmd(s, "PSUBSCRIBE foo.* b?r [xy]z\\*");
    expect_confirm(s, "psubscribe", "foo.*", 1);
    expect_confirm(s, "psubscribe", "b?r", 2);
    expect_confirm(s, "psubscribe", "[xy]z\\*", 3);
    th_expect_int(pub, 1, "PUBLISH foo.1 a");
    th_expect_int(pub, 0, "PUBLISH foo1 b");
    th_expect_int(pub, 1, "PUBLISH bar c");
    th_expect_int(pub, 0, "PUBLISH baar d");
    th_expect_int(pub, 1, "PUBLISH yz* e");
    th_expect_int(pub, 0, "PUBLISH yzz f");
    th_expect_int(pub, 0, "PUBLISH FOO.1 g"); /* case-sensitive */
    expect_message(s, "pmessage", "foo.*", "foo.1", "a");
    expect_message(s, "pmessage", "b?r", "bar", "c");
    expect_message(s, "pmessage", "[xy]z\\*", "yz*", "e");
    th_expect_int(pub, 3, "PUBSUB NUMPAT");
    /* A channel subscription adds to the same count. */
    send_cmd(s, "SUBSCRIBE foo.bar");
    expect_confirm(s, "subscribe", "foo.bar", 4);
    th_expect_int(pub, 2, "PUBLISH foo.bar both");
    expect_message(s, "message", "foo.bar", "both", NULL);
    expect_message(s, "pmessage", "foo.*", "foo.bar", "both");
    send_cmd(s, "PUNSUBSCRIBE foo.*");
    expect_confirm(s, "punsubscribe", "foo.*", 3);
    th_expect_int(pub, 1, "PUBLISH foo.bar one");
    expect_message(s, "message", "foo.bar", "one", NULL);
    /* Without arguments: the two patterns left, counts going down. */
    send_cmd(s, "PUNSUBSCRIBE");
    for (int i = 0; i < 2; i++) {
        redisReply *r = next_reply(s);

        assert_int_equal(r->elements, 3);
        assert_elem_str(r, 0, "punsubscribe");
        assert_int_equal(r->element[2]->integer, 2 - i);
        freeReplyObject(r);
    }
    redisFree(s);
    th_expect_int(pub, 0, "PUBSUB NUMPAT");
}

/* NUMPAT counts distinct patterns, not subscriptions. */
static void test_numpat_unique(void **state)
{
    redisContext *pub = ((th_server_t *)*state)->ctx;
    redisContext *a = sub_connect(state), *b = sub_connect(state);

    send_cmd(a, "PSUBSCRIBE foo* bar*");
    expect_confirm(a, "psubscribe", "foo*", 1);
    expect_confirm(a, "psubscribe", "bar*", 2);
    send_cmd(b, "PSUBSCRIBE foo* baz*");
    expect_confirm(b, "psubscribe", "foo*", 1);
    expect_confirm(b, "psubscribe", "baz*", 2);
    th_expect_int(pub, 3, "PUBSUB NUMPAT");
    th_expect_int(pub, 2, "PUBLISH foox m");
    expect_message(a, "pmessage", "foo*", "foox", "m");
    expect_message(b, "pmessage", "foo*", "foox", "m");
    redisFree(a);
    redisFree(b);
}

/* Shard channels: their own namespace, smessage, their own count. */
static void test_shard_channels(void **state)
{
    redisContext *pub = ((th_server_t *)*state)->ctx;
    redisContext *a = sub_connect(state), *b = sub_connect(state);
    redisReply *r;

    send_cmd(a, "SSUBSCRIBE chan1 chan2 chan1");
    expect_confirm(a, "ssubscribe", "chan1", 1);
    expect_confirm(a, "ssubscribe", "chan2", 2);
    expect_confirm(a, "ssubscribe", "chan1", 2);
    send_cmd(a, "SUBSCRIBE plain");
    expect_confirm(a, "subscribe", "plain", 1); /* shard not counted */
    send_cmd(b, "SUBSCRIBE chan1");
    expect_confirm(b, "subscribe", "chan1", 1);
    th_expect_int(pub, 1, "SPUBLISH chan1 s");
    th_expect_int(pub, 1, "PUBLISH chan1 p");
    th_expect_int(pub, 0, "SPUBLISH plain s");
    expect_message(a, "smessage", "chan1", "s", NULL);
    expect_message(b, "message", "chan1", "p", NULL);
    r = th_cmd(pub, "PUBSUB SHARDNUMSUB chan1 chan2 plain");
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->elements, 6);
    assert_elem_str(r, 0, "chan1");
    assert_int_equal(r->element[1]->integer, 1);
    assert_int_equal(r->element[3]->integer, 1);
    assert_int_equal(r->element[5]->integer, 0);
    freeReplyObject(r);
    r = th_cmd(pub, "PUBSUB SHARDCHANNELS chan2");
    assert_int_equal(r->elements, 1);
    assert_elem_str(r, 0, "chan2");
    freeReplyObject(r);
    r = th_cmd(pub, "PUBSUB SHARDCHANNELS");
    assert_int_equal(r->elements, 2);
    freeReplyObject(r);
    send_cmd(a, "SUNSUBSCRIBE chan1 none");
    expect_confirm(a, "sunsubscribe", "chan1", 1);
    expect_confirm(a, "sunsubscribe", "none", 1);
    th_expect_int(pub, 0, "SPUBLISH chan1 s");
    send_cmd(a, "SUNSUBSCRIBE");
    expect_confirm(a, "sunsubscribe", "chan2", 0);
    /* Still subscribed to "plain": still in subscriber mode. */
    th_expect_error(a, "ERR Can't execute 'get'", "GET k");
    send_cmd(a, "UNSUBSCRIBE");
    expect_confirm(a, "unsubscribe", "plain", 0);
    th_expect_nil(a, "GET k");
    redisFree(a);
    redisFree(b);
}

/* RESP2 subscriber mode: only (P|S)(UN)SUBSCRIBE, PING, QUIT. */
static void test_subscriber_mode(void **state)
{
    redisContext *s = sub_connect(state);
    char msg[256];
    redisReply *r;

    send_cmd(s, "SSUBSCRIBE sh");
    expect_confirm(s, "ssubscribe", "sh", 1);
    snprintf(msg, sizeof(msg), SUBMODE_ERR, "get");
    r = th_cmd(s, "GET k");
    assert_int_equal(r->type, REDIS_REPLY_ERROR);
    assert_string_equal(r->str, msg);
    freeReplyObject(r);
    snprintf(msg, sizeof(msg), SUBMODE_ERR, "client|list");
    r = th_cmd(s, "CLIENT LIST");
    assert_string_equal(r->str, msg);
    freeReplyObject(r);
    snprintf(msg, sizeof(msg), SUBMODE_ERR, "publish");
    r = th_cmd(s, "PUBLISH a b");
    assert_string_equal(r->str, msg);
    freeReplyObject(r);
    /* PING answers ["pong", message]. */
    r = th_cmd(s, "PING");
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->elements, 2);
    assert_elem_str(r, 0, "pong");
    assert_elem_str(r, 1, "");
    freeReplyObject(r);
    r = th_cmd(s, "PING hi");
    assert_elem_str(r, 0, "pong");
    assert_elem_str(r, 1, "hi");
    freeReplyObject(r);
    /* The other subscription commands are allowed. */
    send_cmd(s, "PSUBSCRIBE p*");
    expect_confirm(s, "psubscribe", "p*", 1);
    send_cmd(s, "PUNSUBSCRIBE p*");
    expect_confirm(s, "punsubscribe", "p*", 0);
    /* Arity errors come before the subscriber check, as in Redis. */
    th_expect_error(s, "ERR wrong number of arguments for 'get' command",
                    "GET");
    th_expect_status(s, "OK", "QUIT");
    redisFree(s);
}

/* PUBSUB CHANNELS/NUMSUB/NUMPAT/HELP and their errors. */
static void test_pubsub_command(void **state)
{
    redisContext *pub = ((th_server_t *)*state)->ctx;
    redisContext *s = sub_connect(state);
    redisReply *r;

    r = th_cmd(pub, "PUBSUB CHANNELS");
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->elements, 0);
    freeReplyObject(r);
    send_cmd(s, "SUBSCRIBE news.tech news.art sport");
    expect_confirm(s, "subscribe", "news.tech", 1);
    expect_confirm(s, "subscribe", "news.art", 2);
    expect_confirm(s, "subscribe", "sport", 3);
    send_cmd(s, "PSUBSCRIBE news.*");
    expect_confirm(s, "psubscribe", "news.*", 4);
    r = th_cmd(pub, "PUBSUB CHANNELS");
    assert_int_equal(r->elements, 3);
    freeReplyObject(r);
    r = th_cmd(pub, "PUBSUB CHANNELS news.*");
    assert_int_equal(r->elements, 2);
    for (size_t i = 0; i < r->elements; i++)
        assert_memory_equal(r->element[i]->str, "news.", 5);
    freeReplyObject(r);
    r = th_cmd(pub, "PUBSUB channels sp?rt");
    assert_int_equal(r->elements, 1);
    assert_elem_str(r, 0, "sport");
    freeReplyObject(r);
    /* NUMSUB: integers, patterns not counted; no channels: empty. */
    r = th_cmd(pub, "PUBSUB NUMSUB news.tech nothing");
    assert_int_equal(r->elements, 4);
    assert_elem_str(r, 0, "news.tech");
    assert_int_equal(r->element[1]->type, REDIS_REPLY_INTEGER);
    assert_int_equal(r->element[1]->integer, 1);
    assert_elem_str(r, 2, "nothing");
    assert_int_equal(r->element[3]->integer, 0);
    freeReplyObject(r);
    r = th_cmd(pub, "PUBSUB NUMSUB");
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->elements, 0);
    freeReplyObject(r);
    th_expect_int(pub, 1, "PUBSUB NUMPAT");
    /* Errors. */
    th_expect_error(pub, "ERR unknown subcommand 'foo'. Try PUBSUB HELP.",
                    "PUBSUB foo");
    th_expect_error(pub, "ERR unknown subcommand or wrong number of "
                         "arguments for 'Channels'. Try PUBSUB HELP.",
                    "PUBSUB Channels a b");
    th_expect_error(pub, "ERR unknown subcommand or wrong number of "
                         "arguments for 'shardchannels'. Try PUBSUB HELP.",
                    "PUBSUB shardchannels a b");
    th_expect_error(pub, "ERR wrong number of arguments for "
                         "'pubsub|numpat' command",
                    "PUBSUB NUMPAT x");
    th_expect_error(pub, "ERR wrong number of arguments for 'pubsub' "
                         "command",
                    "PUBSUB");
    th_expect_error(pub, "ERR wrong number of arguments for 'publish' "
                         "command",
                    "PUBLISH a");
    th_expect_error(pub, "ERR wrong number of arguments for 'subscribe' "
                         "command",
                    "SUBSCRIBE");
    th_expect_error(pub, "ERR wrong number of arguments for 'ssubscribe' "
                         "command",
                    "SSUBSCRIBE");
    th_expect_error(pub, "ERR wrong number of arguments for 'psubscribe' "
                         "command",
                    "PSUBSCRIBE");
    th_expect_error(pub, "ERR wrong number of arguments for 'spublish' "
                         "command",
                    "SPUBLISH a b c");
    r = th_cmd(pub, "PUBSUB HELP");
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->elements, 14);
    assert_string_equal(r->element[0]->str,
                        "PUBSUB <subcommand> [<arg> [value] [opt] ...]. "
                        "Subcommands are:");
    assert_string_equal(r->element[13]->str, "    Prints this help.");
    freeReplyObject(r);
    redisFree(s);
}

/* A subscriber's disconnect drops its subscriptions everywhere. */
static void test_disconnect_cleanup(void **state)
{
    redisContext *pub = ((th_server_t *)*state)->ctx;
    redisContext *a = sub_connect(state), *b = sub_connect(state);

    send_cmd(a, "SUBSCRIBE c1 c2");
    expect_confirm(a, "subscribe", "c1", 1);
    expect_confirm(a, "subscribe", "c2", 2);
    send_cmd(a, "PSUBSCRIBE p*");
    expect_confirm(a, "psubscribe", "p*", 3);
    send_cmd(a, "SSUBSCRIBE s1");
    expect_confirm(a, "ssubscribe", "s1", 1);
    send_cmd(b, "SUBSCRIBE c1");
    expect_confirm(b, "subscribe", "c1", 1);
    assert_int_equal(th_info_int(pub, "everything", "pubsub_channels"), 2);
    assert_int_equal(th_info_int(pub, "everything", "pubsub_patterns"), 1);
    assert_int_equal(th_info_int(pub, "everything", "pubsubshard_channels"), 1);
    redisFree(a);
    wait_numsub(pub, "c2", 0);
    wait_numsub(pub, "c1", 1);
    th_expect_int(pub, 0, "PUBSUB NUMPAT");
    th_expect_int(pub, 0, "SPUBLISH s1 x");
    th_expect_int(pub, 1, "PUBLISH c1 x");
    th_expect_int(pub, 0, "PUBLISH pz x");
    expect_message(b, "message", "c1", "x", NULL);
    assert_int_equal(th_info_int(pub, "everything", "pubsub_channels"), 1);
    assert_int_equal(th_info_int(pub, "everything", "pubsub_patterns"), 0);
    assert_int_equal(th_info_int(pub, "everything", "pubsubshard_channels"), 0);
    /* QUIT cleans up too. */
    th_expect_status(b, "OK", "QUIT");
    redisFree(b);
    wait_numsub(pub, "c1", 0);
    assert_int_equal(th_info_int(pub, "everything", "pubsub_channels"), 0);
}

/* CLIENT LIST shows sub/psub/ssub counts and flag P. */
static void test_client_list_counts(void **state)
{
    redisContext *pub = ((th_server_t *)*state)->ctx;
    redisContext *s = sub_connect(state);
    redisReply *r;

    th_expect_status(s, "OK", "CLIENT SETNAME psclient");
    assert_int_equal(client_list_field(pub, "psclient", " sub="), 0);
    send_cmd(s, "SUBSCRIBE a b c");
    expect_confirm(s, "subscribe", "a", 1);
    expect_confirm(s, "subscribe", "b", 2);
    expect_confirm(s, "subscribe", "c", 3);
    send_cmd(s, "PSUBSCRIBE x*");
    expect_confirm(s, "psubscribe", "x*", 4);
    send_cmd(s, "SSUBSCRIBE s1 s2");
    expect_confirm(s, "ssubscribe", "s1", 1);
    expect_confirm(s, "ssubscribe", "s2", 2);
    assert_int_equal(client_list_field(pub, "psclient", " sub="), 3);
    assert_int_equal(client_list_field(pub, "psclient", " psub="), 1);
    assert_int_equal(client_list_field(pub, "psclient", " ssub="), 2);
    r = th_cmd(pub, "CLIENT LIST TYPE pubsub");
    assert_non_null(strstr(r->str, "name=psclient"));
    assert_non_null(strstr(r->str, "flags=P"));
    freeReplyObject(r);
    r = th_cmd(pub, "CLIENT LIST TYPE normal");
    assert_null(strstr(r->str, "name=psclient"));
    freeReplyObject(r);
    send_cmd(s, "UNSUBSCRIBE");
    for (int i = 0; i < 3; i++)
        freeReplyObject(next_reply(s));
    send_cmd(s, "PUNSUBSCRIBE");
    expect_confirm(s, "punsubscribe", "x*", 0);
    send_cmd(s, "SUNSUBSCRIBE");
    freeReplyObject(next_reply(s));
    freeReplyObject(next_reply(s));
    assert_int_equal(client_list_field(pub, "psclient", " sub="), 0);
    assert_int_equal(client_list_field(pub, "psclient", " ssub="), 0);
    r = th_cmd(pub, "CLIENT LIST TYPE normal");
    assert_non_null(strstr(r->str, "name=psclient"));
    freeReplyObject(r);
    redisFree(s);
}

/* Subscriptions inside MULTI run at EXEC, replies in EXEC's array. */
static void test_subscribe_in_multi(void **state)
{
    redisContext *pub = ((th_server_t *)*state)->ctx;
    redisContext *s = sub_connect(state);
    redisReply *r;

    th_expect_status(s, "OK", "MULTI");
    th_expect_status(s, "QUEUED", "SUBSCRIBE m1");
    r = th_cmd(s, "EXEC");
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->elements, 1);
    assert_int_equal(r->element[0]->elements, 3);
    freeReplyObject(r);
    th_expect_int(pub, 1, "PUBLISH m1 v");
    expect_message(s, "message", "m1", "v", NULL);
    redisFree(s);
}

/* ---------------------------------------------------------------------
 * RESP3 and CLIENT REPLY OFF (raw sockets)
 * ------------------------------------------------------------------ */

/* Send s on fd and expect exactly the bytes want back. */
static void raw_expect(int fd, const char *send, const char *want)
{
    char buf[4096];
    int closed;
    size_t n;

    if (send)
        th_raw_send(fd, send, strlen(send));
    n = th_raw_read(fd, buf, sizeof(buf), strlen(want), 3000, &closed);
    buf[n] = '\0';
    assert_string_equal(buf, want);
}

/* Expect that nothing arrives on fd for a short while. */
static void raw_expect_silence(int fd)
{
    char buf[256];
    int closed;

    assert_int_equal(th_raw_read(fd, buf, sizeof(buf), 1, 200, &closed), 0);
    assert_int_equal(closed, 0);
}

/* Skip the HELLO 3 map reply on fd. */
static void raw_hello3(int fd)
{
    char buf[4096];
    int closed;

    th_raw_send(fd, "HELLO 3\r\n", 9);
    th_raw_read(fd, buf, sizeof(buf), 1, 3000, &closed);
    assert_int_equal(buf[0], '%');
    /* The whole map arrives in one write. */
    usleep(50000);
    th_raw_read(fd, buf, sizeof(buf), sizeof(buf) - 1, 100, &closed);
}

/* RESP3: pushes for confirmations and messages; other commands allowed
 * while subscribed; null name when nothing is left. */
static void test_resp3_push(void **state)
{
    th_server_t *srvr = *state;
    redisContext *pub = srvr->ctx;
    int fd = th_raw_connect(srvr);

    raw_hello3(fd);
    raw_expect(fd, "SUBSCRIBE a\r\n",
               ">3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n");
    raw_expect(fd, "PSUBSCRIBE a*\r\n",
               ">3\r\n$10\r\npsubscribe\r\n$2\r\na*\r\n:2\r\n");
    raw_expect(fd, "SSUBSCRIBE s\r\n",
               ">3\r\n$10\r\nssubscribe\r\n$1\r\ns\r\n:1\r\n");
    raw_expect(fd, "GET nokey\r\n", "_\r\n");
    raw_expect(fd, "PING\r\n", "+PONG\r\n");
    raw_expect(fd, "PUBSUB NUMSUB a\r\n", "*2\r\n$1\r\na\r\n:1\r\n");
    th_expect_int(pub, 2, "PUBLISH a hi");
    raw_expect(fd, NULL,
               ">3\r\n$7\r\nmessage\r\n$1\r\na\r\n$2\r\nhi\r\n"
               ">4\r\n$8\r\npmessage\r\n$2\r\na*\r\n$1\r\na\r\n$2\r\nhi\r\n");
    th_expect_int(pub, 1, "SPUBLISH s sh");
    raw_expect(fd, NULL, ">3\r\n$8\r\nsmessage\r\n$1\r\ns\r\n$2\r\nsh\r\n");
    raw_expect(fd, "UNSUBSCRIBE\r\n",
               ">3\r\n$11\r\nunsubscribe\r\n$1\r\na\r\n:1\r\n");
    raw_expect(fd, "PUNSUBSCRIBE\r\n",
               ">3\r\n$12\r\npunsubscribe\r\n$2\r\na*\r\n:0\r\n");
    raw_expect(fd, "UNSUBSCRIBE\r\n",
               ">3\r\n$11\r\nunsubscribe\r\n_\r\n:0\r\n");
    raw_expect(fd, "SUNSUBSCRIBE s\r\n",
               ">3\r\n$12\r\nsunsubscribe\r\n$1\r\ns\r\n:0\r\n");
    close(fd);
}

/* HELLO 3 on a connection used for normal commands: pushes interleave
 * with ordinary replies in order. */
static void test_resp3_normal_connection(void **state)
{
    th_server_t *srvr = *state;
    redisContext *pub = srvr->ctx;
    int fd = th_raw_connect(srvr);

    raw_hello3(fd);
    raw_expect(fd, "SET k v\r\n", "+OK\r\n");
    raw_expect(fd, "SUBSCRIBE n\r\nGET k\r\n",
               ">3\r\n$9\r\nsubscribe\r\n$1\r\nn\r\n:1\r\n$1\r\nv\r\n");
    th_expect_int(pub, 1, "PUBLISH n m");
    raw_expect(fd, "INCR ctr\r\n",
               ">3\r\n$7\r\nmessage\r\n$1\r\nn\r\n$1\r\nm\r\n:1\r\n");
    close(fd);
}

/* Pub/Sub pushes are delivered under CLIENT REPLY OFF (Redis 7.0.15),
 * other replies are not. */
static void test_reply_off(void **state)
{
    th_server_t *srvr = *state;
    redisContext *pub = srvr->ctx;
    int fd = th_raw_connect(srvr);

    raw_expect(fd, "CLIENT REPLY OFF\r\nPING\r\nSUBSCRIBE ch\r\n",
               "*3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n");
    th_expect_int(pub, 1, "PUBLISH ch hello");
    raw_expect(fd, NULL, "*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$5\r\nhello\r\n");
    raw_expect(fd, "PING\r\nUNSUBSCRIBE ch\r\n",
               "*3\r\n$11\r\nunsubscribe\r\n$2\r\nch\r\n:0\r\n");
    th_raw_send(fd, "PING\r\n", 6);
    raw_expect_silence(fd);
    close(fd);
}

/* ---------------------------------------------------------------------
 * Output buffer limit
 * ------------------------------------------------------------------ */

/* A subscriber that stops reading is cut off by the pubsub class of
 * client-output-buffer-limit; a normal client with the same output is
 * not (normal class unlimited); its subscriptions are cleaned up. */
static void test_pubsub_output_limit(void **state)
{
    th_server_t *srvr = *state;
    redisContext *pub = srvr->ctx;
    int fd = th_raw_connect(srvr);
    long long before = th_info_int(pub, "everything", "client_output_buffer_limit_"
                                       "disconnections");
    size_t len = 256 * 1024;
    char *big = malloc(len);
    int closed = 0, i;

    assert_non_null(big);
    memset(big, 'x', len);
    th_expect_status(pub, "OK",
                     "CONFIG SET client-output-buffer-limit %s",
                     "pubsub 1mb 512kb 60");
    raw_expect(fd, "SUBSCRIBE slow\r\n",
               "*3\r\n$9\r\nsubscribe\r\n$4\r\nslow\r\n:1\r\n");
    /* Never read: the socket buffers fill, then the output buffer. */
    for (i = 0; i < 400; i++) {
        redisReply *r = th_cmd(pub, "PUBLISH slow %b", big, len);

        assert_int_equal(r->type, REDIS_REPLY_INTEGER);
        freeReplyObject(r);
        if (th_info_int(pub, "everything", "pubsub_channels") == 0)
            break;
    }
    assert_true(i < 400);
    wait_numsub(pub, "slow", 0);
    assert_int_equal(th_info_int(pub, "everything", "client_output_buffer_limit_"
                                     "disconnections"),
                     before + 1);
    th_expect_int(pub, 0, "PUBLISH slow gone");
    /* The connection ends after what the sockets already held: drain
     * it (big is reused as the read buffer), up to 10 s. */
    for (int k = 0; k < 200 && !closed; k++)
        th_raw_read(fd, big, len, len - 1, 50, &closed);
    assert_int_equal(closed, 1);
    close(fd);
    th_expect_status(pub, "OK",
                     "CONFIG SET client-output-buffer-limit %s",
                     "pubsub 32mb 8mb 60");
    free(big);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_subscribe_publish, th_test_setup),
        cmocka_unit_test_setup(test_two_subscribers, th_test_setup),
        cmocka_unit_test_setup(test_unsubscribe_nothing, th_test_setup),
        cmocka_unit_test_setup(test_patterns, th_test_setup),
        cmocka_unit_test_setup(test_numpat_unique, th_test_setup),
        cmocka_unit_test_setup(test_shard_channels, th_test_setup),
        cmocka_unit_test_setup(test_subscriber_mode, th_test_setup),
        cmocka_unit_test_setup(test_pubsub_command, th_test_setup),
        cmocka_unit_test_setup(test_disconnect_cleanup, th_test_setup),
        cmocka_unit_test_setup(test_client_list_counts, th_test_setup),
        cmocka_unit_test_setup(test_subscribe_in_multi, th_test_setup),
        cmocka_unit_test_setup(test_resp3_push, th_test_setup),
        cmocka_unit_test_setup(test_resp3_normal_connection, th_test_setup),
        cmocka_unit_test_setup(test_reply_off, th_test_setup),
        cmocka_unit_test_setup(test_pubsub_output_limit, th_test_setup),
    };

    return cmocka_run_group_tests(tests, th_group_setup, th_group_teardown);
}
