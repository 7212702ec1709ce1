/*
 * test_bigref.c - big GET/MGET replies written by reference (client.c,
 * "Replies by reference"): the exact bytes a client receives, compared
 * with what Redis 7.0 sends for the same input (checked against
 * redis-server 7.0 by hand), around everything that may copy, drop or
 * change the referenced value: RESP3, CLIENT REPLY, output limits,
 * CLIENT KILL, MULTI/WATCH, a slow reader while another client changes
 * the value, RENAME/DEL/EXPIRE, MONITOR, expiry, REF.LINK aliases.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "harness.h"

/* A growable byte string: a request or the reply bytes expected. */
typedef struct {
    char *p;
    size_t len, cap;
} bytes_t;

/* Append n bytes s to b (asserts on OOM). */
static void b_put(bytes_t *b, const void *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = (b->len + n + 1) * 2;

        b->p = realloc(b->p, cap);
        assert_non_null(b->p);
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

/* Append the C string s to b. */
static void b_str(bytes_t *b, const char *s)
{
    b_put(b, s, strlen(s));
}

/* Append a bulk string ($len CRLF bytes CRLF) of the n bytes s to b. */
static void b_bulk(bytes_t *b, const char *s, size_t n)
{
    char h[32];

    b_put(b, h, (size_t)snprintf(h, sizeof(h), "$%zu\r\n", n));
    b_put(b, s, n);
    b_put(b, "\r\n", 2);
}

/* Append one command of argc C-string arguments to b (RESP array). */
static void b_cmd(bytes_t *b, int argc, ...)
{
    va_list ap;
    char h[32];

    b_put(b, h, (size_t)snprintf(h, sizeof(h), "*%d\r\n", argc));
    va_start(ap, argc);
    for (int i = 0; i < argc; i++) {
        const char *a = va_arg(ap, const char *);

        b_bulk(b, a, strlen(a));
    }
    va_end(ap);
}

/* A value of n bytes following a pattern seeded by c (caller frees). */
static char *pattern(size_t n, int c)
{
    char *v = malloc(n + 1);

    assert_non_null(v);
    for (size_t i = 0; i < n; i++)
        v[i] = (char)('a' + (i * 7 + (size_t)c) % 26);
    v[n] = '\0';
    return v;
}

/* SET key to the n bytes v on c. */
static void set_big(redisContext *c, const char *key, const char *v, size_t n)
{
    th_expect_status(c, "OK", "SET %s %b", key, v, n);
}

/* Send req on a new raw connection and assert that exactly exp arrives
 * (nothing more within a short wait); closed tells whether the server
 * must have closed the connection after it. Returns the fd (open). */
static int raw_exchange(th_server_t *s, const bytes_t *req, const bytes_t *exp,
                        int want_closed)
{
    size_t cap = exp->len + 65536;
    char *buf = malloc(cap);
    int fd = th_raw_connect(s), closed = 0;
    size_t got;

    assert_non_null(buf);
    th_raw_send(fd, req->p, req->len);
    got = th_raw_read(fd, buf, cap, exp->len + 1, want_closed ? 5000 : 500,
                      &closed);
    if (got != exp->len || (got > 0 && memcmp(buf, exp->p, got) != 0)) {
        size_t i = 0;

        while (i < got && i < exp->len && buf[i] == exp->p[i])
            i++;
        print_error("got %zu bytes, want %zu, first difference at %zu\n", got,
                    exp->len, i);
        fail();
    }
    assert_int_equal(closed, want_closed);
    free(buf);
    return fd;
}

/* RESP3: big GET and MGET over big, small and missing keys. */
static void test_bigref_resp3(void **state)
{
    th_server_t *s = *state;
    char *v1 = pattern(4096, 1), *v2 = pattern(3000, 2);
    bytes_t req = {0}, exp = {0};
    char *hello = malloc(4096);
    int fd, closed;

    set_big(s->ctx, "big1", v1, 4096);
    set_big(s->ctx, "big2", v2, 3000);
    th_expect_status(s->ctx, "OK", "SET small x");
    fd = th_raw_connect(s);
    th_raw_send(fd, "HELLO 3\r\n", 9);
    assert_true(th_raw_read(fd, hello, 4096, 4095, 300, &closed) > 0);
    b_cmd(&req, 2, "GET", "big1");
    b_cmd(&req, 6, "MGET", "big1", "small", "missing", "big2", "big1");
    b_cmd(&req, 2, "GET", "missing");
    b_cmd(&req, 2, "GET", "big2");
    b_bulk(&exp, v1, 4096);
    b_str(&exp, "*5\r\n");
    b_bulk(&exp, v1, 4096);
    b_bulk(&exp, "x", 1);
    b_str(&exp, "_\r\n");
    b_bulk(&exp, v2, 3000);
    b_bulk(&exp, v1, 4096);
    b_str(&exp, "_\r\n");
    b_bulk(&exp, v2, 3000);
    th_raw_send(fd, req.p, req.len);
    {
        char *buf = malloc(exp.len + 4096);
        size_t got = th_raw_read(fd, buf, exp.len + 4096, exp.len + 1, 500,
                                 &closed);

        assert_int_equal(got, exp.len);
        assert_memory_equal(buf, exp.p, exp.len);
        free(buf);
    }
    close(fd);
    free(hello);
    free(req.p);
    free(exp.p);
    free(v1);
    free(v2);
}

/* CLIENT REPLY OFF / SKIP / ON around big GETs in one pipeline. */
static void test_bigref_client_reply(void **state)
{
    th_server_t *s = *state;
    char *v1 = pattern(4096, 3), *v2 = pattern(9000, 4);
    bytes_t req = {0}, exp = {0};

    set_big(s->ctx, "big1", v1, 4096);
    set_big(s->ctx, "big2", v2, 9000);
    b_cmd(&req, 2, "GET", "big1");
    b_cmd(&req, 3, "CLIENT", "REPLY", "OFF");
    b_cmd(&req, 2, "GET", "big2");
    b_cmd(&req, 3, "MGET", "big1", "big2");
    b_cmd(&req, 3, "CLIENT", "REPLY", "ON");
    b_cmd(&req, 2, "GET", "big2");
    b_cmd(&req, 3, "CLIENT", "REPLY", "SKIP");
    b_cmd(&req, 2, "GET", "big1");
    b_cmd(&req, 2, "GET", "big2");
    b_cmd(&req, 3, "CLIENT", "REPLY", "SKIP");
    b_cmd(&req, 3, "CLIENT", "REPLY", "ON");
    b_cmd(&req, 2, "GET", "big1");
    b_bulk(&exp, v1, 4096);
    b_str(&exp, "+OK\r\n");
    b_bulk(&exp, v2, 9000);
    b_bulk(&exp, v2, 9000);
    b_str(&exp, "+OK\r\n");
    b_bulk(&exp, v1, 4096);
    close(raw_exchange(s, &req, &exp, 0));
    free(req.p);
    free(exp.p);
    free(v1);
    free(v2);
}

/* A pipeline of big GETs past a small hard output limit (normal class):
 * the client is closed having received no reply of that read (Redis does
 * not write to a client it is closing), the server counts it and stays
 * healthy, and the output figures do not keep what it held. */
static void test_bigref_obuf_limit(void **state)
{
    th_server_t *s = *state;
    enum { BIG = 65536, N = 100 };
    char *v = pattern(BIG, 5);
    bytes_t req = {0}, exp = {0};
    long long before = th_info_int(s->ctx, "stats",
                                   "client_output_buffer_limit_disconnections");
    redisReply *r;

    set_big(s->ctx, "ob", v, BIG);
    th_expect_status(s->ctx, "OK",
                     "CONFIG SET client-output-buffer-limit %s",
                     "normal 100000 0 0");
    for (int i = 0; i < N; i++)
        b_cmd(&req, 2, "GET", "ob");
    close(raw_exchange(s, &req, &exp, 1));
    th_expect_status(s->ctx, "OK",
                     "CONFIG SET client-output-buffer-limit %s",
                     "normal 0 0 0");
    if (before >= 0)
        assert_int_equal(th_info_int(s->ctx, "stats",
                                     "client_output_buffer_limit_disconnections"),
                         before + 1);
    assert_true(th_info_int(s->ctx, "clients",
                            "client_recent_max_output_buffer") < 200000);
    r = th_cmd(s->ctx, "CLIENT LIST");
    assert_int_equal(r->type, REDIS_REPLY_STRING);
    assert_null(strstr(r->str, "cmd=get")); /* the closed one is gone */
    assert_non_null(strstr(r->str, " omem=0 "));
    freeReplyObject(r);
    /* The server still serves big GETs whole. */
    r = th_cmd(s->ctx, "GET ob");
    assert_int_equal(r->len, BIG);
    assert_memory_equal(r->str, v, BIG);
    freeReplyObject(r);
    free(req.p);
    free(v);
}

/* The id of a new raw connection's client, by CLIENT ID on it. */
static long long raw_client_id(int fd)
{
    char buf[64];
    int closed;

    th_raw_send(fd, "CLIENT ID\r\n", 11);
    assert_true(th_raw_read(fd, buf, sizeof(buf), 4, 300, &closed) > 1);
    return atoll(buf + 1);
}

/* CLIENT KILL of itself, and of others, inside a pipeline of big GETs:
 * the replies before it arrive whole, as Redis sends them. */
static void test_bigref_client_kill(void **state)
{
    th_server_t *s = *state;
    char *v1 = pattern(4097, 6), *v2 = pattern(3001, 7);
    bytes_t req = {0}, exp = {0}, req2 = {0}, exp2 = {0};
    char id[32], buf[256];
    int fd, other, closed = 0;

    set_big(s->ctx, "big1", v1, 4097);
    set_big(s->ctx, "big2", v2, 3001);
    /* Itself (SKIPME no): the replies before and the kill's own arrive,
     * nothing after, then EOF (same bytes as redis-server 7.0). */
    fd = th_raw_connect(s);
    snprintf(id, sizeof(id), "%lld", raw_client_id(fd));
    b_cmd(&req, 2, "GET", "big1");
    b_cmd(&req, 2, "GET", "big2");
    b_cmd(&req, 6, "CLIENT", "KILL", "ID", id, "SKIPME", "no");
    b_cmd(&req, 2, "GET", "big1");
    b_bulk(&exp, v1, 4097);
    b_bulk(&exp, v2, 3001);
    b_str(&exp, ":1\r\n");
    th_raw_send(fd, req.p, req.len);
    {
        char *got = malloc(exp.len + 4096);
        size_t n = th_raw_read(fd, got, exp.len + 4096, exp.len + 1, 3000,
                               &closed);

        assert_int_equal(n, exp.len);
        assert_memory_equal(got, exp.p, exp.len);
        assert_int_equal(closed, 1);
        free(got);
    }
    close(fd);
    /* Another client, idle, killed in the middle of this pipeline. */
    other = th_raw_connect(s);
    snprintf(id, sizeof(id), "%lld", raw_client_id(other));
    b_cmd(&req2, 2, "GET", "big1");
    b_cmd(&req2, 4, "CLIENT", "KILL", "ID", id);
    b_cmd(&req2, 2, "GET", "big2");
    b_cmd(&req2, 4, "CLIENT", "KILL", "ID", "999999999");
    b_cmd(&req2, 3, "MGET", "big2", "big1");
    b_bulk(&exp2, v1, 4097);
    b_str(&exp2, ":1\r\n");
    b_bulk(&exp2, v2, 3001);
    b_str(&exp2, ":0\r\n");
    b_str(&exp2, "*2\r\n");
    b_bulk(&exp2, v2, 3001);
    b_bulk(&exp2, v1, 4097);
    close(raw_exchange(s, &req2, &exp2, 0));
    assert_int_equal(th_raw_read(other, buf, sizeof(buf), 1, 3000, &closed),
                     0);
    assert_int_equal(closed, 1);
    close(other);
    free(req.p);
    free(exp.p);
    free(req2.p);
    free(exp2.p);
    free(v1);
    free(v2);
}

/* MULTI with big GETs, and WATCH + big GET + a change by another client. */
static void test_bigref_multi_watch(void **state)
{
    th_server_t *s = *state;
    char *v1 = pattern(4096, 8), *v2 = pattern(5000, 9);
    bytes_t req = {0}, exp = {0};
    redisContext *c2 = th_connect(s);
    redisReply *r;

    set_big(s->ctx, "big1", v1, 4096);
    set_big(s->ctx, "big2", v2, 5000);
    b_cmd(&req, 2, "GET", "big1");
    b_cmd(&req, 1, "MULTI");
    b_cmd(&req, 2, "GET", "big1");
    b_cmd(&req, 3, "MGET", "big2", "big1");
    b_cmd(&req, 3, "APPEND", "big1", "Z");
    b_cmd(&req, 4, "SETRANGE", "big1", "1", "Q"); /* in place */
    b_cmd(&req, 2, "GET", "big1");
    b_cmd(&req, 1, "EXEC");
    b_cmd(&req, 2, "GET", "big1");
    b_bulk(&exp, v1, 4096);
    b_str(&exp, "+OK\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n"
                "+QUEUED\r\n*5\r\n");
    b_bulk(&exp, v1, 4096);
    b_str(&exp, "*2\r\n");
    b_bulk(&exp, v2, 5000);
    b_bulk(&exp, v1, 4096);
    b_str(&exp, ":4097\r\n:4097\r\n");
    v1 = realloc(v1, 4098);
    memcpy(v1 + 4096, "Z", 2);
    v1[1] = 'Q';
    b_bulk(&exp, v1, 4097);
    b_bulk(&exp, v1, 4097);
    close(raw_exchange(s, &req, &exp, 0));

    /* WATCH, big GET, another client changes the key: EXEC fails. */
    th_expect_status(s->ctx, "OK", "WATCH big2");
    r = th_cmd(s->ctx, "GET big2");
    assert_int_equal(r->len, 5000);
    assert_memory_equal(r->str, v2, 5000);
    freeReplyObject(r);
    th_expect_int(c2, 5001, "APPEND big2 Q");
    th_expect_status(s->ctx, "OK", "MULTI");
    th_expect_status(s->ctx, "QUEUED", "GET big2");
    r = th_cmd(s->ctx, "EXEC");
    assert_int_equal(r->type, REDIS_REPLY_NIL);
    freeReplyObject(r);
    /* Unchanged between WATCH and EXEC: the big GET inside runs. */
    th_expect_status(s->ctx, "OK", "WATCH big2");
    redisAppendCommand(s->ctx, "GET big2");
    redisAppendCommand(s->ctx, "MULTI");
    redisAppendCommand(s->ctx, "GET big2");
    redisAppendCommand(s->ctx, "EXEC");
    for (int i = 0; i < 4; i++) {
        assert_int_equal(redisGetReply(s->ctx, (void **)&r), REDIS_OK);
        if (i == 0)
            assert_int_equal(r->len, 5001);
        if (i == 3) {
            assert_int_equal(r->type, REDIS_REPLY_ARRAY);
            assert_int_equal(r->element[0]->len, 5001);
            assert_memory_equal(r->element[0]->str, v2, 5000);
        }
        freeReplyObject(r);
    }
    redisFree(c2);
    free(req.p);
    free(exp.p);
    free(v1);
    free(v2);
}

/* A slow reader's pipeline of big GETs, partly written, while another
 * connection overwrites, appends to and deletes the value: it receives
 * the bytes it was promised, byte for byte. */
static void test_bigref_slow_reader_overwrite(void **state)
{
    th_server_t *s = *state;
    enum { BIG = 50000, N = 200 };
    char *v = pattern(BIG, 10), *w = pattern(BIG, 11);
    bytes_t req = {0}, exp = {0};
    char *buf;
    size_t got;
    int fd, closed = 0;

    set_big(s->ctx, "sv", v, BIG);
    for (int i = 0; i < N; i++) {
        b_cmd(&req, 2, i % 3 ? "GET" : "MGET", "sv");
        if (i % 3 == 0)
            b_str(&exp, "*1\r\n");
        b_bulk(&exp, v, BIG);
    }
    fd = th_raw_connect(s);
    th_raw_send(fd, req.p, req.len);
    usleep(200 * 1000); /* the socket is full, the rest kept */
    /* The server does hold part of it: the refs were copied. */
    assert_true(th_info_int(s->ctx, "clients",
                            "client_recent_max_output_buffer") > 0);
    set_big(s->ctx, "sv", w, BIG);
    th_expect_int(s->ctx, BIG + 1, "APPEND sv !");
    th_expect_int(s->ctx, BIG + 1, "SETRANGE sv 0 Q");
    th_expect_int(s->ctx, 1, "DEL sv");
    buf = malloc(exp.len + 1024);
    got = th_raw_read(fd, buf, exp.len + 1024, exp.len, 20000, &closed);
    assert_int_equal(got, exp.len);
    assert_int_equal(memcmp(buf, exp.p, exp.len), 0);
    assert_int_equal(closed, 0);
    close(fd);
    free(buf);
    free(req.p);
    free(exp.p);
    free(v);
    free(w);
}

/* RENAME, DEL, EXPIRE of the key in the same pipeline after big GETs. */
static void test_bigref_rename_del_expire(void **state)
{
    th_server_t *s = *state;
    char *v = pattern(10240, 12), *w = pattern(4096, 13);
    bytes_t req = {0}, exp = {0};

    set_big(s->ctx, "k", v, 10240);
    b_cmd(&req, 2, "GET", "k");
    b_cmd(&req, 3, "RENAME", "k", "k2");
    b_cmd(&req, 2, "GET", "k");
    b_cmd(&req, 2, "GET", "k2");
    b_cmd(&req, 3, "EXPIRE", "k2", "100");
    b_cmd(&req, 2, "GET", "k2");
    b_cmd(&req, 3, "PEXPIRE", "k2", "0");
    b_cmd(&req, 2, "GET", "k2");
    b_cmd(&req, 3, "SET", "k", w);
    b_cmd(&req, 3, "MGET", "k", "k");
    b_cmd(&req, 2, "DEL", "k");
    b_cmd(&req, 3, "MGET", "k", "k2");
    b_bulk(&exp, v, 10240);
    b_str(&exp, "+OK\r\n$-1\r\n");
    b_bulk(&exp, v, 10240);
    b_str(&exp, ":1\r\n");
    b_bulk(&exp, v, 10240);
    b_str(&exp, ":1\r\n$-1\r\n+OK\r\n*2\r\n");
    b_bulk(&exp, w, 4096);
    b_bulk(&exp, w, 4096);
    b_str(&exp, ":1\r\n*2\r\n$-1\r\n$-1\r\n");
    close(raw_exchange(s, &req, &exp, 0));
    free(req.p);
    free(exp.p);
    free(v);
    free(w);
}

/* MONITOR connected while big GETs run: the monitor sees the commands,
 * the client its replies whole. */
static void test_bigref_monitor(void **state)
{
    th_server_t *s = *state;
    char *v = pattern(4096, 14);
    bytes_t req = {0}, exp = {0};
    char buf[1024];
    int mon = th_raw_connect(s), closed = 0;
    size_t got;

    set_big(s->ctx, "mk", v, 4096);
    th_raw_send(mon, "MONITOR\r\n", 9);
    assert_int_equal(th_raw_read(mon, buf, sizeof(buf), 5, 2000, &closed), 5);
    assert_string_equal(buf, "+OK\r\n");
    b_cmd(&req, 2, "GET", "mk");
    b_cmd(&req, 3, "MGET", "mk", "mk");
    b_bulk(&exp, v, 4096);
    b_str(&exp, "*2\r\n");
    b_bulk(&exp, v, 4096);
    b_bulk(&exp, v, 4096);
    close(raw_exchange(s, &req, &exp, 0));
    got = th_raw_read(mon, buf, sizeof(buf), sizeof(buf) - 1, 500, &closed);
    assert_true(got > 0);
    assert_non_null(strstr(buf, "\"GET\" \"mk\"\r\n"));
    assert_non_null(strstr(buf, "\"MGET\" \"mk\" \"mk\"\r\n"));
    close(mon);
    free(req.p);
    free(exp.p);
    free(v);
}

/* A big value with PX is read, then reclaimed by active expiry between
 * reads; later reads see nothing and the memory is given back. */
static void test_bigref_active_expiry(void **state)
{
    th_server_t *s = *state;
    char *v = pattern(8192, 15);
    redisReply *r;

    th_expect_status(s->ctx, "OK", "SET ex %b PX 100", v, (size_t)8192);
    redisAppendCommand(s->ctx, "GET ex");
    redisAppendCommand(s->ctx, "MGET ex ex");
    assert_int_equal(redisGetReply(s->ctx, (void **)&r), REDIS_OK);
    assert_int_equal(r->len, 8192);
    assert_memory_equal(r->str, v, 8192);
    freeReplyObject(r);
    assert_int_equal(redisGetReply(s->ctx, (void **)&r), REDIS_OK);
    assert_int_equal(r->elements, 2);
    assert_memory_equal(r->element[1]->str, v, 8192);
    freeReplyObject(r);
    /* Active expiry (no command touches the key) reclaims it. */
    th_expect_status(s->ctx, "OK", "DEBUG SET-ACTIVE-EXPIRE 1");
    for (int i = 0; i < 100; i++) {
        r = th_cmd(s->ctx, "DBSIZE");
        if (r->integer == 0)
            i = 100;
        freeReplyObject(r);
        if (i < 100)
            usleep(50 * 1000);
    }
    r = th_cmd(s->ctx, "DBSIZE");
    assert_int_equal(r->integer, 0);
    freeReplyObject(r);
    th_expect_nil(s->ctx, "GET ex");
    free(v);
}

/* GET of a big value shared by REF.LINK aliases, strong and weak: the
 * replies are whole, OBJECT REFCOUNT right after in the same pipeline
 * sees only the bindings, and an alias's lazy expiry inside the pipeline
 * (dropping a binding while a reply references the object) leaves the
 * other binding and the replies intact. */
static void test_bigref_link_alias(void **state)
{
    th_server_t *s = *state;
    char *v = pattern(5000, 16);
    bytes_t req = {0}, exp = {0};

    th_expect_status(s->ctx, "OK", "DEBUG SET-ACTIVE-EXPIRE 0");
    set_big(s->ctx, "orig", v, 5000);
    th_expect_status(s->ctx, "OK", "REF.LINK alias orig");
    th_expect_status(s->ctx, "OK", "REF.LINK tmp orig PX 20");
    th_expect_status(s->ctx, "OK", "REF.LINK weak orig WEAK");
    th_expect_int(s->ctx, 3, "OBJECT REFCOUNT orig");
    usleep(60 * 1000);
    b_cmd(&req, 2, "GET", "alias");
    b_cmd(&req, 4, "MGET", "orig", "weak", "alias");
    b_cmd(&req, 2, "GET", "tmp"); /* lazily expired: a binding dropped */
    b_cmd(&req, 2, "GET", "weak");
    b_cmd(&req, 3, "OBJECT", "REFCOUNT", "alias");
    b_cmd(&req, 2, "GET", "orig");
    b_cmd(&req, 2, "DEL", "orig");
    b_cmd(&req, 2, "GET", "weak");
    b_cmd(&req, 3, "OBJECT", "REFCOUNT", "alias");
    b_cmd(&req, 2, "DEL", "alias");
    b_cmd(&req, 2, "GET", "weak");
    b_cmd(&req, 2, "EXISTS", "weak");
    b_bulk(&exp, v, 5000);
    b_str(&exp, "*3\r\n");
    b_bulk(&exp, v, 5000);
    b_bulk(&exp, v, 5000);
    b_bulk(&exp, v, 5000);
    b_str(&exp, "$-1\r\n");
    b_bulk(&exp, v, 5000);
    b_str(&exp, ":2\r\n");
    b_bulk(&exp, v, 5000);
    b_str(&exp, ":1\r\n");
    b_bulk(&exp, v, 5000);
    b_str(&exp, ":1\r\n:1\r\n$-1\r\n:0\r\n");
    close(raw_exchange(s, &req, &exp, 0));
    th_expect_status(s->ctx, "OK", "DEBUG SET-ACTIVE-EXPIRE 1");
    free(req.p);
    free(exp.p);
    free(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_bigref_resp3, th_test_setup),
        cmocka_unit_test_setup(test_bigref_client_reply, th_test_setup),
        cmocka_unit_test_setup(test_bigref_obuf_limit, th_test_setup),
        cmocka_unit_test_setup(test_bigref_client_kill, th_test_setup),
        cmocka_unit_test_setup(test_bigref_multi_watch, th_test_setup),
        cmocka_unit_test_setup(test_bigref_slow_reader_overwrite,
                               th_test_setup),
        cmocka_unit_test_setup(test_bigref_rename_del_expire, th_test_setup),
        cmocka_unit_test_setup(test_bigref_monitor, th_test_setup),
        cmocka_unit_test_setup(test_bigref_active_expiry, th_test_setup),
        cmocka_unit_test_setup(test_bigref_link_alias, th_test_setup),
    };

    return cmocka_run_group_tests(tests, th_group_setup_debug,
                                  th_group_teardown);
}
