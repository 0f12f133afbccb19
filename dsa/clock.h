/* Internal: whose time DSA work runs on. The host's TSC, unless the work
 * queues are projected (emu:clock=virtual): their model then supplies the
 * submitting thread's simulated time, and waiting for a record means
 * letting simulated time pass until the model completes it. Waits
 * (dsa/wait.c) and the backends' cycle counters read time through a clock,
 * so the same code times hardware, the wall-clock model and the
 * projection. A NULL clock is the host's. */
#ifndef ZC_DSA_CLOCK_H
#define ZC_DSA_CLOCK_H

#include <stdint.h>

#include <zc/dsa.h>

#include "cpu/tsc.h"

struct zc_dsa_clock {
    /* The calling thread's time in TSC cycles (simulated: at the host's
     * TSC rate), its own work up to now counted. */
    uint64_t (*now_cycles)(void);
    /* Waits for cr's status: the status (masked), or -ETIMEDOUT once
     * timeout_ns passed without it. */
    int (*wait)(const volatile struct dsa_completion_record *cr, uint64_t timeout_ns);
    /* The thread is about to read completion records without waiting:
     * those complete by its time become visible. */
    void (*poll)(void);
    /* A completion thread waits for a record another thread submitted and
     * left simulated time at at_ns to sleep: the calling thread enters
     * simulated time at at_ns (no earlier than where it is), waits for cr
     * (timeout_ns from at_ns) and leaves. The status, -ETIMEDOUT or
     * -EDEADLK; *done_ns its time then, *busy_ns the time it spent on cr
     * (its CPU time: it polls; what it did between two waits, mostly
     * sleeping for work, is not counted). */
    int (*wait_for)(const volatile struct dsa_completion_record *cr, uint64_t at_ns,
                    uint64_t timeout_ns, uint64_t *done_ns, uint64_t *busy_ns);
    /* The calling thread sleeps while a completion thread waits for its
     * record cr: it holds the others' simulated time at cr's completion,
     * not at its clock, until wake_at(the completion thread's done_ns). */
    void (*sleep_on)(const volatile struct dsa_completion_record *cr);
    void (*wake_at)(uint64_t at_ns);
};

/* A record's status byte, 0 while it is not written. Acquire: the
 * record's other fields were written before the status. */
static inline uint8_t zc_dsa_record_status(const volatile struct dsa_completion_record *cr)
{
    return __atomic_load_n((const volatile uint8_t *)&cr->status, __ATOMIC_ACQUIRE);
}

/* The clock a WQ's work runs on (NULL: the host's). */
const struct zc_dsa_clock *zc_dsa_wq_clock(const struct zc_dsa_wq *wq);

static inline uint64_t zc_dsa_clock_now(const struct zc_dsa_clock *c)
{
    return c ? c->now_cycles() : zc_rdtsc();
}

/* Before reading completion records without waiting for one. */
static inline void zc_dsa_clock_poll(const struct zc_dsa_clock *c)
{
    if (c)
        c->poll();
}

#endif
