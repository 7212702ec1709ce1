/*
 * gcload.c - load generator and stall meter of the collector benchmark
 * (tests/bench/gc/gcbench.py drives it; PERFORMANCE.md "Method").
 *
 *   gcload HOST PORT cycles N LEN     N hashes n:0..n:N-1, field "next" of
 *                                     each a strong REF.HSET reference to
 *                                     the next node of its cycle of LEN
 *   gcload HOST PORT delkeys N        DEL n:0..n:N-1, 1000 keys a command
 *   gcload HOST PORT list KEY N       RPUSH KEY N elements, 1000 a command
 *   gcload HOST PORT hash KEY N       HSET KEY N fields, 1000 a command
 *   gcload HOST PORT stall BASE_MS TIMEOUT_S [--tracked-zero] CMD ARG...
 *       A second connection runs a closed PING loop timing every round
 *       trip; after BASE_MS of it (the baseline) the control connection
 *       sends CMD (timed), then polls INFO gc/heap every 2 ms until no
 *       collection is under way, nothing is queued for deferred freeing
 *       (and, with --tracked-zero, nothing is tracked), then pings 100 ms
 *       more. Prints one JSON object: the command's latency, the time
 *       until done, and count/p50/p99/p99.9/max of the PING round trips
 *       ending in the baseline and in the measured window (CMD sent to
 *       the end: a PING held up by CMD counts there), with the number
 *       over 1 ms and the worst five ([ms after CMD was sent, round trip
 *       ms]). A server without those INFO fields (redis) is done when CMD
 *       replies.
 *       With GCLOAD_SLOW_LOG=PATH set, stall also writes PATH for
 *       attrib.py: "tid T" (the PING thread's thread id), "base", "send",
 *       "reply", "done" and "end" with their CLOCK_MONOTONIC time in ns
 *       (baseline start, CMD sent, CMD's reply, work done, last PING),
 *       then "ping T0 T1" (send and reply time, ns) of every round trip
 *       over GCLOAD_SLOW_US microseconds (default 1000).
 *
 * Pipelined loads keep WINDOW commands in flight and fail on any error
 * reply. Exit status 0, or 1 with a message on stderr.
 */
#define _GNU_SOURCE /* gettid */
#include <hiredis/hiredis.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define WINDOW 2000
#define BATCH 1000
#define KEYLEN 32
#define WORST 5

/* Nanoseconds of the monotonic clock. */
static uint64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Print msg and exit 1. */
static void die(const char *msg, const char *detail)
{
    fprintf(stderr, "gcload: %s%s%s\n", msg, detail ? ": " : "",
            detail ? detail : "");
    exit(1);
}

/* New connection to host:port (the caller owns it); exits on failure. */
static redisContext *connect_or_die(const char *host, int port)
{
    redisContext *c = redisConnect(host, port);

    if (!c || c->err)
        die("connect", c ? c->errstr : "out of memory");
    return c;
}

/* Pipelined sender: commands in flight and errors seen. */
typedef struct pipe {
    redisContext *c;
    long inflight;
    long errors;
    char first_error[128];
} pipe_t;

/* Read one reply of p, counting errors. */
static void pipe_read_one(pipe_t *p)
{
    redisReply *r;

    if (redisGetReply(p->c, (void **)&r) != REDIS_OK)
        die("read", p->c->errstr);
    if (r->type == REDIS_REPLY_ERROR) {
        if (!p->errors)
            snprintf(p->first_error, sizeof(p->first_error), "%s", r->str);
        p->errors++;
    }
    freeReplyObject(r);
    p->inflight--;
}

/* Queue one command (argv borrowed, copied by hiredis); reads replies
 * whenever WINDOW commands are in flight. */
static void pipe_send(pipe_t *p, int argc, const char **argv,
                      const size_t *lens)
{
    if (redisAppendCommandArgv(p->c, argc, argv, lens) != REDIS_OK)
        die("append", p->c->errstr);
    p->inflight++;
    if (p->inflight >= WINDOW) {
        while (p->inflight > WINDOW / 2)
            pipe_read_one(p);
    }
}

/* Read every outstanding reply; exits if any command failed. */
static void pipe_finish(pipe_t *p)
{
    while (p->inflight > 0)
        pipe_read_one(p);
    if (p->errors) {
        fprintf(stderr, "gcload: %ld error replies, first: %s\n", p->errors,
                p->first_error);
        exit(1);
    }
}

/* Name of node i into buf; returns its length. */
static size_t node_name(char *buf, long i)
{
    return (size_t)snprintf(buf, KEYLEN, "n:%ld", i);
}

/* cycles N LEN: each cycle is built backwards (its last node first, as a
 * plain hash, then REF.HSET of every earlier node onto its successor,
 * which creates it), then closed by pointing the last node at the first.
 * N + N/LEN commands. */
static void load_cycles(redisContext *c, long n, long len)
{
    pipe_t p = {.c = c};
    char a[KEYLEN], b[KEYLEN];
    const char *argv[4];
    size_t lens[4];

    if (len < 1)
        die("cycle length must be >= 1", NULL);
    for (long start = 0; start < n; start += len) {
        long last = start + len - 1 < n ? start + len - 1 : n - 1;

        argv[0] = "HSET";
        argv[1] = a;
        lens[1] = node_name(a, last);
        argv[2] = "next";
        argv[3] = "none";
        lens[0] = 4, lens[2] = 4, lens[3] = 4;
        pipe_send(&p, 4, argv, lens);
        argv[0] = "REF.HSET";
        lens[0] = 8;
        argv[3] = b;
        for (long i = last - 1; i >= start; i--) {
            lens[1] = node_name(a, i);
            lens[3] = node_name(b, i + 1);
            pipe_send(&p, 4, argv, lens);
        }
        lens[1] = node_name(a, last);
        lens[3] = node_name(b, start);
        pipe_send(&p, 4, argv, lens);
    }
    pipe_finish(&p);
}

/* delkeys N: DEL n:0..n:N-1, BATCH keys a command. */
static void del_keys(redisContext *c, long n)
{
    pipe_t p = {.c = c};
    static char names[BATCH][KEYLEN];
    const char *argv[BATCH + 1];
    size_t lens[BATCH + 1];

    argv[0] = "DEL";
    lens[0] = 3;
    for (long start = 0; start < n; start += BATCH) {
        int k = 0;

        for (long i = start; i < n && k < BATCH; i++, k++) {
            lens[k + 1] = node_name(names[k], i);
            argv[k + 1] = names[k];
        }
        pipe_send(&p, k + 1, argv, lens);
    }
    pipe_finish(&p);
}

/* list KEY N / hash KEY N: RPUSH or HSET in commands of BATCH elements
 * (list elements "xxx"; hash fields f:<i> with value "v"). */
static void load_big(redisContext *c, const char *kind, const char *key,
                     long n)
{
    pipe_t p = {.c = c};
    static char names[BATCH][KEYLEN];
    const char *argv[2 * BATCH + 2];
    size_t lens[2 * BATCH + 2];
    int hash = strcmp(kind, "hash") == 0;

    argv[0] = hash ? "HSET" : "RPUSH";
    lens[0] = strlen(argv[0]);
    argv[1] = key;
    lens[1] = strlen(key);
    for (long start = 0; start < n; start += BATCH) {
        int argc = 2;

        for (long i = start; i < n && i < start + BATCH; i++) {
            if (hash) {
                lens[argc] = (size_t)snprintf(names[i - start], KEYLEN,
                                              "f:%ld", i);
                argv[argc++] = names[i - start];
                argv[argc] = "v";
                lens[argc++] = 1;
            } else {
                argv[argc] = "xxx";
                lens[argc++] = 3;
            }
        }
        pipe_send(&p, argc, argv, lens);
    }
    pipe_finish(&p);
}

/* Round trips of the PING thread (ns), and when each ended. */
typedef struct samples {
    uint64_t *lat;
    uint64_t *end;
    size_t n, cap;
} samples_t;

static struct {
    const char *host;
    int port;
    atomic_int stop;
    atomic_int ready;
    pid_t tid;
    samples_t s;
    char error[128];
} pinger;

/* The PING thread: closed loop until pinger.stop. */
static void *ping_main(void *arg)
{
    redisContext *c = connect_or_die(pinger.host, pinger.port);

    (void)arg;
    pinger.tid = gettid();
    freeReplyObject(redisCommand(c, "PING")); /* warm up, not counted */
    atomic_store(&pinger.ready, 1);
    while (!atomic_load(&pinger.stop)) {
        uint64_t t0 = now_ns(), t1;
        redisReply *r = redisCommand(c, "PING");

        t1 = now_ns();
        if (!r || r->type == REDIS_REPLY_ERROR) {
            snprintf(pinger.error, sizeof(pinger.error), "%s",
                     r ? r->str : c->errstr);
            if (r)
                freeReplyObject(r);
            break;
        }
        freeReplyObject(r);
        if (pinger.s.n == pinger.s.cap) {
            size_t cap = pinger.s.cap ? pinger.s.cap * 2 : 1 << 16;
            uint64_t *l = realloc(pinger.s.lat, cap * sizeof(*l));
            uint64_t *e;

            if (!l)
                die("out of memory", NULL);
            pinger.s.lat = l;
            e = realloc(pinger.s.end, cap * sizeof(*e));
            if (!e)
                die("out of memory", NULL);
            pinger.s.end = e;
            pinger.s.cap = cap;
        }
        pinger.s.lat[pinger.s.n] = t1 - t0;
        pinger.s.end[pinger.s.n++] = t1;
    }
    redisFree(c);
    return NULL;
}

/* qsort order of uint64_t. */
static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return x < y ? -1 : x > y;
}

/* Value at quantile q of the sorted v[0..n-1] (nearest rank). */
static uint64_t quantile(const uint64_t *v, size_t n, double q)
{
    size_t i;

    if (!n)
        return 0;
    i = (size_t)(q * (double)n);
    if (i >= n)
        i = n - 1;
    return v[i];
}

/* Print, as [ms after from, round trip ms] pairs, the (at most WORST)
 * round trips ending in [from, to) that took at least min ns. */
static void print_worst(uint64_t from, uint64_t to, uint64_t min)
{
    int k = 0;

    for (size_t i = 0; i < pinger.s.n && k < WORST; i++) {
        uint64_t e = pinger.s.end[i];
        double start_ms = ((double)e - (double)pinger.s.lat[i] -
                           (double)from) / 1e6;

        if (e < from || e >= to || pinger.s.lat[i] < min || !min)
            continue;
        printf("%s[%.1f,%.2f]", k++ ? "," : "", start_ms,
               pinger.s.lat[i] / 1e6);
    }
}

/* Print "name":{count, p50, p99, p99.9, max (microseconds), round trips
 * over 1 ms, the worst ones} of the round trips ending in [from, to)
 * (a PING sent just before CMD and held up by it counts as measured). */
static void print_window(const char *name, uint64_t from, uint64_t to)
{
    uint64_t *v = malloc((pinger.s.n + 1) * sizeof(*v));
    size_t n = 0, over = 0;

    if (!v)
        die("out of memory", NULL);
    for (size_t i = 0; i < pinger.s.n; i++) {
        if (pinger.s.end[i] >= from && pinger.s.end[i] < to)
            v[n++] = pinger.s.lat[i];
    }
    qsort(v, n, sizeof(*v), cmp_u64);
    for (size_t i = 0; i < n; i++)
        over += v[i] > 1000000u;
    printf("\"%s\":{\"count\":%zu,\"p50_us\":%.1f,\"p99_us\":%.1f,"
           "\"p999_us\":%.1f,\"max_us\":%.1f,\"over_1ms\":%zu,"
           "\"worst\":[",
           name, n, quantile(v, n, 0.5) / 1e3, quantile(v, n, 0.99) / 1e3,
           quantile(v, n, 0.999) / 1e3, n ? v[n - 1] / 1e3 : 0.0, over);
    print_worst(from, to, n ? v[n >= WORST ? n - WORST : 0] : 0);
    printf("]}");
    free(v);
}

/* Value of integer field `name` in an INFO reply, or -1 if absent. */
static long long info_field(const char *info, const char *name)
{
    size_t len = strlen(name);

    for (const char *p = info; p && *p; p = strchr(p, '\n')) {
        if (*p == '\n')
            p++;
        if (strncmp(p, name, len) == 0 && p[len] == ':')
            return strtoll(p + len + 1, NULL, 10);
    }
    return -1;
}

/* Whether the server is done with the work the trigger started. */
static int work_done(redisContext *c, int tracked_zero)
{
    redisReply *r = redisCommand(c, "INFO gc heap");
    int done;

    if (!r || r->type != REDIS_REPLY_STRING)
        die("INFO", r && r->type == REDIS_REPLY_ERROR ? r->str : c->errstr);
    done = info_field(r->str, "gc_in_progress") <= 0 &&
           info_field(r->str, "heap_deferred_free_pending_objects") <= 0 &&
           (!tracked_zero || info_field(r->str, "gc_tracked_objects") <= 0);
    freeReplyObject(r);
    return done;
}

/* With GCLOAD_SLOW_LOG set, write the stall's marks (CLOCK_MONOTONIC ns)
 * and its PING round trips over GCLOAD_SLOW_US to that file (format at
 * the top of this file); exits if it cannot. marks[] is base, send,
 * reply, done. */
static void write_slow_log(const uint64_t marks[4])
{
    static const char *const names[4] = {"base", "send", "reply", "done"};
    const char *path = getenv("GCLOAD_SLOW_LOG");
    const char *us = getenv("GCLOAD_SLOW_US");
    uint64_t min = (us ? strtoull(us, NULL, 10) : 1000u) * 1000u;
    FILE *f;

    if (!path)
        return;
    f = fopen(path, "w");
    if (!f)
        die("GCLOAD_SLOW_LOG", path);
    fprintf(f, "tid %d\n", (int)pinger.tid);
    for (int i = 0; i < 4; i++)
        fprintf(f, "%s %llu\n", names[i], (unsigned long long)marks[i]);
    fprintf(f, "end %llu\n", pinger.s.n ?
            (unsigned long long)pinger.s.end[pinger.s.n - 1] : 0ull);
    for (size_t i = 0; i < pinger.s.n; i++) {
        if (pinger.s.lat[i] > min)
            fprintf(f, "ping %llu %llu\n",
                    (unsigned long long)(pinger.s.end[i] - pinger.s.lat[i]),
                    (unsigned long long)pinger.s.end[i]);
    }
    if (fclose(f))
        die("GCLOAD_SLOW_LOG", path);
}

/* Sleep ms milliseconds. */
static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

    nanosleep(&ts, NULL);
}

/* stall BASE_MS TIMEOUT_S [--tracked-zero] CMD ARG... */
static int stall(redisContext *c, int argc, char **argv)
{
    long base_ms, timeout_s;
    int tracked_zero = 0, timed_out = 0;
    pthread_t th;
    uint64_t t_base, t_send, t_reply, t_done, deadline;
    redisReply *r;

    if (argc < 3)
        die("usage: stall BASE_MS TIMEOUT_S [--tracked-zero] CMD ...", NULL);
    base_ms = atol(argv[0]);
    timeout_s = atol(argv[1]);
    argc -= 2, argv += 2;
    if (strcmp(argv[0], "--tracked-zero") == 0)
        tracked_zero = 1, argc--, argv++;
    if (argc < 1)
        die("stall: no command", NULL);
    if (pthread_create(&th, NULL, ping_main, NULL))
        die("pthread_create", NULL);
    while (!atomic_load(&pinger.ready))
        sleep_ms(1);
    t_base = now_ns();
    sleep_ms(base_ms);
    t_send = now_ns();
    r = redisCommandArgv(c, argc, (const char **)argv, NULL);
    t_reply = now_ns();
    if (!r || r->type == REDIS_REPLY_ERROR)
        die("trigger command", r ? r->str : c->errstr);
    freeReplyObject(r);
    deadline = t_send + (uint64_t)timeout_s * 1000000000u;
    while (!work_done(c, tracked_zero)) {
        if (now_ns() > deadline) {
            timed_out = 1;
            break;
        }
        sleep_ms(2);
    }
    t_done = now_ns();
    sleep_ms(100);
    atomic_store(&pinger.stop, 1);
    pthread_join(th, NULL);
    if (pinger.error[0])
        die("PING", pinger.error);
    write_slow_log((const uint64_t[4]){t_base, t_send, t_reply, t_done});
    printf("{\"cmd_us\":%.1f,\"done_us\":%.1f,\"timed_out\":%d,",
           (t_reply - t_send) / 1e3, (t_done - t_send) / 1e3, timed_out);
    print_window("base", t_base, t_send);
    printf(",");
    print_window("during", t_send, UINT64_MAX);
    printf("}\n");
    return timed_out;
}

int main(int argc, char **argv)
{
    redisContext *c;
    const char *mode = argc >= 4 ? argv[3] : "";
    int big = strcmp(mode, "list") == 0 || strcmp(mode, "hash") == 0;
    int rc = 0;

    if (!((strcmp(mode, "cycles") == 0 && argc == 6) ||
          (strcmp(mode, "delkeys") == 0 && argc == 5) ||
          (big && argc == 6) || strcmp(mode, "stall") == 0))
        die("usage: gcload HOST PORT cycles|delkeys|list|hash|stall ... "
            "(see the comment at the top of gcload.c)", NULL);
    pinger.host = argv[1];
    pinger.port = atoi(argv[2]);
    c = connect_or_die(argv[1], pinger.port);
    if (strcmp(mode, "cycles") == 0)
        load_cycles(c, atol(argv[4]), atol(argv[5]));
    else if (strcmp(mode, "delkeys") == 0)
        del_keys(c, atol(argv[4]));
    else if (big)
        load_big(c, mode, argv[4], atol(argv[5]));
    else
        rc = stall(c, argc - 4, argv + 4);
    redisFree(c);
    free(pinger.s.lat);
    free(pinger.s.end);
    return rc;
}
