/*
 * busypoll.h - whether the executor's loop polls instead of sleeping
 * (busy-poll-us); see busypoll.c for the rule and why.
 */
#ifndef GENCACHE_BUSYPOLL_H
#define GENCACHE_BUSYPOLL_H

#include <stdint.h>

typedef struct srv_busypoll {
    uint64_t window_ns;        /* busy-poll-us in ns; 0: never poll */
    int engaged;               /* the last period was busy enough */
    int polling;               /* the next poll does not block */
    uint64_t last_input_ns;    /* when an iteration last read input */
    uint64_t poll_start_ns;    /* start of the current non-blocking poll */
    uint64_t polled_ns;        /* total time in empty non-blocking polls */
    uint64_t period_cpu_ns;    /* thread CPU time at the period's start */
    uint64_t period_wall_ns;   /* clock at the period's start */
    uint64_t period_polled_ns; /* polled_ns at the period's start */
} srv_busypoll_t;

void srv_busypoll_init(srv_busypoll_t *bp, uint64_t window_ns,
                       uint64_t cpu_ns, uint64_t now_ns);
int srv_busypoll_set_window(srv_busypoll_t *bp, uint64_t window_ns);
int srv_busypoll_engaged(const srv_busypoll_t *bp);
void srv_busypoll_before(srv_busypoll_t *bp, uint64_t now_ns);
int srv_busypoll_after(srv_busypoll_t *bp, int input, uint64_t now_ns);
int srv_busypoll_period(srv_busypoll_t *bp, uint64_t cpu_ns,
                        uint64_t now_ns);
uint64_t srv_busypoll_polled_ns(const srv_busypoll_t *bp);

#endif
