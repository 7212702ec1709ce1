/*
 * t_server.c - connection and server commands: PING, ECHO, QUIT, SELECT,
 * HELLO, AUTH, DBSIZE, FLUSHDB, FLUSHALL, SWAPDB, TIME, LASTSAVE, SHUTDOWN,
 * MONITOR and the DEBUG subset Redis's test suite uses.
 *
 * Every reply text follows Redis 7.0.15. The server has no persistence,
 * so the commands that would save (SHUTDOWN SAVE, DEBUG RELOAD) fail the
 * way Redis fails when a save fails.
 */
#include "server.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "commands.h"

/* ---------------------------------------------------------------------
 * Authentication helpers
 * ------------------------------------------------------------------ */

/* True when the default user has a password (requirepass is set). */
static int password_configured(void)
{
    return srv.cfg.requirepass != NULL && srv.cfg.requirepass[0] != '\0';
}

/* True when c must authenticate before running ordinary commands. */
static int auth_required(const srv_client_t *c)
{
    return password_configured() && !(c->flags & SRV_CLIENT_AUTHENTICATED);
}

/* Compare a password without an early exit, so that the time taken does
 * not tell how many leading bytes matched. 1 when equal. */
static int password_matches(const resp_slice_t *pass)
{
    const char *want = srv.cfg.requirepass;
    size_t wlen = strlen(want);
    unsigned char diff = (unsigned char)(wlen != pass->len);
    size_t i;

    for (i = 0; i < pass->len; i++) {
        diff |= (unsigned char)(pass->ptr[i] ^ want[i % (wlen ? wlen : 1)]);
    }
    return diff == 0 && wlen == pass->len;
}

/* Check user/pass as Redis's default user would (no ACL users exist).
 * With no requirepass the default user is "nopass" and takes any
 * password. On success marks c authenticated and returns 1, else 0. */
static int client_authenticate(srv_client_t *c, const resp_slice_t *user,
                               const resp_slice_t *pass)
{
    if (user != NULL && !(user->len == 7 && memcmp(user->ptr, "default",
                                                   7) == 0)) {
        return 0;
    }
    if (password_configured() && !password_matches(pass)) {
        return 0;
    }
    if (!(c->flags & SRV_CLIENT_AUTHENTICATED)) {
        c->flags |= SRV_CLIENT_AUTHENTICATED;
        srv_client_apply_limits(c);
    }
    return 1;
}

/* ---------------------------------------------------------------------
 * Connection commands
 * ------------------------------------------------------------------ */

/* PING [message] */
void cmd_ping(srv_client_t *c)
{
    if (c->argc > 2) {
        srv_reply_arity_error(c);
        return;
    }
    /* A RESP2 subscriber can only receive arrays: Redis answers
     * ["pong", message] there. */
    if ((c->flags & SRV_CLIENT_PUBSUB) && c->resp == 2) {
        srv_reply_array_len(c, 2);
        srv_reply_bulk(c, "pong", 4);
        if (c->argc == 1) {
            srv_reply_bulk(c, "", 0);
        } else {
            srv_reply_bulk(c, c->argv[1].ptr, c->argv[1].len);
        }
        return;
    }
    if (c->argc == 1) {
        srv_reply_simple(c, "PONG");
    } else {
        srv_reply_bulk(c, c->argv[1].ptr, c->argv[1].len);
    }
}

/* ECHO message */
void cmd_echo(srv_client_t *c)
{
    srv_reply_bulk(c, c->argv[1].ptr, c->argv[1].len);
}

/* QUIT: +OK, then the connection closes once the reply is written; the
 * dispatcher runs nothing more for a CLOSE_AFTER_REPLY client. */
void cmd_quit(srv_client_t *c)
{
    srv_reply_ok(c);
    c->flags |= SRV_CLIENT_CLOSE_AFTER_REPLY;
    srv_client_close_async(c);
}

/* SELECT index */
void cmd_select(srv_client_t *c)
{
    int64_t id;

    if (srv_arg_ll_or_reply(c, &c->argv[1], &id, NULL) != 0) {
        return;
    }
    if (srv_db_select(c, id) != 0) {
        srv_reply_error(c, "ERR DB index is out of range");
        return;
    }
    srv_reply_ok(c);
}

/* Reply HELLO's map: server facts and this connection's id and protocol. */
static void hello_reply(srv_client_t *c)
{
    srv_reply_map_len(c, 7);
    srv_reply_bulk_cstr(c, "server");
    srv_reply_bulk_cstr(c, "redis");
    srv_reply_bulk_cstr(c, "version");
    srv_reply_bulk_cstr(c, SRV_VERSION);
    srv_reply_bulk_cstr(c, "proto");
    srv_reply_int(c, c->resp);
    srv_reply_bulk_cstr(c, "id");
    srv_reply_int(c, (int64_t)c->id);
    srv_reply_bulk_cstr(c, "mode");
    srv_reply_bulk_cstr(c, "standalone");
    srv_reply_bulk_cstr(c, "role");
    srv_reply_bulk_cstr(c, "master");
    srv_reply_bulk_cstr(c, "modules");
    srv_reply_array_len(c, 0);
}

/* Parse HELLO's options (from argv[2]): AUTH user pass, SETNAME name.
 * Stores their argument indexes (0 when absent). 0, or -1 after an
 * error reply. */
static int hello_parse_options(srv_client_t *c, int *auth_at, int *name_at)
{
    int j;

    for (j = 2; j < c->argc; j++) {
        int more = c->argc - 1 - j;
        if (srv_arg_is(&c->argv[j], "auth") && more >= 2) {
            *auth_at = j + 1;
            j += 2;
        } else if (srv_arg_is(&c->argv[j], "setname") && more >= 1) {
            *name_at = j + 1;
            j += 1;
        } else {
            srv_reply_errorf(c, "ERR Syntax error in HELLO option '%.*s'",
                             (int)c->argv[j].len, c->argv[j].ptr);
            return -1;
        }
    }
    return 0;
}

/* HELLO [protover [AUTH username password] [SETNAME clientname]] */
void cmd_hello(srv_client_t *c)
{
    int64_t ver = 0;
    int auth_at = 0, name_at = 0;

    if (c->argc >= 2) {
        if (srv_arg_ll_or_reply(c, &c->argv[1], &ver,
                                "ERR Protocol version is not an integer or "
                                "out of range") != 0) {
            return;
        }
        if (ver < 2 || ver > 3) {
            srv_reply_error(c, "NOPROTO unsupported protocol version");
            return;
        }
    }
    if (hello_parse_options(c, &auth_at, &name_at) != 0) {
        return;
    }
    if (auth_at && !client_authenticate(c, &c->argv[auth_at],
                                        &c->argv[auth_at + 1])) {
        srv_reply_error(c, "WRONGPASS invalid username-password pair or "
                           "user is disabled.");
        return;
    }
    if (auth_required(c)) {
        srv_reply_error(c, "NOAUTH HELLO must be called with the client "
                           "already authenticated, otherwise the HELLO "
                           "AUTH <user> <pass> option can be used to "
                           "authenticate the client and select the RESP "
                           "protocol version at the same time");
        return;
    }
    if (name_at && srv_client_setname_or_reply(c, &c->argv[name_at]) != 0) {
        return;
    }
    if (ver != 0) {
        c->resp = (int)ver;
        c->out.proto = (int)ver;
    }
    hello_reply(c);
}

/* AUTH [username] password */
void cmd_auth(srv_client_t *c)
{
    const resp_slice_t *user = NULL;
    const resp_slice_t *pass;

    if (c->argc > 3) {
        srv_reply_syntax_error(c);
        return;
    }
    if (c->argc == 2) {
        if (!password_configured()) {
            srv_reply_error(c, "ERR AUTH <password> called without any "
                               "password configured for the default user. "
                               "Are you sure your configuration is "
                               "correct?");
            return;
        }
        pass = &c->argv[1];
    } else {
        user = &c->argv[1];
        pass = &c->argv[2];
    }
    if (!client_authenticate(c, user, pass)) {
        srv_reply_error(c, "WRONGPASS invalid username-password pair or "
                           "user is disabled.");
        return;
    }
    srv_reply_ok(c);
}

/* ---------------------------------------------------------------------
 * Keyspace-wide commands
 * ------------------------------------------------------------------ */

/* DBSIZE */
void cmd_dbsize(srv_client_t *c)
{
    srv_reply_int(c, (int64_t)srv_db_size(c->db));
}

/* Parse FLUSHDB/FLUSHALL's optional ASYNC|SYNC: stores 1 for async, 0 for
 * sync, the lazyfree-lazy-user-flush default when absent. 0, or -1 after
 * a syntax error reply. */
static int flush_parse_mode(srv_client_t *c, int *async)
{
    *async = srv.cfg.lazyfree_lazy_user_flush;
    if (c->argc == 1) {
        return 0;
    }
    if (c->argc == 2 && srv_arg_is(&c->argv[1], "async")) {
        *async = 1;
        return 0;
    }
    if (c->argc == 2 && srv_arg_is(&c->argv[1], "sync")) {
        *async = 0;
        return 0;
    }
    srv_reply_syntax_error(c);
    return -1;
}

/* FLUSHDB [ASYNC|SYNC] */
void cmd_flushdb(srv_client_t *c)
{
    int async;

    if (flush_parse_mode(c, &async) != 0) {
        return;
    }
    srv_db_flush(c->db->id, async);
    srv_reply_ok(c);
}

/* FLUSHALL [ASYNC|SYNC] */
void cmd_flushall(srv_client_t *c)
{
    int async;

    if (flush_parse_mode(c, &async) != 0) {
        return;
    }
    srv_db_flush(-1, async);
    srv_reply_ok(c);
}

/* SWAPDB index1 index2 */
void cmd_swapdb(srv_client_t *c)
{
    int64_t a, b;

    if (srv_arg_range_or_reply(c, &c->argv[1], INT32_MIN, INT32_MAX, &a,
                               "ERR invalid first DB index") != 0) {
        return;
    }
    if (srv_arg_range_or_reply(c, &c->argv[2], INT32_MIN, INT32_MAX, &b,
                               "ERR invalid second DB index") != 0) {
        return;
    }
    if (srv_db_swap((int)a, (int)b) != 0) {
        srv_reply_error(c, "ERR DB index is out of range");
        return;
    }
    srv_reply_ok(c);
}

/* TIME: [unix seconds, microseconds] as bulk strings. */
void cmd_time(srv_client_t *c)
{
    int64_t us = srv_ustime_now();

    srv_reply_array_len(c, 2);
    srv_reply_bulk_int(c, us / 1000000);
    srv_reply_bulk_int(c, us % 1000000);
}

/* LASTSAVE: nothing is ever saved, so, as a Redis that never saved, the
 * start time. */
void cmd_lastsave(srv_client_t *c)
{
    srv_reply_int(c, srv.start_time_ms / 1000);
}

/* ---------------------------------------------------------------------
 * SHUTDOWN
 * ------------------------------------------------------------------ */

enum {
    SHUT_NOSAVE = 1 << 0,
    SHUT_SAVE = 1 << 1,
    SHUT_NOW = 1 << 2,
    SHUT_FORCE = 1 << 3,
};

/* Parse SHUTDOWN's flags into *flags and *abort. 0, or -1 after a syntax
 * error reply (unknown word or an illegal combination). */
static int shutdown_parse(srv_client_t *c, int *flags, int *abort_req)
{
    int j;

    for (j = 1; j < c->argc; j++) {
        const resp_slice_t *a = &c->argv[j];
        if (srv_arg_is(a, "nosave")) {
            *flags |= SHUT_NOSAVE;
        } else if (srv_arg_is(a, "save")) {
            *flags |= SHUT_SAVE;
        } else if (srv_arg_is(a, "now")) {
            *flags |= SHUT_NOW;
        } else if (srv_arg_is(a, "force")) {
            *flags |= SHUT_FORCE;
        } else if (srv_arg_is(a, "abort")) {
            *abort_req = 1;
        } else {
            srv_reply_syntax_error(c);
            return -1;
        }
    }
    if ((*abort_req && *flags != 0) ||
        ((*flags & SHUT_NOSAVE) && (*flags & SHUT_SAVE))) {
        srv_reply_syntax_error(c);
        return -1;
    }
    return 0;
}

/* SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT]
 * The shutdown itself is immediate (no replicas to wait for), so ABORT
 * never finds one in progress. SAVE fails as a failed RDB save does in
 * Redis, unless FORCE says to exit anyway. The caller gets no reply on
 * success: the connection closes as the server exits. */
void cmd_shutdown(srv_client_t *c)
{
    int flags = 0, abort_req = 0;

    if (shutdown_parse(c, &flags, &abort_req) != 0) {
        return;
    }
    if (abort_req) {
        srv_reply_error(c, "ERR No shutdown in progress.");
        return;
    }
    if (flags & SHUT_SAVE) {
        if (!(flags & SHUT_FORCE)) {
            srv_log(SRV_LOG_WARNING, "Error trying to save the DB, can't "
                                     "exit: this server has no "
                                     "persistence.");
            srv_reply_error(c, "ERR Errors trying to SHUTDOWN. Check logs.");
            return;
        }
        srv_log(SRV_LOG_WARNING, "Error trying to save the DB. Exit anyway.");
    }
    srv_log(SRV_LOG_WARNING, "User requested shutdown...");
    srv_shutdown(0);
}

/* ---------------------------------------------------------------------
 * MONITOR
 * ------------------------------------------------------------------ */

/* MONITOR: from now on c receives every command the server runs. A client
 * already monitoring gets no second +OK (as in Redis). srv.monitors is a
 * libc-realloc'ed array; client.c removes c from it when c goes. */
void cmd_monitor(srv_client_t *c)
{
    srv_client_t **grown;

    if (c->flags & SRV_CLIENT_MONITOR) {
        return;
    }
    grown = realloc(srv.monitors, (srv.nmonitors + 1) * sizeof(*grown));
    if (grown == NULL) {
        srv_reply_oom(c);
        return;
    }
    srv.monitors = grown;
    srv.monitors[srv.nmonitors++] = c;
    c->flags |= SRV_CLIENT_MONITOR;
    srv_reply_ok(c);
}

/* ---------------------------------------------------------------------
 * DEBUG
 * ------------------------------------------------------------------ */

/* True when c connects over loopback or a unix socket. */
static int client_is_local(const srv_client_t *c)
{
    if (c->flags & SRV_CLIENT_UNIX_SOCKET) {
        return 1;
    }
    return strncmp(c->addr, "127.", 4) == 0 ||
           strncmp(c->addr, "::1:", 4) == 0 ||
           strncmp(c->addr, "[::1]", 5) == 0;
}

/* enable-debug-command: 0 no, 1 yes, 2 local. */
static int debug_allowed(const srv_client_t *c)
{
    return srv.cfg.enable_debug_command == 1 ||
           (srv.cfg.enable_debug_command == 2 && client_is_local(c));
}

/* The length of `len` as RDB writes it (rdbSaveLen). */
static size_t rdb_len_size(uint64_t len)
{
    if (len < (1u << 6)) {
        return 1;
    }
    if (len < (1u << 14)) {
        return 2;
    }
    return len <= UINT32_MAX ? 5 : 9;
}

/* Bytes a string value would take in an RDB file, without compression
 * (Redis's rdbSavedObjectLen for strings): small integers are stored in
 * 2, 3 or 5 bytes, everything else as length + bytes. */
static size_t string_serialized_len(const hp_obj_t *o)
{
    int64_t v;

    if (hp_str_get_int(o, &v) == 0 && hp_str_len(o) <= 11) {
        if (v >= INT8_MIN && v <= INT8_MAX) {
            return 2;
        }
        if (v >= INT16_MIN && v <= INT16_MAX) {
            return 3;
        }
        if (v >= INT32_MIN && v <= INT32_MAX) {
            return 5;
        }
    }
    return rdb_len_size(hp_str_len(o)) + hp_str_len(o);
}

/* The 24-bit seconds clock Redis shows as lru. */
static uint32_t lru_clock(void)
{
    return (uint32_t)((srv_mstime_now() / 1000) & ((1 << 24) - 1));
}

/* DEBUG OBJECT key: Redis's status line; lru is the binding's 24-bit
 * LRU clock (seconds), derived back from its idle time. */
static void debug_object(srv_client_t *c)
{
    const resp_slice_t *key = &c->argv[2];
    hp_obj_t *o = srv_db_lookup_nostats(c->db, key->ptr, key->len);
    int64_t idle_s = srv_db_idle_ms(c->db, key->ptr, key->len) / 1000;
    char line[256];

    if (o == NULL) {
        srv_reply_no_such_key(c);
        return;
    }
    if (idle_s < 0) {
        idle_s = 0;
    }
    snprintf(line, sizeof(line),
             "Value at:%p refcount:%u encoding:%s serializedlength:%zu "
             "lru:%u lru_seconds_idle:%lld",
             (void *)o,
             o->refcount == HP_REFCOUNT_IMMORTAL ? (unsigned)INT32_MAX
                                                 : (unsigned)o->refcount,
             hp_encoding_name(o),
             o->type == HP_TYPE_STRING ? string_serialized_len(o)
                                       : hp_obj_mem(o),
             (unsigned)((lru_clock() - (uint32_t)idle_s) & ((1u << 24) - 1)),
             (long long)idle_s);
    srv_reply_simple(c, line);
}

/* DEBUG SLEEP seconds: block the whole server (for tests). */
static void debug_sleep(srv_client_t *c)
{
    char buf[64];
    size_t n = c->argv[2].len < sizeof(buf) - 1 ? c->argv[2].len
                                                : sizeof(buf) - 1;
    double secs;
    struct timespec ts;

    memcpy(buf, c->argv[2].ptr, n);
    buf[n] = '\0';
    secs = strtod(buf, NULL);
    if (secs > 0) {
        ts.tv_sec = (time_t)secs;
        ts.tv_nsec = (long)((secs - (double)ts.tv_sec) * 1e9);
        while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
        }
    }
    srv_reply_ok(c);
}

/* Parse a DEBUG POPULATE count/size: an integer >= 0, else Redis's one
 * error for both cases. 0, or -1 after the error reply. */
static int positive_or_reply(srv_client_t *c, const resp_slice_t *a,
                             int64_t *out)
{
    if (srv_parse_ll(a->ptr, a->len, out) != 0 || *out < 0) {
        srv_reply_error(c, "ERR value is out of range, must be positive");
        return -1;
    }
    return 0;
}

/* The value DEBUG POPULATE stores for key number j: "value:<j>", cut or
 * zero-padded to size bytes when size > 0. New reference or NULL. */
static hp_obj_t *populate_value(uint64_t j, int64_t size)
{
    char buf[64];
    int n = snprintf(buf, sizeof(buf), "value:%llu", (unsigned long long)j);
    char *padded;
    hp_obj_t *o;

    if (size == 0) {
        return hp_str_new(buf, (size_t)n);
    }
    padded = hp_calloc(1, (size_t)size);
    if (padded == NULL) {
        return NULL;
    }
    memcpy(padded, buf, (size_t)(size < n ? size : n));
    o = hp_str_new(padded, (size_t)size);
    hp_free(padded);
    return o;
}

/* DEBUG POPULATE count [prefix] [size]: create keys <prefix>:<n> (prefix
 * "key") holding "value:<n>", skipping keys that exist. */
static void debug_populate(srv_client_t *c)
{
    int64_t count, size = 0;
    char key[256];
    uint64_t j;

    if (positive_or_reply(c, &c->argv[2], &count) != 0 ||
        (c->argc == 5 && positive_or_reply(c, &c->argv[4], &size) != 0)) {
        return;
    }
    for (j = 0; j < (uint64_t)count; j++) {
        const char *prefix = c->argc >= 4 ? c->argv[3].ptr : "key";
        int plen = c->argc >= 4 ? (int)c->argv[3].len : 3;
        int n = snprintf(key, sizeof(key), "%.*s:%llu", plen, prefix,
                         (unsigned long long)j);
        hp_obj_t *val;

        if (n < 0 || (size_t)n >= sizeof(key)) {
            n = (int)sizeof(key) - 1;
        }
        if (srv_db_lookup_write(c->db, key, (size_t)n) != NULL) {
            continue;
        }
        val = populate_value(j, size);
        if (val == NULL || srv_db_add(c->db, key, (size_t)n, val) < 0) {
            hp_decref(val);
            srv_reply_oom(c);
            return;
        }
        hp_decref(val);
    }
    srv_reply_ok(c);
}

/* The output buffer for a RESP3 type that has no srv_reply_* writer
 * (bignum, attribute, push), with the same gating as reply.c: NULL when
 * replies are off or skipped or the client is closing. */
static resp_buf_t *raw_out(srv_client_t *c)
{
    if (c->reply_mode == SRV_REPLY_OFF || c->reply_mode == SRV_REPLY_SKIP ||
        (c->flags & (SRV_CLIENT_CLOSE_ASAP | SRV_CLIENT_CLOSING))) {
        return NULL;
    }
    if (!c->pending_write) {
        srv_client_schedule_write(c);
    }
    return &c->out;
}

/* DEBUG PROTOCOL attrib: an attribute (RESP3 only) then a real reply. */
static void debug_protocol_attrib(srv_client_t *c)
{
    resp_buf_t *b;

    if (c->resp >= 3 && (b = raw_out(c)) != NULL) {
        resp_buf_append(b, "|1\r\n", 4);
        resp_write_bulk(b, "key-popularity", 14);
        resp_write_array_len(b, 2);
        resp_write_bulk(b, "key:123", 7);
        resp_write_int(b, 90);
    }
    srv_reply_bulk_cstr(c, "Some real reply following the attribute");
}

/* DEBUG PROTOCOL push: a push message (RESP3 only) then a real reply. */
static void debug_protocol_push(srv_client_t *c)
{
    resp_buf_t *b;

    if (c->resp < 3) {
        srv_reply_error(c, "ERR RESP2 is not supported by this command");
        return;
    }
    if ((b = raw_out(c)) != NULL) {
        resp_write_push_len(b, 2);
        resp_write_bulk(b, "server-cpu-usage", 16);
        resp_write_int(b, 42);
    }
    srv_reply_bulk_cstr(c, "Some real reply following the push reply");
}

/* DEBUG PROTOCOL map: {0: false, 1: true, 2: false}. */
static void debug_protocol_map(srv_client_t *c)
{
    int j;

    srv_reply_map_len(c, 3);
    for (j = 0; j < 3; j++) {
        srv_reply_int(c, j);
        srv_reply_bool(c, j == 1);
    }
}

/* DEBUG PROTOCOL <type>: a fixed sample of each reply type (client
 * library tests). 1 if the type is known, else 0. */
static int debug_protocol_reply(srv_client_t *c, const resp_slice_t *t)
{
    resp_buf_t *b;
    int j;

    if (srv_arg_is(t, "string")) {
        srv_reply_bulk_cstr(c, "Hello World");
    } else if (srv_arg_is(t, "integer")) {
        srv_reply_int(c, 12345);
    } else if (srv_arg_is(t, "double")) {
        srv_reply_double(c, 3.141);
    } else if (srv_arg_is(t, "bignum")) {
        if ((b = raw_out(c)) != NULL) {
            resp_write_bignum(b, "1234567999999999999999999999999999999",
                              37);
        }
    } else if (srv_arg_is(t, "null")) {
        srv_reply_null(c);
    } else if (srv_arg_is(t, "array") || srv_arg_is(t, "set")) {
        if (srv_arg_is(t, "set")) {
            srv_reply_set_len(c, 3);
        } else {
            srv_reply_array_len(c, 3);
        }
        for (j = 0; j < 3; j++) {
            srv_reply_int(c, j);
        }
    } else if (srv_arg_is(t, "map")) {
        debug_protocol_map(c);
    } else if (srv_arg_is(t, "attrib")) {
        debug_protocol_attrib(c);
    } else if (srv_arg_is(t, "push")) {
        debug_protocol_push(c);
    } else if (srv_arg_is(t, "verbatim")) {
        srv_reply_verbatim(c, "This is a verbatim\nstring", 25, "txt");
    } else if (srv_arg_is(t, "true") || srv_arg_is(t, "false")) {
        srv_reply_bool(c, srv_arg_is(t, "true"));
    } else {
        return 0;
    }
    return 1;
}

/* DEBUG PROTOCOL <type> */
static void debug_protocol(srv_client_t *c)
{
    if (!debug_protocol_reply(c, &c->argv[2])) {
        srv_reply_error(c, "ERR Wrong protocol type name. Please use one of "
                           "the following: string|integer|double|bignum|"
                           "null|array|set|map|attrib|push|verbatim|true|"
                           "false");
    }
}

static const char *const debug_help_lines[] = {
    "DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CHANGE-REPL-ID",
    "    Change the replication IDs of the instance.",
    "    Dangerous: should be used only for testing the replication "
    "subsystem.",
    "OBJECT <key>",
    "    Show low level info about `key` and associated value.",
    "POPULATE <count> [<prefix>] [<size>]",
    "    Create <count> string keys named key:<num>. If <prefix> is "
    "specified then",
    "    it is used instead of the 'key' prefix.",
    "PROTOCOL <type>",
    "    Reply with a test value of the specified type. <type> can be: "
    "string,",
    "    integer, double, bignum, null, array, set, map, attrib, push, "
    "verbatim,",
    "    true, false.",
    "RELOAD [option ...]",
    "    Not supported: this server has no persistence.",
    "SET-ACTIVE-EXPIRE <0|1>",
    "    Setting it to 0 disables expiring keys in background when they "
    "are not",
    "    accessed (otherwise the Redis behavior). Setting it to 1 reenables "
    "back the",
    "    default.",
    "SLEEP <seconds>",
    "    Stop the server for <seconds>. Decimals allowed.",
    "HELP",
    "    Prints this help.",
    NULL,
};

/* Run the DEBUG subcommand named by argv[1]. 1 if handled, 0 when the
 * name/argument count is unknown. */
static int debug_dispatch(srv_client_t *c)
{
    const resp_slice_t *sub = &c->argv[1];

    if (c->argc == 2 && srv_arg_is(sub, "help")) {
        srv_reply_help(c, debug_help_lines);
    } else if (c->argc == 3 && srv_arg_is(sub, "object")) {
        debug_object(c);
    } else if (c->argc >= 3 && c->argc <= 5 &&
               srv_arg_is(sub, "populate")) {
        debug_populate(c);
    } else if (c->argc == 3 && srv_arg_is(sub, "protocol")) {
        debug_protocol(c);
    } else if (c->argc == 3 && srv_arg_is(sub, "sleep")) {
        debug_sleep(c);
    } else if (c->argc == 3 && srv_arg_is(sub, "set-active-expire")) {
        int64_t v = 0;
        srv_parse_ll(c->argv[2].ptr, c->argv[2].len, &v);
        srv.cfg.active_expire_enabled = v != 0;
        srv_reply_ok(c);
    } else if (c->argc == 2 && srv_arg_is(sub, "change-repl-id")) {
        srv_info_new_replid();
        srv_reply_ok(c);
    } else if (c->argc >= 2 && srv_arg_is(sub, "reload")) {
        srv_reply_error(c, "ERR DEBUG RELOAD is not supported: this server "
                           "has no persistence (no RDB to save or load)");
    } else {
        return 0;
    }
    return 1;
}

/* DEBUG subcommand [args ...] */
void cmd_debug(srv_client_t *c)
{
    if (!debug_allowed(c)) {
        srv_reply_error(c, "ERR DEBUG command not allowed. If the "
                           "enable-debug-command option is set to \"local\", "
                           "you can run it from a local connection, "
                           "otherwise you need to set this option in the "
                           "configuration file, and then restart the "
                           "server.");
        return;
    }
    if (!debug_dispatch(c)) {
        srv_reply_errorf(c, "ERR unknown subcommand or wrong number of "
                            "arguments for '%.*s'. Try DEBUG HELP.",
                         (int)c->argv[1].len, c->argv[1].ptr);
    }
}
