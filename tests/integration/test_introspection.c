/*
 * test_introspection.c - introspection against a real gencached: the
 * movablekeys flag and COMMAND GETKEYS of commands with a numkeys
 * argument, RESET, LATENCY HISTOGRAM / DOCTOR and INFO latencystats
 * (per-command latency histograms), commandstats of a transaction,
 * CONFIG SET of port/bind (re-listening, rollback on failure), and the
 * release of idle query buffers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "harness.h"

/* ---------------------------------------------------------------------
 * Helpers
 * ------------------------------------------------------------------ */

/* True when the array reply r holds a status/string element equal to s. */
static int array_has(const redisReply *r, const char *s)
{
    size_t i;

    for (i = 0; i < r->elements; i++) {
        const redisReply *e = r->element[i];
        if ((e->type == REDIS_REPLY_STATUS || e->type == REDIS_REPLY_STRING) &&
            strcmp(e->str, s) == 0) {
            return 1;
        }
    }
    return 0;
}

/* Does COMMAND INFO name list the movablekeys flag? */
static int is_movable(redisContext *c, const char *name)
{
    redisReply *r = th_cmd(c, "COMMAND INFO %s", name);
    int found;

    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->elements, 1);
    assert_int_equal(r->element[0]->type, REDIS_REPLY_ARRAY);
    found = array_has(r->element[0]->element[2], "movablekeys");
    freeReplyObject(r);
    return found;
}

/* The keys of a COMMAND GETKEYS reply joined by spaces into out. */
static void getkeys(redisContext *c, int argc, const char **argv, char *out,
                    size_t size)
{
    redisReply *r = th_cmdv(c, argc, argv, NULL);
    size_t i, o = 0;

    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    out[0] = '\0';
    for (i = 0; i < r->elements && o < size; i++) {
        o += (size_t)snprintf(out + o, size - o, "%s%s", i ? " " : "",
                              r->element[i]->str);
    }
    freeReplyObject(r);
}

/* Value of INFO field name in section into out (asserts it exists). */
static void info_field(redisContext *c, const char *section,
                       const char *name, char *out, size_t size)
{
    redisReply *r = th_cmd(c, "INFO %s", section);
    char want[160];
    const char *p;
    size_t n;

    assert_int_equal(r->type, REDIS_REPLY_STRING);
    snprintf(want, sizeof(want), "\n%s:", name);
    p = strstr(r->str, want);
    if (p == NULL) {
        fail_msg("INFO %s has no field %s", section, name);
    }
    p += strlen(want);
    n = strcspn(p, "\r");
    assert_true(n < size);
    memcpy(out, p, n);
    out[n] = '\0';
    freeReplyObject(r);
}

/* The reply element after the string key in a flat map reply, or NULL. */
static const redisReply *map_get(const redisReply *r, const char *key)
{
    size_t i;

    for (i = 0; i + 1 < r->elements; i += 2) {
        if (strcmp(r->element[i]->str, key) == 0) {
            return r->element[i + 1];
        }
    }
    return NULL;
}

/* ---------------------------------------------------------------------
 * COMMAND: movable keys
 * ------------------------------------------------------------------ */

static void test_movablekeys_flag(void **state)
{
    th_server_t *s = *state;
    const char *movable[] = {"zunionstore", "zinterstore", "zdiffstore",
                             "zunion", "zinter", "zdiff", "zintercard",
                             "sintercard", "lmpop", "zmpop", "sort",
                             "sort_ro"};
    size_t i;

    for (i = 0; i < sizeof(movable) / sizeof(movable[0]); i++) {
        if (!is_movable(s->ctx, movable[i])) {
            fail_msg("%s is not marked movablekeys", movable[i]);
        }
    }
    assert_false(is_movable(s->ctx, "get"));
    assert_false(is_movable(s->ctx, "mset"));
}

/* COMMAND INFO zunionstore: a destination spec, then a keynum spec. */
static void test_movable_key_specs(void **state)
{
    th_server_t *s = *state;
    redisReply *r = th_cmd(s->ctx, "COMMAND INFO zunionstore");
    const redisReply *specs, *spec, *find;

    assert_int_equal(r->element[0]->element[3]->integer, 1);
    specs = r->element[0]->element[8];
    assert_int_equal(specs->elements, 2);
    spec = specs->element[1];
    assert_true(array_has(map_get(spec, "flags"), "RO"));
    find = map_get(spec, "find_keys");
    assert_string_equal(map_get(find, "type")->str, "keynum");
    assert_int_equal(map_get(map_get(find, "spec"), "firstkey")->integer, 1);
    assert_int_equal(map_get(map_get(map_get(spec, "begin_search"), "spec"),
                             "index")->integer, 2);
    freeReplyObject(r);
}

static void test_getkeys_numkeys(void **state)
{
    th_server_t *s = *state;
    char keys[256];
    const char *zs[] = {"COMMAND", "GETKEYS", "zunionstore", "dst", "2",
                        "a", "b", "WEIGHTS", "1", "2"};
    const char *lm[] = {"COMMAND", "GETKEYS", "lmpop", "2", "l1", "l2",
                        "LEFT"};
    const char *si[] = {"COMMAND", "GETKEYS", "sintercard", "3", "x", "y",
                        "z", "LIMIT", "1"};
    const char *so[] = {"COMMAND", "GETKEYS", "sort", "src", "BY", "w_*",
                        "STORE", "dst"};
    const char *sr[] = {"COMMAND", "GETKEYS", "sort_ro", "src", "GET",
                        "#"};

    getkeys(s->ctx, 10, zs, keys, sizeof(keys));
    assert_string_equal(keys, "dst a b");
    getkeys(s->ctx, 7, lm, keys, sizeof(keys));
    assert_string_equal(keys, "l1 l2");
    getkeys(s->ctx, 9, si, keys, sizeof(keys));
    assert_string_equal(keys, "x y z");
    getkeys(s->ctx, 8, so, keys, sizeof(keys));
    assert_string_equal(keys, "src dst");
    getkeys(s->ctx, 6, sr, keys, sizeof(keys));
    assert_string_equal(keys, "src");
    /* A numkeys that does not fit the arguments names no key. */
    th_expect_error(s->ctx, "ERR Invalid arguments specified for command",
                    "COMMAND GETKEYS zunionstore dst 5 a b");
    th_expect_error(s->ctx, "ERR Invalid arguments specified for command",
                    "COMMAND GETKEYS zunion 0 a");
    th_expect_error(s->ctx, "ERR Invalid arguments specified for command",
                    "COMMAND GETKEYS lmpop x a LEFT");
    /* Arity still applies. */
    th_expect_error(s->ctx, "ERR Invalid number of arguments",
                    "COMMAND GETKEYS zunionstore dst");
}

static void test_getkeys_many_keys(void **state)
{
    th_server_t *s = *state;
    enum { NKEYS = 300 };
    const char *argv[NKEYS + 5];
    char names[NKEYS][16];
    redisReply *r;
    int i;

    argv[0] = "COMMAND";
    argv[1] = "GETKEYS";
    argv[2] = "ZUNIONSTORE";
    argv[3] = "target";
    argv[4] = "300";
    for (i = 0; i < NKEYS; i++) {
        snprintf(names[i], sizeof(names[i]), "key%d", i + 1);
        argv[5 + i] = names[i];
    }
    r = th_cmdv(s->ctx, NKEYS + 5, argv, NULL);
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->elements, NKEYS + 1);
    assert_string_equal(r->element[0]->str, "target");
    assert_string_equal(r->element[NKEYS]->str, "key300");
    freeReplyObject(r);
}

static void test_getkeysandflags_movable(void **state)
{
    th_server_t *s = *state;
    redisReply *r = th_cmd(s->ctx, "COMMAND GETKEYSANDFLAGS zinterstore d "
                                   "2 k1 k2");

    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->elements, 3);
    assert_string_equal(r->element[0]->element[0]->str, "d");
    assert_true(array_has(r->element[0]->element[1], "OW"));
    assert_true(array_has(r->element[0]->element[1], "update"));
    assert_string_equal(r->element[2]->element[0]->str, "k2");
    assert_true(array_has(r->element[2]->element[1], "RO"));
    assert_true(array_has(r->element[2]->element[1], "access"));
    freeReplyObject(r);
    r = th_cmd(s->ctx, "COMMAND GETKEYSANDFLAGS zmpop 1 z MIN");
    assert_int_equal(r->elements, 1);
    assert_true(array_has(r->element[0]->element[1], "RW"));
    assert_true(array_has(r->element[0]->element[1], "delete"));
    freeReplyObject(r);
}

/* ---------------------------------------------------------------------
 * RESET
 * ------------------------------------------------------------------ */

static void test_reset_client_state(void **state)
{
    th_server_t *s = *state;
    redisContext *c = th_connect(s);
    redisReply *r;

    th_expect_status(c, "OK", "SELECT 3");
    th_expect_status(c, "OK", "CLIENT SETNAME someone");
    th_expect_status(c, "OK", "CLIENT NO-EVICT on");
    th_expect_status(c, "RESET", "RESET");
    th_expect_nil(c, "CLIENT GETNAME");
    r = th_cmd(c, "CLIENT INFO");
    assert_non_null(strstr(r->str, " db=0 "));
    assert_non_null(strstr(r->str, " flags=N "));
    assert_non_null(strstr(r->str, " resp=2"));
    freeReplyObject(r);
    redisFree(c);
}

/* After HELLO 3, RESET answers in RESP2 and the connection is RESP2. */
static void test_reset_resp3(void **state)
{
    th_server_t *s = *state;
    char buf[8192];
    int fd = th_raw_connect(s), closed = 0;
    size_t n;

    th_raw_send(fd, "HELLO 3\r\n", 9);
    n = th_raw_read(fd, buf, sizeof(buf), 1, 2000, &closed);
    assert_true(n > 0 && buf[0] == '%');
    /* Let the whole HELLO map arrive, then drop it. */
    th_raw_read(fd, buf, sizeof(buf), sizeof(buf) - 1, 200, &closed);
    th_raw_send(fd, "RESET\r\n", 7);
    n = th_raw_read(fd, buf, sizeof(buf), 8, 2000, &closed);
    assert_int_equal(n, 8);
    assert_string_equal(buf, "+RESET\r\n");
    th_raw_send(fd, "CLIENT INFO\r\n", 13);
    n = th_raw_read(fd, buf, sizeof(buf), 20, 2000, &closed);
    assert_true(n > 0 && buf[0] == '$');
    th_raw_read(fd, buf + n, sizeof(buf) - n, sizeof(buf) - n - 1, 200,
                &closed);
    assert_non_null(strstr(buf, " resp=2"));
    close(fd);
}

static void test_reset_multi_and_watch(void **state)
{
    th_server_t *s = *state;
    redisContext *c = th_connect(s);

    th_expect_status(c, "OK", "WATCH k");
    th_expect_status(c, "OK", "MULTI");
    th_expect_status(c, "QUEUED", "SET k v");
    th_expect_status(c, "RESET", "RESET");
    th_expect_error(c, "ERR EXEC without MULTI", "EXEC");
    th_expect_nil(s->ctx, "GET k");
    /* The WATCH is gone too: a later transaction runs. */
    th_expect_status(s->ctx, "OK", "SET k changed");
    th_expect_status(c, "OK", "MULTI");
    th_expect_status(c, "QUEUED", "SET k mine");
    {
        redisReply *r = th_cmd(c, "EXEC");
        assert_int_equal(r->type, REDIS_REPLY_ARRAY);
        freeReplyObject(r);
    }
    th_expect_str(s->ctx, "mine", "GET k");
    redisFree(c);
}

static void test_reset_pubsub_and_monitor(void **state)
{
    th_server_t *s = *state;
    redisContext *c = th_connect(s);
    redisReply *r;

    r = th_cmd(c, "SUBSCRIBE ch1 ch2");
    freeReplyObject(r);
    if (redisGetReply(c, (void **)&r) == REDIS_OK) {
        freeReplyObject(r);
    }
    /* RESET is allowed in subscriber mode and leaves it. */
    th_expect_status(c, "RESET", "RESET");
    th_expect_status(c, "OK", "SET key val");
    th_expect_int(s->ctx, 0, "PUBLISH ch1 hello");

    th_expect_status(c, "OK", "MONITOR");
    th_expect_status(c, "RESET", "RESET");
    r = th_cmd(s->ctx, "CLIENT LIST");
    assert_null(strstr(r->str, "flags=O"));
    freeReplyObject(r);
    /* No MONITOR output reaches c any more. */
    th_expect_status(s->ctx, "PONG", "PING");
    th_expect_status(c, "PONG", "PING");
    redisFree(c);
}

static void test_reset_deauthenticates(void **state)
{
    th_server_t *s = *state;
    redisContext *c = th_connect(s);

    /* c must be accepted (PING answered) before the password is set. */
    th_expect_status(c, "PONG", "PING");
    th_expect_status(s->ctx, "OK", "CONFIG SET requirepass secret");
    th_expect_status(c, "PONG", "PING"); /* authenticated before */
    th_expect_status(c, "RESET", "RESET");
    th_expect_error(c, "NOAUTH", "GET x");
    th_expect_status(c, "OK", "AUTH secret");
    th_expect_status(c, "OK", "CONFIG SET requirepass %s", "");
    th_expect_status(c, "RESET", "RESET");
    th_expect_nil(c, "GET x");
    redisFree(c);
}

/* ---------------------------------------------------------------------
 * Latency histograms, LATENCY DOCTOR
 * ------------------------------------------------------------------ */

static void test_latency_histogram(void **state)
{
    th_server_t *s = *state;
    const redisReply *h, *usec;
    redisReply *r;

    th_expect_status(s->ctx, "OK", "CONFIG RESETSTAT");
    th_expect_status(s->ctx, "OK", "SET a b");
    th_expect_status(s->ctx, "OK", "SET c d");
    th_expect_int(s->ctx, 1, "HSET h f v");
    r = th_cmd(s->ctx, "LATENCY HISTOGRAM set hset nosuchcommand");
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->elements, 4);
    h = map_get(r, "set");
    assert_non_null(h);
    assert_string_equal(h->element[0]->str, "calls");
    assert_int_equal(h->element[1]->integer, 2);
    assert_string_equal(h->element[2]->str, "histogram_usec");
    usec = h->element[3];
    /* Cumulative counts under power-of-two bounds, ending at all calls. */
    assert_true(usec->elements >= 2 && usec->elements % 2 == 0);
    assert_int_equal(usec->element[usec->elements - 1]->integer, 2);
    assert_int_equal(usec->element[0]->integer & (usec->element[0]->integer - 1), 0);
    assert_non_null(map_get(r, "hset"));
    freeReplyObject(r);
    /* Everything since the reset: config|resetstat, set, hset, and the
     * LATENCY HISTOGRAM call itself. */
    r = th_cmd(s->ctx, "LATENCY HISTOGRAM");
    assert_non_null(map_get(r, "config|resetstat"));
    assert_non_null(map_get(r, "latency|histogram"));
    assert_null(map_get(r, "get"));
    freeReplyObject(r);
    /* A container stands for its subcommands. */
    th_expect_status(s->ctx, "OK", "CONFIG RESETSTAT");
    r = th_cmd(s->ctx, "CLIENT ID");
    freeReplyObject(r);
    r = th_cmd(s->ctx, "LATENCY HISTOGRAM client");
    assert_int_equal(r->elements, 2);
    assert_string_equal(r->element[0]->str, "client|id");
    freeReplyObject(r);
    r = th_cmd(s->ctx, "LATENCY HISTOGRAM blabla");
    assert_int_equal(r->elements, 0);
    freeReplyObject(r);
}

static void test_latency_tracking_off(void **state)
{
    th_server_t *s = *state;
    redisReply *r;

    th_expect_status(s->ctx, "OK", "CONFIG SET latency-tracking no");
    th_expect_status(s->ctx, "OK", "CONFIG RESETSTAT");
    th_expect_status(s->ctx, "OK", "SET a b");
    r = th_cmd(s->ctx, "LATENCY HISTOGRAM set");
    assert_int_equal(r->elements, 0);
    freeReplyObject(r);
    th_expect_status(s->ctx, "OK", "CONFIG SET latency-tracking yes");
    th_expect_status(s->ctx, "OK", "SET a b");
    r = th_cmd(s->ctx, "LATENCY HISTOGRAM set");
    assert_int_equal(r->elements, 2);
    freeReplyObject(r);
}

static void test_info_latencystats(void **state)
{
    th_server_t *s = *state;
    char v[256];
    redisReply *r;

    th_expect_status(s->ctx, "OK", "CONFIG RESETSTAT");
    th_expect_status(s->ctx, "OK", "SET a b");
    info_field(s->ctx, "latencystats", "latency_percentiles_usec_set", v,
               sizeof(v));
    assert_true(strncmp(v, "p50=", 4) == 0);
    assert_non_null(strstr(v, ",p99="));
    assert_non_null(strstr(v, ",p99.9="));
    th_expect_status(s->ctx, "OK", "CONFIG SET %s %s",
                     "latency-tracking-info-percentiles", "25 75");
    info_field(s->ctx, "latencystats", "latency_percentiles_usec_set", v,
               sizeof(v));
    assert_true(strncmp(v, "p25=", 4) == 0);
    assert_non_null(strstr(v, ",p75="));
    assert_null(strstr(v, "p99"));
    th_expect_status(s->ctx, "OK", "CONFIG SET %s %s",
                     "latency-tracking-info-percentiles", "50 99 99.9");
    /* Not part of the default sections; part of "all". */
    r = th_cmd(s->ctx, "INFO");
    assert_null(strstr(r->str, "# Latencystats"));
    freeReplyObject(r);
    r = th_cmd(s->ctx, "INFO all");
    assert_non_null(strstr(r->str, "# Errorstats"));
    assert_true(strstr(r->str, "# Latencystats") >
                strstr(r->str, "# Errorstats"));
    freeReplyObject(r);
}

static void test_latency_doctor(void **state)
{
    th_server_t *s = *state;
    redisReply *r;

    th_expect_status(s->ctx, "OK", "CONFIG SET latency-monitor-threshold 0");
    r = th_cmd(s->ctx, "LATENCY DOCTOR");
    assert_int_equal(r->type, REDIS_REPLY_STRING);
    assert_non_null(strstr(r->str, "latency-monitor-threshold"));
    freeReplyObject(r);
    th_expect_status(s->ctx, "OK", "CONFIG SET latency-monitor-threshold 1");
    th_expect_int(s->ctx, 0, "LATENCY RESET");
    r = th_cmd(s->ctx, "LATENCY DOCTOR");
    assert_true(r->len > 0);
    assert_null(strstr(r->str, "command:"));
    freeReplyObject(r);
    th_expect_status(s->ctx, "OK", "CONFIG SET latency-monitor-threshold 0");
    th_expect_error(s->ctx, "ERR wrong number of arguments",
                    "LATENCY DOCTOR extra");
}

/* ---------------------------------------------------------------------
 * commandstats of a transaction, CONFIG SET of bind/port
 * ------------------------------------------------------------------ */

static void test_commandstats_multi(void **state)
{
    th_server_t *s = *state;
    char v[256];

    th_expect_status(s->ctx, "OK", "CONFIG RESETSTAT");
    th_expect_status(s->ctx, "OK", "MULTI");
    th_expect_status(s->ctx, "QUEUED", "SET foo bar");
    th_expect_status(s->ctx, "QUEUED", "EXPIRE foo 0");
    {
        redisReply *r = th_cmd(s->ctx, "EXEC");
        assert_int_equal(r->elements, 2);
        freeReplyObject(r);
    }
    info_field(s->ctx, "commandstats", "cmdstat_multi", v, sizeof(v));
    assert_true(strncmp(v, "calls=1,", 8) == 0);
    info_field(s->ctx, "commandstats", "cmdstat_exec", v, sizeof(v));
    assert_true(strncmp(v, "calls=1,", 8) == 0);
    info_field(s->ctx, "commandstats", "cmdstat_set", v, sizeof(v));
    assert_true(strncmp(v, "calls=1,", 8) == 0);
    info_field(s->ctx, "commandstats", "cmdstat_expire", v, sizeof(v));
    assert_true(strncmp(v, "calls=1,", 8) == 0);
}

/* A TCP socket listening on 127.0.0.1:port (closed by the caller). */
static int occupy_port(int port)
{
    struct sockaddr_in sa;
    int one = 1, fd = socket(AF_INET, SOCK_STREAM, 0);

    assert_true(fd >= 0);
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(listen(fd, 1), 0);
    return fd;
}

static void test_config_set_port(void **state)
{
    th_server_t *s = *state;
    th_server_t moved = *s;
    redisContext *c;
    redisReply *r;
    int busy, fd;

    /* The current value is a no-op. */
    th_expect_status(s->ctx, "OK", "CONFIG SET port %d", s->port);
    r = th_cmd(s->ctx, "CONFIG GET bind");
    th_expect_status(s->ctx, "OK", "CONFIG SET bind %s", r->element[1]->str);
    freeReplyObject(r);
    /* A new port: the server answers there, existing connections stay. */
    moved.port = th_free_port();
    th_expect_status(s->ctx, "OK", "CONFIG SET port %d", moved.port);
    c = th_connect(&moved);
    th_expect_status(c, "PONG", "PING");
    th_expect_status(s->ctx, "OK", "CONFIG SET port %d", s->port);
    redisFree(c);
    c = th_connect(s);
    th_expect_status(c, "PONG", "PING");
    redisFree(c);
    /* A port in use: error, and every value of the call rolled back. */
    busy = th_free_port();
    fd = occupy_port(busy);
    th_expect_error(s->ctx, "ERR CONFIG SET failed (possibly related to "
                            "argument 'port') - Unable to listen on this "
                            "port",
                    "CONFIG SET maxmemory 12345 port %d", busy);
    close(fd);
    r = th_cmd(s->ctx, "CONFIG GET maxmemory");
    assert_string_equal(r->element[1]->str, "0");
    freeReplyObject(r);
    r = th_cmd(s->ctx, "CONFIG GET port");
    assert_int_equal(atoi(r->element[1]->str), s->port);
    freeReplyObject(r);
    c = th_connect(s);
    th_expect_status(c, "PONG", "PING");
    redisFree(c);
}

static void test_config_set_bind(void **state)
{
    th_server_t *s = *state;
    redisContext *c;
    redisReply *r = th_cmd(s->ctx, "CONFIG GET bind");
    char old[256];

    snprintf(old, sizeof(old), "%s", r->element[1]->str);
    freeReplyObject(r);
    th_expect_status(s->ctx, "OK", "CONFIG SET bind 127.0.0.1");
    c = th_connect(s);
    th_expect_status(c, "PONG", "PING");
    redisFree(c);
    /* An address this machine does not have. */
    th_expect_error(s->ctx, "ERR CONFIG SET failed (possibly related to "
                            "argument 'bind') - Failed to bind to "
                            "specified addresses.",
                    "CONFIG SET bind 192.0.2.77");
    r = th_cmd(s->ctx, "CONFIG GET bind");
    assert_string_equal(r->element[1]->str, "127.0.0.1");
    freeReplyObject(r);
    c = th_connect(s);
    th_expect_status(c, "PONG", "PING");
    redisFree(c);
    th_expect_status(s->ctx, "OK", "CONFIG SET bind %s", old);
}

/* ---------------------------------------------------------------------
 * Idle query buffers
 * ------------------------------------------------------------------ */

/* qbuf + qbuf-free of the client named name, from CLIENT LIST. */
static long long query_buffer(redisContext *c, const char *name)
{
    redisReply *r = th_cmd(c, "CLIENT LIST");
    char want[64];
    const char *line, *q, *f;

    snprintf(want, sizeof(want), " name=%s ", name);
    line = strstr(r->str, want);
    assert_non_null(line);
    q = strstr(line, " qbuf=");
    f = strstr(line, " qbuf-free=");
    assert_non_null(q);
    assert_non_null(f);
    {
        long long v = atoll(q + 6) + atoll(f + 11);
        freeReplyObject(r);
        return v;
    }
}

static void test_idle_query_buffer_released(void **state)
{
    th_server_t *s = *state;
    redisContext *c = th_connect(s);
    long long size;
    int i;

    th_expect_status(c, "OK", "CLIENT SETNAME idler");
    size = query_buffer(s->ctx, "idler");
    assert_true(size >= 16384 && size < 32768);
    for (i = 0; i < 300; i++) {
        usleep(100 * 1000);
        size = query_buffer(s->ctx, "idler");
        if (size == 0) {
            break;
        }
    }
    assert_int_equal(size, 0);
    /* The client still works: the next read gets a new buffer. */
    th_expect_status(c, "PONG", "PING");
    assert_true(query_buffer(s->ctx, "idler") > 0);
    redisFree(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_movablekeys_flag, th_test_setup),
        cmocka_unit_test_setup(test_movable_key_specs, th_test_setup),
        cmocka_unit_test_setup(test_getkeys_numkeys, th_test_setup),
        cmocka_unit_test_setup(test_getkeys_many_keys, th_test_setup),
        cmocka_unit_test_setup(test_getkeysandflags_movable, th_test_setup),
        cmocka_unit_test_setup(test_reset_client_state, th_test_setup),
        cmocka_unit_test_setup(test_reset_resp3, th_test_setup),
        cmocka_unit_test_setup(test_reset_multi_and_watch, th_test_setup),
        cmocka_unit_test_setup(test_reset_pubsub_and_monitor, th_test_setup),
        cmocka_unit_test_setup(test_reset_deauthenticates, th_test_setup),
        cmocka_unit_test_setup(test_latency_histogram, th_test_setup),
        cmocka_unit_test_setup(test_latency_tracking_off, th_test_setup),
        cmocka_unit_test_setup(test_info_latencystats, th_test_setup),
        cmocka_unit_test_setup(test_latency_doctor, th_test_setup),
        cmocka_unit_test_setup(test_commandstats_multi, th_test_setup),
        cmocka_unit_test_setup(test_config_set_port, th_test_setup),
        cmocka_unit_test_setup(test_config_set_bind, th_test_setup),
        cmocka_unit_test_setup(test_idle_query_buffer_released,
                               th_test_setup),
    };

    return cmocka_run_group_tests(tests, th_group_setup, th_group_teardown);
}
