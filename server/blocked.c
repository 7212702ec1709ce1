/*
 * blocked.c - clients blocked on keys (BLPOP, BLMOVE, BLMPOP, ...), with
 * Redis 7.0's semantics.
 *
 * A blocking command that finds nothing to pop calls srv_block_on_keys:
 * the client gets SRV_CLIENT_BLOCKED (dispatch then runs none of its
 * further input), a copy of its argv, and one queue node per distinct
 * key in the per-database table `waiting[db id]` (key -> blk_queue_t, a
 * FIFO of the clients blocked on that key, in arrival order).
 *
 * Every write to a key reaches srv_blocked_signal_key (from
 * srv_db_signal_modified); a key with waiting clients is then put once on
 * the ready list. After each top-level command (and after EXEC, so a
 * transaction is seen whole) srv_blocked_handle_ready serves the ready
 * keys: while the key holds a value of the type a waiting client wants,
 * the first such client is served by its command's serve callback and
 * unblocked. Serving writes keys too (BLMOVE pushes), which makes more
 * keys ready; the loop runs until the list is empty, so chains of
 * blocked moves complete within one command. A key of another type, or
 * a missing key, leaves its clients waiting.
 *
 * Timeouts are absolute unix ms checked before the loop sleeps (the cron
 * wakes the loop at `hz`), as Redis does; they reply a null array. An
 * unblocked client is queued and its buffered input runs before the loop
 * sleeps.
 *
 * Executor thread only.
 */
#include "server.h"
#include "commands.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <string.h>

typedef struct blk_queue blk_queue_t;

/* A client's place in the queue of one key. */
typedef struct blk_node {
    struct blk_node *prev, *next;
    blk_queue_t *q;             /* the queue it is linked in (borrowed) */
    struct srv_blocked_state *st;
    const char *key;            /* into st->argv (borrowed) */
    size_t len;
} blk_node_t;

struct blk_queue {
    blk_node_t *head, *tail;
    int ready;                  /* on the ready list already */
};

struct srv_blocked_state {
    srv_client_t *c;
    srv_command_t *cmd;         /* for the statistics at unblock */
    srv_block_req_t req;
    int dbid;
    int64_t deadline_ms;        /* unix ms, 0 = none */
    int argc;
    resp_slice_t *argv;         /* slices then bytes, one owned block */
    struct srv_blocked_state *prev, *next; /* all blocked clients */
    int nkeys;
    blk_node_t nodes[];         /* one per distinct key */
};

typedef struct ready_key {
    int dbid;
    size_t len;
    char *key;                  /* owned */
} ready_key_t;

static const hp_dict_type_t queue_dict_type = {hp_free};

static hp_dict_t **waiting;     /* [databases], created on first block */
static struct srv_blocked_state *blocked_list;
static uint64_t nblocked;
static int64_t next_deadline;   /* earliest deadline, maybe stale (0 none) */

static ready_key_t *ready;      /* keys to serve */
static size_t nready, ready_cap;
static int serving;             /* srv_blocked_handle_ready is running */

static srv_client_t **unblocked; /* clients whose input must be resumed */
static size_t nunblocked, unblocked_cap;
static srv_client_t **resuming;  /* the batch being resumed, or NULL */
static size_t nresuming;

/* ---------------------------------------------------------------------
 * Queues
 * ------------------------------------------------------------------ */

/* The waiting table of database dbid, created when create: NULL on OOM
 * or when absent. */
static hp_dict_t *waiting_of(int dbid, int create)
{
    if (!waiting) {
        if (!create)
            return NULL;
        waiting = hp_calloc((size_t)srv.cfg.databases, sizeof(*waiting));
        if (!waiting)
            return NULL;
    }
    if (!waiting[dbid] && create)
        waiting[dbid] = hp_dict_new(&queue_dict_type);
    return waiting[dbid];
}

/* Append n to the queue of its key in d: 0 or -ENOMEM. */
static int node_link(hp_dict_t *d, blk_node_t *n)
{
    int existed;
    hp_dict_entry_t *e = hp_dict_add(d, n->key, n->len, &existed);
    blk_queue_t *q;

    if (!e)
        return -ENOMEM;
    if (!existed) {
        e->v.ptr = hp_calloc(1, sizeof(blk_queue_t));
        if (!e->v.ptr) {
            hp_dict_delete(d, n->key, n->len);
            return -ENOMEM;
        }
    }
    q = e->v.ptr;
    n->q = q;
    n->next = NULL;
    n->prev = q->tail;
    if (q->tail)
        q->tail->next = n;
    else
        q->head = n;
    q->tail = n;
    return 0;
}

/* Remove n from its queue, dropping the queue (and its table entry) when
 * it empties. */
static void node_unlink(hp_dict_t *d, blk_node_t *n)
{
    blk_queue_t *q = n->q;

    if (!q)
        return;
    if (n->prev)
        n->prev->next = n->next;
    else
        q->head = n->next;
    if (n->next)
        n->next->prev = n->prev;
    else
        q->tail = n->prev;
    n->q = NULL;
    if (!q->head)
        hp_dict_delete(d, n->key, n->len); /* frees q */
}

/* True when key argv[i] already appears among the first n nodes. */
static int key_seen(const struct srv_blocked_state *st, int n,
                    const resp_slice_t *a)
{
    for (int i = 0; i < n; i++) {
        if (st->nodes[i].len == a->len &&
            memcmp(st->nodes[i].key, a->ptr, a->len) == 0)
            return 1;
    }
    return 0;
}

/* ---------------------------------------------------------------------
 * Blocking and unblocking
 * ------------------------------------------------------------------ */

/* Copy argc/argv into one owned block: NULL on OOM. */
static resp_slice_t *argv_dup(int argc, const resp_slice_t *argv)
{
    size_t bytes = (size_t)argc * sizeof(resp_slice_t);
    resp_slice_t *copy;
    char *p;

    for (int i = 0; i < argc; i++)
        bytes += argv[i].len;
    copy = hp_malloc(bytes ? bytes : 1);
    if (!copy)
        return NULL;
    p = (char *)(copy + argc);
    for (int i = 0; i < argc; i++) {
        memcpy(p, argv[i].ptr, argv[i].len);
        copy[i].ptr = p;
        copy[i].len = argv[i].len;
        p += argv[i].len;
    }
    return copy;
}

/* Free st after unlinking it from every queue and the blocked list. */
static void state_free(struct srv_blocked_state *st)
{
    hp_dict_t *d = waiting_of(st->dbid, 0);

    for (int i = 0; i < st->nkeys; i++)
        node_unlink(d, &st->nodes[i]);
    if (st->prev)
        st->prev->next = st->next;
    else
        blocked_list = st->next;
    if (st->next)
        st->next->prev = st->prev;
    nblocked--;
    hp_free(st->argv);
    hp_free(st);
}

/* Block c (see server.h). */
void srv_block_on_keys(srv_client_t *c, int first, int last,
                       int64_t deadline_ms, const srv_block_req_t *req)
{
    int nkeys = last - first + 1;
    struct srv_blocked_state *st;
    hp_dict_t *d = waiting_of(c->db->id, 1);

    st = hp_calloc(1, sizeof(*st) + (size_t)nkeys * sizeof(blk_node_t));
    if (st)
        st->argv = argv_dup(c->argc, c->argv);
    if (!d || !st || !st->argv) {
        if (st)
            hp_free(st->argv);
        hp_free(st);
        srv_reply_oom(c);
        return;
    }
    st->c = c;
    st->cmd = c->cmd;
    st->req = *req;
    st->dbid = c->db->id;
    st->deadline_ms = deadline_ms;
    st->argc = c->argc;
    st->next = blocked_list;
    if (blocked_list)
        blocked_list->prev = st;
    blocked_list = st;
    nblocked++;
    for (int i = first; i <= last; i++) {
        blk_node_t *n = &st->nodes[st->nkeys];

        if (key_seen(st, st->nkeys, &st->argv[i]))
            continue;
        n->st = st;
        n->key = st->argv[i].ptr;
        n->len = st->argv[i].len;
        st->nkeys++;
        if (node_link(d, n) < 0) {
            state_free(st);
            srv_reply_oom(c);
            return;
        }
    }
    c->bstate = st;
    c->flags |= SRV_CLIENT_BLOCKED;
    if (deadline_ms && (!next_deadline || deadline_ms < next_deadline))
        next_deadline = deadline_ms;
}

/* Queue c to have its buffered input run before the loop sleeps. */
static void queue_unblocked(srv_client_t *c)
{
    if (nunblocked == unblocked_cap) {
        size_t cap = unblocked_cap ? unblocked_cap * 2 : 16;
        srv_client_t **p = hp_realloc(unblocked, cap * sizeof(*p));

        if (!p) {
            srv_client_close_async(c); /* cannot resume it */
            return;
        }
        unblocked = p;
        unblocked_cap = cap;
    }
    unblocked[nunblocked++] = c;
}

/* Unblock c after its reply was written: count the command as Redis's
 * updateStatsOnUnblock (us: time spent serving, failed: an error was
 * replied), drop its blocked state and queue its input. */
static void unblock(srv_client_t *c, int64_t us, int failed)
{
    struct srv_blocked_state *st = c->bstate;

    if (!st)
        return;
    if (us < 0)
        us = 0;
    if (st->cmd) {
        st->cmd->calls++;
        st->cmd->usec += (uint64_t)us;
        srv_latency_hist_record(st->cmd, us);
        if (failed)
            st->cmd->failed_calls++;
    }
    c->bstate = NULL;
    c->flags &= ~SRV_CLIENT_BLOCKED;
    state_free(st);
    queue_unblocked(c);
}

/* Reply to a blocked client whose wait ended without data (timeout,
 * CLIENT UNBLOCK ... TIMEOUT) and unblock it. */
static void unblock_timed_out(srv_client_t *c)
{
    srv_reply_null_array(c);
    unblock(c, 0, 0);
}

/* c is being freed (see server.h). */
void srv_blocked_client_free(srv_client_t *c)
{
    if (c->bstate) {
        state_free(c->bstate);
        c->bstate = NULL;
        c->flags &= ~SRV_CLIENT_BLOCKED;
    }
    for (size_t i = 0; i < nunblocked; i++) {
        if (unblocked[i] == c)
            unblocked[i] = NULL;
    }
    for (size_t i = 0; i < nresuming; i++) {
        if (resuming[i] == c)
            resuming[i] = NULL;
    }
}

/* Parse a blocking timeout (see server.h). Redis 7.0 rounds seconds up
 * to whole ms and converts with a C cast, which turns out-of-range values
 * (inf included) negative. */
int srv_block_timeout_or_reply(srv_client_t *c, const resp_slice_t *a,
                               int64_t *deadline_ms)
{
    long double v, ms;
    int64_t t, now;

    if (srv_arg_long_double_or_reply(c, a, &v, "ERR timeout is not a float "
                                               "or out of range") < 0)
        return -1;
    ms = ceill(v * 1000.0L);
    if (!(ms > -9.2e18L && ms < 9.2e18L))
        t = -1;
    else
        t = (int64_t)ms;
    if (t < 0) {
        srv_reply_error(c, "ERR timeout is negative");
        return -1;
    }
    now = srv_mstime_now();
    if (t == 0)
        *deadline_ms = 0;
    else
        *deadline_ms = t > INT64_MAX - now ? INT64_MAX : now + t;
    return 0;
}

/* ---------------------------------------------------------------------
 * Ready keys
 * ------------------------------------------------------------------ */

/* A key was written (see server.h). */
void srv_blocked_signal_key(srv_db_t *db, const char *key, size_t len)
{
    hp_dict_t *d;
    hp_dict_entry_t *e;
    blk_queue_t *q;
    char *copy;

    if (nblocked == 0 || !(d = waiting_of(db->id, 0)))
        return;
    e = hp_dict_find(d, key, len);
    if (!e)
        return;
    q = e->v.ptr;
    if (q->ready)
        return;
    if (nready == ready_cap) {
        size_t cap = ready_cap ? ready_cap * 2 : 16;
        ready_key_t *p = hp_realloc(ready, cap * sizeof(*p));

        if (!p)
            return;
        ready = p;
        ready_cap = cap;
    }
    copy = hp_malloc(len ? len : 1);
    if (!copy)
        return;
    memcpy(copy, key, len);
    ready[nready].dbid = db->id;
    ready[nready].key = copy;
    ready[nready].len = len;
    nready++;
    q->ready = 1;
}

/* Every key of database db with waiting clients that now holds a value
 * is made ready (SWAPDB brought new contents). */
void srv_blocked_signal_db(srv_db_t *db)
{
    hp_dict_t *d = waiting_of(db->id, 0);
    hp_dict_iter_t it;
    hp_dict_entry_t *e;

    if (nblocked == 0 || !d)
        return;
    hp_dict_iter_init(&it, d, 1);
    while ((e = hp_dict_iter_next(&it)) != NULL) {
        if (hp_dict_find(db->dict, e->key, e->keylen))
            srv_blocked_signal_key(db, e->key, e->keylen);
    }
    hp_dict_iter_fini(&it);
}

/* The first client waiting on q that a value of type `type` serves, and
 * that is not being closed; NULL when none. */
static blk_node_t *first_servable(blk_queue_t *q, int type)
{
    const uint32_t gone = SRV_CLIENT_CLOSE_ASAP | SRV_CLIENT_CLOSING;

    for (blk_node_t *n = q->head; n; n = n->next) {
        if (n->st->req.type == type && !(n->st->c->flags & gone))
            return n;
    }
    return NULL;
}

/* Serve the clients waiting on key of database dbid while it holds a
 * value they want, first come first served. */
static void serve_key(int dbid, const char *key, size_t len)
{
    srv_db_t *db = &srv.dbs[dbid];
    hp_dict_t *d = waiting_of(dbid, 0);

    for (;;) {
        hp_dict_entry_t *e = d ? hp_dict_find(d, key, len) : NULL;
        blk_node_t *n;
        hp_obj_t *o;
        srv_client_t *c;
        srv_client_t *outer = srv.current_client;
        uint64_t errs = srv.stats.total_error_replies;
        int64_t start;

        if (!e)
            return;
        ((blk_queue_t *)e->v.ptr)->ready = 0;
        o = srv_db_lookup_write(db, key, len);
        if (!o || !(n = first_servable(e->v.ptr, o->type)))
            return;
        c = n->st->c;
        start = srv_ustime_now();
        srv.current_client = c;
        n->st->req.serve(c, &n->st->req, n->st->argv, key, len, o);
        srv.current_client = outer;
        unblock(c, srv_ustime_now() - start,
                errs != srv.stats.total_error_replies);
    }
}

/* Serve ready keys (see server.h). */
void srv_blocked_handle_ready(void)
{
    if (serving || nready == 0)
        return;
    serving = 1;
    /* Keys that expired during the command (DEBUG SLEEP inside EXEC)
     * serve nobody, as in Redis: expiry uses the time now. */
    srv.mstime_cache = srv_mstime_now();
    while (nready > 0) {
        ready_key_t *batch = ready;
        size_t n = nready;

        ready = NULL;
        nready = ready_cap = 0;
        for (size_t i = 0; i < n; i++) {
            serve_key(batch[i].dbid, batch[i].key, batch[i].len);
            hp_free(batch[i].key);
        }
        hp_free(batch);
    }
    serving = 0;
}

/* ---------------------------------------------------------------------
 * Timeouts and the loop hook
 * ------------------------------------------------------------------ */

/* Time out every blocked client whose deadline passed; recompute the
 * earliest deadline. */
static void handle_timeouts(void)
{
    int64_t now = srv_mstime_now(), next = 0;
    struct srv_blocked_state *st, *following;

    if (!next_deadline || now < next_deadline)
        return;
    for (st = blocked_list; st; st = following) {
        following = st->next;
        if (!st->deadline_ms)
            continue;
        if (st->deadline_ms <= now) {
            unblock_timed_out(st->c);
            continue;
        }
        if (!next || st->deadline_ms < next)
            next = st->deadline_ms;
    }
    next_deadline = next;
}

/* Before the loop sleeps (see server.h). */
void srv_blocked_before_sleep(void)
{
    if (nblocked)
        handle_timeouts();
    srv_blocked_handle_ready();
    while (nunblocked > 0) {
        srv_client_t **batch = unblocked;
        size_t n = nunblocked;

        unblocked = NULL;
        nunblocked = unblocked_cap = 0;
        /* A client freed meanwhile is cleared from batch by
         * srv_blocked_client_free. */
        resuming = batch;
        nresuming = n;
        for (size_t i = 0; i < n; i++) {
            if (batch[i])
                srv_client_resume_input(batch[i]);
        }
        resuming = NULL;
        nresuming = 0;
        hp_free(batch);
        srv_blocked_handle_ready();
    }
}

/* Number of blocked clients, and of those with a timeout (INFO). */
void srv_blocked_counts(uint64_t *blocked, uint64_t *with_timeout)
{
    uint64_t t = 0;

    for (struct srv_blocked_state *st = blocked_list; st; st = st->next)
        t += st->deadline_ms != 0;
    *blocked = nblocked;
    *with_timeout = t;
}

/* Free the tables at shutdown (clients are gone by then). */
void srv_blocked_fini(void)
{
    if (waiting) {
        for (int i = 0; i < srv.cfg.databases; i++)
            hp_dict_free(waiting[i]);
        hp_free(waiting);
        waiting = NULL;
    }
    for (size_t i = 0; i < nready; i++)
        hp_free(ready[i].key);
    hp_free(ready);
    ready = NULL;
    nready = ready_cap = 0;
    hp_free(unblocked);
    unblocked = NULL;
    nunblocked = unblocked_cap = 0;
}

/* ---------------------------------------------------------------------
 * CLIENT UNBLOCK
 * ------------------------------------------------------------------ */

/* CLIENT UNBLOCK client-id [TIMEOUT|ERROR] */
void cmd_client_unblock(srv_client_t *c)
{
    int64_t id;
    int error = 0;
    srv_client_t *t;

    if (c->argc > 4) {
        srv_reply_error(c, "ERR unknown subcommand or wrong number of "
                           "arguments for 'unblock'. Try CLIENT HELP.");
        return;
    }
    if (c->argc == 4) {
        if (srv_arg_is(&c->argv[3], "error")) {
            error = 1;
        } else if (!srv_arg_is(&c->argv[3], "timeout")) {
            srv_reply_error(c, "ERR CLIENT UNBLOCK reason should be "
                               "TIMEOUT or ERROR");
            return;
        }
    }
    if (srv_arg_ll_or_reply(c, &c->argv[2], &id, NULL) < 0)
        return;
    for (t = srv.clients; t; t = t->next) {
        if (t->id == (uint64_t)id)
            break;
    }
    if (!t || !(t->flags & SRV_CLIENT_BLOCKED) || !t->bstate) {
        srv_reply_int(c, 0);
        return;
    }
    if (error) {
        srv_reply_error(t, "UNBLOCKED client unblocked via CLIENT UNBLOCK");
        unblock(t, 0, 1);
    } else {
        unblock_timed_out(t);
    }
    srv_reply_int(c, 1);
}

/* Serve c at once from the first key of argv[first..last] that exists:
 * 1 when served or WRONGTYPE was replied (a key of another type than
 * req->type), 0 when every key is missing. */
static int serve_now(srv_client_t *c, int first, int last,
                     const srv_block_req_t *req)
{
    for (int j = first; j <= last; j++) {
        const resp_slice_t *k = &c->argv[j];
        hp_obj_t *o = srv_db_lookup_write(c->db, k->ptr, k->len);

        if (!o)
            continue;
        if (o->type != req->type) {
            srv_reply_wrongtype(c);
            return 1;
        }
        req->serve(c, req, c->argv, k->ptr, k->len, o);
        return 1;
    }
    return 0;
}

/* See server.h. */
void srv_block_serve_or_block(srv_client_t *c, int first, int last,
                              int64_t deadline_ms, const srv_block_req_t *req,
                              int null_array)
{
    if (serve_now(c, first, last, req))
        return;
    if (c->flags & SRV_CLIENT_MULTI) {
        /* Inside MULTI a blocking command never blocks (Redis). */
        if (null_array)
            srv_reply_null_array(c);
        else
            srv_reply_null(c);
        return;
    }
    srv_block_on_keys(c, first, last, deadline_ms, req);
}

/* See server.h. */
int srv_mpop_count_or_reply(srv_client_t *c, int from, int64_t *count)
{
    int64_t n = -1;

    for (int j = from; j < c->argc; j++) {
        if (n == -1 && srv_arg_is(&c->argv[j], "count") && j + 1 < c->argc) {
            j++;
            if (srv_arg_range_or_reply(c, &c->argv[j], 1, INT64_MAX, &n,
                                       "ERR count should be greater than "
                                       "0") < 0)
                return -1;
        } else {
            srv_reply_syntax_error(c);
            return -1;
        }
    }
    *count = n == -1 ? 1 : n;
    return 0;
}
