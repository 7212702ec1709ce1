/*
 * clock.h - the executor's command clock from the processor's time-stamp
 * counter: unix microseconds as the last anchor (a reading of the system
 * clock, taken by the cron) plus the ticks since, scaled by a rate
 * calibrated against CLOCK_MONOTONIC. See clock.c for when it is used.
 */
#ifndef GENCACHE_CLOCK_H
#define GENCACHE_CLOCK_H

#include <stdint.h>

typedef struct srv_tsc {
    uint64_t start_tsc;  /* calibration start */
    uint64_t start_ns;   /* CLOCK_MONOTONIC ns at start_tsc */
    uint64_t anchor_tsc; /* the last anchor */
    int64_t anchor_us;   /* unix us at anchor_tsc */
    uint64_t mult;       /* us per tick, 32.32 fixed point; 0: none yet */
    uint64_t max_ticks;  /* an anchor older than this is not used; and
                            max_ticks * mult fits in 64 bits */
} srv_tsc_t;

int srv_tsc_supported(void);
uint64_t srv_tsc_read(void);
void srv_tsc_start(srv_tsc_t *t, uint64_t tsc, uint64_t mono_ns);
void srv_tsc_anchor(srv_tsc_t *t, uint64_t tsc, uint64_t mono_ns,
                    int64_t unix_us);
uint64_t srv_tsc_ticks_per_us(const srv_tsc_t *t);

/* The unix us at counter value tsc into *us; 0 when t cannot tell (not
 * calibrated yet, the counter behind the anchor, or the anchor too old):
 * read the system clock instead. */
static inline int srv_tsc_us(const srv_tsc_t *t, uint64_t tsc, int64_t *us)
{
    uint64_t ticks = tsc - t->anchor_tsc;

    if (t->mult == 0 || tsc < t->anchor_tsc || ticks > t->max_ticks)
        return 0;
    *us = t->anchor_us + (int64_t)((ticks * t->mult) >> 32);
    return 1;
}

#endif
