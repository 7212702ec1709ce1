/*
 * latency.c -- open-loop fixed-rate latency probe for a RESP server.
 *
 * Request i is due at t0 + i / rate, whatever happened to the replies of
 * earlier requests; it goes out on connection i % conns. Each reply's
 * latency is measured from its request's DUE time, not from the moment it
 * was written, so a server (or client) stall shows up in the percentiles
 * instead of being hidden by a client that slows down (coordinated
 * omission). The first `warmup` seconds are sent but not recorded.
 *
 * Built by tests/bench/bench.sh with `cc -O2`; raw sockets, no library.
 *
 * Usage: latency -p PORT [-h HOST] [-r RATE] [-t SECONDS] [-w WARMUP]
 *                [-c CONNS] [-d VALUE_BYTES] [-k KEYSPACE] [-m get|set|ping]
 * Prints one line of key=value pairs: requests recorded, replies missing,
 * error replies, p50/p90/p99/p99.9/max latency in microseconds (from the
 * due time), the same from the moment the request was written (svc_*:
 * without the client's send lag), the client's own send lag
 * percentiles (how late it wrote a request after its due time) and its
 * longest gap between two turns of its loop (stall_max_us: the client held
 * off its CPU). A large lag or stall means the client, not the server,
 * fell behind: compare them with the server's p99 before reading it.
 * The timer slack is set to 1 ns so that the poll wakes on time.
 * Exit status: 0, 1 on a connection or protocol failure, 2 on bad usage.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define LAT_MAX_CONNS 64
#define LAT_READ_CHUNK 65536
#define LAT_DRAIN_NS (10ULL * 1000000000ULL)

typedef struct {
    char *data;
    size_t len;
    size_t cap;
    size_t off; /* bytes already consumed from the front */
} lat_buf_t;

typedef struct {
    uint64_t *due;  /* due times (ns) of requests awaiting a reply */
    uint64_t *sent; /* when each was queued for writing (ns) */
    size_t head;    /* index of the oldest */
    size_t count;
    size_t cap;     /* power of two */
} lat_fifo_t;

typedef struct {
    int fd;
    lat_buf_t out;
    lat_buf_t in;
    lat_fifo_t fifo;
} lat_conn_t;

typedef struct {
    const char *host;
    int port;
    double rate;
    double seconds;
    double warmup;
    int conns;
    size_t value_bytes;
    long keyspace;
    const char *mode;
} lat_opts_t;

/* Monotonic clock in nanoseconds. */
static uint64_t lat_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Make room for n more bytes at the end of b (compacting the consumed
 * front first). Returns 0 or -ENOMEM. */
static int lat_buf_reserve(lat_buf_t *b, size_t n)
{
    if (b->off > 0 && b->off == b->len) {
        b->off = b->len = 0;
    } else if (b->off > b->cap / 2) {
        memmove(b->data, b->data + b->off, b->len - b->off);
        b->len -= b->off;
        b->off = 0;
    }
    if (b->len + n <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + n)
        cap *= 2;
    char *p = realloc(b->data, cap);
    if (!p)
        return -ENOMEM;
    b->data = p;
    b->cap = cap;
    return 0;
}

/* Append n bytes of s to b. Returns 0 or -ENOMEM. */
static int lat_buf_append(lat_buf_t *b, const char *s, size_t n)
{
    if (lat_buf_reserve(b, n) < 0)
        return -ENOMEM;
    memcpy(b->data + b->len, s, n);
    b->len += n;
    return 0;
}

/* Push a request's due and send times onto f. Returns 0 or -ENOMEM. */
static int lat_fifo_push(lat_fifo_t *f, uint64_t due, uint64_t sent)
{
    if (f->count == f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 1024;
        uint64_t *p = malloc(cap * sizeof(*p));
        uint64_t *q = malloc(cap * sizeof(*q));
        if (!p || !q) {
            free(p);
            free(q);
            return -ENOMEM;
        }
        for (size_t i = 0; i < f->count; i++) {
            p[i] = f->due[(f->head + i) & (f->cap - 1)];
            q[i] = f->sent[(f->head + i) & (f->cap - 1)];
        }
        free(f->due);
        free(f->sent);
        f->due = p;
        f->sent = q;
        f->head = 0;
        f->cap = cap;
    }
    f->due[(f->head + f->count) & (f->cap - 1)] = due;
    f->sent[(f->head + f->count) & (f->cap - 1)] = sent;
    f->count++;
    return 0;
}

/* Pop the oldest request of f (f must not be empty): returns its due
 * time, its send time in *sent. */
static uint64_t lat_fifo_pop(lat_fifo_t *f, uint64_t *sent)
{
    uint64_t due = f->due[f->head];

    *sent = f->sent[f->head];
    f->head = (f->head + 1) & (f->cap - 1);
    f->count--;
    return due;
}

/* Length of the CRLF-terminated line at p (n bytes available), CRLF
 * included, or 0 if it is not complete yet. */
static size_t lat_line(const char *p, size_t n)
{
    for (size_t i = 0; i + 1 < n; i++)
        if (p[i] == '\r' && p[i + 1] == '\n')
            return i + 2;
    return 0;
}

/* Size of the complete RESP2 reply at p (n bytes available): > 0 when
 * complete, 0 when more bytes are needed, -1 on a protocol error. *is_err
 * is set when the reply (or an element of it) is an error reply. */
static long lat_reply_size(const char *p, size_t n, int *is_err)
{
    size_t line = lat_line(p, n);

    if (line == 0)
        return 0;
    switch (p[0]) {
    case '-':
        *is_err = 1;
        /* fall through */
    case '+':
    case ':':
        return (long)line;
    case '$': {
        long len = strtol(p + 1, NULL, 10);
        if (len < 0)
            return (long)line;
        size_t total = line + (size_t)len + 2;
        return total <= n ? (long)total : 0;
    }
    case '*': {
        long items = strtol(p + 1, NULL, 10);
        size_t total = line;
        for (long i = 0; i < items; i++) {
            long sz = lat_reply_size(p + total, n - total, is_err);
            if (sz <= 0)
                return sz;
            total += (size_t)sz;
        }
        return (long)total;
    }
    default:
        return -1;
    }
}

/* Open a non-blocking TCP connection with TCP_NODELAY to host:port.
 * Returns the fd or -1 (message on stderr). */
static int lat_connect(const char *host, int port)
{
    struct addrinfo hints = {0}, *res = NULL;
    char service[16];
    int fd, one = 1;

    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    snprintf(service, sizeof(service), "%d", port);
    int rc = getaddrinfo(host, service, &hints, &res);
    if (rc != 0) {
        fprintf(stderr, "latency: %s: %s\n", host, gai_strerror(rc));
        return -1;
    }
    fd = socket(res->ai_family, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, res->ai_addr, res->ai_addrlen) < 0) {
        fprintf(stderr, "latency: connect %s:%d: %s\n", host, port,
                strerror(errno));
        if (fd >= 0)
            close(fd);
        freeaddrinfo(res);
        return -1;
    }
    freeaddrinfo(res);
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    return fd;
}

/* Next value of a xorshift64 generator kept in *state. */
static uint64_t lat_rand(uint64_t *state)
{
    uint64_t x = *state;

    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *state = x;
    return x;
}

/* Append one request (mode GET, SET or PING on a random key of the
 * keyspace, named as redis-benchmark names them) to c's output buffer.
 * Returns 0 or -ENOMEM. */
static int lat_build(lat_conn_t *c, const lat_opts_t *o, const char *value,
                     uint64_t *rng)
{
    char head[128];
    char key[32];
    int n;

    if (strcmp(o->mode, "ping") == 0)
        return lat_buf_append(&c->out, "*1\r\n$4\r\nPING\r\n", 14);
    n = snprintf(key, sizeof(key), "key:%012ld",
                 (long)(lat_rand(rng) % (uint64_t)o->keyspace));
    if (strcmp(o->mode, "get") == 0) {
        n = snprintf(head, sizeof(head), "*2\r\n$3\r\nGET\r\n$%d\r\n%s\r\n",
                     n, key);
        return lat_buf_append(&c->out, head, (size_t)n);
    }
    n = snprintf(head, sizeof(head), "*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%zu\r\n",
                 n, key, o->value_bytes);
    if (lat_buf_append(&c->out, head, (size_t)n) < 0 ||
        lat_buf_append(&c->out, value, o->value_bytes) < 0 ||
        lat_buf_append(&c->out, "\r\n", 2) < 0)
        return -ENOMEM;
    return 0;
}

/* Write as much of c's output buffer as the socket takes. Returns 0 or
 * -1 on a connection error. */
static int lat_flush(lat_conn_t *c)
{
    while (c->out.off < c->out.len) {
        ssize_t w = write(c->fd, c->out.data + c->out.off,
                          c->out.len - c->out.off);
        if (w < 0) {
            if (errno == EAGAIN || errno == EINTR)
                return 0;
            fprintf(stderr, "latency: write: %s\n", strerror(errno));
            return -1;
        }
        c->out.off += (size_t)w;
    }
    return 0;
}

typedef struct {
    uint64_t *lat;     /* recorded latencies from the due time, ns */
    uint64_t *svc;     /* the same from the send time, ns */
    size_t nlat;
    uint64_t first_rec; /* index of the first recorded request */
    uint64_t errors;
} lat_stats_t;

/* Read what c's socket has and account every complete reply (latency
 * from its due time to now). Returns 0, or -1 on a connection or
 * protocol error. */
static int lat_read(lat_conn_t *c, lat_stats_t *st, uint64_t first_due)
{
    for (;;) {
        if (lat_buf_reserve(&c->in, LAT_READ_CHUNK) < 0)
            return -1;
        ssize_t r = read(c->fd, c->in.data + c->in.len, c->in.cap - c->in.len);
        if (r == 0) {
            fprintf(stderr, "latency: server closed the connection\n");
            return -1;
        }
        if (r < 0) {
            if (errno == EAGAIN || errno == EINTR)
                return 0;
            fprintf(stderr, "latency: read: %s\n", strerror(errno));
            return -1;
        }
        c->in.len += (size_t)r;
        uint64_t now = lat_now();
        for (;;) {
            int is_err = 0;
            long sz = lat_reply_size(c->in.data + c->in.off,
                                     c->in.len - c->in.off, &is_err);
            if (sz < 0) {
                fprintf(stderr, "latency: protocol error\n");
                return -1;
            }
            if (sz == 0)
                break;
            if (c->fifo.count == 0) {
                fprintf(stderr, "latency: reply without a request\n");
                return -1;
            }
            c->in.off += (size_t)sz;
            uint64_t sent;
            uint64_t due = lat_fifo_pop(&c->fifo, &sent);
            st->errors += (uint64_t)is_err;
            if (due >= first_due) {
                st->svc[st->nlat] = now - sent;
                st->lat[st->nlat++] = now - due;
            }
        }
    }
}

/* qsort comparator for uint64_t. */
static int lat_cmp(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return (x > y) - (x < y);
}

/* Nearest-rank percentile p (0..1) of the sorted v[n], in microseconds. */
static double lat_pct(const uint64_t *v, size_t n, double p)
{
    if (n == 0)
        return 0.0;
    size_t rank = (size_t)(p * (double)n + 0.999999);
    if (rank < 1)
        rank = 1;
    if (rank > n)
        rank = n;
    return (double)v[rank - 1] / 1000.0;
}

/* Parse argv into o. Returns 0, or -1 after printing the usage. */
static int lat_parse(int argc, char **argv, lat_opts_t *o)
{
    int opt;

    *o = (lat_opts_t){"127.0.0.1", 0, 20000, 10, 1, 4, 64, 100000, "get"};
    while ((opt = getopt(argc, argv, "h:p:r:t:w:c:d:k:m:")) != -1) {
        switch (opt) {
        case 'h': o->host = optarg; break;
        case 'p': o->port = atoi(optarg); break;
        case 'r': o->rate = atof(optarg); break;
        case 't': o->seconds = atof(optarg); break;
        case 'w': o->warmup = atof(optarg); break;
        case 'c': o->conns = atoi(optarg); break;
        case 'd': o->value_bytes = (size_t)atol(optarg); break;
        case 'k': o->keyspace = atol(optarg); break;
        case 'm': o->mode = optarg; break;
        default: goto usage;
        }
    }
    if (o->port <= 0 || o->rate <= 0 || o->seconds <= 0 || o->warmup < 0 ||
        o->conns < 1 || o->conns > LAT_MAX_CONNS || o->keyspace < 1 ||
        (strcmp(o->mode, "get") && strcmp(o->mode, "set") &&
         strcmp(o->mode, "ping")))
        goto usage;
    return 0;
usage:
    fprintf(stderr, "usage: latency -p PORT [-h HOST] [-r RATE] [-t SECONDS] "
            "[-w WARMUP] [-c CONNS 1..%d] [-d VALUE_BYTES] [-k KEYSPACE] "
            "[-m get|set|ping]\n", LAT_MAX_CONNS);
    return -1;
}

int main(int argc, char **argv)
{
    lat_opts_t o;
    lat_conn_t conns[LAT_MAX_CONNS];
    struct pollfd pfd[LAT_MAX_CONNS];
    lat_stats_t st = {0};
    uint64_t rng = 0x9e3779b97f4a7c15ULL;

    if (lat_parse(argc, argv, &o) < 0)
        return 2;
    signal(SIGPIPE, SIG_IGN);
    prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
    double interval = 1e9 / o.rate;
    uint64_t total = (uint64_t)(o.rate * (o.warmup + o.seconds));
    st.first_rec = (uint64_t)(o.rate * o.warmup);
    st.lat = malloc((size_t)(total - st.first_rec + 1) * sizeof(uint64_t));
    st.svc = malloc((size_t)(total - st.first_rec + 1) * sizeof(uint64_t));
    uint64_t *lag = malloc((size_t)(total + 1) * sizeof(uint64_t));
    char *value = malloc(o.value_bytes + 1);
    if (!st.lat || !st.svc || !lag || !value) {
        fprintf(stderr, "latency: out of memory\n");
        return 1;
    }
    memset(value, 'x', o.value_bytes);
    memset(conns, 0, sizeof(conns));
    for (int i = 0; i < o.conns; i++) {
        conns[i].fd = lat_connect(o.host, o.port);
        if (conns[i].fd < 0)
            return 1;
    }

    uint64_t t0 = lat_now() + 1000000; /* 1 ms from now */
    uint64_t first_due = t0 + (uint64_t)((double)st.first_rec * interval);
    uint64_t next = 0, nlag = 0, deadline = 0, turn = 0, stall = 0;
    for (;;) {
        uint64_t now = lat_now();
        /* A turn starts after the poll; a long one is the client held
         * off its CPU (or a long read), measured while requests flow. */
        if (turn && next < total && now - turn > stall)
            stall = now - turn;
        /* Queue every request that is due, on its connection. */
        while (next < total) {
            uint64_t due = t0 + (uint64_t)((double)next * interval);
            if (due > now)
                break;
            lat_conn_t *c = &conns[next % (uint64_t)o.conns];
            if (lat_build(c, &o, value, &rng) < 0 ||
                lat_fifo_push(&c->fifo, due, now) < 0) {
                fprintf(stderr, "latency: out of memory\n");
                return 1;
            }
            lag[nlag++] = now - due;
            next++;
        }
        size_t pending = 0;
        for (int i = 0; i < o.conns; i++) {
            if (lat_flush(&conns[i]) < 0)
                return 1;
            pending += conns[i].fifo.count;
            pfd[i].fd = conns[i].fd;
            pfd[i].events = POLLIN;
            if (conns[i].out.off < conns[i].out.len)
                pfd[i].events |= POLLOUT;
            pfd[i].revents = 0;
        }
        if (next == total) {
            if (pending == 0)
                break;
            if (deadline == 0)
                deadline = now + LAT_DRAIN_NS;
            if (now >= deadline)
                break;
        }
        /* Sleep until the next due time or until a socket is ready. */
        uint64_t wake = next < total
            ? t0 + (uint64_t)((double)next * interval) : deadline;
        uint64_t wait = wake > now ? wake - now : 0;
        struct timespec ts = {(time_t)(wait / 1000000000ULL),
                              (long)(wait % 1000000000ULL)};
        int n = ppoll(pfd, (nfds_t)o.conns, &ts, NULL);
        if (n < 0 && errno != EINTR) {
            perror("latency: ppoll");
            return 1;
        }
        uint64_t woke = lat_now();
        if (woke > wake && wait > 0 && next < total &&
            woke - wake > stall)
            stall = woke - wake; /* overslept: the client was held off */
        for (int i = 0; n > 0 && i < o.conns; i++) {
            if (pfd[i].revents & (POLLIN | POLLERR | POLLHUP))
                if (lat_read(&conns[i], &st, first_due) < 0)
                    return 1;
        }
        turn = woke;
    }

    uint64_t missing = 0;
    for (int i = 0; i < o.conns; i++) {
        missing += conns[i].fifo.count;
        close(conns[i].fd);
        free(conns[i].out.data);
        free(conns[i].in.data);
        free(conns[i].fifo.due);
        free(conns[i].fifo.sent);
    }
    qsort(st.lat, st.nlat, sizeof(uint64_t), lat_cmp);
    qsort(st.svc, st.nlat, sizeof(uint64_t), lat_cmp);
    qsort(lag, nlag, sizeof(uint64_t), lat_cmp);
    printf("requests=%zu missing=%llu errors=%llu rate=%.0f "
           "p50_us=%.1f p90_us=%.1f p99_us=%.1f p999_us=%.1f max_us=%.1f "
           "svc_p50_us=%.1f svc_p99_us=%.1f svc_p999_us=%.1f "
           "send_lag_p50_us=%.1f send_lag_p99_us=%.1f "
           "send_lag_p999_us=%.1f send_lag_max_us=%.1f stall_max_us=%.1f\n",
           st.nlat, (unsigned long long)missing,
           (unsigned long long)st.errors, o.rate,
           lat_pct(st.lat, st.nlat, 0.50), lat_pct(st.lat, st.nlat, 0.90),
           lat_pct(st.lat, st.nlat, 0.99), lat_pct(st.lat, st.nlat, 0.999),
           st.nlat ? (double)st.lat[st.nlat - 1] / 1000.0 : 0.0,
           lat_pct(st.svc, st.nlat, 0.50), lat_pct(st.svc, st.nlat, 0.99),
           lat_pct(st.svc, st.nlat, 0.999),
           lat_pct(lag, nlag, 0.50), lat_pct(lag, nlag, 0.99),
           lat_pct(lag, nlag, 0.999),
           nlag ? (double)lag[nlag - 1] / 1000.0 : 0.0,
           (double)stall / 1000.0);
    fflush(stdout);
    free(st.lat);
    free(st.svc);
    free(lag);
    free(value);
    return missing ? 1 : 0;
}
