/* Internal: waiting through the process's completion thread
 * (ZC_WAIT_POLLER, dsa/poller.c). */
#ifndef ZC_DSA_POLLER_H
#define ZC_DSA_POLLER_H

#include <stdint.h>

#include <zc/dsa.h>

#include "dsa/clock.h"

/* Registers cr with the completion thread and sleeps until it completes
 * (its status, masked), timeout_ns passed (-ETIMEDOUT, message left to
 * the caller) or, on a projected clock, simulated time stalled (-EDEADLK).
 * On a projected clock the caller, asleep, holds the others' simulated
 * time at cr's completion only (clock sleep_on) and comes back where the
 * completion thread saw cr complete. */
int zc_dsa_poller_wait(const volatile struct dsa_completion_record *cr,
                       const struct zc_dsa_clock *clock, uint64_t timeout_ns);

#endif
