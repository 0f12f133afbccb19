/* <zc/dsa.h>: Intel DSA work queues from user space (hardware or the emu
 * device model), and waiting for completion records. */
#ifndef ZC_DSA_H
#define ZC_DSA_H

#include <linux/idxd.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

struct zc_dsa_wq;

/* spec: "emu", "emu:key=value,...", "/dev/dsa/wqD.Q", "wqD.Q" or "auto"
 * (a hardware WQ chosen as zc_dsa_auto_choose does). A hardware WQ is
 * opened once per process: every later open of the same WQ shares it (a
 * dedicated WQ admits one open file). 0 or -errno; *out untouched on
 * failure; zc_last_error() says why, naming the WQ. */
int  zc_dsa_wq_open(const char *spec, struct zc_dsa_wq **out);
/* 0 accepted; -EAGAIN not accepted (shared WQ full: retry); -EDEADLK on a
 * projected WQ whose simulated time stalled (see zc_dsa_sim_pause). */
int  zc_dsa_wq_submit(struct zc_dsa_wq *wq, const struct dsa_hw_desc *desc);
void zc_dsa_wq_close(struct zc_dsa_wq *wq);
/* Frees memory that descriptors a caller gave up on (a wait that timed
 * out) may still write, once they no longer can: at once when no hardware
 * WQ file is open in the process (a model WQ drains at its close), else
 * when the last one closes, since another handle may keep the WQ's file,
 * and so its descriptors, alive. Call after closing the caller's WQs. */
void zc_dsa_free_after_drain(void *mem);

enum zc_dsa_mode { ZC_DSA_DEDICATED, ZC_DSA_SHARED };
/* How descriptors reach the WQ: the emu model's queue, the mapped portal
 * (MOVDIR64B for dedicated WQs, ENQCMD for shared ones), or write() on the
 * WQ's file (the kernel stores them: one system call per descriptor). */
enum zc_dsa_submit_path { ZC_DSA_PATH_EMU, ZC_DSA_PATH_MOVDIR64B, ZC_DSA_PATH_ENQCMD,
                          ZC_DSA_PATH_WRITE };
/* "emu", "portal-movdir64b", "portal-enqcmd", "write". */
const char *zc_dsa_submit_path_name(enum zc_dsa_submit_path p);

struct zc_dsa_wq_info {
    char device[32];        /* "dsa0", or "emu" */
    char name[32];          /* "wq0.1", or "emu" */
    enum zc_dsa_mode mode;
    unsigned size;          /* WQ entries */
    unsigned max_batch;
    uint64_t max_xfer;      /* bytes */
    int numa_node;          /* -1 when unknown */
    unsigned engines;       /* engines in the WQ's group */
    bool is_model;          /* a software model (emu, or the kernel model): numbers are modeled */
    bool kernel_model;      /* the hardware path over the kernel model (ZC_DSA_KERNEL) */
    bool timed;             /* model with a timing model configured */
    const char *timing;     /* "spr" when projected (emu:clock=virtual), else "" */
    enum zc_dsa_submit_path path;
    uint32_t ops;           /* bit N: opcode N (< 32) can be submitted on this path
                             * (device op_cap, WQ op_config, the path's limits) */
    bool block_on_fault;    /* descriptors may set BOF: the WQ enables block on fault */
    bool device_bof;        /* the device supports block on fault (GENCAP bit 0) */
    char path_note[512];    /* "" or why the path is not the portal, and the fix */
};
const struct zc_dsa_wq_info *zc_dsa_wq_info(const struct zc_dsa_wq *wq);

/* What happened to submitted descriptors. A dedicated WQ accepts every
 * portal write; descriptors written while it is full are lost (no
 * completion record, as on hardware). The model counts them in `dropped`;
 * on hardware the loss is invisible to software and `dropped` stays 0. */
struct zc_dsa_wq_stats {
    uint64_t submitted;     /* descriptors accepted by the WQ */
    uint64_t dropped;       /* dedicated WQ full: descriptor lost */
    uint64_t rejected;      /* shared WQ full: -EAGAIN returned */
    uint64_t swerr;         /* model: errors no completion record could carry
                             * (CRAV clear, completion record unaligned or
                             * unmapped); hardware logs these in SWERR */
};
void zc_dsa_wq_stats(const struct zc_dsa_wq *wq, struct zc_dsa_wq_stats *out);

/* Entries of a dedicated WQ a submitter may fill (a portal write to a full
 * dedicated WQ is lost). Every user of one WQ in this process draws from
 * the WQ's one count, each at most its share (entries / users): claim
 * returns true when it took one. Shared WQs and the model's own queue
 * need no count (ENQCMD says "full"): always true. */
bool zc_dsa_wq_claim(struct zc_dsa_wq *wq);
void zc_dsa_wq_release(struct zc_dsa_wq *wq);

/* What the kernel or the model can tell about the WQ now (after a timeout,
 * or a WQ that keeps refusing): into buf, one line. -ENODEV when the WQ is
 * no longer enabled (disabled or reset under the process), else 0. */
int zc_dsa_wq_check(struct zc_dsa_wq *wq, char *buf, size_t len);

/* The hardware WQ `auto` opens: an enabled user WQ this process can open,
 * chosen deterministically: on NUMA node `node` first (-1: any), then a
 * dedicated WQ nobody has open (no other user: the whole WQ), then shared
 * WQs (fewest clients first), then WQs this process already uses, larger
 * first, then by name. `exclude` (n names, "wqD.Q") are not chosen. 0 and
 * *out, with why (one line: which WQ and why); -errno and zc_last_error()
 * when none is usable. */
int zc_dsa_auto_choose(int node, const char *const *exclude, size_t n,
                       struct zc_dsa_wq_info *out, char *why, size_t why_len);

/* The table the hardware path reaches the kernel through: NULL for Linux,
 * else the kernel model's spec (a test hook: ZC_DSA_KERNEL=model:...,
 * docs/HARDWARE.md), whose WQs are modeled, never hardware. */
const char *zc_dsa_kernel_model(void);

/* The keys of "emu:key=value,..." (and ZC_EMU), one line each. */
void zc_dsa_emu_help(FILE *out);

/* Simulated time. A projected WQ (emu:clock=virtual) runs on simulated
 * time: each thread that uses one has its own clock, which its own work
 * advances (measured as its CPU time) and waiting for a record advances
 * to the record's modeled completion; the model's own execution is not
 * counted. The device resources the threads share are arbitrated in
 * simulated time: a thread's submit, wait or poll may wait (host time)
 * until every other thread in simulated time has caught up with it.
 *
 * The rule: a thread is in simulated time from its first submit, wait,
 * poll, zc_dsa_sim_now_ns() or zc_dsa_sim_resume() until it calls
 * zc_dsa_sim_pause(), closes its last projected WQ, or ends (the library
 * takes it out then). While in, it holds the others back at its clock, so
 * before it blocks on another thread (a mutex, a condition variable or
 * barrier, pthread_join, a pipe) it must call zc_dsa_sim_pause(), and
 * zc_dsa_sim_resume() after. A thread that does not, and so stops
 * everyone's simulated time (a deadlock when the thread it waits for waits
 * in the model for it), makes their submits and waits fail with -EDEADLK
 * once simulated time stood still for stall_s seconds of host time (an emu
 * key, 30 by default; the WQ opened last sets it), zc_last_error() naming
 * the thread that holds it and the fix; later calls in the same stall fail
 * at once. They never hang. A thread that only computes that long between
 * two calls stalls the others too: raise stall_s. */
/* The calling thread's simulated time in ns (its work so far counted),
 * rounded up: a thread resumed at it is never behind this one; it is in
 * simulated time from here. */
uint64_t zc_dsa_sim_now_ns(void);
/* The thread will not submit until it resumes: other threads' simulated
 * time may pass it meanwhile (call before blocking on another thread). */
void zc_dsa_sim_pause(void);
/* Back, at simulated time at_ns (no earlier than where it was, nor than
 * the model's present). */
void zc_dsa_sim_resume(uint64_t at_ns);
/* Counts ns of work the calling thread does not do itself (a model of
 * another program's software: the calibration's). */
void zc_dsa_sim_spend(uint64_t ns);
/* Whether the calling thread's own work is measured (default) or counts
 * only as what it spends explicitly (a program modeling another one). */
void zc_dsa_sim_measure_own_work(bool on);

/* Waiting for a completion record's status byte (written last). The
 * first four poll in the waiting thread; ZC_WAIT_POLLER sleeps while the
 * process's one completion thread polls the records of every such waiter
 * in the order they were registered (as QEMU's multifd DSA series does)
 * and wakes each: the waiter's core is free meanwhile. */
enum zc_dsa_wait_policy { ZC_WAIT_SPIN, ZC_WAIT_PAUSE, ZC_WAIT_UMWAIT, ZC_WAIT_YIELD,
                          ZC_WAIT_POLLER };
/* "spin" | "pause" | "umwait" | "yield" | "poller"; -EINVAL for others,
 * -ENOTSUP for umwait without WAITPKG (message in zc_last_error()). */
int zc_dsa_wait_policy_parse(const char *name, enum zc_dsa_wait_policy *out);
const char *zc_dsa_wait_policy_name(enum zc_dsa_wait_policy p);

struct zc_dsa_clock; /* internal */
struct zc_dsa_waiter {
    enum zc_dsa_wait_policy policy;
    uint64_t timeout_ns;     /* per wait; 0 = default (1 s) */
    uint64_t wait_cycles;    /* TSC cycles spent waiting, accumulated */
    uint64_t waits;          /* waits performed */
    uint64_t timeouts;       /* waits that timed out */
    /* NULL: host time. Set by backends on projected WQs, whose waits pass
     * simulated time (and count it in wait_cycles). */
    const struct zc_dsa_clock *clock;
};
/* Waits for records of wq on its time: a projected WQ's simulated time
 * (hardware and the wall-clock model need nothing). */
void zc_dsa_waiter_use(struct zc_dsa_waiter *w, const struct zc_dsa_wq *wq);
/* Wait until cr->status != 0. Returns the status (masked with
 * DSA_COMP_STATUS_MASK), -ETIMEDOUT, or on a projected WQ -EDEADLK when
 * simulated time stalled (see zc_dsa_sim_pause); never hangs. */
int zc_dsa_wait(struct zc_dsa_waiter *w, const volatile struct dsa_completion_record *cr);

/* The completion thread (ZC_WAIT_POLLER) runs while it has users: it
 * starts with the first acquire and is joined at the last release. A wait
 * through it holds it for the wait, so a user that waits often (a
 * backend) holds it from open to close rather than start a thread per
 * wait. 0, or -EAGAIN when the thread cannot start (zc_last_error()). */
int zc_dsa_poller_acquire(void);
void zc_dsa_poller_release(void);
/* What the completion thread cost the process so far: its CPU time on the
 * host (its thread CPU clock), and on projected WQs the simulated time it
 * spent polling outstanding records (its CPU time there: it polls). */
struct zc_dsa_poller_usage {
    uint64_t cpu_ns;        /* host CPU time, every completion thread so far */
    uint64_t sim_busy_ns;   /* simulated: from taking a record to its completion */
    uint64_t records;       /* records it completed or gave up on */
};
void zc_dsa_poller_usage(struct zc_dsa_poller_usage *out);
/* Simulated ns the calling thread slept in ZC_WAIT_POLLER waits on
 * projected WQs (out of simulated time: not its CPU time), so far. */
uint64_t zc_dsa_sim_slept_ns(void);

/* Hardware discovery for reports and --list-backends: calls fn once per
 * enabled DSA WQ (any type) found through libaccel-config. Returns the
 * count, or -errno when discovery itself failed (zc_last_error() says why,
 * e.g. "idxd module not loaded"). */
typedef void (*zc_dsa_wq_visit_fn)(const struct zc_dsa_wq_info *wq, const char *type,
                                  const char *state, void *ctx);
int zc_dsa_discover(zc_dsa_wq_visit_fn fn, void *ctx);

/* Whether this CPU can submit: MOVDIR64B, ENQCMD, WAITPKG. */
bool zc_dsa_cpu_has_movdir64b(void);
bool zc_dsa_cpu_has_enqcmd(void);
bool zc_dsa_cpu_has_waitpkg(void);

#ifdef __cplusplus
}
#endif
#endif
