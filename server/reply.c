/*
 * reply.c - every srv_reply_* helper: append one reply to the client's
 * output buffer c->out in its protocol version (RESP2/RESP3), honouring
 * CLIENT REPLY OFF/SKIP, and queue the client for writing before the loop
 * sleeps (client.c flushes the queue with one write per client).
 *
 * Errors also count INFO's total_error_replies and errorstats, even when
 * the reply itself is suppressed (as Redis does); dispatch derives the
 * command's failed_calls from total_error_replies.
 *
 * Executor thread only.
 */
#include "server.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

/* Longest formatted error kept by srv_reply_errorf. */
#define ERRORF_MAX 1024

/* True when c's client class has an output buffer limit configured (the
 * common default "normal 0 0 0" skips the check's call). */
static inline int obuf_limited(const srv_client_t *c)
{
    const srv_obuf_limit_t *l =
        &srv.cfg.obuf_limits[(c->flags & SRV_CLIENT_PUBSUB)
                                 ? SRV_CLIENT_CLASS_PUBSUB
                                 : SRV_CLIENT_CLASS_NORMAL];

    return l->hard > 0 || l->soft > 0;
}

/* The buffer to write c's reply into, or NULL when replies are suppressed
 * (CLIENT REPLY OFF/SKIP, or the client is closing, or now closes for
 * its output buffer limit). Queues c for writing. */
static inline resp_buf_t *out_for(srv_client_t *c)
{
    if (c->reply_mode == SRV_REPLY_OFF || c->reply_mode == SRV_REPLY_SKIP)
        return NULL;
    if (c->flags & (SRV_CLIENT_CLOSE_ASAP | SRV_CLIENT_CLOSING))
        return NULL;
    /* Past client-output-buffer-limit: closing, nothing more is built. */
    if (obuf_limited(c) && srv_client_check_obuf(c))
        return NULL;
    if (!c->pending_write)
        srv_client_schedule_write(c);
    return &c->out;
}

/* +OK */
void srv_reply_ok(srv_client_t *c)
{
    resp_buf_t *b = out_for(c);

    if (b)
        resp_write_ok(b);
}

/* +s (s must not contain CR or LF). */
void srv_reply_simple(srv_client_t *c, const char *s)
{
    resp_buf_t *b = out_for(c);

    if (b)
        resp_write_simple(b, s, strlen(s));
}

/* Length of the upper-case code word msg starts with ("ERR",
 * "WRONGTYPE"), or 0 when msg has none (then "ERR " is prepended). */
static size_t error_code_len(const char *msg)
{
    size_t n = 0;

    while (isupper((unsigned char)msg[n]))
        n++;
    return (n > 0 && (msg[n] == ' ' || msg[n] == '\0')) ? n : 0;
}

/* -<CODE> <text>: see server.h. msg may start with '-'. */
void srv_reply_error(srv_client_t *c, const char *msg)
{
    char tmp[ERRORF_MAX + 8];
    resp_buf_t *b;
    size_t len;

    if (msg[0] == '-')
        msg++;
    if (error_code_len(msg) == 0) {
        snprintf(tmp, sizeof(tmp), "ERR %s", msg);
        msg = tmp;
    }
    srv.stats.total_error_replies++;
    srv_errorstats_count(msg);
    b = out_for(c);
    if (!b)
        return;
    len = strlen(msg);
    resp_write_error(b, msg, len);
}

/* printf-style srv_reply_error (the text is cut at ERRORF_MAX bytes). */
void srv_reply_errorf(srv_client_t *c, const char *fmt, ...)
{
    char msg[ERRORF_MAX];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    srv_reply_error(c, msg);
}

/* :v */
void srv_reply_int(srv_client_t *c, int64_t v)
{
    resp_buf_t *b = out_for(c);

    if (b)
        resp_write_int(b, v);
}

/* $len s */
void srv_reply_bulk(srv_client_t *c, const char *s, size_t len)
{
    resp_buf_t *b = out_for(c);

    if (b)
        resp_write_bulk(b, s, len);
}

/* Bulk of a C string; NULL replies null. */
void srv_reply_bulk_cstr(srv_client_t *c, const char *s)
{
    if (!s)
        srv_reply_null(c);
    else
        srv_reply_bulk(c, s, strlen(s));
}

/* An integer as a bulk string. */
void srv_reply_bulk_int(srv_client_t *c, int64_t v)
{
    resp_buf_t *b = out_for(c);

    if (b)
        resp_write_bulk_int(b, v);
}

/* $-1 (RESP2) or _ (RESP3). */
void srv_reply_null(srv_client_t *c)
{
    resp_buf_t *b = out_for(c);

    if (b)
        resp_write_null(b);
}

/* *-1 (RESP2) or _ (RESP3). */
void srv_reply_null_array(srv_client_t *c)
{
    resp_buf_t *b = out_for(c);

    if (b)
        resp_write_null_array(b);
}

/* Aggregate headers. */
void srv_reply_array_len(srv_client_t *c, int64_t n)
{
    resp_buf_t *b = out_for(c);

    if (b)
        resp_write_array_len(b, n);
}

void srv_reply_map_len(srv_client_t *c, int64_t n)
{
    resp_buf_t *b = out_for(c);

    if (b)
        resp_write_map_len(b, n);
}

void srv_reply_set_len(srv_client_t *c, int64_t n)
{
    resp_buf_t *b = out_for(c);

    if (b)
        resp_write_set_len(b, n);
}

/* ,d (RESP3) or a bulk string (RESP2). */
void srv_reply_double(srv_client_t *c, double d)
{
    resp_buf_t *b = out_for(c);

    if (b)
        resp_write_double(b, d);
}

/* #t/#f (RESP3) or :1/:0 (RESP2). */
void srv_reply_bool(srv_client_t *c, int v)
{
    resp_buf_t *b = out_for(c);

    if (b)
        resp_write_bool(b, v);
}

/* Verbatim string (RESP3) with 3-char format fmt, a bulk in RESP2. */
void srv_reply_verbatim(srv_client_t *c, const char *s, size_t len,
                        const char *fmt)
{
    resp_buf_t *b = out_for(c);

    if (b)
        resp_write_verbatim(b, fmt, s, len);
}

/* Reserve a deferred aggregate header; returns its handle, or SIZE_MAX
 * when replies are suppressed (srv_reply_set_deferred ignores it). */
size_t srv_reply_deferred(srv_client_t *c)
{
    resp_buf_t *b = out_for(c);

    return b ? resp_write_deferred(b) : SIZE_MAX;
}

/* Fill a header reserved by srv_reply_deferred. */
void srv_reply_set_deferred(srv_client_t *c, size_t handle, char kind,
                            int64_t n)
{
    size_t before = c->out.len;

    if (handle == SIZE_MAX)
        return;
    if (resp_set_deferred(&c->out, handle, kind, n) == 0 && c->nrefs)
        srv_client_refs_shift(c, handle, c->out.len - before);
}

/* The value of string object o as a bulk string. A big value may be
 * referenced rather than copied (srv_client_reply_ref): o itself is not
 * changed, only its reference count while the reply is pending. */
void srv_reply_obj(srv_client_t *c, const hp_obj_t *o)
{
    char buf[HP_INT_BUF];
    resp_buf_t *b = out_for(c);
    const char *s;
    size_t len;

    if (!b)
        return;
    s = hp_str_bytes(o, buf, &len);
    if (s != buf &&
        srv_client_reply_ref(c, b, (hp_obj_t *)o, s, len) == 0)
        return;
    resp_write_bulk(b, s, len);
}

/* ---------------------------------------------------------------------
 * Canned errors
 * ------------------------------------------------------------------ */

void srv_reply_wrongtype(srv_client_t *c)
{
    srv_reply_error(c, "WRONGTYPE Operation against a key holding the "
                       "wrong kind of value");
}

void srv_reply_syntax_error(srv_client_t *c)
{
    srv_reply_error(c, "ERR syntax error");
}

void srv_reply_not_integer(srv_client_t *c)
{
    srv_reply_error(c, "ERR value is not an integer or out of range");
}

void srv_reply_not_float(srv_client_t *c)
{
    srv_reply_error(c, "ERR value is not a valid float");
}

void srv_reply_no_such_key(srv_client_t *c)
{
    srv_reply_error(c, "ERR no such key");
}

void srv_reply_oom(srv_client_t *c)
{
    srv_reply_error(c, "OOM command not allowed when used memory > "
                       "'maxmemory'.");
}

/* ERR wrong number of arguments for '<full name>' command. */
void srv_reply_arity_error(srv_client_t *c)
{
    const char *name = c->cmd ? c->cmd->name : "";

    srv_reply_errorf(c, "ERR wrong number of arguments for '%s' command",
                     name);
}

/* Copy at most max bytes of arg into buf (size > max), stopping at a NUL
 * byte as Redis's %.*s on a C string does. Returns the length. */
static size_t arg_cstr(char *buf, size_t max, const resp_slice_t *arg)
{
    size_t n = arg->len < max ? arg->len : max;
    const char *nul = memchr(arg->ptr, '\0', n);

    if (nul)
        n = (size_t)(nul - arg->ptr);
    memcpy(buf, arg->ptr, n);
    buf[n] = '\0';
    return n;
}

/* ERR unknown subcommand '<argv[1]>'. Try <ARGV[0]> HELP. */
void srv_reply_unknown_subcommand(srv_client_t *c)
{
    char sub[129], cmd[129];
    size_t n;

    if (c->argc < 2) {
        srv_reply_arity_error(c);
        return;
    }
    arg_cstr(sub, 128, &c->argv[1]);
    n = arg_cstr(cmd, 128, &c->argv[0]);
    for (size_t i = 0; i < n; i++)
        cmd[i] = (char)toupper((unsigned char)cmd[i]);
    srv_reply_errorf(c, "ERR unknown subcommand '%s'. Try %s HELP.", sub,
                     cmd);
}

/* An array of simple strings, one per line (the caller's lines carry
 * Redis's header and footer themselves). */
void srv_reply_help(srv_client_t *c, const char *const *lines)
{
    int64_t n = 0;

    while (lines[n])
        n++;
    srv_reply_array_len(c, n);
    for (int64_t i = 0; i < n; i++)
        srv_reply_simple(c, lines[i]);
}
