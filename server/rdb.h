/*
 * rdb.h - the RDB codec of one value (server/rdb.c): Redis 7.0's object
 * serialisation (type byte + encoded value), as DUMP/RESTORE exchange it
 * and as a future RDB file would hold it, plus the DUMP payload framing
 * (RDB version and CRC64 footer). Executor thread: it builds heap
 * objects, and the CRC64 table is built lazily.
 */
#ifndef GENCACHE_SERVER_RDB_H
#define GENCACHE_SERVER_RDB_H

#include <stddef.h>
#include <stdint.h>

#include "heap.h"

/* RDB format version we write in DUMP payloads (Redis 7.0's). Payloads
 * with a higher version are refused, as Redis does. */
#define SRV_RDB_VERSION 10

/* Object type bytes of the RDB format (Redis's RDB_TYPE_*). */
enum srv_rdb_type {
    SRV_RDB_TYPE_STRING = 0,
    SRV_RDB_TYPE_LIST = 1,
    SRV_RDB_TYPE_SET = 2,
    SRV_RDB_TYPE_ZSET = 3,
    SRV_RDB_TYPE_HASH = 4,
    SRV_RDB_TYPE_ZSET_2 = 5,
    SRV_RDB_TYPE_LIST_ZIPLIST = 10,
    SRV_RDB_TYPE_SET_INTSET = 11,
    SRV_RDB_TYPE_ZSET_ZIPLIST = 12,
    SRV_RDB_TYPE_HASH_ZIPLIST = 13,
    SRV_RDB_TYPE_LIST_QUICKLIST = 14,
    SRV_RDB_TYPE_HASH_LISTPACK = 16,
    SRV_RDB_TYPE_ZSET_LISTPACK = 17,
    SRV_RDB_TYPE_LIST_QUICKLIST_2 = 18,
};

/* A growable byte buffer (hp_malloc'd). Zero-initialise, then append;
 * srv_rdb_buf_fini frees it. */
typedef struct srv_rdb_buf {
    unsigned char *p;
    size_t len;
    size_t cap;
} srv_rdb_buf_t;

void srv_rdb_buf_fini(srv_rdb_buf_t *b);
/* Append n bytes: 0 or -ENOMEM (b unchanged). */
int srv_rdb_buf_append(srv_rdb_buf_t *b, const void *p, size_t n);

/* CRC-64/Jones as Redis's crc64.c (reflected, poly 0xad93d23594c935a9,
 * init crc, no final xor): returns the CRC of p[0..n) continuing from
 * crc (0 to start). Executor thread (its table is built on first use). */
uint64_t srv_crc64(uint64_t crc, const void *p, size_t n);

/* Append the RDB encoding of o (type byte + value) to b. Strings use
 * Redis's integer encodings when they apply, never LZF; lists, sets,
 * hashes and zsets use the plain types (LIST, SET, HASH, ZSET_2), which
 * Redis 7.0 loads. o is borrowed. 0, -ENOMEM or -EINVAL (unknown type). */
int srv_rdb_save_object(srv_rdb_buf_t *b, hp_obj_t *o);

/* Load one object (type byte + value) from p[0..n). Every byte is
 * validated (lengths, listpack/ziplist/intset structure, duplicates,
 * empty containers), so a corrupt input is refused, never trusted. On
 * success *out is a new reference and *used the bytes consumed.
 * 0, -EINVAL (bad or unsupported data) or -ENOMEM. Executor thread. */
int srv_rdb_load_object(const unsigned char *p, size_t n, size_t *used,
                        hp_obj_t **out);

/* Build a DUMP payload of o into b (object, version, CRC64).
 * 0, -ENOMEM, -EINVAL. */
int srv_rdb_dump_payload(srv_rdb_buf_t *b, hp_obj_t *o);

/* Check a DUMP payload's footer: at least 10 bytes, RDB version <=
 * SRV_RDB_VERSION, CRC64 matching. 0 or -EINVAL. */
int srv_rdb_verify_payload(const unsigned char *p, size_t n);

/* Verify then load a DUMP payload: 0 with *out a new reference;
 * -EPROTO (version or checksum wrong), -EINVAL (bad data), -ENOMEM. */
int srv_rdb_restore_payload(const unsigned char *p, size_t n,
                            hp_obj_t **out);

#endif /* GENCACHE_SERVER_RDB_H */
