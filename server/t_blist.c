/*
 * t_blist.c - the blocking list commands: BLPOP, BRPOP, BRPOPLPUSH,
 * BLMOVE and BLMPOP, with Redis 7.0's argument checks, replies and
 * errors.
 *
 * Each command first tries to serve itself at once, exactly as the
 * blocked client would later be served (the serve_* functions below are
 * also its blocked.c callbacks). With nothing to pop it blocks on its
 * keys (blocked.c), or, inside MULTI, replies a null at once.
 *
 * Executor thread only.
 */
#include "commands.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "heap.h"
#include "resp.h"
#include "server.h"

/* ---------------------------------------------------------------------
 * Serving
 * ------------------------------------------------------------------ */

/* Redis's keyspace event for a pop from / push at where. */
static const char *pop_event(int where)
{
    return where == HP_LIST_HEAD ? "lpop" : "rpop";
}

static const char *push_event(int where)
{
    return where == HP_LIST_HEAD ? "lpush" : "rpush";
}

/* After popping from where of the list o bound to key in db: notify,
 * delete the key when the list is empty ("del" event), else signal the
 * change. */
static void list_popped(srv_db_t *db, const char *key, size_t len,
                        hp_obj_t *o, int where)
{
    srv_notify(SRV_NOTIFY_LIST, pop_event(where), db, key, len);
    if (hp_list_len(o) == 0) {
        srv_db_delete(db, key, len);
        srv_notify(SRV_NOTIFY_GENERIC, "del", db, key, len);
    } else {
        srv_db_signal_modified(db, key, len);
    }
}

/* BLPOP / BRPOP: pop one element from req->where of o (bound to key) and
 * reply [key, element]. */
static void serve_pop(srv_client_t *c, const srv_block_req_t *req,
                      const resp_slice_t *argv, const char *key, size_t len,
                      hp_obj_t *o)
{
    int err = 0;
    hp_obj_t *v = hp_list_pop(o, req->where, &err);

    (void)argv;
    if (!v) {
        srv_reply_oom(c);
        return;
    }
    srv_reply_array_len(c, 2);
    srv_reply_bulk(c, key, len);
    srv_reply_obj(c, v);
    hp_decref(v);
    list_popped(c->db, key, len, o, req->where);
}

/* BLMPOP: pop up to req->count elements from req->where of o (bound to
 * key) and reply [key, [elements]]. */
static void serve_mpop(srv_client_t *c, const srv_block_req_t *req,
                       const resp_slice_t *argv, const char *key, size_t len,
                       hp_obj_t *o)
{
    size_t have = hp_list_len(o);
    size_t n = (uint64_t)req->count < have ? (size_t)req->count : have;

    (void)argv;
    srv_reply_array_len(c, 2);
    srv_reply_bulk(c, key, len);
    srv_reply_array_len(c, (int64_t)n);
    for (size_t i = 0; i < n; i++) {
        hp_obj_t *v = hp_list_pop(o, req->where, NULL);

        if (!v) { /* cannot happen: n <= length */
            srv_reply_null(c);
            continue;
        }
        srv_reply_obj(c, v);
        hp_decref(v);
    }
    list_popped(c->db, key, len, o, req->where);
}

/* Push v at whereto of the list dst bound to dkey, or of a new list bound
 * there when dst is NULL. 0 or a negative errno (nothing changed). */
static int push_to(srv_db_t *db, const char *dkey, size_t dlen,
                   hp_obj_t *dst, int whereto, const hp_obj_t *v)
{
    char buf[HP_INT_BUF];
    size_t len;
    const char *s = hp_str_bytes(v, buf, &len);
    hp_obj_t *n;
    int rc;

    if (dst) {
        rc = hp_list_push(dst, whereto, s, len);
        if (rc == 0) {
            srv_db_signal_modified(db, dkey, dlen);
            srv_notify(SRV_NOTIFY_LIST, push_event(whereto), db, dkey, dlen);
        }
        return rc;
    }
    n = hp_list_new();
    if (!n)
        return -ENOMEM;
    rc = hp_list_push(n, whereto, s, len);
    if (rc == 0 && srv_db_add(db, dkey, dlen, n) < 0)
        rc = -ENOMEM;
    hp_decref(n);
    if (rc == 0)
        srv_notify(SRV_NOTIFY_LIST, push_event(whereto), db, dkey, dlen);
    return rc;
}

/* BRPOPLPUSH / BLMOVE: move one element from req->where of o (bound to
 * key) to req->whereto of the list argv[req->dst], replying the element;
 * WRONGTYPE (nothing moved) when the destination is not a list. */
static void serve_move(srv_client_t *c, const srv_block_req_t *req,
                       const resp_slice_t *argv, const char *key, size_t len,
                       hp_obj_t *o)
{
    const resp_slice_t *d = &argv[req->dst];
    hp_obj_t *dst = srv_db_lookup_write(c->db, d->ptr, d->len);
    hp_obj_t *v;
    int err = 0, rc;

    if (dst && dst->type != HP_TYPE_LIST) {
        srv_reply_wrongtype(c);
        return;
    }
    v = hp_list_pop(o, req->where, &err);
    if (!v) {
        srv_reply_oom(c);
        return;
    }
    rc = push_to(c->db, d->ptr, d->len, dst, req->whereto, v);
    if (rc < 0) {
        char buf[HP_INT_BUF];
        size_t vlen;
        const char *s = hp_str_bytes(v, buf, &vlen);

        (void)hp_list_push(o, req->where, s, vlen); /* undo the pop */
        hp_decref(v);
        if (rc == -E2BIG)
            srv_reply_error(c, "ERR string exceeds maximum allowed size "
                               "(proto-max-bulk-len)");
        else
            srv_reply_oom(c);
        return;
    }
    srv_reply_obj(c, v);
    hp_decref(v);
    list_popped(c->db, key, len, o, req->where);
}

/* ---------------------------------------------------------------------
 * Commands
 * ------------------------------------------------------------------ */

/* BLPOP/BRPOP key [key ...] timeout */
static void bpop_generic(srv_client_t *c, int where)
{
    srv_block_req_t req = {HP_TYPE_LIST, where, 0, 1, 0, serve_pop};
    int64_t deadline;

    if (srv_block_timeout_or_reply(c, &c->argv[c->argc - 1], &deadline) < 0)
        return;
    srv_block_serve_or_block(c, 1, c->argc - 2, deadline, &req, 1);
}

/* BLPOP key [key ...] timeout */
void cmd_blpop(srv_client_t *c)
{
    bpop_generic(c, HP_LIST_HEAD);
}

/* BRPOP key [key ...] timeout */
void cmd_brpop(srv_client_t *c)
{
    bpop_generic(c, HP_LIST_TAIL);
}

/* BRPOPLPUSH / BLMOVE source destination ... timeout (argv[tidx]). */
static void bmove_generic(srv_client_t *c, int wherefrom, int whereto,
                          int tidx)
{
    srv_block_req_t req = {HP_TYPE_LIST, wherefrom, whereto, 1, 2,
                           serve_move};
    int64_t deadline;

    if (srv_block_timeout_or_reply(c, &c->argv[tidx], &deadline) < 0)
        return;
    srv_block_serve_or_block(c, 1, 1, deadline, &req, 0);
}

/* BRPOPLPUSH source destination timeout */
void cmd_brpoplpush(srv_client_t *c)
{
    bmove_generic(c, HP_LIST_TAIL, HP_LIST_HEAD, 3);
}

/* LEFT / RIGHT into HP_LIST_HEAD / HP_LIST_TAIL: 0, or -1 after the
 * syntax error reply. */
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

/* BLMOVE source destination LEFT|RIGHT LEFT|RIGHT timeout */
void cmd_blmove(srv_client_t *c)
{
    int wherefrom, whereto;

    if (where_or_reply(c, &c->argv[3], &wherefrom) < 0 ||
        where_or_reply(c, &c->argv[4], &whereto) < 0)
        return;
    bmove_generic(c, wherefrom, whereto, 5);
}

/* Parse BLMPOP's numkeys (argv[2]), LEFT|RIGHT and [COUNT count] into
 * *numkeys and req. 0, or -1 after the error reply (Redis's order). */
static int blmpop_parse(srv_client_t *c, int64_t *numkeys,
                        srv_block_req_t *req)
{
    int64_t where_idx;

    if (srv_arg_range_or_reply(c, &c->argv[2], 1, INT64_MAX, numkeys,
                               "ERR numkeys should be greater than 0") < 0)
        return -1;
    if (*numkeys >= c->argc - 3) {
        srv_reply_syntax_error(c);
        return -1;
    }
    where_idx = 3 + *numkeys;
    if (where_or_reply(c, &c->argv[where_idx], &req->where) < 0)
        return -1;
    return srv_mpop_count_or_reply(c, (int)where_idx + 1, &req->count);
}

/* BLMPOP timeout numkeys key [key ...] LEFT|RIGHT [COUNT count] */
void cmd_blmpop(srv_client_t *c)
{
    srv_block_req_t req = {HP_TYPE_LIST, 0, 0, 1, 0, serve_mpop};
    int64_t deadline, numkeys;

    if (srv_block_timeout_or_reply(c, &c->argv[1], &deadline) < 0 ||
        blmpop_parse(c, &numkeys, &req) < 0)
        return;
    srv_block_serve_or_block(c, 3, 2 + (int)numkeys, deadline, &req, 1);
}
