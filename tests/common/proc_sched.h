/*
 * proc_sched.h - tests' view of a process's threads from /proc: their
 * nice values and scheduling policies, to check that jemalloc's purging
 * threads run at the lowest priority (heap/jemalloc.c). Used by the heap
 * unit tests (this process) and the integration tests (a server).
 */
#ifndef GENCACHE_TESTS_PROC_SCHED_H
#define GENCACHE_TESTS_PROC_SCHED_H

#include <sys/types.h>

/* Check every thread of process pid: jemalloc's purging threads (named
 * "jemalloc_bg_thd", or not named yet but already lowered) run at nice 19
 * and SCHED_IDLE; every other thread keeps the main thread's nice value
 * and SCHED_OTHER. Fails the cmocka test otherwise. Returns how many
 * named purging threads there are. */
int proc_bg_threads_lowered(pid_t pid);

#endif
