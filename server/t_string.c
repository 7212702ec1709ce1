/*
 * t_string.c - the string commands: GET/SET and their variants, MGET/MSET,
 * APPEND, SETRANGE/GETRANGE, the INCR family, INCRBYFLOAT and LCS, with
 * Redis 7.0's replies and error texts.
 *
 * Values are bound with hp_str_new_encoded so OBJECT ENCODING reports int,
 * embstr or raw as Redis would. Commands that modify a value (APPEND,
 * SETRANGE, INCR*) change the bound object in place when it is private, so
 * the change is seen through every name bound to it (heap/HEAP.md); a
 * shared immortal integer is never mutated but replaced by a private copy
 * bound to the same name. Commands that set a key bind a new object.
 */
#include "commands.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "heap.h"
#include "resp.h"
#include "server.h"

/* Options of SET and GETEX (Redis's OBJ_SET_* flags). */
#define OPT_NX (1u << 0)
#define OPT_XX (1u << 1)
#define OPT_GET (1u << 2)
#define OPT_KEEPTTL (1u << 3)
#define OPT_PERSIST (1u << 4)
#define OPT_EX (1u << 5)   /* relative seconds */
#define OPT_PX (1u << 6)   /* relative milliseconds */
#define OPT_EXAT (1u << 7) /* absolute unix seconds */
#define OPT_PXAT (1u << 8) /* absolute unix milliseconds */
#define OPT_EXPIRE (OPT_EX | OPT_PX | OPT_EXAT | OPT_PXAT)

/* Which command the options belong to: each accepts a different set. */
enum opt_kind { OPTS_FOR_SET, OPTS_FOR_GETEX };

/* How SET-like commands reply when they set, or abort on NX/XX. */
enum set_reply { SET_REPLY_OK_NULL, SET_REPLY_ONE_ZERO };

/* Size limit text of Redis 7.0 (checkStringLength). */
#define ERR_TOO_BIG                                                       \
    "ERR string exceeds maximum allowed size (proto-max-bulk-len)"

/* ---------------------------------------------------------------------
 * Helpers
 * ------------------------------------------------------------------ */

/* The key argument argv[i] as (ptr, len) for srv_db_* calls. */
#define KEY(c, i) (c)->argv[(i)].ptr, (c)->argv[(i)].len

/* Reply WRONGTYPE and return 1 when o exists and is not a string. */
static int not_string_reply(srv_client_t *c, const hp_obj_t *o)
{
    if (o && o->type != HP_TYPE_STRING) {
        srv_reply_wrongtype(c);
        return 1;
    }
    return 0;
}

/* Whether total bytes exceed proto-max-bulk-len (size limit of every
 * string a command builds). */
static int too_big(uint64_t base, uint64_t add)
{
    uint64_t max = (uint64_t)srv.cfg.proto_max_bulk_len;

    return base > max || add > max - base;
}

/* Bind key argv[ki] to val (the caller keeps its reference). flags as
 * srv_db_set. Replies the OOM error and returns -1 on failure. */
static int bind_or_reply(srv_client_t *c, int ki, hp_obj_t *val, int flags)
{
    if (srv_db_set(c->db, KEY(c, ki), val, flags) < 0) {
        srv_reply_oom(c);
        return -1;
    }
    return 0;
}

/* Borrowed reference to a private string bound to key argv[ki] that may
 * be mutated in place: o itself, or for a shared immortal o a new private
 * copy bound in its place (TTL kept). NULL on OOM (replied). */
static hp_obj_t *private_value(srv_client_t *c, int ki, hp_obj_t *o)
{
    char buf[HP_INT_BUF];
    const char *s;
    size_t len;
    hp_obj_t *copy;
    int rc;

    if (!hp_obj_is_shared(o))
        return o;
    s = hp_str_bytes(o, buf, &len);
    copy = hp_str_new(s, len);
    if (!copy) {
        srv_reply_oom(c);
        return NULL;
    }
    rc = bind_or_reply(c, ki, copy, SRV_SET_KEEPTTL);
    hp_decref(copy); /* the keyspace holds it now, or it is freed */
    return rc < 0 ? NULL : copy;
}

/* ---------------------------------------------------------------------
 * SET and friends
 * ------------------------------------------------------------------ */

/* Whether argv[j] of SET/GETEX is the option name and may be taken given
 * the options seen so far. */
static int opt_allowed(unsigned flags, unsigned opt, enum opt_kind kind)
{
    switch (opt) {
    case OPT_NX:
        return kind == OPTS_FOR_SET && !(flags & OPT_XX);
    case OPT_XX:
        return kind == OPTS_FOR_SET && !(flags & OPT_NX);
    case OPT_GET:
        return kind == OPTS_FOR_SET;
    case OPT_KEEPTTL:
        return kind == OPTS_FOR_SET && !(flags & (OPT_PERSIST | OPT_EXPIRE));
    case OPT_PERSIST:
        return kind == OPTS_FOR_GETEX &&
               !(flags & (OPT_KEEPTTL | OPT_EXPIRE));
    default: /* one of the expire options: no other kind of TTL option */
        return !(flags & (OPT_KEEPTTL | OPT_PERSIST)) &&
               !(flags & OPT_EXPIRE & ~opt);
    }
}

/* The option flag named by a, or 0 when it names none. */
static unsigned opt_named(const resp_slice_t *a)
{
    static const struct {
        const char *name;
        unsigned flag;
    } names[] = {
        {"nx", OPT_NX},           {"xx", OPT_XX},
        {"get", OPT_GET},         {"keepttl", OPT_KEEPTTL},
        {"persist", OPT_PERSIST}, {"ex", OPT_EX},
        {"px", OPT_PX},           {"exat", OPT_EXAT},
        {"pxat", OPT_PXAT},
    };
    size_t i;

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (srv_arg_is(a, names[i].name))
            return names[i].flag;
    }
    return 0;
}

/* Parse the options of SET (from argv[3]) or GETEX (from argv[2]) as
 * Redis 7.0's parseExtendedStringArgumentsOrReply: repeating an option is
 * allowed, conflicting ones are a syntax error. *expire is the time
 * argument (borrowed) or NULL. 0, or -1 after replying the error. */
static int parse_opts(srv_client_t *c, int first, enum opt_kind kind,
                      unsigned *flags, const resp_slice_t **expire)
{
    int j;

    *flags = 0;
    *expire = NULL;
    for (j = first; j < c->argc; j++) {
        unsigned opt = opt_named(&c->argv[j]);

        if (!opt || !opt_allowed(*flags, opt, kind))
            goto syntax;
        if (opt & OPT_EXPIRE) {
            if (j + 1 >= c->argc)
                goto syntax;
            *expire = &c->argv[++j];
        }
        *flags |= opt;
    }
    return 0;
syntax:
    srv_reply_syntax_error(c);
    return -1;
}

/* Absolute unix ms from the time argument of an OPT_EX/PX/EXAT/PXAT
 * option in flags, checked as Redis's getExpireMillisecondsOrReply
 * (positive, no overflow). 0, or -1 after replying the error. */
static int expire_at_or_reply(srv_client_t *c, const resp_slice_t *arg,
                              unsigned flags, int64_t *when)
{
    int seconds = (flags & (OPT_EX | OPT_EXAT)) != 0;
    int64_t v, now;

    if (srv_arg_ll_or_reply(c, arg, &v, NULL) < 0)
        return -1;
    if (v <= 0 || (seconds && v > INT64_MAX / 1000))
        goto invalid;
    if (seconds)
        v *= 1000;
    if (flags & (OPT_EX | OPT_PX)) {
        now = srv_mstime();
        if (v > INT64_MAX - now)
            goto invalid;
        v += now;
    }
    *when = v;
    return 0;
invalid:
    srv_reply_errorf(c, "ERR invalid expire time in '%s' command",
                     c->cmd->name);
    return -1;
}

/* Reply o as GET does: null, WRONGTYPE (returns -1) or its value. */
static int reply_get(srv_client_t *c, const hp_obj_t *o)
{
    if (!o) {
        srv_reply_null(c);
        return 0;
    }
    if (not_string_reply(c, o))
        return -1;
    srv_reply_obj(c, o);
    return 0;
}

/* The common body of SET, SETNX, SETEX and PSETEX (Redis's
 * setGenericCommand): key argv[1], value argv[vi], options in flags, the
 * time argument in expire (or NULL). */
static void set_generic(srv_client_t *c, unsigned flags, int vi,
                        const resp_slice_t *expire, enum set_reply style)
{
    const resp_slice_t *v = &c->argv[vi];
    hp_obj_t *o = NULL, *val;
    int64_t when = 0;
    int found = 0;

    if (expire && expire_at_or_reply(c, expire, flags, &when) < 0)
        return;
    if (flags & OPT_GET) {
        o = srv_db_lookup_read(c->db, KEY(c, 1));
        if (reply_get(c, o) < 0)
            return;
        found = o != NULL;
    } else if (flags & (OPT_NX | OPT_XX)) {
        found = srv_db_lookup_write(c->db, KEY(c, 1)) != NULL;
    }
    if (((flags & OPT_NX) && found) || ((flags & OPT_XX) && !found)) {
        if (flags & OPT_GET)
            return;
        if (style == SET_REPLY_ONE_ZERO)
            srv_reply_int(c, 0);
        else
            srv_reply_null(c);
        return;
    }
    val = hp_str_new_encoded(v->ptr, v->len);
    if (!val || srv_db_set(c->db, KEY(c, 1), val,
                           (flags & OPT_KEEPTTL) ? SRV_SET_KEEPTTL : 0) < 0) {
        hp_decref(val);
        if (!(flags & OPT_GET)) /* one reply per command */
            srv_reply_oom(c);
        return;
    }
    hp_decref(val);
    srv_notify(SRV_NOTIFY_STRING, "set", c->db, KEY(c, 1));
    if (expire) {
        srv_db_set_expire(c->db, KEY(c, 1), when);
        srv_notify(SRV_NOTIFY_GENERIC, "expire", c->db, KEY(c, 1));
    }
    if (flags & OPT_GET)
        return;
    if (style == SET_REPLY_ONE_ZERO)
        srv_reply_int(c, 1);
    else
        srv_reply_ok(c);
}

/* GET key */
void cmd_get(srv_client_t *c)
{
    reply_get(c, srv_db_lookup_read(c->db, KEY(c, 1)));
}

/* SET key value [NX | XX] [GET] [EX s | PX ms | EXAT ts | PXAT ms-ts |
 * KEEPTTL] */
void cmd_set(srv_client_t *c)
{
    const resp_slice_t *expire = NULL;
    unsigned flags = 0;

    if (c->argc > 3 &&
        parse_opts(c, 3, OPTS_FOR_SET, &flags, &expire) < 0)
        return;
    set_generic(c, flags, 2, expire, SET_REPLY_OK_NULL);
}

/* SETNX key value */
void cmd_setnx(srv_client_t *c)
{
    set_generic(c, OPT_NX, 2, NULL, SET_REPLY_ONE_ZERO);
}

/* SETEX key seconds value */
void cmd_setex(srv_client_t *c)
{
    set_generic(c, OPT_EX, 3, &c->argv[2], SET_REPLY_OK_NULL);
}

/* PSETEX key milliseconds value */
void cmd_psetex(srv_client_t *c)
{
    set_generic(c, OPT_PX, 3, &c->argv[2], SET_REPLY_OK_NULL);
}

/* GETSET key value: the old value, then the key is set (TTL dropped). */
void cmd_getset(srv_client_t *c)
{
    set_generic(c, OPT_GET, 2, NULL, SET_REPLY_OK_NULL);
}

/* GETDEL key */
void cmd_getdel(srv_client_t *c)
{
    hp_obj_t *o = srv_db_lookup_read(c->db, KEY(c, 1));

    if (reply_get(c, o) < 0 || !o)
        return;
    if (srv_db_delete(c->db, KEY(c, 1)))
        srv_notify(SRV_NOTIFY_GENERIC, "del", c->db, KEY(c, 1));
}

/* GETEX key [EX s | PX ms | EXAT ts | PXAT ms-ts | PERSIST] */
void cmd_getex(srv_client_t *c)
{
    const resp_slice_t *expire;
    unsigned flags;
    int64_t when = 0;
    hp_obj_t *o;

    if (parse_opts(c, 2, OPTS_FOR_GETEX, &flags, &expire) < 0)
        return;
    o = srv_db_lookup_read(c->db, KEY(c, 1));
    if (!o) {
        srv_reply_null(c);
        return;
    }
    if (not_string_reply(c, o))
        return;
    if (expire && expire_at_or_reply(c, expire, flags, &when) < 0)
        return;
    srv_reply_obj(c, o);
    /* An absolute time already past deletes the key, as in Redis. */
    if ((flags & (OPT_EXAT | OPT_PXAT)) && when <= srv_mstime()) {
        if (srv_db_delete(c->db, KEY(c, 1)))
            srv_notify(SRV_NOTIFY_GENERIC, "del", c->db, KEY(c, 1));
    } else if (expire && srv_db_set_expire(c->db, KEY(c, 1), when) == 0) {
        srv_db_signal_modified(c->db, KEY(c, 1));
        srv_notify(SRV_NOTIFY_GENERIC, "expire", c->db, KEY(c, 1));
    } else if ((flags & OPT_PERSIST) && srv_db_persist(c->db, KEY(c, 1))) {
        srv_db_signal_modified(c->db, KEY(c, 1));
        srv_notify(SRV_NOTIFY_GENERIC, "persist", c->db, KEY(c, 1));
    }
}

/* MGET key [key ...]: nulls for missing keys and non-strings. */
void cmd_mget(srv_client_t *c)
{
    int j;

    srv_reply_array_len(c, c->argc - 1);
    for (j = 1; j < c->argc; j++) {
        hp_obj_t *o = srv_db_lookup_read(c->db, KEY(c, j));

        if (o && o->type == HP_TYPE_STRING)
            srv_reply_obj(c, o);
        else
            srv_reply_null(c);
    }
}

/* MSET and MSETNX: bind every pair; with nx, nothing when any key
 * exists. Replies OK (MSET) or 1/0 (MSETNX). */
static void mset_generic(srv_client_t *c, int nx)
{
    int j;

    if (c->argc % 2 == 0) {
        srv_reply_arity_error(c);
        return;
    }
    if (nx) {
        for (j = 1; j < c->argc; j += 2) {
            if (srv_db_lookup_write(c->db, KEY(c, j))) {
                srv_reply_int(c, 0);
                return;
            }
        }
    }
    for (j = 1; j < c->argc; j += 2) {
        const resp_slice_t *v = &c->argv[j + 1];
        hp_obj_t *val = hp_str_new_encoded(v->ptr, v->len);
        int rc = val ? srv_db_set(c->db, KEY(c, j), val, 0) : -ENOMEM;

        hp_decref(val);
        if (rc < 0) {
            srv_reply_oom(c);
            return;
        }
        srv_notify(SRV_NOTIFY_STRING, "set", c->db, KEY(c, j));
    }
    if (nx)
        srv_reply_int(c, 1);
    else
        srv_reply_ok(c);
}

/* MSET key value [key value ...] */
void cmd_mset(srv_client_t *c)
{
    mset_generic(c, 0);
}

/* MSETNX key value [key value ...] */
void cmd_msetnx(srv_client_t *c)
{
    mset_generic(c, 1);
}

/* ---------------------------------------------------------------------
 * APPEND, STRLEN, SETRANGE, GETRANGE
 * ------------------------------------------------------------------ */

/* APPEND key value: the new length. */
void cmd_append(srv_client_t *c)
{
    const resp_slice_t *v = &c->argv[2];
    hp_obj_t *o = srv_db_lookup_write(c->db, KEY(c, 1));
    int rc;

    if (!o) {
        o = hp_str_new_encoded(v->ptr, v->len);
        rc = o ? bind_or_reply(c, 1, o, 0) : (srv_reply_oom(c), -1);
        hp_decref(o);
        if (rc == 0) {
            srv_notify(SRV_NOTIFY_STRING, "append", c->db, KEY(c, 1));
            srv_reply_int(c, (int64_t)v->len);
        }
        return;
    }
    if (not_string_reply(c, o))
        return;
    if (too_big(hp_str_len(o), v->len)) {
        srv_reply_error(c, ERR_TOO_BIG);
        return;
    }
    o = private_value(c, 1, o);
    if (!o)
        return;
    if (hp_str_append(o, v->ptr, v->len) < 0) {
        srv_reply_oom(c);
        return;
    }
    srv_db_signal_modified(c->db, KEY(c, 1));
    srv_notify(SRV_NOTIFY_STRING, "append", c->db, KEY(c, 1));
    srv_reply_int(c, (int64_t)hp_str_len(o));
}

/* STRLEN key */
void cmd_strlen(srv_client_t *c)
{
    hp_obj_t *o = srv_db_lookup_read(c->db, KEY(c, 1));

    if (not_string_reply(c, o))
        return;
    srv_reply_int(c, o ? (int64_t)hp_str_len(o) : 0);
}

/* SETRANGE on a missing key: a new raw string of offset zero bytes then
 * v (nothing at all for an empty v). */
static void setrange_new(srv_client_t *c, uint64_t offset,
                         const resp_slice_t *v)
{
    hp_obj_t *o;
    int rc;

    if (v->len == 0) {
        srv_reply_int(c, 0);
        return;
    }
    if (too_big(offset, v->len)) {
        srv_reply_error(c, ERR_TOO_BIG);
        return;
    }
    o = hp_str_new_zeroed(offset + v->len);
    if (!o || hp_str_setrange(o, offset, v->ptr, v->len) < 0) {
        hp_decref(o);
        srv_reply_oom(c);
        return;
    }
    rc = bind_or_reply(c, 1, o, 0);
    hp_decref(o);
    if (rc == 0) {
        srv_notify(SRV_NOTIFY_STRING, "setrange", c->db, KEY(c, 1));
        srv_reply_int(c, (int64_t)(offset + v->len));
    }
}

/* SETRANGE key offset value: the new length. */
void cmd_setrange(srv_client_t *c)
{
    const resp_slice_t *v = &c->argv[3];
    int64_t offset;
    hp_obj_t *o;

    if (srv_arg_ll_or_reply(c, &c->argv[2], &offset, NULL) < 0)
        return;
    if (offset < 0) {
        srv_reply_error(c, "ERR offset is out of range");
        return;
    }
    o = srv_db_lookup_write(c->db, KEY(c, 1));
    if (!o) {
        setrange_new(c, (uint64_t)offset, v);
        return;
    }
    if (not_string_reply(c, o))
        return;
    if (v->len == 0) { /* nothing to write: the encoding stays */
        srv_reply_int(c, (int64_t)hp_str_len(o));
        return;
    }
    if (too_big((uint64_t)offset, v->len)) {
        srv_reply_error(c, ERR_TOO_BIG);
        return;
    }
    o = private_value(c, 1, o);
    if (!o)
        return;
    if (hp_str_setrange(o, (size_t)offset, v->ptr, v->len) < 0) {
        srv_reply_oom(c);
        return;
    }
    srv_db_signal_modified(c->db, KEY(c, 1));
    srv_notify(SRV_NOTIFY_STRING, "setrange", c->db, KEY(c, 1));
    srv_reply_int(c, (int64_t)hp_str_len(o));
}

/* GETRANGE key start end (and SUBSTR): inclusive byte range, negative
 * indexes from the end, clamped, empty when nothing is in range. */
void cmd_getrange(srv_client_t *c)
{
    char buf[HP_INT_BUF];
    int64_t start, end, len;
    const char *s;
    size_t n;
    hp_obj_t *o;

    if (srv_arg_ll_or_reply(c, &c->argv[2], &start, NULL) < 0 ||
        srv_arg_ll_or_reply(c, &c->argv[3], &end, NULL) < 0)
        return;
    o = srv_db_lookup_read(c->db, KEY(c, 1));
    if (not_string_reply(c, o))
        return;
    if (!o || (start < 0 && end < 0 && start > end)) {
        srv_reply_bulk(c, "", 0);
        return;
    }
    s = hp_str_bytes(o, buf, &n);
    len = (int64_t)n;
    if (start < 0)
        start = start + len < 0 ? 0 : start + len;
    if (end < 0)
        end = end + len < 0 ? 0 : end + len;
    if (end >= len)
        end = len - 1;
    if (len == 0 || start > end)
        srv_reply_bulk(c, "", 0);
    else
        srv_reply_bulk(c, s + start, (size_t)(end - start + 1));
}

/* SUBSTR key start end: GETRANGE's old name. */
void cmd_substr(srv_client_t *c)
{
    cmd_getrange(c);
}

/* ---------------------------------------------------------------------
 * INCR, DECR, INCRBY, DECRBY, INCRBYFLOAT
 * ------------------------------------------------------------------ */

/* Whether INCR may store v into o itself: never for shared immortals;
 * always for an object with other holders (aliases see the change); for
 * a sole holder, as Redis: when o is int-encoded and v is no shared
 * integer. */
static int incr_in_place(const hp_obj_t *o, int64_t v)
{
    if (hp_obj_is_shared(o))
        return 0;
    if (o->refcount > 1)
        return 1;
    return o->encoding == HP_ENC_INT && (v < 0 || v >= HP_SHARED_INTEGERS);
}

/* Add by to the integer at key argv[1] (0 when missing), keeping its
 * TTL; replies the new value. */
static void incr_generic(srv_client_t *c, int64_t by)
{
    hp_obj_t *o = srv_db_lookup_write(c->db, KEY(c, 1));
    hp_obj_t *val;
    int64_t v = 0;
    int rc;

    if (not_string_reply(c, o))
        return;
    if (o && hp_str_get_int(o, &v) < 0) {
        srv_reply_not_integer(c);
        return;
    }
    if ((by < 0 && v < 0 && by < INT64_MIN - v) ||
        (by > 0 && v > 0 && by > INT64_MAX - v)) {
        srv_reply_error(c, "ERR increment or decrement would overflow");
        return;
    }
    v += by;
    if (o && incr_in_place(o, v)) {
        hp_str_set_int(o, v);
        srv_db_signal_modified(c->db, KEY(c, 1));
    } else {
        val = hp_str_new_int(v);
        rc = val ? bind_or_reply(c, 1, val, SRV_SET_KEEPTTL)
                 : (srv_reply_oom(c), -1);
        hp_decref(val);
        if (rc < 0)
            return;
    }
    srv_notify(SRV_NOTIFY_STRING, "incrby", c->db, KEY(c, 1));
    srv_reply_int(c, v);
}

/* INCR key */
void cmd_incr(srv_client_t *c)
{
    incr_generic(c, 1);
}

/* DECR key */
void cmd_decr(srv_client_t *c)
{
    incr_generic(c, -1);
}

/* INCRBY key increment */
void cmd_incrby(srv_client_t *c)
{
    int64_t by;

    if (srv_arg_ll_or_reply(c, &c->argv[2], &by, NULL) < 0)
        return;
    incr_generic(c, by);
}

/* DECRBY key decrement */
void cmd_decrby(srv_client_t *c)
{
    int64_t by;

    if (srv_arg_ll_or_reply(c, &c->argv[2], &by, NULL) < 0)
        return;
    if (by == INT64_MIN) { /* -by does not exist */
        srv_reply_error(c, "ERR decrement would overflow");
        return;
    }
    incr_generic(c, -by);
}

/* The value of string o as a long double (int encodings exactly).
 * 0, or -1 after replying "not a valid float". */
static int obj_long_double_or_reply(srv_client_t *c, const hp_obj_t *o,
                                    long double *out)
{
    char buf[HP_INT_BUF];
    resp_slice_t s;

    if (o->encoding == HP_ENC_INT) {
        *out = (long double)o->v.i;
        return 0;
    }
    s.ptr = hp_str_bytes(o, buf, &s.len);
    return srv_arg_long_double_or_reply(c, &s, out, NULL);
}

/* Store the formatted INCRBYFLOAT result at key argv[1], keeping its
 * TTL: in place when o has other holders, else a new object (embstr or
 * raw by length, never int, as Redis). 0, or -1 after replying. */
static int store_float(srv_client_t *c, hp_obj_t *o, const char *s,
                       size_t len)
{
    hp_obj_t *val;
    int rc;

    if (o && !hp_obj_is_shared(o) && o->refcount > 1) {
        if (hp_str_set(o, s, len) < 0) {
            srv_reply_oom(c);
            return -1;
        }
        srv_db_signal_modified(c->db, KEY(c, 1));
        return 0;
    }
    val = hp_str_new(s, len);
    if (!val) {
        srv_reply_oom(c);
        return -1;
    }
    rc = bind_or_reply(c, 1, val, SRV_SET_KEEPTTL);
    hp_decref(val);
    return rc;
}

/* INCRBYFLOAT key increment: long double arithmetic, formatted with
 * srv_ld2str; the result is stored as a string. */
void cmd_incrbyfloat(srv_client_t *c)
{
    char buf[5 * 1024]; /* Redis's MAX_LONG_DOUBLE_CHARS */
    long double v = 0, by;
    hp_obj_t *o = srv_db_lookup_write(c->db, KEY(c, 1));
    size_t len;

    if (not_string_reply(c, o))
        return;
    if (o && obj_long_double_or_reply(c, o, &v) < 0)
        return;
    if (srv_arg_long_double_or_reply(c, &c->argv[2], &by, NULL) < 0)
        return;
    v += by;
    if (isnan(v) || isinf(v)) {
        srv_reply_error(c, "ERR increment would produce NaN or Infinity");
        return;
    }
    len = srv_ld2str(buf, sizeof(buf), v);
    if (store_float(c, o, buf, len) < 0)
        return;
    srv_notify(SRV_NOTIFY_STRING, "incrbyfloat", c->db, KEY(c, 1));
    srv_reply_bulk(c, buf, len);
}

/* ---------------------------------------------------------------------
 * LCS
 * ------------------------------------------------------------------ */

/* What LCS was asked for. */
typedef struct lcs_opts {
    int want_len;      /* LEN */
    int want_idx;      /* IDX */
    int with_matchlen; /* WITHMATCHLEN */
    int64_t minmatch;  /* MINMATCHLEN, 0 = all */
} lcs_opts_t;

/* The dynamic-programming table: cell (i, j) holds the LCS length of
 * a[0..i) and b[0..j); rows of blen + 1 cells. */
typedef struct lcs_table {
    uint32_t *cells;
    size_t cols; /* blen + 1 */
} lcs_table_t;

#define LCS_AT(t, i, j) ((t)->cells[(size_t)(i) * (t)->cols + (j)])

/* Parse LCS options from argv[3]. 0, or -1 after replying. */
static int lcs_parse(srv_client_t *c, lcs_opts_t *o)
{
    int j;

    memset(o, 0, sizeof(*o));
    for (j = 3; j < c->argc; j++) {
        const resp_slice_t *a = &c->argv[j];

        if (srv_arg_is(a, "idx")) {
            o->want_idx = 1;
        } else if (srv_arg_is(a, "len")) {
            o->want_len = 1;
        } else if (srv_arg_is(a, "withmatchlen")) {
            o->with_matchlen = 1;
        } else if (srv_arg_is(a, "minmatchlen") && j + 1 < c->argc) {
            if (srv_arg_ll_or_reply(c, &c->argv[++j], &o->minmatch,
                                    NULL) < 0)
                return -1;
            if (o->minmatch < 0)
                o->minmatch = 0;
        } else {
            srv_reply_syntax_error(c);
            return -1;
        }
    }
    if (o->want_idx && o->want_len) {
        srv_reply_error(c, "ERR If you want both the length and indexes, "
                           "please just use IDX.");
        return -1;
    }
    return 0;
}

/* Fill the table for a[0..alen) and b[0..blen). 0, or -1 after replying
 * (too long, or no memory for the table). Owned cells in t. */
static int lcs_fill(srv_client_t *c, lcs_table_t *t, const char *a,
                    size_t alen, const char *b, size_t blen)
{
    size_t i, j, rows = alen + 1;

    if (alen >= UINT32_MAX - 1 || blen >= UINT32_MAX - 1) {
        srv_reply_error(c, "ERR String too long for LCS");
        return -1;
    }
    t->cols = blen + 1;
    t->cells = NULL;
    if (rows <= SIZE_MAX / sizeof(uint32_t) / t->cols)
        t->cells = hp_malloc(rows * t->cols * sizeof(uint32_t));
    if (!t->cells) {
        srv_reply_error(c, "ERR Insufficient memory, failed allocating "
                           "transient memory for LCS");
        return -1;
    }
    for (j = 0; j <= blen; j++)
        LCS_AT(t, 0, j) = 0;
    for (i = 1; i <= alen; i++) {
        LCS_AT(t, i, 0) = 0;
        for (j = 1; j <= blen; j++) {
            uint32_t up = LCS_AT(t, i - 1, j), left = LCS_AT(t, i, j - 1);

            if (a[i - 1] == b[j - 1])
                LCS_AT(t, i, j) = LCS_AT(t, i - 1, j - 1) + 1;
            else
                LCS_AT(t, i, j) = up > left ? up : left;
        }
    }
    return 0;
}

/* Reply one IDX match: [[a_start, a_end], [b_start, b_end](, len)], if
 * it is at least MINMATCHLEN long. Returns 1 if replied, else 0. */
static int lcs_reply_match(srv_client_t *c, const lcs_opts_t *o,
                           size_t as, size_t ae, size_t bs, size_t be)
{
    int64_t len = (int64_t)(ae - as + 1);

    if (o->minmatch && len < o->minmatch)
        return 0;
    srv_reply_array_len(c, o->with_matchlen ? 3 : 2);
    srv_reply_array_len(c, 2);
    srv_reply_int(c, (int64_t)as);
    srv_reply_int(c, (int64_t)ae);
    srv_reply_array_len(c, 2);
    srv_reply_int(c, (int64_t)bs);
    srv_reply_int(c, (int64_t)be);
    if (o->with_matchlen)
        srv_reply_int(c, len);
    return 1;
}

/* Walk the table back from (alen, blen) as Redis does (on a mismatch,
 * step along a when that keeps a longer LCS, else along b), writing the
 * LCS into out (if not NULL) and, for IDX, replying each contiguous
 * match as its run ends. Returns the number of matches replied. */
static int64_t lcs_walk(srv_client_t *c, const lcs_opts_t *o,
                        const lcs_table_t *t, const char *a, size_t alen,
                        const char *b, size_t blen, char *out)
{
    size_t i = alen, j = blen, k = LCS_AT(t, alen, blen);
    size_t a_end = 0, b_end = 0;
    int in_run = 0;
    int64_t n = 0;

    while (i > 0 && j > 0) {
        if (a[i - 1] == b[j - 1]) {
            if (out)
                out[--k] = a[i - 1];
            if (!in_run) {
                a_end = i - 1;
                b_end = j - 1;
                in_run = 1;
            }
            i--;
            j--;
            continue;
        }
        if (in_run && o->want_idx)
            n += lcs_reply_match(c, o, i, a_end, j, b_end);
        in_run = 0;
        if (LCS_AT(t, i - 1, j) > LCS_AT(t, i, j - 1))
            i--;
        else
            j--;
    }
    if (in_run && o->want_idx)
        n += lcs_reply_match(c, o, i, a_end, j, b_end);
    return n;
}

/* Reply for the filled table: the LCS string, its LEN, or the IDX map
 * {matches: [...], len: n}. */
static void lcs_reply(srv_client_t *c, const lcs_opts_t *o,
                      const lcs_table_t *t, const char *a, size_t alen,
                      const char *b, size_t blen)
{
    uint32_t total = LCS_AT(t, alen, blen);
    size_t handle;
    char *out;
    int64_t n;

    if (o->want_len) {
        srv_reply_int(c, total);
    } else if (o->want_idx) {
        srv_reply_map_len(c, 2);
        srv_reply_bulk_cstr(c, "matches");
        handle = srv_reply_deferred(c);
        n = lcs_walk(c, o, t, a, alen, b, blen, NULL);
        srv_reply_set_deferred(c, handle, '*', n);
        srv_reply_bulk_cstr(c, "len");
        srv_reply_int(c, total);
    } else {
        out = hp_malloc(total + 1);
        if (!out) {
            srv_reply_oom(c);
            return;
        }
        lcs_walk(c, o, t, a, alen, b, blen, out);
        srv_reply_bulk(c, out, total);
        hp_free(out);
    }
}

/* LCS key1 key2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN] */
void cmd_lcs(srv_client_t *c)
{
    char abuf[HP_INT_BUF], bbuf[HP_INT_BUF];
    const char *a = "", *b = "";
    size_t alen = 0, blen = 0;
    hp_obj_t *oa, *ob;
    lcs_opts_t opts;
    lcs_table_t t;

    oa = srv_db_lookup_read(c->db, KEY(c, 1));
    ob = srv_db_lookup_read(c->db, KEY(c, 2));
    if ((oa && oa->type != HP_TYPE_STRING) ||
        (ob && ob->type != HP_TYPE_STRING)) {
        srv_reply_error(c,
                        "ERR The specified keys must contain string values");
        return;
    }
    if (lcs_parse(c, &opts) < 0)
        return;
    if (oa)
        a = hp_str_bytes(oa, abuf, &alen);
    if (ob)
        b = hp_str_bytes(ob, bbuf, &blen);
    if (lcs_fill(c, &t, a, alen, b, blen) < 0)
        return;
    lcs_reply(c, &opts, &t, a, alen, b, blen);
    hp_free(t.cells);
}
