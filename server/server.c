/*
 * server.c - the global server state and the executor's event loop:
 * startup (config, hash seed, allocator, databases, listeners, signals),
 * the loop's periodic and per-iteration work, and the orderly shutdown
 * that frees everything.
 *
 * The loop, as Redis's ae loop with serverCron and beforeSleep:
 * - a uv_timer at `hz` runs the cron (slow active expiry, table
 *   maintenance, idle client timeouts, INFO samples);
 * - a uv_check after the I/O phase runs a fast active-expiry cycle;
 * - a uv_prepare runs right before the loop polls (Redis's beforeSleep):
 *   resuming unpaused clients, then one flush of every client with
 *   replies pending;
 * - a uv_idle keeps a busy server polling instead of sleeping through
 *   short gaps between requests (busy-poll-us, busypoll.c).
 * SIGTERM/SIGINT stop the loop; srv_main then tears everything down and
 * returns 0.
 *
 * Executor thread only.
 */
#include "server.h"
#include "busypoll.h"
#include "clock.h"
#include "heap_gc.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

srv_server_t srv;

static uv_loop_t loop;
static uv_timer_t cron_timer;
static uv_prepare_t prepare_handle;
static uv_check_t check_handle;
static uv_idle_t gc_idle; /* runs collector slices while work remains */
static uv_timer_t gc_timer; /* wakes gc_idle after a paced wait */
static int gc_idle_active;
static int cron_ran; /* the cron ran since gc_idle's last turn */
static srv_busypoll_t busypoll;
static srv_tsc_t tsc; /* the command clock's counter (clock.c) */
static int tsc_on;    /* the counter may serve as the clock here */
static uv_idle_t poll_idle; /* active: the loop polls without sleeping */
static int poll_idle_active;
static uint64_t poll_seen_input; /* net_input_bytes at the last look */
static uv_signal_t sigterm_handle, sigint_handle;
static int loop_ready;   /* loop initialised */
static int handles_open; /* timer, prepare, check and signals started */
static int pidfile_written;

/* ---------------------------------------------------------------------
 * Clock
 * ------------------------------------------------------------------ */

/* Unix time in microseconds, from the clock. */
int64_t srv_ustime_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Unix time in microseconds from the time-stamp counter once calibrated
 * (clock.c), else from the clock. */
int64_t srv_clock_us(void)
{
    int64_t us;

    if (tsc_on && srv_tsc_us(&tsc, srv_tsc_read(), &us))
        return us;
    return srv_ustime_now();
}

/* Anchor the counter to the clock (each cron period). */
static void clock_anchor(void)
{
    uint64_t t = srv_tsc_read();

    srv_tsc_anchor(&tsc, t, uv_hrtime(), srv_ustime_now());
}

/* The clock srv_clock_us reads, as Redis's INFO names it, in buf. */
const char *srv_clock_source(char *buf, size_t size)
{
    uint64_t rate = tsc_on ? srv_tsc_ticks_per_us(&tsc) : 0;

    if (rate)
        snprintf(buf, size, "X86 TSC @ %llu ticks/us",
                 (unsigned long long)rate);
    else
        snprintf(buf, size, "POSIX clock_gettime");
    return buf;
}

/* Unix time in milliseconds, from the clock. */
int64_t srv_mstime_now(void)
{
    return srv_ustime_now() / 1000;
}

/* The cached unix ms (refreshed each loop iteration and before each
 * command). */
int64_t srv_mstime(void)
{
    return srv.mstime_cache;
}

/* The calling thread's CPU time in nanoseconds. */
static uint64_t thread_cpu_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---------------------------------------------------------------------
 * Busy polling (busypoll.c decides; this starts and stops the handle)
 * ------------------------------------------------------------------ */

/* An active idle handle is what makes libuv poll with no timeout; its
 * callback has nothing to do. */
static void on_poll_idle(uv_idle_t *h)
{
    (void)h;
}

/* Poll without sleeping (on) or let the loop sleep again (off). */
static void poll_idle_set(int on)
{
    if (on == poll_idle_active || !handles_open)
        return;
    if (on ? uv_idle_start(&poll_idle, on_poll_idle) == 0
           : uv_idle_stop(&poll_idle) == 0)
        poll_idle_active = on;
}

/* busy-poll-us as the decision's window: only io-threads 0 polls, since
 * with I/O threads the executor's wakeups are not the clients' sends and
 * a polling executor would take CPU from the I/O threads. */
static uint64_t busypoll_window_ns(void)
{
    if (srv.cfg.io_threads > 0)
        return 0;
    return (uint64_t)srv.cfg.busy_poll_us * 1000u;
}

/* Seconds the executor has spent polling with nothing to read (INFO's
 * used_cpu_busy_poll). */
double srv_busy_poll_seconds(void)
{
    return (double)srv_busypoll_polled_ns(&busypoll) / 1e9;
}

/* ---------------------------------------------------------------------
 * Loop hooks
 * ------------------------------------------------------------------ */

/* Milliseconds between cron runs for the configured hz. */
static uint64_t cron_period_ms(void)
{
    int hz = srv.cfg.hz;

    if (hz < 1)
        hz = 1;
    if (hz > 500)
        hz = 500;
    return (uint64_t)(1000 / hz);
}

/* The cron (Redis's serverCron + databasesCron + clientsCron). */
static void on_cron(uv_timer_t *t)
{
    srv.mstime_cache = srv_mstime_now();
    srv.cron_loops++;
    if (tsc_on)
        clock_anchor();
    if (srv.cfg.active_expire_enabled)
        srv_db_active_expire(1);
    srv_db_cron();
    srv_clients_cron();
    srv_info_cron();
    /* Input counts from here on: the cron runs before this iteration's
     * poll, so a newly engaged loop does not take old reads for new. */
    poll_seen_input = srv.stats.net_input_bytes;
    poll_idle_set(srv_busypoll_period(&busypoll, thread_cpu_ns(),
                                      uv_hrtime()));
    cron_ran = 1;
}

/* Redis's beforeSleep: publish cleared weak references, resume unpaused
 * clients and write every pending reply. */
static void before_sleep(void)
{
    srv_ref_before_sleep();
    srv_clients_before_sleep();
}

/* Before the loop polls. */
static void on_prepare(uv_prepare_t *h)
{
    (void)h;
    before_sleep();
    if (poll_idle_active)
        srv_busypoll_before(&busypoll, uv_hrtime());
}

/* After the I/O callbacks of an iteration: a fast active-expiry cycle
 * (Redis runs it in beforeSleep; it rate-limits itself). Its replies, if
 * any, go out in the next prepare, before the loop sleeps. The cached
 * clock is refreshed by each read batch and command, not here: a clock
 * read per loop iteration is measurable at -P 1. */
static void on_check(uv_check_t *h)
{
    if (srv_busypoll_engaged(&busypoll)) {
        int input = srv.stats.net_input_bytes != poll_seen_input;

        poll_seen_input = srv.stats.net_input_bytes;
        poll_idle_set(srv_busypoll_after(&busypoll, input, uv_hrtime()));
    }
    if (srv.cfg.active_expire_enabled)
        srv_db_active_expire(0);
    if (!gc_idle_active && hp_free_pending() > 0)
        srv_gc_wake();
}

/* The paced wait is over: run the collector's idle handle again. */
static void on_gc_timer(uv_timer_t *t)
{
    (void)t;
    srv_gc_wake();
}

/* After a turn of the collector's idle handle: tell the allocator
 * whether the executor is freeing in bulk (garbage, queued bodies,
 * flushed keyspaces), so that jemalloc's purging thread keeps off the
 * executor's arena meanwhile (heap/jemalloc.c). */
static void bulk_freeing_update(void)
{
    int busy = hp_gc_freeing() || srv_db_free_pending() > 0;

    (void)hp_mem_bulk_freeing(busy, uv_hrtime() / 1000);
}

/* Between ticks while collector or deferred-free work remains: one slice
 * of at most gc-slice-budget-us; the handle stops when nothing is left,
 * so a server that uses no references pays nothing. Keyspaces flushed
 * ASYNC are taken apart in turns of their own, every other turn while
 * they last, so that no turn does two budgets' work (a client waited
 * 1.2-2 ms per command while 4M keys were freed with both in one turn).
 * For the same reason the turn right after a cron run does nothing: the
 * loop runs its timers and its idle handles with no poll between them,
 * so a slice there would follow the cron's own table maintenance (up to
 * a budget of rehashing) without a client being served in between. */
static void on_gc_idle(uv_idle_t *h)
{
    static int flush_turn;
    int r;

    /* libuv runs idle handles before prepare: without this, a reply made
     * in this iteration's poll would wait for the slice below as well as
     * any the request waited for (a PING took up to two budgets). */
    before_sleep();
    if (cron_ran) {
        cron_ran = 0;
        return; /* stay active: the next turn is after a poll */
    }
    if (srv_db_free_pending() > 0 && (flush_turn ^= 1)) {
        srv_db_free_step(srv.cfg.gc_slice_budget_us);
        bulk_freeing_update();
        return; /* the next turn is the collector's */
    }
    r = srv_gc_idle_turn();
    bulk_freeing_update();
    if (srv_db_free_pending() > 0)
        r = SRV_GC_MORE;
    if (r == SRV_GC_MORE)
        return;
    uv_idle_stop(h);
    gc_idle_active = 0;
    /* Waiting for time to pass: look again in 1 ms, not in a spin. */
    if (r == SRV_GC_WAIT)
        uv_timer_start(&gc_timer, on_gc_timer, 1, 0);
}

/* Start the collector's idle handle (a no-op when it runs already or
 * before the loop is up). */
void srv_gc_wake(void)
{
    if (gc_idle_active || !handles_open)
        return;
    if (uv_idle_start(&gc_idle, on_gc_idle) == 0)
        gc_idle_active = 1;
}

/* SIGTERM / SIGINT: shut down gracefully with exit code 0. */
static void on_signal(uv_signal_t *h, int signum)
{
    srv_log(SRV_LOG_WARNING, "Received %s scheduling shutdown...",
            signum == SIGINT ? "SIGINT" : "SIGTERM");
    srv_log(SRV_LOG_WARNING, "User requested shutdown...");
    srv_shutdown(0);
}

/* Request a graceful shutdown: the loop stops after this iteration and
 * srv_main frees everything and returns exit_code. */
void srv_shutdown(int exit_code)
{
    if (srv.shutdown_asap)
        return;
    srv.shutdown_asap = 1;
    srv.exit_code = exit_code;
    if (loop_ready)
        uv_stop(srv.loop);
}

/* Apply config values that need action when changed at run time. */
void srv_server_apply_config(void)
{
    if (handles_open)
        uv_timer_set_repeat(&cron_timer, cron_period_ms());
    poll_idle_set(srv_busypoll_set_window(&busypoll, busypoll_window_ns()));
    srv_clients_apply_limits();
}

/* ---------------------------------------------------------------------
 * Startup
 * ------------------------------------------------------------------ */

/* Fill buf with n random bytes from /dev/urandom (falling back to the
 * clock and pid when it cannot be read). */
static void random_bytes(unsigned char *buf, size_t n)
{
    FILE *f = fopen("/dev/urandom", "r");
    size_t got = 0;

    if (f) {
        got = fread(buf, 1, n, f);
        fclose(f);
    }
    for (size_t i = got; i < n; i++)
        buf[i] = (unsigned char)((uint64_t)srv_ustime_now() >> (i % 8) ^
                                 (uint64_t)getpid() * (i + 1));
}

/* Seed the keyed hash and make the run id. */
static void init_random(void)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char seed[16], rid[20];

    random_bytes(seed, sizeof(seed));
    hp_hash_seed(seed);
    random_bytes(rid, sizeof(rid));
    for (size_t i = 0; i < sizeof(rid); i++) {
        srv.runid[2 * i] = hex[rid[i] >> 4];
        srv.runid[2 * i + 1] = hex[rid[i] & 15];
    }
    srv.runid[40] = '\0';
}

/* Write the pid file when configured (failure is only logged, as Redis).*/
static void pidfile_write(void)
{
    FILE *f;

    if (!srv.cfg.pidfile || !srv.cfg.pidfile[0])
        return;
    f = fopen(srv.cfg.pidfile, "w");
    if (!f) {
        srv_log(SRV_LOG_WARNING, "Failed to write PID file: %s",
                strerror(errno));
        return;
    }
    fprintf(f, "%d\n", (int)getpid());
    fclose(f);
    pidfile_written = 1;
}

/* Start the cron timer, the prepare/check pair and the signal handlers. */
static int handles_start(void)
{
    int rc;

    signal(SIGPIPE, SIG_IGN);
    uv_timer_init(srv.loop, &cron_timer);
    uv_prepare_init(srv.loop, &prepare_handle);
    uv_check_init(srv.loop, &check_handle);
    uv_idle_init(srv.loop, &gc_idle);
    uv_idle_init(srv.loop, &poll_idle);
    uv_timer_init(srv.loop, &gc_timer);
    uv_signal_init(srv.loop, &sigterm_handle);
    uv_signal_init(srv.loop, &sigint_handle);
    handles_open = 1;
    srv_busypoll_init(&busypoll, busypoll_window_ns(), thread_cpu_ns(),
                      uv_hrtime());
    tsc_on = srv_tsc_supported();
    if (tsc_on)
        srv_tsc_start(&tsc, srv_tsc_read(), uv_hrtime());
    rc = uv_timer_start(&cron_timer, on_cron, cron_period_ms(),
                        cron_period_ms());
    if (rc == 0)
        rc = uv_prepare_start(&prepare_handle, on_prepare);
    if (rc == 0)
        rc = uv_check_start(&check_handle, on_check);
    if (rc == 0)
        rc = uv_signal_start(&sigterm_handle, on_signal, SIGTERM);
    if (rc == 0)
        rc = uv_signal_start(&sigint_handle, on_signal, SIGINT);
    return rc;
}

/* Log the Redis-style startup banner lines. */
static void log_banner(void)
{
    srv_log(SRV_LOG_WARNING, "oO0OoO0OoO0Oo gencache is starting "
                             "oO0OoO0OoO0Oo");
    srv_log(SRV_LOG_WARNING, "gencache version=%s (Redis %s compatible), "
                             "bits=%d, pid=%d, just started",
            SRV_GENCACHE_VERSION, SRV_VERSION, (int)(sizeof(void *) * 8),
            (int)getpid());
    if (srv.cfg.configfile)
        srv_log(SRV_LOG_WARNING, "Configuration loaded");
    else
        srv_log(SRV_LOG_WARNING, "Warning: no config file specified, using "
                                 "the default config. In order to specify "
                                 "a config file use gencached "
                                 "/path/to/gencached.conf");
    srv_log(SRV_LOG_NOTICE, "Running mode=standalone, port=%d.",
            srv.cfg.port);
}

/* ---------------------------------------------------------------------
 * Transparent huge pages (disable-thp)
 * ------------------------------------------------------------------ */

#define THP_ENABLED_PATH "/sys/kernel/mm/transparent_hugepage/enabled"

/* 1 when the kernel's THP policy is "always" (every anonymous mapping may
 * get huge pages without asking), 0 for "madvise", "never", or a kernel
 * without THP. Reads THP_ENABLED_PATH. */
static int thp_policy_always(void)
{
    char buf[128];
    FILE *f = fopen(THP_ENABLED_PATH, "r");
    size_t n;

    if (!f)
        return 0;
    n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    return strstr(buf, "[always]") != NULL;
}

/* Apply disable-thp once, before the databases are allocated. As Redis:
 * only when the kernel's policy is "always" does anything happen; then
 * disable-thp yes opts this process out of THP (PR_SET_THP_DISABLE), and
 * a process left with THP on (disable-thp no, or prctl refused) logs a
 * warning. Returns nothing. */
static void thp_apply(void)
{
    int off = -1;

    if (!thp_policy_always())
        return;
#if defined(__linux__) && defined(PR_SET_THP_DISABLE)
    if (srv.cfg.disable_thp)
        off = prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0);
#endif
    if (off == 0)
        return;
    srv_log(SRV_LOG_WARNING, "WARNING: transparent huge pages are enabled "
                             "for this process (kernel policy 'always' in "
                             "%s, disable-thp %s). Huge pages raise memory "
                             "use and add latency when the kernel "
                             "allocates or compacts them; set disable-thp "
                             "yes or the kernel policy to madvise or never.",
            THP_ENABLED_PATH, srv.cfg.disable_thp ? "yes (prctl failed)"
                                                   : "no");
}

/* ---------------------------------------------------------------------
 * Shutdown
 * ------------------------------------------------------------------ */

/* Close every handle, let the loop run their close callbacks, close the
 * loop, and free all server state. Safe after a partial startup. */
static void teardown(void)
{
    if (loop_ready) {
        srv_net_close_listeners();
        srv_clients_free_all();
        if (handles_open) {
            /* Closing a uv_signal_t restores the default disposition, and
             * a SIGTERM arriving during teardown (a supervisor repeating
             * its stop request, SHUTDOWN followed by a SIGTERM) would then
             * kill a clean shutdown: the shutdown is already under way, so
             * further ones are ignored. The signals are blocked while the
             * handles close, so none slips in before they are ignored. */
            sigset_t stop_sigs, old_sigs;

            sigemptyset(&stop_sigs);
            sigaddset(&stop_sigs, SIGTERM);
            sigaddset(&stop_sigs, SIGINT);
            pthread_sigmask(SIG_BLOCK, &stop_sigs, &old_sigs);
            uv_close((uv_handle_t *)&sigterm_handle, NULL);
            uv_close((uv_handle_t *)&sigint_handle, NULL);
            signal(SIGTERM, SIG_IGN);
            signal(SIGINT, SIG_IGN);
            pthread_sigmask(SIG_SETMASK, &old_sigs, NULL);
            uv_close((uv_handle_t *)&cron_timer, NULL);
            uv_close((uv_handle_t *)&prepare_handle, NULL);
            uv_close((uv_handle_t *)&check_handle, NULL);
            uv_close((uv_handle_t *)&gc_idle, NULL);
            uv_close((uv_handle_t *)&poll_idle, NULL);
            poll_idle_active = 0;
            uv_close((uv_handle_t *)&gc_timer, NULL);
            gc_idle_active = 0;
            handles_open = 0;
        }
        uv_run(srv.loop, UV_RUN_DEFAULT);
        if (uv_loop_close(srv.loop) != 0)
            srv_log(SRV_LOG_WARNING, "Event loop still had open handles "
                                     "at exit");
        loop_ready = 0;
    }
    if (pidfile_written) {
        srv_log(SRV_LOG_NOTICE, "Removing the pid file.");
        unlink(srv.cfg.pidfile);
        pidfile_written = 0;
    }
    free(srv.monitors);
    srv.monitors = NULL;
    srv.nmonitors = 0;
    srv_ref_fini();
    srv_db_fini_all();
    srv_slowlog_free();
    srv_errorstats_reset();
}

/* With jemalloc's background thread on, the executor leaves big runs of
 * freed pages to it instead of purging them inside a free (heap/jemalloc.c:
 * 15% of the executor's time on 4 KB RPOPs); without it, jemalloc's
 * default. Quiet when the allocator has no such control. */
static void eager_purge_sync(void)
{
    int rc = hp_mem_eager_purge(!hp_mem_background_thread_on());

    if (rc < 0 && rc != -ENOTSUP)
        srv_log(SRV_LOG_VERBOSE, "jemalloc oversize purge not set: %s",
                strerror(-rc));
}

/* jemalloc-bg-thread: start or stop jemalloc's purging thread, once the
 * server runs (config load, then CONFIG SET). As Redis, the setting has
 * no effect when malloc is not jemalloc. */
void srv_jemalloc_sync(void)
{
    if (!loop_ready)
        return;
    if (srv.cfg.jemalloc_bg_thread != hp_mem_background_thread_on() &&
        hp_mem_background_thread(srv.cfg.jemalloc_bg_thread) < 0)
        srv_log(SRV_LOG_WARNING, "Failed to %s the jemalloc background "
                                 "thread",
                srv.cfg.jemalloc_bg_thread ? "start" : "stop");
    eager_purge_sync();
}

/* ---------------------------------------------------------------------
 * Main
 * ------------------------------------------------------------------ */

/* Run the server (see srv.h). */
int srv_main(int argc, char **argv)
{
    int rc;

    resp_set_allocator(hp_malloc, hp_realloc, hp_free);
    if (srv_config_load(argc, argv) < 0)
        return 1;
    init_random();
    srv_info_new_replid();
    srv.start_time_ms = srv.mstime_cache = srv_mstime_now();
    log_banner();
    thp_apply();
    if (uv_loop_init(&loop) != 0) {
        srv_log(SRV_LOG_WARNING, "Failed creating the event loop");
        srv_config_free();
        return 1;
    }
    srv.loop = &loop;
    loop_ready = 1;
    srv_jemalloc_sync();
    rc = srv_db_init_all();
    srv_ref_init();
    if (rc == 0)
        rc = srv_io_start();
    if (rc == 0)
        rc = srv_net_listen();
    if (rc == 0)
        rc = handles_start();
    if (rc != 0) {
        teardown();
        srv_config_free();
        return 1;
    }
    srv_log(SRV_LOG_NOTICE, "Server initialized");
    pidfile_write();
    srv_log(SRV_LOG_NOTICE, "Ready to accept connections tcp");
    uv_run(srv.loop, UV_RUN_DEFAULT);
    teardown();
    srv_log(SRV_LOG_WARNING, "gencache is now ready to exit, bye bye...");
    srv_config_free();
    return srv.exit_code;
}
