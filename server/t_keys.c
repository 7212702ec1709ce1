/*
 * t_keys.c - the generic key commands (Redis's "generic" group): DEL,
 * UNLINK, EXISTS, TYPE, RENAME, RENAMENX, COPY, MOVE, TOUCH, KEYS, SCAN,
 * RANDOMKEY, the EXPIRE and TTL families, PERSIST and OBJECT.
 *
 * Every command works through the keyspace API of db.c (lazy expiry,
 * stats, clocks) and replies with Redis 7.0's replies and error texts.
 * Executor thread only.
 */
#include "server.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "commands.h"

/* ---------------------------------------------------------------------
 * Helpers
 * ------------------------------------------------------------------ */

/* Lookup for reading that counts hits/misses but leaves the binding's
 * clock alone (Redis's LOOKUP_NOTOUCH: EXISTS, TYPE, TTL, OBJECT). */
static hp_obj_t *lookup_notouch(srv_client_t *c, const resp_slice_t *key)
{
    hp_obj_t *o = srv_db_lookup_nostats(c->db, key->ptr, key->len);

    if (o != NULL) {
        srv.stats.keyspace_hits++;
    } else {
        srv.stats.keyspace_misses++;
    }
    return o;
}

/* lookup_notouch with a "keymiss" event on a miss (EXISTS, TYPE, TTL and
 * SCAN's TYPE filter; OBJECT does not notify, as in Redis). */
static hp_obj_t *lookup_notouch_notify(srv_client_t *c,
                                       const resp_slice_t *key)
{
    hp_obj_t *o = lookup_notouch(c, key);

    if (o == NULL) {
        srv_notify(SRV_NOTIFY_KEY_MISS, "keymiss", c->db, key->ptr,
                   key->len);
    }
    return o;
}

/* True when two arguments hold the same bytes. */
static int slice_eq(const resp_slice_t *a, const resp_slice_t *b)
{
    return a->len == b->len && memcmp(a->ptr, b->ptr, a->len) == 0;
}

/* Parse an int-range argument as Redis's getIntFromObjectOrReply: its
 * two error texts. 0, or -1 after an error reply. */
static int arg_int_or_reply(srv_client_t *c, const resp_slice_t *a,
                            int64_t *out)
{
    if (srv_arg_ll_or_reply(c, a, out, NULL) != 0) {
        return -1;
    }
    if (*out < INT_MIN || *out > INT_MAX) {
        srv_reply_error(c, "ERR value is out of range, value must between "
                           "-2147483648 and 2147483647");
        return -1;
    }
    return 0;
}

/* ---------------------------------------------------------------------
 * DEL, UNLINK, EXISTS, TYPE, TOUCH
 * ------------------------------------------------------------------ */

/* Delete every key named from argv[1] on; reply how many existed. */
static void del_generic(srv_client_t *c)
{
    int64_t deleted = 0;

    for (int j = 1; j < c->argc; j++) {
        if (srv_db_delete(c->db, c->argv[j].ptr, c->argv[j].len)) {
            srv_notify(SRV_NOTIFY_GENERIC, "del", c->db, c->argv[j].ptr,
                       c->argv[j].len);
            deleted++;
        }
    }
    srv_reply_int(c, deleted);
}

/* DEL key [key ...] */
void cmd_del(srv_client_t *c)
{
    del_generic(c);
}

/* UNLINK key [key ...]: the heap defers freeing large values, so this is
 * DEL's twin. */
void cmd_unlink(srv_client_t *c)
{
    del_generic(c);
}

/* EXISTS key [key ...]: a key named twice counts twice. */
void cmd_exists(srv_client_t *c)
{
    int64_t count = 0;

    for (int j = 1; j < c->argc; j++) {
        if (lookup_notouch_notify(c, &c->argv[j]) != NULL) {
            count++;
        }
    }
    srv_reply_int(c, count);
}

/* TYPE key */
void cmd_type(srv_client_t *c)
{
    hp_obj_t *o = lookup_notouch_notify(c, &c->argv[1]);

    srv_reply_simple(c, o ? hp_type_name(o) : "none");
}

/* TOUCH key [key ...]: count existing keys, updating their clocks. */
void cmd_touch(srv_client_t *c)
{
    int64_t count = 0;

    for (int j = 1; j < c->argc; j++) {
        if (srv_db_lookup_read(c->db, c->argv[j].ptr, c->argv[j].len)) {
            count++;
        }
    }
    srv_reply_int(c, count);
}

/* ---------------------------------------------------------------------
 * RENAME, RENAMENX, MOVE, COPY
 * ------------------------------------------------------------------ */

/* RENAME / RENAMENX key newkey. The TTL and the clock move along. */
static void rename_generic(srv_client_t *c, int nx)
{
    const resp_slice_t *src = &c->argv[1], *dst = &c->argv[2];

    if (srv_db_lookup_write(c->db, src->ptr, src->len) == NULL) {
        srv_reply_no_such_key(c);
        return;
    }
    if (slice_eq(src, dst)) {
        if (nx) {
            srv_reply_int(c, 0);
        } else {
            srv_reply_ok(c);
        }
        return;
    }
    if (srv_db_lookup_write(c->db, dst->ptr, dst->len) != NULL && nx) {
        srv_reply_int(c, 0);
        return;
    }
    if (srv_db_rename(c->db, src->ptr, src->len, c->db, dst->ptr,
                      dst->len) != 0) {
        srv_reply_oom(c);
        return;
    }
    srv_notify(SRV_NOTIFY_GENERIC, "rename_from", c->db, src->ptr, src->len);
    srv_notify(SRV_NOTIFY_GENERIC, "rename_to", c->db, dst->ptr, dst->len);
    if (nx) {
        srv_reply_int(c, 1);
    } else {
        srv_reply_ok(c);
    }
}

/* RENAME key newkey */
void cmd_rename(srv_client_t *c)
{
    rename_generic(c, 0);
}

/* RENAMENX key newkey */
void cmd_renamenx(srv_client_t *c)
{
    rename_generic(c, 1);
}

/* Database number from an argument, as MOVE and COPY ... DB parse it:
 * Redis's integer errors, then "DB index is out of range". The database,
 * or NULL after an error reply. */
static srv_db_t *db_arg_or_reply(srv_client_t *c, const resp_slice_t *a)
{
    int64_t id;

    if (arg_int_or_reply(c, a, &id) != 0) {
        return NULL;
    }
    if (id < 0 || id >= srv.cfg.databases) {
        srv_reply_error(c, "ERR DB index is out of range");
        return NULL;
    }
    return &srv.dbs[id];
}

/* MOVE key db */
void cmd_move(srv_client_t *c)
{
    const resp_slice_t *key = &c->argv[1];
    srv_db_t *dst = db_arg_or_reply(c, &c->argv[2]);

    if (dst == NULL) {
        return;
    }
    if (dst == c->db) {
        srv_reply_error(c, "ERR source and destination objects are the same");
        return;
    }
    if (srv_db_lookup_write(c->db, key->ptr, key->len) == NULL ||
        srv_db_lookup_write(dst, key->ptr, key->len) != NULL) {
        srv_reply_int(c, 0);
        return;
    }
    if (srv_db_rename(c->db, key->ptr, key->len, dst, key->ptr,
                      key->len) != 0) {
        srv_reply_oom(c);
        return;
    }
    srv_notify(SRV_NOTIFY_GENERIC, "move_from", c->db, key->ptr, key->len);
    srv_notify(SRV_NOTIFY_GENERIC, "move_to", dst, key->ptr, key->len);
    srv_reply_int(c, 1);
}

/* A new reference holding a copy of a value (COPY), or NULL on OOM or
 * for a type without a copy function. One function per type. */
typedef hp_obj_t *copy_fn_t(const hp_obj_t *o);

/* Copy of a string keeping its encoding, as Redis's dupStringObject: an
 * int copy is a private (not shared) int object, a raw copy stays raw. */
static hp_obj_t *copy_string(const hp_obj_t *o)
{
    char buf[HP_INT_BUF];
    size_t len;
    const char *s = hp_str_bytes(o, buf, &len);
    hp_obj_t *n;

    if (o->encoding == HP_ENC_EMBSTR) {
        return hp_str_new(s, len);
    }
    n = hp_str_new_zeroed(o->encoding == HP_ENC_RAW ? len : 0);
    if (n == NULL) {
        return NULL;
    }
    if ((o->encoding == HP_ENC_INT && hp_str_set_int(n, o->v.i) != 0) ||
        (o->encoding == HP_ENC_RAW && hp_str_setrange(n, 0, s, len) != 0)) {
        hp_decref(n);
        return NULL;
    }
    return n;
}

/* Copy of a list: every element pushed in order into a new list. */
static hp_obj_t *copy_list(const hp_obj_t *o)
{
    hp_obj_t *src = (hp_obj_t *)o; /* the iterator only reads */
    hp_obj_t *n = hp_list_new();
    hp_list_iter_t it;
    hp_elem_t e;

    if (n == NULL) {
        return NULL;
    }
    hp_list_iter_init(&it, src, 0, hp_list_len(src), 0);
    while (hp_list_iter_next(&it, &e)) {
        char buf[HP_INT_BUF];
        size_t len;
        const char *s = hp_elem_bytes(&e, buf, &len);

        if (hp_list_push(n, HP_LIST_TAIL, s, len) != 0) {
            hp_decref(n);
            return NULL;
        }
    }
    return n;
}

/* Copy functions by hp_type; data types add theirs here. */
static copy_fn_t *const copy_fns[] = {
    [HP_TYPE_STRING] = copy_string,
    [HP_TYPE_LIST] = copy_list,
    [HP_TYPE_HASH] = hp_hash_dup,
    [HP_TYPE_SET] = hp_set_dup,
    [HP_TYPE_ZSET] = hp_zset_copy,
};

/* New reference: a copy of o, or NULL (OOM, or no copy function). */
static hp_obj_t *copy_value(const hp_obj_t *o)
{
    size_t n = sizeof(copy_fns) / sizeof(copy_fns[0]);

    if (o->type >= n || copy_fns[o->type] == NULL) {
        return NULL;
    }
    return copy_fns[o->type](o);
}

/* COPY options after the two keys: [DB n] [REPLACE]. 0, or -1 after an
 * error reply. */
static int copy_parse(srv_client_t *c, srv_db_t **dst, int *replace)
{
    *dst = c->db;
    *replace = 0;
    for (int j = 3; j < c->argc; j++) {
        int additional = c->argc - j - 1;

        if (srv_arg_is(&c->argv[j], "replace")) {
            *replace = 1;
        } else if (srv_arg_is(&c->argv[j], "db") && additional >= 1) {
            *dst = db_arg_or_reply(c, &c->argv[j + 1]);
            if (*dst == NULL) {
                return -1;
            }
            j++;
        } else {
            srv_reply_syntax_error(c);
            return -1;
        }
    }
    return 0;
}

/* COPY source destination [DB destination-db] [REPLACE] */
void cmd_copy(srv_client_t *c)
{
    const resp_slice_t *src = &c->argv[1], *dkey = &c->argv[2];
    srv_db_t *dst;
    hp_obj_t *o, *copy;
    int64_t expire;
    int replace, existed;

    if (copy_parse(c, &dst, &replace) != 0) {
        return;
    }
    if (dst == c->db && slice_eq(src, dkey)) {
        srv_reply_error(c, "ERR source and destination objects are the same");
        return;
    }
    o = srv_db_lookup_read(c->db, src->ptr, src->len);
    if (o == NULL) {
        srv_reply_int(c, 0);
        return;
    }
    expire = srv_db_get_expire(c->db, src->ptr, src->len);
    existed = srv_db_lookup_write(dst, dkey->ptr, dkey->len) != NULL;
    if (existed && !replace) {
        srv_reply_int(c, 0);
        return;
    }
    copy = copy_value(o);
    /* Reference elements are copied as references, not labels. */
    if (copy != NULL &&
        srv_ref_copy(dst, dkey->ptr, dkey->len, copy, o) != 0) {
        hp_decref(copy);
        copy = NULL;
    }
    if (copy == NULL || srv_db_set(dst, dkey->ptr, dkey->len, copy, 0) != 0) {
        hp_decref(copy);
        srv_reply_oom(c);
        return;
    }
    hp_decref(copy);
    if (expire != -1) {
        srv_db_set_expire(dst, dkey->ptr, dkey->len, expire);
    }
    /* Redis deletes a replaced destination and adds the copy anew. */
    if (existed) {
        srv_notify(SRV_NOTIFY_NEW, "new", dst, dkey->ptr, dkey->len);
    }
    srv_notify(SRV_NOTIFY_GENERIC, "copy_to", dst, dkey->ptr, dkey->len);
    srv_reply_int(c, 1);
}

/* ---------------------------------------------------------------------
 * KEYS, SCAN, RANDOMKEY
 * ------------------------------------------------------------------ */

/* KEYS pattern: every live key matching the glob; expired keys are
 * skipped, not deleted (the table is being iterated). */
void cmd_keys(srv_client_t *c)
{
    const resp_slice_t *pat = &c->argv[1];
    int allkeys = pat->len == 1 && pat->ptr[0] == '*';
    size_t handle = srv_reply_deferred(c);
    hp_dict_iter_t it;
    hp_dict_entry_t *de;
    int64_t n = 0;

    hp_dict_iter_init(&it, c->db->dict, 1);
    while ((de = hp_dict_iter_next(&it)) != NULL) {
        if (!allkeys &&
            !srv_glob_match(pat->ptr, pat->len, de->key, de->keylen, 0)) {
            continue;
        }
        if (srv_db_key_is_expired(c->db, de->key, de->keylen)) {
            continue;
        }
        srv_reply_bulk(c, de->key, de->keylen);
        n++;
    }
    hp_dict_iter_fini(&it);
    srv_reply_set_deferred(c, handle, '*', n);
}

/* Keys collected by a SCAN step: copies, since filtering may delete. */
typedef struct key_list {
    char *bytes;      /* all keys back to back */
    size_t used, cap; /* bytes */
    size_t *off;      /* start of key i; key i ends at off[i + 1] */
    size_t n, ncap;   /* keys; off has room for ncap + 1 */
    int oom;
} key_list_t;

/* Append one key to l (sets l->oom on failure). */
static void key_list_push(key_list_t *l, const char *key, size_t len)
{
    if (l->used + len > l->cap) {
        size_t cap = (l->used + len) * 2 + 64;
        char *b = hp_realloc(l->bytes, cap);

        if (b == NULL) {
            l->oom = 1;
            return;
        }
        l->bytes = b;
        l->cap = cap;
    }
    if (l->n + 1 >= l->ncap) {
        size_t ncap = l->ncap * 2 + 16;
        size_t *o = hp_realloc(l->off, (ncap + 1) * sizeof(size_t));

        if (o == NULL) {
            l->oom = 1;
            return;
        }
        l->off = o;
        l->ncap = ncap;
    }
    memcpy(l->bytes + l->used, key, len);
    l->off[l->n] = l->used;
    l->used += len;
    l->n++;
    l->off[l->n] = l->used;
}

/* hp_dict_scan callback of SCAN. */
static void scan_collect(void *ud, const hp_dict_entry_t *e)
{
    key_list_push(ud, e->key, e->keylen);
}

/* SCAN options. */
typedef struct scan_opts {
    int64_t count;
    const resp_slice_t *pattern; /* NULL: every key */
    const resp_slice_t *type;    /* NULL: every type */
} scan_opts_t;

/* The cursor argument as strtoul reads it (leading '+' or '-' included,
 * as Redis). 0, or -1 after "ERR invalid cursor". */
static int scan_cursor_or_reply(srv_client_t *c, const resp_slice_t *a,
                                uint64_t *cursor)
{
    char *buf = hp_malloc(a->len + 1), *end;
    int bad;

    if (buf == NULL) {
        srv_reply_oom(c);
        return -1;
    }
    memcpy(buf, a->ptr, a->len);
    buf[a->len] = '\0';
    errno = 0;
    *cursor = strtoull(buf, &end, 10);
    bad = isspace((unsigned char)buf[0]) || *end != '\0' || errno == ERANGE;
    hp_free(buf);
    if (bad) {
        srv_reply_error(c, "ERR invalid cursor");
        return -1;
    }
    return 0;
}

/* Parse [MATCH pattern] [COUNT count] [TYPE type] from argv[2] on. 0, or
 * -1 after an error reply. */
static int scan_parse(srv_client_t *c, scan_opts_t *o)
{
    o->count = 10;
    o->pattern = NULL;
    o->type = NULL;
    for (int i = 2; i < c->argc; i += 2) {
        const resp_slice_t *opt = &c->argv[i], *val;

        if (c->argc - i < 2) {
            srv_reply_syntax_error(c);
            return -1;
        }
        val = &c->argv[i + 1];
        if (srv_arg_is(opt, "count")) {
            if (srv_arg_ll_or_reply(c, val, &o->count, NULL) != 0) {
                return -1;
            }
            if (o->count < 1) {
                srv_reply_syntax_error(c);
                return -1;
            }
        } else if (srv_arg_is(opt, "match")) {
            o->pattern = val->len == 1 && val->ptr[0] == '*' ? NULL : val;
        } else if (srv_arg_is(opt, "type")) {
            o->type = val;
        } else {
            srv_reply_syntax_error(c);
            return -1;
        }
    }
    return 0;
}

/* Whether collected key k survives the MATCH, TYPE and expiry filters.
 * The TYPE check is a read lookup (stats counted, as Redis); an expired
 * key is deleted here. */
static int scan_keep(srv_client_t *c, const scan_opts_t *o, const char *k,
                     size_t len)
{
    if (o->pattern &&
        !srv_glob_match(o->pattern->ptr, o->pattern->len, k, len, 0)) {
        return 0;
    }
    if (o->type) {
        resp_slice_t key = {.ptr = k, .len = len};
        hp_obj_t *v = lookup_notouch_notify(c, &key);
        const char *name = v ? hp_type_name(v) : "none";

        if (strlen(name) != o->type->len ||
            strncasecmp(name, o->type->ptr, o->type->len) != 0) {
            return 0;
        }
    }
    return srv_db_lookup_nostats(c->db, k, len) != NULL;
}

/* Reply [cursor, [keys that pass the filters]]. */
static void scan_reply(srv_client_t *c, const scan_opts_t *o,
                       uint64_t cursor, const key_list_t *l)
{
    char buf[32];
    size_t handle;
    int64_t kept = 0;

    srv_reply_array_len(c, 2);
    snprintf(buf, sizeof(buf), "%llu", (unsigned long long)cursor);
    srv_reply_bulk(c, buf, strlen(buf));
    handle = srv_reply_deferred(c);
    for (size_t i = 0; i < l->n; i++) {
        const char *k = l->bytes + l->off[i];
        size_t len = l->off[i + 1] - l->off[i];

        if (scan_keep(c, o, k, len)) {
            srv_reply_bulk(c, k, len);
            kept++;
        }
    }
    srv_reply_set_deferred(c, handle, '*', kept);
}

/* SCAN cursor [MATCH pattern] [COUNT count] [TYPE type] */
void cmd_scan(srv_client_t *c)
{
    key_list_t l = {0};
    scan_opts_t o;
    uint64_t cursor;
    int64_t budget;

    if (scan_cursor_or_reply(c, &c->argv[1], &cursor) != 0 ||
        scan_parse(c, &o) != 0) {
        return;
    }
    budget = o.count * 10;
    do {
        cursor = hp_dict_scan(c->db->dict, cursor, scan_collect, &l);
    } while (cursor && budget-- && (int64_t)l.n < o.count && !l.oom);
    if (l.oom) {
        srv_reply_oom(c);
    } else {
        scan_reply(c, &o, cursor, &l);
    }
    hp_free(l.bytes);
    hp_free(l.off);
}

/* RANDOMKEY: a random live key, nil when the db is empty. Expired keys
 * drawn are reclaimed and another is drawn. When every key has a TTL
 * and expiry cannot delete (CLIENT PAUSE), give up after 100 draws and
 * return the last one, as Redis does. */
void cmd_randomkey(srv_client_t *c)
{
    srv_db_t *db = c->db;
    int allvolatile = hp_dict_size(db->dict) == hp_dict_size(db->expires);
    int maxtries = 100;

    for (;;) {
        hp_dict_entry_t *de = hp_dict_fair_random(db->dict);
        size_t before = hp_dict_size(db->dict);

        if (de == NULL) {
            srv_reply_null(c);
            return;
        }
        if (srv_db_lookup_nostats(db, de->key, de->keylen) == NULL) {
            /* Still bound: expiry is paused and de is valid. */
            if (hp_dict_size(db->dict) == before && allvolatile &&
                --maxtries == 0) {
                srv_reply_bulk(c, de->key, de->keylen);
                return;
            }
            continue;
        }
        srv_reply_bulk(c, de->key, de->keylen);
        return;
    }
}

/* ---------------------------------------------------------------------
 * EXPIRE family, TTL family, PERSIST
 * ------------------------------------------------------------------ */

#define EXPIRE_NX (1 << 0)
#define EXPIRE_XX (1 << 1)
#define EXPIRE_GT (1 << 2)
#define EXPIRE_LT (1 << 3)

/* Parse NX | XX | GT | LT from argv[3] on. 0, or -1 after an error. */
static int expire_flags_or_reply(srv_client_t *c, int *flags)
{
    *flags = 0;
    for (int j = 3; j < c->argc; j++) {
        const resp_slice_t *a = &c->argv[j];

        if (srv_arg_is(a, "nx")) {
            *flags |= EXPIRE_NX;
        } else if (srv_arg_is(a, "xx")) {
            *flags |= EXPIRE_XX;
        } else if (srv_arg_is(a, "gt")) {
            *flags |= EXPIRE_GT;
        } else if (srv_arg_is(a, "lt")) {
            *flags |= EXPIRE_LT;
        } else {
            srv_reply_errorf(c, "ERR Unsupported option %.*s", (int)a->len,
                             a->ptr);
            return -1;
        }
    }
    if ((*flags & EXPIRE_NX) && (*flags & (EXPIRE_XX | EXPIRE_GT | EXPIRE_LT))) {
        srv_reply_error(c, "ERR NX and XX, GT or LT options at the same "
                           "time are not compatible");
        return -1;
    }
    if ((*flags & EXPIRE_GT) && (*flags & EXPIRE_LT)) {
        srv_reply_error(c, "ERR GT and LT options at the same time are not "
                           "compatible");
        return -1;
    }
    return 0;
}

/* The absolute expire time in ms from argv[2]: value * unit + basetime
 * with Redis's overflow checks. 0, or -1 after an error reply. */
static int expire_when_or_reply(srv_client_t *c, int64_t basetime,
                                int seconds, int64_t *when)
{
    if (srv_arg_ll_or_reply(c, &c->argv[2], when, NULL) != 0) {
        return -1;
    }
    if (seconds) {
        if (*when > INT64_MAX / 1000 || *when < INT64_MIN / 1000) {
            goto invalid;
        }
        *when *= 1000;
    }
    if (*when > INT64_MAX - basetime) {
        goto invalid;
    }
    *when += basetime;
    return 0;
invalid:
    srv_reply_errorf(c, "ERR invalid expire time in '%s' command",
                     c->cmd->name);
    return -1;
}

/* Whether the NX/XX/GT/LT conditions allow replacing current (-1: no
 * TTL, which GT treats as infinite) with when. */
static int expire_allowed(int flags, int64_t current, int64_t when)
{
    if ((flags & EXPIRE_NX) && current != -1) {
        return 0;
    }
    if ((flags & EXPIRE_XX) && current == -1) {
        return 0;
    }
    if ((flags & EXPIRE_GT) && (current == -1 || when <= current)) {
        return 0;
    }
    if ((flags & EXPIRE_LT) && current != -1 && when >= current) {
        return 0;
    }
    return 1;
}

/* EXPIRE-family body: basetime 0 for the *AT forms, seconds for the
 * second-unit forms. A time already past deletes the key. */
static void expire_generic(srv_client_t *c, int64_t basetime, int seconds)
{
    const resp_slice_t *key = &c->argv[1];
    int64_t when, current;
    int flags;

    if (expire_flags_or_reply(c, &flags) != 0 ||
        expire_when_or_reply(c, basetime, seconds, &when) != 0) {
        return;
    }
    if (srv_db_lookup_write(c->db, key->ptr, key->len) == NULL) {
        srv_reply_int(c, 0);
        return;
    }
    current = srv_db_get_expire(c->db, key->ptr, key->len);
    if (flags && !expire_allowed(flags, current, when)) {
        srv_reply_int(c, 0);
        return;
    }
    if (when <= srv_mstime()) {
        srv_db_delete(c->db, key->ptr, key->len);
        srv_notify(SRV_NOTIFY_GENERIC, "del", c->db, key->ptr, key->len);
        srv_reply_int(c, 1);
        return;
    }
    if (srv_db_set_expire(c->db, key->ptr, key->len, when) != 0) {
        srv_reply_oom(c);
        return;
    }
    srv_db_signal_modified(c->db, key->ptr, key->len);
    srv_notify(SRV_NOTIFY_GENERIC, "expire", c->db, key->ptr, key->len);
    srv_reply_int(c, 1);
}

/* EXPIRE key seconds [NX | XX | GT | LT] */
void cmd_expire(srv_client_t *c)
{
    expire_generic(c, srv_mstime(), 1);
}

/* PEXPIRE key milliseconds [NX | XX | GT | LT] */
void cmd_pexpire(srv_client_t *c)
{
    expire_generic(c, srv_mstime(), 0);
}

/* EXPIREAT key unix-time-seconds [NX | XX | GT | LT] */
void cmd_expireat(srv_client_t *c)
{
    expire_generic(c, 0, 1);
}

/* PEXPIREAT key unix-time-milliseconds [NX | XX | GT | LT] */
void cmd_pexpireat(srv_client_t *c)
{
    expire_generic(c, 0, 0);
}

/* TTL-family body: -2 missing key, -1 no TTL; else the remaining time
 * (or the absolute time with abs) in ms, or in seconds rounded. */
static void ttl_generic(srv_client_t *c, int ms, int abs)
{
    const resp_slice_t *key = &c->argv[1];
    int64_t expire, ttl = -1;

    if (lookup_notouch_notify(c, key) == NULL) {
        srv_reply_int(c, -2);
        return;
    }
    expire = srv_db_get_expire(c->db, key->ptr, key->len);
    if (expire != -1) {
        ttl = abs ? expire : expire - srv_mstime();
        if (ttl < 0) {
            ttl = 0;
        }
    }
    if (ttl == -1) {
        srv_reply_int(c, -1);
    } else {
        srv_reply_int(c, ms ? ttl : (ttl + 500) / 1000);
    }
}

/* TTL key */
void cmd_ttl(srv_client_t *c)
{
    ttl_generic(c, 0, 0);
}

/* PTTL key */
void cmd_pttl(srv_client_t *c)
{
    ttl_generic(c, 1, 0);
}

/* EXPIRETIME key */
void cmd_expiretime(srv_client_t *c)
{
    ttl_generic(c, 0, 1);
}

/* PEXPIRETIME key */
void cmd_pexpiretime(srv_client_t *c)
{
    ttl_generic(c, 1, 1);
}

/* PERSIST key */
void cmd_persist(srv_client_t *c)
{
    const resp_slice_t *key = &c->argv[1];

    if (srv_db_lookup_write(c->db, key->ptr, key->len) == NULL ||
        !srv_db_persist(c->db, key->ptr, key->len)) {
        srv_reply_int(c, 0);
        return;
    }
    srv_db_signal_modified(c->db, key->ptr, key->len);
    srv_notify(SRV_NOTIFY_GENERIC, "persist", c->db, key->ptr, key->len);
    srv_reply_int(c, 1);
}

/* ---------------------------------------------------------------------
 * OBJECT
 * ------------------------------------------------------------------ */

#define POLICY_NOTE                                                        \
    " Please note that when switching between policies at runtime LRU and " \
    "LFU data will take some time to adjust."

/* OBJECT with an unknown subcommand (dispatch found none). */
void cmd_object(srv_client_t *c)
{
    srv_reply_unknown_subcommand(c);
}

/* OBJECT ENCODING key */
void cmd_object_encoding(srv_client_t *c)
{
    hp_obj_t *o = lookup_notouch(c, &c->argv[2]);

    if (o == NULL) {
        srv_reply_null(c);
        return;
    }
    srv_reply_bulk_cstr(c, hp_encoding_name(o));
}

/* OBJECT REFCOUNT key: shared immortal objects report INT_MAX, as Redis
 * reports its shared objects. */
void cmd_object_refcount(srv_client_t *c)
{
    hp_obj_t *o = lookup_notouch(c, &c->argv[2]);

    if (o == NULL) {
        srv_reply_null(c);
        return;
    }
    srv_reply_int(c, o->refcount == HP_REFCOUNT_IMMORTAL ? INT_MAX
                                                           : o->refcount);
}

/* OBJECT IDLETIME key: seconds since the binding was last accessed. */
void cmd_object_idletime(srv_client_t *c)
{
    const resp_slice_t *key = &c->argv[2];

    if (lookup_notouch(c, key) == NULL) {
        srv_reply_null(c);
        return;
    }
    if (srv_db_lfu_enabled()) {
        srv_reply_error(c, "ERR An LFU maxmemory policy is selected, idle "
                           "time not tracked." POLICY_NOTE);
        return;
    }
    srv_reply_int(c, srv_db_idle_ms(c->db, key->ptr, key->len) / 1000);
}

/* OBJECT FREQ key: the binding's logarithmic access counter (LFU). */
void cmd_object_freq(srv_client_t *c)
{
    const resp_slice_t *key = &c->argv[2];

    if (lookup_notouch(c, key) == NULL) {
        srv_reply_null(c);
        return;
    }
    if (!srv_db_lfu_enabled()) {
        srv_reply_error(c, "ERR An LFU maxmemory policy is not selected, "
                           "access frequency not tracked." POLICY_NOTE);
        return;
    }
    srv_reply_int(c, srv_db_lfu_freq(c->db, key->ptr, key->len));
}

static const char *const object_help_lines[] = {
    "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "ENCODING <key>",
    "    Return the kind of internal representation used to store the "
    "value",
    "    bound to <key>.",
    "FREQ <key>",
    "    Return the access frequency index of <key>. The integer grows with",
    "    the logarithm of how often the key was recently accessed.",
    "IDLETIME <key>",
    "    Return the idle time of <key>: approximately how many seconds have",
    "    passed since the key was last accessed.",
    "REFCOUNT <key>",
    "    Return the number of references held to the value bound to the",
    "    given <key>.",
    "HELP",
    "    Prints this help.",
    NULL,
};

/* OBJECT HELP */
void cmd_object_help(srv_client_t *c)
{
    srv_reply_help(c, object_help_lines);
}
