/*
 * t_ref.c - reference commands (HEAP.md "References: linked structures"):
 * REF.HSET, REF.SADD, REF.ZADD, REF.LPUSH, REF.RPUSH (strong or WEAK
 * elements), REF.GET,
 * REF.INFO, REF.LINK (strong or WEAK aliases), REF.SET.
 *
 * Targets are looked up by name; the element's label is the target's
 * name. Every target is checked before anything changes, so an error
 * leaves the keyspace as it was. Executor thread only.
 */
#include "server.h"
#include "heap_gc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"

#define KEY(c, i) (c)->argv[i].ptr, (c)->argv[i].len

/* ---------------------------------------------------------------------
 * Weak elements vanishing: notifications and WATCH
 *
 * The heap tells us (container, element) when a weak element vanishes,
 * not the container's name. REF.* writes of weak elements remember a
 * name hint per container (address -> db, key); an event is queued with
 * a hold on the container (the callback runs inside frees and flushes,
 * where the keyspace must not be touched) and handled before the loop
 * sleeps: when the hinted name still binds that very container, the
 * element's event is published, WATCH signalled, and an emptied
 * container's binding deleted (`del`). A hint whose name no longer binds
 * its container is dropped (a sample is checked each time). An emptied
 * container may still be bound to other names: db.c reclaims those on
 * access or by its sweep.
 *
 * A weak alias's event (ev->binding) goes to db.c, which queues it the
 * same way (srv_db_weak_cleared) and unbinds it before the loop sleeps
 * (`del`, WATCH); until then it already reads as missing.
 * ------------------------------------------------------------------ */

typedef struct name_hint {
    int db;
    size_t len;
    char key[];
} name_hint_t;

typedef struct weak_event {
    struct weak_event *next;
    hp_obj_t *container; /* held */
    size_t klen;
    char key[];
} weak_event_t;

static hp_dict_t *hints; /* container address -> name_hint_t* (owned) */
static weak_event_t *events_head, **events_tail = &events_head;

/* val_free of the hints dict. */
static void hint_free(void *p)
{
    free(p);
}

static const hp_dict_type_t hint_type = {hint_free};

/* The heap's clear callback: queue an element event, or hand a weak
 * binding to db.c. Runs inside frees: no keyspace change here. */
static void on_weak_clear(void *ud, const hp_weak_event_t *ev)
{
    weak_event_t *e;

    if (ev->binding) {
        srv_db_weak_cleared(ev->ud);
        srv_gc_wake();
        return;
    }
    if (!ev->container || !hints ||
        !hp_dict_find(hints, (const char *)&ev->container,
                      sizeof(ev->container)))
        return;
    e = malloc(sizeof(*e) + ev->klen);
    if (!e)
        return;
    e->next = NULL;
    e->container = ev->container;
    hp_incref(e->container);
    e->klen = ev->klen;
    memcpy(e->key, ev->key, ev->klen);
    *events_tail = e;
    events_tail = &e->next;
    srv_gc_wake();
}

/* Register the clear callback (server startup). */
void srv_ref_init(void)
{
    hp_weakref_set_clear_callback(on_weak_clear, NULL);
}

/* Remember that container o is bound to key of db number dbid. */
static void hint_put(int dbid, const char *key, size_t klen, hp_obj_t *o)
{
    hp_dict_entry_t *de;
    name_hint_t *h;
    int existed;

    if (!hints && !(hints = hp_dict_new(&hint_type)))
        return;
    h = malloc(sizeof(*h) + klen);
    if (!h)
        return;
    h->db = dbid;
    h->len = klen;
    memcpy(h->key, key, klen);
    de = hp_dict_add(hints, (const char *)&o, sizeof(o), &existed);
    if (!de) {
        free(h);
        return;
    }
    free(de->v.ptr);
    de->v.ptr = h;
}

/* Remember that container o is bound to argv[1] of c's db. */
static void hint_set(srv_client_t *c, hp_obj_t *o)
{
    hint_put(c->db->id, KEY(c, 1), o);
}

/* COPY of a container with reference elements (server.h). */
int srv_ref_copy(srv_db_t *db, const char *key, size_t klen, hp_obj_t *dst,
                 const hp_obj_t *src)
{
    if (hp_ref_copy(dst, src) < 0)
        return -1;
    if (hp_ref_out_weak(dst) > 0)
        hint_put(db->id, key, klen, dst);
    return 0;
}

/* The db whose name h binds container o, or NULL when it no longer does
 * (pointer comparison only: o may be gone). */
static srv_db_t *hint_db(const name_hint_t *h, const void *o)
{
    if (h->db >= srv.cfg.databases)
        return NULL;
    return srv_db_peek(&srv.dbs[h->db], h->key, h->len) == o
               ? &srv.dbs[h->db] : NULL;
}

/* Publish one queued event (see above). */
static void event_handle(weak_event_t *e)
{
    static const char *const ev[] = {"", "lrem", "srem", "zrem", "hdel"};
    static const int cls[] = {0, SRV_NOTIFY_LIST, SRV_NOTIFY_SET,
                              SRV_NOTIFY_ZSET, SRV_NOTIFY_HASH};
    hp_obj_t *o = e->container;
    hp_dict_entry_t *de = hp_dict_find(hints, (const char *)&o, sizeof(o));
    name_hint_t *h = de ? de->v.ptr : NULL;
    srv_db_t *db = h ? hint_db(h, o) : NULL;
    size_t len = o->type == HP_TYPE_HASH ? hp_hash_len(o)
                 : o->type == HP_TYPE_SET ? hp_set_len(o)
                 : o->type == HP_TYPE_LIST ? hp_list_len(o)
                 : hp_zset_len(o);

    if (len == 0)
        srv_db_empty_suspect(); /* other names may bind it */
    if (!db) {
        if (de)
            hp_dict_delete(hints, (const char *)&o, sizeof(o));
        return;
    }
    srv_db_signal_modified(db, h->key, h->len);
    if (o->type <= HP_TYPE_HASH && o->type >= HP_TYPE_LIST)
        srv_notify(cls[o->type], ev[o->type], db, h->key, h->len);
    if (len == 0) {
        /* the binding reads as missing now: the lookup unbinds it and
         * publishes `del` */
        srv_db_lookup_nostats(db, h->key, h->len);
        hp_dict_delete(hints, (const char *)&o, sizeof(o));
    }
}

/* Drop up to n hints whose name no longer binds their container. */
static void hints_prune(int n)
{
    while (hints && hp_dict_size(hints) > 0 && n-- > 0) {
        hp_dict_entry_t *de = hp_dict_random(hints);
        const void *o;

        memcpy(&o, de->key, sizeof(o));
        if (!hint_db(de->v.ptr, o))
            hp_dict_delete(hints, de->key, de->keylen);
    }
}

/* Before the loop sleeps: unbind the weak aliases whose object died,
 * then handle the queued weak-element events. */
void srv_ref_before_sleep(void)
{
    srv_db_weak_flush();
    if (!events_head)
        return;
    while (events_head) {
        weak_event_t *e = events_head;

        events_head = e->next;
        if (!events_head)
            events_tail = &events_head;
        event_handle(e);
        hp_decref(e->container);
        free(e);
    }
    hints_prune(16);
}

/* Free the hints and queued events (shutdown). */
void srv_ref_fini(void)
{
    while (events_head) {
        weak_event_t *e = events_head;

        events_head = e->next;
        hp_decref(e->container);
        free(e);
    }
    events_tail = &events_head;
    hp_dict_free(hints);
    hints = NULL;
    hp_weakref_set_clear_callback(NULL, NULL);
}

/* Borrowed: the object bound to target argv[i], made private first when
 * it is a shared constant (HEAP.md: a reference never points at one).
 * NULL after an error reply. */
static hp_obj_t *target_or_reply(srv_client_t *c, int i)
{
    hp_obj_t *o = srv_db_lookup_read(c->db, KEY(c, i));
    hp_obj_t *copy;
    char buf[HP_INT_BUF];
    const char *s;
    size_t len;

    if (!o) {
        srv_reply_errorf(c, "ERR target key '%.*s' does not exist",
                         (int)c->argv[i].len, c->argv[i].ptr);
        return NULL;
    }
    if (!hp_obj_is_shared(o))
        return o;
    s = hp_str_bytes(o, buf, &len);
    copy = hp_str_new(s, len);
    if (!copy || srv_db_set(c->db, KEY(c, i), copy, SRV_SET_KEEPTTL) < 0) {
        hp_decref(copy);
        srv_reply_oom(c);
        return NULL;
    }
    hp_decref(copy);
    return copy;
}

/* The container at argv[1] for writing (created, not yet bound, when
 * missing: *created = 1). NULL after a WRONGTYPE/OOM reply. */
static hp_obj_t *container_or_reply(srv_client_t *c, int type, int *created)
{
    hp_obj_t *o = srv_db_lookup_write(c->db, KEY(c, 1));

    *created = 0;
    if (o) {
        if (o->type != type) {
            srv_reply_wrongtype(c);
            return NULL;
        }
        return o;
    }
    o = type == HP_TYPE_HASH ? hp_hash_new()
        : type == HP_TYPE_SET ? hp_set_new_hashtable()
        : type == HP_TYPE_LIST ? hp_list_new() : hp_zset_new(0, 0);
    if (!o)
        srv_reply_oom(c);
    *created = 1;
    return o;
}

/* After a REF.* element write: bind a new container, signal, notify. */
static int finish_write(srv_client_t *c, hp_obj_t *o, int created,
                        int changed, int weak, int ntype, const char *event)
{
    if (created) {
        int rc = srv_db_add(c->db, KEY(c, 1), o);

        hp_decref(o);
        if (rc < 0) {
            srv_reply_oom(c);
            return -1;
        }
    } else if (changed) {
        srv_db_signal_modified(c->db, KEY(c, 1));
    }
    if (!weak) /* the container's TTL now matters to its targets */
        srv_db_ref_target(c->db, KEY(c, 1));
    srv_notify(ntype, event, c->db, KEY(c, 1));
    if (weak)
        hint_set(c, o);
    srv_gc_wake();
    return 0;
}

/* Whether argv[i] is WEAK (then *first moves past it). */
static int parse_weak(srv_client_t *c, int *first)
{
    if (*first < c->argc && srv_arg_is(&c->argv[*first], "weak")) {
        (*first)++;
        return HP_REF_WEAK;
    }
    return HP_REF_STRONG;
}

/* After a reference to target argv[i] was stored: a TTL of that name
 * now matters to the weak references the object has or may get
 * (db.c, "Names with a TTL"). */
static void note_target(srv_client_t *c, int i)
{
    srv_db_ref_target(c->db, KEY(c, i));
}

/* Look every target (argv[first + k*step + off]) up before any change;
 * privatises shared constants. 0, or -1 after an error reply. */
static int check_targets(srv_client_t *c, int first, int step, int off)
{
    for (int i = first + off; i < c->argc; i += step)
        if (!target_or_reply(c, i))
            return -1;
    return 0;
}

/* REF.HSET key [WEAK] field target [field target ...] */
void cmd_ref_hset(srv_client_t *c)
{
    int first = 2, strength = parse_weak(c, &first), created, added = 0;
    hp_obj_t *h;

    if (c->argc - first < 2 || (c->argc - first) % 2 != 0) {
        srv_reply_arity_error(c);
        return;
    }
    if (check_targets(c, first, 2, 1) < 0)
        return;
    if (!(h = container_or_reply(c, HP_TYPE_HASH, &created)))
        return;
    for (int i = first; i < c->argc; i += 2) {
        hp_obj_t *t = srv_db_lookup_read(c->db, KEY(c, i + 1));
        int rc = hp_ref_hash_set(h, KEY(c, i), t, KEY(c, i + 1), strength);

        if (rc < 0) {
            if (created)
                hp_decref(h);
            srv_reply_oom(c);
            return;
        }
        note_target(c, i + 1);
        added += rc;
    }
    if (finish_write(c, h, created, 1, strength, SRV_NOTIFY_HASH, "hset") == 0)
        srv_reply_int(c, added);
}

/* REF.SADD key [WEAK] target [target ...] */
void cmd_ref_sadd(srv_client_t *c)
{
    int first = 2, strength = parse_weak(c, &first), created, added = 0;
    hp_obj_t *s;

    if (c->argc - first < 1) {
        srv_reply_arity_error(c);
        return;
    }
    if (check_targets(c, first, 1, 0) < 0)
        return;
    if (!(s = container_or_reply(c, HP_TYPE_SET, &created)))
        return;
    for (int i = first; i < c->argc; i++) {
        hp_obj_t *t = srv_db_lookup_read(c->db, KEY(c, i));
        int rc = hp_ref_set_add(s, t, KEY(c, i), strength);

        if (rc < 0) {
            if (created)
                hp_decref(s);
            srv_reply_oom(c);
            return;
        }
        note_target(c, i);
        added += rc;
    }
    if (created && added == 0) {
        hp_decref(s);
        srv_reply_int(c, 0);
        return;
    }
    if (finish_write(c, s, created, added > 0, strength, SRV_NOTIFY_SET, "sadd") == 0)
        srv_reply_int(c, added);
}

/* REF.ZADD key [WEAK] score target [score target ...] */
void cmd_ref_zadd(srv_client_t *c)
{
    int first = 2, strength = parse_weak(c, &first), created, added = 0;
    hp_obj_t *z;

    if (c->argc - first < 2 || (c->argc - first) % 2 != 0) {
        srv_reply_arity_error(c);
        return;
    }
    for (int i = first; i < c->argc; i += 2) {
        double d;

        if (srv_arg_double_or_reply(c, &c->argv[i], &d, NULL) < 0)
            return;
    }
    if (check_targets(c, first, 2, 1) < 0)
        return;
    if (!(z = container_or_reply(c, HP_TYPE_ZSET, &created)))
        return;
    for (int i = first; i < c->argc; i += 2) {
        hp_obj_t *t = srv_db_lookup_read(c->db, KEY(c, i + 1));
        double score = 0;
        int rc;

        srv_parse_double(KEY(c, i), &score);
        rc = hp_ref_zset_add(z, score, t, KEY(c, i + 1), strength);
        if (rc < 0) {
            if (created)
                hp_decref(z);
            srv_reply_oom(c);
            return;
        }
        note_target(c, i + 1);
        added += rc;
    }
    if (finish_write(c, z, created, 1, strength, SRV_NOTIFY_ZSET, "zadd") == 0)
        srv_reply_int(c, added);
}

/* REF.LPUSH / REF.RPUSH key [WEAK] target [target ...] at where. */
static void ref_push(srv_client_t *c, int where)
{
    int first = 2, strength = parse_weak(c, &first), created;
    hp_obj_t *l;

    if (c->argc - first < 1) {
        srv_reply_arity_error(c);
        return;
    }
    if (check_targets(c, first, 1, 0) < 0)
        return;
    if (!(l = container_or_reply(c, HP_TYPE_LIST, &created)))
        return;
    for (int i = first; i < c->argc; i++) {
        hp_obj_t *t = srv_db_lookup_read(c->db, KEY(c, i));
        int rc = hp_ref_list_push(l, where, t, KEY(c, i), strength);

        if (rc < 0) {
            if (created) {
                hp_decref(l);
            } else if (i > first) {
                srv_db_signal_modified(c->db, KEY(c, 1));
                srv_notify(SRV_NOTIFY_LIST, where == HP_LIST_HEAD
                           ? "lpush" : "rpush", c->db, KEY(c, 1));
                if (strength == HP_REF_WEAK)
                    hint_set(c, l);
            }
            srv_reply_oom(c);
            return;
        }
        note_target(c, i);
    }
    if (finish_write(c, l, created, 1, strength, SRV_NOTIFY_LIST,
                     where == HP_LIST_HEAD ? "lpush" : "rpush") == 0)
        srv_reply_int(c, (int64_t)hp_list_len(l));
}

/* REF.LPUSH key [WEAK] target [target ...] */
void cmd_ref_lpush(srv_client_t *c)
{
    ref_push(c, HP_LIST_HEAD);
}

/* REF.RPUSH key [WEAK] target [target ...] */
void cmd_ref_rpush(srv_client_t *c)
{
    ref_push(c, HP_LIST_TAIL);
}

/* ---------------------------------------------------------------------
 * REF.GET
 * ------------------------------------------------------------------ */

/* The walk: objects on the current path (to stop at cycles). */
typedef struct walk {
    srv_client_t *c;
    int64_t depth;   /* references followed at most */
    hp_obj_t **path; /* path[0..n) */
    int64_t n;
} walk_t;

static void render(walk_t *w, hp_obj_t *o);

/* Whether o is on the current path. */
static int on_path(const walk_t *w, const hp_obj_t *o)
{
    for (int64_t i = 0; i < w->n; i++)
        if (w->path[i] == o)
            return 1;
    return 0;
}

/* Element key of container o, whose bytes are label: the referenced
 * object rendered when it may be followed, else the label. */
static void render_elem(walk_t *w, hp_obj_t *o, const char *key,
                        size_t klen, const char *label, size_t llen)
{
    hp_obj_t *t = hp_ref_get(o, key, klen, NULL);

    if (t && w->n <= w->depth && !on_path(w, t))
        render(w, t);
    else
        srv_reply_bulk(w->c, label, llen);
}

/* A hash: map (RESP3) / flat array (RESP2) of field -> value. */
static void render_hash(walk_t *w, hp_obj_t *o)
{
    hp_hash_iter_t it;
    hp_elem_t f, v;
    char fb[HP_INT_BUF], vb[HP_INT_BUF];

    srv_reply_map_len(w->c, (int64_t)hp_hash_len(o));
    hp_hash_iter_init(&it, o);
    while (hp_hash_iter_next(&it, &f, &v)) {
        size_t fl, vl;
        const char *fs = hp_elem_bytes(&f, fb, &fl);
        const char *vs = hp_elem_bytes(&v, vb, &vl);

        srv_reply_bulk(w->c, fs, fl);
        render_elem(w, o, fs, fl, vs, vl);
    }
    hp_hash_iter_fini(&it);
}

/* A set: array of members. */
static void render_set(walk_t *w, hp_obj_t *o)
{
    hp_set_iter_t it;
    hp_elem_t e;
    char b[HP_INT_BUF];

    srv_reply_array_len(w->c, (int64_t)hp_set_len(o));
    hp_set_iter_init(&it, o);
    while (hp_set_iter_next(&it, &e)) {
        size_t l;
        const char *s = hp_elem_bytes(&e, b, &l);

        render_elem(w, o, s, l, s, l);
    }
    hp_set_iter_fini(&it);
}

/* A sorted set: array of members in score order. */
static void render_zset(walk_t *w, hp_obj_t *o)
{
    size_t n = hp_zset_len(o);
    hp_zset_iter_t it;
    hp_elem_t e;
    double score;
    char b[HP_INT_BUF];

    srv_reply_array_len(w->c, (int64_t)n);
    hp_zset_iter_init(&it, o, 0, n, 0);
    while (hp_zset_iter_next(&it, &e, &score)) {
        size_t l;
        const char *s = hp_elem_bytes(&e, b, &l);

        render_elem(w, o, s, l, s, l);
    }
}

/* A list: array of its elements, reference elements followed (the
 * walk only reads, so the iterator stays valid across a target). */
static void render_list(walk_t *w, hp_obj_t *o)
{
    size_t n = hp_list_len(o), i = 0;
    hp_list_iter_t it;
    hp_elem_t e;

    srv_reply_array_len(w->c, (int64_t)n);
    hp_list_iter_init(&it, o, 0, n, 0);
    for (; hp_list_iter_next(&it, &e); i++) {
        hp_obj_t *t = hp_ref_list_get(o, (long)i, NULL);
        char b[HP_INT_BUF];
        size_t l;
        const char *s;

        if (t && w->n <= w->depth && !on_path(w, t)) {
            render(w, t);
            continue;
        }
        s = hp_elem_bytes(&e, b, &l);
        srv_reply_bulk(w->c, s, l);
    }
}

/* Reply o with its references followed (o pushed on the path). */
static void render(walk_t *w, hp_obj_t *o)
{
    w->path[w->n++] = o;
    switch (o->type) {
    case HP_TYPE_STRING:
        srv_reply_obj(w->c, o);
        break;
    case HP_TYPE_HASH:
        render_hash(w, o);
        break;
    case HP_TYPE_SET:
        render_set(w, o);
        break;
    case HP_TYPE_ZSET:
        render_zset(w, o);
        break;
    default:
        render_list(w, o);
        break;
    }
    w->n--;
}

/* Borrowed: the object list o's element at index argv[i] (an integer,
 * negative from the end) refers to, or NULL. */
static hp_obj_t *list_step(srv_client_t *c, hp_obj_t *o, int i)
{
    int64_t index;

    if (srv_parse_ll(KEY(c, i), &index) < 0)
        return NULL;
    return hp_ref_list_get(o, (long)index, NULL);
}

/* Follow PATH steps argv[i..argc) from o: the object reached, or NULL
 * after an error reply. */
static hp_obj_t *follow_path(srv_client_t *c, hp_obj_t *o, int i)
{
    for (; i < c->argc; i++) {
        hp_obj_t *t = NULL;

        if (o->type == HP_TYPE_LIST)
            t = list_step(c, o, i);
        else if (o->type != HP_TYPE_STRING)
            t = hp_ref_get(o, KEY(c, i), NULL);
        if (!t) {
            srv_reply_errorf(c, "ERR PATH step '%.*s' is not a reference",
                             (int)c->argv[i].len, c->argv[i].ptr);
            return NULL;
        }
        o = t;
    }
    return o;
}

/* REF.GET key [DEPTH n] [PATH step ...] */
void cmd_ref_get(srv_client_t *c)
{
    walk_t w = {c, 1, NULL, 0};
    int path_at = 0;
    hp_obj_t *o;

    for (int i = 2; i < c->argc && !path_at; i++) {
        if (srv_arg_is(&c->argv[i], "depth") && i + 1 < c->argc) {
            if (srv_arg_range_or_reply(c, &c->argv[++i], 0, INT64_MAX,
                                       &w.depth, NULL) < 0)
                return;
            if (w.depth > srv.cfg.ref_max_depth) {
                srv_reply_errorf(c, "ERR DEPTH %lld is past ref-max-depth "
                                 "(%lld)", (long long)w.depth,
                                 (long long)srv.cfg.ref_max_depth);
                return;
            }
        } else if (srv_arg_is(&c->argv[i], "path") && i + 1 < c->argc) {
            path_at = i + 1;
        } else {
            srv_reply_syntax_error(c);
            return;
        }
    }
    if (!(o = srv_db_lookup_read(c->db, KEY(c, 1)))) {
        srv_reply_null(c);
        return;
    }
    if (path_at && !(o = follow_path(c, o, path_at)))
        return;
    w.path = malloc(sizeof(*w.path) * (size_t)(w.depth + 2));
    if (!w.path) {
        srv_reply_oom(c);
        return;
    }
    render(&w, o);
    free(w.path);
}

/* ---------------------------------------------------------------------
 * REF.INFO, REF.LINK, REF.SET
 * ------------------------------------------------------------------ */

/* One "name" integer pair of REF.INFO. */
static void info_int(srv_client_t *c, const char *name, int64_t v)
{
    srv_reply_bulk_cstr(c, name);
    srv_reply_int(c, v);
}

/* REF.INFO key */
void cmd_ref_info(srv_client_t *c)
{
    hp_obj_t *o = srv_db_lookup_read(c->db, KEY(c, 1));

    if (!o) {
        srv_reply_null(c);
        return;
    }
    srv_reply_map_len(c, 8);
    srv_reply_bulk_cstr(c, "type");
    srv_reply_bulk_cstr(c, hp_type_name(o));
    srv_reply_bulk_cstr(c, "encoding");
    srv_reply_bulk_cstr(c, hp_encoding_name(o));
    info_int(c, "refcount", o->refcount == HP_REFCOUNT_IMMORTAL
                                ? INT32_MAX : (int64_t)o->refcount);
    info_int(c, "weakrefs", (int64_t)hp_weakref_count(o));
    info_int(c, "refs_out_strong", (int64_t)hp_ref_out_strong(o));
    info_int(c, "refs_out_weak", (int64_t)hp_ref_out_weak(o));
    info_int(c, "tracked", hp_gc_is_tracked(o));
    info_int(c, "generation", hp_gc_generation(o));
}

/* REF.LINK alias target [WEAK] [NX] [EX s|PX ms]: a second strong name,
 * or a weak alias (no reference held) that vanishes with the object. */
void cmd_ref_link(srv_client_t *c)
{
    int nx = 0, weak = 0, rc;
    int64_t ttl = -1, mult = 1;
    hp_obj_t *t;

    for (int i = 3; i < c->argc; i++) {
        if (srv_arg_is(&c->argv[i], "nx")) {
            nx = 1;
        } else if (srv_arg_is(&c->argv[i], "weak")) {
            weak = 1;
        } else if ((srv_arg_is(&c->argv[i], "ex") ||
                    srv_arg_is(&c->argv[i], "px")) && ttl < 0 &&
                   i + 1 < c->argc) {
            mult = srv_arg_is(&c->argv[i], "ex") ? 1000 : 1;
            if (srv_arg_range_or_reply(c, &c->argv[++i], 1,
                                       INT64_MAX / 1000, &ttl,
                                       "ERR invalid expire time in "
                                       "'ref.link' command") < 0)
                return;
        } else {
            srv_reply_syntax_error(c);
            return;
        }
    }
    if (!(t = target_or_reply(c, 2)))
        return;
    if (nx && srv_db_lookup_write(c->db, KEY(c, 1))) {
        srv_reply_null(c);
        return;
    }
    rc = weak ? srv_db_set_weak(c->db, KEY(c, 1), t)
              : srv_db_set(c->db, KEY(c, 1), t, 0);
    if (rc < 0 || (ttl > 0 && srv_db_set_expire(c->db, KEY(c, 1),
                                                srv_mstime() +
                                                    ttl * mult) < 0)) {
        srv_reply_oom(c);
        return;
    }
    note_target(c, 2);
    srv_notify(SRV_NOTIFY_GENERIC, "ref.link", c->db, KEY(c, 1));
    srv_reply_ok(c);
}

/* REF.SET key value: replace the bytes of the string bound to key in
 * place, so every name and reference to it sees the new value. */
void cmd_ref_set(srv_client_t *c)
{
    hp_obj_t *o = srv_db_lookup_write(c->db, KEY(c, 1));

    if (!o) {
        srv_reply_no_such_key(c);
        return;
    }
    if (o->type != HP_TYPE_STRING) {
        srv_reply_wrongtype(c);
        return;
    }
    if (hp_obj_is_shared(o) && !(o = target_or_reply(c, 1)))
        return;
    if (hp_str_set(o, KEY(c, 2)) < 0) {
        srv_reply_oom(c);
        return;
    }
    srv_db_signal_modified(c->db, KEY(c, 1));
    srv_notify(SRV_NOTIFY_STRING, "set", c->db, KEY(c, 1));
    srv_reply_ok(c);
}
