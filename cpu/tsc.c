#include "cpu/tsc.h"

#include <pthread.h>
#include <time.h>

static double tsc_hz;
static pthread_once_t calibrated = PTHREAD_ONCE_INIT;

static uint64_t raw_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void calibrate(void)
{
    uint64_t ns0 = raw_ns(), t0 = zc_rdtsc();
    struct timespec nap = {0, 10 * 1000 * 1000};
    nanosleep(&nap, NULL);
    uint64_t ns1 = raw_ns(), t1 = zc_rdtsc();
    tsc_hz = (double)(t1 - t0) * 1e9 / (double)(ns1 - ns0);
}

double zc_tsc_hz(void)
{
    pthread_once(&calibrated, calibrate);
    return tsc_hz;
}

uint64_t zc_ns_to_tsc(uint64_t ns) { return (uint64_t)((double)ns * zc_tsc_hz() / 1e9); }

double zc_tsc_to_ns(uint64_t ticks) { return (double)ticks * 1e9 / zc_tsc_hz(); }

uint64_t zc_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t zc_thread_cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
