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

static const char *const latency_help_lines[] = {
    "LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "HISTORY <event>",
    "    Return time-latency samples for the <event> class.",
    "LATEST",
    "    Return the latest latency samples for all events.",
    "RESET [<event> ...]",
    "    Reset latency data of one or more <event> classes.",
    "    (default: reset all data for all event classes)",
    "HELP",
    "    Prints this help.",
    NULL,
};

/* LATENCY HELP */
void cmd_latency_help(srv_client_t *c)
{
    srv_reply_help(c, latency_help_lines);
}
