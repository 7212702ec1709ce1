/*
 * slowlog.c - the slow log (SLOWLOG GET/LEN/RESET/HELP, fed by dispatch
 * through srv_slowlog_push) and the latency monitor (LATENCY
 * LATEST/HISTORY/RESET/HELP, fed by srv_latency_add).
 *
 * Slow log entries are Redis 7.0's: [id, unix time, duration us, args,
 * client addr, client name], newest first, at most slowlog-max-len of
 * them. Arguments are trimmed as Redis trims them (32 arguments, 128
 * bytes each) and secrets (AUTH, HELLO AUTH, CONFIG SET requirepass /
 * masterauth, MIGRATE AUTH/AUTH2) are stored as "(redacted)".
 * Latency events keep the last 160 one-second samples each, as Redis.
 */
#include "server.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"

/* ---------------------------------------------------------------------
 * Slow log
 * ------------------------------------------------------------------ */

#define SLOWLOG_MAX_ARGC 32   /* Redis's SLOWLOG_ENTRY_MAX_ARGC */
#define SLOWLOG_MAX_STRING 128 /* Redis's SLOWLOG_ENTRY_MAX_STRING */

typedef struct slow_arg {
    char *ptr; /* hp_malloc'ed copy, NUL-terminated */
    size_t len;
} slow_arg_t;

typedef struct slow_entry {
    uint64_t id;
    int64_t time;        /* unix seconds */
    int64_t duration_us;
    int argc;
    slow_arg_t *argv;
    char *addr;          /* "ip:port" */
    char *name;          /* client name or "" */
    struct slow_entry *prev, *next; /* newer, older */
} slow_entry_t;

static slow_entry_t *slow_head, *slow_tail; /* newest, oldest */
static size_t slow_len;
static uint64_t slow_next_id;

/* hp_malloc'ed NUL-terminated copy of s[0..len), or NULL. */
static char *dup_bytes(const char *s, size_t len)
{
    char *p = hp_malloc(len + 1);

    if (p != NULL) {
        memcpy(p, s, len);
        p[len] = '\0';
    }
    return p;
}

static void entry_free(slow_entry_t *e)
{
    int i;

    for (i = 0; i < e->argc; i++) {
        hp_free(e->argv[i].ptr);
    }
    hp_free(e->argv);
    hp_free(e->addr);
    hp_free(e->name);
    hp_free(e);
}

/* Drop the oldest entries until at most max remain. */
static void slowlog_trim(int64_t max)
{
    while (slow_tail != NULL && (int64_t)slow_len > (max < 0 ? 0 : max)) {
        slow_entry_t *e = slow_tail;
        slow_tail = e->prev;
        if (slow_tail != NULL) {
            slow_tail->next = NULL;
        } else {
            slow_head = NULL;
        }
        entry_free(e);
        slow_len--;
    }
}

/* Is argument j of argv a secret that must not be logged? */
static int arg_is_secret(int argc, const resp_slice_t *argv, int j)
{
    int k;

    if (srv_arg_is(&argv[0], "auth")) {
        return j >= 1;
    }
    if (srv_arg_is(&argv[0], "hello")) {
        for (k = 2; k + 2 < argc; k++) {
            if (srv_arg_is(&argv[k], "auth")) {
                return j == k + 1 || j == k + 2;
            }
        }
        return 0;
    }
    if (srv_arg_is(&argv[0], "config") && argc >= 4 &&
        srv_arg_is(&argv[1], "set") && j >= 3 && j % 2 == 1) {
        return srv_arg_is(&argv[j - 1], "requirepass") ||
               srv_arg_is(&argv[j - 1], "masterauth");
    }
    if (srv_arg_is(&argv[0], "migrate") && j >= 2) {
        return srv_arg_is(&argv[j - 1], "auth") ||
               srv_arg_is(&argv[j - 1], "auth2") ||
               (j >= 3 && srv_arg_is(&argv[j - 2], "auth2"));
    }
    return 0;
}

/* Store argument j of argv into *dst following Redis's trimming rules. */
static int store_arg(slow_arg_t *dst, int argc, const resp_slice_t *argv,
                     int j, int slots)
{
    char buf[SLOWLOG_MAX_STRING + 64];
    const resp_slice_t *a = &argv[j];
    int n;

    if (slots < argc && j == slots - 1) {
        n = snprintf(buf, sizeof(buf), "... (%d more arguments)",
                     argc - slots + 1);
    } else if (arg_is_secret(argc, argv, j)) {
        n = snprintf(buf, sizeof(buf), "(redacted)");
    } else if (a->len > SLOWLOG_MAX_STRING) {
        n = snprintf(buf, sizeof(buf), "%.*s... (%zu more bytes)",
                     SLOWLOG_MAX_STRING, a->ptr,
                     a->len - SLOWLOG_MAX_STRING);
    } else {
        dst->ptr = dup_bytes(a->ptr, a->len);
        dst->len = a->len;
        return dst->ptr ? 0 : -1;
    }
    dst->ptr = dup_bytes(buf, (size_t)n);
    dst->len = (size_t)n;
    return dst->ptr ? 0 : -1;
}

/* A new entry for the command, NULL on OOM. */
static slow_entry_t *entry_new(srv_client_t *c, int argc,
                               const resp_slice_t *argv, int64_t duration_us)
{
    int slots = argc > SLOWLOG_MAX_ARGC ? SLOWLOG_MAX_ARGC : argc;
    slow_entry_t *e = hp_calloc(1, sizeof(*e));
    int j;

    if (e == NULL) {
        return NULL;
    }
    e->argv = hp_calloc((size_t)(slots ? slots : 1), sizeof(*e->argv));
    e->addr = dup_bytes(c->addr, strlen(c->addr));
    e->name = c->name ? dup_bytes(c->name, strlen(c->name))
                      : dup_bytes("", 0);
    if (e->argv == NULL || e->addr == NULL || e->name == NULL) {
        entry_free(e);
        return NULL;
    }
    for (j = 0; j < slots; j++) {
        e->argc++;
        if (store_arg(&e->argv[j], argc, argv, j, slots) != 0) {
            entry_free(e);
            return NULL;
        }
    }
    e->id = slow_next_id++;
    e->time = srv_mstime_now() / 1000;
    e->duration_us = duration_us;
    return e;
}

/* Record a command that ran for duration_us when slowlog-log-slower-than
 * allows (negative: disabled; 0: every command). Commands flagged
 * skip_slowlog are left out. argv is copied. Executor thread. */
void srv_slowlog_push(srv_client_t *c, int argc, const resp_slice_t *argv,
                      int64_t duration_us)
{
    slow_entry_t *e;

    if (srv.cfg.slowlog_log_slower_than < 0 ||
        duration_us < srv.cfg.slowlog_log_slower_than || argc < 1) {
        return;
    }
    if (c->cmd != NULL && (c->cmd->flags & SRV_CMD_SKIP_SLOWLOG)) {
        return;
    }
    e = entry_new(c, argc, argv, duration_us);
    if (e == NULL) {
        return;
    }
    e->next = slow_head;
    if (slow_head != NULL) {
        slow_head->prev = e;
    } else {
        slow_tail = e;
    }
    slow_head = e;
    slow_len++;
    slowlog_trim(srv.cfg.slowlog_max_len);
}

/* Remove every entry (SLOWLOG RESET). */
void srv_slowlog_reset(void)
{
    slowlog_trim(0);
}

/* Free everything at exit. */
void srv_slowlog_free(void)
{
    slowlog_trim(0);
}

/* SLOWLOG (unknown subcommand) */
void cmd_slowlog(srv_client_t *c)
{
    srv_reply_unknown_subcommand(c);
}

/* Reply one entry. */
static void reply_entry(srv_client_t *c, const slow_entry_t *e)
{
    int j;

    srv_reply_array_len(c, 6);
    srv_reply_int(c, (int64_t)e->id);
    srv_reply_int(c, e->time);
    srv_reply_int(c, e->duration_us);
    srv_reply_array_len(c, e->argc);
    for (j = 0; j < e->argc; j++) {
        srv_reply_bulk(c, e->argv[j].ptr, e->argv[j].len);
    }
    srv_reply_bulk_cstr(c, e->addr);
    srv_reply_bulk_cstr(c, e->name);
}

/* SLOWLOG GET [count]: newest first; count -1 means all, default 10. */
void cmd_slowlog_get(srv_client_t *c)
{
    int64_t count = 10, n;
    const slow_entry_t *e;

    if (c->argc > 3) {
        srv_reply_errorf(c, "ERR unknown subcommand or wrong number of "
                            "arguments for '%.*s'. Try SLOWLOG HELP.",
                         (int)c->argv[1].len, c->argv[1].ptr);
        return;
    }
    if (c->argc == 3 &&
        srv_arg_range_or_reply(c, &c->argv[2], -1, INT64_MAX, &count,
                               "ERR count should be greater than or equal "
                               "to -1") != 0) {
        return;
    }
    if (count == -1 || count > (int64_t)slow_len) {
        count = (int64_t)slow_len;
    }
    srv_reply_array_len(c, count);
    for (n = 0, e = slow_head; n < count && e != NULL; n++, e = e->next) {
        reply_entry(c, e);
    }
}

/* SLOWLOG LEN */
void cmd_slowlog_len(srv_client_t *c)
{
    srv_reply_int(c, (int64_t)slow_len);
}

/* SLOWLOG RESET */
void cmd_slowlog_reset(srv_client_t *c)
{
    srv_slowlog_reset();
    srv_reply_ok(c);
}

static const char *const slowlog_help_lines[] = {
    "SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "GET [<count>]",
    "    Return top <count> entries from the slowlog (default: 10, -1 mean "
    "all).",
    "    Entries are made of:",
    "    id, timestamp, time in microseconds, arguments array, client IP and "
    "port,",
    "    client name",
    "LEN",
    "    Return the length of the slowlog.",
    "RESET",
    "    Reset the slowlog.",
    "HELP",
    "    Prints this help.",
    NULL,
};

/* SLOWLOG HELP */
void cmd_slowlog_help(srv_client_t *c)
{
    srv_reply_help(c, slowlog_help_lines);
}

/* ---------------------------------------------------------------------
 * Latency monitor
 * ------------------------------------------------------------------ */

#define LATENCY_SAMPLES 160 /* Redis's LATENCY_TS_LEN */
#define LATENCY_EVENTS_MAX 64
#define LATENCY_NAME_MAX 64

typedef struct latency_sample {
    int32_t time;    /* unix seconds; 0 = unused slot */
    uint32_t latency; /* ms */
} latency_sample_t;

typedef struct latency_event {
    char name[LATENCY_NAME_MAX];
    int idx;                   /* next slot to write */
    uint32_t max;              /* all-time max, ms */
    latency_sample_t samples[LATENCY_SAMPLES];
} latency_event_t;

static latency_event_t *lat_events[LATENCY_EVENTS_MAX];
static size_t n_lat_events;

/* The event named name (creating it when create), or NULL. */
static latency_event_t *latency_find(const char *name, size_t len,
                                     int create)
{
    latency_event_t *ev;
    size_t i;

    for (i = 0; i < n_lat_events; i++) {
        if (strlen(lat_events[i]->name) == len &&
            memcmp(lat_events[i]->name, name, len) == 0) {
            return lat_events[i];
        }
    }
    if (!create || n_lat_events == LATENCY_EVENTS_MAX ||
        len >= LATENCY_NAME_MAX) {
        return NULL;
    }
    ev = hp_calloc(1, sizeof(*ev));
    if (ev != NULL) {
        memcpy(ev->name, name, len);
        lat_events[n_lat_events++] = ev;
    }
    return ev;
}

/* Record a latency sample of ms for event when the latency monitor is on
 * (latency-monitor-threshold > 0) and ms reaches the threshold. Samples
 * within the same second keep the larger value, as in Redis. */
void srv_latency_add(const char *event, int64_t ms)
{
    latency_event_t *ev;
    int32_t now = (int32_t)(srv_mstime_now() / 1000);
    int prev;

    if (srv.cfg.latency_monitor_threshold <= 0 ||
        ms < srv.cfg.latency_monitor_threshold) {
        return;
    }
    ev = latency_find(event, strlen(event), 1);
    if (ev == NULL) {
        return;
    }
    if ((uint64_t)ms > ev->max) {
        ev->max = (uint32_t)ms;
    }
    prev = (ev->idx + LATENCY_SAMPLES - 1) % LATENCY_SAMPLES;
    if (ev->samples[prev].time == now) {
        if ((uint64_t)ms > ev->samples[prev].latency) {
            ev->samples[prev].latency = (uint32_t)ms;
        }
        return;
    }
    ev->samples[ev->idx].time = now;
    ev->samples[ev->idx].latency = (uint32_t)ms;
    ev->idx = (ev->idx + 1) % LATENCY_SAMPLES;
}

/* LATENCY (unknown subcommand) */
void cmd_latency(srv_client_t *c)
{
    srv_reply_unknown_subcommand(c);
}

/* LATENCY LATEST: [event, time, latest ms, max ms] per event. */
void cmd_latency_latest(srv_client_t *c)
{
    size_t i;

    srv_reply_array_len(c, (int64_t)n_lat_events);
    for (i = 0; i < n_lat_events; i++) {
        const latency_event_t *ev = lat_events[i];
        int last = (ev->idx + LATENCY_SAMPLES - 1) % LATENCY_SAMPLES;
        srv_reply_array_len(c, 4);
        srv_reply_bulk_cstr(c, ev->name);
        srv_reply_int(c, ev->samples[last].time);
        srv_reply_int(c, ev->samples[last].latency);
        srv_reply_int(c, ev->max);
    }
}

/* LATENCY HISTORY event: [time, ms] pairs, oldest first. */
void cmd_latency_history(srv_client_t *c)
{
    const latency_event_t *ev = latency_find(c->argv[2].ptr, c->argv[2].len,
                                             0);
    int i, n = 0;

    if (ev == NULL) {
        srv_reply_array_len(c, 0);
        return;
    }
    for (i = 0; i < LATENCY_SAMPLES; i++) {
        n += ev->samples[i].time != 0;
    }
    srv_reply_array_len(c, n);
    for (i = 0; i < LATENCY_SAMPLES; i++) {
        const latency_sample_t *s =
            &ev->samples[(ev->idx + i) % LATENCY_SAMPLES];
        if (s->time == 0) {
            continue;
        }
        srv_reply_array_len(c, 2);
        srv_reply_int(c, s->time);
        srv_reply_int(c, s->latency);
    }
}

/* Forget event i (the last one takes its place). */
static void latency_drop(size_t i)
{
    hp_free(lat_events[i]);
    lat_events[i] = lat_events[--n_lat_events];
}

/* LATENCY RESET [event ...]: number of events reset. */
void cmd_latency_reset(srv_client_t *c)
{
    int64_t reset = 0;
    size_t i;
    int j;

    if (c->argc == 2) {
        reset = (int64_t)n_lat_events;
        while (n_lat_events > 0) {
            latency_drop(n_lat_events - 1);
        }
        srv_reply_int(c, reset);
        return;
    }
    for (j = 2; j < c->argc; j++) {
        for (i = 0; i < n_lat_events; i++) {
            if (strlen(lat_events[i]->name) == c->argv[j].len &&
                memcmp(lat_events[i]->name, c->argv[j].ptr,
                       c->argv[j].len) == 0) {
                latency_drop(i);
                reset++;
                break;
            }
        }
    }
    srv_reply_int(c, reset);
}

/* ---------------------------------------------------------------------
 * Per-command latency histograms (LATENCY HISTOGRAM, INFO latencystats)
 *
 * A log-linear histogram of call durations in microseconds: values below
 * 16 have a bucket each; above, every power of two [2^e, 2^(e+1)) is cut
 * into 16 equal buckets, so a bucket is at most 1/16 (6.25%) of its
 * value wide. Values past 2^40 us land in the last bucket. Histograms
 * are allocated at a command's first recorded call and found through a
 * small open-addressing table keyed by the command's address (commands
 * live in static tables and are never freed).
 * ------------------------------------------------------------------ */

#define HIST_SUB_BITS 4
#define HIST_SUB (1 << HIST_SUB_BITS)
#define HIST_MAX_EXP 40
#define HIST_BUCKETS (HIST_SUB + (HIST_MAX_EXP - HIST_SUB_BITS) * HIST_SUB)
#define HIST_SLOTS 1024u /* more than twice the number of commands */

typedef struct latency_hist {
    const srv_command_t *cmd;
    uint64_t total;
    uint64_t counts[HIST_BUCKETS];
} latency_hist_t;

static latency_hist_t *hist_slots[HIST_SLOTS];

/* Bucket index of a duration of v microseconds. */
static int hist_index(int64_t v)
{
    int e;

    if (v < HIST_SUB) {
        return v < 0 ? 0 : (int)v;
    }
    if (v >= (int64_t)1 << HIST_MAX_EXP) {
        return HIST_BUCKETS - 1;
    }
    e = 63 - __builtin_clzll((unsigned long long)v);
    return HIST_SUB + (e - HIST_SUB_BITS) * HIST_SUB +
           (int)((v >> (e - HIST_SUB_BITS)) & (HIST_SUB - 1));
}

/* Smallest duration (us) bucket i holds. */
static int64_t hist_low(int i)
{
    int e, sub;

    if (i < HIST_SUB) {
        return i;
    }
    e = (i - HIST_SUB) / HIST_SUB + HIST_SUB_BITS;
    sub = (i - HIST_SUB) % HIST_SUB;
    return (int64_t)(HIST_SUB + sub) << (e - HIST_SUB_BITS);
}

/* Largest duration (us) bucket i holds. */
static int64_t hist_high(int i)
{
    if (i < HIST_SUB) {
        return i;
    }
    return hist_low(i) + ((int64_t)1 << ((i - HIST_SUB) / HIST_SUB)) - 1;
}

/* Slot of cmd's histogram in hist_slots (its own or the empty slot where
 * it would go). */
static size_t hist_slot(const srv_command_t *cmd)
{
    size_t h = (size_t)((uintptr_t)cmd >> 4) * 2654435761u;
    size_t i;

    for (i = 0; i < HIST_SLOTS; i++) {
        size_t slot = (h + i) & (HIST_SLOTS - 1);
        if (hist_slots[slot] == NULL || hist_slots[slot]->cmd == cmd) {
            return slot;
        }
    }
    return HIST_SLOTS;
}

/* cmd's histogram, or NULL when it has none. */
static const latency_hist_t *hist_of(const srv_command_t *cmd)
{
    size_t slot = hist_slot(cmd);

    return slot < HIST_SLOTS ? hist_slots[slot] : NULL;
}

/* Contract in server.h. */
void srv_latency_hist_record(srv_command_t *cmd, int64_t usec)
{
    size_t slot;
    latency_hist_t *h;

    if (!srv.cfg.latency_tracking) {
        return;
    }
    slot = hist_slot(cmd);
    if (slot == HIST_SLOTS) {
        return;
    }
    h = hist_slots[slot];
    if (h == NULL) {
        h = hp_calloc(1, sizeof(*h));
        if (h == NULL) {
            return;
        }
        h->cmd = cmd;
        hist_slots[slot] = h;
    }
    h->counts[hist_index(usec)]++;
    h->total++;
}

/* Contract in server.h. */
void srv_latency_hist_reset_all(void)
{
    size_t i;

    for (i = 0; i < HIST_SLOTS; i++) {
        hp_free(hist_slots[i]);
        hist_slots[i] = NULL;
    }
}

/* The largest duration (us) of the bucket where the cumulative count
 * reaches pct percent of the calls. */
static int64_t hist_percentile(const latency_hist_t *h, double pct)
{
    uint64_t want = (uint64_t)((pct / 100.0) * (double)h->total + 0.5);
    uint64_t cum = 0;
    int i;

    if (want < 1) {
        want = 1;
    }
    for (i = 0; i < HIST_BUCKETS; i++) {
        cum += h->counts[i];
        if (cum >= want) {
            return hist_high(i);
        }
    }
    return hist_high(HIST_BUCKETS - 1);
}

/* Contract in server.h. */
size_t srv_latency_percentiles(const srv_command_t *cmd, char *buf,
                               size_t size)
{
    const latency_hist_t *h = hist_of(cmd);
    size_t i, o = 0;

    if (h == NULL || h->total == 0 || size == 0) {
        return 0;
    }
    buf[0] = '\0';
    for (i = 0; i < srv.cfg.latency_tracking_npercentiles && o < size; i++) {
        double pct = srv.cfg.latency_tracking_percentiles[i];
        char name[40];
        int prec = 0;

        /* The shortest decimal form of the percentile ("99.9"). */
        do {
            snprintf(name, sizeof(name), "%.*f", prec, pct);
        } while (strtod(name, NULL) != pct && ++prec <= 17);
        o += (size_t)snprintf(buf + o, size - o, "%sp%s=%.3f",
                              i ? "," : "", name,
                              (double)hist_percentile(h, pct));
    }
    return o < size ? o : size - 1;
}

/* "calls" and the cumulative distribution of cmd's histogram: for each
 * power of two B (us) where the count grows, the calls that took less
 * than B. */
static void reply_hist(srv_client_t *c, const latency_hist_t *h)
{
    size_t handle;
    uint64_t cum = 0, prev = 0;
    int64_t n = 0;
    int i = 0, k;

    srv_reply_map_len(c, 2);
    srv_reply_bulk_cstr(c, "calls");
    srv_reply_int(c, (int64_t)h->total);
    srv_reply_bulk_cstr(c, "histogram_usec");
    handle = srv_reply_deferred(c);
    for (k = 0; k <= HIST_MAX_EXP && prev < h->total; k++) {
        int64_t bound = (int64_t)1 << k;

        while (i < HIST_BUCKETS && hist_low(i) < bound) {
            cum += h->counts[i++];
        }
        if (k == HIST_MAX_EXP) {
            cum = h->total; /* the last bucket holds everything above */
        }
        if (cum > prev) {
            srv_reply_int(c, bound);
            srv_reply_int(c, (int64_t)cum);
            n++;
        }
        prev = cum;
    }
    srv_reply_set_deferred(c, handle, '%', n);
}

/* Reply "name" -> histogram for cmd when it has recorded calls; returns
 * 1 when it replied. */
static int reply_named_hist(srv_client_t *c, const srv_command_t *cmd)
{
    const latency_hist_t *h = hist_of(cmd);

    if (h == NULL || h->total == 0) {
        return 0;
    }
    srv_reply_bulk_cstr(c, cmd->name);
    reply_hist(c, h);
    return 1;
}

/* cmd's histogram and its subcommands'; returns the number replied. */
static int64_t reply_cmd_hists(srv_client_t *c, const srv_command_t *cmd)
{
    const srv_command_t *sub;
    int64_t n = reply_named_hist(c, cmd);

    for (sub = cmd->subcommands; sub != NULL && sub->name != NULL; sub++) {
        n += reply_named_hist(c, sub);
    }
    return n;
}

/* The command "name" or "parent|sub" names, or NULL. */
static srv_command_t *lookup_full_name(const resp_slice_t *a)
{
    const char *bar = memchr(a->ptr, '|', a->len);
    srv_command_t *p;

    if (bar == NULL) {
        return srv_command_lookup(a->ptr, a->len);
    }
    p = srv_command_lookup(a->ptr, (size_t)(bar - a->ptr));
    if (p == NULL || p->subcommands == NULL) {
        return NULL;
    }
    return srv_command_lookup_sub(p, bar + 1,
                                  a->len - (size_t)(bar - a->ptr) - 1);
}

/* LATENCY HISTOGRAM [command ...]: a map of command name -> {calls,
 * histogram_usec}; a container stands for its subcommands too; unknown
 * names and commands never called are left out. */
void cmd_latency_histogram(srv_client_t *c)
{
    size_t handle = srv_reply_deferred(c), i, ncmds;
    srv_command_t *table;
    int64_t n = 0;
    int j;

    if (c->argc == 2) {
        table = srv_command_table(&ncmds);
        for (i = 0; i < ncmds; i++) {
            n += reply_cmd_hists(c, &table[i]);
        }
    }
    for (j = 2; j < c->argc; j++) {
        const srv_command_t *cmd = lookup_full_name(&c->argv[j]);

        if (cmd != NULL) {
            n += reply_cmd_hists(c, cmd);
        }
    }
    srv_reply_set_deferred(c, handle, '%', n);
}

/* ---------------------------------------------------------------------
 * LATENCY DOCTOR
 * ------------------------------------------------------------------ */

/* Summary numbers of one event's samples. */
typedef struct latency_summary {
    int samples;
    uint32_t min, max;
    double avg, mad;    /* ms: mean, mean absolute deviation */
    double period;      /* seconds between spikes on average */
} latency_summary_t;

/* Summarise ev's recorded samples. */
static latency_summary_t latency_summarize(const latency_event_t *ev)
{
    latency_summary_t s = {0, UINT32_MAX, 0, 0.0, 0.0, 0.0};
    int32_t first = INT32_MAX, last = 0;
    double sum = 0.0;
    int i;

    for (i = 0; i < LATENCY_SAMPLES; i++) {
        const latency_sample_t *x = &ev->samples[i];
        if (x->time == 0) {
            continue;
        }
        s.samples++;
        sum += x->latency;
        s.min = x->latency < s.min ? x->latency : s.min;
        s.max = x->latency > s.max ? x->latency : s.max;
        first = x->time < first ? x->time : first;
        last = x->time > last ? x->time : last;
    }
    if (s.samples == 0) {
        s.min = 0;
        return s;
    }
    s.avg = sum / s.samples;
    for (i = 0; i < LATENCY_SAMPLES; i++) {
        const latency_sample_t *x = &ev->samples[i];
        if (x->time != 0) {
            double d = x->latency - s.avg;
            s.mad += d < 0 ? -d : d;
        }
    }
    s.mad /= s.samples;
    if (s.samples > 1) {
        s.period = (double)(last - first) / (s.samples - 1);
    }
    return s;
}

/* Advice for an event class, or NULL. */
static const char *latency_advice(const char *event)
{
    if (strcmp(event, "command") == 0) {
        return "slow commands ran: SLOWLOG GET lists them; avoid O(N) "
               "commands (KEYS, SMEMBERS, HGETALL, LRANGE 0 -1, ...) on "
               "big values, or split the work into smaller calls.";
    }
    if (strcmp(event, "fast-command") == 0) {
        return "even O(1)/O(log N) commands were slow: the machine may be "
               "overloaded, swapping, or the process starved of CPU.";
    }
    if (strcmp(event, "expire-cycle") == 0) {
        return "the active expiry cycle was slow: many keys expire at the "
               "same time, or big values are freed on expiry (consider "
               "lazyfree-lazy-expire yes).";
    }
    return NULL;
}

/* Append printf-style text to b. */
static void doctor_add(resp_buf_t *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void doctor_add(resp_buf_t *b, const char *fmt, ...)
{
    char line[512];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (n > 0) {
        resp_buf_append(b, line, (size_t)n < sizeof(line) ? (size_t)n
                                                          : sizeof(line) - 1);
    }
}

/* The LATENCY DOCTOR report into b. */
static void latency_report(resp_buf_t *b)
{
    size_t i;

    if (srv.cfg.latency_monitor_threshold <= 0) {
        doctor_add(b, "The latency monitor is off. Turn it on with CONFIG "
                      "SET latency-monitor-threshold <milliseconds> to have "
                      "latency spikes recorded and analysed here.\n");
        return;
    }
    if (n_lat_events == 0) {
        doctor_add(b, "No latency spike of %lld ms or more has been "
                      "recorded since the start or the last LATENCY "
                      "RESET. Nothing to worry about.\n",
                   (long long)srv.cfg.latency_monitor_threshold);
        return;
    }
    doctor_add(b, "Latency spikes recorded (threshold %lld ms):\n\n",
               (long long)srv.cfg.latency_monitor_threshold);
    for (i = 0; i < n_lat_events; i++) {
        const latency_event_t *ev = lat_events[i];
        latency_summary_t s = latency_summarize(ev);

        doctor_add(b, "%zu. %s: %d spike(s), average %.0f ms, mean "
                      "deviation %.0f ms, min %u ms, max %u ms, one every "
                      "%.0f s on average. Worst ever: %u ms.\n",
                   i + 1, ev->name, s.samples, s.avg, s.mad, s.min, s.max,
                   s.period, ev->max);
    }
    doctor_add(b, "\nAdvice:\n\n");
    for (i = 0; i < n_lat_events; i++) {
        const char *advice = latency_advice(lat_events[i]->name);
        if (advice != NULL) {
            doctor_add(b, "- %s: %s\n", lat_events[i]->name, advice);
        }
    }
}

/* LATENCY DOCTOR: a human-readable analysis of the recorded events. */
void cmd_latency_doctor(srv_client_t *c)
{
    resp_buf_t b;

    resp_buf_init(&b, 2);
    latency_report(&b);
    if (b.oom) {
        srv_reply_oom(c);
    } else {
        srv_reply_verbatim(c, b.data ? b.data : "", b.len, "txt");
    }
    resp_buf_fini(&b);
}

static const char *const latency_help_lines[] = {
    "LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "HISTORY <event>",
    "    Return time-latency samples for the <event> class.",
    "LATEST",
    "    Return the latest latency samples for all events.",
    "RESET [<event> ...]",
    "    Reset latency data of one or more <event> classes.",
    "    (default: reset all data for all event classes)",
    "DOCTOR",
    "    Return a human readable latency analysis report.",
    "HISTOGRAM [<command> ...]",
    "    Return the cumulative latency distribution of the given commands",
    "    (of every command that ran when none is given).",
    "HELP",
    "    Prints this help.",
    NULL,
};

/* LATENCY HELP */
void cmd_latency_help(srv_client_t *c)
{
    srv_reply_help(c, latency_help_lines);
}
