/*
 * proc_sched.c - see proc_sched.h.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proc_sched.h"

#define SCHED_IDLE_POLICY 5 /* SCHED_IDLE, as /proc reports it */

/* Nice value (field 19) and policy (field 41) of thread tid of process
 * pid from /proc/PID/task/TID/stat, and whether it is named as jemalloc
 * names its purging threads. 0, or -1 when the thread is gone. */
static int task_sched(pid_t pid, const char *tid, int *is_bg, long *nice,
                      long *policy)
{
    char path[96], buf[1024], *p, *save = NULL;
    FILE *f;
    size_t n;
    int field = 3;

    snprintf(path, sizeof(path), "/proc/%d/task/%s/stat", (int)pid, tid);
    f = fopen(path, "r");
    if (f == NULL)
        return -1;
    n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    *is_bg = strstr(buf, "(jemalloc_bg_thd)") != NULL;
    p = strrchr(buf, ')');
    assert_non_null(p);
    *nice = *policy = -1;
    /* fields from 3 (the state) on, after the name */
    for (p = strtok_r(p + 1, " ", &save); p != NULL;
         p = strtok_r(NULL, " ", &save), field++) {
        if (field == 19)
            *nice = strtol(p, NULL, 10);
        if (field == 41)
            *policy = strtol(p, NULL, 10);
    }
    assert_true(field > 41);
    return 0;
}

/* See proc_sched.h. */
int proc_bg_threads_lowered(pid_t pid)
{
    char path[64];
    DIR *d;
    struct dirent *e;
    int bg = 0, is_bg;
    long nice, policy, nice0, policy0;

    snprintf(path, sizeof(path), "%d", (int)pid);
    assert_int_equal(task_sched(pid, path, &is_bg, &nice0, &policy0), 0);
    assert_int_equal(policy0, 0);
    snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
    d = opendir(path);
    assert_non_null(d);
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' ||
            task_sched(pid, e->d_name, &is_bg, &nice, &policy) < 0)
            continue;
        /* a purging thread names itself once running: until then it
         * has the process's name, but already its lowered priority */
        if (!is_bg && nice == 19 && policy == SCHED_IDLE_POLICY)
            continue;
        assert_int_equal(nice, is_bg ? 19 : nice0);
        assert_int_equal(policy, is_bg ? SCHED_IDLE_POLICY : 0);
        bg += is_bg;
    }
    closedir(d);
    return bg;
}
