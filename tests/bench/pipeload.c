/*
 * pipeload.c -- a closed-loop pipelined load generator that costs the
 * client as little as possible, to measure a server's capacity where
 * redis-benchmark cannot: on a 2-core machine redis-benchmark's own CPU
 * per request (hiredis builds a reply object per element) is above the
 * servers' for PING -P 32 and LRANGE_100, so both servers wait for it
 * (RESULTS.md "Which rows the client limits").
 *
 * Each connection sends P copies of one command, reads until their P
 * replies are complete, and sends the next P, until n requests are
 * answered. Replies are not built, only skipped by an incremental RESP2
 * scanner (simple strings, errors, integers, bulk strings, nested arrays
 * split anywhere across reads); error replies are counted.
 *
 * Built by tests/bench/servercap.sh with `cc -O2`; raw sockets, epoll.
 *
 * Usage: pipeload -p PORT [-h HOST] [-c CONNS] [-P PIPELINE] [-n REQUESTS]
 *                 -- COMMAND [ARG ...]
 * Prints one line: requests=N seconds=S ops=OPS errors=E.
 * Exit status: 0, 1 on a connection or protocol failure, 2 on bad usage.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define PL_MAX_CONNS 512
#define PL_MAX_DEPTH 8 /* nesting of arrays in a reply */
#define PL_READ_CHUNK 65536

/* The incremental reply scanner of one connection. */
typedef struct {
    char line[64];   /* the header line read so far (type byte on) */
    size_t line_len;
    int in_line;     /* 1: reading a header line up to '\n' */
    uint64_t bulk;   /* payload bytes (with CRLF) still to skip */
    int64_t left[PL_MAX_DEPTH]; /* elements still due per open array */
    int depth;
} pl_scan_t;

typedef struct {
    int fd;
    pl_scan_t scan;
    uint64_t due;    /* replies outstanding */
    size_t out_off;  /* bytes of the batch written so far; 0: idle */
} pl_conn_t;

static const char *batch;   /* P copies of the command */
static size_t batch_len;
static uint64_t pipeline = 32, to_send, answered, errors;

static uint64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void die(const char *what)
{
    fprintf(stderr, "pipeload: %s: %s\n", what, strerror(errno));
    exit(1);
}

/* One RESP value of the reply ended: close the arrays it completes.
 * Returns 1 when a whole (top-level) reply ended. */
static int scan_value_done(pl_scan_t *s)
{
    while (s->depth > 0) {
        if (--s->left[s->depth - 1] > 0)
            return 0;
        s->depth--;
    }
    return 1;
}

/* A complete header line s->line (type byte, text, no CRLF): returns 1
 * when it ended a whole reply, 0 if not, -1 on a protocol error. */
static int scan_header(pl_scan_t *s)
{
    long long n;
    char *end;

    s->line[s->line_len] = '\0';
    switch (s->line[0]) {
    case '-':
        errors++;
        /* fall through */
    case '+':
    case ':':
        return scan_value_done(s);
    case '$':
    case '*':
        n = strtoll(s->line + 1, &end, 10);
        if (end == s->line + 1 || *end != '\0')
            return -1;
        if (n < 0)
            return scan_value_done(s);
        if (s->line[0] == '$') {
            s->bulk = (uint64_t)n + 2;
            return 0;
        }
        if (n == 0)
            return scan_value_done(s);
        if (s->depth == PL_MAX_DEPTH)
            return -1;
        s->left[s->depth++] = n;
        return 0;
    default:
        return -1;
    }
}

/* Scan p[0..len): returns how many whole replies ended in it, or -1 on
 * a protocol error. */
static long scan(pl_scan_t *s, const char *p, size_t len)
{
    long done = 0;
    size_t i = 0;

    while (i < len) {
        if (s->bulk > 0) {
            uint64_t take = len - i < s->bulk ? len - i : s->bulk;

            s->bulk -= take;
            i += take;
            if (s->bulk == 0)
                done += scan_value_done(s);
            continue;
        }
        const char *nl = memchr(p + i, '\n', len - i);
        size_t n = nl ? (size_t)(nl - (p + i)) : len - i;

        if (s->line_len + n >= sizeof(s->line))
            return -1;
        memcpy(s->line + s->line_len, p + i, n);
        s->line_len += n;
        i += n;
        if (!nl)
            break;
        i++; /* the '\n' */
        if (s->line_len == 0 || s->line[s->line_len - 1] != '\r')
            return -1;
        s->line_len--;
        int r = scan_header(s);

        s->line_len = 0;
        if (r < 0)
            return -1;
        done += r;
    }
    return done;
}

/* The RESP encoding of argv, P times. */
static void build_batch(int argc, char **argv)
{
    size_t one = 0, off = 0;
    char *buf, *cmd;

    one += (size_t)snprintf(NULL, 0, "*%d\r\n", argc);
    for (int i = 0; i < argc; i++)
        one += (size_t)snprintf(NULL, 0, "$%zu\r\n", strlen(argv[i])) +
               strlen(argv[i]) + 2;
    cmd = malloc(one + 1);
    buf = malloc(one * pipeline);
    if (!cmd || !buf)
        die("malloc");
    off += (size_t)sprintf(cmd + off, "*%d\r\n", argc);
    for (int i = 0; i < argc; i++)
        off += (size_t)sprintf(cmd + off, "$%zu\r\n%s\r\n", strlen(argv[i]),
                               argv[i]);
    for (uint64_t i = 0; i < pipeline; i++)
        memcpy(buf + i * one, cmd, one);
    free(cmd);
    batch = buf;
    batch_len = one * pipeline;
}

static int connect_to(const char *host, const char *port)
{
    struct addrinfo hints = {0}, *res;
    int fd, one = 1;

    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(host, port, &hints, &res) != 0) {
        fprintf(stderr, "pipeload: cannot resolve %s\n", host);
        exit(1);
    }
    fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (fd < 0)
        die("socket");
    if (connect(fd, res->ai_addr, res->ai_addrlen) < 0 &&
        errno != EINPROGRESS)
        die("connect");
    freeaddrinfo(res);
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    return fd;
}

/* Write what is left of c's batch; starts one if c is idle and requests
 * remain. Returns 1 while bytes are still to go (wait for EPOLLOUT). */
static int conn_send(pl_conn_t *c)
{
    if (c->out_off == 0) {
        if (c->due > 0 || to_send == 0)
            return 0;
        c->due = pipeline;
        to_send = to_send > pipeline ? to_send - pipeline : 0;
    }
    while (c->out_off < batch_len) {
        ssize_t w = write(c->fd, batch + c->out_off, batch_len - c->out_off);

        if (w < 0) {
            if (errno == EAGAIN)
                return 1;
            die("write");
        }
        c->out_off += (size_t)w;
    }
    c->out_off = 0;
    return 0;
}

/* Read what c's socket holds; counts the replies it ends. */
static void conn_read(pl_conn_t *c, char *buf)
{
    for (;;) {
        ssize_t r = read(c->fd, buf, PL_READ_CHUNK);
        long done;

        if (r < 0) {
            if (errno == EAGAIN)
                return;
            die("read");
        }
        if (r == 0) {
            fprintf(stderr, "pipeload: the server closed a connection\n");
            exit(1);
        }
        done = scan(&c->scan, buf, (size_t)r);
        if (done < 0 || (uint64_t)done > c->due) {
            fprintf(stderr, "pipeload: protocol error in a reply\n");
            exit(1);
        }
        c->due -= (uint64_t)done;
        answered += (uint64_t)done;
        if ((size_t)r < PL_READ_CHUNK)
            return;
    }
}

static void usage(void)
{
    fprintf(stderr, "usage: pipeload -p PORT [-h HOST] [-c CONNS] "
                    "[-P PIPELINE] [-n REQUESTS] -- COMMAND [ARG ...]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    const char *host = "127.0.0.1", *port = NULL;
    static pl_conn_t conns[PL_MAX_CONNS];
    static char buf[PL_READ_CHUNK];
    struct epoll_event ev, evs[64];
    uint64_t total = 1000000, t0;
    int nconns = 50, opt, ep;

    while ((opt = getopt(argc, argv, "h:p:c:P:n:")) != -1) {
        switch (opt) {
        case 'h': host = optarg; break;
        case 'p': port = optarg; break;
        case 'c': nconns = atoi(optarg); break;
        case 'P': pipeline = strtoull(optarg, NULL, 10); break;
        case 'n': total = strtoull(optarg, NULL, 10); break;
        default: usage();
        }
    }
    if (!port || optind >= argc || nconns < 1 || nconns > PL_MAX_CONNS ||
        pipeline < 1 || total < pipeline)
        usage();
    total -= total % pipeline;
    to_send = total;
    build_batch(argc - optind, argv + optind);
    ep = epoll_create1(0);
    if (ep < 0)
        die("epoll_create1");
    for (int i = 0; i < nconns; i++) {
        conns[i].fd = connect_to(host, port);
        ev.events = EPOLLIN | EPOLLOUT | EPOLLET;
        ev.data.ptr = &conns[i];
        if (epoll_ctl(ep, EPOLL_CTL_ADD, conns[i].fd, &ev) < 0)
            die("epoll_ctl");
    }
    t0 = now_ns();
    while (answered < total) {
        int n = epoll_wait(ep, evs, 64, 10000);

        if (n < 0) {
            if (errno == EINTR)
                continue;
            die("epoll_wait");
        }
        if (n == 0) {
            fprintf(stderr, "pipeload: no reply for 10 s\n");
            return 1;
        }
        for (int i = 0; i < n; i++) {
            pl_conn_t *c = evs[i].data.ptr;

            if (evs[i].events & (EPOLLERR | EPOLLHUP)) {
                fprintf(stderr, "pipeload: connection failed\n");
                return 1;
            }
            if (evs[i].events & EPOLLIN)
                conn_read(c, buf);
            (void)conn_send(c);
        }
    }
    double secs = (double)(now_ns() - t0) / 1e9;

    printf("requests=%llu seconds=%.3f ops=%.0f errors=%llu\n",
           (unsigned long long)total, secs, (double)total / secs,
           (unsigned long long)errors);
    return 0;
}
