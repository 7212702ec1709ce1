/*
 * info.c - the INFO command and its text (srv_info_generate), error
 * statistics (errorstats) and the instantaneous-metric sampler.
 *
 * Sections and field names are Redis 7.0.15's, in its order: server,
 * clients, memory, persistence, stats, replication, cpu, modules,
 * commandstats, errorstats, latencystats, cluster, keyspace. "default"
 * is all but commandstats and latencystats; "all" and "everything" add
 * them. A server without
 * persistence or replicas reports those sections as a fresh Redis master
 * that never saved would. Latency percentiles (latencystats) come from
 * the per-command histograms of slowlog.c.
 */
#include "server.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "commands.h"
#include "heap_gc.h"

/* ---------------------------------------------------------------------
 * Error statistics
 * ------------------------------------------------------------------ */

/* Redis stops tracking new error codes past this many (ERRORSTATS_LIMIT)
 * so that random error texts cannot grow the table without bound. */
#define ERRORSTATS_MAX 128
#define ERROR_CODE_MAX 64

typedef struct errorstat {
    char code[ERROR_CODE_MAX];
    uint64_t count;
} errorstat_t;

static errorstat_t errorstats[ERRORSTATS_MAX];
static size_t n_errorstats;

/* Count one error reply: its code is the text up to the first space
 * ("ERR", "WRONGTYPE", ...), msg without the leading '-'. The table is
 * kept sorted by code, as Redis's rax prints it. */
void srv_errorstats_count(const char *msg)
{
    size_t len = strcspn(msg, " \r\n");
    size_t i;

    if (len == 0 || len >= ERROR_CODE_MAX) {
        return;
    }
    for (i = 0; i < n_errorstats; i++) {
        int cmp = strncmp(errorstats[i].code, msg, len);
        if (cmp == 0 && errorstats[i].code[len] == '\0') {
            errorstats[i].count++;
            return;
        }
        if (cmp > 0 || (cmp == 0 && errorstats[i].code[len] != '\0')) {
            break;
        }
    }
    if (n_errorstats == ERRORSTATS_MAX) {
        return;
    }
    memmove(&errorstats[i + 1], &errorstats[i],
            (n_errorstats - i) * sizeof(errorstats[0]));
    memcpy(errorstats[i].code, msg, len);
    errorstats[i].code[len] = '\0';
    errorstats[i].count = 1;
    n_errorstats++;
}

/* Forget every error count (CONFIG RESETSTAT). */
void srv_errorstats_reset(void)
{
    n_errorstats = 0;
}

/* ---------------------------------------------------------------------
 * Instantaneous metrics (Redis's trackInstantaneousMetric)
 * ------------------------------------------------------------------ */

#define METRIC_SAMPLES 16
#define METRIC_PERIOD_MS 100

enum { MET_OPS, MET_NET_IN, MET_NET_OUT, MET_COUNT };

typedef struct metric {
    int64_t last_ms;                  /* time of the last sample */
    uint64_t last_value;              /* counter at the last sample */
    uint64_t samples[METRIC_SAMPLES]; /* per-second rates */
    int idx;
} metric_t;

static metric_t metrics[MET_COUNT];

/* Record one rate sample of counter `value` for metric m at now_ms. */
static void metric_sample(metric_t *m, uint64_t value, int64_t now_ms)
{
    int64_t dt = now_ms - m->last_ms;

    if (m->last_ms != 0 && dt > 0) {
        m->samples[m->idx] = (value - m->last_value) * 1000 / (uint64_t)dt;
        m->idx = (m->idx + 1) % METRIC_SAMPLES;
    }
    m->last_ms = now_ms;
    m->last_value = value;
}

/* Mean of the samples of m (per second). */
static uint64_t metric_get(const metric_t *m)
{
    uint64_t sum = 0;
    int i;

    for (i = 0; i < METRIC_SAMPLES; i++) {
        sum += m->samples[i];
    }
    return sum / METRIC_SAMPLES;
}

/* Called by the cron every tick: samples the metrics every 100 ms. */
void srv_info_cron(void)
{
    int64_t now = srv_mstime_now();

    if (now - metrics[MET_OPS].last_ms < METRIC_PERIOD_MS) {
        return;
    }
    metric_sample(&metrics[MET_OPS], srv.stats.total_commands_processed,
                  now);
    metric_sample(&metrics[MET_NET_IN],
                  srv.stats.net_input_bytes + srv_io_net_input_bytes(), now);
    metric_sample(&metrics[MET_NET_OUT],
                  srv.stats.net_output_bytes + srv_io_net_output_bytes(),
                  now);
}

/* ---------------------------------------------------------------------
 * Replication id
 * ------------------------------------------------------------------ */

static char replid[41];

/* Fill replid with 40 random hex digits. */
void srv_info_new_replid(void)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char rnd[20];
    FILE *f = fopen("/dev/urandom", "r");
    size_t i, got = 0;

    if (f != NULL) {
        got = fread(rnd, 1, sizeof(rnd), f);
        fclose(f);
    }
    for (i = got; i < sizeof(rnd); i++) {
        rnd[i] = (unsigned char)(rand() ^ (int)srv_ustime_now());
    }
    for (i = 0; i < sizeof(rnd); i++) {
        replid[2 * i] = hex[rnd[i] >> 4];
        replid[2 * i + 1] = hex[rnd[i] & 15];
    }
    replid[40] = '\0';
}

/* ---------------------------------------------------------------------
 * Text helpers
 * ------------------------------------------------------------------ */

/* Append printf-formatted text to b. */
static void __attribute__((format(printf, 2, 3)))
add(resp_buf_t *b, const char *fmt, ...)
{
    char tmp[1024];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n < 0) {
        return;
    }
    resp_buf_append(b, tmp, (size_t)n < sizeof(tmp) ? (size_t)n
                                                     : sizeof(tmp) - 1);
}

/* Redis's bytesToHuman: "943.40K", "6.33M", "0B". */
static void bytes_human(char *buf, size_t size, double n)
{
    static const char units[] = "KMGTPE";
    int u = -1;

    while (n >= 1024 && u < 5) {
        n /= 1024;
        u++;
    }
    if (u < 0) {
        snprintf(buf, size, "%.0fB", n);
    } else {
        snprintf(buf, size, "%.2f%c", n, units[u]);
    }
}

/* Resident set size in bytes, from /proc/self/statm (0 if unknown). */
static size_t rss_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long size = 0, resident = 0;

    if (f == NULL) {
        return 0;
    }
    if (fscanf(f, "%lu %lu", &size, &resident) != 2) {
        resident = 0;
    }
    fclose(f);
    return (size_t)resident * (size_t)sysconf(_SC_PAGESIZE);
}

/* ---------------------------------------------------------------------
 * Sections
 * ------------------------------------------------------------------ */

/* The 24-bit seconds clock Redis reports as lru_clock. */
static unsigned lru_clock(void)
{
    return (unsigned)((srv_mstime_now() / 1000) & ((1 << 24) - 1));
}

static void section_server(resp_buf_t *b)
{
    struct utsname un;
    char exe[512] = "", clk[64];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    int64_t up = (srv_mstime_now() - srv.start_time_ms) / 1000;

    if (n > 0) {
        exe[n] = '\0';
    }
    if (uname(&un) != 0) {
        memset(&un, 0, sizeof(un));
    }
    add(b, "redis_version:%s\r\nredis_git_sha1:00000000\r\n"
           "redis_git_dirty:0\r\nredis_build_id:0\r\n"
           "redis_mode:standalone\r\nos:%s %s %s\r\narch_bits:%d\r\n",
        SRV_VERSION, un.sysname, un.release, un.machine,
        (int)(sizeof(void *) * 8));
    add(b, "monotonic_clock:%s\r\nmultiplexing_api:%s\r\n"
           "atomicvar_api:c11-builtin\r\n"
           "gcc_version:%d.%d.%d\r\nprocess_id:%ld\r\n"
           "process_supervised:no\r\nrun_id:%s\r\ntcp_port:%d\r\n",
        srv_clock_source(clk, sizeof(clk)), "epoll", __GNUC__,
        __GNUC_MINOR__, __GNUC_PATCHLEVEL__,
        (long)getpid(), srv.runid, srv.cfg.port);
    add(b, "server_time_usec:%lld\r\nuptime_in_seconds:%lld\r\n"
           "uptime_in_days:%lld\r\nhz:%d\r\nconfigured_hz:%d\r\n"
           "lru_clock:%u\r\n",
        (long long)srv_ustime_now(), (long long)up,
        (long long)(up / 86400), srv.cfg.hz, srv.cfg.hz, lru_clock());
    add(b, "executable:%s\r\nconfig_file:%s\r\nio_threads_active:%d\r\n"
           "gencache_version:%s\r\n",
        exe, srv.cfg.configfile ? srv.cfg.configfile : "",
        srv_io_active(), SRV_GENCACHE_VERSION);
}

static void section_clients(resp_buf_t *b)
{
    const srv_client_t *c;
    size_t max_in = 0, max_out = 0;
    uint64_t blocked = 0, with_timeout = 0;

    for (c = srv.clients; c != NULL; c = c->next) {
        size_t in = srv_client_qbuf(c);
        if (in > max_in) {
            max_in = in;
        }
        /* Everything the socket has not taken, as CLIENT LIST's omem:
         * a write in flight (or an I/O thread's) counts too. */
        if (srv_client_pending_out(c) > max_out) {
            max_out = srv_client_pending_out(c);
        }
        /* Clients held by CLIENT PAUSE count as blocked, as Redis's
         * postponed clients do (they have no timeout). */
        blocked += (c->flags & (SRV_CLIENT_BLOCKED | SRV_CLIENT_PAUSED)) != 0;
    }
    { /* only clients blocked with a timeout (blocked.c) */
        uint64_t on_keys;

        srv_blocked_counts(&on_keys, &with_timeout);
    }
    add(b, "connected_clients:%llu\r\ncluster_connections:0\r\n"
           "maxclients:%d\r\nclient_recent_max_input_buffer:%zu\r\n"
           "client_recent_max_output_buffer:%zu\r\nblocked_clients:%llu\r\n"
           "tracking_clients:0\r\nclients_in_timeout_table:%llu\r\n",
        (unsigned long long)srv.nclients, srv.cfg.maxclients, max_in,
        max_out, (unsigned long long)blocked,
        (unsigned long long)with_timeout);
}

/* maxmemory-policy's name. */
static const char *policy_name(int p)
{
    static const char *const names[] = {
        "noeviction",     "allkeys-lru",    "volatile-lru",
        "allkeys-lfu",    "volatile-lfu",   "allkeys-random",
        "volatile-random", "volatile-ttl",
    };

    if (p < 0 || (size_t)p >= sizeof(names) / sizeof(names[0])) {
        return "noeviction";
    }
    return names[p];
}

static void section_memory(resp_buf_t *b)
{
    size_t used = hp_mem_used(), peak = hp_mem_peak(), rss = rss_bytes();
    double total = (double)sysconf(_SC_PHYS_PAGES) *
                   (double)sysconf(_SC_PAGESIZE);
    char h1[32], h2[32], h3[32], h4[32], h5[32];

    if (peak < used) {
        peak = used;
    }
    bytes_human(h1, sizeof(h1), (double)used);
    bytes_human(h2, sizeof(h2), (double)rss);
    bytes_human(h3, sizeof(h3), (double)peak);
    bytes_human(h4, sizeof(h4), total);
    bytes_human(h5, sizeof(h5), (double)srv.cfg.maxmemory);
    add(b, "used_memory:%zu\r\nused_memory_human:%s\r\n"
           "used_memory_rss:%zu\r\nused_memory_rss_human:%s\r\n"
           "used_memory_peak:%zu\r\nused_memory_peak_human:%s\r\n"
           "used_memory_peak_perc:%.2f%%\r\n",
        used, h1, rss, h2, peak, h3,
        peak ? (double)used * 100 / (double)peak : 100.0);
    add(b, "total_system_memory:%.0f\r\ntotal_system_memory_human:%s\r\n"
           "maxmemory:%lld\r\nmaxmemory_human:%s\r\nmaxmemory_policy:%s\r\n",
        total, h4, (long long)srv.cfg.maxmemory, h5,
        policy_name(srv.cfg.maxmemory_policy));
    add(b, "mem_fragmentation_ratio:%.2f\r\nmem_fragmentation_bytes:%lld\r\n"
           "mem_not_counted_for_evict:0\r\nmem_replication_backlog:0\r\n"
           "mem_total_replication_buffers:0\r\nmem_clients_slaves:0\r\n"
           "mem_aof_buffer:0\r\nmem_allocator:%s\r\n"
           "active_defrag_running:0\r\nlazyfree_pending_objects:%zu\r\n",
        used ? (double)rss / (double)used : 0.0,
        (long long)rss - (long long)used, hp_mem_allocator(),
        (size_t)hp_free_pending() + srv_db_free_pending());
}

static void section_persistence(resp_buf_t *b)
{
    add(b, "loading:0\r\nasync_loading:0\r\ncurrent_cow_peak:0\r\n"
           "current_cow_size:0\r\ncurrent_cow_size_age:0\r\n"
           "current_fork_perc:0.00\r\ncurrent_save_keys_processed:0\r\n"
           "current_save_keys_total:0\r\nrdb_changes_since_last_save:%llu\r\n"
           "rdb_bgsave_in_progress:0\r\nrdb_last_save_time:%lld\r\n",
        (unsigned long long)srv.stats.dirty,
        (long long)(srv.start_time_ms / 1000));
    add(b, "rdb_last_bgsave_status:ok\r\nrdb_last_bgsave_time_sec:-1\r\n"
           "rdb_current_bgsave_time_sec:-1\r\nrdb_saves:0\r\n"
           "rdb_last_cow_size:0\r\nrdb_last_load_keys_expired:0\r\n"
           "rdb_last_load_keys_loaded:0\r\naof_enabled:0\r\n"
           "aof_rewrite_in_progress:0\r\naof_rewrite_scheduled:0\r\n"
           "aof_last_rewrite_time_sec:-1\r\n"
           "aof_current_rewrite_time_sec:-1\r\n");
    add(b, "aof_last_bgrewrite_status:ok\r\naof_rewrites:0\r\n"
           "aof_rewrites_consecutive_failures:0\r\n"
           "aof_last_write_status:ok\r\naof_last_cow_size:0\r\n"
           "module_fork_in_progress:0\r\nmodule_fork_last_cow_size:0\r\n");
}

static void section_stats(resp_buf_t *b)
{
    const srv_stats_t *s = &srv.stats;
    size_t ps_channels, ps_patterns, ps_shard;

    srv_pubsub_server_counts(&ps_channels, &ps_patterns, &ps_shard);
    add(b, "total_connections_received:%llu\r\n"
           "total_commands_processed:%llu\r\n"
           "instantaneous_ops_per_sec:%llu\r\ntotal_net_input_bytes:%llu\r\n"
           "total_net_output_bytes:%llu\r\n",
        (unsigned long long)s->total_connections_received,
        (unsigned long long)s->total_commands_processed,
        (unsigned long long)metric_get(&metrics[MET_OPS]),
        (unsigned long long)(s->net_input_bytes + srv_io_net_input_bytes()),
        (unsigned long long)(s->net_output_bytes +
                             srv_io_net_output_bytes()));
    add(b, "total_net_repl_input_bytes:0\r\ntotal_net_repl_output_bytes:0\r\n"
           "instantaneous_input_kbps:%.2f\r\n"
           "instantaneous_output_kbps:%.2f\r\n"
           "instantaneous_input_repl_kbps:0.00\r\n"
           "instantaneous_output_repl_kbps:0.00\r\n"
           "rejected_connections:%llu\r\nsync_full:0\r\nsync_partial_ok:0\r\n"
           "sync_partial_err:0\r\n",
        (double)metric_get(&metrics[MET_NET_IN]) / 1024,
        (double)metric_get(&metrics[MET_NET_OUT]) / 1024,
        (unsigned long long)s->rejected_connections);
    add(b, "expired_keys:%llu\r\nexpired_stale_perc:%.2f\r\n"
           "evicted_keys:%llu\r\nevicted_clients:0\r\nkeyspace_hits:%llu\r\n"
           "keyspace_misses:%llu\r\npubsub_channels:%zu\r\n"
           "pubsub_patterns:%zu\r\npubsubshard_channels:%zu\r\n"
           "latest_fork_usec:0\r\ntotal_forks:0\r\n"
           "migrate_cached_sockets:0\r\n", /* no MIGRATE: none cached */
        (unsigned long long)s->expired_keys,
        (double)s->expired_stale_perc / 100,
        (unsigned long long)s->evicted_keys,
        (unsigned long long)s->keyspace_hits,
        (unsigned long long)s->keyspace_misses, ps_channels, ps_patterns,
        ps_shard);
    add(b, "unexpected_error_replies:%llu\r\ntotal_error_replies:%llu\r\n"
           "client_query_buffer_limit_disconnections:%llu\r\n"
           "client_output_buffer_limit_disconnections:%llu\r\n",
        (unsigned long long)s->unexpected_error_replies,
        (unsigned long long)s->total_error_replies,
        (unsigned long long)s->client_qbuf_limit_disconnections,
        (unsigned long long)s->client_outbuf_limit_disconnections);
}

static void section_replication(resp_buf_t *b)
{
    if (replid[0] == '\0') {
        srv_info_new_replid();
    }
    add(b, "role:master\r\nconnected_slaves:0\r\n"
           "master_failover_state:no-failover\r\nmaster_replid:%s\r\n"
           "master_replid2:0000000000000000000000000000000000000000\r\n"
           "master_repl_offset:0\r\nsecond_repl_offset:-1\r\n"
           "repl_backlog_active:0\r\nrepl_backlog_size:1048576\r\n"
           "repl_backlog_first_byte_offset:0\r\nrepl_backlog_histlen:0\r\n",
        replid);
}

/* "sec.usec" of a timeval, as Redis prints CPU times. */
static void add_cpu(resp_buf_t *b, const char *name, const struct timeval *t)
{
    add(b, "%s:%ld.%06ld\r\n", name, (long)t->tv_sec, (long)t->tv_usec);
}

static void section_cpu(resp_buf_t *b)
{
    struct rusage self, children, thread;

    memset(&self, 0, sizeof(self));
    memset(&children, 0, sizeof(children));
    memset(&thread, 0, sizeof(thread));
    getrusage(RUSAGE_SELF, &self);
    getrusage(RUSAGE_CHILDREN, &children);
#ifdef RUSAGE_THREAD
    getrusage(RUSAGE_THREAD, &thread);
#else
    thread = self;
#endif
    add_cpu(b, "used_cpu_sys", &self.ru_stime);
    add_cpu(b, "used_cpu_user", &self.ru_utime);
    add_cpu(b, "used_cpu_sys_children", &children.ru_stime);
    add_cpu(b, "used_cpu_user_children", &children.ru_utime);
    add_cpu(b, "used_cpu_sys_main_thread", &thread.ru_stime);
    add_cpu(b, "used_cpu_user_main_thread", &thread.ru_utime);
    /* Of the main thread's time, how much went to polling with nothing
     * to read (busy-poll-us; wall time of those polls, on a CPU unless
     * the thread was preempted): not in Redis. */
    add(b, "used_cpu_busy_poll:%.6f\r\n", srv_busy_poll_seconds());
}

/* One cmdstat_ line, if cmd was ever called or refused. */
static void add_cmdstat(resp_buf_t *b, const srv_command_t *cmd)
{
    if (cmd->calls == 0 && cmd->failed_calls == 0 &&
        cmd->rejected_calls == 0) {
        return;
    }
    add(b, "cmdstat_%s:calls=%llu,usec=%llu,usec_per_call=%.2f,"
           "rejected_calls=%llu,failed_calls=%llu\r\n",
        cmd->name, (unsigned long long)cmd->calls,
        (unsigned long long)cmd->usec,
        cmd->calls ? (double)cmd->usec / (double)cmd->calls : 0.0,
        (unsigned long long)cmd->rejected_calls,
        (unsigned long long)cmd->failed_calls);
}

static void section_commandstats(resp_buf_t *b)
{
    size_t i, n;
    const srv_command_t *table = srv_command_table(&n);
    const srv_command_t *sub;

    for (i = 0; i < n; i++) {
        add_cmdstat(b, &table[i]);
        for (sub = table[i].subcommands; sub && sub->name; sub++) {
            add_cmdstat(b, sub);
        }
    }
}

static void section_errorstats(resp_buf_t *b)
{
    size_t i;

    for (i = 0; i < n_errorstats; i++) {
        add(b, "errorstat_%s:count=%llu\r\n", errorstats[i].code,
            (unsigned long long)errorstats[i].count);
    }
}

/* One latency_percentiles_usec_ line, if cmd has recorded calls. */
static void add_latencystat(resp_buf_t *b, const srv_command_t *cmd)
{
    char pct[512];

    if (srv_latency_percentiles(cmd, pct, sizeof(pct)) > 0) {
        add(b, "latency_percentiles_usec_%s:%s\r\n", cmd->name, pct);
    }
}

static void section_latencystats(resp_buf_t *b)
{
    size_t i, n;
    const srv_command_t *table = srv_command_table(&n);
    const srv_command_t *sub;

    for (i = 0; i < n; i++) {
        add_latencystat(b, &table[i]);
        for (sub = table[i].subcommands; sub && sub->name; sub++) {
            add_latencystat(b, sub);
        }
    }
}

static void section_cluster(resp_buf_t *b)
{
    add(b, "cluster_enabled:0\r\n");
}

/* The cycle collector (HEAP.md "GC command and INFO"). */
static void section_gc(resp_buf_t *b)
{
    hp_gc_stats_t st;

    hp_gc_stats(&st);
    add(b, "gc_enabled:%d\r\ngc_tracked_objects:%zu\r\n"
        "gc_gen0_objects:%zu\r\ngc_gen1_objects:%zu\r\n"
        "gc_gen2_objects:%zu\r\n", hp_gc_config.enabled ? 1 : 0,
        st.tracked, st.gen_objects[0], st.gen_objects[1],
        st.gen_objects[2]);
    for (int g = 0; g < 3; g++)
        add(b, "gc_gen%d_collections:%llu\r\n", g,
            (unsigned long long)st.collections[g]);
    add(b, "gc_collected_objects:%llu\r\ngc_uncollectable_objects:%llu\r\n"
        "gc_in_progress:%d\r\ngc_slices:%llu\r\n"
        "gc_slice_time_total_us:%llu\r\ngc_slice_time_max_us:%llu\r\n",
        (unsigned long long)st.collected,
        (unsigned long long)st.uncollectable, st.in_progress ? 1 : 0,
        (unsigned long long)st.slices,
        (unsigned long long)st.slice_time_total_us,
        (unsigned long long)st.slice_time_max_us);
    add(b, "gc_last_collection_duration_us:%llu\r\n"
        "gc_collection_progress_pct:%d\r\ngc_weakrefs_cleared:%llu\r\n"
        "gc_bytes_reclaimed:%llu\r\ngc_collections_restarted:%llu\r\n",
        (unsigned long long)st.last_duration_us, st.progress_pct,
        (unsigned long long)st.weakrefs_cleared,
        (unsigned long long)st.bytes_reclaimed,
        (unsigned long long)st.restarted);
}

/* INFO heap: exactly HEAP.md's fields (objects, references, the
 * deferred-free queue). */
static void section_heap(resp_buf_t *b)
{
    hp_gc_stats_t st;

    hp_gc_stats(&st);
    add(b, "heap_objects:%zu\r\nheap_container_objects:%zu\r\n",
        hp_obj_count(), hp_obj_container_count());
    add(b, "heap_ref_elements_strong:%zu\r\nheap_ref_elements_weak:%zu\r\n"
        "heap_weakly_referenced_objects:%zu\r\n"
        "heap_deferred_free_pending_objects:%zu\r\n"
        "heap_deferred_free_pending_bytes:%zu\r\n", st.ref_strong,
        st.ref_weak, st.weakly_referenced, hp_free_pending(),
        hp_free_pending_bytes());
}

static void section_keyspace(resp_buf_t *b)
{
    int i;

    for (i = 0; i < srv.cfg.databases; i++) {
        const srv_db_t *db = &srv.dbs[i];
        size_t keys = srv_db_size(db);
        if (keys == 0) {
            continue;
        }
        add(b, "db%d:keys=%zu,expires=%zu,avg_ttl=%lld\r\n", i, keys,
            hp_dict_size(db->expires), (long long)db->avg_ttl);
    }
}

/* # Threads: whether I/O threads run, and each one's counters. */
static void section_threads(resp_buf_t *b)
{
    add(b, "io_threads_active:%d\r\n", srv_io_active());
    srv_io_info(b);
}

/* ---------------------------------------------------------------------
 * Section selection
 * ------------------------------------------------------------------ */

typedef struct section {
    const char *name;  /* lower case, as INFO takes it */
    const char *title; /* the "# Title" line */
    int in_default;
    void (*gen)(resp_buf_t *b);
} section_t;

static const section_t sections[] = {
    {"server", "Server", 1, section_server},
    {"clients", "Clients", 1, section_clients},
    {"memory", "Memory", 1, section_memory},
    {"persistence", "Persistence", 1, section_persistence},
    {"stats", "Stats", 1, section_stats},
    {"replication", "Replication", 1, section_replication},
    {"cpu", "CPU", 1, section_cpu},
    {"modules", "Modules", 1, NULL},
    {"commandstats", "Commandstats", 0, section_commandstats},
    {"errorstats", "Errorstats", 1, section_errorstats},
    {"latencystats", "Latencystats", 0, section_latencystats},
    {"gc", "GC", 1, section_gc},
    {"heap", "Heap", 1, section_heap},
    {"threads", "Threads", 1, section_threads},
    {"cluster", "Cluster", 1, section_cluster},
    {"keyspace", "Keyspace", 1, section_keyspace},
};

#define N_SECTIONS (sizeof(sections) / sizeof(sections[0]))

/* Mark in want[] the sections named by args (none: "default"). */
static void select_sections(int argc, const resp_slice_t *argv,
                            int want[N_SECTIONS])
{
    size_t i;
    int j;

    memset(want, 0, sizeof(int) * N_SECTIONS);
    for (j = 0; j < (argc > 0 ? argc : 1); j++) {
        const resp_slice_t *a = argc > 0 ? &argv[j] : NULL;
        int all = a && (srv_arg_is(a, "all") || srv_arg_is(a, "everything"));
        int dflt = a == NULL || srv_arg_is(a, "default");
        for (i = 0; i < N_SECTIONS; i++) {
            if (all || (dflt && sections[i].in_default) ||
                (a && srv_arg_is(a, sections[i].name))) {
                want[i] = 1;
            }
        }
    }
}

/* Append the INFO text for the sections named by argv[0..argc) (the
 * arguments after "INFO"; none means "default") to buf, sections
 * separated by an empty line, as Redis. 0 or -ENOMEM. */
int srv_info_generate(resp_buf_t *buf, int argc, const resp_slice_t *argv)
{
    int want[N_SECTIONS];
    size_t i, emitted = 0;

    select_sections(argc, argv, want);
    for (i = 0; i < N_SECTIONS; i++) {
        if (!want[i]) {
            continue;
        }
        if (emitted++) {
            resp_buf_append(buf, "\r\n", 2);
        }
        add(buf, "# %s\r\n", sections[i].title);
        if (sections[i].gen) {
            sections[i].gen(buf);
        }
    }
    return buf->oom ? -ENOMEM : 0;
}

/* INFO [section [section ...]] */
void cmd_info(srv_client_t *c)
{
    resp_buf_t b;

    resp_buf_init(&b, 2);
    if (srv_info_generate(&b, c->argc - 1, c->argv + 1) != 0) {
        srv_reply_oom(c);
    } else {
        srv_reply_verbatim(c, b.data ? b.data : "", b.len, "txt");
    }
    resp_buf_fini(&b);
}
