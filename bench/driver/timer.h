/* Timing of one sample (one or more passes back to back): wall time from
 * serialized TSC reads, CPU time of the calling thread from
 * CLOCK_THREAD_CPUTIME_ID, each read once per sample, never per pass. */
#ifndef ZCB_TIMER_H
#define ZCB_TIMER_H

#include <stdint.h>

struct zcb_timer {
    uint64_t tsc0, cpu0;
};

void zcb_timer_start(struct zcb_timer *t);
/* Wall ns since start (TSC ticks at the calibrated rate) and the calling
 * thread's CPU ns since start. */
void zcb_timer_stop(const struct zcb_timer *t, double *wall_ns, double *cpu_ns);

/* What timing a sample costs on this host, medians of many tries: the wall
 * time of an empty sample start-to-stop (what a sample's wall time
 * over-counts), and zcb_clock_reference (what the clock's own system calls
 * add to a sample's CPU time). Measured once. */
struct zcb_clock_cost {
    double wall_ns, cpu_ns;
};
const struct zcb_clock_cost *zcb_clock_cost(void);

/* What the clock's reads add to the CPU time of a sample beyond its wall
 * time, now: one reference sample, a 4 KiB pass from memory (the clock's
 * system calls count more after the thread did some work than back to
 * back, and their cost drifts by +-20% over milliseconds in a VM, so a
 * short sample is best corrected by a reference taken beside it). */
double zcb_clock_reference(void);

#endif
