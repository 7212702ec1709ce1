/*
 * t_hash.c - the hash commands: HSET/HMSET/HSETNX, HGET/HMGET, HDEL,
 * HLEN, HSTRLEN, HEXISTS, HKEYS/HVALS/HGETALL, HINCRBY/HINCRBYFLOAT,
 * HRANDFIELD and HSCAN, with Redis 7.0's replies and error texts.
 *
 * Values are heap hash objects (hp_hash_* in heap.h): "listpack" while
 * small, "hashtable" past hash-max-listpack-entries/value (hp_limits,
 * which config.c keeps in step with CONFIG SET and the config file; a
 * change applies on the next write, as in Redis). A hash is bound to its
 * key only once it holds a field, and a command that removes the last
 * field deletes the key: empty hashes never exist.
 */
#include "commands.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heap.h"
#include "resp.h"
#include "server.h"

/* The key argument argv[i] as (ptr, len) for srv_db_* calls. */
#define KEY(c, i) (c)->argv[(i)].ptr, (c)->argv[(i)].len

/* Room for a formatted long double (Redis's MAX_LONG_DOUBLE_CHARS). */
#define LD_BUF (5 * 1024)

/* What the HKEYS/HVALS/HGETALL family replies per field. */
#define WANT_FIELD 1
#define WANT_VALUE 2

/* ---------------------------------------------------------------------
 * Helpers
 * ------------------------------------------------------------------ */

/* Reply WRONGTYPE and return 1 when o exists and is not a hash. */
static int not_hash_reply(srv_client_t *c, const hp_obj_t *o)
{
    if (o && o->type != HP_TYPE_HASH) {
        srv_reply_wrongtype(c);
        return 1;
    }
    return 0;
}

/* Reply an element (field or value) as a bulk string. */
static void reply_elem(srv_client_t *c, const hp_elem_t *e)
{
    if (e->s)
        srv_reply_bulk(c, e->s, e->len);
    else
        srv_reply_bulk_int(c, e->i);
}

/* Borrowed hash at key argv[1] for reading, NULL when missing. Sets *err
 * to 1 after replying WRONGTYPE. */
static hp_obj_t *read_hash(srv_client_t *c, int *err)
{
    hp_obj_t *o = srv_db_lookup_read(c->db, KEY(c, 1));

    *err = not_hash_reply(c, o);
    return *err ? NULL : o;
}

/* The hash at key argv[1] for writing: the bound one (borrowed, *created
 * 0) or a new empty one not yet bound (the caller's reference, *created
 * 1). NULL after replying WRONGTYPE or OOM. */
static hp_obj_t *write_hash(srv_client_t *c, int *created)
{
    hp_obj_t *o = srv_db_lookup_write(c->db, KEY(c, 1));

    *created = 0;
    if (not_hash_reply(c, o))
        return NULL;
    if (o)
        return o;
    o = hp_hash_new();
    if (!o) {
        srv_reply_oom(c);
        return NULL;
    }
    *created = 1;
    return o;
}

/* End a write on hash o from write_hash: bind a created hash that holds
 * fields (else drop it), delete a bound one that became empty, signal a
 * bound one that changed. A change is notified as event (a hash event),
 * a deletion then as "del". 0, or -1 after replying OOM. */
static int finish_write(srv_client_t *c, hp_obj_t *o, int created,
                        int changed, const char *event)
{
    int rc = 0;

    if (created) {
        if (hp_hash_len(o) > 0 && srv_db_set(c->db, KEY(c, 1), o, 0) < 0) {
            srv_reply_oom(c);
            rc = -1;
        } else if (hp_hash_len(o) > 0) {
            srv_notify(SRV_NOTIFY_HASH, event, c->db, KEY(c, 1));
        }
        hp_decref(o);
        return rc;
    }
    if (changed)
        srv_notify(SRV_NOTIFY_HASH, event, c->db, KEY(c, 1));
    if (hp_hash_len(o) == 0) {
        srv_db_delete(c->db, KEY(c, 1));
        srv_notify(SRV_NOTIFY_GENERIC, "del", c->db, KEY(c, 1));
    } else if (changed) {
        srv_db_signal_modified(c->db, KEY(c, 1));
    }
    return 0;
}

/* Set argv[i], argv[i+1] pairs from `first` into o; *added counts new
 * fields. 0, or -1 on OOM (not replied). */
static int set_pairs(srv_client_t *c, hp_obj_t *o, int first, int64_t *added)
{
    *added = 0;
    for (int j = first; j + 1 < c->argc; j += 2) {
        int rc = hp_hash_set(o, c->argv[j].ptr, c->argv[j].len,
                             c->argv[j + 1].ptr, c->argv[j + 1].len);

        if (rc < 0)
            return -1;
        *added += rc;
    }
    return 0;
}

/* ---------------------------------------------------------------------
 * HSET, HMSET, HSETNX
 * ------------------------------------------------------------------ */

/* HSET and HMSET: set the pairs, then reply with the count of new fields
 * (HSET) or OK (HMSET). */
static void hset_generic(srv_client_t *c, int reply_count)
{
    int created, rc;
    int64_t added;
    hp_obj_t *o;

    if (c->argc % 2 == 1) {
        srv_reply_arity_error(c);
        return;
    }
    o = write_hash(c, &created);
    if (!o)
        return;
    rc = set_pairs(c, o, 2, &added);
    if (finish_write(c, o, created, 1, "hset") < 0)
        return;
    if (rc < 0)
        srv_reply_oom(c);
    else if (reply_count)
        srv_reply_int(c, added);
    else
        srv_reply_ok(c);
}

/* HSET key field value [field value ...] */
void cmd_hset(srv_client_t *c)
{
    hset_generic(c, 1);
}

/* HMSET key field value [field value ...] */
void cmd_hmset(srv_client_t *c)
{
    hset_generic(c, 0);
}

/* HSETNX key field value */
void cmd_hsetnx(srv_client_t *c)
{
    int created, rc = 0;
    hp_obj_t *o = write_hash(c, &created);

    if (!o)
        return;
    if (hp_hash_exists(o, KEY(c, 2))) {
        srv_reply_int(c, 0);
        return;
    }
    rc = hp_hash_set(o, KEY(c, 2), KEY(c, 3));
    if (finish_write(c, o, created, rc > 0, "hset") < 0)
        return;
    if (rc < 0)
        srv_reply_oom(c);
    else
        srv_reply_int(c, 1);
}

/* ---------------------------------------------------------------------
 * HGET, HMGET, HLEN, HSTRLEN, HEXISTS
 * ------------------------------------------------------------------ */

/* HGET key field */
void cmd_hget(srv_client_t *c)
{
    int err;
    hp_obj_t *o = read_hash(c, &err);
    hp_elem_t v;

    if (err)
        return;
    if (o && hp_hash_get(o, KEY(c, 2), &v) == 0)
        reply_elem(c, &v);
    else
        srv_reply_null(c);
}

/* HMGET key field [field ...] */
void cmd_hmget(srv_client_t *c)
{
    int err;
    hp_obj_t *o = read_hash(c, &err);
    hp_elem_t v;

    if (err)
        return;
    srv_reply_array_len(c, c->argc - 2);
    for (int j = 2; j < c->argc; j++) {
        if (o && hp_hash_get(o, KEY(c, j), &v) == 0)
            reply_elem(c, &v);
        else
            srv_reply_null(c);
    }
}

/* HLEN key */
void cmd_hlen(srv_client_t *c)
{
    int err;
    hp_obj_t *o = read_hash(c, &err);

    if (!err)
        srv_reply_int(c, o ? (int64_t)hp_hash_len(o) : 0);
}

/* HSTRLEN key field: length of the value, 0 when missing. */
void cmd_hstrlen(srv_client_t *c)
{
    char buf[HP_INT_BUF];
    int err;
    hp_obj_t *o = read_hash(c, &err);
    hp_elem_t v;
    size_t len = 0;

    if (err)
        return;
    if (o && hp_hash_get(o, KEY(c, 2), &v) == 0)
        hp_elem_bytes(&v, buf, &len);
    srv_reply_int(c, (int64_t)len);
}

/* HEXISTS key field */
void cmd_hexists(srv_client_t *c)
{
    int err;
    hp_obj_t *o = read_hash(c, &err);

    if (!err)
        srv_reply_int(c, o && hp_hash_exists(o, KEY(c, 2)));
}

/* ---------------------------------------------------------------------
 * HDEL
 * ------------------------------------------------------------------ */

/* HDEL key field [field ...]: fields removed; the key goes with the last
 * field. */
void cmd_hdel(srv_client_t *c)
{
    hp_obj_t *o = srv_db_lookup_write(c->db, KEY(c, 1));
    int64_t deleted = 0;

    if (not_hash_reply(c, o))
        return;
    if (!o) {
        srv_reply_int(c, 0);
        return;
    }
    for (int j = 2; j < c->argc; j++) {
        if (hp_hash_del(o, KEY(c, j)) == 0)
            deleted++;
        if (hp_hash_len(o) == 0)
            break;
    }
    finish_write(c, o, 0, deleted > 0, "hdel");
    srv_reply_int(c, deleted);
}

/* ---------------------------------------------------------------------
 * HKEYS, HVALS, HGETALL
 * ------------------------------------------------------------------ */

/* Reply the fields and/or values of the hash at argv[1] (want: WANT_*):
 * a map for both in RESP3, else a flat array. */
static void getall_generic(srv_client_t *c, int want)
{
    int both = want == (WANT_FIELD | WANT_VALUE), err;
    hp_obj_t *o = read_hash(c, &err);
    size_t n = o ? hp_hash_len(o) : 0;
    hp_hash_iter_t it;
    hp_elem_t f, v;

    if (err)
        return;
    if (both)
        srv_reply_map_len(c, (int64_t)n);
    else
        srv_reply_array_len(c, (int64_t)n);
    if (!o)
        return;
    hp_hash_iter_init(&it, o);
    while (hp_hash_iter_next(&it, &f, &v)) {
        if (want & WANT_FIELD)
            reply_elem(c, &f);
        if (want & WANT_VALUE)
            reply_elem(c, &v);
    }
    hp_hash_iter_fini(&it);
}

/* HKEYS key */
void cmd_hkeys(srv_client_t *c)
{
    getall_generic(c, WANT_FIELD);
}

/* HVALS key */
void cmd_hvals(srv_client_t *c)
{
    getall_generic(c, WANT_VALUE);
}

/* HGETALL key */
void cmd_hgetall(srv_client_t *c)
{
    getall_generic(c, WANT_FIELD | WANT_VALUE);
}

/* ---------------------------------------------------------------------
 * HINCRBY, HINCRBYFLOAT
 * ------------------------------------------------------------------ */

/* HINCRBY key field increment */
void cmd_hincrby(srv_client_t *c)
{
    char buf[HP_INT_BUF];
    int64_t by, v = 0;
    int created, rc, len;
    hp_obj_t *o;
    hp_elem_t cur;

    if (srv_arg_ll_or_reply(c, &c->argv[3], &by, NULL) < 0)
        return;
    o = write_hash(c, &created);
    if (!o)
        return;
    if (hp_hash_get(o, KEY(c, 2), &cur) == 0) {
        if (cur.s == NULL) {
            v = cur.i;
        } else if (srv_parse_ll(cur.s, cur.len, &v) < 0) {
            srv_reply_error(c, "ERR hash value is not an integer");
            return; /* the field exists: o was not created */
        }
    }
    if ((by < 0 && v < 0 && by < INT64_MIN - v) ||
        (by > 0 && v > 0 && by > INT64_MAX - v)) {
        srv_reply_error(c, "ERR increment or decrement would overflow");
        return;
    }
    v += by;
    len = snprintf(buf, sizeof(buf), "%lld", (long long)v);
    rc = hp_hash_set(o, KEY(c, 2), buf, (size_t)len);
    if (finish_write(c, o, created, rc >= 0, "hincrby") < 0)
        return;
    if (rc < 0)
        srv_reply_oom(c);
    else
        srv_reply_int(c, v);
}

/* HINCRBYFLOAT key field increment: long double arithmetic, the result
 * formatted as INCRBYFLOAT does (srv_ld2str) and stored as a string. */
void cmd_hincrbyfloat(srv_client_t *c)
{
    char buf[LD_BUF], nb[HP_INT_BUF];
    long double by, v = 0;
    int created, rc;
    hp_obj_t *o;
    hp_elem_t cur;
    resp_slice_t s;
    size_t len;

    if (srv_arg_long_double_or_reply(c, &c->argv[3], &by, NULL) < 0)
        return;
    if (isnan(by) || isinf(by)) {
        srv_reply_error(c, "ERR value is NaN or Infinity");
        return;
    }
    o = write_hash(c, &created);
    if (!o)
        return;
    if (hp_hash_get(o, KEY(c, 2), &cur) == 0) {
        s.ptr = hp_elem_bytes(&cur, nb, &s.len);
        if (srv_arg_long_double_or_reply(c, &s, &v,
                                         "ERR hash value is not a float") < 0)
            return; /* the field exists: o was not created */
    }
    v += by;
    if (isnan(v) || isinf(v)) {
        srv_reply_error(c, "ERR increment would produce NaN or Infinity");
        if (created)
            hp_decref(o);
        return;
    }
    len = srv_ld2str(buf, sizeof(buf), v);
    rc = hp_hash_set(o, KEY(c, 2), buf, len);
    if (finish_write(c, o, created, rc >= 0, "hincrbyfloat") < 0)
        return;
    if (rc < 0)
        srv_reply_oom(c);
    else
        srv_reply_bulk(c, buf, len);
}

/* ---------------------------------------------------------------------
 * HRANDFIELD
 * ------------------------------------------------------------------ */

/* State of HRANDFIELD's generator; 0 until first use. */
static uint64_t rnd_state;

/* Next pseudo-random number (xorshift64*, seeded from the clock on first
 * use). Executor thread. */
static uint64_t rnd_next(void)
{
    if (rnd_state == 0)
        rnd_state = (uint64_t)srv_ustime_now() * 2654435761u | 1;
    rnd_state ^= rnd_state >> 12;
    rnd_state ^= rnd_state << 25;
    rnd_state ^= rnd_state >> 27;
    return rnd_state * 0x2545F4914F6CDD1DULL;
}

/* A random index in [0, n). */
static size_t rnd_below(size_t n)
{
    return (size_t)(rnd_next() % n);
}

/* Reply one HRANDFIELD pick: in RESP3 with values a [field, value]
 * pair, else the field (and value) flat. */
static void reply_pick(srv_client_t *c, const hp_elem_t *f,
                       const hp_elem_t *v, int withvalues)
{
    if (withvalues && c->resp > 2)
        srv_reply_array_len(c, 2);
    reply_elem(c, f);
    if (withvalues)
        reply_elem(c, v);
}

/* Reply header for n HRANDFIELD picks. */
static void reply_picks_len(srv_client_t *c, size_t n, int withvalues)
{
    srv_reply_array_len(c, (int64_t)(withvalues && c->resp == 2 ? n * 2
                                                                 : n));
}

/* Every (field, value) pair of o, 2 elements per pair, in a new hp_malloc
 * block (borrowed contents). NULL on OOM. */
static hp_elem_t *all_pairs(hp_obj_t *o, size_t n)
{
    hp_elem_t *pairs = hp_malloc((n ? n : 1) * 2 * sizeof(*pairs));
    hp_hash_iter_t it;
    size_t i = 0;

    if (!pairs)
        return NULL;
    hp_hash_iter_init(&it, o);
    while (i < n && hp_hash_iter_next(&it, &pairs[2 * i], &pairs[2 * i + 1]))
        i++;
    hp_hash_iter_fini(&it);
    return pairs;
}

/* Negative count: count picks, repeats allowed. */
static void randfield_repeat(srv_client_t *c, hp_obj_t *o, size_t count,
                             int withvalues)
{
    size_t n = hp_hash_len(o);
    hp_elem_t *pairs = NULL, f, v;

    if (o->encoding == HP_ENC_LISTPACK) {
        pairs = all_pairs(o, n);
        if (!pairs) {
            srv_reply_oom(c);
            return;
        }
    }
    reply_picks_len(c, count, withvalues);
    while (count--) {
        if (pairs) {
            size_t i = rnd_below(n);

            reply_pick(c, &pairs[2 * i], &pairs[2 * i + 1], withvalues);
        } else {
            hp_hash_random(o, &f, &v);
            reply_pick(c, &f, &v, withvalues);
        }
    }
    hp_free(pairs);
}

/* count >= size of the hash: all of it, in iteration order. */
static void randfield_all(srv_client_t *c, hp_obj_t *o, int withvalues)
{
    hp_hash_iter_t it;
    hp_elem_t f, v;

    reply_picks_len(c, hp_hash_len(o), withvalues);
    hp_hash_iter_init(&it, o);
    while (hp_hash_iter_next(&it, &f, &v))
        reply_pick(c, &f, &v, withvalues);
    hp_hash_iter_fini(&it);
}

/* count distinct pairs out of the array of all pairs (partial
 * Fisher-Yates shuffle). */
static void randfield_shuffle(srv_client_t *c, hp_obj_t *o, size_t count,
                              int withvalues)
{
    size_t n = hp_hash_len(o);
    hp_elem_t *pairs = all_pairs(o, n);

    if (!pairs) {
        srv_reply_oom(c);
        return;
    }
    reply_picks_len(c, count, withvalues);
    for (size_t i = 0; i < count; i++) {
        size_t j = i + rnd_below(n - i);
        hp_elem_t f = pairs[2 * j], v = pairs[2 * j + 1];

        pairs[2 * j] = pairs[2 * i];
        pairs[2 * j + 1] = pairs[2 * i + 1];
        reply_pick(c, &f, &v, withvalues);
    }
    hp_free(pairs);
}

/* count distinct pairs of a big hashtable hash (count * 3 <= size):
 * random picks, skipping fields already returned (remembered in a
 * temporary dict that holds no values). */
static void randfield_sparse(srv_client_t *c, hp_obj_t *o, size_t count,
                             int withvalues)
{
    static const hp_dict_type_t seen_type = {NULL};
    hp_dict_t *seen = hp_dict_new(&seen_type);
    hp_elem_t f, v;
    size_t done = 0;

    if (!seen) {
        srv_reply_oom(c);
        return;
    }
    reply_picks_len(c, count, withvalues);
    while (done < count) {
        int existed = 0;

        hp_hash_random(o, &f, &v); /* hashtable: f and v are strings */
        /* Out of memory to remember it: reply the pick unchecked rather
         * than loop on failing adds. */
        if (hp_dict_add(seen, f.s, f.len, &existed) && existed)
            continue;
        reply_pick(c, &f, &v, withvalues);
        done++;
    }
    hp_dict_free(seen);
}

/* HRANDFIELD key count [WITHVALUES], count parsed. */
static void randfield_count(srv_client_t *c, int64_t l, int withvalues)
{
    hp_obj_t *o = srv_db_lookup_read(c->db, KEY(c, 1));
    size_t size, count;

    if (not_hash_reply(c, o))
        return;
    if (!o || l == 0) {
        srv_reply_array_len(c, 0);
        return;
    }
    size = hp_hash_len(o);
    count = (size_t)(l < 0 ? -l : l);
    if (l < 0)
        randfield_repeat(c, o, count, withvalues);
    else if (count >= size)
        randfield_all(c, o, withvalues);
    else if (o->encoding == HP_ENC_HASHTABLE && count * 3 <= size)
        randfield_sparse(c, o, count, withvalues);
    else
        randfield_shuffle(c, o, count, withvalues);
}

/* HRANDFIELD key [count [WITHVALUES]] */
void cmd_hrandfield(srv_client_t *c)
{
    int64_t l;
    int err, withvalues = 0;
    hp_obj_t *o;
    hp_elem_t f, v;

    if (c->argc >= 3) {
        if (srv_arg_range_or_reply(c, &c->argv[2], -INT64_MAX, INT64_MAX,
                                   &l, NULL) < 0)
            return;
        if (c->argc > 4 ||
            (c->argc == 4 && !srv_arg_is(&c->argv[3], "withvalues"))) {
            srv_reply_syntax_error(c);
            return;
        }
        if (c->argc == 4) {
            withvalues = 1;
            if (l < -INT64_MAX / 2 || l > INT64_MAX / 2) {
                srv_reply_error(c, "ERR value is out of range");
                return;
            }
        }
        randfield_count(c, l, withvalues);
        return;
    }
    o = read_hash(c, &err);
    if (err)
        return;
    if (o && hp_hash_random(o, &f, &v) == 0)
        reply_elem(c, &f);
    else
        srv_reply_null(c);
}

/* ---------------------------------------------------------------------
 * HSCAN
 * ------------------------------------------------------------------ */

/* Pairs gathered by one HSCAN call. */
typedef struct scan_acc {
    hp_elem_t *elems;    /* 2 per pair (borrowed contents), hp_malloc */
    size_t n, cap;       /* elements used / allocated */
    size_t seen;         /* pairs visited, matching or not (each counts
                            2 against COUNT, as Redis) */
    const char *pat;     /* MATCH pattern or NULL for all */
    size_t plen;
    int oom;
} scan_acc_t;

/* hp_hash_scan callback: keep the pair when its field matches. */
static void scan_collect(void *ud, const hp_elem_t *f, const hp_elem_t *v)
{
    scan_acc_t *a = ud;
    char buf[HP_INT_BUF];
    const char *s;
    size_t len;

    a->seen++;
    if (a->pat) {
        s = hp_elem_bytes(f, buf, &len);
        if (!srv_glob_match(a->pat, a->plen, s, len, 0))
            return;
    }
    if (a->n + 2 > a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 32;
        hp_elem_t *e = hp_realloc(a->elems, cap * sizeof(*e));

        if (!e) {
            a->oom = 1;
            return;
        }
        a->elems = e;
        a->cap = cap;
    }
    a->elems[a->n++] = *f;
    a->elems[a->n++] = *v;
}

/* Parse an HSCAN cursor as Redis's parseScanCursorOrReply (strtoul: no
 * leading space, whole string, no overflow). 0, or -1 after replying. */
static int cursor_or_reply(srv_client_t *c, const resp_slice_t *a,
                           uint64_t *out)
{
    char buf[128], *end;
    size_t len = a->len < sizeof(buf) - 1 ? a->len : sizeof(buf) - 1;
    unsigned long long v;

    memcpy(buf, a->ptr, len);
    buf[len] = '\0';
    errno = 0;
    v = strtoull(buf, &end, 10);
    if (a->len >= sizeof(buf) || isspace((unsigned char)buf[0]) ||
        *end != '\0' || errno == ERANGE) {
        srv_reply_error(c, "ERR invalid cursor");
        return -1;
    }
    *out = v;
    return 0;
}

/* HSCAN options from argv[3]: MATCH pattern, COUNT n (>= 1). 0, or -1
 * after replying. */
static int scan_opts_or_reply(srv_client_t *c, scan_acc_t *a, int64_t *count)
{
    for (int j = 3; j < c->argc; j += 2) {
        if (j + 1 >= c->argc) {
            srv_reply_syntax_error(c);
            return -1;
        }
        if (srv_arg_is(&c->argv[j], "count")) {
            if (srv_arg_ll_or_reply(c, &c->argv[j + 1], count, NULL) < 0)
                return -1;
            if (*count < 1) {
                srv_reply_syntax_error(c);
                return -1;
            }
        } else if (srv_arg_is(&c->argv[j], "match")) {
            a->pat = c->argv[j + 1].ptr;
            a->plen = c->argv[j + 1].len;
            if (a->plen == 1 && a->pat[0] == '*')
                a->pat = NULL; /* matches everything */
        } else {
            srv_reply_syntax_error(c);
            return -1;
        }
    }
    return 0;
}

/* HSCAN key cursor [MATCH pattern] [COUNT count] */
void cmd_hscan(srv_client_t *c)
{
    char cbuf[HP_INT_BUF];
    scan_acc_t a;
    int64_t count = 10;
    uint64_t cursor, iters;
    int err, len;
    hp_obj_t *o;

    memset(&a, 0, sizeof(a));
    if (cursor_or_reply(c, &c->argv[2], &cursor) < 0)
        return;
    o = read_hash(c, &err);
    if (err)
        return;
    if (!o) {
        srv_reply_array_len(c, 2);
        srv_reply_bulk(c, "0", 1);
        srv_reply_array_len(c, 0);
        return;
    }
    if (scan_opts_or_reply(c, &a, &count) < 0)
        return;
    iters = (uint64_t)count * 10;
    do {
        cursor = hp_hash_scan(o, cursor, scan_collect, &a);
    } while (cursor && iters-- && a.seen * 2 < (uint64_t)count && !a.oom);
    if (a.oom) {
        hp_free(a.elems);
        srv_reply_oom(c);
        return;
    }
    len = snprintf(cbuf, sizeof(cbuf), "%llu", (unsigned long long)cursor);
    srv_reply_array_len(c, 2);
    srv_reply_bulk(c, cbuf, (size_t)len);
    srv_reply_array_len(c, (int64_t)a.n);
    for (size_t i = 0; i < a.n; i++)
        reply_elem(c, &a.elems[i]);
    hp_free(a.elems);
}
