/*
 * server.h - the server's internal header: the global server state, the
 * client, the databases, the command table and the helpers every command
 * file uses. Included by server/ files only (the public header is srv.h).
 *
 * Threads: everything here belongs to the executor thread (with
 * `io-threads 0`, the only thread). Fields that another thread may touch
 * say so.
 */
#ifndef GENCACHE_SERVER_SERVER_H
#define GENCACHE_SERVER_SERVER_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "heap.h"
#include "resp.h"
#include "srv.h"

#define SRV_VERSION "7.0.15" /* the Redis version we are compatible with */
#define SRV_GENCACHE_VERSION "0.1.0"

/* ---------------------------------------------------------------------
 * Command table (commands.def, commands.c)
 * ------------------------------------------------------------------ */

typedef struct srv_client srv_client_t;
typedef void srv_command_proc_t(srv_client_t *c);

/* Command flags, as Redis's (their names appear in COMMAND INFO). */
#define SRV_CMD_WRITE (1u << 0)     /* "write": may modify the keyspace */
#define SRV_CMD_READONLY (1u << 1)  /* "readonly" */
#define SRV_CMD_DENYOOM (1u << 2)   /* "denyoom": refused over maxmemory */
#define SRV_CMD_ADMIN (1u << 3)     /* "admin" */
#define SRV_CMD_PUBSUB (1u << 4)    /* "pubsub" */
#define SRV_CMD_NOSCRIPT (1u << 5)  /* "noscript" */
#define SRV_CMD_BLOCKING (1u << 6)  /* "blocking" */
#define SRV_CMD_LOADING (1u << 7)   /* "loading": allowed while loading */
#define SRV_CMD_STALE (1u << 8)     /* "stale" */
#define SRV_CMD_SKIP_MONITOR (1u << 9)  /* "skip_monitor" */
#define SRV_CMD_SKIP_SLOWLOG (1u << 10) /* "skip_slowlog" */
#define SRV_CMD_FAST (1u << 11)     /* "fast": O(1) or O(log n) */
#define SRV_CMD_NO_AUTH (1u << 12)  /* "no_auth": allowed before AUTH */
#define SRV_CMD_MAY_REPLICATE (1u << 13) /* "may_replicate" */
#define SRV_CMD_NO_MULTI (1u << 14) /* "no_multi" */
#define SRV_CMD_ALLOW_BUSY (1u << 15)   /* "allow_busy" */
#define SRV_CMD_SENTINEL (1u << 16)     /* "sentinel" (listed only) */

typedef struct srv_command {
    const char *name;      /* lower case, e.g. "get"; "client|list" style
                              names only inside subcommand tables */
    srv_command_proc_t *proc;
    int arity;             /* N exact, -N at least N; argv[0] counts */
    uint32_t flags;        /* SRV_CMD_* */
    int first_key;         /* key positions as COMMAND reports them */
    int last_key;          /* -1 = last arg, -2 = second to last ... */
    int key_step;
    const char *group;     /* "string", "generic", "server", "connection" */
    const char *since;     /* Redis version that introduced it */
    const char *summary;   /* one line, for COMMAND DOCS */
    const char *complexity;
    const struct srv_command *subcommands; /* NULL-name terminated, or NULL */
    /* Statistics (INFO commandstats), executor thread. */
    uint64_t calls;
    uint64_t usec;
    uint64_t rejected_calls;
    uint64_t failed_calls;
} srv_command_t;

/* Look a command up by name (case-insensitive). Borrowed. NULL if absent. */
srv_command_t *srv_command_lookup(const char *name, size_t len);
/* For a container command (CLIENT, CONFIG, ...), the subcommand named by
 * argv[1], or NULL. */
srv_command_t *srv_command_lookup_sub(srv_command_t *parent,
                                      const char *name, size_t len);
/* All top-level commands, n in *count. */
srv_command_t *srv_command_table(size_t *count);
/* Reset every command's statistics (CONFIG RESETSTAT). */
void srv_command_reset_stats(void);

/* ---------------------------------------------------------------------
 * Databases (db.c)
 * ------------------------------------------------------------------ */

typedef struct srv_db {
    hp_dict_t *dict;    /* key -> hp_obj_t* (one strong reference each) */
    hp_dict_t *expires; /* key -> v.i absolute unix time in ms */
    int id;
    int64_t avg_ttl;    /* ms, for INFO keyspace */
    uint64_t expires_cursor; /* active expiry's scan position */
} srv_db_t;

/* ---------------------------------------------------------------------
 * Clients (client.c, net.c)
 * ------------------------------------------------------------------ */

#define SRV_CLIENT_CLOSE_AFTER_REPLY (1u << 0) /* QUIT, protocol error */
#define SRV_CLIENT_CLOSE_ASAP (1u << 1)   /* CLIENT KILL, output limit */
#define SRV_CLIENT_AUTHENTICATED (1u << 2)
#define SRV_CLIENT_MONITOR (1u << 3)
#define SRV_CLIENT_PUBSUB (1u << 4)
#define SRV_CLIENT_MULTI (1u << 5)
#define SRV_CLIENT_BLOCKED (1u << 6)
#define SRV_CLIENT_UNIX_SOCKET (1u << 7)
#define SRV_CLIENT_NO_EVICT (1u << 8)
#define SRV_CLIENT_PAUSED (1u << 9)   /* waiting for CLIENT UNPAUSE */
#define SRV_CLIENT_WRITING (1u << 10) /* a uv_write is in flight */
#define SRV_CLIENT_CLOSING (1u << 11) /* uv_close called; no more I/O */
#define SRV_CLIENT_IO_GONE (1u << 12) /* its I/O thread closed the socket */

enum srv_reply_mode {
    SRV_REPLY_ON = 0,
    SRV_REPLY_OFF = 1,
    SRV_REPLY_SKIP_NEXT = 2, /* CLIENT REPLY SKIP: skip the next command */
    SRV_REPLY_SKIP = 3,      /* skipping the current command */
};

struct srv_client {
    uint64_t id;              /* CLIENT ID, from 1, never reused */
    union {
        uv_handle_t handle;
        uv_stream_t stream;
        uv_tcp_t tcp;
        uv_pipe_t pipe;
    } conn;                   /* conn.handle.data == this client */
    resp_parser_t parser;     /* owns the query buffer */
    resp_buf_t out;           /* pending reply bytes (out.proto = resp) */
    size_t out_sent;          /* bytes of out already handed to a write */
    uv_write_t write_req;     /* the in-flight write, if WRITING */
    srv_db_t *db;             /* selected database (borrowed) */
    int resp;                 /* 2 or 3 (HELLO) */
    uint32_t flags;           /* SRV_CLIENT_* */
    enum srv_reply_mode reply_mode;
    /* The command being executed: argv slices valid during its handler. */
    int argc;
    resp_slice_t *argv;
    srv_command_t *cmd;       /* being executed (borrowed) */
    srv_command_t *lastcmd;   /* last executed (borrowed) */
    char *name;               /* CLIENT SETNAME, NULL if none (owned) */
    char *lib_name;           /* CLIENT SETINFO lib-name (owned) */
    char *lib_ver;            /* CLIENT SETINFO lib-ver (owned) */
    char addr[64];            /* "ip:port" of the peer, or "path:0"? */
    char laddr[64];           /* "ip:port" of our side */
    int fd;                   /* socket fd for CLIENT LIST, -1 if none */
    int64_t ctime_ms;         /* connection time, unix ms */
    int64_t last_interaction_ms; /* for `timeout` and CLIENT LIST idle */
    uint64_t commands_processed;
    struct srv_client *prev, *next; /* srv.clients list */
    struct srv_client *pending_next; /* srv.pending_write list, or NULL */
    int pending_write;        /* 1 while on the pending_write list */
    /* Added by the core (client.c): */
    resp_buf_t wbuf;          /* bytes handed to the in-flight uv_write */
    int limits_unauth;        /* parser has the unauthenticated limits */
    int paused_argc;          /* command postponed by CLIENT PAUSE */
    resp_slice_t *paused_argv; /* its copy (one owned block), or NULL */
    struct srv_client *paused_prev, *paused_next; /* clients held by the
                                 pause, oldest first (client.c) */
    /* Added for output limits and transactions (client.c, t_multi.c): */
    int64_t obuf_soft_since_ms; /* unix ms the soft output limit was first
                                   exceeded, 0 = under it */
    struct srv_multi_state *mstate; /* MULTI queue and WATCHed keys, NULL
                                       when neither (owned, t_multi.c) */
    struct srv_pubsub_client *pubsub; /* subscriptions, NULL when none
                                         (owned, t_pubsub.c) */
    struct srv_blocked_state *bstate; /* keys and command of a client
                                         BLOCKED on keys, else NULL
                                         (owned, blocked.c) */
    /* With io-threads (iothread.c): the connection lives on an I/O
     * thread, and commands arrive here as batches. */
    struct srv_conn *io;       /* the I/O thread's half, or NULL when the
                                  socket is on the executor's loop (it is
                                  only a token here: never dereferenced) */
    struct srv_batch *batch_head, *batch_tail; /* batches not yet run
                                                  (owned) */
    size_t batch_bytes;        /* input bytes those batches carry */
    size_t batch_wire;         /* protocol bytes of their commands */
    size_t ack_bytes;          /* bytes of batches run, not yet told */
    uint32_t ack_batches;      /* batches run, not yet told */
    /* Big bulk replies of read-only commands, referenced instead of
     * copied into out (client.c): they exist only while this client's
     * read is being run on the executor's loop, and are written (or
     * copied into out) before any command that may change a value. */
    struct srv_outref *refs;   /* in stream order (owned array) */
    uint32_t nrefs, refs_cap;
    size_t refs_bytes;         /* value bytes the refs stand for */
};

/* ---------------------------------------------------------------------
 * Config (config.c): the values every module reads. Units in comments.
 * ------------------------------------------------------------------ */

/* client-output-buffer-limit, per client class: bytes and seconds, 0 =
 * no limit. */
enum {
    SRV_CLIENT_CLASS_NORMAL,
    SRV_CLIENT_CLASS_REPLICA,
    SRV_CLIENT_CLASS_PUBSUB,
    SRV_CLIENT_CLASS_COUNT
};
typedef struct srv_obuf_limit {
    int64_t hard;         /* bytes: close at once past this */
    int64_t soft;         /* bytes: close when past this for soft_seconds */
    int64_t soft_seconds;
} srv_obuf_limit_t;

/* notify-keyspace-events flags (Redis's NOTIFY_*). */
#define SRV_NOTIFY_KEYSPACE (1 << 0) /* K */
#define SRV_NOTIFY_KEYEVENT (1 << 1) /* E */
#define SRV_NOTIFY_GENERIC (1 << 2)  /* g */
#define SRV_NOTIFY_STRING (1 << 3)   /* $ */
#define SRV_NOTIFY_LIST (1 << 4)     /* l */
#define SRV_NOTIFY_SET (1 << 5)      /* s */
#define SRV_NOTIFY_HASH (1 << 6)     /* h */
#define SRV_NOTIFY_ZSET (1 << 7)     /* z */
#define SRV_NOTIFY_EXPIRED (1 << 8)  /* x */
#define SRV_NOTIFY_EVICTED (1 << 9)  /* e */
#define SRV_NOTIFY_STREAM (1 << 10)  /* t */
#define SRV_NOTIFY_KEY_MISS (1 << 11) /* m (not part of A) */
#define SRV_NOTIFY_MODULE (1 << 12)  /* d */
#define SRV_NOTIFY_NEW (1 << 13)     /* n (not part of A) */
#define SRV_NOTIFY_ALL                                                     \
    (SRV_NOTIFY_GENERIC | SRV_NOTIFY_STRING | SRV_NOTIFY_LIST |            \
     SRV_NOTIFY_SET | SRV_NOTIFY_HASH | SRV_NOTIFY_ZSET |                  \
     SRV_NOTIFY_EXPIRED | SRV_NOTIFY_EVICTED | SRV_NOTIFY_STREAM |         \
     SRV_NOTIFY_MODULE) /* A */

typedef struct srv_config {
    char *bind;               /* space separated addresses, "* -::*" */
    int port;                 /* TCP port, 0 = no TCP */
    int tcp_backlog;
    char *unixsocket;         /* path or NULL */
    int unixsocketperm;       /* octal mode */
    int timeout;              /* seconds idle before closing; 0 = never */
    int tcp_keepalive;        /* seconds */
    int protected_mode;       /* 0/1 */
    char *requirepass;        /* NULL or "" = none */
    int maxclients;
    int databases;
    int hz;                   /* cron frequency, 1..500 */
    int dynamic_hz;
    int loglevel;             /* SRV_LOG_* */
    char *logfile;            /* "" = stdout */
    int daemonize;            /* only "no" accepted */
    char *pidfile;            /* "" = none */
    int64_t proto_max_bulk_len;        /* bytes */
    int64_t client_query_buffer_limit; /* bytes */
    int64_t maxmemory;                 /* bytes, 0 = no limit */
    int maxmemory_policy;              /* SRV_MAXMEMORY_* */
    int maxmemory_samples;
    int64_t slowlog_log_slower_than;   /* us, -1 disables, 0 logs all */
    int64_t slowlog_max_len;
    int64_t latency_monitor_threshold; /* ms, 0 = off */
    int io_threads;                    /* I/O threads, 0 = none: the
                                          executor's loop does the I/O */
    int io_threads_do_reads;           /* Redis's name, kept for config
                                          files: I/O threads always read */
    int active_expire_enabled;         /* DEBUG SET-ACTIVE-EXPIRE */
    int active_expire_effort;          /* 1..10 */
    int lazyfree_lazy_user_del;        /* DEL behaves like UNLINK */
    int lazyfree_lazy_user_flush;
    int enable_debug_command;          /* 0 no, 1 yes, 2 local */
    char *dir;                         /* working directory */
    char *configfile;                  /* absolute path or NULL (owned) */
    /* Added by config.c (stored now, read by later work). */
    int lazyfree_lazy_eviction;
    int lazyfree_lazy_expire;
    int lazyfree_lazy_server_del;
    int appendonly;                    /* only "no" accepted */
    int list_max_listpack_size;        /* >0 entries, <0 size class */
    int list_compress_depth;
    int64_t hash_max_listpack_entries;
    int64_t hash_max_listpack_value;   /* bytes */
    int64_t set_max_intset_entries;
    int64_t zset_max_listpack_entries;
    int64_t zset_max_listpack_value;   /* bytes */
    int notify_keyspace_events;        /* SRV_NOTIFY_* flags */
    int64_t busy_reply_threshold;      /* ms (alias lua-time-limit) */
    int latency_tracking;              /* 0/1 */
    double *latency_tracking_percentiles; /* owned, n below */
    size_t latency_tracking_npercentiles;
    srv_obuf_limit_t obuf_limits[SRV_CLIENT_CLASS_COUNT];
    /* Added for references and the collector (issue 4): mirrored into
     * hp_gc_config by config.c and GC ENABLE/DISABLE/THRESHOLD. */
    int gc_enabled;
    int64_t gc_threshold0, gc_threshold1, gc_threshold2;
    int64_t gc_slice_budget_us;
    int64_t gc_slice_objects;
    int64_t gc_max_cpu_percent;        /* pacing (t_gc.c), 1..100 */
    int64_t gc_restart_touched_pct;    /* restart rule, 1..100 */
    int64_t ref_max_depth;             /* REF.GET DEPTH limit */
    int64_t busy_poll_us;              /* busypoll.c's window, 0: off */
    /* Added for eviction (evict.c, db.c's LFU counter). */
    int lfu_log_factor;                /* lfu-log-factor */
    int lfu_decay_time;                /* lfu-decay-time, minutes */
    /* Added for latency (issue 4): disable-thp, read once at startup. */
    int disable_thp;                   /* 0/1 */
    int jemalloc_bg_thread;            /* 0/1 */
} srv_config_t;

enum { SRV_LOG_DEBUG, SRV_LOG_VERBOSE, SRV_LOG_NOTICE, SRV_LOG_WARNING };
/* maxmemory-policy values (added by config.c). */
enum {
    SRV_MAXMEMORY_NOEVICTION,
    SRV_MAXMEMORY_ALLKEYS_LRU,
    SRV_MAXMEMORY_VOLATILE_LRU,
    SRV_MAXMEMORY_ALLKEYS_LFU,
    SRV_MAXMEMORY_VOLATILE_LFU,
    SRV_MAXMEMORY_ALLKEYS_RANDOM,
    SRV_MAXMEMORY_VOLATILE_RANDOM,
    SRV_MAXMEMORY_VOLATILE_TTL
};

/* ---------------------------------------------------------------------
 * Global state (server.c)
 * ------------------------------------------------------------------ */

typedef struct srv_stats {
    uint64_t total_connections_received;
    uint64_t total_commands_processed;
    uint64_t rejected_connections;
    uint64_t expired_keys;
    uint64_t expired_stale_perc; /* hundredths of a percent (db.c) */
    uint64_t evicted_keys;
    uint64_t keyspace_hits;
    uint64_t keyspace_misses;
    uint64_t net_input_bytes;
    uint64_t net_output_bytes;
    uint64_t total_error_replies;
    uint64_t unexpected_error_replies;
    uint64_t dirty;           /* writes since start (INFO persistence) */
    uint64_t client_qbuf_limit_disconnections;
    uint64_t client_outbuf_limit_disconnections;
} srv_stats_t;

typedef struct srv_server {
    uv_loop_t *loop;
    srv_config_t cfg;
    srv_db_t *dbs;            /* cfg.databases of them */
    srv_stats_t stats;
    srv_client_t *clients;    /* all connected clients, oldest first
                                 (list head) */
    srv_client_t *clients_tail; /* the newest client */
    uint64_t nclients;
    uint64_t next_client_id;
    srv_client_t *pending_write; /* clients with replies to flush */
    srv_client_t *current_client; /* executing a command, or NULL */
    int64_t start_time_ms;    /* unix ms at start */
    int64_t mstime_cache;     /* unix ms, refreshed each loop iteration
                                 and before each command (srv_mstime) */
    int shutdown_asap;        /* SIGTERM/SIGINT seen */
    int exit_code;
    char runid[41];
    int64_t clients_paused_until_ms; /* CLIENT PAUSE end, 0 = none */
    int clients_pause_write_only;    /* CLIENT PAUSE WRITE */
    uint64_t cron_loops;
    /* MONITOR clients */
    srv_client_t **monitors;
    size_t nmonitors;
} srv_server_t;

extern srv_server_t srv;

/* Unix time in ms / us, fresh from the clock. */
int64_t srv_mstime_now(void);
int64_t srv_ustime_now(void);
/* Unix time in us from the executor's fast clock (clock.c). Executor. */
int64_t srv_clock_us(void);
/* INFO's monotonic_clock: the clock srv_clock_us reads. */
const char *srv_clock_source(char *buf, size_t size);
/* The cached time used for expiry decisions during one command
 * (Redis's "command time snapshot"), unix ms. */
int64_t srv_mstime(void);

/* ---------------------------------------------------------------------
 * Logging (log.c)
 * ------------------------------------------------------------------ */

/* Log as Redis does: "pid:M dd Mon yyyy hh:mm:ss.mmm * message" to stdout
 * (or cfg.logfile), when level >= cfg.loglevel. Any thread. */
void srv_log(int level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* ---------------------------------------------------------------------
 * Replies (reply.c): append to c->out in the client's protocol, honour
 * CLIENT REPLY OFF/SKIP, and schedule the write. Executor thread.
 * ------------------------------------------------------------------ */

void srv_reply_ok(srv_client_t *c);
void srv_reply_simple(srv_client_t *c, const char *s);     /* +s */
/* An error: msg without the leading '-', e.g. "ERR syntax error" or
 * "WRONGTYPE Operation against ...". A msg not starting with an upper-case
 * code word gets "ERR " prepended. Counts errorstats and the current
 * command's failed_calls. */
void srv_reply_error(srv_client_t *c, const char *msg);
void srv_reply_errorf(srv_client_t *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void srv_reply_int(srv_client_t *c, int64_t v);
void srv_reply_bulk(srv_client_t *c, const char *s, size_t len);
void srv_reply_bulk_cstr(srv_client_t *c, const char *s); /* NULL: null */
void srv_reply_bulk_int(srv_client_t *c, int64_t v);
void srv_reply_null(srv_client_t *c);       /* $-1 / _ */
void srv_reply_null_array(srv_client_t *c); /* *-1 / _ */
void srv_reply_array_len(srv_client_t *c, int64_t n);
void srv_reply_map_len(srv_client_t *c, int64_t n);
void srv_reply_set_len(srv_client_t *c, int64_t n);
void srv_reply_double(srv_client_t *c, double d);
void srv_reply_bool(srv_client_t *c, int v);
void srv_reply_verbatim(srv_client_t *c, const char *s, size_t len,
                        const char *fmt);
/* Deferred aggregate length (KEYS, SCAN): see resp_write_deferred. */
size_t srv_reply_deferred(srv_client_t *c);
void srv_reply_set_deferred(srv_client_t *c, size_t handle, char kind,
                            int64_t n);
/* The value of a string object as a bulk string (any encoding). */
void srv_reply_obj(srv_client_t *c, const hp_obj_t *o);

/* Canned errors, Redis's exact text. */
void srv_reply_wrongtype(srv_client_t *c); /* WRONGTYPE Operation against a
                                              key holding the wrong kind of
                                              value */
void srv_reply_syntax_error(srv_client_t *c);    /* ERR syntax error */
void srv_reply_not_integer(srv_client_t *c); /* ERR value is not an integer
                                                or out of range */
void srv_reply_not_float(srv_client_t *c);   /* ERR value is not a valid
                                                float */
void srv_reply_no_such_key(srv_client_t *c); /* ERR no such key */
void srv_reply_oom(srv_client_t *c);   /* OOM command not allowed when
                                          used memory > 'maxmemory'. */
/* ERR wrong number of arguments for '<cmd>' command (cmd from c->cmd, with
 * "container|sub" for subcommands). */
void srv_reply_arity_error(srv_client_t *c);
/* ERR unknown subcommand '<sub>'. Try <CMD> HELP. */
void srv_reply_unknown_subcommand(srv_client_t *c);
/* Reply an array of simple strings (HELP output): lines ends with NULL. */
void srv_reply_help(srv_client_t *c, const char *const *lines);

/* ---------------------------------------------------------------------
 * Argument helpers (util.c)
 * ------------------------------------------------------------------ */

/* Case-insensitive compare of an argument with a C string. */
int srv_arg_is(const resp_slice_t *a, const char *s);
/* Parse argument as int64. On failure reply msg (NULL: the canned "not an
 * integer" error) and return -1; else 0. */
int srv_arg_ll_or_reply(srv_client_t *c, const resp_slice_t *a, int64_t *out,
                        const char *msg);
/* As above with range [min, max]. */
int srv_arg_range_or_reply(srv_client_t *c, const resp_slice_t *a,
                           int64_t min, int64_t max, int64_t *out,
                           const char *msg);
/* Parse a double as Redis's getDoubleFromObject/getLongDoubleFromObject:
 * strtod/strtold, whole string, no spaces, no nan. */
int srv_arg_double_or_reply(srv_client_t *c, const resp_slice_t *a,
                            double *out, const char *msg);
int srv_arg_long_double_or_reply(srv_client_t *c, const resp_slice_t *a,
                                 long double *out, const char *msg);
int srv_parse_ll(const char *s, size_t len, int64_t *out);  /* 0 / -1 */
int srv_parse_double(const char *s, size_t len, double *out); /* 0 / -1 */
/* Redis's stringmatchlen: glob match with * ? [...] [^...] \x, nocase. */
int srv_glob_match(const char *pat, size_t plen, const char *s, size_t slen,
                   int nocase);
/* Format a long double as Redis's INCRBYFLOAT does (%.17Lf, trailing zeros
 * removed). Returns length; buf needs 5*1024 bytes (MAX_LONG_DOUBLE_CHARS).*/
size_t srv_ld2str(char *buf, size_t size, long double v);
/* "1.5mb" style memory strings to bytes (config and CLI): 0 / -1. */
int srv_parse_memory(const char *s, int64_t *out);

/* ---------------------------------------------------------------------
 * Keyspace (db.c): lookups expire lazily; values are borrowed references
 * valid until the key is changed or deleted.
 * ------------------------------------------------------------------ */

int srv_db_init_all(void);            /* 0 / -ENOMEM */
void srv_db_fini_all(void);
/* Select database id for c: 0, or -EINVAL (out of range). */
int srv_db_select(srv_client_t *c, int64_t id);

/* Borrowed reference to the value of key, or NULL (missing or expired:
 * expired keys are deleted here). _read counts keyspace hits/misses. */
hp_obj_t *srv_db_lookup_read(srv_db_t *db, const char *key, size_t len);
hp_obj_t *srv_db_lookup_write(srv_db_t *db, const char *key, size_t len);
/* Same, without touching stats or LRU (TYPE, EXISTS use _read in Redis;
 * OBJECT uses this). */
hp_obj_t *srv_db_lookup_nostats(srv_db_t *db, const char *key, size_t len);

/* Bind key to val (stores its own reference: the caller keeps theirs).
 * flags: SRV_SET_KEEPTTL keeps an existing TTL, else it is removed.
 * Signals the key as modified. 0 or -ENOMEM (nothing changed). */
#define SRV_SET_KEEPTTL (1 << 0)
int srv_db_set(srv_db_t *db, const char *key, size_t len, hp_obj_t *val,
               int flags);
/* Add key only if absent (after lazy expiry). 1 added, 0 existed,
 * -ENOMEM. */
int srv_db_add(srv_db_t *db, const char *key, size_t len, hp_obj_t *val);
/* Delete key (and its TTL). 1 if it existed, else 0. Signals modified. */
int srv_db_delete(srv_db_t *db, const char *key, size_t len);
/* Absolute expire time in unix ms, or -1 when none (key must exist). */
int64_t srv_db_get_expire(srv_db_t *db, const char *key, size_t len);
/* Set the absolute expire (unix ms) of an existing key: 0 / -ENOMEM. */
int srv_db_set_expire(srv_db_t *db, const char *key, size_t len,
                      int64_t when_ms);
/* Remove the TTL: 1 if there was one, else 0. */
int srv_db_persist(srv_db_t *db, const char *key, size_t len);
/* True when the key's TTL has passed (does not delete). */
int srv_db_key_is_expired(srv_db_t *db, const char *key, size_t len);
/* Called after every write to key (WATCH, client-side caching hooks and
 * keyspace notifications attach here later); counts stats.dirty. */
void srv_db_signal_modified(srv_db_t *db, const char *key, size_t len);
/* Empty one db (-1 = all). Returns the number of keys removed. */
int64_t srv_db_flush(int dbnum, int async);
/* SWAPDB a b: 0 or -EINVAL. */
int srv_db_swap(int a, int b);
/* Number of keys in db. */
size_t srv_db_size(const srv_db_t *db);
/* One slice of active expiry (Redis's activeExpireCycle, "fast" or
 * "slow" as in Redis), called from the cron and before sleeping. */
void srv_db_active_expire(int slow);
/* Cron: incremental rehashing, shrinking of sparse tables. */
void srv_db_cron(void);
/* Weak bindings (REF.LINK ... WEAK; db.c). Bind key weakly to target (no
 * reference held; the key vanishes when target dies): 0, -ENOMEM,
 * -EINVAL (shared target). Whether key is a weak binding. */
int srv_db_set_weak(srv_db_t *db, const char *key, size_t len,
                    hp_obj_t *target);
int srv_db_is_weak(srv_db_t *db, const char *key, size_t len);
/* The heap cleared weak binding ud (clear callback: queue only) and,
 * before the loop sleeps, unbind the queued ones (`del`, WATCH). */
void srv_db_weak_cleared(void *ud);
void srv_db_weak_flush(void);
/* Names with a TTL whose object is weakly referenced or shared (db.c):
 * key's object just got a reference (queued when key has a TTL); the earliest
 * queued TTL (INT64_MAX when none); before a command, expire the queued
 * names whose TTL passed, so weak references to an object held only by
 * expired names read it as gone (then the weak events are published). */
void srv_db_ref_target(srv_db_t *db, const char *key, size_t len);
/* Microseconds of keyspace rehashing per cron run: gc-slice-budget-us,
 * at most 1000 (Redis's). */
int64_t srv_db_rehash_budget_us(void);
extern int64_t srv_db_weak_due_ms;
void srv_db_weak_expire_due(void);
/* Borrowed object bound to key (weak bindings followed) without expiry,
 * reclaim or stats; NULL when unbound or a weak binding's object died. */
hp_obj_t *srv_db_peek(srv_db_t *db, const char *key, size_t len);
/* Most keys srv_db_prefetch takes at once (more are ignored). */
#define SRV_PREFETCH_MAX 16
/* Prefetch the dict entries, objects and value bytes of keys[0..n) in db
 * (borrowed slices) before the commands using them run. Read-only: no
 * expiry, no clock or stats, no rehash step; changes no behaviour. */
void srv_db_prefetch(srv_db_t *db, const resp_slice_t *keys, int n);
/* A binding may have been left on an emptied container (it reads as
 * missing): active expiry sweeps the keyspaces for it. */
void srv_db_empty_suspect(void);
/* Move skey's binding (value, TTL, clock) in sdb to dkey in ddb, replacing
 * dkey (RENAME, MOVE). Signals both keys, counts one change. 0, -ENOENT,
 * -ENOMEM. */
int srv_db_rename(srv_db_t *sdb, const char *skey, size_t slen,
                  srv_db_t *ddb, const char *dkey, size_t dlen);
/* True when maxmemory-policy is an LFU policy. */
int srv_db_lfu_enabled(void);
/* OBJECT IDLETIME / FREQ data of a binding, no stats or touch: idle ms
 * (1 s resolution) and decayed LFU counter; -1 when the key is missing. */
int64_t srv_db_idle_ms(srv_db_t *db, const char *key, size_t len);
int srv_db_lfu_freq(srv_db_t *db, const char *key, size_t len);
/* RESTORE's FREQ / IDLETIME (seconds): set the binding's LFU counter
 * (LFU policy, freq >= 0) or LRU age (otherwise, idle >= 0) (db.c). */
void srv_db_set_clock(srv_db_t *db, const char *key, size_t len,
                      int64_t lfu_freq, int64_t lru_idle_s);

/* ---------------------------------------------------------------------
 * Client and connection functions (client.c, net.c, server.c)
 * ------------------------------------------------------------------ */

int srv_net_listen(void);        /* bind listeners per cfg: 0 / -errno */
void srv_net_close_listeners(void);
/* Re-open the TCP listeners for the current cfg.port / cfg.bind (CONFIG
 * SET). The new set is opened before the old one closes, or after it when
 * close_first (a new bind list on the same port). On failure the old set
 * keeps serving (close_first: none is left; the caller restores the old
 * values and calls again) and a negative libuv error is returned. */
int srv_net_rebind_tcp(int close_first);
/* Mark a client to be closed once its pending output is written
 * (CLOSE_AFTER_REPLY) or right away (CLOSE_ASAP). */
void srv_client_close_async(srv_client_t *c);
void srv_client_free(srv_client_t *c);   /* close now */
/* Ask for c's output to be flushed before the loop sleeps. */
void srv_client_schedule_write(srv_client_t *c);
/* Run one parsed command for c (dispatch: lookup, arity, auth, pause,
 * stats, slowlog, monitor, then the handler). */
void srv_client_execute(srv_client_t *c, const resp_cmd_t *cmd);
/* CLIENT LIST / CLIENT INFO line for c, into buf (owned by caller),
 * without the trailing newline. Returns the length. */
size_t srv_client_info_line(srv_client_t *c, char *buf, size_t size);
/* Feed a command to MONITOR clients (monitor format of Redis). */
void srv_monitor_feed(srv_client_t *c);
/* Request a graceful shutdown with exit code (SHUTDOWN, signals). */
void srv_shutdown(int exit_code);
/* Apply changed config values that need action (hz, maxclients, ...). */
void srv_server_apply_config(void);
/* Before the loop sleeps: resume clients whose pause ended, flush pending
 * writes, close clients marked to close (client.c, from server.c). */
void srv_clients_before_sleep(void);
/* Cron part for clients: idle timeouts (client.c). */
void srv_clients_cron(void);
/* Free every client (shutdown). */
void srv_clients_free_all(void);
/* Accept a new connection on a listener stream (net.c -> client.c): the
 * client is created and reading starts; unix is 1 for a unix socket. */
void srv_client_accept(uv_stream_t *listener, int unix_socket);
/* Re-apply the configured parser limits to every client (CONFIG SET of
 * proto-max-bulk-len / client-query-buffer-limit / requirepass). */
void srv_clients_apply_limits(void);
/* Output bytes c holds that the socket has not taken yet (the buffer
 * being filled plus what an in-flight write still has queued). */
size_t srv_client_pending_out(const srv_client_t *c);
/* Reply the len bytes s of string object o as a bulk string into b
 * (c->out) by reference rather than by copy, when c may hold one now:
 * takes a new reference to o until the bytes are written. Returns 0 when
 * done, -1 when the caller must copy as usual (nothing written). */
int srv_client_reply_ref(srv_client_t *c, resp_buf_t *b, hp_obj_t *o,
                         const char *s, size_t len);
/* Before a key's binding is dropped (db.c): the replies the running read
 * holds by reference are copied, so that no object outlives its last
 * binding by them (its weak references are cleared when it goes, as
 * always). */
void srv_client_refs_settle(void);
/* Offsets of c->out from `from` on moved by `delta` bytes (a deferred
 * header inserted there): references behind it move along. */
void srv_client_refs_shift(srv_client_t *c, size_t from, size_t delta);
/* Enforce client-output-buffer-limit on c: when past its class's hard
 * limit, or past the soft one for soft-seconds, log, count and schedule
 * c to close. Returns 1 when c is (now or already) closing, else 0. */
int srv_client_check_obuf(srv_client_t *c);
/* Run cmd for c with c->argc/argv already set, with statistics, slowlog
 * and MONITOR as any command (EXEC runs its queue through this). */
void srv_client_call(srv_client_t *c, srv_command_t *cmd);
/* Format a socket address as Redis does: "ip:port" or "[ip6]:port"
 * (net.c). */
void srv_format_addr(char *buf, size_t size, const struct sockaddr *sa);

/* ---------------------------------------------------------------------
 * Config (config.c)
 * ------------------------------------------------------------------ */

/* Load defaults, then the config file (NULL: none), then argv overrides
 * ("--port 7000" pairs and "-" for stdin as redis-server). On error prints
 * "*** FATAL CONFIG FILE ERROR ***" with file, line and reason like Redis,
 * and returns -EINVAL. */
int srv_config_load(int argc, char **argv);
void srv_config_free(void);
/* Set defaults only (tests, and the start of srv_config_load). */
void srv_config_init_defaults(void);
/* Load config text (redis.conf syntax) as if read from a file; on error
 * writes the reason ("at line N ... reason") into err and returns
 * -EINVAL. Used by srv_config_load and unit tests. */
int srv_config_load_string(const char *text, char *err, size_t errsize);
/* Set one directive from its string value as CONFIG SET would (no
 * immutability check). 0, or -EINVAL with the reason in *reason
 * (static string or err buffer). */
int srv_config_set_value(const char *name, const char *value, char *err,
                         size_t errsize);
/* Current value of a directive as CONFIG GET shows it, into buf.
 * 0, or -ENOENT for an unknown name. */
int srv_config_get_value(const char *name, char *buf, size_t size);
/* Name of the i-th directive (table order, from 0), or NULL past the
 * last one (borrowed, static). */
const char *srv_config_name(size_t i);
/* CONFIG REWRITE of the file at path: its directive lines get the
 * current values, changed directives it lacks are appended. 0 or a
 * negative errno. */
int srv_config_rewrite_file(const char *path);

/* ---------------------------------------------------------------------
 * Slowlog and latency (slowlog.c)
 * ------------------------------------------------------------------ */

/* Record a command that ran for duration_us, if past the threshold. */
void srv_slowlog_push(srv_client_t *c, int argc, const resp_slice_t *argv,
                      int64_t duration_us);
void srv_slowlog_reset(void);
void srv_slowlog_free(void);
/* Record a latency event (LATENCY) of ms milliseconds. */
void srv_latency_add(const char *event, int64_t ms);
/* Record one call of cmd that took usec microseconds in its latency
 * histogram (LATENCY HISTOGRAM, INFO latencystats), when latency-tracking
 * is on. */
void srv_latency_hist_record(srv_command_t *cmd, int64_t usec);
/* Drop every command's latency histogram (CONFIG RESETSTAT). */
void srv_latency_hist_reset_all(void);
/* INFO latencystats value of cmd ("p50=1.000,p99=...", the configured
 * latency-tracking-info-percentiles) into buf. 0 when cmd has no
 * recorded calls, else the length. */
size_t srv_latency_percentiles(const srv_command_t *cmd, char *buf,
                               size_t size);

/* ---------------------------------------------------------------------
 * INFO (info.c)
 * ------------------------------------------------------------------ */

/* Append the INFO text of the named section ("default", "all",
 * "everything", or a section name) to buf. Returns 0 / -ENOMEM. */
int srv_info_generate(resp_buf_t *buf, int argc, const resp_slice_t *argv);
/* Count an error reply by its code (errorstats). */
void srv_errorstats_count(const char *msg);
void srv_errorstats_reset(void);

/* Sample instantaneous_ops_per_sec and friends; the cron calls it every
 * tick (info.c). */
void srv_info_cron(void);
/* New random master_replid (DEBUG CHANGE-REPL-ID) (info.c). */
void srv_info_new_replid(void);
/* Set c's name (CLIENT SETNAME, HELLO SETNAME): empty clears it; invalid
 * names get Redis's error reply. 0, or -1 after an error reply
 * (t_client.c). */
int srv_client_setname_or_reply(srv_client_t *c, const resp_slice_t *name);

/* COMMAND GETKEYS of SORT: index in args (args[0] = "sort") of the last
 * STORE key, or 0 (t_sort.c). */
int srv_sort_store_key(const resp_slice_t *args, int argc);

/* ---------------------------------------------------------------------
 * Transactions (t_multi.c)
 * ------------------------------------------------------------------ */

/* Queue c's current command (c->argc/argv, cmd) for EXEC and reply
 * +QUEUED; on OOM the transaction is flagged and an error replied. */
void srv_multi_queue(srv_client_t *c, srv_command_t *cmd);
/* An error while queueing: EXEC will reply EXECABORT. */
void srv_multi_flag_error(srv_client_t *c);
/* Union of the flags of c's queued commands (0 when none). */
uint32_t srv_multi_flags(const srv_client_t *c);
/* Reply "-EXECABORT Transaction discarded because of: <msg>" and discard
 * c's transaction (EXEC refused by dispatch). */
void srv_multi_exec_abort(srv_client_t *c, const char *msg);
/* Queued commands and their bytes, for CLIENT LIST (multi, multi-mem);
 * count is -1 outside MULTI; *dirty_cas 1 when a watched key changed. */
void srv_multi_info(const srv_client_t *c, int64_t *count, size_t *mem,
                    int *dirty_cas);
/* Free c's transaction state and unwatch its keys (client freed). */
void srv_multi_client_free(srv_client_t *c);
/* WATCH hooks (db.c): key changed (written, deleted, expired) in db. */
void srv_multi_touch_key(srv_db_t *db, const char *key, size_t len);
/* Key is about to be deleted by expiry (key may live in the entry being
 * deleted, so this comes first). */
void srv_multi_touch_expired(srv_db_t *db, const char *key, size_t len);
/* db is about to be emptied (FLUSHDB/FLUSHALL, replaced NULL) or to get
 * the contents of replaced (SWAPDB): touch its watched keys as Redis
 * 7.0 does. */
void srv_multi_touch_db(srv_db_t *db, srv_db_t *replaced);

/* ---------------------------------------------------------------------
 * Pub/Sub (t_pubsub.c)
 * ------------------------------------------------------------------ */

/* Publish msg on channel ch to its subscribers and to the subscribers of
 * matching patterns (PUBLISH, keyspace notifications). Returns the number
 * of receivers as PUBLISH replies it. */
int64_t srv_pubsub_publish(const char *ch, size_t chlen, const char *msg,
                           size_t mlen);
/* Drop every subscription of c, no replies (called when c is freed). */
void srv_pubsub_client_free(srv_client_t *c);
/* c's subscription counts for CLIENT LIST sub=, psub=, ssub=. */
void srv_pubsub_client_counts(const srv_client_t *c, size_t *sub,
                              size_t *psub, size_t *ssub);
/* Channels, patterns and shard channels with subscribers (INFO). */
void srv_pubsub_server_counts(size_t *channels, size_t *patterns,
                              size_t *shard);
/* Dispatch: 1 when c is a RESP2 subscriber and cmd is not one of
 * (P|S)(UN)SUBSCRIBE, PING, QUIT; then msg holds Redis's error text. */
int srv_pubsub_denies(const srv_client_t *c, const srv_command_t *cmd,
                      char *msg, size_t size);

/* ---------------------------------------------------------------------
 * Keyspace notifications (notify.c)
 * ------------------------------------------------------------------ */

/* Publish Redis 7.0's keyspace/keyevent messages for event (type is its
 * SRV_NOTIFY_* class) on key of db, when notify-keyspace-events enables
 * them. Call after the write, with Redis's event name ("set", "lpush"). */
void srv_notify(int type, const char *event, srv_db_t *db, const char *key,
                size_t keylen);

/* ---------------------------------------------------------------------
 * Eviction (evict.c)
 * ------------------------------------------------------------------ */

/* maxmemory eviction as Redis's performEvictions: when used memory is
 * past maxmemory, evict keys by maxmemory-policy until under it, for at
 * most a short time budget (the rest continues before the loop sleeps).
 * Returns 1 when still over the limit with nothing evictable (noeviction,
 * no key qualifies): DENYOOM commands are then refused; else 0. */
int srv_evict_if_needed(void);
/* Before sleeping: continue an eviction that ran out of time. */
void srv_evict_before_sleep(void);
/* 1 while an eviction that ran out of time still has work to do. */
int srv_evict_pending(void);

/* ---------------------------------------------------------------------
 * Cycle collector in the loop (server.c) and references (t_ref.c)
 * ------------------------------------------------------------------ */

/* Collector or deferred-free work may be due (a reference was stored, a
 * big value queued): run slices between ticks until none remains. */
void srv_gc_wake(void);
/* Seconds the executor spent polling with nothing to read (busypoll.c,
 * INFO cpu). */
double srv_busy_poll_seconds(void);
/* Copy srv.cfg's gc-* values into hp_gc_config (config.c, t_gc.c). */
void srv_gc_sync_config(void);
/* Apply jemalloc-bg-thread once the server runs (server.c; config.c
 * calls it after every store, a no-op before startup). */
void srv_jemalloc_sync(void);
/* One turn of the collector's idle handle: a paced slice (t_gc.c).
 * Returns 1 while collector or deferred-free work remains. */
/* Flushed keyspaces freed in slices (db.c): entries left, and one step
 * of about budget_us (< 0: all); 1 while some remain. */
size_t srv_db_free_pending(void);
int srv_db_free_step(int64_t budget_us);
enum { SRV_GC_DONE, SRV_GC_MORE, SRV_GC_WAIT };
int srv_gc_idle_turn(void);
#ifdef GC_DEBUG
/* -Dgc_debug=true builds (t_gc.c): run hp_heap_check after a command or
 * a collector slice (where names it) and abort on a violation. A check
 * that took t us is skipped for the next t us, so a big heap costs at
 * most about half the executor's time; a small one is checked every
 * time. */
void srv_gc_debug_check(const char *where);
#endif
/* Weak elements vanishing: register the heap's clear callback (startup),
 * publish the queued events (before sleeping), free it all (shutdown). */
void srv_ref_init(void);
void srv_ref_before_sleep(void);
void srv_ref_fini(void);
/* COPY: give dst (a fresh copy of src, not yet bound) src's reference
 * elements and remember dst's name key in db for its weak-element
 * events. 0 or -1 (OOM). */
int srv_ref_copy(srv_db_t *db, const char *key, size_t klen, hp_obj_t *dst,
                 const hp_obj_t *src);

/* ---------------------------------------------------------------------
 * Clients blocked on keys (blocked.c)
 * ------------------------------------------------------------------ */

/* What a blocked client waits for and how it is served. */
typedef struct srv_block_req srv_block_req_t;
/* Serve c, blocked on key (len bytes) of c->db which now holds o of
 * req->type: pop, reply (or reply an error). argv is c's blocked
 * command (a copy). c is unblocked afterwards by the caller. */
typedef void srv_block_serve_t(srv_client_t *c, const srv_block_req_t *req,
                               const resp_slice_t *argv, const char *key,
                               size_t len, hp_obj_t *o);
struct srv_block_req {
    int type;              /* HP_TYPE_* a key must hold to serve c */
    int where;             /* command specific: list end, min/max */
    int whereto;           /* BLMOVE destination end */
    int64_t count;         /* BLMPOP / BZMPOP count */
    int dst;               /* argv index of the destination key, or 0 */
    srv_block_serve_t *serve;
};

/* Parse a blocking command's timeout (seconds, a float; 0 = forever)
 * into an absolute unix ms deadline (0 = none). 0, or -1 after Redis's
 * error reply ("timeout is not a float or out of range", "timeout is
 * negative"). */
int srv_block_timeout_or_reply(srv_client_t *c, const resp_slice_t *a,
                               int64_t *deadline_ms);
/* Block c (running a blocking command, not in MULTI) on the keys
 * c->argv[first..last] (duplicates count once) of c->db until a key
 * holds a value of req->type (then req->serve runs), the deadline
 * passes (null array reply) or CLIENT UNBLOCK. The argv is copied. On
 * OOM replies the OOM error instead. */
void srv_block_on_keys(srv_client_t *c, int first, int last,
                       int64_t deadline_ms, const srv_block_req_t *req);
/* The common way of every blocking command: serve c at once from the
 * first existing key of argv[first..last] (WRONGTYPE when it does not
 * hold req->type), or inside MULTI reply the empty reply (a null array,
 * or a null bulk when null_array is 0), or block c on those keys. */
void srv_block_serve_or_block(srv_client_t *c, int first, int last,
                              int64_t deadline_ms, const srv_block_req_t *req,
                              int null_array);
/* The optional "COUNT count" that ends BLMPOP / BZMPOP, from argv[from]:
 * stores it (1 when absent) in *count. 0, or -1 after replying the error
 * (a count below 1, a repeated COUNT or any other word). */
int srv_mpop_count_or_reply(srv_client_t *c, int from, int64_t *count);
/* A key of db was written: clients waiting on it get a chance to be
 * served after the current command (db.c's srv_db_signal_modified). */
void srv_blocked_signal_key(srv_db_t *db, const char *key, size_t len);
/* Signal every key of db with waiting clients that exists (SWAPDB). */
void srv_blocked_signal_db(srv_db_t *db);
/* Serve the clients waiting on signalled keys, repeatedly until no key is
 * ready (after each top-level command, and before sleeping). */
void srv_blocked_handle_ready(void);
/* Before the loop sleeps: time out blocked clients, serve ready keys and
 * run the buffered input of the clients unblocked since. */
void srv_blocked_before_sleep(void);
/* c is being freed: drop its blocked state and pending resumption. */
void srv_blocked_client_free(srv_client_t *c);
/* Blocked clients, and how many of them have a timeout (INFO). */
void srv_blocked_counts(uint64_t *blocked, uint64_t *with_timeout);
/* Free blocked.c's tables at shutdown. */
void srv_blocked_fini(void);
/* Run the commands buffered for c, an unblocked client, then keep
 * reading (client.c). */
void srv_client_resume_input(srv_client_t *c);

/* ---------------------------------------------------------------------
 * I/O threads (iothread.c): io-threads N > 0 moves every connection to
 * one of N threads with their own loops. A thread reads, parses complete
 * commands into a batch and hands it to the executor; the executor runs
 * the commands and hands the reply bytes back. Messages go through
 * lock-free queues with one uv_async_send per loop iteration, never one
 * per command. The executor's srv_client_t and the thread's srv_conn_t
 * are two halves: each is touched by its own thread only.
 * ------------------------------------------------------------------ */

/* One parsed command of a batch: argv slices into the batch's bytes. */
typedef struct srv_batch_cmd {
    int argc;
    int inline_cmd;
    resp_slice_t *argv;
} srv_batch_cmd_t;

/* Complete commands read by an I/O thread, in order (one block, owned by
 * whoever holds it: the thread until pushed, then the executor). */
typedef struct srv_batch {
    struct srv_batch *next;  /* in the client's queue */
    int ncmds;
    int pos;                 /* next command to run */
    size_t bytes;            /* input bytes it accounts for */
    size_t wire;             /* protocol bytes its commands came in */
    const char *error;       /* a protocol error after the commands
                                (static text, RESP_ERR_PROTO), or NULL */
    int error_rc;            /* RESP_ERR_* with error, else 0 */
    srv_batch_cmd_t cmds[];  /* then the slices, then the bytes */
} srv_batch_t;

/* Free a batch (executor). */
void srv_batch_free(srv_batch_t *b);
/* Start cfg.io_threads I/O threads (none when 0). 0 / -errno. */
int srv_io_start(void);
/* Stop and join every I/O thread, after closing their connections
 * (shutdown). Clients still waiting for their thread are freed. */
void srv_io_stop(void);
/* True when connections live on I/O threads. */
int srv_io_active(void);
/* Hand the connected socket fd (now owned by the thread) of the new
 * client c to the least loaded I/O thread with the parser limits l.
 * 0 / -ENOMEM (fd then closed by the caller). */
int srv_io_attach(srv_client_t *c, uv_os_sock_t fd, int unix_socket,
                  const resp_limits_t *l);
/* Hand c->out (its bytes, then an empty buffer is left) and the batches
 * acknowledged since the last call to c's thread. 0 / -ENOMEM. */
int srv_io_send_out(srv_client_t *c);
/* Tell c's thread the new parser limits (after AUTH, CONFIG SET). */
void srv_io_set_limits(srv_client_t *c, const resp_limits_t *l);
/* Close c's socket: after writing what was handed over (graceful) or at
 * once. The thread answers with srv_client_io_gone. */
void srv_io_close(srv_client_t *c, int graceful);
/* The thread's half of a client the executor is done with may go. */
void srv_io_release(srv_client_t *c);
/* Reply bytes handed to c's thread and not yet written to the socket. */
size_t srv_io_unwritten(const srv_client_t *c);
/* Free bytes of the query buffer c's thread holds (CLIENT LIST). */
size_t srv_io_qbuf_free(const srv_client_t *c);
/* Wake every thread that has messages (end of the executor's tick). */
void srv_io_flush(void);
/* Bytes read and written by all I/O threads (INFO stats). */
uint64_t srv_io_net_input_bytes(void);
uint64_t srv_io_net_output_bytes(void);
/* Append the INFO "# Threads" fields (io_thread_N:...) to b. */
void srv_io_info(resp_buf_t *b);

/* Executor callbacks of iothread.c (client.c): a batch arrived for c
 * (ownership passes), or c's thread closed its socket. */
void srv_client_io_batch(srv_client_t *c, srv_batch_t *b);
void srv_client_io_gone(srv_client_t *c);
/* Input bytes buffered for c and not yet run (INFO, CLIENT LIST). */
size_t srv_client_qbuf(const srv_client_t *c);
/* Apply the configured parser limits to c (and tell its thread). */
void srv_client_apply_limits(srv_client_t *c);

#endif /* GENCACHE_SERVER_SERVER_H */
