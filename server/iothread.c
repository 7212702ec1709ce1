/*
 * iothread.c - io-threads: connections on I/O threads, commands on the
 * executor (ARCHITECTURE.md "Threads").
 *
 * With `io-threads N` (N > 0) the executor still accepts connections, but
 * hands each socket to one of N threads, each running its own libuv loop.
 * A connection then has two halves:
 *
 *   executor                               I/O thread t
 *   srv_client_t (client.c)                srv_conn_t (here)
 *   keyspace, reply bytes, flags           socket, parser, unwritten replies
 *
 * and each half is touched by its own thread only. They talk through
 * messages:
 *
 *   thread -> executor   BATCH (complete commands, in order), GONE
 *   executor -> thread   NEW, OUT (reply bytes + batches acknowledged),
 *                        LIMITS, CLOSE, FREE, STOP
 *
 * Every queue is an intrusive lock-free MPSC list (Vyukov's), and a
 * thread wakes the other side with one uv_async_send per loop iteration
 * however many messages it queued: a thread pushes as it goes and sends
 * the wake-up from a uv_check after its poll phase; the executor from its
 * uv_prepare (srv_io_flush). Nobody spins: a thread with nothing to do
 * sleeps in epoll.
 *
 * Ordering: a connection's batches leave its thread in read order and
 * the executor runs them in order (holding later ones while a command is
 * blocked or paused); its reply bytes come back in OUT messages in the
 * order they were produced and are written in that order.
 *
 * Lifetime: whoever closes first, the thread closes the socket and sends
 * GONE exactly once; the executor then frees the client and sends FREE,
 * and only then does the thread free the connection. So neither side ever
 * holds a pointer to freed memory of the other: messages for a closed
 * connection are dropped by the thread, batches for a closing client by
 * the executor.
 *
 * Flow: the thread counts the bytes of batches the executor has not yet
 * acknowledged and stops reading past IO_INFLIGHT_MAX (a client flooding
 * a paused server); before AUTH it hands over one command at a time, so
 * the parser limits change between AUTH and the next command as they do
 * without threads.
 */
#include "server.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/prctl.h>

/* Bytes asked of the parser's buffer before each read (as client.c). */
#define READ_CHUNK (16 * 1024)
typedef struct srv_conn srv_conn_t;

/* Unacknowledged batch bytes past which a connection stops reading. */
#define IO_INFLIGHT_MAX (4u * 1024 * 1024)
/* A batch is cut after this many bytes, so one holds no more than that
 * plus one command. */
#define BATCH_MAX_BYTES (256u * 1024)
/* Thread scratch space bigger than this is released after use. */
#define SCRATCH_KEEP_MAX (1024u * 1024)
/* Buffers gathered into one write system call. */
#define WRITE_IOV 64

/* ---------------------------------------------------------------------
 * Messages and the queue
 * ------------------------------------------------------------------ */

enum {
    M_BATCH,  /* thread -> executor: batch of conn's client */
    M_GONE,   /* thread -> executor: conn's socket is closed */
    M_NEW,    /* executor -> thread: start serving conn */
    M_OUT,    /* executor -> thread: reply bytes and acknowledgements */
    M_LIMITS, /* executor -> thread: parser limits */
    M_CLOSE,  /* executor -> thread: close conn (graceful or at once) */
    M_FREE,   /* executor -> thread: conn may be freed */
    M_STOP,   /* executor -> thread: close everything and exit */
};

typedef struct io_msg {
    _Atomic(struct io_msg *) next; /* queue link */
    struct io_msg *qnext;          /* a conn's output queue (thread) */
    int type;
    struct srv_conn *conn;
    srv_client_t *client;          /* M_BATCH, M_GONE */
    char *data;                    /* M_OUT: reply bytes (owned) */
    size_t len, off;               /* M_OUT: bytes, bytes already written */
    size_t ack_bytes;              /* M_OUT: batch bytes acknowledged */
    uint32_t ack_batches;
    int graceful;                  /* M_CLOSE */
    int unauth;                    /* M_LIMITS */
    resp_limits_t limits;          /* M_LIMITS, M_NEW */
} io_msg_t;

/* An intrusive multi-producer single-consumer queue: push is one atomic
 * exchange; pop may see a push half done and report empty, in which case
 * the producer's wake-up, sent after its push, brings the consumer back. */
typedef struct mpsc {
    _Atomic(io_msg_t *) head; /* last pushed */
    io_msg_t *tail;           /* next to pop (consumer only) */
    io_msg_t stub;
} mpsc_t;

static void mpsc_init(mpsc_t *q)
{
    atomic_store_explicit(&q->stub.next, NULL, memory_order_relaxed);
    atomic_store_explicit(&q->head, &q->stub, memory_order_relaxed);
    q->tail = &q->stub;
}

static void mpsc_push(mpsc_t *q, io_msg_t *m)
{
    io_msg_t *prev;

    atomic_store_explicit(&m->next, NULL, memory_order_relaxed);
    prev = atomic_exchange_explicit(&q->head, m, memory_order_acq_rel);
    atomic_store_explicit(&prev->next, m, memory_order_release);
}

/* The oldest message (now owned by the caller), or NULL. */
static io_msg_t *mpsc_pop(mpsc_t *q)
{
    io_msg_t *tail = q->tail;
    io_msg_t *next = atomic_load_explicit(&tail->next, memory_order_acquire);

    if (tail == &q->stub) {
        if (!next)
            return NULL;
        q->tail = next;
        tail = next;
        next = atomic_load_explicit(&next->next, memory_order_acquire);
    }
    if (next) {
        q->tail = next;
        return tail;
    }
    if (tail != atomic_load_explicit(&q->head, memory_order_acquire))
        return NULL; /* a push is half done */
    mpsc_push(q, &q->stub);
    next = atomic_load_explicit(&tail->next, memory_order_acquire);
    if (next) {
        q->tail = next;
        return tail;
    }
    return NULL;
}

/* ---------------------------------------------------------------------
 * Threads and connections
 * ------------------------------------------------------------------ */

typedef struct io_thread {
    int id;
    uv_thread_t tid;
    uv_loop_t loop;
    uv_async_t async;     /* executor -> thread wake-up */
    uv_check_t check;     /* after poll: wake the executor once */
    uv_timer_t idle_timer; /* frees the query buffers of idle clients */
    mpsc_t inbox;         /* executor -> thread */
    int exec_wake;        /* thread: the executor has messages */
    int wake;             /* executor: the thread has messages */
    int stopping;         /* thread: M_STOP seen */
    struct srv_conn *conns;   /* thread: every connection it holds */
    struct srv_conn *dirty;   /* thread: connections with output to write */
    /* Scratch for building batches (thread). */
    srv_batch_cmd_t *cmds;
    size_t cmds_cap;
    resp_slice_t *slices;
    size_t slices_cap;
    char *bytes;
    size_t bytes_cap;
    /* Counters (INFO # Threads), written by the thread. */
    _Atomic uint64_t reads, writes, net_in, net_out;
    _Atomic int64_t clients;
} io_thread_t;

enum { CONN_OPEN, CONN_CLOSED };

struct srv_conn {
    union {
        uv_handle_t handle;
        uv_stream_t stream;
        uv_tcp_t tcp;
        uv_pipe_t pipe;
    } h;
    io_thread_t *t;
    srv_client_t *client;   /* the executor's half: a token, never read */
    uv_os_sock_t fd;
    int unix_socket;
    int keepalive;          /* tcp-keepalive seconds, 0 = off */
    int state;              /* CONN_* */
    int reading;            /* uv_read_start in effect */
    int parse_stopped;      /* a protocol error was handed over */
    int close_after_write;  /* graceful CLOSE waiting for the writes */
    int unauth;             /* one command per batch */
    int is_dirty;
    struct srv_conn *dirty_next;
    struct srv_conn *prev, *next; /* t->conns */
    resp_parser_t parser;
    resp_limits_t limits;
    size_t inflight_bytes;  /* batch bytes not yet acknowledged */
    uint32_t inflight_batches;
    io_msg_t *outq, *outq_tail; /* reply chunks to write, in order */
    uv_write_t wreq;
    int writing;            /* wreq in flight */
    size_t wbytes;          /* bytes of that write */
    _Atomic size_t unwritten; /* handed over, not yet written */
    _Atomic size_t qfree;   /* free bytes of the parser's buffer */
    uint64_t last_read_ms;  /* the thread loop's clock at the last read */
    io_msg_t *gone;         /* the GONE message, set aside (owned) */
};

static io_thread_t *threads;
static int nthreads;
static uv_async_t exec_async;  /* thread -> executor wake-up */
static mpsc_t exec_inbox;      /* thread -> executor */
static int exec_async_open;
static int joined;             /* the threads are gone (srv_io_stop) */

static void conn_parse(srv_conn_t *k);
static void conn_flush(srv_conn_t *k);
static void conn_close(srv_conn_t *k);

/* A zeroed message of type for conn (new), or NULL. */
static io_msg_t *msg_new(int type, srv_conn_t *k)
{
    io_msg_t *m = hp_calloc(1, sizeof(*m));

    if (m) {
        m->type = type;
        m->conn = k;
    }
    return m;
}

/* Free m and what it owns. */
static void msg_free(io_msg_t *m)
{
    if (m->type == M_BATCH)
        return; /* the block is the batch's: freed by srv_batch_free */
    hp_free(m->data);
    hp_free(m);
}

/* Thread: queue m for the executor (woken from the check handle). */
static void to_executor(io_thread_t *t, io_msg_t *m)
{
    mpsc_push(&exec_inbox, m);
    t->exec_wake = 1;
}

/* Executor: queue m for k's thread (woken by srv_io_flush). */
static void to_thread(io_thread_t *t, io_msg_t *m)
{
    mpsc_push(&t->inbox, m);
    t->wake = 1;
}

/* ---------------------------------------------------------------------
 * Batches
 * ------------------------------------------------------------------ */

/* A batch lives in one block after its message header. */
static srv_batch_t *batch_of(io_msg_t *m)
{
    return (srv_batch_t *)(void *)(m + 1);
}

/* Free a batch handed over by a thread (executor). */
void srv_batch_free(srv_batch_t *b)
{
    if (b)
        hp_free((io_msg_t *)(void *)b - 1);
}

/* Grow *p (elements of size sz, capacity *cap) to hold need. 0/-ENOMEM. */
static int scratch_reserve(void **p, size_t *cap, size_t need, size_t sz)
{
    size_t ncap = *cap ? *cap : 16;
    void *np;

    if (need <= *cap)
        return 0;
    while (ncap < need)
        ncap *= 2;
    np = hp_realloc(*p, ncap * sz);
    if (!np)
        return -ENOMEM;
    *p = np;
    *cap = ncap;
    return 0;
}

/* Copy command rc into the thread's scratch (its arguments' bytes too:
 * inline arguments live in the parser's scratch, which the next command
 * reuses). Slice pointers hold offsets until the batch is built. */
static int scratch_add(io_thread_t *t, size_t *ncmds, size_t *nslices,
                       size_t *nbytes, const resp_cmd_t *rc)
{
    size_t need = *nbytes;

    for (int i = 0; i < rc->argc; i++)
        need += rc->argv[i].len;
    if (scratch_reserve((void **)&t->cmds, &t->cmds_cap, *ncmds + 1,
                        sizeof(*t->cmds)) < 0 ||
        scratch_reserve((void **)&t->slices, &t->slices_cap,
                        *nslices + (size_t)rc->argc,
                        sizeof(*t->slices)) < 0 ||
        scratch_reserve((void **)&t->bytes, &t->bytes_cap, need ? need : 1,
                        1) < 0)
        return -ENOMEM;
    t->cmds[*ncmds].argc = rc->argc;
    t->cmds[*ncmds].inline_cmd = rc->inline_cmd;
    t->cmds[*ncmds].argv = (resp_slice_t *)(uintptr_t)*nslices;
    for (int i = 0; i < rc->argc; i++) {
        memcpy(t->bytes + *nbytes, rc->argv[i].ptr, rc->argv[i].len);
        t->slices[*nslices].ptr = (const char *)(uintptr_t)*nbytes;
        t->slices[*nslices].len = rc->argv[i].len;
        (*nslices)++;
        *nbytes += rc->argv[i].len;
    }
    (*ncmds)++;
    return 0;
}

/* Release scratch space that grew past SCRATCH_KEEP_MAX. */
static void scratch_trim(io_thread_t *t)
{
    if (t->bytes_cap > SCRATCH_KEEP_MAX) {
        hp_free(t->bytes);
        t->bytes = NULL;
        t->bytes_cap = 0;
    }
    if (t->slices_cap * sizeof(*t->slices) > SCRATCH_KEEP_MAX) {
        hp_free(t->slices);
        t->slices = NULL;
        t->slices_cap = 0;
    }
}

/* Build the batch message of the scratch contents (new), or NULL. */
static io_msg_t *batch_build(io_thread_t *t, size_t ncmds, size_t nslices,
                             size_t nbytes)
{
    size_t hdr = sizeof(io_msg_t) + sizeof(srv_batch_t) +
                 ncmds * sizeof(srv_batch_cmd_t);
    size_t sl = nslices * sizeof(resp_slice_t);
    io_msg_t *m = hp_malloc(hdr + sl + nbytes);
    srv_batch_t *b;
    resp_slice_t *slices;
    char *bytes;

    if (!m)
        return NULL;
    memset(m, 0, sizeof(*m) + sizeof(*b));
    m->type = M_BATCH;
    b = batch_of(m);
    slices = (resp_slice_t *)(void *)((char *)m + hdr);
    bytes = (char *)slices + sl;
    if (nbytes > 0)
        memcpy(bytes, t->bytes, nbytes);
    for (size_t i = 0; i < nslices; i++) {
        slices[i].ptr = bytes + (uintptr_t)t->slices[i].ptr;
        slices[i].len = t->slices[i].len;
    }
    b->ncmds = (int)ncmds;
    for (size_t i = 0; i < ncmds; i++) {
        b->cmds[i] = t->cmds[i];
        b->cmds[i].argv = slices + (uintptr_t)t->cmds[i].argv;
    }
    b->bytes = nbytes + sl;
    return m;
}

/* ---------------------------------------------------------------------
 * Thread side: reading
 * ------------------------------------------------------------------ */

/* Stop reading k (flow control, errors, closing). */
static void conn_read_stop(srv_conn_t *k)
{
    if (k->reading) {
        uv_read_stop(&k->h.stream);
        k->reading = 0;
    }
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf);
static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf);

/* Read k again unless something holds it. */
static void conn_read_start(srv_conn_t *k)
{
    if (k->reading || k->state != CONN_OPEN || k->parse_stopped ||
        k->close_after_write || k->inflight_bytes > IO_INFLIGHT_MAX ||
        k->t->stopping)
        return;
    if (uv_read_start(&k->h.stream, on_alloc, on_read) == 0)
        k->reading = 1;
}

/* Push the scratch's commands (and err, a protocol error after them) as
 * one batch of k; wire is the protocol bytes they were parsed from.
 * -ENOMEM when it cannot be built. */
static int conn_push_batch(srv_conn_t *k, size_t ncmds, size_t nslices,
                           size_t nbytes, size_t wire, int err_rc,
                           const char *err)
{
    io_thread_t *t = k->t;
    io_msg_t *m = batch_build(t, ncmds, nslices, nbytes);
    srv_batch_t *b;

    scratch_trim(t);
    if (!m)
        return -ENOMEM;
    b = batch_of(m);
    b->error_rc = err_rc;
    b->error = err;
    b->wire = wire;
    m->conn = k;
    m->client = k->client;
    k->inflight_bytes += b->bytes;
    k->inflight_batches++;
    to_executor(t, m);
    return 0;
}

/* The protocol bytes k's parser consumed since *pending was its pending
 * count; *pending becomes the count now. */
static size_t parsed_since(srv_conn_t *k, size_t *pending)
{
    size_t now = resp_parser_pending(&k->parser);
    size_t n = *pending >= now ? *pending - now : 0;

    *pending = now;
    return n;
}

/* Hand over every complete command k's parser holds, in batches. Before
 * AUTH only one command at a time goes (the next waits for its
 * acknowledgement). A protocol error ends the batch and the reading. */
static void conn_parse(srv_conn_t *k)
{
    io_thread_t *t = k->t;
    size_t ncmds = 0, nslices = 0, nbytes = 0, pending;
    const char *err = NULL;
    resp_cmd_t rc;
    int r = 0;

    if (k->parse_stopped || k->state != CONN_OPEN ||
        (k->unauth && k->inflight_batches))
        return;
    /* Parsing only moves the parser's position: what pending loses is
     * the protocol bytes of the commands parsed (CLIENT LIST qbuf). */
    pending = resp_parser_pending(&k->parser);
    for (;;) {
        r = resp_parser_next(&k->parser, &rc);
        if (r <= 0)
            break;
        if (scratch_add(t, &ncmds, &nslices, &nbytes, &rc) < 0) {
            r = RESP_ERR_NOMEM;
            break;
        }
        if (k->unauth)
            break;
        if (nbytes >= BATCH_MAX_BYTES) {
            if (conn_push_batch(k, ncmds, nslices, nbytes,
                                parsed_since(k, &pending), 0, NULL) < 0) {
                r = RESP_ERR_NOMEM;
                ncmds = 0;
                break;
            }
            ncmds = nslices = nbytes = 0;
        }
    }
    if (r < 0) {
        err = r == RESP_ERR_PROTO ? resp_parser_error(&k->parser) : NULL;
        k->parse_stopped = 1;
        conn_read_stop(k);
    }
    if (ncmds == 0 && r >= 0)
        return;
    if (conn_push_batch(k, ncmds, nslices, nbytes, parsed_since(k, &pending),
                        r < 0 ? r : 0, err) < 0 &&
        conn_push_batch(k, 0, 0, 0, 0, RESP_ERR_NOMEM, NULL) < 0) {
        /* Nothing can be said to the executor; the client goes. */
        k->parse_stopped = 1;
        conn_close(k);
        return;
    }
    if (k->inflight_bytes > IO_INFLIGHT_MAX)
        conn_read_stop(k);
}

/* libuv alloc callback: read straight into the parser's buffer. */
static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    srv_conn_t *k = h->data;
    size_t avail = 0;
    char *p = resp_parser_reserve(&k->parser, READ_CHUNK, &avail);

    (void)suggested;
    buf->base = p;
    buf->len = p ? avail : 0;
}

/* libuv read callback: commit, enforce the query buffer limit, parse. */
static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    srv_conn_t *k = s->data;
    io_thread_t *t = k->t;

    (void)buf;
    if (nread == 0)
        return;
    if (nread < 0) {
        conn_close(k);
        return;
    }
    resp_parser_commit(&k->parser, (size_t)nread);
    k->last_read_ms = uv_now(&t->loop);
    atomic_store_explicit(&k->qfree, k->parser.cap - k->parser.len,
                          memory_order_relaxed);
    atomic_fetch_add_explicit(&t->reads, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&t->net_in, (uint64_t)nread,
                              memory_order_relaxed);
    if (k->limits.max_query_buf > 0 &&
        resp_parser_pending(&k->parser) > k->limits.max_query_buf) {
        k->parse_stopped = 1;
        conn_read_stop(k);
        if (conn_push_batch(k, 0, 0, 0, 0, RESP_ERR_PROTO,
                            "Protocol error: query buffer limit "
                            "exceeded") < 0)
            conn_close(k);
        return;
    }
    conn_parse(k);
}

/* ---------------------------------------------------------------------
 * Thread side: writing and closing
 * ------------------------------------------------------------------ */

/* Drop n written bytes from the head of k's output queue. */
static void conn_consume(srv_conn_t *k, size_t n)
{
    atomic_fetch_sub_explicit(&k->unwritten, n, memory_order_relaxed);
    atomic_fetch_add_explicit(&k->t->net_out, n, memory_order_relaxed);
    while (n > 0 && k->outq) {
        io_msg_t *m = k->outq;
        size_t left = m->len - m->off;

        if (n < left) {
            m->off += n;
            return;
        }
        n -= left;
        k->outq = m->qnext;
        if (!k->outq)
            k->outq_tail = NULL;
        msg_free(m);
    }
}

/* Fill bufs with the queued output of k; the count, total in *bytes. */
static int conn_gather(srv_conn_t *k, uv_buf_t *bufs, size_t *bytes)
{
    int n = 0;

    *bytes = 0;
    for (io_msg_t *m = k->outq; m && n < WRITE_IOV; m = m->qnext) {
        bufs[n++] = uv_buf_init(m->data + m->off,
                                (unsigned int)(m->len - m->off));
        *bytes += m->len - m->off;
    }
    return n;
}

/* Free k's queued output (closing). */
static void conn_drop_output(srv_conn_t *k)
{
    while (k->outq) {
        io_msg_t *m = k->outq;

        k->outq = m->qnext;
        atomic_fetch_sub_explicit(&k->unwritten, m->len - m->off,
                                  memory_order_relaxed);
        msg_free(m);
    }
    k->outq_tail = NULL;
}

/* Tell the executor k's socket is closed (GONE, once); k stays until
 * FREE. The message was set aside when k was made, so this cannot fail. */
static void conn_send_gone(srv_conn_t *k)
{
    io_msg_t *m = k->gone;

    k->gone = NULL;
    if (m)
        to_executor(k->t, m);
}

/* libuv close callback of k's socket. */
static void on_conn_closed(uv_handle_t *h)
{
    srv_conn_t *k = h->data;

    conn_drop_output(k);
    resp_parser_fini(&k->parser);
    atomic_fetch_sub_explicit(&k->t->clients, 1, memory_order_relaxed);
    conn_send_gone(k);
}

/* Close k's socket now (its pending output is dropped). */
static void conn_close(srv_conn_t *k)
{
    if (k->state != CONN_OPEN)
        return;
    k->state = CONN_CLOSED;
    k->reading = 0;
    uv_close(&k->h.handle, on_conn_closed);
}

/* uv_write callback: the bytes of k->wbytes are written. */
static void on_write(uv_write_t *req, int status)
{
    srv_conn_t *k = req->data;

    k->writing = 0;
    if (status == UV_ECANCELED || k->state != CONN_OPEN)
        return;
    if (status < 0) {
        conn_close(k);
        return;
    }
    conn_consume(k, k->wbytes);
    conn_flush(k);
}

/* Write k's queued output: one gathered try-write, the rest with
 * uv_write. A graceful close waits for the queue to empty. */
static void conn_flush(srv_conn_t *k)
{
    uv_buf_t bufs[WRITE_IOV];
    size_t bytes;
    int n, w;

    if (k->writing || k->state != CONN_OPEN)
        return;
    while (k->outq) {
        n = conn_gather(k, bufs, &bytes);
        atomic_fetch_add_explicit(&k->t->writes, 1, memory_order_relaxed);
        w = uv_try_write(&k->h.stream, bufs, (unsigned int)n);
        if (w < 0 && w != UV_EAGAIN) {
            conn_close(k);
            return;
        }
        if (w > 0)
            conn_consume(k, (size_t)w);
        if (w >= 0 && (size_t)w == bytes)
            continue;
        n = conn_gather(k, bufs, &k->wbytes);
        k->wreq.data = k;
        if (uv_write(&k->wreq, &k->h.stream, bufs, (unsigned int)n,
                     on_write) < 0) {
            conn_close(k);
            return;
        }
        k->writing = 1;
        return;
    }
    if (k->close_after_write)
        conn_close(k);
}

/* Remember k has output to flush after the messages are handled. */
static void conn_mark_dirty(srv_conn_t *k)
{
    if (k->is_dirty)
        return;
    k->is_dirty = 1;
    k->dirty_next = k->t->dirty;
    k->t->dirty = k;
}

/* Unlink k from its thread's list and free it (M_FREE, or exit). */
static void conn_free(srv_conn_t *k)
{
    io_thread_t *t = k->t;

    if (k->prev)
        k->prev->next = k->next;
    else
        t->conns = k->next;
    if (k->next)
        k->next->prev = k->prev;
    if (k->gone)
        msg_free(k->gone);
    hp_free(k);
}

/* ---------------------------------------------------------------------
 * Thread side: messages
 * ------------------------------------------------------------------ */

/* M_NEW: adopt the socket, start reading. */
static void thread_new_conn(io_thread_t *t, srv_conn_t *k)
{
    int rc;

    k->next = t->conns;
    if (t->conns)
        t->conns->prev = k;
    t->conns = k;
    resp_parser_init(&k->parser, &k->limits);
    rc = k->unix_socket ? uv_pipe_init(&t->loop, &k->h.pipe, 0)
                        : uv_tcp_init(&t->loop, &k->h.tcp);
    if (rc < 0) {
        /* No handle to close: the socket and the news go directly. */
        close(k->fd);
        k->state = CONN_CLOSED;
        resp_parser_fini(&k->parser);
        atomic_fetch_sub_explicit(&t->clients, 1, memory_order_relaxed);
        conn_send_gone(k);
        return;
    }
    k->h.handle.data = k;
    k->last_read_ms = uv_now(&t->loop);
    rc = k->unix_socket ? uv_pipe_open(&k->h.pipe, k->fd)
                        : uv_tcp_open(&k->h.tcp, k->fd);
    if (rc < 0) {
        close(k->fd);
        conn_close(k);
        return;
    }
    if (!k->unix_socket) {
        uv_tcp_nodelay(&k->h.tcp, 1);
        if (k->keepalive > 0)
            uv_tcp_keepalive(&k->h.tcp, 1, (unsigned int)k->keepalive);
    }
    conn_read_start(k);
}

/* M_OUT: queue the bytes, take the acknowledgements. */
static void thread_out(srv_conn_t *k, io_msg_t *m)
{
    k->inflight_bytes -= m->ack_bytes <= k->inflight_bytes
                             ? m->ack_bytes : k->inflight_bytes;
    k->inflight_batches -= m->ack_batches <= k->inflight_batches
                               ? m->ack_batches : k->inflight_batches;
    if (m->len == 0 || k->state != CONN_OPEN) {
        atomic_fetch_sub_explicit(&k->unwritten, m->len,
                                  memory_order_relaxed);
        msg_free(m);
    } else {
        m->qnext = NULL;
        if (k->outq_tail)
            k->outq_tail->qnext = m;
        else
            k->outq = m;
        k->outq_tail = m;
        conn_mark_dirty(k);
    }
    if (k->state != CONN_OPEN)
        return;
    conn_parse(k);
    conn_read_start(k);
}

/* M_CLOSE: close now, or once the queued output is written. */
static void thread_close(srv_conn_t *k, int graceful)
{
    if (k->state != CONN_OPEN)
        return;
    if (!graceful || (!k->outq && !k->writing)) {
        conn_close(k);
        return;
    }
    k->close_after_write = 1;
    conn_read_stop(k);
    conn_mark_dirty(k);
}

/* Write what can go without waiting and close every connection. */
static void thread_stop(io_thread_t *t)
{
    t->stopping = 1;
    for (srv_conn_t *k = t->conns; k; k = k->next) {
        if (k->state != CONN_OPEN)
            continue;
        if (!k->writing)
            conn_flush(k);
        conn_close(k);
    }
    uv_close((uv_handle_t *)&t->async, NULL);
    uv_close((uv_handle_t *)&t->check, NULL);
    uv_close((uv_handle_t *)&t->idle_timer, NULL);
}

/* Handle one message from the executor. */
static void thread_handle(io_thread_t *t, io_msg_t *m)
{
    srv_conn_t *k = m->conn;

    switch (m->type) {
    case M_NEW:
        thread_new_conn(t, k);
        break;
    case M_OUT:
        thread_out(k, m);
        return; /* m queued or freed */
    case M_LIMITS:
        k->limits = m->limits;
        k->unauth = m->unauth;
        if (k->state == CONN_OPEN) {
            resp_parser_set_limits(&k->parser, &k->limits);
            conn_parse(k);
        }
        break;
    case M_CLOSE:
        thread_close(k, m->graceful);
        break;
    case M_FREE:
        conn_free(k);
        break;
    case M_STOP:
        thread_stop(t);
        break;
    default:
        break;
    }
    msg_free(m);
}

/* The executor queued messages: handle them all, then write. */
static void on_thread_async(uv_async_t *h)
{
    io_thread_t *t = h->data;
    io_msg_t *m;

    while ((m = mpsc_pop(&t->inbox)) != NULL)
        thread_handle(t, m);
    while (t->dirty) {
        srv_conn_t *k = t->dirty;

        t->dirty = k->dirty_next;
        k->is_dirty = 0;
        conn_flush(k);
    }
}

/* Every second: free the query buffer of connections that read nothing
 * for more than 2 s and have no partial command, as the executor does
 * for its own clients (srv_clients_cron). */
static void on_idle_timer(uv_timer_t *h)
{
    io_thread_t *t = h->data;
    uint64_t now = uv_now(&t->loop);

    for (srv_conn_t *k = t->conns; k; k = k->next) {
        if (k->state != CONN_OPEN || now - k->last_read_ms <= 2000)
            continue;
        if (resp_parser_release_idle(&k->parser) > 0)
            atomic_store_explicit(&k->qfree, 0, memory_order_relaxed);
    }
}

/* After each poll: wake the executor once for everything queued. */
static void on_check(uv_check_t *h)
{
    io_thread_t *t = h->data;

    if (t->exec_wake) {
        t->exec_wake = 0;
        uv_async_send(&exec_async);
    }
}

/* Free every connection and the scratch (thread exit). */
static void thread_free_all(io_thread_t *t)
{
    while (t->conns)
        conn_free(t->conns);
    hp_free(t->cmds);
    hp_free(t->slices);
    hp_free(t->bytes);
    t->cmds = NULL;
    t->slices = NULL;
    t->bytes = NULL;
}

/* The thread: run its loop until M_STOP closed every handle. */
static void thread_main(void *arg)
{
    io_thread_t *t = arg;
    char name[16];

    /* Named for top -H, perf and /proc/PID/task/TID/comm. */
    snprintf(name, sizeof(name), "io-thread-%d", t->id);
    prctl(PR_SET_NAME, name, 0, 0, 0);
    uv_run(&t->loop, UV_RUN_DEFAULT);
    if (t->exec_wake)
        uv_async_send(&exec_async);
    thread_free_all(t);
    /* The loop is closed by srv_io_stop after the join: the executor may
     * still be waking this thread (uv_async_send writes to the loop's
     * eventfd) for a STOP the thread has already seen, and that write
     * must find the descriptor open. */
}

/* ---------------------------------------------------------------------
 * Executor side
 * ------------------------------------------------------------------ */

/* Handle one message from a thread. */
static void exec_handle(io_msg_t *m)
{
    if (m->type == M_BATCH) {
        srv_client_io_batch(m->client, batch_of(m));
        return; /* the batch (and m) belong to the client now */
    }
    if (m->type == M_GONE)
        srv_client_io_gone(m->client);
    msg_free(m);
}

/* Threads queued messages: handle them all. */
static void on_exec_async(uv_async_t *h)
{
    io_msg_t *m;

    (void)h;
    while ((m = mpsc_pop(&exec_inbox)) != NULL)
        exec_handle(m);
}

/* Start one thread's loop and handles, then the thread. 0 / libuv error. */
static int thread_start(io_thread_t *t, int id)
{
    int rc;

    t->id = id;
    mpsc_init(&t->inbox);
    rc = uv_loop_init(&t->loop);
    if (rc < 0)
        return rc;
    uv_async_init(&t->loop, &t->async, on_thread_async);
    t->async.data = t;
    uv_check_init(&t->loop, &t->check);
    t->check.data = t;
    uv_check_start(&t->check, on_check);
    uv_timer_init(&t->loop, &t->idle_timer);
    t->idle_timer.data = t;
    uv_timer_start(&t->idle_timer, on_idle_timer, 1000, 1000);
    rc = uv_thread_create(&t->tid, thread_main, t);
    if (rc < 0) {
        uv_close((uv_handle_t *)&t->async, NULL);
        uv_close((uv_handle_t *)&t->check, NULL);
        uv_close((uv_handle_t *)&t->idle_timer, NULL);
        uv_run(&t->loop, UV_RUN_DEFAULT);
        uv_loop_close(&t->loop);
    }
    return rc;
}

/* Contract in server.h. */
int srv_io_start(void)
{
    int n = srv.cfg.io_threads, rc;

    if (n <= 0)
        return 0;
    threads = hp_calloc((size_t)n, sizeof(*threads));
    if (!threads)
        return -ENOMEM;
    mpsc_init(&exec_inbox);
    rc = uv_async_init(srv.loop, &exec_async, on_exec_async);
    if (rc < 0) {
        hp_free(threads);
        threads = NULL;
        return rc;
    }
    exec_async_open = 1;
    for (nthreads = 0; nthreads < n; nthreads++) {
        rc = thread_start(&threads[nthreads], nthreads + 1);
        if (rc < 0) {
            srv_log(SRV_LOG_WARNING, "Can't create I/O thread: %s",
                    uv_strerror(rc));
            srv_io_stop();
            return rc;
        }
    }
    srv_log(SRV_LOG_NOTICE, "%d I/O threads started", n);
    return 0;
}

/* Contract in server.h. */
void srv_io_stop(void)
{
    io_msg_t *m;

    if (!threads)
        return;
    for (int i = 0; i < nthreads; i++) {
        m = msg_new(M_STOP, NULL);
        if (!m) {
            /* The thread must stop: wait for memory rather than hang. */
            while (!(m = msg_new(M_STOP, NULL)))
                uv_sleep(1);
        }
        to_thread(&threads[i], m);
    }
    srv_io_flush();
    for (int i = 0; i < nthreads; i++) {
        uv_thread_join(&threads[i].tid);
        uv_loop_close(&threads[i].loop);
    }
    joined = 1;
    /* Every GONE and batch the threads sent is here now; the threads
     * freed their connections on exit. */
    while ((m = mpsc_pop(&exec_inbox)) != NULL)
        exec_handle(m);
    if (exec_async_open) {
        uv_close((uv_handle_t *)&exec_async, NULL);
        exec_async_open = 0;
    }
    hp_free(threads);
    threads = NULL;
    nthreads = 0;
    joined = 0;
}

/* Contract in server.h. */
int srv_io_active(void)
{
    return nthreads > 0;
}

/* The thread with the fewest connections. */
static io_thread_t *least_loaded(void)
{
    io_thread_t *best = &threads[0];

    for (int i = 1; i < nthreads; i++) {
        if (atomic_load_explicit(&threads[i].clients, memory_order_relaxed) <
            atomic_load_explicit(&best->clients, memory_order_relaxed))
            best = &threads[i];
    }
    return best;
}

/* Contract in server.h. */
int srv_io_attach(srv_client_t *c, uv_os_sock_t fd, int unix_socket,
                  const resp_limits_t *l)
{
    srv_conn_t *k = hp_calloc(1, sizeof(*k));
    io_msg_t *m = msg_new(M_NEW, k);
    io_msg_t *gone = msg_new(M_GONE, k);

    if (!k || !m || !gone) {
        hp_free(k);
        hp_free(m);
        hp_free(gone);
        return -ENOMEM;
    }
    gone->client = c;
    k->gone = gone;
    k->t = least_loaded();
    k->client = c;
    k->fd = fd;
    k->unix_socket = unix_socket;
    k->keepalive = srv.cfg.tcp_keepalive;
    k->limits = *l;
    k->unauth = c->limits_unauth;
    atomic_init(&k->unwritten, 0);
    atomic_fetch_add_explicit(&k->t->clients, 1, memory_order_relaxed);
    c->io = k;
    to_thread(k->t, m);
    return 0;
}

/* Queue m for c's thread, waiting for memory if it must (a close or a
 * free cannot be dropped). */
static io_msg_t *msg_must(int type, srv_conn_t *k)
{
    io_msg_t *m;

    while (!(m = msg_new(type, k)))
        uv_sleep(1);
    return m;
}

/* Contract in server.h. */
int srv_io_send_out(srv_client_t *c)
{
    srv_conn_t *k = c->io;
    io_msg_t *m = msg_new(M_OUT, k);

    if (!m)
        return -ENOMEM;
    m->data = c->out.data;
    m->len = c->out.len;
    m->ack_bytes = c->ack_bytes;
    m->ack_batches = c->ack_batches;
    c->ack_bytes = 0;
    c->ack_batches = 0;
    resp_buf_init(&c->out, c->out.proto);
    atomic_fetch_add_explicit(&k->unwritten, m->len, memory_order_relaxed);
    to_thread(k->t, m);
    return 0;
}

/* Contract in server.h. */
void srv_io_set_limits(srv_client_t *c, const resp_limits_t *l)
{
    io_msg_t *m = msg_must(M_LIMITS, c->io);

    m->limits = *l;
    m->unauth = c->limits_unauth;
    to_thread(c->io->t, m);
}

/* Contract in server.h. */
void srv_io_close(srv_client_t *c, int graceful)
{
    io_msg_t *m = msg_must(M_CLOSE, c->io);

    m->graceful = graceful;
    to_thread(c->io->t, m);
}

/* Contract in server.h. */
void srv_io_release(srv_client_t *c)
{
    srv_conn_t *k = c->io;

    c->io = NULL;
    if (joined)
        return; /* the thread freed it on exit */
    to_thread(k->t, msg_must(M_FREE, k));
}

/* Contract in server.h. */
size_t srv_io_unwritten(const srv_client_t *c)
{
    return atomic_load_explicit(&c->io->unwritten, memory_order_relaxed);
}

/* Contract in server.h. */
size_t srv_io_qbuf_free(const srv_client_t *c)
{
    return atomic_load_explicit(&c->io->qfree, memory_order_relaxed);
}

/* Contract in server.h. */
void srv_io_flush(void)
{
    for (int i = 0; i < nthreads; i++) {
        if (threads[i].wake) {
            threads[i].wake = 0;
            uv_async_send(&threads[i].async);
        }
    }
}

/* Sum of one counter over the threads. */
static uint64_t sum_counter(size_t offset)
{
    uint64_t n = 0;

    for (int i = 0; i < nthreads; i++)
        n += atomic_load_explicit(
            (_Atomic uint64_t *)(void *)((char *)&threads[i] + offset),
            memory_order_relaxed);
    return n;
}

/* Contract in server.h. */
uint64_t srv_io_net_input_bytes(void)
{
    return sum_counter(offsetof(io_thread_t, net_in));
}

/* Contract in server.h. */
uint64_t srv_io_net_output_bytes(void)
{
    return sum_counter(offsetof(io_thread_t, net_out));
}

/* Contract in server.h. */
void srv_io_info(resp_buf_t *b)
{
    char line[160];
    int n;

    for (int i = 0; i < nthreads; i++) {
        io_thread_t *t = &threads[i];

        n = snprintf(line, sizeof(line),
                     "io_thread_%d:reads=%llu,writes=%llu,clients=%lld\r\n",
                     t->id,
                     (unsigned long long)atomic_load_explicit(
                         &t->reads, memory_order_relaxed),
                     (unsigned long long)atomic_load_explicit(
                         &t->writes, memory_order_relaxed),
                     (long long)atomic_load_explicit(&t->clients,
                                                     memory_order_relaxed));
        if (n > 0 && (size_t)n < sizeof(line))
            resp_buf_append(b, line, (size_t)n);
    }
}
