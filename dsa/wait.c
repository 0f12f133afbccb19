/* Waiting for a completion record's status byte. Every wait has a
 * deadline (a hung device becomes -ETIMEDOUT, never a hang) and its TSC
 * cycles are counted: offload only pays when the submitting core is freed. */
#include <errno.h>
#include <sched.h>
#include <string.h>
#include <x86intrin.h>

#include "cpu/features.h"
#include "cpu/tsc.h"
#include "dsa/clock.h"
#include "dsa/error.h"
#include "dsa/poller.h"

#include <zc/dsa.h>

#define DEFAULT_TIMEOUT_NS 1000000000ull
/* UMWAIT's wake-up deadline per call, in TSC ticks: short enough that the
 * overall deadline is checked often, long enough to save power. */
#define UMWAIT_SLICE_TICKS 100000ull

static const char *const policy_names[] = {"spin", "pause", "umwait", "yield", "poller"};

bool zc_dsa_cpu_has_movdir64b(void) { return zc_cpu_has(ZC_CPU_MOVDIR64B); }
bool zc_dsa_cpu_has_enqcmd(void) { return zc_cpu_has(ZC_CPU_ENQCMD); }
bool zc_dsa_cpu_has_waitpkg(void) { return zc_cpu_has(ZC_CPU_WAITPKG); }

const char *zc_dsa_wait_policy_name(enum zc_dsa_wait_policy p)
{
    return (unsigned)p < sizeof policy_names / sizeof policy_names[0] ? policy_names[p] : "?";
}

int zc_dsa_wait_policy_parse(const char *name, enum zc_dsa_wait_policy *out)
{
    for (unsigned i = 0; i < sizeof policy_names / sizeof policy_names[0]; i++) {
        if (name && strcmp(name, policy_names[i]) == 0) {
            if (i == ZC_WAIT_UMWAIT && !zc_cpu_has(ZC_CPU_WAITPKG))
                return zc_fail(ENOTSUP, "wait policy umwait needs WAITPKG (UMONITOR/UMWAIT): %s; "
                                        "use pause", zc_cpu_why_not(ZC_CPU_WAITPKG));
            *out = (enum zc_dsa_wait_policy)i;
            return 0;
        }
    }
    return zc_fail(EINVAL, "unknown wait policy '%s' (allowed: spin, pause, umwait, yield, poller)",
                   name ? name : "(null)");
}

__attribute__((target("waitpkg"))) static void umwait_once(const volatile void *addr,
                                                           uint64_t deadline_tsc)
{
    _umonitor((void *)addr);
    /* Checked again after arming the monitor: a store in between would
     * otherwise be missed until the deadline. */
    if (__atomic_load_n((const volatile uint8_t *)addr, __ATOMIC_ACQUIRE) == 0)
        _umwait(0 /* C0.2: deeper, slower to wake */, deadline_tsc);
}

static int timed_out(struct zc_dsa_waiter *w, uint64_t timeout_ns)
{
    w->timeouts++;
    return zc_fail(ETIMEDOUT, "no completion after %llu ms (wait policy %s): device hung "
                              "or descriptor lost (dedicated WQ overflow?)",
                   (unsigned long long)(timeout_ns / 1000000), zc_dsa_wait_policy_name(w->policy));
}

void zc_dsa_waiter_use(struct zc_dsa_waiter *w, const struct zc_dsa_wq *wq)
{
    w->clock = zc_dsa_wq_clock(wq);
}

/* In a projected device's simulated time: the model lets it pass. */
static int wait_simulated(struct zc_dsa_waiter *w, const volatile struct dsa_completion_record *cr,
                          uint64_t timeout_ns)
{
    const struct zc_dsa_clock *clock = w->clock;
    uint64_t start = clock->now_cycles();
    int st = clock->wait(cr, timeout_ns);
    w->wait_cycles += clock->now_cycles() - start;
    w->waits++;
    return st == -ETIMEDOUT ? timed_out(w, timeout_ns) : st;
}

/* Asleep while the completion thread polls: the time counts as waiting
 * (on a projected WQ, simulated time) though the core is free. */
static int wait_through_poller(struct zc_dsa_waiter *w,
                               const volatile struct dsa_completion_record *cr, uint64_t timeout_ns)
{
    uint64_t start = zc_dsa_clock_now(w->clock);
    int st = zc_dsa_poller_wait(cr, w->clock, timeout_ns);
    w->wait_cycles += zc_dsa_clock_now(w->clock) - start;
    w->waits++;
    return st == -ETIMEDOUT ? timed_out(w, timeout_ns) : st;
}

int zc_dsa_wait(struct zc_dsa_waiter *w, const volatile struct dsa_completion_record *cr)
{
    uint64_t timeout_ns = w->timeout_ns ? w->timeout_ns : DEFAULT_TIMEOUT_NS;
    if (w->policy == ZC_WAIT_UMWAIT && !zc_cpu_has(ZC_CPU_WAITPKG))
        return zc_fail(ENOTSUP, "wait policy umwait needs WAITPKG: %s",
                       zc_cpu_why_not(ZC_CPU_WAITPKG));
    if (w->policy == ZC_WAIT_POLLER)
        return wait_through_poller(w, cr, timeout_ns);
    if (w->clock)
        return wait_simulated(w, cr, timeout_ns);
    uint64_t start = zc_rdtsc();
    uint64_t deadline = start + zc_ns_to_tsc(timeout_ns);
    uint8_t status;
    uint64_t now = start;
    unsigned spins = 0;
    while ((status = zc_dsa_record_status(cr)) == 0) {
        /* Reading the TSC every iteration would dominate a tight spin. */
        if ((++spins & 63) == 0 || w->policy != ZC_WAIT_SPIN) {
            now = zc_rdtsc();
            if (now >= deadline)
                break;
        }
        switch (w->policy) {
        case ZC_WAIT_SPIN: break;
        case ZC_WAIT_PAUSE: _mm_pause(); break;
        case ZC_WAIT_UMWAIT: {
            uint64_t until = now + UMWAIT_SLICE_TICKS;
            umwait_once(&cr->status, until < deadline ? until : deadline);
            break;
        }
        case ZC_WAIT_YIELD: sched_yield(); break;
        case ZC_WAIT_POLLER: break; /* waited through the completion thread above */
        }
    }
    if (status == 0)
        status = zc_dsa_record_status(cr); /* written while the deadline passed */
    w->wait_cycles += zc_rdtsc() - start;
    w->waits++;
    if (status == 0)
        return timed_out(w, timeout_ns);
    return status & DSA_COMP_STATUS_MASK;
}
