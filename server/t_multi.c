/*
 * t_multi.c - transactions as Redis 7.0: MULTI, EXEC, DISCARD, WATCH,
 * UNWATCH, the queue of a client in MULTI, and the WATCH bookkeeping the
 * keyspace (db.c) signals into.
 *
 * A client in MULTI has SRV_CLIENT_MULTI set and its queued commands in
 * c->mstate (argv copied into one owned block per command). Dispatch
 * (client.c) queues every command but EXEC, DISCARD, MULTI, WATCH and
 * QUIT, and flags the transaction on errors found while queueing; EXEC
 * then refuses with EXECABORT.
 *
 * WATCH: each watched key is a watch_t owned by the client's state and
 * listed under its key in the per-database table `watched[db->id]`
 * (key -> watcher_list_t). A change to the key (srv_multi_touch_key)
 * makes the watching clients' EXEC fail (dirty_cas). As in Redis 7.0 a
 * key already expired when watched is "stale": its deletion by expiry or
 * a flush is no change; a key that expires after WATCH fails EXEC even
 * before it is deleted.
 *
 * Executor thread only.
 */
#include "server.h"
#include "commands.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

typedef struct queued_cmd {
    srv_command_t *cmd;       /* borrowed from the command table */
    int argc;
    resp_slice_t *argv;       /* argv then the bytes, one owned block */
    size_t bytes;             /* argument bytes */
} queued_cmd_t;

typedef struct watch {
    srv_client_t *client;     /* the watching client (borrowed) */
    int dbid;
    int stale;                /* the key had expired when watched */
    size_t keylen;
    char key[];               /* keylen bytes */
} watch_t;

typedef struct watcher_list {
    size_t n, cap;
    watch_t *w[];             /* borrowed: owned by the clients' states */
} watcher_list_t;

struct srv_multi_state {
    queued_cmd_t *q;          /* queued commands (owned) */
    int count, cap;
    uint32_t flags;           /* union of the queued commands' flags */
    size_t bytes;             /* argument bytes queued */
    int dirty_exec;           /* an error while queueing: EXECABORT */
    int dirty_cas;            /* a watched key changed: EXEC fails */
    watch_t **watches;        /* owned */
    size_t nwatches, watches_cap;
};

/* Per-database key -> watcher_list_t, created on the first WATCH. */
static hp_dict_t **watched;
static size_t nwatched_total; /* watches across all clients */

static void watcher_list_free(void *ptr);
static const hp_dict_type_t watched_type = {watcher_list_free};

/* val_free of the watched tables: the list only (watches are owned by
 * the clients). */
static void watcher_list_free(void *ptr)
{
    hp_free(ptr);
}

/* ---------------------------------------------------------------------
 * State
 * ------------------------------------------------------------------ */

/* c's state, created on demand; NULL on OOM. */
static struct srv_multi_state *state_of(srv_client_t *c)
{
    if (!c->mstate)
        c->mstate = hp_calloc(1, sizeof(*c->mstate));
    return c->mstate;
}

/* Free the state when it holds nothing (no MULTI, no watches). */
static void state_release_if_empty(srv_client_t *c)
{
    struct srv_multi_state *ms = c->mstate;

    if (!ms || (c->flags & SRV_CLIENT_MULTI) || ms->nwatches > 0)
        return;
    hp_free(ms->q);
    hp_free(ms->watches);
    hp_free(ms);
    c->mstate = NULL;
}

/* The watched table of database dbid, created when create is set; NULL
 * when absent (or on OOM). */
static hp_dict_t *watched_table(int dbid, int create)
{
    if (!watched) {
        if (!create)
            return NULL;
        watched = hp_calloc((size_t)srv.cfg.databases, sizeof(*watched));
        if (!watched)
            return NULL;
    }
    if (!watched[dbid] && create)
        watched[dbid] = hp_dict_new(&watched_type);
    return watched[dbid];
}

/* ---------------------------------------------------------------------
 * WATCH bookkeeping
 * ------------------------------------------------------------------ */

/* True when c already watches key in db. */
static int is_watching(const struct srv_multi_state *ms, int dbid,
                       const char *key, size_t len)
{
    for (size_t i = 0; i < ms->nwatches; i++) {
        const watch_t *w = ms->watches[i];

        if (w->dbid == dbid && w->keylen == len &&
            memcmp(w->key, key, len) == 0)
            return 1;
    }
    return 0;
}

/* Add w to the watchers of its key. 0 / -ENOMEM. */
static int watchers_add(watch_t *w)
{
    hp_dict_t *t = watched_table(w->dbid, 1);
    hp_dict_entry_t *e;
    watcher_list_t *l, *nl;
    int existed;

    if (!t)
        return -ENOMEM;
    e = hp_dict_add(t, w->key, w->keylen, &existed);
    if (!e)
        return -ENOMEM;
    l = e->v.ptr;
    if (!l || l->n == l->cap) {
        size_t cap = l ? l->cap * 2 : 2;

        nl = hp_realloc(l, sizeof(*nl) + cap * sizeof(nl->w[0]));
        if (!nl) {
            if (!l)
                hp_dict_delete(t, w->key, w->keylen);
            return -ENOMEM;
        }
        if (!l)
            nl->n = 0;
        nl->cap = cap;
        e->v.ptr = l = nl;
    }
    l->w[l->n++] = w;
    return 0;
}

/* Remove w from the watchers of its key (the key's entry goes with its
 * last watcher). */
static void watchers_remove(const watch_t *w)
{
    hp_dict_t *t = watched_table(w->dbid, 0);
    hp_dict_entry_t *e = t ? hp_dict_find(t, w->key, w->keylen) : NULL;
    watcher_list_t *l;

    if (!e)
        return;
    l = e->v.ptr;
    for (size_t i = 0; i < l->n; i++) {
        if (l->w[i] == w) {
            l->w[i] = l->w[--l->n];
            break;
        }
    }
    if (l->n == 0)
        hp_dict_delete(t, w->key, w->keylen);
}

/* Watch key in c's current database. 0 / -ENOMEM. */
static int watch_key(srv_client_t *c, const char *key, size_t len)
{
    struct srv_multi_state *ms = state_of(c);
    watch_t *w;

    if (!ms)
        return -ENOMEM;
    if (is_watching(ms, c->db->id, key, len))
        return 0;
    if (ms->nwatches == ms->watches_cap) {
        size_t cap = ms->watches_cap ? ms->watches_cap * 2 : 4;
        watch_t **nw = hp_realloc(ms->watches, cap * sizeof(*nw));

        if (!nw)
            return -ENOMEM;
        ms->watches = nw;
        ms->watches_cap = cap;
    }
    w = hp_malloc(sizeof(*w) + len);
    if (!w)
        return -ENOMEM;
    w->client = c;
    w->dbid = c->db->id;
    w->keylen = len;
    memcpy(w->key, key, len);
    w->stale = hp_dict_find(c->db->dict, key, len) != NULL &&
               srv_db_key_is_expired(c->db, key, len);
    if (watchers_add(w) < 0) {
        hp_free(w);
        return -ENOMEM;
    }
    ms->watches[ms->nwatches++] = w;
    nwatched_total++;
    return 0;
}

/* Forget every key c watches (the dirty flag is left alone). */
static void unwatch_all(srv_client_t *c)
{
    struct srv_multi_state *ms = c->mstate;

    if (!ms)
        return;
    for (size_t i = 0; i < ms->nwatches; i++) {
        watchers_remove(ms->watches[i]);
        hp_free(ms->watches[i]);
    }
    nwatched_total -= ms->nwatches;
    ms->nwatches = 0;
}

/* True when a key c watched while alive has expired since (Redis's
 * isWatchedKeyExpired, checked by EXEC). */
static int watched_key_expired(const struct srv_multi_state *ms)
{
    for (size_t i = 0; i < ms->nwatches; i++) {
        const watch_t *w = ms->watches[i];

        if (!w->stale &&
            srv_db_key_is_expired(&srv.dbs[w->dbid], w->key, w->keylen))
            return 1;
    }
    return 0;
}

/* The watchers of key in db, or NULL. Borrowed. */
static watcher_list_t *watchers_of(srv_db_t *db, const char *key,
                                   size_t len)
{
    hp_dict_t *t;
    hp_dict_entry_t *e;

    if (nwatched_total == 0 || !(t = watched_table(db->id, 0)))
        return NULL;
    e = hp_dict_find(t, key, len);
    return e ? e->v.ptr : NULL;
}

/* Key changed in db (see server.h). A stale watch whose key is now gone
 * was only deleted by expiry: no change, and the key is no longer
 * stale. */
void srv_multi_touch_key(srv_db_t *db, const char *key, size_t len)
{
    watcher_list_t *l = watchers_of(db, key, len);

    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++) {
        watch_t *w = l->w[i];

        if (w->stale && !hp_dict_find(db->dict, key, len)) {
            w->stale = 0;
            continue;
        }
        w->client->mstate->dirty_cas = 1;
    }
}

/* Key is about to be deleted by expiry (see server.h): a change for
 * watches of the live key; a stale watch only stops being stale. */
void srv_multi_touch_expired(srv_db_t *db, const char *key, size_t len)
{
    watcher_list_t *l = watchers_of(db, key, len);

    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++) {
        watch_t *w = l->w[i];

        if (w->stale)
            w->stale = 0;
        else
            w->client->mstate->dirty_cas = 1;
    }
}

/* One watch of a key of a database that is emptied or gets replaced's
 * contents; in_db: the key exists there now. Redis 7.0's rules: a stale
 * key deleted, or replaced by a stale one, and a missing key replaced by
 * a stale one, are no change. */
static void touch_replaced(watch_t *w, srv_db_t *replaced, int in_db)
{
    int in_new = replaced && hp_dict_find(replaced->dict, w->key,
                                          w->keylen) != NULL;

    if (!in_db && !in_new)
        return;
    if (w->stale) {
        if (!in_new) {
            w->stale = 0; /* a stale key deleted: no change */
            return;
        }
        if (srv_db_key_is_expired(replaced, w->key, w->keylen))
            return; /* stale replaced by stale */
    } else if (!in_db && srv_db_key_is_expired(replaced, w->key,
                                                w->keylen)) {
        w->stale = 1; /* nothing replaced by a stale key */
        return;
    }
    w->client->mstate->dirty_cas = 1;
}

/* db is emptied or gets replaced's contents (see server.h). */
void srv_multi_touch_db(srv_db_t *db, srv_db_t *replaced)
{
    hp_dict_t *t;
    hp_dict_iter_t it;
    hp_dict_entry_t *e;

    if (nwatched_total == 0 || !(t = watched_table(db->id, 0)))
        return;
    hp_dict_iter_init(&it, t, 1);
    while ((e = hp_dict_iter_next(&it)) != NULL) {
        watcher_list_t *l = e->v.ptr;
        int in_db = hp_dict_find(db->dict, e->key, e->keylen) != NULL;

        for (size_t i = 0; i < l->n; i++)
            touch_replaced(l->w[i], replaced, in_db);
    }
    hp_dict_iter_fini(&it);
}

/* ---------------------------------------------------------------------
 * The queue
 * ------------------------------------------------------------------ */

/* Free the queued commands and leave MULTI (Redis's discardTransaction
 * also unwatches). */
static void discard_transaction(srv_client_t *c)
{
    struct srv_multi_state *ms = c->mstate;

    c->flags &= ~SRV_CLIENT_MULTI;
    if (!ms)
        return;
    for (int i = 0; i < ms->count; i++)
        hp_free(ms->q[i].argv);
    hp_free(ms->q);
    ms->q = NULL;
    ms->count = ms->cap = 0;
    ms->flags = 0;
    ms->bytes = 0;
    ms->dirty_exec = 0;
    ms->dirty_cas = 0;
    unwatch_all(c);
    state_release_if_empty(c);
}

/* Copy c's current argv into one owned block: NULL on OOM. */
static resp_slice_t *argv_copy(const srv_client_t *c, size_t *bytes)
{
    size_t n = 0, size;
    resp_slice_t *copy;
    char *p;

    for (int i = 0; i < c->argc; i++)
        n += c->argv[i].len;
    size = (size_t)c->argc * sizeof(resp_slice_t) + n;
    copy = hp_malloc(size ? size : 1);
    if (!copy)
        return NULL;
    p = (char *)(copy + c->argc);
    for (int i = 0; i < c->argc; i++) {
        memcpy(p, c->argv[i].ptr, c->argv[i].len);
        copy[i].ptr = p;
        copy[i].len = c->argv[i].len;
        p += c->argv[i].len;
    }
    *bytes = n;
    return copy;
}

/* Queue c's command (see server.h). A transaction already doomed keeps
 * nothing, as Redis, but still answers QUEUED. */
void srv_multi_queue(srv_client_t *c, srv_command_t *cmd)
{
    struct srv_multi_state *ms = state_of(c);
    queued_cmd_t *q;

    if (!ms)
        goto oom;
    if (ms->dirty_exec || ms->dirty_cas) {
        srv_reply_simple(c, "QUEUED");
        return;
    }
    if (ms->count == ms->cap) {
        int cap = ms->cap ? ms->cap * 2 : 4;
        queued_cmd_t *nq = hp_realloc(ms->q, (size_t)cap * sizeof(*nq));

        if (!nq)
            goto oom;
        ms->q = nq;
        ms->cap = cap;
    }
    q = &ms->q[ms->count];
    q->argv = argv_copy(c, &q->bytes);
    if (!q->argv)
        goto oom;
    q->cmd = cmd;
    q->argc = c->argc;
    ms->count++;
    ms->flags |= cmd->flags;
    ms->bytes += q->bytes;
    srv_reply_simple(c, "QUEUED");
    return;
oom:
    srv_multi_flag_error(c);
    srv_reply_error(c, "OOM command not allowed when used memory > "
                       "'maxmemory'.");
}

/* Flag c's transaction as failed while queueing. */
void srv_multi_flag_error(srv_client_t *c)
{
    struct srv_multi_state *ms;

    if (!(c->flags & SRV_CLIENT_MULTI))
        return;
    ms = state_of(c);
    if (ms)
        ms->dirty_exec = 1;
    else
        discard_transaction(c); /* no memory: the transaction is lost */
}

/* Union of the queued commands' flags. */
uint32_t srv_multi_flags(const srv_client_t *c)
{
    return c->mstate ? c->mstate->flags : 0;
}

/* EXECABORT with the refusal's text, and no more transaction. */
void srv_multi_exec_abort(srv_client_t *c, const char *msg)
{
    discard_transaction(c);
    /* Redis passes the refusal without '-' and without "ERR ". */
    if (msg[0] == '-')
        msg++;
    if (strncmp(msg, "ERR ", 4) == 0)
        msg += 4;
    srv_reply_errorf(c, "EXECABORT Transaction discarded because of: %s",
                     msg);
}

/* CLIENT LIST's multi, multi-mem and 'd' flag for c. */
void srv_multi_info(const srv_client_t *c, int64_t *count, size_t *mem,
                    int *dirty_cas)
{
    const struct srv_multi_state *ms = c->mstate;

    *count = (c->flags & SRV_CLIENT_MULTI) ? (ms ? ms->count : 0) : -1;
    *mem = 0;
    *dirty_cas = ms ? ms->dirty_cas : 0;
    if (!ms)
        return;
    *mem = ms->bytes + (size_t)ms->cap * sizeof(queued_cmd_t);
    for (int i = 0; i < ms->count; i++)
        *mem += (size_t)ms->q[i].argc * sizeof(resp_slice_t);
}

/* A client goes away: drop its transaction and watches. */
void srv_multi_client_free(srv_client_t *c)
{
    if (!c->mstate)
        return;
    c->flags &= ~SRV_CLIENT_MULTI;
    discard_transaction(c);
    unwatch_all(c);
    state_release_if_empty(c);
}

/* ---------------------------------------------------------------------
 * Commands
 * ------------------------------------------------------------------ */

/* MULTI */
void cmd_multi(srv_client_t *c)
{
    if (c->flags & SRV_CLIENT_MULTI) {
        srv_reply_error(c, "ERR MULTI calls can not be nested");
        return;
    }
    if (!state_of(c)) {
        srv_reply_oom(c);
        return;
    }
    c->flags |= SRV_CLIENT_MULTI;
    srv_reply_ok(c);
}

/* DISCARD */
void cmd_discard(srv_client_t *c)
{
    if (!(c->flags & SRV_CLIENT_MULTI)) {
        srv_reply_error(c, "ERR DISCARD without MULTI");
        return;
    }
    discard_transaction(c);
    srv_reply_ok(c);
}

/* Run the queued commands of ms, replying an array of their replies.
 * The queue is detached from c first, so the commands see a client in
 * MULTI (blocking commands do not block) with an empty queue. */
static void exec_queue(srv_client_t *c, struct srv_multi_state *ms)
{
    queued_cmd_t *q = ms->q;
    int count = ms->count;
    int argc = c->argc;
    resp_slice_t *argv = c->argv;
    srv_command_t *cmd = c->cmd;

    ms->q = NULL;
    ms->count = ms->cap = 0;
    ms->flags = 0;
    ms->bytes = 0;
    srv_reply_array_len(c, count);
    for (int i = 0; i < count; i++) {
        c->argc = q[i].argc;
        c->argv = q[i].argv;
        c->cmd = q[i].cmd;
        srv_client_call(c, q[i].cmd);
    }
    c->argc = argc;
    c->argv = argv;
    c->cmd = cmd;
    for (int i = 0; i < count; i++)
        hp_free(q[i].argv);
    hp_free(q);
}

/* EXEC */
void cmd_exec(srv_client_t *c)
{
    struct srv_multi_state *ms = c->mstate;

    if (!(c->flags & SRV_CLIENT_MULTI) || !ms) {
        srv_reply_error(c, "ERR EXEC without MULTI");
        return;
    }
    if (watched_key_expired(ms))
        ms->dirty_cas = 1;
    if (ms->dirty_exec) {
        srv_reply_error(c, "EXECABORT Transaction discarded because of "
                           "previous errors.");
        discard_transaction(c);
        return;
    }
    if (ms->dirty_cas) {
        srv_reply_null_array(c);
        discard_transaction(c);
        return;
    }
    unwatch_all(c);
    exec_queue(c, ms);
    discard_transaction(c);
}

/* WATCH key [key ...] */
void cmd_watch(srv_client_t *c)
{
    if (c->flags & SRV_CLIENT_MULTI) {
        srv_reply_error(c, "ERR WATCH inside MULTI is not allowed");
        return;
    }
    for (int i = 1; i < c->argc; i++) {
        if (watch_key(c, c->argv[i].ptr, c->argv[i].len) < 0) {
            state_release_if_empty(c);
            srv_reply_oom(c);
            return;
        }
    }
    srv_reply_ok(c);
}

/* UNWATCH */
void cmd_unwatch(srv_client_t *c)
{
    unwatch_all(c);
    if (c->mstate)
        c->mstate->dirty_cas = 0;
    state_release_if_empty(c);
    srv_reply_ok(c);
}
