/*
 * t_gc.c - the GC command (HEAP.md "GC command and INFO"), the copy of
 * the gc-* config values into the heap's hp_gc_config, and the pacing of
 * the collector's slices against client work (HEAP.md "Pacing").
 *
 * GC COLLECT [0|1|2], GC STATS, GC ENABLE, GC DISABLE,
 * GC THRESHOLD [t0 [t1 [t2]]], GC HELP.
 *
 * Executor thread only.
 */
#include "server.h"
#include "heap_gc.h"

#include "commands.h"

#ifdef GC_DEBUG
#include <stdio.h>
#include <stdlib.h>
#endif

static hp_gc_pacer_t pacer;

/* Microseconds of the loop's monotonic clock, read now. */
static uint64_t mono_us(void)
{
    return uv_hrtime() / 1000u;
}

/* One turn of the collector's idle handle (server.c's on_gc_idle).
 * While a collection is in progress or due, a slice runs only when the
 * pacer allows it: at most gc-max-cpu-percent of the executor's time
 * while commands keep arriving, back to back when none came for
 * HP_GC_PACE_IDLE_US. Deferred freeing is not paced (it also runs while
 * the collection waits), and with nothing to do the handle is not
 * running at all. Returns SRV_GC_MORE while work remains (the handle
 * stays on), SRV_GC_WAIT when the only work left must wait for time to
 * pass (the pacer's turn, a given-up collection's restart time: the
 * handle stops and a timer wakes it, so the loop does not spin), or
 * SRV_GC_DONE. */
int srv_gc_idle_turn(void)
{
    int64_t budget = hp_gc_config.slice_budget_us;
    uint64_t t0, t1;
    int more;

    if (!hp_gc_in_progress() && !hp_gc_due()) {
        more = hp_gc_step(budget);
#ifdef GC_DEBUG
        srv_gc_debug_check("a deferred-free slice");
#endif
        if (!more)
            return SRV_GC_DONE;
        return hp_free_pending() > 0 ? SRV_GC_MORE : SRV_GC_WAIT;
    }
    t0 = mono_us();
    budget = hp_gc_pace(&pacer, t0, srv.stats.total_commands_processed,
                        hp_gc_config.max_cpu_percent, budget);
    if (budget == 0) {
        /* the collection waits its turn; queued bodies are not paced */
        if (hp_free_pending() == 0)
            return SRV_GC_WAIT;
        hp_free_step(hp_gc_config.slice_budget_us,
                     hp_gc_config.slice_objects);
        return SRV_GC_MORE;
    }
    more = hp_gc_step(budget);
    t1 = mono_us();
    hp_gc_pace_charge(&pacer, t0, t1);
#ifdef GC_DEBUG
    srv_gc_debug_check("a collector slice");
#endif
    return more ? SRV_GC_MORE : SRV_GC_DONE;
}

#ifdef GC_DEBUG
/* server.h: the gc_debug check after a command or slice (where). Aborts
 * with the violations on stderr when the heap is inconsistent. */
void srv_gc_debug_check(const char *where)
{
    static uint64_t next_us;
    uint64_t t0 = mono_us(), t1;
    size_t bad;

    if (t0 < next_us) return;
    bad = hp_heap_check();
    t1 = mono_us();
    next_us = t1 + (t1 - t0);
    if (bad == 0) return;
    fprintf(stderr, "gc_debug: %zu heap/collector invariant violations "
            "after %s: aborting\n", bad, where);
    fflush(stderr);
    abort();
}
#endif

/* Copy srv.cfg's gc-* values into hp_gc_config (config load, CONFIG SET,
 * the GC subcommands that change them). */
void srv_gc_sync_config(void)
{
    hp_gc_config.enabled = srv.cfg.gc_enabled;
    hp_gc_config.threshold0 = (size_t)srv.cfg.gc_threshold0;
    hp_gc_config.threshold1 = (size_t)srv.cfg.gc_threshold1;
    hp_gc_config.threshold2 = (size_t)srv.cfg.gc_threshold2;
    hp_gc_config.slice_budget_us = srv.cfg.gc_slice_budget_us;
    hp_gc_config.slice_objects = (size_t)srv.cfg.gc_slice_objects;
    hp_gc_config.max_cpu_percent = (int)srv.cfg.gc_max_cpu_percent;
    hp_gc_config.restart_touched_pct = (int)srv.cfg.gc_restart_touched_pct;
    srv_gc_wake();
}

/* GC <unknown subcommand> */
void cmd_gc(srv_client_t *c)
{
    srv_reply_unknown_subcommand(c);
}

/* GC COLLECT [generation]: run one collection to completion, reply the
 * number of garbage objects freed. */
void cmd_gc_collect(srv_client_t *c)
{
    int64_t gen = 2;

    if (c->argc > 3) {
        srv_reply_syntax_error(c);
        return;
    }
    if (c->argc == 3 &&
        srv_arg_range_or_reply(c, &c->argv[2], 0, 2, &gen,
                               "ERR generation must be 0, 1 or 2") < 0)
        return;
    srv_reply_int(c, (int64_t)hp_gc_collect((int)gen));
}

/* One "name value" pair of GC STATS (map in RESP3, flat in RESP2). */
static void stat_pair(srv_client_t *c, const char *name, int64_t v)
{
    srv_reply_bulk_cstr(c, name);
    srv_reply_int(c, v);
}

/* GC STATS: an array of three maps, one per generation, as Python's
 * gc.get_stats() (objects, collections), then the totals. */
void cmd_gc_stats(srv_client_t *c)
{
    hp_gc_stats_t st;

    hp_gc_stats(&st);
    srv_reply_array_len(c, 3);
    for (int g = 0; g < 3; g++) {
        srv_reply_map_len(c, 4);
        stat_pair(c, "generation", g);
        stat_pair(c, "objects", (int64_t)st.gen_objects[g]);
        stat_pair(c, "collections", (int64_t)st.collections[g]);
        stat_pair(c, "threshold",
                  g == 0 ? srv.cfg.gc_threshold0
                         : g == 1 ? srv.cfg.gc_threshold1
                                  : srv.cfg.gc_threshold2);
    }
}

/* GC ENABLE */
void cmd_gc_enable(srv_client_t *c)
{
    srv.cfg.gc_enabled = 1;
    srv_gc_sync_config();
    srv_reply_ok(c);
}

/* GC DISABLE */
void cmd_gc_disable(srv_client_t *c)
{
    srv.cfg.gc_enabled = 0;
    srv_gc_sync_config();
    srv_reply_ok(c);
}

/* GC THRESHOLD [t0 [t1 [t2]]]: set the given thresholds, reply the three
 * current ones. */
void cmd_gc_threshold(srv_client_t *c)
{
    int64_t *dst[3] = {&srv.cfg.gc_threshold0, &srv.cfg.gc_threshold1,
                       &srv.cfg.gc_threshold2};
    int64_t v[3];

    if (c->argc > 5) {
        srv_reply_syntax_error(c);
        return;
    }
    for (int i = 2; i < c->argc; i++) {
        if (srv_arg_range_or_reply(c, &c->argv[i], 0, INT64_MAX, &v[i - 2],
                                   "ERR threshold must be a non-negative "
                                   "integer") < 0)
            return;
    }
    for (int i = 2; i < c->argc; i++)
        *dst[i - 2] = v[i - 2];
    if (c->argc > 2)
        srv_gc_sync_config();
    srv_reply_array_len(c, 3);
    for (int i = 0; i < 3; i++)
        srv_reply_int(c, *dst[i]);
}

/* GC HELP */
void cmd_gc_help(srv_client_t *c)
{
    static const char *const lines[] = {
        "GC <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "COLLECT [0|1|2]",
        "    Run a collection of generations 0..n (default 2) to completion;",
        "    reply the number of objects freed.",
        "STATS",
        "    Per-generation objects, collections and thresholds.",
        "ENABLE",
        "    Turn automatic collections on.",
        "DISABLE",
        "    Turn automatic collections off (GC COLLECT still works).",
        "THRESHOLD [<t0> [<t1> [<t2>]]]",
        "    Set and return the generation thresholds.",
        "HELP",
        "    Print this help.",
        NULL,
    };

    srv_reply_help(c, lines);
}
