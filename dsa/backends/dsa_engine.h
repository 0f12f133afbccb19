/* Internal: the one DSA pipeline behind dsa-single, dsa-batch, dsa-multi
 * and hybrid. It owns the work queues, preallocated descriptor lists and
 * completion records (reused, no allocation per call), round-robin
 * dispatch with per-WQ credits, ENQCMD retry, completion reading and
 * partial-completion (page fault) recovery.
 *
 * A job's pages are cut into segments of at most the WQ's max transfer
 * size; a slot carries up to `batch` segments: one BATCH descriptor, or a
 * plain descriptor when it holds a single segment. Up to `qd` slots are in
 * flight. dsa-single is batch=1,qd=1; dsa-batch is qd=1.
 *
 * Input pages must be readable memory owned by the caller: recovery only
 * runs when the fault address lies inside the caller's segment, and faults
 * the remainder in through process_vm_readv first, so an unreadable page is
 * -EFAULT rather than a crash. */
#ifndef ZC_BACKENDS_DSA_ENGINE_H
#define ZC_BACKENDS_DSA_ENGINE_H

#include <stddef.h>

#include <zc/backend.h>
#include <zc/cpu.h>

#include "dsa/backend_impl.h"

#define ZC_DSA_WQ_SPEC_MAX 256
#define ZC_DSA_MAX_WQS 16

enum zc_dsa_recover { ZC_DSA_RECOVER_CPU, ZC_DSA_RECOVER_RESUBMIT };

/* Keys every DSA backend takes (embedded in each backend's config). */
struct zc_dsa_common_cfg {
    char wq[ZC_DSA_WQ_SPEC_MAX]; /* <zc/dsa.h> specs joined with '+' */
    int wait;                    /* index into zc_dsa_wait_choices */
    int recover;                 /* enum zc_dsa_recover */
    unsigned bof;                /* 1: block on fault (the device faults pages in) */
    unsigned timeout_ms;         /* per wait: a hung device becomes an error */
};

extern const char *const zc_dsa_wait_choices[];
extern const char *const zc_dsa_recover_choices[];

/* Option table entries for the common keys of a config type T whose
 * struct zc_dsa_common_cfg member is named `field`: the WQ key (first in
 * canonical specs), then the rest (after the backend's own keys). */
#define ZC_DSA_WQ_OPT(T, field)                                                                 \
    {.name = "wq", .type = ZC_OPT_STRING, .offset = offsetof(T, field.wq),                     \
     .size = ZC_DSA_WQ_SPEC_MAX, .def = "emu",                                                  \
     .help = "work queue(s): emu[:k=v,...], wqD.Q, /dev/dsa/wqD.Q or auto; join with '+', "    \
             "brace specs with commas: {emu:engines=2}+{emu}"}
#define ZC_DSA_COMMON_OPTS(T, field)                                                            \
    {.name = "wait", .type = ZC_OPT_ENUM, .offset = offsetof(T, field.wait),                   \
     .choices = zc_dsa_wait_choices, .def = "pause", .help = "how to wait for completions"},   \
    {.name = "recover", .type = ZC_OPT_ENUM, .offset = offsetof(T, field.recover),             \
     .choices = zc_dsa_recover_choices, .def = "cpu",                                          \
     .help = "after a page fault: finish the page on the CPU, or touch it and resubmit"},      \
    {.name = "bof", .type = ZC_OPT_UINT, .offset = offsetof(T, field.bof), .min = 0, .max = 1, \
     .def = "0", .help = "block on fault (slow); only on a WQ that enables it"},              \
    {.name = "timeout_ms", .type = ZC_OPT_UINT, .offset = offsetof(T, field.timeout_ms),       \
     .min = 1, .max = 600000, .def = "1000", .help = "per wait, then the call fails"}

struct zc_dsa_engine;

/* Opens the WQs of cfg->wq; batch 1 = plain descriptors only, else
 * 2..max batch of every WQ; qd >= 1 slots in flight. Refuses what the WQs
 * cannot take (BATCH on a write()-only path, BOF where the WQ does not
 * enable it). cpu_fn finishes pages on the CPU (recovery, ENQCMD give-up).
 * Sets be->desc (device, wq, wq_mode, submit_path, batch, queue_depth,
 * n_wq) and be->note. who prefixes messages ("dsa-batch"). */
int  zc_dsa_engine_open(const char *who, const struct zc_dsa_common_cfg *cfg, unsigned batch,
                        unsigned qd, zc_zero_fn cpu_fn, struct zc_backend *be,
                        struct zc_dsa_engine **out);
void zc_dsa_engine_close(struct zc_dsa_engine *e);

/* Pages [first, first + count) of job, counters into stats. Synchronous: */
int  zc_dsa_engine_run(struct zc_dsa_engine *e, const struct zc_be_job *job, size_t first,
                       size_t count, struct zc_backend_stats *stats);
/* Or in steps, to overlap other work (hybrid): start submits what credits
 * allow, poll reaps and refills without waiting, finish waits for the rest.
 * Every started job must be finished. */
int  zc_dsa_engine_start(struct zc_dsa_engine *e, const struct zc_be_job *job, size_t first,
                         size_t count, struct zc_backend_stats *stats);
int  zc_dsa_engine_poll(struct zc_dsa_engine *e);
int  zc_dsa_engine_finish(struct zc_dsa_engine *e);
/* Time (zc_dsa_engine_now_cycles) when the last slot of the current/last job completed (as observed). */
uint64_t zc_dsa_engine_last_completion(const struct zc_dsa_engine *e);
/* The time the engine's WQs run on, in TSC cycles: the host's, or the
 * submitting thread's simulated time on projected WQs (dsa/clock.h). */
uint64_t zc_dsa_engine_now_cycles(const struct zc_dsa_engine *e);

#endif
