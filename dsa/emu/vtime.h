/* Internal: simulated time for the threads that use projected WQs
 * (emu:clock=virtual), and the one simulation (dsa/emu/vsim.h) they share.
 *
 * A thread's clock advances by its own work, measured as its CPU time
 * between its interactions with the model (the model's own execution in
 * between is not counted), and by waiting for records. The simulation may
 * only run up to the horizon: the earliest time at which a thread that is
 * not paused could still submit (a running thread's clock; a waiting
 * thread's record, once the simulation knows when it completes). A thread
 * that must go beyond it blocks until the others catch up, so several
 * threads sharing a device interleave in simulated time exactly.
 *
 * Locking: vt_lock() guards the simulation and every thread's state;
 * vt_self_charged()/vt_mark() read the thread's CPU clock and are called
 * without it. */
#ifndef ZC_DSA_EMU_VTIME_H
#define ZC_DSA_EMU_VTIME_H

#include <stdbool.h>
#include <stdint.h>

#include "dsa/clock.h"
#include "dsa/emu/vsim.h"

struct vthread;

/* The calling thread's (created on first use, at the simulation's present). */
struct vthread *vt_self(void);
/* The same, its own work since its last interaction counted (none when
 * this call creates it). */
struct vthread *vt_self_charged(void);
/* Its own work starts again now (after the model's execution). */
void vt_mark(struct vthread *t);

void vt_lock(void);
void vt_unlock(void);
/* With the lock: the simulation. */
struct zc_vsim *vt_sim(void);
/* With the lock: runs the simulation up to the thread's present (blocks
 * while another thread lags behind it); the thread counts in the horizon
 * from now on. 0, or -EDEADLK (zc_last_error() says why) when simulated
 * time did not move for stall_s of host time while it waited: another
 * thread that holds it back is blocked, most likely on this one. */
int vt_reach(struct vthread *t);
double vt_now(const struct vthread *t);
void vt_spend(struct vthread *t, double ns);
/* With the lock: a record the thread will publish once its time comes. */
struct zc_vsim_rec *vt_record(struct vthread *t, const void *wq, struct dsa_completion_record *where,
                              const struct dsa_completion_record *rec);
/* With the lock: the records of wq will never come (it closes). */
void vt_forget(const void *wq);
/* With the lock: others may move now. */
void vt_moved(void);

/* The thread opened / (from any thread) closed one of its projected WQs:
 * it leaves the horizon with its last. The WQ's stall_s is every wait's
 * patience from then on (the last opened WQ's). */
void vt_wq_opened(struct vthread *t, double stall_s);
void vt_wq_closed(struct vthread *t);

/* The DSA clock (dsa/clock.h) of projected WQs: simulated time. */
extern const struct zc_dsa_clock zc_vt_clock;

#endif
