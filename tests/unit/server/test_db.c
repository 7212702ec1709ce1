/*
 * test_db.c - unit tests of server/db.c: database init and SELECT, set /
 * add / delete / lookups with their references and statistics, TTLs
 * (set, get, persist, KEEPTTL), lazy expiry at the command time snapshot
 * (and its pause under CLIENT PAUSE), rename across databases, FLUSHDB /
 * FLUSHALL and SWAPDB; weak bindings (REF.LINK ... WEAK) through every
 * accessor and each way their object dies, bindings of emptied
 * containers, deletes going through the deferred-free queue, and the
 * cron's active rehashing held to the background slice budget.
 *
 * Runs without the event loop: srv.cfg comes from srv_config_init_defaults
 * with 4 databases, the command time (srv.mstime_cache) is set by hand,
 * and no WATCH, blocked client or keyspace notification is active, so
 * db.c's hooks into t_multi.c, blocked.c and notify.c are no-ops.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "server.h"
#include "heap_gc.h"

#define NOW_MS 1700000000000LL

/* Bind key (a C string) in db to a new string value val; returns the
 * value, whose reference the test keeps (db holds its own). */
static hp_obj_t *put(srv_db_t *db, const char *key, const char *val)
{
    hp_obj_t *o = hp_str_new(val, strlen(val));

    assert_non_null(o);
    assert_int_equal(srv_db_set(db, key, strlen(key), o, 0), 0);
    return o;
}

/* The value of key in db as a C string compare. */
static void assert_value(srv_db_t *db, const char *key, const char *want)
{
    hp_obj_t *o = srv_db_lookup_nostats(db, key, strlen(key));
    char buf[HP_INT_BUF];
    const char *s;
    size_t len;

    assert_non_null(o);
    s = hp_str_bytes(o, buf, &len);
    assert_int_equal(len, strlen(want));
    assert_memory_equal(s, want, len);
}

static int setup(void **state)
{
    (void)state;
    srv_config_init_defaults();
    srv.cfg.databases = 4;
    srv.mstime_cache = NOW_MS;
    srv.clients_paused_until_ms = 0;
    memset(&srv.stats, 0, sizeof(srv.stats));
    return srv_db_init_all();
}

static int teardown(void **state)
{
    (void)state;
    srv_db_fini_all();
    srv_config_free();
    return 0;
}

static void test_db_init_all_empty_databases(void **state)
{
    (void)state;
    assert_non_null(srv.dbs);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(srv.dbs[i].id, i);
        assert_non_null(srv.dbs[i].dict);
        assert_non_null(srv.dbs[i].expires);
        assert_int_equal(srv_db_size(&srv.dbs[i]), 0);
    }
}

static void test_db_select_range(void **state)
{
    srv_client_t c;

    (void)state;
    memset(&c, 0, sizeof(c));
    assert_int_equal(srv_db_select(&c, 0), 0);
    assert_ptr_equal(c.db, &srv.dbs[0]);
    assert_int_equal(srv_db_select(&c, 3), 0);
    assert_ptr_equal(c.db, &srv.dbs[3]);
    assert_int_equal(srv_db_select(&c, 4), -EINVAL);
    assert_int_equal(srv_db_select(&c, -1), -EINVAL);
    assert_int_equal(srv_db_select(&c, INT64_MAX), -EINVAL);
    assert_ptr_equal(c.db, &srv.dbs[3]); /* unchanged on error */
}

/* set stores its own reference; lookups borrow; overwrite releases. */
static void test_db_set_lookup_references(void **state)
{
    srv_db_t *db = &srv.dbs[0];
    hp_obj_t *a = put(db, "k", "one");
    hp_obj_t *b;

    (void)state;
    assert_int_equal(a->refcount, 2);
    assert_ptr_equal(srv_db_lookup_read(db, "k", 1), a);
    assert_ptr_equal(srv_db_lookup_write(db, "k", 1), a);
    assert_int_equal(a->refcount, 2); /* lookups do not take one */
    assert_int_equal(srv_db_size(db), 1);
    b = put(db, "k", "two");
    assert_int_equal(srv_db_size(db), 1);
    assert_int_equal(a->refcount, 1); /* the binding let go of a */
    assert_int_equal(b->refcount, 2);
    assert_value(db, "k", "two");
    hp_decref(a);
    hp_decref(b);
    assert_value(db, "k", "two"); /* still held by the db */
    /* Keys are binary and length-delimited; databases are separate. */
    assert_null(srv_db_lookup_nostats(db, "k\0", 2));
    assert_null(srv_db_lookup_nostats(&srv.dbs[1], "k", 1));
}

static void test_db_lookup_stats_and_dirty(void **state)
{
    srv_db_t *db = &srv.dbs[0];

    (void)state;
    hp_decref(put(db, "k", "v"));
    assert_int_equal(srv.stats.dirty, 1);
    assert_non_null(srv_db_lookup_read(db, "k", 1));
    assert_null(srv_db_lookup_read(db, "missing", 7));
    assert_int_equal(srv.stats.keyspace_hits, 1);
    assert_int_equal(srv.stats.keyspace_misses, 1);
    /* _write and _nostats leave hit/miss counters alone. */
    assert_non_null(srv_db_lookup_write(db, "k", 1));
    assert_null(srv_db_lookup_write(db, "missing", 7));
    assert_non_null(srv_db_lookup_nostats(db, "k", 1));
    assert_null(srv_db_lookup_nostats(db, "missing", 7));
    assert_int_equal(srv.stats.keyspace_hits, 1);
    assert_int_equal(srv.stats.keyspace_misses, 1);
    assert_int_equal(srv_db_delete(db, "k", 1), 1);
    assert_int_equal(srv.stats.dirty, 2);
    assert_int_equal(srv_db_delete(db, "k", 1), 0);
    assert_int_equal(srv.stats.dirty, 2); /* nothing deleted */
}

static void test_db_add_only_if_absent(void **state)
{
    srv_db_t *db = &srv.dbs[1];
    hp_obj_t *a = hp_str_new("a", 1), *b = hp_str_new("b", 1);

    (void)state;
    assert_int_equal(srv_db_add(db, "k", 1, a), 1);
    assert_int_equal(srv_db_add(db, "k", 1, b), 0);
    assert_value(db, "k", "a");
    assert_int_equal(b->refcount, 1); /* not taken */
    assert_int_equal(a->refcount, 2);
    /* An expired key counts as absent. */
    assert_int_equal(srv_db_set_expire(db, "k", 1, NOW_MS - 1), 0);
    assert_int_equal(srv_db_add(db, "k", 1, b), 1);
    assert_value(db, "k", "b");
    assert_int_equal(srv_db_get_expire(db, "k", 1), -1);
    assert_int_equal(srv.stats.expired_keys, 1);
    hp_decref(a);
    hp_decref(b);
}

static void test_db_delete_removes_ttl(void **state)
{
    srv_db_t *db = &srv.dbs[0];

    (void)state;
    hp_decref(put(db, "k", "v"));
    assert_int_equal(srv_db_set_expire(db, "k", 1, NOW_MS + 10000), 0);
    assert_int_equal(srv_db_delete(db, "k", 1), 1);
    assert_int_equal(srv_db_size(db), 0);
    assert_int_equal(hp_dict_size(db->expires), 0);
    hp_decref(put(db, "k", "v"));
    assert_int_equal(srv_db_get_expire(db, "k", 1), -1);
}

static void test_db_expire_set_get_persist(void **state)
{
    srv_db_t *db = &srv.dbs[0];

    (void)state;
    assert_int_equal(srv_db_set_expire(db, "nokey", 5, NOW_MS + 5), -ENOENT);
    assert_int_equal(hp_dict_size(db->expires), 0);
    hp_decref(put(db, "k", "v"));
    assert_int_equal(srv_db_get_expire(db, "k", 1), -1);
    assert_int_equal(srv_db_set_expire(db, "k", 1, NOW_MS + 5000), 0);
    assert_int_equal(srv_db_get_expire(db, "k", 1), NOW_MS + 5000);
    assert_int_equal(srv_db_set_expire(db, "k", 1, NOW_MS + 9000), 0);
    assert_int_equal(srv_db_get_expire(db, "k", 1), NOW_MS + 9000);
    assert_int_equal(hp_dict_size(db->expires), 1);
    assert_false(srv_db_key_is_expired(db, "k", 1));
    assert_int_equal(srv_db_persist(db, "k", 1), 1);
    assert_int_equal(srv_db_persist(db, "k", 1), 0);
    assert_int_equal(srv_db_persist(db, "nokey", 5), 0);
    assert_int_equal(srv_db_get_expire(db, "k", 1), -1);
}

/* An overwrite drops the TTL unless SRV_SET_KEEPTTL. */
static void test_db_set_keepttl(void **state)
{
    srv_db_t *db = &srv.dbs[0];
    hp_obj_t *o = hp_str_new("w", 1);

    (void)state;
    hp_decref(put(db, "k", "v"));
    assert_int_equal(srv_db_set_expire(db, "k", 1, NOW_MS + 5000), 0);
    assert_int_equal(srv_db_set(db, "k", 1, o, SRV_SET_KEEPTTL), 0);
    assert_int_equal(srv_db_get_expire(db, "k", 1), NOW_MS + 5000);
    assert_int_equal(srv_db_set(db, "k", 1, o, 0), 0);
    assert_int_equal(srv_db_get_expire(db, "k", 1), -1);
    assert_value(db, "k", "w");
    hp_decref(o);
}

/* A key whose TTL passed disappears on lookup; one expiring exactly at
 * the command time is still alive (as Redis). */
static void test_db_lazy_expiry_on_lookup(void **state)
{
    srv_db_t *db = &srv.dbs[2];

    (void)state;
    hp_decref(put(db, "old", "v"));
    hp_decref(put(db, "edge", "v"));
    hp_decref(put(db, "live", "v"));
    assert_int_equal(srv_db_set_expire(db, "old", 3, NOW_MS - 1000), 0);
    assert_int_equal(srv_db_set_expire(db, "edge", 4, NOW_MS), 0);
    assert_int_equal(srv_db_set_expire(db, "live", 4, NOW_MS + 1000), 0);
    assert_true(srv_db_key_is_expired(db, "old", 3));
    assert_false(srv_db_key_is_expired(db, "edge", 4));
    /* key_is_expired does not delete. */
    assert_int_equal(srv_db_size(db), 3);
    assert_null(srv_db_lookup_read(db, "old", 3));
    assert_int_equal(srv_db_size(db), 2);
    assert_int_equal(hp_dict_size(db->expires), 2);
    assert_int_equal(srv.stats.expired_keys, 1);
    assert_int_equal(srv.stats.keyspace_misses, 1);
    assert_non_null(srv_db_lookup_read(db, "edge", 4));
    assert_non_null(srv_db_lookup_read(db, "live", 4));
    /* Time moves on: the command time snapshot decides. */
    srv.mstime_cache = NOW_MS + 1;
    assert_null(srv_db_lookup_write(db, "edge", 4));
    assert_non_null(srv_db_lookup_nostats(db, "live", 4));
    assert_int_equal(srv.stats.expired_keys, 2);
    assert_int_equal(srv_db_size(db), 1);
}

/* DEL of an expired key reclaims it as expired and reports 0. */
static void test_db_delete_expired_key_counts_expired(void **state)
{
    srv_db_t *db = &srv.dbs[0];

    (void)state;
    hp_decref(put(db, "k", "v"));
    assert_int_equal(srv_db_set_expire(db, "k", 1, NOW_MS - 1), 0);
    assert_int_equal(srv_db_delete(db, "k", 1), 0);
    assert_int_equal(srv_db_size(db), 0);
    assert_int_equal(hp_dict_size(db->expires), 0);
    assert_int_equal(srv.stats.expired_keys, 1);
}

/* While clients are paused, expired keys look missing but stay. */
static void test_db_expiry_paused_keeps_key(void **state)
{
    srv_db_t *db = &srv.dbs[0];

    (void)state;
    hp_decref(put(db, "k", "v"));
    assert_int_equal(srv_db_set_expire(db, "k", 1, NOW_MS - 1), 0);
    srv.clients_paused_until_ms = srv_mstime_now() + 3600 * 1000;
    assert_null(srv_db_lookup_read(db, "k", 1));
    assert_int_equal(srv_db_size(db), 1);
    assert_int_equal(srv.stats.expired_keys, 0);
    srv.clients_paused_until_ms = 0;
    assert_null(srv_db_lookup_read(db, "k", 1));
    assert_int_equal(srv_db_size(db), 0);
    assert_int_equal(srv.stats.expired_keys, 1);
}

static void test_db_rename_moves_value_and_ttl(void **state)
{
    srv_db_t *d0 = &srv.dbs[0], *d1 = &srv.dbs[1];
    hp_obj_t *v = put(d0, "src", "val");

    (void)state;
    hp_decref(put(d1, "dst", "old"));
    hp_decref(put(d1, "dst2", "x"));
    assert_int_equal(srv_db_set_expire(d1, "dst", 3, NOW_MS + 50), 0);
    assert_int_equal(srv_db_set_expire(d0, "src", 3, NOW_MS + 7000), 0);
    assert_int_equal(srv_db_rename(d0, "src", 3, d1, "dst", 3), 0);
    assert_null(srv_db_lookup_nostats(d0, "src", 3));
    assert_ptr_equal(srv_db_lookup_nostats(d1, "dst", 3), v);
    assert_int_equal(srv_db_get_expire(d1, "dst", 3), NOW_MS + 7000);
    assert_int_equal(hp_dict_size(d0->expires), 0);
    assert_int_equal(v->refcount, 2);
    /* Without a TTL the destination's old TTL goes away. */
    assert_int_equal(srv_db_set_expire(d1, "dst2", 4, NOW_MS + 50), 0);
    assert_int_equal(srv_db_persist(d1, "dst", 3), 1);
    assert_int_equal(srv_db_rename(d1, "dst", 3, d1, "dst2", 4), 0);
    assert_int_equal(srv_db_get_expire(d1, "dst2", 4), -1);
    assert_int_equal(srv_db_size(d1), 1);
    assert_int_equal(srv_db_rename(d0, "missing", 7, d1, "x", 1), -ENOENT);
    assert_int_equal(srv_db_rename(d1, "dst2", 4, d1, "dst2", 4), -ENOENT);
    assert_ptr_equal(srv_db_lookup_nostats(d1, "dst2", 4), v);
    hp_decref(v);
}

static void test_db_flush_one_and_all(void **state)
{
    (void)state;
    hp_decref(put(&srv.dbs[0], "a", "1"));
    hp_decref(put(&srv.dbs[0], "b", "1"));
    hp_decref(put(&srv.dbs[1], "a", "1"));
    hp_decref(put(&srv.dbs[1], "b", "1"));
    hp_decref(put(&srv.dbs[1], "c", "1"));
    hp_decref(put(&srv.dbs[3], "z", "1"));
    assert_int_equal(srv_db_set_expire(&srv.dbs[1], "a", 1, NOW_MS + 9), 0);
    assert_int_equal(srv_db_flush(1, 0), 3);
    assert_int_equal(srv_db_size(&srv.dbs[1]), 0);
    assert_int_equal(hp_dict_size(srv.dbs[1].expires), 0);
    assert_int_equal(srv_db_size(&srv.dbs[0]), 2);
    assert_int_equal(srv_db_flush(4, 0), 0);  /* out of range */
    assert_int_equal(srv_db_flush(-2, 0), 0);
    assert_int_equal(srv_db_size(&srv.dbs[0]), 2);
    assert_int_equal(srv_db_flush(-1, 1), 3);
    for (int i = 0; i < 4; i++)
        assert_int_equal(srv_db_size(&srv.dbs[i]), 0);
    /* The databases stay usable. */
    hp_decref(put(&srv.dbs[0], "a", "2"));
    assert_value(&srv.dbs[0], "a", "2");
}

/* SWAPDB exchanges contents; ids and a client's selection stay. */
static void test_db_swap_contents(void **state)
{
    srv_client_t c;

    (void)state;
    memset(&c, 0, sizeof(c));
    assert_int_equal(srv_db_select(&c, 0), 0);
    hp_decref(put(&srv.dbs[0], "zero", "0"));
    hp_decref(put(&srv.dbs[2], "two", "2"));
    assert_int_equal(srv_db_set_expire(&srv.dbs[2], "two", 3, NOW_MS + 1),
                     0);
    assert_int_equal(srv_db_swap(0, 2), 0);
    assert_int_equal(srv.dbs[0].id, 0);
    assert_int_equal(srv.dbs[2].id, 2);
    assert_ptr_equal(c.db, &srv.dbs[0]);
    assert_non_null(srv_db_lookup_nostats(c.db, "two", 3));
    assert_null(srv_db_lookup_nostats(c.db, "zero", 4));
    assert_int_equal(srv_db_get_expire(c.db, "two", 3), NOW_MS + 1);
    assert_value(&srv.dbs[2], "zero", "0");
    assert_int_equal(srv_db_swap(1, 1), 0);
    assert_int_equal(srv_db_swap(0, 4), -EINVAL);
    assert_int_equal(srv_db_swap(-1, 0), -EINVAL);
    assert_non_null(srv_db_lookup_nostats(&srv.dbs[0], "two", 3));
}

/* Many keys: size tracks set/delete through table growth. */
static void test_db_size_many_keys(void **state)
{
    srv_db_t *db = &srv.dbs[3];
    char key[32];

    (void)state;
    for (int i = 0; i < 5000; i++) {
        snprintf(key, sizeof(key), "key:%d", i);
        hp_decref(put(db, key, key));
    }
    assert_int_equal(srv_db_size(db), 5000);
    for (int i = 0; i < 5000; i += 2) {
        snprintf(key, sizeof(key), "key:%d", i);
        assert_int_equal(srv_db_delete(db, key, strlen(key)), 1);
    }
    assert_int_equal(srv_db_size(db), 2500);
    assert_value(db, "key:4999", "key:4999");
    assert_null(srv_db_lookup_nostats(db, "key:4998", 8));
}

/* ---------------------------------------------------------------------
 * Weak bindings, emptied containers, deferred freeing
 * ------------------------------------------------------------------ */

/* setup plus the heap's clear callback (t_ref.c forwards weak bindings
 * to db.c). */
static int setup_weak(void **state)
{
    int rc = setup(state);

    srv_ref_init();
    return rc;
}

static int teardown_weak(void **state)
{
    srv_ref_fini();
    return teardown(state);
}

/* A weak binding reads its object, holds no reference, and is gone from
 * lookups and DBSIZE the moment the object dies; the flush unbinds it. */
static void test_db_weak_binding_dies_with_object(void **state)
{
    srv_db_t *db = &srv.dbs[0];
    hp_obj_t *t = put(db, "t", "value");

    (void)state;
    assert_int_equal(srv_db_set_weak(db, "w", 1, t), 0);
    assert_true(srv_db_is_weak(db, "w", 1));
    assert_false(srv_db_is_weak(db, "t", 1));
    assert_int_equal(t->refcount, 2); /* the test's and t's binding */
    assert_ptr_equal(srv_db_lookup_read(db, "w", 1), t);
    assert_ptr_equal(srv_db_peek(db, "w", 1), t);
    assert_int_equal(srv_db_size(db), 2);
    assert_int_equal(hp_weakref_count(t), 1);
    hp_decref(t);
    assert_int_equal(srv_db_delete(db, "t", 1), 1);
    /* dead at once: still in the dict until the flush, but missing */
    assert_int_equal(hp_dict_size(db->dict), 1);
    assert_int_equal(srv_db_size(db), 0);
    assert_true(srv_db_key_is_expired(db, "w", 1));
    assert_null(srv_db_peek(db, "w", 1));
    srv_db_weak_flush();
    assert_int_equal(hp_dict_size(db->dict), 0);
    /* a shared target is refused */
    assert_int_equal(srv_db_set_weak(db, "w", 1, hp_str_new_int(1)),
                     -EINVAL);
}

/* Lookups reclaim a dead weak binding at once too. */
static void test_db_weak_binding_reclaimed_on_lookup(void **state)
{
    srv_db_t *db = &srv.dbs[0];
    hp_obj_t *t = put(db, "t", "v");

    (void)state;
    assert_int_equal(srv_db_set_weak(db, "w", 1, t), 0);
    hp_decref(t);
    hp_decref(put(db, "t", "other")); /* overwrite kills the object */
    assert_null(srv_db_lookup_write(db, "w", 1));
    assert_int_equal(hp_dict_size(db->dict), 1);
    srv_db_weak_flush(); /* nothing left to do */
    assert_int_equal(hp_dict_size(db->dict), 1);
    assert_value(db, "t", "other");
}

/* RENAME / MOVE keep a weak binding weak (and its TTL); SWAPDB and
 * FLUSHDB of another database; SET over it makes a normal key. */
static void test_db_weak_binding_rename_swap_flush(void **state)
{
    hp_obj_t *t = put(&srv.dbs[0], "t", "v");

    (void)state;
    assert_int_equal(srv_db_set_weak(&srv.dbs[0], "w", 1, t), 0);
    assert_int_equal(srv_db_set_expire(&srv.dbs[0], "w", 1, NOW_MS + 50),
                     0);
    assert_int_equal(srv_db_rename(&srv.dbs[0], "w", 1, &srv.dbs[1], "x",
                                   1), 0);
    assert_true(srv_db_is_weak(&srv.dbs[1], "x", 1));
    assert_int_equal(srv_db_get_expire(&srv.dbs[1], "x", 1), NOW_MS + 50);
    assert_int_equal(hp_weakref_count(t), 1);
    assert_int_equal(srv_db_swap(1, 2), 0);
    assert_ptr_equal(srv_db_lookup_nostats(&srv.dbs[2], "x", 1), t);
    hp_decref(t);
    assert_int_equal(srv_db_flush(0, 0), 1);
    assert_int_equal(srv_db_size(&srv.dbs[2]), 0);
    srv_db_weak_flush();
    assert_int_equal(hp_dict_size(srv.dbs[2].dict), 0);
    assert_int_equal(hp_dict_size(srv.dbs[2].expires), 0);
    /* SET over a weak binding */
    t = put(&srv.dbs[0], "t", "v");
    assert_int_equal(srv_db_set_weak(&srv.dbs[0], "w", 1, t), 0);
    hp_decref(put(&srv.dbs[0], "w", "own"));
    assert_false(srv_db_is_weak(&srv.dbs[0], "w", 1));
    assert_int_equal(hp_weakref_count(t), 0);
    hp_decref(t);
    assert_int_equal(srv_db_delete(&srv.dbs[0], "t", 1), 1);
    assert_value(&srv.dbs[0], "w", "own");
    /* the weak binding of a key whose object lives on through another
     * binding only goes with it */
    t = put(&srv.dbs[0], "t", "v");
    assert_int_equal(srv_db_set_weak(&srv.dbs[0], "w2", 2, t), 0);
    assert_int_equal(srv_db_delete(&srv.dbs[0], "w2", 2), 1);
    assert_int_equal(hp_weakref_count(t), 0);
    hp_decref(t);
}

/* A container emptied through one name: the other names read as
 * missing, are not deletable, and a write binds a fresh object. */
static void test_db_empty_container_bindings(void **state)
{
    srv_db_t *db = &srv.dbs[0];
    hp_obj_t *h = hp_hash_new(), *fresh;

    (void)state;
    assert_int_equal(hp_hash_set(h, "f", 1, "v", 1), 1);
    assert_int_equal(srv_db_set(db, "a", 1, h, 0), 0);
    assert_int_equal(srv_db_set(db, "b", 1, h, 0), 0);
    assert_int_equal(srv_db_set(db, "c", 1, h, 0), 0);
    srv.stats.total_commands_processed++; /* a new command */
    /* emptied through a: the command deletes a, which it looked up */
    assert_ptr_equal(srv_db_lookup_write(db, "a", 1), h);
    assert_int_equal(hp_hash_del(h, "f", 1), 0);
    assert_int_equal(srv_db_delete(db, "a", 1), 1);
    srv.stats.total_commands_processed++;
    assert_true(srv_db_key_is_expired(db, "b", 1));
    assert_int_equal(srv_db_delete(db, "b", 1), 0); /* reclaimed */
    assert_null(srv_db_lookup_nostats(db, "b", 1));
    assert_int_equal(hp_dict_size(db->dict), 1);
    fresh = hp_hash_new();
    assert_int_equal(hp_hash_set(fresh, "g", 1, "w", 1), 1);
    assert_int_equal(srv_db_add(db, "c", 1, fresh), 1);
    assert_ptr_equal(srv_db_lookup_nostats(db, "c", 1), fresh);
    hp_decref(fresh);
    assert_int_equal(h->refcount, 1);
    hp_decref(h);
}

/* Active expiry's sweep reclaims bindings of emptied containers nobody
 * touches. */
static void test_db_empty_container_sweep(void **state)
{
    srv_db_t *db = &srv.dbs[2];
    hp_obj_t *s = hp_set_new();
    char key[16];

    (void)state;
    srv.cfg.active_expire_enabled = 1;
    assert_int_equal(hp_set_add(s, "m", 1), 1);
    for (int i = 0; i < 100; i++) {
        snprintf(key, sizeof(key), "k%d", i);
        assert_int_equal(srv_db_set(db, key, strlen(key), s, 0), 0);
        hp_decref(put(&srv.dbs[1], key, "plain"));
    }
    srv.stats.total_commands_processed++;
    assert_int_equal(hp_set_remove(s, "m", 1), 1);
    srv_db_empty_suspect();
    assert_int_equal(srv_db_size(db), 100);
    for (int i = 0; i < 10 && srv_db_size(db) > 0; i++)
        srv_db_active_expire(1);
    assert_int_equal(srv_db_size(db), 0);
    assert_int_equal(srv_db_size(&srv.dbs[1]), 100);
    assert_int_equal(s->refcount, 1);
    hp_decref(s);
}

/* DEL, overwrite and FLUSHDB of a big value queue it; slices free it. */
static void test_db_big_values_deferred(void **state)
{
    srv_db_t *db = &srv.dbs[0];
    char buf[32];

    (void)state;
    for (int round = 0; round < 3; round++) {
        hp_obj_t *l = hp_list_new();

        for (int i = 0; i < 5000; i++) {
            int n = snprintf(buf, sizeof(buf), "e%d", i);

            assert_int_equal(hp_list_push(l, HP_LIST_TAIL, buf,
                                          (size_t)n), 0);
        }
        assert_int_equal(srv_db_set(db, "big", 3, l, 0), 0);
        hp_decref(l);
        if (round == 0)
            assert_int_equal(srv_db_delete(db, "big", 3), 1);
        else if (round == 1)
            hp_decref(put(db, "big", "small"));
        else
            srv_db_flush(0, 1);
        assert_int_equal(hp_free_pending(), 1);
        assert_true(hp_free_pending_bytes() > 5000);
        while (hp_free_step(-1, 256))
            ;
        assert_int_equal(hp_free_pending(), 0);
        assert_int_equal(hp_free_pending_bytes(), 0);
    }
}

/* The cron's active rehashing stops at gc-slice-budget-us (it was 1 ms
 * whatever the budget), at most Redis's 1 ms; a keyspace growing past
 * 2^18 keys is rehashed by cron runs to the end with every key still
 * found. */
static void test_db_cron_rehash_within_slice_budget(void **state)
{
    srv_db_t *db = &srv.dbs[0];
    hp_obj_t *v = hp_str_new("v", 1);
    const int n = (1 << 18) + 1; /* the last add starts a rehash */
    char key[24];

    (void)state;
    assert_non_null(v);
    for (int i = 0; i < n; i++) {
        snprintf(key, sizeof(key), "key:%d", i);
        assert_int_equal(srv_db_set(db, key, strlen(key), v, 0), 0);
    }
    srv.cfg.gc_slice_budget_us = 5000;
    assert_int_equal(srv_db_rehash_budget_us(), 1000);
    srv.cfg.gc_slice_budget_us = 500;
    assert_int_equal(srv_db_rehash_budget_us(), 500);
    srv.cfg.gc_slice_budget_us = 100;
    assert_int_equal(srv_db_rehash_budget_us(), 100);
    while (hp_dict_rehash_for(db->dict, 0)) /* a step, and the cron's */
        srv_db_cron();
    assert_int_equal(srv_db_size(db), n);
    for (int i = 0; i < n; i += 997) {
        snprintf(key, sizeof(key), "key:%d", i);
        assert_ptr_equal(srv_db_lookup_nostats(db, key, strlen(key)), v);
    }
    hp_decref(v);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
#define TW(f) cmocka_unit_test_setup_teardown(f, setup_weak, teardown_weak)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_db_init_all_empty_databases),
        T(test_db_select_range),
        T(test_db_set_lookup_references),
        T(test_db_lookup_stats_and_dirty),
        T(test_db_add_only_if_absent),
        T(test_db_delete_removes_ttl),
        T(test_db_expire_set_get_persist),
        T(test_db_set_keepttl),
        T(test_db_lazy_expiry_on_lookup),
        T(test_db_delete_expired_key_counts_expired),
        T(test_db_expiry_paused_keeps_key),
        T(test_db_rename_moves_value_and_ttl),
        T(test_db_flush_one_and_all),
        T(test_db_swap_contents),
        T(test_db_size_many_keys),
        T(test_db_cron_rehash_within_slice_budget),
        TW(test_db_weak_binding_dies_with_object),
        TW(test_db_weak_binding_reclaimed_on_lookup),
        TW(test_db_weak_binding_rename_swap_flush),
        TW(test_db_empty_container_bindings),
        TW(test_db_empty_container_sweep),
        TW(test_db_big_values_deferred),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
