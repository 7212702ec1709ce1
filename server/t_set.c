/*
 * t_set.c - the set commands: SADD, SREM, SCARD, SISMEMBER, SMISMEMBER,
 * SMEMBERS, SPOP, SRANDMEMBER, SMOVE, SINTER/SINTERCARD/SINTERSTORE,
 * SUNION/SUNIONSTORE, SDIFF/SDIFFSTORE and SSCAN, with Redis 7.0's replies
 * (RESP3 sets where Redis sends them), algorithms and error texts.
 *
 * Values are heap set objects (hp_set_* in heap.h): "intset" while every
 * member is an integer and there are at most set-max-intset-entries of
 * them, else "hashtable". A set is bound to its key only once it holds a
 * member, and a command that removes the last member deletes the key.
 */
#include "commands.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heap.h"
#include "resp.h"
#include "server.h"

/* A key argument as (ptr, len) for srv_db_* calls. */
#define KEY(c, i) (c)->argv[(i)].ptr, (c)->argv[(i)].len
#define SLICE(a) (a)->ptr, (a)->len

/* SPOP with count: below this ratio of remaining to popped members pop
 * one by one, else rebuild the set from the members that stay (Redis's
 * SPOP_MOVE_STRATEGY_MUL). */
#define SPOP_MOVE_MUL 5
/* SRANDMEMBER with count: when count * this exceeds the size, copy the
 * set and drop random members, else draw distinct members (Redis's
 * SRANDMEMBER_SUB_STRATEGY_MUL). */
#define SRANDMEMBER_SUB_MUL 3

/* ---------------------------------------------------------------------
 * Helpers
 * ------------------------------------------------------------------ */

/* Copy the set threshold of the config into the heap's limits (config.c
 * does it on every change too; this keeps writes exact regardless). */
static void sync_limits(void)
{
    hp_limits.set_max_intset_entries = (size_t)srv.cfg.set_max_intset_entries;
}

/* Reply WRONGTYPE and return 1 when o exists and is not a set. */
static int not_set_reply(srv_client_t *c, const hp_obj_t *o)
{
    if (o && o->type != HP_TYPE_SET) {
        srv_reply_wrongtype(c);
        return 1;
    }
    return 0;
}

/* Reply a member as a bulk string. */
static void reply_elem(srv_client_t *c, const hp_elem_t *e)
{
    if (e->s)
        srv_reply_bulk(c, e->s, e->len);
    else
        srv_reply_bulk_int(c, e->i);
}

/* Reply every member of o (aggregate header already sent). */
static void reply_members(srv_client_t *c, hp_obj_t *o)
{
    hp_set_iter_t it;
    hp_elem_t e;

    hp_set_iter_init(&it, o);
    while (hp_set_iter_next(&it, &e))
        reply_elem(c, &e);
    hp_set_iter_fini(&it);
}

/* Borrowed set at argv[i] (read lookup), NULL when missing. *err is 1
 * after a WRONGTYPE reply. */
static hp_obj_t *read_set(srv_client_t *c, int i, int *err)
{
    hp_obj_t *o = srv_db_lookup_read(c->db, KEY(c, i));

    *err = not_set_reply(c, o);
    return *err ? NULL : o;
}

/* As read_set, with a write lookup. */
static hp_obj_t *write_set(srv_client_t *c, int i, int *err)
{
    hp_obj_t *o = srv_db_lookup_write(c->db, KEY(c, i));

    *err = not_set_reply(c, o);
    return *err ? NULL : o;
}

/* After members were removed from the set at argv[i]: notify event (a
 * set event), delete the key if it is empty (a "del" event), else
 * signal the change. */
static void after_remove(srv_client_t *c, int i, hp_obj_t *o,
                         const char *event)
{
    srv_notify(SRV_NOTIFY_SET, event, c->db, KEY(c, i));
    if (hp_set_len(o) == 0) {
        srv_db_delete(c->db, KEY(c, i));
        srv_notify(SRV_NOTIFY_GENERIC, "del", c->db, KEY(c, i));
    } else {
        srv_db_signal_modified(c->db, KEY(c, i));
    }
}

/* ---------------------------------------------------------------------
 * SADD, SREM, SCARD, SISMEMBER, SMISMEMBER, SMEMBERS
 * ------------------------------------------------------------------ */

/* SADD key member [member ...] */
void cmd_sadd(srv_client_t *c)
{
    int err, rc = 0;
    hp_obj_t *o = write_set(c, 1, &err);
    int created = 0;
    int64_t added = 0;

    if (err) return;
    sync_limits();
    if (!o) {
        o = hp_set_new();
        if (!o) {
            srv_reply_oom(c);
            return;
        }
        created = 1;
    }
    for (int j = 2; j < c->argc && rc >= 0; j++) {
        rc = hp_set_add(o, SLICE(&c->argv[j]));
        if (rc > 0) added++;
    }
    if (created) {
        if (added > 0 && srv_db_add(c->db, KEY(c, 1), o) < 0) {
            added = 0;
            rc = -ENOMEM;
        }
        hp_decref(o);
    }
    /* srv_db_add signalled a new key already. */
    if (added > 0 && !created) srv_db_signal_modified(c->db, KEY(c, 1));
    if (added > 0) srv_notify(SRV_NOTIFY_SET, "sadd", c->db, KEY(c, 1));
    if (rc < 0)
        srv_reply_oom(c);
    else
        srv_reply_int(c, added);
}

/* SREM key member [member ...] */
void cmd_srem(srv_client_t *c)
{
    int err;
    hp_obj_t *o = write_set(c, 1, &err);
    int64_t deleted = 0;

    if (err) return;
    if (!o) {
        srv_reply_int(c, 0);
        return;
    }
    for (int j = 2; j < c->argc && hp_set_len(o) > 0; j++)
        deleted += hp_set_remove(o, SLICE(&c->argv[j]));
    if (deleted) after_remove(c, 1, o, "srem");
    srv_reply_int(c, deleted);
}

/* SCARD key */
void cmd_scard(srv_client_t *c)
{
    int err;
    hp_obj_t *o = read_set(c, 1, &err);

    if (err) return;
    srv_reply_int(c, o ? (int64_t)hp_set_len(o) : 0);
}

/* SISMEMBER key member */
void cmd_sismember(srv_client_t *c)
{
    int err;
    hp_obj_t *o = read_set(c, 1, &err);

    if (err) return;
    srv_reply_int(c, o && hp_set_ismember(o, SLICE(&c->argv[2])));
}

/* SMISMEMBER key member [member ...] */
void cmd_smismember(srv_client_t *c)
{
    int err;
    hp_obj_t *o = read_set(c, 1, &err);

    if (err) return;
    srv_reply_array_len(c, c->argc - 2);
    for (int j = 2; j < c->argc; j++)
        srv_reply_int(c, o && hp_set_ismember(o, SLICE(&c->argv[j])));
}

/* SMEMBERS key (a RESP3 set). */
void cmd_smembers(srv_client_t *c)
{
    int err;
    hp_obj_t *o = read_set(c, 1, &err);

    if (err) return;
    if (!o) {
        srv_reply_set_len(c, 0);
        return;
    }
    srv_reply_set_len(c, (int64_t)hp_set_len(o));
    reply_members(c, o);
}

/* ---------------------------------------------------------------------
 * SPOP, SRANDMEMBER
 * ------------------------------------------------------------------ */

/* SPOP key count, with Redis 7.0's three cases: the whole set, one
 * member at a time, or (when few stay) draw the survivors into a new set
 * that replaces the old one. A RESP3 set reply. */
static void spop_count(srv_client_t *c)
{
    int64_t count;
    size_t size, remaining;
    hp_obj_t *o, *keep;
    hp_set_iter_t it;
    hp_elem_t e;
    int err;

    /* Redis 7.0 gives this one text for a bad count of any kind. */
    if (srv_arg_range_or_reply(c, &c->argv[2], 0, INT64_MAX, &count,
                               "ERR value is out of range, must be "
                               "positive") < 0)
        return;
    o = write_set(c, 1, &err);
    if (err) return;
    if (!o || count == 0) {
        srv_reply_set_len(c, 0);
        return;
    }
    size = hp_set_len(o);
    if ((uint64_t)count >= size) {
        srv_reply_set_len(c, (int64_t)size);
        reply_members(c, o);
        srv_notify(SRV_NOTIFY_SET, "spop", c->db, KEY(c, 1));
        srv_db_delete(c->db, KEY(c, 1));
        srv_notify(SRV_NOTIFY_GENERIC, "del", c->db, KEY(c, 1));
        return;
    }
    remaining = size - (size_t)count;
    if (remaining * SPOP_MOVE_MUL > (size_t)count) {
        srv_reply_set_len(c, count);
        while (count--) {
            hp_set_random(o, &e);
            reply_elem(c, &e);
            hp_set_remove_elem(o, &e);
        }
        srv_db_signal_modified(c->db, KEY(c, 1));
        srv_notify(SRV_NOTIFY_SET, "spop", c->db, KEY(c, 1));
        return;
    }
    /* Few stay: draw them into a new set, reply the others, swap. */
    keep = o->encoding == HP_ENC_INTSET ? hp_set_new() : hp_set_new_hashtable();
    while (keep && hp_set_len(keep) < remaining) {
        hp_set_random(o, &e);
        if (hp_set_add_elem(keep, &e) < 0) {
            hp_decref(keep);
            keep = NULL;
        }
    }
    if (!keep) {
        srv_reply_oom(c);
        return;
    }
    srv_reply_set_len(c, count);
    hp_set_iter_init(&it, o);
    while (hp_set_iter_next(&it, &e))
        if (!hp_set_ismember_elem(keep, &e)) reply_elem(c, &e);
    hp_set_iter_fini(&it);
    /* Replacing the value of a bound key allocates nothing. */
    srv_db_set(c->db, KEY(c, 1), keep, SRV_SET_KEEPTTL);
    hp_decref(keep);
    srv_notify(SRV_NOTIFY_SET, "spop", c->db, KEY(c, 1));
}

/* SPOP key [count] */
void cmd_spop(srv_client_t *c)
{
    hp_obj_t *o, *v;
    int err;

    if (c->argc == 3) {
        spop_count(c);
        return;
    }
    if (c->argc > 3) {
        srv_reply_syntax_error(c);
        return;
    }
    o = write_set(c, 1, &err);
    if (err) return;
    if (!o) {
        srv_reply_null(c);
        return;
    }
    v = hp_set_pop(o, &err);
    if (!v) {
        srv_reply_oom(c);
        return;
    }
    srv_reply_obj(c, v);
    hp_decref(v);
    after_remove(c, 1, o, "spop");
}

/* SRANDMEMBER distinct members, count < size: a subset built either by
 * dropping random members from a copy or by drawing random members. New
 * reference, NULL on OOM. */
static hp_obj_t *random_subset(hp_obj_t *o, size_t count)
{
    size_t size = hp_set_len(o);
    hp_obj_t *sub;
    hp_elem_t e;

    if (count * SRANDMEMBER_SUB_MUL > size) {
        sub = hp_set_dup(o);
        while (sub && hp_set_len(sub) > count) {
            hp_set_random(sub, &e);
            hp_set_remove_elem(sub, &e);
        }
        return sub;
    }
    sub = o->encoding == HP_ENC_INTSET ? hp_set_new() : hp_set_new_hashtable();
    while (sub && hp_set_len(sub) < count) {
        hp_set_random(o, &e);
        if (hp_set_add_elem(sub, &e) < 0) {
            hp_decref(sub);
            sub = NULL;
        }
    }
    return sub;
}

/* SRANDMEMBER key count: distinct members for count >= 0, members with
 * repetitions for count < 0 (an array, not a set, as Redis 7.0). */
static void srandmember_count(srv_client_t *c)
{
    int64_t l;
    uint64_t count;
    size_t size;
    hp_obj_t *o, *sub;
    hp_elem_t e;
    int err;

    if (srv_arg_range_or_reply(c, &c->argv[2], -INT64_MAX, INT64_MAX, &l,
                               NULL) < 0)
        return;
    o = read_set(c, 1, &err);
    if (err) return;
    if (!o || l == 0) {
        srv_reply_array_len(c, 0);
        return;
    }
    count = l < 0 ? (uint64_t)-l : (uint64_t)l;
    size = hp_set_len(o);
    if (l < 0 || count == 1) {
        srv_reply_array_len(c, (int64_t)count);
        while (count--) {
            hp_set_random(o, &e);
            reply_elem(c, &e);
        }
        return;
    }
    if (count >= size) {
        srv_reply_array_len(c, (int64_t)size);
        reply_members(c, o);
        return;
    }
    sub = random_subset(o, (size_t)count);
    if (!sub) {
        srv_reply_oom(c);
        return;
    }
    srv_reply_array_len(c, (int64_t)count);
    reply_members(c, sub);
    hp_decref(sub);
}

/* SRANDMEMBER key [count] */
void cmd_srandmember(srv_client_t *c)
{
    hp_obj_t *o;
    hp_elem_t e;
    int err;

    if (c->argc == 3) {
        srandmember_count(c);
        return;
    }
    if (c->argc > 3) {
        srv_reply_syntax_error(c);
        return;
    }
    o = read_set(c, 1, &err);
    if (err) return;
    if (!o) {
        srv_reply_null(c);
        return;
    }
    hp_set_random(o, &e);
    reply_elem(c, &e);
}

/* ---------------------------------------------------------------------
 * SMOVE
 * ------------------------------------------------------------------ */

/* SMOVE source destination member */
void cmd_smove(srv_client_t *c)
{
    hp_obj_t *src = srv_db_lookup_write(c->db, KEY(c, 1));
    hp_obj_t *dst = srv_db_lookup_write(c->db, KEY(c, 2));
    const resp_slice_t *m = &c->argv[3];
    int created = 0, rc;

    if (!src) {
        srv_reply_int(c, 0);
        return;
    }
    if (not_set_reply(c, src) || not_set_reply(c, dst)) return;
    if (src == dst) {
        srv_reply_int(c, hp_set_ismember(src, SLICE(m)));
        return;
    }
    if (!hp_set_ismember(src, SLICE(m))) {
        srv_reply_int(c, 0);
        return;
    }
    sync_limits();
    if (!dst) {
        dst = hp_set_new();
        created = 1;
    }
    /* Add first: a failed add leaves both sets as they were. */
    rc = dst ? hp_set_add(dst, SLICE(m)) : -ENOMEM;
    if (rc < 0) {
        if (created) hp_decref(dst);
        srv_reply_oom(c);
        return;
    }
    /* Events in Redis's order: srem (and del) at the source, then a
     * created destination is bound ("new"), then sadd there. */
    hp_set_remove(src, SLICE(m));
    after_remove(c, 1, src, "srem");
    if (created) {
        rc = srv_db_add(c->db, KEY(c, 2), dst);
        hp_decref(dst);
        if (rc < 0) {
            srv_reply_oom(c); /* the member is lost, as on a failed add */
            return;
        }
    }
    /* The destination changed only if the member was new there (WATCH). */
    if (rc > 0 && !created) srv_db_signal_modified(c->db, KEY(c, 2));
    if (rc > 0) srv_notify(SRV_NOTIFY_SET, "sadd", c->db, KEY(c, 2));
    srv_reply_int(c, 1);
}

/* ---------------------------------------------------------------------
 * SINTER, SINTERCARD, SINTERSTORE
 * ------------------------------------------------------------------ */

/* Look up the sets named by keys[0..n): NULL entries for missing keys.
 * Returns an hp_malloc'd array (caller frees), or NULL after an error
 * reply (WRONGTYPE or OOM). *missing counts the missing keys. */
static hp_obj_t **lookup_sets(srv_client_t *c, const resp_slice_t *keys,
                              int n, int for_write, int *missing)
{
    hp_obj_t **sets = hp_malloc((size_t)n * sizeof(*sets));

    *missing = 0;
    if (!sets) {
        srv_reply_oom(c);
        return NULL;
    }
    for (int j = 0; j < n; j++) {
        sets[j] = for_write ? srv_db_lookup_write(c->db, SLICE(&keys[j]))
                            : srv_db_lookup_read(c->db, SLICE(&keys[j]));
        if (not_set_reply(c, sets[j])) {
            hp_free(sets);
            return NULL;
        }
        if (!sets[j]) (*missing)++;
    }
    return sets;
}

/* Size of a set or 0 for a missing one. */
static size_t size_of(const hp_obj_t *o)
{
    return o ? hp_set_len(o) : 0;
}

/* Sort sets[0..n) by size, ascending (asc) or descending (insertion
 * sort: n is the number of keys of one command). */
static void sort_sets(hp_obj_t **sets, int n, int asc)
{
    for (int i = 1; i < n; i++) {
        hp_obj_t *s = sets[i];
        int j = i - 1;

        while (j >= 0 && (asc ? size_of(sets[j]) > size_of(s)
                              : size_of(sets[j]) < size_of(s))) {
            sets[j + 1] = sets[j];
            j--;
        }
        sets[j + 1] = s;
    }
}

/* Delete dst for a *STORE command with an empty result ("del" event
 * when it existed). */
static void store_delete(srv_client_t *c, const resp_slice_t *dst)
{
    if (srv_db_delete(c->db, SLICE(dst)))
        srv_notify(SRV_NOTIFY_GENERIC, "del", c->db, SLICE(dst));
}

/* Store result (may be empty) at dst as the *STORE commands do: bind it
 * (dropping any TTL), notify event and reply its size, or delete dst and
 * reply 0. */
static void store_result(srv_client_t *c, const resp_slice_t *dst,
                         hp_obj_t *result, const char *event)
{
    size_t n = hp_set_len(result);

    if (n == 0) {
        srv_reply_int(c, 0);
        store_delete(c, dst);
        return;
    }
    if (srv_db_set(c->db, SLICE(dst), result, 0) < 0) {
        srv_reply_oom(c);
        return;
    }
    srv_reply_int(c, (int64_t)n);
    srv_notify(SRV_NOTIFY_SET, event, c->db, SLICE(dst));
}

/* Whether member e of sets[0] is in every other set. */
static int in_all(hp_obj_t **sets, int n, const hp_elem_t *e)
{
    for (int j = 1; j < n; j++) {
        if (sets[j] == sets[0]) continue;
        if (!hp_set_ismember_elem(sets[j], e)) return 0;
    }
    return 1;
}

/* The intersection of keys[0..n): replied (a set), counted (card, with
 * limit 0 = none) or stored at dst. */
static void sinter_generic(srv_client_t *c, const resp_slice_t *keys, int n,
                           const resp_slice_t *dst, int card, int64_t limit)
{
    int missing, oom = 0;
    hp_obj_t **sets = lookup_sets(c, keys, n, 0, &missing);
    hp_obj_t *result = NULL;
    size_t handle = 0;
    int64_t count = 0;
    hp_set_iter_t it;
    hp_elem_t e;

    if (!sets) return;
    if (missing) {
        hp_free(sets);
        if (dst) {
            store_delete(c, dst);
            srv_reply_int(c, 0);
        } else if (card) {
            srv_reply_int(c, 0);
        } else {
            srv_reply_set_len(c, 0);
        }
        return;
    }
    sort_sets(sets, n, 1);
    if (dst) {
        sync_limits();
        result = hp_set_new();
        oom = result == NULL;
    } else if (!card) {
        handle = srv_reply_deferred(c);
    }
    hp_set_iter_init(&it, sets[0]);
    while (!oom && hp_set_iter_next(&it, &e)) {
        if (!in_all(sets, n, &e)) continue;
        count++;
        if (card) {
            if (limit && count >= limit) break;
        } else if (!dst) {
            reply_elem(c, &e);
        } else if (hp_set_add_elem(result, &e) < 0) {
            oom = 1;
        }
    }
    hp_set_iter_fini(&it);
    hp_free(sets);
    if (oom)
        srv_reply_oom(c);
    else if (card)
        srv_reply_int(c, count);
    else if (dst)
        store_result(c, dst, result, "sinterstore");
    else
        srv_reply_set_deferred(c, handle, '~', count);
    hp_decref(result);
}

/* SINTER key [key ...] */
void cmd_sinter(srv_client_t *c)
{
    sinter_generic(c, &c->argv[1], c->argc - 1, NULL, 0, 0);
}

/* SINTERSTORE destination key [key ...] */
void cmd_sinterstore(srv_client_t *c)
{
    sinter_generic(c, &c->argv[2], c->argc - 2, &c->argv[1], 0, 0);
}

/* SINTERCARD numkeys key [key ...] [LIMIT limit] */
void cmd_sintercard(srv_client_t *c)
{
    int64_t numkeys, limit = 0;

    if (srv_arg_range_or_reply(c, &c->argv[1], 1, INT64_MAX, &numkeys,
                               "ERR numkeys should be greater than 0") < 0)
        return;
    if (numkeys > c->argc - 2) {
        srv_reply_error(c, "ERR Number of keys can't be greater than "
                           "number of args");
        return;
    }
    for (int j = 2 + (int)numkeys; j < c->argc; j++) {
        if (srv_arg_is(&c->argv[j], "limit") && j + 1 < c->argc) {
            j++;
            if (srv_arg_range_or_reply(c, &c->argv[j], 0, INT64_MAX, &limit,
                                       "ERR LIMIT can't be negative") < 0)
                return;
        } else {
            srv_reply_syntax_error(c);
            return;
        }
    }
    sinter_generic(c, &c->argv[2], (int)numkeys, NULL, 1, limit);
}

/* ---------------------------------------------------------------------
 * SUNION, SDIFF and their STORE forms
 * ------------------------------------------------------------------ */

enum { SET_UNION, SET_DIFF };

/* Add every member of o to result. 0 or -ENOMEM. */
static int add_all(hp_obj_t *result, hp_obj_t *o)
{
    hp_set_iter_t it;
    hp_elem_t e;
    int rc = 0;

    hp_set_iter_init(&it, o);
    while (rc >= 0 && hp_set_iter_next(&it, &e))
        rc = hp_set_add_elem(result, &e);
    hp_set_iter_fini(&it);
    return rc < 0 ? rc : 0;
}

/* Remove every member of o from result. */
static void remove_all(hp_obj_t *result, hp_obj_t *o)
{
    hp_set_iter_t it;
    hp_elem_t e;

    hp_set_iter_init(&it, o);
    while (hp_set_len(result) > 0 && hp_set_iter_next(&it, &e))
        hp_set_remove_elem(result, &e);
    hp_set_iter_fini(&it);
}

/* Whether member e of sets[0] is in none of the other sets (stops at
 * another occurrence of sets[0] itself). */
static int in_none(hp_obj_t **sets, int n, const hp_elem_t *e)
{
    for (int j = 1; j < n; j++) {
        if (!sets[j]) continue;
        if (sets[j] == sets[0] || hp_set_ismember_elem(sets[j], e)) return 0;
    }
    return 1;
}

/* SDIFF by walking sets[0] and probing the others (Redis's algorithm 1,
 * chosen when the first set is small against the others). */
static int diff_probe(hp_obj_t *result, hp_obj_t **sets, int n)
{
    hp_set_iter_t it;
    hp_elem_t e;
    int rc = 0;

    sort_sets(sets + 1, n - 1, 0);
    hp_set_iter_init(&it, sets[0]);
    while (rc >= 0 && hp_set_iter_next(&it, &e))
        if (in_none(sets, n, &e)) rc = hp_set_add_elem(result, &e);
    hp_set_iter_fini(&it);
    return rc < 0 ? rc : 0;
}

/* SDIFF into result: Redis 7.0 picks the cheaper of probing (about
 * |first| * sets / 2) or copying the first set and removing the others
 * (the sum of the sizes). 0 or -ENOMEM. */
static int diff_into(hp_obj_t *result, hp_obj_t **sets, int n)
{
    uint64_t probe = 0, copy = 0;

    if (!sets[0] || hp_set_len(sets[0]) == 0) return 0;
    for (int j = 0; j < n; j++) {
        if (!sets[j]) continue;
        probe += hp_set_len(sets[0]);
        copy += hp_set_len(sets[j]);
    }
    probe /= 2;
    if (probe <= copy) return diff_probe(result, sets, n);
    if (add_all(result, sets[0]) < 0) return -ENOMEM;
    for (int j = 1; j < n && hp_set_len(result) > 0; j++)
        if (sets[j]) remove_all(result, sets[j]);
    return 0;
}

/* SUNION/SDIFF of keys[0..n): replied (a set) or stored at dst. */
static void sunion_diff_generic(srv_client_t *c, const resp_slice_t *keys,
                                int n, const resp_slice_t *dst, int op)
{
    int missing, rc = 0;
    hp_obj_t **sets = lookup_sets(c, keys, n, 0, &missing);
    hp_obj_t *result;

    if (!sets) return;
    sync_limits();
    result = hp_set_new();
    if (!result) {
        rc = -ENOMEM;
    } else if (op == SET_UNION) {
        for (int j = 0; j < n && rc == 0; j++)
            if (sets[j]) rc = add_all(result, sets[j]);
    } else {
        rc = diff_into(result, sets, n);
    }
    hp_free(sets);
    if (rc < 0) {
        srv_reply_oom(c);
    } else if (dst) {
        store_result(c, dst, result,
                     op == SET_UNION ? "sunionstore" : "sdiffstore");
    } else {
        srv_reply_set_len(c, (int64_t)hp_set_len(result));
        reply_members(c, result);
    }
    hp_decref(result);
}

/* SUNION key [key ...] */
void cmd_sunion(srv_client_t *c)
{
    sunion_diff_generic(c, &c->argv[1], c->argc - 1, NULL, SET_UNION);
}

/* SUNIONSTORE destination key [key ...] */
void cmd_sunionstore(srv_client_t *c)
{
    sunion_diff_generic(c, &c->argv[2], c->argc - 2, &c->argv[1], SET_UNION);
}

/* SDIFF key [key ...] */
void cmd_sdiff(srv_client_t *c)
{
    sunion_diff_generic(c, &c->argv[1], c->argc - 1, NULL, SET_DIFF);
}

/* SDIFFSTORE destination key [key ...] */
void cmd_sdiffstore(srv_client_t *c)
{
    sunion_diff_generic(c, &c->argv[2], c->argc - 2, &c->argv[1], SET_DIFF);
}

/* ---------------------------------------------------------------------
 * SSCAN
 * ------------------------------------------------------------------ */

/* Members collected by one SSCAN call: copies in one growing buffer. */
typedef struct sscan_acc {
    char *bytes;
    size_t used, cap;
    size_t *off; /* n + 1 offsets into bytes */
    size_t n, ncap;
    size_t seen; /* members visited, matching or not (COUNT) */
    const resp_slice_t *pattern; /* NULL: every member */
    int oom;
} sscan_acc_t;

/* hp_set_scan callback: keep a copy of the member when it matches
 * (Redis filters after collecting, so COUNT counts every member seen). */
static void sscan_collect(void *ud, const hp_elem_t *e)
{
    sscan_acc_t *a = ud;
    char nb[HP_INT_BUF];
    size_t len;
    const char *s = hp_elem_bytes(e, nb, &len);

    a->seen++;
    if (a->oom) return;
    if (a->pattern &&
        !srv_glob_match(a->pattern->ptr, a->pattern->len, s, len, 0))
        return;
    if (a->used + len > a->cap) {
        size_t cap = (a->used + len) * 2 + 64;
        char *b = hp_realloc(a->bytes, cap);

        if (!b) {
            a->oom = 1;
            return;
        }
        a->bytes = b;
        a->cap = cap;
    }
    if (a->n + 1 >= a->ncap) {
        size_t ncap = a->ncap * 2 + 16;
        size_t *o = hp_realloc(a->off, (ncap + 1) * sizeof(size_t));

        if (!o) {
            a->oom = 1;
            return;
        }
        a->off = o;
        a->ncap = ncap;
    }
    if (len) memcpy(a->bytes + a->used, s, len);
    a->off[a->n] = a->used;
    a->used += len;
    a->n++;
    a->off[a->n] = a->used;
}

/* The cursor as Redis's strtoul-based parser reads it. 0, or -1 after
 * "ERR invalid cursor". */
static int cursor_or_reply(srv_client_t *c, const resp_slice_t *a,
                           uint64_t *cursor)
{
    char buf[64], *end;
    int bad;

    if (a->len >= sizeof(buf)) {
        srv_reply_error(c, "ERR invalid cursor");
        return -1;
    }
    memcpy(buf, a->ptr, a->len);
    buf[a->len] = '\0';
    errno = 0;
    *cursor = strtoull(buf, &end, 10);
    bad = isspace((unsigned char)buf[0]) || *end != '\0' || errno == ERANGE;
    if (bad) {
        srv_reply_error(c, "ERR invalid cursor");
        return -1;
    }
    return 0;
}

/* [MATCH pattern] [COUNT count] from argv[3] on. 0, or -1 after an error
 * reply. */
static int sscan_opts_or_reply(srv_client_t *c, sscan_acc_t *a,
                               int64_t *count)
{
    *count = 10;
    for (int i = 3; i < c->argc; i += 2) {
        const resp_slice_t *opt = &c->argv[i];

        if (c->argc - i < 2) {
            srv_reply_syntax_error(c);
            return -1;
        }
        if (srv_arg_is(opt, "count")) {
            if (srv_arg_ll_or_reply(c, &c->argv[i + 1], count, NULL) < 0)
                return -1;
            if (*count < 1) {
                srv_reply_syntax_error(c);
                return -1;
            }
        } else if (srv_arg_is(opt, "match")) {
            const resp_slice_t *p = &c->argv[i + 1];

            a->pattern = p->len == 1 && p->ptr[0] == '*' ? NULL : p;
        } else {
            srv_reply_syntax_error(c);
            return -1;
        }
    }
    return 0;
}

/* SSCAN key cursor [MATCH pattern] [COUNT count] */
void cmd_sscan(srv_client_t *c)
{
    sscan_acc_t a = {0};
    uint64_t cursor;
    int64_t count, budget;
    hp_obj_t *o;
    char buf[32];
    int err;

    if (cursor_or_reply(c, &c->argv[2], &cursor) < 0) return;
    o = read_set(c, 1, &err);
    if (err) return;
    if (!o) {
        srv_reply_array_len(c, 2);
        srv_reply_bulk(c, "0", 1);
        srv_reply_array_len(c, 0);
        return;
    }
    if (sscan_opts_or_reply(c, &a, &count) < 0) return;
    budget = count * 10;
    do {
        cursor = hp_set_scan(o, cursor, sscan_collect, &a);
    } while (cursor && budget-- && (int64_t)a.seen < count && !a.oom);
    if (a.oom) {
        srv_reply_oom(c);
    } else {
        srv_reply_array_len(c, 2);
        snprintf(buf, sizeof(buf), "%llu", (unsigned long long)cursor);
        srv_reply_bulk(c, buf, strlen(buf));
        srv_reply_array_len(c, (int64_t)a.n);
        for (size_t i = 0; i < a.n; i++)
            srv_reply_bulk(c, a.bytes + a.off[i], a.off[i + 1] - a.off[i]);
    }
    hp_free(a.bytes);
    hp_free(a.off);
}
