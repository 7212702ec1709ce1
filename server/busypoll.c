/*
 * busypoll.c - when the executor's loop polls instead of sleeping.
 *
 * A client's request to a server asleep in epoll_wait pays a wakeup: the
 * sender's kernel path wakes the server's thread, and on a virtual machine
 * the idle vCPU is woken too. Measured on a 2-core VM whose idle vCPUs
 * halt at once (haltpoll.guest_halt_poll_ns=0), io-threads 0, pinned: one
 * client doing GETs got 14.4k requests/s with a sleeping server and 25.6k
 * with one that polled through gaps under 50 us;
 * at PING -P 32 with 50 clients the client spent 7% more CPU per request
 * against a server that slept every ~200 requests than against one that
 * never did (redis-server, which is slower, never catches up with its
 * clients and so never sleeps).
 *
 * Polling costs CPU, so it is off by default (busy-poll-us 0: the server
 * sleeps as Redis does, and its CPU per request, the measure that counts
 * at -P 1, stays lowest) and, when on, kept to a busy server: once per
 * cron period the executor's own CPU time, less the time spent polling, is
 * compared with the wall time. When that share reaches one half the loop
 * is engaged: after each iteration that read input it keeps polling
 * (epoll with no timeout, through a libuv idle handle) for up to
 * busy-poll-us, then sleeps as usual. It disengages below two fifths
 * (hysteresis, so a server near the mark does not flip each period). A
 * lightly loaded server (one client at a time, most periods idle) never
 * polls; a busy one spends at most what it already spent working again
 * on polling, and only in gaps shorter than busy-poll-us.
 *
 * This file is the decision, as a state machine fed with timestamps so
 * that it can be tested without a loop; server.c feeds it and starts or
 * stops the idle handle. Executor thread only.
 */
#include "busypoll.h"

/* Engage at busy >= 1/2 of the period, disengage below 2/5. */
#define ENGAGE_NUM 1
#define ENGAGE_DEN 2
#define RELEASE_NUM 2
#define RELEASE_DEN 5

/* Reset bp to a disengaged state with the given window, starting its
 * first period at now_ns with the thread's CPU time cpu_ns. */
void srv_busypoll_init(srv_busypoll_t *bp, uint64_t window_ns,
                       uint64_t cpu_ns, uint64_t now_ns)
{
    *bp = (srv_busypoll_t){0};
    bp->window_ns = window_ns;
    bp->period_cpu_ns = cpu_ns;
    bp->period_wall_ns = now_ns;
}

/* Change the window (0: never poll). Takes effect at once: a window of 0
 * ends any polling now. Returns whether the loop should keep polling. */
int srv_busypoll_set_window(srv_busypoll_t *bp, uint64_t window_ns)
{
    bp->window_ns = window_ns;
    if (window_ns == 0) {
        bp->engaged = 0;
        bp->polling = 0;
    }
    return bp->polling;
}

/* Whether after-poll bookkeeping is needed this iteration: when not
 * engaged, server.c reads no clock at all. */
int srv_busypoll_engaged(const srv_busypoll_t *bp)
{
    return bp->engaged;
}

/* Right before a poll that will not block (bp->polling): remember when
 * it started, so that an empty poll counts as time spent polling. */
void srv_busypoll_before(srv_busypoll_t *bp, uint64_t now_ns)
{
    bp->poll_start_ns = now_ns;
}

/* After a poll: input says whether the iteration read any bytes. Counts
 * an empty non-blocking poll as polling time, and returns whether the
 * next poll should not block (input within the last window). */
int srv_busypoll_after(srv_busypoll_t *bp, int input, uint64_t now_ns)
{
    if (bp->polling && !input && now_ns > bp->poll_start_ns)
        bp->polled_ns += now_ns - bp->poll_start_ns;
    if (input)
        bp->last_input_ns = now_ns;
    bp->polling = bp->engaged && bp->window_ns > 0 &&
                  now_ns - bp->last_input_ns < bp->window_ns;
    return bp->polling;
}

/* Once per cron period: cpu_ns is the executor thread's CPU time so far.
 * Decides whether the next period is engaged; returns whether the loop
 * should keep polling (0 ends polling now). */
int srv_busypoll_period(srv_busypoll_t *bp, uint64_t cpu_ns,
                        uint64_t now_ns)
{
    uint64_t wall = now_ns - bp->period_wall_ns;
    uint64_t cpu = cpu_ns - bp->period_cpu_ns;
    uint64_t polled = bp->polled_ns - bp->period_polled_ns;
    uint64_t busy = cpu > polled ? cpu - polled : 0;

    if (wall == 0)
        return bp->polling;
    if (bp->window_ns == 0)
        bp->engaged = 0;
    else if (bp->engaged)
        bp->engaged = busy * RELEASE_DEN >= wall * RELEASE_NUM;
    else
        bp->engaged = busy * ENGAGE_DEN >= wall * ENGAGE_NUM;
    if (!bp->engaged)
        bp->polling = 0;
    bp->period_cpu_ns = cpu_ns;
    bp->period_wall_ns = now_ns;
    bp->period_polled_ns = bp->polled_ns;
    return bp->polling;
}

/* Nanoseconds spent in empty non-blocking polls since init. */
uint64_t srv_busypoll_polled_ns(const srv_busypoll_t *bp)
{
    return bp->polled_ns;
}
