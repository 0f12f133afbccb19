/* CPU time of another process and of its threads, from the kernel: the
 * process CPU clock (every thread, exited ones included, in ns), user and
 * system time from /proc/PID/stat (clock ticks), and per thread the run
 * time in /proc/PID/task/TID/schedstat (ns). Threads are sampled: one that
 * exits between two samples is counted up to the earlier one. */
#ifndef ZCQ_PROC_H
#define ZCQ_PROC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct zcq_proc_cpu {
    uint64_t total_ns;        /* user + system, exact */
    uint64_t user_ns, sys_ns; /* at clock-tick resolution */
};

int zcq_proc_cpu_read(pid_t pid, struct zcq_proc_cpu *out);

#define ZCQ_THREADS_MAX 256

struct zcq_thread {
    pid_t tid;
    char name[16];
    uint64_t base_ns, last_ns; /* run time at the start and at the last sample */
};

struct zcq_threads {
    pid_t pid;
    char leader[16]; /* the process's own name, which new threads carry at first */
    size_t n;
    struct zcq_thread t[ZCQ_THREADS_MAX];
};

/* Starts an interval: threads alive now count from their current run time,
 * threads that appear later from zero. */
void zcq_threads_start(struct zcq_threads *t, pid_t pid);
void zcq_threads_sample(struct zcq_threads *t);
/* Run time in the interval of the threads whose name starts with prefix
 * (summed), and of the busiest one in *max when not NULL. */
uint64_t zcq_threads_cpu(const struct zcq_threads *t, const char *prefix, uint64_t *max);
/* Run time in the interval of one thread (0 when never seen). */
uint64_t zcq_thread_cpu(const struct zcq_threads *t, pid_t tid);

#endif
