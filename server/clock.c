/*
 * clock.c - the time-stamp counter as the executor's command clock.
 *
 * Every command reads the clock once (its end is the next one's start:
 * its duration for INFO commandstats, the slowlog and latency, and the
 * cached time expiry compares with). clock_gettime through the vDSO costs
 * 30 ns on the project's VMs, 7% of the server's CPU at PING -P 32; the
 * counter itself costs 12 ns. Redis can do the same (its monotonic clock
 * on the "X86 TSC").
 *
 * It is used only where the kernel itself trusts the counter: x86-64,
 * "constant_tsc" and "nonstop_tsc" (a fixed rate, ticking in every
 * power state) and "tsc" as the current clocksource (the kernel found it
 * synchronised across CPUs and stable). Elsewhere, and until the rate is
 * known, the system clock is read as before.
 *
 * The rate is measured over all the time since startup (ticks against
 * CLOCK_MONOTONIC ns, which runs at the system clock's rate), so its error
 * shrinks as the server runs; the cron re-anchors to the system clock
 * each period, so a clock step or rate error shows for at most a period.
 * Between two anchors the value may step back by the rate's error (well
 * under a microsecond): durations are clamped at 0 where they are taken.
 *
 * The state is the executor's alone (server.c); these functions only
 * compute.
 */
#include "clock.h"

#include <stdio.h>
#include <string.h>
#if defined(__x86_64__)
#include <x86intrin.h>
#endif

/* Calibrate only over at least this much time (ns): a rate from 1 ms
 * would be off by the jitter of the two readings over 1 ms. */
#define CAL_MIN_NS 20000000u

/* An anchor this old (us) is not used: the cron re-anchors every period
 * (at most 1 s at hz 1), so only a stalled executor gets here. */
#define ANCHOR_MAX_US 10000000u

/* 1 if path's first line is text (with its newline). */
static int file_line_is(const char *path, const char *text)
{
    char line[128] = "";
    FILE *f = fopen(path, "r");
    int ok;

    if (!f)
        return 0;
    ok = fgets(line, sizeof(line), f) != NULL;
    fclose(f);
    return ok && strcmp(line, text) == 0;
}

/* 1 if /proc/cpuinfo's first "flags" line has every flag of want. */
static int cpu_has_flags(const char *const *want, size_t n)
{
    char line[4096];
    FILE *f = fopen("/proc/cpuinfo", "r");
    size_t found = 0;

    if (!f)
        return 0;
    while (fgets(line, sizeof(line), f)) {
        if (strncmp(line, "flags", 5) != 0)
            continue;
        for (size_t i = 0; i < n; i++) {
            const char *p = line;
            size_t len = strlen(want[i]);

            while ((p = strstr(p, want[i])) != NULL) {
                if (p[-1] == ' ' && (p[len] == ' ' || p[len] == '\n')) {
                    found++;
                    break;
                }
                p += len;
            }
        }
        break;
    }
    fclose(f);
    return found == n;
}

/* 1 if the counter may serve as the clock here (see the top). */
int srv_tsc_supported(void)
{
#if defined(__x86_64__) && defined(__linux__)
    static const char *const flags[] = {"constant_tsc", "nonstop_tsc"};

    return file_line_is("/sys/devices/system/clocksource/clocksource0/"
                        "current_clocksource",
                        "tsc\n") &&
           cpu_has_flags(flags, sizeof(flags) / sizeof(flags[0]));
#else
    return 0;
#endif
}

/* The counter (0 where there is none; srv_tsc_supported said no). */
uint64_t srv_tsc_read(void)
{
#if defined(__x86_64__)
    return __rdtsc();
#else
    return 0;
#endif
}

/* Start calibrating at counter tsc, CLOCK_MONOTONIC mono_ns. */
void srv_tsc_start(srv_tsc_t *t, uint64_t tsc, uint64_t mono_ns)
{
    memset(t, 0, sizeof(*t));
    t->start_tsc = tsc;
    t->start_ns = mono_ns;
}

/* A reading of the clocks, taken together: counter tsc, CLOCK_MONOTONIC
 * mono_ns, unix time unix_us. Refines the rate once CAL_MIN_NS have
 * passed since the start and makes the reading the anchor. A counter or
 * clock that went back since the start leaves t uncalibrated. */
void srv_tsc_anchor(srv_tsc_t *t, uint64_t tsc, uint64_t mono_ns,
                    int64_t unix_us)
{
    uint64_t dns, dtsc;
    double mult, max_ticks;

    t->anchor_tsc = tsc;
    t->anchor_us = unix_us;
    if (tsc <= t->start_tsc || mono_ns < t->start_ns + CAL_MIN_NS) {
        t->mult = 0;
        return;
    }
    dns = mono_ns - t->start_ns;
    dtsc = tsc - t->start_tsc;
    /* us per tick in 32.32 (a double's 53 bits hold it to well under a
     * part per million), and ANCHOR_MAX_US in ticks, less if the product
     * with mult would not fit in 63 bits (a slow counter). */
    mult = (double)dns / 1000.0 / (double)dtsc * 4294967296.0;
    max_ticks = (double)dtsc / (double)dns * 1000.0 * ANCHOR_MAX_US;
    if (mult < 1.0) {
        t->mult = 0;
        return;
    }
    if (max_ticks * mult > 9.2e18)
        max_ticks = 9.2e18 / mult;
    t->mult = (uint64_t)mult;
    t->max_ticks = (uint64_t)max_ticks;
}

/* The calibrated rate in ticks per microsecond (0: none yet). */
uint64_t srv_tsc_ticks_per_us(const srv_tsc_t *t)
{
    return t->mult ? ((uint64_t)1 << 32) / t->mult : 0;
}
