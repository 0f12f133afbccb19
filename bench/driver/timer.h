/* Timing of one sample (one or more passes back to back): wall time from
 * serialized TSC reads, CPU time of the calling thread from
 * CLOCK_THREAD_CPUTIME_ID, each read once per sample, never per pass. */
#ifndef ZCB_TIMER_H
#define ZCB_TIMER_H

#include <stdint.h>

struct zcb_timer {
    uint64_t tsc0, cpu0;
};

/* CLOCK_THREAD_CPUTIME_ID in ns (a system call: read once per sample). */
uint64_t zcb_thread_cpu_ns(void);

void zcb_timer_start(struct zcb_timer *t);
/* Wall ns since start (TSC ticks at the calibrated rate) and the calling
 * thread's CPU ns since start. */
void zcb_timer_stop(const struct zcb_timer *t, double *wall_ns, double *cpu_ns);

/* What timing an empty sample costs on this host, medians of many tries:
 * the wall time start-to-stop (what a sample's wall time over-counts) and
 * the CPU time (the clock's own system calls). Measured once. */
struct zcb_clock_cost {
    double wall_ns, cpu_ns;
};
const struct zcb_clock_cost *zcb_clock_cost(void);

#endif
