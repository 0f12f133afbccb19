/* Internal: the projection's device simulation (emu:clock=virtual). A pure
 * discrete-event model in simulated nanoseconds, with no threads, locks or
 * host time: its callers (dsa/emu/vtime.c) decide when it may advance.
 *
 * What it models, per device (the parameters: struct zc_emu_profile):
 * - Work queues: a descriptor occupies an entry from its arrival until an
 *   engine takes it; a full WQ refuses (shared) or loses (dedicated) it.
 * - Engines take the oldest descriptor of their device's WQs (round robin
 *   over the WQs) and run it alone: a BATCH reads its list (batch_ns) and
 *   then runs its members one after the other on the same engine. A work
 *   descriptor keeps the engine busy for desc_ns, then for its transfer:
 *   the larger of its read and write streams at the engine's rate, the
 *   engines streaming at a time sharing the device's rate equally. A page
 *   fault ends it there and costs fault_ns. Each line it writes only in
 *   part (a destination not 64-byte aligned at either end) is merged by
 *   its engine afterwards, one line at a time (partial_ns each); what is
 *   left of that when the engine starts its next member is that member's
 *   work.
 * - A record becomes visible lat_ns (+ read_lat_ns when the descriptor
 *   reads memory, + write_lat_ns when it writes, + a ramp growing with the
 *   transfer, + what partial_lat_ns adds beside the write-back when it
 *   wrote lines in part) after its engine is done; that latency does not
 *   occupy the engine. A BATCH's record follows its last member's.
 * - A DRAIN completes once every earlier descriptor of its WQ has, not
 *   waiting for later ones other engines took beside it. */
#ifndef ZC_DSA_EMU_VSIM_H
#define ZC_DSA_EMU_VSIM_H

#include <stdbool.h>
#include <stdint.h>

#include "dsa/emu/internal.h"

#define ZC_VSIM_NEVER 1e300 /* a time that never comes */

struct zc_vsim;
struct zc_vsim_dev;
struct zc_vsim_wq;

/* A completion record the device will write: what the simulation tells
 * its owner, who publishes it once its time has come. */
struct zc_vsim_rec {
    double visible_ns;   /* ZC_VSIM_NEVER until the device finished the work */
    void *owner;         /* the caller's: who publishes it */
    const void *wq;      /* the caller's: which WQ it came from */
    struct zc_vsim_rec *next; /* the caller's list */
    struct dsa_completion_record *where;
    struct dsa_completion_record rec;
};

/* One member of a job: what it moved and its record (NULL: none). */
struct zc_vsim_work {
    struct zc_emu_work work;
    struct zc_vsim_rec *rec;
};

/* done(rec, ctx): a record's visible time is now known. */
typedef void (*zc_vsim_done_fn)(struct zc_vsim_rec *rec, void *ctx);

struct zc_vsim *zc_vsim_new(zc_vsim_done_fn done, void *ctx);
void zc_vsim_free(struct zc_vsim *s);
double zc_vsim_now(const struct zc_vsim *s);

/* Devices and their WQs. NULL on out of memory. */
struct zc_vsim_dev *zc_vsim_dev_new(struct zc_vsim *s, const struct zc_emu_profile *p,
                                    unsigned engines);
void zc_vsim_dev_put(struct zc_vsim_dev *d); /* freed with its last WQ */
struct zc_vsim_wq *zc_vsim_wq_new(struct zc_vsim_dev *d, unsigned size);
void zc_vsim_wq_free(struct zc_vsim_wq *w);
/* The device's profile (its portal costs are the submitter's). */
const struct zc_emu_profile *zc_vsim_wq_profile(const struct zc_vsim_wq *w);

/* Whether the WQ has room for one more descriptor now. */
bool zc_vsim_wq_has_room(const struct zc_vsim_wq *w);
/* A descriptor arriving now at a WQ with room; its work is not known yet
 * (the caller executes it next), so no engine takes it until
 * zc_vsim_job_ready. NULL on out of memory. */
struct zc_vsim_job;
struct zc_vsim_job *zc_vsim_arrive(struct zc_vsim_wq *w);
/* What the descriptor turned out to be: n members (copied; 0 only for a
 * BATCH that ran none); batch: a BATCH of them, with its own record
 * batch_rec; drain: a DRAIN (n = 1, no work). 0 or -ENOMEM. */
int zc_vsim_job_ready(struct zc_vsim_job *j, const struct zc_vsim_work *members, unsigned n,
                      bool batch, bool drain, struct zc_vsim_rec *batch_rec);

/* Runs the simulation up to t (>= now): every event before t is final.
 * Returns early once *stop (set by the done callback) is true, or when
 * t is ZC_VSIM_NEVER and nothing is in progress. */
void zc_vsim_advance(struct zc_vsim *s, double t, const bool *stop);
/* The time of the next event, ZC_VSIM_NEVER when nothing is in progress. */
double zc_vsim_next_event(struct zc_vsim *s);

/* Visible-time latency of a finished descriptor (the record's path). */
double zc_vsim_latency(const struct zc_emu_profile *p, const struct zc_emu_work *w);

#endif
