/* Internal to the emu device model (dsa/emu/): configuration, the
 * executor of one descriptor, page probing and the timing model. */
#ifndef ZC_DSA_EMU_INTERNAL_H
#define ZC_DSA_EMU_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include <zc/dsa.h>

#include "dsa/wq_internal.h"

enum zc_emu_fault_mode { ZC_EMU_FAULT_UNMAPPED, ZC_EMU_FAULT_NONRESIDENT };
enum zc_emu_timing { ZC_EMU_TIMING_OFF, ZC_EMU_TIMING_SPR };
enum zc_emu_clock_kind { ZC_EMU_CLOCK_WALL, ZC_EMU_CLOCK_VIRTUAL };

/* The projection's timing parameters (dsa/emu/vsim.h says where each acts;
 * docs/PERFORMANCE.md what each stands for and how it was fitted). */
struct zc_emu_profile {
    double enqcmd_ns;    /* the submitting core stalls this long per ENQCMD (non-posted) */
    double movdir_ns;    /* ... per MOVDIR64B (posted) */
    double desc_ns;      /* engine busy per work descriptor before its transfer ... */
    double buffer_ns;    /* ... and per side it streams (read, write) */
    double batch_ns;     /* engine busy per BATCH descriptor (reading its list) */
    double engine_gbps;  /* an engine's stream rate */
    double device_gbps;  /* the device's, shared by the engines streaming */
    double lat_ns;       /* engine done -> record visible */
    double read_lat_ns;  /* more for descriptors that read memory */
    double write_lat_ns; /* more for descriptors that write memory */
    double ramp_ns;      /* more, growing with the transfer up to this ... */
    double ramp_bytes;   /* ... 63% of it at this many bytes */
    double fault_ns;     /* engine busy per page fault (partial completion) */
    double partial_ns;   /* an engine merges each partly written line this long, one at a time */
    double partial_lat_ns; /* record latency added by partly written lines */
};

/* The fitted profile of a timing preset (NULL for off). */
const struct zc_emu_profile *zc_emu_profile_of(int timing);

struct zc_emu_cfg {
    unsigned engines;
    unsigned wq_size;
    int mode;           /* enum zc_dsa_mode */
    unsigned max_batch;
    uint64_t max_xfer;
    int fault;          /* enum zc_emu_fault_mode */
    unsigned bof;       /* the WQ enables block on fault (WQCFG): BOF is reserved otherwise */
    unsigned poll_us;   /* idle engines poll this long before sleeping */
    int timing;         /* enum zc_emu_timing: a preset for the three below */
    uint64_t lat_ns;    /* timing model: fixed latency per descriptor */
    double engine_gbps; /* timing model: per engine, 0 = unlimited */
    double device_gbps; /* timing model: shared by the engines, 0 = unlimited */
    int clock;          /* enum zc_emu_clock_kind */
    char dev[32];       /* virtual: WQs naming the same device share it */
    double stall_s;     /* virtual: host seconds a wait lets simulated time stand still */
    struct zc_emu_profile prof; /* virtual: keys left at 0 come from the timing profile */
};

static inline bool zc_emu_timed(const struct zc_emu_cfg *c)
{
    return c->lat_ns || c->engine_gbps > 0 || c->device_gbps > 0;
}

/* clock=virtual: opens the projection's WQ (vwq.c) for a parsed config. */
int zc_emu_virtual_open(struct zc_dsa_wq *wq, const struct zc_emu_cfg *cfg);

/* --- page probing (probe.c) --------------------------------------- */

enum zc_emu_access { ZC_EMU_READ, ZC_EMU_WRITE };

/* Where the device would stop touching [addr, addr + len). */
struct zc_emu_fault {
    uint64_t offset;    /* first byte not processed; len when no fault */
    bool irrecoverable; /* BOF set but the page cannot be made accessible */
};

/* Pages found accessible while one descriptor runs (one per engine). */
#define ZC_EMU_TLB_SLOTS 256
struct zc_emu_tlb {
    uint64_t gen;
    uint64_t tag[ZC_EMU_TLB_SLOTS];
    uint64_t gen_of[ZC_EMU_TLB_SLOTS];
    bool writable[ZC_EMU_TLB_SLOTS];
};
void zc_emu_tlb_flush(struct zc_emu_tlb *t);

/* Probes the pages of the range not already in t (NULL: no cache) with
 * process_vm_readv / process_vm_writev on this process, and with
 * fault=nonresident (unless bof) mincore first. With bof, non-resident
 * pages are not faults (the device waits for the OS to bring them in). */
struct zc_emu_fault zc_emu_probe(struct zc_emu_tlb *t, int fault_mode, uint64_t addr, uint64_t len,
                                 enum zc_emu_access access, bool bof);

/* Tests: probe through a pipe instead of process_vm_readv/writev (the
 * fallback when a seccomp policy refuses those; chosen automatically). */
void zc_emu_probe_use_pipe(bool on);

/* Writes a completion record, status byte last with a release store;
 * false (nothing written) when its page is not writable. t may be NULL. */
bool zc_emu_store_record(struct zc_emu_tlb *t, struct dsa_completion_record *where,
                         const struct dsa_completion_record *rec);

struct zc_emu_range {
    uint64_t addr, len;
};
/* Reads the translations of many ranges into t in few system calls (a
 * batch's sources before its members run). Faults are left to the walk. */
void zc_emu_prefetch(struct zc_emu_tlb *t, const struct zc_emu_range *r, size_t n);

/* --- execution (ops.c) -------------------------------------------- */

/* What one descriptor moved, for the timing models: the transfer size as
 * published bandwidths count it (a 1 MiB MEMMOVE moves 1 MiB) and the
 * bytes of each memory stream (COMPARE reads two). A partial completion
 * (page fault, a compare's first difference) moved that much only. */
struct zc_emu_work {
    uint8_t opcode;
    /* Its sides, reading and writing (1 or 2): an engine sets up one read
     * and one write side per descriptor, however many buffers each serves
     * (COMPARE's two sources cost its engine what COMPVAL's one does). */
    uint8_t directions;
    uint64_t xfer;
    uint64_t read, write;
    uint32_t partial_lines; /* cache lines it writes only part of (its head and tail) */
    bool fault;             /* ended on a page fault */
};

/* Receives every descriptor the executor ran, in order (a batch's members
 * before the batch), with its completion record (where: the address to
 * write it to, NULL when none was asked for or its address is unusable).
 * The engine decides when the record becomes visible. A sink with `all`
 * false sees only the descriptors with a record to write; the timing
 * models take the work with zc_emu_work_of (not computed for the others:
 * the untimed inline path is the gate's instruction count). */
struct zc_emu_sink {
    void (*done)(struct zc_emu_sink *s, const struct dsa_hw_desc *d,
                 struct dsa_completion_record *where, const struct dsa_completion_record *rec);
    /* A DRAIN: returns once every earlier descriptor of the WQ completed. */
    void (*drain)(struct zc_emu_sink *s);
    bool all;
};

/* What d moved, given its record (ops.c). */
struct zc_emu_work zc_emu_work_of(const struct dsa_hw_desc *d, const struct dsa_completion_record *rec);

struct zc_emu_exec {
    const struct zc_emu_cfg *cfg;
    struct zc_emu_tlb *tlb; /* the engine's */
    struct zc_dsa_wq *wq;   /* counters (swerr) */
    struct zc_emu_sink *sink;
};

/* Runs one descriptor as the device would and hands its completion
 * record(s) to the sink. */
void zc_emu_execute(struct zc_emu_exec *x, const struct dsa_hw_desc *d);

/* Bit N set: the model executes opcode N (< 32). */
uint32_t zc_emu_opcodes(void);

/* CRC-32C as DSA computes it by default (seed inverted on entry and the
 * result on exit, reflected data): crc(A||B, 0) == crc(B, crc(A, 0)). */
uint32_t zc_emu_crc32c(uint32_t seed, const uint8_t *p, uint64_t len);

/* --- timing model (timing.c) -------------------------------------- */

struct zc_emu_clock; /* per WQ: its engines and the device bandwidth they share */

int  zc_emu_clock_new(const struct zc_emu_cfg *cfg, struct zc_emu_clock **out);
void zc_emu_clock_free(struct zc_emu_clock *c);
/* The engine has executed a descriptor of `bytes` submitted at submit_ns:
 * the model serves it after the engine's earlier ones. 0 or -ENOMEM. */
int zc_emu_clock_add(struct zc_emu_clock *c, unsigned engine, uint64_t submit_ns, uint64_t bytes);
/* Times are CLOCK_MONOTONIC ns; each call first runs the model up to now.
 * When the engine's oldest unreleased record may appear (<= now: it may
 * now; UINT64_MAX: none). Beyond now it is a projection at the current
 * sharing of the device: ask again then. */
uint64_t zc_emu_clock_due(struct zc_emu_clock *c, unsigned engine, uint64_t now);
/* That record has appeared. */
void zc_emu_clock_release(struct zc_emu_clock *c, unsigned engine);
/* When the engine will have served everything handed in (<= now: idle, so
 * it may take the next descriptor); a projection like zc_emu_clock_due. */
uint64_t zc_emu_clock_idle_at(struct zc_emu_clock *c, unsigned engine, uint64_t now);
/* True once after an engine went idle: the others' share grew, so their
 * projections are now too late. */
bool zc_emu_clock_take_idle_news(struct zc_emu_clock *c);
/* Sleeps (or, for the last microseconds, spins) until CLOCK_MONOTONIC
 * reaches deadline_ns. */
void zc_emu_sleep_until(uint64_t deadline_ns);

#endif
