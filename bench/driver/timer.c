#include "timer.h"

#include <pthread.h>

#include <zc/dsa.h>

#include "cpu/tsc.h"
#include "buffers.h"
#include "stats.h"
#include "workload.h"

void zcb_timer_start(struct zcb_timer *t)
{
    t->cpu0 = zc_thread_cpu_ns();
    t->tsc0 = zc_rdtsc_begin();
}

void zcb_timer_stop(const struct zcb_timer *t, double *wall_ns, double *cpu_ns)
{
    uint64_t tsc1 = zc_rdtsc_end();
    uint64_t cpu1 = zc_thread_cpu_ns();
    *wall_ns = zc_tsc_to_ns(tsc1 - t->tsc0);
    *cpu_ns = (double)(cpu1 - t->cpu0);
}

enum { COST_TRIES = 501, REFERENCE_BYTES = 4096 };
static struct zcb_clock_cost cost;
static pthread_once_t cost_once = PTHREAD_ONCE_INIT;

double zcb_clock_reference(void)
{
    static _Thread_local unsigned char pass[REFERENCE_BYTES];
    struct zcb_timer t;
    double wall, cpu;
    uint64_t acc = 0;
    zcb_flush(pass, sizeof pass);
    zcb_timer_start(&t);
    for (size_t off = 0; off < sizeof pass; off += sizeof acc)
        acc |= *(volatile uint64_t *)(pass + off);
    zcb_timer_stop(&t, &wall, &cpu);
    return cpu - wall + (double)(acc & 1);
}

static void measure_cost(void)
{
    static double wall[COST_TRIES], extra[COST_TRIES];
    for (int i = 0; i < COST_TRIES; i++) {
        struct zcb_timer t;
        double cpu;
        zcb_timer_start(&t);
        zcb_timer_stop(&t, &wall[i], &cpu);
        extra[i] = zcb_clock_reference();
    }
    cost.wall_ns = zcb_median(wall, COST_TRIES);
    cost.cpu_ns = zcb_median(extra, COST_TRIES);
}

const struct zcb_clock_cost *zcb_clock_cost(void)
{
    pthread_once(&cost_once, measure_cost);
    return &cost;
}

uint64_t zcb_cycles_now(const struct zcb_bench *b)
{
    return b->projected ? zc_ns_to_tsc(zc_dsa_sim_now_ns()) : zc_rdtsc();
}
