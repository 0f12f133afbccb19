/* Internal: time-stamp counter. Cycle counts in zcbench are TSC ticks
 * (constant rate on every x86 host we target), converted with zc_tsc_hz(). */
#ifndef ZC_CPU_TSC_H
#define ZC_CPU_TSC_H

#include <stdint.h>
#include <x86intrin.h>

static inline uint64_t zc_rdtsc(void) { return __rdtsc(); }

/* TSC ticks per second, calibrated once against CLOCK_MONOTONIC_RAW (~10 ms
 * the first time). */
double zc_tsc_hz(void);
uint64_t zc_ns_to_tsc(uint64_t ns);
double zc_tsc_to_ns(uint64_t ticks);
/* CLOCK_MONOTONIC in ns. */
uint64_t zc_now_ns(void);

#endif
