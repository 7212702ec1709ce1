/*
 * t_bzset.c - the blocking sorted-set commands: BZPOPMIN, BZPOPMAX and
 * BZMPOP, with Redis 7.0's argument checks, replies and errors.
 *
 * As in t_blist.c, a command first serves itself at once the way its
 * blocked client would later be served (the serve_* functions are also
 * its blocked.c callbacks); with no sorted set to pop from it blocks on
 * its keys, or inside MULTI replies a null array.
 *
 * Executor thread only.
 */
#include "commands.h"

#include <stdint.h>
#include <string.h>

#include "heap.h"
#include "resp.h"
#include "server.h"

/* ---------------------------------------------------------------------
 * Serving
 * ------------------------------------------------------------------ */

/* Reply n members of o from its low end (max 0) or high end (max 1),
 * lowest/highest first, as member then score, each pair in its own
 * array when nested; then remove them. */
static void pop_members(srv_client_t *c, hp_obj_t *o, size_t n, int max,
                        int nested)
{
    size_t len = hp_zset_len(o);
    hp_zset_iter_t it;
    hp_elem_t m;
    double score;

    hp_zset_iter_init(&it, o, max ? len - 1 : 0, n, max);
    while (hp_zset_iter_next(&it, &m, &score)) {
        char buf[HP_INT_BUF];
        size_t mlen;
        const char *s = hp_elem_bytes(&m, buf, &mlen);

        if (nested)
            srv_reply_array_len(c, 2);
        srv_reply_bulk(c, s, mlen);
        srv_reply_double(c, score);
    }
    hp_zset_delete_ranks(o, max ? len - n : 0, n);
}

/* After popping from the zset o bound to key: notify, delete the key
 * when empty ("del" event), else signal the change. */
static void zset_popped(srv_db_t *db, const char *key, size_t len,
                        hp_obj_t *o, int max)
{
    srv_notify(SRV_NOTIFY_ZSET, max ? "zpopmax" : "zpopmin", db, key, len);
    if (hp_zset_len(o) == 0) {
        srv_db_delete(db, key, len);
        srv_notify(SRV_NOTIFY_GENERIC, "del", db, key, len);
    } else {
        srv_db_signal_modified(db, key, len);
    }
}

/* BZPOPMIN / BZPOPMAX: pop one member and reply [key, member, score]. */
static void serve_pop(srv_client_t *c, const srv_block_req_t *req,
                      const resp_slice_t *argv, const char *key, size_t len,
                      hp_obj_t *o)
{
    (void)argv;
    srv_reply_array_len(c, 3);
    srv_reply_bulk(c, key, len);
    pop_members(c, o, 1, req->where, 0);
    zset_popped(c->db, key, len, o, req->where);
}

/* BZMPOP: pop up to req->count members and reply
 * [key, [[member, score], ...]]. */
static void serve_mpop(srv_client_t *c, const srv_block_req_t *req,
                       const resp_slice_t *argv, const char *key, size_t len,
                       hp_obj_t *o)
{
    size_t have = hp_zset_len(o);
    size_t n = (uint64_t)req->count < have ? (size_t)req->count : have;

    (void)argv;
    srv_reply_array_len(c, 2);
    srv_reply_bulk(c, key, len);
    srv_reply_array_len(c, (int64_t)n);
    pop_members(c, o, n, req->where, 1);
    zset_popped(c->db, key, len, o, req->where);
}

/* ---------------------------------------------------------------------
 * Commands
 * ------------------------------------------------------------------ */

/* BZPOPMIN/BZPOPMAX key [key ...] timeout */
static void bzpop_generic(srv_client_t *c, int max)
{
    srv_block_req_t req = {HP_TYPE_ZSET, max, 0, 1, 0, serve_pop};
    int64_t deadline;

    if (srv_block_timeout_or_reply(c, &c->argv[c->argc - 1], &deadline) < 0)
        return;
    srv_block_serve_or_block(c, 1, c->argc - 2, deadline, &req, 1);
}

/* BZPOPMIN key [key ...] timeout */
void cmd_bzpopmin(srv_client_t *c)
{
    bzpop_generic(c, 0);
}

/* BZPOPMAX key [key ...] timeout */
void cmd_bzpopmax(srv_client_t *c)
{
    bzpop_generic(c, 1);
}

/* Parse BZMPOP's numkeys (argv[2]), MIN|MAX and [COUNT count] into
 * *numkeys and req. 0, or -1 after the error reply (Redis's order). */
static int bzmpop_parse(srv_client_t *c, int64_t *numkeys,
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
    if (srv_arg_is(&c->argv[where_idx], "min")) {
        req->where = 0;
    } else if (srv_arg_is(&c->argv[where_idx], "max")) {
        req->where = 1;
    } else {
        srv_reply_syntax_error(c);
        return -1;
    }
    return srv_mpop_count_or_reply(c, (int)where_idx + 1, &req->count);
}

/* BZMPOP timeout numkeys key [key ...] MIN|MAX [COUNT count] */
void cmd_bzmpop(srv_client_t *c)
{
    srv_block_req_t req = {HP_TYPE_ZSET, 0, 0, 1, 0, serve_mpop};
    int64_t deadline, numkeys;

    if (srv_block_timeout_or_reply(c, &c->argv[1], &deadline) < 0 ||
        bzmpop_parse(c, &numkeys, &req) < 0)
        return;
    srv_block_serve_or_block(c, 3, 2 + (int)numkeys, deadline, &req, 1);
}
