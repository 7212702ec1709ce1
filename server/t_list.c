/*
 * t_list.c - the non-blocking list commands: LPUSH/RPUSH and their X
 * variants, LPOP/RPOP (with count), LLEN, LRANGE, LINDEX, LSET, LINSERT,
 * LREM, LTRIM, LPOS, RPOPLPUSH, LMOVE and LMPOP, with Redis 7.0's replies,
 * argument order of checks and error texts.
 *
 * Values are heap list objects (hp_list_*, always "quicklist" as in Redis
 * 7.0). An emptied list is never left bound: the command that empties it
 * deletes the key. The blocking variants (BLPOP, ...) are not here.
 */
#include "commands.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "heap.h"
#include "resp.h"
#include "server.h"

/* The key argument argv[i] as (ptr, len) for srv_db_* calls. */
#define KEY(c, i) (c)->argv[(i)].ptr, (c)->argv[(i)].len

#define ERR_POSITIVE "ERR value is out of range, must be positive"
#define ERR_TOO_BIG \
    "ERR string exceeds maximum allowed size (proto-max-bulk-len)"

/* ---------------------------------------------------------------------
 * Helpers
 * ------------------------------------------------------------------ */

/* Reply WRONGTYPE and return 1 when o exists and is not a list. */
static int not_list_reply(srv_client_t *c, const hp_obj_t *o)
{
    if (o && o->type != HP_TYPE_LIST) {
        srv_reply_wrongtype(c);
        return 1;
    }
    return 0;
}

/* Reply the error matching a negative errno from a heap list mutator. */
static void reply_heap_error(srv_client_t *c, int rc)
{
    if (rc == -E2BIG) {
        srv_reply_error(c, ERR_TOO_BIG);
    } else {
        srv_reply_oom(c);
    }
}

/* Reply one list element as a bulk string. */
static void reply_elem(srv_client_t *c, const hp_elem_t *e)
{
    char buf[HP_INT_BUF];
    size_t len;
    const char *s = hp_elem_bytes(e, buf, &len);

    srv_reply_bulk(c, s, len);
}

/* Whether element e equals s[0..len) byte for byte. */
static int elem_eq(const hp_elem_t *e, const char *s, size_t len)
{
    char buf[HP_INT_BUF];
    size_t elen;
    const char *es = hp_elem_bytes(e, buf, &elen);

    return elen == len && (len == 0 || memcmp(es, s, len) == 0);
}

/* Parse LEFT / RIGHT into HP_LIST_HEAD / HP_LIST_TAIL. 0, or -1 after
 * the syntax error reply. */
static int where_or_reply(srv_client_t *c, const resp_slice_t *a, int *where)
{
    if (srv_arg_is(a, "left")) {
        *where = HP_LIST_HEAD;
    } else if (srv_arg_is(a, "right")) {
        *where = HP_LIST_TAIL;
    } else {
        srv_reply_syntax_error(c);
        return -1;
    }
    return 0;
}

/* After a write to the list bound to key argv[ki]: notify event (a list
 * event), delete the key when the list is now empty (with a "del"
 * event), and signal the change. */
static void list_written(srv_client_t *c, int ki, hp_obj_t *o,
                         const char *event)
{
    srv_notify(SRV_NOTIFY_LIST, event, c->db, KEY(c, ki));
    if (hp_list_len(o) == 0) {
        srv_db_delete(c->db, KEY(c, ki)); /* signals the key itself */
        srv_notify(SRV_NOTIFY_GENERIC, "del", c->db, KEY(c, ki));
    } else {
        srv_db_signal_modified(c->db, KEY(c, ki));
    }
}

/* The keyspace event of a pop from where. */
static const char *pop_event(int where)
{
    return where == HP_LIST_HEAD ? "lpop" : "rpop";
}

/* The keyspace event of a push at where. */
static const char *push_event(int where)
{
    return where == HP_LIST_HEAD ? "lpush" : "rpush";
}

/* Reply count elements of o from index start, towards the tail, or from
 * the tail end backwards when reverse (the element at start first). */
static void reply_range(srv_client_t *c, hp_obj_t *o, long start, size_t count,
                        int reverse)
{
    hp_list_iter_t it;
    hp_elem_t e;

    srv_reply_array_len(c, (int64_t)count);
    hp_list_iter_init(&it, o, start, count, reverse);
    while (hp_list_iter_next(&it, &e)) {
        reply_elem(c, &e);
    }
}

/* Reply up to count elements popped from where of o as an array (head
 * end first when popping from the head, tail end first otherwise) and
 * remove them. o must not be empty. */
static void pop_range_reply(srv_client_t *c, hp_obj_t *o, int where,
                            size_t count)
{
    size_t len = hp_list_len(o);
    size_t n = count > len ? len : count;

    if (where == HP_LIST_HEAD) {
        reply_range(c, o, 0, n, 0);
        hp_list_delete_range(o, 0, n);
    } else {
        reply_range(c, o, -1, n, 1);
        hp_list_delete_range(o, len - n, n);
    }
}

/* ---------------------------------------------------------------------
 * Push
 * ------------------------------------------------------------------ */

/* Push argv[2..] at where of an existing list o bound to argv[1]. Replies
 * the new length, or an error when a push fails (what was pushed stays,
 * and is signalled). */
static void push_existing(srv_client_t *c, hp_obj_t *o, int where)
{
    int pushed = 0;

    for (int j = 2; j < c->argc; j++) {
        int rc = hp_list_push(o, where, c->argv[j].ptr, c->argv[j].len);

        if (rc < 0) {
            if (pushed) {
                srv_db_signal_modified(c->db, KEY(c, 1));
                srv_notify(SRV_NOTIFY_LIST, push_event(where), c->db,
                           KEY(c, 1));
            }
            reply_heap_error(c, rc);
            return;
        }
        pushed++;
    }
    srv_db_signal_modified(c->db, KEY(c, 1));
    srv_notify(SRV_NOTIFY_LIST, push_event(where), c->db, KEY(c, 1));
    srv_reply_int(c, (int64_t)hp_list_len(o));
}

/* Create the list of argv[2..] pushed at where and bind it to argv[1]
 * (absent). Replies the length, or an error with nothing bound. */
static void push_new(srv_client_t *c, int where)
{
    hp_obj_t *o = hp_list_new();
    int rc = o ? 0 : -ENOMEM;

    for (int j = 2; j < c->argc && rc == 0; j++) {
        rc = hp_list_push(o, where, c->argv[j].ptr, c->argv[j].len);
    }
    if (rc == 0 && srv_db_add(c->db, KEY(c, 1), o) < 0) {
        rc = -ENOMEM;
    }
    if (rc < 0) {
        hp_decref(o);
        reply_heap_error(c, rc);
        return;
    }
    srv_notify(SRV_NOTIFY_LIST, push_event(where), c->db, KEY(c, 1));
    srv_reply_int(c, (int64_t)hp_list_len(o));
    hp_decref(o); /* the keyspace holds it */
}

/* LPUSH/RPUSH (xx 0) and LPUSHX/RPUSHX (xx 1) key element [element ...] */
static void push_generic(srv_client_t *c, int where, int xx)
{
    hp_obj_t *o = srv_db_lookup_write(c->db, KEY(c, 1));

    if (not_list_reply(c, o)) {
        return;
    }
    if (o) {
        push_existing(c, o, where);
    } else if (xx) {
        srv_reply_int(c, 0);
    } else {
        push_new(c, where);
    }
}

/* LPUSH key element [element ...] */
void cmd_lpush(srv_client_t *c)
{
    push_generic(c, HP_LIST_HEAD, 0);
}

/* RPUSH key element [element ...] */
void cmd_rpush(srv_client_t *c)
{
    push_generic(c, HP_LIST_TAIL, 0);
}

/* LPUSHX key element [element ...] */
void cmd_lpushx(srv_client_t *c)
{
    push_generic(c, HP_LIST_HEAD, 1);
}

/* RPUSHX key element [element ...] */
void cmd_rpushx(srv_client_t *c)
{
    push_generic(c, HP_LIST_TAIL, 1);
}

/* ---------------------------------------------------------------------
 * Pop
 * ------------------------------------------------------------------ */

/* Pop one element from where of o (bound to argv[1], not empty) and
 * reply it as a bulk string. The reply is written from the element's
 * bytes inside the list before they are deleted, so no string object
 * (an allocation and a copy of the element) is made for it. */
static void pop_one_reply(srv_client_t *c, hp_obj_t *o, int where)
{
    long index = where == HP_LIST_HEAD ? 0 : -1;
    hp_elem_t e;

    if (hp_list_index(o, index, &e) < 0) {
        srv_reply_null(c); /* not reached: callers pass a non-empty list */
        return;
    }
    reply_elem(c, &e);
    hp_list_delete_range(o, where == HP_LIST_HEAD ? 0 : hp_list_len(o) - 1, 1);
    list_written(c, 1, o, pop_event(where));
}

/* LPOP/RPOP key [count] */
static void pop_generic(srv_client_t *c, int where)
{
    int has_count = c->argc == 3;
    int64_t count = 0;
    hp_obj_t *o;

    if (c->argc > 3) {
        srv_reply_arity_error(c);
        return;
    }
    if (has_count && srv_arg_range_or_reply(c, &c->argv[2], 0, INT64_MAX,
                                            &count, ERR_POSITIVE) < 0) {
        return;
    }
    o = srv_db_lookup_write(c->db, KEY(c, 1));
    if (!o) {
        if (has_count) {
            srv_reply_null_array(c);
        } else {
            srv_reply_null(c);
        }
        return;
    }
    if (not_list_reply(c, o)) {
        return;
    }
    if (!has_count) {
        pop_one_reply(c, o, where);
    } else if (count == 0) {
        srv_reply_array_len(c, 0);
    } else {
        pop_range_reply(c, o, where, (size_t)count);
        list_written(c, 1, o, pop_event(where));
    }
}

/* LPOP key [count] */
void cmd_lpop(srv_client_t *c)
{
    pop_generic(c, HP_LIST_HEAD);
}

/* RPOP key [count] */
void cmd_rpop(srv_client_t *c)
{
    pop_generic(c, HP_LIST_TAIL);
}

/* ---------------------------------------------------------------------
 * Read commands: LLEN, LRANGE, LINDEX, LPOS
 * ------------------------------------------------------------------ */

/* LLEN key */
void cmd_llen(srv_client_t *c)
{
    hp_obj_t *o = srv_db_lookup_read(c->db, KEY(c, 1));

    if (not_list_reply(c, o)) {
        return;
    }
    srv_reply_int(c, o ? (int64_t)hp_list_len(o) : 0);
}

/* LRANGE key start stop */
void cmd_lrange(srv_client_t *c)
{
    int64_t start, stop;
    size_t first, count;
    hp_obj_t *o;

    if (srv_arg_ll_or_reply(c, &c->argv[2], &start, NULL) < 0 ||
        srv_arg_ll_or_reply(c, &c->argv[3], &stop, NULL) < 0) {
        return;
    }
    o = srv_db_lookup_read(c->db, KEY(c, 1));
    if (not_list_reply(c, o)) {
        return;
    }
    if (!o) {
        srv_reply_array_len(c, 0);
        return;
    }
    hp_list_range(o, (long)start, (long)stop, &first, &count);
    reply_range(c, o, (long)first, count, 0);
}

/* LINDEX key index */
void cmd_lindex(srv_client_t *c)
{
    hp_obj_t *o = srv_db_lookup_read(c->db, KEY(c, 1));
    int64_t index;
    hp_elem_t e;

    if (!o) {
        srv_reply_null(c);
        return;
    }
    if (not_list_reply(c, o) ||
        srv_arg_ll_or_reply(c, &c->argv[2], &index, NULL) < 0) {
        return;
    }
    if (hp_list_index(o, (long)index, &e) == 0) {
        reply_elem(c, &e);
    } else {
        srv_reply_null(c);
    }
}

/* Options of LPOS. rank is never 0; count 0 means all matches; maxlen 0
 * means no limit. */
typedef struct lpos_opts {
    int64_t rank;
    int64_t count;
    int64_t maxlen;
    int has_count;
} lpos_opts_t;

/* Parse LPOS's [RANK rank] [COUNT num-matches] [MAXLEN len]. 0, or -1
 * after an error reply. */
static int lpos_parse(srv_client_t *c, lpos_opts_t *op)
{
    memset(op, 0, sizeof(*op));
    op->rank = 1;
    for (int j = 3; j < c->argc; j++) {
        const resp_slice_t *a = &c->argv[j];
        int more = j + 1 < c->argc;

        if (srv_arg_is(a, "rank") && more) {
            if (srv_arg_ll_or_reply(c, &c->argv[++j], &op->rank, NULL) < 0) {
                return -1;
            }
            if (op->rank == 0) {
                srv_reply_error(c, "ERR RANK can't be zero: use 1 to start "
                                   "from the first match, 2 from the "
                                   "second ... or use negative to start "
                                   "from the end of the list");
                return -1;
            }
        } else if (srv_arg_is(a, "count") && more) {
            if (srv_arg_range_or_reply(c, &c->argv[++j], 0, INT64_MAX,
                                       &op->count,
                                       "ERR COUNT can't be negative") < 0) {
                return -1;
            }
            op->has_count = 1;
        } else if (srv_arg_is(a, "maxlen") && more) {
            if (srv_arg_range_or_reply(c, &c->argv[++j], 0, INT64_MAX,
                                       &op->maxlen,
                                       "ERR MAXLEN can't be negative") < 0) {
                return -1;
            }
        } else {
            srv_reply_syntax_error(c);
            return -1;
        }
    }
    return 0;
}

/* Walk o for LPOS: reply the matching indexes (an array when COUNT was
 * given, else one integer or null). */
static void lpos_search(srv_client_t *c, hp_obj_t *o, const lpos_opts_t *op)
{
    const resp_slice_t *ele = &c->argv[2];
    int reverse = op->rank < 0;
    /* Redis 7.0 negates RANK INT64_MIN into itself: every match from the
     * tail then qualifies and COUNT never stops the walk. Same here. */
    int wrapped = op->rank == INT64_MIN;
    int64_t rank = wrapped ? 1 : reverse ? -op->rank : op->rank;
    int64_t limit = wrapped ? 0 : op->count;
    size_t len = hp_list_len(o), index = 0;
    int64_t matches = 0, found = 0;
    size_t handle = 0;
    hp_list_iter_t it;
    hp_elem_t e;

    if (op->has_count) {
        handle = srv_reply_deferred(c);
    }
    hp_list_iter_init(&it, o, reverse ? -1 : 0, len, reverse);
    while ((op->maxlen == 0 || index < (size_t)op->maxlen) &&
           hp_list_iter_next(&it, &e)) {
        if (elem_eq(&e, ele->ptr, ele->len) && ++matches >= rank) {
            int64_t pos = (int64_t)(reverse ? len - index - 1 : index);

            srv_reply_int(c, pos);
            if (!op->has_count) {
                return; /* the first qualifying match is the reply */
            }
            found++;
            if (limit != 0 && found >= limit) {
                break;
            }
        }
        index++;
    }
    if (op->has_count) {
        srv_reply_set_deferred(c, handle, '*', found);
    } else {
        srv_reply_null(c);
    }
}

/* LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len] */
void cmd_lpos(srv_client_t *c)
{
    lpos_opts_t op;
    hp_obj_t *o;

    if (lpos_parse(c, &op) < 0) {
        return;
    }
    o = srv_db_lookup_read(c->db, KEY(c, 1));
    if (!o) {
        if (op.has_count) {
            srv_reply_array_len(c, 0);
        } else {
            srv_reply_null(c);
        }
        return;
    }
    if (not_list_reply(c, o)) {
        return;
    }
    lpos_search(c, o, &op);
}

/* ---------------------------------------------------------------------
 * In-place writes: LSET, LINSERT, LREM, LTRIM
 * ------------------------------------------------------------------ */

/* LSET key index element */
void cmd_lset(srv_client_t *c)
{
    hp_obj_t *o = srv_db_lookup_write(c->db, KEY(c, 1));
    int64_t index;
    int rc;

    if (!o) {
        srv_reply_no_such_key(c);
        return;
    }
    if (not_list_reply(c, o) ||
        srv_arg_ll_or_reply(c, &c->argv[2], &index, NULL) < 0) {
        return;
    }
    rc = hp_list_set(o, (long)index, c->argv[3].ptr, c->argv[3].len);
    if (rc == -ERANGE) {
        srv_reply_error(c, "ERR index out of range");
    } else if (rc < 0) {
        reply_heap_error(c, rc);
    } else {
        srv_db_signal_modified(c->db, KEY(c, 1));
        srv_notify(SRV_NOTIFY_LIST, "lset", c->db, KEY(c, 1));
        srv_reply_ok(c);
    }
}

/* LINSERT key BEFORE|AFTER pivot element */
void cmd_linsert(srv_client_t *c)
{
    const resp_slice_t *pivot = &c->argv[3], *ele = &c->argv[4];
    hp_obj_t *o;
    int after, rc;

    if (srv_arg_is(&c->argv[2], "after")) {
        after = 1;
    } else if (srv_arg_is(&c->argv[2], "before")) {
        after = 0;
    } else {
        srv_reply_syntax_error(c);
        return;
    }
    o = srv_db_lookup_write(c->db, KEY(c, 1));
    if (!o) {
        srv_reply_int(c, 0);
        return;
    }
    if (not_list_reply(c, o)) {
        return;
    }
    rc = hp_list_insert(o, after, pivot->ptr, pivot->len, ele->ptr, ele->len);
    if (rc == -ENOENT) {
        srv_reply_int(c, -1);
    } else if (rc < 0) {
        reply_heap_error(c, rc);
    } else {
        srv_db_signal_modified(c->db, KEY(c, 1));
        srv_notify(SRV_NOTIFY_LIST, "linsert", c->db, KEY(c, 1));
        srv_reply_int(c, (int64_t)hp_list_len(o));
    }
}

/* LREM key count element */
void cmd_lrem(srv_client_t *c)
{
    int64_t count;
    hp_obj_t *o;
    size_t removed;

    if (srv_arg_ll_or_reply(c, &c->argv[2], &count, NULL) < 0) {
        return;
    }
    o = srv_db_lookup_write(c->db, KEY(c, 1));
    if (!o) {
        srv_reply_int(c, 0);
        return;
    }
    if (not_list_reply(c, o)) {
        return;
    }
    removed = hp_list_remove(o, (long)count, c->argv[3].ptr, c->argv[3].len);
    if (removed) {
        list_written(c, 1, o, "lrem");
    }
    srv_reply_int(c, (int64_t)removed);
}

/* LTRIM key start stop */
void cmd_ltrim(srv_client_t *c)
{
    int64_t start, stop;
    hp_obj_t *o;

    if (srv_arg_ll_or_reply(c, &c->argv[2], &start, NULL) < 0 ||
        srv_arg_ll_or_reply(c, &c->argv[3], &stop, NULL) < 0) {
        return;
    }
    o = srv_db_lookup_write(c->db, KEY(c, 1));
    if (!o) {
        srv_reply_ok(c);
        return;
    }
    if (not_list_reply(c, o)) {
        return;
    }
    hp_list_trim(o, (long)start, (long)stop);
    list_written(c, 1, o, "ltrim");
    srv_reply_ok(c);
}

/* ---------------------------------------------------------------------
 * Moves: RPOPLPUSH, LMOVE; LMPOP
 * ------------------------------------------------------------------ */

/* Push v (a string object) at whereto of the list bound to argv[2]: dst
 * when it exists, else a new list bound there. 0, or a negative errno
 * (nothing changed at the destination). */
static int move_push(srv_client_t *c, hp_obj_t *dst, int whereto,
                     const hp_obj_t *v)
{
    char buf[HP_INT_BUF];
    size_t len;
    const char *s = hp_str_bytes(v, buf, &len);
    hp_obj_t *n;
    int rc;

    if (dst) {
        rc = hp_list_push(dst, whereto, s, len);
        if (rc == 0) {
            srv_db_signal_modified(c->db, KEY(c, 2));
            srv_notify(SRV_NOTIFY_LIST, push_event(whereto), c->db,
                       KEY(c, 2));
        }
        return rc;
    }
    n = hp_list_new();
    if (!n) {
        return -ENOMEM;
    }
    rc = hp_list_push(n, whereto, s, len);
    if (rc == 0 && srv_db_add(c->db, KEY(c, 2), n) < 0) {
        rc = -ENOMEM;
    }
    hp_decref(n);
    if (rc == 0) {
        srv_notify(SRV_NOTIFY_LIST, push_event(whereto), c->db, KEY(c, 2));
    }
    return rc;
}

/* Undo a pop from where of src after the push failed: put v back. */
static void move_undo(hp_obj_t *src, int wherefrom, const hp_obj_t *v)
{
    char buf[HP_INT_BUF];
    size_t len;
    const char *s = hp_str_bytes(v, buf, &len);

    (void)hp_list_push(src, wherefrom, s, len);
}

/* RPOPLPUSH / LMOVE source destination (argv[1], argv[2]). */
static void move_generic(srv_client_t *c, int wherefrom, int whereto)
{
    hp_obj_t *src = srv_db_lookup_write(c->db, KEY(c, 1));
    hp_obj_t *dst, *v;
    int err, rc;

    if (!src) {
        srv_reply_null(c);
        return;
    }
    if (not_list_reply(c, src)) {
        return;
    }
    dst = srv_db_lookup_write(c->db, KEY(c, 2));
    if (not_list_reply(c, dst)) {
        return;
    }
    v = hp_list_pop(src, wherefrom, &err);
    if (!v) {
        srv_reply_oom(c);
        return;
    }
    rc = move_push(c, dst, whereto, v);
    if (rc < 0) {
        move_undo(src, wherefrom, v);
        hp_decref(v);
        reply_heap_error(c, rc);
        return;
    }
    srv_reply_obj(c, v);
    hp_decref(v);
    list_written(c, 1, src, pop_event(wherefrom));
}

/* RPOPLPUSH source destination */
void cmd_rpoplpush(srv_client_t *c)
{
    move_generic(c, HP_LIST_TAIL, HP_LIST_HEAD);
}

/* LMOVE source destination LEFT|RIGHT LEFT|RIGHT */
void cmd_lmove(srv_client_t *c)
{
    int wherefrom, whereto;

    if (where_or_reply(c, &c->argv[3], &wherefrom) < 0 ||
        where_or_reply(c, &c->argv[4], &whereto) < 0) {
        return;
    }
    move_generic(c, wherefrom, whereto);
}

/* Parse LMPOP's numkeys, LEFT|RIGHT and [COUNT count]. 0, or -1 after an
 * error reply. */
static int lmpop_parse(srv_client_t *c, int64_t *numkeys, int *where,
                       int64_t *count)
{
    int64_t where_idx;

    if (srv_arg_range_or_reply(c, &c->argv[1], 1, INT64_MAX, numkeys,
                               "ERR numkeys should be greater than 0") < 0) {
        return -1;
    }
    if (*numkeys >= c->argc - 2) {
        srv_reply_syntax_error(c);
        return -1;
    }
    where_idx = 2 + *numkeys;
    if (where_or_reply(c, &c->argv[where_idx], where) < 0) {
        return -1;
    }
    *count = -1;
    for (int64_t j = where_idx + 1; j < c->argc; j++) {
        if (*count == -1 && srv_arg_is(&c->argv[j], "count") &&
            j + 1 < c->argc) {
            j++;
            if (srv_arg_range_or_reply(c, &c->argv[j], 1, INT64_MAX, count,
                                       "ERR count should be greater than "
                                       "0") < 0) {
                return -1;
            }
        } else {
            srv_reply_syntax_error(c);
            return -1;
        }
    }
    if (*count == -1) {
        *count = 1;
    }
    return 0;
}

/* LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count] */
void cmd_lmpop(srv_client_t *c)
{
    int64_t numkeys, count;
    int where;

    if (lmpop_parse(c, &numkeys, &where, &count) < 0) {
        return;
    }
    for (int j = 2; j < 2 + numkeys; j++) {
        hp_obj_t *o = srv_db_lookup_write(c->db, KEY(c, j));

        if (!o) {
            continue;
        }
        if (not_list_reply(c, o)) {
            return;
        }
        srv_reply_array_len(c, 2);
        srv_reply_bulk(c, c->argv[j].ptr, c->argv[j].len);
        pop_range_reply(c, o, where, (size_t)count);
        list_written(c, j, o, pop_event(where));
        return;
    }
    srv_reply_null_array(c);
}
