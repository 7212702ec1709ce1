/*
 * client.c - the life of a client: creation on accept, reading into the
 * parser's own buffer (no copy), running every complete command of a read
 * (pipelining), the dispatcher with Redis 7.0's checks and statistics, the
 * output path, MONITOR feeding, CLIENT PAUSE postponing, idle timeouts and
 * freeing.
 *
 * Output: replies accumulate in c->out. Before the loop sleeps
 * (srv_clients_before_sleep, from a uv_prepare) every queued client gets
 * one uv_try_write of all its bytes, so a read batch of any number of
 * pipelined commands costs one write system call. Whatever the socket does
 * not take is handed to uv_write from the second buffer c->wbuf (the two
 * are swapped), so new replies keep going to c->out while a write is in
 * flight and the loop never blocks.
 *
 * Closing: handlers never free a client; they flag it (CLOSE_AFTER_REPLY
 * or CLOSE_ASAP) and it is freed before the loop sleeps. A freed client is
 * unlinked at once (CLOSING) and its memory released in the uv_close
 * callback, after libuv cancelled any write in flight.
 *
 * With io-threads the socket and the parser live on an I/O thread
 * (iothread.c): commands arrive as batches (srv_client_io_batch) and run
 * here in the same order and with the same checks; the bytes of c->out
 * are handed to the thread before the loop sleeps, in place of the
 * write, with the acknowledgement of the batches run; closing asks the
 * thread to close, and c is freed when it says the socket is gone.
 *
 * Executor thread only.
 */
#include "server.h"
#include "commands.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* Output buffers bigger than this are released after being written
 * rather than kept for the next reply (bytes). Big enough for a pipeline
 * of 4 KB replies (-P 32: 130 KB): releasing and regrowing such a buffer
 * on every batch faulted its pages in again each time (14% of the
 * server's cycles in GET of 4 KB values). Kept buffers of clients idle
 * for 2 s are released by the cron, as their query buffers. */
#define OUT_KEEP_MAX (256 * 1024)

/* Inside a read batch, once c->out holds OUT_EARLY bytes it is written
 * at once (when no write is in flight) rather than before the loop
 * sleeps: a pipeline of big replies (LRANGE of 4 KB elements: 13 MB for
 * -P 32) then reuses one warm buffer instead of growing one to the size
 * of the batch, copying it at each doubling and faulting in its pages. */
#define OUT_EARLY (256 * 1024)

/* Bytes asked of the parser's buffer before each read (Redis's
 * PROTO_IOBUF_LEN): libuv's 64 KB suggestion would make every idle
 * client hold 128 KB. A bigger buffer (a big bulk being read) is used
 * whole. */
#define READ_CHUNK (16 * 1024)

/* Clients holding a command postponed by CLIENT PAUSE, in the order
 * they were held (Redis resumes them in that order), and their count. */
static srv_client_t *paused_head, *paused_tail;
static uint64_t npaused;

/* Clock reads are a visible cost per command, so a read batch reads the
 * clock once at its start and once after each command (the end of one
 * command is the start of the next), and reads the executor's fast clock
 * (srv_clock_us: the time-stamp counter where the kernel trusts it).
 * clock_us is that last reading (unix us) while clock_valid is 1, i.e.
 * inside a batch. */
static int64_t clock_us;
static int clock_valid;

/* Replies by reference: a bulk reply of at least REF_MIN bytes from a
 * string object is not copied into c->out; c->out gets its header and
 * trailing CRLF and c->refs the object (one reference), and the write
 * hands the kernel the value's own bytes (writev). It saves the copy of
 * every 4 KB GET reply into the output buffer. Values change in place
 * (APPEND, SETRANGE, ...), so a reference must not outlive the commands
 * that cannot change a value nor show its reference count (OBJECT
 * REFCOUNT, REF.INFO): refs are only made for the client whose read is
 * being run (ref_client, never a threaded one), by read-only fast
 * commands (REF_CMD_FLAGS: GET, MGET, ...; refs_open), and before any
 * other command runs, or any binding is dropped (lazy expiry and
 * eviction run inside read-only commands too: srv_client_refs_settle),
 * they are copied into c->out (refs_materialize); at
 * the end of the read they are written (refs_flush), what the socket does
 * not take is copied. So no reference survives the read, nor reaches
 * another thread. */
#define REF_CMD_FLAGS (SRV_CMD_READONLY | SRV_CMD_FAST)
#define REF_MIN 2048
#define REF_MAX 128 /* refs per client: 2 * REF_MAX + 1 iovecs */

struct srv_outref {
    size_t off;      /* position in c->out the value's bytes go before */
    hp_obj_t *obj;   /* strong reference */
    const char *ptr; /* obj's bytes */
    size_t len;
};

static srv_client_t *ref_client; /* whose read runs now, or NULL */
static int refs_open;            /* 1 while a read-only command of it runs */

/* Nesting of call() (EXEC runs its queue inside its own call) and the
 * error count when the innermost call started or last ended, so each
 * command counts only its own failed replies (Redis's prev_err_count). */
static int call_depth;
static uint64_t err_mark;

/* ---------------------------------------------------------------------
 * Small helpers
 * ------------------------------------------------------------------ */

/* True when the server has a password and c has not authenticated. */
static inline int auth_needed(const srv_client_t *c)
{
    return srv.cfg.requirepass && srv.cfg.requirepass[0] &&
           !(c->flags & SRV_CLIENT_AUTHENTICATED);
}

/* The parser limits c should have now (configured sizes, and Redis's
 * tighter caps before authentication), into *l. */
static void client_limits(srv_client_t *c, resp_limits_t *l)
{
    c->limits_unauth = auth_needed(c);
    if (c->limits_unauth)
        resp_limits_unauthenticated(l);
    else
        resp_limits_default(l);
    if (srv.cfg.proto_max_bulk_len > 0)
        l->max_bulk_len = srv.cfg.proto_max_bulk_len;
    if (srv.cfg.client_query_buffer_limit > 0)
        l->max_query_buf = (size_t)srv.cfg.client_query_buffer_limit;
}

/* Apply the limits c should have now (see server.h). */
void srv_client_apply_limits(srv_client_t *c)
{
    resp_limits_t l;

    client_limits(c, &l);
    if (c->io)
        srv_io_set_limits(c, &l);
    else
        resp_parser_set_limits(&c->parser, &l);
}

/* Release b's memory when it grew past OUT_KEEP_MAX, else just empty it. */
static void buf_recycle(resp_buf_t *b)
{
    int proto = b->proto;

    if (b->cap > OUT_KEEP_MAX) {
        resp_buf_fini(b);
        resp_buf_init(b, proto);
    } else {
        resp_buf_reset(b);
        b->oom = 0;
    }
}

/* Give back the memory of b, empty and not being written, if it has any. */
static void buf_release_idle(resp_buf_t *b)
{
    int proto = b->proto;

    if (b->len == 0 && b->cap > 0) {
        resp_buf_fini(b);
        resp_buf_init(b, proto);
    }
}

/* Exchange the storage of c->out and c->wbuf, each keeping its protocol
 * version. */
static void buf_swap(srv_client_t *c)
{
    resp_buf_t t = c->out;
    int out_proto = c->out.proto, w_proto = c->wbuf.proto;

    c->out = c->wbuf;
    c->wbuf = t;
    c->out.proto = out_proto;
    c->wbuf.proto = w_proto;
}

/* Drop c's references (the reply bytes they stood for are gone or were
 * copied). */
static void refs_release(srv_client_t *c)
{
    for (uint32_t i = 0; i < c->nrefs; i++)
        hp_decref(c->refs[i].obj);
    c->nrefs = 0;
    c->refs_bytes = 0;
}

/* Append to nb the bytes of c's output stream (c->out with the refs'
 * bytes in their places) from stream position skip on. Returns 0 or
 * -ENOMEM. */
static int refs_copy_stream(const srv_client_t *c, resp_buf_t *nb,
                            size_t skip)
{
    size_t pos = 0, at = 0; /* stream position, c->out offset */
    int rc = 0;

    for (uint32_t i = 0; i <= c->nrefs && rc == 0; i++) {
        const struct srv_outref *r = i < c->nrefs ? &c->refs[i] : NULL;
        size_t end = r ? r->off : c->out.len;
        const char *seg[2] = {c->out.data + at, r ? r->ptr : NULL};
        size_t seglen[2] = {end - at, r ? r->len : 0};

        for (int k = 0; k < 2 && rc == 0; k++) {
            size_t from = skip > pos ? skip - pos : 0;

            if (from < seglen[k])
                rc = resp_buf_append(nb, seg[k] + from, seglen[k] - from);
            pos += seglen[k];
        }
        at = end;
    }
    return rc;
}

/* Replace c->out by the bytes of c's output stream from position skip
 * on, copied, and drop the refs. On OOM c->out is flagged oom (the
 * client is closed as for any reply that could not be built). */
static void refs_materialize(srv_client_t *c, size_t skip)
{
    resp_buf_t nb;

    if (c->nrefs == 0) {
        resp_buf_consume(&c->out, skip);
        return;
    }
    resp_buf_init(&nb, c->out.proto);
    if (refs_copy_stream(c, &nb, skip) < 0)
        nb.oom = 1;
    nb.oom |= c->out.oom;
    refs_release(c);
    resp_buf_fini(&c->out);
    c->out = nb;
}

/* Write c's output stream with one writev (uv_try_write of the pieces)
 * and keep what the socket did not take in c->out, copied; the refs are
 * gone after. A failed write marks c CLOSE_ASAP. Returns 1 when the
 * socket took every byte, else 0. */
static int refs_flush(srv_client_t *c)
{
    uv_buf_t bufs[2 * REF_MAX + 1];
    unsigned int nb = 0;
    size_t at = 0, total = c->out.len + c->refs_bytes;
    int n;

    if ((c->flags & (SRV_CLIENT_WRITING | SRV_CLIENT_CLOSE_ASAP |
                     SRV_CLIENT_CLOSING)) || c->out.oom) {
        refs_materialize(c, 0);
        return 0;
    }
    for (uint32_t i = 0; i < c->nrefs; i++) {
        const struct srv_outref *r = &c->refs[i];

        if (r->off > at)
            bufs[nb++] = uv_buf_init(c->out.data + at,
                                     (unsigned int)(r->off - at));
        bufs[nb++] = uv_buf_init((char *)r->ptr, (unsigned int)r->len);
        at = r->off;
    }
    if (c->out.len > at)
        bufs[nb++] = uv_buf_init(c->out.data + at,
                                 (unsigned int)(c->out.len - at));
    n = uv_try_write(&c->conn.stream, bufs, nb);
    if (n < 0 && n != UV_EAGAIN)
        c->flags |= SRV_CLIENT_CLOSE_ASAP;
    if (n < 0)
        n = 0;
    srv.stats.net_output_bytes += (uint64_t)n;
    if ((size_t)n == total) {
        refs_release(c);
        buf_recycle(&c->out);
        return 1;
    }
    refs_materialize(c, (size_t)n);
    return 0;
}

/* Copy the running read's referenced replies into its output buffer
 * (see server.h). */
void srv_client_refs_settle(void)
{
    if (ref_client && ref_client->nrefs)
        refs_materialize(ref_client, 0);
}

/* Reply by reference (see server.h and REF_MIN above). */
int srv_client_reply_ref(srv_client_t *c, resp_buf_t *b, hp_obj_t *o,
                         const char *s, size_t len)
{
    char hdr[32];
    size_t hlen;

    if (len < REF_MIN || c != ref_client || !refs_open ||
        b != &c->out || c->nrefs == REF_MAX || b->oom ||
        len > UINT_MAX || (c->flags & SRV_CLIENT_WRITING))
        return -1;
    if (c->nrefs == c->refs_cap) {
        uint32_t cap = c->refs_cap ? c->refs_cap * 2 : 16;
        struct srv_outref *r = hp_realloc(c->refs, cap * sizeof(*r));

        if (!r)
            return -1;
        c->refs = r;
        c->refs_cap = cap;
    }
    hdr[0] = '$';
    hlen = 1 + resp_ll2str(hdr + 1, (int64_t)len);
    hdr[hlen++] = '\r';
    hdr[hlen++] = '\n';
    if (resp_buf_append(b, hdr, hlen) < 0)
        return 0; /* b->oom: the client is closed, nothing more to do */
    hp_incref(o);
    c->refs[c->nrefs++] = (struct srv_outref){b->len, o, s, len};
    c->refs_bytes += len;
    resp_buf_append(b, "\r\n", 2);
    return 0;
}

/* Move refs behind a deferred header (see server.h). */
void srv_client_refs_shift(srv_client_t *c, size_t from, size_t delta)
{
    for (uint32_t i = 0; i < c->nrefs; i++)
        if (c->refs[i].off >= from)
            c->refs[i].off += delta;
}

/* Remove c from the pending-write list if it is on it. */
static void pending_remove(srv_client_t *c)
{
    srv_client_t **pp = &srv.pending_write;

    if (!c->pending_write)
        return;
    while (*pp && *pp != c)
        pp = &(*pp)->pending_next;
    if (*pp)
        *pp = c->pending_next;
    c->pending_next = NULL;
    c->pending_write = 0;
}

/* Remove c from the MONITOR array (a libc array owned by cmd_monitor). */
static void monitor_remove(srv_client_t *c)
{
    for (size_t i = 0; i < srv.nmonitors; i++) {
        if (srv.monitors[i] == c) {
            memmove(&srv.monitors[i], &srv.monitors[i + 1],
                    (srv.nmonitors - i - 1) * sizeof(srv.monitors[0]));
            srv.nmonitors--;
            break;
        }
    }
    if (srv.nmonitors == 0) {
        free(srv.monitors);
        srv.monitors = NULL;
    }
}

/* ---------------------------------------------------------------------
 * Clients held by CLIENT PAUSE
 * ------------------------------------------------------------------ */

/* Append c to the clients held by the pause. */
static void paused_add(srv_client_t *c)
{
    c->flags |= SRV_CLIENT_PAUSED;
    c->paused_next = NULL;
    c->paused_prev = paused_tail;
    if (paused_tail)
        paused_tail->paused_next = c;
    else
        paused_head = c;
    paused_tail = c;
    npaused++;
}

/* Take c out of the clients held by the pause. */
static void paused_remove(srv_client_t *c)
{
    if (c->paused_prev)
        c->paused_prev->paused_next = c->paused_next;
    else
        paused_head = c->paused_next;
    if (c->paused_next)
        c->paused_next->paused_prev = c->paused_prev;
    else
        paused_tail = c->paused_prev;
    c->paused_prev = c->paused_next = NULL;
    c->flags &= ~SRV_CLIENT_PAUSED;
    npaused--;
}

/* ---------------------------------------------------------------------
 * Freeing
 * ------------------------------------------------------------------ */

/* Free the batches c has not run (threaded clients). */
static void batches_free(srv_client_t *c)
{
    while (c->batch_head) {
        srv_batch_t *b = c->batch_head;

        c->batch_head = b->next;
        srv_batch_free(b);
    }
    c->batch_tail = NULL;
    c->batch_bytes = 0;
    c->batch_wire = 0;
}

/* Release everything c owns, then c. */
static void client_release(srv_client_t *c)
{
    batches_free(c);
    resp_parser_fini(&c->parser);
    resp_buf_fini(&c->out);
    resp_buf_fini(&c->wbuf);
    refs_release(c);
    hp_free(c->refs);
    hp_free(c->name);
    hp_free(c->lib_name);
    hp_free(c->lib_ver);
    hp_free(c->paused_argv);
    hp_free(c);
}

/* uv_close callback of a client's socket on the executor's loop. */
static void on_close(uv_handle_t *h)
{
    client_release(h->data);
}

/* uv_close callback of the executor's handle of a connection passed to
 * an I/O thread: the handle was only a husk. */
static void on_husk_close(uv_handle_t *h)
{
    hp_free(h);
}

/* uv_close callback of a husk whose client was refused. */
static void on_husk_close_client(uv_handle_t *h)
{
    client_release(h->data);
    hp_free(h);
}

/* The last step of freeing a threaded client: once its thread has closed
 * the socket (GONE), both halves go; before that, ask for the close
 * (graceful when c leaves after its reply) and wait for GONE. */
static void client_free_threaded(srv_client_t *c)
{
    if (c->flags & SRV_CLIENT_IO_GONE) {
        srv_io_release(c);
        client_release(c);
        return;
    }
    batches_free(c);
    srv_io_close(c, (c->flags & SRV_CLIENT_CLOSE_AFTER_REPLY) &&
                        !(c->flags & SRV_CLIENT_CLOSE_ASAP));
}

/* Close c now: unlink it everywhere and close its socket; the memory goes
 * in on_close. A client running a command is only flagged CLOSE_ASAP. */
void srv_client_free(srv_client_t *c)
{
    if (c->flags & SRV_CLIENT_CLOSING)
        return;
    if (c == srv.current_client) {
        c->flags |= SRV_CLIENT_CLOSE_ASAP;
        srv_client_schedule_write(c);
        return;
    }
    c->flags |= SRV_CLIENT_CLOSING;
    refs_release(c);
    srv_multi_client_free(c);
    srv_pubsub_client_free(c);
    srv_blocked_client_free(c);
    if (c->prev)
        c->prev->next = c->next;
    else
        srv.clients = c->next;
    if (c->next)
        c->next->prev = c->prev;
    else
        srv.clients_tail = c->prev;
    srv.nclients--;
    pending_remove(c);
    if (c->flags & SRV_CLIENT_MONITOR)
        monitor_remove(c);
    if (c->flags & SRV_CLIENT_PAUSED)
        paused_remove(c);
    if (c->io)
        client_free_threaded(c);
    else
        uv_close(&c->conn.handle, on_close);
}

/* Close c once its output is written (CLOSE_AFTER_REPLY set by the caller)
 * or else as soon as possible; never frees c inside the call. */
void srv_client_close_async(srv_client_t *c)
{
    if (!(c->flags & SRV_CLIENT_CLOSE_AFTER_REPLY))
        c->flags |= SRV_CLIENT_CLOSE_ASAP;
    if (!(c->flags & SRV_CLIENT_CLOSING) && !c->io)
        uv_read_stop(&c->conn.stream);
    srv_client_schedule_write(c);
}

/* Queue c to have its output flushed before the loop sleeps. */
void srv_client_schedule_write(srv_client_t *c)
{
    if (c->pending_write || (c->flags & SRV_CLIENT_CLOSING))
        return;
    c->pending_write = 1;
    c->pending_next = srv.pending_write;
    srv.pending_write = c;
}

/* ---------------------------------------------------------------------
 * Output buffer limits
 * ------------------------------------------------------------------ */

/* Output bytes not yet taken by the socket (see server.h). */
size_t srv_client_pending_out(const srv_client_t *c)
{
    size_t n = c->out.len + c->refs_bytes;

    if (c->io)
        return n + srv_io_unwritten(c);
    if (c->flags & SRV_CLIENT_WRITING)
        n += c->conn.stream.write_queue_size;
    return n;
}

/* The client-output-buffer-limit class of c (replicas do not exist). */
static int client_class(const srv_client_t *c)
{
    return (c->flags & SRV_CLIENT_PUBSUB) ? SRV_CLIENT_CLASS_PUBSUB
                                          : SRV_CLIENT_CLASS_NORMAL;
}

/* True when c's pending output breaks its class's limits now: past the
 * hard limit, or past the soft limit continuously for more than
 * soft-seconds (the start of the excess is remembered in c). */
static int obuf_over_limit(srv_client_t *c, const srv_obuf_limit_t *l)
{
    size_t used = srv_client_pending_out(c);

    if (l->hard > 0 && used >= (size_t)l->hard)
        return 1;
    if (l->soft <= 0 || used < (size_t)l->soft) {
        c->obuf_soft_since_ms = 0;
        return 0;
    }
    if (c->obuf_soft_since_ms == 0) {
        c->obuf_soft_since_ms = srv.mstime_cache;
        return 0;
    }
    return srv.mstime_cache - c->obuf_soft_since_ms >
           l->soft_seconds * 1000;
}

/* Enforce the output limits on c (see server.h): close asynchronously,
 * as Redis, with its log line. 1 when c is closing. */
int srv_client_check_obuf(srv_client_t *c)
{
    const srv_obuf_limit_t *l = &srv.cfg.obuf_limits[client_class(c)];
    char info[1024];

    if (c->flags & (SRV_CLIENT_CLOSE_ASAP | SRV_CLIENT_CLOSING))
        return 1;
    if (l->hard <= 0 && l->soft <= 0) {
        c->obuf_soft_since_ms = 0;
        return 0;
    }
    if (!obuf_over_limit(c, l))
        return 0;
    srv_client_info_line(c, info, sizeof(info));
    srv_client_close_async(c);
    srv.stats.client_outbuf_limit_disconnections++;
    srv_log(SRV_LOG_WARNING, "Client %s scheduled to be closed ASAP for "
                             "overcoming of output buffer limits.",
            info);
    return 1;
}

/* ---------------------------------------------------------------------
 * Writing
 * ------------------------------------------------------------------ */

/* uv_write callback for the bytes in c->wbuf. */
static void on_write(uv_write_t *req, int status)
{
    srv_client_t *c = req->data;

    if (status == UV_ECANCELED || (c->flags & SRV_CLIENT_CLOSING))
        return;
    c->flags &= ~SRV_CLIENT_WRITING;
    if (status < 0) {
        srv_log(SRV_LOG_VERBOSE, "Error writing to client: %s",
                uv_strerror(status));
        srv_client_free(c);
        return;
    }
    srv.stats.net_output_bytes += c->wbuf.len - c->out_sent;
    c->out_sent = 0;
    buf_recycle(&c->wbuf);
    if (c->out.len > 0 || (c->flags & (SRV_CLIENT_CLOSE_AFTER_REPLY |
                                       SRV_CLIENT_CLOSE_ASAP)))
        srv_client_schedule_write(c);
}

/* A threaded client's output: hand c->out and the acknowledgements of
 * the batches run to its thread. Frees c on OOM (-1). */
static int client_write_threaded(srv_client_t *c)
{
    if (c->out.len == 0 && c->ack_batches == 0)
        return 0;
    if (c->out.oom || srv_io_send_out(c) < 0) {
        srv_log(SRV_LOG_WARNING, "Out of memory building a reply for "
                                 "client id=%llu, closing it",
                (unsigned long long)c->id);
        c->flags |= SRV_CLIENT_CLOSE_ASAP;
        srv_client_free(c);
        return -1;
    }
    return 0;
}

/* Write what c->out holds: one uv_try_write, the rest through uv_write
 * from c->wbuf. Frees c on a write error. Returns -1 when c was freed. */
static int client_write(srv_client_t *c)
{
    uv_buf_t b;
    int n;

    if (c->io)
        return client_write_threaded(c);
    if ((c->flags & SRV_CLIENT_WRITING) || c->out.len == 0)
        return 0;
    if (c->out.oom) {
        srv_log(SRV_LOG_WARNING, "Out of memory building a reply for "
                                 "client id=%llu, closing it",
                (unsigned long long)c->id);
        srv_client_free(c);
        return -1;
    }
    b = uv_buf_init(c->out.data, (unsigned int)c->out.len);
    n = uv_try_write(&c->conn.stream, &b, 1);
    if (n < 0 && n != UV_EAGAIN) {
        srv_client_free(c);
        return -1;
    }
    if (n < 0)
        n = 0;
    srv.stats.net_output_bytes += (uint64_t)n;
    if ((size_t)n == c->out.len) {
        buf_recycle(&c->out);
        return 0;
    }
    buf_swap(c);
    c->out_sent = (size_t)n;
    b = uv_buf_init(c->wbuf.data + n, (unsigned int)(c->wbuf.len - n));
    c->write_req.data = c;
    if (uv_write(&c->write_req, &c->conn.stream, &b, 1, on_write) < 0) {
        srv_client_free(c);
        return -1;
    }
    c->flags |= SRV_CLIENT_WRITING;
    return 0;
}

/* Mid-batch write of c->out once it holds OUT_EARLY bytes (see there),
 * when no write is in flight so the bytes stay in order. What the socket
 * does not take stays in c->out for the usual write before the loop
 * sleeps. A failed write marks c CLOSE_ASAP (freed before the loop
 * sleeps; c stays valid for the caller). Returns 1 when the socket took
 * every byte, 0 when it is full (no use trying again in this batch). */
static int client_write_early(srv_client_t *c)
{
    uv_buf_t b;
    int n;

    if ((c->flags & (SRV_CLIENT_WRITING | SRV_CLIENT_CLOSE_ASAP |
                     SRV_CLIENT_CLOSING)) || c->out.oom)
        return 0;
    b = uv_buf_init(c->out.data, (unsigned int)c->out.len);
    n = uv_try_write(&c->conn.stream, &b, 1);
    if (n == UV_EAGAIN)
        return 0;
    if (n < 0) {
        c->flags |= SRV_CLIENT_CLOSE_ASAP;
        return 0;
    }
    srv.stats.net_output_bytes += (uint64_t)n;
    resp_buf_consume(&c->out, (size_t)n);
    return c->out.len == 0;
}

/* Flush one queued client and close it if it is marked to close. */
static void client_flush(srv_client_t *c)
{
    if (c->flags & SRV_CLIENT_CLOSE_ASAP) {
        srv_client_free(c);
        return;
    }
    if (client_write(c) < 0)
        return;
    if ((c->flags & SRV_CLIENT_CLOSE_AFTER_REPLY) &&
        !(c->flags & SRV_CLIENT_WRITING) && c->out.len == 0)
        srv_client_free(c);
}

/* ---------------------------------------------------------------------
 * Dispatch
 * ------------------------------------------------------------------ */

/* ERR unknown command '<name>', with args beginning with: '<a>' ... as
 * Redis 7.0 words it (arguments listed while the list is under 128
 * bytes, each cut to what room is left, C-string semantics), into msg. */
static void format_unknown_command(const srv_client_t *c, char *msg,
                                   size_t size)
{
    char name[129], args[512];
    size_t alen = 0;
    const resp_slice_t *a0 = &c->argv[0];
    size_t nlen = a0->len < 128 ? a0->len : 128;
    const char *nul = memchr(a0->ptr, '\0', nlen);

    if (nul)
        nlen = (size_t)(nul - a0->ptr);
    memcpy(name, a0->ptr, nlen);
    name[nlen] = '\0';
    args[0] = '\0';
    for (int i = 1; i < c->argc && alen < 128; i++) {
        const resp_slice_t *a = &c->argv[i];
        size_t room = 128 - alen, n = a->len < room ? a->len : room;
        const char *z = memchr(a->ptr, '\0', n);

        if (z)
            n = (size_t)(z - a->ptr);
        args[alen++] = '\'';
        memcpy(args + alen, a->ptr, n);
        alen += n;
        args[alen++] = '\'';
        args[alen++] = ' ';
        args[alen] = '\0';
    }
    snprintf(msg, size, "ERR unknown command '%s', with args beginning "
                        "with: %s", name, args);
}

/* True for the commands a client in MULTI runs at once instead of
 * queueing them (Redis 7.0's list). */
static int multi_runs_now(const srv_command_t *cmd)
{
    return cmd->proc == cmd_exec || cmd->proc == cmd_discard ||
           cmd->proc == cmd_multi || cmd->proc == cmd_watch ||
           cmd->proc == cmd_quit || cmd->proc == cmd_reset;
}

/* Refuse c's command with msg as Redis's rejectCommand: count it on cmd
 * (NULL: unknown), flag an open transaction, and for EXEC abort the
 * transaction with EXECABORT instead. */
static void reject(srv_client_t *c, srv_command_t *cmd, const char *msg)
{
    if (c->flags & SRV_CLIENT_MULTI)
        srv_multi_flag_error(c);
    if (cmd)
        cmd->rejected_calls++;
    if (cmd && cmd->proc == cmd_exec)
        srv_multi_exec_abort(c, msg);
    else
        srv_reply_error(c, msg);
}

/* The flags deciding how dispatch treats cmd for c: an EXEC also carries
 * the flags of the commands it queued (write, denyoom). */
static uint32_t effective_flags(const srv_client_t *c,
                                const srv_command_t *cmd)
{
    if (cmd->proc == cmd_exec)
        return cmd->flags | srv_multi_flags(c);
    return cmd->flags;
}

/* With maxmemory set, evict first (evict.c, as Redis's processCommand);
 * then true when maxmemory refuses cmd for c because memory is still
 * over it: denyoom commands (and an EXEC queuing one), and inside MULTI
 * every command but EXEC, DISCARD and QUIT, as Redis 7.0. */
static int oom_rejects(const srv_client_t *c, const srv_command_t *cmd)
{
    int deny;

    if (srv.cfg.maxmemory <= 0)
        return 0;
    if (!srv_evict_if_needed())
        return 0;
    deny = (effective_flags(c, cmd) & SRV_CMD_DENYOOM) != 0;
    if ((c->flags & SRV_CLIENT_MULTI) && cmd->proc != cmd_exec &&
        cmd->proc != cmd_discard && cmd->proc != cmd_quit)
        deny = 1;
    return deny;
}

/* True when CLIENT PAUSE holds c's command cmd back right now. */
static int pause_holds(const srv_client_t *c, const srv_command_t *cmd)
{
    if (srv.clients_paused_until_ms == 0 ||
        srv.clients_paused_until_ms <= srv.mstime_cache)
        return 0;
    if (!srv.clients_pause_write_only)
        return 1;
    return (effective_flags(c, cmd) &
            (SRV_CMD_WRITE | SRV_CMD_MAY_REPLICATE)) != 0;
}

/* Keep a copy of c's current command until the pause ends (Redis's
 * BLOCKED_POSTPONE). c goes on reading, as in Redis: what it sends
 * meanwhile runs right after the held command, before clients held
 * later. On OOM the client is closed. */
static void client_postpone(srv_client_t *c)
{
    size_t bytes = (size_t)c->argc * sizeof(resp_slice_t);
    resp_slice_t *copy;
    char *p;

    for (int i = 0; i < c->argc; i++)
        bytes += c->argv[i].len;
    copy = hp_malloc(bytes ? bytes : 1);
    if (!copy) {
        srv_client_close_async(c);
        return;
    }
    p = (char *)(copy + c->argc);
    for (int i = 0; i < c->argc; i++) {
        memcpy(p, c->argv[i].ptr, c->argv[i].len);
        copy[i].ptr = p;
        copy[i].len = c->argv[i].len;
        p += c->argv[i].len;
    }
    c->paused_argv = copy;
    c->paused_argc = c->argc;
    paused_add(c);
}

/* Run cmd's handler with statistics, slowlog, latency and MONITOR, as
 * Redis's call(). Nested calls (EXEC's queue) keep the command time of
 * the outer one, as Redis fixes it for a whole transaction. */
static void call(srv_client_t *c, srv_command_t *cmd)
{
    srv_client_t *outer = srv.current_client;
    int64_t start = clock_valid ? clock_us : srv_clock_us(), dur;
    /* Only these leave every value, and its reference count, alone. */
    int keeps_refs = (cmd->flags & REF_CMD_FLAGS) == REF_CMD_FLAGS;
    int blocked;

    if (call_depth == 0) {
        srv.mstime_cache = start / 1000;
        /* names of weakly referenced objects whose TTL passed (db.c) */
        if (srv.mstime_cache > srv_db_weak_due_ms)
            srv_db_weak_expire_due();
    }
    if (!keeps_refs && ref_client && ref_client->nrefs)
        refs_materialize(ref_client, 0);
    call_depth++;
    err_mark = srv.stats.total_error_replies;
    srv.current_client = c;
    refs_open = c == ref_client && keeps_refs;
    cmd->proc(c);
    refs_open = 0;
    srv.current_client = outer;
    call_depth--;
#ifdef GC_DEBUG
    if (call_depth == 0) srv_gc_debug_check("a command");
#endif
    clock_us = srv_clock_us();
    dur = clock_us - start;
    if (dur < 0)
        dur = 0;
    /* A command that blocked is counted when it is served (blocked.c). */
    blocked = (c->flags & SRV_CLIENT_BLOCKED) != 0;
    if (!blocked) {
        cmd->calls++;
        cmd->usec += (uint64_t)dur;
        srv_latency_hist_record(cmd, dur);
    }
    if (err_mark != srv.stats.total_error_replies)
        cmd->failed_calls++;
    err_mark = srv.stats.total_error_replies;
    srv.stats.total_commands_processed++;
    c->commands_processed++;
    if (!blocked && !(cmd->flags & SRV_CMD_SKIP_SLOWLOG) &&
        srv.cfg.slowlog_log_slower_than >= 0 &&
        dur >= srv.cfg.slowlog_log_slower_than)
        srv_slowlog_push(c, c->argc, c->argv, dur);
    if (srv.cfg.latency_monitor_threshold > 0 &&
        dur / 1000 >= srv.cfg.latency_monitor_threshold)
        srv_latency_add((cmd->flags & SRV_CMD_FAST) ? "fast-command"
                                                    : "command",
                        dur / 1000);
    if (srv.nmonitors && !(cmd->flags & (SRV_CMD_ADMIN |
                                         SRV_CMD_SKIP_MONITOR)))
        srv_monitor_feed(c);
    srv_client_check_obuf(c);
}

/* Run cmd for c with argv already set (see server.h). */
void srv_client_call(srv_client_t *c, srv_command_t *cmd)
{
    call(c, cmd);
}

/* Dispatch one parsed command (see server.h): lookup, subcommand, arity,
 * auth, OOM, pause, then call(); finally CLIENT REPLY SKIP bookkeeping. */
void srv_client_execute(srv_client_t *c, const resp_cmd_t *rc)
{
    srv_command_t *cmd, *sub;
    char msg[768];

    if (rc->argc <= 0)
        return;
    c->argc = rc->argc;
    c->argv = rc->argv;
    cmd = srv_command_lookup(rc->argv[0].ptr, rc->argv[0].len);
    c->cmd = c->lastcmd = cmd;
    if (!cmd) {
        format_unknown_command(c, msg, sizeof(msg));
        reject(c, NULL, msg);
        goto done;
    }
    if (cmd->subcommands && rc->argc >= 2) {
        sub = srv_command_lookup_sub(cmd, rc->argv[1].ptr, rc->argv[1].len);
        if (sub) {
            c->cmd = c->lastcmd = cmd = sub;
        } else if (c->flags & SRV_CLIENT_MULTI) {
            /* Redis refuses it at lookup time, so it flags MULTI. */
            srv_reply_unknown_subcommand(c);
            srv_multi_flag_error(c);
            goto done;
        }
    }
    if ((cmd->arity > 0 && cmd->arity != rc->argc) ||
        rc->argc < -cmd->arity) {
        snprintf(msg, sizeof(msg), "ERR wrong number of arguments for '%s' "
                                   "command", cmd->name);
        reject(c, cmd, msg);
        goto done;
    }
    if (auth_needed(c) && !(cmd->flags & SRV_CMD_NO_AUTH)) {
        reject(c, cmd, "NOAUTH Authentication required.");
        goto done;
    }
    if ((c->flags & SRV_CLIENT_MULTI) && (cmd->flags & SRV_CMD_NO_MULTI)) {
        reject(c, cmd, "ERR Command not allowed inside a transaction");
        goto done;
    }
    if (oom_rejects(c, cmd)) {
        reject(c, cmd, "OOM command not allowed when used memory > "
                       "'maxmemory'.");
        goto done;
    }
    /* MONITOR makes a client a replica for Redis, which may not touch
     * the keyspace (nor replicate) from then on. */
    if ((c->flags & SRV_CLIENT_MONITOR) &&
        (cmd->flags & (SRV_CMD_WRITE | SRV_CMD_READONLY |
                       SRV_CMD_MAY_REPLICATE))) {
        reject(c, cmd, "ERR Replica can't interact with the keyspace");
        goto done;
    }
    if (srv_pubsub_denies(c, cmd, msg, sizeof(msg))) {
        reject(c, cmd, msg);
        goto done;
    }
    if (pause_holds(c, cmd)) {
        client_postpone(c);
        return;
    }
    if ((c->flags & SRV_CLIENT_MULTI) && !multi_runs_now(cmd)) {
        srv_multi_queue(c, cmd);
        goto done;
    }
    call(c, cmd);
    srv_blocked_handle_ready();
    if (c->limits_unauth && !auth_needed(c))
        srv_client_apply_limits(c);
done:
    if (c->reply_mode == SRV_REPLY_SKIP)
        c->reply_mode = SRV_REPLY_ON;
    else if (c->reply_mode == SRV_REPLY_SKIP_NEXT)
        c->reply_mode = SRV_REPLY_SKIP;
    c->cmd = NULL;
    c->argc = 0;
    c->argv = NULL;
}

/* ---------------------------------------------------------------------
 * Reading
 * ------------------------------------------------------------------ */

/* A protocol error (rc, and err its text or NULL): reply it, log it,
 * close c after the reply (only c). */
static void client_protocol_error(srv_client_t *c, int rc, const char *err)
{
    if (rc == RESP_ERR_NOMEM || !err) {
        srv_log(SRV_LOG_WARNING, "Out of memory reading from client "
                                 "id=%llu, closing it",
                (unsigned long long)c->id);
        srv_client_close_async(c);
        return;
    }
    if (strstr(err, "query buffer limit")) {
        srv_log(SRV_LOG_WARNING, "Closing client that reached max query "
                                 "buffer length: id=%llu addr=%s",
                (unsigned long long)c->id, c->addr);
        srv.stats.client_qbuf_limit_disconnections++;
        srv_client_close_async(c);
        return;
    }
    srv_log(SRV_LOG_VERBOSE, "Protocol error (%s) from client: id=%llu "
                             "addr=%s",
            err, (unsigned long long)c->id, c->addr);
    srv_reply_errorf(c, "ERR %s", err);
    c->flags |= SRV_CLIENT_CLOSE_AFTER_REPLY;
    srv_client_close_async(c);
}

/* What stops a client's input from running. */
#define INPUT_STOP (SRV_CLIENT_CLOSE_AFTER_REPLY | SRV_CLIENT_CLOSE_ASAP | \
                    SRV_CLIENT_CLOSING | SRV_CLIENT_PAUSED |              \
                    SRV_CLIENT_BLOCKED)

/* ---------------------------------------------------------------------
 * Prefetching: before a run of pipelined commands, the keyspace memory
 * their first keys need is prefetched for all of them at once
 * (srv_db_prefetch), so their cache misses overlap. Read-only: what runs,
 * and how, does not change.
 * ------------------------------------------------------------------ */

/* Arguments of a command resp_parser_peek keeps (the first key of every
 * command that prefetching serves is among them). */
#define PEEK_ARGS 4

/* Store in *key the first key of the command argv[0..argc) (n of its
 * arguments present) as the command table gives it. 1, or 0 when it has
 * none (unknown, a container of subcommands, no key, key not present). */
static int first_key_of(const resp_slice_t *argv, int argc, int n,
                        resp_slice_t *key)
{
    const srv_command_t *cmd = srv_command_lookup(argv[0].ptr, argv[0].len);
    int k;

    if (!cmd || cmd->subcommands)
        return 0;
    k = cmd->first_key;
    if (k <= 0 || k >= argc || k >= n)
        return 0;
    *key = argv[k];
    return 1;
}

/* Whether c's next commands are worth prefetching for: not those of a
 * client that must authenticate first or is queueing a transaction. */
static int prefetch_fits(const srv_client_t *c)
{
    return !auth_needed(c) && !(c->flags & SRV_CLIENT_MULTI);
}

/* Prefetch for the parsed commands b->cmds[b->pos ..] (up to
 * SRV_PREFETCH_MAX of them). Returns how many the window covers (>= 1,
 * b->pos < b->ncmds); a lone command gets no prefetch. */
static int prefetch_batch(const srv_client_t *c, const srv_batch_t *b)
{
    resp_slice_t keys[SRV_PREFETCH_MAX];
    int n = b->ncmds - b->pos, nkeys = 0;

    if (n > SRV_PREFETCH_MAX)
        n = SRV_PREFETCH_MAX;
    if (n < 2 || !prefetch_fits(c))
        return n;
    for (int i = 0; i < n; i++) {
        const srv_batch_cmd_t *bc = &b->cmds[b->pos + i];

        if (bc->argc > 0 &&
            first_key_of(bc->argv, bc->argc, bc->argc, &keys[nkeys]))
            nkeys++;
    }
    srv_db_prefetch(c->db, keys, nkeys);
    return n;
}

/* Prefetch for the complete commands buffered in c's parser after the
 * one just run (up to SRV_PREFETCH_MAX, seen with resp_parser_peek).
 * Returns how many the window covers (>= 1: with none to see, the next
 * command is looked at again after it ran); fewer than 2 get no
 * prefetch. */
static int prefetch_buffered(const srv_client_t *c)
{
    resp_slice_t keys[SRV_PREFETCH_MAX], argv[PEEK_ARGS];
    size_t off = 0;
    int n = 0, nkeys = 0, argc;

    if (!prefetch_fits(c))
        return 1;
    while (n < SRV_PREFETCH_MAX &&
           (argc = resp_parser_peek(&c->parser, &off, argv, PEEK_ARGS)) > 0) {
        n++;
        if (first_key_of(argv, argc, argc < PEEK_ARGS ? argc : PEEK_ARGS,
                         &keys[nkeys]))
            nkeys++;
    }
    if (n < 2)
        return 1;
    srv_db_prefetch(c->db, keys, nkeys);
    return n;
}

/* The head batch of c is done: free it and count it for the next
 * acknowledgement to the thread (sent with the replies). */
static void batch_done(srv_client_t *c)
{
    srv_batch_t *b = c->batch_head;

    c->batch_head = b->next;
    if (!c->batch_head)
        c->batch_tail = NULL;
    c->batch_bytes -= b->bytes;
    c->batch_wire -= b->wire;
    c->ack_bytes += b->bytes;
    c->ack_batches++;
    srv_batch_free(b);
    srv_client_schedule_write(c);
}

/* Run the commands of c's batches in order, as client_process_input
 * does for the parser (a threaded client). */
static void client_run_batches(srv_client_t *c)
{
    srv_batch_t *b;
    int window = 0; /* commands left that the last prefetch covered */

    while ((b = c->batch_head) != NULL && !(c->flags & INPUT_STOP) &&
           !srv.shutdown_asap) {
        if (b->pos < b->ncmds) {
            const srv_batch_cmd_t *bc;
            resp_cmd_t rc;

            if (window == 0)
                window = prefetch_batch(c, b);
            window--;
            bc = &b->cmds[b->pos++];
            rc = (resp_cmd_t){bc->argc, bc->argv, bc->inline_cmd};

            srv_client_execute(c, &rc);
            /* As client_write_early: hand big output over mid-batch. */
            if (c->out.len >= OUT_EARLY && !c->out.oom &&
                !(c->flags & SRV_CLIENT_CLOSE_ASAP))
                (void)srv_io_send_out(c); /* -ENOMEM: sent later */
            continue;
        }
        if (b->error_rc)
            client_protocol_error(c, b->error_rc, b->error);
        batch_done(c);
    }
}

/* Run every complete command buffered for c, stopping when c is to be
 * closed, gets paused, or the server shuts down. */
static void client_process_input(srv_client_t *c)
{
    const uint32_t stop = INPUT_STOP;
    srv_client_t *outer_ref = ref_client;
    resp_cmd_t cmd;
    int rc, early = 1, ran = 0, window = 0;

    if (c->io) {
        client_run_batches(c);
        return;
    }
    if (!outer_ref)
        ref_client = c;
    while (!(c->flags & stop) && !srv.shutdown_asap) {
        /* From the second command on: a single command per read (no
         * pipelining) never pays for a look ahead. */
        if (window == 0 && ran)
            window = prefetch_buffered(c);
        if (window > 0)
            window--;
        rc = resp_parser_next(&c->parser, &cmd);
        if (rc == 0)
            break;
        if (rc < 0) {
            client_protocol_error(c, rc, resp_parser_error(&c->parser));
            break;
        }
        srv_client_execute(c, &cmd);
        ran = 1;
        if (early && c->out.len + c->refs_bytes >= OUT_EARLY)
            early = c->nrefs ? refs_flush(c) : client_write_early(c);
    }
    if (c->nrefs)
        (void)refs_flush(c);
    ref_client = outer_ref;
}

/* libuv alloc callback: read straight into the parser's buffer. */
static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    srv_client_t *c = h->data;
    size_t avail = 0;
    char *p = resp_parser_reserve(&c->parser, READ_CHUNK, &avail);

    (void)suggested;

    buf->base = p;
    buf->len = p ? avail : 0;
}

/* The query buffer outgrew client-query-buffer-limit: log and close. */
static int client_qbuf_check(srv_client_t *c)
{
    size_t pending = resp_parser_pending(&c->parser);

    if (srv.cfg.client_query_buffer_limit <= 0 ||
        pending <= (size_t)srv.cfg.client_query_buffer_limit)
        return 0;
    srv_log(SRV_LOG_WARNING, "Closing client that reached max query buffer "
                             "length: id=%llu addr=%s (qbuf=%zu)",
            (unsigned long long)c->id, c->addr, pending);
    srv.stats.client_qbuf_limit_disconnections++;
    srv_client_close_async(c);
    return -1;
}

/* libuv read callback: commit the bytes, run the commands. */
static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    srv_client_t *c = s->data;

    (void)buf;
    if (nread == 0)
        return;
    if (nread < 0) {
        if (nread == UV_ENOBUFS)
            srv_log(SRV_LOG_WARNING, "Out of memory reading from client "
                                     "id=%llu",
                    (unsigned long long)c->id);
        else if (nread == UV_EOF)
            srv_log(SRV_LOG_VERBOSE, "Client closed connection id=%llu "
                                     "addr=%s",
                    (unsigned long long)c->id, c->addr);
        srv_client_free(c);
        return;
    }
    resp_parser_commit(&c->parser, (size_t)nread);
    srv.stats.net_input_bytes += (uint64_t)nread;
    clock_us = srv_clock_us();
    srv.mstime_cache = clock_us / 1000;
    c->last_interaction_ms = srv.mstime_cache;
    if (client_qbuf_check(c) < 0)
        return;
    clock_valid = 1;
    client_process_input(c);
    clock_valid = 0;
    if (c->flags & SRV_CLIENT_CLOSE_ASAP)
        srv_client_free(c);
}

/* A batch of commands arrived from c's I/O thread (see server.h). */
void srv_client_io_batch(srv_client_t *c, srv_batch_t *b)
{
    if (c->flags & SRV_CLIENT_CLOSING) {
        srv_batch_free(b);
        return;
    }
    b->next = NULL;
    if (c->batch_tail)
        c->batch_tail->next = b;
    else
        c->batch_head = b;
    c->batch_tail = b;
    c->batch_bytes += b->bytes;
    c->batch_wire += b->wire;
    clock_us = srv_clock_us();
    srv.mstime_cache = clock_us / 1000;
    c->last_interaction_ms = srv.mstime_cache;
    clock_valid = 1;
    client_process_input(c);
    clock_valid = 0;
    if (c->flags & SRV_CLIENT_CLOSE_ASAP)
        srv_client_free(c);
}

/* c's I/O thread closed its socket (see server.h). */
void srv_client_io_gone(srv_client_t *c)
{
    int closing = (c->flags & SRV_CLIENT_CLOSING) != 0;

    c->flags |= SRV_CLIENT_IO_GONE;
    if (!closing) {
        srv_log(SRV_LOG_VERBOSE, "Client closed connection id=%llu addr=%s",
                (unsigned long long)c->id, c->addr);
        srv_client_free(c);
        return;
    }
    client_free_threaded(c);
}

/* ---------------------------------------------------------------------
 * Accepting
 * ------------------------------------------------------------------ */

/* Fill c->addr / c->laddr ("ip:port", "[ip6]:port", "path:0") and fd. */
static void client_set_addrs(srv_client_t *c, uv_handle_t *h,
                             int unix_socket)
{
    struct sockaddr_storage ss;
    int len;
    uv_os_fd_t fd;

    c->fd = uv_fileno(h, &fd) == 0 ? (int)fd : -1;
    if (unix_socket) {
        snprintf(c->addr, sizeof(c->addr), "%s:0",
                 srv.cfg.unixsocket ? srv.cfg.unixsocket : "");
        memcpy(c->laddr, c->addr, sizeof(c->laddr));
        return;
    }
    len = sizeof(ss);
    if (uv_tcp_getpeername((uv_tcp_t *)h, (struct sockaddr *)&ss, &len) == 0)
        srv_format_addr(c->addr, sizeof(c->addr), (struct sockaddr *)&ss);
    len = sizeof(ss);
    if (uv_tcp_getsockname((uv_tcp_t *)h, (struct sockaddr *)&ss, &len) == 0)
        srv_format_addr(c->laddr, sizeof(c->laddr), (struct sockaddr *)&ss);
}

/* Write msg straight to the socket of a client being refused, then close
 * it (maxclients, protected mode). */
static void client_refuse(srv_client_t *c, uv_handle_t *h, const char *msg)
{
    uv_buf_t b = uv_buf_init((char *)msg, (unsigned int)strlen(msg));

    uv_try_write((uv_stream_t *)h, &b, 1);
    srv.stats.rejected_connections++;
    c->flags |= SRV_CLIENT_CLOSING;
    uv_close(h, h == &c->conn.handle ? on_close : on_husk_close_client);
}

/* Redis's protected-mode text, sent to non-local clients when protected
 * mode is on and no password is set. */
static const char denied_msg[] =
    "-DENIED Redis is running in protected mode because protected mode is "
    "enabled and no password is set for the default user. In this mode "
    "connections are only accepted from the loopback interface. If you "
    "want to connect from external computers to Redis you may adopt one of "
    "the following solutions: 1) Just disable protected mode sending the "
    "command 'CONFIG SET protected-mode no' from the loopback interface by "
    "connecting to Redis from the same host the server is running, however "
    "MAKE SURE Redis is not publicly accessible from internet if you do so. "
    "Use CONFIG REWRITE to make this change permanent. 2) Alternatively "
    "you can just disable the protected mode by editing the Redis "
    "configuration file, and setting the protected mode option to 'no', "
    "and then restarting the server. 3) If you started the server manually "
    "just for testing, restart it with the '--protected-mode no' option. "
    "4) Setup a an authentication password for the default user. NOTE: You "
    "only need to do one of the above things in order for the server to "
    "start accepting connections from the outside.\r\n";

/* True when protected mode refuses c (a non-loopback TCP peer while no
 * password is set), Redis 7.0's rule. */
static int protected_refuses(const srv_client_t *c, int unix_socket)
{
    if (!srv.cfg.protected_mode || unix_socket)
        return 0;
    if (srv.cfg.requirepass && srv.cfg.requirepass[0])
        return 0;
    return !(strncmp(c->addr, "127.", 4) == 0 ||
             strncmp(c->addr, "[::1]:", 6) == 0);
}

/* Set up a freshly accepted client: state and links. */
static void client_setup(srv_client_t *c, int unix_socket)
{
    c->id = ++srv.next_client_id;
    c->resp = 2;
    c->db = &srv.dbs[0];
    resp_buf_init(&c->out, 2);
    resp_buf_init(&c->wbuf, 2);
    resp_parser_init(&c->parser, NULL);
    if (unix_socket)
        c->flags |= SRV_CLIENT_UNIX_SOCKET;
    if (!(srv.cfg.requirepass && srv.cfg.requirepass[0]))
        c->flags |= SRV_CLIENT_AUTHENTICATED;
    srv_client_apply_limits(c);
    c->ctime_ms = c->last_interaction_ms = srv_mstime_now();
    /* Appended: CLIENT LIST shows the oldest first, as Redis. */
    c->prev = srv.clients_tail;
    if (srv.clients_tail)
        srv.clients_tail->next = c;
    else
        srv.clients = c;
    srv.clients_tail = c;
    srv.nclients++;
    srv.stats.total_connections_received++;
}

/* Socket options of a client on the executor's loop, and start reading. */
static void client_start(srv_client_t *c, int unix_socket)
{
    if (!unix_socket) {
        uv_tcp_nodelay(&c->conn.tcp, 1);
        if (srv.cfg.tcp_keepalive > 0)
            uv_tcp_keepalive(&c->conn.tcp, 1,
                             (unsigned int)srv.cfg.tcp_keepalive);
    }
    uv_read_start(&c->conn.stream, on_alloc, on_read);
}

/* Hand the socket of the accepted client c (on the executor's handle h,
 * then closed) to an I/O thread, then set c up. The socket is
 * duplicated because a libuv handle cannot move to another loop. */
static void client_attach_thread(srv_client_t *c, uv_handle_t *h,
                                 int unix_socket)
{
    uv_os_fd_t fd;
    int dupfd = -1;
    resp_limits_t l;

    if (uv_fileno(h, &fd) == 0)
        dupfd = dup(fd);
    uv_close(h, on_husk_close);
    if (dupfd < 0) {
        srv_log(SRV_LOG_WARNING, "Accepting client connection: %s",
                strerror(errno));
        client_release(c);
        return;
    }
    client_setup(c, unix_socket);
    c->fd = dupfd;
    client_limits(c, &l);
    if (srv_io_attach(c, dupfd, unix_socket, &l) < 0) {
        srv_log(SRV_LOG_WARNING, "Out of memory accepting a client");
        close(dupfd);
        c->flags |= SRV_CLIENT_IO_GONE;
        srv_client_free(c);
    }
}

/* Accept one connection from listener (see server.h). With I/O threads
 * the executor accepts on a handle of its own (the husk) and passes the
 * socket on. */
void srv_client_accept(uv_stream_t *listener, int unix_socket)
{
    srv_client_t *c = hp_calloc(1, sizeof(*c));
    int threaded = srv_io_active();
    uv_handle_t *h;
    int rc;

    if (!c) {
        srv_log(SRV_LOG_WARNING, "Out of memory accepting a client");
        return;
    }
    h = threaded ? hp_malloc(sizeof(c->conn)) : &c->conn.handle;
    if (!h) {
        hp_free(c);
        return;
    }
    if (unix_socket)
        rc = uv_pipe_init(srv.loop, (uv_pipe_t *)h, 0);
    else
        rc = uv_tcp_init(srv.loop, (uv_tcp_t *)h);
    if (rc < 0) {
        if (threaded)
            hp_free(h);
        hp_free(c);
        return;
    }
    h->data = c;
    c->fd = -1;
    if (uv_accept(listener, (uv_stream_t *)h) < 0) {
        c->flags |= SRV_CLIENT_CLOSING;
        uv_close(h, threaded ? on_husk_close_client : on_close);
        return;
    }
    client_set_addrs(c, h, unix_socket);
    if (srv.nclients >= (uint64_t)srv.cfg.maxclients) {
        client_refuse(c, h, "-ERR max number of clients reached\r\n");
        return;
    }
    if (protected_refuses(c, unix_socket)) {
        client_refuse(c, h, denied_msg);
        return;
    }
    if (threaded) {
        client_attach_thread(c, h, unix_socket);
        return;
    }
    client_setup(c, unix_socket);
    client_start(c, unix_socket);
}

/* ---------------------------------------------------------------------
 * MONITOR
 * ------------------------------------------------------------------ */

/* Append s[0..len) quoted as Redis's sdscatrepr to b. */
static void repr_append(resp_buf_t *b, const char *s, size_t len)
{
    char tmp[8];

    resp_buf_append(b, "\"", 1);
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        const char *esc = NULL;

        switch (ch) {
        case '\\': esc = "\\\\"; break;
        case '"': esc = "\\\""; break;
        case '\n': esc = "\\n"; break;
        case '\r': esc = "\\r"; break;
        case '\t': esc = "\\t"; break;
        case '\a': esc = "\\a"; break;
        case '\b': esc = "\\b"; break;
        default: break;
        }
        if (esc) {
            resp_buf_append(b, esc, 2);
        } else if (isprint(ch)) {
            resp_buf_append(b, (const char *)&s[i], 1);
        } else {
            snprintf(tmp, sizeof(tmp), "\\x%02x", ch);
            resp_buf_append(b, tmp, 4);
        }
    }
    resp_buf_append(b, "\"", 1);
}

/* True when argument i of c's command is a secret MONITOR must not show
 * (AUTH's arguments, HELLO's AUTH user and password), as Redis 7.0
 * redacts them. */
static int arg_redacted(const srv_client_t *c, int i)
{
    const resp_slice_t *a0 = &c->argv[0];

    if (i == 0)
        return 0;
    if (a0->len == 4 && strncasecmp(a0->ptr, "auth", 4) == 0)
        return 1;
    if (a0->len == 5 && strncasecmp(a0->ptr, "hello", 5) == 0) {
        for (int j = 2; j < c->argc; j++) {
            if (srv_arg_is(&c->argv[j], "auth") && (i == j + 1 || i == j + 2))
                return 1;
        }
    }
    return 0;
}

/* Send c's current command to every MONITOR client, in Redis's format:
 * +<sec>.<usec> [<db> <addr>] "arg" "arg"... */
void srv_monitor_feed(srv_client_t *c)
{
    resp_buf_t line;
    char head[160];
    int64_t us = srv_ustime_now();
    int n;

    resp_buf_init(&line, 2);
    if (c->flags & SRV_CLIENT_UNIX_SOCKET)
        n = snprintf(head, sizeof(head), "+%lld.%06lld [%d unix:%s] ",
                     (long long)(us / 1000000), (long long)(us % 1000000),
                     c->db->id, srv.cfg.unixsocket ? srv.cfg.unixsocket : "");
    else
        n = snprintf(head, sizeof(head), "+%lld.%06lld [%d %s] ",
                     (long long)(us / 1000000), (long long)(us % 1000000),
                     c->db->id, c->addr);
    resp_buf_append(&line, head, (size_t)n < sizeof(head) ? (size_t)n : 0);
    for (int i = 0; i < c->argc; i++) {
        if (arg_redacted(c, i))
            repr_append(&line, "(redacted)", 10);
        else
            repr_append(&line, c->argv[i].ptr, c->argv[i].len);
        if (i != c->argc - 1)
            resp_buf_append(&line, " ", 1);
    }
    resp_buf_append(&line, "\r\n", 2);
    for (size_t i = 0; i < srv.nmonitors && !line.oom; i++) {
        srv_client_t *m = srv.monitors[i];

        if (m->flags & (SRV_CLIENT_CLOSING | SRV_CLIENT_CLOSE_ASAP))
            continue;
        resp_buf_append(&m->out, line.data, line.len);
        srv_client_schedule_write(m);
        srv_client_check_obuf(m);
    }
    resp_buf_fini(&line);
}

/* ---------------------------------------------------------------------
 * CLIENT LIST line
 * ------------------------------------------------------------------ */

/* The flags field of CLIENT LIST for c ("N" when none), in Redis 7.0's
 * order; dirty_cas: a watched key changed ('d'). */
static void info_flags(const srv_client_t *c, int dirty_cas, char *f)
{
    char *p = f;

    if (c->flags & SRV_CLIENT_MONITOR) *p++ = 'O';
    if (c->flags & SRV_CLIENT_PUBSUB) *p++ = 'P';
    if (c->flags & SRV_CLIENT_MULTI) *p++ = 'x';
    if (c->flags & (SRV_CLIENT_BLOCKED | SRV_CLIENT_PAUSED)) *p++ = 'b';
    if (dirty_cas) *p++ = 'd';
    if (c->flags & SRV_CLIENT_CLOSE_AFTER_REPLY) *p++ = 'c';
    if (c->flags & SRV_CLIENT_CLOSE_ASAP) *p++ = 'A';
    if (c->flags & SRV_CLIENT_UNIX_SOCKET) *p++ = 'U';
    if (c->flags & SRV_CLIENT_NO_EVICT) *p++ = 'e';
    if (p == f) *p++ = 'N';
    *p = '\0';
}

/* Input bytes buffered for c and not yet run (see server.h). */
size_t srv_client_qbuf(const srv_client_t *c)
{
    return c->io ? c->batch_wire : resp_parser_pending(&c->parser);
}

/* CLIENT LIST / CLIENT INFO line for c (see server.h). */
size_t srv_client_info_line(srv_client_t *c, char *buf, size_t size)
{
    char flags[16];
    int64_t now = srv_mstime_now();
    size_t argv_mem = 0;
    /* While c runs a command its whole read batch is still buffered, as
     * Redis's query buffer is until the batch ends. */
    size_t qbuf = c->io ? c->batch_wire
                  : c == srv.current_client ? c->parser.len
                                            : resp_parser_pending(&c->parser);
    size_t qfree = c->io ? srv_io_qbuf_free(c)
                         : c->parser.cap - c->parser.len;
    size_t omem = srv_client_pending_out(c);
    size_t oll = c->io ? srv_io_unwritten(c) > 0
                 : (c->flags & SRV_CLIENT_WRITING) &&
                         c->conn.stream.write_queue_size > 0
                     ? 1
                     : 0;
    size_t multi_mem;
    int64_t multi;
    int dirty_cas;
    size_t tot, sub, psub, ssub;
    int n;

    srv_pubsub_client_counts(c, &sub, &psub, &ssub);
    srv_multi_info(c, &multi, &multi_mem, &dirty_cas);
    tot = sizeof(*c) + c->parser.cap + c->out.cap + c->wbuf.cap +
          c->refs_cap * sizeof(struct srv_outref) +
          (c->io ? c->batch_bytes + qfree + srv_io_unwritten(c) : 0) +
          c->parser.argv_cap * sizeof(resp_slice_t) + multi_mem;
    for (int i = 0; i < c->argc; i++)
        argv_mem += c->argv[i].len;
    info_flags(c, dirty_cas, flags);
    n = snprintf(buf, size,
                 "id=%llu addr=%s laddr=%s fd=%d name=%s age=%lld idle=%lld "
                 "flags=%s db=%d sub=%zu psub=%zu ssub=%zu multi=%lld "
                 "qbuf=%zu qbuf-free=%zu argv-mem=%zu multi-mem=%zu "
                 "rbs=%zu rbp=%zu obl=%zu oll=%zu omem=%zu tot-mem=%zu "
                 "events=%s%s cmd=%s user=default redir=-1 resp=%d",
                 (unsigned long long)c->id, c->addr, c->laddr, c->fd,
                 c->name ? c->name : "",
                 (long long)((now - c->ctime_ms) / 1000),
                 (long long)((now - c->last_interaction_ms) / 1000), flags,
                 c->db ? c->db->id : 0, sub, psub, ssub, (long long)multi,
                 qbuf, qfree,
                 argv_mem, multi_mem, c->parser.cap, c->parser.len,
                 c->out.len, oll, omem, tot,
                 (c->flags & (SRV_CLIENT_PAUSED | SRV_CLIENT_CLOSING |
                              SRV_CLIENT_CLOSE_AFTER_REPLY))
                     ? ""
                     : "r",
                 (c->flags & SRV_CLIENT_WRITING) ? "w" : "",
                 c->lastcmd ? c->lastcmd->name : "NULL", c->resp);
    if (n < 0)
        return 0;
    return (size_t)n < size ? (size_t)n : size - 1;
}

/* ---------------------------------------------------------------------
 * Loop hooks (server.c)
 * ------------------------------------------------------------------ */

/* Give a client whose postponed command may now run its turn: run it,
 * then whatever else is buffered. */
static void client_resume(srv_client_t *c)
{
    resp_slice_t *argv = c->paused_argv;
    resp_cmd_t rc = {c->paused_argc, argv, 0};

    c->paused_argv = NULL;
    paused_remove(c);
    srv_client_execute(c, &rc);
    hp_free(argv);
    if (c->flags & SRV_CLIENT_PAUSED)
        return;
    client_process_input(c);
    if (c->flags & SRV_CLIENT_CLOSE_ASAP)
        srv_client_free(c);
}

/* Run the commands an unblocked client buffered while blocked, then go
 * on reading (see server.h). */
void srv_client_resume_input(srv_client_t *c)
{
    if (c->flags & (SRV_CLIENT_CLOSING | SRV_CLIENT_BLOCKED))
        return;
    clock_us = srv_clock_us();
    srv.mstime_cache = clock_us / 1000;
    clock_valid = 1;
    client_process_input(c);
    clock_valid = 0;
    if (c->flags & SRV_CLIENT_CLOSE_ASAP)
        srv_client_free(c);
}

/* True when the pause still holds c's postponed command. */
static int pause_still_holds(const srv_client_t *c)
{
    srv_command_t *cmd = srv_command_lookup(c->paused_argv[0].ptr,
                                            c->paused_argv[0].len);

    if (cmd && c->paused_argc >= 2 && cmd->subcommands) {
        srv_command_t *sub = srv_command_lookup_sub(
            cmd, c->paused_argv[1].ptr, c->paused_argv[1].len);
        if (sub)
            cmd = sub;
    }
    return cmd && pause_holds(c, cmd);
}

/* Resume, in the order they were held, the paused clients whose command
 * the pause no longer holds. A resumed client's input may free or hold
 * other clients, so each search starts again from the oldest. */
static void clients_unpause(void)
{
    srv_client_t *c;

    srv.mstime_cache = srv_mstime_now();
    if (srv.clients_paused_until_ms &&
        srv.clients_paused_until_ms <= srv.mstime_cache)
        srv.clients_paused_until_ms = 0;
    for (;;) {
        for (c = paused_head; c && pause_still_holds(c); c = c->paused_next)
            ;
        if (!c)
            break;
        client_resume(c);
    }
}

/* Before the loop sleeps: resume unpaused clients, then flush every queued
 * client (closing those marked to close). */
void srv_clients_before_sleep(void)
{
    srv_client_t *c;

    if (npaused)
        clients_unpause();
    srv_evict_before_sleep();
    srv_blocked_before_sleep();
    while ((c = srv.pending_write) != NULL) {
        srv.pending_write = c->pending_next;
        c->pending_next = NULL;
        c->pending_write = 0;
        client_flush(c);
    }
    srv_io_flush();
}

/* Cron: close clients past their soft output limit for too long, free
 * the query and output buffers of clients idle for more than 2 s, and
 * close clients idle for more than `timeout` seconds (not MONITOR,
 * pub/sub, blocked or paused ones, as Redis). */
void srv_clients_cron(void)
{
    const uint32_t exempt = SRV_CLIENT_MONITOR | SRV_CLIENT_PUBSUB |
                            SRV_CLIENT_BLOCKED | SRV_CLIENT_PAUSED;
    int64_t limit = (int64_t)srv.cfg.timeout * 1000;
    srv_client_t *c, *next;

    for (c = srv.clients; c; c = next) {
        next = c->next;
        /* A soft output limit passes its time even with no new reply. */
        if (c->obuf_soft_since_ms && srv_client_check_obuf(c))
            continue;
        /* Free the query and output buffers of a client idle for more
         * than 2 s, as Redis's clientsCronResizeQueryBuffer (blocked and
         * paused clients may still use their last command's arguments). */
        if (!c->io && !(c->flags & (SRV_CLIENT_BLOCKED | SRV_CLIENT_PAUSED)) &&
            (srv.mstime_cache - c->last_interaction_ms) / 1000 > 2) {
            resp_parser_release_idle(&c->parser);
            if (!(c->flags & SRV_CLIENT_WRITING)) {
                buf_release_idle(&c->out);
                buf_release_idle(&c->wbuf);
            }
        }
        if (limit <= 0 || (c->flags & exempt) ||
            srv.mstime_cache - c->last_interaction_ms <= limit)
            continue;
        srv_log(SRV_LOG_VERBOSE, "Closing idle client");
        srv_client_free(c);
    }
}

/* Shutdown: write what can be written without waiting, free everyone. */
void srv_clients_free_all(void)
{
    srv.current_client = NULL;
    while (srv.pending_write) {
        srv_client_t *c = srv.pending_write;

        srv.pending_write = c->pending_next;
        c->pending_next = NULL;
        c->pending_write = 0;
        if (!(c->flags & SRV_CLIENT_CLOSE_ASAP))
            client_write(c);
    }
    while (srv.clients) {
        /* Threaded clients still get the replies already made. */
        if (!(srv.clients->flags & SRV_CLIENT_CLOSE_ASAP))
            srv.clients->flags |= SRV_CLIENT_CLOSE_AFTER_REPLY;
        srv_client_free(srv.clients);
    }
    srv_io_stop();
}

/* Re-apply configured parser limits to every client (CONFIG SET). */
void srv_clients_apply_limits(void)
{
    for (srv_client_t *c = srv.clients; c; c = c->next)
        srv_client_apply_limits(c);
}
