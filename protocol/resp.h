/*
 * resp.h - the RESP2/RESP3 protocol: an incremental request parser and a
 * reply encoder. Knows bytes and C integers only; uses libc alone.
 *
 * Threads: a parser or a buffer belongs to one thread at a time; nothing
 * here has global state.
 */
#ifndef GENCACHE_PROTOCOL_RESP_H
#define GENCACHE_PROTOCOL_RESP_H

#include <stddef.h>
#include <stdint.h>

/* Allocator used for every buffer of this module (default: libc malloc,
 * realloc, free). The server points it at heap/'s accounting allocator so
 * client buffers count in used_memory. Set once, before any use. */
void resp_set_allocator(void *(*malloc_fn)(size_t),
                        void *(*realloc_fn)(void *, size_t),
                        void (*free_fn)(void *));

/* ---------------------------------------------------------------------
 * Request parser
 * ------------------------------------------------------------------ */

/* Limits, set at init (and changeable between commands). Redis defaults:
 * max_bulk_len 512 MB (proto-max-bulk-len), max_args 1024*1024 (Redis
 * accepts multibulk lengths up to INT_MAX when authenticated; we keep a
 * configurable cap), max_inline_len 64 KB (PROTO_INLINE_MAX_SIZE),
 * max_query_buf 1 GB (client-query-buffer-limit). */
typedef struct resp_limits {
    int64_t max_bulk_len;   /* largest $<n> accepted, bytes */
    int64_t max_args;       /* largest *<n> accepted */
    size_t max_inline_len;  /* longest inline line / header line, bytes */
    size_t max_query_buf;   /* most unparsed bytes buffered, bytes */
    int unauth;             /* 1: also cap *<n> at 10 and $<n> at 16384
                               with Redis's "unauthenticated ..." texts */
} resp_limits_t;

/* Fill *l with Redis's defaults (see above). */
void resp_limits_default(resp_limits_t *l);

/* Redis's tighter limits for unauthenticated clients when requirepass is
 * set: multibulk length at most 10, bulk length at most 16384. Fills *l
 * with the defaults plus unauth = 1, so that, as in Redis, *<n> over
 * max_args still says "invalid multibulk length" while 10 < n <= max_args
 * says "Protocol error: unauthenticated multibulk length" (likewise
 * "Protocol error: unauthenticated bulk length" for $<n>). */
void resp_limits_unauthenticated(resp_limits_t *l);

/* One argument: a slice into the parser's buffer. Valid until the next
 * call to resp_parser_feed(), resp_parser_reserve() or resp_parser_fini().
 * The argv array holding the slices is reused by every resp_parser_next(),
 * so run (or copy) a command before asking for the next one. */
typedef struct resp_slice {
    const char *ptr;
    size_t len;
} resp_slice_t;

/* A parsed command: argc slices, argv[argc] is not defined. */
typedef struct resp_cmd {
    int argc;
    resp_slice_t *argv; /* owned by the parser; valid as the slices are */
    int inline_cmd;     /* 1 when it came as an inline (telnet) line */
} resp_cmd_t;

/* Parser errors (negative returns of resp_parser_next). */
enum {
    RESP_ERR_PROTO = -1, /* malformed input: see resp_parser_error() */
    RESP_ERR_NOMEM = -2, /* allocation failed */
};

/* The parser. The struct is public so clients can embed it; fields are
 * private to resp_parser.c. */
typedef struct resp_parser {
    resp_limits_t limits;
    char *buf;          /* buffered input, owned */
    size_t cap;         /* allocated bytes of buf */
    size_t len;         /* valid bytes in buf */
    size_t pos;         /* first unparsed byte */
    size_t scan;        /* where to resume looking for "\r\n" */
    int state;          /* private */
    int64_t want;       /* private: args left / bulk length pending */
    int64_t nargs;      /* private: args of the current multibulk */
    resp_slice_t *argv; /* argument slices, owned */
    size_t argv_cap;
    char *scratch;      /* unescaped inline args, owned */
    size_t scratch_cap;
    const char *error;  /* sticky error text, static storage */
} resp_parser_t;

/* Initialise with limits (NULL for defaults). Cannot fail. */
void resp_parser_init(resp_parser_t *p, const resp_limits_t *limits);

/* Release everything the parser owns. */
void resp_parser_fini(resp_parser_t *p);

/* Append len bytes. Returns 0, RESP_ERR_NOMEM, or RESP_ERR_PROTO when the
 * unparsed bytes would exceed limits.max_query_buf (error text
 * "Protocol error: query buffer limit exceeded" is NOT Redis's: the server
 * closes such a client as Redis does, logging it). Invalidates slices. */
int resp_parser_feed(resp_parser_t *p, const char *buf, size_t len);

/* Zero-copy feeding (for libuv's alloc_cb/read_cb): return a pointer to at
 * least `hint` free bytes at the end of the buffer (growing it, compacting
 * parsed bytes away first) and store their count in *avail; NULL on OOM.
 * After reading n bytes there, call resp_parser_commit(p, n).
 * Invalidates slices. */
char *resp_parser_reserve(resp_parser_t *p, size_t hint, size_t *avail);
void resp_parser_commit(resp_parser_t *p, size_t n);

/* Parse the next complete command. Returns 1 and fills *cmd (an empty
 * inline line is skipped, never returned), 0 when more bytes are needed,
 * or a negative RESP_ERR_* (sticky: every later call returns it too). */
int resp_parser_next(resp_parser_t *p, resp_cmd_t *cmd);

/* Most arguments a command may have for resp_parser_peek to see it. */
#define RESP_PEEK_MAX_ARGS 64

/* Look ahead without parsing (for prefetching): the complete multibulk
 * command starting *off bytes after the next unparsed byte (start with
 * *off = 0 right after resp_parser_next returned 1). Stores its first
 * min(argc, max) argument slices in argv (valid as resp_parser_next's),
 * advances *off past it and returns argc. Returns 0 when there is none
 * to see: the parser is inside a command, or the command is inline,
 * incomplete, has a malformed header, or more than RESP_PEEK_MAX_ARGS
 * arguments. Changes nothing and checks no limit: resp_parser_next still
 * parses, checks and returns every command. */
int resp_parser_peek(const resp_parser_t *p, size_t *off, resp_slice_t *argv,
                     int max);

/* The error text of a RESP_ERR_PROTO, exactly as Redis words it after
 * "-ERR ", e.g. "Protocol error: invalid multibulk length",
 * "Protocol error: invalid bulk length",
 * "Protocol error: expected '$', got 'x'",
 * "Protocol error: too big mbulk count string",
 * "Protocol error: too big bulk count string",
 * "Protocol error: too big inline request",
 * "Protocol error: unbalanced quotes in request". NULL when no error. */
const char *resp_parser_error(const resp_parser_t *p);

/* Bytes buffered but not yet parsed (for client-query-buffer-limit and
 * CLIENT LIST qbuf). */
size_t resp_parser_pending(const resp_parser_t *p);

/* Free the input buffer of an idle parser (no unparsed byte, between
 * commands), as Redis frees the query buffer of a client idle for a few
 * seconds; the next read allocates a new one. Slices of the last command
 * become invalid. Returns the bytes released (0 when not idle or already
 * empty). */
size_t resp_parser_release_idle(resp_parser_t *p);

/* Replace the limits (e.g. after AUTH). */
void resp_parser_set_limits(resp_parser_t *p, const resp_limits_t *limits);

/* ---------------------------------------------------------------------
 * Reply encoder
 * ------------------------------------------------------------------ */

/* A growable output buffer. `proto` (2 or 3) picks how the RESP3-only
 * types are written: in RESP2 a map is an array of 2n, a set an array, a
 * double a bulk string, a boolean an integer 1/0, null "$-1" (or "*-1" for
 * resp_write_null_array), verbatim a bulk string, big number a bulk string,
 * push an array. */
typedef struct resp_buf {
    char *data;
    size_t len;
    size_t cap;
    int proto; /* 2 or 3 */
    int oom;   /* set when an allocation failed; later writes are dropped */
} resp_buf_t;

void resp_buf_init(resp_buf_t *b, int proto);
void resp_buf_fini(resp_buf_t *b);
/* Forget the contents, keep the allocation. */
void resp_buf_reset(resp_buf_t *b);
/* Drop the first n bytes (after a partial write). */
void resp_buf_consume(resp_buf_t *b, size_t n);
/* Append raw bytes. Returns 0 or -ENOMEM (and sets b->oom). */
int resp_buf_append(resp_buf_t *b, const char *s, size_t len);

/* Each writer returns 0 or -ENOMEM (and sets b->oom). */
int resp_write_simple(resp_buf_t *b, const char *s, size_t len); /* +s */
int resp_write_ok(resp_buf_t *b);                                /* +OK */
/* "-<msg>\r\n"; msg carries its own code ("ERR ...", "WRONGTYPE ...").
 * CR and LF inside msg are replaced by spaces, as Redis does. */
int resp_write_error(resp_buf_t *b, const char *msg, size_t len);
int resp_write_int(resp_buf_t *b, int64_t v);                   /* :v */
int resp_write_bulk(resp_buf_t *b, const char *s, size_t len);  /* $ */
int resp_write_bulk_int(resp_buf_t *b, int64_t v); /* integer as bulk */
int resp_write_null(resp_buf_t *b);          /* "_" or "$-1" */
int resp_write_null_array(resp_buf_t *b);    /* "_" or "*-1" */
int resp_write_array_len(resp_buf_t *b, int64_t n); /* "*n" */
int resp_write_map_len(resp_buf_t *b, int64_t n);   /* "%n" or "*2n" */
int resp_write_set_len(resp_buf_t *b, int64_t n);   /* "~n" or "*n" */
int resp_write_push_len(resp_buf_t *b, int64_t n);  /* ">n" or "*n" */
/* ",d" in RESP3 ("inf", "-inf", "nan"); a bulk string in RESP2. Formats
 * as Redis's addReplyDouble does: %.17g (shortest round-trip repr). */
int resp_write_double(resp_buf_t *b, double d);
int resp_write_bool(resp_buf_t *b, int v);          /* "#t"/"#f" or :1/:0 */
/* "=<len+4>\r\n<fmt>:<s>" in RESP3, a bulk string in RESP2; fmt is 3
 * chars ("txt"). */
int resp_write_verbatim(resp_buf_t *b, const char *fmt, const char *s,
                        size_t len);
int resp_write_bignum(resp_buf_t *b, const char *s, size_t len); /* "(" */

/* Deferred aggregate length, for replies whose count is known only at the
 * end (KEYS, SCAN): resp_write_deferred() reserves room and returns a
 * handle; resp_set_deferred() writes the header kind ('*', '%', '~', '>'
 * with RESP2 fallbacks as above) with count n there, moving what follows. */
size_t resp_write_deferred(resp_buf_t *b);
int resp_set_deferred(resp_buf_t *b, size_t handle, char kind, int64_t n);

/* Helpers shared with the server: int64 <-> decimal as Redis does
 * (string2ll: no leading '+', no leading zeros, no spaces, fits int64).
 * resp_str2ll returns 1 and stores *out when s is such an integer, else 0
 * (like Redis's string2ll, not the 0/-errno convention). resp_ll2str
 * returns the length written (buf needs 21 bytes). */
int resp_str2ll(const char *s, size_t len, int64_t *out);
size_t resp_ll2str(char *buf, int64_t v);

#endif /* GENCACHE_PROTOCOL_RESP_H */
