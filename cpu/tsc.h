/* Internal: time-stamp counter. Cycle counts in zcbench are TSC ticks
 * (constant rate on every x86 host we target), converted with zc_tsc_hz(). */
#ifndef ZC_CPU_TSC_H
#define ZC_CPU_TSC_H

#include <stdint.h>
#include <x86intrin.h>

static inline uint64_t zc_rdtsc(void) { return __rdtsc(); }

/* Reads that bracket a timed region: begin waits for every earlier
 * instruction and keeps later ones from starting before it; end waits for
 * the region's instructions (RDTSCP) and keeps later ones out of it. LFENCE
 * serializes dispatch on Intel and, with the kernel's default setting, on
 * AMD; CPUID would too, but traps to the hypervisor in a VM (microseconds). */
static inline uint64_t zc_rdtsc_begin(void)
{
    _mm_lfence();
    uint64_t t = __rdtsc();
    _mm_lfence();
    return t;
}

static inline uint64_t zc_rdtsc_end(void)
{
    unsigned aux;
    uint64_t t = __rdtscp(&aux);
    _mm_lfence();
    return t;
}

/* TSC ticks per second, calibrated once against CLOCK_MONOTONIC_RAW (~10 ms
 * the first time). */
double zc_tsc_hz(void);
uint64_t zc_ns_to_tsc(uint64_t ns);
double zc_tsc_to_ns(uint64_t ticks);
/* CLOCK_MONOTONIC in ns. */
uint64_t zc_now_ns(void);

#endif
