/*
 * hiccup.c - how long this machine holds a busy thread off its CPU when the
 * thread does no work that could wait: a loop that only reads the clock,
 * recording every gap between two consecutive reads longer than GAP_US.
 * For each gap it also reports how much CPU time the thread was charged
 * (CLOCK_THREAD_CPUTIME_ID), and whether the thread was switched out or
 * took a page fault in it (getrusage RUSAGE_THREAD). A gap with no
 * switch and no fault is time the kernel or the hypervisor took from the
 * vCPU (interrupts, steal); the same freezes then also land inside the
 * collector's slices, which this program does not touch.
 *
 *   hiccup SECONDS [GAP_US]     (pin it with taskset; GAP_US default 500)
 *
 * Prints one JSON object: gaps counted over 0.5/1/2/5/10 ms, all and those
 * with no context switch and no fault in them ("unswitched"), the longest
 * ten of each kind ([wall ms, CPU ms charged, involuntary switches, minor
 * faults]), and the steal time of the run's CPU from /proc/stat. Exit 0, 1
 * on usage.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define TOP 10

typedef struct gap {
    double wall_ms, cpu_ms;
    long nivcsw, nvcsw, minflt;
} gap_t;

/* Nanoseconds of clock id. */
static int64_t ns_of(clockid_t id)
{
    struct timespec ts;

    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Steal time of cpu in ms (/proc/stat), or -1. */
static long steal_ms(int cpu)
{
    char want[16], line[512];
    FILE *f = fopen("/proc/stat", "r");
    unsigned long long v[8];
    long r = -1;

    if (!f)
        return -1;
    snprintf(want, sizeof(want), "cpu%d ", cpu);
    while (fgets(line, sizeof(line), f)) {
        if (strncmp(line, want, strlen(want)) != 0)
            continue;
        if (sscanf(line + strlen(want), "%llu %llu %llu %llu %llu %llu "
                   "%llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
                   &v[6], &v[7]) == 8)
            r = (long)(v[7] * 1000 / (unsigned long long)sysconf(_SC_CLK_TCK));
        break;
    }
    fclose(f);
    return r;
}

/* Keep the TOP longest gaps in top (sorted, longest first). */
static void keep(gap_t *top, int *n, const gap_t *g)
{
    int i;

    if (*n == TOP && top[TOP - 1].wall_ms >= g->wall_ms)
        return;
    i = *n < TOP ? (*n)++ : TOP - 1;
    while (i > 0 && top[i - 1].wall_ms < g->wall_ms) {
        top[i] = top[i - 1];
        i--;
    }
    top[i] = *g;
}

int main(int argc, char **argv)
{
    static const double edges[] = {0.5, 1, 2, 5, 10};
    long counts[2][5] = {{0}};
    gap_t top[2][TOP];
    int ntop[2] = {0, 0}, cpu = sched_getcpu();
    double secs, gap_us;
    int64_t end, last, lastc, now, nowc;
    long s0, s1, total = 0;
    struct rusage r0, r1;

    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: hiccup SECONDS [GAP_US]\n");
        return 1;
    }
    secs = atof(argv[1]);
    gap_us = argc == 3 ? atof(argv[2]) : 500;
    s0 = steal_ms(cpu);
    last = ns_of(CLOCK_MONOTONIC);
    lastc = ns_of(CLOCK_THREAD_CPUTIME_ID);
    getrusage(RUSAGE_THREAD, &r0);
    end = last + (int64_t)(secs * 1e9);
    while (last < end) {
        now = ns_of(CLOCK_MONOTONIC);
        nowc = ns_of(CLOCK_THREAD_CPUTIME_ID);
        if (now - last > gap_us * 1000) {
            gap_t g;
            int k;

            getrusage(RUSAGE_THREAD, &r1);
            g.wall_ms = (now - last) / 1e6;
            g.cpu_ms = (nowc - lastc) / 1e6;
            g.nivcsw = r1.ru_nivcsw - r0.ru_nivcsw;
            g.nvcsw = r1.ru_nvcsw - r0.ru_nvcsw;
            g.minflt = r1.ru_minflt - r0.ru_minflt;
            k = g.nivcsw == 0 && g.nvcsw == 0 && g.minflt == 0;
            for (int i = 0; i < 5; i++) {
                if (g.wall_ms > edges[i])
                    counts[0][i]++;
                if (k && g.wall_ms > edges[i])
                    counts[1][i]++;
            }
            total++;
            keep(top[0], &ntop[0], &g);
            if (k)
                keep(top[1], &ntop[1], &g);
            r0 = r1;
            now = ns_of(CLOCK_MONOTONIC);
            nowc = ns_of(CLOCK_THREAD_CPUTIME_ID);
        } else if ((now >> 24) != (last >> 24)) {
            getrusage(RUSAGE_THREAD, &r0); /* switches between gaps */
            now = ns_of(CLOCK_MONOTONIC);
            nowc = ns_of(CLOCK_THREAD_CPUTIME_ID);
        }
        last = now;
        lastc = nowc;
    }
    s1 = steal_ms(cpu);
    printf("{\"cpu\": %d, \"seconds\": %.1f, \"steal_ms\": %ld",
           cpu, secs, s0 >= 0 && s1 >= 0 ? s1 - s0 : -1);
    for (int k = 0; k < 2; k++) {
        const char *name = k ? "unswitched" : "all";

        printf(", \"%s_gaps_over_ms\": {\"0.5\": %ld, \"1\": %ld, "
               "\"2\": %ld, \"5\": %ld, \"10\": %ld}, \"%s_longest\": [",
               name, counts[k][0], counts[k][1], counts[k][2],
               counts[k][3], counts[k][4], name);
        for (int i = 0; i < ntop[k]; i++)
            printf("%s[%.3f, %.3f, %ld, %ld]", i ? ", " : "",
                   top[k][i].wall_ms, top[k][i].cpu_ms, top[k][i].nivcsw,
                   top[k][i].minflt);
        printf("]");
    }
    printf("}\n");
    (void)total;
    return 0;
}
