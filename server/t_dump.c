/*
 * t_dump.c - DUMP and RESTORE: a value serialised in Redis 7.0's DUMP
 * payload format (RDB object, RDB version, CRC64; server/rdb.c), so
 * payloads travel both ways between gencached and redis-server 7.0.
 *
 * RESTORE follows Redis's order of checks: options, an existing key
 * (BUSYKEY unless REPLACE), the TTL, the payload footer, the payload body.
 * A TTL already in the past deletes the old key (with REPLACE) and creates
 * nothing. Executor thread only.
 */
#include "commands.h"

#include <errno.h>
#include <stdint.h>

#include "heap.h"
#include "rdb.h"
#include "server.h"

#define KEY(c, i) (c)->argv[(i)].ptr, (c)->argv[(i)].len

/* DUMP key */
void cmd_dump(srv_client_t *c)
{
    hp_obj_t *o = srv_db_lookup_read(c->db, KEY(c, 1));
    srv_rdb_buf_t b = {NULL, 0, 0};
    int rc;

    if (o == NULL) {
        srv_reply_null(c);
        return;
    }
    rc = srv_rdb_dump_payload(&b, o);
    if (rc == 0) {
        srv_reply_bulk(c, (const char *)b.p, b.len);
    } else if (rc == -ENOMEM) {
        srv_reply_oom(c);
    } else {
        srv_reply_error(c, "ERR unsupported value type for DUMP");
    }
    srv_rdb_buf_fini(&b);
}

/* RESTORE's options after the payload. */
typedef struct restore_opts {
    int replace;
    int absttl;
    int64_t idle; /* seconds, -1 = not given */
    int64_t freq; /* 0..255, -1 = not given */
} restore_opts_t;

/* Parse [REPLACE] [ABSTTL] [IDLETIME s] [FREQ f] as Redis (IDLETIME and
 * FREQ exclude each other: the second is a syntax error). 0, or -1 after
 * an error reply. */
static int restore_parse(srv_client_t *c, restore_opts_t *o)
{
    *o = (restore_opts_t){0, 0, -1, -1};
    for (int j = 4; j < c->argc; j++) {
        int more = c->argc - j - 1;

        if (srv_arg_is(&c->argv[j], "replace")) {
            o->replace = 1;
        } else if (srv_arg_is(&c->argv[j], "absttl")) {
            o->absttl = 1;
        } else if (srv_arg_is(&c->argv[j], "idletime") && more >= 1 &&
                   o->freq == -1) {
            if (srv_arg_ll_or_reply(c, &c->argv[++j], &o->idle, NULL) != 0) {
                return -1;
            }
            if (o->idle < 0) {
                srv_reply_error(c, "ERR Invalid IDLETIME value, must be >= 0");
                return -1;
            }
        } else if (srv_arg_is(&c->argv[j], "freq") && more >= 1 &&
                   o->idle == -1) {
            if (srv_arg_ll_or_reply(c, &c->argv[++j], &o->freq, NULL) != 0) {
                return -1;
            }
            if (o->freq < 0 || o->freq > 255) {
                srv_reply_error(c, "ERR Invalid FREQ value, must be >= 0 "
                                   "and <= 255");
                return -1;
            }
        } else {
            srv_reply_syntax_error(c);
            return -1;
        }
    }
    return 0;
}

/* Decode the payload argument into *val (new reference), or reply the
 * error and return -1. */
static int restore_decode(srv_client_t *c, hp_obj_t **val)
{
    const resp_slice_t *p = &c->argv[3];
    int rc = srv_rdb_restore_payload((const unsigned char *)p->ptr, p->len,
                                     val);

    if (rc == 0) {
        return 0;
    }
    if (rc == -EPROTO) {
        srv_reply_error(c, "ERR DUMP payload version or checksum are wrong");
    } else if (rc == -ENOMEM) {
        srv_reply_oom(c);
    } else {
        srv_reply_error(c, "ERR Bad data format");
    }
    return -1;
}

/* Bind the restored value with its TTL (absolute ms, 0 = none) and clock,
 * or with a past TTL only delete the replaced key. */
static void restore_bind(srv_client_t *c, hp_obj_t *val, int64_t when,
                         const restore_opts_t *o)
{
    int deleted = o->replace ? srv_db_delete(c->db, KEY(c, 1)) : 0;

    if (when != 0 && when <= srv_mstime()) {
        if (deleted) {
            srv_notify(SRV_NOTIFY_GENERIC, "del", c->db, KEY(c, 1));
        }
        srv_reply_ok(c);
        return;
    }
    if (srv_db_add(c->db, KEY(c, 1), val) < 0 ||
        (when != 0 && srv_db_set_expire(c->db, KEY(c, 1), when) != 0)) {
        srv_db_delete(c->db, KEY(c, 1));
        srv_reply_oom(c);
        return;
    }
    srv_db_set_clock(c->db, KEY(c, 1), o->freq, o->idle);
    srv_notify(SRV_NOTIFY_GENERIC, "restore", c->db, KEY(c, 1));
    srv_reply_ok(c);
}

/* RESTORE key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds]
 * [FREQ frequency] */
void cmd_restore(srv_client_t *c)
{
    restore_opts_t o;
    hp_obj_t *val;
    int64_t ttl;

    if (restore_parse(c, &o) != 0) {
        return;
    }
    if (!o.replace && srv_db_lookup_write(c->db, KEY(c, 1)) != NULL) {
        srv_reply_error(c, "BUSYKEY Target key name already exists.");
        return;
    }
    if (srv_arg_ll_or_reply(c, &c->argv[2], &ttl, NULL) != 0) {
        return;
    }
    if (ttl < 0) {
        srv_reply_error(c, "ERR Invalid TTL value, must be >= 0");
        return;
    }
    if (restore_decode(c, &val) != 0) {
        return;
    }
    if (ttl != 0 && !o.absttl) {
        /* As Redis, a sum past INT64_MAX wraps negative: already expired. */
        ttl = (int64_t)((uint64_t)ttl + (uint64_t)srv_mstime());
    }
    restore_bind(c, val, ttl, &o);
    hp_decref(val);
}
